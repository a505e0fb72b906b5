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
 * The page's address is printed ("code at 0x...") for the test.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/pgtable_types.h>

static unsigned long setro, setx;
static char *mode = "vmalloc";
module_param(setro, ulong, 0444);
MODULE_PARM_DESC(setro, "address of set_memory_ro (from /proc/kallsyms)");
module_param(setx, ulong, 0444);
MODULE_PARM_DESC(setx, "address of set_memory_x (from /proc/kallsyms)");
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "vmalloc (default), page, or wx");

/* endbr64; mov $0x2a, %eax; ret */
static const u8 payload[] = {
	0xf3, 0x0f, 0x1e, 0xfa, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3,
};

typedef int (*set_memory_fn)(unsigned long addr, int numpages);

static void *code_alloc(bool from_vmalloc)
{
	return from_vmalloc ? vmalloc(PAGE_SIZE) :
			      (void *)__get_free_page(GFP_KERNEL);
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
	bool wx = !strcmp(mode, "wx"), page = !strcmp(mode, "page");
	set_memory_fn ro = (set_memory_fn)setro, x = (set_memory_fn)setx;
	int (*fn)(void);
	void *code;
	int err;

	if (!x || (!wx && !ro) || (!wx && !page && strcmp(mode, "vmalloc")))
		return -EINVAL;
	code = code_alloc(!page);
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
