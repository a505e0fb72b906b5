/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Walking a guest's struct list_head rings. The guest controls every
 * pointer: a walk is capped, detects cycles that do not pass through the
 * head (Brent's algorithm, constant memory) and refuses non-kernel pointers.
 */
#ifndef VMIAAS_LIST_H
#define VMIAAS_LIST_H

#include "engine.h"

/*
 * Calls @fn(v, node, arg) for each node of the ring at @head (the head
 * itself excluded), node being the address of the embedded list_head.
 * @what names the list in error messages ("the task list").
 * Stops early when @fn returns non-zero (returned as is).
 * Errors: -ELOOP a cycle not through the head or more than @max nodes,
 * -EBADMSG a non-kernel pointer, and read errors.
 */
int list_walk(struct vmiaas *v, const char *what, u64 head, u32 max,
	      int (*fn)(struct vmiaas *v, u64 node, void *arg), void *arg);

/*
 * As list_walk(), but the successor of each node is asked of @next first:
 * true and *ret if the caller holds a copy of that node's next pointer
 * (read from the guest earlier in the same scan), false to read it.
 */
int list_walk_next(struct vmiaas *v, const char *what, u64 head, u32 max,
		   int (*fn)(struct vmiaas *v, u64 node, void *arg),
		   bool (*next)(void *arg, u64 node, u64 *ret), void *arg);

/*
 * Calls @fn(v, node, arg) for each node on the @nr hlist heads at @heads
 * (an array of pointers, like kprobe_table or a hash's buckets). At most
 * @max nodes over all chains: a cycle ends in -ELOOP.
 */
int hlist_heads_walk(struct vmiaas *v, const char *what, u64 heads,
		     u64 nr, u32 max,
		     int (*fn)(struct vmiaas *v, u64 node, void *arg),
		     void *arg);

/*
 * An aligned address in the kernel half: from 0xffff800000000000 with
 * 4-level paging, from 0xff00000000000000 with 5-level (LA57), where the
 * direct map starts at 0xff11000000000000. Canonical form is left to the
 * page walker.
 */
static inline bool kernel_ptr(u64 p)
{
	return p >= 0xff00000000000000ULL && !(p & 7);
}

#endif /* VMIAAS_LIST_H */
