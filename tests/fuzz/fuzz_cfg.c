/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_cfg.c — the core engine's configuration parser (core/cfg*.c) on any
 * text. A file is either refused with a message, leaving the defaults, or
 * gives a struct cfg that keeps the promises of cfg.h: the rest of the core
 * uses it without checking again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "fuzz.h"

static void
check_loaded(const struct cfg *c)
{
	unsigned int i, j;

	FUZZ_CHECK(c->nb_chains <= CFG_MAX_CHAINS + CFG_MAX_ROLES, "%u chains", c->nb_chains);
	FUZZ_CHECK(c->nb_rules <= CFG_MAX_RULES, "%u rules", c->nb_rules);
	FUZZ_CHECK(c->nb_chains == 0 || c->chains != NULL, "chains missing");
	FUZZ_CHECK(c->nb_rules == 0 || c->rules != NULL, "rules missing");
	FUZZ_CHECK(memchr(c->socket_path, '\0', sizeof(c->socket_path)) != NULL &&
		   memchr(c->file_prefix, '\0', sizeof(c->file_prefix)) != NULL &&
		   memchr(c->hugepage_dir, '\0', sizeof(c->hugepage_dir)) != NULL,
		   "a string without its NUL");
	FUZZ_CHECK(c->queues >= 1, "queues %u", c->queues);
	for (i = 0; i < c->nb_chains; i++) {
		const struct cfg_chain *ch = &c->chains[i];

		FUZZ_CHECK(ch->len >= 1 && ch->len <= CFG_MAX_CHAIN_LEN, "chain %u: %u roles", i,
			   ch->len);
		FUZZ_CHECK(memchr(ch->name, '\0', sizeof(ch->name)) != NULL, "chain %u name", i);
		for (j = 0; j < ch->len; j++)
			FUZZ_CHECK(ch->roles[j] < CFG_MAX_ROLES, "chain %u role %u", i,
				   ch->roles[j]);
	}
	for (i = 0; i < c->nb_rules; i++) {
		const struct cfg_rule *r = &c->rules[i];
		uint32_t sm = r->src_len ? ~0u << (32 - r->src_len) : 0;
		uint32_t dm = r->dst_len ? ~0u << (32 - r->dst_len) : 0;

		FUZZ_CHECK(r->in_port == CFG_ANY_PORT || r->in_port < CFG_MAX_PORTS,
			   "rule %u in_port %u", i, r->in_port);
		FUZZ_CHECK(r->src_len <= 32 && r->dst_len <= 32, "rule %u prefix length", i);
		FUZZ_CHECK((r->src_ip & ~sm) == 0 && (r->dst_ip & ~dm) == 0,
			   "rule %u keeps host bits", i);
		FUZZ_CHECK(r->sport_lo <= r->sport_hi && r->dport_lo <= r->dport_hi,
			   "rule %u: empty port range", i);
		FUZZ_CHECK(r->target == CFG_TARGET_DROP || r->target < c->nb_chains,
			   "rule %u target %u of %u chains", i, r->target, c->nb_chains);
	}
	FUZZ_CHECK(c->default_target == CFG_TARGET_DROP || c->default_target < c->nb_chains,
		   "default target %u", c->default_target);
	FUZZ_CHECK(c->nb_groups >= 1 && c->nb_groups <= CFG_MAX_GROUPS, "%u groups",
		   c->nb_groups);
	for (i = 0; i < CFG_MAX_ROLES; i++)
		FUZZ_CHECK(c->role_group[i] < c->nb_groups, "role %u in group %u", i,
			   c->role_group[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c, *def;
	char err[512];
	char *text;
	int rc;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	c = malloc(sizeof(*c));
	def = malloc(sizeof(*def));
	if (text == NULL || c == NULL || def == NULL)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	rc = cfg_parse_string(text, "fuzz.conf", c, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "returned %d", rc);
	if (rc < 0) {
		cfg_defaults(def);
		FUZZ_CHECK(err[0] != '\0' && strncmp(err, "fuzz.conf", 9) == 0,
			   "refused without naming the file: '%s'", err);
		FUZZ_CHECK(c->nb_rules == 0 && c->rules == NULL && c->nb_chains == 0 &&
			   c->chains == NULL, "a refused file left rules or chains");
		FUZZ_CHECK(memcmp(c, def, sizeof(*c)) == 0, "a refused file left more than defaults");
	} else {
		check_loaded(c);
		cfg_free(c);
	}
out:
	free(text);
	free(c);
	free(def);
	return 0;
}
