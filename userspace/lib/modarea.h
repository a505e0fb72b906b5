/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The guest's module mapping range on x86-64: MODULES_VADDR
 * (__START_KERNEL_map + KERNEL_IMAGE_SIZE) to MODULES_END. KERNEL_IMAGE_SIZE
 * is 1 GiB in a kernel built with CONFIG_RANDOMIZE_BASE (every distribution
 * kernel; the image may then lie anywhere in 0xffffffff80000000..
 * 0xffffffffc0000000, above 0xffffffffa0000000 too) and 512 MiB without,
 * so the range is read from the guest, not assumed (see modarea.c).
 */
#ifndef VMIAAS_LIB_MODAREA_H
#define VMIAAS_LIB_MODAREA_H

#include "engine.h"

#define MODAREA_KERNEL_MAP	0xffffffff80000000ULL	/* __START_KERNEL_map */
#define MODAREA_END		0xffffffffff000000ULL	/* MODULES_END */
#define MODAREA_IMAGE_KASLR	(1ULL << 30)	/* KERNEL_IMAGE_SIZE, KASLR */
#define MODAREA_IMAGE_FIXED	(512ULL << 20)	/* KERNEL_IMAGE_SIZE, without */
#define MODAREA_VMCOREINFO_MAX	4096	/* VMCOREINFO_BYTES: one page */

struct modarea {
	u64 start, end;		/* MODULES_VADDR, MODULES_END */
};

/*
 * What the guest says about its KERNEL_IMAGE_SIZE: whether its kernel is
 * built with KASLR (a kallsyms fact: the symbols copied at attach), else
 * the VMCOREINFO note's NUMBER(KERNEL_IMAGE_SIZE) (guest data, 0 if none).
 */
struct modarea_facts {
	bool kaslr_build;
	u64 vmcoreinfo_size;
	u64 image_end;		/* _end */
};

/*
 * NUMBER(KERNEL_IMAGE_SIZE) from VMCOREINFO text (@len bytes, need not be
 * NUL-terminated): 0 and the value in @ret, -ENOENT if absent, -EBADMSG if
 * it is not a number.
 */
int modarea_parse_vmcoreinfo(const char *info, size_t len, u64 *ret);
/*
 * The range from @f: 1 GiB for a KASLR build, else VMCOREINFO's size
 * (512 MiB if none); -EBADMSG for a VMCOREINFO size other than 512 MiB or
 * 1 GiB, or an image ending above the range's start.
 */
int modarea_from_facts(const struct modarea_facts *f, struct modarea *ret);
/* The guest's range; 0, or -EBADMSG/-ENOENT with the diag set. */
int modarea_get(struct vmiaas *v, struct modarea *ret);

#endif /* VMIAAS_LIB_MODAREA_H */
