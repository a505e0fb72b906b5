// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas.ko: the host side of vmiaas. It runs integrity checks of KVM
 * guests' kernels with the freestanding core/ shared with userspace, and
 * reports to userspace through /dev/vmiaas (root only).
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <uapi/linux/vmiaas.h>

#include "../core/paging.h"

static u64 vmiaas_modes;

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
	if (copy_to_user(ucaps, &caps, sizeof(caps)))
		return -EFAULT;
	return 0;
}

static long vmiaas_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	switch (cmd) {
	case VMIAAS_IOC_GET_CAPS:
		return vmiaas_get_caps((struct vmiaas_caps __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmiaas_fops = {
	.owner = THIS_MODULE,
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
	BUILD_BUG_ON(sizeof(struct vmiaas_caps) != 64);

	vmiaas_modes = VMIAAS_MODE_POLL;
	if (!boot_cpu_has(X86_FEATURE_VMX))
		pr_info("no VMX on this CPU: VMFUNC mode unavailable, polling only\n");
	return misc_register(&vmiaas_dev);
}

static void __exit vmiaas_exit(void)
{
	misc_deregister(&vmiaas_dev);
}

module_init(vmiaas_init);
module_exit(vmiaas_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas: virtual machine introspection for KVM guests");
