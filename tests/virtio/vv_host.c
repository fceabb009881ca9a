// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host programs of the virtio-vsock suite (tests/virtio/run.sh): plain
 * Unix-socket programs behind vhost-user-vsock's hybrid convention.
 *
 *   vv_host UDS_PATH BACKEND_PID
 *
 * Listens on UDS_PATH_<port> for the ports of vv_common.h (a thread per
 * connection), and on the control port runs the host-initiated cases the
 * guest asks for, one line each, answering "ok" or "fail: why":
 *   ECHO stream|seqpacket PORT SIZE   CONNECT to the guest, echo, check
 *   REFUSED PORT                      CONNECT to a port nobody listens on:
 *                                     the socket must close without "OK"
 *   SOURCE PORT SIZE                  CONNECT, send SIZE bytes, shut down
 *   KILL                              SIGKILL the backend (no answer)
 */
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "vv_common.h"

static const char *uds;
static pid_t backend;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vv_host: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int unix_socket(int type, const char *path, bool listen_)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0)
		return -1;
	if (listen_) {
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64))
			goto err;
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		goto err;
	}
	return fd;
err:
	logf_("%s: %s", path, strerror(errno));
	close(fd);
	return -1;
}

/* ---- servers for guest-initiated connections ---- */

static void serve_echo(int fd, bool seq)
{
	static __thread uint8_t buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		if (seq ? send(fd, buf, n, MSG_NOSIGNAL) != n :
			  vv_write_all(fd, buf, n) != 0)
			break;
}

static void serve_sink(int fd)
{
	static __thread uint8_t buf[65536];
	uint64_t total = 0, errors = 0;
	char line[64];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (vv_check(buf, n, total, 1) >= 0)
			errors++;
		total += n;
	}
	n = snprintf(line, sizeof(line), "%llu %llu\n",
		     (unsigned long long)total, (unsigned long long)errors);
	vv_write_all(fd, line, n);
}

static void serve_source(int fd)
{
	static __thread uint8_t buf[65536];
	uint64_t off;

	for (off = 0; off < SOURCE_SIZE; off += sizeof(buf)) {
		vv_fill(buf, sizeof(buf), off, 2);
		if (vv_write_all(fd, buf, sizeof(buf)))
			break;
	}
}

/* ---- host-initiated cases ---- */

