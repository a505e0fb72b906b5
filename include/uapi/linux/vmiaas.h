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
 *   switching with EPT on. VMIAAS_MODE_HYPERCALL and VMIAAS_MODE_POLL
 *   always: the module implements them (attaching a VM still needs the
 *   patched kvm-intel.ko).
 *
 * VMIAAS_IOC_ATTACH_VM
 *   Capability: VMIAAS_MODE_VMFUNC.  Type: /dev/vmiaas.  Parameters: struct
 *   vmiaas_attach_vm (in).
 *   Returns: 0; -EINVAL (->size below the first version, reserved field
 *   not zero, ->vm_fd not a KVM VM file); -E2BIG (->size beyond what the
 *   module knows with non-zero bytes there); -EOPNOTSUPP (unknown ->flags;
 *   no patched KVM loaded, or one without patch 0006); -EBADF (->vm_fd not
 *   open); -EBUSY (this file
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
 *   attached, or detached meanwhile); -EALREADY (an ENABLE_VIEW of this
 *   file is in progress); -ENOMEM; -EFAULT.
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
 *   top level; -ERANGE when the VM has a memslot at or above
 *   VMIAAS_MAILBOX_GPA. From then until detach, KVM itself refuses such a
 *   memslot: KVM_SET_USER_MEMORY_REGION creating or moving one fails with
 *   -ERANGE (the patch series' memslot_check hook). It waits for no
 *   vCPU (KVM patch 0006): a vCPU in KVM_RUN is kicked and picks view 1
 *   up at its next VM entry, before the guest runs again. A kvm-intel.ko
 *   without patch 0006 is not used at all (no VMIAAS_MODE_VMFUNC,
 *   ATTACH_VM gives -EOPNOTSUPP). vCPUs created later are
 *   not armed: call it again (it is idempotent) after creating them.
 *   ->nr_vcpus returns the number of vCPUs armed. A guest in view 1 stays
 *   in view 1 when KVM loads a new EPT root (memslot change, fast zap):
 *   the view is the guest's choice, only VMFUNC changes it.
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
 * VMIAAS_IOC_SET_CHECKS
 *   Capability: VMIAAS_MODE_VMFUNC or VMIAAS_MODE_HYPERCALL.  Type:
 *   /dev/vmiaas, attached.  Parameters: struct vmiaas_set_checks (in),
 *   pointing to ->nr_checks struct vmiaas_check.
 *   Returns: 0; -EINVAL, -E2BIG, -EOPNOTSUPP as for ATTACH_VM, and -EINVAL
 *   for a check with an unknown type, flags its type does not take,
 *   non-zero reserved bytes, a zero length, a wrapping range, a GVA check
 *   without a root or a GPA check with one, a digest on anything but a
 *   range or values on a range, a VMIAAS_CHECK_CSTRING check whose
 *   expected bytes have no NUL, an exec range that is empty, has unknown
 *   flags or reserved bytes, or an _EXEC addr outside the kernel half;
 *   an _NF check whose len is not 1, whose addr is outside the kernel
 *   half, or whose struct vmiaas_nf_check has an offset over
 *   VMIAAS_MAX_NF_OFFSET, a family over VMIAAS_MAX_NF_POINTS points,
 *   unknown flags, reserved bytes, no allowed range, more than
 *   VMIAAS_MAX_NF_ALLOW or an empty one; a _PROC check whose len is not
 *   1, whose addr, root or init_net is outside the kernel half, or whose
 *   struct vmiaas_proc_check has an offset outside the entry (of at most
 *   VMIAAS_MAX_PROC_SIZE bytes) or over VMIAAS_MAX_NF_OFFSET, an empty
 *   range, over VMIAAS_MAX_PROC_WATCH watched entries or reserved bytes;
 *   a _PTYPE or _INPUT check whose len is not 1, whose addr or list heads
 *   (->base, ->all unless 0, ->devs) are outside the kernel half, or
 *   whose struct has an offset over VMIAAS_MAX_NF_OFFSET, unknown flags
 *   (a _PTYPE check without VMIAAS_PTYPE_FUNC), reserved bytes, no
 *   allowed range, more than VMIAAS_MAX_HOOK_ALLOW or an empty one;
 *   a _TP check whose addr is outside the kernel half or not 4-byte
 *   aligned, or whose struct vmiaas_tp_check has an offset over
 *   VMIAAS_MAX_NF_OFFSET, a func_size below 8 or over VMIAAS_MAX_TP_FUNC
 *   (or func and data not in it), reserved bytes, no allowed range, more
 *   than VMIAAS_MAX_HOOK_ALLOW or an empty one; -E2BIG for a _TP check
 *   of more than VMIAAS_MAX_TP tracepoints;
 *   a _TTY check whose len is not 1, whose addr, ->drivers,
 *   ->devpts_supers (with VMIAAS_TTY_DEVPTS; else it must be 0) or
 *   ->client_default (unless 0) is outside the kernel half, or whose
 *   struct vmiaas_tty_check has an offset over VMIAAS_MAX_NF_OFFSET,
 *   ->nr_ldiscs 0 or over VMIAAS_MAX_TTY_LDISCS, no discipline function,
 *   more than 24 (struct tty_ldisc_ops), 64 (struct tty_operations) or 8
 *   (client) functions in a map, unknown flags, reserved bytes, no
 *   allowed range, more than VMIAAS_MAX_HOOK_ALLOW or an empty one;
 *   a _PROTO check whose len is not 1, whose ->table[0] is not at addr
 *   (->at 0) or has no slots, a table, list or inetsw[] that lands
 *   outside the kernel half, a table of over VMIAAS_MAX_PROTO_SLOTS
 *   slots, a table (list) with slots (->at) but no function or the
 *   reverse, over 8 functions in a table's map, 64 in a list's, 48 in
 *   inetsw's, over 16 socket types, reserved bytes, no allowed range,
 *   more than VMIAAS_MAX_HOOK_ALLOW or an empty one;
 *   a _NETDEV check whose len is not 1, whose addr is outside the kernel
 *   half, or whose struct vmiaas_netdev_check has an offset over
 *   VMIAAS_MAX_NF_OFFSET, no function in netdev_ops' map, reserved
 *   bytes, no function range or no table range, more than
 *   VMIAAS_MAX_NETDEV_RANGES together or an empty one;
 *   a _VFS check whose addr, init_task or image is outside the kernel
 *   half, or whose struct vmiaas_vfs_check has an offset of 65536 or
 *   more, dentry fields over 512 bytes apart, a cap of 0 or over its
 *   VMIAAS_MAX_VFS_*, unknown flags, reserved bytes, an empty image,
 *   an empty allowed range or ranges not sorted and disjoint; -E2BIG for
 *   more than VMIAAS_MAX_VFS_ALLOW ranges;
 *   with VMIAAS_CHECK_PROC_MORE, a struct vmiaas_proc_more with reserved
 *   bytes, keys of its table and the inline entries together not unique,
 *   or a root-inode layout with an offset over VMIAAS_MAX_NF_OFFSET or
 *   a user-half address; -E2BIG for a table over VMIAAS_MAX_PROC_TABLE;
 *   -E2BIG for more than VMIAAS_MAX_CHECKS checks, a range over
 *   VMIAAS_MAX_RANGE bytes, a table over VMIAAS_MAX_PTRS words, bytes
 *   over VMIAAS_MAX_BYTES or exec ranges over VMIAAS_MAX_EXEC_RANGES;
 *   -ENXIO (not attached); -ENOMEM; -EFAULT.
 *   Replaces, as a whole, the set of checks run on every guest request
 *   (mailbox or hypercall; see "The mailbox protocol" below). Check i is
 *   bit i of the failed mask. A request being served keeps the set it
 *   started with.
 *
 * read(), poll()
 *   On an attached file: struct vmiaas_event records, see below.
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
	/*
	 * out: bit N: VMIAAS_CHECK_ type N runs; zero (older modules): types 1
	 * to 4
	 */
	__u64 check_types;
	/*
	 * out: the struct vmiaas_check.flags it takes; zero (older modules):
	 * VMIAAS_CHECK_CSTRING only
	 */
	__u64 check_flags;
	/* out: sizeof(struct vmiaas_event) it knows; zero (older): 96 */
	__u64 event_size;
	__u64 reserved[3];	/* out: zero */
};

