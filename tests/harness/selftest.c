// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel tests' style (selftest.h) on the harness's one socket, message,
 * stats and fault-probe helpers: only the conventions differ (-1 and
 * errno, bool, a TAP line per report()).
 */
#include "selftest.h"

int test_no;
int failed;

void report(bool ok, const char *fmt, ...)
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

/* -errno to -1 with errno set. */
static ssize_t errno_style(ssize_t ret)
{
	if (ret >= 0)
		return ret;
	errno = (int)-ret;
	return -1;
}

int heap_alloc_from(const char *name, size_t size)
{
	return (int)errno_style(raw_alloc(name, size));
}

int heap_alloc(size_t size)
{
	return heap_alloc_from("system", size);
}

uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 12));
}

void fill(uint8_t *p, size_t size, unsigned int seed)
{
	for (size_t i = 0; i < size; i++)
		p[i] = pattern(i, seed);
}

bool check(const uint8_t *p, size_t size, unsigned int seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(i, seed))
			return false;
	return true;
}

int listen_on(int type, unsigned int port)
{
	return (int)errno_style(hx_listen(type, port, 4));
}

int connect_cid(int type, unsigned int cid, unsigned int port)
{
	return (int)errno_style(hx_connect(type, cid, port));
}

int connect_to(int type, unsigned int port)
{
	return connect_cid(type, VMADDR_CID_LOCAL, port);
}

bool socket_pair(int type, unsigned int port, int *a, int *b)
{
	struct raw_pair p;

	CHECK(raw_pair_open_on(&p, type, port) == 0);
	close(p.listener);
	*a = p.lender;
	*b = p.borrower;
	return true;
}

bool pair_and_buffer(int type, unsigned int port, const char *heap,
		     size_t size, int *a, int *b, int *buf)
{
	CHECK(socket_pair(type, port, a, b));
	*buf = heap_alloc_from(heap, size);
	CHECK(*buf >= 0);
	return true;
}

ssize_t send_shmem(int sock, const struct vsock_shmem *req, const void *data,
		   size_t len)
{
	return errno_style(hx_send_desc(sock, req, data, len));
}

ssize_t offer(int sock, int dmabuf, uint64_t id, uint64_t tag,
	      const void *data, size_t len)
{
	struct vsock_shmem req = raw_desc(VSOCK_SHMEM_SUBOP_OFFER, dmabuf, id, 0);

	req.tag = tag;
	return send_shmem(sock, &req, data, len);
}

ssize_t end_offer(int sock, uint32_t subop, uint64_t id)
{
	struct vsock_shmem req = { .subop = subop, .id = id, .fd = -1 };

	return send_shmem(sock, &req, NULL, 0);
}

ssize_t recv_shmem(int sock, void *data, size_t len, int flags,
		   struct vsock_shmem *out, bool *got, int *msg_flags)
{
	struct raw_rx r;

	*got = false;
	if (hx_recvmsg(sock, data, len, flags,
		       CMSG_SPACE(sizeof(struct vsock_shmem)), &r) < 0)
		return errno_style(r.n);
	if (msg_flags)
		*msg_flags = r.msg_flags;
	if (r.has) {
		*out = r.d;
		*got = true;
	}
	return r.n;
}

int count_fds(void)
{
	return vt_fd_count();
}

long long stat_value(const char *name)
{
	return vt_stat(name);
}

bool get_caps(int fd, uint64_t *caps)
{
	socklen_t len = sizeof(*caps);

	*caps = 0;
	return getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, caps, &len) == 0 &&
	       len == sizeof(*caps);
}

uint8_t *filled_buffer(const char *heap, size_t size, unsigned int seed,
		       int *buf)
{
	uint8_t *p;

	*buf = heap_alloc_from(heap, size);
	if (*buf < 0)
		return MAP_FAILED;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *buf, 0);
	if (p != MAP_FAILED)
		fill(p, size, seed);
	return p;
}

uint8_t *offer_filled(int a, int b, const char *heap, size_t size,
		      uint64_t id, uint32_t flags, unsigned int seed,
		      int *buf, struct vsock_shmem *in)
{
	struct vsock_shmem req;
	uint8_t *p;
	char data;
	bool got;

	p = filled_buffer(heap, size, seed, buf);
	if (p == MAP_FAILED)
		return p;
	req = raw_desc(VSOCK_SHMEM_SUBOP_OFFER, *buf, id, flags);
	if (send_shmem(a, &req, "o", 1) != 1 ||
	    recv_shmem(b, &data, 1, 0, in, &got, NULL) != 1 || !got) {
		munmap(p, size);
		return MAP_FAILED;
	}
	return p;
}

bool read_faults(const volatile uint8_t *p)
{
	return vt_probe((volatile unsigned char *)p, false) == SIGBUS;
}
