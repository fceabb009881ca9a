// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host side of a hybrid-vsock device (lib/uds.c) against a fake
 * vhost-user-vsock: real Unix sockets, real memfds standing in for guest
 * RAM, the real lib/sys.c. Each case checks that no fd and no mapping is
 * left behind (/proc/self/fd, /proc/self/maps).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <libvshmem/vshmem.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#include <libvshmem/vshmem-uring.h>
#endif

enum { F_DATA = 1, F_OFFER = 2, F_RECLAIM = 3, F_RELEASE = 4 };
#define PG	4096

static char dir[64], uds[96];
static int fds_before, maps_before;

/* ASan's allocator maps memory as it goes: under it only the mappings of
 * memfds (the views) are counted, elsewhere every mapping. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALL_MAPS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALL_MAPS 0
#endif
#endif
#ifndef COUNT_ALL_MAPS
#define COUNT_ALL_MAPS 1
#endif

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own */
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (fgets(line, sizeof(line), f))
		n += COUNT_ALL_MAPS || strstr(line, "memfd:");
	fclose(f);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vshmem-uds-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(uds, sizeof(uds), "%s/vsock", dir);
	fds_before = count_fds();
	maps_before = count_maps();
	return 0;
}

static int teardown(void **state)
{
	int fds = count_fds();
	int maps = count_maps();
	char path[320];
	struct dirent *de;
	DIR *d = opendir(dir);

	(void)state;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
	if (fds != fds_before || maps != maps_before) {
		print_error("leak: fds %d -> %d, mappings %d -> %d\n",
			    fds_before, fds, maps_before, maps);
		return -1;
	}
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* ---- the fake backend ---- */

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* x86 and arm64 hosts: little-endian */
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void send_frame(int s, uint32_t op, uint32_t flags, uint64_t id,
		       const void *pl, size_t len, const int *fds, int nfds)
{
	unsigned char hdr[16];
	struct iovec iov[2] = { { hdr, 16 }, { (void *)pl, len } };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(8 * sizeof(int))];
	} ctl;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	put32(hdr, op);
	put32(hdr + 4, flags);
	put64(hdr + 8, id);
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.b;
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), fds, nfds * sizeof(int));
	}
	assert_int_equal(sendmsg(s, &m, MSG_NOSIGNAL), (ssize_t)(16 + len));
}

struct range {
	uint32_t fd_index, reserved;
	uint64_t offset, len;
};

/* An OFFER frame's payload: header and ranges. */
static size_t offer_payload(unsigned char *p, uint64_t tag, uint64_t size,
			    uint32_t kind, uint32_t flags, uint32_t data_len,
			    uint32_t nranges, const struct range *r, size_t nr)
{
	put64(p, tag);
	put64(p + 8, size);
	put32(p + 16, kind);
	put32(p + 20, flags);
	put32(p + 24, data_len);
	put32(p + 28, nranges);
	for (size_t i = 0; i < nr; i++) {
		put32(p + 32 + 24 * i, r[i].fd_index);
		put32(p + 36 + 24 * i, r[i].reserved);
		put64(p + 40 + 24 * i, r[i].offset);
		put64(p + 48 + 24 * i, r[i].len);
	}
	return 32 + 24 * nr;
}

/* "Guest RAM": a memfd of n pages, page i filled with byte 'a' + i. */
static int guest_ram(int pages)
{
	int fd = memfd_create("guest-ram", MFD_CLOEXEC);
	unsigned char page[PG];

	assert_true(fd >= 0);
	for (int i = 0; i < pages; i++) {
		memset(page, 'a' + i, PG);
		assert_int_equal(write(fd, page, PG), PG);
	}
	return fd;
}

/* A listener, the backend's connection to it, and the accepted channel. */
struct rig {
	struct vshmem_channel *listener, *ch;
	int be;		/* the backend's end */
	int ram;
};

