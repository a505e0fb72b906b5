// SPDX-License-Identifier: GPL-2.0
/*
 * bench_hidden: the checks without a baseline, alone, in CPU time.
 *
 *   bench_hidden [--runs R] --shm FILE --qmp SOCK
 *
 * Attaches once, then runs hidden-module, the task census
 * (hidden-process + credentials), kernel-mapping and notifier-hook R
 * times each, interleaved, and prints
 * per check the median and minimum CPU time of this thread
 * (CLOCK_THREAD_CPUTIME_ID: this host is shared, wall time is not the
 * cost) and the page walks the last run needed (translation cache
 * misses). Findings are counted, not printed. Prints "key=value" lines.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "userspace/lib/checks.h"
#include "userspace/lib/engine.h"
#include "userspace/lib/hidden.h"

#define RUNS_MAX	10000

static u64 cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static struct vmiaas_finding *count_add(void *ctx, const char *check,
					u32 severity, const char *object)
{
	static struct vmiaas_finding f;

	(*(size_t *)ctx)++;
	memset(&f, 0, sizeof(f));
	return &f;
}

static int (*const checks[])(struct vmiaas *, const struct hidden_sink *) = {
	hidden_check_modules, hidden_check_tasks, check_kmap, check_notifiers,
};
static const char *const names[] = { "modules", "tasks", "kernel-mapping",
				     "notifiers" };
#define NR_CHECKS	ARRAY_SIZE(checks)

static int bench(struct vmiaas *v, int runs)
{
	size_t nr_findings = 0;
	const struct hidden_sink sink = { .add = count_add, .ctx = &nr_findings };
	u64 *ns[NR_CHECKS], walks[NR_CHECKS] = { 0 }, t0, w0;
	size_t c;
	int r, err = 0;

	for (c = 0; c < NR_CHECKS; c++) {
		ns[c] = calloc(runs, sizeof(u64));
		if (!ns[c])
			err = -ENOMEM;
	}
	for (r = 0; r < runs && !err; r++) {
		for (c = 0; c < NR_CHECKS && !err; c++) {
			w0 = v->kas->walks;
			t0 = cpu_ns();
			err = checks[c](v, &sink);
			ns[c][r] = cpu_ns() - t0;
			walks[c] = v->kas->walks - w0;
		}
	}
	for (c = 0; c < NR_CHECKS && !err; c++) {
		qsort(ns[c], runs, sizeof(u64), cmp_u64);
		printf("hidden check=%s runs=%d median_cpu_ms=%.3f min_cpu_ms=%.3f walks=%llu\n",
		       names[c], runs, ns[c][runs / 2] / 1e6, ns[c][0] / 1e6,
		       (unsigned long long)walks[c]);
	}
	if (!err)
		printf("hidden findings=%zu\n", nr_findings);
	for (c = 0; c < NR_CHECKS; c++)
		free(ns[c]);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "shm", required_argument, NULL, 's' },
		{ "qmp", required_argument, NULL, 'q' },
		{ 0 }
	};
	struct vmiaas_target t = { .sz = sizeof(t) };
	struct vmiaas_diag diag = { 0 };
	struct vmiaas *v = NULL;
	int runs = 50, o, err;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'r')
			runs = atoi(optarg);
		else if (o == 's')
			t.shm_path = optarg;
		else if (o == 'q')
			t.qmp_path = optarg;
		else
			return 2;
	}
	if (!t.shm_path || runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "usage: bench_hidden [--runs 1..%d] --shm FILE --qmp SOCK\n",
			RUNS_MAX);
		return 2;
	}
	err = vmiaas_open(&t, &v, &diag);
	if (err) {
		fprintf(stderr, "bench_hidden: %s\n", diag.msg);
		return 1;
	}
	err = bench(v, runs);
	if (err)
		fprintf(stderr, "bench_hidden: %s (%d)\n",
			vmiaas_last_diag(v)->msg, err);
	vmiaas_close(v);
	return err ? 1 : 0;
}
