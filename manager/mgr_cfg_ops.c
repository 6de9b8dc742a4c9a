/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_cfg_ops.c — the configuration of a running system's operations:
 * "scale" (per role: how many instances, started how, on what load) and
 * "dos" (the response to an attack the core detects). Same schema
 * machinery as the rest of the file (mgr_cfg_priv.h); docs/operations.md.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_report.h"
#include "mgr_cfg_priv.h"

static const char *const mgr_method_names[] = { "process", "vm", "idle", NULL };
/* where the DoS filter runs (enum mgr_dos_method) */
static const char *const mgr_dos_method_names[] = { "process", "idle", NULL };
static const char *const mgr_metric_names[] = { "load", NULL };

/* scale = ( { ... }, ... ) */
static const struct mgr_field mgr_scale_schema[] = {
	F_U32("role", struct mgr_scale_cfg, role, 0, 255, true),
	F_ENUM("method", struct mgr_scale_cfg, method, mgr_method_names),
	F_STR("command", struct mgr_scale_cfg, command, K_STR, false),
	{ "vms", K_OWN, 0, 0, 0, 0, NULL, false },
	F_U32("min", struct mgr_scale_cfg, min, 0, MGR_CFG_MAX_UNITS, false),
	F_U32("max", struct mgr_scale_cfg, max, 1, MGR_CFG_MAX_UNITS, true),
	F_ENUM("metric", struct mgr_scale_cfg, metric, mgr_metric_names),
	F_U32("out_above", struct mgr_scale_cfg, out_above, 1, 1u << 24, false),
	F_U32("in_below", struct mgr_scale_cfg, in_below, 0, 1u << 24, false),
	F_U32("out_hold_ms", struct mgr_scale_cfg, out_hold_ms, 0, 3600000, false),
	F_U32("in_hold_ms", struct mgr_scale_cfg, in_hold_ms, 0, 3600000, false),
	F_U32("cooldown_ms", struct mgr_scale_cfg, cooldown_ms, 0, 3600000, false),
	F_U32("drain_ms", struct mgr_scale_cfg, drain_ms, 0, 3600000, false),
	{ NULL, K_STR, 0, 0, 0, 0, NULL, false },
};

/* dos = { ... } */
static const struct mgr_field mgr_dos_schema[] = {
	F_U32("src_pps", struct mgr_dos_cfg, src_pps, 0, 100000000, false),
	F_U32("syn_pps", struct mgr_dos_cfg, syn_pps, 0, 100000000, false),
	F_U32("hold_ms", struct mgr_dos_cfg, hold_ms, 0, 3600000, false),
	F_STR("chain", struct mgr_dos_cfg, chain, K_NAME, true),
	F_U32("filter_role", struct mgr_dos_cfg, filter_role, 0, 255, true),
	F_STR("filter", struct mgr_dos_cfg, filter, K_STR, true),
	F_ENUM("method", struct mgr_dos_cfg, method, mgr_dos_method_names),
	{ NULL, K_STR, 0, 0, 0, 0, NULL, false },
};

static void
mgr_scale_defaults(struct mgr_scale_cfg *p)
{
	memset(p, 0, sizeof(*p));
	p->method = MGR_METHOD_PROCESS;
	p->min = 1;
	p->out_above = 32;
	p->in_below = 2;
	p->out_hold_ms = 1000;
	p->in_hold_ms = 5000;
	p->cooldown_ms = 2000;
	p->drain_ms = 10000;
}

/* "vms = [ "NAME", ... ]" of policy @p. */
static int
mgr_scale_vms(struct mgr_cfg_ctx *x, const config_setting_t *s, const char *key,
	      struct mgr_scale_cfg *p)
{
	unsigned int i, j, n = (unsigned int)config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return mgr_fail(x, s, key, "expected [ \"VM\", ... ], got %s", cfg_type_name(s));
	if (n == 0 || n > MGR_CFG_MAX_UNITS)
		return mgr_fail(x, s, key, "%u VMs; give 1..%u", n, MGR_CFG_MAX_UNITS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (v == NULL || v[0] == '\0' || strlen(v) >= MGR_CFG_NAME_LEN)
			return mgr_fail(x, e, key, "element %u: expected a VM name", i);
		/* one VM would be two instances, started twice and counted twice */
		for (j = 0; j < i; j++)
			if (strcmp(p->vms[j], v) == 0)
				return mgr_fail(x, e, key, "element %u: VM '%s' is named twice "
						"(element %u)", i, v, j);
		snprintf(p->vms[i], sizeof(p->vms[i]), "%s", v);
	}
	p->nb_vms = n;
	return 0;
}

