// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The integrity checks: the guest now against a trusted baseline.
 *
 * Each check appends findings (and informational events) to one list. A
 * guest that cannot be read where a check needs it makes the whole run
 * fail: an unreadable table is not evidence of a clean one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_census.h"
#include "checks.h"
#include "dirty.h"
#include "hidden.h"
#include "patching.h"
#include "vfsops.h"

#define CHECK_MAX_FINDINGS	4096	/* per run; then one summary */

static const struct vmiaas_check_desc check_descs[] = {
	{ "syscall-table", "x64/ia32/x32 system call table entries: unchanged since the baseline, each at the start of its ABI's syscall function" },
	{ "idt", "IDTR base and limit per vCPU; every gate's handler, selector, type, DPL and IST unchanged since the baseline" },
	{ "cpu-state", "CR0.WP, CR4.SMEP, CR4.SMAP, CR4.UMIP still set on every vCPU where they were at baseline; syscall MSRs where readable" },
	{ "kernel-text", "_stext.._etext hashed per 4 KiB page (keyed GMAC, host key); differences localized to symbol+offset with old and new bytes" },
	{ "kernel-rodata", "__start_rodata..__end_rodata (incl. ro_after_init: __jump_table, LSM hooks) hashed per page; every change is a finding at symbol+offset" },
	{ "module-text", "each module's text hashed per page; changes the classifier cannot explain at [module]+offset; modules loaded or unloaded since: events" },
	{ "module-rodata", "each module's read-only and ro_after_init data hashed per page; every change is a finding at [module]+offset" },
	{ "ftrace-hook", "function hooks through the kernel's own patching: ftrace_ops with a callback outside kernel text or IPMODIFY (a registered live patch: an event), kprobes with handlers outside kernel text or a rewritten optprobe detour" },
	{ "hidden-module", "the module list against /sys/module (module_kset), the module address tree (mod_tree) and struct modules carved from the module area's vmap areas: a module in one and not the other; module-area memory no module, BPF, ftrace or kprobe record owns" },
	{ "bpf-programs", "the BPF programs in prog_idr with their links (link_idr) and bpf_kallsyms: programs calling bpf_probe_write_user, bpf_override_return or bpf_send_signal, LSM and fmod_ret programs; JIT code of a program prog_idr lacks (hidden); JIT images outside the module range, writable, with a foreign entry, or changed since the baseline" },
	{ "hidden-process", "the task list against the init pid namespace's IDR, the process tree (children lists), the css_set lists, the run queues and the kernel stacks: a task reachable from one and not the other" },
	{ "credentials", "user tasks with init_cred; euid 0 under a non-root parent without a setuid-root executable; one cred shared by two thread groups; a bounding set beyond the parent's; init_nsproxy or init's root inside a container" },
	{ "usermode-helper", "modprobe_path, core_pattern, uevent_helper, poweroff_cmd, each cgroup v1 hierarchy's release_agent and binfmt_misc's handlers (programs the kernel runs as root) unchanged since the baseline; modules_disabled, kexec_load_disabled not turned back to 0" },
	{ "exec-memory", "the kernel half of the page tables: executable mappings outside kernel text, module text and the kernel's own JIT/trampoline pages, or in the module range outside every vmap area; any writable+executable kernel mapping (W^X)" },
	{ "kernel-mapping", "the kernel image's page tables: every page of its text, rodata, data and bss maps the image's own frame (phys_base-relative: no shadow copy) with the image's permissions (text read-only, the rest not executable); each vCPU's CR3, each process's top-level table (pgd_list) and each task's mm->pgd with init_top_pgt's kernel half" },
	{ "notifier-hook", "notifier chains: a module's callback on keyboard_notifier_list or vt_notifier_list (a keylogger); on those and module, panic, reboot, die, netdev and inetaddr chains, a callback outside kernel and module text, a block out of priority order (linked in by hand), or a chain that does not end" },
	{ "netfilter-hook", "netfilter hooks of every network namespace (ipv4, ipv6, arp, bridge) and device (ingress, egress): a hook in a module tainted P, F, O or E (not in-tree and signed), or outside kernel and module text; in-tree modules' hooks: events" },
	{ "packet-tap", "packet handlers the kernel calls before netfilter (dev_add_pack()): every packet_type on ptype_all, ptype_base and each device's (and namespace's) lists: func, list_func, id_match in a module tainted P, F, O or E, or outside kernel and module text; in-tree modules' handlers: events" },
	{ "input-handler", "input handlers (input_register_handler(): what a keylogger can use instead of a keyboard notifier): every handler's callbacks and every device's handles in a module tainted P, F, O or E, or outside kernel and module text, a handle whose handler is not registered; in-tree modules' handlers: events" },
	{ "proc-ops", "/proc entries (the /proc tree and every namespace's /proc/net): proc_ops, proc_iops and seq_ops pointers of the kernel's entries and each /proc root inode's i_fop and i_op unchanged since the baseline; an ops pointer outside the kernel image and module memory" },
	{ "vfs-ops", "every mounted filesystem's operations (super_blocks: s_op, s_d_op, s_export_op, s_xattr; each mount root's and cached directory's d_op, i_op, i_fop; every process's open files' f_op): a table outside the kernel's text and rodata and the owning module (a device's: any module), i.e. a copy in a module's writable memory or the heap, or another module's" },
	{ "tracepoint-hook", "probes on every tracepoint of the kernel and of each module (tracepoint_probe_register(): a sys_enter probe rewrites system calls without a table change): a probe in a module tainted P, F, O or E, or outside kernel and module text; in-tree modules' probes on another's tracepoint: events; a probe array that does not end" },
	{ "net-protocol", "transport protocol handlers (inet_protos[], inet6_protos[]: what IP hands each packet for this host, after netfilter): a protocol the kernel registers at boot (icmp, tcp, udp, igmp...; ipv6 likewise) not on the kernel's own struct; a handler or err_handler, or a function of a struct proto on proto_list (tcp_prot.recvmsg...), in a module tainted P, F, O or E, or outside kernel and module text; in-tree modules' protocols (gre, sctp, l2tp...): events; the socket layer's sock_diag_handlers[] (what ss asks), inet_rcv_compat and net_families[] (each socket()'s create) by the same rules, a boot-registered family or a diag module's handler not on its own struct critical; the socket types of inetsw[]/inetsw6[] (each socket()'s struct proto and proto_ops: a boot-registered entry not the kernel's own with its own prot and ops, another's prot off proto_list or ops outside read-only data: critical; proto_ops functions by the same rules) and the GRO/GSO offloads (inet_offloads[], inet6_offloads[], offload_base: a boot-registered offload not on its own struct critical, callbacks by the same rules)" },
	{ "tty-ldisc", "line disciplines and tty drivers (what every byte typed on a tty or an ssh session's pty goes through: a tty keylogger's or session injector's hook): each registered tty_ldisc_ops' functions (receive_buf, receive_buf2...) in a module tainted P, F, O or E, or outside kernel and module text, and the kernel's own (n_tty_ops) changed since the baseline (another kernel function too); each tty driver's ops outside the kernel's rodata and its module's read-only data, their functions by the same rules; an open tty (drivers' ttys[], devpts ptys) whose ldisc table is not the registered one, whose ops are not its driver's, whose driver is not on tty_drivers or whose port's client_ops are a copy; in-tree modules' disciplines: events" },
	{ "hw-breakpoint", "hardware breakpoints (the debug registers: an execute breakpoint on a kernel function whose handler rewrites the instruction pointer hooks it with no text changed): each CPU's bp_per_reg[] events, their overflow_handler in a module tainted P, F, O or E (on an execute breakpoint critical) or outside kernel and module text; each vCPU's DR0-DR3 enabled in DR7 on a kernel address that CPU's bp_per_reg[] does not hold (a breakpoint the kernel did not register); in-tree modules' and the kernel's own handlers on kernel addresses: events; debug registers not readable: not checked" },
	{ "netdev-hook", "every network device of every namespace: its rx_handler (called for each received packet before packet taps and netfilter) in a module tainted P, F, O or E, or outside kernel and module text; its netdev_ops, ethtool_ops and header_ops outside the kernel's rodata and every module's read-only data (a copy: ndo_start_xmit hooks), their functions by the same rules; traffic control: each qdisc's enqueue/dequeue and each ingress/egress filter's classify by the same rules, a Qdisc_ops or tcf_proto_ops neither registered nor in the kernel image (a copy) critical; XDP, cls_bpf and tcx programs and in-tree modules' handlers (bridge, macvlan, sch_sfq): events" },
};

