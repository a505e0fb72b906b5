/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * /dev/vmiaas: the interface between vmiaas.ko and userspace (vmid, vmictl).
 *
 * This header is the specification. Every structure is fixed-width with
 * explicit padding, starts with its size where it may grow, and has
 * reserved fields that must be zero. Every flag set has an _ALL mask; bits
 * outside it are rejected with -EOPNOTSUPP. Features are discovered with
 * VMIAAS_IOC_GET_CAPS, never by version.
 *
 * VMIAAS_IOC_GET_CAPS
 *   Capability: always.  Type: /dev/vmiaas.  Parameters: struct vmiaas_caps
 *   (out; ->size set by the caller to sizeof the struct it knows).
 *   Returns: 0, -EINVAL if ->size is smaller than the first version,
 *   -EFAULT.
 *   Reports the API version and which trigger modes this host supports.
 *   VMIAAS_MODE_VMFUNC only when kvm-intel.ko carries vmiaas's KVM patch
 *   series (its kvm_vmx_altview_* exports resolve) and the CPU offers EPTP
 *   switching with EPT on.
 *
 * VMIAAS_IOC_ATTACH_VM
 *   Capability: VMIAAS_MODE_VMFUNC.  Type: /dev/vmiaas.  Parameters: struct
 *   vmiaas_attach_vm (in).
 *   Returns: 0; -EINVAL (->size below the first version, reserved field
 *   not zero, ->vm_fd not a KVM VM file); -E2BIG (->size beyond what the
 *   module knows with non-zero bytes there); -EOPNOTSUPP (unknown ->flags;
 *   no patched KVM loaded); -EBADF (->vm_fd not open); -EBUSY (this file
 *   is already attached, or another /dev/vmiaas file holds that VM);
 *   -EFAULT.
 *   Binds this open file to the VM behind ->vm_fd (the caller's fd from
 *   KVM_CREATE_VM, or one taken from a VMM with pidfd_getfd()). The module
 *   holds a reference on the VM until VMIAAS_IOC_DETACH_VM or the last
 *   close of this file: the VMM closing its fds does not destroy the VM
 *   before that. One VM per file, one file per VM.
 *
 * VMIAAS_IOC_ENABLE_VIEW
 *   Capability: VMIAAS_MODE_VMFUNC.  Type: /dev/vmiaas, attached.
 *   Parameters: struct vmiaas_enable_view (in/out).
 *   Returns: 0; -EINVAL, -E2BIG, -EOPNOTSUPP as for ATTACH_VM; -ENXIO (not
 *   attached); -EINTR (killed while waiting for a vCPU); -ENOMEM; -EFAULT.
 *   Arms EPTP-list entry 1 (view 1) on every vCPU the VM has now, so that
 *   the guest's VMFUNC(EAX=0, ECX=1) switches to view 1 and VMFUNC(0, 0)
 *   back, with no VM exit. Every other index still exits and the guest
 *   gets #UD. View 1 maps what KVM's own EPT maps (it shares KVM's tables
 *   below the top level, re-copied whenever KVM loads a root) plus, at
 *   guest-physical VMIAAS_MAILBOX_GPA, a mailbox page the module owns, one
 *   per vCPU; in view 0 that address has no memory (an access there is
 *   an MMIO exit to the VMM). Guest RAM must lie below VMIAAS_MAILBOX_GPA.
 *   -EOPNOTSUPP also when the VM uses KVM's shadow MMU (kvm module
 *   parameter tdp_mmu=0), whose lower tables may be freed under a copied
 *   top level. It waits for
 *   each vCPU to be outside KVM_RUN (vcpu->mutex). vCPUs created later are
 *   not armed: call it again (it is idempotent) after creating them.
 *   ->nr_vcpus returns the number of vCPUs armed.
 *
 * VMIAAS_IOC_READ_MAILBOX
 *   Capability: VMIAAS_MODE_VMFUNC.  Type: /dev/vmiaas, attached.
 *   Parameters: struct vmiaas_read_mailbox (in/out).
 *   Returns: 0; -EINVAL, -E2BIG, -EOPNOTSUPP as for ATTACH_VM, and
 *   -EINVAL when ->vcpu is not a vCPU index of the VM; -ENXIO (not
 *   attached, or that vCPU never armed); -EFAULT.
 *   Reads the first bytes of a vCPU's mailbox page (what the guest wrote at
 *   VMIAAS_MAILBOX_GPA in view 1). A test and debugging aid until the
 *   mailbox protocol exists.
 *
 * VMIAAS_IOC_DETACH_VM
 *   Capability: VMIAAS_MODE_VMFUNC.  Type: /dev/vmiaas, attached.
 *   Parameters: none.  Returns: 0; -ENXIO (not attached).
 *   Disarms view 1 (each vCPU drops it before its next VM entry, without
 *   waiting for the vCPUs) and drops the module's reference on the VM.
 *   Closing the file does the same. While a VM has vCPUs that were ever
 *   armed, vmiaas.ko cannot be unloaded (KVM holds a module reference per
 *   such vCPU until the VM is destroyed).
 */
