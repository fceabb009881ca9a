// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Faults, in the guest, with raw syscalls:
 *
 *  - a borrower SIGKILLed at each step of an offer's life cycle (offer
 *    unread, peeked, received, mapped, fd closed, relinquished) and a
 *    lender SIGKILLed at each step (offer unread, borrowed and mapped,
 *    given back but notice unread, buffer fd dropped), and a lender that
 *    exits normally with 16 offers outstanding;
 *  - the connection reset mid-offer (the borrower's transport resets it
 *    when its receive queue overflows) while the borrower maps a loan;
 *  - allocation failures (failslab and fail_page_alloc) injected at every
 *    allocation of an offer's sendmsg, of the borrower's recvmsg, of a
 *    RELINQUISH and of a RECLAIM (/proc/thread-self/fail-nth, one point
 *    after the other), and at random (probability, task-filter with
 *    /proc/self/make-it-fail) around 200 offers. Needs a kernel with
 *    CONFIG_FAULT_INJECTION_DEBUG_FS; elsewhere those cases SKIP;
 *  - random_mix_1000: 1000 iterations of a random mix of offers, kills,
 *    reclaims, relinquishes and closes, with zero leaks at the end (the
 *    leak counters are printed).
 *
 * After every fault: debugfs `outstanding` is back where it was, the
 * surviving side's fds are balanced, and the lender's buffer is usable
 * again (mappable, contents intact).
 */
#include "vmtest.h"

#define SZ (128 * 1024)

/* ---- peers in a child process ---------------------------------------- */

enum bstep {	/* where a borrower child stops and waits to be killed */
	B_UNREAD, B_PEEKED, B_RECEIVED, B_MAPPED, B_FD_CLOSED, B_RELINQUISHED,
};

struct peer_arg {
	unsigned int port;
	int type;
	int step;
	const char *heap;
	int offers;
};

static int borrower_child(void *arg, int sync)
{
	struct peer_arg *a = arg;
	int l = hx_listen(a->type, a->port, 64), s, bfd = -1;
	unsigned char *bp;
	struct raw_rx r;

	CHECK(l >= 0);
	TRY(vt_send_byte(sync, 'L'));
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(s >= 0);
	TRY(vt_wait_byte(sync, 'O', 30));	/* the lender offered */
	if (a->step == B_PEEKED) {
		r = raw_recv(s, sizeof(union raw_ctl), MSG_PEEK, 5000);
		CHECK(r.has && r.d.fd == -1);
	}
	if (a->step >= B_RECEIVED) {
		bfd = raw_expect(s, VSOCK_SHMEM_SUBOP_OFFER, 1);
		CHECK(bfd >= 0);
	}
	if (a->step >= B_MAPPED) {
		bp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
		CHECK(bp != MAP_FAILED);
		TRY(vt_check(bp, SZ, 1));
		vt_fill(bp, SZ, 2);
		if (a->step >= B_FD_CLOSED) {
			munmap(bp, SZ);
			close(bfd);
		}
	}
	if (a->step >= B_RELINQUISHED)
		CHECK_EQ(raw_end(s, VSOCK_SHMEM_SUBOP_RELINQUISH, 1), 0);
	TRY(vt_send_byte(sync, 'S'));
	for (;;)
		pause();
}

