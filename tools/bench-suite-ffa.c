// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite ffa. */

#include "bench.h"
#include <sys/ioctl.h>
#include <linux/tee.h>

/*
 * TEE_IOC_SHM_REGISTER_FFA (the kernel series' patch 0023): the C
 * library's kernel headers may predate it.
 */
#ifndef TEE_IOC_SHM_REGISTER_FFA
struct tee_ioctl_shm_register_ffa_data {
	__u64 handle;
	__u64 size;
	__u32 flags;
	__s32 id;
};
#define TEE_IOC_SHM_REGISTER_FFA _IOWR(TEE_IOC_MAGIC, TEE_IOC_BASE + 12, \
				       struct tee_ioctl_shm_register_ffa_data)
#endif

/* ------------------------------------------------------------------ */
/* suite: ffa (the arm64 guest behind TF-A + OP-TEE)                   */

/*
 * Offers of VSOCK_SHMEM_TYPE_FFA go through the real SPMC: each SHARE is
 * one FFA_MEM_SHARE to OP-TEE, each LEND one FFA_MEM_LEND, the borrower's
 * relinquish one FFA_MEM_RECLAIM. The ffa_dma device of the partition
 * counts them in debugfs (FFA_DMA_DIR/<device>/stats, FFA_STATS_PATH of
 * bench.h for OP-TEE's).
 */

static const struct col ffa_cols[] = {
	{ "size", "size", C_SIZE },
	{ "share_ns", "share", C_TIME },
	{ "lend_ns", "lend", C_TIME },
	{ "lend_nomap_ns", "nomap", C_TIME },
	{ "copy_ns", "copy", C_TIME },
	{ "optee_read_ns", "OP-TEE reads", C_TIME },
	{ "copy_over_optee_read", "copy/OP-TEE reads", C_RATIO },
	{ "copy_over_share", "copy/share", C_RATIO },
	{ "copy_over_lend", "copy/lend", C_RATIO },
	{ "copy_over_lend_nomap", "copy/nomap", C_RATIO },
	{ "ffa_calls_share", "FF-A calls/share", C_COUNT },
	{ "ffa_calls_lend", "FF-A calls/lend", C_COUNT },
	{ "ranges_share", "entries/share", C_COUNT },
	{ "ranges_lend", "entries/lend", C_COUNT },
	{ "share_ns_per_range", "share/entry", C_TIME },
	{ "lend_ns_per_range", "lend/entry", C_TIME },
	{ "reps", "reps", C_COUNT },
};

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


/*
 * OP-TEE reads every byte: a share offered between two sockets of this
 * process, whose borrower end hands the handle to OP-TEE's invoke-tests
 * pseudo TA through /dev/tee0 (TEE_IOC_SHM_REGISTER_FFA, then
 * PTA_INVOKE_TESTS_CMD_PARAMS with one in/out memref: it sums every byte
 * and writes the sum at offset 0), closes the shm and relinquishes.
 */
#define TEE_DEV "/dev/tee0"
#define PTA_INVOKE_TESTS_CMD_PARAMS 1
static const uint8_t pta_invoke_tests_uuid[TEE_IOCTL_UUID_LEN] = {
	0xd9, 0x6a, 0x5b, 0x40, 0xc3, 0xe5, 0x21, 0xe3,
	0x87, 0x94, 0x10, 0x02, 0xa5, 0xd5, 0xc6, 0x1b,
};

struct optee_reader {
	int tee, lender, borrower;
	uint32_t session;
	int err;		/* why it cannot run, 0 if it can */
};

