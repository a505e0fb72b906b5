// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Attaching to a guest: memory backend, kernel image (KASLR), kallsyms and
 * BTF, each found in guest memory with nothing configured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/btf.h>
#include "engine.h"
#include "symmap.h"
#include "dirty.h"
#include "patching.h"
#include "../../core/kernel.h"

/* The kernel image is physically contiguous; it is far smaller than this. */
#define IMAGE_WINDOW		(256ULL << 20)
#define BANNER_MAX		256

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/* Which RAM range holds @pa, and how many bytes of it follow @pa. */
static u64 phys_avail(const struct vmi_phys *phys, u64 pa)
{
	unsigned int i;

	for (i = 0; i < phys->nr_ranges; i++) {
		const struct vmi_phys_range *r = &phys->ranges[i];

		if (pa >= r->gpa && pa - r->gpa < r->size)
			return r->size - (pa - r->gpa);
	}
	return 0;
}

/*
 * Faults a mapped window in with one call: scanning it page by page would
 * take a page fault per 4 KiB (about a third of attach time otherwise).
 */
static void prefault(const u8 *buf, size_t len)
{
#ifdef MADV_POPULATE_READ
	uintptr_t start = (uintptr_t)buf & ~(uintptr_t)(VMI_PAGE_SIZE - 1);

	madvise((void *)start, (uintptr_t)buf + len - start, MADV_POPULATE_READ);
#endif
}

/*
 * A window of guest-physical memory as one host buffer: the mapping itself
 * when the backend maps it, else a private copy.
 */
struct window {
	const u8 *buf;
	size_t len;
	u64 pa;
	u8 *copy;
};

static int window_get(const struct vmi_phys *phys, u64 pa, u64 len,
		      struct window *w)
{
	u64 avail = phys_avail(phys, pa);
	int err;

	len = min(len, avail);
	if (!len)
		return -EFAULT;
	w->pa = pa;
	w->len = len;
	w->copy = NULL;
	w->buf = vmi_phys_ptr(phys, pa, len);
	if (w->buf) {
		if (len <= IMAGE_WINDOW)
			prefault(w->buf, len);
		return 0;
	}
	w->copy = malloc(len);
	if (!w->copy)
		return -ENOMEM;
	err = vmi_phys_read(phys, pa, w->copy, len);
	if (err) {
		free(w->copy);
		return err;
	}
	w->buf = w->copy;
	return 0;
}

static void window_put(struct window *w)
{
	free(w->copy);
	w->copy = NULL;
}

/* __pa_symbol(): image addresses translate by subtraction. */
static u64 image_pa(const struct vmiaas *v, u64 va)
{
	return va - v->info.text_va + v->info.text_pa;
}

static int image_read(const struct vmiaas *v, u64 va, void *buf, size_t len)
{
	if (va < v->info.text_va || va - v->info.text_va >= IMAGE_WINDOW)
		return -EFAULT;
	return vmi_phys_read(&v->backend->phys, image_pa(v, va), buf, len);
}

static int sym_resolve(struct vmiaas *v, const char *name, u64 *ret)
{
	u64 addr, text;
	int err;

	if (!v->symmap)
		return vmi_ksym_lookup_name(&v->ksym, name, ret);
	/* System.map holds link-time addresses: add the KASLR slide. */
	err = symmap_lookup(v->symmap, name, &addr);
	if (!err)
		err = symmap_lookup(v->symmap, "_text", &text);
	if (!err)
		*ret = addr - text + v->info.text_va;
	return err;
}

/*
 * Answers of sym_resolve() for one handle: its kallsyms copy, System.map
 * and KASLR slide never change after attach, and a check asks for the same
 * few dozen names each time (~17 names decoded per kallsyms lookup).
 * Open addressing by a hash of the name, probing SYM_MEMO_PROBES slots: a
 * check asks for some 200 names, and direct mapping made some 18 of them
 * evict each other at every check (runqueues/modules, init_pid_ns/
 * cached_stacks...), each a kallsyms lookup again; 256 slots with 8 probes
 * still left 16 names a check (6.1, 2026-12-01) looked up again (some 13 us
 * each: a binary search of names no cache holds after the hashing). A full
 * neighbourhood or a longer name only costs the lookup again.
 * vmiaas_open() turns it on once attached: during attach the slide is
 * still being worked out.
 */
