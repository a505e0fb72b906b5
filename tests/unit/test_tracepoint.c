// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * tracepoint-hook: core/tpwalk.c's walk and its policy
 * (userspace/lib/check_tracepoint.c, hookpolicy.c) on a tiny guest with
 * its own BTF: the kernel's array of three tracepoints (sys_enter with a
 * kernel probe, sched_switch with none, one whose probe array is
 * changed by the cases) and one live module with a tracepoint of its
 * own. The policy first: a probe in kernel text or in the text of the
 * module that defines the tracepoint is nothing, another untainted
 * module's an event, a tainted one's high, anything else critical. Then
 * hostile memory: offsets that lead out of the kernel, probe arrays that
 * do not end, are not kernel addresses or cannot be read, a module
 * claiming 2^32 - 1 tracepoints, random words. The walk must end, read
 * only inside what it was given, and name what it cannot walk;
 * ASan/UBSan (make san) catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "core/tpwalk.h"
#include "uapi/linux/vmiaas.h"
#include "vmiaas/checks.h"
#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define MODULES		(KBASE + 0x1000)
#define PTRS		(KBASE + 0x1100)	/* the kernel's 3 offsets */
#define NR_TPS		3
#define TP_ENTER	(KBASE + 0x2000)	/* sys_enter */
#define TP_SWITCH	(KBASE + 0x2100)	/* sched_switch, no probe */
#define TP_MOD		(KBASE + 0x2200)	/* the module's mod_event */
#define FUNCS		(KBASE + 0x3000)	/* sys_enter's probes */
#define FUNCS_MOD	(KBASE + 0x3100)	/* mod_event's */
#define STRINGS		(KBASE + 0x7000)
#define TEXT		(KBASE + 0x10000)	/* _stext.._etext */
#define KFN		(TEXT + 0x100)
#define MOD		(KBASE + 0x40000)
#define MOD_PTRS	(KBASE + 0x41000)
#define MOD_TEXT	(KBASE + 0x50000)
#define MFN		(MOD_TEXT + 0x10)
#define HEAP		(KBASE + 0x90000)
#define LONG_FUNCS	(KBASE + 0x100000)	/* room for 4097 probes */
#define UNMAPPED	0xffffc90000000000ULL

#define TP_NAME		0	/* struct tracepoint, as on 6.1 */
#define TP_FUNCS	64
#define FUNC_SIZE	24	/* struct tracepoint_func */
#define MOD_NR_TP	160	/* struct module.num_tracepoints */
#define MOD_TP_PTRS	168	/* struct module.tracepoints_ptrs */

#define TAINT_OE	((1ULL << 12) | (1ULL << 13))

static struct btf *tp_btf(void)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int uint = btf__add_int(b, "unsigned int", 4, 0);
	int ulong = btf__add_int(b, "long unsigned int", 8, 0);
	int ml;

	ml = tiny_btf_module_layout(b, &t);
	{
		const int types[] = { t.lh, btf__add_array(b, t.i32, t.i8, 56),
				      t.i32, ulong, ml, ml, uint, t.ptr };
		const u32 offs[] = { 0, 16, 72, 80, 96, 128, MOD_NR_TP,
				     MOD_TP_PTRS };

		STRUCT(b, "module", 176, "list", "name", "state", "taints",
		       "core_layout", "init_layout", "num_tracepoints",
		       "tracepoints_ptrs");
	}
	{
		const int types[] = { t.ptr, t.ptr, t.ptr, t.ptr, t.ptr };
		const u32 offs[] = { TP_NAME, 40, 48, 56, TP_FUNCS };

		STRUCT(b, "tracepoint", 72, "name", "iterator", "regfunc",
		       "unregfunc", "funcs");
	}
	{
		const int types[] = { t.ptr, t.ptr, t.i32 };
		const u32 offs[] = { 0, 8, 16 };

		STRUCT(b, "tracepoint_func", FUNC_SIZE, "func", "data", "prio");
	}
	return b;
}

static void tp_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", TEXT }, { "_etext", TEXT + 0x10000 },
		{ "modules", MODULES },
		{ "__start___tracepoints_ptrs", PTRS },
		{ "__stop___tracepoints_ptrs", PTRS + 4 * NR_TPS },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* The s32 at @at that leads to @tp, as __TRACEPOINT_ENTRY() makes it. */
static void put_offset(u64 at, u64 tp)
{
	s32 off = (s32)(s64)(tp - at);

	memcpy(ram + DATA_GPA + (at - KBASE), &off, 4);
}

