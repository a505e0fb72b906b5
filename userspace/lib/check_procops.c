// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * proc-ops: the operations of the kernel's /proc entries.
 *
 * A struct proc_dir_entry holds pointers to const tables: proc_ops (or,
 * for a directory, proc_dir_ops), proc_iops, and seq_ops (or a
 * single_show function). The tables are in rodata, measured by
 * kernel-rodata; the pointers are in the heap. A connection hider points
 * /proc/net/tcp's seq_ops at a copy whose show skips its port; a module
 * hider does the same to /proc/modules; a process hider swaps the
 * directory operations of /proc itself (proc_root). The kernel never
 * changes these pointers after creating an entry.
 *
 * The baseline records every entry of the /proc tree (from proc_root,
 * itself included as "/proc") and of init_net's /proc/net tree (its top
 * directory as "/proc/net/.") whose
 * pointers all lie in the kernel image: the entries the kernel created
 * with its own tables (an entry a module created with its own tables is
 * the module's, and comes and goes with it). A check walks the /proc
 * tree and every network namespace's /proc/net (kernel-created per-net
 * entries have the same tables in every namespace: each is compared with
 * init_net's record of the same name) and reports:
 *   - a pointer changed since the baseline: critical when it now points
 *     into module memory (naming the module) or outside the kernel image
 *     and the module area; high when it points at another kernel table;
 *   - on any entry, a pointer outside the kernel image and the module
 *     area (a copy in the heap): critical.
 * The trees are red-black trees of subdir_node; their walk (entry,
 * depth, node and namespace caps, cycle detection, the paths) is
 * core/procwalk.c's vmi_proc_walk(), the code vmiaas.ko runs; this file
 * gives it the layout from BTF and judges. A tree that cannot be walked
 * is a critical finding, not an error: a rootkit must not be able to
 * turn the check off by corrupting it. The root inode of each mounted
 * /proc is compared with the "/proc" record too (proc_check_roots()).
 * Findings are reported only when a second walk 50 ms later finds them
 * again (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checks.h"
#include "hidden.h"
#include "list.h"
#include "uapi/linux/vmiaas.h"
#include "../../core/procwalk.h"

#define PROC_ENTRIES_MAX	(1U << 18)	/* entries visited, all trees */
#define PROC_NETNS_MAX		4096
#define PROC_SB_MAX		65536	/* superblocks on super_blocks */

static const char *const proc_ptr_names[BL_PROC_PTRS] = {
	"proc_ops", "proc_iops", "seq_ops",
};

struct proc_walk;
typedef void (*proc_entry_fn)(struct proc_walk *w, const char *path,
			      u64 pde, const u64 ptr[BL_PROC_PTRS]);

struct proc_walk {
	struct vmiaas *v;
	struct vmi_proc_layout l;	/* core/procwalk.c's */
	u64 img_start, img_end;		/* _stext.._end */
	struct modarea area;
	u64 net;			/* the namespace being walked */
	u32 netns;
	proc_entry_fn fn;
	/* taking: the records */
	struct bl_proc_op *rec;
	size_t nr, cap;
	int err;
	/* checking */
	const struct vmiaas_baseline *b;
	const struct hidden_sink *sink;
};

enum proc_where { PROC_NULL, PROC_KERNEL, PROC_MODULE, PROC_OUTSIDE };

static enum proc_where proc_where(const struct proc_walk *w, u64 p)
{
	if (!p)
		return PROC_NULL;
	if (p >= w->img_start && p < w->img_end)
		return PROC_KERNEL;
	if (p >= w->area.start && p < w->area.end)
		return PROC_MODULE;
	return PROC_OUTSIDE;
}

static void proc_corrupt(struct proc_walk *w, const char *path, u64 pde,
			 const char *why)
{
	struct vmiaas_finding *f;

	if (!w->sink)
		return;
	f = w->sink->add(w->sink->ctx, "proc-ops", VMIAAS_SEV_CRITICAL, path);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = pde;
	snprintf(f->message, sizeof(f->message),
		 "the /proc tree at %s (netns %u) cannot be walked: %.300s",
		 path, w->netns, why);
}

/* Why core/procwalk.c could not walk a part of the trees. */
const char *proc_bad_why(const struct vmi_proc_entry *e)
{
	switch (e->bad) {
	case VMI_PROC_BAD_ENTRY:
		return "an entry under it is unreadable";
	case VMI_PROC_BAD_DEPTH:
		return "deeper than 8 directories";
	case VMI_PROC_BAD_SUBDIR:
		return "its subdir is unreadable";
	case VMI_PROC_BAD_TREE:
		return e->err == -EBADMSG ?
		       "its subdir tree holds a non-kernel pointer" :
		       "its subdir tree does not end (a cycle, over 64 levels or too many nodes)";
	case VMI_PROC_BAD_TOP:
		return "its top entry is unreadable";
	case VMI_PROC_BAD_NET:
		return "the namespace's proc_net is unreadable or NULL";
	case VMI_PROC_BAD_ROOT:
		return "a procfs superblock's root inode is unreadable";
	case VMI_PROC_BAD_SUPERS:
		return "super_blocks is corrupt (a cycle, a non-kernel pointer or over 65536 superblocks)";
	}
	return e->err == -E2BIG ? "over 262144 /proc entries" :
	       "net_namespace_list is corrupt (a cycle, a non-kernel pointer or over 4096 namespaces)";
}

/* core/procwalk.c's callback: an entry to w->fn, or a corrupt part. */
static int proc_visit(void *ctx, const struct vmi_proc_entry *e)
{
	struct proc_walk *w = ctx;

	w->net = e->net;
	w->netns = e->netns;
	if (e->bad)
		proc_corrupt(w, e->path, e->pde, proc_bad_why(e));
	else
		w->fn(w, e->path, e->pde, e->ptr);
	return 0;
}

/* The /proc tree, then each namespace's /proc/net (init_net's only if @init). */
static int proc_walk_all(struct proc_walk *w, bool init_only)
{
	struct vmi_proc_scratch *s = malloc(sizeof(*s));
	struct vmi_read_ops r;
	int err;

	if (!s)
		return -ENOMEM;
	bl_read_ops(w->v, &r);
	err = vmi_proc_walk(&r, &w->l, init_only, s, proc_visit, w);
	free(s);
	if (err)
		return engine_fail(w->v, err,
				   "proc-ops: a namespace or /proc tree node is unreadable");
	return 0;
}

/* struct vmi_proc_layout from BTF and symbols: memoized (engine.h). */
static int proc_layout_read(struct proc_walk *w)
{
	static const char key;
	struct vmiaas *v = w->v;
	const struct btf_member_ref m[] = {
		{ "proc_dir_entry", "proc_ops", &w->l.ptr[0] },
		{ "proc_dir_entry", "proc_iops", &w->l.ptr[1] },
		{ "proc_dir_entry", "seq_ops", &w->l.ptr[2] },
		{ "proc_dir_entry", "subdir", &w->l.subdir },
		{ "proc_dir_entry", "subdir_node", &w->l.node },
		{ "proc_dir_entry", "name", &w->l.name },
		{ "proc_dir_entry", "namelen", &w->l.namelen },
		{ "proc_dir_entry", "mode", &w->l.mode },
		{ "rb_node", "rb_left", &w->l.rb_left },
		{ "rb_node", "rb_right", &w->l.rb_right },
		{ "net", "list", &w->l.net_list },
		{ "net", "proc_net", &w->l.proc_net },
		{ "net", "ns.inum", &w->l.net_inum },
	};

	if (engine_layout_get(v, &key, &w->l, sizeof(w->l)))
		return 0;
	w->l.max_entries = PROC_ENTRIES_MAX;
	w->l.max_nodes = HIDDEN_RB_NODES_MAX;
	w->l.max_netns = PROC_NETNS_MAX;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL) ||
	    btf_sizeof(v->btf, "proc_dir_entry", &w->l.size))
		return engine_fail(v, -ENOENT,
				   "proc-ops: the kernel's BTF lacks struct proc_dir_entry or net members");
	if (engine_sym(v, "proc_root", &w->l.root) ||
	    engine_sym(v, "init_net", &w->l.init_net) ||
	    engine_sym(v, "net_namespace_list", &w->l.net_head))
		return engine_fail(v, -ENOENT,
				   "proc-ops: the kernel has no proc_root, init_net or net_namespace_list");
	if (!vmi_proc_layout_ok(&w->l))
		return engine_fail(v, -EBADMSG,
				   "proc-ops: struct proc_dir_entry of %u bytes: implausible",
				   w->l.size);
	engine_layout_put(v, &key, &w->l, sizeof(w->l));
	return 0;
}

