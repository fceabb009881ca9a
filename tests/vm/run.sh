#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The end-to-end VM suite: libvshmem -> SCM_VSOCK_SHMEM -> patched kernel ->
# dma-buf heaps -> DMA ops -> peer, in a QEMU guest.
#
#  1. builds libvshmem, its kernel test suite (tests/unit/test_kernel) and
#     the example tools statically with meson, in
#     ${VSHMEM_CACHE:-~/.cache/libvshmem}/build-vm-<checkout hash> (reused);
#  2. builds the integration tests of tests/vm/vm_*.c against it (static),
#     and the upstream dmabuf-heaps selftest of the patched kernel tree
#     against its `make headers_install` output;
#  3. gets the patched kernel from kernel/scripts/build.sh (cached);
#  4. boots it with kernel/scripts/vm-run.sh and runs, in one guest: every
#     vm_* program, test_kernel, tests/vm/cli-session.sh (the example tools
#     on 64 MiB buffers) and the dmabuf-heaps selftest;
#  5. prints one TAP stream of all cases (also saved under
#     $VSHMEM_CACHE/kernel/logs/) and a summary.
#
# With --arch arm64 the same programs are cross-built (aarch64-linux-gnu-gcc,
# tests/vm/aarch64-cross.ini; no liburing for the target, so the io_uring
# cases report SKIP), the kernel comes from `build.sh --arch arm64`, and the
# guest is qemu-system-aarch64 behind TF-A + OP-TEE (vm-run-ffa.sh). The
# host cannot run aarch64 programs, so the guest prints each program's
# `--list` before running anything, and that is the list of expected cases.
#
# A case is "passed" only when it reported ok. A case that was expected
# (from `PROG --list` on the host, or from the plan the program printed)
# but never reported is "not ok ... # not run" and fails the suite; a
# skip is counted as skipped, never as passed. Kernel splats (BUG, KASAN,
# lockdep, kmemleak...) fail the suite even if every case passed (vm-run.sh
# scans the console; --debug adds a kmemleak scan at the end).
#
# Usage: tests/vm/run.sh [--arch x86_64|arm64] [--debug] [--kernel IMAGE]
#                        [--only PROG[,PROG...]] [--timeout S]
#   --arch ARCH    guest architecture (default x86_64; arm64: FF-A guest)
#   --debug        the debug kernel (KASAN, kmemleak, lockdep; x86_64 only)
#   --kernel IMG   boot IMG instead of building the kernel
#   --only LIST    only these programs (vm_share, vm_lend, vm_errors,
#                  vm_many, vm_peer, vm_hostile, vm_isolation, vm_faults,
#                  vm_stress,
#                  test_kernel, cli-session, dmabuf-heap)
#   --timeout S    limit for the whole guest run (default 1200, debug 3600)
# Exit: 0 when every expected case passed and the kernel reported nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/kernel/scripts/lib.sh"	# VSHMEM_CACHE, KCACHE, ensure_headers, step...
. "$root/tests/vm/common.sh"

arch=x86_64 debug=0 kernel= only= timeout_s=
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=${2:?--arch needs x86_64 or arm64}; shift ;;
	--debug) debug=1 ;;
	--kernel) kernel=${2:?--kernel needs an image}; shift ;;
	--only) only=${2:?--only needs a list}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$timeout_s" ] || timeout_s=$([ "$debug" = 1 ] && echo 3600 || echo 1200)
need meson ninja gcc pkg-config
case "$arch" in
x86_64) ;;
arm64)
	need aarch64-linux-gnu-gcc
	# vm-run-ffa.sh has no debug variant (no kmemleak scan, no debug image)
	[ "$debug" = 0 ] || die "--debug is for x86_64 guests only"
	;;
*) die "--arch: x86_64 or arm64, not '$arch'" ;;
esac
t_start=$(now)
variant=$([ "$debug" = 1 ] && echo "debug kernel" || echo "kernel")
[ "$arch" = x86_64 ] || variant="$arch $variant"

