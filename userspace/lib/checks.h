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
#include "bpf_census.h"
#include "engine.h"
#include "modarea.h"
#include "../../core/execmem.h"
#include "../../core/measure.h"

#define BL_VERSION		3
#define BL_VERSION_OLDEST	2	/* read still: no BPF programs */
#define BL_FILE_MAX		(1024ULL << 20)	/* baseline file size cap */
#define BL_TEXT_MAX		(256ULL << 20)	/* kernel text cap */
#define BL_RODATA_MAX		(256ULL << 20)	/* kernel rodata cap */
#define BL_MODTEXT_MAX		(64ULL << 20)	/* one module's text cap */
#define BL_MODTEXT_TOTAL_MAX	(512ULL << 20)	/* all modules' text cap */
#define BL_SALT_SIZE		16
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

/* The keyed page MAC of a baseline (vmiaas_baseline.mac, in the file). */
enum bl_mac {
	BL_MAC_HMAC_SHA256 = 1,		/* 32-byte tags */
	BL_MAC_GMAC_AES128 = 2,		/* AES-128-GCM, page as AAD: 16 bytes */
	BL_MAC_POLY1305_AES = 3,	/* Poly1305, per-page key from AES: 16 */
};

/*
 * A measured guest-virtual range: a MAC per page and the bytes. The bytes
 * of a loaded baseline are in its file's read-only mapping (@mapped: not
 * freed with the region; see vmiaas_baseline.map).
 */
struct bl_region {
	u64 start, end;
	u8 *digests;			/* one per page, digest_size bytes */
	u8 *bytes;			/* end - start bytes at baseline */
	bool mapped;
};

#define BL_MODULE_NAME		56	/* MODULE_NAME_LEN */

/* A module's read-only data regions (bl_module.ro[]). */
enum bl_module_ro {
	BL_MODULE_RODATA,		/* const data */
	BL_MODULE_RO_AFTER_INIT,	/* __ro_after_init, __jump_table... */
	BL_MODULE_NR_RO,
};

/* One module at baseline (vmiaas_baseline.modules). */
struct bl_module {
	char name[BL_MODULE_NAME];
	u64 addr;			/* struct module * */
	struct bl_region text;		/* base .. base + text size */
	struct bl_region ro[BL_MODULE_NR_RO];	/* empty: start == end */
};

/*
 * A writable kernel string the kernel runs as a root program
 * (modprobe_path, core_pattern...), as measured at baseline; the record
 * of the file's HELPERS section (check_helpers.c).
 */
#define BL_HELPER_NAME		32
#define BL_HELPER_VALUE		256
#define BL_HELPERS_MAX		32
struct bl_helper {
	char name[BL_HELPER_NAME];	/* the kernel symbol */
	u32 size;			/* of its buffer (<= BL_HELPER_VALUE) */
	u32 reserved;
	char value[BL_HELPER_VALUE];	/* NUL-terminated */
};
static_assert(sizeof(struct bl_helper) == 296, "bl_helper layout");

/*
 * A program path of usermode-helper that lives in a guest object, not a
 * fixed symbol, as measured at baseline; the record of the file's
 * UMH_PATHS section (check_umhpaths.c): a cgroup v1 hierarchy's non-empty
 * release_agent, or a binfmt_misc handler of the initial user namespace.
 */
enum bl_umh_kind {
	BL_UMH_RELEASE_AGENT = 1,	/* name: the hierarchy; value: agent */
	BL_UMH_BINFMT = 2,		/* name: the handler; value: interpreter */
};
#define BL_UMH_NAME		256
#define BL_UMH_MATCH		256	/* BINPRM_BUF_SIZE */
#define BL_UMH_VALUE		4096	/* PATH_MAX */
#define BL_UMH_MAX		1024
struct bl_umh {
	u32 kind;			/* enum bl_umh_kind */
	u32 flags;			/* binfmt: Node.flags' low 32 bits */
	s32 offset;			/* binfmt: of the magic in the file */
	u32 size;			/* binfmt: of magic and mask */
	char name[BL_UMH_NAME];		/* NUL-terminated */
	u8 magic[BL_UMH_MATCH];		/* binfmt (E: the extension) */
	u8 mask[BL_UMH_MATCH];		/* binfmt: 0xff where no mask */
	char value[BL_UMH_VALUE];	/* NUL-terminated */
};
static_assert(sizeof(struct bl_umh) == 4880, "bl_umh layout");

