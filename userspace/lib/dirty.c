// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Soft-dirty page skipping for checks: see dirty.h, and docs/integrity.md
 * ("A check after no change") for why it holds against the guest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmiaas/checks.h>

#include "dirty.h"
#include "engine.h"

#define PAGE			4096ULL
#define PME_PRESENT		(1ULL << 63)
#define PME_SWAP		(1ULL << 62)
#define PME_SOFT_DIRTY		(1ULL << 55)
#define DIRTY_MAX_VMAS		16	/* VMM mappings of the RAM file */
#define DIRTY_MAX_RANGES	4096	/* measured ranges tracked */
#define DIRTY_PM_BLOCK		512	/* pagemap entries per read */
#define DIRTY_EPOCH_CHECKS	100	/* checks before a new epoch */
#define DIRTY_REARM_PAGES	256	/* verified pages found dirty in a check */
#define DIRTY_MAX_PROCS		(1 << 16)

struct dirty_vma {
	u64 start, end, off;	/* host addresses, file offset of start */
};

struct dirty_range {
	const u8 *digests;	/* the baseline's: identifies the range */
	u64 start, end, epoch;
	u32 digest_size;
	u64 *frame;		/* per page: verified guest frame + 1, or 0 */
	u8 *verified;		/* per page: the digest it was verified with */
};

struct dirty_tracker {
	struct vmiaas *v;
	pid_t vmm;
	int pagemap_fd, clear_fd;
	u64 dev, ino;		/* the RAM file */
	const u8 *self_base;	/* our mapping of it */
	u64 self_len, self_off;
	struct dirty_vma vmas[DIRTY_MAX_VMAS];
	size_t nr_vmas;
	u64 epoch, checks_in_epoch, dirty_this_check;
	bool rearm_due;
	u64 pm_first;		/* pagemap cache: entries from this page */
	u64 pm[DIRTY_PM_BLOCK];
	bool pm_valid;
	struct dirty_range *ranges;
	size_t nr_ranges;
	struct dirty_stats stats;
};

bool dirty_pme_clean(u64 pme)
{
	return (pme & PME_PRESENT) && !(pme & (PME_SWAP | PME_SOFT_DIRTY));
}

/* ---- probing the host ---- */

/* Does this kernel keep soft-dirty bits? New mappings are soft-dirty. */
static bool kernel_has_soft_dirty(void)
{
	u8 *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u64 pme = 0;
	int fd;

	if (p == MAP_FAILED)
		return false;
	p[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &pme, sizeof(pme),
			     (uintptr_t)p / PAGE * sizeof(pme)) != sizeof(pme))
		pme = 0;
	if (fd >= 0)
		close(fd);
	munmap(p, PAGE);
	return pme & PME_SOFT_DIRTY;
}

int vmiaas_soft_dirty_probe(char *why, size_t size)
{
	if (kernel_has_soft_dirty())
		return 0;
	snprintf(why, size,
		 "the host kernel keeps no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY)");
	return -EOPNOTSUPP;
}

struct maps_line {
	u64 start, end, off, dev, ino;
	char perms[8];
};

static bool parse_maps_line(const char *s, struct maps_line *m)
{
	unsigned int maj, min;
	unsigned long long ino;

	if (sscanf(s, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %llu",
		   &m->start, &m->end, m->perms, &m->off, &maj, &min,
		   &ino) != 7)
		return false;
	m->dev = (u64)maj << 32 | min;
	m->ino = ino;
	return true;
}

static FILE *proc_fopen(pid_t pid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	return fopen(path, "re");
}

/* A line of a maps or smaps file that maps the RAM file. */
static bool maps_ram(const struct dirty_tracker *t, const char *line,
		     struct maps_line *m)
{
	return parse_maps_line(line, m) && m->dev == t->dev &&
	       m->ino == t->ino;
}

/* Our own mapping of @p: the RAM file's identity and offset. */
static int find_self_mapping(struct dirty_tracker *t, const u8 *p,
			     char *why)
{
	FILE *f = fopen("/proc/self/maps", "re");
	struct maps_line m;
	char line[512];
	int err = -EOPNOTSUPP;

	snprintf(why, DIRTY_WHY_MAX, "guest RAM is not a file mapping here");
	while (f && fgets(line, sizeof(line), f)) {
		if (!parse_maps_line(line, &m) || (uintptr_t)p < m.start ||
		    (uintptr_t)p >= m.end)
			continue;
		if (m.ino) {
			t->dev = m.dev;
			t->ino = m.ino;
			t->self_base = (const u8 *)(uintptr_t)m.start;
			t->self_len = m.end - m.start;
			t->self_off = m.off;
			err = 0;
		}
		break;
	}
	if (f)
		fclose(f);
	return err;
}

