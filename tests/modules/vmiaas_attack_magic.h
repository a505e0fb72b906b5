/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trigger of the attack corpus's magic-packet backdoors: an IPv4 ICMP
 * echo request of @len data bytes whose last MAGIC_TAIL bytes are all
 * @byte, what "ping -s LEN -p BYTE" sends. Every header is read through
 * skb_header_pointer(): the packet may be paged or short.
 */
#ifndef VMIAAS_ATTACK_MAGIC_H
#define VMIAAS_ATTACK_MAGIC_H

#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/types.h>

#define MAGIC_TAIL	8

static inline bool vmiaas_attack_magic(const struct sk_buff *skb,
				       unsigned int len, u8 byte)
{
	struct iphdr iph_buf, *iph;
	struct icmphdr icmp_buf, *icmp;
	u8 buf[MAGIC_TAIL];
	const u8 *tail;
	unsigned int off = skb_network_offset(skb);
	int i;

	if (len < MAGIC_TAIL)
		return false;
	iph = skb_header_pointer(skb, off, sizeof(iph_buf), &iph_buf);
	if (!iph || iph->protocol != IPPROTO_ICMP || iph->ihl < 5)
		return false;
	off += iph->ihl * 4;
	icmp = skb_header_pointer(skb, off, sizeof(icmp_buf), &icmp_buf);
	if (!icmp || icmp->type != ICMP_ECHO ||
	    ntohs(iph->tot_len) != iph->ihl * 4 + sizeof(*icmp) + len)
		return false;
	off += sizeof(*icmp) + len - MAGIC_TAIL;
	tail = skb_header_pointer(skb, off, MAGIC_TAIL, buf);
	for (i = 0; tail && i < MAGIC_TAIL; i++)
		if (tail[i] != byte)
			return false;
	return tail != NULL;
}

#endif /* VMIAAS_ATTACK_MAGIC_H */
