// SPDX-License-Identifier: LGPL-2.1-or-later
/* channel.c: connect/listen/accept/adopt, caps, and the receive path. */
#include <sys/socket.h>
#include "test_common.h"

static int log_count;
static char log_last[256];

static void logger(void *data, int level, const char *msg)
{
	(void)level;
	*(int *)data += 1;
	log_count++;
	snprintf(log_last, sizeof(log_last), "%s", msg);
}

static void test_connect(void **state)
{
	VSHMEM_OPTS(vshmem_channel_opts, opts, .sock_type = SOCK_STREAM);
	struct vshmem_channel *ch = NULL;
	int fd;

	(void)state;
	assert_int_equal(vshmem_channel_connect(2, 99, &opts, &ch), 0);
	fd = vshmem_channel_get_fd(ch);
	assert_int_equal(fake_kind_of(fd), FK_SOCK);
	assert_int_equal(fake.calls[FAKE_CONNECT], 1);
	vshmem_channel_close(ch);
	assert_false(fake_fd_open(fd));
	vshmem_channel_close(NULL);
	assert_int_equal(vshmem_channel_get_fd(NULL), -EINVAL);
}

static void test_connect_errors(void **state)
{
	VSHMEM_OPTS(vshmem_channel_opts, dgram, .sock_type = SOCK_DGRAM);
	struct { struct vshmem_channel_opts o; uint64_t more; } big = {
		.o = { .sz = sizeof(big) }, .more = 1 };
	struct vshmem_channel *ch = NULL;

	(void)state;
	assert_int_equal(vshmem_channel_connect(2, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_channel_connect(2, 1, &dgram, &ch), -EINVAL);
	assert_int_equal(vshmem_channel_connect(2, 1, &big.o, &ch), -E2BIG);
	fake_fail(FAKE_SOCKET, EAFNOSUPPORT, 0);
	assert_int_equal(vshmem_channel_connect(2, 1, NULL, &ch), -EAFNOSUPPORT);
	fake_fail(FAKE_SOCKET, 0, 0);
	fake_fail(FAKE_CONNECT, ECONNREFUSED, 0);	/* socket closed again */
	assert_int_equal(vshmem_channel_connect(2, 1, NULL, &ch), -ECONNREFUSED);
	assert_null(ch);
}

static void test_listen_accept(void **state)
{
	int n = 0;
	VSHMEM_OPTS(vshmem_channel_opts, opts, .log_fn = logger, .log_data = &n);
	struct vshmem_channel *l = NULL, *ch = NULL;
	uint64_t caps;

	(void)state;
	assert_int_equal(vshmem_channel_listen(-1U, 5000, &opts, &l), 0);
	assert_int_equal(vshmem_channel_get_caps(l, &caps), -ENOTCONN);
	assert_int_equal(vshmem_channel_recv(l, NULL, 0, -1, NULL, NULL), -ENOTCONN);
	assert_int_equal(vshmem_channel_accept(l, &ch), 0);
	assert_int_equal(fake_kind_of(vshmem_channel_get_fd(ch)), FK_SOCK);
	/* the accepted channel logs through the listener's callback */
	fake.caps_errno = ENOPROTOOPT;
	assert_int_equal(vshmem_channel_get_caps(ch, &caps), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vshmem_channel_accept(ch, &ch), -EINVAL);
	vshmem_channel_close(ch);
	fake_fail(FAKE_ACCEPT, ECONNABORTED, 0);
	assert_int_equal(vshmem_channel_accept(l, &ch), -ECONNABORTED);
	assert_int_equal(vshmem_channel_accept(NULL, &ch), -EINVAL);
	vshmem_channel_close(l);
}

static void test_listen_errors(void **state)
{
	VSHMEM_OPTS(vshmem_channel_opts, bad, .sock_type = 77);
	struct vshmem_channel *l = NULL;

	(void)state;
	assert_int_equal(vshmem_channel_listen(-1U, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_channel_listen(-1U, 1, &bad, &l), -EINVAL);
	fake_fail(FAKE_BIND, EADDRINUSE, 0);
	assert_int_equal(vshmem_channel_listen(-1U, 1, NULL, &l), -EADDRINUSE);
	fake_fail(FAKE_BIND, 0, 0);
	fake_fail(FAKE_LISTEN, EOPNOTSUPP, 0);
	assert_int_equal(vshmem_channel_listen(-1U, 1, NULL, &l), -EOPNOTSUPP);
	fake_fail(FAKE_LISTEN, 0, 0);
	fake_fail(FAKE_SOCKET, EMFILE, 0);
	assert_int_equal(vshmem_channel_listen(-1U, 1, NULL, &l), -EMFILE);
	assert_null(l);
}

static void test_adopt(void **state)
{
	struct { struct vshmem_channel_opts o; uint64_t more; } big = {
		.o = { .sz = sizeof(big) }, .more = 1 };
	struct vshmem_channel *ch = NULL;
	int fd = fake_new_fd(FK_SOCK, 0), other = fake_new_fd(FK_OTHER, 0);

	(void)state;
	assert_int_equal(vshmem_channel_adopt(fd, NULL, &ch), 0);
	assert_int_equal(vshmem_channel_get_fd(ch), fd);
	vshmem_channel_close(ch);
	assert_true(fake_fd_open(fd));	/* borrowed: still open */

	assert_int_equal(vshmem_channel_adopt(-1, NULL, &ch), -EBADF);
	assert_int_equal(vshmem_channel_adopt(fd, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_channel_adopt(fd, &big.o, &ch), -E2BIG);
	assert_int_equal(vshmem_channel_adopt(other, NULL, &ch), -ENOTSOCK);
	fake.sock_domain = AF_UNIX;
	assert_int_equal(vshmem_channel_adopt(fd, NULL, &ch), -EAFNOSUPPORT);
	fake.sock_domain = 0;
	fake.sock_type = SOCK_DGRAM;
	assert_int_equal(vshmem_channel_adopt(fd, NULL, &ch), -EINVAL);
	fake_fail(FAKE_GETSOCKOPT, EIO, 1);	/* SO_TYPE fails */
	assert_int_equal(vshmem_channel_adopt(fd, NULL, &ch), -EIO);
	close(fd);
	close(other);
}

static void test_caps(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_SHARE);
	uint64_t caps = 0;

	(void)state;
	assert_int_equal(vshmem_channel_get_caps(ch, &caps), 0);
	assert_true(caps == (VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL) |
			     VSHMEM_CAP_KIND(VSHMEM_KIND_SHARE)));
	/* cached: asked once per channel */
	fake.caps = 0;
	assert_int_equal(vshmem_channel_get_caps(ch, &caps), 0);
	assert_true(caps != 0);
	assert_int_equal(fake.calls[FAKE_GETSOCKOPT], 1);
	assert_int_equal(vshmem_channel_supports(ch, VSHMEM_KIND_SHARE), 1);
	assert_int_equal(vshmem_channel_supports(ch, VSHMEM_KIND_LEND), 0);
	assert_int_equal(vshmem_channel_supports(ch, 0), -EINVAL);
	assert_int_equal(vshmem_channel_supports(NULL, VSHMEM_KIND_SHARE), -EINVAL);
	assert_int_equal(vshmem_channel_get_caps(NULL, &caps), -EINVAL);
	assert_int_equal(vshmem_channel_get_caps(ch, NULL), -EINVAL);
	vshmem_channel_close(ch);
}

static void test_caps_unpatched(void **state)
{
	struct vshmem_channel *ch = connect_ch(0);
	uint64_t caps = 1;

	(void)state;
	fake.caps_errno = ENOPROTOOPT;	/* kernel without the series */
	assert_int_equal(vshmem_channel_get_caps(ch, &caps), 0);
	assert_int_equal(caps, 0);
	assert_int_equal(vshmem_channel_supports(ch, VSHMEM_KIND_SHARE), 0);
	vshmem_channel_close(ch);
}

static void test_caps_errors(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	uint64_t caps;

	(void)state;
	fake.caps_errno = EIO;
	assert_int_equal(vshmem_channel_get_caps(ch, &caps), -EIO);
	assert_int_equal(vshmem_channel_supports(ch, VSHMEM_KIND_LEND), -EIO);
	fake.caps_errno = 0;
	fake.caps_len = 4;
	assert_int_equal(vshmem_channel_get_caps(ch, &caps), -EPROTO);
	vshmem_channel_close(ch);
}

static void test_recv_data(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_incoming *in = (void *)1;
	VSHMEM_OPTS(vshmem_recv_opts, zero);
	struct { struct vshmem_recv_opts o; uint64_t more; } big = {
		.o = { .sz = sizeof(big) }, .more = 1 };
	char buf[16] = { 0 };

	(void)state;
	/* > 0: poll, then a read that cannot block */
	fake_rx_push("hello", 5, NULL, 0);
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), 100, &zero, &in), 5);
	assert_null(in);
	assert_string_equal(buf, "hello");
	assert_int_equal(fake.calls[FAKE_POLL], 1);
	assert_true(fake.last_recv_flags & MSG_DONTWAIT);
	/* 0: no wait at all */
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), 0, NULL, &in), -EAGAIN);
	assert_true(fake.last_recv_flags & MSG_DONTWAIT);
	assert_int_equal(fake.calls[FAKE_POLL], 1);
	/* < 0: a blocking read, no poll */
	fake_rx_push("x", 1, NULL, 0);
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), -1, NULL, &in), 1);
	assert_false(fake.last_recv_flags & MSG_DONTWAIT);
	assert_int_equal(fake.calls[FAKE_POLL], 1);
	fake.poll_timeout = true;
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), 100, NULL, &in), -ETIMEDOUT);
	fake.poll_timeout = false;
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), -1, &big.o, &in), -E2BIG);
	assert_int_equal(vshmem_channel_recv(NULL, buf, 1, -1, NULL, &in), -EINVAL);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 1, -1, NULL, &in), -EINVAL);
	/* zero-length read still takes the byte off the queue */
	fake_rx_push("z", 1, NULL, 0);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, NULL), 1);
	/* 0 bytes and no control message: the end, never reported as 0 */
	fake.rx_eof = true;
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), -1, NULL, &in), -ECONNRESET);
	vshmem_channel_close(ch);
}

