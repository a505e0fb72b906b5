// SPDX-License-Identifier: GPL-2.0
/*
 * l2vmm_stats: a vCPU's counters from KVM's binary statistics
 * (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst 4.133): the header,
 * then descriptors of header.name_size-byte names, then the data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "l2vmm.h"

static const char *const stat_names[L2VMM_NR_STATS] = {
	[L2VMM_EXITS] = "exits",
	[L2VMM_IO_EXITS] = "io_exits",
	[L2VMM_MMIO_EXITS] = "mmio_exits",
	[L2VMM_HYPERCALLS] = "hypercalls",
};

void l2vmm_stats_open(struct l2vmm_stats *st, int kvm_fd, int vcpu_fd)
{
	struct kvm_stats_header hdr;
	size_t desc_size;
	uint32_t i, j;
	char *descs;

	memset(st, 0, sizeof(*st));
	st->fd = -1;
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0)
		return;
	st->fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (st->fd < 0)
		return;
	if (pread(st->fd, &hdr, sizeof(hdr), 0) != sizeof(hdr) ||
	    hdr.num_desc == 0 || hdr.num_desc > 4096 || hdr.name_size < 8 ||
	    hdr.name_size > 4096)
		goto bad;
	desc_size = sizeof(struct kvm_stats_desc) + hdr.name_size;
	descs = calloc(hdr.num_desc, desc_size);
	if (!descs)
		goto bad;
	if (pread(st->fd, descs, hdr.num_desc * desc_size, hdr.desc_offset) !=
	    (ssize_t)(hdr.num_desc * desc_size)) {
		free(descs);
		goto bad;
	}
	for (i = 0; i < hdr.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * desc_size);

		d->name[hdr.name_size - 1] = '\0';
		for (j = 0; j < L2VMM_NR_STATS; j++)
			if (!strcmp(d->name, stat_names[j]))
				st->offset[j] = hdr.data_offset + d->offset;
	}
	free(descs);
	return;
bad:
	close(st->fd);
	st->fd = -1;
}

int64_t l2vmm_stats_read(const struct l2vmm_stats *st, enum l2vmm_stat which)
{
	uint64_t v;

	if (st->fd < 0 || !st->offset[which] ||
	    pread(st->fd, &v, sizeof(v), st->offset[which]) != sizeof(v))
		return -1;
	return (int64_t)v;
}

void l2vmm_stats_format(const struct l2vmm_stats *st, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < L2VMM_NR_STATS && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s=%" PRId64,
				i ? " " : "", stat_names[i],
				l2vmm_stats_read(st, i));
}
