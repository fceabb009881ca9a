// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-accept: listen on a vsock port, receive offered buffers, map
 * them, check them against the lender's header (or save them to a file),
 * and give them back.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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
"  -o, --output=PATH        write each received buffer to PATH\n"
"  -H, --hold=MS            keep each buffer MS milliseconds before release\n"
"  -S, --stream             use SOCK_STREAM instead of SOCK_SEQPACKET\n"
"  -q, --quiet              print errors only\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the library version and exit\n"
"\n"
"A buffer that arrives as an FF-A handle (no fd) cannot be mapped here: it\n"
"is reported and released. Exit status: 0 success, 1 error, 2 usage error,\n"
"3 not supported, 4 verification failed.\n"
"\n"
"Example: vshmem-accept --count=2 5000\n");
}

struct opts {
	unsigned int cid, port;
	uint64_t count;
	const char *output;
	int hold_ms;
	int sock_type;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cid", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "hold", required_argument, NULL, 'H' },
		{ "stream", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "c:n:o:H:SqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_u64(optarg, &v) < 0 || v > 0xffffffffU)
				return error(0, "bad CID '%s'", optarg), -1;
			o->cid = (unsigned int)v;
			break;
		case 'n':
			if (parse_u64(optarg, &o->count) < 0 || !o->count)
				return error(0, "bad count '%s'", optarg), -1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'H':
			if (parse_u64(optarg, &v) < 0 || v > 86400000)
				return error(0, "bad time '%s'", optarg), -1;
			o->hold_ms = (int)v;
			break;
		case 'S':
			o->sock_type = SOCK_STREAM;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("vshmem-accept (libvshmem %s)\n", vshmem_version());
			exit(EXIT_OK);
		default:
			return -1;
		}
	}
	if (optind < argc - 1)
		return error(0, "too many arguments"), -1;
	if (optind == argc - 1) {
		if (parse_u64(argv[optind], &v) < 0 || v > 0xffffffffU)
			return error(0, "bad port '%s'", argv[optind]), -1;
		o->port = (unsigned int)v;
	}
	return 0;
}

static int write_file(const char *path, const void *p, uint64_t size)
{
	const unsigned char *b = p;
	uint64_t done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	while (done < size) {
		ssize_t n = write(fd, b + done, size - done);

		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		done += (uint64_t)n;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Check one received buffer; returns an exit code. */
static int inspect(const struct opts *o, struct vshmem_incoming *in,
		   const char *header)
{
	struct vshmem_buf *buf = vshmem_incoming_get_buf(in);
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
	if (!buf) {
		info("arrived as FF-A handle %#llx: nothing to map here",
		     (unsigned long long)vshmem_incoming_get_handle(in));
		return EXIT_OK;
	}
	ret = vshmem_buf_map(buf, VSHMEM_ACCESS_READ, &p);
	if (ret < 0) {
		error(ret, "mapping the received buffer");
		return EXIT_ERROR;
	}
	vshmem_buf_sync_start(buf, VSHMEM_ACCESS_READ);
	have_header = sscanf(header, HEADER_FMT, &size, &seed, &sum) == 3;
	if (have_header && size > vshmem_buf_get_size(buf)) {
		error(0, "header says %llu bytes, buffer has %llu", size,
		      (unsigned long long)vshmem_buf_get_size(buf));
		ret = EXIT_VERIFY;
	} else if (!have_header) {
		size = vshmem_buf_get_size(buf);
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
		int err = write_file(o->output, p, size);

		if (err < 0) {
			error(err, "writing %s", o->output);
			ret = EXIT_ERROR;
		} else {
			info("wrote %llu bytes to %s", size, o->output);
		}
	}
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

int main(int argc, char **argv)
{
	struct opts o = { .cid = -1U, .port = 5000, .count = 1,
			  .sock_type = SOCK_SEQPACKET };
	struct vshmem_channel *listener = NULL, *ch = NULL;
	struct vshmem_incoming *next = NULL;
	char header[256];
	int ret, rc = EXIT_OK;
	uint64_t caps = 0, taken = 0;

	prog = "vshmem-accept";
	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "Try 'vshmem-accept --help'.\n");
		return EXIT_USAGE;
	}
	{
		VSHMEM_OPTS(vshmem_channel_opts, copts, .sock_type = o.sock_type);

		ret = vshmem_channel_listen(o.cid, o.port, &copts, &listener);
	}
	if (ret < 0) {
		error(ret, "listening on port %u", o.port);
		return ret == -EAFNOSUPPORT ? EXIT_UNSUPPORTED : EXIT_ERROR;
	}
	info("listening on port %u", o.port);

	while (taken < o.count) {
		struct vshmem_incoming *in = next;

		/* One connection after the other until enough offers came. */
		if (!ch) {
			ret = vshmem_channel_accept(listener, &ch);
			if (ret < 0) {
				error(ret, "accepting a connection");
				rc = EXIT_ERROR;
				break;
			}
			if (vshmem_channel_get_caps(ch, &caps) == 0 && !caps)
				info("warning: this kernel reports no shared memory support");
		}
		if (!in) {
			memset(header, 0, sizeof(header));
			ret = vshmem_channel_recv(ch, header, sizeof(header) - 1,
						  -1, NULL, &in);
			if (ret == -ECONNRESET) {
				info("the peer closed the connection");
				vshmem_channel_close(ch);
				ch = NULL;
				continue;
			}
			if (ret < 0) {
				error(ret, "receiving");
				rc = EXIT_ERROR;
				break;
			}
			if (!in)
				continue;	/* plain data or a notice */
		}
		next = NULL;
		taken++;
		ret = inspect(&o, in, header);
		if (ret != EXIT_OK)
			rc = ret;
		if (o.hold_ms) {
			struct timespec ts = { o.hold_ms / 1000,
					       (o.hold_ms % 1000) * 1000000L };

			info("holding the buffer for %d ms", o.hold_ms);
			nanosleep(&ts, NULL);
			read_notices(ch, &next, header, sizeof(header));
		}
		if (vshmem_incoming_get_state(in) == VSHMEM_STATE_RECLAIMED) {
			info("the lender reclaimed it first");
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
	}
	vshmem_channel_close(ch);
	vshmem_channel_close(listener);
	return rc;
}
