// SPDX-License-Identifier: GPL-2.0
/*
 * A KVM VM attached to a /dev/vmiaas file.
 *
 * The attachment holds a reference on the struct kvm (kvm_get_kvm()) from
 * VMIAAS_IOC_ATTACH_VM to detach or the file's last close: the VMM may
 * close its VM and vCPU fds meanwhile, the VM (and its vCPUs) is destroyed
 * only at our kvm_put_kvm(). So a vCPU found with kvm_for_each_vcpu() stays
 * valid for as long as the attachment exists.
 */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "view.h"
#include "vm.h"

struct vmiaas_vm {
	struct kvm *kvm;	/* referenced */
};

/* Every attached VM, by struct kvm address: one attachment per VM. */
static DEFINE_XARRAY(vm_attached);

/**
 * vmiaas_vm_attach() - attach to the VM behind a KVM VM fd
 * @vm_fd: the caller's file descriptor
 * @ret_vm: the attachment, on success
 *
 * Return: 0; -EOPNOTSUPP (no patched KVM); -EBADF; -EINVAL (not a KVM VM
 * fd); -EBUSY (already attached); -ENOMEM.
 */
int vmiaas_vm_attach(int vm_fd, struct vmiaas_vm **ret_vm)
{
	struct vmiaas_vm *vm;
	struct kvm *kvm;
	struct fd f;
	int r;

	r = vmiaas_view_resolve();
	if (r)
		return r;
	f = fdget(vm_fd);
	if (!f.file)
		return -EBADF;
	kvm = vmiaas_view_kvm_from_file(f.file);
	if (!kvm) {
		r = -EINVAL;
		goto out;
	}
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		r = -ENOMEM;
		goto out;
	}
	/* the open fd keeps the VM alive until the reference is taken */
	r = xa_insert(&vm_attached, (unsigned long)kvm, vm, GFP_KERNEL_ACCOUNT);
	if (r) {
		kfree(vm);
		goto out;
	}
	vmiaas_view_get_kvm(kvm);
	vm->kvm = kvm;
	*ret_vm = vm;
out:
	fdput(f);
	return r;
}

/**
 * vmiaas_vm_enable_view() - arm view 1 on every vCPU the VM has now
 * @vm: the attachment
 * @ret_nr_vcpus: how many were armed, on success
 *
 * Return: 0; -EOPNOTSUPP if the VM uses the shadow MMU (its lower tables
 * may be freed under view 1's copied top level); or the first
 * vmiaas_view_arm() error (vCPUs armed before it stay armed until detach).
 */
int vmiaas_vm_enable_view(struct vmiaas_vm *vm, u32 *ret_nr_vcpus)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u32 n = 0;
	int r;

	if (!vm->kvm->arch.tdp_mmu_enabled)
		return -EOPNOTSUPP;
	kvm_for_each_vcpu(i, vcpu, vm->kvm) {
		r = vmiaas_view_arm(vcpu);
		if (r)
			return r;
		n++;
	}
	*ret_nr_vcpus = n;
	return 0;
}

/* Disarms every vCPU (without waiting for them) and drops the VM. */
void vmiaas_vm_detach(struct vmiaas_vm *vm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	if (!vm)
		return;
	kvm_for_each_vcpu(i, vcpu, vm->kvm)
		vmiaas_view_disarm(vcpu);
	xa_erase(&vm_attached, (unsigned long)vm->kvm);
	vmiaas_view_put_kvm(vm->kvm);
	kfree(vm);
}

/**
 * vmiaas_vm_read_mailbox() - the first bytes of a vCPU's mailbox
 * @vm: the attachment
 * @vcpu_idx: the vCPU's index
 * @data: where to put them
 * @n: how many u64 words
 *
 * Return: 0; -EINVAL (no such vCPU); -ENXIO (never armed).
 */
int vmiaas_vm_read_mailbox(struct vmiaas_vm *vm, u32 vcpu_idx, u64 *data,
			   unsigned int n)
{
	struct kvm_vcpu *vcpu;

	if (vcpu_idx > INT_MAX)
		return -EINVAL;
	vcpu = kvm_get_vcpu(vm->kvm, vcpu_idx);
	if (!vcpu)
		return -EINVAL;
	return vmiaas_view_read_mailbox(vcpu, data, n);
}
