// SPDX-License-Identifier: GPL-2.0
/*
 * The instructions, executed so that a CPU or hypervisor without them
 * costs an error code, never an oops: VMFUNC and VMCALL raise #UD outside
 * VMX non-root operation, when VM functions are off, or (VMFUNC) when
 * the EPTP-list entry is not armed (KVM takes the exit and injects #UD).
 * An exception-table entry sends the #UD to the instruction after, with
 * the "not done" value still in the error register.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include "agent.h"

/*
 * VMFUNC leaf 0 (EPTP switching) to @view. 0, or -EOPNOTSUPP when the
 * instruction raised #UD. No VM exit either way when the index is armed.
 */
int agent_vmfunc(u32 view)
{
	int err = -EOPNOTSUPP;

	asm volatile("1: .byte 0x0f, 0x01, 0xd4\n\t"	/* vmfunc */
		     "xorl %[err], %[err]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [err] "+r" (err)
		     : "a" (0), "c" (view)
		     : "memory");
	return err;
}

/*
 * vmiaas's hypercall (RAX = VMIAAS_HC_NR, RBX = @op, RCX = @a1,
 * RDX = @a2). 0 and the host's answer in @ret_value, or -EOPNOTSUPP when
 * VMCALL raised #UD (no hypervisor that takes it).
 */
int agent_vmcall(unsigned long op, unsigned long a1, unsigned long a2,
		 long *ret_value)
{
	unsigned long ax = VMIAAS_HC_NR;
	int err = -EOPNOTSUPP;

	asm volatile("1: vmcall\n\t"
		     "xorl %[err], %[err]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [err] "+r" (err), "+a" (ax)
		     : "b" (op), "c" (a1), "d" (a2), "S" (0UL)
		     : "memory");
	if (!err)
		*ret_value = (long)ax;
	return err;
}

static void detect_hypervisor(struct agent_hw *hw)
{
	u32 eax, sig[3];

	hw->hypervisor = boot_cpu_has(X86_FEATURE_HYPERVISOR);
	if (!hw->hypervisor)
		return;
	cpuid(0x40000000, &eax, &sig[0], &sig[1], &sig[2]);
	memcpy(hw->signature, sig, sizeof(sig));
	hw->signature[12] = '\0';
	hw->kvm = hypervisor_cpuid_base("KVMKVMKVM\0\0\0", 0) != 0;
}

/*
 * VMFUNC(0,0) is harmless wherever it completes (view 0 is the view the
 * guest runs in), so it is tried everywhere. VMFUNC(0,1) means vmiaas's
 * view only on KVM: elsewhere index 1 could be another hypervisor's view.
 * On success the guest goes straight back to view 0, interrupts off
 * meanwhile.
 */
static void detect_vmfunc(struct agent_hw *hw)
{
	unsigned long flags;

	hw->vmfunc = agent_vmfunc(0) == 0;
	if (!hw->vmfunc || !hw->kvm)
		return;
	local_irq_save(flags);
	hw->view1 = agent_vmfunc(VMIAAS_VIEW_INDEX) == 0;
	if (hw->view1)
		agent_vmfunc(0);
	local_irq_restore(flags);
}

/* The hypercall only where KVM says it is KVM: other ABIs differ. */
static void detect_hypercall(struct agent_hw *hw)
{
	long ret;

	hw->probe = -ENODEV;
	if (hw->kvm && !agent_vmcall(VMIAAS_HC_PROBE, 0, 0, &ret))
		hw->probe = ret;
}

void agent_hw_detect(struct agent_hw *hw)
{
	memset(hw, 0, sizeof(*hw));
	detect_hypervisor(hw);
	detect_vmfunc(hw);
	detect_hypercall(hw);
}
