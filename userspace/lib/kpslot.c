// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Kprobes' out-of-line instruction copies and emulation (see kpslot.h),
 * judged against the instruction at the probed address. What the kernel
 * writes (arch/x86/kernel/kprobes/core.c, the same in Debian's 6.1.192
 * and 6.12.117): arch_prepare_kprobe() zeroes ainsn, takes a slot from
 * kprobe_insn_slots (MAX_INSN_SIZE, 15 bytes, in a page of module-area
 * memory, read-only and executable), __copy_instruction() copies the instruction there
 * (a rip-relative disp32 adjusted by the probe address minus the slot's),
 * prepare_emulation() picks emulate_op and its operands from the opcode
 * and sets ainsn.size to the length, prepare_singlestep() appends an int3
 * (or, in a kernel without CONFIG_PREEMPTION, a jmp back to the next
 * instruction: a "boosted" probe). An aggregated or optimized probe
 * copies ainsn from the probe it replaces. Every byte and field read here
 * is the guest's: reads are bounded by the slot, the instruction by 15
 * bytes.
 */
#include <stdio.h>
#include <string.h>

#include "kpslot.h"
#include "list.h"
#include "x86insn.h"

#define KPROBES_PAGES_MAX	(1U << 16)
#define JMP32_LEN		5
#define KPROBE_FLAG_OPTIMIZED	4U

static int insn_page(struct vmiaas *v, u64 node, void *arg)
{
	struct u64set *pages = arg;
	u32 o_list, o_insns;
	u64 insns;
	int err;

	if (btf_offsetof(v->btf, "kprobe_insn_page", "list", &o_list) ||
	    btf_offsetof(v->btf, "kprobe_insn_page", "insns", &o_insns))
		return engine_fail(v, -ENOENT, "no kprobe_insn_page.{list,insns} in the kernel's BTF");
	err = engine_read_u64(v, node - o_list + o_insns, &insns);
	return err ?: u64set_add(pages, insns);
}

int kp_insn_pages(struct vmiaas *v, const char *cache, struct u64set *pages)
{
	char what[64];
	u64 c;
	u32 o_pages;
	int err;

	if (engine_sym(v, cache, &c))
		return 0;		/* no such cache: no slot is accepted */
	if (btf_offsetof(v->btf, "kprobe_insn_cache", "pages", &o_pages))
		return engine_fail(v, -ENOENT, "no kprobe_insn_cache.pages in the kernel's BTF");
	snprintf(what, sizeof(what), "%s.pages", cache);
	err = list_walk(v, what, c + o_pages, KPROBES_PAGES_MAX, insn_page,
			pages);
	u64set_sort(pages);
	return err;
}

bool kp_in_pages(const struct u64set *pages, u64 a, u64 len)
{
	u64 page = u64set_floor(pages, a);

	return page && a - page <= KP_INSN_PAGE_SIZE &&
	       len <= KP_INSN_PAGE_SIZE - (a - page);
}

int kp_slot_layout_get(struct vmiaas *v, struct kp_slot_layout *l)
{
	static const char *const names[KP_EMU_NR] = {
		[KP_EMU_IFMODIFIERS] = "kprobe_emulate_ifmodifiers",
		[KP_EMU_RET] = "kprobe_emulate_ret",
		[KP_EMU_CALL] = "kprobe_emulate_call",
		[KP_EMU_JMP] = "kprobe_emulate_jmp",
		[KP_EMU_JCC] = "kprobe_emulate_jcc",
		[KP_EMU_LOOP] = "kprobe_emulate_loop",
		[KP_EMU_CALL_INDIRECT] = "kprobe_emulate_call_indirect",
		[KP_EMU_JMP_INDIRECT] = "kprobe_emulate_jmp_indirect",
	};
	const struct btf_member_ref m[] = {
		{ "kprobe", "opcode", &l->o_opcode },
		{ "kprobe", "ainsn.insn", &l->o_insn },
		{ "kprobe", "ainsn.size", &l->o_size },
		{ "kprobe", "ainsn.opcode", &l->o_op },
		{ "kprobe", "ainsn.loop.asize", &l->o_asize },
		{ "kprobe", "ainsn.rel32", &l->o_rel32 },
		{ "kprobe", "ainsn.emulate_op", &l->o_emulate },
	}, *bad;
	size_t i;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), &bad))
		return engine_fail(v, -ENOENT, "no %s.%s in the kernel's BTF",
				   bad->type, bad->path);
	l->have_opt = !btf_offsetof(v->btf, "optimized_kprobe", "kp", &l->o_opt_kp) &&
		      !btf_offsetof(v->btf, "optimized_kprobe",
				    "optinsn.copied_insn", &l->o_copied);
	for (i = 0; i < KP_EMU_NR; i++)
		if (engine_sym(v, names[i], &l->emulate[i]))
			return engine_fail(v, -ENOENT, "no %s symbol", names[i]);
	return kp_insn_pages(v, "kprobe_insn_slots", &l->pages);
}

