// SPDX-License-Identifier: LGPL-2.1-or-later
/* The command line conventions of the tools: see cli.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

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

/* One diagnostic line on stderr: "prog: <tag>message[: strerror]". */
__attribute__((format(printf, 3, 0)))
static void vsay(const char *tag, int err, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", prog, tag);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", 0, fmt, ap);
	va_end(ap);
}

void error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", err, fmt, ap);
	va_end(ap);
}

void hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("  ", 0, fmt, ap);
	va_end(ap);
}

int cli_exit_code(int err)
{
	switch (err < 0 ? -err : err) {
	case EOPNOTSUPP:	/* the kernel or the transport cannot do it */
	case ENOENT:		/* no such heap */
	case ENODEV:		/* no vsock transport to that CID */
	case EAFNOSUPPORT:	/* no AF_VSOCK at all */
	case ESOCKTNOSUPPORT:	/* no SOCK_SEQPACKET on this transport */
	case EPROTONOSUPPORT:
	case ENOPROTOOPT:	/* no SCM_VSOCK_SHMEM */
	case ENOSYS:
		return EXIT_UNSUPPORTED;
	}
	return EXIT_ERROR;
}

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

/* Digits of one number at s; *end is set past them. No sign, no blanks:
 * strtoull() alone would take " -1" as 2^64 - 1. */
static int parse_number(const char *s, const char **end, uint64_t *ret,
			const char **why)
{
	unsigned int base = 10, d;
	uint64_t v = 0;
	const char *p = s;

	if (!*s)
		return fail(why, "empty value", -EINVAL);
	if (*s == '-')
		return fail(why, "negative values are not allowed", -EINVAL);
	if (*s == '+' || *s == ' ' || *s == '\t')
		return fail(why, "expected a number (digits only)", -EINVAL);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (s = p;; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			d = (unsigned int)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return fail(why, "too large (more than 64 bits)", -ERANGE);
	}
	if (p == s)
		return fail(why, "expected a number (decimal, or hex with 0x)", -EINVAL);
	*end = p;
	*ret = v;
	return 0;
}

int cli_parse_u64(const char *s, uint64_t *ret, const char **why)
{
	const char *end;
	uint64_t v;
	int err = parse_number(s, &end, &v, why);

	if (err)
		return err;
	if (*end)
		return fail(why, "junk after the number", -EINVAL);
	*ret = v;
	return 0;
}

int cli_parse_uint(const char *s, uint64_t max, uint64_t *ret, const char **why)
{
	uint64_t v;
	int err = cli_parse_u64(s, &v, why);

	if (err)
		return err;
	if (v > max)
		return fail(why, "out of range", -ERANGE);
	*ret = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *ret, const char **why)
{
	static const struct {
		const char *suffix;
		unsigned int shift;
	} units[] = {
		{ "", 0 }, { "k", 10 }, { "K", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MiB", 20 }, { "G", 30 }, { "GiB", 30 },
	};
	const char *end;
	uint64_t v;
	int err = parse_number(s, &end, &v, why);

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (v > UINT64_MAX >> units[i].shift)
			return fail(why, "too large (more than 64 bits)", -ERANGE);
		if (!v)
			return fail(why, "a size must be at least 1", -ERANGE);
		*ret = v << units[i].shift;
		return 0;
	}
	return fail(why, "unknown suffix (use k, K, KiB, M, MiB, G or GiB)", -EINVAL);
}

/* A 32-bit number; @range_why says what an out-of-range one is. */
static int parse_u32(const char *s, const char *range_why, unsigned int *ret,
		     const char **why)
{
	uint64_t v;
	int err = cli_parse_uint(s, UINT32_MAX, &v, why);

	if (err == -ERANGE && why)
		*why = range_why;
	if (err)
		return err;
	*ret = (unsigned int)v;
	return 0;
}

int cli_parse_cid(const char *s, unsigned int *ret, const char **why)
{
	static const struct {
		const char *name;
		unsigned int cid;
	} names[] = {
		{ "any", -1U }, { "hypervisor", 0 }, { "local", 1 }, { "host", 2 },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*ret = names[i].cid;
			return 0;
		}
	}
	return parse_u32(s, "out of range (a CID has 32 bits)", ret, why);
}

