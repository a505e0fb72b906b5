// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot fuzzing of the integrity checks: the walkers of hostile guest
 * kernel data (module list, mod_tree, vmap carving, pid IDR, run queues,
 * process tree, creds and namespaces, BPF programs and their JIT images,
 * jump tables, ftrace pages, kprobes, static calls, syscall table, IDT,
 * netfilter hook entries, packet types, transport protocol handlers,
 * struct protos, socket types and GRO offloads, network devices, input
 * handlers, hardware breakpoints, /proc trees, system_state and pid 1,
 * every page table on pgd_list and every task's mm->pgd, vmap areas and
 * executable mappings, notifier chains) run over a real guest whose
 * memory, and whose vCPUs' debug registers, the fuzzer edits.
 *
 * The snapshot is a QEMU-style ELF core (read by the dump backend) of a
 * 6.1 test guest holding only the pages that attach, a baseline, a check
 * and the ps/lsmod/syscalls/idt views read; every other page is a hole in
 * a sparse file (reads as zeros). It is made by this same binary in record
 * mode (scripts/fuzz-snapshot.sh, through the guest rig):
 *
 *   VMIAAS_FUZZ_RECORD=DUMP.elf VMIAAS_FUZZ_SNAPSHOT=OUT fuzz_checks
 *
 * attaches to the full dump, runs everything once, asks /proc/self/pagemap
 * which pages of the dump's mapping were touched and writes those.
 *
 * Fuzzing: the snapshot is attached once (attach itself is fuzzed by
 * fuzz_btf, fuzz_kallsyms, fuzz_paging, fuzz_dump), a baseline is taken
 * once, and its mapping is replaced by a private writable one. The pages
 * the walkers and views read form one list, all pages the checks read
 * (text, rodata: hashed) another, and the pages each walker step reads
 * alone one list per step (the hw-breakpoint step's also holds the vCPUs'
 * debug registers, from SNAPSHOT.regs beside the snapshot: its index 0).
 * An input is a mode byte, then edits
 *
 *   3 bytes page index (bit 23: the measured list; mod its length),
 *   2 bytes offset (mod 4096; in the debug registers mod their size),
 *   1 byte length - 1 (mod 32), then that many bytes
 *
 * applied in place. Mode bits 3-7 (the focus) 1..21 pick a step: edits go
 * to its pages and only it runs; any other focus edits the walked pages
 * and runs every step (hidden modules and tasks, creds and their
 * container rules, BPF, netfilter, packet taps, input, tracepoints,
 * net-protocol, tty, hw-breakpoint, netdev-hook, /proc, usermode-helper
 * paths, VFS, kernel state, kernel mapping, exec memory, notifiers,
 * ftrace/kprobe hooks) and the views. When the mode's low 3 bits are 6 or
 * 7 the kernel's patch records are read too, and with 7
 * vmiaas_check_run() runs every check with its compare paths (slower: it
 * hashes every measured page). Errors are fine; crashes, sanitizer
 * reports and hangs are bugs. Only the edited pages are restored.
 * VMIAAS_FUZZ_STEPS=NAME,... focuses every input on those steps.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <vmiaas/checks.h>
#include "userspace/lib/backend.h"
#include "userspace/lib/engine.h"
#include "userspace/lib/bpf_census.h"
#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "userspace/lib/patching.h"
#include "userspace/lib/vfsops.h"
#include "core/kernel.h"

#define PAGE		4096UL
#define MAX_EDITS	64
#define EDIT_HDR	6
#define EDIT_MAX_LEN	32
#define ELF_EHDR	64
#define ELF_PHDR	56
#define ALL_STEPS	SIZE_MAX	/* run_walkers(): every step */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmiaas *guest;
static struct vmiaas_baseline *baseline;
static u64 stext;

static void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "fuzz_checks: %s: %s\n", what,
		err ? strerror(-err) : "failed");
	exit(1);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static struct vmiaas_finding *sink_add(void *ctx, const char *check,
				       u32 severity, const char *object)
{
	static struct vmiaas_finding f;

	memset(&f, 0, sizeof(f));
	return &f;
}

