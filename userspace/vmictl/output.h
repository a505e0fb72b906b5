/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output helpers for vmictl: aligned tables, "key: value" lines and JSON
 * documents on stdout.
 *
 * Strings that come from the guest (task comm, module names, symbols,
 * the banner) are untrusted bytes: tables print them through out_escape(),
 * JSON through out_json_str(). Both produce only printable ASCII or valid
 * UTF-8, so a guest cannot put escape sequences on a terminal or make the
 * JSON document invalid.
 *
 * Write errors are sticky (stdio's error indicator); SIGPIPE is ignored by
 * main(), so "vmictl ps | head" ends in -EPIPE from out_flush(), which main()
 * treats as success.
 */
#ifndef VMICTL_OUTPUT_H
#define VMICTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Room for out_escape() of @n guest bytes: "\xNN" each, plus the NUL. */
#define OUT_ESC_SIZE(n)		((n) * 4 + 1)

/*
 * Copies at most @max bytes of @s (stopping at a NUL) into @buf, printable
 * ASCII as is, '\\' as "\\\\", anything else as "\xNN". Returns @buf.
 */
const char *out_escape(const char *s, size_t max, char *buf, size_t size);

/* Flushes stdout. Returns 0 or the negative errno of any write so far. */
int out_flush(void);

/* "key:" padded to a column, then the formatted value and a newline. */
void out_kv(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct out_col {
	const char *name;
	bool right;		/* right-align (numbers) */
};

struct out_table;

struct out_table *out_table_new(const struct out_col *cols, size_t nr_cols);
struct out_table *out_table_free(struct out_table *t);
/* Appends the next cell, row by row. 0 or -ENOMEM. */
int out_table_cell(struct out_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the header and the rows; returns out_flush(). */
int out_table_print(const struct out_table *t);

/*
 * JSON builders. An allocation failure in any of them is remembered and
 * reported by out_json_print() as -ENOMEM, so that callers can build a
 * document without checking every node.
 */
struct json_object *out_json_str(const char *s, size_t max);
struct json_object *out_json_addr(uint64_t addr);	/* "0x%016llx" */
void out_json_add(struct json_object *obj, const char *key,
		  struct json_object *val);
void out_json_append(struct json_object *arr, struct json_object *val);
/* Prints @obj as one document, drops the reference; returns out_flush(). */
int out_json_print(struct json_object *obj);

#endif /* VMICTL_OUTPUT_H */
