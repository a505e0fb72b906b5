/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The kernel's own runtime patching of its text, from its own records in
 * guest memory: what a changed byte of kernel (or module) text may
 * legitimately hold now, and which ftrace_ops hook functions.
 *
 *   jump labels    __jump_table: NOP, or JMP to the entry's target
 *   static calls   .static_call_sites and the __SCT__ trampolines: CALL or
 *                  JMP to the key's current function, NOP/RET variants;
 *                  the function must be one of the kernel's, or code of
 *                  a module entitled to the key (see sc_func_ok())
 *   ftrace         dyn_ftrace records (ftrace_pages_start): NOP, or CALL to
 *                  ftrace_caller, ftrace_regs_caller or a registered
 *                  ftrace_ops' trampoline; ftrace_call/ftrace_regs_call in
 *                  ftrace_caller: CALL to a registered ops' function
 *   BPF            a direct call (direct_functions) into a BPF trampoline
 *                  image (bpf_kallsyms, "bpf_trampoline_*")
 *   kprobes        kprobe_table: int3, or an optimized probe's JMP to its
 *                  detour buffer, which must be the kernel's (optprobe
 *                  template, probed instructions, jump back)
 *
 * Nothing is hard-coded but the instruction encodings: symbols come from
 * kallsyms, layouts from BTF. Every walk is bounded; a record that cannot
 * be read leaves its kind unexplained (reported in patching_why()), it
 * never makes a change look benign.
 */
#ifndef VMIAAS_LIB_PATCHING_H
#define VMIAAS_LIB_PATCHING_H

#include "engine.h"

enum patch_kind {
	PATCH_JUMP_LABEL,
	PATCH_STATIC_CALL,
	PATCH_FTRACE,		/* an mcount site, or ftrace_caller's calls */
	PATCH_BPF,		/* an ftrace site calling a BPF trampoline */
	PATCH_KPROBE,
	PATCH_KINDS,
};

/* Caps on what a guest's records can make us do. */
#define PATCH_SITES_MAX		(1U << 21)	/* all kinds together */
#define PATCH_FTRACE_PAGES_MAX	(1U << 16)
#define PATCH_FTRACE_PAGE_RECS	(1U << 16)	/* records in one page */
#define PATCH_OPS_MAX		4096		/* ftrace_ops on the list */
#define PATCH_HASH_BITS_MAX	16		/* ftrace_hash.size_bits */
#define PATCH_HASH_ENTRIES_MAX	(1U << 18)	/* entries in one hash */
#define PATCH_KPROBE_TABLE	64		/* KPROBE_TABLE_SIZE, 1 << 6 */
#define PATCH_KPROBES_MAX	(1U << 16)	/* on one hash chain */
#define PATCH_KLP_MAX		4096		/* patches+objects+funcs */
#define PATCH_HOOKS_MAX		256		/* hooks reported per kind */
#define PATCH_BPF_KSYMS_MAX	(1U << 16)
#define PATCH_LSM_SLOTS_MAX	(1U << 16)	/* static_calls_table */

struct patching;

/* The context is cheap; records are read on the first explain. */
int patching_new(struct vmiaas *v, struct patching **ret);
/* the first wait before a site that fails is read again (150 ms in all) */
extern unsigned int patching_poke_wait_us;
/* the step of the wait for ftrace_lock (30 of them, once a check) */
extern unsigned int patching_busy_wait_us;
struct patching *patching_free(struct patching *p);

/*
 * The baseline the check compares with: its copy of the kernel text is
 * what the __static_call_update() call sites are found in (trusted, and
 * the same for every check: the result is kept on the handle, keyed by
 * the baseline's salt). Without one the guest's text now is scanned,
 * every check.
 */
struct vmiaas_baseline;
void patching_use_baseline(struct patching *p,
			   const struct vmiaas_baseline *b);
struct sc_upd_memo;
void patching_memo_free(struct sc_upd_memo *m);
/* The records' last sort order, kept on the handle (patching.c). */
struct site_order;
void patching_order_free(struct site_order *o);