/* vfs-ops' record for vmiaas.ko, built and run as the module runs it. */
static void vfs_module_run(void)
{
	static struct vmiaas_module_check c;
	uint64_t failed;
	size_t nr = 0;

	if (!vfs_module_check(guest, &c, 1, &nr))
		vmiaas_module_policy_run(guest, &c, 1, &failed);
}

/*
 * tty-ldisc's, net-protocol's and netdev-hook's records for vmiaas.ko,
 * built and run as the module runs them.
 */
static void hook_module_run(void)
{
	static struct vmiaas_module_check c[3];
	uint64_t failed;
	size_t nr = 0;

	/* each appends its record when the input lets it build one */
	(void)tty_module_check(guest, c, 3, &nr, NULL);
	(void)proto_module_check(guest, c, 3, &nr, NULL);
	(void)netdev_module_check(guest, c, 3, &nr, NULL);
	vmiaas_module_policy_run(guest, c, nr, &failed);
}

static const struct hidden_sink sink = { .add = sink_add };

static void step_state(void)
{
	char why[320];

	vmiaas_kernel_state(guest, why, sizeof(why));
}

static void step_modules(void) { hidden_check_modules(guest, &sink); }
static void step_tasks(void) { hidden_check_tasks(guest, &sink); }
static void step_bpf(void) { bpf_check_programs(guest, NULL, &sink); }
static void step_netfilter(void) { check_netfilter(guest, &sink, NULL); }
static void step_ptype(void) { check_packet_taps(guest, &sink, NULL); }
static void step_input(void) { check_input_handlers(guest, &sink, NULL); }
static void step_tracepoint(void) { check_tracepoints(guest, &sink, NULL); }
static void step_netproto(void) { check_net_protocols(guest, &sink, NULL); }
static void step_hwbp(void) { check_hw_breakpoints(guest, &sink, NULL); }
static void step_netdev(void) { check_netdev_hooks(guest, &sink, NULL); }
static void step_procops(void) { check_proc_ops(guest, baseline, &sink); }
static void step_umh(void) { check_umh_paths(guest, baseline, &sink); }
static void step_kmap(void) { check_kmap(guest, &sink); }
static void step_exec(void) { check_exec(guest, &sink); }
static void step_notifier(void) { check_notifiers(guest, &sink); }

static void step_tty(void) { check_tty_ldiscs(guest, &sink, NULL); }

static void step_vfs(void)
{
	vfs_scan_once(guest, &sink, NULL);
	vfs_module_run();
}

/* As a full check: vfs-ops and kernel-mapping on the census's tasks. */
static void step_shared_tasks(void)
{
	engine_tasks_keep(guest);
	hidden_check_tasks(guest, &sink);
	vfs_scan_once(guest, &sink, NULL);
	check_kmap(guest, &sink);
	engine_tasks_drop(guest);
}

static void step_hooks(void)
{
	struct patching_kprobe_hook *kh;
	struct patching_hook *h;
	size_t nr;

	if (!patching_ftrace_hooks(guest, &h, &nr))
		free(h);
	if (!patching_kprobe_hooks(guest, &kh, &nr))
		free(kh);
}

struct page_list {
	u8 **pages;		/* host pages of the snapshot's mapping */
	size_t nr;
};

/*
 * The walkers without the hashing of every measured page (about 100 ms a
 * run), one step each: system_state, hidden modules and tasks (the
 * census, creds and their container rules), BPF programs, netfilter
 * hooks, packet types, input handlers, tracepoint probes, transport
 * protocols, socket types and GRO offloads (net-protocol), line
 * disciplines and the ttys' tables, hardware breakpoints (bp_per_reg and the vCPUs' debug registers),
 * network devices (netdev-hook), /proc entries, usermode-helper's
 * release agents and binfmt_misc handlers, the VFS's operations tables
 * (and vmiaas.ko's record of them, built and run as the module runs
 * it), the page tables (kernel-mapping), the executable mappings and
 * vmap areas (exec-memory), notifier chains, ftrace and kprobe hooks,
 * vmiaas.ko's records of tty-ldisc and net-protocol, and the census's
 * tasks shared with vfs-ops and kernel-mapping as in a full check (the
 * last ones added last: the focus numbers of the others stay). Each step's pages (those it reads alone, recorded at start) are what
 * an input focused on it edits.
 */
