// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Suite 'kernel': the real library against the real kernel (dma-buf heaps,
 * AF_VSOCK loopback, and where present the SCM_VSOCK_SHMEM series). Made
 * to run inside the test VM; TAP output. Without a heap it reports
 * "1..0 # SKIP"; single cases skip when vsock loopback or the transport's
 * capabilities are missing; exit 1 if any case failed. An
 * unpatched kernel must be reported as "no shared memory support" and
 * offers refused, which is tested too.
 *
 * Plain C with a few lines of TAP instead of CMocka: the guest has no libc,
 * so this must link statically (-Dstatic-examples=true builds it so).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <libvshmem/vshmem.h>

#include "../harness/harness.h"
#ifdef HAVE_LIBURING
#include <liburing.h>
#include <libvshmem/vshmem-uring.h>
#endif

#define SIZE (1U << 20)

/* ---- a minimal TAP harness ---- */

enum { PASS, FAIL, SKIP };

static const char *skip_reason;

#define CHECK(cond) do {						\
		if (!(cond)) {						\
			printf("#   %s:%d: failed: %s\n", __FILE__,	\
			       __LINE__, #cond);			\
			return FAIL;					\
		}							\
	} while (0)
#define CHECK_EQ(a, b) do {						\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			printf("#   %s:%d: failed: %s == %s (%lld != %lld)\n", \
			       __FILE__, __LINE__, #a, #b, _a, _b);	\
			return FAIL;					\
		}							\
	} while (0)
#define SKIP_IF(cond, why) do {						\
		if (cond) {						\
			skip_reason = (why);				\
			return SKIP;					\
		}							\
	} while (0)

struct pair {
	struct vshmem_channel *listener, *lender, *borrower;
	uint64_t caps;
};

static bool can(const struct pair *p, int kind)
{
	return (p->caps & VSHMEM_CAP_KIND(kind)) &&
	       (p->caps & VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL));
}

static void pair_close(struct pair *p)
{
	vshmem_channel_close(p->borrower);
	vshmem_channel_close(p->lender);
	vshmem_channel_close(p->listener);
	memset(p, 0, sizeof(*p));
}

/* A connected loopback pair: the lender connects, the borrower is
 * accepted. vsock completes the handshake before accept(). */
static int pair_open(struct pair *p, unsigned int port)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = vshmem_channel_listen(VMADDR_CID_ANY, port, NULL, &p->listener);
	if (ret == 0)
		ret = vshmem_channel_connect(VMADDR_CID_LOCAL, port, NULL, &p->lender);
	if (ret == 0)
		ret = vshmem_channel_accept(p->listener, &p->borrower);
	if (ret == 0)
		ret = vshmem_channel_get_caps(p->lender, &p->caps);
	if (ret < 0)
		pair_close(p);
	return ret;
}

static void fill(unsigned char *b, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 7 + seed);
}

static bool check(const unsigned char *b, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(i * 7 + seed))
			return false;
	return true;
}

/* Can we read this byte, or does it fault (a lent buffer must)? The
 * probe is the in-guest harness's one (tests/harness/probe.c). */
static bool readable(const volatile unsigned char *p)
{
	return vt_read_sig(p) == 0;
}

/* A buffer of a kind, or NULL if there is no heap for it. */
static struct vshmem_buf *alloc_kind(int kind)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;

	if (vshmem_heap_open_kind(kind, &heap) < 0)
		return NULL;
	if (vshmem_buf_alloc(heap, SIZE, NULL, &buf) < 0)
		buf = NULL;
	vshmem_heap_close(heap);
	return buf;
}

static int test_heap_buffer(struct pair *p)
{
	VSHMEM_OPTS(vshmem_alloc_opts, opts, .name = "vshmem-test");
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL, *imp = NULL;
	char **names = NULL;
	void *m = NULL;
	int fd, ret;

	(void)p;
	CHECK(vshmem_heap_list(&names) >= 1);
	vshmem_heap_list_free(names);
	CHECK_EQ(vshmem_heap_open_kind(VSHMEM_KIND_SHARE, &heap), 0);
	ret = vshmem_buf_alloc(heap, SIZE, &opts, &buf);
	if (ret == -ENOTTY || ret == -EINVAL)	/* no DMA_BUF_SET_NAME */
		ret = vshmem_buf_alloc(heap, SIZE, NULL, &buf);
	CHECK_EQ(ret, 0);
	vshmem_heap_close(heap);
	CHECK(vshmem_buf_get_size(buf) >= SIZE);
	CHECK_EQ(vshmem_buf_get_kind(buf), VSHMEM_KIND_SHARE);
	CHECK_EQ(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &m), 0);
	CHECK_EQ(vshmem_buf_sync_start(buf, VSHMEM_ACCESS_RW), 0);
	fill(m, SIZE, 3);
	CHECK_EQ(vshmem_buf_sync_end(buf, VSHMEM_ACCESS_RW), 0);

	/* a dup of a real dma-buf imports, with its size; /dev/null does not */
	fd = vshmem_buf_dup_fd(buf);
	CHECK(fd >= 0);
	CHECK_EQ(vshmem_buf_import(fd, NULL, &imp), 0);
	CHECK_EQ(vshmem_buf_get_size(imp), vshmem_buf_get_size(buf));
	CHECK_EQ(vshmem_buf_map(imp, VSHMEM_ACCESS_READ, &m), 0);
	CHECK(check(m, SIZE, 3));
	vshmem_buf_close(imp);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_EQ(vshmem_buf_import(fd, NULL, &imp), -EINVAL);
	close(fd);
	vshmem_buf_close(buf);
	return PASS;
}

