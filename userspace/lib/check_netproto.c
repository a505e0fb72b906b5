// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * net-protocol: the transport protocol handlers of IPv4 and IPv6.
 *
 * IP hands every packet addressed to the host to the handler in
 * inet_protos[protocol] (IPv6: inet6_protos[]), a writable array of
 * pointers to const structs (core/protowalk.h). A magic-packet backdoor
 * can take over a protocol there instead of hooking netfilter or tapping
 * packets: inet_del_protocol(&icmp_protocol, IPPROTO_ICMP), then
 * inet_add_protocol() of its own struct whose handler looks for the
 * trigger and calls icmp_rcv() for the rest; or it writes the slot, or
 * claims a protocol number nothing uses. No text and no read-only data
 * changes.
 *
 * Two rules for the tables:
 *   - each protocol the kernel registers itself at boot (icmp, igmp, tcp,
 *     udp, udplite, pim; ipv6's tcp, udp, icmpv6, udplite, pim and the
 *     extension headers) has one right slot value, the address of the
 *     kernel's own struct (named in its symbols; 6.9+: the member of
 *     net_hotdata): anything else, empty included, is critical. This
 *     needs no baseline: the kernel never unregisters them.
 *   - every handler and err_handler of every slot through hookpolicy.h's
 *     rules: kernel text nothing, an untainted module (gre, sctp, l2tp,
 *     ipip's tunnel4...) an event, a module tainted P, F, O or E high
 *     (trusted while unchanged if present at baseline), anywhere else
 *     critical. A slot that is not a kernel pointer, or whose struct
 *     cannot be read, is critical.
 * And the socket side: every function pointer (BTF's members) of every
 * struct proto on proto_list (tcp_prot, udp_prot...: writable .data; a
 * rootkit's udp_prot.recvmsg filter) through the same rules, tcp_prot
 * required on the list.
 * The walks are core/protowalk.c's; this file resolves the layout from BTF
 * and symbols and judges. Not in vmiaas.ko yet (no record). What a scan
 * reports is confirmed by a second one (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "../../core/protowalk.h"

#define NP_FAMILIES	2

/* The members of struct net_protocol judged as code (fn_off[] order). */
static const char *const np_fns[VMI_PROTO_FNS] = {
	"handler", "err_handler", "early_demux", "early_demux_handler",
};

/* A protocol the kernel registers at boot, and its struct's symbol. */
struct np_own {
	u8 nr;
	const char *name;	/* in objects and messages */
	const char *sym;	/* a symbol, or a member of net_hotdata */
};

static const struct np_own np_own4[] = {
	{ 1, "icmp", "icmp_protocol" },
	{ 2, "igmp", "igmp_protocol" },
	{ 6, "tcp", "tcp_protocol" },
	{ 17, "udp", "udp_protocol" },
	{ 103, "pim", "pim_protocol" },
	{ 136, "udplite", "udplite_protocol" },
};

static const struct np_own np_own6[] = {
	{ 6, "tcp", "tcpv6_protocol" },
	{ 17, "udp", "udpv6_protocol" },
	{ 43, "routing", "rthdr_protocol" },
	{ 44, "fragment", "frag_protocol" },
	{ 58, "icmpv6", "icmpv6_protocol" },
	{ 59, "none", "nodata_protocol" },
	{ 60, "dstopts", "destopt_protocol" },
	{ 103, "pim", "pim6_protocol" },
	{ 136, "udplite", "udplitev6_protocol" },
};

/* Names of other protocols modules register (for objects only). */
static const struct { u8 nr; const char *name; } np_names[] = {
	{ 4, "ipip" }, { 41, "ipv6" }, { 47, "gre" }, { 50, "esp" },
	{ 51, "ah" }, { 108, "comp" }, { 112, "vrrp" }, { 115, "l2tp" },
	{ 132, "sctp" }, { 33, "dccp" }, { 137, "mpls" },
};

struct np_family {
	const char *name;		/* "ipv4" */
	const char *table;		/* "inet_protos" */
	const char *type;		/* "net_protocol" */
	const struct np_own *own;
	u32 nr_own;
	u64 own_at[ARRAY_SIZE(np_own6)];	/* 0: not in this kernel */
	struct vmi_proto_layout l;
	bool present;
};

struct np_walk {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmiaas *v;
	struct np_family f[NP_FAMILIES];
	struct np_family *cur;
	/* struct proto on proto_list; pl.head 0: not in this kernel */
	struct vmi_prot_layout pl;
	const char *pl_fns[VMI_PROT_FNS_MAX];	/* member names (BTF's) */
	u32 pl_name;			/* offsetof(struct proto, name) */
	u64 tcp_prot;			/* &tcp_prot: must be on the list */
	bool tcp_seen;
	u64 last;			/* the struct proto named in @pname */
	char pname[32];
};

static const struct np_own *np_own_of(const struct np_family *f, u32 nr,
				      u32 *ret_i)
{
	u32 i;

	for (i = 0; i < f->nr_own; i++)
		if (f->own[i].nr == nr) {
			*ret_i = i;
			return &f->own[i];
		}
	return NULL;
}

/* "icmp", "gre" or "" for protocol @nr of @f. */
static const char *np_name(const struct np_family *f, u32 nr)
{
	u32 i;

	if (np_own_of(f, nr, &i))
		return f->own[i].name;
	for (i = 0; i < ARRAY_SIZE(np_names); i++)
		if (np_names[i].nr == nr)
			return np_names[i].name;
	return "";
}

/* "ipv4 1 (icmp)": the object of protocol @nr of @f. */
static void np_object(const struct np_family *f, u32 nr, char *buf,
		      size_t size)
{
	const char *name = np_name(f, nr);

	snprintf(buf, size, "%s %u%s%s%s", f->name, nr, name[0] ? " (" : "",
		 name, name[0] ? ")" : "");
}

/* A slot of one of the kernel's own protocols not holding its struct. */
static void np_replaced(struct np_walk *w, const struct vmi_proto_slot *s,
			const char *object, const struct np_own *own)
{
	char where[HOOK_WHERE], now[96];

	if (s->prot)
		check_symbolize(w->v, s->prot, now, sizeof(now));
	else
		snprintf(now, sizeof(now), "nothing");
	snprintf(where, sizeof(where), "%s[%u] holds %s, not %s", w->cur->table,
		 s->nr, now, own->sym);
	hook_bad(&w->h, object, where, s->prot,
		 "the kernel registers this protocol itself at boot and never replaces it: its packets go elsewhere");
}

/* core/protowalk.c's callback: one slot, judged. */
static int np_visit(void *ctx, const struct vmi_proto_slot *s)
{
	struct np_walk *w = ctx;
	struct np_family *f = w->cur;
	const struct np_own *own;
	char object[HOOK_OBJECT], where[HOOK_WHERE];
	u32 i;

	own = np_own_of(f, s->nr, &i);
	if (!s->prot && !(own && f->own_at[i]))
		return 0;
	np_object(f, s->nr, object, sizeof(object));
	if (own && f->own_at[i] && s->prot != f->own_at[i])
		np_replaced(w, s, object, own);
	if (!s->prot)
		return 0;
	if (s->err) {
		snprintf(where, sizeof(where), "%s[%u] (%s 0x%llx)", f->table,
			 s->nr, f->type, (unsigned long long)s->prot);
		hook_bad(&w->h, object, where, s->prot, s->err == -EBADMSG ?
			 "not a kernel pointer" : "its struct cannot be read");
		return 0;
	}
	for (i = 0; i < VMI_PROTO_FNS; i++) {
		if (!s->fn[i])
			continue;
		snprintf(where, sizeof(where), "the %s of %s[%u] (%s 0x%llx)",
			 np_fns[i], f->table, s->nr, f->type,
			 (unsigned long long)s->prot);
		hook_judge(w->v, &w->h, object, where, s->prot, s->fn[i]);
	}
	return 0;
}

/* core/protowalk.c's struct proto callback: a function or a bad one. */
static int np_prot_visit(void *ctx, const struct vmi_prot_hook *e)
{
	struct np_walk *w = ctx;
	char object[HOOK_OBJECT], where[HOOK_WHERE];

	if (!e->prot) {
		hook_bad(&w->h, "proto_list", "proto_list", w->pl.head,
			 "the list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 1024 protocols)");
		return 0;
	}
	if (e->prot == w->tcp_prot)
		w->tcp_seen = true;
	if (e->prot != w->last) {
		w->last = e->prot;
		hook_string(w->v, e->prot + w->pl_name, w->pname,
			    sizeof(w->pname), "?");
	}
	snprintf(object, sizeof(object), "proto %s", w->pname);
	if (e->err) {
		snprintf(where, sizeof(where), "struct proto 0x%llx (%s)",
			 (unsigned long long)e->prot, w->pname);
		hook_bad(&w->h, object, where, e->prot, "it cannot be read");
		return 0;
	}
	snprintf(where, sizeof(where), "the %s of struct proto 0x%llx (%s)",
		 w->pl_fns[e->member], (unsigned long long)e->prot, w->pname);
	hook_judge(w->v, &w->h, object, where, e->prot, e->fn);
	return 0;
}

/* proto_list's struct protos; tcp_prot must be one of them. */
static int np_walk_prots(struct vmiaas *v, struct np_walk *w)
{
	struct vmi_read_ops r;
	int err;

	if (!w->pl.head)
		return 0;
	bl_read_ops(v, &r);
	w->tcp_seen = false;
	w->last = 0;
	err = vmi_prot_walk(&r, &w->pl, np_prot_visit, w);
	if (err)
		return engine_fail(v, err, "net-protocol: proto_list: %d", err);
	if (w->tcp_prot && !w->tcp_seen)
		hook_bad(&w->h, "proto TCP", "struct proto tcp_prot", w->tcp_prot,
			 "it is not on proto_list: unregistered, or the list is not the kernel's");
	return 0;
}

static int np_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct np_walk *w = (struct np_walk *)h;
	struct vmi_read_ops r;
	u32 i;
	int err;

	bl_read_ops(v, &r);
	for (i = 0; i < NP_FAMILIES; i++) {
		if (!w->f[i].present)
			continue;
		w->cur = &w->f[i];
		err = vmi_proto_walk(&r, &w->f[i].l, np_visit, w);
		if (err)
			return engine_fail(v, err,
					   "net-protocol: %s is unreadable",
					   w->f[i].table);
	}
	return np_walk_prots(v, w);
}

/* Where the kernel's own struct of @own is: 0 if this kernel has none. */
static u64 np_own_addr(struct vmiaas *v, const struct np_own *own)
{
	u64 at;
	u32 off;

	if (!engine_sym(v, own->sym, &at))
		return at;
	/* 6.9+: tcp's and udp's structs are members of net_hotdata */
	if (!btf_offsetof(v->btf, "net_hotdata", own->sym, &off) &&
	    !engine_sym(v, "net_hotdata", &at))
		return at + off;
	return 0;
}

static int np_family_layout(struct vmiaas *v, struct np_family *f)
{
	u32 i;

	f->present = false;
	if (engine_sym(v, f->table, &f->l.table))
		return 0;	/* IPv6 a module, or not built */
	f->l.flags = 0;
	for (i = 0; i < VMI_PROTO_FNS; i++)
		if (!btf_offsetof(v->btf, f->type, np_fns[i], &f->l.fn_off[i]))
			f->l.flags |= VMI_PROTO_HAS_FN(i);
	if (!vmi_proto_layout_ok(&f->l))
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel's BTF has no plausible struct %s with a handler",
				   f->type);
	for (i = 0; i < f->nr_own; i++)
		f->own_at[i] = np_own_addr(v, &f->own[i]);
	f->present = true;
	return 0;
}

/*
 * Booted with ipv6.disable=1, inet6_init() stops before registering a
 * protocol: IPv6's slots are empty by design and only its handlers are
 * judged. The flag is the kernel's (a module parameter, 0444: read-only
 * from userland); a rootkit writing it in memory turns off this slot
 * rule for IPv6 only, the handler rules still hold.
 */
static int np_ipv6_disabled(struct vmiaas *v, struct np_family *f)
{
	u32 disabled;
	u64 at;

	if (!f->present || engine_sym(v, "disable_ipv6_mod", &at))
		return 0;
	if (engine_read(v, at, &disabled, sizeof(disabled)))
		return engine_fail(v, -EFAULT,
				   "net-protocol: disable_ipv6_mod is unreadable");
	if (disabled)
		memset(f->own_at, 0, sizeof(f->own_at));
	return 0;
}

/* Whether BTF type @id is a pointer to a function. */
static bool np_is_fn_ptr(const struct btf *btf, u32 id)
{
	const struct btf_type *t;
	s32 r = btf__resolve_type(btf, id);

	t = r > 0 ? btf__type_by_id(btf, r) : NULL;
	if (!t || !btf_is_ptr(t))
		return false;
	r = btf__resolve_type(btf, t->type);
	t = r > 0 ? btf__type_by_id(btf, r) : NULL;
	return t && btf_is_func_proto(t);
}

/* struct proto's function pointers, from BTF; no proto_list: none. */
static int np_prot_layout(struct vmiaas *v, struct np_walk *w)
{
	const struct btf_member *m;
	const struct btf_type *t;
	s32 id;
	u32 i;

	w->pl = (struct vmi_prot_layout){ .max = VMI_PROT_LIST_MAX };
	if (engine_sym(v, "proto_list", &w->pl.head)) {
		w->pl.head = 0;
		return 0;
	}
	id = btf__find_by_name_kind(v->btf, "proto", BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(v->btf, id) : NULL;
	if (!t || btf_offsetof(v->btf, "proto", "node", &w->pl.node) ||
	    btf_offsetof(v->btf, "proto", "name", &w->pl_name))
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel's BTF has no struct proto with node and name");
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		if (btf_member_bitfield_size(t, i) ||
		    !np_is_fn_ptr(v->btf, m->type))
			continue;
		if (w->pl.nr_fns == VMI_PROT_FNS_MAX)
			return engine_fail(v, -E2BIG,
					   "net-protocol: over %u function pointers in struct proto: implausible",
					   VMI_PROT_FNS_MAX);
		w->pl_fns[w->pl.nr_fns] = btf__name_by_offset(v->btf,
							      m->name_off);
		w->pl.fn_off[w->pl.nr_fns++] = btf_member_bit_offset(t, i) / 8;
	}
	if (!vmi_prot_layout_ok(&w->pl))
		return engine_fail(v, -EBADMSG,
				   "net-protocol: struct proto's layout is implausible (%u function pointers)",
				   w->pl.nr_fns);
	if (engine_sym(v, "tcp_prot", &w->tcp_prot))
		w->tcp_prot = 0;
	return 0;
}

static int np_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct np_walk *w = (struct np_walk *)h;
	int err;

	w->v = v;
	w->f[0] = (struct np_family){
		.name = "ipv4", .table = "inet_protos", .type = "net_protocol",
		.own = np_own4, .nr_own = ARRAY_SIZE(np_own4),
	};
	w->f[1] = (struct np_family){
		.name = "ipv6", .table = "inet6_protos",
		.type = "inet6_protocol",
		.own = np_own6, .nr_own = ARRAY_SIZE(np_own6),
	};
	err = np_family_layout(v, &w->f[0]);
	if (!err && !w->f[0].present)
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel has no inet_protos");
	err = err ?: np_family_layout(v, &w->f[1]);
	err = err ?: np_ipv6_disabled(v, &w->f[1]);
	return err ?: np_prot_layout(v, w);
}

static const struct hook_check np_check = {
	.check = "net-protocol",
	.sees = "the kernel calls it for every packet or socket of that protocol",
	.size = sizeof(struct np_walk),
	.layout = np_layout,
	.walk = np_walk_all,
};

static int np_scan(struct vmiaas *v, const struct hidden_sink *sink,
		   void *arg)
{
	return hook_check_scan(v, &np_check, sink, arg);
}

int check_net_protocols(struct vmiaas *v, const struct hidden_sink *sink,
			struct hook_trust *trust)
{
	return check_confirmed(v, np_scan, trust, sink);
}
