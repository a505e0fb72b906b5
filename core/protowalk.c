// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * net-protocol's walk: see protowalk.h.
 */
#include "protowalk.h"
#include "uapi/linux/vmiaas.h"

/* Whether each of the @nr member offsets at @off is under the cap. */
static bool proto_offs_ok(const u32 *off, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (off[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
}

bool vmi_proto_layout_ok(const struct vmi_proto_layout *l)
{
	if (!l || !vmi_kernel_ptr(l->table) ||
	    (l->flags & ~VMI_PROTO_FLAGS_ALL) ||
	    !(l->flags & VMI_PROTO_HAS_FN(0)) ||
	    !l->slots || l->slots > VMI_PROTO_SLOTS_MAX)
		return false;
	return proto_offs_ok(l->fn_off, VMI_PROTO_FNS);
}

/* @s->prot's functions, or @s->err. */
static void proto_read_fns(const struct vmi_read_ops *r,
			   const struct vmi_proto_layout *l,
			   struct vmi_proto_slot *s)
{
	u32 i;

	if (!vmi_kernel_ptr(s->prot)) {
		s->err = -EBADMSG;
		return;
	}
	for (i = 0; i < VMI_PROTO_FNS; i++) {
		if (!(l->flags & VMI_PROTO_HAS_FN(i)))
			continue;
		if (vmi_read_u64(r, s->prot + l->fn_off[i], &s->fn[i])) {
			memset(s->fn, 0, sizeof(s->fn));
			s->err = -EFAULT;
			return;
		}
	}
}

int vmi_proto_walk(const struct vmi_read_ops *r,
		   const struct vmi_proto_layout *l, vmi_proto_fn fn,
		   void *ctx)
{
	struct vmi_proto_slot s;
	u32 i;
	int err;

	if (!r || !r->read || !fn || !vmi_proto_layout_ok(l))
		return -EINVAL;
	for (i = 0; i < l->slots; i++) {
		s = (struct vmi_proto_slot){ .nr = i };
		err = vmi_read_u64(r, l->table + 8ULL * i, &s.prot);
		if (err)
			return err;
		if (s.prot)
			proto_read_fns(r, l, &s);
		err = fn(ctx, &s);
		if (err)
			return err;
	}
	return 0;
}

bool vmi_prot_layout_ok(const struct vmi_prot_layout *l)
{
	if (!l || !vmi_kernel_ptr(l->head) || l->node >= VMI_OFFSET_MAX ||
	    !l->nr_fns || l->nr_fns > VMI_PROT_FNS_MAX ||
	    l->max > VMI_PROT_LIST_MAX)
		return false;
	return proto_offs_ok(l->fn_off, l->nr_fns);
}

struct prot_walk {
	const struct vmi_read_ops *r;
	const struct vmi_prot_layout *l;
	vmi_prot_fn fn;
	void *ctx;
	int fn_err;		/* what the callback returned */
};

static int prot_call(struct prot_walk *w, const struct vmi_prot_hook *h)
{
	w->fn_err = w->fn(w->ctx, h);
	return w->fn_err;
}

/* The struct at @prot: each function pointer the layout names. */
static int prot_fns(struct prot_walk *w, u64 prot)
{
	struct vmi_prot_hook h = { .prot = prot };
	u32 i;
	int err;

	for (i = 0; i < w->l->nr_fns; i++) {
		h.member = i;
		if (vmi_read_u64(w->r, h.prot + w->l->fn_off[i], &h.fn)) {
			h.fn = 0;
			h.err = -EFAULT;
			return prot_call(w, &h);
		}
		if (!h.fn)
			continue;
		err = prot_call(w, &h);
		if (err)
			return err;
	}
	return 0;
}

/* One struct proto on the list. */
static int prot_visit(void *ctx, u64 node)
{
	struct prot_walk *w = ctx;

	return prot_fns(w, node - w->l->node);
}

int vmi_prot_walk(const struct vmi_read_ops *r,
		  const struct vmi_prot_layout *l, vmi_prot_fn fn, void *ctx)
{
	struct prot_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	struct vmi_prot_hook h = { 0 };
	int err;

	if (!r || !r->read || !fn || !vmi_prot_layout_ok(l))
		return -EINVAL;
	err = vmi_list_walk(r, l->head, l->max, prot_visit, &w, NULL);
	if (!err || w.fn_err)
		return err;
	h.err = err;
	return prot_call(&w, &h);
}

int vmi_prot_fns(const struct vmi_read_ops *r,
		 const struct vmi_prot_layout *l, u64 prot, vmi_prot_fn fn,
		 void *ctx)
{
	struct prot_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	struct vmi_prot_hook h = { .prot = prot, .err = -EBADMSG };

	if (!r || !r->read || !fn || !vmi_prot_layout_ok(l))
		return -EINVAL;
	if (!vmi_kernel_ptr(prot))
		return prot_call(&w, &h);
	return prot_fns(&w, prot);
}

/* The entry's members and @l's function offsets under the cap. */
static bool protosw_offs_ok(const struct vmi_protosw_layout *l)
{
	const u32 offs[] = { l->node, l->type, l->protocol, l->prot, l->ops };

	return proto_offs_ok(offs, ARRAY_SIZE(offs)) &&
	       proto_offs_ok(l->fn_off, l->nr_fns);
}

bool vmi_protosw_layout_ok(const struct vmi_protosw_layout *l)
{
	if (!l || !vmi_kernel_ptr(l->table) || !l->lists ||
	    l->lists > VMI_PROTOSW_LISTS_MAX || !l->nr_fns ||
	    l->nr_fns > VMI_PROTOSW_FNS || !l->max ||
	    l->max > VMI_PROTOSW_MAX)
		return false;
	return protosw_offs_ok(l);
}

struct protosw_walk {
	const struct vmi_read_ops *r;
	const struct vmi_protosw_layout *l;
	vmi_protosw_fn fn;
	void *ctx;
	struct vmi_protosw_entry e;
	int fn_err;		/* what the callback returned */
};

static int protosw_call(struct protosw_walk *w)
{
	w->fn_err = w->fn(w->ctx, &w->e);
	return w->fn_err;
}

/* @e->ops's functions, or @e->ops_err. */
static void protosw_read_ops(struct protosw_walk *w)
{
	struct vmi_protosw_entry *e = &w->e;
	u32 i;

	if (!vmi_kernel_ptr(e->ops)) {
		e->ops_err = -EBADMSG;
		return;
	}
	for (i = 0; i < w->l->nr_fns; i++) {
		if (vmi_read_u64(w->r, e->ops + w->l->fn_off[i], &e->fn[i])) {
			memset(e->fn, 0, sizeof(e->fn));
			e->ops_err = -EFAULT;
			return;
		}
	}
}

/* One struct inet_protosw: its key, its pointers, its ops' functions. */
static int protosw_visit(void *ctx, u64 node)
{
	struct protosw_walk *w = ctx;
	struct vmi_protosw_entry *e = &w->e;
	u32 list = e->list;
	u8 key[2][2];

	*e = (struct vmi_protosw_entry){ .entry = node - w->l->node,
					 .list = list };
	if (w->r->read(w->r->ctx, e->entry + w->l->type, key[0], 2) ||
	    w->r->read(w->r->ctx, e->entry + w->l->protocol, key[1], 2) ||
	    vmi_read_u64(w->r, e->entry + w->l->prot, &e->prot) ||
	    vmi_read_u64(w->r, e->entry + w->l->ops, &e->ops)) {
		*e = (struct vmi_protosw_entry){ .entry = e->entry,
						 .list = list, .err = -EFAULT };
		return protosw_call(w);
	}
	e->type = vmi_get_u16(key[0]);
	e->protocol = vmi_get_u16(key[1]);
	protosw_read_ops(w);
	return protosw_call(w);
}

int vmi_protosw_walk(const struct vmi_read_ops *r,
		     const struct vmi_protosw_layout *l, vmi_protosw_fn fn,
		     void *ctx)
{
	struct protosw_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	u32 i;
	int err;

	if (!r || !r->read || !fn || !vmi_protosw_layout_ok(l))
		return -EINVAL;
	for (i = 0; i < l->lists; i++) {
		w.e = (struct vmi_protosw_entry){ .list = i };
		w.fn_err = 0;
		err = vmi_list_walk(r, l->table + 16ULL * i, l->max,
				    protosw_visit, &w, NULL);
		if (!err)
			continue;
		if (w.fn_err)
			return err;
		w.e = (struct vmi_protosw_entry){ .list = i, .err = err };
		err = protosw_call(&w);
		if (err)
			return err;
	}
	return 0;
}

/* ---- vmiaas.ko's record (VMIAAS_CHECK_PROTO_GVA) ---- */

static_assert(VMIAAS_PROTO_TABLES == VMI_PROTO_TABLES, "tables");
static_assert(VMIAAS_PROTO_AT_PROTOS == VMI_PROTO_AT_PROTOS, "point");
static_assert(VMIAAS_PROTO_AT_OFFLOADS == VMI_PROTO_AT_OFFLOADS, "point");
static_assert(VMIAAS_PROTO_AT_SW == VMI_PROTO_AT_SW, "point");
static_assert(VMIAAS_MAX_PROTO_SLOTS == VMI_PROTO_SLOTS_MAX, "slots");
static_assert(VMIAAS_MAX_PROTO_TYPES == VMI_PROTOSW_LISTS_MAX, "types");
static_assert(sizeof(struct vmiaas_proto_check) == 304, "record");

/*
 * The set bits of @map (@words words, bit i of map[i / 64]) as the
 * words' offsets in @off: -EINVAL for none or over @max.
 */
static int proto_map(const u64 *map, u32 words, u32 *off, u32 max,
		     u32 *ret_nr)
{
	u32 i, n = 0;

	for (i = 0; i < words; i++) {
		if (!(map[i / 64] & (1ULL << (i % 64))))
			continue;
		if (n >= max)
			return -EINVAL;
		off[n++] = 8 * i;
	}
	*ret_nr = n;
	return n ? 0 : -EINVAL;
}

/* A record's table or list at @at from the check's @addr. */
static u64 proto_at(u64 addr, s32 at)
{
	return addr + (u64)(s64)at;
}

/* Table @i of the record (the first at @addr itself, never absent). */
static int proto_set_table(const struct vmiaas_proto_table *t, u64 addr,
			   u32 i, struct vmi_proto_layout *l)
{
	static const struct vmiaas_proto_table none;
	u64 map = t->fns;
	u32 nr, k;

	*l = (struct vmi_proto_layout){ 0 };
	if (i && !memcmp(t, &none, sizeof(none)))
		return 0;
	if (!t->slots || !t->at != !i ||
	    proto_map(&map, 16, l->fn_off, VMI_PROTO_FNS, &nr))
		return -EINVAL;
	l->table = proto_at(addr, t->at);
	l->slots = t->slots;
	for (k = 0; k < nr; k++)
		l->flags |= VMI_PROTO_HAS_FN(k);
	return vmi_proto_layout_ok(l) ? 0 : -EINVAL;
}

/* proto_list's or offload_base's layout; ->head 0: none. */
static int proto_set_list(const struct vmiaas_proto_list *pl, u64 addr,
			  struct vmi_prot_layout *l)
{
	static const struct vmiaas_proto_list none;
	const u64 map[2] = { pl->fns[0], pl->fns[1] };

	*l = (struct vmi_prot_layout){ .max = VMI_PROT_LIST_MAX };
	if (!pl->at)
		return memcmp(pl, &none, sizeof(none)) ? -EINVAL : 0;
	if (proto_map(map, 128, l->fn_off, VMI_PROT_FNS_MAX, &l->nr_fns))
		return -EINVAL;
	l->head = proto_at(addr, pl->at);
	l->node = pl->node;
	return vmi_prot_layout_ok(l) ? 0 : -EINVAL;
}

/* inetsw[]'s and inetsw6[]'s layouts; ->table 0: none. */
static int proto_set_sw(const struct vmiaas_proto_sw *sw, u64 addr,
			struct vmi_protosw_layout *ret)
{
	static const struct vmiaas_proto_sw none;
	const u64 map = sw->fns;
	struct vmi_protosw_layout l = {
		.lists = sw->types, .node = sw->node, .type = sw->type,
		.protocol = sw->protocol, .prot = sw->prot, .ops = sw->ops,
		.max = VMI_PROTOSW_MAX,
	};
	u32 i;

	memset(ret, 0, 2 * sizeof(*ret));
	if (!sw->at[0] && !sw->at[1])
		return memcmp(sw, &none, sizeof(none)) ? -EINVAL : 0;
	if (sw->reserved ||
	    proto_map(&map, 64, l.fn_off, VMI_PROTOSW_FNS, &l.nr_fns))
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		if (!sw->at[i])
			continue;
		l.table = proto_at(addr, sw->at[i]);
		if (!vmi_protosw_layout_ok(&l))
			return -EINVAL;
		ret[i] = l;
	}
	return 0;
}

int vmi_proto_set_of(const struct vmiaas_proto_check *pc, u64 addr,
		     struct vmi_proto_set *ret)
{
	int err = pc->reserved ? -EINVAL : 0;
	u32 i;

	for (i = 0; !err && i < VMI_PROTO_TABLES; i++)
		err = proto_set_table(&pc->table[i], addr, i, &ret->tables[i]);
	for (i = 0; !err && i < ARRAY_SIZE(ret->lists); i++)
		err = proto_set_list(&pc->list[i], addr, &ret->lists[i]);
	return err ?: proto_set_sw(&pc->sw, addr, ret->sw);
}

struct proto_judge {
	const struct vmi_read_ops *r;
	const struct vmi_proto_set *set;
	const struct vmi_proto_layout *l;	/* the table walked */
	const struct vmi_prot_layout *pl;	/* the list walked */
	const struct vmi_protosw_layout *sw;	/* the inetsw walked */
	const struct vmi_range *allow;
	u32 nr_allow;
	struct vmi_proto_first at;	/* the table, entry a suspect has */
	struct vmi_proto_suspects *ret;
};

static void proto_suspect(struct proto_judge *j,
			  const struct vmi_proto_first *first)
{
	if (!j->ret->nr++)
		j->ret->first = *first;
}

static bool proto_outside(const struct proto_judge *j, u64 fn)
{
	return fn && !vmi_in_ranges(fn, j->allow, j->nr_allow);
}

static int proto_judge_slot(void *ctx, const struct vmi_proto_slot *s)
{
	struct proto_judge *j = ctx;
	struct vmi_proto_first f = j->at;
	u32 i;

	f.prot = s->prot;
	f.nr = s->nr;
	f.err = s->err;
	if (s->err) {
		proto_suspect(j, &f);
		return 0;
	}
	for (i = 0; i < VMI_PROTO_FNS; i++) {
		if (!(j->l->flags & VMI_PROTO_HAS_FN(i)) ||
		    !proto_outside(j, s->fn[i]))
			continue;
		f.fn = s->fn[i];
		f.off = j->l->fn_off[i];
		proto_suspect(j, &f);
	}
	return 0;
}

/* A struct on a list, or an inet_protosw's struct proto. */
static int proto_judge_prot(void *ctx, const struct vmi_prot_hook *h)
{
	struct proto_judge *j = ctx;
	struct vmi_proto_first f = j->at;

	if (!h->err && !proto_outside(j, h->fn))
		return 0;
	f.prot = h->prot;
	f.fn = h->fn;
	f.err = h->err;
	if (!h->err)
		f.off = j->pl->fn_off[h->member];
	proto_suspect(j, &f);
	return 0;
}

/* An inet_protosw: its place, its proto_ops' functions, its proto's. */
static int proto_judge_entry(void *ctx, const struct vmi_protosw_entry *e)
{
	struct proto_judge *j = ctx;
	struct vmi_proto_first f = {
		.table = j->at.table, .nr = e->list, .entry = e->entry,
		.prot = e->entry, .err = e->err,
	};
	u32 i;

	if (!f.err && e->type != e->list)
		f.err = -EBADMSG;	/* inet_register_protosw() never */
	if (f.err) {
		proto_suspect(j, &f);
		return 0;
	}
	f.prot = e->ops;
	f.err = e->ops_err;
	if (f.err)
		proto_suspect(j, &f);
	for (i = 0; !f.err && i < j->sw->nr_fns; i++) {
		if (!proto_outside(j, e->fn[i]))
			continue;
		f.fn = e->fn[i];
		f.off = j->sw->fn_off[i];
		proto_suspect(j, &f);
	}
	if (!j->set->lists[0].head)
		return 0;
	j->pl = &j->set->lists[0];
	j->at = (struct vmi_proto_first){
		.table = j->at.table, .nr = e->list, .entry = e->entry,
		.sk_prot = true,
	};
	return vmi_prot_fns(j->r, j->pl, e->prot, proto_judge_prot, j);
}

int vmi_proto_suspects(const struct vmi_read_ops *r,
		       const struct vmi_proto_set *set,
		       const struct vmi_range *allow, u32 nr_allow,
		       struct vmi_proto_suspects *ret)
{
	struct proto_judge j = {
		.r = r, .set = set, .allow = allow, .nr_allow = nr_allow,
		.ret = ret,
	};
	int err = 0;
	u32 i;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; !err && i < VMI_PROTO_TABLES; i++) {
		if (!set->tables[i].table)
			continue;
		j.l = &set->tables[i];
		j.at = (struct vmi_proto_first){ .table = i };
		err = vmi_proto_walk(r, j.l, proto_judge_slot, &j);
	}
	for (i = 0; !err && i < ARRAY_SIZE(set->lists); i++) {
		if (!set->lists[i].head)
			continue;
		j.pl = &set->lists[i];
		j.at = (struct vmi_proto_first){
			.table = VMI_PROTO_AT_PROTOS + i,
		};
		err = vmi_prot_walk(r, j.pl, proto_judge_prot, &j);
	}
	for (i = 0; !err && i < ARRAY_SIZE(set->sw); i++) {
		if (!set->sw[i].table)
			continue;
		j.sw = &set->sw[i];
		j.at = (struct vmi_proto_first){ .table = VMI_PROTO_AT_SW + i };
		err = vmi_protosw_walk(r, j.sw, proto_judge_entry, &j);
	}
	return err;
}

void vmi_proto_found(const struct vmi_proto_suspects *s,
		     struct vmiaas_found *f)
{
	const struct vmi_proto_first *p = &s->first;

	f->kind = p->err ? VMIAAS_FOUND_PROTO_BAD : VMIAAS_FOUND_PROTO_FN;
	f->where = p->prot;
	f->value = p->fn;
	f->expected = p->entry;
	f->index = p->off;
	f->point = p->table;
	f->family = p->nr;
	f->err = p->err;
	if (p->sk_prot)
		f->flags |= VMIAAS_FOUND_PROTO_PROT;
}
