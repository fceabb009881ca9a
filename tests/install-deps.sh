#!/bin/bash
# Installs, with apt, the Debian packages every test and the demo need: the
# union of the library's (tests/run-library-tests.sh), the kernel
# tooling's (kernel/scripts/lib.sh, ffa-firmware.sh), the virtio suite's
# (tests/virtio/run.sh) and the patched QEMU's (tests/qemu/build.sh)
# lists. Installs nothing when all are
# present; needs root (or sudo) otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

list_of() { # file variable
	sed -n "s/^$2=\"\\(.*\\)\"\$/\\1/p" "$1"
}
packages="$(list_of "$root/tests/run-library-tests.sh" LIBRARY_APT_PACKAGES)"
packages+=" $(list_of "$root/kernel/scripts/lib.sh" KERNEL_APT_PACKAGES)"
packages+=" $(list_of "$root/kernel/scripts/ffa-firmware.sh" FFA_APT_PACKAGES)"
packages+=" $(list_of "$root/tests/virtio/run.sh" VIRTIO_APT_PACKAGES)"
packages+=" $(list_of "$root/tests/qemu/build.sh" QEMU_APT_PACKAGES)"
# checkpatch.pl's SPDX check runs the system python with these modules.
packages+=" python3-ply python3-git"
packages=$(tr ' ' '\n' <<<"$packages" | sed '/^$/d' | sort -u | tr '\n' ' ')

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive

# The arm64 guest's busybox is Debian's busybox-static:arm64, downloaded
# (not installed) by kernel/scripts/vm-run-ffa.sh: apt must know arm64.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "==> adding the arm64 architecture to apt (for busybox-static:arm64)"
	$sudo dpkg --add-architecture arm64
	$sudo apt-get update -q
fi

missing=()
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} = 0 ]; then
	echo "==> all $(wc -w <<<"$packages") Debian packages are installed"
	exit 0
fi

echo "==> installing ${#missing[@]} Debian packages: ${missing[*]}"
$sudo apt-get update -q
$sudo apt-get install -y -q "${missing[@]}"
