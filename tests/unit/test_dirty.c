// SPDX-License-Identifier: GPL-2.0
/*
 * userspace/lib/dirty.c against the host kernel: a child process stands
 * for the VMM, mapping a memfd "RAM file" shared and writable; this
 * process maps it read-only, as the shm backend does.
 *
 * On every host: the pagemap decision, and that the tracker either
 * starts or says why not. Where the kernel keeps soft-dirty bits (Debian's
 * 6.1 and 6.12, the Bochs L1), also the facts the skip rests on: after
 * clear_refs a page the VMM writes is soft-dirty, one it does not stays
 * clean, one it never mapped is not clean; and a second writable mapper
 * of the file turns the tracker off, naming it. Where the kernel has no
 * soft-dirty (this build host's 6.18), those are reported as skipped and
 * the tracker must say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "userspace/lib/backend.h"
#include "userspace/lib/dirty.h"
#include "userspace/lib/engine.h"
#include "tests/lib/tap.h"

#define PAGES		48
#define UNTOUCHED	15	/* the child never maps this page in */
#define WRITTEN		3	/* the child writes it after the clear */
#define KEPT		5	/* ... and not this one */

/*
 * A guest kernel for the engine's skip: page tables at frames 8-11 map
 * TEXT_PAGES pages at TEXT_VA to frames 32.., the "kernel text".
 */
#define PT_FRAME	8		/* PML4, PDPT, PD, PT: 8, 9, 10, 11 */
#define TEXT_VA		0xffffffff81000000ULL
#define TEXT_FRAME	32
#define TEXT_PAGES	8
#define TAMPERED	3		/* the child patches this text page */
#define REMAPPED	5		/* ... and points this one elsewhere */
#define OTHER_FRAME	44

struct vmm {
	pid_t pid;
	int cmd, ack;		/* pipes to and from the child */
	uintptr_t ram;		/* where the child mapped the file */
};

/* The child: map, touch every page but UNTOUCHED, then obey. */
static void vmm_main(int fd, int cmd, int ack)
{
	u8 *ram = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	char c;
	int i;

	if (ram == MAP_FAILED)
		_exit(1);
	for (i = 0; i < PAGES; i++)	/* read: the PTEs stay read-only */
		if (i != UNTOUCHED)
			(void)*(volatile u8 *)(ram + i * 4096);
	if (write(ack, &ram, sizeof(ram)) != sizeof(ram))
		_exit(1);
	while (write(ack, "r", 1) == 1 && read(cmd, &c, 1) == 1) {
		if (c == 'w')
			ram[WRITTEN * 4096 + 100] ^= 0x5a;
		if (c == 't')	/* an inline hook, as far as a MAC can tell */
			ram[(TEXT_FRAME + TAMPERED) * 4096 + 200] ^= 0xcc;
		if (c == 'm')	/* the PTE of text page REMAPPED */
			*(u64 *)(ram + (PT_FRAME + 3) * 4096 + REMAPPED * 8) =
				OTHER_FRAME * 4096ULL | 3;
	}
	_exit(0);
}

static int vmm_start(int fd, struct vmm *m)
{
	int cmd[2], ack[2];
	char c;

	if (pipe(cmd) || pipe(ack))
		return -1;
	m->pid = fork();
	if (m->pid < 0)
		return -1;
	if (!m->pid) {
		close(cmd[1]);
		close(ack[0]);
		vmm_main(fd, cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	m->cmd = cmd[1];
	m->ack = ack[0];
	return read(m->ack, &m->ram, sizeof(m->ram)) == sizeof(m->ram) &&
	       read(m->ack, &c, 1) == 1 ? 0 : -1;
}

static int vmm_do(struct vmm *m, char what)
{
	char c;

	return write(m->cmd, &what, 1) == 1 && read(m->ack, &c, 1) == 1 ?
	       0 : -1;
}

static void vmm_stop(struct vmm *m)
{
	if (m->pid <= 0)
		return;
	close(m->cmd);
	close(m->ack);
	waitpid(m->pid, NULL, 0);
	m->pid = 0;
}

static void test_pme(void)
{
	const u64 present = 1ULL << 63, swap = 1ULL << 62, sd = 1ULL << 55;

	ksft_test_result(dirty_pme_clean(present) && !dirty_pme_clean(present | sd) &&
			 !dirty_pme_clean(0) && !dirty_pme_clean(swap) &&
			 !dirty_pme_clean(sd),
			 "pagemap: only present and not soft-dirty is clean\n");
}

/* The VMM's pagemap entry of its page @i (0 on failure). */
static u64 vmm_pme(const struct vmm *m, int i)
{
	char path[64];
	u64 pme = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)m->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &pme, sizeof(pme),
		  (off_t)((m->ram / 4096 + i) * sizeof(pme))) != sizeof(pme))
		pme = 0;
	close(fd);
	return pme;
}