static void rig_up(struct rig *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_int_equal(vshmem_channel_listen_uds(uds, 7000, NULL, &r->listener), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_7000.shmem", uds);
	r->be = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(r->be, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(vshmem_channel_accept(r->listener, &r->ch), 0);
	r->ram = guest_ram(4);
}

static void rig_down(struct rig *r)
{
	vshmem_channel_close(r->ch);
	vshmem_channel_close(r->listener);
	if (r->be >= 0)
		close(r->be);
	close(r->ram);
}

/* The next frame the library sent the backend: its op and id; -1 if none
 * is queued. */
static int backend_read(struct rig *r, uint64_t *id, unsigned char *pl,
			size_t *len)
{
	unsigned char b[70000];
	ssize_t n = recv(r->be, b, sizeof(b), MSG_DONTWAIT);
	uint32_t op;

	if (n < 16)
		return -1;
	memcpy(&op, b, 4);
	if (id)
		memcpy(id, b + 8, 8);
	if (pl)
		memcpy(pl, b + 16, (size_t)n - 16);
	if (len)
		*len = (size_t)n - 16;
	return (int)op;
}

/* The standard offer: pages 2, then 0-1 of guest RAM (3 pages), with a
 * 5-byte record. */
static void send_offer(struct rig *r, uint64_t id, uint32_t kind,
		       uint32_t flags, int fd)
{
	static const struct range rg[] = { { 0, 0, 2 * PG, PG },
					   { 0, 0, 0, 2 * PG } };
	unsigned char pl[256] = { 0 };
	size_t n = offer_payload(pl, 0x7a6, 3 * PG, kind, flags, 5, 2, rg, 2);

	send_frame(r->be, F_OFFER, 0, id, pl, n, &fd, 1);
	send_frame(r->be, F_DATA, 1, 0, "hello", 5, NULL, 0);
}

static struct vshmem_incoming *recv_offer(struct rig *r)
{
	struct vshmem_incoming *in = NULL;
	char buf[16] = { 0 };

	assert_int_equal(vshmem_channel_recv(r->ch, buf, sizeof(buf), 1000,
					     NULL, &in), 5);
	assert_string_equal(buf, "hello");
	assert_non_null(in);
	return in;
}

/* An offer of the rig's guest RAM, sent and received: the live incoming. */
static struct vshmem_incoming *offer_and_recv(struct rig *r, uint64_t id,
					      uint32_t kind, uint32_t flags)
{
	send_offer(r, id, kind, flags, r->ram);
	return recv_offer(r);
}

/* ---- a fault probe ---- */

/* 0 if the access works, else the signal it raises: tried in a child, so
 * that the fault is expected by everyone (valgrind included). */
static int probe(volatile unsigned char *p, bool write)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		/* not CMocka's handlers: the child is to die of it */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		if (write)
			*p = *p;
		else
			(void)*p;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return WTERMSIG(st);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st) ? -1 : 0;
}

/* ---- cases ---- */

static void test_offer_view(void **state)
{
	struct vshmem_incoming *in;
	struct rig r;
	unsigned char *v, pg;
	uint64_t id = 0;

	(void)state;
	rig_up(&r);
	in = offer_and_recv(&r, 41, 1, 0);
	assert_int_equal(vshmem_incoming_get_id(in), 41);
	assert_int_equal(vshmem_incoming_get_kind(in), VSHMEM_KIND_SHARE);
	assert_int_equal(vshmem_incoming_get_type(in), VSHMEM_TYPE_ADDR);
	assert_int_equal(vshmem_incoming_get_size(in), 3 * PG);
	assert_int_equal(vshmem_incoming_get_tag(in), 0x7a6);
	assert_int_equal(vshmem_incoming_get_flags(in), 0);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_LIVE);
	assert_null(vshmem_incoming_get_buf(in));
	v = vshmem_incoming_get_view(in);
	assert_non_null(v);
	/* one contiguous view: page 2, then pages 0 and 1 */
	assert_int_equal(v[0], 'c');
	assert_int_equal(v[PG - 1], 'c');
	assert_int_equal(v[PG], 'a');
	assert_int_equal(v[3 * PG - 1], 'b');
	/* writes reach the guest's pages */
	v[PG] = 'X';
	assert_int_equal(pread(r.ram, &pg, 1, 0), 1);
	assert_int_equal(pg, 'X');

	assert_int_equal(vshmem_incoming_release(in), 0);
	assert_int_equal(backend_read(&r, &id, NULL, NULL), F_RELEASE);
	assert_int_equal(id, 41);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_RELEASED);
	assert_int_equal(probe(v, false), SIGSEGV);
	errno = 0;
	assert_null(vshmem_incoming_get_view(in));
	assert_int_equal(errno, ESTALE);
	assert_int_equal(vshmem_incoming_release(in), -EINVAL);
	vshmem_incoming_close(in);
	rig_down(&r);
}

