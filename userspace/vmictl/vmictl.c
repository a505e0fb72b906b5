// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl: one-shot introspection of a Linux guest from the command line.
 *
 *   vmictl [TARGET] [--json] COMMAND [ARGS]
 *
 * Options are parsed over the whole command line, before and after the
 * command, into struct vmictl; the command then runs against the opened
 * target. Every error is turned into a message and an exit status here.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "vmictl.h"

#ifndef VMIAAS_VERSION
#define VMIAAS_VERSION "0.1.0"
#endif

static const struct vmictl_cmd vmictl_cmds[] = {
	{
		.name = "info", .run = cmd_info, .flags = VMICTL_CMD_GUEST,
		.summary = "kernel, KASLR, symbols, BTF, vCPU registers",
		.help = "Shows what attaching found: the kernel release and banner, the\n"
			"KASLR offset, where the kernel and its page tables are, how many\n"
			"symbols and BTF types were found, how long each stage took, and\n"
			"the vCPU control registers when they can be read (--qmp).\n",
	},
	{
		.name = "ps", .run = cmd_ps, .flags = VMICTL_CMD_GUEST,
		.opts = VMICTL_OPT_THREADS, .synopsis = "[-t|--threads]",
		.summary = "processes and kernel threads",
		.help = "Lists one row per process (thread-group leader), sorted by PID,\n"
			"like the guest's /proc. Kernel threads are shown in [brackets].\n"
			"  -t, --threads   one row per thread instead\n",
	},
	{
		.name = "lsmod", .run = cmd_lsmod, .flags = VMICTL_CMD_GUEST,
		.summary = "loaded kernel modules",
		.help = "Lists the modules on the kernel's module list, newest first,\n"
			"like /proc/modules.\n",
	},
	{
		.name = "syscalls", .run = cmd_syscalls, .flags = VMICTL_CMD_GUEST,
		.summary = "system call table",
		.help = "Lists every entry of the system call tables with its handler\n"
			"address and the symbol it resolves to.\n",
	},
	{
		.name = "idt", .run = cmd_idt, .flags = VMICTL_CMD_GUEST,
		.opts = VMICTL_OPT_VCPU, .synopsis = "[--vcpu N]",
		.summary = "interrupt descriptor table",
		.help = "Lists the gates of a vCPU's interrupt descriptor table.\n"
			"  --vcpu N        the vCPU whose IDTR is used (default 0)\n",
	},
	{
		.name = "baseline", .run = cmd_baseline, .flags = VMICTL_CMD_GUEST,
		.opts = VMICTL_OPT_OUTPUT | VMICTL_OPT_KEY,
		.required = VMICTL_OPT_OUTPUT,
		.synopsis = "-o FILE [--key KEY]",
		.summary = "take a trusted integrity baseline",
		.help = "Measures the guest (syscall tables, IDT, CPU state, kernel text)\n"
			"and writes the baseline to FILE, MACed with the host key and bound\n"
			"to this kernel and this boot. Take it when the guest is trusted.\n"
			"  -o, --output FILE   where to write the baseline (atomically)\n"
			"  --key KEY           host key file (default " "/var/lib/vmiaas/host.key" ",\n"
			"                      created 0600 if missing)\n",
	},
	{
		.name = "check", .run = cmd_check, .flags = VMICTL_CMD_GUEST,
		.opts = VMICTL_OPT_BASELINE | VMICTL_OPT_KEY,
		.required = VMICTL_OPT_BASELINE,
		.synopsis = "-b FILE [--key KEY]",
		.summary = "check the guest against a baseline",
		.help = "Runs every check (see 'vmictl checks') against the baseline and\n"
			"prints the findings, then informational events. Exit status 0:\n"
			"no findings, 1: findings, 2: usage, 3: the guest cannot be read or\n"
			"the baseline is refused (modified, another kernel, another boot).\n"
			"  -b, --baseline FILE the baseline from 'vmictl baseline'\n"
			"  --key KEY           host key file (default " "/var/lib/vmiaas/host.key" ")\n",
	},
	{
		.name = "checks", .run = cmd_checks,
		.summary = "list the integrity checks",
		.help = "Lists the id of every check 'vmictl check' runs, with what it\n"
			"verifies.\n",
	},
	{
		.name = "status", .run = cmd_status, .max_args = 1,
		.synopsis = "[SOCKET]",
		.summary = "the VMs the node daemon vmid watches",
		.help = "Asks vmid over its control socket (default /run/vmiaas/vmid.sock,\n"
			"root only) and lists each VM: QEMU pid, name, backend, state,\n"
			"last check, checks run and active findings. No target needed.\n",
	},
	{
		.name = "findings", .run = cmd_findings, .max_args = 1,
		.synopsis = "[VM]",
		.summary = "recent findings of vmid's VMs",
		.help = "Asks vmid for its recent finding and resolved events (the last\n"
			"256), of VM only if given (its name, id or libvirt UUID).\n"
			"The socket is $VMID_SOCKET, default /run/vmiaas/vmid.sock.\n",
	},
	{
		.name = "vmid-check", .run = cmd_vmid_check, .max_args = 1, .synopsis = "VM",
		.summary = "make vmid check a VM now",
		.help = "Asks vmid to check VM (name, id or libvirt UUID) now and waits\n"
			"for the round: prints its active findings. Exit status 0: none,\n"
			"1: findings, 3: vmid cannot check it (not attached, failed).\n"
			"The socket is $VMID_SOCKET, default /run/vmiaas/vmid.sock.\n",
	},
	{
		.name = "vmid-rebaseline", .run = cmd_vmid_rebaseline,
		.max_args = 1, .synopsis = "VM",
		.summary = "make vmid take a new baseline of a VM",
		.help = "Asks vmid to remove the stored baseline of VM (name, id or\n"
			"libvirt UUID) and take a new one now, trusting the guest as it\n"
			"is (its active findings are then resolved). For an operator who\n"
			"knows the change is legitimate, or a VM refused over findings.\n"
			"The socket is $VMID_SOCKET, default /run/vmiaas/vmid.sock.\n",
	},
	{
		.name = "follow", .run = cmd_follow,
		.summary = "vmid's events, live",
		.help = "Prints vmid's events (findings, resolved findings, attach,\n"
			"baseline, errors...) as they happen, one per line (--json: the\n"
			"JSON lines of the event file), until interrupted.\n"
			"The socket is $VMID_SOCKET, default /run/vmiaas/vmid.sock.\n",
	},
	{
		.name = "help", .run = cmd_help, .max_args = 1,
		.synopsis = "[COMMAND]",
		.summary = "this text, or a command's",
	},
};

