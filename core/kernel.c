// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Kernel image discovery under KASLR. */
#include "kernel.h"

int vmi_kernel_find_text(struct vmi_as *as, u64 *ret_va, u64 *ret_pa,
			 u64 *ret_len)
{
	u64 slot, first = 0, last = 0, pa = 0;
	struct vmi_xlate x;
	bool found = false;

	for (slot = 0; slot < VMI_KERNEL_IMAGE_SIZE / VMI_PMD_SIZE; slot++) {
		if (vmi_as_walk(as, VMI_START_KERNEL_MAP + slot * VMI_PMD_SIZE,
				&x))
			continue;
		if (!found) {
			first = slot;
			pa = x.gpa;
			found = true;
		}
		last = slot;
	}
	if (!found)
		return -ENOENT;
	*ret_va = VMI_START_KERNEL_MAP + first * VMI_PMD_SIZE;
	*ret_pa = pa;
	*ret_len = (last - first + 1) * VMI_PMD_SIZE;
	return 0;
}

/* A present, non-huge table entry whose table lies in guest RAM. */
static bool table_entry_ok(const struct vmi_phys *phys, u64 e, u64 end)
{
	u64 pa = e & 0x000ffffffffff000ULL;

	return (e & 1) && !(e & (1ULL << 7)) && pa + VMI_PAGE_SIZE <= end &&
	       !(e & 0x7ff0000000000000ULL & ~(1ULL << 63));
}

int vmi_kernel_next_root(const struct vmi_phys *phys, u64 *cursor,
			 u64 *ret_root)
{
	u64 end = vmi_phys_end(phys), page, e511, e510;

	for (page = (*cursor + VMI_PAGE_SIZE - 1) & VMI_PAGE_MASK;
	     page < end; page += VMI_PAGE_SIZE) {
		if (vmi_phys_read_u64(phys, page + 511 * 8, &e511) ||
		    !table_entry_ok(phys, e511, end))
			continue;
		if (vmi_phys_read_u64(phys, (e511 & 0x000ffffffffff000ULL) +
				      510 * 8, &e510) ||
		    !table_entry_ok(phys, e510, end))
			continue;
		*cursor = page + VMI_PAGE_SIZE;
		*ret_root = page;
		return 0;
	}
	*cursor = end;
	return -ENOENT;
}

static const char banner_prefix[] = "Linux version ";

int vmi_banner_release(const char *banner, size_t len, char *release,
		       size_t size)
{
	size_t plen = sizeof(banner_prefix) - 1, i;

	if (len <= plen || memcmp(banner, banner_prefix, plen))
		return -EBADMSG;
	for (i = plen; i < len && i - plen < size - 1; i++) {
		char c = banner[i];

		if (c == ' ' || c == '\0' || c == '\n')
			break;
		if (c < 0x21 || c > 0x7e)
			return -EBADMSG;
		release[i - plen] = c;
	}
	if (i == plen || (i < len && banner[i] != ' '))
		return -EBADMSG;
	release[i - plen] = '\0';
	return 0;
}
