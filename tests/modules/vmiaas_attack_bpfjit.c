// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_bpfjit: tampers with a loaded BPF program's JIT code, for
 * the integrity tests. @addr is the program's bpf_func (its
 * bpf_prog_TAG_NAME line in /proc/kallsyms).
 *
 * By default the code is patched: the x86 JIT starts each image with
 * [ENDBR] NOP5 and then NOP2 (6.1) or NOP3 (6.12), which keep the layout
 * of the "xor eax, eax" / "xor rax, rax" that programs making tail calls
 * have there; the NOP becomes that XOR, through the read-only mapping
 * with CR0.WP cleared. Harmless for a program that makes no tail calls
 * (rax is its return register, set before it returns), and a write
 * nothing in the kernel
 * would ever make. With writable=1 the bytes stay and the page that maps
 * them is made writable instead, as a rootkit does before patching at
 * leisure (set_memory_rw() is not exported: the entry's R/W bit is set
 * through lookup_address()). Unloading restores either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>

#include "vmiaas_attack_wp.h"

static unsigned long addr;
module_param(addr, ulong, 0444);
MODULE_PARM_DESC(addr, "the BPF program's bpf_func (from /proc/kallsyms)");

static bool writable;
module_param(writable, bool, 0444);
MODULE_PARM_DESC(writable, "make the image's page writable instead of patching it");

static const u8 endbr[] = { 0xf3, 0x0f, 0x1e, 0xfa };
static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

/* The NOP after the NOP5 and the XOR of the same length. */
static const struct {
	u8 nop[3], xor[3], len;
} patches[] = {
	{ { 0x66, 0x90 }, { 0x31, 0xc0 }, 2 },			/* 6.1 */
	{ { 0x0f, 0x1f, 0x00 }, { 0x48, 0x31, 0xc0 }, 3 },	/* 6.12 */
};

static u8 *patched;		/* the patched bytes */
static size_t patch;		/* which patches[] */
static pte_t *entry;		/* the entry made writable */
static pteval_t saved_entry;

/* The NOP of the image's prologue (its patches[] in *@which), or NULL. */
static u8 *bpfjit_nop(unsigned long func, size_t *which)
{
	u8 head[sizeof(endbr) + sizeof(nop5) + 3];
	size_t off = 0, i;

	if (copy_from_kernel_nofault(head, (void *)func, sizeof(head)))
		return NULL;
	if (!memcmp(head, endbr, sizeof(endbr)))
		off = sizeof(endbr);
	for (i = 0; i < ARRAY_SIZE(patches); i++) {
		if (memcmp(head + off, nop5, sizeof(nop5)) ||
		    memcmp(head + off + sizeof(nop5), patches[i].nop,
			   patches[i].len))
			continue;
		*which = i;
		return (u8 *)func + off + sizeof(nop5);
	}
	pr_err("%pS starts %*ph\n", (void *)func, (int)sizeof(head), head);
	return NULL;
}

static int bpfjit_writable(void)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);

	if (!pte || !(pte_val(*pte) & _PAGE_PRESENT))
		return -ENOENT;
	saved_entry = pte_val(*pte);
	set_pte(pte, __pte(saved_entry | _PAGE_RW));
	entry = pte;
	pr_info("the page of %pS made writable (level %u)\n", (void *)addr,
		level);
	return 0;
}

static int __init vmiaas_attack_bpfjit_init(void)
{
	u8 *site = addr ? bpfjit_nop(addr, &patch) : NULL;

	if (!site) {
		pr_err("0x%lx is no x86 BPF JIT image entry\n", addr);
		return -ENOEXEC;
	}
	if (writable)
		return bpfjit_writable();
	wp_write(site, patches[patch].xor, patches[patch].len);
	patched = site;
	pr_info("%pS: NOP at +%ld patched to xor\n", (void *)addr,
		(long)(site - (u8 *)addr));
	return 0;
}

static void __exit vmiaas_attack_bpfjit_exit(void)
{
	if (patched)
		wp_write(patched, patches[patch].nop, patches[patch].len);
	if (entry)
		set_pte(entry, __pte(saved_entry));
}

module_init(vmiaas_attack_bpfjit_init);
module_exit(vmiaas_attack_bpfjit_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: BPF JIT code patched or made writable");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
