/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg.h — the core engine's configuration file (libconfig syntax).
 *
 * One schema, one parser: the file is read into a struct cfg that holds
 * everything already checked (ranges, names, references), so the rest of the
 * core never re-validates. docs/config.md is the reference of the format.
 *
 * Errors: every function returning int gives 0 on success or a negative
 * errno; a message "FILE:LINE: KEY: what is wrong" is written to the
 * caller's buffer. Nothing here logs, exits or needs DPDK.
 */
#ifndef NETVM_CFG_H
#define NETVM_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_CHAIN_LEN 8   /* roles in one chain */
#define CFG_MAX_ROLES 256     /* role ids are 0..255 */
#define CFG_MAX_PORTS 32      /* in_port is 0..31 */
#define CFG_MAX_CHAINS 4096   /* named chains in a file */
/* Rules in force (file or commands): the classifier (rte_acl) builds 100 000
 * random 5-tuple rules in about 10 s of CPU; docs/config.md has the figures. */
#define CFG_MAX_RULES 131072
#define CFG_NAME_LEN 32       /* role and chain names, with the NUL */
#define CFG_ANY_PORT 0xffff   /* cfg_rule.in_port: any port */
#define CFG_TARGET_DROP 0xffff /* rule/default target: drop */
#define CFG_MAX_GROUPS 8      /* trust groups, the implicit "default" included */

/* Defaults of the core group (docs/config.md). */
#define CFG_DEF_SOCKET "/run/netvm/core.sock"
#define CFG_DEF_HUGEPAGE_DIR "/dev/hugepages"
#define CFG_DEF_POOL_BUFFERS 16383
#define CFG_DEF_BUFFER_SIZE 2048
#define CFG_HEADROOM 128      /* a buffer's headroom (RTE_PKTMBUF_HEADROOM) */
#define CFG_MAX_BUFFER_SIZE 32768
#define CFG_MAX_POOL_BUFFERS 4194304u /* core.pool_buffers, nf_buffers, group_buffers */
#define CFG_MAX_MTU (CFG_MAX_BUFFER_SIZE - CFG_HEADROOM - 14) /* 14: Ethernet header */
#define CFG_DEF_RING_SIZE 1024
#define CFG_DEF_ALLOC_RING_SIZE 64
#define CFG_DEF_QUEUES 1
#define CFG_DEF_LEASE_S 30
#define CFG_DEF_FLOW_TABLE_SIZE 65536
#define CFG_DEF_FLOW_IDLE_MS 5000

/*
 * A service chain: the roles a packet visits in order. Chains named in the
 * file come first, in file order; then one implicit chain per role used as
 * a "role = N" target (named "role:N", each role once).
 */
struct cfg_chain {
	char name[CFG_NAME_LEN];
	uint8_t len;
	uint16_t roles[CFG_MAX_CHAIN_LEN];
};

/*
 * A classification rule; a zero prefix or a full port range means "any".
 * The prefixes (when not /0) are of one family, which the rule then only
 * matches: IPv4 in src_ip/dst_ip, IPv6 in src_ip6/dst_ip6.
 */
struct cfg_rule {
	unsigned int line;        /* line in the config file */
	uint16_t in_port;         /* CFG_ANY_PORT = any */
	uint8_t proto;            /* 0 = any */
	uint8_t family;           /* 4 or 6: the prefixes' family; 0: no prefix */
	uint32_t src_ip, dst_ip;  /* IPv4, host byte order, host bits zero */
	uint8_t src_ip6[16], dst_ip6[16]; /* IPv6, network byte order, host bits zero */
	uint8_t src_len, dst_len; /* prefix lengths (0..32 or 0..128), 0 = any */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi; /* inclusive */
	uint16_t target;          /* chain index, or CFG_TARGET_DROP */
};

