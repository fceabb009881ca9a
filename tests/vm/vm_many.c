// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Capabilities, many offers in flight with distinct ids (256), and the
 * io_uring batch path (vshmem-uring.h), in the guest.
 *
 * Built with -DVT_NO_LIBURING (tests/vm/run.sh --arch arm64: there is no
 * liburing for the cross target) the io_uring cases are still listed and
 * report SKIP with the reason, never a pass.
 */
#ifndef VT_NO_LIBURING
#include <liburing.h>
#endif

#include "vmtest.h"
#ifndef VT_NO_LIBURING
#include <libvshmem/vshmem-uring.h>
#endif

#define N 256
#define SZ (64 * 1024)

/* The loopback transport carries SHARE and LEND as TYPE_LOCAL, and says
 * so on both socket types; SEND_SECURE and TYPE_FFA only where it is bound
 * to an FF-A partition (the arm64 guest), else neither. */
static int caps(int type)
{
	struct vt_pair p;
	uint64_t c = 0, c2 = 0;
	bool ffa = vt_loopback_ffa();

	PAIR(&p, type);
	CHECK_EQ(vshmem_channel_get_caps(p.lender, &c), 0);
	vt_diag("caps %#llx%s", (unsigned long long)c,
		ffa ? " (loopback bound to an FF-A partition)" : "");
	CHECK(c & VSHMEM_CAP_KIND(VSHMEM_KIND_SHARE));
	CHECK(c & VSHMEM_CAP_KIND(VSHMEM_KIND_LEND));
	CHECK(!(c & VSHMEM_CAP_KIND(VSHMEM_KIND_SEND_SECURE)) == !ffa);
	CHECK(c & VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL));
	CHECK(!(c & VSHMEM_CAP_TYPE(VSHMEM_TYPE_FFA)) == !ffa);
	CHECK_EQ(vshmem_channel_get_caps(p.borrower, &c2), 0);
	CHECK_EQ(c2, c);
	CHECK_EQ(vshmem_channel_supports(p.lender, VSHMEM_KIND_SHARE), 1);
	CHECK_EQ(vshmem_channel_supports(p.lender, VSHMEM_KIND_LEND), 1);
	CHECK_EQ(vshmem_channel_supports(p.borrower, VSHMEM_KIND_SEND_SECURE), ffa);
	vt_pair_close(&p);
	return 0;
}

static int caps_seqpacket(void)
{
	return caps(SOCK_SEQPACKET);
}

static int caps_stream(void)
{
	return caps(SOCK_STREAM);
}

/* N offers outstanding at once; each borrower buffer holds its own
 * pattern; ids are distinct; then all come back and the kernel's
 * outstanding counter is where it started. */