static int test_lend_heap_policy(struct pair *p)
{
	struct vshmem_heap *heap = NULL;
	int ret;

	(void)p;
	ret = vshmem_heap_open_kind(VSHMEM_KIND_LEND, &heap);
	if (ret == 0) {
		CHECK_EQ(vshmem_heap_get_kind(heap), VSHMEM_KIND_LEND);
		vshmem_heap_close(heap);
	} else {
		/* never a silent share instead */
		CHECK_EQ(ret, -EOPNOTSUPP);
	}
	return PASS;
}

/* A kernel without the series drops the cmsg: offers must be refused. */
static int test_unpatched_refuses(struct pair *p)
{
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf;

	SKIP_IF(p->caps, "the transport supports shared memory");
	buf = alloc_kind(VSHMEM_KIND_SHARE);
	CHECK(buf);
	CHECK_EQ(vshmem_channel_supports(p->lender, VSHMEM_KIND_SHARE), 0);
	CHECK_EQ(vshmem_offer_send(p->lender, buf, NULL, &o), -EOPNOTSUPP);
	vshmem_buf_close(buf);
	return PASS;
}

static int round_trip(struct pair *p, int kind)
{
	VSHMEM_OPTS(vshmem_offer_opts, opts, .tag = 0x1234, .data = "hi",
		    .data_len = 3);
	struct vshmem_incoming *in = NULL;
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf, *rbuf;
	char data[16] = { 0 };
	void *lp = NULL, *bp = NULL;

	SKIP_IF(!can(p, kind), "the transport cannot pass this kind");
	buf = alloc_kind(kind);
	SKIP_IF(!buf, "no heap of this kind");
	CHECK_EQ(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &lp), 0);
	fill(lp, SIZE, 9);
	CHECK_EQ(vshmem_offer_send(p->lender, buf, &opts, &o), 0);
	if (kind == VSHMEM_KIND_LEND)
		CHECK(!readable(lp));	/* the lender lost access */

	CHECK_EQ(vshmem_channel_recv(p->borrower, data, sizeof(data), -1, NULL, &in), 3);
	CHECK(!strcmp(data, "hi"));
	CHECK(in);
	CHECK_EQ(vshmem_incoming_get_id(in), vshmem_offer_get_id(o));
	CHECK_EQ(vshmem_incoming_get_kind(in), kind);
	CHECK_EQ(vshmem_incoming_get_type(in), VSHMEM_TYPE_LOCAL);
	CHECK_EQ(vshmem_incoming_get_tag(in), 0x1234);
	CHECK(vshmem_incoming_get_size(in) >= SIZE);
	rbuf = vshmem_incoming_get_buf(in);
	CHECK(rbuf);
	CHECK_EQ(vshmem_buf_map(rbuf, VSHMEM_ACCESS_READ, &bp), 0);
	CHECK(check(bp, SIZE, 9));
	CHECK_EQ(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);

	CHECK_EQ(vshmem_offer_wait_release(o, 5000), 0);
	if (!readable(lp)) {
		vshmem_buf_unmap(buf);
		CHECK_EQ(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &lp), 0);
	}
	CHECK(check(lp, SIZE, 9));
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	return PASS;
}

static int test_share_round_trip(struct pair *p)
{
	return round_trip(p, VSHMEM_KIND_SHARE);
}

static int test_lend_round_trip(struct pair *p)
{
	return round_trip(p, VSHMEM_KIND_LEND);
}

