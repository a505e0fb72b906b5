// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * netdev-hook: what a network device itself calls for its packets.
 *
 * packet-tap judges the dev_add_pack() handlers, netfilter-hook the
 * hooks, net-protocol the transport tables. A backdoor or a packet hider
 * can sit on the device instead, changing no text and no read-only data:
 *   - an rx_handler (netdev_rx_handler_register()): called for every
 *     packet the device receives, before the packet taps and netfilter;
 *     it can consume (drop, steal) the packet. Bridges, bonds, macvlan,
 *     ipvlan, team and openvswitch use it, all in-tree modules;
 *   - a copy of the device's netdev_ops with its own ndo_start_xmit (hides
 *     or alters outgoing packets), or copies of ethtool_ops or header_ops;
 *   - an XDP program attached to the device (xdp_state[]).
 * Judged here, per device of every namespace (the walk is core/
 * netdevwalk.c's, bounded and cycle-checked):
 *   - the rx_handler by hookpolicy.h's rules (kernel text nothing, an
 *     untainted module an event, a tainted one high, anywhere else
 *     critical);
 *   - each table: in the kernel's rodata (then measured by kernel-rodata,
 *     its functions not judged), or in a live module's read-only data
 *     (its functions judged by the same rules); anywhere else (a module's
 *     writable data, the heap) critical: every such table of 6.1 and
 *     6.12 is const, so a writable one is a copy;
 *   - an XDP program: an event naming the device, the program's id and
 *     whether a bpf_link holds it (bpf-programs judges the programs
 *     themselves);
 *   - traffic control (core/netdevwalk.c's vmi_tc_walk()): each qdisc
 *     (root, on qdisc_hash, ingress/clsact) by its enqueue and dequeue
 *     and its Qdisc_ops, each filter of the ingress and egress chains by
 *     its classify and its tcf_proto_ops, all functions by the hook
 *     rules; a Qdisc_ops or tcf_proto_ops that is neither registered
 *     (qdisc_base, tcf_proto_base) nor in the kernel image is a copy:
 *     critical (those tables are writable: qdisc modules keep them in
 *     .data, so where it lies alone proves nothing); a qdisc's
 *     Qdisc_class_ops as the device's tables (every qdisc's is const);
 *     a cls_bpf filter's or tcx's BPF program: an event as for XDP.
 * A device list or namespace list that does not end is critical. What a
 * scan reports is confirmed by a second one (check_confirmed()).
 *
 * vmiaas.ko's record (nd_module_record()) carries the layout, the tables'
 * function words and two sets of ranges: a function's (the kernel's text,
 * the text of the untainted or trusted modules seen hooking, as every
 * hook record) and a table's (the kernel's rodata, then the part of each
 * module that holds a device's table now). The module judges the
 * functions of every table, the kernel's own too (they lie in its text);
 * XDP programs and traffic control stay this check's alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uapi/linux/vmiaas.h"
#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "modarea.h"
#include "../../core/netdevwalk.h"

#define ND_DEV_TABLES	3		/* netdev_ops, ethtool_ops, header_ops */
#define ND_TABLES	6		/* the device's 3, tc's 3 */
#define ND_T_QDISC	3
#define ND_T_TCF	4
#define ND_T_CLASS	5		/* Qdisc_ops.cl_ops */
#define ND_TABLE_FNS	160		/* function pointers of one table */
#define ND_TABLE_MAX	2048		/* bytes of one table read */
#define ND_PROGS_MAX	64		/* XDP and tc programs reported per scan */
#define ND_OPS_MAX	128		/* registered qdiscs, classifiers */
#define ND_NO_MEMBER	0xffffffffU	/* a member the kernel lacks */
#define ND_NAME		24		/* IFNAMSIZ, or "dev@" and 16 digits */
#define ND_RO_MAX	16		/* module parts holding tables */

static const char *const nd_table_names[ND_TABLES] = {
	"netdev_ops", "ethtool_ops", "header_ops", "Qdisc_ops",
	"tcf_proto_ops", "Qdisc_class_ops",
};

static const char *const nd_table_types[ND_TABLES] = {
	"net_device_ops", "ethtool_ops", "header_ops", "Qdisc_ops",
	"tcf_proto_ops", "Qdisc_class_ops",
};

static const char *const nd_xdp_modes[] = { "skb", "drv", "hw" };
static const char *const nd_dirs[] = { "ingress", "egress" };
static const char *const nd_qdisc_roles[] = {
	[VMI_TC_QDISC] = "root", [VMI_TC_QDISC_CHILD] = "child",
	[VMI_TC_QDISC_INGRESS] = "ingress",
};

struct nd_table {
	struct btf_fn_member fns[ND_TABLE_FNS];
	u32 nr_fns;
	u32 size;			/* bytes read: up to the last one */
};

enum nd_prog_hook { ND_XDP, ND_TC, ND_TCX };

