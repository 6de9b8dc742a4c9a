/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_groups.c — trust_groups = ( { name = "..."; roles = [ ... ]; }, ... ).
 *
 * NFs of one trust group share pool regions and so trust each other with
 * packet bytes; another group's NFs get pools of their own, and a packet
 * crosses between groups only as a copy. Every role not listed is in the
 * group "default" (group 0).
 */
#include <stdio.h>
#include <string.h>

#include "cfg_priv.h"

/* Parse the trust_groups list into c->group_names and c->role_group.
 * Returns 0 or -EINVAL with the file, line and key. */
int
cfg_parse_groups(struct cfg_ctx *x, const config_setting_t *groups)
{
	static const char *const names[] = { "name", "roles" };
	char key[48], mkey[CFG_KEY_LEN];
	const config_setting_t *m[2];
	struct cfg *c = x->c;
	unsigned int i, j, g;
	const char *name;
	long long role;
	int rc;

	rc = cfg_check_list(x, groups, "trust_groups");
	if (rc < 0)
		return rc;
	for (i = 0; i < (unsigned int)config_setting_length(groups); i++) {
		snprintf(key, sizeof(key), "trust_groups[%u]", i);
		if (c->nb_groups == CFG_MAX_GROUPS)
			return cfg_fail(x, config_setting_get_elem(groups, i), key,
					"at most %u trust groups besides \"default\"",
					CFG_MAX_GROUPS - 1);
		rc = cfg_members(x, config_setting_get_elem(groups, i), key,
				 "{ name = \"...\"; roles = [ ... ]; }", names, 2, m);
		if (rc < 0)
			return rc;
		snprintf(mkey, sizeof(mkey), "%s.name", key);
		rc = cfg_get_name(x, m[0], mkey, &name);
		if (rc < 0)
			return rc;
		for (g = 0; g < c->nb_groups; g++)
			if (strcmp(c->group_names[g], name) == 0)
				return cfg_fail(x, m[0], mkey, "duplicate trust group '%s'", name);
		g = c->nb_groups++;
		memcpy(c->group_names[g], name, strlen(name) + 1);

		snprintf(mkey, sizeof(mkey), "%s.roles", key);
		if (!config_setting_is_array(m[1]) || config_setting_length(m[1]) == 0)
			return cfg_fail(x, m[1], mkey, "expected a non-empty array [ N, ... ], got %s",
					cfg_type_name(m[1]));
		for (j = 0; j < (unsigned int)config_setting_length(m[1]); j++) {
			char rkey[CFG_KEY_LEN + 16];

			snprintf(rkey, sizeof(rkey), "%s[%u]", mkey, j);
			rc = cfg_get_int(x, config_setting_get_elem(m[1], j), rkey, 0,
					 CFG_MAX_ROLES - 1, &role);
			if (rc < 0)
				return rc;
			if (c->role_group[role] != 0)
				return cfg_fail(x, config_setting_get_elem(m[1], j), rkey,
						"role %lld is already in trust group '%s'", role,
						c->group_names[c->role_group[role]]);
			c->role_group[role] = (uint8_t)g;
		}
	}
	return 0;
}
