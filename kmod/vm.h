/* SPDX-License-Identifier: GPL-2.0 */
/* A KVM VM attached to a /dev/vmiaas file. */
#ifndef _VMIAAS_KMOD_VM_H
#define _VMIAAS_KMOD_VM_H

#include <linux/mutex.h>
#include <linux/types.h>

struct kvm;
struct vmiaas_checkset;
struct vmiaas_events;

struct vmiaas_vm {
	struct kvm *kvm;		/* referenced */
	struct vmiaas_events *events;	/* the attaching file's queue */
	/* under vmiaas_vms_lock: */
	struct vmiaas_checkset *checks;	/* NULL: none registered */
	bool view_enabled;		/* ENABLE_VIEW was called */
	u64 credit_ns;			/* rate limit: token bucket */
	u64 credit_t_ns;		/* when credit_ns was last refilled */
};

/*
 * Held while a VM's attachment is used outside its file's ioctls (serving
 * requests, the hypercall) and while it is attached or detached: an
 * attachment found under it stays valid until it is released. Guest
 * memory is read under it, so it is a mutex; it is never taken with a
 * vcpu->mutex held except on that vCPU's own thread (the hypercall).
 */
extern struct mutex vmiaas_vms_lock;

int vmiaas_vm_attach(int vm_fd, struct vmiaas_events *events,
		     struct vmiaas_vm **ret_vm);
int vmiaas_vm_enable_view(struct vmiaas_vm *vm, u32 *ret_nr_vcpus);
void vmiaas_vm_set_checks(struct vmiaas_vm *vm, struct vmiaas_checkset *cs);
void vmiaas_vm_detach(struct vmiaas_vm *vm);
int vmiaas_vm_read_mailbox(struct vmiaas_vm *vm, u32 vcpu_idx, u64 *data,
			   unsigned int n);
struct vmiaas_vm *vmiaas_vm_find(struct kvm *kvm);
void vmiaas_vm_for_each(void (*fn)(struct vmiaas_vm *vm, void *arg),
			void *arg);

#endif /* _VMIAAS_KMOD_VM_H */