static int proc_layout(struct proc_walk *w)
{
	struct vmiaas *v = w->v;
	u64 text_end;
	int err;

	err = proc_layout_read(w);
	err = err ?: bl_text_range(v, &w->img_start, &text_end);
	if (!err && (engine_sym(v, "_end", &w->img_end) ||
		     w->img_end <= text_end))
		err = engine_fail(v, -ENOENT, "proc-ops: no plausible _end");
	return err ?: modarea_get(v, &w->area);
}

/* ---- the baseline ---- */

static void proc_take_one(struct proc_walk *w, const char *path, u64 pde,
			  const u64 ptr[BL_PROC_PTRS])
{
	struct bl_proc_op *r;
	int i;

	for (i = 0; i < BL_PROC_PTRS; i++)
		if (ptr[i] && proc_where(w, ptr[i]) != PROC_KERNEL)
			return;	/* a module's entry, or already suspect */
	if (strlen(path) >= BL_PROC_PATH || w->err)
		return;
	if (w->nr >= BL_PROC_OPS_MAX) {
		w->err = engine_fail(w->v, -E2BIG,
				     "proc-ops: over %u kernel /proc entries",
				     BL_PROC_OPS_MAX);
		return;
	}
	r = array_grow(w->rec, &w->cap, w->nr, sizeof(*r), 256);
	if (!r) {
		w->err = -ENOMEM;
		return;
	}
	w->rec = r;
	r = &w->rec[w->nr++];
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	memcpy(r->ptr, ptr, sizeof(r->ptr));
	(void)pde;
}

