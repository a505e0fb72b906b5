// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tty-ldisc's execution: see ttywalk.h.
 */
#include "ttywalk.h"
#include "uapi/linux/vmiaas.h"

struct tty_walk {
	const struct vmi_read_ops *r;
	const struct vmi_tty_layout *l;
	struct vmi_tty_scratch *s;
	vmi_tty_fn fn;
	void *ctx;
	u64 sb;				/* the devpts superblock walked */
	int fn_err;			/* what the callback returned */
};

bool vmi_tty_layout_ok(const struct vmi_tty_layout *l)
{
	const u32 off[] = {
		l ? l->lo_num : 0, l ? l->drv_node : 0, l ? l->drv_num : 0,
		l ? l->drv_ttys : 0, l ? l->tty_ldisc : 0, l ? l->tty_link : 0,
		l ? l->ld_ops : 0, l ? l->sb_instances : 0, l ? l->sb_root : 0,
		l ? l->d_children : 0, l ? l->d_sib : 0, l ? l->d_fsdata : 0,
		l ? l->drv_ops : 0, l ? l->tty_ops : 0, l ? l->tty_driver : 0,
		l ? l->tty_port : 0, l ? l->port_client : 0,
	};
	u32 i;

	if (!l || (l->flags & ~VMI_TTY_FLAGS_ALL) ||
	    l->nr_ldiscs > VMI_TTY_LDISCS_MAX || l->nr_fns > VMI_TTY_FNS_MAX ||
	    l->max_drivers > VMI_TTY_DRIVERS_MAX ||
	    l->max_lines > VMI_TTY_LINES_MAX || l->max_sbs > VMI_TTY_SBS_MAX ||
	    l->max_ptys > VMI_TTY_PTYS_MAX || l->nr_ops > VMI_TTY_OPS_MAX ||
	    l->nr_client > VMI_TTY_CLIENT_MAX)
		return false;
	for (i = 0; i < ARRAY_SIZE(off); i++)
		if (off[i] >= VMI_OFFSET_MAX)
			return false;
	for (i = 0; i < l->nr_fns; i++)
		if (l->fn[i] > VMI_TTY_TABLE_MAX - 8)
			return false;
	for (i = 0; i < l->nr_ops; i++)
		if (l->ops_fn[i] > VMI_TTY_TABLE_MAX - 8)
			return false;
	for (i = 0; i < l->nr_client; i++)
		if (l->client_fn[i] > VMI_TTY_TABLE_MAX - 8)
			return false;
	return true;
}

/* Passes @h to the callback; its error is remembered as not the walk's. */
static int tw_call(struct tty_walk *w, const struct vmi_tty_hook *h)
{
	w->fn_err = w->fn(w->ctx, h);
	return w->fn_err;
}

/* A bad object or list: @what, @err, the rest as in @h. */
static int tw_bad(struct tty_walk *w, struct vmi_tty_hook *h, u32 what,
		  int err)
{
	h->what = what;
	h->fn = 0;
	h->err = err;
	return tw_call(w, h);
}

/*
 * The function pointers at @offs[@nr] of the table h->ops (read at once),
 * as @what; a table not readable as @bad.
 */
static int tw_table(struct tty_walk *w, struct vmi_tty_hook *h,
		    const u32 *offs, u32 nr, u32 what, u32 bad)
{
	u32 i, end = 0;
	int err;

	for (i = 0; i < nr; i++)
		if (offs[i] + 8 > end)
			end = offs[i] + 8;
	if (!end)
		return 0;
	if (!vmi_kernel_ptr(h->ops))
		return tw_bad(w, h, bad, -EBADMSG);
	if (w->r->read(w->r->ctx, h->ops, w->s->table, end))
		return tw_bad(w, h, bad, -EFAULT);
	for (i = 0; i < nr; i++) {
		h->member = i;
		h->fn = vmi_get_u64(w->s->table + offs[i]);
		h->what = what;
		h->err = 0;
		err = tw_call(w, h);
		if (err)
			return err;
	}
	return 0;
}

/* The table's ->num; -EFAULT unreadable. */
static int tw_num(struct tty_walk *w, u64 ops, s32 *ret)
{
	u8 raw[4];
	int err;

	err = w->r->read(w->r->ctx, ops + w->l->lo_num, raw, sizeof(raw));
	if (!err)
		*ret = (s32)vmi_get_u32(raw);
	return err ? -EFAULT : 0;
}

