// SPDX-License-Identifier: GPL-2.0
/*
 * A KVM VM attached to a /dev/vmiaas file.
 *
 * The attachment holds a reference on the struct kvm (kvm_get_kvm()) from
 * VMIAAS_IOC_ATTACH_VM to detach or the file's last close: the VMM may
 * close its VM and vCPU fds meanwhile, the VM (and its vCPUs) is destroyed
 * only at our kvm_put_kvm(). So a vCPU found with kvm_for_each_vcpu() stays
 * valid for as long as the attachment exists.
 *
 * Locking: vmiaas_vms_lock guards the set of attached VMs (the polling
 * kthread holds it only to look at the mailboxes and queue work); each
 * VM's own state is under its spinlock, never held across guest memory.
 * A VM's requests are served by its own work item (serve.c), which detach
 * cancels, waiting for a run in progress (told to stop by "detached"),
 * before the struct kvm reference goes: the work never sees a freed VM,
 * even when the VMM closed its fds first. The hypercall runs its checks
 * on the vCPU thread with a reference instead. The struct lives while
 * referenced (the attachment, a hypercall being served) and is freed
 * after an RCU grace period, for memslot_check and post_exit's lookup.
 */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <uapi/linux/vmiaas.h>

#include "checks.h"
#include "compat.h"
#include "serve.h"
#include "view.h"
#include "vm.h"

/* Every attached VM, by struct kvm address: one attachment per VM. */
static DEFINE_XARRAY(vm_attached);
/* guards vm_attached (the set, not the VMs: see vm.h) */
DEFINE_MUTEX(vmiaas_vms_lock);

/**
 * vmiaas_vm_attach() - attach to the VM behind a KVM VM fd
 * @vm_fd: the caller's file descriptor
 * @events: where the VM's requests are reported
 * @ret_vm: the attachment, on success
 *
 * Also registers the module's callbacks with KVM (the hypercall needs
 * them even without view 1).
 *
 * Return: 0; -EOPNOTSUPP (no patched KVM); -EBADF; -EINVAL (not a KVM VM
 * fd); -EBUSY (already attached); -ENOMEM.
 */
int vmiaas_vm_attach(int vm_fd, struct vmiaas_events *events,
		     struct vmiaas_vm **ret_vm)
{
	struct vmiaas_vm *vm;
	struct kvm *kvm;
	struct fd f;
	int r;

	r = vmiaas_view_resolve();
	if (!r)
		r = vmiaas_view_register();
	if (r)
		return r;
	f = fdget(vm_fd);
	if (!fd_file(f))
		return -EBADF;
	kvm = vmiaas_view_kvm_from_file(fd_file(f));
	if (!kvm) {
		r = -EINVAL;
		goto out;
	}
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		r = -ENOMEM;
		goto out;
	}
	vm->kvm = kvm;
	vm->events = events;
	kref_init(&vm->ref);
	spin_lock_init(&vm->lock);
	vmiaas_serve_init_vm(vm);
	/* the open fd keeps the VM alive until the reference is taken */
	vmiaas_view_get_kvm(kvm);
	mutex_lock(&vmiaas_vms_lock);
	r = xa_insert(&vm_attached, (unsigned long)kvm, vm, GFP_KERNEL_ACCOUNT);
	mutex_unlock(&vmiaas_vms_lock);
	if (r) {
		vmiaas_view_put_kvm(kvm);
		kfree(vm);
		goto out;
	}
	*ret_vm = vm;
out:
	fdput(f);
	return r;
}

/*
 * Guest RAM at or above VMIAAS_MAILBOX_GPA would be hidden in view 1 by the
 * mailbox's PML4 slot (and the checks read below it only). Checked when
 * the view is enabled, and for every memslot created or moved afterwards
 * (vmiaas_vm_memslot_check()).
 */
static bool vm_range_hidden(u64 gpa, u64 size)
{
	return gpa + size > VMIAAS_MAILBOX_GPA || gpa + size < gpa;
}

/* Under kvm->slots_lock: no memslot changes meanwhile. */
static bool vm_has_memory_above_mailbox(struct kvm *kvm)
{
	struct kvm_memory_slot *slot;
	bool above = false;
	int as_id, bkt, idx;

	idx = srcu_read_lock(&kvm->srcu);
	for (as_id = 0; as_id < KVM_ADDRESS_SPACE_NUM; as_id++)
		kvm_for_each_memslot(slot, bkt, __kvm_memslots(kvm, as_id))
			if (vm_range_hidden(gfn_to_gpa(slot->base_gfn),
					    (u64)slot->npages << PAGE_SHIFT))
				above = true;
	srcu_read_unlock(&kvm->srcu, idx);
	return above;
}

