/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libvmiaas: zero-configuration introspection of Linux guests.
 *
 * Opens a guest's memory (QEMU shared-memory file, a live QEMU process, a
 * dump file), finds the kernel under KASLR, its symbols (kallsyms in guest
 * memory) and types (BTF in guest memory), and answers questions about it.
 * Nothing is configured: no profiles, no offsets, no debug symbols.
 *
 * Conventions: functions return 0 or a negative errno. Failures that need
 * more than an errno to explain carry a message in a struct vmiaas_diag the
 * caller passes in; the library itself never prints. Arrays returned
 * through ret_* pointers are allocated with malloc() and freed with free().
 * Everything read from the guest is untrusted and bounded: see
 * docs/hostile-guest.md.
 */
#ifndef VMIAAS_H
#define VMIAAS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vmiaas;

/* A human-readable explanation of the last failure, for the edge to print. */
struct vmiaas_diag {
	int err;		/* the negative errno that was returned */
	char msg[512];		/* what went wrong and what to supply */
};

/* Where the guest is. Exactly one of shm_path, pid, dump_path. */
struct vmiaas_target {
	size_t sz;		/* sizeof(struct vmiaas_target) */
	const char *shm_path;	/* QEMU memory-backend-file (share=on) */
	const char *qmp_path;	/* QMP socket: vCPU registers, RAM layout */
	pid_t pid;		/* a running QEMU process */
	const char *dump_path;	/* raw, QEMU ELF (dump-guest-memory), LiME */
	const char *system_map;	/* optional: symbols override */
	/*
	 * optional: vCPU registers as HMP "info registers -a" text read by
	 * the caller (e.g. through libvirt's monitor), when there is no QMP
	 * socket to read them from; refreshed with vmiaas_set_vcpus().
	 */
	const char *vcpus_text;
};

/* Stages of attach, for vmiaas_info.attach_ns[]. */
enum vmiaas_stage {
	VMIAAS_STAGE_BACKEND,	/* open memory, read registers */
	VMIAAS_STAGE_KERNEL,	/* find the kernel image (KASLR) */
	VMIAAS_STAGE_KALLSYMS,	/* locate and index kallsyms */
	VMIAAS_STAGE_BTF,	/* locate and parse BTF */
	VMIAAS_STAGE_NR,
};

struct vmiaas_info {
	char kernel_release[65];	/* as uname -r prints it */
	char banner[256];		/* linux_banner, without the newline */
	char backend[16];		/* "shm", "pid", "dump-elf", ... */
	uint64_t kaslr_offset;		/* _text - 0xffffffff81000000 */
	uint64_t text_va, text_pa;	/* _text, virtual and physical */
	uint64_t page_offset_base;	/* start of the direct map */
	uint64_t pgd_pa;		/* kernel page tables (init_top_pgt) */
	uint32_t paging_levels;		/* 4 or 5 */
	uint32_t nr_symbols;
	uint32_t nr_btf_types;
	uint32_t nr_vcpus;		/* 0: registers unavailable */
	uint64_t ram_bytes;
	uint64_t attach_ns[VMIAAS_STAGE_NR];
};

int vmiaas_open(const struct vmiaas_target *target, struct vmiaas **ret,
		struct vmiaas_diag *diag);
void vmiaas_close(struct vmiaas *v);

const struct vmiaas_info *vmiaas_info(const struct vmiaas *v);

/* The last failure of a call on @v, with its explanation. */
const struct vmiaas_diag *vmiaas_last_diag(const struct vmiaas *v);

/* ---- vCPU state ---- */
struct vmiaas_vcpu {
	uint32_t index;
	uint32_t flags;			/* VMIAAS_VCPU_* */
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t idtr_base, gdtr_base;
	uint32_t idtr_limit, gdtr_limit;
	uint64_t rip, rsp;
	uint64_t lstar, cstar, sysenter_eip;	/* if VMIAAS_VCPU_MSRS */
	uint64_t dr[4], dr6, dr7;		/* if VMIAAS_VCPU_DEBUG */
};

#define VMIAAS_VCPU_MSRS	(1U << 0)	/* syscall MSRs are known */
#define VMIAAS_VCPU_DEBUG	(1U << 1)	/* DR0-DR3, DR6, DR7 are known */

int vmiaas_vcpus(struct vmiaas *v, struct vmiaas_vcpu **ret, size_t *ret_nr);
/*
 * Replaces the vCPU registers of a target without QMP by those in @text
 * (HMP "info registers -a"): -EBADMSG if it does not parse, -EBUSY when
 * the target reads its own registers (QMP, dump).
 */
int vmiaas_set_vcpus(struct vmiaas *v, const char *text);

/* ---- symbols ---- */
int vmiaas_symbol_addr(struct vmiaas *v, const char *name, uint64_t *ret);
/* "name+0xoff" (or the hex address alone when unknown) into @buf. */
int vmiaas_symbolize(struct vmiaas *v, uint64_t addr, char *buf, size_t size);
/*
 * A symbol's address and its extent: up to the next higher symbol
 * address in kallsyms (a function's text and any padding after it).
 * -ENOENT (no such name, or it is the last symbol), -E2BIG (over @max).
 */
