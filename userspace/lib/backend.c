// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * What every backend shares: its life cycle, the vCPU registers from QMP,
 * and the guest-physical layout of a QEMU RAM block (from QMP, or QEMU's
 * PC defaults without it).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"

struct backend *backend_new(const char *name)
{
	struct backend *b = calloc(1, sizeof(*b));

	if (b)
		b->name = name;
	return b;
}

void backend_close(struct backend *b)
{
	if (!b)
		return;
	if (b->destroy)
		b->destroy(b);
	qmp_close(b->qmp);
	free(b->vcpus);
	free(b);
}

void backend_invalidate(struct backend *b)
{
	if (b && b->invalidate)
		b->invalidate(b);
}

static int backend_refresh_vcpus(struct backend *b)
{
	struct vmiaas_vcpu *vcpus;
	size_t nr;
	int err;

	err = qmp_read_vcpus(b->qmp, &vcpus, &nr);
	if (err < 0)
		return err;
	free(b->vcpus);
	b->vcpus = vcpus;
	b->nr_vcpus = nr;
	backend_invalidate(b);
	return 0;
}

int backend_attach_qmp(struct backend *b, const char *qmp_path,
		       struct vmiaas_diag *diag)
{
	int err;

	err = qmp_connect(qmp_path, &b->qmp, diag);
	if (err < 0)
		return err;
	err = backend_refresh_vcpus(b);
	if (err < 0)
		return diag_set(diag, err,
				"cannot read vCPU registers through QMP ('%s'): HMP 'info registers -a' failed: %s",
				qmp_path, qmp_last_error(b->qmp)[0] ?
				qmp_last_error(b->qmp) : strerror(-err));
	b->refresh_vcpus = backend_refresh_vcpus;
	return 0;
}

int backend_pc_layout(u64 ram_size, struct backend_ram_map *ret,
		      size_t *ret_nr)
{
	const u64 lowmem = 0xc0000000ull, four_g = 1ull << 32;

	if (!ram_size)
		return -EINVAL;
	if (ram_size < 0xe0000000ull) {
		ret[0] = (struct backend_ram_map){ 0, ram_size, 0 };
		*ret_nr = 1;
		return 0;
	}
	ret[0] = (struct backend_ram_map){ 0, lowmem, 0 };
	ret[1] = (struct backend_ram_map){ four_g, ram_size - lowmem, lowmem };
	*ret_nr = 2;
	return 0;
}

int backend_qmp_layout(struct qmp *q, const char *block, u64 size,
		       struct backend_ram_map *ret, size_t *ret_nr,
		       u64 *ret_block, struct vmiaas_diag *diag)
{
	struct qmp_ramblock *blocks = NULL, *pick = NULL;
	char *text = NULL;
	size_t nr, i;
	int err;

	err = qmp_hmp(q, "info ramblock", &text);
	if (err < 0)
		return diag_set(diag, err, "HMP 'info ramblock' failed through QMP: %s",
				qmp_last_error(q)[0] ? qmp_last_error(q) : strerror(-err));
	err = qmp_parse_ramblocks(text, &blocks, &nr);
	free(text);
	if (err < 0)
		return diag_set(diag, err == -ENOENT ? -EBADMSG : err,
				"QEMU listed no RAM blocks in 'info ramblock': is this a QEMU system emulator?");
	for (i = 0; i < nr && !pick; i++) {
		if (block && !strcmp(blocks[i].name, block))
			pick = &blocks[i];
		else if (!block && size && blocks[i].used == size)
			pick = &blocks[i];
	}
	for (i = 0; i < nr && !block && !size; i++)
		if (!pick || blocks[i].used > pick->used)
			pick = &blocks[i];
	if (!pick) {
		free(blocks);
		if (block)
			return diag_set(diag, -ENOENT, "QEMU has no RAM block named '%s' ('info ramblock')",
					block);
		return diag_set(diag, -ENOENT,
				"no QEMU RAM block is %llu bytes long like the memory file: pass the QMP socket of the QEMU that uses this file",
				(unsigned long long)size);
	}
	err = qmp_hmp(q, "info mtree -f", &text);
	if (err < 0) {
		free(blocks);
		return diag_set(diag, err, "HMP 'info mtree -f' failed through QMP: %s",
				qmp_last_error(q)[0] ? qmp_last_error(q) : strerror(-err));
	}
	err = qmp_parse_mtree(text, pick->name, ret, BACKEND_MAX_MAPS, &nr);
	free(text);
	if (err == -ENOENT)
		diag_set(diag, -EBADMSG, "RAM block '%s' is not mapped in QEMU's 'memory' address space ('info mtree -f')",
			 pick->name);
	else if (err == -E2BIG)
		diag_set(diag, err, "RAM block '%s' is split into more than %d pieces in 'info mtree -f'",
			 pick->name, BACKEND_MAX_MAPS);
	if (err < 0) {
		free(blocks);
		return err == -ENOENT ? -EBADMSG : err;
	}
	for (i = 0; i < nr; i++) {
		u64 end;

		if (check_add_overflow(ret[i].offset, ret[i].size, &end) ||
		    end > pick->used) {
			diag_set(diag, -EBADMSG,
				 "'info mtree -f' maps [0x%llx, +0x%llx) of RAM block '%s' beyond its 0x%llx bytes",
				 (unsigned long long)ret[i].offset,
				 (unsigned long long)ret[i].size, pick->name,
				 (unsigned long long)pick->used);
			free(blocks);
			return -EBADMSG;
		}
	}
	*ret_nr = nr;
	*ret_block = pick->used;
	free(blocks);
	return 0;
}

