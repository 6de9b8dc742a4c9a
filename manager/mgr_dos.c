/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_dos.c — the DoS response: the core's detector lists sources over
 * dos.src_pps and roles getting over dos.syn_pps TCP SYNs (core/dos.h);
 * the manager, every tick, reads those lists ("dos list") and, for entries
 * it has not seen yet:
 *
 *   1. writes <state_dir>/dos.rules: "stateless deny src host A" per
 *      source ("stateless deny src net P/64" per IPv6 /64), "stateless
 *      deny tcp and syn and not ack" once a role is
 *      SYN-flooded (no new TCP connection; those established go on), then
 *      "stateless allow all" (allowed packets go on along the chain:
 *      "allow = next");
 *   2. starts the filter NF (dos.filter, of role dos.filter_role) where
 *      dos.method says: "process", a host process with "-- --rules
 *      <state_dir>/dos.rules"; "idle", provisioned into an idle VM (the
 *      guest's command line wrapped as sh -c '...; exec FILTER -- --rules
 *      GUEST_FILE' with an allow-all file: its rules come in step 2b).
 *      2b. When the filter runs and lacks entries, the manager rewrites
 *      the file (a reload or restart of the filter reads it) and sends it
 *      "rules load" with the file's text through its control channel
 *      (the core's command socket), host process or guest alike;
 *   3. once the filter is live with every entry, puts its role in front of
 *      the victim's chain with the core's live change "chain set CHAIN
 *      FILTER,ROLES...".
 *
 * When every entry has been quiet (not over its limit) for dos.hold_ms, the
 * mitigation ends: the chain gets its roles back, the filter is stopped and
 * the core's lists are cleared ("dos clear"); a new attack starts it anew.
 * A filter that goes down is started again, at most once per
 * manager.restart_backoff_ms; one that never goes live does not keep the
 * mitigation from ending. A victim's chain found with the filter's role
 * first when the response is armed was left so by an earlier manager: the
 * roles after it are the ones set back. A change of the chain during a
 * mitigation is followed (dos_follow()), and limits in the core other
 * than the configured ones (a restarted core) are set again.
 *
 * A victim's chain deleted during a mitigation (chain del, a core reload)
 * stays deleted: the end, and the manager's exit, set back only a chain the
 * core still has, and log the one skipped.
 *
 * The times are logged and kept for `netvmctl dos`: when the manager first
 * saw an offender, when the chain had the filter (mitigated), when it ended.
 * A step that fails tick after tick (the rules file not written, a "rules
 * load" or a chain change refused) is logged when it starts failing and when
 * its message changes, then once when it works again (dos_fail(),
 * dos_fixed()); every failure is counted ("failures").
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

#define DOS_MAX_BLOCKED 64 /* core/dos.h's CORE_DOS_MAX_OFFENDERS */
#define DOS_IP_LEN 64 /* an IPv4 address, or an IPv6 /64: "2001:db8:1:2::/64" */
/* method idle: the rules file in the guest until the first "rules load" */
#define DOS_GUEST_RULES "/tmp/netvm-dos.rules"

/* The steps whose failure is tried again next tick: logged when it starts
 * and when its message changes, then once when the step works again. */
enum dos_step {
	DOS_WRITE,  /* <state_dir>/dos.rules written */
	DOS_LOAD,   /* "rules load" into the running filter */
	DOS_START,  /* the filter started */
	DOS_LIST,   /* the core's "chain list" */
	DOS_CHAIN,  /* "chain set" of the victim's chain */
	DOS_STEPS
};

static const char *const dos_step_name[DOS_STEPS] = {
	[DOS_WRITE] = "writing the rules file",
	[DOS_LOAD] = "rules load into the filter",
	[DOS_START] = "starting the filter",
	[DOS_LIST] = "chain list",
	[DOS_CHAIN] = "changing the victim's chain",
};

struct dos_fault {
	char msg[2 * MGR_ERR_LEN + 512]; /* the message logged ("": the step works) */
	uint64_t since_ms;  /* when it started failing */
	uint64_t count;     /* failures since then */
};

struct mgr_dos {
	bool armed;            /* the core's detector has dos.src_pps and syn_pps */
	bool looked;           /* the chain looked at for a filter left in it */
	const struct mgr_inst_method *meth; /* where the filter runs (dos.method) */
	struct mgr_unit filter;
	char rules_path[MGR_CFG_PATH_LEN];
	unsigned int nb_blocked;
	char blocked[DOS_MAX_BLOCKED][DOS_IP_LEN];
	uint8_t syn_role[256];  /* roles the core lists as SYN-flooded */
	unsigned int nb_syn;
	uint64_t quiet_ms;      /* the least quiet_ms of the core's entries */
	unsigned int nb_loaded; /* entries (sources + SYN roles) in the filter's rules */
	bool inserted;          /* the chain has the filter */
	uint64_t restart_ms;    /* a filter that went down starts again then (0: at once) */
	uint64_t seen_ms;       /* first offender seen */
	uint64_t mitigated_ms;  /* the chain had the filter */
	char chain_before[128]; /* the chain's roles before */
	uint64_t mitigations, ends;
	uint64_t ended_ms;      /* the last mitigation ended */
	bool chain_gone;        /* the last chain list had no victim's chain */
	struct dos_fault fault[DOS_STEPS];
	uint64_t failures;      /* every failed step, logged or not */
	char last[256];         /* the last event */
};

/* Log an event of the response whole (an error and the command that
 * repairs it are longer than d->last) and keep its start for netvmctl. */
static void __attribute__((format(printf, 2, 3)))
dos_log(struct mgr_dos *d, const char *fmt, ...)
{
	char msg[2 * MGR_ERR_LEN + 512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mgr_log("dos: %s", msg);
	n = strnlen(msg, sizeof(d->last) - 1);
	memcpy(d->last, msg, n);
	d->last[n] = '\0';
}

/*
 * Step @step failed (tried again next tick): log the message made of @fmt
 * when the step was working, or when the message is not the one logged
 * last; else count it only.
 */
static void __attribute__((format(printf, 3, 4)))
dos_fail(struct mgr_dos *d, enum dos_step step, const char *fmt, ...)
{
	struct dos_fault *f = &d->fault[step];
	char msg[sizeof(f->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->failures++;
	if (f->msg[0] != '\0' && strcmp(f->msg, msg) == 0) {
		f->count++;
		return;
	}
	if (f->msg[0] == '\0') {
		f->since_ms = mgr_now_ms();
		f->count = 0;
	}
	f->count++;
	memcpy(f->msg, msg, sizeof(msg));
	dos_log(d, "%s", msg);
}

/* Step @step worked: one line when it had been failing. */
static void
dos_fixed(struct mgr_dos *d, enum dos_step step)
{
	struct dos_fault *f = &d->fault[step];

	if (f->msg[0] == '\0')
		return;
	dos_log(d, "%s works again, after %llu failure(s) over %llu ms", dos_step_name[step],
		(unsigned long long)f->count, (unsigned long long)(mgr_now_ms() - f->since_ms));
	f->msg[0] = '\0';
}

/* Set up the response of m->cfg.dos (nothing when off). 0 or -ENOMEM. */
int
mgr_dos_init(struct mgr *m, char *err, size_t errlen)
{
	struct mgr_dos *d;

	if (!m->cfg.dos.on)
		return 0;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->filter.nf_id = -1;
	d->meth = mgr_inst_method(m->cfg.dos.method == MGR_DOS_IDLE ? MGR_METHOD_IDLE :
				  MGR_METHOD_PROCESS);
	snprintf(d->filter.name, sizeof(d->filter.name), "dos-filter");
	if (snprintf(d->rules_path, sizeof(d->rules_path), "%s/dos.rules", m->cfg.state_dir) >=
	    (int)sizeof(d->rules_path)) {
		free(d);
		snprintf(err, errlen, "manager.state_dir too long for dos.rules");
		return -ENAMETOOLONG;
	}
	m->dos = d;
	return 0;
}

const struct mgr_unit *
mgr_dos_unit(struct mgr *m)
{
	return m->dos != NULL && m->dos->filter.state != MGR_UNIT_STOPPED ? &m->dos->filter : NULL;
}

/* The rules text for the blocked sources (malloc'd). */
static char *
dos_rules(const struct mgr_dos *d, size_t *len)
{
	char *text = NULL;
	unsigned int i;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		return NULL;
	fprintf(f, "# written by netvm-manager: what its DoS response drops\n"
		"allow = next\n");
	for (i = 0; i < d->nb_blocked; i++)
		fprintf(f, "stateless deny src %s %s\n", strchr(d->blocked[i], '/') ? "net" : "host",
			d->blocked[i]);
	if (d->nb_syn > 0)
		fprintf(f, "stateless deny tcp and syn and not ack\n");
	fprintf(f, "stateless allow all\n");
	fclose(f);
	return text;
}

/* Take the entries of the core's "dos list" answer @ans; how many are new.
 * d->quiet_ms: how long the least quiet of them has been under its limit. */
static unsigned int
dos_take(struct mgr_dos *d, char *ans)
{
	char *save = NULL, *line, ip[DOS_IP_LEN + 1];
	unsigned long long since, quiet;
	unsigned int i, role, added = 0, entries = 0;

	d->quiet_ms = UINT64_MAX;
	for (line = strtok_r(ans, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "syn_role %u since_ms %llu quiet_ms %llu", &role, &since,
			   &quiet) == 3 && role < 256) {
			entries++;
			d->quiet_ms = quiet < d->quiet_ms ? quiet : d->quiet_ms;
			if (!d->syn_role[role]) {
				d->syn_role[role] = 1;
				d->nb_syn++;
				added++;
			}
			continue;
		}
		if (sscanf(line, "offender %64s since_ms %llu quiet_ms %llu", ip, &since,
			   &quiet) != 3 || strlen(ip) >= DOS_IP_LEN)
			continue;
		entries++;
		d->quiet_ms = quiet < d->quiet_ms ? quiet : d->quiet_ms;
		for (i = 0; i < d->nb_blocked && strcmp(d->blocked[i], ip) != 0; i++)
			;
		if (i < d->nb_blocked || d->nb_blocked == DOS_MAX_BLOCKED)
			continue;
		snprintf(d->blocked[d->nb_blocked++], DOS_IP_LEN, "%s", ip);
		added++;
	}
	return added; /* no entry (a "dos clear" by hand): quiet_ms stays UINT64_MAX */
}

/* The roles of the victim's chain, as the core lists them, into @roles
 * (@len bytes). 1, 0 when the core has no such chain, or a negative errno
 * after logging why. */
static int
dos_chain_roles(struct mgr *m, struct mgr_dos *d, char *roles, size_t len)
{
	char err[MGR_ERR_LEN], *ans = NULL, *line, *save = NULL, name[64], r[128];
	int found = 0, rc;

	rc = mgr_core_cmd(m, &ans, err, sizeof(err), "chain list");
	if (rc < 0) {
		dos_fail(d, DOS_LIST, "chain list: %s", err);
		free(ans);
		return rc;
	}
	dos_fixed(d, DOS_LIST);
	for (line = strtok_r(ans, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %127s", name, r) == 2 && strcmp(name, m->cfg.dos.chain) == 0) {
			snprintf(roles, len, "%s", r);
			found = 1;
			break;
		}
	free(ans);
	d->chain_gone = !found;
	return found;
}

/*
 * The end of a mitigation: chain dos.chain gets its roles before the
 * filter (d->chain_before) back, if the core still has it; one deleted
 * meanwhile (chain del, a core reload) stays deleted, logged. 0 (set back,
 * or left deleted), or a negative errno after logging why (tried again).
 */
static int
dos_set_back(struct mgr *m, struct mgr_dos *d)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;
	char err[MGR_ERR_LEN], roles[128], *ans = NULL;
	int r = dos_chain_roles(m, d, roles, sizeof(roles));

	if (r < 0)
		return r;
	if (r == 0) {
		dos_log(d, "chain %s was deleted during the mitigation: not set back to %s (it "
			"stays deleted)", c->chain, d->chain_before);
		return 0;
	}
	r = mgr_core_cmd(m, &ans, err, sizeof(err), "chain set %s %s", c->chain, d->chain_before);
	if (r < 0)
		dos_fail(d, DOS_CHAIN, "taking the filter out of chain %s: %s (tried again next "
			 "tick)", c->chain, err);
	else
		dos_fixed(d, DOS_CHAIN);
	free(ans);
	return r;
}

/*
 * The attack is over: every entry quiet for dos.hold_ms. Give the chain its
 * roles back, stop the filter, clear the core's lists and start afresh.
 */
static void
dos_end(struct mgr *m, struct mgr_dos *d, uint64_t now)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;
	char err[MGR_ERR_LEN], *ans = NULL;
	unsigned long long quiet = d->quiet_ms == UINT64_MAX ? 0 : d->quiet_ms;
	unsigned int i;

	if (d->chain_before[0] != '\0' && dos_set_back(m, d) < 0)
		return;
	if (mgr_core_cmd(m, &ans, err, sizeof(err), "dos clear") < 0)
		dos_log(d, "dos clear: %s", err);
	free(ans);
	d->meth->stop(&d->filter);
	d->filter.state = MGR_UNIT_STOPPED;
	d->filter.nf_id = -1;
	d->ends++;
	d->ended_ms = now;
	dos_log(d, "mitigation ended: quiet for %llu ms (hold_ms %u), chain %s = %s%s, "
		"%s stopped, %u source(s) and %u SYN-flooded role(s) forgotten",
		quiet, c->hold_ms, c->chain,
		!d->chain_before[0] ? "(unchanged)" : d->chain_gone ? "(deleted, left so)" :
		d->chain_before, d->chain_before[0] && !d->chain_gone ? " again" : "",
		d->filter.name, d->nb_blocked, d->nb_syn);
	/* a step still failing is said once more: the next mitigation starts
	 * afresh */
	for (i = 0; i < DOS_STEPS; i++)
		if (d->fault[i].msg[0] != '\0') {
			dos_log(d, "%s failed %llu time(s) over %llu ms, until the mitigation "
				"ended", dos_step_name[i], (unsigned long long)d->fault[i].count,
				(unsigned long long)(now - d->fault[i].since_ms));
			d->fault[i].msg[0] = '\0';
		}
	d->nb_blocked = d->nb_syn = d->nb_loaded = 0;
	memset(d->syn_role, 0, sizeof(d->syn_role));
	d->inserted = false;
	d->restart_ms = 0;
	d->seen_ms = d->mitigated_ms = 0;
	d->chain_before[0] = '\0';
	d->chain_gone = false;
}

/* The roles after the filter's in chain roles @roles when the filter's
 * role is first, "" when it is the only one, NULL when it is not first. */
static const char *
dos_after_filter(const struct mgr_dos_cfg *c, const char *roles)
{
	char first[8];
	size_t n = (size_t)snprintf(first, sizeof(first), "%u", c->filter_role);

	if (strncmp(roles, first, n) != 0 || (roles[n] != ',' && roles[n] != '\0'))
		return NULL;
	return roles[n] == ',' ? roles + n + 1 : roles + n;
}

/*
 * At arming: a victim's chain that starts with the filter's role was left
 * so by an earlier manager (killed, or unable to set it back at its exit).
 * Its roles after the filter's are taken as the chain's own: set back when
 * the mitigation ends, or at the next tick when the core lists nothing.
 * 0, or a negative errno when the core could not be asked.
 */
static int
dos_leftover(struct mgr *m, struct mgr_dos *d)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;
	char roles[128];
	const char *rest;
	int rc = dos_chain_roles(m, d, roles, sizeof(roles));

	if (rc <= 0)
		return rc == 0 ? 0 : rc;
	rest = dos_after_filter(c, roles);
	if (rest == NULL || rest[0] == '\0')
		return 0;
	snprintf(d->chain_before, sizeof(d->chain_before), "%s", rest);
	dos_log(d, "chain %s = %s has the filter's role %u first, left by an earlier manager: "
		"it is set back to %s when the mitigation ends", c->chain, roles, c->filter_role,
		d->chain_before);
	return 0;
}

/* Put the filter's role first in the victim's chain, unless it is there. */
static void
dos_insert(struct mgr *m, struct mgr_dos *d, uint64_t now)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;
	char err[MGR_ERR_LEN], *ans = NULL, roles[128], after[sizeof(d->chain_before) + 8];
	int found = dos_chain_roles(m, d, roles, sizeof(roles));

	if (found < 0)
		return;
	if (found == 0) {
		dos_log(d, "no chain '%s' in the core (dos.chain): the filter runs outside "
			"any chain", c->chain);
		d->inserted = true;
		return;
	}
	if (dos_after_filter(c, roles) != NULL) {
		/* there already: left by an earlier manager (its roles taken at
		 * arming, dos_leftover()), or the filter's role is the chain's */
		d->inserted = true;
	} else if (mgr_core_cmd(m, &ans, err, sizeof(err), "chain set %s %u,%s", c->chain,
				c->filter_role, roles) < 0) {
		dos_fail(d, DOS_CHAIN, "putting the filter in chain %s: %s (tried again next tick)",
			 c->chain, err);
		free(ans);
		return;
	} else {
		dos_fixed(d, DOS_CHAIN);
		snprintf(d->chain_before, sizeof(d->chain_before), "%s", roles);
		d->inserted = true;
	}
	free(ans);
	d->mitigated_ms = now;
	if (d->chain_before[0] != '\0')
		snprintf(after, sizeof(after), "%u,%s", c->filter_role, d->chain_before);
	else
		snprintf(after, sizeof(after), "%s", roles);
	dos_log(d, "mitigation in force: chain %s = %s, %u source(s) dropped by %s (nf %d), "
		"%llu ms after the first offender was seen", c->chain, after, d->nb_blocked,
		d->filter.name, d->filter.nf_id, (unsigned long long)(now - d->seen_ms));
}

/*
 * While the chain has the filter: follow a change of the chain made
 * meanwhile (chain set by hand, core reload). The roles after the filter's
 * become the ones set back at the end; a change that took the filter's
 * role out has it put in front again.
 */
static void
dos_follow(struct mgr *m, struct mgr_dos *d)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;
	char err[MGR_ERR_LEN], *ans = NULL, roles[128];
	const char *rest;

	if (dos_chain_roles(m, d, roles, sizeof(roles)) <= 0)
		return;
	rest = dos_after_filter(c, roles);
	if (rest != NULL) {
		if (d->chain_before[0] != '\0' && rest[0] != '\0' &&
		    strcmp(rest, d->chain_before) != 0) {
			snprintf(d->chain_before, sizeof(d->chain_before), "%s", rest);
			dos_log(d, "chain %s changed to %s during the mitigation: set back to %s "
				"when it ends", c->chain, roles, d->chain_before);
		}
		return;
	}
	if (mgr_core_cmd(m, &ans, err, sizeof(err), "chain set %s %u,%s", c->chain,
			 c->filter_role, roles) < 0) {
		dos_fail(d, DOS_CHAIN, "chain %s changed to %s during the mitigation; putting the "
			 "filter in front again: %s (tried again next tick)", c->chain, roles, err);
	} else {
		dos_fixed(d, DOS_CHAIN);
		snprintf(d->chain_before, sizeof(d->chain_before), "%s", roles);
		dos_log(d, "chain %s changed to %s during the mitigation: the filter put in front "
			"again (%u,%s), set back to %s when it ends", c->chain, roles,
			c->filter_role, roles, roles);
	}
	free(ans);
}

