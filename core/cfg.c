/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg.c — parse and check the core engine's configuration file.
 *
 * libconfig reads the syntax; everything else is checked here, in one pass
 * over a declarative schema: unknown keys, wrong types and out-of-range
 * values are errors naming the file, line and key. Nothing is defaulted
 * silently: a key is either absent (its documented default applies) or
 * correct.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "cfg.h"
#include "cfg_priv.h"


/* ---- core = { ... } ---- */

enum cfg_kind { CFG_K_STR, CFG_K_U32, CFG_K_BOOL };

struct cfg_field {
	const char *key;
	enum cfg_kind kind;
	size_t off;  /* in struct cfg */
	size_t size; /* CFG_K_STR: buffer size */
	uint32_t min, max;
	bool pow2;
};

#define CFG_STR(k, m) \
	{ k, CFG_K_STR, offsetof(struct cfg, m), sizeof(((struct cfg *)0)->m), 0, 0, false }
#define CFG_U32(k, m, lo, hi, p2) { k, CFG_K_U32, offsetof(struct cfg, m), 0, lo, hi, p2 }
#define CFG_BOOL(k, m) { k, CFG_K_BOOL, offsetof(struct cfg, m), 0, 0, 0, false }

static const struct cfg_field cfg_core_fields[] = {
	CFG_STR("socket", socket_path),
	CFG_STR("file_prefix", file_prefix),
	CFG_STR("hugepage_dir", hugepage_dir),
	CFG_U32("pool_buffers", pool_buffers, 1024, CFG_MAX_POOL_BUFFERS, false),
	CFG_U32("buffer_size", buffer_size, 1024, CFG_MAX_BUFFER_SIZE, true),
	CFG_U32("mtu", mtu, 0, CFG_MAX_MTU, false),
	CFG_U32("ring_size", ring_size, 64, 65536, true),
	CFG_U32("alloc_ring_size", alloc_ring_size, 16, 4096, true),
	CFG_U32("queues", queues, 1, 16, false),
	CFG_BOOL("single_lcore", single_lcore),
	CFG_U32("stats_interval", stats_interval, 0, 86400, false),
	CFG_U32("lease_s", lease_s, 0, 86400, false),
	CFG_U32("nf_buffers", nf_buffers, 1, CFG_MAX_POOL_BUFFERS, false),
	CFG_U32("group_buffers", group_buffers, 1, CFG_MAX_POOL_BUFFERS, false),
	CFG_STR("placement", placement_name),
	CFG_STR("rx_parse", rx_parse_name),
	CFG_U32("flow_table_size", flow_table_size, 1024, 16777216, false),
	CFG_U32("flow_idle_ms", flow_idle_ms, 1, 3600000, false),
};

static int
cfg_parse_field(struct cfg_ctx *x, const struct cfg_field *f, const config_setting_t *s,
		const char *key)
{
	uint8_t *dst = (uint8_t *)x->c + f->off;
	const char *str;
	long long v;
	int rc;

	switch (f->kind) {
	case CFG_K_STR:
		rc = cfg_get_string(x, s, key, f->size, &str);
		if (rc == 0)
			memcpy(dst, str, strlen(str) + 1);
		return rc;
	case CFG_K_U32:
		rc = cfg_get_int(x, s, key, f->min, f->max, &v);
		if (rc < 0)
			return rc;
		if (f->pow2 && (v & (v - 1)) != 0)
			return cfg_fail(x, s, key, "%lld is not a power of two", v);
		*(uint32_t *)(void *)dst = (uint32_t)v;
		return 0;
	case CFG_K_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return cfg_fail(x, s, key, "expected true or false, got %s",
					cfg_type_name(s));
		*(bool *)(void *)dst = config_setting_get_bool(s) != 0;
		return 0;
	}
	return cfg_fail(x, s, key, "internal schema error");
}

/* Fill in the buffer budgets left out (three quarters of pool_buffers for
 * a group, all of the group's for one NF) and check neither exceeds what
 * holds it. Returns 0 or -EINVAL. */
