// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host program of kernel/tests/shmem_virtio.c: a borrower behind
 * vhost-user-vsock that takes the real guest driver's offers (the framed
 * protocol of docs/design.md 8.11).
 *
 *   vv_borrower UDS_PATH [PORT]        (PORT default 7000)
 *
 * Listens on UDS_PATH_PORT.shmem (SOCK_SEQPACKET, framed), one connection
 * after the other. Plain bytes are echoed. An OFFER is mapped as one
 * contiguous view of its ranges of the guest-RAM fd; its data bytes say
 * what to do: "share", "lend" or "lend-clear": answer '1' if the view
 * holds pattern(i, 1) of kernel/tests/shmem_test.h ('0' if not), write
 * pattern(i, 2) over it, unmap and RELEASE it; "reset": answer the same
 * but keep the offer (the guest resets its device meanwhile, which ends
 * the connection: then it is unmapped). A RECLAIM unmaps. Logs every
 * offer on stderr.
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "vv_common.h"

enum { F_DATA = 1, F_OFFER = 2, F_RECLAIM = 3, F_RELEASE = 4 };
#define MAX_FDS		8
#define MAX_RANGES	4096

struct frame_hdr {
	uint32_t op, flags;
	uint64_t id;
} __attribute__((packed));

struct offer_hdr {
	uint64_t tag, size;
	uint32_t kind, flags, data_len, nranges;
} __attribute__((packed));

struct offer_range {
	uint32_t fd_index, reserved;
	uint64_t offset, len;
} __attribute__((packed));

/* The offer being held, and the record of data bytes that follow it. */
struct held {
	bool live;
	uint64_t id, size;
	uint32_t data_len, got;
	char what[32];
	uint8_t *view;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vv_borrower: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 12));
}

static int send_frame(int s, uint32_t op, uint64_t id, const void *p, size_t len)
{
	struct frame_hdr h = { .op = op, .id = id };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	return sendmsg(s, &m, MSG_NOSIGNAL) == (ssize_t)(sizeof(h) + len) ? 0 : -1;
}

/* One contiguous view of the ranges: a reserved area, then each range
 * mapped over its part of it. NULL if a range does not map. */
static uint8_t *map_view(const struct offer_hdr *oh, const struct offer_range *r,
			 const int *fds, unsigned int nfds)
{
	uint8_t *view = mmap(NULL, oh->size, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t at = 0;

	if (view == MAP_FAILED)
		return NULL;
	for (uint32_t i = 0; i < oh->nranges; i++) {
		if (r[i].fd_index >= nfds || at + r[i].len > oh->size ||
		    mmap(view + at, r[i].len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fds[r[i].fd_index],
			 (off_t)r[i].offset) == MAP_FAILED) {
			say("range %u does not map: %s", i, strerror(errno));
			munmap(view, oh->size);
			return NULL;
		}
		at += r[i].len;
	}
	return view;
}

/* The offer's record is complete: check, write, answer, release. */
static int borrow(int s, struct held *h)
{
	char ok = '1';

	for (uint64_t i = 0; i < h->size; i++)
		if (h->view[i] != pattern(i, 1)) {
			say("offer %llu (%s): byte %llu is %#x, not %#x",
			    (unsigned long long)h->id, h->what,
			    (unsigned long long)i, h->view[i], pattern(i, 1));
			ok = '0';
			break;
		}
	if (!strcmp(h->what, "reset")) {
		say("offer %llu (reset): pattern %s, held until the connection ends",
		    (unsigned long long)h->id, ok == '1' ? "right" : "WRONG");
		return send_frame(s, F_DATA, 0, &ok, 1);
	}
	for (uint64_t i = 0; i < h->size; i++)
		h->view[i] = pattern(i, 2);
	munmap(h->view, h->size);
	h->live = false;
	say("offer %llu (%s, %llu bytes): pattern %s, wrote pattern 2, released",
	    (unsigned long long)h->id, h->what, (unsigned long long)h->size,
	    ok == '1' ? "right" : "WRONG");
	if (send_frame(s, F_DATA, 0, &ok, 1) < 0)
		return -1;
	return send_frame(s, F_RELEASE, h->id, NULL, 0);
}

static int on_offer(const struct frame_hdr *fh, const uint8_t *pl, size_t len,
		    const int *fds, unsigned int nfds, struct held *h)
{
	struct offer_hdr oh;

	if (len < sizeof(oh))
		return say("short OFFER frame"), -1;
	memcpy(&oh, pl, sizeof(oh));
	if (oh.nranges > MAX_RANGES || len != sizeof(oh) + oh.nranges * sizeof(struct offer_range))
		return say("OFFER frame of %zu bytes for %u ranges", len, oh.nranges), -1;
	if (h->live)
		return say("a second offer while one is held"), -1;
	h->view = map_view(&oh, (const void *)(pl + sizeof(oh)), fds, nfds);
	if (!h->view)
		return -1;
	h->live = true;
	h->id = fh->id;
	h->size = oh.size;
	h->data_len = oh.data_len;
	h->got = 0;
	memset(h->what, 0, sizeof(h->what));
	say("OFFER id %llu: %llu bytes in %u ranges, kind %u, flags %#x, %u data bytes",
	    (unsigned long long)fh->id, (unsigned long long)oh.size, oh.nranges,
	    oh.kind, oh.flags, oh.data_len);
	return 0;
}

static void serve(int s)
{
	static uint8_t buf[70000];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} ctl;
	struct held h = { 0 };

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
		int fds[MAX_FDS];
		unsigned int nfds = 0;
		struct frame_hdr fh;
		ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
		int err = 0;

		if (n <= 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				nfds = nfds > MAX_FDS ? MAX_FDS : nfds;
				memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
			}
		if ((size_t)n < sizeof(fh)) {
			say("frame of %zd bytes", n);
			break;
		}
		memcpy(&fh, buf, sizeof(fh));
		n -= sizeof(fh);
		switch (fh.op) {
		case F_OFFER:
			err = on_offer(&fh, buf + sizeof(fh), (size_t)n, fds, nfds, &h);
			break;
		case F_DATA:
			if (h.live && h.got < h.data_len) {
				size_t take = (size_t)n < h.data_len - h.got ?
					      (size_t)n : h.data_len - h.got;

				if (h.got + take < sizeof(h.what))
					memcpy(h.what + h.got, buf + sizeof(fh), take);
				h.got += take;
				if (h.got == h.data_len)
					err = borrow(s, &h);
			} else {
				err = send_frame(s, F_DATA, 0, buf + sizeof(fh), (size_t)n);
			}
			break;
		case F_RECLAIM:
			if (h.live && h.id == fh.id) {
				munmap(h.view, h.size);
				h.live = false;
			}
			say("RECLAIM id %llu", (unsigned long long)fh.id);
			break;
		default:
			say("unknown frame op %u", fh.op);
		}
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		if (err)
			break;
	}
	if (h.live)
		munmap(h.view, h.size);	/* closing releases what we hold */
	close(s);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int port = argc > 2 ? (unsigned int)atoi(argv[2]) : 7000;
	int l;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vv_borrower UDS_PATH [PORT]\n");
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u.shmem", argv[1], port);
	unlink(sa.sun_path);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4)) {
		perror(sa.sun_path);
		return 1;
	}
	say("listening on %s", sa.sun_path);
	for (;;) {
		int s = accept(l, NULL, NULL);

		if (s < 0)
			return 1;
		serve(s);
	}
}
