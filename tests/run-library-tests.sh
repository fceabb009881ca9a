#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Everything that checks the userspace library, in one go: builds with gcc
# and clang (-Werror), unit tests plain, under valgrind and under
# ASan+UBSan, line coverage of lib/ (>= 90%), exported symbols, ABI against
# abi/libvshmem.abi, a fully static build of the examples, and an install
# into a temporary prefix used through pkg-config, a fixed-length libFuzzer
# run over the control message decoder and the option parsers (seed corpus
# in tests/fuzz/corpus), and static analysis of lib/ (gcc -fanalyzer, clang
# scan-build). Needs no privileges and no special kernel. Exits non-zero
# on the first failure.
#
#   tests/run-library-tests.sh            # build dirs go to a temp dir
#   VSHMEM_TEST_DIR=/tmp/x tests/run-library-tests.sh   # keep them there
#
# Debian packages it needs (.ci/run installs them):
LIBRARY_APT_PACKAGES="meson ninja-build pkg-config gcc clang clang-tools libclang-rt-dev file groff-base libcmocka-dev liburing-dev libdrm-dev abigail-tools gcovr valgrind python3"
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${VSHMEM_TEST_DIR:-$(mktemp -d /tmp/vshmem-lib-tests.XXXXXX)}
mkdir -p "$out"
jobs=${VSHMEM_JOBS:-2}
coverage_min=90
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
run() { echo "+ $*"; "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
trap 'rc=$?; if [ $rc != 0 ]; then echo "FAILED (exit $rc); build dirs kept in $out" >&2; fi' EXIT

missing=()
for tool in meson ninja pkg-config gcc clang scan-build abidw abidiff gcovr valgrind nm python3; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
pkg-config --exists cmocka || missing+=("libcmocka-dev")
[ ${#missing[@]} = 0 ] || fail "missing tools: ${missing[*]} (apt-get install $LIBRARY_APT_PACKAGES)"

# Configure a fresh build dir: setup NAME [meson options...]
setup() {
	local name=$1
	shift
	rm -rf "${out:?}/$name"
	run meson setup "$out/$name" "$root" --werror -Dtests=enabled \
		-Dliburing=enabled -Dlibdrm=enabled "$@" >"$out/$name.setup.log" ||
		{ cat "$out/$name.setup.log"; fail "meson setup $name"; }
	run meson compile -C "$out/$name" -j "$jobs"
}

mtest() {
	run meson test -C "$1" --print-errorlogs --num-processes "$jobs" "${@:2}"
}

step "gcc build (-Wall -Wextra -Werror) and unit tests"
CC=gcc setup gcc
mtest "$out/gcc"

# the vhost-user-vsock backend (built when DPDK's libdpdk is there)
vuv=$out/gcc/vhost-user-vsock/vhost-user-vsock
if [ -x "$vuv" ]; then
	run "$vuv" --help >/dev/null
	rc=0
	"$vuv" --socket "$out/vuv.sock" --uds-path "$out/vuv" --guest-cid 2 2>/dev/null || rc=$?
	[ "$rc" = 2 ] || fail "vhost-user-vsock --guest-cid 2: exit $rc, not 2 (usage)"
fi

step "unit tests under valgrind (leaks, invalid accesses)"
mtest "$out/gcc" --setup valgrind --suite unit

step "clang build (-Wall -Wextra -Werror) and unit tests"
CC=clang setup clang
mtest "$out/clang"

step "minimal build: no liburing, no libdrm (same exported symbols)"
rm -rf "${out:?}/minimal"
run meson setup "$out/minimal" "$root" --werror -Dtests=enabled \
	-Dliburing=disabled -Dlibdrm=disabled >"$out/minimal.setup.log" ||
	{ cat "$out/minimal.setup.log"; fail "meson setup minimal"; }
run meson compile -C "$out/minimal" -j "$jobs"
mtest "$out/minimal" --suite unit --suite abi

step "ASan + UBSan build and unit tests"
CC=gcc setup sanitize -Db_sanitize=address,undefined -Db_lundef=false
mtest "$out/sanitize" --setup sanitize --suite unit

step "fuzz the SCM_VSOCK_SHMEM decoder and option parsing (libFuzzer, ASan+UBSan)"
# A fixed number of runs from the seed corpus in tests/fuzz/corpus/TARGET
# (read only: new inputs go to a corpus dir of the build).
CC=clang setup fuzz -Dfuzz=true -Dtests=disabled -Dexamples=false -Dman-pages=false
fuzz_runs=${VSHMEM_FUZZ_RUNS:-500000}
for target in cmsg opts; do
	mkdir -p "$out/fuzz-corpus-$target"
	(cd "$out" && run "$out/fuzz/tests/fuzz/fuzz_$target" -runs="$fuzz_runs" \
		-max_len=257 -seed=1 "$out/fuzz-corpus-$target" "$root/tests/fuzz/corpus/$target" \
		2>"$out/fuzz-$target.log") ||
		{ tail -40 "$out/fuzz-$target.log"; fail "fuzz_$target found a crash (see $out/fuzz-$target.log)"; }
	echo "  fuzz_$target: $(grep -E '^Done [0-9]+ runs' "$out/fuzz-$target.log")"
done

step "static analysis of lib/: gcc -fanalyzer and clang scan-build (a finding fails)"
# -fanalyzer warnings are errors through --werror; scan-build wraps both the
# configure and the build so that meson records its compiler wrapper.
# (lib/ only: the tools, examples and vhost-user-vsock are left out)
CC=gcc setup analyzer -Dc_args=-fanalyzer -Dtests=disabled -Dexamples=false -Dman-pages=false \
	-Dvhost-user-vsock=disabled
rm -rf "${out:?}/scan-build" "$out/scan-build-report"
CC=clang run scan-build -o "$out/scan-build-report" meson setup "$out/scan-build" "$root" \
	-Dtests=disabled -Dexamples=false -Dman-pages=false -Dliburing=enabled \
	-Dlibdrm=enabled -Dvhost-user-vsock=disabled >"$out/scan-build.setup.log" 2>&1 ||
	{ cat "$out/scan-build.setup.log"; fail "meson setup scan-build"; }
run scan-build --status-bugs -o "$out/scan-build-report" ninja -C "$out/scan-build" ||
	fail "scan-build found bugs in lib/ (report in $out/scan-build-report)"

step "line coverage of lib/ (minimum ${coverage_min}%)"
CC=gcc setup coverage -Db_coverage=true -Dexamples=false
mtest "$out/coverage" --suite unit
run gcovr --root "$root" --object-directory "$out/coverage" \
	--filter "$root/lib/" --fail-under-line "$coverage_min" \
	--print-summary --txt "$out/coverage.txt" ||
	{ cat "$out/coverage.txt"; fail "coverage under ${coverage_min}%"; }
cat "$out/coverage.txt"

step "ABI: abidiff against abi/libvshmem.abi"
echo "+ abi/abidw.sh $out/gcc/lib/libvshmem.so > $out/libvshmem.abi"
"$root/abi/abidw.sh" "$out/gcc/lib/libvshmem.so" >"$out/libvshmem.abi"
if ! run abidiff --drop-private-types --headers-dir2 "$root/include/libvshmem" \
	"$root/abi/libvshmem.abi" "$out/gcc/lib/libvshmem.so"; then
	echo "The ABI changed. If that is intended, update the baseline with:"
	echo "  abi/abidw.sh BUILD/lib/libvshmem.so > abi/libvshmem.abi"
	fail "abidiff"
fi
if ! cmp -s "$root/abi/libvshmem.abi" "$out/libvshmem.abi"; then
	# Same ABI, different text: expected with another compiler version.
	echo "note: abidw output differs textually from the baseline (ABI equal):"
	diff "$root/abi/libvshmem.abi" "$out/libvshmem.abi" | head -5 || true
else
	echo "  baseline reproduced byte for byte"
fi

step "fully static build of the example tools and the kernel suite"
CC=gcc setup static -Ddefault_library=static -Dstatic-examples=true
for exe in examples/vshmem-offer examples/vshmem-accept tools/vshmem-bench tests/unit/test_kernel; do
	f=$out/static/$exe
	file "$f" | grep -q 'statically linked' || fail "$exe is not static"
	echo "  $exe: statically linked"
done
run "$out/static/examples/vshmem-offer" --help >/dev/null
run "$out/static/examples/vshmem-accept" --help >/dev/null
run "$out/static/tools/vshmem-bench" --help >/dev/null

step "man pages: one per exported function, references resolve, groff quiet"
run "$root/tests/check-man-pages.sh" "$root"

step "install into a temporary prefix, pkg-config, README example"
CC=gcc run "$root/tests/unit/check-install.sh" "$out/install"

step "all library tests passed in $((SECONDS - started))s"
if [ -z "${VSHMEM_TEST_DIR:-}" ]; then
	rm -rf "$out"
fi
