// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * A minimal QMP client: connect, negotiate capabilities, run HMP commands
 * through "human-monitor-command", and parse the HMP text we rely on
 * ("info registers", "info ramblock", "info mtree -f").
 *
 * QEMU is trusted to speak QMP, not to stay responsive: every read waits at
 * most the QMP timeout, and every reply is bounded by QMP_MAX_REPLY. The
 * timeout is long (QMP_TIMEOUT_DEFAULT_S): a QEMU on a loaded host (load
 * 15-20, eight TCG guests on two cores) answers "info registers" in
 * seconds, not milliseconds; VMIAAS_QMP_TIMEOUT (seconds, vmictl
 * --qmp-timeout) sets it. A QEMU that never answers still fails, with a
 * message naming the socket and the wait.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "backend.h"

#define QMP_TIMEOUT_DEFAULT_S	30
#define QMP_TIMEOUT_MAX_S	3600
#define QMP_MAX_REPLY	(16u << 20)	/* "info mtree" is ~20 KiB */
#define QMP_MAX_EVENTS	10000		/* events skipped per command */

struct qmp {
	int fd;
	json_tokener *tok;
	char buf[4096];
	size_t len, pos;	/* unparsed bytes are buf[pos..len) */
	long timeout_ms;
	char path[108];		/* sun_path: for messages */
	char last_error[256];
};

