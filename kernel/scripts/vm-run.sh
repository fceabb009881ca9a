#!/bin/bash
# Boot the patched kernel in QEMU (KVM when it works, else TCG) with a
# busybox initramfs and run a command (or a guest shell script) in it; the
# exit code is the command's.
#
# Usage: kernel/scripts/vm-run.sh [options] -- COMMAND [ARGS...]
#        kernel/scripts/vm-run.sh [options] --script FILE
# Options:
#   --arch x86_64        guest architecture (only x86_64; arm64: vm-run-ffa.sh)
#   --debug              use the debug kernel (KASAN, kmemleak, lockdep); runs a
#                        kmemleak scan after the command
#   --add FILE[:DIR]     copy FILE into the guest (default DIR /bin; repeatable);
#                        binaries must be static (no libc in the guest)
#   --script FILE        run FILE with the guest's sh (cwd /tmp) instead of COMMAND
#   --timeout S          kill the VM after S seconds (default 180)
#   --kernel IMAGE       boot this image instead of building one with build.sh
#   --mem SIZE           guest memory (default 1G); --smp N (default 2)
#   --vhost-user-vsock SOCK  give the guest a vhost-user-vsock-pci device whose
#                        backend listens on SOCK (vhost-user-vsock/), with the
#                        guest RAM in a shared memfd, as vhost-user needs
#   --append ARGS        add ARGS to the kernel command line (e.g. kunit.enable=1)
#   --log FILE           write the console log to FILE (default: a new file in
#                        $VSHMEM_CACHE/kernel/logs/)
#   --allow-splats       do not fail on kernel BUG/WARNING/KASAN/lockdep/kmemleak reports
#   --quiet              do not echo the guest console while it runs
# The guest gets proc, sys, devtmpfs, debugfs and a tmpfs /tmp mounted, lo up.
# Accelerator: KVM if a probe boot of the same kernel under KVM finished a
# trivial command within 15 s (verdict cached per kernel image, QEMU version
# and host kernel in $VSHMEM_CACHE/kvm-probe/), else TCG with a one-line
# note; VSHMEM_ACCEL=kvm|tcg forces one (no probe). VSHMEM_QEMU_X86 names
# another qemu-system-x86_64 (tests/qemu/build.sh's, which passes the offer
# feature bit of a vhost-user-vsock back end to the guest).
# Exit: the command's exit code; 124 if the VM did not finish (timeout, panic,
# no exit marker); 125 for kernel splats with exit 0; 2 for usage errors.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=x86_64 debug=0 timeout_s=180 kernel= mem=1G smp=2 script= allow_splats=0 quiet=0 vuv_sock=
append= log=
adds=()
usage() { usage_from_header "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=${2:?}; shift ;;
	--debug) debug=1 ;;
	--add) adds+=("${2:?--add needs a file}"); shift ;;
	--script) script=${2:?--script needs a file}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	--kernel) kernel=${2:?}; shift ;;
	--mem) mem=${2:?}; shift ;;
	--smp) smp=${2:?}; shift ;;
	--vhost-user-vsock) vuv_sock=${2:?--vhost-user-vsock needs a socket path}; shift ;;
	--append) append+=" ${2:?--append needs kernel parameters}"; shift ;;
	--log) log=${2:?--log needs a file}; shift ;;
	--allow-splats) allow_splats=1 ;;
	--quiet) quiet=1 ;;
	-h|--help) usage 0 ;;
	--) shift; break ;;
	*) echo "ERROR: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
