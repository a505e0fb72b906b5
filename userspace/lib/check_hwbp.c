// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * hw-breakpoint: hooks through the CPU's debug registers.
 *
 * An execute breakpoint (DR7 R/W 00) on a kernel function raises #DB
 * before its first instruction; the handler gets the registers and may
 * rewrite regs->ip: a hook that changes no text, no ftrace record, no
 * kprobe and no table. A module does it with
 * register_wide_hw_breakpoint() and an overflow_handler of its own (the
 * kernel records it: bp_per_reg, core/hwbpwalk.c), or by writing DR0-3
 * and DR7 itself on every CPU and catching DIE_DEBUG on die_chain (the
 * kernel records nothing). Data watchpoints on kernel data let a module
 * see (or undo) every write to it. Two views, judged together:
 *   - the kernel's own registrations, each CPU's bp_per_reg[]: a slot
 *     that cannot be read or holds no breakpoint event is critical; the
 *     event's overflow_handler (and, on 6.1 with a BPF program attached,
 *     orig_overflow_handler) by hookpolicy.h's rules: the kernel's text
 *     (ptrace_triggered, perf_event_output_*, bpf_overflow_handler)
 *     nothing, an untainted module an event, a tainted one high (an
 *     execute breakpoint critical: it redirects kernel code), anywhere
 *     else critical. A breakpoint on a kernel address whose handlers are
 *     the kernel's (root's `perf record -e mem:ADDR:x`) is an event;
 *     on a user address (gdb, perf mem) nothing;
 *   - each vCPU's DR0-DR3 and DR7 (QMP's info registers): an enabled
 *     slot (L or G bit) on a kernel address that the same CPU's
 *     bp_per_reg[] does not hold, at that address with that access
 *     type, is critical: a hardware breakpoint the kernel did not
 *     register. vCPU N is taken as the kernel's CPU N (QEMU's cpu_index
 *     order is the MADT's, the order Linux numbers CPUs in). Where the
 *     debug registers are not readable (a dump, vmiaas.ko): an event "not
 *     checked", never a pass.
 * Findings are confirmed by a second scan (check_confirmed()): a
 * breakpoint installed or removed between the registers' read and the
 * walk is not one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "../../core/hwbpwalk.h"

#define PERF_TYPE_BREAKPOINT	5
#define HW_BREAKPOINT_R		1
#define HW_BREAKPOINT_W		2
#define HW_BREAKPOINT_X		4

#define HWBP_CPUS_KEPT		BACKEND_MAX_VCPUS	/* slots kept per CPU */
#define HWBP_KERNEL_MAX		64	/* kernel-address breakpoints told */
/* An object as made here: hookpolicy.c cuts it to HOOK_OBJECT - 1. */
#define HWBP_OBJECT		(HOOK_OBJECT + 64)

/* What one CPU's bp_per_reg[] slot holds, for the registers' check. */
struct hwbp_slot {
	u64 event, addr;
	u32 type;
	s32 err;
	bool used;
};

/* One vCPU's debug registers. */
struct hwbp_vcpu {
	u32 index;
	bool debug;			/* VMIAAS_VCPU_DEBUG */
	u64 dr[VMI_HWBP_SLOTS], dr7;
};

struct hwbp_check {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_hwbp_layout l;	/* core/hwbpwalk.c's */
	struct vmiaas *v;
	u64 offsets, bp_per_reg;
	u32 nr_cpus;
	struct hwbp_slot slots[HWBP_CPUS_KEPT][VMI_HWBP_SLOTS];
	struct vmi_hwbp kern[HWBP_KERNEL_MAX];	/* the kernel's handlers */
	u32 nr_kern;
	struct hwbp_vcpu vcpus[BACKEND_MAX_VCPUS];
	u32 nr_vcpus;			/* 0: no registers (vcpu_err) */
	int vcpu_err;
};

static bool hwbp_kernel_addr(u64 addr)
{
	return addr >> 63;
}

/* "execute breakpoint", "write watchpoint": attr.bp_type @type. */
static const char *hwbp_kind(u32 type)
{
	switch (type) {
	case HW_BREAKPOINT_X:
		return "execute breakpoint";
	case HW_BREAKPOINT_W:
		return "write watchpoint";
	case HW_BREAKPOINT_R | HW_BREAKPOINT_W:
		return "read/write watchpoint";
	}
	return "breakpoint of an unknown type";
}

