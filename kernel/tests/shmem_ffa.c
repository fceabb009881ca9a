// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test of SCM_VSOCK_SHMEM over FF-A, against the real SPMC
 * (TF-A + OP-TEE as S-EL1 SPMC; run by kernel/scripts/vm-run-ffa.sh on
 * the arm64 guest). Offers of VSOCK_SHMEM_TYPE_FFA between two loopback
 * sockets are mapped for the OP-TEE partition (CONFIG_VSOCKETS_LOOPBACK_FFA),
 * so every offer below is a real FFA_MEM_SHARE or FFA_MEM_LEND and its end
 * a real FFA_MEM_RECLAIM. Each FF-A call is counted by the ffa_dma device
 * (debugfs ffa_dma/ffa-dma-8001/stats) and printed with its result.
 *
 * The borrower side in the secure world is OP-TEE's invoke-tests pseudo
 * TA (built in with CFG_TEE_CORE_EMBED_INTERNAL_TESTS=y): the borrower
 * socket's process wraps the handle it received in a TEE shm
 * (TEE_IOC_SHM_REGISTER_FFA on /dev/tee0) and passes it as an in/out
 * memref; the PTA reads every byte and writes their sum (mod 256) at
 * offset 0, which the lender then checks against its own pattern.
 */
#include "shmem_test.h"
#include <pthread.h>
#include <time.h>
#include <linux/tee.h>

#define PORT_BASE	7000
#define FFA_STATS	"/sys/kernel/debug/ffa_dma/ffa-dma-8001/stats"
#define FFA_RETRY	"/sys/kernel/debug/ffa_dma/ffa-dma-8001/retry"
/* 1 MiB + 64 KiB + 4 KiB: three ranges from either heap, unfragmented. */
#define MULTI_SIZE	((1 << 20) + (64 << 10) + (4 << 10))

#define TEE_DEV		"/dev/tee0"
/* OP-TEE's lib/libutee/include/pta_invoke_tests.h */
#define PTA_INVOKE_TESTS_CMD_PARAMS	1
static const uint8_t pta_invoke_tests_uuid[TEE_IOCTL_UUID_LEN] = {
	0xd9, 0x6a, 0x5b, 0x40, 0xc3, 0xe5, 0x21, 0xe3,
	0x87, 0x94, 0x10, 0x02, 0xa5, 0xd5, 0xc6, 0x1b,
};
#define TEEC_ERROR_BAD_PARAMETERS	0xffff0006

struct ffa_stats {
	long long share, lend, reclaim, refused, quarantined, released;
	long long quarantined_now, quarantined_pages;
};

static bool read_ffa_stats(struct ffa_stats *s)
{
	static const char *const keys[] = {
		"share", "lend", "reclaim", "refused", "quarantined",
		"released", "quarantined_now", "quarantined_pages",
	};
	long long v[ARRAY_LEN(keys)];

	if (hx_stats_read(FFA_STATS, keys, v, ARRAY_LEN(keys)) != ARRAY_LEN(keys))
		return false;
	*s = (struct ffa_stats){
		.share = v[0], .lend = v[1], .reclaim = v[2], .refused = v[3],
		.quarantined = v[4], .released = v[5],
		.quarantined_now = v[6], .quarantined_pages = v[7],
	};
	return true;
}

/* The FF-A calls made since @before, as a line of the log. */
static struct ffa_stats calls_since(const struct ffa_stats *before,
				    const char *what)
{
	struct ffa_stats now, d;

	if (!read_ffa_stats(&now))
		memset(&now, 0, sizeof(now));
	d.share = now.share - before->share;
	d.lend = now.lend - before->lend;
	d.reclaim = now.reclaim - before->reclaim;
	d.refused = now.refused - before->refused;
	d.quarantined = now.quarantined - before->quarantined;
	d.released = now.released - before->released;
	d.quarantined_now = now.quarantined_now;
	d.quarantined_pages = now.quarantined_pages;
	printf("# FF-A %s: MEM_SHARE x%lld, MEM_LEND x%lld, MEM_RECLAIM x%lld, refused %lld, quarantined %lld (now %lld, %lld pages), released %lld\n",
	       what, d.share, d.lend, d.reclaim, d.refused, d.quarantined,
	       d.quarantined_now, d.quarantined_pages, d.released);
	return d;
}

static bool write_u64(const char *path, uint64_t v)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%llu\n", (unsigned long long)v) > 0;
	return fclose(f) == 0 && ok;
}

static ssize_t offer_ffa(int sock, int buf, uint64_t id, uint64_t tag,
			 uint32_t flags)
{
	struct vsock_shmem req = raw_desc(VSOCK_SHMEM_SUBOP_OFFER, buf, id, flags);

	req.type = VSOCK_SHMEM_TYPE_FFA;
	req.tag = tag;
	return send_shmem(sock, &req, "f", 1);
}

