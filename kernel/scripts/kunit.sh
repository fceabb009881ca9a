#!/bin/bash
# Run the KUnit suites of kernel/.kunitconfig with the patched tree's
# tools/testing/kunit/kunit.py. UML (--arch=um) by default, falling back to
# QEMU x86_64 when UML fails to build or boot here.
#
# Usage: kernel/scripts/kunit.sh [--arch um|x86_64] [-- KUNIT_PY_ARGS...]
# The build directory is $VSHMEM_CACHE/kernel/kunit-<arch> (outside the
# source tree, which kunit.py needs clean; it stays clean: all our builds
# are O= builds). Exits non-zero if any test failed or nothing ran.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=(um x86_64)
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arches=("${2:?}"); shift ;;
	--arch=*) arches=("${1#--arch=}") ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	--) shift; break ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
need python3 make gcc
KUNITCONFIG=$KERNEL_DIR/.kunitconfig
[ -f "$KUNITCONFIG" ] || die "$KUNITCONFIG not found"
ensure_prepared >/dev/null
lock_tree
[ -f "$PATCHED_DIR/.config" ] && die "$PATCHED_DIR has an in-tree .config: kunit.py needs a clean source tree (make mrproper there)"

cc=gcc
command -v ccache >/dev/null 2>&1 && cc="ccache gcc"

run_kunit() { # arch
	local a=$1 bdir=$KCACHE/kunit-$1 log=$KCACHE/kunit-$1.log
	shift
	local args=(run --kunitconfig="$KUNITCONFIG" --build_dir="$bdir" --jobs="$JOBS" --timeout=300)
	args+=(--make_options="CC=$cc")
	[ "$a" != um ] && args+=(--arch="$a" --qemu_args="-accel tcg")
	[ "$a" = um ] && args+=(--arch=um)
	# Rebuild from scratch when the patched tree was re-created.
	if [ "$(cat "$bdir/.series-stamp" 2>/dev/null)" != "$(cat "$PATCHED_STAMP")" ]; then
		rm -rf "$bdir"
	fi
	mkdir -p "$bdir"
	cat "$PATCHED_STAMP" > "$bdir/.series-stamp"
	step "running KUnit ($a): kunit.py ${args[*]} $*"
	local rc=0
	(cd "$PATCHED_DIR" && python3 tools/testing/kunit/kunit.py "${args[@]}" "$@") > "$log" 2>&1 || rc=$?
	# kunit.py prints e.g. "Testing complete. Ran 9 tests: passed: 9"
	summary=$(grep -E 'Testing complete\.|Ran [0-9]+ tests' "$log" | tail -n1 | sed 's/\x1b\[[0-9;]*m//g' || true)
	grep -E '^\[[0-9:]+\] ' "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete|=====|Elapsed' | tail -n 40 || true
	return "$rc"
}

t0=$(now)
rc=1 used=
for a in "${arches[@]}"; do
	rc=0
	run_kunit "$a" "$@" || rc=$?
	used=$a
	if [ -n "${summary:-}" ] || [ "${#arches[@]}" -eq 1 ]; then
		break
	fi
	# No summary: kunit.py did not get as far as running tests (build/boot problem).
	warn "KUnit on $a did not run (exit $rc, log $KCACHE/kunit-$a.log):"
	tail -n 15 "$KCACHE/kunit-$a.log" >&2
	[ "$a" = um ] && info "falling back to QEMU x86_64"
done

log=$KCACHE/kunit-$used.log
if [ -z "${summary:-}" ]; then
	tail -n 30 "$log" >&2
	die "KUnit ($used) did not run any test (exit $rc, log: $log)"
fi
total=$(sed -nE 's/.*Ran ([0-9]+) tests.*/\1/p' <<<"$summary")
passed=$(sed -nE 's/.*passed: ([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*failed: ([0-9]+).*/\1/p' <<<"$summary")
crashed=$(sed -nE 's/.*crashed: ([0-9]+).*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.*skipped: ([0-9]+).*/\1/p' <<<"$summary")
echo "kunit ($used): ${passed:-0} passed, $(( ${failed:-0} + ${crashed:-0} )) failed, ${skipped:-0} skipped (of ${total:-0}; $(elapsed "$t0"))"
if [ "$rc" != 0 ] || [ "${failed:-0}" != 0 ] || [ "${crashed:-0}" != 0 ] || [ "${total:-0}" = 0 ]; then
	die "KUnit ($used) failed (exit $rc, log: $log)"
fi
step "KUnit ($used) passed in $(elapsed "$t0")"
