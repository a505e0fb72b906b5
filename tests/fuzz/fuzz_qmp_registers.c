// SPDX-License-Identifier: GPL-2.0
/*
 * The HMP text parsers on arbitrary text: "info registers", "info
 * ramblock" and "info mtree -f" all come from a QEMU we do not control.
 */
#include <stdlib.h>
#include <string.h>
#include "userspace/lib/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
