/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Inside libvmiaas: the attached guest and the helpers that views use.
 *
 * Views (tasks, modules, syscalls, IDT) see the guest only through these
 * helpers: kernel-virtual reads, kallsyms lookups and BTF layouts. No view
 * hard-codes a struct offset or a kernel version.
 */
#ifndef VMIAAS_ENGINE_H
#define VMIAAS_ENGINE_H

#include <stdlib.h>
#include <vmiaas/vmiaas.h>
#include "../../core/paging.h"
#include "../../core/kallsyms.h"
#include "backend.h"

struct btf;
struct symmap;

/* Caps on guest-driven work; a guest exceeding them gets -E2BIG/-ELOOP. */
#define VMIAAS_MAX_TASKS	(1U << 20)
#define VMIAAS_MAX_MODULES	8192
#define VMIAAS_MAX_LIST_WALK	(1U << 21)

/* A task as the census of hidden.c read it, for the checks after it. */
struct engine_task {
	u64 addr;		/* its task_struct */
	u64 mm, files;		/* as read: a kernel thread's are 0 */
	s32 pid, tgid;
};

/*
 * The tasks of one check's census (engine_tasks_shared()): kept only
 * between engine_tasks_keep() and engine_tasks_drop(), so that no check
 * ever sees another check's tasks.
 */
struct engine_tasks {
	struct engine_task *t;
	size_t nr, cap;
	bool keep;		/* the census keeps its tasks here */
	bool valid;		/* t[0..nr) are from this check's census */
};

struct vmiaas {
	struct backend *backend;
	struct vmi_as *kas;		/* kernel address space */
	struct vmi_ksym ksym;		/* points into ksym_copy */
	u8 *ksym_copy;			/* private copy of the tables */
	u32 *ksym_pos;			/* its names index, or NULL */
	struct symmap *symmap;		/* System.map override, or NULL */
	struct btf *btf;		/* libbpf, from the guest's .BTF */
	struct vmiaas_info info;
	struct vmiaas_diag diag;
	struct dirty_tracker *dirty;	/* soft-dirty skip (dirty.h), or NULL */
	struct syscall_memo *sc_memo;	/* checks.c's answers, or NULL */
	struct sym_memo *sym_memo;	/* engine_sym()'s answers, or NULL */
	struct layout_memo *layouts;	/* engine_layout_get()'s, or NULL */
	struct sc_upd_memo *sc_upd_memo;	/* patching.c's scan, or NULL */
	/* vmiaas_module_policy()'s proc-ops table (malloc()ed), or NULL */
	struct vmiaas_proc_watch *proc_table;
	size_t nr_proc_table;
	/* and its vfs-ops ranges ([start, end), sorted), or NULL */
	u64 (*vfs_ranges)[2];
	size_t nr_vfs_ranges;
	struct site_order *site_order;	/* patching.c's last sort, or NULL */
	/*
	 * Called by vmiaas_check_run() after each of its steps with the
	 * step's name (bench_check times the parts of a check with it), or
	 * NULL.
	 */
	void (*check_mark)(void *ctx, const char *step);
	void *check_mark_ctx;
	/*
	 * The backend's vCPU registers were read during this check (between
	 * engine_tasks_keep() and engine_tasks_drop(): census.keep) and the
	 * guest was not waited on since (engine_pause()): engine_vcpus()
	 * hands them on without another QMP round trip.
	 */
	bool vcpus_fresh;
	struct engine_tasks census;	/* engine_tasks_shared() */
};

/*
 * Room for element @nr of @size bytes in array @a of *@cap: @a itself, or
 * @a reallocated to twice the capacity (@first at first), or NULL (@a is
 * left as it was).
 */
static inline void *array_grow(void *a, size_t *cap, size_t nr, size_t size,
			       size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *n;

	if (nr < *cap)
		return a;
	n = realloc(a, c * size);
	if (n)
		*cap = c;
	return n;
}

/*
 * qsort()/bsearch() order of elements that start with a u64 key (plain
 * u64 arrays, or structs keyed by their first member).
 */
