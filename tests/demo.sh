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
#   2. the example tools vshmem-offer / vshmem-accept on 64 MiB buffers.
# Nothing is simulated: every line is printed by a program in the guest as
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
t_start=$(now)

vm_build_lib "$root"
mkdir -p "$VM_B/vm"
vm_build_prog "$root" "$root/tests/vm/demo.c" "$VM_B/vm/demo"
if [ -z "$kernel" ]; then
	vm_kernel "$root" 0
	kernel=$VM_KERNEL
fi

guest=$(mktemp "${TMPDIR:-/tmp}/vshmem-demo.XXXXXX.sh")
trap 'rm -f "$guest"' EXIT
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
GUEST

step "booting the guest for the demo..."
"$root/kernel/scripts/vm-run.sh" --kernel "$kernel" \
	--add "$VM_B/vm/demo" --add "$VM_B/examples/vshmem-offer" \
	--add "$VM_B/examples/vshmem-accept" --script "$guest"
step "demo finished ($(elapsed "$t_start") in all)"