/* An XDP, cls_bpf or tcx program on a device: an event. */
struct nd_prog {
	char dev[ND_NAME];
	char name[17];			/* bpf_prog_aux.name */
	u32 netns;
	u32 hook;			/* ND_XDP, ND_TC, ND_TCX */
	u32 mode;			/* XDP_MODE_*, or 0 ingress, 1 egress */
	u32 id;				/* bpf_prog_aux.id: 0 classic BPF */
	bool read;			/* a bpf_prog: id and name read */
	u64 prog, link;			/* tc: link is the tcf_proto */
};

/* Registered tables (qdisc_base, tcf_proto_base), read each scan. */
struct nd_registered {
	u64 head;			/* the list's symbol, 0 none */
	u32 next;			/* offset of the link in a table */
	bool hlist;			/* qdisc_base: a NULL-ended list */
	u64 ops[ND_OPS_MAX];
	u32 nr;
};

struct nd_check {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_netdev_layout l;	/* core/netdevwalk.c's */
	u32 dev_name;			/* offsetof(struct net_device, name) */
	u32 prog_aux, aux_id;		/* struct bpf_prog.aux, bpf_prog_aux.id */
	u32 aux_prog, aux_name;		/* bpf_prog_aux.prog, .name */
	bool has_prog_id;
	u64 ro_start, ro_end;		/* the kernel's rodata */
	u64 img_start, img_end;		/* the kernel image */
	struct vmiaas *v;
	struct vmi_read_ops r;
	struct nd_table t[ND_TABLES];
	struct vmi_tc_layout tc;	/* core/netdevwalk.c's */
	u32 qops_id, qops_cl;		/* Qdisc_ops.id, .cl_ops */
	struct nd_registered reg[2];	/* qdiscs, classifiers */
	const char *dev;		/* the device vmi_tc_walk() walks */
	u32 netns;
	struct nd_prog progs[ND_PROGS_MAX];
	u32 nr_progs;
	/* the module parts (text, read-only data) holding a device's table */
	struct vmi_range ro[ND_RO_MAX];
	u32 nr_ro;
	bool ro_over;			/* more than ND_RO_MAX */
};

/* The device's name, or "dev@ADDR". */
static void nd_dev_name(struct nd_check *c, u64 dev, char *buf)
{
	memset(buf, 0, ND_NAME);
	if (engine_read(c->v, dev + c->dev_name, buf, 16) || !buf[0])
		snprintf(buf, ND_NAME, "dev@%llx", (unsigned long long)dev);
	hook_printable(buf);
}

/* Remembers the part of the module holding @table, for the record. */
static void nd_ro_seen(struct nd_check *c, u64 table)
{
	int mod = hook_module_holding(&c->h, table);
	const struct bl_module *m;
	const struct bl_region *r;
	u32 i;

	if (mod < 0)
		return;
	m = &c->h.mods[mod];
	r = &m->text;
	for (i = 0; i < BL_MODULE_NR_RO; i++)
		if (table >= m->ro[i].start && table < m->ro[i].end)
			r = &m->ro[i];
	for (i = 0; i < c->nr_ro; i++)
		if (c->ro[i].start == r->start)
			return;
	if (c->nr_ro < ND_RO_MAX)
		c->ro[c->nr_ro++] = (struct vmi_range){ r->start, r->end };
	else
		c->ro_over = true;
}

/*
 * Where a device's table @table lies: NULL in the kernel's rodata
 * (*@ret_judge false: measured by kernel-rodata) or a live module's
 * read-only data (*@ret_judge true), else why not.
 */
static const char *nd_table_why(struct nd_check *c, u64 table,
				bool *ret_judge)
{
	*ret_judge = true;
	if (table >= c->ro_start && table < c->ro_end) {
		*ret_judge = false;
		return NULL;
	}
	if (hook_module_holding(&c->h, table) >= 0)
		return NULL;
	return "outside the kernel's read-only data and every module's: a copy (the kernel's and the drivers' tables are const)";
}

/*
 * The functions of table @table (struct nd_table @t) by the hook rules,
 * each named "the FN of @owner"; a table that cannot be read is bad
 * unless @quiet (it already had a finding).
 */
static void nd_table_fns(struct nd_check *c, const struct nd_table *t,
			 const char *object, const char *owner, u64 address,
			 u64 table, bool quiet)
{
	char where[HOOK_WHERE];
	u8 buf[ND_TABLE_MAX];
	u64 fn;
	u32 i;

	if (!t->nr_fns)
		return;
	if (engine_read(c->v, table, buf, t->size)) {
		if (quiet)
			return;
		snprintf(where, sizeof(where), "%s", owner);
		hook_bad(&c->h, object, where, address, "it cannot be read");
		return;
	}
	for (i = 0; i < t->nr_fns; i++) {
		memcpy(&fn, buf + t->fns[i].off, sizeof(fn));
		if (!hook_judged(&c->h, fn))
			continue;
		snprintf(where, sizeof(where), "the %s of %s", t->fns[i].name,
			 owner);
		hook_judge(c->v, &c->h, object, where, address, fn);
	}
}

