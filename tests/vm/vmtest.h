/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared helpers of the in-guest integration tests (tests/vm/vm_*.c): a small
 * TAP runner that runs every case in its own child process (a stray SIGBUS
 * or a hang fails that case only), loopback channel pairs, buffers and
 * patterns, fault probes, a helper process, and the leak meters (open fds,
 * the vsock_shmem debugfs counters, MemFree).
 *
 * The tests use the public libvshmem API only (vshmem.h, vshmem-uring.h);
 * nothing here talks to the kernel's uAPI directly.
 *
 * Each program takes no argument (runs all cases, TAP on stdout, exit 1 if
 * any failed), "--list" (prints the case names; tests/vm/run.sh uses it on
 * the host to know what must have run) or case names (runs only those).
 */
#ifndef VSHMEM_VMTEST_H
#define VSHMEM_VMTEST_H

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <libvshmem/vshmem.h>

#define MiB (1024UL * 1024UL)

/* ---- TAP runner ---------------------------------------------------- */

struct vt_case {
	const char *name;
	int (*fn)(void);	/* 0 pass, anything else fail */
};

#define VT_FAIL 1
#define VT_SKIP 77	/* return vt_skip("why") from a case */

/* The reason of a skip, written by the case's child into a page shared
 * with the runner. */
static char *vt_skip_reason;

static inline int vt_skip(const char *fmt, ...)
{
	va_list ap;

	if (vt_skip_reason) {
		va_start(ap, fmt);
		vsnprintf(vt_skip_reason, 256, fmt, ap);
		va_end(ap);
	}
	return VT_SKIP;
}

/* Diagnostics are TAP comments; never the words the console scanner of
 * vm-run.sh treats as kernel splats. */
static inline void vt_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define CHECK(cond) do {						\
		if (!(cond)) {						\
			vt_diag("%s:%d: check failed: %s (errno %d)",	\
				__func__, __LINE__, #cond, errno);	\
			return VT_FAIL;					\
		}							\
	} while (0)

#define CHECK_EQ(a, b) do {						\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			vt_diag("%s:%d: check failed: %s == %s (%lld != %lld%s%s)", \
				__func__, __LINE__, #a, #b, _a, _b,	\
				_a < 0 && _a > -4096 ? ": " : "",	\
				_a < 0 && _a > -4096 ? strerror((int)-_a) : ""); \
			return VT_FAIL;					\
		}							\
	} while (0)

/* Run a sub-step that returns 0 / VT_FAIL and propagate a failure. */
#define TRY(expr) do { if ((expr) != 0) return VT_FAIL; } while (0)

static inline unsigned int vt_timeout(void)
{
	const char *t = getenv("VT_CASE_TIMEOUT");

	return t && atoi(t) > 0 ? (unsigned int)atoi(t) : 120;
}

/* A case whose work is long by design sets its own watchdog (seconds)
 * first: it catches a hang, it is not a speed limit. */
static inline void vt_watchdog(unsigned int s)
{
	alarm(s);
}

