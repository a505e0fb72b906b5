// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * packet-tap's execution: see ptypewalk.h.
 */
#include "ptypewalk.h"

struct pt_walk {
	const struct vmi_read_ops *r;
	const struct vmi_ptype_layout *l;
	vmi_ptype_fn fn;
	void *ctx;
	struct vmi_ptype_hook cur;	/* net, dev, netns, head, list */
	u32 seen;			/* packet types read so far */
	int fn_err;			/* what the callback returned */
};

static bool pt_offsets_ok(const struct vmi_ptype_layout *l)
{
	const u32 off[] = { l->net_list, l->net_inum, l->net_all,
			    l->net_specific, l->dev_base, l->dev_list,
			    l->dev_all, l->dev_specific, l->pt_list,
			    l->pt_type, l->fn_off[0], l->fn_off[1],
			    l->fn_off[2] };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(off); i++)
		if (off[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
}

bool vmi_ptype_layout_ok(const struct vmi_ptype_layout *l)
{
	if (!l || (l->flags & ~VMI_PT_FLAGS_ALL) ||
	    !(l->flags & VMI_PT_HAS_FN(0)))
		return false;
	if (l->max_list > VMI_PT_LIST_MAX || l->max_total > VMI_PT_TOTAL_MAX)
		return false;
	return pt_offsets_ok(l);
}

/* Passes @h to the callback; its error is remembered as not the walk's. */
static int pt_call(struct pt_walk *w, const struct vmi_ptype_hook *h)
{
	w->fn_err = w->fn(w->ctx, h);
	return w->fn_err;
}

/* One packet type: its type, then each function the layout has. */
static int pt_visit(void *ctx, u64 node)
{
	struct pt_walk *w = ctx;
	struct vmi_ptype_hook h = w->cur;
	u8 raw[2];
	u32 i;
	int err;

	if (++w->seen > w->l->max_total)
		return -E2BIG;
	h.pt = node - w->l->pt_list;
	if (!w->r->read(w->r->ctx, h.pt + w->l->pt_type, raw, 2))
		h.type = vmi_get_u16(raw);
	for (i = 0; i < VMI_PT_FNS; i++) {
		if (!(w->l->flags & VMI_PT_HAS_FN(i)))
			continue;
		h.member = i;
		if (vmi_read_u64(w->r, h.pt + w->l->fn_off[i], &h.fn)) {
			h.fn = 0;
			h.err = -EFAULT;
			return pt_call(w, &h);
		}
		err = pt_call(w, &h);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The list at @head: 0 (walked, or passed as bad), -E2BIG (over the
 * total cap: passed as bad, no more packet types to read) or the
 * callback's error.
 */
static int pt_list(struct pt_walk *w, u32 list, u32 bucket, u64 head)
{
	struct vmi_ptype_hook h;
	int err;

	w->cur.list = list;
	w->cur.bucket = bucket;
	w->cur.head = head;
	w->fn_err = 0;
	err = vmi_list_walk(w->r, head, w->l->max_list, pt_visit, w, NULL);
	if (!err || w->fn_err)
		return err;
	h = w->cur;
	h.err = err;
	if (pt_call(w, &h))
		return w->fn_err;
	return err == -E2BIG ? -E2BIG : 0;
}

/* A namespace's or device's two lists at @all and @specific. */
static int pt_pair(struct pt_walk *w, u32 list_all, u64 all, u64 specific)
{
	int err;

	if (w->seen > w->l->max_total)
		return 0;
	err = pt_list(w, list_all, 0, all);
	err = err ?: pt_list(w, list_all + 1, 0, specific);
	return err == -E2BIG ? 0 : err;
}

static int pt_dev(void *ctx, const struct vmi_netns_pos *p)
{
	struct pt_walk *w = ctx;
	const struct vmi_ptype_layout *l = w->l;

	w->cur.dev = p->dev;
	return pt_pair(w, VMI_PT_DEV_ALL, p->dev + l->dev_all,
		       p->dev + l->dev_specific);
}

/* A namespace or device list that does not end: a bad list. */
static int pt_bad_list(void *ctx, const struct vmi_netns_pos *p)
{
	struct pt_walk *w = ctx;
	struct vmi_ptype_hook h = {
		.net = p->net, .netns = p->netns, .head = p->head,
		.list = p->net ? VMI_PT_DEV_LIST : VMI_PT_NETNS_LIST,
		.err = p->err,
	};

	return w->fn(w->ctx, &h);
}

/* A namespace's own lists (on kernels that have them). */
static int pt_net(void *ctx, const struct vmi_netns_pos *p)
{
	struct pt_walk *w = ctx;
	const struct vmi_ptype_layout *l = w->l;

	w->cur = (struct vmi_ptype_hook){ .net = p->net, .netns = p->netns };
	if (!(l->flags & VMI_PT_HAS_NET_LISTS))
		return 0;
	return pt_pair(w, VMI_PT_NET_ALL, p->net + l->net_all,
		       p->net + l->net_specific);
}

/* ptype_all (if the kernel has a global one), then ptype_base[]. */
static int pt_global(struct pt_walk *w)
{
	u32 i;
	int err = 0;

	if (w->l->all)
		err = pt_list(w, VMI_PT_ALL, 0, w->l->all);
	for (i = 0; !err && i < VMI_PT_HASH; i++)
		err = pt_list(w, VMI_PT_BASE, i, w->l->base + 16ULL * i);
	return err == -E2BIG ? 0 : err;
}

int vmi_ptype_walk(const struct vmi_read_ops *r,
		   const struct vmi_ptype_layout *l, vmi_ptype_fn fn,
		   void *ctx)
{
	static const struct vmi_netns_ops ops = {
		.net = pt_net, .dev = pt_dev, .bad = pt_bad_list,
	};
	struct pt_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	struct vmi_netns_layout ns;
	int err;

	if (!r || !r->read || !fn || !vmi_ptype_layout_ok(l))
		return -EINVAL;
	ns = (struct vmi_netns_layout){
		.net_head = l->net_head, .net_list = l->net_list,
		.net_inum = l->net_inum, .dev_base = l->dev_base,
		.dev_list = l->dev_list, .max_netns = l->max_netns,
		.max_devs = l->max_devs,
	};
	err = pt_global(&w);
	return err ?: vmi_netns_walk(r, &ns, &ops, &w);
}

struct pt_judge {
	const struct vmi_range *allow;
	u32 nr_allow;
	struct vmi_ptype_suspects *s;
};

static int pt_suspect(void *ctx, const struct vmi_ptype_hook *h)
{
	struct pt_judge *j = ctx;

	/* a NULL function is one the packet type does not have */
	if (!h->err && (!h->fn || vmi_in_ranges(h->fn, j->allow, j->nr_allow)))
		return 0;
	if (!j->s->nr++)
		j->s->first = *h;
	return 0;
}

int vmi_ptype_suspects(const struct vmi_read_ops *r,
		       const struct vmi_ptype_layout *l,
		       const struct vmi_range *allow, u32 nr_allow,
		       struct vmi_ptype_suspects *ret)
{
	struct pt_judge j = { .allow = allow, .nr_allow = nr_allow, .s = ret };

	if (!ret || (nr_allow && !allow))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	return vmi_ptype_walk(r, l, pt_suspect, &j);
}
