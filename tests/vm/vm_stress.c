// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Random-syscall stress, in the guest: two worker processes drive
 * sendmsg/recvmsg/close/ioctl/mmap/shutdown/dup/fork+SIGKILL at random on
 * a pool of vsock sockets (loopback pairs, both socket types), dma-bufs of
 * every heap, received dma-bufs and a few foreign fds, with random and
 * malformed SCM_VSOCK_SHMEM requests and random receive buffers, for a
 * fixed time: 8 s per run on the normal kernel, 12 s on the debug kernel
 * (detected by /sys/kernel/debug/kmemleak; VT_STRESS_SECONDS overrides).
 *
 * How it is counted: the case passes when both workers ran for the whole
 * time without dying (faults on mappings of lent or revoked buffers are
 * caught and expected), and once every fd is closed debugfs `outstanding`
 * is back where it was, the open fds are too, and MemFree is within
 * 16 MiB. A kernel splat (WARN, BUG, KASAN, lockdep, kmemleak) fails the
 * run through tests/vm/run.sh's console scan, whatever the case said.
 *
 * Re-offering a received (borrowed) dma-buf is part of the mix (the
 * kernel refuses it: a borrowed buffer cannot be mapped for a device);
 * VT_STRESS_REOFFER=0 leaves it out.
 */
#include "vmtest.h"

#define SLOTS 48
#define MAPS 16

enum kind { K_NONE, K_SOCK, K_UNCONN, K_DMABUF, K_RECV, K_OTHER };

struct slot {
	int fd;
	enum kind kind;
};

struct map {
	void *addr;
	size_t len;
};

struct pool {
	struct slot s[SLOTS];
	struct map m[MAPS];
	uint32_t rnd;
	bool reoffer;
	unsigned long ops[16], errors;
};

static uint32_t rnd(struct pool *p, uint32_t n)
{
	p->rnd ^= p->rnd << 13;
	p->rnd ^= p->rnd >> 17;
	p->rnd ^= p->rnd << 5;
	return n ? p->rnd % n : 0;
}

static void put(struct pool *p, int fd, enum kind k)
{
	if (fd < 0)
		return;
	for (int i = 0; i < SLOTS; i++)
		if (p->s[i].kind == K_NONE) {
			p->s[i].fd = fd;
			p->s[i].kind = k;
			return;
		}
	close(fd);
}

static struct slot *pick(struct pool *p, int kind)
{
	int start = (int)rnd(p, SLOTS);

	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &p->s[(start + i) % SLOTS];

		if (s->kind != K_NONE && (kind < 0 || (int)s->kind == kind))
			return s;
	}
	return NULL;
}

static void drop(struct slot *s)
{
	close(s->fd);
	s->kind = K_NONE;
	s->fd = -1;
}

static void op_pair(struct pool *p)
{
	struct raw_pair rp;

	if (raw_pair_open(&rp, rnd(p, 2) ? SOCK_STREAM : SOCK_SEQPACKET) < 0)
		return;
	close(rp.listener);
	put(p, rp.lender, K_SOCK);
	put(p, rp.borrower, K_SOCK);
}

static void op_alloc(struct pool *p)
{
	static const char *const heaps[] = { "system", "lend", "lend-nomap" };

	put(p, raw_alloc(heaps[rnd(p, 3)], PAGE * (1 + rnd(p, 16))), K_DMABUF);
}

static void op_other(struct pool *p)
{
	int pf[2];

	switch (rnd(p, 3)) {
	case 0:
		if (pipe2(pf, O_CLOEXEC) == 0) {
			put(p, pf[0], K_OTHER);
			put(p, pf[1], K_OTHER);
		}
		break;
	case 1:
		put(p, memfd_create("stress", MFD_CLOEXEC), K_OTHER);
		break;
	case 2:
		put(p, socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), K_UNCONN);
		break;
	}
}

