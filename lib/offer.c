// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Offers, the lender's side of one transfer: send (OFFER), wait for the
 * borrower's RELINQUISH, or take the memory back early (RECLAIM).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Leaving LIVE: the buffer can be lent again. */
void vshmem_offer_set_state(struct vshmem_offer *offer, int state)
{
	if (offer->state == VSHMEM_STATE_LIVE &&
	    offer->kind == VSHMEM_KIND_LEND && offer->buf &&
	    offer->buf->lends > 0)
		offer->buf->lends--;
	offer->state = state;
}

void vshmem_offer_mark_dead(struct vshmem_offer *offer)
{
	if (offer->state == VSHMEM_STATE_LIVE)
		vshmem_offer_set_state(offer, VSHMEM_STATE_DEAD);
}

static uint64_t next_free_id(struct vshmem_channel *ch)
{
	uint64_t id;

	do {
		id = ch->next_id++;
	} while (id == 0 || vshmem_channel_find_offer(ch, id));
	return id;
}

/* Check everything, fill the message, and link the offer as LIVE. The
 * caller sends the message (now or through io_uring). */
int vshmem_offer_prepare(struct vshmem_channel *ch, struct vshmem_buf *buf,
			 const struct vshmem_offer_opts *opts,
			 struct vshmem_offer **ret_offer)
{
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_OFFER };
	struct vshmem_offer *o;
	const void *data;
	size_t data_len;
	uint64_t caps, id;
	int ret;

	if (!ch || !buf || !ret_offer || buf->fd < 0)
		return -EINVAL;
	ret = OPTS_VALID(opts, vshmem_offer_opts);
	if (ret < 0)
		return ret;
	if (ch->listener)
		return -EINVAL;
	data = OPTS_GET(opts, data, NULL);
	data_len = OPTS_GET(opts, data_len, 0);
	if (data_len && !data)
		return -EINVAL;
	ret = vshmem_flags_to_uapi(OPTS_GET(opts, flags, 0U), &d.flags);
	if (ret < 0)
		return ret;

	/* A kernel without the series drops the cmsg silently: refuse. */
	ret = vshmem_channel_caps(ch, &caps);
	if (ret < 0)
		return ret;
	if (!(caps & VSHMEM_CAP_TYPES))
		return -EOPNOTSUPP;
	if (buf->kind && !(caps & VSHMEM_CAP_KIND(buf->kind)))
		return -EOPNOTSUPP;
	if (buf->kind == VSHMEM_KIND_LEND && buf->lends)
		return -EBUSY;

	id = OPTS_GET(opts, id, 0);
	if (id && vshmem_channel_find_offer(ch, id))
		return -EEXIST;
	if (!id)
		id = next_free_id(ch);

	/* Not calloc: glibc's calloc bypasses its per-thread cache, which
	 * cost ~400 instructions per offer, 5% of a whole 4K offer
	 * (docs/performance.md, "overhead"). ctl is written by
	 * vshmem_cmsg_encode() below; zeroing only up to it also keeps the
	 * compiler from turning malloc + memset back into calloc. */
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	memset(o, 0, offsetof(struct vshmem_offer, ctl));
	o->ch = ch;
	o->buf = buf;
	o->id = id;
	o->kind = buf->kind;
	vshmem_list_init(&o->ureq.link);

	d.type = vshmem_channel_send_type(ch);
	d.id = id;
	d.fd = buf->fd;
	d.tag = OPTS_GET(opts, tag, 0);
	/* No kind: the kernel takes it from the heap, and refuses one sent. */

	/* Without data the offer goes alone (0 bytes): the kernel delivers it
	 * as a control message of its own, which is not end of stream. */
	if (data_len) {
		o->iov.iov_base = (void *)data;
		o->iov.iov_len = data_len;
		o->msg.msg_iov = &o->iov;
		o->msg.msg_iovlen = 1;
	}
	o->msg.msg_control = o->ctl.buf;
	ret = vshmem_cmsg_encode(o->ctl.buf, sizeof(o->ctl.buf), &d);
	if (ret < 0) {
		free(o);
		return ret;
	}
	o->msg.msg_controllen = (size_t)ret;

	o->state = VSHMEM_STATE_LIVE;
	if (o->kind == VSHMEM_KIND_LEND)
		buf->lends++;
	vshmem_list_add(vshmem_offer_bucket(ch, id), &o->link);
	*ret_offer = o;
	return 0;
}