static int
cfg_budgets(struct cfg_ctx *x, const config_setting_t *core)
{
	struct cfg *c = x->c;

	if (c->group_buffers == 0)
		c->group_buffers = c->pool_buffers - c->pool_buffers / 4;
	if (c->nf_buffers == 0)
		c->nf_buffers = c->group_buffers;
	if (c->group_buffers > c->pool_buffers)
		return cfg_fail(x, config_setting_get_member(core, "group_buffers"),
				"core.group_buffers", "%u is more than pool_buffers (%u)",
				c->group_buffers, c->pool_buffers);
	if (c->nf_buffers > c->group_buffers)
		return cfg_fail(x, config_setting_get_member(core, "nf_buffers"),
				"core.nf_buffers", "%u is more than group_buffers (%u)",
				c->nf_buffers, c->group_buffers);
	return 0;
}

/* Check that a frame of core.mtu bytes plus its Ethernet header fits one
 * buffer after the headroom (the core never chains buffers). Returns 0 or
 * -EINVAL with a message naming the buffer_size that would do. */
static int
cfg_mtu_check(struct cfg_ctx *x, const config_setting_t *core)
{
	const struct cfg *c = x->c;
	uint32_t frame = c->mtu + 14, room = c->buffer_size - CFG_HEADROOM, need = 1024;

	if (c->mtu == 0 || (c->mtu >= 68 && frame <= room))
		return 0;
	if (c->mtu < 68)
		return cfg_fail(x, config_setting_get_member(core, "mtu"), "core.mtu",
				"%u is below IPv4's minimum of 68 (0 keeps each device's own)",
				c->mtu);
	while (need - CFG_HEADROOM < frame)
		need *= 2;
	return cfg_fail(x, config_setting_get_member(core, "mtu"), "core.mtu",
			"%u needs frames of %u bytes, more than a buffer holds (%u: buffer_size "
			"%u minus %u of headroom); set buffer_size = %u", c->mtu, frame, room,
			c->buffer_size, CFG_HEADROOM, need);
}

/* core.file_prefix as the manager takes it, and a relative core.socket from
 * the file's directory, where the manager looks for it (one file may serve
 * both); a file that is no regular file (a pipe, -c <(...)) has no such
 * directory (/dev/fd is none). Returns 0 or -EINVAL. */