/* Probe @i of the array at @funcs. */
static void put_probe(u64 funcs, u32 i, u64 fn)
{
	put(funcs + FUNC_SIZE * i, fn);
	put(funcs + FUNC_SIZE * i + 8, KBASE + 0x6000 + i);	/* data */
}

/* A consistent guest: kernel probes, the module probing its own. */
static void tp_guest(void)
{
	memset(ram + DATA_GPA, 0, 0x200000);
	tiny_module(MODULES, MOD, MOD_TEXT);
	put(MOD + MOD_NR_TP, 1);
	put(MOD + MOD_TP_PTRS, MOD_PTRS);
	put_offset(MOD_PTRS, TP_MOD);
	put_offset(PTRS, TP_ENTER);
	put_offset(PTRS + 4, TP_SWITCH);
	put_offset(PTRS + 8, TP_MOD - 0x80);	/* a third kernel tracepoint */
	put(TP_ENTER + TP_NAME, STRINGS);
	put_str(STRINGS, "sys_enter");
	put(TP_SWITCH + TP_NAME, STRINGS + 0x20);
	put_str(STRINGS + 0x20, "sched_switch");
	put(TP_MOD - 0x80 + TP_NAME, STRINGS + 0x40);
	put_str(STRINGS + 0x40, "sched_process_exec");
	put(TP_MOD + TP_NAME, STRINGS + 0x60);
	put_str(STRINGS + 0x60, "mod_event");
	put(TP_ENTER + TP_FUNCS, FUNCS);
	put_probe(FUNCS, 0, KFN);		/* perf_trace_sys_enter, say */
	put(TP_MOD + TP_FUNCS, FUNCS_MOD);
	put_probe(FUNCS_MOD, 0, MFN + 0x40);	/* its trace_event_raw_event */
	put_probe(FUNCS_MOD, 1, KFN + 0x20);
}

/* ---- core/tpwalk.c alone ---- */

struct seen {
	struct vmi_tp_probe p[16];
	u32 nr, nr_bad;
};

static int record(void *ctx, const struct vmi_tp_probe *p)
{
	struct seen *s = ctx;

	if (p->err)
		s->nr_bad++;
	if (s->nr < ARRAY_SIZE(s->p))
		s->p[s->nr] = *p;
	s->nr++;
	return 0;
}

static int stop_at_first(void *ctx, const struct vmi_tp_probe *p)
{
	(*(u32 *)ctx)++;
	return -EINTR;
}

static const struct vmi_tp_layout tp_layout = {
	.tp_name = TP_NAME, .tp_funcs = TP_FUNCS, .func_fn = 0, .func_data = 8,
	.func_size = FUNC_SIZE, .max_tps = VMI_TP_MAX,
	.max_probes = VMI_TP_PROBES_MAX,
};

static int walk(u64 ptrs, u64 nr, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	tiny_reads_outside = 0;
	return vmi_tp_walk(&tiny_page_ops, &tp_layout, ptrs, nr, record, s);
}

