#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The virtio-vsock suite (issue 17): a real virtio-vsock device between the
# x86_64 test guest and host programs, through QEMU's vhost-user-vsock-pci
# and this repository's backend (vhost-user-vsock/).
#
#  1. builds vhost-user-vsock (meson, on the host, DPDK's rte_vhost) and
#     the host test program tests/virtio/vv_host.c in
#     ${VSHMEM_CACHE:-~/.cache/libvshmem}/build-virtio-<checkout hash>;
#  2. builds the guest program tests/virtio/vv_guest.c statically against
#     the VM suite's static library (tests/vm/common.sh);
#  3. gets the test kernel from kernel/scripts/build.sh (cached; it has the
#     virtio-vsock driver);
#  4. starts the backend and vv_host, boots the guest with
#     kernel/scripts/vm-run.sh --vhost-user-vsock and runs vv_guest in it:
#     stream and seqpacket echo both ways, 8 MiB each way byte-checked,
#     48 connections at once, ordering, seqpacket boundaries, RST and
#     shutdown cases, and last the backend SIGKILLed (the guest must keep
#     running);
#  4b. runs tests/virtio/vv_front.c against back ends of its own: the vhost-user
#     front end and guest driver in one host program, because QEMU 7.2
#     does not pass VIRTIO_VSOCK_F_SHMEM to a guest: it negotiates the bit,
#     offers memory and sends hostile descriptors (docs/design.md 8.11);
#  4c. boots the guest again on the patched QEMU (tests/qemu/build.sh),
#     where the real driver negotiates VIRTIO_VSOCK_F_SHMEM, and runs
#     kernel/tests/shmem_virtio.c against tests/virtio/vv_borrower.c and a
#     backend with --inject-hostile: SHARE, LEND, LEND+CLEAR, hostile
#     descriptors, the host program killed mid-loan, a device reset with a
#     LEND outstanding, and last the backend killed mid-loan;
#  5. prints the TAP stream (also saved under $VSHMEM_CACHE/kernel/logs/)
#     and the backend's log on failure.
#
# Usage: tests/virtio/run.sh [--kernel IMAGE] [--timeout S] [--keep]
#   --kernel IMG   boot IMG instead of building the kernel
#   --timeout S    limit for the guest run (default 600)
#   --keep         keep the run directory (sockets, logs)
# Exit: 0 when every case passed, the guest finished and its kernel
# reported nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/kernel/scripts/lib.sh"	# VSHMEM_CACHE, KCACHE, step, info, die...
. "$root/tests/vm/common.sh"

# Debian packages of this suite (tests/install-deps.sh installs them)
VIRTIO_APT_PACKAGES="dpdk-dev pkg-config"

kernel= timeout_s=600 keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?--kernel needs an image}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	--keep) keep=1 ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
need meson ninja gcc pkg-config qemu-system-x86_64
pkg-config --exists libdpdk || die "DPDK's rte_vhost is missing: apt-get install -y $VIRTIO_APT_PACKAGES"
t_start=$(now)

# ---- 1. the backend and the host program
HB=$VSHMEM_CACHE/build-virtio-$(printf '%s' "$root" | sha256sum | cut -c1-12)
step "building vhost-user-vsock and vv_host in $HB..."
t0=$(now)
if [ ! -f "$HB/build.ninja" ]; then
	rm -rf "$HB"
	meson setup "$HB" "$root" -Dvhost-user-vsock=enabled -Dtests=disabled \
		-Dman-pages=false -Dwerror=true > "$HB.setup.log" 2>&1 ||
		{ cat "$HB.setup.log" >&2; die "meson setup failed"; }
fi
meson compile -C "$HB" vhost-user-vsock/vhost-user-vsock > "$HB/compile.log" 2>&1 ||
	{ tail -n 40 "$HB/compile.log" >&2; die "building vhost-user-vsock failed (log: $HB/compile.log)"; }
backend_bin=$HB/vhost-user-vsock/vhost-user-vsock
for p in vv_host vv_front vv_borrower; do
	gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread \
		-o "$HB/$p" "$root/tests/virtio/$p.c" || die "compiling $p.c failed"
done
info "done ($(elapsed "$t0"))"

