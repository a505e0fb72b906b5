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
 * walk (which pointers, where, with what bounds and cycle checks) is
 * core/nfhook.c's, the code vmiaas.ko runs for nf_module_check()'s
 * record; this file resolves the layout from BTF (netns_nf's arrays and
 * their sizes differ between 6.1 and 6.12) and judges what the walk
 * passes it. What a scan reports is confirmed by a
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
#include "uapi/linux/vmiaas.h"
#include "../../core/nfhook.h"

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
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_nf_layout l;		/* core/nfhook.c's */
	u32 dev_name;
	struct vmiaas *v;
};

/*
 * "ipv4 PRE_ROUTING", "eth0 ingress", "devices": where @e is (a device's
 * name read at @dev_name through @v; "dev@ADDR" with @v NULL).
 */
void nf_point_name(struct vmiaas *v, u32 dev_name, const struct vmi_nf_hook *e,
		   char *point, size_t size)
{
	const struct nf_family *fam;
	char name[17] = "";

	if (e->family == VMI_NF_NETNS_LIST || e->family == VMI_NF_DEV_LIST) {
		snprintf(point, size, "%s", e->family == VMI_NF_NETNS_LIST ?
			 "namespaces" : "devices");
		return;
	}
	if (e->family >= VMI_NF_FAMILIES) {
		if (!v || engine_read(v, e->dev + dev_name, name, 16))
			snprintf(name, sizeof(name), "dev@%llx",
				 (unsigned long long)e->dev);
		hook_printable(name);
		snprintf(point, size, "%s %s", name,
			 e->family == VMI_NF_INGRESS ? "ingress" : "egress");
		return;
	}
	fam = &nf_families[e->family];
	if (e->point < fam->nr_names)
		snprintf(point, size, "%s %s", fam->name, fam->hooks[e->point]);
	else
		snprintf(point, size, "%s %u", fam->name, e->point);
}

/* Why a bad point of core/nfhook.c cannot be walked. */
const char *nf_bad_why(const struct vmi_nf_hook *e)
{
	if (e->family == VMI_NF_NETNS_LIST)
		return "net_namespace_list is corrupt (a cycle, a non-kernel pointer or over 4096 namespaces)";
	if (e->family == VMI_NF_DEV_LIST)
		return "its device list is corrupt (a cycle, a non-kernel pointer or over 65536 devices)";
	if (e->err == -E2BIG)
		return "over 1024 hooks (MAX_HOOK_COUNT): implausible";
	return e->entries ? "its hook entries cannot be read" :
	       "its hook pointer cannot be read";
}

/* core/nfhook.c's callback: a hook or a bad point, judged by hookpolicy. */
static int nf_visit(void *ctx, const struct vmi_nf_hook *e)
{
	struct nf_walk *w = ctx;
	char point[HOOK_OBJECT], where[HOOK_WHERE];

	if (!e->err && !hook_judged(&w->h, e->fn))
		return 0;
	nf_point_name(w->v, w->dev_name, e, point, sizeof(point));
	if (e->err) {
		snprintf(where, sizeof(where), "netfilter %s of netns %u",
			 point, e->netns);
		hook_bad(&w->h, point, where, e->entries, nf_bad_why(e));
		return 0;
	}
	snprintf(where, sizeof(where), "netfilter hook on %s of netns %u",
		 point, e->netns);
	hook_judge(w->v, &w->h, point, where, e->entries, e->fn);
	return 0;
}

static int nf_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct nf_walk *w = (struct nf_walk *)h;
	struct vmi_read_ops r;
	int err;

	bl_read_ops(v, &r);
	err = vmi_nf_walk(&r, &w->l, nf_visit, w);
	if (err)
		return engine_fail(v, err,
				   "netfilter-hook: a namespace or device list node is unreadable");
	return 0;
}

/* A hook point array of struct netns_nf: offset and number of points. */
static int nf_layout_family(struct vmiaas *v, struct nf_walk *w, size_t f)
{
	char path[32];
	u32 size;

	snprintf(path, sizeof(path), "nf.%s", nf_families[f].member);
	if (btf_offsetof(v->btf, "net", path, &w->l.fam_off[f]) ||
	    btf_member_size(v->btf, "net", path, &size)) {
		w->l.fam_nr[f] = 0;	/* the family is not built in */
		return 0;
	}
	w->l.fam_nr[f] = size / 8;
	if (size % 8 || w->l.fam_nr[f] > VMI_NF_POINTS_MAX)
		return engine_fail(v, -EBADMSG,
				   "netfilter-hook: struct net.%s of %u bytes: implausible",
				   path, size);
	return 0;
}

