// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite rate. */

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
	{ "rounds", "rounds", C_COUNT },
};

static const unsigned int rate_batches[] = { 0 /* sync */, 1, 8, 32, 128 };
#define NMODES (sizeof(rate_batches) / sizeof(rate_batches[0]))

static uint64_t send_sync(struct vshmem_channel *ch, struct vshmem_buf **bufs,
			  unsigned int w, struct vshmem_offer **offers)
{
	uint64_t t0 = now_ns();
	int ret;

	for (unsigned int i = 0; i < w; i++) {
		ret = vshmem_offer_send(ch, bufs[i], NULL, &offers[i]);
		if (ret < 0)
			die(ret, "offer %u of %u", i + 1, w);
	}
	return now_ns() - t0;
}

#ifdef HAVE_LIBURING
static uint64_t send_uring(struct io_uring *ring, struct vshmem_channel *ch,
			   struct vshmem_buf **bufs, unsigned int w,
			   unsigned int batch, struct vshmem_offer **offers)
{
	uint64_t t0 = now_ns();
	struct io_uring_cqe *cqe;
	struct vshmem_offer *o;
	int ret;

	for (unsigned int i = 0; i < w; i += batch) {
		unsigned int n = w - i < batch ? w - i : batch;

		for (unsigned int k = 0; k < n; k++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				die(-EBUSY, "io_uring: no free SQE");
			ret = vshmem_uring_prep_offer(sqe, ch, bufs[i + k], NULL,
						      &offers[i + k]);
			if (ret < 0)
				die(ret, "vshmem_uring_prep_offer");
		}
		ret = io_uring_submit_and_wait(ring, n);
		if (ret < 0)
			die(ret, "io_uring_submit_and_wait");
		for (unsigned int k = 0; k < n; k++) {
			ret = io_uring_wait_cqe(ring, &cqe);
			if (ret < 0)
				die(ret, "io_uring_wait_cqe");
			ret = vshmem_uring_complete(ch, cqe, &o, NULL);
			io_uring_cqe_seen(ring, cqe);
			if (ret < 0)
				die(ret, "io_uring offer");
		}
	}
	return now_ns() - t0;
}
#endif

static uint64_t drain(struct vshmem_offer **offers, unsigned int w)
{
	uint64_t t0 = now_ns();
	int ret;

	for (unsigned int i = 0; i < w; i++) {
		ret = vshmem_offer_wait_release(offers[i], WAIT_MS);
		if (ret < 0)
			die(ret, "wait for the release of offer %u", i + 1);
		vshmem_offer_free(offers[i]);
	}
	return now_ns() - t0;
}

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
	struct vshmem_channel *ch = offer_channel(0);
	double sync_send = NAN, sync_cyc = NAN, b32 = NAN;
#ifdef HAVE_LIBURING
	struct io_uring ring;
	int ret = io_uring_queue_init(256, &ring, 0);

	if (ret < 0)
		die(ret, "io_uring_queue_init");
#endif
	static char note[320];

	snprintf(note, sizeof(note),
		 "A round offers %u distinct buffers (one sendmsg each; io_uring: one submit per batch), then reads the\n"
		 "%u RELINQUISH notices. 'sent' times the offering only, 'round trip' the whole round. Modes interleaved.", w, w);
	t->note = note;
	if (!bufs || !offers)
		die(-ENOMEM, "rate");
	for (unsigned int s = 0; s < 2; s++) {
		uint64_t size = sizes[s], t0;
		unsigned int rounds = 0;
		char sz[16];

		if (size > opt.max_size)
			continue;
		size_str(size, sz, sizeof(sz));
		progress("rate: %u buffers of %s ...", w, sz);
		for (unsigned int i = 0; i < w; i++) {
			bufs[i] = buf_alloc(sys, size);
			buf_fill(bufs[i], 1);
		}
		for (unsigned int m = 0; m < NMODES; m++)
			sample_reset(&send[m]), sample_reset(&cyc[m]);
		t0 = now_ns();
		/* round 0 is a warm-up */
		for (unsigned int r = 0; r == 0 || more_reps(rounds, t0); r++) {
			for (unsigned int m = 0; m < NMODES; m++) {
				uint64_t ts = 0, td;

				if (rate_batches[m] == 0)
					ts = send_sync(ch, bufs, w, offers);
#ifdef HAVE_LIBURING
				else if (rate_batches[m] <= w)
					ts = send_uring(&ring, ch, bufs, w,
							rate_batches[m], offers);
#endif
				else
					continue;
				td = drain(offers, w);
				if (r == 0)
					continue;
				sample_add(&send[m], (double)w * 1e9 / (double)ts);
				sample_add(&cyc[m], (double)w * 1e9 / (double)(ts + td));
			}
			if (r == 0)
				t0 = now_ns();
			else
				rounds++;
		}
		for (unsigned int m = 0; m < NMODES; m++) {
			double sr = sample_median(&send[m]), cr = sample_median(&cyc[m]);
			char mode[24];

			if (m == 0)
				sync_send = sr, sync_cyc = cr;
			if (rate_batches[m] == 32 && size == 4 * KiB)
				b32 = sr / sync_send;
			snprintf(mode, sizeof(mode), "%s",
				 m == 0 ? "sync" : "io_uring");
			table_row(t, (double)size, mode,
				  m == 0 ? 1.0 : (double)rate_batches[m], sr,
				  sr / sync_send, cr, cr / sync_cyc, (double)rounds);
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
	for (unsigned int m = 0; m < NMODES; m++)
		sample_free(&send[m]), sample_free(&cyc[m]);
	free(bufs);
	free(offers);

	struct target *g = target_add(opt.icount ?
				      "io_uring batch 32 vs sync (4K, insns)" :
				      "io_uring batch 32 vs sync (4K)",
				      ">= 2x offers/s");
	if (isnan(b32)) {
		snprintf(g->why, sizeof(g->why),
			 "not measured (built without liburing, or window < 32)");
	} else {
		snprintf(g->measured, sizeof(g->measured), "%.2fx", b32);
		g->status = b32 >= 2 ? "met" : "missed";
	}
}

