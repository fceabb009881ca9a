// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-bench: how much faster is handing memory over by reference than
 * copying it? Every suite measures the methods it compares in the same run,
 * interleaved, and reports their ratios (absolute times on shared or
 * emulated machines are noisy; the ratios are what to compare).
 *
 * The peer is a second process: forked here for the local (loopback)
 * transport, or a `vshmem-bench --serve PORT` on the other side of the
 * vsock connection. It relinquishes every offer as soon as it arrives
 * (unless told to hold some) and acknowledges copied bytes with one byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <libvshmem/vshmem.h>
#include <libvshmem/vshmem-uring.h>
#include <libvshmem/vsock-shmem-uapi.h>

#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#include "cli.h"
#include "common.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define STATS_PATH "/sys/kernel/debug/vsock_shmem/stats"
#define CMD_MAGIC 0x76736862u	/* "vshb" */
/* Wait for releases without a timeout: a timeout costs a poll() per
 * wait, which the raw and the copy paths do not pay. */
#define WAIT_MS 0

/* ------------------------------------------------------------------ */
/* options, errors, progress                                           */

static struct {
	unsigned int suites;
	uint64_t min_size, max_size, scatter_size;
	unsigned int max_outstanding;
	double min_time;
	unsigned int min_reps, max_reps, window;
	bool json, icount, quiet;
	const char *json_file;
	unsigned int cid, port;
	bool remote, serve;
	unsigned int serve_port;
} opt = {
	.min_size = 4 * KiB,
	.max_size = 256 * MiB,
	.scatter_size = 64 * MiB,
	.max_outstanding = 4096,
	.min_time = 0.5,
	.min_reps = 3,
	.max_reps = 200,
	.window = 128,
	.cid = VMADDR_CID_LOCAL,
	.port = 5200,
};

enum {
	S_SIZES = 1 << 0,
	S_RATE = 1 << 1,
	S_SCATTER = 1 << 2,
	S_OVERHEAD = 1 << 3,
	S_SCALING = 1 << 4,
	S_FFA = 1 << 5,
	S_DEFAULT = S_SIZES | S_RATE | S_SCATTER | S_OVERHEAD | S_SCALING,
};

static const struct {
	const char *name;
	unsigned int bit;
} suite_names[] = {
	{ "sizes", S_SIZES }, { "rate", S_RATE }, { "scatter", S_SCATTER },
	{ "overhead", S_OVERHEAD }, { "scaling", S_SCALING }, { "ffa", S_FFA },
};

