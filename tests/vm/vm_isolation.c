// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Isolation, in the guest, with raw syscalls: what a LEND, CLEAR and
 * READONLY promise (DESIGN.md 3.2, docs/security.md), probed through
 * every door userspace has:
 *
 *  - the lender never observes a LENT page: its mapping (and one it
 *    forked to a child) faults with SIGBUS, new mappings and CPU access
 *    are refused, /proc/PID/mem and process_vm_readv() of the mapping
 *    fail, and read()/pread() of the dma-buf fd are impossible (dma-bufs
 *    have no read op; the lend heap's vmap refusal is covered by KUnit);
 *  - with CLEAR the buffer comes back zeroed after relinquish and after
 *    reclaim (LEND and SHARE);
 *  - a READONLY borrower cannot write: no writable mapping, no mprotect
 *    to writable, no reopen as O_RDWR, no write through /proc/self/mem,
 *    and no re-offer of its read-only buffer to a peer that could write;
 *  - a borrower's access ends when the loan ends, also through a buffer
 *    it passed on (re-offer) to a third party.
 */
#include <sys/uio.h>

#include "vmtest.h"

#define SZ (256 * 1024)

struct loan {
	struct raw_pair p;
	int buf;		/* lender's dma-buf */
	int bfd;		/* borrower's dma-buf */
	unsigned char *lp;	/* lender's mapping (made before the loan) */
	uint64_t id;
};

/* Allocate from @heap, map and fill it (lend/system), offer it with
 * @flags and receive it. */
static int loan_open(struct loan *l, const char *heap, uint32_t flags,
		     unsigned int seed)
{
	memset(l, 0, sizeof(*l));
	l->id = 77;
	l->buf = raw_alloc(heap, SZ);
	CHECK(l->buf >= 0);
	if (strcmp(heap, "lend-nomap")) {
		l->lp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, l->buf, 0);
		CHECK(l->lp != MAP_FAILED);
		vt_fill(l->lp, SZ, seed);
	}
	RAW_PAIR(&l->p, SOCK_SEQPACKET);
	CHECK_EQ(raw_offer(l->p.lender, l->buf, l->id, flags), 0);
	l->bfd = raw_expect(l->p.borrower, VSOCK_SHMEM_SUBOP_OFFER, l->id);
	CHECK(l->bfd >= 0);
	return 0;
}

static int loan_relinquish(struct loan *l)
{
	CHECK_EQ(raw_end(l->p.borrower, VSOCK_SHMEM_SUBOP_RELINQUISH, l->id), 0);
	CHECK_EQ(raw_expect(l->p.lender, VSOCK_SHMEM_SUBOP_RELINQUISH, l->id), 0);
	return 0;
}

static void loan_close(struct loan *l)
{
	if (l->lp)
		munmap(l->lp, SZ);
	if (l->bfd >= 0)
		close(l->bfd);
	close(l->buf);
	raw_pair_close(&l->p);
}

/* ---- the lender cannot observe a lent page ---------------------------- */

static int lent_mapping_faults(void)
{
	long long out0 = vt_stat("outstanding");
	struct loan l;

	TRY(loan_open(&l, "lend", 0, 1));
	for (size_t off = 0; off < SZ; off += 64 * 1024) {
		CHECK_EQ(vt_read_sig(l.lp + off), SIGBUS);
		CHECK_EQ(vt_write_sig(l.lp + off), SIGBUS);
	}
	CHECK(mmap(NULL, SZ, PROT_READ, MAP_SHARED, l.buf, 0) == MAP_FAILED);
	CHECK_EQ(errno, EBUSY);
	{
		struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };

		CHECK_EQ(ioctl(l.buf, DMA_BUF_IOCTL_SYNC, &s), -1);
		CHECK_EQ(errno, EBUSY);
	}
	TRY(loan_relinquish(&l));
	CHECK_EQ(vt_read_sig(l.lp), 0);
	TRY(vt_check(l.lp, SZ, 1));
	loan_close(&l);
	return vt_wait_outstanding(out0);
}

