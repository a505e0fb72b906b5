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

#define PAGES		16
#define UNTOUCHED	15	/* the child never maps this page in */
#define WRITTEN		3	/* the child writes it after the clear */
#define KEPT		5	/* ... and not this one */

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
	for (i = 0; i < PAGES; i++)
		if (i != UNTOUCHED)
			ram[i * 4096] = (u8)i;
	if (write(ack, &ram, sizeof(ram)) != sizeof(ram))
		_exit(1);
	while (write(ack, "r", 1) == 1 && read(cmd, &c, 1) == 1) {
		if (c == 'w')
			ram[WRITTEN * 4096 + 100] ^= 0x5a;
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
	ksft_set_plan(5);
	test_pme();
	fd = memfd_create("vmiaas-test-ram", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, PAGES * 4096) || vmm_start(fd, &m)) {
		ksft_print_msg("memfd or child: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	ram = mmap(NULL, PAGES * 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED ||
	    vmi_phys_add_range(&b.phys, 0, PAGES * 4096, ram)) {
		ksft_print_msg("mapping the memfd: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
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
		ksft_test_result_skip("second writer: tracker off\n");
	} else {
		test_tracker(&v, t, ram, &m, fd);
	}
	vmm_stop(&m);
	ksft_finished();
}
