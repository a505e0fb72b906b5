// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas.ko: the host side of vmiaas. It runs integrity checks of KVM
 * guests' kernels with the freestanding core/ shared with userspace, and
 * reports to userspace through /dev/vmiaas (root only).
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <uapi/linux/vmiaas.h>

#include "../core/paging.h"
#include "checks.h"
#include "events.h"
#include "serve.h"
#include "view.h"
#include "vm.h"

static u64 vmiaas_modes;

/* An open /dev/vmiaas. */
struct vmiaas_file {
	/* serializes the ioctls of this file but most of ENABLE_VIEW */
	struct mutex lock;
	struct vmiaas_vm *vm;	/* attached VM, or NULL */
	u32 event_size;		/* bytes of a record read() returns */
	struct vmiaas_events events;	/* the attached VM's requests */
};

static long vmiaas_get_caps(struct vmiaas_caps __user *ucaps)
{
	struct vmiaas_caps caps = {};
	u32 size;

	if (get_user(size, &ucaps->size))
		return -EFAULT;
	if (size < sizeof(caps))
		return -EINVAL;
	caps.size = sizeof(caps);
	caps.api_version = VMIAAS_API_VERSION;
	caps.modes = vmiaas_modes;
	caps.check_types = VMIAAS_CHECK_TYPES_ALL;
	caps.check_flags = VMIAAS_CHECK_FLAGS_ALL;
	caps.event_size = sizeof(struct vmiaas_event);
	if (!vmiaas_view_resolve())
		caps.modes |= VMIAAS_MODE_VMFUNC;
	if (copy_to_user(ucaps, &caps, sizeof(caps)))
		return -EFAULT;
	return 0;
}

/* A size-first input struct: at least the first version, no unknown tail. */
static int vmiaas_copy_in(void *dst, size_t dst_size, const void __user *src)
{
	u32 size;

	if (get_user(size, (const u32 __user *)src))
		return -EFAULT;
	if (size < dst_size)
		return -EINVAL;
	if (size > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, dst_size, src, size);
}

static long vmiaas_attach_vm(struct vmiaas_file *vf,
			     struct vmiaas_attach_vm __user *uargs)
{
	struct vmiaas_attach_vm args;
	int r;

	r = vmiaas_copy_in(&args, sizeof(args), uargs);
	if (r)
		return r;
	if (args.flags & ~VMIAAS_ATTACH_ALL)
		return -EOPNOTSUPP;
	if (args.reserved32 || args.reserved)
		return -EINVAL;
	if (args.event_size && (args.event_size < VMIAAS_EVENT_SIZE_V1 ||
				args.event_size > VMIAAS_EVENT_SIZE_MAX ||
				args.event_size % 8))
		return -EINVAL;
	if (vf->vm)
		return -EBUSY;
	r = vmiaas_vm_attach(args.vm_fd, &vf->events, &vf->vm);
	if (!r)
		WRITE_ONCE(vf->event_size,
			   args.event_size ?: VMIAAS_EVENT_SIZE_V1);
	return r;
}

/*
 * The file's lock is held only to find the attachment: arming takes
 * kvm->slots_lock, which a memslot change may hold, and DETACH, SET_CHECKS
 * and READ_MAILBOX of this file must not wait with it (vm.c: the "view
 * pending" state). No vCPU is waited for (KVM patch 0006).
 */
static long vmiaas_enable_view(struct vmiaas_file *vf,
			       struct vmiaas_enable_view __user *uargs)
{
	struct vmiaas_enable_view args;
	struct vmiaas_vm *vm;
	u32 nr_vcpus;
	int r;

	r = vmiaas_copy_in(&args, sizeof(args), uargs);
	if (r)
		return r;
	if (args.flags & ~VMIAAS_VIEW_ALL)
		return -EOPNOTSUPP;
	if (args.reserved[0] || args.reserved[1])
		return -EINVAL;
	mutex_lock(&vf->lock);
	vm = vf->vm;
	r = vm ? vmiaas_vm_view_begin(vm) : -ENXIO;
	mutex_unlock(&vf->lock);
	if (r)
		return r;
	r = vmiaas_vm_enable_view(vm, &nr_vcpus);
	if (r)
		return r;
	if (put_user(nr_vcpus, &uargs->nr_vcpus))
		return -EFAULT;
	return 0;
}