#ifndef _UAPI_LINUX_VMIAAS_H
#define _UAPI_LINUX_VMIAAS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VMIAAS_API_VERSION	1

/* Trigger modes (struct vmiaas_caps.modes). */
#define VMIAAS_MODE_VMFUNC	(1ULL << 0)	/* EPTP switching, no VM exit */
#define VMIAAS_MODE_HYPERCALL	(1ULL << 1)	/* VMCALL, one VM exit */
#define VMIAAS_MODE_POLL	(1ULL << 2)	/* host polls the mailbox */
#define VMIAAS_MODE_ALL		(VMIAAS_MODE_VMFUNC | VMIAAS_MODE_HYPERCALL | \
				 VMIAAS_MODE_POLL)

struct vmiaas_caps {
	__u32 size;		/* in: sizeof(struct vmiaas_caps) */
	__u32 api_version;	/* out: VMIAAS_API_VERSION */
	__u64 modes;		/* out: VMIAAS_MODE_* this host can do */
	__u64 reserved[6];	/* out: zero */
};

/* VMIAAS_IOC_ATTACH_VM: no flags defined yet. */
#define VMIAAS_ATTACH_ALL	0ULL

struct vmiaas_attach_vm {
	__u32 size;		/* in: sizeof(struct vmiaas_attach_vm) */
	__s32 vm_fd;		/* in: a KVM VM file descriptor */
	__u64 flags;		/* in: VMIAAS_ATTACH_*, none yet */
	__u64 reserved[2];	/* in: zero */
};

/* VMIAAS_IOC_ENABLE_VIEW: no flags defined yet. */
#define VMIAAS_VIEW_ALL		0ULL

/* The EPTP-list index of the introspection view (the guest's VMFUNC ECX). */
#define VMIAAS_VIEW_INDEX	1

struct vmiaas_enable_view {
	__u32 size;		/* in: sizeof(struct vmiaas_enable_view) */
	__u32 nr_vcpus;		/* out: vCPUs armed */
	__u64 flags;		/* in: VMIAAS_VIEW_*, none yet */
	__u64 reserved[2];	/* in: zero */
};

/*
 * Where view 1 maps a vCPU's mailbox page: EPT PML4 slot 1 (512 GiB), the
 * lowest slot KVM leaves empty for guests with less than 512 GiB of RAM,
 * and below the 40-bit physical-address width of small CPUs (and Bochs).
 */
#define VMIAAS_MAILBOX_GPA	0x8000000000ULL
#define VMIAAS_MAILBOX_SIZE	4096

/* VMIAAS_IOC_READ_MAILBOX: no flags defined yet. */
#define VMIAAS_MAILBOX_ALL	0ULL

struct vmiaas_read_mailbox {
	__u32 size;		/* in: sizeof(struct vmiaas_read_mailbox) */
	__u32 vcpu;		/* in: vCPU index (creation order, from 0) */
	__u64 flags;		/* in: VMIAAS_MAILBOX_*, none yet */
	__u64 gpa;		/* out: VMIAAS_MAILBOX_GPA */
	__u64 data[4];		/* out: the mailbox's first 32 bytes */
	__u64 reserved;		/* in: zero */
};

#define VMIAAS_IOC_MAGIC	0xB7
#define VMIAAS_IOC_GET_CAPS	_IOWR(VMIAAS_IOC_MAGIC, 0x00, struct vmiaas_caps)
#define VMIAAS_IOC_ATTACH_VM	_IOW(VMIAAS_IOC_MAGIC, 0x01, struct vmiaas_attach_vm)
#define VMIAAS_IOC_ENABLE_VIEW	_IOWR(VMIAAS_IOC_MAGIC, 0x02, struct vmiaas_enable_view)
#define VMIAAS_IOC_DETACH_VM	_IO(VMIAAS_IOC_MAGIC, 0x03)
#define VMIAAS_IOC_READ_MAILBOX	_IOWR(VMIAAS_IOC_MAGIC, 0x04, struct vmiaas_read_mailbox)

#endif /* _UAPI_LINUX_VMIAAS_H */