#define SYM_MEMO_SLOTS		1024	/* power of two */
#define SYM_MEMO_PROBES		8
#define SYM_MEMO_NAME		48

struct sym_memo {
	struct {
		char name[SYM_MEMO_NAME];	/* "": an empty slot */
		u64 addr;
		int err;
	} slot[SYM_MEMO_SLOTS];
};

/* FNV-1a of @name; its length through @ret_len (at most SYM_MEMO_NAME). */
static u32 sym_hash(const char *name, size_t *ret_len)
{
	u32 h = 2166136261U;
	size_t i;

	for (i = 0; i < SYM_MEMO_NAME && name[i]; i++)
		h = (h ^ (u8)name[i]) * 16777619U;
	*ret_len = i;
	return h;
}

/*
 * The slot holding @name, else the first empty one of its neighbourhood,
 * else its home slot (evicted).
 */
static u32 sym_memo_slot(const struct sym_memo *m, const char *name, u32 h)
{
	u32 i, s;

	for (i = 0; i < SYM_MEMO_PROBES; i++) {
		s = (h + i) & (SYM_MEMO_SLOTS - 1);
		if (!m->slot[s].name[0] || !strcmp(m->slot[s].name, name))
			return s;
	}
	return h & (SYM_MEMO_SLOTS - 1);
}

int engine_sym(struct vmiaas *v, const char *name, u64 *ret)
{
	size_t len;
	u32 h = sym_hash(name, &len), s;
	int err;

	if (!v->sym_memo || !len || len >= SYM_MEMO_NAME)
		return sym_resolve(v, name, ret);
	s = sym_memo_slot(v->sym_memo, name, h);
	if (!strcmp(v->sym_memo->slot[s].name, name)) {
		if (!v->sym_memo->slot[s].err)
			*ret = v->sym_memo->slot[s].addr;
		return v->sym_memo->slot[s].err;
	}
	err = sym_resolve(v, name, ret);
	if (err && err != -ENOENT)
		return err;	/* not an answer: a corrupt table says so */
	memcpy(v->sym_memo->slot[s].name, name, len + 1);
	v->sym_memo->slot[s].addr = err ? 0 : *ret;
	v->sym_memo->slot[s].err = err;
	return err;
}

#define LAYOUT_MEMO_MAX		32
#define FN_MEMO_MAX		16
#define FN_MEMO_TYPE		48

struct layout_memo {
	struct {
		const void *key;
		size_t size;
		void *data;
	} e[LAYOUT_MEMO_MAX];
	u32 nr;
	struct {
		char type[FN_MEMO_TYPE];
		u32 max, nr;
		int err;
		struct btf_fn_member *fns;	/* @nr of them */
	} fn[FN_MEMO_MAX];
	u32 nr_fn;
};

bool engine_layout_get(struct vmiaas *v, const void *key, void *l,
		       size_t size)
{
	const struct layout_memo *m = v->layouts;
	u32 i;

	for (i = 0; m && i < m->nr; i++) {
		if (m->e[i].key == key && m->e[i].size == size) {
			memcpy(l, m->e[i].data, size);
			return true;
		}
	}
	return false;
}

void engine_layout_put(struct vmiaas *v, const void *key, const void *l,
		       size_t size)
{
	struct layout_memo *m = v->layouts;
	void *data;
	u32 i;

	if (!m || m->nr >= LAYOUT_MEMO_MAX)
		return;		/* resolved again next time: only slower */
	for (i = 0; i < m->nr; i++)
		if (m->e[i].key == key)
			return;
	data = malloc(size);
	if (!data)
		return;
	memcpy(data, l, size);
	m->e[m->nr].key = key;
	m->e[m->nr].size = size;
	m->e[m->nr++].data = data;
}

int engine_fn_members(struct vmiaas *v, const char *type,
		      struct btf_fn_member *out, u32 max, u32 *ret_nr)
{
	struct layout_memo *m = v->layouts;
	size_t len = strlen(type);
	u32 i;
	int err;