static long vmiaas_read_mailbox(struct vmiaas_file *vf,
				struct vmiaas_read_mailbox __user *uargs)
{
	struct vmiaas_read_mailbox args;
	int r;

	r = vmiaas_copy_in(&args, sizeof(args), uargs);
	if (r)
		return r;
	if (args.flags & ~VMIAAS_MAILBOX_ALL)
		return -EOPNOTSUPP;
	if (args.reserved)
		return -EINVAL;
	if (!vf->vm)
		return -ENXIO;
	r = vmiaas_vm_read_mailbox(vf->vm, args.vcpu, args.data,
				   ARRAY_SIZE(args.data));
	if (r)
		return r;
	args.size = sizeof(args);
	args.gpa = VMIAAS_MAILBOX_GPA;
	if (copy_to_user(uargs, &args, sizeof(args)))
		return -EFAULT;
	return 0;
}

static long vmiaas_set_checks(struct vmiaas_file *vf,
			      struct vmiaas_set_checks __user *uargs)
{
	struct vmiaas_set_checks args;
	struct vmiaas_checkset *cs;
	int r;

	r = vmiaas_copy_in(&args, sizeof(args), uargs);
	if (r)
		return r;
	if (args.flags & ~VMIAAS_CHECKS_ALL)
		return -EOPNOTSUPP;
	if (args.reserved[0] || args.reserved[1])
		return -EINVAL;
	if (!vf->vm)
		return -ENXIO;
	r = vmiaas_checks_from_user(&args, &cs);
	if (r)
		return r;
	vmiaas_vm_set_checks(vf->vm, cs);
	return 0;
}

static long vmiaas_detach_vm(struct vmiaas_file *vf)
{
	if (!vf->vm)
		return -ENXIO;
	vmiaas_vm_detach(vf->vm);
	vf->vm = NULL;
	return 0;
}

static long vmiaas_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vmiaas_file *vf = file->private_data;
	void __user *uarg = (void __user *)arg;
	long r;

	switch (cmd) {
	case VMIAAS_IOC_GET_CAPS:
		return vmiaas_get_caps(uarg);
	case VMIAAS_IOC_ENABLE_VIEW:
		return vmiaas_enable_view(vf, uarg);
	case VMIAAS_IOC_ATTACH_VM:
	case VMIAAS_IOC_DETACH_VM:
	case VMIAAS_IOC_READ_MAILBOX:
	case VMIAAS_IOC_SET_CHECKS:
		break;
	default:
		return -ENOTTY;
	}

	mutex_lock(&vf->lock);
	if (cmd == VMIAAS_IOC_ATTACH_VM)
		r = vmiaas_attach_vm(vf, uarg);
	else if (cmd == VMIAAS_IOC_READ_MAILBOX)
		r = vmiaas_read_mailbox(vf, uarg);
	else if (cmd == VMIAAS_IOC_SET_CHECKS)
		r = vmiaas_set_checks(vf, uarg);
	else
		r = vmiaas_detach_vm(vf);
	mutex_unlock(&vf->lock);
	return r;
}

static int vmiaas_open(struct inode *inode, struct file *file)
{
	struct vmiaas_file *vf;

	/* the ring is VMIAAS_EVENT_QUEUE records: ~90 KiB */
	vf = kvzalloc(sizeof(*vf), GFP_KERNEL_ACCOUNT);
	if (!vf)
		return -ENOMEM;
	mutex_init(&vf->lock);
	vmiaas_events_init(&vf->events);
	file->private_data = vf;
	return 0;
}

/*
 * One record of @size bytes (ATTACH_VM's event_size): the struct cut, or
 * zero-extended; its ->size the bytes of the struct it holds.
 */
static int vmiaas_read_one(char __user *buf, struct vmiaas_event *e,
			   u32 size)
{
	u32 n = min_t(u32, size, sizeof(*e));

	e->size = n;
	if (copy_to_user(buf, e, n))
		return -EFAULT;
	if (size > n && clear_user(buf + n, size - n))
		return -EFAULT;
	return 0;
}

