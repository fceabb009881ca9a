/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vshmem-bench's private header: what its files share. The files, by job:
 *   vshmem-bench.c         command line, errors, main()
 *   bench-stats.c          clock, samples, kernel counters, machine facts
 *   bench-report.c         result tables and targets, as text or JSON
 *   bench-plot.c           the plot of latency vs size, as SVG (--plot)
 *   bench-peer.c           the peer process (--serve, or forked locally)
 *   bench-lender.c         the lender's side: connections, buffers, one offer
 *   bench-raw.c            offers through the raw uAPI (no libvshmem)
 *   bench-suite-NAME.c     one per suite: sizes, stages, kstages, rate,
 *                          scatter, overhead, scaling, ffa, teardown
 */
#ifndef VSHMEM_BENCH_H
#define VSHMEM_BENCH_H

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
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <libvshmem/vshmem.h>
#include <libvshmem/vshmem-uring.h>
#include "../lib/vsock-shmem-uapi.h"

#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#include "cli.h"
#include "common.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define STATS_PATH "/sys/kernel/debug/vsock_shmem/stats"
/* The FF-A counters of OP-TEE's ffa_dma device (partition 0x8001), which
 * only the arm64 guest behind TF-A + OP-TEE has (suites ffa, stages). */
#define FFA_DMA_DIR "/sys/kernel/debug/ffa_dma"
#define FFA_STATS_PATH FFA_DMA_DIR "/ffa-dma-8001/stats"
#define CMD_MAGIC 0x76736862u	/* "vshb" */
/* Wait for releases without a timeout: a timeout costs a poll() per
 * wait, which the raw and the copy paths do not pay. */
#define WAIT_MS -1

/* ------------------------------------------------------------------ */
/* options and errors (vshmem-bench.c)                                 */

struct bench_opts {
	unsigned int suites;
	uint64_t min_size, max_size, scatter_size;
	unsigned int max_outstanding;
	double min_time;
	unsigned int min_reps, max_reps, window;
	bool json, icount, quiet;
	const char *json_file, *plot_file;
	unsigned int cid, port;
	bool remote, serve;
	unsigned int serve_port;
	const char *serve_uds;	/* --uds: serve a guest from its host */
};
extern struct bench_opts opt;

enum {
	S_SIZES = 1 << 0,
	S_RATE = 1 << 1,
	S_SCATTER = 1 << 2,
	S_OVERHEAD = 1 << 3,
	S_SCALING = 1 << 4,
	S_FFA = 1 << 5,
	S_TEARDOWN = 1 << 6,
	S_STAGES = 1 << 7,
	S_KSTAGES = 1 << 8,
	S_DEFAULT = S_SIZES | S_STAGES | S_RATE | S_SCATTER | S_OVERHEAD |
		    S_SCALING | S_TEARDOWN,
};