static int kill_child(struct vt_child *c)
{
	int status;

	CHECK_EQ(kill(c->pid, SIGKILL), 0);
	CHECK_EQ(waitpid(c->pid, &status, 0), c->pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(c->fd);
	return 0;
}

/* Read what the dead peer left on @s until end of stream: the fds that
 * came (closed) and whether the end of offer @id was announced. */
static int drain(int s, uint64_t id, int *fds, bool *ended)
{
	*fds = 0;
	*ended = false;
	for (int i = 0; i < 64; i++) {
		struct raw_rx r = raw_recv(s, sizeof(union raw_ctl), 0, 2000);

		if (r.n < 0 && r.n != -EAGAIN && r.n != -ETIMEDOUT &&
		    r.n != -ECONNRESET && r.n != -ENOTCONN)
			return vt_diag("drain: %s", strerror((int)-r.n)), VT_FAIL;
		if (r.has && r.d.fd >= 0) {
			(*fds)++;
			close(r.d.fd);
		}
		if (r.has && r.d.id == id && r.d.subop != VSOCK_SHMEM_SUBOP_OFFER)
			*ended = true;
		if (r.n < 0 || (r.n == 0 && !r.has))
			return 0;	/* end of stream, or reset */
	}
	return 0;
}

static int kill_borrower_at(enum bstep step, const char *heap, int type)
{
	struct peer_arg a = { .port = vt_port(), .type = type, .step = step };
	long long out0 = vt_stat("outstanding");
	struct vt_child c = { -1, -1 };
	int fds0 = vt_fd_count(), buf, s, got;
	bool lend = !strcmp(heap, "lend"), ended;
	unsigned char *lp;

	CHECK(out0 >= 0);
	buf = raw_alloc(heap, SZ);
	CHECK(buf >= 0);
	lp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(lp != MAP_FAILED);
	vt_fill(lp, SZ, 1);
	CHECK_EQ(vt_spawn(&c, borrower_child, &a), 0);
	TRY(vt_wait_byte(c.fd, 'L', 30));
	s = hx_connect(type, VMADDR_CID_LOCAL, a.port);
	CHECK(s >= 0);
	CHECK_EQ(raw_offer(s, buf, 1, 0), 0);
	TRY(vt_send_byte(c.fd, 'O'));
	TRY(vt_wait_byte(c.fd, 'S', 30));
	if (lend && step < B_RELINQUISHED)
		CHECK_EQ(vt_read_sig(lp), SIGBUS);
	TRY(kill_child(&c));

	TRY(vt_wait_outstanding(out0));
	CHECK_EQ(vt_read_sig(lp), 0);		/* the buffer is back */
	TRY(vt_check(lp, SZ, step >= B_MAPPED ? 2 : 1));
	TRY(drain(s, 1, &got, &ended));
	CHECK_EQ(got, 0);			/* a lender never gets an fd */
	if (!ended)
		vt_diag("no RELINQUISH notice before the end of the stream");
	CHECK_EQ(raw_offer(s, buf, 2, 0) < 0, 1);	/* connection is gone */
	close(s);
	munmap(lp, SZ);
	close(buf);
	CHECK_EQ(vt_fd_count(), fds0);
	return vt_wait_outstanding(out0);
}

#define KB_CASE(name, step, heap, type) \
	static int name(void) { return kill_borrower_at(step, heap, type); }

KB_CASE(kill_borrower_offer_unread, B_UNREAD, "lend", SOCK_SEQPACKET)
KB_CASE(kill_borrower_offer_peeked, B_PEEKED, "lend", SOCK_STREAM)
KB_CASE(kill_borrower_received, B_RECEIVED, "lend", SOCK_SEQPACKET)
KB_CASE(kill_borrower_mapped, B_MAPPED, "lend", SOCK_STREAM)
KB_CASE(kill_borrower_mapped_share, B_MAPPED, "system", SOCK_SEQPACKET)
KB_CASE(kill_borrower_fd_closed, B_FD_CLOSED, "lend", SOCK_SEQPACKET)
KB_CASE(kill_borrower_relinquished, B_RELINQUISHED, "lend", SOCK_SEQPACKET)

enum lstep {	/* where a lender child stops */
	L_OFFERED, L_BORROWED, L_GIVEN_BACK, L_BUFFER_DROPPED, L_EXIT_16,
};

static int lender_child(void *arg, int sync)
{
	struct peer_arg *a = arg;
	int s, buf;
	unsigned char *lp;

	TRY(vt_wait_byte(sync, 'L', 30));
	s = hx_connect(a->type, VMADDR_CID_LOCAL, a->port);
	CHECK(s >= 0);
	buf = raw_alloc(a->heap, SZ);
	CHECK(buf >= 0);
	lp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(lp != MAP_FAILED);
	vt_fill(lp, SZ, 3);
	if (a->step == L_EXIT_16) {
		/* 16 offers of as many buffers, then a normal exit */
		for (int i = 0; i < 16; i++) {
			int b = raw_alloc(a->heap, SZ);

			CHECK(b >= 0);
			CHECK_EQ(raw_offer(s, b, 100 + i, 0), 0);
		}
		TRY(vt_send_byte(sync, 'S'));
		TRY(vt_wait_byte(sync, 'X', 30));
		_exit(0);
	}
	CHECK_EQ(raw_offer(s, buf, 1, 0), 0);
	if (a->step == L_BUFFER_DROPPED) {
		munmap(lp, SZ);
		close(buf);
	}
	TRY(vt_send_byte(sync, 'O'));
	for (;;)
		pause();
}

static int kill_lender_at(enum lstep step)
{
	struct peer_arg a = { .port = vt_port(), .type = SOCK_SEQPACKET,
			      .step = step, .heap = "lend" };
	long long out0 = vt_stat("outstanding");
	struct vt_child c = { -1, -1 };
	int fds0 = vt_fd_count(), l, s, bfd = -1, got;
	unsigned char *bp = NULL;
	bool ended;

	CHECK(out0 >= 0);
	l = hx_listen(a.type, a.port, 64);
	CHECK(l >= 0);
	CHECK_EQ(vt_spawn(&c, lender_child, &a), 0);
	TRY(vt_send_byte(c.fd, 'L'));
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(s >= 0);
	if (step == L_EXIT_16) {
		int status;

		TRY(vt_wait_byte(c.fd, 'S', 30));
		CHECK_EQ(vt_stat("outstanding"), out0 + 16);
		/* read half of them: 8 borrowed, 8 never read */
		for (int i = 0; i < 8; i++) {
			int f = raw_expect(s, VSOCK_SHMEM_SUBOP_OFFER, 100 + i);

			CHECK(f >= 0);
			close(f);
		}
		TRY(vt_send_byte(c.fd, 'X'));
		CHECK_EQ(waitpid(c.pid, &status, 0), c.pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		close(c.fd);
	} else {
		TRY(vt_wait_byte(c.fd, 'O', 30));
		if (step >= L_BORROWED) {
			bfd = raw_expect(s, VSOCK_SHMEM_SUBOP_OFFER, 1);
			CHECK(bfd >= 0);
			bp = mmap(NULL, SZ, PROT_READ, MAP_SHARED, bfd, 0);
			CHECK(bp != MAP_FAILED);
			TRY(vt_check(bp, SZ, 3));
		}
		if (step == L_GIVEN_BACK)
			CHECK_EQ(raw_end(s, VSOCK_SHMEM_SUBOP_RELINQUISH, 1), 0);
		TRY(kill_child(&c));
	}
	TRY(vt_wait_outstanding(out0));
	if (bp) {
		CHECK_EQ(vt_read_sig(bp), SIGBUS);	/* the loan is over */
		munmap(bp, SZ);
	}
	TRY(drain(s, 1, &got, &ended));
	/* an offer never read before the lender died never turns up */
	CHECK_EQ(got, 0);
	if (bfd >= 0)
		close(bfd);
	close(s);
	close(l);
	CHECK_EQ(vt_fd_count(), fds0);
	return 0;
}

static int kill_lender_offer_unread(void) { return kill_lender_at(L_OFFERED); }
static int kill_lender_borrowed(void) { return kill_lender_at(L_BORROWED); }
static int kill_lender_given_back(void) { return kill_lender_at(L_GIVEN_BACK); }
static int kill_lender_buffer_dropped(void) { return kill_lender_at(L_BUFFER_DROPPED); }
static int lender_exits_16_outstanding(void) { return kill_lender_at(L_EXIT_16); }

/* The borrower's transport resets the connection (its receive queue
 * overflows with data it does not read) while it maps a LEND offer. */
static int reset_mid_offer(void)
{
	static char junk[4096];
	struct raw_meter m;
	struct raw_pair p;
	unsigned char *lp, *bp;
	int buf, bfd, i, ret = 0;

	TRY(raw_meter_start(&m));
	buf = raw_alloc("lend", SZ);
	CHECK(buf >= 0);
	lp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(lp != MAP_FAILED);
	vt_fill(lp, SZ, 4);
	RAW_PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(raw_offer(p.lender, buf, 1, 0), 0);
	bfd = raw_expect(p.borrower, VSOCK_SHMEM_SUBOP_OFFER, 1);
	CHECK(bfd >= 0);
	bp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	CHECK(bp != MAP_FAILED);
	CHECK_EQ(vt_read_sig(bp), 0);
	/* tiny messages: the per-message overhead overflows the queue */
	for (i = 0; i < 20000 && ret >= 0; i++)
		ret = (int)raw_sendmsg(p.lender, NULL, 0, junk, 1, MSG_DONTWAIT);
	vt_diag("message %d failed: %s", i, strerror(-ret));
	CHECK(ret == -EPIPE || ret == -ECONNRESET || ret == -ENOTCONN);
	TRY(vt_wait_outstanding(m.outstanding));
	CHECK_EQ(vt_read_sig(bp), SIGBUS);	/* the borrower lost it */
	CHECK_EQ(vt_read_sig(lp), 0);		/* the lender has it back */
	TRY(vt_check(lp, SZ, 4));
	munmap(bp, SZ);
	munmap(lp, SZ);
	close(bfd);
	close(buf);
	raw_pair_close(&p);
	return raw_meter_check(&m);
}

/* The borrower closes its end while the lender is still offering: offers
 * that reach the closing socket must be given back and nothing kept (on
 * the debug kernel kmemleak checks the unread-offer markers). */
static int offer_to_closing_peer(void)
{
	struct raw_meter m;
	int buf, sent = 0;

	TRY(raw_meter_start(&m));
	buf = raw_alloc("system", SZ);
	CHECK(buf >= 0);
	for (int i = 0; i < 100; i++) {
		struct raw_pair p;

		RAW_PAIR(&p, i % 2 ? SOCK_STREAM : SOCK_SEQPACKET);
		close(p.borrower);
		p.borrower = -1;
		for (int j = 0; j < 4; j++)
			sent += raw_offer(p.lender, buf, (uint64_t)j + 1, 0) == 0;
		raw_pair_close(&p);
	}
	vt_diag("%d offers reached a closing peer", sent);
	close(buf);
	return raw_meter_check(&m);
}

/* ---- fault injection -------------------------------------------------- */

static int fi_available(void)
{
	if (access(FI_SLAB "/probability", W_OK) || access(FI_PAGE "/probability", W_OK))
		return vt_skip("no %s or %s: kernel without CONFIG_FAILSLAB/"
			       "CONFIG_FAIL_PAGE_ALLOC/CONFIG_FAULT_INJECTION_DEBUG_FS",
			       FI_SLAB, FI_PAGE);
	if (access("/proc/thread-self/fail-nth", W_OK))
		return vt_skip("no /proc/thread-self/fail-nth");
	return 0;
}

/* Both fault types count every allocation that may sleep, of any order,
 * but only in tasks that ask (task-filter); quiet, so the console shows
 * real problems only. @probability 0 leaves only fail-nth. */
static int fi_setup(int probability)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", probability);
	CHECK_EQ(raw_write_file(FI_SLAB "/ignore-gfp-wait", "N"), 0);
	CHECK_EQ(raw_write_file(FI_PAGE "/ignore-gfp-wait", "N"), 0);
	CHECK_EQ(raw_write_file(FI_PAGE "/ignore-gfp-highmem", "N"), 0);
	CHECK_EQ(raw_write_file(FI_PAGE "/min-order", "0"), 0);
	for (int i = 0; i < 2; i++) {
		const char *d = i ? FI_PAGE : FI_SLAB;
		char path[128];

		snprintf(path, sizeof(path), "%s/verbose", d);
		CHECK_EQ(raw_write_file(path, "0"), 0);
		snprintf(path, sizeof(path), "%s/task-filter", d);
		CHECK_EQ(raw_write_file(path, "Y"), 0);
		snprintf(path, sizeof(path), "%s/interval", d);
		CHECK_EQ(raw_write_file(path, "1"), 0);
		snprintf(path, sizeof(path), "%s/times", d);
		CHECK_EQ(raw_write_file(path, "-1"), 0);
		snprintf(path, sizeof(path), "%s/space", d);
		CHECK_EQ(raw_write_file(path, "0"), 0);
		snprintf(path, sizeof(path), "%s/probability", d);
		CHECK_EQ(raw_write_file(path, p), 0);
	}
	return 0;
}

static void fi_off(void)
{
	raw_write_file(FI_SLAB "/probability", "0");
	raw_write_file(FI_PAGE "/probability", "0");
	raw_write_file("/proc/self/make-it-fail", "0");
}

/* /proc/thread-self/fail-nth, opened once per case: opening it between
 * the arming and the system call under test would be an allocation too. */
static int fi_nth_fd = -1;

/* Fail the @nth fault point of the next system calls of this thread;
 * fi_nth_done() says whether it was reached (and disarms it). */
static int fi_nth(int nth)
{
	char b[16];
	int n = snprintf(b, sizeof(b), "%d", nth);

	if (fi_nth_fd < 0)
		fi_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fi_nth_fd < 0)
		return -errno;
	return pwrite(fi_nth_fd, b, (size_t)n, 0) == n ? 0 : -errno;
}

