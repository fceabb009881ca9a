#!/bin/bash
# The project's test command: installs what it needs (tests/install-deps.sh,
# apt), then runs every suite and prints a summary:
#   library   tests/run-library-tests.sh (builds, unit tests, sanitizers,
#             coverage, ABI, install + pkg-config, fuzzing)
#   uapi      tests/check-uapi-sync.sh (library uapi copy == kernel series)
#   kernel    kernel/scripts/test.sh (checkpatch, W=1 builds for x86_64 and
#             arm64, KUnit, the in-guest tests, upstream vsock_test)
#   vm        tests/vm/run.sh: the library's integration suite, the CLIs and
#             the dmabuf-heaps selftest in the QEMU guest
#   vm-debug  the same on the debug kernel (KASAN, kmemleak, lockdep)
#   virtio    tests/virtio/run.sh: a real virtio-vsock device (QEMU's
#             vhost-user-vsock-pci + vhost-user-vsock/) between the x86_64
#             guest and host programs: stream/seqpacket both ways, RST,
#             shutdown, the backend killed, and OP_SHMEM descriptors
#             from a stand-in front end (~35 s under TCG with the kernel
#             and builds cached)
#   vm-arm64  the same suite in the arm64 guest behind TF-A + OP-TEE
#             (tests/vm/run.sh --arch arm64, normal kernel; ~70 s plus the
#             arm64 kernel build if it is not cached)
#   ffa       the arm64 guest behind a real FF-A SPMC (TF-A + OP-TEE, built
#             from ../shared/ffa): arm_ffa finds OP-TEE, and offers of
#             TYPE_FFA are really shared/lent to it (kernel/scripts/ffa-tests.sh)
# Every suite runs even if an earlier one failed; the exit status is
# non-zero if any failed.
#
# Usage: tests/run-all.sh [--skip SUITE[,SUITE...]]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/kernel/scripts/usage.sh"

skip=,
while [ $# -gt 0 ]; do
	case "$1" in
	--skip) skip+="${2:?--skip needs a suite list},"; shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) echo "unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

"$root/tests/install-deps.sh" || { echo "FAIL: could not install the Debian packages" >&2; exit 1; }

# Builds that later suites need start now, at the lowest priority, and use
# the CPU the suites leave idle (single-threaded steps, TCG guests): the
# debug kernel (vm-debug), the patched QEMU (virtio), the FF-A firmware
# (vm-arm64, ffa). Each builder locks its cache, so a suite that gets there
# first waits for the build and then reuses it; a failed prebuild is simply
# done again, with its errors, by the suite that needs it.
prebuild() {
	[[ $skip == *",vm-debug,"* ]] || "$root/kernel/scripts/build.sh" --arch x86_64 --debug
	[[ $skip == *",virtio,"* ]] || "$root/tests/qemu/build.sh"
	[[ $skip == *",vm-arm64,"* && $skip == *",ffa,"* ]] || "$root/kernel/scripts/ffa-firmware.sh"
}
prebuild_log=${VSHMEM_CACHE:-$HOME/.cache/libvshmem}/prebuild.log
mkdir -p "${prebuild_log%/*}"
skip=$skip root=$root setsid nice -n 19 bash -c "$(declare -f prebuild); prebuild" > "$prebuild_log" 2>&1 &
prebuild_pid=$!
trap 'kill -- -$prebuild_pid 2>/dev/null' EXIT
echo "prebuilding in the background at nice 19 (debug kernel, QEMU, FF-A firmware; log: $prebuild_log)"

names=() results=() times=()
failed=0
suite() { # name command...
	local name=$1 t0=$SECONDS rc
	shift
	if [[ $skip == *",$name,"* ]]; then
		names+=("$name") results+=("skipped (--skip)") times+=(0)
		return
	fi
	printf '\n######## %s: %s\n' "$name" "$*"
	"$@"
	rc=$?
	names+=("$name") times+=($((SECONDS - t0)))
	if [ "$rc" = 0 ]; then
		results+=(ok)
	else
		results+=("FAIL (exit $rc)")
		failed=$((failed + 1))
	fi
}

suite library "$root/tests/run-library-tests.sh"
suite uapi "$root/tests/check-uapi-sync.sh"
suite kernel "$root/kernel/scripts/test.sh"
suite vm "$root/tests/vm/run.sh"
suite vm-debug "$root/tests/vm/run.sh" --debug
suite virtio "$root/tests/virtio/run.sh"
suite vm-arm64 "$root/tests/vm/run.sh" --arch arm64
suite ffa "$root/kernel/scripts/ffa-tests.sh"

printf '\n######## summary\n'
for i in "${!names[@]}"; do
	printf '  %-8s %-22s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
done
if [ "$failed" != 0 ]; then
	echo "FAILED: $failed suite(s)"
	exit 1
fi
echo "all suites passed"
