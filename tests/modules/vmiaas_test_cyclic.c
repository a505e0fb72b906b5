// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_test_cyclic: makes the guest's task list cyclic, for the
 * hostile-guest tests of vmiaas.
 *
 * The list starts at init_task: init_task -> A (pid 1) -> B (pid 2) -> C...
 * On load, B's tasks.next is pointed back at A, so a walker that follows
 * tasks.next from init_task loops A, B, A, B, ... and never gets back to
 * init_task. Only B's forward link changes: A and B never exit, and the
 * entry after B (an early kernel thread) is not unlinked either, so the
 * kernel's own list updates (new tasks are added at the tail) keep working.
 * Unloading the module restores the link.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

static struct task_struct *loop_from;
static struct list_head *saved_next;

static int __init vmiaas_test_cyclic_init(void)
{
	struct task_struct *a, *b;

	rcu_read_lock();
	a = next_task(&init_task);
	b = next_task(a);
	if (a == &init_task || b == &init_task) {
		rcu_read_unlock();
		pr_err("task list too short\n");
		return -ENOENT;
	}
	get_task_struct(b);
	loop_from = b;
	saved_next = READ_ONCE(b->tasks.next);
	WRITE_ONCE(b->tasks.next, &a->tasks);
	rcu_read_unlock();

	pr_info("task list made cyclic: pid %d -> pid %d\n",
		task_pid_nr(b), task_pid_nr(a));
	return 0;
}

static void __exit vmiaas_test_cyclic_exit(void)
{
	WRITE_ONCE(loop_from->tasks.next, saved_next);
	put_task_struct(loop_from);
	pr_info("task list restored\n");
}

module_init(vmiaas_test_cyclic_init);
module_exit(vmiaas_test_cyclic_exit);

MODULE_DESCRIPTION("vmiaas test module that makes the task list cyclic");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
