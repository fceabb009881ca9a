// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test of SCM_VSOCK_SHMEM over vsock loopback (SHARE).
 *
 * Two processes: the lender connects to VMADDR_CID_LOCAL and offers a
 * buffer from /dev/dma_heap/system; the borrower (the listener) receives
 * it as a dma-buf fd of its own, checks the lender's pattern, writes its
 * own and relinquishes; the lender then reads the borrower's writes.
 * Further cases: reclaim by the lender, close with offers outstanding,
 * a truncated control buffer, bad requests. Output is TAP.
 *
 * Built statically against the patched kernel's uapi headers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/dma-heap.h>
#include <linux/vm_sockets.h>

#define PORT_BASE	5000
#define BUF_SIZE	(1 << 20)

static int test_no;
static int failed;

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failed++;
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: %s failed (errno %d %s)\n",	\
			__func__, __LINE__, #cond, errno, strerror(errno)); \
		return false;						\
	}								\
} while (0)

static int heap_alloc(size_t size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

	if (heap < 0)
		return -1;
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		close(heap);
		return -1;
	}
	close(heap);
	return data.fd;
}

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 12));
}

static void fill(uint8_t *p, size_t size, unsigned int seed)
{
	for (size_t i = 0; i < size; i++)
		p[i] = pattern(i, seed);
}

static bool check(const uint8_t *p, size_t size, unsigned int seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(i, seed))
			return false;
	return true;
}

static int listen_on(int type, unsigned int port)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(int type, unsigned int port)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_LOCAL,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connected pair over loopback: *a from connect(), *b from accept(). */
static bool socket_pair(int type, unsigned int port, int *a, int *b)
{
	int l = listen_on(type, port);

	CHECK(l >= 0);
	*a = connect_to(type, port);
	CHECK(*a >= 0);
	*b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(*b >= 0);
	close(l);
	return true;
}

static ssize_t send_shmem(int sock, const struct vsock_shmem *req,
			  const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	memset(&ctl, 0, sizeof(ctl));
	cmsg->cmsg_level = SOL_VSOCK;
	cmsg->cmsg_type = SCM_VSOCK_SHMEM;
	cmsg->cmsg_len = CMSG_LEN(sizeof(*req));
	memcpy(CMSG_DATA(cmsg), req, sizeof(*req));
	return sendmsg(sock, &msg, 0);
}

static ssize_t offer(int sock, int dmabuf, uint64_t id, uint64_t tag,
		     const void *data, size_t len)
{
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = id,
		.fd = dmabuf,
		.tag = tag,
	};

	return send_shmem(sock, &req, data, len);
}

static ssize_t end_offer(int sock, uint32_t subop, uint64_t id)
{
	struct vsock_shmem req = { .subop = subop, .id = id, .fd = -1 };

	return send_shmem(sock, &req, NULL, 0);
}

/* recvmsg() with room for one SCM_VSOCK_SHMEM; *got tells if one came. */
static ssize_t recv_shmem(int sock, void *data, size_t len, int flags,
			  struct vsock_shmem *out, bool *got, int *msg_flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*got = false;
	n = recvmsg(sock, &msg, flags);
	if (n < 0)
		return n;
	if (msg_flags)
		*msg_flags = msg.msg_flags;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_VSOCK &&
		    cmsg->cmsg_type == SCM_VSOCK_SHMEM &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(*out))) {
			memcpy(out, CMSG_DATA(cmsg), sizeof(*out));
			*got = true;
		}
	}
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static long long stat_value(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/vsock_shmem/stats", "r");
	char key[64];
	long long v;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return v;
		}
	}
	fclose(f);
	return -1;
}

static sigjmp_buf fault_jmp;

static void on_sigbus(int sig __attribute__((unused)))
{
	siglongjmp(fault_jmp, 1);
}

/* Does reading *p raise SIGBUS? */
static bool read_faults(const volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool faulted = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(fault_jmp, 1))
		faulted = true;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

