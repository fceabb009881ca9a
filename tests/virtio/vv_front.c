// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A stand-in guest for the descriptor cases of the virtio-vsock suite:
 * QEMU 7.2 does not pass VIRTIO_VSOCK_F_SHMEM to a guest (docs/design.md
 * 8.11), so this program is the vhost-user front end instead. It connects
 * to a vhost-user-vsock back end, negotiates the bit, gives it 16 MiB of
 * "guest RAM" in a memfd and two split rings, and plays the guest driver:
 * a connection to a host port (its own Unix listener), then OP_SHMEM
 * descriptors, good and hostile. TAP on stdout.
 *
 *   vv_front VHOST_SOCKET UDS_PATH [no-shmem]
 *
 * With no-shmem the back end runs with --no-shmem: the bit must not be
 * offered, and a descriptor sent anyway is dropped while bytes still go.
 * The back end's counters (offers, bad descriptors) are checked by
 * tests/virtio/run.sh from its log when it exits.
 */
#include <endian.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/un.h>

#include "vv_common.h"

#define Q		64
#define MEM_SIZE	(16U << 20)
#define GUEST_CID	3
#define HOST_PORT	7001
#define GUEST_PORT	40000

/* vhost-user requests (the vhost-user spec) */
enum { GET_FEATURES = 1, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 5,
	SET_VRING_NUM = 8, SET_VRING_ADDR, SET_VRING_BASE, SET_VRING_KICK = 12,
	SET_VRING_CALL, GET_PROTOCOL_FEATURES = 15, SET_PROTOCOL_FEATURES,
	SET_VRING_ENABLE = 18 };

struct vu_msg {
	uint32_t req, flags, size;
	union {
		uint64_t u64;
		struct { uint32_t index, num; } state;
		struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr;
		struct { uint32_t n, pad; uint64_t gpa, size, uaddr, offset; } mem;
	} p;
} __attribute__((packed));

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct ring {
	struct desc *desc;
	uint16_t *avail;	/* flags, idx, ring[Q] */
	uint16_t *used;		/* flags, idx, then {u32 id, u32 len}[Q] */
	uint16_t avail_idx, used_seen;
	int kick, call;
	uint64_t gpa;
};

static int vfd;
static uint32_t src_port = GUEST_PORT, dst_port = HOST_PORT;
static uint8_t *mem;
static struct ring rx, tx;
static int tnum, tfail;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++tnum);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tfail += !ok;
}

static int vu_send(uint32_t req, const void *payload, uint32_t size, int fd)
{
	struct vu_msg m = { .req = req, .flags = 1, .size = size };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &m, 12 + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	memcpy(&m.p, payload, size);
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(vfd, &mh, 0) == (ssize_t)(12 + size) ? 0 : -1;
}

static int vu_get_u64(uint32_t req, uint64_t *v)
{
	struct vu_msg m;

	if (vu_send(req, NULL, 0, -1) || recv(vfd, &m, 12 + 8, MSG_WAITALL) != 20)
		return -1;
	*v = m.p.u64;
	return 0;
}

static int setup_ring(struct ring *r, unsigned int idx, uint64_t gpa)
{
	struct { uint32_t index, num; } st = { idx, Q };
	struct { uint32_t index, flags; uint64_t desc, used, avail, log; } a = {
		idx, 0, (uintptr_t)mem + gpa, (uintptr_t)mem + gpa + 0x2000,
		(uintptr_t)mem + gpa + 0x1000, 0 };
	uint64_t i64 = idx;

	r->gpa = gpa;
	r->desc = (struct desc *)(mem + gpa);
	r->avail = (uint16_t *)(mem + gpa + 0x1000);
	r->used = (uint16_t *)(mem + gpa + 0x2000);
	r->kick = eventfd(0, EFD_CLOEXEC);
	r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	st.num = Q;
	if (vu_send(SET_VRING_NUM, &st, 8, -1) || vu_send(SET_VRING_ADDR, &a, sizeof(a), -1))
		return -1;
	st.num = 0;
	if (vu_send(SET_VRING_BASE, &st, 8, -1) ||
	    vu_send(SET_VRING_CALL, &i64, 8, r->call) ||
	    vu_send(SET_VRING_KICK, &i64, 8, r->kick))
		return -1;
	st.num = 1;
	return vu_send(SET_VRING_ENABLE, &st, 8, -1);
}

