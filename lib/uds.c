// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host side of a hybrid-vsock device (vhost-user-vsock/, Firecracker
 * and vhost-device-vsock): a guest's vsock port is reached through Unix
 * sockets next to the device's socket UDS.
 *
 * - Guest to host port P, with offers: we listen on UDS_P.shmem
 *   (SOCK_SEQPACKET) and every message is a frame of docs/design.md 8.11:
 *   le32 op, le32 flags, le64 id, then the payload. DATA frames are the
 *   connection's bytes; an OFFER frame brings ranges of guest-RAM memfds
 *   (SCM_RIGHTS), mapped here as one view; RECLAIM takes it back; RELEASE
 *   (ours) gives it back.
 * - Host to guest port P, plain bytes: connect to UDS (stream) or
 *   UDS.seqpacket and say "CONNECT P\n"; "OK <port>\n" once the guest
 *   accepted.
 */
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/un.h>

#include "internal.h"

enum { FRAME_DATA = 1, FRAME_OFFER = 2, FRAME_RECLAIM = 3,
       FRAME_RELEASE = VSHMEM_FRAME_RELEASE };
#define FRAME_F_EOM		1U	/* the last frame of a SEQPACKET message */
#define FRAME_HDR		16	/* le32 op, le32 flags, le64 id */
#define OFFER_HDR		32	/* le64 tag, size; le32 kind, flags,
					 * data_len, nranges */
#define OFFER_RANGE		24	/* le32 fd_index, reserved; le64 offset,
					 * len */
/* The backend sends at most 64 KiB of bytes per frame, and an OFFER of a
 * descriptor of at most 64 KiB (12 bytes per range): both fit. */
#define FRAME_MAX_RANGES	8192
#define FRAME_MAX		(FRAME_HDR + OFFER_HDR + \
				 FRAME_MAX_RANGES * OFFER_RANGE)
/* One fd per guest memory region (the backend has at most 8); room for
 * more, so that extra fds are seen and closed, not cut off. */
#define FRAME_MAX_FDS		8
#define FRAME_RX_FDS		32

struct vshmem_frame_rx {
	/* Bytes of the last DATA frame not yet read (a stream's frame
	 * larger than the reader's buffer). */
	size_t pend_off, pend_len;
	unsigned char buf[FRAME_MAX];
};

/* One received frame. */
struct frame {
	uint32_t op, flags;
	uint64_t id;
	unsigned char *pl;
	size_t len;
	int fds[FRAME_RX_FDS];
	size_t nfds;
};

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			vshmem_sys_close(fds[i]);
}

/* "UDS_PORT.shmem" (port_suffix), else "UDS" + suffix, as an address. */
static int uds_addr(struct sockaddr_un *sa, const char *path, bool port_suffix,
		    unsigned int port, const char *suffix)
{
	int n;

	if (!path || !*path)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (port_suffix)
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s_%u.shmem",
			     path, port);
	else
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s%s", path,
			     suffix);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

static int make_framed(struct vshmem_channel *ch)
{
	ch->uds = true;
	ch->framed = true;
	ch->caps_known = true;	/* no SO_VM_SOCKETS_SHMEM_CAPS: caps 0 */
	ch->frx = calloc(1, sizeof(*ch->frx));
	return ch->frx ? 0 : -ENOMEM;
}

int vshmem_uds_accepted(const struct vshmem_channel *listener,
			struct vshmem_channel *ch)
{
	if (listener->framed)
		return make_framed(ch);
	ch->uds = true;
	ch->caps_known = true;
	return 0;
}

void vshmem_uds_free(struct vshmem_channel *ch)
{
	/* The socket file is ours: a later listener would find it in use.
	 * Only the process that bound it removes it: a forked child that
	 * closes its copy must not take the parent's listener away. */
	if (ch->uds_path && ch->uds_owner == getpid())
		vshmem_sys_unlink(ch->uds_path);
	free(ch->uds_path);
	free(ch->frx);
}