static bool fi_nth_done(void)
{
	char b[16] = "";
	bool hit = pread(fi_nth_fd, b, sizeof(b) - 1, 0) > 0 && atoi(b) == 0;

	if (!hit && pwrite(fi_nth_fd, "0", 1, 0) != 1)
		vt_diag("disarming fail-nth: %s", strerror(errno));
	return hit;
}

/* The lender's buffer is not lent any more: it maps. */
static int not_lent(int buf)
{
	void *p = mmap(NULL, SZ, PROT_READ, MAP_SHARED, buf, 0);

	CHECK(p != MAP_FAILED);
	CHECK_EQ(vt_read_sig(p), 0);
	munmap(p, SZ);
	return 0;
}

/*
 * The nth-allocation loops: round n makes the nth allocation of this task
 * fail (fail-nth) during one request, n = 1, 2, ... until a round no
 * longer reaches n. After every round nothing is outstanding and the
 * lender's buffer is not lent; at the end the leak meter is checked.
 */
struct fi_loop {
	struct raw_meter m;
	struct raw_pair p;
	int buf;	/* the lender's buffer */
	int failed;	/* rounds whose request failed */
};

/* One round: 0, with *hit if the nth allocation was reached; or VT_FAIL. */
typedef int fi_round_fn(struct fi_loop *l, int n, bool *hit);