static int proc_op_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bl_proc_op *)a)->path,
		      ((const struct bl_proc_op *)b)->path);
}

int bl_proc_ops_take(struct vmiaas *v, struct vmiaas_baseline *b)
{
	struct proc_walk w = { .v = v, .fn = proc_take_one };
	int err;

	err = proc_layout(&w);
	err = err ?: proc_walk_all(&w, true);
	err = err ?: w.err;
	if (err) {
		free(w.rec);
		return err;
	}
	qsort(w.rec, w.nr, sizeof(*w.rec), proc_op_cmp);
	free(b->proc_ops);
	b->proc_ops = w.rec;
	b->nr_proc_ops = w.nr;
	b->has_proc_ops = true;
	return 0;
}

/* ---- the check ---- */

static u32 proc_severity(enum proc_where now)
{
	return now == PROC_KERNEL ? VMIAAS_SEV_HIGH : VMIAAS_SEV_CRITICAL;
}

static void proc_symbolize(struct proc_walk *w, u64 p, char *buf, size_t size)
{
	if (p)
		check_symbolize(w->v, p, buf, size);
	else
		snprintf(buf, size, "NULL");
}

static void proc_report(struct proc_walk *w, const char *path, u64 pde,
			const char *what, u64 old, u64 now, bool changed)
{
	char obj[BL_PROC_PATH + 32], olds[128] = "", nows[128];
	struct vmiaas_finding *f;

	if (w->net && w->net != w->l.init_net)
		snprintf(obj, sizeof(obj), "%s (netns %u)", path, w->netns);
	else
		snprintf(obj, sizeof(obj), "%s", path);
	f = w->sink->add(w->sink->ctx, "proc-ops",
			 proc_severity(proc_where(w, now)), obj);
	if (!f)
		return;
	proc_symbolize(w, now, nows, sizeof(nows));
	if (changed)
		proc_symbolize(w, old, olds, sizeof(olds));
	f->flags |= VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_VALUES |
		    VMIAAS_FINDING_SYMBOLS;
	f->address = pde;
	f->old_value = old;
	f->new_value = now;
	snprintf(f->old_symbol, sizeof(f->old_symbol), "%s", olds);
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", nows);
	if (changed)
		snprintf(f->message, sizeof(f->message),
			 "%s: %s changed since the baseline: %s -> %s%s",
			 obj, what, olds, nows,
			 proc_where(w, now) == PROC_MODULE ?
			 " (module memory)" : proc_where(w, now) == PROC_KERNEL ?
			 " (another kernel table)" :
			 " (outside the kernel image and the module area)");
	else
		snprintf(f->message, sizeof(f->message),
			 "%s: %s points to %s, outside the kernel image and the module area",
			 obj, what, nows);
}