static void die(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("vshmem-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
	exit(cli_exit_code(err));
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void progress(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet)
		return;
	fputs("  .. ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *size_str(uint64_t v, char *buf, size_t len)
{
	if (v >= MiB && !(v % MiB))
		snprintf(buf, len, "%" PRIu64 "M", v / MiB);
	else if (v >= KiB && !(v % KiB))
		snprintf(buf, len, "%" PRIu64 "K", v / KiB);
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* ------------------------------------------------------------------ */
/* samples                                                             */

struct samples {
	double *v;
	size_t n, cap;
};

static void sample_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			die(-ENOMEM, "samples");
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double sample_median(struct samples *s)
{
	if (!s->n)
		return NAN;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	return s->n % 2 ? s->v[s->n / 2] :
			  (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

static void sample_reset(struct samples *s)
{
	s->n = 0;
}

static void sample_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Go on while fewer than min_reps or less than min_time have passed. */
static bool more_reps(unsigned int reps, uint64_t t0)
{
	if (reps < opt.min_reps)
		return true;
	if (reps >= opt.max_reps)
		return false;
	return (double)(now_ns() - t0) / 1e9 < opt.min_time;
}

/* ------------------------------------------------------------------ */
/* result tables: printed as text or as JSON                           */

enum col_type { C_SIZE, C_TIME, C_RATIO, C_COUNT, C_RATE, C_PCT, C_STR };

struct col {
	const char *key, *head;
	enum col_type type;
};

#define MAX_COLS 16
#define NCOLS(a) ((unsigned int)(sizeof(a) / sizeof((a)[0])))
#define MAX_ROWS 32

struct cell {
	bool na;
	double v;
	char s[64];
};

struct table {
	const char *key, *title, *note;
	const struct col *cols;
	unsigned int ncols, nrows;
	struct cell rows[MAX_ROWS][MAX_COLS];
};

#define MAX_TABLES 16
static struct table *tables[MAX_TABLES];
static unsigned int ntables;

static struct table *table_new(const char *key, const char *title,
			       const struct col *cols, unsigned int ncols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t || ntables == MAX_TABLES || ncols > MAX_COLS)
		die(-ENOMEM, "table");
	t->key = key;
	t->title = title;
	t->cols = cols;
	t->ncols = ncols;
	tables[ntables++] = t;
	return t;
}

/* Append a row; values in column order: double for numbers (NAN = n/a),
 * const char * for C_STR columns (NULL = n/a). */
static void table_row(struct table *t, ...)
{
	struct cell *row;
	va_list ap;

	if (t->nrows == MAX_ROWS)
		die(-E2BIG, "table %s", t->key);
	row = t->rows[t->nrows++];
	va_start(ap, t);
	for (unsigned int c = 0; c < t->ncols; c++) {
		if (t->cols[c].type == C_STR) {
			const char *s = va_arg(ap, const char *);

			row[c].na = !s;
			snprintf(row[c].s, sizeof(row[c].s), "%s", s ? s : "");
		} else {
			row[c].v = va_arg(ap, double);
			row[c].na = isnan(row[c].v);
		}
	}
	va_end(ap);
}

static void fmt_cell(const struct col *col, const struct cell *c, char *buf,
		     size_t len)
{
	double v = c->v;

	if (c->na) {
		snprintf(buf, len, "n/a");
		return;
	}
	switch (col->type) {
	case C_SIZE:
		size_str((uint64_t)v, buf, len);
		break;
	case C_TIME:
		if (v < 1e3)
			snprintf(buf, len, "%.0f ns", v);
		else if (v < 1e6)
			snprintf(buf, len, "%.1f us", v / 1e3);
		else if (v < 1e9)
			snprintf(buf, len, "%.2f ms", v / 1e6);
		else
			snprintf(buf, len, "%.2f s", v / 1e9);
		break;
	case C_RATIO:
		snprintf(buf, len, v < 10 ? "%.2fx" : "%.1fx", v);
		break;
	case C_COUNT:	/* per-offer averages may have a fraction */
		snprintf(buf, len, v == floor(v) || fabs(v) >= 100 ? "%.0f" : "%.2f", v);
		break;
	case C_RATE:
		snprintf(buf, len, "%.0f/s", v);
		break;
	case C_PCT:
		snprintf(buf, len, "%+.1f%%", v);
		break;
	case C_STR:
		snprintf(buf, len, "%s", c->s);
		break;
	}
}

static void table_print(FILE *f, const struct table *t)
{
	unsigned int w[MAX_COLS];
	char buf[96];

	for (unsigned int c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->cols[c].head);
		for (unsigned int r = 0; r < t->nrows; r++) {
			fmt_cell(&t->cols[c], &t->rows[r][c], buf, sizeof(buf));
			if (strlen(buf) > w[c])
				w[c] = strlen(buf);
		}
	}
	fprintf(f, "\n%s\n", t->title);
	for (unsigned int c = 0; c < t->ncols; c++)
		fprintf(f, c ? "  %*s" : "%-*s", (int)w[c], t->cols[c].head);
	fputc('\n', f);
	for (unsigned int c = 0; c < t->ncols; c++) {
		fprintf(f, c ? "  " : "");
		for (unsigned int i = 0; i < w[c]; i++)
			fputc('-', f);
	}
	fputc('\n', f);
	for (unsigned int r = 0; r < t->nrows; r++) {
		for (unsigned int c = 0; c < t->ncols; c++) {
			fmt_cell(&t->cols[c], &t->rows[r][c], buf, sizeof(buf));
			fprintf(f, c ? "  %*s" : "%-*s", (int)w[c], buf);
		}
		fputc('\n', f);
	}
	if (t->note)
		fprintf(f, "%s\n", t->note);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.6g", v);
}

/* ------------------------------------------------------------------ */
/* targets of issue 8                                                  */

struct target {
	char name[64];
	char goal[64];
	char measured[128];
	const char *status;	/* "met", "missed", "n/a" */
	char why[256];
};

#define MAX_TARGETS 12
static struct target targets[MAX_TARGETS];
static unsigned int ntargets;

static struct target *target_add(const char *name, const char *goal)
{
	struct target *t = &targets[ntargets < MAX_TARGETS ? ntargets++ : 0];

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->goal, sizeof(t->goal), "%s", goal);
	t->status = "n/a";
	return t;
}

/* ------------------------------------------------------------------ */
/* machine facts and kernel counters                                   */

#define MAX_STATS 32

struct kstats {
	bool present;
	unsigned int n;
	char name[MAX_STATS][32];
	long long v[MAX_STATS];
};

static void kstats_read(struct kstats *k)
{
	char line[128];
	FILE *f = fopen(STATS_PATH, "re");

	memset(k, 0, sizeof(*k));
	if (!f)
		return;
	k->present = true;
	while (fgets(line, sizeof(line), f) && k->n < MAX_STATS) {
		if (sscanf(line, "%31s %lld", k->name[k->n], &k->v[k->n]) == 2)
			k->n++;
	}
	fclose(f);
}

/* Counter delta, or NAN when the kernel has no such counter. */
static double kstats_delta(const struct kstats *a, const struct kstats *b,
			   const char *name)
{
	for (unsigned int i = 0; i < a->n; i++)
		for (unsigned int j = 0; j < b->n; j++)
			if (!strcmp(a->name[i], name) &&
			    !strcmp(b->name[j], name))
				return (double)(b->v[j] - a->v[i]);
	return NAN;
}

/* Append word to a space-separated list in dst (truncated if full). */
static void list_append(char *dst, size_t len, const char *word)
{
	size_t l = strlen(dst), w = strlen(word);

	if (l && l + 1 < len)
		dst[l++] = ' ';
	if (l + w >= len)
		w = len - l - 1;
	memcpy(dst + l, word, w);
	dst[l + w] = 0;
}

static struct {
	char kernel[128], cpu[128], mem[32], heaps[128], counters[256];
	long cpus;
	uint64_t caps;
} machine;

static void machine_read(void)
{
	struct utsname u;
	struct kstats k;
	char line[256], **names = NULL;
	FILE *f;

	if (!uname(&u)) {
		list_append(machine.kernel, sizeof(machine.kernel), u.sysname);
		list_append(machine.kernel, sizeof(machine.kernel), u.release);
		list_append(machine.kernel, sizeof(machine.kernel), u.machine);
	}
	machine.cpus = sysconf(_SC_NPROCESSORS_ONLN);
	f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (p && !strncmp(line, "model name", 10)) {
			snprintf(machine.cpu, sizeof(machine.cpu), "%s", p + 2);
			machine.cpu[strcspn(machine.cpu, "\n")] = 0;
			break;
		}
		/* arm64 has no model name: implementer and part */
		if (p && (!strncmp(line, "CPU implementer", 15) ||
			  !strncmp(line, "CPU part", 8)) &&
		    !strstr(machine.cpu, "part")) {
			p[strcspn(p, "\n")] = 0;
			list_append(machine.cpu, sizeof(machine.cpu),
				    line[4] == 'i' ? "implementer" : "part");
			list_append(machine.cpu, sizeof(machine.cpu), p + 2);
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/meminfo", "re");
	if (f && fgets(line, sizeof(line), f)) {
		long kb = 0;

		if (sscanf(line, "MemTotal: %ld", &kb) == 1)
			snprintf(machine.mem, sizeof(machine.mem), "%ld MiB",
				 kb / 1024);
	}
	if (f)
		fclose(f);
	if (vshmem_heap_list(&names) >= 0) {
		for (char **n = names; *n; n++)
			list_append(machine.heaps, sizeof(machine.heaps), *n);
		vshmem_heap_list_free(names);
	}
	kstats_read(&k);
	if (!k.present)
		snprintf(machine.counters, sizeof(machine.counters),
			 "none (%s missing)", STATS_PATH);
	for (unsigned int i = 0; i < k.n; i++)
		list_append(machine.counters, sizeof(machine.counters), k.name[i]);
}

/* ------------------------------------------------------------------ */
/* the peer                                                            */

enum { OP_OFFERS = 1, OP_COPY = 2 };

struct bench_cmd {
	uint32_t magic;
	uint32_t op;
	uint64_t hold;		/* OP_OFFERS: keep the first N offers */
};

static int read_full(int fd, void *p, size_t len)
{
	char *c = p;

	while (len) {
		ssize_t n = read(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static void set_vsock_buffer(int fd, uint64_t size)
{
	/* max first, or the size is clamped to the old max */
	setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &size,
		   sizeof(size));
	setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size, sizeof(size));
}

#define COPY_SOCKBUF (2 * MiB)

/* Peer of the copy measurement: [u64 size][size bytes] -> 1 byte ack. */
static int serve_copy(int fd)
{
	char *buf = NULL;
	uint64_t have = 0, size;
	char ack = 'k';
	int ret;

	set_vsock_buffer(fd, COPY_SOCKBUF);
	for (;;) {
		ret = read_full(fd, &size, sizeof(size));
		if (ret < 0 || !size)
			break;
		if (size > have) {
			free(buf);
			buf = malloc(size);
			if (!buf)
				return -ENOMEM;
			memset(buf, 0, size);	/* fault it in once */
			have = size;
		}
		ret = read_full(fd, buf, size);
		if (ret < 0)
			break;
		ret = write_full(fd, &ack, 1);
		if (ret < 0)
			break;
	}
	free(buf);
	return ret == -ECONNRESET ? 0 : ret;
}

/* Peer of the offer measurements: relinquish each offer at once, except
 * the first cmd.hold ones, which stay until the lender closes. */
static int serve_offers(struct vshmem_channel *ch)
{
	struct vshmem_incoming **held = NULL, *in;
	struct bench_cmd cmd;
	uint64_t nheld = 0;
	char junk[64];
	int n, ret = 0;

	n = vshmem_channel_recv(ch, &cmd, sizeof(cmd), NULL, &in);
	if (n != (int)sizeof(cmd) || cmd.magic != CMD_MAGIC || in)
		return n < 0 ? n : -EPROTO;
	if (cmd.hold) {
		held = calloc(cmd.hold, sizeof(*held));
		if (!held)
			return -ENOMEM;
	}
	for (;;) {
		n = vshmem_channel_recv(ch, junk, sizeof(junk), NULL, &in);
		if (n < 0) {
			ret = n == -ECONNRESET ? 0 : n;
			break;
		}
		if (!in)
			continue;
		if (held && nheld < cmd.hold) {
			held[nheld++] = in;
			continue;
		}
		ret = vshmem_incoming_release(in);
		vshmem_incoming_free(in);
		if (ret < 0)
			break;
	}
	for (uint64_t i = 0; i < nheld; i++)
		vshmem_incoming_free(held[i]);
	free(held);
	return ret;
}

static void raise_nofile(void)
{
	struct rlimit r = { 65536, 65536 };

	/* root may raise the hard limit; otherwise use what we have */
	if (setrlimit(RLIMIT_NOFILE, &r) < 0 && !getrlimit(RLIMIT_NOFILE, &r)) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* Listen on PORT (SEQPACKET, offers) and PORT+1 (STREAM, copies); one
 * child per connection. Writes one byte to ready_fd (if >= 0) when
 * listening. Does not return. */
static void __attribute__((noreturn)) serve(unsigned int port, int ready_fd)
{
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = SOCK_SEQPACKET);
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
		.svm_port = port + 1,
	};
	struct vshmem_channel *lis;
	struct sigaction sig = { .sa_handler = SIG_IGN,
				 .sa_flags = SA_NOCLDWAIT };
	struct pollfd pfd[2];
	int sfd, ret;

	sigaction(SIGCHLD, &sig, NULL);
	raise_nofile();
	ret = vshmem_channel_listen(VMADDR_CID_ANY, port, &co, &lis);
	if (ret < 0)
		die(ret, "peer: listen on port %u", port);
	sfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sfd < 0 || bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(sfd, 16) < 0)
		die(-errno, "peer: listen on port %u", port + 1);
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			die(-errno, "peer: ready");
		close(ready_fd);
	}
	pfd[0] = (struct pollfd){ .fd = vshmem_channel_get_fd(lis), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(-errno, "peer: poll");
		}
		if (pfd[0].revents & POLLIN) {
			struct vshmem_channel *ch;

			ret = vshmem_channel_accept(lis, &ch);
			if (ret < 0)
				die(ret, "peer: accept");
			if (fork() == 0) {
				vshmem_channel_close(lis);
				close(sfd);
				ret = serve_offers(ch);
				vshmem_channel_close(ch);
				if (ret < 0)
					fprintf(stderr, "vshmem-bench: peer: %s\n",
						strerror(-ret));
				_exit(ret < 0);
			}
			vshmem_channel_close(ch);
		}
		if (pfd[1].revents & POLLIN) {
			int fd = accept4(sfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				die(-errno, "peer: accept");
			if (fork() == 0) {
				vshmem_channel_close(lis);
				close(sfd);
				ret = serve_copy(fd);
				if (ret < 0)
					fprintf(stderr, "vshmem-bench: peer: %s\n",
						strerror(-ret));
				_exit(ret < 0);
			}
			close(fd);
		}
	}
}

static pid_t peer_pid = -1;

static void peer_start(void)
{
	int p[2];
	char c;

	if (opt.remote)
		return;
	if (pipe2(p, O_CLOEXEC) < 0)
		die(-errno, "pipe");
	peer_pid = fork();
	if (peer_pid < 0)
		die(-errno, "fork");
	if (peer_pid == 0) {
		close(p[0]);
		serve(opt.port, p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die(0, "the local peer did not start (port %u in use?)", opt.port);
	close(p[0]);
}

static void peer_stop(void)
{
	if (peer_pid > 0) {
		kill(peer_pid, SIGTERM);
		waitpid(peer_pid, NULL, 0);
		peer_pid = -1;
	}
}

/* ------------------------------------------------------------------ */
/* the lender's side                                                   */

static struct vshmem_channel *offer_channel(uint64_t hold)
{
	VSHMEM_OPTS(vshmem_channel_opts, co, .sock_type = SOCK_SEQPACKET);
	struct bench_cmd cmd = { .magic = CMD_MAGIC, .op = OP_OFFERS,
				 .hold = hold };
	struct vshmem_channel *ch;
	int ret;

	ret = vshmem_channel_connect(opt.cid, opt.port, &co, &ch);
	if (ret < 0)
		exit(fail_connect(ret, false, opt.cid, opt.port, SOCK_SEQPACKET));
	if (send(vshmem_channel_get_fd(ch), &cmd, sizeof(cmd), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(cmd))
		die(-errno, "send to the peer");
	return ch;
}

static int copy_connect(void)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = opt.cid,
				  .svm_port = opt.port + 1 };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die(-errno, "socket(AF_VSOCK)");
	set_vsock_buffer(fd, COPY_SOCKBUF);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		exit(fail_connect(-errno, false, opt.cid, opt.port + 1, SOCK_STREAM));
	return fd;
}

/* (c): send size bytes, wait for the peer's 1-byte ack. */
static uint64_t copy_once(int fd, const void *src, uint64_t size)
{
	uint64_t t0 = now_ns();
	char ack;
	int ret;

	ret = write_full(fd, &size, sizeof(size));
	if (!ret)
		ret = write_full(fd, src, size);
	if (!ret)
		ret = read_full(fd, &ack, 1);
	if (ret < 0)
		die(ret, "copy over vsock");
	return now_ns() - t0;
}

/* (a), (b): offer, wait until the peer relinquished it (for LEND the
 * kernel has then reclaimed it and the lender has access again). */
static uint64_t offer_once(struct vshmem_channel *ch, struct vshmem_buf *buf)
{
	struct vshmem_offer *o;
	uint64_t t0 = now_ns();
	int ret;

	ret = vshmem_offer_send(ch, buf, NULL, &o);
	if (ret < 0)
		die(ret, "offer");
	ret = vshmem_offer_wait_release(o, WAIT_MS);
	if (ret < 0)
		die(ret, "wait for the release");
	vshmem_offer_free(o);
	return now_ns() - t0;
}

static struct vshmem_heap *heap_open(const char *name, bool required)
{
	struct vshmem_heap *h;
	int ret = vshmem_heap_open(name, &h);

	if (ret < 0) {
		if (required)
			die(ret, "heap %s", name);
		return NULL;
	}
	return h;
}

static struct vshmem_buf *buf_alloc(struct vshmem_heap *heap, uint64_t size)
{
	VSHMEM_OPTS(vshmem_alloc_opts, ao, .name = "vshmem-bench");
	struct vshmem_buf *b;
	int ret = vshmem_buf_alloc(heap, size, &ao, &b);

	if (ret < 0)
		die(ret, "allocate %" PRIu64 " bytes from %s", size,
		    vshmem_heap_get_name(heap));
	return b;
}

/* Touch every page through a mapping (if the heap maps at all) so the
 * measurements do not include first faults. */
static void *buf_fill(struct vshmem_buf *b, unsigned char pattern)
{
	void *p;

	if (vshmem_buf_map(b, VSHMEM_ACCESS_RW, &p) < 0)
		return NULL;
	memset(p, pattern, vshmem_buf_get_size(b));
	return p;
}

/* ------------------------------------------------------------------ */
/* suite: sizes (zero-copy vs copy)                                    */

static const struct col sizes_cols[] = {
	{ "size", "size", C_SIZE },
	{ "share_ns", "(a) share", C_TIME },
	{ "lend_ns", "(b) lend", C_TIME },
	{ "lend_nomap_ns", "(b') nomap", C_TIME },
	{ "copy_ns", "(c) copy", C_TIME },
	{ "memcpy_ns", "(d) memcpy", C_TIME },
	{ "copy_over_share", "(c)/(a)", C_RATIO },
	{ "copy_over_lend", "(c)/(b)", C_RATIO },
	{ "copy_over_lend_nomap", "(c)/(b')", C_RATIO },
	{ "share_vs_4k", "(a)/4K", C_RATIO },
	{ "lend_vs_4k", "(b)/4K", C_RATIO },
	{ "lend_nomap_vs_4k", "(b')/4K", C_RATIO },
	{ "reps", "reps", C_COUNT },
};

/* Fill in a target from the 64M and 4K rows of the sizes table. */
static void sizes_targets(const struct table *t, unsigned int col,
			  unsigned int ratio_col, const char *what,
			  double goal)
{
	const struct cell *r64 = NULL, *r4 = NULL;
	char name[64], g[32];
	struct target *x, *y;

	for (unsigned int r = 0; r < t->nrows; r++) {
		if (t->rows[r][0].v == (double)(64 * MiB))
			r64 = t->rows[r];
		if (t->rows[r][0].v == (double)(4 * KiB))
			r4 = t->rows[r];
	}
	snprintf(name, sizeof(name), "64M %s vs copy", what);
	snprintf(g, sizeof(g), "copy/offer >= %.0fx", goal);
	x = target_add(name, g);
	snprintf(name, sizeof(name), "offer cost 4K -> 64M (%s)", what);
	y = target_add(name, "grows < 10x");
	if (!r64 || r64[col].na) {
		snprintf(x->why, sizeof(x->why), "%s", r64 ? "heap missing" : "64M not measured");
		snprintf(y->why, sizeof(y->why), "%s", r64 ? "heap missing" : "64M not measured");
		return;
	}
	snprintf(x->measured, sizeof(x->measured), "%.1fx", r64[ratio_col].v);
	x->status = r64[ratio_col].v >= goal ? "met" : "missed";
	if (!r4 || r4[col].na) {
		snprintf(y->why, sizeof(y->why), "4K not measured");
		return;
	}
	snprintf(y->measured, sizeof(y->measured), "%.2fx (%.0f us -> %.0f us)",
		 r64[col].v / r4[col].v, r4[col].v / 1e3, r64[col].v / 1e3);
	y->status = r64[col].v / r4[col].v < 10 ? "met" : "missed";
}

static void suite_sizes(void)
{
	struct table *t = table_new("sizes",
		"Zero-copy vs copy: time to make SIZE bytes available to the peer and get its acknowledgement (median)",
		sizes_cols, NCOLS(sizes_cols));
	struct vshmem_heap *sys = heap_open("system", true);
	struct vshmem_heap *lend = heap_open("lend", false);
	struct vshmem_heap *nomap = heap_open("lend-nomap", false);
	struct vshmem_channel *ch_share = offer_channel(0);
	struct vshmem_channel *ch_lend = offer_channel(0);
	struct vshmem_channel *ch_nomap = offer_channel(0);
	int cfd = copy_connect();
	struct samples sa = { 0 }, sb = { 0 }, sn = { 0 }, sc = { 0 }, sd = { 0 };
	double a4 = NAN, b4 = NAN, n4 = NAN;
	uint64_t zero = 0;

	t->note = "(a) SCM_VSOCK_SHMEM offer from the system heap (SHARE) until the peer's RELINQUISH is read;\n"
		  "(b) the same from the lend heap (LEND: revoke on offer, reclaim on relinquish); (b') from lend-nomap;\n"
		  "(c) send()/recv() of the bytes over the same vsock transport (SOCK_STREAM, 2 MiB socket buffer) + 1-byte ack;\n"
		  "(d) memcpy() of the bytes within the lender (the copy floor). Methods interleaved per repetition.";
	for (uint64_t size = opt.min_size; size <= opt.max_size; size *= 4) {
		struct vshmem_buf *bs = buf_alloc(sys, size);
		struct vshmem_buf *bl = lend ? buf_alloc(lend, size) : NULL;
		struct vshmem_buf *bn = nomap ? buf_alloc(nomap, size) : NULL;
		unsigned char *src = buf_fill(bs, 0x5a), *dst = malloc(size);
		uint64_t t0;
		unsigned int reps = 0;
		char sz[16];
		double a, b, n, c, d;

		if (!src || !dst)
			die(-ENOMEM, "buffers of %" PRIu64 " bytes", size);
		memset(dst, 0, size);
		if (bl)
			buf_fill(bl, 0xa5);
		size_str(size, sz, sizeof(sz));
		progress("sizes: %s ...", sz);
		/* one warm-up round of each, not counted */
		offer_once(ch_share, bs);
		if (bl)
			offer_once(ch_lend, bl);
		if (bn)
			offer_once(ch_nomap, bn);
		copy_once(cfd, src, size);
		memcpy(dst, src, size);

		sample_reset(&sa), sample_reset(&sb), sample_reset(&sn);
		sample_reset(&sc), sample_reset(&sd);
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			uint64_t m0;

			sample_add(&sa, (double)offer_once(ch_share, bs));
			if (bl)
				sample_add(&sb, (double)offer_once(ch_lend, bl));
			if (bn)
				sample_add(&sn, (double)offer_once(ch_nomap, bn));
			sample_add(&sc, (double)copy_once(cfd, src, size));
			m0 = now_ns();
			memcpy(dst, src, size);
			__asm__ volatile("" : : "r"(dst) : "memory");
			sample_add(&sd, (double)(now_ns() - m0));
			reps++;
		}
		a = sample_median(&sa), b = sample_median(&sb);
		n = sample_median(&sn);
		c = sample_median(&sc), d = sample_median(&sd);
		if (size == 4 * KiB)
			a4 = a, b4 = b, n4 = n;
		table_row(t, (double)size, a, b, n, c, d, c / a, c / b, c / n,
			  a / a4, b / b4, n / n4, (double)reps);
		progress("sizes: %s: share %.0f us, lend %.0f us, lend-nomap %.0f us, copy %.0f us, memcpy %.0f us (%u reps)",
			 sz, a / 1e3, b / 1e3, n / 1e3, c / 1e3, d / 1e3, reps);
		free(dst);
		vshmem_buf_close(bs);
		vshmem_buf_close(bl);
		vshmem_buf_close(bn);
		if (size > UINT64_MAX / 4)
			break;
	}
	write_full(cfd, &zero, sizeof(zero));
	close(cfd);
	vshmem_channel_close(ch_share);
	vshmem_channel_close(ch_lend);
	vshmem_channel_close(ch_nomap);
	vshmem_heap_close(sys);
	vshmem_heap_close(lend);
	vshmem_heap_close(nomap);
	sample_free(&sa), sample_free(&sb), sample_free(&sn);
	sample_free(&sc), sample_free(&sd);

	sizes_targets(t, 1, 6, "share", 50);
	sizes_targets(t, 2, 7, "lend", 20);
	sizes_targets(t, 3, 8, "lend-nomap", 20);
}

/* ------------------------------------------------------------------ */
/* suite: rate (synchronous sendmsg vs io_uring batches)               */

static const struct col rate_cols[] = {
	{ "size", "size", C_SIZE },
	{ "mode", "mode", C_STR },
	{ "batch", "batch", C_COUNT },
	{ "send_per_s", "offers/s sent", C_RATE },
	{ "send_vs_sync", "vs sync", C_RATIO },
	{ "cycle_per_s", "offers/s round trip", C_RATE },
	{ "cycle_vs_sync", "vs sync", C_RATIO },
	{ "rounds", "rounds", C_COUNT },
};

static const unsigned int rate_batches[] = { 0 /* sync */, 1, 8, 32, 128 };
#define NMODES (sizeof(rate_batches) / sizeof(rate_batches[0]))

static uint64_t send_sync(struct vshmem_channel *ch, struct vshmem_buf **bufs,
			  unsigned int w, struct vshmem_offer **offers)
{
	uint64_t t0 = now_ns();
	int ret;

	for (unsigned int i = 0; i < w; i++) {
		ret = vshmem_offer_send(ch, bufs[i], NULL, &offers[i]);
		if (ret < 0)
			die(ret, "offer %u of %u", i + 1, w);
	}
	return now_ns() - t0;
}

#ifdef HAVE_LIBURING
static uint64_t send_uring(struct io_uring *ring, struct vshmem_channel *ch,
			   struct vshmem_buf **bufs, unsigned int w,
			   unsigned int batch, struct vshmem_offer **offers)
{
	uint64_t t0 = now_ns();
	struct io_uring_cqe *cqe;
	struct vshmem_offer *o;
	int ret;

	for (unsigned int i = 0; i < w; i += batch) {
		unsigned int n = w - i < batch ? w - i : batch;

		for (unsigned int k = 0; k < n; k++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				die(-EBUSY, "io_uring: no free SQE");
			ret = vshmem_uring_prep_offer(sqe, ch, bufs[i + k], NULL,
						      &offers[i + k]);
			if (ret < 0)
				die(ret, "vshmem_uring_prep_offer");
		}
		ret = io_uring_submit_and_wait(ring, n);
		if (ret < 0)
			die(ret, "io_uring_submit_and_wait");
		for (unsigned int k = 0; k < n; k++) {
			ret = io_uring_wait_cqe(ring, &cqe);
			if (ret < 0)
				die(ret, "io_uring_wait_cqe");
			ret = vshmem_uring_complete(cqe, &o, NULL);
			io_uring_cqe_seen(ring, cqe);
			if (ret < 0)
				die(ret, "io_uring offer");
		}
	}
	return now_ns() - t0;
}
#endif

static uint64_t drain(struct vshmem_offer **offers, unsigned int w)
{
	uint64_t t0 = now_ns();
	int ret;

	for (unsigned int i = 0; i < w; i++) {
		ret = vshmem_offer_wait_release(offers[i], WAIT_MS);
		if (ret < 0)
			die(ret, "wait for the release of offer %u", i + 1);
		vshmem_offer_free(offers[i]);
	}
	return now_ns() - t0;
}

static void suite_rate(void)
{
	struct table *t = table_new("rate", opt.icount ?
		"Offer rate under QEMU -icount: '/s' is per 10^9 guest instructions (SHARE, median over rounds)" :
		"Offer rate: synchronous vshmem_offer_send() vs io_uring batches (SHARE, median over rounds)",
		rate_cols, NCOLS(rate_cols));
	static const uint64_t sizes[] = { 4 * KiB, 1 * MiB };
	struct vshmem_heap *sys = heap_open("system", true);
	unsigned int w = opt.window;
	struct vshmem_buf **bufs = calloc(w, sizeof(*bufs));
	struct vshmem_offer **offers = calloc(w, sizeof(*offers));
	struct samples send[NMODES] = { 0 }, cyc[NMODES] = { 0 };
	struct vshmem_channel *ch = offer_channel(0);
	double sync_send = NAN, sync_cyc = NAN, b32 = NAN;
#ifdef HAVE_LIBURING
	struct io_uring ring;
	int ret = io_uring_queue_init(256, &ring, 0);

	if (ret < 0)
		die(ret, "io_uring_queue_init");
#endif
	static char note[320];

	snprintf(note, sizeof(note),
		 "A round offers %u distinct buffers (one sendmsg each; io_uring: one submit per batch), then reads the\n"
		 "%u RELINQUISH notices. 'sent' times the offering only, 'round trip' the whole round. Modes interleaved.", w, w);
	t->note = note;
	if (!bufs || !offers)
		die(-ENOMEM, "rate");
	for (unsigned int s = 0; s < 2; s++) {
		uint64_t size = sizes[s], t0;
		unsigned int rounds = 0;
		char sz[16];

		if (size > opt.max_size)
			continue;
		size_str(size, sz, sizeof(sz));
		progress("rate: %u buffers of %s ...", w, sz);
		for (unsigned int i = 0; i < w; i++) {
			bufs[i] = buf_alloc(sys, size);
			buf_fill(bufs[i], 1);
		}
		for (unsigned int m = 0; m < NMODES; m++)
			sample_reset(&send[m]), sample_reset(&cyc[m]);
		t0 = now_ns();
		/* round 0 is a warm-up */
		for (unsigned int r = 0; r == 0 || more_reps(rounds, t0); r++) {
			for (unsigned int m = 0; m < NMODES; m++) {
				uint64_t ts = 0, td;

				if (rate_batches[m] == 0)
					ts = send_sync(ch, bufs, w, offers);
#ifdef HAVE_LIBURING
				else if (rate_batches[m] <= w)
					ts = send_uring(&ring, ch, bufs, w,
							rate_batches[m], offers);
#endif
				else
					continue;
				td = drain(offers, w);
				if (r == 0)
					continue;
				sample_add(&send[m], (double)w * 1e9 / (double)ts);
				sample_add(&cyc[m], (double)w * 1e9 / (double)(ts + td));
			}
			if (r == 0)
				t0 = now_ns();
			else
				rounds++;
		}
		for (unsigned int m = 0; m < NMODES; m++) {
			double sr = sample_median(&send[m]), cr = sample_median(&cyc[m]);
			char mode[24];

			if (m == 0)
				sync_send = sr, sync_cyc = cr;
			if (rate_batches[m] == 32 && size == 4 * KiB)
				b32 = sr / sync_send;
			snprintf(mode, sizeof(mode), "%s",
				 m == 0 ? "sync" : "io_uring");
			table_row(t, (double)size, mode,
				  m == 0 ? 1.0 : (double)rate_batches[m], sr,
				  sr / sync_send, cr, cr / sync_cyc, (double)rounds);
		}
		progress("rate: %s: sync %.0f/s, io_uring batch 32 %.0f/s",
			 sz, sync_send, sample_median(&send[3]));
		for (unsigned int i = 0; i < w; i++)
			vshmem_buf_close(bufs[i]);
	}
#ifdef HAVE_LIBURING
	io_uring_queue_exit(&ring);
#endif
	vshmem_channel_close(ch);
	vshmem_heap_close(sys);
	for (unsigned int m = 0; m < NMODES; m++)
		sample_free(&send[m]), sample_free(&cyc[m]);
	free(bufs);
	free(offers);

	struct target *g = target_add(opt.icount ?
				      "io_uring batch 32 vs sync (4K, insns)" :
				      "io_uring batch 32 vs sync (4K)",
				      ">= 2x offers/s");
	if (isnan(b32)) {
		snprintf(g->why, sizeof(g->why),
			 "not measured (built without liburing, or window < 32)");
	} else {
		snprintf(g->measured, sizeof(g->measured), "%.2fx", b32);
		g->status = b32 >= 2 ? "met" : "missed";
	}
}

/* ------------------------------------------------------------------ */
/* suite: scatter (entries per buffer, allocation time)                */

static const struct col scatter_cols[] = {
	{ "heap", "heap", C_STR },
	{ "size", "size", C_SIZE },
	{ "alloc_ns", "alloc", C_TIME },
	{ "offer_ns", "offer round trip", C_TIME },
	{ "entries", "scatter entries", C_COUNT },
	{ "ffa_constituents", "FF-A constituents", C_COUNT },
};

static void suite_scatter(void)
{
	struct table *t = table_new("scatter",
		"Scatter length per buffer and allocation time, per heap (median)",
		scatter_cols, NCOLS(scatter_cols));
	static const char *const heaps[] = { "system", "lend", "lend-nomap" };
	uint64_t size = opt.scatter_size;
	struct vshmem_channel *ch = offer_channel(0);
	double lend_entries = NAN;
	bool counter = false;

	t->note = "entries: the delta of the kernel's debugfs 'entries' counter per offer (scatter-table entries; n/a: the\n"
		  "kernel has no entries counter). FF-A constituents: arm_ffa emits one constituent per scatter entry.";
	for (unsigned int h = 0; h < 3; h++) {
		struct vshmem_heap *heap = heap_open(heaps[h], false);
		struct samples al = { 0 }, of = { 0 };
		struct vshmem_buf *b = NULL;
		struct kstats k0, k1;
		double entries, offers;

		if (!heap) {
			table_row(t, heaps[h], (double)size, NAN, NAN, NAN, NAN);
			continue;
		}
		progress("scatter: %s heap, %" PRIu64 " MiB ...", heaps[h], size / MiB);
		for (unsigned int i = 0; i < 5; i++) {
			uint64_t t0 = now_ns();

			vshmem_buf_close(b);
			b = buf_alloc(heap, size);
			sample_add(&al, (double)(now_ns() - t0));
		}
		if (h != 2)	/* lend-nomap never maps */
			buf_fill(b, 0x11);
		vshmem_buf_unmap(b);
		offer_once(ch, b);	/* warm-up */
		kstats_read(&k0);
		for (unsigned int i = 0; i < 5; i++)
			sample_add(&of, (double)offer_once(ch, b));
		kstats_read(&k1);
		offers = kstats_delta(&k0, &k1, "offers");
		entries = kstats_delta(&k0, &k1, "entries");
		if (!isnan(entries) && offers > 0) {
			entries /= offers;
			counter = true;
		} else {
			entries = NAN;
		}
		if (h == 1)
			lend_entries = entries;
		table_row(t, heaps[h], (double)size, sample_median(&al),
			  sample_median(&of), entries, entries);
		vshmem_buf_close(b);
		vshmem_heap_close(heap);
		sample_free(&al), sample_free(&of);
	}
	vshmem_channel_close(ch);
	if (!counter)
		progress("scatter: entries: n/a (kernel has no entries counter)");

	struct target *g = target_add("lend heap: scatter entries per 64M",
				      "<= 64");
	if (size != 64 * MiB) {
		snprintf(g->why, sizeof(g->why), "scatter size is not 64M");
	} else if (isnan(lend_entries)) {
		snprintf(g->measured, sizeof(g->measured),
			 "n/a (kernel has no entries counter)");
	} else {
		snprintf(g->measured, sizeof(g->measured), "%.0f", lend_entries);
		g->status = lend_entries <= 64 ? "met" : "missed";
	}
}

/* ------------------------------------------------------------------ */
/* suite: overhead (libvshmem vs the raw sendmsg it wraps)             */

static uint32_t raw_type(int fd)
{
	uint64_t caps = 0;
	socklen_t len = sizeof(caps);

	if (getsockopt(fd, SOL_VSOCK, SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) < 0)
		die(-errno, "SO_VM_SOCKETS_SHMEM_CAPS");
	return (caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_LOCAL)) ?
		VSOCK_SHMEM_TYPE_LOCAL : VSOCK_SHMEM_TYPE_FFA;
}

/* What a program without libvshmem writes: one cmsg, one sendmsg. */
static void raw_offer(int fd, int buf_fd, uint32_t type, uint64_t id)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
	} ctl;
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_OFFER,
				 .type = type, .id = id, .fd = buf_fd };
	struct msghdr msg = { .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(d));
	memcpy(CMSG_DATA(c), &d, sizeof(d));
	if (sendmsg(fd, &msg, 0) < 0)
		die(-errno, "raw sendmsg");
}

