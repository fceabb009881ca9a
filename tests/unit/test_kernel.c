// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Suite 'kernel': the real library against the real kernel (dma-buf heaps,
 * AF_VSOCK loopback, and where present the SCM_VSOCK_SHMEM series). Made
 * to run inside the test VM. Exits 77 (skip) when there are no heaps or no
 * vsock; single cases skip when the transport lacks what they need. An
 * unpatched kernel must be reported as "no shared memory support" and
 * offers refused, which is tested too.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/vm_sockets.h>

#include <libvshmem/vshmem.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#include <libvshmem/vshmem-uring.h>
#endif

#define SIZE (1U << 20)

struct pair {
	struct vshmem_channel *listener, *lender, *borrower;
	uint64_t caps;
};

static unsigned int next_port = 43000;

static bool can(const struct pair *p, int kind)
{
	return (p->caps & VSHMEM_CAP_KIND(kind)) &&
	       (p->caps & VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL));
}

/* A connected loopback pair: lender connects, borrower is accepted. */
static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	unsigned int port = next_port + (unsigned int)(getpid() % 1000) * 16;
	int ret;

	next_port++;
	ret = vshmem_channel_listen(VMADDR_CID_ANY, port, NULL, &p->listener);
	if (ret == 0)
		ret = vshmem_channel_connect(VMADDR_CID_LOCAL, port, NULL, &p->lender);
	if (ret == 0)
		ret = vshmem_channel_accept(p->listener, &p->borrower);
	if (ret == 0)
		ret = vshmem_channel_get_caps(p->lender, &p->caps);
	if (ret < 0) {
		print_message("vsock loopback: %s\n", strerror(-ret));
		vshmem_channel_close(p->borrower);
		vshmem_channel_close(p->lender);
		vshmem_channel_close(p->listener);
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	vshmem_channel_close(p->borrower);
	vshmem_channel_close(p->lender);
	vshmem_channel_close(p->listener);
	free(p);
	return 0;
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

static sigjmp_buf jmp;
static void on_fault(int sig)
{
	siglongjmp(jmp, sig);
}

static bool readable(const volatile unsigned char *p)
{
	struct sigaction sa = { .sa_handler = on_fault }, ob, os;
	volatile bool ok = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &ob);
	sigaction(SIGSEGV, &sa, &os);
	if (sigsetjmp(jmp, 1) == 0) {
		(void)*p;
		ok = true;
	}
	sigaction(SIGBUS, &ob, NULL);
	sigaction(SIGSEGV, &os, NULL);
	return ok;
}

static struct vshmem_buf *alloc_kind(int kind)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	int ret = vshmem_heap_open_kind(kind, &heap);

	if (ret == -EOPNOTSUPP || ret == -ENOENT)
		return NULL;
	assert_int_equal(ret, 0);
	assert_int_equal(vshmem_buf_alloc(heap, SIZE, NULL, &buf), 0);
	vshmem_heap_close(heap);
	return buf;
}

static void test_heap_buffer(void **state)
{
	VSHMEM_OPTS(vshmem_alloc_opts, opts, .name = "vshmem-test");
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL, *imp = NULL;
	char **names = NULL;
	void *p = NULL;
	int n, fd, ret;

	(void)state;
	n = vshmem_heap_list(&names);
	assert_true(n >= 1);
	vshmem_heap_list_free(names);
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_SHARE, &heap), 0);
	ret = vshmem_buf_alloc(heap, SIZE, &opts, &buf);
	if (ret == -ENOTTY || ret == -EINVAL)	/* old kernel without SET_NAME */
		ret = vshmem_buf_alloc(heap, SIZE, NULL, &buf);
	assert_int_equal(ret, 0);
	assert_true(vshmem_buf_get_size(buf) >= SIZE);
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &p), 0);
	assert_int_equal(vshmem_buf_sync_start(buf, VSHMEM_ACCESS_RW), 0);
	fill(p, SIZE, 3);
	assert_int_equal(vshmem_buf_sync_end(buf, VSHMEM_ACCESS_RW), 0);

	/* a dup of a real dma-buf imports; /dev/null does not */
	fd = vshmem_buf_dup_fd(buf);
	assert_true(fd >= 0);
	assert_int_equal(vshmem_buf_import(fd, NULL, &imp), 0);
	assert_int_equal(vshmem_buf_get_size(imp), vshmem_buf_get_size(buf));
	assert_int_equal(vshmem_buf_map(imp, VSHMEM_ACCESS_READ, &p), 0);
	assert_true(check(p, SIZE, 3));
	vshmem_buf_close(imp);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(vshmem_buf_import(fd, NULL, &imp), -EINVAL);
	close(fd);
	vshmem_buf_close(buf);
	vshmem_heap_close(heap);
}

/* A kernel without the series drops the cmsg: offers must be refused. */
static void test_unpatched_refuses(void **state)
{
	struct pair *p = *state;
	struct vshmem_buf *buf;
	struct vshmem_offer *o = NULL;

	if (p->caps)
		skip();
	buf = alloc_kind(VSHMEM_KIND_SHARE);
	assert_non_null(buf);
	assert_int_equal(vshmem_channel_supports(p->lender, VSHMEM_KIND_SHARE), 0);
	assert_int_equal(vshmem_offer_send(p->lender, buf, NULL, &o), -EOPNOTSUPP);
	vshmem_buf_close(buf);
}

