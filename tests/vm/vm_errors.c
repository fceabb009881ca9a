// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The errors of DESIGN.md section 3, triggered from userspace through the
 * public API, in the guest. Where the library checks first (same object),
 * a second path reaches the kernel's own check: a second buffer object
 * over the same dma-buf (vshmem_buf_import of a dup), or a second channel
 * object over the same socket (vshmem_channel_adopt). Every case also
 * checks that a refused offer left nothing behind (debugfs outstanding).
 */
#include <sys/mman.h>

#include <poll.h>

#include "vmtest.h"

#define SZ (256 * 1024)

/* Nothing arrived at the borrower. */
static int nothing_queued(struct vshmem_channel *borrower)
{
	struct vshmem_incoming *in = NULL;
	char b[8];
	int ret = vshmem_channel_recv(borrower, b, sizeof(b), 200, NULL, &in);

	if (ret != -ETIMEDOUT && ret != -EAGAIN) {
		vt_diag("borrower got something: %d, offer %p", ret, (void *)in);
		vshmem_incoming_close(in);
		return VT_FAIL;
	}
	return 0;
}

/* EOPNOTSUPP: no heap allocates SEND_SECURE, and a buffer of that kind
 * cannot go over a transport that cannot carry it. Loopback bound to an
 * FF-A partition (the arm64 guest) carries SEND_SECURE: there the second
 * half has nothing to refuse and the case reports SKIP after the first. */
