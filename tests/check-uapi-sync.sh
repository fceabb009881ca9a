#!/bin/bash
# Checks that the library's copy of the kernel ABI (the block between the
# "uapi begin" and "uapi end" markers of lib/vsock-shmem-uapi.h)
# is line for line what the kernel series adds to
# include/uapi/linux/vm_sockets.h. Exits non-zero, with a diff, if not.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lib_header=$root/lib/vsock-shmem-uapi.h
patches=$root/kernel/patches

# The lines the series adds to vm_sockets.h, in the order they have in
# the file: the old side of the first patch's hunks is the base, each
# patch's hunks for the file are applied to it in turn (patch(1) places
# them by their context), and what the result has beyond the base is the
# block. A later patch may add lines in the middle of it.
file_diff() { # the vm_sockets.h part of one patch
	awk '
		/^diff --git / { in_file = ($0 ~ / b\/include\/uapi\/linux\/vm_sockets\.h$/) }
		/^-- $/ { in_file = 0 }
		in_file { print }
	' "$1"
}

kernel_block() {
	local series=$patches/series found=0 p tmp
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/include/uapi/linux"
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		file_diff "$patches/$p" > "$tmp/diff"
		[ -s "$tmp/diff" ] || continue
		if [ "$found" = 0 ]; then
			awk '/^@@/ { hunk = 1; next } hunk && /^[ -]/ { print substr($0, 2) }' \
				"$tmp/diff" > "$tmp/base"
			cp "$tmp/base" "$tmp/include/uapi/linux/vm_sockets.h"
			found=1
		fi
		patch -s -p1 -d "$tmp" --no-backup-if-mismatch -F0 < "$tmp/diff" >&2 ||
			{ echo "FAIL: $p does not apply to vm_sockets.h as the series has it" >&2; exit 1; }
	done < "$series"
	[ "$found" = 1 ] || { echo "no patch in $series touches vm_sockets.h" >&2; exit 1; }
	{ diff "$tmp/base" "$tmp/include/uapi/linux/vm_sockets.h" || true; } | sed -n 's/^> //p'
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
