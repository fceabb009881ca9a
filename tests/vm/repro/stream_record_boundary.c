// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reproducer (raw syscalls, patched uapi headers) for the kernel bug that
 * vm_share/share_inline_data_stream found: on SOCK_STREAM, the recvmsg()
 * that delivers an offer also returns the bytes of a later, separate
 * send() (docs/design.md 8.2: "on SOCK_STREAM never bytes sent before or
 * after it in other calls"). SOCK_SEQPACKET is right. Not part of the
 * suite. Fixed by commit 9c81cbd (an offer's data bytes are a record on
 * SOCK_STREAM); kept to check a regression by hand, in the guest:
 *   gcc -static -isystem ~/.cache/libvshmem/kernel/headers/include \
 *       -o stream_boundary stream_record_boundary.c
 *   kernel/scripts/vm-run.sh --add stream_boundary -- stream_boundary stream
 * Expected: recvmsg 1 returns 38 bytes with the offer, recvmsg 2 "after".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/dma-heap.h>
#include <linux/vm_sockets.h>

int main(int argc, char **argv)
{
	int type = argc > 1 && !strcmp(argv[1], "seqpacket") ? SOCK_SEQPACKET : SOCK_STREAM;
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = 9999 };
	int l = socket(AF_VSOCK, type, 0), c = socket(AF_VSOCK, type, 0), s;
	struct dma_heap_allocation_data d = { .len = 65536, .fd_flags = O_RDWR | O_CLOEXEC };
	int heap = open("/dev/dma_heap/system", O_RDONLY);
	char data[38] = "inline bytes that come with the offer", buf[256];
	union { char b[CMSG_SPACE(sizeof(struct vsock_shmem))]; struct cmsghdr h; } cb;
	struct vsock_shmem sh = { .subop = VSOCK_SHMEM_SUBOP_OFFER, .type = VSOCK_SHMEM_TYPE_LOCAL, .id = 5 };
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b, .msg_controllen = sizeof(cb.b) };

	ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d);
	sh.fd = d.fd;
	bind(l, (void *)&a, sizeof(a)); listen(l, 1);
	a.svm_cid = VMADDR_CID_LOCAL;
	if (connect(c, (void *)&a, sizeof(a))) { perror("connect"); return 1; }
	s = accept(l, NULL, NULL);
	cb.h.cmsg_level = SOL_VSOCK; cb.h.cmsg_type = SCM_VSOCK_SHMEM;
	cb.h.cmsg_len = CMSG_LEN(sizeof(sh));
	memcpy(CMSG_DATA(&cb.h), &sh, sizeof(sh));
	printf("send before: %zd\n", send(c, "before", 6, 0));
	printf("sendmsg offer + 38 bytes: %zd\n", sendmsg(c, &m, 0));
	printf("send after: %zd\n", send(c, "after", 5, 0));
	sleep(1);
	for (int i = 0; i < 3; i++) {
		union { char b[CMSG_SPACE(sizeof(struct vsock_shmem))]; struct cmsghdr h; } rb;
		struct iovec ri = { buf, sizeof(buf) };
		struct msghdr rm = { .msg_iov = &ri, .msg_iovlen = 1, .msg_control = rb.b, .msg_controllen = sizeof(rb.b) };
		ssize_t n = recvmsg(s, &rm, MSG_DONTWAIT);
		printf("recvmsg %d: %zd bytes, controllen %zu%s: \"%.*s\"\n", i, n, (size_t)rm.msg_controllen,
		       rm.msg_controllen ? " (offer)" : "", n > 0 ? (int)n : 0, buf);
	}
	return 0;
}
