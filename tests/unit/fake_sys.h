/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake kernel behind the library's syscall seam (lib/sys.c). Objects are
 * real memfds, so fd leaks show up in /proc/self/fd, but their behaviour
 * (heap, dma-buf, vsock socket, DRM device) is scripted here.
 */
#ifndef FAKE_SYS_H
#define FAKE_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../../lib/vsock-shmem-uapi.h"	/* the library's private copy */

enum fake_op {
	FAKE_OPEN, FAKE_CLOSE, FAKE_IOCTL, FAKE_MMAP, FAKE_MUNMAP, FAKE_DUP,
	FAKE_FD_SIZE, FAKE_FDINFO, FAKE_LIST_DIR, FAKE_SOCKET, FAKE_CONNECT,
	FAKE_BIND, FAKE_LISTEN, FAKE_ACCEPT, FAKE_GETSOCKOPT, FAKE_SENDMSG,
	FAKE_RECVMSG, FAKE_POLL, FAKE_NOPS
};

enum fake_kind { FK_NONE, FK_HEAP, FK_DMABUF, FK_SOCK, FK_LISTEN, FK_DRM,
		 FK_OTHER };

#define FAKE_MAX_MSGS 8

struct fake_sent {
	unsigned char data[256];
	size_t len;
	bool has_desc;
	struct vsock_shmem desc;
};

struct fake_rx {
	unsigned char data[64];
	size_t len;
	unsigned char ctl[512];
	size_t ctl_len;
	int flags;
};

struct fake_state {
	int fail_errno[FAKE_NOPS];	/* make the op fail with this errno */
	int fail_skip[FAKE_NOPS];	/* after this many successful calls */
	int calls[FAKE_NOPS];

	const char *heaps[8];		/* present in /dev/dma_heap */
	bool no_heap_dir;
	bool no_proc;			/* fdinfo answers -ENOENT */

	int caps_errno;			/* getsockopt(SHMEM_CAPS) */
	uint64_t caps;			/* kernel (uapi) bits */
	socklen_t caps_len;		/* 0: sizeof(u64) */
	int sock_domain;		/* SO_DOMAIN (0: AF_VSOCK) */
	int sock_type;			/* SO_TYPE (0: SOCK_SEQPACKET) */

	size_t send_max;		/* cap bytes per sendmsg (0: none) */
	int send_errno_subop;		/* fail sends of this subop+1 ... */
	int send_errno;			/* ... with this errno */
	struct fake_sent sent[FAKE_MAX_MSGS];
	int nsent;

	struct fake_rx rx[FAKE_MAX_MSGS];
	int nrx, rx_pos;
	bool rx_eof;			/* when the script runs out: 0, not -EAGAIN */
	bool poll_timeout;
	int64_t now_ms;			/* vshmem_sys_now_ms() */
	int clock_step_ms;		/* added per call (0: 1) */
	int last_recv_flags;

	uint64_t sync_flags;
	char name[64];
};

extern struct fake_state fake;

void fake_reset(void);
void fake_fail(enum fake_op op, int err, int skip);
int fake_new_fd(enum fake_kind kind, size_t size);
enum fake_kind fake_kind_of(int fd);
int fake_count_fds(void);
bool fake_fd_open(int fd);

/* Queue a message for recvmsg. desc may be NULL (data only). */
void fake_rx_push(const void *data, size_t len, const struct vsock_shmem *desc,
		  int flags);
void fake_rx_push_raw(const void *data, size_t len, const void *ctl,
		      size_t ctl_len, int flags);
/* Build a LOCAL offer descriptor with a fresh fake dma-buf fd. */
struct vsock_shmem fake_offer_desc(uint64_t id, size_t size, uint32_t kind);

#endif
