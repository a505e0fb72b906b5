/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmiaas_agent: the in-guest side of vmiaas (see docs/guest-agent.md).
 * hw.c executes the instructions (VMFUNC, VMCALL, CPUID) safely,
 * request.c speaks the mailbox protocol and the hypercall, main.c holds
 * the triggers and the module's life.
 */
#ifndef VMIAAS_AGENT_H
#define VMIAAS_AGENT_H

#include <linux/types.h>
#include <uapi/linux/vmiaas.h>

/* How requests reach the host. */
enum agent_mode {
	AGENT_MODE_NONE,	/* neither: the agent stays idle */
	AGENT_MODE_HYPERCALL,	/* VMCALL, one VM exit per request */
	AGENT_MODE_VMFUNC,	/* mailbox in view 1, no VM exit */
	AGENT_MODE_RAM,		/* mailbox in this module, host polls it */
};

/* What the guest found at load. */
struct agent_hw {
	bool hypervisor;	/* CPUID.1:ECX.hypervisor */
	char signature[13];	/* CPUID 0x40000000 vendor, or "" */
	bool kvm;		/* the signature is KVM's */
	bool vmfunc;		/* VMFUNC(0,0) completes (VM functions on) */
	bool view1;		/* VMFUNC(0,1) completes: vmiaas armed view 1 */
	long probe;		/* VMIAAS_HC_PROBE's answer, or -ENODEV */
};

/* One answer from the host, whatever the channel. */
struct agent_result {
	u64 seq;		/* mailbox sequence number (0: hypercall) */
	s32 status;		/* 0 or negative errno (resp_status) */
	u32 verdict;		/* VMIAAS_VERDICT_* */
	u32 nr_failed;
	u32 nr_checks;		/* 0 when the hypercall answered */
	u64 failed_mask;	/* 0 when the hypercall answered */
	u64 wait_ns;		/* from the request to the answer */
	u64 polls;		/* view-1 polls until the answer */
};

/* hw.c */
int agent_vmfunc(u32 view);
int agent_vmcall(unsigned long op, unsigned long a1, unsigned long a2,
		 long *ret_value);
void agent_hw_detect(struct agent_hw *hw);

/* request.c */
int agent_mailbox_map(void);
void agent_mailbox_unmap(void);
int agent_request_vmfunc(u32 reason, u64 cookie, unsigned int wait_ms,
			 struct agent_result *res);
int agent_request_hypercall(u32 reason, u64 cookie,
			    struct agent_result *res);
void agent_ram_init(void);
int agent_request_ram(u32 reason, u64 cookie, unsigned int wait_ms,
		      struct agent_result *res);

#endif /* VMIAAS_AGENT_H */
