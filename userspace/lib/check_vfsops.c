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
 * Walked (each walk capped, lists by list_walk()'s cycle detection):
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

/* struct module.taints bits a distribution's own modules never carry. */
#define VFS_TAINT_BITS	((1UL << 0) | (1UL << 1) | (1UL << 12) | (1UL << 13))

static const char *const vfs_sb_ptrs[] = {
	"s_op", "s_d_op", "s_export_op", "s_xattr",
};

/* ---- where a pointer lies ---- */

enum vfs_where {
	VFS_NULL,
	VFS_KERNEL_RO,		/* text, rodata, ro_after_init */
	VFS_KERNEL_RW,		/* the image's data, bss */
	VFS_MODULE_RO,
	VFS_MODULE_RW,
	VFS_MODULE_AREA,	/* no live module's */
	VFS_OUTSIDE,
};

static const struct vfs_module *vfs_module_of(const struct vfs_scan *s,
					      u64 p, bool *ret_ro)
{
	u32 i, k;

	for (i = 0; i < s->nr_mods; i++)
		for (k = 0; k < s->mods[i].nr; k++)
			if (p >= s->mods[i].r[k].start &&
			    p < s->mods[i].r[k].end) {
				*ret_ro = s->mods[i].r[k].ro;
				return &s->mods[i];
			}
	return NULL;
}

static enum vfs_where vfs_where(const struct vfs_scan *s, u64 p,
			 const struct vfs_module **ret_mod)
{
	bool ro = false;

	*ret_mod = NULL;
	if (!p)
		return VFS_NULL;
	if ((p >= s->text_start && p < s->text_end) ||
	    (p >= s->rodata_start && p < s->rodata_end))
		return VFS_KERNEL_RO;
	if (p >= s->img_start && p < s->img_end)
		return VFS_KERNEL_RW;
	*ret_mod = vfs_module_of(s, p, &ro);
	if (*ret_mod)
		return ro ? VFS_MODULE_RO : VFS_MODULE_RW;
	if (p >= s->area.start && p < s->area.end)
		return VFS_MODULE_AREA;
	return VFS_OUTSIDE;
}

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

int vfs_layout_get(struct vmiaas *v, struct vfs_layout *l)
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

static const char *vfs_where_text(enum vfs_where w)
{
	switch (w) {
	case VFS_KERNEL_RW:
		return "the kernel image's writable data";
	case VFS_MODULE_RO:
		return "read-only data of a module that does not own the filesystem";
	case VFS_MODULE_RW:
		return "a module's writable memory (a copy of the table)";
	case VFS_MODULE_AREA:
		return "the module area, in no live module";
	default:
		return "memory outside the kernel image and the module area (the heap: a copy of the table)";
	}
}

static void vfs_report(struct vfs_scan *s, const struct vfs_obj *o,
		       const char *field, u64 p, enum vfs_where where,
		       const struct vfs_module *mod)
{
	bool tainted = mod && (mod->taints & VFS_TAINT_BITS);
	u32 sev = where == VFS_MODULE_RO && !tainted ? VMIAAS_SEV_HIGH :
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
	const struct vfs_module *mod;
	enum vfs_where where = vfs_where(s, p, &mod);

	switch (where) {
	case VFS_NULL:
	case VFS_KERNEL_RO:
		return;
	case VFS_KERNEL_RW:
		if (!strcmp(field, "s_xattr"))
			return;	/* handler arrays: const pointers, not const */
		break;
	case VFS_MODULE_RO:
	case VFS_MODULE_RW:
		if (o->any_module || mod->addr == o->owner ||
		    (where == VFS_MODULE_RO && vfs_owner_uses(s, o->owner, mod)))
			return;
		break;
	case VFS_OUTSIDE:
		if (o->is_file && vfs_debugfs_proxy(s, o, p))
			return;
		break;
	default:
		break;
	}
	vfs_report(s, o, field, p, where, mod);
}

/* ---- dentries and inodes ---- */

/* What one read of a cached dentry gives the walk (vfs_dentry_read()). */
struct vfs_dentry {
	u64 op, inode;
	u64 next;		/* its sibling list's next pointer */
	u64 first;		/* its own children's first */
	u32 flags;
};

/*
 * The span of the fields vfs_dentry_read() reads at once: d_flags, d_op,
 * d_inode, d_sib (the next sibling) and d_children (the first child).
 * -EBADMSG if BTF spreads them over more than VFS_DSPAN_MAX bytes.
 */
static int vfs_dentry_span(struct vmiaas *v, struct vfs_layout *l)
{
	const u32 off[] = { l->d_flags, l->d_op, l->d_inode, l->d_sib,
			    l->d_children };
	u32 lo = off[0], hi = 0, i;

	for (i = 0; i < ARRAY_SIZE(off); i++) {
		lo = min(lo, off[i]);
		hi = max(hi, off[i] + 8);
	}
	if (hi - lo > VFS_DSPAN_MAX)
		return engine_fail(v, -EBADMSG,
				   "vfs-ops: struct dentry's fields span %u bytes in BTF",
				   hi - lo);
	l->d_lo = lo;
	l->d_len = hi - lo;
	return 0;
}

/*
 * The fields of @dentry the walk needs, in one read (through @host if
 * vfs_dentry_prefetch() returned it).
 */
static int vfs_dentry_read(struct vfs_scan *s, const u8 *host, u64 dentry,
			   struct vfs_dentry *ret)
{
	const struct vfs_layout *l = &s->l;
	u8 buf[VFS_DSPAN_MAX];

	if (engine_read_at(s->v, host, dentry + l->d_lo, buf, l->d_len))
		return -EFAULT;
	ret->op = vmi_get_u64(buf + l->d_op - l->d_lo);
	ret->inode = vmi_get_u64(buf + l->d_inode - l->d_lo);
	ret->next = vmi_get_u64(buf + l->d_sib - l->d_lo);
	ret->first = vmi_get_u64(buf + l->d_children - l->d_lo);
	ret->flags = vmi_get_u32(buf + l->d_flags - l->d_lo);
	return 0;
}

/* Starts the host's cache misses for what vfs_dentry_read() reads. */
static const u8 *vfs_dentry_prefetch(struct vfs_scan *s, u64 dentry)
{
	return engine_prefetch_span(s->v, dentry + s->l.d_lo, s->l.d_len);
}

/* d_op, and the inode's i_op and i_fop; *@ret_mode the inode's mode. */
static int vfs_check_dentry(struct vfs_scan *s, struct vfs_obj *o, u64 dentry,
			    u16 *ret_mode)
{
	u64 dop, inode, iop, ifop;

	*ret_mode = 0;
	if (engine_read_u64(s->v, dentry + s->l.d_op, &dop) ||
	    engine_read_u64(s->v, dentry + s->l.d_inode, &inode))
		return -EFAULT;
	o->addr = dentry;
	o->what = "dentry";
	vfs_judge(s, o, "d_op", dop);
	if (!inode)
		return 0;	/* negative */
	if (engine_read(s->v, inode + s->l.i_mode, ret_mode, 2) ||
	    engine_read_u64(s->v, inode + s->l.i_op, &iop) ||
	    engine_read_u64(s->v, inode + s->l.i_fop, &ifop))
		return -EFAULT;
	o->addr = inode;
	o->what = S_ISDIR(*ret_mode) ? "directory inode" : "inode";
	vfs_judge(s, o, "i_op", iop);
	vfs_judge(s, o, "i_fop", ifop);
	return 0;
}

/* A cached directory's inode's i_op and i_fop; @o the superblock's names. */
static void vfs_check_inode(struct vfs_scan *s, struct vfs_obj *o, u64 dentry,
			    u64 inode)
{
	u64 iop, ifop;

	if (engine_read_u64(s->v, inode + s->l.i_op, &iop) ||
	    engine_read_u64(s->v, inode + s->l.i_fop, &ifop))
		return;
	o->dentry = dentry;	/* named only if reported */
	o->addr = inode;
	o->what = "directory inode";
	vfs_judge(s, o, "i_op", iop);
	vfs_judge(s, o, "i_fop", ifop);
}

/*
 * The cached directories under a root are walked depth first, VFS_LANES
 * child lists at a time: each round reads one child of every list and
 * starts the host's cache misses for the next ones. A dentry's read is a
 * cache miss of the host (the dcache of a guest that walked its files is
 * megabytes, read once a check), and one list is a chain of them; walked
 * side by side, the lists' misses overlap. What is visited and judged is
 * what a walk of one list at a time visits; only the order differs (and
 * so which dentries the budget leaves out).
 */
struct vfs_lane {
	struct list_cursor c;
	const u8 *host;		/* the current node's fields, or NULL */
	u64 dentry, inode;	/* the directory; its inode, to judge first */
	u32 depth;		/* of its children */
	bool busy;
};

static int vfs_pend_push(struct vfs_scan *s, const struct vfs_pend *p)
{
	struct vfs_pend *n;
	u32 cap;

	if (s->nr_pend == s->pend_cap) {
		/* one per dentry visited: the budget bounds it */
		cap = max(64U, 2 * s->pend_cap);
		n = reallocarray(s->pend, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->pend = n;
		s->pend_cap = cap;
	}
	s->pend[s->nr_pend++] = *p;
	return 0;
}

static void vfs_lane_start(struct vfs_scan *s, struct vfs_lane *ln,
			   const struct vfs_pend *p)
{
	u64 head = p->dentry + s->l.d_children;

	list_cursor_start(&ln->c, head, s->l.children_hlist ? 0 : head,
			  p->first, VFS_CHILDREN_MAX);
	ln->dentry = p->dentry;
	ln->inode = p->inode;
	ln->depth = p->depth;
	ln->busy = true;
	ln->host = NULL;
	if (p->first != ln->c.end && kernel_ptr(p->first))
		ln->host = vfs_dentry_prefetch(s, p->first - s->l.d_sib);
	if (p->inode) {
		engine_prefetch(s->v, p->inode + s->l.i_op);
		engine_prefetch(s->v, p->inode + s->l.i_fop);
	}
}

/* One child of @ln's list: 0, 1 when the lane is done, or -ENOMEM. */
static int vfs_lane_step(struct vfs_scan *s, struct vfs_obj *o,
			 struct vfs_lane *ln)
{
	struct vfs_dentry c;
	u64 dentry;
	int err;

	if (ln->inode) {
		vfs_check_inode(s, o, ln->dentry, ln->inode);
		ln->inode = 0;
	}
	if (ln->depth > VFS_DEPTH_MAX || s->truncated)
		return 1;
	err = list_cursor_check(s->v, "a dentry's children", &ln->c);
	if (err <= 0) {
		if (err)
			s->torn++;	/* changing under the walk, or corrupt */
		return 1;
	}
	if (++s->dentries > VFS_DENTRIES_MAX) {
		s->truncated = true;
		return 1;	/* the budget is spent: stop here */
	}
	dentry = ln->c.node - s->l.d_sib;
	if (vfs_dentry_read(s, ln->host, dentry, &c)) {
		s->torn++;
		return 1;
	}
	list_cursor_next(&ln->c, c.next);
	ln->host = NULL;
	if (c.next != ln->c.end && kernel_ptr(c.next))
		ln->host = vfs_dentry_prefetch(s, c.next - s->l.d_sib);
	/*
	 * The dentry's type, not its inode's mode: no inode read for a
	 * file. A directory whose type a rootkit changed could not be
	 * walked or opened as one (d_can_lookup()).
	 */
	if ((c.flags & VFS_DCACHE_TYPE) != VFS_DCACHE_DIRECTORY &&
	    (c.flags & VFS_DCACHE_TYPE) != VFS_DCACHE_AUTODIR)
		return 0;	/* negative, a cursor, not a directory, torn */
	o->dentry = dentry;	/* named only if reported */
	o->addr = dentry;
	o->what = "dentry";
	vfs_judge(s, o, "d_op", c.op);
	return vfs_pend_push(s, &(struct vfs_pend){
		.dentry = dentry, .inode = c.inode, .first = c.first,
		.depth = ln->depth + 1 });
}

/*
 * The cached directories under @root (its own fields judged), children
 * up to VFS_DEPTH_MAX levels down; @o the superblock's names, its
 * per-object fields set for each report. 0 or -ENOMEM.
 */
static int vfs_walk_tree(struct vfs_scan *s, struct vfs_obj *o, u64 root)
{
	struct vfs_lane lanes[VFS_LANES] = { 0 };
	u32 i, busy;
	u64 first;
	int err;

	if (s->truncated)
		return 0;
	if (engine_read_u64(s->v, root + s->l.d_children, &first)) {
		s->torn++;
		return 0;
	}
	s->nr_pend = 0;
	err = vfs_pend_push(s, &(struct vfs_pend){
		.dentry = root, .first = first, .depth = 1 });
	do {
		for (i = busy = 0; i < VFS_LANES && !err; i++) {
			struct vfs_lane *ln = &lanes[i];

			if (!ln->busy && s->nr_pend && !s->truncated) {
				/* its first step next round: the misses run */
				vfs_lane_start(s, ln, &s->pend[--s->nr_pend]);
				busy++;
			} else if (ln->busy) {
				busy++;
				err = vfs_lane_step(s, o, ln);
				ln->busy = !err;
				err = min(err, 0);
			}
		}
	} while (busy && !err);
	/* the budget spent: the directories read but not yet judged */
	for (i = 0; i < VFS_LANES; i++)
		if (lanes[i].busy && lanes[i].inode)
			vfs_check_inode(s, o, lanes[i].dentry, lanes[i].inode);
	for (i = 0; i < s->nr_pend; i++)
		if (s->pend[i].inode)
			vfs_check_inode(s, o, s->pend[i].dentry,
					s->pend[i].inode);
	return err;
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

static void vfs_sb_corrupt(struct vfs_scan *s, u64 addr, const char *why)
{
	struct vmiaas_finding *f;

	f = s->sink->add(s->sink->ctx, "vfs-ops", VMIAAS_SEV_CRITICAL,
			 "super_blocks");
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = addr;
	snprintf(f->message, sizeof(f->message),
		 "the superblock list cannot be walked: %.300s", why);
}

/* A bind mount of a subdirectory: its root is not the superblock's. */
static int vfs_visit_mount(struct vmiaas *v, u64 node, void *arg)
{
	struct vfs_obj *o = arg;
	struct vfs_scan *s = o->scan;
	u64 mount = node - s->l.mnt_instance, root;
	struct vfs_obj m = *o;
	u16 mode;

	if (engine_read_u64(v, mount + s->l.mnt_root, &root) ||
	    root == o->root)
		return 0;
	vfs_mount_path(s, mount, m.path, sizeof(m.path));
	vfs_check_dentry(s, &m, root, &mode);
	return 0;
}

static int vfs_visit_sb(struct vmiaas *v, u64 node, void *arg)
{
	struct vfs_scan *s = arg;
	u64 sb = node - s->l.s_list, ptr;
	struct vfs_obj o;
	u16 mode;
	u32 i;

	if (vfs_sb_names(s, sb, &o))
		return 0;	/* being torn down */
	o.scan = s;
	o.addr = sb;
	o.what = "superblock";
	for (i = 0; i < ARRAY_SIZE(vfs_sb_ptrs); i++)
		if (!engine_read_u64(v, sb + s->l.s_ptr[i], &ptr))
			vfs_judge(s, &o, vfs_sb_ptrs[i], ptr);
	if (engine_read_u64(v, sb + s->l.s_root, &o.root) || !o.root)
		return 0;	/* not mounted yet, or going */
	if (vfs_check_dentry(s, &o, o.root, &mode) || !S_ISDIR(mode))
		return 0;
	list_walk(v, "a superblock's mounts", sb + s->l.s_mounts,
		  VFS_MOUNTS_MAX, vfs_visit_mount, &o);
	return vfs_walk_tree(s, &o, o.root);
}

static int vfs_walk_sbs(struct vfs_scan *s, u64 head)
{
	int err;

	err = list_walk(s->v, "super_blocks", head, VFS_SB_MAX, vfs_visit_sb,
			s);
	if (err == -ELOOP || err == -EBADMSG) {
		vfs_sb_corrupt(s, head, s->v->diag.msg);
		return 0;
	}
	return err;
}

/* ---- open files ---- */

static int vfs_visit_task(struct vmiaas *v, u64 node, void *arg)
{
	struct vfs_scan *s = arg;
	u64 task = node - s->l.tasks, files;
	struct vfs_files *f;

	if (engine_read_u64(v, task + s->l.files, &files) || !files)
		return 0;	/* a kernel thread, or exiting */
	if (s->nr_files >= VFS_TASKS_MAX)
		return 0;
	if (s->nr_files == s->files_cap) {
		u32 cap = min(VFS_TASKS_MAX, max(256U, 2 * s->files_cap));

		f = reallocarray(s->files, cap, sizeof(*f));
		if (!f)
			return -ENOMEM;
		s->files = f;
		s->files_cap = cap;
	}
	f = &s->files[s->nr_files++];
	f->files = files;
	f->tgid = 0;
	engine_read(v, task + s->l.tgid, &f->tgid, sizeof(f->tgid));
	return 0;
}

static int vfs_files_cmp(const void *a, const void *b)
{
	return u64_cmp(a, b);
}

/* One open file: its f_op, judged against its inode's kind. */
static void vfs_check_file(struct vfs_scan *s, const struct vfs_files *fs,
			   u32 fd, u64 file)
{
	u64 fop, inode, isb, mnt, dentry;
	const struct vfs_module *mod;
	struct vfs_obj o;
	char rel[VFS_NAME_MAX];
	u16 mode;

	if (engine_read_u64(s->v, file + s->l.f_op, &fop) ||
	    engine_read_u64(s->v, file + s->l.f_inode, &inode) || !inode ||
	    engine_read(s->v, inode + s->l.i_mode, &mode, 2) ||
	    engine_read_u64(s->v, inode + s->l.i_sb, &isb) ||
	    vfs_sb_names(s, isb, &o))
		return;
	o.scan = s;
	o.is_file = true;
	o.any_module = !S_ISDIR(mode) && !S_ISREG(mode) && !S_ISLNK(mode);
	o.any_module |= !strcmp(o.fstype, "anon_inodefs");
	o.addr = file;
	o.what = S_ISDIR(mode) ? "open directory" : "open file";
	if (vfs_where(s, fop, &mod) <= VFS_KERNEL_RO)
		return;	/* the common case: no names needed */
	if (!engine_read_u64(s->v, file + s->l.f_mnt, &mnt) &&
	    !engine_read_u64(s->v, file + s->l.f_dentry, &dentry)) {
		vfs_mount_path(s, mnt - s->l.mnt, o.path, sizeof(o.path));
		vfs_dentry_path(s, dentry, rel, sizeof(rel));
		vfs_path_join(o.path, sizeof(o.path), rel);
		snprintf(rel, sizeof(rel), " (pid %d fd %u)", fs->tgid, fd);
		vfs_path_join(o.path, sizeof(o.path), rel);
	}
	vfs_judge(s, &o, "f_op", fop);
}

static void vfs_walk_fds(struct vfs_scan *s, const struct vfs_files *fs)
{
	u64 fdt, arr, files[256];
	u32 max, i, k, n;

	if (engine_read_u64(s->v, fs->files + s->l.fdt, &fdt) ||
	    engine_read(s->v, fdt + s->l.max_fds, &max, sizeof(max)) ||
	    engine_read_u64(s->v, fdt + s->l.fd, &arr))
		return;
	if (max > VFS_NR_OPEN) {
		s->torn++;	/* over NR_OPEN: the kernel never makes one */
		return;
	}
	for (i = 0; i < max; i += n) {
		n = min(max - i, (u32)ARRAY_SIZE(files));
		if (s->fds + n > VFS_FDS_MAX) {
			s->truncated = true;
			return;
		}
		s->fds += n;
		if (engine_read(s->v, arr + 8ULL * i, files, 8ULL * n))
			return;
		for (k = 0; k < n; k++)
			if (files[k])
				vfs_check_file(s, fs, i + k, files[k] & ~3ULL);
	}
}

static int vfs_walk_files(struct vfs_scan *s, u64 init_task)
{
	u32 i;
	int err;

	s->nr_files = 0;
	err = list_walk(s->v, "the task list", init_task + s->l.tasks,
			VFS_TASKS_MAX, vfs_visit_task, s);
	if (err == -ELOOP || err == -EBADMSG)
		err = 0;	/* hidden-process judges the list itself */
	if (err)
		return err;
	if (s->nr_files > 1)
		qsort(s->files, s->nr_files, sizeof(*s->files), vfs_files_cmp);
	for (i = 0; i < s->nr_files; i++)
		if (!i || s->files[i].files != s->files[i - 1].files)
			vfs_walk_fds(s, &s->files[i]);
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
	free(s->pend);
	free(s->mods);
	free(s->files);
}

int vfs_scan_walk(struct vfs_scan *s, u64 super_blocks, u64 init_task)
{
	int err;

	err = vfs_dentry_span(s->v, &s->l);
	err = err ?: vfs_walk_sbs(s, super_blocks);
	err = err ?: vfs_walk_files(s, init_task);
	if (!err && s->truncated)
		vfs_truncated_event(s);
	return err;
}

static int vfs_scan(struct vmiaas *v, const struct hidden_sink *sink,
		    void *arg)
{
	struct vfs_scan *s = calloc(1, sizeof(*s));
	u64 super_blocks, init_task;
	int err;

	if (!s)
		return -ENOMEM;
	s->sink = sink;
	err = vfs_scan_init(v, s);
	if (!err && (engine_sym(v, "super_blocks", &super_blocks) ||
		     engine_sym(v, "init_task", &init_task)))
		err = engine_fail(v, -ENOENT,
				  "vfs-ops: the kernel has no super_blocks or init_task");
	err = err ?: vfs_scan_walk(s, super_blocks, init_task);
	if (arg)
		*(struct vfs_stats *)arg = (struct vfs_stats){
			s->dentries, s->fds, s->nr_files, s->torn };
	vfs_scan_fini(s);
	free(s);
	return err;
}

int check_vfs_ops(struct vmiaas *v, const struct hidden_sink *sink)
{
	return check_confirmed(v, vfs_scan, NULL, sink);
}

int vfs_scan_once(struct vmiaas *v, const struct hidden_sink *sink,
		  struct vfs_stats *ret)
{
	return vfs_scan(v, sink, ret);
}
