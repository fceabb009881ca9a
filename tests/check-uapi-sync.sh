#!/bin/bash
# Checks that the library's copy of the kernel ABI (the block between the
# "uapi begin" and "uapi end" markers of lib/vsock-shmem-uapi.h)
# is line for line what the kernel series adds to
# include/uapi/linux/vm_sockets.h. Exits non-zero, with a diff, if not.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lib_header=$root/lib/vsock-shmem-uapi.h
patches=$root/kernel/patches

# The lines a patch adds to vm_sockets.h, without the leading '+'.
kernel_block() {
	local series=$patches/series found=0 p
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		awk '
			/^diff --git / { in_file = ($0 ~ / b\/include\/uapi\/linux\/vm_sockets\.h$/) }
			in_file && /^\+/ && !/^\+\+\+ / { print substr($0, 2) }
		' "$patches/$p"
		found=1
	done < "$series"
	[ "$found" = 1 ] || { echo "no patches listed in $series" >&2; exit 1; }
}

lib_block() {
	sed -n '/^\/\* uapi begin \*\/$/,/^\/\* uapi end \*\/$/p' "$lib_header" | sed '1d;$d'
}

# Blank lines at either end do not count.
trim() { sed -e '/./,$!d' | tac | sed -e '/./,$!d' | tac; }

kernel=$(kernel_block | trim)
library=$(lib_block | trim)
[ -n "$kernel" ] || { echo "FAIL: the series adds nothing to include/uapi/linux/vm_sockets.h" >&2; exit 1; }
[ -n "$library" ] || { echo "FAIL: no uapi block in $lib_header" >&2; exit 1; }
if [ "$kernel" != "$library" ]; then
	echo "FAIL: $lib_header differs from the kernel series' vm_sockets.h:" >&2
	diff <(echo "$kernel") <(echo "$library") >&2 || true
	exit 1
fi
echo "ok: library uapi copy matches the kernel series ($(echo "$kernel" | wc -l) lines)"
