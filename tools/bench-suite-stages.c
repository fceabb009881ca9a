// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite stages (where an offer's time goes, by size). */

#include "bench.h"
#include <sched.h>

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


/* x86_64 loopback: up to 256M, the sizes of issue 19's targets. */
static const uint64_t loopback_sizes[] = { 4 * KiB, 1 * MiB, 64 * MiB,
					   256 * MiB };
/* FF-A: up to 16M, as the ffa suite and issue 19's FF-A target; the
 * guest behind TF-A + OP-TEE has 1 GiB (tests/vm/bench-ffa.sh) and the
 * suite holds a buffer of every heap at once. */
static const uint64_t ffa_sizes[] = { 4 * KiB, 1 * MiB, 16 * MiB };
/* guest -> host: up to 64M, as tests/virtio/bench.sh's sizes suite; the
 * guest's 1 GiB is the backend's memfd too. 16M to set beside FF-A. */
static const uint64_t virtio_sizes[] = { 4 * KiB, 1 * MiB, 16 * MiB,
					 64 * MiB };

static const struct stage_path loopback_path = {
	"loopback",
	"path: the loopback transport, both ends in this kernel (TYPE_LOCAL, vshmem_offer_send()).\n"
	"send: vshmem_offer_send() until it returns: the kernel attaches the dma-buf to the transport's\n"
	"device, maps it (LEND: takes it from the lender first), builds the descriptor and queues it;\n"
	"back: until the lender has read the peer's RELINQUISH: delivery, the borrower's import and fd,\n"
	"its release, and the lender's unmap (LEND: reclaim).",
	0, loopback_sizes, NCOLS(loopback_sizes),
};

static const struct stage_path ffa_path = {
	"FF-A, to OP-TEE through the SPMC",
	"path: FF-A, the arm64 guest behind TF-A + OP-TEE (TYPE_FFA: a raw SCM_VSOCK_SHMEM sendmsg(), as the\n"
	"ffa suite, since libvshmem sends TYPE_LOCAL where the transport has both; the peer is libvshmem).\n"
	"send: sendmsg() until it returns: attach and map to the ffa_dma device of partition 0x8001\n"
	"(LEND: taken from the lender first), the FFA_MEM_SHARE or FFA_MEM_LEND call into the SPMC with one\n"
	"constituent per scatter entry, the descriptor queued; back: until the lender has read the\n"
	"RELINQUISH: the peer gets the handle (no fd), relinquishes, the kernel's FFA_MEM_RECLAIM and unmap\n"
	"(LEND: the pages back to the lender).",
	VSOCK_SHMEM_TYPE_FFA, ffa_sizes, NCOLS(ffa_sizes),
};

static const struct stage_path virtio_path = {
	"guest -> host, virtio-vsock",
	"path: guest -> host over virtio-vsock (TYPE_ADDR, vshmem_offer_send()); the peer is `vshmem-bench\n"
	"--serve --uds` on the host behind vhost-user-vsock (tests/virtio/bench.sh).\n"
	"send: vshmem_offer_send() until it returns: the guest kernel maps the dma-buf for the device\n"
	"(LEND: takes it from the lender first), builds the ranges and puts the descriptor on the TX\n"
	"virtqueue; back: until the lender has read the RELINQUISH: the backend turns the ranges into\n"
	"ranges of the guest-memory memfd, the host peer maps them as one view, unmaps and relinquishes,\n"
	"the backend puts the notice on the RX virtqueue, the guest unmaps (LEND: reclaims).",
	0, virtio_sizes, NCOLS(virtio_sizes),
};

/* The path of this run's transport (machine.caps: the offer channel's). */
const struct stage_path *stage_path_pick(void)
{
	if ((machine.caps & VSHMEM_CAP_TYPE(VSHMEM_TYPE_FFA)) &&
	    !access(FFA_STATS_PATH, R_OK))
		return &ffa_path;
	if (!(machine.caps & VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL)) &&
	    (machine.caps & VSHMEM_CAP_TYPE(VSHMEM_TYPE_ADDR)))
		return &virtio_path;
	return &loopback_path;
}

/* One offer of b on ch the path's way, until its RELINQUISH was read:
 * the round trip; *sent: the part until the send returned. */
uint64_t stage_offer(const struct stage_path *p, struct vshmem_channel *ch,
		     struct vshmem_buf *b, uint64_t *sent)
{
	static uint64_t id;

	if (!p->raw_type)
		return offer_once_split(ch, b, sent);
	return raw_offer_once_split(vshmem_channel_get_fd(ch),
				    vshmem_buf_get_fd(b), p->raw_type, ++id,
				    sent);
}