/* One table of a device: where it lies, then its functions. */
static void nd_table(struct nd_check *c, const char *name, u64 dev,
		     u32 which, u64 table)
{
	char object[HOOK_OBJECT], where[HOOK_WHERE], sym[128];
	const char *why;
	bool judge;

	if (!table)
		return;
	snprintf(object, sizeof(object), "%s %s", name, nd_table_names[which]);
	why = nd_table_why(c, table, &judge);
	if (!why && judge)
		nd_ro_seen(c, table);	/* a device's table: the record's */
	if (why) {
		check_symbolize(c->v, table, sym, sizeof(sym));
		snprintf(where, sizeof(where), "device %s (0x%llx): its %s %.60s",
			 name, (unsigned long long)dev, nd_table_names[which],
			 sym);
		hook_bad(&c->h, object, where, dev, why);
	}
	if (!judge)
		return;
	snprintf(where, sizeof(where), "device %s's %s 0x%llx", name,
		 nd_table_names[which], (unsigned long long)table);
	nd_table_fns(c, &c->t[which], object, where, dev, table, why != NULL);
}

/* A program attached to a device, remembered for an event. */
static void nd_prog_seen(struct nd_check *c, const char *name, u32 netns,
			 u32 hook, u32 mode, u64 prog, u64 link)
{
	struct nd_prog *x;
	bool named = c->aux_prog != ND_NO_MEMBER;
	u64 aux = 0, back = prog;
	u32 id = 0;

	if (c->nr_progs >= ND_PROGS_MAX)
		return;
	x = &c->progs[c->nr_progs++];
	memset(x, 0, sizeof(*x));
	/* a bpf_prog is one whose aux points back at it (where BTF says so) */
	if (!c->has_prog_id || !vmi_kernel_ptr(prog) ||
	    engine_read_u64(c->v, prog + c->prog_aux, &aux) ||
	    !vmi_kernel_ptr(aux) ||
	    (named && engine_read_u64(c->v, aux + c->aux_prog, &back)) ||
	    back != prog || engine_read(c->v, aux + c->aux_id, &id, sizeof(id)) ||
	    (named && engine_read(c->v, aux + c->aux_name, x->name, 16)))
		id = 0;
	else
		x->read = true;
	hook_printable(x->name);
	snprintf(x->dev, sizeof(x->dev), "%s", name);
	x->netns = netns;
	x->hook = hook;
	x->mode = mode;
	x->id = id;
	x->prog = prog;
	x->link = link;
}

/* Registered table (qdisc_base, tcf_proto_base) list's callback. */
static int nd_registered_node(void *ctx, u64 node)
{
	struct nd_registered *g = ctx;

	if (g->nr >= ND_OPS_MAX)
		return -E2BIG;
	g->ops[g->nr++] = node - g->next;
	return 0;
}

/* The registered Qdisc_ops and tcf_proto_ops, now. */
static void nd_registered_read(struct nd_check *c)
{
	static const char *const names[] = { "qdisc_base", "tcf_proto_base" };
	struct nd_registered *g;
	u32 i;
	int err;

	for (i = 0; i < ARRAY_SIZE(c->reg); i++) {
		g = &c->reg[i];
		g->nr = 0;
		if (!g->head)
			continue;
		if (g->hlist)
			err = vmi_hlist_walk(&c->r, g->head, ND_OPS_MAX + 1,
					     nd_registered_node, g, NULL);
		else
			err = vmi_list_walk(&c->r, g->head, ND_OPS_MAX + 1,
					    nd_registered_node, g, NULL);
		if (err)
			hook_bad(&c->h, names[i], names[i], g->head,
				 err == -E2BIG || err == -ELOOP ?
				 "the list of registered tables does not end (a cycle, or over 128)" :
				 "the list of registered tables cannot be walked");
	}
}

/*
 * Why the Qdisc_ops or tcf_proto_ops @ops (registry @g) is a copy, or
 * NULL: registered, or in the kernel image (noop_qdisc_ops...).
 */
static const char *nd_tc_ops_why(const struct nd_check *c,
				 const struct nd_registered *g, u64 ops)
{
	u32 i;

	if (!g->head || (ops >= c->img_start && ops < c->img_end))
		return NULL;
	for (i = 0; i < g->nr; i++)
		if (g->ops[i] == ops)
			return NULL;
	return "not registered and outside the kernel image: a copy";
}

/*
 * A classful qdisc's Qdisc_class_ops (graft, find, tcf_block...): const
 * in every qdisc of 6.1 and 6.12, so as the device's own tables: in the
 * kernel's rodata nothing, in a module's read-only data its functions,
 * anywhere else a copy.
 */