static void test_core(void)
{
	struct vmi_tp_layout bad = tp_layout;
	struct seen s;
	u32 calls = 0;
	int err;

	tp_guest();
	put_probe(FUNCS, 1, HEAP);
	err = walk(PTRS, NR_TPS, &s);
	ksft_test_result(!err && s.nr == 2 && !s.nr_bad && !tiny_reads_outside &&
			 s.p[0].tp == TP_ENTER && s.p[0].fn == KFN &&
			 s.p[0].data == KBASE + 0x6000 && s.p[0].entry == 0 &&
			 s.p[1].fn == HEAP && s.p[1].index == 1 &&
			 s.p[1].funcs == FUNCS,
			 "core: 3 tracepoints, 2 probes on sys_enter, in order, nothing read outside (err %d, %u, %llu)\n",
			 err, s.nr, (unsigned long long)tiny_reads_outside);
	err = vmi_tp_walk(&tiny_page_ops, &tp_layout, PTRS, NR_TPS, stop_at_first,
			  &calls);
	ksft_test_result(err == -EINTR && calls == 1,
			 "core: the callback's error ends the walk and is returned (%d, %u)\n",
			 err, calls);
	bad.func_size = 4;
	err = vmi_tp_walk(&tiny_page_ops, &bad, PTRS, NR_TPS, record, &s);
	bad = tp_layout;
	bad.max_probes = VMI_TP_PROBES_MAX + 1;
	ksft_test_result(err == -EINVAL &&
			 vmi_tp_walk(&tiny_page_ops, &bad, PTRS, 1, record, &s) == -EINVAL,
			 "core: a layout with a 4-byte tracepoint_func or over the caps: -EINVAL\n");

	err = walk(PTRS, VMI_TP_MAX + 1, &s);
	ksft_test_result(!err && s.nr == 1 && s.p[0].err == -E2BIG &&
			 !s.p[0].tp && !tiny_reads_outside,
			 "core: 65537 tracepoints: one bad array, nothing read (%d, %u)\n",
			 err, s.nr);
	err = walk(0xfffffffffffffffcULL, 2, &s);
	ksft_test_result(!err && s.nr == 1 && s.p[0].err == -EBADMSG &&
			 !tiny_reads_outside,
			 "core: an array that wraps the address space: bad, not read (%d, %u)\n",
			 err, s.nr);
	err = walk(KBASE + 0x1ffff8, 4, &s);
	ksft_test_result(!err && s.nr == 1 && s.p[0].err == -EFAULT,
			 "core: an array running off the mapped page: one unreadable array (%d, %u)\n",
			 err, s.nr);

	tp_guest();
	put_offset(PTRS + 4, TP_SWITCH + 4);	/* misaligned */
	put(TP_ENTER + TP_FUNCS, UNMAPPED);
	err = walk(PTRS, NR_TPS, &s);
	ksft_test_result(!err && s.nr_bad == 2 && s.nr == 2 &&
			 s.p[0].err == -EFAULT && s.p[0].funcs == UNMAPPED &&
			 s.p[1].err == -EBADMSG && s.p[1].entry == 1 &&
			 tiny_reads_outside == 1,
			 "core: an unreadable probe array and a misaligned entry: two bad tracepoints (%d, %u)\n",
			 err, s.nr);

	tp_guest();
	put(TP_ENTER + TP_FUNCS, 0x7fff00001000ULL);
	put(TP_MOD - 0x80 + TP_FUNCS, FUNCS + 4);	/* misaligned */
	err = walk(PTRS, NR_TPS, &s);
	ksft_test_result(!err && s.nr_bad == 2 && !tiny_reads_outside &&
			 s.p[0].err == -EBADMSG && s.p[1].err == -EBADMSG,
			 "core: probe arrays at a user and at a misaligned address: bad, not read (%d, %u)\n",
			 err, s.nr_bad);
}

static void test_core_endless(void)
{
	struct seen s;
	u32 i;
	int err;

	tp_guest();
	put(TP_ENTER + TP_FUNCS, LONG_FUNCS);
	for (i = 0; i <= VMI_TP_PROBES_MAX; i++)
		put_probe(LONG_FUNCS, i, KFN);
	err = walk(PTRS, 1, &s);
	ksft_test_result(!err && s.nr == VMI_TP_PROBES_MAX + 2 &&
			 s.nr_bad == 1 && !tiny_reads_outside,
			 "core: a probe array with no end within 4096: 4097 probes then one bad tracepoint (%d, %u)\n",
			 err, s.nr);
}

/* vmiaas.ko's judgement: the kernel's text allowed. */
static int suspects(struct vmi_tp_suspects *s)
{
	static const struct vmi_range text = { TEXT, TEXT + 0x10000 };

	tiny_reads_outside = 0;
	return vmi_tp_suspects(&tiny_page_ops, &tp_layout, PTRS, NR_TPS, &text, 1,
			       s);
}

