// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libvshmem flows the tests/vm suites share (vmtest.h): loopback
 * channel pairs, buffers, offers, and the round trips several suites run
 * on their own heap. Built once with the harness (tests/vm/common.sh).
 */
#include "vmtest.h"

void vt_pair_close(struct vt_pair *p)
{
	vshmem_channel_close(p->borrower);
	vshmem_channel_close(p->lender);
	vshmem_channel_close(p->listener);
	memset(p, 0, sizeof(*p));
}

/* vsock completes the handshake before accept(). */
int vt_pair_open(struct vt_pair *p, int sock_type)
{
	VSHMEM_OPTS(vshmem_channel_opts, o, .sock_type = sock_type);
	int ret;

	memset(p, 0, sizeof(*p));
	p->port = vt_port();
	ret = vshmem_channel_listen(VMADDR_CID_ANY, p->port, &o, &p->listener);
	if (ret == 0)
		ret = vshmem_channel_connect(VMADDR_CID_LOCAL, p->port, &o,
					     &p->lender);
	if (ret == 0)
		ret = vshmem_channel_accept(p->listener, &p->borrower);
	if (ret < 0) {
		vt_diag("loopback pair on port %u: %s", p->port, strerror(-ret));
		vt_pair_close(p);
	}
	return ret;
}

struct vshmem_buf *vt_alloc(const char *heap_name, size_t size)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	int ret;

	ret = vshmem_heap_open(heap_name, &heap);
	if (ret < 0) {
		vt_diag("heap %s: %s", heap_name, strerror(-ret));
		return NULL;
	}
	ret = vshmem_buf_alloc(heap, size, NULL, &buf);
	if (ret < 0)
		vt_diag("alloc %zu bytes from %s: %s", size, heap_name,
			strerror(-ret));
	vshmem_heap_close(heap);
	return ret < 0 ? NULL : buf;
}

void *vt_map(struct vshmem_buf *buf, unsigned int access)
{
	void *p = NULL;
	int ret = vshmem_buf_map(buf, access, &p);

	if (ret < 0)
		vt_diag("map: %s", strerror(-ret));
	return ret < 0 ? NULL : p;
}

int vt_offer(struct vshmem_channel *ch, struct vshmem_buf *buf, uint64_t id,
	     unsigned int flags, struct vshmem_offer **ret)
{
	VSHMEM_OPTS(vshmem_offer_opts, o, .id = id, .flags = flags);

	return vshmem_offer_send(ch, buf, &o, ret);
}

struct vshmem_incoming *vt_recv_offer(struct vshmem_channel *ch)
{
	struct vshmem_incoming *in = NULL;
	int ret = vshmem_channel_recv(ch, NULL, 0, 10000, NULL, &in);

	if (ret < 0 || !in)
		vt_diag("receiving an offer: %s", ret < 0 ? strerror(-ret) :
			"a message without an offer");
	return ret < 0 ? NULL : in;
}

int vt_give_back(struct vshmem_incoming *in, struct vshmem_offer *o)
{
	CHECK_EQ(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);
	CHECK_EQ(vshmem_offer_wait_release(o, 10000), 0);
	return 0;
}

int vt_flow_open(struct vt_flow *f, int type, const char *heap, size_t size,
		 unsigned int seed)
{
	memset(f, 0, sizeof(*f));
	f->size = size;
	PAIR(&f->p, type);
	CHECK(f->buf = vt_alloc(heap, size));
	if (seed) {
		CHECK(f->lp = vt_map(f->buf, VSHMEM_ACCESS_RW));
		vt_fill(f->lp, size, seed);
	}
	return 0;
}

int vt_flow_send(struct vt_flow *f, unsigned int flags)
{
	CHECK_EQ(vt_offer(f->p.lender, f->buf, 0, flags, &f->o), 0);
	return 0;
}

int vt_flow_recv(struct vt_flow *f, unsigned int access, unsigned int seed)
{
	CHECK(f->in = vt_recv_offer(f->p.borrower));
	if (!access)
		return 0;
	CHECK(f->bp = vt_map(vshmem_incoming_get_buf(f->in), access));
	if (seed)
		TRY(vt_check(f->bp, f->size, seed));
	return 0;
}

int vt_flow_give_back(struct vt_flow *f)
{
	struct vshmem_incoming *in = f->in;

	f->in = NULL;
	return vt_give_back(in, f->o);
}

