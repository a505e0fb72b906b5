// SPDX-License-Identifier: GPL-2.0
/*
 * QMP client and HMP text parsers: real QEMU 7.2 output captured from
 * Debian guests (info registers, info mtree -f, info ramblock), and a fake
 * QMP server on a unix socket for the protocol (greeting, capabilities,
 * interleaved events, errors, a server that never answers).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/lib/tap.h"
#include "userspace/lib/backend.h"

/* Captured from QEMU 7.2 (Debian 1:7.2+dfsg-7+deb12u18), Debian 6.1 guest. */
static const char regs_6_1[] =
	"\r\n"
	"CPU#0\r\n"
	"RAX=000000000001ad40 RBX=0000000000000000 RCX=0000000000000020 RDX=4000000000000000\r\n"
	"RSI=0000000000000083 RDI=0000000000000594 RBP=ffffffffbba1aa40 RSP=ffffffffbba03e98\r\n"
	"R8 =ffff8acadf423000 R9 =00000000313b3179 R10=00000000fffffffb R11=0000000000000000\r\n"
	"R12=0000000000000000 R13=0000000000000000 R14=0000000000000000 R15=0000000000014790\r\n"
	"RIP=ffffffffbaa592eb RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\r\n"
	"ES =0000 0000000000000000 00000000 00000000\r\n"
	"CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]\r\n"
	"SS =0018 0000000000000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\r\n"
	"DS =0000 0000000000000000 00000000 00000000\r\n"
	"FS =0000 0000000000000000 00000000 00000000\r\n"
	"GS =0000 ffff8acadf400000 00000000 00000000\r\n"
	"LDT=0000 0000000000000000 00000000 00008200 DPL=0 LDT\r\n"
	"TR =0040 fffffe0000003000 00004087 00008900 DPL=0 TSS64-avl\r\n"
	"GDT=     fffffe0000001000 0000007f\r\n"
	"IDT=     fffffe0000000000 00000fff\r\n"
	"CR0=80050033 CR2=00000000004f0215 CR3=000000001f1fc000 CR4=000006f0\r\n"
	"DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 \r\n"
	"DR6=00000000ffff0ff0 DR7=0000000000000400\r\n"
	"EFER=0000000000000d01\r\n"
	"FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80\r\n"
	"FPR0=0000000000000000 0000 FPR1=0000000000000000 0000\r\n"
	"FPR2=0000000000000000 0000 FPR3=0000000000000000 0000\r\n"
	"FPR4=0000000000000000 0000 FPR5=0000000000000000 0000\r\n"
	"FPR6=0000000000000000 0000 FPR7=0000000000000000 0000\r\n"
	"XMM00=00000000005e42a0 0000000000000000 XMM01=00000000005e22c0 000000000042ccc9\r\n"
	"XMM02=000000000042d670 000000000042edf1 XMM03=0000000000000000 0000000000000000\r\n"
	"XMM04=00000000005e42a0 0000000000000000 XMM05=00000000ffffffff 3063e85283e07b00\r\n"
	"XMM06=0000000000000400 000000000f942b70 XMM07=0000000000000000 000000000f941220\r\n"
	"XMM08=0000000000000000 0000000000000000 XMM09=0000000000000000 0000000000000000\r\n"
	"XMM10=0000000000000000 0000000000000000 XMM11=0000000000000000 0000000000000000\r\n"
	"XMM12=0000000000000000 0000000000000000 XMM13=0000000000000000 0000000000000000\r\n"
	"XMM14=0000000000000000 0000000000000000 XMM15=0000000000000000 0000000000000000\r\n"
;

