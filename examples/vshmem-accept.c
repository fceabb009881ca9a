// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-accept: listen on a vsock port, receive offered buffers, map
 * them, check them against the lender's header (or save them to a file),
 * and give them back. With --uds, on the host of a VM whose vsock device
 * is vhost-user-vsock: the guest's offers, as views of its memory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <libvshmem/vshmem.h>

#include "common.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vshmem-accept [OPTION]... [PORT]\n"
"Accept buffers offered by vshmem-offer on vsock PORT (default 5000),\n"
"check their contents, and release them.\n"
"\n"
"Options:\n"
"  -c, --cid=CID            local CID to bind (default: any)\n"
"  -n, --count=N            number of offers to take before exiting\n"
"                           (default 1); connections are accepted one\n"
"                           after the other until then\n"
"  -o, --output=PATH        write each received buffer to PATH (its\n"
"                           directory must exist)\n"
"  -H, --hold=MS            keep each buffer MS milliseconds before release\n"
"  -S, --stream             use SOCK_STREAM instead of SOCK_SEQPACKET\n"
"  -u, --uds=PATH           on the host: take a guest's offers to host PORT\n"
"                           through the vhost-user-vsock device started\n"
"                           with --uds-path PATH (listens on PATH_PORT.shmem)\n"
"  -q, --quiet              print errors and warnings only\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the library version and exit\n"
"\n"
"PORT is a number, or 'any' for one the kernel picks (printed). CID is a\n"
"number or any, local (1), host (2). Numbers are decimal or 0x hex.\n"
"\n"
"A buffer that arrives as an FF-A handle (no fd) cannot be mapped here: it\n"
"is reported and released. Exit status: 0 success, 1 error, 2 usage error,\n"
"3 not supported (no vsock transport), 4 verification failed.\n"
"\n"
"Examples: vshmem-accept --count=2 5000\n"
"          vshmem-accept --uds=/tmp/vm1.vsock 5000   (on the VM's host)\n");
}

struct opts {
	unsigned int cid, port;
	uint64_t count;
	const char *output;
	int hold_ms;
	int sock_type;
	const char *uds;
	bool cid_set;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cid", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "hold", required_argument, NULL, 'H' },
		{ "stream", no_argument, NULL, 'S' },
		{ "uds", required_argument, NULL, 'u' },
		CLI_COMMON_LONGOPTS
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:n:o:H:Su:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (cli_opt_cid("--cid", optarg, &o->cid) < 0)
				return -1;
			o->cid_set = true;
			break;
		case 'u':
			if (cli_opt_path("--uds", optarg, &o->uds) < 0)
				return -1;
			break;
		case 'n':
			if (cli_opt_u64("--count", optarg, 1, UINT64_MAX, &o->count) < 0)
				return -1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'H':
			if (cli_opt_ms("--hold", optarg, 0, &o->hold_ms) < 0)
				return -1;
			break;
		case 'S':
			o->sock_type = SOCK_STREAM;
			break;
		default:
			if (!cli_common_opt(c, usage, vshmem_version()))
				return -1;
		}
	}
	if (optind < argc - 1)
		return error(0, "too many arguments: '%s'", argv[optind + 1]), -1;
	if (optind == argc - 1 && cli_opt_port("PORT", argv[optind], &o->port) < 0)
		return -1;
	if (o->uds && o->cid_set)
		return error(0, "--cid and --uds exclude each other"), -1;
	if (o->uds && o->port == VMADDR_PORT_ANY)
		return error(0, "PORT 'any' has no meaning with --uds: the guest connects to a port it knows"), -1;
	/* Now, not after a buffer arrived. */
	if (o->output && cli_check_output("--output", o->output) < 0)
		return -1;
	return 0;
}

