// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A bounded list walk: see klist.h.
 */
#include "klist.h"

int vmi_read_u64(const struct vmi_read_ops *r, u64 va, u64 *ret)
{
	u8 raw[8];
	int err;

	err = r->read(r->ctx, va, raw, sizeof(raw));
	if (!err)
		*ret = vmi_get_u64(raw);
	return err;
}

/* Both walks: @end is the value that ends the list (head, or 0). */
static int list_walk(const struct vmi_read_ops *r, u64 head, u64 end,
		     u32 max, vmi_node_fn fn, void *ctx, u32 *ret_nr)
{
	u64 node, tortoise = head, power = 1, lam = 0;
	u32 n = 0;
	int err;

	if (ret_nr)
		*ret_nr = 0;
	if (!r || !r->read || !fn)
		return -EINVAL;
	err = vmi_read_u64(r, head, &node);
	while (!err && node != end) {
		if (!vmi_kernel_ptr(node)) {
			err = -EBADMSG;
			break;
		}
		if (node == tortoise || n >= max) {
			err = -ELOOP;
			break;
		}
		n++;
		err = fn(ctx, node);
		if (err)
			break;
		if (++lam == power) {
			tortoise = node;
			power *= 2;
			lam = 0;
		}
		err = vmi_read_u64(r, node, &node);
	}
	if (ret_nr)
		*ret_nr = n;
	return err;
}

int vmi_list_walk(const struct vmi_read_ops *r, u64 head, u32 max,
		  vmi_node_fn fn, void *ctx, u32 *ret_nr)
{
	return list_walk(r, head, head, max, fn, ctx, ret_nr);
}

int vmi_hlist_walk(const struct vmi_read_ops *r, u64 head, u32 max,
		   vmi_node_fn fn, void *ctx, u32 *ret_nr)
{
	return list_walk(r, head, 0, max, fn, ctx, ret_nr);
}

bool vmi_in_ranges(u64 addr, const struct vmi_range *ranges, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (addr >= ranges[i].start && addr < ranges[i].end)
			return true;
	return false;
}
