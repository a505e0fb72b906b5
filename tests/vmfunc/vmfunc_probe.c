// SPDX-License-Identifier: GPL-2.0
/*
 * vmfunc_probe: what does VMFUNC do in an L2 guest of this KVM?
 *
 * Runs in the Bochs L1 (scripts/bochs-l1), built on the host with
 * "gcc -static -o vmfunc_probe vmfunc_probe.c vmfunc_guest.S". Uses /dev/kvm directly, in the shape of a KVM selftest:
 * a guest_code that reports over port I/O, a host loop over KVM_RUN, TAP
 * output and assertion messages that print the values.
 *
 * The L2 runs in real mode (KVM runs it natively: unrestricted guest) or,
 * with --mode long, in 64-bit mode with identity-mapped page tables, a
 * GDT and an IDT, as a Linux guest's kernel would; VMFUNC is valid in
 * every mode of VMX non-root operation. It executes VMFUNC with EAX=0
 * (EPTP switching) and ECX=0, then ECX=1, then HLT. Every exception
 * vector has a stub that reports its vector and the faulting IP; the #UD
 * stub skips the 3-byte VMFUNC and returns, so the guest goes on.
 *
 * Test names carry " [long mode]" in long mode.
 *
 * --mode loop (needs --vmiaas) runs the 64-bit guest from its second entry
 * point: --loops N (default 1000) times VMFUNC(0,1) then VMFUNC(0,0), then
 * in view 1 a magic and N into vmiaas's mailbox at VMIAAS_MAILBOX_GPA, then
 * VMFUNC(0,5). It prints "# loop N exits X": the VM exits from the loop's
 * start to its end, and expects no #UD in the loop, the mailbox read back
 * through VMIAAS_IOC_READ_MAILBOX, and a #UD for index 5, which no one
 * armed (exit 59, KVM injects #UD).
 *
 * --vmiaas arms view 1 through vmiaas.ko before the run: /dev/vmiaas,
 * GET_CAPS must report VMIAAS_MODE_VMFUNC, VMIAAS_IOC_ATTACH_VM (and its
 * argument checks), VMIAAS_IOC_ENABLE_VIEW; after the run
 * VMIAAS_IOC_DETACH_VM. It also checks that "rmmod vmiaas" fails while the
 * VM is attached and, after detach, while the VM still lives.
 *
 * Expectations (--expect):
 *   ud      stock KVM 6.1 (default): VMFUNC exits with reason 59 and
 *           KVM injects #UD, for ECX=0 and ECX=1.
 *   switch  a KVM that arms EPTP switching: VMFUNC(0,0) and VMFUNC(0,1)
 *           complete in the guest, with no #UD and no VM exit.
 *
 * Also prints the CPU's VMX capability MSRs (msr module) and the vCPU's
 * exit counters (KVM_GET_STATS_FD, and debugfs kvm/PID-FD/exits).
 * Exit status (kselftest): 0 pass, 1 fail, 4 skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm_cpuid.h"
#include "vmfunc_guest.h"
#include "../../include/uapi/linux/vmiaas.h"

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

#define GUEST_MEM_SIZE	0x100000	/* 1 MiB at GPA 0 */
#define GUEST_MAX_EXITS	64		/* the guest makes about 12 */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_STAGES	4

/* 64-bit mode: where the tables go (all below GUEST_MEM_SIZE) */
#define G64_PML4	0x10000
#define G64_PDPT	0x11000
#define G64_PD		0x12000
#define G64_GDT		0x13000
#define G64_IDT		0x14000
#define G64_PDPT2	0x15000		/* maps GUEST_MAILBOX */
#define G64_PD2		0x16000
#define G64_STACK	0x8000
#define G64_CS		0x08
#define G64_DS		0x10

struct guest_image {
	const char *name;	/* "" for real mode: the test names stay short */
	const uint8_t *start, *end, *vmfunc0, *vmfunc1;
	const uint16_t *vectors;	/* stub offsets: 0-31, then "other" */
	const uint8_t *entry;		/* NULL: start */
	bool loop;			/* --mode loop: vmfunc0 is VMFUNC(0,5) */
};

