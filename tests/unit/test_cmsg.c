// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmsg.c: SCM_VSOCK_SHMEM encode/decode and the enum translations. */
#include "test_common.h"
#include "../../lib/internal.h"

static void test_encode(void **state)
{
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_OFFER, .id = 9,
				 .fd = 5, .tag = 77 }, out;
	union vshmem_ctl ctl;
	struct cmsghdr *c = &ctl.align;
	int n;

	(void)state;
	assert_int_equal(vshmem_cmsg_encode(NULL, 100, &d), -EINVAL);
	assert_int_equal(vshmem_cmsg_encode(ctl.buf, sizeof(ctl.buf), NULL), -EINVAL);
	assert_int_equal(vshmem_cmsg_encode(ctl.buf, 8, &d), -EINVAL);
	n = vshmem_cmsg_encode(ctl.buf, sizeof(ctl.buf), &d);
	assert_int_equal(n, CMSG_SPACE(sizeof(d)));
	assert_int_equal(c->cmsg_level, SOL_VSOCK);
	assert_int_equal(c->cmsg_type, SCM_VSOCK_SHMEM);
	assert_int_equal(c->cmsg_len, CMSG_LEN(sizeof(d)));
	memcpy(&out, CMSG_DATA(c), sizeof(out));
	assert_memory_equal(&out, &d, sizeof(d));
}

/* A msghdr over a control buffer holding the given cmsgs. */
struct rxmsg {
	struct msghdr msg;
	struct cmsghdr *next;
	union vshmem_ctl ctl;	/* last: struct cmsghdr ends in a flexible array */
};

static void rx_init(struct rxmsg *m)
{
	memset(m, 0, sizeof(*m));
	m->msg.msg_control = m->ctl.buf;
	m->msg.msg_controllen = sizeof(m->ctl.buf);
	m->next = CMSG_FIRSTHDR(&m->msg);
	m->msg.msg_controllen = 0;
}

static void rx_add(struct rxmsg *m, int level, int type, const void *data,
		   size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)(m->ctl.buf + m->msg.msg_controllen);

	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	m->msg.msg_controllen += CMSG_SPACE(len);
}

static void rx_add_desc(struct rxmsg *m, const struct vsock_shmem *d)
{
	rx_add(m, SOL_VSOCK, SCM_VSOCK_SHMEM, d, sizeof(*d));
}

/* A control buffer with d as its one message. */
static void rx_one(struct rxmsg *m, const struct vsock_shmem *d)
{
	rx_init(m);
	rx_add_desc(m, d);
}

static struct vsock_shmem offer_desc(int fd)
{
	struct vsock_shmem d = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER, .type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = 3, .fd = fd, .kind = VSOCK_SHMEM_KIND_LEND, .size = 4096,
	};
	return d;
}

static void test_decode_none(void **state)
{
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	(void)state;
	rx_init(&m);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), 0);
	assert_false(rx.found);
	assert_int_equal(rx.nfds, 0);
	assert_int_equal(vshmem_cmsg_decode(NULL, &rx), -EINVAL);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, NULL), -EINVAL);
}

static void test_decode_offer(void **state)
{
	struct vsock_shmem d = offer_desc(7);
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	(void)state;
	rx_one(&m, &d);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), 0);
	assert_true(rx.found);
	assert_int_equal(rx.desc.fd, 7);
	assert_int_equal(rx.desc.id, 3);
	assert_int_equal(rx.nfds, 1);
	assert_int_equal(rx.fds[0], 7);

	/* FF-A: a handle and no fd */
	d.type = VSOCK_SHMEM_TYPE_FFA;
	d.fd = -1;
	d.handle = 0x1234;
	rx_one(&m, &d);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), 0);
	assert_int_equal(rx.nfds, 0);
	assert_int_equal(rx.desc.handle, 0x1234);
}

static void test_decode_notices(void **state)
{
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_RELINQUISH,
				 .id = 4, .fd = 0 };
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	(void)state;
	rx_one(&m, &d);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), 0);
	assert_int_equal(rx.nfds, 0);	/* a notice's fd field is not an fd */
	d.subop = VSOCK_SHMEM_SUBOP_RECLAIM;
	rx_one(&m, &d);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), 0);
	assert_int_equal(rx.desc.subop, VSOCK_SHMEM_SUBOP_RECLAIM);
}