static int fi_nth_loop(const char *heap, const char *what, fi_round_fn *round)
{
	struct fi_loop l = { .failed = 0 };
	bool hit = false;
	int n;

	if (fi_available())
		return VT_SKIP;
	TRY(fi_setup(0));
	CHECK_EQ(fi_nth(0), 0);		/* opens the control file */
	TRY(raw_meter_start(&l.m));
	l.buf = raw_alloc(heap, SZ);
	CHECK(l.buf >= 0);
	RAW_PAIR(&l.p, SOCK_SEQPACKET);
	for (n = 1; n < 1000; n++) {
		TRY(round(&l, n, &hit));
		TRY(vt_wait_outstanding(l.m.outstanding));
		TRY(not_lent(l.buf));
		if (!hit)
			break;
	}
	vt_diag("%s %s: %d allocation points, %d requests failed", heap, what,
		n - 1, l.failed);
	CHECK(n > 1 && n < 1000);
	raw_pair_close(&l.p);
	close(l.buf);
	fi_off();
	return raw_meter_check(&l.m);
}

/* An offer: every failure leaves nothing behind, every success is a
 * whole offer. */
static int offer_round(struct fi_loop *l, int n, bool *hit)
{
	int ret;

	CHECK_EQ(fi_nth(n), 0);
	ret = raw_offer(l->p.lender, l->buf, n, 0);
	*hit = fi_nth_done();
	if (ret == 0) {
		int bfd = raw_expect(l->p.borrower, VSOCK_SHMEM_SUBOP_OFFER, (uint64_t)n);

		CHECK(bfd >= 0);
		close(bfd);
		CHECK_EQ(raw_end(l->p.borrower, VSOCK_SHMEM_SUBOP_RELINQUISH, (uint64_t)n), 0);
		CHECK_EQ(raw_expect(l->p.lender, VSOCK_SHMEM_SUBOP_RELINQUISH, (uint64_t)n), 0);
	} else {
		l->failed++;
		if (ret != -ENOMEM)
			vt_diag("allocation %d failing: offer failed with %s", n,
				strerror(-ret));
		CHECK(ret == -ENOMEM || ret == -ENOBUFS || ret == -EIO);
		TRY(raw_nothing_queued(l->p.borrower));
	}
	return 0;
}

