/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's command line, as /proc/PID/cmdline has it (NUL-separated): the
 * facts the pid backend and vmid's discovery need about a running QEMU.
 * Written by hand or by libvirt (its -object options are JSON, its
 * monitor a -chardev passed as a file descriptor).
 */
#ifndef VMIAAS_QEMU_CMDLINE_H
#define VMIAAS_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The most of /proc/PID/cmdline read: the kernel lets a process's
 * arguments take a quarter of an 8 MiB stack limit; libvirt's run to
 * tens of KiB.
 */
#define QEMU_CMDLINE_MAX	(2u << 20)

struct qemu_cmdline {
	char name[128];		/* -name [guest=]NAME, "" if none */
	char uuid[37];		/* -uuid, "" if none or not 36 characters */
	char qmp[512];		/* QMP's unix socket path, "" if none */
	char ram_path[512];	/* the RAM backend's mem-path, "" if none */
	bool ram_shared;	/* that backend has share=on */
	uint64_t ram_size;	/* bytes: -m, else the RAM backend's size */
	bool daemonize;		/* -daemonize */
	char pidfile[512];	/* -pidfile, "" if none */
};

/*
 * Parses @len bytes of NUL-separated arguments into @cl (zeroed first).
 * An unterminated last argument (a truncated read) is ignored; values
 * too long for their field are left out, never cut. RAM is the backend
 * -machine memory-backend= names, else the first -numa node's memdev;
 * QMP is -qmp unix:PATH or a -chardev socket with a path that a
 * -mon mode=control uses.
 */
void qemu_cmdline_parse(const char *buf, size_t len, struct qemu_cmdline *cl);

/* Reads /proc/@pid/cmdline (at most QEMU_CMDLINE_MAX) and parses it. */
int qemu_cmdline_read(pid_t pid, struct qemu_cmdline *cl);

/*
 * A QEMU size ("512", "2G", "1.5g", "524288k"): @unit bytes without a
 * suffix (QEMU's -m: MiB). 0 when it is not one, is 0, or is over 1 EiB.
 */
uint64_t qemu_parse_size(const char *s, uint64_t unit);

#endif
