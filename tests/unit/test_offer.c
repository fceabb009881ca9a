// SPDX-License-Identifier: LGPL-2.1-or-later
/* offer.c: send, the caps/kind policy, ids, reclaim, wait for release. */
#include <sys/socket.h>
#include "test_common.h"

static void test_send(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	VSHMEM_OPTS(vshmem_offer_opts, opts, .tag = 0x55,
		    .flags = VSHMEM_OFFER_F_CLEAR | VSHMEM_OFFER_F_READONLY,
		    .data = "meta", .data_len = 4);
	struct vshmem_offer *o = NULL, *o2 = NULL;

	(void)state;
	assert_int_equal(vshmem_offer_send(ch, buf, &opts, &o), 0);
	assert_int_equal(fake.nsent, 1);
	assert_true(fake.sent[0].has_desc);
	assert_int_equal(fake.sent[0].desc.subop, VSOCK_SHMEM_SUBOP_OFFER);
	assert_int_equal(fake.sent[0].desc.type, VSOCK_SHMEM_TYPE_LOCAL);
	assert_int_equal(fake.sent[0].desc.fd, vshmem_buf_get_fd(buf));
	assert_int_equal(fake.sent[0].desc.tag, 0x55);
	assert_int_equal(fake.sent[0].desc.kind, 0);	/* the kernel's to fill in */
	assert_int_equal(fake.sent[0].desc.flags, VSOCK_SHMEM_F_CLEAR | VSOCK_SHMEM_F_READONLY);
	assert_int_equal(fake.sent[0].desc.reserved, 0);
	assert_int_equal(fake.sent[0].len, 4);
	assert_memory_equal(fake.sent[0].data, "meta", 4);
	assert_int_equal(vshmem_offer_get_id(o), 1);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_LIVE);
	assert_int_equal(vshmem_offer_get_kind(o), VSHMEM_KIND_SHARE);
	/* a shared buffer may be offered again; ids are distinct */
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o2), 0);
	assert_int_equal(vshmem_offer_get_id(o2), 2);
	assert_int_equal(fake.sent[1].len, 0);	/* control message alone */
	assert_int_equal(fake.calls[FAKE_GETSOCKOPT], 1);	/* caps once */
	vshmem_offer_free(o);
	vshmem_offer_free(o2);
	vshmem_offer_free(NULL);
	assert_int_equal(vshmem_offer_get_id(NULL), 0);
	assert_int_equal(vshmem_offer_get_state(NULL), -EINVAL);
	assert_int_equal(vshmem_offer_get_kind(NULL), -EINVAL);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static void test_send_ffa_type(void **state)
{
	struct vshmem_channel *ch = connect_ch(VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA) |
					       VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE));
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	struct vshmem_offer *o = NULL;

	(void)state;
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	assert_int_equal(fake.sent[0].desc.type, VSOCK_SHMEM_TYPE_FFA);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static void test_send_args(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL), *l = NULL;
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	struct { struct vshmem_offer_opts o; uint64_t more; } big = {
		.o = { .sz = sizeof(big) }, .more = 1 };
	VSHMEM_OPTS(vshmem_offer_opts, nodata, .data_len = 3);
	VSHMEM_OPTS(vshmem_offer_opts, badflags, .flags = 1U << 7);
	struct vshmem_offer *o = NULL;

	(void)state;
	assert_int_equal(vshmem_offer_send(NULL, buf, NULL, &o), -EINVAL);
	assert_int_equal(vshmem_offer_send(ch, NULL, NULL, &o), -EINVAL);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_offer_send(ch, buf, &big.o, &o), -E2BIG);
	assert_int_equal(vshmem_offer_send(ch, buf, &nodata, &o), -EINVAL);
	assert_int_equal(vshmem_offer_send(ch, buf, &badflags, &o), -EINVAL);
	assert_int_equal(vshmem_channel_listen(-1U, 1, NULL, &l), 0);
	assert_int_equal(vshmem_offer_send(l, buf, NULL, &o), -EINVAL);
	vshmem_channel_close(l);
	assert_null(o);
	assert_int_equal(fake.nsent, 0);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