static void test_core_suspects(void)
{
	struct vmi_tp_layout bad = tp_layout;
	struct vmi_tp_suspects s;
	int err;

	tp_guest();
	err = suspects(&s);
	ksft_test_result(!err && !s.nr && !s.first_name[0],
			 "suspects: the kernel's 3 tracepoints, probes in its text: nothing (%d, %llu)\n",
			 err, (unsigned long long)s.nr);
	put_probe(FUNCS, 1, HEAP);
	put_probe(FUNCS, 2, HEAP + 8);
	err = suspects(&s);
	ksft_test_result(!err && s.nr == 2 && s.first.fn == HEAP &&
			 s.first.index == 1 && s.first.tp == TP_ENTER &&
			 !strcmp(s.first_name, "sys_enter"),
			 "suspects: two heap probes on sys_enter: the first named with its tracepoint (%d, %llu, \"%s\")\n",
			 err, (unsigned long long)s.nr, s.first_name);
	put(TP_ENTER + TP_NAME, KBASE + 0x7ffc);
	put_str(KBASE + 0x7ffc, "sys_enter");
	err = suspects(&s);
	ksft_test_result(!err && s.nr == 2 && !strcmp(s.first_name, "sys_") &&
			 !tiny_reads_outside,
			 "suspects: a name across a page's end is cut there (\"%s\")\n",
			 s.first_name);
	put(TP_ENTER + TP_NAME, UNMAPPED);
	err = suspects(&s);
	ksft_test_result(!err && s.nr == 2 && !s.first_name[0],
			 "suspects: an unreadable name: \"\", the suspect still counted (%d)\n",
			 err);
	tp_guest();
	put_offset(PTRS + 4, TP_SWITCH + 4);	/* misaligned */
	err = suspects(&s);
	ksft_test_result(!err && s.nr == 1 && s.first.err == -EBADMSG &&
			 s.first.entry == 1 && !s.first_name[0],
			 "suspects: a misaligned entry: bad, its name not read (%d, %d)\n",
			 err, s.first.err);
	bad.tp_name = VMI_OFFSET_MAX;
	ksft_test_result(vmi_tp_suspects(&tiny_page_ops, &bad, PTRS, NR_TPS, NULL, 0,
					 &s) == -EINVAL &&
			 vmi_tp_suspects(&tiny_page_ops, &tp_layout, PTRS, NR_TPS,
					 NULL, 1, &s) == -EINVAL,
			 "suspects: a name offset of 64 KiB, ranges missing: -EINVAL\n");
}

/* ---- vmiaas.ko's record, run as the module runs it ---- */

static void test_record(void)
{
	struct vmiaas_module_check c[2];
	struct vmiaas_tp_check *tc = (void *)c[0].data;
	struct vmiaas_finding f = { 0 };
	struct vmiaas_found found[1];
	uint64_t failed = 1;
	size_t nr = 0;
	int err;

	tp_guest();
	v.info.pgd_pa = 0x1000;
	err = tp_module_check(&v, c, 1, &nr, NULL);
	ksft_test_result(!err && nr == 1 && c[0].type == VMIAAS_CHECK_TP_GVA &&
			 c[0].addr == PTRS && c[0].len == NR_TPS &&
			 c[0].root == 0x1000 && tc->tp_funcs == TP_FUNCS &&
			 tc->func_size == FUNC_SIZE && tc->nr_allow == 1 &&
			 tc->allow[0][0] == TEXT &&
			 !strcmp(c[0].check, "tracepoint-hook"),
			 "record: type 12 on the kernel's 3 tracepoints, the layout, the kernel's text allowed (%d, %zu, %u ranges)\n",
			 err, nr, tc->nr_allow);
	err = tp_module_check(&v, c, 1, &nr, NULL);
	ksft_test_result(err == -ENOSPC && nr == 1,
			 "record: no room: -ENOSPC (%d)\n", err);
	err = vmiaas_module_policy_found(&v, c, 1, &failed, found);
	ksft_test_result(!err && !failed && !found[0].kind,
			 "record run as the module runs it: clean (%d, %#llx)\n",
			 err, (unsigned long long)failed);
	put_probe(FUNCS, 1, HEAP);
	err = vmiaas_module_policy_found(&v, c, 1, &failed, found);
	err = err ?: vmiaas_module_found(&c[0], &found[0], &f);
	ksft_test_result(!err && failed == 1 &&
			 found[0].kind == VMIAAS_FOUND_TP_PROBE &&
			 !strcmp(f.object, "sys_enter") && f.new_value == HEAP &&
			 strstr(f.message, "probe 1 of tracepoint sys_enter"),
			 "record: a heap probe on sys_enter fails it, named as vmictl names it (%d, %#llx: %s)\n",
			 err, (unsigned long long)failed, f.message);
	tc->func_size = 4;
	err = vmiaas_module_policy_found(&v, c, 1, &failed, found);
	tc->func_size = FUNC_SIZE;
	tc->nr_allow = VMIAAS_MAX_HOOK_ALLOW + 1;
	ksft_test_result(!err && failed == 1 &&
			 !vmiaas_module_policy_found(&v, c, 1, &failed, found) &&
			 failed == 1,
			 "record: a hostile func_size or range count: the record fails, nothing read past it\n");
}

/* ---- the check ---- */