/* 0 pass, VT_FAIL, or VT_SKIP (reason in vt_skip_reason) */
static inline int vt_run_one(const struct vt_case *c)
{
	pid_t pid;
	int status;

	if (!vt_skip_reason) {
		vt_skip_reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (vt_skip_reason == MAP_FAILED)
			vt_skip_reason = NULL;
	}
	if (vt_skip_reason)
		vt_skip_reason[0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return vt_diag("fork: %s", strerror(errno)), VT_FAIL;
	if (pid == 0) {
		setpgid(0, 0);
		alarm(vt_timeout());
		int r = c->fn();

		_exit(r == 0 ? 0 : r == VT_SKIP ? VT_SKIP : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return VT_FAIL;
	kill(-pid, SIGKILL);	/* helpers a failed case left behind */
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		vt_diag("case %s died from signal %d (%s)%s", c->name, sig,
			strsignal(sig), sig == SIGALRM ? ": timed out" : "");
		return VT_FAIL;
	}
	if (WEXITSTATUS(status) == VT_SKIP)
		return VT_SKIP;
	return WEXITSTATUS(status) ? VT_FAIL : 0;
}

static inline int vt_main(const struct vt_case *cases, size_t n, int argc,
			  char **argv)
{
	int failed = 0, num = 0, planned = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		bool sel = argc < 2;

		for (int a = 1; a < argc; a++)
			sel |= !strcmp(argv[a], cases[i].name);
		planned += sel;
	}
	printf("1..%d\n", planned);
	for (size_t i = 0; i < n; i++) {
		bool sel = argc < 2;
		struct timespec t0, t1;
		int r;

		for (int a = 1; a < argc; a++)
			sel |= !strcmp(argv[a], cases[i].name);
		if (!sel)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = vt_run_one(&cases[i]);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r == VT_SKIP) {
			printf("ok %d %s # SKIP %s\n", ++num, cases[i].name,
			       vt_skip_reason && vt_skip_reason[0] ?
			       vt_skip_reason : "(no reason given)");
			continue;
		}
		printf("%sok %d %s # %.2fs\n", r ? "not " : "", ++num,
		       cases[i].name, (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		failed += r != 0;
	}
	return failed ? 1 : 0;
}

#define VT_MAIN(cases)							\
	int main(int argc, char **argv)					\
	{								\
		return vt_main(cases, sizeof(cases) / sizeof(cases[0]),	\
			       argc, argv);				\
	}

/* ---- channels ------------------------------------------------------ */

/* A fresh port for every pair: a listener of a failed case may linger. */
static inline unsigned int vt_port(void)
{
	static unsigned int n;

	return 20000 + ((unsigned int)getpid() % 2000) * 16 + (n++ % 16);
}

struct vt_pair {
	struct vshmem_channel *listener, *lender, *borrower;
	unsigned int port;
};

static inline void vt_pair_close(struct vt_pair *p)
{
	vshmem_channel_close(p->borrower);
	vshmem_channel_close(p->lender);
	vshmem_channel_close(p->listener);
	memset(p, 0, sizeof(*p));
}

/* Both ends in this process: the lender connects, the borrower is
 * accepted (vsock completes the handshake before accept()). */
static inline int vt_pair_open(struct vt_pair *p, int sock_type)
{
	VSHMEM_OPTS(vshmem_channel_opts, o, .sock_type = sock_type);
	int ret;

	memset(p, 0, sizeof(*p));
	p->port = vt_port();
	ret = vshmem_channel_listen(VMADDR_CID_ANY, p->port, &o, &p->listener);
	if (ret == 0)
		ret = vshmem_channel_connect(VMADDR_CID_LOCAL, p->port, &o,
					     &p->lender);
	if (ret == 0)
		ret = vshmem_channel_accept(p->listener, &p->borrower);
	if (ret < 0) {
		vt_diag("loopback pair on port %u: %s", p->port, strerror(-ret));
		vt_pair_close(p);
	}
	return ret;
}

#define PAIR(p, type) CHECK_EQ(vt_pair_open(p, type), 0)

/* ---- buffers ------------------------------------------------------- */

static inline struct vshmem_buf *vt_alloc(const char *heap_name, size_t size)
{
	struct vshmem_heap *heap = NULL;
	struct vshmem_buf *buf = NULL;
	int ret;

	ret = vshmem_heap_open(heap_name, &heap);
	if (ret < 0) {
		vt_diag("heap %s: %s", heap_name, strerror(-ret));
		return NULL;
	}
	ret = vshmem_buf_alloc(heap, size, NULL, &buf);
	if (ret < 0)
		vt_diag("alloc %zu bytes from %s: %s", size, heap_name,
			strerror(-ret));
	vshmem_heap_close(heap);
	return ret < 0 ? NULL : buf;
}

static inline void *vt_map(struct vshmem_buf *buf, unsigned int access)
{
	void *p = NULL;
	int ret = vshmem_buf_map(buf, access, &p);

	if (ret < 0)
		vt_diag("map: %s", strerror(-ret));
	return ret < 0 ? NULL : p;
}

static inline void vt_fill(void *b, size_t n, unsigned int seed)
{
	uint32_t *w = b;

	for (size_t i = 0; i < n / 4; i++)
		w[i] = (uint32_t)(i * 2654435761u) ^ (seed * 0x9e3779b9u);
}

/* 0 if b holds the pattern of seed, else VT_FAIL with the first offset. */
static inline int vt_check(const void *b, size_t n, unsigned int seed)
{
	const uint32_t *w = b;

	for (size_t i = 0; i < n / 4; i++)
		if (w[i] != ((uint32_t)(i * 2654435761u) ^ (seed * 0x9e3779b9u))) {
			vt_diag("pattern %u differs at byte %zu", seed, i * 4);
			return VT_FAIL;
		}
	return 0;
}

static inline int vt_check_zero(const void *b, size_t n)
{
	const unsigned char *c = b;

	for (size_t i = 0; i < n; i++)
		if (c[i]) {
			vt_diag("byte %zu is %#x, not 0", i, c[i]);
			return VT_FAIL;
		}
	return 0;
}

/* ---- fault probes: 0 when the access worked, else the signal ------- */

static sigjmp_buf vt_jmp;

static inline void vt_on_fault(int sig)
{
	siglongjmp(vt_jmp, sig);
}

static inline int vt_probe(volatile unsigned char *p, bool write)
{
	struct sigaction sa = { .sa_handler = vt_on_fault }, ob, os;
	volatile int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &ob);
	sigaction(SIGSEGV, &sa, &os);
	sig = sigsetjmp(vt_jmp, 1);
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

#define vt_read_sig(p) vt_probe((volatile unsigned char *)(p), false)
#define vt_write_sig(p) vt_probe((volatile unsigned char *)(p), true)

/* ---- a helper process ------------------------------------------------ */

/* Runs fn(arg, fd) in a child; fd is the child's end of a socketpair used
 * to synchronise (vt_send_byte / vt_wait_byte). Objects are never shared
 * across fork: the child opens its own channel. */
struct vt_child {
	pid_t pid;
	int fd;
};

static inline int vt_spawn(struct vt_child *c, int (*fn)(void *arg, int fd),
			   void *arg)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(sv[0]);
		_exit(fn(arg, sv[1]) ? 1 : 0);
	}
	close(sv[1]);
	c->fd = sv[0];
	return 0;
}

