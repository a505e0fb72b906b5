// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * vfs-ops' execution: see vfswalk.h.
 */
#include "vfswalk.h"
#include "uapi/linux/vmiaas.h"

#define VFS_S_IFMT	0170000
#define VFS_S_IFDIR	0040000
#define VFS_ISDIR(m)	(((m) & VFS_S_IFMT) == VFS_S_IFDIR)

struct vfs_walk {
	const struct vmi_read_ops *r;
	const struct vmi_vfs_layout *l;
	struct vmi_vfs_scratch *s;
	vmi_vfs_fn fn;
	void *ctx;
	struct vmi_vfs_stats *st;
	u32 d_lo, d_len;	/* the span of a dentry's fields read at once */
	int err;		/* the callback's, which stops the walk */
	u64 sb, root;		/* the superblock walked, its root dentry */
	u64 seq;		/* tasks seen */
};

static bool vfs_off_ok(u32 off)
{
	return off < VMI_OFFSET_MAX;
}

/* The span [*@ret_lo, +*@ret_len) of the dentry fields read at once. */
static void vfs_dspan(const struct vmi_vfs_layout *l, u32 *ret_lo,
		      u32 *ret_len)
{
	const u32 off[] = { l->d_flags, l->d_op, l->d_inode, l->d_sib,
			    l->d_children };
	u32 lo = off[0], hi = 0, i;

	for (i = 0; i < ARRAY_SIZE(off); i++) {
		lo = min(lo, off[i]);
		hi = max(hi, off[i] + 8);
	}
	*ret_lo = lo;
	*ret_len = hi - lo;
}

void vmi_vfs_layout_of(const struct vmiaas_vfs_check *vc,
		       struct vmi_vfs_layout *l)
{
	*l = (struct vmi_vfs_layout){
		.s_list = vc->s_list, .s_type = vc->s_type,
		.s_root = vc->s_root, .s_mounts = vc->s_mounts,
		.d_op = vc->d_op, .d_flags = vc->d_flags,
		.d_inode = vc->d_inode, .d_children = vc->d_children,
		.d_sib = vc->d_sib,
		.children_hlist = !!(vc->flags & VMIAAS_VFS_HLIST),
		.i_op = vc->i_op, .i_fop = vc->i_fop, .i_mode = vc->i_mode,
		.i_sb = vc->i_sb, .mnt_root = vc->mnt_root,
		.mnt_instance = vc->mnt_instance, .tasks = vc->tasks,
		.tgid = vc->tgid, .files = vc->files, .fdt = vc->fdt,
		.max_fds = vc->max_fds, .fd = vc->fd, .f_op = vc->f_op,
		.f_inode = vc->f_inode, .max_sbs = VMI_VFS_SB_MAX,
		.max_mounts = VMI_VFS_MOUNTS_MAX,
		.max_depth = VMI_VFS_DEPTH_MAX,
		.max_dentries = vc->max_dentries,
		.max_tasks = VMI_VFS_TASKS_MAX,
		.max_fd_slots = vc->max_fd_slots,
	};
	memcpy(l->s_ptr, vc->s_ptr, sizeof(l->s_ptr));
}

bool vmi_vfs_layout_ok(const struct vmi_vfs_layout *l)
{
	const u32 off[] = {
		l->s_list, l->s_type, l->s_ptr[0], l->s_ptr[1], l->s_ptr[2],
		l->s_ptr[3], l->s_root, l->s_mounts, l->d_op, l->d_flags,
		l->d_inode, l->d_children, l->d_sib, l->i_op, l->i_fop,
		l->i_mode, l->i_sb, l->mnt_root, l->mnt_instance, l->tasks,
		l->tgid, l->files, l->fdt, l->max_fds, l->fd, l->f_op,
		l->f_inode,
	};
	u32 i, lo, len;

	for (i = 0; i < ARRAY_SIZE(off); i++)
		if (!vfs_off_ok(off[i]))
			return false;
	vfs_dspan(l, &lo, &len);
	return len <= VMI_VFS_DSPAN_MAX &&
	       l->max_sbs <= VMI_VFS_SB_MAX &&
	       l->max_mounts <= VMI_VFS_MOUNTS_MAX &&
	       l->max_depth <= VMI_VFS_DEPTH_MAX &&
	       l->max_dentries <= VMI_VFS_DENTRIES_MAX &&
	       l->max_tasks <= VMI_VFS_TASKS_MAX &&
	       l->max_fd_slots <= VMI_VFS_FDS_MAX;
}