const struct vmiaas_check_desc *vmiaas_checks(size_t *ret_nr)
{
	*ret_nr = ARRAY_SIZE(check_descs);
	return check_descs;
}

const char *vmiaas_severity_name(uint32_t severity)
{
	static const char *const names[] = {
		"info", "low", "medium", "high", "critical",
	};

	return severity < ARRAY_SIZE(names) ? names[severity] : "unknown";
}

struct findings {
	struct vmiaas_finding *f;
	size_t nr, cap;
	size_t dropped;
};

static struct vmiaas_finding *finding_add(struct findings *fs,
					  const char *check, u32 severity,
					  u32 flags, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A new zeroed entry (object from @fmt), or NULL: over the cap or -ENOMEM. */
static struct vmiaas_finding *finding_add(struct findings *fs,
					  const char *check, u32 severity,
					  u32 flags, const char *fmt, ...)
{
	struct vmiaas_finding *f;
	va_list ap;

	if (fs->nr >= CHECK_MAX_FINDINGS) {
		fs->dropped++;
		return NULL;
	}
	f = array_grow(fs->f, &fs->cap, fs->nr, sizeof(*f), 32);
	if (!f) {
		fs->dropped++;
		return NULL;
	}
	fs->f = f;
	f = &fs->f[fs->nr++];
	memset(f, 0, sizeof(*f));
	snprintf(f->check, sizeof(f->check), "%s", check);
	f->severity = severity;
	f->flags = flags;
	va_start(ap, fmt);
	vsnprintf(f->object, sizeof(f->object), fmt, ap);
	va_end(ap);
	return f;
}

/*
 * "name+0xoff" in the kernel, "[module]+0xoff" in a module's memory
 * (what a hook installed by a module points at), else the address.
 */
static void symbolize(struct vmiaas *v, u64 addr, char *buf, size_t size)
{
	struct vmiaas_module *m = NULL;
	size_t nr = 0, i;

	if (!vmiaas_symbolize(v, addr, buf, size))
		return;
	snprintf(buf, size, "0x%016llx", (unsigned long long)addr);
	if (vmiaas_modules(v, &m, &nr))
		return;
	for (i = 0; i < nr; i++)
		if (addr >= m[i].base && addr - m[i].base < m[i].size) {
			char name[sizeof(m[i].name) + 1];

			memcpy(name, m[i].name, sizeof(m[i].name));
			name[sizeof(m[i].name)] = '\0';
			snprintf(buf, size, "[%s]+0x%llx", name,
				 (unsigned long long)(addr - m[i].base));
			break;
		}
	free(m);
}

/* ---- syscall-table ---- */

static const char *const abi_names[] = { "x64", "ia32", "x32" };

/* Function names an ABI's table may point at (prefixes). */
static const char *const abi_prefixes[][3] = {
	[VMIAAS_ABI_X64] = { "__x64_sys_", NULL },
	[VMIAAS_ABI_IA32] = { "__ia32_sys_", "__ia32_compat_sys_", NULL },
	[VMIAAS_ABI_X32] = { "__x64_sys_", "__x32_compat_sys_", NULL },
};

#define SYM_ALIASES_MAX		64

/*
 * Whether some symbol at exactly @addr has one of @abi's prefixes (several
 * names share an address: __x64_sys_getpid and __do_sys_getpid). On
 * success, *name is that symbol, or the first one at @addr if none is.
 */
static bool syscall_name_ok(struct vmiaas *v, u32 abi, u64 addr, char *name,
			    size_t size)
{
	char sym[VMI_KSYM_NAME_LEN], type;
	u64 a;
	u32 idx, i, k;

	name[0] = '\0';
	if (abi >= ARRAY_SIZE(abi_prefixes) ||
	    vmi_ksym_lookup_addr(&v->ksym, addr, &idx))
		return false;
	for (i = 0; i < SYM_ALIASES_MAX; i++, idx++) {
		if (vmi_ksym_addr(&v->ksym, idx, &a) || a != addr ||
		    vmi_ksym_name(&v->ksym, idx, sym, sizeof(sym), &type))
			break;
		if (!i)
			snprintf(name, size, "%s", sym);
		for (k = 0; abi_prefixes[abi][k]; k++)
			if (!strncmp(sym, abi_prefixes[abi][k],
				     strlen(abi_prefixes[abi][k]))) {
				snprintf(name, size, "%s", sym);
				return true;
			}
	}
	return false;
}

/* "getdents64" from the baseline symbol, for the object. */
static const char *syscall_short(const char *sym)
{
	const char *p = strstr(sym, "_sys_");

	return p ? p + 5 : sym;
}

/*
 * syscall_name_ok()'s answers for one handle, by position in the tables
 * (a check reads the same tables in the same order each time). They depend
 * only on the address and the handle's kallsyms copy, which never changes
 * after attach, so a long-lived handle (vmid) decodes each entry's names
 * once instead of at every check. An entry whose address changed is looked
 * up again.
 */
#define SC_MEMO_SLOTS		3072	/* 3 tables of MAX_SYSCALLS */

struct syscall_memo {
	struct {
		u64 addr;
		u32 abi_plus1;	/* 0: an empty slot */
		u32 ok;
	} slot[SC_MEMO_SLOTS];
};

static bool syscall_name_memo(struct vmiaas *v, size_t pos, u32 abi,
			      u64 addr)
{
	char name[VMI_KSYM_NAME_LEN];
	bool ok;

	if (!v->sc_memo)
		v->sc_memo = calloc(1, sizeof(*v->sc_memo));
	if (!v->sc_memo || pos >= SC_MEMO_SLOTS)
		return syscall_name_ok(v, abi, addr, name, sizeof(name));
	if (v->sc_memo->slot[pos].abi_plus1 == abi + 1 &&
	    v->sc_memo->slot[pos].addr == addr)
		return v->sc_memo->slot[pos].ok;
	ok = syscall_name_ok(v, abi, addr, name, sizeof(name));
	v->sc_memo->slot[pos].addr = addr;
	v->sc_memo->slot[pos].abi_plus1 = abi + 1;
	v->sc_memo->slot[pos].ok = ok;
	return ok;
}

/*
 * The entry for @abi/@nr in @tab, which the same reader filled in the same
 * order: position @hint first, then a search (a table grew or shrank).
 */
static const struct vmiaas_syscall *
syscall_find(const struct vmiaas_syscall *tab, size_t nr, size_t hint,
	     u32 abi, u32 sc_nr)
{
	size_t j;

	if (hint < nr && tab[hint].abi == abi && tab[hint].nr == sc_nr)
		return &tab[hint];
	for (j = 0; j < nr; j++)
		if (tab[j].abi == abi && tab[j].nr == sc_nr)
			return &tab[j];
	return NULL;
}

static void syscall_changed(struct vmiaas *v, struct findings *fs,
			    const struct vmiaas_syscall *s,
			    const struct vmiaas_syscall *old, bool name_ok)
{
	const char *abi = s->abi < 3 ? abi_names[s->abi] : "?";
	struct vmiaas_finding *f;
	char sym[sizeof(f->new_symbol)];

	symbolize(v, s->address, sym, sizeof(sym));
	f = finding_add(fs, "syscall-table", VMIAAS_SEV_CRITICAL,
			VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_VALUES |
			VMIAAS_FINDING_SYMBOLS, "%s %u %s", abi, s->nr,
			syscall_short(old ? old->symbol : sym));
	if (!f)
		return;
	f->address = s->address;
	f->old_value = old ? old->address : 0;
	f->new_value = s->address;
	if (old)
		snprintf(f->old_symbol, sizeof(f->old_symbol), "%s",
			 old->symbol);
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", sym);
	if (!old)
		snprintf(f->message, sizeof(f->message),
			 "%s syscall %u is not in the baseline", abi, s->nr);
	else if (old->address != s->address)
		snprintf(f->message, sizeof(f->message),
			 "%s syscall %u now points to %s (was %s)%s", abi,
			 s->nr, f->new_symbol, old->symbol,
			 name_ok ? "" : ", not a syscall function");
	else
		snprintf(f->message, sizeof(f->message),
			 "%s syscall %u points to %s, not a %s syscall function",
			 abi, s->nr, f->new_symbol, abi);
}

static int check_syscalls(struct vmiaas *v, const struct vmiaas_baseline *b,
			  struct findings *fs)
{
	struct vmiaas_syscall *now = NULL;
	struct vmiaas_finding *f;
	size_t nr = 0, i, j;
	int err;

	err = engine_syscalls(v, false, &now, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		const struct vmiaas_syscall *s = &now[i];
		const struct vmiaas_syscall *old;
		bool name_ok;

		old = syscall_find(b->syscalls, b->nr_syscalls, i, s->abi,
				   s->nr);
		name_ok = syscall_name_memo(v, i, s->abi, s->address);
		if (!old || old->address != s->address || !name_ok)
			syscall_changed(v, fs, s, old, name_ok);
	}
	/* Entries gone (a table shrunk or vanished). */
	for (j = 0; j < b->nr_syscalls; j++) {
		const struct vmiaas_syscall *old = &b->syscalls[j];

		if (syscall_find(now, nr, j, old->abi, old->nr))
			continue;
		f = finding_add(fs, "syscall-table", VMIAAS_SEV_HIGH,
				VMIAAS_FINDING_VALUES | VMIAAS_FINDING_SYMBOLS,
				"%s %u %s", old->abi < 3 ? abi_names[old->abi] : "?",
				old->nr, syscall_short(old->symbol));
		if (!f)
			continue;
		f->old_value = old->address;
		snprintf(f->old_symbol, sizeof(f->old_symbol), "%s", old->symbol);
		snprintf(f->message, sizeof(f->message),
			 "the entry is gone from the syscall table");
	}
	free(now);
	return 0;
}

/* ---- idt ---- */

static int check_idt(struct vmiaas *v, const struct vmiaas_baseline *b,
		     struct findings *fs)
{
	struct vmiaas_idt_gate *now;
	struct vmiaas_finding *f;
	u64 base;
	size_t nr, k;
	u32 i, limit;
	int err;

	for (i = 0; i < b->nr_idts; i++) {
		const struct bl_idt *t = &b->idts[i];

		if (b->nr_vcpus && t->vcpu >= v->backend->nr_vcpus)
			continue;	/* bind_check() compared the counts */
		err = engine_idt(v, t->vcpu, false, &base, &now, &nr);
		if (err)
			return err;
		limit = b->nr_vcpus ? v->backend->vcpus[t->vcpu].idtr_limit :
				      0xfff;
		if (base != t->base || limit != t->limit) {
			f = finding_add(fs, "idt", VMIAAS_SEV_CRITICAL,
					VMIAAS_FINDING_VALUES,
					"vcpu%u IDTR", t->vcpu);
			if (f) {
				f->old_value = t->base;
				f->new_value = base;
				snprintf(f->message, sizeof(f->message),
					 "IDTR changed: base 0x%llx limit 0x%x, was base 0x%llx limit 0x%x",
					 (unsigned long long)base, limit,
					 (unsigned long long)t->base, t->limit);
			}
		}
		for (k = 0; k < nr || k < t->nr; k++) {
			const struct vmiaas_idt_gate *o = k < t->nr ? &t->gates[k] : NULL;
			const struct vmiaas_idt_gate *g = k < nr ? &now[k] : NULL;

			if (o && g && o->address == g->address &&
			    o->selector == g->selector && o->type == g->type &&
			    o->dpl == g->dpl && o->ist == g->ist &&
			    o->present == g->present)
				continue;
			f = finding_add(fs, "idt", VMIAAS_SEV_CRITICAL,
					VMIAAS_FINDING_ADDRESS |
					VMIAAS_FINDING_VALUES |
					VMIAAS_FINDING_SYMBOLS,
					"vcpu%u vector %zu (%s)", t->vcpu, k,
					o && o->symbol[0] ? o->symbol : "-");
			if (!f)
				continue;
			f->address = base + k * 16;
			f->old_value = o ? o->address : 0;
			f->new_value = g ? g->address : 0;
			if (o)
				snprintf(f->old_symbol, sizeof(f->old_symbol),
					 "%s", o->symbol);
			if (g && g->present)
				symbolize(v, g->address, f->new_symbol,
					  sizeof(f->new_symbol));
			if (!o || !g)
				snprintf(f->message, sizeof(f->message),
					 "gate %s since the baseline (IDT limit)",
					 g ? "added" : "removed");
			else
				snprintf(f->message, sizeof(f->message),
					 "gate now handler %s sel 0x%x type 0x%x dpl %u ist %u p %u; was %s sel 0x%x type 0x%x dpl %u ist %u p %u",
					 f->new_symbol[0] ? f->new_symbol : "-",
					 g->selector, g->type, g->dpl, g->ist,
					 g->present,
					 o->symbol[0] ? o->symbol : "-",
					 o->selector, o->type, o->dpl, o->ist,
					 o->present);
		}
		free(now);
	}
	return 0;
}

/* ---- cpu-state ---- */

static const struct {
	const char *name;
	bool cr4;
	u64 bit;
} cpu_bits[] = {
	{ "CR0.WP", false, 1ULL << 16 },
	{ "CR4.UMIP", true, 1ULL << 11 },
	{ "CR4.SMEP", true, 1ULL << 20 },
	{ "CR4.SMAP", true, 1ULL << 21 },
};

static int check_cpu(struct vmiaas *v, const struct vmiaas_baseline *b,
		     struct findings *fs)
{
	struct vmiaas_vcpu *vc = NULL;
	struct vmiaas_finding *f;
	size_t nr = 0, i, k;
	int err;

	err = vmiaas_vcpus(v, &vc, &nr);
	if (err == -ENODATA || !b->nr_vcpus) {
		f = finding_add(fs, "cpu-state", VMIAAS_SEV_INFO,
				VMIAAS_FINDING_EVENT, "all vCPUs");
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "not checked: vCPU registers %s",
				 b->nr_vcpus ? "are not available from this target" :
					       "were not available at baseline");
		free(vc);
		return 0;
	}
	if (err)
		return err;
	for (i = 0; i < nr && i < b->nr_vcpus; i++) {
		const struct bl_cpu *o = &b->cpus[i];

		for (k = 0; k < ARRAY_SIZE(cpu_bits); k++) {
			u64 was = cpu_bits[k].cr4 ? o->cr4 : o->cr0;
			u64 is = cpu_bits[k].cr4 ? vc[i].cr4 : vc[i].cr0;

			if (!(was & cpu_bits[k].bit) || (is & cpu_bits[k].bit))
				continue;
			f = finding_add(fs, "cpu-state", VMIAAS_SEV_CRITICAL,
					VMIAAS_FINDING_VALUES, "vcpu%zu %s", i,
					cpu_bits[k].name);
			if (!f)
				continue;
			f->old_value = was;
			f->new_value = is;
			snprintf(f->message, sizeof(f->message),
				 "%s was set at baseline and is now clear (%s 0x%llx, was 0x%llx)",
				 cpu_bits[k].name, cpu_bits[k].cr4 ? "CR4" : "CR0",
				 (unsigned long long)is, (unsigned long long)was);
		}
		if (!(vc[i].flags & VMIAAS_VCPU_MSRS) ||
		    !(o->flags & VMIAAS_VCPU_MSRS)) {
			f = finding_add(fs, "cpu-state", VMIAAS_SEV_INFO,
					VMIAAS_FINDING_EVENT,
					"vcpu%zu LSTAR CSTAR SYSENTER_EIP", i);
			if (f)
				snprintf(f->message, sizeof(f->message),
					 "not checked: this backend cannot read MSRs (QMP does not expose them)");
			continue;
		}
		if (vc[i].lstar != o->lstar || vc[i].cstar != o->cstar ||
		    vc[i].sysenter_eip != o->sysenter_eip) {
			f = finding_add(fs, "cpu-state", VMIAAS_SEV_CRITICAL,
					VMIAAS_FINDING_VALUES, "vcpu%zu syscall MSRs", i);
			if (f) {
				f->old_value = o->lstar;
				f->new_value = vc[i].lstar;
				snprintf(f->message, sizeof(f->message),
					 "LSTAR/CSTAR/SYSENTER_EIP changed: 0x%llx/0x%llx/0x%llx, were 0x%llx/0x%llx/0x%llx",
					 (unsigned long long)vc[i].lstar,
					 (unsigned long long)vc[i].cstar,
					 (unsigned long long)vc[i].sysenter_eip,
					 (unsigned long long)o->lstar,
					 (unsigned long long)o->cstar,
					 (unsigned long long)o->sysenter_eip);
			}
		}
	}
	free(vc);
	return 0;
}