static void test_lend_readonly(void **state)
{
	struct vshmem_incoming *in;
	struct rig r;
	unsigned char *v;

	(void)state;
	rig_up(&r);
	/* The backend passes a writable fd: the library must not use it so. */
	in = offer_and_recv(&r, 7, 2, VSHMEM_OFFER_F_READONLY);
	assert_int_equal(vshmem_incoming_get_kind(in), VSHMEM_KIND_LEND);
	assert_int_equal(vshmem_incoming_get_flags(in), VSHMEM_OFFER_F_READONLY);
	v = vshmem_incoming_get_view(in);
	assert_int_equal(probe(v, false), 0);
	assert_int_equal(probe(v, true), SIGSEGV);
	assert_int_equal(mprotect(v, PG, PROT_READ | PROT_WRITE), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);
	rig_down(&r);
}

static void test_reclaim(void **state)
{
	struct vshmem_incoming *in = NULL;
	struct rig r;
	unsigned char *v;

	(void)state;
	rig_up(&r);
	in = offer_and_recv(&r, 9, 2, 0);
	v = vshmem_incoming_get_view(in);
	assert_int_equal(probe(v, true), 0);
	send_frame(r.be, F_RECLAIM, 0, 9, NULL, 0, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r.ch, NULL, 0, 1000, NULL, NULL), 0);
	assert_int_equal(vshmem_incoming_get_state(in), VSHMEM_STATE_RECLAIMED);
	assert_int_equal(probe(v, false), SIGSEGV);
	assert_null(vshmem_incoming_get_view(in));
	assert_int_equal(errno, ESTALE);
	assert_int_equal(vshmem_incoming_release(in), -EINVAL);
	/* no RELEASE for a reclaimed offer */
	assert_int_equal(backend_read(&r, NULL, NULL, NULL), -1);
	vshmem_incoming_close(in);
	rig_down(&r);
}

/* The two ways the channel goes away under a received offer. */
static void backend_hangs_up(struct rig *r)
{
	close(r->be);
	r->be = -1;
	assert_int_equal(vshmem_channel_recv(r->ch, NULL, 0, 1000, NULL, NULL),
			 -ECONNRESET);
}

static void channel_closed(struct rig *r)
{
	vshmem_channel_close(r->ch);
	r->ch = NULL;
}

/*
 * Receive an offer, take the channel away with REVOKE, and check that the
 * view is revoked (it faults) and the offer is left in STATE, where
 * releasing it gives RELEASE_RC.
 */
static void check_revoked(void (*revoke)(struct rig *r), int state,
			  int release_rc)
{
	struct vshmem_incoming *in;
	struct rig r;
	unsigned char *v;

	rig_up(&r);
	in = offer_and_recv(&r, 3, 1, 0);
	v = vshmem_incoming_get_view(in);
	revoke(&r);
	assert_int_equal(vshmem_incoming_get_state(in), state);
	assert_int_equal(probe(v, false), SIGSEGV);
	assert_int_equal(vshmem_incoming_release(in), release_rc);
	vshmem_incoming_close(in);
	rig_down(&r);
}

