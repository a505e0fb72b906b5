// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a Unix stream socket, mode 0600, for root (or the
 * daemon's own user: SO_PEERCRED is checked as well as the mode). One
 * request line per connection, then:
 *
 *   status          one JSON document ({"vms": [...]}), close
 *   findings [VM]   the recent finding/resolved events (of VM), close
 *   check VM        runs a check of VM now; answers when it is done with
 *                   the VM's status and its active findings, close
 *   rebaseline VM   removes VM's baseline and restarts its worker, which
 *                   takes a new one (trust on first use); answers at once
 *   follow          every event line, as written to the event file, until
 *                   the client closes
 *
 * Every client is non-blocking and served from the main loop: at most
 * CONTROL_MAX_CLIENTS at once, CONTROL_REQ_TIMEOUT seconds to send the
 * request line, CONTROL_OUT_MAX bytes of unsent output (a follower that
 * does not read is dropped rather than let vmid's memory grow).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vmid.h"

#define CONTROL_REQ_MAX		256
#define CONTROL_REQ_TIMEOUT	2.0		/* s to send the request */
#define CONTROL_OUT_MAX		(1 << 20)	/* unsent bytes per client */
#define CONTROL_RING		256		/* recent findings kept */

enum client_mode { CL_READING, CL_WRITING, CL_FOLLOWING, CL_WAITING };

struct client {
	int fd;
	enum client_mode mode;
	bool eof;			/* the client shut its sending side */
	double deadline;		/* reading, waiting: monotonic s */
	char req[CONTROL_REQ_MAX + 1];
	size_t len;
	char *out;
	size_t out_len, out_off;
	/* CL_WAITING: the VM (pid and start time) and its round to wait for */
	pid_t vm_pid;
	uint64_t vm_start;
	uint64_t until_checks;
};

static struct client clients[CONTROL_MAX_CLIENTS];
static size_t nr_clients;

/* Recent finding and resolved events: their JSON lines and VM names. */
struct ring_entry {
	char *line;
	char id[VMID_NAME_MAX], name[VMID_NAME_MAX], uuid[37];
};
static struct ring_entry ring[CONTROL_RING];
static size_t ring_next;

static int sockaddr_set(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int control_open(const char *path)
{
	struct sockaddr_un sa;
	char dir[VMID_PATH_MAX], *slash;
	mode_t old;
	int fd, r;

	r = sockaddr_set(&sa, path);
	if (r < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a live daemon answers; a stale socket file is replaced */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r == 0)
		r = chmod(path, 0600);
	if (r == 0)
		r = listen(fd, 16);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void control_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

static struct json_object *vm_json(const struct vm *vm)
{
	struct json_object *v = json_object_new_object();
	char esc[VMID_PATH_MAX * 4 + 1], mod[sizeof(vm->mod_why)];
	char dirty[640];

#define STR(k, s) json_object_object_add(v, k, json_object_new_string( \
		vmid_escape(s, sizeof(s), esc, sizeof(esc))))
	json_object_object_add(v, "pid", json_object_new_int64(vm->ident.pid));
	STR("id", vm->ident.id);
	STR("name", vm->ident.name);
	json_object_object_add(v, "uuid", vm->ident.uuid[0] ? json_object_new_string(
		vmid_escape(vm->ident.uuid, sizeof(vm->ident.uuid), esc, sizeof(esc))) : NULL);
	json_object_object_add(v, "source", json_object_new_string(
		vm->ident.libvirt ? "libvirt" : "proc"));
	/* attached through /dev/vmiaas: the module backend, with memory from */
	STR("backend", vm->mod ? "module" : vm->backend[0] ? vm->backend :
	    vm->ident.shm[0] ? "shm" : "pid");
	STR("memory", vm->backend[0] ? vm->backend : vm->ident.shm[0] ? "shm" : "pid");
	STR("backend_why", vm->backend_why);
	STR("baseline", vm->baseline);
	STR("isolation", vm->isolation);
	json_object_object_add(v, "module", json_object_new_string(vmid_escape(
		module_status(vm, mod, sizeof(mod)), sizeof(mod), esc, sizeof(esc))));
	json_object_object_add(v, "dirty_skip", json_object_new_string(
		vmid_escape(softdirty_status(vm, dirty, sizeof(dirty)),
			    sizeof(dirty), esc, sizeof(esc))));
	json_object_object_add(v, "dirty_epochs",
			       json_object_new_int64((int64_t)vm->dirty.epochs));
	json_object_object_add(v, "dirty_pages_hashed",
			       json_object_new_int64((int64_t)vm->dirty.hashed));
	json_object_object_add(v, "dirty_pages_skipped",
			       json_object_new_int64((int64_t)vm->dirty.skipped));
	STR("shm", vm->ident.shm);
	STR("qmp", vm->ident.qmp);
	STR("kernel", vm->kernel);
#undef STR
	json_object_object_add(v, "state", json_object_new_string(
		vm_state_name(vm->state)));
	json_object_object_add(v, "worker_pid", json_object_new_int64(vm->worker));
	json_object_object_add(v, "last_check", vm->last_check ?
		json_object_new_int64((int64_t)vm->last_check) : NULL);
	json_object_object_add(v, "last_check_ms", json_object_new_double(vm->last_ms));
	json_object_object_add(v, "checks", json_object_new_int64((int64_t)vm->nr_checks));
	json_object_object_add(v, "findings", json_object_new_int64(vm->nr_findings_active));
	json_object_object_add(v, "restarts", json_object_new_int64(vm->nr_restarts));
	sched_vm_json(v, vm, vmid_now());
	return v;
}

static struct json_object *status_json(const struct vmid *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	size_t i, n = vmid_nr_vms(d);
	char lvstate[512];

	for (i = 0; i < n; i++)
		json_object_array_add(a, vm_json(vmid_vm(d, i)));
	json_object_object_add(o, "vms", a);
	json_object_object_add(o, "schedule", sched_json(vmid_sched(d)));
	json_object_object_add(o, "libvirt", json_object_new_boolean(
		vmid_libvirt_connected(d)));
	lv_describe(lvstate, sizeof(lvstate));
	json_object_object_add(o, "libvirt_state", json_object_new_string(lvstate));
	return o;
}


/* ---- clients ---- */

static void client_drop(size_t i)
{
	close(clients[i].fd);
	free(clients[i].out);
	clients[i] = clients[--nr_clients];
}

/* Queues @len bytes (and a newline if @nl); false: over the limit. */
static bool client_queue(struct client *c, const char *s, size_t len, bool nl)
{
	size_t need = c->out_len - c->out_off + len + nl;
	char *p;

	if (need > CONTROL_OUT_MAX)
		return false;
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	p = realloc(c->out, need ? need : 1);
	if (!p)
		return false;
	c->out = p;
	memcpy(c->out + c->out_len, s, len);
	c->out_len += len;
	if (nl)
		c->out[c->out_len++] = '\n';
	return true;
}

/* One JSON document as the reply; the connection closes once it is out. */
static void client_reply(struct client *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s || !client_queue(c, s, strlen(s), true))
		client_queue(c, "{\"error\": \"out of memory\"}", 26, true);
	json_object_put(o);
	c->mode = CL_WRITING;
}

