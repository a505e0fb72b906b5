/* SPDX-License-Identifier: GPL-2.0 */
/*
 * View 1, the introspection view (KVM's EPT plus a mailbox page), through
 * the alternate-EPT-view API of vmiaas's patched kvm-intel.ko
 * (kvm_vmx_altview.h), resolved at run time.
 */
#ifndef _VMIAAS_KMOD_VIEW_H
#define _VMIAAS_KMOD_VIEW_H

#include <linux/types.h>

struct file;
struct kvm;
struct kvm_vcpu;

int vmiaas_view_resolve(void);
void vmiaas_view_release(void);
struct kvm *vmiaas_view_kvm_from_file(struct file *file);
void vmiaas_view_get_kvm(struct kvm *kvm);
void vmiaas_view_put_kvm(struct kvm *kvm);
int vmiaas_view_arm(struct kvm_vcpu *vcpu);
void vmiaas_view_disarm(struct kvm_vcpu *vcpu);
int vmiaas_view_read_mailbox(struct kvm_vcpu *vcpu, u64 *data, unsigned int n);

#endif /* _VMIAAS_KMOD_VIEW_H */
