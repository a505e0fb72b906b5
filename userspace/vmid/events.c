// SPDX-License-Identifier: GPL-2.0
/*
 * Logging and events. Log lines go to stderr with a "<N>" priority prefix
 * (systemd turns it into the journal priority; omitted on a terminal).
 * Events are JSON objects, one per line, each written with one write()
 * to a file opened O_APPEND (or stdout), so that lines never interleave.
 * Everything that came from a guest (through a worker) is escaped to
 * printable ASCII first. With the journal on, each event is also one
 * structured journal entry (sd_journal_send) whose fields allow
 * "journalctl VM_NAME=web1 VMIAAS_CHECK=syscall-table"; the plain log
 * line on stderr is then left out, so that the journal has it once.
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
#include <systemd/sd-journal.h>

#include "uapi/linux/vmiaas.h"

#include "vmid.h"

static int events_fd = -1;
static bool events_own;
static bool journal_on;
static void (*events_sink)(const struct vm *vm, const char *type,
			   const char *line, size_t len);

/*
 * MESSAGE_ID of each kind of entry, for journalctl MESSAGE_ID= and the
 * catalog: a finding, a resolved finding, an informational check event,
 * a daemon event.
 */
#define MSGID_FINDING	"4c3a1e0b9d5f4e0f8a6c2b7d1e9f3a51"
#define MSGID_RESOLVED	"4c3a1e0b9d5f4e0f8a6c2b7d1e9f3a52"
#define MSGID_EVENT	"4c3a1e0b9d5f4e0f8a6c2b7d1e9f3a53"
#define MSGID_VMID	"4c3a1e0b9d5f4e0f8a6c2b7d1e9f3a54"

void events_journal(bool on)
{
	journal_on = on;
}

void events_set_sink(void (*fn)(const struct vm *vm, const char *type,
				const char *line, size_t len))
{
	events_sink = fn;
}

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
	json_object_object_add(v, "backend", vm->mod ? json_object_new_string("module") :
			       vm->backend[0] ? jstr(vm->backend, sizeof(vm->backend)) : NULL);
	json_object_object_add(v, "memory", vm->backend[0] ?
			       jstr(vm->backend, sizeof(vm->backend)) : NULL);
	json_object_object_add(v, "uuid", vm->ident.uuid[0] ?
			       jstr(vm->ident.uuid, sizeof(vm->ident.uuid)) : NULL);
	json_object_object_add(v, "source", json_object_new_string(
			       vm->ident.libvirt ? "libvirt" : "proc"));
	json_object_object_add(o, "vm", v);
	return o;
}

/* The VM identity fields of a journal entry, escaped. */
struct journal_vm {
	char id[VMID_NAME_MAX * 4 + 16], name[VMID_NAME_MAX * 4 + 16];
	char uuid[37 * 4 + 16], pid[32];
};

static void journal_vm_fields(const struct vm *vm, struct journal_vm *j)
{
	char esc[VMID_NAME_MAX * 4 + 1], uesc[37 * 4 + 1];

	snprintf(j->id, sizeof(j->id), "VM_ID=%s",
		 vm ? vmid_escape(vm->ident.id, sizeof(vm->ident.id), esc, sizeof(esc)) : "");
	snprintf(j->name, sizeof(j->name), "VM_NAME=%s",
		 vm ? vmid_escape(vm->ident.name, sizeof(vm->ident.name), esc, sizeof(esc)) : "");
	snprintf(j->uuid, sizeof(j->uuid), "VM_UUID=%s",
		 vm ? vmid_escape(vm->ident.uuid, sizeof(vm->ident.uuid), uesc,
				  sizeof(uesc)) : "");
	snprintf(j->pid, sizeof(j->pid), "QEMU_PID=%d", vm ? (int)vm->ident.pid : 0);
}

static void event_write(struct json_object *o, const struct vm *vm,
			const char *type)
{
	const char *s;
	char *line;
	size_t len, off = 0;
	ssize_t n;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && events_sink)
		events_sink(vm, type, s, strlen(s));
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

struct json_object *events_finding_json(const struct vm *vm, const char *type,
					const struct vmiaas_finding *f)
{
	struct json_object *o = event_new(vm, type);
	struct json_object *d = json_object_new_object();
	char buf[2 * VMIAAS_FINDING_BYTES_MAX + 1];
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
	return o;
}