static void client_error(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void client_error(struct client *c, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512], esc[sizeof(msg) * 4 + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(
		vmid_escape(msg, sizeof(msg), esc, sizeof(esc))));
	client_reply(c, o);
}

static bool vm_matches(const char *want, const char *id, const char *name,
		       const char *uuid)
{
	return !want[0] || !strcmp(want, id) || !strcmp(want, name) ||
	       !strcmp(want, uuid);
}

static void findings_reply(struct client *c, const char *want)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < CONTROL_RING; i++) {
		const struct ring_entry *e = &ring[(ring_next + i) % CONTROL_RING];
		struct json_object *f;

		if (!e->line || !vm_matches(want, e->id, e->name, e->uuid))
			continue;
		f = json_tokener_parse(e->line);
		if (f)
			json_object_array_add(a, f);
	}
	json_object_object_add(o, "findings", a);
	client_reply(c, o);
}

static struct json_object *vm_findings_json(const struct vm *vm)
{
	struct json_object *a = json_object_new_array();
	const struct vmiaas_finding *f;
	unsigned int k;
	size_t i;

	for (i = 0; i < vm->nr_active; i++)
		if (!(vm->active[i].f.flags & VMIAAS_FINDING_EVENT))
			json_object_array_add(a, events_finding_json(vm, "finding",
						&vm->active[i].f));
	for (k = 0; k < VMID_MOD_CHECKS_MAX; k++) {
		f = module_open_finding(vm, k);
		if (f)
			json_object_array_add(a, events_finding_json(vm, "finding", f));
	}
	return a;
}