/* ---- kernel-text ---- */

/*
 * What the classifier knows: the kernel's records of its own runtime
 * patching (patching.c), read once, when a page first differs.
 */
struct text_ctx {
	struct patching *patching;
	const struct vmiaas_baseline *b;	/* what the check compares with */
};

/*
 * Whether the differing bytes of [@va, @va + @len) (@old at baseline, may
 * be NULL: then every byte must be explained; @now in the guest) are the
 * kernel's own runtime patching: jump labels, static calls, ftrace sites,
 * BPF trampolines, kprobes. This is the one place where a run is
 * explained; anything else is a finding.
 */
static bool text_classify(struct vmiaas *v, struct text_ctx *t, u64 va,
			  u64 len, const u8 *old, const u8 *now)
{
	if (!t->patching) {
		if (patching_new(v, &t->patching))
			return false;
		patching_use_baseline(t->patching, t->b);
	}
	return patching_explain(t->patching, va, len, old, now);
}

/* Kprobe sites that an optimized probe waiting for the optimizer holds. */
static const char *kp_waiting_note(const struct patching *p, char *note,
				   size_t size)
{
	size_t n = patching_kprobes_waiting(p);

	note[0] = '\0';
	if (n)
		snprintf(note, size, "; %zu of a probe waiting for the kprobe optimizer (int3)", n);
	return note;
}

