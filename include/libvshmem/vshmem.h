/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file vshmem.h
 * @brief libvshmem: pass dma-buf memory by reference over AF_VSOCK.
 *
 * @mainpage libvshmem
 *
 * A program allocates a buffer from a dma-buf heap, offers it to the peer
 * of a vsock connection, and the kernel hands the pages over (SHARE, LEND
 * or SEND_SECURE; the kind is a property of the heap the buffer came from).
 *
 * Conventions, stated once for the whole API:
 *
 * - **Errors.** Every fallible function returns an int: >= 0 on success, a
 *   negative errno value on failure; errno is also set to the positive
 *   value. Constructors hand the object back through a final `ret_*`
 *   pointer, which is written only on success.
 * - **Options.** Optional parameters travel in a `struct vshmem_*_opts`
 *   whose first field is `size_t sz`; declare them with VSHMEM_OPTS(). NULL
 *   means "all defaults". An `sz` smaller than `sizeof(size_t)` gives
 *   -EINVAL; a struct larger than this library knows is accepted only if the
 *   unknown tail is zero, otherwise -E2BIG.
 * - **File descriptors.** Each function says which term applies:
 *   - *borrowed*: valid while the owning object lives; the caller must not
 *     close it;
 *   - *owned by caller*: a new fd the caller must close();
 *   - *consumed*: the library takes ownership only on success; on failure
 *     the caller still owns the fd.
 *   Every fd the library creates is close-on-exec. A received fd is never
 *   leaked: if a message is unusable, every fd that came with it is closed.
 * - **Threads.** libvshmem is thread-aware: separate objects may be used
 *   from different threads at once; one object (and the objects attached
 *   to one channel) must not be used by two threads at once without the
 *   caller's own locking. There is no global mutable state. Objects must not
 *   be shared across fork().
 * - **Timeouts.** Every `int timeout_ms` follows poll(2): < 0 waits
 *   forever, 0 does not wait (-EAGAIN if nothing is there yet), > 0 waits
 *   at most that many milliseconds (then -ETIMEDOUT). A wait with a
 *   timeout >= 0 never ends in a blocking call: the socket is read with
 *   MSG_DONTWAIT after poll(), and a call that reads several messages
 *   counts them all against one deadline. Timeouts are explicit arguments,
 *   never opts fields, so that a zeroed opts struct keeps meaning "the
 *   defaults".
 * - **NULL objects.** Destructors accept NULL and do nothing. A getter
 *   given NULL returns -EINVAL if it returns an int, 0 if it returns an
 *   unsigned value (uint64_t, unsigned int: these cannot carry an errno)
 *   and NULL if it returns a pointer; errno is set to EINVAL in every case.
 * - **Destructors.** `_close` ends an object that owns a kernel handle (a
 *   heap, buffer, channel or incoming offer, each holding an fd); `_free`
 *   ends a plain object (an offer, a heap name list).
 * - **Output.** The library never prints; a channel can be given a log
 *   callback (struct vshmem_channel_opts).
 * - **ABI.** Unstable (soname libvshmem.so.0) until the kernel series that
 *   defines SCM_VSOCK_SHMEM is merged.
 */
#ifndef LIBVSHMEM_VSHMEM_H
#define LIBVSHMEM_VSHMEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#include <libvshmem/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Declare a zeroed options struct with `sz` set.
 *
 * Example: `VSHMEM_OPTS(vshmem_offer_opts, o, .tag = 7);`
 */
#define VSHMEM_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = ({						\
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));	\
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };\
	})

/** @defgroup common Common definitions
 * @{
 */

/** Transfer kind: what happens to the lender's access. */
enum vshmem_kind {
	/** Both sides keep read/write access. */
	VSHMEM_KIND_SHARE = 1,
	/** The lender loses all access until the memory comes back. */
	VSHMEM_KIND_LEND,
	/** Already protected memory with a handle; only the handle moves. */
	VSHMEM_KIND_SEND_SECURE,
};

