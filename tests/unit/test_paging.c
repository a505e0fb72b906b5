// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table walker: synthetic tables in a malloc'd guest RAM, built here
 * entry by entry, then walked, translated through the cache and read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/measure.h"
#include "core/paging.h"
#include "core/execmem.h"
#include "core/ptscan.h"
#include "tests/lib/tap.h"

#define RAM_SIZE	(8ULL << 20)	/* host-mapped at GPA 0 */
#define SLOW_GPA	(16ULL << 20)	/* copy-callback range */
#define SLOW_SIZE	(64ULL << 10)

#define P	(1ULL << 0)
#define RW	(1ULL << 1)
#define US	(1ULL << 2)
#define PS	(1ULL << 7)
#define G	(1ULL << 8)
#define XD	(1ULL << 63)
#define DFL	(P | RW | US)
#define ADDR	0x000ffffffffff000ULL

struct guest {
	u8 *ram;
	u8 *slow;
	u64 next;		/* bump allocator for tables */
	struct vmi_phys phys;
	struct vmi_as as4;
	struct vmi_as as5;
};

static struct guest g;

static int slow_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	u8 *slow = ctx;

	if (gpa < SLOW_GPA || gpa - SLOW_GPA + len > SLOW_SIZE)
		return -EIO;
	memcpy(buf, slow + (gpa - SLOW_GPA), len);
	return 0;
}

static u64 table_new(void)
{
	u64 gpa = g.next;

	g.next += 4096;
	if (g.next > RAM_SIZE) {
		ksft_print_msg("out of table pages\n");
		exit(KSFT_FAIL);
	}
	memset(g.ram + gpa, 0, 4096);
	return gpa;
}

static u64 *entry(u64 table, u64 va, u32 level)
{
	u64 idx = (va >> (12 + 9 * (level - 1))) & 511;

	return (u64 *)(g.ram + table + idx * 8);
}

/* The entry for @va at @level, creating missing tables above it. */
static u64 *pte(const struct vmi_as *as, u64 va, u32 level)
{
	u64 table = as->root;
	u32 l;

	for (l = as->levels; l > level; l--) {
		u64 *e = entry(table, va, l);

		if (!(*e & P))
			*e = table_new() | DFL;
		table = *e & ADDR;
	}
	return entry(table, va, level);
}

static void map(const struct vmi_as *as, u64 va, u64 gpa, u32 level,
		u64 flags)
{
	*pte(as, va, level) = gpa | flags | (level > 1 ? PS : 0);
}

static void guest_init(void)
{
	g.ram = aligned_alloc(4096, RAM_SIZE);
	g.slow = calloc(1, SLOW_SIZE);
	if (!g.ram || !g.slow) {
		ksft_print_msg("out of memory\n");
		exit(KSFT_FAIL);
	}
	memset(g.ram, 0xcc, RAM_SIZE);
	g.next = 1ULL << 20;	/* tables from 1 MiB up; data below */
	if (vmi_phys_add_range(&g.phys, 0, RAM_SIZE, g.ram) ||
	    vmi_phys_add_range(&g.phys, SLOW_GPA, SLOW_SIZE, NULL)) {
		ksft_print_msg("vmi_phys_add_range failed\n");
		exit(KSFT_FAIL);
	}
	g.phys.read = slow_read;
	g.phys.ctx = g.slow;
	/* Low 12 bits and bit 63 of CR3 are ignored. */
	vmi_as_init(&g.as4, &g.phys, table_new() | 0x123 | (1ULL << 63),
		    false);
	vmi_as_init(&g.as5, &g.phys, table_new(), true);
}

static void check_xlate(struct vmi_as *as, u64 va, u64 gpa, u64 size,
			u32 prot, const char *what)
{
	struct vmi_xlate x = { 0 };
	int err = vmi_as_walk(as, va, &x);

	TEST_ASSERT(!err && x.gpa == gpa && x.page_size == size &&
		    x.prot == prot,
		    "%s: va 0x%llx: expected gpa 0x%llx size 0x%llx prot 0x%x, got err %d gpa 0x%llx size 0x%llx prot 0x%x",
		    what, (unsigned long long)va, (unsigned long long)gpa,
		    (unsigned long long)size, prot, err,
		    (unsigned long long)x.gpa,
		    (unsigned long long)x.page_size, x.prot);
}

static void check_err(struct vmi_as *as, u64 va, int expect,
		      const char *what)
{
	struct vmi_xlate x;
	int err = vmi_as_walk(as, va, &x);
	int terr = vmi_as_translate(as, va, &x);

	TEST_ASSERT(err == expect && terr == expect,
		    "%s: va 0x%llx: expected %d, got walk %d translate %d",
		    what, (unsigned long long)va, expect, err, terr);
}

#define W	VMI_PROT_WRITE
#define U	VMI_PROT_USER
#define NX	VMI_PROT_NX
#define GL	VMI_PROT_GLOBAL

static void test_sizes(void)
{
	struct vmi_as *as = &g.as4;

	map(as, 0x400000, 0x5000, 1, DFL);
	check_xlate(as, 0x400123, 0x5123, 4096, W | U, "4 KiB page");
	map(as, 0x7f0000200000ULL, 0x200000, 2, DFL | (1ULL << 12));
	check_xlate(as, 0x7f0000212345ULL, 0x212345, 2 << 20, W | U,
		    "2 MiB page (PAT bit 12 allowed)");
	map(as, 0x7e8040000000ULL, 0x40000000, 3, DFL);
	check_xlate(as, 0x7e8041234567ULL, 0x41234567, 1 << 30, W | U,
		    "1 GiB page");
	/* Software bits 58:52 and protection key 62:59 are ignored. */
	map(as, 0x401000, 0x6000, 1, DFL | (0x7fULL << 52) | (0xfULL << 59));
	check_xlate(as, 0x401008, 0x6008, 4096, W | U,
		    "ignored bits 62:52 in a leaf");
}

