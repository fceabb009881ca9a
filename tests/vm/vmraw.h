/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw-syscall helpers of the in-guest hostile, fault, isolation and stress
 * tests (vm_hostile.c, vm_faults.c, vm_isolation.c, vm_stress.c). These
 * talk to the kernel's uAPI directly, without libvshmem, so that they can
 * send what the library never would: malformed control messages, foreign
 * fds, ids that belong to someone else. Include after vmtest.h.
 *
 * Every helper returns a negative errno on failure (never -1 + errno).
 */
#ifndef VSHMEM_VMRAW_H
#define VSHMEM_VMRAW_H

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <poll.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "../../lib/vsock-shmem-uapi.h"	/* the kernel uAPI, or its copy */

#include "vmtest.h"

#define PAGE 4096UL
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- dma-buf heaps -------------------------------------------------- */

/* A dma-buf of @len bytes from /dev/dma_heap/@heap: its fd, or -errno. */
static inline int raw_alloc(const char *heap, uint64_t len)
{
	struct dma_heap_allocation_data d = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[64];
	int hfd, ret;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	hfd = open(path, O_RDONLY | O_CLOEXEC);
	if (hfd < 0)
		return -errno;
	ret = ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d) < 0 ? -errno : (int)d.fd;
	close(hfd);
	return ret;
}

/* ---- loopback connections ------------------------------------------- */

struct raw_pair {
	int listener, lender, borrower;
	unsigned int port;
};

static inline void raw_pair_close(struct raw_pair *p)
{
	if (p->borrower >= 0)
		close(p->borrower);
	if (p->lender >= 0)
		close(p->lender);
	if (p->listener >= 0)
		close(p->listener);
	p->listener = p->lender = p->borrower = -1;
}

static inline int raw_listen(int type, unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port,
	};
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static inline int raw_connect(int type, unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_LOCAL, .svm_port = port,
	};
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Both ends in this process: 0 or -errno. */
static inline int raw_pair_open(struct raw_pair *p, int type)
{
	p->listener = p->lender = p->borrower = -1;
	p->port = vt_port();
	p->listener = raw_listen(type, p->port);
	if (p->listener < 0)
		return p->listener;
	p->lender = raw_connect(type, p->port);
	if (p->lender >= 0)
		p->borrower = accept4(p->listener, NULL, NULL, SOCK_CLOEXEC);
	if (p->lender < 0 || p->borrower < 0) {
		int e = p->lender < 0 ? p->lender : -errno;

		vt_diag("raw loopback pair on port %u: %s", p->port, strerror(-e));
		raw_pair_close(p);
		return e;
	}
	return 0;
}

#define RAW_PAIR(p, type) CHECK_EQ(raw_pair_open(p, type), 0)

/* ---- SCM_VSOCK_SHMEM ------------------------------------------------- */

union raw_ctl {
	struct cmsghdr align;
	unsigned char buf[512];
};

static inline struct vsock_shmem raw_desc(uint32_t subop, int fd, uint64_t id,
					  uint32_t flags)
{
	/* the type goes with an OFFER; an end is placed by its id */
	struct vsock_shmem d = {
		.subop = subop, .id = id, .fd = fd, .flags = flags,
		.type = subop == VSOCK_SHMEM_SUBOP_OFFER ? VSOCK_SHMEM_TYPE_LOCAL : 0,
	};

	return d;
}

/* sendmsg() with @ctllen bytes of control @ctl and @len data bytes (or a
 * control-only message with len 0); the byte count or -errno. */
static inline ssize_t raw_sendmsg(int sock, const void *ctl, size_t ctllen,
				  const void *data, size_t len, int flags)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = (void *)ctl, .msg_controllen = ctllen,
	};
	ssize_t n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);

	return n < 0 ? -errno : n;
}

/* One well-formed SCM_VSOCK_SHMEM request with one data byte ("x"). */
static inline ssize_t raw_send_desc(int sock, const struct vsock_shmem *d,
				    size_t data_len)
{
	union raw_ctl c;
	struct cmsghdr *cm = &c.align;

	memset(&c, 0, sizeof(c));
	cm->cmsg_level = SOL_VSOCK;
	cm->cmsg_type = SCM_VSOCK_SHMEM;
	cm->cmsg_len = CMSG_LEN(sizeof(*d));
	memcpy(CMSG_DATA(cm), d, sizeof(*d));
	return raw_sendmsg(sock, &c, CMSG_SPACE(sizeof(*d)),
			   "xxxxxxxxxxxxxxxx", data_len, 0);
}

/* Offer dma-buf @fd with @id: 0 or -errno (one data byte). */
static inline int raw_offer(int sock, int fd, uint64_t id, uint32_t flags)
{
	struct vsock_shmem d = raw_desc(VSOCK_SHMEM_SUBOP_OFFER, fd, id, flags);
	ssize_t n = raw_send_desc(sock, &d, 1);

	return n < 0 ? (int)n : 0;
}

/* RELINQUISH or RECLAIM of @id (control only): 0 or -errno. */
static inline int raw_end(int sock, uint32_t subop, uint64_t id)
{
	struct vsock_shmem d = raw_desc(subop, -1, id, 0);
	ssize_t n = raw_send_desc(sock, &d, 0);

	return n < 0 ? (int)n : 0;
}

/* What one recvmsg() got. */
struct raw_rx {
	ssize_t n;		/* bytes, or -errno */
	int msg_flags;
	bool has;		/* an SCM_VSOCK_SHMEM message came */
	int ncmsg;		/* control messages seen */
	struct vsock_shmem d;
	char data[64];
};