static void test_eof_revokes(void **state)
{
	(void)state;
	check_revoked(backend_hangs_up, VSHMEM_STATE_RECLAIMED, -EINVAL);
}

static void test_close_revokes(void **state)
{
	(void)state;
	check_revoked(channel_closed, VSHMEM_STATE_DEAD, -ENOTCONN);
}

static void test_not_wanted(void **state)
{
	char buf[8];
	uint64_t id = 0;
	struct rig r;

	(void)state;
	rig_up(&r);
	send_offer(&r, 12, 1, 0, r.ram);
	assert_int_equal(vshmem_channel_recv(r.ch, buf, sizeof(buf), 1000,
					     NULL, NULL), 5);
	assert_int_equal(backend_read(&r, &id, NULL, NULL), F_RELEASE);
	assert_int_equal(id, 12);
	rig_down(&r);
}

static void test_duplicate_id(void **state)
{
	struct vshmem_incoming *in;
	struct rig r;

	(void)state;
	rig_up(&r);
	in = offer_and_recv(&r, 5, 1, 0);
	send_offer(&r, 5, 1, 0, r.ram);
	assert_int_equal(vshmem_channel_recv(r.ch, NULL, 0, 1000, NULL, NULL),
			 -EPROTO);
	/* no RELEASE: it would end the offer we hold */
	assert_int_equal(backend_read(&r, NULL, NULL, NULL), -1);
	assert_non_null(vshmem_incoming_get_view(in));
	vshmem_incoming_close(in);
	rig_down(&r);
}

/* A malformed OFFER: refused with -EPROTO, released, fds closed; the
 * channel goes on (a DATA frame after it is read). */
static void expect_refused(struct rig *r, uint64_t id, const void *pl,
			   size_t len, const int *fds, int nfds)
{
	uint64_t got = 0;
	char b[4];

	send_frame(r->be, F_OFFER, 0, id, pl, len, fds, nfds);
	assert_int_equal(vshmem_channel_recv(r->ch, b, sizeof(b), 1000, NULL,
					     NULL), -EPROTO);
	assert_int_equal(backend_read(r, &got, NULL, NULL), F_RELEASE);
	assert_int_equal(got, id);
	send_frame(r->be, F_DATA, 1, 0, "ok", 2, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r->ch, b, sizeof(b), 1000, NULL,
					     NULL), 2);
}

