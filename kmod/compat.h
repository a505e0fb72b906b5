/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernel generations vmiaas.ko builds for from the
 * same sources against the stock headers: Debian's 6.1 and 6.12.
 */
#ifndef _VMIAAS_COMPAT_H
#define _VMIAAS_COMPAT_H

#include <linux/file.h>
#include <linux/kvm_host.h>

/* 6.12 made struct fd opaque behind fd_file(); 6.1 has neither. */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * Whether @kvm's MMU is the TDP MMU (not the shadow MMU). 6.3 made that
 * KVM-wide, the read-only parameter kvm.tdp_mmu, whose variable is not
 * exported; kvm_mmu_init_vm() initialises tdp_mmu_roots only when it is
 * on, in a struct kvm that kvm_arch_alloc_vm() zeroed. The headers tell
 * the two generations apart by KVM_MAX_NR_ADDRESS_SPACES (6.8 renamed
 * KVM_ADDRESS_SPACE_NUM): no kernel between 6.1 and 6.12 is supported.
 */
#ifdef KVM_MAX_NR_ADDRESS_SPACES
#define KVM_ADDRESS_SPACE_NUM KVM_MAX_NR_ADDRESS_SPACES

static inline bool vmiaas_kvm_tdp_mmu(struct kvm *kvm)
{
	return READ_ONCE(kvm->arch.tdp_mmu_roots.next);
}
#else
static inline bool vmiaas_kvm_tdp_mmu(struct kvm *kvm)
{
	return kvm->arch.tdp_mmu_enabled;
}
#endif

#endif /* _VMIAAS_COMPAT_H */