static int err_eopnotsupp(void)
{
	VSHMEM_OPTS(vshmem_import_opts, io, .kind = VSHMEM_KIND_SEND_SECURE);
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf, *imp = NULL;
	struct vshmem_offer *o = NULL;
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");
	uint64_t caps = 0;

	CHECK(out0 >= 0);
	CHECK_EQ(vshmem_heap_open_kind(VSHMEM_KIND_SEND_SECURE, &heap), -EOPNOTSUPP);
	PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(vshmem_channel_get_caps(p.lender, &caps), 0);
	if (vt_loopback_ffa()) {
		CHECK(caps & VSHMEM_CAP_KIND(VSHMEM_KIND_SEND_SECURE));
		CHECK_EQ(vshmem_channel_supports(p.lender, VSHMEM_KIND_SEND_SECURE), 1);
		vt_pair_close(&p);
		return vt_skip("loopback is bound to an FF-A partition and carries SEND_SECURE: no refusal to trigger (the heap half passed)");
	}
	CHECK(!(caps & VSHMEM_CAP_KIND(VSHMEM_KIND_SEND_SECURE)));
	CHECK_EQ(vshmem_channel_supports(p.lender, VSHMEM_KIND_SEND_SECURE), 0);
	CHECK(buf = vt_alloc("system", SZ));
	CHECK_EQ(vshmem_buf_import(vshmem_buf_dup_fd(buf), &io, &imp), 0);
	CHECK_EQ(vshmem_offer_send(p.lender, imp, NULL, &o), -EOPNOTSUPP);
	CHECK(!o);
	TRY(nothing_queued(p.borrower));
	TRY(vt_wait_outstanding(out0));
	vshmem_buf_close(imp);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* EBADF: not an open fd. */
static int err_ebadf(void)
{
	struct vshmem_buf *imp = NULL;
	int fd;

	CHECK_EQ(vshmem_buf_import(-1, NULL, &imp), -EBADF);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(vshmem_buf_import(fd, NULL, &imp), -EBADF);
	CHECK(!imp);
	{
		struct vshmem_channel *ch = NULL;

		CHECK_EQ(vshmem_channel_adopt(-1, NULL, &ch), -EBADF);
		CHECK(!ch);
	}
	return 0;
}

/* EINVAL: an open fd that is not a dma-buf (a file, a pipe, a memfd, a
 * vsock socket) is not taken for one, and is still the caller's. */
static int err_einval_not_dmabuf(void)
{
	struct vshmem_buf *imp = NULL;
	struct vt_pair p;
	int fds[5], pf[2];

	PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(pipe2(pf, O_CLOEXEC), 0);
	fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	fds[1] = pf[0];
	fds[2] = pf[1];
	fds[3] = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	fds[4] = vshmem_channel_get_fd(p.lender);
	for (int i = 0; i < 5; i++) {
		CHECK(fds[i] >= 0);
		CHECK_EQ(vshmem_buf_import(fds[i], NULL, &imp), -EINVAL);
		CHECK(!imp);
		CHECK(fcntl(fds[i], F_GETFD) >= 0);	/* not consumed */
	}
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	vt_pair_close(&p);
	return 0;
}

/* EINVAL: bad arguments to an offer (unknown flag, listener, data_len
 * without data). */
static int err_einval_offer_args(void)
{
	VSHMEM_OPTS(vshmem_offer_opts, bad_flags, .flags = 1U << 7);
	VSHMEM_OPTS(vshmem_offer_opts, bad_data, .data_len = 5);
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf;
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");

	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc("system", SZ));
	CHECK_EQ(vshmem_offer_send(p.lender, buf, &bad_flags, &o), -EINVAL);
	CHECK_EQ(vshmem_offer_send(p.lender, buf, &bad_data, &o), -EINVAL);
	CHECK_EQ(vshmem_offer_send(p.listener, buf, NULL, &o), -EINVAL);
	CHECK(!o);
	TRY(nothing_queued(p.borrower));
	TRY(vt_wait_outstanding(out0));
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* EEXIST: an id that is live on the socket, from the library (same
 * channel object) and from the kernel (a second channel over the same
 * socket); the first offer is unharmed, and the id is free again later. */
static int err_eexist_duplicate_id(void)
{
	struct vshmem_offer *o1 = NULL, *o2 = NULL, *o3 = NULL;
	struct vshmem_channel *alias = NULL;
	struct vshmem_buf *b1, *b2;
	struct vshmem_incoming *in;
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");

	PAIR(&p, SOCK_SEQPACKET);
	CHECK(b1 = vt_alloc("system", SZ));
	CHECK(b2 = vt_alloc("system", SZ));
	CHECK_EQ(vt_offer(p.lender, b1, 42, 0, &o1), 0);
	CHECK_EQ(vt_offer(p.lender, b2, 42, 0, &o2), -EEXIST);
	CHECK_EQ(vshmem_channel_adopt(vshmem_channel_get_fd(p.lender), NULL, &alias), 0);
	CHECK_EQ(vt_offer(alias, b2, 42, 0, &o2), -EEXIST);	/* kernel */
	CHECK(!o2);
	CHECK_EQ(vt_stat("outstanding"), out0 + 1);
	CHECK(in = vt_recv_offer(p.borrower));
	CHECK_EQ(vshmem_incoming_get_id(in), 42);
	TRY(nothing_queued(p.borrower));
	TRY(vt_give_back(in, o1));
	CHECK_EQ(vt_offer(p.lender, b2, 42, 0, &o3), 0);	/* free again */
	CHECK_EQ(vshmem_offer_reclaim(o3), 0);
	vshmem_offer_free(o1);
	vshmem_offer_free(o3);
	vshmem_channel_close(alias);
	vshmem_buf_close(b1);
	vshmem_buf_close(b2);
	vt_pair_close(&p);
	TRY(vt_wait_outstanding(out0));
	return 0;
}

/* ENOENT: reclaim of an id the kernel no longer has (the borrower gave it
 * back and the lender has not read the notice yet). */
static int err_enoent_unknown_id(void)
{
	struct vshmem_offer *o = NULL;
	struct vshmem_incoming *in;
	struct vshmem_buf *buf;
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");
	int ret;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc("system", SZ));
	CHECK_EQ(vt_offer(p.lender, buf, 7, 0, &o), 0);
	CHECK(in = vt_recv_offer(p.borrower));
	CHECK_EQ(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);
	TRY(vt_wait_outstanding(out0));		/* the kernel took it back */
	CHECK_EQ(vshmem_offer_get_state(o), VSHMEM_STATE_LIVE);	/* unread */
	ret = vshmem_offer_reclaim(o);
	CHECK_EQ(ret, -ENOENT);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* EBUSY: a LEND buffer that is already lent, from the library (same
 * buffer object) and from the heap (another object over the same
 * dma-buf, on another connection). */
static int err_ebusy_already_lent(void)
{
	struct vshmem_offer *o = NULL, *o2 = NULL;
	struct vshmem_buf *buf, *imp = NULL;
	struct vshmem_incoming *in;
	struct vt_pair p, q;
	long long out0 = vt_stat("outstanding");

	PAIR(&p, SOCK_SEQPACKET);
	PAIR(&q, SOCK_STREAM);
	CHECK(buf = vt_alloc("lend", SZ));
	CHECK_EQ(vshmem_buf_import(vshmem_buf_dup_fd(buf), NULL, &imp), 0);
	CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &o), 0);
	CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &o2), -EBUSY);
	CHECK_EQ(vshmem_offer_send(q.lender, imp, NULL, &o2), -EBUSY);
	CHECK_EQ(vshmem_offer_send(p.lender, imp, NULL, &o2), -EBUSY);
	CHECK(!o2);
	TRY(nothing_queued(q.borrower));
	CHECK_EQ(vt_stat("outstanding"), out0 + 1);
	CHECK(in = vt_recv_offer(p.borrower));
	TRY(vt_give_back(in, o));
	vshmem_offer_free(o);
	/* back: lendable again, through the other object too */
	CHECK_EQ(vshmem_offer_send(q.lender, imp, NULL, &o2), 0);
	CHECK_EQ(vshmem_offer_reclaim(o2), 0);
	vshmem_offer_free(o2);
	vshmem_buf_close(imp);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	vt_pair_close(&q);
	TRY(vt_wait_outstanding(out0));
	return 0;
}