static int vfs_emit(struct vfs_walk *w, const struct vmi_vfs_ptr *p)
{
	int ret = w->fn(w->ctx, p);

	if (ret < 0)
		w->err = ret;
	return ret;
}

/* One pointer of an object of the superblock walked. */
static int vfs_ptr(struct vfs_walk *w, u32 field, u64 obj, u64 ptr,
		   u64 dentry, u64 mount, u16 mode)
{
	struct vmi_vfs_ptr p = {
		.sb = w->sb, .obj = obj, .ptr = ptr, .dentry = dentry,
		.mount = mount, .field = field, .mode = mode,
	};

	return min(vfs_emit(w, &p), 0);
}

/*
 * Where the host maps [@va, @va + @len) if it lies in one page, its
 * cache lines' misses started; NULL to read it.
 */
static const u8 *vfs_prefetch(const struct vfs_walk *w, u64 va, u32 len)
{
	const u8 *p, *line;

	if (!w->r->map || !len || len > 4096 - (va & 4095))
		return NULL;
	p = w->r->map(w->r->ctx, va, len);
	if (!p)
		return NULL;
	/* one address in each line (a prefetch never faults) */
	for (line = p - (va & 63); line < p + len; line += 64)
		vmi_prefetch(line);
	return p;
}

/* ---- dentries and inodes ---- */

/* What one read of a cached dentry gives the walk. */
struct vfs_dentry {
	u64 op, inode;
	u64 next;		/* its sibling list's next pointer */
	u64 first;		/* its own children's first */
	u32 flags;
};

static int vfs_dentry_read(struct vfs_walk *w, const u8 *host, u64 dentry,
			   struct vfs_dentry *ret)
{
	const struct vmi_vfs_layout *l = w->l;
	u8 *buf = w->s->dentry;

	if (host)
		memcpy(buf, host, w->d_len);
	else if (w->r->read(w->r->ctx, dentry + w->d_lo, buf, w->d_len))
		return -EFAULT;
	ret->op = vmi_get_u64(buf + l->d_op - w->d_lo);
	ret->inode = vmi_get_u64(buf + l->d_inode - w->d_lo);
	ret->next = vmi_get_u64(buf + l->d_sib - w->d_lo);
	ret->first = vmi_get_u64(buf + l->d_children - w->d_lo);
	ret->flags = vmi_get_u32(buf + l->d_flags - w->d_lo);
	return 0;
}

/*
 * A root's d_op, its inode's i_op and i_fop (@mount: a bind mount's
 * root): 0, 1 when a read failed, or the callback's error; *@ret_mode
 * the inode's mode (0: none read).
 */
static int vfs_check_root(struct vfs_walk *w, u64 dentry, u64 mount,
			  u16 *ret_mode)
{
	const struct vmi_vfs_layout *l = w->l;
	u64 dop, inode, iop, ifop;
	u8 mode[2];

	*ret_mode = 0;
	if (vmi_read_u64(w->r, dentry + l->d_op, &dop) ||
	    vmi_read_u64(w->r, dentry + l->d_inode, &inode))
		return 1;
	if (vfs_ptr(w, VMI_VFS_D_OP, dentry, dop, 0, mount, 0))
		return w->err;
	if (!inode)
		return 0;	/* negative */
	if (w->r->read(w->r->ctx, inode + l->i_mode, mode, 2) ||
	    vmi_read_u64(w->r, inode + l->i_op, &iop) ||
	    vmi_read_u64(w->r, inode + l->i_fop, &ifop))
		return 1;
	*ret_mode = vmi_get_u16(mode);
	if (vfs_ptr(w, VMI_VFS_I_OP, inode, iop, 0, mount, *ret_mode) ||
	    vfs_ptr(w, VMI_VFS_I_FOP, inode, ifop, 0, mount, *ret_mode))
		return w->err;
	return 0;
}

