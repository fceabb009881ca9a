// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The system call seam. This is the only file of the library that talks to
 * the kernel; the unit tests link a fake in its place (tests/unit/fake_sys.c).
 * Here a raw -1 becomes -errno, and every new fd gets close-on-exec.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int neg_errno(void)
{
	/* A -1 with errno 0 should not happen; never report success then. */
	return errno ? -errno : -EIO;
}

int vshmem_sys_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? neg_errno() : fd;
}

int vshmem_sys_close(int fd)
{
	/* Linux releases the fd even when close() reports EINTR: no retry. */
	return close(fd) < 0 ? neg_errno() : 0;
}

int vshmem_sys_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	/* dma-buf ioctls may be interrupted (as drmIoctl knows): retry. */
	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret < 0 ? neg_errno() : ret;
}

int vshmem_sys_mmap(int fd, size_t len, int prot, void **ret_addr)
{
	void *addr = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	if (addr == MAP_FAILED)
		return neg_errno();
	*ret_addr = addr;
	return 0;
}

int vshmem_sys_mmap_anon(size_t len, void **ret_addr)
{
	void *addr = mmap(NULL, len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (addr == MAP_FAILED)
		return neg_errno();
	*ret_addr = addr;
	return 0;
}

int vshmem_sys_mmap_fixed(void *addr, size_t len, int prot, int fd,
			  uint64_t off)
{
	void *got;

	if (fd < 0)
		got = mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			   MAP_NORESERVE | MAP_FIXED, -1, 0);
	else if (off > (uint64_t)INT64_MAX)
		return -EINVAL;
	else
		got = mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd,
			   (off_t)off);
	return got == MAP_FAILED ? neg_errno() : 0;
}

size_t vshmem_sys_page_size(void)
{
	long sz = sysconf(_SC_PAGESIZE);

	return sz > 0 ? (size_t)sz : 4096;
}

int vshmem_sys_unlink(const char *path)
{
	return unlink(path) < 0 ? neg_errno() : 0;
}

int vshmem_sys_munmap(void *addr, size_t len)
{
	return munmap(addr, len) < 0 ? neg_errno() : 0;
}

int vshmem_sys_dup(int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	return nfd < 0 ? neg_errno() : nfd;
}

int vshmem_sys_fd_size(int fd, uint64_t *ret_size)
{
	/* A dma-buf reports its size as its end offset. */
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0)
		return neg_errno();
	if (lseek(fd, 0, SEEK_SET) < 0)
		return neg_errno();
	*ret_size = (uint64_t)end;
	return 0;
}

int vshmem_sys_file_size(int fd, uint64_t *ret_size)
{
	struct stat st;

	/* fstat, not lseek: a received fd shares its file offset with the
	 * sender's. */
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

int vshmem_sys_fdinfo(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int ifd, ret;

	if (len == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	ifd = open(path, O_RDONLY | O_CLOEXEC);
	if (ifd < 0)
		return neg_errno();
	n = read(ifd, buf, len - 1);
	ret = n < 0 ? neg_errno() : (int)n;
	close(ifd);
	if (n >= 0)
		buf[n] = '\0';
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vshmem_sys_list_dir(const char *path, char ***ret_names)
{
	char **names = NULL, **tmp, *name;
	size_t n = 0;
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	dir = opendir(path);
	if (!dir)
		return neg_errno();
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			ret = errno ? -errno : 0;
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		tmp = realloc(names, (n + 2) * sizeof(*names));
		if (!tmp) {
			ret = -ENOMEM;
			break;
		}
		names = tmp;
		name = strdup(de->d_name);
		if (!name) {
			ret = -ENOMEM;
			break;
		}
		names[n++] = name;
		names[n] = NULL;
	}
	closedir(dir);
	if (ret < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return ret;
	}
	if (!names) {
		names = calloc(1, sizeof(*names));
		if (!names)
			return -ENOMEM;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	*ret_names = names;
	return (int)n;
}

int vshmem_sys_socket(int domain, int type)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, 0);

	return fd < 0 ? neg_errno() : fd;
}

int vshmem_sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return connect(fd, addr, len) < 0 ? neg_errno() : 0;
}

int vshmem_sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len) < 0 ? neg_errno() : 0;
}

int vshmem_sys_listen(int fd, int backlog)
{
	return listen(fd, backlog) < 0 ? neg_errno() : 0;
}

int vshmem_sys_accept(int fd)
{
	int nfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	return nfd < 0 ? neg_errno() : nfd;
}

int vshmem_sys_getsockopt(int fd, int level, int name, void *val,
			  socklen_t *len)
{
	return getsockopt(fd, level, name, val, len) < 0 ? neg_errno() : 0;
}

ssize_t vshmem_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t n = sendmsg(fd, msg, flags | MSG_NOSIGNAL);

	return n < 0 ? neg_errno() : n;
}

ssize_t vshmem_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t n = recvmsg(fd, msg, flags | MSG_CMSG_CLOEXEC);

	return n < 0 ? neg_errno() : n;
}

int vshmem_sys_poll(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ret = poll(&p, 1, timeout_ms);

	if (ret < 0)
		return neg_errno();
	return ret == 0 ? -ETIMEDOUT : 0;
}

int64_t vshmem_sys_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
