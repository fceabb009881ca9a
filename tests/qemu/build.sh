#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the qemu-system-x86_64 of the virtio-vsock tests: Debian's own
# QEMU source (the version of the installed qemu-system-x86, fetched with
# `apt-get source` from the deb-src of the machine's Debian mirror) with
# tests/qemu/patches/*.patch on top, x86_64 system emulation only, KVM,
# TCG and vhost-user. Why a build at all: Debian's QEMU 7.2 does not pass
# feature bit 3 (VIRTIO_VSOCK_F_SHMEM) from a vhost-user-vsock back end to
# the guest (docs/design.md 8.11), so with it no guest can ever be offered
# memory by reference over a real virtio-vsock device.
#
# The binary is cached in $VSHMEM_CACHE/qemu/<key>/ (the key hashes the
# source version, the patches and this script) and printed on the last
# line; it takes its firmware (SeaBIOS, option ROMs) from Debian's
# packages, where Debian's own build looks. A cold build takes ~11
# minutes on 2 cores.
#
# Usage: tests/qemu/build.sh [--force]
#
# Debian packages it needs (tests/install-deps.sh installs them):
QEMU_APT_PACKAGES="dpkg-dev libglib2.0-dev libpixman-1-dev meson ninja-build pkg-config"
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/kernel/scripts/lib.sh"	# VSHMEM_CACHE, step, info, die, need...

force=0
while [ $# -gt 0 ]; do
	case "$1" in
	--force) force=1 ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
need dpkg-source apt-get meson ninja gcc pkg-config

version=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed (tests/install-deps.sh installs it)"
key=$( { echo "$version"; cat "$root"/tests/qemu/patches/*.patch "$0"; } |
	sha256sum | cut -c1-12)
qcache=$VSHMEM_CACHE/qemu
out=$qcache/$key
bin=$out/qemu-system-x86_64
# One build at a time: a second caller waits, then finds the binary.
mkdir -p "$qcache"
exec 9>"$qcache/.lock"
flock 9
if [ "$force" = 0 ] && [ -x "$bin" ]; then
	step "patched QEMU $version up to date ($bin)"
	echo "$bin"
	exit 0
fi

t0=$(now)
work=$qcache/work-$key
rm -rf "$work" && mkdir -p "$work/lists/partial"
trap 'rm -rf "$work"' EXIT

# A deb-src list of our own for the mirrors and suites apt already uses:
# the machine's apt configuration is left as it is.
uris=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
	sort -u | sed -n 's|^\(http[^ ]*\) \([a-z-]*\)$|deb-src \1 \2 main|p')
[ -n "$uris" ] || die "no Debian mirror in apt's configuration to fetch the QEMU source from"
printf '%s\n' "$uris" >"$work/sources.list"
apt_src=(apt-get -q -o Dir::Etc::SourceList="$work/sources.list"
	 -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$work/lists")
step "fetching Debian's QEMU source $version"
"${apt_src[@]}" update >"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "apt-get update of the deb-src lists failed"; }
(cd "$work" && "${apt_src[@]}" source --download-only "qemu=$version") >>"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "apt-get source qemu=$version failed"; }
dpkg-source -x "$work"/qemu_*.dsc "$work/src" >>"$work/apt.log" 2>&1 ||
	die "dpkg-source could not unpack the QEMU source (see $work/apt.log)"

for p in "$root"/tests/qemu/patches/*.patch; do
	info "applying ${p##*/}"
	patch -d "$work/src" -p1 -s <"$p" || die "${p##*/} does not apply to QEMU $version"
done

step "building qemu-system-x86_64 (x86_64 system emulation, KVM, TCG, vhost-user)"
mkdir -p "$work/build"
(cd "$work/build" && "$work/src/configure" --target-list=x86_64-softmmu \
	--without-default-features --enable-kvm --enable-tcg --enable-vhost-user \
	--disable-docs --disable-werror --disable-install-blobs \
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu) \
	>"$work/configure.log" 2>&1 ||
	{ tail -20 "$work/configure.log" >&2; die "QEMU configure failed"; }
ninja -C "$work/build" -j"$(nproc)" qemu-system-x86_64 >"$work/build.log" 2>&1 ||
	{ tail -30 "$work/build.log" >&2; die "QEMU build failed (log above)"; }

rm -rf "$out" && mkdir -p "$out"
cp "$work/build/qemu-system-x86_64" "$bin"
# older keys are of no use any more
find "$qcache" -mindepth 1 -maxdepth 1 ! -name "$key" ! -name "work-$key" ! -name .lock -exec rm -rf {} +
step "patched QEMU built in $(elapsed "$t0")"
echo "$bin"
