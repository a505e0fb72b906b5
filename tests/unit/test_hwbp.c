// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * hw-breakpoint: core/hwbpwalk.c's walk of each CPU's bp_per_reg[] and
 * its policy (userspace/lib/check_hwbp.c, hookpolicy.c) on a tiny guest
 * with its own BTF: two CPUs (per-CPU areas at PCPU0 and PCPU1), one live
 * module, breakpoint events written by the cases, and two vCPUs whose
 * debug registers the cases set. The policy: a handler in kernel text is
 * nothing (an event on a kernel address), an untainted module's an event,
 * a tainted one's high (critical on an execute breakpoint), anything else
 * critical; an enabled DR slot on a kernel address the same CPU's
 * bp_per_reg[] does not hold, critical; debug registers unknown, "not
 * checked". Then hostile memory: slots that are no kernel pointers,
 * events that cannot be read or are no breakpoints, random words. The
 * walk must end and read only inside what it was given; ASan/UBSan
 * (make san) catch the rest. The tiny guest has no kallsyms in memory:
 * kernel addresses are named by their hex value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "core/hwbpwalk.h"
#include "vmiaas/checks.h"
#include "userspace/lib/backend.h"
#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define MODULES		(KBASE + 0x1000)
#define OFFSETS		(KBASE + 0x1100)	/* __per_cpu_offset[] */
#define NR_CPU_IDS	(KBASE + 0x1200)
#define BP_PER_REG	0x100ULL		/* the per-CPU symbol */
#define PCPU0		(KBASE + 0x8000)
#define PCPU1		(KBASE + 0x9000)
#define EVENTS		(KBASE + 0x20000)	/* perf_events, 0x100 each */
#define TEXT		(KBASE + 0x10000)	/* _stext.._etext */
#define KFN		(TEXT + 0x100)		/* __x64_sys_getppid */
#define KFN_NAME	"0xffff888000010100"
#define HANDLER		(TEXT + 0x800)		/* perf_event_output_forward */
#define HANDLER_NAME	"0xffff888000010800"
#define MOD		(KBASE + 0x40000)
#define MOD_TEXT	(KBASE + 0x50000)
#define MFN		(MOD_TEXT + 0x20)
#define HEAP		(KBASE + 0x90000)
#define UNMAPPED	0xffffc90000000000ULL
#define USER_ADDR	0x4a92f0ULL

#define ATTR		0x20	/* struct perf_event.attr */
#define HANDLER_OFF	0x80	/* .overflow_handler */
#define ORIG_OFF	0x88	/* .orig_overflow_handler (6.1) */

#define TAINT_OE	((1ULL << 12) | (1ULL << 13))
#define BP_X		4
#define BP_W		2

static struct btf *hwbp_btf(void)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int u32t = btf__add_int(b, "unsigned int", 4, 0);
	int u64t = btf__add_int(b, "long long unsigned int", 8, 0);
	int attr;

	tiny_btf_module(b, &t);
	{
		const int types[] = { u32t, u32t, u64t, u64t };
		const u32 offs[] = { 0, 4, 8, 16 };

		attr = STRUCT(b, "perf_event_attr", 24, "type", "bp_type",
			      "bp_addr", "bp_len");
	}
	{
		const int types[] = { t.lh, attr, t.ptr, t.ptr };
		const u32 offs[] = { 0, ATTR, HANDLER_OFF, ORIG_OFF };

		STRUCT(b, "perf_event", 0x100, "event_entry", "attr",
		       "overflow_handler", "orig_overflow_handler");
	}
	return b;
}

static void hwbp_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", TEXT }, { "_etext", TEXT + 0x10000 },
		{ "modules", MODULES }, { "bp_per_reg", BP_PER_REG },
		{ "__per_cpu_offset", OFFSETS }, { "nr_cpu_ids", NR_CPU_IDS },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* Two vCPUs, their debug registers as after boot. */
static struct vmiaas_vcpu vcpus[2];
static struct backend be = { .name = "test", .vcpus = vcpus };

/* CPU @cpu's slot @slot: the event @i (0: none). */
static u64 slot_at(u32 cpu, u32 slot)
{
	return (cpu ? PCPU1 : PCPU0) + BP_PER_REG + 8 * slot;
}

/* Event @i: a breakpoint of @type on @addr, handler @fn. */
static u64 put_event(u32 i, u32 type, u64 addr, u64 fn)
{
	u64 e = EVENTS + 0x100 * i;

	put(e + ATTR, 5ULL | (u64)type << 32);	/* PERF_TYPE_BREAKPOINT */
	put(e + ATTR + 8, addr);
	put(e + ATTR + 16, type == BP_X ? 8 : 4);
	put(e + HANDLER_OFF, fn);
	put(e + ORIG_OFF, 0);
	return e;
}