/* The borrower's recvmsg: an error, no fd, and the offer goes back to
 * the lender; or the offer, whole. */
static int recv_round(struct fi_loop *l, int n, bool *hit)
{
	struct raw_rx r;
	int fds = vt_fd_count();

	CHECK_EQ(raw_offer(l->p.lender, l->buf, n, 0), 0);
	CHECK_EQ(raw_recv(l->p.borrower, sizeof(union raw_ctl), MSG_PEEK, 5000).n, 1);
	CHECK_EQ(fi_nth(n), 0);
	r = raw_recv(l->p.borrower, sizeof(union raw_ctl), MSG_CMSG_CLOEXEC, 0);
	*hit = fi_nth_done();
	if (r.n >= 0 && r.has && r.d.fd >= 0) {
		close(r.d.fd);
		CHECK_EQ(raw_end(l->p.borrower, VSOCK_SHMEM_SUBOP_RELINQUISH, (uint64_t)n), 0);
	} else {
		l->failed++;
		CHECK_EQ(vt_fd_count(), fds);
		/* the data record may still be queued */
		(void)raw_recv(l->p.borrower, sizeof(union raw_ctl), 0, 0);
	}
	CHECK_EQ(raw_expect(l->p.lender, VSOCK_SHMEM_SUBOP_RELINQUISH, (uint64_t)n), 0);
	return 0;
}

/* RELINQUISH. The kernel documents that a failed request changed
 * nothing: then the offer is still live and the borrower can still
 * relinquish it. */
static int relinquish_round(struct fi_loop *l, int n, bool *hit)
{
	int bfd, ret;

	CHECK_EQ(raw_offer(l->p.lender, l->buf, n, 0), 0);
	bfd = raw_expect(l->p.borrower, VSOCK_SHMEM_SUBOP_OFFER, (uint64_t)n);
	CHECK(bfd >= 0);
	CHECK_EQ(fi_nth(n), 0);
	ret = raw_end(l->p.borrower, VSOCK_SHMEM_SUBOP_RELINQUISH, (uint64_t)n);
	*hit = fi_nth_done();
	if (ret < 0) {
		void *bp = mmap(NULL, SZ, PROT_READ, MAP_SHARED, bfd, 0);
		int again;

		l->failed++;
		again = raw_end(l->p.borrower, VSOCK_SHMEM_SUBOP_RELINQUISH, (uint64_t)n);
		if (bp == MAP_FAILED || again != 0)
			vt_diag("allocation %d failing: RELINQUISH failed with %s, "
				"yet the borrower's buffer %s and a second "
				"RELINQUISH gives %s (outstanding %lld, was %lld)",
				n, strerror(-ret), bp == MAP_FAILED ?
				"no longer maps" : "maps",
				again ? strerror(-again) : "0",
				vt_stat("outstanding"), l->m.outstanding);
		CHECK(bp != MAP_FAILED);
		munmap(bp, SZ);
		CHECK_EQ(again, 0);
	}
	close(bfd);
	CHECK_EQ(raw_expect(l->p.lender, VSOCK_SHMEM_SUBOP_RELINQUISH, (uint64_t)n), 0);
	return 0;
}

