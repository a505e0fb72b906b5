/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Alternate EPT views for VMX KVM: the interface kvm-intel.ko exports to one
 * companion module (vmiaas.ko).  The guest switches views with VMFUNC leaf 0
 * (EPTP switching) through a per-vCPU EPTP list; entry 0 is always KVM's own
 * EPTP, entries 1..511 belong to the companion.
 *
 * Two byte-identical copies exist: the one vmiaas's KVM patch series adds
 * under arch/x86/include/asm (kmod/patches/GEN/0001-*.patch), which KVM
 * builds with, and the one in vmiaas's kmod/, which the companion builds
 * with against the stock headers package.  scripts/build-kvm.sh refuses to
 * build if they differ.
 */
#ifndef _ASM_X86_KVM_VMX_ALTVIEW_H
#define _ASM_X86_KVM_VMX_ALTVIEW_H

#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct module;

/*
 * VMCS encodings that <asm/vmx.h> of 6.1 lacks.  The EPTP index exists only
 * if the CPU supports EPT-violation #VE; KVM never enables #VE (6.1's MMU
 * keeps non-present SPTEs without "suppress #VE", so its own faults would
 * become guest #VEs).
 */
#define VMCS_EPTP_INDEX			0x00000004
#define VMCS_VE_INFORMATION_ADDRESS	0x0000202a

/* Private hypercall ("VMIA"), far from KVM's KVM_HC_* numbers. */
#define KVM_HC_VMX_ALTVIEW		0x564d4941

#define KVM_VMX_ALTVIEW_NR_EPTP		512

/*
 * The interface's version, which kvm_vmx_altview_version() returns: the
 * number of the last patch of the series that changed what a companion may
 * rely on.  6: kvm_vmx_altview_enable() may run on any thread, beside a
 * vCPU in KVM_RUN, and a second enable returns -EEXIST.  A companion built
 * with this header needs kvm_vmx_altview_version() >= the value it was
 * built with; a kvm-intel.ko without that export predates patch 6.
 */
#define KVM_VMX_ALTVIEW_VERSION		6

/*
 * The companion's callbacks.  All run on the vCPU thread with the vCPU
 * loaded, and never while the vCPU is in guest mode (vmcs02): the hooks skip
 * is_guest_mode().  root_changed, pre_entry and post_exit run under
 * rcu_read_lock() (pre_entry and post_exit with IRQs off) and must not sleep.
 * Every callback may be NULL.
 */
struct kvm_vmx_altview_ops {
	struct module *owner;
	/* vmx_load_mmu_pgd() wrote @eptp to vmcs01; list entry 0 is @eptp. */
	void (*root_changed)(struct kvm_vcpu *vcpu, void *priv, u64 eptp);
	/* Just before VM entry of an enabled vCPU. */
	void (*pre_entry)(struct kvm_vcpu *vcpu, void *priv);
	/* Just after VM exit of an enabled vCPU, exit reason read. */
	void (*post_exit)(struct kvm_vcpu *vcpu, void *priv, u32 exit_reason);
	/*
	 * VMCALL with RAX == KVM_HC_VMX_ALTVIEW from CPL 0, on any vCPU
	 * (enabled or not); may sleep.  Returns the value for the guest's RAX;
	 * KVM skips the instruction.
	 */
	unsigned long (*hypercall)(struct kvm_vcpu *vcpu, unsigned long a0,
				   unsigned long a1, unsigned long a2,
				   unsigned long a3);
	/* The vCPU is being destroyed; its list is freed after this. */
	void (*vcpu_free)(struct kvm_vcpu *vcpu, void *priv);
	/*
	 * KVM_SET_USER_MEMORY_REGION creates or moves a memslot of @kvm to
	 * guest-physical [@gpa, @gpa + @size), on any VM (with or without
	 * enabled vCPUs); a negative errno refuses it and is what the ioctl
	 * returns.  Under kvm->slots_lock and rcu_read_lock(): must not sleep.
	 */
	int (*memslot_check)(struct kvm *kvm, u64 gpa, u64 size);
};

u32 kvm_vmx_altview_version(void);
bool kvm_vmx_altview_supported(void);
int kvm_vmx_altview_register(const struct kvm_vmx_altview_ops *ops);
void kvm_vmx_altview_unregister(const struct kvm_vmx_altview_ops *ops);
int kvm_vmx_altview_enable(struct kvm_vcpu *vcpu, void *priv);
int kvm_vmx_altview_set_eptp(struct kvm_vcpu *vcpu, unsigned int index,
			     u64 eptp);
u64 kvm_vmx_altview_cur_eptp(struct kvm_vcpu *vcpu);
int kvm_vmx_altview_set_cur_eptp(struct kvm_vcpu *vcpu, unsigned int index);
void *kvm_vmx_altview_priv(struct kvm_vcpu *vcpu);

#endif /* _ASM_X86_KVM_VMX_ALTVIEW_H */