/* Check one received buffer; returns an exit code. */
static int inspect(const struct opts *o, struct vshmem_incoming *in,
		   const char *header)
{
	struct vshmem_buf *buf = vshmem_incoming_get_buf(in);
	void *view = vshmem_incoming_get_view(in);
	uint64_t have = buf ? vshmem_buf_get_size(buf) : vshmem_incoming_get_size(in);
	unsigned long long size = 0, sum = 0;
	unsigned int seed = 0;
	bool have_header;
	uint64_t bad;
	void *p;
	int ret;

	info("offer id %llu: %llu bytes, kind %s, tag %#llx%s",
	     (unsigned long long)vshmem_incoming_get_id(in),
	     (unsigned long long)vshmem_incoming_get_size(in),
	     vshmem_kind_name(vshmem_incoming_get_kind(in)),
	     (unsigned long long)vshmem_incoming_get_tag(in),
	     (vshmem_incoming_get_flags(in) & VSHMEM_OFFER_F_READONLY) ?
	     ", read-only" : "");
	if (view) {
		/* A guest's pages, already mapped by the library. */
		info("guest memory: one view of %llu bytes", (unsigned long long)have);
		p = view;
	} else if (!buf) {
		info("arrived as FF-A handle %#llx: nothing to map here",
		     (unsigned long long)vshmem_incoming_get_handle(in));
		return EXIT_OK;
	} else {
		ret = vshmem_buf_map(buf, VSHMEM_ACCESS_READ, &p);
		if (ret < 0) {
			error(ret, "mapping the received buffer");
			return EXIT_ERROR;
		}
		vshmem_buf_sync_start(buf, VSHMEM_ACCESS_READ);
	}
	have_header = sscanf(header, HEADER_FMT, &size, &seed, &sum) == 3;
	if (have_header && size > have) {
		error(0, "header says %llu bytes, buffer has %llu", size,
		      (unsigned long long)have);
		ret = EXIT_VERIFY;
	} else if (!have_header) {
		size = have;
		info("no header from the lender: not checking the contents");
		ret = EXIT_OK;
	} else if (seed) {
		bad = check_pattern(p, size, seed);
		ret = bad == size ? EXIT_OK : EXIT_VERIFY;
		if (ret)
			error(0, "pattern differs at byte %llu", (unsigned long long)bad);
		else
			info("pattern verified (%llu bytes)", size);
	} else {
		ret = checksum(p, size) == sum ? EXIT_OK : EXIT_VERIFY;
		if (ret)
			error(0, "checksum differs");
		else
			info("checksum verified (%llu bytes)", size);
	}
	if (ret == EXIT_OK && o->output) {
		int err = copy_buf_to_file(o->output, p, size);

		if (err < 0) {
			error(err, "writing %s", o->output);
			ret = EXIT_ERROR;
		} else {
			info("wrote %llu bytes to %s", size, o->output);
		}
	}
	if (buf)
		vshmem_buf_sync_end(buf, VSHMEM_ACCESS_READ);
	return ret;
}

/*
 * While we held a buffer, the lender may have reclaimed it: read what is
 * queued without waiting, so that the RECLAIM notice is seen. An offer
 * that arrives meanwhile is kept for the next round.
 */
static void read_notices(struct vshmem_channel *ch, struct vshmem_incoming **next,
			 char *header, size_t len)
{
	struct vshmem_incoming *in;
	char scratch[256];

	while (!*next) {
		in = NULL;
		memset(scratch, 0, sizeof(scratch));
		if (vshmem_channel_recv(ch, scratch, sizeof(scratch) - 1, 0, NULL, &in) < 0)
			return;
		if (in) {
			*next = in;
			snprintf(header, len, "%s", scratch);
		}
	}
}

/* The borrower's channels and the offer read ahead while holding one. */
struct borrower {
	struct vshmem_channel *listener, *ch;
	struct vshmem_incoming *next;
	char header[256];
};

static int start_listening(const struct opts *o, struct borrower *b)
{
	VSHMEM_OPTS(vshmem_channel_opts, copts, .sock_type = o->sock_type);
	int ret;

	if (o->uds) {
		ret = vshmem_channel_listen_uds(o->uds, o->port, &copts, &b->listener);
		if (ret < 0)
			return fail_uds(ret, true, o->uds, o->port);
		info("listening for the guest's connections to host port %u on %s_%u.shmem",
		     o->port, o->uds, o->port);
		fflush(stdout);
		return EXIT_OK;
	}
	ret = vshmem_channel_listen(o->cid, o->port, &copts, &b->listener);
	if (ret < 0)
		return fail_connect(ret, true, o->cid, o->port, o->sock_type);
	/* The port the kernel bound: with PORT 'any' the only way to know it. */
	if (o->port == VMADDR_PORT_ANY)
		printf("%s: listening on port %u\n", prog, channel_port(b->listener));
	else
		info("listening on port %u", channel_port(b->listener));
	fflush(stdout);
	return EXIT_OK;
}

