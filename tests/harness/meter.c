// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Leak meters and kernel files of the in-guest tests: open fds, the
 * vsock_shmem debugfs counters (the one stats reader), live dma-bufs,
 * MemFree, and the debugfs knobs of fault injection.
 */
#include <dirent.h>

#include "harness.h"

#define VT_STATS "/sys/kernel/debug/vsock_shmem/stats"

/* Entries of a directory, "." and ".." aside. */
static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int vt_fd_count(void)
{
	int n = dir_entries("/proc/self/fd");

	return n < 0 ? n : n - 1;	/* the directory's own fd */
}

bool vt_loopback_ffa(void)
{
	return dir_entries("/sys/bus/arm_ffa/devices") > 0;
}

int hx_stats_read(const char *path, const char *const *names,
		  long long *vals, size_t n)
{
	char key[64];
	long long v;
	int found = 0;
	FILE *f;

	for (size_t i = 0; i < n; i++)
		vals[i] = -1;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		for (size_t i = 0; i < n; i++)
			if (!strcmp(key, names[i])) {
				found += vals[i] < 0;
				vals[i] = v;
			}
	fclose(f);
	return found;
}

long long vt_stat(const char *name)
{
	long long v;
	int ret = hx_stats_read(VT_STATS, &name, &v, 1);

	if (ret < 0)
		vt_diag("%s: %s", VT_STATS, strerror(-ret));
	else if (v < 0)
		vt_diag("no counter '%s' in %s", name, VT_STATS);
	return v;
}

int vt_wait_outstanding(long long want)
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

/* The first line of path that scanf fmt (two numbers) matches. */
static int scan_file(const char *path, const char *fmt, long long *a,
		     long long *b)
{
	char line[512];
	int ret = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (ret < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, a, b) >= 1)
			ret = 0;
	fclose(f);
	return ret;
}

long vt_memfree_kb(void)
{
	long long kb = -1;

	scan_file("/proc/meminfo", "MemFree: %lld kB", &kb, NULL);
	return (long)kb;
}

long long raw_dmabuf_count(long long *bytes)
{
	long long n = -1, b = -1;

	if (scan_file("/sys/kernel/debug/dma_buf/bufinfo",
		      "Total %lld objects, %lld bytes", &n, &b) < 0)
		n = -1;
	if (bytes)
		*bytes = b;
	return n;
}

int raw_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

long long raw_read_ll(const char *path)
{
	char b[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? atoll(b) : -1;
}

int raw_meter_start(struct raw_meter *m)
{
	m->fds = vt_fd_count();
	m->outstanding = vt_stat("outstanding");
	return m->fds >= 0 && m->outstanding >= 0 ? 0 : VT_FAIL;
}

int raw_meter_check(const struct raw_meter *m)
{
	int fds = vt_fd_count();

	if (fds != m->fds) {
		vt_diag("open fds: %d before, %d after", m->fds, fds);
		return VT_FAIL;
	}
	return vt_wait_outstanding(m->outstanding);
}

int raw_case_open(struct raw_case *tc, const char *heap, uint64_t len,
		  int type)
{
	if (raw_meter_start(&tc->m))
		return VT_FAIL;
	tc->buf = raw_alloc(heap, len);
	if (tc->buf < 0) {
		vt_diag("%zu bytes of heap %s: %s", (size_t)len, heap,
			strerror(-tc->buf));
		return VT_FAIL;
	}
	if (raw_pair_open(&tc->p, type) < 0) {
		close(tc->buf);
		return VT_FAIL;
	}
	return 0;
}

int raw_case_close(struct raw_case *tc)
{
	raw_pair_close(&tc->p);
	close(tc->buf);
	return raw_meter_check(&tc->m);
}
