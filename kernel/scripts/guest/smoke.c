// SPDX-License-Identifier: MIT
/*
 * Smoke test for the test guest (vm-run.sh self-check): allocate a buffer
 * from /dev/dma_heap/system, mmap it, and open an AF_VSOCK SOCK_SEQPACKET
 * socket. Built statically against the prepared tree's uapi headers.
 * Usage: smoke [EXIT_CODE]  (exits with EXIT_CODE after the checks passed,
 * to test that exit codes propagate out of the VM).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/dma-heap.h>
#include <linux/vm_sockets.h>

static int fail(const char *what)
{
	fprintf(stderr, "smoke: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data alloc = {
		.len = 4096,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap, sock;
	char *p;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return fail("open /dev/dma_heap/system");
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) < 0)
		return fail("DMA_HEAP_IOCTL_ALLOC");
	p = mmap(NULL, alloc.len, PROT_READ | PROT_WRITE, MAP_SHARED, alloc.fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap dma-buf");
	memset(p, 0x5a, alloc.len);
	munmap(p, alloc.len);
	printf("smoke: dma-buf fd %u (%llu bytes) allocated and mapped\n",
	       alloc.fd, (unsigned long long)alloc.len);

	sock = socket(AF_VSOCK, SOCK_SEQPACKET, 0);
	if (sock < 0)
		return fail("socket(AF_VSOCK, SOCK_SEQPACKET)");
	printf("smoke: AF_VSOCK SOCK_SEQPACKET socket %d opened\n", sock);
	close(sock);
	close(alloc.fd);
	close(heap);
	return argc > 1 ? atoi(argv[1]) : 0;
}