PROGS=(vm_share vm_lend vm_errors vm_many vm_peer vm_hostile vm_isolation vm_faults vm_stress test_kernel cli-session dmabuf-heap)
if [ -n "$only" ]; then
	IFS=, read -r -a PROGS <<<"$only"
fi
for p in "${PROGS[@]}"; do
	case " vm_share vm_lend vm_errors vm_many vm_peer vm_hostile vm_isolation vm_faults vm_stress test_kernel cli-session dmabuf-heap " in
	*" $p "*) ;; *) die "--only: unknown program '$p'" ;;
	esac
done

# ---- 1. libvshmem, static
vm_build_lib "$root" "$arch"
B=$VM_B

# ---- 2. integration tests and the dmabuf-heaps selftest, static
bin=$B/vm
mkdir -p "$bin"
t0=$(now)
step "building the in-guest tests ($arch: tests/vm/vm_*.c, dmabuf-heaps selftest)..."
for src in "$root"/tests/vm/vm_*.c; do
	vm_build_prog "$root" "$src" "$bin/$(basename "$src" .c)" "$arch"
done
if [ "$arch" = arm64 ]; then
	ensure_headers_arm64
	hdr=$HEADERS_DIR-arm64 cc=aarch64-linux-gnu-gcc
else
	ensure_headers
	hdr=$HEADERS_DIR cc=gcc
fi
st=$PATCHED_DIR/tools/testing/selftests/dmabuf-heaps/dmabuf-heap.c
[ -f "$st" ] || die "$st not found in the patched tree"
if [ ! -x "$bin/dmabuf-heap" ] || [ "$st" -nt "$bin/dmabuf-heap" ] ||
   [ "$hdr/.done" -nt "$bin/dmabuf-heap" ]; then
	# as its Makefile does: -static, the tree's installed uapi headers
	"$cc" -static -O2 -Wall -Wl,-no-as-needed -isystem "$hdr/include" \
		-o "$bin/dmabuf-heap" "$st" || die "compiling $st failed"
fi
cp "$root/tests/vm/cli-session.sh" "$bin/cli-session"
chmod +x "$bin/cli-session"
info "done ($(elapsed "$t0"))"

path_of() {
	case "$1" in
	vm_*|dmabuf-heap|cli-session) echo "$bin/$1" ;;
	test_kernel) echo "$B/tests/unit/test_kernel" ;;
	esac
}

# Cases each program must report: from --list where the program has one;
# for test_kernel and the selftest, from the plan they print in the guest.
# The aarch64 vm_* programs cannot run here: the guest lists their cases
# first (step 5 reads them from its output).
declare -A expected=()
for p in "${PROGS[@]}"; do
	case "$p" in
	vm_*) [ "$arch" = arm64 ] || expected[$p]=$("$(path_of "$p")" --list) ;;
	cli-session) expected[$p]=$(sh "$bin/cli-session" --list) ;;
	*) expected[$p]= ;;
	esac
done

# ---- 3. kernel
if [ -z "$kernel" ]; then
	vm_kernel "$root" "$debug" "$arch"
	kernel=$VM_KERNEL
fi
[ -f "$kernel" ] || die "kernel image '$kernel' not found"

# ---- 4. the guest run
guest=$(mktemp "${TMPDIR:-/tmp}/vshmem-vm-suite.XXXXXX.sh")
out=$(mktemp "${TMPDIR:-/tmp}/vshmem-vm-suite.XXXXXX.out")
trap 'rm -f "$guest" "$out"' EXIT
per_prog=$(( timeout_s / 2 ))
{
	echo '# generated by tests/vm/run.sh'
	echo 'set -o pipefail'
	echo 'echo "guest: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPU(s) online, $(sed -n "s/MemTotal: *//p" /proc/meminfo)"'
	echo 'echo "guest: heaps: $(ls /dev/dma_heap | tr "\n" " ")"'
	echo 'fails=0'
	if [ "$arch" = arm64 ]; then
		for p in "${PROGS[@]}"; do
			case "$p" in
			vm_*) echo "echo \"$p--list: \$($p --list 2>&1 | tr '\\n' ' ')\"" ;;
			esac
		done
	fi
	if [ "$debug" = 1 ]; then
		# the debug kernel must really have its checkers on, or a clean run
		# would prove nothing
		cat <<'G'
