// SPDX-License-Identifier: GPL-2.0
/*
 * l2vmm: a minimal VMM on the KVM API that boots a Linux bzImage, for the
 * Bochs L1 (scripts/bochs-l1): the "real guest" end of the VMFUNC chain
 * (tests/integration/48-vmfunc-linux-l2.sh).
 *
 * One vCPU, one memslot at GPA 0 (--mem MiB, far below the 512 GiB where
 * vmiaas maps its mailbox), KVM's in-kernel PIC/IOAPIC/LAPIC
 * (KVM_CREATE_IRQCHIP) and PIT (KVM_CREATE_PIT2), the CPUID KVM supports,
 * a 16450 UART at 0x3f8 (IRQ 4) whose output goes to stdout, and a
 * read-only CMOS clock (so the kernel's RTC code does not poll). No BIOS,
 * no ACPI, no PCI: the kernel is entered with the 32-bit boot protocol of
 * Documentation/x86/boot.rst (setup header copied into a zeroed
 * boot_params, an E820 map, command line, initrd; flat 32-bit segments
 * __BOOT_CS/__BOOT_DS, %esi = boot_params, at code32_start). That works
 * with Debian's bzImage as it is, and with the L1 rig's "fast" image whose
 * decompressor is replaced by tests/vmfunc/boot64.S (xz in Bochs costs a
 * minute).
 *
 * The guest ends the run with a reset: "reboot -f" with reboot=t (triple
 * fault: KVM_EXIT_SHUTDOWN) or the keyboard controller's reset (0xfe to
 * port 0x64). --timeout S bounds the run (status 124); --progress S
 * prints the guest's RIP and exit counts every S seconds, and so does a
 * SIGUSR1. Each SIGUSR2 counts one up in the UART's scratch register
 * (port 0x3ff, 0 until the first): a host-to-guest signal that a guest
 * script reads from /dev/port, for a test that waits for its host side.
 *
 * Lines the guest prints that start with "@@" are annotated with the
 * vCPU's KVM statistics at that moment (binary stats fd): exits, io_exits,
 * mmio_exits, hypercalls, so that a guest script can frame an action and
 * the test can read what it cost in VM exits:
 *   @@L2-MARK before [exits=1234 io_exits=900 mmio_exits=3 hypercalls=0]
 *
 * --vmiaas: before the first KVM_RUN, open /dev/vmiaas, attach this VM
 * (VMIAAS_IOC_ATTACH_VM with the VM fd) and arm view 1 on its vCPU
 * (VMIAAS_IOC_ENABLE_VIEW), so that the guest's VMFUNC(0,1) reaches the
 * mailbox; see l2vmm_vmiaas.c for what else is done with vmiaas.
 *
 * Exit status: 0 the guest reset itself, 1 error, 124 timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "l2vmm.h"

#define MIB			(1024UL * 1024)
#define MAX_MEM_MIB		2048	/* below the 32-bit PCI hole */

/* Guest-physical layout (below 1 MiB, the kernel starts at 1 MiB). */
#define GDT_GPA			0x1000
#define BOOT_PARAMS_GPA		0x10000
#define CMDLINE_GPA		0x20000
#define CMDLINE_MAX		4096
#define KERNEL_GPA		0x100000
#define EBDA_START		0x9fc00
#define BIOS_START		0xf0000

/* struct boot_params and its setup header (Documentation/x86/boot.rst). */
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128
#define HDR_SETUP_SECTS		0x1f1
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_CODE32_START	0x214
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_CMDLINE_SIZE	0x238
#define LOADED_HIGH		0x01
#define E820_RAM		1
#define E820_RESERVED		2

#define BOOT_CS			0x10
#define BOOT_DS			0x18

/* 16450 UART registers (offsets from 0x3f8) and bits. */
#define COM1			0x3f8
#define COM1_IRQ		4
#define UART_RX_TX		0
#define UART_IER		1
#define UART_IIR		2
#define UART_LCR		3
#define UART_MCR		4
#define UART_LSR		5
#define UART_MSR		6
#define UART_SCR		7
#define UART_LCR_DLAB		0x80
#define UART_IER_THRI		0x02
#define UART_IIR_NO_INT		0x01
#define UART_IIR_THRI		0x02
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_MCR_LOOP		0x10

struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool thri_pending;	/* THR empty interrupt not yet acknowledged */
	bool irq_level;
	char line[512];		/* the current output line */
	size_t len;
};

/* The MC146818 RTC's registers that Linux reads (CMOS index at 0x70). */
#define RTC_INDEX		0x70
#define RTC_DATA		0x71

struct vmm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	uint8_t *mem;
	uint64_t mem_size;
	struct uart uart;
	uint8_t rtc_index;
	struct l2vmm_stats stats;
	struct l2vmm_vmiaas *vmiaas;
	bool reset;
	unsigned long unknown_ports, mailbox_mmio;
	unsigned long elapsed, timeout, progress;	/* seconds */
};

static volatile sig_atomic_t timed_out, tick, report;
static volatile sig_atomic_t host_signals;	/* SIGUSR2s: the scratch register */

static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("l2vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Reads a whole file; dies with the reason if it cannot. */
static uint8_t *read_file(const char *path, size_t *ret_size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	if (st.st_size <= 0 || (uint64_t)st.st_size > 1024 * MIB)
		die("%s: size %lld out of range", path, (long long)st.st_size);
	buf = malloc(st.st_size);
	if (!buf)
		die("%s: out of memory", path);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0)
			die("%s: read: %s", path, n ? strerror(errno) : "short");
		done += n;
	}
	close(fd);
	*ret_size = done;
	return buf;
}

/* ---- loading the kernel (Documentation/x86/boot.rst) ---- */

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = bp[BP_E820_ENTRIES];
	uint8_t *e = bp + BP_E820_TABLE + 20 * n;

	if (n >= BP_E820_MAX)
		die("too many E820 entries");
	memcpy(e, &addr, 8);
	memcpy(e + 8, &size, 8);
	put32(e + 16, type);
	bp[BP_E820_ENTRIES] = n + 1;
}

/*
 * Loads the bzImage's protected-mode part at 1 MiB and fills boot_params;
 * returns the 32-bit entry point (code32_start).
 */
