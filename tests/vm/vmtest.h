/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-guest integration tests (tests/vm/vm_*.c) on the one in-guest test
 * harness (tests/harness/harness.h: the case runner, fault probe, sockets,
 * SCM_VSOCK_SHMEM messages, leak meters, helper processes): the check
 * macros of their cases, and the libvshmem flows they share (vmtest.c).
 * tests/vm/common.sh (vm_build_prog) links both libraries.
 *
 * The cases of vm_share, vm_lend, vm_errors, vm_many and vm_peer use the
 * public libvshmem API only; vm_hostile, vm_faults, vm_isolation and
 * vm_stress also talk to the kernel's uAPI directly (the raw_* helpers),
 * to send what the library never would.
 *
 * Each program takes no argument (runs all cases, TAP on stdout, exit 1 if
 * any failed), "--list" (prints the case names; tests/vm/run.sh uses it on
 * the host to know what must have run) or case names (runs only those).
 */
#ifndef VSHMEM_VMTEST_H
#define VSHMEM_VMTEST_H

#include <dirent.h>
#include <poll.h>
#include <stdarg.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include <libvshmem/vshmem.h>

#include "../harness/harness.h"

#define CHECK(cond) do {						\
		if (!(cond)) {						\
			vt_diag("%s:%d: check failed: %s (errno %d)",	\
				__func__, __LINE__, #cond, errno);	\
			return VT_FAIL;					\
		}							\
	} while (0)

#define CHECK_EQ(a, b) do {						\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			vt_diag("%s:%d: check failed: %s == %s (%lld != %lld%s%s)", \
				__func__, __LINE__, #a, #b, _a, _b,	\
				_a < 0 && _a > -4096 ? ": " : "",	\
				_a < 0 && _a > -4096 ? strerror((int)-_a) : ""); \
			return VT_FAIL;					\
		}							\
	} while (0)

/* Run a sub-step that returns 0 / VT_FAIL and propagate a failure. */
#define TRY(expr) do { if ((expr) != 0) return VT_FAIL; } while (0)

#define RAW_PAIR(p, type) CHECK_EQ(raw_pair_open(p, type), 0)

/* ---- channels ------------------------------------------------------ */

struct vt_pair {
	struct vshmem_channel *listener, *lender, *borrower;
	unsigned int port;
};

/* Both ends in this process: the lender connects, the borrower is
 * accepted. 0 or -errno (closed again, with a diagnostic). */
int vt_pair_open(struct vt_pair *p, int sock_type);
void vt_pair_close(struct vt_pair *p);

#define PAIR(p, type) CHECK_EQ(vt_pair_open(p, type), 0)

/* ---- buffers and offers -------------------------------------------- */

/* size bytes of heap_name, or NULL (diagnosed). */
struct vshmem_buf *vt_alloc(const char *heap_name, size_t size);
/* The mapping of buf for access, or NULL (diagnosed). */
void *vt_map(struct vshmem_buf *buf, unsigned int access);
/* Offer with an explicit id/flags. */
int vt_offer(struct vshmem_channel *ch, struct vshmem_buf *buf, uint64_t id,
	     unsigned int flags, struct vshmem_offer **ret);
/* Receive one message that must carry an offer; returns the incoming. */
struct vshmem_incoming *vt_recv_offer(struct vshmem_channel *ch);

/* ---- flows shared by the suites -------------------------------------- */

/*
 * One offer over a loopback pair, the way most cases run it:
 * vt_flow_open() (the pair, a buffer of heap the lender maps and fills),
 * vt_flow_send() (the offer), vt_flow_recv() (the incoming, mapped and
 * checked), then vt_flow_close() (whatever is left, in order).
 */
struct vt_flow {
	struct vt_pair p;
	struct vshmem_buf *buf;
	size_t size;
	void *lp;			/* the lender's mapping (NULL: none) */
	struct vshmem_offer *o;
	struct vshmem_incoming *in;
	void *bp;			/* the borrower's mapping */
};

/* The pair of type and size bytes of heap; unless seed is 0, mapped RW
 * (lp) and filled with seed. 0 or VT_FAIL. */
int vt_flow_open(struct vt_flow *f, int type, const char *heap, size_t size,
		 unsigned int seed);
/* Offers f->buf with flags on the lender: 0 or VT_FAIL. */
int vt_flow_send(struct vt_flow *f, unsigned int flags);
/* Receives the offer (in); unless access is 0, maps its buffer (bp) and,
 * unless seed is 0, checks seed there. 0 or VT_FAIL. */
int vt_flow_recv(struct vt_flow *f, unsigned int access, unsigned int seed);
/* The borrower releases and closes in, the lender sees the offer back. */
int vt_flow_give_back(struct vt_flow *f);
/* Closes the incoming, frees the offer, closes the buffer and the pair. */
void vt_flow_close(struct vt_flow *f);

/* The borrower gives the offer back (release, close) and the lender sees
 * it come back: 0 or VT_FAIL. */
int vt_give_back(struct vshmem_incoming *in, struct vshmem_offer *o);

/*
 * A borrower in another process (vt_offer_to_child() starts it): listens
 * on port, says 'L', takes one offer of size bytes (of kind, unless 0),
 * checks seed, writes seed + 1 and says 'H' (holding it). Then it waits
 * for 'C' and releases the buffer, or, with hold_until_killed, waits to
 * be killed.
 */
struct vt_borrower_arg {
	int type;
	unsigned int port;
	size_t size;
	unsigned int kind, seed;
	bool hold_until_killed;
};

/* Starts that borrower (a->port: a fresh one), connects to it on a new
 * channel *ch, offers buf and returns once the borrower holds it. */
int vt_offer_to_child(struct vt_child *c, struct vt_borrower_arg *a,
		      struct vshmem_buf *buf, struct vshmem_channel **ch,
		      struct vshmem_offer **o);

/* An offer from heap to a borrower in another process, on a socket of
 * type: while the borrower holds it, the lender sees its writes (SHARE)
 * or faults (LEND); afterwards the lender has the borrower's writes. */
int vt_two_process_round_trip(const char *heap, int type, unsigned int seed);

/* A READONLY offer from heap: the borrower may map it for reading only,
 * and the lender's data is intact afterwards. */
int vt_readonly_round_trip(const char *heap, unsigned int seed);

#endif /* VSHMEM_VMTEST_H */