/* vCPU @n's DR@slot on @addr with DR7 R/W @rw, enabled (G bit). */
static void put_dr(u32 n, u32 slot, u64 addr, u32 rw)
{
	vcpus[n].dr[slot] = addr;
	vcpus[n].dr7 |= 0x200 | (2ULL << (2 * slot)) |
			(u64)(rw | (rw ? 3 << 2 : 0)) << (16 + 4 * slot);
}

/* A consistent guest: two CPUs, no breakpoint, the module untainted. */
static void hwbp_guest(void)
{
	u32 i;

	memset(ram + DATA_GPA, 0, 0x200000);
	tiny_module(MODULES, MOD, MOD_TEXT);
	put(OFFSETS, PCPU0);
	put(OFFSETS + 8, PCPU1);
	put(NR_CPU_IDS, 2);
	for (i = 0; i < 2; i++) {
		memset(&vcpus[i], 0, sizeof(vcpus[i]));
		vcpus[i].index = i;
		vcpus[i].flags = VMIAAS_VCPU_DEBUG;
		vcpus[i].dr6 = 0xffff0ff0;
		vcpus[i].dr7 = 0x400;
	}
	be.nr_vcpus = 2;
}

/* A wide execute breakpoint on KFN: every CPU's slot 0, DR0 on each vCPU. */
static void wide_bp(u64 fn)
{
	put(slot_at(0, 0), put_event(0, BP_X, KFN, fn));
	put(slot_at(1, 0), put_event(1, BP_X, KFN, fn));
	put_dr(0, 0, KFN, 0);
	put_dr(1, 0, KFN, 0);
}

/* ---- core/hwbpwalk.c alone ---- */

struct seen {
	struct vmi_hwbp bp[16];
	u32 nr, nr_bad;
};

static int record(void *ctx, const struct vmi_hwbp *bp)
{
	struct seen *s = ctx;

	if (bp->err)
		s->nr_bad++;
	if (s->nr < ARRAY_SIZE(s->bp))
		s->bp[s->nr] = *bp;
	s->nr++;
	return 0;
}

static int stop_at_first(void *ctx, const struct vmi_hwbp *bp)
{
	(*(u32 *)ctx)++;
	return -EINTR;
}

static const struct vmi_hwbp_layout layout = {
	.attr_type = ATTR, .bp_type = ATTR + 4, .bp_addr = ATTR + 8,
	.bp_len = ATTR + 16, .handler = HANDLER_OFF, .orig_handler = ORIG_OFF,
};

static int walk(u32 nr_cpus, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	tiny_reads_outside = 0;
	return vmi_hwbp_walk(&tiny_page_ops, &layout, OFFSETS, nr_cpus, BP_PER_REG,
			     record, s);
}

static void test_core(void)
{
	struct vmi_hwbp_layout bad = layout;
	struct seen s;
	u32 calls = 0;
	int err;

	hwbp_guest();
	wide_bp(MFN);
	put(slot_at(1, 2), put_event(2, BP_W, USER_ADDR, HANDLER));
	put(EVENTS + 0x200 + ORIG_OFF, MFN);
	err = walk(2, &s);
	ksft_test_result(!err && s.nr == 3 && !s.nr_bad && !tiny_reads_outside &&
			 s.bp[0].cpu == 0 && s.bp[0].slot == 0 &&
			 s.bp[0].event == EVENTS && s.bp[0].addr == KFN &&
			 s.bp[0].type == BP_X && s.bp[0].len == 8 &&
			 s.bp[0].handler == MFN && s.bp[0].attr_type == 5 &&
			 s.bp[1].cpu == 1 && s.bp[1].slot == 0 &&
			 s.bp[2].cpu == 1 && s.bp[2].slot == 2 &&
			 s.bp[2].addr == USER_ADDR && s.bp[2].orig_handler == MFN,
			 "core: two CPUs, three occupied slots, in order, with attr and both handlers (err %d, %u)\n",
			 err, s.nr);
	err = vmi_hwbp_walk(&tiny_page_ops, &layout, OFFSETS, 2, BP_PER_REG,
			    stop_at_first, &calls);
	ksft_test_result(err == -EINTR && calls == 1,
			 "core: the callback's error ends the walk and is returned (%d, %u)\n",
			 err, calls);
	bad.handler = VMI_OFFSET_MAX;
	err = vmi_hwbp_walk(&tiny_page_ops, &bad, OFFSETS, 2, BP_PER_REG, record, &s);
	ksft_test_result(err == -EINVAL &&
			 walk(0, &s) == -EINVAL &&
			 walk(VMI_HWBP_CPUS_MAX + 1, &s) == -EINVAL && !s.nr,
			 "core: a handler offset of 64 KiB, no CPU or 8193: -EINVAL, nothing walked\n");

	hwbp_guest();
	put(OFFSETS + 8, UNMAPPED - BP_PER_REG);
	put(slot_at(0, 1), 0x7fff00001000ULL);
	put(slot_at(0, 2), EVENTS + 4);			/* misaligned */
	put(slot_at(0, 3), 0xffff888000300000ULL);	/* unmapped */
	err = walk(2, &s);
	ksft_test_result(!err && s.nr == 7 && s.nr_bad == 7 &&
			 s.bp[0].slot == 1 && s.bp[0].err == -EBADMSG &&
			 s.bp[1].err == -EBADMSG &&
			 s.bp[2].slot == 3 && s.bp[2].err == -EFAULT &&
			 s.bp[2].event == 0xffff888000300000ULL &&
			 s.bp[3].cpu == 1 && s.bp[3].slot == 0 &&
			 s.bp[3].err == -EFAULT && !s.bp[3].event &&
			 tiny_reads_outside == 5,
			 "core: user and misaligned slots, an unreadable event, a CPU whose slots are unmapped: seven bad, the walk goes on (%d, %u)\n",
			 err, s.nr);
	memset(&s, 0, sizeof(s));
	err = vmi_hwbp_walk(&tiny_page_ops, &layout, UNMAPPED, 1, BP_PER_REG,
			    record, &s);
	ksft_test_result(!err && s.nr == 1 && s.bp[0].err == -EFAULT &&
			 s.bp[0].slot == VMI_HWBP_SLOTS,
			 "core: an unreadable __per_cpu_offset: one bad CPU, no slot read (%d, %u)\n",
			 err, s.nr);
}

