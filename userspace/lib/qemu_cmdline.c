// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's command line (see qemu_cmdline.h). It is QEMU's, not the
 * guest's, but a QEMU serving a hostile guest may be compromised and
 * rewrite it: every argument is bounded by the buffer, every value by
 * its field, malformed options are skipped.
 *
 * Options are QEMU's "key=value,key=value" strings (",," is a comma in a
 * value; the first element may omit its key, the option's implied one)
 * or, for -object as libvirt writes it, JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "qemu_cmdline.h"

#define SIZE_MAX_BYTES	(1ull << 60)

uint64_t qemu_parse_size(const char *s, uint64_t unit)
{
	unsigned long long whole, frac = 0, denom = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	whole = strtoull(s, &end, 10);
	if (errno)
		return 0;
	if (*end == '.') {
		/* "1.5G": at most 9 fractional digits count */
		for (end++; *end >= '0' && *end <= '9'; end++)
			if (denom < 1000000000ull) {
				frac = frac * 10 + (unsigned long long)(*end - '0');
				denom *= 10;
			}
	}
	switch (*end) {
	case '\0': case ',':		break;
	case 'b': case 'B': unit = 1;		end++; break;
	case 'k': case 'K': unit = 1ull << 10;	end++; break;
	case 'm': case 'M': unit = 1ull << 20;	end++; break;
	case 'g': case 'G': unit = 1ull << 30;	end++; break;
	case 't': case 'T': unit = 1ull << 40;	end++; break;
	case 'p': case 'P': unit = 1ull << 50;	end++; break;
	case 'e': case 'E': unit = 1ull << 60;	end++; break;
	default: return 0;
	}
	if ((*end && *end != ',') || whole > SIZE_MAX_BYTES / unit)
		return 0;
	whole = whole * unit + (unsigned long long)((double)frac * (double)unit /
						    (double)denom);
	return whole <= SIZE_MAX_BYTES ? whole : 0;
}

/* The end of the option-string element at @s: a comma not doubled. */
static const char *opt_element_end(const char *s)
{
	while (*s && !(s[0] == ',' && s[1] != ','))
		s += s[0] == ',' ? 2 : 1;
	return s;
}

/* Copies [@s, @end) into @out with ",," made ",": -ENAMETOOLONG. */
static int opt_decode(const char *s, const char *end, char *out, size_t size)
{
	size_t n = 0;

	for (; s < end; s++) {
		if (n + 1 >= size) {
			out[0] = '\0';	/* never a value cut short */
			return -ENAMETOOLONG;
		}
		out[n++] = *s;
		if (s[0] == ',')
			s++;		/* the second of ",," */
	}
	out[n] = '\0';
	return 0;
}

/*
 * The value of @key in option string @s, decoded into @out; @implied is
 * the key a first element without "=" has (NULL: none). -ENOENT when
 * absent, -ENAMETOOLONG when it does not fit.
 */
static int opt_get(const char *s, const char *key, const char *implied,
		   char *out, size_t size)
{
	size_t key_len = strlen(key);
	bool first = true;

	while (*s) {
		const char *end = opt_element_end(s);
		const char *eq = memchr(s, '=', (size_t)(end - s));

		if (eq ? ((size_t)(eq - s) == key_len &&
			  !strncmp(s, key, key_len)) :
			 (first && implied && !strcmp(key, implied)))
			return opt_decode(eq ? eq + 1 : s, end, out, size);
		first = false;
		s = *end ? end + 1 : end;
	}
	return -ENOENT;
}

static bool opt_is(const char *s, const char *key, const char *implied,
		   const char *want)
{
	char v[128];

	return opt_get(s, key, implied, v, sizeof(v)) == 0 && !strcmp(v, want);
}

static bool bool_true(const char *v)
{
	return !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") ||
	       !strcmp(v, "y");
}

/* One pass over the arguments: each option with the argument after it. */
struct args {
	const char *buf;
	size_t len, off;
	const char *opt, *val;		/* the current pair; val may be NULL */
};

