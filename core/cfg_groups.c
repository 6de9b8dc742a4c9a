/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_groups.c — trust_groups = ( { name = "..."; roles = [ ... ];
 *                                  ports = [ ... ]; }, ... ).
 *
 * NFs of one trust group share pool regions and so trust each other with
 * packet bytes; another group's NFs get pools of their own, and a packet
 * crosses between groups only as a copy. Every role not listed is in the
 * group "default" (group 0). A port listed in a group's `ports` receives
 * into that group's pool (its packets for the group's NFs are never in
 * another group's memory); every other port into the default group's.
 */
#include <stdio.h>
#include <string.h>

#include "cfg_priv.h"

/* Parse @ports, the array trust_groups[..].ports at @key, into
 * c->port_group for group @g. Returns 0 or -EINVAL with the key. */
static int
cfg_group_ports(struct cfg_ctx *x, const config_setting_t *ports, const char *key, unsigned int g)
{
	struct cfg *c = x->c;
	unsigned int j;
	long long port;
	int rc;

	if (!config_setting_is_array(ports) || config_setting_length(ports) == 0)
		return cfg_fail(x, ports, key, "expected a non-empty array [ N, ... ], got %s",
				cfg_type_name(ports));
	for (j = 0; j < (unsigned int)config_setting_length(ports); j++) {
		const config_setting_t *e = config_setting_get_elem(ports, j);
		char pkey[CFG_KEY_LEN + 16];

		snprintf(pkey, sizeof(pkey), "%s[%u]", key, j);
		rc = cfg_get_int(x, e, pkey, 0, CFG_MAX_PORTS - 1, &port);
		if (rc < 0)
			return rc;
		if (c->port_group[port] != 0)
			return cfg_fail(x, e, pkey, "port %lld already receives into trust group '%s'",
					port, c->group_names[c->port_group[port]]);
		c->port_group[port] = (uint8_t)g;
	}
	return 0;
}

/* Parse the trust_groups list into c->group_names, c->role_group and
 * c->port_group. Returns 0 or -EINVAL with the file, line and key. */
int
cfg_parse_groups(struct cfg_ctx *x, const config_setting_t *groups)
{
	static const char *const names[] = { "name", "roles", "ports" };
	char key[48], mkey[CFG_KEY_LEN];
	const config_setting_t *m[3];
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
		rc = cfg_members_opt(x, config_setting_get_elem(groups, i), key,
				     "{ name = \"...\"; roles = [ ... ]; [ports = [ ... ];] }",
				     names, 3, 2, m);
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
		if (m[2] != NULL) {
			snprintf(mkey, sizeof(mkey), "%s.ports", key);
			rc = cfg_group_ports(x, m[2], mkey, g);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}
