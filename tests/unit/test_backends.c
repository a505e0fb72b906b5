// SPDX-License-Identifier: GPL-2.0
/*
 * Dump and shared-memory backends on synthetic files: a QEMU-style ELF
 * core (two PT_LOADs, CORE and QEMU notes for two vCPUs), LiME with two
 * ranges, raw, a memory file; then the malformed ones (truncated,
 * overlapping, bad magic, absurd counts), which must fail with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/lib/tap.h"
#include "userspace/lib/backend.h"

#define PAGE		4096u
#define LOAD0_GPA	0x0ull
#define LOAD0_SIZE	(4 * PAGE)
#define LOAD1_GPA	0x100000ull
#define LOAD1_SIZE	(8 * PAGE)
#define QCS_SIZE	440	/* sizeof(QEMUCPUState) in QEMU 7.2 */

static char tmpdir[] = "/tmp/vmiaas-test-backends.XXXXXX";

struct buf {
	u8 *p;
	size_t len;
};

static void put(struct buf *b, size_t off, const void *src, size_t len)
{
	if (off + len > b->len) {
		b->p = realloc(b->p, off + len);
		memset(b->p + b->len, 0, off + len - b->len);
		b->len = off + len;
	}
	memcpy(b->p + off, src, len);
}

static void put16(struct buf *b, size_t off, u16 v) { put(b, off, &v, 2); }
static void put32(struct buf *b, size_t off, u32 v) { put(b, off, &v, 4); }
static void put64(struct buf *b, size_t off, u64 v) { put(b, off, &v, 8); }

/* The guest byte at @gpa in every synthetic image. */
static u8 pattern(u64 gpa)
{
	return (u8)(gpa * 7 + (gpa >> 12) * 13 + 1);
}

static void fill(struct buf *b, size_t off, u64 gpa, size_t len)
{
	size_t i;

	put(b, off + len - 1, "", 1);
	for (i = 0; i < len; i++)
		b->p[off + i] = pattern(gpa + i);
}

/* A QEMUCPUState note for vCPU @i (values derived from @i). */
static size_t put_qemu_note(struct buf *b, size_t off, unsigned int i)
{
	u8 d[QCS_SIZE] = { 0 };

	memcpy(d, &(u32){ 1 }, 4);
	memcpy(d + 4, &(u32){ QCS_SIZE }, 4);
	memcpy(d + 8 + 6 * 8, &(u64){ 0xffffffff82003e98ull + i }, 8);	/* rsp */
	memcpy(d + 8 + 16 * 8, &(u64){ 0xffffffff810592ebull + i }, 8);	/* rip */
	memcpy(d + 344 + 4, &(u32){ 0x7f }, 4);				/* gdt.limit */
	memcpy(d + 344 + 16, &(u64){ 0xfffffe0000001000ull + i }, 8);	/* gdt.base */
	memcpy(d + 368 + 4, &(u32){ 0xfff }, 4);			/* idt.limit */
	memcpy(d + 368 + 16, &(u64){ 0xfffffe0000000000ull + i }, 8);	/* idt.base */
	memcpy(d + 392, &(u64){ 0x80050033 }, 8);			/* cr0 */
	memcpy(d + 392 + 16, &(u64){ 0x4f0215 }, 8);			/* cr2 */
	memcpy(d + 392 + 24, &(u64){ 0x1f1fc000ull + i * PAGE }, 8);	/* cr3 */
	memcpy(d + 392 + 32, &(u64){ 0x6f0 }, 8);			/* cr4 */
	put32(b, off, 5);
	put32(b, off + 4, QCS_SIZE);
	put32(b, off + 8, 0);
	put(b, off + 12, "QEMU\0\0\0", 8);
	put(b, off + 20, d, QCS_SIZE);
	return 20 + QCS_SIZE;
}

static void put_phdr(struct buf *b, unsigned int i, u32 type, u64 off,
		     u64 paddr, u64 filesz)
{
	size_t ph = 64 + i * 56;

	put32(b, ph, type);
	put64(b, ph + 8, off);
	put64(b, ph + 24, paddr);
	put64(b, ph + 32, filesz);
	put64(b, ph + 40, filesz);
}

/* ELF64 core: NOTE, LOAD [0, 16K), LOAD [1M, 1M + 32K). */
static struct buf make_elf(void)
{
	struct buf b = { 0 };
	size_t notes = 64 + 3 * 56, n = notes, data;
	u8 prstatus[336] = { 0 };