	for (i = 0; m && i < m->nr_fn; i++) {
		if (m->fn[i].max != max || strcmp(m->fn[i].type, type))
			continue;
		*ret_nr = m->fn[i].nr;
		memcpy(out, m->fn[i].fns, m->fn[i].nr * sizeof(*out));
		return m->fn[i].err;
	}
	err = btf_fn_members(v->btf, type, out, max, ret_nr);
	if ((err && err != -ENOENT) || !m || m->nr_fn >= FN_MEMO_MAX ||
	    len >= FN_MEMO_TYPE)
		return err;	/* not remembered: asked again next time */
	i = m->nr_fn;
	m->fn[i].nr = err ? 0 : *ret_nr;
	m->fn[i].fns = malloc((m->fn[i].nr ?: 1) * sizeof(*out));
	if (!m->fn[i].fns)
		return err;
	memcpy(m->fn[i].fns, out, m->fn[i].nr * sizeof(*out));
	memcpy(m->fn[i].type, type, len + 1);
	m->fn[i].max = max;
	m->fn[i].err = err;
	m->nr_fn++;
	return err;
}

static void layout_memo_free(struct layout_memo *m)
{
	u32 i;

	for (i = 0; m && i < m->nr; i++)
		free(m->e[i].data);
	for (i = 0; m && i < m->nr_fn; i++)
		free(m->fn[i].fns);
	free(m);
}

void engine_pause(struct vmiaas *v, unsigned int us)
{
	usleep(us);
	vmi_as_flush(v->kas);
	v->vcpus_fresh = false;
}

int engine_read(struct vmiaas *v, u64 va, void *buf, size_t len)
{
	return vmi_as_read(v->kas, va, buf, len);
}

void engine_tasks_keep(struct vmiaas *v)
{
	v->census.keep = true;
	v->census.valid = false;
	v->census.nr = 0;
	v->vcpus_fresh = false;
}

void engine_tasks_drop(struct vmiaas *v)
{
	free(v->census.t);
	v->census = (struct engine_tasks){};
	v->vcpus_fresh = false;
}

const struct engine_task *engine_tasks_shared(const struct vmiaas *v,
					      size_t *ret_nr)
{
	if (!v->census.keep || !v->census.valid)
		return NULL;
	*ret_nr = v->census.nr;
	return v->census.t;
}

void engine_prefetch(struct vmiaas *v, u64 va)
{
	engine_prefetch_span(v, va, 1);
}

const u8 *engine_prefetch_span(struct vmiaas *v, u64 va, u32 len)
{
	struct vmi_xlate x;
	const u8 *p, *line;

	if (!len || len > VMI_PAGE_SIZE - (va & ~VMI_PAGE_MASK) ||
	    vmi_as_translate(v->kas, va, &x))
		return NULL;
	p = vmi_phys_ptr(v->kas->phys, x.gpa, len);
	if (!p)
		return NULL;
	/* one address in each line (a prefetch never faults) */
	for (line = p - (va & 63); line < p + len; line += 64)
		__builtin_prefetch(line);
	return p;
}

/* Keeps a private copy of the kallsyms tables: the guest may rewrite them. */
static int ksym_snapshot(struct vmiaas *v, const struct window *w)
{
	size_t len = v->ksym.end - v->ksym.start;
	int err;

	v->ksym_copy = malloc(len);
	if (!v->ksym_copy)
		return -ENOMEM;
	memcpy(v->ksym_copy, w->buf + v->ksym.start, len);
	err = vmi_ksym_rebase(&v->ksym, v->ksym_copy, len);
	if (err)
		return err;
	/*
	 * Lookups by name and by address then find a name without decoding
	 * up to 255 others (a check symbolizes hundreds of addresses).
	 * num_syms is bounded by locate (2M: 8 MiB at most); without the
	 * index lookups still work, only slower.
	 */
	v->ksym_pos = calloc(v->ksym.num_syms ?: 1, sizeof(*v->ksym_pos));
	if (v->ksym_pos &&
	    vmi_ksym_index_names(&v->ksym, v->ksym_pos, v->ksym.num_syms)) {
		free(v->ksym_pos);
		v->ksym_pos = NULL;
	}
	return 0;
}

