/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * proc-ops' execution, shared by vmiaas.ko and userspace: every entry of
 * the guest's /proc tree (from proc_root) and of each network namespace's
 * /proc/net tree, with the three operation pointers the kernel never
 * changes after creating an entry (proc_ops or proc_dir_ops, proc_iops,
 * seq_ops or single_show).
 *
 * A directory's entries are the red-black tree of its subdir (struct
 * proc_dir_entry.subdir_node), walked by vmi_rb_walk(). The layout is
 * the caller's (from BTF), the judgement too (a baseline by path, or the
 * ranges a pointer may lie in: vmi_proc_suspects()).
 *
 * Bounds: at most @max_entries entries over all trees, VMI_PROC_DEPTH_MAX
 * directory levels, VMI_RB_DEPTH_MAX levels and @max_nodes nodes per
 * tree, @max_netns namespaces (vmi_list_walk()), paths cut at
 * VMI_PROC_PATH_MAX - 1 bytes. What cannot be walked is passed to the
 * callback as a bad entry (->bad), not returned: a guest must not turn
 * the check off by corrupting a tree. Returned: -EINVAL (a bad layout),
 * the read error of the namespace list's head or a node's next pointer,
 * and what the callback returns. No recursion on the stack: the caller
 * gives the scratch (struct vmi_proc_scratch, a few KiB).
 */
#ifndef VMI_PROCWALK_H
#define VMI_PROCWALK_H

#include "klist.h"

#define VMI_PROC_PTRS		3	/* proc_ops, proc_iops, seq_ops */
#define VMI_PROC_DEPTH_MAX	8	/* /proc/a/b/c/d/e/f/g/h */
#define VMI_PROC_PDE_MAX	512	/* sizeof(struct proc_dir_entry) cap */
#define VMI_PROC_PATH_MAX	512
#define VMI_RB_DEPTH_MAX	64	/* an rbtree of 2^32 nodes has <= 64 */

/* struct vmi_proc_entry.bad: why this part cannot be walked */
#define VMI_PROC_BAD_ENTRY	1	/* an entry under ->path: unreadable */
#define VMI_PROC_BAD_DEPTH	2	/* ->path: deeper than the cap */
#define VMI_PROC_BAD_SUBDIR	3	/* ->path's subdir: unreadable */
#define VMI_PROC_BAD_TREE	4	/* ->path's tree: ->err of the walk */
#define VMI_PROC_BAD_TOP	5	/* a tree's top entry: unreadable */
#define VMI_PROC_BAD_NET	6	/* a namespace's proc_net: bad */
#define VMI_PROC_BAD_WALK	7	/* the namespaces or the entry cap */

struct vmi_proc_layout {
	u64 root;		/* &proc_root */
	u64 init_net;		/* &init_net */
	u64 net_head;		/* &net_namespace_list */
	u32 ptr[VMI_PROC_PTRS];	/* offsets in struct proc_dir_entry */
	u32 subdir, node, name, namelen, mode, size;	/* and these */
	u32 rb_left, rb_right;	/* in struct rb_node */
	u32 net_list, proc_net, net_inum;	/* in struct net */
	u32 max_entries, max_nodes, max_netns;
};

/* An entry, or (->bad) a part of the trees that cannot be walked. */
struct vmi_proc_entry {
	/* "/proc/net/tcp"; the top of a /proc/net tree is "/proc/net/." */
	const char *path;
	u64 pde;		/* the entry (or the struct net, or 0) */
	u64 ptr[VMI_PROC_PTRS];	/* as read (not with ->bad) */
	u64 net;		/* the namespace walked (init_net: /proc) */
	u32 netns;		/* its inode number, 0 unread */
	u32 bad;		/* 0, VMI_PROC_BAD_* */
	s32 err;		/* with ->bad: the walk's or read's error */
	u32 pad;
};

typedef int (*vmi_proc_fn)(void *ctx, const struct vmi_proc_entry *e);

/* A walk's memory, the caller's (not on the stack: vmiaas.ko). */
struct vmi_proc_scratch {
	u64 stack[VMI_PROC_DEPTH_MAX + 1][VMI_RB_DEPTH_MAX + 1];
	u8 depth[VMI_PROC_DEPTH_MAX + 1][VMI_RB_DEPTH_MAX + 1];
	u8 pde[VMI_PROC_PDE_MAX];
	char path[VMI_PROC_PATH_MAX];
};

/* Whether @l is plausible (every field inside the entry, caps set). */
bool vmi_proc_layout_ok(const struct vmi_proc_layout *l);

/*
 * Calls @fn for every entry of /proc, then for every namespace's
 * /proc/net (only init_net's if @init_only).
 */
int vmi_proc_walk(const struct vmi_read_ops *r,
		  const struct vmi_proc_layout *l, bool init_only,
		  struct vmi_proc_scratch *s, vmi_proc_fn fn, void *ctx);

/* A path's key: FNV-1a 64 of its bytes up to the NUL. */
u64 vmi_path_key(const char *path);

/* An entry whose pointers must not have changed: a baseline's record. */
struct vmi_proc_watch {
	u64 key;			/* vmi_path_key() of its path */
	u64 ptr[VMI_PROC_PTRS];
};

/* What vmi_proc_suspects() is given and found. */
struct vmi_proc_suspects {
	const struct vmi_range *allow;	/* in: where a pointer may lie */
	u32 nr_allow;			/* in */
	const struct vmi_proc_watch *watch;	/* in: entries by path */
	u32 nr_watch;			/* in */
	u64 nr;				/* out: suspects */
	u64 first_pde;			/* out: the first one's entry */
	u32 first_bad;			/* out: its ->bad, or 0 */
	u32 first_ptr;			/* out: which pointer (if !bad) */
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every bad entry, every non-NULL pointer outside the allowed
 * ranges, and every watched entry (in any namespace) whose pointers
 * differ from the watch, is a suspect.
 */
int vmi_proc_suspects(const struct vmi_read_ops *r,
		      const struct vmi_proc_layout *l,
		      struct vmi_proc_scratch *scratch,
		      struct vmi_proc_suspects *s);

/*
 * Calls @fn(@ctx, node) for each node of the rbtree at @root (0: empty),
 * parents first, at most @max_nodes nodes and VMI_RB_DEPTH_MAX levels
 * (-ELOOP past either), kernel pointers only (-EBADMSG), with @stack and
 * @depth (VMI_RB_DEPTH_MAX + 1 entries each) as scratch.
 */
int vmi_rb_walk(const struct vmi_read_ops *r, u64 root, u32 left,
		u32 right, u32 max_nodes, u64 *stack, u8 *depth,
		vmi_node_fn fn, void *ctx);

#endif /* VMI_PROCWALK_H */