static int
cfg_core_paths(struct cfg_ctx *x, const config_setting_t *core)
{
	struct cfg *c = x->c;
	char path[sizeof(c->socket_path) + 1];
	const char *slash;
	struct stat st;
	int n;

	if (c->file_prefix[strspn(c->file_prefix, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")] != '\0')
		return cfg_fail(x, config_setting_get_member(core, "file_prefix"),
				"core.file_prefix", "'%s': use only letters, digits, '_', '-', '.'",
				c->file_prefix);
	if (!x->file || c->socket_path[0] == '/')
		return 0;
	if (stat(x->name, &st) == 0 && !S_ISREG(st.st_mode))
		return cfg_fail(x, config_setting_get_member(core, "socket"), "core.socket",
				"'%s' is relative, but %s is no regular file, whose directory it "
				"would be taken from: give an absolute path", c->socket_path,
				x->name);
	if ((slash = strrchr(x->name, '/')) == NULL)
		return 0;
	n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - x->name), x->name,
		     c->socket_path);
	if (n < 0 || (size_t)n >= sizeof(c->socket_path))
		return cfg_fail(x, config_setting_get_member(core, "socket"), "core.socket",
				"'%s' from the file's directory is '%.*s...', longer than %zu "
				"characters", c->socket_path, 40, path, sizeof(c->socket_path) - 1);
	memcpy(c->socket_path, path, (size_t)n + 1);
	return 0;
}

static int
cfg_parse_core(struct cfg_ctx *x, const config_setting_t *core)
{
	char key[CFG_KEY_LEN];
	unsigned int i, j;
	int rc;

	if (!config_setting_is_group(core))
		return cfg_fail(x, core, "core", "expected a group { ... }, got %s",
				cfg_type_name(core));
	/* derived from pool_buffers unless given */
	x->c->nf_buffers = x->c->group_buffers = 0;
	for (i = 0; i < (unsigned int)config_setting_length(core); i++) {
		const config_setting_t *s = config_setting_get_elem(core, i);
		const char *name = config_setting_name(s);

		snprintf(key, sizeof(key), "core.%s", name);
		for (j = 0; j < CFG_DIM(cfg_core_fields); j++)
			if (strcmp(name, cfg_core_fields[j].key) == 0)
				break;
		if (j == CFG_DIM(cfg_core_fields))
			return cfg_fail(x, s, key, "unknown key");
		rc = cfg_parse_field(x, &cfg_core_fields[j], s, key);
		if (rc < 0)
			return rc;
	}
	if (strcmp(x->c->placement_name, "hash") == 0)
		x->c->placement_load = false;
	else if (strcmp(x->c->placement_name, "load") == 0)
		x->c->placement_load = true;
	else
		return cfg_fail(x, config_setting_get_member(core, "placement"), "core.placement",
				"'%s' is neither \"hash\" nor \"load\"", x->c->placement_name);
	if (strcmp(x->c->rx_parse_name, "always") == 0)
		x->c->rx_parse_lazy = false;
	else if (strcmp(x->c->rx_parse_name, "when_needed") == 0)
		x->c->rx_parse_lazy = true;
	else
		return cfg_fail(x, config_setting_get_member(core, "rx_parse"), "core.rx_parse",
				"'%s' is neither \"always\" nor \"when_needed\"",
				x->c->rx_parse_name);
	rc = cfg_core_paths(x, core);
	if (rc == 0)
		rc = cfg_mtu_check(x, core);
	return rc < 0 ? rc : cfg_budgets(x, core);
}

/* ---- roles = ( { id = N; name = "..."; }, ... ) ---- */

static int
cfg_parse_roles(struct cfg_ctx *x, const config_setting_t *roles)
{
	static const char *const names[] = { "id", "name" };
	char key[CFG_ELEM_LEN], mkey[CFG_KEY_LEN];
	const config_setting_t *m[2];
	unsigned int i, j;
	const char *name;
	long long id;
	int rc;

	rc = cfg_check_list(x, roles, "roles");
	if (rc < 0)
		return rc;
	for (i = 0; i < (unsigned int)config_setting_length(roles); i++) {
		snprintf(key, sizeof(key), "roles[%u]", i);
		rc = cfg_members(x, config_setting_get_elem(roles, i), key,
				 "{ id = N; name = \"...\"; }", names, 2, m);
		if (rc < 0)
			return rc;
		snprintf(mkey, sizeof(mkey), "%s.id", key);
		rc = cfg_get_int(x, m[0], mkey, 0, CFG_MAX_ROLES - 1, &id);
		if (rc < 0)
			return rc;
		if (x->c->role_names[id][0] != '\0')
			return cfg_fail(x, m[0], mkey, "duplicate role id %lld", id);
		snprintf(mkey, sizeof(mkey), "%s.name", key);
		rc = cfg_get_name(x, m[1], mkey, &name);
		if (rc < 0)
			return rc;
		/* chain set takes a role id or name: a name must not read as either */
		if (name[strspn(name, "0123456789")] == '\0')
			return cfg_fail(x, m[1], mkey, "'%s': a role's name is not only digits "
					"(a role id)", name);
		if (strcmp(name, "-") == 0)
			return cfg_fail(x, m[1], mkey, "'-' is no name (role list shows it for a "
					"role without one)");
		for (j = 0; j < CFG_MAX_ROLES; j++)
			if (strcmp(x->c->role_names[j], name) == 0)
				return cfg_fail(x, m[1], mkey, "duplicate role name '%s' (role %u)",
						name, j);
		memcpy(x->c->role_names[id], name, strlen(name) + 1);
	}
	return 0;
}

/* ---- chains = ( { name = "..."; roles = [ ... ]; }, ... ) ---- */

static struct cfg_chain *
cfg_chain_append(struct cfg_ctx *x)
{
	struct cfg_chain *ch;

	if (x->c->nb_chains == x->chains_cap) {
		unsigned int cap = x->chains_cap ? 2 * x->chains_cap : 16;

		ch = realloc(x->c->chains, cap * sizeof(*ch));
		if (ch == NULL)
			return NULL;
		x->c->chains = ch;
		x->chains_cap = cap;
	}
	ch = &x->c->chains[x->c->nb_chains++];
	memset(ch, 0, sizeof(*ch));
	return ch;
}

static int
cfg_chain_roles(struct cfg_ctx *x, const config_setting_t *s, const char *key,
		struct cfg_chain *ch)
{
	char ekey[CFG_KEY_LEN + CFG_ELEM_LEN];
	unsigned int i, n;
	long long v;
	int rc;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return cfg_fail(x, s, key, "expected an array [ role, ... ], got %s",
				cfg_type_name(s));
	n = (unsigned int)config_setting_length(s);
	if (n < 1 || n > CFG_MAX_CHAIN_LEN)
		return cfg_fail(x, s, key, "%u roles; a chain has 1..%u", n, CFG_MAX_CHAIN_LEN);
	for (i = 0; i < n; i++) {
		snprintf(ekey, sizeof(ekey), "%s[%u]", key, i);
		rc = cfg_get_int(x, config_setting_get_elem(s, i), ekey, 0, CFG_MAX_ROLES - 1, &v);
		if (rc < 0)
			return rc;
		ch->roles[i] = (uint16_t)v;
	}
	ch->len = (uint8_t)n;
	return 0;
}

static int
cfg_parse_chains(struct cfg_ctx *x, const config_setting_t *chains)
{
	static const char *const names[] = { "name", "roles" };
	char key[CFG_ELEM_LEN], mkey[CFG_KEY_LEN];
	const config_setting_t *m[2];
	struct cfg_chain *ch;
	unsigned int i, j, n;
	const char *name;
	int rc;

	rc = cfg_check_list(x, chains, "chains");
	if (rc < 0)
		return rc;
	n = (unsigned int)config_setting_length(chains);
	if (n > CFG_MAX_CHAINS)
		return cfg_fail(x, chains, "chains", "%u chains; at most %u", n, CFG_MAX_CHAINS);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "chains[%u]", i);
		rc = cfg_members(x, config_setting_get_elem(chains, i), key,
				 "{ name = \"...\"; roles = [ ... ]; }", names, 2, m);
		if (rc < 0)
			return rc;
		snprintf(mkey, sizeof(mkey), "%s.name", key);
		rc = cfg_get_name(x, m[0], mkey, &name);
		if (rc < 0)
			return rc;
		for (j = 0; j < x->c->nb_chains; j++)
			if (strcmp(x->c->chains[j].name, name) == 0)
				return cfg_fail(x, m[0], mkey, "duplicate chain name '%s'", name);
		ch = cfg_chain_append(x);
		if (ch == NULL)
			return cfg_fail(x, m[0], mkey, "out of memory");
		memcpy(ch->name, name, strlen(name) + 1);
		snprintf(mkey, sizeof(mkey), "%s.roles", key);
		rc = cfg_chain_roles(x, m[1], mkey, ch);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- targets: role = N | chain = "name" | action = "drop" ---- */

static bool
cfg_is_target_key(const char *name)
{
	return strcmp(name, "role") == 0 || strcmp(name, "chain") == 0 ||
	       strcmp(name, "action") == 0;
}

/* The implicit one-role chain of @role, created on first use. */
static int
cfg_implicit_chain(struct cfg_ctx *x, const config_setting_t *s, const char *key, uint16_t role,
		   uint16_t *target)
{
	struct cfg_chain *ch;

	if (x->implicit[role] == CFG_NO_CHAIN) {
		ch = cfg_chain_append(x);
		if (ch == NULL)
			return cfg_fail(x, s, key, "out of memory");
		snprintf(ch->name, sizeof(ch->name), "role:%u", role);
		ch->len = 1;
		ch->roles[0] = role;
		x->implicit[role] = (uint16_t)(x->c->nb_chains - 1);
	}
	*target = x->implicit[role];
	return 0;
}

static int
cfg_parse_target(struct cfg_ctx *x, const config_setting_t *s, const char *key,
		 uint16_t *target)
{
	const char *name = config_setting_name(s);
	const char *str;
	unsigned int i;
	long long v;
	int rc;

	if (strcmp(name, "role") == 0) {
		rc = cfg_get_int(x, s, key, 0, CFG_MAX_ROLES - 1, &v);
		if (rc < 0)
			return rc;
		return cfg_implicit_chain(x, s, key, (uint16_t)v, target);
	}
	if (strcmp(name, "chain") == 0) {
		/* a chain's name, so never an implicit chain's "role:N" */
		rc = cfg_get_name(x, s, key, &str);
		if (rc < 0)
			return rc;
		for (i = 0; i < x->c->nb_chains && strcmp(x->c->chains[i].name, str) != 0; i++)
			;
		*target = (uint16_t)i;
		if (i == x->c->nb_chains)
			return cfg_fail(x, s, key, "unknown chain '%s' (define it in chains)", str);
		return 0;
	}
	rc = cfg_get_string(x, s, key, CFG_NAME_LEN, &str);
	if (rc < 0)
		return rc;
	if (strcmp(str, "drop") != 0)
		return cfg_fail(x, s, key, "unknown action '%s' (the only action is \"drop\")", str);
	*target = CFG_TARGET_DROP;
	return 0;
}

/* ---- match keys ---- */

/* Whether @bytes (@n bytes, network order) have a bit set after the first @len. */
static bool
cfg_host_bits(const uint8_t *bytes, unsigned int n, unsigned long len)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned long first = i * 8ul;

		if (first + 8 <= len)
			continue;
		if ((bytes[i] & (first >= len ? 0xffu : 0xffu >> (len - first))) != 0)
			return true;
	}
	return false;
}

