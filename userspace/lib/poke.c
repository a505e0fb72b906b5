// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The instructions text_poke_bp_batch() is rewriting now (see poke.h).
 * Everything is read from the guest: the count is capped, the vector
 * pointer checked, each entry's length bounded by its own text field.
 */
#include <stdlib.h>
#include <string.h>

#include "poke.h"

/* The descriptor's type: renamed over the kernel's history. */
static const char *const desc_types[] = {
	"bp_patching_desc", "int3_patching_desc", "text_poke_int3_vec",
};

struct poke_layout {
	u32 vec, nr, refs;		/* the descriptor; refs: or NO_REFS */
	u32 size, rel, len, text, old;	/* struct text_poke_loc */
};

#define NO_REFS	0xffffffffu
#define KERNEL_HALF	0xff00000000000000ULL

static int layout_get(struct vmiaas *v, struct poke_layout *l)
{
	const char *d = NULL;
	size_t i;

	for (i = 0; i < sizeof(desc_types) / sizeof(desc_types[0]); i++)
		if (!btf_offsetof(v->btf, desc_types[i], "vec", &l->vec)) {
			d = desc_types[i];
			break;
		}
	if (!d || btf_offsetof(v->btf, d, "nr_entries", &l->nr) ||
	    btf_sizeof(v->btf, "text_poke_loc", &l->size) ||
	    btf_offsetof(v->btf, "text_poke_loc", "rel_addr", &l->rel) ||
	    btf_offsetof(v->btf, "text_poke_loc", "len", &l->len) ||
	    btf_offsetof(v->btf, "text_poke_loc", "text", &l->text) ||
	    btf_offsetof(v->btf, "text_poke_loc", "old", &l->old))
		return -ENOENT;
	if (btf_offsetof(v->btf, d, "refs", &l->refs))
		l->refs = NO_REFS;	/* 6.6+: per-cpu bp_refs */
	if (l->size > 64 || l->rel + 4 > l->size || l->len >= l->size ||
	    l->old >= l->size || l->text >= l->size)
		return -EBADMSG;
	return 0;
}

/*
 * Whether a batch is in flight: the reference count poke_int3_handler()
 * takes (try_get_desc()) is not 0; it is set to 1 when the batch starts
 * and dropped to 0 when it ends, in the descriptor or, since 6.6, per
 * CPU (the boot CPU's is read: every CPU's is set and dropped together).
 */
static int batch_active(struct vmiaas *v, const struct poke_layout *l,
			u64 desc, bool *active)
{
	u64 refs_va, pcpu;
	u32 refs;
	int err;

	if (l->refs != NO_REFS) {
		refs_va = desc + l->refs;
	} else {
		if (engine_sym(v, "bp_refs", &refs_va) ||
		    engine_sym(v, "__per_cpu_offset", &pcpu))
			return -ENOENT;
		err = engine_read_u64(v, pcpu, &pcpu);
		if (err)
			return err;
		refs_va += pcpu;
	}
	err = engine_read(v, refs_va, &refs, sizeof(refs));
	*active = !err && refs;
	return err;
}

static int loc_cmp(const void *a, const void *b)
{
	const struct poke_loc *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

static int locs_decode(const struct poke_layout *l, const u8 *raw, u32 nr,
		       u64 stext, struct poke_batch *b)
{
	u32 text_max = l->old > l->text ? l->old - l->text : l->size - l->text;
	u32 i;

	if (text_max > POKE_TEXT_MAX)
		text_max = POKE_TEXT_MAX;
	b->a = calloc(nr, sizeof(*b->a));
	if (!b->a)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		const u8 *e = raw + (size_t)i * l->size;
		struct poke_loc *p = &b->a[b->nr];

		p->len = e[l->len];
		if (!p->len || p->len > text_max)
			continue;	/* not an instruction the kernel writes */
		p->addr = stext + (s64)(s32)vmi_get_u32(e + l->rel);
		p->old = e[l->old];
		memcpy(p->text, e + l->text, p->len);
		b->nr++;
	}
	qsort(b->a, b->nr, sizeof(*b->a), loc_cmp);
	return 0;
}

int poke_batch_load(struct vmiaas *v, struct poke_batch *b)
{
	struct poke_layout l;
	u64 desc, vec, stext;
	bool active = false;
	u8 *raw;
	s32 nr;
	int err;

	poke_batch_clear(b);
	if (engine_sym(v, "bp_desc", &desc) || engine_sym(v, "_stext", &stext) ||
	    layout_get(v, &l))
		return 0;	/* no such records: no batch explains a site */
	err = batch_active(v, &l, desc, &active);
	if (err || !active)
		return err == -ENOENT ? 0 : err;
	err = engine_read_u64(v, desc + l.vec, &vec);
	err = err ?: engine_read(v, desc + l.nr, &nr, sizeof(nr));
	if (err)
		return err;
	/* a single poke's entry is on the stack: 4-byte aligned */
	if (nr <= 0 || nr > POKE_BATCH_MAX || vec < KERNEL_HALF || (vec & 3))
		return engine_fail(v, -EBADMSG,
			"bp_desc: %d entries at 0x%llx", nr,
			(unsigned long long)vec);
	raw = malloc((size_t)nr * l.size);
	if (!raw)
		return -ENOMEM;
	err = engine_read(v, vec, raw, (size_t)nr * l.size);
	err = err ?: locs_decode(&l, raw, (u32)nr, stext, b);
	free(raw);
	return err;
}

void poke_batch_clear(struct poke_batch *b)
{
	free(b->a);
	b->a = NULL;
	b->nr = 0;
}

const struct poke_loc *poke_find(const struct poke_batch *b, u64 addr)
{
	struct poke_loc key = { .addr = addr };

	return b->nr ? bsearch(&key, b->a, b->nr, sizeof(*b->a), loc_cmp) :
		       NULL;
}
