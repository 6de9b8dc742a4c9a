/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_scale.c — scaling policies: the instances of a role started and
 * stopped by the core's load counters, with hysteresis.
 *
 * Every tick (MGR_TICK_MS) the manager reads the core's counters once and,
 * per policy, takes the mean of nf<I>_load (descriptors waiting on the rx
 * rings) over the policy's own running instances (not other NFs of the
 * role):
 *
 *   below min instances              start one (at most one per backoff)
 *   none, role<R>_no_instance rose   start one (min 0: scale from zero;
 *                                    a rise within the cooldown waits)
 *   mean > out_above for out_hold_ms start one, up to max
 *   mean < in_below for in_hold_ms   drain the newest, down to min
 *
 * never two scale-outs or scale-ins within cooldown_ms, and none while an
 * instance starts or drains (the min rule waits for the backoff only).
 * Draining ("instance drain ID" to the core) keeps the flows an instance
 * has and places new ones elsewhere; it is stopped when the core says it
 * has no flow left (nf<I>_flows, flows idle core.flow_idle_ms are
 * forgotten) or after drain_ms. Every decision is logged and kept for
 * `netvmctl scale list`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_corecmd.h"
#include "mgr_idle.h"
#include "mgr_ops.h"

#define POL_LOG 8 /* decisions kept per policy */
#define POL_LOG_LEN 384 /* bytes kept of each */
#define POL_FAIL_QUIET_MS 60000 /* a start failing the same way: logged this often */

struct mgr_pol {
	struct mgr *m;
	const struct mgr_scale_cfg *cfg;
	const struct mgr_inst_method *meth;
	struct mgr_unit units[MGR_CFG_MAX_UNITS];
	uint64_t above_since, below_since; /* 0: not now */
	uint64_t last_action_ms;
	uint64_t last_start_ms;
	uint32_t mean_load;    /* sum_load / running, for netvmctl (decisions use the sum) */
	uint64_t sum_load;     /* nf<I>_load over the running instances */
	int64_t no_inst_last; /* role<R>_no_instance at the last read, -1: none yet */
	uint64_t zero_lost;    /* dropped with no instance, a scale from zero held back */
	uint64_t zero_since;   /* when zero_lost began (0: it is 0) */
	unsigned int running;
	uint64_t outs, ins;
	unsigned int nb_log, log_next;
	char log[POL_LOG][POL_LOG_LEN];
	/* failed starts: all counted; the same failure logged once a minute */
	uint64_t start_failures;
	char fail_last[POL_LOG_LEN];
	uint64_t fail_logged_ms;
	unsigned int fail_quiet;  /* repeats of fail_last not logged since */
};

int
mgr_core_cmd(struct mgr *m, char **answer, char *err, size_t errlen, const char *fmt, ...)
{
	char req[512];
	va_list ap;
	int status = 0, r, n;

	va_start(ap, fmt);
	n = vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		snprintf(err, errlen, "core command too long");
		return -E2BIG;
	}
	*answer = NULL;
	r = mgr_core_ask(m->cfg.core_socket, MGR_CORE_SELF, req, (size_t)n, 5000, &status, answer,
			 err, errlen);
	if (r == 0 && status != 0) {
		snprintf(err, errlen, "core: %s: %s", req, *answer ? *answer : strerror(-status));
		err[strcspn(err, "\n")] = '\0';
		r = status < 0 ? status : -EINVAL;
	}
	return r;
}

/* Log a decision of @p whole (a refusal quotes the core's error) and keep
 * its start for netvmctl. */
