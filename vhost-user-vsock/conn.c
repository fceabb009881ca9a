// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The virtio-vsock protocol on the device side (virtio 1.2, 5.10.6): one
 * connection per (host port, guest port) pair, each tied to one Unix socket
 * of a host program.
 *
 * To the guest (RX queue): control packets have priority (a FIFO of
 * headers); data is read from a connection's Unix socket into its obuf
 * (one read, or one whole message on SEQPACKET) only when obuf is empty,
 * and goes out in packets as large as the guest's buffer and credit allow.
 * From the guest (TX queue): payloads are queued in order and written to
 * the Unix socket; the bytes written are the fwd_cnt the guest's credit is
 * computed from, so a host program that does not read stops the guest.
 */
#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shmem.h"
#include "vuv.h"

#define CONN_BUF_ALLOC	(256U * 1024)	/* credit given to the guest per connection */
#define OBUF_MAX	(64U * 1024)	/* one read, or the largest SEQPACKET message */
#define MAX_PKT_PAYLOAD	(64U * 1024)
#define HASH_SIZE	256

struct chunk {
	struct chunk *next;
	uint32_t len, off;
	uint32_t credit;	/* guest bytes in it (0 for an OFFER or RECLAIM frame) */
	unsigned int nfds;	/* fds to pass with it (SCM_RIGHTS), owned */
	int fds[VUV_MAX_REGIONS];
	uint8_t data[];
};

/* Framed connections (design 8.11): every Unix message is a frame. */
#define FRAME_HDR	16	/* le32 op; le32 flags; le64 id */
enum { FR_DATA = 1, FR_OFFER = 2, FR_RECLAIM = 3, FR_RELEASE = 4,
       FR_INJECT = 5 };	/* INJECT: --inject-hostile only */
#define FR_EOM		1U

struct ctrl_pkt {
	struct ctrl_pkt *next;
	struct vsock_hdr h;	/* host byte order */
	uint32_t len;
	uint8_t data[];
};

enum conn_state { C_CONNECTING, C_CONNECTED, C_CLOSING };

struct vuv_conn {
	struct vuv_conn *hnext, *rnext;
	struct vuv_fd uds;		/* fd -1 once closed */
	uint32_t local_port, peer_port;
	uint16_t type;
	enum conn_state state;
	bool in_ready;			/* on the list of connections with data for the guest */
	bool uds_eof, uds_hup;		/* the host program shut its sending side / is gone */
	uint32_t shut_sent;		/* SHUTDOWN flags sent to the guest */
	uint32_t peer_shut;		/* SHUTDOWN flags the guest sent */
	/* to the guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	uint8_t *obuf;
	uint32_t olen, ooff;
	/* from the guest */
	uint32_t rx_cnt, fwd_cnt, fwd_told;
	struct chunk *iq, **iq_tail;
	uint32_t iq_bytes;		/* queued, not yet written */
	struct chunk *seq_cur;		/* SEQPACKET: the message being assembled */
	/* offers (framed connections only) */
	bool framed;
	uint64_t *live;			/* ids of the offers the program holds */
	unsigned int nlive, live_cap;
};

static void chunk_free(struct chunk *k)
{
	while (k->nfds)
		close(k->fds[--k->nfds]);
	free(k);
}

static struct chunk *frame_new(uint32_t op, uint32_t flags, uint64_t id,
			       const void *p, uint32_t len, uint32_t credit)
{
	struct chunk *k = malloc(sizeof(*k) + FRAME_HDR + len);
	uint32_t v;
	uint64_t w;

	if (!k)
		return NULL;
	k->next = NULL;
	k->off = 0;
	k->len = FRAME_HDR + len;
	k->credit = credit;
	k->nfds = 0;
	v = htole32(op);
	memcpy(k->data, &v, 4);
	v = htole32(flags);
	memcpy(k->data + 4, &v, 4);
	w = htole64(id);
	memcpy(k->data + 8, &w, 8);
	if (len)
		memcpy(k->data + FRAME_HDR, p, len);
	return k;
}

static struct {
	struct vuv_dev *dev;
	struct vuv_conn *hash[HASH_SIZE];
	struct vuv_conn *ready, **ready_tail;
	struct ctrl_pkt *ctrl, **ctrl_tail;
	unsigned int count;
	uint32_t next_port;
} cs;

static unsigned int hash_of(uint32_t local, uint32_t peer)
{
	return (local * 31 + peer) % HASH_SIZE;
}

static struct vuv_conn *conn_find(uint32_t local, uint32_t peer)
{
	struct vuv_conn *c;

