/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * vfs-ops' execution, shared by vmiaas.ko and userspace: every operations
 * table pointer of the guest's mounted filesystems, cached directories
 * and open files, and where each one lies.
 *
 * Walked, in this order (each list by vmi_list_walk()'s or a cursor's
 * checks: the cap, Brent's cycle detection, kernel pointers only):
 *   - super_blocks: each superblock's s_op, s_d_op, s_export_op, s_xattr;
 *     its root dentry's d_op and the root inode's i_op and i_fop; the
 *     root of each of its mounts (s_mounts) that is another dentry (a
 *     bind mount of a subdirectory);
 *   - the directory dentries cached under the root, depth first, at most
 *     max_depth levels and max_dentries dentries per walk (over them:
 *     ->truncated), VMI_VFS_LANES child lists at a time so that the
 *     reads' cache misses overlap (r->map, when given, is where the host
 *     maps a dentry's fields);
 *   - every process's open files (task_struct.files, each files_struct
 *     once, at most max_tasks of them and max_fd_slots fd slots a walk):
 *     f_op, with the inode's mode and superblock. The processes come
 *     from the task list, or from the caller (->tasks_given: a walk of
 *     the tasks made for other checks too, userspace's census).
 * Each pointer goes to the callback (struct vmi_vfs_ptr), the judgement
 * is the caller's (vmi_vfs_where() classifies an address). A superblock
 * list that cannot be walked is passed to it (VMI_VFS_BAD_SBS); a dentry
 * or fd list torn while the guest runs is counted (->torn) and skipped;
 * a task list that cannot be walked ends the files' walk (the hidden-
 * process check judges that list).
 *
 * Returned: -EINVAL (a bad layout or argument), -EFAULT and the like (the
 * super_blocks or task list's head unreadable), what the callback returns
 * when negative. No allocation: the caller gives the scratch.
 */
#ifndef VMI_VFSWALK_H
#define VMI_VFSWALK_H

#include "klist.h"

/* Caps on what a guest can make one walk do (the layout's may be lower). */
#define VMI_VFS_SB_MAX		65536		/* superblocks on super_blocks */
#define VMI_VFS_MOUNTS_MAX	65536		/* mounts of one superblock */
#define VMI_VFS_DEPTH_MAX	16		/* directory levels under a root */
#define VMI_VFS_CHILDREN_MAX	(1U << 20)	/* one list: over it, a cycle */
#define VMI_VFS_DENTRIES_MAX	(1U << 17)	/* children visited per walk */
#define VMI_VFS_TASKS_MAX	(1U << 16)	/* processes' files_structs */
#define VMI_VFS_NR_OPEN		(1U << 20)	/* the kernel's NR_OPEN */
#define VMI_VFS_FDS_MAX		(1U << 20)	/* fd slots read per walk */
#define VMI_VFS_DSPAN_MAX	512		/* a dentry's fields, read at once */
#define VMI_VFS_LANES		16		/* child lists walked at once */
#define VMI_VFS_SB_PTRS		4		/* s_op s_d_op s_export_op s_xattr */

/* dentry.d_flags's type (DCACHE_ENTRY_TYPE: bits 20-22, 6.1 and 6.12). */
#define VMI_VFS_DCACHE_TYPE	0x00700000
#define VMI_VFS_DCACHE_DIR	0x00200000
#define VMI_VFS_DCACHE_AUTODIR	0x00300000

/* The offsets (from the guest's BTF) and the caps of a walk. */
struct vmi_vfs_layout {
	u32 s_list, s_type, s_ptr[VMI_VFS_SB_PTRS], s_root, s_mounts;
	u32 d_op, d_flags, d_inode, d_children, d_sib;
	u32 children_hlist;	/* 6.8+: d_children an hlist_head, not a ring */
	u32 i_op, i_fop, i_mode, i_sb;
	u32 mnt_root, mnt_instance;	/* in struct mount */
	u32 tasks, tgid, files;		/* in struct task_struct */
	u32 fdt, max_fds, fd;		/* files_struct.fdt, in fdtable */
	u32 f_op, f_inode;		/* in struct file */
	u32 max_sbs, max_mounts, max_depth, max_dentries, max_tasks;
	u32 max_fd_slots;	/* fd slots read per walk */
};

/* struct vmi_vfs_ptr.field: which pointer */
enum vmi_vfs_field {
	VMI_VFS_S_OP,		/* the superblock's, VMI_VFS_SB_PTRS of them */
	VMI_VFS_S_D_OP,
	VMI_VFS_S_EXPORT_OP,
	VMI_VFS_S_XATTR,
	VMI_VFS_D_OP,		/* a root's or a cached directory's dentry */
	VMI_VFS_I_OP,		/* its inode's */
	VMI_VFS_I_FOP,
	VMI_VFS_F_OP,		/* an open file's */
	VMI_VFS_SB,		/* a superblock, before its pointers (ptr 0) */
	VMI_VFS_BAD_SBS,	/* super_blocks cannot be walked (->err) */
};

/* One pointer, or the start of a superblock, or a corrupt superblock list. */
struct vmi_vfs_ptr {
	u64 sb;			/* the superblock (an open file's inode's) */
	u64 obj;		/* what holds the pointer: sb, dentry, inode, file */
	u64 ptr;		/* the pointer */
	u64 dentry;		/* a cached directory's dentry (under the root), or 0 */
	u64 mount;		/* a bind mount (struct mount) whose root it is, or 0 */
	u64 files;		/* an open file's files_struct */
	s32 tgid;		/* its first process (in the task list's order) */
	u32 fd;
	u32 field;		/* enum vmi_vfs_field */
	u16 mode;		/* the inode's i_mode (d_op, i_op, i_fop, f_op) */
	u16 pad;
	s32 err;		/* VMI_VFS_BAD_SBS: -ELOOP or -EBADMSG */
	u32 nodes;		/* VMI_VFS_BAD_SBS: nodes walked before */
};

/*
 * Returns 0 to go on, < 0 to stop the walk (returned); for VMI_VFS_SB,
 * 1 skips that superblock (one being torn down).
 */
typedef int (*vmi_vfs_fn)(void *ctx, const struct vmi_vfs_ptr *p);

/* What one walk did. */
struct vmi_vfs_stats {
	u32 dentries;		/* cached children visited */
	u32 fds;		/* fd slots read */
	u32 files;		/* processes (given tasks) with a files_struct */
	u32 torn;		/* lists or tables skipped as torn */
	u32 truncated;		/* the dentry or fd budget cut the walk short */
};

/* A directory whose children are still to be walked. */
struct vmi_vfs_pend {
	u64 dentry;
	u64 inode;		/* its i_op, i_fop still to pass, or 0 */
	u64 first;		/* its first child: d_children's pointer */
	u32 depth;		/* of its children */
	u32 pad;
};

struct vmi_vfs_task {
	u64 files;
	s32 tgid;
	u32 seq;		/* its place in the task list (or the caller's) */
};

#define VMI_VFS_FD_CHUNK	256	/* fd slots read at once */

/* One child list being walked (a cursor with vmi_list_walk()'s checks). */
struct vmi_vfs_lane {
	u64 end;		/* what ends the list: its head (a ring) or 0 */
	u64 node, tortoise, power, lam;
	u32 n;
	u32 busy;
	const u8 *host;		/* where the host maps the node's fields, or NULL */
	u64 dentry, inode;	/* the directory; its inode, to pass first */
	u32 depth;		/* of its children */
	u32 pad;
};

/*
 * The caller's memory (a few KiB, and the two arrays): @pend with room
 * for @pend_cap directories (max_dentries + 1 never truncates the walk),
 * @tasks for @tasks_cap processes (max_tasks); the rest is the walk's.
 * With @tasks_given, the caller has filled tasks[0..nr_tasks) (each a
 * files_struct pointer as read from a task, not 0, its tgid, its place)
 * and the task list is not walked; nr_tasks over tasks_cap or max_tasks
 * is -EINVAL.
 */
struct vmi_vfs_scratch {
	struct vmi_vfs_pend *pend;
	struct vmi_vfs_task *tasks;
	u32 pend_cap, tasks_cap;
	u32 nr_pend, nr_tasks;
	u32 tasks_given;	/* 1: tasks[0..nr_tasks) are the caller's */
	struct vmi_vfs_lane lanes[VMI_VFS_LANES];
	u64 fds[VMI_VFS_FD_CHUNK];
	u8 dentry[VMI_VFS_DSPAN_MAX];
};

/* Whether @l is plausible (offsets and caps within their bounds). */
bool vmi_vfs_layout_ok(const struct vmi_vfs_layout *l);

struct vmiaas_vfs_check;

/*
 * The walk's layout and caps from a vfs-ops record of the uapi (type
 * VMIAAS_CHECK_VFS_GVA), as vmiaas.ko runs it and vmid's policy runner
 * replays it; vmi_vfs_layout_ok() still to be asked.
 */
void vmi_vfs_layout_of(const struct vmiaas_vfs_check *vc,
		       struct vmi_vfs_layout *l);

/*
 * Walks from the super_blocks list head at @super_blocks and init_task at
 * @init_task; *@ret_stats (zeroed first) says what the walk did.
 */
int vmi_vfs_walk(const struct vmi_read_ops *r, const struct vmi_vfs_layout *l,
		 u64 super_blocks, u64 init_task, struct vmi_vfs_scratch *s,
		 vmi_vfs_fn fn, void *ctx, struct vmi_vfs_stats *ret_stats);

/* Where a pointer lies (vmi_vfs_where()). */
enum vmi_vfs_place {
	VMI_VFS_NULL,
	VMI_VFS_KERNEL_RO,	/* text, rodata, ro_after_init */
	VMI_VFS_KERNEL_RW,	/* the image's data, bss */
	VMI_VFS_MODULE_RO,
	VMI_VFS_MODULE_RW,
	VMI_VFS_MODULE_AREA,	/* in no live module */
	VMI_VFS_OUTSIDE,	/* the heap, or anything else */
};

/* A live module: its struct module and its memory. */
struct vmi_vfs_module {
	u64 addr;
	struct vmi_range r[4];
	u8 ro[4];		/* r[i] read-only */
	u32 nr;
};

/* What a pointer is judged by. */
struct vmi_vfs_bounds {
	struct vmi_range text, rodata;	/* the kernel's read-only memory */
	struct vmi_range image;		/* the whole image, to _end */
	struct vmi_range area;		/* the module area */
	const struct vmi_vfs_module *mods;
	u32 nr_mods;
};

/* Where @p lies; *@ret_mod (or -1) the index of its module in @b->mods. */
enum vmi_vfs_place vmi_vfs_where(const struct vmi_vfs_bounds *b, u64 p,
				 s32 *ret_mod);

/* What vmi_vfs_suspects() found. */
struct vmi_vfs_suspects {
	u64 nr;			/* pointers outside the ranges, bad lists */
	struct vmi_vfs_ptr first;	/* the first of them (if nr) */
	struct vmi_vfs_stats stats;
};

/* @nr ranges, each non-empty, sorted by address and disjoint. */
bool vmi_vfs_ranges_ok(const struct vmi_range *r, u32 nr);

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every pointer that is not NULL and lies outside the @nr_allow
 * ranges of @allow (sorted and disjoint, vmi_vfs_ranges_ok(): a binary
 * search, so that a guest whose every pointer is outside costs log2 of
 * them; -EINVAL otherwise) is a suspect, and so is a superblock list that cannot
 * be walked. Two exceptions the kernel itself makes: s_xattr (an array
 * of const pointers that is not const) may lie in @image too; an open
 * file on a superblock whose s_type is @debugfs_type (0: none) is not
 * judged (debugfs's kmalloc()ed proxy tables; the caller says so).
 */
int vmi_vfs_suspects(const struct vmi_read_ops *r,
		     const struct vmi_vfs_layout *l, u64 super_blocks,
		     u64 init_task, struct vmi_vfs_scratch *s,
		     const struct vmi_range *allow, u32 nr_allow,
		     const struct vmi_range *image, u64 debugfs_type,
		     struct vmi_vfs_suspects *ret);

#endif /* VMI_VFSWALK_H */
