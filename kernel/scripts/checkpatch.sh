#!/bin/bash
# Run the prepared tree's scripts/checkpatch.pl --strict on every patch of
# kernel/patches/series; fail on any ERROR, WARNING or CHECK.
#
# Usage: kernel/scripts/checkpatch.sh [PATCH...]   (default: the whole series)
# Extra checkpatch.pl arguments can be given in $CHECKPATCH_ARGS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need perl
ensure_prepared >/dev/null

if [ $# -gt 0 ]; then
	patches=("$@")
else
	patches=()
	while read -r p; do patches+=("$PATCH_DIR/$p"); done < <(series_patches)
fi
step "checkpatch --strict on ${#patches[@]} patches"
t0=$(now)
bad=0
for p in "${patches[@]}"; do
	[ -f "$p" ] || die "patch $p not found"
	# shellcheck disable=SC2086
	out=$(cd "$PATCHED_DIR" && perl scripts/checkpatch.pl --strict --no-color --showfile --terse ${CHECKPATCH_ARGS:-} "$p" 2>&1) || true
	summary=$(cd "$PATCHED_DIR" && perl scripts/checkpatch.pl --strict --no-color ${CHECKPATCH_ARGS:-} "$p" 2>&1 | grep -E '^total: ' || true)
	if grep -qE '(ERROR|WARNING|CHECK):' <<<"$out" || [ -z "$summary" ]; then
		bad=$((bad + 1))
		echo "FAIL ${p##*/}: ${summary:-checkpatch did not run}"
		grep -E '(ERROR|WARNING|CHECK):' <<<"$out" | sed 's/^/    /' || true
	else
		echo "ok   ${p##*/}: $summary"
	fi
done
if [ "$bad" -gt 0 ]; then
	die "checkpatch: $bad of ${#patches[@]} patches have ERROR/WARNING/CHECK findings"
fi
step "checkpatch: ${#patches[@]} patches clean ($(elapsed "$t0"))"