static const char mtree_pc_4g[] =
	"FlatView #0\r\n"
	" AS \"cpu-smm-0\", root: memory\r\n"
	" Root memory region: memory\r\n"
	"  0000000000000000-00000000000bffff (prio 0, ram): pc.ram\r\n"
	"  00000000000c0000-00000000000cafff (prio 0, rom): pc.ram @00000000000c0000\r\n"
	"  00000000000cb000-00000000000cdfff (prio 0, ram): pc.ram @00000000000cb000\r\n"
	"  00000000000ce000-00000000000e7fff (prio 0, rom): pc.ram @00000000000ce000\r\n"
	"  00000000000e8000-00000000000effff (prio 0, ram): pc.ram @00000000000e8000\r\n"
	"  00000000000f0000-00000000000fffff (prio 0, rom): pc.ram @00000000000f0000\r\n"
	"  0000000000100000-00000000bfffffff (prio 0, ram): pc.ram @0000000000100000\r\n"
	"  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram\r\n"
	"  00000000febc0000-00000000febdffff (prio 1, i/o): e1000-mmio\r\n"
	"  00000000febf0000-00000000febf017f (prio 0, i/o): edid\r\n"
	"  00000000febf0180-00000000febf03ff (prio 1, i/o): vga.mmio @0000000000000180\r\n"
	"  00000000febf0400-00000000febf041f (prio 0, i/o): vga ioports remapped\r\n"
	"  00000000febf0420-00000000febf04ff (prio 1, i/o): vga.mmio @0000000000000420\r\n"
	"  00000000febf0500-00000000febf0515 (prio 0, i/o): bochs dispi interface\r\n"
	"  00000000febf0516-00000000febf05ff (prio 1, i/o): vga.mmio @0000000000000516\r\n"
	"  00000000febf0600-00000000febf0607 (prio 0, i/o): qemu extended regs\r\n"
	"  00000000febf0608-00000000febf0fff (prio 1, i/o): vga.mmio @0000000000000608\r\n"
	"  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
	"  00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\r\n"
	"  00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi\r\n"
	"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\r\n"
	"  0000000100000000-000000013fffffff (prio 0, ram): pc.ram @00000000c0000000\r\n"
	"\r\n"
	"FlatView #1\r\n"
	" AS \"memory\", root: system\r\n"
	" AS \"cpu-memory-0\", root: system\r\n"
	" Root memory region: system\r\n"
	"  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\r\n"
	"  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\r\n"
	"  00000000000c0000-00000000000cafff (prio 0, rom): pc.ram @00000000000c0000\r\n"
	"  00000000000cb000-00000000000cdfff (prio 0, ram): pc.ram @00000000000cb000\r\n"
	"  00000000000ce000-00000000000e7fff (prio 0, rom): pc.ram @00000000000ce000\r\n"
	"  00000000000e8000-00000000000effff (prio 0, ram): pc.ram @00000000000e8000\r\n"
	"  00000000000f0000-00000000000fffff (prio 0, rom): pc.ram @00000000000f0000\r\n"
	"  0000000000100000-00000000bfffffff (prio 0, ram): pc.ram @0000000000100000\r\n"
	"  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram\r\n"
	"  00000000febc0000-00000000febdffff (prio 1, i/o): e1000-mmio\r\n"
	"  00000000febf0000-00000000febf017f (prio 0, i/o): edid\r\n"
	"  00000000febf0180-00000000febf03ff (prio 1, i/o): vga.mmio @0000000000000180\r\n"
	"  00000000febf0400-00000000febf041f (prio 0, i/o): vga ioports remapped\r\n"
	"  00000000febf0420-00000000febf04ff (prio 1, i/o): vga.mmio @0000000000000420\r\n"
	"  00000000febf0500-00000000febf0515 (prio 0, i/o): bochs dispi interface\r\n"
	"  00000000febf0516-00000000febf05ff (prio 1, i/o): vga.mmio @0000000000000516\r\n"
	"  00000000febf0600-00000000febf0607 (prio 0, i/o): qemu extended regs\r\n"
	"  00000000febf0608-00000000febf0fff (prio 1, i/o): vga.mmio @0000000000000608\r\n"
	"  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
	"  00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\r\n"
	"  00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi\r\n"
	"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\r\n"
	"  0000000100000000-000000013fffffff (prio 0, ram): pc.ram @00000000c0000000\r\n"
	"\r\n"
