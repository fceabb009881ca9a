// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-bench: how much faster is handing memory over by reference than
 * copying it? Every suite measures the methods it compares in the same run,
 * interleaved, and reports their ratios (absolute times on shared or
 * emulated machines are noisy; the ratios are what to compare).
 *
 * The peer is a second process: forked here for the local (loopback)
 * transport, or a `vshmem-bench --serve PORT` on the other side of the
 * vsock connection. It relinquishes every offer as soon as it arrives
 * (unless told to hold some) and acknowledges copied bytes with one byte.
 */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* options, errors, progress                                           */

struct bench_opts opt = {
	.min_size = 4 * KiB,
	.max_size = 256 * MiB,
	.scatter_size = 64 * MiB,
	.max_outstanding = 4096,
	.min_time = 0.5,
	.min_reps = 3,
	.max_reps = 200,
	.window = 128,
	.cid = VMADDR_CID_LOCAL,
	.port = 5200,
};

static const struct {
	const char *name;
	unsigned int bit;
} suite_names[] = {
	{ "sizes", S_SIZES }, { "rate", S_RATE }, { "scatter", S_SCATTER },
	{ "overhead", S_OVERHEAD }, { "scaling", S_SCALING }, { "ffa", S_FFA },
	{ "teardown", S_TEARDOWN }, { "stages", S_STAGES },
	{ "kstages", S_KSTAGES },
};

void die(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("vshmem-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
	exit(cli_exit_code(err));
}

void progress(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet)
		return;
	fputs("  .. ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------------ */
/* command line                                                        */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vshmem-bench [OPTION]...\n"
"Measure passing memory by reference (SCM_VSOCK_SHMEM) against copying it\n"
"through the same vsock transport, and print the ratios of one run.\n"
"\n"
"Suites (--suite, comma-separated; default: all but ffa and kstages):\n"
"  sizes      (a) SHARE offer, (b) LEND offer (revoke + reclaim), (c) send/recv\n"
"             of the bytes, (d) memcpy, for sizes MIN..MAX in powers of 4;\n"
"             ratios (c)/(a) and (c)/(b)\n"
"  stages     where a SHARE, LEND and lend-nomap offer's time goes (send, back)\n"
"             and how each stage grows from 4K, on the transport's path:\n"
"             loopback at 4K, 1M, 64M, 256M; FF-A (TYPE_FFA to OP-TEE, arm64\n"
"             guest behind TF-A) at 4K, 1M, 16M; guest -> host virtio-vsock\n"
"             (--peer=host:PORT) at 4K, 1M, 16M, 64M\n"
"  kstages    the kernel's stages of an offer (attach, map, FF-A give, send,\n"
"             rx, import, fd, unimport, unmap, detach, FF-A reclaim) per heap\n"
"             at the stages suite's sizes of the path, from the function_graph\n"
"             tracer: needs a kernel built with kernel/scripts/build.sh --trace\n"
"  rate       offers per second of 4K and 1M buffers: synchronous sendmsg vs\n"
"             io_uring batches of 1, 8, 32 and 128\n"
"  scatter    scatter-table entries per buffer (kernel counter 'entries') and\n"
"             allocation time, for the system, lend and lend-nomap heaps\n"
"  overhead   libvshmem vs a raw sendmsg()/recvmsg() offer (instructions with\n"
"             --icount, else time)\n"
"  scaling    offer latency with 1, 16, 256, 4096 offers outstanding; 1 and\n"
"             2 concurrent senders\n"
"  ffa        SHARE/LEND offers of TYPE_FFA through a real FF-A SPMC (arm64\n"
"             guest behind TF-A + OP-TEE) vs copying, 4K..16M; FF-A calls\n"
"             and scatter ranges per offer; OP-TEE reading every byte of a\n"
"             share (/dev/tee0, invoke-tests PTA); skipped without FF-A\n"
"  teardown   connect() latency while another connection ends 4096 offers\n"
"\n"
"Options:\n"
"      --suite=LIST         suites to run (see above, or 'all')\n"
"      --min-size=SIZE      smallest size of the sizes suite (default 4K)\n"
"  -m, --max-size=SIZE      largest size of the sizes suite (default 256M);\n"
"                           the guest needs about 5 times this in memory\n"
"      --scatter-size=SIZE  buffer size of the scatter suite (default 64M)\n"
"      --max-outstanding=N  largest outstanding count of scaling (default 4096)\n"
"  -t, --time=SEC           minimum time per measured point (default 0.5)\n"
"      --min-reps=N         minimum repetitions per point (default 3)\n"
"      --max-reps=N         maximum repetitions per point (default 200)\n"
"      --window=N           offers per round of the rate suite (default 128)\n"
"  -j, --json               print JSON instead of the tables\n"
"      --json-file=PATH     also write the JSON to PATH\n"
"      --plot=PATH          write the plot of latency vs size (the sizes suite,\n"
"                           else ffa) to PATH as SVG\n"
"      --icount             the guest runs under QEMU -icount shift=0: report\n"
"                           the overhead suite in instructions\n"
"  -p, --peer=CID:PORT      use a running 'vshmem-bench --serve' there instead\n"
"                           of a local peer process (ports PORT and PORT+1)\n"
"      --port=PORT          port of the local peer (default 5200; uses PORT+1)\n"
"      --serve=PORT         run as the peer only (never returns)\n"
"      --uds=PATH           with --serve, on a VM's host: serve the guest's\n"
"                           'vshmem-bench --peer=host:PORT' through the Unix\n"
"                           socket PATH of vhost-user-vsock --uds-path\n"
"  -q, --quiet              no progress lines on stderr\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the library version and exit\n"
"\n"
"SIZE is a number (decimal or 0x hex) with an optional suffix k, K or KiB\n"
"(2^10), M or MiB (2^20), G or GiB (2^30). CID is a number or local (1),\n"
"host (2). Progress and warnings go to stderr, results to stdout.\n"
"Needs root inside the guest for the kernel counters (debugfs).\n"
"\n"
"Exit status: 0 measured (targets met or not), 1 error, 2 usage error,\n"
"3 not supported (no heap, no vsock transport, no SCM_VSOCK_SHMEM).\n"
"\n"
"Example: vshmem-bench --max-size=64M --suite=sizes,rate\n");
}