/*
 * A kernel-created /proc entry's ops pointers at baseline: proc_ops (or
 * proc_dir_ops), proc_iops, seq_ops (or single_show); the record of the
 * file's PROC_OPS section, sorted by path (check_procops.c).
 */
#define BL_PROC_PTRS		3
#define BL_PROC_PATH		104
#define BL_PROC_OPS_MAX		8192
struct bl_proc_op {
	char path[BL_PROC_PATH];	/* "/proc/net/tcp", NUL-terminated */
	u64 ptr[BL_PROC_PTRS];
};
static_assert(sizeof(struct bl_proc_op) == 128, "bl_proc_op layout");

/*
 * A line discipline of the kernel's own at baseline: tty_ldiscs[num] a
 * table in the kernel image whose functions are all in the kernel's text
 * (n_tty_ops); the record of the file's TTY_LDISCS section, by number
 * (check_tty.c). fn[] in the order of the BTF's function pointers of
 * struct tty_ldisc_ops (the baseline is bound to the kernel build).
 */
#define BL_TTY_FNS		24	/* VMI_TTY_FNS_MAX */
#define BL_TTY_NAME		32
#define BL_TTY_MAX		64	/* VMI_TTY_LDISCS_MAX */
struct bl_tty_ldisc {
	u32 num, nr_fns;
	u64 ops;			/* struct tty_ldisc_ops */
	char name[BL_TTY_NAME];		/* its name, NUL-terminated */
	u64 fn[BL_TTY_FNS];
};
static_assert(sizeof(struct bl_tty_ldisc) == 240, "bl_tty_ldisc layout");

/* Hooks present at baseline: the file's HOOKS section (hookpolicy.c). */
#define BL_HOOKS_MAX		VMIAAS_BASELINE_HOOKS_MAX
static_assert(sizeof(struct vmiaas_baseline_hook) == 160,
	      "vmiaas_baseline_hook layout");

struct vmiaas_baseline {
	u32 version;
	u32 mac;			/* enum bl_mac */
	u32 digest_size;		/* of every page MAC */
	u8 salt[BL_SALT_SIZE];		/* per baseline: the page key's */
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
	struct bl_region rodata;	/* __start_rodata..__end_rodata */
	u32 nr_modules;
	struct bl_module *modules;	/* module text, per module */
	char origin[64];		/* "golden NAME", "" measured (ORIGIN) */
	struct bpf_baseline bpf;	/* the BPF programs (version 3) */
	bool has_helpers;		/* a HELPERS section (older files: none) */
	u32 nr_helpers;
	struct bl_helper helpers[BL_HELPERS_MAX];
	bool has_umh;			/* a UMH_PATHS section (older: none) */
	u32 nr_umh;
	struct bl_umh *umh;		/* malloc()ed */
	bool has_proc_ops;		/* a PROC_OPS section (older files: none) */
	u32 nr_proc_ops;
	struct bl_proc_op *proc_ops;	/* malloc()ed, sorted by path */
	bool has_tty;			/* a TTY_LDISCS section (older: none) */
	u32 nr_tty;
	struct bl_tty_ldisc *tty;	/* malloc()ed, sorted by number */
	bool has_hooks;			/* a HOOKS section (older files: none) */
	u32 nr_hooks;
	u32 nr_hooks_over;		/* at baseline, beyond BL_HOOKS_MAX */
	struct vmiaas_baseline_hook *hooks;	/* malloc()ed */
	u8 page_key[32];		/* derived from the host key; not saved */
	/*
	 * A loaded baseline: its file mapped read-only, where the text,
	 * rodata and module bytes stay (NULL: they are malloc()ed). The
	 * page cache holds them, not this process: a check reads only
	 * those of pages that differ (docs/vmid.md, "Memory").
	 */
	void *map;
	size_t map_len;
};

/*
 * For golden baselines (golden.c): a baseline file loaded with its MAC
 * verified and bound to the attached kernel build only (not to the
 * boot); the release and banner in a file's header, unverified, to pick
 * candidates; the page MACs of @bytes at [@start, @end) with @b's key.
 */
int bl_load_build(struct vmiaas *v, const char *path,
		  const u8 key[VMIAAS_KEY_SIZE], struct vmiaas_baseline **ret);
