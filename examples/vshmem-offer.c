// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-offer: allocate a buffer of a transfer kind, fill it, offer it to
 * a vsock peer, wait until the peer gives it back (or reclaim it), then
 * check that the lender's data is intact. With --uds, on the host of a VM
 * whose vsock device is vhost-user-vsock: send the same bytes to a guest
 * port as plain data (no offer goes from a host to its guest).
 */
#include <errno.h>
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
"       vshmem-offer --uds=PATH [OPTION]... PORT\n"
"Offer a dma-buf to the vsock peer at CID:PORT and wait until it comes back.\n"
"\n"
"The buffer comes from the dma-buf heap of the chosen transfer kind, is\n"
"filled with a pattern (or a file), and is offered with a header line that\n"
"vshmem-accept uses to check what it sees. With --kind=lend the tool also\n"
"shows that it cannot read the buffer while it is lent.\n"
"\n"
"Options:\n"
"  -k, --kind=KIND          transfer kind: share (default) or lend\n"
"  -s, --size=SIZE          buffer size (default 1M; with --file: the\n"
"                           file's size)\n"
"  -f, --file=PATH          fill the buffer from PATH instead of a pattern\n"
"      --seed=N             pattern seed, 1 or more (default 1)\n"
"  -i, --id=N               offer id (default: chosen by the library)\n"
"  -T, --tag=N              FF-A tag passed to the peer unchanged\n"
"  -z, --clear              ask for the memory to come back zeroed\n"
"  -r, --readonly           the peer may only read the buffer\n"
"  -R, --reclaim-after=MS   take the buffer back if the peer has not\n"
"                           released it after MS milliseconds\n"
"  -S, --stream             use SOCK_STREAM instead of SOCK_SEQPACKET\n"
"  -u, --uds=PATH           on the host: send the header line and the\n"
"                           bytes as plain data to guest PORT through the\n"
"                           vhost-user-vsock device started with\n"
"                           --uds-path PATH (no offer: --kind, --id, --tag,\n"
"                           --clear, --readonly, --reclaim-after do not apply)\n"
"  -q, --quiet              print errors and warnings only\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the library version and exit\n"
"\n"
"CID is a number or local (1), host (2); PORT a number. Numbers are decimal\n"
"or 0x hex; SIZE takes a suffix k, K or KiB (2^10), M or MiB (2^20), G or\n"
"GiB (2^30).\n"
"\n"
"Exit status: 0 success, 1 error, 2 usage error, 3 not supported (no heap\n"
"of that kind, no vsock transport, or the transport cannot pass it),\n"
"4 verification failed.\n"
"\n"
"Examples: vshmem-offer --kind=lend --size=64M 1:5000\n"
"          vshmem-offer --uds=/tmp/vm1.vsock --stream 5000   (on the VM's host)\n");
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
	const char *uds;
	bool offer_opt;		/* an option that only an offer has */
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_SEED = 256 };
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "id", required_argument, NULL, 'i' },
		{ "tag", required_argument, NULL, 'T' },
		{ "clear", no_argument, NULL, 'z' },
		{ "readonly", no_argument, NULL, 'r' },
		{ "reclaim-after", required_argument, NULL, 'R' },
		{ "stream", no_argument, NULL, 'S' },
		{ "uds", required_argument, NULL, 'u' },
		CLI_COMMON_LONGOPTS
	};
	bool size_set = false;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "k:s:f:i:T:zrR:Su:qhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'k':
			o->offer_opt = true;
			if (!strcmp(optarg, "share"))
				o->kind = VSHMEM_KIND_SHARE;
			else if (!strcmp(optarg, "lend"))
				o->kind = VSHMEM_KIND_LEND;
			else
				return error(0, "bad --kind '%s': share or lend", optarg), -1;
			break;
		case 's':
			if (cli_opt_size("--size", optarg, &o->size) < 0)
				return -1;
			size_set = true;
			break;
		case 'f':
			o->file = optarg;
			break;
		case O_SEED:
			if (cli_opt_u64("--seed", optarg, 1, UINT32_MAX, &v) < 0)
				return -1;
			o->seed = (unsigned int)v;
			break;
		case 'i':
			o->offer_opt = true;
			if (cli_opt_u64("--id", optarg, 1, UINT64_MAX, &o->id) < 0)
				return -1;
			break;
		case 'T':
			o->offer_opt = true;
			if (cli_opt_u64("--tag", optarg, 0, UINT64_MAX, &o->tag) < 0)
				return -1;
			break;
		case 'z':
			o->offer_opt = true;
			o->flags |= VSHMEM_OFFER_F_CLEAR;
			break;
		case 'r':
			o->offer_opt = true;
			o->flags |= VSHMEM_OFFER_F_READONLY;
			break;
		case 'R':
			o->offer_opt = true;
			if (cli_opt_ms("--reclaim-after", optarg, 1, &o->reclaim_ms) < 0)
				return -1;
			break;
		case 'S':
			o->sock_type = SOCK_STREAM;
			break;
		case 'u':
			if (cli_opt_path("--uds", optarg, &o->uds) < 0)
				return -1;
			break;
		default:
			if (!cli_common_opt(c, usage, vshmem_version()))
				return -1;
		}
	}
	if (optind == argc)
		return error(0, o->uds ? "missing operand: the guest's PORT (e.g. 5000)" :
			     "missing operand: the peer's CID:PORT (e.g. 1:5000)"), -1;
	if (optind < argc - 1)
		return error(0, "too many arguments: '%s'", argv[optind + 1]), -1;
	if (o->uds) {
		if (o->offer_opt)
			return error(0, "--uds sends plain data: --kind, --id, --tag, "
				     "--clear, --readonly and --reclaim-after do not apply"), -1;
		if (cli_opt_port("PORT", argv[optind], &o->port) < 0)
			return -1;
	} else if (cli_opt_addr("address", argv[optind], &o->cid, &o->port) < 0) {
		return -1;
	}
	if (o->file && !size_set) {
		struct stat st;

		if (stat(o->file, &st) < 0)
			return 0;	/* main() says why */
		o->size = (uint64_t)st.st_size;
		if (!o->size)
			return error(0, "bad --file '%s': the file is empty", o->file), -1;
	}
	return 0;
}