/* The VMM's shared mappings of the RAM file, from /proc/PID/maps. */
static int read_vmm_vmas(struct dirty_tracker *t, pid_t pid,
			 struct dirty_vma *vmas, size_t *ret_nr)
{
	FILE *f = proc_fopen(pid, "maps");
	struct maps_line m;
	char line[512];
	size_t n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!maps_ram(t, line, &m) || m.perms[3] != 's')
			continue;
		if (n == DIRTY_MAX_VMAS) {
			fclose(f);
			return -E2BIG;
		}
		vmas[n++] = (struct dirty_vma){ m.start, m.end, m.off };
	}
	fclose(f);
	*ret_nr = n;
	return 0;
}

/*
 * 1 if @pid maps the RAM file writable and shared (its writes reach the
 * file), 0 if not, -1 if its mappings cannot be read (then nothing can be
 * ruled out). A process gone meanwhile maps nothing.
 */
static int maps_file(struct dirty_tracker *t, pid_t pid)
{
	FILE *f = proc_fopen(pid, "maps");
	struct maps_line m;
	char line[512];
	int how = 0;

	if (!f)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	while (fgets(line, sizeof(line), f) && !how)
		how = maps_ram(t, line, &m) && m.perms[1] == 'w' &&
		      m.perms[3] == 's';
	if (ferror(f))
		how = -1;
	fclose(f);
	return how;
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	FILE *f = proc_fopen(pid, "comm");

	if (!f || !fgets(buf, (int)len, f))
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/*
 * Exactly one process may map the RAM file writable: the VMM. A second
 * (a vhost-user backend, anything handed the file) writes through page
 * tables the tracker does not watch.
 */
static int find_vmm(struct dirty_tracker *t, char *why)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t pid, self = getpid();
	char comm[32];
	int nr = 0, how, err = 0;

	t->vmm = 0;
	while (d && !err && (e = readdir(d)) && nr < DIRTY_MAX_PROCS) {
		pid = (pid_t)atoi(e->d_name);
		if (pid <= 0 || pid == self)
			continue;
		how = maps_file(t, pid);
		if (how < 0) {
			snprintf(why, DIRTY_WHY_MAX,
				 "cannot read /proc/%d/maps to rule out another writer of the RAM file",
				 (int)pid);
			err = -EOPNOTSUPP;
		}
		if (how != 1)
			continue;
		nr++;
		if (!t->vmm) {
			t->vmm = pid;
			continue;
		}
		comm_of(pid, comm, sizeof(comm));
		snprintf(why, DIRTY_WHY_MAX,
			 "the RAM file is also mapped writable by PID %d (%s), besides the VMM (PID %d): its writes bypass the VMM's soft-dirty bits",
			 (int)pid, comm, (int)t->vmm);
		err = -EOPNOTSUPP;
	}
	if (d)
		closedir(d);
	else
		err = -errno;
	if (!err && !t->vmm) {
		snprintf(why, DIRTY_WHY_MAX,
			 "no process maps the RAM file writable and shared (the VMM is not visible from here)");
		err = -EOPNOTSUPP;
	}
	return err;
}

/*
 * The VMM's open files. VFIO or iommufd: device DMA writes guest RAM
 * below any page table. A KVM VM (*ret_kvm): see check_nested().
 */
static int check_vmm_fds(pid_t pid, bool *ret_kvm, char *why)
{
	char path[64], link[256], fdpath[320];
	struct dirent *e;
	ssize_t n;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d) {
		snprintf(why, DIRTY_WHY_MAX,
			 "cannot list the VMM's (PID %d) file descriptors to rule out VFIO devices",
			 (int)pid);
		return -EOPNOTSUPP;
	}
	while (!err && (e = readdir(d))) {
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:kvm-vm"))
			*ret_kvm = true;
		if (strncmp(link, "/dev/vfio/", 10) && strcmp(link, "/dev/iommu"))
			continue;
		snprintf(why, DIRTY_WHY_MAX,
			 "the VMM (PID %d) has %.64s open: device DMA writes guest RAM without soft-dirty bits",
			 (int)pid, link);
		err = -EOPNOTSUPP;
	}
	closedir(d);
	return err;
}

