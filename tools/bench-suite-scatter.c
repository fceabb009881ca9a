// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite scatter. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: scatter (entries per buffer, allocation time)                */

static const struct col scatter_cols[] = {
	{ "heap", "heap", C_STR },
	{ "size", "size", C_SIZE },
	{ "alloc_ns", "alloc", C_TIME },
	{ "offer_ns", "offer round trip", C_TIME },
	{ "entries", "scatter entries", C_COUNT },
};

void suite_scatter(void)
{
	struct table *t = table_new("scatter",
		"Scatter length per buffer and allocation time, per heap (median)",
		scatter_cols, NCOLS(scatter_cols));
	uint64_t size = opt.scatter_size;
	struct vshmem_channel *ch = offer_channel(0);
	double lend_entries = NAN;
	bool counter = false;

	t->note = "entries: the delta of the kernel's debugfs 'entries' counter per offer (scatter-table entries; n/a: the\n"
		  "kernel has no entries counter). FF-A gives the partition at most one address range per entry (fewer\n"
		  "where entries are neighbours in physical memory).";
	for (unsigned int h = 0; h < NHEAPS; h++) {
		struct vshmem_heap *heap = heap_open(bench_heaps[h], false);
		struct samples al = { 0 }, of = { 0 };
		struct vshmem_buf *b = NULL;
		struct kstats k0, k1;
		double entries, offers;

		if (!heap) {
			table_row(t, bench_heaps[h], (double)size, NAN, NAN, NAN);
			continue;
		}
		progress("scatter: %s heap, %" PRIu64 " MiB ...", bench_heaps[h], size / MiB);
		for (unsigned int i = 0; i < 5; i++) {
			uint64_t t0 = now_ns();

			vshmem_buf_close(b);
			b = buf_alloc(heap, size);
			sample_add(&al, (double)(now_ns() - t0));
		}
		if (h != 2)	/* lend-nomap never maps */
			buf_fill(b, 0x11);
		vshmem_buf_unmap(b);
		offer_once(ch, b);	/* warm-up */
		kstats_read(&k0);
		for (unsigned int i = 0; i < 5; i++)
			sample_add(&of, (double)offer_once(ch, b));
		kstats_read(&k1);
		offers = kstats_delta(&k0, &k1, "offers");
		entries = kstats_delta(&k0, &k1, "entries");
		if (!isnan(entries) && offers > 0) {
			entries /= offers;
			counter = true;
		} else {
			entries = NAN;
		}
		if (h == 1)
			lend_entries = entries;
		table_row(t, bench_heaps[h], (double)size, sample_median(&al),
			  sample_median(&of), entries);
		vshmem_buf_close(b);
		vshmem_heap_close(heap);
		sample_free(&al), sample_free(&of);
	}
	vshmem_channel_close(ch);
	if (!counter)
		progress("scatter: entries: n/a (kernel has no entries counter)");

	struct target *g = target_add("lend heap: scatter entries per 64M",
				      "<= 32");
	if (size != 64 * MiB) {
		snprintf(g->why, sizeof(g->why), "scatter size is not 64M");
	} else if (isnan(lend_entries)) {
		snprintf(g->measured, sizeof(g->measured),
			 "n/a (kernel has no entries counter)");
	} else {
		snprintf(g->measured, sizeof(g->measured), "%.0f", lend_entries);
		g->status = lend_entries <= 32 ? "met" : "missed";
	}
}