/* Everything the lender holds; freed in one place. */
struct lender {
	struct vshmem_heap *heap;
	struct vshmem_buf *buf;
	struct vshmem_channel *ch;
	struct vshmem_offer *offer;
	void *p;
	uint64_t sum;
	char header[160];
};

/* Allocate from the kind's heap, fill with the pattern or the file. */
static int make_buffer(const struct opts *o, struct lender *l)
{
	int ret;

	ret = vshmem_heap_open_kind(o->kind, &l->heap);
	if (ret < 0)
		return fail_heap(ret, NULL, o->kind);
	ret = vshmem_buf_alloc(l->heap, o->size, NULL, &l->buf);
	if (ret < 0) {
		error(ret, "allocating %llu bytes from heap %s",
		      (unsigned long long)o->size, vshmem_heap_get_name(l->heap));
		return cli_exit_code(ret);
	}
	info("allocated %llu bytes from heap '%s' (kind %s)",
	     (unsigned long long)vshmem_buf_get_size(l->buf),
	     vshmem_heap_get_name(l->heap), vshmem_kind_name(o->kind));

	ret = vshmem_buf_map(l->buf, VSHMEM_ACCESS_RW, &l->p);
	if (ret == 0)
		ret = vshmem_buf_sync_start(l->buf, VSHMEM_ACCESS_WRITE);
	if (ret < 0) {
		error(ret, "mapping the buffer");
		return EXIT_ERROR;
	}
	if (o->file) {
		ret = copy_file_to_buf(o->file, l->p, o->size);
		if (ret < 0) {
			error(ret, "reading --file %s", o->file);
			return EXIT_ERROR;
		}
		l->sum = checksum(l->p, o->size);
	} else {
		fill_pattern(l->p, o->size, o->seed);
	}
	vshmem_buf_sync_end(l->buf, VSHMEM_ACCESS_WRITE);
	snprintf(l->header, sizeof(l->header), HEADER_FMT,
		 (unsigned long long)o->size, o->seed, (unsigned long long)l->sum);
	return EXIT_OK;
}

/* Connect, check the transport can pass this kind, offer the buffer. */
static int offer_buffer(const struct opts *o, struct lender *l)
{
	VSHMEM_OPTS(vshmem_channel_opts, copts, .sock_type = o->sock_type);
	VSHMEM_OPTS(vshmem_offer_opts, oopts, .id = o->id, .tag = o->tag,
		    .flags = o->flags, .data = l->header,
		    .data_len = strlen(l->header) + 1);
	unsigned char byte;
	int ret;

	ret = vshmem_channel_connect(o->cid, o->port, &copts, &l->ch);
	if (ret < 0)
		return fail_connect(ret, false, o->cid, o->port, o->sock_type);
	ret = vshmem_channel_supports(l->ch, o->kind);
	if (ret <= 0)
		return fail_kind(ret, o->cid, o->port, o->kind);
	ret = vshmem_offer_send(l->ch, l->buf, &oopts, &l->offer);
	if (ret < 0) {
		error(ret, "offering the buffer");
		return cli_exit_code(ret);
	}
	info("offered id %llu to %u:%u (%s)",
	     (unsigned long long)vshmem_offer_get_id(l->offer), o->cid, o->port,
	     l->header);

	if (o->kind == VSHMEM_KIND_LEND) {
		/* The point of LEND: the lender cannot touch it meanwhile. */
		if (guarded_read(l->p, &byte)) {
			error(0, "lent buffer is still readable by the lender");
			return EXIT_VERIFY;
		}
		info("lender access revoked while lent: ok (read faulted)");
	}
	return EXIT_OK;
}