void kp_slot_layout_free(struct kp_slot_layout *l)
{
	u64set_free(&l->pages);
}

/* What prepare_emulation() sets for an instruction. */
struct kp_emul {
	int fn;			/* enum kp_emulate, or -1: none */
	bool refused;		/* -EOPNOTSUPP: no probe can be there */
	u8 op, asize;		/* ainsn.opcode (jcc.type...), loop.asize */
	s32 rel32;
};

static s32 imm_value(const struct x86_insn *d, const u8 *insn)
{
	switch (d->imm_len) {
	case 1:
		return (s8)insn[d->imm_pos];
	case 2:
		return (s16)vmi_get_u16(insn + d->imm_pos);
	case 4:
		return (s32)vmi_get_u32(insn + d->imm_pos);
	}
	return 0;
}

/*
 * prepare_emulation()'s switch on the kernel decoder's first opcode byte
 * (0x0f for the two-byte map; a VEX/EVEX instruction's own opcode byte).
 */
static void kp_expect(const struct x86_insn *d, const u8 *insn,
		      struct kp_emul *e)
{
	u8 op = d->map == X86_MAP_1 || d->vex ? d->op : 0x0f;
	u8 mod = d->modrm >> 6, reg = (d->modrm >> 3) & 7;

	*e = (struct kp_emul){ .fn = -1 };
	switch (op) {
	case 0xfa: case 0xfb: case 0x9c: case 0x9d:
		e->fn = KP_EMU_IFMODIFIERS;
		e->op = op;
		return;
	case 0xc2: case 0xc3: case 0xca: case 0xcb:
		e->fn = KP_EMU_RET;
		return;
	case 0x9a: case 0xea: case 0xcc: case 0xcf:
		e->refused = true;
		return;
	case 0xe8:
		e->fn = KP_EMU_CALL;
		break;
	case 0xe9: case 0xeb:
		e->fn = KP_EMU_JMP;
		break;
	case 0x70 ... 0x7f:
		e->fn = KP_EMU_JCC;
		e->op = op & 0xf;
		break;
	case 0x0f:
		if (d->map != X86_MAP_0F)
			return;
		if ((d->op & 0xf0) == 0x80) {
			e->fn = KP_EMU_JCC;
			e->op = d->op & 0xf;
			break;
		}
		/* 0f 01 /0 with a register operand: VMX, refused */
		e->refused = d->op == 0x01 && d->modrm_pos && !reg && mod == 3;
		return;
	case 0xe0 ... 0xe3:
		e->fn = KP_EMU_LOOP;
		e->op = op & 3;
		e->asize = d->p67 ? 32 : 64;
		break;
	case 0xff:
		if (!d->modrm_pos || (reg != 2 && reg != 3 && reg != 4 && reg != 5))
			return;
		/* far call/jmp, another address size, a memory operand */
		if (reg == 3 || reg == 5 || d->p67 || mod != 3) {
			e->refused = true;
			return;
		}
		e->fn = reg == 2 ? KP_EMU_CALL_INDIRECT : KP_EMU_JMP_INDIRECT;
		e->op = (d->modrm & 7) + (d->rex & 1 ? 8 : 0);
		return;
	default:
		return;
	}
	e->rel32 = imm_value(d, insn);
}

static int kp_bad(struct kp_slot_bad *bad, const char *what, u64 at,
		  u64 target)
{
	bad->what = what;
	bad->at = at;
	bad->target = target;
	return -EBADMSG;
}

