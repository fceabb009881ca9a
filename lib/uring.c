// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * io_uring helpers: fill SQEs with the same messages the synchronous path
 * sends, and account the completions.
 *
 * An SQE's user_data is the address of a struct vshmem_uring_req (inside
 * the offer, or inside a receive context), which stays in its channel's
 * registry until the completion. A CQE is accepted only if its user_data
 * is found there: the value of a CQE from another part of the program is
 * compared, never dereferenced.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libvshmem/vshmem-uring.h>

#include "internal.h"

struct uring_recv {
	struct vshmem_uring_req req;
	struct vshmem_channel *ch;
	struct msghdr msg;
	struct iovec iov;
	union vshmem_ctl ctl;
};

/* Take a request out of the registry; a receive context is freed. */
void vshmem_uring_req_drop(struct vshmem_uring_req *req)
{
	vshmem_list_del(&req->link);
	if (req->is_recv)
		free(vshmem_container_of(req, struct uring_recv, req));
}

#ifdef HAVE_LIBURING
#include <liburing.h>

static void req_add(struct vshmem_channel *ch, struct vshmem_uring_req *req)
{
	vshmem_list_add(vshmem_uring_bucket(ch, (uintptr_t)req), &req->link);
}

/* The in-flight request whose address is @ud, or NULL. */
static struct vshmem_uring_req *req_find(struct vshmem_channel *ch,
					 uint64_t ud)
{
	struct vshmem_list *h;

	if (!ud || (uint64_t)(uintptr_t)ud != ud)
		return NULL;
	h = vshmem_uring_bucket(ch, (uintptr_t)ud);
	for (struct vshmem_list *l = h->next; l != h; l = l->next)
		if ((uintptr_t)vshmem_container_of(l, struct vshmem_uring_req,
						   link) == (uintptr_t)ud)
			return vshmem_container_of(l, struct vshmem_uring_req,
						   link);
	return NULL;
}

VSHMEM_API int vshmem_uring_prep_offer(struct io_uring_sqe *sqe,
				       struct vshmem_channel *ch,
				       struct vshmem_buf *buf,
				       const struct vshmem_offer_opts *opts,
				       struct vshmem_offer **ret_offer)
{
	struct vshmem_offer *o;
	int ret;

	if (!sqe || !ret_offer)
		return vshmem_err(-EINVAL);
	ret = vshmem_offer_prepare(ch, buf, opts, &o);
	if (ret < 0)
		return vshmem_err(ret);
	io_uring_prep_sendmsg(sqe, ch->fd, &o->msg, MSG_NOSIGNAL);
	req_add(ch, &o->ureq);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)&o->ureq);
	*ret_offer = o;
	return 0;
}

/* The receive context is in the channel's registry from here on, and
 * vshmem_uring_complete() (or vshmem_channel_close()) frees it; gcc's
 * -fanalyzer cannot follow it through the list and would report a leak. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
VSHMEM_API int vshmem_uring_prep_recv(struct io_uring_sqe *sqe,
				      struct vshmem_channel *ch, void *buf,
				      size_t len)
{
	struct uring_recv *r;

	if (!sqe || !ch || !buf || !len || ch->listener)
		return vshmem_err(-EINVAL);
	/* A framed channel's messages are frames, which only
	 * vshmem_channel_recv() reads (and an offer's record needs more
	 * than one read). */
	if (ch->framed)
		return vshmem_err(-EOPNOTSUPP);
	/* Not calloc (glibc's calloc skips its per-thread cache, see
	 * vshmem_offer_prepare()), and the 256-byte control buffer is for
	 * the kernel to write: only the header fields are set. */
	r = malloc(sizeof(*r));
	if (!r)
		return vshmem_err(-ENOMEM);
	memset(r, 0, offsetof(struct uring_recv, ctl));
	r->req.is_recv = true;
	r->ch = ch;
	r->iov.iov_base = buf;
	r->iov.iov_len = len;
	r->msg.msg_iov = &r->iov;
	r->msg.msg_iovlen = 1;
	r->msg.msg_control = r->ctl.buf;
	r->msg.msg_controllen = sizeof(r->ctl.buf);
	io_uring_prep_recvmsg(sqe, ch->fd, &r->msg, MSG_CMSG_CLOEXEC);
	req_add(ch, &r->req);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)&r->req);
	return 0;
}
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#pragma GCC diagnostic pop
#endif