static void round_trip(struct pair *p, int kind)
{
	VSHMEM_OPTS(vshmem_offer_opts, opts, .tag = 0x1234, .data = "hi",
		    .data_len = 3);
	struct vshmem_incoming *in = NULL;
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf, *rbuf;
	char data[16] = { 0 };
	void *lp = NULL, *bp = NULL;

	buf = alloc_kind(kind);
	if (!buf || !can(p, kind)) {
		vshmem_buf_close(buf);
		skip();
		return;
	}
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &lp), 0);
	fill(lp, SIZE, 9);
	assert_int_equal(vshmem_offer_send(p->lender, buf, &opts, &o), 0);
	if (kind == VSHMEM_KIND_LEND)
		assert_false(readable(lp));	/* lender lost access */

	assert_int_equal(vshmem_channel_recv(p->borrower, data, sizeof(data), NULL, &in), 3);
	assert_string_equal(data, "hi");
	assert_non_null(in);
	assert_int_equal(vshmem_incoming_get_id(in), vshmem_offer_get_id(o));
	assert_int_equal(vshmem_incoming_get_kind(in), kind);
	assert_int_equal(vshmem_incoming_get_type(in), VSHMEM_TYPE_LOCAL);
	assert_int_equal(vshmem_incoming_get_tag(in), 0x1234);
	assert_true(vshmem_incoming_get_size(in) >= SIZE);
	rbuf = vshmem_incoming_get_buf(in);
	assert_non_null(rbuf);
	assert_int_equal(vshmem_buf_map(rbuf, VSHMEM_ACCESS_READ, &bp), 0);
	assert_true(check(bp, SIZE, 9));
	assert_int_equal(vshmem_incoming_release(in), 0);
	vshmem_incoming_free(in);

	assert_int_equal(vshmem_offer_wait_release(o, 5000), 0);
	if (!readable(lp)) {
		vshmem_buf_unmap(buf);
		assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &lp), 0);
	}
	assert_true(check(lp, SIZE, 9));
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
}

static void test_share_round_trip(void **state)
{
	round_trip(*state, VSHMEM_KIND_SHARE);
}

static void test_lend_round_trip(void **state)
{
	round_trip(*state, VSHMEM_KIND_LEND);
}

static void test_reclaim(void **state)
{
	struct pair *p = *state;
	struct vshmem_incoming *in = NULL, *none = NULL;
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf = alloc_kind(VSHMEM_KIND_SHARE);
	int ret;

	if (!buf || !can(p, VSHMEM_KIND_SHARE)) {
		vshmem_buf_close(buf);
		skip();
		return;
	}
	assert_int_equal(vshmem_offer_send(p->lender, buf, NULL, &o), 0);
	assert_true(vshmem_channel_recv(p->borrower, NULL, 0, NULL, &in) >= 0);
	assert_non_null(in);
	ret = vshmem_offer_reclaim(o);
	assert_true(ret == 0 || ret == -EBUSY);
	if (ret == 0) {
		assert_true(vshmem_channel_recv(p->borrower, NULL, 0, NULL, &none) >= 0);
		assert_null(none);
		assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_RECLAIMED);
	}
	vshmem_incoming_free(in);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
}

static void test_uring_batch(void **state)
{
#ifdef HAVE_LIBURING
	struct pair *p = *state;
	struct vshmem_buf *bufs[4] = { 0 };
	struct vshmem_offer *o[4] = { 0 };
	struct io_uring ring;
	struct io_uring_cqe *cqe;

	if (!can(p, VSHMEM_KIND_SHARE)) {
		skip();
		return;
	}
	if (io_uring_queue_init(8, &ring, 0) < 0) {
		skip();
		return;
	}
	for (int i = 0; i < 4; i++) {
		bufs[i] = alloc_kind(VSHMEM_KIND_SHARE);
		assert_int_equal(vshmem_uring_prep_offer(io_uring_get_sqe(&ring),
							 p->lender, bufs[i], NULL, &o[i]), 0);
	}
	assert_int_equal(io_uring_submit(&ring), 4);
	for (int i = 0; i < 4; i++) {
		struct vshmem_offer *done = NULL;

		assert_int_equal(io_uring_wait_cqe(&ring, &cqe), 0);
		assert_true(vshmem_uring_complete(cqe, &done, NULL) >= 0);
		io_uring_cqe_seen(&ring, cqe);
		assert_non_null(done);
	}
	for (int i = 0; i < 4; i++) {
		struct vshmem_incoming *in = NULL;

		assert_true(vshmem_channel_recv(p->borrower, NULL, 0, NULL, &in) >= 0);
		assert_non_null(in);
		assert_int_equal(vshmem_incoming_release(in), 0);
		vshmem_incoming_free(in);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vshmem_offer_wait_release(o[i], 5000), 0);
		vshmem_offer_free(o[i]);
		vshmem_buf_close(bufs[i]);
	}
	io_uring_queue_exit(&ring);
#else
	(void)state;
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest buffer_tests[] = {
		cmocka_unit_test(test_heap_buffer),
	};
	const struct CMUnitTest vsock_tests[] = {
		cmocka_unit_test(test_unpatched_refuses),
		cmocka_unit_test(test_share_round_trip),
		cmocka_unit_test(test_lend_round_trip),
		cmocka_unit_test(test_reclaim),
		cmocka_unit_test(test_uring_batch),
	};
	struct vshmem_heap *heap = NULL;
	void *state = NULL;
	int ret, fails;

	ret = vshmem_heap_open("system", &heap);
	if (ret < 0) {
		printf("1..0 # SKIP no dma-buf system heap: %s\n", strerror(-ret));
		return 77;
	}
	vshmem_heap_close(heap);
	fails = cmocka_run_group_tests_name("kernel-buffers", buffer_tests, NULL, NULL);
	if (pair_setup(&state) < 0) {
		printf("# SKIP vsock loopback (VMADDR_CID_LOCAL) not available\n");
		return fails ? fails : 77;
	}
	pair_teardown(&state);
	return fails + cmocka_run_group_tests_name("kernel-vsock", vsock_tests,
						   pair_setup, pair_teardown);
}
