// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test of SCM_VSOCK_SHMEM over FF-A, against the real SPMC
 * (TF-A + OP-TEE as S-EL1 SPMC; run by kernel/scripts/vm-run-ffa.sh on
 * the arm64 guest). Offers of VSOCK_SHMEM_TYPE_FFA between two loopback
 * sockets are mapped for the OP-TEE partition (CONFIG_VSOCKETS_LOOPBACK_FFA),
 * so every offer below is a real FFA_MEM_SHARE or FFA_MEM_LEND and its end
 * a real FFA_MEM_RECLAIM. Each FF-A call is counted by the ffa_dma device
 * (debugfs ffa_dma/ffa-dma-8001/stats) and printed with its result.
 */
#include "shmem_test.h"

#define PORT_BASE	7000
#define FFA_STATS	"/sys/kernel/debug/ffa_dma/ffa-dma-8001/stats"
#define FFA_RETRY	"/sys/kernel/debug/ffa_dma/ffa-dma-8001/retry"
#define OPTEE_HOLD	"/sys/kernel/debug/vsock_loopback_ffa/hold"
#define OPTEE_UNHOLD	"/sys/kernel/debug/vsock_loopback_ffa/unhold"
/* 1 MiB + 64 KiB + 4 KiB: three ranges from either heap, unfragmented. */
#define MULTI_SIZE	((1 << 20) + (64 << 10) + (4 << 10))

struct ffa_stats {
	long long share, lend, reclaim, refused, quarantined, released;
	long long quarantined_now, quarantined_pages;
};

static bool read_ffa_stats(struct ffa_stats *s)
{
	FILE *f = fopen(FFA_STATS, "r");
	char key[64];
	long long v;
	int n = 0;

	if (!f)
		return false;
	memset(s, 0, sizeof(*s));
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		n++;
		if (!strcmp(key, "share"))
			s->share = v;
		else if (!strcmp(key, "lend"))
			s->lend = v;
		else if (!strcmp(key, "reclaim"))
			s->reclaim = v;
		else if (!strcmp(key, "refused"))
			s->refused = v;
		else if (!strcmp(key, "quarantined"))
			s->quarantined = v;
		else if (!strcmp(key, "released"))
			s->released = v;
		else if (!strcmp(key, "quarantined_now"))
			s->quarantined_now = v;
		else if (!strcmp(key, "quarantined_pages"))
			s->quarantined_pages = v;
	}
	fclose(f);
	return n == 8;
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
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_FFA,
		.id = id,
		.fd = buf,
		.tag = tag,
		.flags = flags,
	};

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

static bool test_caps(void)
{
	uint64_t caps = 0;
	socklen_t len = sizeof(caps);
	int a, b;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE, &a, &b));
	CHECK(getsockopt(a, AF_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) == 0);
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
	buf = heap_alloc_from(heap, size);
	CHECK(buf >= 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED);
	fill(p, size, port);
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

/* OP-TEE maps shared memory read-write only: the offer fails, cleanly. */
static bool test_read_only_refused(void)
{
	long long outstanding = stat_value("outstanding");
	struct ffa_stats before, d;
	int a, b, buf, fds;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 10, &a, &b));
	fds = count_fds();
	buf = heap_alloc(4096);
	CHECK(buf >= 0);
	CHECK(read_ffa_stats(&before));
	errno = 0;
	CHECK(offer_ffa(a, buf, 1, 0, VSOCK_SHMEM_F_READONLY) < 0);
	printf("# read-only MEM_SHARE: sendmsg errno %d (%s)\n", errno,
	       strerror(errno));
	CHECK(errno == EINVAL);
	d = calls_since(&before, "read-only share");
	CHECK(d.share == 1 && d.refused == 1);
	CHECK(stat_value("outstanding") == outstanding);
	close(buf);
	CHECK(count_fds() == fds);
	close(a);
	close(b);
	return true;
}

