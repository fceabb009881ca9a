// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Channels: an AF_VSOCK connection (or listener), its transfer
 * capabilities, and the receive path that turns control messages into
 * incoming offers and release/reclaim notices.
 */
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"	/* <linux/vm_sockets.h>, through the uAPI copy */

int vshmem_channel_new(int fd, bool owns_fd, int sock_type,
		       const struct vshmem_channel_opts *opts,
		       struct vshmem_channel **ret_ch)
{
	struct vshmem_channel *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return -ENOMEM;
	ch->fd = fd;
	ch->owns_fd = owns_fd;
	ch->sock_type = sock_type;
	ch->next_id = 1;
	ch->log_fn = OPTS_GET(opts, log_fn, NULL);
	ch->log_data = OPTS_GET(opts, log_data, NULL);
	for (size_t i = 0; i < VSHMEM_OFFER_BUCKETS; i++)
		vshmem_list_init(&ch->offers[i]);
	vshmem_list_init(&ch->incomings);
	for (size_t i = 0; i < VSHMEM_URING_BUCKETS; i++)
		vshmem_list_init(&ch->uring[i]);
	*ret_ch = ch;
	return 0;
}

/* Validate opts and return the socket type to use. */
int vshmem_channel_sock_type(const struct vshmem_channel_opts *opts)
{
	int ret = OPTS_VALID(opts, vshmem_channel_opts);
	int type;

	if (ret < 0)
		return ret;
	type = OPTS_GET(opts, sock_type, 0);
	if (type == 0)
		return SOCK_SEQPACKET;
	if (type != SOCK_SEQPACKET && type != SOCK_STREAM)
		return -EINVAL;
	return type;
}

static void vsock_addr(struct sockaddr_vm *sa, unsigned int cid,
		       unsigned int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->svm_family = AF_VSOCK;
	sa->svm_cid = cid;
	sa->svm_port = port;
}

/* A socket of the type @opts ask for, and the address to use it with. */
static int vsock_socket(const struct vshmem_channel_opts *opts,
			unsigned int cid, unsigned int port,
			struct sockaddr_vm *sa, int *ret_type)
{
	int type = vshmem_channel_sock_type(opts);
	int fd;

	if (type < 0)
		return type;
	fd = vshmem_sys_socket(AF_VSOCK, type);
	if (fd < 0)
		return fd;
	vsock_addr(sa, cid, port);
	*ret_type = type;
	return fd;
}

VSHMEM_API int vshmem_channel_connect(unsigned int cid, unsigned int port,
				      const struct vshmem_channel_opts *opts,
				      struct vshmem_channel **ret_ch)
{
	struct sockaddr_vm sa;
	int type, fd, ret;

	if (!ret_ch)
		return vshmem_err(-EINVAL);
	fd = vsock_socket(opts, cid, port, &sa, &type);
	if (fd < 0)
		return vshmem_err(fd);
	ret = vshmem_sys_connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret == 0)
		ret = vshmem_channel_new(fd, true, type, opts, ret_ch);
	if (ret < 0)
		vshmem_sys_close(fd);
	return vshmem_err(ret);
}

VSHMEM_API int vshmem_channel_listen(unsigned int cid, unsigned int port,
				     const struct vshmem_channel_opts *opts,
				     struct vshmem_channel **ret_listener)
{
	struct vshmem_channel *ch;
	struct sockaddr_vm sa;
	int type, fd, ret;

	if (!ret_listener)
		return vshmem_err(-EINVAL);
	fd = vsock_socket(opts, cid, port, &sa, &type);
	if (fd < 0)
		return vshmem_err(fd);
	ret = vshmem_sys_bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret == 0)
		ret = vshmem_sys_listen(fd, 16);
	if (ret == 0)
		ret = vshmem_channel_new(fd, true, type, opts, &ch);
	if (ret != 0) {		/* ch is set only when every step gave 0 */
		vshmem_sys_close(fd);
		return vshmem_err(ret);
	}
	ch->listener = true;
	*ret_listener = ch;
	return 0;
}

VSHMEM_API int vshmem_channel_accept(struct vshmem_channel *listener,
				     struct vshmem_channel **ret_ch)
{
	struct vshmem_channel *ch;
	int fd, ret;

