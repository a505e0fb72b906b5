/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Who may own a function the kernel calls through a pointer in writable
 * memory: the policy of netfilter-hook, shared with packet-tap,
 * input-handler and tracepoint-hook. Distribution modules register such
 * functions too (nf_conntrack, evdev...), so the owner decides:
 *   - the kernel's text: nothing;
 *   - a live module's text, the module not tainted P, F, O or E: an
 *     informational event naming the module (once per module and object);
 *   - a live module's text, the module tainted P (proprietary), F
 *     (forced), O (out of tree) or E (unsigned): a high finding;
 *   - anywhere else (a hidden module, executable heap, freed memory):
 *     a critical finding.
 * The taint is set by the module loader from the signature check and the
 * intree modinfo flag before the module's code runs; a module name is
 * the attacker's choice, so names are never trusted.
 *
 * A tainted module's hook that was there at baseline is trusted (an
 * informational event, "hook present at baseline") if the baseline's
 * HOOKS section has it (check, object, module, the function's offset in
 * the module's text, the taints) and the module is the one measured at
 * baseline: same struct module and ranges, text unchanged since.
 * Critical findings are never trusted.
 */
#ifndef VMIAAS_LIB_HOOKPOLICY_H
#define VMIAAS_LIB_HOOKPOLICY_H

#include <linux/types.h>

#include "checks.h"

#define HOOK_SUSPECTS_MAX	64
#define HOOK_EVENTS_MAX		64	/* distinct (module, object) */
#define HOOK_OBJECT		64
#define HOOK_WHERE		160

/* A function worth a finding or an event, or a bad object (fn 0). */
struct hook_suspect {
	char object[HOOK_OBJECT];	/* "ipv4 PRE_ROUTING", "kbd" */
	char where[HOOK_WHERE];		/* in messages: what holds the pointer */
	u64 address;			/* that object */
	u64 fn;
	const char *why;		/* for a bad object, or an owner unread */
	int mod;			/* index in hook_scan.mods, -1 */
	unsigned long taints;
	bool trusted;			/* present at baseline (an event) */
};

/*
 * The hooks present at baseline, for one check run (hook_trust_get()):
 * the baseline's records and the modules they name that are now the
 * modules measured at baseline (bl_module_unchanged()). At baseline
 * (bl_hooks_take()), @mods are the measured modules and every tainted
 * module's hook in one of them goes to @taken.
 */
struct hook_trust {
	const struct vmiaas_baseline *b;	/* the baseline, NULL at baseline */
	const struct vmiaas_baseline_hook *hooks;
	u32 nr_hooks;
	struct bl_module *mods;		/* ranges only, no bytes */
	u32 nr_mods;
	struct vmiaas_baseline_hook *taken;	/* @room records, or NULL */
	u32 room;			/* 0: BL_HOOKS_MAX */
	u32 nr_taken;			/* beyond @room: not taken */
	u32 nr_over;			/* seen beyond it (repeats counted) */
};

/* @b's trusted hooks whose module is unchanged now; free with _put(). */
int hook_trust_get(struct vmiaas *v, const struct vmiaas_baseline *b,
		   struct hook_trust *ret);
void hook_trust_put(struct hook_trust *t);
/*
 * Whether @t trusts the function @fn of module @m (taints @taints) on
 * @object of check @check: @m is one of @t's modules (name, struct
 * module, text range) and a record has @check, @object, @m's name, @fn's
 * offset in @m's text and @taints.
 */
bool hook_trusted(const struct hook_trust *t, const char *check,
		  const char *object, const struct bl_module *m, u64 fn,
		  unsigned long taints);

/*
 * One scan of one check: the caller sets @check and @sees, then
 * hook_scan_begin(), hook_judge()/hook_bad() per pointer and object,
 * hook_report(), hook_scan_end().
 */
struct hook_scan {
	const char *check;		/* "netfilter-hook" */
	const char *sees;		/* "it sees every packet there" */
	u64 text_start, text_end;	/* the kernel's */
	u32 taints_off;			/* struct module.taints */
	struct hook_trust *trust;	/* NULL: none */
	struct bl_module *mods;		/* live modules */
	u32 nr_mods;
	struct hook_suspect s[HOOK_SUSPECTS_MAX];
	size_t nr;
	struct hook_suspect ev[HOOK_EVENTS_MAX];
	size_t nr_ev;
};

struct hidden_sink;

int hook_scan_begin(struct vmiaas *v, struct hook_scan *h);
void hook_scan_end(struct hook_scan *h);

/*
 * Whether hook_judge() looks at @fn at all: not NULL and not in the
 * kernel's text. A check formats an object's name and its where (and
 * reads names from the guest) only then: it judges hundreds of pointers
 * a check, nearly all the kernel's own.
 */
static inline bool hook_judged(const struct hook_scan *h, u64 fn)
{
	return fn && (fn < h->text_start || fn >= h->text_end);
}

/*
 * @fn, stored in the object at @address, against the rules (see the
 * top). @where says what holds the pointer ("netfilter hook on ipv4
 * PRE_ROUTING of netns 4026531840"). One suspect per object and owner:
 * the first pointer judged of a module (or of no module) is the one
 * reported.
 */
void hook_judge(struct vmiaas *v, struct hook_scan *h, const char *object,
		const char *where, u64 address, u64 fn);
/*
 * The live module (index in @h->mods) whose text or read-only data holds
 * @p, or -1.
 */
int hook_module_holding(const struct hook_scan *h, u64 p);
/* An object that cannot be read or walked: critical. */
void hook_bad(struct hook_scan *h, const char *object, const char *where,
	      u64 address, const char *why);
/*
 * net_namespace_list (@netns) or namespace @inum's device list at @head
 * does not end: critical, "WHAT: namespaces|devices of netns N".
 */
void hook_bad_netlist(struct hook_scan *h, const char *what, bool netns,
		      u32 inum, u64 head);
/* The events, then the findings, to @sink. */
void hook_report(struct vmiaas *v, const struct hook_scan *h,
		 const struct hidden_sink *sink);

/*
 * vmiaas.ko's record @c of the check that ran @h's scan (zeroed by the
 * caller, its layout in c->data): check type @type at @addr, len 1,
 * through the kernel's page tables, failing as a critical finding of
 * h->check on @object; and the ranges a hook may lie in, at most @max in
 * @allow, their number in *@ret_nr: the kernel's text, then the text of
 * each untainted or trusted module seen hooking (its events); with more such
 * modules, the text and the whole module area instead (a tainted
 * module's hook there is then missed). Returns 0, or modarea_get()'s
 * error.
 */
int hook_record(struct vmiaas *v, const struct hook_scan *h,
		struct vmiaas_module_check *c, u32 type, u64 addr,
		const char *object, __u64 (*allow)[2], u32 max, u32 *ret_nr);

/*
 * A check built on struct hook_scan (netfilter-hook, packet-tap,
 * input-handler, tracepoint-hook), for hook_check_scan() and
 * hook_module_check(): its walk state is @size bytes, zeroed, starting
 * with its struct hook_scan; @layout resolves the layout (BTF, symbols),
 * @walk walks the guest once, judging into the hook_scan, and @record
 * fills vmiaas.ko's record (zeroed): the type's part of c->data, then
 * hook_record(); @report (optional) adds the check's own findings (a
 * comparison with the baseline) after hook_report()'s.
 */
struct hook_check {
	const char *check;		/* struct hook_scan's */
	const char *sees;
	size_t size;
	int (*layout)(struct vmiaas *v, struct hook_scan *h);
	int (*walk)(struct vmiaas *v, struct hook_scan *h);
	int (*record)(struct vmiaas *v, struct hook_scan *h,
		      struct vmiaas_module_check *c);
	void (*report)(struct vmiaas *v, struct hook_scan *h,
		       const struct hidden_sink *sink);
};

/*
 * One scan of @hc now: suspects and events to @sink; @trust (NULL:
 * none) the hooks present at baseline (hook_trust_get()).
 */
int hook_check_scan(struct vmiaas *v, const struct hook_check *hc,
		    const struct hidden_sink *sink, struct hook_trust *trust);
/*
 * @hc's record for vmiaas_module_policy(), appended at *@nr (at most
 * @max), a module @trust trusts allowed like an untainted one: -ENOSPC
 * when full, or the error of a step.
 */
int hook_module_check(struct vmiaas *v, const struct hook_check *hc,
		      struct vmiaas_module_check *out, size_t max, size_t *nr,
		      struct hook_trust *trust);

/* Printable ASCII only: a guest string in a message or an object. */
void hook_printable(char *s);
/*
 * The guest string at @addr into @buf: at most @size - 1 bytes, not
 * across the end of its page (the next may be absent), printable; @dflt
 * if it is unreadable or empty.
 */
void hook_string(struct vmiaas *v, u64 addr, char *buf, size_t size,
		 const char *dflt);

#endif /* VMIAAS_LIB_HOOKPOLICY_H */
