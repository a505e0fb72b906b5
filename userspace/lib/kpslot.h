/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * A kprobe's out-of-line copy of the probed instruction and its
 * emulation (x86: struct arch_specific_insn, filled by
 * arch_prepare_kprobe()). When a probe's int3 is hit, the kernel runs its
 * handlers and then either calls ainsn.emulate_op (branches, ret, the
 * IF-flag instructions) or jumps to ainsn.insn, a slot in one of the
 * kernel's kprobe instruction pages (kprobe_insn_slots, 15-byte slots), which holds the
 * probed instruction (a rip-relative displacement relocated) and an int3
 * or a jmp back. Both are heap or module-area memory outside the measured
 * text: whoever rewrites them runs their code on every hit of a
 * legitimate probe. See docs/integrity.md, "Kprobes: the instruction
 * slot".
 */
#ifndef VMIAAS_KPSLOT_H
#define VMIAAS_KPSLOT_H

#include "engine.h"
#include "u64set.h"

#define KP_INSN_PAGE_SIZE	4096
#define KP_SLOT_SIZE		15	/* x86 MAX_INSN_SIZE: kprobe_insn_slots' */

enum kp_emulate {
	KP_EMU_IFMODIFIERS,
	KP_EMU_RET,
	KP_EMU_CALL,
	KP_EMU_JMP,
	KP_EMU_JCC,
	KP_EMU_LOOP,
	KP_EMU_CALL_INDIRECT,
	KP_EMU_JMP_INDIRECT,
	KP_EMU_NR,
};

struct kp_slot_layout {
	/* struct kprobe */
	u32 o_opcode, o_insn, o_size, o_op, o_asize, o_rel32, o_emulate;
	/* struct optimized_kprobe: the displaced bytes 1..4 */
	u32 o_opt_kp, o_copied;
	bool have_opt;
	u64 emulate[KP_EMU_NR];		/* kprobe_emulate_* */
	struct u64set pages;		/* kprobe_insn_slots' pages, sorted */
};

/* Why a probe's copy or emulation is not the kernel's. */
struct kp_slot_bad {
	const char *what;
	u64 slot;		/* ainsn.insn */
	u64 at;			/* the first byte or field not the kernel's */
	u64 target;		/* where a jmp/call there leads, emulate_op... */
};

/*
 * The pages of the kprobe instruction cache @cache ("kprobe_insn_slots",
 * "kprobe_optinsn_slots"): its pages list (capped, cycle-checked), each
 * kprobe_insn_page's insns, sorted into @pages. 0 with @pages empty when
 * the kernel has no such cache.
 */
int kp_insn_pages(struct vmiaas *v, const char *cache, struct u64set *pages);
/* Whether [@a, @a + @len) lies in one of sorted @pages. */
bool kp_in_pages(const struct u64set *pages, u64 a, u64 len);

int kp_slot_layout_get(struct vmiaas *v, struct kp_slot_layout *l);
void kp_slot_layout_free(struct kp_slot_layout *l);

/*
 * Whether the probe @kp at @addr (its kprobe flags @flags: not ftrace-
 * based, not gone) has the copy and the emulation arch_prepare_kprobe()
 * gives the instruction at @addr: ainsn.insn a slot of kprobe_insn_slots
 * holding exactly that instruction (kprobe.opcode and the bytes after it
 * in the text, or an optimized probe's copied_insn), rip-relative
 * displacement relocated, then an int3 or a jmp back to the next
 * instruction; ainsn.size its length; ainsn.emulate_op the kprobe_emulate_*
 * function prepare_emulation() picks for it, or none, and its operands.
 * -EBADMSG with *@bad if not; other errors: the records are unreadable.
 */
int kp_slot_verify(struct vmiaas *v, const struct kp_slot_layout *l, u64 kp,
		   u64 addr, u32 flags, struct kp_slot_bad *bad);

#endif /* VMIAAS_KPSLOT_H */
