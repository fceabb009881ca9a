#!/bin/bash
# Check that every prefix of the series builds on its own, as a reviewer's
# bisect would: patch 1, then 1-2, ... each applied with `git am` in a
# scratch worktree of the cached kernel tree, configured like the test
# kernels (tinyconfig + kernel/config fragments, re-merged at every prefix
# so that options a patch adds are enabled from that patch on), and the
# directories of the C files the prefix touches built with W=1 and sparse
# (C=2) for each architecture (a prefix that touches no C file, e.g. the
# uAPI header alone, is only applied). Each patch also goes through
# scripts/checkpatch.pl --strict of the pristine tree. Any error, a
# warning in a touched file, or a checkpatch ERROR/WARNING/CHECK fails the
# check; every prefix is checked and the failures are listed at the end.
# Incremental and ccache'd: about a minute per prefix and architecture once
# the compiler cache is warm. Not part of the test command (see
# kernel/README.md); run it before changing the series.
#
# Usage: kernel/scripts/check-prefixes.sh [--arch x86_64|arm64]... [--from N] [--to N]
#   --arch    check this architecture only (repeatable; default both)
#   --from N  start at prefix N (the earlier ones are applied, not checked)
#   --to N    stop after prefix N
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=() from=1 to=0
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arches+=("${2:?--arch needs a value}"); shift ;;
	--from) from=${2:?--from needs a number}; shift ;;
	--to) to=${2:?--to needs a number}; shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 arm64)
[[ $from =~ ^[1-9][0-9]*$ ]] || die "--from needs a positive number"
[[ $to =~ ^[0-9]+$ ]] || die "--to needs a number"
for a in "${arches[@]}"; do arch_vars "$a"; need "${KCROSS}gcc"; done
need make gcc sparse git perl
lock_prepare
ensure_pristine

W=$KCACHE/prefix-check
kgit worktree remove --force "$W" >/dev/null 2>&1 || rm -rf "$W"
kgit worktree prune
kgit worktree add -q --detach "$W" pristine
exec 9>&-	# the scratch worktree is ours: let prepare.sh run meanwhile
cleanup() { kgit worktree remove --force "$W" >/dev/null 2>&1 || true; }
trap cleanup EXIT

cc_for() { # arch
	local cc="${KCROSS}gcc"
	command -v ccache >/dev/null 2>&1 && cc="ccache $cc"
	echo "$cc"
}

configure() { # arch build-dir
	local frags=("$CONFIG_DIR/base.config" "$CONFIG_DIR/$1.config") f
	for f in series.config "series-$1.config"; do
		[ -f "$CONFIG_DIR/$f" ] && frags+=("$CONFIG_DIR/$f")
	done
	make -C "$W" O="$2" ARCH="$KARCH" ${KCROSS:+CROSS_COMPILE=$KCROSS} tinyconfig >"$2/config.log" 2>&1
	(cd "$2" && "$W/scripts/kconfig/merge_config.sh" -m -O "$2" "$2/.config" "${frags[@]}") >>"$2/config.log" 2>&1
	make -C "$W" O="$2" ARCH="$KARCH" ${KCROSS:+CROSS_COMPILE=$KCROSS} olddefconfig >>"$2/config.log" 2>&1
}

# checkpatch --strict of one patch, as kernel/scripts/checkpatch.sh does it.
checkpatch() { # patch-file
	local out
	out=$(cd "$W" && perl scripts/checkpatch.pl --strict --no-color --showfile "$1" 2>&1) || true
	if grep -qE '^total: 0 errors, 0 warnings, 0 checks' <<<"$out" &&
	   ! grep -qE '(^|: )(ERROR|WARNING|CHECK):' <<<"$out"; then
		return 0
	fi
	sed -n '/^total: /q;p' <<<"$out" | head -30 >&2
	return 1
}

t0=$(now) n=0 failed=0 failures=()
mapfile -t patches < <(series_patches)
[ "$to" -gt 0 ] || to=${#patches[@]}
step "checking prefixes $from-$to of ${#patches[@]} for ${arches[*]}"
for p in "${patches[@]}"; do
	n=$((n + 1))
	[ "$n" -gt "$to" ] && break
	git -C "$W" -c user.name=prefix-check -c user.email=check@invalid am -q --keep-cr \
		"$PATCH_DIR/$p" >/dev/null 2>&1 || die "prefix $n: $p does not apply"
	[ "$n" -lt "$from" ] && continue
	if ! checkpatch "$PATCH_DIR/$p"; then
		warn "patch $n ($p): checkpatch --strict findings"
		failed=$((failed + 1)) failures+=("$n checkpatch")
	fi
	mapfile -t files < <(git -C "$W" diff --name-only --diff-filter=AM pristine HEAD -- '*.c' |
		grep -v '^tools/' || true)
	# Whole directories: kbuild then builds what the configuration
	# enables (a single object would be built even if its option is off).
	mapfile -t dirs < <(printf '%s\n' "${files[@]}" | sed -n 's|/[^/]*\.c$|/|p' | sort -u)
	if [ ${#dirs[@]} = 0 ]; then
		info "ok   $n/${#patches[@]} applies, checkpatch clean; touches no C file  $p"
		continue
	fi
	for arch in "${arches[@]}"; do
		arch_vars "$arch"
		B=$KCACHE/prefix-build-$arch	# not build-*: prepare.sh removes those
		mkdir -p "$B"
		configure "$arch" "$B"
		log=$B/prefix-$n.log
		t1=$(now)
		if ! make -C "$W" O="$B" ARCH="$KARCH" ${KCROSS:+CROSS_COMPILE=$KCROSS} \
			CC="$(cc_for "$arch")" -j"$JOBS" W=1 C=2 "${dirs[@]}" >"$log" 2>&1; then
			grep -E 'error|Error' "$log" | head -20 >&2 || true
			warn "prefix $n ($p) does not build for $arch (log: $log)"
			failed=$((failed + 1)) failures+=("$n build-$arch")
			continue
		fi
		bad=$(grep -E '(warning|error):' "$log" | grep -F -f <(printf '%s\n' "${files[@]}") || true)
		if [ -n "$bad" ]; then
			printf '%s\n' "$bad" | head -20 >&2
			warn "prefix $n ($p): warnings for $arch (log: $log)"
			failed=$((failed + 1)) failures+=("$n warnings-$arch")
			continue
		fi
		info "ok   $n/${#patches[@]} $arch  ${dirs[*]}  $(elapsed "$t1")  $p"
	done
done
[ "$failed" = 0 ] || die "$failed check(s) failed: ${failures[*]} ($(elapsed "$t0"))"
step "prefixes $from-$to: checkpatch --strict clean, build W=1 + sparse for ${arches[*]} ($(elapsed "$t0"))"
