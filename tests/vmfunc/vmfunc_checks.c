// SPDX-License-Identifier: GPL-2.0
/*
 * vmfunc_checks: vmiaas.ko's mailbox protocol, registered checks and
 * hypercall, end to end in the Bochs L1 (tests/vmfunc/checks-test.sh).
 *
 * A minimal VMM on the KVM API in the shape of a KVM selftest: 64-bit L2
 * guests (checks_guest.S) that do one operation per KVM_RUN, driven by
 * the registers. Guest RAM: 1 MiB at GPA 0, identity-mapped with a 2 MiB
 * page, plus the 2 MiB page at CG_MAILBOX that only view 1 backs. The
 * checks registered cover a data page (its SHA-256 by guest-physical and
 * by guest-virtual address) and a table of eight pointers. Further cases:
 * a guest in view 1 stays there across a root load (sticky view), the
 * per-VM counters in the events, and a memslot where view 1 has the
 * mailbox is refused while the view is on.
 *
 * Needs vmiaas.ko loaded next to the patched kvm-intel.ko, tracefs for
 * the exit-reason counts, and root (the module parameters are changed
 * for the rate-limit tests and restored). Prints TAP; the plan comes last.
 * Built on the host: gcc -static vmfunc_checks.c checks_guest.S -lcrypto.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <openssl/sha.h>

#include "../lib/tap.h"
#include "checks_guest.h"
#include "kvm_cpuid.h"
#include "../../include/uapi/linux/vmiaas.h"

#define MEM_SIZE	0x100000	/* guest RAM at GPA 0 */
#define G_PML4		0x10000
#define G_PDPT		0x11000
#define G_PD		0x12000
#define G_GDT		0x13000
#define G_IDT		0x14000
#define G_PDPT2		0x15000		/* maps CG_MAILBOX */
#define G_PD2		0x16000
#define G_PDPT3		0x17000		/* the kernel half, for exec-memory */
#define G_PD3		0x18000
#define KHALF_VA	0xffffffff80000000ULL	/* PML4 511, PDPT 510 */
#define G_STACK(v)	(0x8000 + 0x1000 * (v))
#define DATA_GPA	0x20000		/* a monitored page */
#define TABLE_GPA	0x21000		/* a monitored pointer table */
#define TABLE_LEN	8
#define SLOT1_GPA	0x100000	/* the memslot added and replaced */
#define SLOT1_SIZE	0x10000
#define POLLS		(1ULL << 26)	/* guest polls before giving up */
#define MAX_VCPUS	2
#define MAX_RUN_EXITS	100000

_Static_assert(offsetof(struct vmiaas_mailbox, resp_seq) == MB_RESP_SEQ, "");
_Static_assert(offsetof(struct vmiaas_mailbox, resp_status) == MB_RESP_STATUS, "");
_Static_assert(offsetof(struct vmiaas_mailbox, resp_verdict) == MB_RESP_VERDICT, "");
_Static_assert(offsetof(struct vmiaas_mailbox, resp_nr_failed) == MB_RESP_NR_FAILED, "");
_Static_assert(offsetof(struct vmiaas_mailbox, resp_failed_mask) == MB_RESP_MASK, "");
_Static_assert(offsetof(struct vmiaas_mailbox, resp_cookie) == MB_RESP_COOKIE, "");
_Static_assert(offsetof(struct vmiaas_mailbox, req_seq) == MB_REQ_SEQ, "");
_Static_assert(offsetof(struct vmiaas_mailbox, req_reason) == MB_REQ_REASON, "");
_Static_assert(offsetof(struct vmiaas_mailbox, req_flags) == MB_REQ_FLAGS, "");
_Static_assert(offsetof(struct vmiaas_mailbox, req_cookie) == MB_REQ_COOKIE, "");
_Static_assert(HC_NR == VMIAAS_HC_NR && HC_REQUEST == VMIAAS_HC_REQUEST, "");
_Static_assert(EAGAIN_NEG == -EAGAIN, "");

#define MODES_ALL	(VMIAAS_MODE_VMFUNC | VMIAAS_MODE_HYPERCALL | \
			 VMIAAS_MODE_POLL)

static int kvm_fd;

struct vcpu {
	int fd;
	struct kvm_run *run;
	int stats_fd;
	uint64_t exits_off;
};

struct vm {
	const char *name;
	int fd;
	int vmiaas;		/* /dev/vmiaas, attached; -1 */
	uint8_t *mem;
	unsigned int nr_vcpus;
	struct vcpu vcpu[MAX_VCPUS];
};

/* What one guest operation left. */
struct op {
	struct kvm_regs in, out;
	int64_t exits;		/* VM exits during it, but the final HLT */
	uint64_t mmio_addr;	/* the last KVM_EXIT_MMIO, or 0 */
};

static void __attribute__((noreturn)) bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s)\n", strerror(errno));
	exit(KSFT_FAIL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* ---- the guest ---- */

/* Page tables, GDT and an IDT whose #UD gate skips VMFUNC. */
static void guest_tables(uint8_t *mem)
{
	uint64_t *gdt = (uint64_t *)(mem + G_GDT);
	uint64_t *idt = (uint64_t *)(mem + G_IDT);
	int i;

	memcpy(mem + CG_LOAD, cg_start, cg_end - cg_start);
	*(uint64_t *)(mem + G_PML4) = G_PDPT | 0x3;
	*(uint64_t *)(mem + G_PDPT) = G_PD | 0x3;
	*(uint64_t *)(mem + G_PD) = 0x83;		/* 2 MiB at 0 */
	*(uint64_t *)(mem + G_PML4 + 8 * (CG_MAILBOX >> 39 & 511)) =
		G_PDPT2 | 0x3;
	*(uint64_t *)(mem + G_PDPT2 + 8 * (CG_MAILBOX >> 30 & 511)) =
		G_PD2 | 0x3;
	*(uint64_t *)(mem + G_PD2 + 8 * (CG_MAILBOX >> 21 & 511)) =
		CG_MAILBOX | 0x83;
	gdt[1] = 0x00af9b000000ffffULL;	/* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;	/* 0x10: data */
	for (i = 0; i < 256; i++) {
		uint64_t off = CG_LOAD + ((i == 6 ? cg_ud : cg_other) - cg_start);

		idt[2 * i] = (off & 0xffff) | 0x08ULL << 16 | 0x8eULL << 40 |
			     (off >> 16 & 0xffff) << 48;
		idt[2 * i + 1] = 0;
	}
}

static void guest_data(uint8_t *mem)
{
	uint64_t *table = (uint64_t *)(mem + TABLE_GPA);
	int i;

	for (i = 0; i < 4096; i++)
		mem[DATA_GPA + i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < TABLE_LEN; i++)
		table[i] = 0xffffffff81000000ULL + 0x40 * i;
}

static void vcpu_long_mode(struct vcpu *v)
{
	struct kvm_segment code = {
		.limit = 0xffffffff, .selector = 0x08, .type = 11,
		.present = 1, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		bail("KVM_GET_SREGS");
	data.selector = 0x10;
	data.type = 3;
	data.l = 0;
	data.db = 1;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = data;
	sregs.gdt.base = G_GDT;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = G_IDT;
	sregs.idt.limit = 256 * 16 - 1;
	sregs.cr3 = G_PML4;
	sregs.cr4 = 0x20;
	sregs.cr0 = 0x80000033;
	sregs.efer = 0x500;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		bail("KVM_SET_SREGS");
}

/* The vCPU's "exits" counter in its binary stats. */
static void vcpu_stats(struct vcpu *v)
{
	struct kvm_stats_header hdr;
	size_t dsize;
	uint32_t i;
	char *d;

	v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	if (v->stats_fd < 0 ||
	    pread(v->stats_fd, &hdr, sizeof(hdr), 0) != sizeof(hdr) ||
	    hdr.num_desc > 4096 || hdr.name_size > 4096)
		bail("KVM_GET_STATS_FD");
	dsize = sizeof(struct kvm_stats_desc) + hdr.name_size;
	d = calloc(hdr.num_desc, dsize);
	if (!d || pread(v->stats_fd, d, hdr.num_desc * dsize,
			hdr.desc_offset) != (ssize_t)(hdr.num_desc * dsize))
		bail("stats descriptors");
	for (i = 0; i < hdr.num_desc; i++) {
		struct kvm_stats_desc *e = (void *)(d + i * dsize);

		if (!strncmp(e->name, "exits", hdr.name_size)) {
			v->exits_off = hdr.data_offset + e->offset;
			free(d);
			return;
		}
	}
	bail("no exits counter");
}

static int64_t vcpu_exits(const struct vcpu *v)
{
	uint64_t n;

	if (pread(v->stats_fd, &n, sizeof(n), v->exits_off) != sizeof(n))
		return -1;
	return (int64_t)n;
}

static void vcpu_add(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu[vm->nr_vcpus];
	int size;

	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, vm->nr_vcpus);
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (v->fd < 0 || size < (int)sizeof(*v->run))
		bail("KVM_CREATE_VCPU");
	if (kvm_cpuid_set_supported(kvm_fd, v->fd))
		bail("KVM_SET_CPUID2");
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		bail("mmap kvm_run");
	vcpu_long_mode(v);
	vcpu_stats(v);
	vm->nr_vcpus++;
}

static void vm_create(struct vm *vm, const char *name)
{
	struct kvm_userspace_memory_region r = {
		.memory_size = MEM_SIZE,
	};

	memset(vm, 0, sizeof(*vm));
	vm->name = name;
	vm->vmiaas = -1;
	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		bail("KVM_CREATE_VM");
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		bail("mmap guest RAM");
	guest_tables(vm->mem);
	guest_data(vm->mem);
	r.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		bail("KVM_SET_USER_MEMORY_REGION");
	vcpu_add(vm);
}

/* Runs one operation on @vcpu to the guest's HLT; false if it did not. */
static bool guest_op(struct vm *vm, unsigned int vcpu, struct op *op)
{
	struct vcpu *v = &vm->vcpu[vcpu];
	int64_t before;
	int n;

	op->in.rip = CG_LOAD;
	op->in.rsp = G_STACK(vcpu);
	op->in.rflags = 0x2;
	op->mmio_addr = 0;
	if (ioctl(v->fd, KVM_SET_REGS, &op->in))
		bail("KVM_SET_REGS");
	before = vcpu_exits(v);
	for (n = 0; n < MAX_RUN_EXITS; n++) {
		if (ioctl(v->fd, KVM_RUN, NULL)) {
			ksft_print_msg("%s: KVM_RUN: %s\n", vm->name, strerror(errno));
			return false;
		}
		if (v->run->exit_reason == KVM_EXIT_HLT)
			break;
		if (v->run->exit_reason != KVM_EXIT_MMIO) {
			ksft_print_msg("%s: unexpected exit %u\n", vm->name,
				       v->run->exit_reason);
			return false;
		}
		op->mmio_addr = v->run->mmio.phys_addr;
		if (!v->run->mmio.is_write)
			memset(v->run->mmio.data, 0, sizeof(v->run->mmio.data));
	}
	op->exits = vcpu_exits(v) - before - 1;
	if (ioctl(v->fd, KVM_GET_REGS, &op->out))
		bail("KVM_GET_REGS");
	return n < MAX_RUN_EXITS;
}

/* A numeric parameter of vmiaas.ko, or ~0UL. */
static unsigned long param_get(const char *name)
{
	unsigned long v = ~0UL;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/vmiaas/parameters/%s", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = ~0UL;
		fclose(f);
	}
	return v;
}

static void print_stats(const char *why)
{
	static const char *const names[] = { "stat_passes", "stat_kicks",
					      "stat_served", "poll_ms" };
	char path[96], v[4][32];
	unsigned int i;
	FILE *f;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/sys/module/vmiaas/parameters/%s",
			 names[i]);
		strcpy(v[i], "?");
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%31s", v[i]) != 1)
				strcpy(v[i], "?");
			fclose(f);
		}
	}
	ksft_print_msg("%s: kthread passes %s, kicked by exits %s, served %s (poll_ms %s)\n",
		       why, v[0], v[1], v[2], v[3]);
}

/*
 * The L2 gave up polling: wait again, up to WAIT_RETRIES more runs (an
 * agent would do the same, or fall back to the hypercall). In the Bochs
 * L1 the serving kthread sometimes gets no CPU time while the L2 spins.
 */
#define WAIT_RETRIES	4

static bool guest_wait_more(struct vm *vm, unsigned int vcpu, struct op *op)
{
	uint64_t seq = op->out.rbx;
	int64_t exits = op->exits;
	unsigned int i;

	for (i = 1; i <= WAIT_RETRIES; i++) {
		struct op w = { .in = { .rdi = OP_WAIT, .r8 = POLLS } };

		ksft_print_msg("%s: no answer to seq %llu after %llu polls (%" PRId64 " VM exits meanwhile): waiting again (%u)\n",
			       vm->name, (unsigned long long)seq,
			       (unsigned long long)POLLS, exits, i);
		print_stats("no answer yet");
		if (!guest_op(vm, vcpu, &w) || w.out.rbx != seq)
			return false;
		exits = w.exits;
		if (w.out.r8) {
			w.in = op->in;
			*op = w;
			return true;
		}
	}
	return false;
}

/* OP_REQ, on demand, waiting @polls polls; false if it did not halt. */
static bool guest_req_polls(struct vm *vm, unsigned int vcpu,
			    uint64_t cookie, uint64_t polls, struct op *op)
{
	memset(op, 0, sizeof(*op));
	op->in.rdi = OP_REQ;
	op->in.rcx = VMIAAS_REASON_ON_DEMAND;
	op->in.rdx = cookie;
	op->in.r8 = polls;
	return guest_op(vm, vcpu, op);
}

/* OP_REQ: one request through the mailbox, waiting for the answer. */
static bool guest_req(struct vm *vm, unsigned int vcpu, uint64_t cookie,
		      struct op *op)
{
	if (!guest_req_polls(vm, vcpu, cookie, POLLS, op))
		return false;
	return op->out.r8 || guest_wait_more(vm, vcpu, op);
}

static void guest_simple(struct vm *vm, unsigned int vcpu, uint64_t opnr,
			 uint64_t r9, uint64_t r10, struct op *op)
{
	memset(op, 0, sizeof(*op));
	op->in.rdi = opnr;
	op->in.r9 = r9;
	op->in.r10 = r10;
	if (!guest_op(vm, vcpu, op))
		ksft_print_msg("%s: operation %" PRIu64 " did not halt\n",
			       vm->name, opnr);
}

static long guest_hc(struct vm *vm, unsigned int vcpu, uint64_t nr,
		     uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct op op = { .in = { .rdi = OP_HC, .rax = HC_NR, .rbx = nr,
				 .rcx = a0, .rdx = a1, .r11 = a2 } };

	if (!guest_op(vm, vcpu, &op))
		return -10000;
	return (long)op.out.rax;
}

/* ---- vmiaas.ko ---- */

static void vmiaas_attach(struct vm *vm)
{
	/* records with what netfilter-hook and proc-ops found */
	struct vmiaas_attach_vm at = { .size = sizeof(at), .vm_fd = vm->fd,
				       .event_size = sizeof(struct vmiaas_event) };
	struct vmiaas_enable_view ev = { .size = sizeof(ev) };

	vm->vmiaas = open("/dev/vmiaas", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (vm->vmiaas < 0 || ioctl(vm->vmiaas, VMIAAS_IOC_ATTACH_VM, &at) ||
	    ioctl(vm->vmiaas, VMIAAS_IOC_ENABLE_VIEW, &ev))
		bail("%s: attach and enable view 1", vm->name);
}

static void sha256_of(const uint8_t *p, size_t len, uint8_t *out)
{
	SHA256(p, len, out);
}

/* The checks: check 0 and 1 the data page (GPA, GVA), check 2 the table. */
static int vmiaas_set_checks(struct vm *vm, const uint8_t *data,
			     const uint64_t *table)
{
	struct vmiaas_check c[3] = {
		{ .type = VMIAAS_CHECK_RANGE_GPA, .addr = DATA_GPA, .len = 4096 },
		{ .type = VMIAAS_CHECK_RANGE_GVA, .addr = DATA_GPA, .len = 4096,
		  .root = G_PML4 },
		{ .type = VMIAAS_CHECK_PTRS_GPA, .addr = TABLE_GPA,
		  .len = TABLE_LEN, .values = (uintptr_t)table },
	};
	struct vmiaas_set_checks sc = {
		.size = sizeof(sc), .nr_checks = 3, .checks = (uintptr_t)c,
	};

	sha256_of(data, 4096, c[0].digest);
	memcpy(c[1].digest, c[0].digest, sizeof(c[0].digest));
	return xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
}

/* Reads every queued event (non-blocking); returns how many. */
static unsigned int vmiaas_events(struct vm *vm, struct vmiaas_event *e,
				  unsigned int max)
{
	struct vmiaas_event tmp;
	unsigned int n = 0;

	for (;;) {
		ssize_t r = read(vm->vmiaas, n < max ? &e[n] : &tmp,
				 sizeof(tmp));

		if (r != sizeof(tmp))
			return n;
		n++;
	}
}

/* ---- the L1's kvm_exit trace, by exit reason ---- */

#define TRACE	"/sys/kernel/tracing/"

static void trace_write(const char *file, const char *s)
{
	int fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			ksft_print_msg("write %s: %s\n", file, strerror(errno));
		close(fd);
	}
}

static void trace_begin(void)
{
	trace_write(TRACE "tracing_on", "0");
	trace_write(TRACE "trace", "");
	trace_write(TRACE "events/kvm/kvm_exit/enable", "1");
	trace_write(TRACE "tracing_on", "1");
}

struct exit_counts {
	unsigned int total, vmcall, vmfunc, other;	/* other: not irq/HLT */
	char text[256];
};

/* Counts the kvm_exit events since trace_begin() by reason. */
static bool trace_end(struct exit_counts *c)
{
	char line[512], reason[64];
	FILE *f;

	trace_write(TRACE "tracing_on", "0");
	trace_write(TRACE "events/kvm/kvm_exit/enable", "0");
	memset(c, 0, sizeof(*c));
	f = fopen(TRACE "trace", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " kvm_exit: ");

		if (!p || !(p = strstr(p, "reason ")) ||
		    sscanf(p, "reason %63s", reason) != 1)
			continue;
		c->total++;
		if (!strcmp(reason, "VMCALL"))
			c->vmcall++;
		else if (!strcmp(reason, "VMFUNC"))
			c->vmfunc++;
		else if (strcmp(reason, "EXTERNAL_INTERRUPT") &&
			 strcmp(reason, "PREEMPTION_TIMER") &&
			 strcmp(reason, "HLT"))
			c->other++;
		if (strlen(c->text) + strlen(reason) + 2 < sizeof(c->text) &&
		    !strstr(c->text, reason)) {
			strcat(c->text, reason);
			strcat(c->text, " ");
		}
	}
	fclose(f);
	return true;
}

/* ---- module parameters and the serving kthread ---- */

static void param_set(const char *name, unsigned int v)
{
	char path[128], s[32];

	snprintf(path, sizeof(path), "/sys/module/vmiaas/parameters/%s", name);
	snprintf(s, sizeof(s), "%u", v);
	trace_write(path, s);
}

/* CPU time (s) of the polling kthread "vmiaas-serve", or -1. */
static double poll_cpu_s(void)
{
	char path[64], comm[32], buf[1024];
	unsigned long ut, st;
	FILE *f;
	int pid;

	for (pid = 2; pid < 4096; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		comm[0] = 0;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, "vmiaas-serve", 12))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "re");
		if (!f || !fgets(buf, sizeof(buf), f)) {
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		/* after "(comm) ", fields 3..: utime is 14, stime 15 */
		if (sscanf(strrchr(buf, ')') + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			   &ut, &st) != 2)
			return -1;
		return (double)(ut + st) / sysconf(_SC_CLK_TCK);
	}
	return -1;
}

/*
 * What serving has cost the host so far (s): the polling kthread's CPU
 * time plus the time spent in the VMs' work items (stat_work_ns, wall
 * time: an upper bound on their CPU time), or -1.
 */
static double serve_cpu_s(void)
{
	unsigned long work_ns = param_get("stat_work_ns");
	double kthread = poll_cpu_s();

	if (kthread < 0 || work_ns == ~0UL)
		return -1;
	return kthread + work_ns / 1e9;
}

/* ---- the tests ---- */

