// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The guest agent's RAM mailbox (vmiaas_agent.ko mode=ram, see
 * docs/guest-agent.md): a page-aligned struct vmiaas_mailbox in the
 * agent module's own memory, named vmiaas_agent_mailbox. It is found
 * with zero configuration through the module's own symbol table
 * (struct module's kallsyms, layouts from BTF), read a few bytes at a
 * time, and answered with two small writes into guest RAM.
 *
 * Everything here is guest-controlled: the module list, the symbol table
 * (its count, its string offsets), the page. Every count is capped,
 * every pointer checked, and a page without the magic is refused.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uapi/linux/vmiaas.h"
#include "engine.h"

#define AGENT_MODULE		"vmiaas_agent"
#define AGENT_SYMBOL		"vmiaas_agent_mailbox"
#define MODULE_SYMS_MAX		4096	/* the agent has ~150 */
#define MODULE_SYM_NAME		64	/* longest name looked up, NUL included */
#define AGENT_PAGE		4096ULL
/* x86-64's module area (MODULES_VADDR..MODULES_END, with or without KASLR) */
#define MODULES_LO		0xffffffffa0000000ULL
#define MODULES_HI		0xffffffffff000000ULL

/* Elf64_Sym: st_name at 0, st_value at 8, 24 bytes. */
#define ELF_SYM_SIZE		24

struct kallsyms_layout {
	u32 kallsyms;		/* module.kallsyms */
	u32 symtab, num_symtab, strtab;	/* in struct mod_kallsyms */
};

static int kallsyms_layout_get(struct vmiaas *v, struct kallsyms_layout *l)
{
	if (btf_offsetof(v->btf, "module", "kallsyms", &l->kallsyms) ||
	    btf_offsetof(v->btf, "mod_kallsyms", "symtab", &l->symtab) ||
	    btf_offsetof(v->btf, "mod_kallsyms", "num_symtab",
			 &l->num_symtab) ||
	    btf_offsetof(v->btf, "mod_kallsyms", "strtab", &l->strtab))
		return engine_fail(v, -EBADMSG,
			"the guest kernel's BTF has no module.kallsyms or mod_kallsyms layout");
	return 0;
}

/* The struct module of the live module @name, or -ENOENT. */
static int module_find(struct vmiaas *v, const char *name, u64 *ret)
{
	struct vmiaas_module *m = NULL;
	size_t nr = 0, i;
	int err;

	err = vmiaas_modules(v, &m, &nr);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < nr; i++)
		if (!strncmp(m[i].name, name, sizeof(m[i].name))) {
			*ret = m[i].addr;
			err = 0;
			break;
		}
	free(m);
	return err;
}

/*
 * Looks @name up in the symbol table of the module @modname at @mod
 * (local symbols included: Debian builds with CONFIG_KALLSYMS_ALL).
 */
static int module_symbol(struct vmiaas *v, u64 mod, const char *modname,
			 const char *name, u64 *ret)
{
	char got[MODULE_SYM_NAME];
	size_t want = strlen(name) + 1;
	struct kallsyms_layout l;
	u64 ks, symtab, strtab, value;
	u32 nr, i, st_name;
	u8 sym[ELF_SYM_SIZE];
	int err;

	if (want > sizeof(got))
		return -EINVAL;
	err = kallsyms_layout_get(v, &l);
	if (err)
		return err;
	err = engine_read_u64(v, mod + l.kallsyms, &ks);
	err = err ?: engine_read_u64(v, ks + l.symtab, &symtab);
	err = err ?: engine_read(v, ks + l.num_symtab, &nr, sizeof(nr));
	err = err ?: engine_read_u64(v, ks + l.strtab, &strtab);
	if (err)
		return engine_fail(v, err, "module %s's symbol table is unreadable",
				   modname);
	if (nr > MODULE_SYMS_MAX)
		return engine_fail(v, -E2BIG, "module %s claims %u symbols",
				   modname, nr);
	for (i = 0; i < nr; i++) {
		if (engine_read(v, symtab + (u64)i * ELF_SYM_SIZE, sym,
				sizeof(sym)))
			continue;
		memcpy(&st_name, sym, sizeof(st_name));
		memcpy(&value, sym + 8, sizeof(value));
		if (engine_read(v, strtab + st_name, got, want))
			continue;
		if (!memcmp(got, name, want)) {
			*ret = value;
			return 0;
		}
	}
	return -ENOENT;
}