static inline int vt_send_byte(int fd, char b)
{
	return write(fd, &b, 1) == 1 ? 0 : VT_FAIL;
}

/* Waits for byte `want' (with a timeout in seconds); 0 on success. */
static inline int vt_wait_byte(int fd, char want, int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	char b = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read(fd, &b, 1) != 1 || b != want) {
		vt_diag("helper process: wanted '%c', got '%c'", want, b ? b : '-');
		return VT_FAIL;
	}
	return 0;
}

/* Exit status of the child (0 pass), after waiting for it. */
static inline int vt_reap(struct vt_child *c)
{
	int status;

	close(c->fd);
	if (waitpid(c->pid, &status, 0) < 0)
		return VT_FAIL;
	if (WIFSIGNALED(status)) {
		vt_diag("helper process died from signal %d", WTERMSIG(status));
		return VT_FAIL;
	}
	if (WEXITSTATUS(status))
		vt_diag("helper process failed (exit %d)", WEXITSTATUS(status));
	return WEXITSTATUS(status) ? VT_FAIL : 0;
}

/* ---- leak meters ----------------------------------------------------- */

static inline int vt_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* Whether an FF-A partition is on the arm_ffa bus (the arm64 guest behind
 * TF-A + OP-TEE). There, with CONFIG_VSOCKETS_LOOPBACK_FFA, vsock loopback
 * also carries TYPE_FFA and SEND_SECURE offers to it (docs/design.md), so
 * the cases that expect those refused only hold without FF-A. A system
 * property, not a caps query: the caps are what the cases check. */
static inline bool vt_loopback_ffa(void)
{
	DIR *d = opendir("/sys/bus/arm_ffa/devices");
	struct dirent *e;
	bool any = false;

	if (!d)
		return false;
	while (!any && (e = readdir(d)))
		any = e->d_name[0] != '.';
	closedir(d);
	return any;
}

