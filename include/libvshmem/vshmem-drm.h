/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file vshmem-drm.h
 * @brief PRIME glue: use a libvshmem buffer in a DRM device and wrap a DRM
 *        buffer object as a libvshmem buffer.
 *
 * The GEM handle's lifetime is the caller's business. As libdrm warns,
 * PRIME import returns the same handle for the same buffer on one DRM fd
 * and does no reference counting: code that shares a DRM fd must agree on
 * who closes (DRM_IOCTL_GEM_CLOSE) a handle. Built without libdrm, every
 * function returns -EOPNOTSUPP.
 */
#ifndef LIBVSHMEM_VSHMEM_DRM_H
#define LIBVSHMEM_VSHMEM_DRM_H

#include <libvshmem/vshmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Import a buffer into a DRM device (PRIME fd to GEM handle).
 * @param drm_fd An open DRM device, *borrowed*.
 * @param buf The buffer; its fd stays the buffer's.
 * @param ret_handle Set to the GEM handle on success.
 * @return 0, -EINVAL, -EBADF, -errno from the driver.
 * @since 0.1
 */
int vshmem_drm_import(int drm_fd, const struct vshmem_buf *buf,
		      uint32_t *ret_handle);

/**
 * @brief Export a GEM handle as a buffer (PRIME handle to fd, read/write,
 *        close-on-exec).
 * @param drm_fd An open DRM device, *borrowed*.
 * @param handle GEM handle (still the caller's).
 * @param opts NULL or import options (e.g. the kind).
 * @param ret_buf Set to the new buffer, which owns the new fd.
 * @return 0, -EINVAL, -E2BIG, -ENOENT (no such handle), -errno.
 * @since 0.1
 */
int vshmem_drm_export(int drm_fd, uint32_t handle,
		      const struct vshmem_import_opts *opts,
		      struct vshmem_buf **ret_buf);

#ifdef __cplusplus
}
#endif

#endif /* LIBVSHMEM_VSHMEM_DRM_H */
