#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install libvshmem into a temporary prefix, then build the README's
# example against it with pkg-config (shared and static) and run it. The
# prefix is the README's own for a normal user ($HOME/.local, with HOME
# pointing into WORKDIR), and the environment is what the README's
# prefix block exports, so that the README's steps are the ones tested.
#   tests/unit/check-install.sh WORKDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$1
rm -rf "$work"
mkdir -p "$work/home"
prefix=$work/home/.local

readme_block() { # NAME: the lines between <!-- NAME:begin/end --> of README.md
	sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$root/README.md" |
		sed '/^```/d; /<!--/d'
}
setup='meson setup build --prefix="$HOME/.local" --libdir=lib'
readme_block prefix | grep -qxF "$setup" ||
	{ echo "README.md's prefix block does not say: $setup"; exit 1; }

echo "+ meson setup/install into $prefix"
meson setup "$work/build" "$root" --prefix="$prefix" --libdir=lib \
	-Ddefault_library=both -Dtests=disabled -Dexamples=false >"$work/setup.log"
meson compile -C "$work/build" -j2 >"$work/compile.log"
meson install -C "$work/build" >"$work/install.log"

echo "+ the README's exports, with HOME=$work/home"
unset PKG_CONFIG_PATH LD_LIBRARY_PATH MANPATH
eval "$(readme_block prefix | grep '^export ' | sed "s|\$HOME|$work/home|g")"
echo "  PKG_CONFIG_PATH=$PKG_CONFIG_PATH LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
for m in man3/vshmem_offer_send.3 man7/libvshmem.7; do
	test -f "${MANPATH%%:*}/$m" ||
		{ echo "MANPATH does not lead to the installed $m"; exit 1; }
done
echo "+ pkg-config --cflags --libs libvshmem"
flags=$(pkg-config --cflags --libs libvshmem)
echo "  $flags"
grep -q '^Name: libvshmem' "$prefix/lib/pkgconfig/libvshmem.pc"
# liburing is build-time headers only; libdrm is linked (PRIME helpers), so
# it may appear in Requires.private (static linking) and nowhere else.
if grep -q '^Requires:' "$prefix/lib/pkgconfig/libvshmem.pc" ||
   grep '^Requires.private:' "$prefix/lib/pkgconfig/libvshmem.pc" |
	grep -qv '^Requires.private: libdrm$'; then
	echo "libvshmem.pc may only require libdrm, privately:"
	cat "$prefix/lib/pkgconfig/libvshmem.pc"
	exit 1
fi
# No placeholder address: a real project URL or none.
if grep -q '^URL:.*\(example\|invalid\)' "$prefix/lib/pkgconfig/libvshmem.pc"; then
	echo "libvshmem.pc has a placeholder URL"
	exit 1
fi
for h in vshmem.h vshmem-uring.h vshmem-drm.h version.h; do
	test -f "$prefix/include/libvshmem/$h" || { echo "missing header $h"; exit 1; }
done
# The copy of the kernel uAPI is private to the library.
if [ -e "$prefix/include/libvshmem/vsock-shmem-uapi.h" ]; then
	echo "vsock-shmem-uapi.h must not be installed"
	exit 1
fi

for m in man7/libvshmem.7 man3/vshmem_offer_send.3 man3/vshmem_offer.3 \
	 man3/vshmem_channel_recv.3 man3/vshmem-offer.3 man1/vshmem-offer.1 \
	 man1/vshmem-accept.1; do
	test -f "$prefix/share/man/$m" || { echo "missing man page $m"; exit 1; }
done

# The example is the C block between the markers in README.md.
readme_block example >"$work/example.c"
lines=$(wc -l <"$work/example.c")
echo "+ README example: $lines lines"
test "$lines" -gt 10

for cc in ${CC:-cc}; do
	echo "+ $cc example.c \$(pkg-config --cflags --libs libvshmem)"
	# shellcheck disable=SC2086
	$cc -std=c11 -Wall -Wextra -Werror -o "$work/example" "$work/example.c" $flags
	echo "+ $cc -static example.c \$(pkg-config --static ...)"
	# shellcheck disable=SC2046
	$cc -std=c11 -Wall -Wextra -Werror -static -o "$work/example-static" \
		"$work/example.c" $(pkg-config --cflags libvshmem) \
		"$prefix/lib/libvshmem.a"
done

# Without dma-buf heaps or vsock (a CI container) the example reports why
# and exits 2; with them it runs to the end and exits 0.
for exe in example example-static; do
	echo "+ run $exe"
	set +e
	"$work/$exe" >"$work/$exe.out" 2>&1
	rc=$?
	set -e
	sed 's/^/  | /' "$work/$exe.out"
	grep -q "^libvshmem $(meson introspect --projectinfo "$work/build" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')\$" "$work/$exe.out"
	if [ "$rc" != 0 ] && [ "$rc" != 2 ]; then
		echo "$exe exited with $rc"
		exit 1
	fi
done
echo "ok: install + pkg-config + README example"
