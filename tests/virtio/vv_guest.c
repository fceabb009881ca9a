// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest side of the virtio-vsock suite (tests/virtio/run.sh): plain
 * AF_VSOCK traffic between this guest and host programs (vv_host.c) over
 * QEMU's vhost-user-vsock-pci and vhost-user-vsock. TAP runner of
 * tests/vm/vmtest.h: no argument runs every case, --list lists them.
 * Host-initiated cases ask vv_host on the control port to connect.
 * backend_killed must be the last case: the device is gone after it.
 */
#include <pthread.h>
#include <sys/time.h>

#include "../vm/vmtest.h"
#include "vv_common.h"

#define HOST 2

static int vs_socket(int type)
{
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		vt_diag("socket(AF_VSOCK): %s", strerror(errno));
	return fd;
}

/* connect to host port: the fd, or -errno */
static int vs_connect(int type, unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = HOST,
				  .svm_port = port };
	int fd = vs_socket(type), err;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int vs_listen(int type, unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK,
				  .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	int fd = vs_socket(type);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		vt_diag("listen on %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- guest -> host ---- */

static int g2h_stream_echo(void)
{
	char why[256];
	int fd = vs_connect(SOCK_STREAM, PORT_ECHO);

	if (fd < 0)
		return vt_diag("connect: %s", strerror(-fd)), VT_FAIL;
	if (vv_echo_stream(fd, 1U << 20, 11, why, sizeof(why)))
		return vt_diag("%s", why), VT_FAIL;
	close(fd);
	return 0;
}

static int g2h_seqpacket_echo(void)
{
	char why[256];
	int fd = vs_connect(SOCK_SEQPACKET, PORT_SEQ_ECHO);

	if (fd < 0)
		return vt_diag("connect: %s", strerror(-fd)), VT_FAIL;
	if (vv_echo_seq(fd, 12, why, sizeof(why)))
		return vt_diag("%s", why), VT_FAIL;
	close(fd);
	return 0;
}

/* 8 MiB to the host, which checks every byte; then half-close and read
 * its answer on the same connection. */
static int g2h_stream_8m(void)
{
	static uint8_t buf[65536];
	unsigned long long total, errors;
	char line[64];
	uint64_t off;
	int fd = vs_connect(SOCK_STREAM, PORT_SINK);

	if (fd < 0)
		return vt_diag("connect: %s", strerror(-fd)), VT_FAIL;
	for (off = 0; off < SOURCE_SIZE; off += sizeof(buf)) {
		vv_fill(buf, sizeof(buf), off, 1);
		if (vv_write_all(fd, buf, sizeof(buf)))
			return vt_diag("send at %llu: %s", (unsigned long long)off,
				       strerror(errno)), VT_FAIL;
	}
	if (shutdown(fd, SHUT_WR))
		return vt_diag("shutdown: %s", strerror(errno)), VT_FAIL;
	if (vv_read_line(fd, line, sizeof(line)) ||
	    sscanf(line, "%llu %llu", &total, &errors) != 2)
		return vt_diag("no answer from the sink"), VT_FAIL;
	if (total != SOURCE_SIZE || errors)
		return vt_diag("the host got %llu bytes, %llu bad reads", total,
			       errors), VT_FAIL;
	close(fd);
	return 0;
}

/* 8 MiB from the host program, which then closes: every byte, then EOF. */
static int g2h_stream_8m_back(void)
{
	static uint8_t buf[65536];
	uint64_t got = 0;
	ssize_t n;
	int fd = vs_connect(SOCK_STREAM, PORT_SOURCE);

	if (fd < 0)
		return vt_diag("connect: %s", strerror(-fd)), VT_FAIL;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		long long bad = vv_check(buf, n, got, 2);

		if (bad >= 0)
			return vt_diag("byte %lld differs", bad), VT_FAIL;
		got += n;
	}
	if (n < 0 || got != SOURCE_SIZE)
		return vt_diag("got %llu bytes, then %s", (unsigned long long)got,
			       n ? strerror(errno) : "end of file"), VT_FAIL;
	close(fd);
	return 0;
}

/* 48 connections open at once, each echoing its own pattern, interleaved. */
#define NMANY 48
static int g2h_many(void)
{
	static uint8_t buf[4096];
	int fd[NMANY];
	size_t got[NMANY] = { 0 };
	const size_t size = 32768;
	unsigned int i, done = 0;

	for (i = 0; i < NMANY; i++) {
		fd[i] = vs_connect(SOCK_STREAM, PORT_ECHO);
		if (fd[i] < 0)
			return vt_diag("connection %u: %s", i, strerror(-fd[i])), VT_FAIL;
	}
	/* everything goes out first: the echo comes back through credit */
	for (i = 0; i < NMANY; i++) {
		uint8_t out[4096];
		size_t off;

		for (off = 0; off < size; off += sizeof(out)) {
			vv_fill(out, sizeof(out), off, 100 + i);
			if (vv_write_all(fd[i], out, sizeof(out)))
				return vt_diag("send %u: %s", i, strerror(errno)), VT_FAIL;
		}
	}
	while (done < NMANY) {
		struct pollfd p[NMANY];

		for (i = 0; i < NMANY; i++)
			p[i] = (struct pollfd){ .fd = got[i] < size ? fd[i] : -1,
						.events = POLLIN };
		if (poll(p, NMANY, 30000) <= 0)
			return vt_diag("no progress for 30 s (%u of %u done)", done,
				       NMANY), VT_FAIL;
		for (i = 0; i < NMANY; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = recv(fd[i], buf, sizeof(buf), 0);
			if (n <= 0)
				return vt_diag("recv %u: %s", i, n ? strerror(errno) :
					       "end of file"), VT_FAIL;
			if (vv_check(buf, n, got[i], 100 + i) >= 0)
				return vt_diag("connection %u: bytes differ", i), VT_FAIL;
			got[i] += n;
			done += got[i] == size;
		}
	}
	for (i = 0; i < NMANY; i++)
		close(fd[i]);
	return 0;
}

/* Nobody listens on the host port: the backend answers with RST. */
static int g2h_refused(void)
{
	int fd = vs_connect(SOCK_STREAM, PORT_NONE);

	if (fd >= 0)
		return vt_diag("connect succeeded"), VT_FAIL;
	if (fd != -ECONNRESET)
		return vt_diag("connect: %s, not ECONNRESET", strerror(-fd)), VT_FAIL;
	return 0;
}

/* A seqpacket connection to a stream listener is refused too. */
static int g2h_wrong_type(void)
{
	int fd = vs_connect(SOCK_SEQPACKET, PORT_ECHO);

	if (fd >= 0)
		return vt_diag("connect succeeded"), VT_FAIL;
	if (fd != -ECONNRESET)
		return vt_diag("connect: %s, not ECONNRESET", strerror(-fd)), VT_FAIL;
	return 0;
}

/* The host program closes at once: the guest reads end of file, and
 * writing then fails. */
static int g2h_host_closes(void)
{
	char c;
	ssize_t n;
	int fd = vs_connect(SOCK_STREAM, PORT_SLAM), i;

	if (fd < 0)
		return vt_diag("connect: %s", strerror(-fd)), VT_FAIL;
	n = recv(fd, &c, 1, 0);
	if (n != 0)
		return vt_diag("recv: %zd (%s), not end of file", n,
			       strerror(errno)), VT_FAIL;
	for (i = 0; i < 100; i++) {
		if (send(fd, "x", 1, MSG_NOSIGNAL) < 0)
			break;
		usleep(10000);
	}
	if (i == 100)
		return vt_diag("sending kept working after the peer closed"), VT_FAIL;
	vt_diag("send after the host program closed: %s", strerror(errno));
	close(fd);
	return 0;
}

/* Ordering: 4 connections, 800 small writes each (1 to 97 bytes, one
 * packet each), interleaved, all echoed: every stream must come back in
 * order and whole. */
#define NORD 4
static int g2h_ordering(void)
{
	static uint8_t out[128], in[65536];
	size_t sent[NORD] = { 0 }, got[NORD] = { 0 };
	int fd[NORD], i, w;

	for (i = 0; i < NORD; i++) {
		fd[i] = vs_connect(SOCK_STREAM, PORT_ECHO);
		if (fd[i] < 0)
			return vt_diag("connect %d: %s", i, strerror(-fd[i])), VT_FAIL;
	}
	for (w = 0; w < 800; w++)
		for (i = 0; i < NORD; i++) {
			size_t k = 1 + (size_t)(w * 7 + i * 13) % 97;

			vv_fill(out, k, sent[i], 20 + i);
			if (vv_write_all(fd[i], out, k))
				return vt_diag("write %d on %d: %s", w, i,
					       strerror(errno)), VT_FAIL;
			sent[i] += k;
		}
	for (i = 0; i < NORD; i++) {
		while (got[i] < sent[i]) {
			size_t want = sent[i] - got[i];
			ssize_t n = recv(fd[i], in, want < sizeof(in) ? want : sizeof(in), 0);
			long long bad;

			if (n <= 0)
				return vt_diag("connection %d: %zu of %zu bytes, then %s", i,
					       got[i], sent[i], n ? strerror(errno) :
					       "end of file"), VT_FAIL;
			bad = vv_check(in, n, got[i], 20 + i);
			if (bad >= 0)
				return vt_diag("connection %d: byte %lld out of order", i,
					       bad), VT_FAIL;
			got[i] += n;
		}
		close(fd[i]);
	}
	return 0;
}

/* Seqpacket boundaries with messages queued: four sent back to back; the
 * first two read into 10 bytes (MSG_TRUNC: the rest of each is dropped,
 * recv() returns the whole length), the last two whole. */
static int g2h_seqpacket_boundary(void)
{
	static const uint32_t sizes[] = { 100, 5000, 20000, 65536 };
	static uint8_t out[65536], in[65536 + 1];
	int fd = vs_connect(SOCK_SEQPACKET, PORT_SEQ_ECHO);
	unsigned int i;

	if (fd < 0)
		return vt_diag("connect: %s", strerror(-fd)), VT_FAIL;
	for (i = 0; i < 4; i++) {
		vv_fill(out, sizes[i], i, 30);
		if (send(fd, out, sizes[i], MSG_NOSIGNAL) != (ssize_t)sizes[i])
			return vt_diag("send of %u: %s", sizes[i], strerror(errno)), VT_FAIL;
	}
	for (i = 0; i < 4; i++) {
		struct iovec iov = { in, i < 2 ? 10 : sizeof(in) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &m, i < 2 ? MSG_TRUNC : 0);
		size_t have = i < 2 ? 10 : sizes[i];

		if (n != (ssize_t)sizes[i])
			return vt_diag("message %u of %u bytes: recv gave %zd (%s)", i,
				       sizes[i], n, n < 0 ? strerror(errno) :
				       "boundary lost"), VT_FAIL;
		if (i < 2 && !(m.msg_flags & MSG_TRUNC))
			return vt_diag("message %u read in part without MSG_TRUNC", i),
			       VT_FAIL;
		if (i >= 2 && (m.msg_flags & MSG_TRUNC))
			return vt_diag("message %u read whole with MSG_TRUNC", i), VT_FAIL;
		if (vv_check(in, have, i, 30) >= 0)
			return vt_diag("message %u differs", i), VT_FAIL;
	}
	close(fd);
	return 0;
}

/* The guest shuts down its side: the echo program reads end of file and
 * closes, the guest reads what was echoed, then end of file; sending
 * after shutdown(SHUT_WR) fails with EPIPE. */
static int g2h_shutdown(void)
{
	char buf[8];
	ssize_t n;
	int fd = vs_connect(SOCK_STREAM, PORT_ECHO);

	if (fd < 0)
		return vt_diag("connect: %s", strerror(-fd)), VT_FAIL;
	if (vv_write_all(fd, "abc", 3) || shutdown(fd, SHUT_WR))
		return vt_diag("write/shutdown: %s", strerror(errno)), VT_FAIL;
	if (send(fd, "d", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		return vt_diag("send after SHUT_WR: not EPIPE (%s)", strerror(errno)),
		       VT_FAIL;
	if (vv_read_all(fd, buf, 3) || memcmp(buf, "abc", 3))
		return vt_diag("the echo before end of file is wrong"), VT_FAIL;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n != 0)
		return vt_diag("after the echo: %zd (%s), not end of file", n,
			       strerror(errno)), VT_FAIL;
	close(fd);
	return 0;
}

/* ---- host -> guest, through vv_host's control port ---- */

struct srv {
	int lfd, type;
	bool source;	/* check SOURCE_SIZE bytes of pattern 4, then close */
	int result;
};

static void *guest_server(void *arg)
{
	static uint8_t buf[65536];
	struct srv *s = arg;
	struct pollfd p = { .fd = s->lfd, .events = POLLIN };
	uint64_t got = 0;
	ssize_t n;
	int fd;

	s->result = -1;
	/* the host's connection comes soon, or not at all */
	if (poll(&p, 1, 30000) != 1)
		return NULL;
	fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (s->source) {
			if (vv_check(buf, n, got, 4) >= 0) {
				vt_diag("guest: bytes from the host differ at %llu",
					(unsigned long long)got);
				break;
			}
			got += n;
			continue;
		}
		if (s->type == SOCK_SEQPACKET ? send(fd, buf, n, 0) != n :
		    vv_write_all(fd, buf, n) != 0)
			break;
	}
	if (n == 0 && (!s->source || got == SOURCE_SIZE))
		s->result = 0;
	else if (s->source)
		vt_diag("guest: got %llu of %u bytes", (unsigned long long)got,
			SOURCE_SIZE);
	close(fd);
	return NULL;
}

/* Ask vv_host to run cmd against a guest server on port. */
static int host_case(const char *cmd, int type, unsigned int port, bool source)
{
	struct srv s = { .type = type, .source = source };
	char line[300];
	pthread_t t;
	int ctl, ret = 0;

	if (port) {
		s.lfd = vs_listen(type, port);
		if (s.lfd < 0)
			return VT_FAIL;
		if (pthread_create(&t, NULL, guest_server, &s))
			return VT_FAIL;
	}
	ctl = vs_connect(SOCK_STREAM, PORT_CTRL);
	if (ctl < 0)
		return vt_diag("control connection: %s", strerror(-ctl)), VT_FAIL;
	snprintf(line, sizeof(line), "%s\n", cmd);
	if (vv_write_all(ctl, line, strlen(line)) ||
	    vv_read_line(ctl, line, sizeof(line)))
		return vt_diag("no answer from vv_host"), VT_FAIL;
	if (strcmp(line, "ok\n")) {
		vt_diag("host: %s", strtok(line, "\n"));
		ret = VT_FAIL;
	}
	close(ctl);
	if (port) {
		pthread_join(t, NULL);
		close(s.lfd);
		if (!ret && s.result) {
			vt_diag("the guest side failed");
			ret = VT_FAIL;
		}
	}
	return ret;
}

static int h2g_stream_echo(void)
{
	return host_case("ECHO stream 6001 1048576", SOCK_STREAM, 6001, false);
}

static int h2g_seqpacket_echo(void)
{
	return host_case("ECHO seqpacket 6002 0", SOCK_SEQPACKET, 6002, false);
}

static int h2g_stream_8m(void)
{
	return host_case("SOURCE 6003 8388608", SOCK_STREAM, 6003, true);
}

static int h2g_refused(void)
{
	return host_case("REFUSED 6999", SOCK_STREAM, 0, false);
}

/* Last: the backend is SIGKILLed. The guest keeps running; its open
 * connection gets no error and no data, a new connect() times out. */
static int backend_killed(void)
{
	struct timeval tv = { .tv_sec = 3 };
	char c;
	ssize_t n;
	int fd, ctl, r;

	fd = vs_connect(SOCK_STREAM, PORT_ECHO);
	ctl = vs_connect(SOCK_STREAM, PORT_CTRL);
	if (fd < 0 || ctl < 0)
		return vt_diag("connect: %s", strerror(-(fd < 0 ? fd : ctl))), VT_FAIL;
	if (send(fd, "a", 1, 0) != 1 || recv(fd, &c, 1, 0) != 1)
		return vt_diag("echo before the kill failed"), VT_FAIL;
	if (vv_write_all(ctl, "KILL\n", 5))
		return VT_FAIL;
	sleep(2);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = send(fd, "b", 1, MSG_NOSIGNAL);
	vt_diag("after the kill: send on the open connection: %s",
		n == 1 ? "accepted" : strerror(errno));
	n = recv(fd, &c, 1, 0);
	vt_diag("after the kill: recv on it: %s", n < 0 ? strerror(errno) :
		n ? "data" : "end of file");
	if (n > 0)
		return vt_diag("data came back through a dead backend"), VT_FAIL;
	r = vs_connect(SOCK_STREAM, PORT_ECHO);
	vt_diag("after the kill: a new connect(): %s",
		r >= 0 ? "succeeded" : strerror(-r));
	if (r >= 0)
		return VT_FAIL;
	close(fd);
	close(ctl);
	/* still here: the guest runs on */
	return 0;
}

static const struct vt_case cases[] = {
	{ "g2h_stream_echo", g2h_stream_echo },
	{ "g2h_seqpacket_echo", g2h_seqpacket_echo },
	{ "g2h_stream_8m", g2h_stream_8m },
	{ "g2h_stream_8m_back", g2h_stream_8m_back },
	{ "g2h_many", g2h_many },
	{ "g2h_refused", g2h_refused },
	{ "g2h_wrong_type", g2h_wrong_type },
	{ "g2h_host_closes", g2h_host_closes },
	{ "g2h_ordering", g2h_ordering },
	{ "g2h_seqpacket_boundary", g2h_seqpacket_boundary },
	{ "g2h_shutdown", g2h_shutdown },
	{ "h2g_stream_echo", h2g_stream_echo },
	{ "h2g_seqpacket_echo", h2g_seqpacket_echo },
	{ "h2g_stream_8m", h2g_stream_8m },
	{ "h2g_refused", h2g_refused },
	{ "backend_killed", backend_killed },
};

VT_MAIN(cases)
