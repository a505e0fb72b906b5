/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Memory backends: where a guest's physical memory and vCPU state come from.
 *
 * A backend fills a struct vmi_phys (core/phys.h) with the guest's RAM
 * ranges, mapped zero-copy where it can, and reports vCPU registers when it
 * has them (QMP, dump notes). It does not know what a kernel is.
 */
#ifndef VMIAAS_BACKEND_H
#define VMIAAS_BACKEND_H

#include <vmiaas/vmiaas.h>
#include "../../core/phys.h"

struct qmp;

struct backend {
	const char *name;		/* "shm", "pid", "dump-raw", ... */
	struct vmi_phys phys;
	/* vCPU registers as of open (or the last refresh); may be empty. */
	struct vmiaas_vcpu *vcpus;
	size_t nr_vcpus;
	struct qmp *qmp;		/* NULL without a QMP socket */
	/* Re-reads vCPU registers (live backends with QMP); may be NULL. */
	int (*refresh_vcpus)(struct backend *b);
	void (*destroy)(struct backend *b);
	void *priv;
	/*
	 * How the RAM layout (and, for "pid", the RAM's host address) was
	 * found: "qmp" (authoritative), "pc-heuristic", "elf", "lime", or
	 * "largest-mapping" (pid without QMP: unconfirmed, the engine
	 * validates it by finding the kernel). Static string.
	 */
	const char *layout;
	/* Drops cached guest memory; may be NULL. */
	void (*invalidate)(struct backend *b);
	/*
	 * Guest RAM writes, for answers in the guest agent's mailbox (vmid):
	 * ->write_open opens what ->write needs, before a sandbox forbids
	 * open(); then ->write puts @len bytes at @gpa. NULL for dumps.
	 */
	int (*write_open)(struct backend *b);
	int (*write)(struct backend *b, u64 gpa, const void *buf, size_t len);
};

/*
 * Each returns 0 or -errno and explains a failure in @diag. A failure to
 * reach QMP when @qmp_path is given is an error; without it, vCPU state is
 * simply absent.
 */
int backend_shm_open(const char *path, const char *qmp_path,
		     struct backend **ret, struct vmiaas_diag *diag);
int backend_pid_open(pid_t pid, const char *qmp_path, struct backend **ret,
		     struct vmiaas_diag *diag);
/* Detects the format: QEMU ELF core (with CPU notes), LiME, or raw. */
int backend_dump_open(const char *path, struct backend **ret,
		      struct vmiaas_diag *diag);

/* Destroys any backend; accepts NULL. */
void backend_close(struct backend *b);

/*
 * Drops cached guest memory (the pid backend caches a few pages between
 * calls); call before a new round of checks on a live guest. Accepts NULL.
 */
void backend_invalidate(struct backend *b);

/* One piece of guest RAM: @size bytes at @gpa are at @offset in the block. */
struct backend_ram_map {
	u64 gpa;
	u64 size;
	u64 offset;
};

/* At most this many pieces in a layout (the struct vmi_phys limit). */
#define BACKEND_MAX_MAPS	VMI_PHYS_MAX_RANGES

/*
 * QEMU's default PC layout for @ram_size bytes of RAM in one block: low
 * memory up to 0xc0000000 when the RAM reaches 0xe0000000 (i440fx with
 * gigabyte alignment, every machine type since 1.7), the rest at 4 GiB.
 * q35 splits at 0x80000000 instead: it can only be told apart through QMP.
 */
int backend_pc_layout(u64 ram_size, struct backend_ram_map *ret,
		      size_t *ret_nr);

/*
 * Asks QEMU (HMP "info ramblock", "info mtree -f") where RAM block @block
 * (or, when @block is NULL, the block of @size bytes, else the largest
 * one) appears in the guest-physical address space. @ret_block receives
 * the block's size.
 */
int backend_qmp_layout(struct qmp *q, const char *block, u64 size,
		       struct backend_ram_map *ret, size_t *ret_nr,
		       u64 *ret_block, struct vmiaas_diag *diag);

