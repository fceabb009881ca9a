// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Small things every object uses: option struct checks, version, names,
 * and the optional log callback.
 */
#include <stdio.h>

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

VSHMEM_API const char *vshmem_kind_name(int kind)
{
	switch (kind) {
	case VSHMEM_KIND_SHARE:
		return "share";
	case VSHMEM_KIND_LEND:
		return "lend";
	case VSHMEM_KIND_SEND_SECURE:
		return "send-secure";
	}
	return "unknown";
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
