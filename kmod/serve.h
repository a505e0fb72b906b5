/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Serving guest requests: the mailbox (noticed on exits that happen anyway
 * and by a polling kthread, served by a work item per VM) and the
 * hypercall, with a rate limit per VM.
 */
#ifndef _VMIAAS_KMOD_SERVE_H
#define _VMIAAS_KMOD_SERVE_H

#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct vmiaas_vm;

int vmiaas_serve_start(void);
void vmiaas_serve_stop(void);
void vmiaas_serve_kick(struct kvm *kvm);
void vmiaas_serve_init_vm(struct vmiaas_vm *vm);
void vmiaas_serve_cancel_vm(struct vmiaas_vm *vm);
long vmiaas_serve_hypercall(struct kvm_vcpu *vcpu, unsigned long op,
			    unsigned long a1, unsigned long a2,
			    unsigned long a3);

#endif /* _VMIAAS_KMOD_SERVE_H */