/* The next offer: one read ahead, or the next from the connection (one
 * connection after the other until enough offers came). */
static int next_offer(const struct opts *o, struct borrower *b,
		      struct vshmem_incoming **ret_in)
{
	struct vshmem_incoming *in = NULL;
	uint64_t caps = 0;
	int ret;

	while (!b->next) {
		if (!b->ch) {
			ret = vshmem_channel_accept(b->listener, &b->ch);
			if (ret < 0) {
				error(ret, "accepting a connection");
				return EXIT_ERROR;
			}
			/* (a host's channel has caps 0: it only receives) */
			if (!o->uds && vshmem_channel_get_caps(b->ch, &caps) == 0 && !caps)
				warn("this kernel reports no shared memory support "
				     "(SCM_VSOCK_SHMEM: CONFIG_VSOCKETS_SHMEM of kernel/patches)");
		}
		memset(b->header, 0, sizeof(b->header));
		ret = vshmem_channel_recv(b->ch, b->header, sizeof(b->header) - 1,
					  -1, NULL, &in);
		if (ret == -ECONNRESET) {
			info("the peer closed the connection");
			vshmem_channel_close(b->ch);
			b->ch = NULL;
		} else if (ret < 0) {
			error(ret, "receiving");
			return EXIT_ERROR;
		}
		b->next = in;	/* NULL: plain data or a notice */
	}
	*ret_in = b->next;
	b->next = NULL;
	return EXIT_OK;
}

/* Hold the buffer if asked, then release it (unless the lender reclaimed
 * it meanwhile) and free it. */
static int give_back(const struct opts *o, struct borrower *b,
		     struct vshmem_incoming *in)
{
	/* A guest's pages (--uds): the view must be gone once it took them
	 * back. */
	const volatile unsigned char *view = vshmem_incoming_get_view(in);
	unsigned char byte;
	int ret, rc = EXIT_OK;

	if (o->hold_ms) {
		struct timespec ts = { o->hold_ms / 1000,
				       (o->hold_ms % 1000) * 1000000L };

		info("holding the buffer for %d ms", o->hold_ms);
		nanosleep(&ts, NULL);
		read_notices(b->ch, &b->next, b->header, sizeof(b->header));
	}
	if (vshmem_incoming_get_state(in) == VSHMEM_STATE_RECLAIMED) {
		info("the lender reclaimed it first");
		if (view && guarded_read(view, &byte)) {
			error(0, "the guest took its pages back, but they are still mapped here");
			rc = EXIT_VERIFY;
		} else if (view) {
			info("the view of the guest's pages is gone (a read faults)");
		}
	} else {
		ret = vshmem_incoming_release(in);
		if (ret < 0) {
			error(ret, "releasing the buffer");
			rc = EXIT_ERROR;
		} else {
			info("released");
		}
	}
	vshmem_incoming_close(in);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .cid = VMADDR_CID_ANY, .port = 5000, .count = 1,
			  .sock_type = SOCK_SEQPACKET };
	struct borrower b = { 0 };
	struct vshmem_incoming *in;
	int ret, rc;

	prog = "vshmem-accept";
	if (parse_args(argc, argv, &o) < 0)
		return cli_usage_error();
	rc = start_listening(&o, &b);
	for (uint64_t taken = 0; b.listener && taken < o.count; taken++) {
		ret = next_offer(&o, &b, &in);
		if (ret != EXIT_OK) {
			rc = ret;
			break;
		}
		ret = inspect(&o, in, b.header);
		if (ret != EXIT_OK)
			rc = ret;
		ret = give_back(&o, &b, in);
		if (ret != EXIT_OK)
			rc = ret;
	}
	vshmem_channel_close(b.ch);
	vshmem_channel_close(b.listener);
	return rc;
}