static void optee_reader_open(struct optee_reader *r)
{
	union {
		struct tee_ioctl_open_session_arg arg;
		uint8_t bytes[sizeof(struct tee_ioctl_open_session_arg)];
	} u;
	struct tee_ioctl_buf_data data = { .buf_ptr = (uintptr_t)&u,
					   .buf_len = sizeof(u) };
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY,
				 .svm_port = VMADDR_PORT_ANY };
	socklen_t len = sizeof(a);
	int lis;

	memset(r, 0, sizeof(*r));
	r->lender = r->borrower = -1;
	r->tee = open(TEE_DEV, O_RDWR | O_CLOEXEC);
	if (r->tee < 0) {
		r->err = errno;
		progress("ffa: no OP-TEE reads (%s: %s)", TEE_DEV, strerror(errno));
		return;
	}
	memset(&u, 0, sizeof(u));
	memcpy(u.arg.uuid, pta_invoke_tests_uuid, sizeof(u.arg.uuid));
	u.arg.clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	if (ioctl(r->tee, TEE_IOC_OPEN_SESSION, &data) < 0 || u.arg.ret) {
		r->err = u.arg.ret ? ENOENT : errno;
		progress("ffa: no OP-TEE reads (invoke-tests PTA: %s, TEE result %#x)",
			 strerror(errno), u.arg.ret);
		return;
	}
	r->session = u.arg.session;
	lis = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lis < 0 || bind(lis, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lis, 1) < 0 ||
	    getsockname(lis, (struct sockaddr *)&a, &len) < 0)
		die(-errno, "listening on a local port");
	a.svm_cid = VMADDR_CID_LOCAL;
	r->lender = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (r->lender < 0 ||
	    connect(r->lender, (struct sockaddr *)&a, sizeof(a)) < 0)
		die(-errno, "connect to a local port");
	r->borrower = accept4(lis, NULL, NULL, SOCK_CLOEXEC);
	if (r->borrower < 0)
		die(-errno, "accept");
	close(lis);
}

static void optee_reader_close(struct optee_reader *r)
{
	if (r->lender >= 0)
		close(r->lender);
	if (r->borrower >= 0)
		close(r->borrower);
	if (r->tee >= 0)
		close(r->tee);
}

static int shmem_cmsg(int fd, const struct vsock_shmem *d)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
	} ctl;
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(*d));
	memcpy(CMSG_DATA(c), d, sizeof(*d));
	if (d->subop != VSOCK_SHMEM_SUBOP_OFFER)
		msg.msg_iovlen = 0;
	return sendmsg(fd, &msg, 0) < 0 ? -errno : 0;
}

/* The borrower's side: the offer's handle, or 0. */
static uint64_t recv_handle(int fd, uint64_t *size)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
	} ctl;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct vsock_shmem d;

	if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) < 0 || !raw_shmem_of(&msg, &d) ||
	    d.subop != VSOCK_SHMEM_SUBOP_OFFER || d.type != VSOCK_SHMEM_TYPE_FFA)
		return 0;
	*size = d.size;
	return d.handle;
}