/* Receive an offer on @b and check what the borrower is told. */
static bool receive_ffa(int b, uint64_t id, uint64_t tag, uint32_t kind,
			size_t size, struct vsock_shmem *in)
{
	char data;
	bool got;

	CHECK(recv_shmem(b, &data, 1, 0, in, &got, NULL) == 1 && got);
	printf("# borrower got: type %u kind %u id %llu tag %#llx size %llu handle %#llx fd %d\n",
	       in->type, in->kind, (unsigned long long)in->id,
	       (unsigned long long)in->tag, (unsigned long long)in->size,
	       (unsigned long long)in->handle, in->fd);
	CHECK(in->subop == VSOCK_SHMEM_SUBOP_OFFER);
	CHECK(in->type == VSOCK_SHMEM_TYPE_FFA);
	CHECK(in->kind == kind && in->id == id && in->tag == tag);
	CHECK(in->size == size);
	CHECK(in->handle != 0 && in->fd == -1);
	return true;
}

/* Borrower relinquishes; lender hears it once the memory is back. (A
 * 0-byte read would return at once if the notice is not there yet.)
 */
static bool relinquish(int a, int b, uint64_t id)
{
	struct vsock_shmem in;
	char data;
	ssize_t n;
	bool got;

	CHECK(end_offer(b, VSOCK_SHMEM_SUBOP_RELINQUISH, id) == 0);
	n = recv_shmem(a, &data, 1, 0, &in, &got, NULL);
	if (n != 0 || !got)
		printf("# lender's recvmsg: %zd, control message %s (subop %u id %llu)\n",
		       n, got ? "yes" : "no", in.subop, (unsigned long long)in.id);
	CHECK(n == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == id);
	CHECK(in.type == VSOCK_SHMEM_TYPE_FFA);	/* the offer's type */
	return true;
}


static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* One session with the invoke-tests PTA, for the whole run. */
static int tee_fd = -1;
static uint32_t tee_session;

static bool optee_open(void)
{
	union {
		struct tee_ioctl_open_session_arg arg;
		uint8_t bytes[sizeof(struct tee_ioctl_open_session_arg)];
	} u;
	struct tee_ioctl_buf_data data = {
		.buf_ptr = (uintptr_t)&u,
		.buf_len = sizeof(u),
	};

	if (tee_fd >= 0)
		return true;
	tee_fd = open(TEE_DEV, O_RDWR | O_CLOEXEC);
	CHECK(tee_fd >= 0);
	memset(&u, 0, sizeof(u));
	memcpy(u.arg.uuid, pta_invoke_tests_uuid, sizeof(u.arg.uuid));
	u.arg.clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	CHECK(ioctl(tee_fd, TEE_IOC_OPEN_SESSION, &data) == 0);
	printf("# OP-TEE: TEE_IOC_OPEN_SESSION invoke-tests PTA: ret %#x origin %u session %u\n",
	       u.arg.ret, u.arg.ret_origin, u.arg.session);
	CHECK(u.arg.ret == 0);
	tee_session = u.arg.session;
	return true;
}

/* Wrap @handle (a region of @size bytes) in a TEE shm: its fd, or -1. */
static int optee_register(uint64_t handle, uint64_t size, int *id)
{
	struct tee_ioctl_shm_register_ffa_data d = {
		.handle = handle,
		.size = size,
	};
	int fd = ioctl(tee_fd, TEE_IOC_SHM_REGISTER_FFA, &d);

	printf("# OP-TEE: TEE_IOC_SHM_REGISTER_FFA handle %#llx size %llu: fd %d shm id %d%s%s\n",
	       (unsigned long long)handle, (unsigned long long)size, fd,
	       fd < 0 ? -1 : d.id, fd < 0 ? ", " : "",
	       fd < 0 ? strerror(errno) : "");
	if (fd >= 0)
		*id = d.id;
	return fd;
}

/*
 * PTA_INVOKE_TESTS_CMD_PARAMS with one in/out memref of @len bytes at
 * @offs in shm @id: OP-TEE maps the region (retrieving it by handle the
 * first time), sums every byte and writes the sum at the memref's first
 * byte. Returns the ioctl's result, OP-TEE's in @ret and @origin.
 */
static int optee_sum(int id, uint64_t offs, uint64_t len, uint32_t *ret,
		     uint32_t *origin)
{
	union {
		struct tee_ioctl_invoke_arg arg;
		uint8_t bytes[sizeof(struct tee_ioctl_invoke_arg) +
			      sizeof(struct tee_ioctl_param)];
	} u;
	struct tee_ioctl_buf_data data = {
		.buf_ptr = (uintptr_t)&u,
		.buf_len = sizeof(u),
	};
	struct tee_ioctl_param *param = u.arg.params;
	double t0 = now_s();
	int rc;

	memset(&u, 0, sizeof(u));
	u.arg.func = PTA_INVOKE_TESTS_CMD_PARAMS;
	u.arg.session = tee_session;
	u.arg.num_params = 1;
	param->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
	param->a = offs;
	param->b = len;
	param->c = id;
	rc = ioctl(tee_fd, TEE_IOC_INVOKE, &data);
	printf("# OP-TEE: TEE_IOC_INVOKE PTA_INVOKE_TESTS_CMD_PARAMS memref inout shm %d offs %llu size %llu: ioctl %d%s%s, ret %#x origin %u (%.1f ms)\n",
	       id, (unsigned long long)offs, (unsigned long long)len, rc,
	       rc ? " " : "", rc ? strerror(errno) : "", u.arg.ret,
	       u.arg.ret_origin, (now_s() - t0) * 1e3);
	*ret = u.arg.ret;
	*origin = u.arg.ret_origin;
	return rc;
}

