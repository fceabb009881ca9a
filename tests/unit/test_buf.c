// SPDX-License-Identifier: LGPL-2.1-or-later
/* buffer.c: alloc, import, map, sync, name, dup. */
#include <fcntl.h>
#include <linux/dma-buf.h>
#include "test_common.h"

static void test_alloc(void **state)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	VSHMEM_OPTS(vshmem_alloc_opts, opts, .name = "frame");

	(void)state;
	assert_int_equal(vshmem_heap_open("system", &heap), 0);
	assert_int_equal(vshmem_buf_alloc(heap, 5000, &opts, &buf), 0);
	assert_int_equal(vshmem_buf_get_size(buf), 8192);
	assert_int_equal(vshmem_buf_get_kind(buf), VSHMEM_KIND_SHARE);
	assert_int_equal(fake_kind_of(vshmem_buf_get_fd(buf)), FK_DMABUF);
	assert_true(fcntl(vshmem_buf_get_fd(buf), F_GETFD) & FD_CLOEXEC);
	assert_string_equal(fake.name, "frame");
	vshmem_buf_close(buf);
	vshmem_buf_close(NULL);
	/* Without the fd's size, the size asked for is what is known. */
	fake_fail(FAKE_FD_SIZE, EIO, 0);
	assert_int_equal(vshmem_buf_alloc(heap, 5000, NULL, &buf), 0);
	assert_int_equal(vshmem_buf_get_size(buf), 5000);
	vshmem_buf_close(buf);
	vshmem_heap_close(heap);
}

static void test_alloc_errors(void **state)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	struct { struct vshmem_alloc_opts o; uint64_t more; } big = {
		.o = { .sz = sizeof(big) }, .more = 1 };
	VSHMEM_OPTS(vshmem_alloc_opts, empty, .name = "");
	VSHMEM_OPTS(vshmem_alloc_opts, longname,
		    .name = "0123456789012345678901234567890123");
	VSHMEM_OPTS(vshmem_alloc_opts, named, .name = "x");

	(void)state;
	assert_int_equal(vshmem_heap_open("system", &heap), 0);
	assert_int_equal(vshmem_buf_alloc(NULL, 4096, NULL, &buf), -EINVAL);
	assert_int_equal(vshmem_buf_alloc(heap, 0, NULL, &buf), -EINVAL);
	assert_int_equal(vshmem_buf_alloc(heap, 4096, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_buf_alloc(heap, 4096, &big.o, &buf), -E2BIG);
	assert_int_equal(vshmem_buf_alloc(heap, 4096, &empty, &buf), -EINVAL);
	assert_int_equal(vshmem_buf_alloc(heap, 4096, &longname, &buf), -EINVAL);
	fake_fail(FAKE_IOCTL, ENOMEM, 0);
	assert_int_equal(vshmem_buf_alloc(heap, 4096, NULL, &buf), -ENOMEM);
	/* naming fails after the alloc: the new fd must not leak */
	fake_fail(FAKE_IOCTL, EBUSY, 1);
	assert_int_equal(vshmem_buf_alloc(heap, 4096, &named, &buf), -EBUSY);
	assert_null(buf);
	vshmem_heap_close(heap);
}

static void test_import(void **state)
{
	VSHMEM_OPTS(vshmem_import_opts, opts, .kind = VSHMEM_KIND_LEND);
	struct vshmem_buf *buf = NULL;
	int fd = fake_new_fd(FK_DMABUF, 12288);

	(void)state;
	assert_int_equal(vshmem_buf_import(fd, &opts, &buf), 0);
	assert_int_equal(vshmem_buf_get_fd(buf), fd);
	assert_int_equal(vshmem_buf_get_size(buf), 12288);
	assert_int_equal(vshmem_buf_get_kind(buf), VSHMEM_KIND_LEND);
	vshmem_buf_close(buf);	/* consumed: closes fd */
	assert_false(fake_fd_open(fd));
}

static void test_import_no_proc(void **state)
{
	struct vshmem_buf *buf = NULL;
	int fd = fake_new_fd(FK_DMABUF, 4096), other = fake_new_fd(FK_OTHER, 0);

	(void)state;
	fake.no_proc = true;	/* falls back to the sync ioctl probe */
	assert_int_equal(vshmem_buf_import(fd, NULL, &buf), 0);
	assert_int_equal(vshmem_buf_get_kind(buf), 0);
	vshmem_buf_close(buf);
	buf = NULL;
	assert_int_equal(vshmem_buf_import(other, NULL, &buf), -EINVAL);
	assert_null(buf);
	assert_true(fake_fd_open(other));	/* not consumed on failure */
	close(other);
	/* closed fd: the probe says so */
	assert_int_equal(vshmem_buf_import(other, NULL, &buf), -EBADF);
}

