/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-guest test harness: one small static library (the .c files here)
 * built once per architecture and linked into every in-guest test program,
 * the raw kernel tests of kernel/tests/ and the libvshmem ones of tests/vm/
 * alike (kernel/scripts/lib.sh: harness_lib, compile_guest; tests/vm/
 * common.sh: vm_build_prog).
 *
 * It talks to the kernel's uAPI directly and never to libvshmem, so that
 * the kernel's own tests can use it. The two styles of case on top of it:
 * kernel/tests/shmem_test.h (bool cases, -1 and errno, as the kernel's
 * selftests) and tests/vm/vmtest.h (a runner, 0 / VT_FAIL / VT_SKIP cases,
 * and the libvshmem flows).
 *
 * By job: tap.c (the case runner, diagnostics), probe.c (the one fault
 * probe), sock.c (listen, connect, loopback pairs), cmsg.c (SCM_VSOCK_SHMEM
 * messages), buf.c (dma-buf heaps, patterns), meter.c (leak meters,
 * debugfs and procfs files), child.c (a helper process).
 *
 * Every function returning int or ssize_t returns a negative errno on
 * failure, never -1 + errno, unless it says otherwise.
 */
#ifndef VSHMEM_HARNESS_H
#define VSHMEM_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "../../lib/vsock-shmem-uapi.h"	/* the kernel uAPI, or its copy */

#define MiB (1024UL * 1024UL)
#define PAGE 4096UL
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tap.c: the case runner ---------------------------------------- */

struct vt_case {
	const char *name;
	int (*fn)(void);	/* 0 pass, anything else fail */
};

#define VT_FAIL 1
#define VT_SKIP 77	/* return vt_skip("why") from a case */

/* VT_SKIP, with the reason shown on the case's TAP line. */
int vt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A TAP comment ("# ..."): never the words the console scanner of
 * vm-run.sh treats as kernel splats. */
void vt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A case whose work is long by design sets its own watchdog (seconds)
 * first: it catches a hang, it is not a speed limit. */
void vt_watchdog(unsigned int s);
/* Runs the cases (each in its own child process: a stray SIGBUS or a
 * hang fails that case only) as a TAP stream; "--list" prints their
 * names, other arguments select cases by name. 0 if all passed. */
int vt_main(const struct vt_case *cases, size_t n, int argc, char **argv);

#define VT_MAIN(cases)							\
	int main(int argc, char **argv)					\
	{								\
		return vt_main(cases, ARRAY_LEN(cases), argc, argv);	\
	}

/* ---- probe.c: the fault probe -------------------------------------- */

/* Reads (or, with write, rewrites) *p: 0 when that worked, else the
 * signal it raised (SIGBUS, SIGSEGV). */
int vt_probe(volatile unsigned char *p, bool write);

#define vt_read_sig(p) vt_probe((volatile unsigned char *)(p), false)
#define vt_write_sig(p) vt_probe((volatile unsigned char *)(p), true)

/* ---- sock.c: vsock sockets ----------------------------------------- */

/* A fresh port for every pair: a listener of a failed case may linger. */
unsigned int vt_port(void);
/* A socket of type bound to port of any CID and listening (backlog). */
int hx_listen(int type, unsigned int port, int backlog);
/* A socket of type connected to cid:port. */
int hx_connect(int type, unsigned int cid, unsigned int port);

/* Both ends of a loopback connection in this process. */
struct raw_pair {
	int listener, lender, borrower;
	unsigned int port;
};

/* On port (0: a fresh one); 0 or -errno (closed again, with a diagnostic). */
int raw_pair_open(struct raw_pair *p, int type);
int raw_pair_open_on(struct raw_pair *p, int type, unsigned int port);
void raw_pair_close(struct raw_pair *p);

/* ---- cmsg.c: SCM_VSOCK_SHMEM --------------------------------------- */

/* A request: the type goes with an OFFER, an end is placed by its id. */
struct vsock_shmem raw_desc(uint32_t subop, int fd, uint64_t id,
			    uint32_t flags);
/* sendmsg() with ctllen bytes of control ctl and len data bytes (or a
 * control-only message with len 0), MSG_NOSIGNAL added to flags. */
ssize_t raw_sendmsg(int sock, const void *ctl, size_t ctllen,
		    const void *data, size_t len, int flags);
/* One well-formed SCM_VSOCK_SHMEM request d with len bytes of data. */
ssize_t hx_send_desc(int sock, const struct vsock_shmem *d, const void *data,
		     size_t len);
/* The same with data_len (up to 16) bytes of "x". */
ssize_t raw_send_desc(int sock, const struct vsock_shmem *d, size_t data_len);
/* Offer dma-buf fd with id (one data byte); 0 or -errno. */
int raw_offer(int sock, int fd, uint64_t id, uint32_t flags);
/* RELINQUISH or RECLAIM of id (control only); 0 or -errno. */
int raw_end(int sock, uint32_t subop, uint64_t id);