static uint8_t byte_sum(const uint8_t *p, size_t size)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < size; i++)
		sum += p[i];
	return sum;
}

/*
 * The pattern of @seed sums to 0 over whole pages: the lender flips the
 * last byte (by an odd amount), so that the sum OP-TEE writes is not.
 */
static uint8_t salted(size_t i, size_t size, unsigned int seed)
{
	return i == size - 1 ? pattern(i, seed) ^ 0xff : pattern(i, seed);
}

static void fill_salted(uint8_t *p, size_t size, unsigned int seed)
{
	fill(p, size, seed);
	p[size - 1] = salted(size - 1, size, seed);
}

/* A buffer of @size from @heap, mapped and filled with fill_salted(): its
 * fd in *@buf and its mapping in *@p.
 */
static bool salted_buffer(const char *heap, size_t size, unsigned int seed,
			  int *buf, uint8_t **p)
{
	*p = filled_buffer(heap, size, seed, buf);
	CHECK(*p != MAP_FAILED);
	(*p)[size - 1] = salted(size - 1, size, seed);
	return true;
}

static bool check_salted(const uint8_t *p, size_t size, unsigned int seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != salted(i, size, seed))
			return false;
	return true;
}

/* The sum OP-TEE writes at offset 0 of a region filled by fill_salted(). */
static uint8_t pattern_sum(size_t size, unsigned int seed)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < size; i++)
		sum += salted(i, size, seed);
	return sum;
}

/*
 * The borrower hands @in's handle to OP-TEE, which sums the whole region:
 * register, invoke, close (OPTEE_FFA_UNREGISTER_SHM). Returns the sum
 * OP-TEE reported back through its own output (the first byte of the
 * region as the PTA left it is checked by the callers on the lender's
 * side).
 */
static bool optee_reads(const struct vsock_shmem *in)
{
	uint32_t ret, origin;
	int fd, id;

	CHECK(optee_open());
	fd = optee_register(in->handle, in->size, &id);
	CHECK(fd >= 0);
	CHECK(optee_sum(id, 0, in->size, &ret, &origin) == 0);
	CHECK(ret == 0);
	close(fd);
	printf("# OP-TEE: close shm fd %d: OPTEE_FFA_UNREGISTER_SHM handle %#llx\n",
	       fd, (unsigned long long)in->handle);
	return true;
}

/*
 * What the OP-TEE cases start with: a SEQPACKET pair on @port, a system
 * heap buffer of @size filled with fill_salted(@port) and offered (id 1,
 * SHARE), and the offer as the borrower got it.
 */
struct optee_share {
	int a, b, buf;
	uint8_t *p;
	size_t size;
	unsigned int seed;
	struct vsock_shmem in;
};

static bool optee_share_open(struct optee_share *s, unsigned int port,
			     size_t size)
{
	s->size = size;
	s->seed = port;
	CHECK(optee_open());
	CHECK(socket_pair(SOCK_SEQPACKET, port, &s->a, &s->b));
	CHECK(salted_buffer("system", size, s->seed, &s->buf, &s->p));
	CHECK(offer_ffa(s->a, s->buf, 1, 0, 0) == 1);
	CHECK(receive_ffa(s->b, 1, 0, VSOCK_SHMEM_KIND_SHARE, size, &s->in));
	return true;
}

/* A TEE client that registers the region and keeps the shm open after a
 * first sum of all of it: the shm's fd in *@fd, its id in *@id. */
static bool optee_hold(const struct optee_share *s, int *fd, int *id)
{
	uint32_t ret, origin;

	*fd = optee_register(s->in.handle, s->in.size, id);
	CHECK(*fd >= 0);
	CHECK(optee_sum(*id, 0, s->in.size, &ret, &origin) == 0 && ret == 0);
	return true;
}

/* The lender drops its buffer; the pages of a quarantined region stay
 * quarantined, never freed. */
static void optee_share_drop_buf(struct optee_share *s)
{
	munmap(s->p, s->size);
	close(s->buf);
}

