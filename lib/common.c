// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Small things every object uses: option struct checks, version, names,
 * and the optional log callback.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include <libvshmem/version.h>

/* Sized option structs: a caller built against an older header passes a
 * shorter struct (fine), a newer one a longer struct whose tail must be
 * zero, otherwise we would silently ignore something it asked for. */
int vshmem_opts_check(const void *opts, size_t known_sz)
{
	const unsigned char *p = opts;
	size_t sz;

	if (!opts)
		return 0;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t))
		return -EINVAL;
	for (size_t i = known_sz; i < sz; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}

VSHMEM_API const char *vshmem_version(void)
{
	return VSHMEM_VERSION_STRING;
}

/* Everything the library knows per kind, in one table: its name and the
 * heaps that enforce it (DESIGN.md section 1). The kernel's numbering is
 * uapi.h's business. */
static const struct vshmem_kind_info kinds[] = {
	[VSHMEM_KIND_SHARE] = {
		.name = "share",
		.heaps = { "system" },
		/* No system heap means no dma-buf heaps at all. */
		.no_heap_err = -ENOENT,
	},
	[VSHMEM_KIND_LEND] = {
		.name = "lend",
		.heaps = { "lend", "lend-nomap" },
		/* This kernel cannot lend; sharing instead would break the
		 * caller's assumption. */
		.no_heap_err = -EOPNOTSUPP,
	},
	[VSHMEM_KIND_SEND_SECURE] = {
		.name = "send-secure",
		/* No heap allocates it: only buffers that already carry a
		 * handle can be sent on. */
		.no_heap_err = -EOPNOTSUPP,
	},
};

const struct vshmem_kind_info *vshmem_kind_info(int kind)
{
	return vshmem_kind_valid(kind) ? &kinds[kind] : NULL;
}

int vshmem_heap_name_kind(const char *name)
{
	for (int k = VSHMEM_KIND_FIRST; k <= VSHMEM_KIND_LAST; k++)
		for (size_t i = 0; i < ARRAY_SIZE(kinds[k].heaps); i++)
			if (kinds[k].heaps[i] && !strcmp(kinds[k].heaps[i], name))
				return k;
	return 0;
}

VSHMEM_API const char *vshmem_kind_name(int kind)
{
	const struct vshmem_kind_info *k = vshmem_kind_info(kind);

	return k ? k->name : "unknown";
}

void vshmem_log(const struct vshmem_channel *ch, int level,
		const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!ch || !ch->log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ch->log_fn(ch->log_data, level, line);
}
