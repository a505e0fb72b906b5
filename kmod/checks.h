/* SPDX-License-Identifier: GPL-2.0 */
/* The checks registered for a VM (VMIAAS_IOC_SET_CHECKS) and their run. */
#ifndef _VMIAAS_KMOD_CHECKS_H
#define _VMIAAS_KMOD_CHECKS_H

#include <linux/types.h>
#include <uapi/linux/vmiaas.h>

struct kvm;
struct vmiaas_checkset;
struct vmiaas_set_checks;

/* What a run of the registered checks found. */
struct vmiaas_verdict {
	u32 verdict;		/* VMIAAS_VERDICT_* */
	u32 nr_checks;
	u32 nr_failed;
	u64 failed_mask;
	u32 nr_found;		/* what walks that failed named */
	struct vmiaas_found found[VMIAAS_EVENT_FOUND];
};

int vmiaas_checks_from_user(const struct vmiaas_set_checks *args,
			    struct vmiaas_checkset **ret_cs);
void vmiaas_checks_get(struct vmiaas_checkset *cs);
void vmiaas_checks_put(struct vmiaas_checkset *cs);
int vmiaas_checks_run(const struct vmiaas_checkset *cs, struct kvm *kvm,
		      bool la57, const bool *stop, struct vmiaas_verdict *ret);

#endif /* _VMIAAS_KMOD_CHECKS_H */
