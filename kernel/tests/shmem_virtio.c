// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test of SCM_VSOCK_SHMEM over a real virtio-vsock device: the
 * guest lends and shares memory with a program on the host, through the
 * device's backend (VIRTIO_VSOCK_F_SHMEM, offers of VSOCK_SHMEM_TYPE_ADDR).
 * Output is TAP.
 *
 * Usage: shmem_virtio MODE [PORT]     (PORT on the host, CID 2; default 7000)
 *
 *   none      the device did not negotiate the feature: caps are 0, an
 *             offer fails with EOPNOTSUPP and plain bytes still echo, also
 *             after the driver was unbound (connection reset) and bound
 *   share     SHARE (system heap): the host reads the guest's pattern,
 *             the guest sees the host's writes after RELINQUISH
 *   lend      LEND (lend heap): the guest's mapping faults during the
 *             loan, it reads the host's writes after RELINQUISH
 *   lend-clear  the same with VSOCK_SHMEM_F_CLEAR: zeros after RELINQUISH
 *   reset     LEND, then the driver is unbound from the device (the
 *             device is reset) and bound again: the connection is reset,
 *             the guest has its memory back without a RELINQUISH, and the
 *             offer is gone. (QEMU 7.2 tells the guest nothing when a
 *             vhost-user backend dies: unbinding is the reset a guest can
 *             make itself.)
 *   hostile   LEND, while the backend injects bad descriptors: the guest
 *             counts and ignores them and ends the offer once
 *   all       none is skipped; share, lend, lend-clear in turn
 *
 * What the host program on PORT does, on each connection (SOCK_STREAM):
 * it echoes plain bytes. On an offer with data bytes "share", "lend" or
 * "lend-clear" it maps the offered ranges, answers one data byte, '1' if
 * they hold pattern(i, 1) of shmem_test.h (else '0'), writes pattern(i, 2)
 * over them, unmaps and sends RELINQUISH. On "reset" it answers '1' and
 * keeps the offer until the test's operator resets the device. On
 * "hostile" the backend sends, in order, to this connection: RELINQUISH
 * of an id never offered (dropped), an OFFER of TYPE_ADDR (refused), a
 * descriptor whose len runs past the packet and a RELINQUISH carrying a
 * data_len (both malformed), then RELINQUISH of the offer twice (the
 * second is dropped), and a '1'.
 */
#include "shmem_test.h"

#define DEFAULT_PORT	7000
#define BUF_SIZE	(4 << 20)	/* several scatter ranges */
#define VIRTIO_DRV	"/sys/bus/virtio/drivers/vmw_vsock_virtio_transport"

static unsigned int port = DEFAULT_PORT;

static int connect_host(void)
{
	return connect_cid(SOCK_STREAM, VMADDR_CID_HOST, port);
}

static uint64_t caps_of(int fd)
{
	uint64_t caps = 0;
	socklen_t len = sizeof(caps);

	if (getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len))
		return 0;
	return caps;
}

static bool all_zero(const uint8_t *p, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (p[i])
			return false;
	return true;
}

static bool offer_addr(int fd, int buf, uint64_t id, uint32_t flags,
		       const char *what)
{
	struct vsock_shmem req = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_ADDR,
		.id = id,
		.fd = buf,
		.flags = flags,
	};

	return send_shmem(fd, &req, what, strlen(what)) == (ssize_t)strlen(what);
}

/* The next control message, skipping plain bytes; false on EOF/error. */
static bool wait_notice(int fd, struct vsock_shmem *in)
{
	char data[64];
	bool got = false;
	ssize_t n;

	do {
		n = recv_shmem(fd, data, sizeof(data), 0, in, &got, NULL);
	} while (n > 0 && !got);
	return got;
}

/* The virtio device the vsock driver is bound to ("virtioN"). */
static bool vsock_device(char *name, size_t len)
{
	DIR *d = opendir(VIRTIO_DRV);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (!strncmp(e->d_name, "virtio", 6)) {
			snprintf(name, len, "%s", e->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

/* What recv() gives on a connection the device reset: EOF or an error. */
static bool connection_ended(ssize_t n)
{
	return n == 0 || (n < 0 && (errno == ECONNRESET || errno == ENOTCONN));
}

static bool write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok;
}

static bool test_none(void)
{
	int fd = connect_host(), buf;
	char echo[5] = { 0 }, dev[256];

	CHECK(fd >= 0);
	CHECK(caps_of(fd) == 0);
	buf = heap_alloc(4096);
	CHECK(buf >= 0);
	CHECK(!offer_addr(fd, buf, 1, 0, "share") && errno == EOPNOTSUPP);
	CHECK(write(fd, "ping", 4) == 4);
	CHECK(recv(fd, echo, 4, MSG_WAITALL) == 4 && !memcmp(echo, "ping", 4));

	/* The driver's removal and probe, with a connection open. */
	CHECK(vsock_device(dev, sizeof(dev)));
	CHECK(write_file(VIRTIO_DRV "/unbind", dev));
	CHECK(connection_ended(recv(fd, echo, 4, 0)));
	close(fd);
	CHECK(write_file(VIRTIO_DRV "/bind", dev));
	fd = connect_host();
	CHECK(fd >= 0);
	CHECK(caps_of(fd) == 0);
	CHECK(write(fd, "pong", 4) == 4);
	CHECK(recv(fd, echo, 4, MSG_WAITALL) == 4 && !memcmp(echo, "pong", 4));
	close(buf);
	close(fd);
	return true;
}

/* Offer BUF_SIZE bytes of @heap, filled with pattern 1, as @what. */
static bool round_trip(const char *heap, uint32_t flags, const char *what)
{
	bool lend = !strcmp(heap, "lend");
	uint32_t kind = lend ? VSOCK_SHMEM_KIND_LEND : VSOCK_SHMEM_KIND_SHARE;
	struct vsock_shmem in;
	volatile uint8_t *p;
	int fd, buf;
	char ok;

	fd = connect_host();
	CHECK(fd >= 0);
	CHECK(caps_of(fd) & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_ADDR));
	CHECK(caps_of(fd) & VSOCK_SHMEM_CAP_KIND(kind));
	buf = heap_alloc_from(heap, BUF_SIZE);
	CHECK(buf >= 0);
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED);
	fill((uint8_t *)p, BUF_SIZE, 1);

	CHECK(offer_addr(fd, buf, 10, flags, what));
	if (lend)
		CHECK(read_faults(p));
	CHECK(recv(fd, &ok, 1, MSG_WAITALL) == 1 && ok == '1');
	CHECK(wait_notice(fd, &in));
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == 10);

	CHECK(!read_faults(p));
	if (flags & VSOCK_SHMEM_F_CLEAR)
		CHECK(all_zero((const uint8_t *)p, BUF_SIZE));
	else
		CHECK(check((const uint8_t *)p, BUF_SIZE, 2));
	/* Ended: the id is free again. */
	CHECK(end_offer(fd, VSOCK_SHMEM_SUBOP_RECLAIM, 10) < 0 && errno == ENOENT);
	munmap((void *)p, BUF_SIZE);
	close(buf);
	close(fd);
	return true;
}

