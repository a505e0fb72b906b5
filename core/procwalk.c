// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * proc-ops' execution: see procwalk.h.
 */
#include "procwalk.h"

struct proc_walk {
	const struct vmi_read_ops *r;
	const struct vmi_proc_layout *l;
	struct vmi_proc_scratch *s;
	vmi_proc_fn fn;
	void *ctx;
	u64 net;
	u32 netns;
	u32 visited;
};

/* One directory level: its path is s->path[0, plen). */
struct proc_dir {
	struct proc_walk *w;
	u32 plen;
	u32 depth;
};

int vmi_rb_walk(const struct vmi_read_ops *r, u64 root, u32 left,
		u32 right, u32 max_nodes, u64 *stack, u8 *depth,
		vmi_node_fn fn, void *ctx)
{
	u32 sp = 0, seen = 0, d, i;
	u64 node, child;
	int err;

	if (!root)
		return 0;
	stack[sp] = root;
	depth[sp++] = 1;
	while (sp) {
		node = stack[--sp];
		d = depth[sp];
		if (!vmi_kernel_ptr(node))
			return -EBADMSG;
		if (++seen > max_nodes)
			return -ELOOP;
		err = fn(ctx, node);
		if (err)
			return err;
		for (i = 0; i < 2; i++) {
			err = vmi_read_u64(r, node + (i ? right : left), &child);
			if (err)
				return err;
			if (!child)
				continue;
			if (d >= VMI_RB_DEPTH_MAX)
				return -ELOOP;
			stack[sp] = child;
			depth[sp++] = d + 1;
		}
	}
	return 0;
}

bool vmi_proc_layout_ok(const struct vmi_proc_layout *l)
{
	u32 i;

	if (!l || l->size > VMI_PROC_PDE_MAX || l->size < 8)
		return false;
	for (i = 0; i < VMI_PROC_PTRS; i++)
		if (l->ptr[i] > l->size - 8)
			return false;
	if (l->subdir > l->size - 8 || l->node > l->size - 8 ||
	    l->name > l->size - 8 || l->namelen >= l->size ||
	    l->mode > l->size - 2)
		return false;
	if (l->rb_left >= VMI_OFFSET_MAX ||
	    l->rb_right >= VMI_OFFSET_MAX ||
	    l->net_list >= VMI_OFFSET_MAX ||
	    l->proc_net >= VMI_OFFSET_MAX ||
	    l->net_inum >= VMI_OFFSET_MAX)
		return false;
	return l->max_entries && l->max_nodes && l->max_netns;
}

/* A part that cannot be walked: ->path is the path now in the scratch. */
static int proc_bad(struct proc_walk *w, u32 bad, u64 where, int err)
{
	struct vmi_proc_entry e = {
		.path = w->s->path, .pde = where, .net = w->net,
		.netns = w->netns, .bad = bad, .err = err,
	};

	return w->fn(w->ctx, &e);
}

static int proc_entry(struct proc_walk *w, u64 pde, const u8 *buf)
{
	struct vmi_proc_entry e = {
		.path = w->s->path, .pde = pde, .net = w->net,
		.netns = w->netns,
	};
	u32 i;

	for (i = 0; i < VMI_PROC_PTRS; i++)
		e.ptr[i] = vmi_get_u64(buf + w->l->ptr[i]);
	return w->fn(w->ctx, &e);
}

/* Appends "/NAME" to the path at @plen: the new length, or -errno. */
static int proc_name(struct proc_walk *w, u32 plen, const u8 *buf)
{
	char *path = w->s->path;
	u32 len = buf[w->l->namelen], i;
	int err;

	if (plen >= VMI_PROC_PATH_MAX - 2)
		return plen;			/* full: the path stays cut */
	len = min_t(u32, len, VMI_PROC_PATH_MAX - 2 - plen);
	path[plen] = '/';
	err = w->r->read(w->r->ctx, vmi_get_u64(buf + w->l->name),
			 path + plen + 1, len);
	if (err)
		return err;
	for (i = plen + 1; i < plen + 1 + len; i++)
		if (path[i] < 0x21 || path[i] > 0x7e || path[i] == '/')
			path[i] = '?';
	path[plen + 1 + len] = '\0';
	return plen + 1 + len;
}