/* The kernel would drop the cmsg silently: the library must refuse. */
static void test_send_no_support(void **state)
{
	struct vshmem_channel *ch = connect_ch(0);
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	struct vshmem_offer *o = NULL;

	(void)state;
	fake.caps_errno = ENOPROTOOPT;
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), -EOPNOTSUPP);
	vshmem_channel_close(ch);
	fake.caps_errno = 0;
	ch = connect_ch(VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE)); /* no type */
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), -EOPNOTSUPP);
	vshmem_channel_close(ch);
	ch = connect_ch(0);
	fake.caps_errno = EIO;
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), -EIO);
	assert_null(o);
	assert_int_equal(fake.nsent, 0);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static void test_send_lend_policy(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_SHARE);
	struct vshmem_buf *buf = alloc_buf("lend", 4096);
	struct vshmem_offer *o = NULL, *o2 = NULL;

	(void)state;
	/* the transport cannot lend: no silent share */
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), -EOPNOTSUPP);
	vshmem_channel_close(ch);
	ch = connect_ch(CAPS_ALL);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	assert_int_equal(fake.sent[0].desc.kind, 0);	/* the kernel's to fill in */
	/* already lent */
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o2), -EBUSY);
	/* once it is back, it can be lent again */
	assert_int_equal(vshmem_offer_reclaim(o), 0);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o2), 0);
	vshmem_offer_free(o);
	vshmem_offer_free(o2);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

/* SEND_SECURE memory is imported (it already carries a handle) and needs
 * the transport to support that kind. */
static void test_send_secure(void **state)
{
	VSHMEM_OPTS(vshmem_import_opts, secure, .kind = VSHMEM_KIND_SEND_SECURE);
	struct vshmem_channel *ch = connect_ch(CAPS_SHARE);
	struct vshmem_buf *buf = NULL;
	struct vshmem_offer *o = NULL;

	(void)state;
	assert_int_equal(vshmem_buf_import(fake_new_fd(FK_DMABUF, 4096), &secure, &buf), 0);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), -EOPNOTSUPP);
	vshmem_channel_close(ch);
	ch = connect_ch(CAPS_ALL);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	assert_int_equal(fake.sent[0].desc.kind, 0);	/* the kernel's to fill in */
	assert_int_equal(vshmem_offer_get_kind(o), VSHMEM_KIND_SEND_SECURE);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

/* A buffer of unknown kind (imported without one) needs only some
 * shared memory support; the kernel decides the kind. */
static void test_send_unknown_kind(void **state)
{
	struct vshmem_channel *ch = connect_ch(VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL) |
					       VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_LEND));
	struct vshmem_buf *buf = NULL;
	struct vshmem_offer *o = NULL;

	(void)state;
	assert_int_equal(vshmem_buf_import(fake_new_fd(FK_DMABUF, 4096), NULL, &buf), 0);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	assert_int_equal(vshmem_offer_get_kind(o), 0);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static void test_send_ids(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	VSHMEM_OPTS(vshmem_offer_opts, id2, .id = 2);
	struct vshmem_offer *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	assert_int_equal(vshmem_offer_send(ch, buf, &id2, &a), 0);
	assert_int_equal(fake.sent[0].desc.id, 2);
	assert_int_equal(vshmem_offer_send(ch, buf, &id2, &b), -EEXIST);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &b), 0);
	assert_int_equal(vshmem_offer_get_id(b), 1);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &c), 0);
	assert_int_equal(vshmem_offer_get_id(c), 3);	/* 2 is taken */
	vshmem_offer_free(a);
	vshmem_offer_free(b);
	vshmem_offer_free(c);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static void test_send_fails(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("lend", 4096);
	VSHMEM_OPTS(vshmem_offer_opts, id5, .id = 5);
	struct vshmem_offer *o = NULL;

	(void)state;
	fake_fail(FAKE_SENDMSG, EEXIST, 0);	/* kernel: id in use */
	assert_int_equal(vshmem_offer_send(ch, buf, &id5, &o), -EEXIST);
	fake_fail(FAKE_SENDMSG, ENOTCONN, 0);
	assert_int_equal(vshmem_offer_send(ch, buf, &id5, &o), -ENOTCONN);
	fake_fail(FAKE_SENDMSG, EOPNOTSUPP, 0);	/* engine cannot lend */
	assert_int_equal(vshmem_offer_send(ch, buf, &id5, &o), -EOPNOTSUPP);
	fake_fail(FAKE_SENDMSG, 0, 0);
	assert_null(o);
	/* nothing was kept: id and buffer are free */
	assert_int_equal(vshmem_offer_send(ch, buf, &id5, &o), 0);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static void test_send_stream_short(void **state)
{
	VSHMEM_OPTS(vshmem_channel_opts, stream, .sock_type = SOCK_STREAM);
	VSHMEM_OPTS(vshmem_offer_opts, opts, .data = "abcdefgh", .data_len = 8);
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	struct vshmem_channel *ch = NULL;
	struct vshmem_offer *o = NULL;

	(void)state;
	fake.caps = CAPS_ALL;
	assert_int_equal(vshmem_channel_connect(3, 1, &stream, &ch), 0);
	fake.send_max = 3;
	assert_int_equal(vshmem_offer_send(ch, buf, &opts, &o), 0);
	assert_int_equal(fake.nsent, 3);		/* 3 + 3 + 2 */
	assert_true(fake.sent[0].has_desc);
	assert_false(fake.sent[1].has_desc);	/* the cmsg goes once */
	assert_memory_equal(fake.sent[2].data, "gh", 2);
	vshmem_offer_free(o);
	fake.nsent = 0;
	fake.send_max = 0;
	fake_fail(FAKE_SENDMSG, EPIPE, 1);
	fake.send_max = 3;
	assert_int_equal(vshmem_offer_send(ch, buf, &opts, &o), -EPIPE);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static void test_reclaim(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("lend", 4096);
	struct vshmem_offer *o = NULL;

	(void)state;
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	fake.send_errno_subop = VSOCK_SHMEM_SUBOP_RECLAIM + 1;
	fake.send_errno = EBUSY;	/* FF-A: borrower still holds it */
	assert_int_equal(vshmem_offer_reclaim(o), -EBUSY);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_LIVE);
	fake.send_errno = 0;
	assert_int_equal(vshmem_offer_reclaim(o), 0);
	assert_int_equal(fake.sent[fake.nsent - 1].desc.subop, VSOCK_SHMEM_SUBOP_RECLAIM);
	assert_int_equal(fake.sent[fake.nsent - 1].desc.id, vshmem_offer_get_id(o));
	assert_int_equal(fake.sent[fake.nsent - 1].desc.fd, -1);
	/* the kernel places a notice by its id: a type sent is refused */
	assert_int_equal(fake.sent[fake.nsent - 1].desc.type, 0);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_RECLAIMED);
	assert_int_equal(vshmem_offer_reclaim(o), -EINVAL);
	assert_int_equal(vshmem_offer_reclaim(NULL), -EINVAL);
	assert_int_equal(vshmem_offer_wait_release(o, 0), -EINVAL);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

static struct vsock_shmem relinquish(uint64_t id)
{
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_RELINQUISH,
				 .type = VSOCK_SHMEM_TYPE_LOCAL, .id = id, .fd = -1 };
	return d;
}

