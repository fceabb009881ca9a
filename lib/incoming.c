// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Incoming offers, the borrower's side of one transfer: what arrived
 * (fd or handle, kind, size, tag) and RELINQUISH when done.
 */
#include <stdlib.h>

#include "internal.h"

VSHMEM_API uint64_t vshmem_incoming_get_id(const struct vshmem_incoming *in)
{
	return in ? in->id : VSHMEM_NULL_ARG(0);
}

VSHMEM_API int vshmem_incoming_get_kind(const struct vshmem_incoming *in)
{
	return in ? in->kind : vshmem_err(-EINVAL);
}

VSHMEM_API int vshmem_incoming_get_type(const struct vshmem_incoming *in)
{
	return in ? in->type : vshmem_err(-EINVAL);
}

VSHMEM_API uint64_t vshmem_incoming_get_size(const struct vshmem_incoming *in)
{
	return in ? in->size : VSHMEM_NULL_ARG(0);
}

VSHMEM_API uint64_t vshmem_incoming_get_tag(const struct vshmem_incoming *in)
{
	return in ? in->tag : VSHMEM_NULL_ARG(0);
}

VSHMEM_API uint64_t vshmem_incoming_get_handle(const struct vshmem_incoming *in)
{
	return in ? in->handle : VSHMEM_NULL_ARG(0);
}

VSHMEM_API unsigned int
vshmem_incoming_get_flags(const struct vshmem_incoming *in)
{
	return in ? in->flags : VSHMEM_NULL_ARG(0);
}

VSHMEM_API int vshmem_incoming_get_state(const struct vshmem_incoming *in)
{
	return in ? in->state : vshmem_err(-EINVAL);
}

VSHMEM_API struct vshmem_buf *
vshmem_incoming_get_buf(const struct vshmem_incoming *in)
{
	return in ? in->buf : VSHMEM_NULL_ARG(NULL);
}

VSHMEM_API int vshmem_incoming_release(struct vshmem_incoming *in)
{
	int ret;

	if (!in)
		return vshmem_err(-EINVAL);
	if (!in->ch)
		return vshmem_err(-ENOTCONN);
	if (in->state != VSHMEM_STATE_LIVE)
		return vshmem_err(-EINVAL);
	if (in->type == VSHMEM_TYPE_ADDR) {
		/* The guest may reuse its pages as soon as RELEASE reaches
		 * it: the view goes first. */
		vshmem_incoming_revoke(in);
		ret = vshmem_frame_send(in->ch, VSHMEM_FRAME_RELEASE, in->id,
					NULL, 0);
		if (ret < 0)
			return vshmem_err(ret);
		in->state = VSHMEM_STATE_RELEASED;
		return 0;
	}
	ret = vshmem_channel_send_notice(in->ch, VSOCK_SHMEM_SUBOP_RELINQUISH,
					 in->id);
	if (ret < 0)
		return vshmem_err(ret);	/* still ours: the buffer stays */
	/* Our access has ended: drop the mapping and the fd now. */
	vshmem_buf_close(in->buf);
	in->buf = NULL;
	in->state = VSHMEM_STATE_RELEASED;
	return 0;
}

VSHMEM_API void vshmem_incoming_close(struct vshmem_incoming *in)
{
	if (!in)
		return;
	vshmem_buf_close(in->buf);
	if (in->resv_len)
		vshmem_sys_munmap(in->resv, in->resv_len);
	vshmem_list_del(&in->link);
	free(in);
}
