/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A walk of every mapping in a range of a guest address space: the leaves
 * of the page tables (4 KiB, 2 MiB and 1 GiB pages) with the permissions
 * the CPU would apply, for checks that look at how memory is mapped
 * (executable kernel memory outside known code, writable+executable
 * mappings) rather than at one address.
 *
 * Page tables are guest data. The depth is bounded by the paging levels
 * (a table that points at itself or at a table above it is only read
 * again at a lower level); the breadth by @max_tables, the number of
 * tables read: tables shared by many entries (a hostile guest can make
 * 512 entries point at one table, at every level) count each time they
 * are read, so a walk ends after at most @max_tables * 512 entries.
 * Entries with address bits above MAXPHYADDR or PS in a PML4E/PML5E
 * (what vmi_as_walk() refuses with -EBADMSG) fault on the CPU: they are
 * skipped and counted, not followed.
 * Errors: -EINVAL (a corrupt struct vmi_as, an empty range), -E2BIG (over
 * @max_tables), -EFAULT (a table outside guest RAM), or what the callback
 * returns (a non-zero return stops the walk).
 */
#ifndef VMI_PTSCAN_H
#define VMI_PTSCAN_H

#include "paging.h"

/* One present leaf: a page of @size bytes at @va (canonical) and @gpa. */
struct vmi_leaf {
	u64 va;
	u64 gpa;
	u64 size;		/* 4 KiB, 2 MiB or 1 GiB */
	u32 prot;		/* VMI_PROT_*, accumulated over the walk */
	u32 level;		/* 1 PTE, 2 PDE, 3 PDPTE */
};

/* vmi_as_scan() flags. */
#define VMI_SCAN_EXEC		(1U << 0)	/* only leaves without XD */
#define VMI_SCAN_SUPERVISOR	(1U << 1)	/* only leaves without U/S */

struct vmi_scan_stats {
	u64 tables;		/* page tables read (the root included) */
	u64 leaves;		/* leaves passed to the callback */
	u64 bad;		/* entries skipped: reserved bits set */
};

typedef int (*vmi_leaf_fn)(void *ctx, const struct vmi_leaf *leaf);

/*
 * Where a scan may copy a table whose frame is not host-mapped: one page
 * per paging level, so that a table costs one read instead of 512 (the
 * module reads guest memory through kvm_read_guest(), a call per read).
 */
struct vmi_scan_bufs {
	u8 table[5][VMI_PAGE_SIZE];
};

/*
 * Calls @fn for each present leaf that maps some of [@first, @last]
 * (inclusive: the kernel half ends at 2^64 - 1), in address order, with
 * @flags filtering them (for VMI_SCAN_EXEC a subtree whose entry has XD
 * is not read at all: nothing under it can be executed). @stats (may be
 * NULL) is zeroed and then counts.
 */
int vmi_as_scan(const struct vmi_as *as, u64 first, u64 last, u32 flags,
		u64 max_tables, vmi_leaf_fn fn, void *ctx,
		struct vmi_scan_stats *stats);

/* The same, reading unmapped tables whole into @bufs (may be NULL). */
int vmi_as_scan_bufs(const struct vmi_as *as, u64 first, u64 last,
		     u32 flags, u64 max_tables, vmi_leaf_fn fn, void *ctx,
		     struct vmi_scan_stats *stats, struct vmi_scan_bufs *bufs);

#endif /* VMI_PTSCAN_H */
