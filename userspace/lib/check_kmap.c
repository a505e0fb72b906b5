// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * kernel-mapping: the kernel image's own mapping of its text, read-only
 * data, data and bss maps the image's frames, with the image's
 * permissions.
 *
 * The kernel is loaded physically contiguous and mapped at
 * __START_KERNEL_map: every byte of the image lies at
 * va - __START_KERNEL_map + phys_base (__pa_symbol()), and the kernel
 * never moves a page of it during a boot (it splits large pages, changes
 * nothing else after mark_rodata_ro()). A page table entry of the image
 * that points at another frame is a shadow page: the CPU executes (or
 * reads) the copy while the image's own frame, what a check by physical
 * address would read, is intact. kernel-text and kernel-rodata read
 * through the page tables (they hash the copy); this check names the
 * technique and also covers data and bss, which nothing hashes. Text must
 * be read-only and executable, rodata read-only and not executable,
 * data and bss not executable; none user-accessible.
 *
 * The measurement (translate each page, compare frame and permissions)
 * is core/measure.c's vmi_measure_mapping(); the policy is here.
 *
 * The ranges are walked through init_top_pgt. Every process's top-level
 * table copies its kernel half (pgd_ctor()) and the kernel never changes
 * those entries after boot on x86-64, so a vCPU's CR3 or a table on
 * pgd_list with another kernel half (a rootkit's private kernel mapping,
 * which the walk of init_top_pgt would not see) is a finding too; the
 * LDT slot (per mm with PTI) and efi_mm's table (during EFI runtime
 * calls) aside. A rootkit can also keep its table off pgd_list and load
 * it only between checks: it must be some task's mm->pgd for
 * switch_mm() to load it, so every task's mm->pgd not on pgd_list is
 * compared as well (a suspect read again 50 ms later: an mm freed under
 * the walk leaves garbage for a moment).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "checks.h"
#include "hidden.h"
#include "list.h"
#include "u64set.h"
#include "../../core/kernel.h"

#define KMAP_BAD_MAX		256	/* pages kept per range */
#define KMAP_PTE_A		(1ULL << 5)	/* set by the CPU's walks */
#define KMAP_PGDS_MAX		(1U << 17)	/* tables on pgd_list (processes) */
#define KMAP_MM_SUSPECTS	64	/* mm->pgd tables read again */

#define PROT_ALL	(VMI_PROT_WRITE | VMI_PROT_NX | VMI_PROT_USER)

struct kmap_range {
	const char *what;
	const char *start_sym, *end_sym;
	u32 prot_mask, prot_want;	/* (prot & mask) == want */
};

static const struct kmap_range kmap_ranges[] = {
	{ "text", "_text", "_etext", PROT_ALL, 0 },
	{ "read-only data", "__start_rodata", "__end_rodata", PROT_ALL,
	  VMI_PROT_NX },
	{ "data", "_sdata", "_edata", VMI_PROT_NX | VMI_PROT_USER,
	  VMI_PROT_NX },
	{ "bss", "__bss_start", "__bss_stop", VMI_PROT_NX | VMI_PROT_USER,
	  VMI_PROT_NX },
};

/* A run of bad pages that differ from the expected in the same way. */
static bool kmap_same(const struct vmi_map_bad *a, const struct vmi_map_bad *b,
		      u64 expect_a, u64 expect_b)
{
	return b->va == a->va + VMI_PAGE_SIZE && b->err == a->err &&
	       b->prot == a->prot && b->gpa - expect_b == a->gpa - expect_a;
}

static const char *kmap_prot_wrong(const struct kmap_range *r, u32 prot)
{
	u32 diff = (prot ^ r->prot_want) & r->prot_mask;

	if (diff & VMI_PROT_USER)
		return "user-accessible";
	if (diff & VMI_PROT_WRITE)
		return "writable";
	if (diff & VMI_PROT_NX)
		return prot & VMI_PROT_NX ? "not executable" : "executable";
	return NULL;
}

