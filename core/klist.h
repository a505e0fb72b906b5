/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A bounded walk of a guest's struct list_head list, shared by vmiaas.ko
 * and userspace: the nodes after @head, in order, until the list comes
 * back to @head.
 *
 * The list is guest data: a node that is not an aligned kernel-half
 * address ends the walk with -EBADMSG, a cycle that does not pass through
 * the head (found with Brent's algorithm, no memory) or more than @max
 * nodes with -ELOOP, an unreadable next pointer with the read's error.
 * The callback sees each node once before its next pointer is read; a
 * non-zero return stops the walk and is returned.
 */
#ifndef VMI_KLIST_H
#define VMI_KLIST_H

#include "measure.h"

/* An aligned address in the kernel half (4-level or LA57). */
static inline bool vmi_kernel_ptr(u64 p)
{
	return p >= 0xff00000000000000ULL && !(p & 7);
}

/* A cap on any member offset a layout gives (struct net is ~5 KiB). */
#define VMI_OFFSET_MAX		65536

/* Caps of the network namespace and device walks (nfhook, ptypewalk). */
#define VMI_NETNS_MAX		4096	/* on net_namespace_list */
#define VMI_NET_DEVS_MAX	65536	/* on one namespace's dev_base_head */

typedef int (*vmi_node_fn)(void *ctx, u64 node);

/* Reads the little-endian u64 at guest-virtual @va. */
int vmi_read_u64(const struct vmi_read_ops *r, u64 va, u64 *ret);

/* An address range, end exclusive. */
struct vmi_range {
	u64 start, end;
};

/* Whether @addr lies in one of the @nr @ranges. */
bool vmi_in_ranges(u64 addr, const struct vmi_range *ranges, u32 nr);

/*
 * Calls @fn for each node of the list at @head (at most @max); @ret_nr
 * (may be NULL) gets the number of nodes visited, also on error.
 */
int vmi_list_walk(const struct vmi_read_ops *r, u64 head, u32 max,
		  vmi_node_fn fn, void *ctx, u32 *ret_nr);

/*
 * The same for a struct hlist_head list (no head to come back to): the
 * nodes from the head's first pointer until a NULL next pointer.
 */
int vmi_hlist_walk(const struct vmi_read_ops *r, u64 head, u32 max,
		   vmi_node_fn fn, void *ctx, u32 *ret_nr);

#endif /* VMI_KLIST_H */
