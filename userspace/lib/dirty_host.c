// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The privileged side of the soft-dirty skip (dirty.h): the VMM's /proc
 * files. Rules out writers the soft-dirty bits cannot see, starts epochs
 * (clear_refs) and answers which pages of the RAM file stayed clean, from
 * the VMM's pagemap. vmid's daemon runs it for its sandboxed workers
 * (docs/vmid.md); an in-process tracker (dirty_open()) calls it directly.
 * Nothing it returns holds a host frame number.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vmiaas/checks.h>

#include "dirty.h"

#define PAGE			4096ULL
#define PME_PRESENT		(1ULL << 63)
#define PME_SWAP		(1ULL << 62)
#define PME_SOFT_DIRTY		(1ULL << 55)
#define DIRTY_MAX_VMAS		16	/* VMM mappings of the RAM file */
#define DIRTY_MAX_PROCS		(1 << 16)

struct dirty_vma {
	u64 start, end, off;	/* host addresses, file offset of start */
};

struct vmiaas_dirty_host {
	pid_t want;		/* the VMM the caller named, 0: any */
	pid_t vmm;		/* the one the latest epoch found */
	u64 dev, ino;		/* the RAM file */
	int pagemap_fd;		/* of the VMM's mm at the epoch's start */
	bool armed;		/* an epoch runs: clean answers are sound */
	struct dirty_vma vmas[DIRTY_MAX_VMAS];
	size_t nr_vmas;
	u64 pm[VMIAAS_DIRTY_WINDOW];	/* one query's pagemap entries */
	u8 state[VMIAAS_DIRTY_WINDOW];	/* per page: PAGE_* below */
};

enum { PAGE_UNSEEN, PAGE_CLEAN, PAGE_DIRTY };

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

bool dirty_parse_maps_line(const char *s, struct dirty_maps_line *m)
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
static bool maps_ram(const struct vmiaas_dirty_host *t, const char *line,
		     struct dirty_maps_line *m)
{
	return dirty_parse_maps_line(line, m) && m->dev == t->dev &&
	       m->ino == t->ino;
}

