// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LEND offers (lend and lend-nomap heaps) through the public API, in the
 * guest: the lender loses access (SIGBUS) for the loan and gets it back
 * (zeroed with CLEAR), lend-nomap is never CPU-mapped, the kind comes
 * from the heap, round trips in one and two processes on both socket
 * types.
 */
#include "vmtest.h"

#define SZ (1 * MiB)

/* The loan, seen from a lender that keeps its mapping: reads and writes
 * fault with SIGBUS, CPU access and a new mapping (through a second fd of
 * the same dma-buf, so that mmap() really reaches the kernel) are refused. */
static int lender_locked_out(struct vshmem_buf *buf, void *lp)
{
	struct vshmem_buf *imp = NULL;
	void *np = NULL;

	CHECK_EQ(vt_read_sig(lp), SIGBUS);
	CHECK_EQ(vt_write_sig((char *)lp + SZ - 1), SIGBUS);
	CHECK(vshmem_buf_sync_start(buf, VSHMEM_ACCESS_READ) < 0);
	CHECK_EQ(vshmem_buf_import(vshmem_buf_dup_fd(buf), NULL, &imp), 0);
	CHECK(vshmem_buf_map(imp, VSHMEM_ACCESS_READ, &np) < 0);
	vshmem_buf_close(imp);
	return 0;
}

static int lend_round_trip(int type, unsigned int flags, bool reclaim)
{
	struct vt_flow f;
	int fds0 = vt_fd_count();
	long long out0 = vt_stat("outstanding");

	TRY(vt_flow_open(&f, type, "lend", SZ, 1));
	TRY(vt_flow_send(&f, flags));
	CHECK_EQ(vshmem_offer_get_kind(f.o), VSHMEM_KIND_LEND);
	TRY(lender_locked_out(f.buf, f.lp));

	TRY(vt_flow_recv(&f, 0, 0));
	CHECK_EQ(vshmem_incoming_get_kind(f.in), VSHMEM_KIND_LEND);
	CHECK(f.bp = vt_map(vshmem_incoming_get_buf(f.in), VSHMEM_ACCESS_RW));
	TRY(vt_check(f.bp, SZ, 1));
	vt_fill(f.bp, SZ, 2);
	TRY(lender_locked_out(f.buf, f.lp));	/* still, while borrowed */
	if (reclaim) {
		CHECK_EQ(vshmem_offer_reclaim(f.o), 0);
		CHECK_EQ(vt_read_sig(f.bp), SIGBUS);	/* borrower revoked */
		CHECK_EQ(vshmem_offer_get_state(f.o), VSHMEM_STATE_RECLAIMED);
	} else {
		CHECK_EQ(vshmem_incoming_release(f.in), 0);
		CHECK_EQ(vshmem_offer_wait_release(f.o, 10000), 0);
	}
	/* back: the old mapping works again, with what the borrower wrote
	 * (or zeros) */
	CHECK_EQ(vt_read_sig(f.lp), 0);
	if (flags & VSHMEM_OFFER_F_CLEAR)
		TRY(vt_check_zero(f.lp, SZ));
	else
		TRY(vt_check(f.lp, SZ, 2));
	CHECK_EQ(vshmem_buf_sync_start(f.buf, VSHMEM_ACCESS_RW), 0);
	CHECK_EQ(vshmem_buf_sync_end(f.buf, VSHMEM_ACCESS_RW), 0);
	vt_fill(f.lp, SZ, 3);
	vt_flow_close(&f);
	CHECK_EQ(vt_fd_count(), fds0);	/* no fd left behind */
	TRY(vt_wait_outstanding(out0));
	return 0;
}

static int lend_round_trip_seqpacket(void)
{
	return lend_round_trip(SOCK_SEQPACKET, 0, false);
}

static int lend_round_trip_stream(void)
{
	return lend_round_trip(SOCK_STREAM, 0, false);
}

static int lend_reclaim(void)
{
	return lend_round_trip(SOCK_SEQPACKET, 0, true);
}

static int lend_clear_release(void)
{
	return lend_round_trip(SOCK_SEQPACKET, VSHMEM_OFFER_F_CLEAR, false);
}

static int lend_clear_reclaim(void)
{
	return lend_round_trip(SOCK_STREAM, VSHMEM_OFFER_F_CLEAR, true);
}