/** How the borrower receives an offer. */
enum vshmem_type {
	/** A platform (FF-A) memory handle; no fd. */
	VSHMEM_TYPE_FFA = 1,
	/** A new dma-buf fd of the borrower's own (same-kernel peer). */
	VSHMEM_TYPE_LOCAL,
	/** The borrower is the transport's device (the host side of a
	 *  virtio-vsock device), which reaches the memory by the addresses
	 *  of its DMA mapping. Offered by a guest, never received by one. */
	VSHMEM_TYPE_ADDR,
};

/** Capability bit for a delivery type (vshmem_channel_get_caps()):
 *  the kernel's VSOCK_SHMEM_CAP_TYPE() layout. */
#define VSHMEM_CAP_TYPE(type)	(UINT64_C(1) << (type))
/** Capability bit for a transfer kind (vshmem_channel_get_caps()):
 *  the kernel's VSOCK_SHMEM_CAP_KIND() layout. */
#define VSHMEM_CAP_KIND(kind)	(UINT64_C(1) << (16 + (kind)))

/** Log levels passed to a vshmem_log_fn (syslog numbering). */
enum vshmem_log_level {
	VSHMEM_LOG_ERR = 3,
	VSHMEM_LOG_WARNING = 4,
	VSHMEM_LOG_DEBUG = 7,
};

/** Optional log callback; msg is a complete line without newline. */
typedef void (*vshmem_log_fn)(void *userdata, int level, const char *msg);

/**
 * @brief Version of the library at run time, e.g. "0.1.0".
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *vshmem_version(void);

/**
 * @brief Name of a transfer kind ("share", "lend", "send-secure").
 * @return A static string; "unknown" for other values.
 * @since 0.1
 */
const char *vshmem_kind_name(int kind);

/** @} */

/** @defgroup heap Heaps
 * A heap is an open /dev/dma_heap/<name>, reusable for many allocations.
 * The transfer kind belongs to the heap: "system" shares, "lend" and
 * "lend-nomap" lend. A missing heap is an error; the library never falls
 * back to a heap of another kind.
 * @{
 */
struct vshmem_heap;

/**
 * @brief List the dma-buf heaps present.
 * @param ret_names Set to a NULL-terminated, sorted array of names, owned by
 *        the caller (free with vshmem_heap_list_free()); set only on success.
 * @return Number of heaps (0 when /dev/dma_heap is missing), or -errno.
 * @since 0.1
 */
int vshmem_heap_list(char ***ret_names);

/** @brief Free an array from vshmem_heap_list(); NULL is ignored. */
void vshmem_heap_list_free(char **names);

/**
 * @brief Open a heap by name.
 * @param name Heap name, e.g. "system" (no '/'; not NULL).
 * @param ret_heap Set to the new heap on success.
 * @return 0, -EINVAL (bad name), -ENOENT (no such heap), -EACCES, -errno.
 * @since 0.1
 */
int vshmem_heap_open(const char *name, struct vshmem_heap **ret_heap);

/**
 * @brief Open the heap that enforces a transfer kind.
 *
 * SHARE opens "system"; LEND opens "lend", else "lend-nomap".
 * @return 0; -ENOENT (SHARE: no system heap), -EOPNOTSUPP (LEND: no lend
 *         heap; SEND_SECURE: no heap allocates it, import a buffer that
 *         already carries a handle), -EINVAL (unknown kind), -errno.
 * @since 0.1
 */
int vshmem_heap_open_kind(enum vshmem_kind kind, struct vshmem_heap **ret_heap);

/** @brief Close a heap (buffers allocated from it stay valid); NULL ok. */
void vshmem_heap_close(struct vshmem_heap *heap);

/** @brief Name of the heap; valid while the heap is open. NULL if heap
 *         is NULL. */