	if (!listener || !ret_ch || !listener->listener)
		return vshmem_err(-EINVAL);
	fd = vshmem_sys_accept(listener->fd);
	if (fd < 0)
		return vshmem_err(fd);
	ret = vshmem_channel_new(fd, true, listener->sock_type, NULL, &ch);
	if (ret < 0) {
		vshmem_sys_close(fd);
		return vshmem_err(ret);
	}
	ch->log_fn = listener->log_fn;
	ch->log_data = listener->log_data;
	if (listener->uds) {
		ret = vshmem_uds_accepted(listener, ch);
		if (ret < 0) {
			vshmem_channel_close(ch);
			return vshmem_err(ret);
		}
	}
	*ret_ch = ch;
	return 0;
}

VSHMEM_API int vshmem_channel_adopt(int fd,
				    const struct vshmem_channel_opts *opts,
				    struct vshmem_channel **ret_ch)
{
	int domain = 0, type = 0, ret;
	socklen_t len = sizeof(domain);

	if (!ret_ch)
		return vshmem_err(-EINVAL);
	if (fd < 0)
		return vshmem_err(-EBADF);
	ret = OPTS_VALID(opts, vshmem_channel_opts);
	if (ret < 0)
		return vshmem_err(ret);
	/* The socket itself says what it is; opts.sock_type is not needed. */
	ret = vshmem_sys_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	if (ret < 0)
		return vshmem_err(ret);
	if (domain != AF_VSOCK)
		return vshmem_err(-EAFNOSUPPORT);
	len = sizeof(type);
	ret = vshmem_sys_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	if (ret < 0)
		return vshmem_err(ret);
	if (type != SOCK_SEQPACKET && type != SOCK_STREAM)
		return vshmem_err(-EINVAL);
	return vshmem_err(vshmem_channel_new(fd, false, type, opts, ret_ch));
}

VSHMEM_API void vshmem_channel_close(struct vshmem_channel *ch)
{
	struct vshmem_list *l, *next;

	if (!ch)
		return;
	/* io_uring operations still in flight break the documented rule;
	 * forget them so that their CQEs are refused as foreign. */
	for (size_t i = 0; i < VSHMEM_URING_BUCKETS; i++)
		while (ch->uring[i].next != &ch->uring[i])
			vshmem_uring_req_drop(vshmem_container_of(ch->uring[i].next,
					struct vshmem_uring_req, link));
	/* Detach what is left: the kernel ends live offers on close. */
	for (size_t i = 0; i < VSHMEM_OFFER_BUCKETS; i++) {
		struct vshmem_list *h = &ch->offers[i];

		for (l = h->next; l != h; l = next) {
			struct vshmem_offer *o =
				vshmem_container_of(l, struct vshmem_offer, link);

			next = l->next;
			vshmem_offer_mark_dead(o);
			o->ch = NULL;
			vshmem_list_del(l);
		}
	}
	for (l = ch->incomings.next; l != &ch->incomings; l = next) {
		struct vshmem_incoming *in =
			vshmem_container_of(l, struct vshmem_incoming, link);

		next = l->next;
		/* Closing the socket ends every offer it carried: the
		 * guest may reuse the pages at once. */
		vshmem_incoming_revoke(in);
		if (in->state == VSHMEM_STATE_LIVE)
			in->state = VSHMEM_STATE_DEAD;
		in->ch = NULL;
		vshmem_list_del(l);
	}
	if (ch->owns_fd)
		vshmem_sys_close(ch->fd);
	vshmem_uds_free(ch);
	free(ch);
}

VSHMEM_API int vshmem_channel_get_fd(const struct vshmem_channel *ch)
{
	return ch ? ch->fd : vshmem_err(-EINVAL);
}

/* Query SO_VM_SOCKETS_SHMEM_CAPS once per channel. A kernel without the
 * series answers ENOPROTOOPT: that is "no support" (0), not an error. */
int vshmem_channel_caps(struct vshmem_channel *ch, uint64_t *ret)
{
	uint64_t ucaps = 0;
	socklen_t len = sizeof(ucaps);
	int r;

	if (ch->listener)
		return -ENOTCONN;
	if (!ch->caps_known) {
		r = vshmem_sys_getsockopt(ch->fd, AF_VSOCK,
					  SO_VM_SOCKETS_SHMEM_CAPS,
					  &ucaps, &len);
		if (r == -ENOPROTOOPT) {
			vshmem_log(ch, VSHMEM_LOG_DEBUG,
				   "kernel has no SO_VM_SOCKETS_SHMEM_CAPS: no shared memory support");
			ucaps = 0;
		} else if (r < 0) {
			return r;
		} else if (len != sizeof(ucaps)) {
			return -EPROTO;
		}
		ch->caps = vshmem_caps_from_uapi(ucaps);
		ch->caps_known = true;
	}
	*ret = ch->caps;
	return 0;
}