static void ring_add(struct ring *r, uint16_t d, uint64_t gpa, uint32_t len, bool w)
{
	r->desc[d] = (struct desc){ htole64(gpa), htole32(len), htole16(w ? 2 : 0), 0 };
	r->avail[2 + r->avail_idx % Q] = htole16(d);
	r->avail_idx++;
	__atomic_store_n(&r->avail[1], htole16(r->avail_idx), __ATOMIC_RELEASE);
	eventfd_write(r->kick, 1);
}

/* the guest's packet: header + payload in TX slot d */
static void send_pkt(uint16_t op, uint16_t type, uint32_t flags,
		     const void *payload, uint32_t len)
{
	static uint16_t slot;
	uint64_t gpa = 0x200000 + (uint64_t)(slot % Q) * 0x11000;
	struct { uint64_t src_cid, dst_cid; uint32_t src_port, dst_port, len;
		 uint16_t type, op; uint32_t flags, buf_alloc, fwd_cnt; }
		__attribute__((packed)) h = {
		htole64(GUEST_CID), htole64(2), htole32(src_port),
		htole32(dst_port), htole32(len), htole16(type), htole16(op),
		htole32(flags), htole32(256 * 1024), 0 };

	memcpy(mem + gpa, &h, 44);
	memcpy(mem + gpa + 44, payload, len);
	ring_add(&tx, slot % Q, gpa, 44 + len, false);
	slot++;
}

/* The next packet the back end put on RX within ms: op, payload in buf. */
static int recv_pkt(uint8_t *buf, uint32_t *len, int ms)
{
	for (;;) {
		uint16_t idx = le16toh(__atomic_load_n(&rx.used[1], __ATOMIC_ACQUIRE));
		struct pollfd p = { .fd = rx.call, .events = POLLIN };

		if (idx != rx.used_seen) {
			uint32_t *e = (uint32_t *)(rx.used + 2) + 2 * (rx.used_seen % Q);
			uint16_t d = le32toh(e[0]);
			uint8_t *b = mem + le64toh(rx.desc[d].addr);
			uint16_t op;

			rx.used_seen++;
			memcpy(&op, b + 30, 2);
			memcpy(len, b + 24, 4);
			*len = le32toh(*len);
			memcpy(buf, b + 44, *len < 4096 - 44 ? *len : 4096 - 44);
			ring_add(&rx, d, le64toh(rx.desc[d].addr), 4096, true);
			return le16toh(op);
		}
		if (poll(&p, 1, ms) != 1)
			return -1;
		eventfd_t v;
		eventfd_read(rx.call, &v);
	}
}

/* An OP_SHMEM payload: nents ranges from ents, then the extension. */
static uint32_t shmem(uint8_t *b, uint32_t subop, uint32_t type, uint64_t id,
		      uint32_t kind, uint64_t size, uint32_t n,
		      const uint64_t (*ents)[2], uint32_t data_len)
{
	uint32_t len = 16 + 12 * n + 48, v;
	uint64_t w;
	uint8_t *x = b + 16 + 12 * n;

	memset(b, 0, len);
	v = htole32(subop); memcpy(b, &v, 4);
	v = htole32(type); memcpy(b + 4, &v, 4);
	v = htole32(len); memcpy(b + 8, &v, 4);
	v = htole32(n); memcpy(b + 12, &v, 4);
	for (uint32_t i = 0; i < n; i++) {
		w = htole64(ents[i][0]); memcpy(b + 16 + 12 * i, &w, 8);
		v = htole32(ents[i][1]); memcpy(b + 16 + 12 * i + 8, &v, 4);
	}
	w = htole64(id); memcpy(x, &w, 8);
	w = htole64(size); memcpy(x + 24, &w, 8);
	v = htole32(kind); memcpy(x + 32, &v, 4);
	v = htole32(data_len); memcpy(x + 44, &v, 4);
	return len;
}

