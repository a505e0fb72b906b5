// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * x86-64 instruction layout (see x86insn.h), from the opcode maps of the
 * SDM volume 2, appendix A: legacy prefixes, REX, VEX/EVEX, the one-byte,
 * 0f, 0f38 and 0f3a maps; which opcodes take a ModRM and what immediate.
 * Operand sizes follow the kernel's decoder (arch/x86/lib/insn.c): near
 * branches have a 32-bit displacement whatever the prefixes (f64).
 */
#include "x86insn.h"

const u8 x86_nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
const u8 x86_nop2[2] = { 0x66, 0x90 };
const u8 x86_xor5rax[5] = { 0x2e, 0x2e, 0x2e, 0x31, 0xc0 };

/* One bit per opcode: bit (op & 31) of word (op >> 5). */
static bool bit(const u32 *map, u8 op)
{
	return map[op >> 5] & (1U << (op & 31));
}

/*
 * One-byte opcodes with a ModRM: 00-03, 08-0b, ... 38-3b, 62 (EVEX), 63,
 * 69, 6b, 80-8f, c0, c1, c4-c7, d0-d3, d8-df, f6, f7, fe, ff.
 */
static const u32 modrm_1[8] = {
	0x0f0f0f0f, 0x0f0f0f0f, 0x00000000, 0x00000a0c,
	0x0000ffff, 0x00000000, 0xff0f00f3, 0xc0c00000 };

/*
 * 0f opcodes without a ModRM: 05-09, 0b, 0e, 30-37, 77, 80-8f (Jcc),
 * a0-a2, a8-aa, c8-cf; every other one has one.
 */
static const u32 no_modrm_0f[8] = {
	0x00004be0, 0x00ff0000, 0x00000000, 0x00800000,
	0x0000ffff, 0x00000707, 0x0000ff00, 0x00000000 };

/*
 * One-byte opcodes invalid in 64-bit mode: 06, 07, 0e, 16, 17, 1e, 1f,
 * 27, 2f, 37, 3f, 60, 61, 82, 9a, ce, d4-d6, ea (c4, c5, 62: VEX, EVEX).
 */
static const u32 invalid64_1[8] = {
	0xc0c040c0, 0x80808080, 0x00000000, 0x00000003,
	0x04000004, 0x00000000, 0x00704000, 0x00000400 };

