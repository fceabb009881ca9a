// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host program of kernel/tests/shmem_virtio.c: a borrower behind
 * vhost-user-vsock that takes the real guest driver's offers (the framed
 * protocol of docs/design.md 8.11).
 *
 *   vv_borrower UDS_PATH [PORT [BACKEND_PID]]     (PORT default 7000)
 *
 * Listens on UDS_PATH_PORT.shmem (SOCK_SEQPACKET, framed) and serves one
 * connection after the other, each in a child process, so that a child
 * can die as a host program dies; the parent notes how each one ended.
 * An OFFER is mapped as one contiguous view of its ranges of the guest-RAM
 * fd; its data bytes say what to do:
 *   share, lend, lend-clear  answer '1' if the view holds pattern(i, 1) of
 *             kernel/tests/shmem_test.h ('0' if not), write pattern(i, 2)
 *             over it, unmap and RELEASE it
 *   reset     answer the same and keep the offer: the guest resets its
 *             device, and the connection must end (EOF, or a RECLAIM)
 *             while the offer is held: the child unmaps and exits "told"
 *   die       answer the same, then SIGKILL itself holding the offer
 *   kill-backend  answer the same, then SIGKILL BACKEND_PID, holding it
 *   hostile   answer after injecting bad OP_SHMEM descriptors into the
 *             connection (the backend's --inject-hostile), see hostile()
 * Plain bytes (the whole message):
 *   hostile-none  injected descriptors on a connection that never offered
 *   told?     '1' if the previous connection ended "told", else '0'
 *   killed?   '1' if the previous connection's child died by SIGKILL
 *   anything else is echoed.
 * Logs every offer and every connection's end on stderr.
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "vv_common.h"

enum { F_DATA = 1, F_OFFER = 2, F_RECLAIM = 3, F_RELEASE = 4, F_INJECT = 5 };
#define MAX_FDS		8
#define MAX_RANGES	4096
/* how a connection's child ended (its exit status) */
enum { END_DONE = 0, END_ERROR = 1, END_TOLD = 3, END_KILLED = 9 };

static pid_t backend;
static int prev_end = -1;	/* the previous connection's */

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
	bool mute;	/* backend killed: answer nothing more */
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

/* OP_SHMEM payloads for INJECT frames (docs/design.md 8.12): the fixed
 * part, nents entries, the 48-byte extension; little-endian (x86 host). */
struct desc_fixed {
	uint32_t subop, type, len, nents;
} __attribute__((packed));

struct desc_ext {
	uint64_t id, tag, handle, size;
	uint32_t kind, flags, xflags, data_len;
} __attribute__((packed));

struct desc_ent {
	uint64_t addr;
	uint32_t len;
} __attribute__((packed));

enum { SUBOP_OFFER = 0, SUBOP_RELINQUISH = 1, SUBOP_RECLAIM = 2, TYPE_ADDR = 3 };

/* A notice (RELINQUISH/RECLAIM) or an OFFER with one entry, as the driver
 * parses it, into b; returns its length. Callers then spoil one field. */
static size_t desc_build(uint8_t *b, uint32_t subop, uint64_t id)
{
	struct desc_fixed f = { .subop = subop, .type = TYPE_ADDR };
	struct desc_ext e = { .id = id };
	struct desc_ent ent = { .addr = 0x100000, .len = 4096 };
	size_t at = sizeof(f);

	if (subop == SUBOP_OFFER) {
		f.nents = 1;
		memcpy(b + at, &ent, sizeof(ent));
		at += sizeof(ent);
		e.size = 4096;
		e.kind = 1;	/* SHARE */
	}
	memcpy(b + at, &e, sizeof(e));
	at += sizeof(e);
	f.len = (uint32_t)at;
	memcpy(b, &f, sizeof(f));
	return at;
}

static int inject(int s, const uint8_t *b, size_t len, const char *what)
{
	say("injecting %s (%zu bytes)", what, len);
	return send_frame(s, F_INJECT, 0, b, len);
}

/*
 * What a hostile device sends on connection s, whose offer id (if any) is
 * live: with live, RELINQUISH of an unknown id, an OFFER from the device,
 * five malformed descriptors (len past the packet, a notice with
 * data_len, entries past len, an unknown subop, a packet shorter than
 * the fixed part), then the real RELEASE and a second RELINQUISH of id:
 * the guest must count 2 dropped, 5 malformed, 1 refused. Without live
 * (a connection that never offered): RELINQUISH and RECLAIM of id (2
 * dropped) and an OFFER (1 refused).
 */
static int hostile(int s, uint64_t id, bool live)
{
	uint8_t b[256];
	struct desc_fixed f;
	size_t n;
	int err = 0;

	n = desc_build(b, SUBOP_RELINQUISH, live ? id + 1000 : id);
	err |= inject(s, b, n, live ? "RELINQUISH of an unknown id" :
		      "RELINQUISH on a connection that never offered");
	if (!live) {
		n = desc_build(b, SUBOP_RECLAIM, id);
		err |= inject(s, b, n, "RECLAIM on a connection that never offered");
	}
	n = desc_build(b, SUBOP_OFFER, 77);
	err |= inject(s, b, n, "an OFFER from the device");
	if (!live)
		return err;

	n = desc_build(b, SUBOP_RELINQUISH, id);
	memcpy(&f, b, sizeof(f));
	f.len = (uint32_t)n + 64;
	memcpy(b, &f, sizeof(f));
	err |= inject(s, b, n, "RELINQUISH whose len runs past the packet");

	n = desc_build(b, SUBOP_RELINQUISH, id);
	b[sizeof(f) + offsetof(struct desc_ext, data_len)] = 7;
	err |= inject(s, b, n, "RELINQUISH with a data_len");

	n = desc_build(b, SUBOP_RELINQUISH, id);
	memcpy(&f, b, sizeof(f));
	f.nents = 1000;
	memcpy(b, &f, sizeof(f));
	err |= inject(s, b, n, "RELINQUISH whose entries run past its len");

	n = desc_build(b, SUBOP_RELINQUISH, id);
	b[0] = 9;
	err |= inject(s, b, n, "an unknown subop");

	n = desc_build(b, SUBOP_RELINQUISH, id);
	err |= inject(s, b, 10, "10 bytes, less than the fixed part");

	err |= send_frame(s, F_RELEASE, id, NULL, 0);
	n = desc_build(b, SUBOP_RELINQUISH, id);
	err |= inject(s, b, n, "a second RELINQUISH of the offer");
	return err;
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

/* The offer's record is complete: check, then do what its bytes say.
 * 0 to go on, -1 to end the connection. */
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
	say("offer %llu (%s, %llu bytes): pattern %s", (unsigned long long)h->id,
	    h->what, (unsigned long long)h->size, ok == '1' ? "right" : "WRONG");
	if (!strcmp(h->what, "reset"))
		return send_frame(s, F_DATA, 0, &ok, 1);
	if (!strcmp(h->what, "die")) {
		if (send_frame(s, F_DATA, 0, &ok, 1) < 0)
			return -1;
		say("offer %llu held: SIGKILL to myself", (unsigned long long)h->id);
		raise(SIGKILL);
	}
	if (!strcmp(h->what, "kill-backend")) {
		if (send_frame(s, F_DATA, 0, &ok, 1) < 0)
			return -1;
		usleep(500 * 1000);	/* let the answer reach the guest */
		say("offer %llu held: SIGKILL to the backend (pid %d)",
		    (unsigned long long)h->id, (int)backend);
		if (backend <= 0 || kill(backend, SIGKILL))
			return -1;
		h->mute = true;	/* bytes queued before the kill get no echo */
		return 0;
	}
	if (!strcmp(h->what, "hostile")) {
		munmap(h->view, h->size);
		h->live = false;
		if (hostile(s, h->id, true))
			return -1;
		return send_frame(s, F_DATA, 0, &ok, 1);
	}
	for (uint64_t i = 0; i < h->size; i++)
		h->view[i] = pattern(i, 2);
	munmap(h->view, h->size);
	h->live = false;
	say("offer %llu: wrote pattern 2, released", (unsigned long long)h->id);
	if (send_frame(s, F_DATA, 0, &ok, 1) < 0)
		return -1;
	return send_frame(s, F_RELEASE, h->id, NULL, 0);
}

/* Plain bytes, one message: a question, an injection, or an echo. */
static int plain(int s, const uint8_t *p, size_t n)
{
	char yes;

	if (n == 12 && !memcmp(p, "hostile-none", 12)) {
		if (hostile(s, 40, false))
			return -1;
		return send_frame(s, F_DATA, 0, "1", 1);
	}
	if ((n == 5 && !memcmp(p, "told?", 5)) ||
	    (n == 7 && !memcmp(p, "killed?", 7))) {
		yes = prev_end == (n == 5 ? END_TOLD : END_KILLED) ? '1' : '0';
		say("%.*s the previous connection ended %d: '%c'", (int)n, p,
		    prev_end, yes);
		return send_frame(s, F_DATA, 0, &yes, 1);
	}
	return send_frame(s, F_DATA, 0, p, n);
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

/* One connection; its end (END_*) is the child's exit status. */
static int serve(int s)
{
	static uint8_t buf[70000];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} ctl;
	struct held h = { 0 };
	int end = END_DONE;

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
		int fds[MAX_FDS];
		unsigned int nfds = 0;
		struct frame_hdr fh;
		ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
		int err = 0;

		if (n <= 0) {
			if (h.live) {
				say("offer %llu (%s): the connection ended (%s) while it was held: unmapped",
				    (unsigned long long)h.id, h.what,
				    n ? strerror(errno) : "end of file");
				end = END_TOLD;
			}
			break;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				nfds = nfds > MAX_FDS ? MAX_FDS : nfds;
				memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
			}
		if ((size_t)n < sizeof(fh)) {
			say("frame of %zd bytes", n);
			end = END_ERROR;
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
			} else if (!h.mute) {
				err = plain(s, buf + sizeof(fh), (size_t)n);
			}
			break;
		case F_RECLAIM:
			say("RECLAIM id %llu", (unsigned long long)fh.id);
			if (h.live && h.id == fh.id) {
				munmap(h.view, h.size);
				h.live = false;
				end = END_TOLD;
			}
			break;
		default:
			say("unknown frame op %u", fh.op);
		}
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		if (err) {
			end = END_ERROR;
			break;
		}
	}
	if (h.live)
		munmap(h.view, h.size);	/* closing releases what we hold */
	close(s);
	return end;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int port = argc > 2 ? (unsigned int)atoi(argv[2]) : 7000;
	int l;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: vv_borrower UDS_PATH [PORT [BACKEND_PID]]\n");
		return 2;
	}
	backend = argc > 3 ? (pid_t)atoi(argv[3]) : 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u.shmem", argv[1], port);
	unlink(sa.sun_path);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4)) {
		perror(sa.sun_path);
		return 1;
	}
	say("listening on %s", sa.sun_path);
	for (;;) {
		int s = accept(l, NULL, NULL), st;
		pid_t pid;

		if (s < 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			close(l);
			_exit(serve(s));
		}
		close(s);
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 1;
		if (WIFSIGNALED(st))
			prev_end = WTERMSIG(st) == SIGKILL ? END_KILLED : END_ERROR;
		else
			prev_end = WEXITSTATUS(st);
		say("connection ended: %s", prev_end == END_DONE ? "done" :
		    prev_end == END_TOLD ? "told while holding an offer" :
		    prev_end == END_KILLED ? "killed by SIGKILL" : "error");
	}
}
