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
 *   vmiaas_kernel_state()    booting, running or going down (system_state)
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
#include <sys/types.h>

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
	int32_t nr_bpf_programs;	/* -1: not recorded (format 2) */
	/* hooks seen at baseline beyond the file's room: not trusted */
	uint32_t nr_hooks_over_limit;
};

void vmiaas_baseline_summary(const struct vmiaas_baseline *b,
			     struct vmiaas_baseline_summary *ret);

/*
 * A hook present at baseline in a measured module's text
 * (docs/integrity.md, "Hooks present at baseline"): the hook policy's
 * high finding of @check on @object for a function at @offset in the
 * text of module @module, tainted @taints. At a check, the same hook in
 * the same module (same struct module and ranges, text unchanged since
 * the baseline) is an informational event instead.
 */
#define VMIAAS_BASELINE_HOOKS_MAX	512	/* a baseline trusts at most */

struct vmiaas_baseline_hook {
	char check[24];			/* "tracepoint-hook" */
	char object[64];		/* "sys_enter" */
	char module[56];		/* MODULE_NAME_LEN */
	uint64_t offset;		/* of the function in the module's text */
	uint64_t taints;		/* struct module.taints */
};

/* The hooks @b trusts, their number in *@ret_nr (0: none, or an older file). */
const struct vmiaas_baseline_hook *
vmiaas_baseline_hooks(const struct vmiaas_baseline *b, size_t *ret_nr);

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
 * Whether the guest's kernel is up, from its own system_state (see
 * userspace/lib/kstate.c): BOOTING only when pid 1 agrees (it has not
 * started a program yet), FORGED when system_state says booting but
 * pid 1 runs a program, RUNNING when it cannot be told. @why (at least
 * 256 bytes) says what was read.
 */
enum vmiaas_kstate {
	VMIAAS_KSTATE_RUNNING,
	VMIAAS_KSTATE_BOOTING,	/* before SYSTEM_RUNNING */
	VMIAAS_KSTATE_DOWN,	/* halt, power off, restart */
	VMIAAS_KSTATE_FORGED,	/* "booting", but init runs a program */
};

enum vmiaas_kstate vmiaas_kernel_state(struct vmiaas *v, char *why,
				       size_t size);

/*
 * Runs every check of @b against the guest now. *ret (free()) holds the
 * findings and events (VMIAAS_FINDING_EVENT) in check order. A guest that
 * cannot be read where a check needs it is an error, not a finding.
 */
int vmiaas_check_run(struct vmiaas *v, const struct vmiaas_baseline *b,
		     struct vmiaas_finding **ret, size_t *ret_nr);

/*
 * vmiaas.ko's share of exec-memory, usermode-helper, netfilter-hook,
 * proc-ops, packet-tap, input-handler, tracepoint-hook, vfs-ops,
 * tty-ldisc and netdev-hook: the
 * records to register with VMIAAS_IOC_SET_CHECKS (include/uapi/linux/vmiaas.h,
 * struct vmiaas_check: type, flags, addr, len, root as here, values
 * pointing to data) so that a guest agent's request runs them in the
 * module, with the same core code as vmiaas_check_run(). The expected
 * values are the guest's now: call it when a check found the guest clean.
 * exec-memory: one VMIAAS_CHECK_EXEC_GVA, data holding len struct
 * vmiaas_exec_range (the kernel's text, the module range, the real-mode
 * trampoline, the text's frames); usermode-helper: a VMIAAS_CHECK_BYTES_GVA
 * per string (VMIAAS_CHECK_CSTRING) and per one-way lock already set;
 * netfilter-hook: one VMIAAS_CHECK_NF_GVA, data holding a struct
 * vmiaas_nf_check (the layout from BTF, the kernel's text and each
 * untainted hooking module's text); proc-ops: one VMIAAS_CHECK_PROC_GVA,
 * data holding a struct vmiaas_proc_check (the layout, the kernel image
 * and module area, four watched entries); packet-tap: one
 * VMIAAS_CHECK_PTYPE_GVA (a struct vmiaas_ptype_check: the lists, the
 * layout, the kernel's text and each untainted module's text that has a
 * packet type); input-handler: one VMIAAS_CHECK_INPUT_GVA (a struct
 * vmiaas_input_check, likewise for handlers); tracepoint-hook: one
 * VMIAAS_CHECK_TP_GVA (addr the kernel's __start___tracepoints_ptrs, len
 * its tracepoints, a struct vmiaas_tp_check: the layout, the kernel's
 * text and each untainted module's text that has a probe on one);
 * vfs-ops: one VMIAAS_CHECK_VFS_GVA (addr &super_blocks, a struct
 * vmiaas_vfs_check: the layout from BTF, &init_task, the image,
 * &debug_fs_type; len ranges: the kernel's text and rodata, every live
 * module's read-only memory, filesystem owners' writable memory);
 * tty-ldisc: one VMIAAS_CHECK_TTY_GVA (a struct vmiaas_tty_check);
 * netdev-hook: one VMIAAS_CHECK_NETDEV_GVA (addr &net_namespace_list, a
 * struct vmiaas_netdev_check: the layout, the tables' function maps, the
 * kernel's text and each untainted module's text seen hooking, then the
 * kernel's rodata and each module part holding a device's table).
 * With a baseline @b (NULL: none), a module whose hooks @b trusts
 * (vmiaas_baseline_hooks(), the module unchanged since) is allowed like
 * an untainted one: its whole text, for the checks it hooks.
 * Returns 0 and *@ret_nr (at most
 * @max), or a negative errno (-ENOSPC: @max too small) and in *@ret_nr
 * the records built before the failing part.
 */