/* The VMM's shared mappings of the RAM file, from /proc/PID/maps. */
static int read_vmm_vmas(struct vmiaas_dirty_host *t, pid_t pid,
			 struct dirty_vma *vmas, size_t *ret_nr)
{
	FILE *f = proc_fopen(pid, "maps");
	struct dirty_maps_line m;
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
static int maps_file(struct vmiaas_dirty_host *t, pid_t pid)
{
	FILE *f = proc_fopen(pid, "maps");
	struct dirty_maps_line m;
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
static int find_vmm(struct vmiaas_dirty_host *t, char *why)
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
static int check_vmm_flags(struct vmiaas_dirty_host *t, char *why)
{
	FILE *f = proc_fopen(t->vmm, "smaps");
	struct dirty_maps_line m;
	bool ours = false;
	char line[512];
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (dirty_parse_maps_line(line, &m))
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


/* ---- the host handle ---- */

static int host_fail(char *why, size_t size, const char *reason, int err)
{
	snprintf(why, size, "%s", reason);
	return err;
}

int vmiaas_dirty_host_open(pid_t vmm, const char *ram_path,
			   struct vmiaas_dirty_host **ret, char *why,
			   size_t size)
{
	struct stat st;

	if (vmiaas_soft_dirty_probe(why, size) < 0)
		return -EOPNOTSUPP;
	if (stat(ram_path, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, size, "cannot stat the RAM file %.200s: %s",
			 ram_path, errno ? strerror(errno) : "not a file");
		return -EOPNOTSUPP;
	}
	return dirty_host_new(vmm, (u64)major(st.st_dev) << 32 |
			      minor(st.st_dev), st.st_ino, ret);
}

int dirty_host_new(pid_t vmm, u64 dev, u64 ino,
		   struct vmiaas_dirty_host **ret)
{
	struct vmiaas_dirty_host *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->want = vmm;
	h->dev = dev;
	h->ino = ino;
	h->pagemap_fd = -1;
	*ret = h;
	return 0;
}

void vmiaas_dirty_host_close(struct vmiaas_dirty_host *h)
{
	if (!h)
		return;
	if (h->pagemap_fd >= 0)
		close(h->pagemap_fd);
	free(h);
}

static bool nested_on(void)
{
	return sysfs_yes("/sys/module/kvm_intel/parameters/nested") ||
	       sysfs_yes("/sys/module/kvm_amd/parameters/nested");
}

/* Everything on the host that must hold for the skip to be sound. */
static int check_host(struct vmiaas_dirty_host *h, bool *ret_kvm, char *why)
{
	int err;

	err = find_vmm(h, why);
	if (!err && h->want && h->vmm != h->want) {
		snprintf(why, DIRTY_WHY_MAX,
			 "the RAM file's writer is PID %d, not the VMM watched (PID %d)",
			 (int)h->vmm, (int)h->want);
		err = -EOPNOTSUPP;
	}
	err = err ?: check_vmm_fds(h->vmm, ret_kvm, why);
	err = err ?: check_vmm_flags(h, why);
	if (!err)
		err = read_vmm_vmas(h, h->vmm, h->vmas, &h->nr_vmas);
	return err;
}

static bool same_vmas(const struct dirty_vma *a, size_t na,
		      const struct dirty_vma *b, size_t nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

/*
 * Write-protects the VMM's address space: every page clean from now. The
 * descriptors are opened afresh: a pagemap descriptor reads the mm it was
 * opened on, so one from before an exec would read nothing (all dirty)
 * for good.
 */
static int host_clear(struct vmiaas_dirty_host *h, char *why)
{
	struct dirty_vma vmas[DIRTY_MAX_VMAS];
	size_t nr = 0;
	int clear_fd, err = 0;

	if (h->pagemap_fd >= 0)
		close(h->pagemap_fd);
	h->pagemap_fd = open_proc(h->vmm, "pagemap", O_RDONLY, why);
	clear_fd = open_proc(h->vmm, "clear_refs", O_WRONLY, why);
	if (h->pagemap_fd < 0 || clear_fd < 0)
		err = -EOPNOTSUPP;
	else if (pwrite(clear_fd, "4", 1, 0) != 1)
		err = -errno;
	if (clear_fd >= 0)
		close(clear_fd);
	if (err == -EOPNOTSUPP)
		return err;
	if (err) {
		snprintf(why, DIRTY_WHY_MAX,
			 "clearing the VMM's soft-dirty bits: %s", strerror(-err));
		return err;
	}
	/*
	 * A mapping QEMU made between reading its maps and the clear would
	 * now look clean at an address we do not watch: read them again.
	 * After the clear, a new mapping is soft-dirty (VM_SOFTDIRTY) and
	 * a moved one leaves unmapped (not clean) addresses behind.
	 */
	err = read_vmm_vmas(h, h->vmm, vmas, &nr);
	if (err || !same_vmas(vmas, nr, h->vmas, h->nr_vmas)) {
		snprintf(why, DIRTY_WHY_MAX,
			 "QEMU's mappings of guest RAM changed during the clear");
		return err ?: -EAGAIN;
	}
	return 0;
}

int vmiaas_dirty_host_epoch(struct vmiaas_dirty_host *h, uint64_t dev,
			    uint64_t ino, char *why, size_t size)
{
	char reason[DIRTY_WHY_MAX] = "?";
	bool kvm = false;
	int err;

	h->armed = false;
	if (dev != h->dev || ino != h->ino)
		return host_fail(why, size,
				 "the worker's RAM file is not the one the VMM maps",
				 -EOPNOTSUPP);
	err = check_host(h, &kvm, reason);
	err = err ?: host_clear(h, reason);
	if (err)
		return host_fail(why, size, reason, err);
	h->armed = true;
	return kvm && nested_on() ? VMIAAS_DIRTY_NESTED : 0;
}

/*
 * Marks the pages of [@first, @first + VMIAAS_DIRTY_WINDOW) that the VMM
 * maps at @m: clean if its PTE is present and not soft-dirty, else dirty
 * (for good: a page is clean only where every mapping of it is).
 */
static void host_scan_vma(struct vmiaas_dirty_host *h,
			  const struct dirty_vma *m, u64 first)
{
	u64 vfirst = m->off / PAGE, vend = vfirst + (m->end - m->start) / PAGE;
	u64 lo = first > vfirst ? first : vfirst, i, got;
	u64 hi = first + VMIAAS_DIRTY_WINDOW < vend ?
		 first + VMIAAS_DIRTY_WINDOW : vend;
	ssize_t n;

	if (lo >= hi)
		return;
	n = pread(h->pagemap_fd, h->pm, (hi - lo) * sizeof(u64),
		  (off_t)((m->start / PAGE + lo - vfirst) * sizeof(u64)));
	got = n > 0 ? (u64)n / sizeof(u64) : 0;
	for (i = 0; i < hi - lo; i++) {
		u8 *s = &h->state[lo - first + i];

		if (i < got && dirty_pme_clean(h->pm[i]) && *s != PAGE_DIRTY)
			*s = PAGE_CLEAN;
		else
			*s = PAGE_DIRTY;
	}
}

int vmiaas_dirty_host_clean(struct vmiaas_dirty_host *h, uint64_t first,
			    uint8_t bits[VMIAAS_DIRTY_WINDOW / 8])
{
	size_t i;

	memset(bits, 0, VMIAAS_DIRTY_WINDOW / 8);
	if (!h->armed || first % VMIAAS_DIRTY_WINDOW ||
	    first > UINT64_MAX / PAGE - VMIAAS_DIRTY_WINDOW)
		return 0;
	memset(h->state, PAGE_UNSEEN, sizeof(h->state));
	for (i = 0; i < h->nr_vmas; i++)
		host_scan_vma(h, &h->vmas[i], first);
	for (i = 0; i < VMIAAS_DIRTY_WINDOW; i++)
		if (h->state[i] == PAGE_CLEAN)
			bits[i / 8] |= 1U << (i % 8);
	return 0;
}
