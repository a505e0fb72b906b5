// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * tracepoint-hook: the functions the kernel calls at its tracepoints.
 *
 * A module that calls tracepoint_probe_register() gets its function
 * called at every hit of the tracepoint with the tracepoint's arguments:
 * on sys_enter the registers of every system call, which it may rewrite
 * (the syscall number, a path): a system call hook with no table and no
 * text changed. sched_process_exec/fork, netif_receive_skb and the like
 * give it every process and packet. The only trace is the probe in the
 * tracepoint's funcs array (heap). The walk is core/tpwalk.c's (the
 * kernel's tracepoints from __start___tracepoints_ptrs, each live
 * module's from its struct module); this file resolves the layout from
 * BTF and judges each probe:
 *   - in the kernel's text: nothing (the kernel's own probes: the trace
 *     events' trace_event_raw_event_* and perf_trace_*, BPF's
 *     __bpf_trace_*, the tracers' probes, tp_stub_func);
 *   - in the text of the module that defines the tracepoint: nothing (a
 *     module's own trace events, traced by perf, ftrace or BPF, run that
 *     module's trace_event_raw_event_*, perf_trace_* or __bpf_trace_*: a
 *     module calling itself hooks nothing else);
 *   - otherwise by hookpolicy.h's rules: an untainted module an event, a
 *     tainted one high, anywhere else critical.
 * A tracepoint or array that cannot be walked is critical: the kernel
 * would fault or run off the array there. Findings are confirmed by a
 * second scan (check_confirmed()): a module being unloaded unregisters
 * its probes just after it stops being live.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "uapi/linux/vmiaas.h"
#include "../../core/tpwalk.h"

struct tp_check {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_tp_layout l;		/* core/tpwalk.c's */
	u32 mod_ptrs, mod_nr;		/* struct module.tracepoints_ptrs... */
	struct vmiaas *v;
	int owner;			/* h.mods index walked, -1: the kernel */
	u64 start, stop;		/* the kernel's __tracepoints_ptrs */
};

/* The tracepoint's name, or "tracepoint@ADDR". */
static void tp_name(struct tp_check *c, u64 tp, char *buf, size_t size)
{
	char dflt[32];
	u64 name = 0;

	snprintf(dflt, sizeof(dflt), "tracepoint@%llx", (unsigned long long)tp);
	if (tp)
		engine_read_u64(c->v, tp + c->l.tp_name, &name);
	hook_string(c->v, name, buf, size, dflt);
}

/* "the kernel's", "vmiaas_attack_tracepoint's": whose array @c walks. */
static const char *tp_owner(const struct tp_check *c)
{
	return c->owner < 0 ? "the kernel" : c->h.mods[c->owner].name;
}

const char *tp_bad_why(const struct vmi_tp_probe *p)
{
	if (!p->tp)
		return p->err == -E2BIG ? "over 65536 tracepoints: implausible" :
		       p->err == -EBADMSG ? "the array is not at a kernel address" :
		       "the array cannot be read";
	if (!p->funcs)
		return p->err == -EBADMSG ?
		       "its entry points outside the kernel (not an aligned kernel address)" :
		       "its funcs pointer cannot be read";
	return p->err == -E2BIG ? "its probe array does not end within 4096 probes" :
	       p->err == -EBADMSG ? "its probe array is not at a kernel address" :
	       "its probe array cannot be read";
}

static void tp_visit_bad(struct tp_check *c, const struct vmi_tp_probe *p)
{
	char name[HOOK_OBJECT + BL_MODULE_NAME];
	char where[HOOK_WHERE + HOOK_OBJECT + BL_MODULE_NAME];

	if (!p->tp || (p->err == -EBADMSG && !p->funcs)) {
		snprintf(name, sizeof(name), "tracepoints of %s", tp_owner(c));
		snprintf(where, sizeof(where),
			 "tracepoint array of %s at 0x%llx, entry %u",
			 tp_owner(c), (unsigned long long)p->ptrs, p->entry);
		hook_bad(&c->h, name, where, p->tp ?: p->ptrs, tp_bad_why(p));
		return;
	}
	tp_name(c, p->tp, name, sizeof(name));
	snprintf(where, sizeof(where), "tracepoint %s (0x%llx, of %s)", name,
		 (unsigned long long)p->tp, tp_owner(c));
	hook_bad(&c->h, name, where, p->tp, tp_bad_why(p));
}

/* core/tpwalk.c's callback: a probe or a bad tracepoint. */
static int tp_visit(void *ctx, const struct vmi_tp_probe *p)
{
	struct tp_check *c = ctx;
	const struct bl_region *own;
	char name[HOOK_OBJECT], where[HOOK_WHERE];

	if (p->err) {
		tp_visit_bad(c, p);
		return 0;
	}
	if (p->fn >= c->h.text_start && p->fn < c->h.text_end)
		return 0;
	own = c->owner < 0 ? NULL : &c->h.mods[c->owner].text;
	if (own && p->fn >= own->start && p->fn < own->end)
		return 0;
	tp_name(c, p->tp, name, sizeof(name));
	snprintf(where, sizeof(where), "probe %u of tracepoint %s (of %s)",
		 p->index, name, tp_owner(c));
	hook_judge(c->v, &c->h, name, where, p->tp, p->fn);
	return 0;
}

static int tp_walk_kernel(struct tp_check *c)
{
	struct vmi_read_ops r;

	bl_read_ops(c->v, &r);
	c->owner = -1;
	return vmi_tp_walk(&r, &c->l, c->start, (c->stop - c->start) / 4,
			   tp_visit, c);
}

static int tp_walk_module(struct tp_check *c, u32 i)
{
	const struct bl_module *m = &c->h.mods[i];
	char where[HOOK_WHERE];
	struct vmi_read_ops r;
	u64 ptrs;
	u32 nr;

	c->owner = i;
	if (engine_read_u64(c->v, m->addr + c->mod_ptrs, &ptrs) ||
	    engine_read(c->v, m->addr + c->mod_nr, &nr, sizeof(nr))) {
		snprintf(where, sizeof(where), "module %s (0x%llx)", m->name,
			 (unsigned long long)m->addr);
		hook_bad(&c->h, m->name, where, m->addr,
			 "its tracepoints_ptrs cannot be read");
		return 0;
	}
	bl_read_ops(c->v, &r);
	return vmi_tp_walk(&r, &c->l, ptrs, ptrs ? nr : 0, tp_visit, c);
}

static int tp_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct tp_check *c = (struct tp_check *)h;
	struct vmi_tp_layout *l = &c->l;
	const struct btf_member_ref m[] = {
		{ "tracepoint", "name", &l->tp_name },
		{ "tracepoint", "funcs", &l->tp_funcs },
		{ "tracepoint_func", "func", &l->func_fn },
		{ "tracepoint_func", "data", &l->func_data },
		{ "module", "tracepoints_ptrs", &c->mod_ptrs },
		{ "module", "num_tracepoints", &c->mod_nr },
	};

	c->v = v;
	l->max_tps = VMI_TP_MAX;
	l->max_probes = VMI_TP_PROBES_MAX;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL) ||
	    btf_sizeof(v->btf, "tracepoint_func", &l->func_size))
		return engine_fail(v, -ENOENT,
				   "tracepoint-hook: the kernel's BTF lacks struct tracepoint, tracepoint_func or module's tracepoints");
	if (!vmi_tp_layout_ok(l) || c->mod_ptrs >= VMI_OFFSET_MAX ||
	    c->mod_nr >= VMI_OFFSET_MAX)
		return engine_fail(v, -EBADMSG,
				   "tracepoint-hook: struct tracepoint_func of %u bytes or offsets over 64 KiB: implausible",
				   l->func_size);
	if (engine_sym(v, "__start___tracepoints_ptrs", &c->start) ||
	    engine_sym(v, "__stop___tracepoints_ptrs", &c->stop))
		return engine_fail(v, -ENOENT,
				   "tracepoint-hook: the kernel has no __start___tracepoints_ptrs");
	if (c->stop < c->start || (c->stop - c->start) % 4)
		return engine_fail(v, -EBADMSG,
				   "tracepoint-hook: __tracepoints_ptrs 0x%llx..0x%llx: implausible",
				   (unsigned long long)c->start,
				   (unsigned long long)c->stop);
	return 0;
}

