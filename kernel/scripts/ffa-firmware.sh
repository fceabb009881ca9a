#!/bin/bash
# Build the FF-A secure-world firmware for the arm64 QEMU guest:
#   TF-A v2.15.0 at EL3 with the SPMD, OP-TEE OS 4.10.0 as the S-EL1 SPMC (BL32),
#   Linux preloaded as BL33 at 0x40200000 (ARM_LINUX_KERNEL_AS_BL33=1).
# The output is one qemu_fw.bios (BL1 + FIP) for `qemu-system-aarch64 -bios`.
# OP-TEE is built with its internal test pseudo-TAs
# (CFG_TEE_CORE_EMBED_INTERNAL_TESTS=y): the invoke-tests PTA reads and
# writes memory the normal world passes to it, the FF-A suite's borrower.
#
# Usage: kernel/scripts/ffa-firmware.sh [--src DIR] [--force]
#   --src DIR   pinned sources: tf-a-v2.15.0.tar.xz, optee_os-4.10.0.tar.xz,
#               spmc_el1_manifest_virt.dts, SHA256SUMS
#               (default $FFA_SRC, else ../shared/ffa next to the repository,
#               else /work/shared/ffa).
#               Without the local copy: the same tags are at
#               https://github.com/ARM-software/arm-trusted-firmware (v2.15.0) and
#               https://github.com/OP-TEE/optee_os (4.10.0).
#   --force     rebuild even if the cached output matches the inputs
# Output in ${VSHMEM_CACHE:-~/.cache/libvshmem}/ffa/; prints the path of
# qemu_fw.bios on the last line. Rebuilds only when the inputs (checksums,
# this script) changed.

# Debian packages the firmware build and the FF-A VM need
# (CI: apt-get install -y $FFA_APT_PACKAGES).
FFA_APT_PACKAGES="gcc-aarch64-linux-gnu libc6-dev-arm64-cross make xz-utils qemu-system-arm device-tree-compiler python3 python3-cryptography python3-pyelftools cpio gzip"

set -euo pipefail
. "$(dirname "$0")/lib.sh"

FFA_CACHE=$VSHMEM_CACHE/ffa
# The project's shared folder sits next to its working copy; a clone made
# elsewhere (CI) finds it at its fixed place on the project's machines.
src=${FFA_SRC:-}
if [ -z "$src" ]; then
	for src in "$(cd "$REPO_DIR/.." && pwd)/shared/ffa" /work/shared/ffa; do
		[ -d "$src" ] && break
	done
fi
force=0
while [ $# -gt 0 ]; do
	case "$1" in
	--src) src=${2:?--src needs a directory}; shift ;;
	--force) force=1 ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done

TFA_TAR=tf-a-v2.15.0.tar.xz
OPTEE_TAR=optee_os-4.10.0.tar.xz
MANIFEST=spmc_el1_manifest_virt.dts
[ -d "$src" ] || die "FF-A sources directory $src not found (give --src DIR or FFA_SRC)"
for f in "$TFA_TAR" "$OPTEE_TAR" "$MANIFEST" SHA256SUMS; do
	[ -f "$src/$f" ] || die "$src/$f missing"
done
for c in make tar xz dtc aarch64-linux-gnu-gcc sha256sum; do
	command -v "$c" >/dev/null 2>&1 ||
		die "'$c' not found; install: apt-get install -y $FFA_APT_PACKAGES"
done
# OP-TEE's build scripts run `python3`: use Debian's, which has the modules.
export PATH=/usr/bin:$PATH
python3 -c 'import elftools, cryptography' 2>/dev/null ||
	die "python3 lacks elftools/cryptography; install: apt-get install -y $FFA_APT_PACKAGES"

step "verifying the FF-A sources in $src..."
(cd "$src" && sha256sum --quiet -c SHA256SUMS) || die "checksum mismatch in $src (see SHA256SUMS)"
for f in "$TFA_TAR" "$OPTEE_TAR" "$MANIFEST"; do
	grep -q " \*\?$f\$" "$src/SHA256SUMS" || die "$f is not listed in $src/SHA256SUMS"
done

