// SPDX-License-Identifier: GPL-2.0
/*
 * bench_check: integrity-check figures for make bench (scripts/bench.sh).
 *
 *   bench_check --hash [--mib N] [--runs R]
 *       the page hashers alone (HMAC-SHA256, GMAC-AES-128, Poly1305-AES) over N MiB of
 *       memory, one 4 KiB page per MAC, contexts reused: GB/s, best and
 *       median of R; then the same through vmi_measure_range(), in
 *       place (what a check does on a RAM file) and with a memcpy read
 *       per page (what it does on other backends).
 *   bench_check --check [--runs R] --shm FILE --qmp SOCK
 *       attaches once, takes a baseline in memory (the default page MAC,
 *       or --mac ID), runs one warm-up
 *       check, then R full checks (vmiaas_check_run) and R runs of each
 *       part: median ms per part, and the hashing rate inside the check;
 *       then the full checks' own steps (v->check_mark), mean ms each,
 *       which add up to the full check's mean.
 *       --dirty: with the soft-dirty skip (userspace/lib/dirty.h) on, or
 *       a "dirty skip=off why=..." line saying why it cannot be.
 *       --all-clean: the skip's path with a host side that calls every
 *       page clean. UNSOUND, for timing only: what a check after no
 *       change costs on a host whose kernel keeps no soft-dirty bits.
 *       --baseline FILE --key KEY: against that baseline file (taken
 *       earlier with vmictl baseline, before a change worth timing: a
 *       static call switched) instead of one taken now.
 *
 * Prints "key=value" lines for scripts/bench.sh. One thread, one core.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "userspace/lib/checks.h"
#include "userspace/lib/dirty.h"
#include "userspace/lib/engine.h"
#include "userspace/lib/hidden.h"
#include "userspace/lib/hookpolicy.h"
#include "userspace/lib/vfsops.h"

static u64 clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static u64 now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* This thread's CPU time: what a loaded host does not stretch. */
static u64 cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static double median_ms(u64 *ns, int n)
{
	qsort(ns, n, sizeof(*ns), cmp_u64);
	return (n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2.0) / 1e6;
}

/* ---- --hash ---- */

static const u8 *hash_mem;

static int mem_read(void *ctx, u64 va, void *buf, size_t len)
{
	memcpy(buf, hash_mem + (va - *(u64 *)ctx), len);
	return 0;
}

static const void *mem_map(void *ctx, u64 va, size_t len)
{
	return hash_mem + (va - *(u64 *)ctx);
}

/* R runs of vmi_measure_range() over the buffer: prints a "hash" line. */
static int bench_range(const struct vmi_read_ops *rd,
		       const struct vmi_hash_ops *h, u32 mac, const char *mode,
		       u64 base, size_t mib, int runs, u8 *out, u64 *ns)
{
	u64 len = (u64)mib << 20, nr = len / VMI_MEASURE_PAGE, t0;
	u8 page[VMI_MEASURE_PAGE];
	double best = 0;
	int r, err = 0;

	for (r = 0; r < runs && !err; r++) {
		t0 = now_ns();
		err = vmi_measure_range(rd, h, base, base + len, page, out, nr);
		ns[r] = now_ns() - t0;
		if (len / (double)ns[r] > best)
			best = len / (double)ns[r];
	}
	if (!err)
		printf("hash mac=%s mode=%s mib=%zu best_gbps=%.2f median_gbps=%.2f\n",
		       bl_mac_name(mac), mode, mib, best,
		       len / (median_ms(ns, runs) * 1e6));
	return err;
}