static void check_reply(struct client *c, const struct vm *vm)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "vm", vm_json(vm));
	json_object_object_add(o, "findings", vm_findings_json(vm));
	client_reply(c, o);
}

static void check_request(struct vmid *d, struct client *c, const char *name)
{
	struct vm *vm = vmid_vm_find(d, name);
	int r;

	if (!vm) {
		client_error(c, "no VM '%s' (see status)", name);
		return;
	}
	r = vmid_check_now(d, vm);
	if (r < 0) {
		client_error(c, "VM '%s' is %s: no check can run now", name,
			     vm_state_name(vm->state));
		return;
	}
	c->mode = CL_WAITING;
	c->vm_pid = vm->ident.pid;
	c->vm_start = vm->ident.starttime;
	/* a round already under way started before the request: the next */
	c->until_checks = vm->nr_checks + 1 + (r == 1);
	c->deadline = vmid_now() + 300;
}

static void rebaseline_request(struct vmid *d, struct client *c,
			       const char *name)
{
	struct vm *vm = vmid_vm_find(d, name);
	int r;

	if (!vm) {
		client_error(c, "no VM '%s' (see status)", name);
		return;
	}
	r = vmid_rebaseline(d, vm);
	if (r < 0) {
		client_error(c, "cannot remove the baseline of '%s': %s", name,
			     strerror(-r));
		return;
	}
	check_reply(c, vm);
}

static void handle_request(struct vmid *d, struct client *c)
{
	char *req = c->req, *arg;

	req[strcspn(req, "\r\n")] = '\0';
	arg = strchr(req, ' ');
	if (arg)
		*arg++ = '\0';
	else
		arg = req + strlen(req);
	if (!strcmp(req, "status")) {
		client_reply(c, status_json(d));
	} else if (!strcmp(req, "findings")) {
		findings_reply(c, arg);
	} else if (!strcmp(req, "check") && *arg) {
		check_request(d, c, arg);
	} else if (!strcmp(req, "rebaseline") && *arg) {
		rebaseline_request(d, c, arg);
	} else if (!strcmp(req, "follow")) {
		c->mode = CL_FOLLOWING;
	} else {
		client_error(c, "unknown request: try \"status\", \"findings [VM]\", \"check VM\", \"rebaseline VM\" or \"follow\"");
	}
}

void control_accept(int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (nr_clients == CONTROL_MAX_CLIENTS ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			close(fd);
			continue;
		}
		clients[nr_clients++] = (struct client){
			.fd = fd, .mode = CL_READING,
			.deadline = vmid_now() + CONTROL_REQ_TIMEOUT,
		};
	}
}

size_t control_pollfds(struct pollfd *p, size_t max)
{
	size_t i;

	for (i = 0; i < nr_clients && i < max; i++) {
		const struct client *c = &clients[i];

		p[i] = (struct pollfd){ .fd = c->fd, .events = c->eof ? 0 : POLLIN };
		if (c->out_len > c->out_off)
			p[i].events |= POLLOUT;
	}
	return i;
}

/*
 * false: drop the client. A client may shut down its sending side after
 * its request (as "socat" does): it still gets its answer or its events;
 * only a full close (POLLHUP) or a failed send drops it.
 */
