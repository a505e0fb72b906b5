// SPDX-License-Identifier: LGPL-2.1 OR MIT
#include "list.h"

int list_walk(struct vmiaas *v, const char *what, u64 head, u32 max,
	      int (*fn)(struct vmiaas *v, u64 node, void *arg), void *arg)
{
	return list_walk_next(v, what, head, max, fn, NULL, arg);
}

void list_cursor_start(struct list_cursor *c, u64 head, u64 end, u64 first,
		       u32 max)
{
	*c = (struct list_cursor){ .head = head, .end = end, .node = first,
				   .tortoise = head, .power = 1, .max = max };
}

/* list_cursor_check()'s errors: why the current node is refused. */
int list_cursor_fail(struct vmiaas *v, const char *what,
		     const struct list_cursor *c)
{
	if (!kernel_ptr(c->node))
		return engine_fail(v, -EBADMSG,
			"%s (head 0x%llx): bad pointer 0x%llx after %u nodes: the guest's list is corrupt",
			what, (unsigned long long)c->head,
			(unsigned long long)c->node, c->n);
	return engine_fail(v, -ELOOP,
		"%s (head 0x%llx): %s after %u nodes: the guest's list is corrupt",
		what, (unsigned long long)c->head,
		c->n > c->max ? "no end" : "a cycle", c->n);
}

int list_walk_next(struct vmiaas *v, const char *what, u64 head, u32 max,
		   int (*fn)(struct vmiaas *v, u64 node, void *arg),
		   bool (*next)(void *arg, u64 node, u64 *ret), void *arg)
{
	struct list_cursor c;
	u64 node;
	int err;

	err = engine_read_u64(v, head, &node);
	list_cursor_start(&c, head, head, node, max);
	while (!err) {
		err = list_cursor_check(v, what, &c);
		if (err <= 0)
			return err;
		err = fn(v, c.node, arg);
		if (err)
			return err;
		if (!next || !next(arg, c.node, &node))
			err = engine_read_u64(v, c.node, &node);
		list_cursor_next(&c, node);
	}
	return engine_fail(v, err,
			   "%s (head 0x%llx): unreadable node after %u nodes",
			   what, (unsigned long long)head, c.n);
}

int hlist_heads_walk(struct vmiaas *v, const char *what, u64 heads,
		     u64 nr, u32 max,
		     int (*fn)(struct vmiaas *v, u64 node, void *arg),
		     void *arg)
{
	struct list_cursor c;
	u32 seen = 0;
	u64 node, i;
	int err = 0;

	for (i = 0; !err && i < nr; i++) {
		err = engine_read_u64(v, heads + i * 8, &node);
		/* Each chain ends in NULL; the cap is over all chains. */
		list_cursor_start(&c, heads + i * 8, 0, node, max - seen);
		while (!err && (err = list_cursor_check(v, what, &c)) > 0) {
			err = fn(v, c.node, arg);
			err = err ?: engine_read_u64(v, c.node, &node);
			list_cursor_next(&c, node);
		}
		seen += c.n;
	}
	return err;
}
