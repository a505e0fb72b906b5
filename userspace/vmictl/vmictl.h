/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmictl: the one-shot command line over libvmiaas.
 *
 * One table of subcommands (vmictl.c), one file per subcommand. A command
 * returns 0 or a negative errno and prints nothing on failure: main() is the
 * only place that turns an error into a message and an exit status.
 */
#ifndef VMICTL_H
#define VMICTL_H

#include <stdbool.h>
#include <stdint.h>

#include <vmiaas/vmiaas.h>

/* Exit statuses (documented in docs/man/vmictl.8, EXIT STATUS). */
#define VMICTL_EXIT_OK		0
#define VMICTL_EXIT_FAILURE	1	/* local: output, memory */
#define VMICTL_EXIT_USAGE	2
#define VMICTL_EXIT_GUEST	3	/* the guest could not be read */

/* Options that only some commands accept: vmictl_cmd.opts. */
#define VMICTL_OPT_THREADS	(1U << 0)
#define VMICTL_OPT_VCPU		(1U << 1)
#define VMICTL_OPT_OUTPUT	(1U << 2)	/* -o FILE */
#define VMICTL_OPT_BASELINE	(1U << 3)	/* -b FILE */
#define VMICTL_OPT_KEY		(1U << 4)	/* --key FILE */

/* vmictl_cmd.flags */
#define VMICTL_CMD_GUEST	(1U << 0)	/* opens the target first */

struct vmictl {
	struct vmiaas_target target;
	struct vmiaas *v;		/* iff VMICTL_CMD_GUEST */
	bool json;
	bool threads;
	uint32_t vcpu;
	const char *output;		/* -o */
	const char *baseline;		/* -b */
	const char *key;		/* --key */
	unsigned int opts_seen;		/* VMICTL_OPT_* given */
	int argc;			/* positional arguments after the */
	char **argv;			/* command name */
	const char *guest_what;		/* set when the library failed */
};

struct vmictl_cmd {
	const char *name;
	/* 0, a negative errno, or a positive exit status (check: findings) */
	int (*run)(struct vmictl *c);
	unsigned int flags;		/* VMICTL_CMD_* */
	unsigned int opts;		/* VMICTL_OPT_* accepted */
	unsigned int required;		/* VMICTL_OPT_* that must be given */
	int max_args;
	const char *synopsis;		/* options and arguments */
	const char *summary;
	const char *help;		/* more lines for "vmictl help CMD" */
};

/*
 * Records that a library call failed, so that main() prints the library's
 * diagnostic and exits with VMICTL_EXIT_GUEST. Returns @r.
 */
static inline int vmictl_guest(struct vmictl *c, int r, const char *what)
{
	if (r < 0)
		c->guest_what = what;
	return r;
}

int cmd_help(struct vmictl *c);
int cmd_info(struct vmictl *c);
int cmd_ps(struct vmictl *c);
int cmd_lsmod(struct vmictl *c);
int cmd_syscalls(struct vmictl *c);
int cmd_idt(struct vmictl *c);
int cmd_baseline(struct vmictl *c);
int cmd_check(struct vmictl *c);
int cmd_checks(struct vmictl *c);
int cmd_status(struct vmictl *c);
int cmd_findings(struct vmictl *c);
int cmd_vmid_check(struct vmictl *c);
int cmd_vmid_rebaseline(struct vmictl *c);
int cmd_follow(struct vmictl *c);

/* The vmid control socket (cmd_status.c): $VMID_SOCKET or the default. */
const char *vmid_socket_path(void);
/* Connects and sends one request line; the socket, or -errno. */
int vmid_connect(const char *path, const char *req, int timeout_s);
void vmid_error(const char *path, int r);
/* The whole reply (NUL-terminated, free()). */
int vmid_query(const char *path, const char *req, int timeout_s, char **ret);
/* The reply as a JSON object; an error reply is printed: -EPROTO. */
struct json_object;
int vmid_query_json(const char *path, const char *req, int timeout_s,
		    struct json_object **ret);

#endif /* VMICTL_H */
