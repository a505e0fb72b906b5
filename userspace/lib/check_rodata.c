// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Measured ranges at check time, and the kernel-rodata check.
 *
 * bl_region_diff() re-hashes a range measured at baseline with the same
 * keyed page MAC (core/measure.c does the hashing), and hands every run
 * of differing bytes in the pages whose MAC differs to a callback, with
 * the baseline's bytes and the bytes now. kernel-rodata reports each run
 * in __start_rodata..__end_rodata (on x86-64 this includes the
 * read-only-after-init data: __jump_table, static call sites, the LSM
 * hook heads) as a finding: nothing in there changes after boot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "checks.h"
#include "dirty.h"
#include "hidden.h"

#define REGION_MERGE_GAP	8	/* equal bytes that still join runs */

/* Runs of differing bytes in one page chunk, nearby runs merged. */
static int page_runs(u64 va, const u8 *old, const u8 *now, u64 len,
		     const struct bl_diff_ops *ops)
{
	u64 i = 0, start, end;
	int err;

	while (i < len) {
		if (old[i] == now[i]) {
			i++;
			continue;
		}
		start = i;
		end = i + 1;
		for (i = end; i < len && i - end < REGION_MERGE_GAP; i++)
			if (old[i] != now[i])
				end = i + 1;
		err = ops->run(ops->ctx, va + start, end - start, old + start,
			       now + start);
		if (err)
			return err;
		i = end;
	}
	return 0;
}

/*
 * The baseline's bytes of a differing page, from the baseline file's
 * mapping (a loaded baseline): still those its page MAC covers? The file
 * is replaced, never rewritten in place, so this fails only if someone
 * wrote into it: -EBADMSG rather than findings against other bytes.
 */
static int old_page_ok(struct vmiaas *v, const struct vmi_hash_ops *h,
		       const struct bl_region *r, u64 va, u64 len, u64 idx,
		       const char *what)
{
	u8 d[BL_DIGEST];
	int err;

	if (!r->mapped)
		return 0;
	err = h->digest(h->ctx, va, r->bytes + (va - r->start), len, d);
	if (err)
		return err;
	if (CRYPTO_memcmp(d, r->digests + idx * h->digest_size,
			  h->digest_size))
		return engine_fail(v, -EBADMSG,
				   "the baseline file's bytes of %s at 0x%llx no longer match its MAC: the file was modified while in use",
				   what, (unsigned long long)va);
	return 0;
}

int bl_region_diff(struct vmiaas *v, const struct vmiaas_baseline *b,
		   const struct bl_region *r, const char *what,
		   const struct bl_diff_ops *ops, u64 *ret_nr_pages)
{
	u64 nr_pages = vmi_measure_nr_pages(r->start, r->end), *idx, k;
	u8 page[VMI_MEASURE_PAGE], *digests;
	struct vmi_read_ops rd;
	struct vmi_hash_ops h;
	struct bl_hasher *hs = NULL;
	s64 n;
	int err;

	digests = malloc(nr_pages * b->digest_size);
	idx = malloc(BL_REGION_MAX_PAGES * sizeof(*idx));
	err = digests && idx ? bl_hasher_new(b->mac, b->page_key, &hs, &h) :
			       -ENOMEM;
	if (err)
		goto out;
	bl_read_ops(v, &rd);
	if (v->dirty)
		err = dirty_measure_range(v->dirty, r, &rd, &h, page, digests);
	else
		err = vmi_measure_range(&rd, &h, r->start, r->end, page,
					digests, nr_pages);
	if (err) {
		err = engine_fail(v, err, "%s 0x%llx..0x%llx is unreadable", what,
				  (unsigned long long)r->start,
				  (unsigned long long)r->end);
		goto out;
	}
	n = vmi_measure_diff(r->digests, digests, nr_pages, b->digest_size,
			     idx, BL_REGION_MAX_PAGES);
	err = n < 0 ? (int)n : 0;
	for (k = 0; !err && k < (u64)n && k < BL_REGION_MAX_PAGES; k++) {
		u64 pstart = (r->start & ~(u64)(VMI_MEASURE_PAGE - 1)) +
			     idx[k] * VMI_MEASURE_PAGE;
		u64 va = max(r->start, pstart);
		u64 pend = min(r->end, pstart + VMI_MEASURE_PAGE);

		err = old_page_ok(v, &h, r, va, pend - va, idx[k], what);
		if (err)
			break;
		err = engine_read(v, va, page, pend - va);
		if (err) {
			err = engine_fail(v, err, "%s at 0x%llx is unreadable",
					  what, (unsigned long long)va);
			break;
		}
		err = page_runs(va, r->bytes + (va - r->start), page, pend - va,
				ops);
	}
	if (!err && ret_nr_pages)
		*ret_nr_pages = (u64)n;
out:
	bl_hasher_free(hs);
	free(digests);
	free(idx);
	return err;
}

/* ---- read-only data: kernel-rodata, module-rodata ---- */

struct rodata_ctx {
	struct vmiaas *v;
	const struct hidden_sink *sink;
	const struct bl_region *region;
	const char *check, *what;
	const char *label;		/* NULL: name addresses by symbol */
	u64 ro_after_init_start, ro_after_init_end;
};

