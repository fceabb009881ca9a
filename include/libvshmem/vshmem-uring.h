/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file vshmem-uring.h
 * @brief io_uring helpers: prepare SQEs that offer buffers or receive
 *        offers, so many offers go out in one io_uring_submit().
 *
 * The caller owns the ring (liburing). Each prep call fills one SQE and
 * sets its user_data to a library pointer; hand every CQE whose user_data
 * came from here to vshmem_uring_complete(), which tells you which offer
 * or incoming offer it belongs to. Prepared operations reference their
 * channel: complete them all before closing it. Built without liburing,
 * every function returns -EOPNOTSUPP.
 */
#ifndef LIBVSHMEM_VSHMEM_URING_H
#define LIBVSHMEM_VSHMEM_URING_H

#include <libvshmem/vshmem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct io_uring_sqe;
struct io_uring_cqe;

/**
 * @brief Fill an SQE with an offer (IORING_OP_SENDMSG).
 *
 * Same checks and options as vshmem_offer_send(); the offer is created
 * LIVE at once so its id is reserved, and becomes VSHMEM_STATE_DEAD if the
 * completion reports an error. opts->data must stay valid until the
 * completion. Use SOCK_SEQPACKET: a short send on a stream is not resumed.
 * @param sqe From io_uring_get_sqe() (not NULL).
 * @param ret_offer Set to the new offer (free it with vshmem_offer_free()
 *        after its completion).
 * @return 0 or -errno as vshmem_offer_send() before sending.
 * @since 0.1
 */
int vshmem_uring_prep_offer(struct io_uring_sqe *sqe,
			    struct vshmem_channel *ch, struct vshmem_buf *buf,
			    const struct vshmem_offer_opts *opts,
			    struct vshmem_offer **ret_offer);

/**
 * @brief Fill an SQE with a receive (IORING_OP_RECVMSG) into buf.
 * @param buf Where data goes; must stay valid until the completion.
 * @param len Its size (> 0).
 * @return 0, -EINVAL, -ENOMEM.
 * @since 0.1
 */
int vshmem_uring_prep_recv(struct io_uring_sqe *sqe,
			   struct vshmem_channel *ch, void *buf, size_t len);

/**
 * @brief Account a CQE of a prepared offer or receive.
 * @param ret_offer NULL or set to the offer this CQE completes (NULL for a
 *        receive).
 * @param ret_incoming NULL or set to an incoming offer the receive
 *        brought (else NULL). If NULL is passed, such an offer is
 *        relinquished at once.
 * @return For an offer: bytes sent or -errno (the offer is then DEAD). For
 *         a receive: data bytes, or -errno as vshmem_channel_recv(),
 *         including -ECONNRESET at end of stream (every received fd is
 *         closed on error). -EINVAL for a foreign CQE.
 * @since 0.1
 */
int vshmem_uring_complete(const struct io_uring_cqe *cqe,
			  struct vshmem_offer **ret_offer,
			  struct vshmem_incoming **ret_incoming);

#ifdef __cplusplus
}
#endif

#endif /* LIBVSHMEM_VSHMEM_URING_H */