/* The VMM's VMAs of the file: hugetlbfs and PFN maps keep no soft-dirty. */
static int check_vmm_flags(struct dirty_tracker *t, char *why)
{
	FILE *f = proc_fopen(t->vmm, "smaps");
	struct maps_line m;
	bool ours = false;
	char line[512];
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (parse_maps_line(line, &m))
			ours = maps_ram(t, line, &m);
		else if (ours && !strncmp(line, "VmFlags:", 8) &&
			 (strstr(line, " ht") || strstr(line, " pf")))
			err = -EOPNOTSUPP;
	}
	fclose(f);
	if (err)
		snprintf(why, DIRTY_WHY_MAX,
			 "guest RAM is on hugetlbfs or a PFN mapping in the VMM: no soft-dirty bits there");
	return err;
}

static bool sysfs_yes(const char *path)
{
	char buf[8] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] == 'Y' || buf[0] == '1';
}

static bool qom_says(struct qmp *q, const char *cmd, const char *want)
{
	char *out = NULL;
	bool ok;

	ok = !qmp_hmp(q, cmd, &out) && out && strstr(out, want);
	free(out);
	return ok;
}

/*
 * With nested virtualization KVM maps pages an L1 guest names (an L2's
 * virtual-APIC page, posted-interrupt descriptor) for the CPU to write
 * directly, past the VMM's page tables. A VMM without a KVM VM (TCG), a
 * host with nesting off, or a guest CPU without VMX/SVM (QEMU's CPU
 * properties, over QMP) rules that out.
 */
static int check_nested(struct vmiaas *v, bool kvm, char *why)
{
	static const char cpu[] = "qom-get /machine/unattached/device[0]";
	struct qmp *q = v->backend->qmp;

	if (!kvm)
		return 0;
	if (!sysfs_yes("/sys/module/kvm_intel/parameters/nested") &&
	    !sysfs_yes("/sys/module/kvm_amd/parameters/nested"))
		return 0;
	if (q && qom_says(q, "qom-get /machine/unattached/device[0] type",
			  "-cpu\"") &&
	    qom_says(q, "qom-get /machine/unattached/device[0] vmx", "false") &&
	    qom_says(q, "qom-get /machine/unattached/device[0] svm", "false"))
		return 0;
	snprintf(why, DIRTY_WHY_MAX,
		 "KVM nested virtualization is enabled and the guest's CPU may have VMX/SVM (%s: %s): KVM lets the CPU write pages the guest names, past the VMM's page tables",
		 cpu, q ? "not confirmed off" : "no QMP");
	return -EOPNOTSUPP;
}

/* Everything that must hold for the skip to be sound; @why if not. */
static int check_host(struct dirty_tracker *t, char *why)
{
	bool kvm = false;
	int err;

	err = find_vmm(t, why);
	err = err ?: check_vmm_fds(t->vmm, &kvm, why);
	err = err ?: check_vmm_flags(t, why);
	err = err ?: check_nested(t->v, kvm, why);
	if (!err)
		err = read_vmm_vmas(t, t->vmm, t->vmas, &t->nr_vmas);
	return err;
}

static int open_proc(pid_t pid, const char *name, int flags, char *why)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		snprintf(why, DIRTY_WHY_MAX, "cannot open %s: %s", path,
			 strerror(errno));
	return fd < 0 ? -EOPNOTSUPP : fd;
}

int dirty_open(struct vmiaas *v, struct dirty_tracker **ret,
	       char why[DIRTY_WHY_MAX])
{
	const struct vmi_phys *phys = &v->backend->phys;
	struct dirty_tracker *t;
	const u8 *p;
	int err;

	snprintf(why, DIRTY_WHY_MAX, "?");
	err = vmiaas_soft_dirty_probe(why, DIRTY_WHY_MAX);
	if (err)
		return err;
	p = phys->nr_ranges ? vmi_phys_ptr(phys, phys->ranges[0].gpa, 1) : NULL;
	if (!p) {
		snprintf(why, DIRTY_WHY_MAX,
			 "the %s backend does not map guest RAM", v->backend->name);
		return -EOPNOTSUPP;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct dirty_tracker){
		.v = v, .pagemap_fd = -1, .clear_fd = -1, .rearm_due = true,
	};
	err = find_self_mapping(t, p, why);
	err = err ?: check_host(t, why);
	if (!err) {
		t->pagemap_fd = open_proc(t->vmm, "pagemap", O_RDONLY, why);
		t->clear_fd = open_proc(t->vmm, "clear_refs", O_WRONLY, why);
		if (t->pagemap_fd < 0 || t->clear_fd < 0)
			err = -EOPNOTSUPP;
	}
	if (err) {
		dirty_close(t);
		return err;
	}
	*ret = t;
	return 0;
}