	for (c = cs.hash[hash_of(local, peer)]; c; c = c->hnext)
		if (c->local_port == local && c->peer_port == peer)
			return c;
	return NULL;
}

unsigned int vuv_conn_count(void)
{
	return cs.count;
}

void vuv_conn_init(struct vuv_dev *d)
{
	cs.dev = d;
	cs.ready_tail = &cs.ready;
	cs.ctrl_tail = &cs.ctrl;
	cs.next_port = 1024;
}

/* ---- to the guest ---- */

static void fill_hdr(struct vsock_hdr *h, struct vuv_conn *c, uint16_t op)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = VMADDR_CID_HOST_;
	h->dst_cid = cs.dev->guest_cid;
	h->src_port = c->local_port;
	h->dst_port = c->peer_port;
	h->type = c->type;
	h->op = op;
	h->buf_alloc = CONN_BUF_ALLOC;
	h->fwd_cnt = c->fwd_cnt;
}

static void hdr_to_le(struct vsock_hdr *le, const struct vsock_hdr *h)
{
	le->src_cid = htole64(h->src_cid);
	le->dst_cid = htole64(h->dst_cid);
	le->src_port = htole32(h->src_port);
	le->dst_port = htole32(h->dst_port);
	le->len = htole32(h->len);
	le->type = htole16(h->type);
	le->op = htole16(h->op);
	le->flags = htole32(h->flags);
	le->buf_alloc = htole32(h->buf_alloc);
	le->fwd_cnt = htole32(h->fwd_cnt);
}

static void hdr_from_le(struct vsock_hdr *h, const struct vsock_hdr *le)
{
	h->src_cid = le64toh(le->src_cid);
	h->dst_cid = le64toh(le->dst_cid);
	h->src_port = le32toh(le->src_port);
	h->dst_port = le32toh(le->dst_port);
	h->len = le32toh(le->len);
	h->type = le16toh(le->type);
	h->op = le16toh(le->op);
	h->flags = le32toh(le->flags);
	h->buf_alloc = le32toh(le->buf_alloc);
	h->fwd_cnt = le32toh(le->fwd_cnt);
}

static void queue_ctrl_raw(const struct vsock_hdr *h, const void *data,
			   uint32_t len)
{
	struct ctrl_pkt *p = malloc(sizeof(*p) + len);

	if (!p) {
		vuv_err("out of memory: control packet op %u dropped", h->op);
		return;
	}
	p->next = NULL;
	p->h = *h;
	p->h.len = len;
	p->len = len;
	if (len)
		memcpy(p->data, data, len);
	*cs.ctrl_tail = p;
	cs.ctrl_tail = &p->next;
}

static void queue_ctrl(struct vuv_conn *c, uint16_t op, uint32_t flags)
{
	struct vsock_hdr h;

	fill_hdr(&h, c, op);
	h.flags = flags;
	if (op == OP_RST)
		vuv_stats.rst_sent++;
	c->fwd_told = c->fwd_cnt;
	queue_ctrl_raw(&h, NULL, 0);
}

/* RST for a packet that belongs to no connection. */
static void queue_rst_for(const struct vsock_hdr *in)
{
	struct vsock_hdr h = {
		.src_cid = VMADDR_CID_HOST_,
		.dst_cid = in->src_cid,
		.src_port = in->dst_port,
		.dst_port = in->src_port,
		.type = in->type,
		.op = OP_RST,
	};

	vuv_stats.rst_sent++;
	queue_ctrl_raw(&h, NULL, 0);
}

static uint32_t peer_credit(const struct vuv_conn *c)
{
	uint32_t used = c->tx_cnt - c->peer_fwd_cnt;

	return used >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - used;
}

static void ready_add(struct vuv_conn *c)
{
	if (c->in_ready)
		return;
	c->in_ready = true;
	c->rnext = NULL;
	*cs.ready_tail = c;
	cs.ready_tail = &c->rnext;
}

static void ready_del(struct vuv_conn *c)
{
	struct vuv_conn **pp;

	if (!c->in_ready)
		return;
	for (pp = &cs.ready; *pp; pp = &(*pp)->rnext)
		if (*pp == c) {
			*pp = c->rnext;
			break;
		}
	if (!cs.ready)
		cs.ready_tail = &cs.ready;
	else if (cs.ready_tail == &c->rnext)
		for (cs.ready_tail = &cs.ready; *cs.ready_tail;
		     cs.ready_tail = &(*cs.ready_tail)->rnext)
			;
	c->in_ready = false;
}

