// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A peer that dies while it holds an offer (SIGKILL, no chance to clean
 * up), in the guest: the lender's buffer comes back (readable again,
 * contents intact), the lender learns it through the API, and nothing
 * leaks: open fds of the lender, the kernel's debugfs `outstanding`
 * counter, and MemFree over many rounds.
 *
 * MemFree bound: leak_rounds kills 40 borrowers that each hold a 4 MiB
 * buffer (160 MiB offered in all). If the kernel kept the pages of even
 * one round in four, MemFree would drop by >= 40 MiB; the bound is
 * 16 MiB, which leaves room for slab and page-cache noise in a 1 GiB
 * guest (measured drift is reported in the TAP output) and still catches
 * any leak of whole buffers from more than 3 of the 40 rounds.
 */
#include "vmtest.h"

#define SZ (4 * MiB)

struct child_arg {
	int type;
	unsigned int port;
	unsigned int seed;
};

/* One round: offer a buffer to a child borrower, kill it while it holds
 * the buffer, and get the buffer back through the API. */
static int kill_borrower_round(const char *heap, int type, unsigned int seed,
			       bool check_fds)
{
	struct vt_borrower_arg a = { .type = type, .size = SZ, .seed = seed,
				     .hold_until_killed = true };
	struct vshmem_channel *ch = NULL;
	struct vshmem_offer *o = NULL;
	struct vt_child c = { -1, -1 };
	struct vshmem_buf *buf;
	bool lend = !strcmp(heap, "lend");
	int fds0 = vt_fd_count(), ret, status;
	void *lp;

	CHECK(buf = vt_alloc(heap, SZ));
	CHECK(lp = vt_map(buf, VSHMEM_ACCESS_RW));
	vt_fill(lp, SZ, seed);
	TRY(vt_offer_to_child(&c, &a, buf, &ch, &o));
	if (lend)
		CHECK_EQ(vt_read_sig(lp), SIGBUS);

	CHECK_EQ(kill(c.pid, SIGKILL), 0);
	CHECK_EQ(waitpid(c.pid, &status, 0), c.pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(c.fd);

	/* the dead borrower's socket gave the offer back */
	ret = vshmem_offer_wait_release(o, 10000);
	CHECK_EQ(ret, 0);
	CHECK_EQ(vshmem_offer_get_state(o), VSHMEM_STATE_RELEASED);
	CHECK_EQ(vt_read_sig(lp), 0);
	TRY(vt_check(lp, SZ, seed + 1));	/* with the borrower's writes */
	vshmem_offer_free(o);
	vshmem_channel_close(ch);
	vshmem_buf_close(buf);
	if (check_fds)
		CHECK_EQ(vt_fd_count(), fds0);
	return 0;
}

static int kill_borrower(const char *heap, int type)
{
	long long out0 = vt_stat("outstanding");

	CHECK(out0 >= 0);
	TRY(kill_borrower_round(heap, type, 3, true));
	TRY(vt_wait_outstanding(out0));
	return 0;
}

static int peer_killed_share_seqpacket(void)
{
	return kill_borrower("system", SOCK_SEQPACKET);
}

static int peer_killed_share_stream(void)
{
	return kill_borrower("system", SOCK_STREAM);
}

static int peer_killed_lend_seqpacket(void)
{
	return kill_borrower("lend", SOCK_SEQPACKET);
}

static int peer_killed_lend_stream(void)
{
	return kill_borrower("lend", SOCK_STREAM);
}

/* A lender that offers and then waits to be killed. */
static int holding_lender(void *arg, int fd)
{
	struct child_arg *a = arg;
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = a->type);
	struct vshmem_channel *ch = NULL;
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf;
	void *lp;

	CHECK(buf = vt_alloc("lend", SZ));
	CHECK(lp = vt_map(buf, VSHMEM_ACCESS_RW));
	vt_fill(lp, SZ, a->seed);
	TRY(vt_wait_byte(fd, 'L', 30));
	CHECK_EQ(vshmem_channel_connect(VMADDR_CID_LOCAL, a->port, &co, &ch), 0);
	CHECK_EQ(vshmem_offer_send(ch, buf, NULL, &o), 0);
	TRY(vt_send_byte(fd, 'O'));
	for (;;)
		pause();
}