static void kmap_report(struct vmiaas *v, const struct kmap_range *r,
			const struct vmi_map_bad *bad, u64 nr_pages,
			u64 expect, const struct hidden_sink *s)
{
	u64 end = bad->va + nr_pages * VMI_PAGE_SIZE;
	char obj[96], first[128], how[160];
	const char *prot = kmap_prot_wrong(r, bad->prot);
	struct vmiaas_finding *f;

	snprintf(obj, sizeof(obj), "%s 0x%016llx-0x%016llx", r->what,
		 (unsigned long long)bad->va, (unsigned long long)end);
	f = s->add(s->ctx, "kernel-mapping", VMIAAS_SEV_CRITICAL, obj);
	if (!f)
		return;
	check_symbolize(v, bad->va, first, sizeof(first));
	if (bad->err)
		snprintf(how, sizeof(how), "is not mapped (%s)",
			 strerror(-bad->err));
	else if (bad->gpa != expect)
		snprintf(how, sizeof(how),
			 "maps guest frame 0x%llx, not the image's 0x%llx: the CPU uses a copy there, the image's frame is not what it runs or reads",
			 (unsigned long long)bad->gpa,
			 (unsigned long long)expect);
	else
		snprintf(how, sizeof(how), "is mapped %s", prot);
	if (!bad->err && bad->gpa != expect && prot)
		snprintf(how + strlen(how), sizeof(how) - strlen(how),
			 ", and %s", prot);
	f->flags |= VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_VALUES;
	f->address = bad->va;
	f->old_value = expect;
	f->new_value = bad->gpa;
	snprintf(f->message, sizeof(f->message),
		 "%llu page(s) of kernel %s at 0x%llx (%s) %s",
		 (unsigned long long)nr_pages, r->what,
		 (unsigned long long)bad->va, first, how);
}

/* [start, end) of @r, page-aligned, inside the kernel image mapping. */
static int kmap_bounds(struct vmiaas *v, const struct kmap_range *r,
		       u64 *ret_start, u64 *ret_end)
{
	u64 start, end;

	if (engine_sym(v, r->start_sym, &start) ||
	    engine_sym(v, r->end_sym, &end))
		return -ENOENT;
	start &= VMI_PAGE_MASK;
	end = (end + VMI_PAGE_SIZE - 1) & VMI_PAGE_MASK;
	if (start < VMI_START_KERNEL_MAP || end <= start ||
	    end - start > VMI_MEASURE_MAX_RANGE)
		return engine_fail(v, -EBADMSG,
				   "kernel-mapping: implausible kernel %s range %s..%s (0x%llx..0x%llx)",
				   r->what, r->start_sym, r->end_sym,
				   (unsigned long long)start,
				   (unsigned long long)end);
	*ret_start = start;
	*ret_end = end;
	return 0;
}

static int kmap_check_range(struct vmiaas *v, const struct kmap_range *r,
			    u64 phys_base, const struct hidden_sink *s)
{
	struct vmi_map_bad bad[KMAP_BAD_MAX];
	u64 start = 0, end = 0, pa, i, run;
	s64 n;
	int err;

	err = kmap_bounds(v, r, &start, &end);
	if (err == -ENOENT)	/* a kernel without the section symbols */
		return 0;
	if (err)
		return err;
	pa = start - VMI_START_KERNEL_MAP + phys_base;
	n = vmi_measure_mapping(v->kas, start, end, pa, r->prot_mask,
				r->prot_want, bad, KMAP_BAD_MAX);
	if (n < 0)
		return engine_fail(v, (int)n,
				   "kernel-mapping: cannot measure the kernel %s mapping (%s)",
				   r->what, strerror((int)-n));
	n = min(n, (s64)KMAP_BAD_MAX);
	for (i = 0; i < (u64)n; i += run) {
		for (run = 1; i + run < (u64)n &&
		     kmap_same(&bad[i + run - 1], &bad[i + run],
			       pa + (bad[i + run - 1].va - start),
			       pa + (bad[i + run].va - start)); run++)
			;
		kmap_report(v, r, &bad[i], run, pa + (bad[i].va - start), s);
	}
	return 0;
}

/* The physical address of efi_mm's top-level table, or 0. */
static u64 kmap_efi_root(struct vmiaas *v)
{
	struct vmi_xlate x;
	u64 mm, pgd;
	u32 off;

	if (engine_sym(v, "efi_mm", &mm) ||
	    btf_offsetof(v->btf, "mm_struct", "pgd", &off) ||
	    engine_read_u64(v, mm + off, &pgd) || !pgd ||
	    vmi_as_translate(v->kas, pgd, &x))
		return 0;
	return x.gpa & VMI_PAGE_MASK;
}

