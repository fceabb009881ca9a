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
#include "shmem_test.h"

#define PORT_BASE	5000
#define BUF_SIZE	(1 << 20)

static bool test_caps(void)
{
	socklen_t len = sizeof(uint64_t);
	uint64_t caps;
	int a, b;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE, &a, &b));
	CHECK(get_caps(a, &caps));
	CHECK(caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL));
	CHECK(caps & VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE));
	CHECK(get_caps(b, &caps));
	CHECK(caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL));
	/* one level only, as every SO_VM_SOCKETS_* option */
	CHECK(getsockopt(b, SOL_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) == -1 &&
	      errno == ENOPROTOOPT);
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

/* The end of a case that received an offer: its fd, the buffer, the pair. */
static void close_case(int fd, int buf, int a, int b)
{
	close(fd);
	close(buf);
	close(a);
	close(b);
}

/*
 * The start of the one-offer cases: a connected pair (a lends, b borrows),
 * a system-heap buffer of BUF_SIZE, and a's offer @id of it to b with the
 * one data byte 'x'.
 */
static bool pair_and_offer(int type, unsigned int port, uint64_t id,
			   int *a, int *b, int *buf)
{
	CHECK(pair_and_buffer(type, port, "system", BUF_SIZE, a, b, buf));
	CHECK(offer(*a, *buf, id, 0, "x", 1) == 1);
	return true;
}

static bool test_reclaim(void)
{
	struct vsock_shmem in;
	volatile uint8_t *p;
	int a, b, buf;
	char data[4];
	bool got;

	CHECK(pair_and_offer(SOCK_SEQPACKET, PORT_BASE + 3, 7, &a, &b, &buf));
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
	close_case(in.fd, buf, a, b);
	return true;
}

/* The borrower closes while holding an offer: the lender gets it back
 * with the end of the connection. */
static bool test_borrower_close(void)
{
	long long outstanding = stat_value("outstanding");
	struct vsock_shmem in;
	int a, b, buf;
	char data[4];
	bool got;

	CHECK(pair_and_offer(SOCK_STREAM, PORT_BASE + 4, 1, &a, &b, &buf));
	CHECK(offer(a, buf, 2, 0, "y", 1) == 1);
	CHECK(stat_value("outstanding") == outstanding + 2);
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 1 && got);
	CHECK(data[0] == 'x' && in.id == 1);
	/* Offer 2 is never read. */
	close(in.fd);
	close(b);
	/* No notice per offer: the end of the connection ends them all,
	 * and by the time the lender reads it they have ended. */
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && !got);
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

	CHECK(pair_and_offer(SOCK_SEQPACKET, PORT_BASE + 5, 9, &a, &b, &buf));
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

/* CLEAR on a shared buffer: zeroed before the lender hears it is back. */
static bool test_share_clear(void)
{
	struct vsock_shmem in;
	uint8_t *mine;
	int a, b, buf;
	char data[4];
	bool got;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 7, &a, &b));
	mine = offer_filled(a, b, "system", BUF_SIZE, 11, VSOCK_SHMEM_F_CLEAR, 5,
			    &buf, &in);
	CHECK(mine != MAP_FAILED);
	CHECK(in.kind == VSOCK_SHMEM_KIND_SHARE && in.flags == VSOCK_SHMEM_F_CLEAR);
	CHECK(check(mine, BUF_SIZE, 5));	/* shared: still there */
	CHECK(end_offer(b, VSOCK_SHMEM_SUBOP_RELINQUISH, 11) == 0);
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	for (size_t i = 0; i < BUF_SIZE; i++)
		CHECK(!mine[i]);
	munmap(mine, BUF_SIZE);
	close_case(in.fd, buf, a, b);
	return true;
}

