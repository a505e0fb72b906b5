// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * net-protocol's walk: see protowalk.h.
 */
#include "protowalk.h"

bool vmi_proto_layout_ok(const struct vmi_proto_layout *l)
{
	u32 i;

	if (!l || !vmi_kernel_ptr(l->table) ||
	    (l->flags & ~VMI_PROTO_FLAGS_ALL) ||
	    !(l->flags & VMI_PROTO_HAS_FN(0)) ||
	    !l->slots || l->slots > VMI_PROTO_SLOTS_MAX)
		return false;
	for (i = 0; i < VMI_PROTO_FNS; i++)
		if (l->fn_off[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
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
	u32 i;

	if (!l || !vmi_kernel_ptr(l->head) || l->node >= VMI_OFFSET_MAX ||
	    !l->nr_fns || l->nr_fns > VMI_PROT_FNS_MAX ||
	    l->max > VMI_PROT_LIST_MAX)
		return false;
	for (i = 0; i < l->nr_fns; i++)
		if (l->fn_off[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
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