static void raw_wait_relinquish(int fd, uint64_t id)
{
	union {
		struct cmsghdr align;
		char buf[256];
	} ctl;
	char data[64];

	for (;;) {
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };
		struct cmsghdr *c;

		if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) < 0)
			die(-errno, "raw recvmsg");
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct vsock_shmem d;

			if (c->cmsg_level != SOL_VSOCK ||
			    c->cmsg_type != SCM_VSOCK_SHMEM ||
			    c->cmsg_len < CMSG_LEN(sizeof(d)))
				continue;
			memcpy(&d, CMSG_DATA(c), sizeof(d));
			if (d.fd >= 0)
				close(d.fd);
			if (d.subop == VSOCK_SHMEM_SUBOP_RELINQUISH && d.id == id)
				return;
		}
	}
}

/* Instructions per nanosecond, from a loop of known length: exact under
 * QEMU -icount shift=0 (1 ns of guest time per instruction). */
static double icount_calibrate(void)
{
	const unsigned long iters = 10000000;
	struct samples s = { 0 };
	double r;

	for (int k = 0; k < 3; k++) {
		unsigned long n = iters;
		uint64_t t0 = now_ns();

#if defined(__x86_64__)
		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
#elif defined(__aarch64__)
		__asm__ volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(n) : : "cc");
#else
		return NAN;
#endif
		sample_add(&s, 2.0 * (double)iters / (double)(now_ns() - t0));
	}
	r = sample_median(&s);
	sample_free(&s);
	return r;
}

