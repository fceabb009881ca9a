// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the SCM_VSOCK_SHMEM decoder (lib/cmsg.c): whatever
 * a kernel or peer puts in the control buffer, decoding must stay inside
 * it, report every fd it saw, and accept only well-formed descriptors.
 * The first input byte picks msg_flags (MSG_CTRUNC or not).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vshmem_cmsg_rx rx;
	struct msghdr msg = { 0 };
	union vshmem_ctl *ctl;
	int ret;

	if (size < 1 || size - 1 > VSHMEM_CTL_SPACE)
		return 0;
	/* Exactly the input's size on the heap, so ASan sees any overread. */
	ctl = malloc(sizeof(*ctl));
	if (!ctl)
		return 0;
	memcpy(ctl->buf, data + 1, size - 1);
	msg.msg_control = size > 1 ? ctl->buf : NULL;
	msg.msg_controllen = size - 1;
	msg.msg_flags = (data[0] & 1) ? MSG_CTRUNC : 0;

	ret = vshmem_cmsg_decode(&msg, &rx);
	if (rx.nfds > VSHMEM_MAX_RX_FDS)
		abort();
	if (ret == 0 && rx.found) {
		/* Only descriptors the library understands get through. */
		if (rx.desc.reserved || rx.desc.subop > VSOCK_SHMEM_SUBOP_RECLAIM)
			abort();
		if (rx.desc.subop == VSOCK_SHMEM_SUBOP_OFFER &&
		    (vshmem_kind_from_uapi(rx.desc.kind) < 0 ||
		     vshmem_type_from_uapi(rx.desc.type) < 0))
			abort();
	}
	if (ret == 0 && (msg.msg_flags & MSG_CTRUNC))
		abort();
	free(ctl);
	return 0;
}
