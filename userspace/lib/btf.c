// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The guest kernel's BTF: found in guest memory, checked, parsed with
 * libbpf, and asked for struct layouts.
 *
 * Everything here is guest data. libbpf 1.1's btf__new() checks the header,
 * that the string section is NUL-delimited and that the type records tile
 * the type section, but not the ids and string offsets inside the records:
 * btf__type_by_id() indexes its table with any id it is given. So
 * btf_check() walks the raw blob first and refuses any id or name offset
 * that points outside it; after that, libbpf's accessors are safe on the
 * result. Walks that follow ids (typedef chains, anonymous members, array
 * element types) are bounded by BTF_DEPTH_MAX since ids may form cycles.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <linux/btf.h>

#include "engine.h"

#define BTF_HDR_MIN	24U	/* struct btf_header of BTF version 1 */
#define BTF_HDR_MAX	256U	/* a later, larger header: tail must be 0 */
#define BTF_TYPE_LEN	12U	/* struct btf_type */
#define BTF_NAME_MAX	128U	/* one path element */

static const u8 btf_magic[4] = { 0x9f, 0xeb, 0x01, 0x00 }; /* v1, flags 0 */

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

struct btf_scan {
	size_t size;
	u64 walked;		/* type bytes read, for BTF_LOCATE_BUDGET */
	u32 nr_types;
	bool has_task_struct;
	bool has_percpu;
};

struct btf_raw {
	const u8 *types, *strs;
	u32 type_len, str_len;
};

/* Header and string section; fills @raw and the blob's size. */
static int btf_check_hdr(const u8 *buf, size_t len, struct btf_raw *raw,
			 size_t *ret_size)
{
	u32 hdr_len, type_off, type_len, str_off, str_len, i;
	u64 types_end, size;

	if (len < BTF_HDR_MIN || memcmp(buf, btf_magic, sizeof(btf_magic)))
		return -EBADMSG;
	hdr_len = rd32(buf + 4);
	type_off = rd32(buf + 8);
	type_len = rd32(buf + 12);
	str_off = rd32(buf + 16);
	str_len = rd32(buf + 20);
	if (hdr_len < BTF_HDR_MIN || hdr_len > BTF_HDR_MAX || hdr_len % 4)
		return -EBADMSG;
	if (type_off % 4 || type_len % 4)
		return -EBADMSG;
	/* libbpf requires the types before the strings. */
	types_end = (u64)type_off + type_len;
	if (types_end > str_off || !str_len)
		return -EBADMSG;
	size = (u64)hdr_len + str_off + str_len;
	if (size > BTF_SIZE_MAX)
		return -E2BIG;
	if (size > len)
		return -EBADMSG;
	for (i = BTF_HDR_MIN; i < hdr_len; i++)
		if (buf[i])
			return -EBADMSG;
	raw->types = buf + hdr_len + type_off;
	raw->type_len = type_len;
	raw->strs = buf + hdr_len + str_off;
	raw->str_len = str_len;
	if (raw->strs[0] || raw->strs[str_len - 1])
		return -EBADMSG;
	*ret_size = size;
	return 0;
}

static bool btf_name_ok(const struct btf_raw *raw, u32 name_off)
{
	return name_off < raw->str_len;
}

static bool btf_name_is(const struct btf_raw *raw, u32 name_off,
			const char *name)
{
	return !strcmp((const char *)raw->strs + name_off, name);
}

/* Bytes of the record that follows struct btf_type; -1 for unknown kinds. */
static s64 btf_extra_len(u32 kind, u32 vlen)
{
	switch (kind) {
	case BTF_KIND_FWD:
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (s64)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (s64)vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return (s64)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return (s64)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (s64)vlen * sizeof(struct btf_var_secinfo);
	default:
		return -1;
	}
}

/* Names of members, enumerators and params: each must be in the strings. */
static bool btf_member_names_ok(const struct btf_raw *raw, u32 kind,
				const u8 *x, u32 vlen, s64 extra)
{
	u32 i, stride = vlen ? (u32)extra / vlen : 0;

	if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION &&
	    kind != BTF_KIND_ENUM && kind != BTF_KIND_ENUM64 &&
	    kind != BTF_KIND_FUNC_PROTO)
		return true;
	for (i = 0; i < vlen; i++)
		if (!btf_name_ok(raw, rd32(x + i * stride)))
			return false;
	return true;
}