VSHMEM_API int vshmem_channel_get_caps(struct vshmem_channel *ch,
				       uint64_t *ret_caps)
{
	if (!ch || !ret_caps)
		return vshmem_err(-EINVAL);
	return vshmem_err(vshmem_channel_caps(ch, ret_caps));
}

VSHMEM_API int vshmem_channel_supports(struct vshmem_channel *ch,
				       enum vshmem_kind kind)
{
	uint64_t caps;
	int ret;

	if (!ch || !vshmem_kind_valid((int)kind))
		return vshmem_err(-EINVAL);
	ret = vshmem_channel_caps(ch, &caps);
	if (ret < 0)
		return vshmem_err(ret);
	return (caps & VSHMEM_CAP_KIND(kind)) && (caps & VSHMEM_CAP_TYPES);
}

struct vshmem_offer *vshmem_channel_find_offer(struct vshmem_channel *ch,
					       uint64_t id)
{
	struct vshmem_list *h = vshmem_offer_bucket(ch, id);

	for (struct vshmem_list *l = h->next; l != h; l = l->next) {
		struct vshmem_offer *o =
			vshmem_container_of(l, struct vshmem_offer, link);

		if (o->id == id && o->state == VSHMEM_STATE_LIVE)
			return o;
	}
	return NULL;
}

/* The live incoming offer of this id, or NULL. */
struct vshmem_incoming *vshmem_channel_find_incoming(struct vshmem_channel *ch,
						     uint64_t id)
{
	for (struct vshmem_list *l = ch->incomings.next; l != &ch->incomings;
	     l = l->next) {
		struct vshmem_incoming *in =
			vshmem_container_of(l, struct vshmem_incoming, link);

		if (in->id == id && in->state == VSHMEM_STATE_LIVE)
			return in;
	}
	return NULL;
}

/*
 * Send a message that carries a control message. On SOCK_STREAM a short
 * send is finished without the control part (it went with the first
 * byte).
 */
int vshmem_channel_send_ctl(struct vshmem_channel *ch, struct msghdr *msg,
			    size_t total)
{
	struct msghdr rest = { 0 };
	struct iovec iov;
	size_t done = 0;
	ssize_t n;

	n = vshmem_sys_sendmsg(ch->fd, msg, 0);
	while (n >= 0) {
		done += (size_t)n;
		if (done >= total)
			return 0;
		if (n == 0 || !msg->msg_iovlen)	/* no progress, or no bytes */
			return -EIO;
		iov.iov_base = (char *)msg->msg_iov[0].iov_base + done;
		iov.iov_len = total - done;
		rest.msg_iov = &iov;
		rest.msg_iovlen = 1;
		n = vshmem_sys_sendmsg(ch->fd, &rest, 0);
	}
	return (int)n;
}

/* The type to put in a descriptor we send: what the transport delivers. */
uint32_t vshmem_channel_send_type(const struct vshmem_channel *ch)
{
	return vshmem_send_type_from_caps(ch->caps);
}

/* Send a RELINQUISH or RECLAIM: the id, no data bytes and no type (the
 * kernel knows the offer's). A data byte would reach the peer as plain
 * data, because the peer's kernel generates the notice it sees itself. */
int vshmem_channel_send_notice(struct vshmem_channel *ch, uint32_t subop,
			       uint64_t id)
{
	struct vsock_shmem d = { .subop = subop, .id = id, .fd = -1 };
	union vshmem_ctl ctl;
	struct msghdr msg = { 0 };
	uint64_t caps;
	int ret;

	ret = vshmem_channel_caps(ch, &caps);
	if (ret < 0)
		return ret;
	ret = vshmem_cmsg_encode(ctl.buf, sizeof(ctl.buf), &d);
	if (ret < 0)
		return ret;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = (size_t)ret;
	return vshmem_channel_send_ctl(ch, &msg, 0);
}

static void close_fds(struct vshmem_channel *ch, const int *fds, size_t n,
		      int keep)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] == keep)
			continue;
		vshmem_log(ch, VSHMEM_LOG_WARNING,
			   "closing unexpected received fd %d", fds[i]);
		vshmem_sys_close(fds[i]);
	}
}

static int new_incoming(struct vshmem_channel *ch, const struct vsock_shmem *d,
			struct vshmem_incoming **ret_in)
{
	struct vshmem_incoming *in = calloc(1, sizeof(*in));