static void __attribute__((format(printf, 2, 3)))
pol_log(struct mgr_pol *p, const char *fmt, ...)
{
	char *slot = p->log[p->log_next], msg[2 * MGR_ERR_LEN + 512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mgr_log("scale role %u: %s", p->cfg->role, msg);
	n = strnlen(msg, sizeof(p->log[0]) - 1);
	memcpy(slot, msg, n);
	slot[n] = '\0';
	p->log_next = (p->log_next + 1) % POL_LOG;
	if (p->nb_log < POL_LOG)
		p->nb_log++;
}

/* ---- method "vm": a configured VM, cold-booted by mgr_vm.c ---- */

static int
vm_start(struct mgr *m, struct mgr_unit *u, uint16_t role, const char *cmd, char *err,
	 size_t errlen)
{
	(void)role;
	(void)cmd;
	u->vm = mgr_find_vm(m, u->name);
	if (u->vm == NULL) {
		snprintf(err, errlen, "no VM %s", u->name);
		return -ENOENT;
	}
	u->vm->restarts = 0;
	u->nf_id = -1;
	return mgr_vm_start(u->vm, err, errlen);
}

static int
vm_poll(struct mgr_unit *u, struct json_object *stats, char *err, size_t errlen)
{
	(void)stats;
	switch (u->vm->state) {
	case MGR_VM_RUNNING:
		u->nf_id = (int)u->vm->att.nf_id;
		return 1;
	case MGR_VM_STARTING:
	case MGR_VM_BOOTING:
	case MGR_VM_BACKOFF: /* its restart policy brings it back */
		u->nf_id = -1;
		return 1;
	default:
		snprintf(err, errlen, "VM %s", u->vm->last_down[0] ? u->vm->last_down : "stopped");
		return 0;
	}
}

static void
vm_stop(struct mgr_unit *u)
{
	if (u->vm != NULL)
		mgr_vm_stop(u->vm);
	u->nf_id = -1;
}

static const struct mgr_inst_method method_vm = {
	.name = "vm", .start = vm_start, .poll = vm_poll, .stop = vm_stop,
};

const struct mgr_inst_method *
mgr_inst_method(int method)
{
	switch (method) {
	case MGR_METHOD_VM:
		return &method_vm;
	case MGR_METHOD_IDLE:
		return &mgr_method_idle;
	default:
		return &mgr_method_process;
	}
}

/* ---- the policy ---- */

/*
 * Set up a policy per m->cfg.scale; nothing starts before the first tick.
 * Returns 0 or -ENOMEM.
 */
int
mgr_scale_init(struct mgr *m, char *err, size_t errlen)
{
	unsigned int i, k;

	if (m->cfg.nb_scale == 0)
		return 0;
	m->pols = calloc(m->cfg.nb_scale, sizeof(*m->pols));
	if (m->pols == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < m->cfg.nb_scale; i++) {
		struct mgr_pol *p = &m->pols[i];

		p->m = m;
		p->cfg = &m->cfg.scale[i];
		p->meth = mgr_inst_method(p->cfg->method);
		p->no_inst_last = -1;
		for (k = 0; k < p->cfg->max; k++) {
			struct mgr_unit *u = &p->units[k];

			u->nf_id = -1;
			if (p->cfg->method == MGR_METHOD_VM)
				snprintf(u->name, sizeof(u->name), "%s", p->cfg->vms[k]);
			else
				snprintf(u->name, sizeof(u->name), "r%u-%u", p->cfg->role, k + 1);
		}
	}
	return 0;
}

static unsigned int
pol_count(const struct mgr_pol *p, enum mgr_unit_state s)
{
	unsigned int k, n = 0;

	for (k = 0; k < p->cfg->max; k++)
		n += p->units[k].state == s;
	return n;
}

static int64_t
stat_of(struct json_object *stats, int nf_id, const char *field)
{
	struct json_object *v;
	char key[48];

	snprintf(key, sizeof(key), "nf%d_%s", nf_id, field);
	if (stats == NULL || !json_object_object_get_ex(stats, key, &v))
		return -1;
	return json_object_get_int64(v);
}

/*
 * Packets of @p's role the core dropped for want of an instance
 * (role<R>_no_instance, absent while 0) since the last read: 0 at the
 * first read; after a lower count (the core started again) all of it.
 */
static uint64_t
no_inst_rise(struct mgr_pol *p, struct json_object *stats)
{
	struct json_object *v;
	int64_t now = 0, last = p->no_inst_last;
	char key[48];

	snprintf(key, sizeof(key), "role%u_no_instance", p->cfg->role);
	if (json_object_object_get_ex(stats, key, &v))
		now = json_object_get_int64(v);
	p->no_inst_last = now;
	if (last < 0)
		return 0;
	return (uint64_t)(now >= last ? now - last : now);
}

/* The quiet of a repeated start failure ends (another failure, or a
 * start): log how many times it failed since its last line, if any. */
static void
pol_fail_flush(struct mgr_pol *p)
{
	if (p->fail_quiet > 0)
		pol_log(p, "%s (the same %u more times since the last line)", p->fail_last,
			p->fail_quiet);
	p->fail_quiet = 0;
}

/* The mean load of @p's running instances as text: whole, or with two
 * decimals when it is not ("32.50": above out_above 32). */
static void
pol_mean_text(const struct mgr_pol *p, char *buf, size_t len)
{
	if (p->running == 0 || p->sum_load % p->running == 0)
		snprintf(buf, len, "%u", p->mean_load);
	else
		snprintf(buf, len, "%.2f", (double)p->sum_load / p->running);
}

/* Start the first stopped unit of @p; why in the log. */
static void
pol_start(struct mgr_pol *p, uint64_t now, const char *why)
{
	char err[MGR_ERR_LEN];
	unsigned int k;

	for (k = 0; k < p->cfg->max && p->units[k].state != MGR_UNIT_STOPPED; k++)
		;
	if (k == p->cfg->max)
		return;
	p->last_action_ms = p->last_start_ms = now;
	if (p->meth->start(p->m, &p->units[k], p->cfg->role, p->cfg->command, err,
			   sizeof(err)) < 0) {
		char msg[MGR_ERR_LEN + 128];

		p->start_failures++;
		snprintf(msg, sizeof(msg), "%s: starting %s failed: %s", why, p->units[k].name,
			 err);
		bool same = strncmp(msg, p->fail_last, sizeof(p->fail_last) - 1) == 0;

		if (same && now - p->fail_logged_ms < POL_FAIL_QUIET_MS) {
			p->fail_quiet++; /* tried again every back-off: not a line each time */
			return;
		}
		if (same && p->fail_quiet > 0) {
			pol_log(p, "%s (the same %u more times since the last line)", msg,
				p->fail_quiet);
		} else {
			pol_fail_flush(p);
			pol_log(p, "%s", msg);
		}
		snprintf(p->fail_last, sizeof(p->fail_last), "%.*s",
			 (int)sizeof(p->fail_last) - 1, msg);
		p->fail_logged_ms = now;
		p->fail_quiet = 0;
		return;
	}
	pol_fail_flush(p);
	p->fail_last[0] = '\0';
	p->units[k].state = MGR_UNIT_STARTING;
	p->units[k].started_ms = now;
	p->units[k].live_ms = 0;
	pol_log(p, "%s: starting %s (%s)", why, p->units[k].name, p->meth->name);
}

/* Drain the newest running unit of @p (stop it at once if the core cannot). */
static void
pol_drain(struct mgr_pol *p, uint64_t now, const char *why)
{
	struct mgr_unit *u = NULL;
	char err[MGR_ERR_LEN], *ans = NULL;
	unsigned int k;

	for (k = 0; k < p->cfg->max; k++)
		if (p->units[k].state == MGR_UNIT_RUNNING && p->units[k].nf_id >= 0 &&
		    (u == NULL || p->units[k].started_ms >= u->started_ms))
			u = &p->units[k];
	if (u == NULL)
		return;
	p->last_action_ms = now;
	u->drain_ms = now;
	u->handover_ms = 0;
	if (mgr_core_cmd(p->m, &ans, err, sizeof(err), "instance drain %d", u->nf_id) < 0) {
		pol_log(p, "%s: draining %s (nf %d) refused (%s): stopping it now", why, u->name,
			u->nf_id, err);
		p->meth->stop(u);
		u->state = MGR_UNIT_STOPPED;
	} else {
		u->state = MGR_UNIT_DRAINING;
		pol_log(p, "%s: draining %s (nf %d)", why, u->name, u->nf_id);
	}
	free(ans);
}

/*
 * Stop draining unit @u of @p once it is empty: no flow left on it, nothing
 * on its rx rings, every packet given back. A drain that outlasts drain_ms
 * hands its flows over ("instance handover": they move to the other
 * instances when it has no packet in flight, lossless and in order); one
 * that outlasts another drain_ms (the instance never empty, or no other
 * instance to take the flows) is stopped with what it holds.
 */
static void
pol_drained(struct mgr_pol *p, struct mgr_unit *u, struct json_object *stats, uint64_t now)
{
	int64_t flows = stat_of(stats, u->nf_id, "flows"), load = stat_of(stats, u->nf_id, "load");
	int64_t rx = stat_of(stats, u->nf_id, "rx"), tx = stat_of(stats, u->nf_id, "tx");
	char err[MGR_ERR_LEN], *ans = NULL;
	uint64_t waited = now - u->drain_ms;

	if (flows == 0 && load == 0 && tx >= rx) {
		pol_log(p, "%s drained (%s after %llu ms): stopped", u->name,
			u->handover_ms ? "its flows handed over" : "no flow left",
			(unsigned long long)waited);
	} else if (waited < p->cfg->drain_ms) {
		return;
	} else if (u->handover_ms == 0) {
		u->handover_ms = now;
		if (mgr_core_cmd(p->m, &ans, err, sizeof(err), "instance handover %d", u->nf_id) < 0)
			pol_log(p, "%s: handing over %lld flows after drain_ms refused (%s)", u->name,
				(long long)flows, err);
		else
			pol_log(p, "%s: %lld flows after drain_ms %u: handed over to the other "
				"instances", u->name, (long long)flows, p->cfg->drain_ms);
		free(ans);
		return;
	} else if (now - u->handover_ms < p->cfg->drain_ms) {
		return;
	} else {
		pol_log(p, "%s not empty %u ms after its handover (%lld flows, %lld waiting): "
			"stopped, what it holds is lost", u->name, p->cfg->drain_ms,
			(long long)flows, (long long)load);
	}
	p->meth->stop(u);
	u->state = MGR_UNIT_STOPPED;
}

/*
 * Method "vm": take a stopped unit whose VM is up as an instance again. Its
 * VM was adopted from a previous manager (left running by
 * manager.keep_vms_on_exit, or after that manager died), or started by hand
 * with `vm start`; the policy would otherwise not count it, and would try to
 * start it again (refused: it runs already).
 */
static void
pol_adopt(struct mgr_pol *p, uint64_t now)
{
	unsigned int k;

	if (p->cfg->method != MGR_METHOD_VM)
		return;
	for (k = 0; k < p->cfg->max; k++) {
		struct mgr_unit *u = &p->units[k];
		struct mgr_vm *vm;

		if (u->state != MGR_UNIT_STOPPED)
			continue;
		vm = mgr_find_vm(p->m, u->name);
		if (vm == NULL || !mgr_vm_up(vm))
			continue;
		u->vm = vm;
		u->nf_id = -1;
		u->state = MGR_UNIT_STARTING;
		u->started_ms = now;
		u->live_ms = 0;
		pol_log(p, "%s: its VM is %s (%s): taken as an instance", u->name,
			mgr_vm_state_name(vm->state),
			vm->adopted ? "adopted from the previous manager" : "started by hand");
	}
}

/* Follow each unit of @p: live, gone, drained. */
static void
pol_watch(struct mgr_pol *p, struct json_object *stats, uint64_t now)
{
	char err[MGR_ERR_LEN];
	unsigned int k;

	for (k = 0; k < p->cfg->max; k++) {
		struct mgr_unit *u = &p->units[k];

		if (u->state == MGR_UNIT_STOPPED)
			continue;
		if (p->meth->poll(u, stats, err, sizeof(err)) == 0) {
			pol_log(p, "%s %s: %s", u->name,
				u->state == MGR_UNIT_DRAINING ? "ended while draining" : "went down",
				err);
			p->meth->stop(u);
			u->state = MGR_UNIT_STOPPED;
			continue;
		}
		if (u->state == MGR_UNIT_STARTING && u->nf_id >= 0) {
			u->state = MGR_UNIT_RUNNING;
			u->live_ms = now;
			pol_log(p, "%s runs as nf %d, %llu ms after its start", u->name, u->nf_id,
				(unsigned long long)(now - u->started_ms));
		} else if (u->state == MGR_UNIT_STARTING &&
			   now - u->started_ms > (uint64_t)p->m->cfg.boot_s * 1000) {
			pol_log(p, "%s not live after %u s (manager.boot_timeout_s): stopped",
				u->name, p->m->cfg.boot_s);
			p->meth->stop(u);
			u->state = MGR_UNIT_STOPPED;
		} else if (u->state == MGR_UNIT_DRAINING) {
			pol_drained(p, u, stats, now);
		}
	}
}

static void
pol_tick(struct mgr_pol *p, struct json_object *stats, uint64_t now)
{
	const struct mgr_scale_cfg *c = p->cfg;
	unsigned int k, active, busy, away = 0;
	uint64_t sum = 0, lost;
	char why[224], mean[32];

	pol_adopt(p, now);
	pol_watch(p, stats, now);
	p->running = 0;
	for (k = 0; k < c->max; k++) {
		int64_t load;

		if (p->units[k].state != MGR_UNIT_RUNNING)
			continue;
		if (p->units[k].nf_id < 0) {
			/* a VM its restart policy brings back: no load to read, and
			 * not a reason to scale in */
			away++;
			continue;
		}
		load = stat_of(stats, p->units[k].nf_id, "load");
		sum += load > 0 ? (uint64_t)load : 0;
		p->running++;
	}
	p->sum_load = sum;
	p->mean_load = p->running ? (uint32_t)(sum / p->running) : 0;
	active = p->running + away + pol_count(p, MGR_UNIT_STARTING);
	busy = away + pol_count(p, MGR_UNIT_STARTING) + pol_count(p, MGR_UNIT_DRAINING);
	if (stats == NULL)
		return; /* the core is not there: no decision on no data */
	lost = no_inst_rise(p, stats);
	if (active < c->min) {
		if (now - p->last_start_ms >= p->m->cfg.backoff_ms || p->last_start_ms == 0)
			pol_start(p, now, "below min");
		return;
	}
	if (active > 0 || busy > 0)
		p->zero_lost = p->zero_since = 0;
	if (p->running == 0) {
		p->above_since = p->below_since = 0;
		/* min 0 and none: no load to read, but the role's packets are
		 * being dropped (an instance of the role not the policy's has
		 * none dropped); a rise within cooldown_ms or the back-off
		 * waits for its end, it is not forgotten */
		if (active > 0 || busy > 0)
			return;
		if (lost > 0 && p->zero_lost == 0)
			p->zero_since = now;
		p->zero_lost += lost;
		if (p->zero_lost == 0 ||
		    (p->last_action_ms != 0 && now - p->last_action_ms < c->cooldown_ms) ||
		    (p->last_start_ms != 0 && now - p->last_start_ms < p->m->cfg.backoff_ms))
			return;
		if (p->zero_since == now)
			snprintf(why, sizeof(why), "scale from zero: %llu packets for the role "
				 "dropped (role%u_no_instance) since the last read, 0 -> 1 "
				 "instances", (unsigned long long)lost, c->role);
		else
			snprintf(why, sizeof(why), "scale from zero: %llu packets for the role "
				 "dropped (role%u_no_instance) in the last %llu ms (held back by "
				 "cooldown_ms or the back-off), 0 -> 1 instances",
				 (unsigned long long)p->zero_lost, c->role,
				 (unsigned long long)(now - p->zero_since));
		p->zero_lost = p->zero_since = 0;
		p->outs++;
		pol_start(p, now, why);
		return;
	}
	/* the mean itself, not its whole part: 32.5 is above out_above 32
	 * (below in_below, the whole part is below exactly when the mean is) */
	p->above_since = sum > (uint64_t)c->out_above * p->running ?
			 (p->above_since ? p->above_since : now) : 0;
	p->below_since = p->mean_load < c->in_below ? (p->below_since ? p->below_since : now) : 0;
	if (busy > 0 || (p->last_action_ms != 0 && now - p->last_action_ms < c->cooldown_ms))
		return;
	pol_mean_text(p, mean, sizeof(mean));
	if (p->above_since && now - p->above_since >= c->out_hold_ms && active < c->max) {
		snprintf(why, sizeof(why), "scale out: mean load %s > out_above %u for %llu ms, "
			 "%u -> %u instances", mean, c->out_above,
			 (unsigned long long)(now - p->above_since), active, active + 1);
		p->outs++;
		p->above_since = 0;
		pol_start(p, now, why);
	} else if (p->below_since && now - p->below_since >= c->in_hold_ms && active > c->min) {
		snprintf(why, sizeof(why), "scale in: mean load %s < in_below %u for %llu ms, "
			 "%u -> %u instances", mean, c->in_below,
			 (unsigned long long)(now - p->below_since), active, active - 1);
		p->ins++;
		p->below_since = 0;
		pol_drain(p, now, why);
	}
}

void
mgr_scale_tick(struct mgr *m, struct json_object *stats, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < m->cfg.nb_scale; i++)
		pol_tick(&m->pols[i], stats, now);
}

