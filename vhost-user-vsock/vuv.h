/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vhost-user-vsock: the device side of virtio-vsock for QEMU's
 * vhost-user-vsock-pci, connecting guest sockets to host programs over
 * Unix sockets (the hybrid-vsock convention of Firecracker and rust-vmm's
 * vhost-device-vsock). One job per file:
 *   main.c    command line, the event loop
 *   vhost.c   rte_vhost glue: the vhost-user socket, GET_CONFIG, the rings
 *   vring.c   split virtqueues: taking chains, copying in and out, used ring
 *   conn.c    the virtio-vsock protocol: connections, credit, shutdown, RST
 *   uds.c     the host side: listeners, CONNECT lines, <uds-path>_PORT
 *   shmem.c   OP_SHMEM descriptors: parse, validate, translate (design 8.11)
 * Everything but the rte_vhost callbacks runs on the event loop's thread.
 */
#ifndef VUV_H
#define VUV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMADDR_CID_HOST_		2U

/* virtio-vsock (virtio spec 5.10) */
#define VIRTIO_VSOCK_F_STREAM		0
#define VIRTIO_VSOCK_F_SEQPACKET	1
#define VIRTIO_VSOCK_F_SHMEM		3	/* design 8.11 */

#define VSOCK_TYPE_STREAM		1
#define VSOCK_TYPE_SEQPACKET		2

enum vsock_op {
	OP_INVALID = 0,
	OP_REQUEST = 1,
	OP_RESPONSE = 2,
	OP_RST = 3,
	OP_SHUTDOWN = 4,
	OP_RW = 5,
	OP_CREDIT_UPDATE = 6,
	OP_CREDIT_REQUEST = 7,
	OP_SHMEM = 8,
};

#define SHUTDOWN_RCV		1U	/* the sender will receive no more */
#define SHUTDOWN_SEND		2U	/* the sender will send no more */
#define SEQ_EOM			1U	/* last packet of a message */
#define SEQ_EOR			2U	/* ... and of a record */

/* The packet header, little-endian on the wire. */
struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

#define VSOCK_HDR_LEN		sizeof(struct vsock_hdr)	/* 44 */

/* ---- guest memory (vhost.c fills it from the vhost memory table) ---- */

struct vuv_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;
	uint8_t *hva;		/* where this process sees it */
	int fd;			/* the guest-RAM fd (memfd) ... */
	uint64_t fd_offset;	/* ... and the region's offset in it */
};

#define VUV_MAX_REGIONS 8

struct vuv_mem {
	unsigned int nregions;
	struct vuv_region r[VUV_MAX_REGIONS];
};

/* The host address of [gpa, gpa + len) if it lies in one region, else NULL. */
void *vuv_gpa_to_hva(const struct vuv_mem *mem, uint64_t gpa, uint64_t len);
/* The region holding [gpa, gpa + len) whole, or NULL. */
const struct vuv_region *vuv_gpa_region(const struct vuv_mem *mem,
					uint64_t gpa, uint64_t len);

/* ---- split virtqueues (vring.c) ---- */

struct vring_desc_;
struct vring_avail_;
struct vring_used_;

struct vuv_vq {
	unsigned int idx;		/* 0 rx (device -> guest), 1 tx */
	uint16_t size;
	struct vring_desc_ *desc;
	struct vring_avail_ *avail;
	struct vring_used_ *used;
	uint16_t last_avail;
	uint16_t last_used;
	int kickfd;
};

#define VUV_MAX_SEGS 64

/* One descriptor chain, translated: its readable and writable segments. */
struct vuv_chain {
	uint16_t head;
	unsigned int nout, nin;
	struct { uint8_t *p; uint32_t len; } out[VUV_MAX_SEGS], in[VUV_MAX_SEGS];
	size_t out_len, in_len;
};

/* Take the next available chain: 1 if one was taken, 0 if none is there,
 * -EINVAL for a malformed chain (it is returned used with length 0). */
int vuv_vq_pop(struct vuv_vq *vq, const struct vuv_mem *mem,
	       struct vuv_chain *c);