static int bench_hash(size_t mib, int runs)
{
	static const u32 macs[] = {
		BL_MAC_HMAC_SHA256, BL_MAC_GMAC_AES128, BL_MAC_POLY1305_AES,
	};
	u64 base = 0xffffffff81000000ULL, len = (u64)mib << 20;
	u64 nr = len / VMI_MEASURE_PAGE, i, t0, *ns;
	struct vmi_read_ops rd = {
		.read = mem_read, .map = mem_map, .ctx = &base,
	};
	u8 key[32] = { 7 }, *mem, *out;
	size_t m;
	int r, err = 0;

	mem = malloc(len);
	out = malloc(nr * BL_DIGEST);
	ns = calloc(runs, sizeof(*ns));
	if (!mem || !out || !ns)
		return 1;
	for (i = 0; i < len; i++)
		mem[i] = (u8)(i * 131 + (i >> 12));
	hash_mem = mem;
	for (m = 0; m < ARRAY_SIZE(macs) && !err; m++) {
		struct vmi_hash_ops h;
		struct bl_hasher *hs;
		double best_direct = 0;

		err = bl_hasher_new(macs[m], key, &hs, &h);
		if (err)
			break;
		for (r = 0; r < runs; r++) {
			t0 = now_ns();
			for (i = 0; i < nr && !err; i++)
				err = h.digest(h.ctx, base + i * VMI_MEASURE_PAGE,
					       mem + i * VMI_MEASURE_PAGE,
					       VMI_MEASURE_PAGE,
					       out + i * h.digest_size);
			ns[r] = now_ns() - t0;
			if (len / (double)ns[r] > best_direct)
				best_direct = len / (double)ns[r];
		}
		printf("hash mac=%s mode=direct mib=%zu best_gbps=%.2f median_gbps=%.2f\n",
		       bl_mac_name(macs[m]), mib, best_direct,
		       len / (median_ms(ns, runs) * 1e6));
		err = bench_range(&rd, &h, macs[m], "in_place", base, mib, runs,
				  out, ns);
		rd.map = NULL;
		err = err ?: bench_range(&rd, &h, macs[m], "measure_range", base,
					 mib, runs, out, ns);
		rd.map = mem_map;
		bl_hasher_free(hs);
	}
	free(mem);
	free(out);
	free(ns);
	if (err)
		fprintf(stderr, "bench_check: hashing failed: %d\n", err);
	return err ? 1 : 0;
}

/* ---- --check ---- */

static struct vmiaas_finding *null_add(void *ctx, const char *check,
				       u32 severity, const char *object)
{
	static struct vmiaas_finding f;

	(*(size_t *)ctx)++;
	memset(&f, 0, sizeof(f));
	return &f;
}

static int null_run(void *ctx, u64 va, u64 len, const u8 *old, const u8 *now)
{
	return 0;
}

static struct vfs_stats vfs_stats;	/* of the last vfs-ops scan */

enum part {
	P_TOTAL, P_TEXT, P_RODATA, P_MODTEXT, P_TABLES, P_HIDDEN, P_EXEC,
	P_NET, P_TAPS, P_VFS, P_TP, P_UMH, P_NETPROTO, P_TTY, P_HWBP, P_NETDEV,
	P_NR,
};

static const char *const part_names[P_NR] = {
	"total", "kernel-text", "kernel-rodata", "module-text+rodata",
	"syscall+idt+cpu", "hidden+creds", "exec-memory",
	"netfilter+proc-ops", "packet-tap+input", "vfs-ops",
	"tracepoint-hook", "usermode-helper", "net-protocol", "tty-ldisc",
	"hw-breakpoint", "netdev-hook",
};

/*
 * The steps of vmiaas_check_run() (its v->check_mark calls), summed over
 * the P_TOTAL runs: a step's time runs from the previous mark (or the
 * call) to its own, so the steps and the tail add up to the total.
 */
#define STEPS_MAX	32

static struct steps {
	const char *name[STEPS_MAX];
	u64 ns[STEPS_MAX], cpu[STEPS_MAX];
	unsigned int nr, runs;
	u64 last_ns, last_cpu, total_ns, total_cpu;
} steps;

static void step_add(const char *name, u64 ns, u64 cpu)
{
	unsigned int i;

	for (i = 0; i < steps.nr && strcmp(steps.name[i], name); i++)
		;
	if (i == STEPS_MAX)
		return;
	if (i == steps.nr)
		steps.name[steps.nr++] = name;
	steps.ns[i] += ns;
	steps.cpu[i] += cpu;
}

static void step_mark(void *ctx, const char *name)
{
	u64 ns = now_ns(), cpu = cpu_ns();

	step_add(name, ns - steps.last_ns, cpu - steps.last_cpu);
	steps.last_ns = ns;
	steps.last_cpu = cpu;
}

/* The steps that hash pages (and compare what differs): not "the rest". */
static bool step_hashes(const char *name)
{
	return !strcmp(name, "kernel-text") || !strcmp(name, "kernel-rodata") ||
	       !strcmp(name, "module-text");
}