/* The next packet with op want (others are skipped): want, or -1. */
static int recv_want(int want, uint8_t *buf, uint32_t *len, int ms)
{
	int op;

	while ((op = recv_pkt(buf, len, ms)) >= 0)
		if (op == want)
			return op;
	return -1;
}

/* One frame from a framed connection, with its fds: the op, or -1. */
static int frame_recv(int fd, uint8_t *buf, size_t size, size_t *len,
		      uint64_t *id, int *fds, unsigned int *nfds)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { buf, size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	uint32_t op;

	*nfds = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			*nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(c), *nfds * sizeof(int));
		}
	if (n < 16)
		return -1;
	memcpy(&op, buf, 4);
	memcpy(id, buf + 8, 8);
	*id = le64toh(*id);
	*len = n;
	return le32toh(op);
}

static void frame_send(int fd, uint32_t op, uint64_t id, const void *p, size_t len)
{
	uint8_t b[128] = { 0 };
	uint32_t v = htole32(op);
	uint64_t w = htole64(id);

	if (len > sizeof(b) - 16)
		return;
	memcpy(b, &v, 4);
	memcpy(b + 8, &w, 8);
	memcpy(b + 16, p, len);
	send(fd, b, 16 + len, MSG_NOSIGNAL);
}

static void close_fds(int *fds, unsigned int n)
{
	while (n)
		close(fds[--n]);
}

/* the RELINQUISH ids that come back within ms (up to 8) */
static int relinquished(uint64_t *ids, int ms)
{
	uint8_t b[4096];
	uint32_t len;
	int op, n = 0;

	while ((op = recv_pkt(b, &len, ms)) >= 0)
		if (op == 8 && n < 8 && b[0] == 1) {
			memcpy(&ids[n], b + 16, 8);
			ids[n] = le64toh(ids[n]);
			n++;
		}
	return n;
}

/*
 * A host program that takes offers (<uds-path>_P.shmem, framed): the
 * guest's pages arrive as ranges of the guest-RAM fd, written by both
 * sides without a copy; RELEASE, RECLAIM and the program's close.
 */