static void test_malformed_offers(void **state)
{
	struct range rg[2] = { { 0, 0, 0, PG }, { 0, 0, PG, PG } };
	unsigned char pl[256] = { 0 };
	struct rig r;
	int two[2];
	size_t n;

	(void)state;
	rig_up(&r);
	two[0] = r.ram;
	two[1] = r.ram;
	/* shorter than its header */
	expect_refused(&r, 1, pl, 20, &r.ram, 1);
	/* no ranges */
	n = offer_payload(pl, 0, PG, 1, 0, 0, 0, rg, 0);
	expect_refused(&r, 2, pl, n, &r.ram, 1);
	/* nranges says 3, 2 follow */
	n = offer_payload(pl, 0, 2 * PG, 1, 0, 0, 3, rg, 2);
	expect_refused(&r, 3, pl, n, &r.ram, 1);
	/* a range outside the fd (4 pages) */
	rg[1].offset = 4 * PG;
	n = offer_payload(pl, 0, 2 * PG, 1, 0, 0, 2, rg, 2);
	expect_refused(&r, 4, pl, n, &r.ram, 1);
	rg[1].offset = PG;
	/* sizes that do not add up */
	n = offer_payload(pl, 0, 3 * PG, 1, 0, 0, 2, rg, 2);
	expect_refused(&r, 5, pl, n, &r.ram, 1);
	/* not page-aligned */
	rg[1].offset = 100;
	n = offer_payload(pl, 0, 2 * PG, 1, 0, 0, 2, rg, 2);
	expect_refused(&r, 6, pl, n, &r.ram, 1);
	rg[1].offset = PG;
	/* no fd; two fds for ranges that use one; an index past the fds */
	n = offer_payload(pl, 0, 2 * PG, 1, 0, 0, 2, rg, 2);
	expect_refused(&r, 7, pl, n, NULL, 0);
	expect_refused(&r, 8, pl, n, two, 2);
	rg[1].fd_index = 1;
	n = offer_payload(pl, 0, 2 * PG, 1, 0, 0, 2, rg, 2);
	expect_refused(&r, 9, pl, n, &r.ram, 1);
	rg[1].fd_index = 0;
	/* a kind no device receives (SEND_SECURE), and an unknown one */
	n = offer_payload(pl, 0, 2 * PG, 3, 0, 0, 2, rg, 2);
	expect_refused(&r, 10, pl, n, &r.ram, 1);
	n = offer_payload(pl, 0, 2 * PG, 9, 0, 0, 2, rg, 2);
	expect_refused(&r, 11, pl, n, &r.ram, 1);
	/* reserved not 0 */
	rg[0].reserved = 1;
	n = offer_payload(pl, 0, 2 * PG, 1, 0, 0, 2, rg, 2);
	expect_refused(&r, 12, pl, n, &r.ram, 1);
	rg[0].reserved = 0;
	/* an fd that is no file (a pipe) */
	assert_int_equal(pipe2(two, O_CLOEXEC), 0);
	n = offer_payload(pl, 0, 2 * PG, 1, 0, 0, 2, rg, 2);
	expect_refused(&r, 13, pl, n, two, 1);
	close(two[0]);
	close(two[1]);
	rig_down(&r);
}

static void test_malformed_frames(void **state)
{
	struct range rg = { 0, 0, 0, PG };
	unsigned char pl[64] = { 0 };
	uint64_t id = 0;
	struct rig r;
	char b[8];
	size_t n;

	(void)state;
	rig_up(&r);
	/* shorter than a header */
	assert_int_equal(send(r.be, "abc", 3, 0), 3);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL),
			 -EPROTO);
	/* an unknown op, and RELEASE (ours to send), with an fd: closed */
	send_frame(r.be, 9, 0, 1, NULL, 0, &r.ram, 1);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL),
			 -EPROTO);
	send_frame(r.be, F_RELEASE, 0, 1, NULL, 0, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL),
			 -EPROTO);
	/* DATA or RECLAIM with an fd, RECLAIM with a payload */
	send_frame(r.be, F_DATA, 0, 0, "x", 1, &r.ram, 1);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL),
			 -EPROTO);
	send_frame(r.be, F_RECLAIM, 0, 1, NULL, 0, &r.ram, 1);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL),
			 -EPROTO);
	send_frame(r.be, F_RECLAIM, 0, 1, "x", 1, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL),
			 -EPROTO);
	/* a RECLAIM of an offer we do not hold is ignored */
	send_frame(r.be, F_RECLAIM, 0, 77, NULL, 0, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL), 0);
	/* an offer whose record does not follow it */
	n = offer_payload(pl, 0, PG, 1, 0, 5, 1, &rg, 1);
	send_frame(r.be, F_OFFER, 0, 4, pl, n, &r.ram, 1);
	send_frame(r.be, F_RECLAIM, 0, 4, NULL, 0, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r.ch, b, sizeof(b), 1000, NULL, NULL),
			 -EPROTO);
	assert_int_equal(backend_read(&r, &id, NULL, NULL), F_RELEASE);
	assert_int_equal(id, 4);
	rig_down(&r);
}