/* recvmsg() with a control buffer of @ctllen bytes (@ctllen may be 0)
 * and a timeout of @timeout_ms (0: MSG_DONTWAIT). */
static inline struct raw_rx raw_recv(int sock, size_t ctllen, int flags,
				     int timeout_ms)
{
	union raw_ctl c;
	struct raw_rx r;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	r.d.fd = -1;
	iov.iov_base = r.data;
	iov.iov_len = sizeof(r.data);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctllen ? c.buf : NULL;
	msg.msg_controllen = ctllen;
	if (timeout_ms > 0) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };

		if (poll(&pfd, 1, timeout_ms) == 0) {
			r.n = -ETIMEDOUT;
			return r;
		}
	} else {
		flags |= MSG_DONTWAIT;
	}
	r.n = recvmsg(sock, &msg, flags);
	if (r.n < 0) {
		r.n = -errno;
		return r;
	}
	r.msg_flags = msg.msg_flags;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		r.ncmsg++;
		/* a truncated message (MSG_CTRUNC) is not a message */
		if ((unsigned char *)cm + cm->cmsg_len > c.buf + msg.msg_controllen)
			break;
		if (cm->cmsg_level == SOL_VSOCK && cm->cmsg_type == SCM_VSOCK_SHMEM &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(r.d))) {
			memcpy(&r.d, CMSG_DATA(cm), sizeof(r.d));
			r.has = true;
		}
	}
	return r;
}

/* The next message must carry @subop for @id; returns the received fd
 * (OFFER) or 0, or -1 (after a diagnostic). */
static inline int raw_expect(int sock, uint32_t subop, uint64_t id)
{
	struct raw_rx r = raw_recv(sock, sizeof(union raw_ctl),
				   MSG_CMSG_CLOEXEC, 5000);

	if (r.n < 0 || !r.has || r.d.subop != subop || r.d.id != id) {
		vt_diag("expected subop %u id %llu: n=%zd%s%s has=%d subop=%u id=%llu",
			subop, (unsigned long long)id, r.n, r.n < 0 ? " " : "",
			r.n < 0 ? strerror((int)-r.n) : "", r.has, r.d.subop,
			(unsigned long long)r.d.id);
		if (r.has && r.d.fd >= 0)
			close(r.d.fd);
		return -1;
	}
	return subop == VSOCK_SHMEM_SUBOP_OFFER ? r.d.fd : 0;
}

/* How long raw_nothing_queued() waits for something that should not come
 * (delivery is asynchronous, through the transport's worker). */
static int raw_quiet_ms = 200;

/* Nothing (no data, no control message) is waiting on @sock. */
static inline int raw_nothing_queued(int sock)
{
	struct raw_rx r = raw_recv(sock, sizeof(union raw_ctl), 0, raw_quiet_ms);

	if (r.n != -ETIMEDOUT && r.n != -EAGAIN) {
		vt_diag("something was queued: n=%zd has=%d subop=%u id=%llu",
			r.n, r.has, r.d.subop, (unsigned long long)r.d.id);
		if (r.has && r.d.fd >= 0)
			close(r.d.fd);
		return VT_FAIL;
	}
	return 0;
}

/* ---- leak meters as one snapshot ------------------------------------- */

struct raw_meter {
	int fds;
	long long outstanding;
};

static inline int raw_meter_start(struct raw_meter *m)
{
	m->fds = vt_fd_count();
	m->outstanding = vt_stat("outstanding");
	return m->fds >= 0 && m->outstanding >= 0 ? 0 : VT_FAIL;
}

/* Same fds open, debugfs outstanding back where it was. */
static inline int raw_meter_check(const struct raw_meter *m)
{
	int fds = vt_fd_count();

	if (fds != m->fds) {
		vt_diag("open fds: %d before, %d after", m->fds, fds);
		return VT_FAIL;
	}
	return vt_wait_outstanding(m->outstanding);
}

/* What most raw cases start with: the leak meter, a buffer of heap and a
 * connected pair of type; raw_case_close() ends them and checks the meter. */
struct raw_case {
	struct raw_meter m;
	struct raw_pair p;
	int buf;
};

static inline int raw_case_open(struct raw_case *tc, const char *heap,
				uint64_t len, int type)
{
	TRY(raw_meter_start(&tc->m));
	tc->buf = raw_alloc(heap, len);
	CHECK(tc->buf >= 0);
	RAW_PAIR(&tc->p, type);
	return 0;
}

static inline int raw_case_close(struct raw_case *tc)
{
	raw_pair_close(&tc->p);
	close(tc->buf);
	return raw_meter_check(&tc->m);
}

/* Live dma-bufs in the whole system (debugfs dma_buf/bufinfo, "Total N
 * objects, M bytes"): a leaked buffer, lender's or borrower's, stays
 * there. -1 if it cannot be read. */
static inline long long raw_dmabuf_count(long long *bytes)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");
	char line[512];
	long long n = -1, b = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Total %lld objects, %lld bytes", &n, &b) == 2)
			break;
	fclose(f);
	if (bytes)
		*bytes = b;
	return n;
}

/* ---- fault injection (debugfs failslab / fail_page_alloc) ------------ */

#define FI_SLAB "/sys/kernel/debug/failslab"
#define FI_PAGE "/sys/kernel/debug/fail_page_alloc"

static inline int raw_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static inline long long raw_read_ll(const char *path)
{
	char b[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? atoll(b) : -1;
}

#endif /* VSHMEM_VMRAW_H */