static bool test_share(void)
{
	return round_trip("system", 0, "share");
}

static bool test_lend(void)
{
	return round_trip("lend", 0, "lend");
}

static bool test_lend_clear(void)
{
	return round_trip("lend", VSOCK_SHMEM_F_CLEAR, "lend-clear");
}

static bool test_reset(void)
{
	long long reclaimed = stat_value("reclaimed");
	volatile uint8_t *p;
	char data[16], dev[256], ok;
	int fd, buf;
	ssize_t n;

	fd = connect_host();
	CHECK(fd >= 0);
	buf = heap_alloc_from("lend", BUF_SIZE);
	CHECK(buf >= 0);
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED);
	fill((uint8_t *)p, BUF_SIZE, 1);
	CHECK(offer_addr(fd, buf, 20, 0, "reset"));
	CHECK(recv(fd, &ok, 1, MSG_WAITALL) == 1 && ok == '1');
	CHECK(read_faults(p));

	/* Removal resets the device, then ends every offer made to it. */
	CHECK(vsock_device(dev, sizeof(dev)));
	CHECK(write_file(VIRTIO_DRV "/unbind", dev));
	CHECK(!read_faults(p));
	CHECK(check((const uint8_t *)p, BUF_SIZE, 1) ||
	      check((const uint8_t *)p, BUF_SIZE, 2));
	CHECK(stat_value("reclaimed") > reclaimed);
	do {
		n = recv(fd, data, sizeof(data), 0);
	} while (n > 0);
	CHECK(connection_ended(n));
	CHECK(end_offer(fd, VSOCK_SHMEM_SUBOP_RECLAIM, 20) < 0);
	CHECK(write_file(VIRTIO_DRV "/bind", dev));
	munmap((void *)p, BUF_SIZE);
	close(buf);
	close(fd);
	return true;
}

static bool test_hostile(void)
{
	long long dropped = stat_value("dropped");
	long long malformed = stat_value("malformed");
	long long refused = stat_value("refused");
	struct vsock_shmem in;
	volatile uint8_t *p;
	int fd, buf;
	char ok;

	fd = connect_host();
	CHECK(fd >= 0);
	buf = heap_alloc_from("lend", BUF_SIZE);
	CHECK(buf >= 0);
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED);
	fill((uint8_t *)p, BUF_SIZE, 1);
	CHECK(offer_addr(fd, buf, 30, 0, "hostile"));
	CHECK(wait_notice(fd, &in));
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == 30);
	CHECK(recv(fd, &ok, 1, MSG_WAITALL) == 1 && ok == '1');
	/* One RELINQUISH reached the reader; the rest was counted. */
	CHECK(stat_value("dropped") >= dropped + 2);
	CHECK(stat_value("malformed") >= malformed + 2);
	CHECK(stat_value("refused") >= refused + 1);
	CHECK(!read_faults(p));
	CHECK(end_offer(fd, VSOCK_SHMEM_SUBOP_RECLAIM, 30) < 0 && errno == ENOENT);
	munmap((void *)p, BUF_SIZE);
	close(buf);
	close(fd);
	return true;
}

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "none", test_none },
	{ "share", test_share },
	{ "lend", test_lend },
	{ "lend-clear", test_lend_clear },
	{ "reset", test_reset },
	{ "hostile", test_hostile },
};

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	bool all = !strcmp(mode, "all"), ran = false;
	size_t i;

	if (argc > 2)
		port = (unsigned int)strtoul(argv[2], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		bool one = !strcmp(mode, tests[i].name);

		if (!one && !(all && (tests[i].fn == test_share ||
				      tests[i].fn == test_lend ||
				      tests[i].fn == test_lend_clear)))
			continue;
		ran = true;
		report(tests[i].fn(), "%s (host port %u)", tests[i].name, port);
	}
	if (!ran) {
		fprintf(stderr, "usage: %s none|share|lend|lend-clear|reset|hostile|all [PORT]\n",
			argv[0]);
		return 2;
	}
	printf("1..%d\n", test_no);
	return failed ? 1 : 0;
}