static int many_offers(int type, const char *heap, uint64_t id_base)
{
	static struct vshmem_buf *bufs[N];
	static struct vshmem_offer *offers[N];
	static struct vshmem_incoming *ins[N];
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");
	bool lend = !strcmp(heap, "lend");

	CHECK(out0 >= 0);
	PAIR(&p, type);
	for (int i = 0; i < N; i++) {
		void *lp;

		CHECK(bufs[i] = vt_alloc(heap, SZ));
		CHECK(lp = vt_map(bufs[i], VSHMEM_ACCESS_RW));
		vt_fill(lp, SZ, 1000 + i);
		CHECK_EQ(vt_offer(p.lender, bufs[i], id_base ? id_base + i * 3 : 0,
				  0, &offers[i]), 0);
		if (lend)
			CHECK_EQ(vt_read_sig(lp), SIGBUS);
		for (int j = 0; j < i; j++)
			CHECK(vshmem_offer_get_id(offers[j]) !=
			      vshmem_offer_get_id(offers[i]));
	}
	CHECK_EQ(vt_stat("outstanding"), out0 + N);
	for (int i = 0; i < N; i++) {
		void *bp;

		CHECK(ins[i] = vt_recv_offer(p.borrower));
		/* in order, each with its id and its own memory */
		CHECK_EQ(vshmem_incoming_get_id(ins[i]), vshmem_offer_get_id(offers[i]));
		if (id_base)
			CHECK_EQ(vshmem_incoming_get_id(ins[i]), id_base + i * 3);
		CHECK(bp = vt_map(vshmem_incoming_get_buf(ins[i]), VSHMEM_ACCESS_READ));
		TRY(vt_check(bp, SZ, 1000 + i));
	}
	/* give them back in reverse order */
	for (int i = N - 1; i >= 0; i--) {
		CHECK_EQ(vshmem_incoming_release(ins[i]), 0);
		vshmem_incoming_close(ins[i]);
	}
	for (int i = 0; i < N; i++) {
		void *lp;

		CHECK_EQ(vshmem_offer_wait_release(offers[i], 10000), 0);
		vshmem_offer_free(offers[i]);
		CHECK(lp = vt_map(bufs[i], VSHMEM_ACCESS_RW));
		TRY(vt_check(lp, SZ, 1000 + i));
		vshmem_buf_close(bufs[i]);
	}
	vt_pair_close(&p);
	TRY(vt_wait_outstanding(out0));
	return 0;
}

static int many_offers_share_seqpacket(void)
{
	return many_offers(SOCK_SEQPACKET, "system", 0);
}

static int many_offers_share_stream(void)
{
	return many_offers(SOCK_STREAM, "system", 0);
}

static int many_offers_lend_explicit_ids(void)
{
	return many_offers(SOCK_SEQPACKET, "lend", 1ULL << 40);
}

#ifndef VT_NO_LIBURING
/* One io_uring_submit() sends a batch of offers; the borrower receives
 * them through io_uring too. */
static int uring_batch(void)
{
	enum { B = 32 };
	struct vshmem_buf *bufs[B];
	struct vshmem_offer *o[B];
	struct vshmem_incoming *in[B] = { 0 };
	char data[B][16], rx[B][32];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");
	int got = 0;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(io_uring_queue_init(2 * B, &ring, 0), 0);
	for (int i = 0; i < B; i++) {
		VSHMEM_OPTS(vshmem_offer_opts, oo, .data = data[i]);
		void *lp;

		snprintf(data[i], sizeof(data[i]), "offer %d", i);
		oo.data_len = strlen(data[i]) + 1;
		CHECK(bufs[i] = vt_alloc(i % 2 ? "lend" : "system", SZ));
		CHECK(lp = vt_map(bufs[i], VSHMEM_ACCESS_RW));
		vt_fill(lp, SZ, 500 + i);
		CHECK_EQ(vshmem_uring_prep_offer(io_uring_get_sqe(&ring), p.lender,
						 bufs[i], &oo, &o[i]), 0);
		CHECK_EQ(vshmem_offer_get_state(o[i]), VSHMEM_STATE_LIVE);
	}
	CHECK_EQ(io_uring_submit(&ring), B);	/* B offers, one syscall */
	for (int i = 0; i < B; i++) {
		struct vshmem_offer *done = NULL;
		int ret;

		int k;

		CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
		ret = vshmem_uring_complete(p.lender, cqe, &done, NULL);
		io_uring_cqe_seen(&ring, cqe);
		CHECK(done);
		for (k = 0; k < B && o[k] != done; k++)
			;
		CHECK(k < B);
		CHECK_EQ(ret, (long long)strlen(data[k]) + 1);	/* bytes sent */
	}
	CHECK_EQ(vt_stat("outstanding"), out0 + B);
	for (int i = 0; i < B; i++)
		CHECK_EQ(vshmem_uring_prep_recv(io_uring_get_sqe(&ring), p.borrower,
						 rx[i], sizeof(rx[i])), 0);
	CHECK_EQ(io_uring_submit(&ring), B);
	for (int i = 0; i < B; i++) {
		struct vshmem_incoming *inc = NULL;
		struct vshmem_offer *none = NULL;
		int ret, k;

		CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
		ret = vshmem_uring_complete(p.borrower, cqe, &none, &inc);
		io_uring_cqe_seen(&ring, cqe);
		CHECK(ret > 0);
		CHECK(!none);
		CHECK(inc);
		for (k = 0; k < B; k++)
			if (vshmem_incoming_get_id(inc) == vshmem_offer_get_id(o[k]))
				break;
		CHECK(k < B);
		CHECK(!in[k]);
		in[k] = inc;
		got++;
	}
	CHECK_EQ(got, B);
	for (int i = 0; i < B; i++) {
		void *bp;

		CHECK_EQ(vshmem_incoming_get_kind(in[i]),
			 i % 2 ? VSHMEM_KIND_LEND : VSHMEM_KIND_SHARE);
		CHECK(bp = vt_map(vshmem_incoming_get_buf(in[i]), VSHMEM_ACCESS_READ));
		TRY(vt_check(bp, SZ, 500 + i));
		CHECK_EQ(vshmem_incoming_release(in[i]), 0);
		vshmem_incoming_close(in[i]);
	}
	for (int i = 0; i < B; i++) {
		CHECK_EQ(vshmem_offer_wait_release(o[i], 10000), 0);
		vshmem_offer_free(o[i]);
		vshmem_buf_close(bufs[i]);
	}
	io_uring_queue_exit(&ring);
	vt_pair_close(&p);
	TRY(vt_wait_outstanding(out0));
	return 0;
}

