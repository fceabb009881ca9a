/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel tests' style on top of the harness (kernel/tests/shmem_*.c
 * include it through shmem_test.h): cases are bool functions, CHECK()
 * returns false with the failed condition on stderr, report() prints
 * one TAP line, and the helpers return -1 with errno set on failure, as
 * the syscalls they wrap.
 */
#ifndef VSHMEM_HARNESS_SELFTEST_H
#define VSHMEM_HARNESS_SELFTEST_H

#include <stdarg.h>
#include <sys/ioctl.h>
#include <linux/dma-heap.h>

#include "harness.h"

/* The TAP lines reported so far, and how many of them failed. */
extern int test_no;
extern int failed;

void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: %s failed (errno %d %s)\n",	\
			__func__, __LINE__, #cond, errno, strerror(errno)); \
		return false;						\
	}								\
} while (0)

/* A dma-buf of size bytes from /dev/dma_heap/name (heap_alloc: "system"). */
int heap_alloc_from(const char *name, size_t size);
int heap_alloc(size_t size);

/* The byte pattern of seed (the virtio host programs check it too). */
uint8_t pattern(size_t i, unsigned int seed);
void fill(uint8_t *p, size_t size, unsigned int seed);
bool check(const uint8_t *p, size_t size, unsigned int seed);

int listen_on(int type, unsigned int port);
/* A socket of type connected to cid:port (connect_to: the loopback CID). */
int connect_cid(int type, unsigned int cid, unsigned int port);
int connect_to(int type, unsigned int port);
/* Connected pair over loopback: *a from connect(), *b from accept(). */
bool socket_pair(int type, unsigned int port, int *a, int *b);

/* socket_pair() and a dma-buf of size bytes of heap (*buf). */
bool pair_and_buffer(int type, unsigned int port, const char *heap,
		     size_t size, int *a, int *b, int *buf);

/* sendmsg() of one SCM_VSOCK_SHMEM request and len bytes of data. */
ssize_t send_shmem(int sock, const struct vsock_shmem *req, const void *data,
		   size_t len);
/* An OFFER of dmabuf (TYPE_LOCAL), and an end (RELINQUISH / RECLAIM). */
ssize_t offer(int sock, int dmabuf, uint64_t id, uint64_t tag,
	      const void *data, size_t len);
ssize_t end_offer(int sock, uint32_t subop, uint64_t id);
/* recvmsg() with room for one SCM_VSOCK_SHMEM; *got tells if one came
 * (then in *out); msg_flags may be NULL. */
ssize_t recv_shmem(int sock, void *data, size_t len, int flags,
		   struct vsock_shmem *out, bool *got, int *msg_flags);

int count_fds(void);
/* A counter of the vsock_shmem debugfs stats, or -1. */
long long stat_value(const char *name);

/* The SO_VM_SOCKETS_SHMEM_CAPS of a connected vsock socket. */
bool get_caps(int fd, uint64_t *caps);

/* size bytes from heap, mapped read-write and filled with pattern seed:
 * the mapping (MAP_FAILED on failure) and the dma-buf's fd in *buf. */
uint8_t *filled_buffer(const char *heap, size_t size, unsigned int seed,
		       int *buf);

/*
 * Allocate size bytes from heap, fill them with pattern seed, offer them
 * over a with flags and one data byte, and receive the offer on b into
 * in. Returns the lender's mapping (MAP_FAILED on failure) and the
 * lender's dma-buf fd in buf.
 */
uint8_t *offer_filled(int a, int b, const char *heap, size_t size,
		      uint64_t id, uint32_t flags, unsigned int seed,
		      int *buf, struct vsock_shmem *in);

/* Does reading *p raise SIGBUS? */
bool read_faults(const volatile uint8_t *p);

#endif /* VSHMEM_HARNESS_SELFTEST_H */