# ---- 2. the guest program
vm_build_lib "$root" x86_64
gbin=$VM_B/virtio
mkdir -p "$gbin"
vm_build_prog "$root" "$root/tests/virtio/vv_guest.c" "$gbin/vv_guest" x86_64
compile_guest "$root/kernel/tests/shmem_virtio.c" "$gbin/shmem_virtio" -I "$root/kernel/tests"
expected=$("$gbin/vv_guest" --list)
expected+=$'\n'shmem_virtio_none

# ---- 3. kernel
if [ -z "$kernel" ]; then
	vm_kernel "$root" 0 x86_64
	kernel=$VM_KERNEL
fi
[ -f "$kernel" ] || die "kernel image '$kernel' not found"

# ---- 4. backend, host program, guest
run=$(mktemp -d "${TMPDIR:-/tmp}/vshmem-virtio.XXXXXX")
bpid= hpid= opid=
cleanup() {
	[ -z "$opid" ] || kill "$opid" 2>/dev/null || true
	[ -z "$hpid" ] || kill "$hpid" 2>/dev/null || true
	[ -z "$bpid" ] || kill "$bpid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ "$keep" = 1 ] || rm -rf "$run"
}
trap cleanup EXIT
"$backend_bin" --socket "$run/vhost.sock" --uds-path "$run/vsock" --guest-cid 3 -v \
	> "$run/backend.log" 2>&1 &
bpid=$!
for _ in $(seq 100); do
	[ -S "$run/vhost.sock" ] && break
	kill -0 "$bpid" 2>/dev/null || { cat "$run/backend.log" >&2; die "vhost-user-vsock did not start"; }
	sleep 0.1
done
[ -S "$run/vhost.sock" ] || die "vhost-user-vsock made no socket in 10 s"
"$HB/vv_host" "$run/vsock" "$bpid" > "$run/host.log" 2>&1 &
hpid=$!
for _ in $(seq 100); do
	[ -S "$run/vsock_5006" ] && break
	sleep 0.1
done
[ -S "$run/vsock_5006" ] || { cat "$run/host.log" >&2; die "vv_host did not start"; }
# shmem_virtio's host program: port 7000, framed (it takes offers)
start_borrower() { # UDS_PATH LOG [BACKEND_PID]
	"$HB/vv_borrower" "$1" 7000 ${3:-} > "$2" 2>&1 &
	opid=$!
	for _ in $(seq 100); do
		[ -S "$1_7000.shmem" ] && return 0
		sleep 0.1
	done
	cat "$2" >&2
	die "vv_borrower did not start"
}
start_borrower "$run/vsock" "$run/borrower.log"
info "backend pid $bpid, host programs pid $hpid and $opid, run directory $run"

guest=$run/guest.sh
# shmem_virtio MODE...: one TAP line per mode (shmem_virtio_MODE), its
# output as comments
cat > "$run/shmem_virtio.sh" <<'G'
rc=0
for m in "$@"; do
	if shmem_virtio "$m" > /tmp/sv.out 2>&1; then r=ok; else r="not ok"; rc=1; fi
	sed 's/^/vv_guest: # /' /tmp/sv.out
	echo "vv_guest: $r 0 shmem_virtio_$m"
done
exit $rc
G
cat > "$guest" <<'G'
sh /bin/shmem_virtio.sh none
echo "@@ BEGIN vv_guest"
VT_CASE_TIMEOUT=240 vv_guest 2>&1 | sed 's/^/vv_guest: /'
rc=$?
echo "@@ END vv_guest rc=$rc"
exit $rc
G
out=$run/vm.out
step "running vv_guest in the guest over vhost-user-vsock-pci"
t0=$(now)
set +e
"$root/kernel/scripts/vm-run.sh" --kernel "$kernel" --timeout "$timeout_s" \
	--vhost-user-vsock "$run/vhost.sock" --add "$gbin/vv_guest" --add "$gbin/shmem_virtio" \
	--add "$run/shmem_virtio.sh" --script "$guest" 2>&1 | tee "$out"
vrc=${PIPESTATUS[0]}
set -e
t_guest=$(elapsed "$t0")

# the backend was SIGKILLed by the last case; a backend still running
# means that case did not get that far
backend_rc=$(wait "$bpid" >/dev/null 2>&1; echo $?)
bpid=