int cli_parse_port(const char *s, unsigned int *ret, const char **why)
{
	if (!strcmp(s, "any")) {
		*ret = -1U;
		return 0;
	}
	return parse_u32(s, "out of range (a port has 32 bits)", ret, why);
}

int cli_parse_addr(const char *s, unsigned int *cid, unsigned int *port,
		   const char **why)
{
	const char *colon = strchr(s, ':');
	unsigned int c = 0, p = 0;
	char *cid_str;
	int err;

	if (!colon)
		return fail(why, "expected CID:PORT", -EINVAL);
	cid_str = strndup(s, (size_t)(colon - s));	/* any length: 000...01 */
	if (!cid_str)
		return fail(why, "out of memory", -ENOMEM);
	err = cli_parse_cid(cid_str, &c, why);
	free(cid_str);
	if (!err)
		err = cli_parse_port(colon + 1, &p, why);
	if (err)
		return err;
	*cid = c;
	*port = p;
	return 0;
}

static int bad(const char *opt, const char *arg, const char *why)
{
	error(0, "bad %s '%s': %s", opt, arg, why);
	return -1;
}

int cli_opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max,
		uint64_t *ret)
{
	const char *why = NULL;
	uint64_t v = 0;

	if (cli_parse_uint(arg, max, &v, &why) < 0)
		return bad(opt, arg, why);
	if (v < min) {
		error(0, "bad %s '%s': at least %llu", opt, arg, (unsigned long long)min);
		return -1;
	}
	*ret = v;
	return 0;
}

int cli_opt_ms(const char *opt, const char *arg, int min, int *ret)
{
	uint64_t v;

	if (cli_opt_u64(opt, arg, (uint64_t)min, 86400000, &v) < 0)
		return -1;
	*ret = (int)v;
	return 0;
}

int cli_opt_size(const char *opt, const char *arg, uint64_t *ret)
{
	const char *why = NULL;

	return cli_parse_size(arg, ret, &why) < 0 ? bad(opt, arg, why) : 0;
}

int cli_opt_addr(const char *opt, const char *arg, unsigned int *cid,
		 unsigned int *port)
{
	const char *why = NULL;

	return cli_parse_addr(arg, cid, port, &why) < 0 ? bad(opt, arg, why) : 0;
}

int cli_opt_cid(const char *opt, const char *arg, unsigned int *ret)
{
	const char *why = NULL;

	return cli_parse_cid(arg, ret, &why) < 0 ? bad(opt, arg, why) : 0;
}

int cli_opt_port(const char *opt, const char *arg, unsigned int *ret)
{
	const char *why = NULL;

	return cli_parse_port(arg, ret, &why) < 0 ? bad(opt, arg, why) : 0;
}

int cli_opt_path(const char *opt, const char *arg, const char **ret)
{
	if (!*arg)
		return bad(opt, arg, "a path is needed");
	*ret = arg;
	return 0;
}

int cli_check_output(const char *opt, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!*path) {
		error(0, "bad %s '': empty path", opt);
		return -1;
	}
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode)) {
			error(0, "bad %s '%s': is a directory (give a file name)", opt, path);
			return -1;
		}
		if (access(path, W_OK) < 0) {
			error(errno, "bad %s '%s': cannot write it", opt, path);
			return -1;
		}
		return 0;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error(0, "bad %s '%s': directory %s does not exist (create it first)",
		      opt, path, dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		error(errno, "bad %s '%s': cannot create files in %s", opt, path, dir);
		return -1;
	}
	return 0;
}

bool cli_common_opt(int c, void (*usage)(FILE *f), const char *version)
{
	switch (c) {
	case 'q':
		quiet = true;
		return true;
	case 'h':
		usage(stdout);
		exit(EXIT_OK);
	case 'V':
		printf("%s (libvshmem %s)\n", prog, version);
		exit(EXIT_OK);
	default:
		return false;
	}
}

int cli_usage_error(void)
{
	fprintf(stderr, "Try '%s --help'.\n", prog);
	return EXIT_USAGE;
}
