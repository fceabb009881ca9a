#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vshmem-bench guest -> host over the real virtio-vsock device (issue 17,
# item 5): the guest (patched kernel, patched QEMU's vhost-user-vsock-pci,
# tests/qemu/build.sh) runs the sizes suite against a peer on its host:
# SHARE and LEND offers of 4K ... 64M, each until the host released it,
# vs copying the same bytes over the same device (a plain stream write and
# the host's 1-byte ack).
#
#  1. builds vhost-user-vsock and vshmem-bench for the host
#     (tests/virtio/host-side.sh), vshmem-bench statically for the guest
#     (tests/vm/common.sh), gets the kernel and the patched QEMU (cached);
#  2. starts the backend and the host's peer, `vshmem-bench --serve=5200
#     --uds=RUN/vsock`: the guest's offers arrive through the library's
#     host API (vshmem_channel_listen_uds(), each released at once), the
#     copies on RUN/vsock_5201 (read in full, then acknowledged);
#  3. boots the guest (TCG, one CPU: see tests/vm/bench.sh) and runs
#     `vshmem-bench --peer=host:5200 --suite=sizes` there;
#  4. writes OUT/bench-virtio.txt (the table) and bench-virtio.json.
#
# Usage: tests/virtio/bench.sh [--kernel IMG] [--out DIR] [--timeout S]
#                              [-- VSHMEM-BENCH-ARGS...]
#   --kernel IMG   boot IMG instead of building the kernel
#   --out DIR      where results go (default $VSHMEM_CACHE/bench/virtio-<date>)
#   --timeout S    limit for the guest run (default 1800)
# Arguments after -- go to the guest's vshmem-bench instead of the default
# --max-size=64M (each point then takes at least 0.5 s and 3 repetitions,
# at most 200: the medians of one run; the whole run takes ~2 minutes);
# they come after --suite=sizes: `-- --max-size=64M --suite=stages` runs
# the stages suite instead (where an offer's time goes across the device,
# send vs back, 4K/1M/16M/64M), `--suite=sizes,stages` both.
# Exit: 0 when the benchmark ran, 1 when it could not.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/kernel/scripts/lib.sh"	# VSHMEM_CACHE, step, info, die...
. "$root/tests/vm/common.sh"
. "$root/tests/virtio/host-side.sh"

kernel='' out='' timeout_s=1800 port=5200
bench_args=(--max-size=64M)
while [ $# -gt 0 ]; do
	case "$1" in
	--) shift; bench_args=("$@"); break ;;
	*) bench_common_opt "$@"; shift ;;
	esac
	shift
done
need meson ninja gcc pkg-config
export VSHMEM_ACCEL=tcg	# TCG numbers, as every other table
t_start=$(now)
[ -n "$out" ] || out=$VSHMEM_CACHE/bench/virtio-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

# ---- 1. host and guest programs, kernel, QEMU
hs_build "$root" tools/vshmem-bench
host_bench=$HS_B/tools/vshmem-bench
vm_build_lib "$root" x86_64
meson compile -C "$VM_B" tools/vshmem-bench > "$VM_B/compile-bench.log" 2>&1 ||
	{ tail -n 40 "$VM_B/compile-bench.log" >&2; die "building vshmem-bench failed (log: $VM_B/compile-bench.log)"; }
guest_bench=$VM_B/tools/vshmem-bench
hs_kernel_qemu "$root" "$kernel"
kernel=$HS_KERNEL qemu_shmem=$HS_QEMU

# ---- 2. backend and the host's peer
hs_begin vbench
hs_start_peer "$run" "$port" "$run/peer.log" \
	"$host_bench" --serve="$port" --uds="$run/vsock"
info "backend pid $HS_BPID, host peer pid $HS_PID"

# ---- 3. the guest
cat > "$run/guest.sh" <<GUEST
set -e
vshmem-bench --peer=host:$port --suite=sizes --json-file=/tmp/b.json ${bench_args[*]}
echo "@@JSON-BEGIN@@"
cat /tmp/b.json
echo "@@JSON-END@@"
GUEST
step "vshmem-bench in the guest, its peer on the host (patched QEMU, vhost-user-vsock-pci)..."
set +e
VSHMEM_QEMU_X86=$qemu_shmem "$root/kernel/scripts/vm-run.sh" --kernel "$kernel" \
	--smp 1 --timeout "$timeout_s" --vhost-user-vsock "$run/vhost.sock" \
	--add "$guest_bench" --script "$run/guest.sh" 2>&1 | tr -d '\r' | tee "$run/vm.out"
vrc=${PIPESTATUS[0]}
set -e
if kill -0 "$HS_PID" 2>/dev/null; then	# the peer serves forever: stop it
	kill "$HS_PID"
	wait "$HS_PID" 2>/dev/null || true
else
	cat "$run/peer.log" >&2
	die "the host's peer died during the run"
fi
HS_PID=
[ "$vrc" = 0 ] || die "the guest's run failed (vm-run.sh exit $vrc)"

# ---- 4. results
sed -n '/@@JSON-BEGIN@@/,/@@JSON-END@@/p' "$run/vm.out" | sed '1d;$d' > "$out/bench-virtio.json"
# the text tables: from the first table title to the JSON marker
sed -n '/^vshmem-bench [0-9]/,/@@JSON-BEGIN@@/p' "$run/vm.out" | sed '$d' > "$out/bench-virtio.txt"
[ -s "$out/bench-virtio.txt" ] || die "no table in the guest's output"
step "results in $out ($(elapsed "$t_start") in all)"
cat "$out/bench-virtio.txt"
