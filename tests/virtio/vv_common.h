/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the virtio-vsock suite's guest program (vv_guest.c, AF_VSOCK)
 * and host program (vv_host.c, AF_UNIX through vhost-user-vsock): the
 * ports, the byte pattern, and transfers that check every byte.
 */
#ifndef VV_COMMON_H
#define VV_COMMON_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* host ports (Unix sockets <uds-path>_PORT, served by vv_host) */
#define PORT_ECHO	5001	/* stream echo */
#define PORT_SEQ_ECHO	5002	/* seqpacket echo */
#define PORT_SINK	5003	/* counts and checks, answers "<bytes> <errors>\n" */
#define PORT_SOURCE	5004	/* sends SOURCE_SIZE bytes of pattern, closes */
#define PORT_CTRL	5005	/* commands for host-initiated cases */
#define PORT_SLAM	5006	/* accepts and closes at once */
#define PORT_NONE	5999	/* nobody listens */

#define SOURCE_SIZE	(8U << 20)

/* Seqpacket message sizes: one byte, one packet, more than one RX buffer
 * (the guest's are 4 KiB), and the largest the backend carries. */
static const uint32_t vv_seq_sizes[] = { 1, 100, 4000, 5000, 20000, 65536 };
#define VV_NSEQ (sizeof(vv_seq_sizes) / sizeof(vv_seq_sizes[0]))

static inline uint8_t vv_pat(uint64_t i, uint32_t seed)
{
	uint64_t x = i / 8 * 0x9e3779b97f4a7c15ULL + seed;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (i % 8)));
}

static inline void vv_fill(uint8_t *p, size_t len, uint64_t off, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = vv_pat(off + i, seed);
}

/* the index of the first wrong byte, or -1 */
static inline long long vv_check(const uint8_t *p, size_t len, uint64_t off,
				 uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != vv_pat(off + i, seed))
			return (long long)(off + i);
	return -1;
}

static inline int vv_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes; 0, 1 on early end of file, -1 on error. */
static inline int vv_read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read one line (up to '\n', at most len - 1 bytes) a byte at a time. */
static inline int vv_read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = recv(fd, buf + n, 1, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return n && buf[n - 1] == '\n' ? 0 : -1;
}

/*
 * Stream echo, checked: send size bytes of pattern seed and read them back
 * at the same time (poll), so neither side's buffers need to hold it all.
 * 0, or -1 with why filled in.
 */
static inline int vv_echo_stream(int fd, size_t size, uint32_t seed,
				 char *why, size_t whylen)
{
	static uint8_t out[16384], in[16384];
	size_t sent = 0, got = 0;

	while (got < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (sent < size)
			p.events |= POLLOUT;
		if (poll(&p, 1, 30000) <= 0) {
			snprintf(why, whylen, "no progress for 30 s (sent %zu, got %zu of %zu)",
				 sent, got, size);
			return -1;
		}
		if ((p.revents & POLLOUT) && sent < size) {
			size_t k = size - sent < sizeof(out) ? size - sent : sizeof(out);

			vv_fill(out, k, sent, seed);
			n = send(fd, out, k, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN) {
				snprintf(why, whylen, "send after %zu bytes: %s", sent,
					 strerror(errno));
				return -1;
			}
			if (n > 0)
				sent += n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			long long bad;

			n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n <= 0) {
				snprintf(why, whylen, "recv after %zu bytes: %s", got,
					 n ? strerror(errno) : "end of file");
				return -1;
			}
			if (got + n > sent) {
				snprintf(why, whylen, "got %zu bytes back, sent only %zu",
					 got + n, sent);
				return -1;
			}
			bad = vv_check(in, n, got, seed);
			if (bad >= 0) {
				snprintf(why, whylen, "byte %lld differs", bad);
				return -1;
			}
			got += n;
		}
	}
	return 0;
}

/* Seqpacket echo of the vv_seq_sizes messages, boundaries checked. */
static inline int vv_echo_seq(int fd, uint32_t seed, char *why, size_t whylen)
{
	static uint8_t out[65536], in[65536 + 1];

	for (size_t i = 0; i < VV_NSEQ; i++) {
		uint32_t len = vv_seq_sizes[i];
		ssize_t n;

		vv_fill(out, len, i, seed);
		n = send(fd, out, len, MSG_NOSIGNAL);
		if (n != (ssize_t)len) {
			snprintf(why, whylen, "send of %u: %zd (%s)", len, n,
				 strerror(errno));
			return -1;
		}
		n = recv(fd, in, sizeof(in), 0);
		if (n != (ssize_t)len) {
			snprintf(why, whylen, "message of %u came back as %zd bytes (%s)",
				 len, n, n < 0 ? strerror(errno) : "boundary lost");
			return -1;
		}
		if (vv_check(in, len, i, seed) >= 0) {
			snprintf(why, whylen, "message of %u differs", len);
			return -1;
		}
	}
	return 0;
}

#endif
