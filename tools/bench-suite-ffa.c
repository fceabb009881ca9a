// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite ffa. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: ffa (the arm64 guest behind TF-A + OP-TEE)                   */

/*
 * Offers of VSOCK_SHMEM_TYPE_FFA go through the real SPMC: each SHARE is
 * one FFA_MEM_SHARE to OP-TEE, each LEND one FFA_MEM_LEND, the borrower's
 * relinquish one FFA_MEM_RECLAIM. The ffa_dma device of the partition
 * counts them in debugfs (FFA_DMA_DIR/<device>/stats).
 */
#define FFA_DMA_DIR "/sys/kernel/debug/ffa_dma"

static const struct col ffa_cols[] = {
	{ "size", "size", C_SIZE },
	{ "share_ns", "share", C_TIME },
	{ "lend_ns", "lend", C_TIME },
	{ "lend_nomap_ns", "nomap", C_TIME },
	{ "copy_ns", "copy", C_TIME },
	{ "copy_over_share", "copy/share", C_RATIO },
	{ "copy_over_lend", "copy/lend", C_RATIO },
	{ "copy_over_lend_nomap", "copy/nomap", C_RATIO },
	{ "ffa_calls_share", "FF-A calls/share", C_COUNT },
	{ "ffa_calls_lend", "FF-A calls/lend", C_COUNT },
	{ "ranges_share", "ranges/share", C_COUNT },
	{ "ranges_lend", "ranges/lend", C_COUNT },
	{ "share_ns_per_range", "share/range", C_TIME },
	{ "lend_ns_per_range", "lend/range", C_TIME },
	{ "reps", "reps", C_COUNT },
};

/* The stats file of OP-TEE's ffa_dma device (partition 0x8001). */
#define FFA_STATS_PATH FFA_DMA_DIR "/ffa-dma-8001/stats"

struct ffa_count {
	long long share, lend, reclaim, refused, quarantined, entries;
};

static void ffa_count_read(const char *path, struct ffa_count *c)
{
	static const char *const keys[] = { "share", "lend", "reclaim",
					    "refused", "quarantined" };
	long long *vals[] = { &c->share, &c->lend, &c->reclaim, &c->refused,
			      &c->quarantined };
	struct kstats k;
	char key[64];
	long long v;
	FILE *f = fopen(path, "re");

	memset(c, 0, sizeof(*c));
	while (f && fscanf(f, "%63s %lld", key, &v) == 2)
		for (unsigned int i = 0; i < NCOLS(keys); i++)
			if (!strcmp(key, keys[i]))
				*vals[i] = v;
	if (f)
		fclose(f);
	kstats_read(&k);
	c->entries = -1;
	for (unsigned int i = 0; i < k.n; i++)
		if (!strcmp(k.name[i], "entries"))
			c->entries = k.v[i];
}

/* One method of the ffa suite: its buffer, channel, samples, counters. */
struct ffa_method {
	const char *name;
	struct vshmem_buf *buf;
	int fd, bfd;
	struct samples s;
	struct ffa_count sum;	/* deltas over all its offers */
	unsigned int offers;
	int err;		/* first error, 0 if none */
};

/*
 * Offer buf as TYPE_FFA on the raw socket (the library picks TYPE_LOCAL
 * when the transport offers both, as loopback does here), wait until the
 * peer (libvshmem: vshmem_channel_recv(), vshmem_incoming_release())
 * relinquished it; the FF-A counters are read around it, untimed.
 */
static void ffa_offer_once(struct ffa_method *m, const char *stats, uint64_t id,
			   bool count)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
	} ctl;
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_OFFER,
				 .type = VSOCK_SHMEM_TYPE_FFA, .id = id,
				 .fd = m->bfd, .tag = 0 };
	struct msghdr msg = { .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct ffa_count a, b;
	uint64_t t0;

	if (m->err)
		return;
	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(d));
	memcpy(CMSG_DATA(c), &d, sizeof(d));
	if (count)
		ffa_count_read(stats, &a);
	t0 = now_ns();
	if (sendmsg(m->fd, &msg, 0) < 0) {
		m->err = errno;
		progress("ffa: %s offer refused: %s", m->name, strerror(errno));
		return;
	}
	raw_wait_relinquish(m->fd, id);
	if (!count)
		return;
	sample_add(&m->s, (double)(now_ns() - t0));
	ffa_count_read(stats, &b);
	m->sum.share += b.share - a.share;
	m->sum.lend += b.lend - a.lend;
	m->sum.reclaim += b.reclaim - a.reclaim;
	m->sum.refused += b.refused - a.refused;
	m->sum.quarantined += b.quarantined - a.quarantined;
	m->sum.entries = a.entries < 0 || m->sum.entries < 0 ? -1 :
			 m->sum.entries + b.entries - a.entries;
	m->offers++;
}

static double ffa_per_offer(const struct ffa_method *m, long long v)
{
	return m->err || !m->offers || v < 0 ? NAN : (double)v / m->offers;
}

static double ffa_median(struct ffa_method *m)
{
	return m->err ? NAN : sample_median(&m->s);
}

