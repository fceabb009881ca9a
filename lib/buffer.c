// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers: a dma-buf fd with its size and transfer kind. Allocation from a
 * heap, import of an fd (checked to be a dma-buf), mmap, CPU access sync,
 * debug name, fd dup.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "internal.h"

struct vshmem_buf *vshmem_buf_wrap(int fd, uint64_t size, int kind)
{
	struct vshmem_buf *buf = calloc(1, sizeof(*buf));

	if (!buf)
		return NULL;
	buf->fd = fd;
	buf->size = size;
	buf->kind = kind;
	return buf;
}

VSHMEM_API int vshmem_buf_alloc(struct vshmem_heap *heap, size_t size,
				const struct vshmem_alloc_opts *opts,
				struct vshmem_buf **ret_buf)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	const char *name;
	struct vshmem_buf *buf;
	uint64_t real_size;
	int ret;

	if (!heap || !ret_buf || size == 0)
		return vshmem_err(-EINVAL);
	ret = OPTS_VALID(opts, vshmem_alloc_opts);
	if (ret < 0)
		return vshmem_err(ret);
	name = OPTS_GET(opts, name, NULL);
	if (name && (!*name || strlen(name) >= DMA_BUF_NAME_LEN))
		return vshmem_err(-EINVAL);

	ret = vshmem_sys_ioctl(heap->fd, DMA_HEAP_IOCTL_ALLOC, &data);
	if (ret < 0)
		return vshmem_err(ret);
	/* Heaps round up to whole pages: report what the buffer really is. */
	if (vshmem_sys_fd_size((int)data.fd, &real_size) < 0 || real_size < size)
		real_size = data.len;
	buf = vshmem_buf_wrap((int)data.fd, real_size, heap->kind);
	if (!buf) {
		vshmem_sys_close((int)data.fd);
		return vshmem_err(-ENOMEM);
	}
	if (name) {
		ret = vshmem_buf_set_name(buf, name);
		if (ret < 0) {
			vshmem_buf_close(buf);
			return vshmem_err(ret);
		}
	}
	*ret_buf = buf;
	return 0;
}

/*
 * Is fd a dma-buf? Its fdinfo has an "exp_name:" line (the exporter) since
 * Linux 5.3; that is definitive and has no side effect. Without /proc, ask
 * the sync ioctl with an invalid flag: a dma-buf answers -EINVAL, other
 * files -ENOTTY.
 */
static int check_dmabuf(int fd)
{
	char info[512];
	int ret;

	ret = vshmem_sys_fdinfo(fd, info, sizeof(info));
	if (ret >= 0)
		return (!strncmp(info, "exp_name:", 9) ||
			strstr(info, "\nexp_name:")) ? 0 : -EINVAL;
	if (ret == -EBADF)
		return ret;

	struct dma_buf_sync sync = { .flags = ~(__u64)DMA_BUF_SYNC_VALID_FLAGS_MASK };

	ret = vshmem_sys_ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	if (ret == -EBADF)
		return ret;
	return ret == -EINVAL ? 0 : -EINVAL;
}

VSHMEM_API int vshmem_buf_import(int fd, const struct vshmem_import_opts *opts,
				 struct vshmem_buf **ret_buf)
{
	struct vshmem_buf *buf;
	uint64_t size;
	int kind, ret;

	if (!ret_buf)
		return vshmem_err(-EINVAL);
	if (fd < 0)
		return vshmem_err(-EBADF);
	ret = OPTS_VALID(opts, vshmem_import_opts);
	if (ret < 0)
		return vshmem_err(ret);
	kind = OPTS_GET(opts, kind, 0);
	if (kind && !vshmem_kind_valid(kind))
		return vshmem_err(-EINVAL);

	ret = check_dmabuf(fd);
	if (ret < 0)
		return vshmem_err(ret);
	ret = vshmem_sys_fd_size(fd, &size);
	if (ret < 0)
		return vshmem_err(ret);
	buf = vshmem_buf_wrap(fd, size, kind);
	if (!buf)
		return vshmem_err(-ENOMEM);
	*ret_buf = buf;
	return 0;
}