static void test_la57(void)
{
	u64 va = 0x00ff123456789000ULL;	/* canonical only with 57 bits */
	u64 kva = 0xff80000000001000ULL;

	map(&g.as5, va, 0x7000, 1, DFL);
	check_xlate(&g.as5, va + 0x10, 0x7010, 4096, W | U, "5-level 4 KiB");
	map(&g.as5, kva, 0x8000, 1, DFL | G);
	check_xlate(&g.as5, kva, 0x8000, 4096, W | U | GL,
		    "5-level lowest kernel address");
	check_err(&g.as4, va, -EINVAL, "57-bit address with 4 levels");
	*pte(&g.as5, 0x00fe000000000000ULL, 5) = table_new() | DFL | PS;
	check_err(&g.as5, 0x00fe000000000000ULL, -EBADMSG, "PS in a PML5E");
	check_err(&g.as5, 0x00fd000000000000ULL, -ENOENT,
		  "non-present PML5E");
}

static void test_prot(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x100000000000ULL;	/* its own PML4 slot */

	map(as, va, 0x9000, 1, P | RW | US | G);
	check_xlate(as, va, 0x9000, 4096, W | U | GL, "global leaf");
	*pte(as, va, 4) &= ~RW;
	check_xlate(as, va, 0x9000, 4096, U | GL, "read-only PML4E");
	*pte(as, va, 4) |= RW;
	*pte(as, va, 2) &= ~US;
	check_xlate(as, va, 0x9000, 4096, W | GL, "supervisor PDE");
	*pte(as, va, 2) |= US;
	*pte(as, va, 3) |= XD;
	check_xlate(as, va, 0x9000, 4096, W | U | NX | GL, "XD in a PDPTE");
	*pte(as, va, 3) &= ~XD;
	*pte(as, va, 1) &= ~G;
	*pte(as, va, 2) |= G;	/* G is ignored above the leaf */
	check_xlate(as, va, 0x9000, 4096, W | U, "G only in a PDE");
	map(as, va + (2 << 20), 0x400000, 2, P | XD | G);
	check_xlate(as, va + (2 << 20), 0x400000, 2 << 20, NX | GL,
		    "2 MiB leaf: R/O, supervisor, XD, G");
}

static void test_not_present(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x200000000000ULL;
	u32 level;

	map(as, va, 0xa000, 1, DFL);
	for (level = 1; level <= 4; level++) {
		u64 *e = pte(as, va, level);
		char what[64];

		*e &= ~P;
		snprintf(what, sizeof(what), "non-present at level %u", level);
		check_err(as, va, -ENOENT, what);
		*e |= P;
	}
	check_xlate(as, va, 0xa000, 4096, W | U, "present again");
}

static void test_reserved(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x300000000000ULL;
	u64 *e;

	map(as, va, 0xb000, 1, DFL);
	e = pte(as, va, 1);
	as->maxphyaddr = 46;
	*e |= 1ULL << 46;
	check_err(as, va, -EBADMSG, "leaf address bit 46, MAXPHYADDR 46");
	*e &= ~(1ULL << 46);
	*e |= 1ULL << 45;
	check_xlate(as, va, (1ULL << 45) | 0xb000, 4096, W | U,
		    "bit 45 is an address: a frame outside RAM");
	*e &= ~(1ULL << 45);
	*pte(as, va, 3) |= 1ULL << 50;
	check_err(as, va, -EBADMSG, "PDPTE address bit 50");
	as->maxphyaddr = 52;
	check_err(as, va, -EFAULT, "PDPTE bit 50 with MAXPHYADDR 52");
	*pte(as, va, 3) &= ~(1ULL << 50);
	check_xlate(as, va, 0xb000, 4096, W | U, "entries restored");

	map(as, va + (2 << 20), 0x200000 | (1ULL << 13), 2, DFL);
	check_err(as, va + (2 << 20), -EBADMSG, "2 MiB PDE bit 13");
	map(as, va + (4 << 20), 0x200000 | (1ULL << 20), 2, DFL);
	check_err(as, va + (4 << 20), -EBADMSG, "2 MiB PDE bit 20");
	map(as, va + (1ULL << 30), 0x40000000 | (1ULL << 29), 3, DFL);
	check_err(as, va + (1ULL << 30), -EBADMSG, "1 GiB PDPTE bit 29");
	map(as, va + (2ULL << 30), 0x40000000 | (1ULL << 13), 3, DFL);
	check_err(as, va + (2ULL << 30), -EBADMSG, "1 GiB PDPTE bit 13");
	*pte(as, 0x380000000000ULL, 4) = table_new() | DFL | PS;
	check_err(as, 0x380000000000ULL, -EBADMSG, "PS in a PML4E");
}

static void test_fault_einval(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x400000000000ULL;

	map(as, va, 0xc000, 1, DFL);
	*pte(as, va, 3) = 0x40000000000ULL | DFL;	/* 4 TiB: no RAM */
	check_err(as, va, -EFAULT, "PD outside guest RAM");
	*pte(as, va, 3) = RAM_SIZE | DFL;
	check_err(as, va, -EFAULT, "PD just past the end of guest RAM");
	/* A PD in the range read through the ->read callback. */
	*pte(as, va, 3) = SLOW_GPA | DFL;
	memset(g.slow, 0, 4096);
	*(u64 *)g.slow = 0x200000 | DFL | PS;
	check_xlate(as, va + 0x1234, 0x201234, 2 << 20, W | U,
		    "PD read through ->read");
	check_err(as, 0x0000800000000000ULL, -EINVAL, "non-canonical low");
	check_err(as, 0xfff0000000000000ULL, -EINVAL, "non-canonical high");
}

