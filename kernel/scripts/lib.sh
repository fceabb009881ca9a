# shellcheck shell=bash
# Common helpers for the kernel tooling in kernel/scripts/.
# Sourced by the other scripts; not meant to be run directly.

# Debian packages the kernel tooling needs (CI: apt-get install -y $KERNEL_APT_PACKAGES).
KERNEL_APT_PACKAGES="linux-source-6.12 qemu-system-x86 busybox-static build-essential bc bison flex libelf-dev libssl-dev ccache sparse gcc-aarch64-linux-gnu cpio python3 xz-utils"

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/usage.sh"	# usage_from_header

KERNEL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$KERNEL_DIR/.." && pwd)
PATCH_DIR=${VSHMEM_PATCH_DIR:-$KERNEL_DIR/patches}   # override only to test the tooling
SERIES_FILE=$PATCH_DIR/series
CONFIG_DIR=$KERNEL_DIR/config

KERNEL_TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
VSHMEM_CACHE=${VSHMEM_CACHE:-$HOME/.cache/libvshmem}
KCACHE=$VSHMEM_CACHE/kernel
PRISTINE_DIR=$KCACHE/pristine            # unpacked tarball, git repo, never modified
PATCHED_DIR=$KCACHE/patched              # pristine + kernel/patches (git worktree)
PATCHED_STAMP=$KCACHE/patched.stamp      # hash of the series applied to $PATCHED_DIR
HEADERS_DIR=$KCACHE/headers              # make headers_install output (usr/include)

# Reproducible build identity: better ccache hits, stable images.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-"2024-11-17 00:00:00 UTC"}
export KBUILD_BUILD_USER=${KBUILD_BUILD_USER:-libvshmem}
export KBUILD_BUILD_HOST=${KBUILD_BUILD_HOST:-ci}
export CCACHE_DIR=${CCACHE_DIR:-$VSHMEM_CACHE/ccache}
# Paths to the source tree differ between the (re-created) trees only in mtimes.
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-time_macros,include_file_mtime,include_file_ctime}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$VSHMEM_CACHE}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

JOBS=${JOBS:-$(nproc)}

step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' not found; install the kernel tooling packages: apt-get install -y $KERNEL_APT_PACKAGES"
	done
}

# Elapsed-time helpers: t0=$(now); ...; elapsed $t0 -> "83s"
now() { date +%s; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# Patches listed in the series file, in order (comments and blank lines skipped).
series_patches() {
	[ -f "$SERIES_FILE" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' "$SERIES_FILE" | grep -v '^$' || true
}

series_count() { series_patches | wc -l; }

# Hash identifying the patched tree: tarball identity + series + patch contents.
series_hash() {
	{
		echo "tarball $(stat -c '%s %Y' "$KERNEL_TARBALL")"
		local p
		while read -r p; do
			[ -f "$PATCH_DIR/$p" ] || die "patch '$p' listed in $SERIES_FILE does not exist"
			echo "patch $p $(sha256sum < "$PATCH_DIR/$p")"
		done < <(series_patches)
	} | sha256sum | cut -c1-16
}

# Source files touched by the series (from the patches' diffs). Once the
# patched tree exists, the list saved by prepare.sh for the applied series.
series_files() {
	local p
	if [ "${1:-}" != --current ] && [ -f "$KCACHE/patched.files" ]; then
		cat "$KCACHE/patched.files"
		return 0
	fi
	while read -r p; do
		sed -n -e 's|^+++ b/||p' -e 's|^--- a/||p' "$PATCH_DIR/$p"
	done < <(series_patches) | grep -v '^/dev/null' | sort -u
}

# Make sure the patched tree exists and matches the series.
ensure_prepared() {
	if [ ! -f "$PATCHED_STAMP" ] || [ "$(cat "$PATCHED_STAMP")" != "$(series_hash)" ] ||
	   [ ! -f "$PATCHED_DIR/Makefile" ]; then
		"$KERNEL_DIR/scripts/prepare.sh"
	fi
}

# Hold a shared lock on the patched tree for the rest of this process (and
# its children): prepare.sh waits for it before re-creating the tree, so a
# running build never sees its source tree vanish. Call ensure_prepared
# first: prepare.sh must not run while this process holds the lock.
lock_tree() {
	exec 7>"$KCACHE/.tree.lock"
	flock -s 7
	[ -f "$PATCHED_STAMP" ] || die "the patched tree is being re-created; run again"
}

# ARCH -> kbuild ARCH, cross compiler prefix, image
arch_vars() {
	case "$1" in
	x86_64) KARCH=x86;   KCROSS=;                      KIMAGE=arch/x86/boot/bzImage ;;
	arm64)  KARCH=arm64; KCROSS=aarch64-linux-gnu-;    KIMAGE=arch/arm64/boot/Image ;;
	*) die "unknown arch '$1' (x86_64|arm64)" ;;
	esac
}

