// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SHARE offers (system heap) through the public API, in the guest:
 * round trips in one and in two processes, on SOCK_SEQPACKET and
 * SOCK_STREAM, inline data, kind/tag/size reporting, read-only offers,
 * reclaim and CLEAR.
 */
#include "vmtest.h"

#define SZ (1 * MiB)

/* One process: the borrower sees the lender's pattern, writes its own,
 * and the lender sees it. */
static int share_round_trip(int type)
{
	struct vt_flow f;
	int fds0 = vt_fd_count();
	long long out0 = vt_stat("outstanding");

	TRY(vt_flow_open(&f, type, "system", SZ, 1));
	TRY(vt_flow_send(&f, 0));
	CHECK_EQ(vshmem_offer_get_state(f.o), VSHMEM_STATE_LIVE);
	TRY(vt_flow_recv(&f, VSHMEM_ACCESS_RW, 1));
	CHECK_EQ(vshmem_incoming_get_id(f.in), vshmem_offer_get_id(f.o));
	vt_fill(f.bp, SZ, 2);
	TRY(vt_check(f.lp, SZ, 2));	/* the lender sees the writes at once */
	vt_fill(f.lp, SZ / 2, 3);	/* and the borrower the lender's */
	TRY(vt_check(f.bp, SZ / 2, 3));
	CHECK_EQ(vshmem_incoming_release(f.in), 0);
	CHECK_EQ(vshmem_incoming_get_state(f.in), VSHMEM_STATE_RELEASED);
	vshmem_incoming_close(f.in);
	f.in = NULL;
	CHECK_EQ(vshmem_offer_wait_release(f.o, 10000), 0);
	CHECK_EQ(vshmem_offer_get_state(f.o), VSHMEM_STATE_RELEASED);
	TRY(vt_check(f.lp, SZ / 2, 3));
	CHECK_EQ(vt_read_sig(f.lp), 0);
	vt_flow_close(&f);
	CHECK_EQ(vt_fd_count(), fds0);	/* no fd left behind */
	TRY(vt_wait_outstanding(out0));
	return 0;
}

static int share_round_trip_seqpacket(void)
{
	return share_round_trip(SOCK_SEQPACKET);
}

static int share_round_trip_stream(void)
{
	return share_round_trip(SOCK_STREAM);
}

/* Two processes: the borrower is a child with its own channel. */
static int share_two_process_seqpacket(void)
{
	return vt_two_process_round_trip("system", SOCK_SEQPACKET, 11);
}

static int share_two_process_stream(void)
{
	return vt_two_process_round_trip("system", SOCK_STREAM, 11);
}

/* The kind is the heap's: system -> SHARE on every object that says so. */
static int share_kind_matches_heap(void)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	struct vshmem_offer *o = NULL;
	struct vshmem_incoming *in;
	struct vt_pair p;

	CHECK_EQ(vshmem_heap_open_kind(VSHMEM_KIND_SHARE, &heap), 0);
	CHECK(!strcmp(vshmem_heap_get_name(heap), "system"));
	CHECK_EQ(vshmem_heap_get_kind(heap), VSHMEM_KIND_SHARE);
	CHECK_EQ(vshmem_buf_alloc(heap, SZ, NULL, &buf), 0);
	vshmem_heap_close(heap);
	CHECK_EQ(vshmem_buf_get_kind(buf), VSHMEM_KIND_SHARE);
	PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &o), 0);
	CHECK_EQ(vshmem_offer_get_kind(o), VSHMEM_KIND_SHARE);
	CHECK(in = vt_recv_offer(p.borrower));
	CHECK_EQ(vshmem_incoming_get_kind(in), VSHMEM_KIND_SHARE);
	CHECK_EQ(vshmem_incoming_get_type(in), VSHMEM_TYPE_LOCAL);
	CHECK_EQ(vshmem_buf_get_kind(vshmem_incoming_get_buf(in)), VSHMEM_KIND_SHARE);
	TRY(vt_give_back(in, o));
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* Tag, size, handle, flags and the lender's id arrive unchanged. */
static int share_metadata(void)
{
	VSHMEM_OPTS(vshmem_offer_opts, oo, .id = 0x123456789abcULL,
		    .tag = 0xfedcba9876543210ULL);
	struct vshmem_offer *o = NULL;
	struct vshmem_incoming *in;
	struct vshmem_buf *buf;
	struct vt_pair p;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc("system", 3 * 4096 + 1));	/* rounded to pages */
	CHECK(vshmem_buf_get_size(buf) >= 3 * 4096 + 1);
	CHECK_EQ(vshmem_offer_send(p.lender, buf, &oo, &o), 0);
	CHECK_EQ(vshmem_offer_get_id(o), 0x123456789abcULL);
	CHECK(in = vt_recv_offer(p.borrower));
	CHECK_EQ(vshmem_incoming_get_id(in), 0x123456789abcULL);
	CHECK(vshmem_incoming_get_tag(in) == 0xfedcba9876543210ULL);
	CHECK_EQ(vshmem_incoming_get_size(in), 4 * 4096);
	CHECK_EQ(vshmem_buf_get_size(vshmem_incoming_get_buf(in)), 4 * 4096);
	CHECK_EQ(vshmem_incoming_get_handle(in), 0);
	CHECK_EQ(vshmem_incoming_get_flags(in), 0);
	TRY(vt_give_back(in, o));
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