/* The highest type id that the record at @t (kind @kind) refers to. */
static u32 btf_max_ref(u32 kind, const u8 *t, u32 vlen)
{
	const u8 *x = t + BTF_TYPE_LEN;
	u32 i, ref = 0, id;

	switch (kind) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC_PROTO:	/* return type */
		ref = rd32(t + 8);
		break;
	}
	switch (kind) {
	case BTF_KIND_ARRAY:
		ref = max(rd32(x), rd32(x + 4));
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < vlen; i++) {
			id = rd32(x + i * 12 + 4);
			ref = max(ref, id);
		}
		break;
	case BTF_KIND_FUNC_PROTO:
		for (i = 0; i < vlen; i++) {
			id = rd32(x + i * 8 + 4);
			ref = max(ref, id);
		}
		break;
	case BTF_KIND_DATASEC:
		for (i = 0; i < vlen; i++) {
			id = rd32(x + i * 12);
			ref = max(ref, id);
		}
		break;
	}
	return ref;
}

/*
 * One pass over the type records: sizes, kinds and names, counting the
 * types, and the highest id any record refers to, which must be one of
 * them (ids 0, void, .. the count). One pass, not one to count and one
 * to check ids: this walk was the largest part of attaching's BTF stage.
 */
static int btf_walk_types(const struct btf_raw *raw, struct btf_scan *scan)
{
	/* Unused bits of btf_type.info must be zero. */
	const u32 info_mask = 0x9f00ffffU;
	u32 off = 0, n = 0, vlen, kind, info, name_off, ref, max_ref = 0;
	const u8 *t;
	s64 extra = 0;

	for (; off < raw->type_len; off += BTF_TYPE_LEN + (u32)extra) {
		if (raw->type_len - off < BTF_TYPE_LEN)
			return -EBADMSG;
		t = raw->types + off;
		name_off = rd32(t);
		info = rd32(t + 4);
		kind = (info >> 24) & 0x1f;
		vlen = info & 0xffff;
		extra = btf_extra_len(kind, vlen);
		if ((info & ~info_mask) || kind == BTF_KIND_UNKN || extra < 0 ||
		    raw->type_len - off - BTF_TYPE_LEN < extra)
			return -EBADMSG;
		n++;
		scan->walked += BTF_TYPE_LEN + extra;
		if (!btf_name_ok(raw, name_off) ||
		    !btf_member_names_ok(raw, kind, t + BTF_TYPE_LEN, vlen,
					 extra))
			return -EBADMSG;
		ref = btf_max_ref(kind, t, vlen);
		if (ref > max_ref)
			max_ref = ref;
		if (kind == BTF_KIND_STRUCT && vlen &&
		    btf_name_is(raw, name_off, "task_struct"))
			scan->has_task_struct = true;
		if (kind == BTF_KIND_DATASEC &&
		    btf_name_is(raw, name_off, ".data..percpu"))
			scan->has_percpu = true;
	}
	/* n cannot overflow: each type takes at least 12 bytes. */
	if (max_ref > n)
		return -EBADMSG;
	scan->nr_types = n;
	return 0;
}

static int btf_scan(const u8 *buf, size_t len, struct btf_scan *scan)
{
	struct btf_raw raw;
	int err;

	memset(scan, 0, sizeof(*scan));
	err = btf_check_hdr(buf, len, &raw, &scan->size);
	if (err)
		return err;
	return btf_walk_types(&raw, scan);
}

int btf_check(const u8 *buf, size_t len, size_t *ret_size, u32 *ret_nr_types)
{
	struct btf_scan scan;
	int err;

	err = btf_scan(buf, len, &scan);
	if (err)
		return err;
	*ret_size = scan.size;
	*ret_nr_types = scan.nr_types;
	return 0;
}

/*
 * The vmlinux BTF is a self-contained blob holding task_struct; module BTF
 * is split (its ids and strings continue the kernel's) and fails
 * btf_check(). Among several candidates the one with the per-cpu DATASEC,
 * then the one with most types, wins.
 */
int btf_locate(const u8 *buf, size_t len, size_t *ret_off, size_t *ret_size)
{
	struct btf_scan scan, best = { 0 };
	size_t pos = 0, best_off = 0;
	u64 walked = 0;
	const u8 *p;
	int err;

	while (pos < len && walked <= BTF_LOCATE_BUDGET) {
		/* memchr is several times faster than glibc's memmem here. */
		p = memchr(buf + pos, btf_magic[0], len - pos);
		if (!p)
			break;
		pos = p - buf;
		if (len - pos < sizeof(btf_magic) ||
		    memcmp(p, btf_magic, sizeof(btf_magic))) {
			pos++;
			continue;
		}
		err = btf_scan(p, len - pos, &scan);
		walked += scan.walked;
		if (err || !scan.has_task_struct) {
			pos++;
			continue;
		}
		if (!best.size || scan.has_percpu > best.has_percpu ||
		    (scan.has_percpu == best.has_percpu &&
		     scan.nr_types > best.nr_types)) {
			best = scan;
			best_off = pos;
		}
		pos += scan.size;
	}
	if (!best.size)
		return walked > BTF_LOCATE_BUDGET ? -ELOOP : -ENOENT;
	*ret_off = best_off;
	*ret_size = best.size;
	return 0;
}

