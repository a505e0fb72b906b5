// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * vfs-ops: the operations tables of every mounted filesystem.
 *
 * File hiders since adore-ng replace a directory's operations rather than
 * any kernel code: the root inode's i_fop (its iterate_shared filtering a
 * name), a superblock's s_op, a dentry's d_op, an open file's f_op,
 * pointed at a copy in the rootkit's module or in kmalloc()ed memory. The
 * kernel builds these tables const (rodata) in the image or in the module
 * that owns the filesystem type (s_type->owner); a device's or anonymous
 * inode's open file gets its driver's table, any module's. So this check
 * needs no baseline: it judges where each pointer lies.
 *
 * Walked by core/vfswalk.c (vmi_vfs_walk(), the code vmiaas.ko compiles:
 * each walk capped, lists by vmi_list_walk()'s cycle detection); this
 * file names what is walked and judges each pointer:
 *   - super_blocks: s_op, s_d_op, s_export_op, s_xattr; the root dentry's
 *     d_op and its inode's i_op and i_fop; the root of each mount of it
 *     (s_mounts) that is another dentry (a bind mount of a subdirectory);
 *   - the directory dentries cached under each root, depth first, up to
 *     VFS_DEPTH_MAX levels and VFS_DENTRIES_MAX dentries per scan (an
 *     event says when the cap cut the walk short);
 *   - the f_op of every open file of every process (files_struct, fdtable),
 *     each files_struct once, VFS_FDS_MAX file slots per scan.
 * A pointer is judged (vfs_judge()):
 *   - NULL, or the kernel's text or read-only data: fine;
 *   - the owner module's memory; for a device, FIFO, socket or anonymous
 *     inode's open file any live module's memory: fine;
 *   - another module's read-only memory: high, critical if that module is
 *     tainted P, F, O or E (not in-tree and signed): no in-tree module
 *     sets a directory's operations on a filesystem it does not own;
 *   - a module's writable memory, memory of no live module in the module
 *     area, the kernel image's writable data, the heap: critical. A copy
 *     of an ops table made at run time is the technique itself; the one
 *     kernel exception, debugfs's open files (a kmalloc()ed proxy whose
 *     entries are all full_proxy_* functions), is recognized as such.
 * Findings name the path (mount point and path under it, the filesystem
 * type), the pointer and the module. A superblock list that cannot be
 * walked is critical; a dentry or fd list torn while the guest runs is
 * skipped. Findings are confirmed by a second scan (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checks.h"
#include "hidden.h"
#include "list.h"
#include "vfsops.h"
#include "../../core/vfswalk.h"

/* struct module.taints bits a distribution's own modules never carry. */
#define VFS_TAINT_BITS	((1UL << 0) | (1UL << 1) | (1UL << 12) | (1UL << 13))

/* ---- layouts ---- */

static int vfs_layout_dentry(struct vmiaas *v, struct vfs_layout *l)
{
	/* 6.8+: an hlist of children (d_children, d_sib); before: a ring */
	if (!btf_offsetof(v->btf, "dentry", "d_children", &l->d_children) &&
	    !btf_offsetof(v->btf, "dentry", "d_sib", &l->d_sib)) {
		l->children_hlist = true;
		return 0;
	}
	if (btf_offsetof(v->btf, "dentry", "d_subdirs", &l->d_children) ||
	    btf_offsetof(v->btf, "dentry", "d_child", &l->d_sib))
		return engine_fail(v, -ENOENT,
				   "vfs-ops: struct dentry has neither d_children/d_sib nor d_subdirs/d_child in BTF");
	return 0;
}

static int vfs_layout_module(struct vmiaas *v, struct vfs_layout *l)
{
	static const char *const types[] = {
		"MOD_TEXT", "MOD_DATA", "MOD_RODATA", "MOD_RO_AFTER_INIT",
	};
	char path[32];
	s64 idx;
	u32 i;

	if (btf_offsetof(v->btf, "module", "taints", &l->m_taints))
		return -ENOENT;
	if (btf_offsetof(v->btf, "module", "mem[0].base", &l->m_base[0])) {
		/* before 6.4: [base, +ro_after_init_size) read-only, then data */
		l->m_mem = false;
		return btf_offsetof(v->btf, "module", "core_layout.base",
				    &l->m_base[0]) ?:
		       btf_offsetof(v->btf, "module", "core_layout.size",
				    &l->m_size[0]) ?:
		       btf_offsetof(v->btf, "module",
				    "core_layout.ro_after_init_size",
				    &l->m_size[1]);
	}
	l->m_mem = true;
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (btf_enum_value(v->btf, types[i], &idx) || idx < 0 || idx > 7)
			return -ENOENT;
		snprintf(path, sizeof(path), "mem[%lld].base", (long long)idx);
		if (btf_offsetof(v->btf, "module", path, &l->m_base[i]))
			return -ENOENT;
		snprintf(path, sizeof(path), "mem[%lld].size", (long long)idx);
		if (btf_offsetof(v->btf, "module", path, &l->m_size[i]))
			return -ENOENT;
	}
	return 0;
}

