// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SCM_VSOCK_SHMEM control messages: build one for sendmsg(), and take apart
 * what recvmsg() returned. Pure functions, no system calls: the caller
 * closes the fds this module collects. The translation between the
 * library's constants and the kernel's is in uapi.h.
 */
#include <string.h>

#include "internal.h"

int vshmem_cmsg_encode(void *ctl, size_t ctl_len,
		       const struct vsock_shmem *desc)
{
	size_t need = CMSG_SPACE(sizeof(*desc));
	struct cmsghdr *c = ctl;

	if (!ctl || !desc || ctl_len < need)
		return -EINVAL;
	memset(ctl, 0, need);
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(*desc));
	memcpy(CMSG_DATA(c), desc, sizeof(*desc));
	return (int)need;
}

static void collect_fd(struct vshmem_cmsg_rx *rx, int fd)
{
	if (fd >= 0 && rx->nfds < ARRAY_SIZE(rx->fds))
		rx->fds[rx->nfds++] = fd;
}

/* Check a received descriptor for what this library understands. */
static int check_desc(const struct vsock_shmem *d)
{
	if (d->reserved)
		return -EPROTO;
	switch (d->subop) {
	case VSOCK_SHMEM_SUBOP_OFFER:
		if (vshmem_type_from_uapi(d->type) < 0 ||
		    vshmem_kind_from_uapi(d->kind) < 0)
			return -EPROTO;
		/* LOCAL delivers an fd, FF-A a handle and no fd. */
		if ((d->type == VSOCK_SHMEM_TYPE_LOCAL) != (d->fd >= 0))
			return -EPROTO;
		return 0;
	case VSOCK_SHMEM_SUBOP_RELINQUISH:
	case VSOCK_SHMEM_SUBOP_RECLAIM:
		/* Notices carry no fd; the field is not looked at. */
		return 0;
	}
	return -EPROTO;
}

/*
 * Walk every control message, collecting every fd that arrived so the
 * caller can close them. Errors: -EMSGSIZE for a truncated control buffer,
 * -EPROTO for anything malformed, duplicate, oversized or unexpected.
 */
int vshmem_cmsg_decode(const struct msghdr *msg, struct vshmem_cmsg_rx *rx)
{
	struct cmsghdr *c;
	int ret = 0;

	if (!msg || !rx)
		return -EINVAL;
	memset(rx, 0, sizeof(*rx));
	rx->desc.fd = -1;

	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		size_t room = msg->msg_controllen -
			      (size_t)((unsigned char *)c -
				       (unsigned char *)msg->msg_control);

		/* A header whose length runs past the buffer (or is shorter
		 * than itself) cannot be walked: nothing after it is read. */
		if (c->cmsg_len < CMSG_LEN(0) || c->cmsg_len > room) {
			ret = -EPROTO;
			break;
		}
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fd;

			/* vsock never passes fds this way: close them. */
			for (size_t i = 0; i < n; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				       sizeof(fd));
				collect_fd(rx, fd);
			}
			ret = -EPROTO;
			continue;
		}
		if (c->cmsg_level != SOL_VSOCK ||
		    c->cmsg_type != SCM_VSOCK_SHMEM) {
			ret = -EPROTO;
			continue;
		}
		if (c->cmsg_len != CMSG_LEN(sizeof(struct vsock_shmem))) {
			/* Short or oversized: its fd field cannot be trusted. */
			ret = -EPROTO;
			continue;
		}
		struct vsock_shmem d;

		memcpy(&d, CMSG_DATA(c), sizeof(d));
		if (d.subop == VSOCK_SHMEM_SUBOP_OFFER)
			collect_fd(rx, d.fd);
		if (rx->found) {
			ret = -EPROTO;	/* at most one per message */
			continue;
		}
		rx->found = true;
		rx->desc = d;
		if (check_desc(&d) < 0)
			ret = -EPROTO;
	}
	if (msg->msg_flags & MSG_CTRUNC)
		ret = -EMSGSIZE;
	return ret;
}
