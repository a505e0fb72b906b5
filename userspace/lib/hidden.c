// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * hidden-module, hidden-process, credentials: the kernel's structures
 * against each other (see hidden.h and docs/integrity.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "hidden.h"
#include "list.h"
#include "u64set.h"
#include "../../core/procwalk.h"

#define PF_KTHREAD		0x00200000U
#define MODULE_NAME_LEN		56
#define S_ISUID_BIT		04000
#define S_IFMT_BITS		0170000
#define S_IFREG_BITS		0100000
#define U32_MAX_OFF		0xffffffffU
#define LIST_POISON_BASE	0xdead000000000000ULL

/* ---- a growable set of u64 keys with payloads ---- */

struct item {
	u64 key;
	u64 aux;		/* second key (pid, cred...) */
	u32 kind;
	s32 pid;
	s32 ppid;		/* a hidden task's parent, or -1 */
	char name[64];
};

struct items {
	struct item *a;
	size_t nr, cap;
};

static struct item *items_add(struct items *s)
{
	struct item *n = array_grow(s->a, &s->cap, s->nr, sizeof(*n), 64);

	if (!n)
		return NULL;
	s->a = n;
	n = &s->a[s->nr++];
	memset(n, 0, sizeof(*n));
	return n;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->aux < y->aux ? -1 : x->aux > y->aux;
}

static void items_sort(struct items *s)
{
	if (s->nr)
		qsort(s->a, s->nr, sizeof(*s->a), item_cmp);
}

static bool items_has(const struct items *s, u64 key)
{
	size_t lo = 0, hi = s->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->a[mid].key == key)
			return true;
		if (s->a[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Same key, kind and aux in a sorted @s. */
static bool items_has_item(const struct items *s, const struct item *it)
{
	/* an empty set's array is NULL: no bsearch() on it */
	return s->nr &&
	       bsearch(it, s->a, s->nr, sizeof(*s->a), item_cmp) != NULL;
}

/* A guest string, printable: anything else becomes '?'. */
static void clean_name(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < size && i < len && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* A field of a guest object, for read_fields(). */
struct field {
	u32 off, size;
	void *out;
};

#define FIELDS_SPAN_MAX	128

/*
 * The fields @f[0..@n) of the object at @base: one guest read when they
 * lie within FIELDS_SPAN_MAX bytes (a line or two), else one each.
 */
static int read_fields(struct vmiaas *v, u64 base, const struct field *f,
		       u32 n)
{
	u8 span[FIELDS_SPAN_MAX];
	u32 lo = U32_MAX_OFF, hi = 0, i;
	int err = 0;

	for (i = 0; i < n; i++) {
		lo = min(lo, f[i].off);
		hi = max(hi, f[i].off + f[i].size);
	}
	if (hi - lo > sizeof(span)) {
		for (i = 0; !err && i < n; i++)
			err = engine_read(v, base + f[i].off, f[i].out,
					  f[i].size);
		return err;
	}
	err = engine_read(v, base + lo, span, hi - lo);
	for (i = 0; !err && i < n; i++)
		memcpy(f[i].out, span + (f[i].off - lo), f[i].size);
	return err;
}

static int layout_fail(struct vmiaas *v, const char *type, const char *path)
{
	return engine_fail(v, -EBADMSG,
		"the guest kernel's BTF has no %s.%s: this kernel's layout is not supported",
		type, path);
}

#define RESOLVE(v, type, path, out)					\
	do {								\
		if (btf_offsetof((v)->btf, type, path, out))		\
			return layout_fail(v, type, path);		\
	} while (0)

/*
 * A walk that meets a list being changed under it ends in what a corrupt
 * list gives: list_del_init() points a departing node at itself (a task
 * leaving its css_set or its parent's children: -ELOOP at that node), a
 * freed node holds poison or reused memory (-EFAULT, -EBADMSG). Such a
 * scan is run again, up to SCAN_TORN_RETRIES times with a growing wait: a
 * list in motion settles within milliseconds, a corrupt one (a guest's
 * cycle) fails every time and is reported as before.
 */
#define SCAN_TORN_RETRIES	3
unsigned int hidden_torn_wait_us = 10000;	/* then 20, 40 ms */
unsigned int hidden_busy_wait_us = 100000;	/* 30 times at most */
#define SCAN_BUSY_TRIES		30

static int scan_settled(struct vmiaas *v,
			int (*scan)(struct vmiaas *v, struct items *out),
			struct items *out)
{
	int err, i;

	for (i = 0;; i++) {
		err = scan(v, out);
		if (!list_torn(err) || i == SCAN_TORN_RETRIES)
			return err;
		free(out->a);
		*out = (struct items){};
		engine_pause(v, hidden_torn_wait_us << i);
	}
}

/*
 * Runs @scan twice; the discrepancies seen both times (same key, kind and
 * aux) are reported through @report. Objects that appear or vanish while
 * the guest runs show only once. When @busy (optional) says the kernel is
 * in the middle of a change that can take longer than the pause (see
 * mod_busy(), given what the second scan saw and @busy_state, its state
 * between calls, zeroed by the caller), the discrepancies seen twice must
 * also be seen by a third scan made once @busy says it is over (or when
 * waiting gives up).
 */
static int scan_twice(struct vmiaas *v,
		      int (*scan)(struct vmiaas *v, struct items *out),
		      void (*report)(struct vmiaas *v, const struct item *it,
				     const struct hidden_sink *s),
		      bool (*busy)(struct vmiaas *v, const struct items *seen,
				   void *busy_state),
		      void *busy_state, const struct hidden_sink *s)
{
	struct items first = {}, second = {}, third = {};
	bool settle = false, thrice = false;
	size_t i;
	int err;

	err = scan_settled(v, scan, &first);
	if (!err && first.nr) {
		/* long enough for a fork or an exit in flight to finish */
		engine_pause(v, HIDDEN_RESCAN_DELAY_US);
		err = scan_settled(v, scan, &second);
	}
	if (!err) {
		items_sort(&first);
		for (i = 0; i < second.nr && !settle; i++)
			settle = items_has_item(&first, &second.a[i]);
	}
	if (!err && settle && busy && busy(v, &second, busy_state)) {
		for (i = 0; i < SCAN_BUSY_TRIES && busy(v, &second, busy_state);
		     i++)
			engine_pause(v, hidden_busy_wait_us);
		/* what follows the unlock */
		engine_pause(v, hidden_busy_wait_us);
		err = scan_settled(v, scan, &third);
		items_sort(&third);
		thrice = true;
	}
	for (i = 0; !err && i < second.nr; i++)
		if (items_has_item(&first, &second.a[i]) &&
		    (!thrice || items_has_item(&third, &second.a[i])))
			report(v, &second.a[i], s);
	free(first.a);
	free(second.a);
	free(third.a);
	return err;
}

/* ---- walkers ---- */

/* hidden_rb_walk()'s callback as core/procwalk.c's vmi_rb_walk() calls it. */
struct rb_adapt {
	struct vmiaas *v;
	int (*fn)(struct vmiaas *v, u64 node, void *arg);
	void *arg;
	u64 node;		/* the last node visited */
	int fn_err;		/* the callback's error, returned as is */
};

static int rb_adapt_fn(void *ctx, u64 node)
{
	struct rb_adapt *a = ctx;

	a->node = node;
	a->fn_err = a->fn(a->v, node, a->arg);
	return a->fn_err;
}

int hidden_rb_walk(struct vmiaas *v, u64 root_node, u32 left, u32 right,
		   int (*fn)(struct vmiaas *v, u64 node, void *arg), void *arg)
{
	struct rb_adapt a = { .v = v, .fn = fn, .arg = arg };
	u64 stack[VMI_RB_DEPTH_MAX + 1];
	u8 depth[VMI_RB_DEPTH_MAX + 1];
	struct vmi_read_ops r;
	int err;

	static_assert(VMI_RB_DEPTH_MAX == HIDDEN_RB_DEPTH_MAX, "depth");
	bl_read_ops(v, &r);
	err = vmi_rb_walk(&r, root_node, left, right, HIDDEN_RB_NODES_MAX,
			  stack, depth, rb_adapt_fn, &a);
	if (!err || a.fn_err)
		return err;
	if (err == -EBADMSG)
		return engine_fail(v, err,
			"rbtree: a node after 0x%llx is not a kernel pointer",
			(unsigned long long)a.node);
	if (err == -ELOOP)
		return engine_fail(v, err,
			"rbtree deeper than %u or more than %u nodes (a cycle?)",
			HIDDEN_RB_DEPTH_MAX, HIDDEN_RB_NODES_MAX);
	return engine_fail(v, err, "rbtree node 0x%llx is unreadable",
			   (unsigned long long)a.node);
}

struct xa_walk {
	u32 shift_off, slots_off, nr_slots, chunk_shift;
	u32 nodes;
	int (*fn)(struct vmiaas *v, u64 entry, u64 index, void *arg);
	/* Optional: sees a leaf node's slots before @fn visits them. */
	void (*batch)(struct vmiaas *v, const u64 *slots, u32 nr, void *arg);
	void *arg;
};

#define XA_NODE_MIN	4096	/* internal entries below are not nodes */

static bool xa_is_node(u64 e)
{
	return (e & 3) == 2 && e > XA_NODE_MIN;
}

static int xa_node_walk(struct vmiaas *v, struct xa_walk *w, u64 node,
			int want_shift, u64 base)
{
	u64 slots[256];
	u8 shift;
	u32 i;
	int err;

	if (++w->nodes > HIDDEN_XA_NODES_MAX)
		return engine_fail(v, -ELOOP, "xarray: more than %u nodes",
				   HIDDEN_XA_NODES_MAX);
	if (!kernel_ptr(node))
		return engine_fail(v, -EBADMSG,
			"xarray node 0x%llx is not a kernel pointer",
			(unsigned long long)node);
	err = engine_read(v, node + w->shift_off, &shift, 1);
	err = err ?: engine_read(v, node + w->slots_off, slots,
				 w->nr_slots * 8);
	if (err)
		return engine_fail(v, err, "xarray node 0x%llx is unreadable",
				   (unsigned long long)node);
	/*
	 * Shifts strictly decrease by one chunk per level, which bounds the
	 * depth (and so rules out cycles) whatever the guest wrote.
	 */
	if (shift % w->chunk_shift || shift >= 64 ||
	    (want_shift >= 0 && shift != want_shift))
		return engine_fail(v, -EBADMSG,
			"xarray node 0x%llx has shift %u (expected %d)",
			(unsigned long long)node, shift, want_shift);
	if (!shift && w->batch)
		w->batch(v, slots, w->nr_slots, w->arg);
	for (i = 0; i < w->nr_slots; i++) {
		u64 e = slots[i], idx = base | ((u64)i << shift);

		if (!e || (e & 1))
			continue;		/* empty, value entry */
		if ((e & 3) == 2) {
			if (!xa_is_node(e))
				continue;	/* sibling, retry, zero */
			if (!shift)
				return engine_fail(v, -EBADMSG,
					"xarray leaf node 0x%llx points to a node",
					(unsigned long long)node);
			err = xa_node_walk(v, w, e - 2,
					   shift - w->chunk_shift, idx);
		} else {
			err = w->fn(v, e, idx, w->arg);
		}
		if (err)
			return err;
	}
	return 0;
}

static int xa_walk(struct vmiaas *v, struct xa_walk *w, u64 head)
{
	u32 nr_slots = w->nr_slots;

	if (nr_slots < 2 || nr_slots > 256 || (nr_slots & (nr_slots - 1)))
		return engine_fail(v, -EBADMSG, "xarray: %u slots per node",
				   nr_slots);
	w->chunk_shift = __builtin_ctz(nr_slots);
	if (!head || (head & 1))
		return 0;
	if (!xa_is_node(head))
		return (head & 3) == 2 ? 0 : w->fn(v, head, 0, w->arg);
	return xa_node_walk(v, w, head - 2, -1, 0);
}

int hidden_xa_walk(struct vmiaas *v, u64 head, u32 shift_off, u32 slots_off,
		   u32 nr_slots,
		   int (*fn)(struct vmiaas *v, u64 entry, u64 index, void *arg),
		   void *arg)
{
	struct xa_walk w = {
		.shift_off = shift_off, .slots_off = slots_off,
		.nr_slots = nr_slots, .fn = fn, .arg = arg,
	};

	return xa_walk(v, &w, head);
}

/* ---- hidden-module ---- */

enum {
	MOD_IN_TREE_NOT_LIST,
	MOD_IN_SYSFS_NOT_LIST,
	MOD_LIST_NOT_SYSFS,
	MOD_LIST_NOT_TREE,
	MOD_CARVED,
	MOD_UNOWNED,		/* module-area memory no record accounts for */
};

struct mod_ctx {
	struct items list, sysfs, tree;
	u32 mkobj_mod, kobj_entry, mkobj_kobj;	/* offsets */
	u32 mtn_mod, mtn_node;
	bool have_tree;
	int live;
};

static int kobj_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct mod_ctx *c = arg;
	u64 kobj = node - c->kobj_entry, mod;
	struct item *it;
	int err;

	err = engine_read_u64(v, kobj - c->mkobj_kobj + c->mkobj_mod, &mod);
	if (err)
		return engine_fail(v, err, "module kobject 0x%llx is unreadable",
				   (unsigned long long)kobj);
	if (!mod)
		return 0;	/* a built-in module's parameters */
	it = items_add(&c->sysfs);
	if (!it)
		return -ENOMEM;
	it->key = mod;
	return 0;
}

static int tree_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct mod_ctx *c = arg;
	struct item *it;
	u64 mod;
	int err;

	err = engine_read_u64(v, node - c->mtn_node + c->mtn_mod, &mod);
	if (err)
		return engine_fail(v, err, "module tree node 0x%llx is unreadable",
				   (unsigned long long)node);
	if (c->tree.nr && c->tree.a[c->tree.nr - 1].key == mod)
		return 0;
	it = items_add(&c->tree);
	if (!it)
		return -ENOMEM;
	it->key = mod;
	return 0;
}

static void mod_name(struct vmiaas *v, u64 mod, char *buf, size_t size)
{
	char raw[MODULE_NAME_LEN];
	u32 off;

	if (!kernel_ptr(mod) || btf_offsetof(v->btf, "module", "name", &off) ||
	    engine_read(v, mod + off, raw, sizeof(raw)))
		snprintf(buf, size, "0x%016llx", (unsigned long long)mod);
	else
		clean_name(buf, size, raw, sizeof(raw));
}

static int mod_sources(struct vmiaas *v, struct mod_ctx *c)
{
	struct vmiaas_module *m = NULL;
	u32 kset_list, root_off, left, right, l1;
	u64 kset_p, kset, tree, root;
	size_t nr = 0, i;
	s64 live;
	int err;

	RESOLVE(v, "module_kobject", "mod", &c->mkobj_mod);
	RESOLVE(v, "module_kobject", "kobj", &c->mkobj_kobj);
	RESOLVE(v, "kobject", "entry", &c->kobj_entry);
	RESOLVE(v, "kset", "list", &kset_list);
	if (btf_enum_value(v->btf, "MODULE_STATE_LIVE", &live))
		return layout_fail(v, "module_state", "MODULE_STATE_LIVE");
	c->live = live;

	err = vmiaas_modules(v, &m, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		struct item *it = items_add(&c->list);

		if (!it) {
			free(m);
			return -ENOMEM;
		}
		it->key = m[i].addr;
		it->pid = m[i].state;
		clean_name(it->name, sizeof(it->name), m[i].name,
			   sizeof(m[i].name));
	}
	free(m);

	if (engine_sym(v, "module_kset", &kset_p) ||
	    engine_read_u64(v, kset_p, &kset))
		return engine_fail(v, -ENOEXEC, "the kernel has no module_kset");
	if (!kernel_ptr(kset))
		return engine_fail(v, -EBADMSG, "module_kset is 0x%llx",
				   (unsigned long long)kset);
	err = list_walk(v, "the /sys/module kset", kset + kset_list,
			4 * VMIAAS_MAX_MODULES, kobj_visit, c);
	if (err)
		return err;

	/* The module address tree (CONFIG_MODULES_TREE_LOOKUP). */
	if (engine_sym(v, "mod_tree", &tree) ||
	    btf_offsetof(v->btf, "mod_tree_root", "root.tree[0]", &root_off))
		return 0;
	RESOLVE(v, "mod_tree_node", "mod", &c->mtn_mod);
	RESOLVE(v, "mod_tree_node", "node.node[0]", &c->mtn_node);
	RESOLVE(v, "rb_node", "rb_left", &left);
	RESOLVE(v, "rb_node", "rb_right", &right);
	RESOLVE(v, "rb_root", "rb_node", &l1);
	err = engine_read_u64(v, tree + root_off + l1, &root);
	if (err)
		return engine_fail(v, err, "mod_tree is unreadable");
	c->have_tree = true;
	return hidden_rb_walk(v, root, left, right, tree_visit, c);
}

static int mod_add(struct items *out, u32 kind, u64 mod, const char *name)
{
	struct item *it = items_add(out);

	if (!it)
		return -ENOMEM;
	it->key = mod;
	it->kind = kind;
	snprintf(it->name, sizeof(it->name), "%s", name);
	return 0;
}

/* ---- module memory carving ---- */

#define MOD_STATE_COMING	1	/* MODULE_STATE_COMING */
#define MOD_STATE_UNFORMED	3	/* MODULE_STATE_UNFORMED */
#define MOD_STATE_MAX		MOD_STATE_UNFORMED

static int carve_regions_layout(struct vmiaas *v, struct carve_layout *l)
{
	char path[32];
	u32 mem_size, one, i;

	if (!btf_member_size(v->btf, "module", "mem", &mem_size) &&
	    !btf_sizeof(v->btf, "module_memory", &one) && one) {
		/* 6.4+: one allocation per mem[] type. */
		l->nr_regions = mem_size / one;
		if (!l->nr_regions || l->nr_regions > MOD_REGIONS_MAX)
			return layout_fail(v, "module", "mem");
		for (i = 0; i < l->nr_regions; i++) {
			snprintf(path, sizeof(path), "mem[%u].base", i);
			RESOLVE(v, "module", path, &l->base[i]);
			snprintf(path, sizeof(path), "mem[%u].size", i);
			RESOLVE(v, "module", path, &l->len[i]);
		}
		return 0;
	}
	/* Before 6.4: core (text, rodata, data) and init layouts. */
	RESOLVE(v, "module", "core_layout.base", &l->base[0]);
	RESOLVE(v, "module", "core_layout.size", &l->len[0]);
	RESOLVE(v, "module", "init_layout.base", &l->base[1]);
	RESOLVE(v, "module", "init_layout.size", &l->len[1]);
	l->nr_regions = 2;
	return 0;
}

/* The offsets a walk of the busy vmap areas needs. */
static int vmap_layout_get(struct vmiaas *v, struct carve_layout *l)
{
	RESOLVE(v, "vmap_area", "va_start", &l->va_start);
	RESOLVE(v, "vmap_area", "va_end", &l->va_end);
	RESOLVE(v, "vmap_area", "rb_node", &l->va_node);
	RESOLVE(v, "rb_node", "rb_left", &l->rb_left);
	RESOLVE(v, "rb_node", "rb_right", &l->rb_right);
	return 0;
}

static int carve_layout_get(struct vmiaas *v, struct carve_layout *l)
{
	if (btf_sizeof(v->btf, "module", &l->size) || !l->size ||
	    l->size > HIDDEN_MODULE_SIZE_MAX)
		return layout_fail(v, "module", "(size)");
	RESOLVE(v, "module", "mkobj.mod", &l->mkobj_mod);
	RESOLVE(v, "module", "state", &l->state);
	RESOLVE(v, "module", "name", &l->name);
	RESOLVE(v, "module", "list", &l->list);
	return vmap_layout_get(v, l) ?: modarea_get(v, &l->area) ?:
	       carve_regions_layout(v, l);
}

static u64 get_u64(const u8 *buf, u32 off)
{
	u64 x;

	memcpy(&x, buf + off, sizeof(x));
	return x;
}

static u32 get_u32(const u8 *buf, u32 off)
{
	u32 x;

	memcpy(&x, buf + off, sizeof(x));
	return x;
}

/*
 * A list_head pointer of a module, or of one taken off the list: list_del()
 * leaves LIST_POISON1/2 (0xdead000000000100/122 with x86-64's
 * CONFIG_ILLEGAL_POINTER_VALUE), list_del_rcu() LIST_POISON2 in prev.
 */
static bool list_ptr(u64 p)
{
	return kernel_ptr(p) || (p >= LIST_POISON_BASE &&
				 p < LIST_POISON_BASE + 0x200);
}

/*
 * Whether @buf (l->size bytes read at @va) is a self-consistent struct
 * module: mkobj.mod pointing back at it, a known state, a printable
 * NUL-terminated name, list pointers in the kernel half (or poisoned by
 * list_del()), text in the
 * module area and the struct itself inside one of its own regions.
 * The name goes to @name.
 */
bool hidden_module_plausible(const struct carve_layout *l, const u8 *buf,
			     u64 va, char *name, size_t name_size)
{
	u64 base, text = get_u64(buf, l->base[0]);
	bool inside = false;
	u32 i, len;

	if (get_u64(buf, l->mkobj_mod) != va ||
	    get_u32(buf, l->state) > MOD_STATE_MAX ||
	    !list_ptr(get_u64(buf, l->list)) ||
	    !list_ptr(get_u64(buf, l->list + 8)) ||
	    text < l->area.start || text >= l->area.end)
		return false;
	for (i = 0; i < MODULE_NAME_LEN; i++) {
		char c = buf[l->name + i];

		if (!c)
			break;
		if (c < 0x21 || c >= 0x7f)
			return false;
	}
	if (!i || i == MODULE_NAME_LEN)
		return false;
	for (i = 0; i < l->nr_regions && !inside; i++) {
		base = get_u64(buf, l->base[i]);
		len = get_u32(buf, l->len[i]);
		inside = va >= base && va - base < len &&
			 va - base + l->size <= len;
	}
	if (inside)
		clean_name(name, name_size, (const char *)buf + l->name,
			   MODULE_NAME_LEN);
	return inside;
}

struct carve_ctx {
	struct carve_layout l;
	struct mod_ctx *mods;
	struct items regions;	/* known modules' memory: key start, aux end */
	struct items areas;	/* vmap areas outside them: key start, aux end */
	struct items owned;	/* other owners' memory (carved modules, BPF,
				 * ftrace, kprobes): key start, aux end */
	bool owners_unknown;	/* some owner's records were unreadable */
	u32 tramp_checks;	/* areas looked at as ftrace trampolines */
	struct items *out;
	u64 bytes;		/* carved so far */
	u8 *page, *mod;
};

/*
 * Whether [start, end) overlaps a range of sorted @ranges (key start, aux
 * end; disjoint, or at least each inside the area it belongs to).
 */
static bool ranges_overlap(const struct items *ranges, u64 start, u64 end)
{
	size_t lo = 0, hi = ranges->nr;

	/* The last range starting before @end. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ranges->a[mid].key < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && ranges->a[lo - 1].aux > start;
}

/* Whether [start, end) overlaps the memory of a module any source knows. */
static bool carve_known(const struct carve_ctx *c, u64 start, u64 end)
{
	return ranges_overlap(&c->regions, start, end);
}

static int range_add(struct items *ranges, u64 start, u64 end)
{
	struct item *it = items_add(ranges);

	if (!it)
		return -ENOMEM;
	it->key = start;
	it->aux = end > start ? end : start + 1;
	return 0;
}

/* The memory regions of the struct module in c->mod, into @ranges. */
static int module_regions_add(const struct carve_ctx *c, struct items *ranges)
{
	u32 j, len;
	u64 base;
	int err;

	for (j = 0; j < c->l.nr_regions; j++) {
		base = get_u64(c->mod, c->l.base[j]);
		len = get_u32(c->mod, c->l.len[j]);
		if (!base || !len)
			continue;
		err = range_add(ranges, base, base + len);
		if (err)
			return err;
	}
	return 0;
}

static int carve_candidate(struct vmiaas *v, struct carve_ctx *c, u64 va)
{
	char name[64];

	if (engine_read(v, va, c->mod, c->l.size) ||
	    !hidden_module_plausible(&c->l, c->mod, va, name, sizeof(name)))
		return 0;
	if (items_has(&c->mods->list, va) || items_has(&c->mods->tree, va) ||
	    items_has(&c->mods->sysfs, va))
		return 0;
	/* Its other regions are its own, not memory nobody owns. */
	return module_regions_add(c, &c->owned) ?:
	       mod_add(c->out, MOD_CARVED, va, name);
}

/* Looks for struct modules in [start, end), page by page. */
/*
 * The 512 words of the guest page at @page: in place when the page is in
 * host-mapped guest RAM (a BPF pack is 2 MiB: no copy), else copied.
 * NULL if unmapped. Words read in place may change under us: a match is
 * read again (carve_candidate()) before anything is believed.
 */
static const u64 *carve_page(struct vmiaas *v, struct carve_ctx *c, u64 page)
{
	struct vmi_xlate x;
	const u8 *p;

	if (vmi_as_translate(v->kas, page, &x))
		return NULL;
	p = vmi_phys_ptr(&v->backend->phys, x.gpa, 4096);
	if (p && !((uintptr_t)p & 7))
		return (const u64 *)p;
	return engine_read(v, page, c->page, 4096) ? NULL :
	       (const u64 *)c->page;
}

/*
 * Asks the CPU for the guest page at @page while the one before it is
 * carved: the carve reads every word of megabytes that no cache holds
 * (the check hashed 24 MB since), and the host's 4 KiB pages stop its
 * prefetcher at every page boundary.
 */
static void carve_prefetch(struct vmiaas *v, u64 page)
{
	struct vmi_xlate x;
	const u8 *p;
	u32 off;

	if (vmi_as_translate(v->kas, page, &x))
		return;
	p = vmi_phys_ptr(&v->backend->phys, x.gpa, 4096);
	for (off = 0; p && off < 4096; off += 64)
		__builtin_prefetch(p + off);
}

static int carve_area(struct vmiaas *v, struct carve_ctx *c, u64 start,
		      u64 end)
{
	const u64 *words;
	u64 page, va;
	u32 i;
	int err;

	if (end - start > HIDDEN_CARVE_AREA_MAX)
		end = start + HIDDEN_CARVE_AREA_MAX;
	for (page = start & ~4095ULL; page < end; page += 4096) {
		if ((c->bytes += 4096) > HIDDEN_CARVE_BYTES_MAX)
			return engine_fail(v, -E2BIG,
				"module areas: more than %u MiB to carve",
				HIDDEN_CARVE_BYTES_MAX >> 20);
		words = carve_page(v, c, page);
		if (!words)
			continue;	/* a guard or unpopulated page */
		if (page + 4096 < end)
			carve_prefetch(v, page + 4096);
		/* Each mkobj.mod field in this page that points back. */
		for (i = 0, va = page - c->l.mkobj_mod; i < 512; i++, va += 8) {
			if (words[i] != va || va < start)
				continue;
			err = carve_candidate(v, c, va);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * A walk of the busy vmap areas that reach [lo, hi): @visit is called
 * with each area's struct vmap_area and range. Layout from carve_layout.
 */
struct vmap_walk {
	const struct carve_layout *l;
	u64 lo, hi;
	u32 nodes;
	int (*visit)(struct vmiaas *v, u64 va, u64 start, u64 end, void *arg);
	void *arg;
};

/* One rbtree, sorted by address: subtrees outside [lo, hi) are skipped. */
static int vmap_tree(struct vmiaas *v, struct vmap_walk *w, u64 root)
{
	u64 stack[HIDDEN_RB_DEPTH_MAX + 1], node, va, pair[2], kids[2];
	u32 depth[HIDDEN_RB_DEPTH_MAX + 1], sp = 0, d, i;
	const struct field f[] = {
		{ w->l->va_start, 8, &pair[0] }, { w->l->va_end, 8, &pair[1] },
		{ w->l->va_node + w->l->rb_left, 8, &kids[0] },
		{ w->l->va_node + w->l->rb_right, 8, &kids[1] },
	};
	int err;

	if (root) {
		stack[sp] = root;
		depth[sp++] = 1;
	}
	while (sp) {
		node = stack[--sp];
		d = depth[sp];
		if (!kernel_ptr(node))
			return engine_fail(v, -EBADMSG,
				"vmap area node 0x%llx is not a kernel pointer",
				(unsigned long long)node);
		if (++w->nodes > HIDDEN_VMAP_NODES_MAX)
			return engine_fail(v, -ELOOP,
				"vmap areas: more than %u nodes (a cycle?)",
				HIDDEN_VMAP_NODES_MAX);
		va = node - w->l->va_node;
		err = read_fields(v, va, f, ARRAY_SIZE(f));
		if (err)
			return engine_fail(v, err, "vmap area 0x%llx is unreadable",
					   (unsigned long long)va);
		if (pair[0] < pair[1] && pair[1] > w->lo && pair[0] < w->hi) {
			err = w->visit(v, va, pair[0], pair[1], w->arg);
			if (err)
				return err;
		}
		if (pair[0] <= w->lo)
			kids[0] = 0;
		if (pair[1] >= w->hi)
			kids[1] = 0;
		for (i = 0; i < 2; i++) {
			if (!kids[i])
				continue;
			if (d >= HIDDEN_RB_DEPTH_MAX)
				return engine_fail(v, -ELOOP,
					"vmap areas: tree deeper than %u (a cycle?)",
					HIDDEN_RB_DEPTH_MAX);
			/* the pop comes later: its line is on its way */
			engine_prefetch(v, kids[i] - w->l->va_node);
			stack[sp] = kids[i];
			depth[sp++] = d + 1;
		}
	}
	return 0;
}

/* The roots of the busy vmap area trees: per node (6.9+) or one. */
static int vmap_walk(struct vmiaas *v, struct vmap_walk *w)
{
	u64 sym, nodes, root;
	u32 nr, stride, off, i;
	int err;

	if (!engine_sym(v, "vmap_nodes", &sym)) {
		if (btf_sizeof(v->btf, "vmap_node", &stride) ||
		    btf_offsetof(v->btf, "vmap_node", "busy.root.rb_node", &off))
			return layout_fail(v, "vmap_node", "busy.root");
		if (engine_read_u64(v, sym, &nodes) ||
		    engine_sym(v, "nr_vmap_nodes", &sym) ||
		    engine_read(v, sym, &nr, sizeof(nr)))
			return engine_fail(v, -EFAULT,
				"vmap_nodes or nr_vmap_nodes is unreadable");
		if (!nr || nr > HIDDEN_VMAP_TREES_MAX || !kernel_ptr(nodes))
			return engine_fail(v, -EBADMSG,
				"%u vmap nodes at 0x%llx", nr,
				(unsigned long long)nodes);
		for (i = 0, err = 0; !err && i < nr; i++) {
			err = engine_read_u64(v, nodes + (u64)i * stride + off,
					      &root);
			err = err ? engine_fail(v, err,
					"vmap node %u is unreadable", i) :
				    vmap_tree(v, w, root);
		}
		return err;
	}
	if (engine_sym(v, "vmap_area_root", &sym))
		return engine_fail(v, -ENOEXEC,
			"the kernel has neither vmap_nodes nor vmap_area_root");
	if (btf_offsetof(v->btf, "rb_root", "rb_node", &off) ||
	    engine_read_u64(v, sym + off, &root))
		return engine_fail(v, -EFAULT, "vmap_area_root is unreadable");
	return vmap_tree(v, w, root);
}

int hidden_vmap_areas(struct vmiaas *v, u64 lo, u64 hi,
		      int (*fn)(struct vmiaas *v, u64 va, u64 start, u64 end,
				void *arg),
		      void *arg)
{
	struct carve_layout l = {};
	struct vmap_walk w = { .l = &l, .lo = lo, .hi = hi, .visit = fn,
			       .arg = arg };

	return vmap_layout_get(v, &l) ?: vmap_walk(v, &w);
}

/* An area in the module range: carved unless a known module's. */
static int carve_visit(struct vmiaas *v, u64 va, u64 start, u64 end,
		       void *arg)
{
	struct carve_ctx *c = arg;
	int err;

	if (carve_known(c, start, end))
		return 0;
	err = carve_area(v, c, max(start, c->l.area.start), end);
	return err ?: range_add(&c->areas, start, end);
}

static int carve_roots(struct vmiaas *v, struct carve_ctx *c)
{
	struct vmap_walk w = { .l = &c->l, .lo = c->l.area.start,
			       .hi = c->l.area.end, .visit = carve_visit,
			       .arg = c };

	return vmap_walk(v, &w);
}

/*
 * The memory regions of each module the list, /sys/module or the address
 * tree knows (a module hidden from the list but found elsewhere is
 * reported as such; its memory is its own), sorted.
 */
static int carve_known_regions(struct vmiaas *v, struct carve_ctx *c)
{
	const struct items *src[] = {
		&c->mods->list, &c->mods->sysfs, &c->mods->tree,
	};
	size_t i, k;
	int err;

	for (k = 0; k < ARRAY_SIZE(src); k++) {
		for (i = 0; i < src[k]->nr; i++) {
			if (!kernel_ptr(src[k]->a[i].key) ||
			    engine_read(v, src[k]->a[i].key, c->mod, c->l.size))
				continue;
			err = module_regions_add(c, &c->regions);
			if (err)
				return err;
		}
	}
	items_sort(&c->regions);
	return 0;
}

/* ---- module-area memory that nothing owns ---- */

#define OWNER_LIST_MAX		(1U << 16)	/* packs, ksyms, pages, ops */

struct owner_walk {
	struct carve_ctx *c;
	u32 node_off, start_off, end_off;	/* end: U32_MAX_OFF if none */
	u64 size;			/* without an end: the range's size */
};

static int owner_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct owner_walk *w = arg;
	u64 obj = node - w->node_off, start, end;

	if (engine_read_u64(v, obj + w->start_off, &start))
		return -EFAULT;
	if (w->end_off == U32_MAX_OFF)
		end = start + w->size;
	else if (engine_read_u64(v, obj + w->end_off, &end))
		return -EFAULT;
	return range_add(&w->c->owned, start, end);
}

/*
 * The list at symbol @head of objects (@type, linked by @node) that own
 * [@start, @end) or [@start, +@size): BPF packs and programs, kprobe
 * instruction pages. Missing records leave owners unknown.
 */
static void owners_list(struct vmiaas *v, struct carve_ctx *c,
			const char *head, u32 head_off, const char *type,
			const char *node, const char *start, const char *end,
			u64 size)
{
	struct owner_walk w = { .c = c, .size = size, .end_off = U32_MAX_OFF };
	u64 sym;

	if (engine_sym(v, head, &sym) ||
	    btf_offsetof(v->btf, type, node, &w.node_off) ||
	    btf_offsetof(v->btf, type, start, &w.start_off) ||
	    (end && btf_offsetof(v->btf, type, end, &w.end_off)) ||
	    list_walk(v, head, sym + head_off, OWNER_LIST_MAX, owner_visit,
		      &w))
		c->owners_unknown = true;
}

/* An ftrace_ops' trampoline (if any) is owned; false if unreadable. */
static bool owner_ftrace_ops(struct vmiaas *v, struct carve_ctx *c, u64 ops,
			     u32 tramp, u32 size)
{
	u64 t, len;

	return kernel_ptr(ops) && !engine_read_u64(v, ops + tramp, &t) &&
	       !engine_read_u64(v, ops + size, &len) &&
	       !(t && range_add(&c->owned, t, t + len));
}

/*
 * Trampolines of the registered ftrace_ops (ftrace_ops_list), and of the
 * one being unregistered (removed_ops: off the list while its sites are
 * turned back, see patching.c's ops_walk()).
 */
static void owners_ftrace(struct vmiaas *v, struct carve_ctx *c)
{
	u32 next, tramp, size, n = 0;
	u64 sym, end_ops, ops, removed = 0;

	if (engine_sym(v, "ftrace_ops_list", &sym) ||
	    engine_sym(v, "ftrace_list_end", &end_ops) ||
	    btf_offsetof(v->btf, "ftrace_ops", "next", &next) ||
	    btf_offsetof(v->btf, "ftrace_ops", "trampoline", &tramp) ||
	    btf_offsetof(v->btf, "ftrace_ops", "trampoline_size", &size) ||
	    engine_read_u64(v, sym, &ops) ||
	    (!engine_sym(v, "removed_ops", &sym) &&
	     engine_read_u64(v, sym, &removed))) {
		c->owners_unknown = true;
		return;
	}
	while (ops != end_ops) {
		if (++n > OWNER_LIST_MAX ||
		    !owner_ftrace_ops(v, c, ops, tramp, size) ||
		    engine_read_u64(v, ops + next, &ops)) {
			c->owners_unknown = true;
			return;
		}
	}
	if (removed && !owner_ftrace_ops(v, c, removed, tramp, size))
		c->owners_unknown = true;
}

/*
 * The XDP dispatcher's rw_image: the page (bpf_jit_alloc_exec(), module
 * area) where bpf_dispatcher_update() prepares the code it then copies
 * to its image (in a pack, on bpf_kallsyms). One page, never executed;
 * a kernel without it (no rw_image member, no dispatcher) owns nothing.
 */
static void owners_dispatcher(struct vmiaas *v, struct carve_ctx *c)
{
	u64 d, rw;
	u32 off;

	if (!engine_sym(v, "bpf_dispatcher_xdp", &d) &&
	    !btf_offsetof(v->btf, "bpf_dispatcher", "rw_image", &off) &&
	    !engine_read_u64(v, d + off, &rw) && kernel_ptr(rw) &&
	    !(rw & 4095))
		range_add(&c->owned, rw, rw + 4096);
}

struct initfree_walk {
	struct carve_ctx *c;
	u32 node_off;
	u32 off[3];		/* the pointers of a struct mod_initfree */
	u32 nr;
};

static int initfree_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct initfree_walk *w = arg;
	u64 p;
	u32 i;

	for (i = 0; i < w->nr; i++) {
		if (engine_read_u64(v, node - w->node_off + w->off[i], &p))
			return -EFAULT;
		if (p && range_add(&w->c->owned, p, p + 1))
			return -ENOMEM;
	}
	return 0;
}

/*
 * The init memory of modules whose init has returned: do_init_module()
 * forgets it (init_layout, or mem[MOD_INIT_*] since 6.4) and queues it on
 * init_free_list, which do_free_init() empties after an RCU grace period.
 * Until then it is module-area memory of no module. A pointer into an
 * area is enough. The record is 6.1's {node, module_init} or 6.4's {node,
 * init_text, init_data, init_rodata}; an empty list needs no layout.
 */
static void owners_initfree(struct vmiaas *v, struct carve_ctx *c)
{
	static const char *const ptrs[] = {
		"module_init", "init_text", "init_data", "init_rodata",
	};
	struct initfree_walk w = { .c = c };
	u64 sym, first;
	size_t i;

	if (engine_sym(v, "init_free_list", &sym))
		return;			/* no such list: nothing pending */
	if (engine_read_u64(v, sym, &first)) {
		c->owners_unknown = true;
		return;
	}
	if (!first)
		return;
	for (i = 0; i < ARRAY_SIZE(ptrs) && w.nr < ARRAY_SIZE(w.off); i++)
		if (!btf_offsetof(v->btf, "mod_initfree", ptrs[i],
				  &w.off[w.nr]))
			w.nr++;
	if (!w.nr ||
	    btf_offsetof(v->btf, "mod_initfree", "node", &w.node_off) ||
	    hlist_heads_walk(v, "init_free_list", sym, 1, OWNER_LIST_MAX,
			     initfree_visit, &w))
		c->owners_unknown = true;
}

/*
 * Code in the module area that is no module's, from the kernel's own
 * records: BPF program packs (bpf_prog_pack on pack_list: a pointer into
 * the pack is enough), BPF programs, trampolines and dispatchers
 * (bpf_kallsyms) and the XDP dispatcher's scratch page, ftrace
 * trampolines, kprobe instruction pages, and modules' init memory
 * waiting to be freed.
 */
static void owners_get(struct vmiaas *v, struct carve_ctx *c)
{
	u32 pages;

	owners_dispatcher(v, c);
	owners_initfree(v, c);

	owners_list(v, c, "pack_list", 0, "bpf_prog_pack", "list", "ptr",
		    NULL, 1);
	owners_list(v, c, "bpf_kallsyms", 0, "bpf_ksym", "lnode", "start",
		    "end", 0);
	owners_ftrace(v, c);
	if (btf_offsetof(v->btf, "kprobe_insn_cache", "pages", &pages)) {
		c->owners_unknown = true;
		return;
	}
	owners_list(v, c, "kprobe_insn_slots", pages, "kprobe_insn_page",
		    "list", "insns", NULL, 4096);
	owners_list(v, c, "kprobe_optinsn_slots", pages, "kprobe_insn_page",
		    "list", "insns", NULL, 4096);
}

/*
 * Whether the area at @start is the trampoline of an ftrace_ops that is
 * not registered now: a static ops (global_ops once the function tracer
 * is off) keeps its ->trampoline. x86 stores the ops' address, unaligned,
 * after the code it copies: an address in the kernel image, read from
 * the area's first page, must be an ops that names the area back.
 */
static bool carve_ftrace_tramp(struct vmiaas *v, struct carve_ctx *c,
			       u64 start, u64 end)
{
	const u8 *bytes;
	u64 lo, hi, ops, t;
	u32 tramp, i;

	/* A trampoline is a page (and a guard); a guest may make thousands. */
	if (end - start > HIDDEN_TRAMP_AREA_MAX ||
	    ++c->tramp_checks > HIDDEN_TRAMP_CHECKS_MAX)
		return false;
	bytes = (const u8 *)carve_page(v, c, start);
	if (!bytes || engine_sym(v, "_stext", &lo) || engine_sym(v, "_end", &hi) ||
	    btf_offsetof(v->btf, "ftrace_ops", "trampoline", &tramp))
		return false;
	for (i = 0; i + 8 <= 4096; i++) {
		memcpy(&ops, bytes + i, 8);
		if (ops >= lo && ops < hi &&
		    !engine_read_u64(v, ops + tramp, &t) && t == start)
			return true;
	}
	return false;
}

/*
 * The vmap areas of the module range that hold no module any source
 * knows, in which carving found nothing and that no other owner's records
 * account for: the memory of a module whose struct module was wiped (or
 * code loaded without one). Not judged when an owner's records could not
 * be read (a false alarm is worse than this check's silence).
 */
static int carve_unowned(struct vmiaas *v, struct carve_ctx *c)
{
	char name[64];
	size_t i;
	int err = 0;

	if (!c->areas.nr)
		return 0;
	owners_get(v, c);
	if (c->owners_unknown)
		return 0;
	items_sort(&c->owned);
	for (i = 0; !err && i < c->areas.nr; i++) {
		const struct item *a = &c->areas.a[i];

		if (ranges_overlap(&c->owned, a->key, a->aux) ||
		    carve_ftrace_tramp(v, c, a->key, a->aux))
			continue;
		snprintf(name, sizeof(name), "0x%llx-0x%llx",
			 (unsigned long long)a->key,
			 (unsigned long long)a->aux);
		err = mod_add(c->out, MOD_UNOWNED, a->key, name);
		if (!err)
			c->out->a[c->out->nr - 1].aux = a->aux;
	}
	return err;
}

/* Self-consistent struct modules known to no module source, into @out. */
static int carve_modules(struct vmiaas *v, struct mod_ctx *mods,
			 struct items *out)
{
	struct carve_ctx c = { .mods = mods, .out = out };
	int err;

	err = carve_layout_get(v, &c.l);
	if (err)
		return err;
	c.page = malloc(4096);
	c.mod = malloc(c.l.size);
	err = c.page && c.mod ? carve_known_regions(v, &c) : -ENOMEM;
	err = err ?: carve_roots(v, &c);
	err = err ?: carve_unowned(v, &c);
	free(c.regions.a);
	free(c.areas.a);
	free(c.owned.a);
	free(c.page);
	free(c.mod);
	return err;
}

static int mod_scan(struct vmiaas *v, struct items *out)
{
	struct mod_ctx c = {};
	char name[64];
	size_t i;
	int err;

	err = mod_sources(v, &c);
	if (err)
		goto out;
	items_sort(&c.list);
	items_sort(&c.sysfs);
	items_sort(&c.tree);
	for (i = 0; !err && i < c.tree.nr; i++) {
		if (items_has(&c.list, c.tree.a[i].key))
			continue;
		mod_name(v, c.tree.a[i].key, name, sizeof(name));
		err = mod_add(out, MOD_IN_TREE_NOT_LIST, c.tree.a[i].key, name);
	}
	for (i = 0; !err && i < c.sysfs.nr; i++) {
		if (items_has(&c.list, c.sysfs.a[i].key) ||
		    (i && c.sysfs.a[i].key == c.sysfs.a[i - 1].key))
			continue;
		mod_name(v, c.sysfs.a[i].key, name, sizeof(name));
		err = mod_add(out, MOD_IN_SYSFS_NOT_LIST, c.sysfs.a[i].key,
			      name);
	}
	/* Modules coming or going are legitimately half-registered. */
	for (i = 0; !err && i < c.list.nr; i++) {
		const struct item *m = &c.list.a[i];

		if (m->pid != c.live)
			continue;
		if (!items_has(&c.sysfs, m->key))
			err = mod_add(out, MOD_LIST_NOT_SYSFS, m->key, m->name);
		if (!err && c.have_tree && !items_has(&c.tree, m->key))
			err = mod_add(out, MOD_LIST_NOT_TREE, m->key, m->name);
	}
	if (!err)
		err = carve_modules(v, &c, out);
out:
	free(c.list.a);
	free(c.sysfs.a);
	free(c.tree.a);
	return err;
}

static void mod_report(struct vmiaas *v, const struct item *it,
		       const struct hidden_sink *s)
{
	static const char *const what[] = {
		[MOD_IN_TREE_NOT_LIST] = "is in the module address tree (mod_tree) but not on the module list",
		[MOD_IN_SYSFS_NOT_LIST] = "is in /sys/module (module_kset) but not on the module list",
		[MOD_LIST_NOT_SYSFS] = "is live on the module list but missing from /sys/module (module_kset)",
		[MOD_LIST_NOT_TREE] = "is live on the module list but missing from the module address tree",
		[MOD_CARVED] = "was carved from the module memory area but is on neither the module list, /sys/module nor the module address tree",
		[MOD_UNOWNED] = "belongs to no module the list, /sys/module or the module address tree knows, holds no struct module, and is no BPF program, ftrace trampoline or kprobe instruction page: the memory of a module whose struct module was wiped?",
	};
	struct vmiaas_finding *f;

	f = s->add(s->ctx, "hidden-module",
		   it->kind <= MOD_IN_SYSFS_NOT_LIST || it->kind == MOD_CARVED ?
		   VMIAAS_SEV_CRITICAL : VMIAAS_SEV_HIGH,
		   it->name);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = it->key;
	if (it->kind == MOD_UNOWNED)
		snprintf(f->message, sizeof(f->message),
			 "module-area memory %s (%llu KiB) %s", it->name,
			 (unsigned long long)(it->aux - it->key) >> 10,
			 what[it->kind]);
	else
		snprintf(f->message, sizeof(f->message),
			 "module %s (struct module 0x%llx) %s", it->name,
			 (unsigned long long)it->key, what[it->kind]);
}

/*
 * Whether module_mutex is held or a module is being loaded (see
 * mod_loading()). free_module() takes a module off the
 * list and the address tree and then calls synchronize_rcu() with
 * module_mutex held; it frees the memory right after the unlock. That
 * is seconds in a busy emulated guest, during which the module is
 * carved but on no list: what is seen twice then is scanned a third
 * time once the mutex is free.
 * Holding the mutex only delays the verdict (SCAN_BUSY_TRIES): a
 * rootkit that holds it for ever is reported 3 s later, and stops every
 * module load and unload in the guest meanwhile.
 */
static bool mod_mutex_held(struct vmiaas *v)
{
	u64 mutex, owner;
	u32 off;

	return !engine_sym(v, "module_mutex", &mutex) &&
	       !btf_offsetof(v->btf, "mutex", "owner", &off) &&
	       !engine_read_u64(v, mutex + off, &owner) && owner;
}

/*
 * Whether a module on the list is still being loaded (UNFORMED or
 * COMING). load_module() allocates and fills a module's memory before
 * add_unformed_module() lists it; a second load of a module that is
 * being loaded (two modprobes, or request_module()s, of one module at
 * once: udev at boot, nft's expressions) sleeps there, without
 * module_mutex, until the first one's init has returned, and then frees
 * its copy (-EEXIST). Until then the copy's areas hold a struct module
 * that is not yet one (no list, no kobject): memory no record owns.
 * A fake loading module on the list only delays the verdict, as the
 * mutex does.
 */
static bool mod_loading(struct vmiaas *v)
{
	struct vmiaas_module *m;
	bool loading = false;
	size_t nr, i;

	if (vmiaas_modules(v, &m, &nr))
		return false;
	for (i = 0; i < nr && !loading; i++)
		loading = m[i].state == MOD_STATE_COMING ||
			  m[i].state == MOD_STATE_UNFORMED;
	free(m);
	return loading;
}

/* __per_cpu_offset and nr_cpu_ids (at most HIDDEN_RQ_CPUS_MAX). */
int hidden_percpu(struct vmiaas *v, u64 *offsets, u32 *nr_cpus)
{
	u64 sym;

	if (engine_sym(v, "__per_cpu_offset", offsets))
		return engine_fail(v, -ENOEXEC,
			"the kernel has no __per_cpu_offset");
	if (engine_sym(v, "nr_cpu_ids", &sym) ||
	    engine_read(v, sym, nr_cpus, sizeof(*nr_cpus)))
		return engine_fail(v, -ENOEXEC,
			"the kernel's nr_cpu_ids is unreadable");
	if (!*nr_cpus || *nr_cpus > HIDDEN_RQ_CPUS_MAX)
		return engine_fail(v, -EBADMSG,
			"nr_cpu_ids is %u (at most %u supported)", *nr_cpus,
			HIDDEN_RQ_CPUS_MAX);
	return 0;
}

/* CPU @cpu's copy of the per-cpu variable at @sym. */
static int percpu_addr(struct vmiaas *v, u64 offsets, u64 sym, u32 cpu,
		       u64 *addr)
{
	u64 off;
	int err = engine_read_u64(v, offsets + 8ULL * cpu, &off);

	if (err)
		return engine_fail(v, err, "__per_cpu_offset[%u] is unreadable",
				   cpu);
	*addr = sym + off;
	return 0;
}

/*
 * Whether some CPU has RCU callbacks queued (rcu_data.cblist.len): each
 * of them needs a grace period, which that CPU's next tick requests if
 * none is (rcu_pending(), rcu_core(); its tick is not stopped while it
 * has callbacks: rcu_needs_cpu()). What cannot be read counts as none: it
 * is no error of the check.
 */
static bool rcu_cbs_queued(struct vmiaas *v)
{
	struct vmiaas_diag diag = v->diag;
	u64 rcu_data, offsets, at = 0;
	s64 len = 0;
	u32 off, nr_cpus, cpu;

	if (!engine_sym(v, "rcu_data", &rcu_data) &&
	    !btf_offsetof(v->btf, "rcu_data", "cblist.len", &off) &&
	    !hidden_percpu(v, &offsets, &nr_cpus))
		for (cpu = 0; cpu < nr_cpus && len <= 0; cpu++)
			if (percpu_addr(v, offsets, rcu_data, cpu, &at) ||
			    engine_read_u64(v, at + off, (u64 *)&len))
				len = 0;
	v->diag = diag;
	return len > 0;
}

#define RCU_SEQ_STATE_MASK	3ULL	/* a sequence's low bits: the state */

/* rcu_seq_snap(): the value @seq has once a grace period begun later ends */
static u64 rcu_seq_snap(u64 seq)
{
	return (seq + 2 * RCU_SEQ_STATE_MASK + 1) & ~RCU_SEQ_STATE_MASK;
}

/* ULONG_CMP_LT() */
static bool rcu_seq_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

/*
 * do_free_init() takes every module's init memory off init_free_list at
 * once (llist_del_all()) and then waits in synchronize_rcu() before it
 * frees it: in a busy emulated guest, tenths of seconds during which that
 * memory is module-area memory no record owns. synchronize_rcu() queues
 * a callback (wait_rcu_gp()) that stays on its CPU's list until invoked
 * after the grace period that follows; with rcu_expedited, it runs an
 * expedited grace period instead (rcu_state.expedited_sequence odd).
 * So while such memory waits, one of these holds: an expedited grace
 * period is running; a grace period is running (rcu_state.gp_seq's low
 * bits) or requested (the root rcu_node's gp_seq_needed ahead of gp_seq);
 * a callback is queued (its request is a tick away). If none does, no
 * free is coming: the memory is not waited for.
 *
 * If one does, it is waited for until a grace period begun after the
 * first call has ended (@w: rcu_seq_snap() and rcu_seq_done(), as the
 * kernel reads them): the wait of every synchronize_rcu() called before
 * then is over. On a busy guest, grace periods are always requested;
 * this end is what stops the wait there. A forged rcu_state or callback
 * count waits out SCAN_BUSY_TRIES, 3 s, at most, and cannot hide a
 * module: the memory must still be unowned in the third scan. Exposed in
 * hidden.h for tests.
 */
bool hidden_rcu_gp_pending(struct vmiaas *v, struct hidden_rcu_wait *w)
{
	u32 off_seq, off_needed, off_exp;
	u64 rcu, seq, needed, exp;

	if (engine_sym(v, "rcu_state", &rcu) ||
	    btf_offsetof(v->btf, "rcu_state", "gp_seq", &off_seq) ||
	    btf_offsetof(v->btf, "rcu_state", "node[0].gp_seq_needed",
			 &off_needed) ||
	    btf_offsetof(v->btf, "rcu_state", "expedited_sequence",
			 &off_exp) ||
	    engine_read_u64(v, rcu + off_seq, &seq) ||
	    engine_read_u64(v, rcu + off_needed, &needed) ||
	    engine_read_u64(v, rcu + off_exp, &exp))
		return false;
	if (!w->started) {
		w->gp_snap = rcu_seq_snap(seq);
		w->exp_snap = rcu_seq_snap(exp);
		w->started = true;
	}
	if ((exp & RCU_SEQ_STATE_MASK) && rcu_seq_before(exp, w->exp_snap))
		return true;
	if (!rcu_seq_before(seq, w->gp_snap))
		return false;
	return (seq & RCU_SEQ_STATE_MASK) || rcu_seq_before(seq, needed) ||
	       rcu_cbs_queued(v);
}

static bool items_have_kind(const struct items *it, u32 kind)
{
	size_t i;

	for (i = 0; i < it->nr; i++)
		if (it->a[i].kind == kind)
			return true;
	return false;
}

static bool mod_busy(struct vmiaas *v, const struct items *seen, void *rcu)
{
	if (!strncmp(v->backend->name, "dump", 4))
		return false;	/* a dump does not change */
	/* first, so that the RCU wait takes its snapshot at the first call */
	if (items_have_kind(seen, MOD_UNOWNED) &&
	    hidden_rcu_gp_pending(v, rcu))
		return true;
	return mod_mutex_held(v) || mod_loading(v);
}

int hidden_check_modules(struct vmiaas *v, const struct hidden_sink *s)
{
	struct hidden_rcu_wait rcu = {};

	return scan_twice(v, mod_scan, mod_report, mod_busy, &rcu, s);
}

/* ---- the task census: hidden-process and credentials ---- */

/*
 * One pass over the guest's tasks serves both checks. Each source names
 * tasks by address; each task is recorded once, with the sources that
 * named it, and its fields are read once, when it is first named.
 *
 * A rootkit that takes a sleeping task off the task list and off its
 * struct pid (the IDR), so that no walk and no lookup by pid finds it,
 * rarely also takes it out of its parent's children list: the task would
 * vanish from wait(), and its parent's exit would not reparent it. Each
 * task's own sibling and children links name its neighbours there: one
 * that no other source knows, linked back to the task that names it, is
 * a hidden task, and its own links are followed in turn.
 *
 * A rootkit that also takes it out of its parent's children list still
 * leaves it on its css_set's task list (task->cg_list): cgroup migration,
 * cgroup.procs and the cgroup's exit path need it there. Every css_set
 * is in css_set_table (init_css_set too); the three lists of each are
 * walked. The kernel puts a task on them after the task list and IDR at
 * fork (cgroup_post_fork()) and takes it off before them at release
 * (cgroup_release()), so a task seen only there is hidden.
 */
enum {
	SRC_LIST = 1,	/* init_task.tasks (thread-group leaders) */
	SRC_THREADS = 2,	/* its thread group's list (signal->thread_head) */
	SRC_IDR = 4,	/* init_pid_ns's IDR: pid->tasks[PIDTYPE_PID] */
	SRC_TREE = 8,	/* linked into a children list with a known task */
	SRC_RQ = 16,	/* a run queue */
	SRC_CGRP = 32,	/* a css_set's tasks, mg_tasks or dying_tasks */
	SRC_STACK = 64,	/* owns a kernel stack no known task has */
};

/* Links of a task that name its neighbours in the process tree. */
enum { L_SIB_NEXT, L_SIB_PREV, L_CHILD_FIRST, L_CHILD_LAST, L_NR };

struct ctask {
	u64 addr;
	u64 real_parent, group_leader, real_cred, cred, signal;
	u64 link[L_NR];
	s32 pid, tgid;
	s32 idr_nr;	/* SRC_IDR: its number in the IDR */
	u32 src;
	u32 cpu;	/* SRC_RQ: the first run queue it was on */
	u64 stack;	/* its stack's base (if read, or SRC_STACK) */
	u64 tasks_next, cg_next;	/* tasks.next, cg_list.next (if read) */
	u64 mm, files;	/* for the checks after the census (engine.h) */
	u64 nsproxy, fs, thread_pid;	/* for the namespace rules */
	u64 idr_pid;	/* SRC_IDR: the struct pid that named it */
	u32 idr_level;	/* and that pid's level */
	u32 flags;
	u32 uid, euid;	/* of cred, if ids_ok */
	u32 ruid, reuid;	/* of real_cred, if rids_ok */
	u64 bset;	/* of real_cred, if rids_ok */
	bool ids_ok, rids_ok;
	bool read;	/* the fields above were read */
};

struct census_layout {
	u32 tasks, pid, tgid, real_parent, children, sibling, group_leader;
	u32 comm, flags, stack, real_cred, cred, signal, thread_node;
	u32 sig_thread_head, exit_state, mm, files, cred_uid, cred_euid;
	u32 mm_exe, file_inode, i_mode, i_uid;
	u32 pid_tasks, pid_nr, pid_links;
	u32 xa_head, xa_shift, xa_slots, xa_nr_slots;
	u32 cg_list, cset_lists[3], cset_hlist;
	/* the credential and namespace rules (task_ns_judge()) */
	u32 cred_bset, cred_user_ns, uns_parent;
	u32 nsproxy, fs, thread_pid, pid_level, pid_numbers, upid_size;
	u32 upid_ns, pidns_reaper, nsp_mnt_ns, fs_root;
	u64 init_task, init_cred, init_pid_ns, init_css_set, css_set_table;
	u64 init_nsproxy;
};

#define CENSUS_LIST_VISITS_MAX	(4U * VMIAAS_MAX_TASKS)

struct census {
	struct census_layout l;
	struct ctask *t;
	u32 nr, cap;
	u32 done;		/* t[0..done) have been read */
	u32 *slot;		/* index + 1 into t, by address; 0: empty */
	u32 mask;
	u32 visits;		/* thread and css_set list nodes, all lists */
	u32 src;		/* the source being walked */
	u64 *idle;		/* each CPU's idle task (on no list) */
	u32 nr_idle;
	u64 init_mnt_ns;	/* init_nsproxy.mnt_ns */
	u64 init_root[2];	/* init_task.fs->root: mnt, dentry */
};

/* Where a struct member's offset goes. */
struct member_ref {
	const char *type, *path;
	u32 *off;
};

static int resolve_members(struct vmiaas *v, const struct member_ref *m,
			   size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (btf_offsetof(v->btf, m[i].type, m[i].path, m[i].off))
			return layout_fail(v, m[i].type, m[i].path);
	return 0;
}

/* The guest's struct members the census needs, resolved once a scan. */
static int census_members(struct vmiaas *v, struct census_layout *l)
{
	const struct member_ref m[] = {
		{ "task_struct", "tasks", &l->tasks },
		{ "task_struct", "pid", &l->pid },
		{ "task_struct", "tgid", &l->tgid },
		{ "task_struct", "real_parent", &l->real_parent },
		{ "task_struct", "children", &l->children },
		{ "task_struct", "sibling", &l->sibling },
		{ "task_struct", "group_leader", &l->group_leader },
		{ "task_struct", "comm", &l->comm },
		{ "task_struct", "flags", &l->flags },
		{ "task_struct", "stack", &l->stack },
		{ "task_struct", "real_cred", &l->real_cred },
		{ "task_struct", "cred", &l->cred },
		{ "task_struct", "signal", &l->signal },
		{ "task_struct", "thread_node", &l->thread_node },
		{ "task_struct", "exit_state", &l->exit_state },
		{ "task_struct", "mm", &l->mm },
		{ "task_struct", "files", &l->files },
		{ "signal_struct", "thread_head", &l->sig_thread_head },
		{ "cred", "uid", &l->cred_uid },
		{ "cred", "euid", &l->cred_euid },
		{ "mm_struct", "exe_file", &l->mm_exe },
		{ "file", "f_inode", &l->file_inode },
		{ "inode", "i_mode", &l->i_mode },
		{ "inode", "i_uid", &l->i_uid },
		{ "pid", "numbers", &l->pid_nr },
		{ "pid_namespace", "idr.idr_rt.xa_head", &l->xa_head },
		{ "xa_node", "shift", &l->xa_shift },
		{ "xa_node", "slots", &l->xa_slots },
		{ "task_struct", "cg_list", &l->cg_list },
		{ "css_set", "tasks", &l->cset_lists[0] },
		{ "css_set", "mg_tasks", &l->cset_lists[1] },
		{ "css_set", "dying_tasks", &l->cset_lists[2] },
		{ "css_set", "hlist", &l->cset_hlist },
		{ "cred", "cap_bset", &l->cred_bset },
		{ "cred", "user_ns", &l->cred_user_ns },
		{ "user_namespace", "parent", &l->uns_parent },
		{ "task_struct", "nsproxy", &l->nsproxy },
		{ "task_struct", "fs", &l->fs },
		{ "task_struct", "thread_pid", &l->thread_pid },
		{ "pid", "level", &l->pid_level },
		{ "pid", "numbers", &l->pid_numbers },
		{ "upid", "ns", &l->upid_ns },
		{ "pid_namespace", "child_reaper", &l->pidns_reaper },
		{ "nsproxy", "mnt_ns", &l->nsp_mnt_ns },
		{ "fs_struct", "root", &l->fs_root },
	};

	return resolve_members(v, m, ARRAY_SIZE(m));
}

static int census_layout_get(struct vmiaas *v, struct census_layout *l)
{
	u32 upid_nr, slots_size;
	char path[32];
	s64 type;
	int err;

	err = census_members(v, l);
	if (err)
		return err;
	if (btf_enum_value(v->btf, "PIDTYPE_PID", &type) || type < 0 ||
	    type > 8)
		return layout_fail(v, "pid_type", "PIDTYPE_PID");
	snprintf(path, sizeof(path), "tasks[%lld]", (long long)type);
	RESOLVE(v, "pid", path, &l->pid_tasks);
	/* numbers[] is a flexible array: level 0 is the init namespace. */
	RESOLVE(v, "upid", "nr", &upid_nr);
	l->pid_nr += upid_nr;
	snprintf(path, sizeof(path), "pid_links[%lld]", (long long)type);
	RESOLVE(v, "task_struct", path, &l->pid_links);
	if (btf_member_size(v->btf, "xa_node", "slots", &slots_size))
		return layout_fail(v, "xa_node", "slots");
	l->xa_nr_slots = slots_size / 8;
	if (btf_sizeof(v->btf, "upid", &l->upid_size) || !l->upid_size ||
	    l->upid_size > 64)
		return layout_fail(v, "upid", "(size)");
	if (engine_sym(v, "init_task", &l->init_task) ||
	    engine_sym(v, "init_nsproxy", &l->init_nsproxy) ||
	    engine_sym(v, "init_cred", &l->init_cred) ||
	    engine_sym(v, "init_pid_ns", &l->init_pid_ns) ||
	    engine_sym(v, "init_css_set", &l->init_css_set) ||
	    engine_sym(v, "css_set_table", &l->css_set_table))
		return engine_fail(v, -ENOEXEC,
			"the kernel has no init_task, init_nsproxy, init_cred, init_pid_ns, init_css_set or css_set_table");
	return 0;
}

static u32 census_hash(const struct census *c, u64 addr)
{
	return (u32)((addr * 0x9e3779b97f4a7c15ULL) >> 32) & c->mask;
}

static struct ctask *census_find(const struct census *c, u64 addr)
{
	u32 h;

	if (!c->slot)
		return NULL;
	for (h = census_hash(c, addr); c->slot[h]; h = (h + 1) & c->mask)
		if (c->t[c->slot[h] - 1].addr == addr)
			return &c->t[c->slot[h] - 1];
	return NULL;
}

/* Doubles the table (kept at most half full) and the task array. */
static int census_grow(struct census *c)
{
	u32 cap = c->cap ? c->cap * 2 : 1024, mask = 2 * cap - 1, i, h;
	struct ctask *t;
	u32 *slot;

	t = realloc(c->t, cap * sizeof(*t));
	if (t)
		c->t = t;
	slot = calloc(mask + 1, sizeof(*slot));
	if (!t || !slot) {
		free(slot);
		return -ENOMEM;
	}
	free(c->slot);
	c->slot = slot;
	c->mask = mask;
	c->cap = cap;
	for (i = 0; i < c->nr; i++) {
		for (h = census_hash(c, c->t[i].addr); slot[h];
		     h = (h + 1) & mask)
			;
		slot[h] = i + 1;
	}
	return 0;
}

/*
 * Records that the current source names @addr; *@ret: its entry (valid
 * until the next add). 1 if the task is new, 0 if known, or an error.
 */
static int census_add(struct vmiaas *v, struct census *c, u64 addr,
		      struct ctask **ret)
{
	struct ctask *t = census_find(c, addr);
	int err, new = !t;
	u32 h;

	if (!t) {
		if (c->nr >= VMIAAS_MAX_TASKS)
			return engine_fail(v, -E2BIG,
				"more than %u tasks in the guest",
				VMIAAS_MAX_TASKS);
		if (c->nr == c->cap) {
			err = census_grow(c);
			if (err)
				return err;
		}
		t = &c->t[c->nr++];
		memset(t, 0, sizeof(*t));
		t->addr = addr;
		for (h = census_hash(c, addr); c->slot[h]; h = (h + 1) & c->mask)
			;
		c->slot[h] = c->nr;
	}
	t->src |= c->src;
	if (ret)
		*ret = t;
	return new;
}

/*
 * A task's fields lie on eight cache lines and several host pages of
 * guest RAM. Asking for all of them at once lets the misses overlap;
 * reading the task completely right after keeps the host's TLB warm for
 * it (on a VM with 4 KiB pages, each page touched again later is a
 * nested page walk).
 */
static void census_prefetch_task(struct vmiaas *v, const struct census *c,
				 u64 task)
{
	const struct census_layout *l = &c->l;

	engine_prefetch(v, task + l->flags);
	engine_prefetch(v, task + l->tasks);
	engine_prefetch(v, task + l->mm);
	engine_prefetch(v, task + l->pid);
	engine_prefetch(v, task + l->children);
	engine_prefetch(v, task + l->thread_pid);
	engine_prefetch(v, task + l->thread_node);
	engine_prefetch(v, task + l->real_cred);
	engine_prefetch(v, task + l->fs);
	engine_prefetch(v, task + l->signal);
	engine_prefetch(v, task + l->cg_list);
}

/* uid and euid of @cred; false if unreadable. */
static bool cred_ids(struct vmiaas *v, const struct census_layout *l, u64 cred,
		     u32 *uid, u32 *euid)
{
	const struct field f[] = {
		{ l->cred_uid, 4, uid }, { l->cred_euid, 4, euid },
	};

	return kernel_ptr(cred) && !read_fields(v, cred, f, ARRAY_SIZE(f));
}

/* The same and the bounding set (a line further on), in one read. */
static bool cred_ids_bset(struct vmiaas *v, const struct census_layout *l,
			  u64 cred, u32 *uid, u32 *euid, u64 *bset)
{
	const struct field f[] = {
		{ l->cred_uid, 4, uid }, { l->cred_euid, 4, euid },
		{ l->cred_bset, 8, bset },
	};

	return kernel_ptr(cred) && !read_fields(v, cred, f, ARRAY_SIZE(f));
}

/*
 * The task whose member at @member is list node @node: counted against
 * the cap over all thread and css_set lists.
 */
static int census_node(struct vmiaas *v, struct census *c, u64 node,
		       u32 member)
{
	int err;

	if (++c->visits > CENSUS_LIST_VISITS_MAX)
		return engine_fail(v, -ELOOP,
			"thread and css_set lists: more than %u nodes in all (a cycle?)",
			CENSUS_LIST_VISITS_MAX);
	err = census_add(v, c, node - member, NULL);
	return err < 0 ? err : 0;
}

static int thread_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct census *c = arg;

	return census_node(v, c, node, c->l.thread_node);
}

/*
 * The thread group led by c->t[@i]: a leader alone in its group's list
 * (its thread_node both ways at signal->thread_head, the common case)
 * needs no walk.
 */
static int census_threads(struct vmiaas *v, struct census *c, u32 i)
{
	const struct ctask *t = &c->t[i];
	u64 head = t->signal + c->l.sig_thread_head, node[2];
	u32 src = c->src;
	int err;

	if (t->pid != t->tgid || !kernel_ptr(t->signal))
		return 0;	/* a thread, or exiting */
	err = engine_read(v, t->addr + c->l.thread_node, node, sizeof(node));
	if (err)
		return engine_fail(v, err, "task at 0x%llx is unreadable",
				   (unsigned long long)t->addr);
	if (node[0] == head && node[1] == head) {
		c->t[i].src |= SRC_THREADS;
		return 0;
	}
	c->src = SRC_THREADS;
	err = list_walk(v, "a thread list", head, VMIAAS_MAX_TASKS,
			thread_visit, c);
	c->src = src;
	return err;
}

/*
 * Reads task c->t[@i] once: ids, parent, tree links, group leader, creds
 * and their ids, flags, stack, mm, files, namespaces, root and pid, and
 * the next nodes of its task list and css_set list entries (the later
 * walks of those lists follow these copies instead of coming back to the
 * task's lines: see census_next()); then its thread group's list if it
 * leads one. Nearby fields come in one read each (read_fields()): the
 * judgement and the checks after the census (engine_tasks_shared()) come
 * back to no line of the task.
 */
static int census_read(struct vmiaas *v, struct census *c, u32 i)
{
	const struct census_layout *l = &c->l;
	struct ctask *t = &c->t[i];
	const struct field ids[] = {
		{ l->pid, 4, &t->pid }, { l->tgid, 4, &t->tgid },
		{ l->real_parent, 8, &t->real_parent },
		{ l->group_leader, 8, &t->group_leader },
		{ l->sibling, 8, &t->link[L_SIB_NEXT] },
		{ l->sibling + 8, 8, &t->link[L_SIB_PREV] },
		{ l->children, 8, &t->link[L_CHILD_FIRST] },
		{ l->children + 8, 8, &t->link[L_CHILD_LAST] },
		{ l->thread_pid, 8, &t->thread_pid },
	}, head[] = {
		{ l->stack, 8, &t->stack }, { l->flags, 4, &t->flags },
	}, creds[] = {
		{ l->real_cred, 8, &t->real_cred }, { l->cred, 8, &t->cred },
	}, sig[] = {
		{ l->signal, 8, &t->signal }, { l->fs, 8, &t->fs },
		{ l->files, 8, &t->files }, { l->nsproxy, 8, &t->nsproxy },
	}, list[] = {
		{ l->tasks, 8, &t->tasks_next }, { l->mm, 8, &t->mm },
	};
	int err;

	err = read_fields(v, t->addr, ids, ARRAY_SIZE(ids));
	err = err ?: read_fields(v, t->addr, head, ARRAY_SIZE(head));
	err = err ?: read_fields(v, t->addr, creds, ARRAY_SIZE(creds));
	err = err ?: read_fields(v, t->addr, sig, ARRAY_SIZE(sig));
	err = err ?: read_fields(v, t->addr, list, ARRAY_SIZE(list));
	err = err ?: engine_read_u64(v, t->addr + l->cg_list, &t->cg_next);
	if (err)
		return engine_fail(v, err, "task at 0x%llx is unreadable",
				   (unsigned long long)t->addr);
	t->rids_ok = cred_ids_bset(v, l, t->real_cred, &t->ruid, &t->reuid,
				   &t->bset);
	if (t->real_cred == t->cred) {
		t->ids_ok = t->rids_ok;
		t->uid = t->ruid;
		t->euid = t->reuid;
	} else {
		t->ids_ok = cred_ids(v, l, t->cred, &t->uid, &t->euid);
	}
	t->read = true;
	return census_threads(v, c, i);
}

/* Reads the tasks named since the last call (and those they name). */
static int census_drain(struct vmiaas *v, struct census *c)
{
	int err = 0;

	while (!err && c->done < c->nr)
		err = census_read(v, c, c->done++);
	return err;
}

/*
 * A leaf of the IDR names up to 64 struct pids: their lines are asked for
 * together, then the lines of their tasks and of the tasks' creds, so
 * that the visits that follow find them in cache.
 */
static void pid_batch(struct vmiaas *v, const u64 *slots, u32 nr, void *arg)
{
	struct census *c = arg;
	u64 task[256], cred;
	u32 i, n = 0;

	for (i = 0; i < nr; i++)
		if (kernel_ptr(slots[i]))
			engine_prefetch(v, slots[i] + c->l.pid_tasks);
	for (i = 0; i < nr && n < ARRAY_SIZE(task); i++) {
		if (!kernel_ptr(slots[i]) ||
		    engine_read_u64(v, slots[i] + c->l.pid_tasks, &task[n]) ||
		    !kernel_ptr(task[n]))
			continue;
		task[n] -= c->l.pid_links;
		engine_prefetch(v, task[n] + c->l.pid_links);
		census_prefetch_task(v, c, task[n++]);
	}
	for (i = 0; i < n; i++) {
		if (engine_read_u64(v, task[i] + c->l.real_cred, &cred) ||
		    !kernel_ptr(cred))
			continue;
		engine_prefetch(v, cred + c->l.cred_uid);
		engine_prefetch(v, cred + c->l.cred_bset);
	}
}

/*
 * A struct pid of the IDR: its number, level and PIDTYPE_PID tasks, in
 * one read (they lie within 100 bytes on 6.1). Each task it names is
 * recorded with the pid's address and level: the namespace rules take
 * the level from there for the task whose thread_pid it is.
 */
static int pid_visit(struct vmiaas *v, u64 pid, u64 index, void *arg)
{
	struct census *c = arg;
	struct ctask *t;
	u64 node;
	u32 n = 0, level;
	s32 nr;
	const struct field f[] = {
		{ c->l.pid_nr, 4, &nr }, { c->l.pid_level, 4, &level },
		{ c->l.pid_tasks, 8, &node },
	};
	int err;

	if (!kernel_ptr(pid))
		return engine_fail(v, -EBADMSG,
			"pid IDR entry %llu is 0x%llx, not a kernel pointer",
			(unsigned long long)index, (unsigned long long)pid);
	err = read_fields(v, pid, f, ARRAY_SIZE(f));
	while (!err && node) {
		if (!kernel_ptr(node) || ++n > HIDDEN_PID_TASKS_MAX)
			return engine_fail(v, -EBADMSG,
				"pid %d: corrupt task list (0x%llx after %u)",
				nr, (unsigned long long)node, n);
		err = census_add(v, c, node - c->l.pid_links, &t);
		if (err < 0)
			return err;
		t->idr_nr = nr;
		t->idr_pid = pid;
		t->idr_level = level;
		err = engine_read_u64(v, node, &node);
	}
	if (err)
		return engine_fail(v, err, "struct pid 0x%llx is unreadable",
				   (unsigned long long)pid);
	return census_drain(v, c);
}

static int census_idr(struct vmiaas *v, struct census *c)
{
	const struct census_layout *l = &c->l;
	struct xa_walk w = {
		.shift_off = l->xa_shift, .slots_off = l->xa_slots,
		.nr_slots = l->xa_nr_slots, .fn = pid_visit,
		.batch = pid_batch, .arg = c,
	};
	u64 head;
	int err;

	c->src = SRC_IDR;
	err = engine_read_u64(v, l->init_pid_ns + l->xa_head, &head);
	if (err)
		return engine_fail(v, err, "init_pid_ns is unreadable");
	return xa_walk(v, &w, head);
}

static int list_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct census *c = arg;
	int err;

	err = census_add(v, c, node - c->l.tasks, NULL);
	if (err > 0)
		census_prefetch_task(v, c, node - c->l.tasks);
	return err < 0 ? err : 0;
}

/*
 * The successor of list node @node, embedded at @member of a task the
 * census has read: the copy census_read() took. The walk stays as bounded
 * and cycle-checked as with guest reads; only the read is spared.
 */
static bool census_next(const struct census *c, u64 node, u32 member,
			u64 *ret)
{
	const struct ctask *t = census_find(c, node - member);

	if (!t || !t->read)
		return false;
	*ret = member == c->l.tasks ? t->tasks_next : t->cg_next;
	return true;
}

static bool tasks_next(void *arg, u64 node, u64 *ret)
{
	const struct census *c = arg;

	return census_next(c, node, c->l.tasks, ret);
}

/* The task list (after the IDR, which read nearly every task on it). */
static int census_list(struct vmiaas *v, struct census *c)
{
	int err;

	c->src = SRC_LIST;
	err = list_walk_next(v, "the task list", c->l.init_task + c->l.tasks,
			     VMIAAS_MAX_TASKS, list_visit, tasks_next, c);
	return err ?: census_drain(v, c);
}

/*
 * Whether @link, a sibling or children link at @from, names a known
 * task's sibling node or children head: if not, the task it names is
 * added, provided its sibling node links back to @from.
 */
static int census_link(struct vmiaas *v, struct census *c, u64 link, u64 from)
{
	const struct census_layout *l = &c->l;
	u64 back[2];
	int err;

	if (link == from || !kernel_ptr(link) ||
	    link == l->init_task + l->children ||
	    census_find(c, link - l->sibling) ||
	    census_find(c, link - l->children))
		return 0;
	if (engine_read(v, link, back, sizeof(back)) ||
	    (back[0] != from && back[1] != from))
		return 0;	/* not a list node linked with @i */
	err = census_add(v, c, link - l->sibling, NULL);
	return err < 0 ? err : census_drain(v, c);
}

/*
 * The process tree, from each task's own links (read with its fields):
 * the siblings before and after it, its first and last child. Tasks
 * found so are read and their links followed in turn. From c->t[@from]
 * on: the tasks before have been followed already.
 */
static int census_tree(struct vmiaas *v, struct census *c, u32 from)
{
	u32 i, k;
	int err = 0;

	c->src = SRC_TREE;
	for (i = from; !err && i < c->nr; i++) {
		u64 sib = c->t[i].addr + c->l.sibling;
		u64 head = c->t[i].addr + c->l.children;

		if (!c->t[i].read)
			continue;
		for (k = 0; !err && k < L_NR; k++)
			err = census_link(v, c, c->t[i].link[k],
					  k < L_CHILD_FIRST ? sib : head);
	}
	return err;
}

static int cg_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct census *c = arg;

	return census_node(v, c, node, c->l.cg_list);
}

static bool cg_next(void *arg, u64 node, u64 *ret)
{
	const struct census *c = arg;

	return census_next(c, node, c->l.cg_list, ret);
}

/* The tasks on the three lists of the css_set at @cset. */
static int census_cset(struct vmiaas *v, struct census *c, u64 cset)
{
	u32 i;
	int err = 0;

	for (i = 0; !err && i < ARRAY_SIZE(c->l.cset_lists); i++)
		err = list_walk_next(v, "a css_set's task list",
				     cset + c->l.cset_lists[i],
				     VMIAAS_MAX_TASKS, cg_visit, cg_next, c);
	return err ?: census_drain(v, c);
}

struct cset_ctx {
	struct census *census;
	bool init_seen;
};

static int cset_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct cset_ctx *x = arg;
	u64 cset = node - x->census->l.cset_hlist;

	if (cset == x->census->l.init_css_set)
		x->init_seen = true;
	return census_cset(v, x->census, cset);
}