/* After the TEE client closed its shm, the retry releases the region. */
static bool retry_releases(void)
{
	struct ffa_stats before, d;

	CHECK(read_ffa_stats(&before));
	CHECK(write_u64(FFA_RETRY, 1));
	d = calls_since(&before, "retry after close");
	CHECK(d.reclaim == 1 && d.refused == 0 && d.released == 1);
	CHECK(d.quarantined_now == 0 && d.quarantined_pages == 0);
	return true;
}

static bool test_caps(void)
{
	uint64_t caps;
	int a, b;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE, &a, &b));
	CHECK(get_caps(a, &caps));
	printf("# caps %#llx\n", (unsigned long long)caps);
	CHECK(caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA));
	CHECK(caps & VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE));
	CHECK(caps & VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_LEND));
	CHECK(caps & VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SEND_SECURE));
	close(a);
	close(b);
	return true;
}

/*
 * Offer a @heap buffer of @size to OP-TEE, check the one FF-A call it
 * makes, relinquish, check the one reclaim. For a lend the lender's own
 * mapping must fault meanwhile and see its data again afterwards.
 */
static bool give_and_take_back(unsigned int port, const char *heap,
			       size_t size, uint32_t kind, uint32_t flags)
{
	long long entries = stat_value("entries");
	long long outstanding = stat_value("outstanding");
	/* OP-TEE reads a lend's tag as a protected-memory use case. */
	uint64_t tag = kind == VSOCK_SHMEM_KIND_LEND ? 0 : 0xf0f0 + port;
	struct ffa_stats before, d;
	struct vsock_shmem in;
	int a, b, buf, fds;
	uint8_t *p;

	CHECK(socket_pair(SOCK_SEQPACKET, port, &a, &b));
	fds = count_fds();
	p = filled_buffer(heap, size, port, &buf);
	CHECK(p != MAP_FAILED);
	CHECK(read_ffa_stats(&before));

	CHECK(offer_ffa(a, buf, port, tag, flags) == 1);
	CHECK(receive_ffa(b, port, tag, kind, size, &in));
	printf("# %s %zu bytes: %lld scatter ranges\n", heap, size,
	       stat_value("entries") - entries);
	d = calls_since(&before, kind == VSOCK_SHMEM_KIND_LEND ? "lend" : "share");
	CHECK(d.share == (kind == VSOCK_SHMEM_KIND_SHARE));
	CHECK(d.lend == (kind == VSOCK_SHMEM_KIND_LEND));
	CHECK(d.refused == 0 && d.reclaim == 0);
	if (kind == VSOCK_SHMEM_KIND_LEND)
		CHECK(read_faults(p) && read_faults(p + size - 1));

	CHECK(read_ffa_stats(&before));
	CHECK(relinquish(a, b, port));
	d = calls_since(&before, "relinquish");
	/* With CLEAR OP-TEE 4.10 refuses the flag once: then a plain one. */
	CHECK(d.reclaim >= 1 && d.reclaim - d.refused == 1);
	CHECK(d.quarantined == 0);
	CHECK(!read_faults(p));
	if (flags & VSOCK_SHMEM_F_CLEAR) {
		for (size_t i = 0; i < size; i++)
			CHECK(p[i] == 0);
	} else {
		CHECK(check(p, size, port));
	}
	CHECK(stat_value("outstanding") == outstanding);
	munmap(p, size);
	close(buf);
	CHECK(count_fds() == fds);
	close(a);
	close(b);
	return true;
}

/*
 * An offer of a page of @heap with @tag and @flags that OP-TEE refuses:
 * one FF-A call (MEM_SHARE, or MEM_LEND from the lend heap), refused,
 * EINVAL, nothing outstanding, no fd left behind, and a lender that
 * keeps its access.
 */
static bool refused_offer(unsigned int port, const char *heap, uint64_t tag,
			  uint32_t flags, const char *what)
{
	bool lend = !strcmp(heap, "lend");
	long long outstanding = stat_value("outstanding");
	struct ffa_stats before, d;
	int a, b, buf, fds;
	uint8_t *p;

	CHECK(socket_pair(SOCK_SEQPACKET, port, &a, &b));
	fds = count_fds();
	buf = heap_alloc_from(heap, 4096);
	CHECK(buf >= 0);
	CHECK(read_ffa_stats(&before));
	errno = 0;
	CHECK(offer_ffa(a, buf, 1, tag, flags) < 0);
	printf("# %s: sendmsg errno %d (%s)\n", what, errno, strerror(errno));
	CHECK(errno == EINVAL);
	d = calls_since(&before, what);
	CHECK((lend ? d.lend : d.share) == 1 && d.refused == 1);
	CHECK(stat_value("outstanding") == outstanding);
	if (lend) {
		/* Not lent: the lender's access is back. */
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
		CHECK(p != MAP_FAILED && !read_faults(p));
		munmap(p, 4096);
	}
	close(buf);
	CHECK(count_fds() == fds);
	close(a);
	close(b);
	return true;
}

/* OP-TEE maps shared memory read-write only: the offer fails, cleanly. */
static bool test_read_only_refused(void)
{
	return refused_offer(PORT_BASE + 10, "system", 0, VSOCK_SHMEM_F_READONLY,
			     "read-only MEM_SHARE");
}