/*
 * ---- a name index, built once a handle keeps asking ----
 *
 * libbpf finds types by name with a walk over every type, and layouts are
 * resolved by name again and again (every check resolves its layouts; the
 * walk was most of a check's non-hashing time). The index maps the names
 * of structs, unions, typedefs and enumerators to their ids, in id order,
 * so a lookup gives the same answer as the walk it replaces.
 *
 * The lookup API takes libbpf's struct btf, which has no room for our
 * data, so indexes live in a small table keyed by the btf. An index only
 * proposes ids: each is checked against the btf itself (kind and name), so
 * a stale index (a btf freed with btf__free() and another at the same
 * address) can only miss, never give a wrong type, and btf_load() drops
 * any index left at the address it returns. The index is built from guest
 * data with every count bounded by the (checked) BTF it came from.
 */
#define BTF_INDEX_SLOTS		8
#define BTF_INDEX_MAX_ENTS	(8U << 20)	/* > any real kernel's */
#define BTF_IDX_TYPE		UINT32_MAX	/* entry names a type */
/*
 * Building costs about as much as 15-30 walks (~3 ms for a 100,000-type
 * kernel): a one-shot command making a dozen lookups would lose. So the
 * first BTF_INDEX_AFTER lookups walk, and the index is built only for a
 * handle that keeps asking (a check, vmid): at most twice the better
 * choice's cost either way.
 */
#define BTF_INDEX_AFTER		16

struct btf_index_ent {
	u32 hash;
	u32 id;
	u32 member;		/* enumerator number, or BTF_IDX_TYPE */
	u32 next;		/* entry number + 1 in this bucket, or 0 */
};

struct btf_index {
	const struct btf *btf;
	u32 nr_types;
	u32 lookups;		/* walks so far, up to BTF_INDEX_AFTER */
	bool tried;		/* built, or failed to: never again */
	struct btf_index_ent *ents;
	u32 nr_ents;
	u32 *buckets;		/* first entry number + 1, or 0 */
	u32 mask;
	struct btf_field_memo *fields;	/* btf_field()'s answers, or NULL */
};

static struct btf_index *btf_indexes[BTF_INDEX_SLOTS];
static pthread_mutex_t btf_index_lock = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a, 32-bit. */
static u32 btf_name_hash(const char *s)
{
	u32 h = 2166136261U;

	for (; *s; s++)
		h = (h ^ (u8)*s) * 16777619U;
	return h;
}

static bool btf_index_named(const struct btf_type *t)
{
	return btf_is_composite(t) || btf_is_typedef(t);
}

/* Entries needed: named types plus enumerators; -E2BIG over the cap. */
static int btf_index_count(const struct btf *btf, u32 n, u32 *ret)
{
	const struct btf_type *t;
	u64 total = 0;
	u32 i;

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(btf, i);
		if (btf_index_named(t))
			total++;
		else if (btf_is_enum(t) || btf_is_enum64(t))
			total += btf_vlen(t);
	}
	if (total > BTF_INDEX_MAX_ENTS)
		return -E2BIG;
	*ret = total;
	return 0;
}

static void btf_index_add(struct btf_index *x, u32 name_off, u32 id,
			  u32 member)
{
	const char *name = btf__name_by_offset(x->btf, name_off);
	struct btf_index_ent *e;

	if (!name || !*name)
		return;
	e = &x->ents[x->nr_ents++];
	e->hash = btf_name_hash(name);
	e->id = id;
	e->member = member;
	e->next = 0;
}

static void btf_index_fill(struct btf_index *x)
{
	const struct btf_type *t;
	u32 i, j, vlen;

	for (i = 1; i < x->nr_types; i++) {
		t = btf__type_by_id(x->btf, i);
		vlen = btf_vlen(t);
		if (btf_index_named(t))
			btf_index_add(x, t->name_off, i, BTF_IDX_TYPE);
		else if (btf_is_enum(t))
			for (j = 0; j < vlen; j++)
				btf_index_add(x, btf_enum(t)[j].name_off, i, j);
		else if (btf_is_enum64(t))
			for (j = 0; j < vlen; j++)
				btf_index_add(x, btf_enum64(t)[j].name_off,
					      i, j);
	}
}

/* Chains in entry (hence id) order: linked from the last entry back. */
static void btf_index_link(struct btf_index *x)
{
	u32 i, b;

	for (i = x->nr_ents; i-- > 0;) {
		b = x->ents[i].hash & x->mask;
		x->ents[i].next = x->buckets[b];
		x->buckets[b] = i + 1;
	}
}

