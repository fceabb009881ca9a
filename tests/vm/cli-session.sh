#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A scripted session of the example tools in the guest (busybox sh): a
# 64 MiB file of random bytes is offered with `vshmem-offer --file` and
# written back out by `vshmem-accept --output` on the other end of a vsock
# loopback connection; the two files must have the same SHA-256. Both
# tools check their side too (the acceptor the lender's checksum header,
# the offerer what came back; with --kind=lend it proves that it could not
# read the buffer while it was lent). TAP output.
#
# Usage (guest): cli-session.sh           run all sessions
#        (host):  sh cli-session.sh --list print the session names
set -u

SESSIONS="cli_share_64M_seqpacket cli_lend_64M_seqpacket cli_share_64M_stream cli_lend_clear_64M_stream"
if [ "${1:-}" = --list ]; then
	for s in $SESSIONS; do echo "$s"; done
	exit 0
fi

n=0 failed=0
tap() { # rc name
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=$((failed + 1)); fi
}
show() { grep -v ': checksum [0-9]*%$' "$1" | sed 's/^/#   /'; }	# no progress lines

echo "1..$(echo $SESSIONS | wc -w)"
dd if=/dev/urandom of=/tmp/cli-in.bin bs=1048576 count=64 2>/dev/null
want=$(sha256sum /tmp/cli-in.bin | cut -d' ' -f1)
echo "# input: 64 MiB of random bytes, sha256 $want"

port=6000
for s in $SESSIONS; do
	port=$((port + 1))
	kind=share offer_opts= accept_opts=
	case $s in *lend*) kind=lend ;; esac
	case $s in *stream*) offer_opts="--stream" accept_opts="--stream" ;; esac
	case $s in *clear*) offer_opts="$offer_opts --clear" ;; esac
	rm -f /tmp/cli-out.bin /tmp/cli-accept.log /tmp/cli-offer.log
	vshmem-accept $accept_opts --output=/tmp/cli-out.bin "$port" > /tmp/cli-accept.log 2>&1 &
	apid=$!
	i=0
	while ! grep -q 'listening' /tmp/cli-accept.log 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	echo "# $s: vshmem-offer --kind=$kind $offer_opts --file=/tmp/cli-in.bin 1:$port"
	timeout 300 vshmem-offer --kind=$kind $offer_opts --file=/tmp/cli-in.bin "1:$port" > /tmp/cli-offer.log 2>&1
	orc=$?
	wait $apid
	arc=$?
	got=$(sha256sum /tmp/cli-out.bin 2>/dev/null | cut -d' ' -f1)
	rc=0
	echo "# vshmem-offer (exit $orc):"; show /tmp/cli-offer.log
	echo "# vshmem-accept (exit $arc):"; show /tmp/cli-accept.log
	[ "$orc" = 0 ] || { echo "# vshmem-offer failed"; rc=1; }
	[ "$arc" = 0 ] || { echo "# vshmem-accept failed"; rc=1; }
	if [ "$got" = "$want" ]; then
		echo "# peer's copy: sha256 $got (same)"
	else
		echo "# peer's copy: sha256 ${got:-none}, expected $want"; rc=1
	fi
	if [ $kind = lend ] && ! grep -q 'lender access revoked while lent: ok' /tmp/cli-offer.log; then
		echo "# the offerer did not report the revoked access of the lend"; rc=1
	fi
	case $s in *clear*)
		grep -q 'returned buffer verified (zeroed)' /tmp/cli-offer.log ||
			{ echo "# the offerer did not verify a zeroed buffer"; rc=1; } ;;
	*)
		grep -q 'returned buffer verified' /tmp/cli-offer.log ||
			{ echo "# the offerer did not verify the returned buffer"; rc=1; } ;;
	esac
	tap $rc "$s"
done
rm -f /tmp/cli-in.bin /tmp/cli-out.bin
[ $failed = 0 ]