const char *vshmem_heap_get_name(const struct vshmem_heap *heap);

/**
 * @brief Transfer kind the heap enforces.
 * @return enum vshmem_kind, 0 if unknown (heap not known to the library:
 *         the kernel decides), -EINVAL if heap is NULL.
 */
int vshmem_heap_get_kind(const struct vshmem_heap *heap);

/** @brief The heap's fd: *borrowed*. @return fd or -EINVAL. */
int vshmem_heap_get_fd(const struct vshmem_heap *heap);

/** @} */

/** @defgroup buffer Buffers
 * A buffer is a dma-buf fd plus its size and, if known, its transfer kind.
 * @{
 */
struct vshmem_buf;

/** Options for vshmem_buf_alloc(). */
struct vshmem_alloc_opts {
	size_t sz;
	/** Debug name set with DMA_BUF_SET_NAME (< 32 bytes). @since 0.1 */
	const char *name;
	size_t :0;
};
#define vshmem_alloc_opts__last_field name

/**
 * @brief Allocate a buffer from a heap (DMA_HEAP_IOCTL_ALLOC,
 *        O_RDWR|O_CLOEXEC).
 * @param heap The heap (not NULL).
 * @param size Size in bytes (> 0; the kernel rounds up to pages).
 * @param opts NULL or options.
 * @param ret_buf Set to the new buffer (inherits the heap's kind).
 * @return 0, -EINVAL, -E2BIG (opts), -ENOMEM, -errno from the kernel.
 * @since 0.1
 */
int vshmem_buf_alloc(struct vshmem_heap *heap, size_t size,
		     const struct vshmem_alloc_opts *opts,
		     struct vshmem_buf **ret_buf);

/** Options for vshmem_buf_import(). */
struct vshmem_import_opts {
	size_t sz;
	/** Transfer kind the buffer's exporter enforces, if known (0 =
	 *  unknown: offers then only need some shared memory support).
	 *  @since 0.1 */
	int kind;
	size_t :0;
};
#define vshmem_import_opts__last_field kind

/**
 * @brief Wrap an existing dma-buf fd as a buffer.
 *
 * The fd is checked to really be a dma-buf (its /proc fdinfo names an
 * exporter; where /proc is missing, the dma-buf sync ioctl must answer).
 * @param fd A dma-buf fd, *consumed* (only on success).
 * @param opts NULL or options.
 * @param ret_buf Set to the new buffer.
 * @return 0, -EBADF (fd < 0 or not open), -EINVAL (not a dma-buf, bad
 *         kind), -E2BIG, -errno.
 * @since 0.1
 */
int vshmem_buf_import(int fd, const struct vshmem_import_opts *opts,
		      struct vshmem_buf **ret_buf);

/** @brief Unmap and close a buffer; NULL ok. */
void vshmem_buf_close(struct vshmem_buf *buf);

/** @brief The buffer's dma-buf fd: *borrowed*. @return fd or -EINVAL. */
int vshmem_buf_get_fd(const struct vshmem_buf *buf);

/**
 * @brief A new fd to the same dma-buf (F_DUPFD_CLOEXEC).
 * @return The fd, *owned by caller*; or -EINVAL, -EMFILE, -errno.
 */
int vshmem_buf_dup_fd(const struct vshmem_buf *buf);

/** @brief Size in bytes; 0 if buf is NULL. */
uint64_t vshmem_buf_get_size(const struct vshmem_buf *buf);

/** @brief Transfer kind (enum vshmem_kind), 0 unknown, -EINVAL. */
int vshmem_buf_get_kind(const struct vshmem_buf *buf);

/** Access wanted from vshmem_buf_map() and vshmem_buf_sync_*(). */
#define VSHMEM_ACCESS_READ	(1U << 0)
#define VSHMEM_ACCESS_WRITE	(1U << 1)
#define VSHMEM_ACCESS_RW	(VSHMEM_ACCESS_READ | VSHMEM_ACCESS_WRITE)

