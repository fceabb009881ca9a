// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite rate. */

#include <sys/resource.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: rate (synchronous sendmsg vs io_uring batches)               */

static const struct col rate_cols[] = {
	{ "size", "size", C_SIZE },
	{ "mode", "mode", C_STR },
	{ "batch", "batch", C_COUNT },
	{ "send_per_s", "offers/s sent", C_RATE },
	{ "send_vs_sync", "vs sync", C_RATIO },
	{ "cycle_per_s", "offers/s round trip", C_RATE },
	{ "cycle_vs_sync", "vs sync", C_RATIO },
	{ "sleeps", "sleeps/offer", C_COUNT },
	{ "rounds", "rounds", C_COUNT },
};

static const unsigned int rate_batches[] = { 0 /* sync */, 1, 8, 32, 128 };
#define NMODES (sizeof(rate_batches) / sizeof(rate_batches[0]))

/* Where an offer's sending goes, per stage, for one mode (the profile of
 * docs/performance.md; instructions under -icount): summed over a
 * profiled round, then kept per offer, one sample per round. */
enum { ST_PREP, ST_ENTER, ST_REAP, ST_RECV, NSTAGES };
struct stages {
	double sum[NSTAGES];	/* this round */
	struct samples per_offer[NSTAGES];	/* one per round */
};

static const struct col stage_cols[] = {
	{ "size", "size", C_SIZE },
	{ "mode", "mode", C_STR },
	{ "batch", "batch", C_COUNT },
	{ "prep", "prepare (library)", C_TIME },
	{ "enter", "sendmsg / io_uring_enter", C_TIME },
	{ "reap", "completion (library)", C_TIME },
	{ "total", "sent", C_TIME },
	{ "recv", "notice received", C_TIME },
};

/* What a now_ns() pair costs by itself, taken off every stage. */
static double clock_cost;

static void clock_calibrate(void)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 200; i++) {
		uint64_t a = now_ns(), b = now_ns();

		if (b - a < best)
			best = b - a;
	}
	clock_cost = (double)best;
}

static void stage_add(struct stages *st, int stage, uint64_t t0, uint64_t t1)
{
	double d = (double)(t1 - t0) - clock_cost;

	st->sum[stage] += d > 0 ? d : 0;
}

/* The lender's voluntary context switches so far: each is a sleep that a
 * wake-up had to end. */
static long sleeps(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		die(-errno, "getrusage");
	return ru.ru_nvcsw;
}

/* vshmem_offer_send() does both the library's preparation and the
 * sendmsg(): its whole cost is counted as the syscall's stage. */
static uint64_t send_sync(struct vshmem_channel *ch, struct vshmem_buf **bufs,
			  unsigned int w, struct vshmem_offer **offers,
			  struct stages *st)
{
	uint64_t t0 = now_ns(), t1;
	int ret;

	for (unsigned int i = 0; i < w; i++) {
		ret = vshmem_offer_send(ch, bufs[i], NULL, &offers[i]);
		if (ret < 0)
			die(ret, "offer %u of %u", i + 1, w);
	}
	t1 = now_ns();
	if (st)
		stage_add(st, ST_ENTER, t0, t1);
	return t1 - t0;
}

/* One blocking recvmsg() per RELINQUISH notice. */
static uint64_t drain_sync(struct vshmem_offer **offers, unsigned int w,
			   struct stages *st)
{
	uint64_t t0 = now_ns(), t1;
	int ret;

	for (unsigned int i = 0; i < w; i++) {
		ret = vshmem_offer_wait_release(offers[i], WAIT_MS);
		if (ret < 0)
			die(ret, "wait for the release of offer %u", i + 1);
		vshmem_offer_free(offers[i]);
	}
	t1 = now_ns();
	if (st)
		stage_add(st, ST_RECV, t0, t1);
	return t1 - t0;
}

#ifdef HAVE_LIBURING
/* The ring as a program that only talks through it would set it up: one
 * thread submits (no locking of the submission side), completions run
 * when it waits for them (no wake-up per completion, no IPI), and the
 * ring's own fd is registered (no fd lookup per io_uring_enter()). A
 * kernel without these features gets a plain ring. */