/* the largest: struct vmiaas_proc_check, then struct vmiaas_proc_more */
#define VMIAAS_MODULE_DATA	312

struct vmiaas_module_check {
	uint32_t type;			/* VMIAAS_CHECK_* (uapi) */
	uint32_t flags;			/* VMIAAS_CHECK_CSTRING or 0 */
	uint64_t addr, len, root;
	uint8_t data[VMIAAS_MODULE_DATA];	/* the expected values (a
						 * range: its SHA-256) */
	char label[64];			/* "usermode-helper modprobe_path" */
	/* a failure, as vmiaas_check_run() reports that check's findings */
	char check[24];			/* its id: "exec-memory" */
	char object[64];		/* "modprobe_path" */
	uint32_t severity;		/* enum vmiaas_severity */
};

int vmiaas_module_policy(struct vmiaas *v, const struct vmiaas_baseline *b,
			 struct vmiaas_module_check *out, size_t max,
			 size_t *ret_nr);

/*
 * The table of watched /proc entries the proc-ops record of the last
 * vmiaas_module_policy() on @v refers to (its struct vmiaas_proc_more,
 * flag VMIAAS_CHECK_PROC_MORE, has ->nr_watch entries and ->watch 0:
 * the caller points ->watch at the table before registering): every
 * entry a baseline taken now would record, sorted by key. Owned by @v,
 * valid until the next vmiaas_module_policy() or vmiaas_close(); NULL
 * with *@ret_nr 0 when there is none.
 */
struct vmiaas_proc_watch;
const struct vmiaas_proc_watch *vmiaas_module_proc_table(struct vmiaas *v,
							 size_t *ret_nr);

/*
 * vfs-ops' record (VMIAAS_CHECK_VFS_GVA, len allowed ranges): data holds
 * a struct vmiaas_vfs_check, then at VMIAAS_MODULE_VFS_ALLOW a uint64_t,
 * the address in this process of the len ranges ([start, end) pairs of
 * uint64_t, sorted and disjoint) for vmiaas_module_policy_run(), 0 for
 * vmiaas_module_vfs_ranges()'s. The module wants the struct and the
 * ranges one after the other at ->values: the caller registering the
 * record puts them together. vmiaas_module_vfs_ranges() returns the
 * ranges of the last vmiaas_module_policy() on @v (2 * *@ret_nr
 * uint64_t, owned by @v as the proc-ops table), or NULL.
 */
#define VMIAAS_MODULE_VFS_ALLOW	176	/* sizeof(struct vmiaas_vfs_check) */
const uint64_t *vmiaas_module_vfs_ranges(struct vmiaas *v, size_t *ret_nr);

/*
 * What vmiaas.ko named in an event (struct vmiaas_found, for record @c,
 * the check it is about) as vmictl check reports that check's finding:
 * into @f (check and severity set by the caller, kept unless the found
 * pointer tells more) the object ("/proc/net/tcp", "ipv4 PRE_ROUTING",
 * "ETH_P_ALL", "handler@ADDR", "sys_enter"),
 * address, values and the message. -EINVAL for a kind it does not know.
 */
struct vmiaas_found;
int vmiaas_module_found(const struct vmiaas_module_check *c,
			const struct vmiaas_found *found,
			struct vmiaas_finding *f);

/*
 * Keeps, in place and in order, the @nr records whose type a module with
 * struct vmiaas_caps.check_types @check_types runs (0: a module older than
 * that field, which runs types 1 to 4); returns how many are kept.
 * @left_out (@size bytes, may be NULL) gets the distinct check ids of the
 * records left out, "exec-memory, usermode-helper", or "".
 */
size_t vmiaas_module_filter(struct vmiaas_module_check *c, size_t nr,
			    uint64_t check_types, char *left_out, size_t size);