/* The argument of opt, or exit with a usage error. */
static unsigned int parse_uint(const char *name, const char *s, uint64_t min,
			       uint64_t max)
{
	uint64_t v;

	if (cli_opt_u64(name, s, min, max, &v) < 0)
		exit(cli_usage_error());
	return (unsigned int)v;
}

static uint64_t parse_size_arg(const char *name, const char *s)
{
	uint64_t v;

	if (cli_opt_size(name, s, &v) < 0)
		exit(cli_usage_error());
	return v;
}

static void parse_suites(char *list)
{
	opt.suites = 0;
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned int i;

		if (!strcmp(tok, "all")) {
			opt.suites |= S_DEFAULT | S_FFA;
			continue;
		}
		for (i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++)
			if (!strcmp(tok, suite_names[i].name))
				break;
		if (i == sizeof(suite_names) / sizeof(suite_names[0])) {
			error(0, "bad --suite: unknown suite '%s'", tok);
			exit(cli_usage_error());
		}
		opt.suites |= suite_names[i].bit;
	}
}

static void parse_args(int argc, char **argv)
{
	enum { O_MIN_SIZE = 256, O_SCATTER, O_MAXOUT, O_MINREPS, O_MAXREPS,
	       O_WINDOW, O_JSONFILE, O_ICOUNT, O_PORT, O_SERVE, O_SUITE,
	       O_PLOT, O_UDS };
	/* a local peer uses PORT and PORT + 1: neither may be 'any' (-1U) */
	const uint64_t port_max = UINT32_MAX - 2;
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, O_SUITE },
		{ "min-size", required_argument, NULL, O_MIN_SIZE },
		{ "max-size", required_argument, NULL, 'm' },
		{ "scatter-size", required_argument, NULL, O_SCATTER },
		{ "max-outstanding", required_argument, NULL, O_MAXOUT },
		{ "time", required_argument, NULL, 't' },
		{ "min-reps", required_argument, NULL, O_MINREPS },
		{ "max-reps", required_argument, NULL, O_MAXREPS },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "json", no_argument, NULL, 'j' },
		{ "json-file", required_argument, NULL, O_JSONFILE },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "icount", no_argument, NULL, O_ICOUNT },
		{ "peer", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, O_PORT },
		{ "serve", required_argument, NULL, O_SERVE },
		{ "uds", required_argument, NULL, O_UDS },
		CLI_COMMON_LONGOPTS
	};
	char *end;
	int c;

	opt.suites = S_DEFAULT;
	while ((c = getopt_long(argc, argv, "m:t:jp:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case O_SUITE: parse_suites(optarg); break;
		case O_MIN_SIZE: opt.min_size = parse_size_arg("--min-size", optarg); break;
		case 'm': opt.max_size = parse_size_arg("--max-size", optarg); break;
		case O_SCATTER: opt.scatter_size = parse_size_arg("--scatter-size", optarg); break;
		case O_MAXOUT:
			opt.max_outstanding = parse_uint("--max-outstanding", optarg, 1, UINT32_MAX);
			break;
		case 't':
			opt.min_time = strtod(optarg, &end);
			if (*end || end == optarg || !(opt.min_time >= 0) ||
			    opt.min_time > 3600) {
				error(0, "bad --time '%s': seconds, 0 to 3600", optarg);
				exit(cli_usage_error());
			}
			break;
		case O_MINREPS: opt.min_reps = parse_uint("--min-reps", optarg, 1, UINT32_MAX); break;
		case O_MAXREPS: opt.max_reps = parse_uint("--max-reps", optarg, 1, UINT32_MAX); break;
		case O_WINDOW: opt.window = parse_uint("--window", optarg, 1, UINT32_MAX); break;
		case 'j': opt.json = true; break;
		case O_JSONFILE: opt.json_file = optarg; break;
		case O_PLOT: opt.plot_file = optarg; break;
		case O_ICOUNT: opt.icount = true; break;
		case 'p':
			if (cli_opt_addr("--peer", optarg, &opt.cid, &opt.port) < 0)
				exit(cli_usage_error());
			if (opt.port > port_max) {
				error(0, "bad --peer '%s': PORT and PORT + 1 must be ports", optarg);
				exit(cli_usage_error());
			}
			opt.remote = true;
			break;
		case O_PORT: opt.port = parse_uint("--port", optarg, 0, port_max); break;
		case O_SERVE:
			opt.serve_port = parse_uint("--serve", optarg, 0, port_max);
			opt.serve = true;
			break;
		case O_UDS:
			if (!*optarg) {
				error(0, "--uds needs a path");
				exit(cli_usage_error());
			}
			opt.serve_uds = optarg;
			break;
		default:
			if (!cli_common_opt(c, usage, vshmem_version()))
				exit(cli_usage_error());
		}
	}
	opt.quiet = quiet;	/* -q, read by cli_common_opt() */
	if (optind < argc) {
		error(0, "unexpected argument '%s'", argv[optind]);
		exit(cli_usage_error());
	}
	if (opt.min_size < 4 * KiB || opt.min_size > opt.max_size ||
	    opt.max_reps < opt.min_reps || opt.scatter_size < 4 * KiB) {
		error(0, "inconsistent options: sizes >= 4K, --min-size <= --max-size, "
		      "--min-reps <= --max-reps");
		exit(cli_usage_error());
	}
	if (opt.serve_uds && !opt.serve) {
		error(0, "--uds is for the peer: add --serve=PORT");
		exit(cli_usage_error());
	}
	/* Now, not after the run. */
	if (opt.json_file && cli_check_output("--json-file", opt.json_file) < 0)
		exit(cli_usage_error());
	if (opt.plot_file && !(opt.suites & (S_SIZES | S_FFA))) {
		error(0, "--plot draws the sizes or the ffa suite: add one to --suite");
		exit(cli_usage_error());
	}
	if (opt.plot_file && cli_check_output("--plot", opt.plot_file) < 0)
		exit(cli_usage_error());
}