/* A cached directory's inode's i_op and i_fop: 0 or the callback's error. */
static int vfs_check_inode(struct vfs_walk *w, u64 dentry, u64 inode)
{
	u64 iop, ifop;

	if (vmi_read_u64(w->r, inode + w->l->i_op, &iop) ||
	    vmi_read_u64(w->r, inode + w->l->i_fop, &ifop))
		return 0;
	return vfs_ptr(w, VMI_VFS_I_OP, inode, iop, dentry, 0, 0) ?:
	       vfs_ptr(w, VMI_VFS_I_FOP, inode, ifop, dentry, 0, 0);
}

/*
 * The cached directories under a root are walked depth first,
 * VMI_VFS_LANES child lists at a time: each round reads one child of
 * every list and starts the host's cache misses for the next ones (a
 * dentry's read is a cache miss of the host, one list a chain of them;
 * walked side by side, the lists' misses overlap). What is visited is
 * what a walk of one list at a time visits; only the order differs (and
 * so which dentries the budget leaves out).
 */
static void vfs_pend_push(struct vfs_walk *w, const struct vmi_vfs_pend *p)
{
	struct vmi_vfs_scratch *s = w->s;

	if (s->nr_pend >= s->pend_cap) {
		w->st->truncated = 1;	/* the caller's room is spent */
		if (p->inode && !w->err)
			vfs_check_inode(w, p->dentry, p->inode);
		return;
	}
	s->pend[s->nr_pend++] = *p;
}

static void vfs_lane_start(struct vfs_walk *w, struct vmi_vfs_lane *ln,
			   const struct vmi_vfs_pend *p)
{
	const struct vmi_vfs_layout *l = w->l;
	u64 head = p->dentry + l->d_children;

	*ln = (struct vmi_vfs_lane){
		.end = l->children_hlist ? 0 : head, .node = p->first,
		.tortoise = head, .power = 1, .busy = 1,
		.dentry = p->dentry, .inode = p->inode, .depth = p->depth,
	};
	if (p->first != ln->end && vmi_kernel_ptr(p->first))
		ln->host = vfs_prefetch(w, p->first - l->d_sib + w->d_lo,
					w->d_len);
	if (p->inode) {
		vfs_prefetch(w, p->inode + l->i_op, 1);
		vfs_prefetch(w, p->inode + l->i_fop, 1);
	}
}

