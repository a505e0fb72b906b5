// SPDX-License-Identifier: GPL-2.0
/*
 * capdrop PROG [ARG...]: empties the capability bounding set, as a
 * container runtime does before it starts a container's init, and
 * executes PROG. Busybox's setpriv has no --bounding-set; the guest
 * (a busybox initramfs) has no capsh. Built statically for the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int cap;

	if (argc < 2) {
		fprintf(stderr, "usage: capdrop PROG [ARG...]\n");
		return 2;
	}
	/* The kernel answers EINVAL past its last capability. */
	for (cap = 0; prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0; cap++)
		;
	if (errno != EINVAL || cap == 0) {
		perror("capdrop: PR_CAPBSET_DROP");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror("capdrop: exec");
	return 127;
}