/* PML4[510] points to the PML4 itself: the Windows/old Linux recursion. */
static void test_recursive(void)
{
	struct vmi_as *as = &g.as4;
	u64 self = 0xffffff0000000000ULL;	/* PML4 index 510 */
	u64 all510 = 0xffffff7fbfdfe000ULL;	/* 510 at every level */
	struct vmi_xlate x = { 0 };
	u64 val = 0;
	int err;

	*entry(as->root, self, 4) = as->root | P | RW;
	check_xlate(as, all510, as->root, 4096, W, "recursive: PML4 page");
	map(as, 0x500000000000ULL, 0xd000, 1, DFL);
	/* Three times through the recursion, then PML4[160] as a PTE. */
	err = vmi_as_walk(as, 0xffffff7fbfc00000ULL + 160 * 4096, &x);
	TEST_ASSERT(!err &&
		    x.gpa == (*entry(as->root, 0x500000000000ULL, 4) & ADDR),
		    "recursive: PDPT of 0x500000000000 at 0x%llx (err %d)",
		    (unsigned long long)x.gpa, err);
	err = vmi_as_read_u64(as, all510 + 510 * 8, &val);
	TEST_ASSERT(!err && val == (as->root | P | RW),
		    "recursive: read the self entry: 0x%llx (err %d)",
		    (unsigned long long)val, err);
}

static void test_read(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x600000000000ULL;
	u8 buf[3 * 4096], expect[3 * 4096];
	int err;

	/* Three virtually adjacent pages: reversed frames, then slow RAM. */
	map(as, va, 0x3000, 1, DFL);
	map(as, va + 4096, 0x2000, 1, DFL);
	map(as, va + 8192, SLOW_GPA + 0x1000, 1, DFL);
	memset(g.ram + 0x3000, 'a', 4096);
	memset(g.ram + 0x2000, 'b', 4096);
	memset(g.slow + 0x1000, 'c', 4096);
	memset(expect, 'a', 4096);
	memset(expect + 4096, 'b', 4096);
	memset(expect + 8192, 'c', 4096);

	err = vmi_as_read(as, va + 4090, buf, 12);
	TEST_ASSERT(!err && !memcmp(buf, expect + 4090, 12),
		    "read crossing into a lower frame (err %d)", err);
	err = vmi_as_read(as, va + 100, buf, sizeof(buf) - 200);
	TEST_ASSERT(!err && !memcmp(buf, expect + 100, sizeof(buf) - 200),
		    "read across 3 pages, the last through ->read (err %d)",
		    err);
	err = vmi_as_read(as, va + 8192 + 4000, buf, 200);
	TEST_ASSERT(err == -ENOENT,
		    "read whose second page is unmapped: expected %d, got %d",
		    -ENOENT, err);
	map(as, va + 12288, SLOW_GPA + SLOW_SIZE, 1, DFL);
	err = vmi_as_read(as, va + 12280, buf, 16);
	TEST_ASSERT(err == -EFAULT,
		    "read into a frame outside RAM: expected %d, got %d",
		    -EFAULT, err);
	err = vmi_as_read(as, 0xfffffffffffff000ULL, buf, 8192);
	TEST_ASSERT(err == -EINVAL, "read wrapping 2^64: expected %d, got %d",
		    -EINVAL, err);
	err = vmi_as_read(as, 0x0000800000000000ULL, buf, 0);
	TEST_ASSERT(!err, "empty read needs no translation (err %d)", err);
}

