// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-bench: suite kstages (the kernel's stages of an offer, by size).
 *
 * The stages suite splits an offer where the lender's thread sees it; this
 * one asks the kernel. It runs the function_graph tracer, limited to the
 * functions that make up an offer's stages (attach, map, the transport's
 * send, the descriptor's arrival, the borrower's import and fd, its
 * release, unmap, detach), offers buffers of each size and heap one point
 * at a time, and reads the durations the tracer recorded. Only a kernel
 * built with tracing has the tracer (kernel/scripts/build.sh --trace); the
 * test kernels have none.
 */

#include "bench.h"
#include <sys/mount.h>

/* A stage's kernel functions, on any transport, in the order of the
 * table's stage columns; within: part of another stage's time (not summed
 * twice). */
struct kstage {
	const char *funcs[3];
	bool within;
};

static const struct kstage kstages[] = {
	{ { "dma_buf_attach_attrs" }, false },
	{ { "dma_buf_map_attachment_unlocked" }, false },
	{ { "ffa_memory_share", "ffa_memory_lend" }, false },
	{ { "vsock_shmem_local_send", "virtio_transport_shmem_send" }, false },
	{ { "vsock_shmem_rx" }, false },
	{ { "vsock_shmem_local_import" }, false },
	{ { "receive_fd" }, false },
	{ { "vsock_shmem_local_unimport" }, false },
	{ { "dma_buf_unmap_attachment_unlocked" }, false },
	{ { "dma_buf_detach" }, false },
	{ { "ffa_memory_reclaim" }, true },
};
#define NSTAGES NCOLS(kstages)

static const struct col kstages_cols[] = {
	{ "size", "size", C_SIZE },
	{ "heap", "heap", C_STR },
	{ "attach_ns", "attach", C_TIME },
	{ "map_ns", "map", C_TIME },
	{ "give_ns", "give", C_TIME },
	{ "send_ns", "send", C_TIME },
	{ "rx_ns", "rx", C_TIME },
	{ "import_ns", "import", C_TIME },
	{ "fd_ns", "fd", C_TIME },
	{ "unimport_ns", "unimport", C_TIME },
	{ "unmap_ns", "unmap", C_TIME },
	{ "detach_ns", "detach", C_TIME },
	{ "reclaim_ns", "reclaim", C_TIME },
	{ "stages_ns", "stages", C_TIME },
	{ "round_trip_ns", "round trip", C_TIME },
	{ "reps", "reps", C_COUNT },
};


static char trace_dir[64];

/* Write s to the tracing file name; -errno on failure. */
static int trace_write(const char *name, const char *s, bool append)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", trace_dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void trace_must(const char *name, const char *s)
{
	int ret = trace_write(name, s, false);

	if (ret < 0)
		die(ret, "write '%s' to %s/%s", s, trace_dir, name);
}

/* tracefs where it is, mounted if needed; false if the kernel has none. */
static bool trace_find(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing",
					    "/sys/kernel/debug/tracing" };
	char path[96];

	for (unsigned int i = 0; i < NCOLS(dirs); i++) {
		snprintf(path, sizeof(path), "%s/available_tracers", dirs[i]);
		if (access(path, R_OK) && i == 0)
			mount("tracefs", dirs[i], "tracefs", 0, NULL);
		if (!access(path, R_OK)) {
			snprintf(trace_dir, sizeof(trace_dir), "%s", dirs[i]);
			return true;
		}
	}
	return false;
}

/* function_graph on the stage functions this kernel has; how many. */
static unsigned int trace_setup(void)
{
	unsigned int n = 0;

	trace_must("tracing_on", "0");
	trace_must("current_tracer", "nop");
	trace_must("set_ftrace_filter", "");
	for (unsigned int s = 0; s < NSTAGES; s++)
		for (unsigned int f = 0; f < 3 && kstages[s].funcs[f]; f++)
			if (!trace_write("set_ftrace_filter",
					 kstages[s].funcs[f], true))
				n++;
	if (!n)
		return 0;
	trace_must("buffer_size_kb", "8192");
	if (trace_write("current_tracer", "function_graph", false))
		return 0;
	/* the function's name on its closing brace; no interrupts */
	trace_must("options/funcgraph-tail", "1");
	trace_must("options/funcgraph-irqs", "0");
	return n;
}

static void trace_teardown(void)
{
	trace_write("tracing_on", "0", false);
	trace_write("current_tracer", "nop", false);
	trace_write("set_ftrace_filter", "", false);
}

static int kstage_of(const char *fn)
{
	for (unsigned int s = 0; s < NSTAGES; s++)
		for (unsigned int f = 0; f < 3 && kstages[s].funcs[f]; f++)
			if (!strcmp(fn, kstages[s].funcs[f]))
				return (int)s;
	return -1;
}

/*
 * One line of function_graph output with a duration: a leaf
 * " 0)   1.234 us    |  name();" or a closing brace with funcgraph-tail
 * " 0) + 12.34 us    |  } /" "* name *" "/". Adds the duration in ns to
 * the stage of name.
 */