/* The lender dies: the borrower's access ends, it is told (RECLAIM), and
 * the kernel holds nothing. */
static int peer_killed_lender(void)
{
	struct child_arg a = { .type = SOCK_SEQPACKET, .port = vt_port(), .seed = 9 };
	struct vshmem_channel *l = NULL, *ch = NULL;
	struct vshmem_incoming *in, *none = NULL;
	struct vt_child c = { -1, -1 };
	long long out0 = vt_stat("outstanding");
	int fds0 = vt_fd_count(), ret, status;
	void *bp;

	CHECK(out0 >= 0);
	CHECK_EQ(vshmem_channel_listen(VMADDR_CID_ANY, a.port, NULL, &l), 0);
	CHECK_EQ(vt_spawn(&c, holding_lender, &a), 0);
	TRY(vt_send_byte(c.fd, 'L'));
	CHECK_EQ(vshmem_channel_accept(l, &ch), 0);
	TRY(vt_wait_byte(c.fd, 'O', 30));
	CHECK(in = vt_recv_offer(ch));
	CHECK(bp = vt_map(vshmem_incoming_get_buf(in), VSHMEM_ACCESS_READ));
	TRY(vt_check(bp, SZ, 9));
	CHECK_EQ(kill(c.pid, SIGKILL), 0);
	CHECK_EQ(waitpid(c.pid, &status, 0), c.pid);
	close(c.fd);
	TRY(vt_wait_outstanding(out0));
	CHECK_EQ(vt_read_sig(bp), SIGBUS);	/* the lender's kernel took it */
	ret = vshmem_channel_recv(ch, NULL, 0, 10000, NULL, &none);
	CHECK(ret == 0 || ret == -ECONNRESET);
	CHECK(!none);
	if (ret != 0)
		vt_diag("no RECLAIM notice before end of stream");
	/* the same state whichever came first (vshmem_channel_recv()) */
	CHECK_EQ(vshmem_incoming_get_state(in), VSHMEM_STATE_RECLAIMED);
	vshmem_incoming_close(in);
	vshmem_channel_close(ch);
	vshmem_channel_close(l);
	CHECK_EQ(vt_fd_count(), fds0);
	return 0;
}

/* Many rounds: fds, outstanding and MemFree come back (bound above). */
static int leak_rounds(void)
{
	enum { ROUNDS = 40 };
	long long out0;
	long free0, free1;
	int fds0;

	/* 42 borrower processes killed in turn: long by design */
	vt_watchdog(600);
	/* one round first, so that caches and the heaps' pools settle */
	TRY(kill_borrower_round("lend", SOCK_SEQPACKET, 1, false));
	TRY(kill_borrower_round("system", SOCK_STREAM, 1, false));
	out0 = vt_stat("outstanding");
	CHECK(out0 >= 0);
	fds0 = vt_fd_count();
	free0 = vt_memfree_kb();
	CHECK(free0 > 0);
	for (int i = 0; i < ROUNDS; i++)
		TRY(kill_borrower_round(i % 2 ? "lend" : "system",
					i % 4 < 2 ? SOCK_SEQPACKET : SOCK_STREAM,
					100 + i, false));
	TRY(vt_wait_outstanding(out0));
	CHECK_EQ(vt_fd_count(), fds0);
	usleep(200 * 1000);	/* deferred frees (RCU) */
	free1 = vt_memfree_kb();
	vt_diag("MemFree %ld kB -> %ld kB (drift %ld kB over %d rounds of %lu MiB)",
		free0, free1, free0 - free1, ROUNDS, SZ / MiB);
	CHECK(free0 - free1 < 16 * 1024);
	return 0;
}

static const struct vt_case cases[] = {
	{ "peer_killed_share_seqpacket", peer_killed_share_seqpacket },
	{ "peer_killed_share_stream", peer_killed_share_stream },
	{ "peer_killed_lend_seqpacket", peer_killed_lend_seqpacket },
	{ "peer_killed_lend_stream", peer_killed_lend_stream },
	{ "peer_killed_lender", peer_killed_lender },
	{ "leak_rounds", leak_rounds },
};

VT_MAIN(cases)
