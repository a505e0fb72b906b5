// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * net-protocol's walk: see protowalk.h.
 */
#include "protowalk.h"

/* Whether each of the @nr member offsets at @off is under the cap. */
static bool proto_offs_ok(const u32 *off, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (off[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
}

bool vmi_proto_layout_ok(const struct vmi_proto_layout *l)
{
	if (!l || !vmi_kernel_ptr(l->table) ||
	    (l->flags & ~VMI_PROTO_FLAGS_ALL) ||
	    !(l->flags & VMI_PROTO_HAS_FN(0)) ||
	    !l->slots || l->slots > VMI_PROTO_SLOTS_MAX)
		return false;
	return proto_offs_ok(l->fn_off, VMI_PROTO_FNS);
}

/* @s->prot's functions, or @s->err. */
static void proto_read_fns(const struct vmi_read_ops *r,
			   const struct vmi_proto_layout *l,
			   struct vmi_proto_slot *s)
{
	u32 i;

	if (!vmi_kernel_ptr(s->prot)) {
		s->err = -EBADMSG;
		return;
	}
	for (i = 0; i < VMI_PROTO_FNS; i++) {
		if (!(l->flags & VMI_PROTO_HAS_FN(i)))
			continue;
		if (vmi_read_u64(r, s->prot + l->fn_off[i], &s->fn[i])) {
			memset(s->fn, 0, sizeof(s->fn));
			s->err = -EFAULT;
			return;
		}
	}
}

int vmi_proto_walk(const struct vmi_read_ops *r,
		   const struct vmi_proto_layout *l, vmi_proto_fn fn,
		   void *ctx)
{
	struct vmi_proto_slot s;
	u32 i;
	int err;

	if (!r || !r->read || !fn || !vmi_proto_layout_ok(l))
		return -EINVAL;
	for (i = 0; i < l->slots; i++) {
		s = (struct vmi_proto_slot){ .nr = i };
		err = vmi_read_u64(r, l->table + 8ULL * i, &s.prot);
		if (err)
			return err;
		if (s.prot)
			proto_read_fns(r, l, &s);
		err = fn(ctx, &s);
		if (err)
			return err;
	}
	return 0;
}

bool vmi_prot_layout_ok(const struct vmi_prot_layout *l)
{
	if (!l || !vmi_kernel_ptr(l->head) || l->node >= VMI_OFFSET_MAX ||
	    !l->nr_fns || l->nr_fns > VMI_PROT_FNS_MAX ||
	    l->max > VMI_PROT_LIST_MAX)
		return false;
	return proto_offs_ok(l->fn_off, l->nr_fns);
}

struct prot_walk {
	const struct vmi_read_ops *r;
	const struct vmi_prot_layout *l;
	vmi_prot_fn fn;
	void *ctx;
	int fn_err;		/* what the callback returned */
};

static int prot_call(struct prot_walk *w, const struct vmi_prot_hook *h)
{
	w->fn_err = w->fn(w->ctx, h);
	return w->fn_err;
}

/* One struct proto: each function pointer the layout names. */
static int prot_visit(void *ctx, u64 node)
{
	struct prot_walk *w = ctx;
	struct vmi_prot_hook h = { .prot = node - w->l->node };
	u32 i;
	int err;

	for (i = 0; i < w->l->nr_fns; i++) {
		h.member = i;
		if (vmi_read_u64(w->r, h.prot + w->l->fn_off[i], &h.fn)) {
			h.fn = 0;
			h.err = -EFAULT;
			return prot_call(w, &h);
		}
		if (!h.fn)
			continue;
		err = prot_call(w, &h);
		if (err)
			return err;
	}
	return 0;
}

int vmi_prot_walk(const struct vmi_read_ops *r,
		  const struct vmi_prot_layout *l, vmi_prot_fn fn, void *ctx)
{
	struct prot_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	struct vmi_prot_hook h = { 0 };
	int err;

	if (!r || !r->read || !fn || !vmi_prot_layout_ok(l))
		return -EINVAL;
	err = vmi_list_walk(r, l->head, l->max, prot_visit, &w, NULL);
	if (!err || w.fn_err)
		return err;
	h.err = err;
	return prot_call(&w, &h);
}

/* The entry's members and @l's function offsets under the cap. */
static bool protosw_offs_ok(const struct vmi_protosw_layout *l)
{
	const u32 offs[] = { l->node, l->type, l->protocol, l->prot, l->ops };

	return proto_offs_ok(offs, ARRAY_SIZE(offs)) &&
	       proto_offs_ok(l->fn_off, l->nr_fns);
}

bool vmi_protosw_layout_ok(const struct vmi_protosw_layout *l)
{
	if (!l || !vmi_kernel_ptr(l->table) || !l->lists ||
	    l->lists > VMI_PROTOSW_LISTS_MAX || !l->nr_fns ||
	    l->nr_fns > VMI_PROTOSW_FNS || !l->max ||
	    l->max > VMI_PROTOSW_MAX)
		return false;
	return protosw_offs_ok(l);
}

struct protosw_walk {
	const struct vmi_read_ops *r;
	const struct vmi_protosw_layout *l;
	vmi_protosw_fn fn;
	void *ctx;
	struct vmi_protosw_entry e;
	int fn_err;		/* what the callback returned */
};

static int protosw_call(struct protosw_walk *w)
{
	w->fn_err = w->fn(w->ctx, &w->e);
	return w->fn_err;
}

/* @e->ops's functions, or @e->ops_err. */
static void protosw_read_ops(struct protosw_walk *w)
{
	struct vmi_protosw_entry *e = &w->e;
	u32 i;

	if (!vmi_kernel_ptr(e->ops)) {
		e->ops_err = -EBADMSG;
		return;
	}
	for (i = 0; i < w->l->nr_fns; i++) {
		if (vmi_read_u64(w->r, e->ops + w->l->fn_off[i], &e->fn[i])) {
			memset(e->fn, 0, sizeof(e->fn));
			e->ops_err = -EFAULT;
			return;
		}
	}
}

/* One struct inet_protosw: its key, its pointers, its ops' functions. */
static int protosw_visit(void *ctx, u64 node)
{
	struct protosw_walk *w = ctx;
	struct vmi_protosw_entry *e = &w->e;
	u32 list = e->list;
	u8 key[2][2];

	*e = (struct vmi_protosw_entry){ .entry = node - w->l->node,
					 .list = list };
	if (w->r->read(w->r->ctx, e->entry + w->l->type, key[0], 2) ||
	    w->r->read(w->r->ctx, e->entry + w->l->protocol, key[1], 2) ||
	    vmi_read_u64(w->r, e->entry + w->l->prot, &e->prot) ||
	    vmi_read_u64(w->r, e->entry + w->l->ops, &e->ops)) {
		*e = (struct vmi_protosw_entry){ .entry = e->entry,
						 .list = list, .err = -EFAULT };
		return protosw_call(w);
	}
	e->type = vmi_get_u16(key[0]);
	e->protocol = vmi_get_u16(key[1]);
	protosw_read_ops(w);
	return protosw_call(w);
}

int vmi_protosw_walk(const struct vmi_read_ops *r,
		     const struct vmi_protosw_layout *l, vmi_protosw_fn fn,
		     void *ctx)
{
	struct protosw_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	u32 i;
	int err;

	if (!r || !r->read || !fn || !vmi_protosw_layout_ok(l))
		return -EINVAL;
	for (i = 0; i < l->lists; i++) {
		w.e = (struct vmi_protosw_entry){ .list = i };
		w.fn_err = 0;
		err = vmi_list_walk(r, l->table + 16ULL * i, l->max,
				    protosw_visit, &w, NULL);
		if (!err)
			continue;
		if (w.fn_err)
			return err;
		w.e = (struct vmi_protosw_entry){ .list = i, .err = err };
		err = protosw_call(&w);
		if (err)
			return err;
	}
	return 0;
}
