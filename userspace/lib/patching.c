// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Runtime patching of kernel text, from the kernel's own records (see
 * patching.h and docs/integrity.md, "Runtime patching").
 *
 * Every record is read from the guest and so attacker-controlled: counts
 * and indexes are capped, pointers checked with kernel_ptr() before they
 * are followed, lists walked with a cap. A site only ever explains bytes
 * the guest holds *now* at an address the kernel recorded; the baseline
 * needs no such check (it was taken while the guest was trusted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checks.h"
#include "kpslot.h"
#include "x86insn.h"
#include "list.h"
#include "patching.h"
#include "poke.h"
#include "u64set.h"

#define SITE_LEN	5	/* CALL/JMP rel32, the 5-byte NOP */
#define JCC_LEN		6	/* 0f 8x rel32: a static-call tail Jcc */

#define STATIC_CALL_SITE_TAIL	1UL
#define STATIC_CALL_SITE_FLAGS	3UL

#define KPROBE_FLAG_GONE	1U
#define KPROBE_FLAG_OPTIMIZED	4U
#define KPROBE_FLAG_FTRACE	8U

#define FTRACE_OPS_FL_IPMODIFY_DEFAULT	(1UL << 12)
#define FTRACE_OPS_FL_SAVE_REGS_DEFAULT	(1UL << 2)
#define KSYM_PREFIX_BPF_TRAMP	"bpf_trampoline_"
#define KSYM_PREFIX_BPF_DISP	"bpf_dispatcher_"	/* same length */
#define BPF_DISP_HALF		2048	/* PAGE_SIZE / 2: a dispatcher image half */
#define NO_MEMBER		((u32)-1)

static const u8 retinsn[] = { INSN_RET, 0xcc, 0xcc, 0xcc, 0xcc };

struct patch_site {
	u64 addr;
	u64 arg;	/* jump: target; static call: key; kprobe: detour,
			 * or (not optimized) the byte it saved */
	u32 len;
	u8 kind;	/* enum patch_kind */
	u8 flags;	/* SITE_* */
};

#define SITE_TAIL		(1U << 0)	/* static call: a tail call */
#define SITE_CALLER		(1U << 1)	/* ftrace_call in ftrace_caller */
#define SITE_OPTIMIZED		(1U << 2)	/* kprobe: optimized */
#define SITE_WAITING		(1U << 3)	/* kprobe: on optimizing_list */

#define PATCH_MOD_REGIONS	8	/* module.mem[] entries */

/*
 * Where modules are, for static call functions: each live module's text
 * and every region of its memory (the keys it defines are in its data).
 * 6.4+: mod->mem[] (MOD_TEXT from BTF's enum); earlier: core_layout,
 * text first (text_size), one allocation.
 */
struct sc_module {
	u64 mod;				/* struct module * */
	u64 text[2];				/* [start, end) */
	u64 mem[PATCH_MOD_REGIONS][2];		/* every region */
	u32 nr_mem;
};

struct sc_mod_layout {
	u32 nr, text, text_size;
	u32 base[PATCH_MOD_REGIONS], size[PATCH_MOD_REGIONS];
	u32 sources, use_node, use_source;	/* module_use lists */
};

struct patching {
	struct vmiaas *v;
	bool loaded;
	struct patch_site *sites;	/* sorted by addr */
	size_t nr_sites, cap_sites;
	struct u64set tramps;		/* what an ftrace site may CALL */
	u64 static_tramps[2];		/* ftrace_caller, ftrace_regs_caller */
	struct u64set callees;		/* what ftrace_call may CALL */
	struct u64set directs;		/* pairs: site ip, direct target */
	struct u64set lsm;		/* pairs: LSM static call key, hook */
	struct u64set kp_probed;	/* pairs: optimized probe, bytes 1..4 */
	u64 return_thunk, return_thunk_sym, sc_return0;
	u64 text_start, text_end;
	struct sc_module *mods;		/* for static call functions */
	size_t nr_mods;
	bool mods_loaded;
	struct sc_mod_layout mod_layout;
	struct u64set sc_updates;	/* pairs: key, function (update sites) */
	bool sc_updates_loaded;
	const struct vmiaas_baseline *base;	/* its text is scanned, or NULL */
	u64 run_va, run_len;		/* the run patching_explain() judges */
	const u8 *run_old;		/* its baseline bytes, or NULL */
	size_t counts[PATCH_KINDS];
	size_t nr_kp_waiting;		/* of counts[PATCH_KPROBE] */
	size_t nr_reverted;		/* bytes back to the baseline's */
	u64 reverted_at;		/* the first of them */
	u32 nr_waits;			/* runs read again (POKE_SITES_MAX) */
	u32 nr_reloads;			/* records read again (POKE_RELOADS_MAX) */
	bool busy_waited;		/* ftrace_lock waited for (once a check) */
	u32 nr_poke_loads;		/* bp_desc read again (POKE_LOADS_MAX) */
	u32 bpf_budget;			/* bpf_ksyms still to read */
	struct poke_batch pokes;	/* text_poke_bp_batch() in flight */
	char why[256];
	char rejected[320];		/* a site's bytes refused: why */
};

/* ---- small helpers ---- */

static u64 rel32_target(u64 insn, u32 insn_len, const u8 *rel)
{
	return insn + insn_len + (s64)(s32)vmi_get_u32(rel);
}

/* Records the first reason a kind of records is unavailable. */
static void why(struct patching *p, const char *what, int err)
{
	if (!p->why[0])
		snprintf(p->why, sizeof(p->why), "%s: %.200s", what,
			 p->v->diag.msg[0] ? p->v->diag.msg :
						 strerror(-err));
}

static int site_add(struct patching *p, u64 addr, u32 len, u8 kind,
		    u8 flags, u64 arg)
{
	struct patch_site *n;

	if (p->nr_sites >= PATCH_SITES_MAX)
		return engine_fail(p->v, -E2BIG, "more than %u patch sites",
				   PATCH_SITES_MAX);
	n = array_grow(p->sites, &p->cap_sites, p->nr_sites, sizeof(*n), 4096);
	if (!n)
		return -ENOMEM;
	p->sites = n;
	p->sites[p->nr_sites++] = (struct patch_site){
		.addr = addr, .arg = arg, .len = len, .kind = kind,
		.flags = flags,
	};
	return 0;
}

/*
 * By address; sites at one address by every other field, so that the
 * order is total: one sorted array per set of records, whatever order
 * they were read in (site_order_apply() relies on it).
 */
static int site_cmp(const void *a, const void *b)
{
	const struct patch_site *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->arg < y->arg ? -1 : x->arg > y->arg;
}

/*
 * The order of the last sort of the records, kept on the handle (struct
 * vmiaas.site_order): every check reads the records anew (the guest
 * patches its text at any time), yet from one check to the next they
 * are mostly the same tens of thousands of sites, read in the same order, and sorting
 * them was most of patching_explain()'s cost (docs/performance.md).
 * Sorted position i holds the site read at perm[i].
 */
struct site_order {
	u32 *perm;
	size_t nr;
};

void patching_order_free(struct site_order *o)
{
	if (o)
		free(o->perm);
	free(o);
}

static int site_idx_cmp(const void *a, const void *b, void *sites)
{
	const struct patch_site *s = sites;

	return site_cmp(&s[*(const u32 *)a], &s[*(const u32 *)b]);
}

/*
 * The last order applied to the records read now, into @out: true if
 * that is in site_cmp()'s order. The result is then a permutation of
 * these records in their total order, so exactly what sorting them gives;
 * records that changed (added, removed, moved) fail the test.
 */
static bool site_order_apply(const struct site_order *o,
			     const struct patch_site *sites, size_t nr,
			     struct patch_site *out)
{
	size_t i;

	if (!o || o->nr != nr)
		return false;
	for (i = 0; i < nr; i++) {
		out[i] = sites[o->perm[i]];
		if (i && site_cmp(&out[i - 1], &out[i]) > 0)
			return false;
	}
	return true;
}

/* Sorts the records read (site_cmp()), by the last order if it holds. */
static void sites_sort(struct patching *p)
{
	struct site_order *o = p->v->site_order;
	struct patch_site *out;
	size_t n = p->nr_sites, i;
	u32 *perm;

	if (n < 2)
		return;
	out = malloc(n * sizeof(*out));
	if (!out) {
		qsort(p->sites, n, sizeof(*p->sites), site_cmp);
		return;
	}
	if (!site_order_apply(o, p->sites, n, out)) {
		if (!o)
			o = p->v->site_order = calloc(1, sizeof(*o));
		perm = o ? realloc(o->perm, n * sizeof(*perm)) : NULL;
		if (!perm) {
			free(out);
			qsort(p->sites, n, sizeof(*p->sites), site_cmp);
			return;
		}
		for (i = 0; i < n; i++)
			perm[i] = (u32)i;
		qsort_r(perm, n, sizeof(*perm), site_idx_cmp, p->sites);
		o->perm = perm;
		o->nr = n;
		for (i = 0; i < n; i++)
			out[i] = p->sites[perm[i]];
	}
	free(p->sites);
	p->sites = out;
	p->cap_sites = n;
}

#define OFF(v, type, path, out)						\
	do {								\
		if (btf_offsetof((v)->btf, type, path, out))		\
			return engine_fail(v, -ENOENT,			\
				"no %s.%s in the kernel's BTF", type, path); \
	} while (0)

/* ---- jump entries and static call sites: the table readers ---- */

/* struct jump_entry { s32 code; s32 target; long key; } x @n at @start. */
static int add_jump_entries(struct patching *p, u64 start, u64 n, u32 size)
{
	u64 i;
	u8 *raw;
	int err;

	if (n > PATCH_SITES_MAX)
		return engine_fail(p->v, -E2BIG, "%llu jump entries at 0x%llx",
				   (unsigned long long)n,
				   (unsigned long long)start);
	raw = malloc(n * size + 1);
	if (!raw)
		return -ENOMEM;
	err = engine_read(p->v, start, raw, n * size);
	for (i = 0; !err && i < n; i++) {
		u64 e = start + i * size;
		const u8 *r = raw + i * size;

		err = site_add(p, rel32_target(e, 0, r), SITE_LEN,
			       PATCH_JUMP_LABEL, 0, rel32_target(e + 4, 0, r + 4));
	}
	free(raw);
	return err;
}

struct sc_layout {
	u32 size, o_addr, o_key;
};

static int sc_layout_get(struct vmiaas *v, struct sc_layout *l)
{
	l->size = 8;
	OFF(v, "static_call_site", "addr", &l->o_addr);
	OFF(v, "static_call_site", "key", &l->o_key);
	btf_sizeof(v->btf, "static_call_site", &l->size);
	if (l->size < 8 || l->o_addr > l->size - 4 || l->o_key > l->size - 4)
		return engine_fail(v, -EBADMSG, "struct static_call_site is malformed in BTF");
	return 0;
}

/* struct static_call_site { s32 addr; s32 key; } x @n at @start. */
static int add_static_call_sites(struct patching *p, const struct sc_layout *l,
				 u64 start, u64 n)
{
	u64 i;
	u8 *raw;
	int err;

	if (n > PATCH_SITES_MAX)
		return engine_fail(p->v, -E2BIG, "%llu static call sites at 0x%llx",
				   (unsigned long long)n,
				   (unsigned long long)start);
	raw = malloc(n * l->size + 1);
	if (!raw)
		return -ENOMEM;
	err = engine_read(p->v, start, raw, n * l->size);
	for (i = 0; !err && i < n; i++) {
		u64 e = start + i * l->size;
		const u8 *r = raw + i * l->size;
		u64 addr = rel32_target(e + l->o_addr, 0, r + l->o_addr);
		u64 key = rel32_target(e + l->o_key, 0, r + l->o_key);

		err = site_add(p, addr, JCC_LEN, PATCH_STATIC_CALL,
			       key & STATIC_CALL_SITE_TAIL ? SITE_TAIL : 0,
			       key & ~STATIC_CALL_SITE_FLAGS);
	}
	free(raw);
	return err;
}

/* ---- jump labels and static calls: the kernel's tables ---- */

static int load_jump_labels(struct patching *p)
{
	struct vmiaas *v = p->v;
	u64 start, stop;
	u32 size = 16;

	if (engine_sym(v, "__start___jump_table", &start) ||
	    engine_sym(v, "__stop___jump_table", &stop))
		return 0;		/* no jump labels in this kernel */
	btf_sizeof(v->btf, "jump_entry", &size);
	if (size < 12 || stop < start || (stop - start) % size)
		return engine_fail(v, -EBADMSG,
				   "__jump_table 0x%llx..0x%llx is malformed",
				   (unsigned long long)start,
				   (unsigned long long)stop);
	return add_jump_entries(p, start, (stop - start) / size, size);
}

static int load_static_calls(struct patching *p)
{
	struct vmiaas *v = p->v;
	struct sc_layout l;
	u64 start, stop;
	int err;

	if (engine_sym(v, "__start_static_call_sites", &start) ||
	    engine_sym(v, "__stop_static_call_sites", &stop))
		return 0;		/* no inline static calls */
	err = sc_layout_get(v, &l);
	if (err)
		return err;
	if (stop < start || (stop - start) % l.size)
		return engine_fail(v, -EBADMSG,
				   "static_call_sites 0x%llx..0x%llx is malformed",
				   (unsigned long long)start,
				   (unsigned long long)stop);
	return add_static_call_sites(p, &l, start, (stop - start) / l.size);
}

/*
 * Each live module's own jump table and static call sites
 * (module.jump_entries/num_jump_entries, static_call_sites/
 * num_static_call_sites; a kernel without them has neither member), for
 * module text.
 */
static int load_module_tables(struct patching *p)
{
	struct vmiaas *v = p->v;
	u32 o_je, o_nje, o_sc, o_nsc, size = 16, n32;
	bool jl, sc;
	struct vmiaas_module *m = NULL;
	struct sc_layout l;
	size_t nr = 0, i;
	u64 ptr;
	int err;

	jl = !btf_offsetof(v->btf, "module", "jump_entries", &o_je) &&
	     !btf_offsetof(v->btf, "module", "num_jump_entries", &o_nje);
	sc = !btf_offsetof(v->btf, "module", "static_call_sites", &o_sc) &&
	     !btf_offsetof(v->btf, "module", "num_static_call_sites", &o_nsc) &&
	     !sc_layout_get(v, &l);
	btf_sizeof(v->btf, "jump_entry", &size);
	if ((!jl && !sc) || size < 12)
		return 0;
	err = vmiaas_modules(v, &m, &nr);
	for (i = 0; !err && i < nr; i++) {
		if (jl) {
			err = engine_read_u64(v, m[i].addr + o_je, &ptr);
			err = err ?: engine_read(v, m[i].addr + o_nje, &n32, 4);
			if (!err && n32 && kernel_ptr(ptr))
				err = add_jump_entries(p, ptr, n32, size);
		}
		if (sc && !err) {
			err = engine_read_u64(v, m[i].addr + o_sc, &ptr);
			err = err ?: engine_read(v, m[i].addr + o_nsc, &n32, 4);
			if (!err && n32 && kernel_ptr(ptr))
				err = add_static_call_sites(p, &l, ptr, n32);
		}
	}
	free(m);
	return err;
}

/*
 * 6.9+: the LSM hooks are static calls, and static_calls_table (ro_after_init,
 * measured by kernel-rodata) ties each slot's key to the hook registered
 * for it (hl->hook; no hl: an unused slot, NULL). The keys themselves are
 * writable, so a key of the table must call exactly that hook.
 */
static int load_lsm_static_calls(struct patching *p)
{
	struct vmiaas *v = p->v;
	u32 o_key, o_hl, o_hook, size, ent;
	u64 table, i, key, hl, hook;
	int err = 0;

	if (engine_sym(v, "static_calls_table", &table))
		return 0;		/* LSM hooks are not static calls */
	OFF(v, "lsm_static_call", "key", &o_key);
	OFF(v, "lsm_static_call", "hl", &o_hl);
	OFF(v, "security_hook_list", "hook", &o_hook);
	if (btf_sizeof(v->btf, "lsm_static_calls_table", &size) ||
	    btf_sizeof(v->btf, "lsm_static_call", &ent) || ent < 16 ||
	    size % ent || size / ent > PATCH_LSM_SLOTS_MAX)
		return engine_fail(v, -EBADMSG,
				   "lsm_static_calls_table is malformed in BTF");
	for (i = 0; !err && i < size / ent; i++) {
		err = engine_read_u64(v, table + i * ent + o_key, &key);
		err = err ?: engine_read_u64(v, table + i * ent + o_hl, &hl);
		if (err || !key)
			continue;
		hook = 0;
		if (hl && (!kernel_ptr(hl) ||
			   engine_read_u64(v, hl + o_hook, &hook)))
			return engine_fail(v, -EBADMSG,
				"static_calls_table[%llu]: bad hook list 0x%llx",
				(unsigned long long)i, (unsigned long long)hl);
		err = u64set_add(&p->lsm, key);
		err = err ?: u64set_add(&p->lsm, hook);
	}
	u64set_pairs_sort(&p->lsm);
	return err;
}

/* False if @key is an LSM slot's and @func is not its registered hook. */
static bool lsm_key_ok(const struct patching *p, u64 key, u64 func)
{
	const u64 *pair = u64set_pairs_find(&p->lsm, key);

	return !pair || pair[1] == func;
}

/* ---- ftrace: the ops list, the records, direct calls ---- */

struct ops_layout {
	u32 func, next, flags, func_hash, tramp;
	u32 filter_hash;			/* in struct ftrace_ops_hash */
	u32 bits, buckets, count;		/* struct ftrace_hash */
	u32 fe_ip, fe_direct, fe_hlist;		/* struct ftrace_func_entry */
	u64 list_end;
	u64 ipmodify;
};

static int ops_layout_get(struct vmiaas *v, struct ops_layout *l)
{
	s64 ipmod;

	OFF(v, "ftrace_ops", "func", &l->func);
	OFF(v, "ftrace_ops", "next", &l->next);
	OFF(v, "ftrace_ops", "flags", &l->flags);
	OFF(v, "ftrace_ops", "func_hash", &l->func_hash);
	OFF(v, "ftrace_ops", "trampoline", &l->tramp);
	OFF(v, "ftrace_ops_hash", "filter_hash", &l->filter_hash);
	OFF(v, "ftrace_hash", "size_bits", &l->bits);
	OFF(v, "ftrace_hash", "buckets", &l->buckets);
	OFF(v, "ftrace_hash", "count", &l->count);
	OFF(v, "ftrace_func_entry", "ip", &l->fe_ip);
	OFF(v, "ftrace_func_entry", "hlist", &l->fe_hlist);
	if (btf_offsetof(v->btf, "ftrace_func_entry", "direct", &l->fe_direct))
		l->fe_direct = NO_MEMBER;
	l->ipmodify = btf_enum_value(v->btf, "FTRACE_OPS_FL_IPMODIFY",
				     &ipmod) || ipmod <= 0 ?
		      FTRACE_OPS_FL_IPMODIFY_DEFAULT : (u64)ipmod;
	if (engine_sym(v, "ftrace_list_end", &l->list_end))
		return engine_fail(v, -ENOENT, "no ftrace_list_end symbol");
	return 0;
}

/*
 * Calls @fn for each registered ftrace_ops: ftrace_ops_list, linked by
 * ->next, ends at &ftrace_list_end; then for the ops being unregistered,
 * if any. ftrace_shutdown() takes an ops off the list first and only then
 * turns its call sites back (ftrace_run_update_code(), seconds for every
 * site under emulation), with the ops in removed_ops meanwhile: its sites
 * still call its trampoline. Visited like a listed ops, it explains
 * nothing a listed ops would not (its trampoline verified, its callback
 * judged as a hook).
 */
static int ops_walk(struct vmiaas *v, const struct ops_layout *l,
		    int (*fn)(struct vmiaas *v, const struct ops_layout *l,
			      u64 ops, void *arg),
		    void *arg)
{
	u64 list, ops, removed = 0;
	u32 n = 0;
	int err;

	if (engine_sym(v, "ftrace_ops_list", &list))
		return engine_fail(v, -ENOENT, "no ftrace_ops_list symbol");
	err = engine_read_u64(v, list, &ops);
	if (!err && !engine_sym(v, "removed_ops", &removed))
		err = engine_read_u64(v, removed, &removed);
	while (!err && ops != l->list_end) {
		if (!kernel_ptr(ops))
			return engine_fail(v, -EBADMSG,
				"ftrace_ops_list: bad pointer 0x%llx after %u ops",
				(unsigned long long)ops, n);
		if (++n > PATCH_OPS_MAX)
			return engine_fail(v, -ELOOP,
				"ftrace_ops_list: more than %u ops (a cycle?)",
				PATCH_OPS_MAX);
		if (ops == removed)
			removed = 0;	/* on the list too: visited once */
		err = fn(v, l, ops, arg);
		if (!err)
			err = engine_read_u64(v, ops + l->next, &ops);
	}
	if (err || !removed)
		return err;
	if (!kernel_ptr(removed))
		return engine_fail(v, -EBADMSG, "removed_ops: bad pointer 0x%llx",
				   (unsigned long long)removed);
	return fn(v, l, removed, arg);
}

struct hash_entries {
	const struct ops_layout *l;
	int (*fn)(u64 ip, u64 direct, void *arg);
	void *arg;
};

static int hash_entry(struct vmiaas *v, u64 node, void *arg)
{
	const struct hash_entries *h = arg;
	u64 entry = node - h->l->fe_hlist, ip, direct = 0;
	int err;

	err = engine_read_u64(v, entry + h->l->fe_ip, &ip);
	if (!err && h->l->fe_direct != NO_MEMBER)
		err = engine_read_u64(v, entry + h->l->fe_direct, &direct);
	return err ?: h->fn(ip, direct, h->arg);
}

/*
 * Calls @fn(ip, direct) for each entry of the struct ftrace_hash at
 * @hash (may be NULL: empty). Buckets and chains are bounded.
 */
static int hash_walk(struct vmiaas *v, const struct ops_layout *l, u64 hash,
		     int (*fn)(u64 ip, u64 direct, void *arg), void *arg)
{
	struct hash_entries h = { .l = l, .fn = fn, .arg = arg };
	u64 bits, buckets;
	int err;

	if (!hash)
		return 0;
	if (!kernel_ptr(hash))
		return engine_fail(v, -EBADMSG, "ftrace_hash 0x%llx is not a kernel pointer",
				   (unsigned long long)hash);
	err = engine_read_u64(v, hash + l->bits, &bits);
	err = err ?: engine_read_u64(v, hash + l->buckets, &buckets);
	if (err)
		return err;
	if (bits > PATCH_HASH_BITS_MAX || (buckets && !kernel_ptr(buckets)))
		return engine_fail(v, -EBADMSG,
				   "ftrace_hash 0x%llx: size_bits %llu, buckets 0x%llx",
				   (unsigned long long)hash,
				   (unsigned long long)bits,
				   (unsigned long long)buckets);
	return hlist_heads_walk(v, "ftrace_hash buckets", buckets,
				buckets ? 1ULL << bits : 0,
				PATCH_HASH_ENTRIES_MAX, hash_entry, &h);
}

/*
 * A dynamic trampoline is the kernel's copy of ftrace_caller (or of
 * ftrace_regs_caller for SAVE_REGS ops) with four changes made by
 * create_trampoline(): the "mov function_trace_op(%rip),%rdx" now loads
 * the ops pointer stored after the copy's return, the call at
 * ftrace_call calls the ops' function, the regs variant's 2-byte jnz at
 * ftrace_regs_caller_jmp is a NOP, and rip-relative displacements may be
 * relocated (same absolute target). Anything else differing is not the
 * kernel's doing.
 */
struct tramp_tmpl {
	u64 start, end, op, call, jmp;
};

#define TRAMP_SIZE_MAX	4096
#define OP_REF_SIZE	7	/* 48 8b 15 disp32 */

static int tmpl_get(struct vmiaas *v, bool regs, struct tramp_tmpl *t)
{
	const char *const names[2][5] = {
		{ "ftrace_caller", "ftrace_caller_end", "ftrace_caller_op_ptr",
		  "ftrace_call", NULL },
		{ "ftrace_regs_caller", "ftrace_regs_caller_end",
		  "ftrace_regs_caller_op_ptr", "ftrace_regs_call",
		  "ftrace_regs_caller_jmp" },
	};
	const char *const *n = names[regs];

	t->jmp = 0;
	if (engine_sym(v, n[0], &t->start) || engine_sym(v, n[1], &t->end) ||
	    engine_sym(v, n[2], &t->op) || engine_sym(v, n[3], &t->call) ||
	    (n[4] && engine_sym(v, n[4], &t->jmp)))
		return -ENOENT;
	if (t->end <= t->start || t->end - t->start > TRAMP_SIZE_MAX ||
	    t->op < t->start || t->op + OP_REF_SIZE > t->end ||
	    t->call < t->start || t->call + 5 > t->end ||
	    (t->jmp && (t->jmp < t->start || t->jmp + 2 > t->end)))
		return -EBADMSG;
	return 0;
}

/* Bytes [i, i + n) of the copy are one of create_trampoline()'s edits. */
static bool in_edit(const struct tramp_tmpl *t, u64 i, u64 n)
{
	u64 op = t->op - t->start, call = t->call - t->start;
	u64 jmp = t->jmp ? t->jmp - t->start : (u64)-1;

	return (i < op + OP_REF_SIZE && i + n > op) ||
	       (i < call + 5 && i + n > call) ||
	       (t->jmp && i < jmp + 2 && i + n > jmp);
}

/*
 * Whether the copy @got of code @want (@n bytes) differs only where a
 * disp32 was relocated (the same absolute target from the copy: the
 * field differs by @shift, the original's address minus the copy's) or
 * inside @edits (may be NULL).
 */
static bool same_but_relocated(const u8 *got, const u8 *want, u64 n,
			       s32 shift, const struct tramp_tmpl *edits)
{
	u64 i, w;

	for (i = 0; i < n; i++) {
		if (got[i] == want[i] || (edits && in_edit(edits, i, 1)))
			continue;
		for (w = i > 3 ? i - 3 : 0; w <= i; w++)
			if (w + 4 <= n && !(edits && in_edit(edits, w, 4)) &&
			    (s32)(vmi_get_u32(got + w) - vmi_get_u32(want + w)) == shift)
				break;
		if (w > i)
			return false;
		i = w + 3;
	}
	return true;
}

static int tramp_bad(struct vmiaas *v, u64 ops, u64 tramp, const char *why_)
{
	return engine_fail(v, -EBADMSG,
			   "ftrace_ops 0x%llx: trampoline 0x%llx is not the kernel's copy of ftrace_caller: %s",
			   (unsigned long long)ops, (unsigned long long)tramp,
			   why_);
}

static int tramp_verify(struct patching *p, u64 ops, u64 flags, u64 tramp,
			u64 func, u64 save_regs)
{
	static const u32 ret_sizes[] = { 1, 2, 5 };	/* ret, +int3, jmp */
	u8 tm[TRAMP_SIZE_MAX], tr[TRAMP_SIZE_MAX + 16];
	struct vmiaas *v = p->v;
	struct tramp_tmpl t;
	u64 size, i, ptr = 0, target;
	s32 shift;
	size_t k;
	int err;

	err = tmpl_get(v, flags & save_regs, &t);
	if (err)
		return engine_fail(v, err, "no ftrace_caller template symbols");
	size = t.end - t.start;
	shift = (s32)(t.start - tramp);
	if ((s64)shift != (s64)(t.start - tramp))
		return tramp_bad(v, ops, tramp, "out of rel32 reach");
	err = engine_read(v, t.start, tm, size);
	err = err ?: engine_read(v, tramp, tr, size + 5 + 8);
	if (err)
		return tramp_bad(v, ops, tramp, "unreadable");
	for (k = 0; k < ARRAY_SIZE(ret_sizes); k++)
		if (vmi_get_u64(tr + size + ret_sizes[k]) == ops)
			ptr = tramp + size + ret_sizes[k];
	if (!ptr)
		return tramp_bad(v, ops, tramp, "no pointer to its ops after it");
	i = t.op - t.start;
	if (memcmp(tr + i, "\x48\x8b\x15", 3) ||
	    rel32_target(tramp + i, OP_REF_SIZE, tr + i + 3) != ptr)
		return tramp_bad(v, ops, tramp, "its ops reference is elsewhere");
	i = t.call - t.start;
	target = rel32_target(tramp + i, 5, tr + i + 1);
	if (tr[i] != INSN_CALL ||
	    (target != func && !(target && u64set_has(&p->callees, target))))
		return tramp_bad(v, ops, tramp, "its call is not to the ops' function");
	if (t.jmp && memcmp(tr + (t.jmp - t.start), x86_nop2, 2))
		return tramp_bad(v, ops, tramp, "the regs variant's jnz is not a NOP");
	if (!same_but_relocated(tr, tm, size, shift, &t))
		return tramp_bad(v, ops, tramp, "its code differs");
	return 0;
}

struct tramp_walk {
	struct patching *p;
	u64 save_regs;
	int pass;		/* 0: functions; 1: trampolines */
};

static int tramp_collect(struct vmiaas *v, const struct ops_layout *l,
			 u64 ops, void *arg)
{
	struct tramp_walk *tw = arg;
	struct patching *p = tw->p;
	u64 tramp, func, flags;
	int err;

	err = engine_read_u64(v, ops + l->tramp, &tramp);
	err = err ?: engine_read_u64(v, ops + l->func, &func);
	err = err ?: engine_read_u64(v, ops + l->flags, &flags);
	if (err)
		return err;
	if (tw->pass == 0)
		return func ? u64set_add(&p->callees, func) : 0;
	/* none, or ftrace_caller/ftrace_regs_caller themselves (measured) */
	if (!tramp || tramp == p->static_tramps[0] ||
	    tramp == p->static_tramps[1])
		return 0;
	/* an unverified trampoline explains no site (why says which) */
	if (tramp_verify(p, ops, flags, tramp, func, tw->save_regs)) {
		why(p, "ftrace trampolines", -EBADMSG);
		return 0;
	}
	return u64set_add(&p->tramps, tramp);
}

static int direct_collect(u64 ip, u64 direct, void *arg)
{
	struct patching *p = arg;
	int err;

	err = u64set_add(&p->directs, ip);
	return err ?: u64set_add(&p->directs, direct);
}

/* What ftrace sites and ftrace_caller's calls may call now. */
static int load_ftrace_targets(struct patching *p)
{
	static const char *const tramps[] = {
		"ftrace_caller", "ftrace_regs_caller",
	};
	static const char *const callees[] = {
		"ftrace_stub", "ftrace_ops_list_func",
		"arch_ftrace_ops_list_func", "ftrace_ops_assist_func",
		"ftrace_ops_no_ops",
	};
	struct vmiaas *v = p->v;
	struct ops_layout l;
	u64 a, hash;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(tramps); i++) {
		if (engine_sym(v, tramps[i], &a))
			continue;
		p->static_tramps[i] = a;
		if (u64set_add(&p->tramps, a))
			return -ENOMEM;
	}
	for (i = 0; i < ARRAY_SIZE(callees); i++)
		if (!engine_sym(v, callees[i], &a) && u64set_add(&p->callees, a))
			return -ENOMEM;
	err = ops_layout_get(v, &l);
	if (!err) {
		struct tramp_walk tw = { .p = p };
		s64 regs;

		tw.save_regs = btf_enum_value(v->btf, "FTRACE_OPS_FL_SAVE_REGS",
					      &regs) || regs <= 0 ?
			       FTRACE_OPS_FL_SAVE_REGS_DEFAULT : (u64)regs;
		err = ops_walk(v, &l, tramp_collect, &tw);
		u64set_sort(&p->callees);
		tw.pass = 1;
		err = err ?: ops_walk(v, &l, tramp_collect, &tw);
	}
	if (!err && !engine_sym(v, "direct_functions", &a)) {
		err = engine_read_u64(v, a, &hash);
		err = err ?: hash_walk(v, &l, hash, direct_collect, p);
	}
	u64set_pairs_sort(&p->directs);
	u64set_sort(&p->tramps);
	u64set_sort(&p->callees);
	return err;
}