	if (!in)
		return -ENOMEM;
	in->ch = ch;
	in->id = d->id;
	in->kind = vshmem_kind_from_uapi(d->kind);
	in->type = vshmem_type_from_uapi(d->type);
	in->size = d->size;
	in->tag = d->tag;
	in->handle = d->handle;
	in->flags = vshmem_flags_from_uapi(d->flags);
	in->state = VSHMEM_STATE_LIVE;
	if (d->fd >= 0) {
		in->buf = vshmem_buf_wrap(d->fd, d->size, in->kind);
		if (!in->buf) {
			free(in);
			return -ENOMEM;
		}
	}
	vshmem_list_add(&ch->incomings, &in->link);
	*ret_in = in;
	return 0;
}

/*
 * Make sense of what recvmsg() returned: n data bytes, and the control
 * buffer. Every fd that arrived is either handed over or closed. Returns
 * the data byte count, or -errno; a control message may come with none.
 */
int vshmem_channel_process_rx(struct vshmem_channel *ch, struct msghdr *msg,
			      ssize_t n, struct vshmem_incoming **ret_in)
{
	struct vshmem_cmsg_rx rx;
	struct vshmem_incoming *in;
	struct vshmem_offer *o;
	int ret;

	ret = vshmem_cmsg_decode(msg, &rx);
	if (ret < 0) {
		vshmem_log(ch, VSHMEM_LOG_ERR, "bad control message: %s",
			   ret == -EMSGSIZE ? "truncated" : "malformed");
		close_fds(ch, rx.fds, rx.nfds, -1);
		return ret;
	}
	if (ret_in)
		*ret_in = NULL;
	if (!rx.found)
		return (int)n;

	switch (rx.desc.subop) {
	case VSOCK_SHMEM_SUBOP_OFFER:
		close_fds(ch, rx.fds, rx.nfds, rx.desc.fd);
		ret = new_incoming(ch, &rx.desc, &in);
		if (ret < 0) {
			if (rx.desc.fd >= 0)
				vshmem_sys_close(rx.desc.fd);
			/* Give it back: nobody can use it now. */
			vshmem_channel_send_notice(ch,
				VSOCK_SHMEM_SUBOP_RELINQUISH, rx.desc.id);
			return ret;
		}
		if (!ret_in) {
			vshmem_log(ch, VSHMEM_LOG_WARNING,
				   "offer %llu not wanted, relinquishing",
				   (unsigned long long)rx.desc.id);
			vshmem_incoming_release(in);
			vshmem_incoming_close(in);
			break;
		}
		*ret_in = in;
		break;
	case VSOCK_SHMEM_SUBOP_RELINQUISH:
		close_fds(ch, rx.fds, rx.nfds, -1);
		o = vshmem_channel_find_offer(ch, rx.desc.id);
		if (o)
			vshmem_offer_set_state(o, VSHMEM_STATE_RELEASED);
		else
			vshmem_log(ch, VSHMEM_LOG_WARNING,
				   "relinquish for unknown offer %llu",
				   (unsigned long long)rx.desc.id);
		break;
	case VSOCK_SHMEM_SUBOP_RECLAIM:
		close_fds(ch, rx.fds, rx.nfds, -1);
		in = vshmem_channel_find_incoming(ch, rx.desc.id);
		if (in)
			in->state = VSHMEM_STATE_RECLAIMED;
		else
			vshmem_log(ch, VSHMEM_LOG_WARNING,
				   "reclaim of unknown offer %llu",
				   (unsigned long long)rx.desc.id);
		break;
	}
	return (int)n;
}

struct vshmem_list *vshmem_uring_bucket(struct vshmem_channel *ch,
					uintptr_t addr)
{
	return &ch->uring[(addr >> 4) % VSHMEM_URING_BUCKETS];
}

/*
 * End of stream, or the connection was reset: the peer is gone, and the
 * kernel has ended every offer of the connection in both directions (the
 * memory is back with the lender; see vsock_shmem_release() and
 * vsock_shmem_peer_gone() in the series). Whether the peer's RELINQUISH
 * notices were read before the end or not, the result is the same: every
 * live offer is RELEASED and every live incoming offer RECLAIMED.
 */