static uint32_t load_kernel(struct vmm *v, const char *kernel,
			    const char *initrd, const char *cmdline)
{
	uint8_t *img, *bp = v->mem + BOOT_PARAMS_GPA, *rd;
	size_t img_size, rd_size = 0, setup_size, pm_size, hdr_end;
	uint32_t setup_sects, max_addr, cmdline_max = 255;
	uint64_t rd_gpa;
	uint16_t version;

	img = read_file(kernel, &img_size);
	if (img_size < 0x1000 || get16(img + HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(img + HDR_MAGIC, "HdrS", 4))
		die("%s: not a bzImage (no boot flag or HdrS header)", kernel);
	version = get16(img + HDR_VERSION);
	if (version < 0x0206)
		die("%s: boot protocol %#x, want 2.06 or later", kernel, version);
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		die("%s: not loaded high (a zImage?)", kernel);
	setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	setup_size = (setup_sects + 1) * 512;
	hdr_end = HDR_JUMP + 2 + img[HDR_JUMP + 1];	/* jump's target */
	if (setup_size >= img_size || hdr_end > setup_size || hdr_end > 0x1000)
		die("%s: setup size %zu, header end %#zx, file %zu: malformed",
		    kernel, setup_size, hdr_end, img_size);
	pm_size = img_size - setup_size;
	if (KERNEL_GPA + pm_size > v->mem_size / 2)
		die("%s: %zu bytes of kernel do not fit in %" PRIu64 " MiB",
		    kernel, pm_size, v->mem_size / MIB);
	memcpy(v->mem + KERNEL_GPA, img + setup_size, pm_size);

	memset(bp, 0, 4096);
	memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
	bp[HDR_TYPE_OF_LOADER] = 0xff;			/* undefined loader */
	bp[HDR_LOADFLAGS] &= ~0x20;			/* not QUIET_FLAG */
	cmdline_max = get32(img + HDR_CMDLINE_SIZE);
	if (cmdline_max == 0 || cmdline_max >= CMDLINE_MAX)
		cmdline_max = CMDLINE_MAX - 1;
	if (strlen(cmdline) > cmdline_max)
		die("command line longer than the kernel's %u bytes", cmdline_max);
	strcpy((char *)v->mem + CMDLINE_GPA, cmdline);
	put32(bp + HDR_CMD_LINE_PTR, CMDLINE_GPA);

	if (initrd) {
		rd = read_file(initrd, &rd_size);
		max_addr = get32(img + HDR_INITRD_ADDR_MAX);
		rd_gpa = v->mem_size < (uint64_t)max_addr + 1 ?
			 v->mem_size : (uint64_t)max_addr + 1;
		rd_gpa = (rd_gpa - rd_size) & ~0xfffULL;
		if (rd_size > v->mem_size / 2 || rd_gpa < v->mem_size / 2)
			die("%s: %zu bytes do not fit in the upper half of RAM",
			    initrd, rd_size);
		memcpy(v->mem + rd_gpa, rd, rd_size);
		put32(bp + HDR_RAMDISK_IMAGE, rd_gpa);
		put32(bp + HDR_RAMDISK_SIZE, rd_size);
		free(rd);
	}

	e820_add(bp, 0, EBDA_START, E820_RAM);
	e820_add(bp, EBDA_START, 0xa0000 - EBDA_START, E820_RESERVED);
	e820_add(bp, BIOS_START, 0x100000 - BIOS_START, E820_RESERVED);
	e820_add(bp, 0x100000, v->mem_size - 0x100000, E820_RAM);
	free(img);
	return get32(bp + HDR_CODE32_START);
}

/* Flat 32-bit protected mode, paging off, as the boot protocol wants. */
static void set_boot_regs(struct vmm *v, uint32_t entry)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = BOOT_CS,
		.type = 11, .present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1,
	};
	struct kvm_segment data = code;
	uint64_t *gdt = (uint64_t *)(v->mem + GDT_GPA);
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	gdt[BOOT_CS / 8] = 0x00cf9b000000ffffULL;
	gdt[BOOT_DS / 8] = 0x00cf93000000ffffULL;
	if (ioctl(v->vcpu_fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS: %s", strerror(errno));
	data.selector = BOOT_DS;
	data.type = 3;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = data;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x11;		/* PE, ET */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(v->vcpu_fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS: %s", strerror(errno));
	regs.rip = entry;
	regs.rsi = BOOT_PARAMS_GPA;
	regs.rflags = 0x2;
	if (ioctl(v->vcpu_fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS: %s", strerror(errno));
}

/* ---- the machine ---- */

/*
 * The CPUID KVM supports, plus what it leaves to the VMM: the hypervisor
 * bit (without it Linux ignores KVM's leaves, so no kvm-clock) and the
 * TSC-deadline timer KVM emulates.
 */
static void set_cpuid(struct vmm *v)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 64;
	uint32_t i;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			die("out of memory");
		cpuid->nent = nent;
		if (!ioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			break;
		if (errno != E2BIG || nent >= 1024)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(cpuid);
		nent *= 2;
	}
	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function != 1)
			continue;
		/* KVM leaves both to the VMM: the guest then uses kvm-clock */
		e->ecx |= 1u << 31;				/* hypervisor */
		if (ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
			e->ecx |= 1u << 24;			/* TSC deadline */
	}
	if (ioctl(v->vcpu_fd, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2: %s", strerror(errno));
	free(cpuid);
}

/*
 * Guest RAM at a 2 MiB-aligned address, in transparent huge pages: KVM maps
 * a 2 MiB guest range with one EPT entry only when the guest-physical and
 * the host-virtual address agree modulo 2 MiB. The L2's first touches of
 * its memory then cost some 64 EPT violations instead of some 30,000 (each
 * an exit that Bochs emulates at great cost).
 */
static uint8_t *alloc_guest_ram(uint64_t size)
{
	const uint64_t align = 2 * MIB;
	uint8_t *raw, *mem;
	uint64_t head;

	raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap %" PRIu64 " MiB: %s", size / MIB, strerror(errno));
	head = (align - (uintptr_t)raw % align) % align;
	mem = raw + head;
	if (head)
		munmap(raw, head);
	munmap(mem + size, align - head);
	/* only a hint: without huge pages KVM maps 4 KiB pages */
	madvise(mem, size, MADV_HUGEPAGE);
	return mem;
}

static void create_vm(struct vmm *v)
{
	struct kvm_pit_config pit = { .flags = 0 };
	struct kvm_userspace_memory_region region;
	int run_size;

	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0)
		die("/dev/kvm: %s", strerror(errno));
	if (ioctl(v->kvm_fd, KVM_GET_API_VERSION, NULL) != KVM_API_VERSION)
		die("/dev/kvm: unexpected API version");
	v->vm_fd = ioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(v->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL))
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(v->vm_fd, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(v->vm_fd, KVM_CREATE_PIT2, &pit))
		die("KVM_CREATE_PIT2: %s", strerror(errno));

	v->mem = alloc_guest_ram(v->mem_size);
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = v->mem_size,
		.userspace_addr = (uintptr_t)v->mem,
	};
	if (ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	v->vcpu_fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, 0);
	if (v->vcpu_fd < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	run_size = ioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (run_size < (int)sizeof(*v->run))
		die("KVM_GET_VCPU_MMAP_SIZE: %d", run_size);
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu_fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	set_cpuid(v);
	l2vmm_stats_open(&v->stats, v->kvm_fd, v->vcpu_fd);
}

/* ---- the UART ---- */

static void uart_update_irq(struct vmm *v)
{
	struct uart *u = &v->uart;
	struct kvm_irq_level irq = { .irq = COM1_IRQ };
	bool level = (u->ier & UART_IER_THRI) && u->thri_pending;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq.level = level;
	if (ioctl(v->vm_fd, KVM_IRQ_LINE, &irq))
		die("KVM_IRQ_LINE: %s", strerror(errno));
}

/* One character from the guest; "@@" lines get the vCPU's statistics. */
static void uart_putc(struct vmm *v, char c)
{
	struct uart *u = &v->uart;

	if (c == '\r')
		return;
	if (c != '\n' && u->len < sizeof(u->line) - 1) {
		u->line[u->len++] = c;
		return;
	}
	u->line[u->len] = '\0';
	if (!strncmp(u->line, "@@", 2)) {
		char buf[256];

		l2vmm_stats_format(&v->stats, buf, sizeof(buf));
		printf("%s [%s]\n", u->line, buf);
		if (v->vmiaas)
			l2vmm_vmiaas_guest_line(v->vmiaas, u->line);
	} else {
		printf("%s\n", u->line);
	}
	fflush(stdout);
	u->len = 0;
	if (c != '\n')
		uart_putc(v, c);
}

static void uart_out(struct vmm *v, unsigned int reg, uint8_t val)
{
	struct uart *u = &v->uart;

	switch (reg) {
	case UART_RX_TX:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = val;
		} else {
			if (!(u->mcr & UART_MCR_LOOP))
				uart_putc(v, (char)val);
			/* sent at once: the THR is empty again */
			u->thri_pending = true;
		}
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = val;
			break;
		}
		if (!(u->ier & UART_IER_THRI) && (val & UART_IER_THRI))
			u->thri_pending = true;
		u->ier = val & 0x0f;
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:	/* FCR: no FIFO, a 16450 */
		break;
	}
	uart_update_irq(v);
}