static int
mgr_parse_scale_one(struct mgr_cfg_ctx *x, const config_setting_t *g, const char *key,
		    struct mgr_scale_cfg *p)
{
	const config_setting_t *found[MGR_MAX_FIELDS], *vms, *cmd;
	char mkey[MGR_KEY_LEN + 8];
	int rc;

	mgr_scale_defaults(p);
	p->line = config_setting_source_line(g);
	rc = mgr_parse_object(x, g, key, mgr_scale_schema, p, found);
	if (rc < 0)
		return rc;
	vms = found[mgr_field_idx(mgr_scale_schema, "vms")];
	cmd = found[mgr_field_idx(mgr_scale_schema, "command")];
	snprintf(mkey, sizeof(mkey), "%s.vms", key);
	if (vms != NULL && (rc = mgr_scale_vms(x, vms, mkey, p)) < 0)
		return rc;
	if (p->method == MGR_METHOD_PROCESS && (cmd == NULL || vms != NULL))
		return mgr_fail(x, g, key, "method \"process\" needs 'command' (the NF to run, "
				"without -s and -r) and no 'vms'");
	if (p->method == MGR_METHOD_IDLE && (cmd == NULL || vms != NULL))
		return mgr_fail(x, g, key, "method \"idle\" needs 'command' (the guest's command "
				"line of the NF, as nf start takes it) and no 'vms'");
	if (p->method == MGR_METHOD_VM && (vms == NULL || cmd != NULL))
		return mgr_fail(x, g, key, "method \"vm\" needs 'vms' (VMs of the vms list) and "
				"no 'command' (each VM's nf says what runs)");
	if (cmd != NULL && p->command[strspn(p->command, " \t")] == '\0') {
		snprintf(mkey, sizeof(mkey), "%s.command", key);
		return mgr_fail(x, cmd, mkey, "holds no word: give the NF to run");
	}
	/* the agent takes the command line as the rest of one line */
	if (p->method == MGR_METHOD_IDLE && strpbrk(p->command, "\n\r") != NULL) {
		snprintf(mkey, sizeof(mkey), "%s.command", key);
		return mgr_fail(x, cmd, mkey, "with method \"idle\" the guest's command line "
				"cannot hold a line break (the guest's agent takes it as one line)");
	}
	if (p->min > p->max)
		return mgr_fail(x, g, key, "min %u is above max %u", p->min, p->max);
	if (p->method == MGR_METHOD_VM && p->max > p->nb_vms)
		return mgr_fail(x, g, key, "max %u but only %u VMs in 'vms'", p->max, p->nb_vms);
	if (p->in_below >= p->out_above)
		return mgr_fail(x, g, key, "in_below %u must be below out_above %u (the band "
				"between them keeps the count steady)", p->in_below, p->out_above);
	return 0;
}

static int
mgr_parse_scale(struct mgr_cfg_ctx *x, const config_setting_t *list, struct mgr_cfg *c)
{
	char key[MGR_KEY_LEN];
	unsigned int i, j, n;
	int rc;

	if (config_setting_type(list) != CONFIG_TYPE_LIST)
		return mgr_fail(x, list, "scale", "expected a list ( { ... }, ... ), got %s",
				cfg_type_name(list));
	n = (unsigned int)config_setting_length(list);
	if (n > MGR_CFG_MAX_SCALE)
		return mgr_fail(x, list, "scale", "%u policies, at most %u", n, MGR_CFG_MAX_SCALE);
	if (n == 0)
		return 0;
	c->scale = calloc(n, sizeof(*c->scale));
	if (c->scale == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);

		snprintf(key, sizeof(key), "scale[%u]", i);
		rc = mgr_parse_scale_one(x, g, key, &c->scale[i]);
		if (rc < 0)
			return rc;
		c->nb_scale = i + 1;
		for (j = 0; j < i; j++)
			if (c->scale[j].role == c->scale[i].role) {
				snprintf(key, sizeof(key), "scale[%u].role", i);
				return mgr_fail(x, config_setting_get_member(g, "role"), key,
						"role %u has a policy already (scale[%u], line %u)",
						c->scale[i].role, j, c->scale[j].line);
			}
	}
	return 0;
}