/* Whether @cpu's page tables map a kernel image: its _text into @v->info. */
static bool kernel_in_cr3(struct vmiaas *v, const struct vmiaas_vcpu *cpu,
			  u64 *ret_len)
{
	u64 va, pa;

	vmi_as_init(v->kas, &v->backend->phys,
		    vmi_cr3_kernel_root(cpu->cr3), cpu->cr4 & (1ULL << 12));
	if (vmi_kernel_find_text(v->kas, &va, &pa, ret_len))
		return false;
	v->info.text_va = va;
	v->info.text_pa = pa;
	return true;
}

/* Reads of the registers before a guest is said to run no kernel. */
#define CR3_READS	4

/*
 * With vCPU registers: the page tables in CR3 give _text directly, and
 * kallsyms is searched in the image only. A vCPU's CR3 can name a table
 * that no longer maps the kernel by the time it is walked (the process
 * exited meanwhile: its top-level table freed, zeroed, reused), so every
 * vCPU is tried, and the registers are read again, 10, 20 and 40 ms
 * later, before the guest is said to run no kernel (firmware, a kernel
 * booting or going down).
 */
static int find_kernel_by_cr3(struct vmiaas *v, struct window *w)
{
	struct backend *b = v->backend;
	u64 len = 0;
	size_t i;
	int err, n;

	for (n = 0; n < CR3_READS; n++) {
		for (i = 0; i < b->nr_vcpus; i++)
			if (kernel_in_cr3(v, &b->vcpus[i], &len))
				goto found;
		if (!b->refresh_vcpus || n + 1 == CR3_READS)
			break;
		usleep(10000U << n);
		if (b->refresh_vcpus(b) || !b->nr_vcpus)
			break;
	}
	return engine_fail(v, -ENOENT,
		"no kernel image mapped at 0xffffffff80000000 in the page tables of CR3 0x%llx (nor of the other vCPUs', registers read %d times): not a running x86-64 Linux kernel",
		(unsigned long long)b->vcpus[0].cr3, n + 1);
found:
	err = window_get(&b->phys, v->info.text_pa, min(len, IMAGE_WINDOW), w);
	if (err)
		return engine_fail(v, err,
			"kernel image at guest-physical 0x%llx is outside guest RAM",
			(unsigned long long)v->info.text_pa);
	return 0;
}

/*
 * Is @text_pa where _text lies physically? Its init_top_pgt must map _text
 * back onto it, and linux_banner must be a banner.
 */
static bool text_pa_confirmed(struct vmiaas *v, u64 text_pa, u64 pgd_va,
			      u64 banner_va)
{
	static const char prefix[] = "Linux version ";
	char banner[sizeof(prefix) - 1];
	struct vmi_xlate x;

	vmi_as_init(v->kas, &v->backend->phys,
		    text_pa + (pgd_va - v->info.text_va), false);
	if (vmi_as_walk(v->kas, v->info.text_va, &x) || x.gpa != text_pa)
		return false;
	return !vmi_phys_read(&v->backend->phys,
			      text_pa + (banner_va - v->info.text_va),
			      banner, sizeof(banner)) &&
	       !memcmp(banner, prefix, sizeof(banner));
}

/* Bounds the memory-only search: each candidate costs a 512-slot probe. */
#define MAX_ROOT_CANDIDATES	4096

/*
 * Without registers, first try page-table roots found by their shape: a
 * root that maps a kernel image whose kallsyms agrees with the mapping is
 * the kernel's. Reads 8 bytes of most pages instead of all of RAM.
 */
