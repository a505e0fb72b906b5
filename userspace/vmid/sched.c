// SPDX-License-Identifier: GPL-2.0
/*
 * vmid's scheduler: the node-wide CPU budget and the spreading of checks.
 *
 * A check's cost is the CPU time its worker spends between the request
 * and the end of the round, read by the parent from the worker's process
 * CPU clock (clock_getcpuclockid()): the kernel keeps it, so a worker
 * parsing a hostile guest cannot under-report it. Each VM keeps a moving
 * average of that cost. The checks' demand is what they would take at the
 * configured interval (sum of the costs / interval, as a share of one
 * core); over the budget, every VM's interval is stretched by demand /
 * budget, so the checks fit the budget again. Nothing queues: each VM has
 * one next check time, pushed later, never a backlog.
 *
 * Spreading: scheduled checks start at least gap = stretched interval /
 * number of attached VMs apart, the VM that has waited longest first, so
 * 100 VMs that became due together (vmid's start, a reload) are spread
 * over the interval instead of hashing all at once. Attaches (a full
 * baseline each) run at most attach_max at a time.
 *
 * The rest of vmid's CPU (the daemon, attaching, polling agent mailboxes)
 * is measured over windows of WINDOW s (the parent's rusage, its reaped
 * workers' and the live workers' CPU clocks) and comes off the budget
 * first, so that the budget bounds all of vmid, not only its checks.
 *
 * Priority checks (a guest agent's request, vmictl vmid-check) bypass the
 * spreading and the stretch, but a VM gets one at most every prio_min
 * seconds: a later request waits for that (it is not dropped or queued
 * twice: one flag per VM).
 */
#include <errno.h>
#include <math.h>		/* INFINITY, isfinite(): macros, no -lm */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vmid.h"

/* Weight of the latest check in a VM's moving average of the cost. */
#define COST_WEIGHT		0.3
/* Over budget from demand > budget; back within it below 90 % of it. */
#define BUDGET_HYSTERESIS	0.9
/* Scheduled starts fill this share of the slots, leaving room for delays. */
#define SLOT_FILL		0.9
/* s over which vmid's whole CPU use is measured. */
#define WINDOW			20.0
/* What the rest of vmid may leave the checks: 20 % of the budget at least. */
#define CHECKS_MIN_SHARE	0.2
/* The checks aim a little under their share: estimates lag and vary. */
#define CHECKS_FILL		0.95
/* Longest stretched interval (s): a VM is still checked once a day. */
#define INTERVAL_MAX		86400.0

static double dmin(double a, double b)
{
	return a < b ? a : b;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

void sched_init(struct vmid_sched *s, bool unpaced)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(s, 0, sizeof(*s));
	s->stretch = 1;
	s->unpaced = unpaced;
	/*
	 * Half the node's CPUs for baselines, so the guests keep the rest;
	 * two at least, so that a guest whose attach hangs until the timeout
	 * does not hold up every other VM's.
	 */
	s->attach_max = cpus > 4 ? (unsigned int)((cpus + 1) / 2) : 2;
	s->win_start = vmid_now();
	/*
	 * "Never", not 0: the monotonic clock starts near 0 at the node's
	 * boot, where systemd starts vmid, and a last slot at 0 would hold
	 * the first scheduled check back by a whole gap (0.9 interval).
	 */
	s->last_slot = -INFINITY;
}

void sched_vm_init(struct vm *vm)
{
	vm->sched.last_urgent = -INFINITY;	/* never, as last_slot */
}

void sched_config(struct vmid_sched *s, double budget_pct, double interval,
		  double prio_min)
{
	s->budget = budget_pct / 100;
	s->interval = interval;
	s->prio_min = prio_min;
}

double sched_interval(const struct vmid_sched *s)
{
	return s->interval * s->stretch;
}

/*
 * From start to start, so that a check's own duration does not add to
 * the interval: whatever changed in the guest after a check read it is
 * seen by the next check at most an interval (and that check's time)
 * later. A check longer than the interval is followed by the next one.
 */
double sched_next_check(const struct vmid_sched *s, const struct vm *vm)
{
	return dmax(vmid_now(), vm->sched.sent + sched_interval(s));
}

static bool attached(const struct vm *vm)
{
	return vm->state == VM_READY || vm->state == VM_CHECKING;
}

/* Sum of the attached VMs' check costs; unmeasured ones count the mean. */
static double total_cost(struct vm *const *vms, size_t n, size_t *nr_attached)
{
	double sum = 0;
	size_t i, nr = 0, nr_known = 0;

	for (i = 0; i < n; i++) {
		if (!attached(vms[i]))
			continue;
		nr++;
		if (vms[i]->sched.cost > 0) {
			sum += vms[i]->sched.cost;
			nr_known++;
		}
	}
	*nr_attached = nr;
	return nr_known ? sum * nr / nr_known : 0;
}