/* Give a chain back with len bytes written. */
void vuv_vq_push(struct vuv_vq *vq, uint16_t head, uint32_t len);
bool vuv_vq_has_avail(const struct vuv_vq *vq);
/* Gather from the readable segments, starting off bytes in. */
size_t vuv_chain_read(const struct vuv_chain *c, size_t off, void *dst,
		      size_t len);
/* Scatter into the writable segments, starting off bytes in. */
size_t vuv_chain_write(const struct vuv_chain *c, size_t off,
		       const void *src, size_t len);

/* ---- the device: vhost.c ---- */

enum vuv_fd_kind { FD_EVENT, FD_SIGNAL, FD_KICK_RX, FD_KICK_TX, FD_LISTEN, FD_HELLO,
		   FD_CONN };

/* What an epoll event points at. */
struct vuv_fd {
	enum vuv_fd_kind kind;
	int fd;
	void *owner;
	uint32_t events;	/* what is registered */
	bool added;		/* in the epoll set */
};


struct vuv_dev {
	/* set by vhost.c on the loop thread while the device runs */
	bool running;
	int vid;
	struct vuv_vq vq[2];
	struct vuv_fd kick[2];		/* the queues' kick eventfds in the loop */
	struct vuv_mem mem;
	uint64_t features;		/* negotiated */
	uint64_t guest_cid;
};

struct vuv_opts {
	const char *socket_path;
	const char *uds_path;
	uint64_t guest_cid;
	bool shmem;
	bool inject;	/* --inject-hostile: test only (INJECT frames) */
	int verbose;
};

extern const struct vuv_opts *vuv_opt;

/* Start serving the vhost-user socket; the loop learns about device start
 * and stop through the returned eventfd (call vuv_vhost_event() on it). */
int vuv_vhost_start(const struct vuv_opts *o, int *evfd);
/* Apply a pending device start or stop; returns 0 or -errno. */
int vuv_vhost_event(struct vuv_dev *d);
void vuv_vhost_notify(struct vuv_dev *d, unsigned int q);
void vuv_vhost_stop(void);

/* ---- the event loop (main.c) ---- */

int vuv_loop_add(struct vuv_fd *f, uint32_t events);
int vuv_loop_mod(struct vuv_fd *f, uint32_t events);
void vuv_loop_del(struct vuv_fd *f);

/* ---- connections (conn.c) ---- */

struct vuv_conn;

void vuv_conn_init(struct vuv_dev *d);
/* A packet from the guest's TX queue. */
void vuv_conn_rx_packet(const struct vsock_hdr *h, const struct vuv_chain *c);
/* The guest gave RX buffers, or something became ready to send. */
void vuv_conn_flush(void);
/* The Unix socket of a connection is readable / writable / hung up. */
void vuv_conn_uds_event(struct vuv_conn *c, uint32_t events);
/* A host program connected and asked for guest port P. */
int vuv_conn_host_connect(int fd, int type, uint32_t port);
/* The device stopped: every connection ends (host programs see EOF). */
void vuv_conn_reset_all(void);
unsigned int vuv_conn_count(void);

/* ---- the host side (uds.c) ---- */

int vuv_uds_start(const char *path);
void vuv_uds_event(struct vuv_fd *f, uint32_t events);
/* Connect to the host program listening for guest connections to port. */
int vuv_uds_connect_port(uint32_t port, int type, bool *framed);
void vuv_uds_stop(void);

/* ---- diagnostics ---- */

void vuv_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define vuv_err(...)	vuv_log(0, __VA_ARGS__)
#define vuv_info(...)	vuv_log(1, __VA_ARGS__)
#define vuv_dbg(...)	vuv_log(2, __VA_ARGS__)

/* Counters printed at exit and with SIGUSR1 (verbose). */
struct vuv_stats {
	uint64_t pkts_in, pkts_out, bytes_in, bytes_out;
	uint64_t rst_sent, bad_pkts, overruns;
	uint64_t shmem_ok, shmem_bad;
};
extern struct vuv_stats vuv_stats;

#endif
