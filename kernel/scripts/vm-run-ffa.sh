#!/bin/bash
# Boot the patched arm64 kernel behind a real FF-A SPMC (TF-A v2.15.0 at EL3
# with the SPMD, OP-TEE 4.10.0 as the S-EL1 SPMC; see ffa-firmware.sh) in
# qemu-system-aarch64 (TCG) with a busybox initramfs, and run a command (or a
# guest shell script) in it; the exit code is the command's.
#
# Usage: kernel/scripts/vm-run-ffa.sh [options] -- COMMAND [ARGS...]
#        kernel/scripts/vm-run-ffa.sh [options] --script FILE
# Options:
#   --add FILE[:DIR]     copy FILE into the guest (default DIR /bin; repeatable);
#                        binaries must be static aarch64 (no libc in the guest)
#   --script FILE        run FILE with the guest's sh (cwd /tmp) instead of COMMAND
#   --timeout S          kill the VM after S seconds (default 180)
#   --kernel IMAGE       boot this raw arm64 Image instead of `build.sh --arch arm64`
#   --bios FILE          firmware (default: the output of ffa-firmware.sh)
#   --ffa-src DIR        FF-A sources for ffa-firmware.sh (--src)
#   --mem SIZE           guest memory (default 1G); --smp N (default 2)
#   --allow-splats       do not fail on kernel BUG/WARNING/... reports
#   --quiet              do not echo the guest console while it runs
# The guest gets proc, sys, devtmpfs, debugfs and a tmpfs /tmp mounted, lo up.
# The secure world's UART (OP-TEE's log) is saved next to the console log.
# Exit: the command's exit code; 124 if the VM did not finish (timeout, panic,
# no exit marker); 125 for kernel splats with exit 0; 2 for usage errors.
#
# How Linux gets its initramfs and command line without a bootloader: TF-A
# jumps to the Image preloaded at 0x40200000 (-device loader) with the DTB
# QEMU put at 0x40000000. QEMU ignores -initrd/-append with -bios, so the
# script dumps QEMU's own DTB, adds /chosen bootargs and linux,initrd-* with
# fdtput, loads the initramfs with -device loader and hands the DTB back with
# -dtb.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

timeout_s=180 kernel='' bios='' ffa_src='' mem=1G smp=2 script='' allow_splats=0 quiet=0
adds=()
usage() { usage_from_header "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--add) adds+=("${2:?--add needs a file}"); shift ;;
	--script) script=${2:?--script needs a file}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	--kernel) kernel=${2:?}; shift ;;
	--bios) bios=${2:?}; shift ;;
	--ffa-src) ffa_src=${2:?}; shift ;;
	--mem) mem=${2:?}; shift ;;
	--smp) smp=${2:?}; shift ;;
	--allow-splats) allow_splats=1 ;;
	--quiet) quiet=1 ;;
	-h|--help) usage 0 ;;
	--) shift; break ;;
	*) echo "ERROR: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