static void test_data(void **state)
{
	unsigned char pl[100] = { 0 };
	struct rig r;
	char b[8];
	size_t len;

	(void)state;
	rig_up(&r);
	/* a stream's frame: what does not fit comes next */
	send_frame(r.be, F_DATA, 0, 0, "0123456789", 10, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r.ch, b, 4, 1000, NULL, NULL), 4);
	assert_memory_equal(b, "0123", 4);
	assert_int_equal(vshmem_channel_recv(r.ch, b, 4, 0, NULL, NULL), 4);
	assert_memory_equal(b, "4567", 4);
	assert_int_equal(vshmem_channel_recv(r.ch, b, 4, 0, NULL, NULL), 2);
	assert_memory_equal(b, "89", 2);
	/* a message's frame (EOM): cut off, as recvmsg() does */
	send_frame(r.be, F_DATA, 1, 0, "0123456789", 10, NULL, 0);
	send_frame(r.be, F_DATA, 1, 0, "ab", 2, NULL, 0);
	assert_int_equal(vshmem_channel_recv(r.ch, b, 4, 1000, NULL, NULL), 4);
	assert_int_equal(vshmem_channel_recv(r.ch, b, 4, 1000, NULL, NULL), 2);
	assert_memory_equal(b, "ab", 2);
	assert_int_equal(vshmem_channel_recv(r.ch, b, 4, 0, NULL, NULL), -EAGAIN);
	/* sending: one DATA frame */
	assert_int_equal(vshmem_channel_send(r.ch, "hi", 2), 2);
	assert_int_equal(backend_read(&r, NULL, pl, &len), F_DATA);
	assert_int_equal(len, 2);
	assert_memory_equal(pl, "hi", 2);
	assert_int_equal(vshmem_channel_send(r.ch, pl, 65537), -EMSGSIZE);
	assert_int_equal(vshmem_channel_send(r.listener, "x", 1), -ENOTCONN);
	assert_int_equal(vshmem_channel_send(NULL, "x", 1), -EINVAL);
#ifdef HAVE_LIBURING
	{
		struct io_uring_sqe sqe = { 0 };

		/* frames are read by vshmem_channel_recv() only */
		assert_int_equal(vshmem_uring_prep_recv(&sqe, r.ch, b, sizeof(b)),
				 -EOPNOTSUPP);
	}
#endif
	rig_down(&r);
}

static void test_listen(void **state)
{
	struct vshmem_channel *l = NULL, *l2 = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char longpath[200];
	uint64_t caps = 1;
	int s, status;
	pid_t pid;

	(void)state;
	assert_int_equal(vshmem_channel_listen_uds(NULL, 1, NULL, &l), -EINVAL);
	assert_int_equal(vshmem_channel_listen_uds("", 1, NULL, &l), -EINVAL);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(vshmem_channel_listen_uds(longpath, 1, NULL, &l),
			 -ENAMETOOLONG);
	/* a file left by a program that died is taken over */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_8.shmem", uds);
	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	assert_int_equal(vshmem_channel_listen_uds(uds, 8, NULL, &l), 0);
	/* a live listener's is not */
	assert_int_equal(vshmem_channel_listen_uds(uds, 8, NULL, &l2),
			 -EADDRINUSE);
	assert_int_equal(vshmem_channel_get_caps(l, &caps), -ENOTCONN);
	/* a forked child closing its copy leaves the parent's file */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vshmem_channel_close(l);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(access(sa.sun_path, F_OK), 0);
	vshmem_channel_close(l);
	/* ... and is removed with it */
	assert_int_equal(access(sa.sun_path, F_OK), -1);
	assert_null(vshmem_incoming_get_view(NULL));
	assert_int_equal(errno, EINVAL);
}

/* The fake device's verdict goes through a pipe, not its exit status
 * (under valgrind a forked child's status is valgrind's). */
static int verdict[2];

static void done(char code) __attribute__((noreturn));
static void done(char code)
{
	if (write(verdict[1], &code, 1) != 1)
		abort();
	_exit(0);
}

/* A fake device for CONNECT: accepts one connection on path, checks the
 * request, answers with answer (NULL: closes), then echoes one message. */