static void overhead_raw(int fd, int bfd, uint32_t type, uint64_t id,
			 struct samples *send, struct samples *rt)
{
	uint64_t a, m;

	a = now_ns();
	raw_offer(fd, bfd, type, id);
	m = now_ns();
	raw_wait_relinquish(fd, id);
	sample_add(send, (double)(m - a));
	sample_add(rt, (double)(now_ns() - a));
}

static void overhead_lib(struct vshmem_channel *ch, struct vshmem_buf *b,
			 struct samples *send, struct samples *rt)
{
	struct vshmem_offer *o;
	uint64_t a, m;
	int ret;

	a = now_ns();
	ret = vshmem_offer_send(ch, b, NULL, &o);
	m = now_ns();
	if (ret < 0)
		die(ret, "offer");
	ret = vshmem_offer_wait_release(o, WAIT_MS);
	vshmem_offer_free(o);
	if (ret < 0)
		die(ret, "wait for the release");
	sample_add(send, (double)(m - a));
	sample_add(rt, (double)(now_ns() - a));
}

static const struct col overhead_cols_ns[] = {
	{ "path", "what", C_STR },
	{ "raw", "raw sendmsg/recvmsg", C_TIME },
	{ "lib", "libvshmem", C_TIME },
	{ "ratio", "lib/raw", C_RATIO },
	{ "added_pct", "added", C_PCT },
	{ "reps", "reps", C_COUNT },
};

