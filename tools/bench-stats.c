// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: clock, samples, kernel counters, machine facts. */

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *size_str(uint64_t v, char *buf, size_t len)
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


void sample_add(struct samples *s, double v)
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

double sample_median(struct samples *s)
{
	if (!s->n)
		return NAN;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	return s->n % 2 ? s->v[s->n / 2] :
			  (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

void sample_reset(struct samples *s)
{
	s->n = 0;
}

void sample_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Go on while fewer than min_reps or less than min_time have passed. */
bool more_reps(unsigned int reps, uint64_t t0)
{
	if (reps < opt.min_reps)
		return true;
	if (reps >= opt.max_reps)
		return false;
	return (double)(now_ns() - t0) / 1e9 < opt.min_time;
}

/* ------------------------------------------------------------------ */
/* machine facts and kernel counters                                   */


void kstats_read(struct kstats *k)
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
double kstats_delta(const struct kstats *a, const struct kstats *b,
			   const char *name)
{
	for (unsigned int i = 0; i < a->n; i++)
		for (unsigned int j = 0; j < b->n; j++)
			if (!strcmp(a->name[i], name) &&
			    !strcmp(b->name[j], name))
				return (double)(b->v[j] - a->v[i]);
	return NAN;
}

struct machine machine;

/* Append word to a space-separated list in dst (truncated if full). */
void list_append(char *dst, size_t len, const char *word)
{
	size_t l = strlen(dst), w = strlen(word);

	if (l && l + 1 < len)
		dst[l++] = ' ';
	if (l + w >= len)
		w = len - l - 1;
	memcpy(dst + l, word, w);
	dst[l + w] = 0;
}


void machine_read(void)
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