/*
 * "a.b.c.d/len" or "a.b.c.d" (= /32), or an IPv6 "x:y::z/len" or address
 * (= /128), host bits zero, into the src (@dst false) or dst prefix of @r.
 * A prefix of length > 0 sets the rule's family; the two prefixes of a
 * rule must be of one family.
 */
static int
cfg_parse_prefix(struct cfg_ctx *x, const config_setting_t *s, const char *key,
		 struct cfg_rule *r, bool dst)
{
	char addr[INET6_ADDRSTRLEN];
	const char *str, *slash;
	uint8_t bytes[16];
	unsigned long l, max;
	size_t alen;
	uint8_t family;
	char *end;
	int rc;

	rc = cfg_get_string(x, s, key, 64, &str);
	if (rc < 0)
		return rc;
	slash = strchr(str, '/');
	alen = slash ? (size_t)(slash - str) : strlen(str);
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, str, alen);
	addr[alen] = '\0';
	family = strchr(addr, ':') != NULL ? 6 : 4;
	max = family == 6 ? 128 : 32;
	l = max;
	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, bytes) != 1)
		goto bad;
	if (slash != NULL) {
		errno = 0;
		l = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 || l > max)
			return cfg_fail(x, s, key, "'%s': prefix length must be 0..%lu", str, max);
	}
	if (cfg_host_bits(bytes, family == 6 ? 16 : 4, l))
		return cfg_fail(x, s, key, "'%s' has bits set after the /%lu prefix", str, l);
	if (l > 0 && r->family != 0 && r->family != family)
		return cfg_fail(x, s, key, "'%s' is an IPv%u prefix, the rule's other prefix IPv%u: "
				"a rule matches one family (write two rules)", str, family,
				r->family);
	if (l > 0)
		r->family = family;
	if (family == 6) {
		memcpy(dst ? r->dst_ip6 : r->src_ip6, bytes, 16);
	} else {
		uint32_t ip = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 |
			      (uint32_t)bytes[2] << 8 | bytes[3];

		*(dst ? &r->dst_ip : &r->src_ip) = ip;
	}
	*(dst ? &r->dst_len : &r->src_len) = (uint8_t)l;
	return 0;
