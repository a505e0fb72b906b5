// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_lsm: a pointer in read-only-after-init data redirected to
 * this module, for the integrity tests. At @addr (from /proc/kallsyms)
 * the module writes the address of its own node, whose first word is the
 * old pointer, and restores the old pointer when unloaded.
 *
 * On Debian 6.1 the test passes security_hook_heads: its first word is
 * the head of the binder_set_context_mgr hook list, and the node is laid
 * out as a struct security_hook_list (next, pprev, head, hook, lsm) that
 * prepends a hook and keeps the real ones after it, as LSM rootkits do
 * (binder is not used in the guest, so the hook never runs). On 6.12,
 * where the LSM hooks are static calls, the test passes
 * static_calls_table (its first word, a static_call_key pointer, is only
 * read at boot). Either lies in __ro_after_init data, which the kernel
 * maps read-only after boot: the write goes through the kernel mapping
 * with CR0.WP cleared and interrupts off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "vmiaas_attack_wp.h"

static unsigned long addr;
module_param(addr, ulong, 0444);
MODULE_PARM_DESC(addr, "ro_after_init pointer to redirect (from /proc/kallsyms)");

/* Never entered in the tests (see above). */
static noinline int vmiaas_attack_lsm_hook(const void *arg)
{
	pr_emerg("hook entered\n");
	return 0;
}

/* struct security_hook_list's layout on 6.1: hlist_node, head, hook, lsm. */
static struct {
	void *next;
	void **pprev;
	void *head;
	void *hook;
	const char *lsm;
} node = { .hook = vmiaas_attack_lsm_hook, .lsm = "vmiaas_attack" };

static void *saved;

static int __init vmiaas_attack_lsm_init(void)
{
	void *mine = &node;

	if (!addr || addr & 7)
		return -EINVAL;
	saved = *(void **)addr;
	node.next = saved;
	node.pprev = (void **)addr;
	node.head = (void *)addr;
	wp_write((void *)addr, &mine, sizeof(mine));
	pr_info("%pS redirected to this module\n", (void *)addr);
	return 0;
}

static void __exit vmiaas_attack_lsm_exit(void)
{
	wp_write((void *)addr, &saved, sizeof(saved));
	pr_info("%pS restored\n", (void *)addr);
}

module_init(vmiaas_attack_lsm_init);
module_exit(vmiaas_attack_lsm_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: an ro_after_init pointer redirected");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
