#!/bin/bash
# Build the upstream vsock test suite (tools/testing/vsock/vsock_test) of the
# patched tree as a static binary and run server and client in one guest over
# the loopback transport (peer CID 1 = VMADDR_CID_LOCAL), control channel over
# TCP 127.0.0.1, via vm-run.sh.
#
# Usage: kernel/scripts/vsock-selftest.sh [--debug] [--kernel IMAGE] [--list]
#                                         [--no-skip] [--timeout S]
#   --list     only list the tests (IDs for --skip) in the guest
#   --no-skip  also run the tests in VSOCK_TEST_SKIP below
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Upstream tests that fail on the loopback transport of vanilla 6.12.117
# (with an empty series): skipped with vsock_test's own --skip. See
# kernel/README.md ("vsock_test on loopback") for the reasons.
# Format: "ID:name" (the ID is vsock_test's test index, from --list).
VSOCK_TEST_SKIP=(
)

debug=0 list=0 noskip=0 timeout_s=900 kernel=
while [ $# -gt 0 ]; do
	case "$1" in
	--debug) debug=1 ;;
	--kernel) kernel=${2:?}; shift ;;
	--list) list=1 ;;
	--no-skip) noskip=1 ;;
	--timeout) timeout_s=${2:?}; shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
need gcc
# Build the kernel before taking the tree lock (build.sh may need prepare.sh).
if [ -z "$kernel" ]; then
	bargs=(--arch x86_64); [ "$debug" = 1 ] && bargs+=(--debug)
	kernel=$("$KERNEL_DIR/scripts/build.sh" "${bargs[@]}" | tee /dev/stderr | tail -n1)
fi
ensure_headers
lock_tree

src=$PATCHED_DIR/tools/testing/vsock
out=$KCACHE/bin
mkdir -p "$out"
step "building static vsock_test from $src..."
gcc -static -g -O2 -Werror -Wall -Wno-pointer-sign -fno-strict-overflow -fno-strict-aliasing \
	-fno-common -U_FORTIFY_SOURCE -D_GNU_SOURCE \
	-I"$src" -I"$PATCHED_DIR/tools/include" -I"$HEADERS_DIR/include" \
	-o "$out/vsock_test" \
	"$src"/{vsock_test.c,vsock_test_zerocopy.c,timeout.c,control.c,util.c,msg_zerocopy_common.c} \
	2> "$out/vsock_test.build.log" ||
	{ cat "$out/vsock_test.build.log" >&2; die "building vsock_test failed"; }

skips=
if [ "$noskip" = 0 ]; then
	for s in "${VSOCK_TEST_SKIP[@]}"; do skips+=" --skip=${s%%:*}"; done
fi

guest=$(mktemp "${TMPDIR:-/tmp}/vsock-selftest.XXXXXX.sh")
trap 'rm -f "$guest"' EXIT
if [ "$list" = 1 ]; then
	echo 'vsock_test --list' > "$guest"
else
	cat > "$guest" <<GUEST
# vsock_test server and client in one guest over vsock loopback (CID 1).
port=1234
vsock_test --mode=server --control-host=127.0.0.1 --control-port=\$port --peer-cid=1$skips > /tmp/server.log 2>&1 &
server=\$!
i=0
until grep -q 'listening' /tmp/server.log 2>/dev/null; do
	i=\$((i + 1))
	[ \$i -gt 100 ] && { echo "vsock_test server did not start"; cat /tmp/server.log; exit 1; }
	sleep 0.1
done
vsock_test --mode=client --control-host=127.0.0.1 --control-port=\$port --peer-cid=1$skips
crc=\$?
wait \$server
src=\$?
echo "--- server output:"
cat /tmp/server.log
echo "vsock_test: client exit \$crc, server exit \$src"
[ \$crc = 0 ] && [ \$src = 0 ]
GUEST
fi

args=(--add "$out/vsock_test" --timeout "$timeout_s" --script "$guest")
[ "$debug" = 1 ] && args+=(--debug)
[ -n "$kernel" ] && args+=(--kernel "$kernel")
t0=$(now)
step "running vsock_test (loopback, ${#VSOCK_TEST_SKIP[@]} known vanilla failures skipped$([ "$noskip" = 1 ] && echo ': --no-skip, none skipped' || true))..."
rc=0
"$KERNEL_DIR/scripts/vm-run.sh" "${args[@]}" || rc=$?
if [ "$rc" = 0 ]; then
	step "vsock_test passed ($(elapsed "$t0"))"
else
	die "vsock_test failed (exit $rc, $(elapsed "$t0"))"
fi
