// SPDX-License-Identifier: LGPL-2.1-or-later
/* drm.c: PRIME import/export through the syscall seam. */
#include "test_common.h"
#include <libvshmem/vshmem-drm.h>

static void test_import(void **state)
{
	struct vshmem_buf *buf = alloc_buf("system", 4096);
	int drm = fake_new_fd(FK_DRM, 0), other = fake_new_fd(FK_OTHER, 0);
	uint32_t handle = 0;

	(void)state;
	assert_int_equal(vshmem_drm_import(drm, buf, &handle), 0);
	assert_int_equal(handle, 42);
	assert_int_equal(vshmem_drm_import(-1, buf, &handle), -EBADF);
	assert_int_equal(vshmem_drm_import(drm, NULL, &handle), -EINVAL);
	assert_int_equal(vshmem_drm_import(drm, buf, NULL), -EINVAL);
	assert_int_equal(vshmem_drm_import(other, buf, &handle), -ENOTTY);
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
	assert_int_equal(vshmem_drm_export(drm, 42, &opts, &buf), 0);
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