static int find_kernel_by_root_scan(struct vmiaas *v, struct window *w)
{
	const struct vmi_phys *phys = &v->backend->phys;
	u64 cursor = 0, root, va, pa, len;
	unsigned int n;

	for (n = 0; n < MAX_ROOT_CANDIDATES &&
	     !vmi_kernel_next_root(phys, &cursor, &root); n++) {
		vmi_as_init(v->kas, phys, root, false);
		if (vmi_kernel_find_text(v->kas, &va, &pa, &len))
			continue;
		window_put(w);
		if (window_get(phys, pa, min(len, IMAGE_WINDOW), w) ||
		    vmi_ksym_locate(w->buf, w->len, &v->ksym) ||
		    v->ksym.relative_base != va)
			continue;
		v->info.text_va = va;
		v->info.text_pa = pa;
		return 0;
	}
	window_put(w);
	return -ENOENT;
}

/*
 * Without registers: kallsyms is searched in all of RAM. The image is
 * physically contiguous and x86-64 loads it 2 MiB-aligned
 * (CONFIG_PHYSICAL_ALIGN must be a multiple of 2 MiB), so _text is one of
 * the 2 MiB boundaries below the tables: the one whose init_top_pgt maps
 * _text back onto it.
 */
static int find_kernel_in_ram(struct vmiaas *v, struct window *w)
{
	const struct vmi_phys *phys = &v->backend->phys;
	u64 banner_va, pgd_va, tables_pa, pa, lowest;
	unsigned int i;
	int err = -ENOENT;

	for (i = 0; i < phys->nr_ranges && err; i++) {
		window_put(w);
		err = window_get(phys, phys->ranges[i].gpa,
				 phys->ranges[i].size, w);
		if (!err)
			err = vmi_ksym_locate(w->buf, w->len, &v->ksym);
	}
	if (err)
		return engine_fail(v, err == -ENOMEM ? err : -ENOEXEC,
			"no Linux kernel symbol table (kallsyms) anywhere in guest memory: not a Linux guest, or its memory is incomplete");
	v->info.text_va = v->ksym.relative_base;
	if (vmi_ksym_lookup_name(&v->ksym, "linux_banner", &banner_va) ||
	    vmi_ksym_lookup_name(&v->ksym, "init_top_pgt", &pgd_va) ||
	    banner_va < v->info.text_va || pgd_va < v->info.text_va)
		return engine_fail(v, -ENOEXEC,
			"kallsyms found but without linux_banner/init_top_pgt: not an x86-64 Linux kernel");
	tables_pa = w->pa + v->ksym.start;
	lowest = tables_pa > IMAGE_WINDOW ? tables_pa - IMAGE_WINDOW : 0;
	for (pa = tables_pa & ~(VMI_PMD_SIZE - 1); pa >= lowest && pa >= w->pa;
	     pa -= VMI_PMD_SIZE) {
		if (text_pa_confirmed(v, pa, pgd_va, banner_va)) {
			v->info.text_pa = pa;
			return 0;
		}
		if (!pa)
			break;
	}
	return engine_fail(v, -ENOEXEC,
		"kallsyms found but the kernel's banner and page tables are not: the memory image is incomplete or corrupt");
}

static int attach_kallsyms(struct vmiaas *v, struct window *w, bool located)
{
	int err;

	if (!located) {
		err = vmi_ksym_locate(w->buf, w->len, &v->ksym);
		if (err && v->symmap)
			return 0;	/* System.map supplies the symbols */
		if (err)
			return engine_fail(v, err == -ENOENT ? -ENOEXEC : err,
				"no kallsyms tables in the kernel image at guest-physical 0x%llx: kernel built without CONFIG_KALLSYMS, or not Linux (supply --system-map)",
				(unsigned long long)w->pa);
	}
	err = ksym_snapshot(v, w);
	if (err)
		return engine_fail(v, err, "kallsyms tables are inconsistent");
	v->info.nr_symbols = v->ksym.num_syms;
	if (v->ksym.relative_base != v->info.text_va)
		return engine_fail(v, -EBADMSG,
			"kallsyms says _text is 0x%llx but the page tables map it at 0x%llx",
			(unsigned long long)v->ksym.relative_base,
			(unsigned long long)v->info.text_va);
	return 0;
}

