#!/bin/bash
# Unpack the Debian linux-source-6.12 tarball into the cache (pristine git
# tree, done once) and create the patched tree: pristine + kernel/patches/*
# applied in `series` order with `git am`. The patched tree is re-created only
# when the series (list or patch contents) changed.
#
# Usage: kernel/scripts/prepare.sh [--force]
# Prints the path of the patched tree on the last line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

force=0
while [ $# -gt 0 ]; do
	case "$1" in
	--force) force=1 ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done

need git tar xz sha256sum flock
[ -f "$KERNEL_TARBALL" ] || die "$KERNEL_TARBALL not found: apt-get install -y linux-source-6.12"
mkdir -p "$KCACHE"
exec 9>"$KCACHE/.prepare.lock"
flock 9

# Git identity for the commits made in the cache trees (CI may have none).
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-libvshmem-ci} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-ci@libvshmem.invalid}
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-libvshmem-ci} GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-ci@libvshmem.invalid}
g() { git -C "$PRISTINE_DIR" -c gc.auto=0 -c advice.detachedHead=false "$@"; }

t0=$(now)
tarball_id="$(stat -c '%s %Y' "$KERNEL_TARBALL")"
if [ ! -f "$PRISTINE_DIR/.pristine-ok" ] || [ "$(cat "$PRISTINE_DIR/.pristine-ok")" != "$tarball_id" ]; then
	step "unpacking $KERNEL_TARBALL into $PRISTINE_DIR..."
	rm -rf "$PRISTINE_DIR" "$PATCHED_DIR" "$PATCHED_STAMP" "$KCACHE/unpack.tmp"
	mkdir -p "$KCACHE/unpack.tmp"
	tar -C "$KCACHE/unpack.tmp" -xf "$KERNEL_TARBALL"
	src=$(find "$KCACHE/unpack.tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
	[ -f "$src/Makefile" ] || die "unexpected tarball layout (no Makefile in $src)"
	mv "$src" "$PRISTINE_DIR"
	rmdir "$KCACHE/unpack.tmp"
	ver=$(make -s -C "$PRISTINE_DIR" kernelversion 2>/dev/null || echo unknown)
	step "creating git repository for the pristine tree (v$ver)..."
	g init -q -b pristine-branch
	# Debian's tarball has a top-level .gitignore ignoring everything ('/*'):
	# force-add every file of the tarball.
	g add -f -A
	g commit -q --no-verify -m "v$ver (Debian linux-source-6.12, pristine)"
	g tag -f pristine >/dev/null
	echo "$tarball_id" > "$PRISTINE_DIR/.pristine-ok"
	info "pristine tree ready in $(elapsed "$t0")"
fi

want=$(series_hash)
npatches=$(series_count)
if [ "$force" = 0 ] && [ -f "$PATCHED_STAMP" ] && [ "$(cat "$PATCHED_STAMP")" = "$want" ] &&
   [ -f "$PATCHED_DIR/Makefile" ]; then
	step "patched tree up to date ($npatches patches, series $want)"
	echo "$PATCHED_DIR"
	exit 0
fi

# Wait until no build/test uses the current patched tree (they hold a shared lock).
exec 6>"$KCACHE/.tree.lock"
if ! flock -x -n 6; then
	step "waiting for running builds/tests to release the patched tree..."
	flock -x 6
fi
step "creating patched tree ($npatches patches)..."
rm -f "$PATCHED_STAMP" "$KCACHE/patched.files"
if [ -e "$PATCHED_DIR" ]; then
	g worktree remove --force "$PATCHED_DIR" 2>/dev/null || true
	rm -rf "$PATCHED_DIR"
fi
g worktree prune
g worktree add -q --detach "$PATCHED_DIR" pristine
cd "$PATCHED_DIR"
n=0
while read -r p; do
	n=$((n + 1))
	info "[$n/$npatches] $p"
	if ! git -c gc.auto=0 am -q --no-3way "$PATCH_DIR/$p" > "$KCACHE/am.log" 2>&1; then
		cat "$KCACHE/am.log" >&2
		git am --abort >/dev/null 2>&1 || true
		die "patch $n/$npatches '$p' does not apply to the tree ($PATCH_DIR/$p)"
	fi
done < <(series_patches)

# Build outputs of the previous patched tree are stale: force full rebuilds.
rm -rf "$KCACHE"/build-* "$HEADERS_DIR" "$HEADERS_DIR-arm64" "$KCACHE"/headers-build*
series_files --current > "$KCACHE/patched.files"
echo "$want" > "$PATCHED_STAMP"
step "patched tree ready in $(elapsed "$t0"): $npatches patches applied on $(git log -1 --format=%s pristine)"
echo "$PATCHED_DIR"