/*
 * Every css_set: those in css_set_table, and init_css_set if not there.
 * After the process tree, so that a task in both is judged as found in
 * the tree; the tree links of the tasks found here are followed after.
 */
static int census_cgroups(struct vmiaas *v, struct census *c)
{
	struct cset_ctx x = { .census = c };
	u32 known = c->nr;
	int err;

	c->src = SRC_CGRP;
	err = hlist_heads_walk(v, "css_set_table", c->l.css_set_table,
			       HIDDEN_CSET_BUCKETS, HIDDEN_CSETS_MAX,
			       cset_visit, &x);
	if (!err && !x.init_seen)
		err = census_cset(v, c, c->l.init_css_set);
	return err ?: census_tree(v, c, known);
}

static int census_rq_add(struct vmiaas *v, struct census *c, u64 task,
			 u32 cpu)
{
	struct ctask *t;
	int err;

	c->src = SRC_RQ;
	err = census_add(v, c, task, &t);
	if (err < 0)
		return err;
	if (err)
		t->cpu = cpu;
	return 0;
}

/*
 * The run queues: each possible CPU's rq (the per-cpu "runqueues" at
 * __per_cpu_offset[cpu]), its curr, the CFS timeline (group entities,
 * my_q != NULL, are descended into), the RT priority lists and the
 * deadline tree. Each task found is added to @out with aux = its CPU.
 */