/**
 * @brief Map the whole buffer (MAP_SHARED).
 * @param access VSHMEM_ACCESS_* (not 0).
 * @param ret_addr Set to the address; a second call returns the same
 *        mapping if the access matches, else -EBUSY.
 * @return 0, -EINVAL, -EBUSY, -EACCES/-EPERM (e.g. the buffer is lent out),
 *         -errno.
 * @since 0.1
 */
int vshmem_buf_map(struct vshmem_buf *buf, unsigned int access,
		   void **ret_addr);

/** @brief Unmap the buffer. @return 0 (also if not mapped), -EINVAL. */
int vshmem_buf_unmap(struct vshmem_buf *buf);

/**
 * @brief Begin CPU access (DMA_BUF_IOCTL_SYNC with SYNC_START).
 * @param access VSHMEM_ACCESS_* (not 0).
 * @return 0, -EINVAL, -errno.
 */
int vshmem_buf_sync_start(struct vshmem_buf *buf, unsigned int access);

/** @brief End CPU access (DMA_BUF_IOCTL_SYNC with SYNC_END). */
int vshmem_buf_sync_end(struct vshmem_buf *buf, unsigned int access);

/**
 * @brief Set the buffer's debug name (DMA_BUF_SET_NAME).
 * @param name 1 to 31 bytes.
 * @return 0, -EINVAL, -EBUSY (kernels before 6.x: buffer attached), -errno.
 */
int vshmem_buf_set_name(struct vshmem_buf *buf, const char *name);

/** @} */

/** @defgroup channel Channels
 * A channel is a vsock connection (or listener) that can carry offers.
 * It learns the transport's capabilities once (SO_VM_SOCKETS_SHMEM_CAPS)
 * and refuses offers the transport cannot carry with -EOPNOTSUPP: a kernel
 * without the series would silently drop them.
 *
 * The offers and incoming offers of a channel must be freed (closed)
 * before it is closed; after vshmem_channel_close() they only answer -ENOTCONN.
 * @{
 */
struct vshmem_channel;
struct vshmem_incoming;

/** Options for creating a channel. */
struct vshmem_channel_opts {
	size_t sz;
	/** SOCK_SEQPACKET (default when 0) or SOCK_STREAM. @since 0.1 */
	int sock_type;
	/** Optional log callback. @since 0.1 */
	vshmem_log_fn log_fn;
	/** Passed to log_fn. @since 0.1 */
	void *log_data;
	size_t :0;
};
#define vshmem_channel_opts__last_field log_data

/**
 * @brief Connect to cid:port.
 * @return 0, -EINVAL (bad opts), -E2BIG, -EAFNOSUPPORT (no AF_VSOCK),
 *         -ECONNREFUSED, -ETIMEDOUT, -errno.
 * @since 0.1
 */
int vshmem_channel_connect(unsigned int cid, unsigned int port,
			   const struct vshmem_channel_opts *opts,
			   struct vshmem_channel **ret_ch);

/**
 * @brief Bind to cid:port and listen.
 * @param cid Usually VMADDR_CID_ANY (-1U).
 * @return 0, -EADDRINUSE, -EAFNOSUPPORT, -errno.
 */
int vshmem_channel_listen(unsigned int cid, unsigned int port,
			  const struct vshmem_channel_opts *opts,
			  struct vshmem_channel **ret_listener);

/**
 * @brief Accept one connection on a listening channel.
 * @return 0, -EINVAL (not a listener), -errno from accept.
 */
int vshmem_channel_accept(struct vshmem_channel *listener,
			  struct vshmem_channel **ret_ch);

/**
 * @brief Use an existing, connected vsock socket as a channel.
 * @param fd The socket, *borrowed*: never closed by the library.
 * @return 0, -EBADF (fd < 0), -ENOTSOCK, -EAFNOSUPPORT (not AF_VSOCK),
 *         -E2BIG, -errno.
 */