#define VT_STATS "/sys/kernel/debug/vsock_shmem/stats"

/* A counter of /sys/kernel/debug/vsock_shmem/stats ("name value" lines). */
static inline long long vt_stat(const char *name)
{
	char key[64];
	long long v, found = -1;
	FILE *f = fopen(VT_STATS, "re");

	if (!f) {
		vt_diag("%s: %s", VT_STATS, strerror(errno));
		return -1;
	}
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	if (found < 0)
		vt_diag("no counter '%s' in %s", name, VT_STATS);
	return found;
}

/* The system-wide counter `outstanding' goes back to where it was; the
 * kernel finishes a reclaim asynchronously in a few cases (worker after a
 * reset), so allow up to 5 s. */
static inline int vt_wait_outstanding(long long want)
{
	long long v = -1;

	for (int i = 0; i < 500; i++) {
		v = vt_stat("outstanding");
		if (v == want)
			return 0;
		usleep(10000);
	}
	vt_diag("debugfs outstanding is %lld, expected %lld", v, want);
	return VT_FAIL;
}

static inline long vt_memfree_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Offer with an explicit id/flags/data. */
static inline int vt_offer(struct vshmem_channel *ch, struct vshmem_buf *buf,
			   uint64_t id, unsigned int flags,
			   struct vshmem_offer **ret)
{
	VSHMEM_OPTS(vshmem_offer_opts, o, .id = id, .flags = flags);

	return vshmem_offer_send(ch, buf, &o, ret);
}

/* Receive one message that must carry an offer; returns the incoming. */
static inline struct vshmem_incoming *vt_recv_offer(struct vshmem_channel *ch)
{
	struct vshmem_incoming *in = NULL;
	int ret = vshmem_channel_recv(ch, NULL, 0, 10000, NULL, &in);

	if (ret < 0 || !in)
		vt_diag("receiving an offer: %s", ret < 0 ? strerror(-ret) :
			"a message without an offer");
	return ret < 0 ? NULL : in;
}

/* ---- flows shared by the suites -------------------------------------- */

/* The borrower gives the offer back (release, close) and the lender sees
 * it come back. */
static inline int vt_give_back(struct vshmem_incoming *in,
			       struct vshmem_offer *o)
{
	CHECK_EQ(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);
	CHECK_EQ(vshmem_offer_wait_release(o, 10000), 0);
	return 0;
}

/*
 * A borrower in another process (vt_offer_to_child() starts it): listens
 * on port, says 'L', takes one offer of size bytes (of kind, unless 0),
 * checks seed, writes seed + 1 and says 'H' (holding it). Then it waits
 * for 'C' and releases the buffer, or, with hold_until_killed, waits to
 * be killed.
 */
struct vt_borrower_arg {
	int type;
	unsigned int port;
	size_t size;
	unsigned int kind, seed;
	bool hold_until_killed;
};

static inline int vt_borrower_child(void *arg, int fd)
{
	struct vt_borrower_arg *a = arg;
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = a->type);
	struct vshmem_channel *l = NULL, *ch = NULL;
	struct vshmem_incoming *in;
	void *bp;

	CHECK_EQ(vshmem_channel_listen(VMADDR_CID_ANY, a->port, &co, &l), 0);
	TRY(vt_send_byte(fd, 'L'));
	CHECK_EQ(vshmem_channel_accept(l, &ch), 0);
	CHECK(in = vt_recv_offer(ch));
	if (a->kind)
		CHECK_EQ(vshmem_incoming_get_kind(in), a->kind);
	CHECK(bp = vt_map(vshmem_incoming_get_buf(in), VSHMEM_ACCESS_RW));
	TRY(vt_check(bp, a->size, a->seed));
	vt_fill(bp, a->size, a->seed + 1);
	TRY(vt_send_byte(fd, 'H'));
	while (a->hold_until_killed)
		pause();
	TRY(vt_wait_byte(fd, 'C', 30));
	CHECK_EQ(vshmem_incoming_release(in), 0);
	vshmem_incoming_close(in);
	vshmem_channel_close(ch);
	vshmem_channel_close(l);
	return 0;
}

