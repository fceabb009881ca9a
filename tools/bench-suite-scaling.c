// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite scaling. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: scaling (outstanding offers, concurrent senders)             */

static const struct col outstanding_cols[] = {
	{ "outstanding", "outstanding", C_COUNT },
	{ "latency_ns", "offer round trip", C_TIME },
	{ "vs_1", "vs 1", C_RATIO },
	{ "reps", "reps", C_COUNT },
};

static const struct col senders_cols[] = {
	{ "senders", "senders", C_COUNT },
	{ "latency_ns", "offer round trip", C_TIME },
	{ "latency_vs_1", "vs 1", C_RATIO },
	{ "total_per_s", "offers/s (all)", C_RATE },
	{ "total_vs_1", "vs 1", C_RATIO },
};

struct sender_result {
	double median_ns;
	uint64_t count;
};

void suite_scaling(void)
{
	struct table *t = table_new("outstanding",
		"Scaling: 4K SHARE offer round trip with N offers outstanding on the same socket (median)",
		outstanding_cols, NCOLS(outstanding_cols));
	struct table *u = table_new("senders",
		"Scaling: concurrent senders, each on its own socket (4K SHARE round trips)",
		senders_cols, NCOLS(senders_cols));
	static const unsigned int ns[] = { 1, 16, 256, 4096 };
	struct vshmem_heap *sys = heap_open("system", true);
	struct vshmem_buf *b = buf_alloc(sys, 4 * KiB);
	struct samples s = { 0 };
	double at1 = NAN, atmax = NAN, one_lat = NAN, one_rate = NAN;
	unsigned int nmax = 0;

	t->note = "N-1 offers of one 4K buffer are held by the peer; then round trips of one more offer are timed.";
	buf_fill(b, 7);
	for (unsigned int i = 0; i < 4; i++) {
		unsigned int n = ns[i], reps = 0;
		struct vshmem_channel *ch;
		struct vshmem_offer **held;
		uint64_t t0;
		double med;
		int ret;

		if (n > opt.max_outstanding)
			continue;
		progress("scaling: %u outstanding ...", n);
		ch = offer_channel(n - 1);
		held = calloc(n, sizeof(*held));
		if (!held)
			die(-ENOMEM, "scaling");
		for (unsigned int k = 0; k + 1 < n; k++) {
			ret = vshmem_offer_send(ch, b, NULL, &held[k]);
			if (ret < 0)
				die(ret, "outstanding offer %u of %u", k + 1, n - 1);
		}
		offer_once(ch, b);	/* the peer has seen all held ones */
		sample_reset(&s);
		t0 = now_ns();
		while (reps < 20 || more_reps(reps, t0)) {
			sample_add(&s, (double)offer_once(ch, b));
			reps++;
		}
		med = sample_median(&s);
		if (n == 1)
			at1 = med;
		atmax = med, nmax = n;
		table_row(t, (double)n, med, med / at1, (double)reps);
		for (unsigned int k = 0; k + 1 < n; k++)
			vshmem_offer_free(held[k]);
		free(held);
		vshmem_channel_close(ch);
	}
	vshmem_buf_close(b);

	for (unsigned int senders = 1; senders <= 2; senders++) {
		int ready[2], go[2], res[2];
		pid_t pids[2];
		double lat = 0, total = 0;
		uint64_t dur_ns = (uint64_t)((opt.min_time < 1 ? 1 : opt.min_time) * 1e9);
		char c;

		progress("scaling: %u concurrent sender(s) ...", senders);
		if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) ||
		    pipe2(res, O_CLOEXEC))
			die(-errno, "pipe");
		for (unsigned int k = 0; k < senders; k++) {
			pids[k] = fork();
			if (pids[k] < 0)
				die(-errno, "fork");
			if (pids[k] == 0) {
				struct sender_result r = { 0 };
				struct vshmem_channel *ch;
				struct vshmem_buf *cb;
				struct samples cs = { 0 };
				uint64_t t0;

				peer_pid = -1;
				close(go[1]);	/* or the "go" EOF never comes */
				close(ready[0]);
				close(res[0]);
				ch = offer_channel(0);
				cb = buf_alloc(sys, 4 * KiB);
				buf_fill(cb, 9);
				offer_once(ch, cb);
				if (write(ready[1], "r", 1) != 1 ||
				    read(go[0], &c, 1) != 0)
					_exit(1);
				t0 = now_ns();
				while (now_ns() - t0 < dur_ns) {
					sample_add(&cs, (double)offer_once(ch, cb));
					r.count++;
				}
				r.median_ns = sample_median(&cs);
				if (write(res[1], &r, sizeof(r)) != sizeof(r))
					_exit(1);
				vshmem_channel_close(ch);
				_exit(0);
			}
		}
		close(go[0]);
		close(ready[1]);
		close(res[1]);
		for (unsigned int k = 0; k < senders; k++)
			if (read(ready[0], &c, 1) != 1)
				die(0, "a sender failed to start");
		close(go[1]);	/* go */
		for (unsigned int k = 0; k < senders; k++) {
			struct sender_result r;

			if (read(res[0], &r, sizeof(r)) != sizeof(r))
				die(0, "a sender failed");
			lat += r.median_ns / senders;
			total += (double)r.count * 1e9 / (double)dur_ns;
		}
		for (unsigned int k = 0; k < senders; k++)
			waitpid(pids[k], NULL, 0);
		close(ready[0]);
		close(res[0]);
		if (senders == 1)
			one_lat = lat, one_rate = total;
		table_row(u, (double)senders, lat, lat / one_lat, total,
			  total / one_rate);
	}
	vshmem_heap_close(sys);
	sample_free(&s);

	struct target *g = target_add("offer latency vs outstanding offers",
				      "not linear (our reading: < 2x at 4096)");
	if (nmax > 1)
		snprintf(g->measured, sizeof(g->measured),
			 "%.2fx at %u vs 1 (%.0f us -> %.0f us)", atmax / at1,
			 nmax, at1 / 1e3, atmax / 1e3);
	if (nmax < 4096)
		snprintf(g->why, sizeof(g->why), "judged at 4096 outstanding only (--max-outstanding)");
	else
		g->status = atmax / at1 < 2 ? "met" : "missed";
}