/* Bind, or take over a socket file nobody listens on any more (a program
 * that died leaves it behind). Another listener's file is left alone. */
static int bind_uds(int fd, const struct sockaddr_un *sa)
{
	int ret = vshmem_sys_bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int probe;

	if (ret != -EADDRINUSE)
		return ret;
	probe = vshmem_sys_socket(AF_UNIX, SOCK_SEQPACKET);
	if (probe < 0)
		return ret;
	if (vshmem_sys_connect(probe, (const struct sockaddr *)sa,
			       sizeof(*sa)) == -ECONNREFUSED &&
	    vshmem_sys_unlink(sa->sun_path) == 0)
		ret = vshmem_sys_bind(fd, (const struct sockaddr *)sa,
				      sizeof(*sa));
	vshmem_sys_close(probe);
	return ret;
}

VSHMEM_API int vshmem_channel_listen_uds(const char *uds_path,
					 unsigned int port,
					 const struct vshmem_channel_opts *opts,
					 struct vshmem_channel **ret_listener)
{
	struct vshmem_channel *ch = NULL;
	struct sockaddr_un sa;
	int fd, ret;

	if (!ret_listener)
		return vshmem_err(-EINVAL);
	/* Validated, but the guest's socket type does not matter here:
	 * frames carry both (FRAME_F_EOM marks a message's end). */
	ret = vshmem_channel_sock_type(opts);
	if (ret < 0)
		return vshmem_err(ret);
	ret = uds_addr(&sa, uds_path, true, port, NULL);
	if (ret < 0)
		return vshmem_err(ret);
	fd = vshmem_sys_socket(AF_UNIX, SOCK_SEQPACKET);
	if (fd < 0)
		return vshmem_err(fd);
	ret = bind_uds(fd, &sa);
	if (ret == 0) {
		ret = vshmem_sys_listen(fd, 16);
		if (ret < 0)
			vshmem_sys_unlink(sa.sun_path);
	}
	if (ret == 0)
		ret = vshmem_channel_new(fd, true, SOCK_SEQPACKET, opts, &ch);
	if (ret == 0) {
		ch->listener = true;
		ch->uds = true;
		ch->framed = true;
		ch->caps_known = true;
		ch->uds_path = strdup(sa.sun_path);
		ch->uds_owner = getpid();
		if (!ch->uds_path)
			ret = -ENOMEM;
	}
	if (ret < 0) {
		if (ch) {
			vshmem_sys_unlink(sa.sun_path);
			vshmem_channel_close(ch);	/* closes fd */
		} else {
			vshmem_sys_close(fd);
		}
		return vshmem_err(ret);
	}
	*ret_listener = ch;
	return 0;
}

/* Read the device's answer to CONNECT, one line, without reading past
 * it on a stream (the guest's bytes may follow at once). */
static int read_answer(int fd, int type, char *line, size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		struct iovec iov = { line + got, type == SOCK_STREAM ?
				     1 : len - 1 - got };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = vshmem_sys_recvmsg(fd, &msg, 0);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNREFUSED;	/* the guest said no */
		got += (size_t)n;
		if (line[got - 1] == '\n' || type != SOCK_STREAM)
			break;
	}
	line[got] = '\0';
	return 0;
}

VSHMEM_API int vshmem_channel_connect_uds(const char *uds_path,
					  unsigned int port,
					  const struct vshmem_channel_opts *opts,
					  struct vshmem_channel **ret_ch)
{
	struct vshmem_channel *ch;
	struct sockaddr_un sa;
	char line[64], *end;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int type, fd, n, ret;