static void nd_class_ops(struct nd_check *c, const char *object,
			 const char *what, u64 obj, u64 ops)
{
	char where[HOOK_WHERE];
	const char *why;
	bool judge;
	u64 cl;

	if (c->qops_cl == ND_NO_MEMBER || !vmi_kernel_ptr(ops) ||
	    engine_read_u64(c->v, ops + c->qops_cl, &cl) || !cl)
		return;
	why = nd_table_why(c, cl, &judge);
	snprintf(where, sizeof(where), "device %s's %s: its Qdisc_class_ops 0x%llx",
		 c->dev, what, (unsigned long long)cl);
	if (why)
		hook_bad(&c->h, object, where, obj, why);
	if (judge)
		nd_table_fns(c, &c->t[ND_T_CLASS], object, where, obj, cl,
			     why != NULL);
}

/* A tc ops table: registered or a copy, then its functions. */
static void nd_tc_ops(struct nd_check *c, u32 which, const char *object,
		      const char *what, u64 obj, u64 ops)
{
	char where[HOOK_WHERE];
	const char *why;

	if (!ops)
		return;
	why = nd_tc_ops_why(c, &c->reg[which - ND_T_QDISC], ops);
	snprintf(where, sizeof(where), "device %s's %s: its %s 0x%llx",
		 c->dev, what, nd_table_names[which], (unsigned long long)ops);
	if (why)
		hook_bad(&c->h, object, where, obj, why);
	nd_table_fns(c, &c->t[which], object, where, obj, ops, why != NULL);
	if (which == ND_T_QDISC)
		nd_class_ops(c, object, what, obj, ops);
}

/* A qdisc: its own enqueue and dequeue, its Qdisc_ops. */
static void nd_qdisc(struct nd_check *c, const struct vmi_tc_item *it)
{
	char object[HOOK_OBJECT], what[80], where[HOOK_WHERE], id[17] = "";

	snprintf(object, sizeof(object), "%s %sqdisc", c->dev,
		 it->kind == VMI_TC_QDISC_INGRESS ? "ingress " : "");
	if (vmi_kernel_ptr(it->ops) && c->qops_id != ND_NO_MEMBER &&
	    !engine_read(c->v, it->ops + c->qops_id, id, 16))
		hook_printable(id);
	snprintf(what, sizeof(what), "%s qdisc %.16s 0x%llx",
		 nd_qdisc_roles[it->kind], id[0] ? id : "?",
		 (unsigned long long)it->obj);
	snprintf(where, sizeof(where), "the enqueue of device %s's %s",
		 c->dev, what);
	hook_judge(c->v, &c->h, object, where, it->obj, it->fn[0]);
	snprintf(where, sizeof(where), "the dequeue of device %s's %s",
		 c->dev, what);
	hook_judge(c->v, &c->h, object, where, it->obj, it->fn[1]);
	nd_tc_ops(c, ND_T_QDISC, object, what, it->obj, it->ops);
}

/* A filter: its classify, its tcf_proto_ops. */
static void nd_filter(struct nd_check *c, const struct vmi_tc_item *it)
{
	char object[HOOK_OBJECT], what[64], where[HOOK_WHERE];

	snprintf(object, sizeof(object), "%s tc %s", c->dev, nd_dirs[it->dir]);
	snprintf(what, sizeof(what), "tc %s filter 0x%llx", nd_dirs[it->dir],
		 (unsigned long long)it->obj);
	snprintf(where, sizeof(where), "the classify of device %s's %s",
		 c->dev, what);
	hook_judge(c->v, &c->h, object, where, it->obj, it->fn[0]);
	nd_tc_ops(c, ND_T_TCF, object, what, it->obj, it->ops);
}

/* core/netdevwalk.c's vmi_tc_walk() callback. */
static int nd_tc_visit(void *ctx, const struct vmi_tc_item *it)
{
	struct nd_check *c = ctx;
	char object[HOOK_OBJECT], where[HOOK_WHERE];

	switch (it->kind) {
	case VMI_TC_QDISC:
	case VMI_TC_QDISC_CHILD:
	case VMI_TC_QDISC_INGRESS:
		nd_qdisc(c, it);
		break;
	case VMI_TC_FILTER:
		nd_filter(c, it);
		break;
	case VMI_TC_CLS_BPF:
	case VMI_TC_TCX:
		nd_prog_seen(c, c->dev, c->netns,
			     it->kind == VMI_TC_TCX ? ND_TCX : ND_TC, it->dir,
			     it->obj, it->kind == VMI_TC_TCX ? it->link : it->ops);
		break;
	default:
		snprintf(object, sizeof(object), "%s tc", c->dev);
		snprintf(where, sizeof(where), "device %s's traffic control (netns %u) at 0x%llx",
			 c->dev, c->netns, (unsigned long long)it->obj);
		hook_bad(&c->h, object, where, it->dev,
			 it->err == -ELOOP ? "a qdisc or filter list that does not end (a cycle, or over the walk's cap)" :
			 it->err == -EBADMSG ? "a pointer outside the kernel's half of the address space" :
			 "it cannot be read");
	}
	return 0;
}

