// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * packet-tap: the packet handlers the kernel calls before netfilter.
 *
 * dev_add_pack() puts a struct packet_type on a list the receive path
 * walks for every packet (__netif_receive_skb_core()), before any
 * netfilter hook: ETH_P_ALL taps on ptype_all (6.1: a global list;
 * 6.9+: net_hotdata.ptype_all; newer kernels: per namespace,
 * net->ptype_all), one protocol on ptype_base[16] (hashed by type; per
 * namespace net->ptype_specific on newer kernels), and per device
 * dev->ptype_all and dev->ptype_specific. A magic-packet backdoor
 * registers one there and changes no text and no read-only data. The
 * kernel registers its own protocols (ip_rcv, arp_rcv, ipv6_rcv...), and
 * af_packet one per raw socket (packet_rcv, tpacket_rcv: tcpdump,
 * dhclient), all in the kernel's text where af_packet is built in, as in
 * Debian's kernels. Each packet_type's func, list_func and id_match go
 * through hookpolicy.h's rules (kernel text nothing, an untainted module
 * an event, a tainted one high, anywhere else critical); af_packet_priv
 * is the socket, data, not judged. A list that does not end, or that
 * cannot be read, is critical: the kernel would hang or fault on it.
 * The walk (which lists, where, with what bounds and cycle checks) is
 * core/ptypewalk.c's, the code vmiaas.ko runs for ptype_module_check()'s
 * record; this file resolves the layout from BTF and symbols and judges
 * what the walk passes it. What a scan reports is confirmed by a second
 * one (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "uapi/linux/vmiaas.h"
#include "../../core/ptypewalk.h"

/* The members of struct packet_type judged as code (fn_off[] order). */
static const char *const ptype_fns[VMI_PT_FNS] = {
	"func", "list_func", "id_match",
};

struct ptype_walk {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_ptype_layout l;	/* core/ptypewalk.c's */
	u32 dev_name;			/* offsetof(struct net_device, name) */
	struct vmiaas *v;
	u64 dev;			/* the device named in @name */
	char name[17];
};

void ptype_name(u16 type_be, char *buf, size_t size)
{
	u16 type = (u16)(type_be >> 8 | type_be << 8);

	if (type == 0x0003)
		snprintf(buf, size, "ETH_P_ALL");
	else
		snprintf(buf, size, "type 0x%04x", type);
}

/* "eth0", "netns 4026531840" or "": whose list @e is on. */
static void ptype_owner(struct ptype_walk *w, const struct vmi_ptype_hook *e,
			char *buf, size_t size)
{
	if (e->list == VMI_PT_NET_ALL || e->list == VMI_PT_NET_SPECIFIC) {
		snprintf(buf, size, "netns %u", e->netns);
		return;
	}
	if (e->list != VMI_PT_DEV_ALL && e->list != VMI_PT_DEV_SPECIFIC) {
		buf[0] = '\0';
		return;
	}
	if (w->dev != e->dev) {
		w->dev = e->dev;
		memset(w->name, 0, sizeof(w->name));
		if (engine_read(w->v, e->dev + w->dev_name, w->name, 16))
			snprintf(w->name, sizeof(w->name), "dev@%llx",
				 (unsigned long long)e->dev);
		hook_printable(w->name);
	}
	snprintf(buf, size, "%s", w->name);
}

void ptype_list_name(const struct vmi_ptype_hook *e, const char *owner,
		     char *buf, size_t size)
{
	if (e->list == VMI_PT_ALL)
		snprintf(buf, size, "ptype_all");
	else if (e->list == VMI_PT_BASE)
		snprintf(buf, size, "ptype_base[%u]", e->bucket);
	else
		snprintf(buf, size, "%s's %s", owner,
			 e->list == VMI_PT_NET_ALL || e->list == VMI_PT_DEV_ALL ?
			 "ptype_all" : "ptype_specific");
}

/* core/ptypewalk.c's callback: a function or a bad list, judged. */
static int ptype_visit(void *ctx, const struct vmi_ptype_hook *e)
{
	struct ptype_walk *w = ctx;
	char owner[24], list[HOOK_OBJECT], proto[16], object[HOOK_OBJECT];
	char where[HOOK_WHERE];

	if (e->list == VMI_PT_NETNS_LIST || e->list == VMI_PT_DEV_LIST) {
		hook_bad_netlist(&w->h, "packet types",
				 e->list == VMI_PT_NETNS_LIST, e->netns,
				 e->head);
		return 0;
	}
	if (e->pt && !e->err && !hook_judged(&w->h, e->fn))
		return 0;	/* nothing to judge, nothing to name */
	ptype_owner(w, e, owner, sizeof(owner));
	ptype_list_name(e, owner, list, sizeof(list));
	if (!e->pt) {
		hook_bad(&w->h, list, list, e->head, e->err == -E2BIG ?
			 "over 65536 packet types in all: implausible" :
			 "the list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 16384 packet types)");
		return 0;
	}
	ptype_name(e->type, proto, sizeof(proto));
	snprintf(object, sizeof(object), "%s%s%s", owner, owner[0] ? " " : "",
		 proto);
	if (e->err) {
		snprintf(where, sizeof(where), "packet_type 0x%llx on %s (%s)",
			 (unsigned long long)e->pt, list, proto);
		hook_bad(&w->h, object, where, e->pt, "it cannot be read");
		return 0;
	}
	snprintf(where, sizeof(where), "the %s of packet_type 0x%llx on %s (%s)",
		 ptype_fns[e->member], (unsigned long long)e->pt, list, proto);
	hook_judge(w->v, &w->h, object, where, e->pt, e->fn);
	return 0;
}

static int ptype_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct ptype_walk *w = (struct ptype_walk *)h;
	struct vmi_read_ops r;
	int err;

	bl_read_ops(v, &r);
	w->dev = 0;
	err = vmi_ptype_walk(&r, &w->l, ptype_visit, w);
	if (err)
		return engine_fail(v, err,
				   "packet-tap: a namespace or device list node is unreadable");
	return 0;
}

