// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: suite teardown. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* suite: teardown (a new connection while another one ends its offers) */

enum { TEARDOWN_OFFERS = 4096, TEARDOWN_ROUNDS = 5, CONNECT_REPS = 10 };

/* A listener on a port the kernel picks, for this process alone. */
static int local_listener(unsigned int *port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY,
				 .svm_port = VMADDR_PORT_ANY };
	socklen_t len = sizeof(a);
	int fd = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die(-errno, "socket");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die(-errno, "listening on a local port");
	*port = a.svm_port;
	return fd;
}

/* Connect to @port and accept: the time connect() took, in ns. */
static uint64_t timed_pair(int listener, unsigned int port, int *lender,
			   int *borrower)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_LOCAL,
				 .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	uint64_t t0, t;

	if (fd < 0)
		die(-errno, "socket");
	t0 = now_ns();
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die(-errno, "connect while another connection ends its offers");
	t = now_ns() - t0;
	*borrower = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (*borrower < 0)
		die(-errno, "accept");
	*lender = fd;
	return t;
}

static const struct col teardown_cols[] = {
	{ "case", "connect()", C_STR },
	{ "connect_ns", "time (median)", C_TIME },
	{ "max_ns", "time (max)", C_TIME },
	{ "ratio", "vs idle", C_RATIO },
};

void suite_teardown(void)
{
	struct table *t = table_new("teardown",
		"A new connection while another one ends 4096 offers (loopback)",
		teardown_cols, NCOLS(teardown_cols));
	struct samples idle = { 0 }, busy = { 0 };
	struct vshmem_heap *heap = heap_open("system", true);
	struct vshmem_buf *b = buf_alloc(heap, 4096);
	double idle_max = 0, busy_max = 0, idle_med, busy_med;
	unsigned int port;
	int listener = local_listener(&port), lender, borrower, l2, b2;
	uint32_t type;

	t->note = "The borrower closes with 4096 offers outstanding that it never read; a new connection is opened at\n"
		  "once. Before the end of a connection ended its offers off the packet path, this took seconds under TCG.";
	for (unsigned int i = 0; i < CONNECT_REPS; i++) {
		double v = (double)timed_pair(listener, port, &lender, &borrower);

		sample_add(&idle, v);
		idle_max = v > idle_max ? v : idle_max;
		close(borrower);
		close(lender);
	}
	for (unsigned int r = 0; r < TEARDOWN_ROUNDS; r++) {
		double v;

		progress("teardown: round %u of %u, %d offers ...", r + 1,
			 TEARDOWN_ROUNDS, TEARDOWN_OFFERS);
		timed_pair(listener, port, &lender, &borrower);
		type = raw_type(lender);
		for (uint64_t id = 1; id <= TEARDOWN_OFFERS; id++)
			raw_offer(lender, vshmem_buf_get_fd(b), type, id);
		close(borrower);
		v = (double)timed_pair(listener, port, &l2, &b2);
		sample_add(&busy, v);
		busy_max = v > busy_max ? v : busy_max;
		close(b2);
		close(l2);
		close(lender);
	}
	idle_med = sample_median(&idle);
	busy_med = sample_median(&busy);
	table_row(t, "idle", idle_med, idle_max, 1.0);
	table_row(t, "during teardown", busy_med, busy_max, busy_med / idle_med);
	close(listener);
	vshmem_buf_close(b);
	vshmem_heap_close(heap);
	sample_free(&idle), sample_free(&busy);
}
