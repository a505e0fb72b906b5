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
 * An aligned address in the kernel half: from 0xffff800000000000 with
 * 4-level paging, from 0xff00000000000000 with 5-level (LA57), where the
 * direct map starts at 0xff11000000000000. Canonical form is left to the
 * page walker.
 */
static inline bool kernel_ptr(u64 p)
{
	return p >= 0xff00000000000000ULL && !(p & 7);
}

/*
 * A walk's error that a list changing under it gives as well as a
 * corrupt one (a cycle, a bad pointer, an unreadable node): worth
 * walking again a moment later before reporting it.
 */
static inline bool list_torn(int err)
{
	return err == -ELOOP || err == -EFAULT || err == -EBADMSG;
}

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
 * One list walked a node at a time, for walks that interleave several
 * lists so that their cache misses overlap, with list_walk()'s checks:
 * the cap, Brent's cycle detection, kernel pointers only.
 */
struct list_cursor {
	u64 head;		/* the list's head, for messages */
	u64 end;		/* what ends it: the head (a ring) or NULL */
	u64 node;		/* the current node */
	u64 tortoise, power, lam;
	u32 n, max;
};

/* At @first, the head's first pointer (read by the caller). */
void list_cursor_start(struct list_cursor *c, u64 head, u64 end, u64 first,
		       u32 max);
int list_cursor_fail(struct vmiaas *v, const char *what,
		     const struct list_cursor *c);

/*
 * Whether the current node is one to visit: 1, 0 at the end of the list,
 * -EBADMSG a non-kernel pointer, -ELOOP a cycle or more than max nodes
 * (@what names the list in the message).
 */
static inline int list_cursor_check(struct vmiaas *v, const char *what,
				    struct list_cursor *c)
{
	if (c->node == c->end)
		return 0;
	if (!kernel_ptr(c->node) || c->node == c->tortoise ||
	    ++c->n > c->max)
		return list_cursor_fail(v, what, c);
	return 1;
}

/* Moves to @next, the current node's next pointer. */
static inline void list_cursor_next(struct list_cursor *c, u64 next)
{
	if (++c->lam == c->power) {
		c->tortoise = c->node;
		c->power *= 2;
		c->lam = 0;
	}
	c->node = next;
}

/*
 * Calls @fn(v, node, arg) for each node on the @nr hlist heads at @heads
 * (an array of pointers, like kprobe_table or a hash's buckets), each chain
 * ending in NULL. At most @max nodes over all chains; each chain with
 * list_walk()'s checks: -ELOOP a cycle (found within a few times its
 * length, not at the cap) or more than @max nodes, -EBADMSG a non-kernel
 * pointer.
 */
int hlist_heads_walk(struct vmiaas *v, const char *what, u64 heads,
		     u64 nr, u32 max,
		     int (*fn)(struct vmiaas *v, u64 node, void *arg),
		     void *arg);

#endif /* VMIAAS_LIST_H */
