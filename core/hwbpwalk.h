/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * hw-breakpoint's execution, shared by vmiaas.ko and userspace: the
 * breakpoints the kernel installed in each CPU's debug registers.
 *
 * arch/x86/kernel/hw_breakpoint.c keeps, per CPU, the perf_event that
 * owns each of the four address registers (static DEFINE_PER_CPU(struct
 * perf_event *, bp_per_reg[HBP_NUM]), the same in 6.1 and 6.12):
 * arch_install_hw_breakpoint() puts the event in the first free slot N
 * and writes DR<N> and DR7; arch_uninstall_hw_breakpoint() clears the
 * slot and DR7's bits. A kernel-wide breakpoint
 * (register_wide_hw_breakpoint()) sits in every CPU's bp_per_reg; a
 * task's (ptrace, perf on a task) only while that task runs there. The
 * event's attr holds what was asked (bp_addr, bp_len, bp_type), its
 * overflow_handler what runs on a hit (with the registers the handler
 * may rewrite), and on 6.1 with BPF orig_overflow_handler the one a BPF
 * program's bpf_overflow_handler() calls after it. The layout is the
 * caller's, from the guest's BTF; so is the judgement.
 *
 * CPU N's copy of bp_per_reg is at bp_per_reg + __per_cpu_offset[N]
 * (@bp_per_reg is the per-CPU symbol as kallsyms gives it). Bounds: at
 * most VMI_HWBP_CPUS_MAX CPUs; every event pointer must be an aligned
 * kernel-half address. What cannot be read is passed to the callback
 * (->err), not returned: a guest must not turn the check off by
 * corrupting one slot. Errors returned: -EINVAL (a bad layout or
 * argument) and what the callback returns.
 */
#ifndef VMI_HWBPWALK_H
#define VMI_HWBPWALK_H

#include "klist.h"

#define VMI_HWBP_SLOTS		4	/* HBP_NUM: DR0..DR3 */
#define VMI_HWBP_CPUS_MAX	8192	/* nr_cpu_ids */
#define VMI_HWBP_NONE		0xffffffffU	/* a member the kernel lacks */

struct vmi_hwbp_layout {
	u32 attr_type;		/* offsetof(struct perf_event, attr.type) */
	u32 bp_type;		/* ... attr.bp_type (u32) */
	u32 bp_addr;		/* ... attr.bp_addr (u64) */
	u32 bp_len;		/* ... attr.bp_len (u64) */
	u32 handler;		/* ... overflow_handler */
	u32 orig_handler;	/* ... orig_overflow_handler, or _NONE */
};

/* An installed breakpoint, or (->err) a slot or CPU that cannot be read. */
struct vmi_hwbp {
	u64 event;		/* struct perf_event (0 with some errors) */
	u64 addr, len;		/* attr.bp_addr, attr.bp_len */
	u64 handler;		/* overflow_handler */
	u64 orig_handler;	/* orig_overflow_handler, 0 if none */
	u32 attr_type;		/* PERF_TYPE_BREAKPOINT (5) for a real one */
	u32 type;		/* attr.bp_type: HW_BREAKPOINT_R 1, W 2, X 4 */
	u32 cpu;
	u32 slot;		/* 0..3; VMI_HWBP_SLOTS: the CPU's offset */
	/*
	 * 0, or: -EFAULT unreadable (the CPU's __per_cpu_offset, its slot
	 * or the event), -EBADMSG the slot holds no aligned kernel pointer
	 */
	s32 err;
	u32 pad;
};

typedef int (*vmi_hwbp_fn)(void *ctx, const struct vmi_hwbp *bp);

/* Whether @l is plausible (offsets within their bounds). */
bool vmi_hwbp_layout_ok(const struct vmi_hwbp_layout *l);

/*
 * Calls @fn for each occupied bp_per_reg slot of CPUs 0..@nr_cpus - 1,
 * CPU by CPU, slot by slot, and for each one that cannot be read.
 * @per_cpu_offset is the address of the kernel's __per_cpu_offset[].
 */
int vmi_hwbp_walk(const struct vmi_read_ops *r,
		  const struct vmi_hwbp_layout *l, u64 per_cpu_offset,
		  u32 nr_cpus, u64 bp_per_reg, vmi_hwbp_fn fn, void *ctx);

#endif /* VMI_HWBPWALK_H */