/* Entry @idx of a top-level table (@obj, @whose) is not init_top_pgt's. */
static void kmap_report_half(struct vmiaas *v, const char *obj,
			     const char *whose, u32 idx, u64 now, u64 want,
			     const struct hidden_sink *s)
{
	u32 shift = 12 + 9 * (v->kas->levels - 1);
	u64 va = (~0ULL << (v->kas->levels == 5 ? 57 : 48)) |
		 ((u64)idx << shift);
	struct vmiaas_finding *f;
	char name[96];

	snprintf(name, sizeof(name), "%s entry %u", obj, idx);
	f = s->add(s->ctx, "kernel-mapping", VMIAAS_SEV_CRITICAL, name);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_VALUES;
	f->address = va;
	f->old_value = want;
	f->new_value = now;
	snprintf(f->message, sizeof(f->message),
		 "%s: kernel-half entry %u (0x%llx up) is 0x%llx, not init_top_pgt's 0x%llx: a private kernel mapping the kernel's own tables do not show",
		 whose, idx, (unsigned long long)va, (unsigned long long)now,
		 (unsigned long long)want);
}

/*
 * The first kernel-half entry from @k on where @now differs from @want
 * (the LDT slot, per process, and the accessed bit aside), or 512.
 */
static u32 kmap_half_next(const struct vmiaas *v, const u64 *now,
			  const u64 *want, u32 k)
{
	u32 ldt = v->kas->levels == 5 ? 512 - 112 : 512 - 240;

	for (; k < 512; k++)
		if (k != ldt && ((now[k] ^ want[k]) & ~KMAP_PTE_A))
			break;
	return k;
}

/* The kernel half of the top-level table at @root against @want's. */
static void kmap_compare_half(struct vmiaas *v, u64 root, const u64 *want,
			      const char *obj, const char *whose,
			      const struct hidden_sink *s)
{
	u64 now[512];
	u32 k;

	if (vmi_phys_read(&v->backend->phys, root, now, sizeof(now)))
		memset(now, 0, sizeof(now));	/* outside RAM: none */
	for (k = kmap_half_next(v, now, want, 256); k < 512;
	     k = kmap_half_next(v, now, want, k + 1))
		kmap_report_half(v, obj, whose, k, now[k], want[k], s);
}

/*
 * Whether the table at @pa's kernel half differs from @want's: compared
 * in place where the backend maps guest RAM (a check compares a thousand
 * processes' tables: a 4 KiB copy of each was half of this check's
 * time), else in a copy. Only the verdict comes from the live page; a
 * table that differs is read once more, into a copy, for its report.
 */
static bool kmap_half_differs(struct vmiaas *v, u64 pa, const u64 *want)
{
	const u8 *map = vmi_phys_ptr(&v->backend->phys, pa, VMI_PAGE_SIZE);
	u64 copy[512];

	if (map && !(pa & (VMI_PAGE_SIZE - 1)))
		return kmap_half_next(v, (const u64 *)map, want, 256) < 512;
	if (vmi_phys_read(&v->backend->phys, pa, copy, sizeof(copy)))
		return true;
	return kmap_half_next(v, copy, want, 256) < 512;
}

/*
 * Asks for the kernel half of the table at @pa (32 cache lines) while the
 * one before it is compared: a thousand tables are 2 MiB of cold guest
 * RAM, and a walk that waits for each line in turn stalls on most.
 */
static void kmap_half_prefetch(struct vmiaas *v, u64 pa)
{
	const u8 *map = vmi_phys_ptr(&v->backend->phys, pa, VMI_PAGE_SIZE);
	u32 off;

	if (!map)
		return;
	for (off = VMI_PAGE_SIZE / 2; off < VMI_PAGE_SIZE; off += 64)
		__builtin_prefetch(map + off);
}

/* Whether vCPU @vc's top-level table differs from @want's kernel half. */
static bool kmap_cr3_differs(struct vmiaas *v, const struct vmiaas_vcpu *vc,
			     const u64 *want, u64 efi)
{
	u64 root = vmi_cr3_kernel_root(vc->cr3);

	return root != v->info.pgd_pa && !(efi && root == efi) &&
	       kmap_half_differs(v, root, want);
}

/*
 * Each vCPU's top-level table. The registers are those cpu-state read
 * through QMP at the start of this check (no second round trip), but
 * the vCPU has run on since: a process that exited meanwhile left its
 * freed (zeroed, reused) table behind that CR3. So a vCPU whose table
 * differs has its registers read again, and the verdict is on that read:
 * a private table that stays loaded differs in both. Without vCPU
 * registers (a dump without notes) there is nothing to compare.
 */
