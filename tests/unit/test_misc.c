// SPDX-License-Identifier: LGPL-2.1-or-later
/* common.c: option struct rules, version, kind names. */
#include "test_common.h"
#include "../../lib/internal.h"

/* What a newer caller would pass: our struct plus one field. */
struct newer_alloc_opts {
	size_t sz;
	const char *name;
	uint64_t future;
};

static void test_opts_rules(void **state)
{
	struct newer_alloc_opts n = { .sz = sizeof(n) };
	struct vshmem_alloc_opts small = { .sz = sizeof(size_t) };
	struct vshmem_alloc_opts bad = { .sz = 2 };

	(void)state;
	assert_int_equal(OPTS_VALID((struct vshmem_alloc_opts *)NULL, vshmem_alloc_opts), 0);
	assert_int_equal(OPTS_VALID(&small, vshmem_alloc_opts), 0);
	assert_int_equal(OPTS_VALID(&bad, vshmem_alloc_opts), -EINVAL);
	assert_int_equal(OPTS_VALID((struct vshmem_alloc_opts *)(void *)&n, vshmem_alloc_opts), 0);
	n.future = 1;
	assert_int_equal(OPTS_VALID((struct vshmem_alloc_opts *)(void *)&n, vshmem_alloc_opts), -E2BIG);
	/* an older, shorter struct: the missing field reads as default */
	{
		const struct vshmem_alloc_opts *o = &small;

		assert_null(OPTS_GET(o, name, NULL));
	}
}

static void test_opts_macro(void **state)
{
	VSHMEM_OPTS(vshmem_offer_opts, o, .tag = 7, .flags = VSHMEM_OFFER_F_CLEAR);

	(void)state;
	assert_int_equal(o.sz, sizeof(struct vshmem_offer_opts));
	assert_int_equal(o.tag, 7);
	assert_int_equal(o.id, 0);
	assert_null(o.data);
}

static void test_version(void **state)
{
	char v[32];

	(void)state;
	snprintf(v, sizeof(v), "%d.%d.%d", VSHMEM_VERSION_MAJOR,
		 VSHMEM_VERSION_MINOR, VSHMEM_VERSION_MICRO);
	assert_string_equal(vshmem_version(), v);
	assert_string_equal(vshmem_version(), VSHMEM_VERSION_STRING);
}

static void test_kind_name(void **state)
{
	(void)state;
	assert_string_equal(vshmem_kind_name(VSHMEM_KIND_SHARE), "share");
	assert_string_equal(vshmem_kind_name(VSHMEM_KIND_LEND), "lend");
	assert_string_equal(vshmem_kind_name(VSHMEM_KIND_SEND_SECURE), "send-secure");
	assert_string_equal(vshmem_kind_name(0), "unknown");
}

static void test_errno_is_set(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(vshmem_heap_open(NULL, NULL), -EINVAL);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_opts_rules),
		T(test_opts_macro),
		T(test_version),
		T(test_kind_name),
		T(test_errno_is_set),
	};

	return cmocka_run_group_tests_name("misc", tests, NULL, NULL);
}