/* One child of @ln's list: 0, 1 when the lane is done, or < 0. */
static int vfs_lane_step(struct vfs_walk *w, struct vmi_vfs_lane *ln)
{
	const struct vmi_vfs_layout *l = w->l;
	struct vfs_dentry c;
	u64 dentry;

	if (ln->inode) {
		if (vfs_check_inode(w, ln->dentry, ln->inode))
			return w->err;
		ln->inode = 0;
	}
	if (ln->depth > l->max_depth || w->st->truncated ||
	    ln->node == ln->end)
		return 1;
	if (!vmi_kernel_ptr(ln->node) || ln->node == ln->tortoise ||
	    ++ln->n > VMI_VFS_CHILDREN_MAX) {
		w->st->torn++;	/* changing under the walk, or corrupt */
		return 1;
	}
	if (++w->st->dentries > l->max_dentries) {
		w->st->truncated = 1;
		return 1;	/* the budget is spent: stop here */
	}
	dentry = ln->node - l->d_sib;
	if (vfs_dentry_read(w, ln->host, dentry, &c)) {
		w->st->torn++;
		return 1;
	}
	if (++ln->lam == ln->power) {
		ln->tortoise = ln->node;
		ln->power *= 2;
		ln->lam = 0;
	}
	ln->node = c.next;
	ln->host = NULL;
	if (c.next != ln->end && vmi_kernel_ptr(c.next))
		ln->host = vfs_prefetch(w, c.next - l->d_sib + w->d_lo,
					w->d_len);
	/*
	 * The dentry's type, not its inode's mode: no inode read for a
	 * file. A directory whose type a rootkit changed could not be
	 * walked or opened as one (d_can_lookup()).
	 */
	if ((c.flags & VMI_VFS_DCACHE_TYPE) != VMI_VFS_DCACHE_DIR &&
	    (c.flags & VMI_VFS_DCACHE_TYPE) != VMI_VFS_DCACHE_AUTODIR)
		return 0;	/* negative, a cursor, not a directory, torn */
	if (vfs_ptr(w, VMI_VFS_D_OP, dentry, c.op, dentry, 0, 0))
		return w->err;
	vfs_pend_push(w, &(struct vmi_vfs_pend){
		.dentry = dentry, .inode = c.inode, .first = c.first,
		.depth = ln->depth + 1 });
	return w->err;
}

/* The cached directories under w->root: 0 or the callback's error. */
static int vfs_walk_tree(struct vfs_walk *w)
{
	struct vmi_vfs_scratch *s = w->s;
	struct vmi_vfs_lane *ln;
	u32 i, busy;
	u64 first;
	int err = 0;

	if (w->st->truncated)
		return 0;
	if (vmi_read_u64(w->r, w->root + w->l->d_children, &first)) {
		w->st->torn++;
		return 0;
	}
	for (i = 0; i < VMI_VFS_LANES; i++)
		s->lanes[i].busy = 0;
	s->nr_pend = 0;
	vfs_pend_push(w, &(struct vmi_vfs_pend){
		.dentry = w->root, .first = first, .depth = 1 });
	do {
		for (i = busy = 0; i < VMI_VFS_LANES && !err; i++) {
			ln = &s->lanes[i];
			if (!ln->busy && s->nr_pend && !w->st->truncated) {
				/* its first step next round: the misses run */
				vfs_lane_start(w, ln, &s->pend[--s->nr_pend]);
				busy++;
			} else if (ln->busy) {
				busy++;
				err = vfs_lane_step(w, ln);
				ln->busy = !err;
				err = min(err, 0);
			}
		}
	} while (busy && !err);
	if (err)
		return err;
	/* the budget spent: the directories read but not yet passed */
	for (i = 0; i < VMI_VFS_LANES && !err; i++)
		if (s->lanes[i].busy && s->lanes[i].inode)
			err = vfs_check_inode(w, s->lanes[i].dentry,
					      s->lanes[i].inode);
	for (i = 0; i < s->nr_pend && !err; i++)
		if (s->pend[i].inode)
			err = vfs_check_inode(w, s->pend[i].dentry,
					      s->pend[i].inode);
	return err;
}

/* ---- superblocks ---- */

/* A bind mount of a subdirectory: its root is not the superblock's. */
static int vfs_visit_mount(void *ctx, u64 node)
{
	struct vfs_walk *w = ctx;
	u64 mount = node - w->l->mnt_instance, root;
	u16 mode;
	int err;

	if (vmi_read_u64(w->r, mount + w->l->mnt_root, &root) ||
	    root == w->root)
		return 0;
	err = vfs_check_root(w, root, mount, &mode);
	return min(err, 0);
}

