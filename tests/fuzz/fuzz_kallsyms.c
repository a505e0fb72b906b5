// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: core/kallsyms.c on arbitrary guest bytes. Locates, then reads
 * every symbol and looks names and addresses back up, in the buffer and in
 * a rebased copy. Seeds: test_kallsyms --write-corpus DIR.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/kallsyms.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

/* One of the symbols at @addr is called @name. */
static bool has_name_at(const struct vmi_ksym *ks, u64 addr,
			const char *name)
{
	char other[VMI_KSYM_NAME_LEN], type;
	u64 a;
	u32 idx;

	if (vmi_ksym_lookup_addr(ks, addr, &idx))
		return false;
	for (; idx < ks->num_syms; idx++) {
		if (vmi_ksym_addr(ks, idx, &a) || a != addr ||
		    vmi_ksym_name(ks, idx, other, sizeof(other), &type))
			return false;
		if (!strcmp(name, other))
			return true;
	}
	return false;
}

static void exercise(const struct vmi_ksym *ks)
{
	char name[VMI_KSYM_NAME_LEN], type, small[8];
	size_t pos = 0;
	u64 addr, found;
	u32 i, idx;
	int err;

	for (i = 0; i < ks->num_syms; i++) {
		/* validated: only a name longer than the buffer can fail */
		err = vmi_ksym_next(ks, i, &pos, name, sizeof(name), &type);
		if (err == -ENAMETOOLONG)
			break;
		if (err)
			__builtin_trap();
		if (vmi_ksym_addr(ks, i, &addr))
			__builtin_trap();
		/* lookups for a sample: all of them would halve exec/s */
		if (i >= 32 && i % 29)
			continue;
		/*
		 * A located table decodes completely and maps every address
		 * back. Names need not all be found: seqs_of_names order is
		 * only spot-checked, so a guest can hide a name from the
		 * binary search (as it can by renaming it), but what is
		 * found must be that name.
		 */
		if (!vmi_ksym_lookup_name(ks, name, &found) &&
		    !has_name_at(ks, found, name))
			__builtin_trap();
		if (vmi_ksym_lookup_addr(ks, addr, &idx) || idx > i)
			__builtin_trap();
		vmi_ksym_name(ks, i, small, sizeof(small), &type);
		vmi_ksym_lookup_addr(ks, addr - 1, &idx);
		vmi_ksym_lookup_addr(ks, addr + 1, &idx);
	}
	vmi_ksym_lookup_name(ks, "init_task", &addr);
	vmi_ksym_lookup_name(ks, "\xff", &addr);
	vmi_ksym_lookup_addr(ks, 0, &idx);
	vmi_ksym_lookup_addr(ks, ~0ULL, &idx);
	vmi_ksym_name(ks, ks->num_syms, name, sizeof(name), &type);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct vmi_ksym ks;
	size_t len;
	u8 *copy;

	if (vmi_ksym_locate(data, size, &ks))
		return 0;
	if (ks.start > ks.end || ks.end > size || !ks.num_syms)
		__builtin_trap();
	exercise(&ks);

	len = ks.end - ks.start;
	copy = malloc(len);
	if (!copy)
		return 0;
	memcpy(copy, data + ks.start, len);
	if (vmi_ksym_rebase(&ks, copy, len))
		__builtin_trap();
	exercise(&ks);
	free(copy);
	return 0;
}