struct rq_ctx {
	struct census *census;
	u64 rq, idle;
	u32 cpu, nodes, visits, depth;
	u32 rq_size, rq_curr, rq_idle, rq_cfs, rq_rt, rq_dl;
	u32 cfs_root, se_node, se_my_q, t_se;
	u32 rt_queue, rt_queue_size, rt_run_list, rt_my_q, t_rt;
	bool have_rt_my_q;
	u32 dl_root, dl_node, t_dl;
	u32 rb_left, rb_right;
};

static int rq_add(struct vmiaas *v, struct rq_ctx *c, u64 task)
{
	if (!kernel_ptr(task) || task == c->idle)
		return 0;
	if (++c->nodes > HIDDEN_RQ_TASKS_MAX)
		return -ELOOP;
	return census_rq_add(v, c->census, task, c->cpu);
}

static int cfs_walk(struct vmiaas *v, struct rq_ctx *c, u64 cfs_rq);

/* Every entity visited counts, tasks or groups, on every CPU. */
static int rq_visit_count(struct vmiaas *v, struct rq_ctx *c)
{
	if (++c->visits <= HIDDEN_RQ_VISITS_MAX)
		return 0;
	return engine_fail(v, -ELOOP,
		"run queues: more than %u entities (groups in a cycle?)",
		HIDDEN_RQ_VISITS_MAX);
}

