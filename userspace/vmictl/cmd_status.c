// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl status: what the node daemon (vmid) is watching, asked over its
 * control socket (root only): one row per VM with its QEMU pid, name,
 * backend, state, last check and active findings. Also the client side of
 * that socket for the other vmid commands (cmd_vmid.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "vmictl.h"

#define STATUS_SOCKET_DEFAULT	"/run/vmiaas/vmid.sock"
#define STATUS_REPLY_MAX	(4 << 20)

const char *vmid_socket_path(void)
{
	const char *env = getenv("VMID_SOCKET");

	return env && env[0] ? env : STATUS_SOCKET_DEFAULT;
}

int vmid_connect(const char *path, const char *req, int timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_s };
	size_t len = strlen(req);
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void vmid_error(const char *path, int r)
{
	fprintf(stderr, "vmictl: cannot ask vmid at %s: %s%s\n", path,
		strerror(-r), r == -ENOENT || r == -ECONNREFUSED ?
		" (is vmid running?)" : r == -EACCES ? " (root only)" :
		r == -EAGAIN ? " (no answer in time)" : "");
}

int vmid_query(const char *path, const char *req, int timeout_s, char **ret)
{
	size_t len = 0, cap = 4096;
	char *buf, *nbuf;
	ssize_t n;
	int fd, r = 0;

	fd = vmid_connect(path, req, timeout_s);
	if (fd < 0)
		return fd;
	buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			if (cap >= STATUS_REPLY_MAX) {
				r = -EMSGSIZE;
				break;
			}
			nbuf = realloc(buf, cap * 2);
			if (!nbuf)
				break;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf || (r == 0 && len + 1 >= cap && cap < STATUS_REPLY_MAX)) {
		free(buf);
		return -ENOMEM;
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

/* The reply, parsed; an {"error": ...} reply is printed and -EPROTO. */
int vmid_query_json(const char *path, const char *req, int timeout_s,
		    struct json_object **ret)
{
	struct json_object *o, *e;
	char *reply = NULL;
	int r;

	r = vmid_query(path, req, timeout_s, &reply);
	if (r < 0) {
		vmid_error(path, r);
		return r;
	}
	o = json_tokener_parse(reply);
	free(reply);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		fprintf(stderr, "vmictl: vmid at %s sent an unexpected reply\n", path);
		return -EPROTO;
	}
	if (json_object_object_get_ex(o, "error", &e)) {
		char esc[OUT_ESC_SIZE(512)];

		fprintf(stderr, "vmictl: vmid: %s\n",
			out_escape(json_object_get_string(e), 512, esc, sizeof(esc)));
		json_object_put(o);
		return -EPROTO;
	}
	*ret = o;
	return 0;
}

static const char *jget(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return "";
	return json_object_get_string(v);
}

/* Under the table: which backend each VM has, and why. */
static void status_why(struct json_object *vms)
{
	char name[OUT_ESC_SIZE(256)], why[OUT_ESC_SIZE(512)];
	size_t i, n = json_object_array_length(vms);

	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(vms, i);
		const char *w = jget(v, "backend_why"), *nm = jget(v, "name");

		if (!w[0])
			continue;
		if (i == 0)
			printf("\n");
		printf("%s: %s\n", out_escape(nm[0] ? nm : jget(v, "id"), 256, name,
					      sizeof(name)),
		       out_escape(w, 512, why, sizeof(why)));
		if (jget(v, "baseline")[0])
			printf("%s: baseline %s\n", name, out_escape(
			       jget(v, "baseline"), 80, why, sizeof(why)));
		if (jget(v, "module")[0])
			printf("%s: %s\n", name,
			       out_escape(jget(v, "module"), 512, why, sizeof(why)));
		if (jget(v, "dirty_skip")[0])
			printf("%s: %s\n", name, out_escape(
			       jget(v, "dirty_skip"), 512, why, sizeof(why)));
	}
}

static double jnum(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return 0;
	return json_object_get_double(v);
}

/* Under the table: the CPU budget, and whether it stretches intervals. */
static void status_schedule(struct json_object *o)
{
	struct json_object *s;
	double budget;

	if (!json_object_object_get_ex(o, "schedule", &s) || !s)
		return;
	budget = jnum(s, "cpu_budget_percent");
	printf("\nschedule: checks need %.2f%% of one core at an interval of %g s; ",
	       jnum(s, "demand_percent"), jnum(s, "interval"));
	if (budget <= 0)
		printf("no CPU budget\n");
	else if (json_object_get_boolean(json_object_object_get(s, "over_budget")))
		printf("over the CPU budget of %g%%: intervals stretched x%.2f to %.1f s\n",
		       budget, jnum(s, "stretch"), jnum(s, "effective_interval"));
	else
		printf("within the CPU budget of %g%%\n", budget);
}

static int status_table(struct json_object *vms)
{
	static const struct out_col cols[] = {
		{ "PID", true }, { "NAME" }, { "SOURCE" }, { "BACKEND" }, { "STATE" },
		{ "LAST CHECK" }, { "CHECKS", true }, { "FINDINGS", true },
	};
	struct out_table *t = out_table_new(cols, sizeof(cols) / sizeof(cols[0]));
	char esc[OUT_ESC_SIZE(256)], when[32];
	size_t i, n = json_object_array_length(vms);
	int r = 0;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < n && r == 0; i++) {
		struct json_object *v = json_object_array_get_idx(vms, i), *lc;
		const char *name = jget(v, "name");

		when[0] = '-';
		when[1] = '\0';
		if (json_object_object_get_ex(v, "last_check", &lc) && lc) {
			time_t tt = (time_t)json_object_get_int64(lc);
			struct tm tm;

			localtime_r(&tt, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		}
		r = out_table_cell(t, "%s", jget(v, "pid"));
		if (!r)
			r = out_table_cell(t, "%s", out_escape(name[0] ? name : jget(v, "id"),
							      256, esc, sizeof(esc)));
		if (!r)
			r = out_table_cell(t, "%s", jget(v, "source"));
		if (!r)
			r = out_table_cell(t, "%s", jget(v, "backend"));
		if (!r)
			r = out_table_cell(t, "%s", jget(v, "state"));
		if (!r)
			r = out_table_cell(t, "%s", when);
		if (!r)
			r = out_table_cell(t, "%s", jget(v, "checks"));
		if (!r)
			r = out_table_cell(t, "%s", jget(v, "findings"));
	}
	if (!r)
		r = out_table_print(t);
	out_table_free(t);
	return r;
}

int cmd_status(struct vmictl *c)
{
	const char *path = c->argc ? c->argv[0] : vmid_socket_path();
	struct json_object *o, *vms;
	char lv[OUT_ESC_SIZE(512)];
	int r;

	r = vmid_query_json(path, "status", 5, &o);
	if (r < 0)
		return VMICTL_EXIT_GUEST;
	if (!json_object_object_get_ex(o, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array)) {
		json_object_put(o);
		fprintf(stderr, "vmictl: vmid at %s sent an unexpected reply\n", path);
		return VMICTL_EXIT_GUEST;
	}
	if (c->json)
		return out_json_print(o);
	r = status_table(vms);
	if (!r)
		status_schedule(o);
	if (!r && jget(o, "libvirt_state")[0])
		printf("libvirt: %s\n", out_escape(jget(o, "libvirt_state"), 512,
						    lv, sizeof(lv)));
	if (!r)
		status_why(vms);
	json_object_put(o);
	return r;
}
