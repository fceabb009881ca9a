// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The command line parsers shared by vshmem-offer, vshmem-accept and
 * vshmem-bench (examples/cli.c). Plain C with TAP output: each case is
 * one defect of issue 20 that must not come back, or a value that must
 * keep working.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../examples/cli.h"

static unsigned int n, failed;

static void __attribute__((format(printf, 2, 3))) ok(int cond, const char *fmt, ...)
{
	va_list ap;

	n++;
	if (!cond)
		failed++;
	printf("%sok %u - ", cond ? "" : "not ", n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	const char *why = NULL;
	int ret = cli_parse_size(s, &v, &why);

	ok(ret == 0 && v == want, "size '%s' accepted with its value", s);
}

static void size_bad(const char *s, int err)
{
	uint64_t v = 12345;
	const char *why = NULL;
	int ret = cli_parse_size(s, &v, &why);

	ok(ret == err && v == 12345 && why && *why, "size '%s' refused, with a reason", s);
}

static void u64_case(const char *s, int err, uint64_t want)
{
	uint64_t v = 7;
	const char *why = NULL;
	int ret = cli_parse_u64(s, &v, &why);

	ok(ret == err && v == (err ? 7 : want) && (!err || (why && *why)),
	   "number '%s'", s);
}

static void addr_case(const char *s, int err, unsigned int cid, unsigned int port)
{
	unsigned int c = 7, p = 7;
	const char *why = NULL;
	int ret = cli_parse_addr(s, &c, &p, &why);

	ok(ret == err && (err ? c == 7 && p == 7 && why && *why :
			  c == cid && p == port), "CID:PORT '%s'", s);
}

static void port_case(const char *s, int err, unsigned int port)
{
	unsigned int p = 7;
	const char *why = NULL;
	int ret = cli_parse_port(s, &p, &why);

	ok(ret == err && p == (err ? 7 : port), "port '%s'", s);
}

/* Warnings go to stderr and -q (quiet) does not hide them; info() goes
 * to stdout and -q does. */
/* cli_opt_ms with minimum min: rc, and *ret (7 before the call) after it */
static void ms_case(const char *s, int min, int rc, int want)
{
	int v = 7;
	int ret = cli_opt_ms("--ms", s, min, &v);

	ok(ret == rc && v == want, "ms '%s' (at least %d): %d, %d", s, min, ret, v);
}

static void messages(void)
{
	char out[] = "/tmp/vshmem-cli-out.XXXXXX", err[] = "/tmp/vshmem-cli-err.XXXXXX";
	int ofd = mkstemp(out), efd = mkstemp(err);
	int saved_out = dup(1), saved_err = dup(2);
	char buf[256] = "";
	FILE *f;

	if (ofd < 0 || efd < 0 || saved_out < 0 || saved_err < 0) {
		ok(0, "%s", "temporary files");
		return;
	}
	fflush(stdout);
	dup2(ofd, 1);
	dup2(efd, 2);
	prog = "test";
	quiet = true;
	info("an info line");
	warn("no shared memory support");
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	quiet = false;
	ok(lseek(ofd, 0, SEEK_END) == 0, "%s", "quiet: info() prints nothing on stdout");
	f = fopen(err, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	ok(!strcmp(buf, "test: warning: no shared memory support\n"), "%s",
	   "quiet: warn() still prints on stderr");
	close(ofd);
	close(efd);
	close(saved_out);
	close(saved_err);
	unlink(out);
	unlink(err);
}

int main(void)
{
	messages();

	/* sizes: the suffixes the man pages list, nothing else */
	size_ok("4096", 4096);
	size_ok("1k", 1024);
	size_ok("1K", 1024);
	size_ok("1KiB", 1024);
	size_ok("1M", 1 << 20);
	size_ok("1MiB", 1 << 20);
	size_ok("3G", 3ULL << 30);
	size_ok("3GiB", 3ULL << 30);
	size_ok("0x10K", 16 << 10);
	size_ok("17179869183G", 17179869183ULL << 30);
	size_ok("010", 10);			/* decimal, not octal */
	size_bad("-1", -EINVAL);		/* was 2^64 - 1 (bench --max-size) */
	size_bad("17179869185G", -ERANGE);	/* wrapped around */
	size_bad("17179869184G", -ERANGE);
	size_bad("18446744073709551616", -ERANGE);
	size_bad("", -EINVAL);
	size_bad("K", -EINVAL);
	size_bad("0", -ERANGE);
	size_bad("0K", -ERANGE);
	size_bad("1MB", -EINVAL);
	size_bad("1m", -EINVAL);
	size_bad("1Ki", -EINVAL);
	size_bad("1 K", -EINVAL);
	size_bad(" 1K", -EINVAL);
	size_bad("+1K", -EINVAL);
	size_bad("1T", -EINVAL);
	size_bad("0x", -EINVAL);

	u64_case("0", 0, 0);
	u64_case("18446744073709551615", 0, UINT64_MAX);
	u64_case("0xffffffffffffffff", 0, UINT64_MAX);
	u64_case("18446744073709551616", -ERANGE, 0);
	u64_case("-1", -EINVAL, 0);
	u64_case(" 1", -EINVAL, 0);
	u64_case("1x", -EINVAL, 0);
	u64_case("", -EINVAL, 0);

	/* CID:PORT: was sscanf("%u:%u") in vshmem-bench */
	addr_case("1:5000", 0, 1, 5000);
	addr_case("local:5000", 0, 1, 5000);
	addr_case("host:any", 0, 2, -1U);
	addr_case("0x3:0x10", 0, 3, 16);
	addr_case("4294967295:4294967295", 0, -1U, -1U);
	addr_case("-1:5000", -EINVAL, 0, 0);	/* was CID 4294967295 */
	addr_case("1:5000junk", -EINVAL, 0, 0);	/* was accepted */
	addr_case("1:-1", -EINVAL, 0, 0);
	addr_case("4294967296:1", -ERANGE, 0, 0);
	addr_case("1:4294967296", -ERANGE, 0, 0);
	addr_case("1", -EINVAL, 0, 0);
	addr_case(":5000", -EINVAL, 0, 0);
	addr_case("1:", -EINVAL, 0, 0);
	addr_case("1:2:3", -EINVAL, 0, 0);
	addr_case("LOCAL:1", -EINVAL, 0, 0);
	/* found by fuzz_opts: a long CID with leading zeros is still a CID */
	addr_case("000000000000000000000000000000000000000000000000000000000001:5", 0, 1, 5);

	port_case("5000", 0, 5000);
	port_case("any", 0, -1U);
	port_case("4294967295", 0, -1U);
	port_case("4294967296", -ERANGE, 0);
	port_case("5000junk", -EINVAL, 0);
	port_case("local", -EINVAL, 0);

	/* milliseconds (--hold, --reclaim-after): an int, at most a day */
	ms_case("1500", 0, 0, 1500);
	ms_case("0", 0, 0, 0);
	ms_case("0", 1, -1, 7);
	ms_case("86400000", 1, 0, 86400000);
	ms_case("86400001", 0, -1, 7);
	ms_case("4294967296", 0, -1, 7);

	ok(cli_exit_code(-ESOCKTNOSUPPORT) == EXIT_UNSUPPORTED, "%s", "no SOCK_SEQPACKET: exit 3");
	ok(cli_exit_code(-ENODEV) == EXIT_UNSUPPORTED, "%s", "no vsock transport: exit 3");
	ok(cli_exit_code(-EAFNOSUPPORT) == EXIT_UNSUPPORTED, "%s", "no AF_VSOCK: exit 3");
	ok(cli_exit_code(-ENOENT) == EXIT_UNSUPPORTED, "%s", "no heap: exit 3");
	ok(cli_exit_code(-ECONNREFUSED) == EXIT_ERROR, "%s", "refused: exit 1");
	ok(EXIT_OK == 0 && EXIT_ERROR == 1 && EXIT_USAGE == 2 &&
	   EXIT_UNSUPPORTED == 3 && EXIT_VERIFY == 4, "%s", "the documented exit codes");

	printf("1..%u\n", n);
	return failed != 0;
}