/* poll() says readable but the data is gone (another reader): wait again
 * for what is left of the time, never block in recvmsg(). */
static void test_recv_spurious_wakeup(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vshmem_incoming *in;
	char buf[8];

	(void)state;
	fake.clock_step_ms = 10;
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), 100, NULL, &in), -ETIMEDOUT);
	assert_true(fake.calls[FAKE_POLL] >= 2);
	assert_true(fake.calls[FAKE_POLL] <= 10);
	assert_true(fake.last_recv_flags & MSG_DONTWAIT);
	/* interrupted poll: retried within the same deadline */
	fake.calls[FAKE_POLL] = 0;
	fake_fail(FAKE_POLL, EINTR, 0);
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), 100, NULL, &in), -ETIMEDOUT);
	fake_fail(FAKE_POLL, 0, 0);
	/* another poll error is reported */
	fake_fail(FAKE_POLL, ENOMEM, 0);
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), 100, NULL, &in), -ENOMEM);
	fake_fail(FAKE_POLL, 0, 0);
	/* a reset is the end too */
	fake_fail(FAKE_RECVMSG, ECONNRESET, 0);
	assert_int_equal(vshmem_channel_recv(ch, buf, sizeof(buf), 0, NULL, &in), -ECONNRESET);
	fake_fail(FAKE_RECVMSG, 0, 0);
	vshmem_channel_close(ch);
}