/* VMIAAS_IOC_ATTACH_VM: no flags defined yet. */
#define VMIAAS_ATTACH_ALL	0ULL

struct vmiaas_attach_vm {
	__u32 size;		/* in: sizeof(struct vmiaas_attach_vm) */
	__s32 vm_fd;		/* in: a KVM VM file descriptor */
	__u64 flags;		/* in: VMIAAS_ATTACH_*, none yet */
	/*
	 * in: the size of the struct vmiaas_event records read() returns:
	 * 0 (older callers) for 96 (the first layout), else a multiple of 8
	 * from 96 to VMIAAS_EVENT_SIZE_MAX. The module fills what it knows
	 * of the struct (caps.event_size) and zeroes the rest; ->size of a
	 * record says how many bytes it filled.
	 */
	__u32 event_size;
	__u32 reserved32;	/* in: zero */
	__u64 reserved;		/* in: zero */
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

/*
 * The mailbox protocol (one page per vCPU at VMIAAS_MAILBOX_GPA, reachable
 * by the guest only in view 1)
 *
 * Cache line 0 is written by the host, cache line 1 by the guest; the rest
 * of the page is reserved (zero). To request a check the guest:
 *   1. enters view 1 (VMFUNC(EAX=0, ECX=VMIAAS_VIEW_INDEX)),
 *   2. writes req_reason, req_flags (0) and req_cookie,
 *   3. stores req_seq = previous req_seq + 1 (a release store, after 2),
 *   4. returns to view 0 (VMFUNC(0, 0)), or stays to wait;
 *   5. to wait, polls resp_seq in view 1 until it equals its req_seq, then
 *      reads the response (an acquire load of resp_seq, then the rest).
 * It must poll with plain loads: HLT and PAUSE cause VM exits (the latter
 * with PAUSE exiting), MWAIT is not passed through.
 *
 * The host serves a request when it sees req_seq differ from the last
 * sequence number it served for that vCPU (kept in host memory, not in the
 * page). It copies req_* once into host memory, then writes the resp_*
 * fields and, last (release), resp_seq = the req_seq it copied. So a guest
 * that bumps req_seq again before the answer gets the answer to the
 * sequence number the host copied, then (rate permitting) to the new one.
 * The host notices a request (a) on the next VM exit of that vCPU that
 * happens anyway, and (b) within poll_ms milliseconds (a module
 * parameter, default 10) from a polling kthread; neither needs an exit.
 *
 * The guest may write anything anywhere in the page, from any privilege
 * level (VMFUNC has no privilege check): the host never trusts the page,
 * and rewrites magic, version and vcpu with every response.
 *
 * resp_status: 0, or a negative errno and then resp_verdict is
 * VMIAAS_VERDICT_NONE:
 *   -EAGAIN  rate limited (module parameter checks_per_sec per VM);
 *   -EINVAL  malformed request (unknown reason, non-zero req_flags);
 *   -ENOENT  no checks registered (VMIAAS_IOC_SET_CHECKS) for this VM;
 *   -ESRCH   the VMM has exited (no memory to read the guest through);
 *   -EBUSY   reserved: a request of this vCPU still being served;
 *   -ENXIO   no /dev/vmiaas file is attached to this VM (hypercall), or
 *            it detached while the checks ran (they stop early).
 */
#define VMIAAS_MAILBOX_MAGIC	0x424d534141494d56ULL	/* "VMIAASMB" */
#define VMIAAS_MAILBOX_VERSION	1

/* req_reason: why the guest asks (reported in events, not interpreted). */
#define VMIAAS_REASON_PERIODIC		1
#define VMIAAS_REASON_MODULE_LOAD	2
#define VMIAAS_REASON_ON_DEMAND		3
#define VMIAAS_REASON_BOOT		4
#define VMIAAS_REASON_MAX		4

/* resp_verdict */
#define VMIAAS_VERDICT_NONE	0	/* no check ran (resp_status < 0) */
#define VMIAAS_VERDICT_CLEAN	1	/* every registered check matched */
#define VMIAAS_VERDICT_TAMPERED	2	/* at least one check differed */
#define VMIAAS_VERDICT_ERROR	3	/* a check could not read its memory */

/* req_flags: none defined yet; must be zero. */
#define VMIAAS_REQ_ALL		0U

struct vmiaas_mailbox {
	/* cache line 0: written by the host only */
	__u64 magic;		/* VMIAAS_MAILBOX_MAGIC */
	__u32 version;		/* VMIAAS_MAILBOX_VERSION */
	__u32 vcpu;		/* vCPU index of this mailbox */
	__u64 resp_seq;		/* req_seq answered; written last */
	__s32 resp_status;	/* 0 or negative errno, see above */
	__u32 resp_verdict;	/* VMIAAS_VERDICT_* */
	__u32 resp_nr_failed;	/* checks that differed or failed to read */
	__u32 resp_nr_checks;	/* checks that ran */
	__u64 resp_failed_mask;	/* bit i: registered check i failed */
	__u64 resp_cookie;	/* req_cookie of the request answered */
	__u64 host_reserved[1];
	/* cache line 1: written by the guest */
	__u64 req_seq;		/* bump by one (release) to request */
	__u32 req_reason;	/* VMIAAS_REASON_* */
	__u32 req_flags;	/* VMIAAS_REQ_*, zero */
	__u64 req_cookie;	/* any value, echoed in resp_cookie and events */
	__u64 guest_reserved[5];
	__u8 reserved[4096 - 128];
};

/*
 * The hypercall (fallback where VMFUNC is absent or not armed; one VM exit):
 * VMCALL (Intel) from CPL 0 with
 *   RAX = VMIAAS_HC_NR, RBX = operation, RCX, RDX, RSI = arguments;
 * the result comes back in RAX: a negative errno or a value >= 0. Without
 * vmiaas's KVM series or with no module loaded, KVM answers -1000
 * (-KVM_ENOSYS); from CPL > 0, -EPERM.
 *
 * VMIAAS_HC_PROBE: no arguments. Returns the VMIAAS_MODE_* this vCPU can
 *   use now: VMIAAS_MODE_HYPERCALL if a /dev/vmiaas file is attached to the
 *   VM, VMIAAS_MODE_VMFUNC | VMIAAS_MODE_POLL if view 1 is armed on this
 *   vCPU as well; -ENXIO if the VM is not attached.
 * VMIAAS_HC_REQUEST: RCX = reason (VMIAAS_REASON_*), RDX = cookie. Runs
 *   the registered checks synchronously on the calling vCPU's thread and
 *   returns verdict | (nr_failed << 8) (bits 31:16 zero), or the negative
 *   errnos of resp_status. The event on /dev/vmiaas has the failed mask.
 * VMIAAS_HC_ENROLL: no arguments. Arms view 1 on the calling vCPU (if the
 *   attaching file called VMIAAS_IOC_ENABLE_VIEW), from its own thread:
 *   no waiting for the vCPU to leave KVM_RUN. Returns 0 (view 1 usable
 *   from the next VM entry); -ENXIO (not attached, or view not enabled);
 *   -ENOMEM; -EOPNOTSUPP (no EPTP switching).
 */
#define VMIAAS_HC_NR		0x564d4941	/* "VMIA", KVM_HC_VMX_ALTVIEW */
#define VMIAAS_HC_PROBE		0
#define VMIAAS_HC_REQUEST	1
#define VMIAAS_HC_ENROLL	2

/*
 * VMIAAS_IOC_SET_CHECKS: what the module verifies on a request. Policy
 * stays in userspace; the module executes:
 * - VMIAAS_CHECK_RANGE_GPA: SHA-256 of guest-physical [addr, addr + len)
 *   must equal digest;
 * - VMIAAS_CHECK_RANGE_GVA: the same over guest-virtual addresses,
 *   translated through the 4-level page tables at guest-physical root
 *   (the guest's CR3 with the low 12 bits cleared; 0: the vCPU's CR3 is
 *   not available to the module, so 0 is rejected);
 * - VMIAAS_CHECK_PTRS_GPA / _GVA: the len 8-byte words at addr must equal
 *   the array at user address values (read once at registration).
 * - VMIAAS_CHECK_BYTES_GPA / _GVA: the len bytes at addr (at most
 *   VMIAAS_MAX_BYTES) must equal the len bytes at user address values;
 *   with flag VMIAAS_CHECK_CSTRING only up to and including the first NUL
 *   of the expected bytes, which must have one (a kernel string such as
 *   modprobe_path: bytes after its NUL are leftovers of longer values).
 *   A 4-byte int is an exact BYTES check of len 4.
 * - VMIAAS_CHECK_EXEC_GVA: exec-memory. The module walks the page tables
 *   at root from addr (0: the start of the kernel half, 4 or 5 levels as
 *   the vCPU pages) to the top of the address space and fails when an
 *   executable supervisor mapping is writable too, or lies outside all of
 *   the len struct vmiaas_exec_range at user address values (at most
 *   VMIAAS_MAX_EXEC_RANGES; userspace lists what the kernel maps
 *   executable itself: its text, the module area, the real-mode
 *   trampoline, the text's frames), in two walks a moment apart (a
 *   mapping being changed settles). It reads at most
 *   VMIAAS_MAX_EXEC_TABLES page tables per walk (more fails the check).
 * - VMIAAS_CHECK_NF_GVA: netfilter-hook. addr is the guest's
 *   &net_namespace_list, len 1, values the user address of one struct
 *   vmiaas_nf_check: where struct net and struct net_device keep their
 *   hook points (from the guest's BTF) and the ranges a hook function
 *   may lie in (the kernel's text, the text of the untainted modules
 *   that hook). The module walks every namespace's hook points and
 *   devices (core/nfhook.c, bounded, cycle-checked) and fails when a
 *   hook lies outside every range or a point or list cannot be walked,
 *   in two walks a moment apart (a module going away unregisters its
 *   hooks just after it stops being live).
 * - VMIAAS_CHECK_PROC_GVA: proc-ops. addr is the guest's
 *   &net_namespace_list, len 1, values the user address of one struct
 *   vmiaas_proc_check: where struct proc_dir_entry, rb_node and struct
 *   net keep what the walk reads (from BTF), &proc_root and &init_net,
 *   the ranges an entry's operation pointers may lie in (the kernel
 *   image, the module area) and up to VMIAAS_MAX_PROC_WATCH entries whose
 *   pointers must stay as they are (by path key: FNV-1a 64 of the path,
 *   "/proc/net/tcp", in every namespace). The module walks /proc and each
 *   namespace's /proc/net (core/procwalk.c, bounded, cycle-checked) and
 *   fails when a pointer lies outside the ranges, a watched entry's
 *   pointers differ or a tree cannot be walked, in two walks a moment
 *   apart. With flag VMIAAS_CHECK_PROC_MORE, a struct vmiaas_proc_more
 *   follows the struct vmiaas_proc_check at values: a table of up to
 *   VMIAAS_MAX_PROC_TABLE more watched entries (all of a baseline's),
 *   and where the root inode of each mounted /proc is (super_blocks,
 *   proc_fs_type, offsets), whose i_fop and i_op must equal the watch
 *   of "/proc"'s proc_ops and proc_iops and lie in the ranges too.
 * - VMIAAS_CHECK_PTYPE_GVA: packet-tap. addr is the guest's
 *   &net_namespace_list, len 1, values the user address of one struct
 *   vmiaas_ptype_check: the global lists (&ptype_all or
 *   &net_hotdata.ptype_all, &ptype_base), where struct packet_type, net
 *   and net_device keep what the walk reads (from BTF), and the ranges a
 *   packet type's function may lie in (the kernel's text, the text of the
 *   untainted modules with packet types). The module walks the global
 *   lists and every namespace's and device's lists (core/ptypewalk.c,
 *   bounded, cycle-checked) and fails when a function lies outside every
 *   range or a list or packet type cannot be read, in two walks a moment
 *   apart.
 * - VMIAAS_CHECK_INPUT_GVA: input-handler. addr is the guest's
 *   &input_handler_list, len 1, values the user address of one struct
 *   vmiaas_input_check: &input_dev_list, where struct input_handler,
 *   input_dev and input_handle keep what the walk reads (from BTF), and
 *   the ranges a callback may lie in (the kernel's text, the text of the
 *   untainted modules with handlers). The module walks every registered
 *   handler and every handle on every device (core/inputwalk.c, bounded,
 *   cycle-checked) and fails when a callback or handle_events lies
 *   outside every range, a handle's handler is not registered, or a list
 *   or handler cannot be read, in two walks a moment apart.
 * - VMIAAS_CHECK_TP_GVA: tracepoint-hook. addr is the guest's
 *   __start___tracepoints_ptrs (s32 offsets, each relative to its own
 *   address, to the kernel's struct tracepoint), len the number of
 *   tracepoints (at most VMIAAS_MAX_TP), values the user address of one
 *   struct vmiaas_tp_check: where struct tracepoint and struct
 *   tracepoint_func keep what the walk reads (from BTF), and the ranges
 *   a probe may lie in (the kernel's text, the text of the untainted
 *   modules with probes). The module walks every tracepoint's probe
 *   array (core/tpwalk.c: at most 4096 probes on one, which must end
 *   with a NULL func within them) and fails when a probe lies outside
 *   every range or a tracepoint or its array cannot be read or does not
 *   end, in two walks a moment apart. Modules' own tracepoints are not
 *   walked.
 * - VMIAAS_CHECK_VFS_GVA: vfs-ops. addr is the guest's &super_blocks,
 *   len the number of allowed ranges (1 to VMIAAS_MAX_VFS_ALLOW), values
 *   the user address of one struct vmiaas_vfs_check followed by len
 *   [start, end) pairs of __u64 (start < end, sorted by address and
 *   disjoint: the module searches them in log2 steps): where struct
 *   super_block, dentry, inode, mount, task_struct, files_struct,
 *   fdtable and file keep what the walk reads (from BTF), &init_task,
 *   the caps, the kernel image and &debug_fs_type; the ranges an
 *   operations table may lie in (the kernel's text and rodata, the
 *   read-only memory of the modules userspace trusts). The module
 *   walks every superblock, mount root, cached directory and open file
 *   (core/vfswalk.c: bounded, cycle-checked) and fails when a pointer
 *   lies outside every range (a superblock's s_xattr: outside the image
 *   too; a debugfs file's f_op is not judged) or super_blocks cannot be
 *   walked, in two walks a moment apart.
 * - VMIAAS_CHECK_TTY_GVA: tty-ldisc. addr is the guest's &tty_ldiscs[0],
 *   len 1, values the user address of one struct vmiaas_tty_check:
 *   &tty_drivers, devpts' superblocks, where struct tty_ldisc_ops,
 *   tty_driver, tty_struct, tty_ldisc, tty_port, super_block and dentry
 *   keep what the walk reads and which words of struct tty_ldisc_ops,
 *   tty_operations and tty_port_client_operations are function pointers
 *   (from BTF), and the ranges a function may lie in (the kernel's text,
 *   the text of the untainted or trusted modules with disciplines or tty
 *   drivers). The module walks every registered discipline, every tty
 *   driver and every open tty it reaches (each driver's ttys[], each
 *   devpts instance's ptys and their links; core/ttywalk.c: bounded,
 *   cycle-checked) and fails when a function lies outside every range,
 *   a tty's discipline is not the one registered for its number, a
 *   tty's ops are not its driver's, its driver is on no list, or a
 *   table, tty or list cannot be read or walked, in two walks a moment
 *   apart. Where a table lies is not judged, nor n_tty_ops' functions
 *   against a baseline (vmictl's tty-ldisc does both).
 * - VMIAAS_CHECK_PROTO_GVA: net-protocol. addr is the guest's
 *   &inet_protos[0], len 1, values the user address of one struct
 *   vmiaas_proto_check: VMIAAS_PROTO_TABLES tables of pointers to
 *   structs of functions (inet_protos, inet6_protos, sock_diag_handlers,
 *   inet_rcv_compat, net_families, inet_offloads, inet6_offloads: each
 *   its slots and which words of its struct are function pointers), two
 *   lists of structs of functions (proto_list's struct protos,
 *   offload_base's packet_offloads), the inet_protosw lists of inetsw[]
 *   and inetsw6[] (each entry's proto_ops and struct proto), from BTF,
 *   and the ranges a function may lie in (the kernel's text, the text of
 *   the untainted or trusted modules with handlers). The module reads
 *   every slot, every struct on the lists and every entry
 *   (core/protowalk.c: bounded, cycle-checked) and fails when a function
 *   lies outside every range, a slot, entry or struct is not a kernel
 *   pointer or cannot be read, an entry is on another type's list, or a
 *   list cannot be walked, in two walks a moment apart. Which struct a
 *   protocol the kernel registers itself must be on, and where a
 *   proto_ops lies, stay vmictl's net-protocol.
 * - VMIAAS_CHECK_NETDEV_GVA: netdev-hook. addr is the guest's
 *   &net_namespace_list, len 1, values the user address of one struct
 *   vmiaas_netdev_check: where struct net and net_device keep what the
 *   walk reads and which words of struct net_device_ops, ethtool_ops and
 *   header_ops are function pointers (from BTF), the ranges a function
 *   may lie in (the kernel's text, the text of the untainted or trusted
 *   modules with an rx_handler or a table's function) and the ranges a
 *   table may lie in (the kernel's rodata, the read-only data of the
 *   modules holding a device's table). The module walks every device of
 *   every namespace (core/netdevwalk.c: bounded, cycle-checked, at most
 *   65536 devices in all) and fails when an rx_handler or a table's
 *   function lies outside the function ranges, a table outside the table
 *   ranges (a copy in writable memory), or a device, a table or a list
 *   cannot be read or walked, in two walks a moment apart. XDP programs
 *   and traffic control are not looked at (vmictl's netdev-hook judges
 *   them).
 * A check fails (its bit set in the failed mask) when it differs or when
 * its memory cannot be read (not backed, not mapped): the verdict is then
 * VMIAAS_VERDICT_ERROR unless another check differed.
 *
 * Which types a module runs: struct vmiaas_caps.check_types, bit N for
 * type N; a module that leaves it zero runs types 1 to 4.
 */
#define VMIAAS_CHECK_RANGE_GPA	1
#define VMIAAS_CHECK_RANGE_GVA	2
#define VMIAAS_CHECK_PTRS_GPA	3
#define VMIAAS_CHECK_PTRS_GVA	4
#define VMIAAS_CHECK_BYTES_GPA	5
#define VMIAAS_CHECK_BYTES_GVA	6
#define VMIAAS_CHECK_EXEC_GVA	7
#define VMIAAS_CHECK_NF_GVA	8
#define VMIAAS_CHECK_PROC_GVA	9
#define VMIAAS_CHECK_PTYPE_GVA	10
#define VMIAAS_CHECK_INPUT_GVA	11
#define VMIAAS_CHECK_TP_GVA	12
#define VMIAAS_CHECK_VFS_GVA	13
#define VMIAAS_CHECK_TTY_GVA	14
#define VMIAAS_CHECK_PROTO_GVA	15
#define VMIAAS_CHECK_NETDEV_GVA	16
#define VMIAAS_CHECK_TYPES_ALL	0x1fffeULL	/* bits 1 to 16 */

/* struct vmiaas_check.flags */
#define VMIAAS_CHECK_CSTRING	(1U << 0)	/* _BYTES: up to the NUL */
#define VMIAAS_CHECK_PROC_MORE	(1U << 1)	/* _PROC: a vmiaas_proc_more */
#define VMIAAS_CHECK_FLAGS_ALL	(VMIAAS_CHECK_CSTRING | VMIAAS_CHECK_PROC_MORE)

#define VMIAAS_MAX_CHECKS	64		/* bits of the failed mask */
#define VMIAAS_MAX_RANGE	(16U << 20)	/* bytes in one range */
#define VMIAAS_MAX_PTRS		4096U		/* words in one table */
#define VMIAAS_MAX_BYTES	4096U		/* bytes in one _BYTES check */
#define VMIAAS_MAX_EXEC_RANGES	16U		/* allowed ranges of one check */
#define VMIAAS_MAX_EXEC_TABLES	(1U << 18)	/* page tables per walk */

struct vmiaas_check {
	__u32 type;		/* VMIAAS_CHECK_* */
	__u32 flags;		/* VMIAAS_CHECK_CSTRING on _BYTES, else zero */
	__u64 addr;		/* guest-physical or guest-virtual start */
	/* bytes (ranges, _BYTES), words (tables) or ranges (_EXEC), >= 1 */
	__u64 len;
	__u64 root;		/* _GVA: page-table root (GPA), else zero */
	__u8 digest[32];	/* ranges: expected SHA-256, else zero */
	/*
	 * tables, _BYTES, _EXEC: user pointer to the len __u64, bytes or struct
	 * vmiaas_exec_range
	 */
	__u64 values;
	__u64 reserved[2];	/* zero */
};

/* struct vmiaas_exec_range.flags */
#define VMIAAS_EXEC_PHYS	(1U << 0)	/* [start, end) are frames */
#define VMIAAS_EXEC_ALL		VMIAAS_EXEC_PHYS

/* VMIAAS_CHECK_EXEC_GVA: where the kernel maps code itself. */
struct vmiaas_exec_range {
	__u64 start;		/* virtual (or guest-physical) */
	__u64 end;		/* exclusive, > start */
	__u32 flags;		/* VMIAAS_EXEC_* */
	__u32 reserved;		/* zero */
};

/* struct vmiaas_nf_check.flags: the device hook points the kernel has */
#define VMIAAS_NF_INGRESS	(1U << 0)	/* net_device.nf_hooks_ingress */
#define VMIAAS_NF_EGRESS	(1U << 1)	/* net_device.nf_hooks_egress */
#define VMIAAS_NF_ALL		(VMIAAS_NF_INGRESS | VMIAAS_NF_EGRESS)

#define VMIAAS_NF_FAMILIES	4	/* ipv4, ipv6, arp, bridge */
#define VMIAAS_MAX_NF_POINTS	8	/* hook points of one family */
#define VMIAAS_MAX_NF_OFFSET	65536	/* any offset below */
#define VMIAAS_MAX_NF_ALLOW	12	/* allowed ranges */

/* VMIAAS_CHECK_NF_GVA: the layout, and where hook functions may lie. */
struct vmiaas_nf_check {
	__u32 net_list;		/* offsetof(struct net, list) */
	__u32 net_inum;		/* offsetof(struct net, ns.inum) */
	__u32 dev_base;		/* offsetof(struct net, dev_base_head) */
	__u32 dev_list;		/* offsetof(struct net_device, dev_list) */
	__u32 ingress;		/* offsetof(struct net_device, nf_hooks_ingress) */
	__u32 egress;		/* offsetof(struct net_device, nf_hooks_egress) */
	/* offsetof(struct net, nf.hooks_ipv4...) */
	__u32 family_off[VMIAAS_NF_FAMILIES];
	__u8 family_nr[VMIAAS_NF_FAMILIES];	/* points, 0: not built */
	__u32 flags;		/* VMIAAS_NF_* */
	__u32 nr_allow;		/* 1 to VMIAAS_MAX_NF_ALLOW */
	__u32 reserved;		/* zero */
	__u64 allow[VMIAAS_MAX_NF_ALLOW][2];	/* [start, end), start < end */
};

#define VMIAAS_PROC_PTRS	3	/* proc_ops, proc_iops, seq_ops */
#define VMIAAS_MAX_PROC_WATCH	4	/* watched entries */
#define VMIAAS_MAX_PROC_SIZE	512	/* sizeof(struct proc_dir_entry) */

/* VMIAAS_CHECK_PROC_GVA: an entry whose pointers must stay. */
struct vmiaas_proc_watch {
	__u64 key;		/* FNV-1a 64 of its path */
	__u64 ptr[VMIAAS_PROC_PTRS];	/* as at registration */
};

/* VMIAAS_CHECK_PROC_GVA: the layout, the ranges, the watched entries. */
struct vmiaas_proc_check {
	/* offsetof(struct proc_dir_entry, proc_ops, proc_iops, seq_ops) */
	__u32 ptr[VMIAAS_PROC_PTRS];
	__u32 subdir, node, name;	/* ... subdir, subdir_node, name */
	__u32 namelen, mode, size;	/* ... namelen, mode; its size */
	__u32 rb_left, rb_right;	/* offsetof(struct rb_node, ...) */
	__u32 net_list, proc_net, net_inum;	/* offsetof(struct net, ...) */
	__u32 nr_watch;		/* 0 to VMIAAS_MAX_PROC_WATCH */
	__u32 reserved;		/* zero */
	__u64 root;		/* &proc_root */
	__u64 init_net;		/* &init_net */
	/* [start, end), start < end: the kernel image, the module area */
	__u64 allow[2][2];
	struct vmiaas_proc_watch watch[VMIAAS_MAX_PROC_WATCH];
};

#define VMIAAS_MAX_HOOK_ALLOW	10	/* allowed ranges: _PTYPE, _INPUT */

/* struct vmiaas_ptype_check.flags: what the kernel has */
#define VMIAAS_PTYPE_FUNC	(1U << 0)	/* packet_type.func: required */
#define VMIAAS_PTYPE_LIST_FUNC	(1U << 1)	/* packet_type.list_func */
#define VMIAAS_PTYPE_ID_MATCH	(1U << 2)	/* packet_type.id_match */
#define VMIAAS_PTYPE_NET_LISTS	(1U << 3)	/* net->ptype_all, _specific */
#define VMIAAS_PTYPE_ALL	0xfU

/* VMIAAS_CHECK_PTYPE_GVA: the lists, the layout, the allowed ranges. */
struct vmiaas_ptype_check {
	__u64 all;		/* &ptype_all, &net_hotdata.ptype_all or 0 */
	__u64 base;		/* &ptype_base[0] (16 list heads) */
	__u32 net_list;		/* offsetof(struct net, list) */
	__u32 net_inum;		/* offsetof(struct net, ns.inum) */
	__u32 net_all;		/* offsetof(struct net, ptype_all) */
	__u32 net_specific;	/* offsetof(struct net, ptype_specific) */
	__u32 dev_base;		/* offsetof(struct net, dev_base_head) */
	__u32 dev_list;		/* offsetof(struct net_device, dev_list) */
	__u32 dev_all;		/* offsetof(struct net_device, ptype_all) */
	__u32 dev_specific;	/* ... ptype_specific */
	__u32 pt_list;		/* offsetof(struct packet_type, list) */
	__u32 pt_type;		/* offsetof(struct packet_type, type) */
	__u32 fn_off[3];	/* ... func, list_func, id_match */
	__u32 flags;		/* VMIAAS_PTYPE_* */
	__u32 nr_allow;		/* 1 to VMIAAS_MAX_HOOK_ALLOW */
	__u32 reserved;		/* zero */
	__u64 allow[VMIAAS_MAX_HOOK_ALLOW][2];	/* [start, end), start < end */
};

/* struct vmiaas_input_check.flags: the members the kernel has */
#define VMIAAS_INPUT_FN(i)	(1U << (i))	/* fn_off[i], i < 7 */
#define VMIAAS_INPUT_HANDLE_EVENTS	(1U << 7)	/* input_handle.handle_events */
#define VMIAAS_INPUT_ALL	0xffU

/* VMIAAS_CHECK_INPUT_GVA: the device list, the layout, allowed ranges. */
struct vmiaas_input_check {
	__u64 devs;		/* &input_dev_list */
	__u32 h_node;		/* offsetof(struct input_handler, node) */
	/* ... event, events, filter, match, connect, disconnect, start */
	__u32 fn_off[7];
	__u32 d_node;		/* offsetof(struct input_dev, node) */
	__u32 d_hlist;		/* offsetof(struct input_dev, h_list) */
	__u32 hd_dnode;		/* offsetof(struct input_handle, d_node) */
	__u32 hd_handler;	/* ... handler */
	__u32 hd_events;	/* ... handle_events */
	__u32 flags;		/* VMIAAS_INPUT_* */
	__u32 nr_allow;		/* 1 to VMIAAS_MAX_HOOK_ALLOW */
	__u32 reserved;		/* zero */
	__u64 allow[VMIAAS_MAX_HOOK_ALLOW][2];	/* [start, end), start < end */
};

#define VMIAAS_MAX_TP		65536	/* tracepoints of one _TP check */
#define VMIAAS_MAX_TP_FUNC	64	/* sizeof(struct tracepoint_func) */

/* VMIAAS_CHECK_TP_GVA: the layout, the ranges a probe may lie in. */
struct vmiaas_tp_check {
	__u32 tp_name;		/* offsetof(struct tracepoint, name) */
	__u32 tp_funcs;		/* offsetof(struct tracepoint, funcs) */
	__u32 func_fn;		/* offsetof(struct tracepoint_func, func) */
	__u32 func_data;	/* ... data */
	/*
	 * sizeof(struct tracepoint_func): 8 to VMIAAS_MAX_TP_FUNC, func and
	 * data in it
	 */
	__u32 func_size;
	__u32 nr_allow;		/* 1 to VMIAAS_MAX_HOOK_ALLOW */
	__u64 reserved;		/* zero */
	__u64 allow[VMIAAS_MAX_HOOK_ALLOW][2];	/* [start, end), start < end */
};

#define VMIAAS_MAX_VFS_ALLOW	1024	/* allowed ranges of a _VFS check */
#define VMIAAS_MAX_VFS_DENTRIES	(1U << 17)	/* cached dentries a walk */
#define VMIAAS_MAX_VFS_FDS	(1U << 20)	/* fd slots a walk */

/* struct vmiaas_vfs_check.flags */
#define VMIAAS_VFS_HLIST	(1U << 0)	/* d_children an hlist (6.8+) */
#define VMIAAS_VFS_ALL		VMIAAS_VFS_HLIST

/*
 * VMIAAS_CHECK_VFS_GVA: the layout, the roots and caps; the len allowed
 * ranges follow it at ->values. Offsets below 65536; the five dentry
 * fields within 512 bytes of each other.
 */
struct vmiaas_vfs_check {
	__u64 init_task;	/* &init_task */
	__u64 image[2];		/* [_stext, _end): s_xattr may lie there */
	__u64 debugfs_type;	/* &debug_fs_type, or 0 */
	__u32 s_list, s_type;	/* offsetof(struct super_block, ...) */
	__u32 s_ptr[4];		/* ... s_op, s_d_op, s_export_op, s_xattr */
	__u32 s_root, s_mounts;
	__u32 d_op, d_flags;	/* offsetof(struct dentry, ...) */
	__u32 d_inode, d_children, d_sib;	/* 6.1: d_subdirs, d_child */
	__u32 i_op, i_fop, i_mode, i_sb;	/* in struct inode */
	__u32 mnt_root;		/* offsetof(struct mount, mnt.mnt_root) */
	__u32 mnt_instance;	/* ... mnt_instance */
	__u32 tasks, tgid, files;	/* in struct task_struct */
	__u32 fdt;		/* offsetof(struct files_struct, fdt) */
	__u32 max_fds, fd;	/* in struct fdtable */
	__u32 f_op, f_inode;	/* in struct file */
	__u32 max_dentries;	/* 1 to VMIAAS_MAX_VFS_DENTRIES */
	__u32 max_fd_slots;	/* 1 to VMIAAS_MAX_VFS_FDS */
	__u32 flags;		/* VMIAAS_VFS_* */
	__u32 reserved32;	/* zero */
	__u64 reserved[2];	/* zero */
};

#define VMIAAS_MAX_TTY_LDISCS	64	/* entries of tty_ldiscs[] */
/* bits of the tables' function-pointer maps: tables of 512 bytes */
#define VMIAAS_TTY_TABLE_WORDS	64

#define VMIAAS_PROTO_TABLES	7	/* slot tables of a _PROTO check */
#define VMIAAS_MAX_PROTO_SLOTS	512	/* slots of one table */
#define VMIAAS_MAX_PROTO_TYPES	16	/* lists of inetsw[] (SOCK_MAX 11) */

/*
 * struct vmiaas_found.point of a _PROTO check: the tables in the order
 * of ->table[] (0 inet_protos, 1 inet6_protos, 2 sock_diag_handlers, 3
 * inet_rcv_compat, 4 net_families, 5 inet_offloads, 6 inet6_offloads),
 * then these.
 */
#define VMIAAS_PROTO_AT_PROTOS	7	/* proto_list */
#define VMIAAS_PROTO_AT_OFFLOADS 8	/* offload_base */
#define VMIAAS_PROTO_AT_SW	9	/* inetsw[]; inetsw6[] 10 */

/*
 * A _PROTO check's tables and lists are the kernel's statics (in its
 * image or a module, the top 2 GiB on x86-64): each is at the check's
 * addr plus a signed 32-bit ->at, so that the record fits libvmiaas'
 * 312 bytes.
 */

/* One table of pointers to structs of functions. */
struct vmiaas_proto_table {
	__s32 at;		/* &table[0] - addr (->table[0]: 0) */
	__u16 slots;		/* 1 to VMIAAS_MAX_PROTO_SLOTS; 0: none */
	__u16 fns;		/* its struct's words 0-15 that are functions */
};

/* A list of structs of functions: ->at 0, no list in this kernel. */
struct vmiaas_proto_list {
	__s32 at;		/* &head - addr */
	__u32 node;		/* offsetof(struct ..., its list_head) */
	__u64 fns[2];		/* function words: bit i of fns[i / 64] */
};

/* inetsw[] and inetsw6[]: one layout (struct inet_protosw's). */
struct vmiaas_proto_sw {
	__s32 at[2];		/* &inetsw[0], &inetsw6[0] - addr; 0: none */
	__u16 types;		/* the lists: 1 to VMIAAS_MAX_PROTO_TYPES */
	__u16 node;		/* offsetof(struct inet_protosw, list) */
	__u16 type, protocol;	/* its u16 members' offsets */
	__u16 prot, ops;	/* its pointers' */
	__u32 reserved;		/* zero */
	__u64 fns;		/* struct proto_ops's function words 0-63 */
};

/*
 * VMIAAS_CHECK_PROTO_GVA: the tables (->table[0] at the check's addr:
 * inet_protos), proto_list and offload_base (->list[0], [1]), inetsw[]
 * and inetsw6[], the ranges a function may lie in.
 */
struct vmiaas_proto_check {
	struct vmiaas_proto_table table[VMIAAS_PROTO_TABLES];
	struct vmiaas_proto_list list[2];
	struct vmiaas_proto_sw sw;
	__u32 nr_allow;		/* 1 to VMIAAS_MAX_HOOK_ALLOW */
	__u32 reserved;		/* zero */
	__u64 allow[VMIAAS_MAX_HOOK_ALLOW][2];	/* [start, end), start < end */
};

/* struct vmiaas_tty_check.flags */
#define VMIAAS_TTY_DEVPTS	(1U << 0)	/* ->devpts_supers is walked */
#define VMIAAS_TTY_HLIST	(1U << 1)	/* d_children an hlist (6.8+) */
#define VMIAAS_TTY_ALL		(VMIAAS_TTY_DEVPTS | VMIAAS_TTY_HLIST)

/*
 * VMIAAS_CHECK_TTY_GVA: the roots, the layout, the ranges a function may
 * lie in. A table's function pointers as a map of its 8-byte words: bit
 * i set, the word at offset 8 * i is one. Offsets below 65536.
 */
struct vmiaas_tty_check {
	__u64 drivers;		/* &tty_drivers */
	__u64 devpts_supers;	/* &devpts_fs_type.fs_supers; 0 without DEVPTS */
	__u64 client_default;	/* &tty_port_default_client_ops, or 0 */
	__u64 ldisc_fns;	/* struct tty_ldisc_ops' words: at least one */
	__u64 ops_fns;		/* struct tty_operations' */
	__u64 client_fns;	/* struct tty_port_client_operations' */
	__u32 nr_ldiscs;	/* 1 to VMIAAS_MAX_TTY_LDISCS */
	__u32 lo_num;		/* offsetof(struct tty_ldisc_ops, num) */
	/* offsetof(struct tty_driver, tty_drivers, num, ttys, ops) */
	__u32 drv_node, drv_num, drv_ttys, drv_ops;
	/* offsetof(struct tty_struct, ldisc, link, ops, driver, port) */
	__u32 tty_ldisc, tty_link, tty_ops, tty_driver, tty_port;
	__u32 ld_ops;		/* offsetof(struct tty_ldisc, ops) */
	__u32 port_client;	/* offsetof(struct tty_port, client_ops) */
	__u32 sb_instances, sb_root;	/* offsetof(struct super_block, ...) */
	/* offsetof(struct dentry, ...); 6.1: d_subdirs, d_child */
	__u32 d_children, d_sib, d_fsdata;
	__u32 flags;		/* VMIAAS_TTY_* */
	__u32 nr_allow;		/* 1 to VMIAAS_MAX_HOOK_ALLOW */
	__u64 reserved;		/* zero */
	__u64 allow[VMIAAS_MAX_HOOK_ALLOW][2];	/* [start, end), start < end */
};

#define VMIAAS_NETDEV_TABLES	3	/* netdev_ops, ethtool_ops, header_ops */
/* bits of a table's function-pointer map: tables of 1024 bytes */
#define VMIAAS_NETDEV_TABLE_WORDS	128
/* function ranges and table ranges of a _NETDEV check, together */
#define VMIAAS_MAX_NETDEV_RANGES	13

/*
 * VMIAAS_CHECK_NETDEV_GVA: the layout, which words of each table are
 * function pointers (bit i of a map set: the word at offset 8 * i is
 * one), the ranges: ranges[0, nr_allow) where a function may lie,
 * ranges[nr_allow, nr_allow + nr_ro) where a table may lie. Offsets
 * below 65536.
 */
struct vmiaas_netdev_check {
	__u32 net_list;		/* offsetof(struct net, list) */
	__u32 net_inum;		/* offsetof(struct net, ns.inum) */
	__u32 dev_base;		/* offsetof(struct net, dev_base_head) */
	__u32 dev_list;		/* offsetof(struct net_device, dev_list) */
	__u32 dev_name;		/* ... name */
	__u32 rx_handler;	/* ... rx_handler */
	__u32 rx_data;		/* ... rx_handler_data */
	/* ... netdev_ops, ethtool_ops, header_ops */
	__u32 table_off[VMIAAS_NETDEV_TABLES];
	/* each table's function words; netdev_ops' at least one */
	__u64 fns[VMIAAS_NETDEV_TABLES][VMIAAS_NETDEV_TABLE_WORDS / 64];
	__u32 nr_allow;		/* function ranges: at least 1 */
	__u32 nr_ro;		/* table ranges after them: at least 1 */
	__u64 reserved;		/* zero */
	/* [start, end), start < end */
	__u64 ranges[VMIAAS_MAX_NETDEV_RANGES][2];
};

#define VMIAAS_MAX_PROC_TABLE	8192	/* entries of a baseline */

/*
 * VMIAAS_CHECK_PROC_GVA with VMIAAS_CHECK_PROC_MORE: right after the
 * struct vmiaas_proc_check at ->values. The table's entries and the
 * inline ones are compared alike (keys unique among all of them, in any
 * order). super_blocks 0: no root inode is read.
 */
struct vmiaas_proc_more {
	__u64 watch;		/* user pointer to nr_watch entries */
	__u32 nr_watch;		/* 0 to VMIAAS_MAX_PROC_TABLE */
	__u32 s_list;		/* offsetof(struct super_block, s_list) */
	__u64 super_blocks;	/* &super_blocks, or 0 */
	__u64 proc_fs_type;	/* &proc_fs_type */
	__u32 s_type, s_root;	/* offsetof(struct super_block, ...) */
	__u32 d_inode;		/* offsetof(struct dentry, d_inode) */
	__u32 i_fop, i_op;	/* offsetof(struct inode, ...) */
	__u32 reserved32;	/* zero */
	__u64 reserved[2];	/* zero */
};

/* VMIAAS_IOC_SET_CHECKS: no flags defined yet. */
#define VMIAAS_CHECKS_ALL	0ULL

struct vmiaas_set_checks {
	__u32 size;		/* in: sizeof(struct vmiaas_set_checks) */
	__u32 nr_checks;	/* in: entries at ->checks, 0 clears the set */
	__u64 flags;		/* in: VMIAAS_CHECKS_*, none yet */
	__u64 checks;		/* in: user pointer to struct vmiaas_check[] */
	__u64 reserved[2];	/* in: zero */
};

/*
 * read() on an attached /dev/vmiaas returns whole struct vmiaas_event
 * records of ATTACH_VM's event_size bytes (0 there: 96, the first
 * layout, without nr_found and found[]; a buffer smaller than one
 * record: -EINVAL), one per request served or
 * refused; poll() reports POLLIN when one is queued. The queue holds
 * VMIAAS_EVENT_QUEUE records; when it is full new events are dropped and
 * counted, and the next event read carries the count in ->lost.
 */
#define VMIAAS_EVENT_QUEUE	256

/* Record sizes: the first layout's, and the most ATTACH_VM takes. */
#define VMIAAS_EVENT_SIZE_V1	96
#define VMIAAS_EVENT_SIZE_MAX	4096

/*
 * struct vmiaas_found.kind: what a failed check found, named. The walks
 * report the first suspect of their confirming walk.
 *   _NF_HOOK:  a hook function outside the allowed ranges: ->where the
 *              struct nf_hook_entries, ->value the function, ->family,
 *              ->point (the hook number), ->index, ->dev (device points)
 *   _NF_BAD:   a hook point or list that cannot be walked: ->where,
 *              ->family, ->point, ->err
 *   _PROC_PTR: a /proc entry's pointer outside the ranges (->expected 0)
 *              or not its watch's (->expected): ->where the entry (the
 *              inode with VMIAAS_FOUND_ROOT_INODE), ->path, ->index
 *              (0 proc_ops or i_fop, 1 proc_iops or i_op, 2 seq_ops),
 *              ->value
 *   _PROC_BAD: a part of the trees that cannot be walked: ->where,
 *              ->path (its directory), ->err, ->index (core/procwalk.h's
 *              VMI_PROC_BAD_*: 1 an entry, 2 depth, 3 subdir, 4 tree,
 *              5 top, 6 a namespace's proc_net, 7 the namespaces or the
 *              entry cap, 8 a root inode, 9 super_blocks)
 *   _PTYPE_FN: a packet type's function outside the ranges: ->where the
 *              struct packet_type, ->value the function, ->index the
 *              member (0 func, 1 list_func, 2 id_match), ->point the
 *              list (0 ptype_all, 1 ptype_base[->family], 2 and 3 the
 *              namespace's ptype_all and ptype_specific, 4 and 5 the
 *              device's), ->expected packet_type.type as stored
 *              (big-endian), ->dev, ->netns
 *   _PTYPE_BAD: a list or packet type that cannot be read: ->where the
 *              list's head, ->value the packet type (0: the list itself),
 *              ->point (as above; 6 net_namespace_list, 7 a namespace's
 *              device list), ->family, ->dev, ->netns, ->err
 *   _INPUT_FN: a callback outside the ranges: ->where the struct
 *              input_handler, ->value the callback, ->point 0 (a
 *              registered handler's callback ->index: 0 event, 1 events,
 *              2 filter, 3 match, 4 connect, 5 disconnect, 6 start) or 2
 *              (a handle's handle_events), ->expected the struct
 *              input_handle, ->dev the struct input_dev (0: a registered
 *              handler's)
 *   _INPUT_BAD: what cannot be read or is not registered: ->point 1 (a
 *              handle's handler on no list: ->where the handler), 0 (a
 *              handler that cannot be read), 3 input_handler_list, 4
 *              input_dev_list, 5 a device's h_list (->where the list's
 *              head), ->expected the handle, ->dev, ->err
 *   _TP_PROBE: a probe outside the ranges: ->where the struct
 *              tracepoint, ->value the probe function, ->expected its
 *              data, ->point the tracepoint's entry in the array,
 *              ->index the probe's place in funcs, ->path the
 *              tracepoint's name ("" unreadable)
 *   _TP_BAD:   a tracepoint or array that cannot be walked: ->where the
 *              tracepoint (0: the array at the check's addr), ->value its
 *              funcs (0: not read), ->point, ->path, ->err (-EFAULT
 *              unreadable, -EBADMSG not an aligned kernel address, -E2BIG
 *              no end within 4096 probes)
 *   _VFS_PTR:  an operations table pointer outside the ranges: ->where
 *              what holds it (superblock, dentry, inode, file), ->value
 *              the pointer, ->point the field (0 s_op, 1 s_d_op,
 *              2 s_export_op, 3 s_xattr, 4 d_op, 5 i_op, 6 i_fop,
 *              7 f_op), ->expected the superblock, ->dev a cached
 *              directory's dentry (0: a root's, a mount's or a file's),
 *              ->family an open file's process (tgid), ->index its fd
 *   _VFS_BAD:  super_blocks cannot be walked: ->where the list's head,
 *              ->index the nodes walked, ->err (-ELOOP, -EBADMSG)
 *   _TTY_FN:   a function outside the ranges: ->where the table holding
 *              it, ->value the function, ->index its offset in the
 *              table, ->point what holds the table (core/ttywalk.h's
 *              VMI_TTY_*: 0 a registered discipline, 2 a tty's
 *              unregistered one, 9 a driver's ops, 11 a tty's ops not its
 *              driver's, 14 a port's client_ops), ->dev the tty (0: a
 *              registered table's, a driver's), ->expected the driver,
 *              ->family the discipline's number
 *   _TTY_BAD:  what is not as the kernel makes it or cannot be read:
 *              ->point (1 a tty's discipline not the registered one,
 *              10 a tty's ops not its driver's: ->expected the driver's
 *              table; 3 a registered table, 4 a tty, 12 a driver or a
 *              tty's driver on no list; 5 tty_drivers, 6 a driver's
 *              ttys[], 7 devpts: ->value the list's head), ->where the
 *              table, ->dev the tty, ->expected the driver (with 10: its
 *              table), ->family the number, ->err (-ENOENT, -EFAULT,
 *              -EBADMSG, -ELOOP, -E2BIG)
 *   _PROTO_FN: a function outside the ranges: ->where the struct
 *              (net_protocol, sock_diag_handler..., proto,
 *              packet_offload, an entry's proto_ops or, with
 *              VMIAAS_FOUND_PROTO_PROT, its struct proto), ->value the
 *              function, ->index its offset in the struct, ->point the
 *              table or list (VMIAAS_PROTO_AT_*), ->family the slot
 *              (inetsw: the socket type), ->expected the inet_protosw
 *   _PROTO_BAD: a slot, struct or entry that cannot be read or is no
 *              kernel pointer, an entry on another type's list
 *              (-EBADMSG), or a list that cannot be walked: ->where the
 *              struct (0: the list), ->point, ->family, ->expected the
 *              inet_protosw, ->err (-EBADMSG, -EFAULT, -ELOOP)
 *   _NETDEV_FN: a function outside the function ranges: ->dev the
 *              struct net_device, ->path its name (as read, cut at 16
 *              bytes), ->netns, ->value the function, ->point what holds
 *              it (0 the rx_handler itself: ->expected its
 *              rx_handler_data; 2 netdev_ops, 3 ethtool_ops, 4
 *              header_ops: ->where the table, ->index the function's
 *              offset in it)
 *   _NETDEV_BAD: what is not where the kernel puts it or cannot be read:
 *              ->point 2, 3, 4 a table (->where) outside the table ranges
 *              (->err -EPERM: a copy) or unreadable (-EFAULT); 16 a
 *              device that cannot be read (-EFAULT); 17
 *              net_namespace_list, 18 a namespace's device list (->where
 *              the list's head; -ELOOP, -EBADMSG); 19 more than 65536
 *              devices in all (-E2BIG); ->dev, ->path, ->netns
 */
#define VMIAAS_FOUND_NF_HOOK	1
#define VMIAAS_FOUND_NF_BAD	2
#define VMIAAS_FOUND_PROC_PTR	3
#define VMIAAS_FOUND_PROC_BAD	4
#define VMIAAS_FOUND_PTYPE_FN	5
#define VMIAAS_FOUND_PTYPE_BAD	6
#define VMIAAS_FOUND_INPUT_FN	7
#define VMIAAS_FOUND_INPUT_BAD	8
#define VMIAAS_FOUND_TP_PROBE	9
#define VMIAAS_FOUND_TP_BAD	10
#define VMIAAS_FOUND_VFS_PTR	11
#define VMIAAS_FOUND_VFS_BAD	12
#define VMIAAS_FOUND_TTY_FN	13
#define VMIAAS_FOUND_TTY_BAD	14
#define VMIAAS_FOUND_PROTO_FN	15
#define VMIAAS_FOUND_PROTO_BAD	16
#define VMIAAS_FOUND_NETDEV_FN	17
#define VMIAAS_FOUND_NETDEV_BAD	18

/* struct vmiaas_found.flags */
#define VMIAAS_FOUND_ROOT_INODE	(1U << 0)	/* a mounted /proc's root */
#define VMIAAS_FOUND_INIT_NET	(1U << 1)	/* init_net's, or /proc's */
#define VMIAAS_FOUND_PROTO_PROT	(1U << 2)	/* an inet_protosw's struct proto */

/* struct vmiaas_found.family beyond ipv4 (0), ipv6, arp, bridge (3) */
#define VMIAAS_NF_FAM_INGRESS	4	/* a device's ingress point */
#define VMIAAS_NF_FAM_EGRESS	5	/* a device's egress point */
#define VMIAAS_NF_FAM_NETNS	6	/* net_namespace_list */
#define VMIAAS_NF_FAM_DEVS	7	/* a namespace's device list */

#define VMIAAS_FOUND_PATH	64

/* What a failed check of a walking type found (struct vmiaas_event). */
struct vmiaas_found {
	__u32 check;		/* the check: its bit in failed_mask */
	__u32 kind;		/* VMIAAS_FOUND_* */
	__u64 where;		/* the entry, inode, hook list... */
	__u64 value;		/* the pointer or function as read */
	/* _PROC_PTR: the watch's, 0: none; other kinds: see above */
	__u64 expected;
	__u64 dev;		/* _NF_*: the struct net_device, or 0 */
	__u32 netns;		/* the namespace's inode number, 0 unread */
	__u32 family;		/* _NF_*: 0 to 3, VMIAAS_NF_FAM_* */
	__u32 point;		/* _NF_*: the hook number */
	__u32 index;		/* see the kinds above */
	__s32 err;		/* _BAD: why, a negative errno */
	__u32 flags;		/* VMIAAS_FOUND_* flags */
	char path[VMIAAS_FOUND_PATH];	/* _PROC_*, _TP_*: cut, NUL-ended */
};

/* found[] of a record: the first failed checks that name something */
#define VMIAAS_EVENT_FOUND	2

/* struct vmiaas_event.source: how the request reached the module */
#define VMIAAS_SRC_EXIT		1	/* seen on a VM exit that happened anyway */
#define VMIAAS_SRC_POLL		2	/* seen by the polling kthread */
#define VMIAAS_SRC_HYPERCALL	3	/* VMIAAS_HC_REQUEST */

struct vmiaas_event {
	__u32 size;		/* sizeof(struct vmiaas_event) */
	__u32 vcpu;		/* vCPU index */
	__u64 seq;		/* req_seq answered (0 for hypercalls) */
	__u32 reason;		/* req_reason as the guest wrote it */
	__u32 source;		/* VMIAAS_SRC_* */
	__s32 status;		/* resp_status */
	__u32 verdict;		/* VMIAAS_VERDICT_* */
	__u32 nr_failed;
	__u32 nr_checks;
	__u64 failed_mask;
	__u64 cookie;
	__u64 t_seen_ns;	/* CLOCK_MONOTONIC: request noticed */
	__u64 t_done_ns;	/* CLOCK_MONOTONIC: response written */
	__u64 lost;		/* events dropped before this one */
	/*
	 * The VM's counters since attach, this request included. Reserved
	 * (zero) in the first modules of API 1; a compatible addition, so
	 * the version stays: both zero means a module without them.
	 */
	__u64 vm_runs;		/* requests whose checks ran */
	__u64 vm_refused;	/* requests refused before any check ran */
	/*
	 * Beyond VMIAAS_EVENT_SIZE_V1 (ATTACH_VM's event_size): what the
	 * failed checks of netfilter-hook, proc-ops, packet-tap,
	 * input-handler and tracepoint-hook found, in check order, at most
	 * VMIAAS_EVENT_FOUND.
	 */
	__u32 nr_found;		/* slots of found[] used */
	__u32 reserved;		/* zero */
	struct vmiaas_found found[VMIAAS_EVENT_FOUND];
};

#define VMIAAS_IOC_MAGIC	0xB7
#define VMIAAS_IOC_GET_CAPS	_IOWR(VMIAAS_IOC_MAGIC, 0x00, struct vmiaas_caps)
#define VMIAAS_IOC_ATTACH_VM	_IOW(VMIAAS_IOC_MAGIC, 0x01, struct vmiaas_attach_vm)
#define VMIAAS_IOC_ENABLE_VIEW	_IOWR(VMIAAS_IOC_MAGIC, 0x02, struct vmiaas_enable_view)
#define VMIAAS_IOC_DETACH_VM	_IO(VMIAAS_IOC_MAGIC, 0x03)
#define VMIAAS_IOC_READ_MAILBOX	_IOWR(VMIAAS_IOC_MAGIC, 0x04, struct vmiaas_read_mailbox)
#define VMIAAS_IOC_SET_CHECKS	_IOW(VMIAAS_IOC_MAGIC, 0x05, struct vmiaas_set_checks)

#endif /* _UAPI_LINUX_VMIAAS_H */
