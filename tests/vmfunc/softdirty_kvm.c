// SPDX-License-Identifier: GPL-2.0
/*
 * softdirty_kvm: does a guest's write through KVM set the soft-dirty bit
 * of the VMM's page, after /proc/self/clear_refs "4"? The soft-dirty skip
 * of checks (userspace/lib/dirty.c) rests on it.
 *
 * A minimal VMM: 64 KiB of guest RAM in a memfd mapped shared (as QEMU's
 * RAM file), one vCPU in real mode running at 0x1000:
 *   mov byte [0x3000], IMM ; mov al, [0x5000] ; hlt
 * Run 1 maps everything in KVM (the write leaves a writable SPTE). Then
 * clear_refs: every page must read clean. Run 2 writes page 3 again,
 * through an SPTE that must have been zapped (KVM's MMU notifier), so the
 * write faults in the host and sets the bit: page 3 dirty, the read page
 * 5, the code page 1 and the untouched page 7 clean. Prints TAP; skips
 * the soft-dirty half on a kernel without soft-dirty.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_PAGES	16
#define CODE		0x1000
#define WRITTEN		3
#define READ		5
#define UNTOUCHED	7
#define IMM_OFF		4	/* the immediate in the code below */
#define PME_PRESENT	(1ULL << 63)
#define PME_SD		(1ULL << 55)

static const uint8_t code[] = {
	0xc6, 0x06, 0x00, 0x30, 0x5a,	/* mov byte [0x3000], 0x5a */
	0xa0, 0x00, 0x50,		/* mov al, [0x5000] */
	0xf4,				/* hlt */
};

static int nr_test;

static void tap(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++nr_test, what);
}

static uint64_t pme(const uint8_t *ram, int page)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, sizeof(e),
			    ((uintptr_t)ram / 4096 + page) * sizeof(e)) != sizeof(e))
		e = 0;
	if (fd >= 0)
		close(fd);
	return e;
}

static int clean(const uint8_t *ram, int page)
{
	uint64_t e = pme(ram, page);

	return (e & PME_PRESENT) && !(e & PME_SD);
}

/* Runs the vCPU from CODE to its HLT. 0 or -1. */
static int run(int vcpu, struct kvm_run *kr)
{
	struct kvm_regs regs = { .rip = CODE, .rflags = 2 };
	struct kvm_sregs sregs;

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vcpu, KVM_SET_REGS, &regs) < 0 || ioctl(vcpu, KVM_RUN, 0) < 0)
		return -1;
	if (kr->exit_reason != KVM_EXIT_HLT) {
		printf("# exit reason %u\n", kr->exit_reason);
		return -1;
	}
	return 0;
}

static int vm_setup(uint8_t *ram, int *ret_vcpu, struct kvm_run **ret_kr)
{
	struct kvm_userspace_memory_region mr = {
		.memory_size = RAM_PAGES * 4096,
		.userspace_addr = (uintptr_t)ram,
	};
	int kvm, vm, vcpu, sz;
	void *kr;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		return -1;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || sz <= 0)
		return -1;
	kr = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (kr == MAP_FAILED)
		return -1;
	*ret_vcpu = vcpu;
	*ret_kr = kr;
	return 0;
}

static int clear_refs(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY), ok;

	ok = fd >= 0 && write(fd, "4", 1) == 1;
	if (fd >= 0)
		close(fd);
	return ok;
}

int main(void)
{
	struct kvm_run *kr;
	uint8_t *ram;
	int fd, vcpu, sd, i;

	printf("TAP version 13\n1..6\n");
	fd = memfd_create("softdirty-ram", 0);
	ram = fd < 0 || ftruncate(fd, RAM_PAGES * 4096) ? MAP_FAILED :
	      mmap(NULL, RAM_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (ram == MAP_FAILED) {
		printf("Bail out! guest RAM: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < RAM_PAGES; i++)
		ram[i * 4096 + 8] = (uint8_t)i;	/* every page present */
	memcpy(ram + CODE, code, sizeof(code));
	sd = !!(pme(ram, UNTOUCHED) & PME_SD);	/* a new mapping is */
	if (vm_setup(ram, &vcpu, &kr)) {
		printf("not ok 1 - KVM VM with memfd RAM, one vCPU: %s\n",
		       strerror(errno));
		return 1;
	}
	tap(1, "KVM VM with memfd RAM, one vCPU");
	tap(!run(vcpu, kr) && ram[WRITTEN * 4096] == 0x5a,
	    "run 1: the guest wrote page 3 (0x5a)");
	ram[CODE + IMM_OFF] = 0xa5;	/* run 2 writes another value */
	if (!sd || !clear_refs()) {
		printf("# no soft-dirty on this kernel (%s)\n",
		       sd ? "clear_refs failed" : "a new mapping is not soft-dirty");
		for (i = 0; i < 4; i++)
			printf("ok %d # SKIP no soft-dirty bits here\n", ++nr_test);
		return 0;
	}
	tap(clean(ram, WRITTEN) && clean(ram, READ) && clean(ram, UNTOUCHED) &&
	    clean(ram, CODE / 4096), "after clear_refs: pages 1, 3, 5, 7 clean");
	tap(!run(vcpu, kr) && ram[WRITTEN * 4096] == 0xa5,
	    "run 2: the guest wrote page 3 again (0xa5)");
	printf("# pagemap: page 3 %#llx, 5 %#llx, 7 %#llx, 1 %#llx\n",
	       (unsigned long long)pme(ram, WRITTEN),
	       (unsigned long long)pme(ram, READ),
	       (unsigned long long)pme(ram, UNTOUCHED),
	       (unsigned long long)pme(ram, CODE / 4096));
	tap(!clean(ram, WRITTEN) && (pme(ram, WRITTEN) & PME_SD),
	    "the guest's write through KVM made page 3 soft-dirty in the VMM");
	tap(clean(ram, READ) && clean(ram, UNTOUCHED) && clean(ram, CODE / 4096),
	    "pages the guest only read or executed (5, 1) or left alone (7) stay clean");
	return 0;
}
