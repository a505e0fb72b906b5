// SPDX-License-Identifier: GPL-2.0
/*
 * Output helpers for vmictl: see output.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

#define OUT_KEY_WIDTH		18
/* Far above any guest's lists; the library caps its walks lower. */
#define OUT_TABLE_MAX_CELLS	(16U << 20)

/* Sticky: a JSON node could not be allocated or added. */
static bool out_json_oom;

const char *out_escape(const char *s, size_t max, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = s[i];

		if (o + 5 > size)
			break;
		if (ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else if (ch >= 0x20 && ch < 0x7f) {
			buf[o++] = ch;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 0xf];
		}
	}
	if (size)
		buf[o < size ? o : size - 1] = '\0';
	return buf;
}

int out_flush(void)
{
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout))
		return errno ? -errno : -EIO;
	return 0;
}

void out_kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%-*s ", OUT_KEY_WIDTH, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ---- tables ---- */

struct out_table {
	const struct out_col *cols;
	size_t nr_cols;
	char **cells;		/* row-major, nr_cells of them */
	size_t nr_cells, cap;
};

struct out_table *out_table_new(const struct out_col *cols, size_t nr_cols)
{
	struct out_table *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cols = cols;
	t->nr_cols = nr_cols;
	return t;
}

struct out_table *out_table_free(struct out_table *t)
{
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < t->nr_cells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
	return NULL;
}

static int out_table_grow(struct out_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	char **cells;

	if (cap > OUT_TABLE_MAX_CELLS)
		return -E2BIG;
	cells = reallocarray(t->cells, cap, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	t->cells = cells;
	t->cap = cap;
	return 0;
}

int out_table_cell(struct out_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	if (t->nr_cells == t->cap) {
		r = out_table_grow(t);
		if (r < 0)
			return r;
	}
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	t->cells[t->nr_cells++] = s;
	return 0;
}

static void out_table_widths(const struct out_table *t, size_t *w)
{
	size_t i;

	for (i = 0; i < t->nr_cols; i++)
		w[i] = strlen(t->cols[i].name);
	for (i = 0; i < t->nr_cells; i++) {
		size_t len = strlen(t->cells[i]);
		size_t c = i % t->nr_cols;

		if (len > w[c])
			w[c] = len;
	}
}

static void out_table_row(const struct out_table *t, const size_t *w,
			  const char *const *row)
{
	size_t c;

	for (c = 0; c < t->nr_cols; c++) {
		bool last = c + 1 == t->nr_cols;
		int width = (int)w[c];

		if (t->cols[c].right)
			printf("%*s", width, row[c]);
		else
			printf("%-*s", last ? 0 : width, row[c]);
		putchar(last ? '\n' : ' ');
	}
}

int out_table_print(const struct out_table *t)
{
	const char **header;
	size_t *w, i;

	w = calloc(t->nr_cols, sizeof(*w));
	header = calloc(t->nr_cols, sizeof(*header));
	if (!w || !header) {
		free(w);
		free(header);
		return -ENOMEM;
	}
	out_table_widths(t, w);
	for (i = 0; i < t->nr_cols; i++)
		header[i] = t->cols[i].name;
	out_table_row(t, w, header);
	/* Stop at the first write error: the reader may have gone away. */
	for (i = 0; i + t->nr_cols <= t->nr_cells && !ferror(stdout);
	     i += t->nr_cols)
		out_table_row(t, w, (const char *const *)&t->cells[i]);
	free(header);
	free(w);
	return out_flush();
}

/* ---- JSON ---- */

/*
 * Length of the well-formed UTF-8 sequence at @s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Valid UTF-8 is kept (json-c escapes the control characters); every byte
 * that is not part of a well-formed sequence becomes U+FFFD.
 */
struct json_object *out_json_str(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strnlen(s, max), i = 0, o = 0;
	struct json_object *j;
	char *buf;

	buf = malloc(len * 3 + 1);
	if (!buf) {
		out_json_oom = true;
		return NULL;
	}
	while (i < len) {
		size_t n = utf8_seq_len(u + i, len - i);

		if (n) {
			memcpy(buf + o, u + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_object_new_string_len(buf, (int)o);
	free(buf);
	if (!j)
		out_json_oom = true;
	return j;
}

struct json_object *out_json_addr(uint64_t addr)
{
	char buf[sizeof("0x") + 16];
	struct json_object *j;

	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)addr);
	j = json_object_new_string(buf);
	if (!j)
		out_json_oom = true;
	return j;
}

void out_json_add(struct json_object *obj, const char *key,
		  struct json_object *val)
{
	if (!obj || !val || json_object_object_add(obj, key, val) < 0) {
		out_json_oom = true;
		json_object_put(val);
	}
}

void out_json_append(struct json_object *arr, struct json_object *val)
{
	if (!arr || !val || json_object_array_add(arr, val) < 0) {
		out_json_oom = true;
		json_object_put(val);
	}
}

int out_json_print(struct json_object *obj)
{
	const char *s;

	if (!obj || out_json_oom) {
		json_object_put(obj);
		return -ENOMEM;
	}
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s) {
		json_object_put(obj);
		return -ENOMEM;
	}
	fputs(s, stdout);
	putchar('\n');
	json_object_put(obj);
	return out_flush();
}