static int load_ftrace_records(struct patching *p)
{
	struct vmiaas *v = p->v;
	u32 o_next, o_recs, o_index, o_ip, rec_size;
	u64 start, pg, recs, i;
	u32 pages = 0, index;
	u8 *raw = NULL;
	int err = 0;

	if (engine_sym(v, "ftrace_pages_start", &start))
		return 0;		/* no dynamic ftrace */
	OFF(v, "ftrace_page", "next", &o_next);
	OFF(v, "ftrace_page", "records", &o_recs);
	OFF(v, "ftrace_page", "index", &o_index);
	OFF(v, "dyn_ftrace", "ip", &o_ip);
	if (btf_sizeof(v->btf, "dyn_ftrace", &rec_size) || rec_size < 8 ||
	    o_ip > rec_size - 8 || rec_size > 256)
		return engine_fail(v, -EBADMSG, "struct dyn_ftrace is malformed in BTF");
	raw = malloc((size_t)PATCH_FTRACE_PAGE_RECS * rec_size);
	if (!raw)
		return -ENOMEM;
	err = engine_read_u64(v, start, &pg);
	while (!err && pg) {
		if (!kernel_ptr(pg) || ++pages > PATCH_FTRACE_PAGES_MAX) {
			err = engine_fail(v, -ELOOP,
				"ftrace pages: bad page 0x%llx or more than %u pages",
				(unsigned long long)pg, PATCH_FTRACE_PAGES_MAX);
			break;
		}
		err = engine_read_u64(v, pg + o_recs, &recs);
		err = err ?: engine_read(v, pg + o_index, &index, sizeof(index));
		if (err)
			break;
		if (index > PATCH_FTRACE_PAGE_RECS || (index && !kernel_ptr(recs))) {
			err = engine_fail(v, -EBADMSG,
				"ftrace page 0x%llx: %u records at 0x%llx",
				(unsigned long long)pg, index,
				(unsigned long long)recs);
			break;
		}
		err = engine_read(v, recs, raw, (size_t)index * rec_size);
		for (i = 0; !err && i < index; i++)
			err = site_add(p, vmi_get_u64(raw + i * rec_size + o_ip),
				       SITE_LEN, PATCH_FTRACE, 0, 0);
		err = err ?: engine_read_u64(v, pg + o_next, &pg);
	}
	free(raw);
	return err;
}

