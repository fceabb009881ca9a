// SPDX-License-Identifier: LGPL-2.1-or-later
/* uring.c: SQE preparation and completion accounting, without a ring: the
 * test plays the kernel by reading the SQE and writing the CQE. */
#include <liburing.h>
#include "test_common.h"
#include <libvshmem/vshmem-uring.h>

static void test_prep_offer(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("lend", 4096);
	VSHMEM_OPTS(vshmem_offer_opts, opts, .tag = 3, .data = "d", .data_len = 1);
	struct io_uring_sqe sqe;
	struct io_uring_cqe cqe = { 0 };
	struct vshmem_offer *o = NULL, *done = NULL;
	const struct msghdr *msg;
	struct cmsghdr *c;
	struct vsock_shmem d;

	(void)state;
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_offer(&sqe, ch, buf, &opts, &o), 0);
	assert_int_equal(sqe.opcode, IORING_OP_SENDMSG);
	assert_int_equal(sqe.fd, vshmem_channel_get_fd(ch));
	assert_true(sqe.msg_flags & MSG_NOSIGNAL);
	msg = (const struct msghdr *)(uintptr_t)sqe.addr;
	c = CMSG_FIRSTHDR((struct msghdr *)msg);
	assert_non_null(c);
	if (!c)
		return;
	memcpy(&d, CMSG_DATA(c), sizeof(d));
	assert_int_equal(d.subop, VSOCK_SHMEM_SUBOP_OFFER);
	assert_int_equal(d.fd, vshmem_buf_get_fd(buf));
	assert_int_equal(d.tag, 3);
	assert_int_equal(msg->msg_iov[0].iov_len, 1);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_LIVE);

	cqe.user_data = sqe.user_data;
	cqe.res = 1;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, &done, NULL), 1);
	assert_ptr_equal(done, o);
	vshmem_offer_free(o);

	/* a failed send: the offer is dead and the buffer free again */
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_offer(&sqe, ch, buf, NULL, &o), 0);
	cqe.user_data = sqe.user_data;
	cqe.res = -EOPNOTSUPP;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, &done, NULL), -EOPNOTSUPP);
	assert_int_equal(vshmem_offer_get_state(done), VSHMEM_STATE_DEAD);
	vshmem_offer_free(o);
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_offer(&sqe, ch, buf, NULL, &o), 0);
	cqe.user_data = sqe.user_data;
	cqe.res = 1;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, NULL, NULL), 1);
	vshmem_offer_free(o);

	assert_int_equal(vshmem_uring_prep_offer(NULL, ch, buf, NULL, &o), -EINVAL);
	assert_int_equal(vshmem_uring_prep_offer(&sqe, ch, buf, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_uring_prep_offer(&sqe, NULL, buf, NULL, &o), -EINVAL);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

/* Play the kernel: deliver data and a control message into the msghdr
 * the SQE points at, as IORING_OP_RECVMSG does. */
static void deliver(const struct io_uring_sqe *sqe, const void *data,
		    size_t len, const struct vsock_shmem *d, int flags)
{
	struct msghdr *msg = (struct msghdr *)(uintptr_t)sqe->addr;
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);

	memcpy(msg->msg_iov[0].iov_base, data, len);
	msg->msg_flags = flags;
	if (!d || !c) {
		msg->msg_controllen = 0;
		return;
	}
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(*d));
	memcpy(CMSG_DATA(c), d, sizeof(*d));
	msg->msg_controllen = CMSG_SPACE(sizeof(*d));
}

static void test_prep_recv(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = fake_offer_desc(12, 4096, VSOCK_SHMEM_KIND_SHARE);
	struct io_uring_sqe sqe;
	struct io_uring_cqe cqe = { 0 };
	struct vshmem_incoming *in = NULL;
	struct vshmem_offer *o = (void *)1;
	char buf[16];

	(void)state;
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_recv(&sqe, ch, buf, sizeof(buf)), 0);
	assert_int_equal(sqe.opcode, IORING_OP_RECVMSG);
	assert_true(sqe.msg_flags & MSG_CMSG_CLOEXEC);
	deliver(&sqe, "abc", 3, &d, 0);
	cqe.user_data = sqe.user_data;
	cqe.res = 3;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, &o, &in), 3);
	assert_null(o);
	assert_non_null(in);
	assert_int_equal(vshmem_incoming_get_id(in), 12);
	vshmem_incoming_close(in);

	/* truncated control data: error, the fd is closed */
	d = fake_offer_desc(13, 4096, VSOCK_SHMEM_KIND_SHARE);
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_recv(&sqe, ch, buf, sizeof(buf)), 0);
	deliver(&sqe, "x", 1, &d, MSG_CTRUNC);
	cqe.user_data = sqe.user_data;
	cqe.res = 1;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, NULL, &in), -EMSGSIZE);
	assert_false(fake_fd_open(d.fd));

	/* end of stream: 0 bytes, no control message */
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_recv(&sqe, ch, buf, sizeof(buf)), 0);
	deliver(&sqe, "", 0, NULL, 0);
	cqe.user_data = sqe.user_data;
	cqe.res = 0;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, NULL, &in), -ECONNRESET);

	/* a failed receive just frees the context */
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_recv(&sqe, ch, buf, sizeof(buf)), 0);
	cqe.user_data = sqe.user_data;
	cqe.res = -ECONNRESET;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, NULL, &in), -ECONNRESET);

	assert_int_equal(vshmem_uring_prep_recv(NULL, ch, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vshmem_uring_prep_recv(&sqe, ch, buf, 0), -EINVAL);
	cqe.user_data = 0;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_uring_complete(ch, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_uring_complete(NULL, &cqe, NULL, NULL), -EINVAL);
	vshmem_channel_close(ch);
}

