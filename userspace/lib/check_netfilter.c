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
 * iptable_*, nf_tables, br_netfilter), so the owner decides:
 *   - a hook in the kernel's text: nothing;
 *   - a hook in a live module's text: an informational event naming the
 *     module, unless the module carries a taint an in-tree, signed module
 *     does not (struct module.taints: P proprietary, F forced, O out of
 *     tree, E unsigned): a high finding;
 *   - a hook outside the kernel's text and every live module's text (a
 *     hidden module, executable heap, freed memory): critical.
 * A hook point whose count exceeds the kernel's MAX_HOOK_COUNT (1024) or
 * whose entries cannot be read is critical: the kernel would fault. The
 * namespace and device lists are walked by list_walk() (capped, cycle
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
#include "list.h"

#define NF_HOOKS_MAX		1024	/* MAX_HOOK_COUNT */
#define NF_NETNS_MAX		4096	/* network namespaces walked */
#define NF_DEVS_MAX		65536	/* devices of one namespace */
#define NF_SUSPECTS_MAX		64
#define NF_EVENTS_MAX		64	/* distinct (module, hook point) */
#define NF_ARRAY_MAX		8	/* hook points of one family */

/* struct module.taints bits a distribution's own modules never carry. */
#define NF_TAINT_BITS	((1UL << 0) | (1UL << 1) | (1UL << 12) | (1UL << 13))

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

/* One hook (or a bad hook point: hook 0 and @why). */
struct nf_suspect {
	char point[64];			/* "ipv4 PRE_ROUTING", "eth0 ingress" */
	u32 netns;			/* its namespace's inode number */
	u64 entries, hook;
	const char *why;
	int mod;			/* index in nf_walk.mods, -1 */
	unsigned long taints;
};

struct nf_walk {
	/* layout */
	u32 net_list, net_inum, nf_off[ARRAY_SIZE(nf_families)];
	u32 nf_nr[ARRAY_SIZE(nf_families)];
	u32 dev_base, dev_list, dev_name, ingress, egress;
	bool has_ingress, has_egress;
	u32 taints_off;
	u64 text_start, text_end;
	/* now */
	struct bl_module *mods;
	u32 nr_mods;
	u32 netns;			/* of the namespace being walked */
	struct nf_suspect s[NF_SUSPECTS_MAX];
	size_t nr;
	struct nf_suspect ev[NF_EVENTS_MAX];	/* in-tree module hooks */
	size_t nr_ev;
};

static int nf_module_of(const struct nf_walk *w, u64 addr)
{
	u32 i;

	for (i = 0; i < w->nr_mods; i++)
		if (addr >= w->mods[i].text.start && addr < w->mods[i].text.end)
			return i;
	return -1;
}

static void nf_event(struct nf_walk *w, const struct nf_suspect *s)
{
	size_t i;

	for (i = 0; i < w->nr_ev; i++)
		if (w->ev[i].mod == s->mod && !strcmp(w->ev[i].point, s->point))
			return;
	if (w->nr_ev < NF_EVENTS_MAX)
		w->ev[w->nr_ev++] = *s;
}

/* One hook's function against the rules (see the top). */
static void nf_judge(struct vmiaas *v, struct nf_walk *w, const char *point,
		     u64 entries, u64 hook)
{
	struct nf_suspect s = { .netns = w->netns, .entries = entries,
				.hook = hook };

	if (hook >= w->text_start && hook < w->text_end)
		return;
	snprintf(s.point, sizeof(s.point), "%s", point);
	s.mod = nf_module_of(w, hook);
	if (s.mod >= 0 && engine_read(v, w->mods[s.mod].addr + w->taints_off,
				      &s.taints, sizeof(s.taints)))
		s.why = "its module's struct module cannot be read";
	if (s.mod >= 0 && !s.why && !(s.taints & NF_TAINT_BITS)) {
		nf_event(w, &s);
		return;
	}
	if (w->nr < NF_SUSPECTS_MAX)
		w->s[w->nr++] = s;
}

static void nf_bad_point(struct nf_walk *w, const char *point, u64 entries,
			 const char *why)
{
	if (w->nr >= NF_SUSPECTS_MAX)
		return;
	w->s[w->nr] = (struct nf_suspect){ .netns = w->netns,
					   .entries = entries, .why = why,
					   .mod = -1 };
	snprintf(w->s[w->nr].point, sizeof(w->s[w->nr].point), "%s", point);
	w->nr++;
}

/* The hooks of one struct nf_hook_entries pointer stored at @slot. */
static void nf_walk_point(struct vmiaas *v, struct nf_walk *w, u64 slot,
			  const char *point)
{
	u64 pairs[2 * 64], entries;
	u16 num;
	u32 i, k, n;

	if (engine_read_u64(v, slot, &entries)) {
		nf_bad_point(w, point, 0, "its hook pointer cannot be read");
		return;
	}
	if (!entries)
		return;
	if (engine_read(v, entries, &num, sizeof(num))) {
		nf_bad_point(w, point, entries, "its hook entries cannot be read");
		return;
	}
	if (num > NF_HOOKS_MAX) {
		nf_bad_point(w, point, entries,
			     "over 1024 hooks (MAX_HOOK_COUNT): implausible");
		return;
	}
	for (i = 0; i < num; i += n) {
		n = min(num - i, (u32)ARRAY_SIZE(pairs) / 2);
		if (engine_read(v, entries + 8 + 16ULL * i, pairs, 16ULL * n)) {
			nf_bad_point(w, point, entries,
				     "its hook entries cannot be read");
			return;
		}
		for (k = 0; k < n; k++)
			nf_judge(v, w, point, entries, pairs[2 * k]);
	}
}

static int nf_walk_dev(struct vmiaas *v, u64 node, void *arg)
{
	struct nf_walk *w = arg;
	u64 dev = node - w->dev_list;
	char name[17] = "", point[64];
	u32 i;

	if (engine_read(v, dev + w->dev_name, name, 16))
		snprintf(name, sizeof(name), "dev@%llx", (unsigned long long)dev);
	for (i = 0; name[i]; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			name[i] = '?';
	if (w->has_ingress) {
		snprintf(point, sizeof(point), "%s ingress", name);
		nf_walk_point(v, w, dev + w->ingress, point);
	}
	if (w->has_egress) {
		snprintf(point, sizeof(point), "%s egress", name);
		nf_walk_point(v, w, dev + w->egress, point);
	}
	return 0;
}

static int nf_walk_net(struct vmiaas *v, u64 node, void *arg)
{
	struct nf_walk *w = arg;
	u64 net = node - w->net_list;
	char point[64];
	size_t f;
	u32 h;
	int err;

	w->netns = 0;
	engine_read(v, net + w->net_inum, &w->netns, sizeof(w->netns));
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
				      point);
		}
	if (!w->has_ingress && !w->has_egress)
		return 0;
	err = list_walk(v, "a namespace's device list", net + w->dev_base,
			NF_DEVS_MAX, nf_walk_dev, w);
	if (err == -ELOOP || err == -EBADMSG) {
		nf_bad_point(w, "devices", net + w->dev_base,
			     "its device list is corrupt (a cycle, a non-kernel pointer or over 65536 devices)");
		return 0;
	}
	return err;
}