/* ftrace_call and ftrace_regs_call: the calls inside ftrace_caller. */
static int load_ftrace_callers(struct patching *p)
{
	static const char *const names[] = { "ftrace_call", "ftrace_regs_call" };
	u64 a;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < ARRAY_SIZE(names); i++)
		if (!engine_sym(p->v, names[i], &a))
			err = site_add(p, a, SITE_LEN, PATCH_FTRACE,
				       SITE_CALLER, 0);
	return err;
}

/* ---- kprobes: kprobe_table, optprobe detour buffers ---- */

struct kprobe_visit {
	u32 o_hlist;
	int (*fn)(struct vmiaas *v, u64 kp, void *arg);
	void *arg;
};

static int kprobe_visit(struct vmiaas *v, u64 node, void *arg)
{
	const struct kprobe_visit *k = arg;

	return k->fn(v, node - k->o_hlist, k->arg);
}

/*
 * Calls @fn(kp) for each struct kprobe on kprobe_table's hash chains
 * (an aggregated probe's children hang off its list, not off the table).
 */
static int kprobe_table_walk(struct vmiaas *v, u64 table,
			     int (*fn)(struct vmiaas *v, u64 kp, void *arg),
			     void *arg)
{
	struct kprobe_visit k = { .fn = fn, .arg = arg };

	OFF(v, "kprobe", "hlist", &k.o_hlist);
	return hlist_heads_walk(v, "kprobe_table", table, PATCH_KPROBE_TABLE,
				PATCH_KPROBES_MAX, kprobe_visit, &k);
}

static int optprobe_queued(struct vmiaas *v, u64 node, void *arg)
{
	struct u64set *queued = arg;
	u32 o_list, o_kp;

	OFF(v, "optimized_kprobe", "list", &o_list);
	OFF(v, "optimized_kprobe", "kp", &o_kp);
	return u64set_add(queued, node - o_list + o_kp);
}

/*
 * The probes waiting for the kprobe optimizer (optimizing_list, static in
 * kernel/kprobes.c, found through kallsyms): flagged OPTIMIZED by
 * optimize_kprobe(), their site still int3, their optinsn.copied_insn not
 * saved yet. A list that cannot be read leaves the set empty: such a
 * probe is then judged as an optimized one, and its site stays a finding.
 */
static void optprobes_queued(struct vmiaas *v, struct u64set *queued)
{
	u64 head;

	if (engine_sym(v, "optimizing_list", &head))
		return;
	if (list_walk(v, "optimizing_list", head, PATCH_KPROBES_MAX,
		      optprobe_queued, queued))
		queued->nr = 0;
	u64set_sort(queued);
}

/*
 * What arch_prepare_optimized_kprobe() writes into a detour buffer: the
 * optprobe template (optprobe_template_entry.._end, in rodata, measured)
 * with three edits -- the NOP3 at _clac maybe CLAC, "mov $op,%rdi" at
 * _val, "call optimized_callback" at _call --, then the probed
 * instructions (optinsn.size bytes; rip-relative displacements relocated)
 * and "jmp addr + size" back.
 */
struct opt_layout {
	u32 o_addr, o_flags, o_kp, o_insn, o_size, o_copied, o_opcode;
	u64 tmpl, clac, val, call, end, callback;
	struct u64set pages;		/* kprobe_optinsn_slots' pages */
	struct u64set queued;		/* probes on optimizing_list */
};

#define OPT_TMPL_MAX	512	/* the template is ~200 bytes */
#define OPT_COPY_MAX	32	/* > MAX_OPTIMIZED_LENGTH (16 + 4) */
#define OPT_VAL_LEN	10	/* 48 bf imm64 */
#define CLAC_LEN	3

static const u8 clac[CLAC_LEN] = { 0x0f, 0x01, 0xca };

static int opt_layout_get(struct vmiaas *v, struct opt_layout *o)
{
	static const char *const names[] = {
		"optprobe_template_entry", "optprobe_template_clac",
		"optprobe_template_val", "optprobe_template_call",
		"optprobe_template_end", "optimized_callback",
	};
	u64 *const addrs[] = {
		&o->tmpl, &o->clac, &o->val, &o->call, &o->end, &o->callback,
	};
	size_t i;

	OFF(v, "kprobe", "opcode", &o->o_opcode);
	OFF(v, "optimized_kprobe", "kp", &o->o_kp);
	OFF(v, "optimized_kprobe", "optinsn.insn", &o->o_insn);
	OFF(v, "optimized_kprobe", "optinsn.size", &o->o_size);
	OFF(v, "optimized_kprobe", "optinsn.copied_insn", &o->o_copied);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (engine_sym(v, names[i], addrs[i]))
			return engine_fail(v, -ENOENT, "no %s symbol", names[i]);
	if (o->end <= o->tmpl || o->end - o->tmpl > OPT_TMPL_MAX ||
	    o->clac < o->tmpl || o->clac + CLAC_LEN > o->end ||
	    o->val < o->tmpl || o->val + OPT_VAL_LEN > o->end ||
	    o->call < o->tmpl || o->call + SITE_LEN > o->end)
		return engine_fail(v, -EBADMSG, "the optprobe template symbols are implausible");
	optprobes_queued(v, &o->queued);
	return kp_insn_pages(v, "kprobe_optinsn_slots", &o->pages);
}

static void opt_layout_free(struct opt_layout *o)
{
	u64set_free(&o->pages);
	u64set_free(&o->queued);
}

/*
 * Why a detour buffer is not the kernel's: where, and where it leads; or,
 * when it is, whether its probe was waiting for the optimizer.
 */
struct opt_bad {
	const char *what;
	u64 at;			/* the first byte that is not the kernel's */
	u64 target;		/* a call or jmp led elsewhere: there */
	bool waiting;		/* accepted as waiting on optimizing_list */
	u32 probed;		/* accepted: the probed bytes 1..4 it runs */
};

static int opt_bad(struct opt_bad *bad, const char *what, u64 at, u64 target)
{
	*bad = (struct opt_bad){ .what = what, .at = at, .target = target };
	return -EBADMSG;
}

/* Template bytes [i, i + 1) that arch_prepare_optimized_kprobe() edits. */
static bool opt_edited(const struct opt_layout *o, u64 i)
{
	u64 a = o->tmpl + i;

	return (a >= o->clac && a < o->clac + CLAC_LEN) ||
	       (a >= o->val && a < o->val + OPT_VAL_LEN) ||
	       (a >= o->call && a < o->call + SITE_LEN);
}

/*
 * The probed instructions: the first byte saved in the probe (kp.opcode),
 * the next 4 in optinsn.copied_insn, the rest in the text. @text is the
 * site now (@size bytes).
 */
static int opt_original(struct vmiaas *v, const struct opt_layout *o, u64 kp,
			const u8 *text, u32 size, u8 *orig)
{
	int err;

	err = engine_read(v, kp + o->o_opcode, orig, 1);
	err = err ?: engine_read(v, kp + o->o_copied, orig + 1, SITE_LEN - 1);
	memcpy(orig + SITE_LEN, text + SITE_LEN, size - SITE_LEN);
	return err;
}

/*
 * arch_optimize_kprobes() saves copied_insn only just before it writes
 * the JMP: a probe still waiting on optimizing_list has none (zeroes, or
 * a previous optimization's), its site is int3 and the 4 bytes after it
 * are the probed ones, which the kernel copied into the detour from the
 * text. Only for such a probe are they taken from the text.
 */
static bool opt_waiting(const struct opt_layout *o, u64 kp, const u8 *text,
			u8 *orig)
{
	if (text[0] != INSN_INT3 || !u64set_has(&o->queued, kp))
		return false;
	memcpy(orig + 1, text + 1, SITE_LEN - 1);
	return true;
}

/*
 * Whether the detour buffer at @slot of the optimized probe @kp at @addr
 * is exactly what the kernel wrote; -EBADMSG with *bad if not.
 */
