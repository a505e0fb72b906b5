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

struct shm_priv {
	void *map;
	size_t len;
};

static void shm_destroy(struct backend *b)
{
	struct shm_priv *p = b->priv;

	if (p->map && p->map != MAP_FAILED)
		munmap(p->map, p->len);
	free(p);
}

int backend_shm_open(const char *path, const char *qmp_path,
		     struct backend **ret, struct vmiaas_diag *diag)
{
	struct backend_ram_map maps[BACKEND_MAX_MAPS];
	struct shm_priv *p;
	struct backend *b;
	struct stat st;
	size_t nr = 0;
	u64 block;
	int fd, err;

	if (!path)
		return diag_set(diag, -EINVAL, "no memory file: pass QEMU's memory-backend-file mem-path");
	b = backend_new("shm");
	p = calloc(1, sizeof(*p));
	if (!b || !p) {
		free(b);
		free(p);
		return diag_set(diag, -ENOMEM, "out of memory");
	}
	b->priv = p;
	b->destroy = shm_destroy;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		diag_set(diag, err, "cannot open guest memory file '%s': %m (pass the mem-path of QEMU's -object memory-backend-file,share=on%s)",
			 path, err == -EACCES ? "; reading it needs the QEMU user's or root's rights" : "");
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		err = diag_set(diag, -errno, "cannot stat '%s': %m", path);
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		err = diag_set(diag, -EINVAL, "'%s' is %s: pass the guest's memory-backend-file (a regular file as large as the guest's RAM)",
			       path, S_ISREG(st.st_mode) ? "empty" : "not a regular file");
		close(fd);
		goto fail;
	}
	p->len = (size_t)st.st_size;
	p->map = mmap(NULL, p->len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p->map == MAP_FAILED) {
		err = diag_set(diag, -errno, "cannot map '%s' (%zu bytes): %m", path, p->len);
		goto fail;
	}

	if (qmp_path) {
		err = backend_attach_qmp(b, qmp_path, diag);
		if (err < 0)
			goto fail;
		err = backend_qmp_layout(b->qmp, NULL, p->len, maps, &nr,
					 &block, diag);
		if (err < 0)
			goto fail;
		b->layout = "qmp";
	} else {
		backend_pc_layout(p->len, maps, &nr);
		b->layout = "pc-heuristic";
	}
	err = backend_map_ranges(b, maps, nr, p->map, p->len, diag);
	if (err < 0)
		goto fail;
	*ret = b;
	return 0;
fail:
	backend_close(b);
	return err;
}
