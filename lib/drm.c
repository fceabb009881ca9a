// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PRIME glue. The two PRIME ioctls are issued through the library's own
 * syscall seam (sys.c) with libdrm's struct definitions, rather than via
 * drmPrimeFDToHandle()/drmPrimeHandleToFD(): same kernel calls, but the
 * unit tests can then exercise this file without a GPU.
 */
#include <fcntl.h>

#include <libvshmem/vshmem-drm.h>

#include "internal.h"

#ifdef HAVE_LIBDRM
#include <libdrm/drm.h>

VSHMEM_API int vshmem_drm_import(int drm_fd, const struct vshmem_buf *buf,
				 uint32_t *ret_handle)
{
	struct drm_prime_handle args = { .handle = 0 };
	int ret;

	if (!buf || !ret_handle)
		return vshmem_err(-EINVAL);
	if (drm_fd < 0)
		return vshmem_err(-EBADF);
	args.fd = buf->fd;
	ret = vshmem_sys_ioctl(drm_fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args);
	if (ret < 0)
		return vshmem_err(ret);
	*ret_handle = args.handle;
	return 0;
}

VSHMEM_API int vshmem_drm_export(int drm_fd, uint32_t handle,
				 const struct vshmem_import_opts *opts,
				 struct vshmem_buf **ret_buf)
{
	struct drm_prime_handle args = {
		.handle = handle,
		.flags = DRM_CLOEXEC | DRM_RDWR,
		.fd = -1,
	};
	int ret;

	if (!ret_buf)
		return vshmem_err(-EINVAL);
	if (drm_fd < 0)
		return vshmem_err(-EBADF);
	ret = OPTS_VALID(opts, vshmem_import_opts);
	if (ret < 0)
		return vshmem_err(ret);
	ret = vshmem_sys_ioctl(drm_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &args);
	if (ret < 0)
		return vshmem_err(ret);
	ret = vshmem_buf_import(args.fd, opts, ret_buf);
	if (ret < 0)
		vshmem_sys_close(args.fd);	/* import did not take it */
	return vshmem_err(ret);
}

#else /* !HAVE_LIBDRM */

VSHMEM_API int vshmem_drm_import(int drm_fd, const struct vshmem_buf *buf,
				 uint32_t *ret_handle)
{
	(void)drm_fd, (void)buf, (void)ret_handle;
	return vshmem_err(-EOPNOTSUPP);
}

VSHMEM_API int vshmem_drm_export(int drm_fd, uint32_t handle,
				 const struct vshmem_import_opts *opts,
				 struct vshmem_buf **ret_buf)
{
	(void)drm_fd, (void)handle, (void)opts, (void)ret_buf;
	return vshmem_err(-EOPNOTSUPP);
}

#endif /* HAVE_LIBDRM */
