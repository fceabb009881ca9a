/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the in-guest SCM_VSOCK_SHMEM tests: TAP output, heap
 * allocation, loopback socket pairs, sending and receiving the control
 * message, fault probing and the debugfs counters.
 */
#ifndef SHMEM_TEST_H
#define SHMEM_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/dma-heap.h>
#include <linux/vm_sockets.h>

static int test_no;
static int failed;

static inline void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failed++;
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: %s failed (errno %d %s)\n",	\
			__func__, __LINE__, #cond, errno, strerror(errno)); \
		return false;						\
	}								\
} while (0)

static inline int heap_alloc_from(const char *name, size_t size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[64];
	int heap;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name);
	heap = open(path, O_RDONLY | O_CLOEXEC);

	if (heap < 0)
		return -1;
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		close(heap);
		return -1;
	}
	close(heap);
	return data.fd;
}

static inline int heap_alloc(size_t size)
{
	return heap_alloc_from("system", size);
}

static inline uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 12));
}

static inline void fill(uint8_t *p, size_t size, unsigned int seed)
{
	for (size_t i = 0; i < size; i++)
		p[i] = pattern(i, seed);
}

static inline bool check(const uint8_t *p, size_t size, unsigned int seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(i, seed))
			return false;
	return true;
}

static inline int listen_on(int type, unsigned int port)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket of type connected to cid:port, or -1. */
static inline int connect_cid(int type, unsigned int cid, unsigned int port)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = cid,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int connect_to(int type, unsigned int port)
{
	return connect_cid(type, VMADDR_CID_LOCAL, port);
}

/* Connected pair over loopback: *a from connect(), *b from accept(). */
static inline bool socket_pair(int type, unsigned int port, int *a, int *b)
{
	int l = listen_on(type, port);

	CHECK(l >= 0);
	*a = connect_to(type, port);
	CHECK(*a >= 0);
	*b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(*b >= 0);
	close(l);
	return true;
}

static inline ssize_t send_shmem(int sock, const struct vsock_shmem *req,
			  const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	memset(&ctl, 0, sizeof(ctl));
	cmsg->cmsg_level = SOL_VSOCK;
	cmsg->cmsg_type = SCM_VSOCK_SHMEM;
	cmsg->cmsg_len = CMSG_LEN(sizeof(*req));
	memcpy(CMSG_DATA(cmsg), req, sizeof(*req));
	return sendmsg(sock, &msg, 0);
}

static inline ssize_t offer(int sock, int dmabuf, uint64_t id, uint64_t tag,
		     const void *data, size_t len)
{
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = id,
		.fd = dmabuf,
		.tag = tag,
	};

	return send_shmem(sock, &req, data, len);
}

static inline ssize_t end_offer(int sock, uint32_t subop, uint64_t id)
{
	struct vsock_shmem req = { .subop = subop, .id = id, .fd = -1 };

	return send_shmem(sock, &req, NULL, 0);
}

/* recvmsg() with room for one SCM_VSOCK_SHMEM; *got tells if one came. */
static inline ssize_t recv_shmem(int sock, void *data, size_t len, int flags,
			  struct vsock_shmem *out, bool *got, int *msg_flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*got = false;
	n = recvmsg(sock, &msg, flags);
	if (n < 0)
		return n;
	if (msg_flags)
		*msg_flags = msg.msg_flags;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_VSOCK &&
		    cmsg->cmsg_type == SCM_VSOCK_SHMEM &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(*out))) {
			memcpy(out, CMSG_DATA(cmsg), sizeof(*out));
			*got = true;
		}
	}
	return n;
}

static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static inline long long stat_value(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/vsock_shmem/stats", "r");
	char key[64];
	long long v;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return v;
		}
	}
	fclose(f);
	return -1;
}

/*
 * Allocate @size bytes from @heap, fill them with pattern @seed, offer them
 * over @a with @flags and one data byte, and receive the offer on @b into
 * @in. Returns the lender's mapping (MAP_FAILED on failure) and the
 * lender's dma-buf fd in @buf.
 */
static inline uint8_t *offer_filled(int a, int b, const char *heap, size_t size,
				    uint64_t id, uint32_t flags, unsigned int seed,
				    int *buf, struct vsock_shmem *in)
{
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = id,
		.flags = flags,
	};
	uint8_t *p;
	char data;
	bool got;

	*buf = heap_alloc_from(heap, size);
	if (*buf < 0)
		return MAP_FAILED;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *buf, 0);
	if (p == MAP_FAILED)
		return p;
	fill(p, size, seed);
	req.fd = *buf;
	if (send_shmem(a, &req, "o", 1) != 1 ||
	    recv_shmem(b, &data, 1, 0, in, &got, NULL) != 1 || !got) {
		munmap(p, size);
		return MAP_FAILED;
	}
	return p;
}

static sigjmp_buf fault_jmp;

static inline void on_sigbus(int sig __attribute__((unused)))
{
	siglongjmp(fault_jmp, 1);
}

/* Does reading *p raise SIGBUS? */
static inline bool read_faults(const volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool faulted = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(fault_jmp, 1))
		faulted = true;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

#endif /* SHMEM_TEST_H */