/* The global lists: ptype_all (or net_hotdata's, or none) and ptype_base. */
static int ptype_layout_heads(struct vmiaas *v, struct vmi_ptype_layout *l)
{
	u32 off;

	if (!btf_offsetof(v->btf, "net_hotdata", "ptype_all", &off) &&
	    !engine_sym(v, "net_hotdata", &l->all))
		l->all += off;
	else if (engine_sym(v, "ptype_all", &l->all))
		l->all = 0;		/* newer kernels: per namespace only */
	if (engine_sym(v, "ptype_base", &l->base))
		return engine_fail(v, -ENOENT,
				   "packet-tap: the kernel has no ptype_base");
	if (engine_sym(v, "net_namespace_list", &l->net_head))
		return engine_fail(v, -ENOENT,
				   "packet-tap: the kernel has no net_namespace_list");
	return 0;
}

static int ptype_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct ptype_walk *w = (struct ptype_walk *)h;
	struct vmi_ptype_layout *l = &w->l;
	const struct btf_member_ref m[] = {
		{ "packet_type", "list", &l->pt_list },
		{ "packet_type", "type", &l->pt_type },
		{ "net_device", "ptype_all", &l->dev_all },
		{ "net_device", "ptype_specific", &l->dev_specific },
		{ "net", "list", &l->net_list },
		{ "net", "ns.inum", &l->net_inum },
		{ "net", "dev_base_head", &l->dev_base },
		{ "net_device", "dev_list", &l->dev_list },
		{ "net_device", "name", &w->dev_name },
	};
	u32 i;

	*l = (struct vmi_ptype_layout){
		.max_netns = VMI_NETNS_MAX, .max_devs = VMI_NET_DEVS_MAX,
		.max_list = VMI_PT_LIST_MAX, .max_total = VMI_PT_TOTAL_MAX,
	};
	w->v = v;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "packet-tap: the kernel's BTF lacks struct packet_type, net or net_device members");
	for (i = 0; i < VMI_PT_FNS; i++)
		if (!btf_offsetof(v->btf, "packet_type", ptype_fns[i],
				  &l->fn_off[i]))
			l->flags |= VMI_PT_HAS_FN(i);
	if (!(l->flags & VMI_PT_HAS_FN(0)))
		return engine_fail(v, -ENOENT,
				   "packet-tap: the kernel's BTF has no struct packet_type.func");
	if (!btf_offsetof(v->btf, "net", "ptype_all", &l->net_all) &&
	    !btf_offsetof(v->btf, "net", "ptype_specific", &l->net_specific))
		l->flags |= VMI_PT_HAS_NET_LISTS;
	else
		l->net_all = l->net_specific = 0;
	if (!vmi_ptype_layout_ok(l))
		return engine_fail(v, -EBADMSG,
				   "packet-tap: struct packet_type, net or net_device offsets over 64 KiB: implausible");
	return ptype_layout_heads(v, l);
}