/* Wait for the peer's release, or reclaim after --reclaim-after. */
static int wait_return(const struct opts *o, struct lender *l)
{
	int ret = vshmem_offer_wait_release(l->offer, o->reclaim_ms ? o->reclaim_ms : -1);

	if (ret == -ETIMEDOUT) {
		info("not released after %d ms, reclaiming", o->reclaim_ms);
		ret = vshmem_offer_reclaim(l->offer);
		if (ret < 0) {
			error(ret, "reclaiming the buffer");
			return EXIT_ERROR;
		}
		info("reclaimed");
	} else if (ret < 0) {
		error(ret, "waiting for the peer to release the buffer");
		return EXIT_ERROR;
	} else {
		info("released by the peer");
	}
	return EXIT_OK;
}

/* Back in our hands: check what we lent is what we have. */
static int verify(const struct opts *o, struct lender *l)
{
	unsigned char byte;
	uint64_t bad;
	int ret;

	if (!guarded_read(l->p, &byte)) {
		/* Old mappings of a lent buffer may stay revoked: map again. */
		vshmem_buf_unmap(l->buf);
		ret = vshmem_buf_map(l->buf, VSHMEM_ACCESS_RW, &l->p);
		if (ret < 0) {
			error(ret, "mapping the returned buffer");
			return EXIT_ERROR;
		}
	}
	vshmem_buf_sync_start(l->buf, VSHMEM_ACCESS_READ);
	if (o->flags & VSHMEM_OFFER_F_CLEAR)
		bad = all_zero(l->p, o->size) ? o->size : 0;
	else if (o->file)
		bad = checksum(l->p, o->size) == l->sum ? o->size : 0;
	else
		bad = check_pattern(l->p, o->size, o->seed);
	vshmem_buf_sync_end(l->buf, VSHMEM_ACCESS_READ);
	if (bad != o->size && (o->flags & VSHMEM_OFFER_F_CLEAR)) {
		error(0, "returned buffer is not zeroed although --clear was asked");
		return EXIT_VERIFY;
	}
	if (bad != o->size) {
		error(0, "returned buffer differs at byte %llu", (unsigned long long)bad);
		return EXIT_VERIFY;
	}
	info("returned buffer verified (%s)",
	     (o->flags & VSHMEM_OFFER_F_CLEAR) ? "zeroed" : o->file ? "checksum" : "pattern");
	return EXIT_OK;
}

/*
 * --uds: the header line (with its NUL, as an offer's data) and the
 * bytes, as plain data to a guest port, in messages the device carries
 * whole (64 KiB).
 */
static int send_plain(const struct opts *o)
{
	VSHMEM_OPTS(vshmem_channel_opts, copts, .sock_type = o->sock_type);
	struct vshmem_channel *ch = NULL;
	uint64_t sum = 0, done = 0;
	char header[160];
	unsigned char *p;
	int ret, rc = EXIT_OK;

	p = malloc(o->size);
	if (!p) {
		error(-ENOMEM, "allocating %llu bytes", (unsigned long long)o->size);
		return EXIT_ERROR;
	}
	if (o->file) {
		ret = copy_file_to_buf(o->file, p, o->size);
		if (ret < 0) {
			error(ret, "reading --file %s", o->file);
			free(p);
			return EXIT_ERROR;
		}
		sum = checksum(p, o->size);
	} else {
		fill_pattern(p, o->size, o->seed);
	}
	snprintf(header, sizeof(header), HEADER_FMT,
		 (unsigned long long)o->size, o->seed, (unsigned long long)sum);
	ret = vshmem_channel_connect_uds(o->uds, o->port, &copts, &ch);
	if (ret < 0) {
		free(p);
		return fail_uds(ret, false, o->uds, o->port);
	}
	ret = vshmem_channel_send(ch, header, strlen(header) + 1);
	while (ret >= 0 && done < o->size) {
		size_t n = o->size - done < 65536 ? (size_t)(o->size - done) : 65536;

		ret = vshmem_channel_send(ch, p + done, n);
		done += n;
	}
	if (ret < 0) {
		error(ret, "sending to guest port %u", o->port);
		rc = EXIT_ERROR;
	} else {
		info("sent %llu bytes to guest port %u through %s (%s)",
		     (unsigned long long)o->size, o->port, o->uds, header);
	}
	vshmem_channel_close(ch);
	free(p);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .kind = VSHMEM_KIND_SHARE, .size = 1 << 20,
			  .seed = 1, .sock_type = SOCK_SEQPACKET };
	struct lender l = { 0 };
	int rc;

	prog = "vshmem-offer";
	if (parse_args(argc, argv, &o) < 0)
		return cli_usage_error();
	if (o.file && access(o.file, R_OK) < 0) {
		error(errno, "cannot read --file %s", o.file);
		return EXIT_ERROR;
	}
	if (o.file)
		o.seed = 0;	/* seed 0 in the header: check by checksum */
	if (o.uds)
		return send_plain(&o);

	rc = make_buffer(&o, &l);
	if (rc == EXIT_OK)
		rc = offer_buffer(&o, &l);
	if (rc == EXIT_OK)
		rc = wait_return(&o, &l);
	if (rc == EXIT_OK)
		rc = verify(&o, &l);

	vshmem_offer_free(l.offer);
	vshmem_channel_close(l.ch);
	vshmem_buf_close(l.buf);
	vshmem_heap_close(l.heap);
	return rc;
}
