// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vm: what a VMM (QEMU, Firecracker) in the guest makes KVM do: a VM
 * with one page of memory holding "hlt", one vCPU in real mode at it, run
 * until it halts. Then it keeps the VM, its vCPU and their anonymous-inode
 * files open until killed. Prints "halted" after a run that ended in
 * KVM_EXIT_HLT, or what happened instead. Built static on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#define GUEST_PAGE	0x1000

int main(void)
{
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = GUEST_PAGE, .memory_size = 0x1000,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_PAGE, .rflags = 2 };
	struct kvm_run *run;
	unsigned char *mem;
	int kvm, vm, vcpu, size;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm-vm: create VM: %s\n", strerror(errno));
		return 1;
	}
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	mem[0] = 0xf4;				/* hlt */
	region.userspace_addr = (unsigned long)mem;
	vcpu = -1;
	if (!ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || size <= 0 || ioctl(vcpu, KVM_GET_SREGS, &sregs)) {
		fprintf(stderr, "kvm-vm: vCPU: %s\n", strerror(errno));
		return 1;
	}
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return 1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) ||
	    ioctl(vcpu, KVM_SET_REGS, &regs)) {
		fprintf(stderr, "kvm-vm: registers: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(vcpu, KVM_RUN, 0))
		printf("KVM_RUN: %s\n", strerror(errno));
	else if (run->exit_reason == KVM_EXIT_HLT)
		printf("halted\n");
	else
		printf("exit reason %u\n", run->exit_reason);
	fflush(stdout);
	pause();
	return 0;
}