static struct step {
	const char *name;
	void (*run)(void);
	struct page_list pages;
} steps[] = {
	{ "kernel-state", step_state }, { "hidden-module", step_modules },
	{ "tasks", step_tasks }, { "bpf", step_bpf },
	{ "netfilter", step_netfilter }, { "packet-tap", step_ptype },
	{ "input", step_input }, { "tracepoint", step_tracepoint },
	{ "net-protocol", step_netproto }, { "tty", step_tty },
	{ "hw-breakpoint", step_hwbp }, { "netdev-hook", step_netdev },
	{ "proc-ops", step_procops }, { "umh", step_umh }, { "vfs", step_vfs },
	{ "kernel-mapping", step_kmap }, { "exec-memory", step_exec },
	{ "notifiers", step_notifier }, { "hooks", step_hooks },
	{ "hook-records", hook_module_run },
	{ "shared-tasks", step_shared_tasks },
};

/*
 * Every step, or only @only (< ARRAY_SIZE(steps)); with @records the
 * kernel's patch records too (jump labels, static calls, ftrace pages,
 * kprobes: read on a first explain, here of _stext's bytes; about 40 ms).
 */
static void run_walkers(bool records, size_t only)
{
	struct patching *p;
	u8 now[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(steps); i++)
		if (only >= ARRAY_SIZE(steps) || i == only)
			steps[i].run();
	if (records && !patching_new(guest, &p)) {
		if (!engine_read(guest, stext, now, sizeof(now)))
			patching_explain(p, stext, sizeof(now), NULL, now);
		patching_free(p);
	}
}

/* The views behind ps, lsmod, syscalls and idt. */
static void run_views(void)
{
	struct vmiaas_task *t = NULL;
	struct vmiaas_module *m = NULL;
	struct vmiaas_syscall *s = NULL;
	struct vmiaas_idt_gate *g;
	size_t nr, cpu;
	u64 base;

	if (!vmiaas_tasks(guest, &t, &nr))
		free(t);
	if (!vmiaas_modules(guest, &m, &nr))
		free(m);
	if (!vmiaas_syscalls(guest, &s, &nr))
		free(s);
	for (cpu = 0; cpu < guest->backend->nr_vcpus; cpu++)
		if (!vmiaas_idt(guest, cpu, &base, &g, &nr))
			free(g);
}

/* Every check, compare paths included, against the baseline. */
static void run_checks(void)
{
	struct vmiaas_finding *f;
	size_t nr;

	if (!vmiaas_check_run(guest, baseline, &f, &nr))
		free(f);
}

static void run_everything(void)
{
	run_checks();
	run_walkers(true, ALL_STEPS);
	run_views();
}

/*
 * Record mode: forgets which pages attach touched (its prefault maps the
 * whole image window, up to 256 MiB), then touches again only what an
 * attach to the snapshot needs: the walk from CR3 to _text and the image
 * (_text.._end), where kallsyms, BTF and the banner are.
 */
static void record_attach_pages(const struct backend_file *f)
{
	const struct vmiaas_vcpu *cpu = &guest->backend->vcpus[0];
	const struct vmiaas_info *info = vmiaas_info(guest);
	volatile u8 sink;
	struct vmi_as as;
	u64 va, pa, len, end, off;
	u8 byte;

	if (madvise((void *)f->map, f->len, MADV_DONTNEED))
		die("madvise", -errno);
	vmi_as_init(&as, &guest->backend->phys, vmi_cr3_kernel_root(cpu->cr3),
		    cpu->cr4 & (1ULL << 12));
	if (vmi_kernel_find_text(&as, &va, &pa, &len) ||
	    vmiaas_symbol_addr(guest, "_end", &end) || end < info->text_va)
		die("the dump's kernel image", -ENOEXEC);
	for (off = 0; off < end - info->text_va; off += PAGE)
		if (!vmi_phys_read(&guest->backend->phys, info->text_pa + off,
				   &byte, 1))
			sink = byte;
	(void)sink;
}

