// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * hidden-module, hidden-process, credentials: the kernel's structures
 * against each other (see hidden.h and docs/integrity.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hidden.h"
#include "list.h"

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
	char name[64];
};

struct items {
	struct item *a;
	size_t nr, cap;
};

static struct item *items_add(struct items *s)
{
	struct item *n;

	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		n = realloc(s->a, cap * sizeof(*n));
		if (!n)
			return NULL;
		s->a = n;
		s->cap = cap;
	}
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
	return bsearch(it, s->a, s->nr, sizeof(*s->a), item_cmp) != NULL;
}

/* A guest string, printable: anything else becomes '?'. */
static void clean_name(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < size && i < len && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
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
 * Runs @scan twice; the discrepancies seen both times (same key, kind and
 * aux) are reported through @report. Objects that appear or vanish while
 * the guest runs show only once.
 */
static int scan_twice(struct vmiaas *v,
		      int (*scan)(struct vmiaas *v, struct items *out),
		      void (*report)(struct vmiaas *v, const struct item *it,
				     const struct hidden_sink *s),
		      const struct hidden_sink *s)
{
	struct items first = {}, second = {};
	size_t i;
	int err;

	err = scan(v, &first);
	if (!err && first.nr)
		err = scan(v, &second);
	if (!err) {
		items_sort(&first);
		for (i = 0; i < second.nr; i++)
			if (items_has_item(&first, &second.a[i]))
				report(v, &second.a[i], s);
	}
	free(first.a);
	free(second.a);
	return err;
}

/* ---- walkers ---- */

int hidden_rb_walk(struct vmiaas *v, u64 root_node, u32 left, u32 right,
		   int (*fn)(struct vmiaas *v, u64 node, void *arg), void *arg)
{
	u64 stack[HIDDEN_RB_DEPTH_MAX + 1];
	u32 depth[HIDDEN_RB_DEPTH_MAX + 1];
	u32 sp = 0, seen = 0, d;
	u64 node, child;
	int err, i;

	if (!root_node)
		return 0;
	stack[sp] = root_node;
	depth[sp++] = 1;
	while (sp) {
		node = stack[--sp];
		d = depth[sp];
		if (!kernel_ptr(node))
			return engine_fail(v, -EBADMSG,
				"rbtree node 0x%llx is not a kernel pointer",
				(unsigned long long)node);
		if (++seen > HIDDEN_RB_NODES_MAX)
			return engine_fail(v, -ELOOP,
				"rbtree: more than %u nodes (a cycle?)",
				HIDDEN_RB_NODES_MAX);
		err = fn(v, node, arg);
		if (err)
			return err;
		for (i = 0; i < 2; i++) {
			err = engine_read_u64(v, node + (i ? right : left),
					      &child);
			if (err)
				return engine_fail(v, err,
					"rbtree node 0x%llx is unreadable",
					(unsigned long long)node);
			if (!child)
				continue;
			if (d >= HIDDEN_RB_DEPTH_MAX)
				return engine_fail(v, -ELOOP,
					"rbtree deeper than %u (a cycle?)",
					HIDDEN_RB_DEPTH_MAX);
			stack[sp] = child;
			depth[sp++] = d + 1;
		}
	}
	return 0;
}

struct xa_walk {
	u32 shift_off, slots_off, nr_slots, chunk_shift;
	u32 nodes;
	int (*fn)(struct vmiaas *v, u64 entry, u64 index, void *arg);
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

int hidden_xa_walk(struct vmiaas *v, u64 head, u32 shift_off, u32 slots_off,
		   u32 nr_slots,
		   int (*fn)(struct vmiaas *v, u64 entry, u64 index, void *arg),
		   void *arg)
{
	struct xa_walk w = {
		.shift_off = shift_off, .slots_off = slots_off,
		.nr_slots = nr_slots, .fn = fn, .arg = arg,
	};

	if (nr_slots < 2 || nr_slots > 256 || (nr_slots & (nr_slots - 1)))
		return engine_fail(v, -EBADMSG, "xarray: %u slots per node",
				   nr_slots);
	w.chunk_shift = __builtin_ctz(nr_slots);
	if (!head || (head & 1))
		return 0;
	if (!xa_is_node(head))
		return (head & 3) == 2 ? 0 : fn(v, head, 0, arg);
	return xa_node_walk(v, &w, head - 2, -1, 0);
}

/* ---- hidden-module ---- */

enum {
	MOD_IN_TREE_NOT_LIST,
	MOD_IN_SYSFS_NOT_LIST,
	MOD_LIST_NOT_SYSFS,
	MOD_LIST_NOT_TREE,
	MOD_CARVED,
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

#define MOD_STATE_MAX		3	/* MODULE_STATE_UNFORMED */

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

static int carve_layout_get(struct vmiaas *v, struct carve_layout *l)
{
	if (btf_sizeof(v->btf, "module", &l->size) || !l->size ||
	    l->size > HIDDEN_MODULE_SIZE_MAX)
		return layout_fail(v, "module", "(size)");
	RESOLVE(v, "module", "mkobj.mod", &l->mkobj_mod);
	RESOLVE(v, "module", "state", &l->state);
	RESOLVE(v, "module", "name", &l->name);
	RESOLVE(v, "module", "list", &l->list);
	RESOLVE(v, "vmap_area", "va_start", &l->va_start);
	RESOLVE(v, "vmap_area", "va_end", &l->va_end);
	RESOLVE(v, "vmap_area", "rb_node", &l->va_node);
	RESOLVE(v, "rb_node", "rb_left", &l->rb_left);
	RESOLVE(v, "rb_node", "rb_right", &l->rb_right);
	return carve_regions_layout(v, l);
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
	    text < HIDDEN_MODULES_START || text >= HIDDEN_MODULES_END)
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
	struct items *out;
	u64 bytes;		/* carved so far */
	u32 nodes;
	u8 *page, *mod;
};

/* Whether [start, end) overlaps the memory of a module on the list. */
static bool carve_known(const struct carve_ctx *c, u64 start, u64 end)
{
	size_t lo = 0, hi = c->regions.nr;

	/* The last region starting before @end (regions are disjoint). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->regions.a[mid].key < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && c->regions.a[lo - 1].aux > start;
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
	return mod_add(c->out, MOD_CARVED, va, name);
}

/* Looks for struct modules in [start, end), page by page. */
static int carve_area(struct vmiaas *v, struct carve_ctx *c, u64 start,
		      u64 end)
{
	u64 page, f;
	int err;

	if (end - start > HIDDEN_CARVE_AREA_MAX)
		end = start + HIDDEN_CARVE_AREA_MAX;
	for (page = start & ~4095ULL; page < end; page += 4096) {
		if ((c->bytes += 4096) > HIDDEN_CARVE_BYTES_MAX)
			return engine_fail(v, -E2BIG,
				"module areas: more than %u MiB to carve",
				HIDDEN_CARVE_BYTES_MAX >> 20);
		if (engine_read(v, page, c->page, 4096))
			continue;	/* a guard or unpopulated page */
		/* Each mkobj.mod field in this page that points back. */
		for (f = 0; f < 4096; f += 8) {
			u64 va = page + f - c->l.mkobj_mod;

			if (get_u64(c->page, f) != va || va < start)
				continue;
			err = carve_candidate(v, c, va);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * The busy vmap areas inside the module mapping range, from one rbtree
 * (sorted by address, so subtrees outside the range are skipped).
 */
static int carve_tree(struct vmiaas *v, struct carve_ctx *c, u64 root)
{
	u64 stack[HIDDEN_RB_DEPTH_MAX + 1], node, va, pair[2], kids[2];
	u32 depth[HIDDEN_RB_DEPTH_MAX + 1], sp = 0, d, i;
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
		if (++c->nodes > HIDDEN_VMAP_NODES_MAX)
			return engine_fail(v, -ELOOP,
				"vmap areas: more than %u nodes (a cycle?)",
				HIDDEN_VMAP_NODES_MAX);
		va = node - c->l.va_node;
		err = engine_read(v, va + c->l.va_start, &pair[0], 8);
		err = err ?: engine_read(v, va + c->l.va_end, &pair[1], 8);
		err = err ?: engine_read_u64(v, node + c->l.rb_left, &kids[0]);
		err = err ?: engine_read_u64(v, node + c->l.rb_right, &kids[1]);
		if (err)
			return engine_fail(v, err, "vmap area 0x%llx is unreadable",
					   (unsigned long long)va);
		if (pair[0] < pair[1] && pair[1] > HIDDEN_MODULES_START &&
		    pair[0] < HIDDEN_MODULES_END &&
		    !carve_known(c, pair[0], pair[1])) {
			err = carve_area(v, c, pair[0] < HIDDEN_MODULES_START ?
					 HIDDEN_MODULES_START : pair[0], pair[1]);
			if (err)
				return err;
		}
		/* Sorted by address: only subtrees that reach the range. */
		if (pair[0] <= HIDDEN_MODULES_START)
			kids[0] = 0;
		if (pair[1] >= HIDDEN_MODULES_END)
			kids[1] = 0;
		for (i = 0; i < 2; i++) {
			if (!kids[i])
				continue;
			if (d >= HIDDEN_RB_DEPTH_MAX)
				return engine_fail(v, -ELOOP,
					"vmap areas: tree deeper than %u (a cycle?)",
					HIDDEN_RB_DEPTH_MAX);
			stack[sp] = kids[i];
			depth[sp++] = d + 1;
		}
	}
	return 0;
}

/* The roots of the busy vmap area trees: per node (6.9+) or one. */
static int carve_roots(struct vmiaas *v, struct carve_ctx *c)
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
				    carve_tree(v, c, root);
		}
		return err;
	}
	if (engine_sym(v, "vmap_area_root", &sym))
		return engine_fail(v, -ENOEXEC,
			"the kernel has neither vmap_nodes nor vmap_area_root");
	if (btf_offsetof(v->btf, "rb_root", "rb_node", &off) ||
	    engine_read_u64(v, sym + off, &root))
		return engine_fail(v, -EFAULT, "vmap_area_root is unreadable");
	return carve_tree(v, c, root);
}

/* The memory regions of each module on the list, sorted. */
static int carve_known_regions(struct vmiaas *v, struct carve_ctx *c)
{
	size_t i;
	u32 j, len;
	u64 base;

	for (i = 0; i < c->mods->list.nr; i++) {
		u64 mod = c->mods->list.a[i].key;

		if (engine_read(v, mod, c->mod, c->l.size))
			continue;
		for (j = 0; j < c->l.nr_regions; j++) {
			struct item *it;

			base = get_u64(c->mod, c->l.base[j]);
			len = get_u32(c->mod, c->l.len[j]);
			if (!base || !len)
				continue;
			it = items_add(&c->regions);
			if (!it)
				return -ENOMEM;
			it->key = base;
			it->aux = base + len;
		}
	}
	items_sort(&c->regions);
	return 0;
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
	free(c.regions.a);
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
	snprintf(f->message, sizeof(f->message),
		 "module %s (struct module 0x%llx) %s", it->name,
		 (unsigned long long)it->key, what[it->kind]);
}

int hidden_check_modules(struct vmiaas *v, const struct hidden_sink *s)
{
	return scan_twice(v, mod_scan, mod_report, s);
}

/* ---- hidden-process ---- */

enum {
	TASK_IN_IDR_NOT_LIST,
	TASK_IN_LIST_NOT_IDR,
	TASK_ON_RQ_ONLY,
};

struct pid_ctx {
	struct items idr;
	u32 pid_tasks, pid_nr, pid_links;
};

static int pid_visit(struct vmiaas *v, u64 pid, u64 index, void *arg)
{
	struct pid_ctx *c = arg;
	u64 node;
	u32 n = 0;
	s32 nr;
	int err;

	if (!kernel_ptr(pid))
		return engine_fail(v, -EBADMSG,
			"pid IDR entry %llu is 0x%llx, not a kernel pointer",
			(unsigned long long)index, (unsigned long long)pid);
	err = engine_read(v, pid + c->pid_nr, &nr, sizeof(nr));
	err = err ?: engine_read_u64(v, pid + c->pid_tasks, &node);
	while (!err && node) {
		struct item *it;

		if (!kernel_ptr(node) || ++n > HIDDEN_PID_TASKS_MAX)
			return engine_fail(v, -EBADMSG,
				"pid %d: corrupt task list (0x%llx after %u)",
				nr, (unsigned long long)node, n);
		it = items_add(&c->idr);
		if (!it)
			return -ENOMEM;
		it->key = node - c->pid_links;
		it->pid = nr;
		err = engine_read_u64(v, node, &node);
	}
	if (err)
		return engine_fail(v, err, "struct pid 0x%llx is unreadable",
				   (unsigned long long)pid);
	return 0;
}

static int idr_tasks(struct vmiaas *v, struct pid_ctx *c)
{
	u32 head_off, shift_off, slots_off, slots_size, upid_nr;
	char path[32];
	u64 ns, head;
	s64 type;
	int err;

	if (btf_enum_value(v->btf, "PIDTYPE_PID", &type) || type < 0 ||
	    type > 8)
		return layout_fail(v, "pid_type", "PIDTYPE_PID");
	snprintf(path, sizeof(path), "tasks[%lld]", (long long)type);
	RESOLVE(v, "pid", path, &c->pid_tasks);
	/* numbers[] is a flexible array: level 0 is the init namespace. */
	RESOLVE(v, "pid", "numbers", &c->pid_nr);
	RESOLVE(v, "upid", "nr", &upid_nr);
	c->pid_nr += upid_nr;
	snprintf(path, sizeof(path), "pid_links[%lld]", (long long)type);
	RESOLVE(v, "task_struct", path, &c->pid_links);
	RESOLVE(v, "pid_namespace", "idr.idr_rt.xa_head", &head_off);
	RESOLVE(v, "xa_node", "shift", &shift_off);
	RESOLVE(v, "xa_node", "slots", &slots_off);
	if (btf_member_size(v->btf, "xa_node", "slots", &slots_size))
		return layout_fail(v, "xa_node", "slots");
	if (engine_sym(v, "init_pid_ns", &ns))
		return engine_fail(v, -ENOEXEC, "the kernel has no init_pid_ns");
	err = engine_read_u64(v, ns + head_off, &head);
	if (err)
		return engine_fail(v, err, "init_pid_ns is unreadable");
	return hidden_xa_walk(v, head, shift_off, slots_off, slots_size / 8,
			      pid_visit, c);
}

/*
 * The run queues: each possible CPU's rq (the per-cpu "runqueues" at
 * __per_cpu_offset[cpu]), its curr, the CFS timeline (group entities,
 * my_q != NULL, are descended into), the RT priority lists and the
 * deadline tree. Each task found is added to @out with aux = its CPU.
 */
struct rq_ctx {
	struct items *out;
	u64 rq, idle;
	u32 cpu, nodes, visits, depth;
	u32 rq_size, rq_curr, rq_idle, rq_cfs, rq_rt, rq_dl;
	u32 cfs_root, se_node, se_my_q, t_se;
	u32 rt_queue, rt_queue_size, rt_run_list, rt_my_q, t_rt;
	bool have_rt_my_q;
	u32 dl_root, dl_node, t_dl;
	u32 rb_left, rb_right;
};

static int rq_add(struct rq_ctx *c, u64 task)
{
	struct item *it;

	if (!kernel_ptr(task) || task == c->idle)
		return 0;
	if (++c->nodes > HIDDEN_RQ_TASKS_MAX)
		return -ELOOP;
	it = items_add(c->out);
	if (!it)
		return -ENOMEM;
	it->key = task;
	it->aux = c->cpu;
	return 0;
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
		return rq_add(c, se - c->t_se);
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
	return rq_add(c, rt_se - c->t_rt);
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
	return rq_add(c, dl_se - c->t_dl);
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
	err = rq_add(c, curr);
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

/* Tasks on the run queues of every possible CPU, into @out. */
static int rq_tasks(struct vmiaas *v, struct items *out)
{
	struct rq_ctx c = { .out = out };
	u64 runqueues, offsets, cpu_off;
	u32 nr_cpus;
	int err;

	err = rq_layout(v, &c);
	if (err)
		return err;
	if (engine_sym(v, "runqueues", &runqueues) ||
	    engine_sym(v, "__per_cpu_offset", &offsets))
		return engine_fail(v, -ENOEXEC,
			"the kernel has no runqueues or __per_cpu_offset");
	if (engine_sym(v, "nr_cpu_ids", &cpu_off) ||
	    engine_read(v, cpu_off, &nr_cpus, sizeof(nr_cpus)))
		return engine_fail(v, -ENOEXEC,
			"the kernel's nr_cpu_ids is unreadable");
	if (!nr_cpus || nr_cpus > HIDDEN_RQ_CPUS_MAX)
		return engine_fail(v, -EBADMSG,
			"nr_cpu_ids is %u (at most %u supported)", nr_cpus,
			HIDDEN_RQ_CPUS_MAX);
	for (c.cpu = 0; c.cpu < nr_cpus; c.cpu++) {
		err = engine_read_u64(v, offsets + 8ULL * c.cpu, &cpu_off);
		if (err)
			return engine_fail(v, err,
				"__per_cpu_offset[%u] is unreadable", c.cpu);
		c.rq = runqueues + cpu_off;
		err = rq_walk_one(v, &c);
		if (err)
			return err;
	}
	return 0;
}

/* Tasks on a run queue, on neither the task list nor the IDR, into @out. */
static int rq_only(struct vmiaas *v, const struct items *list,
		   const struct items *idr, struct items *out, u32 comm_off)
{
	struct items rq = {};
	u32 pid_off, exit_off;
	s32 exit_state;
	size_t i;
	int err;

	RESOLVE(v, "task_struct", "pid", &pid_off);
	RESOLVE(v, "task_struct", "exit_state", &exit_off);
	err = rq_tasks(v, &rq);
	items_sort(&rq);
	for (i = 0; !err && i < rq.nr; i++) {
		struct item *it;
		char comm[16] = "";

		if ((i && rq.a[i].key == rq.a[i - 1].key) ||
		    items_has(list, rq.a[i].key) || items_has(idr, rq.a[i].key))
			continue;
		/* A task past __unhash_process() runs until its last schedule. */
		if (engine_read(v, rq.a[i].key + exit_off, &exit_state,
				sizeof(exit_state)) || exit_state)
			continue;
		it = items_add(out);
		if (!it) {
			err = -ENOMEM;
			break;
		}
		it->key = rq.a[i].key;
		it->aux = rq.a[i].aux;
		it->kind = TASK_ON_RQ_ONLY;
		if (engine_read(v, it->key + pid_off, &it->pid, sizeof(it->pid)))
			it->pid = -1;
		if (!engine_read(v, it->key + comm_off, comm, sizeof(comm)))
			clean_name(it->name, sizeof(it->name), comm,
				   sizeof(comm));
	}
	free(rq.a);
	return err;
}

static int pid_scan(struct vmiaas *v, struct items *out)
{

	struct pid_ctx c = {};
	struct vmiaas_task *t = NULL;
	struct items list = {};
	struct item *it;
	size_t nr = 0, i;
	u32 comm_off;
	int err;

	err = btf_offsetof(v->btf, "task_struct", "comm", &comm_off) ?
	      layout_fail(v, "task_struct", "comm") : 0;
	err = err ?: idr_tasks(v, &c);
	err = err ?: vmiaas_tasks(v, &t, &nr);
	if (err)
		goto out;
	for (i = 0; i < nr && !err; i++) {
		it = items_add(&list);
		if (!it) {
			err = -ENOMEM;
			break;
		}
		it->key = t[i].addr;
	}
	items_sort(&list);
	items_sort(&c.idr);
	for (i = 0; i < c.idr.nr && !err; i++) {
		char comm[16] = "";

		if (items_has(&list, c.idr.a[i].key))
			continue;
		it = items_add(out);
		if (!it) {
			err = -ENOMEM;
			break;
		}
		*it = c.idr.a[i];
		it->kind = TASK_IN_IDR_NOT_LIST;
		if (!engine_read(v, it->key + comm_off, comm, sizeof(comm)))
			clean_name(it->name, sizeof(it->name), comm,
				   sizeof(comm));
	}
	for (i = 0; i < nr && !err; i++) {
		if (items_has(&c.idr, t[i].addr))
			continue;
		it = items_add(out);
		if (!it) {
			err = -ENOMEM;
			break;
		}
		it->key = t[i].addr;
		it->pid = t[i].pid;
		it->kind = TASK_IN_LIST_NOT_IDR;
		clean_name(it->name, sizeof(it->name), t[i].comm,
			   sizeof(t[i].comm));
	}
	if (!err)
		err = rq_only(v, &list, &c.idr, out, comm_off);
out:
	free(t);
	free(list.a);
	free(c.idr.a);
	return err;
}

static void pid_report(struct vmiaas *v, const struct item *it,
		       const struct hidden_sink *s)
{
	struct vmiaas_finding *f;
	char object[96];

	snprintf(object, sizeof(object), "pid %d %s", it->pid, it->name);
	f = s->add(s->ctx, "hidden-process", VMIAAS_SEV_CRITICAL, object);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = it->key;
	if (it->kind == TASK_ON_RQ_ONLY)
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s, task_struct 0x%llx) is on CPU %llu's run queue but neither on the task list nor in the pid namespace's IDR",
			 it->pid, it->name, (unsigned long long)it->key,
			 (unsigned long long)it->aux);
	else
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s, task_struct 0x%llx) %s", it->pid,
			 it->name, (unsigned long long)it->key,
			 it->kind == TASK_IN_IDR_NOT_LIST ?
			 "is in the pid namespace's IDR but not on the task list" :
			 "is on the task list but not in the pid namespace's IDR");
}

