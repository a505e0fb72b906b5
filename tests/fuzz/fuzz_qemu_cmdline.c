// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's command line on arbitrary bytes: a QEMU serving a hostile guest
 * may be compromised and rewrite its /proc/PID/cmdline, which vmid and
 * the pid backend parse. Every field must come out NUL-terminated.
 */
#include <stdlib.h>
#include <string.h>
#include "userspace/lib/qemu_cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f)	(strnlen((f), sizeof(f)) < sizeof(f))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly @size bytes: ASan sees any read past it */
	char *buf = malloc(size ? size : 1);
	struct qemu_cmdline cl;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	qemu_cmdline_parse(buf, size, &cl);
	if (!TERMINATED(cl.name) || !TERMINATED(cl.uuid) ||
	    !TERMINATED(cl.qmp) || !TERMINATED(cl.ram_path) ||
	    (cl.uuid[0] && strlen(cl.uuid) != 36) || cl.ram_size > (1ull << 60))
		abort();
	free(buf);
	return 0;
}
