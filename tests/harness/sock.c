// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vsock sockets of the in-guest tests: the one listen and the one connect
 * helper, and loopback pairs with both ends in this process.
 */
#include "harness.h"

unsigned int vt_port(void)
{
	static unsigned int n;

	return 20000 + ((unsigned int)getpid() % 2000) * 16 + (n++ % 16);
}

static int addr_socket(int type, unsigned int cid, unsigned int port,
		       bool listening, int backlog)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port,
	};
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	if (listening ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			listen(fd, backlog) == 0 :
			connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = -errno;
	close(fd);
	errno = -e;	/* for the callers of the errno style */
	return e;
}

int hx_listen(int type, unsigned int port, int backlog)
{
	return addr_socket(type, VMADDR_CID_ANY, port, true, backlog);
}

int hx_connect(int type, unsigned int cid, unsigned int port)
{
	return addr_socket(type, cid, port, false, 0);
}

void raw_pair_close(struct raw_pair *p)
{
	if (p->borrower >= 0)
		close(p->borrower);
	if (p->lender >= 0)
		close(p->lender);
	if (p->listener >= 0)
		close(p->listener);
	p->listener = p->lender = p->borrower = -1;
}

/* vsock completes the handshake before accept(), so one thread can do
 * both ends: the lender connects, the borrower is accepted. */
int raw_pair_open_on(struct raw_pair *p, int type, unsigned int port)
{
	int e;

	p->lender = p->borrower = -1;
	p->port = port ? port : vt_port();
	p->listener = hx_listen(type, p->port, 64);
	if (p->listener < 0)
		return p->listener;
	p->lender = hx_connect(type, VMADDR_CID_LOCAL, p->port);
	if (p->lender >= 0)
		p->borrower = accept4(p->listener, NULL, NULL, SOCK_CLOEXEC);
	if (p->lender >= 0 && p->borrower >= 0)
		return 0;
	e = p->lender < 0 ? p->lender : -errno;
	vt_diag("raw loopback pair on port %u: %s", p->port, strerror(-e));
	raw_pair_close(p);
	errno = -e;
	return e;
}

int raw_pair_open(struct raw_pair *p, int type)
{
	return raw_pair_open_on(p, type, 0);
}