/* Write rules @text (@len bytes) to <state_dir>/dos.rules. 0, or -EIO
 * after logging why. */
static int
dos_write(struct mgr_dos *d, const char *text, size_t len)
{
	FILE *f = fopen(d->rules_path, "w");
	bool ok = f != NULL && fwrite(text, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok = false;
	if (!ok) {
		dos_fail(d, DOS_WRITE, "%s: %s", d->rules_path, strerror(errno));
		return -EIO;
	}
	dos_fixed(d, DOS_WRITE);
	return 0;
}

/* Give the running filter the rules in force (its control channel), and
 * the file the same rules, so that a reload or a restart of the filter
 * keeps them. */
static void
dos_reload(struct mgr *m, struct mgr_dos *d, const char *text, size_t len)
{
	char err[MGR_ERR_LEN];

	dos_write(d, text, len); /* logged; the running filter gets them all the same */
	if (mgr_nf_ask(m->cfg.core_socket, d->filter.nf_id, "rules load dos.rules", text, len,
		       5000, NULL, err, sizeof(err)) < 0)
		dos_fail(d, DOS_LOAD, "rules load into %s (nf %d): %s (tried again next tick)",
			 d->filter.name, d->filter.nf_id, err);
	else {
		dos_fixed(d, DOS_LOAD);
		d->nb_loaded = d->nb_blocked + d->nb_syn;
	}
}

/*
 * Start the filter with rules @text (@len bytes) as dos.method says. 0, or
 * a negative errno after logging why (tried again next tick).
 */
static int
dos_start(struct mgr *m, struct mgr_dos *d, const char *text, size_t len, uint64_t now)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;
	char err[MGR_ERR_LEN], cmd[MGR_CFG_NF_LEN + MGR_CFG_PATH_LEN + 160];
	int r;

	if (c->method == MGR_DOS_IDLE) {
		/* the guest cannot read the manager's file (written all the
		 * same): its rules come by "rules load" once it is live
		 * (d->nb_loaded 0 until then) */
		dos_write(d, text, len);
		r = snprintf(cmd, sizeof(cmd), "sh -c 'echo allow = next >" DOS_GUEST_RULES "; "
			     "echo stateless allow all >>" DOS_GUEST_RULES "; exec %s -- --rules "
			     DOS_GUEST_RULES "'", c->filter);
		d->nb_loaded = 0;
	} else {
		if (dos_write(d, text, len) < 0)
			return -EIO;
		r = snprintf(cmd, sizeof(cmd), "%s -- --rules %s", c->filter, d->rules_path);
		d->nb_loaded = d->nb_blocked + d->nb_syn;
	}
	if (r < 0 || (size_t)r >= MGR_CFG_NF_LEN) {
		dos_fail(d, DOS_START, "the filter's command line is too long (at most %d "
			 "characters)", MGR_CFG_NF_LEN - 1);
		return -E2BIG;
	}
	r = d->meth->start(m, &d->filter, c->filter_role, cmd, err, sizeof(err));
	if (r < 0) {
		dos_fail(d, DOS_START, "starting the filter (%s): %s (tried again next tick)",
			 d->meth->name, err);
		return r;
	}
	dos_fixed(d, DOS_START);
	d->filter.state = MGR_UNIT_STARTING;
	d->filter.started_ms = now;
	if (d->filter.idle != NULL)
		dos_log(d, "%s runs as nf %d in idle vm %s, %llu ms after the decision: %u "
			"source(s) to drop%s", d->filter.name, d->filter.nf_id,
			d->filter.idle->name, (unsigned long long)(mgr_now_ms() - now),
			d->nb_blocked, d->nb_syn ? ", and new TCP connections" : "");
	else
		dos_log(d, "starting %s (pid %d): %u source(s) to drop%s", d->filter.name,
			(int)d->filter.pid, d->nb_blocked,
			d->nb_syn ? ", and new TCP connections" : "");
	return 0;
}

