// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * netfilter-hook: the functions the kernel calls on every packet.
 *
 * nf_register_net_hook() puts a function on one of a network namespace's
 * hook points: net->nf.hooks_ipv4[NF_INET_NUMHOOKS], hooks_ipv6,
 * hooks_arp, hooks_bridge, and per device nf_hooks_ingress and
 * nf_hooks_egress. Each is a struct nf_hook_entries in writable memory:
 * a u16 count, then that many { hook, priv } pairs. A magic-packet
 * backdoor or a connection hider registers one there and changes no text
 * and no read-only data. In-tree modules register hooks too (nf_conntrack,
 * iptable_*, nf_tables, br_netfilter), so the owner decides, by
 * hookpolicy.h's rules: kernel text nothing, an untainted module an
 * event, a tainted one high, anywhere else critical.
 * A hook point whose count exceeds the kernel's MAX_HOOK_COUNT (1024) or
 * whose entries cannot be read is critical: the kernel would fault. The
 * namespace and device lists are walked by net_walk() (capped, cycle
 * detection). Layouts come from BTF: netns_nf's arrays and their sizes
 * differ between 6.1 and 6.12. What a scan reports is confirmed by a
 * second one (check_confirmed()): a module going away unregisters its
 * hooks just after it stops being live.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "netwalk.h"

#define NF_HOOKS_MAX		1024	/* MAX_HOOK_COUNT */
#define NF_ARRAY_MAX		8	/* hook points of one family */

static const char *const nf_inet_hooks[] = {
	"PRE_ROUTING", "LOCAL_IN", "FORWARD", "LOCAL_OUT", "POST_ROUTING",
};
static const char *const nf_arp_hooks[] = { "IN", "OUT", "FORWARD" };

static const struct nf_family {
	const char *member;		/* of struct netns_nf */
	const char *name;
	const char *const *hooks;
	u32 nr_names;
} nf_families[] = {
	{ "hooks_ipv4", "ipv4", nf_inet_hooks, ARRAY_SIZE(nf_inet_hooks) },
	{ "hooks_ipv6", "ipv6", nf_inet_hooks, ARRAY_SIZE(nf_inet_hooks) },
	{ "hooks_arp", "arp", nf_arp_hooks, ARRAY_SIZE(nf_arp_hooks) },
	{ "hooks_bridge", "bridge", nf_inet_hooks, ARRAY_SIZE(nf_inet_hooks) },
};

struct nf_walk {
	/* layout */
	u32 nf_off[ARRAY_SIZE(nf_families)];
	u32 nf_nr[ARRAY_SIZE(nf_families)];
	u32 ingress, egress;
	bool has_ingress, has_egress;
	struct hook_scan h;
};

static void nf_bad_point(struct nf_walk *w, const char *point, u32 netns,
			 u64 entries, const char *why)
{
	char where[HOOK_WHERE];

	snprintf(where, sizeof(where), "netfilter %s of netns %u", point,
		 netns);
	hook_bad(&w->h, point, where, entries, why);
}

/* The hooks of one struct nf_hook_entries pointer stored at @slot. */
static void nf_walk_point(struct vmiaas *v, struct nf_walk *w, u64 slot,
			  const char *point, u32 netns)
{
	char where[HOOK_WHERE];
	u64 pairs[2 * 64], entries;
	u16 num;
	u32 i, k, n;

	if (engine_read_u64(v, slot, &entries)) {
		nf_bad_point(w, point, netns, 0, "its hook pointer cannot be read");
		return;
	}
	if (!entries)
		return;
	if (engine_read(v, entries, &num, sizeof(num))) {
		nf_bad_point(w, point, netns, entries,
			     "its hook entries cannot be read");
		return;
	}
	if (num > NF_HOOKS_MAX) {
		nf_bad_point(w, point, netns, entries,
			     "over 1024 hooks (MAX_HOOK_COUNT): implausible");
		return;
	}
	snprintf(where, sizeof(where), "netfilter hook on %s of netns %u",
		 point, netns);
	for (i = 0; i < num; i += n) {
		n = min(num - i, (u32)ARRAY_SIZE(pairs) / 2);
		if (engine_read(v, entries + 8 + 16ULL * i, pairs, 16ULL * n)) {
			nf_bad_point(w, point, netns, entries,
				     "its hook entries cannot be read");
			return;
		}
		for (k = 0; k < n; k++)
			hook_judge(v, &w->h, point, where, entries, pairs[2 * k]);
	}
}

