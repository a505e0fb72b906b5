// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl findings / vmid-check / vmid-rebaseline / follow: the node
 * daemon's findings,
 * asked over its control socket ($VMID_SOCKET, default
 * /run/vmiaas/vmid.sock, root only). See vmid(8), CONTROL SOCKET.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "vmictl.h"

#define VMID_CHECK_TIMEOUT	330	/* s: vmid's own limit is 300 s */
#define FOLLOW_LINE_MAX		(256 * 1024)

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !v)
		return "";
	return json_object_get_string(v);
}

static struct json_object *jobj(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* TIME VM TYPE SEVERITY CHECK OBJECT MESSAGE, one row per event. */
static int findings_table(struct json_object *list)
{
	static const struct out_col cols[] = {
		{ "TIME" }, { "VM" }, { "TYPE" }, { "SEVERITY" }, { "CHECK" },
		{ "OBJECT" }, { "MESSAGE" },
	};
	struct out_table *t = out_table_new(cols, sizeof(cols) / sizeof(cols[0]));
	char esc[7][OUT_ESC_SIZE(512)];
	size_t i, n = json_object_array_length(list);
	int r = 0;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < n && r == 0; i++) {
		struct json_object *f = json_object_array_get_idx(list, i);
		struct json_object *vm = jobj(f, "vm");
		const char *name = jstr(vm, "name");
		const char *cells[7] = {
			jstr(f, "time"), name[0] ? name : jstr(vm, "id"),
			jstr(f, "type"), jstr(f, "severity"), jstr(f, "check"),
			jstr(f, "object"), jstr(jobj(f, "detail"), "message"),
		};
		size_t k;

		for (k = 0; k < 7 && r == 0; k++)
			r = out_table_cell(t, "%s", out_escape(cells[k], 512, esc[k],
							       sizeof(esc[k])));
	}
	if (!r)
		r = out_table_print(t);
	out_table_free(t);
	return r;
}

int cmd_findings(struct vmictl *c)
{
	const char *path = vmid_socket_path();
	struct json_object *o, *list;
	char req[300];
	int r;

	if (c->argc && (strlen(c->argv[0]) > 200 || strchr(c->argv[0], '\n')))
		return -EINVAL;
	snprintf(req, sizeof(req), "findings%s%s", c->argc ? " " : "",
		 c->argc ? c->argv[0] : "");
	if (vmid_query_json(path, req, 5, &o) < 0)
		return VMICTL_EXIT_GUEST;
	list = jobj(o, "findings");
	if (!list || !json_object_is_type(list, json_type_array)) {
		json_object_put(o);
		fprintf(stderr, "vmictl: vmid at %s sent an unexpected reply\n", path);
		return VMICTL_EXIT_GUEST;
	}
	if (c->json)
		return out_json_print(o);
	r = findings_table(list);
	json_object_put(o);
	return r;
}

int cmd_vmid_check(struct vmictl *c)
{
	const char *path = vmid_socket_path();
	struct json_object *o, *list, *vm;
	char req[300], esc[OUT_ESC_SIZE(256)];
	size_t n;
	int r;

	if (!c->argc) {
		fprintf(stderr, "vmictl: vmid-check: which VM?\n"
			"Try 'vmictl --help' for more information.\n");
		return -EINVAL;
	}
	if (strlen(c->argv[0]) > 200 || strchr(c->argv[0], '\n'))
		return -EINVAL;
	snprintf(req, sizeof(req), "check %s", c->argv[0]);
	if (vmid_query_json(path, req, VMID_CHECK_TIMEOUT, &o) < 0)
		return VMICTL_EXIT_GUEST;
	list = jobj(o, "findings");
	vm = jobj(o, "vm");
	if (!list || !vm || !json_object_is_type(list, json_type_array)) {
		json_object_put(o);
		fprintf(stderr, "vmictl: vmid at %s sent an unexpected reply\n", path);
		return VMICTL_EXIT_GUEST;
	}
	n = json_object_array_length(list);
	if (c->json) {
		r = out_json_print(o);
		return r < 0 ? r : n ? VMICTL_EXIT_FAILURE : 0;
	}
	printf("%s: checked in %.1f ms, %zu active finding%s\n",
	       out_escape(c->argv[0], 256, esc, sizeof(esc)),
	       json_object_get_double(jobj(vm, "last_check_ms")), n,
	       n == 1 ? "" : "s");
	r = n ? findings_table(list) : 0;
	json_object_put(o);
	return r < 0 ? r : n ? VMICTL_EXIT_FAILURE : 0;
}