/* The kernel's tracepoints, then each live module's. */
static int tp_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct tp_check *c = (struct tp_check *)h;
	u32 i;
	int err;

	err = tp_walk_kernel(c);
	for (i = 0; !err && i < c->h.nr_mods; i++)
		err = tp_walk_module(c, i);
	return err;
}

/* ---- vmiaas.ko's record ---- */

/*
 * tracepoint-hook's record: the kernel's array of tracepoints (addr, len
 * of them), the layout and the allowed ranges. Modules' own tracepoints
 * are left to the scan: their arrays go with their modules.
 */
static int tp_record(struct vmiaas *v, struct hook_scan *h,
		     struct vmiaas_module_check *c)
{
	struct tp_check *t = (struct tp_check *)h;
	struct vmiaas_tp_check *tc = (struct vmiaas_tp_check *)c->data;
	u64 nr = (t->stop - t->start) / 4;
	int err;

	static_assert(sizeof(*tc) <= VMIAAS_MODULE_DATA, "data");
	static_assert(VMIAAS_MAX_TP == VMI_TP_MAX &&
		      VMIAAS_MAX_TP_FUNC == VMI_TP_FUNC_MAX, "tp caps");
	if (!nr || nr > VMIAAS_MAX_TP)
		return engine_fail(v, -EBADMSG,
				   "tracepoint-hook: %llu tracepoints: implausible",
				   (unsigned long long)nr);
	*tc = (struct vmiaas_tp_check){
		.tp_name = t->l.tp_name, .tp_funcs = t->l.tp_funcs,
		.func_fn = t->l.func_fn, .func_data = t->l.func_data,
		.func_size = t->l.func_size,
	};
	err = hook_record(v, h, c, VMIAAS_CHECK_TP_GVA, t->start,
			  "tracepoints", tc->allow, VMIAAS_MAX_HOOK_ALLOW,
			  &tc->nr_allow);
	c->len = nr;
	return err;
}

static const struct hook_check tp_hook_check = {
	.check = "tracepoint-hook",
	.sees = "the kernel calls it with the tracepoint's arguments at every hit",
	.size = sizeof(struct tp_check),
	.layout = tp_layout,
	.walk = tp_walk_all,
	.record = tp_record,
};

/* One scan: every tracepoint's probes now, suspects and events to @sink. */
static int tp_scan(struct vmiaas *v, const struct hidden_sink *sink,
		   void *arg)
{
	return hook_check_scan(v, &tp_hook_check, sink, arg);
}

int check_tracepoints(struct vmiaas *v, const struct hidden_sink *sink,
		      struct hook_trust *trust)
{
	return check_confirmed(v, tp_scan, trust, sink);
}

/* tracepoint-hook's record for vmiaas_module_policy(), appended at *@nr. */
int tp_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		    size_t max, size_t *nr, struct hook_trust *trust)
{
	return hook_module_check(v, &tp_hook_check, out, max, nr, trust);
}