void suite_ffa(void)
{
	struct table *t = table_new("ffa",
		"Real FF-A: offer cost through the SPMC (OP-TEE) vs copying over the socket (median)",
		ffa_cols, NCOLS(ffa_cols));
	static const char *const heaps[] = { "system", "lend", "lend-nomap" };
	struct vshmem_heap *heap[3];
	struct vshmem_channel *ch[3];
	const char *stats = FFA_STATS_PATH;
	static char note[1024];
	uint64_t caps = 0, id = 1;
	socklen_t len = sizeof(caps);
	long long refused = 0, quarantined = 0;
	double ent4[3] = { NAN, NAN, NAN }, t4[3] = { NAN, NAN, NAN };
	double slope[3] = { NAN, NAN, NAN };
	int cfd;

	ch[0] = offer_channel(0);
	if (getsockopt(vshmem_channel_get_fd(ch[0]), AF_VSOCK,
		       SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) < 0 ||
	    !(caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA))) {
		t->note = "skipped: this transport delivers no FF-A handles (no TYPE_FFA in its caps).\n"
			  "Run `vshmem-bench --suite ffa` in the arm64 guest behind TF-A + OP-TEE (tests/vm/bench-ffa.sh).";
		progress("ffa: skipped (the transport has no FF-A)");
		vshmem_channel_close(ch[0]);
		return;
	}
	if (access(stats, R_OK)) {
		t->note = "skipped: no FF-A DMA device (" FFA_STATS_PATH " missing: debugfs not mounted,\n"
			  "or the kernel has no CONFIG_VSOCKETS_LOOPBACK_FFA).";
		progress("ffa: skipped (no %s)", stats);
		vshmem_channel_close(ch[0]);
		return;
	}
	for (unsigned int h = 0; h < 3; h++) {
		heap[h] = heap_open(heaps[h], h == 0);
		if (h)
			ch[h] = offer_channel(0);
	}
	cfd = copy_connect();
	for (uint64_t size = opt.min_size; size <= 16 * MiB && size <= opt.max_size;
	     size *= 4) {
		struct ffa_method m[3];
		struct samples sc = { 0 };
		unsigned char *src = NULL;
		unsigned int reps = 0;
		double c, v[3], f[3], r[3], pr[3];
		uint64_t t0;
		char sz[16];

		memset(m, 0, sizeof(m));
		for (unsigned int h = 0; h < 3; h++) {
			m[h].name = heaps[h];
			if (!heap[h]) {
				m[h].err = ENOENT;
				continue;
			}
			m[h].buf = buf_alloc(heap[h], size);
			m[h].fd = vshmem_channel_get_fd(ch[h]);
			m[h].bfd = vshmem_buf_get_fd(m[h].buf);
			/* never zeroed pages: OP-TEE would read a zeroed
			 * first page as an (empty) optee_msg_arg */
			if (h == 0)
				src = buf_fill(m[h].buf, 0x5a);
			else if (h == 1 && buf_fill(m[h].buf, 0xa5))
				vshmem_buf_unmap(m[h].buf);
		}
		if (!src)
			die(-EINVAL, "map the system heap buffer");
		size_str(size, sz, sizeof(sz));
		progress("ffa: %s ...", sz);
		/* one warm-up round of each, not counted */
		for (unsigned int h = 0; h < 3; h++)
			ffa_offer_once(&m[h], stats, id++, false);
		copy_once(cfd, src, size);
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			for (unsigned int h = 0; h < 3; h++)
				ffa_offer_once(&m[h], stats, id++, true);
			sample_add(&sc, (double)copy_once(cfd, src, size));
			reps++;
		}
		c = sample_median(&sc);
		for (unsigned int h = 0; h < 3; h++) {
			v[h] = ffa_median(&m[h]);
			f[h] = ffa_per_offer(&m[h], m[h].sum.share +
					     m[h].sum.lend + m[h].sum.reclaim);
			r[h] = ffa_per_offer(&m[h], m[h].sum.entries);
			pr[h] = v[h] / r[h];
			refused += m[h].sum.refused;
			quarantined += m[h].sum.quarantined;
			if (size == opt.min_size) {
				t4[h] = v[h];
				ent4[h] = r[h];
			} else if (r[h] > ent4[h]) {
				/* marginal cost of a range over the smallest size */
				slope[h] = (v[h] - t4[h]) / (r[h] - ent4[h]);
			}
			vshmem_buf_close(m[h].buf);
			sample_free(&m[h].s);
		}
		table_row(t, (double)size, v[0], v[1], v[2], c, c / v[0],
			  c / v[1], c / v[2], f[0], f[1], r[0], r[1], pr[0],
			  pr[1], (double)reps);
		sample_free(&sc);
	}
	snprintf(note, sizeof(note),
		 "share: TYPE_FFA offer of a system heap buffer (one FFA_MEM_SHARE to OP-TEE); lend: of a lend heap buffer, tag 0\n"
		 "(one FFA_MEM_LEND); nomap: of a lend-nomap buffer; each until the lender reads the RELINQUISH (the borrower got the\n"
		 "handle, relinquished, the kernel made the FFA_MEM_RECLAIM); copy: send()/recv() of the bytes over vsock + 1-byte ack.\n"
		 "FF-A calls: share + lend + reclaim deltas of %s per offer; ranges: delta of 'entries' in\n"
		 "vsock_shmem/stats per offer; X/range = offer time / ranges. Marginal cost per range (time over the smallest\n"
		 "size / ranges over it, at the largest size): share %.1f us, lend %.1f us, nomap %.1f us. FF-A refused %lld, quarantined %lld.",
		 stats, slope[0] / 1e3, slope[1] / 1e3, slope[2] / 1e3,
		 refused, quarantined);
	t->note = note;
	close(cfd);
	for (unsigned int h = 0; h < 3; h++) {
		vshmem_channel_close(ch[h]);
		vshmem_heap_close(heap[h]);
	}

}