static const char *args_word(struct args *a)
{
	const char *w = a->buf + a->off;
	size_t l;

	if (a->off >= a->len)
		return NULL;
	l = strnlen(w, a->len - a->off);
	if (l == a->len - a->off)
		return NULL;		/* unterminated: a truncated read */
	a->off += l + 1;
	return w;
}

/*
 * The next option ("-m", "--m" made "-m") and its argument. Every word
 * is tried as an option, and the word after it as its argument: QEMU's
 * flags (-S, -nodefaults) take none, and which do is QEMU's table.
 */
static bool args_next(struct args *a)
{
	const char *w;

	if (!a->opt)
		a->val = args_word(a);
	w = a->val;
	if (!w)
		return false;
	a->val = args_word(a);
	if (w[0] == '-' && w[1] == '-')
		w++;
	a->opt = w;
	return true;
}

static void args_start(struct args *a, const char *buf, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->len = len;
}

/* What the first pass finds: the RAM backend's and the monitor's ids. */
struct ids {
	char ram[64], numa_ram[64], monitor[64];
};

static void copy_field(char *dst, size_t size, const char *s)
{
	if (strlen(s) < size)
		strcpy(dst, s);
}

/* -name [guest=]NAME,...; -qmp unix:PATH,...; -uuid; -m; -machine ... */
static void parse_plain(const char *opt, const char *v, struct ids *ids,
			struct qemu_cmdline *cl)
{
	char tmp[64];

	if (!strcmp(opt, "-name")) {
		opt_get(v, "guest", "guest", cl->name, sizeof(cl->name));
	} else if (!strcmp(opt, "-uuid")) {
		if (strlen(v) == 36)
			copy_field(cl->uuid, sizeof(cl->uuid), v);
	} else if (!strcmp(opt, "-m")) {
		if (opt_get(v, "size", "size", tmp, sizeof(tmp)) == 0)
			cl->ram_size = qemu_parse_size(tmp, 1ull << 20);
	} else if (!strcmp(opt, "-machine") || !strcmp(opt, "-M")) {
		opt_get(v, "memory-backend", NULL, ids->ram, sizeof(ids->ram));
	} else if (!strcmp(opt, "-numa")) {
		if (!ids->numa_ram[0] && opt_is(v, "type", "type", "node"))
			opt_get(v, "memdev", NULL, ids->numa_ram,
				sizeof(ids->numa_ram));
	} else if (!strcmp(opt, "-mon")) {
		if (!ids->monitor[0] && opt_is(v, "mode", NULL, "control"))
			opt_get(v, "chardev", "chardev", ids->monitor,
				sizeof(ids->monitor));
	} else if (!strcmp(opt, "-qmp") || !strcmp(opt, "-qmp-pretty")) {
		if (!cl->qmp[0] && !strncmp(v, "unix:", 5))
			opt_get(v + 5, "path", "path", cl->qmp, sizeof(cl->qmp));
	} else if (!strcmp(opt, "-pidfile")) {
		copy_field(cl->pidfile, sizeof(cl->pidfile), v);
	}
}

/* A JSON size: a number of bytes, or a string as on the command line. */
static uint64_t json_size(struct json_object *f)
{
	int64_t n;

	if (!json_object_is_type(f, json_type_int))
		return qemu_parse_size(json_object_get_string(f) ?: "", 1);
	n = json_object_get_int64(f);
	return n > 0 && (uint64_t)n <= SIZE_MAX_BYTES ? (uint64_t)n : 0;
}

/* libvirt's -object '{"qom-type":"memory-backend-file","id":...}' */
static void object_json(const char *v, const char *ram_id,
			struct qemu_cmdline *cl, uint64_t *size)
{
	struct json_object *j = json_tokener_parse(v), *f;