/* core/netdevwalk.c's callback: one device, or a bad list. */
static int nd_visit(void *ctx, const struct vmi_netdev_hook *e)
{
	struct nd_check *c = ctx;
	char name[ND_NAME], object[HOOK_OBJECT], where[HOOK_WHERE];
	u32 i, mode;

	if (!e->pos.dev) {
		hook_bad_netlist(&c->h, "network devices", !e->pos.net,
				 e->pos.netns, e->pos.head);
		return 0;
	}
	nd_dev_name(c, e->pos.dev, name);
	if (e->read != c->l.has) {
		snprintf(where, sizeof(where), "device %s (0x%llx, netns %u)",
			 name, (unsigned long long)e->pos.dev, e->pos.netns);
		hook_bad(&c->h, name, where, e->pos.dev,
			 "its struct net_device cannot be read");
		return 0;
	}
	if (hook_judged(&c->h, e->ptr[VMI_ND_RX_HANDLER])) {
		snprintf(object, sizeof(object), "%s rx_handler", name);
		snprintf(where, sizeof(where), "the rx_handler of device %s (netns %u, rx_handler_data 0x%llx)",
			 name, e->pos.netns,
			 (unsigned long long)e->ptr[VMI_ND_RX_DATA]);
		hook_judge(c->v, &c->h, object, where, e->pos.dev,
			   e->ptr[VMI_ND_RX_HANDLER]);
	}
	for (i = 0; i < ND_DEV_TABLES; i++)
		nd_table(c, name, e->pos.dev, i,
			 e->ptr[VMI_ND_NETDEV_OPS + i]);
	for (mode = 0; mode < ARRAY_SIZE(nd_xdp_modes); mode++) {
		i = VMI_ND_XDP_SKB + 2 * mode;
		if (e->ptr[i])
			nd_prog_seen(c, name, e->pos.netns, ND_XDP, mode,
				     e->ptr[i], e->ptr[i + 1]);
	}
	if (!c->tc.has)
		return 0;
	c->dev = name;
	c->netns = e->pos.netns;
	return vmi_tc_walk(&c->r, &c->tc, e->pos.dev, nd_tc_visit, c);
}

static int nd_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct nd_check *c = (struct nd_check *)h;
	int err;

	bl_read_ops(v, &c->r);
	c->nr_progs = 0;
	c->nr_ro = 0;
	c->ro_over = false;
	err = bl_rodata_range(v, &c->ro_start, &c->ro_end);
	if (err)
		return err;
	nd_registered_read(c);
	err = vmi_netdev_walk(&c->r, &c->l, nd_visit, c);
	if (err)
		return engine_fail(v, err,
				   "netdev-hook: a namespace or device list node is unreadable");
	return 0;
}

/* What an event says of program @x. */
static void nd_prog_message(const struct nd_prog *x, char *buf, size_t size)
{
	char prog[64];

	if (!x->read)
		snprintf(prog, sizeof(prog), "BPF program 0x%llx (not read)",
			 (unsigned long long)x->prog);
	else if (!x->id)
		snprintf(prog, sizeof(prog), "a classic BPF program");
	else
		snprintf(prog, sizeof(prog), "BPF program id %u (%.16s)", x->id,
			 x->name[0] ? x->name : "no name");
	if (x->hook == ND_TC)
		snprintf(buf, size,
			 "device %s (netns %u): tc %s cls_bpf filter 0x%llx runs %s, attached without a bpf_link (netlink)",
			 x->dev, x->netns, nd_dirs[x->mode],
			 (unsigned long long)x->link, prog);
	else if (x->hook == ND_TCX && x->link)
		snprintf(buf, size,
			 "device %s (netns %u): tcx %s %s attached through bpf_link 0x%llx",
			 x->dev, x->netns, nd_dirs[x->mode], prog,
			 (unsigned long long)x->link);
	else if (x->hook == ND_TCX)
		snprintf(buf, size,
			 "device %s (netns %u): tcx %s %s attached without a bpf_link (BPF_PROG_ATTACH)",
			 x->dev, x->netns, nd_dirs[x->mode], prog);
	else if (x->link)
		snprintf(buf, size,
			 "device %s (netns %u): XDP program id %u (%s mode) attached through bpf_link 0x%llx",
			 x->dev, x->netns, x->id, nd_xdp_modes[x->mode],
			 (unsigned long long)x->link);
	else
		snprintf(buf, size,
			 "device %s (netns %u): XDP program id %u (%s mode) attached without a bpf_link (netlink)",
			 x->dev, x->netns, x->id, nd_xdp_modes[x->mode]);
}

