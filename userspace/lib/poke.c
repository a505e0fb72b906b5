// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The instructions text_poke_bp_batch() is rewriting now (see poke.h).
 * Everything is read from the guest: the count is capped, the vector
 * pointer checked, each entry's length bounded by its own text field.
 */
#include <stdlib.h>
#include <string.h>

#include "poke.h"
#include "x86insn.h"

/* The descriptor's type: renamed over the kernel's history. */
static const char *const desc_types[] = {
	"bp_patching_desc", "int3_patching_desc", "text_poke_int3_vec",
};

struct poke_layout {
	u32 vec, nr, refs;		/* the descriptor; refs: or NO_REFS */
	u32 size, rel, disp, len, opcode, text, old;	/* text_poke_loc */
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
	    btf_offsetof(v->btf, "text_poke_loc", "disp", &l->disp) ||
	    btf_offsetof(v->btf, "text_poke_loc", "len", &l->len) ||
	    btf_offsetof(v->btf, "text_poke_loc", "opcode", &l->opcode) ||
	    btf_offsetof(v->btf, "text_poke_loc", "text", &l->text) ||
	    btf_offsetof(v->btf, "text_poke_loc", "old", &l->old))
		return -ENOENT;
	if (btf_offsetof(v->btf, d, "refs", &l->refs))
		l->refs = NO_REFS;	/* 6.6+: per-cpu bp_refs */
	if (l->size > 64 || l->rel + 4 > l->size || l->disp + 4 > l->size ||
	    l->len >= l->size || l->opcode >= l->size ||
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

/*
 * poke_int3_handler() does not run an entry's text: it emulates the
 * entry's opcode and disp, which text_poke_loc_init() derived from the
 * text (CALL/JMP/Jcc to ip + len + disp, RET; a NOP, or static_call's
 * "cs cs cs xor %eax,%eax" emulated as a NOP, as JMP +0). An entry is
 * believed only if they are exactly the text's instruction, padded with
 * int3 after a RET or JMP; its opcode int3 (the handler leaves such a
 * trap to others) explains nothing. Jcc.d32 (len 6) is not decoded.
 */
static bool loc_emulates_text(const struct poke_loc *p, u8 opcode, s32 disp)
{
	const u8 *t = p->text;
	u8 op = t[0], n;
	s32 d = 0;
	u32 i;

	if (op == INSN_CALL || op == INSN_JMP32) {
		n = 5;
		d = (s32)vmi_get_u32(t + 1);
	} else if (op == INSN_JMP8 || (op >= 0x70 && op <= 0x7f)) {
		n = 2;
		d = (s8)t[1];
	} else if (op == INSN_RET) {
		n = 1;
	} else if (p->len == 5 && (!memcmp(t, x86_nop5, 5) ||
				   !memcmp(t, x86_xor5rax, 5))) {
		op = INSN_JMP32;
		n = 5;
	} else if (p->len == 2 && !memcmp(t, x86_nop2, 2)) {
		op = INSN_JMP8;
		n = 2;
	} else {
		return false;
	}
	if (n > p->len)
		return false;
	for (i = n; i < p->len; i++)
		if (t[i] != INSN_INT3 ||
		    (op != INSN_RET && op != INSN_JMP32 && op != INSN_JMP8))
			return false;
	return op == opcode && (op == INSN_RET || d == disp);
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
		if (!loc_emulates_text(p, e[l->opcode],
				       (s32)vmi_get_u32(e + l->disp)))
			continue;	/* the handler would run something else */
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