;

static const char ramblock_pc_4g[] =
	"              Block Name    PSize              Offset               Used              Total\r\n"
	"                  pc.ram    4 KiB  0x0000000000000000 0x0000000100000000 0x0000000100000000\r\n"
	"   0000:00:02.0/vga.vram    4 KiB  0x0000000100080000 0x0000000001000000 0x0000000001000000\r\n"
	"    /rom@etc/acpi/tables    4 KiB  0x0000000101100000 0x0000000000020000 0x0000000000200000\r\n"
	"                 pc.bios    4 KiB  0x0000000100000000 0x0000000000040000 0x0000000000040000\r\n"
	"  0000:00:03.0/e1000.rom    4 KiB  0x00000001010c0000 0x0000000000040000 0x0000000000040000\r\n"
	"                  pc.rom    4 KiB  0x0000000100040000 0x0000000000020000 0x0000000000020000\r\n"
	"    0000:00:02.0/vga.rom    4 KiB  0x0000000101080000 0x0000000000010000 0x0000000000010000\r\n"
	"   /rom@etc/table-loader    4 KiB  0x0000000101300000 0x0000000000001000 0x0000000000010000\r\n"
	"      /rom@etc/acpi/rsdp    4 KiB  0x0000000101340000 0x0000000000001000 0x0000000000001000\r\n"
;