#define VMICTL_NR_CMDS	(sizeof(vmictl_cmds) / sizeof(vmictl_cmds[0]))

static const struct vmictl_cmd *vmictl_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < VMICTL_NR_CMDS; i++)
		if (!strcmp(vmictl_cmds[i].name, name))
			return &vmictl_cmds[i];
	return NULL;
}

static void vmictl_usage(FILE *f)
{
	size_t i;

	fputs("Usage: vmictl [TARGET] [--json] COMMAND [ARGS]\n"
	      "\n"
	      "Introspects a Linux guest from the outside: no agent in the guest,\n"
	      "no profile, no debug symbols.\n"
	      "\n"
	      "Targets (exactly one):\n"
	      "  --shm FILE [--qmp SOCK]  QEMU guest RAM in a shared file (share=on)\n"
	      "  --pid PID [--qmp SOCK]   a running QEMU process\n"
	      "  --dump FILE              raw memory, QEMU dump-guest-memory ELF, LiME\n"
	      "  --system-map FILE        symbols from a System.map, not kallsyms\n"
	      "  --qmp-timeout SECONDS    wait this long for QEMU's QMP replies (default 30)\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < VMICTL_NR_CMDS; i++) {
		const struct vmictl_cmd *cmd = &vmictl_cmds[i];
		char left[64];

		snprintf(left, sizeof(left), "%s %s", cmd->name,
			 cmd->synopsis ? cmd->synopsis : "");
		/* a long synopsis on a line of its own */
		if (strlen(left) > 24)
			fprintf(f, "  %s\n  %-24s %s\n", left, "", cmd->summary);
		else
			fprintf(f, "  %-24s %s\n", left, cmd->summary);
	}
	fputs("\n"
	      "Options:\n"
	      "  --json                   print one JSON document, not a table\n"
	      "  -h, --help               show this help, or a command's, and exit\n"
	      "  --version                show the version and exit\n"
	      "\n"
	      "Exit status: 0 success, 1 local failure (check: findings), 2 usage\n"
	      "error, 3 the guest could not be read (check: or the baseline is\n"
	      "refused). See vmictl(8).\n", f);
}

