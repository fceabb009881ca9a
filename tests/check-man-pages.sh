#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks the man pages (docs/*.1, docs/man/*.3, docs/man/*.7):
#  - every exported symbol (lib/libvshmem.map) has a page docs/man/SYM.3;
#  - every page in docs/man is installed (listed in docs/man/meson.build);
#  - every .so link and every SEE ALSO reference to a libvshmem page
#    resolves to a page that exists; references to other pages must be in
#    the list of system pages below;
#  - groff -man -ww -z prints no warning for any page (skipped without
#    groff).
# Exits non-zero, naming each problem, if any check fails.
#   tests/check-man-pages.sh [ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
man=$root/docs/man
fails=0
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# Pages of other projects that our pages may cite.
system_pages=" poll.2 recvmsg.2 sendmsg.2 connect.2 bind.2 close.2 mmap.2
	fork.2 vsock.7 io_uring_get_sqe.3 io_uring_wait_cqe.3 io_uring_submit.3 "

page_file() {	# NAME SECTION -> path of our page, if any
	local f
	for f in "$man/$1.$2" "$root/docs/$1.$2"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# 1. a page per exported symbol
syms=$(sed -n 's/^[[:space:]]*\(vshmem_[a-z0-9_]*\);.*/\1/p' "$root/lib/libvshmem.map")
[ -n "$syms" ] || bad "no symbols found in lib/libvshmem.map"
nsyms=0
for s in $syms; do
	nsyms=$((nsyms + 1))
	[ -f "$man/$s.3" ] || bad "exported symbol $s has no page docs/man/$s.3"
done

# 2. every page is installed
for f in "$man"/*.[37]; do
	grep -q "'$(basename "$f")'" "$man/meson.build" ||
		bad "docs/man/$(basename "$f") is not listed in docs/man/meson.build"
done

# 3. references
pages=("$root"/docs/*.1 "$man"/*.[37])
for f in "${pages[@]}"; do
	rel=${f#"$root"/}
	target=$(sed -n 's/^\.so man[0-9]\/\([^ ]*\)\.\([0-9]\)$/\1 \2/p' "$f")
	if [ -n "$target" ]; then
		# shellcheck disable=SC2086
		page_file $target >/dev/null || bad "$rel: .so to a missing page ($target)"
		continue
	fi
	grep -q '^\.so' "$f" && bad "$rel: malformed .so line"
	refs=$(sed -n '/^\.SH SEE ALSO/,/^\.SH/p' "$f" |
		sed -n 's/^\.BR* *\([A-Za-z0-9_.-]*\) *(\([0-9]\)).*/\1 \2/p')
	[ -n "$refs" ] || bad "$rel: no SEE ALSO references"
	while read -r name sec; do
		[ -n "$name" ] || continue
		case "$name" in
		vshmem*|libvshmem*|vhost-user-vsock)
			page_file "$name" "$sec" >/dev/null ||
				bad "$rel: SEE ALSO $name($sec) does not exist" ;;
		*)
			case "$system_pages" in
			*" $name.$sec "*|*"	$name.$sec "*) ;;
			*) bad "$rel: SEE ALSO $name($sec) is neither ours nor a known system page" ;;
			esac ;;
		esac
	done <<<"$refs"
done

# 4. groff warnings, on a man tree so that .so links resolve
if command -v groff >/dev/null; then
	tree=$(mktemp -d)
	trap 'rm -rf "$tree"' EXIT
	mkdir -p "$tree/man1" "$tree/man3" "$tree/man7"
	cp "$root"/docs/*.1 "$tree/man1/"
	cp "$man"/*.3 "$tree/man3/"
	cp "$man"/*.7 "$tree/man7/"
	for f in "$tree"/man*/*; do
		warn=$(cd "$tree" && groff -man -Tutf8 -ww -z -I "$tree" "$f" 2>&1) || true
		[ -z "$warn" ] || bad "${f#"$tree"/}: $warn"
	done
else
	echo "groff not installed: warnings not checked"
fi

[ "$fails" = 0 ] || { echo "$fails man page problem(s)" >&2; exit 1; }
echo "ok: $nsyms exported symbols have pages; ${#pages[@]} pages, references resolve, groff quiet"
