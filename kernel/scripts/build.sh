#!/bin/bash
# Build the patched kernel out of tree in the cache:
#   tinyconfig + kernel/config/{base,<arch>,[debug|trace],series}.config, W=1,
#   ccache if installed, -j$(nproc); bzImage (x86_64) or Image (arm64).
# Fails on build errors, on fragment options that did not end up in .config,
# and on W=1 (and sparse) warnings in files the series touches.
#
# Usage: kernel/scripts/build.sh [--arch x86_64|arm64] [--debug|--trace] [--no-sparse] [--config-only]
#   --debug   KASAN, kmemleak, lockdep (config/debug.config), in build-ARCH-debug
#   --trace   function_graph tracing for vshmem-bench's kstages suite
#             (config/trace.config), in build-ARCH-trace
# Prints the image path on the last line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# debug: build_dir's variant (0, 1 for debug, trace); extra: its fragment
arch=x86_64 debug=0 extra='' sparse=1 config_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=${2:?--arch needs a value}; shift ;;
	--arch=*) arch=${1#--arch=} ;;
	--debug) debug=1 extra=debug ;;
	--trace) debug=trace extra=trace ;;
	--no-sparse) sparse=0 ;;
	--config-only) config_only=1 ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
arch_vars "$arch"
need make gcc bc bison flex "${KCROSS}gcc"
ensure_prepared >/dev/null
lock_tree

B=$(build_dir "$arch" "$debug")
mkdir -p "$B"
exec 8>"$B/.build.lock"
flock 8

frags=("$CONFIG_DIR/base.config" "$CONFIG_DIR/$arch.config")
[ -n "$extra" ] && frags+=("$CONFIG_DIR/$extra.config")
for f in series.config "series-$arch.config"; do
	[ -f "$CONFIG_DIR/$f" ] && frags+=("$CONFIG_DIR/$f")
done
for f in "${frags[@]}"; do [ -f "$f" ] || die "missing config fragment $f"; done

cc="${KCROSS}gcc"
if command -v ccache >/dev/null 2>&1; then
	cc="ccache $cc"
	mkdir -p "$CCACHE_DIR"
fi
kmake() {
	make -C "$PATCHED_DIR" O="$B" ARCH="$KARCH" ${KCROSS:+CROSS_COMPILE=$KCROSS} CC="$cc" HOSTCC="${cc%${KCROSS}gcc}gcc" "$@"
}

variant=$arch${extra:+ $extra}
t0=$(now)

