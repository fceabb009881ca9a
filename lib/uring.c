// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * io_uring helpers: fill SQEs with the same messages the synchronous path
 * sends, and account the completions. The SQE's user_data points at the
 * offer, or at a receive context with the low bit set.
 */
#include <stdlib.h>

#include <libvshmem/vshmem-uring.h>

#include "internal.h"

#ifdef HAVE_LIBURING
#include <liburing.h>

#define RECV_TAG UINT64_C(1)

struct uring_recv {
	struct vshmem_channel *ch;
	struct msghdr msg;
	struct iovec iov;
	union vshmem_ctl ctl;
};

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
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)o);
	*ret_offer = o;
	return 0;
}

/* The receive context belongs to the SQE from here on (its user_data), and
 * vshmem_uring_complete() frees it; gcc's -fanalyzer cannot follow a
 * pointer through that integer and would report a leak. */
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
	r = calloc(1, sizeof(*r));
	if (!r)
		return vshmem_err(-ENOMEM);
	r->ch = ch;
	r->iov.iov_base = buf;
	r->iov.iov_len = len;
	r->msg.msg_iov = &r->iov;
	r->msg.msg_iovlen = 1;
	r->msg.msg_control = r->ctl.buf;
	r->msg.msg_controllen = sizeof(r->ctl.buf);
	io_uring_prep_recvmsg(sqe, ch->fd, &r->msg, MSG_CMSG_CLOEXEC);
	/* malloc alignment leaves the low bit free for the tag. */
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)r | RECV_TAG);
	return 0;
}
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#pragma GCC diagnostic pop
#endif

VSHMEM_API int vshmem_uring_complete(const struct io_uring_cqe *cqe,
				     struct vshmem_offer **ret_offer,
				     struct vshmem_incoming **ret_incoming)
{
	uint64_t ud;
	int ret;

	if (!cqe || !cqe->user_data)
		return vshmem_err(-EINVAL);
	ud = cqe->user_data;
	if (ret_offer)
		*ret_offer = NULL;
	if (ret_incoming)
		*ret_incoming = NULL;

	if (ud & RECV_TAG) {
		struct uring_recv *r = (struct uring_recv *)(uintptr_t)(ud & ~RECV_TAG);

		ret = cqe->res;
		/* As in vshmem_channel_recv(): 0 bytes and no control
		 * message is the end of the stream. */
		if (ret == 0 && r->msg.msg_controllen == 0 &&
		    !(r->msg.msg_flags & MSG_CTRUNC))
			ret = -ECONNRESET;
		if (ret >= 0)
			ret = vshmem_channel_process_rx(r->ch, &r->msg, ret,
							ret_incoming);
		free(r);
		return vshmem_err(ret);
	}

	struct vshmem_offer *o = (struct vshmem_offer *)(uintptr_t)ud;

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

VSHMEM_API int vshmem_uring_complete(const struct io_uring_cqe *cqe,
				     struct vshmem_offer **ret_offer,
				     struct vshmem_incoming **ret_incoming)
{
	(void)cqe, (void)ret_offer, (void)ret_incoming;
	return vshmem_err(-EOPNOTSUPP);
}

#endif /* HAVE_LIBURING */
