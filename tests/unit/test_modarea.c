// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The module mapping range (userspace/lib/modarea.c): VMCOREINFO's
 * NUMBER(KERNEL_IMAGE_SIZE) parsed from hostile text, and the range
 * decided from the kernel's build facts, VMCOREINFO and _end, a guest's
 * contradictions refused.
 */
#include <stdio.h>
#include <string.h>

#include "userspace/lib/modarea.h"
#include "tests/lib/tap.h"

#define GIB	(1ULL << 30)
#define MIB	(1ULL << 20)

static int parse(const char *text, u64 *ret)
{
	*ret = 0;
	return modarea_parse_vmcoreinfo(text, strlen(text), ret);
}

static void test_parse(void)
{
	static const char info[] =
		"OSRELEASE=6.1.0-57-amd64\nPAGESIZE=4096\n"
		"NUMBER(phys_base)=1073741824\n"
		"NUMBER(KERNEL_IMAGE_SIZE)=1073741824\nNUMBER(sme_mask)=0\n";
	char cut[64];
	u64 size;
	int err;

	err = parse(info, &size);
	ksft_test_result(!err && size == GIB,
			 "vmcoreinfo: KERNEL_IMAGE_SIZE found (%d, 0x%llx)\n",
			 err, (unsigned long long)size);
	ksft_test_result(parse("OSRELEASE=6.1\nNUMBER(KERNEL_IMAGE_SIZE_X)=1\n",
			       &size) == -ENOENT,
			 "vmcoreinfo: absent is -ENOENT\n");
	ksft_test_result(parse("NUMBER(KERNEL_IMAGE_SIZE)=\n", &size) == -ENOENT &&
			 parse("NUMBER(KERNEL_IMAGE_SIZE)=-5\n", &size) == -EBADMSG &&
			 parse("NUMBER(KERNEL_IMAGE_SIZE)=12ab\n", &size) == -EBADMSG &&
			 parse("NUMBER(KERNEL_IMAGE_SIZE)=123456789012345678901234567\n",
			       &size) == -EBADMSG,
			 "vmcoreinfo: empty, negative, non-numeric, overlong values refused\n");
	/* the buffer ends inside the number: no read past it */
	memcpy(cut, "NUMBER(KERNEL_IMAGE_SIZE)=5368", 30);
	err = modarea_parse_vmcoreinfo(cut, 30, &size);
	ksft_test_result(!err && size == 5368,
			 "vmcoreinfo: a value at the end without a newline (%d)\n",
			 err);
}

static int facts(bool kaslr, u64 info, u64 image_end, struct modarea *a)
{
	struct modarea_facts f = {
		.kaslr_build = kaslr, .vmcoreinfo_size = info,
		.image_end = image_end,
	};

	memset(a, 0, sizeof(*a));
	return modarea_from_facts(&f, a);
}

static void test_decide(void)
{
	struct modarea a;
	int err;

	err = facts(true, 0, 0xffffffffb2000000ULL, &a);
	ksft_test_result(!err && a.start == 0xffffffffc0000000ULL &&
			 a.end == 0xffffffffff000000ULL,
			 "KASLR build, image above 0xa0000000: 0xffffffffc0000000 (%d)\n",
			 err);
	err = facts(true, 512 * MIB, 0xffffffff84000000ULL, &a);
	ksft_test_result(!err && a.start == 0xffffffffc0000000ULL,
			 "KASLR build: VMCOREINFO lowered to 512 MiB is not believed\n");
	err = facts(false, 512 * MIB, 0xffffffff83000000ULL, &a);
	ksft_test_result(!err && a.start == 0xffffffffa0000000ULL,
			 "no KASLR, VMCOREINFO 512 MiB: 0xffffffffa0000000\n");
	err = facts(false, GIB, 0xffffffff83000000ULL, &a);
	ksft_test_result(!err && a.start == 0xffffffffc0000000ULL,
			 "no KASLR symbols, VMCOREINFO 1 GiB: 0xffffffffc0000000\n");
	err = facts(false, 0, 0xffffffff83000000ULL, &a);
	ksft_test_result(!err && a.start == 0xffffffffa0000000ULL,
			 "neither: 512 MiB, a kernel without KASLR\n");
	ksft_test_result(facts(false, 768 * MIB, 0xffffffff83000000ULL, &a) == -EBADMSG &&
			 facts(false, 1ULL << 63, 0xffffffff83000000ULL, &a) == -EBADMSG,
			 "VMCOREINFO sizes other than 512 MiB and 1 GiB refused\n");
	ksft_test_result(facts(false, 512 * MIB, 0xffffffffb0000000ULL, &a) == -EBADMSG &&
			 facts(true, 0, 0xffffffffc0001000ULL, &a) == -EBADMSG &&
			 facts(true, 0, 0x1000, &a) == -EBADMSG,
			 "an image ending past the range's start, or outside the kernel map, refused\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(11);
	test_parse();
	test_decide();
	ksft_finished();
}
