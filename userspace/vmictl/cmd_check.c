// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl check: the guest now against a baseline. Exit status 1 when
 * there are findings; every error (the guest unreadable, the baseline
 * refused) is 3, so that 1 always means findings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <vmiaas/checks.h>

#include "output.h"
#include "vmictl.h"

#define CHECK_EXIT_FINDINGS	1

static void hex(const uint8_t *p, size_t n, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n && 3 * i + 3 <= size; i++)
		snprintf(buf + 2 * i, size - 2 * i, "%02x", p[i]);
}

static struct json_object *finding_json(const struct vmiaas_finding *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *d = json_object_new_object();
	char buf[2 * VMIAAS_FINDING_BYTES_MAX + 1];

	out_json_add(o, "check", json_object_new_string(f->check));
	out_json_add(o, "severity",
		     json_object_new_string(vmiaas_severity_name(f->severity)));
	out_json_add(o, "object", out_json_str(f->object, sizeof(f->object)));
	out_json_add(d, "message", out_json_str(f->message, sizeof(f->message)));
	if (f->flags & VMIAAS_FINDING_ADDRESS)
		out_json_add(d, "address", out_json_addr(f->address));
	if (f->flags & VMIAAS_FINDING_VALUES) {
		out_json_add(d, "old", out_json_addr(f->old_value));
		out_json_add(d, "new", out_json_addr(f->new_value));
	}
	if (f->flags & VMIAAS_FINDING_SYMBOLS) {
		out_json_add(d, "old_symbol",
			     out_json_str(f->old_symbol, sizeof(f->old_symbol)));
		out_json_add(d, "new_symbol",
			     out_json_str(f->new_symbol, sizeof(f->new_symbol)));
	}
	if (f->flags & VMIAAS_FINDING_BYTES) {
		out_json_add(d, "bytes_changed",
			     json_object_new_int64(f->nr_bytes_total));
		hex(f->old_bytes, f->nr_bytes, buf, sizeof(buf));
		out_json_add(d, "old_bytes", json_object_new_string(buf));
		hex(f->new_bytes, f->nr_bytes, buf, sizeof(buf));
		out_json_add(d, "new_bytes", json_object_new_string(buf));
	}
	out_json_add(o, "detail", d);
	return o;
}

static int check_json(const struct vmiaas_finding *f, size_t nr, double ms)
{
	struct json_object *o = json_object_new_object();
	struct json_object *fa = json_object_new_array();
	struct json_object *ea = json_object_new_array();
	size_t i;

	for (i = 0; i < nr; i++)
		out_json_append(f[i].flags & VMIAAS_FINDING_EVENT ? ea : fa,
				finding_json(&f[i]));
	out_json_add(o, "findings", fa);
	out_json_add(o, "events", ea);
	out_json_add(o, "elapsed_ms", json_object_new_double(ms));
	return out_json_print(o);
}

static void finding_print(const struct vmiaas_finding *f)
{
	char obj[OUT_ESC_SIZE(sizeof(f->object))];
	char msg[OUT_ESC_SIZE(sizeof(f->message))];
	char buf[2 * VMIAAS_FINDING_BYTES_MAX + 1];

	out_escape(f->object, sizeof(f->object), obj, sizeof(obj));
	out_escape(f->message, sizeof(f->message), msg, sizeof(msg));
	printf("%-8s %-14s %s\n", f->flags & VMIAAS_FINDING_EVENT ? "event" :
	       vmiaas_severity_name(f->severity), f->check, obj);
	printf("         %s\n", msg);
	if (f->flags & VMIAAS_FINDING_BYTES) {
		hex(f->old_bytes, f->nr_bytes, buf, sizeof(buf));
		printf("         old %s\n", buf);
		hex(f->new_bytes, f->nr_bytes, buf, sizeof(buf));
		printf("         new %s\n", buf);
	}
}

static void check_print(const struct vmiaas_finding *f, size_t nr,
			size_t nr_findings, double ms)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!(f[i].flags & VMIAAS_FINDING_EVENT))
			finding_print(&f[i]);
	for (i = 0; i < nr; i++)
		if (f[i].flags & VMIAAS_FINDING_EVENT)
			finding_print(&f[i]);
	printf("%zu finding%s, %zu event%s (%.1f ms)\n", nr_findings,
	       nr_findings == 1 ? "" : "s", nr - nr_findings,
	       nr - nr_findings == 1 ? "" : "s", ms);
}

int cmd_check(struct vmictl *c)
{
	const char *key_path = c->key ? c->key : VMIAAS_KEY_DEFAULT;
	struct vmiaas_baseline *b;
	struct vmiaas_finding *f = NULL;
	struct vmiaas_diag diag = {};
	uint8_t key[VMIAAS_KEY_SIZE];
	struct timespec t0, t1;
	size_t nr = 0, nr_findings = 0, i;
	double ms;
	int r;

	r = vmiaas_key_load(key_path, 0, key, &diag);
	if (r < 0) {
		fprintf(stderr, "vmictl: %s\n", diag.msg);
		return VMICTL_EXIT_GUEST;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = vmictl_guest(c, vmiaas_baseline_load(c->v, c->baseline, key, &b),
			 "load the baseline");
	if (r < 0)
		return r;
	r = vmictl_guest(c, vmiaas_check_run(c->v, b, &f, &nr),
			 "check the guest");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vmiaas_baseline_free(b);
	if (r < 0)
		return r;
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	for (i = 0; i < nr; i++)
		nr_findings += !(f[i].flags & VMIAAS_FINDING_EVENT);
	if (c->json)
		r = check_json(f, nr, ms);
	else
		check_print(f, nr, nr_findings, ms);
	free(f);
	if (r < 0)
		return r;
	return nr_findings ? CHECK_EXIT_FINDINGS : 0;
}