int vshmem_channel_adopt(int fd, const struct vshmem_channel_opts *opts,
			 struct vshmem_channel **ret_ch);

/** @brief Close the channel (and its socket unless adopted); NULL ok. */
void vshmem_channel_close(struct vshmem_channel *ch);

/** @brief The channel's socket: *borrowed*. @return fd or -EINVAL. */
int vshmem_channel_get_fd(const struct vshmem_channel *ch);

/**
 * @brief Transfer capabilities of the connected transport.
 * @param ret_caps Set to VSHMEM_CAP_KIND()/VSHMEM_CAP_TYPE() bits; 0 means
 *        no shared memory support (e.g. an unpatched kernel), not an error.
 * @return 0, -EINVAL, -ENOTCONN (listener), -errno. Queried once, cached.
 */
int vshmem_channel_get_caps(struct vshmem_channel *ch, uint64_t *ret_caps);

/**
 * @brief Probe whether offers of a kind can pass on this channel.
 * @return 1 supported, 0 not, -errno if the probe failed.
 */
int vshmem_channel_supports(struct vshmem_channel *ch, enum vshmem_kind kind);

/**
 * @brief Send bytes to the channel's peer (no offer).
 *
 * On a vsock or plain Unix channel this is one sendmsg(2) (on SOCK_STREAM
 * repeated until every byte went); on a framed channel of
 * vshmem_channel_listen_uds() one DATA frame, which the device delivers
 * as one message on a SOCK_SEQPACKET connection. Blocks until sent.
 * @param buf The bytes (may be NULL if len is 0).
 * @param len At most INT_MAX; on a framed channel at most 65536.
 * @return len; -EINVAL (NULL channel or buf, len too big), -ENOTCONN
 *         (listener), -EMSGSIZE (framed: more than 65536 bytes), -EPIPE
 *         or -ECONNRESET (the peer is gone), -errno from sendmsg.
 * @since 0.2
 */
int vshmem_channel_send(struct vshmem_channel *ch, const void *buf,
			size_t len);

/**
 * @brief Listen for a guest's connections to a host port of a
 *        hybrid-vsock device, with offers (vhost-user-vsock).
 *
 * Binds the SOCK_SEQPACKET Unix socket `<uds_path>_<port>.shmem`, where
 * the device (vhost-user-vsock(1), started with `--uds-path uds_path`)
 * looks first for a guest connection to host port `port`. Each accepted
 * channel (vshmem_channel_accept()) is framed: vshmem_channel_recv()
 * returns the connection's bytes and the guest's offers, each an incoming
 * offer of type VSHMEM_TYPE_ADDR whose memory is one contiguous view
 * (vshmem_incoming_get_view()). A socket file nobody listens on any more
 * is replaced; the listener removes its file when closed (by the process
 * that created it, not by a forked child closing its copy).
 * @param uds_path The device's Unix socket path (not NULL or empty).
 * @param port The host port the guest connects to.
 * @param opts NULL or options; sock_type is checked but not needed (both
 *        types of guest connection arrive framed).
 * @return 0, -EINVAL, -E2BIG (opts), -ENAMETOOLONG (the socket path does
 *         not fit a Unix address), -EADDRINUSE (another program listens
 *         there), -EACCES, -errno.
 * @since 0.2
 */
int vshmem_channel_listen_uds(const char *uds_path, unsigned int port,
			      const struct vshmem_channel_opts *opts,
			      struct vshmem_channel **ret_listener);

