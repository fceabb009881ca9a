// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A helper process of an in-guest case, and the bytes the two exchange
 * over a socketpair to keep in step.
 */
#include <sys/time.h>

#include "harness.h"

int vt_spawn(struct vt_child *c, int (*fn)(void *arg, int fd), void *arg)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(sv[0]);
		_exit(fn(arg, sv[1]) ? 1 : 0);
	}
	close(sv[1]);
	c->fd = sv[0];
	return 0;
}

int vt_send_byte(int fd, char b)
{
	return write(fd, &b, 1) == 1 ? 0 : VT_FAIL;
}

int vt_wait_byte(int fd, char want, int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	char b = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read(fd, &b, 1) != 1 || b != want) {
		vt_diag("helper process: wanted '%c', got '%c'", want, b ? b : '-');
		return VT_FAIL;
	}
	return 0;
}

int vt_reap(struct vt_child *c)
{
	int status;

	close(c->fd);
	if (waitpid(c->pid, &status, 0) < 0)
		return VT_FAIL;
	if (WIFSIGNALED(status)) {
		vt_diag("helper process died from signal %d", WTERMSIG(status));
		return VT_FAIL;
	}
	if (WEXITSTATUS(status))
		vt_diag("helper process failed (exit %d)", WEXITSTATUS(status));
	return WEXITSTATUS(status) ? VT_FAIL : 0;
}