/* Internal to backend*.c: */
struct backend *backend_new(const char *name);

/* A whole regular file mapped read-only: the priv of file backends. */
struct backend_file {
	const u8 *map;
	size_t len;
	char *path;		/* for ->write_open (shm) */
	int rw_fd;		/* -1 until ->write_open */
};

/*
 * Creates backend @name over the file at @path, mapped read-only, with a
 * struct backend_file as ->priv. @what names the file in messages ("guest
 * memory file"), @hint says what to pass instead.
 */
int backend_file_open(const char *name, const char *path, const char *what,
		      const char *hint, struct backend **ret,
		      struct vmiaas_diag *diag);
/* Connects @b->qmp and reads the vCPUs; sets ->refresh_vcpus. */
int backend_attach_qmp(struct backend *b, const char *qmp_path,
		       struct vmiaas_diag *diag);
/*
 * Adds @maps to @b->phys; with @base, piece i is at @base + offset and
 * must end within @base_len; without, ranges are read through ->read.
 */
int backend_map_ranges(struct backend *b, const struct backend_ram_map *maps,
		       size_t nr, const u8 *base, u64 base_len,
		       struct vmiaas_diag *diag);

/* ---- dump formats (backend_dump.c) ---- */
struct dump_info {
	const char *format;		/* "dump-elf", "dump-lime", "dump-raw" */
	/* @offset is the file offset of the piece. */
	struct backend_ram_map maps[BACKEND_MAX_MAPS];
	size_t nr_maps;
	struct vmiaas_vcpu *vcpus;	/* malloc'd; ELF with QEMU notes */
	size_t nr_vcpus;
};

/* At most this many vCPUs are read from a dump or from QMP. */
#define BACKEND_MAX_VCPUS	1024

/*
 * Parses a dump held in @buf (untrusted): the format, the guest-physical
 * pieces it holds and, for a QEMU ELF core, the vCPU registers. 0,
 * -EBADMSG (malformed or truncated: explained in @diag), -E2BIG (more
 * pieces than BACKEND_MAX_MAPS), -ENOMEM. Free ret->vcpus.
 */
int dump_parse(const u8 *buf, size_t len, struct dump_info *ret,
	       struct vmiaas_diag *diag);
/* ---- QMP (qmp.c) ---- */
int qmp_connect(const char *path, struct qmp **ret, struct vmiaas_diag *diag);
void qmp_close(struct qmp *q);
/* Runs an HMP command through QMP; *ret_out is malloc'd text. */
int qmp_hmp(struct qmp *q, const char *cmd, char **ret_out);
/* Parses "info registers" for every vCPU. */
int qmp_read_vcpus(struct qmp *q, struct vmiaas_vcpu **ret, size_t *ret_nr);
/* Parses HMP "info registers" text (exposed for the fuzzer and tests). */
int qmp_parse_registers(const char *text, struct vmiaas_vcpu **ret,
			size_t *ret_nr);
/* QEMU's explanation of the last failed command (empty if none). */
const char *qmp_last_error(const struct qmp *q);

struct qmp_ramblock {
	char name[64];
	u64 used;		/* bytes */
};

/* Parses HMP "info ramblock". Free *ret. */
int qmp_parse_ramblocks(const char *text, struct qmp_ramblock **ret,
			size_t *ret_nr);
/*
 * Parses HMP "info mtree -f": where memory region @mr appears as RAM/ROM
 * in the flat view of address space "memory", adjacent pieces merged.
 * -ENOENT when it does not appear, -E2BIG beyond @max pieces.
 */
int qmp_parse_mtree(const char *text, const char *mr,
		    struct backend_ram_map *ret, size_t max, size_t *ret_nr);

/* ---- diagnostics (diag.c) ---- */
/* Records @err and a printf-style message in @diag (may be NULL); returns @err. */
int diag_set(struct vmiaas_diag *diag, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* VMIAAS_BACKEND_H */