/* RECLAIM: either it failed and the offer is still live, or the lender
 * has its buffer back and the borrower lost access (telling the borrower
 * is best effort). */
static int reclaim_round(struct fi_loop *l, int n, bool *hit)
{
	unsigned char *bp;
	int bfd, ret;

	CHECK_EQ(raw_offer(l->p.lender, l->buf, n, 0), 0);
	bfd = raw_expect(l->p.borrower, VSOCK_SHMEM_SUBOP_OFFER, (uint64_t)n);
	CHECK(bfd >= 0);
	bp = mmap(NULL, SZ, PROT_READ, MAP_SHARED, bfd, 0);
	CHECK(bp != MAP_FAILED);
	CHECK_EQ(fi_nth(n), 0);
	ret = raw_end(l->p.lender, VSOCK_SHMEM_SUBOP_RECLAIM, (uint64_t)n);
	*hit = fi_nth_done();
	if (ret < 0) {
		l->failed++;
		CHECK_EQ(vt_read_sig(bp), 0);		/* still live */
		CHECK_EQ(raw_end(l->p.lender, VSOCK_SHMEM_SUBOP_RECLAIM, (uint64_t)n), 0);
	}
	CHECK_EQ(vt_read_sig(bp), SIGBUS);
	munmap(bp, SZ);
	close(bfd);
	/* the notice, if it could be sent */
	(void)raw_recv(l->p.borrower, sizeof(union raw_ctl), 0, 1000);
	return 0;
}

static int fi_nth_offer_lend(void)
{
	return fi_nth_loop("lend", "offer", offer_round);
}

static int fi_nth_offer_share(void)
{
	return fi_nth_loop("system", "offer", offer_round);
}

static int fi_nth_recv(void)
{
	return fi_nth_loop("lend", "recvmsg of an offer", recv_round);
}

static int fi_nth_relinquish(void)
{
	return fi_nth_loop("lend", "RELINQUISH", relinquish_round);
}

static int fi_nth_reclaim(void)
{
	return fi_nth_loop("lend", "RECLAIM", reclaim_round);
}

/* failslab + fail_page_alloc at random (10%), only in this task and only
 * while it offers (make-it-fail around the sendmsg). */
static int fi_random_offers(void)
{
	enum { N = 200 };
	struct raw_meter m;
	struct raw_pair p;
	int bufs[2], ok = 0, failed = 0, mif, ret;

	/* 200 offers under random allocation failures: long by design */
	vt_watchdog(600);
	if (fi_available())
		return VT_SKIP;
	TRY(fi_setup(10));
	/* opened once: an open() while failing could fail itself */
	mif = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	CHECK(mif >= 0);
	TRY(raw_meter_start(&m));
	bufs[0] = raw_alloc("lend", SZ);
	bufs[1] = raw_alloc("system", SZ);
	CHECK(bufs[0] >= 0 && bufs[1] >= 0);
	RAW_PAIR(&p, SOCK_STREAM);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(pwrite(mif, "1", 1, 0), 1);
		ret = raw_offer(p.lender, bufs[i % 2], (uint64_t)i + 1, 0);
		CHECK_EQ(pwrite(mif, "0", 1, 0), 1);
		if (ret == 0) {
			int bfd = raw_expect(p.borrower, VSOCK_SHMEM_SUBOP_OFFER, (uint64_t)i + 1);

			ok++;
			if (bfd < 0) {
				struct raw_rx r = raw_recv(p.borrower, sizeof(union raw_ctl), 0, 500);

				vt_diag("offer %d went through but the borrower did not get it: "
					"outstanding %lld (was %lld), next read n=%zd has=%d",
					i + 1, vt_stat("outstanding"), m.outstanding, r.n, r.has);
			}
			CHECK(bfd >= 0);
			close(bfd);
			CHECK_EQ(raw_end(p.lender, VSOCK_SHMEM_SUBOP_RECLAIM, (uint64_t)i + 1), 0);
			CHECK_EQ(raw_expect(p.borrower, VSOCK_SHMEM_SUBOP_RECLAIM, (uint64_t)i + 1), 0);
		} else {
			failed++;
			if (ret != -ENOMEM && ret != -ENOBUFS)
				vt_diag("offer %d failed with %s", i, strerror(-ret));
			CHECK(ret == -ENOMEM || ret == -ENOBUFS || ret == -EIO);
		}
		TRY(vt_wait_outstanding(m.outstanding));
	}
	fi_off();
	TRY(raw_nothing_queued(p.borrower));
	TRY(not_lent(bufs[0]));
	vt_diag("%d offers with 10%% of this task's allocations failing: "
		"%d went through, %d failed cleanly", N, ok, failed);
	CHECK(failed > 0 && ok > 0);	/* the injection really happened */
	raw_pair_close(&p);
	close(bufs[0]);
	close(bufs[1]);
	/* mif was open when the meter started */
	ret = raw_meter_check(&m);
	close(mif);
	return ret;
}

