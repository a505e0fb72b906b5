// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl's output helpers against hostile guest strings: table escaping
 * leaves only printable ASCII, JSON strings are always valid UTF-8 and
 * parse back, tables align. Built from userspace/vmictl/output.c directly
 * (vmictl's objects are not in libvmiaas.a).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "userspace/vmictl/output.c"

static int printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static int valid_utf8(const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);

		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

static void test_escape(void)
{
	char comm[16], buf[OUT_ESC_SIZE(sizeof(comm))], tiny[6];

	/* A full comm has no NUL. */
	memcpy(comm, "evil\x1b[2Jname\\\xff\xfe!", sizeof(comm));
	out_escape(comm, sizeof(comm), buf, sizeof(buf));
	TEST_ASSERT(!strcmp(buf, "evil\\x1b[2Jname\\\\\\xff\\xfe!"),
		    "escape: control, backslash, high bytes, no NUL: got '%s'",
		    buf);
	TEST_ASSERT(printable_ascii(buf), "escape: only printable ASCII");
	out_escape("\x01\x02\x03", 3, tiny, sizeof(tiny));
	TEST_ASSERT(!strcmp(tiny, "\\x01"),
		    "escape: truncates whole escapes in a small buffer: got '%s'",
		    tiny);
}

/* Builds a JSON string from @in, prints it, parses it back. */
static char *json_roundtrip(const char *in, size_t max, int *ret_valid)
{
	struct json_object *j = out_json_str(in, max), *doc, *back;
	const char *text;
	char *ret = NULL;

	text = json_object_to_json_string(j);
	*ret_valid = text && valid_utf8(text);
	doc = text ? json_tokener_parse(text) : NULL;
	back = doc;
	if (back && json_object_is_type(back, json_type_string))
		ret = strdup(json_object_get_string(back));
	json_object_put(doc);
	json_object_put(j);
	return ret;
}

static void test_json_str(void)
{
	int valid;
	char *s;

	s = json_roundtrip("caf\xc3\xa9", 16, &valid);
	TEST_ASSERT(s && valid && !strcmp(s, "caf\xc3\xa9"),
		    "json: well-formed UTF-8 kept: got '%s'", s ? s : "(null)");
	free(s);
	s = json_roundtrip("a\xff\xc0\x80z", 16, &valid);
	TEST_ASSERT(s && valid &&
		    !strcmp(s, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"),
		    "json: invalid and overlong bytes become U+FFFD");
	free(s);
	s = json_roundtrip("\xed\xa0\x80\xf4\x90\x80\x80", 16, &valid);
	TEST_ASSERT(s && valid && strlen(s) == 7 * 3,
		    "json: surrogates and > U+10FFFF rejected: %zu bytes",
		    s ? strlen(s) : 0);
	free(s);
	s = json_roundtrip("tab\there\"\\\x1b", 16, &valid);
	TEST_ASSERT(s && valid && !strcmp(s, "tab\there\"\\\x1b"),
		    "json: control characters and quotes round-trip");
	free(s);
	s = json_roundtrip("0123456789abcdefXYZ", 16, &valid);
	TEST_ASSERT(s && !strcmp(s, "0123456789abcdef"),
		    "json: stops at the field size without a NUL");
	free(s);
}

static void test_json_random(void)
{
	unsigned int i, bad = 0, seed = 1;
	char in[16];

	for (i = 0; i < 20000; i++) {
		int valid;
		size_t k;
		char *s;

		for (k = 0; k < sizeof(in); k++)
			in[k] = (char)(rand_r(&seed) >> 3);
		s = json_roundtrip(in, sizeof(in), &valid);
		if (!s || !valid)
			bad++;
		free(s);
	}
	TEST_ASSERT(!bad, "json: 20000 random comms give valid JSON: %u bad",
		    bad);
}

static void test_json_addr(void)
{
	struct json_object *j = out_json_addr(0xffffffff81000000ULL);
	const char *s = json_object_get_string(j);

	TEST_ASSERT(s && !strcmp(s, "0xffffffff81000000"),
		    "json: address as a 0x%%016llx string: got '%s'", s);
	json_object_put(j);
	j = out_json_addr(0x1000);
	s = json_object_get_string(j);
	TEST_ASSERT(s && !strcmp(s, "0x0000000000001000"),
		    "json: address zero-padded: got '%s'", s);
	json_object_put(j);
}

/* Runs out_table_print() with stdout redirected into @buf. */
static int table_capture(const struct out_table *t, char *buf, size_t size)
{
	FILE *f = tmpfile();
	int saved, r;
	size_t n;

	if (!f)
		return -1;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(f), STDOUT_FILENO);
	r = out_table_print(t);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return r;
}

static void test_table(void)
{
	static const struct out_col cols[] = {
		{ "PID", true }, { "NAME", false }, { "LAST", false },
	};
	static const char want[] =
		"  PID NAME          LAST\n"
		"    1 init          x\n"
		"12345 kthreadd-long y\n";
	struct out_table *t = out_table_new(cols, 3);
	char buf[512];
	int r, same;

	out_table_cell(t, "%d", 1);
	out_table_cell(t, "%s", "init");
	out_table_cell(t, "%s", "x");
	out_table_cell(t, "%d", 12345);
	out_table_cell(t, "%s", "kthreadd-long");
	out_table_cell(t, "%s", "y");
	r = table_capture(t, buf, sizeof(buf));
	same = !strcmp(buf, want);
	if (!same)
		ksft_print_msg("table printed:\n%s", buf);
	TEST_ASSERT(r == 0 && same,
		    "table: columns aligned, numbers right (r=%d)", r);
	out_table_free(t);
	TEST_ASSERT(out_table_free(NULL) == NULL, "table: free(NULL)");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(13);
	test_escape();
	test_json_str();
	test_json_random();
	test_json_addr();
	test_table();
	ksft_finished();
}
