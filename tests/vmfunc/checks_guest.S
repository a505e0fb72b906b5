/* SPDX-License-Identifier: GPL-2.0 */
/*
 * checks_guest.S: the 64-bit L2 guest of vmfunc_checks.c, copied to
 * CG_LOAD. One operation per run, see checks_guest.h.
 */
#include "checks_guest.h"

#define VMFUNC	.byte 0x0f, 0x01, 0xd4
#define VIEW(n)	xor %eax, %eax; mov $n, %ecx; VMFUNC

.pushsection .rodata.checks_guest, "a"
.code64
.globl cg_start, cg_end, cg_entry, cg_ud, cg_other
cg_start:
cg_entry:
	xor %r15d, %r15d
	movabs $CG_MAILBOX, %rsi
	cmp $OP_POST, %edi
	je op_post
	cmp $OP_REQ, %edi
	je op_req
	cmp $OP_REQ_LOOP, %edi
	je op_req_loop
	cmp $OP_FLOOD, %edi
	je op_flood
	cmp $OP_GARBAGE, %edi
	je op_garbage
	cmp $OP_HC_LOOP, %edi
	je op_hc_loop
	cmp $OP_WRITE, %edi
	je op_write
	cmp $OP_READ1, %edi
	je op_read1
	cmp $OP_READ0, %edi
	je op_read0
	cmp $OP_VMFUNC, %edi
	je op_vmfunc
	cmp $OP_WAIT, %edi
	je op_wait
	cmp $OP_HC, %edi
	jne done
	mov %r11, %rsi		/* OP_HC: RSI came in R11 */
	vmcall
	jmp done

/* In view 1 (RSI = mailbox): post a request, RCX reason, RDX cookie. */
post:
	mov %ecx, MB_REQ_REASON(%rsi)
	movl $0, MB_REQ_FLAGS(%rsi)
	mov %rdx, MB_REQ_COOKIE(%rsi)
	mov MB_REQ_SEQ(%rsi), %rbx
	inc %rbx
	mov %rbx, MB_REQ_SEQ(%rsi)	/* x86 stores are release stores */
	ret

/* In view 1: wait up to R8 polls for resp_seq == RBX, then read it. */
wait:
1:	cmp MB_RESP_SEQ(%rsi), %rbx
	je 2f
	dec %r8
	jnz 1b
	mov $-1, %r12
	ret
2:	mov MB_MAGIC(%rsi), %r9
	mov MB_RESP_COOKIE(%rsi), %r11
	movslq MB_RESP_STATUS(%rsi), %r12
	mov MB_RESP_VERDICT(%rsi), %r13d
	mov MB_RESP_NR_FAILED(%rsi), %r14d
	mov MB_RESP_MASK(%rsi), %r15
	ret

op_post:
	mov %ecx, %r12d
	VIEW(1)
	mov %r12d, %ecx
	call post
	VIEW(0)
	jmp done

op_req:
	mov %ecx, %ebp
	VIEW(1)
	mov %ebp, %ecx
	call post
	call wait
	VIEW(0)
	jmp done

op_wait:
	VIEW(1)
	mov MB_REQ_SEQ(%rsi), %rbx
	call wait
	VIEW(0)
	jmp done

op_req_loop:
	mov %ecx, %ebp
	mov %r8, %rdi		/* polls per request */
	VIEW(1)
	push $0			/* 16(%rsp): other or no answer */
	push $0			/* 8(%rsp): -EAGAIN */
	push $0			/* (%rsp): status 0 */
3:	mov %ebp, %ecx
	call post
	mov %rdi, %r8
	call wait
	test %r8, %r8
	jz 5f
	test %r12, %r12
	jnz 4f
	incq (%rsp)
	jmp 6f
4:	cmp $EAGAIN_NEG, %r12
	jne 5f
	incq 8(%rsp)
	jmp 6f
5:	incq 16(%rsp)
6:	dec %r10
	jnz 3b
	VIEW(0)
	pop %rax
	pop %rbx
	pop %rsi
	jmp done

op_flood:
	mov %ecx, %ebp
	VIEW(1)
	mov %ebp, %ecx
	call post
7:	incq MB_REQ_SEQ(%rsi)
	dec %r10
	jnz 7b
	mov MB_REQ_SEQ(%rsi), %rbx
	call wait
	VIEW(0)
	jmp done

op_garbage:
	VIEW(1)
	mov %rsi, %rdi
	mov %r9, %rax
	mov $512, %ecx
	rep stosq
	movq $0, MB_RESP_SEQ(%rsi)	/* so that the wait is for the host */
	mov %r9, %rbx
	call wait
	VIEW(0)
	jmp done

op_hc_loop:
	mov %ecx, %ebp
	xor %edi, %edi		/* answered >= 0 */
	xor %r9d, %r9d		/* answered < 0 */
8:	mov $HC_NR, %eax
	mov $HC_REQUEST, %ebx
	mov %ebp, %ecx
	vmcall
	test %rax, %rax
	js 9f
	inc %rdi
	jmp 10f
9:	inc %r9
10:	dec %r10
	jnz 8b
	mov %rdi, %rax
	mov %r9, %rbx
	jmp done

op_write:
	mov %r9, (%r10)
	jmp done

op_read1:
	VIEW(1)
	mov (%r10), %r12
	VIEW(0)
	jmp done

op_read0:
	mov (%r10), %r12
	jmp done

op_vmfunc:
	xor %eax, %eax
	mov %r9, %rcx
	VMFUNC
	jmp done

done:
	hlt
	jmp done

/* #UD: skip the 3-byte VMFUNC, note it in R15 */
cg_ud:
	mov $6, %r15d
	addq $3, (%rsp)
	iretq
cg_other:
	mov $0xff, %r15d
11:	hlt
	jmp 11b
cg_end:
.popsection

	.section .note.GNU-stack, "", @progbits
