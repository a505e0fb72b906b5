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
 * Layouts come from BTF; what a scan reports is confirmed by a second
 * one (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "list.h"
#include "netwalk.h"

#define PTYPE_HASH_SIZE		16	/* ptype_base[], since 2.6 */
#define PTYPE_LIST_MAX		16384	/* packet types on one list */
#define PTYPE_TOTAL_MAX		65536	/* on all lists of one scan */

/* The members of struct packet_type judged as code. */
static const char *const ptype_fns[] = { "func", "list_func", "id_match" };

struct ptype_walk {
	/* layout */
	u32 list_off, type_off, fn_off[ARRAY_SIZE(ptype_fns)];
	bool has_fn[ARRAY_SIZE(ptype_fns)];
	u32 dev_all, dev_specific, net_all, net_specific;
	bool has_net_lists;
	/* the list being walked */
	const char *list;		/* "ptype_all", "eth0's ptype_specific" */
	char scope[48];			/* "", "eth0 ", "netns 4026531840 " */
	u32 seen;			/* packet types so far */
	struct hook_scan h;
};

/* "ETH_P_ALL" or "type 0x0800": a packet_type's protocol. */
static void ptype_name(u16 type_be, char *buf, size_t size)
{
	u16 type = (u16)(type_be >> 8 | type_be << 8);

	if (type == 0x0003)
		snprintf(buf, size, "ETH_P_ALL");
	else
		snprintf(buf, size, "type 0x%04x", type);
}

static int ptype_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct ptype_walk *w = arg;
	u64 pt = node - w->list_off, fn;
	char proto[16], object[HOOK_OBJECT], where[HOOK_WHERE];
	u16 type = 0;
	size_t i;

	if (++w->seen > PTYPE_TOTAL_MAX)
		return -E2BIG;
	engine_read(v, pt + w->type_off, &type, sizeof(type));
	ptype_name(type, proto, sizeof(proto));
	snprintf(object, sizeof(object), "%s%s", w->scope, proto);
	for (i = 0; i < ARRAY_SIZE(ptype_fns); i++) {
		if (!w->has_fn[i])
			continue;
		if (engine_read_u64(v, pt + w->fn_off[i], &fn)) {
			snprintf(where, sizeof(where),
				 "packet_type 0x%llx on %s (%s)",
				 (unsigned long long)pt, w->list, proto);
			hook_bad(&w->h, object, where, pt,
				 "it cannot be read");
			return 0;
		}
		snprintf(where, sizeof(where),
			 "the %s of packet_type 0x%llx on %s (%s)", ptype_fns[i],
			 (unsigned long long)pt, w->list, proto);
		hook_judge(v, &w->h, object, where, pt, fn);
	}
	return 0;
}

/* One list of packet types at @head; @list names it in messages. */
static int ptype_walk_list(struct vmiaas *v, struct ptype_walk *w, u64 head,
			   const char *list)
{
	char where[HOOK_WHERE];
	int err;

	w->list = list;
	err = list_walk(v, list, head, PTYPE_LIST_MAX, ptype_visit, w);
	if (!err || err == -ENOMEM)
		return err;
	snprintf(where, sizeof(where), "%s", list);
	hook_bad(&w->h, list, where, head,
		 err == -E2BIG ?
		 "over 65536 packet types in all: implausible" :
		 "the list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 16384 packet types)");
	return err == -E2BIG ? -E2BIG : 0;
}

/*
 * A device's or a namespace's two lists: @all (ETH_P_ALL taps) and
 * @specific (protocols); @owner names their owner ("eth0", "netns 1").
 */
static void ptype_walk_pair(struct vmiaas *v, struct ptype_walk *w, u64 all,
			    u64 specific, const char *owner)
{
	char list[HOOK_OBJECT];

	if (w->seen > PTYPE_TOTAL_MAX)
		return;
	snprintf(w->scope, sizeof(w->scope), "%s ", owner);
	snprintf(list, sizeof(list), "%s's ptype_all", owner);
	if (ptype_walk_list(v, w, all, list))
		return;
	snprintf(list, sizeof(list), "%s's ptype_specific", owner);
	ptype_walk_list(v, w, specific, list);
}