/* Every loan takes the mappings away, not only the first: a loan skips
 * the page-table walk when no page was faulted in since the last one, so
 * pages touched again through the old mapping and a mapping made between
 * loans must both fault during the second loan. */
static int lent_again_after_touch(void)
{
	unsigned char *again;
	struct loan l;

	TRY(loan_open(&l, "lend", 0, 2));
	TRY(loan_relinquish(&l));
	TRY(vt_check(l.lp, SZ, 2));		/* faulted in again */
	again = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, l.buf, 0);
	CHECK(again != MAP_FAILED);
	again[SZ - 1] = 3;
	close(l.bfd);
	l.id++;
	CHECK_EQ(raw_offer(l.p.lender, l.buf, l.id, 0), 0);
	l.bfd = raw_expect(l.p.borrower, VSOCK_SHMEM_SUBOP_OFFER, l.id);
	CHECK(l.bfd >= 0);
	CHECK_EQ(vt_read_sig(l.lp), SIGBUS);
	CHECK_EQ(vt_read_sig(again + SZ - 1), SIGBUS);
	CHECK_EQ(vt_write_sig(again), SIGBUS);
	TRY(loan_relinquish(&l));
	CHECK_EQ(again[SZ - 1], 3);
	munmap(again, SZ);
	loan_close(&l);
	return 0;
}

/* A child forked before the loan keeps the lender's mapping: it faults
 * too, and works again after. */
static int forked_child(void *arg, int sync)
{
	volatile unsigned char *p = arg;
	char req;

	while (read(sync, &req, 1) == 1 && req == 'r')
		TRY(vt_send_byte(sync, (char)('0' + vt_read_sig(p))));
	return 0;
}

static int ask_child(struct vt_child *c, int want)
{
	char b = 0;

	TRY(vt_send_byte(c->fd, 'r'));
	CHECK_EQ(read(c->fd, &b, 1), 1);
	CHECK_EQ(b - '0', want);
	return 0;
}

static int lent_mapping_forked_child(void)
{
	struct vt_child c = { -1, -1 };
	unsigned char *lp;
	struct raw_pair p;
	int buf = raw_alloc("lend", SZ), bfd;

	CHECK(buf >= 0);
	lp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(lp != MAP_FAILED);
	lp[0] = 1;
	CHECK_EQ(vt_spawn(&c, forked_child, lp), 0);
	TRY(ask_child(&c, 0));
	RAW_PAIR(&p, SOCK_SEQPACKET);
	CHECK_EQ(raw_offer(p.lender, buf, 1, 0), 0);
	TRY(ask_child(&c, SIGBUS));
	bfd = raw_expect(p.borrower, VSOCK_SHMEM_SUBOP_OFFER, 1);
	CHECK(bfd >= 0);
	close(bfd);
	CHECK_EQ(raw_end(p.lender, VSOCK_SHMEM_SUBOP_RECLAIM, 1), 0);
	TRY(ask_child(&c, 0));
	TRY(vt_send_byte(c.fd, 'q'));
	TRY(vt_reap(&c));
	raw_pair_close(&p);
	munmap(lp, SZ);
	close(buf);
	return 0;
}

/* /proc/PID/mem and process_vm_readv() of the lent mapping fail: from the
 * process itself and from another process. */
static int mem_reader(void *arg, int sync)
{
	unsigned long addr = (unsigned long)arg;
	pid_t parent = getppid();
	char path[64], b[16];
	char req;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)parent);
	while (read(sync, &req, 1) == 1 && req == 'r') {
		struct iovec local = { b, sizeof(b) };
		struct iovec remote = { (void *)addr, sizeof(b) };
		ssize_t n1, n2;

		fd = open(path, O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0);
		n1 = pread(fd, b, sizeof(b), (off_t)addr);
		close(fd);
		n2 = process_vm_readv(parent, &local, 1, &remote, 1, 0);
		TRY(vt_send_byte(sync, n1 < 0 && n2 < 0 ? 'F' : 'R'));
	}
	return 0;
}

