/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmfunc_guest.S: the L2 guests of vmfunc_probe.c, as data the probe
 * copies into guest memory at GUEST_LOAD. Ports: vmfunc_guest.h.
 */
#include "vmfunc_guest.h"

#define VMFUNC	.byte 0x0f, 0x01, 0xd4

/* Real mode, CS=DS=SS=0; the probe fills the IVT from guest_ivt. */
.pushsection .rodata.vmfunc_guest, "a"
.code16
.globl guest_code_start, guest_code_end, guest_ivt
.globl guest_vmfunc0, guest_vmfunc1
guest_code_start:
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x8000, %sp
	mov $1, %al
	out %al, $PORT_STAGE
	xor %eax, %eax
	xor %ecx, %ecx
guest_vmfunc0:
	VMFUNC
	mov $2, %al
	out %al, $PORT_STAGE
	xor %eax, %eax
	mov $1, %ecx
guest_vmfunc1:
	VMFUNC
	mov $3, %al
	out %al, $PORT_STAGE
1:	hlt
	jmp 1b
guest_exc_common:
	mov %bl, %al
	out %al, $PORT_VECTOR
	mov %sp, %bp
	mov (%bp), %ax
	out %ax, $PORT_FAULT_IP
	cmp $UD_VECTOR, %bl
	jne 2f
	addw $VMFUNC_LEN, (%bp)
	iret
2:	hlt
	jmp 2b
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
guest_exc_\n:
	mov $\n, %bl
	jmp guest_exc_common
.endr
guest_exc_other:
	mov $0xff, %bl
	jmp guest_exc_common
	.balign 2
guest_ivt:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.word guest_exc_\n - guest_code_start
.endr
	.word guest_exc_other - guest_code_start
guest_code_end:
.popsection

/*
 * The same guest in 64-bit mode; the probe builds the page tables, GDT
 * and IDT. Each stub pushes a 0 for vectors without an error code, so
 * the frame is alike for all: error code, RIP, CS, RFLAGS, RSP, SS.
 */
.pushsection .rodata.vmfunc_guest64, "a"
.code64
.globl guest64_code_start, guest64_code_end, guest64_idt
.globl guest64_vmfunc0, guest64_vmfunc1, guest64_loop, guest64_vmfunc5
guest64_code_start:
	mov $1, %al
	out %al, $PORT_STAGE
	xor %eax, %eax
	xor %ecx, %ecx
guest64_vmfunc0:
	VMFUNC
	mov $2, %al
	out %al, $PORT_STAGE
	xor %eax, %eax
	mov $1, %ecx
guest64_vmfunc1:
	VMFUNC
	mov $3, %al
	out %al, $PORT_STAGE
1:	hlt
	jmp 1b
guest64_exc_common:
	mov %bl, %al
	out %al, $PORT_VECTOR
	mov 8(%rsp), %rax
	out %ax, $PORT_FAULT_IP
	cmp $UD_VECTOR, %bl
	jne 2f
	addq $VMFUNC_LEN, 8(%rsp)
	add $8, %rsp
	iretq
2:	hlt
	jmp 2b

/*
 * The second entry point (vmfunc_probe --mode loop --vmiaas): RBX times
 * VMFUNC(0,1) then VMFUNC(0,0), stage 2; in view 1 the magic and RBX to
 * the mailbox (no memory there in view 0: that would be an MMIO exit),
 * back to view 0, VMFUNC(0,5), stage 3, HLT.
 */
guest64_loop:
	mov $1, %al
	out %al, $PORT_STAGE
	mov %rbx, %rsi
3:	xor %eax, %eax
	mov $1, %ecx
	VMFUNC
	xor %eax, %eax
	xor %ecx, %ecx
	VMFUNC
	dec %rsi
	jnz 3b
	mov $2, %al
	out %al, $PORT_STAGE
	xor %eax, %eax
	mov $1, %ecx
	VMFUNC
	movabs $GUEST_MAILBOX_MAGIC, %rax
	movabs $GUEST_MAILBOX, %rdi
	mov %rax, (%rdi)
	mov %rbx, 8(%rdi)
	xor %eax, %eax
	xor %ecx, %ecx
	VMFUNC
	xor %eax, %eax
	mov $5, %ecx
guest64_vmfunc5:
	VMFUNC
	mov $3, %al
	out %al, $PORT_STAGE
4:	hlt
	jmp 4b
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
guest64_exc_\n:
	/* vectors 8, 10-14, 17, 21, 29 and 30 push an error code */
	.if (\n-8)*(\n-10)*(\n-11)*(\n-12)*(\n-13)*(\n-14)*(\n-17)*(\n-21)*(\n-29)*(\n-30)
	push $0
	.endif
	mov $\n, %bl
	jmp guest64_exc_common
.endr
guest64_exc_other:
	push $0
	mov $0xff, %bl
	jmp guest64_exc_common
	.balign 2
guest64_idt:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.word guest64_exc_\n - guest64_code_start
.endr
	.word guest64_exc_other - guest64_code_start
guest64_code_end:
.popsection

	.section .note.GNU-stack, "", @progbits