static void steps_report(void)
{
	u64 ns = 0, cpu = 0, rest_ns = 0, rest_cpu = 0;
	unsigned int i;

	if (!steps.runs)
		return;
	for (i = 0; i < steps.nr; i++) {
		printf("check step=%s mean_ms=%.3f cpu_mean_ms=%.3f\n",
		       steps.name[i], steps.ns[i] / 1e6 / steps.runs,
		       steps.cpu[i] / 1e6 / steps.runs);
		ns += steps.ns[i];
		cpu += steps.cpu[i];
		if (!step_hashes(steps.name[i])) {
			rest_ns += steps.ns[i];
			rest_cpu += steps.cpu[i];
		}
	}
	printf("check steps_sum_ms=%.3f cpu_steps_sum_ms=%.3f total_mean_ms=%.3f cpu_total_mean_ms=%.3f\n",
	       ns / 1e6 / steps.runs, cpu / 1e6 / steps.runs,
	       steps.total_ns / 1e6 / steps.runs,
	       steps.total_cpu / 1e6 / steps.runs);
	printf("check steps_rest_ms=%.3f cpu_steps_rest_ms=%.3f\n",
	       rest_ns / 1e6 / steps.runs, rest_cpu / 1e6 / steps.runs);
}

/* One run of part @p; 0 or a negative errno. */
static int run_part(struct vmiaas *v, struct vmiaas_baseline *b, int p)
{
	size_t nr_events = 0, n;
	const struct hidden_sink sink = { .add = null_add, .ctx = &nr_events };
	const struct bl_diff_ops ops = { .run = null_run };
	struct bl_region text = {
		.start = b->text_start, .end = b->text_end,
		.digests = b->text_digests, .bytes = b->text,
	};
	struct vmiaas_finding *f = NULL;
	struct vmiaas_syscall *sc = NULL;
	struct vmiaas_idt_gate *g = NULL;
	struct vmiaas_vcpu *vc = NULL;
	struct hook_trust trust = { .b = b };	/* section 25 compared */
	u64 base;
	int err;

	if (v->dirty && p != P_TOTAL)	/* vmiaas_check_run() does it */
		dirty_check_begin(v->dirty);
	switch (p) {
	case P_TOTAL:
		err = vmiaas_check_run(v, b, &f, &n);
		free(f);
		return err;
	case P_TEXT:
		return bl_region_diff(v, b, &text, "kernel text", &ops, NULL);
	case P_RODATA:
		return check_rodata(v, b, &sink);
	case P_MODTEXT:
		return check_modtext(v, b, &sink);
	case P_TABLES:		/* read as the checks read them: no symbols */
		err = engine_syscalls(v, false, &sc, &n);
		err = err ?: engine_idt(v, 0, false, &base, &g, &n);
		err = err ?: vmiaas_vcpus(v, &vc, &n);
		free(sc);
		free(g);
		free(vc);
		return err;
	case P_HIDDEN:
		err = hidden_check_modules(v, &sink);
		return err ?: hidden_check_tasks(v, &sink);
	case P_EXEC:		/* a fresh walk, as each check does */
		vmi_as_flush(v->kas);
		return check_exec(v, &sink);
	case P_NET:
		err = check_netfilter(v, &sink, NULL);
		return err ?: check_proc_ops(v, b, &sink);
	case P_TAPS:
		err = check_packet_taps(v, &sink, NULL);
		return err ?: check_input_handlers(v, &sink, NULL);
	case P_VFS:		/* one scan: a clean one is not repeated */
		return vfs_scan_once(v, &sink, &vfs_stats);
	case P_TP:
		return check_tracepoints(v, &sink, NULL);
	case P_UMH:		/* the strings, release agents, binfmt_misc */
		err = check_helpers(v, b, &sink);
		return err ?: check_umh_paths(v, b, &sink);
	case P_NETPROTO:	/* inet_protos, inet6_protos, proto_list */
		return check_net_protocols(v, &sink, NULL);
	case P_TTY:		/* disciplines, drivers, every tty reached */
		return check_tty_ldiscs(v, &sink, &trust);
	case P_HWBP:		/* info registers -a, every CPU's bp_per_reg */
		return check_hw_breakpoints(v, &sink, NULL);
	case P_NETDEV:		/* every device: rx_handler, tables, XDP */
		return check_netdev_hooks(v, &sink, NULL);
	}
	return -EINVAL;
}