/* PTA_INVOKE_TESTS_CMD_PARAMS over the whole region: OP-TEE's result. */
static uint32_t optee_sum(struct optee_reader *r, int id, uint64_t size)
{
	union {
		struct tee_ioctl_invoke_arg arg;
		uint8_t bytes[sizeof(struct tee_ioctl_invoke_arg) +
			      sizeof(struct tee_ioctl_param)];
	} u;
	struct tee_ioctl_buf_data data = { .buf_ptr = (uintptr_t)&u,
					   .buf_len = sizeof(u) };

	memset(&u, 0, sizeof(u));
	u.arg.func = PTA_INVOKE_TESTS_CMD_PARAMS;
	u.arg.session = r->session;
	u.arg.num_params = 1;
	u.arg.params[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
	u.arg.params[0].b = size;
	u.arg.params[0].c = id;
	if (ioctl(r->tee, TEE_IOC_INVOKE, &data) < 0)
		return ~0u;
	return u.arg.ret;
}

/* Offer, OP-TEE reads it all, relinquish; timed until the lender hears. */
static void optee_read_once(struct optee_reader *r, int bfd, uint64_t id,
			    struct samples *s, bool count)
{
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_OFFER,
				 .type = VSOCK_SHMEM_TYPE_FFA, .id = id,
				 .fd = bfd };
	struct tee_ioctl_shm_register_ffa_data reg = { 0 };
	uint64_t t0, size = 0;
	uint32_t ret;
	int shm;

	if (r->err)
		return;
	t0 = now_ns();
	r->err = -shmem_cmsg(r->lender, &d);
	reg.handle = r->err ? 0 : recv_handle(r->borrower, &size);
	if (!reg.handle) {
		r->err = r->err ?: EPROTO;
		progress("ffa: OP-TEE reads: offer failed: %s", strerror(r->err));
		return;
	}
	reg.size = size;
	shm = ioctl(r->tee, TEE_IOC_SHM_REGISTER_FFA, &reg);
	if (shm < 0) {
		r->err = errno;
		progress("ffa: OP-TEE reads: TEE_IOC_SHM_REGISTER_FFA: %s",
			 strerror(errno));
	} else {
		ret = optee_sum(r, reg.id, size);
		close(shm);
		if (ret) {
			r->err = EIO;
			progress("ffa: OP-TEE reads: TEE result %#x", ret);
		}
	}
	d = (struct vsock_shmem){ .subop = VSOCK_SHMEM_SUBOP_RELINQUISH,
				  .id = id, .fd = -1 };
	if (shmem_cmsg(r->borrower, &d) < 0)
		die(-errno, "relinquish");
	raw_wait_relinquish(r->lender, id);
	if (count && !r->err)
		sample_add(s, (double)(now_ns() - t0));
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
	struct vshmem_heap *heap[3];
	struct vshmem_channel *ch[3];
	const char *stats = FFA_STATS_PATH;
	static char note[1536];
	uint64_t caps = 0, id = 1;
	socklen_t len = sizeof(caps);
	long long refused = 0, quarantined = 0;
	double ent4[3] = { NAN, NAN, NAN }, t4[3] = { NAN, NAN, NAN };
	double slope[3] = { NAN, NAN, NAN };
	struct optee_reader rd;
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
		heap[h] = heap_open(bench_heaps[h], h == 0);
		if (h)
			ch[h] = offer_channel(0);
	}
	cfd = copy_connect();
	optee_reader_open(&rd);
	for (uint64_t size = opt.min_size; size <= 16 * MiB && size <= opt.max_size;
	     size *= 4) {
		struct ffa_method m[3];
		struct samples sc = { 0 }, so = { 0 };
		unsigned char *src = NULL;
		unsigned int reps = 0;
		double c, o, v[3], f[3], r[3], pr[3];
		uint64_t t0;
		char sz[16];

		memset(m, 0, sizeof(m));
		for (unsigned int h = 0; h < 3; h++) {
			m[h].name = bench_heaps[h];
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
		optee_read_once(&rd, m[0].bfd, id++, &so, false);
		/* The offers first, then the copies and OP-TEE's reads, each
		 * loop for its own minimum time: under TCG a copy between two
		 * offers evicts what the next offer's path uses (the sizes
		 * suite's finding), which made the offers grow with the size.
		 */
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			for (unsigned int h = 0; h < 3; h++)
				ffa_offer_once(&m[h], stats, id++, true);
			reps++;
		}
		t0 = now_ns();
		for (unsigned int n = 0; more_reps(n, t0); n++) {
			sample_add(&sc, (double)copy_once(cfd, src, size));
			optee_read_once(&rd, m[0].bfd, id++, &so, true);
		}
		c = sample_median(&sc);
		o = rd.err ? NAN : sample_median(&so);
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
		table_row(t, (double)size, v[0], v[1], v[2], c, o, c / o, c / v[0],
			  c / v[1], c / v[2], f[0], f[1], r[0], r[1], pr[0],
			  pr[1], (double)reps);
		sample_free(&sc);
		sample_free(&so);
	}
	snprintf(note, sizeof(note),
		 "share: TYPE_FFA offer of a system heap buffer (one FFA_MEM_SHARE to OP-TEE); lend: of a lend heap buffer, tag 0\n"
		 "(one FFA_MEM_LEND); nomap: of a lend-nomap buffer; each until the lender reads the RELINQUISH (the borrower got the\n"
		 "handle, relinquished, the kernel made the FFA_MEM_RECLAIM); copy: send()/recv() of the bytes over vsock + 1-byte ack.\n"
		 "OP-TEE reads: the system heap buffer shared with OP-TEE whose invoke-tests PTA reads every byte (the borrower\n"
		 "passes the handle through /dev/tee0: TEE_IOC_SHM_REGISTER_FFA, PTA_INVOKE_TESTS_CMD_PARAMS, close), relinquished.\n"
		 "FF-A calls: share + lend + reclaim deltas of %s per offer; entries: scatter entries per offer (delta\n"
		 "of 'entries' in vsock_shmem/stats; arm_ffa gives at most one address range per entry, fewer for neighbours in\n"
		 "memory); X/entry = offer time / entries. Marginal cost per entry (time over the smallest size / entries over it,\n"
		 "at the largest size): share %.1f us, lend %.1f us, nomap %.1f us. FF-A refused %lld, quarantined %lld. The offers\n"
		 "of a size are measured first, then the copies and reads, each loop for its own minimum time.",
		 stats, slope[0] / 1e3, slope[1] / 1e3, slope[2] / 1e3,
		 refused, quarantined);
	t->note = note;
	close(cfd);
	optee_reader_close(&rd);
	for (unsigned int h = 0; h < 3; h++) {
		vshmem_channel_close(ch[h]);
		vshmem_heap_close(heap[h]);
	}

}