static int vfs_layout_read(struct vmiaas *v, struct vfs_layout *l)
{
	const struct btf_member_ref m[] = {
		{ "super_block", "s_list", &l->s_list },
		{ "super_block", "s_type", &l->s_type },
		{ "super_block", "s_op", &l->s_ptr[0] },
		{ "super_block", "s_d_op", &l->s_ptr[1] },
		{ "super_block", "s_export_op", &l->s_ptr[2] },
		{ "super_block", "s_xattr", &l->s_ptr[3] },
		{ "super_block", "s_root", &l->s_root },
		{ "super_block", "s_mounts", &l->s_mounts },
		{ "file_system_type", "name", &l->fs_name },
		{ "file_system_type", "owner", &l->fs_owner },
		{ "dentry", "d_op", &l->d_op },
		{ "dentry", "d_flags", &l->d_flags },
		{ "dentry", "d_inode", &l->d_inode },
		{ "dentry", "d_parent", &l->d_parent },
		{ "dentry", "d_name.name", &l->d_name },
		{ "inode", "i_op", &l->i_op },
		{ "inode", "i_fop", &l->i_fop },
		{ "inode", "i_mode", &l->i_mode },
		{ "inode", "i_sb", &l->i_sb },
		{ "mount", "mnt_parent", &l->mnt_parent },
		{ "mount", "mnt_mountpoint", &l->mnt_mountpoint },
		{ "mount", "mnt.mnt_root", &l->mnt_root },
		{ "mount", "mnt", &l->mnt },
		{ "mount", "mnt_instance", &l->mnt_instance },
		{ "mount", "mnt_ns", &l->mnt_ns },
		{ "task_struct", "tasks", &l->tasks },
		{ "task_struct", "tgid", &l->tgid },
		{ "task_struct", "files", &l->files },
		{ "files_struct", "fdt", &l->fdt },
		{ "fdtable", "max_fds", &l->max_fds },
		{ "fdtable", "fd", &l->fd },
		{ "file", "f_op", &l->f_op },
		{ "file", "f_inode", &l->f_inode },
		{ "file", "f_path.dentry", &l->f_dentry },
		{ "file", "f_path.mnt", &l->f_mnt },
	};
	const struct btf_member_ref *bad = NULL;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), &bad))
		return engine_fail(v, -ENOENT,
				   "vfs-ops: the kernel's BTF lacks %s.%s",
				   bad ? bad->type : "?", bad ? bad->path : "?");
	if (btf_sizeof(v->btf, "file_operations", &l->fop_size) ||
	    !l->fop_size || l->fop_size > VFS_FOP_MAX || l->fop_size % 8)
		return engine_fail(v, -ENOENT,
				   "vfs-ops: no plausible struct file_operations in BTF");
	if (vfs_layout_module(v, l))
		return engine_fail(v, -ENOENT,
				   "vfs-ops: struct module has neither mem[] nor core_layout sizes in BTF");
	/* CONFIG_MODULE_UNLOAD: what each module uses (module_use) */
	l->has_deps = !btf_offsetof(v->btf, "module", "target_list",
				    &l->m_target_list) &&
		      !btf_offsetof(v->btf, "module_use", "target_list",
				    &l->mu_target_list) &&
		      !btf_offsetof(v->btf, "module_use", "target",
				    &l->mu_target);
	return vfs_layout_dentry(v, l);
}

int vfs_layout_get(struct vmiaas *v, struct vfs_layout *l)
{
	static const char key;
	int err;

	if (engine_layout_get(v, &key, l, sizeof(*l)))
		return 0;
	err = vfs_layout_read(v, l);
	if (!err)
		engine_layout_put(v, &key, l, sizeof(*l));
	return err;
}

/* ---- the live modules ---- */

static int vfs_module_regions(struct vmiaas *v, const struct vfs_layout *l,
			      struct vfs_module *m)
{
	u64 base[4];
	u32 size[4], i, n = l->m_mem ? 4 : 2;

	for (i = 0; i < n; i++)
		if ((l->m_mem || !i) &&
		    engine_read_u64(v, m->addr + l->m_base[i], &base[i]))
			return -EFAULT;
	for (i = 0; i < n; i++)
		if (engine_read(v, m->addr + l->m_size[i], &size[i], 4))
			return -EFAULT;
	if (!l->m_mem) {
		/* text, rodata, ro_after_init, then data and bss */
		size[1] = min(size[1], size[0]);
		m->r[0] = (struct vfs_range){ base[0], base[0] + size[1], true };
		m->r[1] = (struct vfs_range){ base[0] + size[1],
					      base[0] + size[0], false };
		m->nr = 2;
		return 0;
	}
	for (i = 0; i < n; i++)
		m->r[i] = (struct vfs_range){ base[i], base[i] + size[i],
					      i != 1 /* MOD_DATA */ };
	m->nr = n;
	return 0;
}

static int vfs_modules_get(struct vmiaas *v, struct vfs_scan *s)
{
	struct vmiaas_module *m = NULL;
	size_t nr = 0, i;
	int err;

	err = vmiaas_modules(v, &m, &nr);
	if (err)
		return err;
	s->mods = calloc(nr ? nr : 1, sizeof(*s->mods));
	if (!s->mods) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		struct vfs_module *vm = &s->mods[s->nr_mods];

		vm->addr = m[i].addr;
		memcpy(vm->name, m[i].name, sizeof(m[i].name));
		vm->name[sizeof(vm->name) - 1] = '\0';
		vfs_printable(vm->name);
		if (vfs_module_regions(v, &s->l, vm) ||
		    engine_read(v, vm->addr + s->l.m_taints, &vm->taints,
				sizeof(vm->taints)))
			continue;	/* going away: its memory is no one's */
		s->nr_mods++;
	}
	free(m);
	return 0;
}

