/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * usermode-helper's dynamic program paths, shared by vmiaas.ko and
 * userspace: a cgroup v1 hierarchy's release_agent and a binfmt_misc
 * handler, each read from one guest object (a node of cgroup_roots or of
 * binfmt_misc's entries list; the walk of the list is vmi_list_walk()).
 *
 * release_agent: struct cgroup_root's release_agent_path[PATH_MAX], run
 * as root in the init namespaces when a cgroup of the hierarchy with
 * notify_on_release empties (CVE-2022-0492's container escape).
 * binfmt_misc: a Node (fs/binfmt_misc.c, in no BTF: the layout is the
 * caller's) whose interpreter the kernel execs for every file that
 * matches its magic or extension, with the file's credentials if the
 * handler has flag C.
 *
 * Every string is read up to its NUL within the kernel's own bound for
 * it: a string without a NUL there, a magic longer than BINPRM_BUF_SIZE,
 * an offset that puts it outside the first BINPRM_BUF_SIZE bytes of a
 * file (the kernel refuses to register either) or a pointer that is not
 * a kernel-half address are -EBADMSG; an unreadable part is the read's
 * error. Nothing is allocated; the caller owns the output.
 */
#ifndef VMI_UMHWALK_H
#define VMI_UMHWALK_H

#include "klist.h"

#define VMI_CG_NAME		64	/* MAX_CGROUP_ROOT_NAMELEN */
#define VMI_CG_AGENT		4096	/* PATH_MAX */
#define VMI_CG_ROOTS_MAX	256	/* on cgroup_roots */
#define VMI_BINFMT_BUF		256	/* BINPRM_BUF_SIZE */
#define VMI_BINFMT_NAME		256	/* a dentry's name: NAME_MAX + 1 */
#define VMI_BINFMT_INTERP	2048	/* MAX_REGISTER_LENGTH is 1920 */
#define VMI_BINFMT_MAX		1024	/* handlers on one list */

/* Node.flags: the enum {Enabled, Magic} bits and MISC_FMT_* */
#define VMI_BINFMT_ENABLED	(1U << 0)
#define VMI_BINFMT_MAGIC	(1U << 1)
#define VMI_BINFMT_OPEN_FILE	(1U << 28)	/* F */
#define VMI_BINFMT_CREDENTIALS	(1U << 29)	/* C */
#define VMI_BINFMT_OPEN_BINARY	(1U << 30)	/* O */
#define VMI_BINFMT_ARGV0	(1U << 31)	/* P */

/* Offsets in struct cgroup_root, from the guest's BTF. */
struct vmi_cg_layout {
	u32 root_list;		/* the node of cgroup_roots */
	u32 hierarchy_id, subsys_mask;
	u32 agent;		/* release_agent_path */
	u32 name;
};

struct vmi_cg_root {
	s32 hierarchy_id;
	u32 subsys_mask;
	char name[VMI_CG_NAME];
	char agent[VMI_CG_AGENT];
};

/* Offsets in binfmt_misc's Node, from the list node (its first member). */
struct vmi_binfmt_layout {
	u32 flags, offset, size, magic, mask, interpreter, name;
};

/* The layout of Node in Linux 4.8 to 6.12 (list at 0, flags at 16). */
#define VMI_BINFMT_LAYOUT_DEFAULT {					\
	.flags = 16, .offset = 24, .size = 28, .magic = 32, .mask = 40,	\
	.interpreter = 48, .name = 56 }

struct vmi_binfmt_entry {
	u32 flags;		/* Node.flags' low 32 bits */
	s32 offset;		/* of the magic in the file (M) */
	u32 size;		/* of magic and mask (M); strlen of magic (E) */
	bool has_mask;
	u8 magic[VMI_BINFMT_BUF];	/* (E: the extension, NUL-terminated) */
	u8 mask[VMI_BINFMT_BUF];	/* 0xff where there is no mask */
	char name[VMI_BINFMT_NAME];
	char interpreter[VMI_BINFMT_INTERP];
};

/*
 * Reads the NUL-terminated string at @va into @buf (@size bytes, @size >
 * 0), a page at a time so that a string ending before an unmapped page
 * reads. Returns its length, -EBADMSG if no NUL within @size bytes, or the
 * read's error.
 */
int vmi_read_cstr(const struct vmi_read_ops *r, u64 va, char *buf, u32 size);

/* The hierarchy whose cgroup_roots node is at @node, into @ret. */
int vmi_cg_root_read(const struct vmi_read_ops *r,
		     const struct vmi_cg_layout *l, u64 node,
		     struct vmi_cg_root *ret);

/* The handler whose entries node is at @node, into @ret. */
int vmi_binfmt_read(const struct vmi_read_ops *r,
		    const struct vmi_binfmt_layout *l, u64 node,
		    struct vmi_binfmt_entry *ret);

#endif /* VMI_UMHWALK_H */
