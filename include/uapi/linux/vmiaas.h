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

#define VMIAAS_IOC_MAGIC	0xB7
#define VMIAAS_IOC_GET_CAPS	_IOWR(VMIAAS_IOC_MAGIC, 0x00, struct vmiaas_caps)

#endif /* _UAPI_LINUX_VMIAAS_H */