if [ -n "$script" ]; then
	[ $# -eq 0 ] || die "give either --script FILE or -- COMMAND, not both"
	[ -f "$script" ] || die "script $script not found"
else
	[ $# -gt 0 ] || { echo "ERROR: no command given" >&2; usage; }
fi
[[ $timeout_s =~ ^[0-9]+$ ]] || die "--timeout needs seconds"
FFA_APT_PACKAGES=$(sed -n 's/^FFA_APT_PACKAGES="\(.*\)"$/\1/p' "$KERNEL_DIR/scripts/ffa-firmware.sh")
for c in qemu-system-aarch64 fdtput cpio gzip timeout; do
	command -v "$c" >/dev/null 2>&1 || die "'$c' not found; install: apt-get install -y $FFA_APT_PACKAGES"
done

# --- arm64 busybox (Debian's busybox-static is x86-64): $BUSYBOX_ARM64, or
# fetched once into the cache with apt-get download (nothing gets installed).
BUSYBOX_ARM64=${BUSYBOX_ARM64:-$VSHMEM_CACHE/ffa/busybox-arm64}
if [ ! -x "$BUSYBOX_ARM64" ]; then
	step "fetching busybox-static:arm64 into $BUSYBOX_ARM64..."
	dl=$(mktemp -d "${TMPDIR:-/tmp}/vshmem-bb.XXXXXX")
	if (cd "$dl" && apt-get download busybox-static:arm64 >/dev/null 2>&1) &&
	   dpkg-deb -x "$dl"/busybox-static_*_arm64.deb "$dl/x"; then
		mkdir -p "${BUSYBOX_ARM64%/*}"
		cp "$dl/x/bin/busybox" "$BUSYBOX_ARM64"
		rm -rf "$dl"
	else
		rm -rf "$dl"
		die "no arm64 busybox: run 'dpkg --add-architecture arm64 && apt-get update' once (or set BUSYBOX_ARM64=/path/to/static/aarch64/busybox)"
	fi
fi
file -L "$BUSYBOX_ARM64" 2>/dev/null | grep -q 'aarch64.*statically linked' || [ ! -x /usr/bin/file ] ||
	die "$BUSYBOX_ARM64 is not a static aarch64 binary"

# --- firmware and kernel
if [ -z "$bios" ]; then
	bios=$("$KERNEL_DIR/scripts/ffa-firmware.sh" ${ffa_src:+--src "$ffa_src"} | tee /dev/stderr | tail -n1)
fi
[ -f "$bios" ] || die "firmware $bios not found"
if [ -z "$kernel" ]; then
	kernel=$("$KERNEL_DIR/scripts/build.sh" --arch arm64 | tee /dev/stderr | tail -n1)
fi
[ -f "$kernel" ] || die "kernel image $kernel not found"
head -c 64 "$kernel" | tail -c 8 | grep -q 'ARMd' || die "$kernel is not a raw arm64 Image"

# --- initramfs
work=$(mktemp -d "${TMPDIR:-/tmp}/vshmem-vm-ffa.XXXXXX")
trap 'rm -rf "$work"' EXIT
guest_initramfs "$work/initramfs.cpio.gz" "$work/root" "$BUSYBOX_ARM64" adds aarch64 \
	0 "poweroff -f" "$script" "$@"

# --- machine, DTB with /chosen filled in
INITRD_ADDR=0x48000000   # 128 MiB above RAM start, well above the Image
# shellcheck disable=SC2054  # commas are QEMU's option syntax
machine=(-M virt,secure=on,virtualization=off,gic-version=3,acpi=off,mte=off
	-cpu max,sme=off,pauth-impdef=on -smp "$smp" -m "$mem")
qemu-system-aarch64 "${machine[@]}" -machine dumpdtb="$work/virt.dtb" -bios "$bios" -nographic \
	> "$work/dumpdtb.log" 2>&1 < /dev/null || true
[ -s "$work/virt.dtb" ] || { cat "$work/dumpdtb.log" >&2; die "could not dump QEMU's DTB"; }
isz=$(stat -c %s "$work/initramfs.cpio.gz")
fdtput -t s "$work/virt.dtb" /chosen bootargs "console=ttyAMA0 earlycon=pl011,0x9000000 quiet panic=-1 rdinit=/init"
fdtput -t x "$work/virt.dtb" /chosen linux,initrd-start "$INITRD_ADDR"
fdtput -t x "$work/virt.dtb" /chosen linux,initrd-end "$(printf '%#x' $((INITRD_ADDR + isz)))"

# --- boot
mkdir -p "$KCACHE/logs"
log=$KCACHE/logs/vm-ffa-$(date +%Y%m%d-%H%M%S)-$$.log
slog=${log%.log}-secure.log
step "booting $kernel behind TF-A + OP-TEE (FF-A SPMC) in QEMU (TCG, $smp CPUs, $mem, timeout ${timeout_s}s)..."
t0=$(now)
# shellcheck disable=SC2054
qemu=(qemu-system-aarch64 "${machine[@]}" -nographic -no-reboot -net none
	-bios "$bios" -dtb "$work/virt.dtb"
	-device "loader,file=$kernel,addr=0x40200000,force-raw=on"
	-device "loader,file=$work/initramfs.cpio.gz,addr=$INITRD_ADDR,force-raw=on"
	-serial mon:stdio -serial file:"$slog")
set +e
timeout -k 5 "$timeout_s" "${qemu[@]}" < /dev/null 2>&1 | tr -d '\r' | tee "$log" | {
	if [ "$quiet" = 1 ]; then cat > /dev/null; else sed -u -n '/VSHMEM-START$/,/^VSHMEM-EXIT=/p' | sed -u -e '/VSHMEM-START$/d'; fi
}
qrc=${PIPESTATUS[0]}
set -e
info "secure-world (OP-TEE) log: $slog"

rc=0
guest_result "$log" "$qrc" "$timeout_s" "$allow_splats" "$t0" || rc=$?
exit "$rc"