static void test_set_checks_args(struct vm *vm)
{
	uint64_t vals[TABLE_LEN] = { 0 };
	struct vmiaas_check c = { .type = VMIAAS_CHECK_RANGE_GPA,
				  .addr = DATA_GPA, .len = 4096 };
	struct vmiaas_check many[VMIAAS_MAX_CHECKS + 1];
	struct vmiaas_set_checks sc = { .size = sizeof(sc), .nr_checks = 1,
					.checks = (uintptr_t)&c };
	struct vmiaas_check good = c;
	int e[12], fd;

	memset(many, 0, sizeof(many));
	c.type = 9;
	e[0] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	c = good;
	c.flags = 1;
	e[1] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	c = good;
	c.len = 0;
	e[2] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	c.len = VMIAAS_MAX_RANGE + 1;
	e[3] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	c = good;
	c.type = VMIAAS_CHECK_RANGE_GVA;	/* no root */
	e[4] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	c = good;
	c.addr = ~0ULL - 10;			/* wraps */
	e[5] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	c = (struct vmiaas_check){ .type = VMIAAS_CHECK_PTRS_GPA,
		.addr = TABLE_GPA, .len = VMIAAS_MAX_PTRS + 1,
		.values = (uintptr_t)vals };
	e[6] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	c.len = TABLE_LEN;
	c.values = 0;
	e[7] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	sc.nr_checks = VMIAAS_MAX_CHECKS + 1;
	sc.checks = (uintptr_t)many;
	e[8] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	sc.nr_checks = 1;
	sc.flags = 1;
	e[9] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	sc.flags = 0;
	sc.reserved[0] = 1;
	e[10] = xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
	fd = open("/dev/vmiaas", O_RDWR | O_CLOEXEC);
	sc.reserved[0] = 0;
	e[11] = fd < 0 ? errno : xioctl(fd, VMIAAS_IOC_SET_CHECKS, &sc);
	if (fd >= 0)
		close(fd);
	ksft_print_msg("bad SET_CHECKS: type %s, flags %s, len 0 %s, range too long %s, GVA without root %s, wrapping %s, table too long %s, table without values %s, 65 checks %s, set flags %s, reserved %s, unattached %s\n",
		       strerrorname_np(e[0]), strerrorname_np(e[1]),
		       strerrorname_np(e[2]), strerrorname_np(e[3]),
		       strerrorname_np(e[4]), strerrorname_np(e[5]),
		       strerrorname_np(e[6]), strerrorname_np(e[7]),
		       strerrorname_np(e[8]), strerrorname_np(e[9]),
		       strerrorname_np(e[10]), strerrorname_np(e[11]));
	TEST_ASSERT(e[0] == EINVAL && e[1] == EINVAL && e[2] == EINVAL &&
		    e[3] == E2BIG && e[4] == EINVAL && e[5] == EINVAL &&
		    e[6] == E2BIG && e[7] == EINVAL && e[8] == E2BIG &&
		    e[9] == EOPNOTSUPP && e[10] == EINVAL && e[11] == ENXIO,
		    "- SET_CHECKS: bad arguments are refused (EINVAL, E2BIG, EOPNOTSUPP, ENXIO)");
}

/* SET_CHECKS with one check @c: 0 or the errno. */
static int set_one(struct vm *vm, const struct vmiaas_check *c)
{
	struct vmiaas_set_checks sc = { .size = sizeof(sc), .nr_checks = 1,
					.checks = (uintptr_t)c };

	return xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
}

/* Bad _BYTES and _EXEC checks (types 5-7) are refused. */
static void test_set_checks_args_new(struct vm *vm)
{
	struct vmiaas_exec_range r[VMIAAS_MAX_EXEC_RANGES + 1];
	uint8_t bytes[VMIAAS_MAX_BYTES + 1];
	struct vmiaas_check b = { .type = VMIAAS_CHECK_BYTES_GPA,
		.addr = DATA_GPA, .len = 16, .values = (uintptr_t)bytes,
		.flags = VMIAAS_CHECK_CSTRING };
	struct vmiaas_check x = { .type = VMIAAS_CHECK_EXEC_GVA, .len = 1,
		.root = G_PML4, .values = (uintptr_t)r };
	struct vmiaas_check c;
	int e[10];

	memset(bytes, 'a', sizeof(bytes));
	memset(r, 0, sizeof(r));
	r[0] = (struct vmiaas_exec_range){ .start = KHALF_VA,
					   .end = KHALF_VA + 4096 };
	e[0] = set_one(vm, &b);			/* no NUL */
	c = b;
	c.flags = 2;
	e[1] = set_one(vm, &c);
	c = b;
	c.flags = 0;
	c.len = VMIAAS_MAX_BYTES + 1;
	e[2] = set_one(vm, &c);
	c = x;
	c.root = 0;
	e[3] = set_one(vm, &c);
	c = x;
	c.addr = 0x1000;			/* the user half */
	e[4] = set_one(vm, &c);
	c = x;
	c.len = VMIAAS_MAX_EXEC_RANGES + 1;
	e[5] = set_one(vm, &c);
	c = x;
	c.flags = VMIAAS_CHECK_CSTRING;
	e[6] = set_one(vm, &c);
	c = x;
	c.digest[0] = 1;
	e[7] = set_one(vm, &c);
	r[0].end = r[0].start;			/* empty */
	e[8] = set_one(vm, &x);
	r[0].end = KHALF_VA + 4096;
	r[0].flags = 2;
	e[9] = set_one(vm, &x);
	ksft_print_msg("bad SET_CHECKS (types 5-7): string without NUL %s, unknown flag %s, bytes too long %s, exec without root %s, exec in the user half %s, 17 ranges %s, flags on exec %s, digest on exec %s, empty range %s, range flags %s\n",
		       strerrorname_np(e[0]), strerrorname_np(e[1]),
		       strerrorname_np(e[2]), strerrorname_np(e[3]),
		       strerrorname_np(e[4]), strerrorname_np(e[5]),
		       strerrorname_np(e[6]), strerrorname_np(e[7]),
		       strerrorname_np(e[8]), strerrorname_np(e[9]));
	TEST_ASSERT(e[0] == EINVAL && e[1] == EINVAL && e[2] == E2BIG &&
		    e[3] == EINVAL && e[4] == EINVAL && e[5] == E2BIG &&
		    e[6] == EINVAL && e[7] == EINVAL && e[8] == EINVAL &&
		    e[9] == EINVAL,
		    "- SET_CHECKS: bad _BYTES and _EXEC checks are refused (EINVAL, E2BIG)");
}

/* A request's answer, as the guest read it. */
static bool answer_is(const struct op *op, int64_t status, uint32_t verdict,
		      uint32_t nr_failed, uint64_t mask, uint64_t cookie)
{
	bool ok = op->out.r8 && (int64_t)op->out.r12 == status &&
		  op->out.r13 == verdict && op->out.r14 == nr_failed &&
		  op->out.r15 == mask && op->out.r11 == cookie &&
		  op->out.r9 == VMIAAS_MAILBOX_MAGIC;

	if (!ok)
		ksft_print_msg("answer: polls left %llu, status %lld, verdict %llu, failed %llu, mask 0x%llx, cookie 0x%llx, magic 0x%llx; wanted %lld %u %u 0x%llx 0x%llx\n",
			       (unsigned long long)op->out.r8,
			       (long long)op->out.r12,
			       (unsigned long long)op->out.r13,
			       (unsigned long long)op->out.r14,
			       (unsigned long long)op->out.r15,
			       (unsigned long long)op->out.r11,
			       (unsigned long long)op->out.r9,
			       (long long)status, verdict, nr_failed,
			       (unsigned long long)mask,
			       (unsigned long long)cookie);
	return ok;
}

static void test_requests(struct vm *vm, const uint8_t *data0,
			  const uint64_t *table0)
{
	struct vmiaas_event ev[8];
	struct op op, op2;
	unsigned int n;
	bool ok;

	ok = guest_req(vm, 0, 0x1111, &op);
	TEST_ASSERT(ok && answer_is(&op, -ENOENT, VMIAAS_VERDICT_NONE, 0, 0, 0x1111),
		    "- VMFUNC request before SET_CHECKS: -ENOENT in the mailbox");
	vmiaas_events(vm, ev, 8);

	TEST_ASSERT(vmiaas_set_checks(vm, data0, table0) == 0,
		    "- SET_CHECKS registers a GPA range, a GVA range and a pointer table");

	ok = guest_req(vm, 0, 0x1234, &op);
	TEST_ASSERT(ok && answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x1234),
		    "- VMFUNC request: verdict CLEAN in the mailbox, cookie echoed (%" PRId64 " exits)",
		    op.exits);
	n = vmiaas_events(vm, ev, 8);
	ksft_print_msg("event: n %u size %u vcpu %u seq %llu source %u status %d verdict %u cookie 0x%llx latency %llu us\n",
		       n, ev[0].size, ev[0].vcpu, (unsigned long long)ev[0].seq,
		       ev[0].source, ev[0].status, ev[0].verdict,
		       (unsigned long long)ev[0].cookie,
		       (unsigned long long)(ev[0].t_done_ns - ev[0].t_seen_ns) / 1000);
	TEST_ASSERT(n == 1 && ev[0].size == sizeof(ev[0]) && ev[0].vcpu == 0 &&
		    ev[0].seq == op.out.rbx && ev[0].verdict == VMIAAS_VERDICT_CLEAN &&
		    ev[0].cookie == 0x1234 && ev[0].nr_checks == 3 &&
		    (ev[0].source == VMIAAS_SRC_EXIT || ev[0].source == VMIAAS_SRC_POLL),
		    "- read(/dev/vmiaas): one event, CLEAN, same seq and cookie");

	memset(&op, 0, sizeof(op));
	op.in.rdi = OP_POST;
	op.in.rcx = VMIAAS_REASON_PERIODIC;
	op.in.rdx = 0x5555;
	ok = guest_op(vm, 0, &op);
	memset(&op2, 0, sizeof(op2));
	op2.in.rdi = OP_WAIT;
	op2.in.r8 = POLLS;
	ok = ok && guest_op(vm, 0, &op2);
	ksft_print_msg("posting a request: %" PRId64 " VM exits between VMFUNC(0,1) and the HLT\n",
		       op.exits);
	TEST_ASSERT(ok && op.exits == 0 && op2.out.rbx == op.out.rbx &&
		    answer_is(&op2, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x5555),
		    "- posting a request through the mailbox costs no VM exit (got %" PRId64 "); the answer comes later",
		    op.exits);
	vmiaas_events(vm, ev, 8);

	guest_simple(vm, 0, OP_WRITE, 0x4141414141414141ULL, DATA_GPA + 16, &op);
	ok = guest_req(vm, 0, 0x2222, &op);
	TEST_ASSERT(ok && answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 2, 0x3, 0x2222),
		    "- the L2 writes the monitored page: TAMPERED, checks 0 and 1 fail");
	guest_simple(vm, 0, OP_WRITE, *(uint64_t *)(data0 + 16), DATA_GPA + 16, &op);
	guest_simple(vm, 0, OP_WRITE, 0xffffffffc0de0000ULL, TABLE_GPA + 8, &op);
	ok = guest_req(vm, 0, 0x3333, &op);
	TEST_ASSERT(ok && answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x4, 0x3333),
		    "- the L2 redirects a monitored pointer: TAMPERED, check 2 fails");
	guest_simple(vm, 0, OP_WRITE, table0[1], TABLE_GPA + 8, &op);
	ok = guest_req(vm, 0, 0x4444, &op);
	TEST_ASSERT(ok && answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x4444),
		    "- restored: CLEAN again");
	n = vmiaas_events(vm, ev, 8);
	TEST_ASSERT(n == 3 && ev[0].verdict == VMIAAS_VERDICT_TAMPERED &&
		    ev[0].failed_mask == 3 && ev[1].failed_mask == 4 &&
		    ev[2].verdict == VMIAAS_VERDICT_CLEAN,
		    "- the events carry the verdicts and failed masks (%u events)", n);
}

/* The guest's kernel half: PD3's first 2 MiB entry (0: nothing mapped). */
static void khalf_map(struct vm *vm, uint64_t pde)
{
	*(uint64_t *)(vm->mem + G_PML4 + 8 * 511) = pde ? G_PDPT3 | 0x3 : 0;
	*(uint64_t *)(vm->mem + G_PDPT3 + 8 * 510) = G_PD3 | 0x3;
	*(uint64_t *)(vm->mem + G_PD3) = pde;
	*(uint64_t *)(vm->mem + G_PD3 + 8) = 0;
}

/*
 * exec-memory and a bytes check run in the module: check 0 the 8 bytes
 * at DATA_GPA + 16 (guest-virtual), check 1 exec-memory with
 * [KHALF_VA, +2 MiB) allowed. The host maps the guest's kernel half: an
 * allowed read-only page, then writable (W^X), then one outside.
 */
static void test_bytes_exec(struct vm *vm, const uint8_t *data0,
			    const uint64_t *table0)
{
	struct vmiaas_exec_range allow = { .start = KHALF_VA,
					   .end = KHALF_VA + (2ULL << 20) };
	struct vmiaas_check c[2] = {
		{ .type = VMIAAS_CHECK_BYTES_GVA, .addr = DATA_GPA + 16, .len = 8,
		  .root = G_PML4, .values = (uintptr_t)(data0 + 16) },
		{ .type = VMIAAS_CHECK_EXEC_GVA, .len = 1, .root = G_PML4,
		  .values = (uintptr_t)&allow },
	};
	struct vmiaas_set_checks sc = { .size = sizeof(sc), .nr_checks = 2,
					.checks = (uintptr_t)c };
	struct vmiaas_event ev[8];
	struct op op;
	bool ok[6];

	khalf_map(vm, 0x81);				/* 2 MiB RX at GPA 0 */
	TEST_ASSERT(xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc) == 0,
		    "- SET_CHECKS registers a bytes check and exec-memory");
	ok[0] = guest_req(vm, 0, 0x7001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x7001);
	khalf_map(vm, 0x83);				/* writable too */
	ok[1] = guest_req(vm, 0, 0x7002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x2, 0x7002);
	khalf_map(vm, 0x81);
	*(uint64_t *)(vm->mem + G_PD3 + 8) = 0x81;	/* next 2 MiB: outside */
	ok[2] = guest_req(vm, 0, 0x7003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x2, 0x7003);
	khalf_map(vm, 0);
	guest_simple(vm, 0, OP_WRITE, 0x4242424242424242ULL, DATA_GPA + 16, &op);
	ok[3] = guest_req(vm, 0, 0x7004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x7004);
	guest_simple(vm, 0, OP_WRITE, *(uint64_t *)(data0 + 16), DATA_GPA + 16, &op);
	ok[4] = guest_req(vm, 0, 0x7005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x7005);
	vmiaas_events(vm, ev, 8);
	ok[5] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- exec-memory: an allowed read-only executable mapping: CLEAN");
	TEST_ASSERT(ok[1], "- exec-memory: the same mapping writable (W^X): TAMPERED, check 1");
	TEST_ASSERT(ok[2], "- exec-memory: an executable mapping outside the allowed ranges: TAMPERED, check 1");
	TEST_ASSERT(ok[3] && ok[4],
		    "- bytes: the L2 writes the 8 bytes: TAMPERED, check 0; restored: CLEAN");
	TEST_ASSERT(ok[5], "- the first three checks registered again");
}

/* netfilter-hook's crafted namespace, in the kernel half khalf_map() maps. */
#define NF_GPA		0x40000		/* net_namespace_list */
#define NF_NET		0x41000		/* the one struct net */
#define NF_ENTRIES	0x42000		/* its ipv4 PRE_ROUTING entries */
#define NF_HOOK		(KHALF_VA + 0x1230)	/* inside the allowed text */

static void nf_put(struct vm *vm, uint64_t gpa, uint64_t val)
{
	memcpy(vm->mem + gpa, &val, sizeof(val));
}

/* One namespace, no devices, a hook @hook on ipv4 point 0 (@num hooks). */
static void nf_craft(struct vm *vm, uint64_t hook, uint16_t num)
{
	nf_put(vm, NF_GPA, KHALF_VA + NF_NET + 0x10);
	nf_put(vm, NF_NET + 0x10, KHALF_VA + NF_GPA);
	nf_put(vm, NF_NET + 0x20, 4026531840ULL);
	nf_put(vm, NF_NET + 0x100, KHALF_VA + NF_ENTRIES);
	nf_put(vm, NF_NET + 0x300, KHALF_VA + NF_NET + 0x300);
	memcpy(vm->mem + NF_ENTRIES, &num, sizeof(num));
	nf_put(vm, NF_ENTRIES + 8, hook);
}

static struct vmiaas_nf_check nf_layout(void)
{
	return (struct vmiaas_nf_check){
		.net_list = 0x10, .net_inum = 0x20, .dev_base = 0x300,
		.dev_list = 0x40, .ingress = 0x80,
		.family_off = { 0x100, 0x140, 0x180, 0x1c0 },
		.family_nr = { 5, 5, 3, 5 }, .flags = VMIAAS_NF_INGRESS,
		.nr_allow = 1,
		.allow = { { KHALF_VA, KHALF_VA + 0x10000 } },
	};
}

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A hostile check: one or two changes to a valid check (->in_check) or
 * to its record, each the ->size bytes at ->off set to ->value's low
 * bytes (x86: little-endian; set[1].size 0: one change), and the errno
 * SET_CHECKS must refuse it with (0: EINVAL).
 */
struct bad_field {
	const char *what;
	struct {
		uint16_t off, size;
		bool in_check;
		uint64_t value;
	} set[2];
	int err;
};

#define BAD_SET(type, check, field, val)				\
	{ offsetof(type, field), sizeof(((type *)0)->field), check,	\
	  (uint64_t)(val) }
#define BAD_REC(type, w, field, val)					\
	{ w, { BAD_SET(type, false, field, val) } }
#define BAD_REC2(type, w, f1, v1, f2, v2)				\
	{ w, { BAD_SET(type, false, f1, v1), BAD_SET(type, false, f2, v2) } }
#define BAD_CHECK_E(w, field, val, e)					\
	{ w, { BAD_SET(struct vmiaas_check, true, field, val) }, e }
#define BAD_CHECK(w, field, val)	BAD_CHECK_E(w, field, val, 0)

/*
 * Each of the @n hostile checks @bad made from the check @x and its
 * record (the @size bytes at x->values): whether SET_CHECKS refuses
 * every one with its errno; prints what each got.
 */
static bool refuses_each(struct vm *vm, const char *type,
			 const struct vmiaas_check *x, size_t size,
			 const struct bad_field *bad, size_t n)
{
	uint8_t *rec = malloc(size);
	struct vmiaas_check c;
	size_t i, k, nr = 0;
	int e;

	ksft_print_msg("bad SET_CHECKS (%s):", type);
	for (i = 0; rec && i < n; i++) {
		c = *x;
		memcpy(rec, (const void *)(uintptr_t)x->values, size);
		c.values = (uintptr_t)rec;
		for (k = 0; k < 2 && bad[i].set[k].size; k++)
			memcpy((bad[i].set[k].in_check ? (uint8_t *)&c : rec) +
			       bad[i].set[k].off, &bad[i].set[k].value,
			       bad[i].set[k].size);
		e = set_one(vm, &c);
		printf(" %s %s;", bad[i].what, strerrorname_np(e) ?: "0");
		nr += e == (bad[i].err ?: EINVAL);
	}
	printf("\n");
	free(rec);
	return nr == n;
}

#define NF_BAD(w, field, val)	BAD_REC(struct vmiaas_nf_check, w, field, val)

/* Bad _NF checks (type 8) are refused: every field of the layout. */
static void test_nf_args(struct vm *vm)
{
	static const struct bad_field bad[] = {
		BAD_CHECK("len 2", len, 2),
		BAD_CHECK("user half", addr, NF_GPA),
		BAD_CHECK("no root", root, 0),
		NF_BAD("9 points", family_nr[2], VMIAAS_MAX_NF_POINTS + 1),
		NF_BAD("offset 64 KiB", egress, VMIAAS_MAX_NF_OFFSET),
		NF_BAD("no range", nr_allow, 0),
		NF_BAD("13 ranges", nr_allow, VMIAAS_MAX_NF_ALLOW + 1),
		NF_BAD("empty range", allow[0][1], KHALF_VA),
		NF_BAD("unknown flag", flags, 4),
		NF_BAD("reserved", reserved, 1),
	};
	struct vmiaas_nf_check nf = nf_layout();
	struct vmiaas_check x = { .type = VMIAAS_CHECK_NF_GVA, .len = 1,
		.addr = KHALF_VA + NF_GPA, .root = G_PML4,
		.values = (uintptr_t)&nf };

	TEST_ASSERT(refuses_each(vm, "type 8", &x, sizeof(nf), bad,
				 ARRAY_SIZE(bad)),
		    "- SET_CHECKS: bad netfilter-hook checks are refused (EINVAL)");
}

/*
 * netfilter-hook run in the module (core/nfhook.c): one namespace whose
 * ipv4 PRE_ROUTING has a hook in the allowed range; then outside it, an
 * implausible count, a namespace list cycle; restored: clean.
 */
static void test_nf(struct vm *vm, const uint8_t *data0,
		    const uint64_t *table0)
{
	struct vmiaas_nf_check nf = nf_layout();
	struct vmiaas_check c = { .type = VMIAAS_CHECK_NF_GVA, .len = 1,
		.addr = KHALF_VA + NF_GPA, .root = G_PML4,
		.values = (uintptr_t)&nf };
	struct vmiaas_event ev[8];
	struct op op;
	bool ok[6];

	test_nf_args(vm);
	khalf_map(vm, 0x81);
	nf_craft(vm, NF_HOOK, 1);
	TEST_ASSERT(set_one(vm, &c) == 0,
		    "- SET_CHECKS registers a netfilter-hook check");
	ok[0] = guest_req(vm, 0, 0x8001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x8001);
	nf_craft(vm, KHALF_VA + 0x100000, 1);
	ok[1] = guest_req(vm, 0, 0x8002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x8002);
	nf_craft(vm, NF_HOOK, 0xffff);
	ok[2] = guest_req(vm, 0, 0x8003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x8003);
	nf_craft(vm, NF_HOOK, 1);
	nf_put(vm, NF_NET + 0x10, KHALF_VA + NF_NET + 0x10);	/* itself */
	ok[3] = guest_req(vm, 0, 0x8004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x8004);
	nf_craft(vm, NF_HOOK, 1);
	ok[4] = guest_req(vm, 0, 0x8005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x8005);
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[5] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- netfilter-hook: a hook in the allowed text: CLEAN");
	TEST_ASSERT(ok[1], "- netfilter-hook: a hook outside the allowed ranges: TAMPERED");
	TEST_ASSERT(ok[2], "- netfilter-hook: 65535 hooks on a point (over MAX_HOOK_COUNT): TAMPERED, nothing read past the count");
	TEST_ASSERT(ok[3], "- netfilter-hook: a namespace pointing at itself (a cycle): TAMPERED, no hang");
	TEST_ASSERT(ok[4] && ok[5], "- netfilter-hook: restored: CLEAN; the first three checks registered again");
}