static int proc_walk_dir(struct proc_walk *w, u64 pde, u32 plen, u32 depth);

static int proc_visit(void *ctx, u64 node)
{
	const struct proc_dir *d = ctx;
	struct proc_walk *w = d->w;
	const struct vmi_proc_layout *l = w->l;
	u8 *buf = w->s->pde;
	u64 pde = node - l->node;
	int len, err;
	u16 mode;

	if (++w->visited > l->max_entries)
		return -E2BIG;
	w->s->path[d->plen] = '\0';
	len = w->r->read(w->r->ctx, pde, buf, l->size);
	if (!len)
		len = proc_name(w, d->plen, buf);
	if (len < 0) {
		w->s->path[d->plen] = '\0';
		return proc_bad(w, VMI_PROC_BAD_ENTRY, pde, len);
	}
	err = proc_entry(w, pde, buf);
	mode = vmi_get_u16(buf + l->mode);
	if (err || (mode & 0170000) != 0040000)	/* S_ISDIR */
		return err;
	if (d->depth >= VMI_PROC_DEPTH_MAX)
		return proc_bad(w, VMI_PROC_BAD_DEPTH, pde, -ELOOP);
	return proc_walk_dir(w, pde, len, d->depth + 1);
}

/* The entries under @pde, whose path is s->path[0, @plen). */
static int proc_walk_dir(struct proc_walk *w, u64 pde, u32 plen, u32 depth)
{
	struct proc_dir d = { .w = w, .plen = plen, .depth = depth };
	u64 root;
	int err;

	if (vmi_read_u64(w->r, pde + w->l->subdir, &root))
		return proc_bad(w, VMI_PROC_BAD_SUBDIR, pde, -EFAULT);
	err = vmi_rb_walk(w->r, root, w->l->rb_left, w->l->rb_right,
			  w->l->max_nodes, w->s->stack[depth],
			  w->s->depth[depth], proc_visit, &d);
	if (err == -ELOOP || err == -EBADMSG) {
		w->s->path[plen] = '\0';
		return proc_bad(w, VMI_PROC_BAD_TREE, pde, err);
	}
	return err;
}

/* Sets the path to @path: its length. */
static u32 proc_path(struct proc_walk *w, const char *path)
{
	u32 n = strlen(path);

	memcpy(w->s->path, path, n + 1);
	return n;
}

/* A tree from its top entry @pde at @path, the top visited as @top. */
static int proc_walk_tree(struct proc_walk *w, u64 pde, const char *path,
			  const char *top)
{
	u32 plen = proc_path(w, path);
	int err;

	if (w->r->read(w->r->ctx, pde, w->s->pde, w->l->size))
		return proc_bad(w, VMI_PROC_BAD_TOP, pde, -EFAULT);
	proc_path(w, top);
	err = proc_entry(w, pde, w->s->pde);
	proc_path(w, path);
	return err ?: proc_walk_dir(w, pde, plen, 1);
}

static int proc_walk_net(void *ctx, u64 node)
{
	struct proc_walk *w = ctx;
	u8 raw[4];
	u64 pde;

	w->net = node - w->l->net_list;
	w->netns = 0;
	if (!w->r->read(w->r->ctx, w->net + w->l->net_inum, raw, 4))
		w->netns = vmi_get_u32(raw);
	if (vmi_read_u64(w->r, w->net + w->l->proc_net, &pde) || !pde) {
		proc_path(w, "/proc/net");
		return proc_bad(w, VMI_PROC_BAD_NET, w->net, -EFAULT);
	}
	return proc_walk_tree(w, pde, "/proc/net", "/proc/net/.");
}

