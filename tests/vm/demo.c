// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The demo (tests/demo.sh) in the guest: a lender process and a borrower
 * process on the two ends of a vsock loopback connection. It offers a
 * SHARE buffer (system heap) and a LEND buffer (lend heap), and prints
 * what really happens at each step: what was offered, what the peer saw
 * in its own mapping, what the lender could not touch during the loan,
 * and the kernel's counters (debugfs). Every line reports a value read
 * back at that moment; a step that does not behave as described makes the
 * program say so and exit 1. Public libvshmem API only.
 */
#include "vmtest.h"

#define SZ (4 * MiB)
#define PORT 7000

static const char *counters(void)
{
	static char s[128];

	snprintf(s, sizeof(s), "offers=%lld outstanding=%lld relinquished=%lld reclaimed=%lld",
		 vt_stat("offers"), vt_stat("outstanding"),
		 vt_stat("relinquished"), vt_stat("reclaimed"));
	return s;
}

/* FNV-1a over the buffer past its first page (the page holds the text) */
static uint64_t sum_rest(const unsigned char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 4096; i < SZ; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

#define SAY(who, ...) do { printf("  [%-8s] ", who); printf(__VA_ARGS__); \
			   printf("\n"); fflush(stdout); } while (0)
#define EXPECT(cond, ...) do { if (!(cond)) { SAY("demo", "UNEXPECTED: " __VA_ARGS__); \
				return 1; } } while (0)

static int borrower(void *arg, int sync)
{
	struct vshmem_channel *l = NULL, *ch = NULL;
	char text[128];

	(void)arg;
	EXPECT(vshmem_channel_listen(VMADDR_CID_ANY, PORT, NULL, &l) == 0, "listen");
	TRY(vt_send_byte(sync, 'L'));
	EXPECT(vshmem_channel_accept(l, &ch) == 0, "accept");
	for (int round = 0; round < 2; round++) {
		struct vshmem_incoming *in = NULL;
		char msg[128] = "";
		unsigned char *bp;
		void *m;
		int n;

		TRY(vt_wait_byte(sync, 'G', 60));	/* keeps the output in order */
		n = vshmem_channel_recv(ch, msg, sizeof(msg) - 1, 30000, NULL, &in);
		EXPECT(n >= 0 && in, "no offer received (%d)", n);
		SAY("borrower", "received offer id %llu: kind %s, %llu bytes, its own dma-buf fd %d; message \"%s\"",
		    (unsigned long long)vshmem_incoming_get_id(in),
		    vshmem_kind_name(vshmem_incoming_get_kind(in)),
		    (unsigned long long)vshmem_incoming_get_size(in),
		    vshmem_buf_get_fd(vshmem_incoming_get_buf(in)), msg);
		EXPECT(vshmem_buf_map(vshmem_incoming_get_buf(in), VSHMEM_ACCESS_RW, &m) == 0,
		       "map the received buffer");
		bp = m;
		memcpy(text, bp, sizeof(text));
		text[sizeof(text) - 1] = 0;
		SAY("borrower", "mapped it; the first bytes read: \"%s\"", text);
		{
			unsigned long long want = 0, got = sum_rest(bp);

			sscanf(msg, "checksum %llx", &want);
			EXPECT(got == want, "checksum %#llx, the lender's %#llx", got, want);
			SAY("borrower", "checksum of the other %lu bytes: %#llx, the lender's: %#llx (same)",
			    SZ - 4096, got, want);
		}
		snprintf(text, sizeof(text), "reply %d written by the borrower (pid %d)",
			 round + 1, (int)getpid());
		strcpy((char *)bp, text);
		SAY("borrower", "wrote \"%s\" at the start", text);
		TRY(vt_send_byte(sync, 'W'));
		TRY(vt_wait_byte(sync, 'R', 60));
		EXPECT(vshmem_incoming_release(in) == 0, "release");
		SAY("borrower", "released it (RELINQUISH); its mapping is gone");
		vshmem_incoming_close(in);
		TRY(vt_send_byte(sync, 'D'));
	}
	vshmem_channel_close(ch);
	vshmem_channel_close(l);
	return 0;
}