/* Nothing is listed but the chain has the filter an earlier manager left
 * in front (dos_leftover()): set it back now; tried again next tick. */
static void
dos_restore_leftover(struct mgr *m, struct mgr_dos *d)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;

	if (dos_set_back(m, d) < 0)
		return;
	if (!d->chain_gone)
		dos_log(d, "nothing listed: chain %s = %s again, the filter's role %u taken out",
			c->chain, d->chain_before, c->filter_role);
	d->chain_before[0] = '\0';
	d->chain_gone = false;
}

/* Whether the core's limits in its "dos list" answer @ans are the
 * configured ones; if not (a restarted core has none, or a "dos set" by
 * hand), the response is armed again at the next tick. */
static bool
dos_limits_kept(struct mgr *m, struct mgr_dos *d, const char *ans)
{
	unsigned long long src = 0, syn = 0;
	const char *l = strstr(ans, "syn_pps ");

	if (sscanf(ans, "src_pps %llu", &src) != 1 || l == NULL ||
	    sscanf(l, "syn_pps %llu", &syn) != 1 ||
	    (src == m->cfg.dos.src_pps && syn == m->cfg.dos.syn_pps))
		return true;
	dos_log(d, "the core's limits are src_pps %llu, syn_pps %llu (a restarted core, or dos "
		"set by hand): set to %u and %u again", src, syn, m->cfg.dos.src_pps,
		m->cfg.dos.syn_pps);
	d->armed = false;
	return false;
}

