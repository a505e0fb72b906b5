// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Guest-physical memory access over a caller-supplied set of ranges. */
#include "phys.h"

int vmi_phys_add_range(struct vmi_phys *phys, u64 gpa, u64 size,
		       const u8 *host)
{
	unsigned int i;
	u64 end;

	if (!size || check_add_overflow(gpa, size, &end))
		return -EINVAL;
	if (phys->nr_ranges >= VMI_PHYS_MAX_RANGES)
		return -ENOSPC;
	for (i = 0; i < phys->nr_ranges; i++) {
		const struct vmi_phys_range *r = &phys->ranges[i];

		if (gpa < r->gpa + r->size && r->gpa < end)
			return -EINVAL;
	}
	phys->ranges[phys->nr_ranges++] = (struct vmi_phys_range){
		.gpa = gpa, .size = size, .host = host,
	};
	return 0;
}

u64 vmi_phys_end(const struct vmi_phys *phys)
{
	u64 end = 0;
	unsigned int i;

	for (i = 0; i < phys->nr_ranges; i++)
		end = max(end, phys->ranges[i].gpa + phys->ranges[i].size);
	return end;
}

static const struct vmi_phys_range *phys_find(const struct vmi_phys *phys,
					      u64 gpa)
{
	unsigned int i;

	for (i = 0; i < phys->nr_ranges; i++) {
		const struct vmi_phys_range *r = &phys->ranges[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

int vmi_phys_read(const struct vmi_phys *phys, u64 gpa, void *buf,
		  size_t len)
{
	u8 *out = buf;

	while (len) {
		const struct vmi_phys_range *r = phys_find(phys, gpa);
		u64 off, chunk;
		int err;

		if (!r)
			return -EFAULT;
		off = gpa - r->gpa;
		chunk = min_t(u64, len, r->size - off);
		if (r->host) {
			memcpy(out, r->host + off, chunk);
		} else {
			if (!phys->read)
				return -EFAULT;
			err = phys->read(phys->ctx, gpa, out, chunk);
			if (err)
				return err;
		}
		out += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}