/* Where a call or jmp rel32 at @insn (5 bytes at @va) leads, or 0. */
static u64 branch_target(u64 va, const u8 *insn)
{
	if (insn[0] != INSN_CALL && insn[0] != INSN_JMP32)
		return 0;
	return va + JMP32_LEN + (s64)(s32)vmi_get_u32(insn + 1);
}

/*
 * The copy in the slot: @orig's @len bytes (a rip-relative disp32 moved
 * by the probe address minus the slot's), then int3 or "jmp addr + len".
 */
static int kp_copy_verify(const struct x86_insn *d, const u8 *orig,
			  const u8 *slot, u64 va, u64 addr,
			  struct kp_slot_bad *bad)
{
	u8 want[KP_SLOT_SIZE];
	s64 disp;
	u32 i, len = d->len;

	if (len >= KP_SLOT_SIZE)	/* no room for the int3 */
		return kp_bad(bad, "claims an instruction too long for a slot",
			      va, 0);
	memcpy(want, orig, len);
	if (d->rip_rel) {
		disp = (s64)(s32)vmi_get_u32(orig + d->disp_pos) +
		       (s64)(addr - va);
		if (disp != (s32)disp)
			return kp_bad(bad, "holds a rip-relative instruction the kernel cannot relocate there",
				      va, 0);
		memcpy(want + d->disp_pos, &(s32){ (s32)disp }, 4);
	}
	for (i = 0; i < len; i++)
		if (slot[i] != want[i])
			return kp_bad(bad, "does not hold the probed instruction",
				      va + i, i + JMP32_LEN <= KP_SLOT_SIZE ?
				      branch_target(va + i, slot + i) : 0);
	if (slot[len] == INSN_INT3)
		return 0;
	if (len + JMP32_LEN <= KP_SLOT_SIZE && slot[len] == INSN_JMP32 &&
	    branch_target(va + len, slot + len) == addr + len)
		return 0;		/* boosted */
	return kp_bad(bad, "is not followed by an int3 or a jump back",
		      va + len, len + JMP32_LEN <= KP_SLOT_SIZE ?
		      branch_target(va + len, slot + len) : 0);
}

/* emulate_op and its operands as prepare_emulation() sets them. */
static int kp_emul_verify(struct vmiaas *v, const struct kp_slot_layout *l,
			  u64 kp, const struct x86_insn *d, const u8 *orig,
			  struct kp_slot_bad *bad)
{
	struct kp_emul e;
	u64 fn;
	u8 op, asize;
	s32 rel32;
	int err;

	kp_expect(d, orig, &e);
	if (e.refused)
		return kp_bad(bad, "probes an instruction the kernel refuses to probe",
			      kp + l->o_opcode, 0);
	err = engine_read_u64(v, kp + l->o_emulate, &fn);
	err = err ?: engine_read(v, kp + l->o_op, &op, 1);
	err = err ?: engine_read(v, kp + l->o_asize, &asize, 1);
	err = err ?: engine_read(v, kp + l->o_rel32, &rel32, 4);
	if (err)
		return err;
	if (fn != (e.fn < 0 ? 0 : l->emulate[e.fn]))
		return kp_bad(bad, "has an emulate_op that is not the kernel's for the probed instruction",
			      kp + l->o_emulate, fn);
	switch (e.fn) {
	case KP_EMU_IFMODIFIERS: case KP_EMU_JCC:
	case KP_EMU_CALL_INDIRECT: case KP_EMU_JMP_INDIRECT:
		if (op != e.op)
			return kp_bad(bad, "has emulation operands that are not the probed instruction's",
				      kp + l->o_op, 0);
		break;
	case KP_EMU_LOOP:
		if (op != e.op || asize != e.asize)
			return kp_bad(bad, "has emulation operands that are not the probed instruction's",
				      kp + l->o_op, 0);
		break;
	}
	if (e.fn >= 0 && rel32 != e.rel32)
		return kp_bad(bad, "has an emulated branch displacement that is not the probed instruction's",
			      kp + l->o_rel32, 0);
	return 0;
}