# ---- 4b. OP_SHMEM descriptors: QEMU 7.2 does not pass VIRTIO_VSOCK_F_SHMEM
# to the guest (docs/design.md 8.11), so vv_front is the vhost-user front
# end and the guest driver, against back ends of its own: it negotiates
# the bit and sends good and hostile descriptors, then offers to a program
# that takes them (framed, <uds-path>_P.shmem); the back end's counters
# must then say 6 offers and 9 bad descriptors, and it must hold no more
# fds than before; a test-only INJECT frame, without --inject-hostile,
# resets its connection. Against a back end started with --no-shmem the bit is
# not offered and a descriptor sent anyway is dropped (0 offers, 1 bad).
front_lines= front_expected=
# run_front NAME NCASES COUNTERS [BACKEND-OPTION]: vv_front's cases become
# NAME_1.., plus NAME_fds and NAME_counters
run_front() {
	local name=$1 ncases=$2 want=$3 opt=${4:-} fpid out brc fds0 fds1 counters l
	step "OP_SHMEM descriptors from a stand-in front end (vv_front${opt:+, back end $opt})"
	"$backend_bin" --socket "$run/$name.sock" --uds-path "$run/$name" -vv $opt \
		> "$run/$name-backend.log" 2>&1 &
	fpid=$!
	for _ in $(seq 100); do
		[ -S "$run/$name.sock" ] && break
		sleep 0.1
	done
	set +e
	fds0=$(ls /proc/"$fpid"/fd | wc -l)
	out=$(timeout 60 "$HB/vv_front" "$run/$name.sock" "$run/$name" ${opt:+no-shmem} 2>&1)
	sleep 0.5
	fds1=$(ls /proc/"$fpid"/fd | wc -l)
	kill -TERM "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	brc=$?
	set -e
	echo "$out"
	counters=$(grep -o 'offers [0-9]*, bad descriptors [0-9]*' "$run/$name-backend.log" | tail -n1 || true)
	echo "back end: ${counters:-no counters} (exit $brc)"
	while IFS= read -r l; do
		[[ $l =~ ^(not\ )?ok\ ([0-9]+)\ (.*)$ ]] &&
			front_lines+=$'\n'"${BASH_REMATCH[1]}ok ${BASH_REMATCH[2]} ${name}_${BASH_REMATCH[2]} # ${BASH_REMATCH[3]}"
	done <<<"$out"
	front_expected+=$'\n'$(seq -f "${name}_%g" 1 "$ncases")
	if [ "$fds0" = "$fds1" ]; then
		front_lines+=$'\n'"ok 0 ${name}_fds # the back end holds $fds1 fds, as before"
	else
		front_lines+=$'\n'"not ok 0 ${name}_fds # the back end held $fds0 fds before, $fds1 after"
	fi
	if [ "$counters" = "$want" ] && [ "$brc" = 0 ]; then
		front_lines+=$'\n'"ok 0 ${name}_counters # $counters"
	else
		front_lines+=$'\n'"not ok 0 ${name}_counters # ${counters:-none}, back end exit $brc, want $want"
	fi
	front_expected+=$'\n'"${name}_fds"$'\n'"${name}_counters"
	return 0
}
run_front front 15 "offers 6, bad descriptors 9"
run_front front_noshmem 3 "offers 0, bad descriptors 1" --no-shmem
kill "$opid" 2>/dev/null || true
wait "$opid" 2>/dev/null || true
opid=

# ---- 4c. the real guest driver offers to a host program, through a QEMU
# that passes the feature bit
qemu_shmem=$("$root/tests/qemu/build.sh" | tail -n1)
step "shmem_virtio in the guest on the patched QEMU ($qemu_shmem)"
# The backend may inject descriptors for vv_borrower (hostile cases), and
# vv_borrower SIGKILLs it in the last case (backend-killed).
"$backend_bin" --socket "$run/real.sock" --uds-path "$run/real" -v --inject-hostile \
	> "$run/real-backend.log" 2>&1 &
bpid=$!
for _ in $(seq 100); do
	[ -S "$run/real.sock" ] && break
	sleep 0.1
