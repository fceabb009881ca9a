#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shell scripts' --help (meson test --suite cli): printed from each
# script's leading comment block by usage_from_header
# (kernel/scripts/usage.sh), never from hard-coded line ranges that go
# stale when the header changes. Runs only `SCRIPT --help`. TAP output.
#
#   tests/unit/check-script-help.sh SOURCE_ROOT
set -uo pipefail
root=$1
. "$root/kernel/scripts/usage.sh"
n=0 failed=0
tap() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

stale=$(cd "$root" && grep -rln --include='*.sh' "sed -n '[0-9]*,[0-9]*p' \"\$0\"" . || true)
[ -z "$stale" ]
tap $? "no script prints its help with sed -n 'A,Bp' \"\$0\" ${stale:+($stale)}"

for f in "$root"/kernel/scripts/*.sh "$root"/tests/*.sh "$root"/tests/*/*.sh; do
	# bench_common_opt (tests/vm/common.sh) calls usage_from_header for
	# the bench scripts; a sourced helper itself (no #! line) has no --help.
	grep -Eq 'usage_from_header "\$0"|bench_common_opt "\$@"' "$f" || continue
	head -c 2 "$f" | grep -q '^#!' || continue
	name=${f#"$root"/}
	out=$(bash "$f" --help </dev/null 2>&1)
	rc=$?
	want=$(usage_from_header "$f")
	[ "$rc" = 0 ] && [ -n "$out" ] && [ "$out" = "$want" ] &&
		! grep -Eq '^#!|SPDX-License-Identifier|^(set|\.|root=) ' <<<"$out"
	tap $? "$name --help prints its header comment (exit $rc, $(wc -l <<<"$out") lines)"
done
echo "1..$n"
[ "$failed" = 0 ]