static void uds_update(struct vuv_conn *c)
{
	uint32_t ev = 0;

	if (c->uds.fd < 0)
		return;
	if (c->state == C_CONNECTED && !c->uds_eof && !c->olen &&
	    !(c->peer_shut & SHUTDOWN_RCV))
		ev |= EPOLLIN | EPOLLRDHUP;
	if (c->iq)
		ev |= EPOLLOUT;
	if (c->uds_hup) {
		/* HUP is reported whatever the mask: poll no more; what is
		 * left to read is read without waiting (conn_refill) */
		vuv_loop_del(&c->uds);
		return;
	}
	if (ev != c->uds.events)
		vuv_loop_mod(&c->uds, ev);
}

static void conn_free(struct vuv_conn *c)
{
	struct vuv_conn **pp = &cs.hash[hash_of(c->local_port, c->peer_port)];
	struct chunk *k;

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	ready_del(c);
	if (c->uds.fd >= 0) {
		vuv_loop_del(&c->uds);
		close(c->uds.fd);
		c->uds.fd = -1;
	}
	while ((k = c->iq)) {
		c->iq = k->next;
		chunk_free(k);
	}
	free(c->seq_cur);
	free(c->live);
	free(c->obuf);
	vuv_dbg("connection %u <-> guest %u closed", c->local_port,
		c->peer_port);
	free(c);
	cs.count--;
}

static int live_find(const struct vuv_conn *c, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < c->nlive; i++)
		if (c->live[i] == id)
			return i;
	return -1;
}

static void queue_relinquish(struct vuv_conn *c, uint64_t id)
{
	uint8_t rel[SHMEM_FIXED_LEN + SHMEM_TAIL_LEN];
	struct vsock_hdr h;

	fill_hdr(&h, c, OP_SHMEM);
	queue_ctrl_raw(&h, rel, vuv_shmem_relinquish(rel, id));
}

/* The host program is done with every offer it holds (it closed, died,
 * or the connection is being reset): the guest gets them back. */
static void relinquish_all(struct vuv_conn *c)
{
	while (c->nlive)
		queue_relinquish(c, c->live[--c->nlive]);
}

static void conn_reset(struct vuv_conn *c)
{
	relinquish_all(c);
	queue_ctrl(c, OP_RST, 0);
	conn_free(c);
}

static struct vuv_conn *conn_new(int fd, uint16_t type, uint32_t local,
				 uint32_t peer)
{
	struct vuv_conn *c = calloc(1, sizeof(*c));
	unsigned int h = hash_of(local, peer);

	if (!c)
		return NULL;
	c->uds = (struct vuv_fd){ .kind = FD_CONN, .fd = fd, .owner = c };
	c->type = type;
	c->local_port = local;
	c->peer_port = peer;
	c->iq_tail = &c->iq;
	c->hnext = cs.hash[h];
	cs.hash[h] = c;
	cs.count++;
	if (vuv_loop_add(&c->uds, 0)) {
		c->uds.fd = -1;
		conn_free(c);
		return NULL;
	}
	return c;
}

/*
 * --inject-hostile (tests only): the frame's payload goes to the guest as
 * an OP_SHMEM packet on this connection, unchecked, so a test can show
 * that the guest driver refuses what a hostile device sends. Still never
 * to a guest that did not negotiate the feature (docs/design.md 8.12).
 */
static void inject(struct vuv_conn *c, size_t n)
{
	struct vsock_hdr h;

	if (n > MAX_SHMEM_PAYLOAD ||
	    !(cs.dev->features & (1ULL << VIRTIO_VSOCK_F_SHMEM))) {
		vuv_err("connection %u: INJECT of %zu bytes not sent", c->local_port, n);
		return;
	}
	vuv_info("connection %u: injecting an OP_SHMEM packet of %zu bytes",
		 c->local_port, n);
	fill_hdr(&h, c, OP_SHMEM);
	queue_ctrl_raw(&h, c->obuf + FRAME_HDR, n);
}

/* A frame from the host program (framed connections): DATA becomes obuf's
 * content, RELEASE gives an offer back. 0, or -1 if c was freed. */