done
start_borrower "$run/real" "$run/real-borrower.log" "$bpid"
real_modes="share lend lend-clear hostile hostile-none killed reset backend-killed"
real_out=$run/real-vm.out
set +e
# shellcheck disable=SC2086
VSHMEM_QEMU_X86=$qemu_shmem "$root/kernel/scripts/vm-run.sh" --kernel "$kernel" \
	--timeout "$timeout_s" --vhost-user-vsock "$run/real.sock" --add "$gbin/shmem_virtio" \
	--add "$run/shmem_virtio.sh" -- sh /bin/shmem_virtio.sh $real_modes \
	2>&1 | tee "$real_out"
real_vrc=${PIPESTATUS[0]}
set -e
echo "--- vv_borrower:"
cat "$run/real-borrower.log"
grep -h 'device started\|device stopped\|offers [0-9]\|inject' "$run/real-backend.log" || true
kill "$bpid" 2>/dev/null || true	# exited already if backend-killed ran
real_backend_rc=$(wait "$bpid" >/dev/null 2>&1; echo $?)
kill "$opid" 2>/dev/null || true
wait "$opid" 2>/dev/null || true
opid= bpid=
# shellcheck disable=SC2086
expected+=$'\n'$(printf 'shmem_virtio_%s\n' $real_modes)
front_lines+=$'\n'$("$root/tests/virtio/host-lib.sh" --kernel "$kernel" --timeout "$timeout_s" --tap || true)

# ---- 5. TAP
lines=$(for f in "$out" "$real_out"; do sed '/^--- last lines of the console log:/,$d' "$f"; done |
	sed -n 's/^vv_guest: //p' | tr -d '\r')
lines+=$front_lines
expected+=$front_expected
tap=$(mktemp)
pass=0 fail=0 notrun=0 num=0
declare -A seen=()
while IFS= read -r l; do
	if [[ $l =~ ^(not\ )?ok\ [0-9]+\ ([^#\ ]+)\ *(#\ *(.*))?$ ]]; then
		name=${BASH_REMATCH[2]} num=$((num + 1))
		seen[$name]=1
		if [ -n "${BASH_REMATCH[1]}" ]; then
			fail=$((fail + 1)); echo "not ok $num virtio/$name" >> "$tap"
		else
			pass=$((pass + 1)); echo "ok $num virtio/$name # ${BASH_REMATCH[4]}" >> "$tap"
		fi
	elif [[ $l =~ ^# ]]; then
		echo "$l" >> "$tap"
	fi
done <<<"$lines"
while IFS= read -r name; do
	if [ -z "${seen[$name]:-}" ]; then
		num=$((num + 1)) notrun=$((notrun + 1))
		echo "not ok $num virtio/$name # not run" >> "$tap"
	fi
done <<<"$expected"
mkdir -p "$KCACHE/logs"
saved=$KCACHE/logs/virtio-suite-$(date +%Y%m%d-%H%M%S).tap
{ echo "TAP version 13"; echo "1..$num"; cat "$tap"; } > "$saved"
rm -f "$tap"
echo
echo "=== virtio-vsock suite results ==="
cat "$saved"
ok=1
[ $((fail + notrun)) = 0 ] && [ "$num" -gt 0 ] || ok=0
[ "$vrc" = 0 ] || { ok=0; echo "vm-run.sh exit $vrc"; }
[ "$real_vrc" = 0 ] || { ok=0; echo "vm-run.sh exit $real_vrc (patched QEMU)"; }
if [ "$backend_rc" != 137 ] && [ "${seen[backend_killed]:-}" ]; then
	echo "the backend exited with $backend_rc, not by SIGKILL (137)"
	ok=0
fi
if [ "$real_backend_rc" != 137 ] && [ "${seen[shmem_virtio_backend-killed]:-}" ]; then
	echo "the patched QEMU's backend exited with $real_backend_rc, not by SIGKILL (137)"
	ok=0
fi
if [ "$ok" = 0 ] || [ "$keep" = 1 ]; then
	echo "--- backend log ($run/backend.log):"
	tail -n 40 "$run/backend.log"
	echo "--- host program log:"
	tail -n 20 "$run/host.log"
fi
echo "virtio suite: $pass passed, $fail failed, $notrun not run (of $num) in $(elapsed "$t_start") (guest $t_guest)"
echo "TAP: $saved"
if [ "$ok" = 1 ]; then
	step "virtio-vsock suite passed"
	exit 0
fi
echo "ERROR: virtio-vsock suite failed" >&2
exit 1