static int vmm_clear_refs(const struct vmm *m)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)m->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ok = fd >= 0 && write(fd, "4", 1) == 1;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * The kernel facts the skip rests on, through the VMM's own files: after
 * clear_refs "4" a page it writes is soft-dirty, one it does not stays
 * present and clean, one it never touched is not clean.
 */
static void test_facts(struct vmm *m)
{
	bool before, written, kept, untouched;
	int err;

	err = vmm_clear_refs(m);
	before = dirty_pme_clean(vmm_pme(m, WRITTEN));
	err = err ?: vmm_do(m, 'w');
	written = dirty_pme_clean(vmm_pme(m, WRITTEN));
	kept = dirty_pme_clean(vmm_pme(m, KEPT));
	untouched = dirty_pme_clean(vmm_pme(m, UNTOUCHED));
	ksft_test_result(!err && before && !written && kept && !untouched,
			 "after clear_refs: written page dirty (%d), kept page clean (%d), never-touched page not clean (%d)\n",
			 !written, kept, !untouched);
}

/* Page tables and text written through the file, before the VMM runs. */
static int guest_write(int fd)
{
	u64 e[4] = {
		(PT_FRAME + 1) * 4096ULL | 3, (PT_FRAME + 2) * 4096ULL | 3,
		(PT_FRAME + 3) * 4096ULL | 3,
	};
	u8 text[TEXT_PAGES * 4096];
	int i, ok;

	ok = pwrite(fd, &e[0], 8, PT_FRAME * 4096 + 511 * 8) == 8 &&
	     pwrite(fd, &e[1], 8, (PT_FRAME + 1) * 4096 + 510 * 8) == 8 &&
	     pwrite(fd, &e[2], 8, (PT_FRAME + 2) * 4096 + 8 * 8) == 8;
	for (i = 0; ok && i < TEXT_PAGES; i++) {
		e[3] = (TEXT_FRAME + i) * 4096ULL | 3;
		ok = pwrite(fd, &e[3], 8, (PT_FRAME + 3) * 4096 + i * 8) == 8;
	}
	for (i = 0; i < (int)sizeof(text); i++)
		text[i] = (u8)(i * 7 + 1);
	return ok && pwrite(fd, text, sizeof(text), TEXT_FRAME * 4096) ==
		     (ssize_t)sizeof(text) ? 0 : -1;
}

static int as_read(void *ctx, u64 va, void *buf, size_t len)
{
	return vmi_as_read(ctx, va, buf, len);
}

/* One check of the text: which pages differ from the baseline now. */
static int text_check(struct dirty_tracker *t, const struct bl_region *reg,
		      const struct vmi_read_ops *r,
		      const struct vmi_hash_ops *h, u64 *ret_mask)
{
	u8 now[TEXT_PAGES * 16], page[4096];
	u64 idx[TEXT_PAGES];
	s64 n, k;
	int err;

	err = dirty_check_begin(t);
	err = err ?: dirty_measure_range(t, reg, r, h, page, now);
	n = err ? err : vmi_measure_diff(reg->digests, now, TEXT_PAGES, 16,
					 idx, TEXT_PAGES);
	*ret_mask = 0;
	for (k = 0; k < n; k++)
		*ret_mask |= 1ULL << idx[k];
	return n < 0 ? (int)n : 0;
}

/*
 * The engine's skip on a soft-dirty host: after a clear every text page
 * is hashed once, then skipped; a page the VMM's process patches, and a
 * page whose PTE is pointed at another frame, are hashed again and
 * differ from the baseline; the others stay skipped.
 */
static void test_skip(struct vmiaas *v, struct dirty_tracker *t,
		      struct vmm *m)
{
	const struct vmi_read_ops r = { .read = as_read, .ctx = v->kas };
	u8 key[32] = { 5 }, base[TEXT_PAGES * 16], page[4096];
	const struct bl_region reg = {
		.start = TEXT_VA, .end = TEXT_VA + TEXT_PAGES * 4096,
		.digests = base,
	};
	struct dirty_stats s0, s1, s2;
	struct vmi_hash_ops h;
	struct bl_hasher *x;
	u64 first = 0, quiet = 0, tampered = 0, remapped = 0;
	int err;