static uint8_t uart_in(struct vmm *v, unsigned int reg)
{
	struct uart *u = &v->uart;
	uint8_t val = 0;

	switch (reg) {
	case UART_RX_TX:
		val = (u->lcr & UART_LCR_DLAB) ? u->dll : 0;
		break;
	case UART_IER:
		val = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		if ((u->ier & UART_IER_THRI) && u->thri_pending) {
			val = UART_IIR_THRI;
			u->thri_pending = false;	/* read IIR: acknowledged */
		} else {
			val = UART_IIR_NO_INT;
		}
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		val = UART_LSR_THRE | UART_LSR_TEMT;
		break;
	case UART_MSR:
		if (u->mcr & UART_MCR_LOOP)	/* DTR, RTS, OUT1, OUT2 loop back */
			val = (u->mcr & 1) << 5 | (u->mcr & 2) << 3 |
			      (u->mcr & 4) << 4 | (u->mcr & 8) << 4;
		else
			val = 0xb0;		/* DCD, DSR, CTS */
		break;
	case UART_SCR:
		val = host_signals ? (uint8_t)host_signals : u->scr;
		break;
	}
	uart_update_irq(v);
	return val;
}

/* ---- the RTC ---- */

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/*
 * A read-only MC146818: the host's UTC time in BCD, 24-hour mode, never
 * "update in progress". Without it every register reads 0xff, UIP stays
 * set, and the kernel's RTC code polls it with udelay() for a second per
 * read: some 20,000 port exits each time, minutes under Bochs.
 */