void
mgr_dos_tick(struct mgr *m, struct json_object *stats, uint64_t now)
{
	struct mgr_dos *d = m->dos;
	char err[MGR_ERR_LEN], *ans = NULL, *text;
	unsigned int added;
	size_t len;

	if (d == NULL || stats == NULL)
		return;
	if (!d->armed) {
		if (mgr_core_cmd(m, &ans, err, sizeof(err), "dos set src_pps %u",
				 m->cfg.dos.src_pps) == 0) {
			free(ans);
			ans = NULL;
			d->armed = mgr_core_cmd(m, &ans, err, sizeof(err), "dos set syn_pps %u",
						m->cfg.dos.syn_pps) == 0;
		}
		free(ans);
		if (d->armed && !d->looked) {
			if (dos_leftover(m, d) < 0)
				d->armed = false; /* the core went away: all again next tick */
			else
				d->looked = true;
		}
		if (d->armed)
			dos_log(d, "the core lists sources over %u packets/s and roles over %u "
				"SYNs/s (0: off); the filter goes in front of chain %s as role %u",
				m->cfg.dos.src_pps, m->cfg.dos.syn_pps, m->cfg.dos.chain,
				m->cfg.dos.filter_role);
		return;
	}
	if (mgr_core_cmd(m, &ans, err, sizeof(err), "dos list") < 0) {
		free(ans);
		return;
	}
	if (!dos_limits_kept(m, d, ans)) {
		free(ans);
		return;
	}
	added = dos_take(d, ans);
	free(ans);
	if (added > 0) {
		if (d->seen_ms == 0) {
			d->seen_ms = now;
			d->mitigations++;
		}
		dos_log(d, "%u new entr%s: %u source(s), %u SYN-flooded role(s)", added,
			added == 1 ? "y" : "ies", d->nb_blocked, d->nb_syn);
	}
	if (d->nb_blocked + d->nb_syn == 0) {
		if (d->chain_before[0] != '\0')
			dos_restore_leftover(m, d);
		return;
	}
	/* the end, whatever the filter's state: one that never goes live
	 * (a missing program, a crash at start) does not hold it */
	if (added == 0 && m->cfg.dos.hold_ms > 0 && d->quiet_ms >= m->cfg.dos.hold_ms) {
		dos_end(m, d, now);
		return;
	}
	if (d->inserted)
		dos_follow(m, d);
	if (d->filter.state != MGR_UNIT_STOPPED &&
	    d->meth->poll(&d->filter, stats, err, sizeof(err)) == 0) {
		/* at most one start per manager.restart_backoff_ms */
		d->restart_ms = d->filter.started_ms + m->cfg.backoff_ms;
		d->filter.state = MGR_UNIT_STOPPED;
		if (d->restart_ms > now)
			dos_log(d, "%s went down (%s): started again in %llu ms "
				"(manager.restart_backoff_ms)", d->filter.name, err,
				(unsigned long long)(d->restart_ms - now));
		else
			dos_log(d, "%s went down (%s): started again", d->filter.name, err);
	} else if (d->filter.state == MGR_UNIT_STARTING && d->filter.nf_id < 0 &&
		   now - d->filter.started_ms > (uint64_t)m->cfg.boot_s * 1000) {
		/* one that never attaches (hung at start) would hold the
		 * mitigation without a filter until the attack ends */
		d->meth->stop(&d->filter);
		d->filter.state = MGR_UNIT_STOPPED;
		d->restart_ms = d->filter.started_ms + m->cfg.backoff_ms;
		dos_log(d, "%s not live after %u s (manager.boot_timeout_s): stopped, started "
			"again", d->filter.name, m->cfg.boot_s);
	}
	if (d->filter.state == MGR_UNIT_STOPPED && now < d->restart_ms)
		return;
	text = dos_rules(d, &len);
	if (text == NULL)
		return;
	if (d->filter.state == MGR_UNIT_STOPPED && dos_start(m, d, text, len, now) < 0) {
		free(text);
		return;
	}
	/* a filter in an idle VM is live once started: the same tick goes on */
	if (d->filter.state != MGR_UNIT_STOPPED && d->filter.nf_id >= 0) {
		if (d->filter.state == MGR_UNIT_STARTING) {
			d->filter.state = MGR_UNIT_RUNNING;
			d->filter.live_ms = now;
		}
		if (d->nb_loaded != d->nb_blocked + d->nb_syn)
			dos_reload(m, d, text, len);
		if (!d->inserted && d->nb_loaded == d->nb_blocked + d->nb_syn)
			dos_insert(m, d, mgr_now_ms());
	}
	free(text);
}