static void kmap_check_cr3(struct vmiaas *v, const u64 *want,
			   const struct hidden_sink *s)
{
	struct backend *b = v->backend;
	u64 root, efi = kmap_efi_root(v);
	char obj[32], whose[96];
	bool suspect = false;
	size_t i;

	for (i = 0; i < b->nr_vcpus && !suspect; i++)
		suspect = kmap_cr3_differs(v, &b->vcpus[i], want, efi);
	if (!suspect)
		return;
	if (b->refresh_vcpus && b->refresh_vcpus(b))
		return;	/* no registers now: cpu-state says why */
	for (i = 0; i < b->nr_vcpus; i++) {
		const struct vmiaas_vcpu *vc = &b->vcpus[i];

		if (!kmap_cr3_differs(v, vc, want, efi))
			continue;
		root = vmi_cr3_kernel_root(vc->cr3);
		snprintf(obj, sizeof(obj), "vcpu%u CR3", vc->index);
		snprintf(whose, sizeof(whose), "vcpu%u's page tables (CR3 0x%llx)",
			 vc->index, (unsigned long long)vc->cr3);
		kmap_compare_half(v, root, want, obj, whose, s);
	}
}

/*
 * The frames of the top-level tables on pgd_list into @seen: the list
 * links the struct page of each (6.1: page.lru; 6.6+: ptdesc.pt_list,
 * the same offset), its frame from its place in vmemmap. 1: a kernel
 * without the symbols or layouts (nothing to compare).
 */
static int kmap_pgd_list(struct vmiaas *v, struct u64set *seen)
{
	u64 head, node, sym, vmemmap, page;
	u32 link, page_size, n;

	if (engine_sym(v, "pgd_list", &head) ||
	    engine_sym(v, "vmemmap_base", &sym) ||
	    engine_read_u64(v, sym, &vmemmap) ||
	    btf_sizeof(v->btf, "page", &page_size) || !page_size ||
	    btf_offsetof(v->btf, "page", "lru", &link))
		return 1;
	if (engine_read_u64(v, head, &node))
		return engine_fail(v, -EFAULT,
				   "kernel-mapping: cannot read pgd_list");
	for (n = 0; node != head && n < KMAP_PGDS_MAX; n++) {
		page = node - link;
		if (page < vmemmap || (page - vmemmap) % page_size ||
		    (page - vmemmap) / page_size > (1ULL << 40))
			return engine_fail(v, -EBADMSG,
					   "kernel-mapping: pgd_list links 0x%llx, not a struct page",
					   (unsigned long long)node);
		if (u64set_add(seen, (page - vmemmap) / page_size *
				     VMI_PAGE_SIZE))
			return -ENOMEM;
		if (engine_read_u64(v, node, &node))
			return engine_fail(v, -EFAULT,
					   "kernel-mapping: pgd_list breaks at 0x%llx",
					   (unsigned long long)node);
	}
	if (node != head)
		return engine_fail(v, -ELOOP,
				   "kernel-mapping: pgd_list does not end within %u tables",
				   KMAP_PGDS_MAX);
	return 0;
}

/*
 * Every process's top-level table on pgd_list against init_top_pgt's
 * kernel half. A process exiting or forking under the walk unlinks or
 * links a table (pgd_list_del(), pgd_list_add() under pgd_lock): a walk
 * that breaks is made again a moment later, as the hidden-object scans
 * are (hidden_torn_wait_us, doubling), before its error is the check's.
 */
#define KMAP_TORN_RETRIES	3

static int kmap_check_pgds(struct vmiaas *v, const u64 *want,
			   struct u64set *seen, const struct hidden_sink *s)
{
	char obj[48], whose[96];
	size_t i;
	int err;

	for (i = 0;; i++) {
		seen->nr = 0;
		err = kmap_pgd_list(v, seen);
		if (!list_torn(err) || i == KMAP_TORN_RETRIES)
			break;
		engine_pause(v, hidden_torn_wait_us << i);
	}
	if (err)
		return err < 0 ? err : 0;
	for (i = 0; i < seen->nr; i++) {
		if (i + 1 < seen->nr)
			kmap_half_prefetch(v, seen->a[i + 1]);
		if (seen->a[i] == v->info.pgd_pa ||
		    !kmap_half_differs(v, seen->a[i], want))
			continue;
		snprintf(obj, sizeof(obj), "pgd 0x%llx",
			 (unsigned long long)seen->a[i]);
		snprintf(whose, sizeof(whose),
			 "the top-level page table at 0x%llx (a process's, on pgd_list)",
			 (unsigned long long)seen->a[i]);
		kmap_compare_half(v, seen->a[i], want, obj, whose, s);
	}
	return 0;
}

