// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a Unix stream socket, mode 0600, for root (or the
 * daemon's own user: SO_PEERCRED is checked as well as the mode). One
 * request line per connection ("status"), one JSON document back, then
 * the daemon closes. A client gets 1 s to send its line.
 */
#include <errno.h>
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

#define CONTROL_REQ_MAX	256

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

static struct json_object *status_json(const struct vmid *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	char esc[VMID_PATH_MAX * 4 + 1];
	size_t i, n = vmid_nr_vms(d);

	for (i = 0; i < n; i++) {
		const struct vm *vm = vmid_vm(d, i);
		struct json_object *v = json_object_new_object();

#define STR(k, s) json_object_object_add(v, k, json_object_new_string( \
		vmid_escape(s, sizeof(s), esc, sizeof(esc))))
		json_object_object_add(v, "pid", json_object_new_int64(vm->ident.pid));
		STR("id", vm->ident.id);
		STR("name", vm->ident.name);
		STR("backend", vm->backend[0] ? vm->backend :
		    vm->ident.shm[0] ? "shm" : "pid");
		STR("shm", vm->ident.shm);
		STR("qmp", vm->ident.qmp);
		STR("kernel", vm->kernel);
#undef STR
		json_object_object_add(v, "state", json_object_new_string(
			vm_state_name(vm->state)));
		json_object_object_add(v, "worker_pid",
				       json_object_new_int64(vm->worker));
		json_object_object_add(v, "last_check", vm->last_check ?
			json_object_new_int64((int64_t)vm->last_check) : NULL);
		json_object_object_add(v, "last_check_ms",
				       json_object_new_double(vm->last_ms));
		json_object_object_add(v, "checks",
				       json_object_new_int64((int64_t)vm->nr_checks));
		json_object_object_add(v, "findings",
				       json_object_new_int64(vm->nr_findings_active));
		json_object_object_add(v, "restarts",
				       json_object_new_int64(vm->nr_restarts));
		json_object_array_add(a, v);
	}
	json_object_object_add(o, "vms", a);
	return o;
}

void control_serve(int lfd, const struct vmid *d)
{
	struct timeval tv = { .tv_sec = 1 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char req[CONTROL_REQ_MAX + 1];
	struct json_object *o;
	const char *s;
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < CONTROL_REQ_MAX && !memchr(req, '\n', off)) {
		n = read(fd, req + off, CONTROL_REQ_MAX - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	req[off] = '\0';
	req[strcspn(req, "\r\n")] = '\0';
	if (!strcmp(req, "status")) {
		o = status_json(d);
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string(
			"unknown request: try \"status\""));
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s) {
		size_t l = strlen(s);

		off = 0;
		while (off < l) {
			n = send(fd, s + off, l - off, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		send(fd, "\n", 1, MSG_NOSIGNAL);
	}
	json_object_put(o);
	close(fd);
}