/**
 * vmiaas_vm_view_begin() - mark an ENABLE_VIEW of @vm in progress
 * @vm: the attachment of the caller's file; the caller holds that file's
 *      lock, so detach cannot run meanwhile
 *
 * On success takes a reference on @vm and one on its VM, for
 * vmiaas_vm_enable_view(), which runs without the file's lock (DETACH,
 * SET_CHECKS and the others go on meanwhile) and drops them.
 *
 * Return: 0; -EALREADY (an ENABLE_VIEW of @vm is in progress); -ENXIO
 * (detached).
 */
int vmiaas_vm_view_begin(struct vmiaas_vm *vm)
{
	int r = 0;

	spin_lock(&vm->lock);
	if (vm->detached)
		r = -ENXIO;
	else if (vm->view_pending)
		r = -EALREADY;
	else
		vm->view_pending = true;
	spin_unlock(&vm->lock);
	if (r)
		return r;
	kref_get(&vm->ref);
	vmiaas_view_get_kvm(vm->kvm);
	return 0;
}

/*
 * Guest memory view 1 would hide or that the TDP MMU's copied top level
 * cannot keep correct. Sets the memslot guard under kvm->slots_lock, which
 * KVM holds around every memslot change, so none slips in between.
 */
static int vm_view_possible(struct vmiaas_vm *vm)
{
	bool above;

	if (!vmiaas_kvm_tdp_mmu(vm->kvm))
		return -EOPNOTSUPP;
	mutex_lock(&vm->kvm->slots_lock);
	above = vm_has_memory_above_mailbox(vm->kvm);
	if (!above)
		WRITE_ONCE(vm->guard_memslots, true);
	mutex_unlock(&vm->kvm->slots_lock);
	return above ? -ERANGE : 0;
}

/*
 * Arms @vcpu unless @vm is detached. Detach sets "detached" under the
 * same lock before it disarms every vCPU, so a vCPU armed here is
 * disarmed by it, and none is armed after it: detach wins.
 */
static int vm_arm_vcpu(struct vmiaas_vm *vm, struct kvm_vcpu *vcpu)
{
	int r;

	spin_lock(&vm->lock);
	r = vm->detached ? -ENXIO : vmiaas_view_arm(vcpu);
	spin_unlock(&vm->lock);
	return r;
}

/*
 * No vcpu->mutex: KVM enables a vCPU from any thread (patch 0006), so a
 * vCPU that never leaves KVM_RUN cannot starve ENABLE_VIEW. The kick makes
 * a running vCPU re-enter, and arm, at once; a halted or stopped one arms
 * at its next entry, before the guest runs again.
 */
static int vm_enable_vcpus(struct vmiaas_vm *vm, u32 *ret_nr_vcpus)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	int r;

	*ret_nr_vcpus = 0;
	kvm_for_each_vcpu(i, vcpu, vm->kvm) {
		r = vmiaas_view_enable(vcpu);
		if (!r)
			r = vm_arm_vcpu(vm, vcpu);
		if (r)
			return r;
		vmiaas_view_kick(vcpu);
		(*ret_nr_vcpus)++;
	}
	return 0;
}

/**
 * vmiaas_vm_enable_view() - arm view 1 on every vCPU the VM has now
 * @vm: the attachment, after vmiaas_vm_view_begin(), whose references
 *      this drops (@vm may be gone when it returns)
 * @ret_nr_vcpus: how many were armed, on success
 *
 * Runs without the file's lock, and waits for no vCPU: each is enabled
 * and armed, and kicked, where it is. A detach meanwhile wins (-ENXIO,
 * nothing left armed).
 *
 * Return: 0; -EOPNOTSUPP if the VM uses the shadow MMU (its lower tables
 * may be freed under view 1's copied top level) or a vCPU cannot switch
 * EPTPs; -ERANGE if it has guest memory at or above VMIAAS_MAILBOX_GPA;
 * -ENXIO (detached meanwhile); -ENOMEM. On an error, vCPUs
 * armed before it stay armed until detach, but requests through view 1
 * are served only once an ENABLE_VIEW has succeeded; calling it again
 * goes on where it stopped.
 */
int vmiaas_vm_enable_view(struct vmiaas_vm *vm, u32 *ret_nr_vcpus)
{
	int r;

	r = vm_view_possible(vm);
	if (!r)
		r = vm_enable_vcpus(vm, ret_nr_vcpus);
	spin_lock(&vm->lock);
	vm->view_pending = false;
	if (!r && vm->detached)
		r = -ENXIO;
	if (!r)
		vm->view_enabled = true;
	spin_unlock(&vm->lock);
	vmiaas_view_put_kvm(vm->kvm);
	vmiaas_vm_put(vm);
	return r;
}