static int rx_frame(struct vuv_conn *c, size_t n)
{
	uint32_t op;
	uint64_t id;
	int i;

	if (n < FRAME_HDR) {
		vuv_err("connection %u: a frame of %zu bytes: reset", c->local_port, n);
		conn_reset(c);
		return -1;
	}
	memcpy(&op, c->obuf, 4);
	memcpy(&id, c->obuf + 8, 8);
	op = le32toh(op);
	id = le64toh(id);
	switch (op) {
	case FR_DATA:
		c->ooff = FRAME_HDR;
		c->olen = n;
		return 0;
	case FR_RELEASE:
		i = live_find(c, id);
		if (i < 0) {
			vuv_err("connection %u: RELEASE of offer %llu, which the program does not hold",
				c->local_port, (unsigned long long)id);
			vuv_stats.shmem_bad++;
		} else {
			c->live[i] = c->live[--c->nlive];
			queue_relinquish(c, id);
		}
		c->olen = c->ooff = 0;
		return 0;
	case FR_INJECT:
		if (!vuv_opt->inject)
			break;
		inject(c, n - FRAME_HDR);
		c->olen = c->ooff = 0;
		return 0;
	default:
		break;
	}
	vuv_err("connection %u: unknown frame %u: reset", c->local_port, op);
	conn_reset(c);
	return -1;
}

/* Read from the host program into obuf (only when obuf is empty). */
static void conn_refill(struct vuv_conn *c)
{
	ssize_t n;

	/* the Unix socket keeps message boundaries (SOCK_SEQPACKET) */
	bool useq = c->framed || c->type == VSOCK_TYPE_SEQPACKET;
	size_t max = OBUF_MAX + (c->framed ? FRAME_HDR : 0);

	while (c->state == C_CONNECTED && !c->olen && !c->uds_eof &&
	       c->uds.fd >= 0 && !(c->peer_shut & SHUTDOWN_RCV)) {
		if (!c->obuf) {
			c->obuf = malloc(OBUF_MAX + FRAME_HDR);
			if (!c->obuf) {
				conn_reset(c);
				return;
			}
		}
		n = recv(c->uds.fd, c->obuf, max,
			 MSG_DONTWAIT | (useq ? MSG_TRUNC : 0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			vuv_dbg("connection %u: read: %s", c->local_port,
				strerror(errno));
			conn_reset(c);
			return;
		}
		if (n == 0 && !useq) {
			c->uds_eof = true;
			break;
		}
		if (n == 0) {
			/* SEQPACKET: a 0-byte read is end of file unless
			 * the peer is still there (an empty message) */
			if (c->uds_hup || recv(c->uds.fd, c->obuf, 1,
					       MSG_DONTWAIT | MSG_PEEK) == 0) {
				c->uds_eof = true;
				break;
			}
		}
		if ((size_t)n > max) {
			vuv_err("connection %u: host message of %zd bytes, at most %zu are carried: reset",
				c->local_port, n, max);
			conn_reset(c);
			return;
		}
		if (c->framed && rx_frame(c, n))
			return;
		if (!c->framed) {
			c->olen = n;
			c->ooff = 0;
		}
		if (c->olen == c->ooff)
			c->olen = c->ooff = 0;	/* empty messages are not carried */
	}
	if (c->uds_eof && c->nlive)
		relinquish_all(c);
	if (c->uds_eof && !c->olen) {
		/* the host program shut its sending side, or is gone: tell
		 * the guest (both directions if it is gone) */
		uint32_t want = SHUTDOWN_SEND | (c->uds_hup ? SHUTDOWN_RCV : 0);

		if ((c->shut_sent & want) != want) {
			c->shut_sent |= want;
			queue_ctrl(c, OP_SHUTDOWN, c->shut_sent);
		}
	}
	if (c->olen && peer_credit(c))
		ready_add(c);
	uds_update(c);
}

/* Fill one RX buffer with data of c. */
static uint32_t put_data(struct vuv_conn *c, const struct vuv_chain *ch)
{
	struct vsock_hdr h, le;
	uint32_t n = c->olen - c->ooff, room = ch->in_len - VSOCK_HDR_LEN;
	uint32_t credit = peer_credit(c);

	if (n > room)
		n = room;
	if (n > credit)
		n = credit;
	if (n > MAX_PKT_PAYLOAD)
		n = MAX_PKT_PAYLOAD;
	fill_hdr(&h, c, OP_RW);
	h.len = n;
	if (c->type == VSOCK_TYPE_SEQPACKET && c->ooff + n == c->olen)
		h.flags = SEQ_EOM;
	hdr_to_le(&le, &h);
	vuv_chain_write(ch, 0, &le, VSOCK_HDR_LEN);
	vuv_chain_write(ch, VSOCK_HDR_LEN, c->obuf + c->ooff, n);
	c->ooff += n;
	c->tx_cnt += n;
	c->fwd_told = c->fwd_cnt;
	vuv_stats.bytes_out += n;
	if (c->ooff == c->olen)
		c->olen = c->ooff = 0;
	return VSOCK_HDR_LEN + n;
}

void vuv_conn_flush(void)
{
	struct vuv_dev *d = cs.dev;
	struct vuv_vq *vq = &d->vq[0];
	struct vuv_chain ch;
	unsigned int pushed = 0;
	int r;

	while (d->running && (cs.ctrl || cs.ready)) {
		if (!cs.ctrl && (!cs.ready->olen || !peer_credit(cs.ready))) {
			ready_del(cs.ready);	/* back when credit comes */
			continue;
		}
		r = vuv_vq_pop(vq, &d->mem, &ch);
		if (r < 0) {
			pushed++;	/* returned used, empty */
			continue;
		}
		if (r == 0)
			break;
		if (ch.in_len < VSOCK_HDR_LEN) {
			vuv_err("RX buffer of %zu bytes, too small", ch.in_len);
			vuv_vq_push(vq, ch.head, 0);
			pushed++;
			continue;
		}
		if (cs.ctrl) {
			struct ctrl_pkt *p = cs.ctrl;
			struct vsock_hdr le;
			uint32_t len = p->len;

			if (len > ch.in_len - VSOCK_HDR_LEN) {
				vuv_err("control packet of %u bytes does not fit the guest's %zu byte buffer: dropped",
					len, ch.in_len);
				len = 0;
				p->h.op = OP_INVALID;
			}
			cs.ctrl = p->next;
			if (!cs.ctrl)
				cs.ctrl_tail = &cs.ctrl;
			hdr_to_le(&le, &p->h);
			vuv_chain_write(&ch, 0, &le, VSOCK_HDR_LEN);
			vuv_chain_write(&ch, VSOCK_HDR_LEN, p->data, len);
			vuv_vq_push(vq, ch.head, VSOCK_HDR_LEN + len);
			free(p);
		} else {
			struct vuv_conn *c = cs.ready;

			ready_del(c);
			vuv_vq_push(vq, ch.head, put_data(c, &ch));
			if (c->olen) {
				if (peer_credit(c))
					ready_add(c);
			} else {
				conn_refill(c);
			}
		}
		pushed++;
		vuv_stats.pkts_out++;
	}
	if (pushed)
		vuv_vhost_notify(d, 0);
}

/* ---- from the guest ---- */

static void maybe_credit_update(struct vuv_conn *c)
{
	/* what the guest believes it may still send */
	uint32_t left = CONN_BUF_ALLOC - (c->rx_cnt - c->fwd_told);

	if (c->fwd_cnt != c->fwd_told && left < MAX_PKT_PAYLOAD)
		queue_ctrl(c, OP_CREDIT_UPDATE, 0);
}

/* One frame with its fds: the byte count, or -1 (errno). */
static ssize_t send_frame(int fd, const struct chunk *k)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VUV_MAX_REGIONS)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { (void *)k->data, k->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (k->nfds) {
		struct cmsghdr *h;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * k->nfds);
		h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * k->nfds);
		memcpy(CMSG_DATA(h), k->fds, sizeof(int) * k->nfds);
	}
	return sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void iq_add(struct vuv_conn *c, struct chunk *k)
{
	*c->iq_tail = k;
	c->iq_tail = &k->next;
	c->iq_bytes += k->credit;
}