/* READONLY: the borrower can map it for reading only. */
static bool test_readonly(void)
{
	struct vsock_shmem in;
	uint8_t *mine, *theirs;
	int a, b, buf;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 8, &a, &b));
	mine = offer_filled(a, b, "system", BUF_SIZE, 12, VSOCK_SHMEM_F_READONLY, 6,
			    &buf, &in);
	CHECK(mine != MAP_FAILED);
	CHECK((fcntl(in.fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	CHECK(mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, in.fd, 0) ==
	      MAP_FAILED && errno == EACCES);
	theirs = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, in.fd, 0);
	CHECK(theirs != MAP_FAILED);
	CHECK(check(theirs, BUF_SIZE, 6));
	CHECK(mprotect(theirs, BUF_SIZE, PROT_READ | PROT_WRITE) < 0);
	CHECK(end_offer(b, VSOCK_SHMEM_SUBOP_RELINQUISH, 12) == 0);
	munmap(theirs, BUF_SIZE);
	munmap(mine, BUF_SIZE);
	close_case(in.fd, buf, a, b);
	return true;
}

/* sendmsg() with a hand-made control buffer holding @n messages. */
static ssize_t send_raw_cmsgs(int sock, const struct cmsghdr *const *msgs,
			      int n)
{
	char ctl[512] __attribute__((aligned(8))) = {};
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
	};
	size_t used = 0;

	for (int i = 0; i < n; i++) {
		memcpy(ctl + used, msgs[i], msgs[i]->cmsg_len);
		used += CMSG_ALIGN(msgs[i]->cmsg_len);
	}
	msg.msg_controllen = used;
	return sendmsg(sock, &msg, 0);
}

static bool test_hostile_cmsgs(void)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem) + 16)];
	} shmem = {}, rights = {}, shortened = {};
	const struct cmsghdr *msgs[2];
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = 30,
	};
	long long outstanding = stat_value("outstanding");
	int a, b, buf, memfd, opath, other, unconnected;

	CHECK(pair_and_buffer(SOCK_SEQPACKET, PORT_BASE + 9, "system", 4096,
			      &a, &b, &buf));
	req.fd = buf;
	shmem.hdr.cmsg_level = SOL_VSOCK;
	shmem.hdr.cmsg_type = SCM_VSOCK_SHMEM;
	shmem.hdr.cmsg_len = CMSG_LEN(sizeof(req));
	memcpy(CMSG_DATA(&shmem.hdr), &req, sizeof(req));
	rights.hdr.cmsg_level = SOL_SOCKET;
	rights.hdr.cmsg_type = SCM_RIGHTS;
	rights.hdr.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&rights.hdr), &buf, sizeof(int));

	/* Too short; longer with a non-zero tail (a newer struct asking
	 * for what this kernel does not know: a zero tail is accepted,
	 * tests/vm/vm_hostile.c checks that); twice; beside SCM_RIGHTS.
	 */
	shortened = shmem;
	shortened.hdr.cmsg_len = CMSG_LEN(sizeof(req) - 8);
	msgs[0] = &shortened.hdr;
	CHECK(send_raw_cmsgs(a, msgs, 1) < 0 && errno == EINVAL);
	shortened.hdr.cmsg_len = CMSG_LEN(sizeof(req) + 8);
	CMSG_DATA(&shortened.hdr)[sizeof(req)] = 1;
	CHECK(send_raw_cmsgs(a, msgs, 1) < 0 && errno == E2BIG);
	msgs[0] = &shmem.hdr;
	msgs[1] = &shmem.hdr;
	CHECK(send_raw_cmsgs(a, msgs, 2) < 0 && errno == EINVAL);
	msgs[1] = &rights.hdr;
	CHECK(send_raw_cmsgs(a, msgs, 2) < 0 && errno == EINVAL);

	/* fds that are not dma-bufs. */
	memfd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	opath = open("/", O_PATH | O_CLOEXEC);
	other = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(memfd >= 0 && opath >= 0 && other >= 0);
	req.fd = memfd;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EINVAL);
	req.fd = other;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EINVAL);
	req.fd = opath;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EBADF);
	req.fd = -1;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EBADF);

	/* Not connected, then shut down for sending. */
	req.fd = buf;
	unconnected = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(unconnected >= 0);
	CHECK(send_shmem(unconnected, &req, "x", 1) < 0 && errno == ENOTCONN);
	CHECK(shutdown(a, SHUT_WR) == 0);
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EPIPE);
	CHECK(stat_value("outstanding") == outstanding);

	close(unconnected);
	close(other);
	close(opath);
	close(memfd);
	close(buf);
	close(a);
	close(b);
	return true;
}