static int vfs_visit_sb(void *ctx, u64 node)
{
	struct vfs_walk *w = ctx;
	const struct vmi_vfs_layout *l = w->l;
	struct vmi_vfs_ptr p = { .sb = node - l->s_list, .field = VMI_VFS_SB };
	u64 ptr;
	u16 mode;
	u32 i;
	int err;

	w->sb = p.sb;
	p.obj = p.sb;
	err = vfs_emit(w, &p);
	if (err)
		return min(err, 0);	/* 1: being torn down */
	for (i = 0; i < VMI_VFS_SB_PTRS; i++)
		if (!vmi_read_u64(w->r, w->sb + l->s_ptr[i], &ptr) &&
		    vfs_ptr(w, VMI_VFS_S_OP + i, w->sb, ptr, 0, 0, 0))
			return w->err;
	if (vmi_read_u64(w->r, w->sb + l->s_root, &w->root) || !w->root)
		return 0;	/* not mounted yet, or going */
	err = vfs_check_root(w, w->root, 0, &mode);
	if (err || !VFS_ISDIR(mode))
		return min(err, 0);
	/* a mount list that cannot be walked leaves only its roots out */
	vmi_list_walk(w->r, w->sb + l->s_mounts, l->max_mounts,
		      vfs_visit_mount, w, NULL);
	if (w->err)
		return w->err;
	return vfs_walk_tree(w);
}

static int vfs_walk_sbs(struct vfs_walk *w, u64 head)
{
	struct vmi_vfs_ptr p = { .obj = head, .field = VMI_VFS_BAD_SBS };
	u32 nodes = 0;
	int err;

	err = vmi_list_walk(w->r, head, w->l->max_sbs, vfs_visit_sb, w,
			    &nodes);
	if (w->err)
		return w->err;
	if (err == -ELOOP || err == -EBADMSG) {
		p.err = err;
		p.nodes = nodes;
		return min(vfs_emit(w, &p), 0);
	}
	return err;
}

/* ---- open files ---- */

static int vfs_visit_task(void *ctx, u64 node)
{
	struct vfs_walk *w = ctx;
	struct vmi_vfs_scratch *s = w->s;
	u64 task = node - w->l->tasks, files;
	struct vmi_vfs_task *t;
	u8 tgid[4] = { 0 };

	w->seq++;
	if (vmi_read_u64(w->r, task + w->l->files, &files) || !files)
		return 0;	/* a kernel thread, or exiting */
	if (s->nr_tasks >= min(s->tasks_cap, w->l->max_tasks))
		return 0;
	if (w->r->read(w->r->ctx, task + w->l->tgid, tgid, 4))
		memset(tgid, 0, 4);
	t = &s->tasks[s->nr_tasks++];
	t->files = files;
	t->tgid = (s32)vmi_get_u32(tgid);
	t->seq = w->seq;
	return 0;
}

static bool vfs_task_less(const struct vmi_vfs_task *a,
			  const struct vmi_vfs_task *b)
{
	return a->files < b->files || (a->files == b->files && a->seq < b->seq);
}

static void vfs_task_sift(struct vmi_vfs_task *t, u32 root, u32 n)
{
	struct vmi_vfs_task tmp;
	u32 child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && vfs_task_less(&t[child], &t[child + 1]))
			child++;
		if (!vfs_task_less(&t[root], &t[child]))
			return;
		tmp = t[root];
		t[root] = t[child];
		t[child] = tmp;
		root = child;
	}
}

/* By files_struct, then the task list's order: heapsort, no recursion. */
static void vfs_tasks_sort(struct vmi_vfs_task *t, u32 n)
{
	struct vmi_vfs_task tmp;
	u32 i;

	for (i = n / 2; i-- > 0;)
		vfs_task_sift(t, i, n);
	for (i = n; i-- > 1;) {
		tmp = t[0];
		t[0] = t[i];
		t[i] = tmp;
		vfs_task_sift(t, 0, i);
	}
}

