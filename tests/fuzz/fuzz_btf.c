// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for userspace/lib/btf.c: the input is guest memory.
 * btf_locate() scans it; btf_load() parses it as a blob; on success every
 * member of the first composites is looked up, directly, through an index
 * and with a member path below it. Whatever btf_check() accepts, libbpf's
 * btf__new() must accept too (else the two disagree on what is valid).
 *
 * Seeds: tests/fuzz/corpus/fuzz_btf (test_btf --write-corpus).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "userspace/lib/engine.h"

#define MAX_COMPOSITES	64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	libbpf_set_print(quiet);
	return 0;
}

static void lookups(const struct btf *btf)
{
	static const char *const fixed[][2] = {
		{ "task_struct", "tasks" }, { "task_struct", "comm[15]" },
		{ "task_struct", "pid" }, { "task_struct", "mem[1].size" },
		{ "module", "mem[0].base" }, { "list_head", "next.prev" },
	};
	u32 i, j, n = btf__type_cnt(btf), seen = 0, v;
	const struct btf_type *t;
	const struct btf_member *m;
	const char *tn, *mn;
	struct btf_field f;
	char path[300];
	s64 e;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		btf_offsetof(btf, fixed[i][0], fixed[i][1], &v);
		btf_member_size(btf, fixed[i][0], fixed[i][1], &v);
	}
	btf_sizeof(btf, "task_struct", &v);
	btf_enum_value(btf, "MODULE_STATE_LIVE", &e);

	for (i = 1; i < n && seen < MAX_COMPOSITES; i++) {
		t = btf__type_by_id(btf, i);
		if (!btf_is_composite(t))
			continue;
		tn = btf__name_by_offset(btf, t->name_off);
		if (!tn || !*tn)
			continue;
		seen++;
		btf_sizeof(btf, tn, &v);
		m = btf_members(t);
		for (j = 0; j < btf_vlen(t) && j < 16; j++, m++) {
			mn = btf__name_by_offset(btf, m->name_off);
			if (!mn || !*mn)
				continue;
			btf_field(btf, tn, mn, &f);
			btf_offsetof(btf, tn, mn, &v);
			snprintf(path, sizeof(path), "%s[1]", mn);
			btf_field(btf, tn, path, &f);
			snprintf(path, sizeof(path), "%s.%s", mn, mn);
			btf_field(btf, tn, path, &f);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off, len;
	struct btf *btf;
	u32 nr;

	if (!btf_locate(data, size, &off, &len)) {
		if (off > size || len > size - off)
			__builtin_trap();
		if (!btf_load(data + off, len, &btf)) {
			lookups(btf);
			btf__free(btf);
		}
	}
	if (!btf_check(data, size, &len, &nr)) {
		btf = btf__new(data, len);
		if (!btf && errno != ENOMEM)
			__builtin_trap();	/* we accept what libbpf refuses */
		if (btf && btf__type_cnt(btf) != nr + 1)
			__builtin_trap();
		btf__free(btf);
	}
	if (!btf_load(data, size, &btf)) {
		lookups(btf);
		btf__free(btf);
	}
	return 0;
}