/* Data bytes ride with the offer; an offer is a record boundary on a
 * stream too: plain data before and after arrive in their own reads. */
static int share_inline_data(int type)
{
	static const char msg[] = "inline bytes that come with the offer";
	VSHMEM_OPTS(vshmem_offer_opts, oo, .data = msg, .data_len = sizeof(msg));
	VSHMEM_OPTS(vshmem_offer_opts, empty);
	struct vshmem_offer *o = NULL, *o2 = NULL;
	struct vshmem_incoming *in = NULL;
	struct vshmem_buf *buf, *buf2;
	char rx[256];
	struct vt_pair p;

	PAIR(&p, type);
	CHECK(buf = vt_alloc("system", SZ));
	CHECK(buf2 = vt_alloc("system", SZ));
	CHECK_EQ(send(vshmem_channel_get_fd(p.lender), "before", 6, 0), 6);
	CHECK_EQ(vshmem_offer_send(p.lender, buf, &oo, &o), 0);
	CHECK_EQ(send(vshmem_channel_get_fd(p.lender), "after", 5, 0), 5);
	CHECK_EQ(vshmem_offer_send(p.lender, buf2, &empty, &o2), 0);

	memset(rx, 0, sizeof(rx));
	CHECK_EQ(vshmem_channel_recv(p.borrower, rx, sizeof(rx), 10000, NULL, &in), 6);
	CHECK(!in);
	CHECK(!memcmp(rx, "before", 6));
	memset(rx, 0, sizeof(rx));
	CHECK_EQ(vshmem_channel_recv(p.borrower, rx, sizeof(rx), 10000, NULL, &in),
		 sizeof(msg));
	CHECK(in);
	CHECK(!strcmp(rx, msg));
	CHECK_EQ(vshmem_incoming_get_id(in), vshmem_offer_get_id(o));
	CHECK_EQ(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);
	in = NULL;
	memset(rx, 0, sizeof(rx));
	CHECK_EQ(vshmem_channel_recv(p.borrower, rx, sizeof(rx), 10000, NULL, &in), 5);
	CHECK(!in);
	CHECK(!memcmp(rx, "after", 5));
	/* control-only offer: 0 bytes with an offer, not end of stream */
	CHECK_EQ(vshmem_channel_recv(p.borrower, rx, sizeof(rx), 10000, NULL, &in), 0);
	CHECK(in);
	CHECK_EQ(vshmem_incoming_get_id(in), vshmem_offer_get_id(o2));
	TRY(vt_give_back(in, o));
	CHECK_EQ(vshmem_offer_wait_release(o2, 10000), 0);
	vshmem_offer_free(o);
	vshmem_offer_free(o2);
	vshmem_buf_close(buf);
	vshmem_buf_close(buf2);
	vt_pair_close(&p);
	return 0;
}

static int share_inline_data_seqpacket(void)
{
	return share_inline_data(SOCK_SEQPACKET);
}

static int share_inline_data_stream(void)
{
	return share_inline_data(SOCK_STREAM);
}

/* READONLY: the borrower can read, not map for writing. */
static int share_readonly(void)
{
	return vt_readonly_round_trip("system", 21);
}

/* The lender takes a SHARE back: the borrower's mapping faults at once
 * and it is told with a RECLAIM notice. */