/* One event per kind of runtime patching seen, and why records were missing. */
static void text_events(struct vmiaas *v, struct findings *fs,
			const struct text_ctx *t)
{
	struct vmiaas_finding *f;
	const char *why;
	char note[96], sym[160];
	size_t n;
	u64 first;
	int k;

	if (!t->patching)
		return;
	for (k = 0; k < PATCH_KINDS; k++) {
		n = patching_count(t->patching, k);
		if (!n)
			continue;
		f = finding_add(fs, "kernel-text", VMIAAS_SEV_INFO,
				VMIAAS_FINDING_EVENT, "%s",
				patching_kind_name(k));
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "%zu site%s changed since the baseline, each as the kernel's own records allow (runtime patching: benign)%s",
				 n, n == 1 ? "" : "s",
				 k == PATCH_KPROBE ?
				 kp_waiting_note(t->patching, note, sizeof(note)) : "");
	}
	n = patching_reverted(t->patching, &first);
	f = n ? finding_add(fs, "kernel-text", VMIAAS_SEV_INFO,
			    VMIAAS_FINDING_EVENT, "patching undone") : NULL;
	if (f) {
		symbolize(v, first, sym, sizeof(sym));
		snprintf(f->message, sizeof(f->message),
			 "%zu changed byte%s held the baseline's again when read anew, the first at %s: the kernel undid its own patching (a kprobe removed, a tracer off) while the check ran",
			 n, n == 1 ? "" : "s", sym);
	}
	why = patching_why(t->patching);
	f = why ? finding_add(fs, "kernel-text", VMIAAS_SEV_INFO,
			      VMIAAS_FINDING_EVENT, "patching records") : NULL;
	if (f)
		snprintf(f->message, sizeof(f->message),
			 "unreadable or not the kernel's, their sites are not explained: %s",
			 why);
}