	err = bl_hasher_new(BL_MAC_GMAC_AES128, key, &x, &h);
	err = err ?: vmi_measure_range(&r, &h, reg.start, reg.end, page, base,
				       TEXT_PAGES);
	err = err ?: text_check(t, &reg, &r, &h, &first);
	dirty_get_stats(t, &s0);
	err = err ?: text_check(t, &reg, &r, &h, &quiet);
	dirty_get_stats(t, &s1);
	err = err ?: vmm_do(m, 't');
	err = err ?: text_check(t, &reg, &r, &h, &tampered);
	err = err ?: vmm_do(m, 'm');
	err = err ?: text_check(t, &reg, &r, &h, &remapped);
	dirty_get_stats(t, &s2);
	ksft_print_msg("skip: diffs %#llx %#llx %#llx %#llx; hashed %llu %llu %llu, skipped %llu %llu %llu\n",
		       (unsigned long long)first, (unsigned long long)quiet,
		       (unsigned long long)tampered, (unsigned long long)remapped,
		       (unsigned long long)s0.hashed, (unsigned long long)s1.hashed,
		       (unsigned long long)s2.hashed, (unsigned long long)s0.skipped,
		       (unsigned long long)s1.skipped, (unsigned long long)s2.skipped);
	ksft_test_result(!err && !first && !quiet && s1.hashed == s0.hashed &&
			 s1.skipped == s0.skipped + TEXT_PAGES,
			 "skip: a quiet check after the first hashes no page\n");
	ksft_test_result(!err && tampered == 1ULL << TAMPERED &&
			 remapped == (1ULL << TAMPERED | 1ULL << REMAPPED),
			 "skip: a patched page and a remapped page are hashed and found; the rest skipped\n");
	bl_hasher_free(x);
}

/* The same through the tracker, then a second writer turns it off. */
static void test_tracker(struct vmiaas *v, struct dirty_tracker *t,
			 const u8 *ram, struct vmm *m, int fd)
{
	char why[DIRTY_WHY_MAX];
	struct vmm other = {};
	bool before, written, kept;
	int err;

	err = dirty_check_begin(t);	/* the first starts an epoch */
	before = !err && dirty_frame_clean(t, ram + WRITTEN * 4096);
	err = err ?: vmm_do(m, 'w');
	err = err ?: dirty_check_begin(t);
	written = dirty_frame_clean(t, ram + WRITTEN * 4096);
	kept = dirty_frame_clean(t, ram + KEPT * 4096);
	ksft_test_result(!err && before && !written && kept,
			 "tracker: written page dirty (%d), kept page clean (%d)\n",
			 !written, kept);
	test_skip(v, t, m);
	dirty_close(t);
	t = NULL;
	err = vmm_start(fd, &other);
	err = err ?: dirty_open(v, &t, why);
	ksft_test_result(err == -EOPNOTSUPP && strstr(why, "also mapped writable"),
			 "a second writable mapper turns the tracker off: %s\n",
			 err ? why : "on");
	dirty_close(t);
	vmm_stop(&other);
}

int main(void)
{
	struct backend b = { .name = "shm" };
	struct vmiaas v = { .backend = &b };
	char why[DIRTY_WHY_MAX];
	struct dirty_tracker *t = NULL;
	struct vmm m = {};
	bool soft_dirty;
	int fd, err;
	u8 *ram;

	ksft_print_header();
	ksft_set_plan(7);
	test_pme();
	fd = memfd_create("vmiaas-test-ram", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, PAGES * 4096) || guest_write(fd) ||
	    vmm_start(fd, &m)) {
		ksft_print_msg("memfd or child: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	ram = mmap(NULL, PAGES * 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED ||
	    vmi_phys_add_range(&b.phys, 0, PAGES * 4096, ram)) {
		ksft_print_msg("mapping the memfd: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	v.kas = calloc(1, sizeof(*v.kas));
	if (!v.kas)
		return KSFT_FAIL;
	vmi_as_init(v.kas, &b.phys, PT_FRAME * 4096, false);
	if (!(vmm_pme(&m, KEPT) & (1ULL << 63)))
		ksft_print_msg("cannot read the child's pagemap\n");
	soft_dirty = vmm_pme(&m, KEPT) & (1ULL << 55);	/* new: soft-dirty */
	if (soft_dirty)
		test_facts(&m);
	else
		ksft_test_result_skip("soft-dirty facts: the host kernel keeps no soft-dirty bits\n");
	err = dirty_open(&v, &t, why);
	ksft_print_msg("tracker: %s\n", err ? why : "on");
	ksft_test_result(soft_dirty ?
			 !err || (err == -EOPNOTSUPP && strcmp(why, "?")) :
			 err == -EOPNOTSUPP && strstr(why, "keeps no soft-dirty"),
			 "tracker starts, or says why not (%d)\n", err);
	if (err) {
		ksft_test_result_skip("tracker: off: %s\n", why);
		ksft_test_result_skip("skip: tracker off\n");
		ksft_test_result_skip("skip, tampering: tracker off\n");
		ksft_test_result_skip("second writer: tracker off\n");
	} else {
		test_tracker(&v, t, ram, &m, fd);
	}
	vmm_stop(&m);
	ksft_finished();
}