/* Bit 63 of /proc/self/pagemap: the page is mapped in this process. */
static int touched(int pagemap, const u8 *addr, bool *ret)
{
	u64 pme;

	if (pread(pagemap, &pme, sizeof(pme),
		  (uintptr_t)addr / PAGE * sizeof(pme)) != sizeof(pme))
		return -errno;
	*ret = pme >> 63;
	return 0;
}

/* A guest page is touched if any host page under it is. */
static bool gpage_touched(int pagemap, const u8 *p)
{
	const u8 *h = (const u8 *)((uintptr_t)p & ~(PAGE - 1));
	bool t = false;

	for (; h < p + PAGE && !t; h += PAGE)
		if (touched(pagemap, h, &t))
			die("/proc/self/pagemap", -errno);
	return t;
}

static void put_u64(u8 *p, u64 v)
{
	memcpy(p, &v, sizeof(v));	/* x86-64: little-endian */
}

/* The original dump's notes (the vCPU registers), verbatim. */
static const u8 *dump_notes(const u8 *map, size_t len, u64 *ret_len)
{
	u64 phoff = vmi_get_u64(map + 32), off, sz;
	u32 i, phnum = vmi_get_u16(map + 56);

	for (i = 0; i < phnum; i++) {
		const u8 *ph = map + phoff + (u64)i * ELF_PHDR;

		if (phoff + (u64)(i + 1) * ELF_PHDR > len)
			break;
		off = vmi_get_u64(ph + 8);
		sz = vmi_get_u64(ph + 32);
		if (vmi_get_u32(ph) == 4 && off <= len && sz <= len - off) {
			*ret_len = sz;
			return map + off;
		}
	}
	die("the dump has no PT_NOTE (vCPU registers)", 0);
}

static void write_at(int fd, const void *buf, size_t len, u64 off)
{
	if (pwrite(fd, buf, len, off) != (ssize_t)len)
		die("writing the snapshot", -errno);
}

/*
 * Writes an ELF core: the dump's notes, one PT_LOAD per RAM range at a
 * page-aligned offset, holding only the touched pages (a sparse file).
 */
static void write_snapshot(const char *path, const struct backend_file *f)
{
	const struct vmi_phys *phys = &guest->backend->phys;
	u64 notes_len, off, kept = 0;
	const u8 *notes = dump_notes(f->map, f->len, &notes_len);
	unsigned int i, n = phys->nr_ranges;
	u8 hdr[ELF_EHDR + (VMI_PHYS_MAX_RANGES + 1) * ELF_PHDR] = { 0 };
	int fd, pagemap = open("/proc/self/pagemap", O_RDONLY);
	bool *keep = calloc(f->len / PAGE + 1, sizeof(*keep));

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pagemap < 0 || !keep)
		die(path, -errno);
	memcpy(hdr, "\177ELF\2\1\1", 7);
	hdr[16] = 4;			/* ET_CORE */
	hdr[18] = 62;			/* EM_X86_64 */
	hdr[20] = 1;
	put_u64(hdr + 32, ELF_EHDR);	/* e_phoff */
	hdr[52] = ELF_EHDR;
	hdr[54] = ELF_PHDR;
	hdr[56] = n + 1;
	off = ELF_EHDR + (n + 1) * ELF_PHDR;
	hdr[ELF_EHDR] = 4;		/* PT_NOTE */
	put_u64(hdr + ELF_EHDR + 8, off);
	put_u64(hdr + ELF_EHDR + 32, notes_len);
	write_at(fd, notes, notes_len, off);
	off = (off + notes_len + PAGE - 1) & ~(PAGE - 1);
	for (i = 0; i < n; i++) {
		const struct vmi_phys_range *r = &phys->ranges[i];
		u8 *ph = hdr + ELF_EHDR + (i + 1) * ELF_PHDR;
		u64 p;

		ph[0] = 1;		/* PT_LOAD */
		put_u64(ph + 8, off);
		put_u64(ph + 24, r->gpa);
		put_u64(ph + 32, r->size);
		put_u64(ph + 40, r->size);
		/* Asks first: copying a page maps its neighbours in. */
		for (p = 0; p + PAGE <= r->size; p += PAGE)
			keep[p / PAGE] = gpage_touched(pagemap, r->host + p);
		for (p = 0; p + PAGE <= r->size; p += PAGE)
			if (keep[p / PAGE]) {
				write_at(fd, r->host + p, PAGE, off + p);
				kept++;
			}
		off += (r->size + PAGE - 1) & ~(PAGE - 1);
	}
	write_at(fd, hdr, ELF_EHDR + (n + 1) * ELF_PHDR, 0);
	if (ftruncate(fd, off) || close(fd))
		die(path, -errno);
	close(pagemap);
	free(keep);
	fprintf(stderr, "fuzz_checks: %s: %llu pages of guest memory\n", path,
		(unsigned long long)kept);
	exit(0);
}

