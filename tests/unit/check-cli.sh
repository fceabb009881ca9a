#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The command lines of vshmem-offer, vshmem-accept and vshmem-bench on the
# host (meson test --suite cli): bad arguments, exit codes and the
# messages on stderr, one case per defect of issue 20. Needs no privileges;
# cases that depend on what this kernel has (AF_VSOCK, a vsock transport,
# dma-buf heaps) check what the tools say about it, or are skipped.
#
#   tests/unit/check-cli.sh OFFER ACCEPT BENCH      (TAP on stdout)
set -uo pipefail

offer=$1 accept=$2 bench=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vshmem-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

tap() { # rc name
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/#   /' "$tmp/out" "$tmp/err" 2>/dev/null
		failed=$((failed + 1))
	fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# run SECONDS TOOL ARGS...: stdout to $tmp/out, stderr to $tmp/err, exit
# code in $rc (124: still running after SECONDS, i.e. it waited).
run() {
	local t=$1
	shift
	timeout "$t" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect RC PATTERN NAME TOOL ARGS...: exit code RC and PATTERN (grep -E)
# on stderr (PATTERN empty: anything).
expect() {
	local want=$1 pat=$2 name=$3
	shift 3
	run 10 "$@"
	[ "$rc" = "$want" ] && { [ -z "$pat" ] || grep -Eq -- "$pat" "$tmp/err"; }
	tap $? "$name (exit $rc, want $want)"
}

# ---- numbers and sizes: one parser, no wrap-around, no sign
expect 2 "bad --max-size '-1': negative" "bench --max-size=-1 is a usage error" \
	"$bench" --max-size=-1
expect 2 "bad --max-size '17179869185G': too large" "bench --max-size=17179869185G does not wrap" \
	"$bench" --max-size=17179869185G
expect 2 "bad --min-size '': empty" "bench --min-size= (empty) is a usage error" \
	"$bench" --min-size=
expect 2 "unknown suffix" "bench --scatter-size=64MB: junk suffix refused" \
	"$bench" --scatter-size=64MB
expect 2 "bad --size '-1': negative" "offer --size=-1 is a usage error" \
	"$offer" --size=-1 1:5000
expect 2 "bad --size '17179869185G': too large" "offer --size=17179869185G does not wrap" \
	"$offer" --size=17179869185G 1:5000
for size in 1k 1KiB 1MiB 1M 2G; do
	run 10 "$offer" --size=$size 1:5000
	[ "$rc" != 2 ] && ! grep -q 'bad --size' "$tmp/err"
	tap $? "offer --size=$size accepted (the bench's sizes too; exit $rc)"
done
expect 2 "bad --count '0': at least 1" "accept --count=0 is a usage error" \
	"$accept" --count=0
expect 2 "bad --id '-5'" "offer --id=-5 is a usage error" "$offer" --id=-5 1:5000

# ---- CID:PORT and ports: strtoul and check, not sscanf
expect 2 "bad --peer '-1:5000': negative" "bench --peer=-1:5000 is a usage error" \
	"$bench" --peer=-1:5000
expect 2 "bad --peer '1:5000junk': junk" "bench --peer=1:5000junk is a usage error" \
	"$bench" --peer=1:5000junk
expect 2 "bad --peer '4294967296:5000': out of range" "bench --peer CID past 32 bits" \
	"$bench" --peer=4294967296:5000
expect 2 "bad address '1:5000junk': junk" "offer 1:5000junk is a usage error" \
	"$offer" 1:5000junk
expect 2 "bad address '1:-1': negative" "offer 1:-1 is a usage error" "$offer" 1:-1
expect 2 "bad PORT '5000junk'" "accept 5000junk is a usage error" "$accept" 5000junk
expect 2 "bad --cid '-1'" "accept --cid=-1 is a usage error" "$accept" --cid=-1

# ---- missing pieces of the command line
expect 2 "missing operand: the peer's CID:PORT" "offer without CID:PORT: usage error, says what is missing" \
	"$offer"
expect 2 "too many arguments" "accept with two ports: usage error" "$accept" 1 2
expect 2 "unexpected argument" "bench with an operand: usage error" "$bench" extra
expect 1 "cannot read --file $tmp/nonexistent: No such file" \
	"offer --file that does not exist: exit 1 (an error, not a usage error)" \
	"$offer" --file="$tmp/nonexistent" 1:5000

# ---- output paths: checked before waiting for anything
expect 2 "bad --output '/nonexistent/dir/x': directory /nonexistent/dir does not exist" \
	"accept --output into a missing directory fails at once" \
	"$accept" --output=/nonexistent/dir/x 5000
expect 2 "is a directory" "accept --output=DIR fails at once" "$accept" --output="$tmp" 5000
expect 2 "bad --json-file '/nonexistent/dir/x.json'" "bench --json-file into a missing directory fails at once" \
	"$bench" --json-file=/nonexistent/dir/x.json
expect 2 "bad --plot '/nonexistent/dir/x.svg'" "bench --plot into a missing directory fails at once" \
	"$bench" --plot=/nonexistent/dir/x.svg
expect 2 "--plot draws the sizes or the ffa suite" "bench --plot without a suite to plot: usage error" \
	"$bench" --suite=rate --plot="$tmp/x.svg"
if [ "$(id -u)" != 0 ]; then
	mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
	expect 2 "cannot create files in" "accept --output into a read-only directory fails at once" \
		"$accept" --output="$tmp/ro/x" 5000
else
	skip "accept --output into a read-only directory" "root can write anywhere"
fi

# ---- the same letter means the same option in every tool
for t in "$offer" "$accept" "$bench"; do
	"$t" --help | grep -Eo '^  -[A-Za-z], --[a-z-]+' | sed 's/^  //'
done | sort -u >"$tmp/letters"
dups=$(cut -d, -f1 "$tmp/letters" | uniq -d)
[ -z "$dups" ]
tap $? "one meaning per option letter across the tools ${dups:+(differs: $dups)}"
for t in "$offer" "$accept" "$bench"; do
	run 10 "$t" --help
	[ "$rc" = 0 ] && grep -q 'Exit status: 0' "$tmp/out" && grep -q 'KiB\|0x hex' "$tmp/out"
	tap $? "$(basename "$t") --help: exit 0, the exit codes and the number syntax"
	run 10 "$t" -q -V
	grep -Eqx "$(basename "$t") \(libvshmem [0-9]+\.[0-9]+\.[0-9]+\)" "$tmp/out"
	tap $? "$(basename "$t") -V: one version line in one format"
done

# ---- --uds: the host side of a vhost-user-vsock VM (issue 17)
expect 2 "--uds sends plain data" "offer --uds refuses offer-only options" \
	"$offer" --uds="$tmp/vm" --kind=lend 5000
expect 2 "missing operand: the guest's PORT" "offer --uds wants a PORT, not CID:PORT" \
	"$offer" --uds="$tmp/vm"
expect 1 "is vhost-user-vsock running with --uds-path" "offer --uds without a device: exit 1, says what to start" \
	"$offer" --uds="$tmp/vm" 5000
expect 2 "PORT 'any' has no meaning with --uds" "accept --uds any is a usage error" \
	"$accept" --uds="$tmp/vm" any
expect 2 "--cid and --uds exclude each other" "accept --uds --cid is a usage error" \
	"$accept" --uds="$tmp/vm" --cid=1 5000
if command -v python3 >/dev/null; then
	# A stand-in for vhost-user-vsock: one OFFER frame (docs/design.md
	# 8.11) of pages 3, 0 and 1 of a memfd, its record, then it expects
	# RELEASE. accept must write the pages in the ranges' order.
	cat >"$tmp/be.py" <<'PY'
import os, socket, struct, sys, time
path, out = sys.argv[1], sys.argv[2]
for _ in range(200):
    if os.path.exists(path):
        break
    time.sleep(0.05)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
fd = os.memfd_create("guest-ram")
data = bytes((i * 7 + 3) & 0xff for i in range(4 * 4096))
os.write(fd, data)
pl = struct.pack("<QQIIII", 0x55, 3 * 4096, 2, 2, 5, 2)
pl += struct.pack("<IIQQ", 0, 0, 3 * 4096, 4096)
pl += struct.pack("<IIQQ", 0, 0, 0, 2 * 4096)
socket.send_fds(s, [struct.pack("<IIQ", 2, 0, 42) + pl], [fd])
s.send(struct.pack("<IIQ", 1, 1, 0) + b"lend\0")
op, _, oid = struct.unpack("<IIQ", s.recv(100)[:16])
open(out, "wb").write(data[3 * 4096:] + data[:2 * 4096])
sys.exit(0 if (op, oid) == (4, 42) else 1)
PY
	python3 "$tmp/be.py" "$tmp/vm_6000.shmem" "$tmp/want" &
	be=$!
	run 20 "$accept" --uds="$tmp/vm" --output="$tmp/got" 6000
	wait "$be"
	[ $? = 0 ] && [ "$rc" = 0 ] && cmp -s "$tmp/want" "$tmp/got" &&
		grep -q "kind lend, tag 0x55, read-only" "$tmp/out" && [ ! -e "$tmp/vm_6000.shmem" ]
	tap $? "accept --uds: a guest's offer as one view, written in order, released"
else
	skip "accept --uds against a stand-in backend" "no python3"
fi

# ---- what the kernel has: exit 3 and a message that names the missing piece
if [ ! -e /dev/dma_heap/system ]; then
	expect 3 "missing: /dev/dma_heap/system \(kernel option CONFIG_DMABUF_HEAPS_SYSTEM=y\)" \
		"offer without a system heap: exit 3, names the device and the kernel option" \
		"$offer" --quiet 1:5000
	grep -q 'heaps in /dev/dma_heap: ' "$tmp/err"
	tap $? "offer without a system heap lists the heaps there are"
	expect 3 "CONFIG_DMABUF_HEAPS_SYSTEM" "bench without a system heap: exit 3 with the kernel option" \
		"$bench" --quiet
else
	skip "offer/bench without a system heap" "this kernel has /dev/dma_heap/system"
fi
if [ ! -e /dev/dma_heap/lend ] && [ ! -e /dev/dma_heap/lend-nomap ]; then
	expect 3 "CONFIG_DMABUF_HEAPS_LEND" "offer --kind=lend without a lend heap: exit 3, names the option" \
		"$offer" --kind=lend 1:5000
else
	skip "offer --kind=lend without a lend heap" "this kernel has one"
fi

# What connecting a SOCK_SEQPACKET socket to CID 1 gives here.
probe=$(python3 - <<'EOF' 2>/dev/null
import errno, socket
try:
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_SEQPACKET)
    s.settimeout(3)
    s.connect((1, 5299))
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, "other"))
EOF
)
case $probe in
ESOCKTNOSUPPORT | EAFNOSUPPORT | ENODEV | EPROTONOSUPPORT)
	expect 3 "connecting to 1:5298" "bench --peer with no usable vsock transport ($probe): exit 3" \
		"$bench" --quiet --peer=1:5298
	grep -q 'missing: ' "$tmp/err"
	tap $? "bench --peer with no usable vsock transport says what is missing"
	if [ "$probe" = ESOCKTNOSUPPORT ]; then
		grep -q 'SOCK_SEQPACKET' "$tmp/err" && grep -q -- '--stream' "$tmp/err"
		tap $? "no SOCK_SEQPACKET: the message names it and --stream"
	fi
	;;