void vt_flow_close(struct vt_flow *f)
{
	vshmem_incoming_close(f->in);
	vshmem_offer_free(f->o);
	vshmem_buf_close(f->buf);
	vt_pair_close(&f->p);
	memset(f, 0, sizeof(*f));
}

static int vt_borrower_child(void *arg, int fd)
{
	struct vt_borrower_arg *a = arg;
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = a->type);
	struct vshmem_channel *l = NULL, *ch = NULL;
	struct vshmem_incoming *in;
	void *bp;

	CHECK_EQ(vshmem_channel_listen(VMADDR_CID_ANY, a->port, &co, &l), 0);
	TRY(vt_send_byte(fd, 'L'));
	CHECK_EQ(vshmem_channel_accept(l, &ch), 0);
	CHECK(in = vt_recv_offer(ch));
	if (a->kind)
		CHECK_EQ(vshmem_incoming_get_kind(in), a->kind);
	CHECK(bp = vt_map(vshmem_incoming_get_buf(in), VSHMEM_ACCESS_RW));
	TRY(vt_check(bp, a->size, a->seed));
	vt_fill(bp, a->size, a->seed + 1);
	TRY(vt_send_byte(fd, 'H'));
	while (a->hold_until_killed)
		pause();
	TRY(vt_wait_byte(fd, 'C', 30));
	CHECK_EQ(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);
	vshmem_channel_close(ch);
	vshmem_channel_close(l);
	return 0;
}

int vt_offer_to_child(struct vt_child *c, struct vt_borrower_arg *a,
		      struct vshmem_buf *buf, struct vshmem_channel **ch,
		      struct vshmem_offer **o)
{
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = a->type);

	a->port = vt_port();
	CHECK_EQ(vt_spawn(c, vt_borrower_child, a), 0);
	TRY(vt_wait_byte(c->fd, 'L', 30));
	CHECK_EQ(vshmem_channel_connect(VMADDR_CID_LOCAL, a->port, &co, ch), 0);
	CHECK_EQ(vshmem_offer_send(*ch, buf, NULL, o), 0);
	TRY(vt_wait_byte(c->fd, 'H', 30));
	return 0;
}

int vt_two_process_round_trip(const char *heap, int type, unsigned int seed)
{
	struct vt_borrower_arg a = { .type = type, .size = MiB, .seed = seed };
	struct vshmem_channel *ch = NULL;
	struct vshmem_offer *o = NULL;
	struct vt_child c = { -1, -1 };
	struct vshmem_buf *buf;
	void *lp;

	CHECK(buf = vt_alloc(heap, MiB));
	CHECK(lp = vt_map(buf, VSHMEM_ACCESS_RW));
	a.kind = vshmem_buf_get_kind(buf);
	vt_fill(lp, MiB, seed);
	TRY(vt_offer_to_child(&c, &a, buf, &ch, &o));
	if (a.kind == VSHMEM_KIND_SHARE)
		TRY(vt_check(lp, MiB, seed + 1));
	else
		CHECK_EQ(vt_read_sig(lp), SIGBUS);
	TRY(vt_send_byte(c.fd, 'C'));
	CHECK_EQ(vshmem_offer_wait_release(o, 10000), 0);
	TRY(vt_reap(&c));
	TRY(vt_check(lp, MiB, seed + 1));
	vshmem_offer_free(o);
	vshmem_channel_close(ch);
	vshmem_buf_close(buf);
	return 0;
}

int vt_readonly_round_trip(const char *heap, unsigned int seed)
{
	struct vt_flow f;
	void *rw = NULL;

	TRY(vt_flow_open(&f, SOCK_SEQPACKET, heap, MiB, seed));
	TRY(vt_flow_send(&f, VSHMEM_OFFER_F_READONLY));
	TRY(vt_flow_recv(&f, 0, 0));
	CHECK_EQ(vshmem_incoming_get_flags(f.in), VSHMEM_OFFER_F_READONLY);
	CHECK(vshmem_buf_map(vshmem_incoming_get_buf(f.in), VSHMEM_ACCESS_RW,
			     &rw) < 0);
	CHECK(f.bp = vt_map(vshmem_incoming_get_buf(f.in), VSHMEM_ACCESS_READ));
	TRY(vt_check(f.bp, MiB, seed));
	CHECK(vt_write_sig(f.bp) != 0);	/* a read-only mapping */
	TRY(vt_flow_give_back(&f));
	TRY(vt_check(f.lp, MiB, seed));
	vt_flow_close(&f);
	return 0;
}