/*
 * Runs @nr (at most 64) such records against the guest now as vmiaas.ko
 * runs them (the same core code, each through its own root): bit i of
 * *@ret_failed when record i differs or cannot be read. -EINVAL for a
 * record of another type.
 */
int vmiaas_module_policy_run(struct vmiaas *v,
			     const struct vmiaas_module_check *c, size_t nr,
			     uint64_t *ret_failed);

/*
 * The same, and with @found (@nr entries, or NULL) what each failed
 * netfilter-hook, proc-ops, packet-tap, input-handler and
 * tracepoint-hook record found, as the module's event names it (struct
 * vmiaas_found, ->check = the record; ->kind 0 for the others).
 */
int vmiaas_module_policy_found(struct vmiaas *v,
			       const struct vmiaas_module_check *c, size_t nr,
			       uint64_t *ret_failed, struct vmiaas_found *found);

/*
 * Can this host's kernel prove pages unwritten for the soft-dirty skip
 * (docs/integrity.md, "A check after no change")? 0, or -EOPNOTSUPP with
 * the reason in @why. Only the kernel is probed here; the skip has more
 * conditions per VM.
 */
int vmiaas_soft_dirty_probe(char *why, size_t size);

/*
 * The soft-dirty skip across two processes: a privileged one that may
 * read the VMM's /proc files and write its clear_refs (vmid's daemon)
 * runs the host side; the one that checks the guest (vmid's sandboxed
 * worker) asks it, through vmiaas_dirty_ops, for a new epoch and for
 * which pages of the RAM file stayed clean. Only clean bits cross: no
 * host frame numbers. docs/vmid.md, "The soft-dirty skip".
 */
#define VMIAAS_DIRTY_WINDOW	4096	/* RAM file pages per clean query */
#define VMIAAS_DIRTY_NESTED	1	/* epoch started; the guest's CPU
					   must be shown to lack VMX/SVM */

struct vmiaas_dirty_host;

/*
 * The host side for the VMM process @vmm and its RAM file @ram_path. 0,
 * or -EOPNOTSUPP with the reason in @why (this kernel keeps no soft-dirty
 * bits, no such file), or -ENOMEM.
 */
int vmiaas_dirty_host_open(pid_t vmm, const char *ram_path,
			   struct vmiaas_dirty_host **ret, char *why,
			   size_t size);
void vmiaas_dirty_host_close(struct vmiaas_dirty_host *h);
/*
 * Starts an epoch for a checker whose mapping is of the file @dev (major
 * << 32 | minor), @ino: rules out writers the bits cannot see (another
 * process mapping the file writable, VFIO, hugetlbfs), writes the VMM's
 * clear_refs. 0 or VMIAAS_DIRTY_NESTED; -errno with the reason in @why,
 * and then every page is dirty until an epoch starts.
 */
int vmiaas_dirty_host_epoch(struct vmiaas_dirty_host *h, uint64_t dev,
			    uint64_t ino, char *why, size_t size);
/*
 * Bit i of @bits: RAM file page @first + i (a multiple of
 * VMIAAS_DIRTY_WINDOW) is mapped by the VMM, present and not soft-dirty
 * in every mapping of it since the epoch started. One pagemap read per
 * mapping; anything unknown is dirty. 0.
 */
int vmiaas_dirty_host_clean(struct vmiaas_dirty_host *h, uint64_t first,
			    uint8_t bits[VMIAAS_DIRTY_WINDOW / 8]);

/* The checker's side: how it reaches the host side. */
struct vmiaas_dirty_ops {
	/* as vmiaas_dirty_host_epoch() */
	int (*epoch)(void *ctx, uint64_t dev, uint64_t ino, char *why,
		     size_t size);
	/* as vmiaas_dirty_host_clean(); an error: every page dirty */
	int (*clean)(void *ctx, uint64_t first, uint8_t *bits);
};

/*
 * Turns the skip on for @v's checks (a long-lived handle whose backend
 * maps guest RAM from a file: the shm backend). Reads /proc/self/maps:
 * call before a sandbox. 0, or -EOPNOTSUPP with the reason in @why.
 */
int vmiaas_dirty_enable(struct vmiaas *v, const struct vmiaas_dirty_ops *ops,
			void *ctx, char *why, size_t size);

struct vmiaas_dirty_stats {
	uint64_t epochs;		/* epochs started */
	uint64_t hashed, skipped;	/* pages, since the skip went on */
};
/* -ENOENT if the skip is off. */
int vmiaas_dirty_stats(const struct vmiaas *v, struct vmiaas_dirty_stats *ret);

#ifdef __cplusplus
}
#endif
#endif /* VMIAAS_CHECKS_H */
