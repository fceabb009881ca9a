// SPDX-License-Identifier: LGPL-2.1-or-later
/* See fake_sys.h. Replaces lib/sys.c in the unit tests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef HAVE_LIBDRM
#include <libdrm/drm.h>
#endif
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "../../lib/internal.h"
#include "fake_sys.h"

struct fake_state fake;
static enum fake_kind kinds[4096];

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.heaps[0] = "system";
}

void fake_fail(enum fake_op op, int err, int skip)
{
	fake.fail_errno[op] = err;
	fake.fail_skip[op] = skip;
}

/* Count the call; return -errno if the test asked this one to fail. */
static int enter(enum fake_op op)
{
	fake.calls[op]++;
	if (!fake.fail_errno[op])
		return 0;
	if (fake.fail_skip[op] > 0) {
		fake.fail_skip[op]--;
		return 0;
	}
	return -fake.fail_errno[op];
}

int fake_new_fd(enum fake_kind kind, size_t size)
{
	int fd = memfd_create("fake", MFD_CLOEXEC);

	if (fd < 0 || fd >= (int)(sizeof(kinds) / sizeof(kinds[0])))
		abort();
	if (size && ftruncate(fd, (off_t)size) < 0)
		abort();
	kinds[fd] = kind;
	return fd;
}

enum fake_kind fake_kind_of(int fd)
{
	if (fd < 0 || fd >= (int)(sizeof(kinds) / sizeof(kinds[0])))
		return FK_NONE;
	return kinds[fd];
}

bool fake_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

int fake_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

void fake_rx_push_raw(const void *data, size_t len, const void *ctl,
		      size_t ctl_len, int flags)
{
	struct fake_rx *r = &fake.rx[fake.nrx++];

	memcpy(r->data, data, len);
	r->len = len;
	if (ctl)
		memcpy(r->ctl, ctl, ctl_len);
	r->ctl_len = ctl_len;
	r->flags = flags;
}

void fake_rx_push(const void *data, size_t len, const struct vsock_shmem *desc,
		  int flags)
{
	union {
		struct cmsghdr align;
		unsigned char buf[CMSG_SPACE(sizeof(*desc))];
	} u;
	struct cmsghdr *c = &u.align;

	if (!desc) {
		fake_rx_push_raw(data, len, NULL, 0, flags);
		return;
	}
	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(*desc));
	memcpy(CMSG_DATA(c), desc, sizeof(*desc));
	fake_rx_push_raw(data, len, u.buf, sizeof(u.buf), flags);
}

struct vsock_shmem fake_offer_desc(uint64_t id, size_t size, uint32_t kind)
{
	struct vsock_shmem d = {
		.subop = VSOCK_SHMEM_SUBOP_OFFER,
		.type = VSOCK_SHMEM_TYPE_LOCAL,
		.id = id,
		.kind = kind,
		.size = size,
		.tag = 0x7a6,
	};

	d.fd = fake_new_fd(FK_DMABUF, size);
	return d;
}

/* ---- the seam ---- */

int vshmem_sys_open(const char *path, int flags)
{
	const char *pre = "/dev/dma_heap/";
	int ret = enter(FAKE_OPEN);

	(void)flags;
	if (ret)
		return ret;
	if (strncmp(path, pre, strlen(pre)))
		return -ENOENT;
	for (int i = 0; fake.heaps[i]; i++)
		if (!strcmp(fake.heaps[i], path + strlen(pre)))
			return fake_new_fd(FK_HEAP, 0);
	return -ENOENT;
}

int vshmem_sys_close(int fd)
{
	int ret = enter(FAKE_CLOSE);

	if (fake_kind_of(fd) != FK_NONE)
		kinds[fd] = FK_NONE;
	if (close(fd) < 0)
		return -errno;
	return ret;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	enum fake_kind k = fake_kind_of(fd);

	if (!fake_fd_open(fd))
		return -EBADF;
	if (req == DMA_HEAP_IOCTL_ALLOC) {
		struct dma_heap_allocation_data *d = arg;

		if (k != FK_HEAP)
			return -ENOTTY;
		if (d->fd_flags != (O_RDWR | O_CLOEXEC) || d->heap_flags)
			return -EINVAL;
		/* Like the kernel: whole pages, and len is not written back. */
		d->fd = (uint32_t)fake_new_fd(FK_DMABUF,
					      (d->len + 4095) & ~(uint64_t)4095);
		return 0;
	}
	if (req == DMA_BUF_IOCTL_SYNC) {
		struct dma_buf_sync *s = arg;

		if (k != FK_DMABUF)
			return -ENOTTY;
		if (s->flags & ~(uint64_t)DMA_BUF_SYNC_VALID_FLAGS_MASK)
			return -EINVAL;
		fake.sync_flags = s->flags;
		return 0;
	}
	if (req == DMA_BUF_SET_NAME) {
		if (k != FK_DMABUF)
			return -ENOTTY;
		snprintf(fake.name, sizeof(fake.name), "%s", (const char *)arg);
		return 0;
	}
#ifdef HAVE_LIBDRM
	if (req == DRM_IOCTL_PRIME_FD_TO_HANDLE) {
		struct drm_prime_handle *p = arg;

		if (k != FK_DRM)
			return -ENOTTY;
		if (fake_kind_of(p->fd) != FK_DMABUF)
			return -EINVAL;
		p->handle = 42;
		return 0;
	}
	if (req == DRM_IOCTL_PRIME_HANDLE_TO_FD) {
		struct drm_prime_handle *p = arg;

		if (k != FK_DRM)
			return -ENOTTY;
		if (!(p->flags & DRM_CLOEXEC))
			return -EINVAL;
		/* 42: a real BO; 43: hands out something that is no dma-buf */
		if (p->handle == 42)
			p->fd = fake_new_fd(FK_DMABUF, 8192);
		else if (p->handle == 43)
			p->fd = fake_new_fd(FK_OTHER, 0);
		else
			return -ENOENT;
		return 0;
	}
#endif
	return -ENOTTY;
}

