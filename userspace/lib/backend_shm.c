// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * "shm": a QEMU memory-backend-file (share=on), mapped read-only and
 * shared, so reads see the running guest's memory without copies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backend.h"

/* The mapping stays read-only: only the answer's bytes go through here. */
static int shm_write_open(struct backend *b)
{
	struct backend_file *f = b->priv;

	if (f->rw_fd >= 0)
		return 0;
	f->rw_fd = open(f->path, O_RDWR | O_CLOEXEC);
	return f->rw_fd < 0 ? -errno : 0;
}

static int shm_write(struct backend *b, u64 gpa, const void *buf, size_t len)
{
	struct backend_file *f = b->priv;
	const u8 *at = vmi_phys_ptr(&b->phys, gpa, len);
	ssize_t n;

	if (f->rw_fd < 0)
		return -EBADF;
	if (!at)
		return -EFAULT;
	n = pwrite(f->rw_fd, buf, len, at - f->map);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int backend_shm_open(const char *path, const char *qmp_path,
		     struct backend **ret, struct vmiaas_diag *diag)
{
	struct backend_ram_map maps[BACKEND_MAX_MAPS];
	const struct backend_file *f;
	struct backend *b;
	size_t nr = 0;
	u64 block;
	int err;

	err = backend_file_open("shm", path, "guest memory file",
		"pass the mem-path of QEMU's -object memory-backend-file,share=on",
		&b, diag);
	if (err < 0)
		return err;
	f = b->priv;

	if (qmp_path) {
		err = backend_attach_qmp(b, qmp_path, diag);
		if (err < 0)
			goto fail;
		err = backend_qmp_layout(b->qmp, NULL, f->len, maps, &nr,
					 &block, diag);
		if (err < 0)
			goto fail;
		b->layout = "qmp";
	} else {
		backend_pc_layout(f->len, maps, &nr);
		b->layout = "pc-heuristic";
	}
	err = backend_map_ranges(b, maps, nr, f->map, f->len, diag);
	if (err < 0)
		goto fail;
	b->write_open = shm_write_open;
	b->write = shm_write;
	*ret = b;
	return 0;
fail:
	backend_close(b);
	return err;
}