/* ---- the check ---- */

static int run(u32 *nr, const struct vmiaas_finding **first)
{
	return tiny_check(check_hw_breakpoints, nr, first);
}

static void test_policy(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	hwbp_guest();
	err = run(&nr, &f);
	ksft_test_result(!err && !nr_findings,
			 "no breakpoint, DR7 0x400 on both vCPUs: nothing (err %d, %u: %s)\n",
			 err, nr_findings, v.diag.msg);
	wide_bp(HANDLER);
	err = run(&nr, &f);
	ksft_test_result(!err && !nr && tiny_nr_events() == 1 &&
			 !strcmp(findings[0].object, "execute breakpoint on " KFN_NAME) &&
			 strstr(findings[0].message, "registered with the kernel") &&
			 strstr(findings[0].message, "the kernel's " HANDLER_NAME),
			 "perf's execute breakpoint on a kernel function, both CPUs: one event naming it and the handler (%d, %u: %s)\n",
			 err, nr_findings, nr_findings ? findings[0].message : "");
	hwbp_guest();
	put(slot_at(1, 1), put_event(2, BP_W, USER_ADDR, HANDLER));
	put_dr(1, 1, USER_ADDR, 1);
	put_dr(0, 3, USER_ADDR + 0x1000, 3);	/* a stale user slot */
	err = run(&nr, &f);
	ksft_test_result(!err && !nr_findings,
			 "a ptrace watchpoint on a user address (and an unregistered user DR): nothing (%d, %u)\n",
			 err, nr_findings);

	hwbp_guest();
	put(MOD + 80, TAINT_OE);
	wide_bp(MFN);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "execute breakpoint on " KFN_NAME) &&
			 f->new_value == MFN &&
			 !strncmp(f->new_symbol, "[rootkit]+0x", 12) &&
			 strstr(f->message, "CPU 0's DR0") &&
			 strstr(f->message, "module rootkit is tainted OE"),
			 "a wide execute breakpoint, its handler in a module tainted OE: one critical finding (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	hwbp_guest();
	put(MOD + 80, TAINT_OE);
	put(slot_at(0, 1), put_event(0, BP_W, KBASE + 0x1300, MFN));
	put_dr(0, 1, KBASE + 0x1300, 1);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 strstr(f->object, "write watchpoint on "),
			 "a write watchpoint on kernel data, handler in a tainted module: high (%d, %u: %s)\n",
			 err, nr, f ? f->object : "");
	put(MOD + 80, 0);
	err = run(&nr, &f);
	ksft_test_result(!err && !nr && tiny_nr_events() == 1 &&
			 strstr(findings[0].message, "module rootkit (untainted"),
			 "the same module untainted: an event naming it (%d, %u)\n",
			 err, nr);
	hwbp_guest();
	wide_bp(HANDLER);
	put(EVENTS + ORIG_OFF, HEAP);
	put(EVENTS + 0x100 + ORIG_OFF, HEAP);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 f->new_value == HEAP &&
			 strstr(f->message, "outside the kernel's text and every live module's text"),
			 "the kernel's handler wrapping one on the heap (orig_overflow_handler): critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