/* MSG_PEEK shows an offer without creating an fd; the read then does. */
static bool test_peek(void)
{
	struct vsock_shmem in;
	int a, b, buf, fds;
	char data[8];
	bool got;

	CHECK(pair_and_buffer(SOCK_STREAM, PORT_BASE + 10, "system", 4096,
			      &a, &b, &buf));
	CHECK(offer(a, buf, 31, 0, "peek", 4) == 4);
	fds = count_fds();
	CHECK(recv_shmem(b, data, sizeof(data), MSG_PEEK, &in, &got, NULL) == 4 && got);
	CHECK(in.id == 31 && in.fd == -1 && !memcmp(data, "peek", 4));
	CHECK(count_fds() == fds);
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 4 && got);
	CHECK(in.id == 31 && in.fd >= 0);
	CHECK(count_fds() == fds + 1);
	close_case(in.fd, buf, a, b);
	return true;
}

/* SOCK_STREAM: an offer's bytes are a record, read apart from the rest. */
static bool test_stream_records(void)
{
	static const char body[] = "inline bytes that come with the offer";
	struct vsock_shmem in;
	char data[64] = "";
	int a, b, buf;
	bool got;

	CHECK(pair_and_buffer(SOCK_STREAM, PORT_BASE + 11, "system", 4096,
			      &a, &b, &buf));
	CHECK(send(a, "before", 6, 0) == 6);
	CHECK(offer(a, buf, 40, 0, body, sizeof(body)) == (ssize_t)sizeof(body));
	CHECK(send(a, "after", 5, 0) == 5);
	CHECK(offer(a, buf, 41, 0, "next", 4) == 4);
	usleep(100000);	/* let everything arrive: no read may merge */

	CHECK(recv_shmem(b, data, sizeof(data), MSG_WAITALL, &in, &got, NULL) == 6);
	CHECK(!got && !memcmp(data, "before", 6));
	/* A small buffer: the rest of the record comes next, alone. */
	CHECK(recv_shmem(b, data, 10, 0, &in, &got, NULL) == 10 && got);
	CHECK(in.id == 40 && !memcmp(data, body, 10));
	close(in.fd);
	CHECK(recv_shmem(b, data, sizeof(data), MSG_WAITALL, &in, &got, NULL) ==
	      (ssize_t)sizeof(body) - 10 && !got);
	CHECK(!memcmp(data, body + 10, sizeof(body) - 10));
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 5 && !got);
	CHECK(!memcmp(data, "after", 5));
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 4 && got);
	CHECK(in.id == 41 && !memcmp(data, "next", 4));
	close_case(in.fd, buf, a, b);
	return true;
}

int main(void)
{
	printf("TAP version 13\n1..12\n");
	report(test_caps(), "caps: loopback reports TYPE_LOCAL and SHARE");
	report(test_two_process_share(SOCK_SEQPACKET, PORT_BASE + 1),
	       "share round trip between two processes (SOCK_SEQPACKET)");
	report(test_two_process_share(SOCK_STREAM, PORT_BASE + 2),
	       "share round trip between two processes (SOCK_STREAM)");
	report(test_reclaim(), "lender reclaims: borrower faults and is told");
	report(test_borrower_close(), "borrower closes: lender gets every offer back");
	report(test_ctrunc(), "MSG_CTRUNC relinquishes and leaks no fd");
	report(test_bad_requests(), "bad requests get their errno");
	report(test_share_clear(), "share with CLEAR: zeroed when it comes back");
	report(test_readonly(), "READONLY: the borrower maps it read-only");
	report(test_hostile_cmsgs(), "malformed control messages and non-dma-buf fds are refused");
	report(test_peek(), "MSG_PEEK reports an offer without an fd");
	report(test_stream_records(), "SOCK_STREAM: an offer's bytes are a record of their own");
	return failed ? 1 : 0;
}
