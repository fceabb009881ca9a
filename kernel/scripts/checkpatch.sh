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
lock_tree

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
	out=$(cd "$PATCHED_DIR" && perl scripts/checkpatch.pl --strict --no-color --showfile ${CHECKPATCH_ARGS:-} "$p" 2>&1) || true
	summary=$(grep -E '^total: ' <<<"$out" || true)
	if [ -z "$summary" ] || ! grep -qE '^total: 0 errors, 0 warnings, 0 checks' <<<"$summary" ||
	   grep -qE '(^|: )(ERROR|WARNING|CHECK):' <<<"$out"; then
		bad=$((bad + 1))
		echo "FAIL ${p##*/}: ${summary:-checkpatch did not run}"
		sed -n '/^total: /q;p' <<<"$out" | sed 's/^/    /'
	else
		echo "ok   ${p##*/}: $summary"
	fi
done
if [ "$bad" -gt 0 ]; then
	die "checkpatch: $bad of ${#patches[@]} patches have ERROR/WARNING/CHECK findings"
fi
step "checkpatch: ${#patches[@]} patches clean ($(elapsed "$t0"))"