static int se_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct rq_ctx *c = arg;
	u64 se = node - c->se_node, my_q = 0;
	int err;

	err = rq_visit_count(v, c);
	if (err)
		return err;
	if (c->se_my_q != U32_MAX_OFF) {
		err = engine_read_u64(v, se + c->se_my_q, &my_q);
		if (err)
			return engine_fail(v, err,
				"sched_entity 0x%llx is unreadable",
				(unsigned long long)se);
	}
	if (!my_q)
		return rq_add(v, c, se - c->t_se);
	if (c->depth >= HIDDEN_RQ_GROUP_DEPTH)
		return engine_fail(v, -ELOOP,
			"CPU %u: task groups nested deeper than %u (a cycle?)",
			c->cpu, HIDDEN_RQ_GROUP_DEPTH);
	return cfs_walk(v, c, my_q);
}

static int cfs_walk(struct vmiaas *v, struct rq_ctx *c, u64 cfs_rq)
{
	u64 root;
	int err;

	if (!kernel_ptr(cfs_rq))
		return engine_fail(v, -EBADMSG, "CPU %u: cfs_rq 0x%llx",
				   c->cpu, (unsigned long long)cfs_rq);
	err = engine_read_u64(v, cfs_rq + c->cfs_root, &root);
	if (err)
		return engine_fail(v, err, "CPU %u: cfs_rq 0x%llx is unreadable",
				   c->cpu, (unsigned long long)cfs_rq);
	c->depth++;
	err = hidden_rb_walk(v, root, c->rb_left, c->rb_right, se_visit, c);
	c->depth--;
	return err;
}