static int share_reclaim(void)
{
	struct vshmem_incoming *none = NULL;
	struct vt_flow f;

	TRY(vt_flow_open(&f, SOCK_SEQPACKET, "system", SZ, 31));
	TRY(vt_flow_send(&f, 0));
	TRY(vt_flow_recv(&f, VSHMEM_ACCESS_READ, 31));
	CHECK_EQ(vshmem_offer_reclaim(f.o), 0);
	CHECK_EQ(vshmem_offer_get_state(f.o), VSHMEM_STATE_RECLAIMED);
	CHECK_EQ(vt_read_sig(f.bp), SIGBUS);	/* revoked before the notice */
	CHECK_EQ(vshmem_channel_recv(f.p.borrower, NULL, 0, 10000, NULL, &none), 0);
	CHECK(!none);
	CHECK_EQ(vshmem_incoming_get_state(f.in), VSHMEM_STATE_RECLAIMED);
	CHECK(vshmem_incoming_release(f.in) < 0);	/* not live any more */
	TRY(vt_check(f.lp, SZ, 31));
	vt_flow_close(&f);
	return 0;
}

/* CLEAR on a SHARE: zeroed once the borrower's access ended. */
static int share_clear(void)
{
	struct vt_flow f;

	TRY(vt_flow_open(&f, SOCK_SEQPACKET, "system", SZ, 41));
	TRY(vt_flow_send(&f, VSHMEM_OFFER_F_CLEAR));
	TRY(vt_flow_recv(&f, VSHMEM_ACCESS_RW, 41));
	CHECK_EQ(vshmem_incoming_get_flags(f.in), VSHMEM_OFFER_F_CLEAR);
	vt_fill(f.bp, SZ, 42);
	TRY(vt_flow_give_back(&f));
	TRY(vt_check_zero(f.lp, SZ));
	vt_flow_close(&f);
	return 0;
}

/* One buffer offered on two channels at once (SHARE allows it). */
static int share_same_buffer_twice(void)
{
	struct vshmem_offer *o1 = NULL, *o2 = NULL;
	struct vshmem_incoming *i1, *i2;
	struct vshmem_buf *buf;
	struct vt_pair p, q;
	void *lp, *b1, *b2;

	PAIR(&p, SOCK_SEQPACKET);
	PAIR(&q, SOCK_STREAM);
	CHECK(buf = vt_alloc("system", SZ));
	CHECK(lp = vt_map(buf, VSHMEM_ACCESS_RW));
	vt_fill(lp, SZ, 51);
	CHECK_EQ(vshmem_offer_send(p.lender, buf, NULL, &o1), 0);
	CHECK_EQ(vshmem_offer_send(q.lender, buf, NULL, &o2), 0);
	CHECK(i1 = vt_recv_offer(p.borrower));
	CHECK(i2 = vt_recv_offer(q.borrower));
	CHECK(b1 = vt_map(vshmem_incoming_get_buf(i1), VSHMEM_ACCESS_RW));
	CHECK(b2 = vt_map(vshmem_incoming_get_buf(i2), VSHMEM_ACCESS_READ));
	TRY(vt_check(b2, SZ, 51));
	vt_fill(b1, SZ, 52);
	TRY(vt_check(b2, SZ, 52));
	CHECK_EQ(vshmem_incoming_release(i1), 0);
	CHECK_EQ(vshmem_incoming_release(i2), 0);
	vshmem_incoming_close(i1);
	vshmem_incoming_close(i2);
	CHECK_EQ(vshmem_offer_wait_release(o1, 10000), 0);
	CHECK_EQ(vshmem_offer_wait_release(o2, 10000), 0);
	TRY(vt_check(lp, SZ, 52));
	vshmem_offer_free(o1);
	vshmem_offer_free(o2);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	vt_pair_close(&q);
	return 0;
}

static const struct vt_case cases[] = {
	{ "share_round_trip_seqpacket", share_round_trip_seqpacket },
	{ "share_round_trip_stream", share_round_trip_stream },
	{ "share_two_process_seqpacket", share_two_process_seqpacket },
	{ "share_two_process_stream", share_two_process_stream },
	{ "share_kind_matches_heap", share_kind_matches_heap },
	{ "share_metadata", share_metadata },
	{ "share_inline_data_seqpacket", share_inline_data_seqpacket },
	{ "share_inline_data_stream", share_inline_data_stream },
	{ "share_readonly", share_readonly },
	{ "share_reclaim", share_reclaim },
	{ "share_clear", share_clear },
	{ "share_same_buffer_twice", share_same_buffer_twice },
};

VT_MAIN(cases)
