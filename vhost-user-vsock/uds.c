// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host side, in the hybrid-vsock convention of Firecracker and
 * rust-vmm's vhost-device-vsock:
 *  - a host program reaches guest port P by connecting to <uds-path>
 *    (SOCK_STREAM) or <uds-path>.seqpacket (SOCK_SEQPACKET) and sending
 *    "CONNECT P\n" (on SEQPACKET: one message); once the guest accepted,
 *    it reads "OK <host port>\n" and the socket carries the connection;
 *    if the guest refuses, the socket is closed without "OK";
 *  - a guest connection to host port P goes to the Unix socket
 *    <uds-path>_P of the guest's socket type, where a host program listens,
 *    or to <uds-path>_P.shmem if a program that takes offers listens
 *    there (framed SOCK_SEQPACKET, docs/design.md 8.11).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vuv.h"

#define LINE_MAX_ 32

/* A host program's connection before its CONNECT line. */
struct hello {
	struct hello *next, **pprev;
	struct vuv_fd f;
	int type;
	unsigned int len;
	char line[LINE_MAX_];
};

static struct {
	const char *path;
	char seq_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vuv_fd lst[2];	/* stream, seqpacket */
	struct hello *hellos;
} u = { .lst = { { .fd = -1 }, { .fd = -1 } } };

/* PATH, or PATH_PORT if port is not -1. */
static int make_addr(struct sockaddr_un *sa, const char *path, int64_t port)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (port < 0)
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	else
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s_%u", path,
			     (uint32_t)port);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

static int listen_on(struct vuv_fd *f, const char *path, int type)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, ret;

	ret = make_addr(&sa, path, -1);
	if (ret) {
		vuv_err("%s: path too long for a Unix socket", path);
		return ret;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vuv_err("%s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 128)) {
		ret = -errno;
		vuv_err("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	*f = (struct vuv_fd){ .kind = FD_LISTEN, .fd = fd, .owner = f };
	ret = vuv_loop_add(f, EPOLLIN);
	if (ret) {
		close(fd);
		f->fd = -1;
		unlink(path);
	}
	return ret;
}

int vuv_uds_start(const char *path)
{
	int ret;

	u.path = path;
	if (snprintf(u.seq_path, sizeof(u.seq_path), "%s.seqpacket", path) >=
	    (int)sizeof(u.seq_path)) {
		vuv_err("%s: path too long for a Unix socket", path);
		return -ENAMETOOLONG;
	}
	ret = listen_on(&u.lst[0], path, SOCK_STREAM);
	if (ret)
		return ret;
	ret = listen_on(&u.lst[1], u.seq_path, SOCK_SEQPACKET);
	if (ret) {
		vuv_uds_stop();
		return ret;
	}
	return 0;
}

static void hello_end(struct hello *h, bool keep_fd)
{
	*h->pprev = h->next;
	if (h->next)
		h->next->pprev = h->pprev;
	vuv_loop_del(&h->f);
	if (!keep_fd)
		close(h->f.fd);
	free(h);
}

void vuv_uds_stop(void)
{
	unsigned int i;

	while (u.hellos)
		hello_end(u.hellos, false);
	for (i = 0; i < 2; i++) {
		if (u.lst[i].fd < 0)
			continue;
		vuv_loop_del(&u.lst[i]);
		close(u.lst[i].fd);
		u.lst[i].fd = -1;
		unlink(i ? u.seq_path : u.path);
	}
}

/* "CONNECT <port>\n": the port, or -1. */
static long long parse_connect(const char *s, size_t len)
{
	unsigned long long port = 0;
	size_t i = 8;

	if (len < 10 || memcmp(s, "CONNECT ", 8) || s[len - 1] != '\n')
		return -1;
	for (; i < len - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		port = port * 10 + (s[i] - '0');
		if (port > UINT32_MAX)
			return -1;
	}
	return port;
}

static void hello_event(struct hello *h)
{
	long long port;
	ssize_t n;
	int ret, fd, type;

	for (;;) {
		if (h->type == SOCK_SEQPACKET)
			n = recv(h->f.fd, h->line, sizeof(h->line), MSG_DONTWAIT | MSG_TRUNC);
		else	/* byte by byte: what follows the line is the stream's */
			n = recv(h->f.fd, h->line + h->len, 1, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			hello_end(h, false);
			return;
		}
		if (h->type == SOCK_SEQPACKET) {
			h->len = (size_t)n > sizeof(h->line) ? sizeof(h->line) + 1 :
							       (unsigned int)n;
			break;
		}
		h->len++;
		if (h->line[h->len - 1] == '\n')
			break;
		if (h->len == sizeof(h->line))
			break;
	}
	port = h->len <= sizeof(h->line) ? parse_connect(h->line, h->len) : -1;
	if (port < 0) {
		vuv_err("host program: expected \"CONNECT <port>\\n\", got %u bytes: dropped",
			h->len);
		hello_end(h, false);
		return;
	}
	fd = h->f.fd;
	type = h->type;
	hello_end(h, true);	/* the connection takes the fd over */
	ret = vuv_conn_host_connect(fd, type, port);
	if (ret) {
		vuv_info("host program: CONNECT %lld: %s", port, strerror(-ret));
		close(fd);
	}
}

void vuv_uds_event(struct vuv_fd *f, uint32_t events)
{
	struct hello *h;
	int fd;

	(void)events;
	if (f->kind == FD_HELLO) {
		hello_event(f->owner);
		return;
	}
	for (;;) {
		fd = accept4(f->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				vuv_err("accept: %s", strerror(errno));
			if (errno == EINTR)
				continue;
			return;
		}
		h = calloc(1, sizeof(*h));
		if (!h) {
			close(fd);
			continue;
		}
		h->type = f == &u.lst[1] ? SOCK_SEQPACKET : SOCK_STREAM;
		h->f = (struct vuv_fd){ .kind = FD_HELLO, .fd = fd, .owner = h };
		if (vuv_loop_add(&h->f, EPOLLIN)) {
			close(fd);
			free(h);
			continue;
		}
		h->next = u.hellos;
		h->pprev = &u.hellos;
		if (u.hellos)
			u.hellos->pprev = &h->next;
		u.hellos = h;
	}
}

int vuv_uds_connect_port(uint32_t port, int vtype, bool *framed)
{
	struct sockaddr_un sa;
	int fd, ret, type = vtype == VSOCK_TYPE_SEQPACKET ? SOCK_SEQPACKET :
							    SOCK_STREAM;

	/* a program that takes offers listens on <uds-path>_P.shmem
	 * (SOCK_SEQPACKET, framed: docs/design.md 8.11) */
	ret = make_addr(&sa, u.path, port);
	if (ret)
		return ret;
	if (strlen(sa.sun_path) + 6 < sizeof(sa.sun_path)) {
		strcat(sa.sun_path, ".shmem");
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			*framed = true;
			return fd;
		}
		close(fd);
		sa.sun_path[strlen(sa.sun_path) - 6] = '\0';
	}
	*framed = false;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