static int attach_btf(struct vmiaas *v, const struct window *w)
{
	u8 *copy;
	u64 start, stop;
	size_t off, size;
	int err;

	if (!engine_sym(v, "__start_BTF", &start) &&
	    !engine_sym(v, "__stop_BTF", &stop) && stop > start &&
	    start >= v->info.text_va &&
	    image_pa(v, start) >= w->pa &&
	    image_pa(v, stop) - w->pa <= w->len) {
		off = image_pa(v, start) - w->pa;
		size = stop - start;
	} else {
		err = btf_locate(w->buf, w->len, &off, &size);
		if (err)
			return engine_fail(v, -ENOEXEC,
				"no BTF in the guest kernel (CONFIG_DEBUG_INFO_BTF=n?): type layouts are unknown");
	}
	/* checked and parsed from a copy the guest cannot change meanwhile */
	copy = malloc(size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, w->buf + off, size);
	err = btf_load(copy, size, &v->btf);
	/* btf__new() keeps its own copy: ours (MiBs per VM) goes */
	free(copy);
	if (err)
		return engine_fail(v, err,
			"the guest kernel's BTF (%zu bytes) does not parse", size);
	v->info.nr_btf_types = btf__type_cnt(v->btf);
	return 0;
}

/* Kernel page tables, paging mode, the direct map and the banner. */
static int attach_kernel_info(struct vmiaas *v)
{
	const struct vmi_phys *phys = &v->backend->phys;
	char banner[BANNER_MAX];
	u64 pgd, l5, pob, banner_va;
	u32 l5_enabled = 0;
	char *nl;
	int err;

	if (engine_sym(v, "init_top_pgt", &pgd))
		return engine_fail(v, -ENOEXEC,
			"the kernel has no init_top_pgt: not an x86-64 Linux kernel");
	if (!engine_sym(v, "__pgtable_l5_enabled", &l5))
		image_read(v, l5, &l5_enabled, sizeof(l5_enabled));
	v->info.pgd_pa = image_pa(v, pgd);
	v->info.paging_levels = l5_enabled == 1 ? 5 : 4;
	vmi_as_init(v->kas, phys, v->info.pgd_pa, l5_enabled == 1);

	if (!engine_sym(v, "page_offset_base", &pob))
		image_read(v, pob, &v->info.page_offset_base, sizeof(u64));

	err = engine_sym(v, "linux_banner", &banner_va);
	if (!err)
		err = image_read(v, banner_va, banner, sizeof(banner));
	if (err)
		return engine_fail(v, -ENOEXEC, "cannot read the kernel banner");
	banner[sizeof(banner) - 1] = '\0';
	nl = strchr(banner, '\n');
	if (nl)
		*nl = '\0';
	snprintf(v->info.banner, sizeof(v->info.banner), "%s", banner);
	err = vmi_banner_release(banner, strlen(banner),
				 v->info.kernel_release,
				 sizeof(v->info.kernel_release));
	if (err)
		return engine_fail(v, -ENOEXEC,
			"linux_banner does not hold a Linux banner");
	v->info.kaslr_offset = v->info.text_va - VMI_DEFAULT_TEXT;
	return 0;
}

static int attach_backend(struct vmiaas *v, const struct vmiaas_target *t,
			  struct vmiaas_diag *diag)
{
	int n = !!t->shm_path + !!t->pid + !!t->dump_path;

	if (n != 1)
		return diag_set(diag, -EINVAL,
			"give exactly one target: a shared-memory file, a QEMU pid or a dump file");
	if (t->shm_path)
		return backend_shm_open(t->shm_path, t->qmp_path, &v->backend,
					diag);
	if (t->pid)
		return backend_pid_open(t->pid, t->qmp_path, &v->backend, diag);
	return backend_dump_open(t->dump_path, &v->backend, diag);
}

static void stage_done(struct vmiaas *v, enum vmiaas_stage s, u64 *t)
{
	u64 n = now_ns();

	v->info.attach_ns[s] = n - *t;
	*t = n;
}

static int attach(struct vmiaas *v, const struct vmiaas_target *t,
		  struct vmiaas_diag *diag)
{
	struct window w = { 0 };
	bool with_regs, ram_window = false;
	u64 ts = now_ns();
	int err;