*) skip "bench --peer with no vsock transport" "this host connects vsock seqpacket to CID 1 (${probe:-no python3})" ;;
esac

# ---- the port the kernel bound, also with --quiet
for q in "" --quiet; do
	run 2 "$accept" $q any
	if [ "$rc" = 3 ]; then
		skip "accept any $q prints the bound port" "no AF_VSOCK here"
		continue
	fi
	port=$(sed -n 's/.*listening on port \([0-9]*\)$/\1/p' "$tmp/out")
	[ "$rc" = 124 ] && [ -n "$port" ] && [ "$port" != 4294967295 ]
	tap $? "accept $q any prints the port the kernel bound (${port:-none})"
done
run 2 "$accept" 4294967295
port=$(sed -n 's/.*listening on port \([0-9]*\)$/\1/p' "$tmp/out")
if [ "$rc" = 3 ]; then
	skip "accept 4294967295" "no AF_VSOCK here"
else
	[ -n "$port" ] && [ "$port" != 4294967295 ]
	tap $? "accept 4294967295 (VMADDR_PORT_ANY) prints the bound port, not -1U (${port:-none})"
fi

# ---- the host's peer of a guest (--serve --uds), without a VM: the copy
# side is a plain Unix stream; a served connection must not take the
# listeners' socket files away (a child closing a Unix listener unlinks)
expect 2 "--uds is for the peer" "bench --uds without --serve is a usage error" \
	"$bench" --uds="$tmp/vsock"