static void test_tlb(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x700000000000ULL;
	u64 alias = va + VMI_TLB_ENTRIES * 4096ULL;	/* same slot */
	struct vmi_xlate w = { 0 }, t1 = { 0 }, t2 = { 0 };
	u64 walks, pt_walks;
	int i, err;

	map(as, va, 0xe000, 1, DFL | G);
	map(as, alias, 0xf000, 1, DFL);
	map(as, va + (2 << 20), 0x600000, 2, DFL | XD);
	vmi_as_flush(as);
	walks = as->walks;

	vmi_as_walk(as, va + 5, &w);
	err = vmi_as_translate(as, va + 5, &t1);
	err |= vmi_as_translate(as, va + 5, &t2);
	TEST_ASSERT(!err && as->walks == walks + 1 &&
		    !memcmp(&w, &t1, sizeof(w)) && !memcmp(&w, &t2, sizeof(w)),
		    "hit equals walk: walks %llu -> %llu, gpa 0x%llx/0x%llx",
		    (unsigned long long)walks,
		    (unsigned long long)as->walks,
		    (unsigned long long)t1.gpa, (unsigned long long)t2.gpa);

	vmi_as_walk(as, va + (2 << 20) + 0x12345, &w);
	vmi_as_translate(as, va + (2 << 20) + 0x12345, &t1);
	vmi_as_translate(as, va + (2 << 20) + 0x12fff, &t2);
	TEST_ASSERT(!memcmp(&w, &t1, sizeof(w)) && t2.gpa == 0x612fff &&
		    t2.page_size == (2 << 20) && t2.level == 2 &&
		    as->walks == walks + 2,
		    "2 MiB sub-page cached: gpa 0x%llx size 0x%llx walks %llu",
		    (unsigned long long)t2.gpa,
		    (unsigned long long)t2.page_size,
		    (unsigned long long)(as->walks - walks));

	vmi_as_flush(as);
	pt_walks = as->pt_walks;
	for (i = 0; i < 4; i++) {
		vmi_as_translate(as, va, &t1);
		vmi_as_translate(as, alias, &t2);
	}
	TEST_ASSERT(t1.gpa == 0xe000 && t2.gpa == 0xf000 &&
		    as->walks == walks + 2 + 2 &&
		    as->pt_walks == pt_walks + 6,
		    "colliding ->tlb slot, own ->ltlb slots: gpa 0x%llx 0x%llx walks %llu, last-level reads %llu",
		    (unsigned long long)t1.gpa, (unsigned long long)t2.gpa,
		    (unsigned long long)(as->walks - walks),
		    (unsigned long long)(as->pt_walks - pt_walks));

	/* 1 GiB apart: the same slot in both arrays, so every one walks. */
	map(as, va + (1ULL << 30), 0x11000, 1, DFL);
	vmi_as_flush(as);
	walks = as->walks;
	for (i = 0; i < 4; i++) {
		vmi_as_translate(as, va, &t1);
		vmi_as_translate(as, va + (1ULL << 30), &t2);
	}
	TEST_ASSERT(t1.gpa == 0xe000 && t2.gpa == 0x11000 &&
		    as->walks == walks + 8,
		    "colliding slots in both arrays: gpa 0x%llx 0x%llx walks %llu",
		    (unsigned long long)t1.gpa, (unsigned long long)t2.gpa,
		    (unsigned long long)(as->walks - walks));

	vmi_as_translate(as, va, &t1);
	*pte(as, va, 1) = 0x1000 | DFL;
	vmi_as_translate(as, va, &t1);
	vmi_as_flush(as);
	vmi_as_translate(as, va, &t2);
	TEST_ASSERT(t1.gpa == 0xe000 && t2.gpa == 0x1000,
		    "stale until flush: before 0x%llx after 0x%llx",
		    (unsigned long long)t1.gpa, (unsigned long long)t2.gpa);

	walks = as->walks;
	for (i = 0; i < 3; i++)
		vmi_as_translate(as, va + (100ULL << 30), &t1);
	TEST_ASSERT(as->walks == walks + 3,
		    "errors are not cached: %llu walks for 3 misses",
		    (unsigned long long)(as->walks - walks));

	/* Generations wrap: 5000 flushes, every one must still forget. */
	err = 0;
	for (i = 0; i < 5000; i++) {
		*pte(as, va, 1) = (i & 1 ? 0x1000 : 0x4000) | DFL;
		vmi_as_flush(as);
		vmi_as_translate(as, va, &t1);
		if (t1.gpa != (i & 1 ? 0x1000ULL : 0x4000ULL))
			err++;
	}
	TEST_ASSERT(!err && as->tlb_gen >= 1,
		    "5000 flushes across the wrap: %d stale, generation %u",
		    err, as->tlb_gen);
}

/*
 * Translates @va1 after a flush, sets *@e to @val, translates @va2: the
 * cache still answers from the old tables (@stale) until the next flush
 * (then @fresh).
 */
static void check_stale(struct vmi_as *as, u64 va1, u64 va2, u64 *e,
			u64 val, u64 first, u64 stale, u64 fresh,
			const char *what)
{
	struct vmi_xlate t1 = { 0 }, t2 = { 0 }, t3 = { 0 };

	vmi_as_flush(as);
	vmi_as_translate(as, va1, &t1);
	*e = val;
	vmi_as_translate(as, va2, &t2);
	vmi_as_flush(as);
	vmi_as_translate(as, va2, &t3);
	TEST_ASSERT(t1.gpa == first && t2.gpa == stale && t3.gpa == fresh,
		    "%s: 0x%llx, then 0x%llx until a flush, 0x%llx after it",
		    what, (unsigned long long)t1.gpa,
		    (unsigned long long)t2.gpa, (unsigned long long)t3.gpa);
}

/*
 * ->ltlb entries stand for the upper levels of a walk: after the tables
 * change they are stale until a flush, then forgotten, for a large page
 * and for a cached page table alike.
 */
static void test_ltlb_flush(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x710000000000ULL;
	u64 pt_old, pt_new;

	map(as, va, 0x400000, 2, DFL);
	check_stale(as, va + 0x1000, va + 0x5000, pte(as, va, 2),
		    0x200000 | DFL | PS, 0x401000, 0x405000, 0x205000,
		    "2 MiB page remapped");

	/* A page table under the region, then another one. */
	va += 2 << 20;
	map(as, va, 0x13000, 1, DFL);
	map(as, va + 0x1000, 0x14000, 1, DFL);
	pt_old = *pte(as, va, 2) & ADDR;
	pt_new = table_new();
	*entry(pt_new, va + 0x1000, 1) = 0x15000 | DFL;
	check_stale(as, va, va + 0x1000, pte(as, va, 2), pt_new | DFL,
		    0x13000, 0x14000, 0x15000, "page table replaced");
	*pte(as, va, 2) = pt_old | DFL;
}

/* xorshift64: reproducible tables from a fixed seed. */
static u64 rnd_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

#define POOL		24	/* tables in the random set */
#define IDX_USED	4	/* entries 0..3 of each: what addresses use */

/* A hostile entry: any level may get any of these. */
static u64 rnd_entry(const u64 *pool)
{
	u64 flags = (rnd() & (RW | US | G)) | (rnd() % 16 ? P : 0) |
		    (rnd() % 8 ? 0 : XD);
	u32 kind = rnd() % 16;

	if (kind < 9)		/* another table of the set: shared, loops */
		return pool[rnd() % POOL] | flags;
	if (kind < 12)		/* a 4 KiB frame, or a misaligned large one */
		return (rnd() % (RAM_SIZE >> 12)) << 12 | flags |
		       (rnd() % 4 ? 0 : PS);
	if (kind < 14)		/* an aligned 2 MiB or 1 GiB frame */
		return (rnd() % 4) << (rnd() % 2 ? 21 : 30) | flags | PS;
	if (kind == 14)		/* reserved bits: 13..29 or above MAXPHYADDR */
		return (rnd() % 4) << 21 | 1ULL << (13 + rnd() % 17) |
		       (rnd() % 2 ? 1ULL << (36 + rnd() % 16) : 0) | flags |
		       PS;
	return (RAM_SIZE + (rnd() % 64 << 12)) | flags;	/* outside RAM */
}