	if (!ret_ch)
		return vshmem_err(-EINVAL);
	type = vshmem_channel_sock_type(opts);
	if (type < 0)
		return vshmem_err(type);
	ret = uds_addr(&sa, uds_path, false, 0,
		       type == SOCK_STREAM ? "" : ".seqpacket");
	if (ret < 0)
		return vshmem_err(ret);
	fd = vshmem_sys_socket(AF_UNIX, type);
	if (fd < 0)
		return vshmem_err(fd);
	ret = vshmem_sys_connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret < 0)
		goto fail;
	n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	iov.iov_base = line;
	iov.iov_len = (size_t)n;
	ret = (int)vshmem_sys_sendmsg(fd, &msg, 0);
	if (ret >= 0 && ret != n)
		ret = -EIO;
	if (ret < 0)
		goto fail;
	ret = read_answer(fd, type, line, sizeof(line));
	if (ret < 0)
		goto fail;
	/* "OK <the host-side port the device gave us>\n" */
	if (strncmp(line, "OK ", 3) || line[3] < '0' || line[3] > '9' ||
	    strtoul(line + 3, &end, 10) > UINT_MAX ||
	    strcmp(end, "\n")) {
		ret = -EPROTO;
		goto fail;
	}
	ret = vshmem_channel_new(fd, true, type, opts, &ch);
	if (ret < 0)
		goto fail;
	ch->uds = true;
	ch->caps_known = true;
	*ret_ch = ch;
	return 0;
fail:
	vshmem_sys_close(fd);
	return vshmem_err(ret);
}

/* ---- views of the guest's pages ---- */

void vshmem_incoming_revoke(struct vshmem_incoming *in)
{
	if (!in->view)
		return;
	/* Anonymous PROT_NONE over the view: the guest's pages are gone
	 * from this process, and a stale pointer faults instead of finding
	 * whatever is mapped there next. If even that fails, unmap. */
	if (vshmem_sys_mmap_fixed(in->resv, in->resv_len, PROT_NONE, -1, 0) < 0) {
		vshmem_sys_munmap(in->resv, in->resv_len);
		in->resv_len = 0;
	}
	in->view = NULL;
}

/* One view of the ranges at consecutive addresses of a reserved area. */
static int map_view(struct vshmem_channel *ch, const unsigned char *r,
		    uint32_t nranges, const int *fds, uint64_t size,
		    bool readonly, void **ret_view)
{
	int prot = PROT_READ | (readonly ? 0 : PROT_WRITE);
	unsigned char *view;
	uint64_t at = 0;
	int ret;

	ret = vshmem_sys_mmap_anon((size_t)size, (void **)&view);
	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < nranges; i++, r += OFFER_RANGE) {
		uint64_t len = get64(r + 16);

		ret = vshmem_sys_mmap_fixed(view + at, (size_t)len, prot,
					    fds[get32(r)], get64(r + 8));
		if (ret < 0) {
			vshmem_log(ch, VSHMEM_LOG_ERR,
				   "range %u of an offer does not map: %s", i,
				   strerror(-ret));
			vshmem_sys_munmap(view, (size_t)size);
			return ret;
		}
		at += len;
	}
	*ret_view = view;
	return 0;
}

/* A READONLY offer's fds, opened anew read-only (through /proc/self/fd),
 * so that no writable mapping can be made of them here, whatever the
 * device passed. */
static int reopen_readonly(int *fds, size_t nfds)
{
	char path[40];
	int fd;

	for (size_t i = 0; i < nfds; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		fd = vshmem_sys_open(path, O_RDONLY);
		if (fd < 0)
			return fd;
		vshmem_sys_close(fds[i]);
		fds[i] = fd;
	}
	return 0;
}

/*
 * Check an OFFER's ranges against its fds: each range page-aligned, not
 * empty, inside its fd, the lengths adding up to size; every fd used.
 * Overlapping ranges are not refused (harmless to us).
 */
