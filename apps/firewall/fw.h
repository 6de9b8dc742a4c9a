/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw.h — the firewall's rule set: what a rules file compiles to
 * (fw_rules.c) and what the packet path (firewall.c) reads. Private to
 * apps/firewall; the file format is in docs/firewall.md.
 *
 * A rule set is immutable once built: the packet path reads it through one
 * pointer, a reload builds a new one beside it and swaps the pointer. Only
 * the per-rule counters change, with atomic adds.
 */
#ifndef FW_H
#define FW_H

#include <stddef.h>
#include <stdint.h>

#include "netvm_abi.h"
#include "nl_filter.h"

#define FW_MAX_RULES NL_FILTER_MAX_OUTPUTS
#define FW_MAX_PORTS NVM_MAX_PORTS
#define FW_ALL_PORTS 0xffffffffu
_Static_assert(NVM_MAX_PORTS <= 32, "port masks are 32 bits");

/* Where an allowed packet goes. */
enum fw_act_kind {
	FW_ACT_PAIR = 0, /* out of the other port of its pair (in_port ^ 1) */
	FW_ACT_OUT,      /* out of port arg */
	FW_ACT_ROLE,     /* to an instance of role arg */
	FW_ACT_NEXT,     /* to the next role of the service chain */
	FW_ACT_DROP,     /* nowhere: an output mapped to drop */
};

struct fw_action {
	uint8_t kind;  /* enum fw_act_kind */
	uint16_t arg;  /* port or role */
};

/* What a rule says about the packets it matches. */
enum fw_verdict {
	FW_V_ALLOW = 0, /* the allow action */
	FW_V_DENY,      /* drop */
	FW_V_OUTPUT,    /* output N: the action mapped to N */
};

struct fw_rule {
	uint32_t line;        /* in the rules file, from 1 */
	uint32_t pat_col;     /* column of the pattern's first byte, from 1 */
	uint32_t in_ports;    /* input ports it applies to (bit p: port p) */
	uint8_t verdict;      /* enum fw_verdict */
	uint8_t stateless;    /* also for packets of no connection; never creates one */
	uint16_t output;      /* FW_V_OUTPUT: the output number */
	struct fw_action act; /* resolved action (allow and outputs) */
	char *pattern;
	char *text;           /* the rule as written, conditions included, no comment,
			       * each tab as "\t" (as `rules show` writes it) */
	uint64_t packets, bytes; /* counters: atomic adds */
};

/* A name from a "define NAME ADDR[/LEN]" line. */
struct fw_define {
	char *name;
	uint32_t addr, mask; /* host order */
};

/*
 * One rules file compiled. filt[p] holds every rule that applies to input
 * port p, stray[p] only the stateless ones (for packets that belong to no
 * connection and cannot open one); ports with the same rules share one
 * program. The output of a program is the index of the matching rule.
 */
struct fw_ruleset {
	struct fw_rule *rules;
	uint32_t nb_rules, nb_stateless;
	struct fw_define *defs;
	uint32_t nb_defs;
	struct fw_action allow;   /* the allow action: for allow rules and known connections */
	char *name;               /* where the rules came from: the file, or a command's NAME */
	unsigned int nb_ports;
	struct nl_filter *filt[FW_MAX_PORTS];
	struct nl_filter *stray[FW_MAX_PORTS];
	struct nl_filter *progs[2 * FW_MAX_PORTS]; /* each distinct program once, to free */
	unsigned int nb_progs;
};

/*
 * Read and compile the rules file @path for a core engine with @nb_ports
 * ports. Returns the rule set, or NULL with errno set and a message in @err
 * naming the file, line and column ("fw.rules:7:19: rule 5: unknown
 * protocol 'tcpx'").
 */
struct fw_ruleset *fw_rules_load(const char *path, unsigned int nb_ports, char *err,
				 size_t errlen);

/* The same for the @len bytes of rules at @text (a command's data), named
 * @name in messages ("name:LINE:COLUMN: ..."). */
struct fw_ruleset *fw_rules_parse(const char *text, size_t len, const char *name,
				  unsigned int nb_ports, char *err, size_t errlen);

/* Free @rs (NULL is allowed); it cannot fail. */
void fw_rules_free(struct fw_ruleset *rs);

/* Write @a as the rules file spells it ("out 1", "role 5", "next") to @buf; returns @buf. */
const char *fw_action_str(const struct fw_action *a, char *buf, size_t len);

#endif /* FW_H */