/* tty_ldiscs[]: every registered table, remembered in s->ldiscs[]. */
static int tw_ldiscs(struct tty_walk *w)
{
	struct vmi_tty_hook h;
	u32 i;
	int err;

	memset(w->s->ldiscs, 0, sizeof(w->s->ldiscs));
	for (i = 0; i < w->l->nr_ldiscs; i++) {
		err = vmi_read_u64(w->r, w->l->ldiscs + 8ULL * i,
				   &w->s->ldiscs[i]);
		if (err)
			return err;
	}
	for (i = 0; i < w->l->nr_ldiscs; i++) {
		memset(&h, 0, sizeof(h));
		h.ops = w->s->ldiscs[i];
		h.num = i;
		if (!h.ops)
			continue;
		if (!vmi_kernel_ptr(h.ops))
			err = tw_bad(w, &h, VMI_TTY_BAD_LDISC, -EBADMSG);
		else if (tw_num(w, h.ops, &h.num))
			err = tw_bad(w, &h, VMI_TTY_BAD_LDISC, -EFAULT);
		else if (h.num != (s32)i)
			err = tw_bad(w, &h, VMI_TTY_BAD_LDISC, -EBADMSG);
		else
			err = tw_table(w, &h, w->l->fn, w->l->nr_fns,
				       VMI_TTY_LDISC_FN, VMI_TTY_BAD_LDISC);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The table h->ops passed as @what (with @err), then, unless it is NULL,
 * its function pointers at @offs[@nr] as @fn_what (tw_table()).
 */
static int tw_pass_table(struct tty_walk *w, struct vmi_tty_hook *h,
			 u32 what, int err, const u32 *offs, u32 nr,
			 u32 fn_what, u32 bad)
{
	err = tw_bad(w, h, what, err);
	if (err || !h->ops)
		return err;
	return tw_table(w, h, offs, nr, fn_what, bad);
}

/* Where driver @drv is (or would go) in s->drivers[], sorted. */
static u32 tw_driver_pos(const struct tty_walk *w, u64 drv)
{
	u32 lo = 0, hi = w->s->nr_drivers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->s->drivers[mid][0] < drv)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Driver @drv with table @ops remembered: false if it already was. */
static bool tw_driver_add(struct tty_walk *w, u64 drv, u64 ops)
{
	struct vmi_tty_scratch *s = w->s;
	u32 i = tw_driver_pos(w, drv);

	if ((i < s->nr_drivers && s->drivers[i][0] == drv) ||
	    s->nr_drivers >= VMI_TTY_DRIVERS_MAX)
		return false;
	memmove(&s->drivers[i + 1], &s->drivers[i],
		(s->nr_drivers - i) * sizeof(s->drivers[0]));
	s->drivers[i][0] = drv;
	s->drivers[i][1] = ops;
	s->nr_drivers++;
	return true;
}

/* The table of driver @drv if it is on tty_drivers, else NULL. */
static const u64 *tw_driver_find(const struct tty_walk *w, u64 drv)
{
	u32 i = tw_driver_pos(w, drv);

	return i < w->s->nr_drivers && w->s->drivers[i][0] == drv ?
	       w->s->drivers[i] : NULL;
}

/* Whether @ops is the table registered for @num. */
static bool tw_registered(const struct tty_walk *w, u64 ops, s32 num)
{
	return num >= 0 && (u32)num < w->l->nr_ldiscs &&
	       w->s->ldiscs[num] == ops;
}

/* One tty's ops: its driver's, or passed (with its functions). */
static int tw_tty_ops(struct tty_walk *w, u64 tty)
{
	struct vmi_tty_hook h = { .tty = tty };
	const u64 *d;

	if (vmi_read_u64(w->r, tty + w->l->tty_driver, &h.driver) ||
	    vmi_read_u64(w->r, tty + w->l->tty_ops, &h.ops))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EFAULT);
	d = tw_driver_find(w, h.driver);
	if (!d)
		return tw_bad(w, &h, VMI_TTY_BAD_DRIVER, -ENOENT);
	if (h.ops == d[1])
		return 0;
	h.expect = d[1];
	return tw_pass_table(w, &h, VMI_TTY_TTY_OPS, -ENOENT, w->l->ops_fn,
			     w->l->nr_ops, VMI_TTY_TTY_OPS_FN, VMI_TTY_BAD_TTY);
}

/* One tty's port's client_ops: the default, or passed (with functions). */
static int tw_tty_port(struct tty_walk *w, u64 tty)
{
	struct vmi_tty_hook h = { .tty = tty };

	if (vmi_read_u64(w->r, tty + w->l->tty_port, &h.head))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EFAULT);
	if (!h.head)
		return 0;	/* a driver without ports */
	if (!vmi_kernel_ptr(h.head))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EBADMSG);
	if (vmi_read_u64(w->r, h.head + w->l->port_client, &h.ops))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EFAULT);
	if (!h.ops || h.ops == w->l->client_default)
		return 0;
	return tw_pass_table(w, &h, VMI_TTY_CLIENT_OPS, 0, w->l->client_fn,
			     w->l->nr_client, VMI_TTY_CLIENT_FN,
			     VMI_TTY_BAD_TTY);
}