/**
 * @brief Connect to a guest's port through a hybrid-vsock device.
 *
 * Connects to `uds_path` (opts.sock_type SOCK_STREAM) or
 * `<uds_path>.seqpacket` (SOCK_SEQPACKET, the default), says
 * `CONNECT <port>`, and returns when the guest accepted. The channel
 * carries bytes only: its caps are 0, so offers are refused with
 * -EOPNOTSUPP.
 * @return 0, -EINVAL, -E2BIG, -ENAMETOOLONG, -ENOENT (no device socket
 *         there), -ECONNREFUSED (no device, or the guest refused),
 *         -EPROTO (an answer other than "OK <port>"), -errno.
 * @since 0.2
 */
int vshmem_channel_connect_uds(const char *uds_path, unsigned int port,
			       const struct vshmem_channel_opts *opts,
			       struct vshmem_channel **ret_ch);

/** Options for vshmem_channel_recv(). No fields yet: reserved for future
 *  extensibility, pass NULL. (The timeout is an argument of its own.) */
struct vshmem_recv_opts {
	size_t sz;
	size_t :0;
};
#define vshmem_recv_opts__last_field sz

/**
 * @brief Receive one message: data bytes and at most one offer or notice.
 *
 * An incoming OFFER is returned through ret_incoming. A RELINQUISH notice
 * (the borrower is done) marks the matching vshmem_offer released; a
 * RECLAIM notice (the lender took it back) marks the matching
 * vshmem_incoming revoked. A control message may come without data bytes:
 * then the call returns 0, which here never means end of stream (that is
 * -ECONNRESET).
 *
 * **The peer closed or reset the connection.** The kernel then ends every
 * offer of the connection in both directions: the memory is back with the
 * lender. So at end of stream (or on a reset) the call returns -ECONNRESET
 * and marks every live vshmem_offer of the channel VSHMEM_STATE_RELEASED
 * and every live vshmem_incoming VSHMEM_STATE_RECLAIMED, whether or not the
 * kernel's RELINQUISH notices were read before the end.
 * @param buf Where data goes (may be NULL if len is 0).
 * @param timeout_ms poll(2) convention: < 0 waits forever, 0 does not wait
 *        (-EAGAIN if nothing is queued), > 0 waits at most that long
 *        (-ETIMEDOUT).
 * @param opts NULL (reserved).
 * @param ret_incoming NULL, or set to a new incoming offer (or NULL when
 *        the message carried none). If NULL is passed and an offer arrives,
 *        it is relinquished at once.
 * @return Data bytes received (0: a control message came alone),
 *         -ECONNRESET (end of stream or reset: the peer is gone), -EAGAIN
 *         (timeout 0, nothing queued), -ETIMEDOUT, -EINVAL, -E2BIG (opts),
 *         -ENOTCONN (listener), -EMSGSIZE (control data truncated), -EPROTO
 *         (malformed, duplicate or unexpected control message), -errno. On
 *         error every received fd is closed.
 *
 * **Framed channels** (vshmem_channel_listen_uds()): a DATA frame is read
 * like a message of the guest's connection (bytes past len wait for the
 * next call on a stream, and are cut off at the end of a SEQPACKET
 * message). An OFFER frame becomes an incoming offer of type
 * VSHMEM_TYPE_ADDR, returned with the offer's data bytes (the DATA frames
 * behind it, waited for up to a second even with timeout 0); its ranges
 * of guest memory are mapped as one view and the fds closed. A RECLAIM
 * frame, the end of the connection or the channel's close take the view
 * away (PROT_NONE memory over it) before anything else, and the offer is
 * VSHMEM_STATE_RECLAIMED (DEAD on close). A malformed frame (short, a bad
 * range count or range, a range outside its fd, fds that do not match the
 * ranges, an unknown op) gives -EPROTO, a truncated one -EMSGSIZE; its fds
 * are closed and a malformed offer is released at once.
 * @since 0.1
 */
int vshmem_channel_recv(struct vshmem_channel *ch, void *buf, size_t len,
			int timeout_ms, const struct vshmem_recv_opts *opts,
			struct vshmem_incoming **ret_incoming);

/** @} */

