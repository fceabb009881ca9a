// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The case runner of the in-guest tests: TAP on stdout, every case in a
 * child process of its own (its process group is killed afterwards, so a
 * helper it left behind dies with it), a skip's reason shown, a time per
 * case.
 */
#include <stdarg.h>
#include <time.h>

#include "harness.h"

/* The reason of a skip, written by the case's child into a page shared
 * with the runner. */
static char *vt_skip_reason;

int vt_skip(const char *fmt, ...)
{
	va_list ap;

	if (vt_skip_reason) {
		va_start(ap, fmt);
		vsnprintf(vt_skip_reason, 256, fmt, ap);
		va_end(ap);
	}
	return VT_SKIP;
}

void vt_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static unsigned int vt_timeout(void)
{
	const char *t = getenv("VT_CASE_TIMEOUT");

	return t && atoi(t) > 0 ? (unsigned int)atoi(t) : 120;
}

void vt_watchdog(unsigned int s)
{
	alarm(s);
}

/* 0 pass, VT_FAIL, or VT_SKIP (reason in vt_skip_reason) */
static int vt_run_one(const struct vt_case *c)
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

static bool selected(const char *name, int argc, char **argv)
{
	bool sel = argc < 2;

	for (int a = 1; a < argc; a++)
		sel |= !strcmp(argv[a], name);
	return sel;
}

int vt_main(const struct vt_case *cases, size_t n, int argc, char **argv)
{
	int failed = 0, num = 0, planned = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		planned += selected(cases[i].name, argc, argv);
	printf("1..%d\n", planned);
	for (size_t i = 0; i < n; i++) {
		struct timespec t0, t1;
		int r;

		if (!selected(cases[i].name, argc, argv))
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