bad:
	return cfg_fail(x, s, key, "'%s' is neither an IPv4 prefix (a.b.c.d/len) nor an IPv6 "
			"prefix (x:y::z/len)", str);
}

/* "N", "A-B" (A <= B <= 65535) or an integer N. */
static int
cfg_parse_ports(struct cfg_ctx *x, const config_setting_t *s, const char *key, uint16_t *lo,
		uint16_t *hi)
{
	unsigned long a, b;
	const char *str;
	char *end;
	long long v;
	int rc;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		rc = cfg_get_int(x, s, key, 0, 65535, &v);
		if (rc == 0)
			*lo = *hi = (uint16_t)v;
		return rc;
	}
	str = config_setting_get_string(s);
	if (str[0] < '0' || str[0] > '9')
		goto bad;
	errno = 0;
	a = b = strtoul(str, &end, 10);
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			goto bad;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end != '\0' || errno != 0)
		goto bad;
	if (a > 65535 || b > 65535)
		return cfg_fail(x, s, key, "'%s': ports are 0..65535", str);
	if (a > b)
		return cfg_fail(x, s, key, "'%s': range is empty (%lu > %lu)", str, a, b);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
bad:
	return cfg_fail(x, s, key, "'%s' is not a port or range (N or A-B)", str);
}