static void btf_index_free(struct btf_index *x)
{
	if (!x)
		return;
	free(x->ents);
	free(x->buckets);
	free(x->fields);
	free(x);
}

/* Fills @x's table; false (and an empty table) if it cannot. */
static bool btf_index_build(struct btf_index *x)
{
	u32 nr, nb = 16;

	x->tried = true;
	if (btf_index_count(x->btf, x->nr_types, &nr))
		return false;
	while (nb < 2 * (u64)nr)
		nb *= 2;
	x->ents = calloc(nr ? nr : 1, sizeof(*x->ents));
	x->buckets = calloc(nb, sizeof(*x->buckets));
	if (!x->ents || !x->buckets) {
		free(x->ents);
		free(x->buckets);
		x->ents = NULL;
		x->buckets = NULL;
		return false;
	}
	x->mask = nb - 1;
	btf_index_fill(x);
	btf_index_link(x);
	return true;
}

/* Forgets the index of @btf (caller holds btf_index_lock). */
static void btf_index_drop_locked(const struct btf *btf)
{
	unsigned int i;

	for (i = 0; i < BTF_INDEX_SLOTS; i++) {
		if (btf_indexes[i] && btf_indexes[i]->btf == btf) {
			btf_index_free(btf_indexes[i]);
			btf_indexes[i] = NULL;
		}
	}
}

/* The slot of @btf, made on its first lookup (caller holds the lock). */
static struct btf_index *btf_index_slot(const struct btf *btf)
{
	unsigned int i, free_slot = BTF_INDEX_SLOTS;
	struct btf_index *x;

	for (i = 0; i < BTF_INDEX_SLOTS; i++) {
		x = btf_indexes[i];
		if (!x) {
			if (free_slot == BTF_INDEX_SLOTS)
				free_slot = i;
		} else if (x->btf == btf &&
			   x->nr_types == btf__type_cnt(btf)) {
			return x;
		}
	}
	if (free_slot == BTF_INDEX_SLOTS)
		return NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->btf = btf;
	x->nr_types = btf__type_cnt(btf);
	btf_indexes[free_slot] = x;
	return x;
}

/*
 * The index of @btf once BTF_INDEX_AFTER lookups have walked; NULL (walk
 * every type) before, or if it cannot be built or every slot is taken.
 * Indexes are never freed while their btf lives, and never change once
 * built, so the pointer stays valid without the lock.
 */
static const struct btf_index *btf_index_get(const struct btf *btf)
{
	struct btf_index *x;
	bool ready = false;

	pthread_mutex_lock(&btf_index_lock);
	x = btf_index_slot(btf);
	if (x && !x->tried && ++x->lookups > BTF_INDEX_AFTER)
		btf_index_build(x);
	if (x)
		ready = x->ents != NULL;
	pthread_mutex_unlock(&btf_index_lock);
	return ready ? x : NULL;
}

void btf_unload(struct btf *btf)
{
	if (!btf)
		return;
	pthread_mutex_lock(&btf_index_lock);
	btf_index_drop_locked(btf);
	pthread_mutex_unlock(&btf_index_lock);
	btf__free(btf);
}

/* Name of index entry @e, checked against the btf itself. */
static const char *btf_index_name(const struct btf_index *x,
				  const struct btf_index_ent *e)
{
	const struct btf_type *t;

	if (!e->id || e->id >= btf__type_cnt(x->btf))
		return NULL;
	t = btf__type_by_id(x->btf, e->id);
	if (e->member == BTF_IDX_TYPE)
		return btf_index_named(t) ?
			btf__name_by_offset(x->btf, t->name_off) : NULL;
	if (e->member >= btf_vlen(t))
		return NULL;
	if (btf_is_enum(t))
		return btf__name_by_offset(x->btf,
					   btf_enum(t)[e->member].name_off);
	if (btf_is_enum64(t))
		return btf__name_by_offset(x->btf,
					   btf_enum64(t)[e->member].name_off);
	return NULL;
}

/*
 * Next entry after @prev (NULL: the first) named @name, of the types
 * (@types) or the enumerators; chains are in id order.
 */
static const struct btf_index_ent *
btf_index_next(const struct btf_index *x, const char *name, u32 hash,
	       bool types, const struct btf_index_ent *prev)
{
	u32 n = prev ? prev->next : x->buckets[hash & x->mask];
	const struct btf_index_ent *e;
	const char *en;

	for (; n && n <= x->nr_ents; n = e->next) {
		e = &x->ents[n - 1];
		if (e->hash != hash || (e->member == BTF_IDX_TYPE) != types)
			continue;
		en = btf_index_name(x, e);
		if (en && !strcmp(en, name))
			return e;
	}
	return NULL;
}