/* One open file: its f_op, with its inode's mode and superblock. */
static int vfs_check_file(struct vfs_walk *w, const struct vmi_vfs_task *t,
			  u32 fd, u64 file)
{
	const struct vmi_vfs_layout *l = w->l;
	struct vmi_vfs_ptr p = {
		.obj = file, .files = t->files, .tgid = t->tgid, .fd = fd,
		.field = VMI_VFS_F_OP,
	};
	u64 inode;
	u8 mode[2];

	if (vmi_read_u64(w->r, file + l->f_op, &p.ptr) ||
	    vmi_read_u64(w->r, file + l->f_inode, &inode) || !inode ||
	    w->r->read(w->r->ctx, inode + l->i_mode, mode, 2) ||
	    vmi_read_u64(w->r, inode + l->i_sb, &p.sb))
		return 0;
	p.mode = vmi_get_u16(mode);
	return min(vfs_emit(w, &p), 0);
}

static int vfs_walk_fds(struct vfs_walk *w, const struct vmi_vfs_task *t)
{
	const struct vmi_vfs_layout *l = w->l;
	u64 *files = w->s->fds, fdt, arr;
	u32 max, i, k, n;
	u8 raw[4];
	int err;

	if (vmi_read_u64(w->r, t->files + l->fdt, &fdt) ||
	    w->r->read(w->r->ctx, fdt + l->max_fds, raw, 4) ||
	    vmi_read_u64(w->r, fdt + l->fd, &arr))
		return 0;
	max = vmi_get_u32(raw);
	if (max > VMI_VFS_NR_OPEN) {
		w->st->torn++;	/* over NR_OPEN: the kernel never makes one */
		return 0;
	}
	for (i = 0; i < max; i += n) {
		n = min_t(u32, max - i, VMI_VFS_FD_CHUNK);
		if (w->st->fds + n > l->max_fd_slots) {
			w->st->truncated = 1;
			return 0;
		}
		w->st->fds += n;
		if (w->r->read(w->r->ctx, arr + 8ULL * i, files, 8ULL * n))
			return 0;
		for (k = 0; k < n; k++) {
			u64 file = vmi_get_u64(&files[k]);

			if (!file)
				continue;
			err = vfs_check_file(w, t, i + k, file & ~3ULL);
			if (err)
				return err;
		}
	}
	return 0;
}

static int vfs_walk_files(struct vfs_walk *w, u64 init_task)
{
	struct vmi_vfs_scratch *s = w->s;
	u32 i;
	int err = 0;

	if (!s->tasks_given) {
		s->nr_tasks = 0;
		err = vmi_list_walk(w->r, init_task + w->l->tasks,
				    w->l->max_tasks, vfs_visit_task, w, NULL);
		if (err == -ELOOP || err == -EBADMSG)
			err = 0;	/* hidden-process judges the list */
		if (err)
			return err;
	}
	w->st->files = s->nr_tasks;
	vfs_tasks_sort(s->tasks, s->nr_tasks);
	for (i = 0; i < s->nr_tasks && !err; i++)
		if (!i || s->tasks[i].files != s->tasks[i - 1].files)
			err = vfs_walk_fds(w, &s->tasks[i]);
	return err;
}

int vmi_vfs_walk(const struct vmi_read_ops *r, const struct vmi_vfs_layout *l,
		 u64 super_blocks, u64 init_task, struct vmi_vfs_scratch *s,
		 vmi_vfs_fn fn, void *ctx, struct vmi_vfs_stats *ret_stats)
{
	struct vfs_walk w = {
		.r = r, .l = l, .s = s, .fn = fn, .ctx = ctx, .st = ret_stats,
	};
	int err;

	if (!r || !r->read || !l || !s || !fn || !ret_stats ||
	    !vmi_vfs_layout_ok(l) || (s->pend_cap && !s->pend) ||
	    (s->tasks_cap && !s->tasks) ||
	    (s->tasks_given && (s->nr_tasks > s->tasks_cap ||
				s->nr_tasks > l->max_tasks)))
		return -EINVAL;
	memset(ret_stats, 0, sizeof(*ret_stats));
	vfs_dspan(l, &w.d_lo, &w.d_len);
	err = vfs_walk_sbs(&w, super_blocks);
	return err ?: vfs_walk_files(&w, init_task);
}