mkdir -p "$FFA_CACHE"
exec 9>"$FFA_CACHE/.lock"
flock 9
bios=$FFA_CACHE/qemu_fw.bios
in_hash=$( { cat "$src/SHA256SUMS"; sha256sum < "$0"; } | sha256sum | cut -c1-16)
if [ "$force" = 0 ] && [ -f "$bios" ] && [ "$(cat "$FFA_CACHE/stamp" 2>/dev/null)" = "$in_hash" ]; then
	info "FF-A firmware up to date ($in_hash)"
	echo "$bios"
	exit 0
fi
rm -f "$FFA_CACHE/stamp" "$bios"

t_all=$(now)
step "unpacking TF-A and OP-TEE into $FFA_CACHE..."
rm -rf "$FFA_CACHE/tf-a" "$FFA_CACHE/optee_os"
mkdir -p "$FFA_CACHE/tf-a" "$FFA_CACHE/optee_os"
tar -xJf "$src/$TFA_TAR" -C "$FFA_CACHE/tf-a" --strip-components=1
tar -xJf "$src/$OPTEE_TAR" -C "$FFA_CACHE/optee_os" --strip-components=1
cp "$src/$MANIFEST" "$FFA_CACHE/$MANIFEST"

X=aarch64-linux-gnu-
t0=$(now)
step "building OP-TEE OS as the S-EL1 SPMC (log: $FFA_CACHE/optee.log)..."
make -C "$FFA_CACHE/optee_os" -j"$JOBS" PLATFORM=vexpress-qemu_armv8a CROSS_COMPILE=$X \
	CROSS_COMPILE_core=$X CROSS_COMPILE_ta_arm64=$X CFG_ARM64_core=y CFG_USER_TA_TARGETS=ta_arm64 \
	CFG_CORE_SEL1_SPMC=y CFG_ARM_GICV3=y DEBUG=0 CFG_TEE_CORE_LOG_LEVEL=3 CFG_TEE_CORE_NB_CORE=2 \
	CFG_TEE_CORE_EMBED_INTERNAL_TESTS=y \
	O=out/arm > "$FFA_CACHE/optee.log" 2>&1 ||
	{ tail -n 30 "$FFA_CACHE/optee.log" >&2; die "OP-TEE build failed (log: $FFA_CACHE/optee.log)"; }
core=$FFA_CACHE/optee_os/out/arm/core
for f in tee-header_v2.bin tee-pager_v2.bin tee-pageable_v2.bin; do
	[ -f "$core/$f" ] || die "OP-TEE build did not produce $core/$f"
done
info "OP-TEE built in $(elapsed "$t0")"

t0=$(now)
step "building TF-A (SPMD, BL32=OP-TEE, BL33=preloaded Linux) (log: $FFA_CACHE/tf-a.log)..."
make -C "$FFA_CACHE/tf-a" -j"$JOBS" CROSS_COMPILE=$X PLAT=qemu DEBUG=0 LOG_LEVEL=40 \
	ENABLE_SVE_FOR_NS=2 ENABLE_SVE_FOR_SWD=1 ENABLE_FEAT_FGT=2 ENABLE_FEAT_HCX=2 ENABLE_FEAT_ECV=2 \
	QEMU_USE_GIC_DRIVER=QEMU_GICV3 BL32_RAM_LOCATION=tdram \
	BL32="$core/tee-header_v2.bin" BL32_EXTRA1="$core/tee-pager_v2.bin" \
	BL32_EXTRA2="$core/tee-pageable_v2.bin" \
	SPD=spmd CTX_INCLUDE_EL2_REGS=0 SPMD_SPM_AT_SEL2=0 ENABLE_SME_FOR_NS=0 ENABLE_SME_FOR_SWD=0 \
	SPMC_OPTEE=1 QEMU_TOS_FW_CONFIG_DTS="$FFA_CACHE/$MANIFEST" \
	ARM_LINUX_KERNEL_AS_BL33=1 PRELOADED_BL33_BASE=0x40200000 all fip qemu_fw.bios \
	> "$FFA_CACHE/tf-a.log" 2>&1 ||
	{ tail -n 30 "$FFA_CACHE/tf-a.log" >&2; die "TF-A build failed (log: $FFA_CACHE/tf-a.log)"; }
out=$FFA_CACHE/tf-a/build/qemu/release/qemu_fw.bios
[ -f "$out" ] || die "TF-A build did not produce $out"
info "TF-A built in $(elapsed "$t0")"

cp "$out" "$bios"
echo "$in_hash" > "$FFA_CACHE/stamp"
step "FF-A firmware ready in $(elapsed "$t_all"): $bios"
echo "$bios"