static int offer_one(struct vshmem_channel *ch, int sync, const char *heap,
		     int round)
{
	char msg[128], text[128];
	struct vshmem_offer *o = NULL;
	struct vshmem_buf *buf;
	unsigned char *lp;
	bool lend = !strcmp(heap, "lend");
	int sig;

	printf("\n--- %s: a %lu MiB buffer from the '%s' heap ---\n",
	       lend ? "LEND" : "SHARE", SZ / MiB, heap);
	EXPECT(buf = vt_alloc(heap, SZ), "allocation from %s", heap);
	EXPECT(lp = vt_map(buf, VSHMEM_ACCESS_RW), "map");
	vt_fill(lp, SZ, 7 + round);
	snprintf(text, sizeof(text), "hello from the lender (pid %d), %s buffer",
		 (int)getpid(), lend ? "lent" : "shared");
	memset(lp, 0, 4096);
	strcpy((char *)lp, text);
	SAY("lender", "allocated %llu bytes, kind %s (the heap decides); wrote \"%s\" + a pattern",
	    (unsigned long long)vshmem_buf_get_size(buf),
	    vshmem_kind_name(vshmem_buf_get_kind(buf)), text);
	snprintf(msg, sizeof(msg), "checksum 0x%llx of the bytes past the first page",
		 (unsigned long long)sum_rest(lp));
	{
		VSHMEM_OPTS(vshmem_offer_opts, oo, .data = msg, .data_len = strlen(msg) + 1,
			    .tag = 0x1000 + round);

		EXPECT(vshmem_offer_send(ch, buf, &oo, &o) == 0, "offer");
	}
	SAY("lender", "offered it as id %llu (one sendmsg with SCM_VSOCK_SHMEM); kernel: %s",
	    (unsigned long long)vshmem_offer_get_id(o), counters());
	sig = vt_read_sig(lp);
	if (lend) {
		EXPECT(sig == SIGBUS, "the lender could still read its lent buffer");
		SAY("lender", "tried to read its own buffer during the loan: %s (access revoked)",
		    strsignal(sig));
		sig = vt_write_sig(lp + SZ - 1);
		EXPECT(sig == SIGBUS, "the lender could still write its lent buffer");
		SAY("lender", "tried to write it: %s", strsignal(sig));
	} else {
		EXPECT(sig == 0, "the lender lost access to a shared buffer");
		SAY("lender", "can still read its buffer while it is shared: yes");
	}
	TRY(vt_send_byte(sync, 'G'));
	TRY(vt_wait_byte(sync, 'W', 60));
	if (lend) {
		EXPECT(vt_read_sig(lp) == SIGBUS, "lent buffer readable while borrowed");
		SAY("lender", "still cannot read it while the borrower uses it: %s",
		    strsignal(SIGBUS));
	} else {
		memcpy(text, lp, sizeof(text));
		text[sizeof(text) - 1] = 0;
		SAY("lender", "sees the borrower's write at once: \"%s\"", text);
	}
	TRY(vt_send_byte(sync, 'R'));
	TRY(vt_wait_byte(sync, 'D', 60));
	EXPECT(vshmem_offer_wait_release(o, 30000) == 0, "wait for release");
	SAY("lender", "got RELINQUISH for id %llu: the buffer is back; kernel: %s",
	    (unsigned long long)vshmem_offer_get_id(o), counters());
	EXPECT(vt_read_sig(lp) == 0, "no access after the return");
	memcpy(text, lp, sizeof(text));
	text[sizeof(text) - 1] = 0;
	SAY("lender", "reads its buffer again: \"%s\"", text);
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	return 0;
}

int main(void)
{
	struct vshmem_channel *ch = NULL;
	struct vt_child c = { -1, -1 };
	uint64_t caps = 0;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("libvshmem %s, guest kernel with the SCM_VSOCK_SHMEM series\n",
	       vshmem_version());
	printf("lender pid %d and borrower (child process) on vsock loopback port %d\n",
	       (int)getpid(), PORT);
	if (vt_spawn(&c, borrower, NULL) < 0 || vt_wait_byte(c.fd, 'L', 30))
		return 1;
	ret = vshmem_channel_connect(VMADDR_CID_LOCAL, PORT, NULL, &ch);
	EXPECT(ret == 0, "connect: %s", strerror(-ret));
	EXPECT(vshmem_channel_get_caps(ch, &caps) == 0, "caps");
	SAY("lender", "connected; the transport can: share=%s lend=%s (caps %#llx); kernel: %s",
	    caps & VSHMEM_CAP_KIND(VSHMEM_KIND_SHARE) ? "yes" : "no",
	    caps & VSHMEM_CAP_KIND(VSHMEM_KIND_LEND) ? "yes" : "no",
	    (unsigned long long)caps, counters());
	TRY(offer_one(ch, c.fd, "system", 0));
	TRY(offer_one(ch, c.fd, "lend", 1));
	vshmem_channel_close(ch);
	TRY(vt_reap(&c));
	printf("\nDone: both offers went out and came back; nothing outstanding (%s).\n",
	       counters());
	return vt_stat("outstanding") == 0 ? 0 : 1;
}
