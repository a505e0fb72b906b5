// SPDX-License-Identifier: GPL-2.0
/*
 * dump_parse() on arbitrary bytes: ELF cores, LiME and raw images whose
 * every header field is hostile. Accepted pieces must lie inside the
 * buffer and be readable through struct vmi_phys.
 */
#include <stdlib.h>
#include "userspace/lib/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmiaas_diag diag;
	struct dump_info info;
	struct vmi_phys phys = { 0 };
	size_t i;
	u8 b;

	if (dump_parse(data, size, &info, &diag) < 0)
		return 0;
	for (i = 0; i < info.nr_maps; i++) {
		const struct backend_ram_map *m = &info.maps[i];

		if (!m->size || m->offset > size || m->size > size - m->offset)
			abort();
		if (vmi_phys_add_range(&phys, m->gpa, m->size, data + m->offset))
			abort();	/* dump_parse promised no overlap */
	}
	for (i = 0; i < phys.nr_ranges; i++) {
		const struct vmi_phys_range *r = &phys.ranges[i];

		if (vmi_phys_read(&phys, r->gpa, &b, 1) ||
		    vmi_phys_read(&phys, r->gpa + r->size - 1, &b, 1))
			abort();
	}
	for (i = 0; i < info.nr_vcpus; i++)
		if (info.vcpus[i].index != i)
			abort();
	free(info.vcpus);
	return 0;
}
