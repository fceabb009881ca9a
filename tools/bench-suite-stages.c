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
	struct samples send, back, total;
	double send4, back4, total4;	/* at 4K, for the ratios */
};

static void stage_row(struct table *t, uint64_t size, const char *heap,
		      struct stage_point *p, unsigned int reps)
{
	double s = sample_median(&p->send), b = sample_median(&p->back);
	double a = sample_median(&p->total);

	if (size == 4 * KiB)
		p->send4 = s, p->back4 = b, p->total4 = a;
	table_row(t, (double)size, heap, s, b, a, s / p->send4, b / p->back4,
		  a / p->total4, (double)reps);
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
			if (!heaps[h])
				continue;
			b[h] = buf_alloc(heaps[h], size);
			buf_fill(b[h], 0x3c);
			offer_once(ch[h], b[h]);	/* warm-up */
			sample_reset(&pt[h].send), sample_reset(&pt[h].back);
			sample_reset(&pt[h].total);
		}
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			for (unsigned int h = 0; h < NHEAPS; h++) {
				uint64_t sent, total;

				if (!b[h])
					continue;
				total = offer_once_split(ch[h], b[h], &sent);
				sample_add(&pt[h].send, (double)sent);
				sample_add(&pt[h].back, (double)(total - sent));
				sample_add(&pt[h].total, (double)total);
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
		sample_free(&pt[h].total);
	}
}
