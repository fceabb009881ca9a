#!/bin/bash
# Turn kernel/patches/ into a git branch of the cached kernel tree, to work
# on the series with git (rebase -i, commit --fixup, git am of a review).
#
# The branch (default "vshmem") is checked out in the worktree
# $VSHMEM_CACHE/kernel/dev-BRANCH and starts at the tag "pristine" (the Debian
# tarball, committed with a fixed identity and date so that its hash is the
# same on every machine; a new tarball re-creates it, and drops the branches
# with it: export first). Each patch is applied with `git am`; the cover
# letter (0000-cover-letter.patch) becomes the branch description, which
# kernel/scripts/branch-to-series.sh turns back into the cover letter. The branch is only re-created if it holds nothing
# but the series (or with --force): a branch with your own commits is kept.
#
# Usage: kernel/scripts/series-to-branch.sh [--branch NAME] [--force]
# Prints the worktree path on the last line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

branch=vshmem force=0
while [ $# -gt 0 ]; do
	case "$1" in
	--branch) branch=${2:?--branch needs a name}; shift ;;
	--force) force=1 ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done

lock_prepare
ensure_pristine
if [ "$force" = 0 ] && kgit rev-parse -q --verify "refs/heads/$branch" >/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	series_export "$branch" "$tmp"
	diff -rq "$PATCH_DIR" "$tmp" >/dev/null ||
		die "branch '$branch' holds changes that are not in kernel/patches: export them with branch-to-series.sh, or pass --force to drop them"
fi

step "applying $(series_count) patches as branch '$branch' in $(dev_dir "$branch")..."
series_import "$branch" "$(dev_dir "$branch")"
info "$(kgit log --oneline pristine.."$branch" | wc -l) commits on pristine ($(kgit rev-parse --short pristine))"
echo "$(dev_dir "$branch")"