/* packet-tap's and input-handler's crafted lists, in the kernel half. */
#define PT_ALL_GPA	0x43000		/* ptype_all */
#define PT_BASE_GPA	0x43100		/* ptype_base[16] */
#define PT_NETS_GPA	0x43200		/* net_namespace_list */
#define PT_NET		0x44000		/* the one struct net, no device */
#define PT_PT		0x45000		/* a packet_type on ptype_all */
#define IN_HANDLERS	0x46000		/* input_handler_list */
#define IN_DEVS		0x46010		/* input_dev_list */
#define IN_H		0x47000		/* a registered handler */
#define IN_H2		0x47100		/* a handler on no list */
#define IN_DEV		0x48000		/* an input device */
#define IN_HD		0x49000		/* its handle, of IN_H */

/* An empty list_head at guest-physical @gpa (it points at itself). */
static void list_empty(struct vm *vm, uint64_t gpa)
{
	nf_put(vm, gpa, KHALF_VA + gpa);
}

/* A list at @head holding the one node @node (both guest-physical). */
static void list_one(struct vm *vm, uint64_t head, uint64_t node)
{
	nf_put(vm, head, KHALF_VA + node);
	nf_put(vm, node, KHALF_VA + head);
}

/* One packet type with func @fn on ptype_all; ptype_base empty. */
static void pt_craft(struct vm *vm, uint64_t fn)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		list_empty(vm, PT_BASE_GPA + 16 * i);
	list_one(vm, PT_ALL_GPA, PT_PT + 0x30);
	nf_put(vm, PT_PT, 0x0300);		/* htons(ETH_P_ALL) */
	nf_put(vm, PT_PT + 0x8, fn);
	list_one(vm, PT_NETS_GPA, PT_NET + 0x10);
	list_empty(vm, PT_NET + 0x300);
}

/* A handler whose event is @fn, a device with one handle of @handler. */
static void in_craft(struct vm *vm, uint64_t fn, uint64_t handler)
{
	list_one(vm, IN_HANDLERS, IN_H + 0x40);
	list_one(vm, IN_DEVS, IN_DEV + 0x10);
	list_one(vm, IN_DEV + 0x20, IN_HD + 0x10);
	nf_put(vm, IN_H, fn);
	nf_put(vm, IN_H2, NF_HOOK);
	nf_put(vm, IN_HD + 0x20, KHALF_VA + handler);
	nf_put(vm, IN_HD + 0x28, NF_HOOK);	/* handle_events */
}

static struct vmiaas_ptype_check pt_layout(void)
{
	return (struct vmiaas_ptype_check){
		.all = KHALF_VA + PT_ALL_GPA, .base = KHALF_VA + PT_BASE_GPA,
		.net_list = 0x10, .net_inum = 0x20, .dev_base = 0x300,
		.dev_list = 0x40, .dev_all = 0x80, .dev_specific = 0x90,
		.pt_list = 0x30, .pt_type = 0, .fn_off = { 0x8, 0x10, 0x18 },
		.flags = VMIAAS_PTYPE_FUNC, .nr_allow = 1,
		.allow = { { KHALF_VA, KHALF_VA + 0x10000 } },
	};
}

static struct vmiaas_input_check in_layout(void)
{
	return (struct vmiaas_input_check){
		.devs = KHALF_VA + IN_DEVS, .h_node = 0x40,
		.fn_off = { 0x0, 0x8, 0x10, 0x18, 0x20, 0x28, 0x30 },
		.d_node = 0x10, .d_hlist = 0x20, .hd_dnode = 0x10,
		.hd_handler = 0x20, .hd_events = 0x28,
		.flags = VMIAAS_INPUT_FN(0) | VMIAAS_INPUT_HANDLE_EVENTS,
		.nr_allow = 1,
		.allow = { { KHALF_VA, KHALF_VA + 0x10000 } },
	};
}

/*
 * The request @cookie's one event names @want (its kind 0: nothing):
 * check, kind, where, value, expected, point, index, err and path.
 */
static bool ev_found(struct vm *vm, uint64_t cookie,
		     const struct vmiaas_found *want)
{
	struct vmiaas_event ev[4];
	const struct vmiaas_found *f = &ev[0].found[0];
	unsigned int n = vmiaas_events(vm, ev, 4);

	if (n != 1 || ev[0].size != sizeof(ev[0]) || ev[0].cookie != cookie) {
		ksft_print_msg("%u events (size %u, cookie 0x%llx)\n", n,
			       n ? ev[0].size : 0,
			       n ? (unsigned long long)ev[0].cookie : 0ULL);
		return false;
	}
	ksft_print_msg("event 0x%llx: verdict %u, %u found: check %u kind %u where 0x%llx value 0x%llx expected 0x%llx point %u index %u err %d path \"%.64s\"\n",
		       (unsigned long long)cookie, ev[0].verdict,
		       ev[0].nr_found, f->check, f->kind,
		       (unsigned long long)f->where,
		       (unsigned long long)f->value,
		       (unsigned long long)f->expected, f->point, f->index,
		       f->err, f->path);
	if (!want->kind)
		return ev[0].nr_found == 0;
	return ev[0].nr_found == 1 && f->check == want->check &&
	       f->kind == want->kind && f->where == want->where &&
	       f->value == want->value && f->expected == want->expected &&
	       f->point == want->point && f->index == want->index &&
	       f->err == want->err && !strcmp(f->path, want->path);
}

#define PT_BAD(w, field, val)	BAD_REC(struct vmiaas_ptype_check, w, field, val)
#define IN_BAD(w, field, val)	BAD_REC(struct vmiaas_input_check, w, field, val)

/* Bad _PTYPE (type 10) and _INPUT (type 11) checks are refused. */
static void test_pt_in_args(struct vm *vm)
{
	static const struct bad_field bpt[] = {
		BAD_CHECK("len 2", len, 2),
		BAD_CHECK("user half", addr, PT_NETS_GPA),
		PT_BAD("base in the user half", base, PT_BASE_GPA),
		PT_BAD("no func", flags, VMIAAS_PTYPE_LIST_FUNC),
		PT_BAD("unknown flag", flags, VMIAAS_PTYPE_FUNC | 0x10),
		PT_BAD("offset 64 KiB", dev_specific, VMIAAS_MAX_NF_OFFSET),
		PT_BAD("no range", nr_allow, 0),
		PT_BAD("11 ranges", nr_allow, VMIAAS_MAX_HOOK_ALLOW + 1),
		PT_BAD("empty range", allow[0][1], KHALF_VA),
		PT_BAD("reserved", reserved, 1),
		PT_BAD("all in the user half", all, PT_ALL_GPA),
	};
	static const struct bad_field bin[] = {
		BAD_CHECK("len 2", len, 2),
		BAD_CHECK("user half", addr, IN_HANDLERS),
		IN_BAD("devs in the user half", devs, IN_DEVS),
		IN_BAD("unknown flag", flags, VMIAAS_INPUT_ALL + 1),
		IN_BAD("offset 64 KiB", fn_off[6], VMIAAS_MAX_NF_OFFSET),
		IN_BAD("no range", nr_allow, 0),
		IN_BAD("11 ranges", nr_allow, VMIAAS_MAX_HOOK_ALLOW + 1),
		IN_BAD("backwards range", allow[0][0], KHALF_VA + 0x10001),
		IN_BAD("reserved", reserved, 1),
	};
	struct vmiaas_ptype_check pt = pt_layout();
	struct vmiaas_input_check in = in_layout();
	struct vmiaas_check xp = { .type = VMIAAS_CHECK_PTYPE_GVA, .len = 1,
		.addr = KHALF_VA + PT_NETS_GPA, .root = G_PML4,
		.values = (uintptr_t)&pt };
	struct vmiaas_check xi = { .type = VMIAAS_CHECK_INPUT_GVA, .len = 1,
		.addr = KHALF_VA + IN_HANDLERS, .root = G_PML4,
		.values = (uintptr_t)&in };
	bool ok;

	ok = refuses_each(vm, "type 10", &xp, sizeof(pt), bpt,
			  ARRAY_SIZE(bpt));
	TEST_ASSERT(ok, "- SET_CHECKS: bad packet-tap checks are refused (EINVAL)");
	TEST_ASSERT(refuses_each(vm, "type 11", &xi, sizeof(in), bin,
				 ARRAY_SIZE(bin)),
		    "- SET_CHECKS: bad input-handler checks are refused (EINVAL)");
}

/*
 * packet-tap (check 0, core/ptypewalk.c) and input-handler (check 1,
 * core/inputwalk.c) run in the module: a packet type and a handler whose
 * functions are in the allowed text, then a func outside, a packet-type
 * list looping, a handler callback outside, a handle of a handler on no
 * list; restored: clean.
 */
static void test_pt_in(struct vm *vm, const uint8_t *data0,
		       const uint64_t *table0)
{
	struct vmiaas_ptype_check pt = pt_layout();
	struct vmiaas_input_check in = in_layout();
	struct vmiaas_check c[2] = {
		{ .type = VMIAAS_CHECK_PTYPE_GVA, .len = 1,
		  .addr = KHALF_VA + PT_NETS_GPA, .root = G_PML4,
		  .values = (uintptr_t)&pt },
		{ .type = VMIAAS_CHECK_INPUT_GVA, .len = 1,
		  .addr = KHALF_VA + IN_HANDLERS, .root = G_PML4,
		  .values = (uintptr_t)&in },
	};
	struct vmiaas_set_checks sc = { .size = sizeof(sc), .nr_checks = 2,
					.checks = (uintptr_t)c };
	struct vmiaas_event ev[8];
	struct op op;
	bool ok[7];

	test_pt_in_args(vm);
	khalf_map(vm, 0x81);
	pt_craft(vm, NF_HOOK);
	in_craft(vm, NF_HOOK, IN_H);
	TEST_ASSERT(xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc) == 0,
		    "- SET_CHECKS registers packet-tap and input-handler checks");
	vmiaas_events(vm, ev, 8);
	ok[0] = guest_req(vm, 0, 0x9001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x9001) &&
		ev_found(vm, 0x9001, &(struct vmiaas_found){ 0 });
	pt_craft(vm, KHALF_VA + 0x100000);
	ok[1] = guest_req(vm, 0, 0x9002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x9002) &&
		ev_found(vm, 0x9002, &(struct vmiaas_found){
			.kind = VMIAAS_FOUND_PTYPE_FN, .where = KHALF_VA + PT_PT,
			.value = KHALF_VA + 0x100000, .expected = 0x0300 });
	pt_craft(vm, NF_HOOK);
	nf_put(vm, PT_PT + 0x30, KHALF_VA + PT_PT + 0x30);	/* itself */
	ok[2] = guest_req(vm, 0, 0x9003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x9003) &&
		ev_found(vm, 0x9003, &(struct vmiaas_found){
			.kind = VMIAAS_FOUND_PTYPE_BAD,
			.where = KHALF_VA + PT_ALL_GPA, .err = -ELOOP });
	pt_craft(vm, NF_HOOK);
	in_craft(vm, KHALF_VA + 0x100000, IN_H);
	ok[3] = guest_req(vm, 0, 0x9004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x2, 0x9004) &&
		ev_found(vm, 0x9004, &(struct vmiaas_found){
			.check = 1, .kind = VMIAAS_FOUND_INPUT_FN,
			.where = KHALF_VA + IN_H,
			.value = KHALF_VA + 0x100000 });
	in_craft(vm, NF_HOOK, IN_H2);
	ok[4] = guest_req(vm, 0, 0x9005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x2, 0x9005) &&
		ev_found(vm, 0x9005, &(struct vmiaas_found){
			.check = 1, .kind = VMIAAS_FOUND_INPUT_BAD,
			.where = KHALF_VA + IN_H2, .point = 1,
			.expected = KHALF_VA + IN_HD, .err = -ENOENT });
	in_craft(vm, NF_HOOK, IN_H);
	ok[5] = guest_req(vm, 0, 0x9006, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x9006) &&
		ev_found(vm, 0x9006, &(struct vmiaas_found){ 0 });
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[6] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- packet-tap, input-handler: functions in the allowed text: CLEAN, nothing named");
	TEST_ASSERT(ok[1], "- packet-tap: a func outside the allowed ranges: TAMPERED, check 0, the event names the packet type (ETH_P_ALL on ptype_all) and the func");
	TEST_ASSERT(ok[2], "- packet-tap: a packet type pointing at itself (a cycle): TAMPERED, check 0, no hang, the event names ptype_all (ELOOP)");
	TEST_ASSERT(ok[3], "- input-handler: an event callback outside the allowed ranges: TAMPERED, check 1, the event names the handler and the callback");
	TEST_ASSERT(ok[4], "- input-handler: a handle whose handler is on no list: TAMPERED, check 1, the event names the handler and the handle (ENOENT)");
	TEST_ASSERT(ok[5] && ok[6], "- packet-tap, input-handler: restored: CLEAN; the first three checks registered again");
}

/*
 * tracepoint-hook's crafted tracepoints, in the kernel half: an array of
 * two s32 offsets, struct tracepoint { name 0, funcs 8 }, struct
 * tracepoint_func { func 0, data 8, prio 0x10 } of 0x18 bytes.
 */
#define TP_PTRS		0x58000		/* __start___tracepoints_ptrs */
#define TP_T0		0x58100		/* "sched_switch" */
#define TP_T1		0x58200		/* "sys_enter" */
#define TP_NAMES	0x58300		/* "sched_switch\0sys_enter" */
#define TP_F0		0x59000		/* T0's probes */
#define TP_F1		0x5a000		/* T1's probes */
#define TP_ENDLESS	0x60000		/* 4097 probes, no NULL */
#define TP_DATA		0x1234		/* a probe's data */

/* Entry @i of the array at TP_PTRS: the offset to @tp (guest-physical). */
static void tp_entry(struct vm *vm, unsigned int i, uint64_t tp)
{
	int32_t off = (int32_t)(tp - (TP_PTRS + 4 * i));

	memcpy(vm->mem + TP_PTRS + 4 * i, &off, sizeof(off));
}

/* Two tracepoints, one probe on T0 and two on T1 (the second @fn). */
static void tp_craft(struct vm *vm, uint64_t fn)
{
	memcpy(vm->mem + TP_NAMES, "sched_switch\0sys_enter", 23);
	tp_entry(vm, 0, TP_T0);
	tp_entry(vm, 1, TP_T1);
	nf_put(vm, TP_T0, KHALF_VA + TP_NAMES);
	nf_put(vm, TP_T0 + 8, KHALF_VA + TP_F0);
	nf_put(vm, TP_T1, KHALF_VA + TP_NAMES + 13);
	nf_put(vm, TP_T1 + 8, KHALF_VA + TP_F1);
	memset(vm->mem + TP_F0, 0, 0x30);
	nf_put(vm, TP_F0, NF_HOOK);
	memset(vm->mem + TP_F1, 0, 0x48);
	nf_put(vm, TP_F1, NF_HOOK);
	nf_put(vm, TP_F1 + 0x18, fn);
	nf_put(vm, TP_F1 + 0x20, TP_DATA);
}

static struct vmiaas_tp_check tp_layout(void)
{
	return (struct vmiaas_tp_check){
		.tp_name = 0, .tp_funcs = 8, .func_fn = 0, .func_data = 8,
		.func_size = 0x18, .nr_allow = 1,
		.allow = { { KHALF_VA, KHALF_VA + 0x10000 } },
	};
}

#define TP_BAD(w, field, val)	BAD_REC(struct vmiaas_tp_check, w, field, val)

/* Bad _TP checks (type 12) are refused. */
static void test_tp_args(struct vm *vm)
{
	static const struct bad_field bad[] = {
		BAD_CHECK("user half", addr, TP_PTRS),
		BAD_CHECK("unaligned", addr, KHALF_VA + TP_PTRS + 2),
		BAD_CHECK("no root", root, 0),
		BAD_CHECK("a flag", flags, VMIAAS_CHECK_CSTRING),
		TP_BAD("func_size 4", func_size, 4),
		TP_BAD("func_size 72", func_size, VMIAAS_MAX_TP_FUNC + 8),
		TP_BAD("data past the struct", func_data, 0x18 - 4),
		TP_BAD("name offset 64 KiB", tp_name, VMIAAS_MAX_NF_OFFSET),
		TP_BAD("funcs offset 64 KiB", tp_funcs, VMIAAS_MAX_NF_OFFSET),
		TP_BAD("no range", nr_allow, 0),
		TP_BAD("11 ranges", nr_allow, VMIAAS_MAX_HOOK_ALLOW + 1),
		TP_BAD("empty range", allow[0][1], KHALF_VA),
		TP_BAD("reserved", reserved, 1),
		BAD_CHECK_E("65537 tracepoints", len, VMIAAS_MAX_TP + 1, E2BIG),
	};
	struct vmiaas_tp_check tp = tp_layout();
	struct vmiaas_check x = { .type = VMIAAS_CHECK_TP_GVA, .len = 2,
		.addr = KHALF_VA + TP_PTRS, .root = G_PML4,
		.values = (uintptr_t)&tp };

	TEST_ASSERT(refuses_each(vm, "type 12", &x, sizeof(tp), bad,
				 ARRAY_SIZE(bad)),
		    "- SET_CHECKS: bad tracepoint-hook checks are refused (EINVAL; E2BIG for 65537 tracepoints)");
}

/*
 * tracepoint-hook (core/tpwalk.c) run in the module: two tracepoints
 * whose probes are in the allowed text, then a probe of sys_enter
 * outside (a system call hook with no table change), a probe array with
 * no end within 4096 probes, a tracepoint entry that is no aligned
 * kernel address; restored: clean. Each verdict's event names the
 * tracepoint and the probe.
 */
static void test_tp(struct vm *vm, const uint8_t *data0,
		    const uint64_t *table0)
{
	struct vmiaas_tp_check tp = tp_layout();
	struct vmiaas_check c = { .type = VMIAAS_CHECK_TP_GVA, .len = 2,
		.addr = KHALF_VA + TP_PTRS, .root = G_PML4,
		.values = (uintptr_t)&tp };
	struct vmiaas_found probe = {
		.kind = VMIAAS_FOUND_TP_PROBE, .where = KHALF_VA + TP_T1,
		.value = KHALF_VA + 0x100000, .expected = TP_DATA,
		.point = 1, .index = 1, .path = "sys_enter" };
	struct vmiaas_found endless = {
		.kind = VMIAAS_FOUND_TP_BAD, .where = KHALF_VA + TP_T0,
		.value = KHALF_VA + TP_ENDLESS, .err = -E2BIG,
		.path = "sched_switch" };
	struct vmiaas_found odd = {
		.kind = VMIAAS_FOUND_TP_BAD, .where = KHALF_VA + TP_T1 + 4,
		.point = 1, .err = -EBADMSG };
	struct vmiaas_event ev[8];
	unsigned int i;
	struct op op;
	bool ok[6];

	test_tp_args(vm);
	khalf_map(vm, 0x81);
	tp_craft(vm, NF_HOOK);
	TEST_ASSERT(set_one(vm, &c) == 0,
		    "- SET_CHECKS registers a tracepoint-hook check of 2 tracepoints");
	vmiaas_events(vm, ev, 8);
	ok[0] = guest_req(vm, 0, 0xa001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xa001) &&
		ev_found(vm, 0xa001, &(struct vmiaas_found){ 0 });
	tp_craft(vm, KHALF_VA + 0x100000);
	ok[1] = guest_req(vm, 0, 0xa002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xa002) &&
		ev_found(vm, 0xa002, &probe);
	tp_craft(vm, NF_HOOK);
	for (i = 0; i <= 4096; i++)
		nf_put(vm, TP_ENDLESS + 0x18 * i, NF_HOOK);
	nf_put(vm, TP_T0 + 8, KHALF_VA + TP_ENDLESS);
	ok[2] = guest_req(vm, 0, 0xa003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xa003) &&
		ev_found(vm, 0xa003, &endless);
	tp_craft(vm, NF_HOOK);
	tp_entry(vm, 1, TP_T1 + 4);
	ok[3] = guest_req(vm, 0, 0xa004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xa004) &&
		ev_found(vm, 0xa004, &odd);
	tp_craft(vm, NF_HOOK);
	ok[4] = guest_req(vm, 0, 0xa005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xa005) &&
		ev_found(vm, 0xa005, &(struct vmiaas_found){ 0 });
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[5] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- tracepoint-hook: probes in the allowed text: CLEAN, nothing named");
	TEST_ASSERT(ok[1], "- tracepoint-hook: a sys_enter probe outside the allowed ranges: TAMPERED, the event names sys_enter, the probe and its data");
	TEST_ASSERT(ok[2], "- tracepoint-hook: a probe array with no end within 4096 probes: TAMPERED (E2BIG, sched_switch named), no run off the array");
	TEST_ASSERT(ok[3], "- tracepoint-hook: an entry to an unaligned tracepoint: TAMPERED (EBADMSG)");
	TEST_ASSERT(ok[4] && ok[5], "- tracepoint-hook: restored: CLEAN; the first three checks registered again");
}