static void vmictl_cmd_usage(const struct vmictl_cmd *cmd)
{
	printf("Usage: vmictl [TARGET] [--json] %s%s%s\n\n%s.\n", cmd->name,
	       cmd->synopsis ? " " : "", cmd->synopsis ? cmd->synopsis : "",
	       cmd->summary);
	if (cmd->help)
		printf("\n%s", cmd->help);
	printf("\nRun 'vmictl --help' for the targets and common options.\n");
}

/* Prints a usage error; returns -EINVAL (exit status 2). */
static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vmictl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vmictl --help' for more information.\n", stderr);
	return -EINVAL;
}

int cmd_help(struct vmictl *c)
{
	const struct vmictl_cmd *cmd;

	if (!c->argc) {
		vmictl_usage(stdout);
		return 0;
	}
	cmd = vmictl_cmd_find(c->argv[0]);
	if (!cmd)
		return usage_error("'%s' is not a vmictl command", c->argv[0]);
	vmictl_cmd_usage(cmd);
	return 0;
}

/* ---- options ---- */

enum {
	OPT_SHM = 0x100,
	OPT_QMP,
	OPT_PID,
	OPT_DUMP,
	OPT_SYSTEM_MAP,
	OPT_JSON,
	OPT_VCPU,
	OPT_VERSION,
	OPT_KEY,
	OPT_QMP_TIMEOUT,
};

static const struct option vmictl_options[] = {
	{ "shm",	required_argument,	NULL, OPT_SHM },
	{ "qmp",	required_argument,	NULL, OPT_QMP },
	{ "qmp-timeout", required_argument,	NULL, OPT_QMP_TIMEOUT },
	{ "pid",	required_argument,	NULL, OPT_PID },
	{ "dump",	required_argument,	NULL, OPT_DUMP },
	{ "system-map",	required_argument,	NULL, OPT_SYSTEM_MAP },
	{ "json",	no_argument,		NULL, OPT_JSON },
	{ "threads",	no_argument,		NULL, 't' },
	{ "vcpu",	required_argument,	NULL, OPT_VCPU },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ "output",	required_argument,	NULL, 'o' },
	{ "baseline",	required_argument,	NULL, 'b' },
	{ "key",	required_argument,	NULL, OPT_KEY },
	{}
};

struct vmictl_args {
	char **pos;		/* the command and its arguments, in order */
	int nr_pos;
	bool help, version;
};

static int parse_ulong(const char *opt, const char *s, unsigned long max,
		       unsigned long *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return usage_error("invalid %s '%s'", opt, s);
	*ret = v;
	return 0;
}

static int set_path(const char **slot, const char *opt, const char *arg)
{
	if (*slot)
		return usage_error("%s given twice", opt);
	if (!*arg)
		return usage_error("%s needs a file name", opt);
	*slot = arg;
	return 0;
}

/* Read by the library's QMP client at connect (userspace/lib/qmp.c). */
static int set_qmp_timeout(unsigned long secs)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lu", secs);
	return setenv("VMIAAS_QMP_TIMEOUT", buf, 1) ? -errno : 0;
}

