// SPDX-License-Identifier: GPL-2.0
/*
 * rawsock [IFNAME]: what tcpdump and dhclient do to the kernel's packet
 * lists, the benign case of packet-tap. Opens an AF_PACKET raw socket
 * for ETH_P_ALL (af_packet registers a packet_type on ptype_all, its
 * handler packet_rcv) and a second one for ETH_P_IP bound to IFNAME
 * (default lo: on that device's ptype_specific) with a TPACKET_V2 receive
 * ring (its handler tpacket_rcv); prints "open" and keeps both until
 * killed. Built static on the host (the test guest has only busybox).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>

static int ring_socket(const char *ifname)
{
	struct tpacket_req req = {
		.tp_block_size = 4096, .tp_block_nr = 4,
		.tp_frame_size = 2048, .tp_frame_nr = 8,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)if_nametoindex(ifname),
	};
	int version = TPACKET_V2;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));

	if (fd < 0 || !sll.sll_ifindex ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version,
		       sizeof(version)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) ||
	    mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		    MAP_FAILED ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	int all = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (all < 0 || ring_socket(argc > 1 ? argv[1] : "lo") < 0) {
		perror("rawsock");
		return 1;
	}
	printf("open\n");
	fflush(stdout);
	for (;;)
		pause();
}
