// SPDX-License-Identifier: GPL-2.0
/*
 * btfinfo: the guest kernel's BTF, found in a raw guest memory image.
 *
 *   btfinfo FILE [TYPE PATH]...     where the BTF is, then member offsets
 *   btfinfo -w OUT FILE             also write the blob to OUT (for bpftool)
 *
 * Prints the blob's offset, size and type count and the time to locate and
 * to parse it; then for each TYPE PATH "TYPE.PATH = OFFSET (size SIZE)",
 * e.g. "btfinfo mem.raw task_struct comm module mem[0].base".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "userspace/lib/engine.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int write_blob(const char *path, const u8 *p, size_t n)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(p, 1, n, f) == n;
	if (fclose(f) || !ok)
		return -EIO;
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	size_t off, size;
	struct btf_field f;
	struct btf *btf;
	struct stat st;
	double t0, t1, t2;
	const u8 *map;
	int fd, err, i;

	if (argc >= 3 && !strcmp(argv[1], "-w")) {
		out = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2 || argc % 2) {
		fprintf(stderr, "usage: btfinfo [-w OUT] FILE [TYPE PATH]...\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "btfinfo: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* Populated up front: the times below are CPU, not page faults. */
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "btfinfo: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	t0 = now_ms();
	err = btf_locate(map, st.st_size, &off, &size);
	t1 = now_ms();
	if (err) {
		fprintf(stderr, "btfinfo: no vmlinux BTF in %s: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	err = btf_load(map + off, size, &btf);
	t2 = now_ms();
	if (err) {
		fprintf(stderr, "btfinfo: BTF at 0x%zx (%zu bytes) does not load: %s\n",
			off, size, strerror(-err));
		return 1;
	}
	printf("btf: offset 0x%zx size %zu types %u locate %.1f ms parse %.1f ms\n",
	       off, size, btf__type_cnt(btf) - 1, t1 - t0, t2 - t1);
	if (out) {
		err = write_blob(out, map + off, size);
		if (err) {
			fprintf(stderr, "btfinfo: %s: %s\n", out, strerror(-err));
			return 1;
		}
	}

	for (i = 2; i + 1 < argc; i += 2) {
		err = btf_field(btf, argv[i], argv[i + 1], &f);
		if (err) {
			printf("%s.%s: %s\n", argv[i], argv[i + 1], strerror(-err));
			continue;
		}
		if (f.bit_size)
			printf("%s.%s = bit %" PRIu64 ":%u\n", argv[i], argv[i + 1],
			       f.bit_off, f.bit_size);
		else
			printf("%s.%s = %" PRIu64 " (0x%" PRIx64 ", size %u)\n",
			       argv[i], argv[i + 1], f.bit_off / 8, f.bit_off / 8,
			       f.size);
	}
	btf__free(btf);
	munmap((void *)map, st.st_size);
	close(fd);
	return 0;
}
