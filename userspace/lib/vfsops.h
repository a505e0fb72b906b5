/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * vfs-ops (check_vfsops.c): where the operations tables of mounted
 * filesystems, cached directories and open files point. Exposed for the
 * unit test, which builds these structures in a tiny guest.
 */
#ifndef VMIAAS_LIB_VFSOPS_H
#define VMIAAS_LIB_VFSOPS_H

#include "uapi/linux/vmiaas.h"
#include "engine.h"
#include "hidden.h"
#include "modarea.h"
#include "../../core/vfswalk.h"

/* Caps on what a guest can make a scan do (core/vfswalk.h's). */
#define VFS_SB_MAX		VMI_VFS_SB_MAX
#define VFS_MOUNTS_MAX		VMI_VFS_MOUNTS_MAX
#define VFS_DEPTH_MAX		VMI_VFS_DEPTH_MAX
#define VFS_DENTRIES_MAX	VMI_VFS_DENTRIES_MAX
#define VFS_TASKS_MAX		VMI_VFS_TASKS_MAX
#define VFS_NR_OPEN		VMI_VFS_NR_OPEN
#define VFS_FDS_MAX		VMI_VFS_FDS_MAX
#define VFS_LANES		VMI_VFS_LANES
#define VFS_PATH_DEPTH		16	/* names in a reported path */
#define VFS_NAME_MAX		256	/* a reported path */
#define VFS_OBJ_MAX		(VFS_NAME_MAX + 64)
#define VFS_FOP_MAX		512	/* sizeof(struct file_operations) */
#define VFS_SEEN_MAX		256	/* findings per scan, deduplicated */
#define VFS_USES_MAX		4096	/* modules one module uses */

#define VFS_DCACHE_DIRECTORY	VMI_VFS_DCACHE_DIR
#define VFS_DCACHE_AUTODIR	VMI_VFS_DCACHE_AUTODIR

struct vfs_layout {
	u32 s_list, s_type, s_ptr[4], s_root, s_mounts;
	u32 fs_name, fs_owner;
	u32 d_op, d_flags, d_inode, d_parent, d_name, d_children, d_sib;
	bool children_hlist;	/* 6.8+: d_children is an hlist_head */
	u32 i_op, i_fop, i_mode, i_sb;
	u32 mnt_parent, mnt_mountpoint, mnt_root, mnt, mnt_instance, mnt_ns;
	u32 tasks, tgid, files, fdt, max_fds, fd;
	u32 f_op, f_inode, f_dentry, f_mnt;
	u32 fop_size;
	/* struct module: mem[] (6.4+, TEXT DATA RODATA RO_AFTER_INIT) */
	bool m_mem;
	u32 m_base[4], m_size[4], m_taints;
	bool has_deps;		/* module.target_list, module_use */
	u32 m_target_list, mu_target_list, mu_target;
};

struct vfs_range {
	u64 start, end;
	bool ro;
};

struct vfs_module {
	u64 addr;		/* struct module * */
	char name[57];
	unsigned long taints;
	struct vfs_range r[4];
	u32 nr;
};

struct vfs_seen {
	u64 obj;
	const char *field;
};

/* What one pointer belongs to, and the names a finding about it carries. */
struct vfs_obj {
	struct vfs_scan *scan;		/* vfs_pick_mount()'s */
	char path[VFS_NAME_MAX];	/* "/mnt/t", "/mnt/t/f (pid 1 fd 3)" */
	u64 dentry;			/* a cached directory: its path too */
	char fstype[32];
	u64 owner;			/* s_type->owner: struct module * */
	u64 root;			/* the superblock's root dentry */
	u64 addr;			/* the object holding the pointer */
	const char *what;		/* "directory inode", "superblock" */
	bool is_file;			/* an open file's f_op */
	bool any_module;		/* a device's: any module's table */
};

struct vfs_scan {
	struct vmiaas *v;
	const struct hidden_sink *sink;
	struct vfs_layout l;
	u64 text_start, text_end, rodata_start, rodata_end;
	u64 img_start, img_end;
	struct modarea area;
	struct vfs_module *mods;
	u32 nr_mods;
	struct vmi_vfs_module *cmods;	/* mods, for vmi_vfs_where() */
	struct vmi_vfs_bounds b;
	struct vmi_vfs_scratch *scratch;	/* core/vfswalk.c's memory */
	struct vfs_obj sb;		/* the superblock walked: its names */
	/* the last walk's struct vmi_vfs_stats */
	u32 dentries, fds, nr_files, torn;
	bool truncated;
	/*
	 * With this check's census (engine_tasks_shared()), the files
	 * pointers read again from its tasks rather than its copies: the
	 * confirming scan's (a task exited since the census has freed its
	 * files_struct; exit_files() clears task->files).
	 */
	bool fresh_files;
	struct vfs_seen seen[VFS_SEEN_MAX];
	u32 nr_seen;
};

struct vfs_stats {
	u32 dentries, fds, files_structs, torn;
};

int vfs_layout_get(struct vmiaas *v, struct vfs_layout *l);
/* The ranges, modules and layout a scan judges by; fini frees. */
int vfs_scan_init(struct vmiaas *v, struct vfs_scan *s);
void vfs_scan_fini(struct vfs_scan *s);
/*
 * The walks of one scan from the super_blocks list head and init_task,
 * findings to @s->sink: 0, or a read error of the task list.
 */
int vfs_scan_walk(struct vfs_scan *s, u64 super_blocks, u64 init_task);
/* @field of @o holds @p: a finding to @o->scan's sink unless fine. */
void vfs_judge(struct vfs_scan *s, const struct vfs_obj *o,
	       const char *field, u64 p);
void vfs_printable(char *s);
/* One scan without confirmation (bench, tests); *@ret its counts. */
int vfs_scan_once(struct vmiaas *v, const struct hidden_sink *sink,
		  struct vfs_stats *ret);
/* The check: two scans, what both report. */
int check_vfs_ops(struct vmiaas *v, const struct hidden_sink *sink);

/* vfs-ops' record's data (include/vmiaas/checks.h) */
struct vmiaas_module_vfs {
	struct vmiaas_vfs_check vc;
	uint64_t allow;		/* the ranges here, or 0: v->vfs_ranges */
};

/* vmiaas_module_policy()'s part: the record appended at *@nr. */
int vfs_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		     size_t max, size_t *nr);
/* Why super_blocks cannot be walked: "a cycle after 3 nodes". */
void vfs_bad_why(int err, u32 nodes, char *buf, size_t size);

#endif /* VMIAAS_LIB_VFSOPS_H */
