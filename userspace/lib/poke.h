/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The batch of instructions text_poke_bp_batch() is rewriting right now
 * (arch/x86/kernel/alternative.c: bp_desc, its vector of struct
 * text_poke_loc), read from the guest. While a batch runs, each of its
 * sites holds int3 on its first byte and the old or the new instruction's
 * tail behind it, and a CPU that hits the int3 runs the new instruction
 * as the entry's opcode and disp say (poke_int3_handler()): an entry is
 * kept only if they are its text's instruction. See docs/integrity.md,
 * "Tracing tools in the guest".
 */
#ifndef VMIAAS_POKE_H
#define VMIAAS_POKE_H

#include "engine.h"

#define POKE_BATCH_MAX	512	/* the kernel's TP_VEC_MAX is 256 */
#define POKE_TEXT_MAX	8	/* POKE_MAX_OPCODE_SIZE is 5 (6.1, 6.12) */

struct poke_loc {
	u64 addr;			/* _stext + rel_addr */
	u8 len;				/* of the new instruction */
	u8 old;				/* the old instruction's first byte */
	u8 text[POKE_TEXT_MAX];		/* the new instruction */
};

struct poke_batch {
	struct poke_loc *a;		/* sorted by addr */
	size_t nr;
};

/*
 * Reads the batch in flight into @b (empty when none is: the descriptor's
 * reference count is 0, or the kernel has no such records). An error only
 * for records that are there but malformed.
 */
int poke_batch_load(struct vmiaas *v, struct poke_batch *b);
void poke_batch_clear(struct poke_batch *b);
/* The entry rewriting the instruction at @addr, or NULL. */
const struct poke_loc *poke_find(const struct poke_batch *b, u64 addr);

#endif /* VMIAAS_POKE_H */