int bl_peek_ident(const char *path, char release[65], char banner[256]);
int bl_region_rehash(const struct vmiaas_baseline *b, u64 start, u64 end,
		     const u8 *bytes, u8 *digests);

#define BL_DIGEST		32	/* the largest page MAC */

/*
 * Keyed page hashing for vmi_measure_range(): @mac an enum bl_mac, @key
 * the page key. Contexts are keyed once and reused for every page.
 */
struct bl_hasher;
int bl_hasher_new(u32 mac, const u8 key[32], struct bl_hasher **ret,
		  struct vmi_hash_ops *ret_ops);
struct bl_hasher *bl_hasher_free(struct bl_hasher *h);
const char *bl_mac_name(u32 mac);
extern u32 bl_default_mac;		/* of new baselines */
u32 bl_mac_digest_size(u32 mac);	/* 0: unknown */

/*
 * Hashes [@start, @end) into @ret (allocated: digests, and the bytes if
 * @keep_bytes), with @b's MAC and page key; @what names the range in
 * error messages.
 */
int bl_region_take(struct vmiaas *v, const struct vmiaas_baseline *b,
		   u64 start, u64 end, bool keep_bytes, const char *what,
		   struct bl_region *ret);
void bl_region_free(struct bl_region *r);

/* A run of differing bytes of a measured range (bl_region_diff()). */
struct bl_diff_ops {
	int (*run)(void *ctx, u64 va, u64 len, const u8 *old, const u8 *now);
	void *ctx;
};

#define BL_REGION_MAX_PAGES	4096	/* differing pages examined */

/*
 * Re-hashes @r now; for each page whose MAC differs (the first
 * BL_REGION_MAX_PAGES),
 * each run of differing bytes goes to @ops. *@ret_nr_pages: pages that
 * differ.
 */
int bl_region_diff(struct vmiaas *v, const struct vmiaas_baseline *b,
		   const struct bl_region *r, const char *what,
		   const struct bl_diff_ops *ops, u64 *ret_nr_pages);

struct hidden_sink;

/*
 * bl_region_diff() of read-only data: every run is a finding of @check
 * (a pointer-sized run shown as old and new pointers); @what names the
 * data in messages ("kernel data"); objects are "@label+0xoff" from the
 * region's start, or by symbol if @label is NULL; [@rai_start, @rai_end)
 * is read-only-after-init.
 */
int bl_data_diff(struct vmiaas *v, const struct vmiaas_baseline *b,
		 const struct bl_region *r, const char *check, const char *what,
		 const char *label, u64 rai_start, u64 rai_end,
		 const struct hidden_sink *sink);

/* __start_rodata and __end_rodata, checked. */
int bl_rodata_range(struct vmiaas *v, u64 *ret_start, u64 *ret_end);

/* Every module's text (check_modtext.c); *ret free() with bl_modules_free. */
int bl_modules_take(struct vmiaas *v, const struct vmiaas_baseline *b,
		    struct bl_module **ret, u32 *ret_nr);
void bl_modules_free(struct bl_module *m, u32 nr);
/* Live modules now, their text and data ranges only (check_modtext.c). */
int bl_modules_now(struct vmiaas *v, struct bl_module **ret, u32 *ret_nr);

/* The checks in their own files; findings go to a hidden.h sink. */
struct hidden_sink;
int check_rodata(struct vmiaas *v, const struct vmiaas_baseline *b,
		 const struct hidden_sink *sink);
int check_modtext(struct vmiaas *v, const struct vmiaas_baseline *b,
		  const struct hidden_sink *sink);
/* usermode-helper (check_helpers.c): the strings now into @b. */
int bl_helpers_take(struct vmiaas *v, struct vmiaas_baseline *b);
int check_helpers(struct vmiaas *v, const struct vmiaas_baseline *b,
		  const struct hidden_sink *sink);
/*
 * usermode-helper's release agents and binfmt_misc handlers
 * (check_umhpaths.c): now into @b; the UMH_PATHS section; the comparison.
 */
int bl_umh_take(struct vmiaas *v, struct vmiaas_baseline *b);
int bl_umh_parse(struct vmiaas_baseline *b, const void *p, u64 len);
int check_umh_paths(struct vmiaas *v, const struct vmiaas_baseline *b,
		    const struct hidden_sink *s);
