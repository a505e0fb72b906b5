// SPDX-License-Identifier: GPL-2.0
/*
 * bench_attach: attach and view figures for scripts/bench.sh.
 *
 *   bench_attach [--runs N] TARGET
 *	N cold attaches (default 20), each in a fresh process (fork + exec of
 *	this binary with --once): median, min and max of the total and of
 *	each stage (vmiaas_info.attach_ns[]), and of the whole process
 *	(fork to exit: exec, dynamic linking, attach, close). These are wall
 *	times; total_cpu (CPU time of vmiaas_open(), user and system) and
 *	process_cpu (the child's rusage) are not stretched by other
 *	processes on a loaded host.
 *   bench_attach --once TARGET
 *	one attach; prints "once TOTAL BACKEND KERNEL KALLSYMS BTF BACKEND-NAME
 *	NR-SYMBOLS NR-BTF-TYPES CPU" (times in ns).
 *   bench_attach --ps M TARGET
 *	one attach, then M calls of vmiaas_tasks(): median, min, max.
 *   bench_attach --membw FILE
 *	the host's memory bandwidth on FILE (mmap'ed, populated): memcpy of
 *	the whole file, 2 MiB at a time, into one buffer; best of 5 passes.
 *
 * TARGET is --shm FILE [--qmp SOCK] | --pid PID [--qmp SOCK] | --dump FILE.
 * Every figure line starts with a keyword and carries key=value pairs, for
 * scripts to parse:
 *   attach stage=NAME runs=N median_ms=.. min_ms=.. max_ms=..
 *   ps tasks=N calls=M median_ms=.. min_ms=.. max_ms=..
 *   membw bytes=N best_gbps=.. median_gbps=..
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vmiaas/vmiaas.h>

/* stages, total, process; then CPU times of total and process */
#define NSTAT	(VMIAAS_STAGE_NR + 4)

static const char *const stat_names[NSTAT] = {
	"backend", "kernel", "kallsyms", "btf", "total", "process",
	"total_cpu", "process_cpu",
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL + tv->tv_usec * 1000ULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; median (mean of the middle two when even), min, max. */
static void stats(uint64_t *v, size_t n, double *med, double *min,
		  double *max)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
	*min = v[0];
	*max = v[n - 1];
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_attach [--runs N | --once | --ps M] TARGET\n"
		"       bench_attach --membw FILE\n"
		"TARGET: --shm FILE [--qmp SOCK] | --pid PID [--qmp SOCK] | --dump FILE\n");
	exit(2);
}

static int open_target(const struct vmiaas_target *t, struct vmiaas **v)
{
	struct vmiaas_diag diag = { 0 };
	int err = vmiaas_open(t, v, &diag);

	if (err)
		fprintf(stderr, "bench_attach: attach: %s\n",
			diag.msg[0] ? diag.msg : strerror(-err));
	return err;
}

static int run_once(const struct vmiaas_target *t)
{
	const struct vmiaas_info *info;
	struct vmiaas *v;
	uint64_t t0, c0, total, cpu;

	c0 = cpu_ns();
	t0 = now_ns();
	if (open_target(t, &v))
		return 3;
	total = now_ns() - t0;
	cpu = cpu_ns() - c0;
	info = vmiaas_info(v);
	printf("once %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	       " %s %u %u %" PRIu64 "\n", total,
	       info->attach_ns[VMIAAS_STAGE_BACKEND],
	       info->attach_ns[VMIAAS_STAGE_KERNEL],
	       info->attach_ns[VMIAAS_STAGE_KALLSYMS],
	       info->attach_ns[VMIAAS_STAGE_BTF], info->backend,
	       info->nr_symbols, info->nr_btf_types, cpu);
	vmiaas_close(v);
	return 0;
}

/* One child: exec'd afresh, its "once" line read back through a pipe. */
static int run_child(char **child_argv, uint64_t *out)
{
	char buf[512], backend[16] = "";
	unsigned int nsym = 0, nbtf = 0;
	uint64_t t0 = now_ns();
	struct rusage ru;
	int pfd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(pfd[1], 1);
		execv("/proc/self/exe", child_argv);
		_exit(127);
	}
	close(pfd[1]);
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(pfd[0]);
	if (wait4(pid, &status, 0, &ru) < 0)
		return -errno;
	out[5] = now_ns() - t0;
	out[7] = tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	if (sscanf(buf, "once %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %15s %u %u %" SCNu64, &out[4], &out[0],
		   &out[1], &out[2], &out[3], backend, &nsym, &nbtf,
		   &out[6]) != 9)
		return -EBADMSG;
	static int said;
	if (!said++)
		printf("target backend=%s symbols=%u btf_types=%u\n", backend,
		       nsym, nbtf);
	return 0;
}