static uint8_t rtc_read(uint8_t index)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (index & 0x7f) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x0a: return 0x26;		/* 32.768 kHz, 1024 Hz, UIP clear */
	case 0x0b: return 0x02;		/* 24-hour, BCD, no interrupts */
	case 0x0d: return 0x80;		/* valid RAM and time */
	case 0x32: return bcd(19 + tm.tm_year / 100);	/* century */
	default: return 0;
	}
}

/* ---- the run loop ---- */

static void handle_io(struct vmm *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	uint32_t i;

	for (i = 0; i < r->io.count; i++, data += r->io.size) {
		uint16_t port = r->io.port;

		if (port >= COM1 && port < COM1 + 8 && r->io.size == 1) {
			if (r->io.direction == KVM_EXIT_IO_OUT)
				uart_out(v, port - COM1, data[0]);
			else
				data[0] = uart_in(v, port - COM1);
		} else if (port == RTC_INDEX && r->io.size == 1 &&
			   r->io.direction == KVM_EXIT_IO_OUT) {
			v->rtc_index = data[0];
		} else if (port == RTC_DATA && r->io.size == 1) {
			if (r->io.direction == KVM_EXIT_IO_IN)
				data[0] = rtc_read(v->rtc_index);
		} else if (port == 0x64 && r->io.direction == KVM_EXIT_IO_OUT &&
			   data[0] == 0xfe) {
			v->reset = true;	/* keyboard controller reset */
		} else if (r->io.direction == KVM_EXIT_IO_IN) {
			memset(data, 0xff, r->io.size);	/* nothing there */
			v->unknown_ports++;
		} else if (port != 0x80) {
			v->unknown_ports++;
		}
	}
}

static void handle_mmio(struct vmm *v)
{
	struct kvm_run *r = v->run;

	/* The mailbox GPA has memory in vmiaas's view 1 only. */
	if (r->mmio.phys_addr >= L2VMM_MAILBOX_GPA &&
	    r->mmio.phys_addr < L2VMM_MAILBOX_GPA + 4096) {
		if (!v->mailbox_mmio++)
			printf("l2vmm: the guest touched the mailbox GPA 0x%llx in view 0\n",
			       (unsigned long long)r->mmio.phys_addr);
	}
	if (!r->mmio.is_write)
		memset(r->mmio.data, 0xff, sizeof(r->mmio.data));
}

static void on_alarm(int sig)
{
	tick = 1;
}

static void on_usr1(int sig)
{
	report = 1;
}

static void on_usr2(int sig)
{
	host_signals++;
}

/* --progress S: where the guest is, every S seconds (for diagnosis). */
static void print_progress(struct vmm *v, unsigned long elapsed)
{
	struct kvm_regs regs;
	char buf[256];

	l2vmm_stats_format(&v->stats, buf, sizeof(buf));
	if (ioctl(v->vcpu_fd, KVM_GET_REGS, &regs))
		memset(&regs, 0, sizeof(regs));
	printf("l2vmm: %lu s: rip 0x%llx; %s; last port 0x%x\n", elapsed,
	       (unsigned long long)regs.rip, buf, v->run->io.port);
	fflush(stdout);
}

/* Once a second (SIGALRM): progress reports and the timeout. */
static bool check_time(struct vmm *v)
{
	if (report) {
		report = 0;
		print_progress(v, v->elapsed);
	}
	if (!tick)
		return false;
	tick = 0;
	v->elapsed++;
	if (v->progress && v->elapsed % v->progress == 0)
		print_progress(v, v->elapsed);
	if (v->timeout && v->elapsed >= v->timeout) {
		print_progress(v, v->elapsed);
		timed_out = 1;
	}
	return timed_out;
}

