// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers of the in-guest tests: dma-bufs straight from a heap, and the
 * word pattern of the tests/vm suites (the virtio host programs check it
 * too; the kernel tests' byte pattern is in selftest.c).
 */
#include <sys/ioctl.h>
#include <linux/dma-heap.h>

#include "harness.h"

int raw_alloc(const char *heap, uint64_t len)
{
	struct dma_heap_allocation_data d = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[64];
	int hfd, ret;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	hfd = open(path, O_RDONLY | O_CLOEXEC);
	if (hfd < 0)
		return -errno;
	ret = ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d) < 0 ? -errno : (int)d.fd;
	close(hfd);
	if (ret < 0)
		errno = -ret;	/* for the callers of the errno style */
	return ret;
}

static uint32_t word(size_t i, unsigned int seed)
{
	return (uint32_t)(i * 2654435761u) ^ (seed * 0x9e3779b9u);
}

void vt_fill(void *b, size_t n, unsigned int seed)
{
	uint32_t *w = b;

	for (size_t i = 0; i < n / 4; i++)
		w[i] = word(i, seed);
}

int vt_check(const void *b, size_t n, unsigned int seed)
{
	const uint32_t *w = b;

	for (size_t i = 0; i < n / 4; i++)
		if (w[i] != word(i, seed)) {
			vt_diag("pattern %u differs at byte %zu", seed, i * 4);
			return VT_FAIL;
		}
	return 0;
}

int vt_check_zero(const void *b, size_t n)
{
	const unsigned char *c = b;

	for (size_t i = 0; i < n; i++)
		if (c[i]) {
			vt_diag("byte %zu is %#x, not 0", i, c[i]);
			return VT_FAIL;
		}
	return 0;
}