static int check_ranges(const unsigned char *r, uint32_t nranges,
			const int *fds, size_t nfds, uint64_t size)
{
	uint64_t fd_size[FRAME_MAX_FDS], page = vshmem_sys_page_size();
	bool used[FRAME_MAX_FDS] = { false };
	uint64_t total = 0;
	int ret;

	for (size_t i = 0; i < nfds; i++) {
		ret = vshmem_sys_file_size(fds[i], &fd_size[i]);
		if (ret < 0)
			return -EPROTO;	/* not a file we can map */
	}
	for (uint32_t i = 0; i < nranges; i++, r += OFFER_RANGE) {
		uint32_t idx = get32(r);
		uint64_t off = get64(r + 8), len = get64(r + 16);

		if (idx >= nfds || get32(r + 4) || !len || (off | len) % page ||
		    len > fd_size[idx] || off > fd_size[idx] - len ||
		    len > size - total)
			return -EPROTO;
		used[idx] = true;
		total += len;
	}
	if (total != size)
		return -EPROTO;
	for (size_t i = 0; i < nfds; i++)
		if (!used[i])
			return -EPROTO;
	return 0;
}

/* ---- frames ---- */

int vshmem_frame_send(struct vshmem_channel *ch, uint32_t op, uint64_t id,
		      const void *buf, size_t len)
{
	unsigned char hdr[FRAME_HDR] = { 0 };
	uint32_t op_le = htole32(op);
	uint64_t id_le = htole64(id);
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)buf, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	memcpy(hdr, &op_le, 4);
	memcpy(hdr + 8, &id_le, 8);
	n = vshmem_sys_sendmsg(ch->fd, &msg, 0);
	if (n < 0)
		return (int)n;
	return (size_t)n == sizeof(hdr) + len ? 0 : -EIO;
}

/* Read one frame and the fds that came with it. 0, or -errno with every
 * fd closed (end of file: the peer is gone). */