/* Connect to guest port through the backend: the fd, or -1 (why). */
static int host_connect(bool seq, unsigned int port, char *why, size_t wl,
			bool *refused)
{
	char path[108], line[64];
	int fd, n;

	snprintf(path, sizeof(path), seq ? "%s.seqpacket" : "%s", uds);
	fd = unix_socket(seq ? SOCK_SEQPACKET : SOCK_STREAM, path, false);
	if (fd < 0) {
		snprintf(why, wl, "connect %s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (send(fd, line, n, MSG_NOSIGNAL) != n) {
		snprintf(why, wl, "sending CONNECT: %s", strerror(errno));
		goto err;
	}
	if (seq) {
		n = recv(fd, line, sizeof(line) - 1, 0);
		line[n > 0 ? n : 0] = '\0';
		n = n > 0 ? 0 : -1;
	} else {
		n = vv_read_line(fd, line, sizeof(line));
	}
	if (n || strncmp(line, "OK ", 3)) {
		if (refused)
			*refused = n != 0;
		snprintf(why, wl, "no OK for CONNECT %u (got '%.20s')", port,
			 n ? "" : line);
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

static void do_command(int ctl, char *cmd)
{
	char kind[16], why[256] = "", ans[300];
	unsigned int port;
	unsigned long size;
	bool refused = false;
	int fd, ok = 0;

	if (sscanf(cmd, "ECHO %15s %u %lu", kind, &port, &size) == 3) {
		bool seq = !strcmp(kind, "seqpacket");

		fd = host_connect(seq, port, why, sizeof(why), NULL);
		if (fd >= 0) {
			ok = seq ? !vv_echo_seq(fd, 3, why, sizeof(why)) :
				   !vv_echo_stream(fd, size, 3, why, sizeof(why));
			close(fd);
		}
	} else if (sscanf(cmd, "REFUSED %u", &port) == 1) {
		fd = host_connect(false, port, why, sizeof(why), &refused);
		if (fd >= 0) {
			snprintf(why, sizeof(why), "CONNECT %u was accepted", port);
			close(fd);
		}
		ok = fd < 0 && refused;
	} else if (sscanf(cmd, "SOURCE %u %lu", &port, &size) == 2) {
		fd = host_connect(false, port, why, sizeof(why), NULL);
		if (fd >= 0) {
			static uint8_t buf[65536];
			unsigned long off;

			ok = 1;
			for (off = 0; off < size && ok; off += sizeof(buf)) {
				vv_fill(buf, sizeof(buf), off, 4);
				if (vv_write_all(fd, buf, sizeof(buf))) {
					snprintf(why, sizeof(why), "send at %lu: %s",
						 off, strerror(errno));
					ok = 0;
				}
			}
			shutdown(fd, SHUT_WR);
			/* the guest closes when it has checked it all */
			if (ok && recv(fd, buf, 1, 0) != 0) {
				snprintf(why, sizeof(why), "no end of file from the guest");
				ok = 0;
			}
			close(fd);
		}
	} else if (!strncmp(cmd, "KILL", 4)) {
		logf_("killing the backend (pid %d)", (int)backend);
		kill(backend, SIGKILL);
		return;
	} else {
		snprintf(why, sizeof(why), "unknown command");
	}
	snprintf(ans, sizeof(ans), ok ? "ok\n" : "fail: %s\n", why);
	logf_("%s -> %s", strtok(cmd, "\n"), ans);
	vv_write_all(ctl, ans, strlen(ans));
}

static void serve_ctrl(int fd)
{
	char line[128];

	while (vv_read_line(fd, line, sizeof(line)) == 0)
		do_command(fd, line);
}

struct job {
	int fd;
	unsigned int port;
};

static void *conn_thread(void *arg)
{
	struct job *j = arg;

	switch (j->port) {
	case PORT_ECHO: serve_echo(j->fd, false); break;
	case PORT_SEQ_ECHO: serve_echo(j->fd, true); break;
	case PORT_SINK: serve_sink(j->fd); break;
	case PORT_SOURCE: serve_source(j->fd); break;
	case PORT_CTRL: serve_ctrl(j->fd); break;
	case PORT_SLAM: break;
	}
	close(j->fd);
	free(j);
	return NULL;
}

static void *listen_thread(void *arg)
{
	unsigned int port = (uintptr_t)arg;
	char path[108];
	int lfd, fd;

	snprintf(path, sizeof(path), "%s_%u", uds, port);
	lfd = unix_socket(port == PORT_SEQ_ECHO ? SOCK_SEQPACKET : SOCK_STREAM,
			  path, true);
	if (lfd < 0)
		exit(1);
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct job *j = malloc(sizeof(*j));
		pthread_t t;

		if (!j) {
			close(fd);
			continue;
		}
		j->fd = fd;
		j->port = port;
		if (pthread_create(&t, NULL, conn_thread, j)) {
			close(fd);
			free(j);
			continue;
		}
		pthread_detach(t);
	}
	logf_("accept on %s: %s", path, strerror(errno));
	return NULL;
}

int main(int argc, char **argv)
{
	static const unsigned int ports[] = { PORT_ECHO, PORT_SEQ_ECHO,
		PORT_SINK, PORT_SOURCE, PORT_CTRL, PORT_SLAM };
	pthread_t t;

	if (argc != 3) {
		fprintf(stderr, "usage: vv_host UDS_PATH BACKEND_PID\n");
		return 2;
	}
	uds = argv[1];
	backend = atoi(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (pthread_create(&t, NULL, listen_thread,
				   (void *)(uintptr_t)ports[i]))
			return 1;
	logf_("listening on %s_{%u..%u}", uds, PORT_ECHO, PORT_SLAM);
	pause();
	return 0;
}