	put(&b, 0, "\177ELF\2\1\1", 7);
	put16(&b, 16, 4);	/* ET_CORE */
	put16(&b, 18, 62);	/* EM_X86_64 */
	put32(&b, 20, 1);
	put64(&b, 32, 64);	/* e_phoff */
	put16(&b, 52, 64);
	put16(&b, 54, 56);
	put16(&b, 56, 3);
	/* CORE/NT_PRSTATUS and QEMU notes for two vCPUs, as QEMU writes them. */
	for (unsigned int i = 0; i < 2; i++) {
		put32(&b, n, 5);
		put32(&b, n + 4, sizeof(prstatus));
		put32(&b, n + 8, 1);
		put(&b, n + 12, "CORE\0\0\0", 8);
		put(&b, n + 20, prstatus, sizeof(prstatus));
		n += 20 + sizeof(prstatus);
	}
	for (unsigned int i = 0; i < 2; i++)
		n += put_qemu_note(&b, n, i);
	data = (n + PAGE - 1) & ~(size_t)(PAGE - 1);
	put_phdr(&b, 0, 4, notes, 0, n - notes);
	put_phdr(&b, 1, 1, data, LOAD0_GPA, LOAD0_SIZE);
	put_phdr(&b, 2, 1, data + LOAD0_SIZE, LOAD1_GPA, LOAD1_SIZE);
	fill(&b, data, LOAD0_GPA, LOAD0_SIZE);
	fill(&b, data + LOAD0_SIZE, LOAD1_GPA, LOAD1_SIZE);
	return b;
}

static void put_lime(struct buf *b, u64 s, u64 e_incl)
{
	size_t off = b->len;

	put32(b, off, 0x4C694D45);
	put32(b, off + 4, 1);
	put64(b, off + 8, s);
	put64(b, off + 16, e_incl);
	put64(b, off + 24, 0);
	fill(b, off + 32, s, e_incl - s + 1);
}

static const char *write_file(const char *name, const struct buf *b)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "we");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f))
		ksft_exit_skip("cannot write temporary files\n");
	return path;
}

/* Every byte of every range equals pattern(gpa); unbacked GPAs fault. */
static int check_bytes(const struct backend *b, const u64 *unbacked, size_t n)
{
	unsigned int i;
	u8 v;

	for (i = 0; i < b->phys.nr_ranges; i++) {
		const struct vmi_phys_range *r = &b->phys.ranges[i];

		for (u64 g = r->gpa; g < r->gpa + r->size; g += 97)
			if (vmi_phys_read(&b->phys, g, &v, 1) || v != pattern(g)) {
				ksft_print_msg("byte at GPA 0x%llx: %02x, expected %02x\n",
					       (unsigned long long)g, v, pattern(g));
				return 0;
			}
	}
	for (i = 0; i < n; i++)
		if (vmi_phys_read(&b->phys, unbacked[i], &v, 1) != -EFAULT) {
			ksft_print_msg("GPA 0x%llx should be unbacked\n",
				       (unsigned long long)unbacked[i]);
			return 0;
		}
	return 1;
}

static void test_elf(void)
{
	static const u64 holes[] = { LOAD0_SIZE, LOAD1_GPA - 1, LOAD1_GPA + LOAD1_SIZE };
	struct vmiaas_diag diag = { 0 };
	struct buf e = make_elf();
	struct backend *b = NULL;
	int err;

	err = backend_dump_open(write_file("core.elf", &e), &b, &diag);
	TEST_ASSERT(!err && !strcmp(b->name, "dump-elf") && b->phys.nr_ranges == 2 &&
		    b->phys.ranges[0].gpa == LOAD0_GPA && b->phys.ranges[0].size == LOAD0_SIZE &&
		    b->phys.ranges[1].gpa == LOAD1_GPA && b->phys.ranges[1].size == LOAD1_SIZE &&
		    b->phys.ranges[0].host && b->phys.ranges[1].host,
		    "ELF: two PT_LOADs mapped zero-copy (err %d: %s)", err, diag.msg);
	if (err) {
		free(e.p);
		return;
	}
	TEST_ASSERT(check_bytes(b, holes, 3), "ELF: bytes at every GPA, holes unbacked");
	TEST_ASSERT(b->nr_vcpus == 2 && b->vcpus[1].index == 1 &&
		    b->vcpus[1].cr3 == 0x1f1fc000 + PAGE && b->vcpus[0].cr0 == 0x80050033 &&
		    b->vcpus[0].cr2 == 0x4f0215 && b->vcpus[0].cr4 == 0x6f0 &&
		    b->vcpus[1].rip == 0xffffffff810592ecull &&
		    b->vcpus[1].rsp == 0xffffffff82003e99ull &&
		    b->vcpus[1].idtr_base == 0xfffffe0000000001ull && b->vcpus[1].idtr_limit == 0xfff &&
		    b->vcpus[0].gdtr_base == 0xfffffe0000001000ull && b->vcpus[0].gdtr_limit == 0x7f,
		    "ELF: registers of both vCPUs from the QEMU notes (nr %zu, cr3 %llx)",
		    b->nr_vcpus, b->nr_vcpus > 1 ? (unsigned long long)b->vcpus[1].cr3 : 0ull);
	backend_close(b);
	free(e.p);
}