/* ---- names ---- */

void vfs_printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			*s = '?';
}

/* A NUL-terminated guest string at @va into @buf, page by page. */
static int vfs_read_str(struct vmiaas *v, u64 va, char *buf, size_t size)
{
	size_t got = 0, n;

	while (got + 1 < size) {
		n = min((size_t)(4096 - ((va + got) & 4095)), size - 1 - got);
		if (engine_read(v, va + got, buf + got, n))
			return -EFAULT;
		if (memchr(buf + got, 0, n))
			return 0;
		got += n;
	}
	buf[got] = '\0';
	return 0;
}

/* @rel appended to the path in @buf ("/" + "a": "/a"), truncated. */
static void vfs_path_join(char *buf, size_t size, const char *rel)
{
	size_t len = strlen(buf), n;

	if (!rel[0])
		return;
	if (rel[0] != ' ' && len && buf[len - 1] != '/' && len + 1 < size)
		buf[len++] = '/';
	n = min(strlen(rel), size - 1 - len);
	memcpy(buf + len, rel, n);
	buf[len + n] = '\0';
}

/*
 * @obj and its ancestors through the pointer at @parent_off, up to the
 * one that is its own parent (excluded), nearest first, into @ret (at
 * most VFS_PATH_DEPTH): their number.
 */
static int vfs_ancestors(struct vfs_scan *s, u64 obj, u32 parent_off,
			 u64 *ret)
{
	u64 parent;
	int n = 0;

	while (n < VFS_PATH_DEPTH &&
	       !engine_read_u64(s->v, obj + parent_off, &parent) &&
	       parent != obj) {
		ret[n++] = obj;
		obj = parent;
	}
	return n;
}

/* "a/b/c": @dentry's path up to its superblock's root, at most @size. */
static void vfs_dentry_path(struct vfs_scan *s, u64 dentry, char *buf,
			    size_t size)
{
	u64 chain[VFS_PATH_DEPTH], ptr;
	char name[64];
	int i;

	buf[0] = '\0';
	for (i = vfs_ancestors(s, dentry, s->l.d_parent, chain) - 1; i >= 0;
	     i--) {
		if (engine_read_u64(s->v, chain[i] + s->l.d_name, &ptr) ||
		    vfs_read_str(s->v, ptr, name, sizeof(name)))
			snprintf(name, sizeof(name), "?");
		vfs_printable(name);
		vfs_path_join(buf, size, name);
	}
}

/* Where @mount (a struct mount) is mounted: "/", "/mnt/t". */
static void vfs_mount_path(struct vfs_scan *s, u64 mount, char *buf,
			   size_t size)
{
	u64 chain[VFS_PATH_DEPTH], point;
	char rel[VFS_NAME_MAX];
	int i;

	snprintf(buf, size, "/");
	for (i = vfs_ancestors(s, mount, s->l.mnt_parent, chain) - 1; i >= 0;
	     i--) {
		if (engine_read_u64(s->v, chain[i] + s->l.mnt_mountpoint,
				    &point))
			continue;
		vfs_dentry_path(s, point, rel, sizeof(rel));
		vfs_path_join(buf, size, rel);
	}
}

/* ---- findings ---- */

/* Whether @field of @obj was reported in this scan (through another path). */
static bool vfs_seen(struct vfs_scan *s, u64 obj, const char *field)
{
	u32 i;

	for (i = 0; i < s->nr_seen; i++)
		if (s->seen[i].obj == obj && !strcmp(s->seen[i].field, field))
			return true;
	if (s->nr_seen < VFS_SEEN_MAX)
		s->seen[s->nr_seen++] = (struct vfs_seen){ obj, field };
	return false;
}

static const char *vfs_where_text(enum vmi_vfs_place w)
{
	switch (w) {
	case VMI_VFS_KERNEL_RW:
		return "the kernel image's writable data";
	case VMI_VFS_MODULE_RO:
		return "read-only data of a module that does not own the filesystem";
	case VMI_VFS_MODULE_RW:
		return "a module's writable memory (a copy of the table)";
	case VMI_VFS_MODULE_AREA:
		return "the module area, in no live module";
	default:
		return "memory outside the kernel image and the module area (the heap: a copy of the table)";
	}
}