/* A lent buffer can be lent again once it is back. */
static int lend_again_after_return(void)
{
	struct vshmem_offer *o = NULL;
	struct vshmem_incoming *in;
	struct vshmem_buf *buf;
	struct vt_pair p;
	void *lp;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc("lend", SZ));
	CHECK(lp = vt_map(buf, VSHMEM_ACCESS_RW));
	for (unsigned int i = 0; i < 5; i++) {
		void *bp;

		vt_fill(lp, SZ, 100 + i);
		CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &o), 0);
		CHECK_EQ(vt_read_sig(lp), SIGBUS);
		CHECK(in = vt_recv_offer(p.borrower));
		CHECK(bp = vt_map(vshmem_incoming_get_buf(in), VSHMEM_ACCESS_READ));
		TRY(vt_check(bp, SZ, 100 + i));
		TRY(vt_give_back(in, o));
		vshmem_offer_free(o);
		CHECK_EQ(vt_read_sig(lp), 0);
	}
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* lend-nomap is never mapped by the CPU of the lender. */
static int lend_nomap_refuses_mmap(void)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	void *m = NULL;
	int ret;

	CHECK_EQ(vshmem_heap_open("lend-nomap", &heap), 0);
	CHECK_EQ(vshmem_heap_get_kind(heap), VSHMEM_KIND_LEND);
	CHECK_EQ(vshmem_buf_alloc(heap, SZ, NULL, &buf), 0);
	vshmem_heap_close(heap);
	CHECK_EQ(vshmem_buf_get_kind(buf), VSHMEM_KIND_LEND);
	ret = vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &m);
	CHECK_EQ(ret, -EPERM);
	ret = vshmem_buf_map(buf, VSHMEM_ACCESS_READ, &m);
	CHECK_EQ(ret, -EPERM);
	CHECK(vshmem_buf_sync_start(buf, VSHMEM_ACCESS_READ) < 0);
	vshmem_buf_close(buf);
	return 0;
}

/* A lend-nomap buffer lends: the borrower maps its own buffer, the
 * lender still cannot, before, during or after. */
static int lend_nomap_round_trip(void)
{
	struct vshmem_offer *o = NULL;
	struct vshmem_incoming *in;
	struct vshmem_buf *buf;
	struct vt_pair p;
	void *bp, *m = NULL;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc("lend-nomap", SZ));
	CHECK_EQ(vt_offer(p.lender, buf, 0, VSHMEM_OFFER_F_CLEAR, &o), 0);
	CHECK_EQ(vshmem_offer_get_kind(o), VSHMEM_KIND_LEND);
	CHECK(vshmem_buf_map(buf, VSHMEM_ACCESS_READ, &m) < 0);
	CHECK(in = vt_recv_offer(p.borrower));
	CHECK_EQ(vshmem_incoming_get_kind(in), VSHMEM_KIND_LEND);
	CHECK(vshmem_incoming_get_size(in) >= SZ);
	CHECK(bp = vt_map(vshmem_incoming_get_buf(in), VSHMEM_ACCESS_RW));
	TRY(vt_check_zero(bp, SZ));	/* a fresh heap buffer is zeroed */
	vt_fill(bp, SZ, 5);
	TRY(vt_check(bp, SZ, 5));
	TRY(vt_give_back(in, o));
	vshmem_offer_free(o);
	CHECK_EQ(vshmem_buf_map(buf, VSHMEM_ACCESS_READ, &m), -EPERM);

	/* lent again: with CLEAR the next borrower sees zeros, not 5 */
	CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &o), 0);
	CHECK(in = vt_recv_offer(p.borrower));
	CHECK(bp = vt_map(vshmem_incoming_get_buf(in), VSHMEM_ACCESS_READ));
	TRY(vt_check_zero(bp, SZ));
	TRY(vt_give_back(in, o));
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* The kind follows the heap: open_kind(LEND) picks a lend heap, every
 * object reports LEND, and the borrower's report is the kernel's. */
static int lend_kind_matches_heap(void)
{
	const char *names[] = { "lend", "lend-nomap" };
	struct vshmem_heap *heap = NULL;
	struct vt_pair p;

	CHECK_EQ(vshmem_heap_open_kind(VSHMEM_KIND_LEND, &heap), 0);
	CHECK(!strcmp(vshmem_heap_get_name(heap), "lend"));
	CHECK_EQ(vshmem_heap_get_kind(heap), VSHMEM_KIND_LEND);
	vshmem_heap_close(heap);
	PAIR(&p, SOCK_SEQPACKET);
	for (int i = 0; i < 2; i++) {
		struct vshmem_offer *o = NULL;
		struct vshmem_incoming *in;
		struct vshmem_buf *buf;

		CHECK(buf = vt_alloc(names[i], SZ));
		CHECK_EQ(vshmem_buf_get_kind(buf), VSHMEM_KIND_LEND);
		CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &o), 0);
		CHECK(in = vt_recv_offer(p.borrower));
		CHECK_EQ(vshmem_incoming_get_kind(in), VSHMEM_KIND_LEND);
		TRY(vt_give_back(in, o));
		vshmem_offer_free(o);
		vshmem_buf_close(buf);
	}
	vt_pair_close(&p);
	return 0;
}