static u64 module_bytes(const struct vmiaas_baseline *b)
{
	u64 n = 0;
	u32 i;

	for (i = 0; i < b->nr_modules; i++) {
		const struct bl_module *m = &b->modules[i];

		n += m->text.end - m->text.start;
		n += m->ro[0].end - m->ro[0].start;
		n += m->ro[1].end - m->ro[1].start;
	}
	return n;
}

/* --dirty: the soft-dirty skip on, or why it cannot be. */
static int dirty_on(struct vmiaas *v)
{
	char why[DIRTY_WHY_MAX];
	int err = dirty_open(v, &v->dirty, why);

	if (err == -EOPNOTSUPP)
		printf("dirty skip=off why=\"%s\"\n", why);
	return err == -EOPNOTSUPP ? 0 : err;
}

/* --all-clean's host side: every epoch starts, every page stayed clean. */
static int all_clean_epoch(void *ctx, uint64_t dev, uint64_t ino, char *why,
			   size_t size)
{
	return 0;
}

static int all_clean_bits(void *ctx, uint64_t first, uint8_t *bits)
{
	memset(bits, 0xff, VMIAAS_DIRTY_WINDOW / 8);
	return 0;
}

static int all_clean_on(struct vmiaas *v)
{
	static const struct vmiaas_dirty_ops ops = {
		.epoch = all_clean_epoch, .clean = all_clean_bits,
	};
	char why[DIRTY_WHY_MAX];
	int err = vmiaas_dirty_enable(v, &ops, NULL, why, sizeof(why));

	if (err)
		fprintf(stderr, "bench_check: --all-clean: %s\n", why);
	else
		printf("dirty skip=UNSOUND-all-clean (timing only)\n");
	return err;
}

static void dirty_report(const struct vmiaas *v)
{
	struct dirty_stats st;

	if (!v || !v->dirty)
		return;
	dirty_get_stats(v->dirty, &st);
	printf("dirty skip=on epochs=%llu pages_hashed=%llu pages_skipped=%llu\n",
	       (unsigned long long)st.epochs, (unsigned long long)st.hashed,
	       (unsigned long long)st.skipped);
}

/* The baseline: file @path with host key @key_path, or taken now. */
static int bench_baseline(struct vmiaas *v, const char *path,
			  const char *key_path, struct vmiaas_baseline **b)
{
	u8 key[VMIAAS_KEY_SIZE] = { 1 };
	int err;

	if (!path)
		return vmiaas_baseline_take(v, key, b);
	err = vmiaas_key_load(key_path, 0, key, &v->diag);
	return err ?: vmiaas_baseline_load(v, path, key, b);
}

