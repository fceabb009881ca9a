// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite sizes. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: sizes (zero-copy vs copy)                                    */

static const struct col sizes_cols[] = {
	{ "size", "size", C_SIZE },
	{ "share_ns", "(a) share", C_TIME },
	{ "lend_ns", "(b) lend", C_TIME },
	{ "lend_nomap_ns", "(b') nomap", C_TIME },
	{ "copy_ns", "(c) copy", C_TIME },
	{ "memcpy_ns", "(d) memcpy", C_TIME },
	{ "copy_over_share", "(c)/(a)", C_RATIO },
	{ "copy_over_lend", "(c)/(b)", C_RATIO },
	{ "copy_over_lend_nomap", "(c)/(b')", C_RATIO },
	{ "share_vs_4k", "(a)/4K", C_RATIO },
	{ "lend_vs_4k", "(b)/4K", C_RATIO },
	{ "lend_nomap_vs_4k", "(b')/4K", C_RATIO },
	{ "reps", "reps", C_COUNT },
};

/* Fill in a target from the 64M and 4K rows of the sizes table. */
static void sizes_targets(const struct table *t, unsigned int col,
			  unsigned int ratio_col, const char *what,
			  double goal)
{
	const struct cell *r64 = NULL, *r4 = NULL;
	char name[64], g[32];
	struct target *x, *y;

	for (unsigned int r = 0; r < t->nrows; r++) {
		if (t->rows[r][0].v == (double)(64 * MiB))
			r64 = t->rows[r];
		if (t->rows[r][0].v == (double)(4 * KiB))
			r4 = t->rows[r];
	}
	snprintf(name, sizeof(name), "64M %s vs copy", what);
	snprintf(g, sizeof(g), "copy/offer >= %.0fx", goal);
	x = target_add(name, g);
	snprintf(name, sizeof(name), "offer cost 4K -> 64M (%s)", what);
	y = target_add(name, "grows < 10x");
	if (!r64 || r64[col].na) {
		snprintf(x->why, sizeof(x->why), "%s", r64 ? "heap missing" : "64M not measured");
		snprintf(y->why, sizeof(y->why), "%s", r64 ? "heap missing" : "64M not measured");
		return;
	}
	snprintf(x->measured, sizeof(x->measured), "%.1fx", r64[ratio_col].v);
	x->status = r64[ratio_col].v >= goal ? "met" : "missed";
	if (!r4 || r4[col].na) {
		snprintf(y->why, sizeof(y->why), "4K not measured");
		return;
	}
	snprintf(y->measured, sizeof(y->measured), "%.2fx (%.0f us -> %.0f us)",
		 r64[col].v / r4[col].v, r4[col].v / 1e3, r64[col].v / 1e3);
	y->status = r64[col].v / r4[col].v < 10 ? "met" : "missed";
}