/* Said once when the budget is first exceeded, once when it is met again. */
static void say_budget(const struct vmid_sched *s)
{
	if (s->over)
		events_vm(NULL, VMID_LOG_WARNING, "cpu-budget",
			  "checks need %.2g%% of one core at an interval of %g s, the rest of vmid %.2g%%: over the budget of %g%%: intervals stretched to %.1f s",
			  s->demand * 100, s->interval, s->overhead * 100,
			  s->budget * 100, sched_interval(s));
	else
		events_vm(NULL, VMID_LOG_NOTICE, "cpu-budget",
			  "checks need %.2g%% of one core, within the budget of %g%%: interval %g s again",
			  s->demand * 100, s->budget * 100, s->interval);
}

/*
 * A shorter interval (the budget met again, a reload): checks planned with
 * the longer one come due at their last check + the new interval; the VMs
 * now due together are spread by sched_next().
 */
static void replan(const struct vmid_sched *s, struct vm *const *vms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct vm *vm = vms[i];
		double t = sched_next_check(s, vm);

		if (vm->state == VM_READY && vm->sched.sent > 0 && t < vm->next)
			vm->next = t;
	}
}

static int worker_cpu(const struct vm *vm, double *ret)
{
	struct timespec ts;

	if (!vm->sched.clock_ok || clock_gettime(vm->sched.clock, &ts) < 0)
		return -ESRCH;
	*ret = ts.tv_sec + ts.tv_nsec / 1e9;
	return 0;
}

static double tv(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

/* All of vmid's CPU so far (s): itself, its reaped and its live workers. */
static double vmid_cpu(struct vm *const *vms, size_t n)
{
	struct rusage self, kids;
	double t = 0, c;
	size_t i;

	if (getrusage(RUSAGE_SELF, &self) == 0)
		t += tv(self.ru_utime) + tv(self.ru_stime);
	if (getrusage(RUSAGE_CHILDREN, &kids) == 0)
		t += tv(kids.ru_utime) + tv(kids.ru_stime);
	for (i = 0; i < n; i++)
		if (vms[i]->worker > 0 && worker_cpu(vms[i], &c) == 0)
			t += c;
	return t;
}

/*
 * At the end of a window: vmid's CPU use, and the part that is not checks.
 * Only then are the workers' clocks read (a system call each, which at
 * every check's end was a fifth of the daemon's CPU with 100 VMs).
 */
static void window(struct vmid_sched *s, struct vm *const *vms, size_t n)
{
	double now = vmid_now(), cpu, dt = now - s->win_start;

	if (dt < WINDOW)
		return;
	cpu = vmid_cpu(vms, n);
	if (s->win_total > 0 && cpu >= s->win_total) {
		s->used = (cpu - s->win_total) / dt;
		s->overhead = s->used > s->win_cpu / dt ? s->used - s->win_cpu / dt : 0;
	}
	s->win_total = cpu;
	s->win_cpu = 0;
	s->win_start = now;
}

void sched_update(struct vmid_sched *s, struct vm *const *vms, size_t n)
{
	double before = sched_interval(s), avail;
	size_t nr;
	bool over = s->over;

	window(s, vms, n);
	s->demand = total_cost(vms, n, &nr) / s->interval;
	avail = dmax(s->budget - s->overhead, s->budget * CHECKS_MIN_SHARE) *
		CHECKS_FILL;
	if (s->budget <= 0 || s->unpaced)
		over = false;
	else if (s->demand > avail)
		over = true;
	else if (s->demand < avail * BUDGET_HYSTERESIS)
		over = false;
	s->stretch = 1;
	if (over && s->demand > avail)
		s->stretch = s->demand / avail;
	if (s->interval * s->stretch > INTERVAL_MAX)
		s->stretch = INTERVAL_MAX / s->interval;
	if (sched_interval(s) < before)
		replan(s, vms, n);
	if (over != s->over) {
		s->over = over;
		say_budget(s);
	}
}

void sched_worker_started(struct vm *vm)
{
	vm->sched.clock_ok = clock_getcpuclockid(vm->worker, &vm->sched.clock) == 0;
}

void sched_check_sent(struct vm *vm)
{
	vm->sched.last_start = vmid_realtime();
	vm->sched.sent = vmid_now();
	if (worker_cpu(vm, &vm->sched.cpu_at_send) < 0)
		vm->sched.cpu_at_send = -1;
}


double sched_check_done(struct vmid_sched *s, struct vm *vm, double now)
{
	struct vm_sched *v = &vm->sched;
	double cpu;

	if (v->cpu_at_send < 0 || worker_cpu(vm, &cpu) < 0 ||
	    cpu < v->cpu_at_send)
		return -1;
	cpu -= v->cpu_at_send;
	v->last_cost = cpu;
	v->cpu_sum += cpu;
	v->cost = v->cost > 0 ? v->cost + COST_WEIGHT * (cpu - v->cost) : cpu;
	s->cpu_total += cpu;
	s->nr_checks++;
	s->win_cpu += cpu;
	return cpu;
}

static bool urgent_due(const struct vmid_sched *s, const struct vm *vm,
		       double now)
{
	return vm->sched.urgent &&
	       (s->unpaced || now >= vm->sched.last_urgent + s->prio_min);
}

/* The ready VM with a due scheduled check that waited longest, or NULL. */
static struct vm *longest_waiting(struct vm *const *vms, size_t n, double now)
{
	struct vm *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		struct vm *vm = vms[i];

		if (vm->state == VM_READY && !vm->sched.urgent &&
		    vm->next <= now && (!best || vm->next < best->next))
			best = vm;
	}
	return best;
}

