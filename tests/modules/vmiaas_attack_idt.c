// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_idt: IDT gate redirection, for the integrity tests.
 * Points gate @vector (default 4, #OF: INTO does not exist in 64-bit
 * mode, so nothing raises it unless a program runs "int $4") at a
 * function of this module; unloading restores the gate.
 *
 * The CPUs load the IDT from its read-only alias in the CPU entry area
 * (CPU_ENTRY_AREA_RO_IDT), and idt_table itself is set read-only after
 * boot; both map the same physical page. The module writes the gate
 * through idt_table's kernel-image mapping with CR0.WP cleared, so the
 * IDTR stays untouched and every CPU sees the new handler at once. The
 * address of idt_table (a static symbol) comes from /proc/kallsyms
 * (idt=0x...).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "vmiaas_attack_wp.h"

static unsigned long idt;
module_param(idt, ulong, 0444);
MODULE_PARM_DESC(idt, "address of idt_table (from /proc/kallsyms)");

static int vector = 4;
module_param(vector, int, 0444);
MODULE_PARM_DESC(vector, "gate to redirect (default 4, overflow)");

static u8 saved[16];

/* Never entered in the tests: nothing raises the vector. */
static noinline void vmiaas_attack_idt_handler(void)
{
	pr_emerg("redirected vector %d entered\n", vector);
}

static int __init vmiaas_attack_idt_init(void)
{
	unsigned long h = (unsigned long)vmiaas_attack_idt_handler;
	u8 gate[16];

	if (!idt || vector < 0 || vector > 255)
		return -EINVAL;
	memcpy(saved, (u8 *)idt + vector * 16, 16);
	memcpy(gate, saved, 16);
	/* offset 15:0 at 0, 31:16 at 6, 63:32 at 8 */
	gate[0] = h;
	gate[1] = h >> 8;
	gate[6] = h >> 16;
	gate[7] = h >> 24;
	gate[8] = h >> 32;
	gate[9] = h >> 40;
	gate[10] = h >> 48;
	gate[11] = h >> 56;
	wp_write((u8 *)idt + vector * 16, gate, 16);
	pr_info("IDT vector %d -> %pS\n", vector, (void *)h);
	return 0;
}

static void __exit vmiaas_attack_idt_exit(void)
{
	wp_write((u8 *)idt + vector * 16, saved, 16);
	pr_info("IDT vector %d restored\n", vector);
}

module_init(vmiaas_attack_idt_init);
module_exit(vmiaas_attack_idt_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: IDT gate redirection");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