/* The plot of this run into opt.plot_file (--plot). */
static void write_plot(void)
{
	FILE *f = fopen(opt.plot_file, "we");
	int ret;

	if (!f)
		die(-errno, "%s", opt.plot_file);
	ret = print_svg(f);
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret == -ENODATA)
		die(ret, "%s: no point of the sizes or ffa suite to plot", opt.plot_file);
	if (ret < 0)
		die(ret, "%s", opt.plot_file);
}

int main(int argc, char **argv)
{
	prog = "vshmem-bench";
	signal(SIGPIPE, SIG_IGN);
	parse_args(argc, argv);
	if (opt.serve)
		serve(opt.serve_port, -1);

	machine_read();
	raise_nofile();
	if (!opt.remote) {
		struct vshmem_heap *h;
		int ret = vshmem_heap_open("system", &h);

		if (ret < 0)
			exit(fail_heap(ret, "system", 0));
		vshmem_heap_close(h);
	}
	peer_start();
	atexit(peer_stop);
	{
		struct vshmem_channel *ch = offer_channel(0);
		int ret = vshmem_channel_supports(ch, VSHMEM_KIND_SHARE);

		if (ret <= 0)
			exit(fail_kind(ret, opt.cid, opt.port, VSHMEM_KIND_SHARE));
		vshmem_channel_get_caps(ch, &machine.caps);
		vshmem_channel_close(ch);
	}
	if (!opt.quiet)
		fprintf(stderr, "vshmem-bench: kernel %s, %ld CPU(s), heaps: %s\n",
			machine.kernel, machine.cpus, machine.heaps);
	if (opt.suites & S_SIZES)
		suite_sizes();
	if (opt.suites & S_STAGES)
		suite_stages();
	if (opt.suites & S_KSTAGES)
		suite_kstages();
	if (opt.suites & S_RATE)
		suite_rate();
	if (opt.suites & S_SCATTER)
		suite_scatter();
	if (opt.suites & S_OVERHEAD)
		suite_overhead();
	if (opt.suites & S_SCALING)
		suite_scaling();
	if (opt.suites & S_FFA)
		suite_ffa();
	if (opt.suites & S_TEARDOWN)
		suite_teardown();
	peer_stop();

	if (opt.json)
		print_json(stdout);
	else
		print_text(stdout);
	if (opt.json_file) {
		FILE *f = fopen(opt.json_file, "we");

		if (!f)
			die(-errno, "%s", opt.json_file);
		print_json(f);
		if (fclose(f))
			die(-errno, "%s", opt.json_file);
	}
	if (opt.plot_file)
		write_plot();
	return EXIT_OK;
}

