// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl info: what attaching to the guest found.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "output.h"
#include "vmictl.h"

static const char *const stage_names[VMIAAS_STAGE_NR] = {
	[VMIAAS_STAGE_BACKEND]	= "backend",
	[VMIAAS_STAGE_KERNEL]	= "kernel",
	[VMIAAS_STAGE_KALLSYMS]	= "kallsyms",
	[VMIAAS_STAGE_BTF]	= "btf",
};

static double ns_to_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/*
 * The vCPUs, or NULL with *ret_nr = 0 when the target has no registers.
 * A failure here does not fail "info": the registers are optional.
 */
static struct vmiaas_vcpu *info_vcpus(struct vmictl *c, size_t *ret_nr)
{
	struct vmiaas_vcpu *vcpus = NULL;
	size_t nr = 0;

	*ret_nr = 0;
	if (!vmiaas_info(c->v)->nr_vcpus)
		return NULL;
	if (vmiaas_vcpus(c->v, &vcpus, &nr) < 0)
		return NULL;
	*ret_nr = nr;
	return vcpus;
}

static const char *info_no_regs(const struct vmictl *c)
{
	return c->target.qmp_path ? "not available" :
				    "not available (no --qmp)";
}

/* ---- table ---- */

static void info_print_vcpu(const struct vmiaas_vcpu *vc)
{
	printf("  vcpu%-3u CR0=%016llx CR3=%016llx CR4=%016llx EFER=%016llx\n"
	       "          IDTR=%016llx/%04x RIP=%016llx\n",
	       vc->index, (unsigned long long)vc->cr0,
	       (unsigned long long)vc->cr3, (unsigned long long)vc->cr4,
	       (unsigned long long)vc->efer,
	       (unsigned long long)vc->idtr_base, vc->idtr_limit,
	       (unsigned long long)vc->rip);
}

static void info_print_attach(const struct vmiaas_info *in)
{
	uint64_t total = 0;
	char buf[256];
	int i, o = 0;

	for (i = 0; i < VMIAAS_STAGE_NR; i++)
		total += in->attach_ns[i];
	for (i = 0; i < VMIAAS_STAGE_NR && o < (int)sizeof(buf); i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%s %.1f",
			      i ? ", " : "", stage_names[i],
			      ns_to_ms(in->attach_ns[i]));
	out_kv("attach:", "%.1f ms (%s)", ns_to_ms(total), buf);
}

static int info_print(struct vmictl *c, const struct vmiaas_info *in,
		      const struct vmiaas_vcpu *vcpus, size_t nr)
{
	char rel[OUT_ESC_SIZE(sizeof(in->kernel_release))];
	char banner[OUT_ESC_SIZE(sizeof(in->banner))];
	char backend[OUT_ESC_SIZE(sizeof(in->backend))];
	size_t i;

	out_escape(in->kernel_release, sizeof(in->kernel_release), rel,
		   sizeof(rel));
	out_escape(in->banner, sizeof(in->banner), banner, sizeof(banner));
	out_escape(in->backend, sizeof(in->backend), backend, sizeof(backend));
	out_kv("kernel:", "%s", rel);
	out_kv("banner:", "%s", banner);
	out_kv("backend:", "%s", backend);
	out_kv("kaslr offset:", "0x%llx", (unsigned long long)in->kaslr_offset);
	out_kv("_text:", "0x%016llx (phys 0x%llx)",
	       (unsigned long long)in->text_va,
	       (unsigned long long)in->text_pa);
	out_kv("page_offset_base:", "0x%016llx",
	       (unsigned long long)in->page_offset_base);
	out_kv("kernel pgd:", "0x%llx (%u-level paging)",
	       (unsigned long long)in->pgd_pa, in->paging_levels);
	out_kv("symbols:", "%u", in->nr_symbols);
	out_kv("btf types:", "%u", in->nr_btf_types);
	out_kv("ram:", "%llu MiB", (unsigned long long)(in->ram_bytes >> 20));
	info_print_attach(in);
	if (!nr) {
		out_kv("registers:", "%s", info_no_regs(c));
		return 0;
	}
	out_kv("registers:", "%zu vCPU%s", nr, nr == 1 ? "" : "s");
	for (i = 0; i < nr; i++)
		info_print_vcpu(&vcpus[i]);
	return 0;
}