static void expect_proto(const struct vsock_shmem *d, size_t nfds)
{
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	rx_init(&m);
	rx_add_desc(&m, d);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
	assert_int_equal(rx.nfds, nfds);
}

static void test_decode_bad_desc(void **state)
{
	struct vsock_shmem d;

	(void)state;
	d = offer_desc(8);
	d.reserved = 1;
	expect_proto(&d, 1);
	d = offer_desc(8);
	d.subop = 9;
	expect_proto(&d, 0);
	d = offer_desc(8);
	d.type = 0;
	expect_proto(&d, 1);
	d = offer_desc(8);
	d.kind = 7;
	expect_proto(&d, 1);
	d = offer_desc(-1);		/* LOCAL without fd */
	expect_proto(&d, 0);
	d = offer_desc(8);		/* FF-A with an fd */
	d.type = VSOCK_SHMEM_TYPE_FFA;
	expect_proto(&d, 1);
}

static void test_decode_duplicate(void **state)
{
	struct vsock_shmem a = offer_desc(10), b = offer_desc(11);
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	(void)state;
	rx_init(&m);
	rx_add_desc(&m, &a);
	rx_add_desc(&m, &b);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
	assert_int_equal(rx.nfds, 2);	/* both fds reported for closing */
	assert_int_equal(rx.fds[0], 10);
	assert_int_equal(rx.fds[1], 11);
}

static void test_decode_wrong_size(void **state)
{
	struct vsock_shmem d = offer_desc(12);
	unsigned char big[sizeof(d) + 8] = { 0 };
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	(void)state;
	memcpy(big, &d, sizeof(d));
	rx_init(&m);
	rx_add(&m, SOL_VSOCK, SCM_VSOCK_SHMEM, big, sizeof(big));
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
	rx_init(&m);
	rx_add(&m, SOL_VSOCK, SCM_VSOCK_SHMEM, big, 8);
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
	assert_false(rx.found);
}

/* A length that runs past the control buffer must not be followed
 * (found by tests/fuzz/fuzz_cmsg.c). */
static void test_decode_bad_cmsg_len(void **state)
{
	int fds[2] = { 30, 31 };
	struct vshmem_cmsg_rx rx;
	struct cmsghdr *c;
	struct rxmsg m;

	(void)state;
	rx_init(&m);
	rx_add(&m, SOL_SOCKET, SCM_RIGHTS, fds, sizeof(fds));
	c = (struct cmsghdr *)(void *)m.ctl.buf;
	c->cmsg_len = 4096;
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
	assert_int_equal(rx.nfds, 0);
	c->cmsg_len = 4;	/* shorter than its own header */
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
}

static void test_decode_strays(void **state)
{
	struct vsock_shmem d = offer_desc(13);
	int fds[2] = { 20, 21 }, x = 1;
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	(void)state;
	rx_one(&m, &d);
	rx_add(&m, SOL_SOCKET, SCM_RIGHTS, fds, sizeof(fds));
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
	assert_int_equal(rx.nfds, 3);
	assert_int_equal(rx.fds[1], 20);
	assert_int_equal(rx.fds[2], 21);

	rx_init(&m);
	rx_add(&m, SOL_VSOCK, 5, &x, sizeof(x));
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
	rx_init(&m);
	rx_add(&m, SOL_SOCKET, SCM_CREDENTIALS, &x, sizeof(x));
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EPROTO);
}

static void test_decode_ctrunc(void **state)
{
	struct vsock_shmem d = offer_desc(14);
	struct vshmem_cmsg_rx rx;
	struct rxmsg m;

	(void)state;
	rx_one(&m, &d);
	m.msg.msg_flags = MSG_CTRUNC;
	assert_int_equal(vshmem_cmsg_decode(&m.msg, &rx), -EMSGSIZE);
	assert_int_equal(rx.nfds, 1);
}

