// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The network devices of every namespace: see netdevwalk.h.
 */
#include "netdevwalk.h"
#include "uapi/linux/vmiaas.h"

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

/* ---- netdev-hook: a device's traffic control ---- */

struct tc_walk {
	const struct vmi_read_ops *r;
	const struct vmi_tc_layout *l;
	vmi_tc_fn fn;
	void *ctx;
	struct vmi_tc_item it;	/* dev, kind and dir of the list walked */
	int cb_err;
};

static bool tc_offsets_ok(const struct vmi_tc_layout *l)
{
	const u32 off[] = {
		l->dev_qdisc, l->dev_qdisc_hash, l->dev_ingress_queue,
		l->txq_qdisc, l->q_enqueue, l->q_dequeue, l->q_ops, l->q_hash,
		l->dev_miniq[0], l->dev_miniq[1], l->dev_tcx[0], l->dev_tcx[1],
		l->me_fp, l->me_parent, l->bundle_cp, l->te_bundle,
		l->te_miniq, l->mq_filters, l->tp_root, l->tp_classify,
		l->tp_ops, l->ops_kind,
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(off); i++)
		if (off[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
}

bool vmi_tc_layout_ok(const struct vmi_tc_layout *l)
{
	return l && !(l->has & ~VMI_TC_HAS_ALL) &&
	       l->nr_hash <= VMI_TC_HASH_MAX && tc_offsets_ok(l) &&
	       (!(l->has & (1U << VMI_TC_HAS_FILTERS)) || !l->tp_next);
}

static int tc_call(struct tc_walk *w, const struct vmi_tc_item *it)
{
	w->cb_err = w->fn(w->ctx, it);
	return w->cb_err;
}

/* A list or pointer at @at that could not be walked (@err). */
static int tc_bad(struct tc_walk *w, u64 at, int err)
{
	struct vmi_tc_item it = w->it;

	it.kind = VMI_TC_BAD;
	it.obj = at;
	it.err = err;
	return tc_call(w, &it);
}

/* Reads the pointer at @va into *@ret; unreadable: a bad item, 0 in it. */
static int tc_ptr(struct tc_walk *w, u64 va, u64 *ret)
{
	int err = vmi_read_u64(w->r, va, ret);

	if (!err)
		return 0;
	*ret = 0;
	return tc_bad(w, va, err);
}

/* The qdisc @q: its enqueue, dequeue and ops. */
static int tc_qdisc(struct tc_walk *w, u32 kind, u64 q)
{
	const struct vmi_tc_layout *l = w->l;
	struct vmi_tc_item it = w->it;

	if (!q)
		return 0;
	if (!vmi_kernel_ptr(q))
		return tc_bad(w, q, -EBADMSG);
	it.kind = kind;
	it.obj = q;
	if (vmi_read_u64(w->r, q + l->q_enqueue, &it.fn[0]) ||
	    vmi_read_u64(w->r, q + l->q_dequeue, &it.fn[1]) ||
	    vmi_read_u64(w->r, q + l->q_ops, &it.ops))
		return tc_bad(w, q, -EFAULT);
	return tc_call(w, &it);
}

static int tc_hash_node(void *ctx, u64 node)
{
	struct tc_walk *w = ctx;

	return tc_qdisc(w, VMI_TC_QDISC_CHILD, node - w->l->q_hash);
}

/*
 * Calls @node_fn for each node of the (h)list at @head; a list that does
 * not end is a bad item. Returns the callback's error only.
 */
static int tc_list(struct tc_walk *w, u64 head, bool hlist, u32 max,
		   vmi_node_fn node_fn)
{
	int err;

	w->cb_err = 0;
	if (hlist)
		err = vmi_hlist_walk(w->r, head, max, node_fn, w, NULL);
	else
		err = vmi_list_walk(w->r, head, max, node_fn, w, NULL);
	if (w->cb_err || !err)
		return w->cb_err;
	return tc_bad(w, head, err);
}

/* The root qdisc, the hashed ones, the ingress/clsact one. */
static int tc_qdiscs(struct tc_walk *w, u64 dev)
{
	const struct vmi_tc_layout *l = w->l;
	u64 q, txq;
	u32 i;
	int err;

	if (l->has & (1U << VMI_TC_HAS_ROOT)) {
		err = tc_ptr(w, dev + l->dev_qdisc, &q) ?:
		      tc_qdisc(w, VMI_TC_QDISC, q);
		if (err)
			return err;
	}
	for (i = 0; (l->has & (1U << VMI_TC_HAS_HASH)) && i < l->nr_hash; i++) {
		err = tc_list(w, dev + l->dev_qdisc_hash + 8ULL * i, true,
			      VMI_TC_QDISCS_MAX, tc_hash_node);
		if (err)
			return err;
	}
	if (!(l->has & (1U << VMI_TC_HAS_INGRESS)))
		return 0;
	err = tc_ptr(w, dev + l->dev_ingress_queue, &txq);
	if (err || !txq)
		return err;
	if (!vmi_kernel_ptr(txq))
		return tc_bad(w, dev + l->dev_ingress_queue, -EBADMSG);
	return tc_ptr(w, txq + l->txq_qdisc, &q) ?:
	       tc_qdisc(w, VMI_TC_QDISC_INGRESS, q);
}

static int tc_cls_bpf_node(void *ctx, u64 node)
{
	struct tc_walk *w = ctx;
	struct vmi_tc_item it = w->it;

	it.kind = VMI_TC_CLS_BPF;
	if (vmi_read_u64(w->r, node - VMI_CLS_BPF_LINK + VMI_CLS_BPF_FILTER,
			 &it.obj))
		return tc_bad(w, node, -EFAULT);
	return tc_call(w, &it);
}

/* One tcf_proto of a chain; a cls_bpf one's programs after it. */
static int tc_filter_node(void *ctx, u64 tp)
{
	static const char bpf[] = "bpf";	/* with its NUL */
	struct tc_walk *w = ctx;
	const struct vmi_tc_layout *l = w->l;
	struct vmi_tc_item it = w->it;
	char kind[sizeof(bpf)];
	u64 root;
	int err;

	it.kind = VMI_TC_FILTER;
	it.obj = tp;
	if (vmi_read_u64(w->r, tp + l->tp_classify, &it.fn[0]) ||
	    vmi_read_u64(w->r, tp + l->tp_ops, &it.ops))
		return tc_bad(w, tp, -EFAULT);
	err = tc_call(w, &it);
	if (err || !vmi_kernel_ptr(it.ops) ||
	    w->r->read(w->r->ctx, it.ops + l->ops_kind, kind, sizeof(kind)) ||
	    memcmp(kind, bpf, sizeof(bpf)))
		return err;
	if (vmi_read_u64(w->r, tp + l->tp_root, &root) || !root)
		return tc_bad(w, tp + l->tp_root, -EFAULT);
	if (!vmi_kernel_ptr(root))
		return tc_bad(w, tp + l->tp_root, -EBADMSG);
	w->it.ops = tp;
	err = tc_list(w, root + VMI_CLS_BPF_PLIST, false, VMI_TC_CLS_BPF_MAX,
		      tc_cls_bpf_node);
	w->it.ops = 0;
	/* tc_list() zeroed cb_err: the chain's walk must go on */
	return err;
}

/* The tcx programs of the entry @entry; its mini_Qdisc in *@ret_miniq. */
static int tc_tcx(struct tc_walk *w, u64 entry, u64 *ret_miniq)
{
	const struct vmi_tc_layout *l = w->l;
	struct vmi_tc_item it = w->it;
	u64 bundle;
	u32 i;
	int err;

	*ret_miniq = 0;
	if (!vmi_kernel_ptr(entry))
		return tc_bad(w, entry, -EBADMSG);
	err = tc_ptr(w, entry + l->me_parent, &bundle);
	if (err || !bundle)
		return err;
	if (!vmi_kernel_ptr(bundle) || bundle < l->te_bundle)
		return tc_bad(w, entry + l->me_parent, -EBADMSG);
	it.kind = VMI_TC_TCX;
	for (i = 0; i < VMI_TC_TCX_MAX; i++) {
		err = tc_ptr(w, entry + l->me_fp + 8ULL * i, &it.obj);
		if (err || !it.obj)
			break;
		err = tc_ptr(w, bundle + l->bundle_cp + 8ULL * i, &it.link) ?:
		      tc_call(w, &it);
		if (err)
			return err;
	}
	if (err)
		return err;
	return tc_ptr(w, bundle - l->te_bundle + l->te_miniq, ret_miniq);
}

/* The filters and programs of side @dir. */
static int tc_side(struct tc_walk *w, u64 dev, u32 dir)
{
	const struct vmi_tc_layout *l = w->l;
	u64 p, miniq = 0;
	int err = 0;

	w->it.dir = dir;
	if (l->has & (1U << VMI_TC_HAS_MINIQ)) {
		err = tc_ptr(w, dev + l->dev_miniq[dir], &miniq);
	} else if (l->has & (1U << VMI_TC_HAS_TCX)) {
		err = tc_ptr(w, dev + l->dev_tcx[dir], &p);
		if (!err && p)
			err = tc_tcx(w, p, &miniq);
	}
	if (err || !miniq || !(l->has & (1U << VMI_TC_HAS_FILTERS)))
		return err;
	if (!vmi_kernel_ptr(miniq))
		return tc_bad(w, miniq, -EBADMSG);
	/* tcf_proto.next is its first member: the chain is an hlist */
	return tc_list(w, miniq + l->mq_filters, true, VMI_TC_FILTERS_MAX,
		       tc_filter_node);
}

int vmi_tc_walk(const struct vmi_read_ops *r, const struct vmi_tc_layout *l,
		u64 dev, vmi_tc_fn fn, void *ctx)
{
	struct tc_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	int err;

	if (!r || !r->read || !fn || !vmi_tc_layout_ok(l))
		return -EINVAL;
	w.it.dev = dev;
	err = tc_qdiscs(&w, dev) ?: tc_side(&w, dev, 0);
	return err ?: tc_side(&w, dev, 1);
}

/* ---- vmiaas.ko's netdev-hook ---- */

/* The bytes of a table through its last function word, by @map. */
static u32 nd_map_size(const u64 *map)
{
	u32 w, size = 0;

	for (w = 0; w < VMI_ND_TABLE_BYTES / 8; w++)
		if (map[w / 64] & (1ULL << (w % 64)))
			size = 8 * (w + 1);
	return size;
}

int vmi_netdev_policy_of(const struct vmiaas_netdev_check *nc, u64 net_head,
			 struct vmi_netdev_policy *p)
{
	struct vmi_range *rg;
	u32 i;

	memset(p, 0, sizeof(*p));
	if (nc->reserved || !(net_head >> 63) || !nc->nr_allow || !nc->nr_ro ||
	    nc->nr_allow > VMI_ND_RANGES_MAX ||
	    nc->nr_ro > VMI_ND_RANGES_MAX - nc->nr_allow ||
	    (!nc->fns[0][0] && !nc->fns[0][1]) ||
	    nc->dev_name >= VMI_OFFSET_MAX)
		return -EINVAL;
	p->l = (struct vmi_netdev_layout){
		.ns = {
			.net_head = net_head, .net_list = nc->net_list,
			.net_inum = nc->net_inum, .dev_base = nc->dev_base,
			.dev_list = nc->dev_list, .max_netns = VMI_NETNS_MAX,
			.max_devs = VMI_NET_DEVS_MAX,
		},
		.has = (1U << (VMI_ND_HEADER_OPS + 1)) - 1,
	};
	p->l.off[VMI_ND_RX_HANDLER] = nc->rx_handler;
	p->l.off[VMI_ND_RX_DATA] = nc->rx_data;
	p->dev_name = nc->dev_name;
	for (i = 0; i < VMI_ND_TABLES; i++) {
		p->l.off[VMI_ND_NETDEV_OPS + i] = nc->table_off[i];
		memcpy(p->fns[i], nc->fns[i], sizeof(p->fns[i]));
		p->size[i] = nd_map_size(p->fns[i]);
	}
	p->nr_allow = nc->nr_allow;
	p->nr_ro = nc->nr_ro;
	for (i = 0; i < nc->nr_allow + nc->nr_ro; i++) {
		if (nc->ranges[i][0] >= nc->ranges[i][1])
			return -EINVAL;
		rg = i < nc->nr_allow ? &p->allow[i] :
					&p->ro[i - nc->nr_allow];
		rg->start = nc->ranges[i][0];
		rg->end = nc->ranges[i][1];
	}
	return vmi_netdev_layout_ok(&p->l) ? 0 : -EINVAL;
}

struct nd_judge {
	const struct vmi_read_ops *r;
	const struct vmi_netdev_policy *p;
	struct vmi_netdev_scratch *s;
	struct vmi_netdev_suspects *ret;
	bool over;		/* the device cap was passed */
};

/* Counts suspect @x, and keeps it (with its device's name) if first. */
static void nd_suspect(struct nd_judge *j, const struct vmi_netdev_suspect *x)
{
	struct vmi_netdev_suspect *f = &j->ret->first;

	if (j->ret->nr++)
		return;
	*f = *x;
	memset(f->name, 0, sizeof(f->name));
	if (f->dev && j->r->read(j->r->ctx, f->dev + j->p->dev_name, f->name,
				 sizeof(f->name)))
		memset(f->name, 0, sizeof(f->name));
}

static bool nd_seen(const struct vmi_netdev_scratch *s, u64 table)
{
	u32 i;

	for (i = 0; i < s->nr_seen && i < VMI_ND_SEEN; i++)
		if (s->seen[i] == table)
			return true;
	return false;
}

/*
 * Table @which of device @h: where it lies, then its functions (read in
 * one piece, up to its last function word).
 */
static void nd_judge_table(struct nd_judge *j, const struct vmi_netdev_hook *h,
			   u32 which)
{
	const struct vmi_netdev_policy *p = j->p;
	struct vmi_netdev_scratch *s = j->s;
	struct vmi_netdev_suspect x = {
		.dev = h->pos.dev, .netns = h->pos.netns,
		.point = VMI_ND_NETDEV_OPS + which,
		.where = h->ptr[VMI_ND_NETDEV_OPS + which],
	};
	u64 before = j->ret->nr, fn;
	u32 w;

	if (!x.where || nd_seen(s, x.where))
		return;
	x.value = x.where;
	if (!vmi_in_ranges(x.where, p->ro, p->nr_ro)) {
		x.err = -EPERM;
		nd_suspect(j, &x);
	}
	if (p->size[which] &&
	    j->r->read(j->r->ctx, x.where, s->table, p->size[which])) {
		if (!x.err) {
			x.err = -EFAULT;
			nd_suspect(j, &x);
		}
		return;
	}
	x.err = 0;
	for (w = 0; w < p->size[which] / 8; w++) {
		if (!(p->fns[which][w / 64] & (1ULL << (w % 64))))
			continue;
		fn = vmi_get_u64(s->table + 8 * w);
		if (!fn || vmi_in_ranges(fn, p->allow, p->nr_allow))
			continue;
		x.value = fn;
		x.off = 8 * w;
		nd_suspect(j, &x);
	}
	if (j->ret->nr == before)
		s->seen[s->nr_seen++ % VMI_ND_SEEN] = x.where;
}

static int nd_judge_dev(void *ctx, const struct vmi_netdev_hook *h)
{
	struct nd_judge *j = ctx;
	struct vmi_netdev_suspect x = {
		.dev = h->pos.dev, .netns = h->pos.netns,
	};
	u32 i;

	if (!h->pos.dev) {	/* a list that does not end */
		x.point = h->pos.net ? VMI_ND_BAD_DEVS : VMI_ND_BAD_NETNS;
		x.where = h->pos.head;
		x.err = h->pos.err;
		nd_suspect(j, &x);
		return 0;
	}
	if (++j->s->devs > VMI_ND_TOTAL_MAX) {
		x.point = VMI_ND_BAD_TOTAL;
		x.err = -E2BIG;
		nd_suspect(j, &x);
		j->over = true;
		return -E2BIG;
	}
	if (h->read != j->p->l.has) {
		x.point = VMI_ND_BAD_DEV;
		x.err = -EFAULT;
		nd_suspect(j, &x);
		return 0;
	}
	x.value = h->ptr[VMI_ND_RX_HANDLER];
	if (x.value && !vmi_in_ranges(x.value, j->p->allow, j->p->nr_allow)) {
		x.point = VMI_ND_RX_HANDLER;
		x.data = h->ptr[VMI_ND_RX_DATA];
		nd_suspect(j, &x);
	}
	for (i = 0; i < VMI_ND_TABLES; i++)
		nd_judge_table(j, h, i);
	return 0;
}

int vmi_netdev_suspects(const struct vmi_read_ops *r,
			const struct vmi_netdev_policy *p,
			struct vmi_netdev_scratch *s,
			struct vmi_netdev_suspects *ret)
{
	struct nd_judge j = { .r = r, .p = p, .s = s, .ret = ret };
	int err;

	memset(ret, 0, sizeof(*ret));
	s->nr_seen = 0;
	s->devs = 0;
	err = vmi_netdev_walk(r, &p->l, nd_judge_dev, &j);
	return j.over ? 0 : err;
}

void vmi_netdev_found(const struct vmi_netdev_suspects *s,
		      struct vmiaas_found *f)
{
	const struct vmi_netdev_suspect *x = &s->first;

	f->kind = x->err ? VMIAAS_FOUND_NETDEV_BAD : VMIAAS_FOUND_NETDEV_FN;
	f->dev = x->dev;
	f->netns = x->netns;
	f->point = x->point;
	f->where = x->where;
	f->value = x->value;
	f->expected = x->data;
	f->index = x->off;
	f->err = x->err;
	memcpy(f->path, x->name, sizeof(x->name));
	f->path[sizeof(x->name)] = '\0';
}