static const struct col overhead_cols_insn[] = {
	{ "path", "what", C_STR },
	{ "raw", "raw sendmsg/recvmsg (insns)", C_COUNT },
	{ "lib", "libvshmem (insns)", C_COUNT },
	{ "ratio", "lib/raw", C_RATIO },
	{ "added_pct", "added", C_PCT },
	{ "reps", "reps", C_COUNT },
};

static void suite_overhead(void)
{
	struct table *t = table_new("overhead",
		opt.icount ?
		"Library overhead per 4K SHARE offer: guest instructions (user + kernel, QEMU -icount), median" :
		"Library overhead per 4K SHARE offer: time (median; run with --icount under QEMU -icount for instructions)",
		opt.icount ? overhead_cols_insn : overhead_cols_ns,
		NCOLS(overhead_cols_ns));
	struct vshmem_heap *sys = heap_open("system", true);
	struct vshmem_buf *b = buf_alloc(sys, 4 * KiB);
	struct vshmem_channel *ch = offer_channel(0);
	int fd = vshmem_channel_get_fd(ch), bfd = vshmem_buf_get_fd(b);
	uint32_t type = raw_type(fd);
	struct samples rs = { 0 }, rr = { 0 }, ls = { 0 }, lr = { 0 };
	uint64_t id = UINT64_C(1) << 40, t0;
	unsigned int reps = 0;
	double scale = 1.0, cal = icount_calibrate(), send_ratio;
	static char note[400];

	buf_fill(b, 3);
	/* the library queries the caps once per channel: do it before */
	offer_once(ch, b);
	raw_offer(fd, bfd, type, id);
	raw_wait_relinquish(fd, id++);
	progress("overhead: raw sendmsg vs vshmem_offer_send ...");
	t0 = now_ns();
	/* alternate which goes first, so neither pays more often for the
	 * deferred work (fput, kworkers) the other one left behind */
	while (reps < 50 || (reps < 4000 &&
			     (double)(now_ns() - t0) / 1e9 < 2 * opt.min_time)) {
		for (int k = 0; k < 2; k++) {
			if ((k == 0) == (reps % 2 == 0))
				overhead_raw(fd, bfd, type, id++, &rs, &rr);
			else
				overhead_lib(ch, b, &ls, &lr);
		}
		reps++;
	}
	if (opt.icount)
		scale = cal;
	double a = sample_median(&rs) * scale, c = sample_median(&ls) * scale;
	double r = sample_median(&rr) * scale, l = sample_median(&lr) * scale;

	send_ratio = c / a;
	table_row(t, "offer: sendmsg() vs vshmem_offer_send()", a, c, c / a,
		  (c / a - 1) * 100, (double)reps);
	table_row(t, "round trip: + wait for RELINQUISH", r, l, l / r,
		  (l / r - 1) * 100, (double)reps);
	snprintf(note, sizeof(note),
		 "raw: a hand-built SCM_VSOCK_SHMEM cmsg and one sendmsg(), recvmsg() until the RELINQUISH;\n"
		 "libvshmem: vshmem_offer_send(), vshmem_offer_wait_release(), vshmem_offer_free(). Interleaved.\n"
		 "calibration: %.3f instructions per guest ns%s", cal,
		 opt.icount ? " (QEMU -icount: expected 1.000)" :
			      " (not under -icount: times, not instructions)");
	t->note = note;
	vshmem_channel_close(ch);
	vshmem_buf_close(b);
	vshmem_heap_close(sys);
	sample_free(&rs), sample_free(&rr), sample_free(&ls), sample_free(&lr);

	struct target *g = target_add("libvshmem overhead over raw sendmsg",
				      "<= 5% instructions");
	snprintf(g->measured, sizeof(g->measured), "%+.1f%% %s (send), %+.1f%% (round trip)",
		 (send_ratio - 1) * 100, opt.icount ? "instructions" : "time",
		 (l / r - 1) * 100);
	/* the target is in instructions: a time ratio only informs */
	g->status = !opt.icount ? "n/a" : send_ratio <= 1.05 ? "met" : "missed";
	if (!opt.icount)
		snprintf(g->why, sizeof(g->why),
			 "judged in instructions only: run with --icount under QEMU -icount shift=0 (tests/vm/bench.sh does)");
}

/* ------------------------------------------------------------------ */
/* suite: scaling (outstanding offers, concurrent senders)             */

static const struct col outstanding_cols[] = {
	{ "outstanding", "outstanding", C_COUNT },
	{ "latency_ns", "offer round trip", C_TIME },
	{ "vs_1", "vs 1", C_RATIO },
	{ "reps", "reps", C_COUNT },
};

static const struct col senders_cols[] = {
	{ "senders", "senders", C_COUNT },
	{ "latency_ns", "offer round trip", C_TIME },
	{ "latency_vs_1", "vs 1", C_RATIO },
	{ "total_per_s", "offers/s (all)", C_RATE },
	{ "total_vs_1", "vs 1", C_RATIO },
};

struct sender_result {
	double median_ns;
	uint64_t count;
};