static bool test_caps(void)
{
	uint64_t caps = 0;
	socklen_t len = sizeof(caps);
	int a, b;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE, &a, &b));
	CHECK(getsockopt(a, SOL_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) == 0);
	CHECK(len == sizeof(caps));
	CHECK(caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL));
	CHECK(caps & VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE));
	caps = 0;
	CHECK(getsockopt(b, AF_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) == 0);
	CHECK(caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL));
	close(a);
	close(b);
	return true;
}

/* The lender's half of the two-process round trip. */
static int lender_process(int type, unsigned int port)
{
	struct vsock_shmem in;
	int sock, buf;
	uint8_t *p;
	char dummy;
	bool got;

	sock = connect_to(type, port);
	buf = heap_alloc(BUF_SIZE);
	if (sock < 0 || buf < 0)
		return 10;
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	if (p == MAP_FAILED)
		return 11;
	fill(p, BUF_SIZE, 1);
	if (offer(sock, buf, 42, 0x7a6, "hello", 5) != 5)
		return 12;
	/* Wait until the borrower gives it back. */
	if (recv_shmem(sock, &dummy, 1, 0, &in, &got, NULL) != 0 || !got)
		return 13;
	if (in.subop != VSOCK_SHMEM_SUBOP_RELINQUISH || in.id != 42)
		return 14;
	if (!check(p, BUF_SIZE, 2))
		return 15;	/* the borrower's writes are not visible */
	munmap(p, BUF_SIZE);
	close(buf);
	close(sock);
	return 0;
}

static bool test_two_process_share(int type, unsigned int port)
{
	struct vsock_shmem in;
	int l, sock, status;
	char data[16] = "";
	volatile uint8_t *p;
	pid_t pid;
	bool got;
	ssize_t n;

	l = listen_on(type, port);
	CHECK(l >= 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(lender_process(type, port));

	sock = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(sock >= 0);
	n = recv_shmem(sock, data, sizeof(data), MSG_CMSG_CLOEXEC, &in, &got, NULL);
	CHECK(n == 5 && !memcmp(data, "hello", 5));
	CHECK(got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_OFFER);
	CHECK(in.type == VSOCK_SHMEM_TYPE_LOCAL);
	CHECK(in.kind == VSOCK_SHMEM_KIND_SHARE);
	CHECK(in.id == 42 && in.tag == 0x7a6 && in.size == BUF_SIZE);
	CHECK(in.fd >= 0);
	CHECK(fcntl(in.fd, F_GETFD) & FD_CLOEXEC);

	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, in.fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(check((const uint8_t *)p, BUF_SIZE, 1));
	fill((uint8_t *)p, BUF_SIZE, 2);

	CHECK(end_offer(sock, VSOCK_SHMEM_SUBOP_RELINQUISH, 42) == 0);
	/* Our access ended with the relinquish. */
	CHECK(read_faults(p));
	CHECK(mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, in.fd, 0) == MAP_FAILED);

	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	if (WEXITSTATUS(status))
		fprintf(stderr, "  lender exited with %d\n", WEXITSTATUS(status));
	CHECK(WEXITSTATUS(status) == 0);
	munmap((void *)p, BUF_SIZE);
	close(in.fd);
	close(sock);
	close(l);
	return true;
}

static bool test_reclaim(void)
{
	struct vsock_shmem in;
	volatile uint8_t *p;
	int a, b, buf;
	char data[4];
	bool got;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 3, &a, &b));
	buf = heap_alloc(BUF_SIZE);
	CHECK(buf >= 0);
	CHECK(offer(a, buf, 7, 0, "x", 1) == 1);
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 1 && got);
	p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, in.fd, 0);
	CHECK(p != MAP_FAILED);
	(void)p[0];

	CHECK(end_offer(a, VSOCK_SHMEM_SUBOP_RECLAIM, 7) == 0);
	CHECK(read_faults(p));
	/* The borrower is told, with no data bytes. */
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RECLAIM && in.id == 7);
	CHECK(end_offer(a, VSOCK_SHMEM_SUBOP_RECLAIM, 7) < 0 && errno == ENOENT);
	/* Nothing left to give back either. */
	CHECK(end_offer(b, VSOCK_SHMEM_SUBOP_RELINQUISH, 7) < 0 && errno == ENOENT);
	munmap((void *)p, BUF_SIZE);
	close(in.fd);
	close(buf);
	close(a);
	close(b);
	return true;
}