/* ENOTCONN: a socket without a connection (a listener; a fresh vsock
 * socket adopted as a channel), and the offers of a closed channel. */
static int err_enotconn(void)
{
	struct vshmem_offer *o = NULL, *live = NULL;
	struct vshmem_channel *unconn = NULL;
	struct vshmem_buf *buf;
	struct vt_pair p;
	uint64_t caps;
	long long out0 = vt_stat("outstanding");
	int fd;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(vshmem_channel_get_caps(p.listener, &caps), -ENOTCONN);
	CHECK(buf = vt_alloc("system", SZ));
	fd = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_EQ(vshmem_channel_adopt(fd, NULL, &unconn), 0);
	CHECK_EQ(vshmem_channel_get_caps(unconn, &caps), -ENOTCONN);
	CHECK_EQ(vshmem_offer_send(unconn, buf, NULL, &o), -ENOTCONN);
	CHECK(!o);
	vshmem_channel_close(unconn);
	close(fd);

	CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &live), 0);
	vshmem_channel_close(p.lender);		/* takes the offer back */
	p.lender = NULL;
	CHECK_EQ(vshmem_offer_reclaim(live), -ENOTCONN);
	CHECK_EQ(vshmem_offer_wait_release(live, 100), -ENOTCONN);
	vshmem_offer_free(live);
	TRY(vt_wait_outstanding(out0));
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* The peer closed: an offer fails (EPIPE, as any send to a closed
 * stream; ENOTCONN once the connection is reset) and nothing is held. */
/* Has the peer of @fd shut down its side (within 10 s)? */
static bool peer_hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

	return poll(&pfd, 1, 10000) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP));
}