static void text_finding(struct vmiaas *v, const struct vmiaas_baseline *b,
			 struct text_ctx *t, struct findings *fs, u64 va,
			 u64 len, const u8 *old, const u8 *now)
{
	struct vmiaas_finding *f;
	char sym[160];

	if (text_classify(v, t, va, len, old, now))
		return;
	symbolize(v, va, sym, sizeof(sym));
	f = finding_add(fs, "kernel-text", VMIAAS_SEV_HIGH,
			VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_BYTES, "%s",
			sym);
	if (!f)
		return;
	f->address = va;
	f->nr_bytes_total = len;
	f->nr_bytes = min(len, (u64)VMIAAS_FINDING_BYTES_MAX);
	memcpy(f->old_bytes, old, f->nr_bytes);
	memcpy(f->new_bytes, now, f->nr_bytes);
	snprintf(f->message, sizeof(f->message),
		 "%llu byte%s of kernel text changed at %s (0x%llx)%s%s",
		 (unsigned long long)len, len == 1 ? "" : "s", sym,
		 (unsigned long long)va, check_text_rejected(t) ? ": " : "",
		 check_text_rejected(t) ?: "");
}

struct text_run_ctx {
	struct vmiaas *v;
	const struct vmiaas_baseline *b;
	struct text_ctx *t;
	struct findings *fs;
};