static int bench_check(const struct vmiaas_target *t, int runs, int dirty,
		       const char *base_path, const char *key_path)
{
	struct vmiaas_diag diag = { 0 };
	struct vmiaas_baseline *b = NULL;
	struct vmiaas *v = NULL;
	double ms[P_NR], cpu_ms[P_NR];
	u64 *ns, *cns, t0, c0, hashed, walks = 0;
	int p, r, err;

	ns = calloc(runs, sizeof(*ns));
	cns = calloc(runs, sizeof(*cns));
	err = ns && cns ? vmiaas_open(t, &v, &diag) : -ENOMEM;
	err = err ?: bench_baseline(v, base_path, key_path, &b);
	if (!err && dirty == 'D')
		err = dirty_on(v);
	if (!err && dirty == 'A')
		err = all_clean_on(v);
	err = err ?: run_part(v, b, P_TOTAL);		/* warm-up */
	for (p = 0; p < P_NR && !err; p++) {
		if (p == P_TOTAL)
			walks = v->kas->walks;
		for (r = 0; r < runs && !err; r++) {
			t0 = now_ns();
			c0 = cpu_ns();
			if (p == P_TOTAL) {	/* and each of its steps */
				steps.last_ns = t0;
				steps.last_cpu = c0;
				v->check_mark = step_mark;
			}
			err = run_part(v, b, p);
			v->check_mark = NULL;
			cns[r] = cpu_ns() - c0;
			ns[r] = now_ns() - t0;
			if (p == P_TOTAL && !err) {
				step_add("(return)", t0 + ns[r] - steps.last_ns,
					 c0 + cns[r] - steps.last_cpu);
				steps.total_ns += ns[r];
				steps.total_cpu += cns[r];
				steps.runs++;
			}
		}
		if (p == P_TOTAL)	/* each check starts with a flush */
			walks = (v->kas->walks - walks) / runs;
		ms[p] = err ? 0 : median_ms(ns, runs);
		cpu_ms[p] = err ? 0 : median_ms(cns, runs);
	}
	if (err) {
		const struct vmiaas_diag *d = v ? vmiaas_last_diag(v) : &diag;

		fprintf(stderr, "bench_check: %s\n",
			d && d->msg[0] ? d->msg : strerror(-err));
		goto out;
	}
	hashed = (b->text_end - b->text_start) + (b->rodata.end - b->rodata.start) +
		 module_bytes(b);
	printf("check mac=%s runs=%d text_bytes=%llu rodata_bytes=%llu module_bytes=%llu modules=%u\n",
	       bl_mac_name(b->mac), runs,
	       (unsigned long long)(b->text_end - b->text_start),
	       (unsigned long long)(b->rodata.end - b->rodata.start),
	       (unsigned long long)module_bytes(b), b->nr_modules);
	for (p = 0; p < P_NR; p++)
		printf("check part=%s median_ms=%.3f cpu_ms=%.3f\n",
		       part_names[p], ms[p], cpu_ms[p]);
	printf("check hashed_bytes=%llu hash_gbps=%.2f rest_ms=%.3f cpu_hash_gbps=%.2f cpu_rest_ms=%.3f\n",
	       (unsigned long long)hashed,
	       hashed / ((ms[P_TEXT] + ms[P_RODATA] + ms[P_MODTEXT]) * 1e6),
	       ms[P_TOTAL] - ms[P_TEXT] - ms[P_RODATA] - ms[P_MODTEXT],
	       hashed / ((cpu_ms[P_TEXT] + cpu_ms[P_RODATA] +
			  cpu_ms[P_MODTEXT]) * 1e6),
	       cpu_ms[P_TOTAL] - cpu_ms[P_TEXT] - cpu_ms[P_RODATA] -
	       cpu_ms[P_MODTEXT]);
	printf("check vfs_dentries=%u vfs_fd_slots=%u vfs_files_structs=%u vfs_torn=%u\n",
	       vfs_stats.dentries, vfs_stats.fds, vfs_stats.files_structs,
	       vfs_stats.torn);
	printf("check page_walks_per_check=%llu\n", (unsigned long long)walks);
	steps_report();
	dirty_report(v);
out:
	vmiaas_baseline_free(b);
	vmiaas_close(v);
	free(ns);
	free(cns);
	return err ? 3 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hash", no_argument, NULL, 'H' },
		{ "check", no_argument, NULL, 'C' },
		{ "mib", required_argument, NULL, 'm' },
		{ "runs", required_argument, NULL, 'r' },
		{ "shm", required_argument, NULL, 's' },
		{ "qmp", required_argument, NULL, 'q' },
		{ "mac", required_argument, NULL, 'M' },
		{ "dirty", no_argument, NULL, 'D' },
		{ "all-clean", no_argument, NULL, 'A' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base_path = NULL, *key_path = NULL;
	struct vmiaas_target t = { .sz = sizeof(t) };
	int mode = 0, runs = 10, c;
	int dirty = 0;
	size_t mib = 32;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
		case 'C':
			mode = c;
			break;
		case 'm':
			mib = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 's':
			t.shm_path = optarg;
			break;
		case 'q':
			t.qmp_path = optarg;
			break;
		case 'M':
			bl_default_mac = strtoul(optarg, NULL, 10);
			break;
		case 'D':
		case 'A':
			dirty = c;
			break;
		case 'b':
			base_path = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		default:
			mode = 0;
			optind = argc;
		}
	}
	if (!mode || runs < 1 || runs > 10000 || !mib || mib > 4096 ||
	    !bl_mac_digest_size(bl_default_mac) ||
	    (mode == 'C' && !t.shm_path) || !base_path != !key_path) {
		fprintf(stderr,
			"usage: bench_check --hash [--mib N] [--runs R]\n"
			"       bench_check --check [--runs R] [--mac ID] [--dirty|--all-clean] [--baseline FILE --key KEY] --shm FILE [--qmp SOCK]\n"
			"ID: 1 HMAC-SHA256, 2 GMAC-AES-128 (default), 3 Poly1305-AES\n");
		return 2;
	}
	return mode == 'H' ? bench_hash(mib, runs) :
				bench_check(&t, runs, dirty, base_path, key_path);
}