int cmd_vmid_rebaseline(struct vmictl *c)
{
	const char *path = vmid_socket_path();
	struct json_object *o;
	char req[300], esc[OUT_ESC_SIZE(256)];

	if (!c->argc) {
		fprintf(stderr, "vmictl: vmid-rebaseline: which VM?\n"
			"Try 'vmictl --help' for more information.\n");
		return -EINVAL;
	}
	if (strlen(c->argv[0]) > 200 || strchr(c->argv[0], '\n'))
		return -EINVAL;
	snprintf(req, sizeof(req), "rebaseline %s", c->argv[0]);
	if (vmid_query_json(path, req, 5, &o) < 0)
		return VMICTL_EXIT_GUEST;
	if (c->json)
		return out_json_print(o);
	printf("%s: baseline removed; vmid takes a new one now (trust on first use)\n",
	       out_escape(c->argv[0], 256, esc, sizeof(esc)));
	json_object_put(o);
	return 0;
}

/* One event line as text: TIME VM TYPE [SEVERITY CHECK OBJECT: MESSAGE]. */
static void follow_print(const char *line, bool json)
{
	char esc[5][OUT_ESC_SIZE(512)];
	struct json_object *o, *vm;
	const char *name, *type;

	if (json) {
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	o = json_tokener_parse(line);
	if (!o)
		return;
	vm = jobj(o, "vm");
	name = jstr(vm, "name");
	type = jstr(o, "type");
	out_escape(name[0] ? name : vm ? jstr(vm, "id") : "vmid", 256, esc[0],
		   sizeof(esc[0]));
	if (!strcmp(type, "vmid")) {
		printf("%s %s %s: %s\n", jstr(o, "time"), esc[0],
		       out_escape(jstr(o, "event"), 64, esc[1], sizeof(esc[1])),
		       out_escape(jstr(o, "message"), 512, esc[2], sizeof(esc[2])));
	} else {
		printf("%s %s %s %s %s %s: %s\n", jstr(o, "time"), esc[0], type,
		       jstr(o, "severity"),
		       out_escape(jstr(o, "check"), 64, esc[1], sizeof(esc[1])),
		       out_escape(jstr(o, "object"), 256, esc[2], sizeof(esc[2])),
		       out_escape(jstr(jobj(o, "detail"), "message"), 512, esc[3],
				  sizeof(esc[3])));
	}
	fflush(stdout);
	json_object_put(o);
}

int cmd_follow(struct vmictl *c)
{
	const char *path = vmid_socket_path();
	size_t len = 0;
	char *buf, *nl;
	ssize_t n;
	int fd, r = 0;

	fd = vmid_connect(path, "follow", 0);
	if (fd < 0) {
		vmid_error(path, fd);
		return VMICTL_EXIT_GUEST;
	}
	buf = malloc(FOLLOW_LINE_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		n = read(fd, buf + len, FOLLOW_LINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			follow_print(buf, c->json);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == FOLLOW_LINE_MAX)
			len = 0;	/* an over-long line: skipped */
	}
	free(buf);
	close(fd);
	if (r == 0) {
		fprintf(stderr, "vmictl: vmid closed the connection\n");
		return VMICTL_EXIT_GUEST;
	}
	return r;
}