/* A task whose mm->pgd is no table on pgd_list, to compare. */
struct kmap_mm {
	u64 task, mm, pgd, pa;
	s32 pid;
	char comm[16];
};

/* The frame switch_mm() loads for @pgd: __pa(), as the kernel computes. */
static bool kmap_pgd_pa(struct vmiaas *v, u64 pgd, u64 phys_base, u64 *pa)
{
	u64 sym, pob;

	if (pgd & (VMI_PAGE_SIZE - 1))
		return false;
	if (pgd >= VMI_START_KERNEL_MAP) {
		*pa = pgd - VMI_START_KERNEL_MAP + phys_base;
		return true;
	}
	if (engine_sym(v, "page_offset_base", &sym) ||
	    engine_read_u64(v, sym, &pob) || pgd < pob)
		return false;
	*pa = pgd - pob;
	return true;
}

/* @m again: the same task, mm and pgd, and still another kernel half. */
static bool kmap_mm_still(struct vmiaas *v, const struct kmap_mm *m,
			  u32 task_mm, u32 mm_pgd, const u64 *want)
{
	u64 mm, pgd;

	return !engine_read_u64(v, m->task + task_mm, &mm) && mm == m->mm &&
	       !engine_read_u64(v, mm + mm_pgd, &pgd) && pgd == m->pgd &&
	       kmap_half_differs(v, m->pa, want);
}

static void kmap_report_mm(struct vmiaas *v, const struct kmap_mm *m,
			   const u64 *want, const struct hidden_sink *s)
{
	char obj[64], whose[128];
	struct vmiaas_finding *f;
	u8 byte;

	snprintf(obj, sizeof(obj), "pid %d mm->pgd 0x%llx", m->pid,
		 (unsigned long long)m->pa);
	snprintf(whose, sizeof(whose),
		 "pid %d (%s)'s page tables (mm->pgd 0x%llx, not on pgd_list)",
		 m->pid, m->comm, (unsigned long long)m->pgd);
	if (!vmi_phys_read(&v->backend->phys, m->pa, &byte, 1)) {
		kmap_compare_half(v, m->pa, want, obj, whose, s);
		return;
	}
	f = s->add(s->ctx, "kernel-mapping", VMIAAS_SEV_CRITICAL, obj);
	if (f)
		snprintf(f->message, sizeof(f->message),
			 "%s: mm->pgd is no page of guest RAM (frame 0x%llx)",
			 whose, (unsigned long long)m->pa);
}

/* The suspects of kmap_check_mms(), each read again after a pause. */
static void kmap_confirm_mms(struct vmiaas *v, const struct kmap_mm *sus,
			     size_t nr, u32 task_mm, u32 mm_pgd,
			     const u64 *want, const struct hidden_sink *s)
{
	size_t i;

	if (!nr)
		return;
	engine_pause(v, check_rescan_us);
	for (i = 0; i < nr; i++)
		if (kmap_mm_still(v, &sus[i], task_mm, mm_pgd, want))
			kmap_report_mm(v, &sus[i], want, s);
}

/* What kmap_check_mms() compares, and where. */
struct kmap_mms {
	const u64 *want;	/* init_top_pgt's kernel half */
	const struct u64set *seen;	/* pgd_list's tables, sorted */
	u64 phys_base;
	u32 task_mm, mm_pgd, task_comm;
	struct kmap_mm sus[KMAP_MM_SUSPECTS];
	size_t nr;
};

/* Task @task (pid @pid, mm @mm): a suspect if its mm->pgd is one. */
static void kmap_task(struct vmiaas *v, struct kmap_mms *k, u64 task, u64 mm,
		      s32 pid)
{
	struct kmap_mm m = { .task = task, .mm = mm, .pid = pid };

	if (k->nr >= KMAP_MM_SUSPECTS || !kernel_ptr(mm) ||
	    engine_read_u64(v, mm + k->mm_pgd, &m.pgd))
		return;	/* a kernel thread, or exiting */
	if (!kmap_pgd_pa(v, m.pgd, k->phys_base, &m.pa))
		m.pa = ~0ULL;	/* switch_mm() would load garbage */
	if (m.pa == v->info.pgd_pa || u64set_has(k->seen, m.pa) ||
	    !kmap_half_differs(v, m.pa, k->want))
		return;
	if (engine_read(v, task + k->task_comm, m.comm, sizeof(m.comm) - 1))
		m.comm[0] = '\0';
	k->sus[k->nr++] = m;
}