/** @defgroup offer Offers (lender side)
 * An offer is one buffer handed to the peer, identified by an id unique
 * among the live offers of its channel.
 * @{
 */
struct vshmem_offer;

/** Offer flags. */
#define VSHMEM_OFFER_F_CLEAR	(1U << 0) /**< zero before it comes back */
#define VSHMEM_OFFER_F_READONLY	(1U << 1) /**< borrower may only read */

/** Options for vshmem_offer_send(). */
struct vshmem_offer_opts {
	size_t sz;
	/** Offer id; 0 picks the next free one. @since 0.1 */
	uint64_t id;
	/** FF-A tag, delivered unchanged. @since 0.1 */
	uint64_t tag;
	/** VSHMEM_OFFER_F_*. @since 0.1 */
	unsigned int flags;
	/** Data bytes sent with the offer (NULL: none). @since 0.1 */
	const void *data;
	/** Number of data bytes. @since 0.1 */
	size_t data_len;
	size_t :0;
};
#define vshmem_offer_opts__last_field data_len

/** State of an offer or incoming offer. */
enum vshmem_state {
	/** In the peer's hands. */
	VSHMEM_STATE_LIVE = 1,
	/** Given back by the borrower, or the memory came back because the
	 *  borrower closed or reset the connection. */
	VSHMEM_STATE_RELEASED,
	/** Taken back by the lender (also when the lender closed or reset
	 *  the connection). */
	VSHMEM_STATE_RECLAIMED,
	/** Never left (io_uring send failed), or our own channel was closed
	 *  (or the object freed) while it was live. */
	VSHMEM_STATE_DEAD,
};

/**
 * @brief Offer a buffer to the channel's peer.
 *
 * The buffer stays owned by the caller and must outlive the offer. With
 * LEND, the caller loses CPU access (mappings fault with SIGBUS) until the
 * offer is released or reclaimed. Without data the offer is sent alone,
 * with 0 data bytes (RELINQUISH and RECLAIM always are).
 * @return 0; -EINVAL (bad argument, unknown flag, listener), -E2BIG,
 *         -EOPNOTSUPP (the transport cannot carry the buffer's kind or has
 *         no shared memory support), -EEXIST (id in use), -EBUSY (buffer
 *         already lent), -ENOTCONN, -errno from sendmsg.
 */
int vshmem_offer_send(struct vshmem_channel *ch, struct vshmem_buf *buf,
		      const struct vshmem_offer_opts *opts,
		      struct vshmem_offer **ret_offer);

/**
 * @brief Take the memory back before the borrower is done (RECLAIM).
 * @return 0 (access is back), -EBUSY (platform refused: still live),
 *         -EINVAL (not live), -ENOTCONN, -ENOENT (kernel: unknown id),
 *         -errno.
 */
int vshmem_offer_reclaim(struct vshmem_offer *offer);

/**
 * @brief Wait until the borrower relinquishes the offer.
 *
 * Reads from the channel. Notices for other offers are applied; a message
 * with data or an incoming offer is not expected here: it gives -EPROTO
 * (its data is dropped, an incoming offer is relinquished).
 *
 * If the borrower closes or resets the connection while it holds the
 * offer, the kernel gives the memory back: the offer is then RELEASED and
 * this returns 0, whether the kernel's RELINQUISH notice or the end of the
 * stream is read first (see vshmem_channel_recv()).
 * @param timeout_ms poll(2) convention: < 0 waits forever, 0 only applies
 *        what is already queued (-EAGAIN if still live), > 0 waits at most
 *        that long in total (-ETIMEDOUT).
 * @return 0 released (also at once if it already was), -ETIMEDOUT,
 *         -EAGAIN, -EPROTO, -EINVAL (NULL, or reclaimed or dead),
 *         -ENOTCONN (channel closed), -errno.
 * @since 0.1
 */
int vshmem_offer_wait_release(struct vshmem_offer *offer, int timeout_ms);