static int rt_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct rq_ctx *c = arg;
	u64 rt_se = node - c->rt_run_list, my_q = 0;

	if (rq_visit_count(v, c))
		return -ELOOP;
	/* A group's entity (CONFIG_RT_GROUP_SCHED) is not a task. */
	if (c->have_rt_my_q &&
	    (engine_read_u64(v, rt_se + c->rt_my_q, &my_q) || my_q))
		return 0;
	return rq_add(v, c, rt_se - c->t_rt);
}

static int dl_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct rq_ctx *c = arg;
	u64 dl_se = node - c->dl_node;

	if (rq_visit_count(v, c))
		return -ELOOP;
	/* 6.12's dl servers (rq->fair_server) live inside the rq. */
	if (dl_se >= c->rq && dl_se < c->rq + c->rq_size)
		return 0;
	return rq_add(v, c, dl_se - c->t_dl);
}

static int rq_layout(struct vmiaas *v, struct rq_ctx *c)
{
	if (btf_sizeof(v->btf, "rq", &c->rq_size))
		return layout_fail(v, "rq", "(size)");
	RESOLVE(v, "rq", "curr", &c->rq_curr);
	RESOLVE(v, "rq", "idle", &c->rq_idle);
	RESOLVE(v, "rq", "cfs", &c->rq_cfs);
	RESOLVE(v, "rq", "rt", &c->rq_rt);
	RESOLVE(v, "rq", "dl", &c->rq_dl);
	RESOLVE(v, "cfs_rq", "tasks_timeline.rb_root.rb_node", &c->cfs_root);
	RESOLVE(v, "sched_entity", "run_node", &c->se_node);
	if (btf_offsetof(v->btf, "sched_entity", "my_q", &c->se_my_q))
		c->se_my_q = U32_MAX_OFF;	/* no FAIR_GROUP_SCHED */
	RESOLVE(v, "task_struct", "se", &c->t_se);
	RESOLVE(v, "rt_rq", "active.queue", &c->rt_queue);
	if (btf_member_size(v->btf, "rt_rq", "active.queue", &c->rt_queue_size))
		return layout_fail(v, "rt_rq", "active.queue");
	RESOLVE(v, "sched_rt_entity", "run_list", &c->rt_run_list);
	c->have_rt_my_q = !btf_offsetof(v->btf, "sched_rt_entity", "my_q",
					&c->rt_my_q);
	RESOLVE(v, "task_struct", "rt", &c->t_rt);
	RESOLVE(v, "dl_rq", "root.rb_root.rb_node", &c->dl_root);
	RESOLVE(v, "sched_dl_entity", "rb_node", &c->dl_node);
	RESOLVE(v, "task_struct", "dl", &c->t_dl);
	RESOLVE(v, "rb_node", "rb_left", &c->rb_left);
	RESOLVE(v, "rb_node", "rb_right", &c->rb_right);
	return 0;
}

