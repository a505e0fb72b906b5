/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tracepoint-hook's execution, shared by vmiaas.ko and userspace: every
 * probe on every tracepoint of one array of tracepoints.
 *
 * tracepoint_probe_register() adds a function to a tracepoint's funcs: a
 * struct tracepoint_func array (heap, replaced on every change) ended by
 * an entry whose func is NULL. The kernel calls each at the tracepoint
 * with its arguments (sys_enter: the registers of every system call),
 * and changes no text and no read-only data for it. The tracepoints are
 * listed by an array of s32 offsets, each relative to its own address
 * (x86-64 has CONFIG_HAVE_ARCH_PREL32_RELOCATIONS: tracepoint_ptr_deref()
 * is offset_to_ptr()): the kernel's __start___tracepoints_ptrs ..
 * __stop___tracepoints_ptrs (read-only data), a module's
 * tracepoints_ptrs and num_tracepoints. The layout is the caller's, from
 * the guest's BTF; so is the judgement of a probe.
 *
 * Bounds: at most @max_tps tracepoints in an array and @max_probes
 * probes on one tracepoint (more, or no NULL entry within them, is a bad
 * tracepoint: the kernel would run off the array). Every tracepoint and
 * funcs pointer must be an aligned kernel-half address. What cannot be
 * walked is passed to the callback (->err), not returned: a guest must
 * not turn the check off by corrupting one tracepoint.
 * Errors returned: -EINVAL (a bad layout or argument) and what the
 * callback returns.
 */
#ifndef VMI_TPWALK_H
#define VMI_TPWALK_H

#include "klist.h"

#define VMI_TP_MAX		65536	/* tracepoints in one array */
#define VMI_TP_PROBES_MAX	4096	/* probes on one tracepoint */
#define VMI_TP_FUNC_MAX		64	/* sizeof(struct tracepoint_func) */

struct vmi_tp_layout {
	u32 tp_name;		/* offsetof(struct tracepoint, name) */
	u32 tp_funcs;		/* offsetof(struct tracepoint, funcs) */
	u32 func_fn;		/* offsetof(struct tracepoint_func, func) */
	u32 func_data;		/* offsetof(struct tracepoint_func, data) */
	u32 func_size;		/* sizeof(struct tracepoint_func) */
	u32 max_tps, max_probes;
};

/* A probe, or (->err) a tracepoint or array that cannot be walked. */
struct vmi_tp_probe {
	u64 ptrs;		/* the array of offsets */
	u64 tp;			/* struct tracepoint (0: its entry unread) */
	u64 funcs;		/* its probe array (0 with some errors) */
	u64 fn, data;		/* the probe (0 with ->err) */
	u32 entry;		/* the tracepoint's index in @ptrs */
	u32 index;		/* the probe's place in @funcs */
	/*
	 * 0, or: -EFAULT unreadable, -EBADMSG not an aligned kernel
	 * pointer, -E2BIG over max_tps (entry 0, tp 0) or no NULL entry
	 * within max_probes
	 */
	s32 err;
	u32 pad;
};

typedef int (*vmi_tp_fn)(void *ctx, const struct vmi_tp_probe *p);

/* Whether @l is plausible (offsets and caps within their bounds). */
bool vmi_tp_layout_ok(const struct vmi_tp_layout *l);

/*
 * Calls @fn for every probe of the @nr tracepoints whose offsets start at
 * @ptrs, in order, and for every one that cannot be walked.
 */
int vmi_tp_walk(const struct vmi_read_ops *r, const struct vmi_tp_layout *l,
		u64 ptrs, u64 nr, vmi_tp_fn fn, void *ctx);

#define VMI_TP_NAME		64	/* of the first suspect, NUL-ended */

/* What vmi_tp_suspects() found. */
struct vmi_tp_suspects {
	u64 nr;				/* bad ones, probes not allowed */
	struct vmi_tp_probe first;	/* the first of them (if nr) */
	/* its tracepoint's name: at most VMI_TP_NAME - 1 bytes, "" unread */
	char first_name[VMI_TP_NAME];
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every tracepoint or array that cannot be walked, and every
 * probe outside the @nr_allow ranges of @allow, is a suspect. The name
 * is read from the tracepoint's name pointer, not across the end of its
 * page (the next may be absent), bytes as they are (the caller makes
 * them printable).
 */
int vmi_tp_suspects(const struct vmi_read_ops *r,
		    const struct vmi_tp_layout *l, u64 ptrs, u64 nr,
		    const struct vmi_range *allow, u32 nr_allow,
		    struct vmi_tp_suspects *ret);

#endif /* VMI_TPWALK_H */
