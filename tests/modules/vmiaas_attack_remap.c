// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_remap: kernel text remapped (a shadow page), for the
 * integrity tests. The page of kernel text holding @target is copied into
 * a fresh page, "jmp rel32" to this module's function is written at
 * @target's offset in the copy, and the kernel's page tables are pointed
 * at the copy: the CPU now executes the copy at @target's address, while
 * the image's own frame (what a hash by physical address reads) keeps
 * the original bytes. The kernel maps its text with 2 MiB pages: the
 * page directory entry is split into a page table of 512 entries (the
 * same frames and permissions, the copy's frame in one), as a rootkit
 * does. The test passes __x64_sys_acct (nothing calls it) from
 * /proc/kallsyms; the module calls it once through its address and
 * counts in @hits what reached this module (1: the CPU runs the copy).
 * The entry is written with CR0.WP cleared and the TLBs of every CPU
 * flushed; unloading puts the entry back, flushes again and frees the
 * pages.
 *
 * With mode=pgd the kernel's own tables are left alone: the split page
 * table goes into private copies of the page directory and the page
 * directory pointer table, and only the top-level table of the process
 * @pid points its kernel-half entry at them. That process (and whatever
 * the kernel runs on its page tables) executes the copy; a walk of the
 * kernel's init_top_pgt sees the original.
 *
 * mode=mm goes one step further: @pid's own top-level table is left
 * alone too. A private top-level table (a copy of it, user half and, with
 * PTI, its user copy included) gets the kernel-half entry, and @pid's
 * mm->pgd is pointed at it; it is not on pgd_list, and switch_mm() loads
 * it into CR3 only while @pid runs. Unloading points mm->pgd back and
 * keeps that table (a CPU may still hold it in CR3 lazily).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pfn.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>

#include "vmiaas_attack_wp.h"

static unsigned long target;
module_param(target, ulong, 0444);
MODULE_PARM_DESC(target, "kernel function whose text page is remapped");

static char *mode = "pte";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "pte (the kernel's tables, default), pgd (one process's) or mm (a table of its own)");

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "mode=pgd: the process given a private kernel mapping");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "calls of target that ran this module's code");

#define PMD_FRAME_MASK	(PTE_PFN_MASK & PMD_MASK)	/* bits 51:21 */
#define PMD_PAT_LARGE	_PAGE_PAT_LARGE		/* bit 12 of a 2 MiB entry */

static struct page *copy;	/* the shadow of the text page */
static struct page *table;	/* the page table split from the PMD, or NULL */
static pteval_t *entry;		/* the entry rewritten (PTE or PMD) */
static pteval_t saved;		/* its value before */
static struct page *pmd_copy, *pud_copy;	/* mode=pgd */
static struct mm_struct *mm;			/* mode=pgd: @pid's */
static pgd_t *mm_saved_pgd;			/* mode=mm: @pid's own table */

typedef long (*syscall_fn_t)(const struct pt_regs *regs);

static noinline long vmiaas_attack_remap_hook(const struct pt_regs *regs)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return -EPERM;
}

static void flush_one(void *unused)
{
	__flush_tlb_all();
}

static void flush_all(void)
{
	on_each_cpu(flush_one, NULL, 1);
}

/* The copy of @target's page, with the jump to this module at @target. */
static int make_copy(void)
{
	unsigned long page = target & PAGE_MASK;
	long rel = (long)vmiaas_attack_remap_hook - (long)(target + 5);
	s32 rel32 = rel;
	u8 *dst;

	if (rel != rel32 || (target & ~PAGE_MASK) > PAGE_SIZE - 5)
		return -EINVAL;
	copy = alloc_page(GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	dst = page_address(copy);
	memcpy(dst, (void *)page, PAGE_SIZE);
	dst[target - page] = 0xe9;
	memcpy(dst + (target - page) + 1, &rel32, sizeof(rel32));
	return 0;
}

/*
 * A page table mapping the 2 MiB page of @pmd 4 KiB by 4 KiB, with the
 * same frames and permissions, the copy in place of @target's frame.
 */
static int split_pmd(pteval_t pmd, pteval_t *ret)
{
	pteval_t flags = pmd & ~PMD_FRAME_MASK & ~_PAGE_PSE;
	pteval_t *ptes;
	unsigned int i, idx = (target >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);

	if (pmd & PMD_PAT_LARGE)	/* kernel text is write-back */
		return -EINVAL;
	table = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!table)
		return -ENOMEM;
	ptes = page_address(table);
	for (i = 0; i < PTRS_PER_PTE; i++)
		ptes[i] = ((pmd & PMD_FRAME_MASK) + i * PAGE_SIZE) | flags;
	ptes[idx] = PFN_PHYS(page_to_pfn(copy)) | flags;
	*ret = __pa(ptes) | _KERNPG_TABLE;
	return 0;
}

/* A copy of the page table holding entry @e, with @e's slot set to @val. */
static struct page *table_copy(const void *e, pteval_t val)
{
	unsigned long slot = (unsigned long)e & ~PAGE_MASK;
	struct page *p = alloc_page(GFP_KERNEL);
	pteval_t *t;

