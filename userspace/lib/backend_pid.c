// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * "pid": a running QEMU process, read with process_vm_readv().
 *
 * QEMU 7.2 does not tell where a RAM block lives in its address space
 * ("info ramblock" has no host address), so we find it: candidate
 * mappings in /proc/PID/maps at least as large as the block (anonymous,
 * memfd, or a memory-backend file), confirmed by comparing guest bytes
 * QEMU shows us (HMP "xp") with each candidate's bytes at the same block
 * offsets. Without QMP the largest plausible mapping is taken unconfirmed
 * (layout "largest-mapping", placed by the -m size on QEMU's command line
 * when the mapping is larger): the engine validates it by finding the
 * kernel.
 *
 * Reads of up to a page go through a small direct-mapped cache of whole
 * pages: the walkers read 8 bytes at a time, mostly near the last read,
 * and one process_vm_readv() costs ~0.5-1 us whatever its size up to a
 * page, against ~25 ns for a hit (measured on QEMU 7.2 TCG, 2 cores). A
 * cached page lives at most PID_CACHE_TTL_NS, and backend_invalidate()
 * (also called by refresh_vcpus) drops all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "backend.h"
#include "qemu_cmdline.h"

#define PID_LINE		4096u
#define PID_CACHE_LINES		64u
#define PID_CACHE_TTL_NS	(100ull * 1000 * 1000)
#define PID_MAX_CANDIDATES	64
#define PID_MIN_GUESS		(16ull << 20)	/* no-QMP guess: >= 16 MiB */
#define PID_SAMPLES		12		/* xp probes, 8 qwords each */
#define PID_RAM_ALIGN		(2ull << 20)	/* QEMU_VMALLOC_ALIGN */
#define PID_PLACES_PER_VMA	128
#define PID_MAX_PLACES		1024

struct pid_cache_line {
	u64 gpa;		/* page-aligned; valid if gen matches */
	u64 gen;
	u64 born_ns;
	u8 data[PID_LINE];
};

struct pid_priv {
	pid_t pid;
	u64 hva;		/* where the RAM block starts in QEMU */
	u64 block_size;
	struct backend_ram_map maps[BACKEND_MAX_MAPS];
	size_t nr_maps;
	u64 gen;		/* bumped by invalidate; entries start at 0 */
	struct pid_cache_line *cache;
	u64 hits, misses;
	void *map;		/* zero-copy mapping of file-backed RAM */
	size_t map_len;
	int mem_fd;		/* /proc/PID/mem for writes; 0 until opened */
	int rd_fd;		/* /proc/PID/mem read-only, -1: none */
	bool via_fd;		/* process_vm_readv() was refused: rd_fd */
};

struct pid_vma {
	u64 start, end, offset;
	char path[256];
};

/* Where in a candidate mapping the RAM block might start. */
struct pid_place {
	u64 hva;
	unsigned int vma;
	unsigned int score;
};

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static int pid_vm_readv(pid_t pid, u64 hva, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)hva, .iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/*
 * process_vm_readv() checks ptrace access to QEMU at every call, which
 * vmid's worker loses when it drops its capabilities: a root QEMU's
 * permitted capabilities are not a subset of its empty set, and Yama's
 * ptrace_scope 1 wants CAP_SYS_PTRACE. /proc/PID/mem is checked once, at
 * open: opened with the backend, it goes on reading this process, and
 * no other, after the drop. From the first refusal on, reads use it.
 */
static int pid_readv(struct pid_priv *p, u64 hva, void *buf, size_t len)
{
	ssize_t n;
	int err;

	if (!p->via_fd) {
		err = pid_vm_readv(p->pid, hva, buf, len);
		if ((err != -EPERM && err != -EACCES) || p->rd_fd < 0)
			return err;
		p->via_fd = true;
	}
	n = pread(p->rd_fd, buf, len, (off_t)hva);
	if (n < 0)
		return errno == EIO ? -EFAULT : -errno;	/* EIO: not mapped */
	return (size_t)n == len ? 0 : -EFAULT;
}

