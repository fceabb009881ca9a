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
 *   hostile   LEND, while the backend injects bad descriptors (its
 *             --inject-hostile): the guest counts exactly 2 dropped, 5
 *             malformed, 1 refused, ends the offer once, and a SHARE
 *             offered next on the same connection works
 *   hostile-none  descriptors on a connection that never offered: 2
 *             dropped, 1 refused; then an offer on it works
 *   killed    LEND, the host program holding it is SIGKILLed: the
 *             backend's RELINQUISH gives the guest its own pattern back
 *   reset     LEND, then the driver is unbound from the device (the
 *             device is reset) and bound again: the connection is reset,
 *             the guest has its memory back without a RELINQUISH, and the
 *             offer is gone; the host program was told (it says so on a
 *             new connection). (QEMU 7.2 tells the guest nothing when a
 *             vhost-user backend dies: unbinding is the reset a guest can
 *             make itself.)
 *   backend-killed  LEND, then the host program SIGKILLs the backend:
 *             the guest runs on with the offer outstanding (the device
 *             may hold it); unbinding ends it, and no offer, dma-buf or
 *             lent page is left over. Leaves the device without backend:
 *             run it last.
 *   all       none is skipped; share, lend, lend-clear in turn
 *
 * The host program on PORT is tests/virtio/vv_borrower.c (SOCK_STREAM,
 * framed): it echoes plain bytes; the data bytes of an offer ("share",
 * "lend", "lend-clear", "reset", "die", "kill-backend", "hostile") say
 * what it does with it, and it answers one data byte, '1' if the offered
 * ranges held pattern(i, 1) of shmem_test.h (else '0'). Its header says
 * the rest.
 */
#include "shmem_test.h"

#include <sys/time.h>

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

/*
 * The host's answer byte and, if @notice, the next notice, in whichever
 * order they come (the backend's RELINQUISH may overtake the byte).
 */
static bool answer(int fd, char *ok, struct vsock_shmem *in, bool notice)
{
	bool have_ok = false, have_in = !notice, got;
	struct vsock_shmem tmp;
	ssize_t n;
	char c;

	while (!have_ok || !have_in) {
		n = recv_shmem(fd, &c, 1, 0, &tmp, &got, NULL);
		if (got) {
			*in = tmp;
			have_in = true;
		}
		if (n == 1) {
			*ok = c;
			have_ok = true;
		} else if (!got) {
			return false;	/* end of file or error */
		}
	}
	return true;
}

/* A BUF_SIZE buffer of @heap, mapped at *@p and filled with pattern 1. */
static int filled_buf(const char *heap, volatile uint8_t **p)
{
	int buf = heap_alloc_from(heap, BUF_SIZE);

	if (buf < 0)
		return -1;
	*p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	if (*p == MAP_FAILED) {
		close(buf);
		return -1;
	}
	fill((uint8_t *)*p, BUF_SIZE, 1);
	return buf;
}

/* Offer BUF_SIZE bytes of @heap, filled with pattern 1, as @what on @fd. */
static bool round_trip_on(int fd, const char *heap, uint32_t flags,
			  const char *what, uint64_t id)
{
	bool lend = !strcmp(heap, "lend");
	uint32_t kind = lend ? VSOCK_SHMEM_KIND_LEND : VSOCK_SHMEM_KIND_SHARE;
	struct vsock_shmem in;
	volatile uint8_t *p;
	int buf;
	char ok;

	CHECK(caps_of(fd) & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_ADDR));
	CHECK(caps_of(fd) & VSOCK_SHMEM_CAP_KIND(kind));
	buf = filled_buf(heap, &p);
	CHECK(buf >= 0);

	CHECK(offer_addr(fd, buf, id, flags, what));
	if (lend)
		CHECK(read_faults(p));
	CHECK(answer(fd, &ok, &in, true) && ok == '1');
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == id);

	CHECK(!read_faults(p));
	if (flags & VSOCK_SHMEM_F_CLEAR)
		CHECK(all_zero((const uint8_t *)p, BUF_SIZE));
	else
		CHECK(check((const uint8_t *)p, BUF_SIZE, 2));
	/* Ended: the id is free again. */
	CHECK(end_offer(fd, VSOCK_SHMEM_SUBOP_RECLAIM, id) < 0 && errno == ENOENT);
	munmap((void *)p, BUF_SIZE);
	close(buf);
	return true;
}