static int ptype_record(struct vmiaas *v, struct hook_scan *h,
			struct vmiaas_module_check *c);

static const struct hook_check ptype_check = {
	.check = "packet-tap",
	.sees = "it receives packets before netfilter sees them",
	.size = sizeof(struct ptype_walk),
	.layout = ptype_layout,
	.walk = ptype_walk_all,
	.record = ptype_record,
};

/* One scan: every packet type now, suspects and events to @sink. */
static int ptype_scan(struct vmiaas *v, const struct hidden_sink *sink,
		      void *arg)
{
	return hook_check_scan(v, &ptype_check, sink, arg);
}

int check_packet_taps(struct vmiaas *v, const struct hidden_sink *sink,
		      struct hook_trust *trust)
{
	return check_confirmed(v, ptype_scan, trust, sink);
}

/* ---- vmiaas.ko's record ---- */

/* The layout of @l in the uapi's form. */
static void ptype_record_layout(const struct vmi_ptype_layout *l,
				struct vmiaas_ptype_check *pc)
{
	static_assert(VMIAAS_PTYPE_FUNC == VMI_PT_HAS_FN(0) &&
		      VMIAAS_PTYPE_LIST_FUNC == VMI_PT_HAS_FN(1) &&
		      VMIAAS_PTYPE_ID_MATCH == VMI_PT_HAS_FN(2) &&
		      VMIAAS_PTYPE_NET_LISTS == VMI_PT_HAS_NET_LISTS &&
		      VMIAAS_PTYPE_ALL == VMI_PT_FLAGS_ALL, "ptype flags");
	pc->all = l->all;
	pc->base = l->base;
	pc->net_list = l->net_list;
	pc->net_inum = l->net_inum;
	pc->net_all = l->net_all;
	pc->net_specific = l->net_specific;
	pc->dev_base = l->dev_base;
	pc->dev_list = l->dev_list;
	pc->dev_all = l->dev_all;
	pc->dev_specific = l->dev_specific;
	pc->pt_list = l->pt_list;
	pc->pt_type = l->pt_type;
	memcpy(pc->fn_off, l->fn_off, sizeof(pc->fn_off));
	pc->flags = l->flags;
}

/* packet-tap's record: its lists, layout and allowed ranges. */
static int ptype_record(struct vmiaas *v, struct hook_scan *h,
			struct vmiaas_module_check *c)
{
	struct ptype_walk *w = (struct ptype_walk *)h;
	struct vmiaas_ptype_check *pc = (struct vmiaas_ptype_check *)c->data;

	static_assert(sizeof(*pc) <= VMIAAS_MODULE_DATA, "data");
	ptype_record_layout(&w->l, pc);
	return hook_record(v, h, c, VMIAAS_CHECK_PTYPE_GVA, w->l.net_head,
			   "packet types", pc->allow, VMIAAS_MAX_HOOK_ALLOW,
			   &pc->nr_allow);
}

/* packet-tap's record for vmiaas_module_policy(), appended at *@nr. */
int ptype_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		       size_t max, size_t *nr, struct hook_trust *trust)
{
	return hook_module_check(v, &ptype_check, out, max, nr, trust);
}