static const char mtree_q35_4g[] =
	"FlatView #0\r\n"
	" AS \"cpu-smm-0\", root: memory\r\n"
	" Root memory region: memory\r\n"
	"  0000000000000000-00000000000bffff (prio 0, ram): mem\r\n"
	"  00000000000c0000-00000000000cafff (prio 0, rom): mem @00000000000c0000\r\n"
	"  00000000000cb000-00000000000cdfff (prio 0, ram): mem @00000000000cb000\r\n"
	"  00000000000ce000-00000000000e7fff (prio 0, rom): mem @00000000000ce000\r\n"
	"  00000000000e8000-00000000000effff (prio 0, ram): mem @00000000000e8000\r\n"
	"  00000000000f0000-00000000000fffff (prio 0, rom): mem @00000000000f0000\r\n"
	"  0000000000100000-000000007fffffff (prio 0, ram): mem @0000000000100000\r\n"
	"  00000000b0000000-00000000bfffffff (prio 0, i/o): pcie-mmcfg-mmio\r\n"
	"  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram\r\n"
	"  00000000feb80000-00000000feb9ffff (prio 1, i/o): e1000e-mmio\r\n"
	"  00000000febd0000-00000000febd004f (prio 0, i/o): msix-table\r\n"
	"  00000000febd2000-00000000febd2007 (prio 0, i/o): msix-pba\r\n"
	"  00000000febd4000-00000000febd417f (prio 0, i/o): edid\r\n"
	"  00000000febd4180-00000000febd43ff (prio 1, i/o): vga.mmio @0000000000000180\r\n"
	"  00000000febd4400-00000000febd441f (prio 0, i/o): vga ioports remapped\r\n"
	"  00000000febd4420-00000000febd44ff (prio 1, i/o): vga.mmio @0000000000000420\r\n"
	"  00000000febd4500-00000000febd4515 (prio 0, i/o): bochs dispi interface\r\n"
	"  00000000febd4516-00000000febd45ff (prio 1, i/o): vga.mmio @0000000000000516\r\n"
	"  00000000febd4600-00000000febd4607 (prio 0, i/o): qemu extended regs\r\n"
	"  00000000febd4608-00000000febd4fff (prio 1, i/o): vga.mmio @0000000000000608\r\n"
	"  00000000febd5000-00000000febd5fff (prio 1, i/o): ahci\r\n"
	"  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
	"  00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\r\n"
	"  00000000fed1c000-00000000fed1ffff (prio 1, i/o): lpc-rcrb-mmio\r\n"
	"  00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi\r\n"
	"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\r\n"
	"  0000000100000000-000000017fffffff (prio 0, ram): mem @0000000080000000\r\n"
	"\r\n"
	"FlatView #1\r\n"
	" AS \"memory\", root: system\r\n"
	" AS \"cpu-memory-0\", root: system\r\n"
	" AS \"ich9-ahci\", root: bus master container\r\n"
	" Root memory region: system\r\n"
	"  0000000000000000-000000000009ffff (prio 0, ram): mem\r\n"
	"  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\r\n"
	"  00000000000c0000-00000000000cafff (prio 0, rom): mem @00000000000c0000\r\n"
	"  00000000000cb000-00000000000cdfff (prio 0, ram): mem @00000000000cb000\r\n"
	"  00000000000ce000-00000000000e7fff (prio 0, rom): mem @00000000000ce000\r\n"
	"  00000000000e8000-00000000000effff (prio 0, ram): mem @00000000000e8000\r\n"
	"  00000000000f0000-00000000000fffff (prio 0, rom): mem @00000000000f0000\r\n"
	"  0000000000100000-000000007fffffff (prio 0, ram): mem @0000000000100000\r\n"
	"  00000000b0000000-00000000bfffffff (prio 0, i/o): pcie-mmcfg-mmio\r\n"
	"  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram\r\n"
	"  00000000feb80000-00000000feb9ffff (prio 1, i/o): e1000e-mmio\r\n"
	"  00000000febd0000-00000000febd004f (prio 0, i/o): msix-table\r\n"
	"  00000000febd2000-00000000febd2007 (prio 0, i/o): msix-pba\r\n"
	"  00000000febd4000-00000000febd417f (prio 0, i/o): edid\r\n"
	"  00000000febd4180-00000000febd43ff (prio 1, i/o): vga.mmio @0000000000000180\r\n"
	"  00000000febd4400-00000000febd441f (prio 0, i/o): vga ioports remapped\r\n"
	"  00000000febd4420-00000000febd44ff (prio 1, i/o): vga.mmio @0000000000000420\r\n"
	"  00000000febd4500-00000000febd4515 (prio 0, i/o): bochs dispi interface\r\n"
	"  00000000febd4516-00000000febd45ff (prio 1, i/o): vga.mmio @0000000000000516\r\n"
	"  00000000febd4600-00000000febd4607 (prio 0, i/o): qemu extended regs\r\n"
	"  00000000febd4608-00000000febd4fff (prio 1, i/o): vga.mmio @0000000000000608\r\n"
	"  00000000febd5000-00000000febd5fff (prio 1, i/o): ahci\r\n"
	"  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
	"  00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\r\n"
	"  00000000fed1c000-00000000fed1ffff (prio 1, i/o): lpc-rcrb-mmio\r\n"
	"  00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi\r\n"
	"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\r\n"
	"  0000000100000000-000000017fffffff (prio 0, ram): mem @0000000080000000\r\n"
	"\r\n"
;