static int pid_hva(struct pid_priv *p, u64 gpa, size_t len, u64 *ret)
{
	size_t i;

	for (i = 0; i < p->nr_maps; i++) {
		const struct backend_ram_map *m = &p->maps[i];

		if (gpa >= m->gpa && gpa - m->gpa < m->size &&
		    len <= m->size - (gpa - m->gpa)) {
			*ret = p->hva + m->offset + (gpa - m->gpa);
			return 0;
		}
	}
	return -EFAULT;
}

static int pid_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct pid_priv *p = ctx;
	struct pid_cache_line *c;
	u64 page = gpa & ~(u64)(PID_LINE - 1), hva, now;
	int err;

	if (!p->cache || (gpa & (PID_LINE - 1)) + len > PID_LINE) {
		err = pid_hva(p, gpa, len, &hva);
		return err ? err : pid_readv(p, hva, buf, len);
	}
	c = &p->cache[(page / PID_LINE) % PID_CACHE_LINES];
	now = mono_ns();
	if (c->gen != p->gen || c->gpa != page ||
	    now - c->born_ns > PID_CACHE_TTL_NS) {
		/* A page straddling a range's end is read uncached. */
		if (pid_hva(p, page, PID_LINE, &hva) < 0) {
			err = pid_hva(p, gpa, len, &hva);
			return err ? err : pid_readv(p, hva, buf, len);
		}
		c->gen = 0;
		err = pid_readv(p, hva, c->data, PID_LINE);
		if (err < 0)
			return err;
		c->gen = p->gen;
		c->gpa = page;
		c->born_ns = now;
		p->misses++;
	} else {
		p->hits++;
	}
	memcpy(buf, c->data + (gpa - page), len);
	return 0;
}

static void pid_invalidate(struct backend *b)
{
	struct pid_priv *p = b->priv;

	p->gen++;
}

/*
 * /proc/PID/mem, opened while the caller may still ptrace QEMU: the
 * access check is made at open, so the descriptor keeps working after
 * the caller drops its capabilities (vmid's worker does).
 */
static int pid_mem_open(pid_t pid, int flags)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	return open(path, flags | O_CLOEXEC);
}

static int pid_write_open(struct backend *b)
{
	struct pid_priv *p = b->priv;

	if (p->mem_fd > 0)
		return 0;
	p->mem_fd = pid_mem_open(p->pid, O_RDWR);
	return p->mem_fd < 0 ? -errno : 0;
}

/* Into QEMU's RAM block, then the cache forgets what it held. */
static int pid_write(struct backend *b, u64 gpa, const void *buf, size_t len)
{
	struct pid_priv *p = b->priv;
	u64 hva;
	ssize_t n;
	int err;

	if (p->mem_fd <= 0)
		return -EBADF;
	err = pid_hva(p, gpa, len, &hva);
	if (err)
		return err;
	n = pwrite(p->mem_fd, buf, len, (off_t)hva);
	p->gen++;
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static void pid_destroy(struct backend *b)
{
	struct pid_priv *p = b->priv;

	if (p->map)
		munmap(p->map, p->map_len);
	if (p->mem_fd > 0)
		close(p->mem_fd);
	if (p->rd_fd >= 0)
		close(p->rd_fd);
	free(p->cache);
	free(p);
}

/*
 * QEMU's RAM backed by a file or memfd (libvirt's memfd backing, a
 * memory-backend-file) is mapped through /proc/PID/map_files, zero-copy
 * like the shm backend; that needs CAP_SYS_ADMIN. Anonymous RAM, or no
 * permission, leaves the copying path.
 */
static void pid_map_ram(struct pid_priv *p, const struct pid_vma *vma)
{
	u64 skip = p->hva - vma->start;
	char path[96];
	void *map;
	int fd;

	if (!vma->path[0])
		return;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx",
		 (int)p->pid, (unsigned long long)vma->start,
		 (unsigned long long)vma->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	map = mmap(NULL, vma->end - p->hva, PROT_READ, MAP_SHARED, fd,
		   (off_t)(vma->offset + skip));
	close(fd);
	if (map == MAP_FAILED)
		return;
	p->map = map;
	p->map_len = vma->end - p->hva;
}

/* Mappings that could hold guest RAM: readable, writable, not code. */
static int pid_list_vmas(pid_t pid, u64 min_size, struct pid_vma *ret,
			 size_t *ret_nr, struct vmiaas_diag *diag)
{
	char path[64], line[512];
	size_t nr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return diag_set(diag, -ESRCH, "no process %d: pass the pid of a running QEMU", (int)pid);
		return diag_set(diag, -EPERM, "cannot read %s: %m (reading another process's memory needs root or ptrace access to it)", path);
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		char perms[8], file[256] = "";
		struct pid_vma *v;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %255[^\n]",
			   &start, &end, perms, &off, file) < 4)
			continue;
		if (perms[0] != 'r' || perms[1] != 'w' || perms[2] != '-')
			continue;
		if (file[0] == '[' ||
		    (file[0] && strncmp(file, "/memfd:", 7) &&
		     strstr(file, ".so")))
			continue;
		v = nr ? &ret[nr - 1] : NULL;
		/* QEMU's madvise() calls can split one block into VMAs. */
		if (v && v->end == start && !strcmp(v->path, file) &&
		    (!file[0] || v->offset + (v->end - v->start) == off)) {
			v->end = end;
			continue;
		}
		if (v && v->end - v->start < min_size)
			nr--;	/* too small: reuse the slot */
		if (nr == PID_MAX_CANDIDATES)
			break;
		v = &ret[nr++];
		v->start = start;
		v->end = end;
		v->offset = off;
		snprintf(v->path, sizeof(v->path), "%s", file);
	}
	fclose(f);
	if (nr && ret[nr - 1].end - ret[nr - 1].start < min_size)
		nr--;
	*ret_nr = nr;
	return 0;
}