/* bl_region_diff() callback: one run of differing kernel-text bytes. */
static int text_run(void *ctx, u64 va, u64 len, const u8 *old, const u8 *now)
{
	struct text_run_ctx *c = ctx;

	text_finding(c->v, c->b, c->t, c->fs, va, len, old, now);
	return 0;
}

static int check_text(struct vmiaas *v, const struct vmiaas_baseline *b,
		      struct findings *fs)
{
	const struct bl_region text = {
		.start = b->text_start, .end = b->text_end,
		.digests = b->text_digests, .bytes = b->text,
		.mapped = b->map != NULL,
	};
	struct text_ctx t = { .b = b };
	struct text_run_ctx c = { .v = v, .b = b, .t = &t, .fs = fs };
	const struct bl_diff_ops ops = { .run = text_run, .ctx = &c };
	struct vmiaas_finding *f;
	u64 start, end, nr_pages;
	int err;

	err = bl_text_range(v, &start, &end);
	if (err)
		return err;
	if (start != b->text_start || end != b->text_end)
		return engine_fail(v, -ESTALE,
				   "kernel text is 0x%llx..0x%llx, the baseline's 0x%llx..0x%llx",
				   (unsigned long long)start, (unsigned long long)end,
				   (unsigned long long)b->text_start,
				   (unsigned long long)b->text_end);
	err = bl_region_diff(v, b, &text, "kernel text", &ops, &nr_pages);
	if (!err && nr_pages > BL_REGION_MAX_PAGES) {
		f = finding_add(fs, "kernel-text", VMIAAS_SEV_HIGH, 0,
				"_stext.._etext");
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "%llu pages differ; only the first %u were examined",
				 (unsigned long long)nr_pages, BL_REGION_MAX_PAGES);
	}
	if (!err)
		text_events(v, fs, &t);
	patching_free(t.patching);
	return err;
}

/* ---- ftrace-hook ---- */

/*
 * The function a hook sits at: its ftrace site (and a kprobe there) is at
 * the function's start or just after its 4-byte ENDBR; name the function.
 */
static void hook_func_name(struct vmiaas *v, u64 addr, char *buf, size_t size)
{
	char *plus;

	symbolize(v, addr, buf, size);
	plus = strstr(buf, "+0x");
	if (plus && buf[0] != '[' && strtoull(plus + 3, NULL, 16) <= 4)
		*plus = '\0';
}

/* "f1, f2, f3 (+N more)" or "every function", from a hook's functions. */
static void hook_funcs(struct vmiaas *v, const struct patching_hook *h,
		       char *buf, size_t size)
{
	char sym[128];
	size_t used = 0;
	u32 i;

	buf[0] = '\0';
	if (!h->nr_funcs) {
		snprintf(buf, size, "every function");
		return;
	}
	for (i = 0; i < min(h->nr_funcs, (u32)PATCH_HOOK_FUNCS); i++) {
		hook_func_name(v, h->funcs[i], sym, sizeof(sym));
		used += snprintf(buf + used, size - min(used, size), "%s%s",
				 i ? ", " : "", sym);
		if (used >= size)
			return;
	}
	if (h->nr_funcs > PATCH_HOOK_FUNCS)
		snprintf(buf + used, size - used, " (+%u more)",
			 h->nr_funcs - PATCH_HOOK_FUNCS);
}

static void hook_report(struct vmiaas *v, struct findings *fs,
			const struct patching_hook *h)
{
	char funcs[160], cb[128], repl[128];
	struct vmiaas_finding *f;

	hook_funcs(v, h, funcs, sizeof(funcs));
	symbolize(v, h->func, cb, sizeof(cb));
	if (h->livepatch) {
		symbolize(v, h->repl[0], repl, sizeof(repl));
		f = finding_add(fs, "ftrace-hook", VMIAAS_SEV_INFO,
				VMIAAS_FINDING_EVENT | VMIAAS_FINDING_ADDRESS,
				"livepatch %s", h->patch);
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "live patch %s (registered on klp_patches) replaces %s; new code at %s",
				 h->patch, funcs, repl);
	} else {
		f = finding_add(fs, "ftrace-hook", VMIAAS_SEV_CRITICAL,
				VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_SYMBOLS,
				"%s", funcs);
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "%s hooked through ftrace: ftrace_ops 0x%llx calls %s%s",
				 funcs, (unsigned long long)h->ops, cb,
				 h->ipmodify ? " and may modify the IP (FTRACE_OPS_FL_IPMODIFY)" : "");
	}
	if (!f)
		return;
	f->address = h->ops;
	f->new_value = h->func;
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", cb);
}

static void kprobe_hook_report(struct vmiaas *v, struct findings *fs,
			       const struct patching_kprobe_hook *k)
{
	char func[128], where[128], handler[128];
	struct vmiaas_finding *f;

	hook_func_name(v, k->addr, func, sizeof(func));
	symbolize(v, k->addr, where, sizeof(where));
	symbolize(v, k->handler, handler, sizeof(handler));
	f = finding_add(fs, "ftrace-hook", VMIAAS_SEV_CRITICAL,
			VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_SYMBOLS, "%s",
			func);
	if (!f)
		return;
	f->address = k->kprobe;
	f->new_value = k->handler;
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", handler);
	if (k->slot) {
		/* the copy of the probed instruction or its emulation */
		snprintf(f->message, sizeof(f->message),
			 "%s hooked through a kprobe: struct kprobe 0x%llx, its instruction slot 0x%llx %s (at 0x%llx%s%s)",
			 where, (unsigned long long)k->kprobe,
			 (unsigned long long)k->slot, k->which,
			 (unsigned long long)k->bad_at,
			 k->handler ? "; now to " : "",
			 k->handler ? handler : "");
		return;
	}
	if (!k->detour) {
		snprintf(f->message, sizeof(f->message),
			 "%s hooked through a kprobe: struct kprobe 0x%llx, %s %s",
			 where, (unsigned long long)k->kprobe, k->which, handler);
		return;
	}
	/* an optimized probe whose detour buffer was rewritten */
	snprintf(f->message, sizeof(f->message),
		 "%s hooked through an optimized kprobe: struct kprobe 0x%llx, its detour buffer 0x%llx %s (from 0x%llx%s%s)",
		 where, (unsigned long long)k->kprobe,
		 (unsigned long long)k->detour, k->which,
		 (unsigned long long)k->bad_at, k->handler ? "; now to " : "",
		 k->handler ? handler : "");
}