static int
cfg_parse_proto(struct cfg_ctx *x, const config_setting_t *s, const char *key, uint8_t *proto)
{
	static const struct { const char *name; uint8_t num; } names[] = {
		{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmp6", 58 },
	};
	const char *str;
	unsigned int i;
	long long v;
	int rc;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		rc = cfg_get_int(x, s, key, 0, 255, &v);
		if (rc == 0)
			*proto = (uint8_t)v;
		return rc;
	}
	str = config_setting_get_string(s);
	for (i = 0; i < CFG_DIM(names); i++) {
		if (strcmp(str, names[i].name) == 0) {
			*proto = names[i].num;
			return 0;
		}
	}
	if (str[0] != '\0' && str[strspn(str, "0123456789")] == '\0')
		return cfg_fail(x, s, key, "'%s': a protocol number is written without quotes "
				"(proto = %s)", str, str);
	return cfg_fail(x, s, key, "unknown protocol '%s' (tcp, udp, icmp, icmp6, or a number "
			"0..255 without quotes)", str);
}

static int
cfg_parse_match(struct cfg_ctx *x, const config_setting_t *m, const char *key,
		struct cfg_rule *r)
{
	const char *name = config_setting_name(m);
	long long v;
	int rc;

	if (strcmp(name, "in_port") == 0) {
		rc = cfg_get_int(x, m, key, 0, CFG_MAX_PORTS - 1, &v);
		if (rc == 0 && x->c->nb_ports != 0 && v >= x->c->nb_ports)
			/* it would never match */
			return cfg_fail(x, m, key, "port %lld, but the core has only %u port(s) "
					"(ports 0..%u, from the EAL options)", v, x->c->nb_ports,
					x->c->nb_ports - 1);
		if (rc == 0)
			r->in_port = (uint16_t)v;
		return rc;
	}
	if (strcmp(name, "proto") == 0)
		return cfg_parse_proto(x, m, key, &r->proto);
	if (strcmp(name, "src") == 0)
		return cfg_parse_prefix(x, m, key, r, false);
	if (strcmp(name, "dst") == 0)
		return cfg_parse_prefix(x, m, key, r, true);
	if (strcmp(name, "sport") == 0)
		return cfg_parse_ports(x, m, key, &r->sport_lo, &r->sport_hi);
	if (strcmp(name, "dport") == 0)
		return cfg_parse_ports(x, m, key, &r->dport_lo, &r->dport_hi);
	return cfg_fail(x, m, key, "unknown key");
}

/*
 * The members of a rule (@match true) or of default (@match false): match
 * keys and exactly one target.
 */
int
cfg_parse_entry(struct cfg_ctx *x, const config_setting_t *g, const char *key, bool match,
		struct cfg_rule *r)
{
	const config_setting_t *first = NULL;
	char mkey[CFG_KEY_LEN];
	unsigned int i;
	int rc;

	if (!config_setting_is_group(g))
		return cfg_fail(x, g, key, "expected a group { ... }, got %s", cfg_type_name(g));
	for (i = 0; i < (unsigned int)config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);
		const char *name = config_setting_name(m);

