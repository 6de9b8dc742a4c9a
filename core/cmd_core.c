/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_core.c — the core's own commands on its command socket ("core LEN"
 * requests, docs/control.md "Core commands"): list and change the rules,
 * chains, default and role names in force, or put a whole new file in force.
 *
 *   rule list                  rule add [N] RULE[, RULE...]    rule del N
 *   default set TARGET         chain list   chain set NAME ROLE[,ROLE...]
 *   chain del NAME             role list    role name ID NAME|-
 *   reload [DIR]               (the request's data: a whole configuration; its
 *                              @include paths from DIR, the file's directory)
 *
 * A rule is written as in the file's rules list, in libconfig syntax:
 * `rule add 2 { dst = "10.1.0.0/16"; chain = "fw"; }`, and goes through
 * the file's parser (cfg_rules_parse). Each change is made on a copy of the
 * configuration in force, checked whole and built into a new classifier
 * before anything is published (rules.c): a change refused for any reason
 * changes nothing. The first line is the command; what follows it is its
 * data (rule text may continue there; reload's file is there).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"

#define CC_ERR_LEN 512

/* The next word of *p (NUL-terminated in place), or "" at the end. */
static char *
word(char **p)
{
	char *w;

	*p += strspn(*p, " \t\r");
	w = *p;
	*p += strcspn(*p, " \t\r");
	if (**p != '\0')
		*(*p)++ = '\0';
	return w;
}

/* The words of "reload" after the verb at @p: none, or DIR in *@dir
 * (NULL: none). False when there are more. */
static bool
reload_args(char *p, char **dir)
{
	char *w = word(&p);

	*dir = w[0] != '\0' ? w : NULL;
	return *word(&p) == '\0';
}

/* Parse a rule, role or instance number: any decimal, one above UINT_MAX
 * read as UINT_MAX (out of every range: a refusal names such a number as
 * written, too_large()); -1 when @w is not a decimal. */
static long
number(const char *w)
{
	unsigned long long v;
	char *end;

	if (w[0] < '0' || w[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(w, &end, 10);
	if (*end != '\0')
		return -1;
	return errno == ERANGE || v > UINT_MAX ? (long)UINT_MAX : (long)v;
}

/* Whether @w, which number() read as @n, is larger than UINT_MAX: a
 * refusal must name it as written, not as UINT_MAX. */
static bool
too_large(const char *w, long n)
{
	return n == (long)UINT_MAX && strcmp(w + strspn(w, "0"), "4294967295") != 0;
}

/* Whether @data (what followed the command's line) holds more than blanks. */
static bool
has_data(const char *data)
{
	return data[strspn(data, " \t\r\n")] != '\0';
}

static void
list_rules(const struct cfg *cfg, FILE *f)
{
	char buf[512];
	unsigned int i;

	for (i = 0; i < cfg->nb_rules; i++) {
		cfg_rule_format(cfg, &cfg->rules[i], buf, sizeof(buf));
		if (cfg->rules[i].line != 0)
			fprintf(f, "%u %s  # line %u\n", i, buf, cfg->rules[i].line);
		else
			fprintf(f, "%u %s\n", i, buf);
	}
	cfg_target_format(cfg, cfg->default_target, buf, sizeof(buf));
	fprintf(f, "default { %s }\n", buf);
}

static void
list_chains(const struct core *c, FILE *f)
{
	const struct cfg *cfg = &c->cfg;
	unsigned int i, j;

	for (i = 0; i < cfg->nb_chains; i++) {
		fprintf(f, "%s ", cfg->chains[i].name);
		for (j = 0; j < cfg->chains[i].len; j++)
			fprintf(f, "%s%u", j ? "," : "", cfg->chains[i].roles[j]);
		fprintf(f, "  # slot %u\n", c->rules->slot[i]);
	}
}

static void
list_roles(const struct core *c, FILE *f)
{
	const struct cfg *cfg = &c->cfg;
	const struct core_view *v = c->view; /* the control thread publishes it */
	unsigned int r, i, j;

	for (r = 0; r < CFG_MAX_ROLES; r++) {
		bool first = true;

		if (!c->role_used[r] && v->nb_inst[r] == 0)
			continue;
		fprintf(f, "%u %s instances=%u chains=", r,
			cfg->role_names[r][0] ? cfg->role_names[r] : "-", v->nb_inst[r]);
		for (i = 0; i < cfg->nb_chains; i++) {
			for (j = 0; j < cfg->chains[i].len && cfg->chains[i].roles[j] != r; j++)
				;
			if (j < cfg->chains[i].len) {
				fprintf(f, "%s%s", first ? "" : ",", cfg->chains[i].name);
				first = false;
			}
		}
		fprintf(f, "%s\n", first ? "-" : "");
	}
}

static void
help(FILE *f)
{
	fputs("rule list                      the rules in force, numbered, and the default\n"
	      "rule add [N] RULE[, RULE...]   insert before rule N (default: append); a RULE\n"
	      "                               as in the file: { dst = \"10.1.0.0/16\"; role = 2; }\n"
	      "rule del N                     delete rule N\n"
	      "default set TARGET             { role = N; }, { chain = \"NAME\"; } or\n"
	      "                               { action = \"drop\"; }\n"
	      "chain list                     the chains: NAME ROLE,ROLE...\n"
	      "chain set NAME ROLE[,ROLE...]  define a chain or change its roles (ids or names)\n"
	      "chain del NAME                 delete a chain no rule uses\n"
	      "role list                      roles named, used or served: ID NAME instances=N\n"
	      "role name ID NAME|-            name a role (- takes its name away)\n"
	      "reload [DIR]                   put the configuration sent as data in force (its\n"
	      "                               @include paths from DIR, absolute, if given)\n"
	      "instance drain|handover|undrain ID  no new flow on instance ID (handover: move its\n"
	      "                               flows once it is empty) / place again\n"
	      "dos list                       the attack detector's limits, the sources and the\n"
	      "                               SYN-flooded roles it lists\n"
	      "dos set src_pps N              list sources over N packets/s (0: off)\n"
	      "dos set syn_pps N              list roles getting over N TCP SYNs/s (0: off)\n"
	      "dos clear                      forget the listed sources and SYN-flooded roles\n",
	      f);
}

/*
 * Apply change @verb (its words in @p, its data in @data) to @next, a copy
 * of the configuration in force. 0, or a negative errno with @err filled;
 * -ENOTSUP for a command that is not a change.
 */
static int
change(struct core *c, const char *verb, char *p, const char *data, struct cfg *next,
       char *what, size_t wlen, char *err, size_t errlen)
{
	char *obj = word(&p), *a;
	long n;
	int rc;

	if (has_data(data) &&
	    ((strcmp(verb, "rule") == 0 && strcmp(obj, "del") == 0) ||
	     (strcmp(verb, "default") == 0 && strcmp(obj, "set") == 0) ||
	     (strcmp(verb, "chain") == 0 && (strcmp(obj, "set") == 0 || strcmp(obj, "del") == 0)) ||
	     (strcmp(verb, "role") == 0 && strcmp(obj, "name") == 0))) {
		/* the words are the whole command: data would be left unread */
		snprintf(err, errlen, "%s %s takes no data after its line (only rule add and "
			 "reload do)", verb, obj);
		return -EINVAL;
	}
	if (strcmp(verb, "rule") == 0 && strcmp(obj, "add") == 0) {
		char *text, *q = p + strspn(p, " \t");
		size_t tl;

		n = next->nb_rules;
		if (*q >= '0' && *q <= '9') {
			a = word(&p);
			n = number(a);
			if (n < 0) {
				snprintf(err, errlen, "rule add: the position is a rule number");
				return -EINVAL;
			}
			if (too_large(a, n)) {
				snprintf(err, errlen, "rule %s: there are %u rules (0..%u); 'rule add "
					 "%u' appends", a, next->nb_rules, next->nb_rules,
					 next->nb_rules);
				return -ERANGE;
			}
		}
		tl = strlen(p) + strlen(data) + 2;
		text = malloc(tl);
		if (text == NULL)
			return -ENOMEM;
		snprintf(text, tl, "%s\n%s", p, data);
		rc = cfg_rule_add(next, (unsigned int)n, text, "rule add", err, errlen);
		free(text);
		snprintf(what, wlen, "rule %ld added", n);
		return rc;
	}
	if (strcmp(verb, "rule") == 0 && strcmp(obj, "del") == 0) {
		a = word(&p);
		n = number(a);
		if (n < 0) {
			snprintf(err, errlen, "rule del N: '%s' is not a rule number", a);
			return -EINVAL;
		}
		p += strspn(p, " \t\r");
		if (*p != '\0') {
			snprintf(err, errlen, "rule del N: one rule number, not '%s %s'", a, p);
			return -EINVAL;
		}
		if (too_large(a, n)) {
			snprintf(err, errlen, "no rule %s: there are %u rules%s", a, next->nb_rules,
				 next->nb_rules ? " ('rule list' numbers them)" : "");
			return -ERANGE;
		}
		snprintf(what, wlen, "rule %ld deleted", n);
		return cfg_rule_del(next, (unsigned int)n, err, errlen);
	}
	if (strcmp(verb, "default") == 0 && strcmp(obj, "set") == 0) {
		snprintf(what, wlen, "default set");
		return cfg_default_set(next, p, "default set", err, errlen);
	}
	if (strcmp(verb, "chain") == 0 && strcmp(obj, "set") == 0) {
		a = word(&p);
		snprintf(what, wlen, "chain %s set", a);
		return cfg_chain_set(next, a, p, err, errlen);
	}
	if (strcmp(verb, "chain") == 0 && strcmp(obj, "del") == 0) {
		a = word(&p);
		if (*word(&p) != '\0') {
			snprintf(err, errlen, "chain del NAME: one name");
			return -EINVAL;
		}
		snprintf(what, wlen, "chain %s deleted", a);
		return cfg_chain_del(next, a, err, errlen);
	}
	if (strcmp(verb, "role") == 0 && strcmp(obj, "name") == 0) {
		a = word(&p);
		n = number(a);
		obj = word(&p);
		if (n < 0 || obj[0] == '\0' || *word(&p) != '\0') {
			snprintf(err, errlen, "role name ID NAME|-: want a role id and a name");
			return -EINVAL;
		}
		if (too_large(a, n)) {
			snprintf(err, errlen, "role %s: roles are 0..%u", a, CFG_MAX_ROLES - 1);
			return -EINVAL;
		}
		snprintf(what, wlen, "role %ld named", n);
		return cfg_role_name(next, (unsigned int)n, obj, err, errlen);
	}
	(void)c;
	return -ENOTSUP;
}

/* "reload [DIR]": the data is a whole configuration file; its @include
 * paths are taken from DIR (the file's directory, absolute) when given, as
 * at start-up from the -c file's, else as they are written. */
static int
reload(struct core *c, const char *dir, const char *data, struct cfg *next, char *err,
       size_t errlen)
{
	struct stat st;
	int rc;

	if (data[0] == '\0') {
		snprintf(err, errlen, "reload: send the configuration as data");
		return -EINVAL;
	}
	if (dir != NULL && (dir[0] != '/' || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "reload %.200s: the directory @include paths are taken from "
			 "must be an absolute path to a directory", dir);
		return -EINVAL;
	}
	rc = cfg_parse_string_in(data, "reload", dir, c->cfg.nb_ports, next, err, errlen);
	if (rc == 0)
		rc = cfg_restart_check(&c->cfg, next, err, errlen);
	return rc;
}

/*
 * "instance drain ID", "instance handover ID", "instance undrain ID": the
 * flow table places no new flow on instance ID while another instance of
 * its role takes them; with drain its flows stay on it, with handover they
 * move to the other instances once it has no packet in flight (flows.h);
 * nf<ID>_flows says how many are left. Control thread.
 */
static int
instance(struct core *c, char *p, FILE *f, char *err, size_t errlen)
{
	static const char *const verbs[] = {
		[CORE_DRAIN_OFF] = "undrain", [CORE_DRAIN_KEEP] = "drain",
		[CORE_DRAIN_HANDOVER] = "handover",
	};
	static const char *const says[] = {
		[CORE_DRAIN_OFF] = "takes new flows",
		[CORE_DRAIN_KEEP] = "draining: no new flows",
		[CORE_DRAIN_HANDOVER] = "handed over: no new flows, its flows move once it is empty",
	};
	char *verb = word(&p), *a = word(&p);
	long id = number(a);
	struct core_nf *nf;
	unsigned int how;

	for (how = 0; how < RTE_DIM(verbs) && strcmp(verb, verbs[how]) != 0; how++)
		;
	if (how == RTE_DIM(verbs) || id < 0 || *word(&p) != '\0') {
		snprintf(err, errlen, "instance drain|handover|undrain ID");
		return -EINVAL;
	}
	if (c->flows == NULL) {
		snprintf(err, errlen, "instance %s: needs core.placement = \"load\" (with "
			 "\"hash\" placement an instance's flows cannot stay on it)", verb);
		return -ENOTSUP;
	}
	pthread_mutex_lock(&c->nf_lock);
	nf = id < CORE_MAX_NFS ? c->nfs[id] : NULL; /* no instance has a larger id */
	if (nf != NULL)
		__atomic_store_n(&nf->draining, (uint8_t)how, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->nf_lock);
	if (nf == NULL) {
		/* named as written: a number past UINT_MAX was read as UINT_MAX */
		snprintf(err, errlen, "instance %s: no instance %s (see 'nf list')", verb, a);
		return -ENOENT;
	}
	fprintf(f, "instance %ld %s\n", id, says[how]);
	printf("instance %ld %s\n", id, says[how]);
	fflush(stdout);
	return 0;
}

/*
 * Run core command @text (@len bytes, NUL after them): the first line is
 * the command, the rest its data. The answer (malloc'd, *out_len bytes) in
 * *out. Returns 0, or a negative errno with the reason as the answer
 * (*out NULL only when out of memory).
 */
int
core_cmd_core(struct core *c, const char *text, size_t len, char **out, size_t *out_len)
{
	char err[CC_ERR_LEN] = "", what[96] = "", *line, *p, *verb, *dir;
	const char *data;
	struct cfg next;
	bool changing;
	size_t ll;
	FILE *f;
	int rc;

	*out = NULL;
	*out_len = 0;
	cfg_defaults(&next); /* freed on every path, a refusal before parsing too */
	f = open_memstream(out, out_len);
	if (f == NULL)
		return -ENOMEM;
	if ((data = memchr(text, '\0', len)) != NULL) {
		/* the command and its data are text: a NUL would cut them short */
		fprintf(f, "a NUL byte at byte %zu of the command; commands, rules and "
			"configurations are text\n", (size_t)(data - text));
		fclose(f);
		return -EINVAL;
	}
	data = memchr(text, '\n', len);
	ll = data != NULL ? (size_t)(data - text) : len;
	data = data != NULL ? data + 1 : "";
	line = strndup(text, ll);
	if (line == NULL) {
		fclose(f);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	while (ll > 0 && (line[ll - 1] == ' ' || line[ll - 1] == '\t' || line[ll - 1] == '\r'))
		line[--ll] = '\0';
	p = line;
	verb = word(&p);
	p += strspn(p, " \t\r"); /* the blanks between words are any number */
	rc = 0;
	changing = false;
	if (has_data(data) && (strcmp(verb, "help") == 0 || strcmp(verb, "dos") == 0 ||
			       strcmp(verb, "instance") == 0 || strcmp(p, "list") == 0)) {
		snprintf(err, sizeof(err), "'%.*s' takes no data after its line (only rule add "
			 "and reload do)", (int)RTE_MIN(ll, (size_t)80), text);
		rc = -EINVAL;
	} else if (strcmp(verb, "help") == 0) {
		help(f);
	} else if (strcmp(verb, "rule") == 0 && strcmp(p, "list") == 0) {
		list_rules(&c->cfg, f);
	} else if (strcmp(verb, "chain") == 0 && strcmp(p, "list") == 0) {
		list_chains(c, f);
	} else if (strcmp(verb, "role") == 0 && strcmp(p, "list") == 0) {
		list_roles(c, f);
	} else if (strcmp(verb, "dos") == 0) {
		rc = core_dos_cmd(c->dos, p, f, err, sizeof(err));
	} else if (strcmp(verb, "instance") == 0) {
		rc = instance(c, p, f, err, sizeof(err));
	} else {
		changing = true;
		if (strcmp(verb, "reload") == 0 && reload_args(p, &dir)) {
			snprintf(what, sizeof(what), "reloaded");
			rc = reload(c, dir, data, &next, err, sizeof(err));
		} else if ((rc = cfg_copy(&next, &c->cfg)) == 0) {
			rc = change(c, verb, p, data, &next, what, sizeof(what), err, sizeof(err));
			if (rc == -ENOTSUP) {
				changing = false;
				cfg_free(&next);
				snprintf(err, sizeof(err), "unknown command '%.*s'; try 'help'",
					 (int)RTE_MIN(ll, (size_t)80), text);
			}
		}
		if (changing && rc == 0)
			rc = core_rules_apply(c, &next, err, sizeof(err));
		if (changing)
			cfg_free(&next);
	}
	if (rc == 0 && changing) {
		c->cfg_st.changes++;
		fprintf(f, "%s: %u rules, %u chains in force (change %" PRIu64 ")\n", what,
			c->cfg.nb_rules, c->cfg.nb_chains, c->cfg_st.changes);
		printf("config: %s (change %" PRIu64 ")\n", what, c->cfg_st.changes);
		fflush(stdout);
	} else if (rc < 0) {
		if (changing)
			c->cfg_st.refused++;
		fprintf(f, "%s\n", err[0] ? err : strerror(-rc));
	}
	free(line);
	fclose(f);
	return rc;
}