/*
 * vfs-ops' crafted filesystem, in the kernel half khalf_map() maps: one
 * superblock on super_blocks, its root dentry with one cached
 * subdirectory, and one process (after init_task, a kernel thread) with
 * one open file. Offsets: super_block s_list 0, s_type 0x10, s_op
 * 0x18, s_d_op 0x20, s_export_op 0x28, s_xattr 0x30, s_root 0x38,
 * s_mounts 0x40; dentry d_flags 0, d_op 8, d_inode 0x10, d_sib 0x18, d_children
 * 0x28 (rings, as 6.1); inode i_mode 0, i_op 8, i_fop 0x10, i_sb 0x18;
 * task_struct tasks 0, tgid 0x10, files 0x18; files_struct fdt 0;
 * fdtable max_fds 0, fd 8; file f_op 0, f_inode 8.
 */
#define VF_SBS		0x80000		/* super_blocks */
#define VF_SB		0x80100
#define VF_FSTYPE	0x80200		/* its s_type */
#define VF_ROOT		0x81000		/* the root dentry */
#define VF_DIR		0x81100		/* a cached directory under it */
#define VF_RINODE	0x82000
#define VF_DINODE	0x82100
#define VF_FINODE	0x82200		/* the open file's */
#define VF_TASK		0x83000		/* init_task: no files */
#define VF_TASK2	0x83100		/* tgid 7 */
#define VF_FILES	0x84000
#define VF_FDT		0x84100
#define VF_FDARR	0x84200		/* fd 1: VF_FILE */
#define VF_FILE		0x85000
#define VF_TEXT		(KHALF_VA + 0x1000)	/* the tables' "text" */
#define VF_HEAP		(KHALF_VA + 0x90000)	/* a copy of a table */
#define VF_DIRMODE	0040755
#define VF_REGMODE	0100644

/* An empty ring (list_head) at @gpa. */
static void vf_ring(struct vm *vm, uint64_t gpa)
{
	nf_put(vm, gpa, KHALF_VA + gpa);
	nf_put(vm, gpa + 8, KHALF_VA + gpa);
}

static void vf_inode(struct vm *vm, uint64_t gpa, uint16_t mode)
{
	memset(vm->mem + gpa, 0, 0x20);
	memcpy(vm->mem + gpa, &mode, sizeof(mode));
	nf_put(vm, gpa + 8, VF_TEXT + 0x600);
	nf_put(vm, gpa + 0x10, VF_TEXT + 0x700);
	nf_put(vm, gpa + 0x18, KHALF_VA + VF_SB);
}

/* The clean filesystem: every table in the allowed "text". */
static void vf_craft(struct vm *vm)
{
	uint32_t dir = 0x00200000;	/* DCACHE_DIRECTORY_TYPE */

	memset(vm->mem + VF_SBS, 0, 0x6000);
	nf_put(vm, VF_SBS, KHALF_VA + VF_SB);
	nf_put(vm, VF_SBS + 8, KHALF_VA + VF_SB);
	nf_put(vm, VF_SB, KHALF_VA + VF_SBS);
	nf_put(vm, VF_SB + 8, KHALF_VA + VF_SBS);
	nf_put(vm, VF_SB + 0x10, KHALF_VA + VF_FSTYPE);
	nf_put(vm, VF_SB + 0x18, VF_TEXT + 0x400);
	nf_put(vm, VF_SB + 0x38, KHALF_VA + VF_ROOT);
	vf_ring(vm, VF_SB + 0x40);
	/* the root: one child, VF_DIR, on its d_children ring */
	memcpy(vm->mem + VF_ROOT, &dir, 4);
	nf_put(vm, VF_ROOT + 0x10, KHALF_VA + VF_RINODE);
	nf_put(vm, VF_ROOT + 0x28, KHALF_VA + VF_DIR + 0x18);
	nf_put(vm, VF_ROOT + 0x30, KHALF_VA + VF_DIR + 0x18);
	memcpy(vm->mem + VF_DIR, &dir, 4);
	nf_put(vm, VF_DIR + 8, VF_TEXT + 0x500);
	nf_put(vm, VF_DIR + 0x10, KHALF_VA + VF_DINODE);
	nf_put(vm, VF_DIR + 0x18, KHALF_VA + VF_ROOT + 0x28);
	nf_put(vm, VF_DIR + 0x20, KHALF_VA + VF_ROOT + 0x28);
	vf_ring(vm, VF_DIR + 0x28);
	vf_inode(vm, VF_RINODE, VF_DIRMODE);
	vf_inode(vm, VF_DINODE, VF_DIRMODE);
	vf_inode(vm, VF_FINODE, VF_REGMODE);
	/* init_task, then the process with a file at fd 1 */
	nf_put(vm, VF_TASK, KHALF_VA + VF_TASK2);
	nf_put(vm, VF_TASK + 8, KHALF_VA + VF_TASK2);
	nf_put(vm, VF_TASK2, KHALF_VA + VF_TASK);
	nf_put(vm, VF_TASK2 + 8, KHALF_VA + VF_TASK);
	nf_put(vm, VF_TASK2 + 0x10, 7);
	nf_put(vm, VF_TASK2 + 0x18, KHALF_VA + VF_FILES);
	nf_put(vm, VF_FILES, KHALF_VA + VF_FDT);
	nf_put(vm, VF_FDT, 4);
	nf_put(vm, VF_FDT + 8, KHALF_VA + VF_FDARR);
	nf_put(vm, VF_FDARR + 8, KHALF_VA + VF_FILE);
	nf_put(vm, VF_FILE, VF_TEXT + 0x800);
	nf_put(vm, VF_FILE + 8, KHALF_VA + VF_FINODE);
}

/* A _VFS check's values: the layout, then its allowed ranges. */
struct vf_check {
	struct vmiaas_vfs_check vc;
	uint64_t allow[3][2];
};

static void vf_layout(struct vf_check *v)
{
	*v = (struct vf_check){
		.vc = { .init_task = KHALF_VA + VF_TASK,
			.image = { KHALF_VA, KHALF_VA + 0x20000 },
			.s_list = 0, .s_type = 0x10,
			.s_ptr = { 0x18, 0x20, 0x28, 0x30 },
			.s_root = 0x38, .s_mounts = 0x40,
			.d_op = 8, .d_flags = 0, .d_inode = 0x10,
			.d_children = 0x28, .d_sib = 0x18,
			.i_op = 8, .i_fop = 0x10, .i_mode = 0, .i_sb = 0x18,
			.mnt_root = 0, .mnt_instance = 0x10,
			.tasks = 0, .tgid = 0x10, .files = 0x18, .fdt = 0,
			.max_fds = 0, .fd = 8, .f_op = 0, .f_inode = 8,
			.max_dentries = 1024, .max_fd_slots = 1024 },
		/* the "text", then a "module's" read-only memory */
		.allow = { { KHALF_VA, KHALF_VA + 0x10000 },
			   { KHALF_VA + 0x100000, KHALF_VA + 0x180000 } },
	};
}

#define VF_BAD(w, field, val)	BAD_REC(struct vf_check, w, field, val)

/* Bad _VFS checks (type 13) are refused. */
static void test_vfs_args(struct vm *vm)
{
	static const struct bad_field bad[] = {
		BAD_CHECK("user-half super_blocks", addr, VF_SBS),
		BAD_CHECK("a flag", flags, VMIAAS_CHECK_CSTRING),
		VF_BAD("user-half init_task", vc.init_task, VF_TASK),
		VF_BAD("user-half debugfs_type", vc.debugfs_type, VF_FSTYPE),
		VF_BAD("empty image", vc.image[1], KHALF_VA),
		VF_BAD("reserved32", vc.reserved32, 1),
		VF_BAD("reserved", vc.reserved[1], 1),
		VF_BAD("unknown flags", vc.flags, VMIAAS_VFS_ALL + 1),
		VF_BAD("offset 64 KiB", vc.f_inode, VMIAAS_MAX_NF_OFFSET),
		VF_BAD("dentry span over 512", vc.d_children, 0x400),
		VF_BAD("0 dentries", vc.max_dentries, 0),
		VF_BAD("131073 dentries", vc.max_dentries,
		       VMIAAS_MAX_VFS_DENTRIES + 1),
		VF_BAD("0 fd slots", vc.max_fd_slots, 0),
		VF_BAD("1048577 fd slots", vc.max_fd_slots,
		       VMIAAS_MAX_VFS_FDS + 1),
		VF_BAD("empty range", allow[1][1], KHALF_VA + 0x100000),
		BAD_REC2(struct vf_check, "unsorted ranges",
			 allow[1][0], KHALF_VA - 0x100000,
			 allow[1][1], KHALF_VA - 0x80000),
		VF_BAD("overlapping ranges", allow[1][0], KHALF_VA + 0x10000 - 8),
		BAD_CHECK("no range", len, 0),
		BAD_CHECK_E("1025 ranges", len, VMIAAS_MAX_VFS_ALLOW + 1, E2BIG),
	};
	struct vf_check v;
	struct vmiaas_check x = { .type = VMIAAS_CHECK_VFS_GVA, .len = 2,
		.addr = KHALF_VA + VF_SBS, .root = G_PML4,
		.values = (uintptr_t)&v };

	vf_layout(&v);
	TEST_ASSERT(refuses_each(vm, "type 13", &x, sizeof(v), bad,
				 ARRAY_SIZE(bad)),
		    "- SET_CHECKS: bad vfs-ops checks are refused (EINVAL; E2BIG for 1025 ranges)");
}

/*
 * The request @cookie's one event names @want, its dev and family too
 * (vfs-ops' dentry and process); @any_index: index not compared.
 */
static bool vf_found(struct vm *vm, uint64_t cookie,
		     const struct vmiaas_found *want, bool any_index)
{
	struct vmiaas_event ev[4];
	const struct vmiaas_found *f = &ev[0].found[0];
	unsigned int n = vmiaas_events(vm, ev, 4);

	if (n != 1 || ev[0].cookie != cookie) {
		ksft_print_msg("%u events (cookie 0x%llx)\n", n,
			       n ? (unsigned long long)ev[0].cookie : 0ULL);
		return false;
	}
	ksft_print_msg("event 0x%llx: verdict %u, %u found: check %u kind %u where 0x%llx value 0x%llx expected 0x%llx dev 0x%llx family %u point %u index %u err %d\n",
		       (unsigned long long)cookie, ev[0].verdict,
		       ev[0].nr_found, f->check, f->kind,
		       (unsigned long long)f->where,
		       (unsigned long long)f->value,
		       (unsigned long long)f->expected,
		       (unsigned long long)f->dev, f->family, f->point,
		       f->index, f->err);
	if (!want->kind)
		return ev[0].nr_found == 0;
	return ev[0].nr_found == 1 && f->check == want->check &&
	       f->kind == want->kind && f->where == want->where &&
	       f->value == want->value && f->expected == want->expected &&
	       f->dev == want->dev && f->family == want->family &&
	       f->point == want->point && f->err == want->err &&
	       (any_index || f->index == want->index) &&
	       (!want->netns || f->netns == want->netns) &&
	       !strncmp(f->path, want->path, sizeof(f->path));
}

/*
 * vfs-ops (core/vfswalk.c) run in the module: the crafted filesystem
 * clean; a cached directory's i_fop outside the ranges (a copy of the
 * table in the heap); an open file's f_op likewise; s_xattr in the
 * image's data and a table in the "module" range pass; an fdtable over
 * NR_OPEN is skipped, no run off it; a superblock pointing at itself (a
 * cycle): TAMPERED, no hang; restored: clean.
 */
static void test_vfs(struct vm *vm, const uint8_t *data0,
		     const uint64_t *table0)
{
	struct vf_check v;
	struct vmiaas_check c = { .type = VMIAAS_CHECK_VFS_GVA, .len = 2,
		.addr = KHALF_VA + VF_SBS, .root = G_PML4,
		.values = (uintptr_t)&v };
	struct vmiaas_found dir_fop = {
		.kind = VMIAAS_FOUND_VFS_PTR, .where = KHALF_VA + VF_DINODE,
		.value = VF_HEAP, .expected = KHALF_VA + VF_SB,
		.dev = KHALF_VA + VF_DIR, .point = 6 };
	struct vmiaas_found file_op = {
		.kind = VMIAAS_FOUND_VFS_PTR, .where = KHALF_VA + VF_FILE,
		.value = VF_HEAP + 0x100, .expected = KHALF_VA + VF_SB,
		.family = 7, .point = 7, .index = 1 };
	struct vmiaas_found cycle = {
		.kind = VMIAAS_FOUND_VFS_BAD, .where = KHALF_VA + VF_SBS,
		.err = -ELOOP };
	struct vmiaas_event ev[8];
	struct op op;
	bool ok[7];

	test_vfs_args(vm);
	vf_layout(&v);
	khalf_map(vm, 0x81);
	vf_craft(vm);
	TEST_ASSERT(set_one(vm, &c) == 0,
		    "- SET_CHECKS registers a vfs-ops check of 2 allowed ranges");
	vmiaas_events(vm, ev, 8);
	ok[0] = guest_req(vm, 0, 0xb001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xb001) &&
		vf_found(vm, 0xb001, &(struct vmiaas_found){ 0 }, false);
	nf_put(vm, VF_DINODE + 0x10, VF_HEAP);
	ok[1] = guest_req(vm, 0, 0xb002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xb002) &&
		vf_found(vm, 0xb002, &dir_fop, false);
	vf_craft(vm);
	nf_put(vm, VF_FILE, VF_HEAP + 0x100);
	ok[2] = guest_req(vm, 0, 0xb003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xb003) &&
		vf_found(vm, 0xb003, &file_op, false);
	vf_craft(vm);
	nf_put(vm, VF_SB + 0x30, KHALF_VA + 0x18000);	/* image, not text */
	nf_put(vm, VF_SB + 0x20, KHALF_VA + 0x100800);	/* the "module" */
	nf_put(vm, VF_FDT, 0xffffffff);			/* over NR_OPEN */
	ok[3] = guest_req(vm, 0, 0xb004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xb004) &&
		vf_found(vm, 0xb004, &(struct vmiaas_found){ 0 }, false);
	vf_craft(vm);
	nf_put(vm, VF_SB, KHALF_VA + VF_SB);		/* a cycle */
	ok[4] = guest_req(vm, 0, 0xb005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xb005) &&
		vf_found(vm, 0xb005, &cycle, true);
	vf_craft(vm);
	ok[5] = guest_req(vm, 0, 0xb006, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xb006) &&
		vf_found(vm, 0xb006, &(struct vmiaas_found){ 0 }, false);
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[6] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- vfs-ops: every table in the allowed ranges: CLEAN, nothing named");
	TEST_ASSERT(ok[1], "- vfs-ops: a cached directory's i_fop in the heap: TAMPERED, the event names the inode, the dentry, the superblock and the pointer");
	TEST_ASSERT(ok[2], "- vfs-ops: an open file's f_op in the heap: TAMPERED, the event names the file, pid 7 and fd 1");
	TEST_ASSERT(ok[3], "- vfs-ops: s_xattr in the image's data, a table in the second range, an fdtable over NR_OPEN (skipped): CLEAN");
	TEST_ASSERT(ok[4], "- vfs-ops: a superblock pointing at itself (a cycle): TAMPERED (ELOOP, super_blocks named), no hang");
	TEST_ASSERT(ok[5] && ok[6], "- vfs-ops: restored: CLEAN; the first three checks registered again");
}

/*
 * tty-ldisc's crafted ttys, in the kernel half khalf_map() maps:
 * tty_ldiscs[4] with n_tty's table at 0 (num at 8, functions at 0x10 and
 * 0x18), tty_drivers holding one driver (node 0x10, num 0x20 = 1, ttys
 * 0x28, ops 0x30) whose one tty (ldisc 0x10, link 0x18, ops 0x20, driver
 * 0x28, port 0x30 = none) has n_tty's discipline (struct tty_ldisc: ops
 * at 0) and the driver's ops (functions at 0 and 8).
 */
#define TT_LDISCS	0xa0000		/* tty_ldiscs[4] */
#define TT_NTTY		0xa0100		/* n_tty_ops */
#define TT_DRIVERS	0xa0200		/* tty_drivers */
#define TT_COPY		0xa0400		/* a copy of a table */
#define TT_DRV		0xa1000		/* the one driver */
#define TT_DOPS		0xa1100		/* its tty_operations */
#define TT_TTYS		0xa1200		/* its ttys[1] */
#define TT_TTY		0xa2000
#define TT_LD		0xa2100		/* the tty's struct tty_ldisc */
#define TT_OUT		(KHALF_VA + 0x100000)	/* outside the ranges */

static void tt_craft(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		nf_put(vm, TT_LDISCS + 8 * i, 0);
	nf_put(vm, TT_LDISCS, KHALF_VA + TT_NTTY);
	nf_put(vm, TT_NTTY + 8, 0);			/* num 0 */
	nf_put(vm, TT_NTTY + 0x10, NF_HOOK);
	nf_put(vm, TT_NTTY + 0x18, NF_HOOK + 0x40);
	memcpy(vm->mem + TT_COPY, vm->mem + TT_NTTY, 0x20);
	list_one(vm, TT_DRIVERS, TT_DRV + 0x10);
	nf_put(vm, TT_DRV + 0x20, 1);
	nf_put(vm, TT_DRV + 0x28, KHALF_VA + TT_TTYS);
	nf_put(vm, TT_DRV + 0x30, KHALF_VA + TT_DOPS);
	nf_put(vm, TT_DOPS, NF_HOOK);
	nf_put(vm, TT_DOPS + 8, NF_HOOK + 0x80);
	nf_put(vm, TT_TTYS, KHALF_VA + TT_TTY);
	nf_put(vm, TT_TTY + 0x10, KHALF_VA + TT_LD);
	nf_put(vm, TT_TTY + 0x18, 0);
	nf_put(vm, TT_TTY + 0x20, KHALF_VA + TT_DOPS);
	nf_put(vm, TT_TTY + 0x28, KHALF_VA + TT_DRV);
	nf_put(vm, TT_TTY + 0x30, 0);
	nf_put(vm, TT_LD, KHALF_VA + TT_NTTY);
}

static struct vmiaas_tty_check tt_layout(void)
{
	return (struct vmiaas_tty_check){
		.drivers = KHALF_VA + TT_DRIVERS, .ldisc_fns = 0xc,
		.ops_fns = 0x3, .client_fns = 0x1, .nr_ldiscs = 4,
		.lo_num = 8, .drv_node = 0x10, .drv_num = 0x20,
		.drv_ttys = 0x28, .drv_ops = 0x30, .tty_ldisc = 0x10,
		.tty_link = 0x18, .tty_ops = 0x20, .tty_driver = 0x28,
		.tty_port = 0x30, .nr_allow = 1,
		.allow = { { KHALF_VA, KHALF_VA + 0x10000 } },
	};
}

#define TT_BAD(w, field, val)	BAD_REC(struct vmiaas_tty_check, w, field, val)

/* Bad _TTY checks (type 14) are refused. */
static void test_tty_args(struct vm *vm)
{
	static const struct bad_field bad[] = {
		BAD_CHECK("user half", addr, TT_LDISCS),
		BAD_CHECK("len 2", len, 2),
		BAD_CHECK("no root", root, 0),
		BAD_CHECK("a flag", flags, VMIAAS_CHECK_CSTRING),
		TT_BAD("user-half tty_drivers", drivers, TT_DRIVERS),
		TT_BAD("DEVPTS without its head", flags, VMIAAS_TTY_DEVPTS),
		TT_BAD("a head without DEVPTS", devpts_supers, KHALF_VA),
		BAD_REC2(struct vmiaas_tty_check, "user-half head",
			 flags, VMIAAS_TTY_DEVPTS, devpts_supers, 0x1000),
		TT_BAD("user-half client_default", client_default, 0x1000),
		TT_BAD("unknown flags", flags, VMIAAS_TTY_ALL + 1),
		TT_BAD("0 ldiscs", nr_ldiscs, 0),
		TT_BAD("65 ldiscs", nr_ldiscs, VMIAAS_MAX_TTY_LDISCS + 1),
		TT_BAD("no ldisc function", ldisc_fns, 0),
		TT_BAD("25 ldisc functions", ldisc_fns, (1ULL << 25) - 1),
		TT_BAD("9 client functions", client_fns, 0x1ff),
		TT_BAD("num offset 64 KiB", lo_num, VMIAAS_MAX_NF_OFFSET),
		TT_BAD("d_fsdata offset 64 KiB", d_fsdata, VMIAAS_MAX_NF_OFFSET),
		TT_BAD("no range", nr_allow, 0),
		TT_BAD("11 ranges", nr_allow, VMIAAS_MAX_HOOK_ALLOW + 1),
		TT_BAD("empty range", allow[0][1], KHALF_VA),
		TT_BAD("reserved", reserved, 1),
	};
	struct vmiaas_tty_check t = tt_layout();
	struct vmiaas_check x = { .type = VMIAAS_CHECK_TTY_GVA, .len = 1,
		.addr = KHALF_VA + TT_LDISCS, .root = G_PML4,
		.values = (uintptr_t)&t };

	TEST_ASSERT(refuses_each(vm, "type 14", &x, sizeof(t), bad,
				 ARRAY_SIZE(bad)),
		    "- SET_CHECKS: bad tty-ldisc checks are refused (EINVAL)");
}

