// SPDX-License-Identifier: GPL-2.0
/*
 * bench_paging MEMFILE CR3 [KALLSYMS]: page-table walker figures on a raw
 * guest-physical image (GPA 0 at file offset 0).
 *
 *   cold read   flush, then read one 4 KiB direct-map page (a full walk)
 *   cold walk   flush, then translate one direct-map page
 *   warm        translations of 512 kernel-text pages, all cache hits
 *
 * The direct map (page_offset_base) and _text come from KALLSYMS when
 * given (then linux_banner is read and printed as a check), else from
 * probing the page tables. The image is mapped with MAP_POPULATE so the
 * figures measure the walker, not host page faults.
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

#include "core/paging.h"

#define WARM_PAGES	512
#define WARM_OPS	(200ULL * 1000 * 1000)
#define TEXT_WINDOW	0xffffffff80000000ULL
#define DIRECT_LOW	0xffff800000000000ULL
#define DIRECT_HIGH	0xffffc00000000000ULL

struct syms {
	u64 text;
	u64 banner;
	u64 page_offset_base;	/* address of the variable */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int syms_load(const char *path, struct syms *s)
{
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (!strcmp(name, "_text"))
			s->text = addr;
		else if (!strcmp(name, "linux_banner"))
			s->banner = addr;
		else if (!strcmp(name, "page_offset_base"))
			s->page_offset_base = addr;
	}
	fclose(f);
	return s->text && s->banner && s->page_offset_base ? 0 : -ENOENT;
}

/* The first mapped 2 MiB slot of the kernel-image window is _text. */
static int probe_text(struct vmi_as *as, u64 *ret)
{
	struct vmi_xlate x;
	u64 va;

	for (va = TEXT_WINDOW; va >= TEXT_WINDOW; va += 2 << 20) {
		if (!vmi_as_walk(as, va, &x)) {
			*ret = va;
			return 0;
		}
	}
	return -ENOENT;
}

/* The direct map translates its base to GPA 0, 1 GiB-aligned (KASLR). */
static int probe_direct_map(struct vmi_as *as, u64 *ret)
{
	struct vmi_xlate x, y;
	u64 va;

	for (va = DIRECT_LOW; va < DIRECT_HIGH; va += 1ULL << 30) {
		if (vmi_as_walk(as, va, &x) || x.gpa != 0)
			continue;
		if (vmi_as_walk(as, va + (1 << 20), &y) || y.gpa != 1 << 20)
			continue;
		*ret = va;
		return 0;
	}
	return -ENOENT;
}

static int locate(struct vmi_as *as, const char *kallsyms, u64 *text,
		  u64 *direct)
{
	struct syms s = { 0 };
	char banner[128];
	int err;

	if (!kallsyms) {
		err = probe_text(as, text);
		return err ? err : probe_direct_map(as, direct);
	}
	err = syms_load(kallsyms, &s);
	if (err) {
		fprintf(stderr, "%s: _text, linux_banner or page_offset_base missing: %s\n",
			kallsyms, strerror(-err));
		return err;
	}
	err = vmi_as_read_u64(as, s.page_offset_base, direct);
	if (!err)
		err = vmi_as_read(as, s.banner, banner, sizeof(banner));
	if (err) {
		fprintf(stderr, "reading page_offset_base/linux_banner: %s\n",
			strerror(-err));
		return err;
	}
	banner[sizeof(banner) - 1] = 0;
	banner[strcspn(banner, "\n")] = 0;
	printf("linux_banner:     %s\n", banner);
	if (strncmp(banner, "Linux version ", 14)) {
		fprintf(stderr, "linux_banner does not read as a banner\n");
		return -EBADMSG;
	}
	*text = s.text;
	return 0;
}

/*
 * The direct-map pages that translate (the direct map skips what e820
 * does not call RAM): the page numbers, which are also their GPAs >> 12.
 */
static u64 *direct_pages(struct vmi_as *as, u64 direct, u64 pages,
			 u64 *ret_nr)
{
	u64 *list = calloc(pages, sizeof(*list));
	struct vmi_xlate x;
	u64 n, nr = 0;

	for (n = 0; list && n < pages; n++) {
		if (vmi_as_walk(as, direct + n * 4096, &x))
			continue;
		if (x.gpa != n * 4096) {
			fprintf(stderr, "direct map page %" PRIu64 " at GPA 0x%" PRIx64 "\n",
				n, x.gpa);
			free(list);
			return NULL;
		}
		list[nr++] = direct + n * 4096;
	}
	*ret_nr = nr;
	return list;
}

