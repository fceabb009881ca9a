// SPDX-License-Identifier: LGPL-2.1-or-later
/* Helpers shared by vshmem-offer and vshmem-accept. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

const char *prog = "vshmem";
bool quiet;

void info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	printf("%s: ", prog);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

void error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
	va_end(ap);
}

/* A plain number: decimal, 0x hex or 0 octal. strtoull() alone would also
 * take leading blanks and a sign (" -1" is 2^64 - 1): refuse those. */
int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A number with an optional K, M or G; 0 and sizes past 2^64 - 1 are
 * refused (not wrapped around). */
int parse_size(const char *s, uint64_t *ret)
{
	static const char units[] = "KMG";
	unsigned int shift = 0;
	const char *u;
	uint64_t v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end) {
		u = strchr(units, *end);
		if (!u || !*u || end[1])
			return -EINVAL;
		shift = 10 * (unsigned int)(u - units + 1);
	}
	if (!v || v > UINT64_MAX >> shift)
		return -EINVAL;
	*ret = v << shift;
	return 0;
}

/* Progress on stderr in 10% steps, only for buffers of 64 MiB and more. */
static void progress(const char *what, uint64_t done, uint64_t size,
		     int *last)
{
	int pct;

	if (quiet || size < (64ULL << 20))
		return;
	pct = (int)(done * 10 / size) * 10;
	if (pct != *last) {
		fprintf(stderr, "%s: %s %d%%\n", prog, what, pct);
		*last = pct;
	}
}

#define CHUNK (1ULL << 20)

static uint64_t word_at(uint64_t off, unsigned int seed)
{
	/* Differs per 8-byte word and per seed, cheap to compute. */
	return (off * 0x9e3779b97f4a7c15ULL) ^ seed;
}

void fill_pattern(void *p, uint64_t size, unsigned int seed)
{
	unsigned char *b = p;
	int last = -1;

	for (uint64_t off = 0; off < size; off += 8) {
		uint64_t w = word_at(off, seed);

		memcpy(b + off, &w, size - off < 8 ? size - off : 8);
		if (off % CHUNK == 0)
			progress("filling", off, size, &last);
	}
	progress("filling", size, size, &last);
}

/* Returns the offset of the first wrong byte, or size if all is right. */
uint64_t check_pattern(const void *p, uint64_t size, unsigned int seed)
{
	const unsigned char *b = p;
	int last = -1;

	for (uint64_t off = 0; off < size; off += 8) {
		uint64_t w = word_at(off, seed);
		size_t n = size - off < 8 ? size - off : 8;

		if (memcmp(b + off, &w, n)) {
			for (size_t i = 0; i < n; i++)
				if (b[off + i] != ((unsigned char *)&w)[i])
					return off + i;
		}
		if (off % CHUNK == 0)
			progress("checking", off, size, &last);
	}
	progress("checking", size, size, &last);
	return size;
}

uint64_t checksum(const void *p, uint64_t size)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	int last = -1;

	for (uint64_t i = 0; i < size; i++) {
		h = (h ^ b[i]) * 0x100000001b3ULL;
		if (i % CHUNK == 0)
			progress("checksum", i, size, &last);
	}
	return h;
}

bool all_zero(const void *p, uint64_t size)
{
	const unsigned char *b = p;

	for (uint64_t i = 0; i < size; i++)
		if (b[i])
			return false;
	return true;
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

bool guarded_read(const volatile unsigned char *p, unsigned char *ret)
{
	struct sigaction sa = { .sa_handler = on_fault }, old_bus, old_segv;
	bool ok;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	if (sigsetjmp(fault_jmp, 1) == 0) {
		*ret = *p;
		ok = true;
	} else {
		ok = false;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return ok;
}
