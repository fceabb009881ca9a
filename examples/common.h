/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the example tools (not part of the library). */
#ifndef VSHMEM_EXAMPLES_COMMON_H
#define VSHMEM_EXAMPLES_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of both tools. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* something failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_UNSUPPORTED = 3,	/* no such heap, transport cannot do it */
	EXIT_VERIFY = 4,	/* the data was not what it should be */
};

/* What the lender tells the borrower in the offer's data bytes. */
#define HEADER_FMT "vshmem-example v1 size=%llu seed=%u sum=%llx"

extern const char *prog;
extern bool quiet;

void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int parse_u64(const char *s, uint64_t *ret);
int parse_size(const char *s, uint64_t *ret);

/* Pattern, checksum and copies, with progress lines for big buffers. */
void fill_pattern(void *p, uint64_t size, unsigned int seed);
uint64_t check_pattern(const void *p, uint64_t size, unsigned int seed);
uint64_t checksum(const void *p, uint64_t size);
bool all_zero(const void *p, uint64_t size);

/* Read one byte; false if that faults (SIGBUS/SIGSEGV): used to show that
 * a lent buffer is out of the lender's reach. */
bool guarded_read(const volatile unsigned char *p, unsigned char *ret);

#endif
