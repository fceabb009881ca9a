#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library on a VM's host (issue 17, item 3): a guest with the patched
# kernel offers dma-bufs over a real virtio-vsock device
# (vhost-user-vsock-pci on tests/qemu/build.sh's QEMU, which passes
# VIRTIO_VSOCK_F_SHMEM) to vhost-user-vsock/, and the host program is
# libvshmem's own vshmem-accept --uds, not a test program.
#
#  1. builds vhost-user-vsock and the host's vshmem-accept (meson, in
#     ${VSHMEM_CACHE:-~/.cache/libvshmem}/build-hostlib-<checkout hash>);
#  2. builds the guest's vshmem-offer statically (tests/vm/common.sh);
#  3. gets the test kernel (kernel/scripts/build.sh, cached) and the
#     patched QEMU (tests/qemu/build.sh, cached);
#  4. starts the backend and vshmem-accept --uds (host port 7000), boots
#     the guest as tests/virtio/run.sh does (stage 4c) and runs
#     vshmem-offer to CID 2 in it: SHARE 4 MiB, LEND 2 MiB, LEND+CLEAR
#     1 MiB, LEND read-only 64 KiB. The host checks each buffer against
#     the guest's header (pattern), writes it to a file and releases it;
#     the guest checks that LEND faulted meanwhile and that it got its
#     data (zeros with CLEAR) back. The host's file of the last offer is
#     compared with the pattern computed here. Last, a LEND the guest
#     reclaims while a second vshmem-accept (port 7001) holds it: the
#     host's view must be gone (a read faults) and the guest's data back.
#     Then a LEND still outstanding when the guest powers off (port 7002):
#     the device stops, the connection ends, and the host's view must be
#     gone as well.
#
# Usage: tests/virtio/host-lib.sh [--kernel IMAGE] [--timeout S] [--tap] [--keep]
#   --kernel IMG   boot IMG instead of building the kernel
#   --timeout S    limit for the guest run (default 600)
#   --tap          only the TAP result lines on stdout ("ok 0 host_lib_..."),
#                  everything else on stderr (tests/virtio/run.sh uses it)
#   --keep         keep the run directory
# Exit: 0 when every case passed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/kernel/scripts/lib.sh"	# VSHMEM_CACHE, step, info, die...
. "$root/tests/vm/common.sh"
. "$root/tests/virtio/host-side.sh"

kernel= timeout_s=600 tap_only=0 keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?--kernel needs an image}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	--tap) tap_only=1 ;;
	--keep) keep=1 ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
# With --tap, stdout is for the result lines only.
if [ "$tap_only" = 1 ]; then
	exec 3>&1 1>&2
else
	exec 3>&1
fi

# The cases, in the guest's order: name and vshmem-offer's options.
# Sizes differ, so that the host's line of each case can be told.
cases=(share "--kind=share --size=4194304 --seed=3"
       lend "--kind=lend --size=2097152 --seed=5"
       lend_clear "--kind=lend --clear --size=1048576 --seed=7"
       lend_readonly "--kind=lend --readonly --size=65536 --seed=9")