int vshmem_channel_peer_gone(struct vshmem_channel *ch)
{
	for (size_t i = 0; i < VSHMEM_OFFER_BUCKETS; i++) {
		struct vshmem_list *h = &ch->offers[i];

		for (struct vshmem_list *l = h->next; l != h; l = l->next) {
			struct vshmem_offer *o =
				vshmem_container_of(l, struct vshmem_offer, link);

			if (o->state == VSHMEM_STATE_LIVE)
				vshmem_offer_set_state(o, VSHMEM_STATE_RELEASED);
		}
	}
	for (struct vshmem_list *l = ch->incomings.next; l != &ch->incomings;
	     l = l->next) {
		struct vshmem_incoming *in =
			vshmem_container_of(l, struct vshmem_incoming, link);

		if (in->state == VSHMEM_STATE_LIVE) {
			vshmem_incoming_revoke(in);
			in->state = VSHMEM_STATE_RECLAIMED;
		}
	}
	return -ECONNRESET;
}

void vshmem_deadline_start(struct vshmem_deadline *dl, int timeout_ms)
{
	dl->timeout_ms = timeout_ms;
	dl->end_ms = timeout_ms > 0 ? vshmem_sys_now_ms() + timeout_ms : 0;
}

/* Wait until the socket is readable or the deadline passes. */
static int wait_readable(struct vshmem_channel *ch,
			 const struct vshmem_deadline *dl)
{
	int64_t left;
	int ret;

	do {
		left = dl->end_ms - vshmem_sys_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = vshmem_sys_poll(ch->fd, POLLIN,
				      left > INT_MAX ? INT_MAX : (int)left);
	} while (ret == -EINTR);
	return ret;
}

/*
 * recvmsg() of @msg (whose buffers and lengths the caller set; they are
 * set again before each try), waiting as @dl says: see below.
 */
ssize_t vshmem_channel_recvmsg(struct vshmem_channel *ch, struct msghdr *msg,
			       const struct vshmem_deadline *dl)
{
	int flags = dl->timeout_ms < 0 ? 0 : MSG_DONTWAIT;
	size_t ctl_len = msg->msg_controllen;
	ssize_t n;
	int ret;

	do {
		if (dl->timeout_ms > 0) {
			ret = wait_readable(ch, dl);
			if (ret < 0)
				return ret;
		}
		msg->msg_controllen = ctl_len;
		msg->msg_flags = 0;
		n = vshmem_sys_recvmsg(ch->fd, msg, flags);
	} while ((n == -EAGAIN || n == -EINTR) && dl->timeout_ms > 0);
	return n;
}

/*
 * recvmsg() with the control buffer, waiting as @dl says (poll(2)'s
 * convention). Only a timeout < 0 blocks in recvmsg(); otherwise the read
 * is MSG_DONTWAIT after poll(), and a wake-up whose data is gone (another
 * reader) goes back to waiting for what is left of the time.
 *
 * A control message may come with no data bytes, so 0 bytes without one
 * is the end of the stream: that is reported as -ECONNRESET, never as 0,
 * and ends every offer of the channel (vshmem_channel_peer_gone()).
 */
int vshmem_channel_recv_msg(struct vshmem_channel *ch, void *buf, size_t len,
			    const struct vshmem_deadline *dl,
			    struct vshmem_incoming **ret_in)
{
	unsigned char scratch;
	union vshmem_ctl ctl;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;

	if (ch->listener)
		return -ENOTCONN;
	if (ch->framed)
		return vshmem_frame_recv(ch, buf, len, dl, ret_in);
	/* Never read with a zero-length buffer: recvmsg() would then return
	 * 0 for data that is queued, which looks like end of stream. */
	if (len == 0) {
		buf = &scratch;
		len = 1;
	}
	if (len > INT_MAX)
		len = INT_MAX;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = vshmem_channel_recvmsg(ch, &msg, dl);
	if (n == -ECONNRESET)
		return vshmem_channel_peer_gone(ch);
	if (n < 0)
		return (int)n;
	if (n == 0 && msg.msg_controllen == 0 && !(msg.msg_flags & MSG_CTRUNC))
		return vshmem_channel_peer_gone(ch);
	return vshmem_channel_process_rx(ch, &msg, n, ret_in);
}

VSHMEM_API int vshmem_channel_recv(struct vshmem_channel *ch, void *buf,
				   size_t len, int timeout_ms,
				   const struct vshmem_recv_opts *opts,
				   struct vshmem_incoming **ret_incoming)
{
	struct vshmem_deadline dl;
	int ret;

	if (!ch || (!buf && len))
		return vshmem_err(-EINVAL);
	ret = OPTS_VALID(opts, vshmem_recv_opts);
	if (ret < 0)
		return vshmem_err(ret);
	vshmem_deadline_start(&dl, timeout_ms);
	return vshmem_err(vshmem_channel_recv_msg(ch, buf, len, &dl,
						  ret_incoming));
}
