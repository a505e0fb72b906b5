// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl baseline: a trusted measurement of the guest, written to a file
 * MACed with the host key.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <vmiaas/checks.h>

#include "output.h"
#include "vmictl.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* "OE": struct module.taints letters of the hook policy (P F O E). */
static void taint_letters(uint64_t t, char buf[8])
{
	static const struct { int bit; char c; } l[] = {
		{ 0, 'P' }, { 1, 'F' }, { 12, 'O' }, { 13, 'E' },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		if (t & (1ULL << l[i].bit))
			buf[n++] = l[i].c;
	buf[n] = '\0';
}

/*
 * The hooks the baseline trusts (present now in a tainted module it
 * measured): one line each on stderr, so the operator sees them.
 */
static struct json_object *trusted_hooks(const struct vmiaas_baseline *b,
					 bool json)
{
	const struct vmiaas_baseline_hook *h;
	struct json_object *a = json ? json_object_new_array() : NULL;
	struct json_object *o;
	char taints[8];
	size_t nr, i;

	h = vmiaas_baseline_hooks(b, &nr);
	for (i = 0; i < nr; i++) {
		taint_letters(h[i].taints, taints);
		fprintf(stderr,
			"vmictl: trusted, present at baseline: %s %s: [%s]+0x%llx (module tainted %s)\n",
			h[i].check, h[i].object, h[i].module,
			(unsigned long long)h[i].offset, taints);
		if (!a)
			continue;
		o = json_object_new_object();
		out_json_add(o, "check", json_object_new_string(h[i].check));
		out_json_add(o, "object", json_object_new_string(h[i].object));
		out_json_add(o, "module", json_object_new_string(h[i].module));
		out_json_add(o, "offset", json_object_new_int64(h[i].offset));
		out_json_add(o, "taints", json_object_new_string(taints));
		json_object_array_add(a, o);
	}
	return a;
}

int cmd_baseline(struct vmictl *c)
{
	const char *key_path = c->key ? c->key : VMIAAS_KEY_DEFAULT;
	struct vmiaas_baseline_summary s;
	struct vmiaas_baseline *b;
	struct vmiaas_diag diag = {};
	struct timespec t0;
	uint8_t key[VMIAAS_KEY_SIZE];
	struct json_object *o, *hooks;
	size_t nr_hooks;
	double ms;
	int r;

	r = vmiaas_key_load(key_path, 1, key, &diag);
	if (r < 0) {
		fprintf(stderr, "vmictl: %s\n", diag.msg);
		return VMICTL_EXIT_FAILURE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = vmictl_guest(c, vmiaas_baseline_take(c->v, key, &b),
			 "measure the guest");
	if (r < 0)
		return r;
	r = vmictl_guest(c, vmiaas_baseline_save(c->v, b, c->output, key),
			 "write the baseline");
	ms = ms_since(&t0);
	vmiaas_baseline_summary(b, &s);
	vmiaas_baseline_hooks(b, &nr_hooks);
	hooks = r < 0 ? NULL : trusted_hooks(b, c->json);
	if (r >= 0 && s.nr_hooks_over_limit)
		fprintf(stderr,
			"vmictl: warning: %u more hooks in tainted modules than the baseline's room for %d: not trusted, each will be a finding at every check\n",
			s.nr_hooks_over_limit, VMIAAS_BASELINE_HOOKS_MAX);
	vmiaas_baseline_free(b);
	if (r < 0)
		return r;
	if (c->json) {
		o = json_object_new_object();
		out_json_add(o, "baseline", json_object_new_string(c->output));
		out_json_add(o, "kernel", out_json_str(s.kernel_release,
						       sizeof(s.kernel_release)));
		out_json_add(o, "kaslr_offset", out_json_addr(s.kaslr_offset));
		out_json_add(o, "vcpus", json_object_new_int64(s.nr_vcpus));
		out_json_add(o, "syscalls", json_object_new_int64(s.nr_syscalls));
		out_json_add(o, "idt_gates", json_object_new_int64(s.nr_idt_gates));
		out_json_add(o, "text_bytes",
			     json_object_new_int64(s.text_end - s.text_start));
		out_json_add(o, "bpf_programs",
			     json_object_new_int64(s.nr_bpf_programs));
		out_json_add(o, "trusted_hooks", hooks);
		out_json_add(o, "hooks_over_limit",
			     json_object_new_int64(s.nr_hooks_over_limit));
		out_json_add(o, "elapsed_ms", json_object_new_double(ms));
		return out_json_print(o);
	}
	out_kv("baseline", "%s", c->output);
	out_kv("kernel", "%s", s.kernel_release);
	out_kv("kaslr offset", "0x%016llx", (unsigned long long)s.kaslr_offset);
	out_kv("measured", "%u syscalls, %u IDT gates on %u vCPU%s, %llu KiB of kernel text, %d BPF program%s",
	       s.nr_syscalls, s.nr_idt_gates, s.nr_vcpus,
	       s.nr_vcpus == 1 ? "" : "s",
	       (unsigned long long)(s.text_end - s.text_start) >> 10,
	       s.nr_bpf_programs, s.nr_bpf_programs == 1 ? "" : "s");
	out_kv("elapsed", "%.1f ms", ms);
	return 0;
}