void suite_sizes(void)
{
	struct table *t = table_new("sizes",
		"Zero-copy vs copy: time to make SIZE bytes available to the peer and get its acknowledgement (median)",
		sizes_cols, NCOLS(sizes_cols));
	struct vshmem_heap *sys = heap_open("system", true);
	struct vshmem_heap *lend = heap_open("lend", false);
	struct vshmem_heap *nomap = heap_open("lend-nomap", false);
	struct vshmem_channel *ch_share = offer_channel(0);
	struct vshmem_channel *ch_lend = offer_channel(0);
	struct vshmem_channel *ch_nomap = offer_channel(0);
	int cfd = copy_connect();
	struct samples sa = { 0 }, sb = { 0 }, sn = { 0 }, sc = { 0 }, sd = { 0 };
	double a4 = NAN, b4 = NAN, n4 = NAN;
	uint64_t zero = 0;

	t->note = "(a) SCM_VSOCK_SHMEM offer from the system heap (SHARE) until the peer's RELINQUISH is read;\n"
		  "(b) the same from the lend heap (LEND: revoke on offer, reclaim on relinquish); (b') from lend-nomap;\n"
		  "(c) send()/recv() of the bytes over the same vsock transport (SOCK_STREAM, 2 MiB socket buffer) + 1-byte ack;\n"
		  "(d) memcpy() of the bytes within the lender (the copy floor). The offers of a size are measured\n"
		  "first, interleaved per repetition, then the copies, each loop for its own minimum time: a copy\n"
		  "between two offers would evict what the next offer's kernel path uses. reps: of the offers.";
	for (uint64_t size = opt.min_size; size <= opt.max_size; size *= 4) {
		struct vshmem_buf *bs = buf_alloc(sys, size);
		struct vshmem_buf *bl = lend ? buf_alloc(lend, size) : NULL;
		struct vshmem_buf *bn = nomap ? buf_alloc(nomap, size) : NULL;
		unsigned char *src = buf_fill(bs, 0x5a), *dst = malloc(size);
		uint64_t t0;
		unsigned int reps = 0;
		char sz[16];
		double a, b, n, c, d;

		if (!src || !dst)
			die(-ENOMEM, "buffers of %" PRIu64 " bytes", size);
		memset(dst, 0, size);
		if (bl)
			buf_fill(bl, 0xa5);
		size_str(size, sz, sizeof(sz));
		progress("sizes: %s ...", sz);
		/* one warm-up round of each, not counted */
		offer_once(ch_share, bs);
		if (bl)
			offer_once(ch_lend, bl);
		if (bn)
			offer_once(ch_nomap, bn);
		copy_once(cfd, src, size);
		memcpy(dst, src, size);

		sample_reset(&sa), sample_reset(&sb), sample_reset(&sn);
		sample_reset(&sc), sample_reset(&sd);
		/* The offers first, then the copies, each interleaved within
		 * its loop: a copy of SIZE bytes between two offers would make
		 * the next offer pay for what the copy evicted (under TCG the
		 * softmmu TLB and the host caches), which is not its cost. */
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			sample_add(&sa, (double)offer_once(ch_share, bs));
			if (bl)
				sample_add(&sb, (double)offer_once(ch_lend, bl));
			if (bn)
				sample_add(&sn, (double)offer_once(ch_nomap, bn));
			reps++;
		}
		t0 = now_ns();
		for (unsigned int r = 0; more_reps(r, t0); r++) {
			uint64_t m0;

			sample_add(&sc, (double)copy_once(cfd, src, size));
			m0 = now_ns();
			memcpy(dst, src, size);
			__asm__ volatile("" : : "r"(dst) : "memory");
			sample_add(&sd, (double)(now_ns() - m0));
		}
		a = sample_median(&sa), b = sample_median(&sb);
		n = sample_median(&sn);
		c = sample_median(&sc), d = sample_median(&sd);
		if (size == 4 * KiB)
			a4 = a, b4 = b, n4 = n;
		table_row(t, (double)size, a, b, n, c, d, c / a, c / b, c / n,
			  a / a4, b / b4, n / n4, (double)reps);
		progress("sizes: %s: share %.0f us, lend %.0f us, lend-nomap %.0f us, copy %.0f us, memcpy %.0f us (%u reps)",
			 sz, a / 1e3, b / 1e3, n / 1e3, c / 1e3, d / 1e3, reps);
		free(dst);
		vshmem_buf_close(bs);
		vshmem_buf_close(bl);
		vshmem_buf_close(bn);
		if (size > UINT64_MAX / 4)
			break;
	}
	write_full(cfd, &zero, sizeof(zero));
	close(cfd);
	vshmem_channel_close(ch_share);
	vshmem_channel_close(ch_lend);
	vshmem_channel_close(ch_nomap);
	vshmem_heap_close(sys);
	vshmem_heap_close(lend);
	vshmem_heap_close(nomap);
	sample_free(&sa), sample_free(&sb), sample_free(&sn);
	sample_free(&sc), sample_free(&sd);

	sizes_targets(t, 1, 6, "share", 50);
	sizes_targets(t, 2, 7, "lend", 20);
	sizes_targets(t, 3, 8, "lend-nomap", 20);
}