/* Parses HMP "xp /8xg GPA": "0000000000001000: 0x... 0x..." lines. */
static int pid_parse_xp(const char *text, u64 *ret, size_t max)
{
	size_t nr = 0;
	const char *p = text;

	while (*p && nr < max) {
		const char *colon = strchr(p, ':'), *eol = strchr(p, '\n');

		if (!eol)
			eol = p + strlen(p);
		if (colon && colon < eol) {
			const char *q = colon + 1;

			while (nr < max && q < eol) {
				char *e;
				unsigned long long v;

				while (*q == ' ')
					q++;
				if (strncmp(q, "0x", 2))
					break;
				v = strtoull(q, &e, 16);
				ret[nr++] = v;
				q = e;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	return (int)nr;
}

/* Adds HVA to the places unless they are full. */
static void pid_add_place(struct pid_place *places, size_t *nr,
			  unsigned int vma, u64 hva)
{
	if (*nr < PID_MAX_PLACES)
		places[(*nr)++] = (struct pid_place){ .hva = hva, .vma = vma };
}

/*
 * Where the RAM block may start in each candidate. A candidate can be
 * larger than the block: the kernel merges QEMU's anonymous RAM with an
 * adjacent anonymous mapping of the same flags, and pid_list_vmas()
 * joins neighbours that QEMU's madvise() calls split. QEMU puts the block
 * at a 2 MiB boundary with a guard page after it, so its end is usually
 * the candidate's: try the start, the end minus the block, then every
 * 2 MiB boundary down from there, a bounded number per candidate.
 */
static size_t pid_list_places(const struct pid_vma *vmas, size_t nr_vmas,
			      u64 block_size, struct pid_place *places)
{
	size_t nr = 0, i, n;
	u64 last, at;

	for (i = 0; i < nr_vmas; i++) {
		const struct pid_vma *v = &vmas[i];

		if (v->end - v->start < block_size)
			continue;
		/* Places of one candidate differ: candidates do not overlap. */
		last = v->end - block_size;
		pid_add_place(places, &nr, i, v->start);
		if (last == v->start)
			continue;
		if (!(last & 0xfff))
			pid_add_place(places, &nr, i, last);
		/* 2 MiB boundaries below last, above the start */
		at = (last - 1) & ~(PID_RAM_ALIGN - 1);
		for (n = 0; n < PID_PLACES_PER_VMA && at > v->start;
		     n++, at -= PID_RAM_ALIGN)
			pid_add_place(places, &nr, i, at);
	}
	return nr;
}

/*
 * Scores each place by the nonzero guest qwords it holds at the same
 * block offsets as QEMU shows them; returns the index of the winner or
 * -ENOENT when none holds at least 3/4 of them (and at least 4).
 */
static int pid_confirm(struct backend *b, struct pid_priv *p,
		       struct pid_place *places, size_t nr_places,
		       size_t nr_vmas, struct vmiaas_diag *diag)
{
	unsigned int nonzero = 0;
	u64 gpas[PID_SAMPLES];
	size_t nr_gpas = 0, i, j, k;
	int best = -1;

	gpas[nr_gpas++] = p->maps[0].gpa;		/* real-mode IVT */
	gpas[nr_gpas++] = 0xf0000;			/* BIOS shadow */
	for (i = 0; i < p->nr_maps && nr_gpas < PID_SAMPLES; i++)
		for (j = 1; j <= 5 && nr_gpas < PID_SAMPLES; j++)
			gpas[nr_gpas++] = p->maps[i].gpa +
				((p->maps[i].size / 6 * j) & ~(u64)0xfff) + 0x100;

	for (i = 0; i < nr_gpas; i++) {
		u64 want[8], got[8], off;
		char cmd[64], *text = NULL;
		int n, err;

		/* p->hva is 0 here: pid_hva() gives the block offset */
		if (pid_hva(p, gpas[i], sizeof(want), &off) < 0)
			continue;
		snprintf(cmd, sizeof(cmd), "xp /8xg 0x%" PRIx64, gpas[i]);
		err = qmp_hmp(b->qmp, cmd, &text);
		if (err < 0)
			return diag_set(diag, err, "HMP '%s' failed through QMP: %s",
					cmd, qmp_last_error(b->qmp));
		n = pid_parse_xp(text, want, 8);
		free(text);
		for (j = 0; j < nr_places; j++) {
			if (pid_readv(p, places[j].hva + off, got, sizeof(got)) < 0)
				continue;
			for (k = 0; k < (size_t)n; k++)
				places[j].score += want[k] && want[k] == got[k];
		}
		for (k = 0; k < (size_t)n; k++)
			nonzero += !!want[k];
	}
	for (j = 0; j < nr_places; j++)
		if (best < 0 || places[j].score > places[best].score)
			best = (int)j;
	if (best < 0 || places[best].score < 4 ||
	    places[best].score * 4 < nonzero * 3)
		return diag_set(diag, -ENOENT,
				"no mapping of QEMU process %d holds the guest's RAM: %zu candidates (%zu places), best matched %u of %u sampled guest words (is this the QEMU that owns the QMP socket?)",
				(int)p->pid, nr_vmas, nr_places,
				best < 0 ? 0 : places[best].score, nonzero);
	return best;
}

/*
 * The RAM size from QEMU's command line (-m, or its RAM backend's size),
 * 0 when it has none we understand. Only a hint for placing RAM in a
 * larger mapping: the engine still has to find the kernel there.
 */
static u64 pid_cmdline_ram_size(pid_t pid)
{
	struct qemu_cmdline cl;

	return qemu_cmdline_read(pid, &cl) < 0 ? 0 : cl.ram_size;
}

/*
 * No QMP: the largest plausible mapping holds RAM. When QEMU's -m names
 * its size and the mapping is larger (merged with a neighbour below, see
 * pid_list_places()), RAM is its last -m bytes: a guard page follows it.
 */
static int pid_guess_ram(struct pid_priv *p, const struct pid_vma *vmas,
			 size_t nr_vmas)
{
	u64 ram = pid_cmdline_ram_size(p->pid), size;
	int pick = -1;
	size_t i;

	for (i = 0; i < nr_vmas; i++)
		if (pick < 0 || vmas[i].end - vmas[i].start >
				vmas[pick].end - vmas[pick].start)
			pick = (int)i;
	if (pick < 0)
		return -ENOENT;
	size = vmas[pick].end - vmas[pick].start;
	if (ram && ram < size && !(ram & 0xfff))
		size = ram;
	p->hva = vmas[pick].end - size;
	p->block_size = size;
	return pick;
}

/* Fails early and clearly when we may not read the process's memory. */
static int pid_probe(pid_t pid, const struct pid_vma *vmas, size_t nr,
		     struct vmiaas_diag *diag)
{
	u64 probe;
	int err;

	if (!nr)
		return 0;
	err = pid_vm_readv(pid, vmas[0].start, &probe, sizeof(probe));
	if (err == -ESRCH)
		return diag_set(diag, -ESRCH, "process %d is gone: pass the pid of a running QEMU",
				(int)pid);
	if (err == -EPERM || err == -EACCES)
		return diag_set(diag, -EPERM, "not allowed to read the memory of process %d: run as root or as its user with ptrace access (CAP_SYS_PTRACE, kernel.yama.ptrace_scope)",
				(int)pid);
	if (err < 0)
		return diag_set(diag, err, "cannot read the memory of process %d: %s",
				(int)pid, strerror(-err));
	return 0;
}

int backend_pid_open(pid_t pid, const char *qmp_path, struct backend **ret,
		     struct vmiaas_diag *diag)
{
	struct pid_place *places = NULL;
	struct pid_vma *vmas = NULL;
	size_t nr_vmas = 0, nr_places;
	struct pid_priv *p;
	struct backend *b;
	int err, pick;

	if (pid <= 0)
		return diag_set(diag, -EINVAL, "pid %d is not a process: pass the pid of a running QEMU", (int)pid);
	b = backend_new("pid");
	p = calloc(1, sizeof(*p));
	vmas = calloc(PID_MAX_CANDIDATES, sizeof(*vmas));
	if (!b || !p || !vmas) {
		free(b);
		free(p);
		free(vmas);
		return diag_set(diag, -ENOMEM, "out of memory");
	}
	p->pid = pid;
	p->gen = 1;
	p->rd_fd = pid_mem_open(pid, O_RDONLY);	/* -1: process_vm_readv() only */
	b->priv = p;
	b->destroy = pid_destroy;
	b->invalidate = pid_invalidate;
	b->write_open = pid_write_open;
	b->write = pid_write;

	if (qmp_path) {
		err = backend_attach_qmp(b, qmp_path, diag);
		if (err < 0)
			goto out;
		err = backend_qmp_layout(b->qmp, NULL, 0, p->maps, &p->nr_maps,
					 &p->block_size, diag);
		if (err < 0)
			goto out;
		err = pid_list_vmas(pid, p->block_size, vmas, &nr_vmas, diag);
		if (err == 0)
			err = pid_probe(pid, vmas, nr_vmas, diag);
		if (err < 0)
			goto out;
		if (!nr_vmas) {
			err = diag_set(diag, -ENOENT, "process %d has no mapping of %llu bytes or more for the guest's RAM: is it the QEMU behind the QMP socket?",
				       (int)pid, (unsigned long long)p->block_size);
			goto out;
		}
		places = calloc(PID_MAX_PLACES, sizeof(*places));
		if (!places) {
			err = diag_set(diag, -ENOMEM, "out of memory");
			goto out;
		}
		nr_places = pid_list_places(vmas, nr_vmas, p->block_size,
					    places);
		pick = pid_confirm(b, p, places, nr_places, nr_vmas, diag);
		if (pick < 0) {
			err = pick;
			goto out;
		}
		p->hva = places[pick].hva;
		pid_map_ram(p, &vmas[places[pick].vma]);
		b->layout = "qmp";
	} else {
		err = pid_list_vmas(pid, PID_MIN_GUESS, vmas, &nr_vmas, diag);
		if (err == 0)
			err = pid_probe(pid, vmas, nr_vmas, diag);
		if (err < 0)
			goto out;
		pick = pid_guess_ram(p, vmas, nr_vmas);
		if (pick < 0) {
			err = diag_set(diag, -ENOENT, "process %d has no writable mapping of 16 MiB or more: is it a QEMU process? (pass -qmp for a confirmed layout)",
				       (int)pid);
			goto out;
		}
		pid_map_ram(p, &vmas[pick]);
		backend_pc_layout(p->block_size, p->maps, &p->nr_maps);
		b->layout = "largest-mapping";
	}

	p->cache = calloc(PID_CACHE_LINES, sizeof(*p->cache));
	if (!p->cache) {
		err = diag_set(diag, -ENOMEM, "out of memory");
		goto out;
	}
	b->phys.read = pid_read;
	b->phys.ctx = p;
	err = backend_map_ranges(b, p->maps, p->nr_maps, p->map, p->map_len,
				 diag);
out:
	free(places);
	free(vmas);
	if (err < 0) {
		backend_close(b);
		return err;
	}
	*ret = b;
	return 0;
}
