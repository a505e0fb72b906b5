/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/* An optional System.map that overrides the guest's own kallsyms. */
#ifndef VMIAAS_SYMMAP_H
#define VMIAAS_SYMMAP_H

#include <vmiaas/vmiaas.h>
#include "../../core/vmi_env.h"

struct symmap;

int symmap_load(const char *path, struct symmap **ret,
		struct vmiaas_diag *diag);
void symmap_free(struct symmap *m);
int symmap_lookup(const struct symmap *m, const char *name, u64 *ret);

#endif /* VMIAAS_SYMMAP_H */
