/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Crafted guest memory for the unit tests of the core walks: ARENA bytes
 * at guest-virtual BASE (the direct map), read through @ops. A read that
 * leaves the arena fails with -EFAULT and is counted in reads_outside, so
 * that a test can assert what a walk never followed. One test program
 * per include (the arena is the program's).
 */
#ifndef VMIAAS_TESTS_ARENA_H
#define VMIAAS_TESTS_ARENA_H

#include <string.h>

#include "core/klist.h"

#define BASE		0xffff888000000000ULL
#define ARENA		0x10000

static u8 mem[ARENA];
static u64 reads_outside;

static int arena_read(void *ctx, u64 va, void *buf, size_t len)
{
	(void)ctx;
	if (va < BASE || va - BASE >= ARENA || len > ARENA - (va - BASE)) {
		reads_outside++;
		return -EFAULT;
	}
	memcpy(buf, mem + (va - BASE), len);
	return 0;
}

static const struct vmi_read_ops ops = { .read = arena_read };

static inline void put64(u64 va, u64 val)
{
	memcpy(mem + (va - BASE), &val, 8);
}

static inline void put16(u64 va, u16 val)
{
	memcpy(mem + (va - BASE), &val, 2);
}

/* A list of @n nodes at @nodes after @head (circular, as list_head). */
static inline void link_list(u64 head, const u64 *nodes, int n)
{
	int i;

	put64(head, n ? nodes[0] : head);
	for (i = 0; i < n; i++)
		put64(nodes[i], i + 1 < n ? nodes[i + 1] : head);
}

#endif /* VMIAAS_TESTS_ARENA_H */