static void test_translate(void **state)
{
	uint32_t u = 99;

	(void)state;
	assert_int_equal(vshmem_kind_from_uapi(0), -EPROTO);
	assert_int_equal(vshmem_kind_from_uapi(VSOCK_SHMEM_KIND_SHARE), VSHMEM_KIND_SHARE);
	assert_int_equal(vshmem_kind_from_uapi(VSOCK_SHMEM_KIND_LEND), VSHMEM_KIND_LEND);
	assert_int_equal(vshmem_kind_from_uapi(VSOCK_SHMEM_KIND_SEND_SECURE), VSHMEM_KIND_SEND_SECURE);
	assert_int_equal(vshmem_kind_from_uapi(VSOCK_SHMEM_KIND_SEND_SECURE + 1), -EPROTO);
	assert_int_equal(vshmem_kind_from_uapi(UINT32_MAX), -EPROTO);
	/* the public values are the kernel's (as revised) */
	assert_int_equal(VSHMEM_KIND_SHARE, 1);
	assert_int_equal(VSHMEM_KIND_LEND, 2);
	assert_int_equal(VSHMEM_KIND_SEND_SECURE, 3);
	assert_int_equal(VSHMEM_TYPE_FFA, 1);
	assert_int_equal(VSHMEM_TYPE_LOCAL, 2);
	assert_int_equal(VSHMEM_TYPE_ADDR, 3);
	/* the type offered follows the caps: local borrower, device, partition */
	assert_int_equal(vshmem_send_type_from_caps(VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL) |
						    VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA)),
			 VSOCK_SHMEM_TYPE_LOCAL);
	assert_int_equal(vshmem_send_type_from_caps(VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_ADDR)),
			 VSOCK_SHMEM_TYPE_ADDR);
	assert_int_equal(vshmem_send_type_from_caps(VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA)),
			 VSOCK_SHMEM_TYPE_FFA);
	/* an offer by address is never delivered to a reader */
	assert_int_equal(vshmem_type_from_uapi(VSOCK_SHMEM_TYPE_ADDR), -EPROTO);
	assert_true(VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL) == UINT64_C(1) << 2);
	assert_true(VSHMEM_CAP_KIND(VSHMEM_KIND_LEND) == UINT64_C(1) << 18);
	assert_true(vshmem_caps_from_uapi(VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE)) ==
		    VSHMEM_CAP_KIND(VSHMEM_KIND_SHARE));
	/* unknown capability bits are dropped */
	assert_true(vshmem_caps_from_uapi(UINT64_C(1) << 40) == 0);
	assert_int_equal(vshmem_type_from_uapi(VSOCK_SHMEM_TYPE_FFA), VSHMEM_TYPE_FFA);
	assert_int_equal(vshmem_type_from_uapi(VSOCK_SHMEM_TYPE_LOCAL), VSHMEM_TYPE_LOCAL);
	assert_int_equal(vshmem_type_from_uapi(0), -EPROTO);
	assert_int_equal(vshmem_flags_to_uapi(VSHMEM_OFFER_F_CLEAR | VSHMEM_OFFER_F_READONLY, &u), 0);
	assert_int_equal(u, VSOCK_SHMEM_F_CLEAR | VSOCK_SHMEM_F_READONLY);
	assert_int_equal(vshmem_flags_to_uapi(1U << 5, &u), -EINVAL);
	assert_int_equal(vshmem_flags_from_uapi(VSOCK_SHMEM_F_CLEAR | VSOCK_SHMEM_F_READONLY | (1U << 9)),
			 VSHMEM_OFFER_F_CLEAR | VSHMEM_OFFER_F_READONLY);
	assert_int_equal(vshmem_caps_from_uapi(0), 0);
	assert_true(vshmem_caps_from_uapi(CAPS_ALL | VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA)) ==
		    (VSHMEM_CAP_TYPE(VSHMEM_TYPE_FFA) | VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL) |
		     VSHMEM_CAP_KIND(VSHMEM_KIND_SHARE) | VSHMEM_CAP_KIND(VSHMEM_KIND_LEND) |
		     VSHMEM_CAP_KIND(VSHMEM_KIND_SEND_SECURE)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_encode),
		T(test_decode_none),
		T(test_decode_offer),
		T(test_decode_notices),
		T(test_decode_bad_desc),
		T(test_decode_duplicate),
		T(test_decode_wrong_size),
		T(test_decode_bad_cmsg_len),
		T(test_decode_strays),
		T(test_decode_ctrunc),
		T(test_translate),
	};

	return cmocka_run_group_tests_name("cmsg", tests, NULL, NULL);
}