expect 2 "--uds needs a path" "bench --serve --uds= (empty) is a usage error" \
	"$bench" --serve=5300 --uds=
if command -v python3 >/dev/null; then
	"$bench" --serve=5300 --uds="$tmp/vsock" >"$tmp/peer.out" 2>&1 &
	peer=$!
	for _ in $(seq 50); do
		[ -S "$tmp/vsock_5300.shmem" ] && [ -S "$tmp/vsock_5301" ] && break
		sleep 0.1
	done
	run 10 python3 - "$tmp/vsock" <<'PYEOF'
import os, socket, struct, sys, time
uds = sys.argv[1]
# the copy protocol: [u64 size][size bytes] -> one byte of ack, twice
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(uds + "_5301")
for size in (4096, 1 << 20):
    c.sendall(struct.pack("<Q", size) + b"\x5a" * size)
    assert c.recv(1) == b"k", "no ack for %d bytes" % size
c.sendall(struct.pack("<Q", 0))
c.close()
# an offer connection that ends at once (the child sees it gone)
o = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
o.connect(uds + "_5300.shmem")
o.close()
time.sleep(0.5)
for f in (uds + "_5300.shmem", uds + "_5301"):
    assert os.path.exists(f), f + " is gone after a served connection"
# and the listener still takes a connection
o = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
o.connect(uds + "_5300.shmem")
o.close()
PYEOF
	kill "$peer" 2>/dev/null
	wait "$peer" 2>/dev/null
	[ "$rc" = 0 ]
	tap $? "bench --serve --uds: copies acknowledged on PATH_PORT+1, listeners survive served connections"
else
	skip "bench --serve --uds" "no python3"
fi

echo "1..$n"
[ "$failed" = 0 ]