/*
 * tty-ldisc (core/ttywalk.c) run in the module: the crafted ttys clean;
 * n_tty's receive function outside the ranges (a keylogger in n_tty_ops);
 * a tty whose discipline is a copy, not the registered table; a tty
 * whose ops are a copy, not its driver's; tty_drivers in a cycle: each
 * TAMPERED, the event naming table, function, tty and driver, no hang;
 * restored: clean.
 */
static void test_tty(struct vm *vm, const uint8_t *data0,
		     const uint64_t *table0)
{
	struct vmiaas_tty_check t = tt_layout();
	struct vmiaas_check c = { .type = VMIAAS_CHECK_TTY_GVA, .len = 1,
		.addr = KHALF_VA + TT_LDISCS, .root = G_PML4,
		.values = (uintptr_t)&t };
	struct vmiaas_found fn = {
		.kind = VMIAAS_FOUND_TTY_FN, .where = KHALF_VA + TT_NTTY,
		.value = TT_OUT, .point = 0, .index = 0x18 };
	struct vmiaas_found ldisc = {
		.kind = VMIAAS_FOUND_TTY_BAD, .where = KHALF_VA + TT_COPY,
		.dev = KHALF_VA + TT_TTY, .point = 1, .err = -ENOENT };
	struct vmiaas_found ops = {
		.kind = VMIAAS_FOUND_TTY_BAD, .where = KHALF_VA + TT_COPY,
		.expected = KHALF_VA + TT_DOPS, .dev = KHALF_VA + TT_TTY,
		.point = 10, .err = -ENOENT };
	struct vmiaas_found cycle = {
		.kind = VMIAAS_FOUND_TTY_BAD, .value = KHALF_VA + TT_DRIVERS,
		.point = 5, .err = -ELOOP };
	struct vmiaas_event ev[8];
	struct op op;
	bool ok[7];

	test_tty_args(vm);
	khalf_map(vm, 0x81);
	tt_craft(vm);
	TEST_ASSERT(set_one(vm, &c) == 0,
		    "- SET_CHECKS registers a tty-ldisc check");
	vmiaas_events(vm, ev, 8);
	ok[0] = guest_req(vm, 0, 0xc001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xc001) &&
		vf_found(vm, 0xc001, &(struct vmiaas_found){ 0 }, false);
	nf_put(vm, TT_NTTY + 0x18, TT_OUT);
	ok[1] = guest_req(vm, 0, 0xc002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xc002) &&
		vf_found(vm, 0xc002, &fn, false);
	tt_craft(vm);
	nf_put(vm, TT_LD, KHALF_VA + TT_COPY);
	ok[2] = guest_req(vm, 0, 0xc003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xc003) &&
		vf_found(vm, 0xc003, &ldisc, false);
	tt_craft(vm);
	nf_put(vm, TT_TTY + 0x20, KHALF_VA + TT_COPY);
	ok[3] = guest_req(vm, 0, 0xc004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xc004) &&
		vf_found(vm, 0xc004, &ops, false);
	tt_craft(vm);
	nf_put(vm, TT_DRV + 0x10, KHALF_VA + TT_DRV + 0x10);	/* a cycle */
	ok[4] = guest_req(vm, 0, 0xc005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xc005) &&
		vf_found(vm, 0xc005, &cycle, false);
	tt_craft(vm);
	ok[5] = guest_req(vm, 0, 0xc006, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xc006) &&
		vf_found(vm, 0xc006, &(struct vmiaas_found){ 0 }, false);
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[6] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- tty-ldisc: disciplines, driver and tty as the kernel makes them: CLEAN, nothing named");
	TEST_ASSERT(ok[1], "- tty-ldisc: n_tty's receive function outside the allowed ranges: TAMPERED, the event names the table, the function and its offset");
	TEST_ASSERT(ok[2], "- tty-ldisc: a tty's discipline a copy, not the registered table: TAMPERED (ENOENT), the event names the tty and the copy");
	TEST_ASSERT(ok[3], "- tty-ldisc: a tty's ops a copy, not its driver's: TAMPERED (ENOENT), the event names the tty, the copy and the driver's table");
	TEST_ASSERT(ok[4], "- tty-ldisc: tty_drivers in a cycle: TAMPERED (ELOOP, the list named), no hang");
	TEST_ASSERT(ok[5] && ok[6], "- tty-ldisc: restored: CLEAN; the first three checks registered again");
}

/*
 * net-protocol's crafted tables, in the kernel half khalf_map() maps:
 * inet_protos[4] with one protocol at slot 1 (handler at 0, err_handler
 * at 8), net_families[2] with one family at slot 1 (create at 8),
 * inet_offloads[2] with one offload at slot 1 (its three callbacks),
 * proto_list holding one struct proto (node at 0x38, functions at 0 and
 * 0x10), offload_base one packet_offload (callbacks at 8, node at 0x20),
 * and inetsw[2] one inet_protosw on list 1 (type 1, protocol 6) with
 * that struct proto and a proto_ops (functions at 0x10 and 0x18).
 */
#define NP_PROTOS	0xa4000		/* inet_protos[4] */
#define NP_PROTO	0xa4100		/* the one net_protocol */
#define NP_FAMILIES	0xa4200		/* net_families[2] */
#define NP_FAMILY	0xa4300		/* the one net_proto_family */
#define NP_LIST		0xa4400		/* proto_list */
#define NP_OFFLOADS	0xa4500		/* inet_offloads[2] */
#define NP_OFFLOAD	0xa4580		/* the one net_offload */
#define NP_OBASE	0xa4600		/* offload_base */
#define NP_PO		0xa4700		/* the one packet_offload */
#define NP_INETSW	0xa4800		/* inetsw[2] */
#define NP_SW		0xa4900		/* the one inet_protosw */
#define NP_OPS		0xa4a00		/* its proto_ops */
#define NP_PROT		0xa5000		/* the one struct proto */
#define NP_PROT2	0xa5100		/* a copy of it, on no list */

static void np_craft(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		nf_put(vm, NP_PROTOS + 8 * i, 0);
	nf_put(vm, NP_PROTOS + 8, KHALF_VA + NP_PROTO);
	nf_put(vm, NP_PROTO, NF_HOOK);
	nf_put(vm, NP_PROTO + 8, NF_HOOK + 0x40);
	nf_put(vm, NP_FAMILIES, 0);
	nf_put(vm, NP_FAMILIES + 8, KHALF_VA + NP_FAMILY);
	nf_put(vm, NP_FAMILY + 8, NF_HOOK + 0x80);
	nf_put(vm, NP_OFFLOADS, 0);
	nf_put(vm, NP_OFFLOADS + 8, KHALF_VA + NP_OFFLOAD);
	for (i = 0; i < 3; i++)
		nf_put(vm, NP_OFFLOAD + 8 * i, NF_HOOK + 0x100 + 0x40 * i);
	list_one(vm, NP_LIST, NP_PROT + 0x38);
	nf_put(vm, NP_PROT, NF_HOOK + 0xc0);
	nf_put(vm, NP_PROT + 0x10, 0);
	list_one(vm, NP_OBASE, NP_PO + 0x20);
	for (i = 0; i < 3; i++)
		nf_put(vm, NP_PO + 8 + 8 * i, NF_HOOK + 0x200 + 0x40 * i);
	list_empty(vm, NP_INETSW);
	nf_put(vm, NP_INETSW + 8, KHALF_VA + NP_INETSW);
	list_one(vm, NP_INETSW + 16, NP_SW);
	nf_put(vm, NP_SW + 16, 1 | 6 << 16);	/* type 1, protocol 6 */
	nf_put(vm, NP_SW + 24, KHALF_VA + NP_PROT);
	nf_put(vm, NP_SW + 32, KHALF_VA + NP_OPS);
	nf_put(vm, NP_OPS + 0x10, NF_HOOK + 0x300);
	nf_put(vm, NP_OPS + 0x18, 0);
	nf_put(vm, NP_PROT2, NF_HOOK + 0xc0);
	nf_put(vm, NP_PROT2 + 0x10, TT_OUT);
}

/* The distance of @gpa's table from inet_protos (the check's addr). */
#define NP_AT(gpa)	((int32_t)((gpa) - NP_PROTOS))

static struct vmiaas_proto_check np_layout(void)
{
	return (struct vmiaas_proto_check){
		.table = {
			[0] = { 0, 4, 0x3 },
			[4] = { NP_AT(NP_FAMILIES), 2, 0x2 },
			[5] = { NP_AT(NP_OFFLOADS), 2, 0x7 },
		},
		.list = {
			{ NP_AT(NP_LIST), 0x38, { 0x5, 0 } },
			{ NP_AT(NP_OBASE), 0x20, { 0xe, 0 } },
		},
		.sw = { .at = { NP_AT(NP_INETSW) }, .types = 2, .node = 0,
			.type = 16, .protocol = 18, .prot = 24, .ops = 32,
			.fns = 0xc },
		.nr_allow = 1,
		.allow = { { KHALF_VA, KHALF_VA + 0x10000 } },
	};
}

#define NP_BAD(w, field, val) BAD_REC(struct vmiaas_proto_check, w, field, val)

/* Bad _PROTO checks (type 15) are refused: each field of the record. */
static void test_proto_args(struct vm *vm)
{
	static const struct bad_field bad[] = {
		BAD_CHECK("user half", addr, NP_PROTOS),
		BAD_CHECK("len 2", len, 2),
		BAD_CHECK("a flag", flags, VMIAAS_CHECK_CSTRING),
		BAD_CHECK("no root", root, 0),
		NP_BAD("table 0 not at addr", table[0].at, 8),
		NP_BAD("table 0 without slots", table[0].slots, 0),
		NP_BAD("a table without slots", table[4].slots, 0),
		NP_BAD("a second table at addr", table[4].at, 0),
		NP_BAD("513 slots", table[4].slots, VMIAAS_MAX_PROTO_SLOTS + 1),
		NP_BAD("no function", table[4].fns, 0),
		NP_BAD("9 functions", table[4].fns, 0x1ff),
		NP_BAD("an absent table's functions", table[2].fns, 1),
		NP_BAD("proto_list without functions", list[0].fns[0], 0),
		NP_BAD("functions without proto_list", list[0].at, 0),
		NP_BAD("66 functions", list[0].fns[1], ~0ULL),
		NP_BAD("node offset 64 KiB", list[1].node, VMIAAS_MAX_NF_OFFSET),
		NP_BAD("a misaligned list", list[1].at, NP_AT(NP_OBASE) + 4),
		NP_BAD("no socket type", sw.types, 0),
		NP_BAD("17 socket types", sw.types, VMIAAS_MAX_PROTO_TYPES + 1),
		NP_BAD("no proto_ops function", sw.fns, 0),
		NP_BAD("49 proto_ops functions", sw.fns, (1ULL << 49) - 1),
		NP_BAD("inetsw's reserved", sw.reserved, 1),
		NP_BAD("no inetsw but its layout", sw.at[0], 0),
		NP_BAD("no range", nr_allow, 0),
		NP_BAD("11 ranges", nr_allow, VMIAAS_MAX_HOOK_ALLOW + 1),
		NP_BAD("empty range", allow[0][1], KHALF_VA),
		NP_BAD("reserved", reserved, 1),
	};
	struct vmiaas_proto_check t = np_layout();
	struct vmiaas_check x = { .type = VMIAAS_CHECK_PROTO_GVA, .len = 1,
		.addr = KHALF_VA + NP_PROTOS, .root = G_PML4,
		.values = (uintptr_t)&t };

	TEST_ASSERT(refuses_each(vm, "type 15", &x, sizeof(t), bad,
				 ARRAY_SIZE(bad)),
		    "- SET_CHECKS: bad net-protocol checks are refused (EINVAL)");
}

/*
 * net-protocol (core/protowalk.c) run in the module: the crafted tables
 * clean; a protocol's err_handler outside the ranges; a family's slot a
 * user-half pointer; a struct proto's function outside; proto_list in a
 * cycle; an inet_protosw's proto_ops function outside, its struct proto
 * a copy (on no list) with one outside, the entry on another type's
 * list; a GRO callback on offload_base outside: each TAMPERED, the event
 * naming the table, slot, struct and function, no hang; restored: clean.
 */
static void test_proto(struct vm *vm, const uint8_t *data0,
		       const uint64_t *table0)
{
	struct vmiaas_proto_check t = np_layout();
	struct vmiaas_check c = { .type = VMIAAS_CHECK_PROTO_GVA, .len = 1,
		.addr = KHALF_VA + NP_PROTOS, .root = G_PML4,
		.values = (uintptr_t)&t };
	const struct vmiaas_found want[] = {
		{ .kind = VMIAAS_FOUND_PROTO_FN, .where = KHALF_VA + NP_PROTO,
		  .value = TT_OUT, .index = 8, .point = 0, .family = 1 },
		{ .kind = VMIAAS_FOUND_PROTO_BAD, .where = 0x1000, .point = 4,
		  .family = 1, .err = -EBADMSG },
		{ .kind = VMIAAS_FOUND_PROTO_FN, .where = KHALF_VA + NP_PROT,
		  .value = TT_OUT, .index = 0x10,
		  .point = VMIAAS_PROTO_AT_PROTOS },
		{ .kind = VMIAAS_FOUND_PROTO_BAD,
		  .point = VMIAAS_PROTO_AT_PROTOS, .err = -ELOOP },
		{ .kind = VMIAAS_FOUND_PROTO_FN, .where = KHALF_VA + NP_OPS,
		  .value = TT_OUT, .index = 0x18, .point = VMIAAS_PROTO_AT_SW,
		  .family = 1, .expected = KHALF_VA + NP_SW },
		{ .kind = VMIAAS_FOUND_PROTO_FN, .where = KHALF_VA + NP_PROT2,
		  .value = TT_OUT, .index = 0x10, .point = VMIAAS_PROTO_AT_SW,
		  .family = 1, .expected = KHALF_VA + NP_SW },
		{ .kind = VMIAAS_FOUND_PROTO_BAD, .where = KHALF_VA + NP_SW,
		  .point = VMIAAS_PROTO_AT_SW, .family = 1,
		  .expected = KHALF_VA + NP_SW, .err = -EBADMSG },
		{ .kind = VMIAAS_FOUND_PROTO_FN, .where = KHALF_VA + NP_PO,
		  .value = TT_OUT, .index = 0x10,
		  .point = VMIAAS_PROTO_AT_OFFLOADS },
	};
	/* what each request changes from np_craft(): 8 bytes at gpa */
	const uint64_t change[][2] = {
		{ NP_PROTO + 8, TT_OUT },
		{ NP_FAMILIES + 8, 0x1000 },
		{ NP_PROT + 0x10, TT_OUT },
		{ NP_PROT + 0x38, KHALF_VA + NP_PROT + 0x38 },	/* a cycle */
		{ NP_OPS + 0x18, TT_OUT },
		{ NP_SW + 24, KHALF_VA + NP_PROT2 },
		{ NP_SW + 16, 2 | 6 << 16 },		/* type 2 on list 1 */
		{ NP_PO + 0x10, TT_OUT },
	};
	struct vmiaas_event ev[8];
	unsigned int i, bad = 0;
	struct op op;
	bool ok[3];

	test_proto_args(vm);
	khalf_map(vm, 0x81);
	np_craft(vm);
	TEST_ASSERT(set_one(vm, &c) == 0,
		    "- SET_CHECKS registers a net-protocol check");
	vmiaas_events(vm, ev, 8);
	ok[0] = guest_req(vm, 0, 0xd001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xd001) &&
		vf_found(vm, 0xd001, &(struct vmiaas_found){ 0 }, false);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		np_craft(vm);
		nf_put(vm, change[i][0], change[i][1]);
		if (!guest_req(vm, 0, 0xd010 + i, &op) ||
		    !answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1,
			       0xd010 + i) ||
		    !vf_found(vm, 0xd010 + i, &want[i], false)) {
			ksft_print_msg("net-protocol: change %u not found as expected\n",
				       i);
			bad++;
		}
	}
	np_craft(vm);
	ok[1] = guest_req(vm, 0, 0xd002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xd002) &&
		vf_found(vm, 0xd002, &(struct vmiaas_found){ 0 }, false);
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[2] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- net-protocol: protocols, families, offloads, struct protos, packet_offloads and inet_protosws in the allowed text: CLEAN, nothing named");
	TEST_ASSERT(!bad, "- net-protocol: an err_handler outside, a family slot in the user half (EBADMSG), a struct proto's function outside, proto_list in a cycle (ELOOP), an inet_protosw's proto_ops function outside, its struct proto a copy with one outside, the entry on another type's list (EBADMSG), a gro_receive on offload_base outside: each TAMPERED, the event naming table, slot, struct and function");
	TEST_ASSERT(ok[1] && ok[2], "- net-protocol: restored: CLEAN; the first three checks registered again");
}

/*
 * netdev-hook's crafted namespace, in the kernel half khalf_map() maps:
 * net_namespace_list holding one struct net (list 0x10, ns.inum 0x20,
 * dev_base_head 0x300) with one device "lo" (name 0, dev_list 0x40,
 * rx_handler 0x80, rx_handler_data 0x88, netdev_ops 0x90, ethtool_ops
 * 0x98, header_ops 0xa0) on a netdev_ops (functions at 8 and 0x10) and a
 * header_ops (a function at 0) in the table range's page.
 */
#define ND_NETS		0xb0000		/* net_namespace_list */
#define ND_NET		0xb1000
#define ND_DEV		0xb2000		/* "lo" */
#define ND_OPS		0xb3000		/* its netdev_ops, "rodata" */
#define ND_HOPS		0xb3100		/* its header_ops */
#define ND_COPY		0xb4000		/* a copy of the netdev_ops */
#define ND_DATA		(KHALF_VA + 0xb5000)	/* rx_handler_data */
#define ND_UNMAPPED	(KHALF_VA + 0x300000)	/* a table range, unmapped */
#define ND_OUT		(KHALF_VA + 0x100000)	/* outside the ranges */
#define ND_NETNS	4026531840U

static void nd_craft(struct vm *vm)
{
	memset(vm->mem + ND_DEV, 0, 0x100);
	list_one(vm, ND_NETS, ND_NET + 0x10);
	nf_put(vm, ND_NET + 0x20, ND_NETNS);
	list_one(vm, ND_NET + 0x300, ND_DEV + 0x40);
	memcpy(vm->mem + ND_DEV, "lo", 3);
	nf_put(vm, ND_DEV + 0x88, ND_DATA);
	nf_put(vm, ND_DEV + 0x90, KHALF_VA + ND_OPS);
	nf_put(vm, ND_DEV + 0xa0, KHALF_VA + ND_HOPS);
	nf_put(vm, ND_OPS, 0);				/* owner */
	nf_put(vm, ND_OPS + 8, NF_HOOK);
	nf_put(vm, ND_OPS + 0x10, NF_HOOK + 0x40);
	nf_put(vm, ND_HOPS, NF_HOOK + 0x80);
	memcpy(vm->mem + ND_COPY, vm->mem + ND_OPS, 0x18);
}

static struct vmiaas_netdev_check nd_layout(void)
{
	return (struct vmiaas_netdev_check){
		.net_list = 0x10, .net_inum = 0x20, .dev_base = 0x300,
		.dev_list = 0x40, .dev_name = 0, .rx_handler = 0x80,
		.rx_data = 0x88, .table_off = { 0x90, 0x98, 0xa0 },
		.fns = { { 0x6 }, { 0 }, { 0x1 } }, .nr_allow = 1, .nr_ro = 2,
		.ranges = { { KHALF_VA, KHALF_VA + 0x10000 },
			    { KHALF_VA + ND_OPS, KHALF_VA + ND_OPS + 0x1000 },
			    { ND_UNMAPPED, ND_UNMAPPED + 0x1000 } },
	};
}

#define ND_BAD(w, field, val) BAD_REC(struct vmiaas_netdev_check, w, field, val)

/* Bad _NETDEV checks (type 16) are refused. */
static void test_netdev_args(struct vm *vm)
{
	static const struct bad_field bad[] = {
		BAD_CHECK("user half", addr, ND_NETS),
		BAD_CHECK("len 2", len, 2),
		BAD_CHECK("no root", root, 0),
		BAD_CHECK("a flag", flags, VMIAAS_CHECK_CSTRING),
		ND_BAD("reserved", reserved, 1),
		ND_BAD("no function range", nr_allow, 0),
		ND_BAD("no table range", nr_ro, 0),
		ND_BAD("14 ranges", nr_ro, 13),
		ND_BAD("a wrapping count", nr_ro, 0xffffffffU),
		ND_BAD("an empty function range", ranges[0][1], KHALF_VA),
		ND_BAD("an empty table range", ranges[2][0],
		       ND_UNMAPPED + 0x1000),
		ND_BAD("no netdev_ops function", fns[0][0], 0),
		ND_BAD("dev_list offset 64 KiB", dev_list, VMIAAS_MAX_NF_OFFSET),
		ND_BAD("header_ops offset 64 KiB", table_off[2],
		       VMIAAS_MAX_NF_OFFSET),
		ND_BAD("name offset 64 KiB", dev_name, VMIAAS_MAX_NF_OFFSET),
		ND_BAD("rx_handler offset 64 KiB", rx_handler,
		       VMIAAS_MAX_NF_OFFSET),
	};
	struct vmiaas_netdev_check t = nd_layout();
	struct vmiaas_check x = { .type = VMIAAS_CHECK_NETDEV_GVA, .len = 1,
		.addr = KHALF_VA + ND_NETS, .root = G_PML4,
		.values = (uintptr_t)&t };

	TEST_ASSERT(refuses_each(vm, "type 16", &x, sizeof(t), bad,
				 ARRAY_SIZE(bad)),
		    "- SET_CHECKS: bad netdev-hook checks are refused (EINVAL)");
}