/* DR7's R/W field of a slot as arch/x86's encode_dr7() writes it. */
static int hwbp_dr7_rw(u32 type)
{
	switch (type) {
	case HW_BREAKPOINT_X:
		return 0;
	case HW_BREAKPOINT_W:
		return 1;
	case HW_BREAKPOINT_R | HW_BREAKPOINT_W:
		return 3;
	}
	return -1;
}

static const char *hwbp_rw_name(unsigned int rw)
{
	static const char *const n[] = {
		"execute", "write", "I/O", "read/write",
	};

	return n[rw & 3];
}

/* DR7's LEN field of a slot in bytes (an execute slot's is 1). */
static unsigned int hwbp_dr7_len(unsigned int rw, unsigned int len)
{
	static const unsigned int bytes[] = { 1, 2, 8, 4 };

	return rw ? bytes[len & 3] : 1;
}

static bool hwbp_in_text(const struct hwbp_check *c, u64 fn)
{
	return fn >= c->h.text_start && fn < c->h.text_end;
}

/* "execute breakpoint on __x64_sys_getppid": the object of @bp. */
static void hwbp_object(struct hwbp_check *c, const struct vmi_hwbp *bp,
			char *buf, size_t size)
{
	char at[HOOK_OBJECT];

	if (!hwbp_kernel_addr(bp->addr)) {
		snprintf(buf, size, "%s on a user address", hwbp_kind(bp->type));
		return;
	}
	check_symbolize(c->v, bp->addr, at, sizeof(at));
	snprintf(buf, size, "%s on %s", hwbp_kind(bp->type), at);
}

static void hwbp_keep(struct hwbp_check *c, const struct vmi_hwbp *bp)
{
	struct hwbp_slot *s;

	if (bp->cpu >= HWBP_CPUS_KEPT || bp->slot >= VMI_HWBP_SLOTS)
		return;
	s = &c->slots[bp->cpu][bp->slot];
	*s = (struct hwbp_slot){
		.event = bp->event, .addr = bp->addr, .type = bp->type,
		.err = bp->err, .used = true,
	};
}

/* A kernel-address breakpoint with the kernel's handlers: told once. */
static void hwbp_kernel_own(struct hwbp_check *c, const struct vmi_hwbp *bp)
{
	u32 i;

	for (i = 0; i < c->nr_kern; i++)
		if (c->kern[i].addr == bp->addr &&
		    c->kern[i].type == bp->type &&
		    c->kern[i].handler == bp->handler)
			return;
	if (c->nr_kern < HWBP_KERNEL_MAX)
		c->kern[c->nr_kern++] = *bp;
}

static const char *hwbp_bad_why(const struct vmi_hwbp *bp)
{
	if (bp->slot == VMI_HWBP_SLOTS)
		return "its __per_cpu_offset cannot be read";
	if (bp->err == -EBADMSG)
		return "the slot holds no kernel pointer";
	if (!bp->err)
		return "the slot holds no breakpoint event (attr.type is not PERF_TYPE_BREAKPOINT)";
	return bp->event ? "its perf_event cannot be read" :
			   "the slot cannot be read";
}

/* core/hwbpwalk.c's callback: an installed breakpoint or a bad slot. */
static int hwbp_visit(void *ctx, const struct vmi_hwbp *bp)
{
	struct hwbp_check *c = ctx;
	char object[HWBP_OBJECT], where[HOOK_WHERE + HWBP_OBJECT];
	bool own;

	hwbp_keep(c, bp);
	if (bp->err || bp->attr_type != PERF_TYPE_BREAKPOINT) {
		if (bp->slot < VMI_HWBP_SLOTS && bp->cpu < HWBP_CPUS_KEPT)
			c->slots[bp->cpu][bp->slot].err = -EBADMSG;
		snprintf(object, sizeof(object), "cpu%u bp_per_reg[%u]",
			 bp->cpu, bp->slot);
		snprintf(where, sizeof(where),
			 "CPU %u's bp_per_reg[%u] (perf_event 0x%llx)", bp->cpu,
			 bp->slot, (unsigned long long)bp->event);
		if (bp->slot == VMI_HWBP_SLOTS)
			snprintf(object, sizeof(object), "cpu%u", bp->cpu);
		hook_bad(&c->h, object, where, bp->event, hwbp_bad_why(bp));
		return 0;
	}
	own = hwbp_in_text(c, bp->handler) &&
	      (!bp->orig_handler || hwbp_in_text(c, bp->orig_handler));
	if (own) {
		if (hwbp_kernel_addr(bp->addr))
			hwbp_kernel_own(c, bp);
		return 0;
	}
	hwbp_object(c, bp, object, sizeof(object));
	snprintf(where, sizeof(where), "the %s (perf_event 0x%llx, CPU %u's DR%u)",
		 object, (unsigned long long)bp->event, bp->cpu, bp->slot);
	if (!hwbp_in_text(c, bp->handler))
		hook_judge(c->v, &c->h, object, where, bp->event, bp->handler);
	if (bp->orig_handler && !hwbp_in_text(c, bp->orig_handler))
		hook_judge(c->v, &c->h, object, where, bp->event,
			   bp->orig_handler);
	return 0;
}