/* The baseline's record of @path, or NULL. */
static const struct bl_proc_op *proc_record(const struct proc_walk *w,
					    const char *path)
{
	struct bl_proc_op key;

	if (!w->b->has_proc_ops || strlen(path) >= sizeof(key.path))
		return NULL;
	snprintf(key.path, sizeof(key.path), "%s", path);
	return bsearch(&key, w->b->proc_ops, w->b->nr_proc_ops, sizeof(key),
		       proc_op_cmp);
}

/* @n pointers named @names of @obj at @addr against @old (NULL: none). */
static void proc_compare(struct proc_walk *w, const char *obj, u64 addr,
			 const char *const *names, const u64 *now,
			 const u64 *old, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (old && now[i] != old[i])
			proc_report(w, obj, addr, names[i], old[i], now[i], true);
		else if (proc_where(w, now[i]) == PROC_OUTSIDE)
			proc_report(w, obj, addr, names[i], 0, now[i], false);
	}
}

static void proc_check_one(struct proc_walk *w, const char *path, u64 pde,
			   const u64 ptr[BL_PROC_PTRS])
{
	const struct bl_proc_op *r = proc_record(w, path);

	proc_compare(w, path, pde, proc_ptr_names, ptr, r ? r->ptr : NULL,
		     BL_PROC_PTRS);
}

/*
 * The root inode of each mounted /proc: made from proc_root when the
 * filesystem was mounted, its i_fop and i_op are copies of proc_root's
 * proc_dir_ops and proc_iops, and a process hider may swap them there
 * (the entry itself intact). core/procwalk.c walks super_blocks; these
 * are compared with the baseline's "/proc". -ENOENT: no such layout or
 * symbols (not judged).
 */
static int proc_roots_layout(struct vmiaas *v, struct vmi_proc_roots *rl)
{
	const struct btf_member_ref m[] = {
		{ "super_block", "s_list", &rl->s_list },
		{ "super_block", "s_type", &rl->s_type },
		{ "super_block", "s_root", &rl->s_root },
		{ "dentry", "d_inode", &rl->d_inode },
		{ "inode", "i_op", &rl->i_op },
		{ "inode", "i_fop", &rl->i_fop },
	};

	*rl = (struct vmi_proc_roots){ .max_sbs = PROC_SB_MAX };
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL) ||
	    engine_sym(v, "super_blocks", &rl->super_blocks) ||
	    engine_sym(v, "proc_fs_type", &rl->proc_fs_type))
		return -ENOENT;
	return vmi_proc_roots_ok(rl) ? 0 : -ENOENT;
}

/* core/procwalk.c's callback for a root inode, or a corrupt list. */
static int proc_root_visit(void *ctx, const struct vmi_proc_entry *e)
{
	static const char *const names[] = { "i_fop", "i_op" };
	struct proc_walk *w = ctx;
	const struct bl_proc_op *r = proc_record(w, "/proc");

	if (e->bad)
		proc_corrupt(w, e->path, e->pde, proc_bad_why(e));
	else
		proc_compare(w, e->path, e->pde, names, e->ptr,
			     r ? r->ptr : NULL, 2);
	return 0;
}

