/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_cpuid.h: gives a test VMM's vCPU the CPUID that KVM supports.
 *
 * 6.12's KVM_SET_SREGS refuses EFER.LME/LMA unless the guest's CPUID has
 * long mode (kvm_valid_efer() in kvm_is_valid_sregs()); 6.1 did not check,
 * so the long-mode L2s of vmfunc_probe and vmfunc_checks ran without any.
 */
#ifndef VMIAAS_TESTS_KVM_CPUID_H
#define VMIAAS_TESTS_KVM_CPUID_H

#include <errno.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#define KVM_CPUID_MAX_ENTRIES	256

/* Returns 0, or -errno of KVM_GET_SUPPORTED_CPUID or KVM_SET_CPUID2. */
static inline int kvm_cpuid_set_supported(int kvm_fd, int vcpu_fd)
{
	static struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[KVM_CPUID_MAX_ENTRIES];
	} cpuid;

	cpuid.head.nent = KVM_CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid.head) ||
	    ioctl(vcpu_fd, KVM_SET_CPUID2, &cpuid.head))
		return -errno;
	return 0;
}

#endif /* VMIAAS_TESTS_KVM_CPUID_H */