struct cfg {
	char socket_path[104]; /* sizeof(sun_path), less the command socket's ".ctl" */
	char file_prefix[64];  /* the EAL --file-prefix the core must run with; "" = any */
	char hugepage_dir[256];
	uint32_t pool_buffers;
	uint32_t buffer_size;
	uint32_t mtu;            /* the ports' MTU; 0 = each device's own */
	uint32_t ring_size;
	uint32_t alloc_ring_size;
	uint32_t queues;
	uint32_t stats_interval; /* seconds, 0 = never */
	uint32_t lease_s;        /* a manager's orphaned attachment lives this long */
	uint32_t nf_buffers;     /* most buffers one NF instance may hold */
	uint32_t group_buffers;  /* most buffers the NFs of one trust group may hold together */
	bool single_lcore;
	char placement_name[16]; /* "hash" or "load" (core.placement) */
	bool placement_load;     /* "load": new flows to the least-loaded instance */
	char rx_parse_name[16];  /* "always" or "when_needed" (core.rx_parse) */
	bool rx_parse_lazy;      /* "when_needed": frames nothing reads go unread */
	uint32_t flow_table_size; /* flows the table holds (placement "load") */
	uint32_t flow_idle_ms;   /* a flow idle this long is forgotten */
	char role_names[CFG_MAX_ROLES][CFG_NAME_LEN]; /* "" when unnamed */
	unsigned int nb_chains;
	struct cfg_chain *chains;
	unsigned int nb_rules;
	struct cfg_rule *rules;  /* first match wins, in file order */
	uint16_t default_target; /* chain index, or CFG_TARGET_DROP */
	/* Trust groups: group 0 is "default" (every role not listed); each
	 * group's NFs get pool regions of their own (docs/config.md). */
	unsigned int nb_groups;
	char group_names[CFG_MAX_GROUPS][CFG_NAME_LEN];
	uint8_t role_group[CFG_MAX_ROLES];
	uint8_t port_group[CFG_MAX_PORTS]; /* whose pool the port receives into */
	/* The ports of the core that runs it, which a rule's in_port must name
	 * (cfg_load_ports(), kept by cfg_copy() for rule add); 0: not known,
	 * in_port is checked against 0..31 only (an offline check). */
	unsigned int nb_ports;
};

/* Fill @c with the defaults of an empty file (no rules, default drop); cannot fail. */
void cfg_defaults(struct cfg *c);

/*
 * Read the file at @path into @c (overwritten; release with cfg_free()).
 * Returns 0; -ENOENT, -EACCES, -EISDIR... when the file cannot be opened
 * ("FILE: cannot open: REASON" in @err); -EIO when it cannot be read; or
 * -EINVAL for any mistake in it ("FILE:LINE: KEY: what is wrong"). On
 * failure @c holds the defaults, owning no memory.
 */
int cfg_load(const char *path, struct cfg *c, char *err, size_t errlen);

/* As cfg_load(), for a core with @nb_ports ports (1..CFG_MAX_PORTS; 0: not
 * known): a rule's in_port of a port it does not have is an error
 * ("FILE:LINE: rules[I].in_port: port P, but the core has only N port(s)
 * ..."). @c->nb_ports is then @nb_ports. */
int cfg_load_ports(const char *path, unsigned int nb_ports, struct cfg *c, char *err,
		   size_t errlen);

/*
 * Parse configuration text @text as if it came from a file called @name
 * (used in messages). Returns 0, or -EINVAL with @err filled and @c set to
 * the defaults, as cfg_load() does.
 */
int cfg_parse_string(const char *text, const char *name, struct cfg *c, char *err,
		     size_t errlen);

/* As cfg_parse_string(), checking in_port against @nb_ports as cfg_load_ports(). */
int cfg_parse_string_ports(const char *text, const char *name, unsigned int nb_ports,
			   struct cfg *c, char *err, size_t errlen);

/* As cfg_parse_string_ports(), with @incdir (NULL: none) as the directory
 * @include paths are taken from, as a file's own directory is in
 * cfg_load_ports(). */
int cfg_parse_string_in(const char *text, const char *name, const char *incdir,
			unsigned int nb_ports, struct cfg *c, char *err, size_t errlen);