/*
 * OP-TEE takes a lend's tag as the use case of protected memory (1 is
 * secure video play), which this platform has none of: it refuses with
 * FFA_INVALID_PARAMETERS (EINVAL), and nothing is left lent. (A tag
 * that names no use case at all gets FFA_NO_MEMORY, ENOMEM.)
 */
static bool test_lend_tag_refused(void)
{
	return refused_offer(PORT_BASE + 15, "lend", 1, 0, "MEM_LEND with tag 1");
}

/* The lender takes it back first: one reclaim, the borrower is told. */
static bool test_lender_reclaims(void)
{
	struct ffa_stats before, d;
	struct vsock_shmem in;
	int a, b, buf;
	char data;
	bool got;

	CHECK(pair_and_buffer(SOCK_SEQPACKET, PORT_BASE + 11, "lend", MULTI_SIZE,
			      &a, &b, &buf));
	CHECK(offer_ffa(a, buf, 5, 0, 0) == 1);
	CHECK(receive_ffa(b, 5, 0, VSOCK_SHMEM_KIND_LEND, MULTI_SIZE, &in));
	CHECK(read_ffa_stats(&before));
	CHECK(end_offer(a, VSOCK_SHMEM_SUBOP_RECLAIM, 5) == 0);
	d = calls_since(&before, "lender's reclaim");
	CHECK(d.reclaim == 1 && d.refused == 0);
	CHECK(recv_shmem(b, &data, 1, 0, &in, &got, NULL) == 0 && got);
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RECLAIM && in.id == 5);
	close(buf);
	close(a);
	close(b);
	return true;
}

/* @p is as fill_salted() left it but for byte 0, which is @first. */
static bool check_after_sum(const uint8_t *p, size_t size, unsigned int seed,
			    uint8_t first)
{
	if (p[0] != first) {
		printf("# byte 0 is %#x, expected %#x\n", p[0], first);
		return false;
	}
	for (size_t i = 1; i < size; i++)
		if (p[i] != salted(i, size, seed))
			return false;
	return true;
}

/*
 * Offer a @heap buffer of @size with @seed's pattern to OP-TEE, have the
 * invoke-tests PTA sum it through /dev/tee0, relinquish, and check the
 * sum against the lender's pattern: at once while shared, after the
 * reclaim when lent (the lender's mapping faults meanwhile). A nomap heap
 * cannot be filled or read back: OP-TEE reads its zeroes.
 */
static bool optee_borrows(unsigned int port, const char *heap, size_t size,
			  uint32_t kind, uint32_t flags)
{
	bool nomap = !strcmp(heap, "lend-nomap");
	struct ffa_stats before, d;
	struct vsock_shmem in;
	uint8_t *p = NULL, sum;
	int a, b, buf;

	CHECK(socket_pair(SOCK_SEQPACKET, port, &a, &b));
	sum = pattern_sum(size, port);
	if (nomap) {
		buf = heap_alloc_from(heap, size);
		CHECK(buf >= 0);
	} else {
		CHECK(salted_buffer(heap, size, port, &buf, &p));
		CHECK(byte_sum(p, size) == sum);
	}
	CHECK(read_ffa_stats(&before));
	CHECK(offer_ffa(a, buf, port, 0, flags) == 1);
	CHECK(receive_ffa(b, port, 0, kind, size, &in));
	if (p && kind == VSOCK_SHMEM_KIND_LEND)
		CHECK(read_faults(p) && read_faults(p + size - 1));
	CHECK(optee_reads(&in));
	d = calls_since(&before, kind == VSOCK_SHMEM_KIND_LEND ?
			"lend + OP-TEE reads" : "share + OP-TEE reads");
	CHECK(d.share == (kind == VSOCK_SHMEM_KIND_SHARE));
	CHECK(d.lend == (kind == VSOCK_SHMEM_KIND_LEND));
	CHECK(d.reclaim == 0 && d.refused == 0);
	if (p && kind == VSOCK_SHMEM_KIND_SHARE) {
		printf("# %s %zu bytes shared: OP-TEE's sum at offset 0 %#x, the lender's pattern sums to %#x\n",
		       heap, size, p[0], sum);
		CHECK(check_after_sum(p, size, port, sum));
	}
	if (p && kind == VSOCK_SHMEM_KIND_LEND)
		CHECK(read_faults(p));

	CHECK(read_ffa_stats(&before));
	CHECK(relinquish(a, b, port));
	d = calls_since(&before, "relinquish");
	CHECK(d.reclaim >= 1 && d.reclaim - d.refused == 1);
	CHECK(d.quarantined == 0);
	if (p) {
		CHECK(!read_faults(p));
		if (flags & VSOCK_SHMEM_F_CLEAR) {
			printf("# %s %zu bytes lent with CLEAR: byte 0 after the reclaim %#x\n",
			       heap, size, p[0]);
			for (size_t i = 0; i < size; i++)
				CHECK(p[i] == 0);
		} else if (kind == VSOCK_SHMEM_KIND_LEND) {
			printf("# %s %zu bytes lent: OP-TEE's sum at offset 0 after the reclaim %#x, the lender's pattern sums to %#x\n",
			       heap, size, p[0], sum);
			CHECK(check_after_sum(p, size, port, sum));
		}
		munmap(p, size);
	}
	close(buf);
	close(a);
	close(b);
	return true;
}