static inline int u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The tasks of vmiaas_tasks() (the same bounded walk: the task list and
 * each leader's threads) with only pid, tgid, comm, addr and mm read; the
 * other fields zero. kernel-mapping's walk of every task's mm.
 */
int engine_task_mms(struct vmiaas *v, struct vmiaas_task **ret,
		    size_t *ret_nr);

/*
 * One task walk per check: vmiaas_check_run() calls engine_tasks_keep()
 * before its steps and engine_tasks_drop() after them; in between, the
 * census of hidden-process and credentials (hidden.c, the most complete
 * and most checked walk: the IDR, the task list, thread lists, the
 * process tree, css_sets, each bounded and cycle-checked) leaves the
 * tasks it read, and kernel-mapping and vfs-ops take them from
 * engine_tasks_shared() instead of walking the task list again. Its
 * answer is NULL (each walks for itself) outside a check, before the
 * census ran, or after a census that failed. The fields are as read
 * when the census ran, a few milliseconds before: a task may have exited
 * since (its mm or files freed), so what a check finds through them is
 * confirmed through fresh reads (each check says how). The same pair
 * bounds the reuse of the vCPU registers (engine_vcpus()): both are the
 * scope of one check.
 */
void engine_tasks_keep(struct vmiaas *v);
void engine_tasks_drop(struct vmiaas *v);
const struct engine_task *engine_tasks_shared(const struct vmiaas *v,
					      size_t *ret_nr);

/* Reads kernel-virtual memory. 0 or -EFAULT/-ENOENT/-EBADMSG. */
int engine_read(struct vmiaas *v, u64 va, void *buf, size_t len);
static inline int engine_read_u64(struct vmiaas *v, u64 va, u64 *ret)
{
	return engine_read(v, va, ret, sizeof(*ret));
}

/*
 * Starts the host's cache miss for @va's line, so that several misses
 * overlap before the reads that wait for them; no effect on errors.
 */
void engine_prefetch(struct vmiaas *v, u64 va);
/*
 * The same for every line of [@va, @va + @len) if they lie in one page:
 * returns where the host maps them, for a later engine_read_at(), or NULL
 * (not mapped by the host, or crossing a page: engine_read() them).
 */
const u8 *engine_prefetch_span(struct vmiaas *v, u64 va, u32 len);

/*
 * Reads @len bytes at @va, through @host if engine_prefetch_span() of the
 * same range in the same check returned it (the translation is the one
 * engine_read() would use), else as engine_read().
 */
static inline int engine_read_at(struct vmiaas *v, const u8 *host, u64 va,
				 void *buf, size_t len)
{
	if (host) {
		memcpy(buf, host, len);
		return 0;
	}
	return engine_read(v, va, buf, len);
}

/*
 * Waits @us while the guest runs, then forgets the cached translations:
 * what the guest did meanwhile (vmalloc'd memory freed and its addresses
 * reused: module memory, stacks, BPF images) must be read through its
 * page tables as they are now. A walk run again through the old ones
 * reads the old frames: it fails again, or passes, as it did before.
 * Every read again after a pause is made after this.
 */
void engine_pause(struct vmiaas *v, unsigned int us);

/*
 * vmiaas_vcpus(), or a copy of the registers it read earlier in the same
 * check (v->vcpus_fresh): one QMP round trip a check for cpu-state and
 * hw-breakpoint. A confirming scan, after engine_pause(), reads again.
 */
int engine_vcpus(struct vmiaas *v, struct vmiaas_vcpu **ret, size_t *ret_nr);

/* Address of a kernel symbol; -ENOENT if the kernel has none. */
int engine_sym(struct vmiaas *v, const char *name, u64 *ret);

/*
 * A check's layout (@size bytes at @l) as the handle memoized it under
 * @key (the address of a static object of the caller's): true if it was,
 * copied into @l. Else the caller resolves it and, if that succeeds,
 * engine_layout_put()s it. Only for what comes from the BTF and the
 * kallsyms copy, both fixed once attached (engine_sym()'s memo): a check
 * resolved some 600 BTF members a check (each a few host cache misses
 * after the hashing), a dozen layouts now. Never for anything read from
 * guest memory. Handles that vmiaas_open() did not make (unit tests) have
 * no memo.
 */
bool engine_layout_get(struct vmiaas *v, const void *key, void *l,
		       size_t size);
void engine_layout_put(struct vmiaas *v, const void *key, const void *l,
		       size_t size);

struct btf_fn_member;
/*
 * btf_fn_members() of the handle's BTF, its answers (and -ENOENT)
 * memoized by @type's name (engine_layout_get()): a check asked for the
 * function pointers of struct proto, proto_ops, the netdev and tty
 * tables at every scan, each a walk of the struct's members.
 */
int engine_fn_members(struct vmiaas *v, const char *type,
		      struct btf_fn_member *out, u32 max, u32 *ret_nr);

/*
 * Address of symbol @name (under 64 bytes) in the live module @module's
 * own symbol table (agent.c); -ENOENT if no such module or symbol.
 */
int engine_module_sym(struct vmiaas *v, const char *module, const char *name,
		      u64 *ret);

/*
 * vmiaas_syscalls(), with each entry's symbol left empty unless @symbols:
 * a check only names the entries it reports, after comparing addresses.
 */
int engine_syscalls(struct vmiaas *v, bool symbols,
		    struct vmiaas_syscall **ret, size_t *ret_nr);
/* vmiaas_idt(), likewise. */
int engine_idt(struct vmiaas *v, u32 vcpu, bool symbols, u64 *ret_base,
	       struct vmiaas_idt_gate **ret, size_t *ret_nr);

/* Records a failure on @v for vmiaas_last_diag(); returns @err. */
#define engine_fail(v, err, ...) diag_set(&(v)->diag, err, __VA_ARGS__)

/* ---- BTF (btf.c) ---- */

/*
 * Finds the kernel's vmlinux BTF in @buf (guest memory, e.g. the kernel
 * image) and returns its offset and size. Module (split) BTF is refused.
 * -ENOENT if there is none; -ELOOP if candidates used up BTF_LOCATE_BUDGET
 * before one passed btf_check().
 */
int btf_locate(const u8 *buf, size_t len, size_t *ret_off, size_t *ret_size);

/*
 * Checks (btf_check()) and parses with libbpf; requires a complete struct
 * task_struct. *ret is freed with btf__free; the lookups below only read
 * it, so threads may share it. -EBADMSG, -E2BIG, -ENOENT, -ENOMEM.
 */
int btf_load(const u8 *data, size_t size, struct btf **ret);

/*
 * Frees a btf_load()ed BTF and the name index that lookups build once a
 * handle has made a few (a btf__free()d one leaves its index behind until
 * the next btf_load() at that address: only memory).
 */
void btf_unload(struct btf *btf);

/*
 * Byte offset of a member path in a struct, through anonymous structs and
 * unions: btf_offsetof(btf, "task_struct", "tasks", &off) or a dotted path
 * such as "se.vruntime". -ENOENT if absent; -EINVAL for bitfields.
 */
int btf_offsetof(const struct btf *btf, const char *type, const char *path,
		 u32 *ret_off);
/* Where a member's offset goes, for btf_offsets(). */
struct btf_member_ref {
	const char *type, *path;
	u32 *off;
};

/*
 * btf_offsetof() of each of @nr members: 0, or its error with *@ret_bad
 * (may be NULL) the first member the kernel lacks.
 */
int btf_offsets(const struct btf *btf, const struct btf_member_ref *m,
		size_t nr, const struct btf_member_ref **ret_bad);
/* Size of a member's type (after typedefs/qualifiers) and of a struct. */
int btf_member_size(const struct btf *btf, const char *type,
		    const char *path, u32 *ret_size);
int btf_sizeof(const struct btf *btf, const char *type, u32 *ret_size);
/* A member of a struct that is a pointer to a function. */
struct btf_fn_member {
	const char *name;	/* in the BTF's strings */
	u32 off;		/* byte offset */
};

/*
 * The function-pointer members of struct @type (its own, not those of
 * nested structs), in order: at most @max in @out, their number in
 * *@ret_nr. -ENOENT no such struct, -E2BIG more than @max.
 */
int btf_fn_members(const struct btf *btf, const char *type,
		   struct btf_fn_member *out, u32 max, u32 *ret_nr);
/* Value of an enumerator, e.g. "MODULE_STATE_LIVE". */
int btf_enum_value(const struct btf *btf, const char *name, s64 *ret);

/* Caps on what a guest's BTF can make us do. */
#define BTF_SIZE_MAX		(64U << 20)	/* whole blob */
#define BTF_DEPTH_MAX		32	/* typedef chains, anonymous nesting */
#define BTF_PATH_MAX		16	/* elements in a member path */
#define BTF_LOCATE_BUDGET	(256ULL << 20)	/* type bytes walked by locate */

/*
 * A member path resolved in full. Paths are "a.b.c" with optional array
 * indexes "mem[0].base" (bounds-checked against the array length).
 */
struct btf_field {
	u32 type_id;		/* member type, typedefs/qualifiers stripped */
	u32 size;		/* bytes of that type (bitfield: the int's) */
	u64 bit_off;		/* from the start of the outer type */
	u32 bit_size;		/* 0 unless a bitfield */
};

/*
 * Like btf_offsetof() but accepts bitfields and reports everything.
 * 0, -ENOENT (type or member absent), -EINVAL (malformed path, index out of
 * bounds, path through a non-struct), -ELOOP (BTF_DEPTH_MAX), -E2BIG.
 */
int btf_field(const struct btf *btf, const char *type, const char *path,
	      struct btf_field *ret);

/*
 * Checks a BTF blob at @buf without libbpf: header, string section, every
 * type's size, kind, name and referenced ids. Returns its size in *ret_size
 * and its type count (without void) in *ret_nr_types. -EBADMSG if any part
 * is malformed or refers outside itself (module split BTF does), -E2BIG
 * over BTF_SIZE_MAX. btf_load() runs it first: libbpf 1.1 does no such
 * check (btf__type_by_id() trusts every id).
 */
int btf_check(const u8 *buf, size_t len, size_t *ret_size, u32 *ret_nr_types);

#endif /* VMIAAS_ENGINE_H */
