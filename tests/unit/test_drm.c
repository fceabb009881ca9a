// SPDX-License-Identifier: LGPL-2.1-or-later
/* drm.c: PRIME import/export. libdrm's two PRIME calls are wrapped at
 * link time (-Wl,--wrap, tests/unit/meson.build) by versions that issue
 * the ioctl through the fake syscall layer and answer as libdrm does:
 * 0, or -1 with errno set. */
#include "test_common.h"
#include <fcntl.h>
#include <libdrm/drm.h>
#include "../../lib/internal.h"
#include <libvshmem/vshmem-drm.h>

static int wrap_calls, wrap_flags, wrap_errno_zero;

int __wrap_drmPrimeFDToHandle(int fd, int prime_fd, uint32_t *handle);
int __wrap_drmPrimeHandleToFD(int fd, uint32_t handle, uint32_t flags,
			      int *prime_fd);

static int libdrm_ret(int ret)
{
	if (ret >= 0)
		return 0;
	errno = wrap_errno_zero ? 0 : -ret;
	return -1;
}

int __wrap_drmPrimeFDToHandle(int fd, int prime_fd, uint32_t *handle)
{
	struct drm_prime_handle args = { .fd = prime_fd };
	int ret;

	wrap_calls++;
	ret = vshmem_sys_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args);
	if (ret == 0)
		*handle = args.handle;
	return libdrm_ret(ret);
}

int __wrap_drmPrimeHandleToFD(int fd, uint32_t handle, uint32_t flags,
			      int *prime_fd)
{
	struct drm_prime_handle args = { .handle = handle, .flags = flags,
					 .fd = -1 };
	int ret;

	wrap_calls++;
	wrap_flags = (int)flags;
	ret = vshmem_sys_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &args);
	if (ret == 0)
		*prime_fd = args.fd;
	return libdrm_ret(ret);
}

static void test_import(void **state)
{
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	int drm = fake_new_fd(FK_DRM, 0), other = fake_new_fd(FK_OTHER, 0);
	uint32_t handle = 0;

	(void)state;
	wrap_calls = 0;
	assert_int_equal(vshmem_drm_import(drm, buf, &handle), 0);
	assert_int_equal(handle, 42);
	assert_int_equal(wrap_calls, 1);	/* through libdrm */
	assert_int_equal(vshmem_drm_import(-1, buf, &handle), -EBADF);
	assert_int_equal(vshmem_drm_import(drm, NULL, &handle), -EINVAL);
	assert_int_equal(vshmem_drm_import(drm, buf, NULL), -EINVAL);
	assert_int_equal(vshmem_drm_import(other, buf, &handle), -ENOTTY);
	/* libdrm failed without setting errno: still an error */
	wrap_errno_zero = 1;
	assert_int_equal(vshmem_drm_import(other, buf, &handle), -EIO);
	wrap_errno_zero = 0;
	vshmem_buf_close(buf);
	close(drm);
	close(other);
}

static void test_export(void **state)
{
	struct { struct vshmem_import_opts o; uint64_t more; } big = {
		.o = { .sz = sizeof(big) }, .more = 1 };
	VSHMEM_OPTS(vshmem_import_opts, opts, .kind = VSHMEM_KIND_SHARE);
	int drm = fake_new_fd(FK_DRM, 0);
	struct vshmem_buf *buf = NULL;

	(void)state;
	wrap_calls = 0;
	assert_int_equal(vshmem_drm_export(drm, 42, &opts, &buf), 0);
	assert_int_equal(wrap_calls, 1);	/* through libdrm */
	assert_int_equal(wrap_flags, DRM_CLOEXEC | DRM_RDWR);
	assert_int_equal(vshmem_buf_get_size(buf), 8192);
	assert_int_equal(vshmem_buf_get_kind(buf), VSHMEM_KIND_SHARE);
	vshmem_buf_close(buf);
	buf = NULL;
	assert_int_equal(vshmem_drm_export(drm, 7, NULL, &buf), -ENOENT);
	/* the driver hands out something that is not a dma-buf: closed */
	assert_int_equal(vshmem_drm_export(drm, 43, NULL, &buf), -EINVAL);
	assert_int_equal(vshmem_drm_export(drm, 42, &big.o, &buf), -E2BIG);
	assert_int_equal(vshmem_drm_export(-1, 42, NULL, &buf), -EBADF);
	assert_int_equal(vshmem_drm_export(drm, 42, NULL, NULL), -EINVAL);
	assert_null(buf);
	close(drm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_import),
		T(test_export),
	};

	return cmocka_run_group_tests_name("drm", tests, NULL, NULL);
}
