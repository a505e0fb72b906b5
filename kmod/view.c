// SPDX-License-Identifier: GPL-2.0
/*
 * View 1, the introspection view: EPTP-list entry VMIAAS_VIEW_INDEX of every
 * armed vCPU, through the API of vmiaas's patched kvm-intel.ko
 * (kvm_vmx_altview.h).
 *
 * vmiaas.ko must load on any kernel (stock KVM, no KVM, no VMX), so it does
 * not link against kvm.ko or kvm-intel.ko: the few exports it needs are
 * taken with symbol_get() the first time they are asked for, and kept (with
 * the references on kvm.ko and kvm-intel.ko that symbol_get() implies) until
 * the module is unloaded. Either all of them resolve and the CPU can switch
 * EPTPs, or none is kept.
 *
 * View 1 is a superset of KVM's view, per vCPU: a private top-level table
 * (PML4) holding copies of the 512 entries of KVM's current root, so every
 * lower table is KVM's own, plus slot VIEW_SLOT pointing to private tables
 * that map one mailbox page at VMIAAS_MAILBOX_GPA. It stays correct
 * because:
 * - KVM's TDP MMU changes a root's top-level entries only by adding
 *   (not-present to present); it replaces whole roots, and every root load
 *   calls root_changed before the vCPU re-enters, which re-copies them
 *   (then KVM's kvm_mmu_load() flushes, globally with the series).
 * - An entry added after the copy (a fault on this or another vCPU) is
 *   missing from view 1 until the next copy; a guest touching it in view 1
 *   takes an EPT violation, which KVM resolves in its own root, and
 *   post_exit marks the copy stale so pre_entry re-copies it before the
 *   vCPU re-enters. Every EPT violation re-copies, which keeps even the
 *   first VMFUNC of a fresh VM free of exits.
 * - The private tables never change once built, and are freed only with
 *   the vCPU, so no INVEPT is owed for them.
 * - The shadow MMU may free lower tables under a live top level: the VM
 *   is refused (vm.c). 5-level EPT is refused (the copy is a PML4):
 *   pre_entry drops the vCPU's "want" and logs it, so PROBE no longer
 *   offers VMFUNC there and VMFUNC(0, 1) gives #UD.
 * - A memslot that KVM would put where view 1 has the mailbox slot is
 *   refused (memslot_check, vm.c) while the view is enabled.
 *
 * The view is sticky. The guest chose it with VMFUNC, and to the guest it
 * is as much its state as a register: the SDM's VMFUNC EPTP switching
 * just loads the list entry into EPT_POINTER, and nothing in the
 * architecture takes it back. KVM does, though: vmx_load_mmu_pgd() writes
 * its own EPTP to EPT_POINTER whenever it loads a root (a memslot change,
 * a fast zap, SMM), and it never reads EPT_POINTER back. So post_exit
 * notes, on every exit, whether the guest is in view 1 (EPT_POINTER, which
 * the CPU updated on the guest's VMFUNC, is view 1's EPTP; the EPTP-index
 * field would say the same but exists only with #VE support), and
 * root_changed, after rebuilding view 1 over KVM's new root, switches the
 * guest back to it before it re-enters. A guest that is in view 1 keeps
 * reading its mailbox after a root load without switching again.
 *
 * Per-vCPU state (struct view_vcpu) is KVM's "priv" of that vCPU. It lives
 * from the first arming until KVM frees the vCPU (ops->vcpu_free), not just
 * while a /dev/vmiaas file is attached: KVM may call the hooks of an
 * enabled vCPU at any time, and detaching must not wait for the vCPU
 * thread. KVM pins this module once per enabled vCPU until it frees that
 * vCPU, so the state never outlives the code.
 */
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <asm/vmx.h>
#include <uapi/linux/vmiaas.h>

#include "kvm_vmx_altview.h"
#include "serve.h"
#include "view.h"
#include "vm.h"

