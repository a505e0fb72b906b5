// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * x86-64 page-table walker and translation cache.
 *
 * A walk reads one entry per level, from as->levels down to at most 1, so it
 * is bounded by 5 reads whatever the guest's tables contain (loops and
 * self-references included). Each entry's address field is checked against
 * MAXPHYADDR before it is followed.
 *
 * The cache is two direct-mapped arrays: ->tlb by 4 KiB virtual page,
 * ->ltlb by 2 MiB region (a large page, or the page table under it). Each
 * entry's tag carries the generation of the cache it was filled in: a
 * flush bumps the generation, so it costs O(1) and clears the arrays only
 * when the generation wraps. An ->ltlb entry stands for the upper levels of
 * a walk, which every address of its 2 MiB region shares (the indexes of
 * levels 2 and up are bits 21 and up), so a hit gives the walk's result
 * as long as the tables did not change since the flush, like a ->tlb hit.
 */
#include "paging.h"


#define TLB_GEN_SHIFT	52	/* va >> 12 needs 52 bits */
#define TLB_GEN_MAX	((1U << (64 - TLB_GEN_SHIFT)) - 1)
#define TLB_PROT_MASK	0xfULL
#define TLB_LEVEL_SHIFT	4
#define TLB_LEVEL_MASK	(0x7ULL << TLB_LEVEL_SHIFT)
#define LTLB_SHIFT	21	/* ->ltlb: one entry per 2 MiB */
#define LTLB_SIZE	(1ULL << LTLB_SHIFT)

static_assert(VMI_TLB_ENTRIES && !(VMI_TLB_ENTRIES & (VMI_TLB_ENTRIES - 1)),
	      "VMI_TLB_ENTRIES must be a power of two");
static_assert(VMI_LTLB_ENTRIES && !(VMI_LTLB_ENTRIES & (VMI_LTLB_ENTRIES - 1)),
	      "VMI_LTLB_ENTRIES must be a power of two");
static_assert(VMI_PROT_GLOBAL <= TLB_PROT_MASK, "prot does not fit the tag");

static inline u64 level_shift(u32 level)
{
	return 12 + 9 * (level - 1);
}

static inline u64 level_size(u32 level)
{
	return 1ULL << level_shift(level);
}

void vmi_as_flush(struct vmi_as *as)
{
	if (as->tlb_gen < TLB_GEN_MAX) {
		as->tlb_gen++;
		return;
	}
	memset(as->tlb, 0, sizeof(as->tlb));
	memset(as->ltlb, 0, sizeof(as->ltlb));
	as->tlb_gen = 1;
}

void vmi_as_init(struct vmi_as *as, const struct vmi_phys *phys, u64 cr3,
		 bool la57)
{
	as->phys = phys;
	as->root = cr3 & VMI_PTE_ADDR;
	as->levels = la57 ? 5 : 4;
	as->maxphyaddr = VMI_MAXPHYADDR_DEFAULT;
	as->walks = 0;
	as->pt_walks = 0;
	memset(as->tlb, 0, sizeof(as->tlb));
	memset(as->ltlb, 0, sizeof(as->ltlb));
	as->tlb_gen = 1;
}

/*
 * Checks a present leaf at @level and fills @ret. Large frames must be
 * aligned to their size (bit 12 is PAT, the bits up to the frame are
 * reserved).
 */
static int walk_leaf(u64 pte, u64 addr_mask, u32 level, u64 va, u32 prot,
		     struct vmi_xlate *ret)
{
	u64 size = level_size(level);
	u64 frame;

	if (level == 1) {
		frame = pte & addr_mask;
	} else {
		if (pte & VMI_PTE_LARGE_RSVD & (size - 1))
			return -EBADMSG;
		frame = pte & addr_mask & ~(size - 1);
	}
	if (pte & VMI_PTE_G)
		prot |= VMI_PROT_GLOBAL;
	ret->gpa = frame | (va & (size - 1));
	ret->page_size = size;
	ret->prot = prot;
	ret->level = level;
	return 0;
}

