// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Split virtqueues (virtio 1.x, 2.7), device side: take a descriptor chain
 * from the available ring, translate it to this process's view of guest
 * memory, and give it back on the used ring. No indirect descriptors and
 * no event index: the backend offers neither feature. The ring layouts
 * are naturally aligned (virtio 1.x 2.7.5-2.7.8), so no packing.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "vuv.h"

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4

struct vring_desc_ {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail_ {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vring_used_elem_ {
	uint32_t id;
	uint32_t len;
};

struct vring_used_ {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem_ ring[];
};

const struct vuv_region *vuv_gpa_region(const struct vuv_mem *mem,
					uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vuv_region *r = &mem->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

void *vuv_gpa_to_hva(const struct vuv_mem *mem, uint64_t gpa, uint64_t len)
{
	const struct vuv_region *r = vuv_gpa_region(mem, gpa, len);

	return r ? r->hva + (gpa - r->gpa) : NULL;
}

bool vuv_vq_has_avail(const struct vuv_vq *vq)
{
	uint16_t idx = le16toh(__atomic_load_n(&vq->avail->idx,
					       __ATOMIC_ACQUIRE));

	return idx != vq->last_avail;
}

/* Add [gpa, gpa + len) to the chain, split where regions end. */
static int chain_add(struct vuv_chain *c, const struct vuv_mem *mem,
		     uint64_t gpa, uint32_t len, bool writable)
{
	while (len) {
		const struct vuv_region *r = vuv_gpa_region(mem, gpa, 1);
		uint64_t n;
		unsigned int *cnt = writable ? &c->nin : &c->nout;

		if (!r || *cnt == VUV_MAX_SEGS)
			return -EINVAL;
		n = r->size - (gpa - r->gpa);
		if (n > len)
			n = len;
		if (writable) {
			c->in[c->nin].p = r->hva + (gpa - r->gpa);
			c->in[c->nin++].len = n;
			c->in_len += n;
		} else {
			c->out[c->nout].p = r->hva + (gpa - r->gpa);
			c->out[c->nout++].len = n;
			c->out_len += n;
		}
		gpa += n;
		len -= n;
	}
	return 0;
}

int vuv_vq_pop(struct vuv_vq *vq, const struct vuv_mem *mem,
	       struct vuv_chain *c)
{
	uint16_t avail_idx, head, i;
	unsigned int n;

	avail_idx = le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
		/* the guest broke the ring: take nothing more from it */
		vuv_err("queue %u: avail index jumped from %u to %u",
			vq->idx, vq->last_avail, avail_idx);
		vuv_stats.bad_pkts++;
		return 0;
	}
	head = le16toh(vq->avail->ring[vq->last_avail % vq->size]);
	vq->last_avail++;
	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	c->head = head;
	if (head >= vq->size)
		goto bad;
	/* a chain visits each descriptor at most once */
	for (i = head, n = 0; n < vq->size; n++) {
		const struct vring_desc_ *d = &vq->desc[i];
		uint16_t flags = le16toh(d->flags);

		if (flags & VRING_DESC_F_INDIRECT)
			goto bad;	/* not negotiated */
		/* readable segments come before the writable ones */
		if (!(flags & VRING_DESC_F_WRITE) && c->nin)
			goto bad;
		if (chain_add(c, mem, le64toh(d->addr), le32toh(d->len),
			      flags & VRING_DESC_F_WRITE))
			goto bad;
		if (!(flags & VRING_DESC_F_NEXT))
			return 1;
		i = le16toh(d->next);
		if (i >= vq->size)
			goto bad;
	}
bad:
	vuv_err("queue %u: malformed descriptor chain at head %u", vq->idx,
		head);
	vuv_stats.bad_pkts++;
	if (head < vq->size)
		vuv_vq_push(vq, head, 0);
	return -EINVAL;
}

void vuv_vq_push(struct vuv_vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem_ *e = &vq->used->ring[vq->last_used % vq->size];

	e->id = htole32(head);
	e->len = htole32(len);
	vq->last_used++;
	__atomic_store_n(&vq->used->idx, htole16(vq->last_used),
			 __ATOMIC_RELEASE);
}

size_t vuv_chain_read(const struct vuv_chain *c, size_t off, void *dst,
		      size_t len)
{
	uint8_t *d = dst;
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < c->nout && done < len; i++) {
		size_t n;

		if (off >= c->out[i].len) {
			off -= c->out[i].len;
			continue;
		}
		n = c->out[i].len - off;
		if (n > len - done)
			n = len - done;
		memcpy(d + done, c->out[i].p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vuv_chain_write(const struct vuv_chain *c, size_t off,
		       const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < c->nin && done < len; i++) {
		size_t n;

		if (off >= c->in[i].len) {
			off -= c->in[i].len;
			continue;
		}
		n = c->in[i].len - off;
		if (n > len - done)
			n = len - done;
		memcpy(c->in[i].p + off, s + done, n);
		done += n;
		off = 0;
	}
	return done;
}