/*
 * netdev-hook (core/netdevwalk.c) run in the module: the crafted device
 * clean; an rx_handler outside the ranges (a packet hider); netdev_ops a
 * copy in writable memory (its functions the kernel's); a netdev_ops
 * function outside the ranges (a transmit hook); header_ops in a table
 * range that cannot be read; the device list in a cycle: each TAMPERED,
 * the event naming the device ("lo"), the table, the function, no hang;
 * restored: clean.
 */
static void test_netdev(struct vm *vm, const uint8_t *data0,
			const uint64_t *table0)
{
	struct vmiaas_netdev_check t = nd_layout();
	struct vmiaas_check c = { .type = VMIAAS_CHECK_NETDEV_GVA, .len = 1,
		.addr = KHALF_VA + ND_NETS, .root = G_PML4,
		.values = (uintptr_t)&t };
	struct vmiaas_found rx = {
		.kind = VMIAAS_FOUND_NETDEV_FN, .value = ND_OUT,
		.expected = ND_DATA, .dev = KHALF_VA + ND_DEV,
		.netns = ND_NETNS, .point = 0, .path = "lo" };
	struct vmiaas_found copy = {
		.kind = VMIAAS_FOUND_NETDEV_BAD, .where = KHALF_VA + ND_COPY,
		.value = KHALF_VA + ND_COPY, .dev = KHALF_VA + ND_DEV,
		.netns = ND_NETNS, .point = 2, .err = -EPERM, .path = "lo" };
	struct vmiaas_found xmit = {
		.kind = VMIAAS_FOUND_NETDEV_FN, .where = KHALF_VA + ND_OPS,
		.value = ND_OUT, .dev = KHALF_VA + ND_DEV, .netns = ND_NETNS,
		.point = 2, .index = 0x10, .path = "lo" };
	struct vmiaas_found unread = {
		.kind = VMIAAS_FOUND_NETDEV_BAD, .where = ND_UNMAPPED,
		.value = ND_UNMAPPED, .dev = KHALF_VA + ND_DEV,
		.netns = ND_NETNS, .point = 4, .err = -EFAULT, .path = "lo" };
	struct vmiaas_found cycle = {
		.kind = VMIAAS_FOUND_NETDEV_BAD,
		.where = KHALF_VA + ND_NET + 0x300, .netns = ND_NETNS,
		.point = 18, .err = -ELOOP };
	struct vmiaas_event ev[8];
	struct op op;
	bool ok[7];

	test_netdev_args(vm);
	khalf_map(vm, 0x81);
	nd_craft(vm);
	TEST_ASSERT(set_one(vm, &c) == 0,
		    "- SET_CHECKS registers a netdev-hook check");
	vmiaas_events(vm, ev, 8);
	ok[0] = guest_req(vm, 0, 0xd001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xd001) &&
		vf_found(vm, 0xd001, &(struct vmiaas_found){ 0 }, false);
	nf_put(vm, ND_DEV + 0x80, ND_OUT);
	ok[1] = guest_req(vm, 0, 0xd002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xd002) &&
		vf_found(vm, 0xd002, &rx, false);
	nd_craft(vm);
	nf_put(vm, ND_DEV + 0x90, KHALF_VA + ND_COPY);
	ok[2] = guest_req(vm, 0, 0xd003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xd003) &&
		vf_found(vm, 0xd003, &copy, false);
	nd_craft(vm);
	nf_put(vm, ND_OPS + 0x10, ND_OUT);
	ok[3] = guest_req(vm, 0, 0xd004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xd004) &&
		vf_found(vm, 0xd004, &xmit, false);
	nd_craft(vm);
	nf_put(vm, ND_DEV + 0xa0, ND_UNMAPPED);
	ok[4] = guest_req(vm, 0, 0xd005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xd005) &&
		vf_found(vm, 0xd005, &unread, false);
	nd_craft(vm);
	nf_put(vm, ND_DEV + 0x40, KHALF_VA + ND_DEV + 0x40);	/* a cycle */
	ok[5] = guest_req(vm, 0, 0xd006, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0xd006) &&
		vf_found(vm, 0xd006, &cycle, false);
	nd_craft(vm);
	ok[6] = guest_req(vm, 0, 0xd007, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xd007) &&
		vf_found(vm, 0xd007, &(struct vmiaas_found){ 0 }, false);
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[6] = ok[6] && vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- netdev-hook: a device on tables in the table ranges, functions in the function range: CLEAN, nothing named");
	TEST_ASSERT(ok[1], "- netdev-hook: an rx_handler outside the ranges: TAMPERED, the event names lo, the handler and its data");
	TEST_ASSERT(ok[2], "- netdev-hook: netdev_ops a copy outside the table ranges: TAMPERED (EPERM), the event names lo and the copy");
	TEST_ASSERT(ok[3], "- netdev-hook: a netdev_ops function outside the ranges: TAMPERED, the event names the table and the function's offset");
	TEST_ASSERT(ok[4], "- netdev-hook: header_ops in a table range that cannot be read: TAMPERED (EFAULT)");
	TEST_ASSERT(ok[5], "- netdev-hook: the device list in a cycle: TAMPERED (ELOOP, the list named), no hang");
	TEST_ASSERT(ok[6], "- netdev-hook: restored: CLEAN; the first three checks registered again");
}

/*
 * proc-ops' crafted trees, in the kernel half khalf_map() maps: /proc
 * with one file "kallsyms", the one namespace's /proc/net with "tcp",
 * and one mounted /proc (super_blocks, its root dentry and inode).
 * struct proc_dir_entry of 0x100 bytes: proc_ops 0, proc_iops 8,
 * seq_ops 0x10, subdir 0x18, subdir_node 0x20 (rb_right +8, rb_left
 * +0x10), name 0x40, namelen 0x48, mode 0x4a.
 */
#define PR_ROOT		0x50000		/* proc_root */
#define PR_KALLSYMS	0x50100		/* /proc/kallsyms */
#define PR_NETDIR	0x50200		/* init_net's proc_net */
#define PR_TCP		0x50300		/* /proc/net/tcp */
#define PR_NAMES	0x50800		/* "kallsyms\0tcp\0net\0proc" */
#define PR_NETHEAD	0x51000		/* net_namespace_list */
#define PR_NET		0x52000		/* init_net: list 0x10, inum 0x20,
					 * proc_net 0x30 */
#define PR_SBS		0x53000		/* super_blocks */
#define PR_SB		0x54000		/* s_list 0, s_type 8, s_root 0x10 */
#define PR_FSTYPE	0x55000		/* proc_fs_type */
#define PR_DENTRY	0x56000		/* d_inode 8 */
#define PR_INODE	0x57000		/* i_op 0, i_fop 8 */
#define PR_TEXT		(KHALF_VA + 0x1000)	/* the "kernel image" */
#define PR_MODULE	(KHALF_VA + 0x100000 + 0x23c0)	/* "module area" */
#define PR_DIR		0040555
#define PR_FILE		0100444

/* FNV-1a 64 of @path: the key vmiaas.ko looks watched entries up by. */
static uint64_t pr_key(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 0x100000001b3ULL;
	return h;
}

static void pr_entry(struct vm *vm, uint64_t gpa, uint64_t name,
		     uint8_t namelen, uint16_t mode, uint64_t ops,
		     uint64_t iops, uint64_t seq, uint64_t subdir)
{
	memset(vm->mem + gpa, 0, 0x100);
	nf_put(vm, gpa, ops);
	nf_put(vm, gpa + 8, iops);
	nf_put(vm, gpa + 0x10, seq);
	nf_put(vm, gpa + 0x18, subdir ? KHALF_VA + subdir + 0x20 : 0);
	nf_put(vm, gpa + 0x40, KHALF_VA + PR_NAMES + name);
	vm->mem[gpa + 0x48] = namelen;
	memcpy(vm->mem + gpa + 0x4a, &mode, sizeof(mode));
}

/* The clean trees: every pointer as pr_watch() records it. */
static void pr_craft(struct vm *vm)
{
	memcpy(vm->mem + PR_NAMES, "kallsyms\0tcp\0net\0proc", 22);
	pr_entry(vm, PR_ROOT, 17, 4, PR_DIR, PR_TEXT + 0x100, PR_TEXT + 0x108,
		 0, PR_KALLSYMS);
	pr_entry(vm, PR_KALLSYMS, 0, 8, PR_FILE, PR_TEXT + 0x200,
		 PR_TEXT + 0x208, PR_TEXT + 0x210, 0);
	pr_entry(vm, PR_NETDIR, 13, 3, PR_DIR, PR_TEXT + 0x100,
		 PR_TEXT + 0x108, 0, PR_TCP);
	pr_entry(vm, PR_TCP, 9, 3, PR_FILE, PR_TEXT + 0x300, PR_TEXT + 0x308,
		 PR_TEXT + 0x310, 0);
	nf_put(vm, PR_NETHEAD, KHALF_VA + PR_NET + 0x10);
	nf_put(vm, PR_NET + 0x10, KHALF_VA + PR_NETHEAD);
	nf_put(vm, PR_NET + 0x20, 4026531840ULL);
	nf_put(vm, PR_NET + 0x30, KHALF_VA + PR_NETDIR);
	nf_put(vm, PR_SBS, KHALF_VA + PR_SB);
	nf_put(vm, PR_SB, KHALF_VA + PR_SBS);
	nf_put(vm, PR_SB + 8, KHALF_VA + PR_FSTYPE);
	nf_put(vm, PR_SB + 0x10, KHALF_VA + PR_DENTRY);
	nf_put(vm, PR_DENTRY + 8, KHALF_VA + PR_INODE);
	nf_put(vm, PR_INODE, PR_TEXT + 0x108);
	nf_put(vm, PR_INODE + 8, PR_TEXT + 0x100);
}

/* A proc-ops check: its layout, ranges, root inodes and watched table. */
struct pr_check {
	struct vmiaas_proc_check pc;
	struct vmiaas_proc_more more;
	struct vmiaas_proc_watch table[4];
};

static void pr_watch(struct vmiaas_proc_watch *w, const char *path,
		     uint64_t base, bool seq)
{
	*w = (struct vmiaas_proc_watch){ .key = pr_key(path),
		.ptr = { base, base + 8, seq ? base + 0x10 : 0 } };
}

static void pr_layout(struct pr_check *p)
{
	*p = (struct pr_check){
		.pc = { .ptr = { 0, 8, 0x10 }, .subdir = 0x18, .node = 0x20,
			.name = 0x40, .namelen = 0x48, .mode = 0x4a,
			.size = 0x100, .rb_left = 0x10, .rb_right = 8,
			.net_list = 0x10, .proc_net = 0x30, .net_inum = 0x20,
			.root = KHALF_VA + PR_ROOT,
			.init_net = KHALF_VA + PR_NET,
			.allow = { { KHALF_VA, KHALF_VA + 0x10000 },
				   { KHALF_VA + 0x100000,
				     KHALF_VA + 0x180000 } } },
		.more = { .nr_watch = 4, .super_blocks = KHALF_VA + PR_SBS,
			  .proc_fs_type = KHALF_VA + PR_FSTYPE, .s_type = 8,
			  .s_root = 0x10, .d_inode = 8, .i_fop = 8,
			  .i_op = 0 },
	};
	p->more.watch = (uintptr_t)p->table;
	/* any order: the module sorts them */
	pr_watch(&p->table[0], "/proc/net/tcp", PR_TEXT + 0x300, true);
	pr_watch(&p->table[1], "/proc", PR_TEXT + 0x100, false);
	pr_watch(&p->table[2], "/proc/kallsyms", PR_TEXT + 0x200, true);
	pr_watch(&p->table[3], "/proc/net/.", PR_TEXT + 0x100, false);
}

/* Bad _PROC checks (type 9, VMIAAS_CHECK_PROC_MORE) are refused. */
static void test_proc_args(struct vm *vm)
{
	struct pr_check p, bad;
	struct vmiaas_check x = { .type = VMIAAS_CHECK_PROC_GVA, .len = 1,
		.flags = VMIAAS_CHECK_PROC_MORE,
		.addr = KHALF_VA + PR_NETHEAD, .root = G_PML4,
		.values = (uintptr_t)&bad };
	struct vmiaas_attach_vm at = { .size = sizeof(at), .vm_fd = vm->fd };
	struct vmiaas_check c;
	int e[10], i;

	pr_layout(&p);
	bad = p;
	bad.more.watch = (uintptr_t)bad.table;
	bad.more.reserved[1] = 1;
	e[0] = set_one(vm, &x);
	bad = p;
	bad.more.watch = (uintptr_t)bad.table;
	bad.more.nr_watch = VMIAAS_MAX_PROC_TABLE + 1;
	e[1] = set_one(vm, &x);
	bad = p;
	bad.more.watch = (uintptr_t)bad.table;
	bad.table[3] = bad.table[1];		/* a key twice */
	e[2] = set_one(vm, &x);
	bad = p;
	bad.more.watch = (uintptr_t)bad.table;
	bad.more.proc_fs_type = PR_FSTYPE;	/* the user half */
	e[3] = set_one(vm, &x);
	bad = p;
	bad.more.watch = (uintptr_t)bad.table;
	bad.more.i_fop = VMIAAS_MAX_NF_OFFSET;
	e[4] = set_one(vm, &x);
	bad = p;
	bad.more.watch = 8;			/* unreadable */
	e[5] = set_one(vm, &x);
	c = x;
	c.type = VMIAAS_CHECK_NF_GVA;		/* the flag on another type */
	e[6] = set_one(vm, &c);
	at.event_size = VMIAAS_EVENT_SIZE_V1 + 4;
	e[7] = xioctl(vm->vmiaas, VMIAAS_IOC_ATTACH_VM, &at);
	at.event_size = VMIAAS_EVENT_SIZE_MAX + 8;
	e[8] = xioctl(vm->vmiaas, VMIAAS_IOC_ATTACH_VM, &at);
	at.event_size = VMIAAS_EVENT_SIZE_V1;	/* valid: attached already */
	e[9] = xioctl(vm->vmiaas, VMIAAS_IOC_ATTACH_VM, &at);
	ksft_print_msg("bad SET_CHECKS (type 9, PROC_MORE): reserved %s, 8193 entries %s, a key twice %s, user-half proc_fs_type %s, offset 64 KiB %s, unreadable table %s, the flag on type 8 %s; ATTACH_VM event_size 100 %s, 4104 %s, 96 when attached %s\n",
		       strerrorname_np(e[0]), strerrorname_np(e[1]),
		       strerrorname_np(e[2]), strerrorname_np(e[3]),
		       strerrorname_np(e[4]), strerrorname_np(e[5]),
		       strerrorname_np(e[6]), strerrorname_np(e[7]),
		       strerrorname_np(e[8]), strerrorname_np(e[9]));
	for (i = 0; i < 7 && e[i] == (i == 1 ? E2BIG : i == 5 ? EFAULT : EINVAL); i++)
		;
	TEST_ASSERT(i == 7, "- SET_CHECKS: bad proc-ops tables and root-inode layouts are refused (EINVAL, E2BIG, EFAULT)");
	TEST_ASSERT(e[7] == EINVAL && e[8] == EINVAL && e[9] == EBUSY,
		    "- ATTACH_VM: an event_size not a multiple of 8 or over 4096 is refused (EINVAL)");
}

/* The request's event: its verdict and the one thing it names. */
static bool pr_found(struct vm *vm, uint64_t cookie, uint32_t kind,
		     const char *path, uint32_t index, uint64_t value,
		     uint64_t expected, uint32_t flags)
{
	struct vmiaas_event ev[4];
	const struct vmiaas_found *f = &ev[0].found[0];
	unsigned int n = vmiaas_events(vm, ev, 4);
	bool ok;

	if (n != 1 || ev[0].size != sizeof(ev[0]) || ev[0].cookie != cookie) {
		ksft_print_msg("proc-ops: %u events (size %u, cookie 0x%llx)\n",
			       n, n ? ev[0].size : 0,
			       n ? (unsigned long long)ev[0].cookie : 0ULL);
		return false;
	}
	ksft_print_msg("proc-ops event 0x%llx: verdict %u, %u found: check %u kind %u path \"%.64s\" index %u value 0x%llx expected 0x%llx where 0x%llx netns %u err %d flags %u\n",
		       (unsigned long long)cookie, ev[0].verdict,
		       ev[0].nr_found, f->check, f->kind, f->path, f->index,
		       (unsigned long long)f->value,
		       (unsigned long long)f->expected,
		       (unsigned long long)f->where, f->netns, f->err,
		       f->flags);
	if (!kind)
		return ev[0].nr_found == 0;
	ok = ev[0].nr_found == 1 && f->check == 0 && f->kind == kind &&
	     !strcmp(f->path, path) && f->index == index &&
	     f->value == value && f->expected == expected &&
	     f->flags == flags;
	return ok;
}

/*
 * proc-ops run in the module (core/procwalk.c) with a table of watched
 * entries and the root inodes: clean; an entry outside the four the
 * module used to watch changed to another kernel table; /proc/net/tcp's
 * seq_ops into the module area (what vmiaas_attack_procnet does); the
 * mounted /proc's root inode i_fop swapped (vmiaas_attack_procroot); a
 * cycle in a directory's tree; super_blocks pointing at itself through
 * a superblock; restored: clean. Each verdict's event names what it
 * found.
 */
static void test_proc(struct vm *vm, const uint8_t *data0,
		      const uint64_t *table0)
{
	struct pr_check p;
	struct vmiaas_check c = { .type = VMIAAS_CHECK_PROC_GVA, .len = 1,
		.flags = VMIAAS_CHECK_PROC_MORE,
		.addr = KHALF_VA + PR_NETHEAD, .root = G_PML4,
		.values = (uintptr_t)&p };
	struct vmiaas_event ev[8];
	struct op op;
	bool ok[8];

	test_proc_args(vm);
	pr_layout(&p);
	khalf_map(vm, 0x81);
	pr_craft(vm);
	TEST_ASSERT(set_one(vm, &c) == 0,
		    "- SET_CHECKS registers a proc-ops check with a table of 4 entries and the root inodes");
	vmiaas_events(vm, ev, 8);
	ok[0] = guest_req(vm, 0, 0x9001, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x9001) &&
		pr_found(vm, 0x9001, 0, NULL, 0, 0, 0, 0);
	nf_put(vm, PR_KALLSYMS, PR_TEXT + 0x300);
	ok[1] = guest_req(vm, 0, 0x9002, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x9002) &&
		pr_found(vm, 0x9002, VMIAAS_FOUND_PROC_PTR, "/proc/kallsyms",
			 0, PR_TEXT + 0x300, PR_TEXT + 0x200,
			 VMIAAS_FOUND_INIT_NET);
	pr_craft(vm);
	nf_put(vm, PR_TCP + 0x10, PR_MODULE);
	ok[2] = guest_req(vm, 0, 0x9003, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x9003) &&
		pr_found(vm, 0x9003, VMIAAS_FOUND_PROC_PTR, "/proc/net/tcp",
			 2, PR_MODULE, PR_TEXT + 0x310, VMIAAS_FOUND_INIT_NET);
	pr_craft(vm);
	nf_put(vm, PR_INODE + 8, PR_MODULE);
	ok[3] = guest_req(vm, 0, 0x9004, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x9004) &&
		pr_found(vm, 0x9004, VMIAAS_FOUND_PROC_PTR,
			 "/proc (root inode)", 0, PR_MODULE, PR_TEXT + 0x100,
			 VMIAAS_FOUND_ROOT_INODE);
	pr_craft(vm);
	/* kallsyms's rb_left is its own node */
	nf_put(vm, PR_KALLSYMS + 0x20 + 0x10, KHALF_VA + PR_KALLSYMS + 0x20);
	ok[4] = guest_req(vm, 0, 0x9005, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x9005) &&
		pr_found(vm, 0x9005, VMIAAS_FOUND_PROC_BAD, "/proc", 4, 0, 0,
			 VMIAAS_FOUND_INIT_NET);
	pr_craft(vm);
	nf_put(vm, PR_SB, KHALF_VA + PR_SB);	/* s_list.next: itself */
	ok[5] = guest_req(vm, 0, 0x9006, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_TAMPERED, 1, 0x1, 0x9006) &&
		pr_found(vm, 0x9006, VMIAAS_FOUND_PROC_BAD,
			 "/proc (root inode)", 9, 0, 0,
			 VMIAAS_FOUND_ROOT_INODE);
	pr_craft(vm);
	ok[6] = guest_req(vm, 0, 0x9007, &op) &&
		answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x9007) &&
		pr_found(vm, 0x9007, 0, NULL, 0, 0, 0, 0);
	khalf_map(vm, 0);
	vmiaas_events(vm, ev, 8);
	ok[7] = vmiaas_set_checks(vm, data0, table0) == 0;
	TEST_ASSERT(ok[0], "- proc-ops: the crafted /proc, /proc/net and root inode as watched: CLEAN, nothing named");
	TEST_ASSERT(ok[1], "- proc-ops: /proc/kallsyms's proc_ops at another kernel table: TAMPERED, the event names /proc/kallsyms, proc_ops, old and new");
	TEST_ASSERT(ok[2], "- proc-ops: /proc/net/tcp's seq_ops into the module area (a connection hider): TAMPERED, named");
	TEST_ASSERT(ok[3], "- proc-ops: the mounted /proc's root inode i_fop swapped (a process hider): TAMPERED, named as the root inode");
	TEST_ASSERT(ok[4], "- proc-ops: a cycle in /proc's tree: TAMPERED, a bad tree at /proc, no hang");
	TEST_ASSERT(ok[5], "- proc-ops: a superblock whose s_list points at itself: TAMPERED, super_blocks named, no hang");
	TEST_ASSERT(ok[6] && ok[7], "- proc-ops: restored: CLEAN; the first three checks registered again");
}