static bool round_trip(const char *heap, uint32_t flags, const char *what)
{
	int fd = connect_host();
	bool ok;

	CHECK(fd >= 0);
	ok = round_trip_on(fd, heap, flags, what, 10);
	close(fd);
	return ok;
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

/* Ask the host program a question on a new connection: its answer byte. */
static char ask(const char *question)
{
	char c = 0;
	int fd = connect_host();

	if (fd < 0)
		return 0;
	if (write(fd, question, strlen(question)) != (ssize_t)strlen(question) ||
	    recv(fd, &c, 1, MSG_WAITALL) != 1)
		c = 0;
	close(fd);
	return c;
}

/* The shmem counters of debugfs vsock_shmem/stats a test watches. */
struct counters {
	long long dropped, malformed, refused, outstanding;
};

static void counters_read(struct counters *c)
{
	c->dropped = stat_value("dropped");
	c->malformed = stat_value("malformed");
	c->refused = stat_value("refused");
	c->outstanding = stat_value("outstanding");
}

/*
 * Wait (up to 5 s: ending an offer may be deferred to a worker) until the
 * counters rose from @base by exactly the numbers given, and check they
 * stay there.
 */
static bool counters_rose(const struct counters *base, long long dropped,
			  long long malformed, long long refused)
{
	struct counters now;

	for (int i = 0; i < 50; i++) {
		counters_read(&now);
		if (now.dropped - base->dropped >= dropped &&
		    now.malformed - base->malformed >= malformed &&
		    now.refused - base->refused >= refused)
			break;
		usleep(100 * 1000);
	}
	usleep(200 * 1000);
	counters_read(&now);
	printf("# dropped +%lld, malformed +%lld, refused +%lld (want +%lld, +%lld, +%lld)\n",
	       now.dropped - base->dropped, now.malformed - base->malformed,
	       now.refused - base->refused, dropped, malformed, refused);
	return now.dropped - base->dropped == dropped &&
	       now.malformed - base->malformed == malformed &&
	       now.refused - base->refused == refused;
}

/*
 * A line on the console at once (stdout is collected for later), to
 * place QEMU's own messages among the guest's steps.
 */
static void mark(const char *what)
{
	int fd = open("/dev/console", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		dprintf(fd, "# shmem_virtio: %s\n", what);
		close(fd);
	}
}

/* The virtio status byte of device @dev (NEEDS_RESET is 0x40). */
static long dev_status(const char *dev)
{
	char path[512], line[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/status", dev);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return strtol(line, NULL, 16);
}

/* Buffers the dma-buf core knows of ("Total N objects" of bufinfo). */
static long dmabuf_count(void)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[256];
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Total %ld objects", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* The start of the cases that hold a LEND: the counters before, a
 * connection to the host program and a lend buffer with the pattern. */
static bool lend_case_start(struct counters *base, int *fd, int *buf,
			    volatile uint8_t **p)
{
	counters_read(base);
	*fd = connect_host();
	CHECK(*fd >= 0);
	*buf = filled_buf("lend", p);
	CHECK(*buf >= 0);
	return true;
}

static bool test_hostile(void)
{
	struct counters base;
	struct vsock_shmem in;
	volatile uint8_t *p;
	int fd, buf;
	char ok;

	CHECK(lend_case_start(&base, &fd, &buf, &p));
	CHECK(offer_addr(fd, buf, 30, 0, "hostile"));
	CHECK(answer(fd, &ok, &in, true) && ok == '1');
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == 30);
	/* One RELINQUISH reached the reader; the rest was counted. */
	CHECK(counters_rose(&base, 2, 5, 1));
	CHECK(!read_faults(p));
	CHECK(check((const uint8_t *)p, BUF_SIZE, 1));
	CHECK(end_offer(fd, VSOCK_SHMEM_SUBOP_RECLAIM, 30) < 0 && errno == ENOENT);
	/* The connection and the driver still work. */
	CHECK(round_trip_on(fd, "system", 0, "share", 31));
	munmap((void *)p, BUF_SIZE);
	close(buf);
	close(fd);
	return true;
}

static bool test_hostile_none(void)
{
	struct counters base;
	int fd;
	char ok;

	counters_read(&base);
	fd = connect_host();
	CHECK(fd >= 0);
	CHECK(write(fd, "hostile-none", 12) == 12);
	CHECK(recv(fd, &ok, 1, MSG_WAITALL) == 1 && ok == '1');
	CHECK(counters_rose(&base, 2, 0, 1));
	CHECK(round_trip_on(fd, "lend", 0, "lend", 41));
	close(fd);
	return true;
}

static bool test_killed(void)
{
	struct vsock_shmem in;
	volatile uint8_t *p;
	int fd, buf;
	char ok;

	fd = connect_host();
	CHECK(fd >= 0);
	buf = filled_buf("lend", &p);
	CHECK(buf >= 0);
	CHECK(offer_addr(fd, buf, 50, 0, "die"));
	CHECK(read_faults(p));
	/* The program dies holding the offer: the backend gives it back. */
	CHECK(answer(fd, &ok, &in, true) && ok == '1');
	CHECK(in.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && in.id == 50);
	CHECK(!read_faults(p));
	CHECK(check((const uint8_t *)p, BUF_SIZE, 1));
	/* ENOENT, or EPIPE once the backend passed the program's close on */
	CHECK(end_offer(fd, VSOCK_SHMEM_SUBOP_RECLAIM, 50) < 0);
	munmap((void *)p, BUF_SIZE);
	close(buf);
	close(fd);
	CHECK(ask("killed?") == '1');
	return true;
}

static bool test_reset(void)
{
	long long reclaimed = stat_value("reclaimed");
	struct counters base, now;
	volatile uint8_t *p;
	char data[16], dev[256], ok;
	int fd, buf;
	ssize_t n;

	CHECK(lend_case_start(&base, &fd, &buf, &p));
	CHECK(offer_addr(fd, buf, 20, 0, "reset"));
	CHECK(recv(fd, &ok, 1, MSG_WAITALL) == 1 && ok == '1');
	CHECK(read_faults(p));

	/* Removal resets the device, then ends every offer made to it. */
	CHECK(vsock_device(dev, sizeof(dev)));
	CHECK(write_file(VIRTIO_DRV "/unbind", dev));
	CHECK(!read_faults(p));
	CHECK(check((const uint8_t *)p, BUF_SIZE, 1));
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
	counters_read(&now);
	CHECK(now.outstanding == base.outstanding);
	/* The host program saw its connection end while it held the offer. */
	CHECK(ask("told?") == '1');
	return true;
}

static bool test_backend_killed(void)
{
	long long reclaimed = stat_value("reclaimed");
	struct timeval tv = { .tv_sec = 1 };
	long dmabufs = dmabuf_count();
	struct counters base, now;
	volatile uint8_t *p;
	char data[16], dev[256], ok;
	int fd, buf, fd2;
	ssize_t n;

	CHECK(lend_case_start(&base, &fd, &buf, &p));
	CHECK(vsock_device(dev, sizeof(dev)));
	printf("# device %s status %#lx before the kill\n", dev, dev_status(dev));
	CHECK(offer_addr(fd, buf, 60, 0, "kill-backend"));
	CHECK(recv(fd, &ok, 1, MSG_WAITALL) == 1 && ok == '1');
	mark("the backend is killed now");
	sleep(2);	/* the host program kills the backend 0.5 s after '1' */
	mark("2 s after the kill");
	printf("# device status %#lx 2 s after the kill\n", dev_status(dev));

	/* The guest runs on; nothing tells it; the offer stays lent. */
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	n = send(fd, "x", 1, MSG_NOSIGNAL);
	printf("# after the kill: send on the connection: %s\n",
	       n == 1 ? "accepted" : strerror(errno));
	n = recv(fd, data, sizeof(data), 0);
	printf("# after the kill: recv on it: %s\n",
	       n < 0 ? strerror(errno) : n ? "data" : "end of file");
	CHECK(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	CHECK(read_faults(p));
	counters_read(&now);
	CHECK(now.outstanding == base.outstanding + 1);

	/* The reset a guest can make: unbind and bind the driver. */
	mark("unbind");
	CHECK(write_file(VIRTIO_DRV "/unbind", dev));
	mark("unbind returned");
	printf("# unbind with the backend dead returned\n");
	CHECK(!read_faults(p));
	CHECK(check((const uint8_t *)p, BUF_SIZE, 1));
	CHECK(stat_value("reclaimed") == reclaimed + 1);
	do {
		n = recv(fd, data, sizeof(data), 0);
	} while (n > 0);
	CHECK(connection_ended(n));
	mark("bind");
	CHECK(write_file(VIRTIO_DRV "/bind", dev));
	mark("bind returned");
	printf("# bind with the backend dead returned; the device is %s, status %#lx\n",
	       vsock_device(dev, sizeof(dev)) ? "bound" : "not bound", dev_status(dev));
	fd2 = connect_host();
	printf("# a new connect(): %s\n", fd2 >= 0 ? "succeeded" : strerror(errno));
	if (fd2 >= 0)
		close(fd2);
	munmap((void *)p, BUF_SIZE);
	close(buf);
	close(fd);

	/*
	 * Nothing left over: no offer, no dma-buf (a lent page stays with
	 * its dma-buf until the dma-buf is freed).
	 */
	counters_read(&now);
	printf("# outstanding %lld (before %lld), dma-bufs %ld (before %ld)\n",
	       now.outstanding, base.outstanding, dmabuf_count(), dmabufs);
	CHECK(now.outstanding == base.outstanding);
	CHECK(dmabufs >= 0 && dmabuf_count() == dmabufs);
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
	{ "hostile", test_hostile },
	{ "hostile-none", test_hostile_none },
	{ "killed", test_killed },
	{ "reset", test_reset },
	{ "backend-killed", test_backend_killed },
};

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	bool all = !strcmp(mode, "all"), ran = false;
	size_t i;

	if (argc > 2)
		port = (unsigned int)strtoul(argv[2], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);	/* a peer's end shows as EPIPE */
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
		fprintf(stderr, "usage: %s MODE [PORT] (MODE: all or one of",
			argv[0]);
		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			fprintf(stderr, " %s", tests[i].name);
		fprintf(stderr, ")\n");
		return 2;
	}
	printf("1..%d\n", test_no);
	return failed ? 1 : 0;
}
