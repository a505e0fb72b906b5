// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The module mapping range, from the guest (see modarea.h).
 *
 * Which KERNEL_IMAGE_SIZE a kernel has is a build fact: a kernel built
 * with CONFIG_RANDOMIZE_MEMORY (which needs CONFIG_RANDOMIZE_BASE) has
 * kernel_randomize_memory() in its symbols, one built with
 * CONFIG_RANDOMIZE_BASE before 6.10 has module_load_offset; the symbols
 * are copied out of the guest at attach and verified, and text and
 * rodata are measured, so a guest cannot take them back. Only a kernel
 * with neither is asked through its VMCOREINFO note
 * (arch_crash_save_vmcoreinfo(): NUMBER(KERNEL_IMAGE_SIZE)), which lives
 * in writable memory: so a guest cannot lower the range's start to
 * 0xffffffffa0000000 in a KASLR build (to pass code mapped between its
 * image and 0xffffffffc0000000 as module memory), nor make the check
 * fail by corrupting the note there. Without the note either, a kernel
 * is taken to be built without KASLR (512 MiB).
 */
#include <stdlib.h>
#include <string.h>

#include "modarea.h"
#include "list.h"

#define VMCOREINFO_KEY	"NUMBER(KERNEL_IMAGE_SIZE)="

int modarea_parse_vmcoreinfo(const char *info, size_t len, u64 *ret)
{
	const size_t klen = strlen(VMCOREINFO_KEY);
	const char *line = info, *end = info + len, *nl;
	char num[24], *tail;
	size_t n;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', end - line);
		if (!nl)
			nl = end;
		if ((size_t)(nl - line) <= klen ||
		    memcmp(line, VMCOREINFO_KEY, klen))
			continue;
		n = nl - line - klen;
		if (n >= sizeof(num))
			return -EBADMSG;
		memcpy(num, line + klen, n);
		num[n] = '\0';
		*ret = strtoull(num, &tail, 10);
		return *tail || num[0] < '0' || num[0] > '9' ? -EBADMSG : 0;
	}
	return -ENOENT;
}

int modarea_from_facts(const struct modarea_facts *f, struct modarea *ret)
{
	u64 size = f->vmcoreinfo_size;

	if (f->kaslr_build)
		size = MODAREA_IMAGE_KASLR;
	else if (!size)
		size = MODAREA_IMAGE_FIXED;
	else if (size != MODAREA_IMAGE_KASLR && size != MODAREA_IMAGE_FIXED)
		return -EBADMSG;
	if (f->image_end <= MODAREA_KERNEL_MAP ||
	    f->image_end > MODAREA_KERNEL_MAP + size)
		return -EBADMSG;
	ret->start = MODAREA_KERNEL_MAP + size;
	ret->end = MODAREA_END;
	return 0;
}

/* NUMBER(KERNEL_IMAGE_SIZE) from the guest's VMCOREINFO, 0 if none. */
static u64 modarea_vmcoreinfo(struct vmiaas *v, int *err)
{
	u64 sym, data, size, image_size = 0;
	char *buf;

	*err = 0;
	if (engine_sym(v, "vmcoreinfo_data", &sym) ||
	    engine_read_u64(v, sym, &data) ||
	    engine_sym(v, "vmcoreinfo_size", &sym) ||
	    engine_read_u64(v, sym, &size) || !kernel_ptr(data) || !size)
		return 0;	/* no crash support, or not set up yet */
	if (size > MODAREA_VMCOREINFO_MAX) {
		*err = -EBADMSG;
		return 0;
	}
	buf = malloc(size);
	if (!buf) {
		*err = -ENOMEM;
		return 0;
	}
	if (!engine_read(v, data, buf, size)) {
		*err = modarea_parse_vmcoreinfo(buf, size, &image_size);
		if (*err == -ENOENT)
			*err = 0;
	}
	free(buf);
	return *err ? 0 : image_size;
}

int modarea_get(struct vmiaas *v, struct modarea *ret)
{
	struct modarea_facts f = {};
	u64 sym;
	int err = 0;

	f.kaslr_build = !engine_sym(v, "kernel_randomize_memory", &sym) ||
			!engine_sym(v, "module_load_offset", &sym);
	if (engine_sym(v, "_end", &f.image_end))
		return engine_fail(v, -ENOENT,
				   "the module range: the kernel has no _end symbol");
	if (!f.kaslr_build)
		f.vmcoreinfo_size = modarea_vmcoreinfo(v, &err);
	if (err)
		return engine_fail(v, err,
				   "the module range: VMCOREINFO is malformed (%s)",
				   strerror(-err));
	err = modarea_from_facts(&f, ret);
	if (err)
		return engine_fail(v, err,
				   "the module range: the kernel image ends at 0x%llx, KERNEL_IMAGE_SIZE is 0x%llx (%s): they contradict each other",
				   (unsigned long long)f.image_end,
				   f.kaslr_build ? MODAREA_IMAGE_KASLR :
				   (unsigned long long)f.vmcoreinfo_size,
				   f.kaslr_build ? "a KASLR build" :
				   "VMCOREINFO");
	return 0;
}