static u64 rnd_va(u32 levels)
{
	static const u64 top[] = { 0, 1, 2, 3, 256, 257, 510, 511 };
	u64 va = top[rnd() % ARRAY_SIZE(top)] << (levels == 5 ? 48 : 39);
	u32 bits = levels == 5 ? 57 : 48;
	u32 l;

	for (l = levels - 1; l >= 1; l--)
		va |= (rnd() % IDX_USED) << (12 + 9 * (l - 1));
	va |= rnd() & 0xfff;
	return (u64)((s64)(va << (64 - bits)) >> (64 - bits));
}

/*
 * Random hostile tables (cycles, shared tables, PS at every level, reserved
 * and out-of-RAM addresses): every cached translation equals the walk, in
 * 20,000 lookups with a flush and new tables every 1,000.
 */
static void test_random(void)
{
	static struct vmi_as ras;
	u64 pool[POOL], mismatches = 0, ok = 0, lookups;
	u64 walks = 0, pt_walks = 0;
	u32 round, i, k, levels;

	for (i = 0; i < POOL; i++)
		pool[i] = table_new();
	for (round = 0; round < 20; round++) {
		levels = round % 4 ? 4 : 5;
		vmi_as_init(&ras, &g.phys, pool[0], levels == 5);
		ras.maxphyaddr = 36 + rnd() % 17;
		vmi_as_flush(&ras);
		for (i = 0; i < POOL; i++)
			for (k = 0; k < IDX_USED; k++)
				((u64 *)(g.ram + pool[i]))[k] = rnd_entry(pool);
		for (i = 0; i < POOL; i++)
			((u64 *)(g.ram + pool[i]))[256 + rnd() % 256] =
				rnd_entry(pool);
		for (lookups = 0; lookups < 1000; lookups++) {
			u64 va = rnd_va(levels);
			struct vmi_xlate w = { 0 }, t = { 0 };
			int ew = vmi_as_walk(&ras, va, &w);
			int et = vmi_as_translate(&ras, va, &t);

			if (ew != et || (!ew && memcmp(&w, &t, sizeof(w))))
				mismatches++;
			else if (!ew)
				ok++;
		}
		walks += ras.walks;
		pt_walks += ras.pt_walks;
	}
	TEST_ASSERT(!mismatches && ok > 1000 && walks && pt_walks,
		    "random hostile tables: %llu of 20000 translations differ from the walk (%llu translated, %llu walks, %llu last-level reads)",
		    (unsigned long long)mismatches, (unsigned long long)ok,
		    (unsigned long long)walks, (unsigned long long)pt_walks);
}

static void test_walks_stat(void)
{
	struct vmi_as *as = &g.as4;
	u64 va = 0x600000000000ULL;	/* 3 pages mapped by test_read */
	u8 buf[8192];
	u64 walks, pt_walks;
	int err;

	vmi_as_flush(as);
	walks = as->walks;
	pt_walks = as->pt_walks;
	err = vmi_as_read(as, va + 10, buf, 8000);
	err |= vmi_as_read(as, va + 10, buf, 8000);
	TEST_ASSERT(!err && as->walks == walks + 1 &&
		    as->pt_walks == pt_walks + 1,
		    "two 2-page reads: one walk, one last-level read: %llu, %llu (err %d)",
		    (unsigned long long)(as->walks - walks),
		    (unsigned long long)(as->pt_walks - pt_walks), err);
}

/* ---- vmi_as_scan() ---- */

#define SCAN_LEAVES_MAX	64

struct scan_seen {
	struct vmi_leaf leaf[SCAN_LEAVES_MAX];
	u32 nr;
	u32 mismatches;		/* leaves vmi_as_walk() disagrees with */
	const struct vmi_as *as;
};

static int scan_collect(void *ctx, const struct vmi_leaf *leaf)
{
	struct scan_seen *s = ctx;
	struct vmi_xlate x = { 0 };

	if (vmi_as_walk(s->as, leaf->va, &x) ||
	    x.gpa != leaf->gpa || x.page_size != leaf->size ||
	    (x.prot & ~VMI_PROT_GLOBAL) != leaf->prot)
		s->mismatches++;
	if (s->nr < SCAN_LEAVES_MAX)
		s->leaf[s->nr] = *leaf;
	s->nr++;
	return 0;
}

/* A new empty 4-level address space. */
static void scan_as(struct vmi_as *as)
{
	vmi_as_init(as, &g.phys, table_new(), false);
}

/*
 * The kernel half: executable supervisor leaves of each size, in address
 * order and canonical, with their frames and permissions; NX, user and
 * lower-half ones filtered; XD on a PML4E prunes its subtree unread.
 */
