#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo: on a fresh Debian 12 machine, one command installs what it
# needs (tests/install-deps.sh), builds libvshmem and the patched kernel
# (cached in ${VSHMEM_CACHE:-~/.cache/libvshmem}), boots the kernel in QEMU
# and shows, in the guest, a SHARE and a LEND offer end to end:
#   1. tests/vm/demo.c: a lender and a borrower process, through the
#      library: what was offered, what the borrower saw in its own mapping,
#      what the lender could not touch while the buffer was lent, and the
#      kernel's debugfs counters;
#   2. the example tools vshmem-offer / vshmem-accept on 64 MiB buffers;
#   3. guest -> host over a real virtio-vsock device: the guest runs on the
#      patched QEMU (tests/qemu/build.sh, cached) with a vhost-user-vsock-pci
#      device served by vhost-user-vsock/ on the host; the guest's
#      vshmem-offer shares 4 MiB and lends 1 MiB to host port 7000, where
#      the host's vshmem-accept --uds maps each, checks the pattern and
#      releases it (the host's lines are shown after the guest's).
# One boot for all three parts. Nothing is simulated: every line is printed by a program in the guest as
# it happens, and the demo fails (exit 1) if a step does not behave as it
# says.
#
# Usage: tests/demo.sh [--kernel IMAGE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/kernel/scripts/usage.sh"
kernel=
case "${1:-}" in
--kernel) kernel=${2:?--kernel needs an image} ;;
-h|--help) usage_from_header "$0"; exit 0 ;;
"") ;;
*) echo "ERROR: unknown option '$1'" >&2; exit 2 ;;
esac

"$root/tests/install-deps.sh"
. "$root/kernel/scripts/lib.sh"
. "$root/tests/vm/common.sh"
. "$root/tests/virtio/host-side.sh"
t_start=$(now)

hs_build "$root"
vm_build_lib "$root"
mkdir -p "$VM_B/vm"
vm_build_prog "$root" "$root/tests/vm/demo.c" "$VM_B/vm/demo"
hs_kernel_qemu "$root" "$kernel"
kernel=$HS_KERNEL qemu_shmem=$HS_QEMU

# the host's side of part 3: the device's backend and the host program,
# which takes the guest's two offers (--hold: see tests/virtio/host-lib.sh;
# vshmem-offer wants its read of the lent buffer to fault first)
hs_begin demo
accept_cmd=(vshmem-accept --uds="$run/vsock" --count=2 --hold=1000 7000)
hs_start_peer "$run" 7000 "$run/accept.log" "$HS_ACCEPT" "${accept_cmd[@]:1}"
guest=$run/guest.sh
cat > "$guest" <<'GUEST'
set -e -o pipefail
echo
echo "================================================================"
echo " libvshmem demo, in a QEMU guest running $(uname -r)"
echo " dma-buf heaps: $(ls /dev/dma_heap | tr '\n' ' ')"
echo "================================================================"
echo
echo "### 1. Through the library: a lender and a borrower process"
demo
echo
echo "### 2. The example tools, 64 MiB each"
for kind in share lend; do
	echo
	echo "\$ vshmem-accept 5000 &"
	echo "\$ vshmem-offer --kind=$kind --size=64M 1:5000"
	vshmem-accept 5000 > /tmp/accept.log 2>&1 &
	pid=$!
	i=0
	while ! grep -q listening /tmp/accept.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	rc=0
	# (the tools' progress lines, "...NN%", are left out)
	vshmem-offer --kind=$kind --size=64M 1:5000 2>&1 | grep -v '[0-9]%$' | sed 's/^/  [offer ] /' || rc=1
	wait $pid || rc=1
	grep -v '[0-9]%$' /tmp/accept.log | sed 's/^/  [accept] /'
	[ $rc = 0 ] || { echo "the $kind session failed"; exit 1; }
done
echo
echo "### The kernel's counters (/sys/kernel/debug/vsock_shmem/stats)"
sed 's/^/  /' /sys/kernel/debug/vsock_shmem/stats
echo
echo "### 3. Guest -> host over the virtio-vsock device (the host is CID 2)"
echo "  (on the host: vhost-user-vsock, and vshmem-accept --uds=... 7000)"
for a in "share 4M 3" "lend 1M 5"; do
	set -- $a
	echo
	echo "\$ vshmem-offer --kind=$1 --size=$2 --seed=$3 2:7000"
	rc=0
	vshmem-offer --kind=$1 --size=$2 --seed=$3 2:7000 2>&1 |
		grep -v '[0-9]%$' | sed 's/^/  [guest offer] /' || rc=1
	[ $rc = 0 ] || { echo "the guest's $1 offer to the host failed"; exit 1; }
done
echo
echo "### The kernel's counters after part 3"
sed 's/^/  /' /sys/kernel/debug/vsock_shmem/stats
GUEST

step "booting the guest for the demo (patched QEMU, vhost-user-vsock-pci)..."
VSHMEM_QEMU_X86=$qemu_shmem "$root/kernel/scripts/vm-run.sh" --kernel "$kernel" \
	--vhost-user-vsock "$run/vhost.sock" \
	--add "$VM_B/vm/demo" --add "$VM_B/examples/vshmem-offer" \
	--add "$VM_B/examples/vshmem-accept" --script "$guest"
hs_wait_exit "$HS_PID" 10
arc=$HS_RC
HS_PID=
echo
echo "### 3, the host's side: \$ ${accept_cmd[*]} (exit $arc)"
grep -v '[0-9]%$' "$run/accept.log" | sed 's/^/  [host accept] /'
# the host must have checked both buffers against the guest's pattern
for size in 4194304 1048576; do
	grep -q "pattern verified ($size bytes)" "$run/accept.log" ||
		die "the host did not verify the guest's $size-byte buffer"
done
[ "$arc" = 0 ] || die "vshmem-accept --uds exited with $arc"
step "demo finished ($(elapsed "$t_start") in all)"
