/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Finding the Linux kernel image in guest memory under KASLR.
 *
 * x86-64 maps the kernel image at __START_KERNEL_map (0xffffffff80000000)
 * plus a 2 MiB-aligned virtual slide, and cleanup_highmap() clears every
 * PMD of that 1 GiB window outside _text.._end: the first mapped 2 MiB page
 * of the window is _text. The image is physically contiguous, so once
 * _text is known physically, any image symbol translates by subtraction
 * (__pa_symbol), without walking page tables.
 */
#ifndef VMI_KERNEL_H
#define VMI_KERNEL_H

#include "vmi_env.h"
#include "paging.h"

#define VMI_START_KERNEL_MAP	0xffffffff80000000ULL
#define VMI_KERNEL_IMAGE_SIZE	(1ULL << 30)	/* the window KASLR uses */
#define VMI_DEFAULT_TEXT	0xffffffff81000000ULL	/* _text, no KASLR */
#define VMI_PMD_SIZE		(2ULL << 20)

/* The kernel page-table root in a CR3 value: PCID, PTI user bit, bit 63. */
static inline u64 vmi_cr3_kernel_root(u64 cr3)
{
	return cr3 & 0x000fffffffffe000ULL;
}

/*
 * Scans the kernel-image window of @as: the first mapped 2 MiB slot is
 * _text (its virtual and physical address are returned), the last one ends
 * the image (@ret_len spans both, in bytes). -ENOENT if the window is empty
 * (not a Linux x86-64 kernel's page tables).
 */
int vmi_kernel_find_text(struct vmi_as *as, u64 *ret_va, u64 *ret_pa,
			 u64 *ret_len);

/*
 * Memory-only discovery: the next page at or after *@cursor (a guest-
 * physical address, advanced past the page returned) that looks like a
 * 4-level kernel page-table root: entry 511 present and pointing into RAM
 * at a table whose entry 510 (the KASLR window at 0xffffffff80000000) is
 * present and points into RAM. Touches 8 bytes of most pages. A candidate
 * is only a candidate: confirm it with vmi_kernel_find_text() and kallsyms.
 * -ENOENT when RAM is exhausted.
 */
int vmi_kernel_next_root(const struct vmi_phys *phys, u64 *cursor,
			 u64 *ret_root);

/*
 * Copies the release ("6.1.0-56-amd64") out of a banner "Linux version
 * <release> (...". -EBADMSG if @banner is not a kernel banner.
 */
int vmi_banner_release(const char *banner, size_t len, char *release,
		       size_t size);

#endif /* VMI_KERNEL_H */