int hidden_check_processes(struct vmiaas *v, const struct hidden_sink *s)
{
	return scan_twice(v, pid_scan, pid_report, s);
}

/* ---- credentials ---- */

enum {
	CRED_INIT,		/* a user task with init_cred */
	CRED_ESCALATED,		/* euid 0 under a non-root parent */
	CRED_SHARED,		/* one cred, two thread groups */
};

struct cred_layout {
	u32 uid, euid;
	u32 t_cred, t_real_parent, t_mm;
	u32 mm_exe, file_inode, i_mode, i_uid;
};

static int cred_layout_get(struct vmiaas *v, struct cred_layout *l)
{
	RESOLVE(v, "cred", "uid", &l->uid);
	RESOLVE(v, "cred", "euid", &l->euid);
	RESOLVE(v, "task_struct", "cred", &l->t_cred);
	RESOLVE(v, "task_struct", "real_parent", &l->t_real_parent);
	RESOLVE(v, "task_struct", "mm", &l->t_mm);
	RESOLVE(v, "mm_struct", "exe_file", &l->mm_exe);
	RESOLVE(v, "file", "f_inode", &l->file_inode);
	RESOLVE(v, "inode", "i_mode", &l->i_mode);
	RESOLVE(v, "inode", "i_uid", &l->i_uid);
	return 0;
}

