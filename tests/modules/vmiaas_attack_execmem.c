// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_execmem: code left behind in executable kernel memory
 * that no module, BPF program or trampoline owns, for the integrity tests.
 *
 * Copies a small position-independent function into a page it allocates,
 * makes the page executable, calls it once (the code runs), and keeps the
 * page when it is unloaded: the code outlives its module, as a loader
 * that unloads itself leaves its payload. set_memory_ro() and
 * set_memory_x() are not exported: their addresses come from
 * /proc/kallsyms (setro=0x... setx=0x...).
 *
 * mode=vmalloc (default): a vmalloc() page, made read-only and executable
 *                         (what the kernel does for its own code: W^X).
 * mode=page:              a page from the page allocator (its direct-map
 *                         address, as kmalloc() memory), the same.
 * mode=wx:                a vmalloc() page made executable and left
 *                         writable (6.2+ kernels warn, verify_rwx(): "CPA
 *                         detected W^X violation"; should one keep NX, the
 *                         module says so and runs nothing).
 * mode=gap:               a page mapped (made read-only and executable)
 *                         in the kernel image mapping, between the image
 *                         (after=_end) and MODULES_VADDR: KERNEL_IMAGE_SIZE
 *                         is 1 GiB in a KASLR kernel, so this is not the
 *                         module range even above 0xffffffffa0000000.
 *                         vmalloc's range allocator is not exported: its
 *                         address comes as vrange=0x... (6.1
 *                         __vmalloc_node_range, 6.12 ..._noprof).
 * mode=novmap:            a page from the page allocator mapped read-only
 *                         and executable by hand near the top of the module
 *                         range (MODULES_END - 4 MiB): apply_to_page_range()
 *                         on init_mm (not exported: initmm=0x... from
 *                         /proc/kallsyms) writes the page table entry, so
 *                         no vmap area, no vm_struct, no record of any
 *                         owner covers it.
 * The page's address is printed ("code at 0x...") for the test.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/pgtable_types.h>

#define NOVMAP_AT	(MODULES_END - SZ_4M)	/* where mode=novmap maps */

static unsigned long setro, setx, vrange, after, initmm;
static char *mode = "vmalloc";
module_param(setro, ulong, 0444);
MODULE_PARM_DESC(setro, "address of set_memory_ro (from /proc/kallsyms)");
module_param(setx, ulong, 0444);
MODULE_PARM_DESC(setx, "address of set_memory_x (from /proc/kallsyms)");
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "vmalloc (default), page, wx, gap, or novmap");
module_param(vrange, ulong, 0444);
MODULE_PARM_DESC(vrange, "gap: address of __vmalloc_node_range(_noprof)");
module_param(after, ulong, 0444);
MODULE_PARM_DESC(after, "gap: the kernel image's end (_end)");
module_param(initmm, ulong, 0444);
MODULE_PARM_DESC(initmm, "novmap: address of init_mm (from /proc/kallsyms)");

/* endbr64; mov $0x2a, %eax; ret */
static const u8 payload[] = {
	0xf3, 0x0f, 0x1e, 0xfa, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3,
};

typedef int (*set_memory_fn)(unsigned long addr, int numpages);
typedef void *(*vmalloc_range_fn)(unsigned long size, unsigned long align,
				  unsigned long start, unsigned long end,
				  gfp_t gfp_mask, pgprot_t prot,
				  unsigned long vm_flags, int node,
				  const void *caller);

/*
 * A page past the image's last 2 MiB page (cleanup_highmap() leaves that
 * one mapped), at or above 0xffffffffa0000000 (where the module range of
 * a kernel without KASLR starts) and below MODULES_VADDR.
 */
static void *gap_alloc(void)
{
	vmalloc_range_fn range = (vmalloc_range_fn)vrange;
	unsigned long start = max(ALIGN(after, PMD_SIZE), MODULES_VADDR - SZ_512M);

	if (!range || !after || start >= MODULES_VADDR) {
		pr_err("no gap between the image (0x%lx) and MODULES_VADDR\n",
		       after);
		return NULL;
	}
	return range(PAGE_SIZE, PAGE_SIZE, start, MODULES_VADDR, GFP_KERNEL,
		     PAGE_KERNEL, 0, NUMA_NO_NODE, __builtin_return_address(0));
}

static void *code_alloc(const char *how)
{
	if (!strcmp(how, "page"))
		return (void *)__get_free_page(GFP_KERNEL);
	if (!strcmp(how, "gap"))
		return gap_alloc();
	return vmalloc(PAGE_SIZE);
}

/* Maps the page @data read-only and executable at a free entry. */
static int novmap_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct page *page = data;

	if (!pte_none(*pte))
		return -EBUSY;
	set_pte(pte, mk_pte(page, PAGE_KERNEL_ROX));
	return 0;
}

/*
 * The payload in a fresh page, mapped by hand in the module range: no
 * vmap area. A free entry needs no TLB flush (none is cached).
 */
static void *novmap_map(void)
{
	struct page *page;
	int err;

	if (!initmm)
		return ERR_PTR(-EINVAL);
	page = alloc_page(GFP_KERNEL);
	if (!page)
		return ERR_PTR(-ENOMEM);
	memset(page_address(page), 0xcc, PAGE_SIZE);
	memcpy(page_address(page), payload, sizeof(payload));
	err = apply_to_page_range((struct mm_struct *)initmm, NOVMAP_AT,
				  PAGE_SIZE, novmap_pte, page);
	if (err) {
		__free_page(page);
		return ERR_PTR(err);
	}
	return (void *)NOVMAP_AT;
}

/* Whether the page at @addr is mapped without NX (6.2+ may refuse W+X). */
static bool executable(unsigned long addr)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);

	return pte && (pte_flags(*pte) & _PAGE_PRESENT) &&
	       !(pte_flags(*pte) & _PAGE_NX);
}

static int __init vmiaas_attack_execmem_init(void)
{
	bool wx = !strcmp(mode, "wx");
	set_memory_fn ro = (set_memory_fn)setro, x = (set_memory_fn)setx;
	int (*fn)(void);
	void *code;
	int err;

	if (!strcmp(mode, "novmap")) {
		code = novmap_map();
		if (IS_ERR(code))
			return PTR_ERR(code);
		fn = code;
		pr_info("code at 0x%lx (%s) returns %d\n", (unsigned long)code,
			mode, fn());
		return 0;
	}
	if (!x || (!wx && !ro) ||
	    (!wx && strcmp(mode, "page") && strcmp(mode, "vmalloc") &&
	     strcmp(mode, "gap")))
		return -EINVAL;
	code = code_alloc(mode);
	if (!code)
		return -ENOMEM;
	memset(code, 0xcc, PAGE_SIZE);
	memcpy(code, payload, sizeof(payload));
	err = wx ? 0 : ro((unsigned long)code, 1);
	err = err ?: x((unsigned long)code, 1);
	if (err) {
		pr_err("set_memory: %d\n", err);
		return err;	/* the page leaks: it may be executable */
	}
	if (!executable((unsigned long)code)) {
		pr_info("code at 0x%lx (%s) not executable: the kernel refused\n",
			(unsigned long)code, mode);
		return 0;
	}
	fn = code;
	pr_info("code at 0x%lx (%s) returns %d\n", (unsigned long)code, mode,
		fn());
	return 0;
}

/* The page stays: the payload outlives the module. */
static void __exit vmiaas_attack_execmem_exit(void)
{
}

module_init(vmiaas_attack_execmem_init);
module_exit(vmiaas_attack_execmem_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: code in executable memory nobody owns");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