static int run_cold(int runs, char **argv, int argc)
{
	char **child_argv = calloc(argc + 2, sizeof(*child_argv));
	uint64_t *v[NSTAT];
	int i, s, err;

	if (!child_argv)
		return 1;
	child_argv[0] = argv[0];
	child_argv[1] = "--once";
	for (i = 1; i < argc; i++)
		child_argv[i + 1] = argv[i];
	for (s = 0; s < NSTAT; s++)
		v[s] = calloc(runs, sizeof(uint64_t));
	for (i = 0; i < runs; i++) {
		uint64_t out[NSTAT];

		err = run_child(child_argv, out);
		if (err) {
			fprintf(stderr, "bench_attach: run %d failed: %s\n", i,
				strerror(-err));
			return 3;
		}
		for (s = 0; s < NSTAT; s++)
			v[s][i] = out[s];
	}
	for (s = 0; s < NSTAT; s++) {
		double med, min, max;

		stats(v[s], runs, &med, &min, &max);
		printf("attach stage=%s runs=%d median_ms=%.3f min_ms=%.3f max_ms=%.3f\n",
		       stat_names[s], runs, med / 1e6, min / 1e6, max / 1e6);
		free(v[s]);
	}
	free(child_argv);
	return 0;
}

static int run_ps(const struct vmiaas_target *t, int calls)
{
	uint64_t *ns = calloc(calls, sizeof(*ns));
	struct vmiaas_task *tasks;
	double med, min, max;
	size_t nr = 0, nr_user = 0, k;
	struct vmiaas *v;
	int i, err;

	if (!ns || open_target(t, &v))
		return 3;
	for (i = 0; i < calls; i++) {
		uint64_t t0 = now_ns();

		err = vmiaas_tasks(v, &tasks, &nr);
		ns[i] = now_ns() - t0;
		if (err) {
			fprintf(stderr, "bench_attach: vmiaas_tasks: %s\n",
				strerror(-err));
			return 3;
		}
		if (i == calls - 1)
			for (k = 0; k < nr; k++)
				nr_user += tasks[k].mm != 0;
		free(tasks);
	}
	stats(ns, calls, &med, &min, &max);
	printf("ps tasks=%zu user=%zu calls=%d median_ms=%.3f min_ms=%.3f max_ms=%.3f\n",
	       nr, nr_user, calls, med / 1e6, min / 1e6, max / 1e6);
	vmiaas_close(v);
	free(ns);
	return 0;
}

static int run_membw(const char *path)
{
	const size_t chunk = 2 << 20;
	uint64_t best = UINT64_MAX, ns[5];
	double med, min, max;
	struct stat st;
	char *dst;
	void *map;
	int fd, pass;
	size_t off;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "bench_attach: %s: %s\n", path, strerror(errno));
		return 1;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd,
		   0);
	close(fd);
	dst = malloc(chunk);
	if (map == MAP_FAILED || !dst) {
		fprintf(stderr, "bench_attach: mmap %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	memset(dst, 0, chunk);
	for (pass = 0; pass < 5; pass++) {
		uint64_t t0 = now_ns();

		for (off = 0; off + chunk <= (size_t)st.st_size; off += chunk) {
			memcpy(dst, (char *)map + off, chunk);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		ns[pass] = now_ns() - t0;
		if (ns[pass] < best)
			best = ns[pass];
	}
	stats(ns, 5, &med, &min, &max);
	printf("membw bytes=%jd best_gbps=%.2f median_gbps=%.2f\n",
	       (intmax_t)st.st_size, st.st_size / (double)best,
	       st.st_size / med);
	munmap(map, st.st_size);
	free(dst);
	return 0;
}

int main(int argc, char **argv)
{
	struct vmiaas_target t = { .sz = sizeof(t) };
	int runs = 20, calls = 0, once = 0, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--once")) {
			once = 1;
			continue;
		}
		if (!arg)
			usage();
		if (!strcmp(a, "--runs"))
			runs = atoi(arg);
		else if (!strcmp(a, "--ps"))
			calls = atoi(arg);
		else if (!strcmp(a, "--membw"))
			return run_membw(arg);
		else if (!strcmp(a, "--shm"))
			t.shm_path = arg;
		else if (!strcmp(a, "--qmp"))
			t.qmp_path = arg;
		else if (!strcmp(a, "--pid"))
			t.pid = atoi(arg);
		else if (!strcmp(a, "--dump"))
			t.dump_path = arg;
		else
			usage();
		i++;
	}
	if (!!t.shm_path + !!t.pid + !!t.dump_path != 1 || runs < 1 ||
	    calls < 0)
		usage();
	if (once)
		return run_once(&t);
	if (calls)
		return run_ps(&t, calls);
	/* The children get the target options only, not --runs. */
	{
		char **args = calloc(argc + 1, sizeof(*args));
		int n = 1;

		args[0] = argv[0];
		for (i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--runs")) {
				i++;
				continue;
			}
			args[n++] = argv[i];
		}
		return run_cold(runs, args, n);
	}
}
