// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-offer: allocate a buffer of a transfer kind, fill it, offer it to
 * a vsock peer, wait until the peer gives it back (or reclaim it), then
 * check that the lender's data is intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvshmem/vshmem.h>

#include "common.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vshmem-offer [OPTION]... CID:PORT\n"
"Offer a dma-buf to the vsock peer at CID:PORT and wait until it comes back.\n"
"\n"
"The buffer comes from the dma-buf heap of the chosen transfer kind, is\n"
"filled with a pattern (or a file), and is offered with a header line that\n"
"vshmem-accept uses to check what it sees. With --kind=lend the tool also\n"
"shows that it cannot read the buffer while it is lent.\n"
"\n"
"Options:\n"
"  -k, --kind=KIND          transfer kind: share (default) or lend\n"
"  -s, --size=SIZE          buffer size, with optional K, M or G suffix\n"
"                           (default 1M; with --file: the file's size)\n"
"  -f, --file=PATH          fill the buffer from PATH instead of a pattern\n"
"  -p, --seed=N             pattern seed, 1 or more (default 1)\n"
"  -i, --id=N               offer id (default: chosen by the library)\n"
"  -t, --tag=N              FF-A tag passed to the peer unchanged\n"
"  -c, --clear              ask for the memory to come back zeroed\n"
"  -r, --readonly           the peer may only read the buffer\n"
"  -R, --reclaim-after=MS   take the buffer back if the peer has not\n"
"                           released it after MS milliseconds\n"
"  -S, --stream             use SOCK_STREAM instead of SOCK_SEQPACKET\n"
"  -q, --quiet              print errors only\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the library version and exit\n"
"\n"
"Exit status: 0 success, 1 error, 2 usage error, 3 not supported (no heap\n"
"of that kind, or the transport cannot pass it), 4 verification failed.\n"
"\n"
"Example: vshmem-offer --kind=lend --size=64M 1:5000\n");
}

struct opts {
	int kind;
	uint64_t size;
	const char *file;
	unsigned int seed;
	uint64_t id, tag;
	unsigned int flags;
	int reclaim_ms;
	int sock_type;
	unsigned int cid, port;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'p' },
		{ "id", required_argument, NULL, 'i' },
		{ "tag", required_argument, NULL, 't' },
		{ "clear", no_argument, NULL, 'c' },
		{ "readonly", no_argument, NULL, 'r' },
		{ "reclaim-after", required_argument, NULL, 'R' },
		{ "stream", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	bool size_set = false;
	uint64_t v;
	char *colon;
	int c;

	while ((c = getopt_long(argc, argv, "k:s:f:p:i:t:crR:SqhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!strcmp(optarg, "share"))
				o->kind = VSHMEM_KIND_SHARE;
			else if (!strcmp(optarg, "lend"))
				o->kind = VSHMEM_KIND_LEND;
			else
				return error(0, "unknown kind '%s' (share or lend)", optarg), -1;
			break;
		case 's':
			if (parse_size(optarg, &o->size) < 0)
				return error(0, "bad size '%s'", optarg), -1;
			size_set = true;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, &v) < 0 || !v || v > 0xffffffffU)
				return error(0, "bad seed '%s'", optarg), -1;
			o->seed = (unsigned int)v;
			break;
		case 'i':
			if (parse_u64(optarg, &o->id) < 0 || !o->id)
				return error(0, "bad id '%s'", optarg), -1;
			break;
		case 't':
			if (parse_u64(optarg, &o->tag) < 0)
				return error(0, "bad tag '%s'", optarg), -1;
			break;
		case 'c':
			o->flags |= VSHMEM_OFFER_F_CLEAR;
			break;
		case 'r':
			o->flags |= VSHMEM_OFFER_F_READONLY;
			break;
		case 'R':
			if (parse_u64(optarg, &v) < 0 || !v || v > 86400000)
				return error(0, "bad time '%s'", optarg), -1;
			o->reclaim_ms = (int)v;
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
			printf("vshmem-offer (libvshmem %s)\n", vshmem_version());
			exit(EXIT_OK);
		default:
			return -1;
		}
	}
	if (optind != argc - 1)
		return error(0, "expected one CID:PORT argument"), -1;
	colon = strchr(argv[optind], ':');
	if (!colon)
		return error(0, "bad address '%s' (CID:PORT)", argv[optind]), -1;
	*colon = '\0';
	if (parse_u64(argv[optind], &v) < 0 || v > 0xffffffffU)
		return error(0, "bad CID '%s'", argv[optind]), -1;
	o->cid = (unsigned int)v;
	if (parse_u64(colon + 1, &v) < 0 || v > 0xffffffffU)
		return error(0, "bad port '%s'", colon + 1), -1;
	o->port = (unsigned int)v;
	if (o->file && !size_set) {
		struct stat st;

		if (stat(o->file, &st) < 0)
			return error(errno, "%s", o->file), -1;
		o->size = (uint64_t)st.st_size;
		if (!o->size)
			return error(0, "%s is empty", o->file), -1;
	}
	return 0;
}