static void test_lime_raw_shm(void)
{
	static const u64 holes[] = { 0x3000, 0xfffff, 0x103000 };
	struct vmiaas_diag diag = { 0 };
	struct buf l = { 0 }, r = { 0 };
	struct backend *b = NULL;
	int err;

	put_lime(&l, 0x0, 0x2fff);
	put_lime(&l, 0x100000, 0x102fff);
	err = backend_dump_open(write_file("mem.lime", &l), &b, &diag);
	TEST_ASSERT(!err && !strcmp(b->name, "dump-lime") && b->phys.nr_ranges == 2 &&
		    b->phys.ranges[1].gpa == 0x100000 && b->phys.ranges[1].size == 0x3000 &&
		    check_bytes(b, holes, 3),
		    "LiME: two ranges, bytes at every GPA (err %d: %s)", err, diag.msg);
	backend_close(b);
	b = NULL;

	fill(&r, 0, 0, 64 * PAGE);
	err = backend_dump_open(write_file("mem.raw", &r), &b, &diag);
	TEST_ASSERT(!err && !strcmp(b->name, "dump-raw") && b->phys.nr_ranges == 1 &&
		    b->phys.ranges[0].size == 64 * PAGE && !b->nr_vcpus &&
		    check_bytes(b, (u64[]){ 64 * PAGE }, 1),
		    "raw: file offset = GPA (err %d: %s)", err, diag.msg);
	backend_close(b);
	b = NULL;

	err = backend_shm_open(write_file("shm", &r), NULL, &b, &diag);
	TEST_ASSERT(!err && !strcmp(b->name, "shm") && !strcmp(b->layout, "pc-heuristic") &&
		    b->phys.nr_ranges == 1 && check_bytes(b, (u64[]){ 64 * PAGE }, 1) &&
		    !b->nr_vcpus,
		    "shm without QMP: one range, no vCPUs (err %d: %s)", err, diag.msg);
	backend_close(b);
	b = NULL;
	err = backend_shm_open(write_file("shm", &r), tmpdir, &b, &diag);
	TEST_ASSERT(err < 0 && !b && strstr(diag.msg, "QMP"),
		    "shm with a bad QMP path fails, naming QMP (err %d: %s)", err, diag.msg);
	err = backend_shm_open("/nonexistent/mem", NULL, &b, &diag);
	TEST_ASSERT(err == -ENOENT && strstr(diag.msg, "mem-path"),
		    "shm on a missing file: -ENOENT saying what to pass (%s)", diag.msg);
	free(l.p);
	free(r.p);
}

static void test_pc_layout(void)
{
	struct backend_ram_map m[BACKEND_MAX_MAPS];
	size_t nr = 0;

	backend_pc_layout(512ull << 20, m, &nr);
	TEST_ASSERT(nr == 1 && m[0].gpa == 0 && m[0].size == 512ull << 20,
		    "pc layout 512 MiB: one piece");
	backend_pc_layout(4ull << 30, m, &nr);
	TEST_ASSERT(nr == 2 && m[0].size == 0xc0000000 && m[1].gpa == 1ull << 32 &&
		    m[1].size == 0x40000000 && m[1].offset == 0xc0000000,
		    "pc layout 4 GiB: 3 GiB low, 1 GiB at 4 GiB (nr %zu)", nr);
	backend_pc_layout(0xdff00000ull, m, &nr);
	TEST_ASSERT(nr == 1 && m[0].size == 0xdff00000ull,
		    "pc layout just under 3.5 GiB stays low");
}

/* Malformed dumps: each must fail with @err and a message containing @what. */
static void expect_bad(const char *name, struct buf *b, int want, const char *what)
{
	struct vmiaas_diag diag = { 0 };
	struct dump_info info = { 0 };
	int err = dump_parse(b->p, b->len, &info, &diag);

	TEST_ASSERT(err == want && strstr(diag.msg, what),
		    "%s: %d with '%s' (got %d: %s)", name, want, what, err, diag.msg);
	if (!err)
		free(info.vcpus);
}