static void test_recv_offer(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = fake_offer_desc(77, 8192, VSOCK_SHMEM_KIND_LEND);
	struct vshmem_incoming *in = NULL;
	struct vshmem_buf *buf;
	char data[8] = { 0 };

	(void)state;
	d.flags = VSOCK_SHMEM_F_READONLY;
	fake_rx_push("hi", 2, &d, 0);
	assert_int_equal(vshmem_channel_recv(ch, data, sizeof(data), -1, NULL, &in), 2);
	assert_non_null(in);
	assert_int_equal(vshmem_incoming_get_id(in), 77);
	assert_int_equal(vshmem_incoming_get_kind(in), VSHMEM_KIND_LEND);
	assert_int_equal(vshmem_incoming_get_type(in), VSHMEM_TYPE_LOCAL);
	assert_int_equal(vshmem_incoming_get_size(in), 8192);
	assert_int_equal(vshmem_incoming_get_tag(in), 0x7a6);
	assert_int_equal(vshmem_incoming_get_flags(in), VSHMEM_OFFER_F_READONLY);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_LIVE);
	buf = vshmem_incoming_get_buf(in);
	assert_int_equal(vshmem_buf_get_fd(buf), d.fd);
	assert_int_equal(vshmem_buf_get_size(buf), 8192);
	vshmem_incoming_close(in);
	assert_false(fake_fd_open(d.fd));
	vshmem_channel_close(ch);
}

