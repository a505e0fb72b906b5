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

/* The module's state of one vCPU, KVM's "priv" of it (see view.c). */
struct view_vcpu {
	/* set by (dis)arming, read by the vCPU thread before VM entry */
	bool want;
	/* vCPU thread only from here on */
	bool armed;		/* entry VMIAAS_VIEW_INDEX is set */
	bool stale;		/* pml4 may lack entries of KVM's root */
	bool in_view;		/* the guest was in view 1 at its last exit */
	u64 kvm_eptp;		/* KVM's EPTP that pml4 copies */
	/* written by the VM's work item (serve.c), read by post_exit */
	u64 served_seq;		/* the last req_seq answered */
	/* immutable from allocation to vcpu_free */
	u64 *pml4;		/* view 1's root */
	u64 *pdpt, *pd, *pt;	/* VIEW_SLOT down to the mailbox */
	void *mailbox;		/* struct vmiaas_mailbox */
};

int vmiaas_view_resolve(void);
void vmiaas_view_release(void);
struct kvm *vmiaas_view_kvm_from_file(struct file *file);
void vmiaas_view_get_kvm(struct kvm *kvm);
void vmiaas_view_put_kvm(struct kvm *kvm);
int vmiaas_view_register(void);
int vmiaas_view_enable(struct kvm_vcpu *vcpu);
int vmiaas_view_arm(struct kvm_vcpu *vcpu);
void vmiaas_view_kick(struct kvm_vcpu *vcpu);
struct view_vcpu *vmiaas_view_vcpu(struct kvm_vcpu *vcpu);
int vmiaas_view_read_guest(struct kvm *kvm, u64 gpa, void *buf, size_t len);
void vmiaas_view_disarm(struct kvm_vcpu *vcpu);
int vmiaas_view_read_mailbox(struct kvm_vcpu *vcpu, u64 *data, unsigned int n);

#endif /* _VMIAAS_KMOD_VIEW_H */