/*
 * The same lent buffer offered again passes the same handle on
 * (KIND_SEND_SECURE, no second MEM_LEND); OP-TEE reads it again through
 * the second offer and sums what it wrote the first time too. An offer
 * of it with another tag would be another transaction: refused. The
 * memory is reclaimed once, when the last offer ends.
 */
static bool test_send_secure(void)
{
	unsigned int seed = PORT_BASE + 30;
	struct vsock_shmem first, second;
	struct ffa_stats before, d;
	uint8_t sum1, sum2;
	int a, b, c, e, buf;
	uint8_t *p;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 30, &a, &b));
	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 31, &c, &e));
	CHECK(salted_buffer("lend", MULTI_SIZE, seed, &buf, &p));
	sum1 = pattern_sum(MULTI_SIZE, seed);
	/* The second sum counts the first one in place of byte 0. */
	sum2 = sum1 - salted(0, MULTI_SIZE, seed) + sum1;
	CHECK(read_ffa_stats(&before));
	CHECK(offer_ffa(a, buf, 1, 0, 0) == 1);
	CHECK(receive_ffa(b, 1, 0, VSOCK_SHMEM_KIND_LEND, MULTI_SIZE, &first));
	CHECK(optee_reads(&first));
	CHECK(offer_ffa(c, buf, 2, 0, 0) == 1);
	CHECK(receive_ffa(e, 2, 0, VSOCK_SHMEM_KIND_SEND_SECURE, MULTI_SIZE,
			  &second));
	CHECK(second.handle == first.handle);
	CHECK(optee_reads(&second));
	d = calls_since(&before, "lend, OP-TEE reads, send-secure, OP-TEE reads again");
	CHECK(d.lend == 1 && d.share == 0 && d.reclaim == 0);
	errno = 0;
	CHECK(offer_ffa(c, buf, 3, 1, 0) < 0 && errno == EBUSY);

	CHECK(read_ffa_stats(&before));
	CHECK(relinquish(a, b, 1));
	d = calls_since(&before, "first relinquish");
	CHECK(d.reclaim == 0);
	CHECK(relinquish(c, e, 2));
	d = calls_since(&before, "second relinquish");
	CHECK(d.reclaim == 1 && d.refused == 0);
	printf("# after the reclaim: byte 0 %#x (first sum %#x, second %#x)\n",
	       p[0], sum1, sum2);
	CHECK(check_after_sum(p, MULTI_SIZE, seed, sum2));
	munmap(p, MULTI_SIZE);
	close(buf);
	close(a);
	close(b);
	close(c);
	close(e);
	return true;
}

/*
 * OP-TEE refuses a memref past the end of the region, and a handle that
 * was reclaimed: the call fails with OP-TEE's error, no FF-A call is
 * made, and the lender's data is untouched.
 */
static bool test_optee_refuses(void)
{
	struct ffa_stats before, d;
	uint32_t ret, origin;
	struct optee_share s;
	int fd, id;

	CHECK(optee_share_open(&s, PORT_BASE + 32, 4096));

	/* A shm one page larger than the region. */
	CHECK(read_ffa_stats(&before));
	fd = optee_register(s.in.handle, 8192, &id);
	CHECK(fd >= 0);
	CHECK(optee_sum(id, 0, 8192, &ret, &origin) == 0);
	CHECK(ret != 0);
	CHECK(optee_sum(id, 4096, 1, &ret, &origin) == 0);
	CHECK(ret != 0);
	/* The same handle twice at once: refused here, not by OP-TEE. */
	errno = 0;
	CHECK(optee_register(s.in.handle, 4096, &id) < 0 && errno == EBUSY);
	close(fd);
	d = calls_since(&before, "memref past the region");
	CHECK(d.share == 0 && d.lend == 0 && d.reclaim == 0);
	CHECK(check_salted(s.p, 4096, s.seed));

	/* The region is still OP-TEE's to read. */
	CHECK(optee_reads(&s.in));
	CHECK(check_after_sum(s.p, 4096, s.seed, pattern_sum(4096, s.seed)));
	fill_salted(s.p, 4096, s.seed);

	/* Reclaimed: OP-TEE no longer knows the handle. */
	CHECK(relinquish(s.a, s.b, 1));
	CHECK(read_ffa_stats(&before));
	fd = optee_register(s.in.handle, 4096, &id);
	CHECK(fd >= 0);
	CHECK(optee_sum(id, 0, 4096, &ret, &origin) == 0);
	CHECK(ret != 0);
	close(fd);
	d = calls_since(&before, "reclaimed handle");
	CHECK(d.share == 0 && d.lend == 0 && d.reclaim == 0);
	CHECK(check_salted(s.p, 4096, s.seed));
	optee_share_drop_buf(&s);
	close(s.a);
	close(s.b);
	return true;
}