static void test_wait_release(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("lend", 4096);
	struct vshmem_buf *buf2 = alloc_buf("system", 4096);
	struct vshmem_offer *o = NULL, *o2 = NULL;
	struct vsock_shmem r1 = relinquish(1), r2 = relinquish(2);

	(void)state;
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	assert_int_equal(vshmem_offer_send(ch, buf2, NULL, &o2), 0);
	/* a notice for another offer first: applied, keep waiting */
	fake_rx_push("", 0, &r2, 0);
	fake_rx_push("", 0, &r1, 0);
	assert_int_equal(vshmem_offer_wait_release(o, 1000), 0);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_RELEASED);
	assert_int_equal(vshmem_offer_get_state(o2), VSHMEM_STATE_RELEASED);
	assert_int_equal(vshmem_offer_wait_release(o, 0), 0);	/* already */
	assert_int_equal(vshmem_offer_wait_release(NULL, 0), -EINVAL);
	vshmem_offer_free(o);
	vshmem_offer_free(o2);
	vshmem_buf_close(buf);
	vshmem_buf_close(buf2);
	vshmem_channel_close(ch);
}

static void test_wait_release_errors(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	struct vsock_shmem d = fake_offer_desc(8, 4096, VSOCK_SHMEM_KIND_SHARE);
	struct vshmem_offer *o = NULL;

	(void)state;
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	fake.poll_timeout = true;
	assert_int_equal(vshmem_offer_wait_release(o, 10), -ETIMEDOUT);
	fake.poll_timeout = false;
	/* 0: only what is queued; nothing is */
	assert_int_equal(vshmem_offer_wait_release(o, 0), -EAGAIN);
	assert_true(fake.last_recv_flags & MSG_DONTWAIT);
	/* > 0: one deadline across messages; notices for unknown ids do not
	 * extend it */
	fake.clock_step_ms = 10;
	assert_int_equal(vshmem_offer_wait_release(o, 50), -ETIMEDOUT);
	fake.clock_step_ms = 0;
	fake_rx_push("data", 4, NULL, 0);
	assert_int_equal(vshmem_offer_wait_release(o, 0), -EPROTO);
	/* an incoming offer meanwhile: relinquished, fd closed */
	fake_rx_push("", 0, &d, 0);
	assert_int_equal(vshmem_offer_wait_release(o, 0), -EPROTO);
	assert_false(fake_fd_open(d.fd));
	assert_int_equal(fake.sent[fake.nsent - 1].desc.subop, VSOCK_SHMEM_SUBOP_RELINQUISH);
	/* a read error other than the end is reported, the offer stays */
	fake_fail(FAKE_RECVMSG, EIO, 0);
	assert_int_equal(vshmem_offer_wait_release(o, -1), -EIO);
	fake_fail(FAKE_RECVMSG, 0, 0);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_LIVE);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