static void vfs_report(struct vfs_scan *s, const struct vfs_obj *o,
		       const char *field, u64 p, enum vmi_vfs_place where,
		       const struct vfs_module *mod)
{
	bool tainted = mod && (mod->taints & VFS_TAINT_BITS);
	u32 sev = where == VMI_VFS_MODULE_RO && !tainted ? VMIAAS_SEV_HIGH :
		  VMIAAS_SEV_CRITICAL;
	char obj[VFS_OBJ_MAX], sym[160], who[128] = "";
	char path[VFS_NAME_MAX], rel[VFS_NAME_MAX];
	struct vmiaas_finding *f;

	if (vfs_seen(s, o->addr, field))
		return;
	snprintf(path, sizeof(path), "%s", o->path);
	if (o->dentry) {
		vfs_dentry_path(s, o->dentry, rel, sizeof(rel));
		vfs_path_join(path, sizeof(path), rel);
	}
	snprintf(obj, sizeof(obj), "%s (%s)", path, o->fstype);
	f = s->sink->add(s->sink->ctx, "vfs-ops", sev, obj);
	if (!f)
		return;
	check_symbolize(s->v, p, sym, sizeof(sym));
	if (mod && !strchr(sym, '['))
		snprintf(sym, sizeof(sym), "[%s]+0x%llx", mod->name,
			 (unsigned long long)(p - mod->r[0].start));
	if (mod)
		snprintf(who, sizeof(who), "; module %s%s", mod->name,
			 tainted ? " (tainted: not in-tree and signed)" : "");
	f->flags |= VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_VALUES |
		    VMIAAS_FINDING_SYMBOLS;
	f->address = o->addr;
	f->new_value = p;
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%.127s", sym);
	snprintf(f->message, sizeof(f->message),
		 "%.200s: %s %s points to %.100s, in %s%.90s", obj, o->what,
		 field, sym, vfs_where_text(where), who);
}

/* A kmalloc()ed debugfs proxy: every entry a kernel full_proxy_* function. */
static bool vfs_debugfs_proxy(struct vfs_scan *s, const struct vfs_obj *o,
			      u64 p)
{
	u64 fn[VFS_FOP_MAX / 8];
	char sym[128];
	u32 i;

	if (strcmp(o->fstype, "debugfs") ||
	    engine_read(s->v, p, fn, s->l.fop_size))
		return false;
	for (i = 0; i < s->l.fop_size / 8; i++) {
		if (!fn[i] || (i == 0 && fn[i] >= s->area.start))
			continue;	/* NULL, or .owner */
		if (fn[i] < s->text_start || fn[i] >= s->text_end)
			return false;
		check_symbolize(s->v, fn[i], sym, sizeof(sym));
		if (strncmp(sym, "full_proxy_", 11) &&
		    strncmp(sym, "open_proxy_", 11))
			return false;
	}
	return true;
}

struct vfs_uses {
	const struct vfs_scan *s;
	u64 target;
};

static int vfs_visit_use(struct vmiaas *v, u64 node, void *arg)
{
	const struct vfs_uses *u = arg;
	u64 target;

	if (engine_read_u64(v, node - u->s->l.mu_target_list +
			    u->s->l.mu_target, &target))
		return 0;
	return target == u->target;
}

/*
 * Whether module @owner uses @mod (a module_use on its target_list): a
 * filesystem type registered by one module with tables of another it
 * links against (nfsv4's files with nfs's file_operations).
 */
static bool vfs_owner_uses(const struct vfs_scan *s, u64 owner,
			   const struct vfs_module *mod)
{
	struct vfs_uses u = { .s = s, .target = mod->addr };

	return owner && s->l.has_deps &&
	       list_walk(s->v, "a module's target_list",
			 owner + s->l.m_target_list, VFS_USES_MAX,
			 vfs_visit_use, &u) == 1;
}

void vfs_judge(struct vfs_scan *s, const struct vfs_obj *o,
	       const char *field, u64 p)
{
	s32 idx;
	enum vmi_vfs_place where = vmi_vfs_where(&s->b, p, &idx);
	const struct vfs_module *mod = idx >= 0 ? &s->mods[idx] : NULL;

	switch (where) {
	case VMI_VFS_NULL:
	case VMI_VFS_KERNEL_RO:
		return;
	case VMI_VFS_KERNEL_RW:
		if (!strcmp(field, "s_xattr"))
			return;	/* handler arrays: const pointers, not const */
		break;
	case VMI_VFS_MODULE_RO:
	case VMI_VFS_MODULE_RW:
		if (o->any_module || mod->addr == o->owner ||
		    (where == VMI_VFS_MODULE_RO && vfs_owner_uses(s, o->owner, mod)))
			return;
		break;
	case VMI_VFS_OUTSIDE:
		if (o->is_file && vfs_debugfs_proxy(s, o, p))
			return;
		break;
	default:
		break;
	}
	vfs_report(s, o, field, p, where, mod);
}

/* ---- superblocks ---- */

/*
 * A mount in a namespace (the kernel's internal mounts, kern_mount(), have
 * none: NULL or MNT_NS_INTERNAL, an error pointer).
 */
static int vfs_pick_mount(struct vmiaas *v, u64 node, void *arg)
{
	struct vfs_obj *o = arg;
	struct vfs_scan *s = o->scan;
	u64 mount = node - s->l.mnt_instance, ns;

	if (engine_read_u64(v, mount + s->l.mnt_ns, &ns) || !kernel_ptr(ns) ||
	    ns >= (u64)-4095)
		return 0;
	vfs_mount_path(s, mount, o->path, sizeof(o->path));
	return 1;
}

