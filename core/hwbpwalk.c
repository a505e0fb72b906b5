// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * hw-breakpoint's execution: see hwbpwalk.h.
 */
#include "hwbpwalk.h"

bool vmi_hwbp_layout_ok(const struct vmi_hwbp_layout *l)
{
	return l && l->attr_type < VMI_OFFSET_MAX &&
	       l->bp_type < VMI_OFFSET_MAX && l->bp_addr < VMI_OFFSET_MAX &&
	       l->bp_len < VMI_OFFSET_MAX && l->handler < VMI_OFFSET_MAX &&
	       (l->orig_handler < VMI_OFFSET_MAX ||
		l->orig_handler == VMI_HWBP_NONE);
}

static int hwbp_u32(const struct vmi_read_ops *r, u64 va, u32 *ret)
{
	u8 b[4];
	int err = r->read(r->ctx, va, b, sizeof(b));

	if (!err)
		*ret = vmi_get_u32(b);
	return err;
}

/* The event in @bp->event: its attr and handlers into @bp. */
static int hwbp_event(const struct vmi_read_ops *r,
		      const struct vmi_hwbp_layout *l, struct vmi_hwbp *bp)
{
	u64 e = bp->event;

	if (hwbp_u32(r, e + l->attr_type, &bp->attr_type) ||
	    hwbp_u32(r, e + l->bp_type, &bp->type) ||
	    vmi_read_u64(r, e + l->bp_addr, &bp->addr) ||
	    vmi_read_u64(r, e + l->bp_len, &bp->len) ||
	    vmi_read_u64(r, e + l->handler, &bp->handler))
		return -EFAULT;
	if (l->orig_handler != VMI_HWBP_NONE &&
	    vmi_read_u64(r, e + l->orig_handler, &bp->orig_handler))
		return -EFAULT;
	return 0;
}

static int hwbp_cpu(const struct vmi_read_ops *r,
		    const struct vmi_hwbp_layout *l, u64 per_cpu_offset,
		    u32 cpu, u64 bp_per_reg, vmi_hwbp_fn fn, void *ctx)
{
	struct vmi_hwbp bp;
	u64 off;
	u32 i;
	int err;

	memset(&bp, 0, sizeof(bp));
	bp.cpu = cpu;
	bp.slot = VMI_HWBP_SLOTS;
	if (vmi_read_u64(r, per_cpu_offset + 8ULL * cpu, &off)) {
		bp.err = -EFAULT;
		return fn(ctx, &bp);
	}
	for (i = 0; i < VMI_HWBP_SLOTS; i++) {
		memset(&bp, 0, sizeof(bp));
		bp.cpu = cpu;
		bp.slot = i;
		/* wraps like the kernel's per-CPU arithmetic: u64 */
		if (vmi_read_u64(r, bp_per_reg + off + 8ULL * i, &bp.event))
			bp.err = -EFAULT;
		else if (!bp.event)
			continue;
		else if (!vmi_kernel_ptr(bp.event))
			bp.err = -EBADMSG;
		else
			bp.err = hwbp_event(r, l, &bp);
		err = fn(ctx, &bp);
		if (err)
			return err;
	}
	return 0;
}

int vmi_hwbp_walk(const struct vmi_read_ops *r,
		  const struct vmi_hwbp_layout *l, u64 per_cpu_offset,
		  u32 nr_cpus, u64 bp_per_reg, vmi_hwbp_fn fn, void *ctx)
{
	u32 cpu;
	int err;

	if (!r || !fn || !vmi_hwbp_layout_ok(l) || !nr_cpus ||
	    nr_cpus > VMI_HWBP_CPUS_MAX)
		return -EINVAL;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		err = hwbp_cpu(r, l, per_cpu_offset, cpu, bp_per_reg, fn, ctx);
		if (err)
			return err;
	}
	return 0;
}