static int lent_proc_mem_fails(void)
{
	struct vt_child c = { -1, -1 };
	struct loan l;
	char path[64], b[16], ans = 0;
	int fd;

	TRY(loan_open(&l, "lend", 0, 2));
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, sizeof(b), (off_t)(uintptr_t)l.lp), -1);
	vt_diag("own /proc/self/mem of the lent mapping: %s", strerror(errno));
	{
		struct iovec local = { b, sizeof(b) };
		struct iovec remote = { l.lp, sizeof(b) };

		CHECK_EQ(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), -1);
	}
	close(fd);
	CHECK_EQ(vt_spawn(&c, mem_reader, l.lp), 0);
	TRY(vt_send_byte(c.fd, 'r'));
	CHECK_EQ(read(c.fd, &ans, 1), 1);
	CHECK_EQ(ans, 'F');
	TRY(vt_send_byte(c.fd, 'q'));
	TRY(vt_reap(&c));
	TRY(loan_relinquish(&l));
	loan_close(&l);
	return 0;
}

/* read() and pread() of a dma-buf fd never return its bytes: not the
 * lender's while lent, not the borrower's, not ever (no read op). */
static int dmabuf_read_impossible(void)
{
	char b[64];
	struct loan l;
	int fds[2];

	TRY(loan_open(&l, "lend", 0, 3));
	fds[0] = l.buf;
	fds[1] = l.bfd;
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(read(fds[i], b, sizeof(b)), -1);
		CHECK_EQ(errno, EINVAL);
		CHECK_EQ(pread(fds[i], b, sizeof(b), 0), -1);
		CHECK(errno == EINVAL || errno == ESPIPE);
		CHECK_EQ(write(fds[i], b, sizeof(b)), -1);
		CHECK_EQ(errno, EINVAL);
	}
	TRY(loan_relinquish(&l));
	CHECK_EQ(read(l.buf, b, sizeof(b)), -1);	/* also when not lent */
	loan_close(&l);
	return 0;
}

/* ---- CLEAR ------------------------------------------------------------ */

/* The borrower writes its own pattern; with CLEAR the lender sees zeros
 * (after the borrower relinquishes, or after the lender reclaims). */
static int clear_case(const char *heap, bool reclaim)
{
	long long out0 = vt_stat("outstanding");
	unsigned char *bp;
	struct loan l;

	TRY(loan_open(&l, heap, VSOCK_SHMEM_F_CLEAR, 4));
	bp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, l.bfd, 0);
	CHECK(bp != MAP_FAILED);
	TRY(vt_check(bp, SZ, 4));	/* the lender's data arrived */
	vt_fill(bp, SZ, 5);		/* the borrower's secret */
	if (reclaim) {
		CHECK_EQ(raw_end(l.p.lender, VSOCK_SHMEM_SUBOP_RECLAIM, l.id), 0);
		CHECK_EQ(vt_read_sig(bp), SIGBUS);
	} else {
		munmap(bp, SZ);
		bp = NULL;
		TRY(loan_relinquish(&l));
	}
	TRY(vt_check_zero(l.lp, SZ));
	if (bp)
		munmap(bp, SZ);
	loan_close(&l);
	return vt_wait_outstanding(out0);
}

static int clear_lend_relinquish(void) { return clear_case("lend", false); }
static int clear_lend_reclaim(void) { return clear_case("lend", true); }
static int clear_share_relinquish(void) { return clear_case("system", false); }
static int clear_share_reclaim(void) { return clear_case("system", true); }

/* Without CLEAR the borrower's writes are kept (so the clear above is the
 * flag's doing, not an accident). */