/* The manager ends: the victim's chain gets its roles back (its filter is
 * about to stop, and a chain whose first role has no instance drops all),
 * then the filter stops. */
void
mgr_dos_stop(struct mgr *m)
{
	const struct mgr_dos_cfg *c = &m->cfg.dos;
	struct mgr_dos *d = m->dos;
	char err[MGR_ERR_LEN], *ans = NULL;
	int r;

	if (d == NULL)
		return;
	/* a chain the last tick found deleted stays so (a fresh chain list
	 * would double the wait on a core that does not answer) */
	if (d->chain_before[0] != '\0' && d->chain_gone)
		dos_log(d, "at exit, chain %s was deleted during the mitigation: not set back to "
			"%s (it stays deleted)", c->chain, d->chain_before);
	else if (d->chain_before[0] != '\0' &&
		 (r = mgr_core_cmd(m, &ans, err, sizeof(err), "chain set %s %s", c->chain,
				   d->chain_before)) < 0) {
		/* the core refused (it answered), or the command never reached
		 * it: the chain keeps the filter. Else (no answer in time, the
		 * connection lost) the core may still make the change. */
		if (ans != NULL || r == -ENOENT || r == -ECONNREFUSED)
			dos_log(d, "at exit, taking the filter out of chain %s: %s (the chain "
				"drops until it is set by hand: netvmctl chain set %s %s)",
				c->chain, err, c->chain, d->chain_before);
		else
			dos_log(d, "at exit, taking the filter out of chain %s: %s (the core may "
				"still make the change; if netvmctl chain list then shows role %u "
				"first in %s, the chain drops until it is set by hand: netvmctl "
				"chain set %s %s)", c->chain, err, c->filter_role, c->chain,
				c->chain, d->chain_before);
	}
	free(ans);
	m->dos->meth->stop(&m->dos->filter);
	free(m->dos);
	m->dos = NULL;
}

