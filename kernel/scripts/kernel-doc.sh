#!/bin/bash
# Run the prepared tree's scripts/kernel-doc -none on every C file and
# header the series touches (the series' diff against the pristine tree);
# fail on any warning or error. A reviewer runs it over what a series
# changes, so pre-existing problems in a touched file count too.
#
# Usage: kernel/scripts/kernel-doc.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need perl
ensure_prepared >/dev/null
lock_tree

mapfile -t files < <(git -C "$PATCHED_DIR" diff --name-only pristine HEAD -- '*.c' '*.h')
step "kernel-doc -none on ${#files[@]} files the series touches"
t0=$(now)
bad=0
for f in "${files[@]}"; do
	[ -f "$PATCHED_DIR/$f" ] || continue	# removed by the series
	out=$(cd "$PATCHED_DIR" && perl scripts/kernel-doc -none "$f" 2>&1) || true
	if [ -n "$out" ]; then
		bad=$((bad + 1))
		echo "FAIL $f"
		sed 's/^/    /' <<<"$out"
	fi
done
if [ "$bad" -gt 0 ]; then
	die "kernel-doc: $bad of ${#files[@]} files have findings"
fi
step "kernel-doc: ${#files[@]} files clean ($(elapsed "$t0"))"