/* One option; 0 or -EINVAL after printing the usage error. */
static int parse_one(struct vmictl *c, struct vmictl_args *a, int opt,
		     char **argv)
{
	struct vmiaas_target *t = &c->target;
	unsigned long v;
	int r;

	switch (opt) {
	case 1:
		a->pos[a->nr_pos++] = optarg;
		return 0;
	case OPT_SHM:
		return set_path(&t->shm_path, "--shm", optarg);
	case OPT_QMP:
		return set_path(&t->qmp_path, "--qmp", optarg);
	case OPT_QMP_TIMEOUT:	/* the library reads it at connect */
		r = parse_ulong("--qmp-timeout", optarg, 3600, &v);
		if (r < 0)
			return r;
		if (!v)
			return usage_error("invalid --qmp-timeout '%s'", optarg);
		return set_qmp_timeout(v);
	case OPT_DUMP:
		return set_path(&t->dump_path, "--dump", optarg);
	case OPT_SYSTEM_MAP:
		return set_path(&t->system_map, "--system-map", optarg);
	case OPT_PID:
		if (t->pid)
			return usage_error("--pid given twice");
		r = parse_ulong("--pid", optarg, INT_MAX, &v);
		if (r < 0)
			return r;
		if (!v)
			return usage_error("invalid --pid '%s'", optarg);
		t->pid = (pid_t)v;
		return 0;
	case OPT_JSON:
		c->json = true;
		return 0;
	case 't':
		c->threads = true;
		c->opts_seen |= VMICTL_OPT_THREADS;
		return 0;
	case OPT_VCPU:
		r = parse_ulong("--vcpu", optarg, UINT32_MAX, &v);
		if (r < 0)
			return r;
		c->vcpu = (uint32_t)v;
		c->opts_seen |= VMICTL_OPT_VCPU;
		return 0;
	case 'o':
		c->opts_seen |= VMICTL_OPT_OUTPUT;
		return set_path(&c->output, "--output", optarg);
	case 'b':
		c->opts_seen |= VMICTL_OPT_BASELINE;
		return set_path(&c->baseline, "--baseline", optarg);
	case OPT_KEY:
		c->opts_seen |= VMICTL_OPT_KEY;
		return set_path(&c->key, "--key", optarg);
	case 'h':
		a->help = true;
		return 0;
	case OPT_VERSION:
		a->version = true;
		return 0;
	case ':':
		return usage_error("option '%s' requires an argument",
				   argv[optind - 1]);
	default:
		if (optopt && optopt < 0x100)
			return usage_error("invalid option -- '%c'", optopt);
		return usage_error("unrecognized option '%s'",
				   argv[optind - 1]);
	}
}

/*
 * getopt_long() in "return in order" mode ('-'): options may come before
 * or after the command; everything after "--" is positional.
 */
static int parse_args(int argc, char **argv, struct vmictl *c,
		      struct vmictl_args *a)
{
	int opt, r;

	a->pos = calloc(argc > 0 ? argc : 1, sizeof(*a->pos));
	if (!a->pos)
		return -ENOMEM;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "-:hto:b:", vmictl_options,
				  NULL)) != -1) {
		r = parse_one(c, a, opt, argv);
		if (r < 0)
			return r;
	}
	while (optind < argc)
		a->pos[a->nr_pos++] = argv[optind++];
	return 0;
}

static int check_target(const struct vmiaas_target *t)
{
	int n = !!t->shm_path + !!t->pid + !!t->dump_path;

	if (n == 0)
		return usage_error("no guest: give --shm, --pid or --dump");
	if (n > 1)
		return usage_error("--shm, --pid and --dump exclude each other");
	if (t->qmp_path && t->dump_path)
		return usage_error("--qmp goes with --shm or --pid");
	return 0;
}

static const char *opt_name(unsigned int opt)
{
	switch (opt) {
	case VMICTL_OPT_THREADS:
		return "--threads";
	case VMICTL_OPT_VCPU:
		return "--vcpu";
	case VMICTL_OPT_OUTPUT:
		return "--output";
	case VMICTL_OPT_BASELINE:
		return "--baseline";
	default:
		return "--key";
	}
}

/* Command-specific checks, before anything is opened. */
static int check_cmd(const struct vmictl_cmd *cmd, const struct vmictl *c)
{
	unsigned int extra = c->opts_seen & ~cmd->opts;
	unsigned int missing = cmd->required & ~c->opts_seen;

	if (extra)
		return usage_error("%s is not an option of '%s'",
				   opt_name(extra & -extra), cmd->name);
	/* before the target is opened: attaching can take seconds */
	if (missing)
		return usage_error("%s needs %s FILE", cmd->name,
				   opt_name(missing & -missing));
	if (c->argc > cmd->max_args)
		return usage_error("%s: unexpected argument '%s'", cmd->name,
				   c->argv[cmd->max_args]);
	if (cmd->flags & VMICTL_CMD_GUEST)
		return check_target(&c->target);
	return 0;
}