/* ---- 1000 iterations of a random mix -------------------------------- */

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* A child that takes offers on @s and acts at random; killed or not. */
static int mix_borrower(void *arg, int sync)
{
	struct raw_pair *p = arg;
	int s = p->borrower;
	unsigned int seed = (unsigned int)getpid();

	close(p->lender);	/* or the borrower would never see the end */
	close(p->listener);

	for (;;) {
		struct raw_rx r = raw_recv(s, sizeof(union raw_ctl), MSG_CMSG_CLOEXEC, 1000);

		if (r.n < 0 && r.n != -ETIMEDOUT)
			break;
		if (r.n == 0 && !r.has)
			break;
		if (r.has && r.d.subop == VSOCK_SHMEM_SUBOP_OFFER && r.d.fd >= 0) {
			void *bp = mmap(NULL, r.d.size, PROT_READ, MAP_SHARED, r.d.fd, 0);

			if (bp != MAP_FAILED) {
				(void)vt_read_sig(bp);
				munmap(bp, r.d.size);
			}
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 8) % 2)
				raw_end(s, VSOCK_SHMEM_SUBOP_RELINQUISH, r.d.id);
			close(r.d.fd);
		}
		if (r.n >= 0)
			vt_send_byte(sync, 'r');
	}
	return 0;
}

struct mix_stats {
	int offers, kills, reclaims, closes;
};

static int random_mix(int iterations, struct mix_stats *st)
{
	static const char *const heaps[] = { "system", "lend" };

	for (int it = 0; it < iterations; it++) {
		struct vt_child c = { -1, -1 };
		struct raw_pair p;
		int nbuf = 1 + (int)rnd(3), bufs[3], status;
		int type = rnd(2) ? SOCK_STREAM : SOCK_SEQPACKET;

		RAW_PAIR(&p, type);
		for (int b = 0; b < nbuf; b++) {
			bufs[b] = raw_alloc(heaps[rnd(2)], PAGE * (1 + rnd(32)));
			CHECK(bufs[b] >= 0);
		}
		CHECK_EQ(vt_spawn(&c, mix_borrower, &p), 0);
		close(p.borrower);
		p.borrower = -1;
		for (int b = 0; b < nbuf; b++) {
			int ret = raw_offer(p.lender, bufs[b], (uint64_t)b + 1, 0);

			/* a lend buffer cannot be lent twice; the child may be gone */
			if (ret == 0)
				st->offers++;
			else
				CHECK(ret == -EBUSY || ret == -EPIPE || ret == -ECONNRESET);
		}
		switch (rnd(4)) {
		case 0:	/* kill the borrower at once */
			break;
		case 1:	/* kill it after it read something */
			(void)vt_wait_byte(c.fd, 'r', 2);
			break;
		case 2:	/* the lender takes everything back, then closes */
			for (int b = 0; b < nbuf; b++)
				if (raw_end(p.lender, VSOCK_SHMEM_SUBOP_RECLAIM, (uint64_t)b + 1) == 0)
					st->reclaims++;
			break;
		case 3:	/* the lender just closes */
			st->closes++;
			break;
		}
		if (rnd(2)) {
			kill(c.pid, SIGKILL);
			st->kills++;
		}
		raw_pair_close(&p);	/* the borrower sees end of stream */
		for (int b = 0; b < nbuf; b++)
			close(bufs[b]);
		close(c.fd);
		CHECK_EQ(waitpid(c.pid, &status, 0), c.pid);
	}
	return 0;
}

static long meminfo_kb(const char *field)
{
	char line[128], key[64];
	long kb = -1, v;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld kB", key, &v) == 2 && !strcmp(key, field))
			kb = v;
	fclose(f);
	return kb;
}

/* Leak counters: debugfs `outstanding` and the number of live dma-bufs
 * (dma_buf/bufinfo) must come back exactly, and the open fds. MemFree is
 * a coarse bound on top: ~2000 buffers of up to 128 KiB (~130 MiB) go
 * through the 1000 iterations and 1000 borrower processes come and go;
 * measured drift after 100 warm-up iterations is 2-15 MiB (page cache,
 * per-CPU page lists; the meminfo fields are printed), so the bound is
 * 32 MiB: it catches a leak of one buffer in four. */
