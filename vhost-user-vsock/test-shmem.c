// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit test of the OP_SHMEM descriptor checks (shmem.c) with crafted
 * descriptors against a made-up guest memory table: what a guest can send,
 * well-formed or hostile. (QEMU 7.2 does not pass VIRTIO_VSOCK_F_SHMEM to
 * the guest, so no guest can send one through it; design 8.11.)
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmem.h"

struct vuv_stats vuv_stats;

void vuv_log(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

static int failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("not ok: %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/* guest RAM: 0..1 GiB in fd 10 at offset 0, 4 GiB..5 GiB in fd 11 at 1 GiB */
static const struct vuv_mem mem = {
	.nregions = 2,
	.r = {
		{ .gpa = 0, .size = 1ULL << 30, .hva = (uint8_t *)0x10000000,
		  .fd = 10, .fd_offset = 0 },
		{ .gpa = 4ULL << 30, .size = 1ULL << 30, .hva = (uint8_t *)0x80000000,
		  .fd = 11, .fd_offset = 1ULL << 30 },
	},
};

struct tmpl {
	uint32_t subop, type, nents, kind, flags, xflags;
	int32_t len_delta;	/* added to the len field */
	uint32_t extra;		/* bytes after the extension */
	uint64_t id, size;
	struct shmem_ent e[4];
	uint32_t data_len;
};

static size_t build(uint8_t *b, const struct tmpl *t)
{
	size_t len = SHMEM_FIXED_LEN + t->nents * SHMEM_ENT_LEN + SHMEM_TAIL_LEN + t->extra;
	uint8_t *x = b + SHMEM_FIXED_LEN + t->nents * SHMEM_ENT_LEN;
	uint32_t v32;
	uint64_t v64;
	uint32_t i;

#define P32(p, v) (v32 = htole32(v), memcpy((p), &v32, 4))
#define P64(p, v) (v64 = htole64(v), memcpy((p), &v64, 8))
	memset(b, 0, len);
	P32(b, t->subop);
	P32(b + 4, t->type);
	P32(b + 8, (uint32_t)(len + t->len_delta));
	P32(b + 12, t->nents);
	for (i = 0; i < t->nents && i < 4; i++) {
		P64(b + SHMEM_FIXED_LEN + i * SHMEM_ENT_LEN, t->e[i].addr);
		P32(b + SHMEM_FIXED_LEN + i * SHMEM_ENT_LEN + 8, t->e[i].len);
	}
	P64(x, t->id);
	P64(x + 8, 0x7a67);	/* tag */
	P64(x + 24, t->size);
	P32(x + 32, t->kind);
	P32(x + 36, t->flags);
	P32(x + 40, t->xflags);
	P32(x + 44, t->data_len);
	return len;
}

static const struct tmpl good = {
	.subop = SHMEM_SUBOP_OFFER, .type = SHMEM_TYPE_ADDR, .nents = 2,
	.kind = SHMEM_KIND_SHARE, .id = 42, .size = 3 * 4096,
	.e = { { 0x100000, 8192 }, { (4ULL << 30) + 0x3000, 4096 } },
	.data_len = 5,
};

/* parse + translate: 0 or the first error */
static int run(const struct tmpl *t, struct shmem_desc *d,
	       struct shmem_range *r, const char **why)
{
	static uint8_t b[MAX_SHMEM_PAYLOAD + 64];
	size_t len = build(b, t);
	int ret;

	*why = "";
	ret = vuv_shmem_parse(b, len, d, why);
	if (!ret && d->subop == SHMEM_SUBOP_OFFER)
		ret = vuv_shmem_translate(&mem, d, r, why);
	return ret;
}

static void expect(const char *name, const struct tmpl *t, int want)
{
	struct shmem_range r[4];
	struct shmem_desc d;
	const char *why;
	int ret = run(t, &d, r, &why);

	CHECK(ret == want, "%s: got %d (%s), want %d", name, ret, why, want);
	free(d.ents);
}

int main(void)
{
	struct shmem_range r[4];
	struct shmem_desc d;
	struct tmpl t;
	uint8_t rel[SHMEM_FIXED_LEN + SHMEM_TAIL_LEN];
	const char *why;
	uint64_t id;
	int ret;

	/* a good offer: every field, and the fd ranges */
	ret = run(&good, &d, r, &why);
	CHECK(ret == 0, "good offer: %d (%s)", ret, why);
	if (!ret) {
		CHECK(d.id == 42 && d.tag == 0x7a67 && d.size == 3 * 4096 &&
		      d.kind == SHMEM_KIND_SHARE && d.data_len == 5 && d.nents == 2,
		      "good offer: fields");
		CHECK(r[0].fd == 10 && r[0].offset == 0x100000 && r[0].len == 8192,
		      "range 0: fd %d offset 0x%llx", r[0].fd,
		      (unsigned long long)r[0].offset);
		CHECK(r[1].fd == 11 && r[1].offset == (1ULL << 30) + 0x3000 &&
		      r[1].len == 4096, "range 1: fd %d offset 0x%llx", r[1].fd,
		      (unsigned long long)r[1].offset);
	}
	free(d.ents);

	t = good; t.extra = 16;
	expect("bytes after the extension are ignored", &t, 0);
	t = good; t.kind = SHMEM_KIND_LEND; t.flags = SHMEM_F_CLEAR | SHMEM_F_READONLY;
	expect("LEND with CLEAR and READONLY", &t, 0);

	/* malformed */
	t = good; t.len_delta = 1;
	expect("length field past the packet", &t, -EPROTO);
	t = good; t.len_delta = -1;
	expect("length field short of the packet", &t, -EPROTO);
	t = good; t.nents = 3;	/* built with 3 entries, then claims more */
	{
		uint8_t b[512];
		size_t len = build(b, &t);
		uint32_t big = htole32(1000);

		memcpy(b + 12, &big, 4);
		ret = vuv_shmem_parse(b, len, &d, &why);
		CHECK(ret == -EPROTO, "nents past the length: %d", ret);
		free(d.ents);
		big = htole32(0xffffffff);
		memcpy(b + 12, &big, 4);
		ret = vuv_shmem_parse(b, len, &d, &why);
		CHECK(ret == -EPROTO, "nents 2^32-1: %d", ret);
		free(d.ents);
		ret = vuv_shmem_parse(b, SHMEM_FIXED_LEN + 8, &d, &why);
		CHECK(ret == -EPROTO, "shorter than a descriptor: %d", ret);
		free(d.ents);
	}

	/* fields out of range */
	t = good; t.xflags = 1;
	expect("xflags", &t, -EINVAL);
	t = good; t.type = 1;
	expect("TYPE_FFA over the virtio device", &t, -EINVAL);
	t = good; t.type = 2;
	expect("TYPE_LOCAL over the virtio device", &t, -EINVAL);
	t = good; t.kind = 0;
	expect("kind 0", &t, -EINVAL);
	t = good; t.kind = 3;
	expect("SEND_SECURE", &t, -EINVAL);
	t = good; t.flags = 4;
	expect("unknown flag", &t, -EINVAL);
	t = good; t.subop = SHMEM_SUBOP_RELINQUISH;
	expect("RELINQUISH from the guest", &t, -EINVAL);
	t = good; t.subop = 7;
	expect("unknown sub-operation", &t, -EINVAL);
	t = good; t.nents = 0;
	expect("offer without ranges", &t, -EINVAL);
	t = good; t.size = 0;
	expect("offer of size 0", &t, -EINVAL);
	t = good; t.subop = SHMEM_SUBOP_RECLAIM;
	expect("RECLAIM with a scatter list", &t, -EINVAL);
	t = good; t.subop = SHMEM_SUBOP_RECLAIM; t.nents = 0; t.data_len = 0;
	expect("RECLAIM with a kind", &t, -EINVAL);
	t.kind = 0;
	expect("RECLAIM", &t, 0);
	t.flags = SHMEM_F_CLEAR;
	expect("RECLAIM with flags", &t, -EINVAL);
	t.flags = 0; t.data_len = 5;
	expect("RECLAIM with a data_len", &t, -EINVAL);

	/* ranges */
	t = good; t.e[0].addr = 0x100800;
	expect("unaligned address", &t, -EINVAL);
	t = good; t.e[0].len = 100; t.size = 4096 + 100;
	expect("unaligned length", &t, -EINVAL);
	t = good; t.e[0].len = 0; t.size = 4096;
	expect("empty range", &t, -EINVAL);
	t = good; t.size = 4 * 4096;
	expect("lengths short of the size", &t, -EINVAL);
	t = good; t.e[0].addr = 2ULL << 30;
	expect("address in the hole between regions", &t, -EFAULT);
	t = good; t.e[0].addr = (1ULL << 30) - 4096;
	expect("range past the end of a region", &t, -EFAULT);
	t = good; t.e[1].addr = (5ULL << 30);
	expect("address past guest RAM", &t, -EFAULT);
	t = good; t.e[1].addr = ~0ULL - 4095;
	expect("address that wraps", &t, -EFAULT);
	t = good; t.e[0].len = 0xfffff000; t.size = 0xfffff000ULL + 4096;
	expect("range longer than guest RAM", &t, -EFAULT);

	/* what goes back */
	CHECK(vuv_shmem_relinquish(rel, 0x1122334455667788ULL) == sizeof(rel),
	      "RELINQUISH length");
	memcpy(&id, rel + SHMEM_FIXED_LEN, 8);
	CHECK(rel[0] == SHMEM_SUBOP_RELINQUISH && rel[4] == SHMEM_TYPE_ADDR &&
	      rel[8] == sizeof(rel) && rel[12] == 0 &&
	      le64toh(id) == 0x1122334455667788ULL, "RELINQUISH encoding");

	printf("%s: %d checks, %d failed\n", failures ? "FAIL" : "ok", checks,
	       failures);
	return failures ? 1 : 0;
}
