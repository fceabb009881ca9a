# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# (HS_* are set for the sourcing script)
# shellcheck disable=SC2034
# Sourced (not run): the host's half of a guest->host run over the real
# device, as tests/virtio/host-lib.sh does it, for the scripts that only
# want to show or measure it (tests/demo.sh, tests/virtio/bench.sh).
# Needs kernel/scripts/lib.sh (VSHMEM_CACHE, step, info, die) sourced first.

# hs_build ROOT [TARGET...]: builds vhost-user-vsock, vshmem-accept and the
# extra meson targets in the host build directory host-lib.sh uses; sets
# HS_B (that directory), HS_BACKEND and HS_ACCEPT.
hs_build() {
	local root=$1
	shift
	pkg-config --exists libdpdk ||
		die "DPDK's rte_vhost is missing (tests/install-deps.sh installs dpdk-dev)"
	HS_B=$VSHMEM_CACHE/build-hostlib-$(printf '%s' "$root" | sha256sum | cut -c1-12)
	step "building vhost-user-vsock and the host programs in $HS_B..."
	if [ ! -f "$HS_B/build.ninja" ]; then
		rm -rf "$HS_B"
		meson setup "$HS_B" "$root" -Dvhost-user-vsock=enabled -Dtests=disabled \
			-Dman-pages=false -Dwerror=true > "$HS_B.setup.log" 2>&1 ||
			{ cat "$HS_B.setup.log" >&2; die "meson setup failed"; }
	fi
	meson compile -C "$HS_B" vhost-user-vsock/vhost-user-vsock \
		examples/vshmem-accept "$@" > "$HS_B/compile.log" 2>&1 ||
		{ tail -n 40 "$HS_B/compile.log" >&2; die "building failed (log: $HS_B/compile.log)"; }
	HS_BACKEND=$HS_B/vhost-user-vsock/vhost-user-vsock
	HS_ACCEPT=$HS_B/examples/vshmem-accept
}

# hs_kernel_qemu ROOT [IMAGE]: the guest kernel (IMAGE, or the series'
# x86_64 kernel, built if needed) in HS_KERNEL and the QEMU that passes
# the offer feature bit (tests/qemu/build.sh) in HS_QEMU.
hs_kernel_qemu() {
	HS_KERNEL=${2:-}
	if [ -z "$HS_KERNEL" ]; then
		vm_kernel "$1" 0 x86_64
		HS_KERNEL=$VM_KERNEL
	fi
	[ -f "$HS_KERNEL" ] || die "kernel image '$HS_KERNEL' not found"
	HS_QEMU=$("$1/tests/qemu/build.sh" | tail -n1)
}

# hs_stop: ends the host program and the backend started here, if any.
hs_stop() {
	[ -z "${HS_PID:-}" ] || kill "$HS_PID" 2>/dev/null || true
	[ -z "${HS_BPID:-}" ] || kill "$HS_BPID" 2>/dev/null || true
	wait 2>/dev/null || true
}

# hs_begin NAME: a run directory (in $run, removed at exit, when the host
# programs are stopped too) with the backend started in it.
hs_begin() {
	run=$(mktemp -d "${TMPDIR:-/tmp}/vshmem-$1.XXXXXX")
	HS_BPID='' HS_PID=''
	trap 'hs_stop; rm -rf "$run"' EXIT
	hs_start_backend "$run"
}

# hs_wait_socket PATH PID LOG WHAT: waits up to 10 s for the socket PATH
# of the process PID; dies with LOG shown if it never comes.
hs_wait_socket() {
	local _
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	cat "$3" >&2
	die "$4 did not start (no socket $1)"
}

# hs_start_backend RUN: starts the backend with its sockets in RUN (the
# guest's device: RUN/vhost.sock; host programs: RUN/vsock); sets HS_BPID.
hs_start_backend() {
	"$HS_BACKEND" --socket "$1/vhost.sock" --uds-path "$1/vsock" -v \
		> "$1/backend.log" 2>&1 &
	HS_BPID=$!
	hs_wait_socket "$1/vhost.sock" "$HS_BPID" "$1/backend.log" vhost-user-vsock
}

# hs_start_peer RUN PORT LOG CMD...: starts CMD (a host program that
# listens on guest port PORT through RUN/vsock), output to LOG; waits
# until it listens; sets HS_PID.
hs_start_peer() {
	local run=$1 port=$2 log=$3
	shift 3
	"$@" > "$log" 2>&1 &
	HS_PID=$!
	hs_wait_socket "$run/vsock_$port.shmem" "$HS_PID" "$log" "$1"
}

# hs_wait_exit PID SECONDS: waits for PID to end, at most SECONDS; sets
# HS_RC to its exit status (124 if it did not end; then it is killed).
# Not for $(...): a subshell cannot wait for this shell's children.
hs_wait_exit() {
	local _
	for _ in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
		HS_RC=124
		return 0
	fi
	HS_RC=0
	wait "$1" 2>/dev/null || HS_RC=$?
}