/*
 * Kernel-half pages mapped by a 4 KiB PTE (module space, vmalloc, the
 * fixmap): a cold read of one takes a full 4-level walk. Enumerated by
 * reading the tables straight from the image, so the walker is not used
 * to test itself. One VA per frame (ESPFIX alone maps a few pages tens of
 * thousands of times), so the data read is cold too.
 */
struct enum_ctx {
	const u8 *image;
	u64 size;
	u64 *list;
	u8 *seen;		/* a byte per frame */
	u64 nr, max;
};

static void enum_table(struct enum_ctx *c, u64 table, u32 level, u64 base,
		       u32 first)
{
	u32 i;

	for (i = first; i < 512 && c->nr < c->max; i++) {
		u64 pte, next, va = base | (u64)i << (12 + 9 * (level - 1));

		memcpy(&pte, c->image + table + i * 8, 8);
		next = pte & 0x000ffffffffff000ULL;
		if (!(pte & 1) || next + 4096 > c->size)
			continue;
		if (level > 1) {
			if (!(pte & 0x80))
				enum_table(c, next, level - 1, va, 0);
		} else if (!c->seen[next >> 12]) {
			c->seen[next >> 12] = 1;
			c->list[c->nr++] = va;
		}
	}
}

static u64 *pte_pages(const struct vmi_as *as, const u8 *image, u64 size,
		      u64 *ret_nr)
{
	struct enum_ctx c = {
		.image = image, .size = size, .max = size / 4096,
	};

	if (as->root + 4096 > size)
		return NULL;
	c.list = calloc(c.max, sizeof(*c.list));
	c.seen = calloc(c.max, 1);
	if (c.list && c.seen)
		enum_table(&c, as->root, 4, 0xffff000000000000ULL, 256);
	free(c.seen);
	*ret_nr = c.nr;
	return c.list;
}

/* Cold: a flush before each op, over distinct pages. */
static int bench_cold(struct vmi_as *as, const char *what, const u64 *list,
		      u64 nr, bool read)
{
	static u8 buf[4096];
	struct vmi_xlate x;
	u64 i, walks = as->walks, sum = 0, small = 0;
	double t0, t1;
	int err;

	t0 = now_ns();
	for (i = 0; i < nr; i++) {
		u64 va = list[i];

		vmi_as_flush(as);
		if (read)
			err = vmi_as_read(as, va, buf, 4096);
		else
			err = vmi_as_translate(as, va, &x);
		if (err) {
			fprintf(stderr, "0x%" PRIx64 ": %s\n", va,
				strerror(-err));
			return err;
		}
		sum += read ? buf[i & 4095] : x.gpa;
		small += !read && x.page_size == 4096;
	}
	t1 = now_ns();
	printf("cold %-11s %-9s: %7.1f ns/op %11.0f ops/s (%" PRIu64 " pages, %" PRIu64 " walks",
	       read ? "4 KiB read" : "translation", what, (t1 - t0) / nr,
	       nr * 1e9 / (t1 - t0), nr, as->walks - walks);
	if (!read)
		printf(", %" PRIu64 " of 4 KiB", small);
	printf(", sum %" PRIx64 ")\n", sum);
	return 0;
}

/*
 * The floor for a cold read: memcpy of the same direct-map pages straight
 * from the image, no walker (after the cache has been evicted by reading
 * the whole image once more).
 */
static void bench_memcpy(const u8 *image, u64 direct, const u64 *list,
			 u64 nr)
{
	static u8 buf[4096];
	u64 i, sum = 0;
	double t0, t1;

	t0 = now_ns();
	for (i = 0; i < nr; i++) {
		memcpy(buf, image + (list[i] - direct), 4096);
		sum += buf[i & 4095];
		__asm__ volatile("" : : "r"(buf) : "memory");
	}
	t1 = now_ns();
	printf("memcpy floor (no walker) directmap: %7.1f ns/op (sum %" PRIx64 ")\n",
	       (t1 - t0) / nr, sum);
}

