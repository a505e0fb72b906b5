/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot64.S: the protected-mode part of the Bochs L1's kernel image, in
 * place of the kernel's own decompressor (scripts/bochs-l1 "fastkernel").
 *
 * Debian's bzImage holds vmlinux xz-compressed; under Bochs the
 * decompressor costs some 50 s of a 100 s boot. scripts/bochs-l1 keeps
 * the bzImage's real-mode setup, and appends this stub followed by
 * vmlinux flattened (objcopy -O binary, trailing zeros trimmed).
 *
 * Entered from the setup code at 0x100000 (code32_start) in 32-bit flat
 * protected mode, interrupts off, %esi = boot_params. It moves the flat
 * kernel to its link address (LOAD_PHYS), zeroes the rest of its image,
 * identity-maps the first 4 GiB with 2 MiB pages, enters long mode and
 * jumps to startup_64 following the 64-bit boot protocol
 * (Documentation/x86/boot.rst): __BOOT_CS 0x10, __BOOT_DS 0x18,
 * %rsi = boot_params. No KASLR and no relocation: the kernel runs at
 * the addresses it was linked for.
 *
 * Symbols from the assembler's command line (--defsym):
 *   KERNEL_LEN   bytes of the flat kernel that follow this stub (x4)
 *   KERNEL_SIZE  bytes of the whole flat image (>= KERNEL_LEN, x4)
 *   ENTRY_PHYS   vmlinux's ELF entry (physical address of startup_64)
 */
#define STUB_BASE	0x100000
#define STUB_SIZE	0x1000
#define LOAD_PHYS	0x1000000
#define PGT		0x200000	/* PML4, PDPT, 4 PDs: 6 pages */

	.text
	.code32
	.globl start
start:
	cli
	movl	%esi, %ebp			/* boot_params */

	/* move the kernel up; the ranges overlap, so copy backwards */
	movl	$(STUB_BASE + STUB_SIZE + KERNEL_LEN - 4), %esi
	movl	$(LOAD_PHYS + KERNEL_LEN - 4), %edi
	movl	$(KERNEL_LEN / 4), %ecx
	std
	rep movsl
	cld

	/* the trimmed tail (.bss, .brk and zero pages) */
	movl	$(LOAD_PHYS + KERNEL_LEN), %edi
	movl	$((KERNEL_SIZE - KERNEL_LEN) / 4), %ecx
	xorl	%eax, %eax
	rep stosl

	/* page tables: PML4[0] -> PDPT, PDPT[0..3] -> PD0..3, 2 MiB leaves */
	movl	$PGT, %edi
	movl	$(6 * 4096 / 4), %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$(PGT + 0x1003), PGT
	movl	$(PGT + 0x2003), PGT + 0x1000
	movl	$(PGT + 0x3003), PGT + 0x1008
	movl	$(PGT + 0x4003), PGT + 0x1010
	movl	$(PGT + 0x5003), PGT + 0x1018
	movl	$PGT + 0x2000, %edi
	movl	$0x83, %eax			/* present, writable, 2 MiB */
	xorl	%edx, %edx			/* address bits 63:32 */
	movl	$2048, %ecx
1:	movl	%eax, (%edi)
	movl	%edx, 4(%edi)
	addl	$0x200000, %eax
	adcl	$0, %edx
	addl	$8, %edi
	loop	1b

	movl	$PGT, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx		/* EFER */
	rdmsr
	orl	$0x100, %eax			/* LME */
	wrmsr
	lgdt	gdt_desc
	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* PG, PE */
	movl	%eax, %cr0
	ljmp	$0x10, $long_mode

	.code64
long_mode:
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%ebp, %esi			/* zero-extends: %rsi = boot_params */
	movq	$ENTRY_PHYS, %rax
	jmp	*%rax

	.balign	8
gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x10: 64-bit code */
	.quad	0x00cf92000000ffff		/* 0x18: data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.org	STUB_SIZE