static void test_scan_leaves(void)
{
	static struct vmi_as as;
	struct scan_seen s = { .as = &as };
	struct vmi_scan_stats st;
	u64 k = 0xffff888000000000ULL;
	int err;

	scan_as(&as);
	map(&as, k, 0x7000, 1, P | RW);			/* W+X 4 KiB */
	map(&as, k + 0x1000, 0x8000, 1, P);		/* RX */
	map(&as, k + 0x2000, 0x9000, 1, P | XD);	/* NX */
	map(&as, k + 0x3000, 0xa000, 1, P | US);	/* user */
	map(&as, k + (2ULL << 20), 0x200000, 2, P);	/* 2 MiB */
	map(&as, k + (1ULL << 30), 0x40000000, 3, P);	/* 1 GiB */
	map(&as, 0x400000, 0xb000, 1, P);		/* lower half */
	map(&as, 0xffffc90000000000ULL, 0xc000, 1, P);	/* under XD: */
	*entry(as.root, 0xffffc90000000000ULL, 4) |= XD;
	err = vmi_as_scan(&as, 0xffff800000000000ULL, ~0ULL,
			  VMI_SCAN_EXEC | VMI_SCAN_SUPERVISOR, 64,
			  scan_collect, &s, &st);
	TEST_ASSERT(!err && s.nr == 4 && !s.mismatches &&
		    s.leaf[0].va == k && s.leaf[0].gpa == 0x7000 &&
		    s.leaf[0].prot == W && s.leaf[1].va == k + 0x1000 &&
		    !s.leaf[1].prot && s.leaf[2].size == 2ULL << 20 &&
		    s.leaf[2].level == 2 && s.leaf[3].size == 1ULL << 30 &&
		    s.leaf[3].gpa == 0x40000000,
		    "scan: 4 executable supervisor leaves (W+X, RX, 2 MiB, 1 GiB), got %u (err %d, %u differ from the walk)",
		    s.nr, err, s.mismatches);
	TEST_ASSERT(st.tables == 4 && st.leaves == 4,
		    "scan: the XD subtree is not read: %llu tables (expected 4: root, PDPT, PD, PT), %llu leaves",
		    (unsigned long long)st.tables,
		    (unsigned long long)st.leaves);
	s.nr = 0;
	err = vmi_as_scan(&as, k + 0x1000, k + (2ULL << 20), 0, 64,
			  scan_collect, &s, NULL);
	TEST_ASSERT(!err && s.nr == 4 && s.leaf[0].va == k + 0x1000 &&
		    s.leaf[3].va == k + (2ULL << 20),
		    "scan of [k+4K, k+2M]: RX, NX, user and the 2 MiB page, got %u (err %d)",
		    s.nr, err);
	err = vmi_as_scan(&as, k, 0x400000, 0, 64, scan_collect, &s, NULL);
	TEST_ASSERT(err == -EINVAL, "scan of a reversed range: %d", err);
	err = vmi_as_scan(&as, 0x0000800000000000ULL, ~0ULL, 0, 64,
			  scan_collect, &s, NULL);
	TEST_ASSERT(err == -EINVAL, "scan from a non-canonical address: %d",
		    err);
}

/*
 * Hostile tables: a table whose 512 entries all point at itself, at
 * every level, is read at most max_tables times; then -E2BIG.
 */
static void test_scan_loop(void)
{
	static struct vmi_as as;
	struct scan_seen s = { .as = &as };
	struct vmi_scan_stats st;
	u64 *t;
	int err, i;

	scan_as(&as);
	t = (u64 *)(g.ram + as.root);
	for (i = 0; i < 512; i++)
		t[i] = as.root | P | RW;
	err = vmi_as_scan(&as, 0xffff800000000000ULL, ~0ULL, 0, 1000,
			  scan_collect, &s, &st);
	TEST_ASSERT(err == -E2BIG && st.tables == 1001 && !s.mismatches,
		    "a self-referencing table: -E2BIG after 1000 tables, got %d after %llu (%u leaves, %u differ from the walk)",
		    err, (unsigned long long)st.tables, s.nr, s.mismatches);
}

/*
 * Random hostile tables (as test_random): every scan ends within its
 * table cap, and every leaf it reports is what vmi_as_walk() finds there.
 */
static void test_scan_random(void)
{
	static struct vmi_as ras;
	struct scan_seen s = { .as = &ras };
	u64 pool[POOL], leaves = 0, bad = 0;
	u32 round, i, k, overrun = 0;
	int err;

	for (i = 0; i < POOL; i++)
		pool[i] = table_new();
	for (round = 0; round < 40; round++) {
		struct vmi_scan_stats st;

		vmi_as_init(&ras, &g.phys, pool[0], round % 4 == 0);
		ras.maxphyaddr = 36 + rnd() % 17;
		for (i = 0; i < POOL; i++)
			for (k = 0; k < 512; k++)
				((u64 *)(g.ram + pool[i]))[k] =
					rnd() % 8 ? 0 : rnd_entry(pool);
		s.nr = 0;
		err = vmi_as_scan(&ras, ras.levels == 5 ?
				  0xff00000000000000ULL : 0xffff800000000000ULL,
				  ~0ULL, round % 2 ? VMI_SCAN_EXEC : 0, 2000,
				  scan_collect, &s, &st);
		if ((err && err != -E2BIG && err != -EFAULT) ||
		    st.tables > 2001)
			overrun++;
		leaves += st.leaves;
		bad += st.bad;
	}
	TEST_ASSERT(!overrun && !s.mismatches && leaves > 100 && bad,
		    "random hostile tables: %u scans over their cap or failing oddly, %u of %llu leaves differ from the walk (%llu reserved entries skipped)",
		    overrun, s.mismatches, (unsigned long long)leaves,
		    (unsigned long long)bad);
}

/* ---- exec-memory's core (core/execmem.c) ---- */

#define EXEC_RUNS	8

struct exec_seen {
	struct vmi_exec_run run[EXEC_RUNS];
	u32 nr;
};

static int exec_collect(void *ctx, const struct vmi_exec_run *run)
{
	struct exec_seen *s = ctx;

	if (s->nr < EXEC_RUNS)
		s->run[s->nr] = *run;
	s->nr++;
	return 0;
}

static unsigned int nr_copy_reads;

/* All of RAM through a read callback: how vmiaas.ko reads guest memory. */
static int copy_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	nr_copy_reads++;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, g.ram + gpa, len);
	return 0;
}

static bool runs_equal(const struct exec_seen *a, const struct exec_seen *b)
{
	return a->nr == b->nr &&
	       !memcmp(a->run, b->run, min(a->nr, EXEC_RUNS) * sizeof(a->run[0]));
}

