/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The layout of one x86-64 instruction: its length and where its opcode,
 * ModRM, displacement and immediate are, enough to tell what the kernel's
 * kprobes do with it (arch/x86/kernel/kprobes/core.c: the copy of the
 * instruction in its slot, a rip-relative displacement relocated there,
 * the branches it emulates). 64-bit mode only; the bytes are the
 * guest's, so every read is bounded by the buffer and by the
 * architectural maximum of 15 bytes.
 */
#ifndef VMIAAS_X86INSN_H
#define VMIAAS_X86INSN_H

#include <stdbool.h>
#include <stddef.h>

#include "../../core/vmi_env.h"

#define X86_INSN_MAX	15	/* MAX_INSN_SIZE is 16: the kernel's buffer */

/* Opcodes and instructions the kernel's runtime patching writes. */
#define INSN_CALL	0xe8
#define INSN_JMP32	0xe9
#define INSN_JMP8	0xeb
#define INSN_INT3	0xcc
#define INSN_RET	0xc3

extern const u8 x86_nop5[5];		/* nopl 0x0(%rax,%rax,1) */
extern const u8 x86_nop2[2];		/* xchg %ax,%ax */
/* static_call of __static_call_return0: "cs cs cs xor %eax,%eax" */
extern const u8 x86_xor5rax[5];

enum x86_map {
	X86_MAP_1,		/* one-byte opcodes */
	X86_MAP_0F,		/* 0f xx */
	X86_MAP_0F38,		/* 0f 38 xx, VEX/EVEX map 2 */
	X86_MAP_0F3A,		/* 0f 3a xx, VEX/EVEX map 3 */
	X86_MAP_OTHER,		/* VEX/EVEX maps beyond 3 */
};

struct x86_insn {
	u8 len;
	u8 nr_prefixes;		/* legacy prefix bytes before the opcode */
	u8 rex;			/* 0x40..0x4f, or 0 */
	bool p66, p67;		/* operand- and address-size prefixes */
	bool vex;		/* VEX or EVEX encoded */
	u8 map;			/* enum x86_map */
	u8 op;			/* the opcode byte in its map */
	u8 op_pos;		/* its index */
	u8 modrm;		/* valid if modrm_pos */
	u8 modrm_pos;		/* 0: no ModRM (never at index 0) */
	u8 disp_pos, disp_len;	/* disp_len 0: none */
	u8 imm_pos, imm_len;	/* imm_len 0: none */
	bool rip_rel;		/* ModRM mod 00, r/m 101: disp32 from rip */
};

/*
 * Decodes the instruction at @buf (@n bytes readable) into @ret.
 * -EBADMSG: not a valid 64-bit instruction, longer than 15 bytes, or
 * longer than @n.
 */
int x86_insn_decode(const u8 *buf, size_t n, struct x86_insn *ret);

#endif /* VMIAAS_X86INSN_H */