		snprintf(mkey, sizeof(mkey), "%s.%s", key, name);
		if (cfg_is_target_key(name)) {
			if (first != NULL)
				return cfg_fail(x, m, mkey, "second target (%s already given); "
						"give exactly one of role, chain, action",
						config_setting_name(first));
			first = m;
			rc = cfg_parse_target(x, m, mkey, &r->target);
		} else if (match) {
			rc = cfg_parse_match(x, m, mkey, r);
		} else {
			rc = cfg_fail(x, m, mkey, "unknown key (default takes one of role, chain, action)");
		}
		if (rc < 0)
			return rc;
	}
	if (first == NULL)
		return cfg_fail(x, g, key, "no target; give one of role, chain, action");
	return 0;
}

static int
cfg_parse_rules(struct cfg_ctx *x, const config_setting_t *rules)
{
	char key[CFG_ELEM_LEN];
	unsigned int i, n;
	int rc;

	rc = cfg_check_list(x, rules, "rules");
	if (rc < 0)
		return rc;
	n = (unsigned int)config_setting_length(rules);
	if (n > CFG_MAX_RULES)
		return cfg_fail(x, rules, "rules", "%u rules; at most %u (the classifier's limit)", n,
				CFG_MAX_RULES);
	if (n == 0)
		return 0;
	x->c->rules = calloc(n, sizeof(*x->c->rules));
	if (x->c->rules == NULL)
		return cfg_fail(x, rules, "rules", "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(rules, i);
		struct cfg_rule *r = &x->c->rules[i];

		r->line = config_setting_source_line(g);
		r->in_port = CFG_ANY_PORT;
		r->sport_hi = r->dport_hi = 65535;
		x->c->nb_rules = i + 1;
		snprintf(key, sizeof(key), "rules[%u]", i);
		rc = cfg_parse_entry(x, g, key, true, r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the file ---- */

static int
cfg_parse_default(struct cfg_ctx *x, const config_setting_t *s)
{
	struct cfg_rule def;
	int rc;

	rc = cfg_parse_entry(x, s, "default", false, &def);
	if (rc == 0)
		x->c->default_target = def.target;
	return rc;
}

/* The sections, in the order they are checked: chains before the rules and default naming them. */
static const struct {
	const char *key;
	int (*parse)(struct cfg_ctx *x, const config_setting_t *s);
} cfg_sections[] = {
	{ "core", cfg_parse_core },
	{ "roles", cfg_parse_roles },
	{ "trust_groups", cfg_parse_groups },
	{ "chains", cfg_parse_chains },
	{ "rules", cfg_parse_rules },
	{ "default", cfg_parse_default },
	/* The manager's, in the same file: netvm-manager checks them. */
	{ "manager", NULL },
	{ "vms", NULL },
	{ "scale", NULL },
	{ "dos", NULL },
	{ "idle", NULL },
};

static int
cfg_parse_root(struct cfg_ctx *x, const config_setting_t *root)
{
	const config_setting_t *s;
	unsigned int i, j;
	int rc;

	for (i = 0; i < (unsigned int)config_setting_length(root); i++) {
		s = config_setting_get_elem(root, i);
		for (j = 0; j < CFG_DIM(cfg_sections); j++)
			if (strcmp(config_setting_name(s), cfg_sections[j].key) == 0)
				break;
		if (j == CFG_DIM(cfg_sections))
			return cfg_fail(x, s, config_setting_name(s),
					"unknown key (expected core, roles, trust_groups, chains, rules, "
					"default, manager, vms, scale, dos, idle)");
	}
	for (j = 0; j < CFG_DIM(cfg_sections); j++) {
		s = config_setting_get_member(root, cfg_sections[j].key);
		if (s != NULL && cfg_sections[j].parse != NULL &&
		    (rc = cfg_sections[j].parse(x, s)) < 0)
			return rc;
	}
	return 0;
}

void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", CFG_DEF_SOCKET);
	snprintf(c->hugepage_dir, sizeof(c->hugepage_dir), "%s", CFG_DEF_HUGEPAGE_DIR);
	c->pool_buffers = CFG_DEF_POOL_BUFFERS;
	c->buffer_size = CFG_DEF_BUFFER_SIZE;
	c->ring_size = CFG_DEF_RING_SIZE;
	c->alloc_ring_size = CFG_DEF_ALLOC_RING_SIZE;
	c->queues = CFG_DEF_QUEUES;
	c->lease_s = CFG_DEF_LEASE_S;
	snprintf(c->placement_name, sizeof(c->placement_name), "load");
	c->placement_load = true;
	snprintf(c->rx_parse_name, sizeof(c->rx_parse_name), "always");
	c->flow_table_size = CFG_DEF_FLOW_TABLE_SIZE;
	c->flow_idle_ms = CFG_DEF_FLOW_IDLE_MS;
	c->group_buffers = CFG_DEF_POOL_BUFFERS - CFG_DEF_POOL_BUFFERS / 4;
	c->nf_buffers = c->group_buffers;
	c->default_target = CFG_TARGET_DROP;
	c->nb_groups = 1;
	snprintf(c->group_names[0], sizeof(c->group_names[0]), "default");
}

void
cfg_free(struct cfg *c)
{
	free(c->chains);
	free(c->rules);
	cfg_defaults(c);
}

/* Check the text libconfig has read into @lc, for a core of @nb_ports ports
 * (0: not known); on error @c is reset. */
static int
cfg_build(config_t *lc, const char *name, bool file, unsigned int nb_ports, struct cfg *c,
	  char *err, size_t errlen)
{
	struct cfg_ctx x = { .name = name, .file = file, .err = err, .errlen = errlen, .c = c };
	int rc;

	cfg_defaults(c);
	c->nb_ports = nb_ports;
	memset(x.implicit, 0xff, sizeof(x.implicit));
	rc = cfg_parse_root(&x, config_root_setting(lc));
	if (rc < 0)
		cfg_free(c);
	else if (err != NULL && errlen > 0)
		err[0] = '\0';
	return rc;
}

static int
cfg_syntax_error(const config_t *lc, const char *name, struct cfg *c, char *err, size_t errlen)
{
	const char *file = config_error_file(lc) ? config_error_file(lc) : name;

	cfg_defaults(c);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s:%d: syntax: %s", file, config_error_line(lc),
			 config_error_text(lc));
	return -EINVAL;
}

int
cfg_parse_string(const char *text, const char *name, struct cfg *c, char *err, size_t errlen)
{
	return cfg_parse_string_ports(text, name, 0, c, err, errlen);
}

int
cfg_parse_string_ports(const char *text, const char *name, unsigned int nb_ports,
		       struct cfg *c, char *err, size_t errlen)
{
	return cfg_parse_string_in(text, name, NULL, nb_ports, c, err, errlen);
}

int
cfg_parse_string_in(const char *text, const char *name, const char *incdir,
		    unsigned int nb_ports, struct cfg *c, char *err, size_t errlen)
{
	config_t lc;
	int rc;

	config_init(&lc);
	config_set_auto_convert(&lc, 0);
	if (incdir != NULL)
		config_set_include_dir(&lc, incdir);
	if ((rc = cfg_check_includes(text, name, incdir, err, errlen)) < 0)
		cfg_defaults(c);
	else if (config_read_string(&lc, text) != CONFIG_TRUE)
		rc = cfg_syntax_error(&lc, name, c, err, errlen);
	else if ((rc = cfg_check_ints(text, name, incdir, err, errlen)) < 0)
		cfg_defaults(c);
	else
		rc = cfg_build(&lc, name, false, nb_ports, c, err, errlen);
	config_destroy(&lc);
	return rc;
}

int
cfg_load(const char *path, struct cfg *c, char *err, size_t errlen)
{
	return cfg_load_ports(path, 0, c, err, errlen);
}

int
cfg_load_ports(const char *path, unsigned int nb_ports, struct cfg *c, char *err,
	       size_t errlen)
{
	config_t lc;
	int rc;

	config_init(&lc);
	rc = cfg_read_file(&lc, path, err, errlen);
	if (rc == 0)
		rc = cfg_build(&lc, path, true, nb_ports, c, err, errlen);
	else
		cfg_defaults(c);
	config_destroy(&lc);
	return rc;
}