static void test_hypercall(struct vm *vm)
{
	struct vmiaas_event ev[4];
	long probe, req, bad;
	unsigned int n;

	probe = guest_hc(vm, 0, VMIAAS_HC_PROBE, 0, 0, 0);
	req = guest_hc(vm, 0, VMIAAS_HC_REQUEST, VMIAAS_REASON_MODULE_LOAD,
		       0x6666, 0);
	bad = guest_hc(vm, 0, 77, 0, 0, 0);
	ksft_print_msg("hypercall: PROBE %ld, REQUEST %ld, op 77 %ld\n", probe,
		       req, bad);
	TEST_ASSERT(probe == (long)MODES_ALL,
		    "- hypercall PROBE: VMFUNC, HYPERCALL and POLL on an armed vCPU");
	n = vmiaas_events(vm, ev, 4);
	TEST_ASSERT(req == VMIAAS_VERDICT_CLEAN && n == 1 &&
		    ev[0].source == VMIAAS_SRC_HYPERCALL && ev[0].cookie == 0x6666 &&
		    ev[0].reason == VMIAAS_REASON_MODULE_LOAD,
		    "- hypercall REQUEST: CLEAN in RAX, an event with source HYPERCALL");
	TEST_ASSERT(bad == -EINVAL, "- hypercall with an unknown operation: -EINVAL");
}

/* N requests each way, with the L1's kvm_exit trace by reason. */
static void test_exits(struct vm *vm, unsigned int n)
{
	struct exit_counts cv, ch;
	struct op opv, oph;
	bool okv, okh;

	memset(&opv, 0, sizeof(opv));
	opv.in.rdi = OP_REQ_LOOP;
	opv.in.rcx = VMIAAS_REASON_PERIODIC;
	opv.in.r8 = POLLS;
	opv.in.r10 = n;
	trace_begin();
	okv = guest_op(vm, 0, &opv);
	okv = trace_end(&cv) && okv;
	memset(&oph, 0, sizeof(oph));
	oph.in.rdi = OP_HC_LOOP;
	oph.in.rcx = VMIAAS_REASON_PERIODIC;
	oph.in.r10 = n;
	trace_begin();
	okh = guest_op(vm, 0, &oph);
	okh = trace_end(&ch) && okh;
	ksft_print_msg("exits %u VMFUNC requests: %" PRId64 " (stats), trace %u: VMCALL %u VMFUNC %u other-than-interrupt/HLT %u (%s); answered %llu/%llu/%llu\n",
		       n, opv.exits, cv.total, cv.vmcall, cv.vmfunc, cv.other,
		       cv.text, (unsigned long long)opv.out.rax,
		       (unsigned long long)opv.out.rbx,
		       (unsigned long long)opv.out.rsi);
	ksft_print_msg("exits %u hypercall requests: %" PRId64 " (stats), trace %u: VMCALL %u VMFUNC %u other-than-interrupt/HLT %u (%s); answered %llu, failed %llu\n",
		       n, oph.exits, ch.total, ch.vmcall, ch.vmfunc, ch.other,
		       ch.text, (unsigned long long)oph.out.rax,
		       (unsigned long long)oph.out.rbx);
	TEST_ASSERT(okv && opv.out.rax == n && cv.vmcall == 0 && cv.vmfunc == 0 &&
		    cv.other == 0,
		    "- %u VMFUNC-triggered checks answered with no exit of their own (only timer interrupts and the HLT: %s)",
		    n, cv.text);
	TEST_ASSERT(okh && oph.out.rax == n && ch.vmcall == n && oph.exits >= n,
		    "- %u hypercall-triggered checks cost %u VMCALL exits", n,
		    ch.vmcall);
}

static void test_bad_index_and_view0(struct vm *vm)
{
	struct op op600, op5, op0;
	bool ok;

	guest_simple(vm, 0, OP_VMFUNC, 600, 0, &op600);
	guest_simple(vm, 0, OP_VMFUNC, 5, 0, &op5);
	TEST_ASSERT(op600.out.r15 == 6 && op5.out.r15 == 6,
		    "- VMFUNC(0,600) and VMFUNC(0,5): #UD in the L2, the L1 goes on (vectors %llu, %llu)",
		    (unsigned long long)op600.out.r15,
		    (unsigned long long)op5.out.r15);
	guest_simple(vm, 0, OP_READ0, 0, CG_MAILBOX, &op0);
	TEST_ASSERT(op0.mmio_addr == CG_MAILBOX,
		    "- the mailbox is not reachable in view 0: an MMIO exit to the VMM at 0x%llx",
		    (unsigned long long)op0.mmio_addr);
	ok = guest_req(vm, 0, 0x7777, &op0);
	TEST_ASSERT(ok && answer_is(&op0, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x7777),
		    "- requests still work afterwards");
}

static void slot1_set(struct vm *vm, uint8_t *mem)
{
	struct kvm_userspace_memory_region r = {
		.slot = 1, .guest_phys_addr = SLOT1_GPA,
		.memory_size = mem ? SLOT1_SIZE : 0,
		.userspace_addr = (uintptr_t)mem,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		bail("memslot 1");
}

/* View 1 follows KVM's root when a memslot is deleted and re-created. */
static void test_memslot(struct vm *vm)
{
	uint8_t *a, *b;
	struct op o1, o2, o3, o0;
	bool ok;

	a = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		bail("mmap");
	*(uint64_t *)a = 0xaaaa0001;
	*(uint64_t *)b = 0xbbbb0002;
	slot1_set(vm, a);
	guest_simple(vm, 0, OP_READ1, 0, SLOT1_GPA, &o1);
	slot1_set(vm, NULL);
	slot1_set(vm, b);
	guest_simple(vm, 0, OP_READ1, 0, SLOT1_GPA, &o2);
	guest_simple(vm, 0, OP_READ0, 0, SLOT1_GPA, &o0);
	slot1_set(vm, NULL);
	guest_simple(vm, 0, OP_READ1, 0, SLOT1_GPA, &o3);
	ksft_print_msg("memslot: view 1 reads 0x%llx, after the swap 0x%llx (view 0 0x%llx), after deletion MMIO at 0x%llx\n",
		       (unsigned long long)o1.out.r12,
		       (unsigned long long)o2.out.r12,
		       (unsigned long long)o0.out.r12,
		       (unsigned long long)o3.mmio_addr);
	ok = guest_req(vm, 0, 0x8888, &o0);
	TEST_ASSERT(o1.out.r12 == 0xaaaa0001 && o2.out.r12 == 0xbbbb0002 &&
		    o3.mmio_addr == SLOT1_GPA && ok &&
		    answer_is(&o0, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x8888),
		    "- memslot deleted and re-created: view 1 sees KVM's new mapping, then none; requests still work");
	munmap(a, SLOT1_SIZE);
	munmap(b, SLOT1_SIZE);
}

/*
 * Sticky view: the L2 enters view 1 and halts there; deleting a memslot
 * makes KVM load a new root (fast zap), which writes KVM's own EPTP; the
 * module puts the guest back in view 1, so it reads its mailbox without a
 * VMFUNC of its own. Without that, the read is an MMIO exit (view 0).
 */
static void test_sticky(struct vm *vm)
{
	unsigned long kept0, kept1;
	struct op in, rd, out;
	uint8_t *a;

	a = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		bail("mmap");
	kept0 = param_get("stat_view_kept");
	slot1_set(vm, a);
	guest_simple(vm, 0, OP_VMFUNC, 1, 0, &in);
	slot1_set(vm, NULL);
	guest_simple(vm, 0, OP_READ0, 0, CG_MAILBOX, &rd);
	guest_simple(vm, 0, OP_VMFUNC, 0, 0, &out);
	kept1 = param_get("stat_view_kept");
	ksft_print_msg("sticky: VMFUNC(0,1) vector %llu; after the memslot deletion the L2 reads 0x%llx at the mailbox, MMIO exit at 0x%llx; views kept by the module %lu -> %lu\n",
		       (unsigned long long)in.out.r15,
		       (unsigned long long)rd.out.r12,
		       (unsigned long long)rd.mmio_addr, kept0, kept1);
	TEST_ASSERT(in.out.r15 == 0 && out.out.r15 == 0 && rd.mmio_addr == 0 &&
		    rd.out.r12 == VMIAAS_MAILBOX_MAGIC && kept0 != ~0UL &&
		    kept1 > kept0,
		    "- sticky view: a guest in view 1 stays there across KVM's root load (reads its mailbox without switching)");
	munmap(a, SLOT1_SIZE);
}

/* A vCPU created after ENABLE_VIEW enrols itself with the hypercall. */
static void test_enroll(struct vm *vm)
{
	struct vmiaas_event ev[4];
	long probe, enroll, probe2;
	struct op op, ud;
	unsigned int n;
	bool ok;

	vmiaas_events(vm, ev, 0);	/* drop the earlier tests' events */
	vcpu_add(vm);
	guest_simple(vm, 1, OP_VMFUNC, 1, 0, &ud);
	probe = guest_hc(vm, 1, VMIAAS_HC_PROBE, 0, 0, 0);
	enroll = guest_hc(vm, 1, VMIAAS_HC_ENROLL, 0, 0, 0);
	probe2 = guest_hc(vm, 1, VMIAAS_HC_PROBE, 0, 0, 0);
	ok = guest_req(vm, 1, 0x9999, &op);
	n = vmiaas_events(vm, ev, 4);
	ksft_print_msg("vCPU 1: VMFUNC(0,1) vector %llu, PROBE %ld, ENROLL %ld, PROBE %ld\n",
		       (unsigned long long)ud.out.r15, probe, enroll, probe2);
	TEST_ASSERT(ud.out.r15 == 6 && probe == VMIAAS_MODE_HYPERCALL &&
		    enroll == 0 && probe2 == (long)MODES_ALL,
		    "- a vCPU created later: #UD on VMFUNC(0,1) until it enrols itself with the hypercall");
	TEST_ASSERT(ok && answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0x9999) &&
		    n == 1 && ev[0].vcpu == 1,
		    "- its mailbox requests are served (event for vCPU 1)");
}

static void test_two_vms(struct vm *a, struct vm *b, const uint8_t *data0,
			 const uint64_t *table0)
{
	struct vmiaas_event ea[4], eb[4];
	struct op oa, ob;
	unsigned int na, nb;
	bool ok;

	vmiaas_events(a, ea, 0);
	vm_create(b, "VM B");
	vmiaas_attach(b);
	ok = vmiaas_set_checks(b, data0, table0) == 0;
	guest_simple(b, 0, OP_WRITE, 0x4242, DATA_GPA, &ob);
	ok = guest_req(b, 0, 0xb0b0, &ob) && ok;
	ok = guest_req(a, 0, 0xa0a0, &oa) && ok;
	na = vmiaas_events(a, ea, 4);
	nb = vmiaas_events(b, eb, 4);
	TEST_ASSERT(ok && answer_is(&ob, 0, VMIAAS_VERDICT_TAMPERED, 2, 3, 0xb0b0) &&
		    answer_is(&oa, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xa0a0) &&
		    na == 1 && nb == 1 && ea[0].cookie == 0xa0a0 &&
		    eb[0].cookie == 0xb0b0,
		    "- two VMs at once: each gets its own verdict and its own events");
}

/*
 * The per-VM counters of consecutive events of one VM step by one: runs
 * when the checks ran (status 0 here), refusals otherwise.
 */
static bool events_count_up(const struct vmiaas_event *e, unsigned int n)
{
	unsigned int i;

	for (i = 1; i < n; i++) {
		bool ran = e[i].status == 0;

		if (e[i].vm_runs != e[i - 1].vm_runs + ran ||
		    e[i].vm_refused != e[i - 1].vm_refused + !ran)
			return false;
	}
	return n > 1 && e[0].vm_runs + e[0].vm_refused > 0;
}

/* The rate limit test's bucket: 40 requests in a run get some -EAGAIN. */
#define RATE_PER_SEC	50
#define RATE_BURST	3

static void test_rate_limit(struct vm *vm)
{
	struct vmiaas_event ev[64];
	double t0, t1, c0, c1, secs;
	unsigned int n, bound;
	struct op op;
	bool ok;

	param_set("checks_per_sec", RATE_PER_SEC);
	param_set("checks_burst", RATE_BURST);
	print_stats("rate limit: 50/s, burst 3; waiting for the bucket");
	/*
	 * The bucket refills to its burst (3 x 20 ms) from any level. Short:
	 * an L1 second costs about 100 s of Bochs CPU with two CPUs online.
	 */
	usleep(RATE_BURST * 1000000 / RATE_PER_SEC + 20000);
	print_stats("rate limit: 40 requests in one run");
	memset(&op, 0, sizeof(op));
	op.in.rdi = OP_REQ_LOOP;
	op.in.rcx = VMIAAS_REASON_PERIODIC;
	op.in.r8 = POLLS;
	op.in.r10 = 40;
	t0 = now_s();
	ok = guest_op(vm, 0, &op);
	secs = now_s() - t0;
	bound = RATE_BURST + (unsigned int)(RATE_PER_SEC * secs) + 1;
	ksft_print_msg("40 requests at 50/s, burst 3, in %.2f s: %llu answered, %llu -EAGAIN, %llu other\n",
		       secs, (unsigned long long)op.out.rax,
		       (unsigned long long)op.out.rbx,
		       (unsigned long long)op.out.rsi);
	TEST_ASSERT(ok && op.out.rax >= RATE_BURST && op.out.rax <= bound &&
		    op.out.rbx >= 1 && op.out.rax + op.out.rbx == 40,
		    "- rate limit: the burst and at most rate x time more checks run (3 <= %llu <= %u), the rest -EAGAIN",
		    (unsigned long long)op.out.rax, bound);
	n = vmiaas_events(vm, ev, 64);
	ksft_print_msg("per-VM counters in the events: first runs %llu refused %llu, last runs %llu refused %llu (%u events)\n",
		       (unsigned long long)ev[0].vm_runs,
		       (unsigned long long)ev[0].vm_refused,
		       (unsigned long long)ev[n ? n - 1 : 0].vm_runs,
		       (unsigned long long)ev[n ? n - 1 : 0].vm_refused, n);
	TEST_ASSERT(n == 40 && events_count_up(ev, n),
		    "- events carry the VM's counters: runs and refusals step by one per request (%u events)",
		    n);

	memset(&op, 0, sizeof(op));
	op.in.rdi = OP_FLOOD;
	op.in.rcx = VMIAAS_REASON_PERIODIC;
	op.in.r8 = POLLS;
	op.in.r10 = 2000000;
	print_stats("flood: 2,000,000 req_seq bumps");
	c0 = serve_cpu_s();
	t0 = now_s();
	ok = guest_op(vm, 0, &op);
	t1 = now_s();
	c1 = serve_cpu_s();
	n = vmiaas_events(vm, ev, 64);
	ksft_print_msg("flood: 2,000,000 req_seq bumps in %.2f s: %u requests served (events), serving CPU %.2f s, final status %lld\n",
		       t1 - t0, n, c1 - c0, (long long)op.out.r12);
	TEST_ASSERT(ok && op.out.r8 && n <= 2 + (unsigned int)((t1 - t0) * 1000) &&
		    c0 >= 0 && c1 - c0 <= (t1 - t0) / 2 + 0.05,
		    "- a flooding guest: at most one request per vCPU and ms is served, the serving CPU time is bounded");
	param_set("checks_per_sec", 1000);
	param_set("checks_burst", 100);
}

static void test_garbage(struct vm *vm)
{
	struct op op;
	bool ok;

	memset(&op, 0, sizeof(op));
	op.in.rdi = OP_GARBAGE;
	op.in.r8 = POLLS;
	op.in.r9 = 0xdeadbeefdeadbeefULL;
	ok = guest_op(vm, 0, &op);
	ksft_print_msg("garbage: status %lld, magic 0x%llx, polls left %llu\n",
		       (long long)op.out.r12, (unsigned long long)op.out.r9,
		       (unsigned long long)op.out.r8);
	TEST_ASSERT(ok && op.out.r8 && (int64_t)op.out.r12 == -EINVAL &&
		    op.out.r9 == VMIAAS_MAILBOX_MAGIC,
		    "- a mailbox filled with garbage: -EINVAL, the host line rewritten");
	ok = guest_req(vm, 0, 0xcccc, &op);
	TEST_ASSERT(ok && answer_is(&op, 0, VMIAAS_VERDICT_CLEAN, 0, 0, 0xcccc),
		    "- the next request after garbage is served");
}

/* An errno's name, "0", or "setup failed" (negative). */
static const char *errname(int e)
{
	return e < 0 ? "setup failed" : strerrorname_np(e) ?: "0";
}

/*
 * ---- a work item per VM: one VM's long run does not hold up another's
 * verdict, and detach or the VM's close stops a run in progress ----
 */

#define SLOW_CHECKS	8	/* each the SHA-256 of all guest RAM (1 MiB) */

/* SLOW_CHECKS ranges over all of @vm's RAM, all with a wrong digest. */
static int vmiaas_set_slow_checks(struct vm *vm)
{
	struct vmiaas_check c[SLOW_CHECKS];
	struct vmiaas_set_checks sc = {
		.size = sizeof(sc), .nr_checks = SLOW_CHECKS,
		.checks = (uintptr_t)c,
	};
	unsigned int i;

	memset(c, 0, sizeof(c));
	for (i = 0; i < SLOW_CHECKS; i++) {
		c[i].type = VMIAAS_CHECK_RANGE_GPA;
		c[i].len = MEM_SIZE;
	}
	return xioctl(vm->vmiaas, VMIAAS_IOC_SET_CHECKS, &sc);
}

/*
 * Posts a request on @vm's vCPU 0 and waits (up to 5 s) for a work item
 * pass to start (stat_works counts them at their start; no other VM has
 * a request now). True if one did.
 */
static bool post_and_wait_pass(struct vm *vm, uint64_t cookie)
{
	unsigned long before = param_get("stat_works"), now;
	struct op op = { .in = { .rdi = OP_POST,
				 .rcx = VMIAAS_REASON_ON_DEMAND,
				 .rdx = cookie } };
	unsigned int i;

	if (!guest_op(vm, 0, &op))
		return false;
	for (i = 0; i < 5000; i++) {
		now = param_get("stat_works");
		if (now != before && now != ~0UL)
			return true;
		usleep(1000);
	}
	ksft_print_msg("%s: no work item pass started in 5 s\n", vm->name);
	return false;
}

/*
 * OP_REQ waiting in short spins (2^20 polls, some 20 ms of L1 time),
 * re-entered until answered, at most @runs times. A real agent bounds its
 * spin the same way; here it matters because in the Bochs L1 a CPU that
 * runs the L2 takes no timer exits, so a worker woken onto that CPU runs
 * only when the vCPU thread leaves the guest.
 */
#define SHORT_POLLS	(1ULL << 20)

static bool guest_req_short(struct vm *vm, unsigned int vcpu,
			    uint64_t cookie, struct op *op, unsigned int runs)
{
	struct op w;

	if (!guest_req_polls(vm, vcpu, cookie, SHORT_POLLS, op))
		return false;
	while (!op->out.r8 && --runs) {
		memset(&w, 0, sizeof(w));
		w.in.rdi = OP_WAIT;
		w.in.r8 = SHORT_POLLS;
		if (!guest_op(vm, vcpu, &w) || w.out.rbx != op->out.rbx)
			return false;
		w.in = op->in;
		*op = w;
	}
	return op->out.r8 != 0;
}

/* Waits up to 600 s for an event of @vm; true if one came. */
static bool wait_event_of(struct vm *vm)
{
	struct pollfd p = { .fd = vm->vmiaas, .events = POLLIN };

	return poll(&p, 1, 600000) == 1;
}

/*
 * VM A's request runs 8 MiB of SHA-256; VM B asks meanwhile. With a
 * work item per VM, B is answered inside A's run (the events' times), in
 * a fraction of it; with one pass over all VMs it would wait for A's end.
 * Returns the length of A's run (ns), 0 if it did not finish.
 */