/* One tty: its discipline's table is the registered one, or passed. */
static int tw_tty_ldisc(struct tty_walk *w, u64 tty)
{
	struct vmi_tty_hook h = { .tty = tty };
	u64 ld;
	int err;

	if (!vmi_kernel_ptr(tty))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EBADMSG);
	if (vmi_read_u64(w->r, tty + w->l->tty_ldisc, &ld))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EFAULT);
	if (!ld)
		return 0;	/* being opened, hung up or released */
	if (!vmi_kernel_ptr(ld))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EBADMSG);
	if (vmi_read_u64(w->r, ld + w->l->ld_ops, &h.ops))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EFAULT);
	if (!vmi_kernel_ptr(h.ops))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EBADMSG);
	if (tw_num(w, h.ops, &h.num))
		return tw_bad(w, &h, VMI_TTY_BAD_TTY, -EFAULT);
	if (tw_registered(w, h.ops, h.num))
		return 0;
	err = tw_bad(w, &h, VMI_TTY_UNREGISTERED, -ENOENT);
	return err ?: tw_table(w, &h, w->l->fn, w->l->nr_fns, VMI_TTY_TTY_FN,
			       VMI_TTY_BAD_TTY);
}

/* One tty: its discipline, its ops, its port's client_ops. */
static int tw_tty(struct tty_walk *w, u64 tty)
{
	int err;

	err = tw_tty_ldisc(w, tty);
	if (err || !vmi_kernel_ptr(tty))
		return err;
	if (w->l->flags & VMI_TTY_HAS_OPS)
		err = tw_tty_ops(w, tty);
	if (!err && (w->l->flags & VMI_TTY_HAS_PORT))
		err = tw_tty_port(w, tty);
	return err;
}

/* A tty and its link (a pty's other end): only one step, no chain. */
static int tw_tty_pair(struct tty_walk *w, u64 tty)
{
	u64 link = 0;
	int err;

	err = tw_tty(w, tty);
	if (err || !vmi_kernel_ptr(tty) ||
	    vmi_read_u64(w->r, tty + w->l->tty_link, &link) || !link)
		return err;
	return tw_tty(w, link);
}

/* A driver on tty_drivers: remembered; its table and functions passed. */
static int tw_visit_driver(void *ctx, u64 node)
{
	struct tty_walk *w = ctx;
	struct vmi_tty_hook h = { .driver = node - w->l->drv_node };

	if (!(w->l->flags & VMI_TTY_HAS_OPS)) {
		tw_driver_add(w, h.driver, 0);
		return 0;
	}
	if (vmi_read_u64(w->r, h.driver + w->l->drv_ops, &h.ops)) {
		tw_driver_add(w, h.driver, 0);
		return tw_bad(w, &h, VMI_TTY_BAD_DRIVER, -EFAULT);
	}
	if (!tw_driver_add(w, h.driver, h.ops) || !h.ops)
		return 0;	/* met already (a cycle), or no table */
	return tw_pass_table(w, &h, VMI_TTY_DRIVER_OPS, 0, w->l->ops_fn,
			     w->l->nr_ops, VMI_TTY_DRIVER_FN,
			     VMI_TTY_BAD_DRIVER);
}

/* A driver's ttys[] (NULL: a devpts driver, its ttys under devpts). */
static int tw_driver_lines(struct tty_walk *w, u64 drv)
{
	u64 ttys;
	struct vmi_tty_hook h = { .driver = drv };
	u32 num, i, k, n;
	u8 raw[4];
	int err;

	if (vmi_read_u64(w->r, drv + w->l->drv_ttys, &ttys) ||
	    w->r->read(w->r->ctx, drv + w->l->drv_num, raw, sizeof(raw)))
		return tw_bad(w, &h, VMI_TTY_LINES, -EFAULT);
	if (!ttys)
		return 0;
	h.head = ttys;
	num = vmi_get_u32(raw);
	if (!vmi_kernel_ptr(ttys))
		return tw_bad(w, &h, VMI_TTY_LINES, -EBADMSG);
	if (num > w->l->max_lines)
		return tw_bad(w, &h, VMI_TTY_LINES, -E2BIG);
	for (i = 0; i < num; i += n) {
		n = min_t(u32, num - i, VMI_TTY_CHUNK);
		if (w->r->read(w->r->ctx, ttys + 8ULL * i, w->s->lines, 8 * n))
			return tw_bad(w, &h, VMI_TTY_LINES, -EFAULT);
		for (k = 0; k < n; k++) {
			if (!w->s->lines[k])
				continue;
			err = tw_tty_pair(w, w->s->lines[k]);
			if (err)
				return err;
		}
	}
	return 0;
}