/* The tasks of the bounded walk of engine_task_mms(), for themselves. */
static int kmap_walk_tasks(struct vmiaas *v, struct kmap_mms *k)
{
	struct vmiaas_task *tasks;
	size_t nr, i;
	int err;

	err = engine_task_mms(v, &tasks, &nr);
	if (err) {
		/* a task freed under the walk: its successor is garbage */
		engine_pause(v, check_rescan_us);
		err = engine_task_mms(v, &tasks, &nr);
	}
	if (err)
		return err;
	for (i = 0; i < nr; i++)
		kmap_task(v, k, tasks[i].addr, tasks[i].mm, tasks[i].pid);
	free(tasks);
	return 0;
}

#define KMAP_MM_AHEAD	8	/* tasks whose mm->pgd line is asked ahead */

/*
 * Every task's mm->pgd that is not on pgd_list (@seen) and not
 * init_top_pgt: switch_mm() loads whatever mm->pgd says, listed or not.
 * The tasks of this check's census (engine_tasks_shared(): every task it
 * read, hidden ones too, with the mm it read), else those of a walk of
 * the task list and thread lists (engine_task_mms(): a walk that breaks
 * is tried once more, as a task freed under it can break it). A task
 * that exited since the census has no mm to confirm (exit_mm() clears
 * task->mm): each suspect is read again from its task after a pause
 * (kmap_confirm_mms()). A kernel without mm_struct.pgd in its BTF has
 * nothing compared here.
 */
static int kmap_check_mms(struct vmiaas *v, const u64 *want,
			  struct u64set *seen, u64 phys_base,
			  const struct hidden_sink *s)
{
	struct kmap_mms k = { .want = want, .seen = seen,
			      .phys_base = phys_base };
	const struct engine_task *t;
	size_t nr, i;
	int err;

	if (btf_offsetof(v->btf, "mm_struct", "pgd", &k.mm_pgd) ||
	    btf_offsetof(v->btf, "task_struct", "mm", &k.task_mm) ||
	    btf_offsetof(v->btf, "task_struct", "comm", &k.task_comm))
		return 0;
	u64set_sort(seen);
	t = engine_tasks_shared(v, &nr);
	if (!t) {
		err = kmap_walk_tasks(v, &k);
		if (err)
			return err;
	}
	for (i = 0; t && i < nr; i++) {
		if (i + KMAP_MM_AHEAD < nr &&
		    kernel_ptr(t[i + KMAP_MM_AHEAD].mm))
			engine_prefetch(v, t[i + KMAP_MM_AHEAD].mm + k.mm_pgd);
		kmap_task(v, &k, t[i].addr, t[i].mm, t[i].pid);
	}
	kmap_confirm_mms(v, k.sus, k.nr, k.task_mm, k.mm_pgd, want, s);
	return 0;
}

int check_kmap(struct vmiaas *v, const struct hidden_sink *s)
{
	u64 sym, phys_base, want[512];
	struct u64set seen = {};	/* pgd_list's tables */
	size_t i;
	int err;

	if (engine_sym(v, "phys_base", &sym) ||
	    engine_read_u64(v, sym, &phys_base) ||
	    (phys_base & (VMI_PAGE_SIZE - 1)))
		return engine_fail(v, -ENOENT,
				   "kernel-mapping: phys_base cannot be read or is not page-aligned");
	for (i = 0; i < ARRAY_SIZE(kmap_ranges); i++) {
		err = kmap_check_range(v, &kmap_ranges[i], phys_base, s);
		if (err)
			return err;
	}
	err = vmi_phys_read(&v->backend->phys, v->info.pgd_pa, want,
			    sizeof(want));
	if (err)
		return engine_fail(v, err,
				   "kernel-mapping: cannot read init_top_pgt");
	kmap_check_cr3(v, want, s);
	err = kmap_check_pgds(v, want, &seen, s);
	err = err ?: kmap_check_mms(v, want, &seen, phys_base, s);
	u64set_free(&seen);
	return err;
}
