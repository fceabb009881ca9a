/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file vshmem-uring.h
 * @brief io_uring helpers: prepare SQEs that offer buffers or receive
 *        offers, so many offers go out in one io_uring_submit().
 *
 * The caller owns the ring (liburing), which may carry the program's own
 * requests too. Each prep call fills one SQE, sets its user_data to a
 * value the library chose, and records the operation in the channel's
 * registry of operations in flight. Hand each CQE to
 * vshmem_uring_complete() with the channel it was prepared on: a CQE that
 * is not one of that channel's operations in flight (the program's own, or
 * another channel's) is refused with -EINVAL without being looked into,
 * so its user_data may be any value. vshmem_uring_is_ours() asks the same
 * question without completing anything, to route CQEs when several
 * channels share a ring. Prepared operations reference their channel:
 * complete them all before closing it (a CQE that comes after is refused
 * as foreign). Freeing an offer before its completion likewise makes its
 * CQE foreign. Built without liburing, every function returns
 * -EOPNOTSUPP.
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
 *        after its completion). The SQE's user_data must not be changed.
 * @return 0 or -errno as vshmem_offer_send() before sending.
 * @since 0.1
 */
int vshmem_uring_prep_offer(struct io_uring_sqe *sqe,
			    struct vshmem_channel *ch, struct vshmem_buf *buf,
			    const struct vshmem_offer_opts *opts,
			    struct vshmem_offer **ret_offer);

/**
 * @brief Fill an SQE with a receive (IORING_OP_RECVMSG) into buf.
 *
 * The SQE's user_data must not be changed.
 * @param buf Where data goes; must stay valid until the completion.
 * @param len Its size (> 0).
 * @return 0, -EINVAL, -ENOMEM, -EOPNOTSUPP (a framed channel of
 *         vshmem_channel_listen_uds(): use vshmem_channel_recv()).
 * @since 0.1
 */
int vshmem_uring_prep_recv(struct io_uring_sqe *sqe,
			   struct vshmem_channel *ch, void *buf, size_t len);

/**
 * @brief Whether a CQE is one of the channel's operations in flight.
 *
 * Only compares the CQE's user_data with the channel's registry; nothing
 * is dereferenced and nothing changes.
 * @return 1 (pass it to vshmem_uring_complete() with this channel), 0 (not
 *         this channel's), -EINVAL (ch or cqe NULL).
 * @since 0.1
 */
int vshmem_uring_is_ours(struct vshmem_channel *ch,
			 const struct io_uring_cqe *cqe);

/**
 * @brief Account a CQE of an offer or receive prepared on a channel.
 * @param ch The channel the operation was prepared on.
 * @param cqe The completion; anything else than one of ch's operations in
 *        flight is refused with -EINVAL and left alone.
 * @param ret_offer NULL or set to the offer this CQE completes (NULL for a
 *        receive).
 * @param ret_incoming NULL or set to an incoming offer the receive
 *        brought (else NULL). If NULL is passed, such an offer is
 *        relinquished at once.
 * @return For an offer: bytes sent or -errno (the offer is then DEAD). For
 *         a receive: data bytes, or -errno as vshmem_channel_recv(),
 *         including -ECONNRESET at end of stream, which ends every offer
 *         of the channel as vshmem_channel_recv() does (every received fd
 *         is closed on error). -EINVAL for NULL or a foreign CQE (the
 *         out-parameters are then not written).
 * @since 0.1
 */
int vshmem_uring_complete(struct vshmem_channel *ch,
			  const struct io_uring_cqe *cqe,
			  struct vshmem_offer **ret_offer,
			  struct vshmem_incoming **ret_incoming);

#ifdef __cplusplus
}
#endif

#endif /* LIBVSHMEM_VSHMEM_URING_H */