int
mgr_cfg_ops_parse(struct mgr_cfg_ctx *x, const config_setting_t *s, struct mgr_cfg *c)
{
	const config_setting_t *found[MGR_MAX_FIELDS];
	int rc;

	if (strcmp(config_setting_name(s), "scale") == 0)
		return mgr_parse_scale(x, s, c);
	memset(&c->dos, 0, sizeof(c->dos));
	c->dos.hold_ms = 5000;
	rc = mgr_parse_object(x, s, "dos", mgr_dos_schema, &c->dos, found);
	if (rc == 0 && c->dos.src_pps == 0 && c->dos.syn_pps == 0)
		rc = mgr_fail(x, s, "dos", "detects nothing: give src_pps or syn_pps (packets/s)");
	/* white space only: each mitigation's start would fail ("empty command") */
	if (rc == 0 && c->dos.filter[strspn(c->dos.filter, " \t")] == '\0')
		rc = mgr_fail(x, found[mgr_field_idx(mgr_dos_schema, "filter")], "dos.filter",
			      "holds no word: give the filter NF to run");
	c->dos.on = rc == 0;
	c->dos.line = config_setting_source_line(s);
	return rc;
}

/*
 * A VM of `vms` may not take the name of a host process the manager runs
 * (r<ROLE>-<K> of a policy of method "process", the DoS filter's
 * dos-filter): both would write <state_dir>/<name>.log, QEMU's start
 * emptying the NF's output and the NF's lines read as QEMU's last words.
 */
static int
mgr_check_proc_names(struct mgr_cfg_ctx *x, const config_setting_t *root,
		     const struct mgr_cfg *c)
{
	const config_setting_t *list = config_setting_get_member(root, "vms");
	char key[MGR_KEY_LEN], name[MGR_CFG_NAME_LEN];
	unsigned int i, p, k;

	for (i = 0; i < c->nb_vms; i++) {
		const char *n = c->vms[i].name;
		const config_setting_t *at = config_setting_get_member(
			config_setting_get_elem(list, i), "name");

		snprintf(key, sizeof(key), "vms[%u].name", i);
		if (c->dos.on && c->dos.method == MGR_DOS_PROCESS && strcmp(n, "dos-filter") == 0)
			return mgr_fail(x, at, key, "'%s' is the name of the DoS filter's host "
					"process (its log %s.log in manager.state_dir): give the VM "
					"another name", n, n);
		for (p = 0; p < c->nb_scale; p++)
			for (k = 1; c->scale[p].method == MGR_METHOD_PROCESS &&
				    k <= c->scale[p].max; k++) {
				snprintf(name, sizeof(name), "r%u-%u", c->scale[p].role, k);
				if (strcmp(n, name) == 0)
					return mgr_fail(x, at, key, "'%s' is the name of a host "
							"process of scale[%u] (line %u; its log %s.log "
							"in manager.state_dir): give the VM another "
							"name", n, p, c->scale[p].line, n);
			}
	}
	return 0;
}

int
mgr_cfg_ops_check(struct mgr_cfg_ctx *x, const config_setting_t *root, const struct mgr_cfg *c)
{
	const config_setting_t *list = config_setting_get_member(root, "scale");
	char key[MGR_KEY_LEN];
	unsigned int i, k;
	int rc = mgr_check_proc_names(x, root, c);

	if (rc < 0)
		return rc;

	for (i = 0; i < c->nb_scale; i++) {
		const struct mgr_scale_cfg *p = &c->scale[i];
		const config_setting_t *g = config_setting_get_elem(list, i);

		snprintf(key, sizeof(key), "scale[%u].method", i);
		if (p->method == MGR_METHOD_IDLE && c->idle.count == 0)
			return mgr_fail(x, config_setting_get_member(g, "method"), key,
					"\"idle\" needs idle VMs: an idle group with count >= 1");

		snprintf(key, sizeof(key), "scale[%u].vms", i);
		for (k = 0; k < p->nb_vms; k++) {
			const struct mgr_vm_cfg *vm = mgr_cfg_vm(c, p->vms[k]);

			if (vm == NULL)
				return mgr_fail(x, g, key, "no VM '%s' in the vms list", p->vms[k]);
			if (vm->role != p->role || vm->autostart)
				return mgr_fail(x, g, key, "VM '%s' (line %u) must have role = %u and "
						"autostart = false: the policy starts it", vm->name,
						vm->line, p->role);
		}
		if (c->dos.on && c->dos.filter_role == p->role) {
			snprintf(key, sizeof(key), "dos.filter_role");
			return mgr_fail(x, config_setting_get_member(root, "dos"), key,
					"role %u is scaled by scale[%u] (line %u); the filter needs "
					"a role of its own", p->role, i, p->line);
		}
	}
	if (c->dos.on && c->dos.method == MGR_DOS_IDLE) {
		const config_setting_t *d = config_setting_get_member(root, "dos");

		if (c->idle.count == 0)
			return mgr_fail(x, config_setting_get_member(d, "method"), "dos.method",
					"\"idle\" needs idle VMs: an idle group with count >= 1");
		/* the manager runs it as sh -c '...; exec FILTER -- --rules FILE' */
		if (strchr(c->dos.filter, '\'') != NULL)
			return mgr_fail(x, config_setting_get_member(d, "filter"), "dos.filter",
					"with method \"idle\" the guest's command line cannot hold "
					"a single quote (the manager wraps it in sh -c '...')");
		if (strpbrk(c->dos.filter, "\n\r") != NULL)
			return mgr_fail(x, config_setting_get_member(d, "filter"), "dos.filter",
					"with method \"idle\" the guest's command line cannot hold "
					"a line break (the guest's agent takes it as one line)");
	}
	return 0;
}