/*
 * Each vCPU's debug registers: those cpu-state read at the start of this
 * check. A slot the walk does not explain is judged again by the
 * confirming scan, on registers read again after the pause.
 */
static int hwbp_read_vcpus(struct hwbp_check *c)
{
	struct vmiaas_vcpu *vc = NULL;
	size_t nr = 0, i;
	int err;

	err = engine_vcpus(c->v, &vc, &nr);
	if (err == -ENODATA) {
		c->vcpu_err = err;
		return 0;
	}
	if (err)
		return err;
	for (i = 0; i < nr && i < BACKEND_MAX_VCPUS; i++)
		c->vcpus[i] = (struct hwbp_vcpu){
			.index = vc[i].index,
			.debug = vc[i].flags & VMIAAS_VCPU_DEBUG,
			.dr = { vc[i].dr[0], vc[i].dr[1], vc[i].dr[2],
				vc[i].dr[3] },
			.dr7 = vc[i].dr7,
		};
	c->nr_vcpus = (u32)i;
	free(vc);
	return 0;
}

static int hwbp_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct hwbp_check *c = (struct hwbp_check *)h;
	struct vmi_hwbp_layout *l = &c->l;
	const struct btf_member_ref m[] = {
		{ "perf_event", "attr.type", &l->attr_type },
		{ "perf_event", "attr.bp_type", &l->bp_type },
		{ "perf_event", "attr.bp_addr", &l->bp_addr },
		{ "perf_event", "attr.bp_len", &l->bp_len },
		{ "perf_event", "overflow_handler", &l->handler },
	};
	int err;

	c->v = v;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "hw-breakpoint: the kernel's BTF lacks struct perf_event's attr.bp_* or overflow_handler");
	/* 6.1 with CONFIG_BPF_SYSCALL; gone in 6.10 */
	if (btf_offsetof(v->btf, "perf_event", "orig_overflow_handler",
			 &l->orig_handler))
		l->orig_handler = VMI_HWBP_NONE;
	if (!vmi_hwbp_layout_ok(l))
		return engine_fail(v, -EBADMSG,
				   "hw-breakpoint: struct perf_event offsets over 64 KiB: implausible");
	if (engine_sym(v, "bp_per_reg", &c->bp_per_reg))
		return engine_fail(v, -ENOENT,
				   "hw-breakpoint: the kernel has no bp_per_reg (arch/x86/kernel/hw_breakpoint.c)");
	err = hidden_percpu(v, &c->offsets, &c->nr_cpus);
	return err ?: hwbp_read_vcpus(c);
}

static int hwbp_walk(struct vmiaas *v, struct hook_scan *h)
{
	struct hwbp_check *c = (struct hwbp_check *)h;
	struct vmi_read_ops r;

	bl_read_ops(v, &r);
	return vmi_hwbp_walk(&r, &c->l, c->offsets, c->nr_cpus, c->bp_per_reg,
			     hwbp_visit, c);
}

/* ---- the debug registers against the registrations ---- */

static void hwbp_not_checked(const struct hidden_sink *sink,
			     const char *object, const char *why)
{
	struct vmiaas_finding *f;

	f = sink->add(sink->ctx, "hw-breakpoint", VMIAAS_SEV_INFO, object);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_EVENT;
	snprintf(f->message, sizeof(f->message), "not checked: %s", why);
}

/* What CPU @cpu's bp_per_reg[@n] says about a DR slot at @addr, access @rw. */
static const char *hwbp_slot_explains(const struct hwbp_check *c, u32 cpu,
				      u32 n, u64 addr, unsigned int rw)
{
	const struct hwbp_slot *s;

	if (cpu >= c->nr_cpus)
		return "the kernel has no such CPU";
	if (cpu >= HWBP_CPUS_KEPT)
		return "over the CPUs this check keeps";
	s = &c->slots[cpu][n];
	if (!s->used)
		return "empty";
	if (s->err)
		return "unreadable, or no breakpoint event";
	if (s->addr != addr)
		return "a breakpoint at another address";
	if (hwbp_dr7_rw(s->type) != (int)rw)
		return "a breakpoint of another access type";
	return NULL;
}