	err = attach_backend(v, t, diag);
	if (err)
		return err;
	if (t->vcpus_text && !v->backend->qmp && !v->backend->nr_vcpus) {
		err = qmp_parse_registers(t->vcpus_text, &v->backend->vcpus,
					  &v->backend->nr_vcpus);
		if (err)
			return diag_set(diag, err,
					"the vCPU registers given are not HMP 'info registers' text");
	}
	v->info.nr_vcpus = v->backend->nr_vcpus;
	v->info.ram_bytes = 0;
	for (unsigned int i = 0; i < v->backend->phys.nr_ranges; i++)
		v->info.ram_bytes += v->backend->phys.ranges[i].size;
	snprintf(v->info.backend, sizeof(v->info.backend), "%s",
		 v->backend->name);
	if (t->system_map) {
		err = symmap_load(t->system_map, &v->symmap, &v->diag);
		if (err)
			return err;
	}
	stage_done(v, VMIAAS_STAGE_BACKEND, &ts);

	with_regs = v->backend->nr_vcpus > 0;
	if (with_regs)
		err = find_kernel_by_cr3(v, &w);
	else if (!find_kernel_by_root_scan(v, &w))
		err = 0;
	else {
		ram_window = true;
		err = find_kernel_in_ram(v, &w);
	}
	if (err)
		goto out;
	stage_done(v, VMIAAS_STAGE_KERNEL, &ts);

	err = attach_kallsyms(v, &w, !with_regs);
	if (err)
		goto out;
	err = attach_kernel_info(v);
	if (err)
		goto out;
	stage_done(v, VMIAAS_STAGE_KALLSYMS, &ts);

	if (ram_window) {
		/*
		 * The window is a whole RAM range so far: narrow it. (The
		 * root scan's window is the mapped image already; widening it
		 * to IMAGE_WINDOW faulted in up to 256 MiB of RAM.)
		 */
		window_put(&w);
		err = window_get(&v->backend->phys, v->info.text_pa,
				 IMAGE_WINDOW, &w);
		if (err)
			goto out;
	}
	err = attach_btf(v, &w);
	stage_done(v, VMIAAS_STAGE_BTF, &ts);
out:
	window_put(&w);
	return err;
}

int vmiaas_open(const struct vmiaas_target *target, struct vmiaas **ret,
		struct vmiaas_diag *diag)
{
	struct vmiaas *v;
	int err;

	if (!target || target->sz < sizeof(*target))
		return diag_set(diag, -EINVAL, "bad struct vmiaas_target");
	v = calloc(1, sizeof(*v));
	if (!v)
		return diag_set(diag, -ENOMEM, "out of memory");
	v->kas = calloc(1, sizeof(*v->kas));
	if (!v->kas) {
		free(v);
		return diag_set(diag, -ENOMEM, "out of memory");
	}
	err = attach(v, target, diag);
	if (err) {
		if (diag && v->diag.err)
			*diag = v->diag;
		else if (diag && !diag->err)
			diag_set(diag, err, "cannot attach: %s", strerror(-err));
		vmiaas_close(v);
		return err;
	}
	v->sym_memo = calloc(1, sizeof(*v->sym_memo));	/* NULL: no memo */
	v->layouts = calloc(1, sizeof(*v->layouts));	/* idem */
	*ret = v;
	return 0;
}

void vmiaas_close(struct vmiaas *v)
{
	if (!v)
		return;
	btf_unload(v->btf);
	free(v->ksym_copy);
	free(v->ksym_pos);
	symmap_free(v->symmap);
	dirty_close(v->dirty);
	free(v->sc_memo);
	free(v->sym_memo);
	layout_memo_free(v->layouts);
	patching_memo_free(v->sc_upd_memo);
	free(v->proc_table);
	free(v->vfs_ranges);
	patching_order_free(v->site_order);
	engine_tasks_drop(v);
	backend_close(v->backend);
	free(v->kas);
	free(v);
}

const struct vmiaas_info *vmiaas_info(const struct vmiaas *v)
{
	return &v->info;
}

const struct vmiaas_diag *vmiaas_last_diag(const struct vmiaas *v)
{
	return &v->diag;
}