static void nd_report(struct vmiaas *v, struct hook_scan *h,
		      const struct hidden_sink *sink)
{
	struct nd_check *c = (struct nd_check *)h;
	struct vmiaas_finding *f;
	char object[HOOK_OBJECT];
	u32 i;

	for (i = 0; i < c->nr_progs; i++) {
		const struct nd_prog *x = &c->progs[i];

		if (x->hook == ND_XDP)
			snprintf(object, sizeof(object), "%s xdp", x->dev);
		else
			snprintf(object, sizeof(object), "%s %s %s", x->dev,
				 x->hook == ND_TC ? "tc" : "tcx",
				 nd_dirs[x->mode]);
		f = sink->add(sink->ctx, h->check, VMIAAS_SEV_INFO, object);
		if (!f)
			continue;
		f->flags |= VMIAAS_FINDING_EVENT | VMIAAS_FINDING_ADDRESS;
		f->address = x->prog;
		nd_prog_message(x, f->message, sizeof(f->message));
	}
}

/* The function pointers of the device's tables, from BTF. */
static int nd_layout_tables(struct vmiaas *v, struct nd_check *c)
{
	struct nd_table *t;
	u32 i, k, end;
	int err;

	for (i = 0; i < ND_TABLES; i++) {
		t = &c->t[i];
		err = engine_fn_members(v, nd_table_types[i], t->fns,
					ND_TABLE_FNS, &t->nr_fns);
		if (err == -ENOENT) {	/* a kernel without it: none read */
			t->nr_fns = 0;
			continue;
		}
		if (err)
			return engine_fail(v, err,
					   "netdev-hook: struct %s's function pointers from BTF",
					   nd_table_types[i]);
		for (k = 0, t->size = 0; k < t->nr_fns; k++) {
			end = t->fns[k].off + 8;
			if (end > ND_TABLE_MAX)
				return engine_fail(v, -EBADMSG,
						   "netdev-hook: struct %s over %u bytes: implausible",
						   nd_table_types[i], ND_TABLE_MAX);
			t->size = end > t->size ? end : t->size;
		}
	}
	return 0;
}

/* xdp_state[mode].prog and .link, and a program's id, where the BTF has them. */
static void nd_layout_xdp(struct vmiaas *v, struct nd_check *c)
{
	struct vmi_netdev_layout *l = &c->l;
	char path[32];
	u32 mode, slot;

	for (mode = 0; mode < ARRAY_SIZE(nd_xdp_modes); mode++) {
		slot = VMI_ND_XDP_SKB + 2 * mode;
		snprintf(path, sizeof(path), "xdp_state[%u].prog", mode);
		if (btf_offsetof(v->btf, "net_device", path, &l->off[slot]))
			continue;
		snprintf(path, sizeof(path), "xdp_state[%u].link", mode);
		if (btf_offsetof(v->btf, "net_device", path,
				 &l->off[slot + 1]))
			continue;
		l->has |= 3U << slot;
	}
	c->has_prog_id = !btf_offsetof(v->btf, "bpf_prog", "aux", &c->prog_aux) &&
			 !btf_offsetof(v->btf, "bpf_prog_aux", "id", &c->aux_id);
	if (btf_offsetof(v->btf, "bpf_prog_aux", "prog", &c->aux_prog) ||
	    btf_offsetof(v->btf, "bpf_prog_aux", "name", &c->aux_name))
		c->aux_prog = c->aux_name = ND_NO_MEMBER;
}

/* Whether the kernel has every member of @m (offsets set). */
static bool nd_has(struct vmiaas *v, const struct btf_member_ref *m, size_t n)
{
	return !btf_offsets(v->btf, m, n, NULL);
}

/* Whether struct @type is @size bytes (an array's element). */
static bool nd_sized(struct vmiaas *v, const char *type, u32 size)
{
	u32 got;

	return !btf_sizeof(v->btf, type, &got) && got == size;
}

/* The registered tables' lists: qdisc_base, tcf_proto_base. */
static void nd_layout_registered(struct vmiaas *v, struct nd_check *c)
{
	struct nd_registered *q = &c->reg[0], *f = &c->reg[1];

	q->hlist = true;	/* Qdisc_ops.next, first: NULL-ended */
	if (btf_offsetof(v->btf, "Qdisc_ops", "next", &q->next) || q->next ||
	    engine_sym(v, "qdisc_base", &q->head))
		q->head = 0;
	if (btf_offsetof(v->btf, "tcf_proto_ops", "head", &f->next) ||
	    engine_sym(v, "tcf_proto_base", &f->head))
		f->head = 0;
	if (btf_offsetof(v->btf, "Qdisc_ops", "id", &c->qops_id))
		c->qops_id = ND_NO_MEMBER;
	if (btf_offsetof(v->btf, "Qdisc_ops", "cl_ops", &c->qops_cl))
		c->qops_cl = ND_NO_MEMBER;
	if (engine_sym(v, "_text", &c->img_start) ||
	    engine_sym(v, "_end", &c->img_end) || c->img_end <= c->img_start)
		c->img_start = c->img_end = 0;
}