static void suite_scaling(void)
{
	struct table *t = table_new("outstanding",
		"Scaling: 4K SHARE offer round trip with N offers outstanding on the same socket (median)",
		outstanding_cols, NCOLS(outstanding_cols));
	struct table *u = table_new("senders",
		"Scaling: concurrent senders, each on its own socket (4K SHARE round trips)",
		senders_cols, NCOLS(senders_cols));
	static const unsigned int ns[] = { 1, 16, 256, 4096 };
	struct vshmem_heap *sys = heap_open("system", true);
	struct vshmem_buf *b = buf_alloc(sys, 4 * KiB);
	struct samples s = { 0 };
	double at1 = NAN, atmax = NAN, one_lat = NAN, one_rate = NAN;
	unsigned int nmax = 0;

	t->note = "N-1 offers of one 4K buffer are held by the peer; then round trips of one more offer are timed.";
	buf_fill(b, 7);
	for (unsigned int i = 0; i < 4; i++) {
		unsigned int n = ns[i], reps = 0;
		struct vshmem_channel *ch;
		struct vshmem_offer **held;
		uint64_t t0;
		double med;
		int ret;

		if (n > opt.max_outstanding)
			continue;
		progress("scaling: %u outstanding ...", n);
		ch = offer_channel(n - 1);
		held = calloc(n, sizeof(*held));
		if (!held)
			die(-ENOMEM, "scaling");
		for (unsigned int k = 0; k + 1 < n; k++) {
			ret = vshmem_offer_send(ch, b, NULL, &held[k]);
			if (ret < 0)
				die(ret, "outstanding offer %u of %u", k + 1, n - 1);
		}
		offer_once(ch, b);	/* the peer has seen all held ones */
		sample_reset(&s);
		t0 = now_ns();
		while (reps < 20 || more_reps(reps, t0)) {
			sample_add(&s, (double)offer_once(ch, b));
			reps++;
		}
		med = sample_median(&s);
		if (n == 1)
			at1 = med;
		atmax = med, nmax = n;
		table_row(t, (double)n, med, med / at1, (double)reps);
		for (unsigned int k = 0; k + 1 < n; k++)
			vshmem_offer_free(held[k]);
		free(held);
		vshmem_channel_close(ch);
	}
	vshmem_buf_close(b);

	for (unsigned int senders = 1; senders <= 2; senders++) {
		int ready[2], go[2], res[2];
		pid_t pids[2];
		double lat = 0, total = 0;
		uint64_t dur_ns = (uint64_t)((opt.min_time < 1 ? 1 : opt.min_time) * 1e9);
		char c;

		progress("scaling: %u concurrent sender(s) ...", senders);
		if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) ||
		    pipe2(res, O_CLOEXEC))
			die(-errno, "pipe");
		for (unsigned int k = 0; k < senders; k++) {
			pids[k] = fork();
			if (pids[k] < 0)
				die(-errno, "fork");
			if (pids[k] == 0) {
				struct sender_result r = { 0 };
				struct vshmem_channel *ch;
				struct vshmem_buf *cb;
				struct samples cs = { 0 };
				uint64_t t0;

				peer_pid = -1;
				close(go[1]);	/* or the "go" EOF never comes */
				close(ready[0]);
				close(res[0]);
				ch = offer_channel(0);
				cb = buf_alloc(sys, 4 * KiB);
				buf_fill(cb, 9);
				offer_once(ch, cb);
				if (write(ready[1], "r", 1) != 1 ||
				    read(go[0], &c, 1) != 0)
					_exit(1);
				t0 = now_ns();
				while (now_ns() - t0 < dur_ns) {
					sample_add(&cs, (double)offer_once(ch, cb));
					r.count++;
				}
				r.median_ns = sample_median(&cs);
				if (write(res[1], &r, sizeof(r)) != sizeof(r))
					_exit(1);
				vshmem_channel_close(ch);
				_exit(0);
			}
		}
		close(go[0]);
		close(ready[1]);
		close(res[1]);
		for (unsigned int k = 0; k < senders; k++)
			if (read(ready[0], &c, 1) != 1)
				die(0, "a sender failed to start");
		close(go[1]);	/* go */
		for (unsigned int k = 0; k < senders; k++) {
			struct sender_result r;

			if (read(res[0], &r, sizeof(r)) != sizeof(r))
				die(0, "a sender failed");
			lat += r.median_ns / senders;
			total += (double)r.count * 1e9 / (double)dur_ns;
		}
		for (unsigned int k = 0; k < senders; k++)
			waitpid(pids[k], NULL, 0);
		close(ready[0]);
		close(res[0]);
		if (senders == 1)
			one_lat = lat, one_rate = total;
		table_row(u, (double)senders, lat, lat / one_lat, total,
			  total / one_rate);
	}
	vshmem_heap_close(sys);
	sample_free(&s);

	struct target *g = target_add("offer latency vs outstanding offers",
				      "not linear (our reading: < 2x at 4096)");
	if (nmax > 1)
		snprintf(g->measured, sizeof(g->measured),
			 "%.2fx at %u vs 1 (%.0f us -> %.0f us)", atmax / at1,
			 nmax, at1 / 1e3, atmax / 1e3);
	if (nmax < 4096)
		snprintf(g->why, sizeof(g->why), "judged at 4096 outstanding only (--max-outstanding)");
	else
		g->status = atmax / at1 < 2 ? "met" : "missed";
}

/* ------------------------------------------------------------------ */
/* suite: ffa (the arm64 guest behind TF-A + OP-TEE)                   */

/*
 * Offers of VSOCK_SHMEM_TYPE_FFA go through the real SPMC: each SHARE is
 * one FFA_MEM_SHARE to OP-TEE, each LEND one FFA_MEM_LEND, the borrower's
 * relinquish one FFA_MEM_RECLAIM. The ffa_dma device of the partition
 * counts them in debugfs (FFA_DMA_DIR/<device>/stats).
 */
#define FFA_DMA_DIR "/sys/kernel/debug/ffa_dma"

static const struct col ffa_cols[] = {
	{ "size", "size", C_SIZE },
	{ "share_ns", "share", C_TIME },
	{ "lend_ns", "lend", C_TIME },
	{ "lend_nomap_ns", "nomap", C_TIME },
	{ "copy_ns", "copy", C_TIME },
	{ "copy_over_share", "copy/share", C_RATIO },
	{ "copy_over_lend", "copy/lend", C_RATIO },
	{ "copy_over_lend_nomap", "copy/nomap", C_RATIO },
	{ "ffa_calls_share", "FF-A calls/share", C_COUNT },
	{ "ffa_calls_lend", "FF-A calls/lend", C_COUNT },
	{ "ranges_share", "ranges/share", C_COUNT },
	{ "ranges_lend", "ranges/lend", C_COUNT },
	{ "share_ns_per_range", "share/range", C_TIME },
	{ "lend_ns_per_range", "lend/range", C_TIME },
	{ "reps", "reps", C_COUNT },
};

/* The stats file of OP-TEE's ffa_dma device (partition 0x8001). */
#define FFA_STATS_PATH FFA_DMA_DIR "/ffa-dma-8001/stats"

struct ffa_count {
	long long share, lend, reclaim, refused, quarantined, entries;
};

static void ffa_count_read(const char *path, struct ffa_count *c)
{
	static const char *const keys[] = { "share", "lend", "reclaim",
					    "refused", "quarantined" };
	long long *vals[] = { &c->share, &c->lend, &c->reclaim, &c->refused,
			      &c->quarantined };
	struct kstats k;
	char key[64];
	long long v;
	FILE *f = fopen(path, "re");

	memset(c, 0, sizeof(*c));
	while (f && fscanf(f, "%63s %lld", key, &v) == 2)
		for (unsigned int i = 0; i < NCOLS(keys); i++)
			if (!strcmp(key, keys[i]))
				*vals[i] = v;
	if (f)
		fclose(f);
	kstats_read(&k);
	c->entries = -1;
	for (unsigned int i = 0; i < k.n; i++)
		if (!strcmp(k.name[i], "entries"))
			c->entries = k.v[i];
}

/* One method of the ffa suite: its buffer, channel, samples, counters. */
struct ffa_method {
	const char *name;
	struct vshmem_buf *buf;
	int fd, bfd;
	struct samples s;
	struct ffa_count sum;	/* deltas over all its offers */
	unsigned int offers;
	int err;		/* first error, 0 if none */
};

/*
 * Offer buf as TYPE_FFA on the raw socket (the library picks TYPE_LOCAL
 * when the transport offers both, as loopback does here), wait until the
 * peer (libvshmem: vshmem_channel_recv(), vshmem_incoming_release())
 * relinquished it; the FF-A counters are read around it, untimed.
 */
static void ffa_offer_once(struct ffa_method *m, const char *stats, uint64_t id,
			   bool count)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct vsock_shmem))];
	} ctl;
	struct vsock_shmem d = { .subop = VSOCK_SHMEM_SUBOP_OFFER,
				 .type = VSOCK_SHMEM_TYPE_FFA, .id = id,
				 .fd = m->bfd, .tag = 0 };
	struct msghdr msg = { .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct ffa_count a, b;
	uint64_t t0;

	if (m->err)
		return;
	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_VSOCK;
	c->cmsg_type = SCM_VSOCK_SHMEM;
	c->cmsg_len = CMSG_LEN(sizeof(d));
	memcpy(CMSG_DATA(c), &d, sizeof(d));
	if (count)
		ffa_count_read(stats, &a);
	t0 = now_ns();
	if (sendmsg(m->fd, &msg, 0) < 0) {
		m->err = errno;
		progress("ffa: %s offer refused: %s", m->name, strerror(errno));
		return;
	}
	raw_wait_relinquish(m->fd, id);
	if (!count)
		return;
	sample_add(&m->s, (double)(now_ns() - t0));
	ffa_count_read(stats, &b);
	m->sum.share += b.share - a.share;
	m->sum.lend += b.lend - a.lend;
	m->sum.reclaim += b.reclaim - a.reclaim;
	m->sum.refused += b.refused - a.refused;
	m->sum.quarantined += b.quarantined - a.quarantined;
	m->sum.entries = a.entries < 0 || m->sum.entries < 0 ? -1 :
			 m->sum.entries + b.entries - a.entries;
	m->offers++;
}

static double ffa_per_offer(const struct ffa_method *m, long long v)
{
	return m->err || !m->offers || v < 0 ? NAN : (double)v / m->offers;
}

static double ffa_median(struct ffa_method *m)
{
	return m->err ? NAN : sample_median(&m->s);
}

