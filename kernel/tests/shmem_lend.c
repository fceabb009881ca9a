// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test of LEND over vsock loopback: buffers from the "lend" and
 * "lend-nomap" heaps. The lender loses every mapping while a buffer is
 * lent (its own and a second process's fault with SIGBUS, new mappings
 * and CPU access are refused), gets it back on relinquish, reclaim, close
 * or the borrower's death, zeroed with VSOCK_SHMEM_F_CLEAR. Output is TAP.
 */
#include "shmem_test.h"

#include <linux/dma-buf.h>

#define PORT_BASE	6000
#define LEND_SIZE	(4 << 20)	/* several 1 MiB scatter ranges */

static bool sync_fails(int buf, int expected_errno)
{
	struct dma_buf_sync sync = {
		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
	};

	return ioctl(buf, DMA_BUF_IOCTL_SYNC, &sync) < 0 && errno == expected_errno;
}

static bool mmap_fails(int buf, int expected_errno)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, buf, 0);

	if (p != MAP_FAILED) {
		munmap(p, 4096);
		return false;
	}
	return errno == expected_errno;
}

static bool all_zero(const uint8_t *p, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * A second process with its own mapping of the buffer: it reports, one
 * byte per request on @cmd, whether its mapping faults (0) or still
 * reads the pattern of the given seed (1..) or zeros ('z').
 */
static pid_t start_watcher(int buf, int cmd[2], int res[2])
{
	pid_t pid;

	if (pipe(cmd) || pipe(res))
		return -1;
	pid = fork();
	if (pid)
		return pid;

	const uint8_t *p = mmap(NULL, LEND_SIZE, PROT_READ, MAP_SHARED, buf, 0);
	char c, r;

	/* Only the parent writes requests: EOF on cmd ends the watcher. */
	close(cmd[1]);
	close(res[0]);
	if (p == MAP_FAILED)
		_exit(1);
	r = 'r';
	if (write(res[1], &r, 1) != 1)
		_exit(1);
	while (read(cmd[0], &c, 1) == 1) {
		if (read_faults(p))
			r = 'F';
		else if (c == 'z')
			r = all_zero(p, LEND_SIZE) ? 'z' : '?';
		else
			r = check(p, LEND_SIZE, c) ? c : '?';
		if (write(res[1], &r, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static char ask_watcher(int cmd[2], int res[2], char what)
{
	char r = 0;

	if (write(cmd[1], &what, 1) != 1 || read(res[0], &r, 1) != 1)
		return 0;
	return r;
}

static bool stop_watcher(pid_t pid, int cmd[2], int res[2])
{
	int status;

	close(cmd[1]);
	close(cmd[0]);
	close(res[0]);
	close(res[1]);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

static bool test_caps_lend(void)
{
	uint64_t caps;
	int a, b;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE, &a, &b));
	CHECK(get_caps(a, &caps));
	CHECK(caps & VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_LEND));
	close(a);
	close(b);
	return true;
}

/* Lend, check the lender is cut off everywhere, get it back. */
static bool lend_round_trip(unsigned int port, uint32_t flags)
{
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = 100,
		.flags = flags,
	};
	int a, b, buf, cmd[2], res[2];
	struct vsock_shmem in;
	volatile uint8_t *mine;
	uint8_t *theirs;
	char data[8];
	pid_t watcher;
	bool got;

	buf = heap_alloc_from("lend", LEND_SIZE);
	CHECK(buf >= 0);
	mine = mmap(NULL, LEND_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(mine != MAP_FAILED);
	fill((uint8_t *)mine, LEND_SIZE, 1);
	watcher = start_watcher(buf, cmd, res);
	CHECK(watcher > 0);
	CHECK(read(res[0], data, 1) == 1 && data[0] == 'r');
	CHECK(ask_watcher(cmd, res, 1) == 1);
	CHECK(socket_pair(SOCK_SEQPACKET, port, &a, &b));

	req.fd = buf;
	CHECK(send_shmem(a, &req, "lend", 4) == 4);

	/* The lender has lost every way to the memory. */
	CHECK(read_faults(mine));
	CHECK(ask_watcher(cmd, res, 1) == 'F');
	CHECK(mmap_fails(buf, EBUSY));
	CHECK(sync_fails(buf, EBUSY));
	req.id = 101;
	CHECK(send_shmem(a, &req, "x", 1) < 0 && errno == EBUSY);

	/* The borrower has it, with the lender's data. */
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 4 && got);
	CHECK(in.kind == VSOCK_SHMEM_KIND_LEND && in.id == 100);
	CHECK(in.size == LEND_SIZE && in.flags == flags && in.fd >= 0);
	theirs = mmap(NULL, LEND_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, in.fd, 0);
	CHECK(theirs != MAP_FAILED);
	CHECK(check(theirs, LEND_SIZE, 1));
	fill(theirs, LEND_SIZE, 2);

	CHECK(end_offer(b, VSOCK_SHMEM_SUBOP_RELINQUISH, 100) == 0);
	CHECK(read_faults(theirs));
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == 100);

	/* Back: the borrower's writes, or zeros with CLEAR, for everyone. */
	if (flags & VSOCK_SHMEM_F_CLEAR) {
		CHECK(!read_faults(mine) && all_zero((const uint8_t *)mine, LEND_SIZE));
		CHECK(ask_watcher(cmd, res, 'z') == 'z');
	} else {
		CHECK(!read_faults(mine) && check((const uint8_t *)mine, LEND_SIZE, 2));
		CHECK(ask_watcher(cmd, res, 2) == 2);
	}
	CHECK(!sync_fails(buf, EBUSY));
	CHECK(stop_watcher(watcher, cmd, res));
	munmap(theirs, LEND_SIZE);
	munmap((void *)mine, LEND_SIZE);
	close(in.fd);
	close(buf);
	close(a);
	close(b);
	return true;
}

static bool test_reclaim_lent(void)
{
	struct vsock_shmem in;
	volatile uint8_t *mine, *theirs;
	int a, b, buf;
	char data[4];
	bool got;

	CHECK(socket_pair(SOCK_STREAM, PORT_BASE + 3, &a, &b));
	mine = offer_filled(a, b, "lend", LEND_SIZE, 5, 0, 3, &buf, &in);
	CHECK(mine != MAP_FAILED);
	theirs = mmap(NULL, LEND_SIZE, PROT_READ, MAP_SHARED, in.fd, 0);
	CHECK(theirs != MAP_FAILED && theirs[0] == pattern(0, 3));
	CHECK(read_faults(mine));

	CHECK(end_offer(a, VSOCK_SHMEM_SUBOP_RECLAIM, 5) == 0);
	/* sendmsg() returned: the lender has it back, the borrower not. */
	CHECK(!read_faults(mine) && check((const uint8_t *)mine, LEND_SIZE, 3));
	CHECK(read_faults(theirs));
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RECLAIM);
	munmap((void *)theirs, LEND_SIZE);
	munmap((void *)mine, LEND_SIZE);
	close(buf);
	close(a);
	close(b);
	return true;
}