/* Traffic control's members (core/netdevwalk.c's vmi_tc_layout). */
static void nd_layout_tc(struct vmiaas *v, struct nd_check *c)
{
	struct vmi_tc_layout *t = &c->tc;
	const struct btf_member_ref root[] = {
		{ "net_device", "qdisc", &t->dev_qdisc },
		{ "Qdisc", "enqueue", &t->q_enqueue },
		{ "Qdisc", "dequeue", &t->q_dequeue },
		{ "Qdisc", "ops", &t->q_ops },
	}, hash[] = {
		{ "net_device", "qdisc_hash", &t->dev_qdisc_hash },
		{ "Qdisc", "hash", &t->q_hash },
	}, ingress[] = {
		{ "net_device", "ingress_queue", &t->dev_ingress_queue },
		{ "netdev_queue", "qdisc_sleeping", &t->txq_qdisc },
	}, miniq[] = {
		{ "net_device", "miniq_ingress", &t->dev_miniq[0] },
		{ "net_device", "miniq_egress", &t->dev_miniq[1] },
	}, tcx[] = {
		{ "net_device", "tcx_ingress", &t->dev_tcx[0] },
		{ "net_device", "tcx_egress", &t->dev_tcx[1] },
		{ "bpf_mprog_entry", "fp_items", &t->me_fp },
		{ "bpf_mprog_entry", "parent", &t->me_parent },
		{ "bpf_mprog_bundle", "cp_items", &t->bundle_cp },
		{ "tcx_entry", "bundle", &t->te_bundle },
		{ "tcx_entry", "miniq", &t->te_miniq },
	}, filters[] = {
		{ "mini_Qdisc", "filter_list", &t->mq_filters },
		{ "tcf_proto", "next", &t->tp_next },
		{ "tcf_proto", "root", &t->tp_root },
		{ "tcf_proto", "classify", &t->tp_classify },
		{ "tcf_proto", "ops", &t->tp_ops },
		{ "tcf_proto_ops", "kind", &t->ops_kind },
	};
	u32 size;

	memset(t, 0, sizeof(*t));
	if (!nd_has(v, root, ARRAY_SIZE(root)))
		return;		/* no qdiscs at all: tc not read */
	t->has = 1U << VMI_TC_HAS_ROOT;
	if (nd_has(v, hash, ARRAY_SIZE(hash)) &&
	    !btf_member_size(v->btf, "net_device", "qdisc_hash", &size) &&
	    size % 8 == 0 && size / 8 <= VMI_TC_HASH_MAX) {
		t->nr_hash = size / 8;
		t->has |= 1U << VMI_TC_HAS_HASH;
	}
	if (nd_has(v, ingress, ARRAY_SIZE(ingress)))
		t->has |= 1U << VMI_TC_HAS_INGRESS;
	if (nd_has(v, miniq, ARRAY_SIZE(miniq)))
		t->has |= 1U << VMI_TC_HAS_MINIQ;
	else if (nd_has(v, tcx, ARRAY_SIZE(tcx)) &&
		 nd_sized(v, "bpf_mprog_fp", 8) && nd_sized(v, "bpf_mprog_cp", 8))
		t->has |= 1U << VMI_TC_HAS_TCX;
	if (nd_has(v, filters, ARRAY_SIZE(filters)) && !t->tp_next)
		t->has |= 1U << VMI_TC_HAS_FILTERS;
	if (!vmi_tc_layout_ok(t))
		t->has = 0;
	nd_layout_registered(v, c);
}

static int nd_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct nd_check *c = (struct nd_check *)h;
	struct vmi_netdev_layout *l = &c->l;
	const struct btf_member_ref m[] = {
		{ "net", "list", &l->ns.net_list },
		{ "net", "ns.inum", &l->ns.net_inum },
		{ "net", "dev_base_head", &l->ns.dev_base },
		{ "net_device", "dev_list", &l->ns.dev_list },
		{ "net_device", "name", &c->dev_name },
		{ "net_device", "rx_handler", &l->off[VMI_ND_RX_HANDLER] },
		{ "net_device", "rx_handler_data", &l->off[VMI_ND_RX_DATA] },
		{ "net_device", "netdev_ops", &l->off[VMI_ND_NETDEV_OPS] },
		{ "net_device", "ethtool_ops", &l->off[VMI_ND_ETHTOOL_OPS] },
		{ "net_device", "header_ops", &l->off[VMI_ND_HEADER_OPS] },
	};
	int err;

	*l = (struct vmi_netdev_layout){
		.ns = { .max_netns = VMI_NETNS_MAX, .max_devs = VMI_NET_DEVS_MAX },
		.has = (1U << (VMI_ND_HEADER_OPS + 1)) - 1,
	};
	c->v = v;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "netdev-hook: the kernel's BTF lacks struct net or net_device members");
	nd_layout_xdp(v, c);
	nd_layout_tc(v, c);
	if (!vmi_netdev_layout_ok(l))
		return engine_fail(v, -EBADMSG,
				   "netdev-hook: struct net or net_device offsets over 64 KiB: implausible");
	err = nd_layout_tables(v, c);
	if (err)
		return err;
	if (engine_sym(v, "net_namespace_list", &l->ns.net_head))
		return engine_fail(v, -ENOENT,
				   "netdev-hook: the kernel has no net_namespace_list");
	return 0;
}