/*
 * Replaces the read-only mapping of the snapshot by a private writable
 * one at the same address: edits then stay in this process.
 */
static void remap_private(const char *path, const struct backend_file *f)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0 || mmap((void *)f->map, f->len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_FIXED, fd, 0) != f->map)
		die(path, -errno);
	close(fd);
}

/* The walkers' pages, and all the checks read (text, rodata...). */
static struct page_list walked, measured;

/*
 * Which pages of the snapshot a run reads, exactly: the mapping is made
 * inaccessible and each first access faults into track_fault(), which
 * notes the page and opens it. /proc/self/pagemap would also count the
 * pages a read fault maps around the one read (16 at a time here): lists
 * mostly of pages nothing reads, where edits change nothing.
 */
static struct {
	u8 *map;
	size_t nr;
	bool *seen;
	struct sigaction old;
} track;

static void track_fault(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr, m = (uintptr_t)track.map;

	if (a >= m && a - m < track.nr * PAGE) {
		a &= ~(PAGE - 1);
		track.seen[(a - m) / PAGE] = true;
		if (!mprotect((void *)a, PAGE, PROT_READ | PROT_WRITE))
			return;
	}
	/* not ours: the fault again, under the former handler */
	sigaction(SIGSEGV, &track.old, NULL);
}

/* Forgets what was read: every page of @f inaccessible again. */
static void track_zap(const struct backend_file *f)
{
	memset(track.seen, 0, track.nr * sizeof(*track.seen));
	if (mprotect((void *)f->map, f->len, PROT_NONE))
		die("mprotect", -errno);
}