int vmiaas_symbol_extent(struct vmiaas *v, const char *name, uint64_t max,
			 uint64_t *ret_addr, uint64_t *ret_len);

/* ---- memory ---- */
int vmiaas_read_va(struct vmiaas *v, uint64_t va, void *buf, size_t len);
int vmiaas_read_pa(struct vmiaas *v, uint64_t pa, void *buf, size_t len);
int vmiaas_translate(struct vmiaas *v, uint64_t va, uint64_t *ret_pa);
/*
 * @va through the page tables rooted at @cr3 (its PCID and PTI user bits
 * ignored; @la57: CR4.LA57), not the kernel's tables found at attach,
 * which a reset leaves in RAM: where a vCPU's current tables map it.
 */
int vmiaas_translate_cr3(struct vmiaas *v, uint64_t cr3, int la57, uint64_t va,
			 uint64_t *ret_pa);

/* ---- views ---- */
struct vmiaas_task {
	int32_t pid, tgid, ppid;
	uint32_t uid, euid, gid, egid;
	uint32_t flags;			/* task->flags (PF_KTHREAD...) */
	char comm[16];
	uint64_t addr;			/* struct task_struct * */
	uint64_t cred, real_cred;	/* struct cred * */
	uint64_t mm;			/* 0 for kernel threads */
};

struct vmiaas_module {
	char name[56];
	uint64_t base;			/* core text start */
	uint64_t size;			/* core size (all core regions) */
	uint64_t addr;			/* struct module * */
	int32_t state;			/* MODULE_STATE_* */
};

enum vmiaas_syscall_abi {
	VMIAAS_ABI_X64,
	VMIAAS_ABI_IA32,
	VMIAAS_ABI_X32,
};

struct vmiaas_syscall {
	uint32_t abi;			/* enum vmiaas_syscall_abi */
	uint32_t nr;
	uint64_t address;
	char symbol[128];		/* "__x64_sys_read", or "" */
};

struct vmiaas_idt_gate {
	uint32_t vector;
	uint16_t selector;
	uint8_t type;			/* 0xe interrupt, 0xf trap */
	uint8_t dpl;
	uint8_t ist;
	uint8_t present;
	uint64_t address;
	char symbol[128];
};

int vmiaas_tasks(struct vmiaas *v, struct vmiaas_task **ret, size_t *ret_nr);
int vmiaas_modules(struct vmiaas *v, struct vmiaas_module **ret,
		   size_t *ret_nr);
int vmiaas_syscalls(struct vmiaas *v, struct vmiaas_syscall **ret,
		    size_t *ret_nr);
int vmiaas_idt(struct vmiaas *v, uint32_t vcpu, uint64_t *ret_base,
	       struct vmiaas_idt_gate **ret, size_t *ret_nr);

/*
 * The guest agent's RAM mailbox (vmiaas_agent.ko mode=ram): a request is
 * pending when seq differs from the last one answered. Fields are the
 * guest's, unchecked beyond the page's magic and version.
 */
struct vmiaas_agent_request {
	uint64_t seq;			/* req_seq */
	uint64_t resp_seq;		/* the last answer's, as the page says */
	uint64_t cookie;		/* req_cookie */
	uint32_t reason;		/* VMIAAS_REASON_* (unchecked) */
	uint32_t flags;			/* req_flags (unchecked) */
};

struct vmiaas_agent_answer {
	uint64_t seq;			/* the req_seq answered */
	uint64_t failed_mask;
	uint64_t cookie;		/* echo of req_cookie */
	int32_t status;			/* 0 or negative errno */
	uint32_t verdict;		/* VMIAAS_VERDICT_* */
	uint32_t nr_failed, nr_checks;
};

/*
 * Finds vmiaas_agent_mailbox in module vmiaas_agent's own symbol table:
 * 0 and its kernel-virtual address; -ENOENT (no agent, or not in mode
 * ram); -EINVAL (not a page in the module area, or no magic); other
 * read errors.
 */
int vmiaas_agent_find(struct vmiaas *v, uint64_t *ret_va);
/* Reads the request line (88 bytes); -EINVAL without magic/version. */
int vmiaas_agent_read(struct vmiaas *v, uint64_t va,
		      struct vmiaas_agent_request *ret);
/*
 * Opens what writing guest RAM needs (shm: the file read-write; pid:
 * nothing); call before a sandbox forbids open(). -EROFS for dumps.
 */
int vmiaas_write_open(struct vmiaas *v);
/* Writes the response fields, then resp_seq (the agent reads it first). */
int vmiaas_agent_answer(struct vmiaas *v, uint64_t va,
			const struct vmiaas_agent_answer *a);

#ifdef __cplusplus
}
#endif
#endif /* VMIAAS_H */