static uint64_t test_slow_vm(struct vm *a, struct vm *b)
{
	struct vmiaas_event ea[4], eb[4];
	uint64_t a_run = 0, b_lat = 0;
	unsigned int na = 0, nb = 0;
	double t0, b_wait = 0;
	struct op ob;
	bool ok;

	vmiaas_events(a, ea, 0);
	vmiaas_events(b, eb, 0);
	ok = vmiaas_set_slow_checks(a) == 0 && post_and_wait_pass(a, 0x5105);
	t0 = now_s();
	ok = ok && guest_req_short(b, 0, 0xb1b1, &ob, 500);
	b_wait = now_s() - t0;
	ok = ok && answer_is(&ob, 0, VMIAAS_VERDICT_TAMPERED, 2, 3, 0xb1b1);
	if (ok && wait_event_of(a)) {
		na = vmiaas_events(a, ea, 4);
		nb = vmiaas_events(b, eb, 4);
	}
	if (na == 1 && nb == 1) {
		a_run = ea[0].t_done_ns - ea[0].t_seen_ns;
		b_lat = eb[0].t_done_ns - eb[0].t_seen_ns;
		ksft_print_msg("VM A: %u checks of 1 MiB in %.3f s (status %d, verdict %u, mask 0x%llx); VM B seen %.3f s into it, served in %.3f s, its guest waited %.3f s\n",
			       SLOW_CHECKS, a_run / 1e9, ea[0].status,
			       ea[0].verdict,
			       (unsigned long long)ea[0].failed_mask,
			       (eb[0].t_seen_ns - ea[0].t_seen_ns) / 1e9,
			       b_lat / 1e9, b_wait);
	}
	ok = ok && na == 1 && nb == 1 && ea[0].status == 0 &&
	     ea[0].verdict == VMIAAS_VERDICT_TAMPERED &&
	     ea[0].failed_mask == (1ULL << SLOW_CHECKS) - 1 &&
	     eb[0].cookie == 0xb1b1 && eb[0].t_seen_ns > ea[0].t_seen_ns &&
	     eb[0].t_done_ns < ea[0].t_done_ns && b_wait * 4e9 < a_run;
	TEST_ASSERT(ok, "- VM A's 8 MiB check run does not hold up VM B: B's verdict came inside A's run, B's guest waited under a quarter of it (events %u/%u)",
		    na, nb);
	return ok ? a_run : 0;
}

/*
 * DETACH while A's work item runs its checks: the run stops at its next
 * page (detach does not wait for its end), and no event is queued.
 */
static void test_detach_running(struct vm *a, uint64_t a_run)
{
	struct vmiaas_event ea[4];
	bool started = false;
	double t0 = 0, t1 = 0;
	unsigned int n = 0;
	int e = -1;

	if (a_run && !vmiaas_set_slow_checks(a))
		started = post_and_wait_pass(a, 0xde7a);
	if (started) {
		t0 = now_s();
		e = xioctl(a->vmiaas, VMIAAS_IOC_DETACH_VM, NULL);
		t1 = now_s();
		n = vmiaas_events(a, ea, 4);
		ksft_print_msg("DETACH during a %.3f s run: %s after %.3f s, %u events\n",
			       a_run / 1e9, errname(e), t1 - t0, n);
	}
	TEST_ASSERT(started && !e && n == 0 && (t1 - t0) * 1e9 < a_run / 2.0,
		    "- DETACH while the VM's check run is in progress: the run stops early, no event");
	close(a->vmiaas);
	vmiaas_attach(a);	/* for the teardown */
}

/*
 * The VMM closes its vCPU and VM fds while VM C's work item runs, then
 * /dev/vmiaas: the attachment kept the VM, the release stops the run and
 * lets the VM go (the step's rmmod proves no vCPU is left).
 */
static void test_close_running(uint64_t a_run)
{
	bool started = false;
	double t0 = 0, t1 = 0;
	struct vm c;

	vm_create(&c, "VM C");
	vmiaas_attach(&c);
	if (a_run && !vmiaas_set_slow_checks(&c))
		started = post_and_wait_pass(&c, 0xc105);
	close(c.vcpu[0].fd);
	close(c.fd);
	t0 = now_s();
	close(c.vmiaas);
	t1 = now_s();
	munmap(c.mem, MEM_SIZE);
	ksft_print_msg("VM C closed during a run, then /dev/vmiaas: the release took %.3f s\n",
		       t1 - t0);
	TEST_ASSERT(started && (t1 - t0) * 1e9 < a_run / 2.0,
		    "- the VMM closes its VM while a check run is in progress, then /dev/vmiaas: the run stops early");
}

/* A VM with one vCPU and no guest, attached by its own /dev/vmiaas file. */
struct bare_vm {
	int vm_fd, fd, vcpu_fd;
	void *page;		/* the memory of the memslots tried */
};

/* KVM_SET_USER_MEMORY_REGION of slot 1 with @v's page: 0 or an errno. */
static int bare_vm_memslot(struct bare_vm *v, uint64_t gpa, uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = 1, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)v->page,
	};

	return xioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/* True if set up; with @mailbox_memory, a memslot at CG_MAILBOX first. */
static bool bare_vm_attach(struct bare_vm *v, bool mailbox_memory)
{
	struct vmiaas_attach_vm at = { .size = sizeof(at) };

	v->page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	v->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	v->fd = open("/dev/vmiaas", O_RDWR | O_CLOEXEC);
	v->vcpu_fd = -1;
	at.vm_fd = v->vm_fd;
	if (v->page == MAP_FAILED || v->vm_fd < 0 || v->fd < 0 ||
	    (mailbox_memory && bare_vm_memslot(v, CG_MAILBOX, 4096)))
		return false;
	v->vcpu_fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, 0);
	return v->vcpu_fd >= 0 && !ioctl(v->fd, VMIAAS_IOC_ATTACH_VM, &at);
}

static int bare_vm_enable_view(struct bare_vm *v)
{
	struct vmiaas_enable_view ev = { .size = sizeof(ev) };

	return xioctl(v->fd, VMIAAS_IOC_ENABLE_VIEW, &ev);
}

/* Closes everything, so the VM goes now (a vCPU fd keeps it alive). */
static void bare_vm_close(struct bare_vm *v)
{
	if (v->fd >= 0)
		close(v->fd);
	if (v->vcpu_fd >= 0)
		close(v->vcpu_fd);
	if (v->vm_fd >= 0)
		close(v->vm_fd);
	if (v->page != MAP_FAILED)
		munmap(v->page, 8192);
}

/* ENABLE_VIEW refuses a VM with memory where view 1 puts the mailbox. */
static void test_memory_above_mailbox(void)
{
	struct bare_vm v;
	int e = -1;

	if (bare_vm_attach(&v, true))
		e = bare_vm_enable_view(&v);
	TEST_ASSERT(e == ERANGE,
		    "- ENABLE_VIEW refuses a VM with memory at VMIAAS_MAILBOX_GPA: ERANGE (got %s)",
		    errname(e));
	bare_vm_close(&v);
}

/*
 * With view 1 enabled, KVM refuses a new memslot above the mailbox
 * (KVM_SET_USER_MEMORY_REGION: ERANGE, from the series' memslot_check);
 * after detach it accepts it.
 */
static void test_memslot_refused(void)
{
	int e_on = -1, e_into = -1, e_off = -1;
	struct bare_vm v;

	if (bare_vm_attach(&v, false) && !bare_vm_enable_view(&v)) {
		e_on = bare_vm_memslot(&v, CG_MAILBOX, 4096);
		e_into = bare_vm_memslot(&v, CG_MAILBOX - 4096, 8192);
		close(v.fd);		/* detaches */
		v.fd = -1;
		e_off = bare_vm_memslot(&v, CG_MAILBOX, 4096);
	}
	ksft_print_msg("memslot at the mailbox with view 1 on: %s, reaching into it: %s, after detach: %s\n",
		       errname(e_on), errname(e_into), errname(e_off));
	TEST_ASSERT(e_on == ERANGE && e_into == ERANGE && e_off == 0,
		    "- KVM_SET_USER_MEMORY_REGION above the mailbox: ERANGE while view 1 is enabled, accepted after detach");
	bare_vm_close(&v);
}

/*
 * ---- ENABLE_VIEW arms a vCPU that never leaves KVM_RUN, at once: KVM
 * enables it without vcpu->mutex (patch 0006), the vCPU picks view 1 up
 * at its next entry; DETACH still wins ----
 */

#define SPIN_GPA	0xfffff000	/* the page of the reset vector */
#define SPIN_CODE	0x000		/* the loop, at CS:0xf000 */
#define SPIN_FLAG	0x800		/* non-zero: VMFUNC in the loop */
#define SPIN_COUNT	0x804		/* u32: VMFUNC pairs done */

/*
 * Real mode, CS base 0xffff0000 (the reset state): offsets are the page's.
 * f000: cpuid; cmp byte cs:[0xf800], 0; je f000; xor eax, eax;
 * mov ecx, 1; vmfunc; xor ecx, ecx; vmfunc; inc dword cs:[0xf804];
 * jmp f000. A VMFUNC(0, 1) that view 1 does not serve gives #UD, which
 * ends KVM_RUN (no IVT: KVM cannot deliver it).
 */
static const char spin_code[] =
	"\x0f\xa2" "\x2e\x80\x3e\x00\xf8\x00" "\x74\xf6"
	"\x66\x31\xc0" "\x66\xb9\x01\x00\x00\x00" "\x0f\x01\xd4"
	"\x66\x31\xc9" "\x0f\x01\xd4" "\x2e\x66\xff\x06\x04\xf8"
	"\xeb\xdc";
#define PROMPT_S	0.2		/* an ioctl that does not wait */
/*
 * L1 s to wait for a thread to get somewhere. The waits poll every ms
 * and end as soon as it is there: an idle L1 second is dear in Bochs.
 */
#define REACH_S		10.0

/*
 * A bare VM whose vCPU loops in KVM_RUN (real mode, spin_code): CPUID,
 * then, once the test sets SPIN_FLAG, VMFUNC(0, 1), VMFUNC(0, 0) and a
 * count at SPIN_COUNT. Each CPUID exits to KVM, which handles it in the
 * kernel and sees a pending signal there: an L2 spinning without exits is
 * not always interrupted in Bochs (the L1 CPU got no timer tick for 21 s:
 * an RCU stall), so a signal could not end its KVM_RUN. The vCPU thread
 * holds vcpu->mutex all along, as a vCPU whose halts KVM handles does.
 */
struct spin_vm {
	struct bare_vm b;
	struct vcpu v;		/* its fd, kvm_run and exits counter */
	pthread_t thread;
	bool running;
	atomic_bool in_run;
};

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void *spin_vcpu(void *arg)
{
	struct spin_vm *s = arg;

	atomic_store(&s->in_run, true);
	/* ends on the signal that spin_stop() sends (immediate_exit set) */
	ioctl(s->v.fd, KVM_RUN, NULL);
	atomic_store(&s->in_run, false);
	return NULL;
}

/*
 * Puts the vCPU in KVM_RUN; true once it has exited to KVM there (its
 * CPUID): it holds vcpu->mutex until spin_stop().
 */
static bool spin_start(struct spin_vm *s)
{
	int64_t exits = vcpu_exits(&s->v);
	double end = now_s() + REACH_S;

	s->v.run->immediate_exit = 0;
	if (exits < 0 || pthread_create(&s->thread, NULL, spin_vcpu, s))
		return false;
	s->running = true;
	while (vcpu_exits(&s->v) == exits && now_s() < end)
		usleep(1000);
	return vcpu_exits(&s->v) > exits && atomic_load(&s->in_run);
}

/* Makes the vCPU leave KVM_RUN (a signal; KVM sees immediate_exit). */
static void spin_stop(struct spin_vm *s)
{
	if (!s->running)
		return;
	s->v.run->immediate_exit = 1;
	while (atomic_load(&s->in_run)) {
		pthread_kill(s->thread, SIGUSR1);
		usleep(1000);
	}
	pthread_join(s->thread, NULL);
	s->running = false;
}

/* A VM with the CPUID loop at its reset vector, attached; true if set up. */
static bool spin_vm_create(struct spin_vm *s)
{
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);

	memset(s, 0, sizeof(*s));
	s->v.run = MAP_FAILED;
	if (!bare_vm_attach(&s->b, false) || size < (int)sizeof(*s->v.run))
		return false;
	memcpy((uint8_t *)s->b.page + SPIN_CODE, spin_code,
	       sizeof(spin_code) - 1);
	/* the reset vector, 0xfffffff0: jmp 0xfffff000 */
	memcpy((uint8_t *)s->b.page + 0xff0, "\xe9\x0d\xf0", 3);
	s->v.fd = s->b.vcpu_fd;
	s->v.run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			s->v.fd, 0);
	if (s->v.run == MAP_FAILED || bare_vm_memslot(&s->b, SPIN_GPA, 4096))
		return false;
	vcpu_stats(&s->v);
	return true;
}

/* @cmd on @fd; the s it took in *ret_s; the errno or 0. */
static int timed_ioctl(int fd, unsigned long cmd, void *arg, double *ret_s)
{
	double t0 = now_s();
	int e = xioctl(fd, cmd, arg);

	*ret_s = now_s() - t0;
	return e;
}

static volatile uint32_t *spin_word(struct spin_vm *s, unsigned int off)
{
	return (volatile uint32_t *)((uint8_t *)s->b.page + off);
}

/* True once the vCPU has exited @n more times, still in KVM_RUN. */
static bool spin_exits(struct spin_vm *s, int64_t n)
{
	int64_t goal = vcpu_exits(&s->v) + n;
	double end = now_s() + REACH_S;

	while (vcpu_exits(&s->v) < goal && now_s() < end &&
	       atomic_load(&s->in_run))
		usleep(1000);
	return vcpu_exits(&s->v) >= goal && atomic_load(&s->in_run);
}

/* The guest's VMFUNC pairs: true once @n are done, still in KVM_RUN. */
static bool spin_vmfuncs(struct spin_vm *s, uint32_t n, double *ret_s)
{
	double t0 = now_s(), end = t0 + REACH_S;

	*spin_word(s, SPIN_FLAG) = 1;
	while (*spin_word(s, SPIN_COUNT) < n && now_s() < end &&
	       atomic_load(&s->in_run))
		usleep(1000);
	*ret_s = now_s() - t0;
	return *spin_word(s, SPIN_COUNT) >= n && atomic_load(&s->in_run);
}

/* ENABLE_VIEW with the vCPU busy in KVM_RUN: at once, and it is armed. */
static void test_view_busy_arm(struct spin_vm *s)
{
	struct vmiaas_enable_view ev = { .size = sizeof(ev) };
	double t_ev, t_vf = -1, t_again = -1;
	int e_ev, e_again = -1;
	bool reentered = false, vmfuncs = false;

	e_ev = timed_ioctl(s->b.fd, VMIAAS_IOC_ENABLE_VIEW, &ev, &t_ev);
	ksft_print_msg("ENABLE_VIEW with the vCPU in KVM_RUN (a CPUID loop): %s on %u vCPU in %.3f s\n",
		       errname(e_ev), ev.nr_vcpus, t_ev);
	TEST_ASSERT(!e_ev && ev.nr_vcpus == 1 && t_ev < PROMPT_S &&
		    atomic_load(&s->in_run),
		    "- ENABLE_VIEW arms a vCPU that stays in KVM_RUN at once (no wait for vcpu->mutex)");
	/* two exits: at least one re-entry since, where pre_entry arms */
	if (!e_ev)
		reentered = spin_exits(s, 2);
	if (reentered)
		vmfuncs = spin_vmfuncs(s, 100, &t_vf);
	ksft_print_msg("the vCPU re-entered: %s; its VMFUNC(0, 1)/VMFUNC(0, 0) pairs: %u in %.3f s, still in KVM_RUN: %s\n",
		       reentered ? "yes" : "no", *spin_word(s, SPIN_COUNT),
		       t_vf, atomic_load(&s->in_run) ? "yes" : "no");
	TEST_ASSERT(vmfuncs,
		    "- the busy vCPU switches to view 1 and back, 100 times, without leaving KVM_RUN");
	e_again = timed_ioctl(s->b.fd, VMIAAS_IOC_ENABLE_VIEW, &ev, &t_again);
	TEST_ASSERT(!e_again && ev.nr_vcpus == 1 && t_again < PROMPT_S,
		    "- ENABLE_VIEW again: at once (%s in %.3f s)",
		    errname(e_again), t_again);
}

/* DETACH with the vCPU in KVM_RUN: at once; ENABLE_VIEW then: ENXIO. */
static void test_view_busy_detach(struct spin_vm *s)
{
	struct vmiaas_read_mailbox rm = { .size = sizeof(rm) };
	struct vmiaas_enable_view ev = { .size = sizeof(ev) };
	double t_det = -1, t_ev = -1;
	int e_rm, e_det = -1, e_ev = -1;
	bool quiet;

	e_rm = xioctl(s->b.fd, VMIAAS_IOC_READ_MAILBOX, &rm);
	/* no VMFUNC(0, 1) after the disarm: it would #UD */
	*spin_word(s, SPIN_FLAG) = 0;
	quiet = spin_exits(s, 2);
	if (quiet) {
		e_det = timed_ioctl(s->b.fd, VMIAAS_IOC_DETACH_VM, NULL,
				    &t_det);
		e_ev = timed_ioctl(s->b.fd, VMIAAS_IOC_ENABLE_VIEW, &ev, &t_ev);
	}
	ksft_print_msg("READ_MAILBOX of the armed vCPU: %s (magic 0x%llx); DETACH with it in KVM_RUN: %s in %.3f s; ENABLE_VIEW after: %s in %.3f s\n",
		       errname(e_rm), (unsigned long long)rm.data[0],
		       errname(e_det), t_det, errname(e_ev), t_ev);
	TEST_ASSERT(!e_rm && quiet && !e_det && t_det < PROMPT_S &&
		    e_ev == ENXIO && t_ev < PROMPT_S && spin_exits(s, 2),
		    "- DETACH with the vCPU in KVM_RUN returns at once, ENABLE_VIEW after it: ENXIO; the vCPU runs on");
}

static void test_view_busy(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	struct spin_vm s;
	bool up;

	sigaction(SIGUSR1, &sa, NULL);
	up = spin_vm_create(&s) && spin_start(&s);
	TEST_ASSERT(up, "- a VM whose vCPU stays in KVM_RUN (a CPUID loop), attached");
	if (up) {
		test_view_busy_arm(&s);
		test_view_busy_detach(&s);
	}
	spin_stop(&s);
	if (s.v.run != MAP_FAILED)
		munmap(s.v.run, ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL));
	if (s.v.stats_fd > 0)
		close(s.v.stats_fd);
	bare_vm_close(&s.b);
}

/* Requests in flight when the attachment and the VMs go away. */
static void test_teardown(struct vm *a, struct vm *b)
{
	struct op op;
	int e1, e2;
	unsigned int i;

	memset(&op, 0, sizeof(op));
	op.in.rdi = OP_POST;
	op.in.rcx = VMIAAS_REASON_PERIODIC;
	guest_op(b, 0, &op);
	e1 = xioctl(b->vmiaas, VMIAAS_IOC_DETACH_VM, NULL);
	close(b->vmiaas);
	guest_op(a, 0, &op);
	guest_op(a, 1, &op);
	e2 = close(a->vmiaas);	/* attached: the release detaches */
	for (i = 0; i < a->nr_vcpus; i++)
		close(a->vcpu[i].fd);
	close(a->fd);
	close(b->vcpu[0].fd);
	close(b->fd);
	TEST_ASSERT(!e1 && !e2,
		    "- detach and close with requests posted and unanswered");
}

int main(void)
{
	uint8_t data0[4096];
	uint64_t table0[TABLE_LEN];
	struct vmiaas_caps caps = { .size = sizeof(caps) };
	struct vm a, b;
	uint64_t run;
	int fd;

	ksft_print_header();
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		ksft_exit_skip("no /dev/kvm");
	fd = open("/dev/vmiaas", O_RDWR | O_CLOEXEC);
	if (fd < 0 || xioctl(fd, VMIAAS_IOC_GET_CAPS, &caps))
		bail("/dev/vmiaas GET_CAPS");
	close(fd);
	TEST_ASSERT((caps.modes & MODES_ALL) == MODES_ALL,
		    "- GET_CAPS: VMFUNC, HYPERCALL and POLL (modes 0x%llx)",
		    (unsigned long long)caps.modes);
	TEST_ASSERT(caps.check_types == VMIAAS_CHECK_TYPES_ALL,
		    "- GET_CAPS: check types 1-12 (0x%llx)",
		    (unsigned long long)caps.check_types);

	param_set("checks_per_sec", 1000);
	param_set("checks_burst", 100);
	vm_create(&a, "VM A");
	memcpy(data0, a.mem + DATA_GPA, sizeof(data0));
	memcpy(table0, a.mem + TABLE_GPA, sizeof(table0));
	vmiaas_attach(&a);
	test_set_checks_args(&a);
	test_set_checks_args_new(&a);
	test_requests(&a, data0, table0);
	test_bytes_exec(&a, data0, table0);
	test_nf(&a, data0, table0);
	test_pt_in(&a, data0, table0);
	test_tp(&a, data0, table0);
	test_vfs(&a, data0, table0);
	test_tty(&a, data0, table0);
	test_proto(&a, data0, table0);
	test_netdev(&a, data0, table0);
	test_proc(&a, data0, table0);
	test_hypercall(&a);
	test_exits(&a, 20);
	test_bad_index_and_view0(&a);
	test_memslot(&a);
	test_memory_above_mailbox();
	test_memslot_refused();
	test_view_busy();
	test_sticky(&a);
	test_enroll(&a);
	test_two_vms(&a, &b, data0, table0);
	test_rate_limit(&a);
	test_garbage(&a);
	run = test_slow_vm(&a, &b);
	test_detach_running(&a, run);
	test_close_running(run);
	test_teardown(&a, &b);
	print_stats("at the end");
	ksft_set_plan(ksft_nr);
	ksft_finished();
}