static bool test_nomap(void)
{
	struct vsock_shmem in;
	uint8_t *theirs;
	int a, b, buf;
	char data[4];
	bool got;

	buf = heap_alloc_from("lend-nomap", LEND_SIZE);
	CHECK(buf >= 0);
	CHECK(mmap_fails(buf, EPERM));
	CHECK(sync_fails(buf, EPERM));

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 4, &a, &b));
	CHECK(offer(a, buf, 6, 0, "n", 1) == 1);
	CHECK(recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) == 1 && got);
	CHECK(in.kind == VSOCK_SHMEM_KIND_LEND);
	/* The borrower may map it; it starts zeroed. */
	theirs = mmap(NULL, LEND_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, in.fd, 0);
	CHECK(theirs != MAP_FAILED && all_zero(theirs, LEND_SIZE));
	fill(theirs, LEND_SIZE, 4);
	CHECK(end_offer(b, VSOCK_SHMEM_SUBOP_RELINQUISH, 6) == 0);
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && got);
	/* Back with the lender, and still never mappable. */
	CHECK(mmap_fails(buf, EPERM));
	munmap(theirs, LEND_SIZE);
	close(buf);
	close(a);
	close(b);
	return true;
}

/* The lender closes its socket during a loan: the memory comes back. */
static bool test_lender_close(void)
{
	long long outstanding = stat_value("outstanding");
	volatile uint8_t *mine;
	int a, b, buf;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 5, &a, &b));
	mine = filled_buffer("lend", LEND_SIZE, 5, &buf);
	CHECK(mine != MAP_FAILED);
	CHECK(offer(a, buf, 7, 0, "c", 1) == 1);
	CHECK(read_faults(mine));
	close(a);
	CHECK(!read_faults(mine) && check((const uint8_t *)mine, LEND_SIZE, 5));
	CHECK(stat_value("outstanding") == outstanding);
	munmap((void *)mine, LEND_SIZE);
	close(buf);
	close(b);
	return true;
}

/* The borrower is killed holding a loan: the lender gets it back. */
static bool test_borrower_killed(void)
{
	int a, b, buf, ready[2], status;
	volatile uint8_t *mine;
	struct vsock_shmem in;
	char data[4];
	pid_t pid;
	bool got;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 6, &a, &b));
	CHECK(pipe(ready) == 0);
	mine = filled_buffer("lend", LEND_SIZE, 6, &buf);
	CHECK(mine != MAP_FAILED);
	CHECK(offer(a, buf, 8, 0, "k", 1) == 1);

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		uint8_t *p;

		close(a);
		if (recv_shmem(b, data, sizeof(data), 0, &in, &got, NULL) != 1 || !got)
			_exit(1);
		p = mmap(NULL, LEND_SIZE, PROT_READ, MAP_SHARED, in.fd, 0);
		if (p == MAP_FAILED || !check(p, LEND_SIZE, 6))
			_exit(2);
		if (write(ready[1], "y", 1) != 1)
			_exit(3);
		pause();
		_exit(4);
	}
	close(b);
	CHECK(read(ready[0], data, 1) == 1);
	CHECK(read_faults(mine));
	CHECK(kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status));
	/* The end of the connection ends the loan: once the lender reads
	 * it, the memory is back. */
	CHECK(recv_shmem(a, data, sizeof(data), 0, &in, &got, NULL) == 0 && !got);
	CHECK(!read_faults(mine) && check((const uint8_t *)mine, LEND_SIZE, 6));
	munmap((void *)mine, LEND_SIZE);
	close(ready[0]);
	close(ready[1]);
	close(buf);
	close(a);
	return true;
}

int main(void)
{
	printf("TAP version 13\n1..7\n");
	report(test_caps_lend(), "caps: loopback reports LEND");
	report(lend_round_trip(PORT_BASE + 1, 0),
	       "lend: lender and a second process fault, borrower reads, lender reads writes back");
	report(lend_round_trip(PORT_BASE + 2, VSOCK_SHMEM_F_CLEAR),
	       "lend with CLEAR: memory comes back zeroed");
	report(test_reclaim_lent(), "reclaim of a lent buffer: lender back at once, borrower faults");
	report(test_nomap(), "lend-nomap: never mappable by the lender, lent all the same");
	report(test_lender_close(), "lender closes during a loan: memory comes back");
	report(test_borrower_killed(), "borrower killed during a loan: lender gets it back");
	return failed ? 1 : 0;
}