static void track_begin(const struct backend_file *f)
{
	struct sigaction sa = { .sa_sigaction = track_fault,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	track.map = (u8 *)f->map;
	track.nr = f->len / PAGE;
	track.seen = calloc(track.nr, sizeof(*track.seen));
	if (!track.seen || sigaction(SIGSEGV, &sa, &track.old))
		die("tracking reads", -ENOMEM);
}

static void track_end(const struct backend_file *f)
{
	if (mprotect((void *)f->map, f->len, PROT_READ | PROT_WRITE) ||
	    sigaction(SIGSEGV, &track.old, NULL))
		die("tracking reads", -errno);
	free(track.seen);
}

/* The pages read since the last track_zap(), one slot more. */
static void collect_pages(struct page_list *l)
{
	size_t i;

	l->pages = calloc(track.nr + 1, sizeof(*l->pages));
	if (!l->pages)
		die("out of memory", -ENOMEM);
	l->nr = 0;
	for (i = 0; i < track.nr; i++)
		if (track.seen[i])
			l->pages[l->nr++] = track.map + i * PAGE;
	/* the slot more: the hw-breakpoint step's debug registers */
	l->pages = realloc(l->pages, (l->nr + 1) * sizeof(*l->pages)) ?: l->pages;
}

/*
 * The vCPUs' debug registers, which the guest writes (DR0-DR3 its
 * breakpoints' addresses, DR7 their enables, types and lengths): a dump's
 * notes lack them, so scripts/fuzz-snapshot.sh saves "info registers -a"
 * beside the snapshot (.regs). Inputs edit them like a page of guest
 * memory (offsets modulo the block); they are written into the vCPUs the
 * hw-breakpoint check reads before every run.
 */
struct dregs {
	u64 dr[4], dr6, dr7;
};

static union {
	struct dregs cpu[PAGE / sizeof(struct dregs)];
	u8 page[PAGE];
} dregs __attribute__((aligned(PAGE)));
static size_t nr_dregs;		/* vCPUs with debug registers */

static void dregs_apply(void)
{
	struct vmiaas_vcpu *vc = guest->backend->vcpus;
	size_t i;

	for (i = 0; i < nr_dregs; i++) {
		memcpy(vc[i].dr, dregs.cpu[i].dr, sizeof(vc[i].dr));
		vc[i].dr6 = dregs.cpu[i].dr6;
		vc[i].dr7 = dregs.cpu[i].dr7;
	}
}

/* SNAP.regs (SNAP without .elf): vCPU N's debug registers into vCPU N. */
static void dregs_load(const char *snap)
{
	struct backend *b = guest->backend;
	struct vmiaas_vcpu *vcpus;
	char path[4096], *text;
	size_t len = strlen(snap), nr, i;
	struct stat st;
	int fd;

	if (len > 4 && !strcmp(snap + len - 4, ".elf"))
		len -= 4;
	snprintf(path, sizeof(path), "%.*s.regs", (int)len, snap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fuzz_checks: %s: %s: no debug registers\n",
			path, strerror(errno));
		return;
	}
	if (fstat(fd, &st))
		die(path, -errno);
	text = calloc(1, (size_t)st.st_size + 1);
	if (!text || read(fd, text, st.st_size) != st.st_size)
		die(path, -EIO);
	close(fd);
	if (qmp_parse_registers(text, &vcpus, &nr))
		die("the snapshot's .regs is not info registers -a text", -EBADMSG);
	free(text);
	for (i = 0; i < nr && i < b->nr_vcpus &&
		    i < ARRAY_SIZE(dregs.cpu); i++) {
		if (vcpus[i].index != b->vcpus[i].index ||
		    !(vcpus[i].flags & VMIAAS_VCPU_DEBUG))
			die("the snapshot's .regs and vCPU notes disagree", -EBADMSG);
		memcpy(dregs.cpu[i].dr, vcpus[i].dr, sizeof(dregs.cpu[i].dr));
		dregs.cpu[i].dr6 = vcpus[i].dr6;
		dregs.cpu[i].dr7 = vcpus[i].dr7;
		b->vcpus[i].flags |= VMIAAS_VCPU_DEBUG;
	}
	nr_dregs = i;
	free(vcpus);
	dregs_apply();
}

/* @page first in @l (index 0 in every snapshot), in its slot more. */
static void list_push_front(struct page_list *l, u8 *page)
{
	memmove(l->pages + 1, l->pages, l->nr * sizeof(*l->pages));
	l->pages[0] = page;
	l->nr++;
}

/*
 * Zaps the mapping (no edit yet: nothing private is lost), runs, asks:
 * every step and the views (walked), each step alone (its own list: the
 * hw-breakpoint step's gets the debug registers too), the whole check
 * (measured).
 */
static void collect_all(const struct backend_file *f)
{
	size_t i;

	track_begin(f);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		track_zap(f);
		steps[i].run();
		collect_pages(&steps[i].pages);
		if (steps[i].run == step_hwbp && nr_dregs)
			list_push_front(&steps[i].pages, dregs.page);
	}
	track_zap(f);
	run_walkers(true, ALL_STEPS);
	run_views();
	collect_pages(&walked);
	if (!walked.nr)
		die("no page of the snapshot was read", 0);
	run_checks();
	collect_pages(&measured);
	track_end(f);
}

/*
 * VMIAAS_FUZZ_STEPS=NAME,NAME...: every input focused on one of these
 * steps (mode bits 3-7 modulo their number), without the whole check
 * and the patch records: a long run on a few walkers (a new one, say)
 * at hundreds of inputs a second rather than a few.
 */
static size_t only[ARRAY_SIZE(steps)], nr_only;