static void test_recv_offer_ffa_pad(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER, .type = VSOCK_SHMEM_TYPE_FFA,
		.id = 5, .fd = -1, .kind = VSOCK_SHMEM_KIND_SHARE,
		.handle = 0xabc, .size = 4096,
	};
	struct vshmem_incoming *in = NULL;
	char data[8];

	(void)state;
	fake_rx_push("", 0, &d, 0);	/* control message alone */
	assert_int_equal(vshmem_channel_recv(ch, data, sizeof(data), -1, NULL, &in), 0);
	assert_int_equal(vshmem_incoming_get_type(in), VSHMEM_TYPE_FFA);
	assert_int_equal(vshmem_incoming_get_handle(in), 0xabc);
	assert_null(vshmem_incoming_get_buf(in));
	vshmem_incoming_close(in);
	vshmem_channel_close(ch);
}

static void test_recv_unwanted_offer(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = fake_offer_desc(9, 4096, VSOCK_SHMEM_KIND_SHARE);
	int n = 0;

	(void)state;
	ch = (vshmem_channel_close(ch), NULL);
	{
		VSHMEM_OPTS(vshmem_channel_opts, o, .log_fn = logger, .log_data = &n);

		assert_int_equal(vshmem_channel_connect(3, 1, &o, &ch), 0);
	}
	fake_rx_push("x", 1, &d, 0);
	/* nobody takes it: relinquished at once, fd closed */
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, NULL), 1);
	assert_false(fake_fd_open(d.fd));
	assert_int_equal(fake.nsent, 1);
	assert_int_equal(fake.sent[0].desc.subop, VSOCK_SHMEM_SUBOP_RELINQUISH);
	assert_int_equal(fake.sent[0].desc.id, 9);
	assert_true(n >= 1);
	vshmem_channel_close(ch);
}

/* Every malformed message is an error and closes every fd that came. */
static void test_recv_malformed(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem a = fake_offer_desc(1, 4096, 0);
	struct vsock_shmem b = fake_offer_desc(2, 4096, 0);
	struct vsock_shmem c = fake_offer_desc(3, 4096, 0);
	int r1 = fake_new_fd(FK_OTHER, 0), r2 = fake_new_fd(FK_OTHER, 0);
	union { struct cmsghdr al; unsigned char b[512]; } ctl;
	struct vshmem_incoming *in = NULL;
	struct msghdr m = { .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	char data[4];

	(void)state;
	/* duplicate SCM_VSOCK_SHMEM */
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_VSOCK;
	cm->cmsg_type = SCM_VSOCK_SHMEM;
	cm->cmsg_len = CMSG_LEN(sizeof(a));
	memcpy(CMSG_DATA(cm), &a, sizeof(a));
	cm = CMSG_NXTHDR(&m, cm);
	cm->cmsg_level = SOL_VSOCK;
	cm->cmsg_type = SCM_VSOCK_SHMEM;
	cm->cmsg_len = CMSG_LEN(sizeof(b));
	memcpy(CMSG_DATA(cm), &b, sizeof(b));
	fake_rx_push_raw("x", 1, ctl.b, 2 * CMSG_SPACE(sizeof(a)), 0);
	assert_int_equal(vshmem_channel_recv(ch, data, sizeof(data), -1, NULL, &in), -EPROTO);
	assert_null(in);
	assert_false(fake_fd_open(a.fd));
	assert_false(fake_fd_open(b.fd));

	/* an SCM_RIGHTS mixed in */
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_VSOCK;
	cm->cmsg_type = SCM_VSOCK_SHMEM;
	cm->cmsg_len = CMSG_LEN(sizeof(c));
	memcpy(CMSG_DATA(cm), &c, sizeof(c));
	cm = CMSG_NXTHDR(&m, cm);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), &r1, sizeof(int));
	memcpy(CMSG_DATA(cm) + sizeof(int), &r2, sizeof(int));
	fake_rx_push_raw("x", 1, ctl.b,
			 CMSG_SPACE(sizeof(c)) + CMSG_SPACE(2 * sizeof(int)), 0);
	assert_int_equal(vshmem_channel_recv(ch, data, sizeof(data), -1, NULL, &in), -EPROTO);
	assert_false(fake_fd_open(c.fd));
	assert_false(fake_fd_open(r1));
	assert_false(fake_fd_open(r2));
	vshmem_channel_close(ch);
}

