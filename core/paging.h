/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * x86-64 guest-virtual to guest-physical translation: 4- and 5-level paging,
 * 2 MiB and 1 GiB pages, the permission bits of the walk, a translation
 * cache, and reads that cross page boundaries.
 *
 * Page tables are guest data: a walk is at most 5 reads, every entry's
 * physical address is checked against guest RAM, reserved bits are refused.
 * Errors:
 *   -EFAULT  a table (walk) or the final page (read) is not in guest RAM;
 *            a walk may translate to a frame outside RAM (MMIO)
 *   -ENOENT  the address is not mapped (a non-present entry)
 *   -EBADMSG a present entry with reserved bits set: address bits at or
 *            above MAXPHYADDR, bits 20:13 of a 2 MiB or 29:13 of a 1 GiB
 *            leaf, PS in a PML4E or PML5E
 *   -EINVAL  a non-canonical address, or a corrupt struct vmi_as
 * Bits 58:52 and the protection key (62:59) are ignored; bit 63 is XD.
 */
#ifndef VMI_PAGING_H
#define VMI_PAGING_H

#include "vmi_env.h"
#include "phys.h"

#define VMI_PAGE_SIZE		4096ULL
#define VMI_PAGE_MASK		(~(VMI_PAGE_SIZE - 1))
#define VMI_MAXPHYADDR_DEFAULT	52	/* the architectural maximum */

/* Accumulated over the walk, as the CPU sees them. */
#define VMI_PROT_WRITE		(1U << 0)	/* every level has R/W */
#define VMI_PROT_USER		(1U << 1)	/* every level has U/S */
#define VMI_PROT_NX		(1U << 2)	/* some level has XD */
#define VMI_PROT_GLOBAL		(1U << 3)	/* the leaf has G */

/* Page-table entry bits (x86-64), for the walker and the scanner. */
#define VMI_PTE_P		(1ULL << 0)
#define VMI_PTE_RW		(1ULL << 1)
#define VMI_PTE_US		(1ULL << 2)
#define VMI_PTE_PS		(1ULL << 7)
#define VMI_PTE_G		(1ULL << 8)
#define VMI_PTE_XD		(1ULL << 63)
#define VMI_PTE_ADDR		0x000ffffffffff000ULL	/* bits 51:12 */
#define VMI_PTE_LARGE_RSVD	0x3fffe000ULL	/* 29:13: below a 1 GiB frame */

/* @prot (VMI_PROT_*) of the levels above, with entry @pte's applied. */
static inline u32 vmi_pte_prot(u64 pte, u32 prot)
{
	if (!(pte & VMI_PTE_RW))
		prot &= ~VMI_PROT_WRITE;
	if (!(pte & VMI_PTE_US))
		prot &= ~VMI_PROT_USER;
	if (pte & VMI_PTE_XD)
		prot |= VMI_PROT_NX;
	return prot;
}

struct vmi_xlate {
	u64 gpa;		/* guest-physical address of the byte */
	u64 page_size;		/* 4 KiB, 2 MiB or 1 GiB */
	u32 prot;		/* VMI_PROT_* */
	u32 level;		/* of the leaf: 1 PTE, 2 PDE, 3 PDPTE */
};

#define VMI_TLB_ENTRIES		1024	/* power of two */
#define VMI_LTLB_ENTRIES	512	/* power of two: 1 GiB in 2 MiB */

/*
 * A cached translation. In ->tlb, of one 4 KiB page: @vpn is va >> 12 |
 * generation << 52, @pfn_prot the guest frame | level << 4 | VMI_PROT_*.
 * In ->ltlb, of one 2 MiB region: @vpn is va >> 21 | generation << 52, and
 * @pfn_prot either the region's frame (a 2 MiB page, or part of a 1 GiB
 * one: level 2 or 3) or, with level 1, the page table that maps the region
 * with the protection of the levels above it, so that a 4 KiB miss there
 * reads one entry instead of walking every level. Generations start at 1,
 * so an all-zero entry never matches, and entries of an older generation
 * are stale.
 */
struct vmi_tlb_entry {
	u64 vpn;
	u64 pfn_prot;
};

/*
 * One address space: a page-table root and its translation cache. The
 * caller owns the memory (it is a few KiB: embed it or allocate it).
 */
struct vmi_as {
	const struct vmi_phys *phys;
	u64 root;		/* physical address of the top-level table */
	u32 levels;		/* 4 or 5 */
	u32 maxphyaddr;		/* bits; entries beyond it are refused */
	u64 walks;		/* statistics: full walks (cache misses) */
	u64 pt_walks;		/* statistics: last-level reads from ->ltlb */
	u32 tlb_gen;		/* 1..4095, bumped by vmi_as_flush() */
	u32 reserved;
	struct vmi_tlb_entry tlb[VMI_TLB_ENTRIES];
	struct vmi_tlb_entry ltlb[VMI_LTLB_ENTRIES];
};

/*
 * Initializes @as for the tables rooted at @cr3 (its low 12 bits and bit 63
 * are ignored: PCID and the no-flush hint), with LA57 meaning 5 levels.
 * ->maxphyaddr starts at 52; a caller that knows the guest CPU's
 * (CPUID 0x80000008) may lower it, then flushes.
 */
void vmi_as_init(struct vmi_as *as, const struct vmi_phys *phys, u64 cr3,
		 bool la57);

/*
 * Forgets every cached translation (call when the guest may have changed).
 * O(1): it starts a new cache generation.
 */
void vmi_as_flush(struct vmi_as *as);

/* Full walk without the cache. 0 or -EFAULT/-ENOENT/-EBADMSG/-EINVAL. */
int vmi_as_walk(const struct vmi_as *as, u64 va, struct vmi_xlate *ret);

/*
 * Cached translation: the same result as vmi_as_walk() as long as the
 * tables did not change since the last vmi_as_flush(). A miss in ->tlb
 * tries ->ltlb (a large page, or the page table of a 4 KiB one: one read,
 * counted in ->pt_walks), then walks (counting ->walks). Errors are not
 * cached.
 */
int vmi_as_translate(struct vmi_as *as, u64 va, struct vmi_xlate *ret);

/*
 * Reads guest-virtual memory, crossing pages, each translated through the
 * cache. 0, a walk error, -EFAULT for a page outside guest RAM, or -EINVAL
 * if @va + @len wraps. On error @buf holds the pages read before the fault.
 */
int vmi_as_read(struct vmi_as *as, u64 va, void *buf, size_t len);

static inline int vmi_as_read_u64(struct vmi_as *as, u64 va, u64 *ret)
{
	return vmi_as_read(as, va, ret, sizeof(*ret));
}

/* Canonical form check for 48- or 57-bit addresses. */
static inline bool vmi_va_canonical(u64 va, u32 levels)
{
	u32 bits = levels == 5 ? 57 : 48;
	s64 sva = (s64)(va << (64 - bits)) >> (64 - bits);

	return (u64)sva == va;
}

#endif /* VMI_PAGING_H */