static void test_import_errors(void **state)
{
	struct { struct vshmem_import_opts o; uint64_t more; } big = {
		.o = { .sz = sizeof(big) }, .more = 1 };
	VSHMEM_OPTS(vshmem_import_opts, badkind, .kind = 9);
	struct vshmem_buf *buf = NULL;
	int fd = fake_new_fd(FK_DMABUF, 4096), other = fake_new_fd(FK_OTHER, 0);

	(void)state;
	assert_int_equal(vshmem_buf_import(-1, NULL, &buf), -EBADF);
	assert_int_equal(vshmem_buf_import(fd, NULL, NULL), -EINVAL);
	assert_int_equal(vshmem_buf_import(fd, &big.o, &buf), -E2BIG);
	assert_int_equal(vshmem_buf_import(fd, &badkind, &buf), -EINVAL);
	assert_int_equal(vshmem_buf_import(other, NULL, &buf), -EINVAL);
	assert_int_equal(vshmem_buf_import(1000, NULL, &buf), -EBADF);
	fake_fail(FAKE_FD_SIZE, EIO, 0);
	assert_int_equal(vshmem_buf_import(fd, NULL, &buf), -EIO);
	assert_null(buf);
	assert_true(fake_fd_open(fd));
	close(fd);
	close(other);
}

static void test_dup(void **state)
{
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	int fd;

	(void)state;
	fd = vshmem_buf_dup_fd(buf);
	assert_true(fd >= 0);
	assert_int_not_equal(fd, vshmem_buf_get_fd(buf));
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fake_fail(FAKE_DUP, EMFILE, 0);
	assert_int_equal(vshmem_buf_dup_fd(buf), -EMFILE);
	assert_int_equal(vshmem_buf_dup_fd(NULL), -EINVAL);
	assert_int_equal(vshmem_buf_get_fd(NULL), -EINVAL);
	assert_int_equal(vshmem_buf_get_kind(NULL), -EINVAL);
	assert_int_equal(vshmem_buf_get_size(NULL), 0);
	vshmem_buf_close(buf);
}

static void test_map(void **state)
{
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	void *p = NULL, *q = NULL, *r;

	(void)state;
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &p), 0);
	memset(p, 0xa5, 4096);
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &q), 0);
	assert_ptr_equal(p, q);
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_READ, &r), -EBUSY);
	assert_int_equal(vshmem_buf_unmap(buf), 0);
	assert_int_equal(vshmem_buf_unmap(buf), 0);	/* not mapped: fine */
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_READ, &p), 0);
	assert_int_equal(((unsigned char *)p)[100], 0xa5);
	fake_fail(FAKE_MUNMAP, EINVAL, 0);
	assert_int_equal(vshmem_buf_unmap(buf), -EINVAL);
	fake_fail(FAKE_MUNMAP, 0, 0);
	vshmem_buf_close(buf);	/* unmaps for us */
}

static void test_map_errors(void **state)
{
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	void *p = NULL;

	(void)state;
	assert_int_equal(vshmem_buf_map(NULL, VSHMEM_ACCESS_RW, &p), -EINVAL);
	assert_int_equal(vshmem_buf_map(buf, 0, &p), -EINVAL);
	assert_int_equal(vshmem_buf_map(buf, 8, &p), -EINVAL);
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, NULL), -EINVAL);
	fake_fail(FAKE_MMAP, EACCES, 0);	/* e.g. lent out */
	assert_int_equal(vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &p), -EACCES);
	assert_null(p);
	assert_int_equal(vshmem_buf_unmap(NULL), -EINVAL);
	vshmem_buf_close(buf);
}

static void test_sync(void **state)
{
	struct vshmem_buf *buf = alloc_buf("system", 4096);

	(void)state;
	assert_int_equal(vshmem_buf_sync_start(buf, VSHMEM_ACCESS_RW), 0);
	assert_int_equal(fake.sync_flags, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	assert_int_equal(vshmem_buf_sync_end(buf, VSHMEM_ACCESS_READ), 0);
	assert_int_equal(fake.sync_flags, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	assert_int_equal(vshmem_buf_sync_start(buf, VSHMEM_ACCESS_WRITE), 0);
	assert_int_equal(fake.sync_flags, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	assert_int_equal(vshmem_buf_sync_start(buf, 0), -EINVAL);
	assert_int_equal(vshmem_buf_sync_end(NULL, VSHMEM_ACCESS_RW), -EINVAL);
	fake_fail(FAKE_IOCTL, EPERM, 0);
	assert_int_equal(vshmem_buf_sync_start(buf, VSHMEM_ACCESS_RW), -EPERM);
	fake_fail(FAKE_IOCTL, 0, 0);
	vshmem_buf_close(buf);
}

static void test_set_name(void **state)
{
	struct vshmem_buf *buf = alloc_buf("system", 4096);

	(void)state;
	assert_int_equal(vshmem_buf_set_name(buf, "hello"), 0);
	assert_string_equal(fake.name, "hello");
	assert_int_equal(vshmem_buf_set_name(buf, ""), -EINVAL);
	assert_int_equal(vshmem_buf_set_name(buf, NULL), -EINVAL);
	assert_int_equal(vshmem_buf_set_name(NULL, "x"), -EINVAL);
	assert_int_equal(vshmem_buf_set_name(buf, "0123456789012345678901234567890123"), -EINVAL);
	vshmem_buf_close(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alloc),
		T(test_alloc_errors),
		T(test_import),
		T(test_import_no_proc),
		T(test_import_errors),
		T(test_dup),
		T(test_map),
		T(test_map_errors),
		T(test_sync),
		T(test_set_name),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
