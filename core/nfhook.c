// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * netfilter-hook's execution: see nfhook.h.
 */
#include "nfhook.h"

#define NF_PAIRS	32	/* hooks read at once */

struct nf_walk {
	const struct vmi_read_ops *r;
	const struct vmi_nf_layout *l;
	vmi_nf_fn fn;
	void *ctx;
	struct vmi_nf_hook cur;		/* net, dev, netns, family, point */
	u64 pairs[2 * NF_PAIRS];
};

bool vmi_nf_layout_ok(const struct vmi_nf_layout *l)
{
	u32 i;

	if (!l || l->flags & ~(VMI_NF_HAS_INGRESS | VMI_NF_HAS_EGRESS))
		return false;
	if (l->net_list >= VMI_NF_OFFSET_MAX ||
	    l->net_inum >= VMI_NF_OFFSET_MAX ||
	    l->dev_base >= VMI_NF_OFFSET_MAX ||
	    l->dev_list >= VMI_NF_OFFSET_MAX ||
	    l->ingress >= VMI_NF_OFFSET_MAX || l->egress >= VMI_NF_OFFSET_MAX)
		return false;
	for (i = 0; i < VMI_NF_FAMILIES; i++)
		if (l->fam_off[i] >= VMI_NF_OFFSET_MAX ||
		    l->fam_nr[i] > VMI_NF_POINTS_MAX)
			return false;
	return true;
}

static int nf_bad(struct nf_walk *w, u64 entries, int err)
{
	struct vmi_nf_hook h = w->cur;

	h.entries = entries;
	h.err = err;
	return w->fn(w->ctx, &h);
}

/* The hooks of the struct nf_hook_entries pointer stored at @slot. */
static int nf_point(struct nf_walk *w, u64 slot)
{
	struct vmi_nf_hook h = w->cur;
	u8 raw[2];
	u32 i, k, n, num;
	int err;

	if (vmi_read_u64(w->r, slot, &h.entries))
		return nf_bad(w, 0, -EFAULT);
	if (!h.entries)
		return 0;
	if (w->r->read(w->r->ctx, h.entries, raw, 2))
		return nf_bad(w, h.entries, -EFAULT);
	num = vmi_get_u16(raw);
	if (num > VMI_NF_HOOKS_MAX)
		return nf_bad(w, h.entries, -E2BIG);
	for (i = 0; i < num; i += n) {
		n = min_t(u32, num - i, NF_PAIRS);
		if (w->r->read(w->r->ctx, h.entries + 8 + 16ULL * i, w->pairs,
			       16ULL * n))
			return nf_bad(w, h.entries, -EFAULT);
		for (k = 0; k < n; k++) {
			h.fn = w->pairs[2 * k];
			h.index = i + k;
			err = w->fn(w->ctx, &h);
			if (err)
				return err;
		}
	}
	return 0;
}

static int nf_dev(void *ctx, u64 node)
{
	struct nf_walk *w = ctx;
	const struct vmi_nf_layout *l = w->l;
	int err = 0;

	w->cur.dev = node - l->dev_list;
	w->cur.point = 0;
	if (l->flags & VMI_NF_HAS_INGRESS) {
		w->cur.family = VMI_NF_INGRESS;
		err = nf_point(w, w->cur.dev + l->ingress);
	}
	if (!err && (l->flags & VMI_NF_HAS_EGRESS)) {
		w->cur.family = VMI_NF_EGRESS;
		err = nf_point(w, w->cur.dev + l->egress);
	}
	return err;
}

/* A list that vmi_list_walk() ended with @err: a bad point or an error. */
static int nf_list_end(struct nf_walk *w, u32 family, u64 head, int err)
{
	if (err != -ELOOP && err != -EBADMSG)
		return err;
	w->cur.family = family;
	w->cur.dev = 0;
	w->cur.point = 0;
	return nf_bad(w, head, err);
}

static int nf_net(void *ctx, u64 node)
{
	struct nf_walk *w = ctx;
	const struct vmi_nf_layout *l = w->l;
	u8 raw[4];
	u32 f, p;
	int err;

	w->cur = (struct vmi_nf_hook){ .net = node - l->net_list };
	if (!w->r->read(w->r->ctx, w->cur.net + l->net_inum, raw, 4))
		w->cur.netns = vmi_get_u32(raw);
	for (f = 0; f < VMI_NF_FAMILIES; f++)
		for (p = 0; p < l->fam_nr[f]; p++) {
			w->cur.family = f;
			w->cur.point = p;
			err = nf_point(w, w->cur.net + l->fam_off[f] + 8ULL * p);
			if (err)
				return err;
		}
	if (!(l->flags & (VMI_NF_HAS_INGRESS | VMI_NF_HAS_EGRESS)))
		return 0;
	err = vmi_list_walk(w->r, w->cur.net + l->dev_base, l->max_devs,
			    nf_dev, w, NULL);
	return nf_list_end(w, VMI_NF_DEV_LIST, w->cur.net + l->dev_base, err);
}

int vmi_nf_walk(const struct vmi_read_ops *r, const struct vmi_nf_layout *l,
		vmi_nf_fn fn, void *ctx)
{
	struct nf_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	int err;

	if (!r || !r->read || !fn || !vmi_nf_layout_ok(l))
		return -EINVAL;
	err = vmi_list_walk(r, l->net_head, l->max_netns, nf_net, &w, NULL);
	if (err == -ELOOP || err == -EBADMSG)
		w.cur = (struct vmi_nf_hook){ 0 };
	return nf_list_end(&w, VMI_NF_NETNS_LIST, l->net_head, err);
}

struct nf_judge {
	const struct vmi_range *allow;
	u32 nr_allow;
	struct vmi_nf_suspects *s;
};

static int nf_suspect(void *ctx, const struct vmi_nf_hook *h)
{
	struct nf_judge *j = ctx;

	if (!h->err && vmi_in_ranges(h->fn, j->allow, j->nr_allow))
		return 0;
	if (!j->s->nr++)
		j->s->first = *h;
	return 0;
}

int vmi_nf_suspects(const struct vmi_read_ops *r,
		    const struct vmi_nf_layout *l,
		    const struct vmi_range *allow, u32 nr_allow,
		    struct vmi_nf_suspects *ret)
{
	struct nf_judge j = { .allow = allow, .nr_allow = nr_allow, .s = ret };

	if (!ret || (nr_allow && !allow))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	return vmi_nf_walk(r, l, nf_suspect, &j);
}
