/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place where the library's public constants (vshmem.h) meet the
 * kernel's (vsock-shmem-uapi.h, the copy of the series' uAPI). Not
 * installed.
 *
 * The public values are the kernel's: kinds SHARE=1, LEND=2,
 * SEND_SECURE=3 (0 = unknown), types FFA=1, LOCAL=2, ADDR=3, capability bits
 * 1 << type and 1 << (16 + kind); the asserts below keep it so. What is
 * left here is checking what the kernel sends: nothing else in lib/ may
 * take a kind, type, flag or capability from it unchecked.
 */
#ifndef LIBVSHMEM_UAPI_H
#define LIBVSHMEM_UAPI_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <libvshmem/vshmem.h>

#include "vsock-shmem-uapi.h"

#define VSHMEM_KIND_FIRST	VSHMEM_KIND_SHARE
#define VSHMEM_KIND_LAST	VSHMEM_KIND_SEND_SECURE

_Static_assert(VSHMEM_KIND_SHARE == VSOCK_SHMEM_KIND_SHARE &&
	       VSHMEM_KIND_LEND == VSOCK_SHMEM_KIND_LEND &&
	       VSHMEM_KIND_SEND_SECURE == VSOCK_SHMEM_KIND_SEND_SECURE,
	       "public kinds are the kernel's");
_Static_assert(VSHMEM_TYPE_FFA == VSOCK_SHMEM_TYPE_FFA &&
	       VSHMEM_TYPE_LOCAL == VSOCK_SHMEM_TYPE_LOCAL &&
	       VSHMEM_TYPE_ADDR == VSOCK_SHMEM_TYPE_ADDR,
	       "public types are the kernel's");
_Static_assert(VSHMEM_OFFER_F_CLEAR == VSOCK_SHMEM_F_CLEAR &&
	       VSHMEM_OFFER_F_READONLY == VSOCK_SHMEM_F_READONLY,
	       "public offer flags are the kernel's");
_Static_assert(VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL) ==
	       VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL) &&
	       VSHMEM_CAP_KIND(VSHMEM_KIND_LEND) ==
	       VSOCK_SHMEM_CAP_KIND(VSOCK_SHMEM_KIND_LEND),
	       "capability bits have the kernel's layout");

#define VSHMEM_KIND_FIRST	VSHMEM_KIND_SHARE
#define VSHMEM_KIND_LAST	VSHMEM_KIND_SEND_SECURE
#define VSHMEM_OFFER_F_ALL	(VSHMEM_OFFER_F_CLEAR | VSHMEM_OFFER_F_READONLY)
/* The capability bits of every type the library can offer with. */
#define VSHMEM_CAP_TYPES	(VSHMEM_CAP_TYPE(VSHMEM_TYPE_FFA) |	\
				 VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL) |	\
				 VSHMEM_CAP_TYPE(VSHMEM_TYPE_ADDR))

static inline bool vshmem_kind_valid(int kind)
{
	return kind >= VSHMEM_KIND_FIRST && kind <= VSHMEM_KIND_LAST;
}

/* The kernel's kind, or -EPROTO if it is none this library knows. */
static inline int vshmem_kind_from_uapi(uint32_t ukind)
{
	return ukind <= VSHMEM_KIND_LAST && vshmem_kind_valid((int)ukind) ?
	       (int)ukind : -EPROTO;
}

/*
 * The type to offer with on a connection whose caps are @caps: the
 * borrower in this kernel (LOCAL) if there is one, else the transport's
 * device (ADDR: a virtio-vsock device), else a secure partition (FFA).
 * A connection carries one of them in practice.
 */
static inline uint32_t vshmem_send_type_from_caps(uint64_t caps)
{
	if (caps & VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL))
		return VSOCK_SHMEM_TYPE_LOCAL;
	if (caps & VSHMEM_CAP_TYPE(VSHMEM_TYPE_ADDR))
		return VSOCK_SHMEM_TYPE_ADDR;
	return VSOCK_SHMEM_TYPE_FFA;
}

/* The kernel's delivery type, or -EPROTO. A reader never receives a
 * TYPE_ADDR offer: its borrower is a device. */
static inline int vshmem_type_from_uapi(uint32_t utype)
{
	if (utype != VSOCK_SHMEM_TYPE_FFA && utype != VSOCK_SHMEM_TYPE_LOCAL)
		return -EPROTO;
	return (int)utype;
}

/*
 * The kind of a guest's offer in an OFFER frame of vhost-user-vsock
 * (docs/design.md 8.11): the guest's own value, passed on unchanged. Only
 * SHARE and LEND reach a device (TYPE_ADDR); anything else is -EPROTO.
 */
static inline int vshmem_frame_kind_from_wire(uint32_t wkind)
{
	int kind = vshmem_kind_from_uapi(wkind);

	return kind == VSHMEM_KIND_SHARE || kind == VSHMEM_KIND_LEND ?
	       kind : -EPROTO;
}

/* Offer flags: 0, or -EINVAL for a bit the library does not know. */
static inline int vshmem_flags_to_uapi(unsigned int flags, uint32_t *ret)
{
	if (flags & ~VSHMEM_OFFER_F_ALL)
		return -EINVAL;
	*ret = flags;
	return 0;
}

/* Unknown bits from a newer kernel are dropped, not fatal. */
static inline unsigned int vshmem_flags_from_uapi(uint32_t uflags)
{
	return uflags & VSHMEM_OFFER_F_ALL;
}

/* SO_VM_SOCKETS_SHMEM_CAPS: the bits this library knows. */
static inline uint64_t vshmem_caps_from_uapi(uint64_t ucaps)
{
	uint64_t known = VSHMEM_CAP_TYPES;

	for (int k = VSHMEM_KIND_FIRST; k <= VSHMEM_KIND_LAST; k++)
		known |= VSHMEM_CAP_KIND(k);
	return ucaps & known;
}

#endif /* LIBVSHMEM_UAPI_H */