static void nf_walk_dev(struct vmiaas *v, u64 net, u32 netns, u64 dev,
			const char *name, void *arg)
{
	struct nf_walk *w = arg;
	char point[64];

	if (w->has_ingress) {
		snprintf(point, sizeof(point), "%s ingress", name);
		nf_walk_point(v, w, dev + w->ingress, point, netns);
	}
	if (w->has_egress) {
		snprintf(point, sizeof(point), "%s egress", name);
		nf_walk_point(v, w, dev + w->egress, point, netns);
	}
}

static void nf_walk_net(struct vmiaas *v, u64 net, u32 netns, void *arg)
{
	struct nf_walk *w = arg;
	char point[64];
	size_t f;
	u32 h;

	for (f = 0; f < ARRAY_SIZE(nf_families); f++)
		for (h = 0; h < w->nf_nr[f]; h++) {
			const struct nf_family *fam = &nf_families[f];

			if (h < fam->nr_names)
				snprintf(point, sizeof(point), "%s %s",
					 fam->name, fam->hooks[h]);
			else
				snprintf(point, sizeof(point), "%s %u",
					 fam->name, h);
			nf_walk_point(v, w, net + w->nf_off[f] + 8ULL * h,
				      point, netns);
		}
}

static void nf_bad_list(void *arg, const char *object, u64 head, u32 netns,
			const char *why)
{
	nf_bad_point(arg, object, netns, head, why);
}

static int nf_walk_all(struct vmiaas *v, struct nf_walk *w)
{
	const struct net_walker walker = {
		.check = "netfilter-hook", .net = nf_walk_net,
		.dev = w->has_ingress || w->has_egress ? nf_walk_dev : NULL,
		.bad = nf_bad_list, .arg = w,
	};

	return net_walk(v, &walker);
}

/* A hook point array of struct netns_nf: offset and number of points. */
static int nf_layout_family(struct vmiaas *v, struct nf_walk *w, size_t f)
{
	char path[32];
	u32 size;

	snprintf(path, sizeof(path), "nf.%s", nf_families[f].member);
	if (btf_offsetof(v->btf, "net", path, &w->nf_off[f]) ||
	    btf_member_size(v->btf, "net", path, &size)) {
		w->nf_nr[f] = 0;	/* the family is not built in */
		return 0;
	}
	w->nf_nr[f] = size / 8;
	if (size % 8 || w->nf_nr[f] > NF_ARRAY_MAX)
		return engine_fail(v, -EBADMSG,
				   "netfilter-hook: struct net.%s of %u bytes: implausible",
				   path, size);
	return 0;
}

static int nf_layout(struct vmiaas *v, struct nf_walk *w)
{
	size_t f;
	int err;

	for (f = 0; f < ARRAY_SIZE(nf_families); f++) {
		err = nf_layout_family(v, w, f);
		if (err)
			return err;
	}
	w->has_ingress = !btf_offsetof(v->btf, "net_device",
				       "nf_hooks_ingress", &w->ingress);
	w->has_egress = !btf_offsetof(v->btf, "net_device", "nf_hooks_egress",
				      &w->egress);
	return 0;
}

/* One scan: every hook point now, suspects and events to @sink. */
static int nf_scan(struct vmiaas *v, const struct hidden_sink *sink,
		   void *arg)
{
	struct nf_walk *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->h.check = "netfilter-hook";
	w->h.sees = "it sees every packet there";
	err = nf_layout(v, w);
	err = err ?: hook_scan_begin(v, &w->h);
	err = err ?: nf_walk_all(v, w);
	if (!err)
		hook_report(v, &w->h, sink);
	hook_scan_end(&w->h);
	free(w);
	return err;
}

int check_netfilter(struct vmiaas *v, const struct hidden_sink *sink)
{
	return check_confirmed(v, nf_scan, NULL, sink);
}
