// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite stages (where an offer's time goes, by size). */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: stages                                                       */

static const struct col stages_cols[] = {
	{ "size", "size", C_SIZE },
	{ "heap", "heap", C_STR },
	{ "send_ns", "send", C_TIME },
	{ "back_ns", "back", C_TIME },
	{ "total_ns", "total", C_TIME },
	{ "send_vs_4k", "send/4K", C_RATIO },
	{ "back_vs_4k", "back/4K", C_RATIO },
	{ "total_vs_4k", "total/4K", C_RATIO },
	{ "reps", "reps", C_COUNT },
};

static const char *const stage_heaps[] = { "system", "lend", "lend-nomap" };
#define NHEAPS NCOLS(stage_heaps)

struct stage_point {
	struct samples send, back;
	double send4, back4, total4;	/* at 4K, for the ratios */
};

/* One offer, split where the lender's thread sees it: *send until
 * vshmem_offer_send() returned, *back until the RELINQUISH was read. */
static void offer_split(struct vshmem_channel *ch, struct vshmem_buf *buf,
			double *send, double *back)
{
	struct vshmem_offer *o;
	uint64_t t0 = now_ns(), t1;
	int ret;

	ret = vshmem_offer_send(ch, buf, NULL, &o);
	if (ret < 0)
		die(ret, "offer");
	t1 = now_ns();
	ret = vshmem_offer_wait_release(o, WAIT_MS);
	if (ret < 0)
		die(ret, "wait for the release");
	*send = (double)(t1 - t0);
	*back = (double)(now_ns() - t1);
	vshmem_offer_free(o);
}

static void stage_row(struct table *t, uint64_t size, const char *heap,
		      struct stage_point *p, unsigned int reps)
{
	double s = sample_median(&p->send), b = sample_median(&p->back);

	if (size == 4 * KiB)
		p->send4 = s, p->back4 = b, p->total4 = s + b;
	table_row(t, (double)size, heap, s, b, s + b, s / p->send4,
		  b / p->back4, (s + b) / p->total4, (double)reps);
}

void suite_stages(void)
{
	static const uint64_t sizes[] = { 4 * KiB, 1 * MiB, 64 * MiB,
					  256 * MiB };
	struct table *t = table_new("stages",
		"Where an offer's time goes, by size: the lender's two stages (median)",
		stages_cols, NCOLS(stages_cols));
	struct vshmem_heap *heaps[NHEAPS];
	struct vshmem_channel *ch[NHEAPS];
	struct stage_point pt[NHEAPS] = { 0 };

	t->note = "send: vshmem_offer_send() until it returns: the kernel attaches the dma-buf to the transport's\n"
		  "device, maps it (LEND: takes it from the lender first), builds the descriptor and queues it;\n"
		  "back: until the lender has read the peer's RELINQUISH: delivery, the borrower's import and fd,\n"
		  "its release, and the lender's unmap (LEND: reclaim). The split is where the lender's thread\n"
		  "sees it: on one CPU the peer may run before the send returns, so part of 'back' can fall into\n"
		  "'send'; the total is exact. Heaps interleaved per repetition; ratios against the 4K row of the\n"
		  "same heap.";
	for (unsigned int h = 0; h < NHEAPS; h++) {
		heaps[h] = heap_open(stage_heaps[h], h == 0);
		ch[h] = heaps[h] ? offer_channel(0) : NULL;
		pt[h].send4 = pt[h].back4 = pt[h].total4 = NAN;
	}
	for (unsigned int i = 0; i < NCOLS(sizes); i++) {
		uint64_t size = sizes[i], t0;
		struct vshmem_buf *b[NHEAPS] = { NULL };
		unsigned int reps = 0;
		char sz[16];

		if (size < opt.min_size || size > opt.max_size)
			continue;
		size_str(size, sz, sizeof(sz));
		progress("stages: %s ...", sz);
		for (unsigned int h = 0; h < NHEAPS; h++) {
			double s, k;

			if (!heaps[h])
				continue;
			b[h] = buf_alloc(heaps[h], size);
			buf_fill(b[h], 0x3c);
			offer_split(ch[h], b[h], &s, &k);	/* warm-up */
			sample_reset(&pt[h].send), sample_reset(&pt[h].back);
		}
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			for (unsigned int h = 0; h < NHEAPS; h++) {
				double s, k;

				if (!b[h])
					continue;
				offer_split(ch[h], b[h], &s, &k);
				sample_add(&pt[h].send, s);
				sample_add(&pt[h].back, k);
			}
			reps++;
		}
		for (unsigned int h = 0; h < NHEAPS; h++) {
			if (!b[h])
				continue;
			stage_row(t, size, stage_heaps[h], &pt[h], reps);
			vshmem_buf_close(b[h]);
		}
	}
	for (unsigned int h = 0; h < NHEAPS; h++) {
		vshmem_channel_close(ch[h]);
		vshmem_heap_close(heaps[h]);
		sample_free(&pt[h].send), sample_free(&pt[h].back);
	}
}