/*
 * OP-TEE takes a lend's tag as the use case of protected memory (1 is
 * secure video play), which this platform has none of: it refuses with
 * FFA_INVALID_PARAMETERS (EINVAL), and nothing is left lent. (A tag
 * that names no use case at all gets FFA_NO_MEMORY, ENOMEM.)
 */
static bool test_lend_tag_refused(void)
{
	long long outstanding = stat_value("outstanding");
	struct ffa_stats before, d;
	int a, b, buf, fds;
	uint8_t *p;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 15, &a, &b));
	fds = count_fds();
	buf = heap_alloc_from("lend", 4096);
	CHECK(buf >= 0);
	CHECK(read_ffa_stats(&before));
	errno = 0;
	CHECK(offer_ffa(a, buf, 1, 1, 0) < 0);
	printf("# MEM_LEND with tag 1: sendmsg errno %d (%s)\n", errno,
	       strerror(errno));
	CHECK(errno == EINVAL);
	d = calls_since(&before, "lend with tag 1");
	CHECK(d.lend == 1 && d.refused == 1);
	CHECK(stat_value("outstanding") == outstanding);
	/* Not lent: the lender's access is back. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED && !read_faults(p));
	munmap(p, 4096);
	close(buf);
	CHECK(count_fds() == fds);
	close(a);
	close(b);
	return true;
}

/* The lender takes it back first: one reclaim, the borrower is told. */
static bool test_lender_reclaims(void)
{
	struct ffa_stats before, d;
	struct vsock_shmem in;
	int a, b, buf;
	char data;
	bool got;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 11, &a, &b));
	buf = heap_alloc_from("lend", MULTI_SIZE);
	CHECK(buf >= 0);
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

/* A buffer that already has a handle is passed on without a new call. */
static bool test_send_secure(void)
{
	struct ffa_stats before, d;
	struct vsock_shmem first, second;
	int a, b, c, e, buf;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 12, &a, &b));
	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 13, &c, &e));
	buf = heap_alloc_from("lend", MULTI_SIZE);
	CHECK(buf >= 0);
	CHECK(read_ffa_stats(&before));
	CHECK(offer_ffa(a, buf, 1, 0, 0) == 1);
	CHECK(receive_ffa(b, 1, 0, VSOCK_SHMEM_KIND_LEND, MULTI_SIZE, &first));
	CHECK(offer_ffa(c, buf, 2, 0, 0) == 1);
	CHECK(receive_ffa(e, 2, 0, VSOCK_SHMEM_KIND_SEND_SECURE, MULTI_SIZE,
			  &second));
	CHECK(second.handle == first.handle);
	d = calls_since(&before, "lend + send-secure");
	CHECK(d.lend == 1 && d.share == 0);
	/* Another tag would be a different transaction: refused. */
	errno = 0;
	CHECK(offer_ffa(c, buf, 3, 1, 0) < 0 && errno == EBUSY);

	CHECK(read_ffa_stats(&before));
	CHECK(relinquish(a, b, 1));
	d = calls_since(&before, "first relinquish");
	CHECK(d.reclaim == 0);
	CHECK(relinquish(c, e, 2));
	d = calls_since(&before, "second relinquish");
	CHECK(d.reclaim == 1 && d.refused == 0);
	close(buf);
	close(a);
	close(b);
	close(c);
	close(e);
	return true;
}

/*
 * OP-TEE holds the memory: reclaim is refused (FFA_DENIED), the lender's
 * RECLAIM fails with EBUSY and the offer stays; when the borrower
 * relinquishes anyway the pages are quarantined; once OP-TEE lets go
 * the retry takes them back.
 */