static void test_registers(void)
{
	struct vmiaas_vcpu *c = NULL;
	size_t nr = 0;
	int err;

	err = qmp_parse_registers(regs_6_1, &c, &nr);
	TEST_ASSERT(!err && nr == 1, "info registers: one vCPU (err %d, nr %zu)", err, nr);
	if (err || nr != 1)
		return;
	TEST_ASSERT(c[0].index == 0 && c[0].cr0 == 0x80050033 &&
		    c[0].cr2 == 0x4f0215 && c[0].cr3 == 0x1f1fc000 &&
		    c[0].cr4 == 0x6f0 && c[0].efer == 0xd01,
		    "control registers: cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx",
		    (unsigned long long)c[0].cr0, (unsigned long long)c[0].cr2,
		    (unsigned long long)c[0].cr3, (unsigned long long)c[0].cr4,
		    (unsigned long long)c[0].efer);
	TEST_ASSERT(c[0].idtr_base == 0xfffffe0000000000ull && c[0].idtr_limit == 0xfff &&
		    c[0].gdtr_base == 0xfffffe0000001000ull && c[0].gdtr_limit == 0x7f,
		    "descriptor tables: idt %llx/%x gdt %llx/%x",
		    (unsigned long long)c[0].idtr_base, c[0].idtr_limit,
		    (unsigned long long)c[0].gdtr_base, c[0].gdtr_limit);
	TEST_ASSERT(c[0].rip == 0xffffffffbaa592ebull && c[0].rsp == 0xffffffffbba03e98ull &&
		    !(c[0].flags & VMIAAS_VCPU_MSRS),
		    "rip %llx rsp %llx, MSRs not claimed (flags %x)",
		    (unsigned long long)c[0].rip, (unsigned long long)c[0].rsp, c[0].flags);
	free(c);
}

static void test_registers_smp_and_bad(void)
{
	struct vmiaas_vcpu *c = NULL;
	size_t nr = 0, len = strlen(regs_6_1);
	char *two = malloc(2 * len + 1), *cut;
	int err;

	/* Two vCPUs: the second is the first with CPU#1 and another CR3. */
	strcpy(two, regs_6_1);
	strcat(two, regs_6_1);
	memcpy(strstr(two + len, "CPU#0"), "CPU#1", 5);
	memcpy(strstr(two + len, "CR3=000000001f1fc000"), "CR3=0000000012345000", 20);
	err = qmp_parse_registers(two, &c, &nr);
	TEST_ASSERT(!err && nr == 2 && c[1].index == 1 && c[1].cr3 == 0x12345000 &&
		    c[0].cr3 == 0x1f1fc000,
		    "info registers -a with two vCPUs (err %d, nr %zu)", err, nr);
	free(c);

	/* A vCPU whose CR lines were cut off makes the text malformed. */
	cut = strstr(two + len, "CR0=");
	*cut = '\0';
	err = qmp_parse_registers(two, &c, &nr);
	TEST_ASSERT(err == -EBADMSG, "truncated second vCPU: -EBADMSG (got %d)", err);
	free(two);

	err = qmp_parse_registers("", &c, &nr);
	TEST_ASSERT(err == -EBADMSG, "empty text: -EBADMSG (got %d)", err);
	err = qmp_parse_registers("CPU#99999999999999999999\r\nCR0=1 CR3=2 CR4=3\r\n", &c, &nr);
	TEST_ASSERT(err == -EBADMSG, "absurd CPU index: -EBADMSG (got %d)", err);

	/* 32-bit guest: EIP/ESP and 8-digit GDT base. */
	err = qmp_parse_registers("CPU#0\nEAX=00000000 ESP=00006f2c\nEIP=000fd2e9 EFL=00000002\n"
				  "GDT=     000f6180 00000037\nIDT=     00000000 000003ff\n"
				  "CR0=60000011 CR2=00000000 CR3=00000000 CR4=00000000\nEFER=0000000000000000\n",
				  &c, &nr);
	TEST_ASSERT(!err && nr == 1 && c[0].rip == 0xfd2e9 && c[0].rsp == 0x6f2c &&
		    c[0].gdtr_base == 0xf6180 && c[0].gdtr_limit == 0x37 &&
		    c[0].idtr_limit == 0x3ff && c[0].cr0 == 0x60000011,
		    "32-bit register dump (err %d)", err);
	if (!err)
		free(c);
}

/*
 * DR0-DR3, DR6, DR7 of each vCPU: all six or none (VMIAAS_VCPU_DEBUG);
 * hostile text (a DR key twice, DR4, an overlong value) neither crashes
 * nor claims registers it did not give.
 */
