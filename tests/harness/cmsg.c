// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SCM_VSOCK_SHMEM messages as the kernel's uAPI sees them: requests built
 * by hand (well-formed or not) and what one recvmsg() delivered.
 */
#include <poll.h>
#include <sys/uio.h>

#include "harness.h"

int raw_quiet_ms = 200;

struct vsock_shmem raw_desc(uint32_t subop, int fd, uint64_t id,
			    uint32_t flags)
{
	struct vsock_shmem d = {
		.subop = subop, .id = id, .fd = fd, .flags = flags,
		.type = subop == VSOCK_SHMEM_SUBOP_OFFER ? VSOCK_SHMEM_TYPE_LOCAL : 0,
	};

	return d;
}

ssize_t raw_sendmsg(int sock, const void *ctl, size_t ctllen,
		    const void *data, size_t len, int flags)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = (void *)ctl, .msg_controllen = ctllen,
	};
	ssize_t n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);

	return n < 0 ? -errno : n;
}

ssize_t hx_send_desc(int sock, const struct vsock_shmem *d, const void *data,
		     size_t len)
{
	union raw_ctl c;
	struct cmsghdr *cm = &c.align;

	memset(&c, 0, sizeof(c));
	cm->cmsg_level = SOL_VSOCK;
	cm->cmsg_type = SCM_VSOCK_SHMEM;
	cm->cmsg_len = CMSG_LEN(sizeof(*d));
	memcpy(CMSG_DATA(cm), d, sizeof(*d));
	return raw_sendmsg(sock, &c, CMSG_SPACE(sizeof(*d)), data, len, 0);
}

ssize_t raw_send_desc(int sock, const struct vsock_shmem *d, size_t data_len)
{
	return hx_send_desc(sock, d, "xxxxxxxxxxxxxxxx", data_len);
}

int raw_offer(int sock, int fd, uint64_t id, uint32_t flags)
{
	struct vsock_shmem d = raw_desc(VSOCK_SHMEM_SUBOP_OFFER, fd, id, flags);
	ssize_t n = raw_send_desc(sock, &d, 1);

	return n < 0 ? (int)n : 0;
}

int raw_end(int sock, uint32_t subop, uint64_t id)
{
	struct vsock_shmem d = raw_desc(subop, -1, id, 0);
	ssize_t n = raw_send_desc(sock, &d, 0);

	return n < 0 ? (int)n : 0;
}

ssize_t hx_recvmsg(int sock, void *data, size_t len, int flags, size_t ctllen,
		   struct raw_rx *r)
{
	union raw_ctl c;
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctllen ? c.buf : NULL,
		.msg_controllen = ctllen < sizeof(c) ? ctllen : sizeof(c),
	};
	struct cmsghdr *cm;

	memset(&c, 0, sizeof(c));
	r->msg_flags = 0;
	r->has = false;
	r->ncmsg = 0;
	memset(&r->d, 0, sizeof(r->d));
	r->d.fd = -1;
	r->n = recvmsg(sock, &msg, flags);
	if (r->n < 0) {
		r->n = -errno;
		return r->n;
	}
	r->msg_flags = msg.msg_flags;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		r->ncmsg++;
		/* a truncated message (MSG_CTRUNC) is not a message */
		if ((unsigned char *)cm + cm->cmsg_len > c.buf + msg.msg_controllen)
			break;
		if (cm->cmsg_level == SOL_VSOCK && cm->cmsg_type == SCM_VSOCK_SHMEM &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(r->d))) {
			memcpy(&r->d, CMSG_DATA(cm), sizeof(r->d));
			r->has = true;
		}
	}
	return r->n;
}

struct raw_rx raw_recv(int sock, size_t ctllen, int flags, int timeout_ms)
{
	struct raw_rx r;

	memset(&r, 0, sizeof(r));
	r.d.fd = -1;
	if (timeout_ms > 0) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };

		if (poll(&pfd, 1, timeout_ms) == 0) {
			r.n = -ETIMEDOUT;
			return r;
		}
	} else {
		flags |= MSG_DONTWAIT;
	}
	hx_recvmsg(sock, r.data, sizeof(r.data), flags, ctllen, &r);
	return r;
}

int raw_expect(int sock, uint32_t subop, uint64_t id)
{
	struct raw_rx r = raw_recv(sock, sizeof(union raw_ctl), MSG_CMSG_CLOEXEC, 5000);

	if (r.n < 0 || !r.has || r.d.subop != subop || r.d.id != id) {
		vt_diag("expected subop %u id %llu: n=%zd%s%s has=%d subop=%u id=%llu",
			subop, (unsigned long long)id, r.n, r.n < 0 ? " " : "",
			r.n < 0 ? strerror((int)-r.n) : "", r.has, r.d.subop,
			(unsigned long long)r.d.id);
		if (r.has && r.d.fd >= 0)
			close(r.d.fd);
		return -1;
	}
	return subop == VSOCK_SHMEM_SUBOP_OFFER ? r.d.fd : 0;
}

int raw_nothing_queued(int sock)
{
	struct raw_rx r = raw_recv(sock, sizeof(union raw_ctl), 0, raw_quiet_ms);

	if (r.n != -ETIMEDOUT && r.n != -EAGAIN) {
		vt_diag("something was queued: n=%zd has=%d subop=%u id=%llu",
			r.n, r.has, r.d.subop, (unsigned long long)r.d.id);
		if (r.has && r.d.fd >= 0)
			close(r.d.fd);
		return VT_FAIL;
	}
	return 0;
}