/*
 * A run inside one aligned 8-byte word is most likely a pointer (a hook
 * head, a table entry): show the word at baseline and now, and what each
 * points at.
 */
static void rodata_word(struct rodata_ctx *c, struct vmiaas_finding *f,
			u64 va, u64 len)
{
	const struct bl_region *r = c->region;
	u64 word = va & ~7ULL;
	u8 now[8];

	if (va - word + len > 8 || word < r->start || word + 8 > r->end ||
	    vmiaas_read_va(c->v, word, now, sizeof(now)))
		return;
	f->flags |= VMIAAS_FINDING_VALUES | VMIAAS_FINDING_SYMBOLS;
	f->old_value = vmi_get_u64(r->bytes + (word - r->start));
	f->new_value = vmi_get_u64(now);
	check_symbolize(c->v, f->old_value, f->old_symbol, sizeof(f->old_symbol));
	check_symbolize(c->v, f->new_value, f->new_symbol, sizeof(f->new_symbol));
}

static int rodata_run(void *arg, u64 va, u64 len, const u8 *old,
		      const u8 *now)
{
	struct rodata_ctx *c = arg;
	struct vmiaas_finding *f;
	char sym[160];
	bool rai = va >= c->ro_after_init_start && va < c->ro_after_init_end;

	if (c->label)
		snprintf(sym, sizeof(sym), "%s+0x%llx", c->label,
			 (unsigned long long)(va - c->region->start));
	else
		check_symbolize(c->v, va, sym, sizeof(sym));
	f = c->sink->add(c->sink->ctx, c->check, VMIAAS_SEV_CRITICAL, sym);
	if (!f)
		return 0;
	f->flags = VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_BYTES;
	f->address = va;
	f->nr_bytes_total = len;
	f->nr_bytes = min(len, (u64)VMIAAS_FINDING_BYTES_MAX);
	memcpy(f->old_bytes, old, f->nr_bytes);
	memcpy(f->new_bytes, now, f->nr_bytes);
	rodata_word(c, f, va, len);
	if (f->flags & VMIAAS_FINDING_VALUES)
		snprintf(f->message, sizeof(f->message),
			 "%s%s (0x%llx) changed: now 0x%llx (%s), was 0x%llx (%s)",
			 rai ? "read-only-after-init " : "read-only ", sym,
			 (unsigned long long)va,
			 (unsigned long long)f->new_value, f->new_symbol,
			 (unsigned long long)f->old_value, f->old_symbol);
	else
		snprintf(f->message, sizeof(f->message),
			 "%llu byte%s of %s%s changed at %s (0x%llx)",
			 (unsigned long long)len, len == 1 ? "" : "s",
			 rai ? "read-only-after-init " : "read-only ", c->what,
			 sym, (unsigned long long)va);
	return 0;
}

int bl_data_diff(struct vmiaas *v, const struct vmiaas_baseline *b,
		 const struct bl_region *r, const char *check, const char *what,
		 const char *label, u64 rai_start, u64 rai_end,
		 const struct hidden_sink *sink)
{
	struct rodata_ctx c = {
		.v = v, .sink = sink, .region = r, .check = check, .what = what,
		.label = label,
		.ro_after_init_start = rai_start, .ro_after_init_end = rai_end,
	};
	const struct bl_diff_ops ops = { .run = rodata_run, .ctx = &c };
	struct vmiaas_finding *f;
	char obj[64];
	u64 n = 0;
	int err;

	err = bl_region_diff(v, b, r, what, &ops, &n);
	if (err || n <= BL_REGION_MAX_PAGES)
		return err;
	snprintf(obj, sizeof(obj), "0x%llx..0x%llx", (unsigned long long)r->start,
		 (unsigned long long)r->end);
	f = sink->add(sink->ctx, check, VMIAAS_SEV_CRITICAL, obj);
	if (f)
		snprintf(f->message, sizeof(f->message),
			 "%llu pages of %s differ; only the first %u were examined",
			 (unsigned long long)n, what, BL_REGION_MAX_PAGES);
	return 0;
}

int check_rodata(struct vmiaas *v, const struct vmiaas_baseline *b,
		 const struct hidden_sink *sink)
{
	u64 start, end, rai_start, rai_end;
	int err;

	err = bl_rodata_range(v, &start, &end);
	if (err)
		return err;
	if (start != b->rodata.start || end != b->rodata.end)
		return engine_fail(v, -ESTALE,
				   "kernel rodata is 0x%llx..0x%llx, the baseline's 0x%llx..0x%llx",
				   (unsigned long long)start, (unsigned long long)end,
				   (unsigned long long)b->rodata.start,
				   (unsigned long long)b->rodata.end);
	if (engine_sym(v, "__start_ro_after_init", &rai_start) ||
	    engine_sym(v, "__end_ro_after_init", &rai_end))
		rai_start = rai_end = 0;
	return bl_data_diff(v, b, &b->rodata, "kernel-rodata", "kernel data",
			    NULL, rai_start, rai_end, sink);
}
