/* SPDX-License-Identifier: GPL-2.0 */
/* A KVM VM attached to a /dev/vmiaas file. */
#ifndef _VMIAAS_KMOD_VM_H
#define _VMIAAS_KMOD_VM_H

#include <linux/types.h>

struct vmiaas_vm;

int vmiaas_vm_attach(int vm_fd, struct vmiaas_vm **ret_vm);
int vmiaas_vm_enable_view(struct vmiaas_vm *vm, u32 *ret_nr_vcpus);
void vmiaas_vm_detach(struct vmiaas_vm *vm);
int vmiaas_vm_read_mailbox(struct vmiaas_vm *vm, u32 vcpu_idx, u64 *data,
			   unsigned int n);

#endif /* _VMIAAS_KMOD_VM_H */