static int test_reclaim(struct pair *p)
{
	struct vshmem_incoming *in = NULL, *none = NULL;
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf;
	int ret;

	SKIP_IF(!can(p, VSHMEM_KIND_SHARE), "the transport cannot share");
	buf = alloc_kind(VSHMEM_KIND_SHARE);
	CHECK(buf);
	CHECK_EQ(vshmem_offer_send(p->lender, buf, NULL, &o), 0);
	CHECK_EQ(vshmem_channel_recv(p->borrower, NULL, 0, -1, NULL, &in), 0);
	CHECK(in);
	ret = vshmem_offer_reclaim(o);
	CHECK(ret == 0 || ret == -EBUSY);
	if (ret == 0) {
		CHECK_EQ(vshmem_offer_get_state(o), VSHMEM_STATE_RECLAIMED);
		CHECK_EQ(vshmem_channel_recv(p->borrower, NULL, 0, -1, NULL, &none), 0);
		CHECK(!none);
		CHECK_EQ(vshmem_incoming_get_state(in), VSHMEM_STATE_RECLAIMED);
	}
	vshmem_incoming_close(in);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	return PASS;
}

static int test_uring_batch(struct pair *p)
{
#ifdef HAVE_LIBURING
	struct vshmem_buf *bufs[4] = { 0 };
	struct vshmem_offer *o[4] = { 0 };
	struct io_uring_cqe *cqe;
	struct io_uring ring;

	SKIP_IF(!can(p, VSHMEM_KIND_SHARE), "the transport cannot share");
	SKIP_IF(io_uring_queue_init(8, &ring, 0) < 0, "no io_uring");
	for (int i = 0; i < 4; i++) {
		bufs[i] = alloc_kind(VSHMEM_KIND_SHARE);
		CHECK(bufs[i]);
		CHECK_EQ(vshmem_uring_prep_offer(io_uring_get_sqe(&ring),
						 p->lender, bufs[i], NULL, &o[i]), 0);
	}
	CHECK_EQ(io_uring_submit(&ring), 4);	/* four offers, one syscall */
	for (int i = 0; i < 4; i++) {
		struct vshmem_offer *done = NULL;

		CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
		CHECK(vshmem_uring_complete(p->lender, cqe, &done, NULL) >= 0);
		io_uring_cqe_seen(&ring, cqe);
		CHECK(done);
	}
	for (int i = 0; i < 4; i++) {
		struct vshmem_incoming *in = NULL;

		CHECK_EQ(vshmem_channel_recv(p->borrower, NULL, 0, -1, NULL, &in), 0);
		CHECK(in);
		CHECK_EQ(vshmem_incoming_release(in), 0);
		vshmem_incoming_close(in);
	}
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(vshmem_offer_wait_release(o[i], 5000), 0);
		vshmem_offer_free(o[i]);
		vshmem_buf_close(bufs[i]);
	}
	io_uring_queue_exit(&ring);
	return PASS;
#else
	(void)p;
	SKIP_IF(true, "built without liburing");
	return SKIP;
#endif
}

static const struct {
	const char *name;
	int (*fn)(struct pair *p);
	bool needs_vsock;
} tests[] = {
	{ "heap_buffer", test_heap_buffer, false },
	{ "lend_heap_policy", test_lend_heap_policy, false },
	{ "unpatched_refuses", test_unpatched_refuses, true },
	{ "share_round_trip", test_share_round_trip, true },
	{ "lend_round_trip", test_lend_round_trip, true },
	{ "reclaim", test_reclaim, true },
	{ "uring_batch", test_uring_batch, true },
};

int main(void)
{
	unsigned int port = 40000 + (unsigned int)getpid() % 20000;
	struct vshmem_heap *heap = NULL;
	struct pair pair;
	int ret, vsock, failed = 0;
	size_t n = sizeof(tests) / sizeof(tests[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = vshmem_heap_open("system", &heap);
	if (ret < 0) {
		/* TAP's way to skip everything; exit 0 as TAP wants. */
		printf("1..0 # SKIP no dma-buf system heap: %s\n", strerror(-ret));
		return 0;
	}
	vshmem_heap_close(heap);
	vsock = pair_open(&pair, port);
	printf("# libvshmem %s; vsock loopback: %s; caps %#llx\n",
	       vshmem_version(), vsock ? strerror(-vsock) : "ok",
	       (unsigned long long)pair.caps);
	pair_close(&pair);

	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int r = SKIP;

		skip_reason = "vsock loopback not available";
		if (!tests[i].needs_vsock) {
			r = tests[i].fn(&pair);
		} else if (!vsock && pair_open(&pair, ++port) == 0) {
			r = tests[i].fn(&pair);
			pair_close(&pair);
		}
		if (r == PASS)
			printf("ok %zu %s\n", i + 1, tests[i].name);
		else if (r == SKIP)
			printf("ok %zu %s # SKIP %s\n", i + 1, tests[i].name, skip_reason);
		else
			printf("not ok %zu %s\n", i + 1, tests[i].name);
		failed += r == FAIL;
	}
	return failed ? 1 : 0;
}