/* Names @o after @sb: its type, owner and a mount's path. */
static int vfs_sb_names(struct vfs_scan *s, u64 sb, struct vfs_obj *o)
{
	u64 type, name;

	memset(o, 0, sizeof(*o));
	if (engine_read_u64(s->v, sb + s->l.s_type, &type) ||
	    engine_read_u64(s->v, type + s->l.fs_name, &name) ||
	    engine_read_u64(s->v, type + s->l.fs_owner, &o->owner) ||
	    vfs_read_str(s->v, name, o->fstype, sizeof(o->fstype)))
		return -EFAULT;
	vfs_printable(o->fstype);
	o->scan = s;
	snprintf(o->path, sizeof(o->path), "(internal mount)");
	list_walk(s->v, "a superblock's mounts", sb + s->l.s_mounts,
		  VFS_MOUNTS_MAX, vfs_pick_mount, o);
	return 0;
}

void vfs_bad_why(int err, u32 nodes, char *buf, size_t size)
{
	snprintf(buf, size, "%s after %u nodes",
		 err == -EBADMSG ? "a bad pointer" :
		 nodes >= VFS_SB_MAX ? "no end" : "a cycle", nodes);
}

static void vfs_sb_corrupt(struct vfs_scan *s, u64 addr, int err, u32 nodes)
{
	struct vmiaas_finding *f;
	char why[64];

	f = s->sink->add(s->sink->ctx, "vfs-ops", VMIAAS_SEV_CRITICAL,
			 "super_blocks");
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = addr;
	vfs_bad_why(err, nodes, why, sizeof(why));
	snprintf(f->message, sizeof(f->message),
		 "the superblock list cannot be walked: super_blocks (head 0x%llx): %s: the guest's list is corrupt",
		 (unsigned long long)addr, why);
}

/* ---- the walk's pointers (core/vfswalk.c) ---- */

static const char *const vfs_fields[] = {
	[VMI_VFS_S_OP] = "s_op", [VMI_VFS_S_D_OP] = "s_d_op",
	[VMI_VFS_S_EXPORT_OP] = "s_export_op", [VMI_VFS_S_XATTR] = "s_xattr",
	[VMI_VFS_D_OP] = "d_op", [VMI_VFS_I_OP] = "i_op",
	[VMI_VFS_I_FOP] = "i_fop", [VMI_VFS_F_OP] = "f_op",
};

/* An open file's names: its path, process and fd; 0 or -EFAULT. */
static int vfs_file_obj(struct vfs_scan *s, const struct vmi_vfs_ptr *p,
			struct vfs_obj *o)
{
	u64 mnt, dentry;
	char rel[VFS_NAME_MAX];

	if (vfs_sb_names(s, p->sb, o))
		return -EFAULT;
	o->is_file = true;
	o->any_module = !S_ISDIR(p->mode) && !S_ISREG(p->mode) &&
			!S_ISLNK(p->mode);
	o->any_module |= !strcmp(o->fstype, "anon_inodefs");
	o->addr = p->obj;
	o->what = S_ISDIR(p->mode) ? "open directory" : "open file";
	if (!engine_read_u64(s->v, p->obj + s->l.f_mnt, &mnt) &&
	    !engine_read_u64(s->v, p->obj + s->l.f_dentry, &dentry)) {
		vfs_mount_path(s, mnt - s->l.mnt, o->path, sizeof(o->path));
		vfs_dentry_path(s, dentry, rel, sizeof(rel));
		vfs_path_join(o->path, sizeof(o->path), rel);
		snprintf(rel, sizeof(rel), " (pid %d fd %u)", p->tgid, p->fd);
		vfs_path_join(o->path, sizeof(o->path), rel);
	}
	return 0;
}

/*
 * core/vfswalk.c's callback: a superblock's names once, before its
 * pointers; each pointer judged with the names of what holds it.
 */
static int vfs_visit(void *ctx, const struct vmi_vfs_ptr *p)
{
	struct vfs_scan *s = ctx;
	struct vfs_obj o;
	s32 mod;

	/* the common case: fine, no names needed (and no copy of them) */
	if (p->field <= VMI_VFS_F_OP &&
	    vmi_vfs_where(&s->b, p->ptr, &mod) <= VMI_VFS_KERNEL_RO)
		return 0;
	switch (p->field) {
	case VMI_VFS_SB:
		/* unnamed: being torn down */
		return vfs_sb_names(s, p->sb, &s->sb) ? 1 : 0;
	case VMI_VFS_BAD_SBS:
		vfs_sb_corrupt(s, p->obj, p->err, p->nodes);
		return 0;
	case VMI_VFS_F_OP:
		if (vfs_file_obj(s, p, &o))
			return 0;
		vfs_judge(s, &o, "f_op", p->ptr);
		return 0;
	default:
		break;
	}
	if (p->field >= ARRAY_SIZE(vfs_fields))
		return -EINVAL;
	o = s->sb;
	o.addr = p->obj;
	o.dentry = p->dentry;	/* a cached directory: its path too */
	if (p->mount)
		vfs_mount_path(s, p->mount, o.path, sizeof(o.path));
	if (p->field <= VMI_VFS_S_XATTR)
		o.what = "superblock";
	else if (p->field == VMI_VFS_D_OP)
		o.what = "dentry";
	else
		o.what = p->dentry || S_ISDIR(p->mode) ? "directory inode" :
							  "inode";
	vfs_judge(s, &o, vfs_fields[p->field], p->ptr);
	return 0;
}