static void hwbp_check_vcpu(struct hwbp_check *c, const struct hwbp_vcpu *vc,
			    const struct hidden_sink *sink)
{
	struct vmiaas_finding *f;
	char object[32], at[128];
	const char *why;
	unsigned int rw, len;
	u32 n;

	for (n = 0; n < VMI_HWBP_SLOTS; n++) {
		u64 addr = vc->dr[n];

		if (!(vc->dr7 & (3ULL << (2 * n))) || !hwbp_kernel_addr(addr))
			continue;
		rw = (vc->dr7 >> (16 + 4 * n)) & 3;
		len = (vc->dr7 >> (18 + 4 * n)) & 3;
		why = hwbp_slot_explains(c, vc->index, n, addr, rw);
		if (!why)
			continue;
		snprintf(object, sizeof(object), "vcpu%u DR%u", vc->index, n);
		f = sink->add(sink->ctx, "hw-breakpoint", VMIAAS_SEV_CRITICAL,
			      object);
		if (!f)
			continue;
		check_symbolize(c->v, addr, at, sizeof(at));
		f->flags |= VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_SYMBOLS;
		f->address = addr;
		f->new_value = addr;
		snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", at);
		snprintf(f->message, sizeof(f->message),
			 "a hardware breakpoint the kernel did not register: vCPU %u's DR%u=%s, enabled in DR7 (%s, %u bytes); CPU %u's bp_per_reg[%u]: %s",
			 vc->index, n, at, hwbp_rw_name(rw),
			 hwbp_dr7_len(rw, len), vc->index, n, why);
	}
}

static void hwbp_report(struct vmiaas *v, struct hook_scan *h,
			const struct hidden_sink *sink)
{
	struct hwbp_check *c = (struct hwbp_check *)h;
	struct vmiaas_finding *f;
	char object[HWBP_OBJECT], call[128];
	u32 i;

	for (i = 0; i < c->nr_kern; i++) {
		hwbp_object(c, &c->kern[i], object, sizeof(object));
		f = sink->add(sink->ctx, "hw-breakpoint", VMIAAS_SEV_INFO,
			      object);
		if (!f)
			continue;
		check_symbolize(v, c->kern[i].handler, call, sizeof(call));
		f->flags |= VMIAAS_FINDING_EVENT | VMIAAS_FINDING_SYMBOLS;
		snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", call);
		snprintf(f->message, sizeof(f->message),
			 "registered with the kernel (perf or ptrace): the %s, its handler the kernel's %s",
			 object, call);
	}
	if (!c->nr_vcpus) {
		hwbp_not_checked(sink, "all vCPUs",
				 "vCPU registers are not available from this target: debug registers unread");
		return;
	}
	for (i = 0; i < c->nr_vcpus; i++) {
		if (c->vcpus[i].debug) {
			hwbp_check_vcpu(c, &c->vcpus[i], sink);
			continue;
		}
		snprintf(object, sizeof(object), "vcpu%u DR0-DR3 DR7",
			 c->vcpus[i].index);
		hwbp_not_checked(sink, object,
				 "this target does not give the debug registers");
	}
}

static const struct hook_check hwbp_hook_check = {
	.check = "hw-breakpoint",
	.sees = "it runs at every hit with the registers it may rewrite",
	.size = sizeof(struct hwbp_check),
	.layout = hwbp_layout,
	.walk = hwbp_walk,
	.report = hwbp_report,
};

/* hookpolicy.h's high (a tainted module) is critical on a code breakpoint. */
static struct vmiaas_finding *hwbp_add(void *ctx, const char *check,
				       u32 severity, const char *object)
{
	const struct hidden_sink *to = ctx;

	if (severity == VMIAAS_SEV_HIGH &&
	    !strncmp(object, "execute breakpoint", 18))
		severity = VMIAAS_SEV_CRITICAL;
	return to->add(to->ctx, check, severity, object);
}

/* One scan: the registrations and the registers now, to @sink. */
static int hwbp_scan(struct vmiaas *v, const struct hidden_sink *sink,
		     void *arg)
{
	const struct hidden_sink up = { .add = hwbp_add, .ctx = (void *)sink };

	return hook_check_scan(v, &hwbp_hook_check, &up, arg);
}

int check_hw_breakpoints(struct vmiaas *v, const struct hidden_sink *sink,
			 struct hook_trust *trust)
{
	return check_confirmed(v, hwbp_scan, trust, sink);
}
