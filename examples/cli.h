/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command line conventions shared by vshmem-offer, vshmem-accept and
 * vshmem-bench: exit codes, messages, and the parsers of numbers, sizes,
 * CIDs, ports and CID:PORT addresses. Not part of the library: this file
 * and cli.c call nothing of libvshmem.
 */
#ifndef VSHMEM_CLI_H
#define VSHMEM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Exit codes of all three tools (docs/vshmem-*.1, EXIT STATUS).
 */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* something failed */
	EXIT_USAGE = 2,		/* bad command line: bad value, missing operand,
				 * unusable output path */
	EXIT_UNSUPPORTED = 3,	/* no vsock transport, no dma-buf heap, the
				 * kernel or the transport cannot do it */
	EXIT_VERIFY = 4,	/* the peer or the data were not what they
				 * should be (verification failed) */
};

/*
 * Option letters: one meaning in every tool.
 *   -h help  -V version  -q quiet  -S stream (SOCK_STREAM)
 *   -s size  -k kind  -f file  -i id  -T tag  -z clear  -r readonly
 *   -R reclaim-after  -c cid  -n count  -o output  -H hold
 *   -p peer (CID:PORT)  -m max-size  -t time  -j json  -u uds (a
 *   vhost-user-vsock --uds-path, on a VM's host)
 * --seed and --suite have no short letter.
 */

extern const char *prog;	/* program name in messages */
extern bool quiet;		/* -q: no info() lines */

/* Progress and results on stdout; hidden by -q. */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: warning: ..." on stderr; never hidden. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: ...[: strerror(err)]" on stderr; err may be negative or 0. */
void error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An indented follow-up line of an error ("  what to do") on stderr. */
void hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The exit code for a failure with -errno err: EXIT_UNSUPPORTED when the
 * kernel or the transport lacks something, else EXIT_ERROR. */
int cli_exit_code(int err);

/*
 * Parsers. Each returns 0 and sets *ret, or a negative errno and leaves
 * *ret alone: -EINVAL (empty, sign, blanks, junk, unknown suffix), -ERANGE
 * (does not fit). *why (if why is not NULL) then says what is wrong.
 *
 * cli_parse_u64:  decimal digits, or 0x and hex digits; nothing else.
 * cli_parse_size: a cli_parse_u64 number and an optional suffix k, K, KiB
 *                 (2^10), M, MiB (2^20), G, GiB (2^30); not 0.
 * cli_parse_uint: a cli_parse_u64 number of at most max.
 * cli_parse_cid:  a 32-bit number, or a name: any (-1U), hypervisor (0),
 *                 local (1), host (2).
 * cli_parse_port: a 32-bit number, or any (-1U: the kernel picks one).
 * cli_parse_addr: CID:PORT, each as above.
 */
int cli_parse_u64(const char *s, uint64_t *ret, const char **why);
int cli_parse_size(const char *s, uint64_t *ret, const char **why);
int cli_parse_uint(const char *s, uint64_t max, uint64_t *ret, const char **why);
int cli_parse_cid(const char *s, unsigned int *ret, const char **why);
int cli_parse_port(const char *s, unsigned int *ret, const char **why);
int cli_parse_addr(const char *s, unsigned int *cid, unsigned int *port,
		   const char **why);

/*
 * The same for an option's argument, with the message: these print
 * "PROG: bad OPT 'ARG': WHY" on stderr and return -1 on a bad value.
 */
int cli_opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max,
		uint64_t *ret);
int cli_opt_size(const char *opt, const char *arg, uint64_t *ret);
int cli_opt_addr(const char *opt, const char *arg, unsigned int *cid,
		 unsigned int *port);
int cli_opt_cid(const char *opt, const char *arg, unsigned int *ret);
/* A time in milliseconds, from min to a day (86400000). */
int cli_opt_ms(const char *opt, const char *arg, int min, int *ret);
int cli_opt_port(const char *opt, const char *arg, unsigned int *ret);
/* A path that must not be empty (it is checked where it is used). */
int cli_opt_path(const char *opt, const char *arg, const char **ret);

/* An output file: its directory must exist and be writable, and the file
 * (if it exists) writable and not a directory. Returns 0, or prints why
 * not and returns -1. Checked before any waiting. */
int cli_check_output(const char *opt, const char *path);

/*
 * The options every tool has: -q (quiet), -h (usage(stdout), exit 0) and
 * -V ("PROG (libvshmem VERSION)", exit 0). Returns true if c, a getopt
 * result, was one of them.
 */
bool cli_common_opt(int c, void (*usage)(FILE *f), const char *version);

/* Their long options, the end of every tool's getopt_long() table. */
#define CLI_COMMON_LONGOPTS				\
	{ "quiet", no_argument, NULL, 'q' },		\
	{ "help", no_argument, NULL, 'h' },		\
	{ "version", no_argument, NULL, 'V' },		\
	{ NULL, 0, NULL, 0 }

/* The usage error epilogue: "Try 'PROG --help'." on stderr; EXIT_USAGE. */
int cli_usage_error(void);

#endif