/* ---- the error edge ---- */

static int open_error(const struct vmiaas_target *t,
		      const struct vmiaas_diag *d, int r)
{
	const char *what = t->shm_path ? t->shm_path :
			   t->dump_path ? t->dump_path : "the QEMU process";

	if (d->msg[0])
		fprintf(stderr, "vmictl: %s\n", d->msg);
	else
		fprintf(stderr, "vmictl: cannot introspect %s: %s\n", what,
			strerror(-r));
	return VMICTL_EXIT_GUEST;
}

static int run_error(const struct vmictl_cmd *cmd, const struct vmictl *c,
		     int r)
{
	const struct vmiaas_diag *d;

	/* The reader has what it wanted. */
	if (r == -EPIPE)
		return VMICTL_EXIT_OK;
	/* "help FOO": already printed by usage_error(). */
	if (r == -EINVAL && !(cmd->flags & VMICTL_CMD_GUEST))
		return VMICTL_EXIT_USAGE;
	if (!c->guest_what) {
		fprintf(stderr, "vmictl: %s: %s\n", cmd->name, strerror(-r));
		return VMICTL_EXIT_FAILURE;
	}
	d = vmiaas_last_diag(c->v);
	if (d && d->err == r && d->msg[0])
		fprintf(stderr, "vmictl: %s\n", d->msg);
	else
		fprintf(stderr, "vmictl: cannot %s: %s\n", c->guest_what,
			strerror(-r));
	return VMICTL_EXIT_GUEST;
}

static int vmictl_run(const struct vmictl_cmd *cmd, struct vmictl *c)
{
	struct vmiaas_diag diag = {};
	int r, st;

	if (cmd->flags & VMICTL_CMD_GUEST) {
		r = vmiaas_open(&c->target, &c->v, &diag);
		if (r < 0)
			return open_error(&c->target, &diag, r);
	}
	r = cmd->run(c);
	st = r > 0 ? r : VMICTL_EXIT_OK;
	if (r >= 0)
		r = out_flush();
	r = r < 0 ? run_error(cmd, c, r) : st;
	if (c->v)
		vmiaas_close(c->v);
	c->v = NULL;
	return r;
}

/* For what main() handles itself: usage errors, --help, --version. */
static int exit_status(int r)
{
	if (r == -ENOMEM) {
		fprintf(stderr, "vmictl: %s\n", strerror(ENOMEM));
		return VMICTL_EXIT_FAILURE;
	}
	if (r < 0)
		return VMICTL_EXIT_USAGE;
	r = out_flush();
	if (r < 0 && r != -EPIPE) {
		fprintf(stderr, "vmictl: write error: %s\n", strerror(-r));
		return VMICTL_EXIT_FAILURE;
	}
	return VMICTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct vmictl c = { .target.sz = sizeof(c.target) };
	struct vmictl_args a = {};
	const struct vmictl_cmd *cmd = NULL;
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = parse_args(argc, argv, &c, &a);
	if (r < 0)
		goto out;
	if (a.version) {
		printf("vmictl %s\n", VMIAAS_VERSION);
		goto out;
	}
	if (a.nr_pos) {
		cmd = vmictl_cmd_find(a.pos[0]);
		if (!cmd) {
			r = usage_error("'%s' is not a vmictl command",
					a.pos[0]);
			goto out;
		}
	}
	if (a.help) {
		if (cmd)
			vmictl_cmd_usage(cmd);
		else
			vmictl_usage(stdout);
		goto out;
	}
	if (!cmd) {
		r = usage_error("no command given");
		goto out;
	}
	c.argc = a.nr_pos - 1;
	c.argv = a.pos + 1;
	r = check_cmd(cmd, &c);
	if (r < 0)
		goto out;
	r = vmictl_run(cmd, &c);
	free(a.pos);
	return r;
out:
	free(a.pos);
	return exit_status(r);
}