/* ---- JSON ---- */

static struct json_object *info_json_vcpu(const struct vmiaas_vcpu *vc)
{
	struct json_object *o = json_object_new_object();

	out_json_add(o, "index", json_object_new_int64(vc->index));
	out_json_add(o, "cr0", out_json_addr(vc->cr0));
	out_json_add(o, "cr2", out_json_addr(vc->cr2));
	out_json_add(o, "cr3", out_json_addr(vc->cr3));
	out_json_add(o, "cr4", out_json_addr(vc->cr4));
	out_json_add(o, "efer", out_json_addr(vc->efer));
	out_json_add(o, "idtr_base", out_json_addr(vc->idtr_base));
	out_json_add(o, "idtr_limit", json_object_new_int64(vc->idtr_limit));
	out_json_add(o, "gdtr_base", out_json_addr(vc->gdtr_base));
	out_json_add(o, "gdtr_limit", json_object_new_int64(vc->gdtr_limit));
	out_json_add(o, "rip", out_json_addr(vc->rip));
	out_json_add(o, "rsp", out_json_addr(vc->rsp));
	if (vc->flags & VMIAAS_VCPU_MSRS) {
		out_json_add(o, "lstar", out_json_addr(vc->lstar));
		out_json_add(o, "cstar", out_json_addr(vc->cstar));
		out_json_add(o, "sysenter_eip",
			     out_json_addr(vc->sysenter_eip));
	}
	return o;
}

static struct json_object *info_json_ms(uint64_t ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", ns_to_ms(ns));
	return json_object_new_double_s(ns_to_ms(ns), buf);
}

static struct json_object *info_json_attach(const struct vmiaas_info *in)
{
	struct json_object *o = json_object_new_object();
	uint64_t total = 0;
	int i;

	for (i = 0; i < VMIAAS_STAGE_NR; i++) {
		out_json_add(o, stage_names[i], info_json_ms(in->attach_ns[i]));
		total += in->attach_ns[i];
	}
	out_json_add(o, "total", info_json_ms(total));
	return o;
}

static int info_json(struct vmictl *c, const struct vmiaas_info *in,
		     const struct vmiaas_vcpu *vcpus, size_t nr)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;

	out_json_add(o, "kernel_version",
		     out_json_str(in->kernel_release,
				  sizeof(in->kernel_release)));
	out_json_add(o, "banner", out_json_str(in->banner, sizeof(in->banner)));
	out_json_add(o, "backend",
		     out_json_str(in->backend, sizeof(in->backend)));
	out_json_add(o, "kaslr_offset", out_json_addr(in->kaslr_offset));
	out_json_add(o, "text_va", out_json_addr(in->text_va));
	out_json_add(o, "text_pa", out_json_addr(in->text_pa));
	out_json_add(o, "page_offset_base",
		     out_json_addr(in->page_offset_base));
	out_json_add(o, "pgd_pa", out_json_addr(in->pgd_pa));
	out_json_add(o, "paging_levels",
		     json_object_new_int64(in->paging_levels));
	out_json_add(o, "nr_symbols", json_object_new_int64(in->nr_symbols));
	out_json_add(o, "nr_btf_types",
		     json_object_new_int64(in->nr_btf_types));
	out_json_add(o, "nr_vcpus", json_object_new_int64(in->nr_vcpus));
	out_json_add(o, "ram_bytes", json_object_new_uint64(in->ram_bytes));
	out_json_add(o, "attach_ms", info_json_attach(in));
	for (i = 0; i < nr; i++)
		out_json_append(arr, info_json_vcpu(&vcpus[i]));
	out_json_add(o, "vcpus", arr);
	return out_json_print(o);
}

int cmd_info(struct vmictl *c)
{
	const struct vmiaas_info *in = vmiaas_info(c->v);
	struct vmiaas_vcpu *vcpus;
	size_t nr;
	int r;

	vcpus = info_vcpus(c, &nr);
	if (c->json)
		r = info_json(c, in, vcpus, nr);
	else
		r = info_print(c, in, vcpus, nr);
	free(vcpus);
	return r;
}
