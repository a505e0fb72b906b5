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
#define VMI_PROC_BAD_ROOT	8	/* a mounted /proc's root inode */
#define VMI_PROC_BAD_SUPERS	9	/* super_blocks: corrupt */

/* The path of a mounted /proc's root inode (vmi_proc_roots()). */
#define VMI_PROC_ROOT_PATH	"/proc (root inode)"

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

/*
 * The root inode of every mounted /proc: each procfs superblock on
 * super_blocks (s_type == &proc_fs_type), s_root->d_inode. Its i_fop and
 * i_op were copied from proc_root's proc_ops and proc_iops at mount.
 */
struct vmi_proc_roots {
	u64 super_blocks;	/* &super_blocks */
	u64 proc_fs_type;	/* &proc_fs_type */
	u32 s_list, s_type, s_root;	/* in struct super_block */
	u32 d_inode;		/* in struct dentry */
	u32 i_fop, i_op;	/* in struct inode */
	u32 max_sbs;		/* superblocks walked at most */
	u32 pad;
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
	/*
	 * A root inode (vmi_proc_roots_walk()): ->ptr[0] its i_fop, ->ptr[1]
	 * its i_op, ->ptr[2] 0, ->pde the inode, ->path VMI_PROC_ROOT_PATH
	 */
	u32 root_inode;
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

/*
 * Calls @fn for the root inode of every mounted /proc (@rl), as an entry
 * with ->root_inode set, or as a bad one (VMI_PROC_BAD_ROOT: a procfs
 * superblock's root unreadable or NULL; VMI_PROC_BAD_SUPERS: the list
 * corrupt, over @rl->max_sbs, or unreadable). Returns -EINVAL (a bad
 * layout) or what the callback returns.
 */
int vmi_proc_roots_walk(const struct vmi_read_ops *r,
			const struct vmi_proc_roots *rl, vmi_proc_fn fn,
			void *ctx);

/* Whether @rl is plausible (offsets under VMI_OFFSET_MAX, a cap set). */
bool vmi_proc_roots_ok(const struct vmi_proc_roots *rl);

/* A path's key: FNV-1a 64 of its bytes up to the NUL. */
u64 vmi_path_key(const char *path);

/* An entry whose pointers must not have changed: a baseline's record. */
struct vmi_proc_watch {
	u64 key;			/* vmi_path_key() of its path */
	u64 ptr[VMI_PROC_PTRS];
};

/* Whether @nr watches are sorted by key, keys unique (the judgement's). */
bool vmi_proc_watch_sorted(const struct vmi_proc_watch *w, u32 nr);

/* How much of the first suspect's path vmi_proc_suspects() keeps. */
#define VMI_PROC_FIRST_PATH	64

/* What vmi_proc_suspects() is given and found. */
struct vmi_proc_suspects {
	const struct vmi_range *allow;	/* in: where a pointer may lie */
	u32 nr_allow;			/* in */
	/* in: entries by path, sorted by key, keys unique */
	const struct vmi_proc_watch *watch;
	u32 nr_watch;			/* in */
	const struct vmi_proc_roots *roots;	/* in: NULL, not walked */
	u64 nr;				/* out: suspects */
	u64 first_pde;			/* out: the first one's entry */
	u32 first_bad;			/* out: its ->bad, or 0 */
	u32 first_ptr;			/* out: which pointer (if !bad) */
	u64 first_now;			/* out: that pointer as read */
	u64 first_old;			/* out: its watch's, 0: none */
	u32 first_netns;		/* out: its namespace's inode */
	s32 first_err;			/* out: with ->first_bad */
	u32 first_root;			/* out: a root inode (->root_inode) */
	u32 pad;
	u64 first_net;			/* out: its namespace (->net) */
	char first_path[VMI_PROC_FIRST_PATH];	/* out: cut, NUL-ended */
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every bad entry, every non-NULL pointer outside the allowed
 * ranges, and every watched entry (in any namespace) whose pointers
 * differ from the watch, is a suspect; with @s->roots, every mounted
 * /proc's root inode whose i_fop or i_op differs from the watch of
 * "/proc" (its proc_ops, proc_iops) or lies outside the ranges too.
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