static int read_frame(struct vshmem_channel *ch,
		      const struct vshmem_deadline *dl, struct frame *f)
{
	union {
		struct cmsghdr align;
		unsigned char buf[CMSG_SPACE(FRAME_RX_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = { ch->frx->buf, sizeof(ch->frx->buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	bool stray = false;
	ssize_t n;

	f->nfds = 0;
	n = vshmem_channel_recvmsg(ch, &msg, dl);
	if (n == -ECONNRESET)
		return vshmem_channel_peer_gone(ch);
	if (n < 0)
		return (int)n;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			stray = true;
			continue;
		}
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && f->nfds < FRAME_RX_FDS; i++)
			memcpy(&f->fds[f->nfds++], CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
	}
	/* A SEQPACKET read of 0 bytes is the end: every frame has a header. */
	if (n == 0 && !f->nfds)
		return vshmem_channel_peer_gone(ch);
	if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		vshmem_log(ch, VSHMEM_LOG_ERR, "frame or its fds truncated");
		close_fds(f->fds, f->nfds);
		return -EMSGSIZE;
	}
	if (stray || (size_t)n < FRAME_HDR) {
		vshmem_log(ch, VSHMEM_LOG_ERR, "malformed frame (%zd bytes)", n);
		close_fds(f->fds, f->nfds);
		return -EPROTO;
	}
	f->op = get32(ch->frx->buf);
	f->flags = get32(ch->frx->buf + 4);
	f->id = get64(ch->frx->buf + 8);
	f->pl = ch->frx->buf + FRAME_HDR;
	f->len = (size_t)n - FRAME_HDR;
	return 0;
}

/* Bytes of a DATA frame into buf; what does not fit waits for the next
 * read on a stream, and is cut off at the end of a message (EOM) as
 * recvmsg() does on SOCK_SEQPACKET. */
static size_t take_data(struct vshmem_channel *ch, const struct frame *f,
			size_t skip, void *buf, size_t len)
{
	size_t avail = f->len - skip, n = avail < len ? avail : len;

	if (n)
		memcpy(buf, f->pl + skip, n);
	if (n < avail && !(f->flags & FRAME_F_EOM)) {
		ch->frx->pend_off = (size_t)(f->pl - ch->frx->buf) + skip + n;
		ch->frx->pend_len = avail - n;
	}
	return n;
}

/*
 * The offer's data bytes follow its OFFER frame as DATA frames (the
 * guest's order): read them now, so that an offer comes with its bytes as
 * on a vsock socket. The backend sends them right behind the descriptor,
 * so a caller that does not wait still waits a moment for them.
 */
static int read_offer_data(struct vshmem_channel *ch, uint32_t data_len,
			   const struct vshmem_deadline *dl, void *buf,
			   size_t len)
{
	struct vshmem_deadline wait;
	size_t got = 0, copied = 0;
	struct frame f;
	int ret;

	if (dl->timeout_ms < 0)
		wait = *dl;
	else
		vshmem_deadline_start(&wait, 1000);
	while (got < data_len) {
		size_t take;

		ret = read_frame(ch, &wait, &f);
		if (ret < 0)
			return ret;
		if (f.op != FRAME_DATA || f.nfds) {
			close_fds(f.fds, f.nfds);
			return -EPROTO;
		}
		take = f.len < data_len - got ? f.len : data_len - got;
		if (copied < len) {
			size_t n = take < len - copied ? take : len - copied;

			memcpy((char *)buf + copied, f.pl, n);
			copied += n;
		}
		got += take;
		/* Bytes past the record (a stream): the next read's. */
		if (take < f.len) {
			ch->frx->pend_off = (size_t)(f.pl - ch->frx->buf) + take;
			ch->frx->pend_len = f.len - take;
		}
	}
	return (int)copied;
}

static int new_addr_incoming(struct vshmem_channel *ch, const struct frame *f,
			     int kind, unsigned int flags, void *view,
			     uint64_t size, struct vshmem_incoming **ret_in)
{
	struct vshmem_incoming *in = calloc(1, sizeof(*in));

	if (!in)
		return -ENOMEM;
	in->ch = ch;
	in->id = f->id;
	in->kind = kind;
	in->type = VSHMEM_TYPE_ADDR;
	in->size = size;
	in->tag = get64(f->pl);
	in->flags = flags;
	in->state = VSHMEM_STATE_LIVE;
	in->view = view;
	in->resv = view;
	in->resv_len = (size_t)size;
	vshmem_list_add(&ch->incomings, &in->link);
	*ret_in = in;
	return 0;
}

/*
 * An OFFER frame: check it, map its ranges as one view, close its fds.
 * An offer we cannot use is given back at once (RELEASE), unless its id
 * is one we hold: that RELEASE would end the wrong offer.
 */
static int frame_offer(struct vshmem_channel *ch, struct frame *f,
		       const struct vshmem_deadline *dl, void *buf, size_t len,
		       struct vshmem_incoming **ret_in)
{
	struct vshmem_incoming *in = NULL;
	uint32_t nranges, data_len;
	unsigned int flags;
	void *view = NULL;
	uint64_t size;
	int kind, ret, n;

	if (f->len < OFFER_HDR) {
		ret = -EPROTO;
		goto refuse;
	}
	size = get64(f->pl + 8);
	kind = vshmem_frame_kind_from_wire(get32(f->pl + 16));
	flags = vshmem_flags_from_uapi(get32(f->pl + 20));
	data_len = get32(f->pl + 24);
	nranges = get32(f->pl + 28);
	ret = -EPROTO;
	if (kind < 0 || !size || size > SIZE_MAX || !nranges ||
	    nranges > FRAME_MAX_RANGES ||
	    f->len != OFFER_HDR + (size_t)nranges * OFFER_RANGE ||
	    !f->nfds || f->nfds > FRAME_MAX_FDS)
		goto refuse;
	if (vshmem_channel_find_incoming(ch, f->id)) {
		vshmem_log(ch, VSHMEM_LOG_ERR, "offer %llu is already held",
			   (unsigned long long)f->id);
		close_fds(f->fds, f->nfds);
		return -EPROTO;
	}
	ret = check_ranges(f->pl + OFFER_HDR, nranges, f->fds, f->nfds, size);
	if (ret == 0 && (flags & VSHMEM_OFFER_F_READONLY))
		ret = reopen_readonly(f->fds, f->nfds);
	if (ret == 0)
		ret = map_view(ch, f->pl + OFFER_HDR, nranges, f->fds, size,
			       flags & VSHMEM_OFFER_F_READONLY, &view);
	if (ret < 0)
		goto refuse;
	/* The mappings hold the memory; the fds are not needed any more. */
	close_fds(f->fds, f->nfds);
	f->nfds = 0;
	ret = new_addr_incoming(ch, f, kind, flags, view, size, &in);
	if (ret < 0) {
		vshmem_sys_munmap(view, (size_t)size);
		goto refuse;
	}
	n = read_offer_data(ch, data_len, dl, buf, len);
	if (n < 0 || !ret_in) {
		if (n >= 0)
			vshmem_log(ch, VSHMEM_LOG_WARNING,
				   "offer %llu not wanted, releasing",
				   (unsigned long long)in->id);
		vshmem_incoming_release(in);
		vshmem_incoming_close(in);
		return n;
	}
	*ret_in = in;
	return n;
refuse:
	vshmem_log(ch, VSHMEM_LOG_ERR, "offer %llu refused: %s",
		   (unsigned long long)f->id, strerror(-ret));
	close_fds(f->fds, f->nfds);
	vshmem_frame_send(ch, FRAME_RELEASE, f->id, NULL, 0);
	return ret;
}

int vshmem_frame_recv(struct vshmem_channel *ch, void *buf, size_t len,
		      const struct vshmem_deadline *dl,
		      struct vshmem_incoming **ret_in)
{
	struct vshmem_frame_rx *rx = ch->frx;
	struct vshmem_incoming *in;
	struct frame f;
	int ret;

	if (ret_in)
		*ret_in = NULL;
	if (len > INT_MAX)
		len = INT_MAX;
	if (rx->pend_len) {
		size_t n = rx->pend_len < len ? rx->pend_len : len;

		if (n)
			memcpy(buf, rx->buf + rx->pend_off, n);
		rx->pend_off += n;
		rx->pend_len -= n;
		return (int)n;
	}
	ret = read_frame(ch, dl, &f);
	if (ret < 0)
		return ret;
	switch (f.op) {
	case FRAME_DATA:
		if (f.nfds)
			break;
		return (int)take_data(ch, &f, 0, buf, len);
	case FRAME_OFFER:
		return frame_offer(ch, &f, dl, buf, len, ret_in);
	case FRAME_RECLAIM:
		if (f.nfds || f.len)
			break;
		in = vshmem_channel_find_incoming(ch, f.id);
		if (in) {
			vshmem_incoming_revoke(in);
			in->state = VSHMEM_STATE_RECLAIMED;
		} else {
			vshmem_log(ch, VSHMEM_LOG_WARNING,
				   "reclaim of unknown offer %llu",
				   (unsigned long long)f.id);
		}
		return 0;
	}
	/* RELEASE is ours to send; anything else is unknown. */
	vshmem_log(ch, VSHMEM_LOG_ERR, "unexpected frame op %u", f.op);
	close_fds(f.fds, f.nfds);
	return -EPROTO;
}

VSHMEM_API int vshmem_channel_send(struct vshmem_channel *ch, const void *buf,
				   size_t len)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int ret;

	if (!ch || (!buf && len) || len > INT_MAX)
		return vshmem_err(-EINVAL);
	if (ch->listener)
		return vshmem_err(-ENOTCONN);
	if (ch->framed) {
		/* One frame is one message of a SEQPACKET connection; the
		 * device carries up to 64 KiB in one. */
		if (len > 64 * 1024)
			return vshmem_err(-EMSGSIZE);
		ret = vshmem_frame_send(ch, FRAME_DATA, 0, buf, len);
	} else {
		ret = vshmem_channel_send_ctl(ch, &msg, len);
	}
	return ret < 0 ? vshmem_err(ret) : (int)len;
}

VSHMEM_API void *vshmem_incoming_get_view(const struct vshmem_incoming *in)
{
	if (!in)
		return VSHMEM_NULL_ARG(NULL);
	if (in->type != VSHMEM_TYPE_ADDR) {
		errno = EINVAL;
		return NULL;
	}
	if (!in->view) {
		errno = ESTALE;
		return NULL;
	}
	return in->view;
}