static int proc_check_roots(struct proc_walk *w)
{
	struct vmi_proc_roots rl;
	struct vmi_read_ops r;
	int err;

	if (proc_roots_layout(w->v, &rl))
		return 0;	/* not judged */
	bl_read_ops(w->v, &r);
	w->net = w->l.init_net;
	w->netns = 0;
	err = vmi_proc_roots_walk(&r, &rl, proc_root_visit, w);
	if (err)
		return engine_fail(w->v, err,
				   "proc-ops: super_blocks is unreadable");
	return 0;
}

static int proc_scan(struct vmiaas *v, const struct hidden_sink *sink,
		     void *arg)
{
	struct proc_walk w = { .v = v, .fn = proc_check_one, .b = arg,
			       .sink = sink };

	return proc_layout(&w) ?: proc_walk_all(&w, false) ?:
	       proc_check_roots(&w);
}

int check_proc_ops(struct vmiaas *v, const struct vmiaas_baseline *b,
		   const struct hidden_sink *sink)
{
	struct vmiaas_finding *f;

	if (!b->has_proc_ops) {
		f = sink->add(sink->ctx, "proc-ops", VMIAAS_SEV_INFO,
			      "baseline");
		if (f) {
			f->flags |= VMIAAS_FINDING_EVENT;
			snprintf(f->message, sizeof(f->message),
				 "changes not checked: the baseline holds no /proc entries (taken by an older vmiaas); take a new baseline");
		}
	}
	return check_confirmed(v, proc_scan, (void *)b, sink);
}

/* For golden baselines: @g's records, their kernel pointers slid by @delta. */
int bl_proc_ops_rebase(const struct vmiaas_baseline *g,
		       struct vmiaas_baseline *b, u64 delta)
{
	struct bl_proc_op *r;
	u32 i;
	int k;

	if (!g->has_proc_ops)
		return 0;	/* this boot's, measured now */
	r = calloc(g->nr_proc_ops ? g->nr_proc_ops : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r, g->proc_ops, g->nr_proc_ops * sizeof(*r));
	for (i = 0; i < g->nr_proc_ops; i++)
		for (k = 0; k < BL_PROC_PTRS; k++)
			if (r[i].ptr[k])
				r[i].ptr[k] += delta;
	free(b->proc_ops);
	b->proc_ops = r;
	b->nr_proc_ops = g->nr_proc_ops;
	b->has_proc_ops = true;
	return 0;
}