/* Starts that borrower (a->port: a fresh one), connects to it on a new
 * channel *ch, offers buf and returns once the borrower holds it. */
static inline int vt_offer_to_child(struct vt_child *c,
				    struct vt_borrower_arg *a,
				    struct vshmem_buf *buf,
				    struct vshmem_channel **ch,
				    struct vshmem_offer **o)
{
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = a->type);

	a->port = vt_port();
	CHECK_EQ(vt_spawn(c, vt_borrower_child, a), 0);
	TRY(vt_wait_byte(c->fd, 'L', 30));
	CHECK_EQ(vshmem_channel_connect(VMADDR_CID_LOCAL, a->port, &co, ch), 0);
	CHECK_EQ(vshmem_offer_send(*ch, buf, NULL, o), 0);
	TRY(vt_wait_byte(c->fd, 'H', 30));
	return 0;
}

/* An offer from heap to a borrower in another process, on a socket of
 * type: while the borrower holds it, the lender sees its writes (SHARE)
 * or faults (LEND); afterwards the lender has the borrower's writes. */
static inline int vt_two_process_round_trip(const char *heap, int type,
					    unsigned int seed)
{
	struct vt_borrower_arg a = { .type = type, .size = MiB, .seed = seed };
	struct vshmem_channel *ch = NULL;
	struct vshmem_offer *o = NULL;
	struct vt_child c = { -1, -1 };
	struct vshmem_buf *buf;
	void *lp;

	CHECK(buf = vt_alloc(heap, MiB));
	CHECK(lp = vt_map(buf, VSHMEM_ACCESS_RW));
	a.kind = vshmem_buf_get_kind(buf);
	vt_fill(lp, MiB, seed);
	TRY(vt_offer_to_child(&c, &a, buf, &ch, &o));
	if (a.kind == VSHMEM_KIND_SHARE)
		TRY(vt_check(lp, MiB, seed + 1));
	else
		CHECK_EQ(vt_read_sig(lp), SIGBUS);
	TRY(vt_send_byte(c.fd, 'C'));
	CHECK_EQ(vshmem_offer_wait_release(o, 10000), 0);
	TRY(vt_reap(&c));
	TRY(vt_check(lp, MiB, seed + 1));
	vshmem_offer_free(o);
	vshmem_channel_close(ch);
	vshmem_buf_close(buf);
	return 0;
}

/* A READONLY offer from heap: the borrower may map it for reading only,
 * and the lender's data is intact afterwards. */
static inline int vt_readonly_round_trip(const char *heap, unsigned int seed)
{
	struct vshmem_offer *o = NULL;
	struct vshmem_incoming *in;
	struct vshmem_buf *buf, *rb;
	struct vt_pair p;
	void *lp, *bp = NULL;

	PAIR(&p, SOCK_SEQPACKET);
	CHECK(buf = vt_alloc(heap, MiB));
	CHECK(lp = vt_map(buf, VSHMEM_ACCESS_RW));
	vt_fill(lp, MiB, seed);
	CHECK_EQ(vt_offer(p.lender, buf, 0, VSHMEM_OFFER_F_READONLY, &o), 0);
	CHECK(in = vt_recv_offer(p.borrower));
	CHECK_EQ(vshmem_incoming_get_flags(in), VSHMEM_OFFER_F_READONLY);
	CHECK(rb = vshmem_incoming_get_buf(in));
	CHECK(vshmem_buf_map(rb, VSHMEM_ACCESS_RW, &bp) < 0);
	CHECK(bp = vt_map(rb, VSHMEM_ACCESS_READ));
	TRY(vt_check(bp, MiB, seed));
	CHECK(vt_write_sig(bp) != 0);	/* a read-only mapping */
	TRY(vt_give_back(in, o));
	TRY(vt_check(lp, MiB, seed));
	vshmem_offer_free(o);
	vshmem_buf_close(buf);
	vt_pair_close(&p);
	return 0;
}

#endif /* VSHMEM_VMTEST_H */