/*
 * The borrower closes while it holds offers: the kernel ends every offer of
 * the connection and the memory is back. Whatever is read first, the
 * RELINQUISH notices or the end of stream, every offer ends RELEASED and
 * vshmem_offer_wait_release() returns 0.
 */
struct peer_close {
	struct vshmem_channel *ch;
	struct vshmem_buf *lent, *shared;
	struct vshmem_offer *o1, *o2;
};

static void peer_close_setup(struct peer_close *p)
{
	p->ch = connect_ch(CAPS_ALL);
	p->lent = alloc_buf("lend", 4096);
	p->shared = alloc_buf("system", 4096);
	assert_int_equal(vshmem_offer_send(p->ch, p->lent, NULL, &p->o1), 0);
	assert_int_equal(vshmem_offer_send(p->ch, p->shared, NULL, &p->o2), 0);
}

static void peer_close_check(struct peer_close *p)
{
	struct vshmem_offer *again;

	assert_int_equal(vshmem_offer_get_state(p->o1), VSHMEM_STATE_RELEASED);
	assert_int_equal(vshmem_offer_get_state(p->o2), VSHMEM_STATE_RELEASED);
	assert_int_equal(vshmem_offer_wait_release(p->o1, -1), 0);
	assert_int_equal(vshmem_offer_wait_release(p->o2, 0), 0);
	/* the lent buffer is ours again: it may be offered anew */
	assert_int_equal(vshmem_offer_send(p->ch, p->lent, NULL, &again), 0);
	vshmem_offer_free(again);
	vshmem_offer_free(p->o1);
	vshmem_offer_free(p->o2);
	vshmem_buf_close(p->lent);
	vshmem_buf_close(p->shared);
	vshmem_channel_close(p->ch);
}

static void test_peer_close_notices_first(void **state)
{
	struct vsock_shmem r1 = relinquish(1), r2 = relinquish(2);
	struct peer_close p;

	(void)state;
	peer_close_setup(&p);
	fake_rx_push("", 0, &r1, 0);
	fake_rx_push("", 0, &r2, 0);
	fake.rx_eof = true;
	assert_int_equal(vshmem_offer_wait_release(p.o1, -1), 0);
	assert_int_equal(vshmem_offer_wait_release(p.o2, 1000), 0);
	/* the end is still to be read: the same result */
	assert_int_equal(vshmem_channel_recv(p.ch, NULL, 0, -1, NULL, NULL), -ECONNRESET);
	peer_close_check(&p);
}

static void test_peer_close_eof_first(void **state)
{
	struct peer_close p;

	(void)state;
	peer_close_setup(&p);
	/* a reset: no notices at all, only the end */
	fake.rx_eof = true;
	assert_int_equal(vshmem_offer_wait_release(p.o1, 1000), 0);
	/* o2 ended with it, without another read */
	assert_int_equal(fake.calls[FAKE_RECVMSG], 1);
	assert_int_equal(vshmem_offer_wait_release(p.o2, 0), 0);
	assert_int_equal(fake.calls[FAKE_RECVMSG], 1);
	peer_close_check(&p);
}

static void test_peer_close_recv_first(void **state)
{
	struct vsock_shmem r2 = relinquish(2);
	struct vshmem_incoming *in;
	struct peer_close p;

	(void)state;
	peer_close_setup(&p);
	/* the application reads the end itself, one notice before it; then
	 * the connection reports the reset as an error */
	fake_rx_push("", 0, &r2, 0);
	fake_fail(FAKE_RECVMSG, ECONNRESET, 1);
	assert_int_equal(vshmem_channel_recv(p.ch, NULL, 0, 0, NULL, &in), 0);
	assert_null(in);
	assert_int_equal(vshmem_channel_recv(p.ch, NULL, 0, 0, NULL, &in), -ECONNRESET);
	fake_fail(FAKE_RECVMSG, 0, 0);
	peer_close_check(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_send),
		T(test_send_ffa_type),
		T(test_send_args),
		T(test_send_no_support),
		T(test_send_lend_policy),
		T(test_send_secure),
		T(test_send_unknown_kind),
		T(test_send_ids),
		T(test_send_fails),
		T(test_send_stream_short),
		T(test_reclaim),
		T(test_wait_release),
		T(test_wait_release_errors),
		T(test_peer_close_notices_first),
		T(test_peer_close_eof_first),
		T(test_peer_close_recv_first),
	};

	return cmocka_run_group_tests_name("offer", tests, NULL, NULL);
}