static int opt_verify(struct vmiaas *v, const struct opt_layout *o, u64 kp,
		      u64 addr, u64 slot, struct opt_bad *bad)
{
	u8 tm[OPT_TMPL_MAX], buf[OPT_TMPL_MAX + OPT_COPY_MAX + SITE_LEN];
	u8 orig[OPT_COPY_MAX], text[OPT_COPY_MAX];
	u64 t = o->end - o->tmpl, i, target;
	s32 size, rel;
	int err;

	bad->waiting = false;
	if (!kp_in_pages(&o->pages, slot, 1))
		return opt_bad(bad, "jumps outside the optprobe pages", slot, slot);
	err = engine_read(v, kp + o->o_size, &size, sizeof(size));
	if (err || size < SITE_LEN || size > OPT_COPY_MAX)
		return opt_bad(bad, "has an implausible optinsn.size", slot, 0);
	err = engine_read(v, o->tmpl, tm, t);
	err = err ?: engine_read(v, slot, buf, t + size + SITE_LEN);
	err = err ?: engine_read(v, addr, text, size);
	err = err ?: opt_original(v, o, kp, text, size, orig);
	if (err)
		return opt_bad(bad, "is unreadable", slot, 0);
	for (i = 0; i < t; i++)
		if (buf[i] != tm[i] && !opt_edited(o, i))
			return opt_bad(bad, "differs from optprobe_template_entry", slot + i, 0);
	i = o->clac - o->tmpl;
	if (memcmp(buf + i, tm + i, CLAC_LEN) && memcmp(buf + i, clac, CLAC_LEN))
		return opt_bad(bad, "differs at optprobe_template_clac", slot + i, 0);
	i = o->val - o->tmpl;
	if (buf[i] != 0x48 || buf[i + 1] != 0xbf ||
	    vmi_get_u64(buf + i + 2) != kp - o->o_kp)
		return opt_bad(bad, "does not pass its own optimized_kprobe", slot + i,
			       vmi_get_u64(buf + i + 2));
	i = o->call - o->tmpl;
	target = rel32_target(slot + i, SITE_LEN, buf + i + 1);
	if (buf[i] != INSN_CALL || target != o->callback)
		return opt_bad(bad, "does not call optimized_callback", slot + i,
			       buf[i] == INSN_CALL ? target : 0);
	rel = (s32)(addr - (slot + t));
	if (!same_but_relocated(buf + t, orig, size, rel, NULL)) {
		if (!opt_waiting(o, kp, text, orig) ||
		    !same_but_relocated(buf + t, orig, size, rel, NULL))
			return opt_bad(bad, "does not run the probed instructions", slot + t, 0);
		bad->waiting = true;
	}
	bad->probed = vmi_get_u32(orig + 1);
	target = rel32_target(slot + t + size, SITE_LEN, buf + t + size + 1);
	if (buf[t + size] != INSN_JMP32 || target != addr + size)
		return opt_bad(bad, "does not jump back after the probed instructions",
			       slot + t + size, buf[t + size] == INSN_JMP32 ? target : 0);
	return 0;
}

struct kp_load {
	struct patching *p;
	struct opt_layout o;
	int opt_err;		/* no optprobe records: optimized probes unexplained */
	u32 o_opcode;		/* kprobe.opcode */
};

static int kp_load_one(struct vmiaas *v, u64 kp, void *arg)
{
	struct kp_load *l = arg;
	struct opt_bad bad = {};
	u64 addr, insn;
	u32 flags;
	u8 opcode;
	int err;

	err = engine_read_u64(v, kp + l->o.o_addr, &addr);
	err = err ?: engine_read(v, kp + l->o.o_flags, &flags, 4);
	err = err ?: engine_read(v, kp + l->o_opcode, &opcode, 1);
	if (err)
		return err;
	if (flags & (KPROBE_FLAG_FTRACE | KPROBE_FLAG_GONE))
		return 0;		/* no site in the text */
	if (!(flags & KPROBE_FLAG_OPTIMIZED))
		return site_add(l->p, addr, 1, PATCH_KPROBE, 0, opcode);
	err = l->opt_err ?: engine_read_u64(v, kp - l->o.o_kp + l->o.o_insn, &insn);
	err = err ?: opt_verify(v, &l->o, kp, addr, insn, &bad);
	if (err == -EBADMSG && !l->opt_err)
		engine_fail(v, err, "optimized kprobe at 0x%llx: its detour buffer 0x%llx %s (at 0x%llx)",
			    (unsigned long long)addr, (unsigned long long)insn,
			    bad.what, (unsigned long long)bad.at);
	if (err) {
		/* a detour that is not the kernel's explains nothing */
		why(l->p, "kprobes", err);
		return 0;
	}
	err = u64set_add(&l->p->kp_probed, addr);
	err = err ?: u64set_add(&l->p->kp_probed, bad.probed);
	return err ?: site_add(l->p, addr, SITE_LEN, PATCH_KPROBE,
			       SITE_OPTIMIZED | (bad.waiting ? SITE_WAITING : 0),
			       insn);
}

static int load_kprobes(struct patching *p)
{
	struct kp_load l = { .p = p };
	u64 table;
	int err;

	if (engine_sym(p->v, "kprobe_table", &table))
		return 0;		/* no kprobes */
	OFF(p->v, "kprobe", "addr", &l.o.o_addr);
	OFF(p->v, "kprobe", "flags", &l.o.o_flags);
	OFF(p->v, "kprobe", "opcode", &l.o_opcode);
	l.opt_err = opt_layout_get(p->v, &l.o);
	err = kprobe_table_walk(p->v, table, kp_load_one, &l);
	opt_layout_free(&l.o);
	u64set_pairs_sort(&p->kp_probed);
	return err;
}

/* Without the LSM table, no static call can be trusted. */
static void sites_drop(struct patching *p, enum patch_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < p->nr_sites; i++)
		if (p->sites[i].kind != kind)
			p->sites[n++] = p->sites[i];
	p->nr_sites = n;
}

static int load_pokes(struct patching *p)
{
	return poke_batch_load(p->v, &p->pokes);
}

static void load_all(struct patching *p)
{
	static const struct {
		const char *what;
		int (*load)(struct patching *p);
	} kinds[] = {
		{ "__jump_table", load_jump_labels },
		{ "static_call_sites", load_static_calls },
		{ "static_calls_table", load_lsm_static_calls },
		{ "module jump tables and static call sites", load_module_tables },
		{ "ftrace records", load_ftrace_records },
		{ "ftrace_caller", load_ftrace_callers },
		{ "ftrace_ops", load_ftrace_targets },
		{ "kprobe_table", load_kprobes },
		{ "bp_desc", load_pokes },
	};
	size_t i, before;
	int err;

	p->loaded = true;
	engine_sym(p->v, "_stext", &p->text_start);
	engine_sym(p->v, "_etext", &p->text_end);
	if (!engine_sym(p->v, "x86_return_thunk", &p->return_thunk) &&
	    engine_read_u64(p->v, p->return_thunk, &p->return_thunk))
		p->return_thunk = 0;
	engine_sym(p->v, "__x86_return_thunk", &p->return_thunk_sym);
	engine_sym(p->v, "__static_call_return0", &p->sc_return0);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		before = p->nr_sites;
		p->v->diag.msg[0] = '\0';
		err = kinds[i].load(p);
		if (err) {
			why(p, kinds[i].what, err);
			/* a partial table explains nothing */
			if (kinds[i].load == load_lsm_static_calls)
				sites_drop(p, PATCH_STATIC_CALL);
			else if (kinds[i].load != load_ftrace_targets)
				p->nr_sites = before;
		}
	}
	sites_sort(p);
}

/* ---- what a site may hold now ---- */

static bool jump_ok(const struct patch_site *s, const u8 *now)
{
	if (!memcmp(now, x86_nop5, 5) || !memcmp(now, x86_nop2, 2))
		return true;
	if (now[0] == INSN_JMP8)
		return s->addr + 2 + (s64)(s8)now[1] == s->arg;
	return now[0] == INSN_JMP32 && rel32_target(s->addr, 5, now + 1) == s->arg;
}

/* A target that means "return" for a NULL static call. */
static bool is_return(const struct patching *p, u64 target)
{
	return target && (target == p->return_thunk ||
			  target == p->return_thunk_sym);
}

/* ---- static calls: which function a key may hold ---- */

static int sc_mod_layout_get(struct vmiaas *v, struct sc_mod_layout *l)
{
	char path[32];
	u32 total, one, i;
	s64 text;

	OFF(v, "module", "source_list", &l->sources);
	OFF(v, "module_use", "source_list", &l->use_node);
	OFF(v, "module_use", "source", &l->use_source);
	if (btf_member_size(v->btf, "module", "mem", &total) ||
	    btf_sizeof(v->btf, "module_memory", &one) || !one) {
		l->nr = 1;
		l->text = 0;
		OFF(v, "module", "core_layout.base", &l->base[0]);
		OFF(v, "module", "core_layout.size", &l->size[0]);
		OFF(v, "module", "core_layout.text_size", &l->text_size);
		return 0;
	}
	l->nr = total / one;
	if (!l->nr || l->nr > PATCH_MOD_REGIONS ||
	    btf_enum_value(v->btf, "MOD_TEXT", &text) || text < 0 ||
	    text >= l->nr)
		return engine_fail(v, -EBADMSG, "struct module's mem[] is implausible in BTF");
	l->text = text;
	for (i = 0; i < l->nr; i++) {
		snprintf(path, sizeof(path), "mem[%u].base", i);
		OFF(v, "module", path, &l->base[i]);
		snprintf(path, sizeof(path), "mem[%u].size", i);
		OFF(v, "module", path, &l->size[i]);
	}
	l->text_size = l->size[l->text];
	return 0;
}

/* One module's regions; implausible ones stay empty (own nothing). */
static int sc_mod_read(struct vmiaas *v, const struct sc_mod_layout *l,
		       u64 mod, struct sc_module *m)
{
	u32 size, text_size;
	u64 base;
	u32 i;
	int err;

	memset(m, 0, sizeof(*m));
	m->mod = mod;
	m->nr_mem = l->nr;
	for (i = 0; i < l->nr; i++) {
		err = engine_read_u64(v, mod + l->base[i], &base);
		err = err ?: engine_read(v, mod + l->size[i], &size, 4);
		if (err)
			return err;
		if (!kernel_ptr(base) || base + size < base)
			continue;
		m->mem[i][0] = base;
		m->mem[i][1] = base + size;
	}
	err = engine_read(v, mod + l->text_size, &text_size, 4);
	if (!err && m->mem[l->text][0] &&
	    text_size <= m->mem[l->text][1] - m->mem[l->text][0]) {
		m->text[0] = m->mem[l->text][0];
		m->text[1] = m->text[0] + text_size;
	}
	return err;
}

static int sc_mods_load(struct patching *p)
{
	struct vmiaas_module *mods = NULL;
	size_t nr = 0, i;
	int err;

	err = sc_mod_layout_get(p->v, &p->mod_layout);
	err = err ?: vmiaas_modules(p->v, &mods, &nr);
	if (!err && nr) {
		p->mods = calloc(nr, sizeof(*p->mods));
		err = p->mods ? 0 : -ENOMEM;
	}
	for (i = 0; !err && i < nr; i++)
		err = sc_mod_read(p->v, &p->mod_layout, mods[i].addr, &p->mods[i]);
	p->nr_mods = err ? 0 : nr;
	free(mods);
	return err;
}

/* The module whose text (@text) or any memory holds @a, or NULL. */
static const struct sc_module *sc_mod_find(struct patching *p, u64 a,
					   bool text)
{
	size_t i;
	u32 k;

	for (i = 0; i < p->nr_mods; i++) {
		const struct sc_module *m = &p->mods[i];

		if (text && a >= m->text[0] && a < m->text[1])
			return m;
		for (k = 0; !text && k < m->nr_mem; k++)
			if (a >= m->mem[k][0] && a < m->mem[k][1])
				return m;
	}
	return NULL;
}

struct sc_use {
	u32 o_node, o_source;
	u64 user;
	bool found;
};

static int sc_use_match(struct vmiaas *v, u64 node, void *arg)
{
	struct sc_use *u = arg;
	u64 source;
	int err;

	err = engine_read_u64(v, node - u->o_node + u->o_source, &source);
	if (!err && source == u->user)
		u->found = true;
	return err ?: u->found;
}

/* Whether module @user uses (imports symbols of) module @owner. */
static bool sc_mod_uses(struct patching *p, const struct sc_module *user,
			const struct sc_module *owner)
{
	struct sc_use u = { .o_node = p->mod_layout.use_node,
			    .o_source = p->mod_layout.use_source,
			    .user = user->mod };

	return list_walk(p->v, "module.source_list",
			 owner->mod + p->mod_layout.sources, VMIAAS_MAX_MODULES,
			 sc_use_match, &u) >= 0 && u.found;
}

/* The kallsyms symbol that starts exactly at @a, into @name; or false. */
static bool ksym_at(struct vmiaas *v, u64 a, char *name, size_t size)
{
	char type;
	u64 sym;
	u32 idx;

	return !vmi_ksym_lookup_addr(&v->ksym, a, &idx) &&
	       !vmi_ksym_addr(&v->ksym, idx, &sym) && sym == a &&
	       !vmi_ksym_name(&v->ksym, idx, name, size, &type);
}

/*
 * A tracepoint's key (__SCK__tp_func_NAME, of __tracepoint_NAME) holds
 * its one probe when it has exactly one (tracepoint_update_call()):
 * funcs[0].func, funcs[1].func NULL. Else its iterator, kernel text.
 */
static bool sc_tp_probe(struct patching *p, u64 key, u64 func)
{
	struct vmiaas *v = p->v;
	char name[VMI_KSYM_NAME_LEN], tp_name[VMI_KSYM_NAME_LEN + 16];
	u32 o_key, o_funcs, o_func, size;
	u64 tp, k, funcs, f0, f1;

	if (!ksym_at(v, key, name, sizeof(name)) ||
	    strncmp(name, "__SCK__tp_func_", 15))
		return false;
	snprintf(tp_name, sizeof(tp_name), "__tracepoint_%s", name + 15);
	if (engine_sym(v, tp_name, &tp) ||
	    btf_offsetof(v->btf, "tracepoint", "static_call_key", &o_key) ||
	    btf_offsetof(v->btf, "tracepoint", "funcs", &o_funcs) ||
	    btf_offsetof(v->btf, "tracepoint_func", "func", &o_func) ||
	    btf_sizeof(v->btf, "tracepoint_func", &size) || size > 64)
		return false;
	return !engine_read_u64(v, tp + o_key, &k) && k == key &&
	       !engine_read_u64(v, tp + o_funcs, &funcs) && kernel_ptr(funcs) &&
	       !engine_read_u64(v, funcs + o_func, &f0) && f0 == func &&
	       !engine_read_u64(v, funcs + size + o_func, &f1) && !f1;
}

/*
 * A tracepoint's key may also hold its iterator, __traceiter_NAME: what
 * it is defined with, and what tracepoint_update_call() puts back when
 * the probes are not exactly one.
 */
static bool sc_tp_iterator(struct patching *p, u64 key, u64 func)
{
	char name[VMI_KSYM_NAME_LEN], it_name[VMI_KSYM_NAME_LEN + 16];
	u64 it;

	if (!ksym_at(p->v, key, name, sizeof(name)) ||
	    strncmp(name, "__SCK__tp_func_", 15))
		return false;
	snprintf(it_name, sizeof(it_name), "__traceiter_%s", name + 15);
	return !engine_sym(p->v, it_name, &it) && it == func;
}

/*
 * 6.9+: the function graph tracer's fgraph_func and fgraph_retfunc hold
 * the entryfunc and retfunc of the one fgraph_ops in use,
 * fgraph_direct_gops (ftrace_graph_enable_direct()): set from a variable,
 * so no update site names them.
 */