static int read_file(const char *path, void *p, uint64_t size)
{
	unsigned char *b = p;
	uint64_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (done < size) {
		ssize_t n = read(fd, b + done, size - done > (1 << 20) ?
				 (1 << 20) : size - done);

		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0)
			break;	/* the rest stays zero */
		done += (uint64_t)n;
	}
	close(fd);
	return 0;
}

static int exit_for(int err)
{
	return (err == -EOPNOTSUPP || err == -ENOENT) ? EXIT_UNSUPPORTED : EXIT_ERROR;
}

int main(int argc, char **argv)
{
	struct opts o = { .kind = VSHMEM_KIND_SHARE, .size = 1 << 20,
			  .seed = 1, .sock_type = SOCK_SEQPACKET };
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	struct vshmem_channel *ch = NULL;
	struct vshmem_offer *offer = NULL;
	char header[160];
	uint64_t sum = 0, bad;
	unsigned char byte;
	void *p = NULL;
	int ret, rc = EXIT_ERROR;

	prog = "vshmem-offer";
	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "Try 'vshmem-offer --help'.\n");
		return EXIT_USAGE;
	}
	if (o.file)
		o.seed = 0;	/* seed 0 in the header: check by checksum */

	ret = vshmem_heap_open_kind(o.kind, &heap);
	if (ret < 0) {
		error(ret, "no dma-buf heap for kind %s", vshmem_kind_name(o.kind));
		return exit_for(ret);
	}
	ret = vshmem_buf_alloc(heap, o.size, NULL, &buf);
	if (ret < 0) {
		error(ret, "allocating %llu bytes from heap %s",
		      (unsigned long long)o.size, vshmem_heap_get_name(heap));
		goto out;
	}
	info("allocated %llu bytes from heap '%s' (kind %s)",
	     (unsigned long long)vshmem_buf_get_size(buf),
	     vshmem_heap_get_name(heap), vshmem_kind_name(o.kind));

	ret = vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &p);
	if (ret == 0)
		ret = vshmem_buf_sync_start(buf, VSHMEM_ACCESS_WRITE);
	if (ret < 0) {
		error(ret, "mapping the buffer");
		goto out;
	}
	if (o.file) {
		ret = read_file(o.file, p, o.size);
		if (ret < 0) {
			error(ret, "reading %s", o.file);
			goto out;
		}
		sum = checksum(p, o.size);
	} else {
		fill_pattern(p, o.size, o.seed);
	}
	vshmem_buf_sync_end(buf, VSHMEM_ACCESS_WRITE);
	snprintf(header, sizeof(header), HEADER_FMT,
		 (unsigned long long)o.size, o.seed, (unsigned long long)sum);

	{
		VSHMEM_OPTS(vshmem_channel_opts, copts, .sock_type = o.sock_type);

		ret = vshmem_channel_connect(o.cid, o.port, &copts, &ch);
	}
	if (ret < 0) {
		error(ret, "connecting to %u:%u", o.cid, o.port);
		goto out;
	}
	ret = vshmem_channel_supports(ch, o.kind);
	if (ret <= 0) {
		error(ret, "the transport to %u:%u cannot pass %s memory%s", o.cid,
		      o.port, vshmem_kind_name(o.kind),
		      ret == 0 ? " (no shared memory support)" : "");
		rc = ret == 0 ? EXIT_UNSUPPORTED : EXIT_ERROR;
		goto out;
	}
	{
		VSHMEM_OPTS(vshmem_offer_opts, oopts, .id = o.id, .tag = o.tag,
			    .flags = o.flags, .data = header,
			    .data_len = strlen(header) + 1);

		ret = vshmem_offer_send(ch, buf, &oopts, &offer);
	}
	if (ret < 0) {
		error(ret, "offering the buffer");
		rc = exit_for(ret);
		goto out;
	}
	info("offered id %llu to %u:%u (%s)",
	     (unsigned long long)vshmem_offer_get_id(offer), o.cid, o.port, header);

	if (o.kind == VSHMEM_KIND_LEND) {
		/* The point of LEND: the lender cannot touch it meanwhile. */
		if (guarded_read(p, &byte)) {
			error(0, "lent buffer is still readable by the lender");
			rc = EXIT_VERIFY;
			goto out;
		}
		info("lender access revoked while lent: ok (read faulted)");
	}

	ret = vshmem_offer_wait_release(offer, o.reclaim_ms ? o.reclaim_ms : -1);
	if (ret == -ETIMEDOUT) {
		info("not released after %d ms, reclaiming", o.reclaim_ms);
		ret = vshmem_offer_reclaim(offer);
		if (ret < 0) {
			error(ret, "reclaiming the buffer");
			goto out;
		}
		info("reclaimed");
	} else if (ret < 0) {
		error(ret, "waiting for the peer to release the buffer");
		goto out;
	} else {
		info("released by the peer");
	}

	/* Back in our hands: check what we lent is what we have. */
	if (!guarded_read(p, &byte)) {
		/* Old mappings of a lent buffer may stay revoked: map again. */
		vshmem_buf_unmap(buf);
		ret = vshmem_buf_map(buf, VSHMEM_ACCESS_RW, &p);
		if (ret < 0) {
			error(ret, "mapping the returned buffer");
			goto out;
		}
	}
	vshmem_buf_sync_start(buf, VSHMEM_ACCESS_READ);
	if (o.flags & VSHMEM_OFFER_F_CLEAR) {
		bad = all_zero(p, o.size) ? o.size : 0;
	} else if (o.file) {
		bad = checksum(p, o.size) == sum ? o.size : 0;
	} else {
		bad = check_pattern(p, o.size, o.seed);
	}
	vshmem_buf_sync_end(buf, VSHMEM_ACCESS_READ);
	if (bad != o.size && (o.flags & VSHMEM_OFFER_F_CLEAR)) {
		error(0, "returned buffer is not zeroed although --clear was asked");
		rc = EXIT_VERIFY;
		goto out;
	}
	if (bad != o.size) {
		error(0, "returned buffer differs at byte %llu", (unsigned long long)bad);
		rc = EXIT_VERIFY;
		goto out;
	}
	info("returned buffer verified (%s)",
	     (o.flags & VSHMEM_OFFER_F_CLEAR) ? "zeroed" : o.file ? "checksum" : "pattern");
	rc = EXIT_OK;
out:
	vshmem_offer_free(offer);
	vshmem_channel_close(ch);
	vshmem_buf_close(buf);
	vshmem_heap_close(heap);
	return rc;
}