VSHMEM_API int vshmem_uring_is_ours(struct vshmem_channel *ch,
				    const struct io_uring_cqe *cqe)
{
	if (!ch || !cqe)
		return vshmem_err(-EINVAL);
	return req_find(ch, cqe->user_data) != NULL;
}

VSHMEM_API int vshmem_uring_complete(struct vshmem_channel *ch,
				     const struct io_uring_cqe *cqe,
				     struct vshmem_offer **ret_offer,
				     struct vshmem_incoming **ret_incoming)
{
	struct vshmem_uring_req *req;
	struct vshmem_offer *o;
	int ret;

	if (!ch || !cqe)
		return vshmem_err(-EINVAL);
	req = req_find(ch, cqe->user_data);
	if (!req)
		return vshmem_err(-EINVAL);	/* foreign: nothing touched */
	if (ret_offer)
		*ret_offer = NULL;
	if (ret_incoming)
		*ret_incoming = NULL;

	if (req->is_recv) {
		struct uring_recv *r =
			vshmem_container_of(req, struct uring_recv, req);

		ret = cqe->res;
		/* As in vshmem_channel_recv(): 0 bytes and no control
		 * message is the end of the stream, which ends every offer
		 * of the channel. */
		if (ret == -ECONNRESET ||
		    (ret == 0 && r->msg.msg_controllen == 0 &&
		     !(r->msg.msg_flags & MSG_CTRUNC)))
			ret = vshmem_channel_peer_gone(ch);
		else if (ret >= 0)
			ret = vshmem_channel_process_rx(ch, &r->msg, ret,
							ret_incoming);
		vshmem_uring_req_drop(req);
		return vshmem_err(ret);
	}

	o = vshmem_container_of(req, struct vshmem_offer, ureq);
	vshmem_list_del(&req->link);
	if (cqe->res < 0)
		vshmem_offer_mark_dead(o);	/* nothing left */
	if (ret_offer)
		*ret_offer = o;
	return vshmem_err(cqe->res);
}

#else /* !HAVE_LIBURING */

VSHMEM_API int vshmem_uring_prep_offer(struct io_uring_sqe *sqe,
				       struct vshmem_channel *ch,
				       struct vshmem_buf *buf,
				       const struct vshmem_offer_opts *opts,
				       struct vshmem_offer **ret_offer)
{
	(void)sqe, (void)ch, (void)buf, (void)opts, (void)ret_offer;
	return vshmem_err(-EOPNOTSUPP);
}

VSHMEM_API int vshmem_uring_prep_recv(struct io_uring_sqe *sqe,
				      struct vshmem_channel *ch, void *buf,
				      size_t len)
{
	(void)sqe, (void)ch, (void)buf, (void)len;
	return vshmem_err(-EOPNOTSUPP);
}

VSHMEM_API int vshmem_uring_is_ours(struct vshmem_channel *ch,
				    const struct io_uring_cqe *cqe)
{
	(void)ch, (void)cqe;
	return vshmem_err(-EOPNOTSUPP);
}

VSHMEM_API int vshmem_uring_complete(struct vshmem_channel *ch,
				     const struct io_uring_cqe *cqe,
				     struct vshmem_offer **ret_offer,
				     struct vshmem_incoming **ret_incoming)
{
	(void)ch, (void)cqe, (void)ret_offer, (void)ret_incoming;
	return vshmem_err(-EOPNOTSUPP);
}

#endif /* HAVE_LIBURING */