static int nf_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct nf_walk *w = (struct nf_walk *)h;
	struct vmi_nf_layout *l = &w->l;
	const struct btf_member_ref m[] = {
		{ "net", "list", &l->net_list },
		{ "net", "ns.inum", &l->net_inum },
		{ "net", "dev_base_head", &l->dev_base },
		{ "net_device", "dev_list", &l->dev_list },
		{ "net_device", "name", &w->dev_name },
	};
	size_t f;
	int err;

	*l = (struct vmi_nf_layout){
		.max_netns = VMI_NETNS_MAX, .max_devs = VMI_NET_DEVS_MAX,
	};
	w->v = v;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "netfilter-hook: the kernel's BTF lacks struct net or net_device members");
	if (engine_sym(v, "net_namespace_list", &l->net_head))
		return engine_fail(v, -ENOENT,
				   "netfilter-hook: the kernel has no net_namespace_list");
	for (f = 0; f < ARRAY_SIZE(nf_families); f++) {
		err = nf_layout_family(v, w, f);
		if (err)
			return err;
	}
	if (!btf_offsetof(v->btf, "net_device", "nf_hooks_ingress",
			  &l->ingress))
		l->flags |= VMI_NF_HAS_INGRESS;
	if (!btf_offsetof(v->btf, "net_device", "nf_hooks_egress", &l->egress))
		l->flags |= VMI_NF_HAS_EGRESS;
	if (!vmi_nf_layout_ok(l))
		return engine_fail(v, -EBADMSG,
				   "netfilter-hook: struct net or net_device offsets over 64 KiB: implausible");
	return 0;
}

static int nf_record(struct vmiaas *v, struct hook_scan *h,
		     struct vmiaas_module_check *c);

static const struct hook_check nf_check = {
	.check = "netfilter-hook",
	.sees = "it sees every packet there",
	.size = sizeof(struct nf_walk),
	.layout = nf_layout,
	.walk = nf_walk_all,
	.record = nf_record,
};

/* One scan: every hook point now, suspects and events to @sink. */
static int nf_scan(struct vmiaas *v, const struct hidden_sink *sink,
		   void *arg)
{
	return hook_check_scan(v, &nf_check, sink, arg);
}

int check_netfilter(struct vmiaas *v, const struct hidden_sink *sink,
		    struct hook_trust *trust)
{
	return check_confirmed(v, nf_scan, trust, sink);
}

/* ---- vmiaas.ko's record ---- */

/* The layout of @w in the uapi's form. */
static void nf_record_layout(const struct nf_walk *w,
			     struct vmiaas_nf_check *nf)
{
	const struct vmi_nf_layout *l = &w->l;
	size_t f;

	nf->net_list = l->net_list;
	nf->net_inum = l->net_inum;
	nf->dev_base = l->dev_base;
	nf->dev_list = l->dev_list;
	nf->ingress = l->ingress;
	nf->egress = l->egress;
	for (f = 0; f < VMIAAS_NF_FAMILIES; f++) {
		nf->family_off[f] = l->fam_off[f];
		nf->family_nr[f] = l->fam_nr[f];
	}
	if (l->flags & VMI_NF_HAS_INGRESS)
		nf->flags |= VMIAAS_NF_INGRESS;
	if (l->flags & VMI_NF_HAS_EGRESS)
		nf->flags |= VMIAAS_NF_EGRESS;
}

/* netfilter-hook's record: its layout and allowed ranges. */
static int nf_record(struct vmiaas *v, struct hook_scan *h,
		     struct vmiaas_module_check *c)
{
	struct nf_walk *w = (struct nf_walk *)h;
	struct vmiaas_nf_check *nf = (struct vmiaas_nf_check *)c->data;

	static_assert(sizeof(*nf) <= VMIAAS_MODULE_DATA, "data");
	static_assert(VMIAAS_NF_FAMILIES == ARRAY_SIZE(nf_families), "families");
	nf_record_layout(w, nf);
	return hook_record(v, h, c, VMIAAS_CHECK_NF_GVA, w->l.net_head,
			   "netfilter hooks", nf->allow, VMIAAS_MAX_NF_ALLOW,
			   &nf->nr_allow);
}

/* netfilter-hook's record for vmiaas_module_policy(), appended at *@nr. */
int nf_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		    size_t max, size_t *nr, struct hook_trust *trust)
{
	return hook_module_check(v, &nf_check, out, max, nr, trust);
}
