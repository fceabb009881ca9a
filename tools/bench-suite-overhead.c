// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite overhead. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: overhead (libvshmem vs the raw sendmsg it wraps)             */

/* Instructions per nanosecond, from a loop of known length: exact under
 * QEMU -icount shift=0 (1 ns of guest time per instruction). */
static double icount_calibrate(void)
{
	const unsigned long iters = 10000000;
	struct samples s = { 0 };
	double r;

	for (int k = 0; k < 3; k++) {
		unsigned long n = iters;
		uint64_t t0 = now_ns();

#if defined(__x86_64__)
		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
#elif defined(__aarch64__)
		__asm__ volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(n) : : "cc");
#else
		return NAN;
#endif
		sample_add(&s, 2.0 * (double)iters / (double)(now_ns() - t0));
	}
	r = sample_median(&s);
	sample_free(&s);
	return r;
}

static void overhead_raw(int fd, int bfd, uint32_t type, uint64_t id,
			 struct samples *send, struct samples *rt)
{
	uint64_t sent, total = raw_offer_once_split(fd, bfd, type, id, &sent);

	sample_add(send, (double)sent);
	sample_add(rt, (double)total);
}

static void overhead_lib(struct vshmem_channel *ch, struct vshmem_buf *b,
			 struct samples *send, struct samples *rt)
{
	struct vshmem_offer *o;
	uint64_t a, m;
	int ret;

	a = now_ns();
	ret = vshmem_offer_send(ch, b, NULL, &o);
	m = now_ns();
	if (ret < 0)
		die(ret, "offer");
	ret = vshmem_offer_wait_release(o, WAIT_MS);
	vshmem_offer_free(o);
	if (ret < 0)
		die(ret, "wait for the release");
	sample_add(send, (double)(m - a));
	sample_add(rt, (double)(now_ns() - a));
}

static const struct col overhead_cols_ns[] = {
	{ "path", "what", C_STR },
	{ "raw", "raw sendmsg/recvmsg", C_TIME },
	{ "lib", "libvshmem", C_TIME },
	{ "ratio", "lib/raw", C_RATIO },
	{ "added_pct", "added", C_PCT },
	{ "reps", "reps", C_COUNT },
};

static const struct col overhead_cols_insn[] = {
	{ "path", "what", C_STR },
	{ "raw", "raw sendmsg/recvmsg (insns)", C_COUNT },
	{ "lib", "libvshmem (insns)", C_COUNT },
	{ "ratio", "lib/raw", C_RATIO },
	{ "added_pct", "added", C_PCT },
	{ "reps", "reps", C_COUNT },
};

void suite_overhead(void)
{
	struct table *t = table_new("overhead",
		opt.icount ?
		"Library overhead per 4K SHARE offer: guest instructions (user + kernel, QEMU -icount), median" :
		"Library overhead per 4K SHARE offer: time (median; run with --icount under QEMU -icount for instructions)",
		opt.icount ? overhead_cols_insn : overhead_cols_ns,
		NCOLS(overhead_cols_ns));
	struct vshmem_heap *sys = heap_open("system", true);
	struct vshmem_buf *b = buf_alloc(sys, 4 * KiB);
	struct vshmem_channel *ch = offer_channel(0);
	int fd = vshmem_channel_get_fd(ch), bfd = vshmem_buf_get_fd(b);
	uint32_t type = raw_type(fd);
	struct samples rs = { 0 }, rr = { 0 }, ls = { 0 }, lr = { 0 };
	uint64_t id = UINT64_C(1) << 40, t0;
	unsigned int reps = 0;
	double scale = 1.0, cal = icount_calibrate(), send_ratio;
	static char note[400];

	buf_fill(b, 3);
	/* the library queries the caps once per channel: do it before */
	offer_once(ch, b);
	raw_offer(fd, bfd, type, id);
	raw_wait_relinquish(fd, id++);
	progress("overhead: raw sendmsg vs vshmem_offer_send ...");
	t0 = now_ns();
	/* alternate which goes first, so neither pays more often for the
	 * deferred work (fput, kworkers) the other one left behind */
	while (reps < 50 || (reps < 4000 &&
			     (double)(now_ns() - t0) / 1e9 < 2 * opt.min_time)) {
		for (int k = 0; k < 2; k++) {
			if ((k == 0) == (reps % 2 == 0))
				overhead_raw(fd, bfd, type, id++, &rs, &rr);
			else
				overhead_lib(ch, b, &ls, &lr);
		}
		reps++;
	}
	if (opt.icount)
		scale = cal;
	double a = sample_median(&rs) * scale, c = sample_median(&ls) * scale;
	double r = sample_median(&rr) * scale, l = sample_median(&lr) * scale;

	send_ratio = c / a;
	table_row(t, "offer: sendmsg() vs vshmem_offer_send()", a, c, c / a,
		  (c / a - 1) * 100, (double)reps);
	table_row(t, "round trip: + wait for RELINQUISH", r, l, l / r,
		  (l / r - 1) * 100, (double)reps);
	snprintf(note, sizeof(note),
		 "raw: a hand-built SCM_VSOCK_SHMEM cmsg and one sendmsg(), recvmsg() until the RELINQUISH;\n"
		 "libvshmem: vshmem_offer_send(), vshmem_offer_wait_release(), vshmem_offer_free(). Interleaved.\n"
		 "calibration: %.3f instructions per guest ns%s", cal,
		 opt.icount ? " (QEMU -icount: expected 1.000)" :
			      " (not under -icount: times, not instructions)");
	t->note = note;
	vshmem_channel_close(ch);
	vshmem_buf_close(b);
	vshmem_heap_close(sys);
	sample_free(&rs), sample_free(&rr), sample_free(&ls), sample_free(&lr);

	struct target *g = target_add("libvshmem overhead over raw sendmsg",
				      "<= 5% instructions");
	snprintf(g->measured, sizeof(g->measured), "%+.1f%% %s (send), %+.1f%% (round trip)",
		 (send_ratio - 1) * 100, opt.icount ? "instructions" : "time",
		 (l / r - 1) * 100);
	/* the target is in instructions: a time ratio only informs */
	g->status = !opt.icount ? "n/a" : send_ratio <= 1.05 ? "met" : "missed";
	if (!opt.icount)
		snprintf(g->why, sizeof(g->why),
			 "judged in instructions only: run with --icount under QEMU -icount shift=0 (tests/vm/bench.sh does)");
}