static int err_peer_closed(void)
{
	struct vshmem_offer *o = NULL, *live = NULL;
	struct vshmem_buf *buf;
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");
	int ret;

	PAIR(&p, SOCK_STREAM);
	CHECK(buf = vt_alloc("lend", SZ));
	CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &live), 0);
	vshmem_channel_close(p.borrower);	/* gives the offer back */
	p.borrower = NULL;
	CHECK_EQ(vshmem_offer_wait_release(live, 10000), 0);
	vshmem_offer_free(live);
	/* The relinquish comes before the peer's shutdown: wait for that too
	 * (with two CPUs the lender can otherwise offer in between).
	 */
	CHECK(peer_hung_up(vshmem_channel_get_fd(p.lender)));
	ret = vshmem_offer_send(p.lender, buf, NULL, &o);
	vt_diag("offer after the peer closed: %d (%s)", ret, strerror(-ret));
	CHECK(ret == -EPIPE || ret == -ENOTCONN);
	CHECK(!o);
	TRY(vt_wait_outstanding(out0));
	CHECK(vt_map(buf, VSHMEM_ACCESS_RW));	/* not lent */
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* The same, many times and in every order: the borrower closes holding
 * one to three offers, having received none, some or all of them (so the
 * lender's socket holds RELINQUISH-free ends of both kinds), on STREAM and
 * SEQPACKET. Each time every vshmem_offer_wait_release() gives 0, the
 * memory is the lender's again, and the kernel holds nothing after.
 */
#define PEER_CLOSE_ROUNDS 48

static int peer_closed_round(int r)
{
	struct vshmem_incoming *in[3] = { NULL };
	struct vshmem_offer *o[3] = { NULL };
	struct vshmem_buf *buf[3];
	int n = 1 + r % 3, got = r / 3 % (n + 1), i, ret;
	struct vt_pair p;

	PAIR(&p, r & 1 ? SOCK_SEQPACKET : SOCK_STREAM);
	for (i = 0; i < n; i++) {
		CHECK(buf[i] = vt_alloc(i == 1 ? "system" : "lend", SZ));
		CHECK_EQ(vshmem_offer_send(p.lender, buf[i], NULL, &o[i]), 0);
	}
	for (i = 0; i < got; i++)
		CHECK(in[i] = vt_recv_offer(p.borrower));
	vshmem_channel_close(p.borrower);
	p.borrower = NULL;
	for (i = 0; i < n; i++) {
		ret = vshmem_offer_wait_release(o[i], 10000);
		if (ret) {
			vt_diag("round %d (%d offers, %d received), offer %d: %s",
				r, n, got, i, strerror(-ret));
			return VT_FAIL;
		}
		vshmem_offer_free(o[i]);
		CHECK(vt_map(buf[i], VSHMEM_ACCESS_RW));	/* ours again */
		vshmem_buf_close(buf[i]);
	}
	for (i = 0; i < got; i++)
		vshmem_incoming_close(in[i]);
	vt_pair_close(&p);
	return 0;
}

static int err_peer_closed_loop(void)
{
	long long out0 = vt_stat("outstanding");
	int r;

	for (r = 0; r < PEER_CLOSE_ROUNDS; r++)
		TRY(peer_closed_round(r));
	vt_diag("%d rounds: every offer given back with 0", PEER_CLOSE_ROUNDS);
	TRY(vt_wait_outstanding(out0));
	return 0;
}

/* E2BIG: a newer caller's options with an unknown non-zero tail. */
static int err_e2big_opts(void)
{
	struct {
		struct vshmem_offer_opts o;
		uint64_t future;
	} big;
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf;
	struct vt_pair p;

	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.future = 1;
	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc("system", SZ));
	CHECK_EQ(vshmem_offer_send(p.lender, buf, &big.o, &o), -E2BIG);
	big.future = 0;
	CHECK_EQ(vshmem_offer_send(p.lender, buf, &big.o, &o), 0);
	CHECK_EQ(vshmem_offer_reclaim(o), 0);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* A refused offer never leaves fds behind in the lender or borrower
 * (SEND_SECURE refusals only where loopback cannot carry that kind). */
static int err_no_fd_leak(void)
{
	VSHMEM_OPTS(vshmem_import_opts, io, .kind = VSHMEM_KIND_SEND_SECURE);
	struct vshmem_buf *buf, *lent, *imp = NULL;
	struct vshmem_offer *o = NULL, *lo = NULL;
	struct vt_pair p;
	bool secure_refused = !vt_loopback_ffa();
	int fds0;

	if (!secure_refused)
		vt_diag("loopback carries SEND_SECURE here (FF-A): EBUSY refusals only");
	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc("system", SZ));
	CHECK(lent = vt_alloc("lend", SZ));
	CHECK_EQ(vshmem_offer_send(p.lender, lent, NULL, &lo), 0);
	fds0 = vt_fd_count();
	for (int i = 0; i < 50; i++) {
		if (secure_refused) {
			CHECK_EQ(vshmem_buf_import(vshmem_buf_dup_fd(buf), &io, &imp), 0);
			CHECK_EQ(vshmem_offer_send(p.lender, imp, NULL, &o), -EOPNOTSUPP);
			vshmem_buf_close(imp);
		}
		CHECK_EQ(vshmem_buf_import(vshmem_buf_dup_fd(lent), NULL, &imp), 0);
		CHECK_EQ(vshmem_offer_send(p.lender, imp, NULL, &o), -EBUSY);
		vshmem_buf_close(imp);
	}
	CHECK_EQ(vt_fd_count(), fds0);
	CHECK_EQ(vshmem_offer_reclaim(lo), 0);
	vshmem_offer_free(lo);
	vshmem_buf_close(lent);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

static const struct vt_case cases[] = {
	{ "err_eopnotsupp", err_eopnotsupp },
	{ "err_ebadf", err_ebadf },
	{ "err_einval_not_dmabuf", err_einval_not_dmabuf },
	{ "err_einval_offer_args", err_einval_offer_args },
	{ "err_eexist_duplicate_id", err_eexist_duplicate_id },
	{ "err_enoent_unknown_id", err_enoent_unknown_id },
	{ "err_ebusy_already_lent", err_ebusy_already_lent },
	{ "err_enotconn", err_enotconn },
	{ "err_peer_closed", err_peer_closed },
	{ "err_peer_closed_loop", err_peer_closed_loop },
	{ "err_e2big_opts", err_e2big_opts },
	{ "err_no_fd_leak", err_no_fd_leak },
};

VT_MAIN(cases)
