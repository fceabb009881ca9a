// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: the lender's side: connections, buffers, one offer, one copy. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* the lender's side                                                   */

struct vshmem_channel *offer_channel(uint64_t hold)
{
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = SOCK_SEQPACKET);
	struct bench_cmd cmd = { .magic = CMD_MAGIC, .op = OP_OFFERS,
				 .hold = hold };
	struct vshmem_channel *ch;
	int ret;

	ret = vshmem_channel_connect(opt.cid, opt.port, &co, &ch);
	if (ret < 0)
		exit(fail_connect(ret, false, opt.cid, opt.port, SOCK_SEQPACKET));
	if (send(vshmem_channel_get_fd(ch), &cmd, sizeof(cmd), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(cmd))
		die(-errno, "send to the peer");
	return ch;
}

int copy_connect(void)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = opt.cid,
				  .svm_port = opt.port + 1 };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die(-errno, "socket(AF_VSOCK)");
	set_vsock_buffer(fd, COPY_SOCKBUF);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		exit(fail_connect(-errno, false, opt.cid, opt.port + 1, SOCK_STREAM));
	return fd;
}

/* (c): send size bytes, wait for the peer's 1-byte ack. */
uint64_t copy_once(int fd, const void *src, uint64_t size)
{
	uint64_t t0 = now_ns();
	char ack;
	int ret;

	ret = write_full(fd, &size, sizeof(size));
	if (!ret)
		ret = write_full(fd, src, size);
	if (!ret)
		ret = read_full(fd, &ack, 1);
	if (ret < 0)
		die(ret, "copy over vsock");
	return now_ns() - t0;
}

/* (a), (b): offer, wait until the peer relinquished it (for LEND the
 * kernel has then reclaimed it and the lender has access again). */
uint64_t offer_once(struct vshmem_channel *ch, struct vshmem_buf *buf)
{
	uint64_t sent;

	return offer_once_split(ch, buf, &sent);
}

uint64_t offer_once_split(struct vshmem_channel *ch, struct vshmem_buf *buf,
			  uint64_t *sent)
{
	struct vshmem_offer *o;
	uint64_t t0 = now_ns();
	int ret;

	ret = vshmem_offer_send(ch, buf, NULL, &o);
	if (ret < 0)
		die(ret, "offer");
	*sent = now_ns() - t0;
	ret = vshmem_offer_wait_release(o, WAIT_MS);
	if (ret < 0)
		die(ret, "wait for the release");
	vshmem_offer_free(o);
	return now_ns() - t0;
}

const char *const bench_heaps[NHEAPS] = { "system", "lend", "lend-nomap" };

struct vshmem_heap *heap_open(const char *name, bool required)
{
	struct vshmem_heap *h;
	int ret = vshmem_heap_open(name, &h);

	if (ret < 0) {
		if (required)
			die(ret, "heap %s", name);
		return NULL;
	}
	return h;
}

struct vshmem_buf *buf_alloc(struct vshmem_heap *heap, uint64_t size)
{
	VSHMEM_OPTS(vshmem_alloc_opts, ao, .name = "vshmem-bench");
	struct vshmem_buf *b;
	int ret = vshmem_buf_alloc(heap, size, &ao, &b);

	if (ret < 0)
		die(ret, "allocate %" PRIu64 " bytes from %s", size,
		    vshmem_heap_get_name(heap));
	return b;
}

/* Touch every page through a mapping (if the heap maps at all) so the
 * measurements do not include first faults. */
void *buf_fill(struct vshmem_buf *b, unsigned char pattern)
{
	void *p;

	if (vshmem_buf_map(b, VSHMEM_ACCESS_RW, &p) < 0)
		return NULL;
	memset(p, pattern, vshmem_buf_get_size(b));
	return p;
}

