/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Inside the integrity checks: the baseline in memory and the keyed hash.
 *
 * The host key is never used directly: baseline.c derives two keys from
 * it with HMAC-SHA256, one that MACs the baseline file and one that hashes
 * guest pages (struct vmi_hash_ops for core/measure.c). Neither is written
 * anywhere nor enters the guest.
 */
#ifndef VMIAAS_LIB_CHECKS_H
#define VMIAAS_LIB_CHECKS_H

#include <vmiaas/checks.h>
#include "engine.h"
#include "../../core/measure.h"

#define BL_VERSION		1
#define BL_FILE_MAX		(512ULL << 20)	/* baseline file size cap */
#define BL_TEXT_MAX		(256ULL << 20)	/* kernel text cap */
#define BL_MAX_VCPUS		1024

/* Where the boot tag came from (vmiaas_baseline.boot_tag_kind). */
enum bl_boot_tag_kind {
	BL_BOOT_TAG_NONE,		/* the kernel has no stack protector */
	BL_BOOT_TAG_CANARY,		/* init_task.stack_canary */
};

struct bl_cpu {
	u32 index;
	u32 flags;			/* VMIAAS_VCPU_MSRS */
	u64 cr0, cr4;
	u64 lstar, cstar, sysenter_eip;
};

struct bl_idt {
	u32 vcpu;
	u32 limit;
	u64 base;
	u32 nr;
	struct vmiaas_idt_gate *gates;
};

struct vmiaas_baseline {
	u32 version;
	u64 created;
	char release[65];
	char banner[256];
	u64 kaslr_offset;
	u64 text_va;
	u64 boot_tag;
	u32 boot_tag_kind;
	u32 nr_vcpus;			/* 0: no registers at baseline */
	struct bl_cpu *cpus;
	u32 nr_syscalls;
	struct vmiaas_syscall *syscalls;
	u32 nr_idts;
	struct bl_idt *idts;
	u64 text_start, text_end;	/* _stext.._etext */
	u8 *text_digests;		/* one per page, BL_DIGEST bytes */
	u8 *text;			/* the bytes at baseline */
	u8 page_key[32];		/* derived from the host key; not saved */
};

#define BL_DIGEST		32

/* HMAC-SHA256 page hashing for vmi_measure_range(). */
struct bl_hasher;
int bl_hasher_new(const u8 key[32], struct bl_hasher **ret,
		  struct vmi_hash_ops *ret_ops);
struct bl_hasher *bl_hasher_free(struct bl_hasher *h);

/* Guest-virtual reads for core/measure.c through engine_read(). */
void bl_read_ops(struct vmiaas *v, struct vmi_read_ops *ret);

/* The boot tag of the guest now (see docs/integrity.md). */
int bl_boot_tag(struct vmiaas *v, u64 *ret_tag, u32 *ret_kind);

/* _stext and _etext, checked. */
int bl_text_range(struct vmiaas *v, u64 *ret_start, u64 *ret_end);

#endif /* VMIAAS_LIB_CHECKS_H */