echo "@@ BEGIN debug-kernel"
{
echo 1..3
if dmesg | grep -q 'KernelAddressSanitizer initialized'; then echo "ok 1 kasan"; else echo "not ok 1 kasan"; fi
if [ -e /sys/kernel/debug/kmemleak ]; then echo "ok 2 kmemleak"; else echo "not ok 2 kmemleak"; fi
if [ -e /proc/lockdep ]; then echo "ok 3 lockdep"; else echo "not ok 3 lockdep"; fi
} | sed 's/^/debug-kernel: /'
echo "@@ END debug-kernel rc=0"
G
	fi
	for p in "${PROGS[@]}"; do
		cat <<G
echo "@@ BEGIN $p"
timeout $per_prog $p 2>&1 | sed 's/^/$p: /'
rc=\$?
echo "@@ END $p rc=\$rc"
[ \$rc = 0 ] || fails=\$((fails + 1))
G
	done
	echo 'exit $fails'
} > "$guest"

adds=()
for p in "${PROGS[@]}"; do adds+=(--add "$(path_of "$p")"); done
# the session needs the tools even when it is the only program
adds+=(--add "$B/examples/vshmem-offer" --add "$B/examples/vshmem-accept")
vargs=("${adds[@]}" --kernel "$kernel" --timeout "$timeout_s" --script "$guest")
[ "$debug" = 1 ] && vargs+=(--debug)
runner=$root/kernel/scripts/vm-run.sh
[ "$arch" = arm64 ] && runner=$root/kernel/scripts/vm-run-ffa.sh
step "running ${#PROGS[@]} test programs in the guest ($variant): ${PROGS[*]}"
t0=$(now)
set +e
"$runner" "${vargs[@]}" 2>&1 | tee "$out"
vrc=${PIPESTATUS[0]}
set -e
t_guest=$(elapsed "$t0")
console=$(sed -n 's/.*console log: \(\/[^ ;)]*\).*/\1/p' "$out" | tail -n1)
# vm-run.sh repeats the end of the console when the guest did not finish:
# parse the guest's output only up to there, or cases would count twice.
guest_out=$(sed '/^--- last lines of the console log:/,$d' "$out")

# ---- 5. one TAP stream
if [ "$debug" = 1 ]; then
	PROGS=(debug-kernel "${PROGS[@]}")
	expected[debug-kernel]=$(printf 'kasan\nkmemleak\nlockdep\n')
fi
if [ "$arch" = arm64 ]; then
	for p in "${PROGS[@]}"; do
		case "$p" in
		vm_*) expected[$p]=$(sed -n "s/^$p--list: //p" <<<"$guest_out" | tr -d '\r' | tr ' ' '\n') ;;
		esac
	done