static bool test_refused_reclaim(void)
{
	long long outstanding = stat_value("outstanding");
	struct ffa_stats before, d;
	struct vsock_shmem in;
	int a, b, buf;

	CHECK(socket_pair(SOCK_SEQPACKET, PORT_BASE + 14, &a, &b));
	/* Zeroed: an optee_msg_arg OP-TEE takes the memory for, then refuses. */
	buf = heap_alloc(4096);
	CHECK(buf >= 0);
	CHECK(offer_ffa(a, buf, 9, 0, 0) == 1);
	CHECK(receive_ffa(b, 9, 0, VSOCK_SHMEM_KIND_SHARE, 4096, &in));
	CHECK(write_u64(OPTEE_HOLD, in.handle));
	printf("# OP-TEE took handle %#llx (yielding call with its argument in it)\n",
	       (unsigned long long)in.handle);

	CHECK(read_ffa_stats(&before));
	errno = 0;
	CHECK(end_offer(a, VSOCK_SHMEM_SUBOP_RECLAIM, 9) < 0);
	printf("# lender's RECLAIM while OP-TEE holds it: errno %d (%s)\n",
	       errno, strerror(errno));
	CHECK(errno == EBUSY);
	d = calls_since(&before, "refused reclaim");
	CHECK(d.reclaim == 1 && d.refused == 1 && d.quarantined == 0);
	CHECK(stat_value("outstanding") == outstanding + 1);

	CHECK(read_ffa_stats(&before));
	CHECK(relinquish(a, b, 9));
	d = calls_since(&before, "relinquish while held");
	CHECK(d.reclaim == 1 && d.refused == 1 && d.quarantined == 1);
	CHECK(d.quarantined_now == 1 && d.quarantined_pages == 1);
	close(buf);	/* the pages stay quarantined, never freed */

	CHECK(read_ffa_stats(&before));
	CHECK(write_u64(FFA_RETRY, 1));
	d = calls_since(&before, "retry while held");
	CHECK(d.released == 0 && d.quarantined_now == 1);

	CHECK(write_u64(OPTEE_UNHOLD, in.handle));
	printf("# OP-TEE let go of handle %#llx (OPTEE_FFA_UNREGISTER_SHM)\n",
	       (unsigned long long)in.handle);
	CHECK(read_ffa_stats(&before));
	CHECK(write_u64(FFA_RETRY, 1));
	d = calls_since(&before, "retry after release");
	CHECK(d.reclaim == 1 && d.refused == 0 && d.released == 1);
	CHECK(d.quarantined_now == 0 && d.quarantined_pages == 0);
	CHECK(stat_value("outstanding") == outstanding);
	close(a);
	close(b);
	return true;
}

int main(void)
{
	printf("TAP version 13\n1..10\n");
	report(test_caps(), "caps: loopback reports TYPE_FFA with SHARE, LEND, SEND_SECURE");
	report(give_and_take_back(PORT_BASE + 1, "system", 4096,
				  VSOCK_SHMEM_KIND_SHARE, 0),
	       "system heap page: MEM_SHARE to OP-TEE, relinquish, MEM_RECLAIM");
	report(give_and_take_back(PORT_BASE + 2, "system", MULTI_SIZE,
				  VSOCK_SHMEM_KIND_SHARE, 0),
	       "system heap, several ranges: MEM_SHARE, MEM_RECLAIM");
	report(give_and_take_back(PORT_BASE + 3, "lend", MULTI_SIZE,
				  VSOCK_SHMEM_KIND_LEND, 0),
	       "lend heap, several ranges: MEM_LEND, lender faults, MEM_RECLAIM, data back");
	report(give_and_take_back(PORT_BASE + 4, "lend", MULTI_SIZE,
				  VSOCK_SHMEM_KIND_LEND, VSOCK_SHMEM_F_CLEAR),
	       "lend with CLEAR: MEM_RECLAIM, memory back zeroed");
	report(test_read_only_refused(), "read-only share: OP-TEE refuses, EINVAL, nothing left");
	report(test_lend_tag_refused(), "lend with tag 1: OP-TEE has no such protected memory, EINVAL, nothing lent");
	report(test_lender_reclaims(), "lender's RECLAIM: MEM_RECLAIM, borrower told");
	report(test_send_secure(), "SEND_SECURE: same handle, no second MEM_LEND, one MEM_RECLAIM");
	report(test_refused_reclaim(), "OP-TEE holds it: RECLAIM EBUSY, quarantine, released after UNREGISTER_SHM");
	return failed ? 1 : 0;
}