/*
 * The module's two walks: the W+X run and the top page are suspects; a
 * second walk that still shows one confirms, one that shows none (or
 * another run) does not.
 */
static void test_exec_confirm(struct vmi_as *as,
			      const struct vmi_exec_allow *allow)
{
	struct vmi_exec_suspects first = { .allow = allow, .nr_allow = 2 };
	struct vmi_exec_suspects again = first, none = first;
	bool yes, no, moved;
	int err;

	err = vmi_exec_suspects(as, vmi_exec_kernel_half(as), 64, &first,
				NULL);
	err = err ?: vmi_exec_suspects(as, vmi_exec_kernel_half(as), 64,
				       &again, NULL);
	yes = vmi_exec_confirmed(&first, &again);
	no = vmi_exec_confirmed(&first, &none);
	again.runs[0].start -= 0x1000;	/* grown: not the same run */
	again.nr = 1;
	moved = vmi_exec_confirmed(&first, &again);
	TEST_ASSERT(!err && first.nr == 2 && first.runs[0].writable &&
		    first.runs[1].end == ~0ULL && yes && !no && !moved,
		    "exec suspects: W+X and the top page (%u), confirmed by a second walk %d, not by an empty one %d or another run %d",
		    first.nr, yes, no, moved);
}

/*
 * Runs: contiguous executable supervisor leaves merge while virtual and
 * physical addresses follow on and writability stays; the same runs come
 * from tables read whole through a callback (the module's way, one read
 * per table); a leaf at the top of the address space ends at 2^64 - 1.
 * Judgement: a run inside an allowed virtual range, or mapping frames
 * inside an allowed physical one, is allowed unless writable.
 */
static void test_exec_runs(void)
{
	static struct vmi_as as, cas;
	static struct vmi_phys cphys;
	static struct vmi_scan_bufs bufs;
	struct exec_seen s = { 0 }, c = { 0 };
	struct vmi_scan_stats st;
	u64 k = 0xffffffff81000000ULL, top = 0xfffffffffffff000ULL;
	struct vmi_exec_allow allow[2] = {
		{ .start = k, .end = k + 0x3000 },
		{ .start = 0x200000, .end = 0x400000,
		  .flags = VMI_EXEC_ALLOW_PHYS },
	};
	int err, cerr;

	scan_as(&as);
	map(&as, k, 0x8000, 1, P);			/* RX, RX: one run */
	map(&as, k + 0x1000, 0x9000, 1, P);
	map(&as, k + 0x2000, 0xa000, 1, P | RW);	/* W+X: its own */
	map(&as, k + (2ULL << 20), 0x200000, 2, P);	/* 2 MiB */
	map(&as, top, 0xb000, 1, P);			/* the last page */
	err = vmi_exec_scan(&as, vmi_exec_kernel_half(&as), 64, exec_collect,
			    &s, &st, NULL);
	TEST_ASSERT(!err && s.nr == 4 && s.run[0].start == k &&
		    s.run[0].end == k + 0x2000 && s.run[0].gpa == 0x8000 &&
		    !s.run[0].writable && s.run[1].writable &&
		    s.run[2].end - s.run[2].start == 2ULL << 20 &&
		    s.run[3].start == top && s.run[3].end == ~0ULL,
		    "exec runs: RX+RX merged, W+X apart, 2 MiB, the top page ends at 2^64-1 (got %u, err %d)",
		    s.nr, err);
	vmi_phys_add_range(&cphys, 0, RAM_SIZE, NULL);
	cphys.read = copy_read;
	vmi_as_init(&cas, &cphys, as.root, false);
	cerr = vmi_exec_scan(&cas, vmi_exec_kernel_half(&cas), 64,
			     exec_collect, &c, NULL, &bufs);
	TEST_ASSERT(!cerr && runs_equal(&s, &c) &&
		    nr_copy_reads == st.tables,
		    "exec runs through a read callback with table buffers: the same runs, one read per table (%u reads, %llu tables, err %d)",
		    nr_copy_reads, (unsigned long long)st.tables, cerr);
	TEST_ASSERT(vmi_exec_allowed(&s.run[0], allow, 2) &&
		    !vmi_exec_allowed(&s.run[1], allow, 2) &&
		    vmi_exec_allowed(&s.run[2], allow, 2) &&
		    !vmi_exec_allowed(&s.run[2], allow, 1) &&
		    !vmi_exec_allowed(&s.run[3], allow, 2),
		    "exec allowed: inside a virtual range; W+X never; by frames; the top page not");
	test_exec_confirm(&as, allow);
}

/* vmi_exec_seen(): a run of the second scan inside one of the first. */
static void test_exec_seen(void)
{
	struct vmi_exec_run first[3] = {
		{ .start = 0x1000, .end = 0x3000 },
		{ .start = 0x5000, .end = 0x6000, .writable = 1 },
		{ .start = 0x8000, .end = 0x9000 },
	};
	struct vmi_exec_run in = { .start = 0x2000, .end = 0x3000 };
	struct vmi_exec_run w = { .start = 0x5000, .end = 0x6000 };
	struct vmi_exec_run grown = { .start = 0x8000, .end = 0xa000 };
	struct vmi_exec_run last = { .start = 0x8000, .end = 0x9000 };
	u64 pos = 0;
	bool a, b, c2, d;

	a = vmi_exec_seen(first, 3, &pos, &in);
	b = vmi_exec_seen(first, 3, &pos, &w);
	c2 = vmi_exec_seen(first, 3, &pos, &grown);
	d = vmi_exec_seen(first, 3, &pos, &last);
	TEST_ASSERT(a && !b && !c2 && d && pos == 2,
		    "exec seen: inside yes, other writability no, grown no, in order (%d %d %d %d, pos %llu)",
		    a, b, c2, d, (unsigned long long)pos);
}