/* A dentry under a devpts root: its d_fsdata, a pts tty or NULL. */
static int tw_visit_pts(void *ctx, u64 node)
{
	struct tty_walk *w = ctx;
	u64 tty;

	if (vmi_read_u64(w->r, node - w->l->d_sib + w->l->d_fsdata, &tty)) {
		struct vmi_tty_hook h = { .head = node };

		return tw_bad(w, &h, VMI_TTY_DEVPTS, -EFAULT);
	}
	return tty ? tw_tty_pair(w, tty) : 0;
}

/* A devpts superblock: the children of its root. */
static int tw_visit_sb(void *ctx, u64 node)
{
	struct tty_walk *w = ctx;
	struct vmi_tty_hook h = { 0 };
	u64 root;
	int err;

	w->sb = node - w->l->sb_instances;
	h.head = w->sb;
	if (vmi_read_u64(w->r, w->sb + w->l->sb_root, &root))
		return tw_bad(w, &h, VMI_TTY_DEVPTS, -EFAULT);
	if (!root)
		return 0;	/* being set up or torn down */
	if (!vmi_kernel_ptr(root))
		return tw_bad(w, &h, VMI_TTY_DEVPTS, -EBADMSG);
	h.head = root + w->l->d_children;
	w->fn_err = 0;
	if (w->l->flags & VMI_TTY_CHILDREN_HLIST)
		err = vmi_hlist_walk(w->r, h.head, w->l->max_ptys, tw_visit_pts,
				     w, NULL);
	else
		err = vmi_list_walk(w->r, h.head, w->l->max_ptys, tw_visit_pts,
				    w, NULL);
	if (!err || w->fn_err)
		return err;
	return tw_bad(w, &h, VMI_TTY_DEVPTS, err);
}

/* A global list that a walk ended with @err. */
static int tw_list_end(struct tty_walk *w, u32 what, u64 head, int err)
{
	struct vmi_tty_hook h = { .head = head };

	if (w->fn_err || (err != -ELOOP && err != -EBADMSG))
		return err;
	return tw_bad(w, &h, what, err);
}

int vmi_tty_walk(const struct vmi_read_ops *r, const struct vmi_tty_layout *l,
		 struct vmi_tty_scratch *s, vmi_tty_fn fn, void *ctx)
{
	struct tty_walk w = { .r = r, .l = l, .s = s, .fn = fn, .ctx = ctx };
	u32 i;
	int err;

	if (!r || !r->read || !fn || !s || !vmi_tty_layout_ok(l))
		return -EINVAL;
	err = tw_ldiscs(&w);
	if (err || (l->flags & VMI_TTY_LDISCS_ONLY))
		return err;
	w.fn_err = 0;
	s->nr_drivers = 0;
	err = vmi_list_walk(r, l->drivers, l->max_drivers, tw_visit_driver, &w,
			    NULL);
	err = tw_list_end(&w, VMI_TTY_DRIVER_LIST, l->drivers, err);
	for (i = 0; !err && i < s->nr_drivers; i++)
		err = tw_driver_lines(&w, s->drivers[i][0]);
	if (err || !(l->flags & VMI_TTY_HAS_DEVPTS))
		return err;
	w.fn_err = 0;
	err = vmi_hlist_walk(r, l->devpts_supers, l->max_sbs, tw_visit_sb, &w,
			     NULL);
	return tw_list_end(&w, VMI_TTY_DEVPTS, l->devpts_supers, err);
}

/* The words of @map as offsets into @off (at most @max): -EINVAL over. */
static int tw_map_offsets(u64 map, u32 *off, u32 max, u32 *ret_nr)
{
	u32 i, n = 0;

	for (i = 0; i < VMIAAS_TTY_TABLE_WORDS; i++) {
		if (!(map & (1ULL << i)))
			continue;
		if (n >= max)
			return -EINVAL;
		off[n++] = 8 * i;
	}
	*ret_nr = n;
	return 0;
}