/* Immutable from resolution until vmiaas_view_release(). */
static struct {
	typeof(kvm_vmx_altview_version) *kvm_vmx_altview_version;
	typeof(kvm_get_kvm) *kvm_get_kvm;
	typeof(kvm_put_kvm) *kvm_put_kvm;
	typeof(kvm_vcpu_kick) *kvm_vcpu_kick;
	typeof(file_is_kvm) *file_is_kvm;
	typeof(kvm_vmx_altview_supported) *kvm_vmx_altview_supported;
	typeof(kvm_vmx_altview_register) *kvm_vmx_altview_register;
	typeof(kvm_vmx_altview_unregister) *kvm_vmx_altview_unregister;
	typeof(kvm_vmx_altview_enable) *kvm_vmx_altview_enable;
	typeof(kvm_vmx_altview_set_eptp) *kvm_vmx_altview_set_eptp;
	typeof(kvm_vmx_altview_cur_eptp) *kvm_vmx_altview_cur_eptp;
	typeof(kvm_vmx_altview_set_cur_eptp) *kvm_vmx_altview_set_cur_eptp;
	typeof(kvm_vmx_altview_priv) *kvm_vmx_altview_priv;
	typeof(kvm_read_guest) *kvm_read_guest;
	bool resolved;
	bool registered;
} syms;
static DEFINE_MUTEX(syms_lock);

/* EPT entries (SDM Vol. 3C 29.3.2) */
#define EPT_RWX			0x7ULL
#define EPT_MT_WB		(6ULL << 3)
#define EPT_ACCESSED		BIT_ULL(8)
#define EPT_DIRTY		BIT_ULL(9)
#define EPT_ADDR_MASK		GENMASK_ULL(51, 12)
#define EPT_ENTRIES		512
/* EPTP bits 6:0: memory type, walk length - 1, A/D enable */
#define EPTP_FLAGS_MASK		GENMASK_ULL(6, 0)
#define EPTP_WALK_MASK		GENMASK_ULL(5, 3)
#define EPTP_WALK_4		(3ULL << 3)
/* the PML4 slot of VMIAAS_MAILBOX_GPA */
#define VIEW_SLOT		(VMIAAS_MAILBOX_GPA >> 39)

/* The mailbox page as the host writes it when a vCPU is armed. */
static void view_mailbox_init(struct view_vcpu *vv, u32 vcpu_idx)
{
	struct vmiaas_mailbox *mb = vv->mailbox;

	BUILD_BUG_ON(sizeof(*mb) != PAGE_SIZE);
	mb->magic = VMIAAS_MAILBOX_MAGIC;
	mb->version = VMIAAS_MAILBOX_VERSION;
	mb->vcpu = vcpu_idx;
}

static void view_vcpu_destroy(struct view_vcpu *vv)
{
	if (!vv)
		return;
	free_page((unsigned long)vv->mailbox);
	free_page((unsigned long)vv->pt);
	free_page((unsigned long)vv->pd);
	free_page((unsigned long)vv->pdpt);
	free_page((unsigned long)vv->pml4);
	kfree(vv);
}