/* proc-ops (check_procops.c): the entries now into @b; its section. */
int bl_proc_ops_take(struct vmiaas *v, struct vmiaas_baseline *b);
int bl_proc_ops_parse(struct vmiaas_baseline *b, const void *p, u64 len);
int bl_proc_ops_rebase(const struct vmiaas_baseline *g,
		       struct vmiaas_baseline *b, u64 delta);
int check_proc_ops(struct vmiaas *v, const struct vmiaas_baseline *b,
		   const struct hidden_sink *sink);
/*
 * A section of @size-byte records (@len bytes at @p): whole records, at
 * most @max, copied to *@ret (malloc()ed), their number in *@ret_nr.
 * -EBADMSG, -ENOMEM.
 */
int bl_records_copy(const void *p, u64 len, size_t size, u64 max, void **ret,
		    u32 *ret_nr);
/*
 * tty-ldisc's kernel disciplines (check_tty.c): now into @b; the
 * TTY_LDISCS section; a golden baseline's, slid by @delta.
 */
int bl_tty_take(struct vmiaas *v, struct vmiaas_baseline *b);
int bl_tty_parse(struct vmiaas_baseline *b, const void *p, u64 len);
int bl_tty_rebase(const struct vmiaas_baseline *g, struct vmiaas_baseline *b,
		  u64 delta);
/* Hooks present at baseline (hookpolicy.c): taken, parsed, from golden. */
int bl_hooks_take(struct vmiaas *v, struct vmiaas_baseline *b);
int bl_hooks_parse(struct vmiaas_baseline *b, const void *p, u64 len);
void bl_hooks_golden(const struct vmiaas_baseline *g,
		     struct vmiaas_baseline *b);
/*
 * Whether baseline module @old is live now (in @now) at the same place,
 * same struct module and ranges, its text as measured but for the
 * kernel's own runtime patching (check_modtext.c): *@ret.
 */
int bl_module_unchanged(struct vmiaas *v, const struct vmiaas_baseline *b,
			const struct bl_module *old, const struct bl_module *now,
			u32 nr_now, bool *ret);
/* exec-memory (check_exec.c): needs no baseline. */
int check_exec(struct vmiaas *v, const struct hidden_sink *sink);
/* kernel-mapping (check_kmap.c): needs no baseline. */
int check_kmap(struct vmiaas *v, const struct hidden_sink *sink);
/* notifier-hook (check_notifier.c): needs no baseline. */
int check_notifiers(struct vmiaas *v, const struct hidden_sink *sink);
/*
 * check_confirmed() (check_confirm.c): runs @scan twice, 50 ms apart,
 * and passes to @sink what the second scan reports that the first
 * reported too (same check, object and message): findings about
 * objects torn down during a scan are not confirmed.
 */
typedef int (*check_scan_fn)(struct vmiaas *v, const struct hidden_sink *sink,
			     void *arg);
int check_confirmed(struct vmiaas *v, check_scan_fn scan, void *arg,
		    const struct hidden_sink *sink);
/* Its wait, and exec-memory's and kernel-mapping's: 50 ms (fuzzing: 0). */
extern unsigned int check_rescan_us;
/*
 * The hook lists, judged by hookpolicy.h's rules; @trust (NULL: none)
 * the hooks present at baseline (hook_trust_get()).
 * netfilter-hook (check_netfilter.c), packet-tap (check_ptype.c),
 * input-handler (check_input.c), tracepoint-hook (check_tracepoint.c),
 * net-protocol (check_netproto.c).
 */
struct hook_trust;
int check_netfilter(struct vmiaas *v, const struct hidden_sink *sink,
		    struct hook_trust *trust);
int check_packet_taps(struct vmiaas *v, const struct hidden_sink *sink,
		      struct hook_trust *trust);
int check_input_handlers(struct vmiaas *v, const struct hidden_sink *sink,
			 struct hook_trust *trust);
int check_tracepoints(struct vmiaas *v, const struct hidden_sink *sink,
		      struct hook_trust *trust);
int check_net_protocols(struct vmiaas *v, const struct hidden_sink *sink,
			struct hook_trust *trust);
/*
 * hw-breakpoint (check_hwbp.c): each CPU's bp_per_reg[] handlers by the
 * hook rules, each vCPU's enabled debug registers against them.
 */
int check_hw_breakpoints(struct vmiaas *v, const struct hidden_sink *sink,
			 struct hook_trust *trust);
/* tty-ldisc (check_tty.c): line disciplines' tables, each tty's table. */
int check_tty_ldiscs(struct vmiaas *v, const struct hidden_sink *sink,
		     struct hook_trust *trust);
