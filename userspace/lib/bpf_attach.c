// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Where BPF programs are attached (see bpf_attach.h): each bpf_link type
 * keeps its target in its own container of struct bpf_link, whose layout
 * BTF gives; XDP attached through netlink has no link and is found on
 * the network devices (net_device.xdp_state[]).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "bpf_attach.h"
#include "checks.h"
#include "list.h"

/* Whether the kernel has every member of @m (offsets set). */
static bool opt_members(struct vmiaas *v, const struct btf_member_ref *m,
			size_t n)
{
	return !btf_offsets(v->btf, m, n, NULL);
}

/* The link type @name's value if the kernel has @m too, else -1. */
static s64 opt_kind(struct vmiaas *v, const char *name,
		    const struct btf_member_ref *m, size_t n)
{
	s64 val;

	if (btf_enum_value(v->btf, name, &val) || !opt_members(v, m, n))
		return -1;
	return val;
}

static void layout_links(struct vmiaas *v, struct bpf_attach_layout *a)
{
	const struct btf_member_ref raw_tp[] = {
		{ "bpf_raw_tp_link", "btp", &a->rtl_btp },
		{ "bpf_raw_event_map", "tp", &a->btp_tp },
		{ "tracepoint", "name", &a->tp_name },
	}, cgroup[] = {
		{ "bpf_cgroup_link", "cgroup", &a->cgl_cgroup },
		{ "bpf_cgroup_link", "type", &a->cgl_type },
		{ "cgroup", "kn", &a->cg_kn },
		{ "kernfs_node", "name", &a->kn_name },
	}, xdp[] = {
		{ "bpf_xdp_link", "dev", &a->xl_dev },
		{ "net_device", "name", &a->nd_name },
	}, tcx[] = {
		{ "tcx_link", "dev", &a->tl_dev },
		{ "tcx_link", "location", &a->tl_loc },
		{ "net_device", "name", &a->nd_name },
	}, perf[] = {
		{ "bpf_perf_link", "perf_file", &a->pl_file },
		{ "file", "private_data", &a->f_priv },
		{ "perf_event", "tp_event", &a->pe_tp },
		{ "perf_event", "attr.type", &a->pe_type },
		{ "perf_event", "attr.config", &a->pe_config },
		{ "trace_event_call", "name", &a->call_name },
		{ "trace_event_call", "flags", &a->call_flags },
		{ "tracepoint", "name", &a->tp_name },
	}, kmulti[] = {
		{ "bpf_kprobe_multi_link", "addrs", &a->km_addrs },
		{ "bpf_kprobe_multi_link", "cnt", &a->km_cnt },
	};

	a->lt_raw_tp = opt_kind(v, "BPF_LINK_TYPE_RAW_TRACEPOINT", raw_tp,
				ARRAY_SIZE(raw_tp));
	a->lt_cgroup = opt_kind(v, "BPF_LINK_TYPE_CGROUP", cgroup,
				ARRAY_SIZE(cgroup));
	/* kernfs_node.parent is __parent since 6.15 */
	if (btf_offsetof(v->btf, "kernfs_node", "parent", &a->kn_parent) &&
	    btf_offsetof(v->btf, "kernfs_node", "__parent", &a->kn_parent))
		a->kn_parent = BPF_NO_MEMBER;
	a->lt_xdp = opt_kind(v, "BPF_LINK_TYPE_XDP", xdp, ARRAY_SIZE(xdp));
	a->lt_tcx = opt_kind(v, "BPF_LINK_TYPE_TCX", tcx, ARRAY_SIZE(tcx));
	a->lt_perf = opt_kind(v, "BPF_LINK_TYPE_PERF_EVENT", perf,
			      ARRAY_SIZE(perf));
	if (btf_enum_value(v->btf, "TRACE_EVENT_FL_TRACEPOINT",
			   &a->fl_tracepoint))
		a->lt_perf = -1;
	if (btf_enum_value(v->btf, "TRACE_EVENT_FL_KPROBE", &a->fl_kprobe))
		a->fl_kprobe = 0;
	if (btf_enum_value(v->btf, "TRACE_EVENT_FL_UPROBE", &a->fl_uprobe))
		a->fl_uprobe = 0;
	a->lt_kmulti = opt_kind(v, "BPF_LINK_TYPE_KPROBE_MULTI", kmulti,
				ARRAY_SIZE(kmulti));
}