static void framed(const char *uds)
{
	static const uint64_t good[2][2] = { { 0x800000, 8192 }, { 0x900000, 4096 } };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	uint8_t b[4096], pl[512];
	uint64_t id, ids[8];
	size_t flen;
	uint32_t len;
	unsigned int nfds;
	int lfd, hfd = -1, fds[8], op, n;
	bool ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u.shmem", uds, HOST_PORT + 1);
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4))
		perror("listen .shmem");
	src_port = GUEST_PORT + 1;
	dst_port = HOST_PORT + 1;
	send_pkt(1, 1, 0, NULL, 0);
	op = recv_want(2, b, &len, 5000);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, 5000) == 1)
		hfd = accept(lfd, NULL, NULL);
	tap(op == 2 && hfd >= 0, "framed: guest connection to a program on %s", sa.sun_path);
	if (hfd >= 0) {
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(hfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}

	/* the guest's pattern in its pages, then the offer and 2 data bytes */
	vv_fill(mem + 0x800000, 8192, 0, 77);
	vv_fill(mem + 0x900000, 4096, 8192, 77);
	len = shmem(pl, 0, 3, 10, 1, 3 * 4096, 2, good, 2);
	send_pkt(8, 1, 0, pl, len);
	send_pkt(5, 1, 0, "hi", 2);
	op = frame_recv(hfd, b, sizeof(b), &flen, &id, fds, &nfds);
	ok = op == 2 && id == 10 && flen == 16 + 32 + 48 && nfds >= 1;
	if (ok) {
		uint64_t off = 0;

		for (int i = 0; i < 2 && ok; i++) {
			const uint8_t *e = b + 16 + 32 + 24 * i;
			uint32_t fi;
			uint64_t fo, fl;
			uint8_t *m;

			memcpy(&fi, e, 4);
			memcpy(&fo, e + 8, 8);
			memcpy(&fl, e + 16, 8);
			fi = le32toh(fi);
			fo = le64toh(fo);
			fl = le64toh(fl);
			m = fi < nfds ? mmap(NULL, fl, PROT_READ | PROT_WRITE,
					     MAP_SHARED, fds[fi], fo) : MAP_FAILED;
			ok = m != MAP_FAILED && vv_check(m, fl, off, 77) < 0;
			if (ok && i == 0) {
				m[0] = 0xa5;	/* the host writes, the guest sees it */
				ok = mem[0x800000] == 0xa5;
			}
			if (m != MAP_FAILED)
				munmap(m, fl);
			off += fl;
		}
	}
	close_fds(fds, nfds);
	tap(ok, "framed: the offer reaches the program as the guest's own pages (op %d, id %llu, %u fd)",
	    op, (unsigned long long)id, nfds);
	op = frame_recv(hfd, b, sizeof(b), &flen, &id, fds, &nfds);
	close_fds(fds, nfds);
	tap(op == 1 && flen == 18 && !memcmp(b + 16, "hi", 2),
	    "framed: the offer's data bytes follow it in a DATA frame");
	frame_send(hfd, 1, 0, "yo", 2);
	op = recv_want(5, b, &len, 5000);
	tap(op == 5 && len == 2 && !memcmp(b, "yo", 2),
	    "framed: a DATA frame from the program reaches the guest");
	frame_send(hfd, 4, 10, NULL, 0);
	n = relinquished(ids, 1000);
	tap(n == 1 && ids[0] == 10, "framed: RELEASE gives offer 10 back (%d back)", n);

	/* the guest reclaims offer 11: the program is told */
	len = shmem(pl, 0, 3, 11, 2, 3 * 4096, 2, good, 0);
	send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 2, 3, 11, 0, 0, 0, NULL, 0);
	send_pkt(8, 1, 0, pl, len);
	op = frame_recv(hfd, b, sizeof(b), &flen, &id, fds, &nfds);
	close_fds(fds, nfds);
	ok = op == 2 && id == 11;
	op = frame_recv(hfd, b, sizeof(b), &flen, &id, fds, &nfds);
	close_fds(fds, nfds);
	tap(ok && op == 3 && id == 11, "framed: a RECLAIM from the guest reaches the program");

	/* a READONLY offer: the program cannot map it writable */
	len = shmem(pl, 0, 3, 14, 1, 3 * 4096, 2, good, 0);
	pl[16 + 2 * 12 + 36] = 2;	/* flags: READONLY */
	send_pkt(8, 1, 0, pl, len);
	op = frame_recv(hfd, b, sizeof(b), &flen, &id, fds, &nfds);
	ok = op == 2 && id == 14 && nfds == 1;
	if (ok) {
		uint64_t fo;
		void *m;

		memcpy(&fo, b + 16 + 32 + 8, 8);
		fo = le64toh(fo);
		m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], fo);
		ok = m == MAP_FAILED && errno == EACCES;
		if (m != MAP_FAILED)
			munmap(m, 8192);
		m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fds[0], fo);
		ok = ok && m != MAP_FAILED && ((uint8_t *)m)[1] == mem[0x800001];
		if (m != MAP_FAILED)
			munmap(m, 8192);
	}
	close_fds(fds, nfds);
	frame_send(hfd, 4, 14, NULL, 0);
	n = relinquished(ids, 1000);
	tap(ok && n == 1 && ids[0] == 14,
	    "framed: a READONLY offer maps only read-only (%d back)", n);

	/* offer 12, then 12 again (refused: live), then the program closes */
	len = shmem(pl, 0, 3, 12, 1, 3 * 4096, 2, good, 0);
	send_pkt(8, 1, 0, pl, len);
	send_pkt(8, 1, 0, pl, len);
	op = frame_recv(hfd, b, sizeof(b), &flen, &id, fds, &nfds);
	close_fds(fds, nfds);
	ok = op == 2 && id == 12;
	close(hfd);
	n = relinquished(ids, 2000);
	tap(ok && n == 1 && ids[0] == 12,
	    "framed: the program's close gives back what it held, once (%d back)", n);

	/* a test-only INJECT frame, to a back end without --inject-hostile:
	 * an unknown frame, so the connection is reset and no OP_SHMEM
	 * reaches the guest */
	src_port = GUEST_PORT + 2;
	send_pkt(1, 1, 0, NULL, 0);
	op = recv_want(2, b, &len, 5000);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	hfd = poll(&p, 1, 5000) == 1 ? accept(lfd, NULL, NULL) : -1;
	ok = op == 2 && hfd >= 0;
	len = shmem(pl, 1 /* RELINQUISH */, 3, 12, 0, 0, 0, NULL, 0);
	frame_send(hfd, 5 /* INJECT */, 0, pl, len);
	n = 0;
	while ((op = recv_pkt(b, &len, 1000)) >= 0) {
		if (op == 8)
			ok = false;
		if (op == 3)	/* RST */
			n++;
	}
	close(hfd);
	tap(ok && n == 1, "framed: an INJECT frame without --inject-hostile resets the connection (%d RST), nothing injected",
	    n);
	close(lfd);
}