static int rq_walk_one(struct vmiaas *v, struct rq_ctx *c)
{
	u64 curr, root, q;
	u32 i;
	int err;

	err = engine_read_u64(v, c->rq + c->rq_idle, &c->idle);
	err = err ?: engine_read_u64(v, c->rq + c->rq_curr, &curr);
	if (err)
		return engine_fail(v, err, "CPU %u: rq 0x%llx is unreadable",
				   c->cpu, (unsigned long long)c->rq);
	if (c->census->nr_idle < HIDDEN_RQ_CPUS_MAX && c->census->idle)
		c->census->idle[c->census->nr_idle++] = c->idle;
	err = rq_add(v, c, curr);
	c->depth = 0;
	err = err ?: cfs_walk(v, c, c->rq + c->rq_cfs);
	for (i = 0; !err && i < c->rt_queue_size / 16; i++) {
		q = c->rq + c->rq_rt + c->rt_queue + 16 * i;
		err = list_walk(v, "an RT run queue", q,
				HIDDEN_RQ_TASKS_MAX, rt_visit, c);
	}
	err = err ?: engine_read_u64(v, c->rq + c->rq_dl + c->dl_root, &root);
	err = err ?: hidden_rb_walk(v, root, c->rb_left, c->rb_right,
				    dl_visit, c);
	if (err == -ELOOP && c->nodes > HIDDEN_RQ_TASKS_MAX)
		return engine_fail(v, err, "run queues: more than %u tasks",
				   HIDDEN_RQ_TASKS_MAX);
	return err;
}