static void trace_line(const char *line, struct samples *st)
{
	const char *bar = strchr(line, '|'), *p = strchr(line, ')');
	char fn[64];
	double us;
	int s;

	if (!bar || !p || p > bar)
		return;
	p += 1 + strspn(p + 1, " +!#*@$");	/* the duration's markers */
	if (sscanf(p, "%lf us", &us) != 1 || !strstr(p, "us") ||
	    strstr(p, "us") > bar)
		return;
	for (p = bar + 1; *p == ' '; p++)
		;
	if (!strncmp(p, "} /* ", 5)) {
		if (sscanf(p + 5, "%63[^ *]", fn) != 1)
			return;
	} else if (sscanf(p, "%63[^(](", fn) != 1 || !strstr(p, "();")) {
		return;
	}
	s = kstage_of(fn);
	if (s >= 0)
		sample_add(&st[s], us * 1e3);
}

static void trace_read(struct samples *st)
{
	char path[96], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	f = fopen(path, "re");
	if (!f)
		die(-errno, "open %s", path);
	while (getline(&line, &cap, f) > 0)
		trace_line(line, st);
	free(line);
	fclose(f);
}

/* Offer b reps times the path's way with the tracer on; the stages'
 * durations in st. */
static void kstage_point(const struct stage_path *p, struct vshmem_channel *ch,
			 struct vshmem_buf *b, struct samples *st,
			 struct samples *rt)
{
	unsigned int reps = 0;
	uint64_t t0, sent;

	stage_offer(p, ch, b, &sent);	/* warm-up, untraced */
	trace_must("trace", "");
	trace_must("tracing_on", "1");
	t0 = now_ns();
	while (more_reps(reps, t0)) {
		sample_add(rt, (double)stage_offer(p, ch, b, &sent));
		reps++;
	}
	trace_must("tracing_on", "0");
	trace_read(st);
}

static void kstage_row(struct table *t, uint64_t size, const char *heap,
		       struct samples *st, struct samples *rt)
{
	double v[NSTAGES], sum = 0;
	double reps = (double)rt->n;

	/* per offer: a stage's median call times its calls per offer */
	for (unsigned int s = 0; s < NSTAGES; s++) {
		v[s] = st[s].n ? sample_median(&st[s]) : NAN;
		if (st[s].n && !kstages[s].within)
			sum += v[s] * (double)st[s].n / reps;
	}
	table_row(t, (double)size, heap, v[0], v[1], v[2], v[3], v[4], v[5],
		  v[6], v[7], v[8], v[9], v[10], sum, sample_median(rt), reps);
}

void suite_kstages(void)
{
	const struct stage_path *p = stage_path_pick();
	static char title[128];
	struct table *t;
	struct vshmem_channel *ch;
	unsigned int nfuncs;

	if (!trace_find())
		die(-ENOTSUP, "kstages: this kernel has no tracefs; build one with kernel/scripts/build.sh --trace");
	nfuncs = trace_setup();
	if (!nfuncs) {
		trace_teardown();
		die(-ENOTSUP, "kstages: no function_graph tracer or none of the stage functions in %s; build the kernel with kernel/scripts/build.sh --trace",
		    trace_dir);
	}
	snprintf(title, sizeof(title),
		 "The kernel's stages of an offer, by size (%s; function_graph, median per call)",
		 p->name);
	t = table_new("kstages", title, kstages_cols, NCOLS(kstages_cols));
	t->note = "attach/map: dma_buf_attach_attrs(), dma_buf_map_attachment_unlocked() (LEND: the revocation and the\n"
		  "loan); give: FFA_MEM_SHARE/FFA_MEM_LEND into the SPMC (FF-A only, after map); send: the transport's\n"
		  "descriptor build and queueing; rx: a descriptor arriving in a socket (offer and RELINQUISH alike);\n"
		  "import/fd: the loopback borrower's dma-buf and receive_fd(); unimport: the borrower lets go;\n"
		  "unmap/detach: the lender's side (LEND: reclaim); reclaim: FFA_MEM_RECLAIM (FF-A only, inside unmap).\n"
		  "n/a: not on this transport's path. stages: sum per offer (median call x calls per offer; reclaim\n"
		  "is in unmap already, the DMA operations' unmap makes the call). round trip: one offer the path's way\n"
		  "(as the stages suite) with the tracer on. Functions the kernel inlines cannot be traced.";
	ch = offer_channel(0);
	for (unsigned int h = 0; h < NHEAPS; h++) {
		struct vshmem_heap *heap = heap_open(bench_heaps[h], h == 0);

		for (unsigned int i = 0; heap && i < p->nsizes; i++) {
			uint64_t size = p->sizes[i];
			struct samples st[NSTAGES] = { 0 }, rt = { 0 };
			struct vshmem_buf *b;
			char sz[16];

			if (size < opt.min_size || size > opt.max_size)
				continue;
			progress("kstages: %s heap, %s ...", bench_heaps[h],
				 size_str(size, sz, sizeof(sz)));
			b = buf_alloc(heap, size);
			buf_fill(b, 0x5a);
			kstage_point(p, ch, b, st, &rt);
			kstage_row(t, size, bench_heaps[h], st, &rt);
			vshmem_buf_close(b);
			for (unsigned int s = 0; s < NSTAGES; s++)
				sample_free(&st[s]);
			sample_free(&rt);
		}
		vshmem_heap_close(heap);
	}
	vshmem_channel_close(ch);
	trace_teardown();
}