/* Write queued guest data to the host program. 0, or -1 if c was freed. */
static int conn_drain(struct vuv_conn *c)
{
	struct chunk *k;
	ssize_t n;

	while ((k = c->iq)) {
		if (c->uds.fd < 0)
			return -1;
		if (c->framed)
			n = send_frame(c->uds.fd, k);
		else
			n = send(c->uds.fd, k->data + k->off, k->len - k->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			vuv_dbg("connection %u: write: %s", c->local_port,
				strerror(errno));
			conn_reset(c);
			return -1;
		}
		if (c->framed) {
			/* a frame goes whole; its guest bytes are consumed */
			k->off = k->len;
			n = k->credit;
		} else {
			k->off += n;
		}
		c->fwd_cnt += n;
		c->iq_bytes -= n;
		if (k->off < k->len)
			continue;
		c->iq = k->next;
		if (!c->iq)
			c->iq_tail = &c->iq;
		chunk_free(k);
	}
	if (!c->iq && (c->peer_shut & SHUTDOWN_SEND) && c->uds.fd >= 0) {
		if ((c->peer_shut & SHUTDOWN_RCV) ||
		    (c->shut_sent & SHUTDOWN_RCV)) {
			/* both sides done: the guest waits for our RST */
			conn_reset(c);
			return -1;
		}
		shutdown(c->uds.fd, SHUT_WR);
	}
	maybe_credit_update(c);
	uds_update(c);
	return 0;
}

