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

lock_prepare

ensure_pristine
t0=$(now)
# Commits made in the patched tree (CI may have no git identity).
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-libvshmem-ci} GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-ci@libvshmem.invalid}
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
	kgit worktree remove --force "$PATCHED_DIR" 2>/dev/null || true
	rm -rf "$PATCHED_DIR"
fi
kgit worktree prune
kgit worktree add -q --detach "$PATCHED_DIR" pristine
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
