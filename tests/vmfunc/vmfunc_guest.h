/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmfunc_guest.h: the contract between vmfunc_probe.c (the host side, in
 * the L1) and vmfunc_guest.S (the L2 guests it runs).
 *
 * Each guest is position-dependent code for GUEST_LOAD. It reports over
 * port I/O, one KVM_EXIT_IO per write:
 *   PORT_STAGE     1 byte: 1 started, 2 after VMFUNC(0,0), 3 after VMFUNC(0,1)
 *                  (loop entry guest64_loop: 2 after RBX times VMFUNC(0,1)
 *                  and VMFUNC(0,0), 3 after writing GUEST_MAILBOX_MAGIC
 *                  and RBX to GUEST_MAILBOX in view 1, then VMFUNC(0,5))
 *   PORT_VECTOR    1 byte: exception vector taken (0xff: a vector >= 32)
 *   PORT_FAULT_IP  2 bytes: the IP that exception pushed
 * Only #UD returns, past the VMFUNC_LEN bytes of VMFUNC; any other vector
 * halts the guest.
 */
#ifndef VMIAAS_TESTS_VMFUNC_GUEST_H
#define VMIAAS_TESTS_VMFUNC_GUEST_H

#define GUEST_LOAD	0x1000
#define PORT_STAGE	0x10
#define PORT_VECTOR	0x11
#define PORT_FAULT_IP	0x12
#define UD_VECTOR	6
#define VMFUNC_LEN	3	/* 0f 01 d4 */
/* vmiaas's view 1 mailbox (VMIAAS_MAILBOX_GPA), identity-mapped in long mode */
#define GUEST_MAILBOX		0x8000000000
#define GUEST_MAILBOX_MAGIC	0x0000534141494d56	/* "VMIAAS\0\0" */

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * Real mode (CS=DS=SS=0) and 64-bit mode. *_ivt / *_idt hold the offsets
 * (from *_code_start) of the stubs of vectors 0-31, then of the stub for
 * any higher vector.
 */
extern const uint8_t guest_code_start[], guest_code_end[];
extern const uint8_t guest_vmfunc0[], guest_vmfunc1[];
extern const uint16_t guest_ivt[33];
extern const uint8_t guest64_code_start[], guest64_code_end[];
extern const uint8_t guest64_vmfunc0[], guest64_vmfunc1[];
extern const uint8_t guest64_loop[], guest64_vmfunc5[];
extern const uint16_t guest64_idt[33];
#endif

#endif
