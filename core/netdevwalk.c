// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The network devices of every namespace: see netdevwalk.h.
 */
#include "netdevwalk.h"

struct ns_walk {
	const struct vmi_read_ops *r;
	const struct vmi_netns_layout *l;
	const struct vmi_netns_ops *ops;
	void *ctx;
	struct vmi_netns_pos cur;	/* net, netns, dev */
	int cb_err;			/* what a callback returned */
};

bool vmi_netns_layout_ok(const struct vmi_netns_layout *l)
{
	return l && l->net_list < VMI_OFFSET_MAX &&
	       l->net_inum < VMI_OFFSET_MAX && l->dev_base < VMI_OFFSET_MAX &&
	       l->dev_list < VMI_OFFSET_MAX && l->max_netns <= VMI_NETNS_MAX &&
	       l->max_devs <= VMI_NET_DEVS_MAX;
}

/* Passes @p to @fn; its error is remembered as not the walk's. */
static int ns_call(struct ns_walk *w,
		   int (*fn)(void *ctx, const struct vmi_netns_pos *p),
		   const struct vmi_netns_pos *p)
{
	w->cb_err = fn(w->ctx, p);
	return w->cb_err;
}

static int ns_dev(void *ctx, u64 node)
{
	struct ns_walk *w = ctx;

	w->cur.dev = node - w->l->dev_list;
	return ns_call(w, w->ops->dev, &w->cur);
}

/*
 * The namespace or device list at @head that vmi_list_walk() ended with
 * @err: a bad list (-ELOOP, -EBADMSG) to the callback, or an error.
 */
static int ns_end(struct ns_walk *w, u64 head, int err)
{
	struct vmi_netns_pos p = w->cur;

	if (err != -ELOOP && err != -EBADMSG)
		return err;
	p.dev = 0;
	p.head = head;
	p.err = err;
	return ns_call(w, w->ops->bad, &p);
}

static int ns_net(void *ctx, u64 node)
{
	struct ns_walk *w = ctx;
	const struct vmi_netns_layout *l = w->l;
	u64 devs;
	u8 raw[4];
	int err;

	w->cur = (struct vmi_netns_pos){ .net = node - l->net_list };
	if (!w->r->read(w->r->ctx, w->cur.net + l->net_inum, raw, 4))
		w->cur.netns = vmi_get_u32(raw);
	if (w->ops->net && ns_call(w, w->ops->net, &w->cur))
		return w->cb_err;
	devs = w->cur.net + l->dev_base;
	w->cb_err = 0;
	err = vmi_list_walk(w->r, devs, l->max_devs, ns_dev, w, NULL);
	if (w->cb_err)
		return err;
	w->cur.dev = 0;
	return ns_end(w, devs, err);
}

int vmi_netns_walk(const struct vmi_read_ops *r,
		   const struct vmi_netns_layout *l,
		   const struct vmi_netns_ops *ops, void *ctx)
{
	struct ns_walk w = { .r = r, .l = l, .ops = ops, .ctx = ctx };
	int err;

	if (!r || !r->read || !ops || !ops->dev || !ops->bad ||
	    !vmi_netns_layout_ok(l))
		return -EINVAL;
	err = vmi_list_walk(r, l->net_head, l->max_netns, ns_net, &w, NULL);
	if (w.cb_err)
		return err;
	w.cur = (struct vmi_netns_pos){ 0 };
	return ns_end(&w, l->net_head, err);
}

/* ---- netdev-hook: each device's pointers ---- */

struct nd_walk {
	const struct vmi_read_ops *r;
	const struct vmi_netdev_layout *l;
	vmi_netdev_fn fn;
	void *ctx;
};

bool vmi_netdev_layout_ok(const struct vmi_netdev_layout *l)
{
	u32 i;

	if (!l || (l->has & ~VMI_ND_HAS_ALL) || !vmi_netns_layout_ok(&l->ns))
		return false;
	for (i = 0; i < VMI_ND_PTRS; i++)
		if (l->off[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
}

static int nd_dev(void *ctx, const struct vmi_netns_pos *p)
{
	struct nd_walk *w = ctx;
	struct vmi_netdev_hook h = { .pos = *p };
	u32 i;

	for (i = 0; i < VMI_ND_PTRS; i++) {
		if (!(w->l->has & (1U << i)))
			continue;
		if (!vmi_read_u64(w->r, p->dev + w->l->off[i], &h.ptr[i]))
			h.read |= 1U << i;
		else
			h.ptr[i] = 0;
	}
	return w->fn(w->ctx, &h);
}

static int nd_bad(void *ctx, const struct vmi_netns_pos *p)
{
	struct nd_walk *w = ctx;
	struct vmi_netdev_hook h = { .pos = *p };

	return w->fn(w->ctx, &h);
}

int vmi_netdev_walk(const struct vmi_read_ops *r,
		    const struct vmi_netdev_layout *l, vmi_netdev_fn fn,
		    void *ctx)
{
	static const struct vmi_netns_ops ops = { .dev = nd_dev, .bad = nd_bad };
	struct nd_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };

	if (!fn || !vmi_netdev_layout_ok(l))
		return -EINVAL;
	return vmi_netns_walk(r, &l->ns, &ops, &w);
}
