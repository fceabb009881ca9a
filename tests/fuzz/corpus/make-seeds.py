#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the seed corpus of the libFuzzer targets (tests/fuzz/corpus/cmsg,
# tests/fuzz/corpus/opts). The seeds are committed; rerun this only to
# change them. x86_64/aarch64 layout (64-bit size_t, 16-byte cmsghdr).
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
SOL_SOCKET, SCM_RIGHTS = 1, 1
SOL_VSOCK, SCM_VSOCK_SHMEM = 287, 1


def cmsg(level, ctype, payload, pad=True):
    hdr = struct.pack('<QII', 16 + len(payload), level, ctype)
    data = hdr + payload
    if pad:
        data += b'\0' * (-len(data) % 8)
    return data


def shmem(subop=0, typ=2, ident=1, fd=3, kind=0, flags=0, reserved=0,
          handle=0, tag=0, size=4096):
    # struct vsock_shmem: u32 subop, u32 type, u64 id, s32 fd, u32 kind,
    # u32 flags, u32 reserved, u64 handle, u64 tag, u64 size (56 bytes)
    return struct.pack('<IIQiIIIQQQ', subop, typ, ident, fd, kind, flags,
                       reserved, handle, tag, size)


def write(sub, name, data):
    d = os.path.join(here, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# fuzz_cmsg: first byte bit 0 = MSG_CTRUNC, then the control buffer
seeds = {
    'offer-local': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem()),
    'offer-ffa': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM,
                      shmem(typ=1, fd=-1, kind=1, handle=0x1234, tag=7)),
    'offer-lend-clear-ro': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM,
                                shmem(kind=1, flags=3, size=1 << 26)),
    'relinquish': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(subop=1, fd=-1)),
    'reclaim': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(subop=2, fd=-1)),
    'reserved': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(reserved=1)),
    'bad-subop': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(subop=9)),
    'bad-kind': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(kind=7)),
    'ffa-with-fd': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(typ=1, fd=5)),
    'short': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem()[:40]),
    'long': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem() + b'\0' * 8),
    'two-offers': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(fd=3)) +
                  cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem(fd=4, ident=2)),
    'with-rights': cmsg(SOL_VSOCK, SCM_VSOCK_SHMEM, shmem()) +
                   cmsg(SOL_SOCKET, SCM_RIGHTS, struct.pack('<iii', 5, 6, 7)),
    'rights-only': cmsg(SOL_SOCKET, SCM_RIGHTS, struct.pack('<ii', 8, 9)),
    'other-level': cmsg(6, 1, b'\1\2\3\4'),
    'len-past-end': struct.pack('<QII', 4096, SOL_VSOCK, SCM_VSOCK_SHMEM) + shmem(),
    'len-zero': struct.pack('<QII', 0, SOL_VSOCK, SCM_VSOCK_SHMEM),
}
for name, ctl in seeds.items():
    write('cmsg', name, b'\0' + ctl)
write('cmsg', 'offer-ctrunc', b'\1' + seeds['offer-local'])

# fuzz_opts: first byte % 5 = 0 opts check (next byte % 5 = struct),
# 1 cli_parse_u64, 2 cli_parse_size, 3 cli_parse_addr, 4 cli_parse_port
def opts(which, sz, tail):
    return bytes([0, which]) + struct.pack('<Q', sz) + tail


write('opts', 'opts-offer-exact', opts(4, 48, b'\0' * 40))
write('opts', 'opts-offer-future-zero', opts(4, 64, b'\0' * 56))
write('opts', 'opts-offer-future-set', opts(4, 64, b'\0' * 48 + b'\1' + b'\0' * 7))
write('opts', 'opts-channel-short', opts(2, 8, b''))
write('opts', 'opts-sz-small', opts(0, 4, b'\0' * 8))
for i, s in enumerate([b'0', b'42', b'0x10', b'0777', b'18446744073709551615',
                       b'18446744073709551616', b'-1', b' 1', b'+1', b'1:5000',
                       b'0x', b'08']):
    write('opts', 'u64-%02d' % i, b'\1' + s)
for i, s in enumerate([b'4096', b'64M', b'1G', b'0K', b'16777216T', b'17179869184G',
                       b'17179869183G', b'0x10K', b'1KB', b'K', b' 4K']):
    write('opts', 'size-%02d' % i, b'\2' + s)
for i, s in enumerate([b'1k', b'1KiB', b'1MiB', b'3GiB', b'1MB', b'1m', b'-1', b'',
                       b'17179869185G', b'16777216T', b'1 K', b'4Ki']):
    write('opts', 'size-%02d' % (i + 11), b'\2' + s)
for i, s in enumerate([b'1:5000', b'-1:5000', b'1:5000junk', b'4294967296:1',
                       b'local:5000', b'host:any', b'any:any', b'hypervisor:0x10',
                       b':5000', b'1:', b'1:-1', b'1:2:3', b'0x1:0xffffffff',
                       b'1 :5000', b'LOCAL:1', b'0' * 77 + b':0']):
    write('opts', 'addr-%02d' % i, b'\3' + s)
for i, s in enumerate([b'5000', b'any', b'4294967295', b'4294967296', b'-1',
                       b'5000junk', b'', b'local']):
    write('opts', 'port-%02d' % i, b'\4' + s)
