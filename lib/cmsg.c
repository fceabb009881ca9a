// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SCM_VSOCK_SHMEM control messages: build one for sendmsg(), and take apart
 * what recvmsg() returned. Pure functions, no system calls: the caller
 * closes the fds this module collects. Also the translation between the
 * library's enums (which start at 1) and the kernel's constants.
 */
#include <string.h>

#include "internal.h"

int vshmem_kind_to_uapi(int kind, uint32_t *ret)
{
	switch (kind) {
	case VSHMEM_KIND_SHARE:
		*ret = VSOCK_SHMEM_KIND_SHARE;
		return 0;
	case VSHMEM_KIND_LEND:
		*ret = VSOCK_SHMEM_KIND_LEND;
		return 0;
	case VSHMEM_KIND_SEND_SECURE:
		*ret = VSOCK_SHMEM_KIND_SEND_SECURE;
		return 0;
	}
	return -EINVAL;
}

int vshmem_kind_from_uapi(uint32_t ukind)
{
	switch (ukind) {
	case VSOCK_SHMEM_KIND_SHARE:
		return VSHMEM_KIND_SHARE;
	case VSOCK_SHMEM_KIND_LEND:
		return VSHMEM_KIND_LEND;
	case VSOCK_SHMEM_KIND_SEND_SECURE:
		return VSHMEM_KIND_SEND_SECURE;
	}
	return -EPROTO;
}

int vshmem_type_from_uapi(uint32_t utype)
{
	switch (utype) {
	case VSOCK_SHMEM_TYPE_FFA:
		return VSHMEM_TYPE_FFA;
	case VSOCK_SHMEM_TYPE_LOCAL:
		return VSHMEM_TYPE_LOCAL;
	}
	return -EPROTO;
}

int vshmem_flags_to_uapi(unsigned int flags, uint32_t *ret)
{
	uint32_t u = 0;

	if (flags & ~(VSHMEM_OFFER_F_CLEAR | VSHMEM_OFFER_F_READONLY))
		return -EINVAL;
	if (flags & VSHMEM_OFFER_F_CLEAR)
		u |= VSOCK_SHMEM_F_CLEAR;
	if (flags & VSHMEM_OFFER_F_READONLY)
		u |= VSOCK_SHMEM_F_READONLY;
	*ret = u;
	return 0;
}

unsigned int vshmem_flags_from_uapi(uint32_t uflags)
{
	unsigned int f = 0;

	/* Unknown bits from a newer kernel are dropped, not fatal. */
	if (uflags & VSOCK_SHMEM_F_CLEAR)
		f |= VSHMEM_OFFER_F_CLEAR;
	if (uflags & VSOCK_SHMEM_F_READONLY)
		f |= VSHMEM_OFFER_F_READONLY;
	return f;
}

uint64_t vshmem_caps_from_uapi(uint64_t ucaps)
{
	static const struct {
		uint64_t ubit, bit;
	} map[] = {
		{ VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA),
		  VSHMEM_CAP_TYPE(VSHMEM_TYPE_FFA) },
		{ VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL),
		  VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL) },
		{ VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SHARE),
		  VSHMEM_CAP_KIND(VSHMEM_KIND_SHARE) },
		{ VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_LEND),
		  VSHMEM_CAP_KIND(VSHMEM_KIND_LEND) },
		{ VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_SEND_SECURE),
		  VSHMEM_CAP_KIND(VSHMEM_KIND_SEND_SECURE) },
	};
	uint64_t caps = 0;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (ucaps & map[i].ubit)
			caps |= map[i].bit;
	return caps;
}

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