/* The response's state for "netvmctl dos" (a new reference). */
struct json_object *
mgr_dos_json(struct mgr *m)
{
	struct json_object *o = json_object_new_object(), *a;
	const struct mgr_dos *d = m->dos;
	unsigned int i;

	json_object_object_add(o, "on", json_object_new_boolean(d != NULL));
	if (d == NULL)
		return o;
	a = json_object_new_array();
	json_object_object_add(o, "src_pps", json_object_new_int((int)m->cfg.dos.src_pps));
	json_object_object_add(o, "syn_pps", json_object_new_int((int)m->cfg.dos.syn_pps));
	json_object_object_add(o, "hold_ms", json_object_new_int((int)m->cfg.dos.hold_ms));
	json_object_object_add(o, "chain", json_object_new_string(m->cfg.dos.chain));
	json_object_object_add(o, "filter_role", json_object_new_int(m->cfg.dos.filter_role));
	json_object_object_add(o, "method", json_object_new_string(d->meth->name));
	json_object_object_add(o, "armed", json_object_new_boolean(d->armed));
	for (i = 0; i < d->nb_blocked; i++)
		json_object_array_add(a, json_object_new_string(d->blocked[i]));
	json_object_object_add(o, "blocked", a);
	a = json_object_new_array();
	for (i = 0; i < 256; i++)
		if (d->syn_role[i])
			json_object_array_add(a, json_object_new_int((int)i));
	json_object_object_add(o, "syn_roles", a);
	json_object_object_add(o, "active", json_object_new_boolean(d->nb_blocked + d->nb_syn > 0));
	json_object_object_add(o, "quiet_ms", d->nb_blocked + d->nb_syn > 0 &&
			       d->quiet_ms != UINT64_MAX ?
			       json_object_new_int64((int64_t)d->quiet_ms) : NULL);
	json_object_object_add(o, "mitigations", json_object_new_int64((int64_t)d->mitigations));
	json_object_object_add(o, "ends", json_object_new_int64((int64_t)d->ends));
	json_object_object_add(o, "failures", json_object_new_int64((int64_t)d->failures));
	json_object_object_add(o, "filter_nf_id", d->filter.nf_id >= 0 ?
			       json_object_new_int(d->filter.nf_id) : NULL);
	json_object_object_add(o, "filter_pid", d->filter.pid > 0 ?
			       json_object_new_int(d->filter.pid) : NULL);
	json_object_object_add(o, "filter_vm", d->filter.idle != NULL ?
			       json_object_new_string(d->filter.idle->name) : NULL);
	json_object_object_add(o, "inserted", json_object_new_boolean(d->inserted));
	json_object_object_add(o, "mitigation_ms", d->mitigated_ms ?
			       json_object_new_int64((int64_t)(d->mitigated_ms - d->seen_ms)) :
			       NULL);
	json_object_object_add(o, "last", json_object_new_string(d->last));
	return o;
}
