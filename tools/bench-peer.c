// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: the peer: relinquishes offers, acknowledges copies. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* the peer                                                            */


int read_full(int fd, void *p, size_t len)
{
	char *c = p;

	while (len) {
		ssize_t n = read(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_full(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

void set_vsock_buffer(int fd, uint64_t size)
{
	/* max first, or the size is clamped to the old max */
	setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &size,
		   sizeof(size));
	setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size, sizeof(size));
}

#define COPY_SOCKBUF (2 * MiB)

/* Peer of the copy measurement: [u64 size][size bytes] -> 1 byte ack. */
static int serve_copy(int fd)
{
	char *buf = NULL;
	uint64_t have = 0, size;
	char ack = 'k';
	int ret;

	set_vsock_buffer(fd, COPY_SOCKBUF);
	for (;;) {
		ret = read_full(fd, &size, sizeof(size));
		if (ret < 0 || !size)
			break;
		if (size > have) {
			free(buf);
			buf = malloc(size);
			if (!buf)
				return -ENOMEM;
			memset(buf, 0, size);	/* fault it in once */
			have = size;
		}
		ret = read_full(fd, buf, size);
		if (ret < 0)
			break;
		ret = write_full(fd, &ack, 1);
		if (ret < 0)
			break;
	}
	free(buf);
	return ret == -ECONNRESET ? 0 : ret;
}

/* Peer of the offer measurements: relinquish each offer at once, except
 * the first cmd.hold ones, which stay until the lender closes. */
static int serve_offers(struct vshmem_channel *ch)
{
	struct vshmem_incoming **held = NULL, *in;
	struct bench_cmd cmd;
	uint64_t nheld = 0;
	char junk[64];
	int n, ret = 0;

	n = vshmem_channel_recv(ch, &cmd, sizeof(cmd), -1, NULL, &in);
	if (n != (int)sizeof(cmd) || cmd.magic != CMD_MAGIC || in)
		return n < 0 ? n : -EPROTO;
	if (cmd.hold) {
		held = calloc(cmd.hold, sizeof(*held));
		if (!held)
			return -ENOMEM;
	}
	for (;;) {
		n = vshmem_channel_recv(ch, junk, sizeof(junk), -1, NULL, &in);
		if (n < 0) {
			ret = n == -ECONNRESET ? 0 : n;
			break;
		}
		if (!in)
			continue;
		if (held && nheld < cmd.hold) {
			held[nheld++] = in;
			continue;
		}
		ret = vshmem_incoming_release(in);
		vshmem_incoming_close(in);
		if (ret < 0)
			break;
	}
	for (uint64_t i = 0; i < nheld; i++)
		vshmem_incoming_close(held[i]);
	free(held);
	return ret;
}

void raise_nofile(void)
{
	struct rlimit r = { 65536, 65536 };

	/* root may raise the hard limit; otherwise use what we have */
	if (setrlimit(RLIMIT_NOFILE, &r) < 0 && !getrlimit(RLIMIT_NOFILE, &r)) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* The copies' listening socket on a VM's host: what vhost-user-vsock
 * connects to for a guest's stream to host port PORT is <uds>_<PORT>. */
static int listen_uds_stream(const char *uds, unsigned int port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", uds, port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	unlink(sa.sun_path);	/* a stale one of an earlier run */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	return fd;
}

/* Listen on PORT (SEQPACKET, offers) and PORT+1 (STREAM, copies); one
 * child per connection. Writes one byte to ready_fd (if >= 0) when
 * listening. Does not return. */
void __attribute__((noreturn)) serve(unsigned int port, int ready_fd)
{
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = SOCK_SEQPACKET);
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
		.svm_port = port + 1,
	};
	struct vshmem_channel *lis;
	struct sigaction sig = { .sa_handler = SIG_IGN,
				 .sa_flags = SA_NOCLDWAIT };
	struct pollfd pfd[2];
	int sfd, ret;

	sigaction(SIGCHLD, &sig, NULL);
	raise_nofile();
	if (opt.serve_uds) {
		ret = vshmem_channel_listen_uds(opt.serve_uds, port, &co, &lis);
		if (ret < 0)
			die(ret, "peer: listen on %s, port %u", opt.serve_uds, port);
		sfd = listen_uds_stream(opt.serve_uds, port + 1);
		if (sfd < 0)
			die(sfd, "peer: listen on %s_%u", opt.serve_uds, port + 1);
	} else {
		ret = vshmem_channel_listen(VMADDR_CID_ANY, port, &co, &lis);
		if (ret < 0)
			die(ret, "peer: listen on port %u", port);
		sfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (sfd < 0 || bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(sfd, 16) < 0)
			die(-errno, "peer: listen on port %u", port + 1);
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			die(-errno, "peer: ready");
		close(ready_fd);
	}
	pfd[0] = (struct pollfd){ .fd = vshmem_channel_get_fd(lis), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(-errno, "peer: poll");
		}
		if (pfd[0].revents & POLLIN) {
			struct vshmem_channel *ch;

			ret = vshmem_channel_accept(lis, &ch);
			if (ret < 0)
				die(ret, "peer: accept");
			if (fork() == 0) {
				vshmem_channel_close(lis);
				close(sfd);
				ret = serve_offers(ch);
				vshmem_channel_close(ch);
				if (ret < 0)
					fprintf(stderr, "vshmem-bench: peer: %s\n",
						strerror(-ret));
				_exit(ret < 0);
			}
			vshmem_channel_close(ch);
		}
		if (pfd[1].revents & POLLIN) {
			int fd = accept4(sfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				die(-errno, "peer: accept");
			if (fork() == 0) {
				vshmem_channel_close(lis);
				close(sfd);
				ret = serve_copy(fd);
				if (ret < 0)
					fprintf(stderr, "vshmem-bench: peer: %s\n",
						strerror(-ret));
				_exit(ret < 0);
			}
			close(fd);
		}
	}
}

pid_t peer_pid = -1;

void peer_start(void)
{
	int p[2];
	char c;

	if (opt.remote)
		return;
	if (pipe2(p, O_CLOEXEC) < 0)
		die(-errno, "pipe");
	peer_pid = fork();
	if (peer_pid < 0)
		die(-errno, "fork");
	if (peer_pid == 0) {
		close(p[0]);
		serve(opt.port, p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die(0, "the local peer did not start (port %u in use?)", opt.port);
	close(p[0]);
}

void peer_stop(void)
{
	if (peer_pid > 0) {
		kill(peer_pid, SIGTERM);
		waitpid(peer_pid, NULL, 0);
		peer_pid = -1;
	}
}