static void op_sendmsg(struct pool *p)
{
	struct slot *s = pick(p, K_SOCK), *f;
	struct vsock_shmem d;
	struct cmsghdr *cm;
	union raw_ctl c;
	size_t clen;
	int fd = -1;

	if (!s)
		s = pick(p, -1);
	if (!s)
		return;
	f = pick(p, rnd(p, 4) ? K_DMABUF : -1);
	if (f && (f->kind != K_RECV || p->reoffer))
		fd = f->fd;
	else if (rnd(p, 8) == 0)
		fd = (int)rnd(p, 200) - 1;
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	d.subop = rnd(p, 16) ? rnd(p, 3) : rnd(p, 8);
	d.type = rnd(p, 16) ? VSOCK_SHMEM_TYPE_LOCAL : rnd(p, 4);
	d.id = rnd(p, 8);
	d.fd = fd;
	d.kind = rnd(p, 4);
	d.flags = rnd(p, 16) ? rnd(p, 4) : rnd(p, 256);
	d.reserved = rnd(p, 32) == 0;
	d.tag = rnd(p, 1000);
	cm = &c.align;
	cm->cmsg_level = rnd(p, 16) ? SOL_VSOCK : SOL_SOCKET;
	cm->cmsg_type = rnd(p, 16) ? SCM_VSOCK_SHMEM : (int)rnd(p, 4);
	cm->cmsg_len = rnd(p, 16) ? CMSG_LEN(sizeof(d)) : rnd(p, 120);
	memcpy(CMSG_DATA(cm), &d, sizeof(d));
	clen = CMSG_SPACE(sizeof(d));
	if (rnd(p, 8) == 0) {	/* a second message */
		struct cmsghdr *c2 = (struct cmsghdr *)(c.buf + clen);

		c2->cmsg_level = SOL_VSOCK;
		c2->cmsg_type = SCM_VSOCK_SHMEM;
		c2->cmsg_len = CMSG_LEN(sizeof(d));
		memcpy(CMSG_DATA(c2), &d, sizeof(d));
		clen += CMSG_SPACE(sizeof(d));
	}
	if (rnd(p, 8) == 0)
		clen = 0;	/* plain data */
	if (raw_sendmsg(s->fd, &c, clen, "stressstressstressstressstress", rnd(p, 30),
			MSG_DONTWAIT) < 0)
		p->errors++;
}

static void op_recvmsg(struct pool *p)
{
	static const size_t ctls[] = { 0, 16, 24, 72, 512 };
	struct slot *s = pick(p, K_SOCK);
	int flags = MSG_DONTWAIT;
	struct raw_rx r;

	if (!s)
		return;
	if (rnd(p, 4) == 0)
		flags |= MSG_PEEK;
	if (rnd(p, 2))
		flags |= MSG_CMSG_CLOEXEC;
	if (rnd(p, 8) == 0)
		flags |= MSG_TRUNC;
	r = raw_recv(s->fd, ctls[rnd(p, ARRAY_LEN(ctls))], flags, 0);
	if (r.n < 0)
		p->errors++;
	if (r.has && r.d.fd >= 0)
		put(p, r.d.fd, K_RECV);
}

static void op_close(struct pool *p)
{
	struct slot *s = pick(p, -1);

	if (s)
		drop(s);
}

static void op_ioctl(struct pool *p)
{
	struct slot *s = pick(p, rnd(p, 4) ? (rnd(p, 2) ? K_DMABUF : K_RECV) : -1);
	struct dma_buf_sync sync;
	char name[40];

	if (!s)
		return;
	switch (rnd(p, 4)) {
	case 0:
	case 1:
		sync.flags = rnd(p, 8) ? (rnd(p, 2) ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) |
			     (1 + rnd(p, 3)) : rnd(p, 64);
		if (ioctl(s->fd, DMA_BUF_IOCTL_SYNC, &sync) < 0)
			p->errors++;
		break;
	case 2:
		snprintf(name, sizeof(name), "stress-%u", rnd(p, 1000));
		if (ioctl(s->fd, DMA_BUF_SET_NAME_B, name) < 0)
			p->errors++;
		break;
	case 3:
		if (ioctl(s->fd, _IOW('b', rnd(p, 16), uint64_t), &sync) < 0)
			p->errors++;
		break;
	}
}

static void op_mmap(struct pool *p)
{
	struct slot *s = pick(p, rnd(p, 2) ? K_DMABUF : K_RECV);
	int i = (int)rnd(p, MAPS);
	size_t len;
	void *a;

	if (p->m[i].addr) {	/* touch it (may fault: lent or revoked), unmap */
		if (rnd(p, 2))
			(void)vt_read_sig(p->m[i].addr);
		else
			(void)vt_write_sig((unsigned char *)p->m[i].addr + p->m[i].len - 1);
		if (rnd(p, 2)) {
			munmap(p->m[i].addr, p->m[i].len);
			p->m[i].addr = NULL;
		}
		return;
	}
	if (!s)
		return;
	len = PAGE * (1 + rnd(p, 4));
	a = mmap(NULL, len, rnd(p, 2) ? PROT_READ : PROT_READ | PROT_WRITE,
		 rnd(p, 8) ? MAP_SHARED : MAP_PRIVATE, s->fd, 0);
	if (a == MAP_FAILED) {
		p->errors++;
		return;
	}
	p->m[i].addr = a;
	p->m[i].len = len;
}

