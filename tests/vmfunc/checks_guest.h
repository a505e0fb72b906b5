/* SPDX-License-Identifier: GPL-2.0 */
/*
 * checks_guest.h: the contract between vmfunc_checks.c (the VMM, in the
 * L1) and checks_guest.S (its 64-bit L2 guest).
 *
 * The guest does one operation per KVM_RUN and halts: the VMM sets the
 * registers (RIP = the entry, RDI = the operation, the inputs below) with
 * KVM_SET_REGS, runs the vCPU to its HLT and reads the outputs with
 * KVM_GET_REGS. Each operation that enters view 1 returns to view 0
 * before the HLT.
 *
 * OP_POST   RCX reason, RDX cookie: in view 1 write the request and bump
 *           req_seq (RBX out: the new req_seq); do not wait.
 * OP_REQ    as OP_POST, then wait up to R8 polls for resp_seq == req_seq.
 *           Out: R8 polls left (0: timed out), R9 magic, R11 resp_cookie,
 *           R12 resp_status (sign-extended), R13 verdict, R14 nr_failed,
 *           R15 failed mask.
 * OP_REQ_LOOP  R10 times OP_REQ (R8 polls each; RCX, RDX as OP_REQ); out:
 *           RAX answered with status 0, RBX -EAGAIN, RSI other or none.
 * OP_WAIT   wait as OP_REQ for the request last posted (RBX out: its seq).
 * OP_FLOOD  R10 times req_seq + 1 without waiting, then wait as OP_REQ.
 * OP_GARBAGE  fill the whole mailbox page with R9, zero resp_seq, then
 *           wait (R8 polls) for resp_seq == R9; outputs as OP_REQ.
 * OP_HC     VMCALL with RAX, RBX, RCX, RDX as set and RSI = R11; RAX out.
 * OP_HC_LOOP  R10 times VMCALL(VMIAAS_HC_NR, VMIAAS_HC_REQUEST, RCX, RDX);
 *           out: RAX calls answered >= 0, RBX answered < 0.
 * OP_WRITE  store R9 (8 bytes) at R10 (guest-virtual = guest-physical).
 * OP_READ1  in view 1, load 8 bytes at R10 into R12.
 * OP_READ0  load 8 bytes at R10 into R12, in view 0.
 * OP_VMFUNC VMFUNC(0, R9): out R15 = 6 if it raised #UD, else 0.
 * An exception other than #UD halts with R15 = 0xff.
 */
#ifndef VMIAAS_TESTS_CHECKS_GUEST_H
#define VMIAAS_TESTS_CHECKS_GUEST_H

#define CG_LOAD		0x1000
#define CG_MAILBOX	0x8000000000

#define OP_POST		1
#define OP_REQ		2
#define OP_REQ_LOOP	3
#define OP_FLOOD	4
#define OP_GARBAGE	5
#define OP_HC		6
#define OP_HC_LOOP	7
#define OP_WRITE	8
#define OP_READ1	9
#define OP_READ0	10
#define OP_VMFUNC	11
#define OP_WAIT		12

/* struct vmiaas_mailbox offsets, checked by vmfunc_checks.c */
#define MB_MAGIC	0
#define MB_RESP_SEQ	16
#define MB_RESP_STATUS	24
#define MB_RESP_VERDICT	28
#define MB_RESP_NR_FAILED 32
#define MB_RESP_MASK	40
#define MB_RESP_COOKIE	48
#define MB_REQ_SEQ	64
#define MB_REQ_REASON	72
#define MB_REQ_FLAGS	76
#define MB_REQ_COOKIE	80

#define HC_NR		0x564d4941
#define HC_REQUEST	1
#define EAGAIN_NEG	(-11)

#ifndef __ASSEMBLER__
#include <stdint.h>
extern const uint8_t cg_start[], cg_end[], cg_entry[], cg_ud[], cg_other[];
#endif

#endif