/*
 * Whole struct vmiaas_event records. The queue belongs to the file, not
 * the attachment, so readers need no lock against detach.
 */
static ssize_t vmiaas_read(struct file *file, char __user *buf, size_t len,
			   loff_t *off)
{
	struct vmiaas_file *vf = file->private_data;
	struct vmiaas_events *ev = &vf->events;
	/* set once, by the ATTACH_VM before any record is queued */
	u32 size = READ_ONCE(vf->event_size) ?: VMIAAS_EVENT_SIZE_V1;
	struct vmiaas_event e;
	size_t done = 0;
	int r;

	if (len < size)
		return -EINVAL;
	while (!vmiaas_events_ready(ev)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		r = wait_event_interruptible(ev->wait, vmiaas_events_ready(ev));
		if (r)
			return r;
	}
	while (len - done >= size && vmiaas_events_pop(ev, &e)) {
		if (vmiaas_read_one(buf + done, &e, size))
			return done ? done : -EFAULT;
		done += size;
	}
	return done;
}

static __poll_t vmiaas_poll(struct file *file, poll_table *wait)
{
	struct vmiaas_file *vf = file->private_data;

	poll_wait(file, &vf->events.wait, wait);
	return vmiaas_events_ready(&vf->events) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int vmiaas_release(struct inode *inode, struct file *file)
{
	struct vmiaas_file *vf = file->private_data;

	vmiaas_vm_detach(vf->vm);
	kvfree(vf);
	return 0;
}

static const struct file_operations vmiaas_fops = {
	.owner = THIS_MODULE,
	.open = vmiaas_open,
	.release = vmiaas_release,
	.read = vmiaas_read,
	.poll = vmiaas_poll,
	.unlocked_ioctl = vmiaas_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vmiaas_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmiaas",
	.fops = &vmiaas_fops,
	.mode = 0600,
};

static int __init vmiaas_init(void)
{
	int r;

	BUILD_BUG_ON(sizeof(struct vmiaas_caps) != 64);
	BUILD_BUG_ON(sizeof(struct vmiaas_attach_vm) != 32);
	BUILD_BUG_ON(sizeof(struct vmiaas_enable_view) != 32);
	BUILD_BUG_ON(sizeof(struct vmiaas_read_mailbox) != 64);
	BUILD_BUG_ON(sizeof(struct vmiaas_check) != 88);
	BUILD_BUG_ON(sizeof(struct vmiaas_set_checks) != 40);
	BUILD_BUG_ON(offsetof(struct vmiaas_event, nr_found) !=
		     VMIAAS_EVENT_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct vmiaas_found) != 128);
	BUILD_BUG_ON(sizeof(struct vmiaas_event) != 360);
	BUILD_BUG_ON(sizeof(struct vmiaas_event) > VMIAAS_EVENT_SIZE_MAX);
	BUILD_BUG_ON(sizeof(struct vmiaas_proc_more) != 72);

	vmiaas_modes = VMIAAS_MODE_HYPERCALL | VMIAAS_MODE_POLL;
	if (!boot_cpu_has(X86_FEATURE_VMX))
		pr_info("no VMX on this CPU: VMFUNC mode refused; hypercall and polling modes offered\n");
	else if (vmiaas_view_resolve())
		pr_info("no kvm-intel with vmiaas's alternate-view patches (0006 or later), or no EPTP switching: VMFUNC mode unavailable for now\n");
	else
		pr_info("VMFUNC mode available (kvm-intel alternate views)\n");
	r = vmiaas_serve_start();
	if (r)
		return r;
	r = misc_register(&vmiaas_dev);
	if (r)
		vmiaas_serve_stop();
	return r;
}

/* No attached file and no enabled vCPU is left: each pins this module. */
static void __exit vmiaas_exit(void)
{
	misc_deregister(&vmiaas_dev);
	vmiaas_view_release();
	vmiaas_serve_stop();
}

module_init(vmiaas_init);
module_exit(vmiaas_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas: virtual machine introspection for KVM guests");