/*
 * Hooks are read while the guest runs: a kprobe being optimized or
 * unoptimized (the kernel's optimizer works from a delayed work item) has
 * a detour buffer that does not match its records yet, an ftrace_ops of a
 * live patch is registered before the patch is on klp_patches. A hook is
 * therefore reported only if a second read, HOOK_RESCAN_US later, sees it
 * again: the same probe or ops, the same fault (the same detour buffer),
 * the same callback. What a kernel update leaves settles; a hook stays.
 */
#define HOOK_RESCAN_US		50000

static bool kprobe_hook_same(const struct patching_kprobe_hook *a,
			     const struct patching_kprobe_hook *b)
{
	return a->kprobe == b->kprobe && a->addr == b->addr &&
	       a->detour == b->detour && a->slot == b->slot &&
	       (a->detour || a->slot || a->handler == b->handler);
}

/* Drops from @k what @set does not have; returns how many are left. */
static size_t kprobe_hooks_keep(const struct patching_kprobe_hook *set,
				size_t nr_set, struct patching_kprobe_hook *k,
				size_t nr)
{
	size_t i, j, kept = 0;

	for (i = 0; i < nr; i++)
		for (j = 0; j < nr_set; j++)
			if (kprobe_hook_same(&set[j], &k[i])) {
				k[kept++] = k[i];
				break;
			}
	return kept;
}

/* @err of reading @what, its message prefixed with @what */
static int hooks_fail(struct vmiaas *v, int err, const char *what)
{
	char why[sizeof(v->diag.msg)];

	if (!err)
		return 0;
	snprintf(why, sizeof(why), "%s", v->diag.msg);
	return engine_fail(v, err, "%s: %.400s", what, why);
}

static int kprobe_hooks_read(struct vmiaas *v, struct patching_kprobe_hook **k,
			     size_t *nr)
{
	return hooks_fail(v, patching_kprobe_hooks(v, k, nr), "kprobes");
}

static int check_kprobe_hooks(struct vmiaas *v, struct findings *fs)
{
	static const unsigned int waits[] = { HOOK_RESCAN_US };
	struct patching_kprobe_hook *seen = NULL, *k;
	size_t nr_seen = 0, nr, i;
	int err;

	err = kprobe_hooks_read(v, &seen, &nr_seen);
	for (i = 0; !err && nr_seen && i < ARRAY_SIZE(waits); i++) {
		engine_pause(v, waits[i]);
		err = kprobe_hooks_read(v, &k, &nr);
		if (err)
			break;
		nr = kprobe_hooks_keep(seen, nr_seen, k, nr);
		free(seen);
		seen = k;
		nr_seen = nr;
	}
	for (i = 0; !err && i < nr_seen; i++)
		kprobe_hook_report(v, fs, &seen[i]);
	free(seen);
	return err;
}

static bool ftrace_hook_seen(const struct patching_hook *set, size_t nr,
			     const struct patching_hook *h)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (set[i].ops == h->ops && set[i].func == h->func &&
		    set[i].livepatch == h->livepatch)
			return true;
	return false;
}

static int ftrace_hooks_read(struct vmiaas *v, struct patching_hook **h,
			     size_t *nr)
{
	return hooks_fail(v, patching_ftrace_hooks(v, h, nr), "ftrace_ops");
}

/* Live patches (events) are reported from one read: they report no hook. */
static int check_ftrace_hooks(struct vmiaas *v, struct findings *fs)
{
	struct patching_hook *first = NULL, *h = NULL;
	size_t nr_first = 0, nr = 0, i;
	bool hooks = false;
	int err;

	err = check_kprobe_hooks(v, fs);
	err = err ?: ftrace_hooks_read(v, &first, &nr_first);
	if (err)
		return err;
	for (i = 0; i < nr_first; i++)
		hooks |= !first[i].livepatch;
	if (hooks) {
		engine_pause(v, HOOK_RESCAN_US);
		err = ftrace_hooks_read(v, &h, &nr);
	} else {
		h = first;
		nr = nr_first;
		first = NULL;
	}
	for (i = 0; !err && i < nr; i++)
		if (h[i].livepatch || !first ||
		    ftrace_hook_seen(first, nr_first, &h[i]))
			hook_report(v, fs, &h[i]);
	free(first);
	free(h);
	return err;
}

/* @err of step @name, after telling v->check_mark (bench_check) it ended */
static int check_step(struct vmiaas *v, const char *name, int err)
{
	if (v->check_mark)
		v->check_mark(v->check_mark_ctx, name);
	return err;
}

/* ---- hidden-module, hidden-process, credentials (hidden.c) ---- */

static struct vmiaas_finding *hidden_add(void *ctx, const char *check,
					 u32 severity, const char *object)
{
	return finding_add(ctx, check, severity, 0, "%s", object);
}

static int check_hidden(struct vmiaas *v, const struct vmiaas_baseline *b,
			struct findings *fs)
{
	const struct hidden_sink sink = { .add = hidden_add, .ctx = fs };
	int err;

	err = check_step(v, "hidden-module", hidden_check_modules(v, &sink));
	err = err ?: check_step(v, "bpf-programs",
				bpf_check_programs(v, &b->bpf, &sink));
	return err ?: check_step(v, "hidden+creds",
				 hidden_check_tasks(v, &sink));
}

