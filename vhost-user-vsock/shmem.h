/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OP_SHMEM descriptors from the guest (docs/design.md 3.1, 8.4, 8.11):
 * parsed, checked against the guest memory table and translated to ranges
 * of the guest-RAM fd. Nothing here trusts the guest: every field is
 * checked before anything is used.
 */
#ifndef VUV_SHMEM_H
#define VUV_SHMEM_H

#include "vuv.h"

#define SHMEM_SUBOP_OFFER	0
#define SHMEM_SUBOP_RELINQUISH	1
#define SHMEM_SUBOP_RECLAIM	2
#define SHMEM_TYPE_ADDR		3	/* addr: the device's DMA address (guest-physical) */
#define SHMEM_KIND_SHARE	1
#define SHMEM_KIND_LEND		2
#define SHMEM_F_CLEAR		1U
#define SHMEM_F_READONLY	2U

#define SHMEM_FIXED_LEN		16	/* subop, type, len, nents */
#define SHMEM_ENT_LEN		12	/* le64 addr, le32 len */
#define SHMEM_TAIL_LEN		48	/* le64 id, tag, handle, size; le32 kind, flags, xflags, data_len */
#define SHMEM_MAX_ENTS		((MAX_SHMEM_PAYLOAD - SHMEM_FIXED_LEN - SHMEM_TAIL_LEN) / SHMEM_ENT_LEN)
#define MAX_SHMEM_PAYLOAD	(64U * 1024)
#define SHMEM_PAGE		4096U

struct shmem_ent {
	uint64_t addr;
	uint32_t len;
};

/* a range of the guest-RAM fd */
struct shmem_range {
	int fd;
	uint64_t offset, len;
};

struct shmem_desc {
	uint32_t subop, type, nents;
	uint64_t id, tag, handle, size;
	uint32_t kind, flags, xflags, data_len;
	struct shmem_ent *ents;		/* nents, malloc'd (NULL for none) */
};

/*
 * Parse and check a payload of len bytes. 0 (free d->ents with free()),
 * or -EPROTO (malformed), -EINVAL (a field out of range), -ENOMEM; *why
 * says which check failed.
 */
int vuv_shmem_parse(const uint8_t *p, size_t len, struct shmem_desc *d,
		    const char **why);
/*
 * Check an OFFER's ranges against the guest memory table and translate
 * them: out gets d->nents ranges. 0, or -EFAULT (a range outside guest
 * RAM), -EINVAL (not page-aligned, empty, lengths do not add up to size).
 */
int vuv_shmem_translate(const struct vuv_mem *mem, const struct shmem_desc *d,
			struct shmem_range *out, const char **why);
/* Encode a RELINQUISH for id into buf (SHMEM_FIXED_LEN + SHMEM_TAIL_LEN bytes). */
size_t vuv_shmem_relinquish(uint8_t *buf, uint64_t id);

#endif