static void only_parse(const char *list)
{
	const char *p = list;
	size_t i, n;

	while (list && *p) {
		n = strcspn(p, ",");
		for (i = 0; i < ARRAY_SIZE(steps); i++)
			if (strlen(steps[i].name) == n &&
			    !strncmp(steps[i].name, p, n))
				break;
		if (i == ARRAY_SIZE(steps) || nr_only == ARRAY_SIZE(only))
			die("VMIAAS_FUZZ_STEPS: not a step name (see the focus lines)",
			    -EINVAL);
		only[nr_only++] = i;
		p += n + (p[n] == ',');
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const u8 key[VMIAAS_KEY_SIZE] = "vmiaas fuzz_checks fixed key";
	const char *snap = getenv("VMIAAS_FUZZ_SNAPSHOT");
	const char *record = getenv("VMIAAS_FUZZ_RECORD");
	struct vmiaas_target t = { .sz = sizeof(t) };
	struct vmiaas_diag diag = { 0 };
	size_t i;
	int err;

	libbpf_set_print(quiet);
	check_rescan_us = 0;		/* a snapshot does not settle */
	patching_poke_wait_us = 0;
	if (!snap)
		die("set VMIAAS_FUZZ_SNAPSHOT (make fuzz does)", -EINVAL);
	t.dump_path = record ? record : snap;
	err = vmiaas_open(&t, &guest, &diag);
	if (err) {
		fprintf(stderr, "fuzz_checks: %s: %s\n", t.dump_path, diag.msg);
		exit(1);
	}
	dregs_load(snap);
	if (record)
		record_attach_pages(guest->backend->priv);
	err = vmiaas_baseline_take(guest, key, &baseline);
	if (err)
		die(vmiaas_last_diag(guest)->msg, err);
	if (vmiaas_symbol_addr(guest, "_stext", &stext))
		die("no _stext", -ENOENT);
	if (record) {
		run_everything();
		write_snapshot(snap, guest->backend->priv);
	}
	remap_private(snap, guest->backend->priv);
	collect_all(guest->backend->priv);
	fprintf(stderr, "fuzz_checks: %zu pages walked, %zu measured, %zu vCPUs' debug registers; %s\n",
		walked.nr, measured.nr, nr_dregs, vmiaas_info(guest)->banner);
	for (i = 0; i < ARRAY_SIZE(steps); i++)
		fprintf(stderr, "fuzz_checks: focus %zu: %s, %zu pages\n", i + 1,
			steps[i].name, steps[i].pages.nr);
	only_parse(getenv("VMIAAS_FUZZ_STEPS"));
	return 0;
}

struct saved {
	u8 *page;
	u8 bytes[PAGE];
};

/*
 * Index bit 23 picks a measured page, else one of @l (the walked pages,
 * or the focused step's).
 */
static u8 *edit_page(const u8 *e, const struct page_list *l)
{
	u32 i = e[0] | e[1] << 8 | e[2] << 16;

	if (i & (1U << 23) || !l->nr)
		l = &measured;
	return l->pages[i % l->nr];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct saved saved[MAX_EDITS];
	size_t pos = 1, nr_saved = 0, i, focus;
	const struct page_list *l = &walked;

	if (!size)
		return 0;
	/* Mode bits 3-7: 1..ARRAY_SIZE(steps) focus on that step. */
	focus = (data[0] >> 3) - 1;
	if (nr_only)
		focus = only[(data[0] >> 3) % nr_only];
	if (focus < ARRAY_SIZE(steps))
		l = &steps[focus].pages;
	while (nr_saved < MAX_EDITS && size - pos >= EDIT_HDR) {
		const u8 *e = data + pos;
		u8 *page = edit_page(e, l);
		size_t span = page == dregs.page ?
			      nr_dregs * sizeof(struct dregs) : PAGE;
		size_t off = (e[3] | e[4] << 8) % span;
		size_t len = min_t(size_t, e[5] % EDIT_MAX_LEN + 1,
				   min(span - off, size - pos - EDIT_HDR));

		saved[nr_saved].page = page;
		memcpy(saved[nr_saved++].bytes, page, PAGE);
		memcpy(page + off, e + EDIT_HDR, len);
		pos += EDIT_HDR + len;
	}
	dregs_apply();
	/* Mode (low 3 bits) 7: the whole check, 6: patch records (slow). */
	if ((data[0] & 7) == 7 && !nr_only)
		run_checks();
	run_walkers((data[0] & 6) == 6 && !nr_only, focus);
	if (focus >= ARRAY_SIZE(steps))
		run_views();
	for (i = nr_saved; i-- > 0;)	/* newest first: oldest bytes win */
		memcpy(saved[i].page, saved[i].bytes, PAGE);
	return 0;
}
