// SPDX-License-Identifier: LGPL-2.1-or-later
/* incoming.c: what the borrower got, and RELINQUISH. */
#include "test_common.h"

static struct vshmem_incoming *receive(struct vshmem_channel *ch, int *fd)
{
	struct vsock_shmem d = fake_offer_desc(21, 4096, VSOCK_SHMEM_KIND_SHARE);
	struct vshmem_incoming *in = NULL;

	*fd = d.fd;
	fake_rx_push("", 0, &d, 0);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, &in), 0);
	assert_non_null(in);
	return in;
}

static void test_getters_null(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(vshmem_incoming_get_id(NULL), 0);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vshmem_incoming_get_kind(NULL), -EINVAL);
	assert_int_equal(vshmem_incoming_get_type(NULL), -EINVAL);
	assert_int_equal(vshmem_incoming_get_size(NULL), 0);
	assert_int_equal(vshmem_incoming_get_tag(NULL), 0);
	assert_int_equal(vshmem_incoming_get_handle(NULL), 0);
	assert_int_equal(vshmem_incoming_get_flags(NULL), 0);
	assert_int_equal(vshmem_incoming_get_state(NULL), -EINVAL);
	errno = 0;
	assert_null(vshmem_incoming_get_buf(NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vshmem_incoming_release(NULL), -EINVAL);
	vshmem_incoming_close(NULL);
}

static void test_map_and_release(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_incoming *in;
	struct vshmem_buf *buf;
	void *p = NULL;
	int fd;

	(void)state;
	in = receive(ch, &fd);
	buf = vshmem_incoming_get_buf(in);
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &p), 0);
	memset(p, 0x5a, 4096);
	assert_int_equal(vshmem_incoming_release(in), 0);
	assert_int_equal(fake.sent[0].desc.subop, VSOCK_SHMEM_SUBOP_RELINQUISH);
	assert_int_equal(fake.sent[0].desc.id, 21);
	assert_int_equal(fake.sent[0].len, 0);	/* notices carry no data */
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_RELEASED);
	assert_null(vshmem_incoming_get_buf(in));	/* access ended */
	assert_false(fake_fd_open(fd));
	assert_int_equal(vshmem_incoming_release(in), -EINVAL);
	vshmem_incoming_close(in);
	vshmem_channel_close(ch);
}

static void test_release_fails(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_incoming *in;
	int fd;

	(void)state;
	in = receive(ch, &fd);
	fake_fail(FAKE_SENDMSG, ENOTCONN, 0);
	assert_int_equal(vshmem_incoming_release(in), -ENOTCONN);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_LIVE);
	assert_true(fake_fd_open(fd));		/* still ours */
	fake_fail(FAKE_SENDMSG, 0, 0);
	vshmem_incoming_close(in);		/* closes it */
	assert_false(fake_fd_open(fd));
	vshmem_channel_close(ch);
}

/* The lender closed: the kernel took everything back. */
static void test_lender_gone(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_incoming *in;
	int fd;

	(void)state;
	in = receive(ch, &fd);
	fake.rx_eof = true;
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, NULL), -ECONNRESET);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_RECLAIMED);
	assert_int_equal(vshmem_incoming_release(in), -EINVAL);
	vshmem_incoming_close(in);
	assert_false(fake_fd_open(fd));
	vshmem_channel_close(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_getters_null),
		T(test_map_and_release),
		T(test_release_fails),
		T(test_lender_gone),
	};

	return cmocka_run_group_tests_name("incoming", tests, NULL, NULL);
}