static void test_registers(void)
{
	const struct vmiaas_finding *f;
	u32 nr, i;
	int err;

	hwbp_guest();
	put_dr(0, 3, KFN, 0);
	put_dr(1, 3, KFN, 0);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "vcpu0 DR3") &&
			 !strcmp(findings[1].object, "vcpu1 DR3") &&
			 f->address == KFN &&
			 !strcmp(f->new_symbol, KFN_NAME) &&
			 strstr(f->message, "a hardware breakpoint the kernel did not register") &&
			 strstr(f->message, "execute") &&
			 strstr(f->message, "bp_per_reg[3]: empty"),
			 "DR3 on a kernel function on both vCPUs, no registration: two critical findings (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	hwbp_guest();
	put(slot_at(0, 0), put_event(0, BP_W, KFN, HANDLER));
	put_dr(0, 0, KFN, 0);
	put(slot_at(1, 0), put_event(1, BP_X, KFN + 0x10, HANDLER));
	put_dr(1, 0, KFN, 0);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 2 &&
			 strstr(f->message, "another access type") &&
			 strstr(findings[nr_findings - 1].message, "another address"),
			 "a DR slot whose registration is a write, or at another address: not explained (%d, %u)\n",
			 err, nr);
	hwbp_guest();
	vcpus[1].flags = 0;
	put_dr(1, 0, KFN, 0);
	err = run(&nr, &f);
	for (i = 0; i < nr_findings && strcmp(findings[i].object, "vcpu1 DR0-DR3 DR7"); i++)
		;
	ksft_test_result(!err && !nr && tiny_nr_events() == 1 && i < nr_findings &&
			 strstr(findings[i].message, "not checked"),
			 "a vCPU without debug registers: an event 'not checked', no pass claimed (%d, %u)\n",
			 err, nr);
	be.nr_vcpus = 0;
	err = run(&nr, &f);
	ksft_test_result(!err && !nr && tiny_nr_events() == 1 &&
			 !strcmp(findings[0].object, "all vCPUs") &&
			 strstr(findings[0].message, "not checked"),
			 "no vCPU registers at all: one event 'not checked' (%d, %u)\n",
			 err, nr);
}

static void test_hostile(void)
{
	const struct vmiaas_finding *f;
	u32 nr, i, ok = 0;
	int err;

	hwbp_guest();
	put(slot_at(0, 0), 0x7fff00001000ULL);
	put(slot_at(1, 1), put_event(1, BP_X, KFN, HANDLER));
	put(EVENTS + 0x100 + ATTR, 1);	/* PERF_TYPE_SOFTWARE */
	put_dr(1, 1, KFN, 0);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 3 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "cpu0 bp_per_reg[0]") &&
			 strstr(f->message, "no kernel pointer") &&
			 !strcmp(findings[1].object, "cpu1 bp_per_reg[1]") &&
			 strstr(findings[1].message, "no breakpoint event") &&
			 !strcmp(findings[2].object, "vcpu1 DR1") &&
			 strstr(findings[2].message, "bp_per_reg[1]: unreadable, or no breakpoint event"),
			 "a slot with a user pointer, one with a software event (its DR not explained by it): critical each (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	hwbp_guest();
	put(NR_CPU_IDS, 0x7fffffff);
	err = run(&nr, &f);
	ksft_test_result(err == -EBADMSG,
			 "nr_cpu_ids 2^31 - 1: the check fails, nothing walked (%d)\n",
			 err);

	/* Random words over every structure: the check must end. */
	srand(23);
	for (i = 0; i < 40; i++) {
		u32 k, n = 1 + rand() % 6;

		hwbp_guest();
		wide_bp(MFN);
		for (k = 0; k < n; k++) {
			u64 at = (rand() % 2 ? PCPU0 : EVENTS) +
				 (rand() % 0x1200 & ~7ULL);
			u64 r = rand() % 2 ? EVENTS + (rand() % 0x1000 & ~7ULL) :
					     (u64)rand() << 33 ^ rand();

			put(at, r);
		}
		run(&nr, &f);
		ok++;
	}
	ksft_test_result(ok == 40, "40 guests with random words over their slots and events: the check ended\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(19);
	guest_init();
	v.btf = hwbp_btf();
	v.backend = &be;
	hwbp_symbols();
	check_rescan_us = 0;
	test_core();
	test_policy();
	test_registers();
	test_hostile();
	btf__free(v.btf);
	free(ram);
	ksft_finished();
}
