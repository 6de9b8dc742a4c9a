/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_edit.c — changes to a configuration: the core's runtime commands
 * (rule add/del, chain set/del, role name, default) and the checks of a
 * whole file given to a running core.
 *
 * Every change is made on a copy (cfg_copy) and goes through the parser's
 * own code (cfg_rules_parse for rule text), so a rule given by command is
 * checked exactly like one in the file. No DPDK, no logging.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

static const char cfg_name_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";

static int
cfg_err(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
cfg_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool
cfg_name_ok(const char *name)
{
	return name[0] != '\0' && strlen(name) < CFG_NAME_LEN &&
	       name[strspn(name, cfg_name_chars)] == '\0';
}

/* Point @x's implicit chains at the "role:N" chains @c already has. */
static void
cfg_edit_implicit(struct cfg_ctx *x, const struct cfg *c)
{
	unsigned int i, role;
	char tail;

	memset(x->implicit, 0xff, sizeof(x->implicit));
	for (i = 0; i < c->nb_chains; i++)
		if (sscanf(c->chains[i].name, "role:%u%c", &role, &tail) == 1 &&
		    role < CFG_MAX_ROLES)
			x->implicit[role] = (uint16_t)i;
}

/*
 * Read into @lc the document "@key = @open TEXT\n@close;", whose one member
 * is @key, into *@s: the text starts on line 1, as the operator wrote it.
 * For messages, @shape says what TEXT holds, @want what it should be. 0, or
 * -EINVAL / -ENOMEM with @err filled; @lc is to be destroyed either way.
 */
static int
cfg_edit_read(config_t *lc, const char *key, const char *open, const char *close,
	      const char *shape, const char *want, const char *text, const char *name,
	      const config_setting_t **s, char *err, size_t errlen)
{
	size_t len = strlen(key) + strlen(open) + strlen(text) + strlen(close) + 8;
	const config_setting_t *root;
	char *doc;
	int rc;

	config_init(lc);
	config_set_auto_convert(lc, 0);
	doc = malloc(len);
	if (doc == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	snprintf(doc, len, "%s = %s%s\n%s;", key, open, text, close);
	rc = cfg_check_includes(doc, name, NULL, err, errlen);
	if (rc < 0) {
		free(doc);
		return rc;
	}
	if (config_read_string(lc, doc) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: syntax: %s (%s)", name, config_error_line(lc),
			 config_error_text(lc), shape);
		free(doc);
		return -EINVAL;
	}
	rc = cfg_check_ints(doc, name, NULL, err, errlen);
	free(doc);
	if (rc < 0)
		return rc;
	root = config_root_setting(lc);
	*s = config_setting_get_member(root, key);
	if (config_setting_length(root) != 1 || *s == NULL) {
		snprintf(err, errlen, "%s: expected %s", name, want);
		return -EINVAL;
	}
	return 0;
}

/*
 * Parse @text, rules as they appear inside "rules = ( ... );", against the
 * chains of @c (a "role = N" target may append an implicit chain to @c).
 * Used by the core's "rule add" command: the same keys, the same checks and
 * messages as the file, with @name in place of the file name.
 */
int
cfg_rules_parse(struct cfg *c, const char *text, const char *name, struct cfg_rule **out,
		unsigned int *nb, char *err, size_t errlen)
{
	struct cfg_ctx x = { .name = name, .err = err, .errlen = errlen, .c = c,
			     .chains_cap = c->nb_chains };
	const config_setting_t *rules;
	struct cfg_rule *r = NULL;
	char key[CFG_ELEM_LEN];
	unsigned int i, n;
	config_t lc;
	int rc;

	*out = NULL;
	*nb = 0;
	cfg_edit_implicit(&x, c);
	rc = cfg_edit_read(&lc, "rules", "( ", ")", "a rule is { KEY = VALUE; ... }",
			   "rules { KEY = VALUE; ... }, separated by commas", text, name, &rules,
			   err, errlen);
	if (rc < 0)
		goto out;
	if (config_setting_type(rules) != CONFIG_TYPE_LIST) {
		snprintf(err, errlen, "%s: expected rules { KEY = VALUE; ... }, separated by commas",
			 name);
		rc = -EINVAL;
		goto out;
	}
	n = (unsigned int)config_setting_length(rules);
	rc = -EINVAL;
	if (n == 0) {
		snprintf(err, errlen, "%s: 0 rules; give 1..%u", name, CFG_MAX_RULES);
		goto out;
	}
	if (n > CFG_MAX_RULES - c->nb_rules) {
		/* one text or many: past the limit by any count is -ENOSPC */
		snprintf(err, errlen, "%u rules in force and %u more: at most %u (the "
			 "classifier's limit)", c->nb_rules, n, CFG_MAX_RULES);
		rc = -ENOSPC;
		goto out;
	}
	r = calloc(n, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r[i].in_port = CFG_ANY_PORT;
		r[i].sport_hi = r[i].dport_hi = 65535;
		snprintf(key, sizeof(key), "rule[%u]", i);
		rc = cfg_parse_entry(&x, config_setting_get_elem(rules, i), key, true, &r[i]);
		if (rc < 0)
			goto out;
		r[i].line = 0; /* not from the file */
	}
	*out = r;
	*nb = n;
	r = NULL;
	if (errlen > 0)
		err[0] = '\0';
	rc = 0;
out:
	free(r);
	config_destroy(&lc);
	return rc;
}

/*
 * Parse one target, as the file's default ("role = N", "chain = NAME" or
 * "action = \"drop\"", in braces, no match key), against the chains of @c:
 * 0 with *target set, or -EINVAL with the reason, worded as for the file's
 * default ("NAME:LINE: default.KEY: ...").
 */
int
cfg_target_parse(struct cfg *c, const char *text, const char *name, uint16_t *target,
		 char *err, size_t errlen)
{
	struct cfg_ctx x = { .name = name, .err = err, .errlen = errlen, .c = c,
			     .chains_cap = c->nb_chains };
	const config_setting_t *def;
	struct cfg_rule r;
	config_t lc;
	int rc;

	cfg_edit_implicit(&x, c);
	rc = cfg_edit_read(&lc, "default", "", "", "the default is { TARGET; }",
			   "one target: { role = N; } or { chain = \"NAME\"; } or "
			   "{ action = \"drop\"; }", text, name, &def, err, errlen);
	if (rc == 0) {
		memset(&r, 0, sizeof(r));
		rc = cfg_parse_entry(&x, def, "default", false, &r);
		if (rc == 0)
			*target = r.target;
	}
	config_destroy(&lc);
	return rc;
}

int
cfg_copy(struct cfg *dst, const struct cfg *src)
{
	*dst = *src;
	dst->chains = NULL;
	dst->rules = NULL;
	if (src->nb_chains > 0) {
		dst->chains = malloc(src->nb_chains * sizeof(*dst->chains));
		if (dst->chains == NULL)
			goto nomem;
		memcpy(dst->chains, src->chains, src->nb_chains * sizeof(*dst->chains));
	}
	if (src->nb_rules > 0) {
		dst->rules = malloc(src->nb_rules * sizeof(*dst->rules));
		if (dst->rules == NULL)
			goto nomem;
		memcpy(dst->rules, src->rules, src->nb_rules * sizeof(*dst->rules));
	}
	return 0;
nomem:
	cfg_free(dst);
	return -ENOMEM;
}

int
cfg_rule_add(struct cfg *c, unsigned int at, const char *text, const char *name, char *err,
	     size_t errlen)
{
	struct cfg_rule *add, *all;
	unsigned int n;
	int rc;

	if (at > c->nb_rules)
		return cfg_err(err, errlen, -ERANGE, "rule %u: there are %u rules (0..%u); "
			       "'rule add %u' appends", at, c->nb_rules, c->nb_rules, c->nb_rules);
	rc = cfg_rules_parse(c, text, name, &add, &n, err, errlen);
	if (rc < 0)
		return rc;
	all = realloc(c->rules, (c->nb_rules + n) * sizeof(*all));
	if (all == NULL) {
		free(add);
		return cfg_err(err, errlen, -ENOMEM, "out of memory");
	}
	memmove(&all[at + n], &all[at], (c->nb_rules - at) * sizeof(*all));
	memcpy(&all[at], add, n * sizeof(*all));
	free(add);
	c->rules = all;
	c->nb_rules += n;
	return 0;
}

static bool
cfg_chain_used(const struct cfg *c, unsigned int ch, unsigned int *rule)
{
	unsigned int i;

	for (i = 0; i < c->nb_rules; i++) {
		if (c->rules[i].target == ch) {
			*rule = i;
			return true;
		}
	}
	*rule = CFG_MAX_RULES;
	return c->default_target == ch;
}

/* Remove chain @ch (nothing targets it) and renumber the targets after it. */
static void
cfg_chain_remove(struct cfg *c, unsigned int ch)
{
	unsigned int i;

	memmove(&c->chains[ch], &c->chains[ch + 1], (c->nb_chains - ch - 1) * sizeof(*c->chains));
	c->nb_chains--;
	for (i = 0; i < c->nb_rules; i++)
		if (c->rules[i].target != CFG_TARGET_DROP && c->rules[i].target > ch)
			c->rules[i].target--;
	if (c->default_target != CFG_TARGET_DROP && c->default_target > ch)
		c->default_target--;
}

/* Drop the implicit chains ("role:N") nothing targets any more. */
static void
cfg_implicit_gc(struct cfg *c)
{
	unsigned int i = c->nb_chains, rule;

	while (i-- > 0)
		if (strncmp(c->chains[i].name, "role:", 5) == 0 && !cfg_chain_used(c, i, &rule))
			cfg_chain_remove(c, i);
}

int
cfg_rule_del(struct cfg *c, unsigned int at, char *err, size_t errlen)
{
	if (at >= c->nb_rules)
		return cfg_err(err, errlen, -ERANGE, "no rule %u: there are %u rules%s", at,
			       c->nb_rules, c->nb_rules ? " ('rule list' numbers them)" : "");
	memmove(&c->rules[at], &c->rules[at + 1], (c->nb_rules - at - 1) * sizeof(*c->rules));
	c->nb_rules--;
	cfg_implicit_gc(c);
	return 0;
}

int
cfg_default_set(struct cfg *c, const char *text, const char *name, char *err, size_t errlen)
{
	uint16_t t;
	int rc = cfg_target_parse(c, text, name, &t, err, errlen);

	if (rc == 0) {
		c->default_target = t;
		cfg_implicit_gc(c);
	}
	return rc;
}

/* Role @word: an id 0..255 (digits only) or the name of one. 0 or -EINVAL. */
static int
cfg_role_of(const struct cfg *c, const char *word, uint16_t *role)
{
	unsigned long v;
	unsigned int i;
	char *end;

	if (word[0] != '\0' && word[strspn(word, "0123456789")] == '\0') {
		v = strtoul(word, &end, 10);
		if (v >= CFG_MAX_ROLES)
			return -EINVAL;
		*role = (uint16_t)v;
		return 0;
	}
	for (i = 0; i < CFG_MAX_ROLES; i++) {
		if (strcmp(c->role_names[i], word) == 0) {
			*role = (uint16_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
cfg_chain_set(struct cfg *c, const char *name, const char *roles, char *err, size_t errlen)
{
	struct cfg_chain ch = { .len = 0 };
	char *buf, *save = NULL, *w;
	unsigned int i;
	int rc = 0;

	if (!cfg_name_ok(name))
		return cfg_err(err, errlen, -EINVAL, "chain '%s': a name is 1..%u of letters, "
			       "digits, '_', '-', '.'", name, CFG_NAME_LEN - 1);
	/* as long as the command: 8 names of 31 characters and the blanks
	 * around them may take any length */
	buf = strdup(roles);
	if (buf == NULL)
		return cfg_err(err, errlen, -ENOMEM, "out of memory");
	/* no empty entry: nothing but blanks before, between or after commas */
	for (w = buf; strchr(roles, ',') != NULL && w != NULL; w = save) {
		save = strchr(w, ',');
		if (w[strspn(w, " \t")] == (save != NULL ? ',' : '\0')) {
			rc = cfg_err(err, errlen, -EINVAL, "chain %s: an empty role in '%s'; "
				     "give 1..%u, separated by commas", name, roles,
				     CFG_MAX_CHAIN_LEN);
			goto out;
		}
		if (save != NULL)
			save++;
	}
	save = NULL;
	for (w = strtok_r(buf, ", \t", &save); w != NULL; w = strtok_r(NULL, ", \t", &save)) {
		if (ch.len == CFG_MAX_CHAIN_LEN) {
			rc = cfg_err(err, errlen, -EINVAL, "chain %s: more than %u roles", name,
				     CFG_MAX_CHAIN_LEN);
			goto out;
		}
		if (cfg_role_of(c, w, &ch.roles[ch.len]) < 0) {
			rc = cfg_err(err, errlen, -EINVAL, "chain %s: unknown role '%s' (a role "
				     "is an id 0..%u or a name from 'role list')", name, w,
				     CFG_MAX_ROLES - 1);
			goto out;
		}
		ch.len++;
	}
out:
	free(buf);
	if (rc < 0)
		return rc;
	if (ch.len == 0)
		return cfg_err(err, errlen, -EINVAL, "chain %s: no roles; give 1..%u, "
			       "separated by commas", name, CFG_MAX_CHAIN_LEN);
	memcpy(ch.name, name, strlen(name) + 1);
	for (i = 0; i < c->nb_chains && strcmp(c->chains[i].name, name) != 0; i++)
		;
	if (i == c->nb_chains) {
		struct cfg_chain *all;
		unsigned int named = 0, j;

		/* as in a file: the implicit "role:N" chains come on top */
		for (j = 0; j < c->nb_chains; j++)
			named += strncmp(c->chains[j].name, "role:", 5) != 0;
		if (named >= CFG_MAX_CHAINS)
			return cfg_err(err, errlen, -ENOSPC, "chain %s: %u named chains already, "
				       "at most %u", name, named, CFG_MAX_CHAINS);
		all = realloc(c->chains, (c->nb_chains + 1) * sizeof(*all));
		if (all == NULL)
			return cfg_err(err, errlen, -ENOMEM, "out of memory");
		c->chains = all;
		c->nb_chains++;
	}
	c->chains[i] = ch;
	return 0;
}

int
cfg_chain_del(struct cfg *c, const char *name, char *err, size_t errlen)
{
	unsigned int i, rule;

	for (i = 0; i < c->nb_chains && strcmp(c->chains[i].name, name) != 0; i++)
		;
	if (i == c->nb_chains)
		return cfg_err(err, errlen, -ENOENT, "no chain '%s' ('chain list' shows them)", name);
	if (cfg_chain_used(c, i, &rule)) {
		if (rule == CFG_MAX_RULES)
			return cfg_err(err, errlen, -EBUSY, "chain %s is the default target; "
				       "change the default first", name);
		return cfg_err(err, errlen, -EBUSY, "chain %s is the target of rule %u; delete or "
			       "change that rule first", name, rule);
	}
	cfg_chain_remove(c, i);
	return 0;
}

int
cfg_role_name(struct cfg *c, unsigned int id, const char *name, char *err, size_t errlen)
{
	unsigned int i;

	if (id >= CFG_MAX_ROLES)
		return cfg_err(err, errlen, -EINVAL, "role %u: roles are 0..%u", id,
			       CFG_MAX_ROLES - 1);
	if (strcmp(name, "-") == 0) {
		c->role_names[id][0] = '\0';
		return 0;
	}
	if (!cfg_name_ok(name) || name[strspn(name, "0123456789")] == '\0')
		return cfg_err(err, errlen, -EINVAL, "role %u: '%s': a name is 1..%u of letters, "
			       "digits, '_', '-', '.', not only digits", id, name,
			       CFG_NAME_LEN - 1);
	for (i = 0; i < CFG_MAX_ROLES; i++)
		if (i != id && strcmp(c->role_names[i], name) == 0)
			return cfg_err(err, errlen, -EINVAL, "role %u: the name '%s' is role %u's",
				       id, name, i);
	memcpy(c->role_names[id], name, strlen(name) + 1);
	return 0;
}

#define CFG_SAME(k, m)                                                                   \
	do {                                                                             \
		if (memcmp(&run->m, &next->m, sizeof(run->m)) != 0)                      \
			return cfg_err(err, errlen, -EINVAL, "%s differs from the one in "  \
				       "force; it changes only with a restart", k);          \
	} while (0)

int
cfg_restart_check(const struct cfg *run, struct cfg *next, char *err, size_t errlen)
{
	CFG_SAME("core.file_prefix", file_prefix);
	CFG_SAME("core.hugepage_dir", hugepage_dir);
	CFG_SAME("core.pool_buffers", pool_buffers);
	CFG_SAME("core.buffer_size", buffer_size);
	CFG_SAME("core.mtu", mtu);
	CFG_SAME("core.ring_size", ring_size);
	CFG_SAME("core.alloc_ring_size", alloc_ring_size);
	CFG_SAME("core.queues", queues);
	CFG_SAME("core.nf_buffers", nf_buffers);
	CFG_SAME("core.group_buffers", group_buffers);
	CFG_SAME("core.placement", placement_name);
	CFG_SAME("core.rx_parse", rx_parse_name);
	CFG_SAME("core.flow_table_size", flow_table_size);
	CFG_SAME("core.flow_idle_ms", flow_idle_ms);
	CFG_SAME("trust_groups", nb_groups);
	CFG_SAME("trust_groups", group_names);
	CFG_SAME("trust_groups (roles)", role_group);
	CFG_SAME("trust_groups (ports)", port_group);
	memcpy(next->socket_path, run->socket_path, sizeof(next->socket_path));
	next->single_lcore = run->single_lcore;
	next->stats_interval = run->stats_interval;
	return 0;
}

void
cfg_take(struct cfg *run, struct cfg *next)
{
	free(run->chains);
	free(run->rules);
	memcpy(run->role_names, next->role_names, sizeof(run->role_names));
	run->nb_chains = next->nb_chains;
	run->chains = next->chains;
	run->nb_rules = next->nb_rules;
	run->rules = next->rules;
	run->default_target = next->default_target;
	run->lease_s = next->lease_s;
	next->chains = NULL;
	next->rules = NULL;
	cfg_free(next);
}

int
cfg_target_format(const struct cfg *c, uint16_t t, char *buf, size_t len)
{
	unsigned int role;
	char tail;

	if (t == CFG_TARGET_DROP || t >= c->nb_chains)
		return snprintf(buf, len, "action = \"drop\";");
	if (sscanf(c->chains[t].name, "role:%u%c", &role, &tail) == 1)
		return snprintf(buf, len, "role = %u;", role);
	return snprintf(buf, len, "chain = \"%s\";", c->chains[t].name);
}

/* The src (@dst false) or dst prefix of @r as "a.b.c.d/len" or "x:y::z/len". */
static void
cfg_prefix_format(char *buf, size_t len, const struct cfg_rule *r, bool dst)
{
	uint32_t ip = dst ? r->dst_ip : r->src_ip;
	char a6[INET6_ADDRSTRLEN];

	if (r->family == 6) {
		inet_ntop(AF_INET6, dst ? r->dst_ip6 : r->src_ip6, a6, sizeof(a6));
		snprintf(buf, len, "%s/%u", a6, dst ? r->dst_len : r->src_len);
		return;
	}
	snprintf(buf, len, "%u.%u.%u.%u/%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		 ip & 0xff, dst ? r->dst_len : r->src_len);
}

int
cfg_rule_format(const struct cfg *c, const struct cfg_rule *r, char *buf, size_t len)
{
	char tmp[64], tgt[64];
	size_t n = 0;

#define CFG_PUT(...)                                                              \
	do {                                                                      \
		int k = snprintf(buf + RTE_MIN_SZ(n, len), len > n ? len - n : 0, \
				 __VA_ARGS__);                                    \
		n += k > 0 ? (size_t)k : 0;                                       \
	} while (0)
#define RTE_MIN_SZ(a, b) ((a) < (b) ? (a) : (b))
	CFG_PUT("{ ");
	if (r->in_port != CFG_ANY_PORT)
		CFG_PUT("in_port = %u; ", r->in_port);
	if (r->proto != 0)
		CFG_PUT(r->proto == 6 ? "proto = \"tcp\"; " : r->proto == 17 ? "proto = \"udp\"; " :
			r->proto == 1 ? "proto = \"icmp\"; " :
			r->proto == 58 ? "proto = \"icmp6\"; " : "proto = %u; ", r->proto);
	if (r->src_len != 0) {
		cfg_prefix_format(tmp, sizeof(tmp), r, false);
		CFG_PUT("src = \"%s\"; ", tmp);
	}
	if (r->dst_len != 0) {
		cfg_prefix_format(tmp, sizeof(tmp), r, true);
		CFG_PUT("dst = \"%s\"; ", tmp);
	}
	if (r->sport_lo != 0 || r->sport_hi != 65535)
		CFG_PUT(r->sport_lo == r->sport_hi ? "sport = %u; " : "sport = \"%u-%u\"; ",
			r->sport_lo, r->sport_hi);
	if (r->dport_lo != 0 || r->dport_hi != 65535)
		CFG_PUT(r->dport_lo == r->dport_hi ? "dport = %u; " : "dport = \"%u-%u\"; ",
			r->dport_lo, r->dport_hi);
	cfg_target_format(c, r->target, tgt, sizeof(tgt));
	CFG_PUT("%s }", tgt);
#undef CFG_PUT
#undef RTE_MIN_SZ
	return (int)n;
}