/* The borrower closes while holding an offer: the lender gets it back. */
static bool test_borrower_close(void)
{
	long long outstanding = stat_value("outstanding");
	struct vsock_shmem in;
	int a, b, buf;
	char data[4];
	bool got;

	CHECK(socket_pair(SOCK_STREAM, PORT_BASE + 4, &a, &b));
	buf = heap_alloc(BUF_SIZE);
	CHECK(buf >= 0);
	CHECK(offer(a, buf, 1, 0, "x", 1) == 1);
	CHECK(offer(a, buf, 2, 0, "y", 1) == 1);
	CHECK(stat_value("outstanding") == outstanding + 2);
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 1 && got);
	CHECK(data[0] == 'x' && in.id == 1);
	/* Offer 2 is never read. */
	close(in.fd);
	close(b);
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH);
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH);
	CHECK(stat_value("outstanding") == outstanding);
	close(buf);
	close(a);
	return true;
}

/* No room for the control message: nothing leaks, the offer goes back. */
static bool test_ctrunc(void)
{
	struct vsock_shmem in;
	struct msghdr msg = {};
	char data[4], small[CMSG_SPACE(4)];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	int a, b, buf, fds;
	bool got;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 5, &a, &b));
	buf = heap_alloc(BUF_SIZE);
	CHECK(buf >= 0);
	CHECK(offer(a, buf, 9, 0, "z", 1) == 1);
	fds = count_fds();
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = small;
	msg.msg_controllen = sizeof(small);
	CHECK(recvmsg(b, &msg, 0) == 1);
	CHECK(msg.msg_flags & MSG_CTRUNC);
	CHECK(count_fds() == fds);
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == 9);
	close(buf);
	close(a);
	close(b);
	return true;
}

static bool test_bad_requests(void)
{
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = 1,
	};
	int a, b, buf, pipefd[2];

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 6, &a, &b));
	buf = heap_alloc(4096);
	CHECK(buf >= 0 && pipe(pipefd) == 0);

	req.fd = pipefd[0];
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EINVAL);
	req.fd = 1000;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EBADF);
	req.fd = buf;
	req.reserved = 1;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EINVAL);
	req.reserved = 0;
	req.flags = 1U << 7;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EINVAL);
	req.flags = 0;
	req.subop = 9;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EINVAL);
	req.subop = VSOCK_SHMEM_SUBOP_OFFER;
	req.type = 0;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EINVAL);
	req.type = VSOCK_SHMEM_TYPE_FFA;	/* loopback cannot do FF-A */
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EOPNOTSUPP);
	req.type = VSOCK_SHMEM_TYPE_LOCAL;
	CHECK(send_shmem(a, &req, "x", 1) == 1);
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EEXIST);
	CHECK(end_offer(a, VSOCK_SHMEM_SUBOP_RECLAIM, 2) < 0 && errno == ENOENT);
	CHECK(end_offer(b, VSOCK_SHMEM_SUBOP_RELINQUISH, 2) < 0 && errno == ENOENT);
	close(pipefd[0]);
	close(pipefd[1]);
	close(buf);
	close(a);
	close(b);
	return true;
}

int main(void)
{
	printf("TAP version 13\n1..7\n");
	report(test_caps(), "caps: loopback reports TYPE_LOCAL and SHARE");
	report(test_two_process_share(SOCK_SEQPACKET, PORT_BASE + 1),
	       "share round trip between two processes (SOCK_SEQPACKET)");
	report(test_two_process_share(SOCK_STREAM, PORT_BASE + 2),
	       "share round trip between two processes (SOCK_STREAM)");
	report(test_reclaim(), "lender reclaims: borrower faults and is told");
	report(test_borrower_close(), "borrower closes: lender gets every offer back");
	report(test_ctrunc(), "MSG_CTRUNC relinquishes and leaks no fd");
	report(test_bad_requests(), "bad requests get their errno");
	return failed ? 1 : 0;
}