int vmi_proc_walk(const struct vmi_read_ops *r,
		  const struct vmi_proc_layout *l, bool init_only,
		  struct vmi_proc_scratch *s, vmi_proc_fn fn, void *ctx)
{
	struct proc_walk w = { .r = r, .l = l, .s = s, .fn = fn, .ctx = ctx };
	int err;

	if (!r || !r->read || !s || !fn || !vmi_proc_layout_ok(l))
		return -EINVAL;
	w.net = l->init_net;
	err = proc_walk_tree(&w, l->root, "/proc", "/proc");
	if (!err && init_only)
		err = proc_walk_net(&w, l->init_net + l->net_list);
	else if (!err)
		err = vmi_list_walk(r, l->net_head, l->max_netns,
				    proc_walk_net, &w, NULL);
	if (err == -ELOOP || err == -EBADMSG || err == -E2BIG) {
		w.net = 0;
		w.netns = 0;
		proc_path(&w, "/proc");
		return proc_bad(&w, VMI_PROC_BAD_WALK, l->root, err);
	}
	return err;
}

u64 vmi_path_key(const char *path)
{
	u64 h = 0xcbf29ce484222325ULL;

	while (*path) {
		h ^= (u8)*path++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The roots walk's state: the callback and its context. */
struct proc_roots_walk {
	const struct vmi_read_ops *r;
	const struct vmi_proc_roots *rl;
	vmi_proc_fn fn;
	void *ctx;
};

bool vmi_proc_roots_ok(const struct vmi_proc_roots *rl)
{
	return rl && rl->s_list < VMI_OFFSET_MAX &&
	       rl->s_type < VMI_OFFSET_MAX && rl->s_root < VMI_OFFSET_MAX &&
	       rl->d_inode < VMI_OFFSET_MAX && rl->i_fop < VMI_OFFSET_MAX &&
	       rl->i_op < VMI_OFFSET_MAX && rl->max_sbs &&
	       vmi_kernel_ptr(rl->super_blocks) &&
	       vmi_kernel_ptr(rl->proc_fs_type);
}

static int proc_root_sb(void *ctx, u64 node)
{
	struct proc_roots_walk *w = ctx;
	const struct vmi_proc_roots *rl = w->rl;
	struct vmi_proc_entry e = { .path = VMI_PROC_ROOT_PATH,
				    .root_inode = 1 };
	u64 sb = node - rl->s_list, type, dentry, inode;

	if (vmi_read_u64(w->r, sb + rl->s_type, &type) ||
	    type != rl->proc_fs_type)
		return 0;	/* another filesystem's: not judged here */
	if (vmi_read_u64(w->r, sb + rl->s_root, &dentry) || !dentry ||
	    vmi_read_u64(w->r, dentry + rl->d_inode, &inode) || !inode ||
	    vmi_read_u64(w->r, inode + rl->i_fop, &e.ptr[0]) ||
	    vmi_read_u64(w->r, inode + rl->i_op, &e.ptr[1])) {
		e = (struct vmi_proc_entry){ .path = VMI_PROC_ROOT_PATH,
					     .pde = sb, .root_inode = 1,
					     .bad = VMI_PROC_BAD_ROOT,
					     .err = -EFAULT };
		return w->fn(w->ctx, &e);
	}
	e.pde = inode;
	return w->fn(w->ctx, &e);
}

int vmi_proc_roots_walk(const struct vmi_read_ops *r,
			const struct vmi_proc_roots *rl, vmi_proc_fn fn,
			void *ctx)
{
	struct proc_roots_walk w = { .r = r, .rl = rl, .fn = fn, .ctx = ctx };
	struct vmi_proc_entry e = { .path = VMI_PROC_ROOT_PATH,
				    .root_inode = 1,
				    .bad = VMI_PROC_BAD_SUPERS };
	int err;

	if (!r || !r->read || !fn || !vmi_proc_roots_ok(rl))
		return -EINVAL;
	err = vmi_list_walk(r, rl->super_blocks, rl->max_sbs, proc_root_sb,
			    &w, NULL);
	if (err != -ELOOP && err != -EBADMSG)
		return err;
	/* a corrupt list: a suspect, not an error */
	e.pde = rl->super_blocks;
	e.err = err;
	return fn(ctx, &e);
}

bool vmi_proc_watch_sorted(const struct vmi_proc_watch *w, u32 nr)
{
	u32 i;

	for (i = 1; i < nr; i++)
		if (w[i - 1].key >= w[i].key)
			return false;
	return true;
}

/* The watch of @key (binary search: the watches are sorted), or NULL. */
static const struct vmi_proc_watch *
proc_watch_find(const struct vmi_proc_suspects *s, u64 key)
{
	u32 lo = 0, hi = s->nr_watch, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->watch[mid].key == key)
			return &s->watch[mid];
		if (s->watch[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Which pointer of @e the judgement refuses: its index, or -1; *@old
 * gets the watch's value of it (0: refused for where it lies).
 */
static int proc_refused(const struct vmi_proc_suspects *s,
			const struct vmi_proc_entry *e, u64 *old)
{
	/* a root inode holds two of "/proc"'s pointers */
	u32 n = e->root_inode ? 2 : VMI_PROC_PTRS, i;
	const struct vmi_proc_watch *w = NULL;

	*old = 0;
	for (i = 0; i < n; i++)
		if (e->ptr[i] &&
		    !vmi_in_ranges(e->ptr[i], s->allow, s->nr_allow))
			return i;
	if (s->nr_watch)
		w = proc_watch_find(s, vmi_path_key(e->root_inode ? "/proc" :
						   e->path));
	for (i = 0; w && i < n; i++) {
		if (e->ptr[i] != w->ptr[i]) {
			*old = w->ptr[i];
			return i;
		}
	}
	return -1;
}

static int proc_suspect(void *ctx, const struct vmi_proc_entry *e)
{
	struct vmi_proc_suspects *s = ctx;
	u64 old = 0;
	int which = e->bad ? 0 : proc_refused(s, e, &old);
	size_t n;

	if (which < 0)
		return 0;
	if (s->nr++)
		return 0;
	s->first_pde = e->pde;
	s->first_bad = e->bad;
	s->first_ptr = which;
	s->first_now = e->bad ? 0 : e->ptr[which];
	s->first_old = old;
	s->first_netns = e->netns;
	s->first_err = e->bad ? e->err : 0;
	s->first_root = e->root_inode;
	s->first_net = e->net;
	n = strlen(e->path);
	if (n >= sizeof(s->first_path))
		n = sizeof(s->first_path) - 1;
	memcpy(s->first_path, e->path, n);
	s->first_path[n] = '\0';
	return 0;
}

int vmi_proc_suspects(const struct vmi_read_ops *r,
		      const struct vmi_proc_layout *l,
		      struct vmi_proc_scratch *scratch,
		      struct vmi_proc_suspects *s)
{
	int err;

	if (!s || (s->nr_allow && !s->allow) || (s->nr_watch && !s->watch) ||
	    (s->roots && !vmi_proc_roots_ok(s->roots)))
		return -EINVAL;
	s->nr = 0;
	s->first_pde = 0;
	s->first_bad = 0;
	s->first_ptr = 0;
	s->first_now = 0;
	s->first_old = 0;
	s->first_netns = 0;
	s->first_err = 0;
	s->first_root = 0;
	s->first_net = 0;
	s->first_path[0] = '\0';
	err = vmi_proc_walk(r, l, false, scratch, proc_suspect, s);
	if (!err && s->roots)
		err = vmi_proc_roots_walk(r, s->roots, proc_suspect, s);
	return err;
}
