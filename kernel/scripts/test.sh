#!/bin/bash
# The kernel half of the project's test command. Steps, in order:
#   series        kernel/patches is the format-patch output of its branch
#                 (series-to-branch.sh, then branch-to-series.sh --check)
#   checkpatch    checkpatch.pl --strict on the series
#   kernel-doc    scripts/kernel-doc -none on every file the series touches
#   build-x86_64  W=1 build of the x86_64 test kernel
#   build-arm64   W=1 build for arm64 (build-only check)
#   kunit         the series' KUnit suites, at boot of the x86_64 test kernel
#   guest-tests   static test programs in one QEMU guest (guest-tests.sh)
#   vsock-test    upstream vsock_test over loopback in QEMU (vsock-selftest.sh)
# with --debug also:
#   build-debug, guest-tests-debug, vsock-test-debug (KASAN/kmemleak/lockdep kernel)
# Every step runs even if an earlier one failed (steps that need the x86_64
# kernel are skipped when its build failed); a summary table with timings is
# printed at the end; exit status is non-zero if any step failed.
#
# Usage: kernel/scripts/test.sh [--debug] [--skip STEP[,STEP...]] [--only STEP[,STEP...]]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
set +e

debug=${VSHMEM_KERNEL_DEBUG:-0} skip=, only=
while [ $# -gt 0 ]; do
	case "$1" in
	--debug) debug=1 ;;
	--skip) skip+="${2:?},"; shift ;;
	--only) only+="${2:?},"; shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done

S=$KERNEL_DIR/scripts
names=() results=() times=()
failed=0
T0=$(now)

record() { # name result seconds
	names+=("$1") results+=("$2") times+=("$3")
	[ "$2" = FAIL ] && failed=$((failed + 1))
	return 0
}
wanted() {
	[[ $skip == *",$1,"* || $skip == "$1,"* ]] && return 1
	[ -z "$only" ] || [[ ",$only" == *",$1,"* ]]
}
run() { # name command...
	local name=$1 t rc
	shift
	if ! wanted "$name"; then record "$name" skipped 0; return 0; fi
	printf '\n==> [%s] %s\n' "$name" "$*"
	t=$(now)
	"$@"
	rc=$?
	if [ "$rc" = 0 ]; then record "$name" ok $(( $(now) - t )); else record "$name" FAIL $(( $(now) - t )); fi
	return "$rc"
}

series_round_trip() {
	"$S/series-to-branch.sh" --branch ci-round-trip --force >/dev/null &&
		"$S/branch-to-series.sh" --branch ci-round-trip --check
}

step "kernel tests ($(series_count) patches in the series)"
if ! run prepare "$S/prepare.sh"; then
	failed=1
else
	run series series_round_trip
	run checkpatch "$S/checkpatch.sh"
	run kernel-doc "$S/kernel-doc.sh"
	x86=
	if run build-x86_64 "$S/build.sh" --arch x86_64; then
		x86=$(build_dir x86_64 0)/arch/x86/boot/bzImage
	fi
	run build-arm64 "$S/build.sh" --arch arm64
	if [ -n "$x86" ]; then
		run kunit "$S/kunit.sh" --kernel "$x86"
		run guest-tests "$S/guest-tests.sh" --kernel "$x86"
		run vsock-test "$S/vsock-selftest.sh" --kernel "$x86"
	else
		for t in kunit guest-tests vsock-test; do record "$t" "skipped (no kernel)" 0; done
	fi
	if [ "$debug" = 1 ]; then
		dbg=
		if run build-debug "$S/build.sh" --arch x86_64 --debug; then
			dbg=$(build_dir x86_64 1)/arch/x86/boot/bzImage
		fi
		if [ -n "$dbg" ]; then
			run guest-tests-debug "$S/guest-tests.sh" --debug --kernel "$dbg"
			run vsock-test-debug "$S/vsock-selftest.sh" --debug --kernel "$dbg"
		else
			record guest-tests-debug "skipped (no kernel)" 0; record vsock-test-debug "skipped (no kernel)" 0
		fi
	fi
fi

echo
echo "==> kernel test summary ($(series_count) patches, total $(elapsed "$T0"))"
printf '    %-20s %-20s %6s\n' STEP RESULT TIME
pass=0
for i in "${!names[@]}"; do
	printf '    %-20s %-20s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
	[ "${results[$i]}" = ok ] && pass=$((pass + 1))
done
echo "kernel: $pass passed, $failed failed"
[ "$failed" = 0 ]
