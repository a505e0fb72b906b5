// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * x86-64 page-table walker and translation cache.
 *
 * A walk reads one entry per level, from as->levels down to at most 1, so it
 * is bounded by 5 reads whatever the guest's tables contain (loops and
 * self-references included). Each entry's address field is checked against
 * MAXPHYADDR before it is followed.
 *
 * The cache is direct-mapped by virtual page number. Each entry's tag
 * carries the generation of the cache it was filled in: a flush bumps the
 * generation, so it costs O(1) and clears the array only when the
 * generation wraps.
 */
#include "paging.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PTE_G		(1ULL << 8)
#define PTE_XD		(1ULL << 63)
#define PTE_ADDR	0x000ffffffffff000ULL	/* bits 51:12 */
#define PTE_LARGE_RSVD	0x3fffe000ULL	/* bits 29:13: below a 1 GiB frame */

#define TLB_GEN_SHIFT	52	/* va >> 12 needs 52 bits */
#define TLB_GEN_MAX	((1U << (64 - TLB_GEN_SHIFT)) - 1)
#define TLB_PROT_MASK	0xfULL
#define TLB_LEVEL_SHIFT	4
#define TLB_LEVEL_MASK	(0x7ULL << TLB_LEVEL_SHIFT)

static_assert(VMI_TLB_ENTRIES && !(VMI_TLB_ENTRIES & (VMI_TLB_ENTRIES - 1)),
	      "VMI_TLB_ENTRIES must be a power of two");
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
	as->tlb_gen = 1;
}

void vmi_as_init(struct vmi_as *as, const struct vmi_phys *phys, u64 cr3,
		 bool la57)
{
	as->phys = phys;
	as->root = cr3 & PTE_ADDR;
	as->levels = la57 ? 5 : 4;
	as->maxphyaddr = VMI_MAXPHYADDR_DEFAULT;
	as->walks = 0;
	memset(as->tlb, 0, sizeof(as->tlb));
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
		if (pte & PTE_LARGE_RSVD & (size - 1))
			return -EBADMSG;
		frame = pte & addr_mask & ~(size - 1);
	}
	if (pte & PTE_G)
		prot |= VMI_PROT_GLOBAL;
	ret->gpa = frame | (va & (size - 1));
	ret->page_size = size;
	ret->prot = prot;
	ret->level = level;
	return 0;
}

int vmi_as_walk(const struct vmi_as *as, u64 va, struct vmi_xlate *ret)
{
	u32 level = as->levels;
	u32 prot = VMI_PROT_WRITE | VMI_PROT_USER;
	u64 addr_mask, table, pte;
	int err;

	if (level != 4 && level != 5)
		return -EINVAL;
	if (as->maxphyaddr < 12 || as->maxphyaddr > 52)
		return -EINVAL;
	if (!vmi_va_canonical(va, level))
		return -EINVAL;

	addr_mask = PTE_ADDR & ((1ULL << as->maxphyaddr) - 1);
	table = as->root;
	if (table & ~addr_mask)
		return -EBADMSG;

	/* One read per level: at most as->levels (5) reads. */
	for (;; level--) {
		u64 idx = (va >> level_shift(level)) & 511;

		err = vmi_phys_read_u64(as->phys, table + idx * 8, &pte);
		if (err)
			return err;
		if (!(pte & PTE_P))
			return -ENOENT;
		if (pte & PTE_ADDR & ~addr_mask)
			return -EBADMSG;
		if (!(pte & PTE_RW))
			prot &= ~VMI_PROT_WRITE;
		if (!(pte & PTE_US))
			prot &= ~VMI_PROT_USER;
		if (pte & PTE_XD)
			prot |= VMI_PROT_NX;

		if (level == 1)
			break;
		if (pte & PTE_PS) {
			if (level > 3)
				return -EBADMSG;
			break;
		}
		table = pte & addr_mask;
	}
	return walk_leaf(pte, addr_mask, level, va, prot, ret);
}

static inline struct vmi_tlb_entry *tlb_slot(struct vmi_as *as, u64 va)
{
	return &as->tlb[(va >> 12) & (VMI_TLB_ENTRIES - 1)];
}

static inline u64 tlb_tag(const struct vmi_as *as, u64 va)
{
	return (va >> 12) | (u64)as->tlb_gen << TLB_GEN_SHIFT;
}

/* Caches the 4 KiB sub-page of @x that holds @va. */
static void tlb_fill(struct vmi_as *as, u64 va, const struct vmi_xlate *x)
{
	struct vmi_tlb_entry *e = tlb_slot(as, va);

	e->vpn = tlb_tag(as, va);
	e->pfn_prot = (x->gpa & VMI_PAGE_MASK) | x->prot |
		      (u64)x->level << TLB_LEVEL_SHIFT;
}

int vmi_as_translate(struct vmi_as *as, u64 va, struct vmi_xlate *ret)
{
	const struct vmi_tlb_entry *e = tlb_slot(as, va);
	struct vmi_xlate x;
	int err;

	if (likely(e->vpn == tlb_tag(as, va))) {
		u64 v = e->pfn_prot;
		u32 level = (v & TLB_LEVEL_MASK) >> TLB_LEVEL_SHIFT;

		ret->gpa = (v & VMI_PAGE_MASK) | (va & ~VMI_PAGE_MASK);
		ret->page_size = level_size(level);
		ret->prot = v & TLB_PROT_MASK;
		ret->level = level;
		return 0;
	}

	as->walks++;
	err = vmi_as_walk(as, va, &x);
	if (err)
		return err;
	tlb_fill(as, va, &x);
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