int backend_map_ranges(struct backend *b, const struct backend_ram_map *maps,
		       size_t nr, const u8 *base, u64 base_len,
		       struct vmiaas_diag *diag)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		u64 end;
		int err;

		if (check_add_overflow(maps[i].offset, maps[i].size, &end) ||
		    (base && end > base_len))
			return diag_set(diag, -EBADMSG,
					"guest RAM [0x%llx, +0x%llx) lies beyond the %llu bytes available",
					(unsigned long long)maps[i].gpa,
					(unsigned long long)maps[i].size,
					(unsigned long long)base_len);
		err = vmi_phys_add_range(&b->phys, maps[i].gpa, maps[i].size,
					 base ? base + maps[i].offset : NULL);
		if (err < 0)
			return diag_set(diag, err == -EINVAL ? -EBADMSG : err,
					"guest RAM [0x%llx, +0x%llx) %s",
					(unsigned long long)maps[i].gpa,
					(unsigned long long)maps[i].size,
					err == -ENOSPC ? "is one piece too many" :
					"overlaps another piece or wraps around");
	}
	return 0;
}

static void file_destroy(struct backend *b)
{
	struct backend_file *f = b->priv;

	if (f->map)
		munmap((void *)f->map, f->len);
	if (f->rw_fd >= 0)
		close(f->rw_fd);
	free(f->path);
	free(f);
}

static int file_map(struct backend_file *f, const char *path,
		    const char *what, const char *hint,
		    struct vmiaas_diag *diag)
{
	struct stat st;
	void *map;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return diag_set(diag, err, "cannot open %s '%s': %s (%s%s)",
				what, path, strerror(-err), hint,
				err == -EACCES ? "; reading it needs its owner's or root's rights" : "");
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return diag_set(diag, -EINVAL,
				"%s '%s' is not a non-empty regular file (%s)",
				what, path, hint);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	err = -errno;
	close(fd);
	if (map == MAP_FAILED)
		return diag_set(diag, err, "cannot map %s '%s' (%lld bytes): %s",
				what, path, (long long)st.st_size,
				strerror(-err));
	f->map = map;
	f->len = (size_t)st.st_size;
	return 0;
}

int backend_file_open(const char *name, const char *path, const char *what,
		      const char *hint, struct backend **ret,
		      struct vmiaas_diag *diag)
{
	struct backend_file *f;
	struct backend *b;
	int err;

	if (!path)
		return diag_set(diag, -EINVAL, "no %s: %s", what, hint);
	b = backend_new(name);
	f = calloc(1, sizeof(*f));
	if (!b || !f) {
		free(b);
		free(f);
		return diag_set(diag, -ENOMEM, "out of memory");
	}
	b->priv = f;
	b->destroy = file_destroy;
	f->rw_fd = -1;
	f->path = strdup(path);
	if (!f->path) {
		backend_close(b);
		return diag_set(diag, -ENOMEM, "out of memory");
	}
	err = file_map(f, path, what, hint, diag);
	if (err < 0) {
		backend_close(b);
		return err;
	}
	*ret = b;
	return 0;
}