/*
 * A TEE client that keeps the shm open after its call keeps OP-TEE
 * holding the region: the lender's RECLAIM is refused (EBUSY), a
 * relinquish quarantines the pages, and closing the shm
 * (OPTEE_FFA_UNREGISTER_SHM) lets the retry take them back.
 */
static bool test_optee_holds(void)
{
	long long outstanding = stat_value("outstanding");
	struct ffa_stats before, d;
	struct optee_share s;
	int fd, id;

	CHECK(optee_share_open(&s, PORT_BASE + 33, MULTI_SIZE));
	CHECK(optee_hold(&s, &fd, &id));
	CHECK(check_after_sum(s.p, MULTI_SIZE, s.seed,
			      pattern_sum(MULTI_SIZE, s.seed)));

	CHECK(read_ffa_stats(&before));
	errno = 0;
	CHECK(end_offer(s.a, VSOCK_SHMEM_SUBOP_RECLAIM, 1) < 0);
	printf("# lender's RECLAIM while a TEE client holds the shm: errno %d (%s)\n",
	       errno, strerror(errno));
	CHECK(errno == EBUSY);
	d = calls_since(&before, "refused reclaim");
	CHECK(d.reclaim == 1 && d.refused == 1 && d.quarantined == 0);

	CHECK(stat_value("outstanding") == outstanding + 1);

	CHECK(read_ffa_stats(&before));
	CHECK(relinquish(s.a, s.b, 1));
	d = calls_since(&before, "relinquish while held");
	CHECK(d.reclaim == 1 && d.refused == 1 && d.quarantined == 1);
	CHECK(d.quarantined_now == 1 &&
	      d.quarantined_pages == MULTI_SIZE / 4096);
	optee_share_drop_buf(&s);

	CHECK(read_ffa_stats(&before));
	CHECK(write_u64(FFA_RETRY, 1));
	d = calls_since(&before, "retry while held");
	CHECK(d.refused == 1 && d.released == 0 && d.quarantined_now == 1);

	close(fd);
	printf("# OP-TEE: close shm fd %d: OPTEE_FFA_UNREGISTER_SHM handle %#llx\n",
	       fd, (unsigned long long)s.in.handle);
	CHECK(retry_releases());
	CHECK(stat_value("outstanding") == outstanding);
	close(s.a);
	close(s.b);
	return true;
}

struct invoke_job {
	int id;
	uint64_t size;
	uint32_t ret, origin;
	int rc;
	volatile bool done;
};

static void *invoke_thread(void *arg)
{
	struct invoke_job *job = arg;

	job->rc = optee_sum(job->id, 0, job->size, &job->ret, &job->origin);
	job->done = true;
	return NULL;
}

/*
 * The lender's RECLAIM and the borrower's relinquish while the PTA sums
 * 16 MiB in another thread: OP-TEE holds the region (the shm stays open
 * from a first call, so this does not depend on the timing), the RECLAIM
 * fails with EBUSY, the relinquish quarantines, the running call
 * finishes with the right sum on the quarantined pages, and closing the
 * shm lets the retry release them.
 */
static bool test_optee_reclaim_while_running(void)
{
	size_t size = 16 << 20;
	struct ffa_stats before, d;
	struct invoke_job job = { 0 };
	struct optee_share s;
	bool running_at_reclaim, running_at_relinquish;
	pthread_t thr;
	uint8_t sum1, sum2;
	int fd, id, err;

	CHECK(optee_share_open(&s, PORT_BASE + 34, size));
	sum1 = pattern_sum(size, s.seed);
	sum2 = sum1 - salted(0, size, s.seed) + sum1;
	CHECK(optee_hold(&s, &fd, &id));
	CHECK(s.p[0] == sum1);

	job.id = id;
	job.size = size;
	CHECK(pthread_create(&thr, NULL, invoke_thread, &job) == 0);
	usleep(20000);
	CHECK(read_ffa_stats(&before));
	errno = 0;
	CHECK(end_offer(s.a, VSOCK_SHMEM_SUBOP_RECLAIM, 1) < 0);
	err = errno;
	running_at_reclaim = !job.done;
	printf("# lender's RECLAIM %s the PTA summed 16 MiB: errno %d (%s)\n",
	       running_at_reclaim ? "while" : "after", err, strerror(err));
	CHECK(err == EBUSY);
	CHECK(relinquish(s.a, s.b, 1));
	running_at_relinquish = !job.done;
	d = calls_since(&before, running_at_relinquish ?
			"reclaim and relinquish while the PTA runs" :
			"reclaim and relinquish (the PTA had finished)");
	CHECK(d.reclaim == 2 && d.refused == 2 && d.quarantined == 1);
	CHECK(pthread_join(thr, NULL) == 0);
	printf("# the running call: ioctl %d, ret %#x origin %u; byte 0 %#x (expected %#x)\n",
	       job.rc, job.ret, job.origin, s.p[0], sum2);
	CHECK(job.rc == 0 && job.ret == 0);
	CHECK(check_after_sum(s.p, size, s.seed, sum2));
	optee_share_drop_buf(&s);

	close(fd);
	CHECK(retry_releases());
	close(s.a);
	close(s.b);
	return true;
}

