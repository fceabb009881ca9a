// SPDX-License-Identifier: LGPL-2.1-or-later
/* heap.c: listing, open by name, the kind policy. */
#include "test_common.h"

static void test_list(void **state)
{
	char **names = NULL;

	(void)state;
	fake.heaps[0] = "lend";
	fake.heaps[1] = "system";
	assert_int_equal(vshmem_heap_list(&names), 2);
	assert_string_equal(names[0], "lend");
	assert_string_equal(names[1], "system");
	assert_null(names[2]);
	vshmem_heap_list_free(names);
	vshmem_heap_list_free(NULL);
	assert_int_equal(vshmem_heap_list(NULL), -EINVAL);
}

static void test_list_no_dir(void **state)
{
	char **names = NULL;

	(void)state;
	fake.no_heap_dir = true;
	assert_int_equal(vshmem_heap_list(&names), 0);
	assert_non_null(names);
	assert_null(names[0]);
	vshmem_heap_list_free(names);
}

static void test_list_error(void **state)
{
	char **names = NULL;

	(void)state;
	fake_fail(FAKE_LIST_DIR, EACCES, 0);
	assert_int_equal(vshmem_heap_list(&names), -EACCES);
	assert_null(names);
}

static void test_open(void **state)
{
	struct vshmem_heap *heap = NULL;

	(void)state;
	assert_int_equal(vshmem_heap_open("system", &heap), 0);
	assert_string_equal(vshmem_heap_get_name(heap), "system");
	assert_int_equal(vshmem_heap_get_kind(heap), VSHMEM_KIND_SHARE);
	assert_int_equal(fake_kind_of(vshmem_heap_get_fd(heap)), FK_HEAP);
	vshmem_heap_close(heap);
	vshmem_heap_close(NULL);

	fake.heaps[1] = "cma";
	assert_int_equal(vshmem_heap_open("cma", &heap), 0);
	assert_int_equal(vshmem_heap_get_kind(heap), 0);	/* unknown */
	vshmem_heap_close(heap);
}

static void test_open_errors(void **state)
{
	struct vshmem_heap *heap = NULL;
	char longname[80];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(vshmem_heap_open(NULL, &heap), -EINVAL);
	assert_int_equal(vshmem_heap_open("system", NULL), -EINVAL);
	assert_int_equal(vshmem_heap_open("", &heap), -EINVAL);
	assert_int_equal(vshmem_heap_open("../x", &heap), -EINVAL);
	assert_int_equal(vshmem_heap_open(".", &heap), -EINVAL);
	assert_int_equal(vshmem_heap_open(longname, &heap), -EINVAL);
	assert_int_equal(vshmem_heap_open("nosuch", &heap), -ENOENT);
	fake_fail(FAKE_OPEN, EACCES, 0);
	assert_int_equal(vshmem_heap_open("system", &heap), -EACCES);
	assert_null(heap);
	assert_null(vshmem_heap_get_name(NULL));
	assert_int_equal(vshmem_heap_get_kind(NULL), -EINVAL);
	assert_int_equal(vshmem_heap_get_fd(NULL), -EINVAL);
}

static void test_open_kind_share(void **state)
{
	struct vshmem_heap *heap = NULL;

	(void)state;
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_SHARE, &heap), 0);
	assert_string_equal(vshmem_heap_get_name(heap), "system");
	vshmem_heap_close(heap);
	heap = NULL;
	fake.heaps[0] = "lend";		/* no system heap: no fallback */
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_SHARE, &heap), -ENOENT);
	assert_null(heap);
}

static void test_open_kind_lend(void **state)
{
	struct vshmem_heap *heap = NULL;

	(void)state;
	/* only the system heap: never a silent share */
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_LEND, &heap), -EOPNOTSUPP);
	assert_null(heap);

	fake.heaps[1] = "lend-nomap";
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_LEND, &heap), 0);
	assert_string_equal(vshmem_heap_get_name(heap), "lend-nomap");
	assert_int_equal(vshmem_heap_get_kind(heap), VSHMEM_KIND_LEND);
	vshmem_heap_close(heap);

	fake.heaps[2] = "lend";
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_LEND, &heap), 0);
	assert_string_equal(vshmem_heap_get_name(heap), "lend");
	vshmem_heap_close(heap);

	heap = NULL;
	fake_fail(FAKE_OPEN, EACCES, 0);
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_LEND, &heap), -EACCES);
	assert_null(heap);
}

static void test_open_kind_other(void **state)
{
	struct vshmem_heap *heap = NULL;

	(void)state;
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_SEND_SECURE, &heap), -EOPNOTSUPP);
	assert_int_equal(vshmem_heap_open_kind(0, &heap), -EINVAL);
	assert_int_equal(vshmem_heap_open_kind(VSHMEM_KIND_SHARE, NULL), -EINVAL);
	assert_null(heap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_list),
		T(test_list_no_dir),
		T(test_list_error),
		T(test_open),
		T(test_open_errors),
		T(test_open_kind_share),
		T(test_open_kind_lend),
		T(test_open_kind_other),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