static int nf_walk_all(struct vmiaas *v, struct nf_walk *w)
{
	u64 head;
	int err;

	w->nr = 0;
	w->nr_ev = 0;
	if (engine_sym(v, "net_namespace_list", &head))
		return engine_fail(v, -ENOENT,
				   "netfilter-hook: the kernel has no net_namespace_list");
	err = list_walk(v, "net_namespace_list", head, NF_NETNS_MAX,
			nf_walk_net, w);
	if (err == -ELOOP || err == -EBADMSG) {
		w->netns = 0;
		nf_bad_point(w, "namespaces", head,
			     "net_namespace_list is corrupt (a cycle, a non-kernel pointer or over 4096 namespaces)");
		return 0;
	}
	return err;
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
	const struct btf_member_ref m[] = {
		{ "net", "list", &w->net_list },
		{ "net", "ns.inum", &w->net_inum },
		{ "net", "dev_base_head", &w->dev_base },
		{ "net_device", "dev_list", &w->dev_list },
		{ "net_device", "name", &w->dev_name },
		{ "module", "taints", &w->taints_off },
	};
	size_t f;
	int err;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "netfilter-hook: the kernel's BTF lacks struct net, net_device or module members");
	for (f = 0; f < ARRAY_SIZE(nf_families); f++) {
		err = nf_layout_family(v, w, f);
		if (err)
			return err;
	}
	w->has_ingress = !btf_offsetof(v->btf, "net_device",
				       "nf_hooks_ingress", &w->ingress);
	w->has_egress = !btf_offsetof(v->btf, "net_device", "nf_hooks_egress",
				      &w->egress);
	return bl_text_range(v, &w->text_start, &w->text_end);
}