static void ring_init(struct io_uring *ring)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	int ret = io_uring_queue_init_params(256, ring, &p);

	if (ret == -EINVAL)
		ret = io_uring_queue_init(256, ring, 0);
	if (ret < 0)
		die(ret, "io_uring_queue_init");
	(void)io_uring_register_ring_fd(ring);	/* only an optimization */
}

/* Hand every CQE that is there to the library; returns how many. */
static unsigned int reap(struct io_uring *ring, struct vshmem_channel *ch,
			 const char *what)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret;

	io_uring_for_each_cqe(ring, head, cqe) {
		struct vshmem_incoming *in = NULL;
		struct vshmem_offer *o;

		ret = vshmem_uring_complete(ch, cqe, &o, &in);
		if (ret < 0)
			die(ret, "io_uring %s", what);
		if (in)
			die(-EPROTO, "an offer came back instead of a notice");
		n++;
	}
	io_uring_cq_advance(ring, n);
	return n;
}

static uint64_t send_uring(struct io_uring *ring, struct vshmem_channel *ch,
			   struct vshmem_buf **bufs, unsigned int w,
			   unsigned int batch, struct vshmem_offer **offers,
			   struct stages *st)
{
	uint64_t t0 = now_ns(), ta, tb, tc, td;
	int ret;

	for (unsigned int i = 0; i < w; i += batch) {
		unsigned int n = w - i < batch ? w - i : batch;

		ta = now_ns();
		for (unsigned int k = 0; k < n; k++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				die(-EBUSY, "io_uring: no free SQE");
			ret = vshmem_uring_prep_offer(sqe, ch, bufs[i + k], NULL,
						      &offers[i + k]);
			if (ret < 0)
				die(ret, "vshmem_uring_prep_offer");
		}
		/* One io_uring_enter() submits and waits for the batch. */
		tb = now_ns();
		ret = io_uring_submit_and_wait(ring, n);
		if (ret < 0)
			die(ret, "io_uring_submit_and_wait");
		tc = now_ns();
		for (unsigned int got = reap(ring, ch, "offer"); got < n;
		     got += reap(ring, ch, "offer")) {
			ret = io_uring_submit_and_wait(ring, n - got);
			if (ret < 0)
				die(ret, "io_uring_submit_and_wait");
		}
		td = now_ns();
		if (st) {
			stage_add(st, ST_PREP, ta, tb);
			stage_add(st, ST_ENTER, tb, tc);
			stage_add(st, ST_REAP, tc, td);
		}
	}
	return now_ns() - t0;
}

/* The w RELINQUISH notices through the ring: w receives in one chain
 * (IOSQE_IO_LINK: each starts when the one before it completed, so only
 * one waits on the socket at a time; unlinked, every notice that comes
 * wakes all the receives still waiting, and the rate varied by +-15%
 * between runs), submitted and waited for in one io_uring_enter(). A
 * notice carries no data: the chain shares one scratch buffer. */
static uint64_t drain_uring(struct io_uring *ring, struct vshmem_channel *ch,
			    struct vshmem_offer **offers, unsigned int w,
			    struct stages *st)
{
	static unsigned char scratch[64];
	uint64_t t0 = now_ns();
	unsigned int got;
	int ret;

	for (unsigned int i = 0; i < w; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			die(-EBUSY, "io_uring: no free SQE");
		ret = vshmem_uring_prep_recv(sqe, ch, scratch, sizeof(scratch));
		if (ret < 0)
			die(ret, "vshmem_uring_prep_recv");
		if (i + 1 < w)
			sqe->flags |= IOSQE_IO_LINK;
	}
	ret = io_uring_submit_and_wait(ring, w);
	if (ret < 0)
		die(ret, "io_uring_submit_and_wait");
	for (got = reap(ring, ch, "receive"); got < w;
	     got += reap(ring, ch, "receive")) {
		ret = io_uring_submit_and_wait(ring, w - got);
		if (ret < 0)
			die(ret, "io_uring_submit_and_wait");
	}
	for (unsigned int i = 0; i < w; i++) {
		if (vshmem_offer_get_state(offers[i]) != VSHMEM_STATE_RELEASED)
			die(-EPROTO, "offer %u not released after %u notices",
			    i + 1, w);
		vshmem_offer_free(offers[i]);
	}
	if (st)
		stage_add(st, ST_RECV, t0, now_ns());
	return now_ns() - t0;
}
#endif