build_dir() { # arch variant(0|1 for debug|trace)
	local d=$KCACHE/build-$1
	[ "$2" = 1 ] && d=$d-debug
	[ "$2" = trace ] && d=$d-trace
	echo "$d"
}

# Install the patched tree's uapi headers into $HEADERS_DIR/include (once per
# patched tree; prepare.sh removes them when it re-creates the tree).
ensure_headers() {
	ensure_prepared >/dev/null
	if [ ! -f "$HEADERS_DIR/.done" ]; then
		step "installing uapi headers of the patched tree into $HEADERS_DIR..."
		rm -rf "$HEADERS_DIR"
		make -s -C "$PATCHED_DIR" O="$KCACHE/headers-build" ARCH=x86 \
			INSTALL_HDR_PATH="$HEADERS_DIR" headers_install > "$KCACHE/headers.log" 2>&1 ||
			{ cat "$KCACHE/headers.log" >&2; die "make headers_install failed"; }
		touch "$HEADERS_DIR/.done"
	fi
}

# The same for arm64, in $HEADERS_DIR-arm64 (asm/ headers differ).
ensure_headers_arm64() {
	ensure_prepared >/dev/null
	if [ ! -f "$HEADERS_DIR-arm64/.done" ]; then
		step "installing arm64 uapi headers of the patched tree into $HEADERS_DIR-arm64..."
		rm -rf "$HEADERS_DIR-arm64"
		make -s -C "$PATCHED_DIR" O="$KCACHE/headers-build-arm64" ARCH=arm64 \
			INSTALL_HDR_PATH="$HEADERS_DIR-arm64" headers_install > "$KCACHE/headers-arm64.log" 2>&1 ||
			{ cat "$KCACHE/headers-arm64.log" >&2; die "make headers_install (arm64) failed"; }
		touch "$HEADERS_DIR-arm64/.done"
	fi
}