int engine_module_sym(struct vmiaas *v, const char *module, const char *name,
		      u64 *ret)
{
	u64 mod;
	int err;

	err = module_find(v, module, &mod);
	return err ?: module_symbol(v, mod, module, name, ret);
}

int vmiaas_agent_find(struct vmiaas *v, uint64_t *ret_va)
{
	struct vmiaas_agent_request req;
	u64 va = 0;
	int err;

	/* the agent may have been reloaded elsewhere since the last look */
	vmi_as_flush(v->kas);
	err = engine_module_sym(v, AGENT_MODULE, AGENT_SYMBOL, &va);
	if (err)
		return err;
	if (va & (AGENT_PAGE - 1) || va < MODULES_LO || va >= MODULES_HI)
		return engine_fail(v, -EINVAL,
			"%s at 0x%llx is not a page in the module area",
			AGENT_SYMBOL, (unsigned long long)va);
	err = vmiaas_agent_read(v, va, &req);
	if (err)
		return err;
	*ret_va = va;
	return 0;
}

int vmiaas_agent_read(struct vmiaas *v, uint64_t va,
		      struct vmiaas_agent_request *ret)
{
	struct vmiaas_mailbox mb;
	const size_t head = offsetof(struct vmiaas_mailbox, guest_reserved);
	int err;

	/* the host line and the request: 88 bytes, not the page */
	err = engine_read(v, va, &mb, head);
	if (err)
		return engine_fail(v, err, "the agent's mailbox at 0x%llx is unreadable",
				   (unsigned long long)va);
	if (mb.magic != VMIAAS_MAILBOX_MAGIC ||
	    mb.version != VMIAAS_MAILBOX_VERSION)
		return engine_fail(v, -EINVAL,
			"the agent's mailbox at 0x%llx has magic 0x%llx version %u",
			(unsigned long long)va, (unsigned long long)mb.magic,
			mb.version);
	ret->seq = mb.req_seq;
	ret->reason = mb.req_reason;
	ret->flags = mb.req_flags;
	ret->cookie = mb.req_cookie;
	ret->resp_seq = mb.resp_seq;
	return 0;
}

int vmiaas_write_open(struct vmiaas *v)
{
	struct backend *b = v->backend;

	if (!b->write)
		return engine_fail(v, -EROFS,
			"the %s backend cannot write guest memory", b->name);
	return b->write_open ? b->write_open(b) : 0;
}

/* The response fields, then resp_seq: the agent reads resp_seq first. */
int vmiaas_agent_answer(struct vmiaas *v, uint64_t va,
			const struct vmiaas_agent_answer *a)
{
	const size_t first = offsetof(struct vmiaas_mailbox, resp_status);
	const size_t end = offsetof(struct vmiaas_mailbox, host_reserved);
	struct backend *b = v->backend;
	struct vmiaas_mailbox mb;
	struct vmi_xlate x;
	u64 gpa;
	int err;

	if (!b->write)
		return -EROFS;
	if (va & (AGENT_PAGE - 1))
		return -EINVAL;
	err = vmi_as_walk(v->kas, va, &x);
	if (err)
		return engine_fail(v, err, "the agent's mailbox at 0x%llx is not mapped",
				   (unsigned long long)va);
	if (!(x.prot & VMI_PROT_WRITE))
		return engine_fail(v, -EACCES, "the agent's mailbox at 0x%llx is read-only in the guest",
				   (unsigned long long)va);
	gpa = x.gpa;
	mb.resp_status = a->status;
	mb.resp_verdict = a->verdict;
	mb.resp_nr_failed = a->nr_failed;
	mb.resp_nr_checks = a->nr_checks;
	mb.resp_failed_mask = a->failed_mask;
	mb.resp_cookie = a->cookie;
	mb.resp_seq = a->seq;
	err = b->write(b, gpa + first, (u8 *)&mb + first, end - first);
	err = err ?: b->write(b, gpa + offsetof(struct vmiaas_mailbox, resp_seq),
			      &mb.resp_seq, sizeof(mb.resp_seq));
	if (err)
		return engine_fail(v, err, "cannot write the answer into the agent's mailbox");
	return 0;
}