/* ---- the check ---- */

static void vfs_truncated_event(struct vfs_scan *s)
{
	struct vmiaas_finding *f;

	f = s->sink->add(s->sink->ctx, "vfs-ops", VMIAAS_SEV_INFO,
			 "walk bounded");
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_EVENT;
	snprintf(f->message, sizeof(f->message),
		 "over %u cached dentries or %u open-file slots: the rest not checked this time",
		 VFS_DENTRIES_MAX, VFS_FDS_MAX);
}

int vfs_scan_init(struct vmiaas *v, struct vfs_scan *s)
{
	int err;

	s->v = v;
	err = vfs_layout_get(v, &s->l);
	err = err ?: bl_text_range(v, &s->text_start, &s->text_end);
	err = err ?: bl_rodata_range(v, &s->rodata_start, &s->rodata_end);
	if (!err && (engine_sym(v, "_end", &s->img_end) ||
		     s->img_end <= s->text_end))
		err = engine_fail(v, -ENOENT, "vfs-ops: no plausible _end");
	s->img_start = s->text_start;
	err = err ?: modarea_get(v, &s->area);
	return err ?: vfs_modules_get(v, s);
}

void vfs_scan_fini(struct vfs_scan *s)
{
	if (s->scratch) {
		free(s->scratch->pend);
		free(s->scratch->tasks);
		free(s->scratch);
	}
	free(s->mods);
	free(s->cmods);
}

/* core/vfswalk.c's layout, caps and memory, and what pointers are judged by. */
static int vfs_walk_prepare(struct vfs_scan *s, struct vmi_vfs_layout *cl)
{
	const struct vfs_layout *l = &s->l;
	struct vmi_vfs_scratch *w;
	u32 i;

	*cl = (struct vmi_vfs_layout){
		.s_list = l->s_list, .s_type = l->s_type, .s_root = l->s_root,
		.s_mounts = l->s_mounts, .d_op = l->d_op,
		.d_flags = l->d_flags, .d_inode = l->d_inode,
		.d_children = l->d_children, .d_sib = l->d_sib,
		.children_hlist = l->children_hlist, .i_op = l->i_op,
		.i_fop = l->i_fop, .i_mode = l->i_mode, .i_sb = l->i_sb,
		.mnt_root = l->mnt_root, .mnt_instance = l->mnt_instance,
		.tasks = l->tasks, .tgid = l->tgid, .files = l->files,
		.fdt = l->fdt, .max_fds = l->max_fds, .fd = l->fd,
		.f_op = l->f_op, .f_inode = l->f_inode,
		.max_sbs = VFS_SB_MAX, .max_mounts = VFS_MOUNTS_MAX,
		.max_depth = VFS_DEPTH_MAX, .max_dentries = VFS_DENTRIES_MAX,
		.max_tasks = VFS_TASKS_MAX, .max_fd_slots = VFS_FDS_MAX,
	};
	memcpy(cl->s_ptr, l->s_ptr, sizeof(cl->s_ptr));
	if (!vmi_vfs_layout_ok(cl))
		return engine_fail(s->v, -EBADMSG,
				   "vfs-ops: struct dentry's fields span over %u bytes, or an offset is over %u, in BTF",
				   VMI_VFS_DSPAN_MAX, VMI_OFFSET_MAX);
	if (!s->scratch) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		s->scratch = w;
		/* one directory per dentry visited: the walk never truncates */
		w->pend_cap = VFS_DENTRIES_MAX + 1;
		w->tasks_cap = VFS_TASKS_MAX;
		w->pend = malloc(sizeof(*w->pend) * w->pend_cap);
		w->tasks = malloc(sizeof(*w->tasks) * w->tasks_cap);
		if (!w->pend || !w->tasks)
			return -ENOMEM;
	}
	free(s->cmods);
	s->cmods = calloc(s->nr_mods ?: 1, sizeof(*s->cmods));
	if (!s->cmods)
		return -ENOMEM;
	for (i = 0; i < s->nr_mods; i++) {
		struct vmi_vfs_module *m = &s->cmods[i];
		u32 k;

		m->addr = s->mods[i].addr;
		m->nr = min(s->mods[i].nr, 4U);
		for (k = 0; k < m->nr; k++) {
			m->r[k] = (struct vmi_range){ s->mods[i].r[k].start,
						      s->mods[i].r[k].end };
			m->ro[k] = s->mods[i].r[k].ro;
		}
	}
	s->b = (struct vmi_vfs_bounds){
		.text = { s->text_start, s->text_end },
		.rodata = { s->rodata_start, s->rodata_end },
		.image = { s->img_start, s->img_end },
		.area = { s->area.start, s->area.end },
		.mods = s->cmods, .nr_mods = s->nr_mods,
	};
	return 0;
}

/*
 * The processes whose open files the walk reads: this check's census
 * (engine_tasks_shared(): every task it read, threads and hidden ones
 * too), else none given and core/vfswalk.c walks the task list.
 */