/* Import of a lend-heap fd with kind 0 (unknown): the kernel still
 * enforces LEND, never a silent SHARE. */
static int lend_kind_is_the_kernels(void)
{
	struct vshmem_buf *imp = NULL;
	struct vt_flow f;

	TRY(vt_flow_open(&f, SOCK_SEQPACKET, "lend", SZ, 81));
	CHECK_EQ(vshmem_buf_import(vshmem_buf_dup_fd(f.buf), NULL, &imp), 0);
	CHECK_EQ(vshmem_buf_get_kind(imp), 0);
	CHECK_EQ(vshmem_offer_send(f.p.lender, imp, NULL, &f.o), 0);
	CHECK_EQ(vt_read_sig(f.lp), SIGBUS);
	TRY(vt_flow_recv(&f, 0, 0));
	CHECK_EQ(vshmem_incoming_get_kind(f.in), VSHMEM_KIND_LEND);
	TRY(vt_flow_give_back(&f));
	CHECK_EQ(vt_read_sig(f.lp), 0);
	vshmem_buf_close(imp);
	vt_flow_close(&f);
	return 0;
}

/* READONLY lend: the borrower may read only. */
static int lend_readonly(void)
{
	return vt_readonly_round_trip("lend", 7);
}

/* Two processes: the borrower is a child with its own channel. */
static int lend_two_process_seqpacket(void)
{
	return vt_two_process_round_trip("lend", SOCK_SEQPACKET, 61);
}

static int lend_two_process_stream(void)
{
	return vt_two_process_round_trip("lend", SOCK_STREAM, 61);
}

/* A large lend (64 MiB): high-order pages, one offer, full pattern. What
 * the offer walked is counted, not timed: the kernel's "entries" counter
 * grows by the scatter entries of the mapping it offered, 32 for the lend
 * heaps' 2 MiB chunks, at most 64 where memory is too fragmented for them
 * (1 MiB chunks); 16384 would mean single pages. */
static int lend_large(void)
{
	const size_t sz = 64 * MiB;
	long long entries0 = vt_stat("entries"), entries;
	struct vt_flow f;

	CHECK(entries0 >= 0);
	TRY(vt_flow_open(&f, SOCK_STREAM, "lend", sz, 71));
	TRY(vt_flow_send(&f, 0));
	entries = vt_stat("entries") - entries0;
	vt_diag("64 MiB lend: %lld scatter entries", entries);
	CHECK(entries >= 1 && entries <= 64);
	CHECK_EQ(vt_read_sig((char *)f.lp + sz / 2), SIGBUS);
	TRY(vt_flow_recv(&f, 0, 0));
	CHECK_EQ(vshmem_incoming_get_size(f.in), sz);
	CHECK(f.bp = vt_map(vshmem_incoming_get_buf(f.in), VSHMEM_ACCESS_READ));
	TRY(vt_check(f.bp, sz, 71));
	TRY(vt_flow_give_back(&f));
	TRY(vt_check(f.lp, sz, 71));
	vt_flow_close(&f);
	return 0;
}

static const struct vt_case cases[] = {
	{ "lend_round_trip_seqpacket", lend_round_trip_seqpacket },
	{ "lend_round_trip_stream", lend_round_trip_stream },
	{ "lend_reclaim", lend_reclaim },
	{ "lend_clear_release", lend_clear_release },
	{ "lend_clear_reclaim", lend_clear_reclaim },
	{ "lend_again_after_return", lend_again_after_return },
	{ "lend_nomap_refuses_mmap", lend_nomap_refuses_mmap },
	{ "lend_nomap_round_trip", lend_nomap_round_trip },
	{ "lend_kind_matches_heap", lend_kind_matches_heap },
	{ "lend_kind_is_the_kernels", lend_kind_is_the_kernels },
	{ "lend_readonly", lend_readonly },
	{ "lend_two_process_seqpacket", lend_two_process_seqpacket },
	{ "lend_two_process_stream", lend_two_process_stream },
	{ "lend_large", lend_large },
};

VT_MAIN(cases)