/* A prepared offer whose send fails (peer gone) ends DEAD, and its id and
 * buffer are free again. */
static int uring_failed_offer_is_dead(void)
{
	struct vshmem_offer *o = NULL, *done = NULL;
	struct io_uring_cqe *cqe;
	struct vshmem_buf *buf;
	struct io_uring ring;
	struct vt_pair p;
	long long out0 = vt_stat("outstanding");
	int ret;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(io_uring_queue_init(4, &ring, 0), 0);
	CHECK(buf = vt_alloc("lend", SZ));
	CHECK_EQ(vshmem_uring_prep_offer(io_uring_get_sqe(&ring), p.lender, buf,
					 NULL, &o), 0);
	vshmem_channel_close(p.borrower);
	p.borrower = NULL;
	vshmem_channel_close(p.listener);
	p.listener = NULL;
	usleep(100 * 1000);
	CHECK_EQ(io_uring_submit(&ring), 1);
	CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
	ret = vshmem_uring_complete(p.lender, cqe, &done, NULL);
	io_uring_cqe_seen(&ring, cqe);
	CHECK(done == o);
	CHECK(ret < 0);
	vt_diag("offer to a closed peer completed with %d (%s)", ret, strerror(-ret));
	CHECK_EQ(vshmem_offer_get_state(o), VSHMEM_STATE_DEAD);
	vshmem_offer_free(o);
	TRY(vt_wait_outstanding(out0));
	CHECK(vt_map(buf, VSHMEM_ACCESS_RW));	/* not lent */
	io_uring_queue_exit(&ring);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

#else
static int uring_batch(void)
{
	return vt_skip("built without liburing (none for this target)");
}

static int uring_failed_offer_is_dead(void)
{
	return vt_skip("built without liburing (none for this target)");
}
#endif

static const struct vt_case cases[] = {
	{ "caps_seqpacket", caps_seqpacket },
	{ "caps_stream", caps_stream },
	{ "many_offers_share_seqpacket", many_offers_share_seqpacket },
	{ "many_offers_share_stream", many_offers_share_stream },
	{ "many_offers_lend_explicit_ids", many_offers_lend_explicit_ids },
	{ "uring_batch", uring_batch },
	{ "uring_failed_offer_is_dead", uring_failed_offer_is_dead },
};

VT_MAIN(cases)