static void vfs_census_tasks(struct vfs_scan *s)
{
	struct vmi_vfs_scratch *w = s->scratch;
	const struct engine_task *t;
	size_t nr, i;
	u64 files;

	t = engine_tasks_shared(s->v, &nr);
	w->tasks_given = t != NULL;
	w->nr_tasks = 0;
	for (i = 0; t && i < nr && w->nr_tasks < w->tasks_cap; i++) {
		files = t[i].files;
		if (s->fresh_files &&
		    engine_read_u64(s->v, t[i].addr + s->l.files, &files))
			continue;
		if (!files)
			continue;	/* a kernel thread, or exiting */
		w->tasks[w->nr_tasks++] = (struct vmi_vfs_task){
			.files = files, .tgid = t[i].tgid, .seq = i,
		};
	}
}

int vfs_scan_walk(struct vfs_scan *s, u64 super_blocks, u64 init_task)
{
	struct vmi_vfs_layout cl;
	struct vmi_vfs_stats st = { 0 };
	struct vmi_read_ops r;
	int err;

	s->nr_seen = 0;
	err = vfs_walk_prepare(s, &cl);
	if (err)
		return err;
	vfs_census_tasks(s);
	bl_read_ops(s->v, &r);
	err = vmi_vfs_walk(&r, &cl, super_blocks, init_task, s->scratch,
			   vfs_visit, s, &st);
	s->dentries = st.dentries;
	s->fds = st.fds;
	s->nr_files = st.files;
	s->torn = st.torn;
	s->truncated = st.truncated;
	if (err)
		return engine_fail(s->v, err,
				   "vfs-ops: the superblock or task list is unreadable");
	if (s->truncated)
		vfs_truncated_event(s);
	return 0;
}

/* check_confirmed()'s argument of vfs_scan(). */
struct vfs_run {
	struct vfs_stats *stats;	/* the last scan's counts, or NULL */
	u32 scans;
};

static int vfs_scan(struct vmiaas *v, const struct hidden_sink *sink,
		    void *arg)
{
	struct vfs_scan *s = calloc(1, sizeof(*s));
	struct vfs_run *run = arg;
	u64 super_blocks, init_task;
	int err;

	if (!s)
		return -ENOMEM;
	s->sink = sink;
	s->fresh_files = run->scans++ > 0;
	err = vfs_scan_init(v, s);
	if (!err && (engine_sym(v, "super_blocks", &super_blocks) ||
		     engine_sym(v, "init_task", &init_task)))
		err = engine_fail(v, -ENOENT,
				  "vfs-ops: the kernel has no super_blocks or init_task");
	err = err ?: vfs_scan_walk(s, super_blocks, init_task);
	if (run->stats)
		*run->stats = (struct vfs_stats){
			s->dentries, s->fds, s->nr_files, s->torn };
	vfs_scan_fini(s);
	free(s);
	return err;
}

int check_vfs_ops(struct vmiaas *v, const struct hidden_sink *sink)
{
	struct vfs_run run = {};

	return check_confirmed(v, vfs_scan, &run, sink);
}

int vfs_scan_once(struct vmiaas *v, const struct hidden_sink *sink,
		  struct vfs_stats *ret)
{
	struct vfs_run run = { .stats = ret };

	return vfs_scan(v, sink, &run);
}

/* ---- vmiaas.ko's record (check type 13, VMIAAS_CHECK_VFS_GVA) ---- */

#define VFS_FS_TYPES_MAX	1024	/* file_system_type entries read */

