// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for option parsing:
 *
 *  - the library's sized option structs (lib/common.c, vshmem_opts_check()):
 *    whatever `sz` and tail bytes a caller passes, the check reads only
 *    sz bytes and answers exactly: -EINVAL for sz < sizeof(size_t), -E2BIG
 *    for a non-zero byte past the fields this library knows, else 0. Run
 *    for the known size of every option struct of vshmem.h;
 *  - the command line parsers of vshmem-offer, vshmem-accept and
 *    vshmem-bench (examples/cli.c: cli_parse_u64(), cli_parse_size(),
 *    cli_parse_addr(), cli_parse_port(), behind --id, --tag, --size,
 *    --max-size, --peer, CID:PORT...): an argument is accepted if and only
 *    if it is a plain number (decimal or 0x hex; for sizes with one suffix
 *    of k K KiB M MiB G GiB; for CIDs and ports 32 bits or a documented
 *    name) that fits, and then it is exactly that number: no sign, no
 *    blanks, never a wrapped-around value; a refusal always says why.
 *
 * The first input byte picks what to fuzz (% 5: opts check, number,
 * size, CID:PORT, port); the rest is the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/internal.h"
#include "../../examples/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t known_sizes[] = {
	offsetofend(struct vshmem_alloc_opts, vshmem_alloc_opts__last_field),
	offsetofend(struct vshmem_import_opts, vshmem_import_opts__last_field),
	offsetofend(struct vshmem_channel_opts, vshmem_channel_opts__last_field),
	offsetofend(struct vshmem_recv_opts, vshmem_recv_opts__last_field),
	offsetofend(struct vshmem_offer_opts, vshmem_offer_opts__last_field),
};

/* A caller's option struct: the input bytes, with sz taken from the
 * input but never larger than the bytes there are (that would be the
 * caller's bug, not the library's). Exactly sz bytes on the heap, so ASan
 * sees a read past them. */
static void fuzz_opts_check(const uint8_t *data, size_t size)
{
	size_t sz, known;
	unsigned char *opts;
	int ret, want;

	if (size < 1 + sizeof(size_t))
		return;
	known = known_sizes[data[0] % ARRAY_SIZE(known_sizes)];
	data++, size--;
	memcpy(&sz, data, sizeof(sz));
	sz = sz % (size + 1);
	opts = malloc(sz < sizeof(size_t) ? sizeof(size_t) : sz);
	if (!opts)
		return;
	memcpy(opts, data, sz < sizeof(size_t) ? sizeof(size_t) : sz);
	memcpy(opts, &sz, sizeof(sz));

	want = 0;
	if (sz < sizeof(size_t))
		want = -EINVAL;
	else
		for (size_t i = known; i < sz; i++)
			if (opts[i])
				want = -E2BIG;
	ret = vshmem_opts_check(opts, known);
	if (ret != want)
		abort();
	free(opts);
}

/* The same number, parsed the long way: decimal, or 0x and hex digits,
 * then (units) an optional suffix; -1 if it is not one or does not fit. */
static int reference_parse(const char *s, bool units, uint64_t *ret)
{
	static const char *const suffix[] = { "", "k", "K", "KiB", "M", "MiB", "G", "GiB" };
	static const unsigned int shift[] = { 0, 10, 10, 10, 20, 20, 30, 30 };
	unsigned int base = 10;
	uint64_t v = 0;
	const char *p = s;
	bool digits = false;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			d = (unsigned int)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -1;
		digits = true;
	}
	if (!digits)
		return -1;
	if (!units) {
		if (*p)
			return -1;
		*ret = v;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
		if (strcmp(p, suffix[i]))
			continue;
		if (v > UINT64_MAX >> shift[i])
			return -1;
		*ret = v << shift[i];
		return 0;
	}
	return -1;
}

static char *cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

static void fuzz_number(const uint8_t *data, size_t size, bool units)
{
	uint64_t got = 0x5a5a5a5a5a5a5a5aULL, want = 0;
	const char *why = NULL;
	char *s = cstring(data, size);
	int ret, ref;

	if (!s)
		return;
	ret = units ? cli_parse_size(s, &got, &why) : cli_parse_u64(s, &got, &why);
	ref = reference_parse(s, units, &want);
	if (units && ref == 0 && want == 0)
		ref = -1;		/* a size of 0 is refused */
	if ((ret == 0) != (ref == 0))
		abort();		/* accepted a malformed one, or refused a good one */
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE)
		abort();
	if (ret != 0 && (!why || !*why))
		abort();		/* a refusal must say why */
	if (ret == 0 && got != want)
		abort();		/* not the number written (wrapped?) */
	if (ret != 0 && got != 0x5a5a5a5a5a5a5a5aULL)
		abort();		/* *ret written on failure */
	free(s);
}

/* A CID or a port: a name, or a number of 32 bits. */
static int reference_u32(const char *s, bool cid, unsigned int *ret)
{
	static const char *const names[] = { "any", "hypervisor", "local", "host" };
	static const unsigned int values[] = { -1U, 0, 1, 2 };
	uint64_t v;

	for (size_t i = 0; i < (cid ? ARRAY_SIZE(names) : 1); i++) {
		if (!strcmp(s, names[i])) {
			*ret = values[i];
			return 0;
		}
	}
	if (reference_parse(s, false, &v) < 0 || v > UINT32_MAX)
		return -1;
	*ret = (unsigned int)v;
	return 0;
}

/* CID:PORT (cli_parse_addr) or, without a colon in the input, a port. */
static void fuzz_addr(const uint8_t *data, size_t size, bool addr)
{
	unsigned int cid = 7, port = 7, want_cid = 0, want_port = 0;
	const char *why = NULL;
	char *s = cstring(data, size), *colon;
	int ret, ref;

	if (!s)
		return;
	if (addr) {
		ret = cli_parse_addr(s, &cid, &port, &why);
		colon = strchr(s, ':');
		ref = -1;
		if (colon) {
			*colon = '\0';
			ref = reference_u32(s, true, &want_cid) < 0 ||
			      reference_u32(colon + 1, false, &want_port) < 0 ? -1 : 0;
		}
	} else {
		ret = cli_parse_port(s, &port, &why);
		ref = reference_u32(s, false, &want_port);
		want_cid = cid;
	}
	if ((ret == 0) != (ref == 0))
		abort();
	if (ret != 0 && (!why || !*why))
		abort();
	if (ret == 0 && (cid != want_cid || port != want_port))
		abort();
	if (ret != 0 && (cid != 7 || port != 7))
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		fuzz_opts_check(data + 1, size - 1);
		break;
	case 1:
		fuzz_number(data + 1, size - 1, false);
		break;
	case 2:
		fuzz_number(data + 1, size - 1, true);
		break;
	case 3:
		fuzz_addr(data + 1, size - 1, true);
		break;
	case 4:
		fuzz_addr(data + 1, size - 1, false);
		break;
	}
	return 0;
}
