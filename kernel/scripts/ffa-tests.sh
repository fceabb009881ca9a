#!/bin/bash
# The arm64 FF-A suite, against the real SPMC: boots the patched arm64
# kernel behind TF-A + OP-TEE (vm-run-ffa.sh) and runs in it
#   1. kernel/tests/ffa_probe.sh: arm_ffa negotiated FF-A, OP-TEE is 0x8001;
#   2. kernel/tests/shmem_ffa.c (static aarch64): offers of TYPE_FFA over
#      vsock loopback really shared and lent to OP-TEE, reclaimed, refused
#      (read-only, held memory), quarantined and released, SEND_SECURE;
#      and OP-TEE really reading them: the borrower hands each handle to
#      OP-TEE's invoke-tests pseudo TA through /dev/tee0
#      (TEE_IOC_SHM_REGISTER_FFA), which sums every byte and writes the
#      sum at offset 0 for the lender to check; every FF-A and TEE call
#      and its result is printed.
#
# Usage: kernel/scripts/ffa-tests.sh [--kernel IMAGE] [--ffa-src DIR]
# Exit: 0 when both passed and the kernel reported nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pass=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel|--ffa-src) pass+=("$1" "${2:?$1 needs a value}"); shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
need aarch64-linux-gnu-gcc

out=$KCACHE/bin/ffa-tests
rm -rf "$out"; mkdir -p "$out"
step "compiling the FF-A guest test (static aarch64)..."
GUEST_ARCH=arm64 compile_guest "$KERNEL_DIR/tests/shmem_ffa.c" "$out/shmem_ffa" -I "$KERNEL_DIR/tests"
cp "$KERNEL_DIR/tests/ffa_probe.sh" "$out/ffa_probe.sh"
cat > "$out/run.sh" <<'SCRIPT'
rc=0
sh /bin/ffa_probe.sh || rc=1
/bin/shmem_ffa || rc=1
exit $rc
SCRIPT
exec "$KERNEL_DIR/scripts/vm-run-ffa.sh" "${pass[@]}" --add "$out/shmem_ffa" \
	--add "$out/ffa_probe.sh" --script "$out/run.sh"
