// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * "dump-*": a memory dump file, mapped read-only. Formats, tried in order:
 *   - QEMU dump-guest-memory ELF64 core: PT_LOAD p_paddr is the guest-
 *     physical address; "QEMU" notes carry each vCPU's QEMUCPUState
 *     (QEMU's target/i386/arch_dump.c).
 *   - LiME: 32-byte range headers each followed by the range's bytes.
 *   - raw: file offset = guest-physical address, split like QEMU's PC
 *     machine when larger than 3.5 GiB (backend_pc_layout()).
 * Every header field is untrusted: dump_parse() checks each against the
 * buffer before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backend.h"

/* ELF64 (we do not depend on <elf.h> to keep the offsets visible). */
#define EHDR_SIZE	64
#define PHDR_SIZE	56
#define SHDR_SIZE	64
#define ET_CORE		4
#define EM_X86_64	62
#define PT_LOAD		1
#define PT_NOTE		4
#define PN_XNUM		0xffff
#define DUMP_MAX_PHDRS	(1u << 16)

/*
 * QEMUCPUState (target/i386/arch_dump.c, version 1): u32 version, u32
 * size, u64 rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags, then
 * QEMUCPUSegment {u32 selector, limit, flags, pad; u64 base} cs ds es fs
 * gs ss ldt tr gdt idt, u64 cr[5], then (if size says so) kernel_gs_base.
 */
#define QCS_RSP		(8 + 6 * 8)
#define QCS_RIP		(8 + 16 * 8)
#define QCS_SEG(i)	(8 + 18 * 8 + (i) * 24)
#define QCS_GDT		QCS_SEG(8)
#define QCS_IDT		QCS_SEG(9)
#define QCS_CR(i)	(QCS_SEG(10) + (i) * 8)
#define QCS_MIN_SIZE	QCS_CR(5)	/* 432: everything we read */
#define SEG_LIMIT	4
#define SEG_BASE	16
static_assert(QCS_GDT == 344 && QCS_IDT == 368 && QCS_CR(3) == 416,
	      "QEMUCPUState layout");

#define LIME_MAGIC	0x4C694D45u
#define LIME_HDR_SIZE	32

/* Adds [gpa, +size) at file offset @off, merging with the last piece. */
static int dump_add(struct dump_info *d, u64 gpa, u64 size, u64 off,
		    struct vmiaas_diag *diag)
{
	struct backend_ram_map *last = d->nr_maps ? &d->maps[d->nr_maps - 1] : NULL;
	u64 end;
	size_t i;

	if (check_add_overflow(gpa, size, &end))
		return diag_set(diag, -EBADMSG, "%s: range at 0x%llx of 0x%llx bytes wraps around the address space",
				d->format, (unsigned long long)gpa,
				(unsigned long long)size);
	for (i = 0; i < d->nr_maps; i++)
		if (gpa < d->maps[i].gpa + d->maps[i].size && d->maps[i].gpa < end)
			return diag_set(diag, -EBADMSG, "%s: range [0x%llx, 0x%llx) overlaps [0x%llx, 0x%llx): the dump is corrupt",
					d->format, (unsigned long long)gpa,
					(unsigned long long)end,
					(unsigned long long)d->maps[i].gpa,
					(unsigned long long)(d->maps[i].gpa + d->maps[i].size));
	if (last && last->gpa + last->size == gpa &&
	    last->offset + last->size == off) {
		last->size += size;
		return 0;
	}
	if (d->nr_maps == BACKEND_MAX_MAPS)
		return diag_set(diag, -E2BIG, "%s: more than %d discontiguous memory ranges: not supported",
				d->format, BACKEND_MAX_MAPS);
	d->maps[d->nr_maps++] = (struct backend_ram_map){
		.gpa = gpa, .size = size, .offset = off,
	};
	return 0;
}

static int dump_qemu_note(struct dump_info *d, const u8 *desc, u64 descsz,
			  struct vmiaas_diag *diag)
{
	struct vmiaas_vcpu *c, *n;
	u32 version, size;

	if (descsz < 8)
		return diag_set(diag, -EBADMSG, "ELF: QEMU CPU note of %llu bytes is too short",
				(unsigned long long)descsz);
	version = vmi_get_u32(desc);
	size = vmi_get_u32(desc + 4);
	if (version != 1 || size < QCS_MIN_SIZE || size > descsz)
		return diag_set(diag, -EBADMSG, "ELF: QEMU CPU note version %u, size %u (note holds %llu bytes): expected version 1 and at least %d bytes",
				version, size, (unsigned long long)descsz,
				QCS_MIN_SIZE);
	if (d->nr_vcpus == BACKEND_MAX_VCPUS)
		return diag_set(diag, -EBADMSG, "ELF: more than %d QEMU CPU notes",
				BACKEND_MAX_VCPUS);
	n = reallocarray(d->vcpus, d->nr_vcpus + 1, sizeof(*n));
	if (!n)
		return diag_set(diag, -ENOMEM, "out of memory");
	d->vcpus = n;
	c = &n[d->nr_vcpus];
	*c = (struct vmiaas_vcpu){
		.index = (u32)d->nr_vcpus,
		.rip = vmi_get_u64(desc + QCS_RIP),
		.rsp = vmi_get_u64(desc + QCS_RSP),
		.gdtr_base = vmi_get_u64(desc + QCS_GDT + SEG_BASE),
		.gdtr_limit = vmi_get_u32(desc + QCS_GDT + SEG_LIMIT),
		.idtr_base = vmi_get_u64(desc + QCS_IDT + SEG_BASE),
		.idtr_limit = vmi_get_u32(desc + QCS_IDT + SEG_LIMIT),
		.cr0 = vmi_get_u64(desc + QCS_CR(0)),
		.cr2 = vmi_get_u64(desc + QCS_CR(2)),
		.cr3 = vmi_get_u64(desc + QCS_CR(3)),
		.cr4 = vmi_get_u64(desc + QCS_CR(4)),
		/* EFER is not in the note: left 0. */
	};
	d->nr_vcpus++;
	return 0;
}

static int dump_elf_notes(struct dump_info *d, const u8 *p, u64 len,
			  struct vmiaas_diag *diag)
{
	u64 pos = 0;

	while (len - pos >= 12) {
		u32 namesz = vmi_get_u32(p + pos);
		u32 descsz = vmi_get_u32(p + pos + 4);
		u64 name = pos + 12, desc, next;
		int err;

		desc = name + (((u64)namesz + 3) & ~3ull);
		next = desc + (((u64)descsz + 3) & ~3ull);
		if (desc > len || descsz > len - desc)
			return diag_set(diag, -EBADMSG, "ELF: note at offset %llu (name %u, desc %u bytes) runs past its PT_NOTE segment (%llu bytes)",
					(unsigned long long)pos, namesz, descsz,
					(unsigned long long)len);
		if (namesz == 5 && !memcmp(p + name, "QEMU", 5)) {
			err = dump_qemu_note(d, p + desc, descsz, diag);
			if (err < 0)
				return err;
		}
		pos = min(next, len);
	}
	return 0;
}

static int dump_parse_elf(const u8 *buf, size_t len, struct dump_info *d,
			  struct vmiaas_diag *diag)
{
	u64 phoff = vmi_get_u64(buf + 32), shoff = vmi_get_u64(buf + 40);
	u32 phnum = vmi_get_u16(buf + 56), phentsize = vmi_get_u16(buf + 54);
	u64 table;
	u32 i;
	int err;

	d->format = "dump-elf";
	if (buf[4] != 2 || buf[5] != 1)
		return diag_set(diag, -EOPNOTSUPP, "ELF: class %u, data %u: only little-endian ELF64 (QEMU dump-guest-memory of an x86-64 guest) is supported",
				buf[4], buf[5]);
	if (vmi_get_u16(buf + 16) != ET_CORE || vmi_get_u16(buf + 18) != EM_X86_64)
		return diag_set(diag, -EOPNOTSUPP, "ELF: type %u, machine %u: expected an x86-64 core file from QEMU's dump-guest-memory",
				vmi_get_u16(buf + 16), vmi_get_u16(buf + 18));
	if (phentsize != PHDR_SIZE)
		return diag_set(diag, -EBADMSG, "ELF: program header size %u, expected %d",
				phentsize, PHDR_SIZE);
	if (phnum == PN_XNUM) {
		/* The real count is in section header 0's sh_info. */
		if (shoff > len || len - shoff < SHDR_SIZE)
			return diag_set(diag, -EBADMSG, "ELF: PN_XNUM set but section header 0 at %llu is outside the %zu-byte file",
					(unsigned long long)shoff, len);
		phnum = vmi_get_u32(buf + shoff + 44);
	}
	if (!phnum || phnum > DUMP_MAX_PHDRS)
		return diag_set(diag, -EBADMSG, "ELF: %u program headers: expected 1 to %u",
				phnum, DUMP_MAX_PHDRS);
	table = (u64)phnum * PHDR_SIZE;
	if (phoff > len || len - phoff < table)
		return diag_set(diag, -EBADMSG, "ELF: %u program headers at offset %llu lie beyond the end of the %zu-byte file: truncated dump",
				phnum, (unsigned long long)phoff, len);

	for (i = 0; i < phnum; i++) {
		const u8 *ph = buf + phoff + (u64)i * PHDR_SIZE;
		u32 type = vmi_get_u32(ph);
		u64 off = vmi_get_u64(ph + 8), paddr = vmi_get_u64(ph + 24);
		u64 filesz = vmi_get_u64(ph + 32);

		if (type != PT_LOAD && type != PT_NOTE)
			continue;
		if (off > len || filesz > len - off)
			return diag_set(diag, -EBADMSG, "ELF: %s segment %u (guest-physical 0x%llx) at file offset %llu + %llu bytes extends beyond the end of the %zu-byte file: the dump is truncated",
					type == PT_LOAD ? "PT_LOAD" : "PT_NOTE",
					i, (unsigned long long)paddr,
					(unsigned long long)off,
					(unsigned long long)filesz, len);
		if (type == PT_NOTE)
			err = dump_elf_notes(d, buf + off, filesz, diag);
		else if (filesz)
			err = dump_add(d, paddr, filesz, off, diag);
		else
			err = 0;
		if (err < 0)
			return err;
	}
	if (!d->nr_maps)
		return diag_set(diag, -EBADMSG, "ELF: no PT_LOAD segment with file contents: not a memory dump (use dump-guest-memory without -z/-l/-s formats)");
	return 0;
}

static int dump_parse_lime(const u8 *buf, size_t len, struct dump_info *d,
			   struct vmiaas_diag *diag)
{
	u64 pos = 0;
	int err;

	d->format = "dump-lime";
	while (pos < len) {
		u64 s_addr, e_addr, size, data;
		u32 magic, version;

		if (len - pos < LIME_HDR_SIZE)
			return diag_set(diag, -EBADMSG, "LiME: %llu stray bytes at offset %llu where a 32-byte range header should be: truncated dump",
					(unsigned long long)(len - pos),
					(unsigned long long)pos);
		magic = vmi_get_u32(buf + pos);
		version = vmi_get_u32(buf + pos + 4);
		s_addr = vmi_get_u64(buf + pos + 8);
		e_addr = vmi_get_u64(buf + pos + 16);
		if (magic != LIME_MAGIC || version != 1)
			return diag_set(diag, -EBADMSG, "LiME: header at offset %llu has magic 0x%08x version %u: expected 0x%08x version 1",
					(unsigned long long)pos, magic, version,
					LIME_MAGIC);
		if (e_addr < s_addr || e_addr - s_addr == UINT64_MAX)
			return diag_set(diag, -EBADMSG, "LiME: range 0x%llx-0x%llx at offset %llu ends before it starts",
					(unsigned long long)s_addr,
					(unsigned long long)e_addr,
					(unsigned long long)pos);
		size = e_addr - s_addr + 1;
		data = pos + LIME_HDR_SIZE;
		if (size > len - data)
			return diag_set(diag, -EBADMSG, "LiME: range 0x%llx-0x%llx needs %llu bytes at offset %llu, but the file ends at %zu: truncated dump",
					(unsigned long long)s_addr,
					(unsigned long long)e_addr,
					(unsigned long long)size,
					(unsigned long long)data, len);
		err = dump_add(d, s_addr, size, data, diag);
		if (err < 0)
			return err;
		pos = data + size;
	}
	return 0;
}

int dump_parse(const u8 *buf, size_t len, struct dump_info *ret,
	       struct vmiaas_diag *diag)
{
	struct dump_info d = { 0 };
	int err;

	if (!len)
		return diag_set(diag, -EBADMSG, "the dump is empty: pass a QEMU dump-guest-memory ELF, a LiME file or a raw memory image");
	if (len >= EHDR_SIZE && !memcmp(buf, "\177ELF", 4)) {
		err = dump_parse_elf(buf, len, &d, diag);
	} else if (len >= 4 && vmi_get_u32(buf) == LIME_MAGIC) {
		err = dump_parse_lime(buf, len, &d, diag);
	} else {
		d.format = "dump-raw";
		err = backend_pc_layout(len, d.maps, &d.nr_maps);
	}
	if (err < 0) {
		free(d.vcpus);
		return err;
	}
	*ret = d;
	return 0;
}

int backend_dump_open(const char *path, struct backend **ret,
		      struct vmiaas_diag *diag)
{
	const struct backend_file *f;
	struct dump_info info;
	struct backend *b;
	int err;

	err = backend_file_open("dump", path, "dump",
		"pass a QEMU dump-guest-memory ELF, a LiME file or a raw image",
		&b, diag);
	if (err < 0)
		return err;
	f = b->priv;
	err = dump_parse(f->map, f->len, &info, diag);
	if (err < 0)
		goto fail;
	b->name = info.format;
	b->layout = info.format + 5;	/* "elf", "lime", "raw" */
	b->vcpus = info.vcpus;
	b->nr_vcpus = info.nr_vcpus;
	err = backend_map_ranges(b, info.maps, info.nr_maps, f->map, f->len,
				 diag);
	if (err < 0)
		goto fail;
	*ret = b;
	return 0;
fail:
	backend_close(b);
	return err;
}
