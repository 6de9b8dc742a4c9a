/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration changes the core's commands make
 * (core/cfg_edit.c, cfg_rules_parse in core/cfg.c): rule text parsed like
 * the file's, inserts and deletes, implicit chains that come and go,
 * chains defined, changed and deleted, role names, the keys a reload may
 * not change, and rules written back as the file would hold them. Every
 * refusal must leave the configuration as it was when the caller throws
 * the copy away, and say why.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"

static const char base_text[] =
	"roles = ( { id = 1; name = \"left\"; }, { id = 2; name = \"right\"; } );\n"
	"chains = ( { name = \"via\"; roles = [ 1, 2 ]; } );\n"
	"rules = ( { in_port = 0; proto = \"udp\"; dport = \"53-60\"; role = 1; },\n"
	"          { src = \"10.0.0.0/8\"; chain = \"via\"; } );\n"
	"default = { action = \"drop\"; };\n";

static void
load(struct cfg *c)
{
	char err[256];

	assert_int_equal(cfg_parse_string(base_text, "base", c, err, sizeof(err)), 0);
	assert_int_equal(c->nb_chains, 2); /* via, role:1 */
	assert_int_equal(c->nb_rules, 2);
}

/* Rule @i of @c as the file would hold it. */
static const char *
fmt(const struct cfg *c, unsigned int i)
{
	static char buf[256];

	cfg_rule_format(c, &c->rules[i], buf, sizeof(buf));
	return buf;
}

static void
test_format(void **state)
{
	struct cfg c;

	(void)state;
	load(&c);
	assert_string_equal(fmt(&c, 0), "{ in_port = 0; proto = \"udp\"; dport = \"53-60\"; role = 1; }");
	assert_string_equal(fmt(&c, 1), "{ src = \"10.0.0.0/8\"; chain = \"via\"; }");
	assert_int_equal(c.rules[0].line, 3);
	cfg_free(&c);
}