enum vmi_vfs_place vmi_vfs_where(const struct vmi_vfs_bounds *b, u64 p,
				 s32 *ret_mod)
{
	const struct vmi_range k[2] = { b->text, b->rodata };
	u32 i, j;

	*ret_mod = -1;
	if (!p)
		return VMI_VFS_NULL;
	if (vmi_in_ranges(p, k, 2))
		return VMI_VFS_KERNEL_RO;
	if (vmi_in_ranges(p, &b->image, 1))
		return VMI_VFS_KERNEL_RW;
	for (i = 0; i < b->nr_mods; i++)
		for (j = 0; j < b->mods[i].nr && j < 4; j++)
			if (p >= b->mods[i].r[j].start &&
			    p < b->mods[i].r[j].end) {
				*ret_mod = i;
				return b->mods[i].ro[j] ? VMI_VFS_MODULE_RO :
							  VMI_VFS_MODULE_RW;
			}
	if (vmi_in_ranges(p, &b->area, 1))
		return VMI_VFS_MODULE_AREA;
	return VMI_VFS_OUTSIDE;
}

struct vfs_judge {
	const struct vmi_read_ops *r;
	const struct vmi_vfs_layout *l;
	const struct vmi_range *allow, *image;
	u32 nr_allow;
	u64 debugfs_type;
	struct vmi_vfs_suspects *s;
};

/* @p in one of the @nr sorted, disjoint ranges of @r: a binary search. */
static bool vfs_in_sorted(u64 p, const struct vmi_range *r, u32 nr)
{
	u32 lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p < r[mid].start)
			hi = mid;
		else if (p >= r[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool vmi_vfs_ranges_ok(const struct vmi_range *r, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (r[i].start >= r[i].end || (i && r[i].start < r[i - 1].end))
			return false;
	return true;
}

static int vfs_suspect(void *ctx, const struct vmi_vfs_ptr *p)
{
	struct vfs_judge *j = ctx;
	u64 type;

	if (p->field == VMI_VFS_SB)
		return 0;
	if (p->field != VMI_VFS_BAD_SBS) {
		if (!p->ptr || vfs_in_sorted(p->ptr, j->allow, j->nr_allow))
			return 0;
		if (p->field == VMI_VFS_S_XATTR &&
		    vmi_in_ranges(p->ptr, j->image, 1))
			return 0;
		if (p->field == VMI_VFS_F_OP && j->debugfs_type &&
		    !vmi_read_u64(j->r, p->sb + j->l->s_type, &type) &&
		    type == j->debugfs_type)
			return 0;
	}
	if (!j->s->nr++)
		j->s->first = *p;
	return 0;
}

int vmi_vfs_suspects(const struct vmi_read_ops *r,
		     const struct vmi_vfs_layout *l, u64 super_blocks,
		     u64 init_task, struct vmi_vfs_scratch *s,
		     const struct vmi_range *allow, u32 nr_allow,
		     const struct vmi_range *image, u64 debugfs_type,
		     struct vmi_vfs_suspects *ret)
{
	struct vfs_judge j = {
		.r = r, .l = l, .allow = allow, .image = image,
		.nr_allow = nr_allow, .debugfs_type = debugfs_type, .s = ret,
	};

	if (!ret || !image || (nr_allow && !allow) ||
	    !vmi_vfs_ranges_ok(allow, nr_allow))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	return vmi_vfs_walk(r, l, super_blocks, init_task, s, vfs_suspect, &j,
			    &ret->stats);
}