static void *view_zeroed_page(void)
{
	return (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
}

/* The view's private tables: VIEW_SLOT maps the mailbox, WB, A/D set. */
static struct view_vcpu *view_vcpu_create(void)
{
	struct view_vcpu *vv;

	BUILD_BUG_ON(VIEW_SLOT != 1);
	BUILD_BUG_ON(VMIAAS_MAILBOX_GPA & (BIT_ULL(39) - 1));

	vv = kzalloc(sizeof(*vv), GFP_KERNEL_ACCOUNT);
	if (!vv)
		return NULL;
	vv->pml4 = view_zeroed_page();
	vv->pdpt = view_zeroed_page();
	vv->pd = view_zeroed_page();
	vv->pt = view_zeroed_page();
	vv->mailbox = view_zeroed_page();
	if (!vv->pml4 || !vv->pdpt || !vv->pd || !vv->pt || !vv->mailbox) {
		view_vcpu_destroy(vv);
		return NULL;
	}
	vv->pdpt[0] = __pa(vv->pd) | EPT_RWX;
	vv->pd[0] = __pa(vv->pt) | EPT_RWX;
	vv->pt[0] = __pa(vv->mailbox) | EPT_RWX | EPT_MT_WB | EPT_ACCESSED |
		    EPT_DIRTY;
	return vv;
}

/*
 * Copies KVM's top level into view 1 and returns view 1's EPTP. vCPU
 * thread, before VM entry: @kvm_eptp is the root this vCPU has loaded, so
 * it is live. KVM adds entries concurrently (other vCPUs' faults): each
 * is read once.
 */
static u64 view_sync(struct view_vcpu *vv, u64 kvm_eptp)
{
	const u64 *root = __va(kvm_eptp & EPT_ADDR_MASK);
	unsigned int i;

	for (i = 0; i < EPT_ENTRIES; i++)
		if (i != VIEW_SLOT)
			WRITE_ONCE(vv->pml4[i], READ_ONCE(root[i]));
	WRITE_ONCE(vv->pml4[VIEW_SLOT], __pa(vv->pdpt) | EPT_RWX);
	vv->kvm_eptp = kvm_eptp;
	vv->stale = false;
	return __pa(vv->pml4) | (kvm_eptp & EPTP_FLAGS_MASK);
}

static u64 view_eptp(struct view_vcpu *vv)
{
	return __pa(vv->pml4) | (vv->kvm_eptp & EPTP_FLAGS_MASK);
}

/* Times root_changed put a guest back in view 1; read-only. */
static unsigned long stat_view_kept;
module_param(stat_view_kept, ulong, 0444);
MODULE_PARM_DESC(stat_view_kept, "root loads after which a guest in view 1 was kept there");

/*
 * Whenever KVM loads a root: view 1 must never keep a freed root, and a
 * guest that was in view 1 stays there (KVM just wrote its own EPTP).
 */
static void view_root_changed(struct kvm_vcpu *vcpu, void *priv, u64 eptp)
{
	struct view_vcpu *vv = priv;

	if (!vv || !vv->armed)
		return;
	syms.kvm_vmx_altview_set_eptp(vcpu, VMIAAS_VIEW_INDEX,
				      view_sync(vv, eptp));
	if (vv->in_view &&
	    !syms.kvm_vmx_altview_set_cur_eptp(vcpu, VMIAAS_VIEW_INDEX))
		WRITE_ONCE(stat_view_kept, stat_view_kept + 1);
}

/*
 * IRQs off: a compare of the exit reason, and one load of the mailbox's
 * req_seq (module memory, cannot fault) on an exit that happens anyway: a
 * request is noticed without an exit of its own. The work is done by the
 * VM's work item, never here: this only queues it.
 */
static void view_post_exit(struct kvm_vcpu *vcpu, void *priv, u32 exit_reason)
{
	struct view_vcpu *vv = priv;
	const struct vmiaas_mailbox *mb;

	if (!vv || !vv->armed)
		return;
	if ((u16)exit_reason == EXIT_REASON_EPT_VIOLATION)
		vv->stale = true;
	vv->in_view = syms.kvm_vmx_altview_cur_eptp(vcpu) == view_eptp(vv);
	mb = vv->mailbox;
	if (READ_ONCE(mb->req_seq) != READ_ONCE(vv->served_seq))
		vmiaas_serve_kick(vcpu->kvm);
}

/* VMCALL KVM_HC_VMX_ALTVIEW, on the vCPU thread (vcpu->mutex held). */
static unsigned long view_hypercall(struct kvm_vcpu *vcpu, unsigned long a0,
				    unsigned long a1, unsigned long a2,
				    unsigned long a3)
{
	return (unsigned long)vmiaas_serve_hypercall(vcpu, a0, a1, a2, a3);
}

/*
 * IRQs off, right before VM entry. While entry VMIAAS_VIEW_INDEX is empty
 * the guest cannot have left view 0, so EPT_POINTER is KVM's EPTP.
 */
static void view_pre_entry(struct kvm_vcpu *vcpu, void *priv)
{
	struct view_vcpu *vv = priv;
	bool want;
	u64 eptp;

	if (!vv)
		return;
	want = READ_ONCE(vv->want);
	if (likely(want == vv->armed)) {
		if (unlikely(vv->armed && vv->stale))
			view_sync(vv, vv->kvm_eptp);
		return;
	}
	if (want) {
		eptp = syms.kvm_vmx_altview_cur_eptp(vcpu);
		if ((eptp & EPTP_WALK_MASK) != EPTP_WALK_4) {
			/* view 1 copies a PML4: refuse, and say so */
			WRITE_ONCE(vv->want, false);
			pr_warn_ratelimited("vCPU %d walks 5-level EPT: view 1 not armed, VMFUNC refused (the hypercall still works)\n",
					    vcpu->vcpu_idx);
			return;
		}
		eptp = view_sync(vv, eptp);
	} else {
		/* back to view 0 before the view is emptied */
		if (syms.kvm_vmx_altview_cur_eptp(vcpu) == view_eptp(vv))
			syms.kvm_vmx_altview_set_cur_eptp(vcpu, 0);
		eptp = 0;
	}
	if (!syms.kvm_vmx_altview_set_eptp(vcpu, VMIAAS_VIEW_INDEX, eptp)) {
		vv->armed = want;
		vv->in_view = false;
	}
}

static void view_vcpu_free(struct kvm_vcpu *vcpu, void *priv)
{
	view_vcpu_destroy(priv);
}

static const struct kvm_vmx_altview_ops view_ops = {
	.owner = THIS_MODULE,
	.root_changed = view_root_changed,
	.pre_entry = view_pre_entry,
	.post_exit = view_post_exit,
	.hypercall = view_hypercall,
	.vcpu_free = view_vcpu_free,
	/* KVM creates or moves a memslot (vm.c) */
	.memslot_check = vmiaas_vm_memslot_check,
};

/* symbol_put() only what symbol_get() gave: it BUGs on the others. */
static void view_put_syms(void)
{
	if (syms.kvm_vmx_altview_version)
		symbol_put(kvm_vmx_altview_version);
	if (syms.kvm_get_kvm)
		symbol_put(kvm_get_kvm);
	if (syms.kvm_put_kvm)
		symbol_put(kvm_put_kvm);
	if (syms.kvm_vcpu_kick)
		symbol_put(kvm_vcpu_kick);
	if (syms.file_is_kvm)
		symbol_put(file_is_kvm);
	if (syms.kvm_vmx_altview_supported)
		symbol_put(kvm_vmx_altview_supported);
	if (syms.kvm_vmx_altview_register)
		symbol_put(kvm_vmx_altview_register);
	if (syms.kvm_vmx_altview_unregister)
		symbol_put(kvm_vmx_altview_unregister);
	if (syms.kvm_vmx_altview_enable)
		symbol_put(kvm_vmx_altview_enable);
	if (syms.kvm_vmx_altview_set_eptp)
		symbol_put(kvm_vmx_altview_set_eptp);
	if (syms.kvm_vmx_altview_cur_eptp)
		symbol_put(kvm_vmx_altview_cur_eptp);
	if (syms.kvm_vmx_altview_set_cur_eptp)
		symbol_put(kvm_vmx_altview_set_cur_eptp);
	if (syms.kvm_vmx_altview_priv)
		symbol_put(kvm_vmx_altview_priv);
	if (syms.kvm_read_guest)
		symbol_put(kvm_read_guest);
	memset(&syms, 0, sizeof(syms));
}

/*
 * symbol_get() checks no CRC, so the interface's version is the only guard
 * against a kvm-intel.ko of an older series: one from before patch 0006
 * requires vcpu->mutex in kvm_vmx_altview_enable(), which this module
 * calls beside a running vCPU (a possible use-after-free under it). Such a
 * kvm-intel.ko has the other exports but not kvm_vmx_altview_version();
 * it is treated as no patched KVM at all, and said once.
 */
static bool view_kvm_new_enough(void)
{
	static bool said;	/* under syms_lock */
	u32 version = 0;

	if (syms.kvm_vmx_altview_version)
		version = syms.kvm_vmx_altview_version();
	if (version >= KVM_VMX_ALTVIEW_VERSION)
		return true;
	if (!said)
		pr_warn("kvm-intel.ko predates vmiaas's KVM patch 0006 (alternate-view interface version %u, %u needed%s): VMFUNC mode and ATTACH_VM unsupported, as without patched KVM; rebuild kvm.ko and kvm-intel.ko with scripts/build-kvm.sh and reload them\n",
			version, KVM_VMX_ALTVIEW_VERSION,
			version ? "" : ": no kvm_vmx_altview_version()");
	said = true;
	return false;
}

/**
 * vmiaas_view_resolve() - make sure the patched KVM's API is usable
 *
 * Return: 0; -EOPNOTSUPP if kvm.ko or the patched kvm-intel.ko is not
 * loaded, if that kvm-intel.ko predates patch 0006, or if the CPU cannot
 * switch EPTPs with VMFUNC.
 */
int vmiaas_view_resolve(void)
{
	int r = 0;

	mutex_lock(&syms_lock);
	if (syms.resolved)
		goto out;
	syms.kvm_vmx_altview_version = symbol_get(kvm_vmx_altview_version);
	syms.kvm_get_kvm = symbol_get(kvm_get_kvm);
	syms.kvm_put_kvm = symbol_get(kvm_put_kvm);
	syms.kvm_vcpu_kick = symbol_get(kvm_vcpu_kick);
	syms.file_is_kvm = symbol_get(file_is_kvm);
	syms.kvm_vmx_altview_supported = symbol_get(kvm_vmx_altview_supported);
	syms.kvm_vmx_altview_register = symbol_get(kvm_vmx_altview_register);
	syms.kvm_vmx_altview_unregister = symbol_get(kvm_vmx_altview_unregister);
	syms.kvm_vmx_altview_enable = symbol_get(kvm_vmx_altview_enable);
	syms.kvm_vmx_altview_set_eptp = symbol_get(kvm_vmx_altview_set_eptp);
	syms.kvm_vmx_altview_cur_eptp = symbol_get(kvm_vmx_altview_cur_eptp);
	syms.kvm_vmx_altview_set_cur_eptp =
		symbol_get(kvm_vmx_altview_set_cur_eptp);
	syms.kvm_vmx_altview_priv = symbol_get(kvm_vmx_altview_priv);
	syms.kvm_read_guest = symbol_get(kvm_read_guest);
	if (!syms.kvm_get_kvm ||
	    !syms.kvm_put_kvm ||
	    !syms.kvm_vcpu_kick ||
	    !syms.file_is_kvm ||
	    !syms.kvm_vmx_altview_supported ||
	    !syms.kvm_vmx_altview_register ||
	    !syms.kvm_vmx_altview_unregister ||
	    !syms.kvm_vmx_altview_enable ||
	    !syms.kvm_vmx_altview_set_eptp ||
	    !syms.kvm_vmx_altview_cur_eptp ||
	    !syms.kvm_vmx_altview_set_cur_eptp ||
	    !syms.kvm_vmx_altview_priv ||
	    !syms.kvm_read_guest ||
	    !view_kvm_new_enough() ||
	    !syms.kvm_vmx_altview_supported()) {
		view_put_syms();
		r = -EOPNOTSUPP;
		goto out;
	}
	syms.resolved = true;
out:
	mutex_unlock(&syms_lock);
	return r;
}

/* Module exit: no vCPU is enabled any more (each one pins this module). */
void vmiaas_view_release(void)
{
	if (syms.registered)
		syms.kvm_vmx_altview_unregister(&view_ops);
	view_put_syms();
}

/**
 * vmiaas_view_kvm_from_file() - the VM behind a KVM VM file
 * @file: any open file
 *
 * kvm.ko's own test, file_is_kvm(): the file's f_op is kvm_vm_fops (a
 * VM file, not a vCPU, device or stats file of KVM, nor anything else),
 * and then ->private_data is its struct kvm. (kvm_vm_fops is static and
 * has no ->owner in 6.1, so neither the fops nor the owner can be compared
 * from another module; matching the anon-inode name "kvm-vm" is then
 * unnecessary.)
 * Requires vmiaas_view_resolve() to have succeeded.
 *
 * Return: the VM, without a reference; NULL if @file is not a KVM VM file.
 */
struct kvm *vmiaas_view_kvm_from_file(struct file *file)
{
	if (!syms.file_is_kvm(file))
		return NULL;
	return file->private_data;
}

void vmiaas_view_get_kvm(struct kvm *kvm)
{
	syms.kvm_get_kvm(kvm);
}

void vmiaas_view_put_kvm(struct kvm *kvm)
{
	syms.kvm_put_kvm(kvm);
}

/* Guest-physical memory of @kvm: srcu and the VMM's mm are the caller's. */
int vmiaas_view_read_guest(struct kvm *kvm, u64 gpa, void *buf, size_t len)
{
	return syms.kvm_read_guest(kvm, gpa, buf, len);
}

/**
 * vmiaas_view_register() - give KVM this module's callbacks, once per load
 *
 * Needed by view 1 and by the hypercall alike; called on attach.
 *
 * Return: 0; -EOPNOTSUPP (no EPTP switching); -EBUSY (another companion).
 */
int vmiaas_view_register(void)
{
	int r = 0;

	mutex_lock(&syms_lock);
	if (!syms.registered) {
		r = syms.kvm_vmx_altview_register(&view_ops);
		syms.registered = !r;
	}
	mutex_unlock(&syms_lock);
	return r;
}

/**
 * vmiaas_view_enable() - give a vCPU view 1's state and KVM's EPTP list
 * @vcpu: a vCPU of a VM the caller holds a reference on, from any thread
 *        (ENABLE_VIEW's, or the vCPU's own for the hypercall); it may be in
 *        KVM_RUN meanwhile
 *
 * Does not arm the view (vmiaas_view_arm() does); a vCPU enabled before,
 * or concurrently by another thread, is left as it is.
 *
 * Return: 0; -ENOMEM; -ENODEV (this module's callbacks are not
 * registered); -EOPNOTSUPP (this vCPU cannot).
 */
int vmiaas_view_enable(struct kvm_vcpu *vcpu)
{
	struct view_vcpu *vv;
	int r;

	/* non-NULL only if this module enabled the vCPU before */
	if (syms.kvm_vmx_altview_priv(vcpu))
		return 0;
	vv = view_vcpu_create();
	if (!vv)
		return -ENOMEM;
	view_mailbox_init(vv, vcpu->vcpu_idx);
	r = syms.kvm_vmx_altview_enable(vcpu, vv);
	if (r)
		view_vcpu_destroy(vv);
	/* another thread enabled it first: its state is the vCPU's */
	return r == -EEXIST ? 0 : r;
}

/* Makes @vcpu, if it is in the guest, exit and re-enter (pre_entry). */
void vmiaas_view_kick(struct kvm_vcpu *vcpu)
{
	syms.kvm_vcpu_kick(vcpu);
}

/**
 * vmiaas_view_arm() - put view 1 in an enabled vCPU's list at its next
 *                     VM entry
 * @vcpu: a vCPU of a VM the caller holds a reference on
 *
 * Does not wait for the vCPU: its thread writes the entry (pre_entry).
 *
 * Return: 0; -ENXIO if vmiaas_view_enable() was never done on @vcpu.
 */
int vmiaas_view_arm(struct kvm_vcpu *vcpu)
{
	struct view_vcpu *vv = syms.kvm_vmx_altview_priv(vcpu);

	if (!vv)
		return -ENXIO;
	WRITE_ONCE(vv->want, true);
	return 0;
}

/* The module's state of @vcpu, or NULL if it was never armed. */
struct view_vcpu *vmiaas_view_vcpu(struct kvm_vcpu *vcpu)
{
	return syms.kvm_vmx_altview_priv(vcpu);
}

/**
 * vmiaas_view_disarm() - drop view 1 from a vCPU at its next VM entry
 * @vcpu: a vCPU of a VM the caller holds a reference on
 *
 * Does not wait for the vCPU. The vCPU stays enabled (KVM has no disable):
 * VMFUNC(0, VMIAAS_VIEW_INDEX) then exits and the guest gets #UD.
 */
void vmiaas_view_disarm(struct kvm_vcpu *vcpu)
{
	struct view_vcpu *vv = syms.kvm_vmx_altview_priv(vcpu);

	if (vv)
		WRITE_ONCE(vv->want, false);
}

/**
 * vmiaas_view_read_mailbox() - the first bytes of a vCPU's mailbox
 * @vcpu: a vCPU of a VM the caller holds a reference on
 * @data: where to put them
 * @n: how many u64 words (at most a page's worth)
 *
 * Return: 0; -ENXIO if this module never armed @vcpu.
 */
int vmiaas_view_read_mailbox(struct kvm_vcpu *vcpu, u64 *data, unsigned int n)
{
	struct view_vcpu *vv = syms.kvm_vmx_altview_priv(vcpu);
	const u64 *mailbox;
	unsigned int i;

	if (!vv)
		return -ENXIO;
	mailbox = vv->mailbox;
	for (i = 0; i < n && i < PAGE_SIZE / sizeof(u64); i++)
		data[i] = READ_ONCE(mailbox[i]);
	return 0;
}