static int journal_finding(const struct vm *vm, const char *type, int prio,
			    const struct vmiaas_finding *f, const char *text,
			    const char *json)
{
	char check[sizeof(f->check) * 4 + 1], obj[sizeof(f->object) * 4 + 1];
	struct journal_vm j;
	const char *id = !strcmp(type, "finding") ? MSGID_FINDING :
			 !strcmp(type, "resolved") ? MSGID_RESOLVED : MSGID_EVENT;

	journal_vm_fields(vm, &j);
	vmid_escape(f->check, sizeof(f->check), check, sizeof(check));
	vmid_escape(f->object, sizeof(f->object), obj, sizeof(obj));
	return sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", prio,
			"MESSAGE_ID=%s", id, "SYSLOG_IDENTIFIER=vmid",
			"VMIAAS_EVENT=%s", type, "VMIAAS_CHECK=%s", check,
			"VMIAAS_SEVERITY=%s", vmiaas_severity_name(f->severity),
			"VMIAAS_OBJECT=%s", obj, "%s", j.id, "%s", j.name,
			"%s", j.uuid, "%s", j.pid, "VMIAAS_JSON=%s", json ? json : "",
			NULL);
}

void events_finding(const struct vm *vm, const char *type,
		    const struct vmiaas_finding *f)
{
	struct json_object *o = events_finding_json(vm, type, f);
	char obj[sizeof(f->object) * 4 + 1], msg[sizeof(f->message) * 4 + 1];
	char text[sizeof(obj) + sizeof(msg) + 256];
	bool event = f->flags & VMIAAS_FINDING_EVENT;
	int prio = !strcmp(type, "finding") ?
		   (f->severity >= VMIAAS_SEV_HIGH ? 2 : VMID_LOG_WARNING) :
		   VMID_LOG_INFO;

	vmid_escape(f->object, sizeof(f->object), obj, sizeof(obj));
	vmid_escape(f->message, sizeof(f->message), msg, sizeof(msg));
	snprintf(text, sizeof(text), "%s %s (pid %d): %s %s %s: %s", vm->ident.id,
		 !strcmp(type, "resolved") ? "resolved" :
		 event ? "event" : "FINDING", (int)vm->ident.pid,
		 vmiaas_severity_name(f->severity), f->check, obj, msg);
	/* no journald to take it: the log line, as without the journal */
	if (!journal_on ||
	    journal_finding(vm, type, prio, f, text,
			    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		vmid_log(prio, "%s", text);
	event_write(o, vm, type);
}

static int journal_vm_event(const struct vm *vm, int prio, const char *event,
			    const char *esc)
{
	struct journal_vm j;
	char text[1024 * 4 + VMID_NAME_MAX + 64];

	journal_vm_fields(vm, &j);
	if (vm)
		snprintf(text, sizeof(text), "%s (pid %d): %s: %s",
			 vm->ident.id, (int)vm->ident.pid, event, esc);
	else
		snprintf(text, sizeof(text), "%s: %s", event, esc);
	return sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", prio,
			       "MESSAGE_ID=%s", MSGID_VMID,
			       "SYSLOG_IDENTIFIER=vmid", "VMIAAS_EVENT=%s", event,
			       "%s", j.id, "%s", j.name, "%s", j.uuid, "%s", j.pid,
			       NULL);
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
	if (journal_on && journal_vm_event(vm, prio, event, esc) == 0) {
		/* in the journal */
	} else if (vm) {
		vmid_log(prio, "%s (pid %d): %s: %s", vm->ident.id,
			 (int)vm->ident.pid, event, esc);
	} else {
		vmid_log(prio, "%s: %s", event, esc);
	}
	event_write(o, vm, "vmid");
}

/* The names of the uapi's request reasons and verdicts, for events. */
const char *vmid_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[VMIAAS_REASON_PERIODIC] = "periodic",
		[VMIAAS_REASON_MODULE_LOAD] = "module-load",
		[VMIAAS_REASON_ON_DEMAND] = "on-demand",
		[VMIAAS_REASON_BOOT] = "boot",
	};

	return reason && reason <= VMIAAS_REASON_MAX ? names[reason] :
	       "unknown";
}

const char *vmid_verdict_name(uint32_t verdict)
{
	static const char *const names[] = {
		[VMIAAS_VERDICT_NONE] = "none",
		[VMIAAS_VERDICT_CLEAN] = "clean",
		[VMIAAS_VERDICT_TAMPERED] = "tampered",
		[VMIAAS_VERDICT_ERROR] = "error",
	};

	return verdict <= VMIAAS_VERDICT_ERROR ? names[verdict] : "unknown";
}