static void ptype_walk_dev(struct vmiaas *v, u64 net, u32 netns, u64 dev,
			   const char *name, void *arg)
{
	struct ptype_walk *w = arg;

	ptype_walk_pair(v, w, dev + w->dev_all, dev + w->dev_specific, name);
}

/* Newer kernels' per-namespace lists (net->ptype_all, ptype_specific). */
static void ptype_walk_net(struct vmiaas *v, u64 net, u32 netns, void *arg)
{
	struct ptype_walk *w = arg;
	char owner[24];

	if (!w->has_net_lists)
		return;
	snprintf(owner, sizeof(owner), "netns %u", netns);
	ptype_walk_pair(v, w, net + w->net_all, net + w->net_specific, owner);
}

static void ptype_bad_list(void *arg, const char *object, u64 head, u32 netns,
			   const char *why)
{
	struct ptype_walk *w = arg;
	char where[HOOK_WHERE];

	snprintf(where, sizeof(where), "packet types: %s of netns %u", object,
		 netns);
	hook_bad(&w->h, object, where, head, why);
}

/* The global lists: ptype_all (or net_hotdata's) and ptype_base[]. */
static int ptype_walk_global(struct vmiaas *v, struct ptype_walk *w)
{
	char list[32];
	u64 all, base;
	u32 off, i;
	int err;

	if (!btf_offsetof(v->btf, "net_hotdata", "ptype_all", &off) &&
	    !engine_sym(v, "net_hotdata", &all))
		all += off;
	else if (engine_sym(v, "ptype_all", &all))
		all = 0;		/* newer kernels: per namespace only */
	if (engine_sym(v, "ptype_base", &base))
		return engine_fail(v, -ENOENT,
				   "packet-tap: the kernel has no ptype_base");
	w->scope[0] = '\0';
	err = all ? ptype_walk_list(v, w, all, "ptype_all") : 0;
	for (i = 0; !err && i < PTYPE_HASH_SIZE; i++) {
		snprintf(list, sizeof(list), "ptype_base[%u]", i);
		err = ptype_walk_list(v, w, base + 16ULL * i, list);
	}
	return err == -E2BIG ? 0 : err;
}

static int ptype_layout(struct vmiaas *v, struct ptype_walk *w)
{
	const struct btf_member_ref m[] = {
		{ "packet_type", "list", &w->list_off },
		{ "packet_type", "type", &w->type_off },
		{ "net_device", "ptype_all", &w->dev_all },
		{ "net_device", "ptype_specific", &w->dev_specific },
	};
	size_t i;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "packet-tap: the kernel's BTF lacks struct packet_type or net_device members");
	for (i = 0; i < ARRAY_SIZE(ptype_fns); i++)
		w->has_fn[i] = !btf_offsetof(v->btf, "packet_type",
					     ptype_fns[i], &w->fn_off[i]);
	if (!w->has_fn[0])
		return engine_fail(v, -ENOENT,
				   "packet-tap: the kernel's BTF has no struct packet_type.func");
	w->has_net_lists =
		!btf_offsetof(v->btf, "net", "ptype_all", &w->net_all) &&
		!btf_offsetof(v->btf, "net", "ptype_specific", &w->net_specific);
	return 0;
}

/* One scan: every packet type now, suspects and events to @sink. */
static int ptype_scan(struct vmiaas *v, const struct hidden_sink *sink,
		      void *arg)
{
	struct ptype_walk *w = calloc(1, sizeof(*w));
	const struct net_walker walker = {
		.check = "packet-tap", .net = ptype_walk_net,
		.dev = ptype_walk_dev, .bad = ptype_bad_list, .arg = w,
	};
	int err;

	if (!w)
		return -ENOMEM;
	w->h.check = "packet-tap";
	w->h.sees = "it receives packets before netfilter sees them";
	err = ptype_layout(v, w);
	err = err ?: hook_scan_begin(v, &w->h);
	err = err ?: ptype_walk_global(v, w);
	err = err ?: net_walk(v, &walker);
	if (!err)
		hook_report(v, &w->h, sink);
	hook_scan_end(&w->h);
	free(w);
	return err;
}

int check_packet_taps(struct vmiaas *v, const struct hidden_sink *sink)
{
	return check_confirmed(v, ptype_scan, NULL, sink);
}