int vshmem_sys_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = enter(FAKE_IOCTL);

	return ret ? ret : fake_ioctl(fd, request, arg);
}

int vshmem_sys_mmap(int fd, size_t len, int prot, void **ret_addr)
{
	int ret = enter(FAKE_MMAP);
	void *p;

	if (ret)
		return ret;
	p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*ret_addr = p;
	return 0;
}

/* The hybrid-vsock side (lib/uds.c) is tested on real Unix sockets and
 * memfds (test_uds links lib/sys.c); these keep the other tests linking. */
int vshmem_sys_mmap_anon(size_t len, void **ret_addr)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	*ret_addr = p;
	return 0;
}

int vshmem_sys_mmap_fixed(void *addr, size_t len, int prot, int fd,
			  uint64_t off)
{
	void *p = fd < 0 ?
		  mmap(addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) :
		  mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off);

	return p == MAP_FAILED ? -errno : 0;
}

size_t vshmem_sys_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

int vshmem_sys_file_size(int fd, uint64_t *ret_size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

int vshmem_sys_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

int vshmem_sys_munmap(void *addr, size_t len)
{
	int ret = enter(FAKE_MUNMAP);

	if (ret)
		return ret;
	return munmap(addr, len) < 0 ? -errno : 0;
}

int vshmem_sys_dup(int fd)
{
	int ret = enter(FAKE_DUP), nfd;

	if (ret)
		return ret;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0)
		return -errno;
	kinds[nfd] = fake_kind_of(fd);
	return nfd;
}

int vshmem_sys_fd_size(int fd, uint64_t *ret_size)
{
	int ret = enter(FAKE_FD_SIZE);
	off_t end;

	if (ret)
		return ret;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	*ret_size = (uint64_t)end;
	return 0;
}

int vshmem_sys_fdinfo(int fd, char *buf, size_t len)
{
	int ret = enter(FAKE_FDINFO);
	uint64_t size = 0;

	if (ret)
		return ret;
	if (fake.no_proc)
		return -ENOENT;
	if (!fake_fd_open(fd))
		return -EBADF;
	if (fake_kind_of(fd) == FK_DMABUF) {
		vshmem_sys_fd_size(fd, &size);
		return snprintf(buf, len,
				"pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1\n"
				"size:\t%llu\ncount:\t1\nexp_name:\tsystem\n",
				(unsigned long long)size);
	}
	return snprintf(buf, len, "pos:\t0\nflags:\t02000002\nmnt_id:\t15\n");
}

int vshmem_sys_list_dir(const char *path, char ***ret_names)
{
	int ret = enter(FAKE_LIST_DIR), n = 0;
	char **names;

	if (ret)
		return ret;
	if (strcmp(path, "/dev/dma_heap") || fake.no_heap_dir)
		return -ENOENT;
	while (fake.heaps[n])
		n++;
	names = calloc((size_t)n + 1, sizeof(*names));
	for (int i = 0; i < n; i++)
		names[i] = strdup(fake.heaps[i]);
	*ret_names = names;
	return n;
}

int vshmem_sys_socket(int domain, int type)
{
	int ret = enter(FAKE_SOCKET);

	(void)type;
	if (ret)
		return ret;
	if (domain != AF_VSOCK)
		return -EAFNOSUPPORT;
	return fake_new_fd(FK_SOCK, 0);
}

int vshmem_sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	(void)fd, (void)addr, (void)len;
	return enter(FAKE_CONNECT);
}

int vshmem_sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	(void)fd, (void)addr, (void)len;
	return enter(FAKE_BIND);
}