static void test_registers_debug(void)
{
	size_t nr = 0, len = strlen(regs_6_1);
	char *two = malloc(2 * len + 1), *at;
	struct vmiaas_vcpu *c = NULL;
	int err;

	strcpy(two, regs_6_1);
	strcat(two, regs_6_1);
	memcpy(strstr(two + len, "CPU#0"), "CPU#1", 5);
	at = strstr(two + len, "DR0=0000000000000000");
	memcpy(at, "DR0=ffffffff81234560", 20);
	at = strstr(two + len, "DR7=0000000000000400");
	memcpy(at, "DR7=0000000000000602", 20);
	err = qmp_parse_registers(two, &c, &nr);
	TEST_ASSERT(!err && nr == 2 && (c[0].flags & VMIAAS_VCPU_DEBUG) &&
		    (c[1].flags & VMIAAS_VCPU_DEBUG) && c[0].dr7 == 0x400 &&
		    c[0].dr6 == 0xffff0ff0 && !c[0].dr[0] &&
		    c[1].dr[0] == 0xffffffff81234560ull && c[1].dr7 == 0x602 &&
		    !c[1].dr[3],
		    "debug registers per vCPU: dr0 %llx dr7 %llx (err %d)",
		    nr == 2 ? (unsigned long long)c[1].dr[0] : 0ULL,
		    nr == 2 ? (unsigned long long)c[1].dr7 : 0ULL, err);
	if (!err)
		free(c);

	/* DR6 missing on the second vCPU: its debug registers are unknown. */
	memcpy(strstr(two + len, "DR6="), "DX6=", 4);
	err = qmp_parse_registers(two, &c, &nr);
	TEST_ASSERT(!err && nr == 2 && (c[0].flags & VMIAAS_VCPU_DEBUG) &&
		    !(c[1].flags & VMIAAS_VCPU_DEBUG) && !c[1].dr[0] && !c[1].dr7,
		    "a vCPU without DR6: no debug registers claimed, none kept (err %d)",
		    err);
	if (!err)
		free(c);
	free(two);

	/* DR4, DR9 and an overlong DR7 are not registers; DR0 given twice. */
	err = qmp_parse_registers("CPU#0\nCR0=1 CR3=2 CR4=3\n"
				  "DR0=1 DR1=2 DR2=3 DR3=4 DR4=5 DR9=6 DR0=7\n"
				  "DR6=ffff0ff0 DR7=11111111111111111111\n", &c, &nr);
	TEST_ASSERT(!err && nr == 1 && !(c[0].flags & VMIAAS_VCPU_DEBUG) &&
		    !c[0].dr7,
		    "an overlong DR7 is no DR7: no debug registers (err %d)", err);
	if (!err)
		free(c);
	err = qmp_parse_registers("CPU#0\nCR0=1 CR3=2 CR4=3\n"
				  "DR0=1 DR1=2 DR2=3 DR3=4 DR4=5 DR0=7\n"
				  "DR6=ffff0ff0 DR7=401\n", &c, &nr);
	TEST_ASSERT(!err && nr == 1 && (c[0].flags & VMIAAS_VCPU_DEBUG) &&
		    c[0].dr[0] == 7 && c[0].dr[3] == 4 && c[0].dr7 == 0x401,
		    "DR4 ignored, the last DR0 kept: dr0 %llx (err %d)",
		    nr ? (unsigned long long)c[0].dr[0] : 0ULL, err);
	if (!err)
		free(c);
}

