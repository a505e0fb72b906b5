/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Skipping unchanged pages in a check, on the host kernel's soft-dirty
 * bits of the VMM's mapping of guest RAM (docs/integrity.md, "A check
 * after no change").
 *
 * A tracker belongs to a long-lived handle (vmid's worker, bench_check).
 * It write-protects the VMM's whole address space through
 * /proc/PID/clear_refs ("4": an epoch starts), after which every write to
 * guest RAM through the VMM's page tables, including the guest's own
 * through KVM, faults and sets the page's soft-dirty bit. A page of a
 * measured range is skipped (its baseline digest stands) only if it was
 * hashed in the current epoch, found equal to the baseline, still
 * translates to the same guest frame, and that frame's PTE in the VMM is
 * present and not soft-dirty. Everything else is hashed. The tracker
 * refuses to start (and says why) where writes could bypass those bits.
 */
#ifndef VMIAAS_DIRTY_H
#define VMIAAS_DIRTY_H

#include <stdbool.h>
#include <sys/types.h>

#include "checks.h"

#define DIRTY_WHY_MAX	256

struct dirty_tracker;

/*
 * Starts a tracker for @v's guest (a backend mapping guest RAM from a
 * file the VMM maps shared). 0, or -EOPNOTSUPP with the reason in @why
 * (the skip is off: checks hash everything), or another -errno.
 */
int dirty_open(struct vmiaas *v, struct dirty_tracker **ret,
	       char why[DIRTY_WHY_MAX]);
void dirty_close(struct dirty_tracker *t);

/*
 * Called once at the start of each check: starts a new epoch when one is
 * due (re-checking the host and re-reading the VMM's mappings of the RAM
 * file). 0 or -errno (the check then hashes everything).
 */
int dirty_check_begin(struct dirty_tracker *t);

/*
 * vmi_measure_range() for a range measured at baseline (@reg, with its
 * digests), skipping the pages the tracker proves unchanged.
 */
int dirty_measure_range(struct dirty_tracker *t, const struct bl_region *reg,
			const struct vmi_read_ops *r,
			const struct vmi_hash_ops *h, u8 *page, u8 *digests);

struct dirty_stats {
	u64 epochs;		/* clear_refs writes */
	u64 hashed, skipped;	/* pages, since open */
};
void dirty_get_stats(const struct dirty_tracker *t, struct dirty_stats *ret);

/*
 * Has the guest RAM page at @ptr (in this process's mapping of the RAM
 * file) stayed unwritten in the VMM since the epoch began? From the
 * VMM's pagemap, as of the last dirty_check_begin() or later.
 */
bool dirty_frame_clean(struct dirty_tracker *t, const u8 *ptr);

/* ---- the host side (dirty_host.c) ---- */

struct dirty_maps_line {
	u64 start, end, off, dev, ino;	/* dev: major << 32 | minor */
	char perms[8];
};
bool dirty_parse_maps_line(const char *s, struct dirty_maps_line *m);

/* A host handle for the RAM file @dev, @ino; @vmm its VMM, 0: any. */
int dirty_host_new(pid_t vmm, u64 dev, u64 ino,
		   struct vmiaas_dirty_host **ret);

/*
 * The decision on one pagemap entry (bit 63 present, 62 swapped, 55
 * soft-dirty): present and not soft-dirty. Not present counts as written:
 * a zapped or reclaimed PTE has lost its bit.
 */
bool dirty_pme_clean(u64 pme);

#endif /* VMIAAS_DIRTY_H */