ncases=$((${#cases[@]} / 2))
declare -A result=()
report() {	# every case gets a line, also when the run stopped early
	local i name
	for ((i = 0; i < ${#cases[@]}; i += 2)); do
		name=${cases[i]}
		echo "${result[$name]:-not ok 0 host_lib_$name # not run}" >&3
	done
	echo "${result[host_file]:-not ok 0 host_lib_host_file # not run}" >&3
	echo "${result[reclaim]:-not ok 0 host_lib_reclaim # not run}" >&3
	echo "${result[vm_gone]:-not ok 0 host_lib_vm_gone # not run}" >&3
	echo "${result[run]:-not ok 0 host_lib_run # not run}" >&3
}
run= apid= rpid= gpid= HS_BPID= HS_PID=
cleanup() {
	local rc=$?
	[ -z "$apid" ] || kill "$apid" 2>/dev/null || true
	[ -z "$rpid" ] || kill "$rpid" 2>/dev/null || true
	[ -z "$gpid" ] || kill "$gpid" 2>/dev/null || true
	[ -z "$HS_PID" ] || kill "$HS_PID" 2>/dev/null || true
	[ -z "$HS_BPID" ] || kill "$HS_BPID" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -z "$run" ] || [ "$keep" = 1 ] || rm -rf "$run"
	report
	exit "$rc"
}
trap cleanup EXIT
need meson ninja gcc pkg-config python3

# ---- 1. the host side
hs_build "$root"
accept_bin=$HS_ACCEPT

# ---- 2. the guest's vshmem-offer, 3. kernel and QEMU
vm_build_lib "$root" x86_64
offer_bin=$VM_B/examples/vshmem-offer
hs_kernel_qemu "$root" "$kernel"
kernel=$HS_KERNEL qemu_shmem=$HS_QEMU

# ---- 4. backend, host program, guest
run=$(mktemp -d "${TMPDIR:-/tmp}/vshmem-hostlib.XXXXXX")
hs_start_backend "$run"
# --hold: vshmem-offer reads its LEND buffer right after offering and
# wants that read to fault; a host that releases first (64 KiB are
# checked in no time) would give it back before that read.
hs_start_peer "$run" 7000 "$run/accept.log" "$accept_bin" --uds="$run/vsock" \
	--count="$ncases" --hold=1000 --output="$run/last.bin" 7000
apid=$HS_PID
# the reclaim case: held for 8 s, the guest takes it back after 1 s
hs_start_peer "$run" 7001 "$run/reclaim.log" "$accept_bin" --uds="$run/vsock" \
	--count=1 --hold=8000 7001
rpid=$HS_PID
# the power-off case: held for 8 s, the guest is gone after 3
hs_start_peer "$run" 7002 "$run/gone.log" "$accept_bin" --uds="$run/vsock" \
	--count=1 --hold=8000 7002
gpid=$HS_PID
info "backend pid $HS_BPID, vshmem-accept pid $apid, run directory $run"

# one line per case: "host_lib: NAME rc=N"
{
	for ((i = 0; i < ${#cases[@]}; i += 2)); do
		echo "vshmem-offer ${cases[i + 1]} 2:7000; echo \"host_lib: ${cases[i]} rc=\$?\""
	done
	echo "vshmem-offer --kind=lend --size=1M --seed=11 --reclaim-after=1000 2:7001;" \
		"echo \"host_lib: reclaim rc=\$?\""
	# last: the guest powers off with this offer outstanding
	echo "vshmem-offer --kind=lend --size=1M --seed=13 2:7002 & sleep 3; echo host_lib: vm_gone"
} > "$run/guest.sh"
step "vshmem-offer in the guest, vshmem-accept --uds on the host (patched QEMU)"
set +e
VSHMEM_QEMU_X86=$qemu_shmem "$root/kernel/scripts/vm-run.sh" --kernel "$kernel" \
	--timeout "$timeout_s" --vhost-user-vsock "$run/vhost.sock" \
	--add "$offer_bin" --script "$run/guest.sh" 2>&1 | tee "$run/vm.out"
vrc=${PIPESTATUS[0]}
set -e
# vshmem-accept exits after the last offer; give it a moment
for _ in $(seq 50); do
	kill -0 "$apid" 2>/dev/null || break
	sleep 0.1
done
arc=$(wait "$apid" 2>/dev/null; echo $?)
apid=
for _ in $(seq 150); do	# its hold ends 8 s after the offer came
	kill -0 "$rpid" 2>/dev/null || break
	sleep 0.1
done
rrc=$(wait "$rpid" 2>/dev/null; echo $?)
rpid=
for _ in $(seq 150); do
	kill -0 "$gpid" 2>/dev/null || break
	sleep 0.1
done
gonerc=$(wait "$gpid" 2>/dev/null; echo $?)
gpid=
echo "--- vshmem-accept --uds (exit $arc):"
cat "$run/accept.log"
echo "--- vshmem-accept --uds --hold, reclaimed (exit $rrc):"
cat "$run/reclaim.log"
echo "--- vshmem-accept --uds --hold, the guest powered off (exit $gonerc):"
cat "$run/gone.log"

# ---- results: the guest's exit code for each case, and the host's check
# of the same offer (accept's "pattern verified" line, in order)
for ((i = 0; i < ${#cases[@]}; i += 2)); do
	name=${cases[i]}
	size=$(sed 's/.*--size=\([0-9]*\).*/\1/' <<<"${cases[i + 1]}")
	grc=$(sed -n "s/^host_lib: $name rc=\([0-9]*\).*/\1/p" "$run/vm.out" | tr -d '\r' | tail -n1)
	[ -n "$grc" ] || continue
	host=$(grep -o "pattern verified ($size bytes)" "$run/accept.log" | head -n1 || true)
	if [ "$grc" = 0 ] && [ -n "$host" ]; then
		result[$name]="ok 0 host_lib_$name # guest: offered, got it back intact; host: $host"
	else
		result[$name]="not ok 0 host_lib_$name # guest exit $grc, host: ${host:-no verified pattern}"
	fi
done
# The last buffer as the host wrote it: vshmem-offer's pattern, seed 9
# (examples/common.c: fill_pattern), computed here independently.
want=$(python3 -c '
import struct
n, seed = 65536, 9
print(b"".join(struct.pack("<Q", (off * 0x9e3779b97f4a7c15 & (2**64 - 1)) ^ seed)
               for off in range(0, n, 8)).hex())' 2>/dev/null || true)
if [ -f "$run/last.bin" ] && [ "$(od -An -v -tx1 "$run/last.bin" | tr -d ' \n')" = "$want" ]; then
	result[host_file]="ok 0 host_lib_host_file # the host's copy of the last offer is the guest's pattern"
else
	result[host_file]="not ok 0 host_lib_host_file # the host's file differs from the pattern (or is missing)"
fi
grc=$(sed -n 's/^host_lib: reclaim rc=\([0-9]*\).*/\1/p' "$run/vm.out" | tr -d '\r' | tail -n1)
if [ "$grc" = 0 ] && [ "$rrc" = 0 ] && grep -q 'vshmem-offer: reclaimed' "$run/vm.out" &&
   grep -q "the view of the guest's pages is gone" "$run/reclaim.log"; then
	result[reclaim]="ok 0 host_lib_reclaim # the guest took a LEND back: the host's view faults, the guest's data is intact"
elif [ -n "$grc" ]; then
	result[reclaim]="not ok 0 host_lib_reclaim # guest exit $grc, host exit $rrc"
fi
if grep -q '^host_lib: vm_gone' "$run/vm.out"; then
	if [ "$gonerc" = 0 ] && grep -q "pattern verified" "$run/gone.log" &&
	   grep -q "the view of the guest's pages is gone" "$run/gone.log"; then
		result[vm_gone]="ok 0 host_lib_vm_gone # the guest powered off with a LEND outstanding: the host's view faults"
	else
		result[vm_gone]="not ok 0 host_lib_vm_gone # host exit $gonerc"
	fi
fi
if [ "$vrc" = 0 ] && [ "$arc" = 0 ]; then
	result[run]="ok 0 host_lib_run # the guest finished clean, vshmem-accept exit 0"
else
	result[run]="not ok 0 host_lib_run # vm-run.sh exit $vrc, vshmem-accept exit $arc"
fi
fails=0
for k in "${!result[@]}"; do
	[[ ${result[$k]} == ok* ]] || fails=$((fails + 1))
done
[ "${#result[@]}" = $((ncases + 4)) ] && [ "$fails" = 0 ]
