// SPDX-License-Identifier: LGPL-2.1 OR MIT
#include <stdarg.h>
#include <stdio.h>
#include "backend.h"

int diag_set(struct vmiaas_diag *diag, int err, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return err;
	diag->err = err;
	va_start(ap, fmt);
	vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
	return err;
}