static void test_bad_as(void)
{
	struct vmi_as *as = &g.as4;
	struct vmi_xlate x;
	int err;

	as->maxphyaddr = 53;
	err = vmi_as_walk(as, 0x400000, &x);
	as->maxphyaddr = 52;
	TEST_ASSERT(err == -EINVAL, "MAXPHYADDR 53: expected %d, got %d",
		    -EINVAL, err);
}

/*
 * vmi_measure_mapping(): a 4 MiB "kernel image" mapped read-only and
 * executable by two 2 MiB pages, then one of them split into 4 KiB pages
 * with one remapped to another frame (a shadow page), one made writable
 * and one unmapped.
 */
static void test_mapping(void)
{
	const u64 va = 0xffffffff81000000ULL, pa = 0x200000;
	const u32 mask = VMI_PROT_WRITE | VMI_PROT_NX | VMI_PROT_USER;
	struct vmi_as *as = &g.as4;
	struct vmi_map_bad bad[4];
	u64 table, i;
	s64 n;

	map(as, va, pa, 2, P | G);
	map(as, va + (2 << 20), pa + (2 << 20), 2, P | G);
	vmi_as_flush(as);
	n = vmi_measure_mapping(as, va, va + (4 << 20), pa, mask, 0, bad, 4);
	TEST_ASSERT(n == 0, "mapping as expected: 0 bad pages, got %lld",
		    (long long)n);
	n = vmi_measure_mapping(as, va, va + (4 << 20), pa, mask,
				VMI_PROT_NX, bad, 4);
	TEST_ASSERT(n == 1024 && bad[3].va == va + 3 * 4096,
		    "executable where NX is wanted: 1024 bad pages, got %lld",
		    (long long)n);

	table = table_new();
	for (i = 0; i < 512; i++)
		*(u64 *)(g.ram + table + i * 8) = (pa + i * 4096) | P | G;
	*(u64 *)(g.ram + table + 5 * 8) = 0x7000 | P | G;
	*(u64 *)(g.ram + table + 9 * 8) |= RW;
	*(u64 *)(g.ram + table + 11 * 8) = 0;
	*pte(as, va, 2) = table | P | RW;
	vmi_as_flush(as);
	n = vmi_measure_mapping(as, va, va + (4 << 20), pa, mask, 0, bad, 2);
	TEST_ASSERT(n == 3 && bad[0].va == va + 5 * 4096 &&
		    bad[0].gpa == 0x7000 && !bad[0].err &&
		    bad[1].va == va + 9 * 4096 &&
		    (bad[1].prot & VMI_PROT_WRITE),
		    "split, one page remapped, one writable, one unmapped: 3 bad, the first 2 stored, got %lld (0x%llx 0x%llx)",
		    (long long)n, (unsigned long long)bad[0].gpa,
		    (unsigned long long)bad[1].va);
	n = vmi_measure_mapping(as, va, va + (4 << 20), pa, mask, 0, bad, 4);
	TEST_ASSERT(n == 3 && bad[2].va == va + 11 * 4096 &&
		    bad[2].err == -ENOENT,
		    "the unmapped page: -ENOENT, got %lld, err %d",
		    (long long)n, n == 3 ? bad[2].err : 0);
	TEST_ASSERT(vmi_measure_mapping(as, va + 1, va + 4096, pa, mask, 0,
					bad, 4) == -EINVAL &&
		    vmi_measure_mapping(as, va, va, pa, mask, 0, bad, 4) ==
		    -EINVAL &&
		    vmi_measure_mapping(as, va, va + 4096, pa, mask, 0, NULL,
					1) == -EINVAL,
		    "unaligned, empty range, no room for bad pages: -EINVAL");

	/*
	 * A 2 MiB page is measured by its first page, then skipped: the
	 * split page after it is still measured page by page, and a range
	 * that starts and ends inside large pages stops at its end.
	 */
	map(as, va, pa, 2, P | G);
	table = table_new();
	for (i = 0; i < 512; i++)
		*(u64 *)(g.ram + table + i * 8) =
			(pa + (2 << 20) + i * 4096) | P | G;
	*(u64 *)(g.ram + table + 7 * 8) = 0x9000 | P | G;
	*pte(as, va + (2 << 20), 2) = table | P | RW;
	vmi_as_flush(as);
	n = vmi_measure_mapping(as, va + 4096, va + (4 << 20), pa + 4096,
				mask, 0, bad, 4);
	TEST_ASSERT(n == 1 && bad[0].va == va + (2 << 20) + 7 * 4096 &&
		    bad[0].gpa == 0x9000,
		    "after a 2 MiB page, a split page's remapped page: 1 bad, got %lld",
		    (long long)n);
	n = vmi_measure_mapping(as, va + (1 << 20), va + (2 << 20) + 7 * 4096,
				pa + (1 << 20), mask, 0, bad, 4);
	TEST_ASSERT(n == 0, "a range ending before the remapped page: 0 bad, got %lld",
		    (long long)n);
	*pte(as, va, 2) = 0;
	*pte(as, va + (2 << 20), 2) = 0;
	vmi_as_flush(as);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(75);
	guest_init();
	test_sizes();
	test_la57();
	test_prot();
	test_not_present();
	test_reserved();
	test_fault_einval();
	test_recursive();
	test_read();
	test_tlb();
	test_ltlb_flush();
	test_random();
	test_walks_stat();
	test_bad_as();
	test_scan_leaves();
	test_scan_loop();
	test_scan_random();
	test_mapping();
	test_exec_runs();
	test_exec_seen();
	free(g.ram);
	free(g.slow);
	ksft_finished();
}
