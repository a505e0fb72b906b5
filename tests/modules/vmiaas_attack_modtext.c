// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_modtext: an inline hook in another module's text, for the
 * integrity tests. Writes "jmp rel32" to a function of this module over
 * the first 5 bytes of the function at @target (the test passes
 * vmiaas_test_hello_exit from /proc/kallsyms); unloading restores them.
 *
 * Module text is read-only once the module is live: the bytes go through
 * its mapping with CR0.WP cleared and interrupts off. Modules lie within
 * 2 GiB of each other, so rel32 reaches.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "vmiaas_attack_wp.h"

static unsigned long target;
module_param(target, ulong, 0444);
MODULE_PARM_DESC(target, "module function to hook (from /proc/kallsyms)");

static u8 saved[5];

/* Never entered in the tests: the target module is not unloaded first. */
static noinline void vmiaas_attack_modtext_hook(void)
{
	pr_emerg("hooked module function entered\n");
}

static int __init vmiaas_attack_modtext_init(void)
{
	unsigned long hook = (unsigned long)vmiaas_attack_modtext_hook;
	int err;

	err = wp_write_jmp(target, hook, saved);
	if (err)
		return err;
	pr_info("jmp at %pS -> %pS\n", (void *)target, (void *)hook);
	return 0;
}

static void __exit vmiaas_attack_modtext_exit(void)
{
	wp_write((void *)target, saved, sizeof(saved));
	pr_info("%pS restored\n", (void *)target);
}

module_init(vmiaas_attack_modtext_init);
module_exit(vmiaas_attack_modtext_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: inline hook in another module's text");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