void die(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------ */
/* bench-stats.c                                                       */

uint64_t now_ns(void);
const char *size_str(uint64_t v, char *buf, size_t len);

struct samples {
	double *v;
	size_t n, cap;
};

void sample_add(struct samples *s, double v);
double sample_median(struct samples *s);
void sample_reset(struct samples *s);
void sample_free(struct samples *s);
/* Go on while fewer than min_reps or less than min_time have passed. */
bool more_reps(unsigned int reps, uint64_t t0);

#define MAX_STATS 32

struct kstats {
	bool present;
	unsigned int n;
	char name[MAX_STATS][32];
	long long v[MAX_STATS];
};

void kstats_read(struct kstats *k);
/* Counter delta, or NAN when the kernel has no such counter. */
double kstats_delta(const struct kstats *a, const struct kstats *b,
		    const char *name);
/* Append word to a space-separated list in dst (truncated if full). */
void list_append(char *dst, size_t len, const char *word);

struct machine {
	char kernel[128], cpu[128], mem[32], heaps[128], counters[256];
	long cpus;
	uint64_t caps;
};
extern struct machine machine;
void machine_read(void);

/* ------------------------------------------------------------------ */
/* bench-report.c                                                      */

enum col_type { C_SIZE, C_TIME, C_RATIO, C_COUNT, C_RATE, C_PCT, C_STR };

struct col {
	const char *key, *head;
	enum col_type type;
};

#define MAX_COLS 20
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

struct table *table_new(const char *key, const char *title,
			const struct col *cols, unsigned int ncols);
/* Append a row; values in column order: double for numbers (NAN = n/a),
 * const char * for C_STR columns (NULL = n/a). */
void table_row(struct table *t, ...);

struct target {
	char name[64];
	char goal[64];
	char measured[128];
	const char *status;	/* "met", "missed", "n/a" */
	char why[256];
};

struct target *target_add(const char *name, const char *goal);
void print_text(FILE *f);
void print_json(FILE *f);
/* The table of that key, or NULL. */
const struct table *table_find(const char *key);

/* ------------------------------------------------------------------ */
/* bench-plot.c                                                        */

/* Latency vs size of the sizes table (else the ffa table) as an SVG;
 * -ENODATA when the run has neither, -EIO when f failed. */
int print_svg(FILE *f);

/* ------------------------------------------------------------------ */
/* bench-peer.c, bench-lender.c, bench-raw.c                           */

enum { OP_OFFERS = 1, OP_COPY = 2 };

struct bench_cmd {
	uint32_t magic;
	uint32_t op;
	uint64_t hold;		/* OP_OFFERS: keep the first N offers */
};

#define COPY_SOCKBUF (2 * MiB)

int read_full(int fd, void *p, size_t len);
int write_full(int fd, const void *p, size_t len);
void set_vsock_buffer(int fd, uint64_t size);
void raise_nofile(void);
/* Listen on PORT (SEQPACKET, offers) and PORT+1 (STREAM, copies); one
 * child per connection. Writes one byte to ready_fd (if >= 0) when
 * listening. With opt.serve_uds, on a VM's host: the guest's connections
 * to host port PORT come through vhost-user-vsock's Unix socket (framed,
 * vshmem_channel_listen_uds()), those to PORT+1 as a plain Unix stream on
 * <uds>_<PORT+1>. Does not return. */
void serve(unsigned int port, int ready_fd) __attribute__((noreturn));
void peer_start(void);
void peer_stop(void);
extern pid_t peer_pid;	/* the local peer, or -1 */

struct vshmem_channel *offer_channel(uint64_t hold);
int copy_connect(void);
/* (c): send size bytes, wait for the peer's 1-byte ack. */
uint64_t copy_once(int fd, const void *src, uint64_t size);
/* (a), (b): offer, wait until the peer relinquished it. */
uint64_t offer_once(struct vshmem_channel *ch, struct vshmem_buf *buf);
/* The same; *sent: the part until vshmem_offer_send() returned. */
uint64_t offer_once_split(struct vshmem_channel *ch, struct vshmem_buf *buf,
			  uint64_t *sent);
/* The heaps the per-heap suites compare: SHARE, LEND, LEND never mapped. */
#define NHEAPS 3
extern const char *const bench_heaps[NHEAPS];
struct vshmem_heap *heap_open(const char *name, bool required);
struct vshmem_buf *buf_alloc(struct vshmem_heap *heap, uint64_t size);
void *buf_fill(struct vshmem_buf *b, unsigned char pattern);

uint32_t raw_type(int fd);
/* What a program without libvshmem writes: one cmsg, one sendmsg. */
void raw_offer(int fd, int buf_fd, uint32_t type, uint64_t id);
void raw_wait_relinquish(int fd, uint64_t id);
/* Both: the round trip in ns; *sent: the part until sendmsg() returned. */
uint64_t raw_offer_once_split(int fd, int buf_fd, uint32_t type, uint64_t id,
			      uint64_t *sent);
struct msghdr;
struct vsock_shmem;
int raw_shmem_of(struct msghdr *msg, struct vsock_shmem *d);

/* ------------------------------------------------------------------ */
/* bench-suite-stages.c: the transport's path, also for kstages         */

/*
 * The path the stages suites measure: the one the transport under the
 * channel gives (loopback, FF-A to OP-TEE, guest -> host virtio), so that
 * they ask the same question in each guest the bench scripts boot.
 */
struct stage_path {
	const char *name;	/* in the title */
	const char *what;	/* the note's account of send and back */
	uint32_t raw_type;	/* 0: vshmem_offer_send(); else raw offers */
	const uint64_t *sizes;
	unsigned int nsizes;
};
const struct stage_path *stage_path_pick(void);
/* One offer of b on ch the path's way, until its RELINQUISH was read:
 * the round trip; *sent: the part until the send returned. */
uint64_t stage_offer(const struct stage_path *p, struct vshmem_channel *ch,
		     struct vshmem_buf *b, uint64_t *sent);

/* ------------------------------------------------------------------ */
/* the suites, one file each                                           */

void suite_sizes(void);
void suite_stages(void);
void suite_kstages(void);
void suite_rate(void);
void suite_scatter(void);
void suite_overhead(void);
void suite_scaling(void);
void suite_ffa(void);
void suite_teardown(void);

#endif
