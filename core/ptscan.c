// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Walks every present leaf of a guest address range (see ptscan.h).
 *
 * Recursion is one frame per paging level (at most 5); each frame keeps
 * only indexes and the accumulated permissions, never a copy of a table:
 * a table is read in place when its frame is host-mapped, else entry by
 * entry through the phys read callback.
 */
#include "ptscan.h"

struct scan {
	const struct vmi_as *as;
	u64 addr_mask;
	u64 first, last;	/* as 57- or 48-bit offsets, sign bits cut */
	u32 flags;
	u64 max_tables;
	vmi_leaf_fn fn;
	void *ctx;
	struct vmi_scan_stats *st;
	struct vmi_scan_bufs *bufs;	/* NULL: unmapped tables by entry */
};

static inline u32 scan_shift(u32 level)
{
	return 12 + 9 * (level - 1);
}

/* The canonical address of offset @off (bits below 48 or 57). */
static u64 scan_canonical(const struct scan *s, u64 off)
{
	u32 bits = s->as->levels == 5 ? 57 : 48;

	return (u64)((s64)(off << (64 - bits)) >> (64 - bits));
}

static int scan_entry(const struct scan *s, u64 pte, u32 level, u64 base,
		      u32 prot);

static int scan_table(const struct scan *s, u64 table, u32 level, u64 base,
		      u32 prot)
{
	u64 span = 1ULL << scan_shift(level);
	u64 lo = 0, hi = 511, i;
	const u8 *map;
	int err;

	if (++s->st->tables > s->max_tables)
		return -E2BIG;
	if (s->first > base)
		lo = (s->first - base) >> scan_shift(level);
	if (s->last - base < 512 * span)
		hi = (s->last - base) >> scan_shift(level);
	map = vmi_phys_ptr(s->as->phys, table, VMI_PAGE_SIZE);
	if (!map && s->bufs) {
		err = vmi_phys_read(s->as->phys, table,
				    s->bufs->table[level - 1], VMI_PAGE_SIZE);
		if (err)
			return err;
		map = s->bufs->table[level - 1];
	}
	for (i = lo; i <= hi; i++) {
		u64 pte;

		if (map) {
			pte = vmi_get_u64(map + i * 8);
		} else {
			err = vmi_phys_read_u64(s->as->phys, table + i * 8,
						&pte);
			if (err)
				return err;
		}
		if (!(pte & VMI_PTE_P))
			continue;
		err = scan_entry(s, pte, level, base + i * span, prot);
		if (err)
			return err;
	}
	return 0;
}

static int scan_leaf(const struct scan *s, u64 pte, u32 level, u64 base,
		     u32 prot)
{
	u64 size = 1ULL << scan_shift(level);
	struct vmi_leaf leaf = {
		.va = scan_canonical(s, base), .size = size, .prot = prot,
		.level = level,
	};

	if (level > 1 && (pte & VMI_PTE_LARGE_RSVD & (size - 1))) {
		s->st->bad++;
		return 0;
	}
	leaf.gpa = pte & s->addr_mask & ~(size - 1);
	s->st->leaves++;
	return s->fn(s->ctx, &leaf);
}

static int scan_entry(const struct scan *s, u64 pte, u32 level, u64 base,
		      u32 prot)
{
	if (pte & VMI_PTE_ADDR & ~s->addr_mask) {
		s->st->bad++;
		return 0;
	}
	prot = vmi_pte_prot(pte, prot);
	if (((s->flags & VMI_SCAN_EXEC) && (prot & VMI_PROT_NX)) ||
	    ((s->flags & VMI_SCAN_SUPERVISOR) && (prot & VMI_PROT_USER) &&
	     level == 1))
		return 0;
	if (level == 1)
		return scan_leaf(s, pte, level, base, prot);
	if (pte & VMI_PTE_PS) {
		if (level > 3) {
			s->st->bad++;
			return 0;
		}
		if ((s->flags & VMI_SCAN_SUPERVISOR) && (prot & VMI_PROT_USER))
			return 0;
		return scan_leaf(s, pte, level, base, prot);
	}
	return scan_table(s, pte & s->addr_mask, level - 1, base, prot);
}

int vmi_as_scan(const struct vmi_as *as, u64 first, u64 last, u32 flags,
		u64 max_tables, vmi_leaf_fn fn, void *ctx,
		struct vmi_scan_stats *stats)
{
	return vmi_as_scan_bufs(as, first, last, flags, max_tables, fn, ctx,
				stats, NULL);
}

int vmi_as_scan_bufs(const struct vmi_as *as, u64 first, u64 last,
		     u32 flags, u64 max_tables, vmi_leaf_fn fn, void *ctx,
		     struct vmi_scan_stats *stats, struct vmi_scan_bufs *bufs)
{
	struct vmi_scan_stats local;
	u32 bits;
	struct scan s = {
		.as = as, .flags = flags, .max_tables = max_tables,
		.fn = fn, .ctx = ctx, .st = stats ? stats : &local,
		.bufs = bufs,
	};

	memset(s.st, 0, sizeof(*s.st));
	if (!as || (as->levels != 4 && as->levels != 5) ||
	    as->maxphyaddr < 12 || as->maxphyaddr > 52 || !fn ||
	    !vmi_va_canonical(first, as->levels) ||
	    !vmi_va_canonical(last, as->levels) || first > last)
		return -EINVAL;
	bits = as->levels == 5 ? 57 : 48;
	s.first = first & ((1ULL << bits) - 1);
	s.last = last & ((1ULL << bits) - 1);
	if (s.first > s.last)	/* a range across the non-canonical hole */
		return -EINVAL;
	s.addr_mask = VMI_PTE_ADDR & ((1ULL << as->maxphyaddr) - 1);
	if (as->root & ~s.addr_mask)
		return -EINVAL;
	return scan_table(&s, as->root, as->levels, 0,
			  VMI_PROT_WRITE | VMI_PROT_USER);
}