/* XDP without a link: net_namespace_list, each net's devices. */
static void layout_netdevs(struct vmiaas *v, struct bpf_attach_layout *a)
{
	const struct btf_member_ref m[] = {
		{ "net", "list", &a->net_node },
		{ "net", "dev_base_head", &a->net_devs },
		{ "net_device", "dev_list", &a->nd_node },
		{ "net_device", "xdp_state", &a->nd_xdp },
		{ "net_device", "name", &a->nd_name },
		{ "bpf_xdp_entity", "prog", &a->xdp_prog },
	};
	u32 total;

	if (engine_sym(v, "net_namespace_list", &a->net_list) ||
	    !opt_members(v, m, ARRAY_SIZE(m)) ||
	    btf_sizeof(v->btf, "bpf_xdp_entity", &a->xdp_size) ||
	    btf_member_size(v->btf, "net_device", "xdp_state", &total) ||
	    !a->xdp_size || total % a->xdp_size || total / a->xdp_size > 8)
		a->net_list = 0;
	else
		a->xdp_nr = total / a->xdp_size;
}

/* Cgroup programs without a link: each cgroup's bpf.progs[type]. */
static void layout_cgroups(struct vmiaas *v, struct bpf_attach_layout *a)
{
	const struct btf_member_ref m[] = {
		{ "cgroup_root", "cgrp", &a->cgr_cgrp },
		{ "cgroup", "self", &a->cg_self },
		{ "cgroup", "kn", &a->cg_kn },
		{ "cgroup", "bpf.progs", &a->cg_progs },
		{ "cgroup_subsys_state", "children", &a->css_children },
		{ "cgroup_subsys_state", "sibling", &a->css_sibling },
		{ "kernfs_node", "name", &a->kn_name },
		{ "bpf_prog_list", "node", &a->pl_node },
		{ "bpf_prog_list", "prog", &a->pl_prog },
		{ "bpf_prog_list", "link", &a->pl_link },
	};
	u32 size;

	if (engine_sym(v, "cgrp_dfl_root", &a->cg_root) ||
	    !opt_members(v, m, ARRAY_SIZE(m)) ||
	    btf_member_size(v->btf, "cgroup_bpf", "progs", &size) ||
	    !size || size % 8 || size / 8 > 64)
		a->cg_root = 0;
	else
		a->cg_nr_types = size / 8;
}

/* tc's clsact qdiscs: net_device.miniq_* (6.1) or tcx_* (6.6+). */
static void layout_tc(struct vmiaas *v, struct bpf_attach_layout *a)
{
	const struct btf_member_ref m[] = {
		{ "mini_Qdisc", "filter_list", &a->mq_filters },
		{ "tcf_proto", "next", &a->tp_next },
		{ "tcf_proto", "root", &a->tp_root },
		{ "tcf_proto", "ops", &a->tp_ops },
		{ "tcf_proto_ops", "kind", &a->ops_kind },
	}, tcx[] = {
		{ "net_device", "tcx_ingress", &a->nd_tcx[0] },
		{ "net_device", "tcx_egress", &a->nd_tcx[1] },
		{ "bpf_mprog_entry", "parent", &a->me_parent },
		{ "tcx_entry", "bundle", &a->te_bundle },
		{ "tcx_entry", "miniq", &a->te_miniq },
	}, miniq[] = {
		{ "net_device", "miniq_ingress", &a->nd_miniq[0] },
		{ "net_device", "miniq_egress", &a->nd_miniq[1] },
	};

	bool has_miniq = opt_members(v, miniq, ARRAY_SIZE(miniq));

	if (!has_miniq)
		a->nd_miniq[0] = a->nd_miniq[1] = BPF_NO_MEMBER;
	a->tc = a->net_list && opt_members(v, m, ARRAY_SIZE(m)) &&
		(has_miniq || opt_members(v, tcx, ARRAY_SIZE(tcx)));
}