fi
tap=$(mktemp)
pass=0 fail=0 skip=0 notrun=0 num=0
emit() { # status name [comment]
	num=$((num + 1))
	case "$1" in
	pass) pass=$((pass + 1)); echo "ok $num $2" ;;
	fail) fail=$((fail + 1)); echo "not ok $num $2${3:+ # $3}" ;;
	skip) skip=$((skip + 1)); echo "ok $num $2 # SKIP ${3:-}" ;;
	notrun) notrun=$((notrun + 1)); echo "not ok $num $2 # not run${3:+ ($3)}" ;;
	esac >> "$tap"
}
for p in "${PROGS[@]}"; do
	lines=$(sed -n "s/^$p: //p" <<<"$guest_out" | tr -d '\r')
	prc=$(sed -nE "s/^@@ END $p rc=([0-9]+)\$/\1/p" <<<"$guest_out" | tail -n1)
	why="the program $([ -z "$prc" ] && echo 'did not finish' || echo "exited $prc")"
	declare -A seen=()
	# results: "ok N desc[ # comment]" / "not ok N desc[ # comment]"
	sub=
	while IFS= read -r l; do
		# the selftest names its cases per heap: "# Testing heap: NAME"
		if [[ $l =~ ^#\ Testing\ heap:\ (.*)$ ]]; then
			sub="${BASH_REMATCH[1]}: "
		fi
		if [[ $l =~ ^(not\ )?ok\ ([0-9]+)\ *(-\ )?([^#]*[^#\ ])?\ *(#\ *(.*))?$ ]]; then
			name=${BASH_REMATCH[4]:-case ${BASH_REMATCH[2]}} comment=${BASH_REMATCH[6]:-}
			seen[$name]=1
			name=$sub$name
			if [ -n "${BASH_REMATCH[1]}" ]; then
				emit fail "$p/$name" "$comment"
			elif [[ $comment =~ ^[Ss][Kk][Ii][Pp] ]]; then
				emit skip "$p/$name" "${comment#* }"
			else
				emit pass "$p/$name"
			fi
		fi
	done <<<"$lines"
	if [ -n "${expected[$p]}" ]; then
		while IFS= read -r name; do
			if [ -n "$name" ] && [ -z "${seen[$name]:-}" ]; then
				emit notrun "$p/$name" "$why"
			fi
		done <<<"${expected[$p]}"
	else
		plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' <<<"$lines" | head -n1)
		got=$(grep -cE '^(not )?ok [0-9]+' <<<"$lines" || true)
		if [ -z "$plan" ]; then
			emit notrun "$p" "no TAP plan: $why"
		else
			for ((i = got; i < plan; i++)); do
				emit notrun "$p/case $((i + 1)) of $plan" "$why"
			done
		fi
	fi
	if [ -n "$prc" ] && [ "$prc" != 0 ] && ! grep -q "^not ok [0-9]* $p/" "$tap"; then
		emit fail "$p" "exited $prc without a failed case"
	fi
	unset seen
done

mkdir -p "$KCACHE/logs"
saved=$KCACHE/logs/vm-suite-$(date +%Y%m%d-%H%M%S)$([ "$arch" = arm64 ] && echo -arm64 || true)$([ "$debug" = 1 ] && echo -debug || true).tap
{ echo "TAP version 13"; echo "1..$num"; cat "$tap"; } > "$saved"
rm -f "$tap"
echo
echo "=== VM suite results ($variant) ==="
cat "$saved"
ok=1
[ $((fail + notrun)) = 0 ] || ok=0
[ "$num" -gt 0 ] || ok=0
if [ "$vrc" != 0 ]; then
	ok=0
	case "$vrc" in
	124) echo "ERROR: the guest did not finish (timeout or panic)" ;;
	125) echo "ERROR: the kernel reported problems (BUG/WARNING/KASAN/lockdep/kmemleak) during the run" ;;
	*) echo "vm-run.sh exit $vrc ($([ $((fail + notrun)) = 0 ] && echo 'no case failed' || echo 'failed programs'))" ;;
	esac
fi
echo "vm suite ($variant): $pass passed, $fail failed, $skip skipped, $notrun not run (of $num) in $(elapsed "$t_start") (guest $t_guest)"
echo "TAP: $saved"
if [ "$ok" = 1 ]; then
	step "VM suite passed"
	exit 0
fi
[ -n "$console" ] && echo "console log: $console" || echo "console logs: $KCACHE/logs/ (vm-*.log, newest)"
echo "ERROR: VM suite failed" >&2
exit 1
