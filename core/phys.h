/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Guest-physical memory as the core sees it: a set of directly mapped ranges
 * (zero-copy: a QEMU shared-memory file, a mapped dump, KVM's memslots) and
 * an optional copy callback for memory that is not mapped (a QEMU process
 * read with process_vm_readv, the module's kvm_read_guest()).
 *
 * The core never learns how the memory is obtained. Errors:
 *   -EFAULT  the guest-physical address is not backed by guest RAM.
 */
#ifndef VMI_PHYS_H
#define VMI_PHYS_H

#include "vmi_env.h"

#define VMI_PHYS_MAX_RANGES	16

struct vmi_phys_range {
	u64 gpa;		/* first guest-physical address */
	u64 size;		/* bytes */
	const u8 *host;		/* host mapping, or NULL: use ->read */
};

struct vmi_phys {
	struct vmi_phys_range ranges[VMI_PHYS_MAX_RANGES];
	unsigned int nr_ranges;
	/*
	 * Copies @len bytes at @gpa for ranges without a host mapping. The
	 * request never crosses a range boundary. Returns 0 or -errno.
	 */
	int (*read)(void *ctx, u64 gpa, void *buf, size_t len);
	void *ctx;
};

/* Adds a range; ranges must not overlap. Returns 0, -ENOSPC or -EINVAL. */
int vmi_phys_add_range(struct vmi_phys *phys, u64 gpa, u64 size,
		       const u8 *host);

/* Highest guest-physical address + 1 backed by any range. */
u64 vmi_phys_end(const struct vmi_phys *phys);

/*
 * A host pointer to @len bytes at @gpa when they lie in one mapped range,
 * else NULL (unbacked, or backed only through ->read).
 */
static inline const u8 *vmi_phys_ptr(const struct vmi_phys *phys, u64 gpa,
				     size_t len)
{
	unsigned int i;

	for (i = 0; i < phys->nr_ranges; i++) {
		const struct vmi_phys_range *r = &phys->ranges[i];
		u64 off = gpa - r->gpa;

		if (gpa >= r->gpa && off < r->size && len <= r->size - off)
			return r->host ? r->host + off : NULL;
	}
	return NULL;
}

/* Copies guest-physical memory, crossing ranges as needed. 0 or -EFAULT. */
int vmi_phys_read(const struct vmi_phys *phys, u64 gpa, void *buf,
		  size_t len);

static inline int vmi_phys_read_u64(const struct vmi_phys *phys, u64 gpa,
				    u64 *ret)
{
	const u8 *p = vmi_phys_ptr(phys, gpa, sizeof(*ret));

	if (likely(p)) {
		*ret = vmi_get_u64(p);
		return 0;
	}
	return vmi_phys_read(phys, gpa, ret, sizeof(*ret));
}

#endif /* VMI_PHYS_H */