static bool client_read(struct vmid *d, struct client *c)
{
	char junk[256];
	ssize_t n;

	if (c->mode != CL_READING) {
		/* a follower or waiter only closes (or sends junk we drop) */
		n = read(c->fd, junk, sizeof(junk));
		if (n == 0)
			c->eof = true;
		return n >= 0 || errno == EAGAIN || errno == EINTR;
	}
	n = read(c->fd, c->req + c->len, CONTROL_REQ_MAX - c->len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		c->eof = true;
		if (!c->len)
			return false;
		c->req[c->len] = '\0';
		handle_request(d, c);	/* a last line without its newline */
		return true;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (memchr(c->req, '\n', c->len))
		handle_request(d, c);
	else if (c->len == CONTROL_REQ_MAX)
		client_error(c, "request line over %d bytes", CONTROL_REQ_MAX);
	return true;
}

static bool client_write(struct client *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->out_off += (size_t)n;
	return !(c->mode == CL_WRITING && c->out_off == c->out_len);
}

void control_io(struct vmid *d, const struct pollfd *p, size_t n)
{
	size_t i;

	for (i = n; i-- > 0;) {
		struct client *c;
		bool keep = true;

		if (i >= nr_clients || p[i].fd != clients[i].fd || !p[i].revents)
			continue;
		c = &clients[i];
		if (p[i].revents & (POLLERR | POLLNVAL | POLLHUP))
			keep = false;
		else if (p[i].revents & POLLIN)
			keep = client_read(d, c);
		if (keep && c->out_len > c->out_off)
			keep = client_write(c);
		if (!keep)
			client_drop(i);
	}
}

double control_deadline(void)
{
	double t = 1e300;
	size_t i;

	for (i = 0; i < nr_clients; i++)
		if ((clients[i].mode == CL_READING || clients[i].mode == CL_WAITING) &&
		    clients[i].deadline < t)
			t = clients[i].deadline;
	return t;
}

static struct vm *vm_by_pid(struct vmid *d, pid_t pid, uint64_t start)
{
	size_t i;

	for (i = 0; i < vmid_nr_vms(d); i++) {
		struct vm *vm = (struct vm *)vmid_vm(d, i);

		if (vm->ident.pid == pid && vm->ident.starttime == start)
			return vm;
	}
	return NULL;
}

void control_timers(struct vmid *d)
{
	double now = vmid_now();
	size_t i;

	for (i = nr_clients; i-- > 0;) {
		struct client *c = &clients[i];
		struct vm *vm;

		if (c->mode == CL_READING && now >= c->deadline) {
			client_drop(i);
		} else if (c->mode == CL_WAITING) {
			vm = vm_by_pid(d, c->vm_pid, c->vm_start);
			if (!vm)
				client_error(c, "the VM was detached before its check ran");
			else if (now >= c->deadline)
				client_error(c, "no check of the VM within 300 s");
			else if (vm->state != VM_READY && vm->state != VM_CHECKING)
				client_error(c, "the check did not complete: the VM is %s",
					     vm_state_name(vm->state));
			if (c->mode == CL_WRITING && !client_write(c))
				client_drop(i);
		}
	}
}

void control_vm_round(struct vmid *d, const struct vm *vm, const char *failed)
{
	size_t i;

	for (i = nr_clients; i-- > 0;) {
		struct client *c = &clients[i];

		if (c->mode != CL_WAITING || c->vm_pid != vm->ident.pid ||
		    c->vm_start != vm->ident.starttime)
			continue;
		if (failed)
			client_error(c, "%s", failed);
		else if (vm->nr_checks >= c->until_checks)
			check_reply(c, vm);
		else
			continue;
		if (!client_write(c))
			client_drop(i);
	}
}

void control_sink(const struct vm *vm, const char *type, const char *line,
		  size_t len)
{
	struct ring_entry *e;
	size_t i;

	for (i = nr_clients; i-- > 0;) {
		if (clients[i].mode != CL_FOLLOWING)
			continue;
		if (!client_queue(&clients[i], line, len, true)) {
			vmid_log(VMID_LOG_WARNING,
				 "control: a follower does not read its events: dropped");
			client_drop(i);
		}
	}
	if (!vm || (strcmp(type, "finding") && strcmp(type, "resolved")))
		return;
	e = &ring[ring_next];
	free(e->line);
	e->line = strndup(line, len);
	snprintf(e->id, sizeof(e->id), "%s", vm->ident.id);
	snprintf(e->name, sizeof(e->name), "%s", vm->ident.name);
	snprintf(e->uuid, sizeof(e->uuid), "%s", vm->ident.uuid);
	ring_next = (ring_next + 1) % CONTROL_RING;
}

void control_shutdown(void)
{
	size_t i;

	while (nr_clients)
		client_drop(nr_clients - 1);
	for (i = 0; i < CONTROL_RING; i++) {
		free(ring[i].line);
		ring[i].line = NULL;
	}
}