static void op_misc(struct pool *p)
{
	struct slot *s = pick(p, rnd(p, 2) ? K_SOCK : -1);
	uint64_t caps;
	socklen_t l = sizeof(caps);

	if (!s)
		return;
	switch (rnd(p, 3)) {
	case 0:
		if (shutdown(s->fd, (int)rnd(p, 3)) < 0)
			p->errors++;
		break;
	case 1:
		if (getsockopt(s->fd, AF_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &l) < 0)
			p->errors++;
		break;
	case 2:
		put(p, fcntl(s->fd, F_DUPFD_CLOEXEC, 0), s->kind);
		break;
	}
}

static void one_op(struct pool *p);

/* A child that inherits the pool, runs random operations and is killed
 * after a random delay (or finishes first). */
static void op_fork_kill(struct pool *p)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		p->rnd ^= (uint32_t)getpid() * 2654435761u;
		for (int i = 0; i < 200; i++)
			one_op(p);
		_exit(0);
	}
	if (pid < 0)
		return;
	usleep(rnd(p, 20000));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void one_op(struct pool *p)
{
	uint32_t o = rnd(p, 100);

	if (o < 8)
		op_pair(p), p->ops[0]++;
	else if (o < 16)
		op_alloc(p), p->ops[1]++;
	else if (o < 19)
		op_other(p), p->ops[2]++;
	else if (o < 44)
		op_sendmsg(p), p->ops[3]++;
	else if (o < 69)
		op_recvmsg(p), p->ops[4]++;
	else if (o < 79)
		op_close(p), p->ops[5]++;
	else if (o < 86)
		op_ioctl(p), p->ops[6]++;
	else if (o < 94)
		op_mmap(p), p->ops[7]++;
	else if (o < 99)
		op_misc(p), p->ops[8]++;
	else
		op_fork_kill(p), p->ops[9]++;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int worker(void *arg, int sync)
{
	double end = now_s() + *(double *)arg;
	struct pool p;
	unsigned long total = 0;

	memset(&p, 0, sizeof(p));
	for (int i = 0; i < SLOTS; i++)
		p.s[i].fd = -1;
	p.rnd = 0x9e3779b9u ^ (uint32_t)getpid();
	p.reoffer = !getenv("VT_STRESS_REOFFER") || atoi(getenv("VT_STRESS_REOFFER"));
	while (now_s() < end) {
		for (int i = 0; i < 64; i++)
			one_op(&p);
		total += 64;
	}
	for (int i = 0; i < MAPS; i++)
		if (p.m[i].addr)
			munmap(p.m[i].addr, p.m[i].len);
	for (int i = 0; i < SLOTS; i++)
		if (p.s[i].kind != K_NONE)
			drop(&p.s[i]);
	vt_diag("worker %d: %lu operations (pairs %lu, allocs %lu, other fds %lu, "
		"sendmsg %lu, recvmsg %lu, close %lu, ioctl %lu, mmap/touch %lu, "
		"shutdown/getsockopt/dup %lu, fork+kill %lu), %lu refused",
		(int)getpid(), total, p.ops[0], p.ops[1], p.ops[2], p.ops[3],
		p.ops[4], p.ops[5], p.ops[6], p.ops[7], p.ops[8], p.ops[9], p.errors);
	return vt_send_byte(sync, 'D');
}

static int stress_random_syscalls(void)
{
	const char *e = getenv("VT_STRESS_SECONDS");
	double secs = e && atof(e) > 0 ? atof(e) :
		      access("/sys/kernel/debug/kmemleak", F_OK) == 0 ? 12 : 8;
	struct vt_child w[2] = { { -1, -1 }, { -1, -1 } };
	long long out0 = vt_stat("outstanding");
	int fds0 = vt_fd_count();
	long free0 = vt_memfree_kb(), free1;

	CHECK(out0 >= 0 && free0 > 0);
	vt_diag("%.0f s of random system calls in 2 workers", secs);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(vt_spawn(&w[i], worker, &secs), 0);
	for (int i = 0; i < 2; i++) {
		TRY(vt_wait_byte(w[i].fd, 'D', (int)secs + 60));
		TRY(vt_reap(&w[i]));
	}
	TRY(vt_wait_outstanding(out0));
	CHECK_EQ(vt_fd_count(), fds0);
	usleep(300 * 1000);
	free1 = vt_memfree_kb();
	vt_diag("after: outstanding %lld (before %lld), MemFree drift %ld kB",
		vt_stat("outstanding"), out0, free0 - free1);
	CHECK(free0 - free1 < 16 * 1024);
	return 0;
}

static const struct vt_case cases[] = {
	{ "stress_random_syscalls", stress_random_syscalls },
};

VT_MAIN(cases)