static void suite_ffa(void)
{
	struct table *t = table_new("ffa",
		"Real FF-A: offer cost through the SPMC (OP-TEE) vs copying over the socket (median)",
		ffa_cols, NCOLS(ffa_cols));
	static const char *const heaps[] = { "system", "lend", "lend-nomap" };
	struct vshmem_heap *heap[3];
	struct vshmem_channel *ch[3];
	const char *stats = FFA_STATS_PATH;
	static char note[1024];
	uint64_t caps = 0, id = 1;
	socklen_t len = sizeof(caps);
	long long refused = 0, quarantined = 0;
	double ent4[3] = { NAN, NAN, NAN }, t4[3] = { NAN, NAN, NAN };
	double slope[3] = { NAN, NAN, NAN };
	int cfd;

	ch[0] = offer_channel(0);
	if (getsockopt(vshmem_channel_get_fd(ch[0]), SOL_VSOCK,
		       SO_VM_SOCKETS_SHMEM_CAPS, &caps, &len) < 0 ||
	    !(caps & VSOCK_SHMEM_CAP_TYPE(VSOCK_SHMEM_TYPE_FFA))) {
		t->note = "skipped: this transport delivers no FF-A handles (no TYPE_FFA in its caps).\n"
			  "Run `vshmem-bench --suite ffa` in the arm64 guest behind TF-A + OP-TEE (tests/vm/bench-ffa.sh).";
		progress("ffa: skipped (the transport has no FF-A)");
		vshmem_channel_close(ch[0]);
		return;
	}
	if (access(stats, R_OK)) {
		t->note = "skipped: no FF-A DMA device (" FFA_STATS_PATH " missing: debugfs not mounted,\n"
			  "or the kernel has no CONFIG_VSOCKETS_LOOPBACK_FFA).";
		progress("ffa: skipped (no %s)", stats);
		vshmem_channel_close(ch[0]);
		return;
	}
	for (unsigned int h = 0; h < 3; h++) {
		heap[h] = heap_open(heaps[h], h == 0);
		if (h)
			ch[h] = offer_channel(0);
	}
	cfd = copy_connect();
	for (uint64_t size = opt.min_size; size <= 16 * MiB && size <= opt.max_size;
	     size *= 4) {
		struct ffa_method m[3];
		struct samples sc = { 0 };
		unsigned char *src = NULL;
		unsigned int reps = 0;
		double c, v[3], f[3], r[3], pr[3];
		uint64_t t0;
		char sz[16];

		memset(m, 0, sizeof(m));
		for (unsigned int h = 0; h < 3; h++) {
			m[h].name = heaps[h];
			if (!heap[h]) {
				m[h].err = ENOENT;
				continue;
			}
			m[h].buf = buf_alloc(heap[h], size);
			m[h].fd = vshmem_channel_get_fd(ch[h]);
			m[h].bfd = vshmem_buf_get_fd(m[h].buf);
			/* never zeroed pages: OP-TEE would read a zeroed
			 * first page as an (empty) optee_msg_arg */
			if (h == 0)
				src = buf_fill(m[h].buf, 0x5a);
			else if (h == 1 && buf_fill(m[h].buf, 0xa5))
				vshmem_buf_unmap(m[h].buf);
		}
		if (!src)
			die(-EINVAL, "map the system heap buffer");
		size_str(size, sz, sizeof(sz));
		progress("ffa: %s ...", sz);
		/* one warm-up round of each, not counted */
		for (unsigned int h = 0; h < 3; h++)
			ffa_offer_once(&m[h], stats, id++, false);
		copy_once(cfd, src, size);
		t0 = now_ns();
		while (more_reps(reps, t0)) {
			for (unsigned int h = 0; h < 3; h++)
				ffa_offer_once(&m[h], stats, id++, true);
			sample_add(&sc, (double)copy_once(cfd, src, size));
			reps++;
		}
		c = sample_median(&sc);
		for (unsigned int h = 0; h < 3; h++) {
			v[h] = ffa_median(&m[h]);
			f[h] = ffa_per_offer(&m[h], m[h].sum.share +
					     m[h].sum.lend + m[h].sum.reclaim);
			r[h] = ffa_per_offer(&m[h], m[h].sum.entries);
			pr[h] = v[h] / r[h];
			refused += m[h].sum.refused;
			quarantined += m[h].sum.quarantined;
			if (size == opt.min_size) {
				t4[h] = v[h];
				ent4[h] = r[h];
			} else if (r[h] > ent4[h]) {
				/* marginal cost of a range over the smallest size */
				slope[h] = (v[h] - t4[h]) / (r[h] - ent4[h]);
			}
			vshmem_buf_close(m[h].buf);
			sample_free(&m[h].s);
		}
		table_row(t, (double)size, v[0], v[1], v[2], c, c / v[0],
			  c / v[1], c / v[2], f[0], f[1], r[0], r[1], pr[0],
			  pr[1], (double)reps);
		sample_free(&sc);
	}
	snprintf(note, sizeof(note),
		 "share: TYPE_FFA offer of a system heap buffer (one FFA_MEM_SHARE to OP-TEE); lend: of a lend heap buffer, tag 0\n"
		 "(one FFA_MEM_LEND); nomap: of a lend-nomap buffer; each until the lender reads the RELINQUISH (the borrower got the\n"
		 "handle, relinquished, the kernel made the FFA_MEM_RECLAIM); copy: send()/recv() of the bytes over vsock + 1-byte ack.\n"
		 "FF-A calls: share + lend + reclaim deltas of %s per offer; ranges: delta of 'entries' in\n"
		 "vsock_shmem/stats per offer; X/range = offer time / ranges. Marginal cost per range (time over the smallest\n"
		 "size / ranges over it, at the largest size): share %.1f us, lend %.1f us, nomap %.1f us. FF-A refused %lld, quarantined %lld.",
		 stats, slope[0] / 1e3, slope[1] / 1e3, slope[2] / 1e3,
		 refused, quarantined);
	t->note = note;
	close(cfd);
	for (unsigned int h = 0; h < 3; h++) {
		vshmem_channel_close(ch[h]);
		vshmem_heap_close(heap[h]);
	}

}

/* ------------------------------------------------------------------ */
/* output                                                              */

static void print_text(FILE *f)
{
	fprintf(f, "vshmem-bench %s (libvshmem)\n", vshmem_version());
	fprintf(f, "kernel: %s; %ld CPU(s): %s; memory %s\n", machine.kernel,
		machine.cpus, machine.cpu, machine.mem);
	fprintf(f, "heaps: %s; kernel counters: %s\n", machine.heaps,
		machine.counters);
	for (unsigned int i = 0; i < ntables; i++)
		table_print(f, tables[i]);
	if (ntargets) {
		fprintf(f, "\nTargets (issue 8)\n");
		for (unsigned int i = 0; i < ntargets; i++) {
			const struct target *g = &targets[i];

			fprintf(f, "  %-7s %-38s %-22s %s%s%s\n",
				!strcmp(g->status, "n/a") ? "n/a" : g->status,
				g->name, g->goal,
				g->measured[0] ? g->measured : "-",
				g->why[0] ? "; " : "", g->why);
		}
	}
}

static void print_json(FILE *f)
{
	fprintf(f, "{\n  \"tool\": \"vshmem-bench\",\n  \"version\": ");
	json_str(f, vshmem_version());
	fprintf(f, ",\n  \"icount\": %s,\n  \"machine\": {\"kernel\": ",
		opt.icount ? "true" : "false");
	json_str(f, machine.kernel);
	fprintf(f, ", \"cpus\": %ld, \"cpu\": ", machine.cpus);
	json_str(f, machine.cpu);
	fprintf(f, ", \"memory\": ");
	json_str(f, machine.mem);
	fprintf(f, ", \"heaps\": ");
	json_str(f, machine.heaps);
	fprintf(f, ", \"counters\": ");
	json_str(f, machine.counters);
	fprintf(f, "},\n  \"options\": {\"min_size\": %" PRIu64
		", \"max_size\": %" PRIu64 ", \"scatter_size\": %" PRIu64
		", \"max_outstanding\": %u, \"min_time\": %g, \"min_reps\": %u"
		", \"max_reps\": %u, \"window\": %u},\n  \"tables\": {",
		opt.min_size, opt.max_size, opt.scatter_size,
		opt.max_outstanding, opt.min_time, opt.min_reps, opt.max_reps,
		opt.window);
	for (unsigned int i = 0; i < ntables; i++) {
		const struct table *t = tables[i];

		fprintf(f, "%s\n    ", i ? "," : "");
		json_str(f, t->key);
		fprintf(f, ": {\"title\": ");
		json_str(f, t->title);
		fprintf(f, ", \"note\": ");
		if (t->note)
			json_str(f, t->note);
		else
			fputs("null", f);
		fprintf(f, ", \"rows\": [");
		for (unsigned int r = 0; r < t->nrows; r++) {
			fprintf(f, "%s\n      {", r ? "," : "");
			for (unsigned int c = 0; c < t->ncols; c++) {
				const struct cell *cell = &t->rows[r][c];

				fprintf(f, "%s", c ? ", " : "");
				json_str(f, t->cols[c].key);
				fputs(": ", f);
				if (cell->na)
					fputs("null", f);
				else if (t->cols[c].type == C_STR)
					json_str(f, cell->s);
				else
					json_num(f, cell->v);
			}
			fputc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  },\n  \"targets\": [");
	for (unsigned int i = 0; i < ntargets; i++) {
		const struct target *g = &targets[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, g->name);
		fprintf(f, ", \"goal\": ");
		json_str(f, g->goal);
		fprintf(f, ", \"measured\": ");
		json_str(f, g->measured);
		fprintf(f, ", \"status\": ");
		json_str(f, g->status);
		fprintf(f, ", \"why\": ");
		json_str(f, g->why);
		fputc('}', f);
	}
	fprintf(f, "\n  ]\n}\n");
}