/* Where a walk reached the last level, for ->ltlb. */
struct walk_pt {
	bool valid;		/* false: the walk ended above level 1 */
	u64 table;		/* the page table's guest-physical address */
	u32 prot;		/* of the entries above it */
};

/* Checks @as and @va before a walk; the mask of an entry's address bits. */
static int walk_check(const struct vmi_as *as, u64 va, u64 *addr_mask)
{
	if (as->levels != 4 && as->levels != 5)
		return -EINVAL;
	if (as->maxphyaddr < 12 || as->maxphyaddr > 52)
		return -EINVAL;
	if (!vmi_va_canonical(va, as->levels))
		return -EINVAL;
	*addr_mask = VMI_PTE_ADDR & ((1ULL << as->maxphyaddr) - 1);
	return 0;
}

/*
 * Walks from @table at @level down to the leaf, @prot accumulated above
 * it: one read per level, at most 5. Fills @pt when it reaches level 1.
 */
static int walk_from(const struct vmi_as *as, u64 addr_mask, u64 table,
		     u32 level, u32 prot, u64 va, struct vmi_xlate *ret,
		     struct walk_pt *pt)
{
	u64 pte;
	int err;

	for (;; level--) {
		u64 idx = (va >> level_shift(level)) & 511;

		if (level == 1 && pt) {
			pt->valid = true;
			pt->table = table;
			pt->prot = prot;
		}
		err = vmi_phys_read_u64(as->phys, table + idx * 8, &pte);
		if (err)
			return err;
		if (!(pte & VMI_PTE_P))
			return -ENOENT;
		if (pte & VMI_PTE_ADDR & ~addr_mask)
			return -EBADMSG;
		prot = vmi_pte_prot(pte, prot);

		if (level == 1)
			break;
		if (pte & VMI_PTE_PS) {
			if (level > 3)
				return -EBADMSG;
			break;
		}
		table = pte & addr_mask;
	}
	return walk_leaf(pte, addr_mask, level, va, prot, ret);
}

static int walk_root(const struct vmi_as *as, u64 va, struct vmi_xlate *ret,
		     struct walk_pt *pt)
{
	u64 addr_mask;
	int err;

	err = walk_check(as, va, &addr_mask);
	if (err)
		return err;
	if (as->root & ~addr_mask)
		return -EBADMSG;
	return walk_from(as, addr_mask, as->root, as->levels,
			 VMI_PROT_WRITE | VMI_PROT_USER, va, ret, pt);
}

int vmi_as_walk(const struct vmi_as *as, u64 va, struct vmi_xlate *ret)
{
	return walk_root(as, va, ret, NULL);
}

static inline struct vmi_tlb_entry *tlb_slot(struct vmi_as *as, u64 va)
{
	return &as->tlb[(va >> 12) & (VMI_TLB_ENTRIES - 1)];
}

static inline u64 tlb_tag(const struct vmi_as *as, u64 va)
{
	return (va >> 12) | (u64)as->tlb_gen << TLB_GEN_SHIFT;
}

static inline struct vmi_tlb_entry *ltlb_slot(struct vmi_as *as, u64 va)
{
	return &as->ltlb[(va >> LTLB_SHIFT) & (VMI_LTLB_ENTRIES - 1)];
}

static inline u64 ltlb_tag(const struct vmi_as *as, u64 va)
{
	return (va >> LTLB_SHIFT) | (u64)as->tlb_gen << TLB_GEN_SHIFT;
}

/* Caches the 4 KiB page of @x that holds @va. */
static void tlb_fill(struct vmi_as *as, u64 va, const struct vmi_xlate *x)
{
	struct vmi_tlb_entry *e = tlb_slot(as, va);

	e->vpn = tlb_tag(as, va);
	e->pfn_prot = (x->gpa & VMI_PAGE_MASK) | x->prot |
		      (u64)x->level << TLB_LEVEL_SHIFT;
}