static const struct guest_image guest_real = {
	.name = "",
	.start = guest_code_start, .end = guest_code_end,
	.vmfunc0 = guest_vmfunc0, .vmfunc1 = guest_vmfunc1,
	.vectors = guest_ivt,
};

static const struct guest_image guest_long = {
	.name = " [long mode]",
	.start = guest64_code_start, .end = guest64_code_end,
	.vmfunc0 = guest64_vmfunc0, .vmfunc1 = guest64_vmfunc1,
	.vectors = guest64_idt,
};

static const struct guest_image guest_loop = {
	.name = " [loop]",
	.start = guest64_code_start, .end = guest64_code_end,
	.vmfunc0 = guest64_vmfunc5, .vmfunc1 = guest64_vmfunc5,
	.vectors = guest64_idt, .entry = guest64_loop, .loop = true,
};

static uint32_t guest_addr(const struct guest_image *img, const uint8_t *sym)
{
	return GUEST_LOAD + (uint32_t)(sym - img->start);
}

/* ---- TAP, in the shape of kselftest.h ---- */

static unsigned int tap_n, tap_failed;

static void tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %u - ", ok ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void tap_skip_rest(unsigned int plan, const char *why)
{
	while (tap_n < plan) {
		tap_n++;
		printf("ok %u # SKIP %s\n", tap_n, why);
	}
}

/* A check that cannot be recovered from: the remaining tests fail. */
static void __attribute__((noreturn)) tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(KSFT_FAIL);
}

/* ---- what the machine offers ---- */

static void print_vmx_msrs(void)
{
	static const struct {
		uint32_t index;
		const char *name;
	} msrs[] = {
		{ 0x48b, "IA32_VMX_PROCBASED_CTLS2" },
		{ 0x48c, "IA32_VMX_EPT_VPID_CAP" },
		{ 0x491, "IA32_VMX_VMFUNC" },
	};
	uint64_t v;
	size_t i;
	int fd;

	fd = open("/dev/cpu/0/msr", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tap_diag("MSRs: /dev/cpu/0/msr: %s (msr module not loaded?)",
			 strerror(errno));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		if (pread(fd, &v, sizeof(v), msrs[i].index) != sizeof(v)) {
			tap_diag("MSR 0x%x (%s): unreadable: %s", msrs[i].index,
				 msrs[i].name, strerror(errno));
			continue;
		}
		tap_diag("MSR 0x%x (%s) = 0x%016" PRIx64, msrs[i].index,
			 msrs[i].name, v);
		if (msrs[i].index == 0x48b)
			tap_diag("  secondary controls allowed-1: enable VM functions (bit 13) %s, EPT-violation #VE (bit 18) %s",
				 (v >> 32) & (1u << 13) ? "yes" : "no",
				 (v >> 32) & (1u << 18) ? "yes" : "no");
	}
	close(fd);
}

/* ---- exit counters ---- */

struct exit_stats {
	int stats_fd;		/* vCPU binary stats, or -1 */
	uint64_t exits_offset;	/* of the "exits" counter in stats_fd */
	char debugfs[128];	/* kvm/PID-VMFD/exits, or "" */
};

/* Finds the vCPU's "exits" counter in its binary stats (KVM_GET_STATS_FD). */
static int exit_stats_init(struct exit_stats *st, int kvm_fd, int vm_fd,
			   int vcpu_fd)
{
	struct kvm_stats_header hdr;
	size_t desc_size;
	uint32_t i;
	char *descs;

	st->stats_fd = -1;
	snprintf(st->debugfs, sizeof(st->debugfs),
		 "/sys/kernel/debug/kvm/%d-%d/exits", (int)getpid(), vm_fd);
	if (access(st->debugfs, R_OK))
		st->debugfs[0] = '\0';

	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0)
		return -EOPNOTSUPP;
	st->stats_fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (st->stats_fd < 0)
		return -errno;
	if (pread(st->stats_fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		goto bad;
	if (hdr.num_desc == 0 || hdr.num_desc > 4096 || hdr.name_size > 4096)
		goto bad;
	desc_size = sizeof(struct kvm_stats_desc) + hdr.name_size;
	descs = calloc(hdr.num_desc, desc_size);
	if (!descs)
		goto bad;
	if (pread(st->stats_fd, descs, hdr.num_desc * desc_size,
		  hdr.desc_offset) != (ssize_t)(hdr.num_desc * desc_size)) {
		free(descs);
		goto bad;
	}
	for (i = 0; i < hdr.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * desc_size);

		d->name[hdr.name_size - 1] = '\0';
		if (!strcmp(d->name, "exits")) {
			st->exits_offset = hdr.data_offset + d->offset;
			free(descs);
			return 0;
		}
	}
	free(descs);
bad:
	close(st->stats_fd);
	st->stats_fd = -1;
	return -EBADMSG;
}