static void test_recv_ctrunc(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = fake_offer_desc(4, 4096, 0);
	struct vshmem_incoming *in = NULL;
	char data[4];

	(void)state;
	fake_rx_push("x", 1, &d, MSG_CTRUNC);
	assert_int_equal(vshmem_channel_recv(ch, data, sizeof(data), -1, NULL, &in), -EMSGSIZE);
	assert_null(in);
	assert_false(fake_fd_open(d.fd));
	vshmem_channel_close(ch);
}

static void test_recv_bad_fields(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = fake_offer_desc(4, 4096, 0);
	struct vshmem_incoming *in = NULL;
	char data[4];

	(void)state;
	d.reserved = 3;
	fake_rx_push("x", 1, &d, 0);
	assert_int_equal(vshmem_channel_recv(ch, data, sizeof(data), -1, NULL, &in), -EPROTO);
	assert_false(fake_fd_open(d.fd));
	fake_fail(FAKE_RECVMSG, ECONNRESET, 0);
	assert_int_equal(vshmem_channel_recv(ch, data, sizeof(data), -1, NULL, &in), -ECONNRESET);
	vshmem_channel_close(ch);
}

static void test_recv_notices(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = fake_offer_desc(40, 4096, VSOCK_SHMEM_KIND_SHARE);
	struct vsock_shmem rc = { .subop = VSOCK_SHMEM_SUBOP_RECLAIM, .id = 40, .fd = -1 };
	struct vsock_shmem rl = { .subop = VSOCK_SHMEM_SUBOP_RELINQUISH, .id = 99, .fd = -1 };
	struct vshmem_incoming *in = NULL, *none = NULL;
	int n = 0;

	(void)state;
	vshmem_channel_close(ch);
	{
		VSHMEM_OPTS(vshmem_channel_opts, o, .log_fn = logger, .log_data = &n);

		assert_int_equal(vshmem_channel_connect(3, 1, &o, &ch), 0);
	}
	fake_rx_push("", 0, &d, 0);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, &in), 0);
	/* the lender takes it back */
	fake_rx_push("", 0, &rc, 0);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, &none), 0);
	assert_null(none);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_RECLAIMED);
	/* notices for ids nobody knows are logged, not fatal */
	fake_rx_push("", 0, &rc, 0);
	fake_rx_push("", 0, &rl, 0);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, NULL), 0);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, NULL), 0);
	assert_non_null(strstr(log_last, "unknown offer 99"));
	assert_int_equal(n, 2);
	assert_int_equal(vshmem_incoming_release(in), -EINVAL);
	vshmem_incoming_close(in);
	vshmem_channel_close(ch);
}

static void test_close_detaches(void **state)
{
	struct vshmem_channel *ch = connect_ch(CAPS_ALL);
	struct vsock_shmem d = fake_offer_desc(1, 4096, VSOCK_SHMEM_KIND_SHARE);
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	struct vshmem_incoming *in = NULL;
	struct vshmem_offer *o = NULL;

	(void)state;
	fake_rx_push("", 0, &d, 0);
	assert_int_equal(vshmem_channel_recv(ch, NULL, 0, -1, NULL, &in), 0);
	assert_int_equal(vshmem_offer_send(ch, buf, NULL, &o), 0);
	vshmem_channel_close(ch);
	assert_int_equal(vshmem_offer_get_state(o), VSHMEM_STATE_DEAD);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_DEAD);
	assert_int_equal(vshmem_offer_reclaim(o), -ENOTCONN);
	assert_int_equal(vshmem_offer_wait_release(o, 0), -ENOTCONN);
	assert_int_equal(vshmem_incoming_release(in), -ENOTCONN);
	vshmem_offer_free(o);
	vshmem_incoming_close(in);
	vshmem_buf_close(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_connect),
		T(test_connect_errors),
		T(test_listen_accept),
		T(test_listen_errors),
		T(test_adopt),
		T(test_caps),
		T(test_caps_unpatched),
		T(test_caps_errors),
		T(test_recv_data),
		T(test_recv_spurious_wakeup),
		T(test_recv_offer),
		T(test_recv_offer_ffa_pad),
		T(test_recv_unwanted_offer),
		T(test_recv_malformed),
		T(test_recv_ctrunc),
		T(test_recv_bad_fields),
		T(test_recv_notices),
		T(test_close_detaches),
	};

	return cmocka_run_group_tests_name("channel", tests, NULL, NULL);
}
