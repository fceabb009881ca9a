// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PRIME glue over libdrm's drmPrimeFDToHandle() and drmPrimeHandleToFD().
 * libdrm reports failure as -1 with errno set; that becomes -errno here.
 * The unit tests replace the two calls at link time (-Wl,--wrap, see
 * tests/unit/meson.build), so this file is tested without a GPU.
 */
#include <fcntl.h>

#include <libvshmem/vshmem-drm.h>

#include "internal.h"

#ifdef HAVE_LIBDRM
#include <xf86drm.h>

/* libdrm's -1 + errno, as -errno. */
static int drm_err(int ret)
{
	return ret ? (errno > 0 ? -errno : -EIO) : 0;
}

VSHMEM_API int vshmem_drm_import(int drm_fd, const struct vshmem_buf *buf,
				 uint32_t *ret_handle)
{
	uint32_t handle = 0;
	int ret;

	if (!buf || !ret_handle)
		return vshmem_err(-EINVAL);
	if (drm_fd < 0)
		return vshmem_err(-EBADF);
	ret = drm_err(drmPrimeFDToHandle(drm_fd, buf->fd, &handle));
	if (ret < 0)
		return vshmem_err(ret);
	*ret_handle = handle;
	return 0;
}

VSHMEM_API int vshmem_drm_export(int drm_fd, uint32_t handle,
				 const struct vshmem_import_opts *opts,
				 struct vshmem_buf **ret_buf)
{
	int fd = -1, ret;

	if (!ret_buf)
		return vshmem_err(-EINVAL);
	if (drm_fd < 0)
		return vshmem_err(-EBADF);
	ret = OPTS_VALID(opts, vshmem_import_opts);
	if (ret < 0)
		return vshmem_err(ret);
	ret = drm_err(drmPrimeHandleToFD(drm_fd, handle, DRM_CLOEXEC | DRM_RDWR,
					 &fd));
	if (ret < 0)
		return vshmem_err(ret);
	ret = vshmem_buf_import(fd, opts, ret_buf);
	if (ret < 0)
		vshmem_sys_close(fd);	/* import did not take it */
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