static pid_t fake_device(const char *path, int type, const char *answer)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, type, 0), s;
	char b[64];
	ssize_t n;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(pipe2(verdict, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid) {
		close(l);
		close(verdict[1]);
		return pid;
	}
	do
		s = accept(l, NULL, NULL);
	while (s < 0 && errno == EINTR);
	if (s < 0)
		done('5');
	do
		n = recv(s, b, sizeof(b) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		done('1');
	b[n] = '\0';
	if (strcmp(b, "CONNECT 5000\n"))
		done('2');
	if (!answer)
		done('0');
	if (send(s, answer, strlen(answer), MSG_NOSIGNAL) != (ssize_t)strlen(answer))
		done('3');
	if (strncmp(answer, "OK", 2))
		done('0');
	n = recv(s, b, sizeof(b), 0);
	if (n <= 0 || send(s, b, (size_t)n, MSG_NOSIGNAL) != n)
		done('4');
	done('0');
}

static void reap(pid_t pid)
{
	char code = 'x';
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(read(verdict[0], &code, 1), 1);
	close(verdict[0]);
	assert_int_equal(code, '0');
}

static void test_connect(void **state)
{
	VSHMEM_OPTS(vshmem_channel_opts, stream, .sock_type = SOCK_STREAM);
	char path[128], b[16] = { 0 };
	struct vshmem_channel *ch = NULL;
	uint64_t caps = 1;
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "%s.seqpacket", uds);
	pid = fake_device(path, SOCK_SEQPACKET, "OK 1025\n");
	assert_int_equal(vshmem_channel_connect_uds(uds, 5000, NULL, &ch), 0);
	assert_int_equal(vshmem_channel_get_caps(ch, &caps), 0);
	assert_int_equal(caps, 0);
	assert_int_equal(vshmem_channel_supports(ch, VSHMEM_KIND_SHARE), 0);
	assert_int_equal(vshmem_channel_send(ch, "ping", 4), 4);
	assert_int_equal(vshmem_channel_recv(ch, b, sizeof(b), 2000, NULL, NULL), 4);
	assert_string_equal(b, "ping");
	vshmem_channel_close(ch);
	reap(pid);
	unlink(path);

	/* a stream: the guest's first bytes right behind the answer */
	pid = fake_device(uds, SOCK_STREAM, "OK 1\nabc");
	assert_int_equal(vshmem_channel_connect_uds(uds, 5000, &stream, &ch), 0);
	memset(b, 0, sizeof(b));
	assert_int_equal(vshmem_channel_recv(ch, b, 3, 2000, NULL, NULL), 3);
	assert_string_equal(b, "abc");
	assert_int_equal(vshmem_channel_send(ch, "x", 1), 1);
	assert_int_equal(vshmem_channel_recv(ch, b, 3, 2000, NULL, NULL), 1);
	assert_int_equal(b[0], 'x');
	vshmem_channel_close(ch);
	reap(pid);
	unlink(uds);

	/* the guest refused: the device closes without an answer */
	pid = fake_device(uds, SOCK_STREAM, NULL);
	assert_int_equal(vshmem_channel_connect_uds(uds, 5000, &stream, &ch),
			 -ECONNREFUSED);
	reap(pid);
	unlink(uds);
	pid = fake_device(uds, SOCK_STREAM, "NO\n");
	assert_int_equal(vshmem_channel_connect_uds(uds, 5000, &stream, &ch),
			 -EPROTO);
	reap(pid);	/* its echo read ends with our close */
	/* no device */
	assert_int_equal(vshmem_channel_connect_uds(dir, 5000, NULL, &ch),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_offer_view),
		T(test_lend_readonly),
		T(test_reclaim),
		T(test_eof_revokes),
		T(test_close_revokes),
		T(test_not_wanted),
		T(test_duplicate_id),
		T(test_malformed_offers),
		T(test_malformed_frames),
		T(test_data),
		T(test_listen),
		T(test_connect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