void dirty_close(struct dirty_tracker *t)
{
	size_t i;

	if (!t)
		return;
	if (t->pagemap_fd >= 0)
		close(t->pagemap_fd);
	if (t->clear_fd >= 0)
		close(t->clear_fd);
	for (i = 0; i < t->nr_ranges; i++) {
		free(t->ranges[i].frame);
		free(t->ranges[i].verified);
	}
	free(t->ranges);
	free(t);
}

/* ---- epochs ---- */

static bool same_vmas(const struct dirty_vma *a, size_t na,
		      const struct dirty_vma *b, size_t nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

/* Write-protects the VMM's address space: every page clean from now. */
static int rearm(struct dirty_tracker *t)
{
	struct dirty_vma vmas[DIRTY_MAX_VMAS];
	char why[DIRTY_WHY_MAX];
	pid_t vmm = t->vmm;
	size_t nr = 0;
	int err;

	err = check_host(t, why);
	if (!err && t->vmm != vmm) {
		snprintf(why, DIRTY_WHY_MAX, "the VMM is PID %d now, not %d",
			 (int)t->vmm, (int)vmm);
		err = -ESTALE;
	}
	t->vmm = vmm;
	if (err)
		return engine_fail(t->v, err, "soft-dirty skip: %s", why);
	if (pwrite(t->clear_fd, "4", 1, 0) != 1)
		return engine_fail(t->v, -errno,
				   "soft-dirty skip: clearing the VMM's soft-dirty bits: %s",
				   strerror(errno));
	/*
	 * A mapping QEMU made between reading its maps and the clear would
	 * now look clean at an address we do not watch: read them again.
	 * After the clear, a new mapping is soft-dirty (VM_SOFTDIRTY) and
	 * a moved one leaves unmapped (not clean) addresses behind.
	 */
	err = read_vmm_vmas(t, t->vmm, vmas, &nr);
	if (err || !same_vmas(vmas, nr, t->vmas, t->nr_vmas))
		return engine_fail(t->v, err ?: -EAGAIN,
				   "soft-dirty skip: QEMU's mappings of guest RAM changed during the clear");
	t->epoch++;
	t->stats.epochs++;
	t->checks_in_epoch = 0;
	t->rearm_due = false;
	return 0;
}

/*
 * QEMU's mappings are re-read only when an epoch starts: within one, a
 * mapping QEMU replaces or moves shows as soft-dirty (new VMAs carry
 * VM_SOFTDIRTY, mremap marks moved PTEs) or not present at the old
 * address, so every page there is hashed.
 */
int dirty_check_begin(struct dirty_tracker *t)
{
	/* a translation cached by an earlier check must not name the frame */
	vmi_as_flush(t->v->kas);
	t->pm_valid = false;
	if (t->dirty_this_check > DIRTY_REARM_PAGES ||
	    ++t->checks_in_epoch > DIRTY_EPOCH_CHECKS)
		t->rearm_due = true;
	t->dirty_this_check = 0;
	return t->rearm_due ? rearm(t) : 0;
}

/* ---- pages ---- */

/* The pagemap entry of the VMM's page at host address @hva (0: none). */
static u64 pagemap_entry(struct dirty_tracker *t, u64 hva)
{
	u64 pfn = hva / PAGE;
	ssize_t n;

	if (!t->pm_valid || pfn < t->pm_first ||
	    pfn - t->pm_first >= DIRTY_PM_BLOCK) {
		t->pm_first = pfn & ~(u64)(DIRTY_PM_BLOCK - 1);
		n = pread(t->pagemap_fd, t->pm, sizeof(t->pm),
			  (off_t)(t->pm_first * sizeof(u64)));
		if (n < (ssize_t)sizeof(u64)) {
			t->pm_valid = false;
			return 0;
		}
		if (n < (ssize_t)sizeof(t->pm))
			memset((u8 *)t->pm + n, 0, sizeof(t->pm) - n);
		t->pm_valid = true;
	}
	return t->pm[pfn - t->pm_first];
}

bool dirty_frame_clean(struct dirty_tracker *t, const u8 *ptr)
{
	u64 off = (u64)(ptr - t->self_base) + t->self_off;
	size_t i;

	if (ptr < t->self_base || (u64)(ptr - t->self_base) >= t->self_len)
		return false;

	for (i = 0; i < t->nr_vmas; i++) {
		const struct dirty_vma *m = &t->vmas[i];

		if (off >= m->off && off - m->off < m->end - m->start)
			return dirty_pme_clean(pagemap_entry(t, m->start +
							     off - m->off));
	}
	return false;
}

/*
 * The state of @reg. A baseline freed and another loaded at the same
 * address finds this state: each page also keeps the digest it was
 * verified against, and only that digest is ever taken as its own.
 */
static struct dirty_range *range_get(struct dirty_tracker *t,
				     const struct bl_region *reg, u32 ds)
{
	u64 nr = vmi_measure_nr_pages(reg->start, reg->end);
	struct dirty_range *r;
	size_t i;

	for (i = 0; i < t->nr_ranges; i++) {
		r = &t->ranges[i];
		if (r->digests == reg->digests && r->start == reg->start &&
		    r->end == reg->end && r->digest_size == ds)
			return r;
	}
	if (t->nr_ranges == DIRTY_MAX_RANGES)
		return NULL;
	r = realloc(t->ranges, (t->nr_ranges + 1) * sizeof(*r));
	if (!r)
		return NULL;
	t->ranges = r;
	r = &t->ranges[t->nr_ranges];
	*r = (struct dirty_range){
		.digests = reg->digests, .start = reg->start, .end = reg->end,
		.digest_size = ds, .frame = calloc(nr, sizeof(u64)),
		.verified = calloc(nr, ds),
	};
	if (!r->frame || !r->verified) {
		free(r->frame);
		free(r->verified);
		return NULL;
	}
	t->nr_ranges++;
	return r;
}

/*
 * One page chunk [@va, @end) of a tracked range: its digest from the
 * baseline when proven unchanged, else hashed from the frame it
 * translates to now (the very frame then recorded as verified).
 */
static int chunk_measure(struct dirty_tracker *t, struct dirty_range *dr,
			 u64 i, u64 va, u64 end, const u8 *want,
			 const struct vmi_read_ops *r,
			 const struct vmi_hash_ops *h, u8 *page, u8 *out)
{
	struct vmi_xlate x;
	const u8 *data = NULL;
	u64 frame = 0;
	int err;

	if (!vmi_as_translate(t->v->kas, va, &x)) {
		data = vmi_phys_ptr(&t->v->backend->phys, x.gpa, end - va);
		frame = (x.gpa & ~(PAGE - 1)) + 1;
	}
	if (data && dr->frame[i] == frame &&
	    !memcmp(dr->verified + i * h->digest_size, want, h->digest_size)) {
		if (dirty_frame_clean(t, data)) {
			memcpy(out, want, h->digest_size);
			t->stats.skipped++;
			return 0;
		}
		t->dirty_this_check++;	/* verified, then written */
	}
	dr->frame[i] = 0;
	t->stats.hashed++;
	if (!data)
		return vmi_measure_range(r, h, va, end, page, out, 1);
	err = h->digest(h->ctx, va, data, end - va, out);
	if (!err && !memcmp(out, want, h->digest_size)) {
		dr->frame[i] = frame;
		memcpy(dr->verified + i * h->digest_size, out, h->digest_size);
	}
	return err;
}

int dirty_measure_range(struct dirty_tracker *t, const struct bl_region *reg,
			const struct vmi_read_ops *r,
			const struct vmi_hash_ops *h, u8 *page, u8 *digests)
{
	u64 nr = vmi_measure_nr_pages(reg->start, reg->end), i, va, next;
	u32 ds = h->digest_size;
	struct dirty_range *dr = t->rearm_due ? NULL : range_get(t, reg, ds);
	int err = 0;

	if (!dr)
		return vmi_measure_range(r, h, reg->start, reg->end, page,
					 digests, nr);
	if (dr->epoch != t->epoch) {
		memset(dr->frame, 0, nr * sizeof(u64));
		dr->epoch = t->epoch;
	}
	for (i = 0, va = reg->start; !err && i < nr; i++, va = next) {
		next = (va & ~(PAGE - 1)) + PAGE;
		if (next > reg->end || next < va)
			next = reg->end;
		err = chunk_measure(t, dr, i, va, next, reg->digests + i * ds,
				    r, h, page, digests + i * ds);
	}
	return err;
}

void dirty_get_stats(const struct dirty_tracker *t, struct dirty_stats *ret)
{
	*ret = t->stats;
}