static void rx_rw(struct vuv_conn *c, const struct vsock_hdr *h,
		  const struct vuv_chain *ch)
{
	struct chunk *k = c->seq_cur;
	uint32_t had = k ? k->len : 0;

	if (c->state != C_CONNECTED || (c->peer_shut & SHUTDOWN_SEND)) {
		conn_reset(c);
		return;
	}
	c->rx_cnt += h->len;
	vuv_stats.bytes_in += h->len;
	if (c->iq_bytes + had + h->len > CONN_BUF_ALLOC) {
		vuv_err("connection %u: the guest sent past its credit: reset",
			c->local_port);
		vuv_stats.overruns++;
		conn_reset(c);
		return;
	}
	/* SEQPACKET: the pieces of a message are assembled in seq_cur */
	k = realloc(k, sizeof(*k) + had + h->len);
	if (!k) {
		conn_reset(c);
		return;
	}
	c->seq_cur = NULL;
	if (!had) {
		k->next = NULL;
		k->off = 0;
		k->nfds = 0;
	}
	vuv_chain_read(ch, VSOCK_HDR_LEN, k->data + had, h->len);
	k->len = had + h->len;
	if (c->type == VSOCK_TYPE_SEQPACKET && !(h->flags & SEQ_EOM)) {
		c->seq_cur = k;
		return;
	}
	k->credit = k->len;
	if (c->framed) {
		struct chunk *f = frame_new(FR_DATA,
				c->type == VSOCK_TYPE_SEQPACKET ? FR_EOM : 0, 0,
				k->data, k->len, k->len);

		free(k);
		if (!f) {
			conn_reset(c);
			return;
		}
		k = f;
	}
	iq_add(c, k);
	conn_drain(c);
}

/* An OFFER for a framed connection: its frame (docs/design.md 8.11) with
 * the guest-RAM fds of its ranges. 0, or -errno. */
static int offer_frame(struct vuv_conn *c, const struct shmem_desc *d,
		       const struct shmem_range *r)
{
	uint32_t plen = 32 + 24 * d->nents, i, j, v;
	int fds[VUV_MAX_REGIONS];
	unsigned int nfds = 0;
	struct chunk *k;
	uint8_t *p;
	uint64_t w;

	p = calloc(1, plen);
	if (!p)
		return -ENOMEM;
	w = htole64(d->tag);
	memcpy(p, &w, 8);
	w = htole64(d->size);
	memcpy(p + 8, &w, 8);
	v = htole32(d->kind);
	memcpy(p + 16, &v, 4);
	v = htole32(d->flags);
	memcpy(p + 20, &v, 4);
	v = htole32(d->data_len);
	memcpy(p + 24, &v, 4);
	v = htole32(d->nents);
	memcpy(p + 28, &v, 4);
	for (i = 0; i < d->nents; i++) {
		uint8_t *e = p + 32 + 24 * i;

		/* one fd per region used, in order of first use */
		for (j = 0; j < nfds; j++)
			if (fds[j] == r[i].fd)
				break;
		if (j == nfds)
			fds[nfds++] = r[i].fd;
		v = htole32(j);
		memcpy(e, &v, 4);
		w = htole64(r[i].offset);
		memcpy(e + 8, &w, 8);
		w = htole64(r[i].len);
		memcpy(e + 16, &w, 8);
	}
	k = frame_new(FR_OFFER, 0, d->id, p, plen, 0);
	free(p);
	if (!k)
		return -ENOMEM;
	/* the memory table's fds are rte_vhost's: pass copies; for a
	 * READONLY offer, the file opened anew read-only, so that the
	 * program cannot map it writable */
	for (j = 0; j < nfds; j++) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[j]);
		k->fds[j] = d->flags & SHMEM_F_READONLY ?
			    open(path, O_RDONLY | O_CLOEXEC) :
			    fcntl(fds[j], F_DUPFD_CLOEXEC, 0);
		if (k->fds[j] < 0) {
			int err = -errno;

			chunk_free(k);
			return err;
		}
		k->nfds = j + 1;
	}
	if (c->nlive == c->live_cap) {
		unsigned int cap = c->live_cap ? 2 * c->live_cap : 8;
		uint64_t *l = realloc(c->live, cap * sizeof(*l));

		if (!l) {
			chunk_free(k);
			return -ENOMEM;
		}
		c->live = l;
		c->live_cap = cap;
	}
	c->live[c->nlive++] = d->id;
	iq_add(c, k);
	return 0;
}