typedef bool (*round_fn)(unsigned int port, const char *heap, size_t size,
			 uint32_t kind, uint32_t flags);

/* The cases that differ only in their buffer, one a line. */
static const struct {
	round_fn fn;
	unsigned int port;
	const char *heap;
	size_t size;
	uint32_t kind, flags;
	const char *name;
} rounds[] = {
	{ give_and_take_back, PORT_BASE + 1, "system", 4096, VSOCK_SHMEM_KIND_SHARE, 0,
	  "system heap page: MEM_SHARE to OP-TEE, relinquish, MEM_RECLAIM" },
	{ give_and_take_back, PORT_BASE + 2, "system", MULTI_SIZE, VSOCK_SHMEM_KIND_SHARE, 0,
	  "system heap, several ranges: MEM_SHARE, MEM_RECLAIM" },
	{ give_and_take_back, PORT_BASE + 3, "lend", MULTI_SIZE, VSOCK_SHMEM_KIND_LEND, 0,
	  "lend heap, several ranges: MEM_LEND, lender faults, MEM_RECLAIM, data back" },
	{ give_and_take_back, PORT_BASE + 4, "lend", MULTI_SIZE, VSOCK_SHMEM_KIND_LEND,
	  VSOCK_SHMEM_F_CLEAR, "lend with CLEAR: MEM_RECLAIM, memory back zeroed" },
	{ optee_borrows, PORT_BASE + 20, "system", 4096, VSOCK_SHMEM_KIND_SHARE, 0,
	  "OP-TEE reads a shared page: its sum at offset 0, seen by the lender while shared" },
	{ optee_borrows, PORT_BASE + 21, "system", MULTI_SIZE, VSOCK_SHMEM_KIND_SHARE, 0,
	  "OP-TEE reads a shared buffer of several ranges: sum right" },
	{ optee_borrows, PORT_BASE + 22, "system", 16 << 20, VSOCK_SHMEM_KIND_SHARE, 0,
	  "OP-TEE reads 16 MiB shared: sum right" },
	{ optee_borrows, PORT_BASE + 23, "lend", MULTI_SIZE, VSOCK_SHMEM_KIND_LEND, 0,
	  "OP-TEE reads a lent buffer: lender faults, sum right after the reclaim" },
	{ optee_borrows, PORT_BASE + 24, "lend-nomap", MULTI_SIZE, VSOCK_SHMEM_KIND_LEND, 0,
	  "OP-TEE reads a lend-nomap buffer" },
	{ optee_borrows, PORT_BASE + 25, "lend", MULTI_SIZE, VSOCK_SHMEM_KIND_LEND,
	  VSOCK_SHMEM_F_CLEAR, "OP-TEE reads a buffer lent with CLEAR: zeroes after the reclaim" },
};

/* Reports rounds[from] up to rounds[to - 1]. */
static void run_rounds(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		report(rounds[i].fn(rounds[i].port, rounds[i].heap, rounds[i].size,
				    rounds[i].kind, rounds[i].flags), "%s",
		       rounds[i].name);
}

int main(void)
{
	printf("TAP version 13\n1..19\n");
	report(test_caps(), "caps: loopback reports TYPE_FFA with SHARE, LEND, SEND_SECURE");
	run_rounds(0, 4);
	report(test_read_only_refused(), "read-only share: OP-TEE refuses, EINVAL, nothing left");
	report(test_lend_tag_refused(), "lend with tag 1: OP-TEE has no such protected memory, EINVAL, nothing lent");
	report(test_lender_reclaims(), "lender's RECLAIM: MEM_RECLAIM, borrower told");
	run_rounds(4, ARRAY_LEN(rounds));
	report(test_send_secure(), "SEND_SECURE: same handle, OP-TEE reads it again, no second MEM_LEND, one MEM_RECLAIM");
	report(test_optee_refuses(), "OP-TEE refuses a memref past the region and a reclaimed handle: error, nothing lost");
	report(test_optee_reclaim_while_running(), "RECLAIM and relinquish while the PTA runs: EBUSY, quarantine, the call's sum right, released after close");
	report(test_optee_holds(), "OP-TEE holds what a TEE client keeps open: RECLAIM EBUSY, quarantine, retry refused, released after close");
	return failed ? 1 : 0;
}