static int random_mix_1000(void)
{
	enum { ITER = 1000 };
	static const char *const names[6] = {
		"offers", "bytes", "outstanding", "relinquished", "reclaimed", "dropped",
	};
	static const char *const mem[] = {
		"MemFree", "Cached", "SUnreclaim", "KernelStack", "PageTables", "Percpu",
	};
	struct mix_stats warm = { 0 }, st = { 0 };
	long long c0[6], c1[6], bufs0, bufs1, bytes0 = -1, bytes1 = -1;
	long m0[ARRAY_LEN(mem)], m1[ARRAY_LEN(mem)];
	long free0, free1;
	char drift[256];
	int fds0, len = 0;

	/* 1100 rounds, up to 1000 borrower processes: 3-55 s under TCG on
	 * an idle host, more than vt_timeout() on the debug kernel beside a
	 * kernel build */
	vt_watchdog(600);
	TRY(random_mix(100, &warm));
	for (int i = 0; i < 6; i++)
		c0[i] = vt_stat(names[i]);
	CHECK(c0[2] >= 0);
	fds0 = vt_fd_count();
	usleep(200 * 1000);
	bufs0 = raw_dmabuf_count(&bytes0);
	CHECK(bufs0 >= 0);
	for (size_t i = 0; i < ARRAY_LEN(mem); i++)
		m0[i] = meminfo_kb(mem[i]);
	free0 = m0[0];
	TRY(random_mix(ITER, &st));
	TRY(vt_wait_outstanding(c0[2]));
	usleep(300 * 1000);
	bufs1 = raw_dmabuf_count(&bytes1);
	for (size_t i = 0; i < ARRAY_LEN(mem); i++) {
		m1[i] = meminfo_kb(mem[i]);
		len += snprintf(drift + len, sizeof(drift) - (size_t)len, "%s%s %+ld",
				i ? ", " : "", mem[i], m1[i] - m0[i]);
	}
	free1 = m1[0];
	for (int i = 0; i < 6; i++)
		c1[i] = vt_stat(names[i]);
	vt_diag("random mix, %d iterations (after 100 to warm up): %d offers, %d kills, "
		"%d reclaims, %d plain closes", ITER, st.offers, st.kills, st.reclaims,
		st.closes);
	vt_diag("leak counters after: outstanding %lld (before %lld), live dma-bufs %lld "
		"(before %lld, %lld -> %lld bytes), open fds %d (before %d)", c1[2], c0[2],
		bufs1, bufs0, bytes0, bytes1, vt_fd_count(), fds0);
	vt_diag("meminfo drift in kB: %s", drift);
	vt_diag("debugfs deltas: offers +%lld, bytes +%lld, relinquished +%lld, "
		"reclaimed +%lld, dropped +%lld", c1[0] - c0[0], c1[1] - c0[1],
		c1[3] - c0[3], c1[4] - c0[4], c1[5] - c0[5]);
	CHECK_EQ(c1[2], c0[2]);
	CHECK_EQ(bufs1, bufs0);
	CHECK_EQ(vt_fd_count(), fds0);
	/* every offer ended exactly once, one way or the other */
	CHECK(c1[0] - c0[0] >= st.offers);
	CHECK_EQ(c1[3] - c0[3] + c1[4] - c0[4], c1[0] - c0[0]);
	CHECK(free0 - free1 < 32 * 1024);
	return 0;
}

static const struct vt_case cases[] = {
	{ "kill_borrower_offer_unread", kill_borrower_offer_unread },
	{ "kill_borrower_offer_peeked", kill_borrower_offer_peeked },
	{ "kill_borrower_received", kill_borrower_received },
	{ "kill_borrower_mapped", kill_borrower_mapped },
	{ "kill_borrower_mapped_share", kill_borrower_mapped_share },
	{ "kill_borrower_fd_closed", kill_borrower_fd_closed },
	{ "kill_borrower_relinquished", kill_borrower_relinquished },
	{ "kill_lender_offer_unread", kill_lender_offer_unread },
	{ "kill_lender_borrowed", kill_lender_borrowed },
	{ "kill_lender_given_back", kill_lender_given_back },
	{ "kill_lender_buffer_dropped", kill_lender_buffer_dropped },
	{ "lender_exits_16_outstanding", lender_exits_16_outstanding },
	{ "reset_mid_offer", reset_mid_offer },
	{ "offer_to_closing_peer", offer_to_closing_peer },
	{ "fi_nth_offer_lend", fi_nth_offer_lend },
	{ "fi_nth_offer_share", fi_nth_offer_share },
	{ "fi_nth_recv", fi_nth_recv },
	{ "fi_nth_relinquish", fi_nth_relinquish },
	{ "fi_nth_reclaim", fi_nth_reclaim },
	{ "fi_random_offers", fi_random_offers },
	{ "random_mix_1000", random_mix_1000 },
};

VT_MAIN(cases)