/* uid and euid of @cred; false if unreadable. */
static bool cred_ids(struct vmiaas *v, const struct cred_layout *l, u64 cred,
		     u32 *uid, u32 *euid)
{
	return kernel_ptr(cred) &&
	       !engine_read(v, cred + l->uid, uid, sizeof(*uid)) &&
	       !engine_read(v, cred + l->euid, euid, sizeof(*euid));
}

/* Whether @mm's executable is a regular setuid file owned by root. */
static bool exe_setuid_root(struct vmiaas *v, const struct cred_layout *l,
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

static int cred_add(struct items *out, u32 kind, const struct vmiaas_task *t,
		    u64 aux)
{
	struct item *it = items_add(out);

	if (!it)
		return -ENOMEM;
	it->key = t->addr;
	it->kind = kind;
	it->aux = aux;
	it->pid = t->pid;
	clean_name(it->name, sizeof(it->name), t->comm, sizeof(t->comm));
	return 0;
}

static int cred_scan(struct vmiaas *v, struct items *out)
{
	struct vmiaas_task *t = NULL;
	struct items creds = {};
	struct cred_layout l;
	u64 init_cred, parent, pcred;
	size_t nr = 0, i, j;
	u32 uid, euid, puid, peuid;
	int err;

	err = cred_layout_get(v, &l);
	if (err)
		return err;
	if (engine_sym(v, "init_cred", &init_cred))
		return engine_fail(v, -ENOEXEC, "the kernel has no init_cred");
	err = vmiaas_tasks(v, &t, &nr);
	for (i = 0; !err && i < nr; i++) {
		const struct vmiaas_task *k = &t[i];
		struct item *it;

		if (k->flags & PF_KTHREAD)
			continue;
		if (k->cred == init_cred || k->real_cred == init_cred) {
			err = cred_add(out, CRED_INIT, k, 0);
			continue;
		}
		it = items_add(&creds);
		if (!it) {
			err = -ENOMEM;
			break;
		}
		/*
		 * Sharing is judged on real_cred: override_creds() points
		 * cred at shared structures for a while (overlayfs' mounter
		 * creds); real_cred only changes through commit_creds().
		 */
		it->key = k->real_cred;
		it->aux = k->tgid;
		it->kind = i;
		if ((!cred_ids(v, &l, k->cred, &uid, &euid) || euid) &&
		    (!cred_ids(v, &l, k->real_cred, &uid, &euid) || euid))
			continue;
		if (engine_read_u64(v, k->addr + l.t_real_parent, &parent) ||
		    !kernel_ptr(parent) ||
		    engine_read_u64(v, parent + l.t_cred, &pcred) ||
		    !cred_ids(v, &l, pcred, &puid, &peuid) || !puid || !peuid)
			continue;
		if (!exe_setuid_root(v, &l, k->mm))
			err = cred_add(out, CRED_ESCALATED, k, puid);
	}
	/* The same cred in two thread groups: fork copies it (copy_creds). */
	if (!err && creds.nr) {
		qsort(creds.a, creds.nr, sizeof(*creds.a), item_cmp);
		for (i = 1, j = 0; !err && i < creds.nr; i++) {
			if (creds.a[i].key != creds.a[j].key) {
				j = i;	/* the first task of a run of one cred */
				continue;
			}
			if (creds.a[i].aux != creds.a[j].aux)
				err = cred_add(out, CRED_SHARED,
					       &t[creds.a[i].kind],
					       t[creds.a[j].kind].pid);
		}
	}
	free(creds.a);
	free(t);
	return err;
}

static void cred_report(struct vmiaas *v, const struct item *it,
			const struct hidden_sink *s)
{
	struct vmiaas_finding *f;
	char object[96];

	snprintf(object, sizeof(object), "pid %d %s", it->pid, it->name);
	f = s->add(s->ctx, "credentials", VMIAAS_SEV_CRITICAL, object);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = it->key;
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
	default:
		snprintf(f->message, sizeof(f->message),
			 "task %d (%s) shares its cred with pid %llu of another thread group",
			 it->pid, it->name, (unsigned long long)it->aux);
	}
}

int hidden_check_creds(struct vmiaas *v, const struct hidden_sink *s)
{
	return scan_twice(v, cred_scan, cred_report, s);
}