/*
 * Whether every byte that differs between @old and @now (the baseline's
 * and the current bytes of [@va, @va + @len)) lies in a patch site whose
 * bytes in the guest now are what the kernel's records allow there. Each
 * site so explained is counted under its kind. Without @old (NULL), every
 * byte of the range must lie in such a site.
 */
bool patching_explain(struct patching *p, u64 va, u64 len, const u8 *old,
		      const u8 *now);

/* Sites explained so far, per kind; and a kind's name ("ftrace sites"). */
size_t patching_count(const struct patching *p, enum patch_kind kind);
const char *patching_kind_name(enum patch_kind kind);
/* Of the kprobe sites, those of a probe waiting on optimizing_list. */
size_t patching_kprobes_waiting(const struct patching *p);
/*
 * Differing bytes that held the baseline's again when read anew (a
 * change the kernel undid while the run was judged), not counted above;
 * *ret_first the first of them (set only if there are any).
 */
size_t patching_reverted(const struct patching *p, u64 *ret_first);

/* Why some records could not be read (NULL if all were). */
const char *patching_why(const struct patching *p);

/*
 * Why the last patching_explain() that failed refused a site's bytes
 * although the records allowed them (a static call into code the key's
 * function may not be), or NULL.
 */
const char *patching_rejected(const struct patching *p);

/* ---- ftrace_ops that hook functions ---- */

#define PATCH_HOOK_FUNCS	8	/* functions named per hook */

struct patching_hook {
	u64 ops;			/* struct ftrace_ops * */
	u64 func;			/* its callback */
	u64 flags;			/* FTRACE_OPS_FL_* */
	bool ipmodify;
	bool livepatch;			/* ops of a registered live patch */
	char patch[56];			/* that patch's module */
	u32 nr_funcs;			/* filter functions; 0: every function */
	u64 funcs[PATCH_HOOK_FUNCS];	/* their ftrace sites */
	u64 repl[PATCH_HOOK_FUNCS];	/* live patch: the new functions */
};

/*
 * The registered ftrace_ops whose callback lies outside the kernel's text
 * or that may modify the IP (FTRACE_OPS_FL_IPMODIFY), except the kernel's
 * own kprobe ops; those belonging to a live patch on klp_patches are
 * marked. *ret is free()d by the caller.
 */
int patching_ftrace_hooks(struct vmiaas *v, struct patching_hook **ret,
			  size_t *ret_nr);

/* ---- kprobes whose handlers lie outside the kernel's text ---- */

struct patching_kprobe_hook {
	u64 kprobe;			/* struct kprobe * */
	u64 addr;			/* the probed instruction */
	u64 handler;			/* outside _stext.._etext; detour: where
					 * its call or jmp leads now, or 0 */
	const char *which;		/* "pre_handler", "handler"...; detour:
					 * what is wrong with it */
	u64 detour;			/* non-zero: an optimized probe whose */
	u64 bad_at;			/* detour buffer is not the kernel's
					 * from this byte on */
	u64 slot;			/* non-zero: a probe whose instruction
					 * copy (ainsn.insn, here) or emulation
					 * is not the kernel's: at bad_at */
};

/*
 * Every registered kprobe (kprobe_table, aggregated probes' lists
 * included) with a pre/post handler, or a kretprobe with a handler or
 * entry handler, outside the kernel's text: a function hooked through
 * kprobes. And every optimized probe whose detour buffer is not what
 * arch_prepare_optimized_kprobe() wrote (the optprobe template with its
 * three edits, the probed instructions, the jump back): whatever it runs
 * instead hooks the function. And every probe whose out-of-line copy of
 * the probed instruction or whose emulation of it is not what
 * arch_prepare_kprobe() made (kpslot.h). *ret is free()d by the caller.
 */
int patching_kprobe_hooks(struct vmiaas *v,
			  struct patching_kprobe_hook **ret, size_t *ret_nr);

#endif /* VMIAAS_LIB_PATCHING_H */
