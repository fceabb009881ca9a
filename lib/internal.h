/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private definitions shared by the library's files. Not installed.
 */
#ifndef LIBVSHMEM_INTERNAL_H
#define LIBVSHMEM_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <libvshmem/vshmem.h>
#include "uapi.h"

/* Everything is hidden by default (gnu_symbol_visibility); this marks the
 * public API. The version script is a second fence. */
#define VSHMEM_API __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define offsetofend(type, field) \
	(offsetof(type, field) + sizeof(((type *)0)->field))

/* Set errno from a negative return value and pass the value on. Every
 * public function returns through this so that the two cannot drift. */
static inline int vshmem_err(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* A getter given NULL that returns an unsigned value or a pointer, which
 * cannot carry an errno: errno is set, and 0 or NULL returned (vshmem.h,
 * "NULL objects"). */
#define VSHMEM_NULL_ARG(zero) (errno = EINVAL, (zero))

/* ---- sized option structs (see vshmem.h, "Options") ---- */

int vshmem_opts_check(const void *opts, size_t known_sz);

#define OPTS_VALID(opts, type) \
	vshmem_opts_check((opts), offsetofend(struct type, type##__last_field))
#define OPTS_HAS(opts, field) \
	((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, fallback) \
	(OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/* ---- a tiny intrusive list, used to find offers by id ---- */

struct vshmem_list {
	struct vshmem_list *prev, *next;
};

static inline void vshmem_list_init(struct vshmem_list *h)
{
	h->prev = h->next = h;
}

static inline void vshmem_list_add(struct vshmem_list *h, struct vshmem_list *n)
{
	n->next = h;
	n->prev = h->prev;
	h->prev->next = n;
	h->prev = n;
}

static inline void vshmem_list_del(struct vshmem_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	vshmem_list_init(n);
}

#define vshmem_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* ---- objects ---- */

struct vshmem_heap {
	int fd;
	int kind;		/* enum vshmem_kind, 0 unknown */
	char name[64];
};

struct vshmem_buf {
	int fd;
	uint64_t size;
	int kind;		/* enum vshmem_kind, 0 unknown */
	void *map;
	unsigned int map_access;
	unsigned int lends;	/* live LEND offers of this buffer */
};

#define VSHMEM_OFFER_BUCKETS 256
#define VSHMEM_URING_BUCKETS 64

/* An operation prepared with vshmem_uring_prep_*() and not completed yet.
 * Its address is the SQE's user_data; vshmem_uring_complete() accepts a
 * CQE only if that value is the address of one of these in the channel's
 * registry, so a foreign user_data is never dereferenced. */
struct vshmem_uring_req {
	struct vshmem_list link;	/* in ch->uring, while in flight */
	bool is_recv;			/* a struct uring_recv, else an offer */
};

/* A receive's wait, in poll(2)'s convention: timeout_ms < 0 forever, 0 not
 * at all, > 0 until end_ms (vshmem_sys_now_ms()). */
struct vshmem_deadline {
	int timeout_ms;
	int64_t end_ms;
};

struct vshmem_channel {
	int fd;
	bool owns_fd;
	bool listener;
	int sock_type;
	bool caps_known;
	uint64_t caps;		/* library bits: VSHMEM_CAP_KIND/TYPE */
	uint64_t next_id;
	vshmem_log_fn log_fn;
	void *log_data;
	/* Live offers hashed by id, so that finding one (a free id, a
	 * RELINQUISH) stays flat with thousands outstanding. */
	struct vshmem_list offers[VSHMEM_OFFER_BUCKETS];
	struct vshmem_list incomings;
	/* io_uring operations in flight, hashed by address. */
	struct vshmem_list uring[VSHMEM_URING_BUCKETS];
	/* The host side of a hybrid-vsock device (uds.c): an AF_UNIX socket,
	 * which has no SO_VM_SOCKETS_SHMEM_CAPS (caps are 0: no offers go
	 * from here). Framed: every message is a frame of docs/design.md
	 * 8.11, and offers arrive as OFFER frames. */
	bool uds;
	bool framed;
	char *uds_path;			/* listener: its socket file */
	pid_t uds_owner;		/* the process that bound it */
	struct vshmem_frame_rx *frx;	/* framed: the receive buffer */
};

static inline struct vshmem_list *vshmem_offer_bucket(struct vshmem_channel *ch,
						      uint64_t id)
{
	return &ch->offers[id % VSHMEM_OFFER_BUCKETS];
}

/* Room for one SCM_VSOCK_SHMEM plus anything a confused kernel or peer
 * adds, so that duplicates and strays are seen (and their fds closed)
 * instead of hidden behind MSG_CTRUNC. */
#define VSHMEM_CTL_SPACE 256
_Static_assert(VSHMEM_CTL_SPACE >= CMSG_SPACE(sizeof(struct vsock_shmem)) * 2 +
	       CMSG_SPACE(8 * sizeof(int)), "control buffer too small");

/* struct cmsghdr ends in a flexible array: keep this union last in a struct. */
union vshmem_ctl {
	struct cmsghdr align;
	unsigned char buf[VSHMEM_CTL_SPACE];
};

struct vshmem_offer {
	struct vshmem_channel *ch;	/* NULL once the channel closed */
	struct vshmem_buf *buf;
	struct vshmem_list link;	/* in ch's bucket of its id */
	uint64_t id;
	int kind;
	int state;
	struct vshmem_uring_req ureq;	/* sent through io_uring */
	/* The message lives here so that an io_uring send can use it after
	 * the prep call returns. */
	struct msghdr msg;
	struct iovec iov;
	union vshmem_ctl ctl;
};

struct vshmem_incoming {
	struct vshmem_channel *ch;
	struct vshmem_list link;	/* in ch->incomings */
	uint64_t id;
	int kind;
	int type;
	uint64_t size;
	uint64_t tag;
	uint64_t handle;
	unsigned int flags;
	int state;
	struct vshmem_buf *buf;		/* LOCAL only */
	/* ADDR only (a framed channel): the guest's pages as one view (NULL
	 * once revoked), in a reserved range that holds PROT_NONE memory
	 * after the offer ended, until close (resv_len 0: none). */
	void *view;
	void *resv;
	size_t resv_len;
};

/* ---- cmsg.c: SCM_VSOCK_SHMEM encode/decode, no syscalls ---- */

/* Every fd seen in a received control buffer; the caller closes them on
 * error, and all but the offered one on success. */
#define VSHMEM_MAX_RX_FDS (VSHMEM_CTL_SPACE / sizeof(int))

struct vshmem_cmsg_rx {
	bool found;			/* an SCM_VSOCK_SHMEM was present */
	struct vsock_shmem desc;
	int fds[VSHMEM_MAX_RX_FDS];
	size_t nfds;
};

int vshmem_cmsg_encode(void *ctl, size_t ctl_len,
		       const struct vsock_shmem *desc);
int vshmem_cmsg_decode(const struct msghdr *msg, struct vshmem_cmsg_rx *rx);

/* ---- common.c: what the library knows about each kind ---- */

struct vshmem_kind_info {
	const char *name;		/* vshmem_kind_name() */
	const char *heaps[2];		/* heaps enforcing it, in order tried */
	int no_heap_err;		/* vshmem_heap_open_kind() when none */
};

/* NULL for anything but a public kind. */
const struct vshmem_kind_info *vshmem_kind_info(int kind);
/* Kind a heap enforces, by its name; 0 unknown. */
int vshmem_heap_name_kind(const char *name);

/* ---- shared helpers between the object files ---- */

void vshmem_log(const struct vshmem_channel *ch, int level,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct vshmem_buf *vshmem_buf_wrap(int fd, uint64_t size, int kind);
int vshmem_channel_new(int fd, bool owns_fd, int sock_type,
		       const struct vshmem_channel_opts *opts,
		       struct vshmem_channel **ret_ch);
int vshmem_channel_sock_type(const struct vshmem_channel_opts *opts);
int vshmem_channel_caps(struct vshmem_channel *ch, uint64_t *ret);
struct vshmem_offer *vshmem_channel_find_offer(struct vshmem_channel *ch,
					       uint64_t id);
struct vshmem_incoming *vshmem_channel_find_incoming(struct vshmem_channel *ch,
						     uint64_t id);
int vshmem_channel_send_ctl(struct vshmem_channel *ch, struct msghdr *msg,
			    size_t total);
int vshmem_channel_send_notice(struct vshmem_channel *ch, uint32_t subop,
			       uint64_t id);
uint32_t vshmem_channel_send_type(const struct vshmem_channel *ch);
void vshmem_deadline_start(struct vshmem_deadline *dl, int timeout_ms);
int vshmem_channel_recv_msg(struct vshmem_channel *ch, void *buf, size_t len,
			    const struct vshmem_deadline *dl,
			    struct vshmem_incoming **ret_in);
int vshmem_channel_peer_gone(struct vshmem_channel *ch);
struct vshmem_list *vshmem_uring_bucket(struct vshmem_channel *ch,
					uintptr_t addr);
void vshmem_uring_req_drop(struct vshmem_uring_req *req);
int vshmem_channel_process_rx(struct vshmem_channel *ch, struct msghdr *msg,
			      ssize_t n, struct vshmem_incoming **ret_in);
int vshmem_offer_prepare(struct vshmem_channel *ch, struct vshmem_buf *buf,
			 const struct vshmem_offer_opts *opts,
			 struct vshmem_offer **ret_offer);
void vshmem_offer_mark_dead(struct vshmem_offer *offer);
void vshmem_offer_set_state(struct vshmem_offer *offer, int state);

/* ---- uds.c: the host side of a hybrid-vsock device ---- */

int vshmem_uds_accepted(const struct vshmem_channel *listener,
			struct vshmem_channel *ch);
void vshmem_uds_free(struct vshmem_channel *ch);
int vshmem_frame_recv(struct vshmem_channel *ch, void *buf, size_t len,
		      const struct vshmem_deadline *dl,
		      struct vshmem_incoming **ret_in);
#define VSHMEM_FRAME_RELEASE	4	/* frame op: we are done with an offer */
int vshmem_frame_send(struct vshmem_channel *ch, uint32_t op, uint64_t id,
		      const void *buf, size_t len);
/* Take the view away (PROT_NONE over it), first thing when the offer
 * ends, so the guest never gets back pages this process still maps. */
void vshmem_incoming_revoke(struct vshmem_incoming *in);
ssize_t vshmem_channel_recvmsg(struct vshmem_channel *ch, struct msghdr *msg,
			       const struct vshmem_deadline *dl);

/* ---- sys.c: the only file that makes system calls ----
 *
 * Each returns >= 0 or -errno (never -1), and every fd it creates is
 * close-on-exec. Unit tests link a fake in its place. */

int vshmem_sys_open(const char *path, int flags);
int vshmem_sys_close(int fd);
int vshmem_sys_ioctl(int fd, unsigned long request, void *arg);
int vshmem_sys_mmap(int fd, size_t len, int prot, void **ret_addr);
int vshmem_sys_munmap(void *addr, size_t len);
/* Reserve len bytes of address space, PROT_NONE. */
int vshmem_sys_mmap_anon(size_t len, void **ret_addr);
/* MAP_FIXED over [addr, addr + len): MAP_SHARED of fd at off with prot, or
 * (fd < 0) anonymous PROT_NONE memory, which takes a view away at once
 * and keeps the addresses reserved. */
int vshmem_sys_mmap_fixed(void *addr, size_t len, int prot, int fd,
			  uint64_t off);
size_t vshmem_sys_page_size(void);
int vshmem_sys_unlink(const char *path);
int vshmem_sys_dup(int fd);
int vshmem_sys_fd_size(int fd, uint64_t *ret_size);
/* The size of a regular file (a memfd), by fstat; -EINVAL for others. */
int vshmem_sys_file_size(int fd, uint64_t *ret_size);
int vshmem_sys_fdinfo(int fd, char *buf, size_t len);
int vshmem_sys_list_dir(const char *path, char ***ret_names);
int vshmem_sys_socket(int domain, int type);
int vshmem_sys_connect(int fd, const struct sockaddr *addr, socklen_t len);
int vshmem_sys_bind(int fd, const struct sockaddr *addr, socklen_t len);
int vshmem_sys_listen(int fd, int backlog);
int vshmem_sys_accept(int fd);
int vshmem_sys_getsockopt(int fd, int level, int name, void *val,
			  socklen_t *len);
ssize_t vshmem_sys_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t vshmem_sys_recvmsg(int fd, struct msghdr *msg, int flags);
int vshmem_sys_poll(int fd, short events, int timeout_ms);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t vshmem_sys_now_ms(void);

#endif /* LIBVSHMEM_INTERNAL_H */