/*
 * A descriptor from the guest, checked in full (shmem.c). On a framed
 * connection an OFFER goes to the host program as a frame with the
 * guest-RAM fd (the offer is live until it sends RELEASE, closes or dies)
 * and a RECLAIM of a live offer is passed on; on a plain connection the
 * program takes no offers, so an OFFER is given back at once with
 * RELINQUISH (its data bytes follow as ordinary data). 0, or -1 if c was
 * freed.
 */
static int rx_shmem(struct vuv_conn *c, const struct vsock_hdr *h,
		    const struct vuv_chain *ch)
{
	struct shmem_range *r = NULL;
	struct shmem_desc d;
	const char *why = "";
	uint8_t *buf;
	int ret, i = -1;

	if (!(cs.dev->features & (1ULL << VIRTIO_VSOCK_F_SHMEM))) {
		vuv_err("connection %u: OP_SHMEM without VIRTIO_VSOCK_F_SHMEM: dropped",
			c->local_port);
		vuv_stats.shmem_bad++;
		return 0;
	}
	buf = malloc(h->len ? h->len : 1);
	if (!buf)
		return 0;
	vuv_chain_read(ch, VSOCK_HDR_LEN, buf, h->len);
	ret = vuv_shmem_parse(buf, h->len, &d, &why);
	free(buf);
	if (!ret)
		i = live_find(c, d.id);
	if (!ret && d.subop == SHMEM_SUBOP_OFFER) {
		r = calloc(d.nents, sizeof(*r));
		ret = r ? vuv_shmem_translate(&cs.dev->mem, &d, r, &why) : -ENOMEM;
		if (!ret && i >= 0) {
			why = "an id that is live already";
			ret = -EEXIST;
		}
	} else if (!ret && i < 0) {
		why = "a reclaim of an offer that is not live";
		ret = -ENOENT;
	}
	if (ret) {
		vuv_err("connection %u: bad OP_SHMEM descriptor: %s", c->local_port,
			why);
		vuv_stats.shmem_bad++;
	} else if (d.subop == SHMEM_SUBOP_RECLAIM) {
		struct chunk *k = frame_new(FR_RECLAIM, 0, d.id, NULL, 0, 0);

		c->live[i] = c->live[--c->nlive];
		if (k)
			iq_add(c, k);
		vuv_dbg("connection %u: offer %llu reclaimed by the guest",
			c->local_port, (unsigned long long)d.id);
	} else if (c->framed && offer_frame(c, &d, r) == 0) {
		vuv_dbg("connection %u: offer %llu of %llu bytes in %u ranges: to the program",
			c->local_port, (unsigned long long)d.id,
			(unsigned long long)d.size, d.nents);
		vuv_stats.shmem_ok++;
	} else {
		vuv_dbg("connection %u: offer %llu of %llu bytes in %u ranges: given back",
			c->local_port, (unsigned long long)d.id,
			(unsigned long long)d.size, d.nents);
		vuv_stats.shmem_ok++;
		queue_relinquish(c, d.id);
	}
	free(r);
	free(d.ents);
	return c->iq ? conn_drain(c) : 0;
}

