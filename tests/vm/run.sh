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
# A case is "passed" only when it reported ok. A case that was expected
# (from `PROG --list` on the host, or from the plan the program printed)
# but never reported is "not ok ... # not run" and fails the suite; a
# skip is counted as skipped, never as passed. Kernel splats (BUG, KASAN,
# lockdep, kmemleak...) fail the suite even if every case passed (vm-run.sh
# scans the console; --debug adds a kmemleak scan at the end).
#
# Usage: tests/vm/run.sh [--debug] [--kernel IMAGE] [--only PROG[,PROG...]]
#                        [--timeout S]
#   --debug        the debug kernel (KASAN, kmemleak, lockdep)
#   --kernel IMG   boot IMG instead of building the kernel
#   --only LIST    only these programs (vm_share, vm_lend, vm_errors,
#                  vm_many, vm_peer, test_kernel, cli-session, dmabuf-heap)
#   --timeout S    limit for the whole guest run (default 1200, debug 3600)
# Exit: 0 when every expected case passed and the kernel reported nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/kernel/scripts/lib.sh"	# VSHMEM_CACHE, KCACHE, ensure_headers, step...

debug=0 kernel= only= timeout_s=
while [ $# -gt 0 ]; do
	case "$1" in
	--debug) debug=1 ;;
	--kernel) kernel=${2:?--kernel needs an image}; shift ;;
	--only) only=${2:?--only needs a list}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	-h|--help) sed -n '3,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$timeout_s" ] || timeout_s=$([ "$debug" = 1 ] && echo 3600 || echo 1200)
need meson ninja gcc pkg-config
t_start=$(now)
variant=$([ "$debug" = 1 ] && echo "debug kernel" || echo "kernel")

PROGS=(vm_share vm_lend vm_errors vm_many vm_peer test_kernel cli-session dmabuf-heap)
if [ -n "$only" ]; then
	IFS=, read -r -a PROGS <<<"$only"
fi
for p in "${PROGS[@]}"; do
	case " vm_share vm_lend vm_errors vm_many vm_peer test_kernel cli-session dmabuf-heap " in
	*" $p "*) ;; *) die "--only: unknown program '$p'" ;;
	esac
done

# ---- 1. libvshmem, static (one build dir per checkout: meson records it)
B=$VSHMEM_CACHE/build-vm-$(printf '%s' "$root" | sha256sum | cut -c1-12)
step "building libvshmem statically in $B..."
t0=$(now)
if [ ! -f "$B/build.ninja" ]; then
	rm -rf "$B"
	meson setup "$B" "$root" -Ddefault_library=static -Dstatic-examples=true \
		-Dman-pages=false -Dliburing=enabled > "$VSHMEM_CACHE/build-vm.setup.log" 2>&1 ||
		{ cat "$VSHMEM_CACHE/build-vm.setup.log" >&2; die "meson setup failed"; }
fi
meson compile -C "$B" examples/vshmem-offer examples/vshmem-accept \
	tests/unit/test_kernel > "$B/compile.log" 2>&1 ||
	{ tail -n 40 "$B/compile.log" >&2; die "meson compile failed (log: $B/compile.log)"; }
info "libvshmem, test_kernel, vshmem-offer, vshmem-accept ($(elapsed "$t0"))"

# ---- 2. integration tests and the dmabuf-heaps selftest, static
bin=$B/vm
mkdir -p "$bin"
t0=$(now)
step "building the in-guest tests (tests/vm/vm_*.c, dmabuf-heaps selftest)..."
for src in "$root"/tests/vm/vm_*.c; do
	n=$(basename "$src" .c)
	if [ ! -x "$bin/$n" ] || [ "$src" -nt "$bin/$n" ] ||
	   [ "$root/tests/vm/vmtest.h" -nt "$bin/$n" ] || [ "$B/lib/libvshmem.a" -nt "$bin/$n" ]; then
		gcc -static -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
			-I "$root/include" -I "$B/include" -o "$bin/$n" "$src" \
			"$B/lib/libvshmem.a" -luring ||
			die "compiling $src failed"
	fi
done
ensure_headers
st=$PATCHED_DIR/tools/testing/selftests/dmabuf-heaps/dmabuf-heap.c
[ -f "$st" ] || die "$st not found in the patched tree"
if [ ! -x "$bin/dmabuf-heap" ] || [ "$st" -nt "$bin/dmabuf-heap" ] ||
   [ "$HEADERS_DIR/.done" -nt "$bin/dmabuf-heap" ]; then
	# as its Makefile does: -static, the tree's installed uapi headers
	gcc -static -O2 -Wall -Wl,-no-as-needed -isystem "$HEADERS_DIR/include" \
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
declare -A expected=()
for p in "${PROGS[@]}"; do
	case "$p" in
	vm_*) expected[$p]=$("$(path_of "$p")" --list) ;;
	cli-session) expected[$p]=$(sh "$bin/cli-session" --list) ;;
	*) expected[$p]= ;;
	esac
done

# ---- 3. kernel
if [ -z "$kernel" ]; then
	step "getting the patched $variant (kernel/scripts/build.sh$([ "$debug" = 1 ] && echo ' --debug'))..."
	t0=$(now)
	bargs=(); [ "$debug" = 1 ] && bargs+=(--debug)
	kout=$(mktemp)
	"$root/kernel/scripts/build.sh" "${bargs[@]}" | tee "$kout" | sed 's/^/    /'
	kernel=$(tail -n1 "$kout")
	rm -f "$kout"
	info "kernel ready ($(elapsed "$t0"))"
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
	echo 'echo "guest: $(uname -r), $(nproc) CPUs, $(sed -n "s/MemTotal: *//p" /proc/meminfo)"'
	echo 'echo "guest: heaps: $(ls /dev/dma_heap | tr "\n" " ")"'
	echo 'fails=0'
	for p in "${PROGS[@]}"; do
		cat <<G
echo "@@ BEGIN $p"
timeout $per_prog $p 2>&1 | sed -u 's/^/$p: /'
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
step "running ${#PROGS[@]} test programs in the guest ($variant): ${PROGS[*]}"
t0=$(now)
set +e
"$root/kernel/scripts/vm-run.sh" "${vargs[@]}" 2>&1 | tee "$out"
vrc=${PIPESTATUS[0]}
set -e
t_guest=$(elapsed "$t0")
console=$(sed -n 's/.*console log: \(\/[^ ;)]*\).*/\1/p' "$out" | tail -n1)

# ---- 5. one TAP stream
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
	lines=$(sed -n "s/^$p: //p" "$out" | tr -d '\r')
	prc=$(sed -nE "s/^@@ END $p rc=([0-9]+)\$/\1/p" "$out" | tail -n1)
	why="the program $([ -z "$prc" ] && echo 'did not finish' || echo "exited $prc")"
	declare -A seen=()
	# results: "ok N desc[ # comment]" / "not ok N desc[ # comment]"
	while IFS= read -r l; do
		if [[ $l =~ ^(not\ )?ok\ ([0-9]+)\ *(-\ )?([^#]*[^#\ ])?\ *(#\ *(.*))?$ ]]; then
			name=${BASH_REMATCH[4]:-case ${BASH_REMATCH[2]}} comment=${BASH_REMATCH[6]:-}
			seen[$name]=1
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
			[ -n "$name" ] && [ -z "${seen[$name]:-}" ] && emit notrun "$p/$name" "$why"
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
saved=$KCACHE/logs/vm-suite-$(date +%Y%m%d-%H%M%S)$([ "$debug" = 1 ] && echo -debug).tap
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
