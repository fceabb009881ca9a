// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * OP_SHMEM descriptors: the wire format of docs/design.md 3.1 and 8.4,
 * with the addresses of VSOCK_SHMEM_TYPE_ADDR (8.11): guest-physical
 * addresses the guest's virtio device mapped, which must lie in guest RAM
 * as the vhost memory table describes it.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shmem.h"

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

int vuv_shmem_parse(const uint8_t *p, size_t len, struct shmem_desc *d,
		    const char **why)
{
	const uint8_t *t;
	uint32_t total, i;

	memset(d, 0, sizeof(*d));
	if (len < SHMEM_FIXED_LEN + SHMEM_TAIL_LEN)
		return *why = "shorter than a descriptor", -EPROTO;
	if (len > MAX_SHMEM_PAYLOAD)
		return *why = "longer than a packet", -EPROTO;
	d->subop = get32(p);
	d->type = get32(p + 4);
	total = get32(p + 8);
	d->nents = get32(p + 12);
	if (total != len)
		return *why = "its length is not the packet's", -EPROTO;
	/* bytes after the extension are a later extension: ignored, as the
	 * guest's parser does */
	if (d->nents > SHMEM_MAX_ENTS ||
	    len < SHMEM_FIXED_LEN + (size_t)d->nents * SHMEM_ENT_LEN + SHMEM_TAIL_LEN)
		return *why = "the scatter list does not fit its length", -EPROTO;
	t = p + SHMEM_FIXED_LEN + (size_t)d->nents * SHMEM_ENT_LEN;
	d->id = get64(t);
	d->tag = get64(t + 8);
	d->handle = get64(t + 16);
	d->size = get64(t + 24);
	d->kind = get32(t + 32);
	d->flags = get32(t + 36);
	d->xflags = get32(t + 40);
	d->data_len = get32(t + 44);
	if (d->xflags)
		return *why = "unknown xflags", -EINVAL;
	switch (d->subop) {
	case SHMEM_SUBOP_OFFER:
		if (d->type != SHMEM_TYPE_ADDR)
			return *why = "an offer of a type other than ADDR", -EINVAL;
		if (d->kind != SHMEM_KIND_SHARE && d->kind != SHMEM_KIND_LEND)
			return *why = "a kind other than SHARE or LEND", -EINVAL;
		if (d->flags & ~(SHMEM_F_CLEAR | SHMEM_F_READONLY))
			return *why = "unknown flags", -EINVAL;
		if (!d->nents || !d->size)
			return *why = "an empty offer", -EINVAL;
		break;
	case SHMEM_SUBOP_RECLAIM:
		if (d->nents)
			return *why = "a reclaim with a scatter list", -EINVAL;
		/* a notice carries only the id (design 8.12) */
		if (d->kind || d->flags || d->data_len)
			return *why = "a reclaim with a kind, flags or data", -EINVAL;
		break;
	default:
		/* RELINQUISH goes to the guest, never from it */
		return *why = "a sub-operation the guest may not send", -EINVAL;
	}
	if (d->nents) {
		d->ents = calloc(d->nents, sizeof(*d->ents));
		if (!d->ents)
			return *why = "out of memory", -ENOMEM;
	}
	for (i = 0; i < d->nents; i++) {
		d->ents[i].addr = get64(p + SHMEM_FIXED_LEN + i * SHMEM_ENT_LEN);
		d->ents[i].len = get32(p + SHMEM_FIXED_LEN + i * SHMEM_ENT_LEN + 8);
	}
	return 0;
}

int vuv_shmem_translate(const struct vuv_mem *mem, const struct shmem_desc *d,
			struct shmem_range *out, const char **why)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < d->nents; i++) {
		const struct shmem_ent *e = &d->ents[i];
		const struct vuv_region *r;

		if (!e->len || e->addr % SHMEM_PAGE || e->len % SHMEM_PAGE)
			return *why = "a range that is empty or not page-aligned", -EINVAL;
		r = vuv_gpa_region(mem, e->addr, e->len);
		if (!r)
			return *why = "a range outside guest RAM", -EFAULT;
		out[i] = (struct shmem_range){
			.fd = r->fd,
			.offset = r->fd_offset + (e->addr - r->gpa),
			.len = e->len,
		};
		sum += e->len;
	}
	if (sum != d->size)
		return *why = "range lengths do not add up to the size", -EINVAL;
	return 0;
}

size_t vuv_shmem_relinquish(uint8_t *buf, uint64_t id)
{
	uint8_t *t = buf + SHMEM_FIXED_LEN;
	size_t len = SHMEM_FIXED_LEN + SHMEM_TAIL_LEN;

	memset(buf, 0, len);
	put32(buf, SHMEM_SUBOP_RELINQUISH);
	put32(buf + 4, SHMEM_TYPE_ADDR);
	put32(buf + 8, len);
	put32(buf + 12, 0);
	put64(t, id);
	return len;
}
