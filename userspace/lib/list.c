// SPDX-License-Identifier: LGPL-2.1 OR MIT
#include "list.h"

int list_walk(struct vmiaas *v, const char *what, u64 head, u32 max,
	      int (*fn)(struct vmiaas *v, u64 node, void *arg), void *arg)
{
	return list_walk_next(v, what, head, max, fn, NULL, arg);
}

int list_walk_next(struct vmiaas *v, const char *what, u64 head, u32 max,
		   int (*fn)(struct vmiaas *v, u64 node, void *arg),
		   bool (*next)(void *arg, u64 node, u64 *ret), void *arg)
{
	u64 node, tortoise = head, power = 1, lam = 0;
	u32 n = 0;
	int err;

	err = engine_read_u64(v, head, &node);
	while (!err && node != head) {
		if (!kernel_ptr(node))
			return engine_fail(v, -EBADMSG,
				"%s (head 0x%llx): bad pointer 0x%llx after %u nodes: the guest's list is corrupt",
				what, (unsigned long long)head,
				(unsigned long long)node, n);
		if (node == tortoise || ++n > max)
			return engine_fail(v, -ELOOP,
				"%s (head 0x%llx): %s after %u nodes: the guest's list is corrupt",
				what, (unsigned long long)head,
				n > max ? "no end" : "a cycle", n);
		err = fn(v, node, arg);
		if (err)
			return err;
		if (++lam == power) {
			tortoise = node;
			power *= 2;
			lam = 0;
		}
		if (!next || !next(arg, node, &node))
			err = engine_read_u64(v, node, &node);
	}
	if (err)
		return engine_fail(v, err,
			"%s (head 0x%llx): unreadable node after %u nodes",
			what, (unsigned long long)head, n);
	return 0;
}

int hlist_heads_walk(struct vmiaas *v, const char *what, u64 heads,
		     u64 nr, u32 max,
		     int (*fn)(struct vmiaas *v, u64 node, void *arg),
		     void *arg)
{
	u64 node, i;
	u32 seen = 0;
	int err = 0;

	for (i = 0; !err && i < nr; i++) {
		err = engine_read_u64(v, heads + i * 8, &node);
		while (!err && node) {
			if (!kernel_ptr(node) || ++seen > max)
				return engine_fail(v, -ELOOP,
					"%s[%llu]: bad node 0x%llx or more than %u",
					what, (unsigned long long)i,
					(unsigned long long)node, max);
			err = fn(v, node, arg);
			err = err ?: engine_read_u64(v, node, &node);
		}
	}
	return err;
}
