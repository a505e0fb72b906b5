// SPDX-License-Identifier: GPL-2.0
/*
 * The HMP text parsers on arbitrary text: "info registers", "info
 * ramblock" and "info mtree -f" all come from a QEMU we do not control,
 * and the register values in them (CR3, IDTR, DR0-DR7) from the guest.
 * tests/fuzz/fuzz_qmp_registers.dict holds their keys.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "userspace/lib/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The debug registers hw-breakpoint compares with the kernel's
 * registrations: all of DR0-DR3, DR6 and DR7 (VMIAAS_VCPU_DEBUG), or
 * none (all zero), never a part of them.
 */
static bool vcpu_debug_ok(const struct vmiaas_vcpu *c)
{
	return (c->flags & VMIAAS_VCPU_DEBUG) ||
	       !(c->dr[0] | c->dr[1] | c->dr[2] | c->dr[3] | c->dr6 | c->dr7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backend_ram_map maps[BACKEND_MAX_MAPS];
	struct qmp_ramblock *blocks;
	struct vmiaas_vcpu *vcpus;
	char *text = malloc(size + 1);
	size_t nr, i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!qmp_parse_registers(text, &vcpus, &nr)) {
		if (!nr || nr > BACKEND_MAX_VCPUS)
			abort();
		for (i = 0; i < nr; i++)
			if (!vcpu_debug_ok(&vcpus[i]))
				abort();
		free(vcpus);
	}
	if (!qmp_parse_ramblocks(text, &blocks, &nr)) {
		for (i = 0; i < nr; i++) {
			if (strnlen(blocks[i].name, sizeof(blocks[i].name)) ==
			    sizeof(blocks[i].name))
				abort();
			if (!qmp_parse_mtree(text, blocks[i].name, maps,
					     BACKEND_MAX_MAPS, &nr) && !nr)
				abort();
			break;
		}
		free(blocks);
	}
	if (!qmp_parse_mtree(text, "pc.ram", maps, BACKEND_MAX_MAPS, &nr))
		for (i = 0; i < nr; i++)
			if (!maps[i].size || maps[i].gpa + maps[i].size - 1 < maps[i].gpa)
				abort();
	free(text);
	return 0;
}