/* The vCPU's exit count (stats fd), or -1 if unavailable. */
static int64_t exit_stats_read(const struct exit_stats *st)
{
	uint64_t v;

	if (st->stats_fd < 0 ||
	    pread(st->stats_fd, &v, sizeof(v), st->exits_offset) != sizeof(v))
		return -1;
	return (int64_t)v;
}

/* The VM's exit count from debugfs, or -1 if unavailable. */
static int64_t exit_stats_read_debugfs(const struct exit_stats *st)
{
	long long v = -1;
	FILE *f;

	if (!st->debugfs[0])
		return -1;
	f = fopen(st->debugfs, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* ---- the run ---- */

/* What the guest reported, per stage (after stage s, before stage s+1). */
struct guest_log {
	bool stage_seen[NR_STAGES];
	int64_t exits_at_stage[NR_STAGES];
	int vector[NR_STAGES];		/* exception taken in that stage, or -1 */
	int fault_ip[NR_STAGES];
	bool halted;
};

static const char *exit_reason_name(uint32_t r)
{
	switch (r) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	default: return "?";
	}
}

/*
 * Runs the vCPU until HLT, recording the guest's reports in @log.
 * Returns 0, or -1 after printing why the run stopped early.
 */
static int guest_run(int vcpu_fd, struct kvm_run *run,
		     const struct exit_stats *st, struct guest_log *log)
{
	int stage = 0, n;

	for (n = 0; n < GUEST_MAX_EXITS; n++) {
		uint8_t *data;

		if (ioctl(vcpu_fd, KVM_RUN, NULL) < 0) {
			tap_diag("KVM_RUN failed: %s", strerror(errno));
			return -1;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			log->halted = true;
			return 0;
		case KVM_EXIT_IO:
			break;
		case KVM_EXIT_FAIL_ENTRY:
			tap_diag("KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason 0x%llx",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return -1;
		case KVM_EXIT_INTERNAL_ERROR:
			tap_diag("KVM_EXIT_INTERNAL_ERROR: suberror %u, ndata %u, data[0] 0x%llx",
				 run->internal.suberror, run->internal.ndata,
				 run->internal.ndata ?
				 (unsigned long long)run->internal.data[0] : 0ULL);
			return -1;
		default:
			tap_diag("unexpected exit reason %u (%s) in stage %d",
				 run->exit_reason,
				 exit_reason_name(run->exit_reason), stage);
			return -1;
		}

		data = (uint8_t *)run + run->io.data_offset;
		if (run->io.direction != KVM_EXIT_IO_OUT || run->io.count != 1) {
			tap_diag("unexpected I/O: direction %u port 0x%x size %u count %u",
				 run->io.direction, run->io.port, run->io.size,
				 run->io.count);
			return -1;
		}
		switch (run->io.port) {
		case PORT_STAGE:
			if (data[0] != stage + 1 || data[0] >= NR_STAGES) {
				tap_diag("Expected stage %d, got stage %u", stage + 1,
					 data[0]);
				return -1;
			}
			stage = data[0];
			log->stage_seen[stage] = true;
			log->exits_at_stage[stage] = exit_stats_read(st);
			break;
		case PORT_VECTOR:
			log->vector[stage] = data[0];
			break;
		case PORT_FAULT_IP:
			log->fault_ip[stage] = data[0] | data[1] << 8;
			if (log->vector[stage] != UD_VECTOR) {
				tap_diag("guest took vector %d at IP 0x%x in stage %d and stopped",
					 log->vector[stage], log->fault_ip[stage],
					 stage);
				return -1;
			}
			break;
		default:
			tap_diag("Expected I/O at port 0x%x-0x%x, got port 0x%x",
				 PORT_STAGE, PORT_FAULT_IP, run->io.port);
			return -1;
		}
	}
	tap_diag("guest made %d exits without halting", n);
	return -1;
}

/* Stage @stage ran VMFUNC(0,@ecx) at @ip: report what happened to it. */
static void check_vmfunc(const struct guest_log *log, int stage, int ecx,
			 uint32_t ip, bool expect_ud, const char *mode)
{
	int64_t exits = -1;

	if (log->exits_at_stage[stage] >= 0 && log->exits_at_stage[stage + 1] >= 0)
		/* minus the OUT that reported stage + 1 */
		exits = log->exits_at_stage[stage + 1] -
			log->exits_at_stage[stage] - 1;
	/*
	 * With #UD: the VMFUNC exit (59) and the handler's 2 OUTs, plus EPT
	 * violations on the first touch of the IVT and stack pages.
	 */
	tap_diag("VMFUNC(0,%d): vector %d, fault IP 0x%x (VMFUNC at 0x%x), %" PRId64 " VM exits from the VMFUNC to the next report",
		 ecx, log->vector[stage], log->fault_ip[stage], ip, exits);

	if (!log->stage_seen[stage + 1]) {
		tap_result(false, "VMFUNC(0,%d): the guest did not get past it%s",
			   ecx, mode);
		return;
	}
	if (expect_ud) {
		if (log->vector[stage] == UD_VECTOR && log->fault_ip[stage] != (int)ip)
			tap_diag("Expected the #UD at IP 0x%x, got IP 0x%x", ip,
				 log->fault_ip[stage]);
		tap_result(log->vector[stage] == UD_VECTOR &&
			   log->fault_ip[stage] == (int)ip,
			   "stock KVM: VMFUNC(0,%d) raises #UD in the guest (got vector %d)%s",
			   ecx, log->vector[stage], mode);
	} else {
		if (exits > 0)
			tap_diag("Expected no VM exit for VMFUNC(0,%d), got %" PRId64,
				 ecx, exits);
		tap_result(log->vector[stage] < 0 && exits <= 0,
			   "EPTP switching KVM: VMFUNC(0,%d) completes in the guest without exit (got vector %d, %" PRId64 " exits)%s",
			   ecx, log->vector[stage], exits, mode);
	}
}

/* --mode loop: stage 1 to 2 is the VMFUNC loop, stage 2 to 3 VMFUNC(0,5). */
static void check_loop(const struct guest_log *log, unsigned int loops,
		       uint32_t ip5)
{
	int64_t exits = -1;

	if (log->exits_at_stage[1] >= 0 && log->exits_at_stage[2] >= 0)
		exits = log->exits_at_stage[2] - log->exits_at_stage[1] - 1;
	tap_diag("loop %u exits %" PRId64, loops, exits);
	if (log->vector[1] >= 0)
		tap_diag("the loop took vector %d at IP 0x%x", log->vector[1],
			 log->fault_ip[1]);
	tap_result(log->stage_seen[2] && log->vector[1] < 0,
		   "VMFUNC(0,1) then VMFUNC(0,0), %u times: no exception (%" PRId64 " VM exits meanwhile) [loop]",
		   loops, exits);
	tap_result(log->stage_seen[3] && log->vector[2] == UD_VECTOR &&
		   log->fault_ip[2] == (int)ip5,
		   "VMFUNC(0,5), an unarmed index: #UD in the guest at 0x%x (got vector %d at 0x%x) [loop]",
		   ip5, log->vector[2], log->fault_ip[2]);
}

/* Real mode: IVT at 0 (offset, segment 0), CS=DS=SS=0. */
static void guest_setup_real(uint8_t *mem, struct kvm_sregs *sregs,
			     struct kvm_regs *regs)
{
	uint16_t *ivt = (uint16_t *)mem;
	int i;

	for (i = 0; i < 256; i++) {
		ivt[2 * i] = GUEST_LOAD + guest_ivt[i < 32 ? i : 32];
		ivt[2 * i + 1] = 0;
	}
	sregs->cs.base = 0;
	sregs->cs.selector = 0;
	sregs->ds = sregs->es = sregs->ss = sregs->fs = sregs->gs = sregs->cs;
	sregs->ds.type = sregs->es.type = sregs->ss.type = 3;	/* data RW */
	sregs->fs.type = sregs->gs.type = 3;
	regs->rip = GUEST_LOAD;
	regs->rflags = 0x2;	/* IF=0: no interrupts */
}

/*
 * 64-bit mode: the first 2 MiB identity-mapped with one large page, a GDT
 * (iretq reloads CS and SS from it) and an IDT of interrupt gates.
 */
static void guest_setup_long(uint8_t *mem, struct kvm_sregs *sregs,
			     struct kvm_regs *regs)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = G64_CS,
		.type = 11, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1,
		.g = 1,
	};
	struct kvm_segment data = code;
	uint64_t *gdt = (uint64_t *)(mem + G64_GDT);
	uint64_t *idt = (uint64_t *)(mem + G64_IDT);
	int i;

	*(uint64_t *)(mem + G64_PML4) = G64_PDPT | 0x3;	/* present, RW */
	*(uint64_t *)(mem + G64_PDPT) = G64_PD | 0x3;
	*(uint64_t *)(mem + G64_PD) = 0x0 | 0x83;	/* 2 MiB page at 0 */
	/* and 2 MiB at GUEST_MAILBOX, only backed in vmiaas's view 1 */
	*(uint64_t *)(mem + G64_PML4 + 8 * (GUEST_MAILBOX >> 39 & 511)) =
		G64_PDPT2 | 0x3;
	*(uint64_t *)(mem + G64_PDPT2 + 8 * (GUEST_MAILBOX >> 30 & 511)) =
		G64_PD2 | 0x3;
	*(uint64_t *)(mem + G64_PD2 + 8 * (GUEST_MAILBOX >> 21 & 511)) =
		GUEST_MAILBOX | 0x83;

	gdt[0] = 0;
	gdt[G64_CS / 8] = 0x00af9b000000ffffULL;	/* 64-bit code */
	gdt[G64_DS / 8] = 0x00cf93000000ffffULL;	/* data */

	for (i = 0; i < 256; i++) {
		uint64_t off = GUEST_LOAD + guest64_idt[i < 32 ? i : 32];

		/* 64-bit interrupt gate, present, DPL 0 */
		idt[2 * i] = (off & 0xffff) | (uint64_t)G64_CS << 16 |
			     (uint64_t)0x8e << 40 | (off >> 16 & 0xffff) << 48;
		idt[2 * i + 1] = off >> 32;
	}

	data.selector = G64_DS;
	data.type = 3;
	data.l = 0;
	data.db = 1;
	sregs->cs = code;
	sregs->ds = sregs->es = sregs->ss = sregs->fs = sregs->gs = data;
	sregs->gdt.base = G64_GDT;
	sregs->gdt.limit = 3 * 8 - 1;
	sregs->idt.base = G64_IDT;
	sregs->idt.limit = 256 * 16 - 1;
	sregs->cr3 = G64_PML4;
	sregs->cr4 = 0x20;			/* PAE */
	sregs->cr0 = 0x80000033;		/* PG, NE, ET, MP, PE */
	sregs->efer = 0x500;			/* LMA, LME */
	regs->rip = GUEST_LOAD;
	regs->rsp = G64_STACK;
	regs->rflags = 0x2;
}