static bool legacy_prefix(u8 b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/* Iz: 16 bits with an operand-size prefix (and no REX.W), else 32. */
static u8 imm_z(const struct x86_insn *d)
{
	return d->p66 && !(d->rex & 8) ? 2 : 4;
}

static u8 imm_map1(const struct x86_insn *d)
{
	u8 op = d->op, reg = (d->modrm >> 3) & 7;

	if (op < 0x40)
		switch (op & 7) {
		case 4:
			return 1;		/* op al, imm8 */
		case 5:
			return imm_z(d);	/* op eax, imm32 */
		default:
			return 0;
		}
	switch (op) {
	case 0x6a: case 0x6b: case 0x70 ... 0x7f: case 0x80: case 0x83:
	case 0xa8: case 0xb0 ... 0xb7: case 0xc0: case 0xc1: case 0xc6:
	case 0xcd: case 0xe0 ... 0xe7: case 0xeb:
		return 1;
	case 0x68: case 0x69: case 0x81: case 0xa9: case 0xc7:
		return imm_z(d);
	case 0xe8: case 0xe9:
		return 4;			/* f64: rel32 */
	case 0xb8 ... 0xbf:
		return d->rex & 8 ? 8 : imm_z(d);	/* mov r, imm64 */
	case 0xa0 ... 0xa3:
		return d->p67 ? 4 : 8;		/* mov moffs */
	case 0xc2: case 0xca:
		return 2;
	case 0xc8:
		return 3;			/* enter imm16, imm8 */
	case 0xf6:
		return reg < 2 ? 1 : 0;		/* test r/m8, imm8 */
	case 0xf7:
		return reg < 2 ? imm_z(d) : 0;	/* test r/m, imm */
	}
	return 0;
}

static u8 imm_0f(u8 op)
{
	switch (op) {
	case 0x0f:				/* 3DNow!: a suffix byte */
	case 0x70 ... 0x73: case 0xa4: case 0xac: case 0xba: case 0xc2:
	case 0xc4 ... 0xc6:
		return 1;
	case 0x80 ... 0x8f:
		return 4;			/* f64: Jcc rel32 */
	}
	return 0;
}

/* VEX (c4, c5) or EVEX (62) at @i: the map, the opcode's index. */
static int vex_prefix(const u8 *b, size_t n, size_t i, struct x86_insn *d)
{
	u8 len = b[i] == 0xc5 ? 2 : b[i] == 0xc4 ? 3 : 4, m;

	if (i + len >= n)
		return -EBADMSG;
	if (b[i] == 0xc5) {
		m = 1;
	} else {
		m = b[i + 1] & (b[i] == 0x62 ? 0x07 : 0x1f);
		if (b[i] == 0xc4 && (b[i + 2] & 0x80))
			d->rex = 0x48;		/* VEX.W */
		else if (b[i] == 0x62 && (b[i + 2] & 0x80))
			d->rex = 0x48;		/* EVEX.W */
	}
	if (!m)
		return -EBADMSG;
	d->vex = true;
	d->map = m <= 3 ? m : X86_MAP_OTHER;
	d->op_pos = i + len;
	return 0;
}

static int modrm_decode(const u8 *b, size_t n, struct x86_insn *d, size_t *i)
{
	u8 mod, rm;

	if (*i >= n)
		return -EBADMSG;
	d->modrm_pos = *i;
	d->modrm = b[(*i)++];
	mod = d->modrm >> 6;
	rm = d->modrm & 7;
	if (mod == 3)
		return 0;
	if (rm == 4) {				/* SIB */
		if (*i >= n)
			return -EBADMSG;
		if (mod == 0 && (b[*i] & 7) == 5)
			d->disp_len = 4;	/* no base: disp32 */
		(*i)++;
	} else if (mod == 0 && rm == 5) {
		d->rip_rel = true;
		d->disp_len = 4;
	}
	if (mod == 1)
		d->disp_len = 1;
	else if (mod == 2)
		d->disp_len = 4;
	if (d->disp_len) {
		d->disp_pos = *i;
		*i += d->disp_len;
	}
	return 0;
}

int x86_insn_decode(const u8 *b, size_t n, struct x86_insn *ret)
{
	struct x86_insn d = {};
	size_t i = 0;
	bool modrm;
	int err;

	if (n > X86_INSN_MAX)
		n = X86_INSN_MAX;
	for (; i < n && (legacy_prefix(b[i]) || (b[i] & 0xf0) == 0x40); i++) {
		if ((b[i] & 0xf0) == 0x40) {
			d.rex = b[i];		/* only the last one counts */
			continue;
		}
		d.rex = 0;			/* a REX must come last */
		d.nr_prefixes++;
		d.p66 |= b[i] == 0x66;
		d.p67 |= b[i] == 0x67;
	}
	if (i >= n)
		return -EBADMSG;
	if (b[i] == 0xc4 || b[i] == 0xc5 || b[i] == 0x62) {
		if (d.rex)
			return -EBADMSG;	/* no REX before VEX/EVEX */
		err = vex_prefix(b, n, i, &d);
		if (err)
			return err;
		i = d.op_pos;
	} else if (b[i] == 0x0f) {
		if (++i >= n)
			return -EBADMSG;
		d.map = X86_MAP_0F;
		if (b[i] == 0x38 || b[i] == 0x3a) {
			d.map = b[i] == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
			if (++i >= n)
				return -EBADMSG;
		}
		d.op_pos = i;
	} else {
		if (bit(invalid64_1, b[i]))
			return -EBADMSG;
		d.op_pos = i;
	}
	d.op = b[i++];

	if (d.vex)
		modrm = d.map != X86_MAP_0F || d.op != 0x77;	/* vzero* */
	else if (d.map == X86_MAP_1)
		modrm = bit(modrm_1, d.op);
	else if (d.map == X86_MAP_0F)
		modrm = !bit(no_modrm_0f, d.op);
	else
		modrm = true;
	if (modrm) {
		err = modrm_decode(b, n, &d, &i);
		if (err)
			return err;
	}

	if (d.map == X86_MAP_1)
		d.imm_len = imm_map1(&d);
	else if (d.map == X86_MAP_0F)
		d.imm_len = d.vex && d.op == 0x0f ? 0 : imm_0f(d.op);
	else if (d.map == X86_MAP_0F3A)
		d.imm_len = 1;
	if (d.imm_len) {
		d.imm_pos = i;
		i += d.imm_len;
	}
	if (i > n)
		return -EBADMSG;
	d.len = i;
	*ret = d;
	return 0;
}
