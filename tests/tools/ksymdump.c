// SPDX-License-Identifier: GPL-2.0
/*
 * ksymdump: the kernel's kallsyms, read out of a raw guest memory image.
 *
 *   ksymdump [-t] [-c CHUNK_MB] FILE         every symbol, /proc/kallsyms style
 *   ksymdump [-t] [-c CHUNK_MB] FILE NAME    the address of one symbol
 *   ksymdump -C FILE                         self-check: every name looked up
 *
 * -t prints the time locate took to stderr. -c scans the image in chunks
 * of CHUNK_MB (overlapping by 16 MiB, enough for any kallsyms table set)
 * instead of all at once, then rebases the tables into a private copy.
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

#include "core/kallsyms.h"

#define CHUNK_OVERLAP	(16UL << 20)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int locate_chunked(const u8 *map, size_t len, size_t chunk,
			  struct vmi_ksym *ks, u8 **ret_copy)
{
	size_t off, n;
	u8 *copy;
	int err = -ENOENT, r;

	for (off = 0; off < len; off += chunk) {
		n = len - off < chunk + CHUNK_OVERLAP ? len - off :
						       chunk + CHUNK_OVERLAP;
		r = vmi_ksym_locate(map + off, n, ks);
		if (r == -EBADMSG)
			err = r;
		if (r)
			continue;
		copy = malloc(ks->end - ks->start);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, ks->buf + ks->start, ks->end - ks->start);
		r = vmi_ksym_rebase(ks, copy, ks->end - ks->start);
		if (r) {
			free(copy);
			return r;
		}
		*ret_copy = copy;
		return 0;
	}
	return err;
}

static int dump(const struct vmi_ksym *ks)
{
	char name[VMI_KSYM_NAME_LEN], type;
	size_t pos = 0;
	u64 addr;
	u32 i;
	int err;

	for (i = 0; i < ks->num_syms; i++) {
		err = vmi_ksym_next(ks, i, &pos, name, sizeof(name), &type);
		if (!err)
			err = vmi_ksym_addr(ks, i, &addr);
		if (err) {
			fprintf(stderr, "ksymdump: symbol %u: %s\n", i,
				strerror(-err));
			return 1;
		}
		printf("%016" PRIx64 " %c %s\n", addr, type, name);
	}
	return 0;
}

/*
 * Every name must be found by lookup_name at an address no higher than
 * its own (the first of equal names wins), every address must map back by
 * lookup_addr to a symbol at that address, and vmi_ksym_name must agree
 * with the sequential walk.
 */
static int check(const struct vmi_ksym *ks)
{
	char name[VMI_KSYM_NAME_LEN], name2[VMI_KSYM_NAME_LEN], type, type2;
	unsigned int bad = 0, exact = 0;
	u64 addr, found, back;
	size_t pos = 0;
	double t0, t1;
	u32 i, idx;
	int err;

	t0 = now_ms();
	for (i = 0; i < ks->num_syms; i++) {
		err = vmi_ksym_next(ks, i, &pos, name, sizeof(name), &type);
		if (!err)
			err = vmi_ksym_addr(ks, i, &addr);
		if (!err)
			err = vmi_ksym_lookup_name(ks, name, &found);
		if (err || found > addr) {
			fprintf(stderr, "check: %u %s: err %d found %#" PRIx64
				" addr %#" PRIx64 "\n", i, name, err, found,
				addr);
			bad++;
			continue;
		}
		exact += found == addr;
		err = vmi_ksym_lookup_addr(ks, addr, &idx);
		if (!err)
			err = vmi_ksym_addr(ks, idx, &back);
		if (err || back != addr || idx > i) {
			fprintf(stderr, "check: %u %s: lookup_addr %d idx %u\n",
				i, name, err, idx);
			bad++;
		}
		if (i % 97)
			continue;
		err = vmi_ksym_name(ks, i, name2, sizeof(name2), &type2);
		if (err || type2 != type || strcmp(name, name2)) {
			fprintf(stderr, "check: %u %s: name %d %s\n", i, name,
				err, name2);
			bad++;
		}
	}
	t1 = now_ms();
	fprintf(stderr, "check: %u symbols, %u exact lookups, %u bad, "
		"%.1f ms (%.2f us per symbol)\n", ks->num_syms, exact, bad,
		t1 - t0, (t1 - t0) * 1e3 / ks->num_syms);
	return bad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ksymdump [-t] [-C] [-c CHUNK_MB] FILE [NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct vmi_ksym ks;
	size_t chunk = 0;
	int opt, err, timing = 0, selfcheck = 0, fd;
	u8 *copy = NULL;
	struct stat st;
	double t0, t1;
	void *map;
	u64 addr;

	while ((opt = getopt(argc, argv, "tCc:")) != -1) {
		switch (opt) {
		case 't':
			timing = 1;
			break;
		case 'C':
			selfcheck = 1;
			timing = 1;
			break;
		case 'c':
			chunk = strtoul(optarg, NULL, 0) << 20;
			if (!chunk)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		usage();

	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[optind]);
		return 1;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	close(fd);

	t0 = now_ms();
	if (chunk)
		err = locate_chunked(map, st.st_size, chunk, &ks, &copy);
	else
		err = vmi_ksym_locate(map, st.st_size, &ks);
	t1 = now_ms();
	if (err) {
		fprintf(stderr, "ksymdump: %s: no kallsyms: %s\n",
			argv[optind], strerror(-err));
		return 1;
	}
	if (timing)
		fprintf(stderr, "locate: %.2f ms, %u symbols, flags %#x, "
			"tables %#zx-%#zx, _text %#" PRIx64 "\n", t1 - t0,
			ks.num_syms, ks.flags, ks.start, ks.end,
			ks.relative_base);

	if (selfcheck)
		err = check(&ks);
	else if (argc - optind == 2) {
		t0 = now_ms();
		err = vmi_ksym_lookup_name(&ks, argv[optind + 1], &addr);
		t1 = now_ms();
		if (timing)
			fprintf(stderr, "lookup: %.3f ms\n", t1 - t0);
		if (err) {
			fprintf(stderr, "ksymdump: %s: %s\n", argv[optind + 1],
				strerror(-err));
			err = 1;
		} else {
			printf("%016" PRIx64 " %s\n", addr, argv[optind + 1]);
		}
	} else {
		err = dump(&ks);
	}
	free(copy);
	munmap(map, st.st_size);
	return err;
}