/*
 * netdev-hook (check_netdev.c): every network device's rx_handler, its
 * netdev_ops, ethtool_ops and header_ops tables, its XDP programs.
 */
int check_netdev_hooks(struct vmiaas *v, const struct hidden_sink *sink,
		       struct hook_trust *trust);
/*
 * The eight, a tainted module's hook present at baseline in the same
 * module, its text unchanged, an event (hookpolicy.c).
 */
int check_hook_lists(struct vmiaas *v, const struct vmiaas_baseline *b,
		     const struct hidden_sink *sink);

#define EXEC_ALLOW_MAX		4

/* exec-memory's policy: what the kernel maps executable itself. */
struct exec_allow {
	struct vmi_exec_allow allow[EXEC_ALLOW_MAX];
	u32 nr;
	struct modarea modules;	/* the module mapping range */
};

int exec_allow_get(struct vmiaas *v, struct exec_allow *p);

/* vmiaas_module_policy()'s parts: records appended at *@nr. */
int exec_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		      size_t max, size_t *nr);
int helpers_module_checks(struct vmiaas *v, struct vmiaas_module_check *out,
			  size_t max, size_t *nr);
int nf_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		    size_t max, size_t *nr, struct hook_trust *trust);
int proc_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		      size_t max, size_t *nr);
int ptype_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		       size_t max, size_t *nr, struct hook_trust *trust);
int input_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		       size_t max, size_t *nr, struct hook_trust *trust);
int tp_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		    size_t max, size_t *nr, struct hook_trust *trust);
int tty_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		     size_t max, size_t *nr, struct hook_trust *trust);
int proto_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		       size_t max, size_t *nr, struct hook_trust *trust);
int netdev_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
			size_t max, size_t *nr, struct hook_trust *trust);

/*
 * Names for the walks' suspects (check_netfilter.c, check_procops.c,
 * check_ptype.c, check_input.c, check_tracepoint.c).
 */
struct vmi_nf_hook;
struct vmi_proc_entry;
struct vmi_ptype_hook;
struct vmi_tp_probe;
void nf_point_name(struct vmiaas *v, u32 dev_name, const struct vmi_nf_hook *e,
		   char *point, size_t size);
const char *nf_bad_why(const struct vmi_nf_hook *e);
const char *proc_bad_why(const struct vmi_proc_entry *e);
/* "ETH_P_ALL" or "type 0x0800": a packet_type.type as stored. */
void ptype_name(u16 type_be, char *buf, size_t size);
/* "ptype_all", "ptype_base[3]", "eth0's ptype_specific": @e's list. */
void ptype_list_name(const struct vmi_ptype_hook *e, const char *owner,
		     char *buf, size_t size);
/* "event", "connect"...: struct input_handler's callback @i, or "?". */
const char *input_fn_name(u32 i);
/* Why core/tpwalk.c could not walk @p. */
const char *tp_bad_why(const struct vmi_tp_probe *p);

/* From checks.c: "sym+0xoff", "[module]+0xoff" or the address. */
void check_symbolize(struct vmiaas *v, u64 addr, char *buf, size_t size);

/*
 * From checks.c: whether text_classify() explains a run of differing
 * text bytes (kernel or module text), as for kernel-text; @old: the
 * run's bytes at baseline (NULL: the kernel text's). @ctx holds what the
 * classifier loaded: NULL at first, freed with check_text_ctx_free().
 */
struct text_ctx;
bool check_text_explained(struct vmiaas *v, const struct vmiaas_baseline *b,
			  struct text_ctx **ctx, u64 va, u64 len,
			  const u8 *old);
void check_text_ctx_free(struct text_ctx *ctx);
/* Why the last run it did not explain had a site's bytes refused, or NULL. */
const char *check_text_rejected(const struct text_ctx *ctx);

/* Guest-virtual reads for core/measure.c through engine_read(). */
void bl_read_ops(struct vmiaas *v, struct vmi_read_ops *ret);

/* The boot tag of the guest now (see docs/integrity.md). */
int bl_boot_tag(struct vmiaas *v, u64 *ret_tag, u32 *ret_kind);

/* _stext and _etext, checked. */
int bl_text_range(struct vmiaas *v, u64 *ret_start, u64 *ret_end);

#endif /* VMIAAS_LIB_CHECKS_H */