/* VMIAAS_QMP_TIMEOUT in whole seconds, or the default; -EINVAL if bad. */
static int qmp_timeout_ms(long *ret, struct vmiaas_diag *diag)
{
	const char *env = getenv("VMIAAS_QMP_TIMEOUT");
	unsigned long secs = QMP_TIMEOUT_DEFAULT_S;
	char *end;

	if (env && *env) {
		errno = 0;
		secs = strtoul(env, &end, 10);
		if (errno || *end || !isdigit((unsigned char)*env) || !secs ||
		    secs > QMP_TIMEOUT_MAX_S)
			return diag_set(diag, -EINVAL,
					"VMIAAS_QMP_TIMEOUT='%s': not a number of seconds from 1 to %d",
					env, QMP_TIMEOUT_MAX_S);
	}
	*ret = (long)secs * 1000;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int qmp_timed_out(struct qmp *q)
{
	snprintf(q->last_error, sizeof(q->last_error),
		 "QEMU sent nothing on QMP socket '%.107s' for %ld s (hung, or a loaded host: VMIAAS_QMP_TIMEOUT=SECONDS waits longer)",
		 q->path, q->timeout_ms / 1000);
	return -ETIMEDOUT;
}

/* Reads one JSON object; -ETIMEDOUT, -ECONNRESET, -EBADMSG, -EMSGSIZE. */
static int qmp_read_object(struct qmp *q, json_object **ret)
{
	long deadline = now_ms() + q->timeout_ms;
	size_t total = 0;

	json_tokener_reset(q->tok);
	for (;;) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		enum json_tokener_error jerr;
		json_object *obj;
		ssize_t n;
		long left;
		int r;

		while (q->pos < q->len) {
			size_t chunk = q->len - q->pos;

			obj = json_tokener_parse_ex(q->tok, q->buf + q->pos,
						    (int)chunk);
			jerr = json_tokener_get_error(q->tok);
			if (jerr == json_tokener_continue) {
				q->pos = q->len;
				total += chunk;
				if (total > QMP_MAX_REPLY)
					return -EMSGSIZE;
				continue;
			}
			if (jerr != json_tokener_success)
				return -EBADMSG;
			q->pos += json_tokener_get_parse_end(q->tok);
			if (!obj) {
				/* A bare "null": not a QMP message. */
				json_tokener_reset(q->tok);
				continue;
			}
			*ret = obj;
			return 0;
		}
		q->pos = q->len = 0;

		left = deadline - now_ms();
		r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return qmp_timed_out(q);
		n = recv(q->fd, q->buf, sizeof(q->buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		q->len = (size_t)n;
	}
}

static int qmp_send(struct qmp *q, json_object *cmd)
{
	const char *s = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(q->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/*
 * Runs @cmd and returns its "return" member (a new reference). Events
 * arriving meanwhile are skipped. A QMP error is -EOPNOTSUPP for an
 * unknown command, -EINVAL otherwise, with QEMU's text in last_error.
 */
static int qmp_execute(struct qmp *q, json_object *cmd, json_object **ret)
{
	unsigned int events = 0;
	int err;

	q->last_error[0] = '\0';
	err = qmp_send(q, cmd);
	if (err < 0)
		return err;
	for (;;) {
		json_object *obj, *val;

		err = qmp_read_object(q, &obj);
		if (err < 0)
			return err;
		if (!json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			return -EBADMSG;
		}
		if (json_object_object_get_ex(obj, "return", &val)) {
			*ret = json_object_get(val);
			json_object_put(obj);
			return 0;
		}
		if (json_object_object_get_ex(obj, "error", &val)) {
			json_object *cls = NULL, *desc = NULL;

			json_object_object_get_ex(val, "class", &cls);
			json_object_object_get_ex(val, "desc", &desc);
			snprintf(q->last_error, sizeof(q->last_error), "%s",
				 desc ? json_object_get_string(desc) : "?");
			err = cls && !strcmp(json_object_get_string(cls),
					     "CommandNotFound") ?
				-EOPNOTSUPP : -EINVAL;
			json_object_put(obj);
			return err;
		}
		json_object_put(obj);
		/* {"event": ...} or anything else unsolicited. */
		if (++events > QMP_MAX_EVENTS)
			return -EBADMSG;
	}
}

static int qmp_execute_simple(struct qmp *q, const char *name,
			      json_object *args, json_object **ret)
{
	json_object *cmd = json_object_new_object();
	int err;

	if (!cmd) {
		json_object_put(args);
		return -ENOMEM;
	}
	json_object_object_add(cmd, "execute", json_object_new_string(name));
	if (args)
		json_object_object_add(cmd, "arguments", args);
	err = qmp_execute(q, cmd, ret);
	json_object_put(cmd);
	return err;
}

int qmp_connect(const char *path, struct qmp **ret, struct vmiaas_diag *diag)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_object *greeting = NULL, *rv = NULL;
	struct qmp *q;
	int err;

	if (!path || !*path)
		return diag_set(diag, -EINVAL, "no QMP socket path: pass the path given to QEMU's -qmp unix:PATH,server=on");
	if (strlen(path) >= sizeof(sa.sun_path))
		return diag_set(diag, -ENAMETOOLONG,
				"QMP socket path '%s' is longer than %zu bytes: use a shorter path or a symlink",
				path, sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);

	q = calloc(1, sizeof(*q));
	if (!q)
		return diag_set(diag, -ENOMEM, "out of memory");
	q->fd = -1;
	strcpy(q->path, path);
	err = qmp_timeout_ms(&q->timeout_ms, diag);
	if (err)
		goto fail;
	q->tok = json_tokener_new_ex(64);
	if (!q->tok) {
		err = diag_set(diag, -ENOMEM, "out of memory");
		goto fail;
	}
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		err = diag_set(diag, -errno, "cannot create a unix socket: %m");
		goto fail;
	}
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		diag_set(diag, err,
			 "cannot connect to QMP socket '%s': %s (is QEMU running with -qmp unix:%s,server=on,wait=off, and is no other client connected?)",
			 path, strerror(-err), path);
		goto fail;
	}
	err = qmp_read_object(q, &greeting);
	if (err < 0) {
		diag_set(diag, err, "no QMP greeting on '%s': %s (%s)", path,
			 err == -ETIMEDOUT ? q->last_error : strerror(-err),
			 err == -ETIMEDOUT ?
			 "QEMU serves one client per QMP socket: is another one connected? Give vmiaas its own -qmp socket" :
			 "is it a QMP socket, not an HMP monitor?");
		goto fail;
	}
	if (!json_object_object_get_ex(greeting, "QMP", NULL)) {
		err = diag_set(diag, -EPROTO, "'%s' did not greet with a QMP banner: pass a -qmp socket, not -monitor",
			       path);
		goto fail;
	}
	err = qmp_execute_simple(q, "qmp_capabilities", NULL, &rv);
	if (err < 0) {
		diag_set(diag, err, "QMP capability negotiation on '%s' failed: %s",
			 path, q->last_error[0] ? q->last_error : strerror(-err));
		goto fail;
	}
	json_object_put(greeting);
	json_object_put(rv);
	*ret = q;
	return 0;
fail:
	json_object_put(greeting);
	qmp_close(q);
	return err;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	if (q->tok)
		json_tokener_free(q->tok);
	free(q);
}

const char *qmp_last_error(const struct qmp *q)
{
	return q ? q->last_error : "";
}

int qmp_hmp(struct qmp *q, const char *cmd, char **ret_out)
{
	json_object *args, *rv = NULL;
	char *out;
	int err;

	args = json_object_new_object();
	if (!args)
		return -ENOMEM;
	json_object_object_add(args, "command-line",
			       json_object_new_string(cmd));
	err = qmp_execute_simple(q, "human-monitor-command", args, &rv);
	if (err < 0)
		return err;
	if (!json_object_is_type(rv, json_type_string)) {
		json_object_put(rv);
		return -EBADMSG;
	}
	out = strdup(json_object_get_string(rv));
	json_object_put(rv);
	if (!out)
		return -ENOMEM;
	*ret_out = out;
	return 0;
}

/* ---- HMP text parsers: input is untrusted text, never trusted to be sane ---- */

/* Parses a hex number (no 0x needed); returns the end or NULL. */
static const char *parse_hex(const char *s, u64 *ret)
{
	u64 v = 0;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!isxdigit((unsigned char)*p))
		return NULL;
	for (; isxdigit((unsigned char)*p); p++) {
		unsigned int d = isdigit((unsigned char)*p) ? *p - '0' :
				 (tolower((unsigned char)*p) - 'a' + 10);

		if (v >> 60)
			return NULL;	/* more than 64 bits */
		v = v << 4 | d;
	}
	*ret = v;
	return p;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Bits of struct vmiaas_vcpu found for one CPU. */
enum {
	REG_CR0 = 1 << 0, REG_CR2 = 1 << 1, REG_CR3 = 1 << 2,
	REG_CR4 = 1 << 3, REG_EFER = 1 << 4, REG_IDT = 1 << 5,
	REG_GDT = 1 << 6, REG_RIP = 1 << 7, REG_RSP = 1 << 8,
	REG_DR0 = 1 << 9,	/* DR0..DR3: REG_DR0 << n */
	REG_DR6 = 1 << 13, REG_DR7 = 1 << 14,
	REG_NEEDED = REG_CR0 | REG_CR3 | REG_CR4,
	REG_DEBUG = (0xf * REG_DR0) | REG_DR6 | REG_DR7,
};

/*
 * "DR0".."DR3", "DR6", "DR7" (x86_cpu_dump_state() prints them on every
 * vCPU): the register into @c, its bit in *@seen. Another key: false.
 */
static bool parse_debug_reg(const char *key, u64 v, struct vmiaas_vcpu *c,
			    unsigned int *seen)
{
	if (key[0] != 'D' || key[1] != 'R' || key[2] < '0' || key[2] > '7' ||
	    key[3])
		return false;
	switch (key[2]) {
	case '0': case '1': case '2': case '3':
		c->dr[key[2] - '0'] = v;
		*seen |= REG_DR0 << (key[2] - '0');
		return true;
	case '6':
		c->dr6 = v;
		*seen |= REG_DR6;
		return true;
	case '7':
		c->dr7 = v;
		*seen |= REG_DR7;
		return true;
	}
	return false;
}

static void parse_reg_line(const char *line, const char *end,
			   struct vmiaas_vcpu *c, unsigned int *seen)
{
	const char *p = line;

	while (p < end) {
		char key[8];
		size_t n = 0;
		u64 v, limit;
		const char *q;

		if (p != line && p[-1] != ' ') {
			p++;
			continue;
		}
		while (p + n < end && (isupper((unsigned char)p[n]) ||
				       isdigit((unsigned char)p[n])) &&
		       n < sizeof(key) - 1) {
			key[n] = p[n];
			n++;
		}
		key[n] = '\0';
		q = skip_blank(p + n);
		if (!n || q >= end || *q != '=') {
			p++;
			continue;
		}
		q = skip_blank(q + 1);
		if (q >= end) {
			p = end;
			continue;
		}
		p = q;
		if (!strcmp(key, "GDT") || !strcmp(key, "IDT")) {
			q = parse_hex(q, &v);
			if (!q || q >= end)
				continue;
			q = skip_blank(q);
			if (!parse_hex(q, &limit) || limit > 0xffff)
				continue;
			if (key[0] == 'G') {
				c->gdtr_base = v;
				c->gdtr_limit = (u32)limit;
				*seen |= REG_GDT;
			} else {
				c->idtr_base = v;
				c->idtr_limit = (u32)limit;
				*seen |= REG_IDT;
			}
			continue;
		}
		q = parse_hex(q, &v);
		if (!q)
			continue;
		p = q;
		if (!strcmp(key, "CR0")) {
			c->cr0 = v; *seen |= REG_CR0;
		} else if (!strcmp(key, "CR2")) {
			c->cr2 = v; *seen |= REG_CR2;
		} else if (!strcmp(key, "CR3")) {
			c->cr3 = v; *seen |= REG_CR3;
		} else if (!strcmp(key, "CR4")) {
			c->cr4 = v; *seen |= REG_CR4;
		} else if (!strcmp(key, "EFER")) {
			c->efer = v; *seen |= REG_EFER;
		} else if (!strcmp(key, "RIP") || !strcmp(key, "EIP")) {
			c->rip = v; *seen |= REG_RIP;
		} else if (!strcmp(key, "RSP") || !strcmp(key, "ESP")) {
			c->rsp = v; *seen |= REG_RSP;
		} else {
			parse_debug_reg(key, v, c, seen);
		}
	}
}

/* The vCPU's registers parsed: the flags of what it has in full. */
static void vcpu_seen(struct vmiaas_vcpu *c, unsigned int seen)
{
	if ((seen & REG_DEBUG) == REG_DEBUG) {
		c->flags |= VMIAAS_VCPU_DEBUG;
		return;
	}
	memset(c->dr, 0, sizeof(c->dr));
	c->dr6 = 0;
	c->dr7 = 0;
}

/*
 * "info registers [-a]": each vCPU starts with a "CPU#N" line, followed
 * by KEY=hex pairs ("R8 =...", "GDT=     base limit"). A vCPU without
 * CR0, CR3 and CR4 makes the whole text malformed (-EBADMSG); text
 * without any "CPU#" is a single vCPU 0 (older QEMU).
 */
int qmp_parse_registers(const char *text, struct vmiaas_vcpu **ret,
			size_t *ret_nr)
{
	struct vmiaas_vcpu *cpus = NULL, *c = NULL;
	unsigned int seen = 0;
	size_t nr = 0, cap = 0;
	const char *line = text;
	int err = -EBADMSG;

	while (*line) {
		const char *end = strchr(line, '\n');
		const char *p = skip_blank(line);

		if (!end)
			end = line + strlen(line);
		if (!strncmp(p, "CPU#", 4) ||
		    (!c && p < end && memchr(p, '=', (size_t)(end - p)))) {
			u64 idx = nr;

			if (c && (seen & REG_NEEDED) != REG_NEEDED)
				goto fail;
			if (c)
				vcpu_seen(c, seen);
			if (!strncmp(p, "CPU#", 4) &&
			    (!parse_hex(p + 4, &idx) || idx >= BACKEND_MAX_VCPUS))
				goto fail;
			if (nr == BACKEND_MAX_VCPUS)
				goto fail;
			if (nr == cap) {
				size_t ncap = cap ? cap * 2 : 4;
				struct vmiaas_vcpu *n;

				n = reallocarray(cpus, ncap, sizeof(*cpus));
				if (!n) {
					err = -ENOMEM;
					goto fail;
				}
				cpus = n;
				cap = ncap;
			}
			c = &cpus[nr++];
			memset(c, 0, sizeof(*c));
			c->index = (u32)idx;
			seen = 0;
			if (!strncmp(p, "CPU#", 4)) {
				line = *end ? end + 1 : end;
				continue;
			}
		}
		if (c)
			parse_reg_line(line, end, c, &seen);
		line = *end ? end + 1 : end;
	}
	if (!c || (seen & REG_NEEDED) != REG_NEEDED)
		goto fail;
	vcpu_seen(c, seen);
	*ret = cpus;
	*ret_nr = nr;
	return 0;
fail:
	free(cpus);
	return err;
}

int qmp_read_vcpus(struct qmp *q, struct vmiaas_vcpu **ret, size_t *ret_nr)
{
	char *text = NULL;
	int err;

	err = qmp_hmp(q, "info registers -a", &text);
	if (err < 0)
		return err;
	err = qmp_parse_registers(text, ret, ret_nr);
	free(text);
	return err;
}

/*
 * "info ramblock":
 *   "  Block Name    PSize   Offset   Used   Total"
 *   "         mem    4 KiB   0x0...   0x...  0x..."
 */
int qmp_parse_ramblocks(const char *text, struct qmp_ramblock **ret,
			size_t *ret_nr)
{
	struct qmp_ramblock *blocks = NULL;
	size_t nr = 0, cap = 0;
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		const char *p = skip_blank(line), *name_end;
		u64 off, used;
		size_t n;

		if (!end)
			end = line + strlen(line);
		name_end = p;
		while (name_end < end && !isspace((unsigned char)*name_end))
			name_end++;
		n = (size_t)(name_end - p);
		/* Name, page size ("4 KiB"), then Offset Used Total in hex. */
		p = strstr(name_end, "0x");
		if (n && n < sizeof(blocks->name) && p && p < end &&
		    (p = parse_hex(p, &off)) && p < end &&
		    (p = parse_hex(skip_blank(p), &used))) {
			if (nr == 4096)
				break;
			if (nr == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct qmp_ramblock *nb;

				nb = reallocarray(blocks, ncap, sizeof(*blocks));
				if (!nb) {
					free(blocks);
					return -ENOMEM;
				}
				blocks = nb;
				cap = ncap;
			}
			memcpy(blocks[nr].name, skip_blank(line), n);
			blocks[nr].name[n] = '\0';
			blocks[nr].used = used;
			nr++;
		}
		line = *end ? end + 1 : end;
	}
	if (!nr) {
		free(blocks);
		return -ENOENT;
	}
	*ret = blocks;
	*ret_nr = nr;
	return 0;
}