VSHMEM_API void vshmem_buf_close(struct vshmem_buf *buf)
{
	if (!buf)
		return;
	vshmem_buf_unmap(buf);
	if (buf->fd >= 0)
		vshmem_sys_close(buf->fd);
	free(buf);
}

VSHMEM_API int vshmem_buf_get_fd(const struct vshmem_buf *buf)
{
	return buf ? buf->fd : vshmem_err(-EINVAL);
}

VSHMEM_API int vshmem_buf_dup_fd(const struct vshmem_buf *buf)
{
	if (!buf)
		return vshmem_err(-EINVAL);
	return vshmem_err(vshmem_sys_dup(buf->fd));
}

VSHMEM_API uint64_t vshmem_buf_get_size(const struct vshmem_buf *buf)
{
	return buf ? buf->size : VSHMEM_NULL_ARG(0);
}

VSHMEM_API int vshmem_buf_get_kind(const struct vshmem_buf *buf)
{
	return buf ? buf->kind : vshmem_err(-EINVAL);
}

static bool valid_access(unsigned int access)
{
	return access && !(access & ~VSHMEM_ACCESS_RW);
}

VSHMEM_API int vshmem_buf_map(struct vshmem_buf *buf, unsigned int access,
			      void **ret_addr)
{
	int prot = 0, ret;
	void *addr;

	if (!buf || !ret_addr || !valid_access(access) || buf->size == 0 ||
	    buf->size > SIZE_MAX)
		return vshmem_err(-EINVAL);
	if (buf->map) {
		if (buf->map_access != access)
			return vshmem_err(-EBUSY);
		*ret_addr = buf->map;
		return 0;
	}
	if (access & VSHMEM_ACCESS_READ)
		prot |= PROT_READ;
	if (access & VSHMEM_ACCESS_WRITE)
		prot |= PROT_WRITE;
	ret = vshmem_sys_mmap(buf->fd, (size_t)buf->size, prot, &addr);
	if (ret < 0)
		return vshmem_err(ret);
	buf->map = addr;
	buf->map_access = access;
	*ret_addr = addr;
	return 0;
}

VSHMEM_API int vshmem_buf_unmap(struct vshmem_buf *buf)
{
	int ret;

	if (!buf)
		return vshmem_err(-EINVAL);
	if (!buf->map)
		return 0;
	ret = vshmem_sys_munmap(buf->map, (size_t)buf->size);
	if (ret < 0)
		return vshmem_err(ret);
	buf->map = NULL;
	buf->map_access = 0;
	return 0;
}

static int buf_sync(struct vshmem_buf *buf, unsigned int access, __u64 phase)
{
	struct dma_buf_sync sync = { .flags = phase };

	if (!buf || !valid_access(access))
		return vshmem_err(-EINVAL);
	if (access & VSHMEM_ACCESS_READ)
		sync.flags |= DMA_BUF_SYNC_READ;
	if (access & VSHMEM_ACCESS_WRITE)
		sync.flags |= DMA_BUF_SYNC_WRITE;
	return vshmem_err(vshmem_sys_ioctl(buf->fd, DMA_BUF_IOCTL_SYNC, &sync));
}

VSHMEM_API int vshmem_buf_sync_start(struct vshmem_buf *buf,
				     unsigned int access)
{
	return buf_sync(buf, access, DMA_BUF_SYNC_START);
}

VSHMEM_API int vshmem_buf_sync_end(struct vshmem_buf *buf, unsigned int access)
{
	return buf_sync(buf, access, DMA_BUF_SYNC_END);
}

VSHMEM_API int vshmem_buf_set_name(struct vshmem_buf *buf, const char *name)
{
	size_t len;

	if (!buf || !name)
		return vshmem_err(-EINVAL);
	len = strlen(name);
	if (len == 0 || len >= DMA_BUF_NAME_LEN)
		return vshmem_err(-EINVAL);
	/* The kernel copies a string from this pointer. */
	return vshmem_err(vshmem_sys_ioctl(buf->fd, DMA_BUF_SET_NAME,
					   (void *)name));
}
