/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * exec-memory's execution, shared by vmiaas.ko and userspace: the
 * supervisor-executable mappings of the kernel half of a guest address
 * space as runs (contiguous in virtual and physical addresses, one
 * writability), and their judgement against ranges the caller allows.
 *
 * The policy (which ranges the kernel itself maps executable: its text,
 * the module area, the real-mode trampoline, aliases of the text's frames)
 * is the caller's: userspace derives it from the guest's symbols and hands
 * the same list to vmiaas.ko with the check. A run is allowed when it is
 * not writable and lies inside one allowed range, virtual or (for
 * VMI_EXEC_ALLOW_PHYS) by the frames it maps; a writable+executable run
 * is never allowed (W^X). A run is a finding only when a second scan a
 * moment later still shows it (vmi_exec_seen()): mappings being changed
 * (a module loading, text_poke) settle in between.
 *
 * Errors: -EINVAL (bad arguments), -E2BIG (over the table cap), what
 * vmi_as_scan() and the run callback return.
 */
#ifndef VMI_EXECMEM_H
#define VMI_EXECMEM_H

#include "ptscan.h"

/* A run of executable supervisor pages. */
struct vmi_exec_run {
	u64 start, end;		/* virtual, end exclusive */
	u64 gpa;		/* of start: the run is physically contiguous */
	u32 writable;		/* 1: writable and executable */
	u32 pad;
};

#define VMI_EXEC_ALLOW_PHYS	(1U << 0)	/* [start, end) are frames */

/* A range the kernel maps executable itself. */
struct vmi_exec_allow {
	u64 start, end;		/* end exclusive */
	u32 flags;		/* VMI_EXEC_ALLOW_* */
	u32 pad;
};

typedef int (*vmi_exec_run_fn)(void *ctx, const struct vmi_exec_run *run);

/* The first address of the kernel half of @as (4 or 5 levels). */
static inline u64 vmi_exec_kernel_half(const struct vmi_as *as)
{
	return as->levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
}

/*
 * Calls @fn for every run of executable supervisor leaves in [@first,
 * 2^64 - 1], in address order, reading at most @max_tables page tables
 * (@bufs: see vmi_as_scan_bufs(), may be NULL; @stats may be NULL).
 */
int vmi_exec_scan(const struct vmi_as *as, u64 first, u64 max_tables,
		  vmi_exec_run_fn fn, void *ctx, struct vmi_scan_stats *stats,
		  struct vmi_scan_bufs *bufs);

/* Whether @run is not writable and inside one of the @nr @allow ranges. */
bool vmi_exec_allowed(const struct vmi_exec_run *run,
		      const struct vmi_exec_allow *allow, u32 nr);

/*
 * Whether @run lies inside a run of @runs (@nr, address order) with the
 * same writability, at or after *@pos; *@pos only moves forward, so the
 * runs of a second scan, taken in address order, cost one pass.
 */
bool vmi_exec_seen(const struct vmi_exec_run *runs, u64 nr, u64 *pos,
		   const struct vmi_exec_run *run);

/* Suspect runs a walk keeps for the second walk to confirm. */
#define VMI_EXEC_SUSPECTS	16

/* One walk's runs that no allowed range explains. */
struct vmi_exec_suspects {
	const struct vmi_exec_allow *allow;	/* in */
	u32 nr_allow;				/* in */
	u32 nr;			/* out: may exceed VMI_EXEC_SUSPECTS */
	struct vmi_exec_run runs[VMI_EXEC_SUSPECTS];	/* out: the first */
};

/*
 * A walk as vmi_exec_scan() that keeps in @s the runs not allowed by
 * @s->allow (set by the caller, the rest of @s is reset). A caller
 * that finds s->nr non-zero walks again a moment later into another
 * struct and asks vmi_exec_confirmed().
 */
int vmi_exec_suspects(const struct vmi_as *as, u64 first, u64 max_tables,
		      struct vmi_exec_suspects *s, struct vmi_scan_bufs *bufs);

/*
 * Whether a suspect of @again was one of @first too (or there were more
 * than VMI_EXEC_SUSPECTS in either: a guest cannot hide one among many).
 */
bool vmi_exec_confirmed(const struct vmi_exec_suspects *first,
			const struct vmi_exec_suspects *again);

#endif /* VMI_EXECMEM_H */