static int no_clear_keeps_data(void)
{
	unsigned char *bp;
	struct loan l;

	TRY(loan_open(&l, "lend", 0, 6));
	bp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, l.bfd, 0);
	CHECK(bp != MAP_FAILED);
	vt_fill(bp, SZ, 7);
	munmap(bp, SZ);
	TRY(loan_relinquish(&l));
	TRY(vt_check(l.lp, SZ, 7));
	loan_close(&l);
	return 0;
}

/* ---- READONLY ---------------------------------------------------------- */

static int readonly_no_write(void)
{
	struct loan l;
	unsigned char *bp;
	char path[64];
	int fd;

	TRY(loan_open(&l, "lend", VSOCK_SHMEM_F_READONLY, 8));
	CHECK_EQ(fcntl(l.bfd, F_GETFL) & O_ACCMODE, O_RDONLY);
	/* no writable shared mapping */
	CHECK(mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, l.bfd, 0) == MAP_FAILED);
	CHECK_EQ(errno, EACCES);
	/* a private mapping would be a copy that outlives the loan */
	CHECK(mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, l.bfd, 0) == MAP_FAILED);
	/* a read-only mapping works, reads the data, cannot be made writable */
	bp = mmap(NULL, SZ, PROT_READ, MAP_SHARED, l.bfd, 0);
	CHECK(bp != MAP_FAILED);
	TRY(vt_check(bp, SZ, 8));
	CHECK_EQ(vt_write_sig(bp), SIGSEGV);
	CHECK_EQ(mprotect(bp, SZ, PROT_READ | PROT_WRITE), -1);
	CHECK_EQ(errno, EACCES);
	/* no write through /proc/self/mem either */
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, "x", 1, (off_t)(uintptr_t)bp), -1);
	close(fd);
	/* nor by reopening the fd for writing */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", l.bfd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		void *w = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		CHECK(w == MAP_FAILED);
		close(fd);
	} else {
		vt_diag("reopen /proc/self/fd/N O_RDWR: %s", strerror(errno));
	}
	CHECK_EQ(fcntl(l.bfd, F_SETFL, O_RDWR), 0);	/* ignored for mode */
	CHECK_EQ(fcntl(l.bfd, F_GETFL) & O_ACCMODE, O_RDONLY);
	munmap(bp, SZ);
	/* the lender's data is untouched */
	TRY(loan_relinquish(&l));
	TRY(vt_check(l.lp, SZ, 8));
	loan_close(&l);
	return 0;
}

/* ---- re-offering a borrowed buffer ------------------------------------ */

/* The borrower passes its copy on to a third party (another connection).
 * Whatever the kernel allows here, the promises of the first loan hold:
 * a READONLY loan gives nobody write access, and when the first loan
 * ends every access through it ends. */
static int reoffer(uint32_t first_flags, bool check_write)
{
	long long out0 = vt_stat("outstanding");
	unsigned char *tp = NULL;
	struct raw_pair q;
	struct loan l;
	int ret, tfd;

	TRY(loan_open(&l, "lend", first_flags, 9));
	RAW_PAIR(&q, SOCK_SEQPACKET);
	ret = raw_offer(q.lender, l.bfd, 2, 0);
	vt_diag("borrower re-offers its %s buffer: %s",
		first_flags & VSOCK_SHMEM_F_READONLY ? "read-only" : "read-write",
		ret ? strerror(-ret) : "accepted");
	if (ret == 0) {
		tfd = raw_expect(q.borrower, VSOCK_SHMEM_SUBOP_OFFER, 2);
		CHECK(tfd >= 0);
		tp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
		if (tp == MAP_FAILED) {
			tp = mmap(NULL, SZ, PROT_READ, MAP_SHARED, tfd, 0);
			CHECK(tp != MAP_FAILED);
		} else if (check_write) {
			vt_diag("the third party of a READONLY loan got a writable mapping");
			CHECK_EQ(vt_write_sig(tp), SIGSEGV);
		}
		close(tfd);
		TRY(vt_check(tp, SZ, 9));
		/* the first loan ends: so must the third party's access */
		CHECK_EQ(raw_end(l.p.lender, VSOCK_SHMEM_SUBOP_RECLAIM, l.id), 0);
		ret = vt_read_sig(tp);
		if (ret != SIGBUS)
			vt_diag("after the lender reclaimed, the third party %s",
				ret ? "faulted otherwise" : "still reads the lender's pages");
		CHECK_EQ(ret, SIGBUS);
		munmap(tp, SZ);
	}
	raw_pair_close(&q);
	loan_close(&l);
	return vt_wait_outstanding(out0);
}