static bool sc_fgraph_func(struct patching *p, u64 key, u64 func)
{
	char name[VMI_KSYM_NAME_LEN];
	const char *member;
	u64 gops, f;
	u32 o;

	if (!ksym_at(p->v, key, name, sizeof(name)))
		return false;
	if (!strcmp(name, "__SCK__fgraph_func"))
		member = "entryfunc";
	else if (!strcmp(name, "__SCK__fgraph_retfunc"))
		member = "retfunc";
	else
		return false;
	return !engine_sym(p->v, "fgraph_direct_gops", &gops) &&
	       !btf_offsetof(p->v->btf, "fgraph_ops", member, &o) &&
	       !engine_read_u64(p->v, gops, &gops) && kernel_ptr(gops) &&
	       !engine_read_u64(p->v, gops + o, &f) && f == func;
}

/*
 * kvm's perf guest callbacks: perf_register_guest_info_callbacks(cbs)
 * sets perf_guest_cbs = cbs and each key __SCK____perf_guest_MEMBER to
 * cbs->MEMBER (DEFINE_STATIC_CALL_RET0(__perf_guest_##MEMBER)): a kernel
 * key holding module code @m. Verified, not named: the key's function
 * must be that member of the struct perf_guest_cbs points to now, the
 * struct must lie in a live module's memory, and @m must be that module
 * or use it (kvm_intel's handle_intel_pt_intr in kvm's kvm_guest_cbs).
 */
static bool sc_perf_guest_cb(struct patching *p, u64 key, u64 func,
			     const struct sc_module *m)
{
	static const char prefix[] = "__SCK____perf_guest_";
	char name[VMI_KSYM_NAME_LEN];
	const struct sc_module *holder;
	u64 cbs, f;
	u32 o;

	if (!ksym_at(p->v, key, name, sizeof(name)) ||
	    strncmp(name, prefix, sizeof(prefix) - 1) ||
	    btf_offsetof(p->v->btf, "perf_guest_info_callbacks",
			 name + sizeof(prefix) - 1, &o) ||
	    engine_sym(p->v, "perf_guest_cbs", &cbs) ||
	    engine_read_u64(p->v, cbs, &cbs) || !kernel_ptr(cbs))
		return false;
	holder = sc_mod_find(p, cbs, false);
	return holder && (holder == m || sc_mod_uses(p, m, holder)) &&
	       !engine_read_u64(p->v, cbs + o, &f) && f == func;
}

/* ---- static calls: the kernel's own update sites ---- */

#define SC_UPD_WINDOW	48		/* bytes before the call searched */
#define SC_UPD_CHUNK	(1U << 20)	/* kernel text read per step */
#define SC_UPD_MAX	4096		/* update sites kept */

/*
 * A register loaded with a constant address in the 7-byte forms gcc
 * emits for kernel symbols: "mov $imm32, %reg" (48 c7 c0+r, sign
 * extended) or "lea rel32(%rip), %reg" (48 8d 05+8r).
 */
static bool sc_load_reg(const u8 *b, u64 at, u8 reg, u64 *val)
{
	if (b[0] != 0x48)
		return false;
	if (b[1] == 0xc7 && b[2] == (0xc0 | reg)) {
		*val = (u64)(s64)(s32)vmi_get_u32(b + 3);
		return true;
	}
	if (b[1] == 0x8d && b[2] == (0x05 | reg << 3)) {
		*val = rel32_target(at, 7, b + 3);
		return true;
	}
	return false;
}

#define REG_DX	2
#define REG_DI	7

/*
 * The key (%rdi) and function (%rdx) set up for the call to
 * __static_call_update() at @b[@n]: the last load of each in the
 * SC_UPD_WINDOW bytes before it ("xor %edx, %edx" is a NULL function).
 * False when either is not a constant there.
 */
static bool sc_upd_args(const u8 *b, size_t n, u64 at, u64 *key, u64 *func)
{
	size_t j = n > SC_UPD_WINDOW ? n - SC_UPD_WINDOW : 0;
	bool has_key = false, has_func = false;

	for (; j < n; j++) {
		if (j + 7 <= n && sc_load_reg(b + j, at + j, REG_DI, key))
			has_key = true;
		if (j + 7 <= n && sc_load_reg(b + j, at + j, REG_DX, func))
			has_func = true;
		else if (j + 2 <= n && b[j] == 0x31 && b[j + 1] == 0xd2) {
			*func = 0;
			has_func = true;
		}
	}
	return has_key && has_func;
}

static bool sc_is_key(struct patching *p, u64 key)
{
	char name[VMI_KSYM_NAME_LEN];

	return ksym_at(p->v, key, name, sizeof(name)) &&
	       !strncmp(name, "__SCK__", 7);
}

/* Adds (key, function) of a call at @b[@n] that names both constants. */
static int sc_upd_add(struct patching *p, const u8 *b, size_t n, u64 at)
{
	char name[VMI_KSYM_NAME_LEN];
	u64 key = 0, func = 0;
	int err;

	if (!sc_upd_args(b, n, at, &key, &func) || !sc_is_key(p, key) ||
	    (func && func != p->sc_return0 &&
	     (func < p->text_start || func >= p->text_end ||
	      !ksym_at(p->v, func, name, sizeof(name)))))
		return 0;
	if (p->sc_updates.nr >= 2 * SC_UPD_MAX)
		return -E2BIG;
	err = u64set_add(&p->sc_updates, key);
	return err ?: u64set_add(&p->sc_updates, func);
}