/*
 * Stop every unit of every policy (the manager ends); cannot fail. With
 * @keep_vms (manager.keep_vms_on_exit), a unit of method "vm" that is not
 * draining is only forgotten: its VM is left running with the others, and
 * the next manager adopts it and takes it as the policy's instance again
 * (pol_adopt()). A draining one was on its way out: it is stopped.
 */
void
mgr_scale_stop(struct mgr *m, bool keep_vms)
{
	unsigned int i, k;

	for (i = 0; m->pols != NULL && i < m->cfg.nb_scale; i++) {
		struct mgr_pol *p = &m->pols[i];

		for (k = 0; k < p->cfg->max; k++) {
			struct mgr_unit *u = &p->units[k];

			if (u->state == MGR_UNIT_STOPPED)
				continue;
			if (!(keep_vms && p->cfg->method == MGR_METHOD_VM &&
			      u->state != MGR_UNIT_DRAINING))
				p->meth->stop(u);
			u->state = MGR_UNIT_STOPPED;
		}
	}
	free(m->pols);
	m->pols = NULL;
}

static const char *const unit_states[] = {
	[MGR_UNIT_STOPPED] = "stopped", [MGR_UNIT_STARTING] = "starting",
	[MGR_UNIT_RUNNING] = "running", [MGR_UNIT_DRAINING] = "draining",
};

