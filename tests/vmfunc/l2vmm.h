/* SPDX-License-Identifier: GPL-2.0 */
/*
 * l2vmm: the Linux L2 guest's VMM (l2vmm.c), its statistics (l2vmm_stats.c)
 * and its use of vmiaas.ko (l2vmm_vmiaas.c).
 */
#ifndef L2VMM_H
#define L2VMM_H

#include <stddef.h>
#include <stdint.h>

#include "../../include/uapi/linux/vmiaas.h"

#define L2VMM_MAILBOX_GPA	VMIAAS_MAILBOX_GPA

/* The vCPU's KVM statistics that the test reads (binary stats fd). */
enum l2vmm_stat {
	L2VMM_EXITS,
	L2VMM_IO_EXITS,
	L2VMM_MMIO_EXITS,
	L2VMM_HYPERCALLS,
	L2VMM_NR_STATS,
};

struct l2vmm_stats {
	int fd;					/* -1: unavailable */
	uint64_t offset[L2VMM_NR_STATS];	/* 0: not found */
};

void l2vmm_stats_open(struct l2vmm_stats *st, int kvm_fd, int vcpu_fd);
/* The statistic's value, or -1 if unavailable. */
int64_t l2vmm_stats_read(const struct l2vmm_stats *st, enum l2vmm_stat which);
/* "exits=N io_exits=N mmio_exits=N hypercalls=N" */
void l2vmm_stats_format(const struct l2vmm_stats *st, char *buf, size_t size);

struct l2vmm_vmiaas;

/* Attaches the VM to vmiaas.ko and arms view 1; dies on failure. */
struct l2vmm_vmiaas *l2vmm_vmiaas_setup(int kvm_fd, int vm_fd, int vcpu_fd,
					 uint8_t *mem, uint64_t mem_size);
/* --check GPA:LEN,... and --check-ptr GPA,...: what to baseline. */
void l2vmm_vmiaas_add_checks(struct l2vmm_vmiaas *vi, const char *ranges,
			     const char *ptrs);
/* A "@@" line from the guest's console (the guest's own progress marks). */
void l2vmm_vmiaas_guest_line(struct l2vmm_vmiaas *vi, const char *line);
void l2vmm_vmiaas_teardown(struct l2vmm_vmiaas *vi);

#endif /* L2VMM_H */