/* ---- vmiaas.ko ---- */

#define VMIAAS_NR_TESTS	7

static int vmiaas_err(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static bool vmiaas_loaded(void)
{
	return !access("/sys/module/vmiaas", F_OK);
}

/* "rmmod vmiaas" is refused (and the module stays). */
static bool vmiaas_rmmod_refused(void)
{
	int st = system("rmmod vmiaas >/dev/null 2>&1");

	return st != 0 && vmiaas_loaded();
}

/*
 * Attaches vmiaas.ko to the VM and arms view 1. Returns the /dev/vmiaas fd
 * or -1; 5 tests.
 */
static int vmiaas_setup(int kvm_fd, int vm_fd, int vcpu_fd)
{
	struct vmiaas_caps caps = { .size = sizeof(caps) };
	struct vmiaas_attach_vm at;
	struct vmiaas_enable_view ev;
	int fd, fd2, e[8], r;

	fd = open("/dev/vmiaas", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		tap_diag("open /dev/vmiaas: %s", strerror(errno));
	r = fd < 0 ? errno : vmiaas_err(fd, VMIAAS_IOC_GET_CAPS, &caps);
	if (r)
		tap_diag("GET_CAPS: %s", strerror(r));
	tap_result(!r && (caps.modes & VMIAAS_MODE_VMFUNC),
		   "/dev/vmiaas: GET_CAPS reports VMIAAS_MODE_VMFUNC (modes 0x%llx)",
		   (unsigned long long)caps.modes);
	if (fd < 0)
		return -1;

	at = (struct vmiaas_attach_vm){ .size = sizeof(at), .vm_fd = vm_fd,
					.flags = 1 };
	e[0] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	at.flags = 0;
	at.reserved = 1;
	e[1] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	at.reserved = 0;
	at.size = sizeof(at) - 1;
	e[2] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	at.size = sizeof(at);
	at.vm_fd = -1;
	e[3] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	at.vm_fd = kvm_fd;
	e[4] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	at.vm_fd = vcpu_fd;
	e[5] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	ev = (struct vmiaas_enable_view){ .size = sizeof(ev) };
	e[6] = vmiaas_err(fd, VMIAAS_IOC_ENABLE_VIEW, &ev);
	e[7] = vmiaas_err(fd, VMIAAS_IOC_DETACH_VM, NULL);
	tap_diag("bad ATTACH_VM: flags %s, reserved %s, size %s, fd -1 %s, /dev/kvm fd %s, vCPU fd %s; unattached ENABLE_VIEW %s, DETACH_VM %s",
		 strerrorname_np(e[0]), strerrorname_np(e[1]),
		 strerrorname_np(e[2]), strerrorname_np(e[3]),
		 strerrorname_np(e[4]), strerrorname_np(e[5]),
		 strerrorname_np(e[6]), strerrorname_np(e[7]));
	tap_result(e[0] == EOPNOTSUPP && e[1] == EINVAL && e[2] == EINVAL &&
		   e[3] == EBADF && e[4] == EINVAL && e[5] == EINVAL &&
		   e[6] == ENXIO && e[7] == ENXIO,
		   "vmiaas: bad arguments are refused (EOPNOTSUPP, EINVAL, EBADF, ENXIO)");

	at.vm_fd = vm_fd;
	e[0] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	e[1] = vmiaas_err(fd, VMIAAS_IOC_ATTACH_VM, &at);
	fd2 = open("/dev/vmiaas", O_RDWR | O_CLOEXEC);
	e[2] = fd2 < 0 ? errno : vmiaas_err(fd2, VMIAAS_IOC_ATTACH_VM, &at);
	if (fd2 >= 0)
		close(fd2);
	tap_diag("ATTACH_VM %s, again %s, from a second file %s",
		 strerrorname_np(e[0]) ?: "0", strerrorname_np(e[1]),
		 strerrorname_np(e[2]));
	tap_result(!e[0] && e[1] == EBUSY && e[2] == EBUSY,
		   "vmiaas: ATTACH_VM attaches; a second attach is EBUSY");

	ev = (struct vmiaas_enable_view){ .size = sizeof(ev) };
	r = vmiaas_err(fd, VMIAAS_IOC_ENABLE_VIEW, &ev);
	if (r)
		tap_diag("ENABLE_VIEW: %s", strerror(r));
	tap_result(!r && ev.nr_vcpus == 1,
		   "vmiaas: ENABLE_VIEW arms view 1 on 1 vCPU (got %u)",
		   ev.nr_vcpus);

	tap_result(vmiaas_rmmod_refused(),
		   "vmiaas: rmmod vmiaas is refused while a VM is attached");
	return fd;
}

/* The L2 wrote GUEST_MAILBOX_MAGIC and @loops to vCPU 0's mailbox; 1 test. */
static void vmiaas_check_mailbox(int fd, unsigned int loops)
{
	struct vmiaas_read_mailbox mb = { .size = sizeof(mb), .vcpu = 1 };
	int e1, r;

	e1 = vmiaas_err(fd, VMIAAS_IOC_READ_MAILBOX, &mb);
	mb.vcpu = 0;
	r = vmiaas_err(fd, VMIAAS_IOC_READ_MAILBOX, &mb);
	tap_diag("READ_MAILBOX: %s, gpa 0x%llx, data 0x%llx 0x%llx; vCPU 1: %s",
		 strerrorname_np(r) ?: "0", (unsigned long long)mb.gpa,
		 (unsigned long long)mb.data[0], (unsigned long long)mb.data[1],
		 strerrorname_np(e1));
	tap_result(!r && mb.gpa == GUEST_MAILBOX &&
		   mb.data[0] == GUEST_MAILBOX_MAGIC && mb.data[1] == loops &&
		   e1 == EINVAL,
		   "vmiaas: the L2 wrote the mailbox in view 1, the host reads it (magic 0x%llx, %llu)",
		   (unsigned long long)mb.data[0],
		   (unsigned long long)mb.data[1]);
}

/* Detaches and closes; 2 tests. */
static void vmiaas_teardown(int fd)
{
	int e0 = vmiaas_err(fd, VMIAAS_IOC_DETACH_VM, NULL);
	int e1 = vmiaas_err(fd, VMIAAS_IOC_DETACH_VM, NULL);

	close(fd);
	tap_result(!e0 && e1 == ENXIO,
		   "vmiaas: DETACH_VM detaches, then ENXIO (got %s, %s)",
		   strerrorname_np(e0) ?: "0", strerrorname_np(e1));
	tap_result(vmiaas_rmmod_refused(),
		   "vmiaas: rmmod vmiaas is still refused while the VM lives (its armed vCPU pins the module)");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vmfunc_probe [--mode real|long|loop] [--loops N] [--expect ud|switch] [--vmiaas]\n");
}

int main(int argc, char **argv)
{
	unsigned int plan = 5, loops = 1000;
	bool use_vmiaas = false;
	int vmiaas_fd = -1;
	struct guest_log log = { .exits_at_stage = { -1, -1, -1, -1 },
				 .vector = { -1, -1, -1, -1 },
				 .fault_ip = { -1, -1, -1, -1 } };
	struct kvm_userspace_memory_region region;
	struct exit_stats st = { .stats_fd = -1 };
	int kvm_fd, vm_fd, vcpu_fd, run_size, r, i;
	int64_t before, before_dbg, after, after_dbg;
	const struct guest_image *img = &guest_real;
	bool expect_ud = true;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *mem;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "ud")) {
				expect_ud = true;
			} else if (!strcmp(argv[i], "switch")) {
				expect_ud = false;
			} else {
				usage(stderr);
				return KSFT_FAIL;
			}
		} else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "real")) {
				img = &guest_real;
			} else if (!strcmp(argv[i], "long")) {
				img = &guest_long;
			} else if (!strcmp(argv[i], "loop")) {
				img = &guest_loop;
			} else {
				usage(stderr);
				return KSFT_FAIL;
			}
		} else if (!strcmp(argv[i], "--loops") && i + 1 < argc) {
			loops = strtoul(argv[++i], NULL, 0);
			if (!loops) {
				usage(stderr);
				return KSFT_FAIL;
			}
		} else if (!strcmp(argv[i], "--vmiaas")) {
			use_vmiaas = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return KSFT_PASS;
		} else {
			usage(stderr);
			return KSFT_FAIL;
		}
	}

	if (img->loop && !use_vmiaas) {
		usage(stderr);
		return KSFT_FAIL;
	}
	if (use_vmiaas)
		plan += VMIAAS_NR_TESTS + img->loop;

	printf("TAP version 13\n");
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0 && errno == ENOENT) {
		printf("1..0 # SKIP /dev/kvm: %s\n", strerror(errno));
		return KSFT_SKIP;
	}
	printf("1..%u\n", plan);
	print_vmx_msrs();

	r = kvm_fd < 0 ? -1 : ioctl(kvm_fd, KVM_GET_API_VERSION, NULL);
	if (kvm_fd < 0)
		tap_diag("open /dev/kvm: %s", strerror(errno));
	else if (r != KVM_API_VERSION)
		tap_diag("Expected KVM API version %d, got %d", KVM_API_VERSION, r);
	tap_result(r == KVM_API_VERSION, "/dev/kvm opens");
	if (r != KVM_API_VERSION) {
		tap_skip_rest(plan, "no usable /dev/kvm");
		return KSFT_FAIL;
	}

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		tap_diag("KVM_CREATE_VM: %s", strerror(errno));
	tap_result(vm_fd >= 0, "VM created");
	if (vm_fd < 0) {
		tap_skip_rest(plan, "no VM");
		return KSFT_FAIL;
	}

	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		tap_bail("mmap guest memory: %s", strerror(errno));
	memcpy(mem + GUEST_LOAD, img->start, img->end - img->start);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		tap_bail("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0)
		tap_bail("KVM_CREATE_VCPU: %s", strerror(errno));
	if (kvm_cpuid_set_supported(kvm_fd, vcpu_fd))
		tap_bail("KVM_SET_CPUID2: %s", strerror(errno));
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (run_size < (int)sizeof(*run))
		tap_bail("KVM_GET_VCPU_MMAP_SIZE: %d (%s)", run_size,
			 strerror(errno));
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu_fd, 0);
	if (run == MAP_FAILED)
		tap_bail("mmap kvm_run: %s", strerror(errno));

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %s", strerror(errno));
	memset(&regs, 0, sizeof(regs));
	if (img != &guest_real)
		guest_setup_long(mem, &sregs, &regs);
	else
		guest_setup_real(mem, &sregs, &regs);
	if (img->entry)
		regs.rip = guest_addr(img, img->entry);
	regs.rbx = loops;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %s", strerror(errno));

	r = exit_stats_init(&st, kvm_fd, vm_fd, vcpu_fd);
	if (r)
		tap_diag("vCPU stats fd unavailable: %s", strerror(-r));
	if (!st.debugfs[0])
		tap_diag("debugfs kvm/%d-%d/exits unavailable", (int)getpid(),
			 vm_fd);
	if (use_vmiaas) {
		vmiaas_fd = vmiaas_setup(kvm_fd, vm_fd, vcpu_fd);
		if (vmiaas_fd < 0) {
			tap_skip_rest(plan, "no /dev/vmiaas");
			return KSFT_FAIL;
		}
	}

	before = exit_stats_read(&st);
	before_dbg = exit_stats_read_debugfs(&st);

	r = guest_run(vcpu_fd, run, &st, &log);

	after = exit_stats_read(&st);
	after_dbg = exit_stats_read_debugfs(&st);
	tap_diag("exits: stats fd %" PRId64 " -> %" PRId64 ", debugfs %s %" PRId64 " -> %" PRId64,
		 before, after, st.debugfs[0] ? st.debugfs : "(none)",
		 before_dbg, after_dbg);

	tap_result(log.stage_seen[1], "L2 runs to its first exit%s", img->name);
	if (!log.stage_seen[1]) {
		tap_skip_rest(plan, "the L2 did not run");
		return KSFT_FAIL;
	}
	if (img->loop) {
		check_loop(&log, loops, guest_addr(img, img->vmfunc0));
	} else {
		check_vmfunc(&log, 1, 0, guest_addr(img, img->vmfunc0),
			     expect_ud, img->name);
		check_vmfunc(&log, 2, 1, guest_addr(img, img->vmfunc1),
			     expect_ud, img->name);
	}
	if (r == 0 && !log.halted)
		tap_diag("the guest did not reach its HLT");
	if (vmiaas_fd >= 0 && img->loop)
		vmiaas_check_mailbox(vmiaas_fd, loops);
	if (vmiaas_fd >= 0)
		vmiaas_teardown(vmiaas_fd);

	if (st.stats_fd >= 0)
		close(st.stats_fd);
	close(vcpu_fd);
	close(vm_fd);
	close(kvm_fd);
	return tap_failed ? KSFT_FAIL : KSFT_PASS;
}