void suite_rate(void)
{
	struct table *t = table_new("rate", opt.icount ?
		"Offer rate under QEMU -icount: '/s' is per 10^9 guest instructions (SHARE, median over rounds)" :
		"Offer rate: synchronous vshmem_offer_send() vs io_uring batches (SHARE, median over rounds)",
		rate_cols, NCOLS(rate_cols));
	static const uint64_t sizes[] = { 4 * KiB, 1 * MiB };
	struct vshmem_heap *sys = heap_open("system", true);
	unsigned int w = opt.window;
	struct vshmem_buf **bufs = calloc(w, sizeof(*bufs));
	struct vshmem_offer **offers = calloc(w, sizeof(*offers));
	struct samples send[NMODES] = { 0 }, cyc[NMODES] = { 0 };
	struct samples slp[NMODES] = { 0 };
	static struct stages st[NMODES];
	struct table *ts_tab = table_new("rate-stages", opt.icount ?
		"Where sending goes, per offer, under QEMU -icount: 1 ns = 1 guest instruction (median over rounds)" :
		"Where sending goes, per offer (median over rounds)",
		stage_cols, NCOLS(stage_cols));
	struct vshmem_channel *ch = offer_channel(0);
	double worst_send = NAN, worst_cyc = NAN;
#ifdef HAVE_LIBURING
	struct io_uring ring;

	ring_init(&ring);
#endif
	static char note[560];

	snprintf(note, sizeof(note),
		 "A round offers %u distinct buffers (sync: one sendmsg each; io_uring: one io_uring_enter per batch),\n"
		 "then reads the %u RELINQUISH notices (sync: one recvmsg each; io_uring: %u linked receives in one\n"
		 "io_uring_enter). 'sent' times the offering only, 'round trip' the whole round; sleeps/offer: the\n"
		 "lender's voluntary context switches in the round. Modes interleaved; odd rounds measure the\n"
		 "rates, even ones the stages (their clocks cost instructions).", w, w, w);
	t->note = note;
	if (!bufs || !offers)
		die(-ENOMEM, "rate");
	for (unsigned int s = 0; s < 2; s++) {
		uint64_t size = sizes[s], t0;
		unsigned int rounds = 0;
		double sync_send = NAN, sync_cyc = NAN;
		char sz[16];

		if (size > opt.max_size)
			continue;
		size_str(size, sz, sizeof(sz));
		progress("rate: %u buffers of %s ...", w, sz);
		for (unsigned int i = 0; i < w; i++) {
			bufs[i] = buf_alloc(sys, size);
			buf_fill(bufs[i], 1);
		}

		clock_calibrate();
		for (unsigned int m = 0; m < NMODES; m++) {
			sample_reset(&send[m]), sample_reset(&cyc[m]);
			sample_reset(&slp[m]);
			for (int k = 0; k < NSTAGES; k++)
				sample_reset(&st[m].per_offer[k]);
		}
		t0 = now_ns();
		/* round 0 is a warm-up */
		for (unsigned int r = 0; r == 0 || more_reps(rounds, t0); r++) {
			for (unsigned int m = 0; m < NMODES; m++) {
				/* The stage clocks cost instructions of their
				 * own: even rounds are profiled, odd ones
				 * measure the rates. */
				struct stages *sm = r && r % 2 == 0 ? &st[m] : NULL;
				uint64_t ts = 0, td = 0;
				long s0 = sleeps();

				if (rate_batches[m] == 0) {
					ts = send_sync(ch, bufs, w, offers, sm);
					td = drain_sync(offers, w, sm);
				}
#ifdef HAVE_LIBURING
				else if (rate_batches[m] <= w) {
					ts = send_uring(&ring, ch, bufs, w,
							rate_batches[m], offers, sm);
					td = drain_uring(&ring, ch, offers, w, sm);
				}
#endif
				else
					continue;
				if (r == 0)
					continue;
				if (sm) {
					for (int k = 0; k < NSTAGES; k++) {
						sample_add(&sm->per_offer[k],
							   sm->sum[k] / w);
						sm->sum[k] = 0;
					}
					continue;
				}
				sample_add(&send[m], (double)w * 1e9 / (double)ts);
				sample_add(&cyc[m], (double)w * 1e9 / (double)(ts + td));
				sample_add(&slp[m], (double)(sleeps() - s0) / w);
			}
			if (r == 0)
				t0 = now_ns();
			else
				rounds++;
		}
		for (unsigned int m = 0; m < NMODES; m++) {
			double sr = sample_median(&send[m]), cr = sample_median(&cyc[m]);

			if (m == 0) {
				sync_send = sr, sync_cyc = cr;
			} else if (!isnan(sr)) {
				/* The target is on the worst batch size. */
				if (isnan(worst_send) || sr / sync_send < worst_send)
					worst_send = sr / sync_send;
				if (isnan(worst_cyc) || cr / sync_cyc < worst_cyc)
					worst_cyc = cr / sync_cyc;
			}
			if (isnan(sr))
				continue;
			{
				double v[NSTAGES];

				for (int k = 0; k < NSTAGES; k++)
					v[k] = sample_median(&st[m].per_offer[k]);
				table_row(ts_tab, (double)size,
					  m == 0 ? "sync" : "io_uring",
					  m == 0 ? 1.0 : (double)rate_batches[m],
					  m == 0 ? NAN : v[ST_PREP], v[ST_ENTER],
					  m == 0 ? NAN : v[ST_REAP],
					  m == 0 ? v[ST_ENTER] :
					  v[ST_PREP] + v[ST_ENTER] + v[ST_REAP],
					  v[ST_RECV]);
			}
			table_row(t, (double)size, m == 0 ? "sync" : "io_uring",
				  m == 0 ? 1.0 : (double)rate_batches[m], sr,
				  sr / sync_send, cr, cr / sync_cyc,
				  sample_median(&slp[m]), (double)rounds);
		}
		progress("rate: %s: sync %.0f/s, io_uring batch 32 %.0f/s",
			 sz, sync_send, sample_median(&send[3]));
		for (unsigned int i = 0; i < w; i++)
			vshmem_buf_close(bufs[i]);
	}
#ifdef HAVE_LIBURING
	io_uring_queue_exit(&ring);
#endif
	vshmem_channel_close(ch);
	vshmem_heap_close(sys);
	for (unsigned int m = 0; m < NMODES; m++) {
		sample_free(&send[m]), sample_free(&cyc[m]);
		sample_free(&slp[m]);
		for (int k = 0; k < NSTAGES; k++)
			sample_free(&st[m].per_offer[k]);
	}
	free(bufs);
	free(offers);

	const char *unit = opt.icount ? ", insns" : "";
	char name[80];
	struct target *g;

	snprintf(name, sizeof(name), "io_uring vs sync, sent, worst batch%s", unit);
	g = target_add(name, ">= 1.0x offers/s");
	if (isnan(worst_send)) {
		snprintf(g->why, sizeof(g->why),
			 "not measured (built without liburing)");
	} else {
		snprintf(g->measured, sizeof(g->measured), "%.2fx", worst_send);
		g->status = worst_send >= 1 ? "met" : "missed";
		if (worst_send < 1)
			snprintf(g->why, sizeof(g->why), "%s",
				 "the kernel's io_uring request work exceeds the syscall entry it saves (rate-stages table; docs/performance.md)");
	}
	snprintf(name, sizeof(name), "io_uring vs sync, round trip, worst batch%s", unit);
	g = target_add(name, ">= 1.0x offers/s");
	if (isnan(worst_cyc)) {
		snprintf(g->why, sizeof(g->why),
			 "not measured (built without liburing)");
	} else {
		snprintf(g->measured, sizeof(g->measured), "%.2fx", worst_cyc);
		g->status = worst_cyc >= 1 ? "met" : "missed";
		if (worst_cyc < 1)
			snprintf(g->why, sizeof(g->why), "%s",
				 "one receive per notice costs as much through the ring; the peer's scheduling moves this ratio by +-10% (docs/performance.md)");
	}
}