static int vfs_range_cmp(const void *a, const void *b)
{
	const u64 *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sorts @r's @n ranges and merges those that overlap or touch. */
static size_t vfs_ranges_merge(u64 (*r)[2], size_t n)
{
	size_t i, k = 0;

	qsort(r, n, sizeof(r[0]), vfs_range_cmp);
	for (i = 0; i < n; i++) {
		if (k && r[i][0] <= r[k - 1][1]) {
			r[k - 1][1] = max(r[k - 1][1], r[i][1]);
			continue;
		}
		r[k][0] = r[i][0];
		r[k][1] = r[i][1];
		k++;
	}
	return k;
}

/*
 * Whether module @addr owns a registered filesystem type (the
 * file_systems list, a NULL-ended chain of ->next): its writable memory
 * may hold its tables too, as vfs_judge() allows the owner's.
 */
static bool vfs_fs_owner(struct vmiaas *v, u64 head, u32 next_off,
			 u32 owner_off, u64 addr)
{
	u64 t, owner;
	u32 i;

	if (!head || engine_read_u64(v, head, &t))
		return false;
	for (i = 0; t && i < VFS_FS_TYPES_MAX; i++) {
		if (!kernel_ptr(t) ||
		    engine_read_u64(v, t + owner_off, &owner) ||
		    engine_read_u64(v, t + next_off, &t))
			return false;
		if (owner == addr)
			return true;
	}
	return false;
}

/*
 * The ranges the module allows (into v->vfs_ranges, sorted and merged):
 * the kernel's text and rodata, every live module's read-only memory, and
 * the writable memory of the modules that own a filesystem type.
 */
static int vfs_module_ranges(struct vmiaas *v, struct vfs_scan *s)
{
	u64 (*r)[2], head = 0;
	u32 next_off = 0, i, k;
	size_t n = 0;

	if (engine_sym(v, "file_systems", &head) ||
	    btf_offsetof(v->btf, "file_system_type", "next", &next_off))
		head = 0;
	r = calloc(2 + 4 * (size_t)s->nr_mods, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r[n][0] = s->text_start;
	r[n++][1] = s->text_end;
	r[n][0] = s->rodata_start;
	r[n++][1] = s->rodata_end;
	for (i = 0; i < s->nr_mods; i++) {
		const struct vfs_module *m = &s->mods[i];
		bool owner = vfs_fs_owner(v, head, next_off, s->l.fs_owner,
					  m->addr);

		for (k = 0; k < m->nr && k < 4; k++) {
			if (m->r[k].start >= m->r[k].end ||
			    (!m->r[k].ro && !owner))
				continue;
			r[n][0] = m->r[k].start;
			r[n++][1] = m->r[k].end;
		}
	}
	n = vfs_ranges_merge(r, n);
	if (n > VMIAAS_MAX_VFS_ALLOW) {
		free(r);
		return engine_fail(v, -E2BIG,
				   "vfs-ops: %zu allowed ranges for vmiaas.ko, over %u",
				   n, VMIAAS_MAX_VFS_ALLOW);
	}
	free(v->vfs_ranges);
	v->vfs_ranges = r;
	v->nr_vfs_ranges = n;
	return 0;
}

/* The record's struct vmiaas_vfs_check: the layout, roots and caps. */
static int vfs_record(struct vmiaas *v, struct vfs_scan *s,
		      struct vmiaas_vfs_check *vc)
{
	const struct vfs_layout *l = &s->l;
	struct vmi_vfs_layout cl;
	u64 debugfs = 0, init_task = 0;
	int err;

	err = vfs_walk_prepare(s, &cl);
	if (err)
		return err;
	if (engine_sym(v, "debug_fs_type", &debugfs))
		debugfs = 0;	/* no debugfs in this kernel */
	*vc = (struct vmiaas_vfs_check){
		.image = { s->img_start, s->img_end }, .debugfs_type = debugfs,
		.s_list = l->s_list, .s_type = l->s_type, .s_root = l->s_root,
		.s_mounts = l->s_mounts, .d_op = l->d_op,
		.d_flags = l->d_flags, .d_inode = l->d_inode,
		.d_children = l->d_children, .d_sib = l->d_sib,
		.i_op = l->i_op, .i_fop = l->i_fop, .i_mode = l->i_mode,
		.i_sb = l->i_sb, .mnt_root = l->mnt_root,
		.mnt_instance = l->mnt_instance, .tasks = l->tasks,
		.tgid = l->tgid, .files = l->files, .fdt = l->fdt,
		.max_fds = l->max_fds, .fd = l->fd, .f_op = l->f_op,
		.f_inode = l->f_inode, .max_dentries = VFS_DENTRIES_MAX,
		.max_fd_slots = VFS_FDS_MAX,
		.flags = l->children_hlist ? VMIAAS_VFS_HLIST : 0,
	};
	memcpy(vc->s_ptr, l->s_ptr, sizeof(vc->s_ptr));
	err = engine_sym(v, "init_task", &init_task);
	vc->init_task = init_task;
	return err;
}

int vfs_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		     size_t max, size_t *nr)
{
	struct vmiaas_module_check *c = &out[*nr];
	struct vmiaas_module_vfs *rec = (struct vmiaas_module_vfs *)c->data;
	struct vfs_scan *s;
	u64 super_blocks;
	int err;

	static_assert(sizeof(*rec) <= VMIAAS_MODULE_DATA &&
		      offsetof(struct vmiaas_module_vfs, allow) ==
		      VMIAAS_MODULE_VFS_ALLOW, "data");
	static_assert(VFS_DENTRIES_MAX <= VMIAAS_MAX_VFS_DENTRIES &&
		      VFS_FDS_MAX <= VMIAAS_MAX_VFS_FDS, "caps");
	if (*nr >= max)
		return -ENOSPC;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	err = vfs_scan_init(v, s);
	err = err ?: engine_sym(v, "super_blocks", &super_blocks);
	err = err ?: vfs_record(v, s, &rec->vc);
	err = err ?: vfs_module_ranges(v, s);
	vfs_scan_fini(s);
	free(s);
	if (err)
		return err;
	c->type = VMIAAS_CHECK_VFS_GVA;
	c->addr = super_blocks;
	c->len = v->nr_vfs_ranges;
	c->root = v->info.pgd_pa;
	snprintf(c->label, sizeof(c->label), "vfs-ops (%zu allowed ranges)",
		 v->nr_vfs_ranges);
	snprintf(c->check, sizeof(c->check), "vfs-ops");
	snprintf(c->object, sizeof(c->object), "filesystem operations");
	c->severity = VMIAAS_SEV_CRITICAL;
	(*nr)++;
	return 0;
}

const uint64_t *vmiaas_module_vfs_ranges(struct vmiaas *v, size_t *ret_nr)
{
	*ret_nr = v->vfs_ranges ? v->nr_vfs_ranges : 0;
	return v->vfs_ranges ? &v->vfs_ranges[0][0] : NULL;
}
