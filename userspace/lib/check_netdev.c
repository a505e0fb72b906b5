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
 *     themselves).
 * A device list or namespace list that does not end is critical. What a
 * scan reports is confirmed by a second one (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "../../core/netdevwalk.h"

#define ND_TABLES	3		/* netdev_ops, ethtool_ops, header_ops */
#define ND_TABLE_FNS	160		/* function pointers of one table */
#define ND_TABLE_MAX	2048		/* bytes of one table read */
#define ND_XDP_MAX	16		/* XDP programs reported per scan */
#define ND_NAME		24		/* IFNAMSIZ, or "dev@" and 16 digits */

static const char *const nd_table_names[ND_TABLES] = {
	"netdev_ops", "ethtool_ops", "header_ops",
};

static const char *const nd_table_types[ND_TABLES] = {
	"net_device_ops", "ethtool_ops", "header_ops",
};

static const char *const nd_xdp_modes[] = { "skb", "drv", "hw" };

struct nd_table {
	struct btf_fn_member fns[ND_TABLE_FNS];
	u32 nr_fns;
	u32 size;			/* bytes read: up to the last one */
};

/* An XDP program on a device: an event. */
struct nd_xdp {
	char dev[ND_NAME];
	u32 netns;
	u32 mode;			/* XDP_MODE_* */
	u32 id;				/* bpf_prog_aux.id, 0 unread */
	u64 prog, link;
};

struct nd_check {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_netdev_layout l;	/* core/netdevwalk.c's */
	u32 dev_name;			/* offsetof(struct net_device, name) */
	u32 prog_aux, aux_id;		/* struct bpf_prog.aux, bpf_prog_aux.id */
	bool has_prog_id;
	u64 ro_start, ro_end;		/* the kernel's rodata */
	struct vmiaas *v;
	struct nd_table t[ND_TABLES];
	struct nd_xdp xdp[ND_XDP_MAX];
	u32 nr_xdp;
};

/* The device's name, or "dev@ADDR". */
static void nd_dev_name(struct nd_check *c, u64 dev, char *buf)
{
	memset(buf, 0, ND_NAME);
	if (engine_read(c->v, dev + c->dev_name, buf, 16) || !buf[0])
		snprintf(buf, ND_NAME, "dev@%llx", (unsigned long long)dev);
	hook_printable(buf);
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

/* One table of a device: where it lies, then its functions. */
static void nd_table(struct nd_check *c, const char *name, u64 dev,
		     u32 which, u64 table)
{
	const struct nd_table *t = &c->t[which];
	char object[HOOK_OBJECT], where[HOOK_WHERE], sym[128];
	u8 buf[ND_TABLE_MAX];
	const char *why;
	bool judge;
	u64 fn;
	u32 i;

	if (!table)
		return;
	snprintf(object, sizeof(object), "%s %s", name, nd_table_names[which]);
	why = nd_table_why(c, table, &judge);
	if (why) {
		check_symbolize(c->v, table, sym, sizeof(sym));
		snprintf(where, sizeof(where), "device %s (0x%llx): its %s %.60s",
			 name, (unsigned long long)dev, nd_table_names[which],
			 sym);
		hook_bad(&c->h, object, where, dev, why);
	}
	if (!judge || !t->nr_fns)
		return;
	if (engine_read(c->v, table, buf, t->size)) {
		if (why)
			return;		/* one finding for it is enough */
		snprintf(where, sizeof(where), "device %s (0x%llx): its %s 0x%llx",
			 name, (unsigned long long)dev, nd_table_names[which],
			 (unsigned long long)table);
		hook_bad(&c->h, object, where, dev, "it cannot be read");
		return;
	}
	for (i = 0; i < t->nr_fns; i++) {
		memcpy(&fn, buf + t->fns[i].off, sizeof(fn));
		snprintf(where, sizeof(where), "the %s of device %s's %s 0x%llx",
			 t->fns[i].name, name, nd_table_names[which],
			 (unsigned long long)table);
		hook_judge(c->v, &c->h, object, where, dev, fn);
	}
}

/* An XDP program attached to a device, remembered for an event. */
static void nd_xdp_seen(struct nd_check *c, const char *name, u32 netns,
			u32 mode, u64 prog, u64 link)
{
	struct nd_xdp *x;
	u64 aux = 0;
	u32 id = 0;

	if (c->nr_xdp >= ND_XDP_MAX)
		return;
	x = &c->xdp[c->nr_xdp++];
	if (c->has_prog_id && vmi_kernel_ptr(prog) &&
	    !engine_read_u64(c->v, prog + c->prog_aux, &aux) &&
	    vmi_kernel_ptr(aux) &&
	    engine_read(c->v, aux + c->aux_id, &id, sizeof(id)))
		id = 0;
	snprintf(x->dev, sizeof(x->dev), "%s", name);
	x->netns = netns;
	x->mode = mode;
	x->id = id;
	x->prog = prog;
	x->link = link;
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
	snprintf(object, sizeof(object), "%s rx_handler", name);
	snprintf(where, sizeof(where), "the rx_handler of device %s (netns %u, rx_handler_data 0x%llx)",
		 name, e->pos.netns,
		 (unsigned long long)e->ptr[VMI_ND_RX_DATA]);
	hook_judge(c->v, &c->h, object, where, e->pos.dev,
		   e->ptr[VMI_ND_RX_HANDLER]);
	for (i = 0; i < ND_TABLES; i++)
		nd_table(c, name, e->pos.dev, i,
			 e->ptr[VMI_ND_NETDEV_OPS + i]);
	for (mode = 0; mode < ARRAY_SIZE(nd_xdp_modes); mode++) {
		i = VMI_ND_XDP_SKB + 2 * mode;
		if (e->ptr[i])
			nd_xdp_seen(c, name, e->pos.netns, mode, e->ptr[i],
				    e->ptr[i + 1]);
	}
	return 0;
}

static int nd_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct nd_check *c = (struct nd_check *)h;
	struct vmi_read_ops r;
	int err;

	bl_read_ops(v, &r);
	c->nr_xdp = 0;
	err = bl_rodata_range(v, &c->ro_start, &c->ro_end);
	if (err)
		return err;
	err = vmi_netdev_walk(&r, &c->l, nd_visit, c);
	if (err)
		return engine_fail(v, err,
				   "netdev-hook: a namespace or device list node is unreadable");
	return 0;
}

static void nd_report(struct vmiaas *v, struct hook_scan *h,
		      const struct hidden_sink *sink)
{
	struct nd_check *c = (struct nd_check *)h;
	struct vmiaas_finding *f;
	char object[HOOK_OBJECT];
	u32 i;

	for (i = 0; i < c->nr_xdp; i++) {
		const struct nd_xdp *x = &c->xdp[i];

		snprintf(object, sizeof(object), "%s xdp", x->dev);
		f = sink->add(sink->ctx, h->check, VMIAAS_SEV_INFO, object);
		if (!f)
			continue;
		f->flags |= VMIAAS_FINDING_EVENT | VMIAAS_FINDING_ADDRESS;
		f->address = x->prog;
		if (x->link)
			snprintf(f->message, sizeof(f->message),
				 "device %s (netns %u): XDP program id %u (%s mode) attached through bpf_link 0x%llx",
				 x->dev, x->netns, x->id, nd_xdp_modes[x->mode],
				 (unsigned long long)x->link);
		else
			snprintf(f->message, sizeof(f->message),
				 "device %s (netns %u): XDP program id %u (%s mode) attached without a bpf_link (netlink)",
				 x->dev, x->netns, x->id, nd_xdp_modes[x->mode]);
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
		err = btf_fn_members(v->btf, nd_table_types[i], t->fns,
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

static const struct hook_check nd_check = {
	.check = "netdev-hook",
	.sees = "it sees (and can drop or change) the device's packets before packet taps and netfilter",
	.size = sizeof(struct nd_check),
	.layout = nd_layout,
	.walk = nd_walk_all,
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