/*
 * kernel-mapping, notifier-hook and exec-memory need no baseline: they
 * judge the kernel by how it is once up (mark_readonly() done: text
 * read-only, data not executable; init text freed). A kernel that is
 * still booting (kstate.c: system_state, confirmed by pid 1) is not that
 * yet: each is an event "not checked yet" (netfilter-hook, packet-tap,
 * input-handler and tracepoint-hook run: hooks registered at boot are
 * judged as later). A system_state that says
 * booting while init runs a program was written: a finding, and the
 * checks run.
 */
static const char *const boot_checks[] = {
	"kernel-mapping", "notifier-hook", "exec-memory",
};

static int check_image(struct vmiaas *v, const struct vmiaas_baseline *b,
		       struct findings *fs)
{
	const struct hidden_sink sink = { .add = hidden_add, .ctx = fs };
	struct vmiaas_finding *f;
	char why[320];
	size_t i;
	int err;

	switch (vmiaas_kernel_state(v, why, sizeof(why))) {
	case VMIAAS_KSTATE_BOOTING:
		for (i = 0; i < ARRAY_SIZE(boot_checks); i++) {
			f = finding_add(fs, boot_checks[i], VMIAAS_SEV_INFO,
					VMIAAS_FINDING_EVENT,
					"not checked yet (guest booting)");
			if (f)
				snprintf(f->message, sizeof(f->message),
					 "the kernel is still booting (%s): checked once it runs",
					 why);
		}
		return check_step(v, "hook-lists",
				  check_hook_lists(v, b, &sink));
	case VMIAAS_KSTATE_FORGED:
		f = finding_add(fs, "kernel-mapping", VMIAAS_SEV_CRITICAL, 0,
				"system_state");
		if (f)
			snprintf(f->message, sizeof(f->message), "%s", why);
		break;
	default:
		break;
	}
	check_step(v, "kernel-state", 0);
	err = check_step(v, "kernel-mapping", check_kmap(v, &sink));
	err = err ?: check_step(v, "notifier-hook", check_notifiers(v, &sink));
	err = err ?: check_step(v, "hook-lists", check_hook_lists(v, b, &sink));
	err = err ?: check_step(v, "vfs-ops", check_vfs_ops(v, &sink));
	return err ?: check_step(v, "exec-memory", check_exec(v, &sink));
}

/* kernel-rodata and module-text (check_rodata.c, check_modtext.c). */
static int check_baselined(struct vmiaas *v, const struct vmiaas_baseline *b,
			   struct findings *fs)
{
	const struct hidden_sink sink = { .add = hidden_add, .ctx = fs };

	return check_step(v, "kernel-rodata", check_rodata(v, b, &sink)) ?:
	       check_step(v, "module-text", check_modtext(v, b, &sink)) ?:
	       check_step(v, "usermode-helper", check_helpers(v, b, &sink) ?:
			  check_umh_paths(v, b, &sink)) ?:
	       check_step(v, "proc-ops", check_proc_ops(v, b, &sink));
}

/* ---- for the checks in other files ---- */

void check_symbolize(struct vmiaas *v, u64 addr, char *buf, size_t size)
{
	symbolize(v, addr, buf, size);
}

/*
 * The baseline's bytes tell which bytes differ: @old from the caller
 * (module text), else the kernel text's; without them every byte of the
 * run must lie in a site the kernel's records explain.
 */
bool check_text_explained(struct vmiaas *v, const struct vmiaas_baseline *b,
			  struct text_ctx **ctx, u64 va, u64 len,
			  const u8 *old)
{
	u8 now[VMI_MEASURE_PAGE];

	if (!*ctx) {
		*ctx = calloc(1, sizeof(**ctx));
		if (*ctx)
			(*ctx)->b = b;
	}
	if (!*ctx || !len || len > sizeof(now) || engine_read(v, va, now, len))
		return false;
	if (!old && va >= b->text_start && va < b->text_end &&
	    len <= b->text_end - va)
		old = b->text + (va - b->text_start);
	return text_classify(v, *ctx, va, len, old, now);
}

const char *check_text_rejected(const struct text_ctx *ctx)
{
	return ctx ? patching_rejected(ctx->patching) : NULL;
}

void check_text_ctx_free(struct text_ctx *ctx)
{
	if (ctx)
		patching_free(ctx->patching);
	free(ctx);
}

int vmiaas_check_run(struct vmiaas *v, const struct vmiaas_baseline *b,
		     struct vmiaas_finding **ret, size_t *ret_nr)
{
	struct findings fs = {};
	struct vmiaas_finding *f;
	int err;

	/*
	 * The guest ran since the handle's last read: its page tables may map
	 * other frames now (module memory is vmalloc'd, freed and reused), and
	 * a cached translation would read the old frame, hiding a change. A
	 * long-lived handle (vmid) checks through fresh translations.
	 */
	vmi_as_flush(v->kas);
	if (v->dirty)	/* on failure this check hashes every page */
		dirty_check_begin(v->dirty);
	engine_tasks_keep(v);	/* the census's tasks, the vCPU registers */
	check_step(v, "flush", 0);
	err = check_step(v, "syscall-table", check_syscalls(v, b, &fs));
	err = err ?: check_step(v, "idt", check_idt(v, b, &fs));
	err = err ?: check_step(v, "cpu-state", check_cpu(v, b, &fs));
	err = err ?: check_step(v, "kernel-text", check_text(v, b, &fs));
	err = err ?: check_baselined(v, b, &fs);
	err = err ?: check_step(v, "ftrace-hook", check_ftrace_hooks(v, &fs));
	err = err ?: check_hidden(v, b, &fs);
	err = err ?: check_image(v, b, &fs);
	engine_tasks_drop(v);
	if (!err && fs.dropped) {
		fs.nr = min(fs.nr, (size_t)CHECK_MAX_FINDINGS - 1);
		fs.dropped = 0;
		f = finding_add(&fs, "kernel-text", VMIAAS_SEV_HIGH, 0,
				"findings");
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "more than %u findings; the rest were dropped",
				 CHECK_MAX_FINDINGS);
	}
	if (err) {
		free(fs.f);
		return err;
	}
	*ret = fs.f;
	*ret_nr = fs.nr;
	return 0;
}