/* The direct map is GPA-linear: every page reads as the image does. */
static int check_direct(struct vmi_as *as, const u8 *image, u64 direct,
			const u64 *list, u64 nr)
{
	static u8 buf[4096];
	u64 i;
	int err;

	for (i = 0; i < nr; i++) {
		u64 gpa = list[i] - direct;

		err = vmi_as_read(as, list[i], buf, 4096);
		if (err || memcmp(buf, image + gpa, 4096)) {
			fprintf(stderr, "direct map page 0x%" PRIx64 " differs from GPA 0x%" PRIx64 " (%d)\n",
				list[i], gpa, err);
			return err ? err : -EBADMSG;
		}
	}
	printf("direct map:       %" PRIu64 " pages read equal to their GPA\n",
	       nr);
	return 0;
}

static int bench_warm(struct vmi_as *as, u64 text)
{
	struct vmi_xlate x, w;
	u64 i, walks, sum = 0;
	double t0, t1;
	int err;

	vmi_as_flush(as);
	for (i = 0; i < WARM_PAGES; i++) {
		err = vmi_as_translate(as, text + i * 4096, &x);
		err = err ? err : vmi_as_walk(as, text + i * 4096, &w);
		if (err || memcmp(&x, &w, sizeof(x))) {
			fprintf(stderr, "_text + 0x%" PRIx64 ": translate and walk differ (%d)\n",
				i * 4096, err);
			return err ? err : -EBADMSG;
		}
	}
	walks = as->walks;
	t0 = now_ns();
	for (i = 0; i < WARM_OPS; i++) {
		u64 va = text + (i % WARM_PAGES) * 4096 + (i & 0xff8);

		vmi_as_translate(as, va, &x);
		sum += x.gpa;
	}
	t1 = now_ns();
	printf("warm translation: %8.2f ns/op %12.0f ops/s (%llu ops, %" PRIu64 " walks, sum %" PRIx64 ")\n",
	       (t1 - t0) / WARM_OPS, WARM_OPS * 1e9 / (t1 - t0), WARM_OPS,
	       as->walks - walks, sum);
	return 0;
}

int main(int argc, char **argv)
{
	static struct vmi_as as;
	struct vmi_phys phys = { 0 };
	u64 cr3, text = 0, direct = 0, nr = 0, nr_ptes = 0, i;
	u64 *list, *ptes, *hot;
	struct stat st;
	u8 *image;
	int fd, err;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s MEMFILE CR3 [KALLSYMS]\n", argv[0]);
		return 2;
	}
	cr3 = strtoull(argv[2], NULL, 16);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	image = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		     fd, 0);
	close(fd);
	if (image == MAP_FAILED) {
		fprintf(stderr, "mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = vmi_phys_add_range(&phys, 0, st.st_size, image);
	if (err) {
		fprintf(stderr, "vmi_phys_add_range: %s\n", strerror(-err));
		return 1;
	}
	vmi_as_init(&as, &phys, cr3, false);

	err = locate(&as, argc > 3 ? argv[3] : NULL, &text, &direct);
	if (err) {
		fprintf(stderr, "cannot locate _text and the direct map: %s\n",
			strerror(-err));
		return 1;
	}
	printf("_text 0x%" PRIx64 ", direct map 0x%" PRIx64 ", %" PRIu64 " MiB\n",
	       text, direct, (u64)st.st_size >> 20);

	list = direct_pages(&as, direct, st.st_size / 4096, &nr);
	ptes = pte_pages(&as, image, st.st_size, &nr_ptes);
	hot = calloc(nr_ptes + 1, sizeof(*hot));
	if (!list || !nr || !ptes || nr_ptes < 64 || !hot) {
		fprintf(stderr, "no direct-map or 4 KiB kernel pages\n");
		return 1;
	}
	err = check_direct(&as, image, direct, list, nr);
	err = err ? err : bench_cold(&as, "4-level", ptes, nr_ptes, true);
	err = err ? err : bench_cold(&as, "4-level", ptes, nr_ptes, false);
	err = err ? err : bench_cold(&as, "directmap", list, nr, true);
	err = err ? err : bench_cold(&as, "directmap", list, nr, false);
	if (!err)
		bench_memcpy(image, direct, list, nr);
	for (i = 0; i < nr_ptes; i++)	/* 64 pages over and over */
		hot[i] = ptes[i % 64];
	err = err ? err : bench_cold(&as, "hot data", hot, nr_ptes, true);
	err = err ? err : bench_warm(&as, text);
	free(list);
	free(ptes);
	free(hot);
	munmap(image, st.st_size);
	return err ? 1 : 0;
}