static void
test_rule_add_del(void **state)
{
	struct cfg c, d;
	char err[256];

	(void)state;
	load(&c);
	assert_int_equal(cfg_copy(&d, &c), 0);
	assert_int_equal(cfg_rule_add(&d, 1, "{ dst = \"10.2.0.0/16\"; sport = 7; role = 2; },\n"
				      "{ proto = 1; action = \"drop\"; }", "cmd", err, sizeof(err)), 0);
	assert_int_equal(d.nb_rules, 4);
	assert_string_equal(fmt(&d, 0), "{ in_port = 0; proto = \"udp\"; dport = \"53-60\"; role = 1; }");
	assert_string_equal(fmt(&d, 1), "{ dst = \"10.2.0.0/16\"; sport = 7; role = 2; }");
	assert_string_equal(fmt(&d, 2), "{ proto = \"icmp\"; action = \"drop\"; }");
	assert_string_equal(fmt(&d, 3), "{ src = \"10.0.0.0/8\"; chain = \"via\"; }");
	assert_int_equal(d.rules[1].line, 0);
	assert_int_equal(d.nb_chains, 3);
	assert_string_equal(d.chains[2].name, "role:2");
	/* the copy changed, the original did not */
	assert_int_equal(c.nb_rules, 2);
	assert_int_equal(c.nb_chains, 2);
	/* appending; an existing implicit chain is reused */
	assert_int_equal(cfg_rule_add(&d, 4, "{ role = 1; }", "cmd", err, sizeof(err)), 0);
	assert_int_equal(d.rules[4].target, 1);
	assert_int_equal(d.nb_chains, 3);
	/* deleting the only rule to role 2 takes role:2 with it */
	assert_int_equal(cfg_rule_del(&d, 1, err, sizeof(err)), 0);
	assert_int_equal(d.nb_rules, 4);
	assert_int_equal(d.nb_chains, 2);
	assert_string_equal(fmt(&d, 1), "{ proto = \"icmp\"; action = \"drop\"; }");
	assert_int_equal(cfg_rule_del(&d, 4, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "no rule 4: there are 4 rules ('rule list' numbers them)");
	cfg_free(&d);
	cfg_free(&c);
}

static void
test_rule_add_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "{ dst = \"10.3.0.0/33\"; role = 1; }",
		  "cmd:1: rule[0].dst: '10.3.0.0/33': prefix length must be 0..32" },
		{ "{ chain = \"nope\"; }", "cmd:1: rule[0].chain: unknown chain 'nope' (define it in chains)" },
		{ "{ role = 1; },\n{ dsp = 3; role = 1; }", "cmd:2: rule[1].dsp: unknown key" },
		{ "{ src = \"1.2.3.4\"; }", "cmd:1: rule[0]: no target; give one of role, chain, action" },
		{ "{ role = 1; action = \"drop\"; }",
		  "cmd:1: rule[0].action: second target (role already given); give exactly one of "
		  "role, chain, action" },
		{ "{ role = ; }", "cmd:1: syntax: syntax error (a rule is { KEY = VALUE; ... })" },
		{ "{ role = 1; } ); x = ( 1", "cmd: expected rules { KEY = VALUE; ... }, separated by commas" },
		{ "", "cmd: 0 rules; give 1..131072" },
		/* libconfig keeps the low 32 bits: in_port 4294967296 would be 0 */
		{ "{ role = 1; },\n{ in_port = 4294967296; role = 1; }",
		  "cmd:2: syntax: the integer 4294967296 does not fit in 32 bits (write "
		  "4294967296L for a 64-bit integer)" },
		{ "{ dport = 0x100000035; role = 1; }",
		  "cmd:1: syntax: the integer 0x100000035 does not fit in 32 bits (write "
		  "0x100000035L for a 64-bit integer)" },
		/* libconfig's scanner would end the process reading a directory */
		{ "{ role = 1; }\n@include \"/\"\n", "cmd:2: syntax: cannot include '/': Is a directory" },
	};
	struct cfg c, d;
	char err[256];
	unsigned int i;

	(void)state;
	load(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cfg_copy(&d, &c), 0);
		assert_int_equal(cfg_rule_add(&d, 0, bad[i].text, "cmd", err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
		cfg_free(&d);
	}
	assert_int_equal(cfg_copy(&d, &c), 0);
	assert_int_equal(cfg_rule_add(&d, 3, "{ role = 1; }", "cmd", err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "rule 3: there are 2 rules (0..2); 'rule add 2' appends");
	cfg_free(&d);
	cfg_free(&c);
}

/* The ports of the core: a rule's in_port of a port it does not have never
 * matches, so the file (loaded for a core of 2 ports), a reload and rule
 * add refuse it; without a port count (offline) 0..31 is all there is. */
static void
test_in_port_ports(void **state)
{
	struct cfg c, d;
	char err[256];

	(void)state;
	assert_int_equal(cfg_parse_string_ports(base_text, "base", 2, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_ports, 2);
	assert_int_equal(cfg_copy(&d, &c), 0);
	assert_int_equal(d.nb_ports, 2);
	assert_int_equal(cfg_rule_add(&d, 0, "{ role = 1; },\n{ in_port = 2; role = 1; }", "cmd",
				      err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cmd:2: rule[1].in_port: port 2, but the core has only 2 port(s) "
				 "(ports 0..1, from the EAL options)");
	cfg_free(&d);
	assert_int_equal(cfg_copy(&d, &c), 0);
	assert_int_equal(cfg_rule_add(&d, 0, "{ in_port = 1; role = 1; }", "cmd", err,
				      sizeof(err)), 0);
	cfg_free(&d);
	cfg_free(&c);
	assert_int_equal(cfg_parse_string_ports("rules = ( { role = 1; },\n"
						"  { in_port = 31; role = 2; } );\n", "reload", 1,
						&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "reload:2: rules[1].in_port: port 31, but the core has only 1 "
				 "port(s) (ports 0..0, from the EAL options)");
	/* offline: the port count is not known */
	assert_int_equal(cfg_parse_string("rules = ( { in_port = 31; role = 2; } );\n", "t", &c,
					  err, sizeof(err)), 0);
	assert_int_equal(c.nb_ports, 0);
	assert_int_equal(cfg_copy(&d, &c), 0);
	assert_int_equal(cfg_rule_add(&d, 0, "{ in_port = 30; role = 1; }", "cmd", err,
				      sizeof(err)), 0);
	cfg_free(&d);
	cfg_free(&c);
}

/* Rule add up to the limit: 131070 rules added to the base's 2 fill it,
 * one more is refused (-ENOSPC) naming the limit; so is one text of more
 * rules than the limit, as docs/config.md says, not read as bad text. */
static void
test_rule_add_limit(void **state)
{
	const unsigned int n = 131070;
	size_t cap = (size_t)(n + 3) * 40, len = 0;
	char err[256], *text = malloc(cap);
	struct cfg c;
	unsigned int i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < n + 3; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s{ dport = %u; role = 2; }",
					i > 0 ? ", " : "", i % 65536);
	load(&c);
	assert_int_equal(cfg_rule_add(&c, 0, text, "cmd", err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "2 rules in force and 131073 more: at most 131072 (the "
			    "classifier's limit)");
	assert_int_equal(c.nb_rules, 2);
	/* n of them fill it */
	len = 0;
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s{ dport = %u; role = 2; }",
					i > 0 ? ", " : "", i % 65536);
	assert_int_equal(cfg_rule_add(&c, 1, text, "cmd", err, sizeof(err)), 0);
	assert_int_equal(c.nb_rules, 131072);
	assert_int_equal(c.rules[1].dport_lo, 0);
	assert_int_equal(c.rules[131070].dport_lo, 131069 % 65536);
	assert_string_equal(fmt(&c, 131071), "{ src = \"10.0.0.0/8\"; chain = \"via\"; }");
	assert_int_equal(cfg_rule_add(&c, 0, "{ role = 1; }", "cmd", err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "131072 rules in force and 1 more: at most 131072 (the "
			    "classifier's limit)");
	assert_int_equal(c.nb_rules, 131072);
	cfg_free(&c);
	free(text);
}

static void
test_chains(void **state)
{
	struct cfg c;
	char err[256];

	(void)state;
	load(&c);
	assert_int_equal(cfg_chain_set(&c, "via", "right, 1", err, sizeof(err)), 0);
	assert_int_equal(c.nb_chains, 2);
	assert_int_equal(c.chains[0].len, 2);
	assert_int_equal(c.chains[0].roles[0], 2);
	assert_int_equal(c.chains[0].roles[1], 1);
	assert_int_equal(cfg_chain_set(&c, "new", "7", err, sizeof(err)), 0);
	assert_int_equal(c.nb_chains, 3);
	assert_string_equal(c.chains[2].name, "new");
	assert_int_equal(cfg_chain_set(&c, "x", "1,300", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "chain x: unknown role '300' (a role is an id 0..255 or a name "
			    "from 'role list')");
	assert_int_equal(cfg_chain_set(&c, "x", "", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "chain x: no roles; give 1..8, separated by commas");
	/* an empty entry is an error, not skipped */
	assert_int_equal(cfg_chain_set(&c, "x", "1,,2", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "an empty role in '1,,2'"));
	assert_int_equal(cfg_chain_set(&c, "x", "1, ,2", err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg_chain_set(&c, "x", ",1", err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg_chain_set(&c, "x", "1,", err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg_chain_set(&c, "new", "1 , 2", err, sizeof(err)), 0);
	assert_int_equal(c.chains[2].len, 2);
	assert_int_equal(cfg_chain_set(&c, "new", "7", err, sizeof(err)), 0);
	assert_int_equal(cfg_chain_set(&c, "a:b", "1", err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg_chain_set(&c, "x", "1,1,1,1,1,1,1,1,1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "chain x: more than 8 roles");
	/* 8 roles of the longest names, written with blanks: however long the
	 * text, 8 roles are a chain */
	{
		char name[32], roles[400] = "";
		unsigned int i;

		for (i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "r%030u", i);
			assert_int_equal(cfg_role_name(&c, 10 + i, name, err, sizeof(err)), 0);
			snprintf(roles + strlen(roles), sizeof(roles) - strlen(roles), "%s%s",
				 i > 0 ? ", " : " ", name);
		}
		assert_int_equal(strlen(roles), 8 * 31 + 7 * 2 + 1);
		assert_int_equal(cfg_chain_set(&c, "long", roles, err, sizeof(err)), 0);
		assert_int_equal(c.chains[c.nb_chains - 1].len, 8);
		assert_int_equal(c.chains[c.nb_chains - 1].roles[7], 17);
		assert_int_equal(cfg_chain_del(&c, "long", err, sizeof(err)), 0);
	}
	/* via is rule 1's target; "new" is nobody's */
	assert_int_equal(cfg_chain_del(&c, "via", err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "chain via is the target of rule 1; delete or change that rule first");
	assert_int_equal(cfg_chain_del(&c, "nope", err, sizeof(err)), -ENOENT);
	/* deleting chain 0 renumbers the targets after it */
	assert_int_equal(cfg_rule_del(&c, 1, err, sizeof(err)), 0);
	assert_int_equal(cfg_chain_del(&c, "via", err, sizeof(err)), 0);
	assert_int_equal(c.nb_chains, 2);
	assert_string_equal(c.chains[0].name, "role:1");
	assert_int_equal(c.rules[0].target, 0);
	/* the default keeps a chain, implicit or not */
	assert_int_equal(cfg_default_set(&c, "{ chain = \"new\"; }", "cmd", err, sizeof(err)), 0);
	assert_int_equal(c.default_target, 1);
	assert_int_equal(cfg_chain_del(&c, "new", err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "chain new is the default target; change the default first");
	assert_int_equal(cfg_default_set(&c, "{ role = 9; }", "cmd", err, sizeof(err)), 0);
	assert_string_equal(c.chains[c.default_target].name, "role:9");
	assert_int_equal(cfg_default_set(&c, "{ in_port = 1; role = 9; }", "cmd", err,
					 sizeof(err)), -EINVAL);
	/* as in a file: no match key at all, even one that constrains nothing,
	 * and the messages name the default's keys */
	assert_int_equal(cfg_default_set(&c, "{ proto = 0; role = 9; }", "cmd", err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "cmd:1: default.proto: unknown key (default takes one of role, "
			    "chain, action)");
	assert_int_equal(cfg_default_set(&c, "{ src = \"::/0\"; action = \"drop\"; }", "cmd",
					 err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cmd:1: default.src: unknown key (default takes one of role, "
			    "chain, action)");
	assert_int_equal(cfg_default_set(&c, "{ role = 256; }", "cmd", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cmd:1: default.role: 256 is out of range 0..255");
	assert_int_equal(cfg_default_set(&c, "{ }", "cmd", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cmd:1: default: no target; give one of role, chain, action");
	assert_int_equal(cfg_default_set(&c, "{ role = 1; }, { role = 2; }", "cmd", err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(c.chains[c.default_target].name, "role:9");
	cfg_free(&c);
}

/* At most CFG_MAX_CHAINS named chains, as in a file; the implicit "role:N"
 * ones come on top and count neither way. */
static void
test_chain_limit(void **state)
{
	char err[256], name[CFG_NAME_LEN];
	struct cfg c;
	unsigned int i;

	(void)state;
	load(&c); /* via, role:1 */
	for (i = 1; i < CFG_MAX_CHAINS; i++) {
		snprintf(name, sizeof(name), "c%u", i);
		assert_int_equal(cfg_chain_set(&c, name, "3", err, sizeof(err)), 0);
	}
	assert_int_equal(c.nb_chains, CFG_MAX_CHAINS + 1);
	assert_int_equal(cfg_chain_set(&c, "one_more", "3", err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "chain one_more: 4096 named chains already, at most 4096");
	assert_int_equal(cfg_chain_set(&c, "c1", "4,5", err, sizeof(err)), 0);
	/* more implicit chains do not open room for named ones */
	assert_int_equal(cfg_rule_add(&c, 0, "{ role = 7; }, { role = 8; }", "cmd", err,
				      sizeof(err)), 0);
	assert_int_equal(c.nb_chains, CFG_MAX_CHAINS + 3);
	assert_int_equal(cfg_chain_del(&c, "c2", err, sizeof(err)), 0);
	assert_int_equal(cfg_chain_set(&c, "c2", "3", err, sizeof(err)), 0);
	assert_int_equal(cfg_chain_set(&c, "one_more", "3", err, sizeof(err)), -ENOSPC);
	assert_int_equal(c.nb_chains, CFG_MAX_CHAINS + 3);
	cfg_free(&c);
}

static void
test_roles(void **state)
{
	struct cfg c;
	char err[256];

	(void)state;
	load(&c);
	assert_int_equal(cfg_role_name(&c, 3, "third", err, sizeof(err)), 0);
	assert_string_equal(c.role_names[3], "third");
	assert_int_equal(cfg_role_name(&c, 3, "left", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "role 3: the name 'left' is role 1's");
	assert_int_equal(cfg_role_name(&c, 3, "42", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "role 3: '42': a name is 1..31 of letters, digits, '_', '-', "
			    "'.', not only digits");
	/* a name may start with a digit, as in a file */
	assert_int_equal(cfg_role_name(&c, 4, "5g-core", err, sizeof(err)), 0);
	assert_int_equal(cfg_chain_set(&c, "g", "5g-core,4", err, sizeof(err)), 0);
	assert_int_equal(c.chains[c.nb_chains - 1].roles[0], 4);
	assert_int_equal(c.chains[c.nb_chains - 1].roles[1], 4);
	assert_int_equal(cfg_role_name(&c, 256, "x", err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg_role_name(&c, 1, "-", err, sizeof(err)), 0);
	assert_string_equal(c.role_names[1], "");
	/* a chain by role name uses the names in force */
	assert_int_equal(cfg_chain_set(&c, "x", "third", err, sizeof(err)), 0);
	assert_int_equal(c.chains[c.nb_chains - 1].roles[0], 3);
	cfg_free(&c);
}

static void
test_restart_check(void **state)
{
	struct cfg run, next;
	char err[256];

	(void)state;
	load(&run);
	snprintf(run.socket_path, sizeof(run.socket_path), "/tmp/given-on-the-command-line");
	run.single_lcore = true;
	assert_int_equal(cfg_parse_string("core = { stats_interval = 5; lease_s = 7; };",
					  "next", &next, err, sizeof(err)), 0);
	assert_int_equal(cfg_restart_check(&run, &next, err, sizeof(err)), 0);
	assert_string_equal(next.socket_path, "/tmp/given-on-the-command-line");
	assert_true(next.single_lcore);
	assert_int_equal(next.stats_interval, 0);
	cfg_take(&run, &next);
	assert_int_equal(run.lease_s, 7);
	assert_int_equal(run.nb_rules, 0);
	assert_int_equal(run.nb_chains, 0);
	assert_string_equal(run.role_names[1], "");
	assert_int_equal(cfg_parse_string("core = { ring_size = 2048; };", "next", &next, err,
					  sizeof(err)), 0);
	assert_int_equal(cfg_restart_check(&run, &next, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "core.ring_size differs from the one in force; it changes only "
			    "with a restart");
	cfg_free(&next);
	assert_int_equal(cfg_parse_string("core = { mtu = 1400; };", "next", &next, err,
					  sizeof(err)), 0);
	assert_int_equal(cfg_restart_check(&run, &next, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "core.mtu differs from the one in force; it changes only "
			    "with a restart");
	cfg_free(&next);
	assert_int_equal(cfg_parse_string("core = { rx_parse = \"when_needed\"; };", "next", &next,
					  err, sizeof(err)), 0);
	assert_int_equal(cfg_restart_check(&run, &next, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "core.rx_parse differs from the one in force; it changes only "
			    "with a restart");
	cfg_free(&next);
	assert_int_equal(cfg_parse_string("trust_groups = ( { name = \"g\"; roles = [ 4 ]; } );",
					  "next", &next, err, sizeof(err)), 0);
	assert_int_equal(cfg_restart_check(&run, &next, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "trust_groups differs from the one in force; it changes only "
			    "with a restart");
	cfg_free(&next);
	cfg_free(&run);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_rule_add_del),
		cmocka_unit_test(test_rule_add_errors),
		cmocka_unit_test(test_in_port_ports),
		cmocka_unit_test(test_rule_add_limit),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_chain_limit),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_restart_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