static int pair_cmp(const void *a, const void *b)
{
	const u64 *x = a, *y = b;

	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) :
			      (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/*
 * The update sites found in a baseline's kernel text, kept on the handle
 * (struct vmiaas.sc_upd_memo): the scan depends on nothing but those
 * bytes, so it runs once per handle and baseline (docs/performance.md).
 */
struct sc_upd_memo {
	u8 salt[BL_SALT_SIZE];		/* the baseline's: its identity */
	u64 start, end;
	struct u64set pairs;
};

void patching_memo_free(struct sc_upd_memo *m)
{
	if (m)
		free(m->pairs.a);
	free(m);
}

/* The text to scan: the baseline's copy, or the guest's (NULL). */
static const u8 *sc_scan_bytes(struct patching *p)
{
	const struct vmiaas_baseline *b = p->base;

	if (!b || !b->text || b->text_start != p->text_start ||
	    b->text_end != p->text_end)
		return NULL;
	return b->text;
}

/*
 * A loaded baseline's text lies in its file's mapping, whose MAC was
 * verified at load: check its pages' MACs again before trusting them
 * (as bl_region_diff() does for the pages it compares), then drop them
 * from this process (the page cache keeps them; docs/vmid.md "Memory").
 */
static int sc_scan_verify(struct patching *p, const u8 *bytes)
{
	const struct vmiaas_baseline *b = p->base;
	u64 nr = vmi_measure_nr_pages(b->text_start, b->text_end);
	u8 *digests;
	int err;

	if (!b->map)
		return 0;
	digests = malloc(nr * b->digest_size);
	if (!digests)
		return -ENOMEM;
	err = bl_region_rehash(b, b->text_start, b->text_end, bytes, digests);
	if (!err && memcmp(digests, b->text_digests, nr * b->digest_size))
		err = -EBADMSG;
	free(digests);
	return err;
}

static void sc_scan_release(struct patching *p, const u8 *bytes)
{
	uintptr_t lo = ((uintptr_t)bytes + 4095) & ~(uintptr_t)4095;
	uintptr_t hi = ((uintptr_t)bytes + (p->text_end - p->text_start)) &
		       ~(uintptr_t)4095;

	if (p->base->map && hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* Kernel text at @at, @n bytes: the baseline's copy, or read now. */
static int sc_scan_read(struct patching *p, const u8 *bytes, u64 at, u8 *buf,
			size_t n)
{
	if (!bytes)
		return engine_read(p->v, at, buf, n);
	memcpy(buf, bytes + (at - p->text_start), n);
	return 0;
}

/*
 * Every direct call to __static_call_update() in the kernel's text
 * (_stext.._etext, measured: an attacker cannot add one unseen) that
 * loads the key and the function as constants: the (key, function)
 * pairs the kernel itself may set at run time (sched_dynamic_update()
 * switching cond_resched to __static_call_return0, ...). Calls passing
 * a function from a variable (tracepoint_update_call()) name none.
 * The text scanned is the baseline's copy when there is one (trusted,
 * and what makes the result cacheable), else the guest's now.
 */
static int sc_updates_scan(struct patching *p, const u8 *bytes)
{
	u64 upd, at, end = p->text_end;
	size_t keep = SC_UPD_WINDOW, n, i;
	u8 *buf;
	int err = 0;

	if (engine_sym(p->v, "__static_call_update", &upd))
		return -ENOENT;
	if (end <= p->text_start || end - p->text_start > (1ULL << 30))
		return -EBADMSG;
	buf = malloc(keep + SC_UPD_CHUNK);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0, keep);
	for (at = p->text_start; !err && at < end; at += n) {
		n = min(end - at, (u64)SC_UPD_CHUNK);
		err = sc_scan_read(p, bytes, at, buf + keep, n);
		/* a call ends in this chunk: its opcode is at i - 5 */
		for (i = keep + 5; !err && i <= keep + n; i++)
			if (buf[i - 5] == INSN_CALL &&
			    rel32_target(at + i - keep - 5, 5, buf + i - 4) == upd)
				err = sc_upd_add(p, buf, i - 5,
						 at - keep);
		memmove(buf, buf + n, keep);
	}
	free(buf);
	if (p->sc_updates.nr >= 4)
		qsort(p->sc_updates.a, p->sc_updates.nr / 2,
		      2 * sizeof(u64), pair_cmp);
	return err;
}

static bool sc_memo_matches(const struct patching *p,
			    const struct sc_upd_memo *m)
{
	return m && m->start == p->text_start && m->end == p->text_end &&
	       !memcmp(m->salt, p->base->salt, sizeof(m->salt));
}

/* The handle keeps a copy of this baseline's pairs (no memo if short). */
static void sc_memo_store(struct patching *p)
{
	struct sc_upd_memo *m = calloc(1, sizeof(*m));
	size_t size = p->sc_updates.nr * sizeof(u64);

	if (!m || (size && !(m->pairs.a = malloc(size)))) {
		free(m);
		return;
	}
	memcpy(m->salt, p->base->salt, sizeof(m->salt));
	m->start = p->text_start;
	m->end = p->text_end;
	if (size)
		memcpy(m->pairs.a, p->sc_updates.a, size);
	m->pairs.nr = m->pairs.cap = p->sc_updates.nr;
	patching_memo_free(p->v->sc_upd_memo);
	p->v->sc_upd_memo = m;
}

static int sc_updates_load(struct patching *p)
{
	const u8 *bytes = sc_scan_bytes(p);
	const struct sc_upd_memo *m = p->v->sc_upd_memo;
	size_t size;
	int err;

	if (bytes && sc_memo_matches(p, m)) {
		size = m->pairs.nr * sizeof(u64);
		p->sc_updates.a = size ? malloc(size) : NULL;
		if (size && !p->sc_updates.a)
			return -ENOMEM;
		if (size)
			memcpy(p->sc_updates.a, m->pairs.a, size);
		p->sc_updates.nr = p->sc_updates.cap = m->pairs.nr;
		return 0;
	}
	if (bytes) {
		err = sc_scan_verify(p, bytes);
		if (err)
			return err;
	}
	err = sc_updates_scan(p, bytes);
	if (bytes)
		sc_scan_release(p, bytes);
	if (!err && bytes)
		sc_memo_store(p);
	return err;
}

static bool sc_update_has(struct patching *p, u64 key, u64 func)
{
	u64 pair[2] = { key, func };
	int err;

	if (!p->sc_updates_loaded) {
		p->sc_updates_loaded = true;
		err = sc_updates_load(p);
		if (err) {
			why(p, "__static_call_update() call sites", err);
			p->sc_updates.nr = 0;
		}
	}
	return p->sc_updates.nr >= 2 &&
	       bsearch(pair, p->sc_updates.a, p->sc_updates.nr / 2,
		       2 * sizeof(u64), pair_cmp);
}

/*
 * The baseline's bytes @old[0..@n) of site @s: those of the run being
 * judged, and outside it the bytes @now (equal to the baseline's there:
 * they are not in the run). False when the baseline's are not known.
 */
static bool site_old(const struct patching *p, const struct patch_site *s,
		     const u8 *now, u8 *old, u32 n)
{
	u64 a;
	u32 j;

	if (!p->run_old)
		return false;
	for (j = 0; j < n; j++) {
		a = s->addr + j;
		old[j] = a >= p->run_va && a - p->run_va < p->run_len ?
			 p->run_old[a - p->run_va] : now[j];
	}
	return true;
}

/*
 * The function static call site @s called at baseline, from its bytes
 * then: those of the run being judged, and outside it the bytes now
 * (equal to the baseline's there: they are not in the run). False when
 * the baseline's bytes are not known or are no static call form.
 */
static bool sc_old_func(struct patching *p, const struct patch_site *s,
			const u8 *now, u64 *func)
{
	u8 old[JCC_LEN];

	if (!site_old(p, s, now, old, JCC_LEN))
		return false;
	if (old[0] == 0x0f && (old[1] & 0xf0) == 0x80)
		*func = rel32_target(s->addr, JCC_LEN, old + 2);
	else if (old[0] == INSN_CALL || old[0] == INSN_JMP32)
		*func = rel32_target(s->addr, SITE_LEN, old + 1);
	else if (!memcmp(old, x86_xor5rax, SITE_LEN))
		*func = p->sc_return0;
	else if (!memcmp(old, x86_nop5, SITE_LEN) || !memcmp(old, retinsn, SITE_LEN))
		*func = 0;
	else
		return false;
	if (is_return(p, *func))
		*func = 0;
	return true;
}

static bool bpf_image_has(struct patching *p, u64 target, const char *prefix);

/*
 * A BPF dispatcher's key (__SCK__bpf_dispatcher_NAME_call, 6.2+ and
 * Debian's 6.1): bpf_dispatcher_update() points it at the dispatcher's
 * current image half, d->image + d->image_off, when an XDP program is
 * attached (back to bpf_dispatcher_nop_func, kernel text, when none is).
 * The key is switched before image_off (after an RCU grace period), so
 * either half is accepted. Explained only if the function is one, the
 * dispatcher names this key, and the image is the dispatcher's own on
 * bpf_kallsyms. Its code (compares and jumps to the attached programs)
 * is not judged, as a BPF trampoline's is not.
 */
/* The dispatcher (bpf_dispatcher_NAME) whose key @key is, into @disp. */
static bool sc_dispatcher_of(struct patching *p, u64 key, char *disp,
			     size_t size)
{
	char name[VMI_KSYM_NAME_LEN];
	size_t n;

	if (!ksym_at(p->v, key, name, sizeof(name)) ||
	    strncmp(name, "__SCK__bpf_dispatcher_", 22))
		return false;
	n = strlen(name);
	if (n < 28 || strcmp(name + n - 5, "_call"))
		return false;
	snprintf(disp, size, "%.*s", (int)(n - 7 - 5), name + 7);
	return true;
}

/*
 * A dispatcher's key back at its nop function: bpf_dispatcher_nop_func
 * is static inline in a header, so the copy DEFINE_STATIC_CALL() starts
 * the key with (net/core/filter.c's) is not the one
 * bpf_dispatcher_update() puts back (kernel/bpf/dispatcher.c's): any
 * kernel function of that name.
 */
static bool sc_bpf_dispatcher_nop(struct patching *p, u64 key, u64 func)
{
	char disp[VMI_KSYM_NAME_LEN], name[VMI_KSYM_NAME_LEN];

	return sc_dispatcher_of(p, key, disp, sizeof(disp)) &&
	       ksym_at(p->v, func, name, sizeof(name)) &&
	       !strcmp(name, "bpf_dispatcher_nop_func");
}

static bool sc_bpf_dispatcher(struct patching *p, u64 key, u64 func)
{
	char disp[VMI_KSYM_NAME_LEN];
	u32 o_key, o_image, o_off, off;
	u64 d, k, image;

	if (!sc_dispatcher_of(p, key, disp, sizeof(disp)))
		return false;
	return !engine_sym(p->v, disp, &d) &&
	       !btf_offsetof(p->v->btf, "bpf_dispatcher", "sc_key", &o_key) &&
	       !btf_offsetof(p->v->btf, "bpf_dispatcher", "image", &o_image) &&
	       !btf_offsetof(p->v->btf, "bpf_dispatcher", "image_off", &o_off) &&
	       !engine_read_u64(p->v, d + o_key, &k) && k == key &&
	       !engine_read_u64(p->v, d + o_image, &image) &&
	       kernel_ptr(image) &&
	       !engine_read(p->v, d + o_off, &off, sizeof(off)) &&
	       (func == image + off || func == image + (off ^ BPF_DISP_HALF)) &&
	       bpf_image_has(p, func, KSYM_PREFIX_BPF_DISP);
}

/*
 * Whether a key of the kernel's own (not a module's) may hold @func, NULL,
 * __static_call_return0 or a function of the kernel's text: the function
 * its site called at baseline (@old, when known); one the kernel's own
 * update sites give this key; for a tracepoint's key, its iterator or its
 * one probe; for the graph tracer's, its fgraph_ops' functions. Anything else is code reuse: a kernel function the kernel
 * never puts behind that key.
 */
static bool sc_kernel_key_ok(struct patching *p, u64 key, u64 func,
			     const u64 *old)
{
	return (old && *old == func) || sc_update_has(p, key, func) ||
	       sc_tp_iterator(p, key, func) || sc_tp_probe(p, key, func) ||
	       sc_fgraph_func(p, key, func) ||
	       sc_bpf_dispatcher_nop(p, key, func);
}

/*
 * Whether static call key @key may hold @func (@old: what the site called
 * at baseline, or NULL if unknown). An LSM slot's key (6.9+) holds exactly
 * its registered hook (lsm_key_ok(), checked before). Module code: only
 * in the text of a module that owns the key (defines it) or uses the
 * module that does (kvm_intel filling kvm's kvm_x86_ops calls), or that
 * is the one probe of the tracepoint the key belongs to. Otherwise NULL,
 * __static_call_return0 or a function of the kernel's text (a symbol
 * starts there), and for a key of the kernel's own only as
 * sc_kernel_key_ok() allows. Anything else -- module code behind a
 * kernel key, the middle of a function, data, another kernel function --
 * is not the kernel's doing.
 */
static bool sc_func_ok(struct patching *p, u64 key, u64 func, const u64 *old)
{
	const struct sc_module *m, *owner;
	char name[VMI_KSYM_NAME_LEN];

	if (func && func != p->sc_return0 &&
	    func >= p->text_start && func < p->text_end &&
	    !ksym_at(p->v, func, name, sizeof(name)))
		return false;
	if (u64set_pairs_find(&p->lsm, key))
		return true;
	if (!p->mods_loaded) {
		p->mods_loaded = true;
		if (sc_mods_load(p))
			why(p, "modules (for static calls)", -EBADMSG);
	}
	owner = sc_mod_find(p, key, false);
	if (!func || func == p->sc_return0 ||
	    (func >= p->text_start && func < p->text_end))
		return owner || sc_kernel_key_ok(p, key, func, old);
	if (sc_bpf_dispatcher(p, key, func))
		return true;
	m = sc_mod_find(p, func, true);
	if (!m)
		return false;
	if (owner)
		return owner == m || sc_mod_uses(p, m, owner);
	return sc_tp_probe(p, key, func) || sc_perf_guest_cb(p, key, func, m);
}

/* Names the key and the function a static call site was refused for. */
static void sc_reject(struct patching *p, u64 key, u64 func)
{
	char kname[VMI_KSYM_NAME_LEN], fname[128];

	if (!ksym_at(p->v, key, kname, sizeof(kname)))
		snprintf(kname, sizeof(kname), "0x%llx", (unsigned long long)key);
	check_symbolize(p->v, func, fname, sizeof(fname));
	snprintf(p->rejected, sizeof(p->rejected),
		 "static call %.100s now calls %.100s (0x%llx): %s",
		 kname, fname, (unsigned long long)func,
		 !func || func == p->sc_return0 ||
		 (func >= p->text_start && func < p->text_end) ?
		 "not what it called at baseline, nor a function the kernel's own updates give the key" :
		 "neither a kernel function nor module code entitled to the key");
}

static bool static_call_ok(struct patching *p, const struct patch_site *s,
			   const u8 *now)
{
	u64 func, target, old;
	bool tail = s->flags & SITE_TAIL;

	if (!s->arg || engine_read_u64(p->v, s->arg, &func) ||
	    !lsm_key_ok(p, s->arg, func))
		return false;
	if (!sc_func_ok(p, s->arg, func,
			sc_old_func(p, s, now, &old) ? &old : NULL)) {
		sc_reject(p, s->arg, func);
		return false;
	}
	if (now[0] == 0x0f && (now[1] & 0xf0) == 0x80) {	/* Jcc */
		target = rel32_target(s->addr, JCC_LEN, now + 2);
		return tail && (func ? target == func : is_return(p, target));
	}
	if (now[0] == INSN_CALL || now[0] == INSN_JMP32) {
		target = rel32_target(s->addr, 5, now + 1);
		if (!func)
			return tail && now[0] == INSN_JMP32 &&
			       is_return(p, target);
		return target == func && (now[0] == INSN_JMP32) == tail;
	}
	if (!memcmp(now, x86_xor5rax, 5))
		return !tail && func && func == p->sc_return0;
	if (!memcmp(now, x86_nop5, 5))
		return !tail && !func;
	return !memcmp(now, retinsn, 5) && tail && !func;
}

/*
 * A static call trampoline (__SCT__name, key __SCK__name: the kernel
 * itself relies on this naming): JMP to the key's function, or a RET
 * form when it is NULL. Added as a site on demand.
 */
static const struct patch_site *static_tramp_find(struct patching *p, u64 va,
						  struct patch_site *tmp)
{
	char name[VMI_KSYM_NAME_LEN], key[VMI_KSYM_NAME_LEN + 8], type;
	u64 sym;
	u32 idx;

	if (vmi_ksym_lookup_addr(&p->v->ksym, va, &idx) ||
	    vmi_ksym_addr(&p->v->ksym, idx, &sym) ||
	    vmi_ksym_name(&p->v->ksym, idx, name, sizeof(name), &type) ||
	    strncmp(name, "__SCT__", 7) || va - sym >= SITE_LEN)
		return NULL;
	snprintf(key, sizeof(key), "__SCK__%s", name + 7);
	*tmp = (struct patch_site){ .addr = sym, .len = SITE_LEN,
				    .kind = PATCH_STATIC_CALL,
				    .flags = SITE_TAIL };
	return engine_sym(p->v, key, &tmp->arg) ? NULL : tmp;
}

static bool direct_ok(struct patching *p, u64 ip, u64 target);

static bool ftrace_ok(struct patching *p, const struct patch_site *s,
		      const u8 *now, enum patch_kind *ret_kind)
{
	u64 target;

	*ret_kind = PATCH_FTRACE;
	if (now[0] != INSN_CALL)
		return !(s->flags & SITE_CALLER) && !memcmp(now, x86_nop5, 5);
	target = rel32_target(s->addr, 5, now + 1);
	if (s->flags & SITE_CALLER)
		return target && u64set_has(&p->callees, target);
	if (target && u64set_has(&p->tramps, target))
		return true;
	*ret_kind = PATCH_BPF;
	return direct_ok(p, s->addr, target);
}

/*
 * The 4 bytes under an optimized probe's int3 (while it waits for the
 * optimizer or is (un)optimized): the JMP's displacement, which
 * text_poke_bp() writes under the int3 first and arch_unoptimize_kprobe()
 * replaces last, or the probed bytes -- the baseline's, or where those
 * are not known or held the JMP already (a baseline taken with the probe
 * optimized), the ones its verified detour runs. Anything else would run
 * after the int3's single step, unseen.
 */
static bool kprobe_int3_ok(const struct patching *p,
			   const struct patch_site *s, const u8 *now)
{
	const u64 *probed;
	u8 old[SITE_LEN];

	if (rel32_target(s->addr, SITE_LEN, now + 1) == s->arg)
		return true;
	if (site_old(p, s, now, old, SITE_LEN)) {
		if (!memcmp(old + 1, now + 1, SITE_LEN - 1))
			return true;
		if (old[0] != INSN_JMP32 ||
		    rel32_target(s->addr, SITE_LEN, old + 1) != s->arg)
			return false;
	}
	probed = u64set_pairs_find(&p->kp_probed, s->addr);
	return probed && probed[1] == vmi_get_u32(now + 1);
}

/*
 * A probe's int3: the byte it saved (kprobe.opcode, the first of the copy
 * its int3 runs, kpslot.h) must be the baseline's there, where that is
 * known and was not an int3 already.
 */
static bool kprobe_ok(const struct patching *p, const struct patch_site *s,
		      const u8 *now)
{
	u8 old;

	if (!(s->flags & SITE_OPTIMIZED))
		return now[0] == INSN_INT3 &&
		       (!site_old(p, s, now, &old, 1) || old == INSN_INT3 ||
			old == (u8)s->arg);
	if (now[0] == INSN_JMP32)
		return rel32_target(s->addr, SITE_LEN, now + 1) == s->arg;
	return now[0] == INSN_INT3 && kprobe_int3_ok(p, s, now);
}

/* The site covering @va, or NULL. Sites of one kind never overlap. */
static const struct patch_site *site_find(const struct patching *p, u64 va)
{
	size_t lo = 0, hi = p->nr_sites, k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->sites[mid].addr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* a few back: a 6-byte static-call site may precede a shorter one */
	for (k = lo; k > 0 && lo - k < 4; k--)
		if (va - p->sites[k - 1].addr < p->sites[k - 1].len)
			return &p->sites[k - 1];
	return NULL;
}

static bool site_bytes_ok(struct patching *p, const struct patch_site *s,
			  u64 va, const u8 *now, enum patch_kind *ret_kind,
			  u32 *ret_len);

/*
 * A teardown of every ftrace site is some 150 batches of 256; a check
 * on a loaded host meets several, more than the re-reads of
 * site_ok_settled() allow (seen: 8 used, then 64 sites of the next batch
 * unexplained). An int3 site missing from the batch read is looked up
 * in bp_desc read anew (4 KiB), at most POKE_LOADS_MAX times a check.
 */
#define POKE_LOADS_MAX		1024

/*
 * A site text_poke_bp_batch() is rewriting (see poke.h): int3, then the
 * old instruction's tail (its first byte is in the entry) or the new
 * one's. What runs there is the entry's new instruction, emulated by
 * poke_int3_handler(): it must be what the records allow, as must the
 * old one if its tail is still there. Kprobes' own int3 are kprobe_ok()'s.
 */
static bool site_poking_ok(struct patching *p, const struct patch_site *s,
			   u64 va, const u8 *now, enum patch_kind *ret_kind,
			   u32 *ret_len)
{
	const struct poke_loc *pl;
	u8 insn[8];

	if (now[0] != INSN_INT3 || s->kind == PATCH_KPROBE)
		return false;
	pl = poke_find(&p->pokes, s->addr);
	if (!pl && p->nr_poke_loads < POKE_LOADS_MAX) {
		/* a batch begun since bp_desc was read: read it again */
		p->nr_poke_loads++;
		poke_batch_load(p->v, &p->pokes);
		pl = poke_find(&p->pokes, s->addr);
	}
	if (!pl || pl->len > sizeof(insn))
		return false;
	memcpy(insn, now, sizeof(insn));
	memcpy(insn, pl->text, pl->len);
	if (!site_bytes_ok(p, s, va, insn, ret_kind, ret_len))
		return false;
	if (!memcmp(now + 1, pl->text + 1, pl->len - 1))
		return true;
	memcpy(insn, now, sizeof(insn));
	insn[0] = pl->old;
	return site_bytes_ok(p, s, va, insn, ret_kind, ret_len);
}

/* Whether site @s holds legitimate bytes now; *ret_kind what it is. */
static bool site_ok(struct patching *p, const struct patch_site *s, u64 va,
		    enum patch_kind *ret_kind, u32 *ret_len)
{
	u8 now[8];

	if (engine_read(p->v, s->addr, now, sizeof(now)))
		return false;
	return site_bytes_ok(p, s, va, now, ret_kind, ret_len) ||
	       site_poking_ok(p, s, va, now, ret_kind, ret_len);
}

static bool site_bytes_ok(struct patching *p, const struct patch_site *s,
			  u64 va, const u8 *now, enum patch_kind *ret_kind,
			  u32 *ret_len)
{
	*ret_kind = s->kind;
	*ret_len = s->len;
	/* a static call site is 5 bytes; only a tail Jcc takes 6 */
	if (s->kind == PATCH_STATIC_CALL && !(now[0] == 0x0f &&
					     (now[1] & 0xf0) == 0x80))
		*ret_len = SITE_LEN;
	switch (s->kind) {
	case PATCH_JUMP_LABEL:
		return jump_ok(s, now);
	case PATCH_STATIC_CALL:
		return static_call_ok(p, s, now);
	case PATCH_FTRACE:
		return ftrace_ok(p, s, now, ret_kind);
	case PATCH_KPROBE:
		return kprobe_ok(p, s, now);
	}
	return false;
}

/*
 * The guest runs while its sites and records are read, and some updates
 * leave them disagreeing for a while: text_poke_bp() rewrites a live site
 * in three steps (int3 on the first byte, the tail, the first byte); a
 * tracepoint's first probe is written into its static call key and every
 * call site before tracepoint_add_func() publishes it in tp->funcs; a
 * kprobe is optimized (its JMP written) and unoptimized on a worker while
 * the records of it change; the function tracer is turned on or off
 * between the check's reading of the records and of the site. The kernel
 * finishes within microseconds to milliseconds (tens of them under
 * emulation on a loaded host), so a run that does not pass is judged
 * again, its site's bytes and the records both read anew (the records at
 * most POKE_RELOADS_MAX times per check), a few times with a growing
 * wait; the verdict is on what the last read saw, records and bytes read
 * within milliseconds of each other. A change that is not the kernel's
 * own fails every read and is judged as it is; a guest planting many
 * only gets POKE_SITES_MAX runs waited for per check.
 */
#define POKE_RETRIES	4
unsigned int patching_poke_wait_us = 10000;	/* then 20, 40, 80 ms */
#define POKE_SITES_MAX	8
#define POKE_RELOADS_MAX	16

/* Every record read anew: what the kernel's patching says now. */
static void records_reload(struct patching *p)
{
	free(p->sites);
	p->sites = NULL;
	p->nr_sites = p->cap_sites = 0;
	u64set_free(&p->tramps);
	u64set_free(&p->callees);
	u64set_free(&p->directs);
	u64set_free(&p->lsm);
	u64set_free(&p->kp_probed);
	memset(p->static_tramps, 0, sizeof(p->static_tramps));
	free(p->mods);
	p->mods = NULL;
	p->nr_mods = 0;
	p->mods_loaded = false;
	p->why[0] = '\0';
	p->nr_reloads++;
	load_all(p);
}

/* Whether the site covering @va holds what its records allow now. */
static bool site_at_ok(struct patching *p, u64 va, u64 *ret_end,
		       enum patch_kind *ret_kind)
{
	const struct patch_site *s;
	struct patch_site tramp;
	u32 site_len;

	s = site_find(p, va) ?: static_tramp_find(p, va, &tramp);
	if (!s || !site_ok(p, s, va, ret_kind, &site_len) ||
	    va - s->addr >= site_len)
		return false;
	*ret_end = s->addr + site_len;
	return true;
}


/*
 * Some of the kernel's updates leave a site and its records disagreeing
 * for longer than the re-reads above on a loaded host, all of it under a
 * lock the kernel holds (its mutex owner is set):
 * - ftrace_shutdown() takes the ops off ftrace_ops_list, then walks every
 *   record (ftrace_hash_rec_disable()), and only then puts the ops in
 *   removed_ops and turns the sites back: meanwhile every site still
 *   calls the ops' trampoline and no record names the ops (20 ms on a
 *   6.1 guest at load 15); ftrace_lock.
 * - tracepoint_add_func() (0 to 1 probe) writes the probe into the
 *   tracepoint's static call key, trampoline and every call site, and
 *   only then publishes it in tp->funcs (seen outlasting the re-reads at
 *   load 18); tracepoints_mutex.
 * A site of such a kind still unexplained after the re-reads, while its
 * lock is held, is read again with the records every 100 ms for up to
 * 3 s, once a check, until a read made after the lock was free; the
 * verdict is on the last read. A dump does not change: never waited for.
 */
#define POKE_BUSY_TRIES		30
unsigned int patching_busy_wait_us = 100000;

/* The lock held while a site of @kind and its records may disagree. */
static const char *busy_lock(enum patch_kind kind)
{
	switch (kind) {
	case PATCH_FTRACE:
		return "ftrace_lock";
	case PATCH_STATIC_CALL:
		return "tracepoints_mutex";
	default:
		return NULL;
	}
}

static bool lock_busy(struct patching *p, const char *name)
{
	u64 lock, owner;
	u32 off;

	if (p->v->backend && !strncmp(p->v->backend->name, "dump", 4))
		return false;	/* a dump does not change */
	return !engine_sym(p->v, name, &lock) &&
	       !btf_offsetof(p->v->btf, "mutex", "owner", &off) &&
	       !engine_read_u64(p->v, lock + off, &owner) && owner;
}

static bool site_ok_busy(struct patching *p, u64 va, u64 *ret_end,
			 enum patch_kind *ret_kind)
{
	struct patch_site tramp;
	const struct patch_site *s;
	const char *lock;
	bool busy;
	int i;

	s = site_find(p, va) ?: static_tramp_find(p, va, &tramp);
	lock = s ? busy_lock(s->kind) : NULL;
	if (p->busy_waited || !lock || !lock_busy(p, lock))
		return false;
	p->busy_waited = true;
	for (i = 0; i < POKE_BUSY_TRIES; i++) {
		busy = lock_busy(p, lock);
		engine_pause(p->v, patching_busy_wait_us);
		records_reload(p);
		if (site_at_ok(p, va, ret_end, ret_kind))
			return true;
		if (!busy)
			break;
	}
	return false;
}

/*
 * How many bytes of the run from @va on hold the baseline's again, read
 * now: a change the kernel undid after the run was read. The storm of
 * tests/guest/storm.sh: a page read with vfs_read's ftrace call and, right
 * after it, the int3 (or JMP) of a kprobe being deleted; while the ftrace
 * site was judged, the kprobe was disarmed and taken off kprobe_table, so
 * that neither its record nor its bytes were there to be judged any more.
 * Only bytes equal to the baseline's at this read are passed over; a site
 * still half changed (its first byte restored, its tail not) is judged
 * from its next byte on. 0 if the byte at @va differs (or the run has no
 * baseline bytes).
 */
#define REVERT_READ_MAX		32

static u64 run_reverted(struct patching *p, u64 va)
{
	u8 now[REVERT_READ_MAX];
	u64 off = va - p->run_va, n, i;

	if (!p->run_old || off >= p->run_len)
		return 0;
	n = min(p->run_len - off, (u64)sizeof(now));
	if (engine_read(p->v, va, now, n))
		return 0;
	for (i = 0; i < n && now[i] == p->run_old[off + i]; i++)
		;
	return i;
}

/*
 * Whether the run's byte at @va is the kernel's own patching: the site
 * covering it holds what the records allow (*ret_kind its kind), or the
 * byte holds the baseline's again (*ret_kind PATCH_KINDS); *ret_end where
 * the explained bytes end. Judged on the last of the reads.
 */
static bool site_ok_settled(struct patching *p, u64 va, u64 *ret_end,
			    enum patch_kind *ret_kind)
{
	u64 n;
	int i;

	for (i = 0; i <= POKE_RETRIES; i++) {
		if (i && p->nr_reloads < POKE_RELOADS_MAX)
			records_reload(p);
		if (site_at_ok(p, va, ret_end, ret_kind)) {
			p->rejected[0] = '\0';
			return true;
		}
		n = run_reverted(p, va);
		if (n) {
			*ret_end = va + n;
			*ret_kind = PATCH_KINDS;
			if (!p->nr_reverted)
				p->reverted_at = va;
			p->nr_reverted += n;
			p->rejected[0] = '\0';
			return true;
		}
		if (i == POKE_RETRIES || (!i && p->nr_waits >= POKE_SITES_MAX))
			break;
		if (!i)
			p->nr_waits++;
		engine_pause(p->v, patching_poke_wait_us << i);
	}
	if (site_ok_busy(p, va, ret_end, ret_kind)) {
		p->rejected[0] = '\0';
		return true;
	}
	return false;
}

/* An explained kprobe site whose probe waits for the optimizer: counted. */
static void kp_waiting_count(struct patching *p, enum patch_kind kind, u64 va)
{
	const struct patch_site *s = site_find(p, va);

	if (kind == PATCH_KPROBE && s && (s->flags & SITE_WAITING))
		p->nr_kp_waiting++;
}

bool patching_explain(struct patching *p, u64 va, u64 len, const u8 *old,
		      const u8 *now)
{
	enum patch_kind kind;
	u64 i = 0, end;

	if (!p->loaded)
		load_all(p);
	p->rejected[0] = '\0';
	p->run_va = va;
	p->run_len = len;
	p->run_old = old;
	while (i < len) {
		if (old && old[i] == now[i]) {
			i++;
			continue;
		}
		if (!site_ok_settled(p, va + i, &end, &kind))
			return false;
		if (kind < PATCH_KINDS)
			p->counts[kind]++;
		kp_waiting_count(p, kind, va + i);
		i = end - va;
	}
	return true;
}

/* ---- BPF trampolines: direct calls into bpf_trampoline images ---- */

struct bpf_find {
	u32 o_start, o_end, o_name, o_lnode;
	u64 target;
	const char *prefix;	/* of the ksym's name: a kind of image */
	bool found;
	u32 *budget;		/* bpf_ksyms read, all sites together */
};

static int bpf_ksym_match(struct vmiaas *v, u64 node, void *arg)
{
	struct bpf_find *f = arg;
	u64 ksym = node - f->o_lnode, start, end;
	char name[sizeof(KSYM_PREFIX_BPF_TRAMP)];
	int err;

	if (!*f->budget)
		return -ELOOP;
	--*f->budget;
	err = engine_read_u64(v, ksym + f->o_start, &start);
	err = err ?: engine_read_u64(v, ksym + f->o_end, &end);
	err = err ?: engine_read(v, ksym + f->o_name, name, sizeof(name) - 1);
	if (err)
		return err;
	name[sizeof(name) - 1] = '\0';
	if (f->target >= start && f->target < end &&
	    !strcmp(name, f->prefix)) {
		f->found = true;
		return 1;		/* stop */
	}
	return 0;
}

/*
 * A direct call from ftrace site @ip is legitimate when the kernel's
 * direct_functions hash maps @ip to @target and @target lies in a BPF
 * trampoline image registered in bpf_kallsyms.
 */
/*
 * Whether @target lies in a BPF image on bpf_kallsyms whose name starts
 * with @prefix (KSYM_PREFIX_LEN bytes: "bpf_trampoline_",
 * "bpf_dispatcher_").
 */
static bool bpf_image_has(struct patching *p, u64 target, const char *prefix)
{
	struct vmiaas *v = p->v;
	struct bpf_find f = {
		.target = target, .prefix = prefix, .budget = &p->bpf_budget,
	};
	u64 head;

	if (engine_sym(v, "bpf_kallsyms", &head) ||
	    btf_offsetof(v->btf, "bpf_ksym", "start", &f.o_start) ||
	    btf_offsetof(v->btf, "bpf_ksym", "end", &f.o_end) ||
	    btf_offsetof(v->btf, "bpf_ksym", "name", &f.o_name) ||
	    btf_offsetof(v->btf, "bpf_ksym", "lnode", &f.o_lnode))
		return false;
	return list_walk(v, "bpf_kallsyms", head, PATCH_BPF_KSYMS_MAX,
			 bpf_ksym_match, &f) >= 0 && f.found;
}

static bool direct_ok(struct patching *p, u64 ip, u64 target)
{
	const u64 *pair = u64set_pairs_find(&p->directs, ip);

	return pair && pair[1] == target &&
	       bpf_image_has(p, target, KSYM_PREFIX_BPF_TRAMP);
}

/* ---- ftrace_ops that hook: the ftrace-hook check ---- */

struct klp_layout {
	u32 p_mod, p_list, p_objs, o_node, o_funcs, f_node, f_old, f_new;
	u32 ops_node, ops_fops, mod_name;
};

struct hooks {
	struct patching_hook *a;
	size_t nr, cap;
	u64 text_start, text_end;
	u64 kprobe_handler, klp_handler;
	struct klp_layout kl;
	bool has_klp;
	struct patching_hook *cur;
};

static int klp_layout_get(struct vmiaas *v, struct klp_layout *k)
{
	OFF(v, "klp_patch", "mod", &k->p_mod);
	OFF(v, "klp_patch", "list", &k->p_list);
	OFF(v, "klp_patch", "obj_list", &k->p_objs);
	OFF(v, "klp_object", "node", &k->o_node);
	OFF(v, "klp_object", "func_list", &k->o_funcs);
	OFF(v, "klp_func", "node", &k->f_node);
	OFF(v, "klp_func", "old_func", &k->f_old);
	OFF(v, "klp_func", "new_func", &k->f_new);
	OFF(v, "klp_ops", "node", &k->ops_node);
	OFF(v, "klp_ops", "fops", &k->ops_fops);
	OFF(v, "module", "name", &k->mod_name);
	return 0;
}

static int hook_func(u64 ip, u64 direct, void *arg)
{
	struct patching_hook *h = arg;

	if (h->nr_funcs < PATCH_HOOK_FUNCS)
		h->funcs[h->nr_funcs] = ip;
	h->nr_funcs++;
	return 0;
}

/* Live patch matching: is this ops one of klp_ops' and its functions patched? */
struct klp_match {
	struct hooks *hs;
	u64 fops;
	bool is_klp_ops;
	u64 patch_mod;
	u32 nr_matched;
};

static int klp_ops_match(struct vmiaas *v, u64 node, void *arg)
{
	struct klp_match *m = arg;

	if (node - m->hs->kl.ops_node + m->hs->kl.ops_fops == m->fops) {
		m->is_klp_ops = true;
		return 1;
	}
	return 0;
}

struct klp_walk {
	struct hooks *hs;
	struct patching_hook *h;
	u64 patch;
	u32 nr_matched;
	u32 visits;		/* patches, objects and functions: capped */
	bool matched[PATCH_HOOK_FUNCS];
};

/* The nested walks share one cap: lists of lists multiply. */
static int klp_visit(struct vmiaas *v, struct klp_walk *w)
{
	if (++w->visits > PATCH_KLP_MAX)
		return engine_fail(v, -ELOOP,
				   "klp_patches: more than %u patches, objects and functions",
				   PATCH_KLP_MAX);
	return 0;
}

static int klp_func_match(struct vmiaas *v, u64 node, void *arg)
{
	struct klp_walk *w = arg;
	u64 fn = node - w->hs->kl.f_node, old, repl, mod;
	u32 i;
	int err;

	err = klp_visit(v, w);
	if (err)
		return err;
	err = engine_read_u64(v, fn + w->hs->kl.f_old, &old);
	err = err ?: engine_read_u64(v, fn + w->hs->kl.f_new, &repl);
	if (err)
		return err;
	for (i = 0; i < min(w->h->nr_funcs, (u32)PATCH_HOOK_FUNCS); i++) {
		/* the ftrace site is at the function or after its ENDBR */
		if (w->matched[i] || w->h->funcs[i] < old ||
		    w->h->funcs[i] - old >= 16)
			continue;
		w->matched[i] = true;
		w->nr_matched++;
		w->h->repl[i] = repl;
		err = engine_read_u64(v, w->patch + w->hs->kl.p_mod, &mod);
		if (!err && kernel_ptr(mod))
			err = engine_read(v, mod + w->hs->kl.mod_name,
					  w->h->patch, sizeof(w->h->patch) - 1);
		if (err)
			return err;
	}
	return 0;
}

static int klp_obj_walk(struct vmiaas *v, u64 node, void *arg)
{
	struct klp_walk *w = arg;
	int err = klp_visit(v, w);

	if (err)
		return err;
	return list_walk(v, "klp_object.func_list",
			 node - w->hs->kl.o_node + w->hs->kl.o_funcs,
			 PATCH_KLP_MAX, klp_func_match, w);
}

static int klp_patch_walk(struct vmiaas *v, u64 node, void *arg)
{
	struct klp_walk *w = arg;
	int err = klp_visit(v, w);

	if (err)
		return err;
	w->patch = node - w->hs->kl.p_list;
	return list_walk(v, "klp_patch.obj_list", w->patch + w->hs->kl.p_objs,
			 PATCH_KLP_MAX, klp_obj_walk, w);
}

/*
 * A live patch: the ops is embedded in a struct klp_ops on the kernel's
 * klp_ops list, its callback is klp_ftrace_handler, and every function it
 * filters is the old_func of a klp_func of a patch on klp_patches.
 */
static int klp_check(struct vmiaas *v, struct hooks *hs,
		     struct patching_hook *h)
{
	struct klp_match m = { .hs = hs, .fops = h->ops };
	struct klp_walk w = { .hs = hs, .h = h };
	u64 ops_head, patches;
	int err;

	if (!hs->has_klp || h->func != hs->klp_handler || !h->nr_funcs ||
	    h->nr_funcs > PATCH_HOOK_FUNCS ||
	    engine_sym(v, "klp_ops", &ops_head) ||
	    engine_sym(v, "klp_patches", &patches))
		return 0;
	err = list_walk(v, "klp_ops", ops_head, PATCH_KLP_MAX, klp_ops_match, &m);
	if (err < 0 || !m.is_klp_ops)
		return err < 0 ? err : 0;
	err = list_walk(v, "klp_patches", patches, PATCH_KLP_MAX,
			klp_patch_walk, &w);
	if (err < 0)
		return err;
	h->patch[sizeof(h->patch) - 1] = '\0';
	h->livepatch = w.nr_matched == h->nr_funcs;
	return 0;
}

static int hook_collect(struct vmiaas *v, const struct ops_layout *l,
			u64 ops, void *arg)
{
	struct hooks *hs = arg;
	struct patching_hook h = { .ops = ops }, *n;
	u64 ops_hash = 0, filter = 0;
	bool outside;
	int err;

	err = engine_read_u64(v, ops + l->func, &h.func);
	err = err ?: engine_read_u64(v, ops + l->flags, &h.flags);
	err = err ?: engine_read_u64(v, ops + l->func_hash, &ops_hash);
	if (!err && ops_hash) {
		if (!kernel_ptr(ops_hash))
			return engine_fail(v, -EBADMSG,
				"ftrace_ops 0x%llx: func_hash 0x%llx",
				(unsigned long long)ops,
				(unsigned long long)ops_hash);
		err = engine_read_u64(v, ops_hash + l->filter_hash, &filter);
	}
	if (err)
		return err;
	if (hs->nr >= PATCH_HOOKS_MAX)
		return 0;		/* enough to say the guest is hooked */
	h.ipmodify = h.flags & l->ipmodify;
	outside = h.func < hs->text_start || h.func >= hs->text_end;
	/* the kernel's own kprobe ops may set IPMODIFY; its callback is core */
	if (!outside && (!h.ipmodify || h.func == hs->kprobe_handler))
		return 0;
	err = hash_walk(v, l, filter, hook_func, &h);
	err = err ?: klp_check(v, hs, &h);
	if (err)
		return err;
	n = array_grow(hs->a, &hs->cap, hs->nr, sizeof(*n), 8);
	if (!n)
		return -ENOMEM;
	hs->a = n;
	hs->a[hs->nr++] = h;
	return 0;
}

int patching_ftrace_hooks(struct vmiaas *v, struct patching_hook **ret,
			  size_t *ret_nr)
{
	struct hooks hs = {};
	struct ops_layout l;
	u64 list;
	int err;

	*ret = NULL;
	*ret_nr = 0;
	if (engine_sym(v, "ftrace_ops_list", &list))
		return 0;		/* no ftrace */
	err = bl_text_range(v, &hs.text_start, &hs.text_end);
	if (err)
		return err;
	engine_sym(v, "kprobe_ftrace_handler", &hs.kprobe_handler);
	hs.has_klp = !engine_sym(v, "klp_ftrace_handler", &hs.klp_handler) &&
		     !klp_layout_get(v, &hs.kl);
	err = ops_layout_get(v, &l);
	err = err ?: ops_walk(v, &l, hook_collect, &hs);
	if (err) {
		free(hs.a);
		return err;
	}
	*ret = hs.a;
	*ret_nr = hs.nr;
	return 0;
}

/* ---- kprobes whose handlers are not the kernel's ---- */

struct kp_hooks {
	u32 o_list, o_pre, o_post, o_rp_kp, o_rp_handler, o_rp_entry;
	u64 text_start, text_end, aggr, kretprobe;
	struct opt_layout o;
	int opt_err;		/* no optprobe records: detours not judged */
	char opt_why[200];
	struct kp_slot_layout s;
	int slot_err;		/* no slot records: copies not judged */
	char slot_why[200];
	struct patching_kprobe_hook *a;
	size_t nr, cap;
};

static int kp_hook_push(struct kp_hooks *k,
			const struct patching_kprobe_hook *h)
{
	struct patching_kprobe_hook *n;

	if (k->nr >= PATCH_HOOKS_MAX)
		return 0;	/* enough to say the guest is hooked */
	n = array_grow(k->a, &k->cap, k->nr, sizeof(*n), 8);
	if (!n)
		return -ENOMEM;
	k->a = n;
	k->a[k->nr++] = *h;
	return 0;
}

static int kp_hook_add(struct kp_hooks *k, u64 kp, u64 addr, u64 handler,
		       const char *which)
{
	if (!handler || (handler >= k->text_start && handler < k->text_end))
		return 0;
	return kp_hook_push(k, &(struct patching_kprobe_hook){
		.kprobe = kp, .addr = addr, .handler = handler, .which = which,
	});
}

/* One probe's handlers; a kretprobe's are in its container. */
static int kp_hook_probe(struct vmiaas *v, struct kp_hooks *k, u64 kp,
			 u64 addr)
{
	u64 pre, post, rp, h;
	int err;

	err = engine_read_u64(v, kp + k->o_pre, &pre);
	err = err ?: engine_read_u64(v, kp + k->o_post, &post);
	err = err ?: kp_hook_add(k, kp, addr, pre, "pre_handler");
	err = err ?: kp_hook_add(k, kp, addr, post, "post_handler");
	if (err || !pre || pre != k->kretprobe)
		return err;
	rp = kp - k->o_rp_kp;
	err = engine_read_u64(v, rp + k->o_rp_handler, &h);
	err = err ?: kp_hook_add(k, kp, addr, h, "kretprobe handler");
	err = err ?: engine_read_u64(v, rp + k->o_rp_entry, &h);
	return err ?: kp_hook_add(k, kp, addr, h, "kretprobe entry_handler");
}

struct kp_aggr {
	struct kp_hooks *k;
	u64 addr;
};

static int kp_hook_child(struct vmiaas *v, u64 node, void *arg)
{
	struct kp_aggr *a = arg;

	return kp_hook_probe(v, a->k, node - a->k->o_list, a->addr);
}

/* An optimized probe whose detour buffer is not the kernel's is a hook. */
static int kp_hook_detour(struct vmiaas *v, struct kp_hooks *k, u64 kp,
			  u64 addr)
{
	struct opt_bad bad;
	u64 insn;
	int err;

	err = engine_read_u64(v, kp - k->o.o_kp + k->o.o_insn, &insn);
	if (err)
		return err;
	err = opt_verify(v, &k->o, kp, addr, insn, &bad);
	if (err != -EBADMSG)
		return err;
	return kp_hook_push(k, &(struct patching_kprobe_hook){
		.kprobe = kp, .addr = addr, .detour = insn, .bad_at = bad.at,
		.handler = bad.target, .which = bad.what,
	});
}

/*
 * A probe whose out-of-line copy of the instruction or whose emulation is
 * not what arch_prepare_kprobe() made runs something else after its int3.
 */
static int kp_hook_slot(struct vmiaas *v, struct kp_hooks *k, u64 kp,
			u64 addr, u32 flags)
{
	struct kp_slot_bad bad;
	int err;

	if (k->slot_err)
		return engine_fail(v, k->slot_err,
				   "kprobe at 0x%llx: its instruction copy cannot be verified: %s",
				   (unsigned long long)addr, k->slot_why);
	err = kp_slot_verify(v, &k->s, kp, addr, flags, &bad);
	if (err != -EBADMSG)
		return err;
	return kp_hook_push(k, &(struct patching_kprobe_hook){
		.kprobe = kp, .addr = addr, .slot = bad.slot, .bad_at = bad.at,
		.handler = bad.target, .which = bad.what,
	});
}

static int kp_hook_one(struct vmiaas *v, u64 kp, void *arg)
{
	struct kp_hooks *k = arg;
	struct kp_aggr a = { .k = k };
	u64 pre;
	u32 flags;
	int err;

	err = engine_read_u64(v, kp + k->o.o_addr, &a.addr);
	err = err ?: engine_read_u64(v, kp + k->o_pre, &pre);
	err = err ?: engine_read(v, kp + k->o.o_flags, &flags, 4);
	if (!err && (flags & KPROBE_FLAG_OPTIMIZED) && k->opt_err)
		return engine_fail(v, k->opt_err,
				   "optimized kprobe at 0x%llx: its detour cannot be verified: %s",
				   (unsigned long long)a.addr, k->opt_why);
	if (!err && (flags & KPROBE_FLAG_OPTIMIZED))
		err = kp_hook_detour(v, k, kp, a.addr);
	if (!err && !(flags & (KPROBE_FLAG_FTRACE | KPROBE_FLAG_GONE)))
		err = kp_hook_slot(v, k, kp, a.addr, flags);
	if (err || !k->aggr || pre != k->aggr)
		return err ?: kp_hook_probe(v, k, kp, a.addr);
	return list_walk(v, "an aggregated kprobe's list", kp + k->o_list,
			 PATCH_KPROBES_MAX, kp_hook_child, &a);
}

int patching_kprobe_hooks(struct vmiaas *v,
			  struct patching_kprobe_hook **ret, size_t *ret_nr)
{
	struct kp_hooks k = {};
	u64 table;
	int err;

	*ret = NULL;
	*ret_nr = 0;
	if (engine_sym(v, "kprobe_table", &table))
		return 0;		/* no kprobes */
	err = bl_text_range(v, &k.text_start, &k.text_end);
	if (err)
		return err;
	engine_sym(v, "aggr_pre_handler", &k.aggr);
	engine_sym(v, "pre_handler_kretprobe", &k.kretprobe);
	OFF(v, "kprobe", "addr", &k.o.o_addr);
	OFF(v, "kprobe", "flags", &k.o.o_flags);
	OFF(v, "kprobe", "list", &k.o_list);
	OFF(v, "kprobe", "pre_handler", &k.o_pre);
	OFF(v, "kprobe", "post_handler", &k.o_post);
	OFF(v, "kretprobe", "kp", &k.o_rp_kp);
	OFF(v, "kretprobe", "handler", &k.o_rp_handler);
	OFF(v, "kretprobe", "entry_handler", &k.o_rp_entry);
	/* an error only if an optimized probe needs them (kp_hook_one()) */
	k.opt_err = opt_layout_get(v, &k.o);
	if (k.opt_err)
		snprintf(k.opt_why, sizeof(k.opt_why), "%.199s", v->diag.msg);
	k.slot_err = kp_slot_layout_get(v, &k.s);
	if (k.slot_err)
		snprintf(k.slot_why, sizeof(k.slot_why), "%.199s", v->diag.msg);
	err = kprobe_table_walk(v, table, kp_hook_one, &k);
	opt_layout_free(&k.o);
	kp_slot_layout_free(&k.s);
	if (err) {
		free(k.a);
		return err;
	}
	*ret = k.a;
	*ret_nr = k.nr;
	return 0;
}

/* ---- the context ---- */

int patching_new(struct vmiaas *v, struct patching **ret)
{
	struct patching *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->v = v;
	p->bpf_budget = 4 * PATCH_BPF_KSYMS_MAX;
	*ret = p;
	return 0;
}

void patching_use_baseline(struct patching *p,
			   const struct vmiaas_baseline *b)
{
	p->base = b;
}

struct patching *patching_free(struct patching *p)
{
	if (!p)
		return NULL;
	free(p->sites);
	free(p->tramps.a);
	free(p->callees.a);
	free(p->directs.a);
	free(p->lsm.a);
	free(p->kp_probed.a);
	free(p->sc_updates.a);
	free(p->mods);
	poke_batch_clear(&p->pokes);
	free(p);
	return NULL;
}

size_t patching_count(const struct patching *p, enum patch_kind kind)
{
	return kind < PATCH_KINDS ? p->counts[kind] : 0;
}

size_t patching_reverted(const struct patching *p, u64 *ret_first)
{
	if (!p || !p->nr_reverted)
		return 0;
	*ret_first = p->reverted_at;
	return p->nr_reverted;
}

size_t patching_kprobes_waiting(const struct patching *p)
{
	return p->nr_kp_waiting;
}

const char *patching_kind_name(enum patch_kind kind)
{
	static const char *const names[PATCH_KINDS] = {
		[PATCH_JUMP_LABEL] = "jump labels",
		[PATCH_STATIC_CALL] = "static calls",
		[PATCH_FTRACE] = "ftrace sites",
		[PATCH_BPF] = "BPF trampolines",
		[PATCH_KPROBE] = "kprobes",
	};

	return kind < PATCH_KINDS ? names[kind] : "?";
}

const char *patching_why(const struct patching *p)
{
	return p->why[0] ? p->why : NULL;
}

const char *patching_rejected(const struct patching *p)
{
	return p && p->rejected[0] ? p->rejected : NULL;
}