static int run_guest(struct vmm *v)
{
	struct kvm_run *r = v->run;

	while (!v->reset) {
		if (ioctl(v->vcpu_fd, KVM_RUN, NULL) < 0) {
			if (errno != EINTR && errno != EAGAIN)
				die("KVM_RUN: %s", strerror(errno));
			if (check_time(v))
				return 124;
			continue;
		}
		switch (r->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v);
			break;
		case KVM_EXIT_SHUTDOWN:
			v->reset = true;	/* triple fault: reboot=t */
			break;
		case KVM_EXIT_HLT:
			printf("l2vmm: the guest halted\n");
			return 0;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_FAIL_ENTRY:
			die("KVM_EXIT_FAIL_ENTRY: reason 0x%llx",
			    (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		case KVM_EXIT_INTERNAL_ERROR:
			die("KVM_EXIT_INTERNAL_ERROR: suberror %u", r->internal.suberror);
		default:
			die("unexpected exit reason %u", r->exit_reason);
		}
		if (check_time(v))
			return 124;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: l2vmm --kernel BZIMAGE [--initrd FILE] [--cmdline STR] [--mem MIB]\n"
		   "             [--timeout S] [--progress S] [--vmiaas\n"
		   "             [--check GPA:LEN,...] [--check-ptr GPA,...]]\n");
}

int main(int argc, char **argv)
{
	const char *kernel = NULL, *initrd = NULL, *cmdline = "console=ttyS0";
	const char *check_ranges = NULL, *check_ptrs = NULL;
	struct vmm v = { .mem_size = 128 * MIB, .timeout = 600 };
	unsigned long mib;
	struct itimerval second = { { 1, 0 }, { 1, 0 } };
	struct timespec t0, t1;
	bool use_vmiaas = false;
	char buf[256];
	uint32_t entry;
	int i, st;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--vmiaas")) {
			use_vmiaas = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!val) {
			usage(stderr);
			return 1;
		}
		i++;
		if (!strcmp(a, "--kernel")) {
			kernel = val;
		} else if (!strcmp(a, "--initrd")) {
			initrd = val;
		} else if (!strcmp(a, "--cmdline")) {
			cmdline = val;
		} else if (!strcmp(a, "--check")) {
			check_ranges = val;
		} else if (!strcmp(a, "--check-ptr")) {
			check_ptrs = val;
		} else if (!strcmp(a, "--mem")) {
			mib = strtoul(val, NULL, 0);
			if (mib < 32 || mib > MAX_MEM_MIB)
				die("--mem %s: 32 to %d MiB", val, MAX_MEM_MIB);
			v.mem_size = mib * MIB;
		} else if (!strcmp(a, "--timeout")) {
			v.timeout = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--progress")) {
			v.progress = strtoul(val, NULL, 0);
		} else {
			usage(stderr);
			return 1;
		}
	}
	if (!kernel) {
		usage(stderr);
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	create_vm(&v);
	entry = load_kernel(&v, kernel, initrd, cmdline);
	set_boot_regs(&v, entry);
	if (use_vmiaas) {
		v.vmiaas = l2vmm_vmiaas_setup(v.kvm_fd, v.vm_fd, v.vcpu_fd,
					      v.mem, v.mem_size);
		l2vmm_vmiaas_add_checks(v.vmiaas, check_ranges, check_ptrs);
	}

	signal(SIGALRM, on_alarm);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	if (setitimer(ITIMER_REAL, &second, NULL))
		die("setitimer: %s", strerror(errno));
	printf("l2vmm: %" PRIu64 " MiB, entry 0x%x, command line \"%s\"\n",
	       v.mem_size / MIB, entry, cmdline);
	fflush(stdout);
	st = run_guest(&v);
	second = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &second, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	l2vmm_stats_format(&v.stats, buf, sizeof(buf));
	printf("l2vmm: %s after %.1f s; %s; unhandled port accesses %lu; mailbox accesses in view 0 %lu\n",
	       st == 124 ? "timeout" : "the guest reset itself",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       buf, v.unknown_ports, v.mailbox_mmio);
	if (v.vmiaas)
		l2vmm_vmiaas_teardown(v.vmiaas);
	fflush(stdout);
	return st;
}