/* Tasks on the run queues of every possible CPU, into @census. */
static int rq_tasks(struct vmiaas *v, struct census *census)
{
	struct rq_ctx c = { .census = census };
	u64 runqueues, offsets;
	u32 nr_cpus;
	int err;

	err = rq_layout(v, &c);
	err = err ?: hidden_percpu(v, &offsets, &nr_cpus);
	if (err)
		return err;
	if (engine_sym(v, "runqueues", &runqueues))
		return engine_fail(v, -ENOEXEC, "the kernel has no runqueues");
	census->idle = calloc(nr_cpus, sizeof(*census->idle));
	if (!census->idle)
		return -ENOMEM;
	for (c.cpu = 0; c.cpu < nr_cpus; c.cpu++) {
		err = percpu_addr(v, offsets, runqueues, c.cpu, &c.rq);
		err = err ?: rq_walk_one(v, &c);
		if (err)
			return err;
	}
	return 0;
}

/* ---- kernel stacks: every task has one ---- */

/*
 * A task taken off every list still runs on its own kernel stack, a
 * vmalloc area (CONFIG_VMAP_STACK) from the same allocation site as every
 * other task's. Areas of that site that are neither the stack of a task
 * the census knows, of an idle task, nor a freed stack kept in a CPU's
 * cache (cached_stacks) are searched for their owner: a word pointing at
 * a task_struct whose stack and stack_vm_area are this area, and which
 * is not exiting (a stack being freed has no owner any more: its task's
 * stack is NULL).
 */
#define STACK_RANGE_START	0xffff800000000000ULL
#define STACK_CACHED_PER_CPU	2	/* NR_CACHED_STACKS (kernel/fork.c) */
#define STACK_CANDIDATES_MAX	(1U << 16)

struct stack_area {
	u64 va, start, end;
};

struct stack_ctx {
	struct census *c;
	struct carve_layout l;
	u32 o_stack, o_stack_vm, o_vm, o_caller;
	u64 *known;		/* sorted stack bases of known tasks */
	size_t nr_known;
	u64 *cached;		/* vm_structs of cached free stacks */
	size_t nr_cached;
	struct stack_area *cand;
	size_t nr_cand, cap_cand;
	u64 size, vm, caller;	/* a known task's stack area */
	u8 *page;
};

static int stack_visit(struct vmiaas *v, u64 va, u64 start, u64 end,
		       void *arg)
{
	struct stack_ctx *s = arg;
	struct stack_area *n;

	if (u64_sorted_has(s->known, s->nr_known, start)) {
		if (s->size)
			return 0;
		s->size = end - start;
		return engine_read_u64(v, va + s->o_vm, &s->vm);
	}
	if (s->nr_cand == s->cap_cand) {
		if (s->cap_cand >= STACK_CANDIDATES_MAX)
			return engine_fail(v, -E2BIG,
				"more than %u vmalloc areas no task owns",
				STACK_CANDIDATES_MAX);
		n = realloc(s->cand, (s->cap_cand + 256) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->cand = n;
		s->cap_cand += 256;
	}
	s->cand[s->nr_cand++] = (struct stack_area){ va, start, end };
	return 0;
}

static int stack_layout(struct vmiaas *v, struct stack_ctx *s)
{
	RESOLVE(v, "vmap_area", "va_start", &s->l.va_start);
	RESOLVE(v, "vmap_area", "va_end", &s->l.va_end);
	RESOLVE(v, "vmap_area", "rb_node", &s->l.va_node);
	RESOLVE(v, "vmap_area", "vm", &s->o_vm);
	RESOLVE(v, "rb_node", "rb_left", &s->l.rb_left);
	RESOLVE(v, "rb_node", "rb_right", &s->l.rb_right);
	RESOLVE(v, "vm_struct", "caller", &s->o_caller);
	RESOLVE(v, "task_struct", "stack", &s->o_stack);
	RESOLVE(v, "task_struct", "stack_vm_area", &s->o_stack_vm);
	return 0;
}

/* The stack bases of every task known and of the idle tasks, sorted. */
static int stack_known(struct vmiaas *v, struct stack_ctx *s)
{
	const struct census *c = s->c;
	u32 i;

	s->known = calloc((size_t)c->nr + c->nr_idle + 1, sizeof(u64));
	if (!s->known)
		return -ENOMEM;
	for (i = 0; i < c->nr + c->nr_idle; i++) {
		u64 task = i < c->nr ? c->t[i].addr : c->idle[i - c->nr];
		u64 *stack = &s->known[s->nr_known];

		if (i < c->nr && c->t[i].read)
			*stack = c->t[i].stack;	/* census_read()'s copy */
		else if (engine_read_u64(v, task + s->o_stack, stack))
			continue;
		if (*stack)
			s->nr_known++;
	}
	u64_sort(s->known, s->nr_known);
	return 0;
}

/* Every CPU's cached_stacks[] (freed stacks kept for reuse), sorted. */
static int stack_cached(struct vmiaas *v, struct stack_ctx *s)
{
	u64 sym, offsets, at = 0;
	u32 nr_cpus, cpu, k;
	int err;

	if (engine_sym(v, "cached_stacks", &sym))
		return 0;		/* no stack cache */
	err = hidden_percpu(v, &offsets, &nr_cpus);
	if (err)
		return err;
	s->cached = calloc((size_t)nr_cpus * STACK_CACHED_PER_CPU, 8);
	if (!s->cached)
		return -ENOMEM;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		err = percpu_addr(v, offsets, sym, cpu, &at);
		for (k = 0; !err && k < STACK_CACHED_PER_CPU; k++)
			err = engine_read_u64(v, at + 8 * k,
					      &s->cached[s->nr_cached++]);
		if (err)
			return engine_fail(v, err,
				"CPU %u's cached_stacks is unreadable", cpu);
	}
	u64_sort(s->cached, s->nr_cached);
	return 0;
}

/* The task whose stack is @a (not exiting), named by a word in it; or 0. */
static u64 stack_owner(struct vmiaas *v, struct stack_ctx *s,
		       const struct stack_area *a, u64 vm)
{
	u64 page, w, stack, stack_vm;
	s32 exiting;
	u32 i;

	for (page = a->start; page < a->start + s->size; page += 4096) {
		if (engine_read(v, page, s->page, 4096))
			continue;	/* the guard page */
		for (i = 0; i < 4096; i += 8) {
			memcpy(&w, s->page + i, 8);
			if (!kernel_ptr(w) ||
			    engine_read_u64(v, w + s->o_stack, &stack) ||
			    stack != a->start ||
			    engine_read_u64(v, w + s->o_stack_vm, &stack_vm) ||
			    stack_vm != vm ||
			    engine_read(v, w + s->c->l.exit_state, &exiting,
					sizeof(exiting)) || exiting)
				continue;
			return w;
		}
	}
	return 0;
}

/* Owners of stacks no known task has, into the census as SRC_STACK. */
static int stack_judge(struct vmiaas *v, struct stack_ctx *s)
{
	const struct stack_area *a;
	struct ctask *t;
	u64 vm, caller, owner;
	size_t i;
	int err;

	if (!s->size || engine_read_u64(v, s->vm + s->o_caller, &s->caller))
		return 0;	/* no task has a vmalloc'ed stack */
	s->c->src = SRC_STACK;
	for (i = 0; i < s->nr_cand; i++) {
		a = &s->cand[i];
		if (a->end - a->start != s->size ||
		    engine_read_u64(v, a->va + s->o_vm, &vm) || !kernel_ptr(vm) ||
		    u64_sorted_has(s->cached, s->nr_cached, vm) ||
		    engine_read_u64(v, vm + s->o_caller, &caller) ||
		    caller != s->caller)
			continue;
		owner = stack_owner(v, s, a, vm);
		if (!owner)
			continue;
		err = census_add(v, s->c, owner, &t);
		if (err < 0)
			return err;
		t->stack = a->start;
	}
	return 0;
}

static int census_stacks(struct vmiaas *v, struct census *c)
{
	struct stack_ctx s = { .c = c };
	struct vmap_walk w = { .l = &s.l, .lo = STACK_RANGE_START,
			       .hi = MODAREA_KERNEL_MAP,
			       .visit = stack_visit, .arg = &s };
	int err;

	err = stack_layout(v, &s);
	if (err)
		return err;
	s.page = malloc(4096);
	err = s.page ? stack_known(v, &s) : -ENOMEM;
	err = err ?: stack_cached(v, &s);
	err = err ?: vmap_walk(v, &w);
	err = err ?: stack_judge(v, &s);
	free(s.page);
	free(s.known);
	free(s.cached);
	free(s.cand);
	return err;
}


/* ---- hidden-process and credentials, from the census ---- */

enum {
	TASK_IN_IDR_NOT_LIST,
	TASK_IN_LIST_NOT_IDR,
	TASK_IN_TREE_ONLY,	/* in a children list, on neither */
	TASK_ON_RQ_ONLY,
	TASK_IN_CGROUP_ONLY,	/* on a css_set's list, on no other */
	TASK_STACK_ONLY,	/* owns a kernel stack, on no list */
	CRED_INIT,		/* a user task with init_cred */
	CRED_ESCALATED,		/* euid 0 under a non-root parent */
	CRED_SHARED,		/* one cred, two thread groups */
	CRED_BSET_GROWN,	/* bounding set beyond its parent's */
	NS_INIT_NSPROXY,	/* init_nsproxy in a child pid namespace */
	NS_INIT_ROOT,		/* init's root in another mount namespace */
};

/* A finding's item: the task, its pid (IDR's number if it has one), comm. */
static struct item *task_item(struct vmiaas *v, const struct census *c,
			      struct items *out, const struct ctask *t,
			      u32 kind)
{
	struct item *it = items_add(out);
	char comm[16];

	if (!it)
		return NULL;
	it->key = t->addr;
	it->kind = kind;
	it->pid = t->read ? t->pid : t->idr_nr;
	if (!t->read && !(t->src & SRC_IDR) &&
	    engine_read(v, t->addr + c->l.pid, &it->pid, sizeof(it->pid)))
		it->pid = -1;
	if (!engine_read(v, t->addr + c->l.comm, comm, sizeof(comm)))
		clean_name(it->name, sizeof(it->name), comm, sizeof(comm));
	return it;
}

/*
 * Where a task was seen, as the checks compare it: a leader on the task
 * list, a thread in the list of a group whose leader is; in the IDR;
 * reached only through the process tree (itself or its group's leader).
 */
static u32 task_seen(const struct census *c, const struct ctask *t)
{
	const struct ctask *leader = t;
	u32 seen = t->src & (SRC_IDR | SRC_RQ | SRC_CGRP | SRC_STACK);

	if (t->read && t->pid != t->tgid)
		leader = (t->src & SRC_THREADS) ?
			 census_find(c, t->group_leader) : NULL;
	if (leader && (leader->src & SRC_LIST))
		seen |= SRC_LIST;
	if ((t->src & SRC_TREE) || (leader && (leader->src & SRC_TREE)))
		seen |= SRC_TREE;
	return seen;
}

static int task_sources_judge(struct vmiaas *v, const struct census *c,
			      const struct ctask *t, struct items *out)
{
	u32 both = SRC_LIST | SRC_IDR, seen = task_seen(c, t), kind;
	const struct ctask *parent;
	struct item *it;
	s32 exiting;

	if ((seen & both) == both)
		return 0;
	if (seen & both) {
		kind = seen & SRC_LIST ? TASK_IN_LIST_NOT_IDR :
		       TASK_IN_IDR_NOT_LIST;
	} else if (seen & SRC_TREE) {
		kind = TASK_IN_TREE_ONLY;
	} else if (seen & SRC_CGRP) {
		kind = TASK_IN_CGROUP_ONLY;
	} else {
		/* A task past __unhash_process() runs until its last schedule. */
		if (!(seen & (SRC_RQ | SRC_STACK)) ||
		    engine_read(v, t->addr + c->l.exit_state, &exiting,
				sizeof(exiting)) || exiting)
			return 0;
		kind = seen & SRC_RQ ? TASK_ON_RQ_ONLY : TASK_STACK_ONLY;
	}
	it = task_item(v, c, out, t, kind);
	if (!it)
		return -ENOMEM;
	it->aux = seen & SRC_RQ ? t->cpu + 1ULL :
		  kind == TASK_STACK_ONLY ? t->stack : 0;
	parent = t->read ? census_find(c, t->real_parent) : NULL;
	it->ppid = parent && parent->read ? parent->tgid : -1;
	return 0;
}

/* Whether @mm's executable is a regular setuid file owned by root. */
static bool exe_setuid_root(struct vmiaas *v, const struct census_layout *l,
			    u64 mm)
{
	u64 file, inode;
	u16 mode;
	u32 uid;

	return kernel_ptr(mm) &&
	       !engine_read_u64(v, mm + l->mm_exe, &file) && kernel_ptr(file) &&
	       !engine_read_u64(v, file + l->file_inode, &inode) &&
	       kernel_ptr(inode) &&
	       !engine_read(v, inode + l->i_mode, &mode, sizeof(mode)) &&
	       !engine_read(v, inode + l->i_uid, &uid, sizeof(uid)) &&
	       (mode & S_IFMT_BITS) == S_IFREG_BITS && (mode & S_ISUID_BIT) &&
	       uid == 0;
}

