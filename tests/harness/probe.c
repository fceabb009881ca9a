// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one fault probe of the in-guest tests: whether touching a mapping
 * raises SIGBUS (a lent buffer the lender lost) or SIGSEGV (a read-only
 * mapping written), without the signal ending the test.
 */
#include <setjmp.h>

#include "harness.h"

static sigjmp_buf probe_jmp;

static void on_fault(int sig)
{
	siglongjmp(probe_jmp, sig);
}

int vt_probe(volatile unsigned char *p, bool write)
{
	struct sigaction sa = { .sa_handler = on_fault }, ob, os;
	volatile int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &ob);
	sigaction(SIGSEGV, &sa, &os);
	sig = sigsetjmp(probe_jmp, 1);
	if (sig == 0) {
		if (write)
			*p = *p;
		else
			(void)*p;
	}
	sigaction(SIGBUS, &ob, NULL);
	sigaction(SIGSEGV, &os, NULL);
	return sig;
}
