// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_inline: an inline hook, for the integrity tests. Writes
 * "jmp rel32" to a function of this module over the first 5 bytes of the
 * kernel function at @target; unloading restores the bytes.
 *
 * The test picks a function nothing calls while it runs (__x64_sys_acct:
 * the guest has no process accounting) and passes its address from
 * /proc/kallsyms (target=0x...). Kernel text is read-only: the bytes go
 * through the text mapping with CR0.WP cleared and interrupts off, the
 * way pre-text_poke() rootkits did. Modules lie within 2 GiB of the
 * kernel image, so rel32 reaches.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "vmiaas_attack_wp.h"

static unsigned long target;
module_param(target, ulong, 0444);
MODULE_PARM_DESC(target, "kernel function to hook (from /proc/kallsyms)");

static u8 saved[5];

/* Never entered in the tests: nothing calls the target. */
static noinline long vmiaas_attack_inline_hook(void)
{
	pr_emerg("hooked function entered\n");
	return -EPERM;
}

static int __init vmiaas_attack_inline_init(void)
{
	unsigned long hook = (unsigned long)vmiaas_attack_inline_hook;
	int err;

	err = wp_write_jmp(target, hook, saved);
	if (err)
		return err;
	pr_info("jmp at %pS -> %pS\n", (void *)target, (void *)hook);
	return 0;
}

static void __exit vmiaas_attack_inline_exit(void)
{
	wp_write((void *)target, saved, sizeof(saved));
	pr_info("%pS restored\n", (void *)target);
}

module_init(vmiaas_attack_inline_init);
module_exit(vmiaas_attack_inline_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: inline JMP hook");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