static void test_mtree(void)
{
	struct backend_ram_map m[BACKEND_MAX_MAPS];
	struct qmp_ramblock *rb = NULL;
	size_t nr = 0;
	int err;

	err = qmp_parse_mtree(mtree_pc_4g, "pc.ram", m, BACKEND_MAX_MAPS, &nr);
	TEST_ASSERT(!err && nr == 3 &&
		    m[0].gpa == 0 && m[0].size == 0xa0000 && m[0].offset == 0 &&
		    m[1].gpa == 0xc0000 && m[1].size == 0xc0000000 - 0xc0000 &&
		    m[1].offset == 0xc0000 &&
		    m[2].gpa == 0x100000000ull && m[2].size == 0x40000000 &&
		    m[2].offset == 0xc0000000,
		    "pc 4G: [0,a0000) [c0000,c0000000) [4G,5G)@c0000000 (err %d, nr %zu)",
		    err, nr);
	err = qmp_parse_mtree(mtree_q35_4g, "mem", m, BACKEND_MAX_MAPS, &nr);
	TEST_ASSERT(!err && nr == 3 && m[1].gpa + m[1].size == 0x80000000 &&
		    m[2].gpa == 0x100000000ull && m[2].offset == 0x80000000 &&
		    m[2].size == 0x80000000,
		    "q35 4G: low RAM ends at 2G, 2G at 4G (err %d, nr %zu)", err, nr);
	err = qmp_parse_mtree(mtree_pc_4g, "0000:00:02.0/vga.vram", m, BACKEND_MAX_MAPS, &nr);
	TEST_ASSERT(!err && nr == 1 && m[0].gpa == 0xfd000000 && m[0].size == 0x1000000,
		    "device block name with path prefix (err %d)", err);
	err = qmp_parse_mtree(mtree_pc_4g, "pc", m, BACKEND_MAX_MAPS, &nr);
	TEST_ASSERT(err == -ENOENT, "a name prefix does not match: -ENOENT (got %d)", err);
	err = qmp_parse_mtree(mtree_pc_4g, "pc.ram", m, 2, &nr);
	TEST_ASSERT(err == -E2BIG, "more pieces than room: -E2BIG (got %d)", err);

	err = qmp_parse_ramblocks(ramblock_pc_4g, &rb, &nr);
	TEST_ASSERT(!err && nr == 9 && !strcmp(rb[0].name, "pc.ram") &&
		    rb[0].used == 0x100000000ull &&
		    !strcmp(rb[1].name, "0000:00:02.0/vga.vram") && rb[1].used == 0x1000000,
		    "info ramblock: 9 blocks, pc.ram 4 GiB (err %d, nr %zu)", err, nr);
	free(rb);
}

/* ---- a fake QMP server ---- */

static const char *sock_path(void)
{
	static char path[108];

	snprintf(path, sizeof(path), "/tmp/vmiaas-test-qmp.%d", (int)getpid());
	return path;
}

static void send_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(1);
}

/* Reads until a full JSON command (we only need to see one '}' per line). */
static int read_cmd(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "}}") || strstr(buf, "\"qmp_capabilities\"}"))
			return 0;
	}
	return -1;
}

enum fake_mode { FAKE_GOOD, FAKE_HANG, FAKE_ERROR };