/*
 * Caches what a walk of @va found for its 2 MiB region: the large page's
 * frame there, else the page table of its 4 KiB page.
 */
static void ltlb_fill(struct vmi_as *as, u64 va, const struct vmi_xlate *x,
		      const struct walk_pt *pt)
{
	struct vmi_tlb_entry *e = ltlb_slot(as, va);

	if (x->level > 1) {
		e->pfn_prot = (x->gpa & ~(LTLB_SIZE - 1)) | x->prot |
			      (u64)x->level << TLB_LEVEL_SHIFT;
	} else if (pt->valid) {
		e->pfn_prot = pt->table | pt->prot | 1ULL << TLB_LEVEL_SHIFT;
	} else {
		return;
	}
	e->vpn = ltlb_tag(as, va);
}

static void tlb_read(u64 v, u64 va, u64 offset_mask, struct vmi_xlate *ret)
{
	u32 level = (v & TLB_LEVEL_MASK) >> TLB_LEVEL_SHIFT;

	ret->gpa = (v & VMI_PAGE_MASK) | (va & offset_mask);
	ret->page_size = level_size(level);
	ret->prot = v & TLB_PROT_MASK;
	ret->level = level;
}

/* A ->ltlb hit: a large page, or one read in the cached page table. */
static int ltlb_translate(struct vmi_as *as, u64 va, u64 v,
			  struct vmi_xlate *ret)
{
	struct vmi_xlate x;
	u64 addr_mask;
	int err;

	if ((v & TLB_LEVEL_MASK) >> TLB_LEVEL_SHIFT != 1) {
		tlb_read(v, va, LTLB_SIZE - 1, ret);
		return 0;
	}
	as->pt_walks++;
	err = walk_check(as, va, &addr_mask);
	err = err ?: walk_from(as, addr_mask, v & VMI_PAGE_MASK, 1,
			       v & TLB_PROT_MASK, va, &x, NULL);
	if (err)
		return err;
	tlb_fill(as, va, &x);
	*ret = x;
	return 0;
}

int vmi_as_translate(struct vmi_as *as, u64 va, struct vmi_xlate *ret)
{
	const struct vmi_tlb_entry *e = tlb_slot(as, va);
	struct walk_pt pt = { .valid = false };
	struct vmi_xlate x;
	int err;

	if (likely(e->vpn == tlb_tag(as, va))) {
		tlb_read(e->pfn_prot, va, ~VMI_PAGE_MASK, ret);
		return 0;
	}
	e = ltlb_slot(as, va);
	if (e->vpn == ltlb_tag(as, va))
		return ltlb_translate(as, va, e->pfn_prot, ret);

	as->walks++;
	err = walk_root(as, va, &x, &pt);
	if (err)
		return err;
	if (x.level == 1)
		tlb_fill(as, va, &x);
	ltlb_fill(as, va, &x, &pt);
	*ret = x;
	return 0;
}

/*
 * One page's worth: a zero-copy memcpy when the page is in a host-mapped
 * range, the copy path otherwise.
 */
static int read_chunk(const struct vmi_phys *phys, u64 gpa, void *buf,
		      size_t len)
{
	const u8 *p = vmi_phys_ptr(phys, gpa, len);

	if (likely(p)) {
		memcpy(buf, p, len);
		return 0;
	}
	return vmi_phys_read(phys, gpa, buf, len);
}

int vmi_as_read(struct vmi_as *as, u64 va, void *buf, size_t len)
{
	u8 *out = buf;
	u64 end;

	if (check_add_overflow(va, (u64)len, &end))
		return -EINVAL;

	while (len) {
		u64 room = VMI_PAGE_SIZE - (va & ~VMI_PAGE_MASK);
		size_t chunk = min_t(u64, len, room);
		struct vmi_xlate x;
		int err;

		err = vmi_as_translate(as, va, &x);
		if (err)
			return err;
		err = read_chunk(as->phys, x.gpa, out, chunk);
		if (err)
			return err;
		out += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}
