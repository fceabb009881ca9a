/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the unit tests: every case starts from a fresh fake kernel and
 * fails if it leaves an fd behind. */
#ifndef TEST_COMMON_H
#define TEST_COMMON_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libvshmem/vshmem.h>

#include "fake_sys.h"

static int fd_baseline;

static inline int setup(void **state)
{
	(void)state;
	fake_reset();
	fd_baseline = fake_count_fds();
	return 0;
}

static inline int teardown(void **state)
{
	int now = fake_count_fds();

	(void)state;
	if (now != fd_baseline) {
		print_error("fd leak: %d open before, %d after\n", fd_baseline,
			    now);
		return -1;
	}
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* Kernel caps bits for a transport that can do everything locally. */
#define CAPS_ALL (VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL) | \
		  VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE) | \
		  VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_LEND) | \
		  VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SEND_SECURE))
#define CAPS_SHARE (VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL) | \
		    VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE))

static inline struct vshmem_channel *connect_ch(uint64_t ucaps)
{
	struct vshmem_channel *ch = NULL;

	fake.caps = ucaps;
	assert_int_equal(vshmem_channel_connect(3, 1234, NULL, &ch), 0);
	return ch;
}

static inline struct vshmem_buf *alloc_buf(const char *heap_name, size_t size)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;

	fake.heaps[0] = heap_name;
	assert_int_equal(vshmem_heap_open(heap_name, &heap), 0);
	assert_int_equal(vshmem_buf_alloc(heap, size, NULL, &buf), 0);
	vshmem_heap_close(heap);
	fake.heaps[0] = "system";
	return buf;
}

#endif