/** @brief Free the offer object; a live offer stays with the kernel until
 *         the channel closes. NULL ok. */
void vshmem_offer_free(struct vshmem_offer *offer);

/** @brief The offer id; 0 if offer is NULL. */
uint64_t vshmem_offer_get_id(const struct vshmem_offer *offer);

/** @brief enum vshmem_state, or -EINVAL. */
int vshmem_offer_get_state(const struct vshmem_offer *offer);

/** @brief Kind of the offered buffer (enum vshmem_kind, 0 unknown), or
 *         -EINVAL. */
int vshmem_offer_get_kind(const struct vshmem_offer *offer);

/** @} */

/** @defgroup incoming Incoming offers (borrower side)
 * @{
 */

/** @brief Offer id chosen by the lender; 0 if in is NULL. */
uint64_t vshmem_incoming_get_id(const struct vshmem_incoming *in);
/** @brief Kind the kernel enforced (enum vshmem_kind) or -EINVAL. */
int vshmem_incoming_get_kind(const struct vshmem_incoming *in);
/** @brief How it arrived (enum vshmem_type) or -EINVAL. */
int vshmem_incoming_get_type(const struct vshmem_incoming *in);
/** @brief Size in bytes; 0 if in is NULL. */
uint64_t vshmem_incoming_get_size(const struct vshmem_incoming *in);
/** @brief FF-A tag set by the lender; 0 if in is NULL. */
uint64_t vshmem_incoming_get_tag(const struct vshmem_incoming *in);
/** @brief Platform handle (VSHMEM_TYPE_FFA), else 0 (also if in is
 *         NULL). */
uint64_t vshmem_incoming_get_handle(const struct vshmem_incoming *in);
/** @brief VSHMEM_OFFER_F_* flags the lender set; 0 if in is NULL. */
unsigned int vshmem_incoming_get_flags(const struct vshmem_incoming *in);
/** @brief enum vshmem_state, or -EINVAL. */
int vshmem_incoming_get_state(const struct vshmem_incoming *in);

/**
 * @brief The guest's memory of an offer received on a framed channel
 *        (VSHMEM_TYPE_ADDR): one contiguous mapping of
 *        vshmem_incoming_get_size() bytes, read-only if the offer is
 *        VSHMEM_OFFER_F_READONLY.
 * @return The address, valid while the offer is live; NULL with errno
 *         EINVAL (in is NULL, or not of type ADDR: see
 *         vshmem_incoming_get_buf()) or ESTALE (released, reclaimed, or
 *         the connection ended: the view is gone, and its addresses fault
 *         until vshmem_incoming_close()).
 * @since 0.2
 */
void *vshmem_incoming_get_view(const struct vshmem_incoming *in);

/**
 * @brief The received memory as a buffer (VSHMEM_TYPE_LOCAL only).
 * @return A buffer *borrowed* from the incoming offer (do not close it), or
 *         NULL (FF-A: only a handle arrived; already released; in is
 *         NULL).
 */
struct vshmem_buf *vshmem_incoming_get_buf(const struct vshmem_incoming *in);

/**
 * @brief Give the memory back (RELINQUISH). Once the notice is sent the
 *        buffer is unmapped and closed: the borrower's access ends. If the
 *        send fails, nothing changes. On a framed channel (type ADDR) the
 *        view is taken away first, then RELEASE is sent; if that send
 *        fails the offer stays live without its view (closing the channel
 *        gives it back).
 * @return 0, -EINVAL (not live), -ENOTCONN, -errno from sendmsg.
 */
int vshmem_incoming_release(struct vshmem_incoming *in);

/** @brief Close the incoming offer and its buffer (fd); a live offer is
 *         *not* relinquished (call vshmem_incoming_release() first). NULL
 *         ok. @since 0.1 */
void vshmem_incoming_close(struct vshmem_incoming *in);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* LIBVSHMEM_VSHMEM_H */
