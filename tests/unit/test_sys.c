// SPDX-License-Identifier: LGPL-2.1-or-later
/* lib/sys.c, the real syscall seam, on ordinary files and sockets: -1
 * becomes -errno, new fds are close-on-exec. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/dma-buf.h>

#include "../../lib/internal.h"

static bool cloexec(int fd)
{
	return fcntl(fd, F_GETFD) & FD_CLOEXEC;
}

static void test_open_close(void **state)
{
	int fd;

	(void)state;
	fd = vshmem_sys_open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_true(cloexec(fd));
	assert_int_equal(vshmem_sys_close(fd), 0);
	assert_int_equal(vshmem_sys_close(fd), -EBADF);
	assert_int_equal(vshmem_sys_open("/nonexistent/x", O_RDONLY), -ENOENT);
}

static void test_ioctl(void **state)
{
	struct dma_buf_sync s = { 0 };
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_int_equal(vshmem_sys_ioctl(fd, DMA_BUF_IOCTL_SYNC, &s), -ENOTTY);
	assert_int_equal(vshmem_sys_ioctl(-1, DMA_BUF_IOCTL_SYNC, &s), -EBADF);
	close(fd);
}

static void test_mmap_size_dup(void **state)
{
	int fd = memfd_create("t", MFD_CLOEXEC), nfd;
	uint64_t size = 0;
	void *p = NULL;

	(void)state;
	assert_int_equal(ftruncate(fd, 8192), 0);
	assert_int_equal(vshmem_sys_mmap(fd, 8192, PROT_READ | PROT_WRITE, &p), 0);
	memset(p, 1, 8192);
	assert_int_equal(vshmem_sys_munmap(p, 8192), 0);
	assert_int_equal(vshmem_sys_munmap((void *)1, 8192), -EINVAL);
	assert_int_equal(vshmem_sys_mmap(-1, 8192, PROT_READ, &p), -EBADF);
	assert_int_equal(vshmem_sys_fd_size(fd, &size), 0);
	assert_int_equal(size, 8192);
	assert_int_equal(vshmem_sys_fd_size(-1, &size), -EBADF);
	nfd = vshmem_sys_dup(fd);
	assert_true(nfd > fd || nfd >= 0);
	assert_true(cloexec(nfd));
	close(nfd);
	assert_int_equal(vshmem_sys_dup(-1), -EBADF);
	close(fd);
}

static void test_fd_size_pipe(void **state)
{
	uint64_t size;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vshmem_sys_fd_size(p[0], &size), -ESPIPE);
	close(p[0]);
	close(p[1]);
}

static void test_fdinfo(void **state)
{
	char buf[256];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(vshmem_sys_fdinfo(fd, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "flags:"));
	assert_int_equal(vshmem_sys_fdinfo(fd, buf, 0), -EINVAL);
	close(fd);
	assert_int_equal(vshmem_sys_fdinfo(fd, buf, sizeof(buf)), -ENOENT);
}

static void test_list_dir(void **state)
{
	char dir[] = "/tmp/vshmem-test-XXXXXX", path[64];
	char **names = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(vshmem_sys_list_dir(dir, &names), 0);
	assert_null(names[0]);
	free(names);
	snprintf(path, sizeof(path), "%s/zeta", dir);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	snprintf(path, sizeof(path), "%s/alpha", dir);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	assert_int_equal(vshmem_sys_list_dir(dir, &names), 2);
	assert_string_equal(names[0], "alpha");
	assert_string_equal(names[1], "zeta");
	assert_null(names[2]);
	for (int i = 0; names[i]; i++)
		free(names[i]);
	free(names);
	unlink(path);
	snprintf(path, sizeof(path), "%s/zeta", dir);
	unlink(path);
	rmdir(dir);
	assert_int_equal(vshmem_sys_list_dir(dir, &names), -ENOENT);
}

static void test_sockets(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen = offsetof(struct sockaddr_un, sun_path) + 16;
	int lfd, cfd, afd, type = 0, fd;
	socklen_t len = sizeof(type);

	(void)state;
	/* AF_VSOCK may be missing here; either way no -1 comes back. */
	fd = vshmem_sys_socket(AF_VSOCK, SOCK_SEQPACKET);
	assert_true(fd >= 0 || fd == -EAFNOSUPPORT || fd == -ENODEV ||
		    fd == -EPERM);
	if (fd >= 0)
		close(fd);

	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "vsh%08d", (int)getpid());
	lfd = vshmem_sys_socket(AF_UNIX, SOCK_SEQPACKET);
	assert_true(lfd >= 0);
	assert_true(cloexec(lfd));
	assert_int_equal(vshmem_sys_bind(lfd, (struct sockaddr *)&sa, salen), 0);
	assert_int_equal(vshmem_sys_listen(lfd, 4), 0);
	cfd = vshmem_sys_socket(AF_UNIX, SOCK_SEQPACKET);
	assert_int_equal(vshmem_sys_connect(cfd, (struct sockaddr *)&sa, salen), 0);
	afd = vshmem_sys_accept(lfd);
	assert_true(afd >= 0);
	assert_true(cloexec(afd));
	assert_int_equal(vshmem_sys_getsockopt(afd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
	assert_int_equal(type, SOCK_SEQPACKET);
	assert_int_equal(vshmem_sys_getsockopt(afd, SOL_SOCKET, 9999, &type, &len), -ENOPROTOOPT);
	assert_int_equal(vshmem_sys_bind(cfd, (struct sockaddr *)&sa, salen), -EADDRINUSE);
	assert_int_equal(vshmem_sys_connect(-1, (struct sockaddr *)&sa, salen), -EBADF);
	assert_int_equal(vshmem_sys_listen(-1, 1), -EBADF);
	assert_int_equal(vshmem_sys_accept(cfd), -EINVAL);
	fd = vshmem_sys_socket(12345, SOCK_STREAM);
	assert_true(fd < 0 && fd != -1);

	/* message round trip with an fd, received close-on-exec */
	{
		union { struct cmsghdr a; char b[CMSG_SPACE(sizeof(int))]; } ctl;
		char data = 'x', got = 0;
		struct iovec iov = { &data, 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.b,
				      .msg_controllen = sizeof(ctl.b) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		int nfd = 0, sfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		memset(&ctl, 0, sizeof(ctl));

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sfd, sizeof(int));
		assert_int_equal(vshmem_sys_sendmsg(cfd, &msg, 0), 1);
		close(sfd);
		assert_int_equal(vshmem_sys_poll(afd, POLLIN, 1000), 0);
		iov.iov_base = &got;
		msg.msg_controllen = sizeof(ctl.b);
		assert_int_equal(vshmem_sys_recvmsg(afd, &msg, 0), 1);
		assert_int_equal(got, 'x');
		c = CMSG_FIRSTHDR(&msg);
		assert_non_null(c);
		if (c)
			memcpy(&nfd, CMSG_DATA(c), sizeof(int));
		assert_true(cloexec(nfd));
		close(nfd);
		assert_int_equal(vshmem_sys_poll(afd, POLLIN, 1), -ETIMEDOUT);
		assert_int_equal(vshmem_sys_recvmsg(afd, &msg, MSG_DONTWAIT), -EAGAIN);
		assert_int_equal(vshmem_sys_sendmsg(-1, &msg, 0), -EBADF);
	}
	close(afd);
	close(cfd);
	close(lfd);
	assert_int_equal(vshmem_sys_poll(-1, POLLIN, 1), -ETIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_close),
		cmocka_unit_test(test_ioctl),
		cmocka_unit_test(test_mmap_size_dup),
		cmocka_unit_test(test_fd_size_pipe),
		cmocka_unit_test(test_fdinfo),
		cmocka_unit_test(test_list_dir),
		cmocka_unit_test(test_sockets),
	};

	return cmocka_run_group_tests_name("sys", tests, NULL, NULL);
}