/* ---- vmiaas.ko's record ---- */

/* Table @t's function words as a map: -ERANGE for one past 1 KiB. */
static int nd_fn_map(const struct nd_table *t, __u64 *map)
{
	u32 i, w;

	for (i = 0; i < t->nr_fns; i++) {
		w = t->fns[i].off / 8;
		if (t->fns[i].off % 8 || w >= VMIAAS_NETDEV_TABLE_WORDS)
			return -ERANGE;
		map[w / 64] |= 1ULL << (w % 64);
	}
	return 0;
}

/*
 * The table ranges, after the function ranges: the kernel's rodata and
 * each module part seen holding a table; with more than the room left,
 * the whole module area instead (a copy in a module's writable data is
 * then missed).
 */
static int nd_record_ro(struct vmiaas *v, const struct nd_check *c,
			struct vmiaas_netdev_check *nc)
{
	u32 room = VMIAAS_MAX_NETDEV_RANGES - nc->nr_allow, i;
	__u64 (*ro)[2] = nc->ranges + nc->nr_allow;
	struct modarea area;
	int err;

	ro[0][0] = c->ro_start;
	ro[0][1] = c->ro_end;
	nc->nr_ro = 1;
	if (!c->ro_over && c->nr_ro < room) {
		for (i = 0; i < c->nr_ro; i++) {
			ro[1 + i][0] = c->ro[i].start;
			ro[1 + i][1] = c->ro[i].end;
		}
		nc->nr_ro += c->nr_ro;
		return 0;
	}
	err = modarea_get(v, &area);
	if (err)
		return err;
	ro[1][0] = area.start;
	ro[1][1] = area.end;
	nc->nr_ro = 2;
	return 0;
}

/*
 * netdev-hook's record: the layout (no XDP), the tables' function maps,
 * the function ranges (hook_record()) and the table ranges.
 */
static int nd_module_record(struct vmiaas *v, struct hook_scan *h,
			    struct vmiaas_module_check *c)
{
	struct nd_check *n = (struct nd_check *)h;
	const struct vmi_netdev_layout *l = &n->l;
	struct vmiaas_netdev_check *nc = (struct vmiaas_netdev_check *)c->data;
	u32 i;
	int err;

	static_assert(sizeof(*nc) <= VMIAAS_MODULE_DATA, "data");
	static_assert(VMIAAS_MAX_NETDEV_RANGES >= VMIAAS_MAX_HOOK_ALLOW + 2,
		      "a table range and the module area after the functions'");
	static_assert(VMIAAS_NETDEV_TABLES == VMI_ND_TABLES, "tables");
	*nc = (struct vmiaas_netdev_check){
		.net_list = l->ns.net_list, .net_inum = l->ns.net_inum,
		.dev_base = l->ns.dev_base, .dev_list = l->ns.dev_list,
		.dev_name = n->dev_name, .rx_handler = l->off[VMI_ND_RX_HANDLER],
		.rx_data = l->off[VMI_ND_RX_DATA],
	};
	for (i = 0; i < VMI_ND_TABLES; i++) {
		nc->table_off[i] = l->off[VMI_ND_NETDEV_OPS + i];
		if (nd_fn_map(&n->t[i], nc->fns[i]))
			return engine_fail(v, -ERANGE,
					   "netdev-hook: a function pointer of struct %s unaligned or past 1 KiB: no record for vmiaas.ko",
					   nd_table_types[i]);
	}
	err = hook_record(v, h, c, VMIAAS_CHECK_NETDEV_GVA, l->ns.net_head,
			  "network devices", nc->ranges, VMIAAS_MAX_HOOK_ALLOW,
			  &nc->nr_allow);
	err = err ?: nd_record_ro(v, n, nc);
	if (err)
		return err;
	snprintf(c->label, sizeof(c->label),
		 "netdev-hook (%u function ranges, %u table ranges)",
		 nc->nr_allow, nc->nr_ro);
	return 0;
}

static const struct hook_check nd_check = {
	.check = "netdev-hook",
	.sees = "it sees (and can drop or change) the device's packets before packet taps and netfilter",
	.size = sizeof(struct nd_check),
	.layout = nd_layout,
	.walk = nd_walk_all,
	.record = nd_module_record,
	.report = nd_report,
};

/* One scan: every device now, suspects and events to @sink. */
static int nd_scan(struct vmiaas *v, const struct hidden_sink *sink,
		   void *arg)
{
	return hook_check_scan(v, &nd_check, sink, arg);
}

int check_netdev_hooks(struct vmiaas *v, const struct hidden_sink *sink,
		       struct hook_trust *trust)
{
	return check_confirmed(v, nd_scan, trust, sink);
}

/* netdev-hook's record for vmiaas_module_policy(), appended at *@nr. */
int netdev_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
			size_t max, size_t *nr, struct hook_trust *trust)
{
	return hook_module_check(v, &nd_check, out, max, nr, trust);
}