static int reoffer_readonly_stays_readonly(void)
{
	return reoffer(VSOCK_SHMEM_F_READONLY, true);
}

static int reoffer_ends_with_the_loan(void)
{
	return reoffer(0, false);
}

/* ---- the borrower after the loan -------------------------------------- */

static int borrower_revoked_after_relinquish(void)
{
	struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	unsigned char *bp;
	struct loan l;

	TRY(loan_open(&l, "lend", 0, 10));
	bp = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, l.bfd, 0);
	CHECK(bp != MAP_FAILED);
	CHECK_EQ(vt_read_sig(bp), 0);
	TRY(loan_relinquish(&l));
	CHECK_EQ(vt_read_sig(bp), SIGBUS);
	CHECK_EQ(vt_write_sig(bp + SZ - 1), SIGBUS);
	CHECK(mmap(NULL, SZ, PROT_READ, MAP_SHARED, l.bfd, 0) == MAP_FAILED);
	CHECK_EQ(errno, ENODEV);
	CHECK_EQ(ioctl(l.bfd, DMA_BUF_IOCTL_SYNC, &s), -1);
	CHECK_EQ(errno, ENODEV);
	munmap(bp, SZ);
	loan_close(&l);
	return 0;
}

/* The lender drops every reference (buffer fd, mapping, socket) while the
 * borrower maps the pages: the borrower loses access before the pages can
 * go back to the allocator. */
static int borrower_revoked_when_lender_frees(void)
{
	long long out0 = vt_stat("outstanding");
	unsigned char *bp;
	struct loan l;

	TRY(loan_open(&l, "lend", 0, 11));
	bp = mmap(NULL, SZ, PROT_READ, MAP_SHARED, l.bfd, 0);
	CHECK(bp != MAP_FAILED);
	munmap(l.lp, SZ);
	l.lp = NULL;
	close(l.buf);
	CHECK_EQ(vt_read_sig(bp), 0);		/* the offer holds the buffer */
	TRY(vt_check(bp, SZ, 11));
	close(l.p.lender);
	l.p.lender = -1;
	TRY(vt_wait_outstanding(out0));
	CHECK_EQ(vt_read_sig(bp), SIGBUS);
	munmap(bp, SZ);
	close(l.bfd);
	raw_pair_close(&l.p);
	return 0;
}

static const struct vt_case cases[] = {
	{ "lent_mapping_faults", lent_mapping_faults },
	{ "lent_again_after_touch", lent_again_after_touch },
	{ "lent_mapping_forked_child", lent_mapping_forked_child },
	{ "lent_proc_mem_fails", lent_proc_mem_fails },
	{ "dmabuf_read_impossible", dmabuf_read_impossible },
	{ "clear_lend_relinquish", clear_lend_relinquish },
	{ "clear_lend_reclaim", clear_lend_reclaim },
	{ "clear_share_relinquish", clear_share_relinquish },
	{ "clear_share_reclaim", clear_share_reclaim },
	{ "no_clear_keeps_data", no_clear_keeps_data },
	{ "readonly_no_write", readonly_no_write },
	{ "reoffer_readonly_stays_readonly", reoffer_readonly_stays_readonly },
	{ "reoffer_ends_with_the_loan", reoffer_ends_with_the_loan },
	{ "borrower_revoked_after_relinquish", borrower_revoked_after_relinquish },
	{ "borrower_revoked_when_lender_frees", borrower_revoked_when_lender_frees },
};

VT_MAIN(cases)