/* The PROC_OPS section's records: whole, terminated, sorted, unique. */
int bl_proc_ops_parse(struct vmiaas_baseline *b, const void *p, u64 len)
{
	struct bl_proc_op *r;
	u32 n, i;
	int err;

	if (b->has_proc_ops)
		return -EBADMSG;
	err = bl_records_copy(p, len, sizeof(*r), BL_PROC_OPS_MAX,
			      (void **)&r, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (!memchr(r[i].path, 0, sizeof(r[i].path)) ||
		    (i && proc_op_cmp(&r[i - 1], &r[i]) >= 0)) {
			free(r);
			return -EBADMSG;
		}
	b->proc_ops = r;
	b->nr_proc_ops = n;
	b->has_proc_ops = true;
	return 0;
}

/* ---- vmiaas.ko's record ---- */

/*
 * The entries whose pointers vmiaas.ko keeps as they are when the record
 * is taken: every entry a baseline taken now records (bl_proc_ops_take()),
 * by the key of its path, sorted; keys two paths share are left out (the
 * module could not tell the entries apart).
 */
static int proc_module_table(struct vmiaas *v)
{
	struct vmiaas_baseline b = { 0 };
	struct vmiaas_proc_watch *t;
	size_t i, n = 0;
	int err;

	err = bl_proc_ops_take(v, &b);
	if (err)
		return err;
	t = calloc(b.nr_proc_ops ? b.nr_proc_ops : 1, sizeof(*t));
	if (!t) {
		free(b.proc_ops);
		return -ENOMEM;
	}
	for (i = 0; i < b.nr_proc_ops; i++) {
		t[i].key = vmi_path_key(b.proc_ops[i].path);
		memcpy(t[i].ptr, b.proc_ops[i].ptr, sizeof(t[i].ptr));
	}
	free(b.proc_ops);
	qsort(t, b.nr_proc_ops, sizeof(*t), u64_cmp);
	for (i = 0; i < b.nr_proc_ops; i++) {
		bool dup = (i && t[i - 1].key == t[i].key) ||
			   (i + 1 < b.nr_proc_ops && t[i + 1].key == t[i].key);

		if (!dup)
			t[n++] = t[i];
	}
	free(v->proc_table);
	v->proc_table = t;
	v->nr_proc_table = n;
	return 0;
}

const struct vmiaas_proc_watch *vmiaas_module_proc_table(struct vmiaas *v,
							 size_t *ret_nr)
{
	*ret_nr = v->proc_table ? v->nr_proc_table : 0;
	return v->proc_table;
}

/* The layout of @w in the uapi's form. */
static void proc_record_layout(const struct proc_walk *w,
			       struct vmiaas_proc_check *pc)
{
	const struct vmi_proc_layout *l = &w->l;

	memcpy(pc->ptr, l->ptr, sizeof(pc->ptr));
	pc->subdir = l->subdir;
	pc->node = l->node;
	pc->name = l->name;
	pc->namelen = l->namelen;
	pc->mode = l->mode;
	pc->size = l->size;
	pc->rb_left = l->rb_left;
	pc->rb_right = l->rb_right;
	pc->net_list = l->net_list;
	pc->proc_net = l->proc_net;
	pc->net_inum = l->net_inum;
	pc->root = l->root;
	pc->init_net = l->init_net;
	pc->allow[0][0] = w->img_start;
	pc->allow[0][1] = w->img_end;
	pc->allow[1][0] = w->area.start;
	pc->allow[1][1] = w->area.end;
}

/* The root inodes' layout in the uapi's form (none: super_blocks 0). */
static void proc_record_roots(struct vmiaas *v, struct vmiaas_proc_more *more)
{
	struct vmi_proc_roots rl;

	if (proc_roots_layout(v, &rl))
		return;
	more->super_blocks = rl.super_blocks;
	more->proc_fs_type = rl.proc_fs_type;
	more->s_list = rl.s_list;
	more->s_type = rl.s_type;
	more->s_root = rl.s_root;
	more->d_inode = rl.d_inode;
	more->i_fop = rl.i_fop;
	more->i_op = rl.i_op;
}

/* proc-ops' record for vmiaas_module_policy(), appended at *@nr. */
int proc_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		      size_t max, size_t *nr)
{
	struct vmiaas_module_check *c = &out[*nr];
	struct vmiaas_proc_check *pc = (struct vmiaas_proc_check *)c->data;
	struct vmiaas_proc_more *more = (struct vmiaas_proc_more *)(pc + 1);
	struct proc_walk w = { .v = v };
	int err;

	static_assert(sizeof(*pc) + sizeof(*more) <= VMIAAS_MODULE_DATA,
		      "data");
	static_assert(BL_PROC_PTRS == VMIAAS_PROC_PTRS, "pointers");
	static_assert(BL_PROC_OPS_MAX == VMIAAS_MAX_PROC_TABLE, "table");
	if (*nr >= max)
		return -ENOSPC;
	memset(c, 0, sizeof(*c));
	err = proc_layout(&w) ?: proc_module_table(v);
	if (err)
		return err;
	proc_record_layout(&w, pc);
	proc_record_roots(v, more);
	more->nr_watch = (u32)v->nr_proc_table;
	c->type = VMIAAS_CHECK_PROC_GVA;
	c->flags = VMIAAS_CHECK_PROC_MORE;
	c->addr = w.l.net_head;
	c->len = 1;
	c->root = v->info.pgd_pa;
	snprintf(c->label, sizeof(c->label),
		 "proc-ops (%u watched entries%s)", more->nr_watch,
		 more->super_blocks ? ", /proc root inodes" : "");
	snprintf(c->check, sizeof(c->check), "proc-ops");
	snprintf(c->object, sizeof(c->object), "/proc entries");
	c->severity = VMIAAS_SEV_CRITICAL;
	(*nr)++;
	return 0;
}
