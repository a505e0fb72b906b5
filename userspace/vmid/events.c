// SPDX-License-Identifier: GPL-2.0
/*
 * Logging and events. Log lines go to stderr with a "<N>" priority prefix
 * (systemd turns it into the journal priority; omitted on a terminal).
 * Events are JSON objects, one per line, each written with one write()
 * to a file opened O_APPEND (or stdout), so that lines never interleave.
 * Everything that came from a guest (through a worker) is escaped to
 * printable ASCII first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vmid.h"

static int events_fd = -1;
static bool events_own;

void vmid_log(int prio, const char *fmt, ...)
{
	static int tty = -1;
	char buf[2048];
	va_list ap;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (tty)
		fprintf(stderr, "vmid: %s\n", buf);
	else
		fprintf(stderr, "<%d>%s\n", prio, buf);
}

int events_open(const char *path)
{
	int fd;

	if (!strcmp(path, "-")) {
		events_close();
		events_fd = STDOUT_FILENO;
		events_own = false;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	events_close();
	events_fd = fd;
	events_own = true;
	return 0;
}

void events_close(void)
{
	if (events_own && events_fd >= 0)
		close(events_fd);
	events_fd = -1;
	events_own = false;
}

const char *vmid_escape(const char *s, size_t max, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < max && s[i] && o + 5 <= size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, size - o, c == '\\' ? "\\\\" : "\\x%02x", c);
			o += c == '\\' ? 2 : 4;
		}
	}
	buf[o] = '\0';
	return buf;
}

static struct json_object *jstr(const char *s, size_t max)
{
	char buf[VMID_PATH_MAX * 4 + 1];

	return json_object_new_string(vmid_escape(s, max, buf, sizeof(buf)));
}

static struct json_object *jaddr(uint64_t a)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)a);
	return json_object_new_string(buf);
}

static void hex(const uint8_t *p, size_t n, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n && 2 * i + 3 <= size; i++)
		snprintf(buf + 2 * i, size - 2 * i, "%02x", p[i]);
}

static struct json_object *event_new(const struct vm *vm, const char *type)
{
	struct json_object *o = json_object_new_object(), *v;
	struct timespec ts;
	struct tm tm;
	char t[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%03ldZ",
		 ts.tv_nsec / 1000000);
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "type", json_object_new_string(type));
	if (!vm)
		return o;
	v = json_object_new_object();
	json_object_object_add(v, "id", jstr(vm->ident.id, sizeof(vm->ident.id)));
	json_object_object_add(v, "name", jstr(vm->ident.name, sizeof(vm->ident.name)));
	json_object_object_add(v, "pid", json_object_new_int64(vm->ident.pid));
	json_object_object_add(v, "shm", vm->ident.shm[0] ?
			       jstr(vm->ident.shm, sizeof(vm->ident.shm)) : NULL);
	json_object_object_add(v, "backend", vm->backend[0] ?
			       jstr(vm->backend, sizeof(vm->backend)) : NULL);
	json_object_object_add(o, "vm", v);
	return o;
}

static void event_write(struct json_object *o)
{
	const char *s;
	char *line;
	size_t len, off = 0;
	ssize_t n;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && events_fd >= 0) {
		len = strlen(s);
		line = malloc(len + 2);
		if (line) {
			memcpy(line, s, len);
			line[len++] = '\n';
			while (off < len) {
				n = write(events_fd, line + off, len - off);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0) {
					vmid_log(VMID_LOG_ERR, "cannot write an event: %s",
						 strerror(n < 0 ? errno : EIO));
					break;
				}
				off += (size_t)n;
			}
			free(line);
		}
	}
	json_object_put(o);
}

void events_finding(const struct vm *vm, const char *type,
		    const struct vmiaas_finding *f)
{
	struct json_object *o = event_new(vm, type);
	struct json_object *d = json_object_new_object();
	char buf[2 * VMIAAS_FINDING_BYTES_MAX + 1];
	char obj[sizeof(f->object) * 4 + 1], msg[sizeof(f->message) * 4 + 1];
	bool event = f->flags & VMIAAS_FINDING_EVENT;
	size_t nb = f->nr_bytes < VMIAAS_FINDING_BYTES_MAX ?
		    f->nr_bytes : VMIAAS_FINDING_BYTES_MAX;

	json_object_object_add(o, "check", jstr(f->check, sizeof(f->check)));
	json_object_object_add(o, "severity", json_object_new_string(
		vmiaas_severity_name(f->severity)));
	json_object_object_add(o, "object", jstr(f->object, sizeof(f->object)));
	json_object_object_add(d, "message", jstr(f->message, sizeof(f->message)));
	if (f->flags & VMIAAS_FINDING_ADDRESS)
		json_object_object_add(d, "address", jaddr(f->address));
	if (f->flags & VMIAAS_FINDING_VALUES) {
		json_object_object_add(d, "old", jaddr(f->old_value));
		json_object_object_add(d, "new", jaddr(f->new_value));
	}
	if (f->flags & VMIAAS_FINDING_SYMBOLS) {
		json_object_object_add(d, "old_symbol",
				       jstr(f->old_symbol, sizeof(f->old_symbol)));
		json_object_object_add(d, "new_symbol",
				       jstr(f->new_symbol, sizeof(f->new_symbol)));
	}
	if (f->flags & VMIAAS_FINDING_BYTES) {
		json_object_object_add(d, "bytes_changed",
				       json_object_new_int64(f->nr_bytes_total));
		hex(f->old_bytes, nb, buf, sizeof(buf));
		json_object_object_add(d, "old_bytes", json_object_new_string(buf));
		hex(f->new_bytes, nb, buf, sizeof(buf));
		json_object_object_add(d, "new_bytes", json_object_new_string(buf));
	}
	json_object_object_add(o, "detail", d);
	event_write(o);

	vmid_escape(f->object, sizeof(f->object), obj, sizeof(obj));
	vmid_escape(f->message, sizeof(f->message), msg, sizeof(msg));
	vmid_log(!strcmp(type, "finding") ?
		 (f->severity >= VMIAAS_SEV_HIGH ? 2 : VMID_LOG_WARNING) :
		 VMID_LOG_INFO,
		 "%s %s (pid %d): %s %s %s: %s", vm->ident.id,
		 !strcmp(type, "resolved") ? "resolved" :
		 event ? "event" : "FINDING", (int)vm->ident.pid,
		 vmiaas_severity_name(f->severity), f->check, obj, msg);
}

void events_vm(const struct vm *vm, int prio, const char *event,
	       const char *fmt, ...)
{
	struct json_object *o = event_new(vm, "vmid");
	char msg[1024], esc[sizeof(msg) * 4 + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmid_escape(msg, sizeof(msg), esc, sizeof(esc));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "message", json_object_new_string(esc));
	event_write(o);
	if (vm)
		vmid_log(prio, "%s (pid %d): %s: %s", vm->ident.id,
			 (int)vm->ident.pid, event, esc);
	else
		vmid_log(prio, "%s: %s", event, esc);
}
