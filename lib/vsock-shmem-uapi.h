/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * libvshmem's copy of the SCM_VSOCK_SHMEM kernel ABI.
 *
 * The block between the "uapi begin" and "uapi end" markers is identical,
 * line for line, to what the kernel series (kernel/patches/) adds to
 * include/uapi/linux/vm_sockets.h; tests/check-uapi-sync.sh enforces it.
 * It lets the library build against kernel headers that lack the series.
 *
 * Private: not installed. Used by lib/ (through uapi.h, which translates
 * between these values and the public ones), the unit and fuzz tests, the
 * raw in-guest tests (tests/harness) and vshmem-bench's raw path.
 *
 * It includes <linux/vm_sockets.h> itself, so the order of includes does
 * not matter: if the system's header already has the series, the copy
 * below is skipped.
 */
#ifndef LIBVSHMEM_VSOCK_SHMEM_UAPI_H
#define LIBVSHMEM_VSOCK_SHMEM_UAPI_H

#include <linux/types.h>
#include <sys/socket.h>	/* older uapi vm_sockets.h use sockaddr without it */
#include <linux/vm_sockets.h>

#ifndef SOL_VSOCK
#define SOL_VSOCK	287
#endif

#ifndef SCM_VSOCK_SHMEM
/* uapi begin */
/* Option name for getsockopt(AF_VSOCK) on a connected socket: which
 * transfers of memory by reference its transport supports, as a __u64
 * bitmap of VSOCK_SHMEM_CAP_TYPE(type) for each VSOCK_SHMEM_TYPE_* and
 * VSOCK_SHMEM_CAP_KIND(kind) for each VSOCK_SHMEM_KIND_*. 0 means the
 * transport cannot pass memory by reference.
 */
#define SO_VM_SOCKETS_SHMEM_CAPS 9

#define VSOCK_SHMEM_CAP_TYPE(type)	(1ULL << (type))
#define VSOCK_SHMEM_CAP_KIND(kind)	(1ULL << (16 + (kind)))

/* 'cmsg_type' of the SOL_VSOCK control message that passes memory by
 * reference (1 is VSOCK_RECVERR, of the error queue).
 */
#define SCM_VSOCK_SHMEM	2

#define VSOCK_SHMEM_SUBOP_OFFER		0 /* lender -> borrower */
#define VSOCK_SHMEM_SUBOP_RELINQUISH	1 /* borrower -> lender: done with it */
#define VSOCK_SHMEM_SUBOP_RECLAIM	2 /* lender: take it back, peer is told */

#define VSOCK_SHMEM_TYPE_FFA		1 /* handle is an FF-A memory handle */
#define VSOCK_SHMEM_TYPE_LOCAL		2 /* same-kernel peer: borrower gets a dma-buf fd */
/* The peer is the transport's device: it reaches the pages at the
 * descriptor's addresses, the ones that device's DMA mapping gave
 * (guest-physical on a virtio device without an IOMMU).
 */
#define VSOCK_SHMEM_TYPE_ADDR		3

/* The kind of a transfer; 0 is none (a field that is not filled in). */
#define VSOCK_SHMEM_KIND_SHARE		1 /* both sides keep access */
#define VSOCK_SHMEM_KIND_LEND		2 /* the lender loses access until it ends */
#define VSOCK_SHMEM_KIND_SEND_SECURE	3 /* protected memory: its handle moves */

#define VSOCK_SHMEM_F_CLEAR	(1U << 0) /* zero before it returns to the lender */
#define VSOCK_SHMEM_F_READONLY	(1U << 1) /* borrower gets read-only access */

/* The payload of SCM_VSOCK_SHMEM. It may grow at its end: the kernel
 * accepts a larger control message whose bytes past the struct it knows
 * are zero (-E2BIG if they are not), and delivers its whole struct (a
 * smaller control buffer gives MSG_CTRUNC). Fields marked "received" are
 * filled in by the kernel and must be 0 on send (-EINVAL).
 */
struct vsock_shmem {
	__u32 subop;	/* VSOCK_SHMEM_SUBOP_* */
	__u32 type;	/* VSOCK_SHMEM_TYPE_*: sent with OFFER, else received */
	__u64 id;	/* lender's cookie, unique among its live offers */
	__s32 fd;	/* OFFER sent: dma-buf fd; received: new fd or -1 */
	__u32 kind;	/* received: the kind the heap enforced */
	__u32 flags;	/* VSOCK_SHMEM_F_* */
	__u32 reserved;	/* must be 0 */
	__u64 handle;	/* received: platform handle (TYPE_FFA) */
	__u64 tag;	/* FF-A tag: set by the lender, delivered unchanged */
	__u64 size;	/* received: size in bytes */
};
/* uapi end */
#endif /* SCM_VSOCK_SHMEM */

#endif /* LIBVSHMEM_VSOCK_SHMEM_UAPI_H */