/* The earliest start of the next scheduled check: the gap after the last. */
static double next_slot(const struct vmid_sched *s, struct vm *const *vms,
			size_t n, double *ret_gap)
{
	size_t i, nr = 0;

	for (i = 0; i < n; i++)
		nr += attached(vms[i]);
	*ret_gap = nr ? sched_interval(s) * SLOT_FILL / nr : 0;
	return s->last_slot + *ret_gap;
}

struct vm *sched_next(struct vmid_sched *s, struct vm *const *vms, size_t n,
		      double now)
{
	struct vm *vm;
	size_t i;

	for (i = 0; i < n; i++) {
		vm = vms[i];
		if (vm->state == VM_READY && urgent_due(s, vm, now)) {
			vm->sched.urgent = false;
			vm->sched.last_urgent = now;
			return vm;
		}
	}
	if (!s->unpaced && now < next_slot(s, vms, n, &s->gap))
		return NULL;
	vm = longest_waiting(vms, n, now);
	if (vm)
		s->last_slot = now;
	return vm;
}

double sched_deadline(const struct vmid_sched *s, struct vm *const *vms,
		      size_t n)
{
	double gap, t = INFINITY, slot = next_slot(s, vms, n, &gap);
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vm *vm = vms[i];

		if (vm->state != VM_READY)
			continue;
		if (vm->sched.urgent)
			t = dmin(t, s->unpaced ? 0 : vm->sched.last_urgent + s->prio_min);
		else
			t = dmin(t, s->unpaced ? vm->next : dmax(vm->next, slot));
	}
	return t;
}

bool sched_may_attach(const struct vmid_sched *s, struct vm *const *vms,
		      size_t n)
{
	size_t i, nr = 0;

	for (i = 0; i < n; i++)
		nr += vms[i]->state == VM_STARTING;
	return s->unpaced || nr < s->attach_max;
}

struct json_object *sched_json(const struct vmid_sched *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cpu_budget_percent",
			       json_object_new_double(s->budget * 100));
	json_object_object_add(o, "demand_percent",
			       json_object_new_double(s->demand * 100));
	json_object_object_add(o, "used_percent",
			       json_object_new_double(s->used * 100));
	json_object_object_add(o, "overhead_percent",
			       json_object_new_double(s->overhead * 100));
	json_object_object_add(o, "over_budget", json_object_new_boolean(s->over));
	json_object_object_add(o, "stretch", json_object_new_double(s->stretch));
	json_object_object_add(o, "interval", json_object_new_double(s->interval));
	json_object_object_add(o, "effective_interval",
			       json_object_new_double(sched_interval(s)));
	json_object_object_add(o, "gap", json_object_new_double(s->gap));
	json_object_object_add(o, "check_cpu_seconds",
			       json_object_new_double(s->cpu_total));
	return o;
}

void sched_vm_json(struct json_object *v, const struct vm *vm, double now)
{
	json_object_object_add(v, "check_cpu_ms",
			       json_object_new_double(vm->sched.last_cost * 1e3));
	json_object_object_add(v, "check_cpu_avg_ms",
			       json_object_new_double(vm->sched.cost * 1e3));
	json_object_object_add(v, "last_check_start", vm->sched.last_start > 0 ?
			       json_object_new_double(vm->sched.last_start) : NULL);
	json_object_object_add(v, "next_check_in", vm->state == VM_READY &&
			       isfinite(vm->next) ?
			       json_object_new_double(vm->next - now) : NULL);
}
