// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the page-table walker. The input is a hostile
 * guest: a 16-byte header, then its RAM.
 *
 *   bytes 0-1   root: page frame number within RAM (little-endian)
 *   byte  2     bit 0 LA57, bits 7:1 MAXPHYADDR - 12 (clamped to 52)
 *   byte  3     where the second half of RAM goes: 0 host-mapped,
 *               else copied by the ->read callback
 *   bytes 4-11  a virtual address; reads start there
 *   bytes 12-15 read length (at most 3 pages)
 *
 * RAM lies at GPA 0 in two ranges, the second behind ->read. Besides not
 * crashing or hanging, the harness checks that a cached translation equals
 * the walk, and that reads agree with walk + physical read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/paging.h"

#define HDR		16
#define MAX_READ	(3 * 4096)

struct ram {
	const u8 *data;
	u64 size;
};

static int ram_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	const struct ram *r = ctx;

	if (gpa > r->size || len > r->size - gpa)
		__builtin_trap();	/* phys.c must never ask this */
	memcpy(buf, r->data + gpa, len);
	return 0;
}

static u64 get_le(const u8 *p, int n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* vmi_as_read must equal a walk per page + a physical read per byte. */
static void check_read(struct vmi_as *as, u64 va, size_t len)
{
	static u8 buf[MAX_READ], ref[MAX_READ];
	struct vmi_xlate x;
	int err = vmi_as_read(as, va, buf, len);
	size_t i;

	if (va + len < va) {
		if (err != -EINVAL)
			__builtin_trap();
		return;
	}
	for (i = 0; i < len; i++) {
		u64 v = va + i;
		int e = 0;

		if (!i || !(v & 0xfff))
			e = vmi_as_walk(as, v, &x);
		if (!e)
			e = vmi_phys_read(as->phys, (x.gpa & ~0xfffULL) |
					  (v & 0xfff), &ref[i], 1);
		if (e) {
			if (!err)
				__builtin_trap();
			return;
		}
	}
	if (err || memcmp(buf, ref, len))
		__builtin_trap();
}

static void check_translate(struct vmi_as *as, u64 va)
{
	struct vmi_xlate w, t;
	int ew = vmi_as_walk(as, va, &w);
	int et = vmi_as_translate(as, va, &t);

	if (ew != et || (!ew && memcmp(&w, &t, sizeof(w))))
		__builtin_trap();
	et = vmi_as_translate(as, va, &t);	/* now a hit */
	if (ew != et || (!ew && memcmp(&w, &t, sizeof(w))))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmi_as as;
	struct vmi_phys phys = { 0 };
	struct ram ram;
	u64 va, half, len;
	u32 mpa;
	int i;

	if (size <= HDR)
		return 0;
	ram.data = data + HDR;
	ram.size = size - HDR;
	half = ram.size / 2;
	if (vmi_phys_add_range(&phys, 0, half ? half : ram.size, ram.data))
		__builtin_trap();
	if (half && vmi_phys_add_range(&phys, half, ram.size - half,
				       data[3] ? NULL : ram.data + half))
		__builtin_trap();
	phys.read = ram_read;
	phys.ctx = &ram;

	vmi_as_init(&as, &phys, get_le(data, 2) << 12, data[2] & 1);
	mpa = 12 + (data[2] >> 1);
	as.maxphyaddr = mpa > 52 ? 52 : mpa;
	va = get_le(data + 4, 8);
	len = get_le(data + 12, 4) % (MAX_READ + 1);

	check_translate(&as, va);
	check_read(&as, va, len);
	/* Neighbours: other slots, the other half, a sign-extended twin. */
	for (i = 0; i < 8; i++)
		check_translate(&as, va ^ (1ULL << (12 + 6 * i)));
	check_translate(&as, va | 0xffff800000000000ULL);
	vmi_as_flush(&as);
	check_translate(&as, va);
	return 0;
}