[ "$arch" = x86_64 ] || die "--arch $arch: this script boots x86_64 guests; arm64 guests boot behind TF-A + OP-TEE with kernel/scripts/vm-run-ffa.sh"
if [ -n "$script" ]; then
	[ $# -eq 0 ] || die "give either --script FILE or -- COMMAND, not both"
	[ -f "$script" ] || die "script $script not found"
else
	[ $# -gt 0 ] || { echo "ERROR: no command given" >&2; usage; }
fi
[ -z "$vuv_sock" ] || [ -S "$vuv_sock" ] || die "--vhost-user-vsock: $vuv_sock is not a socket (start vhost-user-vsock first)"
[[ $timeout_s =~ ^[0-9]+$ ]] || die "--timeout needs seconds"
QEMU_X86=${VSHMEM_QEMU_X86:-qemu-system-x86_64}
need "$QEMU_X86" cpio gzip timeout
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found: apt-get install -y busybox-static"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || [ ! -x /usr/bin/file ] ||
	die "$BUSYBOX is not statically linked (install busybox-static)"

if [ -z "$kernel" ]; then
	args=(--arch "$arch"); [ "$debug" = 1 ] && args+=(--debug)
	kernel=$("$KERNEL_DIR/scripts/build.sh" "${args[@]}" | tee /dev/stderr | tail -n1)
fi
[ -f "$kernel" ] || die "kernel image $kernel not found"

# --- initramfs
work=$(mktemp -d "${TMPDIR:-/tmp}/vshmem-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
guest_initramfs "$work/initramfs.cpio.gz" "$work/root" "$BUSYBOX" adds "" \
	"$debug" "reboot -f" "$script" "$@"
mkdir -p "$KCACHE/logs"

# --- accelerator. KVM guests can hang (they do on some CI machines although
# /dev/kvm opens), so KVM is used only when a probe boot of this very kernel
# with a trivial command finished under it within KVM_PROBE_TIMEOUT seconds.
# The verdict is cached per kernel image, QEMU version and host kernel.
qemu_cmd() { # ACCEL INITRD [probe]: the QEMU command line, in the array qemu
	local cmdline="console=ttyS0 quiet panic=-1 rdinit=/init"
	[ "${3:-}" = probe ] || cmdline+=$append
	qemu=("$QEMU_X86" -accel "$1")
	[ "$1" = kvm ] && qemu+=(-cpu host)
	qemu+=(-nographic -no-reboot -net none -m "$mem" -smp "$smp"
		-kernel "$kernel" -initrd "$2" -append "$cmdline")
	if [ -n "$vuv_sock" ] && [ "${3:-}" != probe ]; then
		qemu+=(-object "memory-backend-memfd,id=mem,size=$mem,share=on"
			-machine memory-backend=mem
			-chardev "socket,id=vvu,path=$vuv_sock"
			-device vhost-user-vsock-pci,chardev=vvu)
	fi
}
KVM_PROBE_TIMEOUT=${KVM_PROBE_TIMEOUT:-15}
kvm_probe() { # prints kvm or tcg; the note goes to stderr
	local key verdict pdir plog prc t why
	if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		echo "note: no usable /dev/kvm, using TCG" >&2
		echo tcg
		return
	fi
	key=$({ sha256sum < "$kernel"; "$QEMU_X86" --version | head -n1; uname -r; } |
		sha256sum | cut -c1-16)
	pdir=$VSHMEM_CACHE/kvm-probe
	if [ -f "$pdir/$key" ]; then
		read -r verdict _ < "$pdir/$key"
		if [ "$verdict" = kvm ]; then
			echo kvm
		else
			echo "note: KVM did not work with this kernel and QEMU before (cached: $pdir/$key), using TCG" >&2
			echo tcg
		fi
		return
	fi
	mkdir -p "$pdir"
	guest_initramfs "$work/probe.cpio.gz" "$work/probe" "$BUSYBOX" "" "" \
		0 "reboot -f" "" true
	plog=$KCACHE/logs/kvm-probe-$(date +%Y%m%d-%H%M%S)-$$.log
	t=$(now)
	qemu_cmd kvm "$work/probe.cpio.gz" probe
	timeout -k 2 "$KVM_PROBE_TIMEOUT" "${qemu[@]}" < /dev/null > "$plog" 2>&1
	prc=$?
	if grep -q '^VSHMEM-EXIT=0' "$plog"; then
		echo "kvm probed $(date -u +%FT%TZ) in $(elapsed "$t")" > "$pdir/$key.tmp"
		echo kvm
	else
		if [ "$prc" = 124 ] || [ "$prc" = 137 ]; then
			why="the guest hung: no result within ${KVM_PROBE_TIMEOUT}s"
		else
			why="qemu exit $prc after $(elapsed "$t")$(grep -m1 -o 'qemu-system-x86_64: .*' "$plog" |
				sed 's/^qemu-system-x86_64: */: /' | cut -c1-90)"
		fi
		echo "tcg probed $(date -u +%FT%TZ): $why (log $plog)" > "$pdir/$key.tmp"
		echo "note: KVM probe failed ($why; log $plog), using TCG; verdict cached in $pdir/$key" >&2
		echo tcg
	fi
	mv -f "$pdir/$key.tmp" "$pdir/$key"
}
case "${VSHMEM_ACCEL:-}" in
kvm) [ -c /dev/kvm ] || die "VSHMEM_ACCEL=kvm but there is no /dev/kvm"; accel=kvm ;;
tcg) accel=tcg ;;
'') set +e; accel=$(kvm_probe); set -e ;;
*) die "VSHMEM_ACCEL must be kvm or tcg, not '$VSHMEM_ACCEL'" ;;
esac
[ "$accel" = kvm ] || [ "$accel" = tcg ] || accel=tcg

# --- boot
[ -n "$log" ] || log=$KCACHE/logs/vm-$(date +%Y%m%d-%H%M%S)-$$.log
step "booting $kernel in QEMU (${accel^^}${VSHMEM_ACCEL:+, forced by VSHMEM_ACCEL}, $smp CPUs, $mem, timeout ${timeout_s}s)..."
t0=$(now)
qemu_cmd "$accel" "$work/initramfs.cpio.gz"
set +e
# The console log keeps everything; the terminal shows the guest from the
# start marker on (firmware and boot noise only in the log).
timeout -k 5 "$timeout_s" "${qemu[@]}" < /dev/null 2>&1 | tr -d '\r' | tee "$log" | {
	if [ "$quiet" = 1 ]; then cat > /dev/null; else sed -u -n '/VSHMEM-START$/,$p' | sed -u -e '/VSHMEM-START$/d' -e '/reboot: Restarting system$/d'; fi
}
qrc=${PIPESTATUS[0]}
set -e

rc=0
guest_result "$log" "$qrc" "$timeout_s" "$allow_splats" "$t0" || rc=$?
exit "$rc"