int vshmem_sys_listen(int fd, int backlog)
{
	int ret = enter(FAKE_LISTEN);

	(void)backlog;
	if (!ret)
		kinds[fd] = FK_LISTEN;
	return ret;
}

int vshmem_sys_accept(int fd)
{
	int ret = enter(FAKE_ACCEPT);

	if (ret)
		return ret;
	if (fake_kind_of(fd) != FK_LISTEN)
		return -EINVAL;
	return fake_new_fd(FK_SOCK, 0);
}

int vshmem_sys_getsockopt(int fd, int level, int name, void *val,
			  socklen_t *len)
{
	int ret = enter(FAKE_GETSOCKOPT);

	if (ret)
		return ret;
	if (!fake_fd_open(fd))
		return -EBADF;
	if (fake_kind_of(fd) != FK_SOCK && fake_kind_of(fd) != FK_LISTEN)
		return -ENOTSOCK;
	if (level == SOL_SOCKET && (name == SO_DOMAIN || name == SO_TYPE)) {
		int v = name == SO_DOMAIN ?
			(fake.sock_domain ? fake.sock_domain : AF_VSOCK) :
			(fake.sock_type ? fake.sock_type : SOCK_SEQPACKET);

		memcpy(val, &v, sizeof(v));
		*len = sizeof(v);
		return 0;
	}
	if (level == AF_VSOCK && name == SO_VM_SOCKETS_SHMEM_CAPS) {
		if (fake.caps_errno)
			return -fake.caps_errno;
		if (*len < sizeof(uint64_t))
			return -EINVAL;
		memcpy(val, &fake.caps, sizeof(fake.caps));
		*len = fake.caps_len ? fake.caps_len : sizeof(uint64_t);
		return 0;
	}
	return -ENOPROTOOPT;
}

ssize_t vshmem_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	int ret = enter(FAKE_SENDMSG);
	struct fake_sent *s;
	struct cmsghdr *c;
	size_t total = 0;

	(void)flags;
	if (ret)
		return ret;
	if (!fake_fd_open(fd))
		return -EBADF;
	if (fake.nsent >= FAKE_MAX_MSGS)
		return -ENOBUFS;
	s = &fake.sent[fake.nsent];
	memset(s, 0, sizeof(*s));
	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level == SOL_VSOCK && c->cmsg_type == SCM_VSOCK_SHMEM &&
		    c->cmsg_len == CMSG_LEN(sizeof(s->desc))) {
			memcpy(&s->desc, CMSG_DATA(c), sizeof(s->desc));
			s->has_desc = true;
		}
	}
	if (s->has_desc && fake.send_errno &&
	    (int)s->desc.subop + 1 == fake.send_errno_subop)
		return -fake.send_errno;
	if (s->has_desc && s->desc.subop == VSOCK_SHMEM_SUBOP_OFFER &&
	    fake_kind_of(s->desc.fd) != FK_DMABUF)
		return -EBADF;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		size_t n = msg->msg_iov[i].iov_len;

		if (fake.send_max && total + n > fake.send_max)
			n = fake.send_max - total;
		if (total + n > sizeof(s->data))
			n = sizeof(s->data) - total;
		memcpy(s->data + total, msg->msg_iov[i].iov_base, n);
		total += n;
	}
	s->len = total;
	fake.nsent++;
	return (ssize_t)total;
}

ssize_t vshmem_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	int ret = enter(FAKE_RECVMSG);
	struct fake_rx *r;
	size_t n;

	if (ret)
		return ret;
	if (!fake_fd_open(fd))
		return -EBADF;
	fake.last_recv_flags = flags;
	if (fake.rx_pos >= fake.nrx) {
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
		return fake.rx_eof ? 0 : -EAGAIN;
	}
	r = &fake.rx[fake.rx_pos++];
	n = r->len < msg->msg_iov[0].iov_len ? r->len : msg->msg_iov[0].iov_len;
	memcpy(msg->msg_iov[0].iov_base, r->data, n);
	if (r->ctl_len > msg->msg_controllen)
		abort();	/* tests must fit the library's buffer */
	memcpy(msg->msg_control, r->ctl, r->ctl_len);
	msg->msg_controllen = r->ctl_len;
	msg->msg_flags = r->flags;
	return (ssize_t)n;
}

int vshmem_sys_poll(int fd, short events, int timeout_ms)
{
	int ret = enter(FAKE_POLL);

	(void)fd, (void)events, (void)timeout_ms;
	if (ret)
		return ret;
	return fake.poll_timeout ? -ETIMEDOUT : 0;
}

int64_t vshmem_sys_now_ms(void)
{
	/* Time passes only when the library looks at the clock. */
	fake.now_ms += fake.clock_step_ms ? fake.clock_step_ms : 1;
	return fake.now_ms;
}