VSHMEM_API int vshmem_offer_send(struct vshmem_channel *ch,
				 struct vshmem_buf *buf,
				 const struct vshmem_offer_opts *opts,
				 struct vshmem_offer **ret_offer)
{
	struct vshmem_offer *o;
	int ret;

	if (!ret_offer)
		return vshmem_err(-EINVAL);
	ret = vshmem_offer_prepare(ch, buf, opts, &o);
	if (ret < 0)
		return vshmem_err(ret);
	ret = vshmem_channel_send_ctl(ch, &o->msg, o->iov.iov_len);
	if (ret < 0) {
		/* Nothing was offered: forget it. */
		vshmem_offer_mark_dead(o);
		vshmem_offer_free(o);
		return vshmem_err(ret);
	}
	*ret_offer = o;
	return 0;
}

VSHMEM_API int vshmem_offer_reclaim(struct vshmem_offer *offer)
{
	int ret;

	if (!offer)
		return vshmem_err(-EINVAL);
	if (!offer->ch)
		return vshmem_err(-ENOTCONN);
	if (offer->state != VSHMEM_STATE_LIVE)
		return vshmem_err(-EINVAL);
	ret = vshmem_channel_send_notice(offer->ch, VSOCK_SHMEM_SUBOP_RECLAIM,
					 offer->id);
	if (ret < 0)
		return vshmem_err(ret);	/* -EBUSY: still live */
	vshmem_offer_set_state(offer, VSHMEM_STATE_RECLAIMED);
	return 0;
}

VSHMEM_API int vshmem_offer_wait_release(struct vshmem_offer *offer,
					 int timeout_ms)
{
	struct vshmem_deadline dl;
	struct vshmem_incoming *in;
	unsigned char scratch[64];
	int n;

	if (!offer)
		return vshmem_err(-EINVAL);
	if (offer->state == VSHMEM_STATE_RELEASED)
		return 0;
	if (!offer->ch)
		return vshmem_err(-ENOTCONN);
	/* One deadline for all the messages read on the way. */
	vshmem_deadline_start(&dl, timeout_ms);
	while (offer->state == VSHMEM_STATE_LIVE) {
		n = vshmem_channel_recv_msg(offer->ch, scratch, sizeof(scratch),
					    &dl, &in);
		/* End of stream ends every offer: released (peer_gone). */
		if (n == -ECONNRESET && offer->state != VSHMEM_STATE_LIVE)
			break;
		if (n < 0)
			return vshmem_err(n);
		if (in) {
			vshmem_incoming_release(in);
			vshmem_incoming_close(in);
			return vshmem_err(-EPROTO);
		}
		if (n > 0)
			return vshmem_err(-EPROTO);
	}
	return offer->state == VSHMEM_STATE_RELEASED ? 0 : vshmem_err(-EINVAL);
}

VSHMEM_API void vshmem_offer_free(struct vshmem_offer *offer)
{
	if (!offer)
		return;
	/* A live offer stays the kernel's business until the socket closes;
	 * the kernel itself refuses to lend the buffer twice. */
	vshmem_offer_mark_dead(offer);
	vshmem_list_del(&offer->link);
	/* Still in an io_uring: its CQE is now refused as foreign. */
	vshmem_list_del(&offer->ureq.link);
	free(offer);
}

VSHMEM_API uint64_t vshmem_offer_get_id(const struct vshmem_offer *offer)
{
	return offer ? offer->id : VSHMEM_NULL_ARG(0);
}

VSHMEM_API int vshmem_offer_get_state(const struct vshmem_offer *offer)
{
	return offer ? offer->state : vshmem_err(-EINVAL);
}

VSHMEM_API int vshmem_offer_get_kind(const struct vshmem_offer *offer)
{
	return offer ? offer->kind : vshmem_err(-EINVAL);
}