int btf_load(const u8 *data, size_t size, struct btf **ret)
{
	struct btf_scan scan;
	struct btf *btf;
	int err;

	err = btf_scan(data, size, &scan);
	if (err)
		return err;
	if (!scan.has_task_struct)
		return -ENOENT;
	btf = btf__new(data, scan.size);
	if (!btf)
		return errno == ENOMEM ? -ENOMEM : -EBADMSG;
	/*
	 * libbpf finds the pointer size lazily, writing to the btf; do it now
	 * so that lookups are read-only. Our guests are 64-bit.
	 */
	if (btf__pointer_size(btf) != 8)
		btf__set_pointer_size(btf, 8);
	pthread_mutex_lock(&btf_index_lock);
	btf_index_drop_locked(btf);
	pthread_mutex_unlock(&btf_index_lock);
	*ret = btf;
	return 0;
}

/* ---- lookups on a btf_load()ed (hence checked) BTF ---- */

/* Strips typedefs, qualifiers and type tags. */
static int btf_strip(const struct btf *btf, u32 id, u32 *ret_id)
{
	const struct btf_type *t;
	unsigned int depth;

	for (depth = 0; depth < BTF_DEPTH_MAX; depth++) {
		t = btf__type_by_id(btf, id);
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			*ret_id = id;
			return 0;
		}
	}
	return -ELOOP;
}

static int btf_type_size(const struct btf *btf, u32 id, u32 *ret)
{
	s64 size = btf__resolve_size(btf, id);	/* depth-bounded */

	if (size == -E2BIG || size > UINT32_MAX)
		return -E2BIG;
	if (size < 0)
		return -EINVAL;
	*ret = size;
	return 0;
}

/*
 * One candidate of btf_find_composite(), visited in id order: true for a
 * complete struct or union (the answer); else remembers the first empty
 * one and the first typedef.
 */
static bool btf_composite_visit(const struct btf *btf, u32 id, u32 *empty,
				u32 *tdef)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (btf_is_typedef(t)) {
		if (!*tdef)
			*tdef = id;
		return false;
	}
	if (btf_vlen(t))
		return true;
	if (!*empty)
		*empty = id;
	return false;
}

static int btf_composite_walk(const struct btf *btf, const char *name,
			      u32 *empty, u32 *tdef, u32 *ret_id)
{
	u32 i, n = btf__type_cnt(btf);
	const struct btf_type *t;
	const char *tn;

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(btf, i);
		if (!btf_index_named(t))
			continue;
		tn = btf__name_by_offset(btf, t->name_off);
		if (!tn || strcmp(tn, name))
			continue;
		if (btf_composite_visit(btf, i, empty, tdef)) {
			*ret_id = i;
			return 0;
		}
	}
	return -ENOENT;
}