/* A ring shared with the program's own requests: their CQEs carry any
 * user_data, which must be refused without being dereferenced (ASan
 * would report a wild read). */
static void test_foreign_cqe(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_channel *other = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	static const uint64_t foreign[] = {
		1, 2, 7, 8, 0x10, 0xdeadbeef, UINT64_C(0x4141414141414141),
		UINT64_C(0x00007f0000001000), UINT64_MAX, UINT64_MAX - 7,
	};
	struct io_uring_sqe sqe, rsqe;
	struct io_uring_cqe cqe = { 0 };
	struct vshmem_offer *o = NULL, *done = (void *)1;
	struct vshmem_incoming *in = (void *)1;
	char rbuf[8];
	uint64_t ud;

	(void)state;
	memset(&sqe, 0, sizeof(sqe));
	memset(&rsqe, 0, sizeof(rsqe));
	assert_int_equal(vshmem_uring_prep_offer(&sqe, ch, buf, NULL, &o), 0);
	assert_int_equal(vshmem_uring_prep_recv(&rsqe, ch, rbuf, sizeof(rbuf)), 0);

	srandom(20);
	for (size_t i = 0; i < (sizeof(foreign) / sizeof(foreign[0])) + 64; i++) {
		ud = i < (sizeof(foreign) / sizeof(foreign[0])) ? foreign[i] :
		     ((uint64_t)random() << 33) ^ ((uint64_t)random() << 2);
		if (ud == sqe.user_data || ud == rsqe.user_data)
			continue;
		cqe.user_data = ud;
		cqe.res = 1;
		assert_int_equal(vshmem_uring_is_ours(ch, &cqe), 0);
		assert_int_equal(vshmem_uring_complete(ch, &cqe, &done, &in), -EINVAL);
		assert_ptr_equal(done, (void *)1);	/* not written */
		assert_ptr_equal(in, (void *)1);
	}
	/* a pointer into a library object, but not a request's address */
	cqe.user_data = sqe.user_data + 8;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, &done, &in), -EINVAL);

	/* ours, but completed on another channel: foreign there */
	cqe.user_data = sqe.user_data;
	assert_int_equal(vshmem_uring_is_ours(other, &cqe), 0);
	assert_int_equal(vshmem_uring_complete(other, &cqe, &done, &in), -EINVAL);
	assert_int_equal(vshmem_uring_is_ours(ch, &cqe), 1);
	assert_int_equal(vshmem_uring_is_ours(NULL, &cqe), -EINVAL);
	assert_int_equal(vshmem_uring_is_ours(ch, NULL), -EINVAL);
	assert_int_equal(vshmem_uring_complete(ch, &cqe, &done, NULL), 1);
	assert_ptr_equal(done, o);
	/* a second CQE with the same user_data: no longer in flight */
	assert_int_equal(vshmem_uring_is_ours(ch, &cqe), 0);
	assert_int_equal(vshmem_uring_complete(ch, &cqe, &done, NULL), -EINVAL);

	/* an offer freed before its completion: its CQE is foreign */
	vshmem_offer_free(o);
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_offer(&sqe, ch, buf, NULL, &o), 0);
	vshmem_offer_free(o);
	cqe.user_data = sqe.user_data;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, &done, NULL), -EINVAL);

	/* the receive still in flight is freed with its channel */
	vshmem_channel_close(ch);
	vshmem_channel_close(other);
	vshmem_buf_close(buf);
}

/* A receive completing with the end of stream ends the channel's offers
 * like vshmem_channel_recv() does. */
static void test_recv_eof_ends_offers(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_buf *buf = alloc_buf("lend", 4096);
	struct io_uring_sqe sqe;
	struct io_uring_cqe cqe = { 0 };
	struct vshmem_offer *o;
	char rbuf[8];

	(void)state;
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	memset(&sqe, 0, sizeof(sqe));
	assert_int_equal(vshmem_uring_prep_recv(&sqe, ch, rbuf, sizeof(rbuf)), 0);
	deliver(&sqe, "", 0, NULL, 0);
	cqe.user_data = sqe.user_data;
	cqe.res = 0;
	assert_int_equal(vshmem_uring_complete(ch, &cqe, NULL, NULL), -ECONNRESET);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_RELEASED);
	assert_int_equal(vshmem_offer_wait_release(o, 0), 0);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vshmem_channel_close(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_prep_offer),
		T(test_prep_recv),
		T(test_foreign_cqe),
		T(test_recv_eof_ends_offers),
	};

	return cmocka_run_group_tests_name("uring", tests, NULL, NULL);
}