	if (!j || !json_object_is_type(j, json_type_object))
		goto out;
	if (!json_object_object_get_ex(j, "id", &f) ||
	    !json_object_is_type(f, json_type_string) ||
	    strcmp(json_object_get_string(f), ram_id) ||
	    !json_object_object_get_ex(j, "qom-type", &f) ||
	    !json_object_is_type(f, json_type_string) ||
	    strncmp(json_object_get_string(f), "memory-backend-", 15))
		goto out;
	if (json_object_object_get_ex(j, "mem-path", &f) &&
	    json_object_is_type(f, json_type_string))
		copy_field(cl->ram_path, sizeof(cl->ram_path),
			   json_object_get_string(f));
	/* QEMU takes JSON booleans only, as libvirt writes them */
	if (json_object_object_get_ex(j, "share", &f))
		cl->ram_shared = json_object_is_type(f, json_type_boolean) &&
				 json_object_get_boolean(f);
	if (json_object_object_get_ex(j, "size", &f))
		*size = json_size(f);
out:
	json_object_put(j);
}

/* -object memory-backend-file,id=ID,size=S,mem-path=P,share=on */
static void object_plain(const char *v, const char *ram_id,
			 struct qemu_cmdline *cl, uint64_t *size)
{
	char tmp[64];

	if (!opt_is(v, "id", NULL, ram_id) ||
	    opt_get(v, "qom-type", "qom-type", tmp, sizeof(tmp)) ||
	    strncmp(tmp, "memory-backend-", 15))
		return;
	opt_get(v, "mem-path", NULL, cl->ram_path, sizeof(cl->ram_path));
	cl->ram_shared = !opt_get(v, "share", NULL, tmp, sizeof(tmp)) &&
			 bool_true(tmp);
	if (!opt_get(v, "size", NULL, tmp, sizeof(tmp)))
		*size = qemu_parse_size(tmp, 1);
}

/* -chardev socket,id=ID,path=P,...: the monitor's socket */
static void chardev_plain(const char *v, const char *mon_id,
			  struct qemu_cmdline *cl)
{
	if (!cl->qmp[0] && opt_is(v, "id", NULL, mon_id) &&
	    opt_is(v, "backend", "backend", "socket"))
		opt_get(v, "path", NULL, cl->qmp, sizeof(cl->qmp));
}

void qemu_cmdline_parse(const char *buf, size_t len, struct qemu_cmdline *cl)
{
	uint64_t backend_size = 0;
	struct ids ids = {};
	struct args a;
	const char *ram_id;

	memset(cl, 0, sizeof(*cl));
	for (args_start(&a, buf, len); args_next(&a);) {
		if (!strcmp(a.opt, "-daemonize"))
			cl->daemonize = true;	/* a flag: the last word too */
		if (a.val)
			parse_plain(a.opt, a.val, &ids, cl);
	}
	ram_id = ids.ram[0] ? ids.ram : ids.numa_ram;
	for (args_start(&a, buf, len); args_next(&a);) {
		if (!a.val)
			continue;
		if (!strcmp(a.opt, "-object") && ram_id[0]) {
			if (a.val[0] == '{')
				object_json(a.val, ram_id, cl, &backend_size);
			else
				object_plain(a.val, ram_id, cl, &backend_size);
		} else if (!strcmp(a.opt, "-chardev") && ids.monitor[0]) {
			chardev_plain(a.val, ids.monitor, cl);
		}
	}
	if (!cl->ram_size)
		cl->ram_size = backend_size;
}

int qemu_cmdline_read(pid_t pid, struct qemu_cmdline *cl)
{
	size_t size = 0, len = 0;
	char path[32], *buf = NULL, *grown;
	ssize_t n;
	int fd, err = 0;

	memset(cl, 0, sizeof(*cl));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == size) {
			if (size == QEMU_CMDLINE_MAX)
				break;		/* parse what fits */
			size = size ? size * 2 : 64 << 10;
			grown = realloc(buf, size);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (!err && !len)
		err = -ESRCH;		/* a zombie or a kernel thread */
	if (!err)
		qemu_cmdline_parse(buf, len, cl);
	free(buf);
	return err;
}