# The in-guest test harness (tests/harness/*.c) as a static library for
# GUEST_ARCH, against the patched uapi headers: built once (again only when a
# source of it changed) and linked into every in-guest test program, by
# compile_guest and by tests/vm/common.sh. Sets HARNESS_LIB (the archive)
# and HARNESS_DIR (its sources, for -I).
harness_lib() {
	local arch=${GUEST_ARCH:-x86_64} cc=gcc hdr=$HEADERS_DIR dir tmp src
	if [ "$arch" = arm64 ]; then
		ensure_headers_arm64
		cc=aarch64-linux-gnu-gcc hdr=$HEADERS_DIR-arm64
	else
		ensure_headers
	fi
	HARNESS_DIR=$REPO_DIR/tests/harness
	# one per checkout: the sources differ between worktrees
	dir=$KCACHE/harness-$arch-$(printf '%s' "$REPO_DIR" | sha256sum | cut -c1-12)
	HARNESS_LIB=$dir/libharness.a
	# its sources, the uAPI copy they include and the headers it is built on
	if [ -f "$HARNESS_LIB" ] &&
	   [ -z "$(find "$HARNESS_DIR" "$REPO_DIR/lib/vsock-shmem-uapi.h" "$hdr/.done" \
		-newer "$HARNESS_LIB" -print -quit)" ]; then
		return 0
	fi
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/build.XXXXXX")
	for src in "$HARNESS_DIR"/*.c; do
		# shellcheck disable=SC2086
		$cc -static ${GUEST_CFLAGS:--O2 -g -Wall -Wextra -Werror} -std=gnu11 -D_GNU_SOURCE \
			-isystem "$hdr/include" -c -o "$tmp/$(basename "$src" .c).o" "$src" ||
			{ rm -rf "$tmp"; die "compiling the test harness ($src) failed"; }
	done
	"${cc%gcc}ar" rcs "$tmp/libharness.a" "$tmp"/*.o ||
		{ rm -rf "$tmp"; die "archiving the test harness failed"; }
	mv -f "$tmp/libharness.a" "$HARNESS_LIB"	# atomic for a parallel run
	rm -rf "$tmp"
}

# Compile a guest test program statically against the patched uapi headers,
# linked with the in-guest test harness (harness_lib).
# compile_guest SRC OUT [extra gcc args...]; GUEST_ARCH=arm64 cross-compiles
# for the FF-A guest.
compile_guest() {
	local src=$1 out=$2 cc=gcc hdr=$HEADERS_DIR
	shift 2
	harness_lib
	if [ "${GUEST_ARCH:-x86_64}" = arm64 ]; then
		cc=aarch64-linux-gnu-gcc hdr=$HEADERS_DIR-arm64
	fi
	# shellcheck disable=SC2086
	$cc -static ${GUEST_CFLAGS:--O2 -g -Wall -Wextra -Werror} -isystem "$hdr/include" \
		-o "$out" "$src" "$@" "$HARNESS_LIB" ||
		die "compiling guest program $src failed"
}

# The result of a guest run, from its console log: the command's exit code
# (the VSHMEM-EXIT marker), 124 if the guest did not finish (timeout, panic,
# no marker), 125 if the command passed but the kernel reported problems
# (BUG, WARNING, KASAN, lockdep, kmemleak, ...) and ALLOW_SPLATS is 0.
# Usage: guest_result LOG QEMU_EXIT TIMEOUT_S ALLOW_SPLATS T0
guest_result() {
	local log=$1 qrc=$2 timeout_s=$3 allow_splats=$4 t0=$5
	local marker why rc splats

	marker=$(grep -E '^VSHMEM-EXIT=[0-9]+$' "$log" | tail -n1 || true)
	if [ -z "$marker" ]; then
		why="no exit marker"
		[ "$qrc" = 124 ] && why="timed out after ${timeout_s}s"
		grep -q 'Kernel panic' "$log" && why="kernel panic"
		echo "--- last lines of the console log:" >&2
		tail -n 25 "$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >&2
		echo "ERROR: the guest did not finish ($why, qemu exit $qrc); console log: $log" >&2
		return 124
	fi
	rc=${marker#VSHMEM-EXIT=}
	splats=$(grep -nE 'BUG:|WARNING:|Oops|Kernel panic|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|unreferenced object 0x|UBSAN:|general protection fault|list_(add|del) corruption' "$log" || true)
	if [ -n "$splats" ]; then
		echo "ERROR: kernel reported problems during the run (console log: $log):" >&2
		head -n 20 <<<"$splats" >&2
		if [ "$allow_splats" = 0 ] && [ "$rc" = 0 ]; then
			rc=125
		fi
	fi
	if [ "$rc" = 0 ]; then
		step "guest command succeeded (VM run $(elapsed "$t0"))"
	else
		echo "ERROR: guest command failed with exit code $rc (VM run $(elapsed "$t0")); console log: $log" >&2
	fi
	return "$rc"
}

# Write the guest's /vshmem-cmd.sh (SCRIPT, or else COMMAND...) and /init in
# the initramfs root ROOT: mount the usual filesystems, bring lo up, run the
# command between the VSHMEM-START and VSHMEM-EXIT=<rc> console markers
# (after a kmemleak scan when DEBUG is 1), then halt with HALT.
# Usage: guest_init ROOT DEBUG HALT SCRIPT [COMMAND...]
guest_init() {
	local root=$1 debug=$2 halt=$3 script=$4
	shift 4

	if [ -n "$script" ]; then
		cp "$script" "$root/vshmem-cmd.sh"
	else
		{ echo '#!/bin/sh'; printf '%q ' "$@"; echo; } > "$root/vshmem-cmd.sh"
	fi
	cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
ip link set lo up
cd /tmp
echo; echo VSHMEM-START
sh /vshmem-cmd.sh
rc=\$?
if [ $debug = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	echo "==> kmemleak scan (guest)"
	echo scan > /sys/kernel/debug/kmemleak; sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
echo VSHMEM-EXIT=\$rc
$halt
INIT
	chmod +x "$root/init" "$root/vshmem-cmd.sh"
}

# Pack a busybox initramfs into OUT (gzip'd newc cpio), built in the new
# directory ROOT: the usual root directories, BUSYBOX as /bin/busybox, each
# SRC[:DIR] of the array named ADDS (none if "") copied into DIR (default
# /bin), and the /init and /vshmem-cmd.sh of guest_init. With ELF set (the
# word `file` prints for the guest's machine, e.g. aarch64), an added ELF
# file for another machine is refused here instead of failing in the guest.
# Usage: guest_initramfs OUT ROOT BUSYBOX ADDS ELF DEBUG HALT SCRIPT [COMMAND...]
guest_initramfs() {
	# shellcheck disable=SC2034  # no_adds is read through the nameref adds_
	local out=$1 root=$2 busybox=$3 elf=$5 a src dst no_adds=()
	local -n adds_=${4:-no_adds}
	shift 5

	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,usr/bin,usr/sbin}
	cp "$busybox" "$root/bin/busybox"
	for a in "${adds_[@]}"; do
		src=${a%%:*} dst=/bin
		[ "$src" != "$a" ] && dst=${a#*:}
		[ -e "$src" ] || die "--add: $src not found"
		if [ -n "$elf" ] && [ -x /usr/bin/file ] && file -L "$src" | grep -q 'ELF' &&
		   ! file -L "$src" | grep -q "$elf"; then
			die "--add: $src is not an $elf binary"
		fi
		mkdir -p "$root/$dst"
		cp -a "$src" "$root/$dst/"
	done
	guest_init "$root" "$@"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
}

# ---- the pristine tree and the series branch -----------------------------

dev_dir() { echo "$KCACHE/dev-$1"; }       # worktree of series branch $1
# Bump when the way the pristine commit is made changes (its hash with it).
PRISTINE_FORMAT=2
# The pristine commit is made with this identity and date, so that its hash
# (the series' base-commit) is the same on every machine.
PRISTINE_IDENT="libvshmem <dev@libvshmem.invalid>"
PRISTINE_DATE="2024-11-17T00:00:00Z"

# Serialise the scripts that create or re-create cache trees.
lock_prepare() {
	mkdir -p "$KCACHE"
	exec 9>"$KCACHE/.prepare.lock"
	flock 9
}

kgit() { git -C "$PRISTINE_DIR" -c gc.auto=0 -c advice.detachedHead=false "$@"; }

# Unpack the tarball into $PRISTINE_DIR and commit it as tag "pristine"
# (once per tarball).
ensure_pristine() {
	local id t0 src ver

	need git tar xz sha256sum flock
	[ -f "$KERNEL_TARBALL" ] || die "$KERNEL_TARBALL not found: apt-get install -y linux-source-6.12"
	id="$(stat -c '%s %Y' "$KERNEL_TARBALL") format $PRISTINE_FORMAT"
	[ -f "$PRISTINE_DIR/.pristine-ok" ] && [ "$(cat "$PRISTINE_DIR/.pristine-ok")" = "$id" ] && return 0
	t0=$(now)
	mkdir -p "$KCACHE"
	step "unpacking $KERNEL_TARBALL into $PRISTINE_DIR..."
	rm -rf "$PRISTINE_DIR" "$PATCHED_DIR" "$PATCHED_STAMP" "$KCACHE"/dev-* "$KCACHE/unpack.tmp"
	mkdir -p "$KCACHE/unpack.tmp"
	tar -C "$KCACHE/unpack.tmp" -xf "$KERNEL_TARBALL"
	src=$(find "$KCACHE/unpack.tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
	[ -f "$src/Makefile" ] || die "unexpected tarball layout (no Makefile in $src)"
	mv "$src" "$PRISTINE_DIR"
	rmdir "$KCACHE/unpack.tmp"
	ver=$(make -s -C "$PRISTINE_DIR" kernelversion 2>/dev/null || echo unknown)
	step "creating git repository for the pristine tree (v$ver)..."
	kgit init -q -b pristine-branch
	# Debian's tarball has a top-level .gitignore ignoring everything ('/*'):
	# force-add every file of the tarball.
	kgit add -f -A
	GIT_AUTHOR_NAME=${PRISTINE_IDENT% <*} GIT_AUTHOR_EMAIL=dev@libvshmem.invalid \
	GIT_COMMITTER_NAME=${PRISTINE_IDENT% <*} GIT_COMMITTER_EMAIL=dev@libvshmem.invalid \
	GIT_AUTHOR_DATE=$PRISTINE_DATE GIT_COMMITTER_DATE=$PRISTINE_DATE \
		kgit commit -q --no-verify -m "v$ver (Debian linux-source-6.12, pristine)"
	kgit tag -f pristine >/dev/null
	echo "$id" > "$PRISTINE_DIR/.pristine-ok"
	info "pristine tree ready in $(elapsed "$t0"): $(kgit rev-parse --short pristine)"
}

# The cover letter as a branch description: the subject, a blank line, and
# the body (what format-patch writes before the shortlog).
cover_to_description() { # cover-letter.patch
	awk '
		hdr && /^Subject: / { sub(/^Subject: \[PATCH[^]]*\] /, ""); subj = $0; insub = 1; next }
		hdr && insub && /^[ \t]/ { sub(/^[ \t]+/, " "); subj = subj $0; next }
		hdr { insub = 0 }
		hdr && /^$/ { hdr = 0; print subj; print ""; next }
		!hdr && /^.+ \([0-9]+\):$/ { exit }
		!hdr { body[n++] = $0 }
		END { while (n > 0 && body[n - 1] == "") n--; for (i = 0; i < n; i++) print body[i] }
		BEGIN { hdr = 1 }' "$1"
}

# Apply the series as BRANCH (from "pristine") in the worktree DIR; the
# cover letter becomes the branch description.
series_import() { # branch dir
	local branch=$1 dir=$2 p

	kgit worktree remove --force "$dir" >/dev/null 2>&1 || rm -rf "$dir"
	kgit worktree prune
	kgit worktree add -q -B "$branch" "$dir" pristine
	while read -r p; do
		GIT_COMMITTER_NAME=${PRISTINE_IDENT% <*} GIT_COMMITTER_EMAIL=dev@libvshmem.invalid \
		git -C "$dir" -c gc.auto=0 am -q --no-3way --committer-date-is-author-date \
			"$PATCH_DIR/$p" > "$KCACHE/am.log" 2>&1 || {
			cat "$KCACHE/am.log" >&2
			git -C "$dir" am --abort >/dev/null 2>&1 || true
			die "patch '$p' does not apply on top of the ones before it"
		}
	done < <(series_patches)
	[ -f "$PATCH_DIR/0000-cover-letter.patch" ] &&
		kgit config "branch.$branch.description" "$(cover_to_description "$PATCH_DIR/0000-cover-letter.patch")"
	return 0
}

# Write the series of BRANCH to DIR: format-patch with the cover letter
# from the branch description, base-commit, and the series file. Commit
# hashes are zeroed and the cover letter is dated like the newest patch, so
# the output depends on the patches' contents only. The cover letter is
# signed by the author of the newest commit.
series_export() { # branch dir
	local branch=$1 dir=$2 date name email

	[ -n "$(kgit config "branch.$branch.description" || true)" ] ||
		die "branch '$branch' has no description (the cover letter): git branch --edit-description $branch"
	date=$(kgit log -1 --format=%ad --date=rfc2822 --author-date-order pristine.."$branch")
	name=$(kgit log -1 --format=%an "$branch") email=$(kgit log -1 --format=%ae "$branch")
	mkdir -p "$dir"
	rm -f "$dir"/*.patch "$dir/series"
	GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$date \
		kgit -c core.abbrev=12 -c diff.renames=true format-patch -q --zero-commit \
			--cover-letter --cover-from-description=subject --base=pristine \
			--no-signature -o "$dir" pristine.."$branch"
	(cd "$dir" && ls [0-9][0-9][0-9][0-9]-*.patch | grep -v '^0000-cover-letter' > series)
}