/* Free what cfg_load() or cfg_parse_string() allocated, reset @c to the defaults; cannot fail. */
void cfg_free(struct cfg *c);

/*
 * Changing a configuration (the core's commands, docs/control.md "Core
 * commands"). Each works on a struct cfg the caller owns, normally a copy of
 * the one in force (cfg_copy): on failure the copy may be half changed and is
 * thrown away, so the configuration in force never is. Errors are -EINVAL
 * (or -ENOMEM, -ENOSPC) with the reason in @err; @name stands for the file
 * name in messages about rule text.
 */

/* Deep-copy @src into @dst (which owns nothing). 0 or -ENOMEM (@dst then holds the defaults). */
int cfg_copy(struct cfg *dst, const struct cfg *src);

/* Parse @text, rules as inside "rules = ( ... );", against the chains of @c
 * (a "role = N" target may append an implicit chain to @c) and its
 * nb_ports (in_port): *out (malloc'd) holds *nb rules. 0, -EINVAL, -ENOSPC (more
 * rules than CFG_MAX_RULES with @c's) or -ENOMEM. */
int cfg_rules_parse(struct cfg *c, const char *text, const char *name, struct cfg_rule **out,
		    unsigned int *nb, char *err, size_t errlen);

/* Parse a default's target "{ role = N; }", "{ chain = NAME; }" or "{ action = "drop"; }"
 * into *target, checked as the file's default (no match key; messages name
 * default.KEY). 0, -EINVAL or -ENOMEM. */
int cfg_target_parse(struct cfg *c, const char *text, const char *name, uint16_t *target,
		     char *err, size_t errlen);

/* Insert the rules of @text before rule @at (@at == nb_rules appends).
 * 0, -ERANGE (@at past the end), -EINVAL, -ENOSPC or -ENOMEM. */
int cfg_rule_add(struct cfg *c, unsigned int at, const char *text, const char *name, char *err,
		 size_t errlen);

/* Delete rule @at; implicit "role:N" chains no rule or default uses any
 * more go with it. 0 or -ERANGE. */
int cfg_rule_del(struct cfg *c, unsigned int at, char *err, size_t errlen);

/* Set the default target from @text (as cfg_target_parse). 0 or -EINVAL. */
int cfg_default_set(struct cfg *c, const char *text, const char *name, char *err, size_t errlen);

/* Define chain @name, or change its roles: @roles is "R[,R...]", each a role
 * id or name. 0, -EINVAL or -ENOSPC. */
int cfg_chain_set(struct cfg *c, const char *name, const char *roles, char *err, size_t errlen);

/* Delete chain @name; refused (-EBUSY) while a rule or the default names it,
 * -ENOENT when there is none. */
int cfg_chain_del(struct cfg *c, const char *name, char *err, size_t errlen);

/* Name role @id @name ("-": no name any more). 0 or -EINVAL (bad or taken name). */
int cfg_role_name(struct cfg *c, unsigned int id, const char *name, char *err, size_t errlen);

/*
 * Check that @next changes nothing of @run that needs a restart (the core
 * section's sizes and paths, the trust groups); the core section's socket,
 * single_lcore and stats_interval are taken from @run (the command line may
 * have overridden them). 0 or -EINVAL naming the first such key.
 */
int cfg_restart_check(const struct cfg *run, struct cfg *next, char *err, size_t errlen);

/* Move the rules, chains, default, role names and lease of @next into @run
 * (the old ones are freed); @next is left with the defaults. Cannot fail. */
void cfg_take(struct cfg *run, struct cfg *next);

/* Write rule @r of @c as the file would hold it ("{ dst = "10.1.0.0/16"; chain = "fw"; }")
 * into @buf. Returns the length snprintf() would give. */
int cfg_rule_format(const struct cfg *c, const struct cfg_rule *r, char *buf, size_t len);

/* Write target @t of @c ("chain = "fw"", "role = 3", "action = "drop"") into @buf. */
int cfg_target_format(const struct cfg *c, uint16_t t, char *buf, size_t len);

#endif /* NETVM_CFG_H */