static int btf_composite_indexed(const struct btf_index *x, const char *name,
				 u32 *empty, u32 *tdef, u32 *ret_id)
{
	u32 hash = btf_name_hash(name);
	const struct btf_index_ent *e = NULL;

	while ((e = btf_index_next(x, name, hash, true, e))) {
		if (btf_composite_visit(x->btf, e->id, empty, tdef)) {
			*ret_id = e->id;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * A named struct or union, else a typedef of one. Complete definitions
 * win over empty ones (a FWD has its own kind and never matches).
 */
static int btf_find_composite(const struct btf *btf, const char *name,
			      u32 *ret_id)
{
	const struct btf_index *x;
	u32 empty = 0, tdef = 0, id;

	if (!*name)
		return -ENOENT;	/* not the first anonymous struct */
	x = btf_index_get(btf);
	if (!(x ? btf_composite_indexed(x, name, &empty, &tdef, ret_id) :
		  btf_composite_walk(btf, name, &empty, &tdef, ret_id)))
		return 0;
	if (empty) {
		*ret_id = empty;
		return 0;
	}
	if (tdef && !btf_strip(btf, tdef, &id) &&
	    btf_is_composite(btf__type_by_id(btf, id))) {
		*ret_id = id;
		return 0;
	}
	return -ENOENT;
}

struct btf_member_hit {
	u32 type_id;		/* as declared */
	u64 bit_off;
	u32 bit_size;
};

/* @name in composite @id, looking through anonymous members. */
static int btf_find_member(const struct btf *btf, u32 id, const char *name,
			   unsigned int depth, struct btf_member_hit *hit)
{
	const struct btf_type *t = btf__type_by_id(btf, id), *mt;
	const struct btf_member *m = btf_members(t);
	u32 i, vlen = btf_vlen(t), mid;
	const char *mn;
	int err;

	if (depth >= BTF_DEPTH_MAX)
		return -ELOOP;
	for (i = 0; i < vlen; i++, m++) {
		mn = btf__name_by_offset(btf, m->name_off);
		if (mn && *mn) {
			if (strcmp(mn, name))
				continue;
			hit->type_id = m->type;
			hit->bit_off = btf_member_bit_offset(t, i);
			hit->bit_size = btf_member_bitfield_size(t, i);
			return 0;
		}
		err = btf_strip(btf, m->type, &mid);
		if (err)
			return err;
		mt = btf__type_by_id(btf, mid);
		if (!btf_is_composite(mt))
			continue;
		err = btf_find_member(btf, mid, name, depth + 1, hit);
		if (err == -ENOENT)
			continue;
		if (!err)
			hit->bit_off += btf_member_bit_offset(t, i);
		return err;
	}
	return -ENOENT;
}

/* Splits "name[1][2]" off @p: name into @name, indexes left at *@p. */
static int btf_path_name(const char **p, char name[BTF_NAME_MAX])
{
	size_t n = strcspn(*p, ".[");

	if (!n || n >= BTF_NAME_MAX)
		return -EINVAL;
	memcpy(name, *p, n);
	name[n] = '\0';
	*p += n;
	return 0;
}

static int btf_path_index(const char **p, u32 *ret)
{
	const char *s = *p + 1;		/* past '[' */
	u64 v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	if (*s != ']')
		return -EINVAL;
	*p = s + 1;
	*ret = v;
	return 0;
}

/*
 * btf_field()'s answers for an indexed btf (one a handle keeps asking: a
 * check resolves the same ~150 layouts every time, each a walk of the
 * type's members). Open addressing by a hash of type and path; a name
 * too long, a full neighbourhood or no index only costs the walk. Kept in
 * the index, so it lives and dies with it (btf_unload(), btf_load()
 * dropping a stale one); a hit is checked against the btf as the index's
 * ids are: its outer type must still be @type by kind and name.
 */
#define BTF_MEMO_SLOTS		1024	/* power of two */
#define BTF_MEMO_PROBES		8
#define BTF_MEMO_TYPE		48
#define BTF_MEMO_PATH		80

struct btf_field_memo {
	struct {
		char type[BTF_MEMO_TYPE];	/* "": an empty slot */
		char path[BTF_MEMO_PATH];
		u32 outer_id;
		int err;		/* the answer was this error */
		struct btf_field f;
	} slot[BTF_MEMO_SLOTS];
};

/* The ready index of @btf, without counting a lookup, or NULL. */
static struct btf_index *btf_index_ready(const struct btf *btf)
{
	unsigned int i;

	for (i = 0; i < BTF_INDEX_SLOTS; i++)
		if (btf_indexes[i] && btf_indexes[i]->btf == btf &&
		    btf_indexes[i]->ents &&
		    btf_indexes[i]->nr_types == btf__type_cnt(btf))
			return btf_indexes[i];
	return NULL;
}

/*
 * The slot of (@type, @path) in @btf's memo: the one holding it, else an
 * empty one or the home slot to fill; -1 if it cannot be memoized. Caller
 * holds btf_index_lock.
 */
static int btf_memo_slot(const struct btf *btf, const char *type,
			 const char *path, struct btf_field_memo **ret)
{
	struct btf_index *x = btf_index_ready(btf);
	u32 h, i, s;

	if (!x || strlen(type) >= BTF_MEMO_TYPE ||
	    strlen(path) >= BTF_MEMO_PATH)
		return -1;
	if (!x->fields)
		x->fields = calloc(1, sizeof(*x->fields));
	if (!x->fields)
		return -1;
	*ret = x->fields;
	h = btf_name_hash(type) ^ btf_name_hash(path) * 31;
	for (i = 0; i < BTF_MEMO_PROBES; i++) {
		s = (h + i) & (BTF_MEMO_SLOTS - 1);
		if (!x->fields->slot[s].type[0] ||
		    (!strcmp(x->fields->slot[s].type, type) &&
		     !strcmp(x->fields->slot[s].path, path)))
			return s;
	}
	return h & (BTF_MEMO_SLOTS - 1);
}

/*
 * A memoized answer for (@type, @path): true if there was one, its error
 * in *@ret_err (a member this kernel lacks, asked at every check, is an
 * answer too), else its field in @ret.
 */
static bool btf_memo_get(const struct btf *btf, const char *type,
			 const char *path, struct btf_field *ret, int *ret_err)
{
	struct btf_field_memo *m;
	const struct btf_type *t;
	const char *name;
	bool hit = false;
	int s;

	pthread_mutex_lock(&btf_index_lock);
	s = btf_memo_slot(btf, type, path, &m);
	if (s >= 0 && !strcmp(m->slot[s].type, type) &&
	    !strcmp(m->slot[s].path, path) &&
	    m->slot[s].outer_id < btf__type_cnt(btf)) {
		t = btf__type_by_id(btf, m->slot[s].outer_id);
		name = btf_index_named(t) ?
		       btf__name_by_offset(btf, t->name_off) : NULL;
		hit = name && !strcmp(name, type);
		if (hit) {
			*ret_err = m->slot[s].err;
			if (!m->slot[s].err)
				*ret = m->slot[s].f;
		}
	}
	pthread_mutex_unlock(&btf_index_lock);
	return hit;
}

/* @f, or @err if nonzero, as the answer for (@type, @path). */
static void btf_memo_put(const struct btf *btf, const char *type,
			 const char *path, u32 outer_id,
			 const struct btf_field *f, int err)
{
	struct btf_field_memo *m;
	int s;

	pthread_mutex_lock(&btf_index_lock);
	s = btf_memo_slot(btf, type, path, &m);
	if (s >= 0) {
		/* lengths checked by btf_memo_slot() */
		memcpy(m->slot[s].type, type, strlen(type) + 1);
		memcpy(m->slot[s].path, path, strlen(path) + 1);
		m->slot[s].outer_id = outer_id;
		m->slot[s].err = err;
		if (!err)
			m->slot[s].f = *f;
	}
	pthread_mutex_unlock(&btf_index_lock);
}

static int btf_field_walk(const struct btf *btf, const char *type,
			  const char *path, struct btf_field *ret,
			  u32 *ret_outer);

int btf_field(const struct btf *btf, const char *type, const char *path,
	      struct btf_field *ret)
{
	u32 outer = 0;
	int err;

	if (!btf || !type || !path || !ret)
		return -EINVAL;
	if (btf_memo_get(btf, type, path, ret, &err))
		return err;
	err = btf_field_walk(btf, type, path, ret, &outer);
	/* no outer type: nothing to check a remembered answer against */
	if (outer && err != -ENOMEM)
		btf_memo_put(btf, type, path, outer, ret, err);
	return err;
}

/* btf_field() by walking the types; the outer type's id in *@ret_outer. */
static int btf_field_walk(const struct btf *btf, const char *type,
			  const char *path, struct btf_field *ret,
			  u32 *ret_outer)
{
	struct btf_member_hit hit = { 0 };
	const struct btf_type *t, *et;
	const struct btf_array *arr;
	char name[BTF_NAME_MAX];
	u32 id, idx, esize, elements = 0;
	u64 bit_off = 0;
	const char *p = path;
	int err;

	err = btf_find_composite(btf, type, &id);
	if (err)
		return err;
	*ret_outer = id;
	for (;;) {
		if (++elements > BTF_PATH_MAX)
			return -EINVAL;
		/* A bitfield has no members and no elements. */
		if (hit.bit_size)
			return -EINVAL;
		err = btf_strip(btf, id, &id);
		if (err)
			return err;
		if (!btf_is_composite(btf__type_by_id(btf, id)))
			return -EINVAL;
		err = btf_path_name(&p, name);
		if (err)
			return err;
		err = btf_find_member(btf, id, name, 0, &hit);
		if (err)
			return err;
		bit_off += hit.bit_off;
		id = hit.type_id;
		while (*p == '[') {
			err = btf_path_index(&p, &idx);
			if (err)
				return err;
			if (hit.bit_size)
				return -EINVAL;
			err = btf_strip(btf, id, &id);
			if (err)
				return err;
			t = btf__type_by_id(btf, id);
			if (!btf_is_array(t))
				return -EINVAL;
			arr = btf_array(t);
			if (idx >= arr->nelems)
				return -EINVAL;
			err = btf_type_size(btf, arr->type, &esize);
			if (err)
				return err;
			if ((u64)idx * esize > UINT32_MAX)
				return -E2BIG;
			bit_off += (u64)idx * esize * 8;
			id = arr->type;
		}
		if (!*p)
			break;
		if (*p != '.')
			return -EINVAL;
		p++;
	}
	err = btf_strip(btf, id, &id);
	if (err)
		return err;
	et = btf__type_by_id(btf, id);
	ret->bit_size = hit.bit_size;
	/* Old-style bitfield: an int narrower than its storage, or shifted. */
	if (!ret->bit_size && btf_is_int(et) &&
	    (btf_int_offset(et) || btf_int_bits(et) != et->size * 8)) {
		ret->bit_size = btf_int_bits(et);
		bit_off += btf_int_offset(et);
	}
	err = btf_type_size(btf, id, &ret->size);
	if (err)
		return err;
	ret->type_id = id;
	ret->bit_off = bit_off;
	return 0;
}

int btf_offsetof(const struct btf *btf, const char *type, const char *path,
		 u32 *ret_off)
{
	struct btf_field f;
	int err;

	err = btf_field(btf, type, path, &f);
	if (err)
		return err;
	if (f.bit_size || f.bit_off % 8)
		return -EINVAL;
	if (f.bit_off / 8 > UINT32_MAX)
		return -E2BIG;
	*ret_off = f.bit_off / 8;
	return 0;
}

int btf_offsets(const struct btf *btf, const struct btf_member_ref *m,
		size_t nr, const struct btf_member_ref **ret_bad)
{
	size_t i;
	int err;

	for (i = 0; i < nr; i++) {
		err = btf_offsetof(btf, m[i].type, m[i].path, m[i].off);
		if (err) {
			if (ret_bad)
				*ret_bad = &m[i];
			return err;
		}
	}
	return 0;
}

int btf_member_size(const struct btf *btf, const char *type,
		    const char *path, u32 *ret_size)
{
	struct btf_field f;
	int err;

	err = btf_field(btf, type, path, &f);
	if (err)
		return err;
	*ret_size = f.size;
	return 0;
}

int btf_sizeof(const struct btf *btf, const char *type, u32 *ret_size)
{
	u32 id;
	int err;

	if (!btf || !type || !ret_size)
		return -EINVAL;
	err = btf_find_composite(btf, type, &id);
	if (err)
		return err;
	return btf_type_size(btf, id, ret_size);
}

/* Whether type @id is a pointer to a function prototype. */
static bool btf_is_fn_ptr(const struct btf *btf, u32 id)
{
	const struct btf_type *t;

	if (btf_strip(btf, id, &id))
		return false;
	t = btf__type_by_id(btf, id);
	if (!btf_is_ptr(t) || btf_strip(btf, t->type, &id))
		return false;
	return btf_is_func_proto(btf__type_by_id(btf, id));
}

int btf_fn_members(const struct btf *btf, const char *type,
		   struct btf_fn_member *out, u32 max, u32 *ret_nr)
{
	const struct btf_member *m;
	const struct btf_type *t;
	u32 id, i, vlen, n = 0;
	int err;

	if (!btf || !type || (max && !out) || !ret_nr)
		return -EINVAL;
	err = btf_find_composite(btf, type, &id);
	if (err)
		return err;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	vlen = btf_vlen(t);
	for (i = 0; i < vlen; i++, m++) {
		if (btf_member_bitfield_size(t, i) ||
		    !btf_is_fn_ptr(btf, m->type))
			continue;
		if (n == max)
			return -E2BIG;
		out[n].name = btf__name_by_offset(btf, m->name_off) ?: "?";
		out[n].off = btf_member_bit_offset(t, i) / 8;
		n++;
	}
	*ret_nr = n;
	return 0;
}

/* Value of enumerator @j of enum type @id. */
static s64 btf_enumerator(const struct btf_type *t, u32 j)
{
	/* kind_flag: signed; else unsigned (libbpf). */
	if (btf_is_enum64(t))
		return (s64)btf_enum64_value(&btf_enum64(t)[j]);
	return btf_kflag(t) ? (s64)btf_enum(t)[j].val :
			      (s64)(u32)btf_enum(t)[j].val;
}

static const char *btf_enumerator_name(const struct btf *btf,
				       const struct btf_type *t, u32 j)
{
	return btf__name_by_offset(btf, btf_is_enum64(t) ?
				   btf_enum64(t)[j].name_off :
				   btf_enum(t)[j].name_off);
}

static int btf_enum_walk(const struct btf *btf, const char *name, s64 *ret)
{
	u32 i, j, n = btf__type_cnt(btf), vlen;
	const struct btf_type *t;
	const char *en;

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(btf, i);
		if (!btf_is_enum(t) && !btf_is_enum64(t))
			continue;
		vlen = btf_vlen(t);
		for (j = 0; j < vlen; j++) {
			en = btf_enumerator_name(btf, t, j);
			if (en && !strcmp(en, name)) {
				*ret = btf_enumerator(t, j);
				return 0;
			}
		}
	}
	return -ENOENT;
}

int btf_enum_value(const struct btf *btf, const char *name, s64 *ret)
{
	const struct btf_index *x;
	const struct btf_index_ent *e;

	if (!btf || !name || !ret)
		return -EINVAL;
	if (!*name)
		return -ENOENT;
	x = btf_index_get(btf);
	if (!x)
		return btf_enum_walk(btf, name, ret);
	/* btf_index_next() checked the id and the enumerator number. */
	e = btf_index_next(x, name, btf_name_hash(name), false, NULL);
	if (!e)
		return -ENOENT;
	*ret = btf_enumerator(btf__type_by_id(btf, e->id), e->member);
	return 0;
}
