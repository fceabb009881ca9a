# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build helpers shared by tests/vm/run.sh, tests/demo.sh and the bench
# scripts. Sourced after kernel/scripts/lib.sh (which gives VSHMEM_CACHE,
# step, info, die...).

# bench_common_opt "$@": the options every bench script takes
# (tests/vm/bench.sh, tests/vm/bench-ffa.sh, tests/virtio/bench.sh), for the
# catch-all arm of its option loop. --kernel IMAGE, --out DIR and
# --timeout S set kernel, out and timeout_s: they all take a value, so the
# caller shifts once more than for a flag. -h/--help prints the usage and
# exits; anything else is an unknown option (exit 1).
# shellcheck disable=SC2034  # kernel, out and timeout_s are the caller's
bench_common_opt() {
	case "$1" in
	--kernel) kernel=${2:?--kernel needs an image} ;;
	--out) out=${2:?--out needs a directory} ;;
	--timeout) timeout_s=${2:?--timeout needs seconds} ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
}

# bench_has_suite NAME ARGS...: whether vshmem-bench ARGS... runs the suite
# NAME: the last --suite counts (as in vshmem-bench); without one, every
# suite but ffa and kstages does; "all" is every suite but kstages.
bench_has_suite() {
	local name=$1 suites='' next=0 a
	shift
	for a in "$@"; do
		[ "$next" = 1 ] && suites=$a
		next=0
		case "$a" in
		--suite=*) suites=${a#--suite=} ;;
		--suite) next=1 ;;
		esac
	done
	[ -n "$suites" ] || { [ "$name" != ffa ] && [ "$name" != kstages ]; return; }
	case ",$suites," in
	*",$name,"*) return 0 ;;
	*,all,*) [ "$name" != kstages ]; return ;;
	esac
	return 1
}

# vm_build_lib ROOT [ARCH]: libvshmem, test_kernel and the example tools,
# fully static, in a meson build dir of the cache (one per checkout, since
# meson records the source path). ARCH arm64 cross-builds them with
# tests/vm/aarch64-cross.ini, without liburing and libdrm (none for the
# target: test_kernel's io_uring case skips). Sets VM_B.
vm_build_lib() {
	local root=$1 arch=${2:-x86_64} t0 setup=()
	VM_B=$VSHMEM_CACHE/build-vm-$(printf '%s' "$root" | sha256sum | cut -c1-12)
	setup=(-Dliburing=enabled)
	if [ "$arch" = arm64 ]; then
		VM_B=$VSHMEM_CACHE/build-vm-arm64-$(printf '%s' "$root" | sha256sum | cut -c1-12)
		setup=(--cross-file "$root/tests/vm/aarch64-cross.ini" -Dliburing=disabled -Dlibdrm=disabled)
	fi
	step "building libvshmem statically ($arch) in $VM_B..."
	t0=$(now)
	mkdir -p "$VSHMEM_CACHE"
	if [ ! -f "$VM_B/build.ninja" ]; then
		rm -rf "$VM_B"
		meson setup "$VM_B" "$root" -Ddefault_library=static -Dstatic-examples=true \
			-Dman-pages=false "${setup[@]}" > "$VM_B.setup.log" 2>&1 ||
			{ cat "$VM_B.setup.log" >&2; die "meson setup failed"; }
	fi
	meson compile -C "$VM_B" examples/vshmem-offer examples/vshmem-accept \
		tests/unit/test_kernel > "$VM_B/compile.log" 2>&1 ||
		{ tail -n 40 "$VM_B/compile.log" >&2; die "meson compile failed (log: $VM_B/compile.log)"; }
	info "libvshmem, test_kernel, vshmem-offer, vshmem-accept ($(elapsed "$t0"))"
}

# vm_build_harness ROOT [ARCH]: the in-guest test harness (kernel/scripts/
# lib.sh: harness_lib) and the libvshmem flows of tests/vm/vmtest.c, each
# built once (again when a source changed). Sets VM_HARNESS (what to link).
vm_build_harness() {
	local root=$1 arch=${2:-x86_64} cc=gcc dir
	[ "$arch" = arm64 ] && cc=aarch64-linux-gnu-gcc
	GUEST_ARCH=$arch harness_lib
	dir=$VM_B/vm-harness
	mkdir -p "$dir"
	if [ ! -f "$dir/vmtest.o" ] || [ "$root/tests/vm/vmtest.c" -nt "$dir/vmtest.o" ] ||
	   [ "$root/tests/vm/vmtest.h" -nt "$dir/vmtest.o" ] ||
	   [ "$HARNESS_LIB" -nt "$dir/vmtest.o" ] || [ "$VM_B/lib/libvshmem.a" -nt "$dir/vmtest.o" ]; then
		"$cc" -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
			-I "$root/include" -I "$VM_B/include" -c -o "$dir/vmtest.o.tmp" \
			"$root/tests/vm/vmtest.c" || die "compiling tests/vm/vmtest.c failed"
		mv -f "$dir/vmtest.o.tmp" "$dir/vmtest.o"
	fi
	VM_HARNESS=("$dir/vmtest.o" "$HARNESS_LIB")
}

# vm_build_prog ROOT SRC OUT [ARCH]: one in-guest C program of tests/vm,
# static, against the library of vm_build_lib and the harness of
# vm_build_harness (rebuilt when one of them or the source changed). ARCH
# arm64: aarch64-linux-gnu-gcc and -DVT_NO_LIBURING (the io_uring cases SKIP).
vm_build_prog() {
	local root=$1 src=$2 out=$3 arch=${4:-x86_64} cc=gcc extra=(-luring)
	if [ "$arch" = arm64 ]; then
		cc=aarch64-linux-gnu-gcc extra=(-DVT_NO_LIBURING)
	fi
	vm_build_harness "$root" "$arch"
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ] ||
	   [ "$root/tests/vm/vmtest.h" -nt "$out" ] || [ "${VM_HARNESS[0]}" -nt "$out" ] ||
	   [ "$HARNESS_LIB" -nt "$out" ] || [ "$VM_B/lib/libvshmem.a" -nt "$out" ]; then
		"$cc" -static -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
			-I "$root/include" -I "$VM_B/include" -o "$out" "$src" \
			"${VM_HARNESS[@]}" "$VM_B/lib/libvshmem.a" "${extra[@]}" ||
			die "compiling $src failed"
	fi
}

# vm_kernel ROOT DEBUG(0|1) [ARCH]: the patched kernel image from
# kernel/scripts/build.sh (cached there); progress is shown indented.
# Sets VM_KERNEL.
vm_kernel() {
	local root=$1 debug=$2 arch=${3:-x86_64} kout t0 args=()
	[ "$arch" = x86_64 ] || args+=(--arch "$arch")
	[ "$debug" = 1 ] && args+=(--debug)
	step "getting the patched kernel (kernel/scripts/build.sh ${args[*]})..."
	t0=$(now)
	kout=$(mktemp)
	"$root/kernel/scripts/build.sh" "${args[@]}" | tee "$kout" | sed 's/^/    /'
	VM_KERNEL=$(tail -n1 "$kout")
	rm -f "$kout"
	[ -f "$VM_KERNEL" ] || die "build.sh gave no kernel image"
	info "kernel ready: $VM_KERNEL ($(elapsed "$t0"))"
}