/*
 * "info mtree -f": flat views, each listing the address spaces that share
 * it ('AS "memory", root: system'), then
 *   "  0000000000100000-000000001fffffff (prio 0, ram): mem @0000000000100000"
 * The RAM block's name in "info ramblock" may carry a device path prefix
 * ("0000:00:02.0/vga.vram"); the region name is the last component.
 */
int qmp_parse_mtree(const char *text, const char *mr,
		    struct backend_ram_map *ret, size_t max, size_t *ret_nr)
{
	const char *slash = strrchr(mr, '/');
	const char *line = text;
	bool in_memory = false, in_view_header = false;
	size_t nr = 0, mr_len;

	if (slash)
		mr = slash + 1;
	mr_len = strlen(mr);
	while (*line) {
		const char *end = strchr(line, '\n');
		const char *p = skip_blank(line);
		u64 start, last, off = 0;
		const char *name;

		if (!end)
			end = line + strlen(line);
		if (!strncmp(p, "FlatView #", 10)) {
			if (nr)
				break;	/* the "memory" view is complete */
			in_memory = false;
			in_view_header = true;
		} else if (!strncmp(p, "AS \"", 4)) {
			if (in_view_header && !strncmp(p, "AS \"memory\"", 11))
				in_memory = true;
		} else if (in_memory && (p = parse_hex(p, &start)) &&
			   *p == '-' && (p = parse_hex(p + 1, &last)) &&
			   last >= start) {
			in_view_header = false;
			p = strstr(p, "): ");
			if (!p || p > end || p - line < 5 ||
			    (strncmp(p - 3, "ram", 3) && strncmp(p - 3, "rom", 3)) ||
			    p[-4] != ' ')
				goto next;
			name = p + 3;
			if ((size_t)(end - name) < mr_len ||
			    strncmp(name, mr, mr_len))
				goto next;
			p = name + mr_len;
			if (*p == '\r')
				p++;
			if (p < end && *p == ' ' && p[1] == '@') {
				if (!parse_hex(p + 2, &off))
					goto next;
			} else if (p != end) {
				goto next;	/* a longer name */
			}
			if (last - start == UINT64_MAX)
				goto next;	/* 2^64 bytes: not RAM */
			if (nr && ret[nr - 1].gpa + ret[nr - 1].size == start &&
			    ret[nr - 1].offset + ret[nr - 1].size == off) {
				ret[nr - 1].size += last - start + 1;
				goto next;
			}
			if (nr == max)
				return -E2BIG;
			ret[nr++] = (struct backend_ram_map){
				.gpa = start, .size = last - start + 1,
				.offset = off,
			};
		}
next:
		line = *end ? end + 1 : end;
	}
	if (!nr)
		return -ENOENT;
	*ret_nr = nr;
	return 0;
}