/* The JSON netvmctl shows of unit @u. */
static struct json_object *
unit_json(const struct mgr_unit *u, const char *method)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(u->name));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "state", json_object_new_string(unit_states[u->state]));
	json_object_object_add(o, "nf_id", u->nf_id >= 0 ? json_object_new_int(u->nf_id) : NULL);
	json_object_object_add(o, "pid", u->pid > 0 ? json_object_new_int(u->pid) : NULL);
	/* method vm: the VM is the unit's name; method idle: the VM running it */
	json_object_object_add(o, "vm", u->idle != NULL ? json_object_new_string(u->idle->name) :
			       NULL);
	json_object_object_add(o, "log", u->log_path[0] ? json_object_new_string(u->log_path) :
			       NULL);
	return o;
}

/* Every policy's state, instances and last decisions: the "scale list"
 * answer's "policies" (a new reference). */
struct json_object *
mgr_scale_json(struct mgr *m)
{
	struct json_object *a = json_object_new_array();
	unsigned int i, k;

	for (i = 0; i < m->cfg.nb_scale; i++) {
		const struct mgr_pol *p = &m->pols[i];
		const struct mgr_scale_cfg *c = p->cfg;
		struct json_object *o = json_object_new_object(), *us, *log;

		json_object_object_add(o, "role", json_object_new_int(c->role));
		json_object_object_add(o, "method", json_object_new_string(p->meth->name));
		json_object_object_add(o, "min", json_object_new_int((int)c->min));
		json_object_object_add(o, "max", json_object_new_int((int)c->max));
		json_object_object_add(o, "out_above", json_object_new_int((int)c->out_above));
		json_object_object_add(o, "in_below", json_object_new_int((int)c->in_below));
		json_object_object_add(o, "mean_load", json_object_new_int((int)p->mean_load));
		json_object_object_add(o, "running", json_object_new_int((int)p->running));
		json_object_object_add(o, "scale_outs", json_object_new_int64((int64_t)p->outs));
		json_object_object_add(o, "scale_ins", json_object_new_int64((int64_t)p->ins));
		json_object_object_add(o, "start_failures",
				       json_object_new_int64((int64_t)p->start_failures));
		us = json_object_new_array();
		for (k = 0; k < c->max; k++)
			json_object_array_add(us, unit_json(&p->units[k], p->meth->name));
		json_object_object_add(o, "instances", us);
		log = json_object_new_array();
		for (k = 0; k < p->nb_log; k++)
			json_object_array_add(log, json_object_new_string(
				p->log[(p->log_next + POL_LOG - p->nb_log + k) % POL_LOG]));
		json_object_object_add(o, "decisions", log);
		json_object_array_add(a, o);
	}
	return a;
}

const struct mgr_unit *
mgr_ops_unit_of(struct mgr *m, int nf_id)
{
	const struct mgr_unit *d = mgr_dos_unit(m);
	unsigned int i, k;

	for (i = 0; m->pols != NULL && i < m->cfg.nb_scale; i++)
		for (k = 0; k < m->pols[i].cfg->max; k++)
			if (m->pols[i].units[k].state != MGR_UNIT_STOPPED &&
			    m->pols[i].units[k].nf_id == nf_id && nf_id >= 0)
				return &m->pols[i].units[k];
	return d != NULL && d->nf_id == nf_id && nf_id >= 0 ? d : NULL;
}

void
mgr_ops_tick(struct mgr *m, uint64_t now)
{
	struct json_object *stats = NULL;
	char err[MGR_ERR_LEN];

	if (m->cfg.nb_scale == 0 && !m->cfg.dos.on)
		return;
	if (mgr_tel_stats(m->tel_path, &stats, err, sizeof(err)) < 0)
		stats = NULL;
	mgr_scale_tick(m, stats, now);
	mgr_dos_tick(m, stats, now);
	json_object_put(stats);
}