/*
 * Where the split falls: on one CPU a woken peer (and the loopback
 * transport's worker) may preempt the lender inside its send, and then
 * their part of the round counts as 'send' (in a first FF-A run at 16M
 * nearly all of it: 'back' 26 us). A SCHED_FIFO lender is preempted by
 * neither: its send returns first, then it sleeps until the RELINQUISH,
 * and everything done for the peer falls into 'back'. The previous policy
 * of the calling thread in *old; false (and a time-shared lender) when
 * the kernel refuses it (no CAP_SYS_NICE).
 */
static bool stage_rt_begin(int *old_policy, struct sched_param *old)
{
	struct sched_param rt = { .sched_priority = 1 };

	*old_policy = sched_getscheduler(0);
	if (*old_policy < 0 || sched_getparam(0, old) < 0)
		return false;
	if (sched_setscheduler(0, SCHED_FIFO, &rt) < 0) {
		progress("stages: SCHED_FIFO refused (%s): the split is where a time-shared lender sees it",
			 strerror(errno));
		return false;
	}
	return true;
}

static void stage_rt_end(int old_policy, const struct sched_param *old)
{
	if (sched_setscheduler(0, old_policy, old) < 0)
		die(-errno, "restore the scheduling policy");
}

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
	const struct stage_path *p = stage_path_pick();
	static char title[128], note[1024];
	struct table *t;
	struct vshmem_heap *heaps[NHEAPS];
	struct vshmem_channel *ch[NHEAPS];
	struct stage_point pt[NHEAPS] = { 0 };
	struct sched_param old_param = { 0 };
	int old_policy = SCHED_OTHER;
	bool rt;

	snprintf(title, sizeof(title),
		 "Where an offer's time goes, by size (%s): the lender's two stages (median)",
		 p->name);
	t = table_new("stages", title, stages_cols, NCOLS(stages_cols));
	for (unsigned int h = 0; h < NHEAPS; h++) {
		heaps[h] = heap_open(bench_heaps[h], h == 0);
		ch[h] = heaps[h] ? offer_channel(0) : NULL;
		pt[h].send4 = pt[h].back4 = pt[h].total4 = NAN;
	}
	/* after the channels: the peer's children fork as before */
	rt = stage_rt_begin(&old_policy, &old_param);
	snprintf(note, sizeof(note),
		 "%s\n%s\nHeaps interleaved per repetition; ratios against the 4K row of the same heap.",
		 p->what, rt ?
		 "The lender runs SCHED_FIFO: no peer or worker of this kernel runs before its send returns, so\n"
		 "'send' is the lender's own work and all that is done for the peer is in 'back'." :
		 "The lender could not run SCHED_FIFO: on one CPU the peer may run before the send returns,\n"
		 "so part of 'back' can fall into 'send'; the total is exact.");
	t->note = note;
	for (unsigned int i = 0; i < p->nsizes; i++) {
		uint64_t size = p->sizes[i], t0, sent;
		struct vshmem_buf *b[NHEAPS] = { NULL };
		unsigned int reps = 0;
		char sz[16];

		if (size < opt.min_size || size > opt.max_size)
			continue;
		size_str(size, sz, sizeof(sz));
		progress("stages (%s): %s ...", p->name, sz);
		for (unsigned int h = 0; h < NHEAPS; h++) {
			if (!heaps[h])
				continue;
			b[h] = buf_alloc(heaps[h], size);
			buf_fill(b[h], 0x3c);
			stage_offer(p, ch[h], b[h], &sent);	/* warm-up */
			sample_reset(&pt[h].send), sample_reset(&pt[h].back);
			sample_reset(&pt[h].total);
		}
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			for (unsigned int h = 0; h < NHEAPS; h++) {
				uint64_t total;

				if (!b[h])
					continue;
				total = stage_offer(p, ch[h], b[h], &sent);
				sample_add(&pt[h].send, (double)sent);
				sample_add(&pt[h].back, (double)(total - sent));
				sample_add(&pt[h].total, (double)total);
			}
			reps++;
		}
		for (unsigned int h = 0; h < NHEAPS; h++) {
			if (!b[h])
				continue;
			stage_row(t, size, bench_heaps[h], &pt[h], reps);
			vshmem_buf_close(b[h]);
		}
	}
	if (rt)
		stage_rt_end(old_policy, &old_param);
	for (unsigned int h = 0; h < NHEAPS; h++) {
		vshmem_channel_close(ch[h]);
		vshmem_heap_close(heaps[h]);
		sample_free(&pt[h].send), sample_free(&pt[h].back);
		sample_free(&pt[h].total);
	}
}