static pid_t fake_server(enum fake_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	strcpy(sa.sun_path, sock_path());
	unlink(sa.sun_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1))
		return -1;
	pid = fork();
	if (pid) {
		close(lfd);
		return pid;
	}
	{
		char buf[4096];
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(1);
		send_str(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}\r\n");
		if (read_cmd(fd, buf, sizeof(buf)))
			_exit(1);
		/* An event before the reply, split over two writes. */
		send_str(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n{\"ret");
		usleep(10000);
		send_str(fd, "urn\": {}}\r\n");
		if (read_cmd(fd, buf, sizeof(buf)))
			_exit(1);
		if (mode == FAKE_HANG) {
			pause();
			_exit(0);
		}
		if (mode == FAKE_ERROR) {
			send_str(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"No CPU available\"}}\r\n");
			_exit(0);
		}
		if (!strstr(buf, "human-monitor-command") || !strstr(buf, "info registers"))
			_exit(1);
		send_str(fd, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n");
		send_str(fd, "{\"return\": \"\\r\\nCPU#0\\r\\nRIP=ffffffff81000000 RFL=00000246\\r\\nGDT=     fffffe0000001000 0000007f\\r\\nIDT=     fffffe0000000000 00000fff\\r\\nCR0=80050033 CR2=0 CR3=000000001f1fc000 CR4=000006f0\\r\\nEFER=0000000000000d01\\r\\n\"}\r\n");
		read_cmd(fd, buf, sizeof(buf));
		_exit(0);
	}
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(sock_path());
}

static void test_protocol(void)
{
	struct vmiaas_diag diag = { 0 };
	struct vmiaas_vcpu *c = NULL;
	struct qmp *q = NULL;
	struct timespec t0, t1;
	size_t nr = 0;
	pid_t pid;
	int err;

	pid = fake_server(FAKE_GOOD);
	err = qmp_connect(sock_path(), &q, &diag);
	TEST_ASSERT(!err, "connect, greeting, capabilities past an event (err %d: %s)",
		    err, diag.msg);
	if (!err) {
		err = qmp_read_vcpus(q, &c, &nr);
		TEST_ASSERT(!err && nr == 1 && c[0].cr3 == 0x1f1fc000 &&
			    c[0].rip == 0xffffffff81000000ull,
			    "info registers through QMP (err %d, nr %zu)", err, nr);
		free(c);
	}
	qmp_close(q);
	reap(pid);

	pid = fake_server(FAKE_ERROR);
	q = NULL;
	err = qmp_connect(sock_path(), &q, &diag);
	if (!err) {
		char *out = NULL;

		err = qmp_hmp(q, "info registers -a", &out);
		TEST_ASSERT(err == -EINVAL && strstr(qmp_last_error(q), "No CPU"),
			    "QMP error reply: -EINVAL and QEMU's text (err %d, '%s')",
			    err, qmp_last_error(q));
		free(out);
	} else {
		TEST_ASSERT(0, "connect to the erroring server (err %d: %s)", err, diag.msg);
	}
	qmp_close(q);
	reap(pid);

	setenv("VMIAAS_QMP_TIMEOUT", "2", 1);	/* the default is 30 s */
	pid = fake_server(FAKE_HANG);
	q = NULL;
	err = qmp_connect(sock_path(), &q, &diag);
	if (!err) {
		char *out = NULL;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = qmp_hmp(q, "info registers -a", &out);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		TEST_ASSERT(err == -ETIMEDOUT && t1.tv_sec - t0.tv_sec >= 1 &&
			    t1.tv_sec - t0.tv_sec < 10,
			    "a QEMU that never answers: -ETIMEDOUT after VMIAAS_QMP_TIMEOUT=2 (err %d, %ld s)",
			    err, (long)(t1.tv_sec - t0.tv_sec));
		TEST_ASSERT(strstr(qmp_last_error(q), sock_path()) &&
			    strstr(qmp_last_error(q), "for 2 s"),
			    "the timeout names the socket and the wait: %s",
			    qmp_last_error(q));
		free(out);
	} else {
		TEST_ASSERT(0, "connect to the hanging server (err %d: %s)", err, diag.msg);
	}
	qmp_close(q);
	reap(pid);

	setenv("VMIAAS_QMP_TIMEOUT", "5s", 1);
	q = NULL;
	err = qmp_connect(sock_path(), &q, &diag);
	TEST_ASSERT(err == -EINVAL && strstr(diag.msg, "VMIAAS_QMP_TIMEOUT='5s'"),
		    "a bad VMIAAS_QMP_TIMEOUT refused by name (err %d: %s)",
		    err, diag.msg);
	qmp_close(q);
	unsetenv("VMIAAS_QMP_TIMEOUT");

	err = qmp_connect("/nonexistent/qmp.sock", &q, &diag);
	TEST_ASSERT(err == -ENOENT && strstr(diag.msg, "-qmp unix:"),
		    "missing socket: -ENOENT telling what to pass (err %d: %s)", err, diag.msg);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(26);
	test_registers();
	test_registers_smp_and_bad();
	test_registers_debug();
	test_mtree();
	test_protocol();
	ksft_finished();
}
