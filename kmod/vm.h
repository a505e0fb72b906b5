/* SPDX-License-Identifier: GPL-2.0 */
/* A KVM VM attached to a /dev/vmiaas file. */
#ifndef _VMIAAS_KMOD_VM_H
#define _VMIAAS_KMOD_VM_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct kvm;
struct kvm_vcpu;
struct vmiaas_checkset;
struct vmiaas_events;

struct vmiaas_vm {
	struct kvm *kvm;		/* referenced until detach */
	struct vmiaas_events *events;	/* the attaching file's queue */
	/* one for the attachment, one per hypercall being served */
	struct kref ref;
	/* refuse memslots above the mailbox (memslot_check, under RCU) */
	bool guard_memslots;
	struct rcu_head rcu;
	/*
	 * The VM's mailboxes are served by this work item (serve.c), queued
	 * by post_exit and the polling kthread, never while "detached";
	 * detach cancels it, waiting for a run in progress.
	 */
	struct work_struct serve_work;
	unsigned long serve_flags;	/* SERVE_KICKED: queued by an exit */
	u64 serve_end_ns;		/* when the last pass ended */
	/* a spinlock: never held across guest memory */
	spinlock_t lock;
	/* under lock: */
	struct vmiaas_checkset *checks;	/* referenced; NULL: none */
	bool view_enabled;		/* an ENABLE_VIEW succeeded */
	/* an ENABLE_VIEW is arming vCPUs, without the file's lock */
	bool view_pending;
	/* no more events, no more work; a check run stops (READ_ONCE) */
	bool detached;
	u64 credit_ns;			/* rate limit: token bucket */
	u64 credit_t_ns;		/* when credit_ns was last refilled */
	u64 nr_runs;			/* requests whose checks ran */
	u64 nr_refused;			/* requests refused (status != 0) */
};

/*
 * Held while the set of attached VMs is looked at or changed: attach,
 * detach, the hypercall's lookup (which takes a reference), and the
 * polling kthread's look at every VM (which only queues work: no check
 * runs under it).
 */
extern struct mutex vmiaas_vms_lock;

int vmiaas_vm_attach(int vm_fd, struct vmiaas_events *events,
		     struct vmiaas_vm **ret_vm);
int vmiaas_vm_view_begin(struct vmiaas_vm *vm);
int vmiaas_vm_enable_view(struct vmiaas_vm *vm, u32 *ret_nr_vcpus);
int vmiaas_vm_enroll(struct vmiaas_vm *vm, struct kvm_vcpu *vcpu);
void vmiaas_vm_set_checks(struct vmiaas_vm *vm, struct vmiaas_checkset *cs);
void vmiaas_vm_detach(struct vmiaas_vm *vm);
int vmiaas_vm_read_mailbox(struct vmiaas_vm *vm, u32 vcpu_idx, u64 *data,
			   unsigned int n);
struct vmiaas_vm *vmiaas_vm_get_attached(struct kvm *kvm);
struct vmiaas_vm *vmiaas_vm_lookup_rcu(struct kvm *kvm);
void vmiaas_vm_put(struct vmiaas_vm *vm);
void vmiaas_vm_for_each(void (*fn)(struct vmiaas_vm *vm, void *arg),
			void *arg);
int vmiaas_vm_memslot_check(struct kvm *kvm, u64 gpa, u64 size);

#endif /* _VMIAAS_KMOD_VM_H */