/* euid 0 under a non-root parent, without a setuid-root exec: its uid. */
static bool cred_escalated(struct vmiaas *v, const struct census *c,
			   const struct ctask *t, u32 *parent_uid)
{
	const struct census_layout *l = &c->l;
	const struct ctask *p;
	u32 peuid;
	u64 pcred;

	if ((!t->ids_ok || t->euid) && (!t->rids_ok || t->reuid))
		return false;
	p = census_find(c, t->real_parent);
	if (p && p->read) {
		if (!p->ids_ok)
			return false;
		*parent_uid = p->uid;
		peuid = p->euid;
	} else if (!kernel_ptr(t->real_parent) ||
		   engine_read_u64(v, t->real_parent + l->cred, &pcred) ||
		   !cred_ids(v, l, pcred, parent_uid, &peuid)) {
		return false;
	}
	if (!*parent_uid || !peuid)
		return false;
	return !exe_setuid_root(v, l, t->mm);
}


/*
 * Whether user namespace @anc is @ns or one of its ancestors: at most
 * HIDDEN_USERNS_DEPTH namespaces up (the kernel nests 33 levels).
 */
static bool userns_ancestor(struct vmiaas *v, const struct census_layout *l,
			    u64 anc, u64 ns)
{
	u32 i;

	for (i = 0; i < HIDDEN_USERNS_DEPTH && kernel_ptr(ns); i++) {
		if (ns == anc)
			return true;
		if (engine_read_u64(v, ns + l->uns_parent, &ns))
			return false;
	}
	return false;
}

/* A task's namespaces, root directory and pid, as the rules read them. */
struct task_ns {
	u64 nsproxy, fs, thread_pid;
	u32 level;		/* of thread_pid: its pid namespace's depth */
};

/*
 * From census_read()'s copy; the level from the IDR's read of the pid
 * when that pid is thread_pid (the common case), else read here. false
 * if unreadable or exiting (exit_task_namespaces() clears them).
 */
static bool task_ns_get(struct vmiaas *v, const struct census_layout *l,
			const struct ctask *t, struct task_ns *n)
{
	*n = (struct task_ns){ .nsproxy = t->nsproxy, .fs = t->fs,
			       .thread_pid = t->thread_pid,
			       .level = t->idr_level };
	if (!kernel_ptr(n->nsproxy) || !kernel_ptr(n->fs) ||
	    !kernel_ptr(n->thread_pid))
		return false;
	if (!(t->src & SRC_IDR) || t->idr_pid != n->thread_pid)
		if (engine_read(v, n->thread_pid + l->pid_level, &n->level,
				sizeof(n->level)))
			return false;
	return n->level <= HIDDEN_PIDNS_LEVEL_MAX;
}

/* Whether @task is the init (child_reaper) of @n's pid namespace. */
static bool task_is_reaper(struct vmiaas *v, const struct census_layout *l,
			   const struct task_ns *n, u64 task)
{
	u64 ns, reaper;

	return !engine_read_u64(v, n->thread_pid + l->pid_numbers +
				   (u64)n->level * l->upid_size + l->upid_ns,
				&ns) &&
	       kernel_ptr(ns) &&
	       !engine_read_u64(v, ns + l->pidns_reaper, &reaper) &&
	       reaper == task;
}

/*
 * The capabilities of @t's bounding set that its parent's lacks, where
 * the set cannot have grown: 0 if none or if they cannot be compared.
 * A cred's cap_bset only shrinks (PR_CAPBSET_DROP); fork copies it and
 * exec keeps it; only a new user namespace gets a full one
 * (set_cred_user_ns(): create_user_ns() and setns()), and a task cannot
 * enter an ancestor of its user namespace (no CAP_SYS_ADMIN there). So
 * in the parent's user namespace or an ancestor of it, a child holds no
 * capability its parent lacks, unless it was given one: the payload
 * commit_creds(prepare_kernel_cred()) copies init_cred, full set
 * included. Orphans are the exception: those of a task that entered a
 * pid namespace from outside (setns()) go to its init, so a parent that
 * is its pid namespace's init is not compared.
 */
static u64 bset_grown(struct vmiaas *v, const struct census *c,
		      const struct ctask *t, const struct task_ns *n,
		      s32 *ppid)
{
	const struct census_layout *l = &c->l;
	const struct ctask *p = census_find(c, t->real_parent);
	u64 ns, pns;

	/* both bounding sets from census_read(): most tasks end here */
	if (!p || !p->read || !t->rids_ok || !p->rids_ok ||
	    !(t->bset & ~p->bset))
		return 0;
	if (engine_read_u64(v, t->real_cred + l->cred_user_ns, &ns) ||
	    engine_read_u64(v, p->real_cred + l->cred_user_ns, &pns) ||
	    !userns_ancestor(v, l, ns, pns) ||
	    task_is_reaper(v, l, n, p->addr))
		return 0;
	*ppid = p->tgid;
	return t->bset & ~p->bset;
}

/*
 * The namespace rules. setns() and unshare() always make a new nsproxy
 * (create_new_namespaces()) and fork shares its parent's, whose
 * pid_ns_for_children made the child's pid: so no task of a child pid
 * namespace holds init_nsproxy, unless it was written there
 * (switch_task_namespaces(find_task_by_vpid(1), &init_nsproxy)). A
 * task's root follows its mount namespace (copy_mnt_ns() moves it into
 * the copy, setns() to the new namespace's root): init's root in another
 * mount namespace was copied from init (current->fs = init_fs's copy).
 */
static int task_ns_judge(struct vmiaas *v, const struct census *c,
			 const struct ctask *t, struct items *out)
{
	const struct census_layout *l = &c->l;
	struct task_ns n;
	struct item *it;
	u64 mnt_ns, root[2], extra;
	s32 ppid;

	if (!task_ns_get(v, l, t, &n))
		return 0;
	extra = bset_grown(v, c, t, &n, &ppid);
	if (extra) {
		it = task_item(v, c, out, t, CRED_BSET_GROWN);
		if (!it)
			return -ENOMEM;
		it->aux = extra;
		it->ppid = ppid;
	}
	if (n.nsproxy == l->init_nsproxy) {
		if (!n.level)
			return 0;
		it = task_item(v, c, out, t, NS_INIT_NSPROXY);
		if (!it)
			return -ENOMEM;
		it->aux = n.level;
		return 0;
	}
	if (engine_read_u64(v, n.nsproxy + l->nsp_mnt_ns, &mnt_ns) ||
	    mnt_ns == c->init_mnt_ns ||
	    engine_read(v, n.fs + l->fs_root, root, sizeof(root)) ||
	    root[0] != c->init_root[0] || root[1] != c->init_root[1])
		return 0;
	return task_item(v, c, out, t, NS_INIT_ROOT) ? 0 : -ENOMEM;
}

/* init's mount namespace and root, which task_ns_judge() compares with. */
static int census_init_ns(struct vmiaas *v, struct census *c)
{
	const struct census_layout *l = &c->l;
	u64 fs;
	int err;

	err = engine_read_u64(v, l->init_nsproxy + l->nsp_mnt_ns,
			      &c->init_mnt_ns);
	err = err ?: engine_read_u64(v, l->init_task + l->fs, &fs);
	if (!err && !kernel_ptr(fs))
		err = -EBADMSG;
	err = err ?: engine_read(v, fs + l->fs_root, c->init_root,
				 sizeof(c->init_root));
	if (err)
		return engine_fail(v, err,
			"init_nsproxy.mnt_ns or init_task.fs->root is unreadable");
	return 0;
}

/*
 * Credentials of a user task. @owner maps each real_cred seen to the
 * first task holding it: sharing is judged on real_cred, because
 * override_creds() points cred at shared structures for a while
 * (overlayfs' mounter creds); real_cred only changes through
 * commit_creds(), and fork copies it (copy_creds).
 */
static int task_cred_judge(struct vmiaas *v, const struct census *c,
			   const struct ctask *t, struct census *owner,
			   struct items *out)
{
	const struct census_layout *l = &c->l;
	struct ctask *first;
	struct item *it;
	u32 puid;
	int err;

	if (t->flags & PF_KTHREAD)
		return 0;
	if (t->cred == l->init_cred || t->real_cred == l->init_cred)
		return task_item(v, c, out, t, CRED_INIT) ? 0 : -ENOMEM;
	err = census_add(v, owner, t->real_cred, &first);
	if (err < 0)
		return err;
	if (err)
		first->pid = t->tgid;	/* the first holder's thread group */
	else if (first->pid != t->tgid) {
		it = task_item(v, c, out, t, CRED_SHARED);
		if (!it)
			return -ENOMEM;
		it->aux = (u64)(u32)first->pid;
	}
	if (cred_escalated(v, c, t, &puid)) {
		it = task_item(v, c, out, t, CRED_ESCALATED);
		if (!it)
			return -ENOMEM;
		it->aux = puid;
	}
	return task_ns_judge(v, c, t, out);
}

static int tasks_judge(struct vmiaas *v, const struct census *c,
		       struct items *out)
{
	struct census owner = {};
	u32 i;
	int err = 0;

	for (i = 0; !err && i < c->nr; i++) {
		const struct ctask *t = &c->t[i];

		err = task_sources_judge(v, c, t, out);
		if (!err && t->read)
			err = task_cred_judge(v, c, t, &owner, out);
	}
	free(owner.t);
	free(owner.slot);
	return err;
}

/*
 * The tasks read, for the checks after the census (engine_tasks_shared()),
 * if this check keeps them; without memory for them, those checks walk
 * for themselves.
 */
static void census_share(struct vmiaas *v, const struct census *c)
{
	struct engine_tasks *s = &v->census;
	struct engine_task *t;
	u32 i;

	if (!s->keep)
		return;
	if (s->cap < c->nr) {
		t = realloc(s->t, c->nr * sizeof(*t));
		if (!t)
			return;
		s->t = t;
		s->cap = c->nr;
	}
	for (i = 0, s->nr = 0; i < c->nr; i++) {
		if (!c->t[i].read)
			continue;
		s->t[s->nr++] = (struct engine_task){
			.addr = c->t[i].addr, .mm = c->t[i].mm,
			.files = c->t[i].files, .pid = c->t[i].pid,
			.tgid = c->t[i].tgid,
		};
	}
	s->valid = true;
}

static int tasks_scan(struct vmiaas *v, struct items *out)
{
	struct census c = {};
	int err;

	v->census.valid = false;	/* until this scan ends well */
	err = census_layout_get(v, &c.l);
	err = err ?: census_idr(v, &c);
	err = err ?: census_list(v, &c);
	err = err ?: census_tree(v, &c, 0);
	err = err ?: census_cgroups(v, &c);
	err = err ?: rq_tasks(v, &c);
	err = err ?: census_stacks(v, &c);
	err = err ?: census_init_ns(v, &c);
	err = err ?: tasks_judge(v, &c, out);
	if (!err)
		census_share(v, &c);
	free(c.t);
	free(c.slot);
	free(c.idle);
	return err;
}

static void process_report(const struct item *it, struct vmiaas_finding *f)
{
	char rq[48] = "";

	if (it->aux)
		snprintf(rq, sizeof(rq), "on CPU %llu's run queue and ",
			 (unsigned long long)it->aux - 1);
	switch (it->kind) {
	case TASK_IN_TREE_ONLY:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s, task_struct 0x%llx) is %sa child of pid %d (its children list) but neither on the task list nor in the pid namespace's IDR",
			 it->pid, it->name, (unsigned long long)it->key, rq,
			 it->ppid);
		break;
	case TASK_IN_CGROUP_ONLY:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s, task_struct 0x%llx) is %son its css_set's task list (cgroup) but neither on the task list, in the pid namespace's IDR nor in any children list",
			 it->pid, it->name, (unsigned long long)it->key, rq);
		break;
	case TASK_STACK_ONLY:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s, task_struct 0x%llx) owns a kernel stack (0x%llx) but is neither on the task list, in the pid namespace's IDR, in any children list, on a css_set's list nor on a run queue",
			 it->pid, it->name, (unsigned long long)it->key,
			 (unsigned long long)it->aux);
		break;
	case TASK_ON_RQ_ONLY:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s, task_struct 0x%llx) is on CPU %llu's run queue but neither on the task list, in the pid namespace's IDR nor in any children list",
			 it->pid, it->name, (unsigned long long)it->key,
			 (unsigned long long)it->aux - 1);
		break;
	default:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s, task_struct 0x%llx) %s", it->pid,
			 it->name, (unsigned long long)it->key,
			 it->kind == TASK_IN_IDR_NOT_LIST ?
			 "is in the pid namespace's IDR but not on the task list" :
			 "is on the task list but not in the pid namespace's IDR");
	}
}

static void cred_report(const struct item *it, struct vmiaas_finding *f)
{
	switch (it->kind) {
	case CRED_INIT:
		snprintf(f->message, sizeof(f->message),
			 "user task %d (%s) runs with init_cred, the kernel's own credentials",
			 it->pid, it->name);
		break;
	case CRED_ESCALATED:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s) has euid 0 but its parent runs as uid %llu, and it did not exec a setuid-root file",
			 it->pid, it->name, (unsigned long long)it->aux);
		break;
	case CRED_BSET_GROWN:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s) holds bounding-set capabilities (0x%llx) its parent pid %d lacks, in the same user namespace or an ancestor of its parent's, where the set never grows: new credentials were written (prepare_kernel_cred()?)",
			 it->pid, it->name, (unsigned long long)it->aux,
			 it->ppid);
		break;
	case NS_INIT_NSPROXY:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s) lives in a child pid namespace (level %llu) but holds init_nsproxy, the initial namespaces, which setns() and unshare() never hand out: its namespaces were switched (a container escape)",
			 it->pid, it->name, (unsigned long long)it->aux);
		break;
	case NS_INIT_ROOT:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s) has init's root directory (init_task.fs->root) but another mount namespace: its root was copied from init's (a container escape)",
			 it->pid, it->name);
		break;
	default:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s) shares its cred with pid %llu of another thread group",
			 it->pid, it->name, (unsigned long long)it->aux);
	}
}

static void tasks_report(struct vmiaas *v, const struct item *it,
			 const struct hidden_sink *s)
{
	bool cred = it->kind >= CRED_INIT;
	struct vmiaas_finding *f;
	char object[96];

	snprintf(object, sizeof(object), "pid %d %s", it->pid, it->name);
	f = s->add(s->ctx, cred ? "credentials" : "hidden-process",
		   VMIAAS_SEV_CRITICAL, object);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = it->key;
	if (cred)
		cred_report(it, f);
	else
		process_report(it, f);
}

int hidden_check_tasks(struct vmiaas *v, const struct hidden_sink *s)
{
	return scan_twice(v, tasks_scan, tasks_report, NULL, NULL, s);
}
