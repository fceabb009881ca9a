// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: offers through the raw uAPI (SCM_VSOCK_SHMEM, no libvshmem),
 * the baseline of the overhead suite. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: overhead (libvshmem vs the raw sendmsg it wraps)             */

uint32_t raw_type(int fd)
{
	uint64_t caps = 0;
	socklen_t len = sizeof(caps);

	if (getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) < 0)
		die(-errno, "SO_VM_SOCKETS_SHMEM_CAPS");
	return (caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL)) ?
		VSOCK_SHMEM_TYPE_LOCAL : VSOCK_SHMEM_TYPE_FFA;
}

/* What a program without libvshmem writes: one cmsg, one sendmsg. */
void raw_offer(int fd, int buf_fd, uint32_t type, uint64_t id)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
	} ctl;
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_OFFER,
				 .type = type, .id = id, .fd = buf_fd };
	struct msghdr msg = { .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(d));
	memcpy(CMSG_DATA(c), &d, sizeof(d));
	if (sendmsg(fd, &msg, 0) < 0)
		die(-errno, "raw sendmsg");
}

/* The SCM_VSOCK_SHMEM message of a received @msg (the kernel sends at
 * most one) into @d, closing the fd it may bring: the raw paths never
 * keep one. Returns 1 if there was one, else 0.
 */
int raw_shmem_of(struct msghdr *msg, struct vsock_shmem *d)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_VSOCK ||
		    c->cmsg_type != SCM_VSOCK_SHMEM ||
		    c->cmsg_len < CMSG_LEN(sizeof(*d)))
			continue;
		memcpy(d, CMSG_DATA(c), sizeof(*d));
		if (d->fd >= 0)
			close(d->fd);
		return 1;
	}
	return 0;
}

/* Offer buf_fd raw, wait for its RELINQUISH: the round trip in ns;
 * *sent: the part until sendmsg() returned. */
uint64_t raw_offer_once_split(int fd, int buf_fd, uint32_t type, uint64_t id,
			      uint64_t *sent)
{
	uint64_t t0 = now_ns();

	raw_offer(fd, buf_fd, type, id);
	*sent = now_ns() - t0;
	raw_wait_relinquish(fd, id);
	return now_ns() - t0;
}

void raw_wait_relinquish(int fd, uint64_t id)
{
	union {
		struct cmsghdr align;
		char buf[256];
	} ctl;
	char data[64];

	for (;;) {
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };
		struct vsock_shmem d;

		if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) < 0)
			die(-errno, "raw recvmsg");
		if (raw_shmem_of(&msg, &d) &&
		    d.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && d.id == id)
			return;
	}
}