int vmi_tty_layout_of(const struct vmiaas_tty_check *tc, u64 ldiscs,
		      struct vmi_tty_layout *l)
{
	*l = (struct vmi_tty_layout){
		.ldiscs = ldiscs, .drivers = tc->drivers,
		.devpts_supers = tc->devpts_supers,
		.nr_ldiscs = tc->nr_ldiscs, .lo_num = tc->lo_num,
		.drv_node = tc->drv_node, .drv_num = tc->drv_num,
		.drv_ttys = tc->drv_ttys, .tty_ldisc = tc->tty_ldisc,
		.tty_link = tc->tty_link, .ld_ops = tc->ld_ops,
		.sb_instances = tc->sb_instances, .sb_root = tc->sb_root,
		.d_children = tc->d_children, .d_sib = tc->d_sib,
		.d_fsdata = tc->d_fsdata,
		.flags = VMI_TTY_HAS_OPS | VMI_TTY_HAS_PORT,
		.max_drivers = VMI_TTY_DRIVERS_MAX,
		.max_lines = VMI_TTY_LINES_MAX, .max_sbs = VMI_TTY_SBS_MAX,
		.max_ptys = VMI_TTY_PTYS_MAX, .drv_ops = tc->drv_ops,
		.tty_ops = tc->tty_ops, .tty_driver = tc->tty_driver,
		.tty_port = tc->tty_port, .port_client = tc->port_client,
		.client_default = tc->client_default,
	};
	if (tc->flags & VMIAAS_TTY_DEVPTS)
		l->flags |= VMI_TTY_HAS_DEVPTS;
	if (tc->flags & VMIAAS_TTY_HLIST)
		l->flags |= VMI_TTY_CHILDREN_HLIST;
	return tw_map_offsets(tc->ldisc_fns, l->fn, VMI_TTY_FNS_MAX,
			      &l->nr_fns) ?:
	       tw_map_offsets(tc->ops_fns, l->ops_fn, VMI_TTY_OPS_MAX,
			      &l->nr_ops) ?:
	       tw_map_offsets(tc->client_fns, l->client_fn, VMI_TTY_CLIENT_MAX,
			      &l->nr_client);
}

struct tty_judge {
	const struct vmi_tty_layout *l;
	const struct vmi_range *allow;
	u32 nr_allow;
	struct vmi_tty_suspects *ret;
};

/* The offset in its table of the function @h passes. */
static u32 tw_fn_offset(const struct vmi_tty_layout *l,
			const struct vmi_tty_hook *h)
{
	if (h->what == VMI_TTY_LDISC_FN || h->what == VMI_TTY_TTY_FN)
		return h->member < l->nr_fns ? l->fn[h->member] : 0;
	if (h->what == VMI_TTY_CLIENT_FN)
		return h->member < l->nr_client ? l->client_fn[h->member] : 0;
	return h->member < l->nr_ops ? l->ops_fn[h->member] : 0;
}

static int tw_suspect(void *ctx, const struct vmi_tty_hook *h)
{
	struct tty_judge *j = ctx;

	if (!h->err && (!h->fn || vmi_in_ranges(h->fn, j->allow, j->nr_allow)))
		return 0;
	if (!j->ret->nr++) {
		j->ret->first = *h;
		j->ret->first_off = h->err ? 0 : tw_fn_offset(j->l, h);
	}
	return 0;
}

int vmi_tty_suspects(const struct vmi_read_ops *r,
		     const struct vmi_tty_layout *l, struct vmi_tty_scratch *s,
		     const struct vmi_range *allow, u32 nr_allow,
		     struct vmi_tty_suspects *ret)
{
	struct tty_judge j = {
		.l = l, .allow = allow, .nr_allow = nr_allow, .ret = ret,
	};

	memset(ret, 0, sizeof(*ret));
	return vmi_tty_walk(r, l, s, tw_suspect, &j);
}

void vmi_tty_found(const struct vmi_tty_suspects *s, struct vmiaas_found *f)
{
	const struct vmi_tty_hook *h = &s->first;

	f->kind = h->err ? VMIAAS_FOUND_TTY_BAD : VMIAAS_FOUND_TTY_FN;
	f->where = h->ops;
	f->value = h->err ? h->head : h->fn;
	f->expected = h->what == VMI_TTY_TTY_OPS ? h->expect : h->driver;
	f->dev = h->tty;
	f->point = h->what;
	f->index = s->first_off;
	f->family = (u32)h->num;
	f->err = h->err;
}