/* The scaling policies of method "idle" need more idle VMs than there are. */
static int
warn_idle_min(const struct mgr_cfg *c, char *buf, size_t len)
{
	uint32_t need = 0;
	unsigned int k, n = 0;
	size_t at;

	for (k = 0; k < c->nb_scale; k++)
		if (c->scale[k].method == MGR_METHOD_IDLE) {
			need += c->scale[k].min;
			n++;
		}
	if (need <= c->idle.count)
		return -ENOENT;
	at = (size_t)snprintf(buf, len, "the scaling polic%s with method \"idle\" need%s %u idle "
			      "VM(s) for %s min (", n == 1 ? "y" : "ies", n == 1 ? "s" : "",
			      need, n == 1 ? "its" : "their");
	for (k = 0; k < c->nb_scale && at < len; k++)
		if (c->scale[k].method == MGR_METHOD_IDLE)
			at += (size_t)snprintf(buf + at, len - at, "%sscale[%u] at line %u: min %u",
					       at > 0 && buf[at - 1] != '(' ? ", " : "", k,
					       c->scale[k].line, c->scale[k].min);
	if (at < len)
		snprintf(buf + at, len - at, ") and idle.count = %u: the starts beyond it fail "
			 "and are retried every manager.restart_backoff_ms", c->idle.count);
	return 0;
}

/* Whether @name is an executable file: a path, or a name found on $PATH. */
static bool
executable(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char full[PATH_MAX];
	struct stat st;

	if (strchr(name, '/') != NULL)
		return stat(name, &st) == 0 && S_ISREG(st.st_mode) && access(name, X_OK) == 0;
	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (snprintf(full, sizeof(full), "%.*s/%s", (int)(end - p), end == p ? "." : p,
			     name) >= (int)sizeof(full))
			continue;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return true;
	}
	return false;
}

/* QEMU, which VMs of launcher "qemu" and the idle VMs run, cannot be run. */
static int
warn_qemu(const struct mgr_cfg *c, char *buf, size_t len)
{
	unsigned int k, n = 0;

	for (k = 0; k < c->nb_vms; k++)
		n += c->vms[k].launcher == MGR_LAUNCH_QEMU;
	if ((n == 0 && c->idle.count == 0) || executable(c->qemu))
		return -ENOENT;
	snprintf(buf, len, "manager.qemu: '%s' is not an executable file%s: %s cannot start "
		 "until it is installed", c->qemu, strchr(c->qemu, '/') ? "" : " on $PATH",
		 n > 0 && c->idle.count > 0 ? "the VMs of launcher \"qemu\" and the idle VMs" :
		 n > 0 ? "the VMs of launcher \"qemu\"" : "the idle VMs");
	return 0;
}

int
mgr_cfg_warning(const struct mgr_cfg *c, unsigned int i, char *buf, size_t len)
{
	static int (*const warn[])(const struct mgr_cfg *, char *, size_t) = {
		warn_idle_min, warn_qemu,
	};
	unsigned int k;

	for (k = 0; k < sizeof(warn) / sizeof(warn[0]); k++)
		if (warn[k](c, buf, len) == 0 && i-- == 0)
			return 0;
	return -ENOENT;
}
