/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place where the library's public constants (vshmem.h) meet the
 * kernel's (vsock-shmem-uapi.h, the copy of the series' uAPI). Not
 * installed.
 *
 * The public values are the kernel's values as the series is being
 * revised: kinds SHARE=1, LEND=2, SEND_SECURE=3 (0 = unknown), types
 * FFA=1, LOCAL=2, capability bits 1 << type and 1 << (16 + kind). The
 * uAPI copy may still number kinds from 0; everything below is written
 * against the copy's own constants, so it becomes the identity by itself
 * once the copy carries the new values. Nothing else in lib/ may convert
 * a kind, type, flag or capability between the two.
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

/* Both sides number their kinds contiguously, in the same order. */
_Static_assert(VSHMEM_KIND_LEND == VSHMEM_KIND_SHARE + 1 &&
	       VSHMEM_KIND_SEND_SECURE == VSHMEM_KIND_SHARE + 2,
	       "public kinds are contiguous");
_Static_assert(VSOCK_SHMEM_KIND_LEND == VSOCK_SHMEM_KIND_SHARE + 1 &&
	       VSOCK_SHMEM_KIND_SEND_SECURE == VSOCK_SHMEM_KIND_SHARE + 2,
	       "uapi kinds are contiguous");
/* Types and flags already have the kernel's values. */
_Static_assert(VSHMEM_TYPE_FFA == VSOCK_SHMEM_TYPE_FFA &&
	       VSHMEM_TYPE_LOCAL == VSOCK_SHMEM_TYPE_LOCAL,
	       "public types are the kernel's");
_Static_assert(VSHMEM_OFFER_F_CLEAR == VSOCK_SHMEM_F_CLEAR &&
	       VSHMEM_OFFER_F_READONLY == VSOCK_SHMEM_F_READONLY,
	       "public offer flags are the kernel's");
_Static_assert(VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL) ==
	       VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL),
	       "capability bits have the kernel's layout");

/* 0 once the uAPI copy numbers kinds from 1 like the library. */
#define VSHMEM_KIND_UAPI_SHIFT	((int)VSOCK_SHMEM_KIND_SHARE - VSHMEM_KIND_SHARE)

#define VSHMEM_OFFER_F_ALL	(VSHMEM_OFFER_F_CLEAR | VSHMEM_OFFER_F_READONLY)

static inline bool vshmem_kind_valid(int kind)
{
	return kind >= VSHMEM_KIND_FIRST && kind <= VSHMEM_KIND_LAST;
}

/* Public kind to the kernel's: 0 or -EINVAL (not a kind). */
static inline int vshmem_kind_to_uapi(int kind, uint32_t *ret)
{
	if (!vshmem_kind_valid(kind))
		return -EINVAL;
	*ret = (uint32_t)(kind + VSHMEM_KIND_UAPI_SHIFT);
	return 0;
}

/* The kernel's kind to the public one, or -EPROTO. */
static inline int vshmem_kind_from_uapi(uint32_t ukind)
{
	/* One unsigned comparison: below SHARE wraps around to large. */
	if (ukind - (uint32_t)VSOCK_SHMEM_KIND_SHARE >
	    (uint32_t)(VSOCK_SHMEM_KIND_SEND_SECURE - VSOCK_SHMEM_KIND_SHARE))
		return -EPROTO;
	return (int)ukind - VSHMEM_KIND_UAPI_SHIFT;
}

/* The kernel's delivery type to the public one, or -EPROTO. */
static inline int vshmem_type_from_uapi(uint32_t utype)
{
	if (utype != VSOCK_SHMEM_TYPE_FFA && utype != VSOCK_SHMEM_TYPE_LOCAL)
		return -EPROTO;
	return (int)utype;
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

/* SO_VM_SOCKETS_SHMEM_CAPS to VSHMEM_CAP_* bits; unknown bits dropped. */
static inline uint64_t vshmem_caps_from_uapi(uint64_t ucaps)
{
	uint64_t caps = ucaps & (VSHMEM_CAP_TYPE(VSHMEM_TYPE_FFA) |
				 VSHMEM_CAP_TYPE(VSHMEM_TYPE_LOCAL));

	for (int k = VSHMEM_KIND_FIRST; k <= VSHMEM_KIND_LAST; k++)
		if (ucaps & VSOCK_SHMEM_CAP_KIND(k + VSHMEM_KIND_UAPI_SHIFT))
			caps |= VSHMEM_CAP_KIND(k);
	return caps;
}

#endif /* LIBVSHMEM_UAPI_H */
