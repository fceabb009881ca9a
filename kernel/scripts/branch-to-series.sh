#!/bin/bash
# Regenerate kernel/patches/ from the series branch (see series-to-branch.sh):
# `git format-patch --cover-letter --base=pristine` of pristine..BRANCH, the
# cover letter from the branch description, and the series file. The output
# depends only on the commits (author, date, message, diff) and the
# description, so the same branch gives the same files byte for byte.
#
# Usage: kernel/scripts/branch-to-series.sh [--branch NAME] [--check] [-o DIR]
#   --check   write to a temporary directory and compare with kernel/patches:
#             exit 1 and show the difference if they are not identical
#   -o DIR    write the series to DIR instead of kernel/patches
set -euo pipefail
. "$(dirname "$0")/lib.sh"

branch=vshmem check=0 out=$PATCH_DIR
while [ $# -gt 0 ]; do
	case "$1" in
	--branch) branch=${2:?--branch needs a name}; shift ;;
	--check) check=1 ;;
	-o) out=${2:?-o needs a directory}; shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done

lock_prepare
ensure_pristine
kgit rev-parse -q --verify "refs/heads/$branch" >/dev/null ||
	die "no branch '$branch': create it with kernel/scripts/series-to-branch.sh"

if [ "$check" = 1 ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
series_export "$branch" "$out"
if [ "$check" = 1 ]; then
	if ! diff -ru "$PATCH_DIR" "$out" >&2; then
		die "kernel/patches differs from what branch '$branch' gives (diff above)"
	fi
	step "kernel/patches is exactly the output of branch '$branch' ($(series_count) patches)"
else
	step "wrote $(ls "$out"/*.patch | wc -l) files to $out"
fi