/* "OE": the taint letters of @t among NF_TAINT_BITS. */
static void nf_taint_letters(unsigned long t, char *buf)
{
	static const struct { int bit; char c; } l[] = {
		{ 0, 'P' }, { 1, 'F' }, { 12, 'O' }, { 13, 'E' },
	};
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(l); i++)
		if (t & (1UL << l[i].bit))
			buf[n++] = l[i].c;
	buf[n] = '\0';
}

static void nf_report(struct vmiaas *v, const struct nf_walk *w,
		      const struct nf_suspect *s,
		      const struct hidden_sink *sink)
{
	bool tainted = s->mod >= 0 && !s->why;
	struct vmiaas_finding *f;
	char call[128], taints[8];

	f = sink->add(sink->ctx, "netfilter-hook",
		      tainted ? VMIAAS_SEV_HIGH : VMIAAS_SEV_CRITICAL, s->point);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = s->entries;
	if (!s->hook) {
		snprintf(f->message, sizeof(f->message),
			 "netfilter %s of netns %u: %s", s->point, s->netns,
			 s->why);
		return;
	}
	check_symbolize(v, s->hook, call, sizeof(call));
	f->flags |= VMIAAS_FINDING_SYMBOLS | VMIAAS_FINDING_VALUES;
	f->new_value = s->hook;
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", call);
	nf_taint_letters(s->taints, taints);
	if (tainted)
		snprintf(f->message, sizeof(f->message),
			 "netfilter hook %s on %s of netns %u: module %s is tainted %s (not an in-tree, signed module); it sees every packet there",
			 call, s->point, s->netns, w->mods[s->mod].name, taints);
	else if (s->why)
		snprintf(f->message, sizeof(f->message),
			 "netfilter hook %s on %s of netns %u: %s", call,
			 s->point, s->netns, s->why);
	else
		snprintf(f->message, sizeof(f->message),
			 "netfilter hook %s on %s of netns %u lies outside the kernel's text and every live module's text",
			 call, s->point, s->netns);
}

static void nf_report_events(struct vmiaas *v, const struct nf_walk *w,
			     const struct hidden_sink *sink)
{
	struct vmiaas_finding *f;
	char call[128];
	size_t i;

	for (i = 0; i < w->nr_ev; i++) {
		const struct nf_suspect *s = &w->ev[i];

		f = sink->add(sink->ctx, "netfilter-hook", VMIAAS_SEV_INFO,
			      s->point);
		if (!f)
			return;
		check_symbolize(v, s->hook, call, sizeof(call));
		f->flags |= VMIAAS_FINDING_EVENT | VMIAAS_FINDING_SYMBOLS;
		snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", call);
		snprintf(f->message, sizeof(f->message),
			 "module %s (untainted: in-tree, signed) hooks netfilter %s: %s",
			 w->mods[s->mod].name, s->point, call);
	}
}

/* One scan: every hook point now, suspects and events to @sink. */
static int nf_scan(struct vmiaas *v, const struct hidden_sink *sink,
		   void *arg)
{
	struct nf_walk *w = calloc(1, sizeof(*w));
	size_t i;
	int err;

	if (!w)
		return -ENOMEM;
	err = nf_layout(v, w);
	err = err ?: bl_modules_now(v, &w->mods, &w->nr_mods);
	err = err ?: nf_walk_all(v, w);
	if (!err)
		nf_report_events(v, w, sink);
	for (i = 0; !err && i < w->nr; i++)
		nf_report(v, w, &w->s[i], sink);
	bl_modules_free(w->mods, w->nr_mods);
	free(w);
	return err;
}

int check_netfilter(struct vmiaas *v, const struct hidden_sink *sink)
{
	return check_confirmed(v, nf_scan, NULL, sink);
}