# --- configuration (re-done when a fragment or the series changed)
cfg_hash=$(cat "${frags[@]}" "$PATCHED_STAMP" | sha256sum | cut -c1-16)
if [ ! -f "$B/.config" ] || [ "$(cat "$B/.config-hash" 2>/dev/null)" != "$cfg_hash" ]; then
	step "configuring $variant kernel: tinyconfig + $(for f in "${frags[@]}"; do printf '%s ' "${f##*/}"; done)"
	rm -f "$B/.config-hash"
	kmake tinyconfig > "$B/config.log" 2>&1 || { cat "$B/config.log" >&2; die "make tinyconfig failed"; }
	(cd "$B" && "$PATCHED_DIR/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "${frags[@]}") \
		>> "$B/config.log" 2>&1 || { cat "$B/config.log" >&2; die "merge_config.sh failed"; }
	kmake olddefconfig >> "$B/config.log" 2>&1 || { cat "$B/config.log" >&2; die "make olddefconfig failed"; }

	# Every option of the fragments must end up exactly as written.
	check=("$CONFIG_DIR/base.config" "$CONFIG_DIR/$arch.config")
	[ -n "$extra" ] && check+=("$CONFIG_DIR/$extra.config")
	if [ "$(series_count)" -gt 0 ]; then
		for f in series.config "series-$arch.config"; do
			[ -f "$CONFIG_DIR/$f" ] && check+=("$CONFIG_DIR/$f")
		done
	fi
	bad=()
	while IFS= read -r line; do
		f=${line%%:*} line=${line#*:}
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
			grep -qxF "$sym=$val" "$B/.config" ||
				bad+=("$sym=$val (${f##*/}; got: $(grep -E "^(# )?$sym[= ]" "$B/.config" || echo 'unknown symbol / unmet dependencies'))")
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set ]]; then
			sym=${BASH_REMATCH[1]}
			! grep -qE "^$sym=" "$B/.config" ||
				bad+=("$sym off (${f##*/}; got: $(grep -E "^$sym=" "$B/.config"))")
		fi
	done < <(grep -H -E '^(CONFIG_|# CONFIG_.* is not set)' "${check[@]}")
	if [ "${#bad[@]}" -gt 0 ]; then
		printf 'ERROR: config option not set as requested:\n' >&2
		printf '    %s\n' "${bad[@]}" >&2
		die "${#bad[@]} config option(s) missing from $B/.config (log: $B/config.log)"
	fi
	echo "$cfg_hash" > "$B/.config-hash"
fi

if [ "$config_only" = 1 ]; then
	step "$variant .config ready (all fragment options set): $B/.config"
	echo "$B/.config"
	exit 0
fi

# --- build
img_target=${KIMAGE##*/}
withcc=; [ "${cc#ccache}" != "$cc" ] && withcc=", ccache"
step "building $variant kernel (W=1, $JOBS jobs$withcc)..."
log=$B/build.log
if ! kmake -j"$JOBS" W=1 "$img_target" > "$log" 2>&1; then
	grep -E 'error:|Error [0-9]|\*\*\*' "$log" | head -40 >&2 || true
	echo "--- last lines of $log:" >&2
	tail -n 30 "$log" >&2
	die "$variant kernel build failed after $(elapsed "$t0") (full log: $log)"
fi
nwarn=$(grep -c ': warning:' "$log" || true)
info "build finished in $(elapsed "$t0") ($nwarn W=1 warnings in this (incremental) build, log: $log)"

# --- warnings in files touched by the series: fatal
mapfile -t touched < <(series_files)
if [ "${#touched[@]}" -gt 0 ]; then
	re=$(printf '%s\n' "${touched[@]}" | sed 's/[.[\*^$]/\\&/g' | paste -sd'|')
	ours=$(grep -E "(^|/)($re):[0-9]+(:[0-9]+)?: warning:" "$log" | sort -u || true)
	if [ "$sparse" = 1 ] && command -v sparse >/dev/null 2>&1; then
		objs=()
		for f in "${touched[@]}"; do
			[[ $f == *.c ]] && [ -f "$B/${f%.c}.o" ] && objs+=("${f%.c}.o")
		done
		if [ "${#objs[@]}" -gt 0 ]; then
			step "running sparse (C=2) on ${#objs[@]} file(s) touched by the series..."
			kmake -j"$JOBS" W=1 C=2 "${objs[@]}" > "$B/sparse.log" 2>&1 ||
				{ tail -n 30 "$B/sparse.log" >&2; die "sparse run failed (log: $B/sparse.log)"; }
			ours+=$'\n'$(grep -E "(^|/)($re):[0-9]+(:[0-9]+)?: (warning|error):" "$B/sparse.log" | sort -u || true)
		fi
	fi
	ours=$(sed '/^$/d' <<<"$ours")
	if [ -n "$ours" ]; then
		echo "$ours" >&2
		# A warning is printed only when its file is compiled: remove the
		# objects, or the next (incremental) build would pass in silence.
		for f in "${touched[@]}"; do
			[[ $f == *.c ]] && grep -qF "${f%.c}.c:" <<<"$ours" && rm -f "$B/${f%.c}.o"
		done
		die "$(wc -l <<<"$ours") warning(s) in files touched by the series ($variant build)"
	fi
	info "no W=1$([ "$sparse" = 1 ] && echo '/sparse' || true) warnings in the ${#touched[@]} file(s) touched by the series"
fi

step "$variant kernel ready in $(elapsed "$t0"): $B/$KIMAGE"
echo "$B/$KIMAGE"