	if (!p)
		return NULL;
	t = page_address(p);
	memcpy(t, (void *)((unsigned long)e & PAGE_MASK), PAGE_SIZE);
	t[slot / sizeof(pteval_t)] = val;
	return p;
}

/*
 * mode=pgd: @pmdval (the split PMD) in copies of the PMD and PUD tables;
 * *@ret the top-level entry of @pid's mm pointing at them, ->entry that
 * entry's slot.
 */
static int private_pgd(pte_t *pmdp, pteval_t pmdval, pteval_t *ret)
{
	struct task_struct *task;
	pgd_t *pgdp;
	pud_t *pudp;

	if (pgtable_l5_enabled())
		return -EOPNOTSUPP;
	task = get_pid_task(find_vpid(pid), PIDTYPE_PID);
	if (!task)
		return -ESRCH;
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return -ESRCH;
	pgdp = pgd_offset(mm, target);
	pudp = pud_offset(p4d_offset(pgdp, target), target);
	pmd_copy = table_copy(pmdp, pmdval);
	if (pmd_copy)
		pud_copy = table_copy(pudp, __pa(page_address(pmd_copy)) |
				      (pud_val(*pudp) & ~PTE_PFN_MASK));
	if (!pud_copy) {
		if (pmd_copy)
			__free_page(pmd_copy);
		mmput(mm);
		return -ENOMEM;
	}
	entry = (pteval_t *)pgdp;
	saved = *entry;
	*ret = __pa(page_address(pud_copy)) | (saved & ~PTE_PFN_MASK);
	return 0;
}

/*
 * mode=mm: a copy of @mm's top-level table(s), off pgd_list (its lru
 * linked to itself, so that pgd_free() can unlink it), made @mm's pgd;
 * ->entry becomes the slot in the copy.
 */
static int private_top(void)
{
	unsigned long slot = (unsigned long)entry & ~PAGE_MASK;
	pgd_t *top = (pgd_t *)__get_free_pages(GFP_KERNEL,
					       PGD_ALLOCATION_ORDER);

	if (!top)
		return -ENOMEM;
	memcpy(top, mm->pgd, PAGE_SIZE << PGD_ALLOCATION_ORDER);
	INIT_LIST_HEAD(&virt_to_page(top)->lru);
	entry = (pteval_t *)((char *)top + slot);
	mm_saved_pgd = mm->pgd;
	WRITE_ONCE(mm->pgd, top);
	return 0;
}

static int __init vmiaas_attack_remap_init(void)
{
	static const struct pt_regs regs;	/* acct(NULL), if the copy did not run */
	unsigned int level;
	pteval_t now;
	pte_t *pte;
	int err;

	if (!target)
		return -EINVAL;
	pte = lookup_address(target, &level);
	if (!pte || !(pte_val(*pte) & _PAGE_PRESENT))
		return -ENOENT;
	if (level != PG_LEVEL_4K && level != PG_LEVEL_2M)
		return -EOPNOTSUPP;
	if (strcmp(mode, "pte") && ((strcmp(mode, "pgd") && strcmp(mode, "mm")) ||
				    !pid || level != PG_LEVEL_2M))
		return -EINVAL;
	err = make_copy();
	if (err)
		return err;
	entry = (pteval_t *)pte;
	saved = *entry;
	if (level == PG_LEVEL_4K)
		now = PFN_PHYS(page_to_pfn(copy)) | (saved & ~PTE_PFN_MASK);
	else
		err = split_pmd(saved, &now);
	if (!err && strcmp(mode, "pte"))
		err = private_pgd(pte, now, &now);
	if (!err && !strcmp(mode, "mm"))
		err = private_top();
	if (err) {
		if (table)
			__free_page(table);
		__free_page(copy);
		return err;
	}
	wp_write(entry, &now, sizeof(now));
	flush_all();
	if (mm) {
		pr_info("%pS now runs from frame %#llx in pid %d only%s\n",
			(void *)target,
			(unsigned long long)PFN_PHYS(page_to_pfn(copy)), pid,
			mm_saved_pgd ? ", through a top-level table of its own" : "");
		return 0;
	}
	((syscall_fn_t)target)(&regs);
	pr_info("%pS now runs from frame %#llx (%s split), hits %u\n",
		(void *)target, (unsigned long long)PFN_PHYS(page_to_pfn(copy)),
		level == PG_LEVEL_2M ? "2 MiB page" : "no", hits);
	return 0;
}

static void __exit vmiaas_attack_remap_exit(void)
{
	if (mm_saved_pgd)
		WRITE_ONCE(mm->pgd, mm_saved_pgd);
	wp_write(entry, &saved, sizeof(saved));
	flush_all();
	if (mm) {
		__free_page(pud_copy);
		__free_page(pmd_copy);
		mmput(mm);
	}
	if (table)
		__free_page(table);
	__free_page(copy);
	pr_info("%pS mapped back\n", (void *)target);
}

module_init(vmiaas_attack_remap_init);
module_exit(vmiaas_attack_remap_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: kernel text page remapped to a modified copy");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
