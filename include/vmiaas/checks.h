/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libvmiaas integrity checking: trusted baselines and the checks that
 * compare a guest against one.
 *
 *   vmiaas_key_load()        the host key (never enters the guest)
 *   vmiaas_baseline_take()   measure the guest now (trusted moment)
 *   vmiaas_baseline_save()   write it, MACed, atomically
 *   vmiaas_baseline_load()   read it back: MAC verified, then bound to the
 *                            attached guest (same kernel, same boot)
 *   vmiaas_check_run()       findings and events, guest vs baseline
 *   vmiaas_golden_find()     a golden baseline of the attached kernel build
 *   vmiaas_baseline_from_golden()  this boot's baseline, held to a golden one
 *
 * Errors (negative errno, explained in vmiaas_last_diag() of the guest
 * handle, or in @diag where there is no handle):
 *   -EBADMSG  a baseline file that is malformed or whose MAC does not
 *             verify (modified, or made with another host key)
 *   -ESTALE   a baseline of another kernel, or of an earlier boot
 *   -EPROTO   a baseline of an unknown format version
 *   -ENOENT, -EACCES, -EIO ... from the file system
 * and the engine's errors for guest reads.
 */
#ifndef VMIAAS_CHECKS_H
#define VMIAAS_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include <vmiaas/vmiaas.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMIAAS_KEY_SIZE		32
#define VMIAAS_KEY_DEFAULT	"/var/lib/vmiaas/host.key"

/*
 * Reads the host key from @path (exactly VMIAAS_KEY_SIZE bytes). If the
 * file does not exist and @create, creates it (mode 0600, random bytes;
 * its directory 0700 if missing).
 */
int vmiaas_key_load(const char *path, int create,
		    uint8_t key[VMIAAS_KEY_SIZE], struct vmiaas_diag *diag);

struct vmiaas_baseline;

/* @key: text pages are hashed with a key derived from it. */
int vmiaas_baseline_take(struct vmiaas *v, const uint8_t key[VMIAAS_KEY_SIZE],
			 struct vmiaas_baseline **ret);
int vmiaas_baseline_save(struct vmiaas *v, const struct vmiaas_baseline *b,
			 const char *path,
			 const uint8_t key[VMIAAS_KEY_SIZE]);
int vmiaas_baseline_load(struct vmiaas *v, const char *path,
			 const uint8_t key[VMIAAS_KEY_SIZE],
			 struct vmiaas_baseline **ret);
void vmiaas_baseline_free(struct vmiaas_baseline *b);

/* What a baseline holds, for printing. */
struct vmiaas_baseline_summary {
	uint32_t version;
	uint32_t nr_vcpus;
	uint64_t created;		/* seconds since the epoch */
	uint64_t kaslr_offset;
	uint64_t boot_tag;
	uint64_t text_start, text_end;
	uint32_t nr_syscalls;
	uint32_t nr_idt_gates;		/* all vCPUs */
	char kernel_release[65];
	char origin[64];		/* "golden NAME" or "" (measured) */
};

void vmiaas_baseline_summary(const struct vmiaas_baseline *b,
			     struct vmiaas_baseline_summary *ret);

/* ---- golden baselines (docs/integrity.md, "Golden baselines") ---- */

/*
 * A golden baseline is a baseline of a trusted boot of a kernel build,
 * used for every other boot of the same build (release and banner): its
 * kernel text, read-only data, syscall table, IDT and control registers
 * are carried over to this boot's KASLR slide; ro_after_init data and
 * modules, which are per boot, are measured now.
 *
 * vmiaas_golden_find() looks in @dir (at most 256 entries) for a file
 * whose header names the attached kernel build; the first by name wins.
 * Its path goes to @ret. -ENOENT: none (the header is only a hint: the
 * MAC is verified when the file is used).
 */
int vmiaas_golden_find(struct vmiaas *v, const char *dir, char *ret,
		       size_t size);

struct vmiaas_golden_report {
	uint64_t kaslr_delta;		/* this boot's slide - the golden one's */
	uint64_t relocated;		/* values that differ by the slide */
	uint64_t text_differ;		/* bytes of text unlike the golden */
	uint64_t rodata_differ;		/* bytes of rodata unlike the golden */
	uint64_t ro_after_init;		/* bytes measured in this boot */
	uint32_t modules;		/* measured in this boot */
};

/*
 * Measures the attached guest and replaces what is not per boot with
 * the golden baseline @path (MAC verified, same kernel build, else
 * -ESTALE) moved to this boot's slide. Bytes of text and rodata that
 * differ from the golden one other than by the slide keep the golden
 * value: the first check reports them. The result is bound to this boot
 * like any baseline (save it); its origin is "golden NAME".
 */
int vmiaas_baseline_from_golden(struct vmiaas *v, const char *path,
				const uint8_t key[VMIAAS_KEY_SIZE],
				struct vmiaas_baseline **ret,
				struct vmiaas_golden_report *report);

/* ---- checks ---- */

struct vmiaas_check_desc {
	const char *id;			/* stable: "syscall-table" */
	const char *description;	/* one line */
};

/* The checks this library runs, in the order it runs them. */
const struct vmiaas_check_desc *vmiaas_checks(size_t *ret_nr);

enum vmiaas_severity {
	VMIAAS_SEV_INFO,		/* events only */
	VMIAAS_SEV_LOW,
	VMIAAS_SEV_MEDIUM,
	VMIAAS_SEV_HIGH,
	VMIAAS_SEV_CRITICAL,
};

const char *vmiaas_severity_name(uint32_t severity);

/* vmiaas_finding.flags: which detail fields are set. */
#define VMIAAS_FINDING_EVENT	(1U << 0)	/* informational, not a finding */
#define VMIAAS_FINDING_ADDRESS	(1U << 1)	/* address */
#define VMIAAS_FINDING_VALUES	(1U << 2)	/* old_value, new_value */
#define VMIAAS_FINDING_BYTES	(1U << 3)	/* old_bytes, new_bytes */
#define VMIAAS_FINDING_SYMBOLS	(1U << 4)	/* old_symbol, new_symbol */

#define VMIAAS_FINDING_BYTES_MAX	64

struct vmiaas_finding {
	char check[24];			/* a vmiaas_check_desc id */
	uint32_t severity;		/* enum vmiaas_severity */
	uint32_t flags;			/* VMIAAS_FINDING_* */
	char object[160];		/* what: "x64 217 getdents64", ... */
	char message[512];		/* one line for humans */
	uint64_t address;
	uint64_t old_value, new_value;
	char old_symbol[128], new_symbol[128];
	uint32_t nr_bytes;		/* of old_bytes and new_bytes */
	uint32_t nr_bytes_total;	/* bytes that differ in the range */
	uint8_t old_bytes[VMIAAS_FINDING_BYTES_MAX];
	uint8_t new_bytes[VMIAAS_FINDING_BYTES_MAX];
};

/*
 * Runs every check of @b against the guest now. *ret (free()) holds the
 * findings and events (VMIAAS_FINDING_EVENT) in check order. A guest that
 * cannot be read where a check needs it is an error, not a finding.
 */
int vmiaas_check_run(struct vmiaas *v, const struct vmiaas_baseline *b,
		     struct vmiaas_finding **ret, size_t *ret_nr);

/*
 * Can this host's kernel prove pages unwritten for the soft-dirty skip
 * (docs/integrity.md, "A check after no change")? 0, or -EOPNOTSUPP with
 * the reason in @why. Only the kernel is probed here; the skip has more
 * conditions per VM.
 */
int vmiaas_soft_dirty_probe(char *why, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* VMIAAS_CHECKS_H */