/*
 * The probed instruction: kprobe.opcode (the byte under the int3), then
 * the text after it. An optimized probe's optinsn.copied_insn holds
 * bytes 1..4: in @orig while its JMP is written; while its site is an
 * int3 (waiting, or text_poke_bp() writing or removing the JMP) bytes
 * 1..4 may be the text's or those: in *@alt then (@have_alt). A
 * disarmed probe's site holds its original byte.
 */
static int kp_original(struct vmiaas *v, const struct kp_slot_layout *l,
		       u64 kp, u64 addr, u32 flags, u8 *orig, u8 *alt,
		       bool *have_alt, struct kp_slot_bad *bad)
{
	u8 opcode, site;
	int err;

	*have_alt = false;
	err = engine_read(v, kp + l->o_opcode, &opcode, 1);
	err = err ?: engine_read(v, addr, orig, X86_INSN_MAX + 1);
	if (err)
		return kp_bad(bad, "cannot be compared: the probed text is unreadable",
			      addr, 0);
	site = orig[0];
	if (site != INSN_INT3 && site != opcode &&
	    !((flags & KPROBE_FLAG_OPTIMIZED) && site == INSN_JMP32))
		return kp_bad(bad, "was made from a kprobe.opcode that is not the byte at the probed address",
			      kp + l->o_opcode, 0);
	orig[0] = opcode;
	if (!(flags & KPROBE_FLAG_OPTIMIZED))
		return 0;
	if (!l->have_opt)
		return engine_fail(v, -ENOENT, "no optimized_kprobe.optinsn.copied_insn in the kernel's BTF");
	memcpy(alt, orig, X86_INSN_MAX + 1);
	err = engine_read(v, kp - l->o_opt_kp + l->o_copied, alt + 1,
			  JMP32_LEN - 1);
	if (err)
		return err;
	if (site == INSN_JMP32)
		memcpy(orig, alt, X86_INSN_MAX + 1);
	else
		*have_alt = true;
	return 0;
}

/* One candidate for the probed instruction against the slot. */
static int kp_judge(struct vmiaas *v, const struct kp_slot_layout *l, u64 kp,
		    u64 addr, u64 va, const u8 *orig, const u8 *slot,
		    u8 size, struct kp_slot_bad *bad)
{
	struct x86_insn d;

	if (x86_insn_decode(orig, X86_INSN_MAX, &d))
		return kp_bad(bad, "cannot be judged: the probed bytes are no instruction",
			      addr, 0);
	if (size != d.len)
		return kp_bad(bad, "has an ainsn.size that is not the probed instruction's length",
			      kp + l->o_size, 0);
	return kp_copy_verify(&d, orig, slot, va, addr, bad) ?:
	       kp_emul_verify(v, l, kp, &d, orig, bad);
}

int kp_slot_verify(struct vmiaas *v, const struct kp_slot_layout *l, u64 kp,
		   u64 addr, u32 flags, struct kp_slot_bad *bad)
{
	u8 orig[X86_INSN_MAX + 1], alt[X86_INSN_MAX + 1], slot[KP_SLOT_SIZE];
	u8 size;
	struct kp_slot_bad first;
	bool have_alt;
	u64 va;
	int err;

	memset(bad, 0, sizeof(*bad));
	err = engine_read_u64(v, kp + l->o_insn, &va);
	err = err ?: engine_read(v, kp + l->o_size, &size, 1);
	if (err)
		return err;
	bad->slot = va;
	if (!kp_in_pages(&l->pages, va, KP_SLOT_SIZE) ||
	    (va - u64set_floor(&l->pages, va)) % KP_SLOT_SIZE)
		return kp_bad(bad, "is not a slot of the kernel's kprobe instruction pages",
			      va, va);
	if (engine_read(v, va, slot, KP_SLOT_SIZE))
		return kp_bad(bad, "is unreadable", va, 0);
	err = kp_original(v, l, kp, addr, flags, orig, alt, &have_alt, bad);
	if (err)
		return err;
	err = kp_judge(v, l, kp, addr, va, orig, slot, size, bad);
	if (err != -EBADMSG || !have_alt)
		return err;
	/* int3 while (un)optimized: bytes 1..4 the probed or the JMP's */
	first = *bad;
	err = kp_judge(v, l, kp, addr, va, alt, slot, size, bad);
	if (err == -EBADMSG)
		*bad = first;
	return err;
}