/**
 * vmiaas_vm_enroll() - arm view 1 on a vCPU, from its own thread
 * @vm: the attachment, referenced by the caller
 * @vcpu: the calling vCPU (vcpu->mutex held by KVM_RUN)
 *
 * The hypercall's VMIAAS_HC_ENROLL: a vCPU created after ENABLE_VIEW.
 *
 * Return: 0; -ENXIO (no ENABLE_VIEW succeeded, or detached);
 * -ENOMEM; -ENODEV; -EOPNOTSUPP.
 */
int vmiaas_vm_enroll(struct vmiaas_vm *vm, struct kvm_vcpu *vcpu)
{
	int r;

	if (!READ_ONCE(vm->view_enabled))
		return -ENXIO;
	r = vmiaas_view_enable(vcpu);
	if (r)
		return r;
	return vm_arm_vcpu(vm, vcpu);
}

/**
 * vmiaas_vm_memslot_check() - may @kvm get memory at [@gpa, @gpa + @size)?
 * @kvm: any VM (KVM asks for all of them)
 * @gpa: where the memslot created or moved starts
 * @size: its size in bytes
 *
 * KVM's memslot_check hook: under kvm->slots_lock and rcu_read_lock(), so
 * an attachment found here is not freed before it returns.
 *
 * Return: 0; -ERANGE if view 1 is enabled on @kvm and the memory would be
 * hidden behind the mailbox.
 */
int vmiaas_vm_memslot_check(struct kvm *kvm, u64 gpa, u64 size)
{
	struct vmiaas_vm *vm = xa_load(&vm_attached, (unsigned long)kvm);

	if (vm && READ_ONCE(vm->guard_memslots) && vm_range_hidden(gpa, size))
		return -ERANGE;
	return 0;
}

/* Replaces the VM's checks; a run of the old set keeps its reference. */
void vmiaas_vm_set_checks(struct vmiaas_vm *vm, struct vmiaas_checkset *cs)
{
	struct vmiaas_checkset *old;

	spin_lock(&vm->lock);
	old = vm->checks;
	vm->checks = cs;
	spin_unlock(&vm->lock);
	vmiaas_checks_put(old);
}

/* The attachment of @kvm with a reference (vmiaas_vm_put()), or NULL. */
struct vmiaas_vm *vmiaas_vm_get_attached(struct kvm *kvm)
{
	struct vmiaas_vm *vm;

	mutex_lock(&vmiaas_vms_lock);
	vm = xa_load(&vm_attached, (unsigned long)kvm);
	if (vm)
		kref_get(&vm->ref);
	mutex_unlock(&vmiaas_vms_lock);
	return vm;
}

/* The attachment of @kvm, or NULL; the caller is in an RCU read section. */
struct vmiaas_vm *vmiaas_vm_lookup_rcu(struct kvm *kvm)
{
	return xa_load(&vm_attached, (unsigned long)kvm);
}

static void vm_release(struct kref *ref)
{
	struct vmiaas_vm *vm = container_of(ref, struct vmiaas_vm, ref);

	vmiaas_checks_put(vm->checks);
	kfree_rcu(vm, rcu);
}

void vmiaas_vm_put(struct vmiaas_vm *vm)
{
	kref_put(&vm->ref, vm_release);
}

/* Calls @fn on every attached VM; vmiaas_vms_lock held. */
void vmiaas_vm_for_each(void (*fn)(struct vmiaas_vm *vm, void *arg),
			void *arg)
{
	struct vmiaas_vm *vm;
	unsigned long idx;

	lockdep_assert_held(&vmiaas_vms_lock);
	xa_for_each(&vm_attached, idx, vm)
		fn(vm, arg);
}

/*
 * Disarms every vCPU (without waiting for them) and drops the VM. Stops
 * its work item first: a run in progress ends at its next page, answers
 * -ENXIO and queues no event. A hypercall being served keeps the struct
 * (not the file's event queue: "detached").
 */
void vmiaas_vm_detach(struct vmiaas_vm *vm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	if (!vm)
		return;
	mutex_lock(&vmiaas_vms_lock);
	xa_erase(&vm_attached, (unsigned long)vm->kvm);
	mutex_unlock(&vmiaas_vms_lock);
	spin_lock(&vm->lock);
	WRITE_ONCE(vm->detached, true);
	spin_unlock(&vm->lock);
	/* nothing queues it from here on: the kvm reference still holds */
	vmiaas_serve_cancel_vm(vm);
	kvm_for_each_vcpu(i, vcpu, vm->kvm)
		vmiaas_view_disarm(vcpu);
	vmiaas_view_put_kvm(vm->kvm);
	vmiaas_vm_put(vm);
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