/* ------------------------------------------------------------------ */
/* command line                                                        */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vshmem-bench [OPTION]...\n"
"Measure passing memory by reference (SCM_VSOCK_SHMEM) against copying it\n"
"through the same vsock transport, and print the ratios of one run.\n"
"\n"
"Suites (--suite, comma-separated; default: all but ffa):\n"
"  sizes      (a) SHARE offer, (b) LEND offer (revoke + reclaim), (c) send/recv\n"
"             of the bytes, (d) memcpy, for sizes MIN..MAX in powers of 4;\n"
"             ratios (c)/(a) and (c)/(b)\n"
"  rate       offers per second of 4K and 1M buffers: synchronous sendmsg vs\n"
"             io_uring batches of 1, 8, 32 and 128\n"
"  scatter    scatter-table entries per buffer (kernel counter 'entries') and\n"
"             allocation time, for the system, lend and lend-nomap heaps\n"
"  overhead   libvshmem vs a raw sendmsg()/recvmsg() offer (instructions with\n"
"             --icount, else time)\n"
"  scaling    offer latency with 1, 16, 256, 4096 offers outstanding; 1 and\n"
"             2 concurrent senders\n"
"  ffa        SHARE/LEND offers of TYPE_FFA through a real FF-A SPMC (arm64\n"
"             guest behind TF-A + OP-TEE) vs copying, 4K..16M; FF-A calls\n"
"             and scatter ranges per offer; skipped without FF-A\n"
"\n"
"Options:\n"
"      --suite=LIST         suites to run (see above, or 'all')\n"
"      --min-size=SIZE      smallest size of the sizes suite (default 4K)\n"
"  -m, --max-size=SIZE      largest size of the sizes suite (default 256M);\n"
"                           the guest needs about 5 times this in memory\n"
"      --scatter-size=SIZE  buffer size of the scatter suite (default 64M)\n"
"      --max-outstanding=N  largest outstanding count of scaling (default 4096)\n"
"  -t, --time=SEC           minimum time per measured point (default 0.5)\n"
"      --min-reps=N         minimum repetitions per point (default 3)\n"
"      --max-reps=N         maximum repetitions per point (default 200)\n"
"      --window=N           offers per round of the rate suite (default 128)\n"
"  -j, --json               print JSON instead of the tables\n"
"      --json-file=PATH     also write the JSON to PATH\n"
"      --icount             the guest runs under QEMU -icount shift=0: report\n"
"                           the overhead suite in instructions\n"
"  -p, --peer=CID:PORT      use a running 'vshmem-bench --serve' there instead\n"
"                           of a local peer process (ports PORT and PORT+1)\n"
"      --port=PORT          port of the local peer (default 5200; uses PORT+1)\n"
"      --serve=PORT         run as the peer only (never returns)\n"
"  -q, --quiet              no progress lines on stderr\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the library version and exit\n"
"\n"
"SIZE is a number (decimal or 0x hex) with an optional suffix k, K or KiB\n"
"(2^10), M or MiB (2^20), G or GiB (2^30). CID is a number or local (1),\n"
"host (2). Progress and warnings go to stderr, results to stdout.\n"
"Needs root inside the guest for the kernel counters (debugfs).\n"
"\n"
"Exit status: 0 measured (targets met or not), 1 error, 2 usage error,\n"
"3 not supported (no heap, no vsock transport, no SCM_VSOCK_SHMEM).\n"
"\n"
"Example: vshmem-bench --max-size=64M --suite=sizes,rate\n");
}

/* The argument of opt, or exit with a usage error. */
static unsigned int parse_uint(const char *name, const char *s, uint64_t min,
			       uint64_t max)
{
	uint64_t v;

	if (cli_opt_u64(name, s, min, max, &v) < 0)
		exit(cli_usage_error());
	return (unsigned int)v;
}

static uint64_t parse_size_arg(const char *name, const char *s)
{
	uint64_t v;

	if (cli_opt_size(name, s, &v) < 0)
		exit(cli_usage_error());
	return v;
}

static void parse_suites(char *list)
{
	opt.suites = 0;
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned int i;

		if (!strcmp(tok, "all")) {
			opt.suites |= S_DEFAULT | S_FFA;
			continue;
		}
		for (i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++)
			if (!strcmp(tok, suite_names[i].name))
				break;
		if (i == sizeof(suite_names) / sizeof(suite_names[0])) {
			error(0, "bad --suite: unknown suite '%s'", tok);
			exit(cli_usage_error());
		}
		opt.suites |= suite_names[i].bit;
	}
}

static void parse_args(int argc, char **argv)
{
	enum { O_MIN_SIZE = 256, O_SCATTER, O_MAXOUT, O_MINREPS, O_MAXREPS,
	       O_WINDOW, O_JSONFILE, O_ICOUNT, O_PORT, O_SERVE, O_SUITE };
	/* a local peer uses PORT and PORT + 1: neither may be 'any' (-1U) */
	const uint64_t port_max = UINT32_MAX - 2;
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, O_SUITE },
		{ "min-size", required_argument, NULL, O_MIN_SIZE },
		{ "max-size", required_argument, NULL, 'm' },
		{ "scatter-size", required_argument, NULL, O_SCATTER },
		{ "max-outstanding", required_argument, NULL, O_MAXOUT },
		{ "time", required_argument, NULL, 't' },
		{ "min-reps", required_argument, NULL, O_MINREPS },
		{ "max-reps", required_argument, NULL, O_MAXREPS },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "json", no_argument, NULL, 'j' },
		{ "json-file", required_argument, NULL, O_JSONFILE },
		{ "icount", no_argument, NULL, O_ICOUNT },
		{ "peer", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, O_PORT },
		{ "serve", required_argument, NULL, O_SERVE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	opt.suites = S_DEFAULT;
	while ((c = getopt_long(argc, argv, "m:t:jp:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case O_SUITE: parse_suites(optarg); break;
		case O_MIN_SIZE: opt.min_size = parse_size_arg("--min-size", optarg); break;
		case 'm': opt.max_size = parse_size_arg("--max-size", optarg); break;
		case O_SCATTER: opt.scatter_size = parse_size_arg("--scatter-size", optarg); break;
		case O_MAXOUT:
			opt.max_outstanding = parse_uint("--max-outstanding", optarg, 1, UINT32_MAX);
			break;
		case 't':
			opt.min_time = strtod(optarg, &end);
			if (*end || end == optarg || !(opt.min_time >= 0) ||
			    opt.min_time > 3600) {
				error(0, "bad --time '%s': seconds, 0 to 3600", optarg);
				exit(cli_usage_error());
			}
			break;
		case O_MINREPS: opt.min_reps = parse_uint("--min-reps", optarg, 1, UINT32_MAX); break;
		case O_MAXREPS: opt.max_reps = parse_uint("--max-reps", optarg, 1, UINT32_MAX); break;
		case O_WINDOW: opt.window = parse_uint("--window", optarg, 1, UINT32_MAX); break;
		case 'j': opt.json = true; break;
		case O_JSONFILE: opt.json_file = optarg; break;
		case O_ICOUNT: opt.icount = true; break;
		case 'p':
			if (cli_opt_addr("--peer", optarg, &opt.cid, &opt.port) < 0)
				exit(cli_usage_error());
			if (opt.port > port_max) {
				error(0, "bad --peer '%s': PORT and PORT + 1 must be ports", optarg);
				exit(cli_usage_error());
			}
			opt.remote = true;
			break;
		case O_PORT: opt.port = parse_uint("--port", optarg, 0, port_max); break;
		case O_SERVE:
			opt.serve_port = parse_uint("--serve", optarg, 0, port_max);
			opt.serve = true;
			break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': printf("vshmem-bench (libvshmem) %s\n", vshmem_version()); exit(EXIT_OK);
		default: exit(cli_usage_error());
		}
	}
	if (optind < argc) {
		error(0, "unexpected argument '%s'", argv[optind]);
		exit(cli_usage_error());
	}
	if (opt.min_size < 4 * KiB || opt.min_size > opt.max_size ||
	    opt.max_reps < opt.min_reps || opt.scatter_size < 4 * KiB) {
		error(0, "inconsistent options: sizes >= 4K, --min-size <= --max-size, "
		      "--min-reps <= --max-reps");
		exit(cli_usage_error());
	}
	/* Now, not after the run. */
	if (opt.json_file && cli_check_output("--json-file", opt.json_file) < 0)
		exit(cli_usage_error());
}

int main(int argc, char **argv)
{
	prog = "vshmem-bench";
	signal(SIGPIPE, SIG_IGN);
	parse_args(argc, argv);
	if (opt.serve)
		serve(opt.serve_port, -1);

	machine_read();
	raise_nofile();
	if (!opt.remote) {
		struct vshmem_heap *h;
		int ret = vshmem_heap_open("system", &h);

		if (ret < 0)
			exit(fail_heap(ret, "system", 0));
		vshmem_heap_close(h);
	}
	peer_start();
	atexit(peer_stop);
	{
		struct vshmem_channel *ch = offer_channel(0);
		int ret = vshmem_channel_supports(ch, VSHMEM_KIND_SHARE);

		if (ret <= 0)
			exit(fail_kind(ret, opt.cid, opt.port, VSHMEM_KIND_SHARE));
		vshmem_channel_get_caps(ch, &machine.caps);
		vshmem_channel_close(ch);
	}
	if (!opt.quiet)
		fprintf(stderr, "vshmem-bench: kernel %s, %ld CPU(s), heaps: %s\n",
			machine.kernel, machine.cpus, machine.heaps);
	if (opt.suites & S_SIZES)
		suite_sizes();
	if (opt.suites & S_RATE)
		suite_rate();
	if (opt.suites & S_SCATTER)
		suite_scatter();
	if (opt.suites & S_OVERHEAD)
		suite_overhead();
	if (opt.suites & S_SCALING)
		suite_scaling();
	if (opt.suites & S_FFA)
		suite_ffa();
	peer_stop();

	if (opt.json)
		print_json(stdout);
	else
		print_text(stdout);
	if (opt.json_file) {
		FILE *f = fopen(opt.json_file, "we");

		if (!f)
			die(-errno, "%s", opt.json_file);
		print_json(f);
		if (fclose(f))
			die(-errno, "%s", opt.json_file);
	}
	return EXIT_OK;
}