static void test_malformed(void)
{
	struct buf e, l = { 0 };
	struct vmiaas_diag diag = { 0 };
	struct backend *b = NULL;
	const char *path;
	int err;

	e = make_elf();
	e.len -= 100;	/* the last PT_LOAD ends beyond EOF */
	expect_bad("ELF truncated inside a PT_LOAD", &e, -EBADMSG, "truncated");
	path = write_file("trunc.elf", &e);
	err = backend_dump_open(path, &b, &diag);
	TEST_ASSERT(err == -EBADMSG && !b && strstr(diag.msg, "PT_LOAD segment 2"),
		    "truncated ELF file: backend refuses it naming the segment (%s)", diag.msg);
	e.len = 100;
	expect_bad("ELF truncated in the program headers", &e, -EBADMSG, "program headers");
	free(e.p);

	e = make_elf();
	put64(&e, 64 + 2 * 56 + 24, LOAD0_GPA + PAGE);	/* LOAD 2 inside LOAD 1 */
	expect_bad("ELF overlapping PT_LOADs", &e, -EBADMSG, "overlaps");
	free(e.p);

	e = make_elf();
	put64(&e, 64 + 1 * 56 + 8, ~0ull - 10);		/* offset wraps */
	expect_bad("ELF PT_LOAD offset near 2^64", &e, -EBADMSG, "beyond the end");
	free(e.p);

	e = make_elf();
	put16(&e, 56, 0xffff);				/* PN_XNUM, no sections */
	put64(&e, 40, 1ull << 40);
	expect_bad("ELF PN_XNUM without section header", &e, -EBADMSG, "PN_XNUM");
	free(e.p);

	e = make_elf();
	put64(&e, 64 + 2 * 56 + 24, ~0ull - PAGE);	/* GPA wraps */
	expect_bad("ELF PT_LOAD wrapping the address space", &e, -EBADMSG, "wraps");
	free(e.p);

	e = make_elf();
	put32(&e, 64 + 3 * 56 + 2 * (20 + 336) + 20, 7);	/* QEMU note version */
	expect_bad("ELF QEMU note of unknown version", &e, -EBADMSG, "version 7");
	free(e.p);

	e = make_elf();
	put32(&e, 64 + 3 * 56 + 4, 0x7fffffff);		/* note desc size */
	expect_bad("ELF note larger than PT_NOTE", &e, -EBADMSG, "runs past");
	free(e.p);

	e = make_elf();
	put16(&e, 18, 3);				/* EM_386 */
	expect_bad("ELF of another machine", &e, -EOPNOTSUPP, "x86-64");
	free(e.p);

	put_lime(&l, 0x0, 0xfff);
	put_lime(&l, 0x1000, 0x1fff);
	put32(&l, 32 + 0x1000, 0x12345678);		/* 2nd header magic */
	expect_bad("LiME bad magic in the second header", &l, -EBADMSG, "magic 0x12345678");
	put32(&l, 32 + 0x1000, 0x4C694D45);
	put64(&l, 32 + 0x1000 + 16, 0x0fff);		/* e_addr < s_addr */
	expect_bad("LiME range ending before it starts", &l, -EBADMSG, "ends before");
	put64(&l, 32 + 0x1000 + 8, 0x0);
	put64(&l, 32 + 0x1000 + 16, 0xfff);		/* same range twice */
	expect_bad("LiME overlapping ranges", &l, -EBADMSG, "overlaps");
	put64(&l, 32 + 0x1000 + 8, 0x10000);
	put64(&l, 32 + 0x1000 + 16, 0x1ffff);		/* longer than the file */
	expect_bad("LiME truncated range", &l, -EBADMSG, "truncated");
	l.len = 40;
	expect_bad("LiME stray bytes after a range", &l, -EBADMSG, "range 0x0-0xfff");
	free(l.p);

	{
		struct buf many = { 0 };

		for (unsigned int i = 0; i < BACKEND_MAX_MAPS + 1; i++)
			put_lime(&many, i * 2 * PAGE, i * 2 * PAGE + 15);
		expect_bad("LiME with 17 discontiguous ranges", &many, -E2BIG, "more than 16");
		free(many.p);
	}
}

int main(void)
{
	ksft_print_header();
	if (!mkdtemp(tmpdir))
		ksft_exit_skip("cannot create a temporary directory\n");
	ksft_set_plan(27);
	test_elf();
	test_lime_raw_shm();
	test_pc_layout();
	test_malformed();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			ksft_print_msg("could not remove %s\n", tmpdir);
	}
	ksft_finished();
}
