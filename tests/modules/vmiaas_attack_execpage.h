/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Code of the attack corpus in a page of its own, outside every module:
 * @len bytes of @code copied to the start of a page from the page
 * allocator (its direct-map address, where kmalloc() memory lives), the
 * rest int3, then made read-only and executable with set_memory_ro()
 * and set_memory_x(). Those are not exported: the module gets their
 * addresses as parameters (@setro, @setx, from /proc/kallsyms). The page
 * is never freed (once executable, it may still be called).
 */
#ifndef VMIAAS_ATTACK_EXECPAGE_H
#define VMIAAS_ATTACK_EXECPAGE_H

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/string.h>
#include <linux/types.h>

typedef int (*vmiaas_attack_set_memory_fn)(unsigned long addr, int numpages);

static inline void *vmiaas_attack_execpage(const void *code, size_t len,
					   unsigned long setro,
					   unsigned long setx)
{
	vmiaas_attack_set_memory_fn ro = (vmiaas_attack_set_memory_fn)setro;
	vmiaas_attack_set_memory_fn x = (vmiaas_attack_set_memory_fn)setx;
	unsigned long page;
	int err;

	if (!ro || !x || len > PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	page = __get_free_page(GFP_KERNEL);
	if (!page)
		return ERR_PTR(-ENOMEM);
	memset((void *)page, 0xcc, PAGE_SIZE);
	memcpy((void *)page, code, len);
	err = ro(page, 1);
	err = err ?: x(page, 1);
	if (err)
		return ERR_PTR(err);	/* the page leaks: it may be executable */
	return (void *)page;
}

#endif /* VMIAAS_ATTACK_EXECPAGE_H */
