// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for option parsing:
 *
 *  - the library's sized option structs (lib/common.c, vshmem_opts_check()):
 *    whatever `sz` and tail bytes a caller passes, the check reads only
 *    sz bytes and answers exactly: -EINVAL for sz < sizeof(size_t), -E2BIG
 *    for a non-zero byte past the fields this library knows, else 0. Run
 *    for the known size of every option struct of vshmem.h;
 *  - the example tools' number and size arguments (examples/common.c,
 *    parse_u64() and parse_size(), behind --id, --tag, --size, CID:PORT...):
 *    an argument is accepted if and only if it is a plain number (decimal,
 *    0x hex or 0 octal; for sizes with one K/M/G) that fits in 64 bits,
 *    and then it is exactly that number: no sign, no blanks, never a
 *    wrapped-around value.
 *
 * The first input byte picks what to fuzz; the rest is the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/internal.h"
#include "../../examples/common.h"

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

/* The same number, parsed the long way: digits in base 0 (0x, 0 octal),
 * then an optional unit; -1 if it is not a number or does not fit. */
static int reference_parse(const char *s, bool units, uint64_t *ret)
{
	unsigned int base = 10;
	uint64_t v = 0;
	const char *p = s;
	bool digits = false;

	if (*p == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    ((p[2] >= '0' && p[2] <= '9') || ((p[2] | 0x20) >= 'a' && (p[2] | 0x20) <= 'f'))) {
		base = 16;
		p += 2;
	} else if (*p == '0') {
		base = 8;
	}
	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			d = (unsigned int)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -1;
		digits = true;
	}
	if (!digits)
		return -1;
	if (units && *p) {
		const char *u = strchr("KMG", *p);

		if (!u || !*u || p[1])
			return -1;
		if (__builtin_mul_overflow(v, UINT64_C(1) << (10 * (u - "KMG" + 1)), &v))
			return -1;
		p++;
	}
	if (*p)
		return -1;
	*ret = v;
	return 0;
}

static void fuzz_number(const uint8_t *data, size_t size, bool units)
{
	uint64_t got = 0x5a5a5a5a5a5a5a5aULL, want = 0;
	char *s = malloc(size + 1);
	int ret, ref;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	ret = units ? parse_size(s, &got) : parse_u64(s, &got);
	ref = reference_parse(s, units, &want);
	if (units && ref == 0 && want == 0)
		ref = -1;		/* a size of 0 is refused */
	if (ret != (ref == 0 ? 0 : -EINVAL))
		abort();		/* accepted a malformed one, or refused a good one */
	if (ret == 0 && got != want)
		abort();		/* not the number written (wrapped?) */
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_opts_check(data + 1, size - 1);
		break;
	case 1:
		fuzz_number(data + 1, size - 1, false);
		break;
	case 2:
		fuzz_number(data + 1, size - 1, true);
		break;
	}
	return 0;
}