void bpf_attach_layout_get(struct vmiaas *v, struct bpf_attach_layout *a)
{
	memset(a, 0, sizeof(*a));
	layout_links(v, a);
	layout_netdevs(v, a);
	layout_cgroups(v, a);
	layout_tc(v, a);
}

void bpf_printable(char *buf, size_t size)
{
	size_t i;

	buf[size - 1] = '\0';
	for (i = 0; buf[i]; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			buf[i] = '?';
}

void bpf_guest_string(struct vmiaas *v, u64 va, char *buf, size_t size)
{
	size_t first = min(size - 1, (size_t)(4096 - (va & 4095)));

	memset(buf, 0, size);
	if (va < 0xff00000000000000ULL || engine_read(v, va, buf, first))
		return;
	/* the string may end on its first page; the next may be unmapped */
	if (!memchr(buf, 0, first) && first < size - 1 &&
	    engine_read(v, va + first, buf + first, size - 1 - first))
		buf[first] = '\0';
	bpf_printable(buf, size);
}

void bpf_enum_name(const struct btf *btf, const char *type, const char *prefix,
		   u32 value, char *buf, size_t size)
{
	s32 id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_enum *e;
	const char *name;
	size_t i, j, plen = strlen(prefix);

	snprintf(buf, size, "%u", value);
	for (i = 0; t && i < btf_vlen(t); i++) {
		e = btf_enum(t) + i;
		name = btf__name_by_offset(btf, e->name_off);
		if ((u32)e->val != value || !name || strncmp(name, prefix, plen))
			continue;
		snprintf(buf, size, "%s", name + plen);
		for (j = 0; buf[j]; j++)
			buf[j] = tolower((unsigned char)buf[j]);
		return;
	}
}

/* *@ret = the pointer at @va, if it is a kernel pointer. */
static bool read_ptr(struct vmiaas *v, u64 va, u64 *ret)
{
	return !engine_read_u64(v, va, ret) && kernel_ptr(*ret);
}

/* "raw_tracepoint sys_enter" */
static void link_raw_tp(struct vmiaas *v, const struct bpf_attach_layout *a,
			u64 link, char *buf, size_t size)
{
	char name[64];
	u64 btp, tp, va;

	if (!read_ptr(v, link + a->rtl_btp, &btp) ||
	    !read_ptr(v, btp + a->btp_tp, &tp) ||
	    engine_read_u64(v, tp + a->tp_name, &va))
		return;
	bpf_guest_string(v, va, name, sizeof(name));
	if (name[0])
		snprintf(buf, size, "raw_tracepoint %s", name);
}

/*
 * The cgroup's path from its kernfs nodes, root last: at most
 * BPF_ATTACH_CGROUP_DEPTH components, so a parent cycle ends too.
 */
static void cgroup_path(struct vmiaas *v, const struct bpf_attach_layout *a,
			u64 kn, char *buf, size_t size)
{
	char names[BPF_ATTACH_CGROUP_DEPTH][48];
	u32 n = 0, i;
	size_t len = 0;
	u64 va;

	buf[0] = '\0';
	while (kernel_ptr(kn) && n < BPF_ATTACH_CGROUP_DEPTH) {
		if (engine_read_u64(v, kn + a->kn_name, &va))
			return;
		bpf_guest_string(v, va, names[n++], sizeof(names[0]));
		if (a->kn_parent == BPF_NO_MEMBER ||
		    engine_read_u64(v, kn + a->kn_parent, &kn))
			break;
	}
	if (kernel_ptr(kn) && n == BPF_ATTACH_CGROUP_DEPTH)
		len = snprintf(buf, size, "...");
	/* names[n - 1] is the root's (""): the path starts below it */
	for (i = n - 1; i-- > 0 && len < size;)
		len += snprintf(buf + len, size - len, "/%s", names[i]);
	if (n == 1 && size > 1)
		snprintf(buf, size, "/");
}

/* "cgroup /system.slice (cgroup_inet_ingress)" */
static void link_cgroup(struct vmiaas *v, const struct bpf_attach_layout *a,
			u64 link, char *buf, size_t size)
{
	char path[96], type[40];
	u64 cg, kn;
	u32 at;

	if (!read_ptr(v, link + a->cgl_cgroup, &cg) ||
	    engine_read(v, link + a->cgl_type, &at, sizeof(at)) ||
	    !read_ptr(v, cg + a->cg_kn, &kn))
		return;
	cgroup_path(v, a, kn, path, sizeof(path));
	bpf_enum_name(v->btf, "bpf_attach_type", "BPF_", at, type,
		      sizeof(type));
	snprintf(buf, size, "cgroup %s (%s)", path[0] ? path : "?", type);
}

/* The device's name ("eth0"), "" if unreadable. */
static void netdev_name(struct vmiaas *v, const struct bpf_attach_layout *a,
			u64 dev, char *buf, size_t size)
{
	char name[17] = "";

	if (kernel_ptr(dev) && !engine_read(v, dev + a->nd_name, name, 16))
		bpf_printable(name, sizeof(name));
	snprintf(buf, size, "%s", name);
}

/* "xdp on eth0", "tcx_ingress on eth0" */
static void link_netdev(struct vmiaas *v, const struct bpf_attach_layout *a,
			u64 link, bool tcx, char *buf, size_t size)
{
	char dev[17], where[40] = "xdp";
	u64 d;
	u32 loc;

	if (!read_ptr(v, link + (tcx ? a->tl_dev : a->xl_dev), &d))
		return;
	netdev_name(v, a, d, dev, sizeof(dev));
	if (tcx && !engine_read(v, link + a->tl_loc, &loc, sizeof(loc)))
		bpf_enum_name(v->btf, "bpf_attach_type", "BPF_", loc, where,
			      sizeof(where));
	if (dev[0])
		snprintf(buf, size, "%s on %s", where, dev);
}

/* "perf_event kprobe vfs_read", "perf_event tracepoint sched_switch" */
static void link_perf(struct vmiaas *v, const struct bpf_attach_layout *a,
		      u64 link, char *buf, size_t size)
{
	char name[64];
	const char *kind = "";
	u64 file, ev, call, va, config;
	u32 type, flags;

	if (!read_ptr(v, link + a->pl_file, &file) ||
	    !read_ptr(v, file + a->f_priv, &ev) ||
	    engine_read_u64(v, ev + a->pe_tp, &call))
		return;
	if (!kernel_ptr(call)) {	/* a hardware or software event */
		if (!engine_read(v, ev + a->pe_type, &type, sizeof(type)) &&
		    !engine_read_u64(v, ev + a->pe_config, &config))
			snprintf(buf, size, "perf_event type %u config 0x%llx",
				 type, (unsigned long long)config);
		return;
	}
	if (engine_read(v, call + a->call_flags, &flags, sizeof(flags)) ||
	    engine_read_u64(v, call + a->call_name, &va))
		return;
	if (flags & a->fl_tracepoint) {
		kind = "tracepoint ";
		if (!kernel_ptr(va) ||
		    engine_read_u64(v, va + a->tp_name, &va))
			return;
	} else if (flags & a->fl_kprobe) {
		kind = "kprobe ";
	} else if (flags & a->fl_uprobe) {
		kind = "uprobe ";
	}
	bpf_guest_string(v, va, name, sizeof(name));
	if (name[0])
		snprintf(buf, size, "perf_event %s%s", kind, name);
}

/* "kprobe_multi vfs_read, vfs_write (+3 more)" */
static void link_kmulti(struct vmiaas *v, const struct bpf_attach_layout *a,
			u64 link, char *buf, size_t size)
{
	char sym[96];
	u64 addrs, addr;
	u32 cnt, i;
	size_t len;

	if (!read_ptr(v, link + a->km_addrs, &addrs) ||
	    engine_read(v, link + a->km_cnt, &cnt, sizeof(cnt)) || !cnt)
		return;
	len = snprintf(buf, size, "kprobe_multi");
	for (i = 0; i < cnt && i < BPF_ATTACH_MULTI_NAMED && len < size; i++) {
		if (engine_read_u64(v, addrs + 8ULL * i, &addr))
			break;
		check_symbolize(v, addr, sym, sizeof(sym));
		len += snprintf(buf + len, size - len, "%s%s", i ? ", " : " ",
				sym);
	}
	if (cnt > i && len < size)
		snprintf(buf + len, size - len, " (+%u more)", cnt - i);
}

bool bpf_attach_link(struct vmiaas *v, const struct bpf_attach_layout *a,
		     u64 link, u32 type, char *buf, size_t size)
{
	s64 t = type;

	buf[0] = '\0';
	if (t == a->lt_raw_tp)
		link_raw_tp(v, a, link, buf, size);
	else if (t == a->lt_cgroup)
		link_cgroup(v, a, link, buf, size);
	else if (t == a->lt_xdp || t == a->lt_tcx)
		link_netdev(v, a, link, t == a->lt_tcx, buf, size);
	else if (t == a->lt_perf)
		link_perf(v, a, link, buf, size);
	else if (t == a->lt_kmulti)
		link_kmulti(v, a, link, buf, size);
	else
		return false;
	return true;
}

struct dev_walk {
	const struct bpf_attach_layout *a;
	/* each device's programs, with its name */
	void (*dev)(struct vmiaas *v, struct dev_walk *w, u64 dev,
		    const char *name);
	void (*fn)(u64 prog, const char *where, void *arg);
	void *arg;
	u32 devs, filters;
	int err;		/* a device's walk that gave up: the whole walk's */
	char where[64];
};

static int walk_dev(struct vmiaas *v, u64 node, void *arg)
{
	struct dev_walk *w = arg;
	u64 dev = node - w->a->nd_node;
	char name[17];

	if (++w->devs > BPF_ATTACH_NETDEVS_MAX)
		return -ELOOP;
	netdev_name(v, w->a, dev, name, sizeof(name));
	w->dev(v, w, dev, name[0] ? name : "?");
	return w->err;
}

static int walk_net(struct vmiaas *v, u64 node, void *arg)
{
	struct dev_walk *w = arg;

	return list_walk(v, "a namespace's network devices",
			 node - w->a->net_node + w->a->net_devs,
			 BPF_ATTACH_NETDEVS_MAX, walk_dev, w);
}

/* Every network device of every namespace, @w->dev on each. */
static int netdev_walk(struct vmiaas *v, struct dev_walk *w)
{
	if (!w->a->net_list)
		return 0;
	return list_walk(v, "net_namespace_list", w->a->net_list,
			 BPF_ATTACH_NETNS_MAX, walk_net, w);
}

static void xdp_dev(struct vmiaas *v, struct dev_walk *w, u64 dev,
		    const char *name)
{
	const struct bpf_attach_layout *a = w->a;
	u64 prog;
	u32 i;

	for (i = 0; i < a->xdp_nr; i++)
		if (read_ptr(v, dev + a->nd_xdp + (u64)i * a->xdp_size +
				a->xdp_prog, &prog))
			w->fn(prog, name, w->arg);
}

int bpf_attach_xdp_walk(struct vmiaas *v, const struct bpf_attach_layout *a,
			void (*fn)(u64 prog, const char *dev, void *arg),
			void *arg)
{
	struct dev_walk w = { .a = a, .dev = xdp_dev, .fn = fn, .arg = arg };

	return a->xdp_nr ? netdev_walk(v, &w) : 0;
}

/* cls_bpf_prog: filter (the program) then link, since 2015 (module BTF) */
#define CLS_BPF_PROG_LINK	8

static int tc_cls_prog(struct vmiaas *v, u64 node, void *arg)
{
	struct dev_walk *w = arg;
	u64 prog;

	if (++w->filters > BPF_ATTACH_TC_FILTERS)
		return -ELOOP;
	if (read_ptr(v, node - CLS_BPF_PROG_LINK, &prog))
		w->fn(prog, w->where, w->arg);
	return 0;
}

/* The mini_Qdisc of the clsact/ingress qdisc on @dev's side @dir. */
static u64 tc_miniq(struct vmiaas *v, const struct bpf_attach_layout *a,
		    u64 dev, u32 dir)
{
	u64 p, bundle;

	if (a->nd_miniq[dir] != BPF_NO_MEMBER)		/* before 6.6 */
		return read_ptr(v, dev + a->nd_miniq[dir], &p) ? p : 0;
	/* tcx: the entry's bundle is in a struct tcx_entry, with miniq */
	if (!read_ptr(v, dev + a->nd_tcx[dir], &p) ||
	    !read_ptr(v, p + a->me_parent, &bundle) ||
	    !read_ptr(v, bundle - a->te_bundle + a->te_miniq, &p))
		return 0;
	return p;
}

/* Each cls_bpf filter of the qdisc's chain (its tcf_protos of kind "bpf"). */
static void tc_dev(struct vmiaas *v, struct dev_walk *w, u64 dev,
		   const char *name)
{
	const struct bpf_attach_layout *a = w->a;
	static const char *const dirs[] = { "ingress", "egress" };
	char kind[17];
	u64 tp, ops, root;
	u32 dir, n;

	for (dir = 0; dir < 2; dir++) {
		u64 miniq = tc_miniq(v, a, dev, dir);

		snprintf(w->where, sizeof(w->where), "tc %s on %s (cls_bpf filter)",
			 dirs[dir], name);
		for (n = 0; miniq && n < BPF_ATTACH_TC_CHAIN &&
		     read_ptr(v, n ? tp + a->tp_next : miniq + a->mq_filters, &tp);
		     n++) {
			if (!read_ptr(v, tp + a->tp_ops, &ops) ||
			    engine_read(v, ops + a->ops_kind, kind, 16)) {
				w->err = engine_fail(v, -EFAULT,
					"%s: tcf_proto 0x%llx has no readable ops",
					w->where, (unsigned long long)tp);
				return;
			}
			kind[16] = '\0';
			if (strcmp(kind, "bpf") || !read_ptr(v, tp + a->tp_root, &root))
				continue;
			/* cls_bpf_head.plist, its first member */
			w->err = list_walk(v, "a cls_bpf filter's programs",
					   root, BPF_ATTACH_TC_FILTERS,
					   tc_cls_prog, w);
			if (w->err)
				return;
		}
		if (n == BPF_ATTACH_TC_CHAIN && read_ptr(v, tp + a->tp_next, &tp)) {
			w->err = engine_fail(v, -ELOOP,
				"%s: more than %u filters on the qdisc's chain",
				w->where, BPF_ATTACH_TC_CHAIN);
			return;
		}
	}
}

int bpf_attach_tc_walk(struct vmiaas *v, const struct bpf_attach_layout *a,
		       void (*fn)(u64 prog, const char *where, void *arg),
		       void *arg)
{
	struct dev_walk w = { .a = a, .dev = tc_dev, .fn = fn, .arg = arg };

	return a->tc ? netdev_walk(v, &w) : 0;
}

struct cgroup_walk {
	const struct bpf_attach_layout *a;
	void (*fn)(u64 prog, const char *where, void *arg);
	void *arg;
	u32 cgroups, depth, progs;	/* all three bounded */
	char where[192];		/* "cgroup /PATH (TYPE, ...)" */
	const char *type;
};

/* One bpf_prog_list entry: a program attached without a link. */
static int cgroup_prog(struct vmiaas *v, u64 node, void *arg)
{
	struct cgroup_walk *w = arg;
	u64 pl = node - w->a->pl_node, prog, link;

	/* over the whole walk: a guest can put a long list on every head */
	if (++w->progs > BPF_ATTACH_CGROUP_PROGS)
		return -ELOOP;
	if (!engine_read_u64(v, pl + w->a->pl_prog, &prog) &&
	    !engine_read_u64(v, pl + w->a->pl_link, &link) && !link &&
	    kernel_ptr(prog))
		w->fn(prog, w->where, w->arg);
	return 0;
}

/* The programs attached to cgroup @cg without a link, type by type. */
static int cgroup_progs(struct vmiaas *v, struct cgroup_walk *w, u64 cg)
{
	const struct bpf_attach_layout *a = w->a;
	u64 heads[64], kn;
	char path[96] = "", type[40];
	u32 i;
	int err = 0;

	if (engine_read(v, cg + a->cg_progs, heads, 8ULL * a->cg_nr_types) ||
	    !read_ptr(v, cg + a->cg_kn, &kn))
		return 0;
	for (i = 0; !err && i < a->cg_nr_types; i++) {
		if (!heads[i])
			continue;
		if (!path[0])	/* once per cgroup: up to 32 levels */
			cgroup_path(v, a, kn, path, sizeof(path));
		bpf_enum_name(v->btf, "cgroup_bpf_attach_type", "", i, type,
			      sizeof(type));
		snprintf(w->where, sizeof(w->where),
			 "cgroup %s (%s, attached without a link)",
			 path[0] ? path : "?", type);
		err = hlist_heads_walk(v, "a cgroup's BPF programs",
				       cg + a->cg_progs + 8ULL * i, 1,
				       BPF_ATTACH_CGROUP_PROGS, cgroup_prog, w);
	}
	return err;
}

static int cgroup_visit(struct vmiaas *v, struct cgroup_walk *w, u64 cg);

static int cgroup_child(struct vmiaas *v, u64 node, void *arg)
{
	struct cgroup_walk *w = arg;

	return cgroup_visit(v, w, node - w->a->css_sibling - w->a->cg_self);
}

/* @cg and its descendants, BPF_ATTACH_CGROUP_DEPTH deep at most. */
static int cgroup_visit(struct vmiaas *v, struct cgroup_walk *w, u64 cg)
{
	int err;

	if (++w->cgroups > BPF_ATTACH_CGROUPS_MAX)
		return -ELOOP;
	err = cgroup_progs(v, w, cg);
	if (err || w->depth >= BPF_ATTACH_CGROUP_DEPTH)
		return err;
	w->depth++;
	err = list_walk(v, "a cgroup's children",
			cg + w->a->cg_self + w->a->css_children,
			BPF_ATTACH_CGROUPS_MAX, cgroup_child, w);
	w->depth--;
	return err;
}

int bpf_attach_cgroup_walk(struct vmiaas *v, const struct bpf_attach_layout *a,
			   void (*fn)(u64 prog, const char *where, void *arg),
			   void *arg)
{
	struct cgroup_walk w = { .a = a, .fn = fn, .arg = arg };

	if (!a->cg_root)
		return 0;
	return cgroup_visit(v, &w, a->cg_root + a->cgr_cgrp);
}