/* Room for any control message a case sends or receives. */
union raw_ctl {
	struct cmsghdr align;
	unsigned char buf[512];
};

/* What one recvmsg() got. */
struct raw_rx {
	ssize_t n;		/* bytes, or -errno */
	int msg_flags;
	bool has;		/* an SCM_VSOCK_SHMEM message came */
	int ncmsg;		/* control messages seen */
	struct vsock_shmem d;
	char data[64];
};

/* recvmsg() of up to len bytes into data with room for ctllen (at most
 * sizeof(union raw_ctl), may be 0) bytes of control; r->n, r->msg_flags, r->has,
 * r->ncmsg and r->d tell what came (r->data is not used). Returns r->n. */
ssize_t hx_recvmsg(int sock, void *data, size_t len, int flags, size_t ctllen,
		   struct raw_rx *r);
/* The same into r.data, after waiting up to timeout_ms for something to
 * come (r.n -ETIMEDOUT if nothing did; 0: MSG_DONTWAIT). */
struct raw_rx raw_recv(int sock, size_t ctllen, int flags, int timeout_ms);
/* The next message must carry subop for id; returns the received fd
 * (OFFER) or 0, or -1 (after a diagnostic). */
int raw_expect(int sock, uint32_t subop, uint64_t id);
/* How long raw_nothing_queued() waits for something that should not come
 * (delivery is asynchronous, through the transport's worker). */
extern int raw_quiet_ms;
/* Nothing (no data, no control message) is waiting on sock: 0 / VT_FAIL. */
int raw_nothing_queued(int sock);

/* ---- buf.c: dma-buf heaps and patterns ------------------------------ */

/* A dma-buf of len bytes from /dev/dma_heap/heap: its fd, or -errno. */
int raw_alloc(const char *heap, uint64_t len);
/* The word pattern of seed of the tests/vm suites (and their hosts). */
void vt_fill(void *b, size_t n, unsigned int seed);
/* 0 if b holds it, else VT_FAIL with the first offset. */
int vt_check(const void *b, size_t n, unsigned int seed);
int vt_check_zero(const void *b, size_t n);

/* ---- meter.c: leak meters, debugfs ----------------------------------- */

int vt_fd_count(void);
/* Whether an FF-A partition is on the arm_ffa bus (the arm64 guest behind
 * TF-A + OP-TEE): there vsock loopback also carries TYPE_FFA and
 * SEND_SECURE offers (docs/design.md). A system property, not a caps
 * query: the caps are what the cases check. */
bool vt_loopback_ffa(void);
/* The one reader of the kernel's "name value" statistics files: the
 * values of the n counters names of path into vals (those missing: -1).
 * The number found, or -errno if path cannot be read. */
int hx_stats_read(const char *path, const char *const *names,
		  long long *vals, size_t n);
/* A counter of /sys/kernel/debug/vsock_shmem/stats, or -1 (diagnosed). */
long long vt_stat(const char *name);
/* `outstanding' back to want within 5 s (the kernel finishes a reclaim
 * asynchronously in a few cases): 0 or VT_FAIL. */
int vt_wait_outstanding(long long want);
long vt_memfree_kb(void);
/* Live dma-bufs in the system (debugfs dma_buf/bufinfo), or -1. */
long long raw_dmabuf_count(long long *bytes);
int raw_write_file(const char *path, const char *val);
/* The number a file starts with, or -1. */
long long raw_read_ll(const char *path);

struct raw_meter {
	int fds;
	long long outstanding;
};

int raw_meter_start(struct raw_meter *m);
/* Same fds open, debugfs outstanding back where it was: 0 or VT_FAIL. */
int raw_meter_check(const struct raw_meter *m);

/* What most raw cases start with: the leak meter, a buffer of heap and a
 * connected pair of type; raw_case_close() ends them and checks the meter.
 * 0 or VT_FAIL. */
struct raw_case {
	struct raw_meter m;
	struct raw_pair p;
	int buf;
};

int raw_case_open(struct raw_case *tc, const char *heap, uint64_t len,
		  int type);
int raw_case_close(struct raw_case *tc);

#define FI_SLAB "/sys/kernel/debug/failslab"
#define FI_PAGE "/sys/kernel/debug/fail_page_alloc"

/* ---- child.c: a helper process --------------------------------------- */

/* Runs fn(arg, fd) in a child; fd is the child's end of a socketpair used
 * to synchronise (vt_send_byte / vt_wait_byte). Objects are never shared
 * across fork: the child opens its own. */
struct vt_child {
	pid_t pid;
	int fd;
};

int vt_spawn(struct vt_child *c, int (*fn)(void *arg, int fd), void *arg);
int vt_send_byte(int fd, char b);
/* Waits for byte want (timeout in seconds): 0 or VT_FAIL. */
int vt_wait_byte(int fd, char want, int timeout_s);
/* Waits for the child: 0 if it passed, else VT_FAIL. */
int vt_reap(struct vt_child *c);

#endif /* VSHMEM_HARNESS_H */