/* The check's error; *@nr its findings, the first's (tiny_check()). */
static int run(u32 *nr, const struct vmiaas_finding **first)
{
	return tiny_check(check_tracepoints, nr, first);
}

static void test_policy(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	tp_guest();
	err = run(&nr, &f);
	ksft_test_result(!err && !nr_findings,
			 "kernel probes, the module's probe on its own tracepoint: nothing (err %d, %u: %s)\n",
			 err, nr_findings, v.diag.msg);
	put(MOD + 80, TAINT_OE);
	err = run(&nr, &f);
	ksft_test_result(!err && !nr_findings,
			 "the same with the module tainted OE: still nothing (err %d, %u)\n",
			 err, nr_findings);

	put_probe(FUNCS, 1, MFN);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "sys_enter") &&
			 f->address == TP_ENTER && f->new_value == MFN &&
			 !strncmp(f->new_symbol, "[rootkit]+0x", 12) &&
			 strstr(f->message, "probe 1 of tracepoint sys_enter") &&
			 strstr(f->message, "module rootkit is tainted OE"),
			 "a sys_enter probe in a module tainted OE: high, naming the tracepoint, probe and module (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
	err = run(&nr, &f);
	ksft_test_result(!err && !nr && tiny_nr_events() == 1 &&
			 !strcmp(findings[0].object, "sys_enter") &&
			 strstr(findings[0].message, "module rootkit (untainted"),
			 "the same module untainted: an event naming it, no finding (%d, %u)\n",
			 err, nr);
	put_probe(FUNCS, 1, HEAP);
	put_probe(FUNCS_MOD, 2, HEAP + 0x100);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "sys_enter") &&
			 !strcmp(findings[1].object, "mod_event") &&
			 strstr(f->message, "outside the kernel's text and every live module's text"),
			 "heap probes on a kernel and on a module's tracepoint: two critical findings (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

static void test_hostile(void)
{
	const struct vmiaas_finding *f;
	u32 nr, i, ok = 0;
	int err;

	tp_guest();
	put(TP_ENTER + TP_FUNCS, LONG_FUNCS);
	for (i = 0; i <= VMI_TP_PROBES_MAX; i++)
		put_probe(LONG_FUNCS, i, KFN);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "sys_enter") &&
			 strstr(f->message, "does not end within 4096 probes"),
			 "a probe array with no end: critical, named by its tracepoint (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tp_guest();
	put_offset(PTRS + 4, TP_SWITCH + 4);
	put(TP_MOD + TP_FUNCS, UNMAPPED);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 2 &&
			 !strcmp(f->object, "tracepoints of the kernel") &&
			 strstr(f->message, "entry 1") &&
			 !strcmp(findings[1].object, "mod_event") &&
			 strstr(findings[1].message, "cannot be read"),
			 "a misaligned entry, a module's unreadable probe array: two critical findings (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tp_guest();
	put(MOD + MOD_NR_TP, 0xffffffffULL);
	put(TP_ENTER + TP_NAME, UNMAPPED);
	put_probe(FUNCS, 0, HEAP);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 2 &&
			 !strcmp(f->object, "tracepoint@ffff888000002000") &&
			 !strcmp(findings[1].object, "tracepoints of rootkit") &&
			 strstr(findings[1].message, "over 65536 tracepoints"),
			 "an unreadable name, a module claiming 2^32 - 1 tracepoints: named by address, implausible (%d, %u: %s)\n",
			 err, nr, nr > 1 ? findings[1].message : "");

	/* Random words over every structure: the check must end. */
	srand(17);
	for (i = 0; i < 40; i++) {
		u32 k, n = 1 + rand() % 6;

		tp_guest();
		for (k = 0; k < n; k++) {
			u64 at = (rand() % 4 ? MODULES : MOD) +
				 (rand() % 0x6000 & ~7ULL);
			u64 r = rand() % 2 ? MODULES + (rand() % 0x6000 & ~7ULL) :
					     (u64)rand() << 33 ^ rand();

			put(at, r);
		}
		run(&nr, &f);
		ok++;
	}
	ksft_test_result(ok == 40, "40 guests with random words over their structures: the check ended\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(29);
	guest_init();
	v.btf = tp_btf();
	tp_symbols();
	check_rescan_us = 0;
	test_core();
	test_core_endless();
	test_core_suspects();
	test_record();
	test_policy();
	test_hostile();
	symmap_free(v.symmap);
	btf__free(v.btf);
	ksft_finished();
}
