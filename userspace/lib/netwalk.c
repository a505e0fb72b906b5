// SPDX-License-Identifier: LGPL-2.1 OR MIT
#include <errno.h>
#include <stdio.h>

#include "hookpolicy.h"
#include "list.h"
#include "netwalk.h"

struct net_walk_ctx {
	const struct net_walker *w;
	u32 net_list, net_inum, dev_base, dev_list, dev_name;
	u64 net;
	u32 inum;
};

static int net_walk_dev(struct vmiaas *v, u64 node, void *arg)
{
	struct net_walk_ctx *c = arg;
	u64 dev = node - c->dev_list;
	char name[17] = "";

	if (engine_read(v, dev + c->dev_name, name, 16))
		snprintf(name, sizeof(name), "dev@%llx", (unsigned long long)dev);
	hook_printable(name);
	c->w->dev(v, c->net, c->inum, dev, name, c->w->arg);
	return 0;
}

static int net_walk_net(struct vmiaas *v, u64 node, void *arg)
{
	struct net_walk_ctx *c = arg;
	int err;

	c->net = node - c->net_list;
	c->inum = 0;
	engine_read(v, c->net + c->net_inum, &c->inum, sizeof(c->inum));
	if (c->w->net)
		c->w->net(v, c->net, c->inum, c->w->arg);
	if (!c->w->dev)
		return 0;
	err = list_walk(v, "a namespace's device list", c->net + c->dev_base,
			NET_DEVS_MAX, net_walk_dev, c);
	if (err == -ELOOP || err == -EBADMSG) {
		c->w->bad(c->w->arg, "devices", c->net + c->dev_base, c->inum,
			  "its device list is corrupt (a cycle, a non-kernel pointer or over 65536 devices)");
		return 0;
	}
	return err;
}

int net_walk(struct vmiaas *v, const struct net_walker *w)
{
	struct net_walk_ctx c = { .w = w };
	const struct btf_member_ref m[] = {
		{ "net", "list", &c.net_list },
		{ "net", "ns.inum", &c.net_inum },
		{ "net", "dev_base_head", &c.dev_base },
		{ "net_device", "dev_list", &c.dev_list },
		{ "net_device", "name", &c.dev_name },
	};
	u64 head;
	int err;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "%s: the kernel's BTF lacks struct net or net_device members",
				   w->check);
	if (engine_sym(v, "net_namespace_list", &head))
		return engine_fail(v, -ENOENT,
				   "%s: the kernel has no net_namespace_list",
				   w->check);
	err = list_walk(v, "net_namespace_list", head, NET_NETNS_MAX,
			net_walk_net, &c);
	if (err == -ELOOP || err == -EBADMSG) {
		w->bad(w->arg, "namespaces", head, 0,
		       "net_namespace_list is corrupt (a cycle, a non-kernel pointer or over 4096 namespaces)");
		return 0;
	}
	return err;
}
