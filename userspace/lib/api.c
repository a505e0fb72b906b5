// SPDX-License-Identifier: LGPL-2.1 OR MIT
/* Public accessors: registers, symbols, memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../core/kernel.h"
#include "engine.h"

static int vcpus_copy(struct vmiaas *v, struct vmiaas_vcpu **ret,
		      size_t *ret_nr)
{
	struct backend *b = v->backend;
	struct vmiaas_vcpu *copy;

	if (!b->nr_vcpus)
		return engine_fail(v, -ENODATA,
			"vCPU registers are not available from this target (give --qmp SOCKET, or a dump with CPU notes)");
	copy = calloc(b->nr_vcpus, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, b->vcpus, b->nr_vcpus * sizeof(*copy));
	*ret = copy;
	*ret_nr = b->nr_vcpus;
	return 0;
}

int vmiaas_vcpus(struct vmiaas *v, struct vmiaas_vcpu **ret, size_t *ret_nr)
{
	struct backend *b = v->backend;
	int err;

	if (b->refresh_vcpus) {
		err = b->refresh_vcpus(b);
		if (err)
			return engine_fail(v, err,
				"cannot read vCPU registers through QMP");
		v->vcpus_fresh = v->census.keep;	/* within a check */
	}
	return vcpus_copy(v, ret, ret_nr);
}

int engine_vcpus(struct vmiaas *v, struct vmiaas_vcpu **ret, size_t *ret_nr)
{
	if (v->vcpus_fresh)
		return vcpus_copy(v, ret, ret_nr);
	return vmiaas_vcpus(v, ret, ret_nr);
}

int vmiaas_set_vcpus(struct vmiaas *v, const char *text)
{
	struct backend *b = v->backend;
	struct vmiaas_vcpu *vcpus;
	size_t nr;
	int err;

	if (b->refresh_vcpus || b->qmp || strncmp(b->name, "dump", 4) == 0)
		return engine_fail(v, -EBUSY,
			"this target reads its own vCPU registers");
	err = qmp_parse_registers(text, &vcpus, &nr);
	if (err)
		return engine_fail(v, err,
			"the vCPU registers given are not HMP 'info registers' text");
	free(b->vcpus);
	b->vcpus = vcpus;
	b->nr_vcpus = nr;
	v->info.nr_vcpus = (uint32_t)nr;
	backend_invalidate(b);
	return 0;
}

int vmiaas_symbol_addr(struct vmiaas *v, const char *name, uint64_t *ret)
{
	return engine_sym(v, name, ret);
}

int vmiaas_symbol_extent(struct vmiaas *v, const char *name, uint64_t max,
			 uint64_t *ret_addr, uint64_t *ret_len)
{
	u64 addr, next = 0;
	u32 idx;
	int err;

	err = engine_sym(v, name, &addr);
	if (!err)
		err = vmi_ksym_lookup_addr(&v->ksym, addr, &idx);
	/* the symbols that share the address (aliases), then the next one */
	while (!err && ++idx < v->ksym.num_syms) {
		err = vmi_ksym_addr(&v->ksym, idx, &next);
		if (!err && next > addr)
			break;
	}
	if (err || next <= addr)
		return err ? err : -ENOENT;
	if (next - addr > max)
		return -E2BIG;
	*ret_addr = addr;
	*ret_len = next - addr;
	return 0;
}

int vmiaas_symbolize(struct vmiaas *v, uint64_t addr, char *buf, size_t size)
{
	char name[VMI_KSYM_NAME_LEN], type;
	u64 sym;
	u32 idx;
	int err;

	err = vmi_ksym_lookup_addr(&v->ksym, addr, &idx);
	if (!err)
		err = vmi_ksym_addr(&v->ksym, idx, &sym);
	if (!err)
		err = vmi_ksym_name(&v->ksym, idx, name, sizeof(name), &type);
	/*
	 * Past the highest symbol (the image's end marker,
	 * __init_scratch_end) nothing is the kernel's: module memory starts
	 * within 16 MiB of it on some KASLR boots.
	 */
	if (!err && idx + 1 >= v->ksym.num_syms && addr != sym)
		err = -ENOENT;
	if (err || addr - sym > (1U << 24)) {
		snprintf(buf, size, "0x%016llx", (unsigned long long)addr);
		return err ? err : -ENOENT;
	}
	if (addr == sym)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%s+0x%llx", name,
			 (unsigned long long)(addr - sym));
	return 0;
}

int vmiaas_read_va(struct vmiaas *v, uint64_t va, void *buf, size_t len)
{
	return engine_read(v, va, buf, len);
}

int vmiaas_read_pa(struct vmiaas *v, uint64_t pa, void *buf, size_t len)
{
	return vmi_phys_read(&v->backend->phys, pa, buf, len);
}

int vmiaas_translate(struct vmiaas *v, uint64_t va, uint64_t *ret_pa)
{
	struct vmi_xlate x;
	int err;

	err = vmi_as_translate(v->kas, va, &x);
	if (!err)
		*ret_pa = x.gpa;
	return err;
}

int vmiaas_translate_cr3(struct vmiaas *v, uint64_t cr3, int la57, uint64_t va,
			 uint64_t *ret_pa)
{
	struct vmi_as *as = calloc(1, sizeof(*as));	/* its TLBs: 24 KiB */
	struct vmi_xlate x;
	int err;

	if (!as)
		return -ENOMEM;
	vmi_as_init(as, &v->backend->phys, vmi_cr3_kernel_root(cr3), la57);
	err = vmi_as_walk(as, va, &x);
	if (!err)
		*ret_pa = x.gpa;
	free(as);
	return err;
}