int main(int argc, char **argv)
{
	static const uint64_t good[2][2] = { { 0x800000, 8192 }, { 0x900000, 4096 } };
	static const uint64_t outside[1][2] = { { MEM_SIZE, 4096 } };
	static const uint64_t unaligned[1][2] = { { 0x800100, 4096 } };
	static const uint64_t straddle[1][2] = { { MEM_SIZE - 4096, 8192 } };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t b[4096], pl[512];
	uint64_t feat = 0, pf = 0, id;
	uint32_t len;
	int memfd, lfd, hfd, op, i, nrel;
	char got[8] = "";

	bool noshm = argc == 4 && !strcmp(argv[3], "no-shmem");

	if (argc != 3 && !noshm) {
		fprintf(stderr, "usage: vv_front VHOST_SOCKET UDS_PATH [no-shmem]\n");
		return 2;
	}
	printf("1..%d\n", noshm ? 3 : 15);
	/* the host program's listener for HOST_PORT */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", argv[2], HOST_PORT);
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4))
		return perror("listen"), 1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	vfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(vfd, (struct sockaddr *)&sa, sizeof(sa)))
		return perror("connect to the back end"), 1;

	/* features, memory, rings */
	memfd = memfd_create("vv-front-ram", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE))
		return perror("memfd"), 1;
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		return perror("mmap"), 1;
	if (vu_get_u64(GET_FEATURES, &feat))
		return perror("GET_FEATURES"), 1;
	tap(!(feat & (1ULL << 3)) == noshm, "the back end %s VIRTIO_VSOCK_F_SHMEM (features 0x%llx)",
	    noshm ? "does not offer" : "offers", (unsigned long long)feat);
	feat &= (1ULL << 32) | (1ULL << 30) | (1ULL << 1) | (1ULL << 3);
	if (vu_send(SET_OWNER, NULL, 0, -1) || vu_get_u64(GET_PROTOCOL_FEATURES, &pf))
		return perror("SET_OWNER"), 1;
	pf &= 1ULL << 9;	/* CONFIG only: no reply-ack */
	{
		struct { uint32_t n, pad; uint64_t gpa, size, uaddr, offset; } m = {
			1, 0, 0, MEM_SIZE, (uintptr_t)mem, 0 };

		if (vu_send(SET_PROTOCOL_FEATURES, &pf, 8, -1) ||
		    vu_send(SET_FEATURES, &feat, 8, -1) ||
		    vu_send(SET_MEM_TABLE, &m, sizeof(m), memfd))
			return perror("vhost-user"), 1;
	}
	if (setup_ring(&rx, 0, 0) || setup_ring(&tx, 1, 0x10000))
		return perror("rings"), 1;
	for (i = 0; i < Q; i++)
		ring_add(&rx, i, 0x100000 + (uint64_t)i * 4096, 4096, true);

	/* a connection: REQUEST -> RESPONSE, the host program accepts */
	send_pkt(1 /* REQUEST */, 1, 0, NULL, 0);
	op = recv_pkt(b, &len, 5000);
	{
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		hfd = poll(&p, 1, 5000) == 1 ? accept(lfd, NULL, NULL) : -1;
	}
	tap(op == 2 && hfd >= 0, "guest connection to host port %u: op %d (RESPONSE is 2)",
	    HOST_PORT, op);

	if (hfd >= 0) {
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(hfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (noshm) {
		/* not negotiated: the descriptor is dropped, the bytes go */
		len = shmem(pl, 0, 3, 1, 1, 3 * 4096, 2, good, 5);
		send_pkt(8, 1, 0, pl, len);
		send_pkt(5, 1, 0, "hello", 5);
		op = recv_want(8, b, &len, 1000);
		tap(op < 0 && hfd >= 0 && recv(hfd, got, 5, MSG_WAITALL) == 5 &&
		    !memcmp(got, "hello", 5),
		    "without the feature a descriptor is dropped, the bytes still arrive");
		close(hfd);
		close(vfd);
		return tfail ? 1 : 0;
	}

	/* a SHARE offer with 5 data bytes: RELINQUISH back, bytes to the host */
	len = shmem(pl, 0, 3, 1, 1, 3 * 4096, 2, good, 5);
	send_pkt(8, 1, 0, pl, len);
	send_pkt(5 /* RW */, 1, 0, "hello", 5);
	op = recv_pkt(b, &len, 5000);
	memcpy(&id, b + 16, 8);
	tap(op == 8 && len == 64 && b[0] == 1 && le64toh(id) == 1,
	    "offer 1 given back: op %d len %u subop %u id %llu", op, len, b[0],
	    (unsigned long long)le64toh(id));
	tap(hfd >= 0 && recv(hfd, got, 5, MSG_WAITALL) == 5 && !memcmp(got, "hello", 5),
	    "the offer's data bytes reach the host program");

	/* hostile descriptors: none may come back; then a good one */
	len = shmem(pl, 0, 3, 2, 1, 4096, 1, outside, 0);	send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 0, 3, 3, 1, 4096, 1, unaligned, 0);	send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 0, 3, 4, 1, 8192, 1, straddle, 0);	send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 0, 1 /* FFA */, 5, 1, 8192, 1, good, 0); send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 0, 3, 6, 1, 4 * 4096, 2, good, 0);	send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 1 /* RELINQUISH */, 3, 7, 0, 0, 0, NULL, 0); send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 2 /* RECLAIM */, 3, 1, 0, 0, 0, NULL, 0); send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 0, 3, 8, 1, 3 * 4096, 2, good, 0);
	pl[8] ^= 1;	/* length field off by one */
	send_pkt(8, 1, 0, pl, len);
	len = shmem(pl, 0, 3, 99, 2 /* LEND */, 3 * 4096, 2, good, 0);
	send_pkt(8, 1, 0, pl, len);
	nrel = 0;
	id = 0;
	while ((op = recv_pkt(b, &len, 2000)) >= 0) {
		if (op == 8) {
			nrel++;
			memcpy(&id, b + 16, 8);
		}
	}
	tap(nrel == 1 && le64toh(id) == 99,
	    "8 hostile descriptors refused, the good one after them given back (%d back, last id %llu)",
	    nrel, (unsigned long long)le64toh(id));

	/* the connection still works after them */
	send_pkt(5, 1, 0, "again", 5);
	tap(hfd >= 0 && recv(hfd, got, 5, MSG_WAITALL) == 5 && !memcmp(got, "again", 5),
	    "the connection still carries data");
	close(hfd);
	framed(argv[2]);
	close(vfd);
	return tfail ? 1 : 0;
}