void vuv_conn_rx_packet(const struct vsock_hdr *le, const struct vuv_chain *ch)
{
	struct vsock_hdr h;
	struct vuv_conn *c;
	bool framed = false;
	int fd;

	hdr_from_le(&h, le);
	vuv_stats.pkts_in++;
	if (h.src_cid != cs.dev->guest_cid || h.dst_cid != VMADDR_CID_HOST_ ||
	    VSOCK_HDR_LEN + (size_t)h.len > ch->out_len ||
	    h.len > MAX_PKT_PAYLOAD) {
		vuv_dbg("dropped: cid %llu -> %llu, len %u of %zu",
			(unsigned long long)h.src_cid,
			(unsigned long long)h.dst_cid, h.len, ch->out_len);
		vuv_stats.bad_pkts++;
		return;
	}
	if (h.type != VSOCK_TYPE_STREAM &&
	    !(h.type == VSOCK_TYPE_SEQPACKET &&
	      (cs.dev->features & (1ULL << VIRTIO_VSOCK_F_SEQPACKET)))) {
		vuv_stats.bad_pkts++;
		if (h.op != OP_RST)
			queue_rst_for(&h);
		return;
	}
	c = conn_find(h.dst_port, h.src_port);
	if (c && c->type != h.type) {
		vuv_stats.bad_pkts++;
		queue_rst_for(&h);
		return;
	}
	if (!c) {
		if (h.op == OP_RST)
			return;
		if (h.op != OP_REQUEST) {
			queue_rst_for(&h);
			return;
		}
		fd = vuv_uds_connect_port(h.dst_port, h.type, &framed);
		if (fd < 0) {
			vuv_dbg("guest port %u -> host port %u: %s", h.src_port,
				h.dst_port, strerror(-fd));
			queue_rst_for(&h);
			return;
		}
		c = conn_new(fd, h.type, h.dst_port, h.src_port);
		if (!c) {
			close(fd);
			queue_rst_for(&h);
			return;
		}
		c->state = C_CONNECTED;
		c->framed = framed;
		c->peer_buf_alloc = h.buf_alloc;
		c->peer_fwd_cnt = h.fwd_cnt;
		vuv_dbg("guest port %u -> host port %u: connected", h.src_port,
			h.dst_port);
		queue_ctrl(c, OP_RESPONSE, 0);
		conn_refill(c);
		return;
	}
	/* every packet carries the guest's credit */
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case OP_RESPONSE:
		if (c->state != C_CONNECTING) {
			conn_reset(c);
			return;
		}
		c->state = C_CONNECTED;
		{
			char line[32];
			int n = snprintf(line, sizeof(line), "OK %u\n",
					 c->local_port);

			if (send(c->uds.fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
				conn_reset(c);
				return;
			}
		}
		conn_refill(c);
		break;
	case OP_RST:
		conn_free(c);
		return;
	case OP_SHUTDOWN:
		c->peer_shut |= h.flags & (SHUTDOWN_RCV | SHUTDOWN_SEND);
		if (c->peer_shut & SHUTDOWN_RCV) {
			ready_del(c);
			c->olen = c->ooff = 0;
		}
		if ((c->shut_sent & (SHUTDOWN_RCV | SHUTDOWN_SEND)) ==
		    (SHUTDOWN_RCV | SHUTDOWN_SEND)) {
			/* the host program is gone: end it */
			conn_reset(c);
			return;
		}
		conn_drain(c);
		return;
	case OP_RW:
		rx_rw(c, &h, ch);
		return;
	case OP_CREDIT_REQUEST:
		queue_ctrl(c, OP_CREDIT_UPDATE, 0);
		break;
	case OP_CREDIT_UPDATE:
		break;
	case OP_SHMEM:
		if (rx_shmem(c, &h, ch))
			return;
		break;
	default:
		vuv_stats.bad_pkts++;
		conn_reset(c);
		return;
	}
	if (c->olen && peer_credit(c))
		ready_add(c);
}

/* ---- the host side ---- */

int vuv_conn_host_connect(int fd, int type, uint32_t port)
{
	struct vuv_conn *c;
	uint16_t vtype = type == SOCK_SEQPACKET ? VSOCK_TYPE_SEQPACKET :
						  VSOCK_TYPE_STREAM;
	uint32_t local;
	unsigned int tries;

	if (!cs.dev->running)
		return -ENOTCONN;
	if (vtype == VSOCK_TYPE_SEQPACKET &&
	    !(cs.dev->features & (1ULL << VIRTIO_VSOCK_F_SEQPACKET)))
		return -EPROTONOSUPPORT;
	for (tries = 0; tries < 1U << 16; tries++) {
		local = cs.next_port++;
		if (cs.next_port == 0)
			cs.next_port = 1024;
		if (!conn_find(local, port))
			break;
	}
	c = conn_new(fd, vtype, local, port);
	if (!c)
		return -ENOMEM;
	c->state = C_CONNECTING;
	queue_ctrl(c, OP_REQUEST, 0);
	vuv_dbg("host port %u -> guest port %u: requested", local, port);
	vuv_conn_flush();
	return 0;
}

void vuv_conn_uds_event(struct vuv_conn *c, uint32_t events)
{
	if (events & EPOLLOUT) {
		if (conn_drain(c))
			goto out;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		c->uds_hup = true;
		if (c->peer_shut & SHUTDOWN_RCV)
			c->uds_eof = true;	/* nothing more will be read */
		if (c->state == C_CONNECTING) {
			conn_reset(c);
			goto out;
		}
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		if (c->uds_hup && c->iq) {
			/* nobody will read what the guest sent */
			conn_reset(c);
			goto out;
		}
		conn_refill(c);
	}
out:
	vuv_conn_flush();
}

void vuv_conn_reset_all(void)
{
	struct ctrl_pkt *p;
	unsigned int i;

	for (i = 0; i < HASH_SIZE; i++)
		while (cs.hash[i])
			conn_free(cs.hash[i]);
	while ((p = cs.ctrl)) {
		cs.ctrl = p->next;
		free(p);
	}
	cs.ctrl_tail = &cs.ctrl;
}
