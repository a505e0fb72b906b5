/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Every network namespace (net_namespace_list) and each one's devices
 * (dev_base_head), for packet-tap's per-namespace and per-device lists
 * (netfilter-hook walks the same lists in core/nfhook.c, under these
 * caps). Both lists are walked by list_walk(): capped, cycle detection,
 * kernel pointers only.
 */
#ifndef VMIAAS_LIB_NETWALK_H
#define VMIAAS_LIB_NETWALK_H

#include "engine.h"

#define NET_NETNS_MAX		4096	/* network namespaces walked */
#define NET_DEVS_MAX		65536	/* devices of one namespace */

struct net_walker {
	const char *check;		/* in error messages */
	/* each namespace (struct net *, its inode number); optional */
	void (*net)(struct vmiaas *v, u64 net, u32 inum, void *arg);
	/* each device of it (struct net_device *, its name); optional */
	void (*dev)(struct vmiaas *v, u64 net, u32 inum, u64 dev,
		    const char *name, void *arg);
	/* a list that does not end: @object "namespaces" or "devices" */
	void (*bad)(void *arg, const char *object, u64 head, u32 inum,
		    const char *why);
	void *arg;
};

/*
 * Calls @w's callbacks for every namespace and device. A corrupt
 * namespace or device list (a cycle, a non-kernel pointer, over the
 * cap) goes to @w->bad and the walk goes on; read errors of the
 * namespace list itself are returned, as are missing symbols or BTF
 * (-ENOENT).
 */
int net_walk(struct vmiaas *v, const struct net_walker *w);

#endif /* VMIAAS_LIB_NETWALK_H */
