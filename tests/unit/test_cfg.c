/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration parser (core/cfg.c): defaults, a file
 * using every key, one mistake of each kind (the message must name the
 * file, line and key), a missing file, and the example files.
 *
 * Usage: test_cfg [SOURCE_ROOT]   (the example files are read from
 * SOURCE_ROOT/configs/examples; the build's source root by default)
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cfg.h"

#ifndef NETVM_SOURCE_ROOT
#define NETVM_SOURCE_ROOT "."
#endif

static const char *source_root = NETVM_SOURCE_ROOT;

static void write_temp(char *path, size_t size, const char *text);

/* Line (1-based) of the first occurrence of @needle in @text, found independently of the parser. */
static unsigned int
line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	unsigned int line = 1;

	assert_non_null(at);
	for (; text < at; text++)
		if (*text == '\n')
			line++;
	return line;
}

static void
assert_is_defaults(const struct cfg *c)
{
	unsigned int i;

	assert_string_equal(c->socket_path, "/run/netvm/core.sock");
	assert_string_equal(c->hugepage_dir, "/dev/hugepages");
	assert_int_equal(c->pool_buffers, 16383);
	assert_int_equal(c->buffer_size, 2048);
	assert_int_equal(c->mtu, 0);
	assert_int_equal(c->ring_size, 1024);
	assert_int_equal(c->alloc_ring_size, 64);
	assert_int_equal(c->queues, 1);
	assert_false(c->single_lcore);
	assert_false(c->rx_parse_lazy);
	assert_int_equal(c->stats_interval, 0);
	for (i = 0; i < CFG_MAX_ROLES; i++)
		assert_string_equal(c->role_names[i], "");
	assert_int_equal(c->nb_chains, 0);
	assert_null(c->chains);
	assert_int_equal(c->nb_rules, 0);
	assert_null(c->rules);
	assert_int_equal(c->default_target, 0xffff);
}

static void
test_defaults(void **state)
{
	char err[256] = "unchanged";
	struct cfg c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	cfg_defaults(&c);
	assert_is_defaults(&c);

	/* An empty file and empty sections mean the defaults. */
	assert_int_equal(cfg_parse_string("", "empty.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_is_defaults(&c);
	cfg_free(&c);
	assert_int_equal(cfg_parse_string("core = {};\nroles = ();\nchains = ();\nrules = ();\n",
					  "empty.conf", &c, err, sizeof(err)), 0);
	assert_is_defaults(&c);
	cfg_free(&c);
	assert_int_equal(cfg_parse_string("rules = [];\n", "empty.conf", &c, err, sizeof(err)), 0);
	assert_is_defaults(&c);
	cfg_free(&c);
}

static const char full_conf[] =
	"# every key\n"
	"core = {\n"
	"  socket = \"/run/netvm/other.sock\";\n"
	"  hugepage_dir = \"/mnt/huge1g\";\n"
	"  pool_buffers = 4096;\n"
	"  buffer_size = 4096;\n"
	"  ring_size = 256;\n"
	"  alloc_ring_size = 32;\n"
	"  queues = 4;\n"
	"  single_lcore = true;\n"
	"  stats_interval = 5;\n"
	"  rx_parse = \"when_needed\";\n"
	"};\n"
	"roles = ( { id = 1; name = \"router\"; }, { id = 2; name = \"firewall\"; },\n"
	"          { id = 255; name = \"last.role_9-x\"; } );\n"
	"chains = (\n"
	"  { name = \"fw-router\"; roles = [ 2, 1 ]; },\n"
	"  { name = \"long\"; roles = [ 0, 1, 2, 3, 4, 5, 6, 255 ]; }\n"
	");\n"
	"rules = (\n"
	"  { in_port = 0; proto = \"udp\"; src = \"10.0.0.0/8\"; dst = \"0.0.0.0/0\";\n"
	"    sport = \"1024-65535\"; dport = \"53\"; chain = \"fw-router\"; },\n"
	"  { in_port = 1; role = 1; },\n"
	"  { dst = \"192.168.0.0/16\"; action = \"drop\"; },\n"
	"  { proto = 132; src = \"1.2.3.4\"; dport = 8080; sport = \"0-0\"; role = 2; },\n"
	"  { proto = \"tcp\"; in_port = 31; role = 1; },\n"
	"  { proto = \"icmp\"; dst = \"172.16.5.4/32\"; src = \"255.255.255.255/32\"; role = 7; },\n"
	"  { chain = \"long\"; proto = 0; dport = \"65535\"; }\n"
	");\n"
	"default = { role = 2; };\n";

static void
assert_rule(const struct cfg_rule *r, unsigned int line, uint16_t in_port, uint8_t proto,
	    uint32_t src, uint8_t src_len, uint32_t dst, uint8_t dst_len, uint16_t slo,
	    uint16_t shi, uint16_t dlo, uint16_t dhi, uint16_t target)
{
	assert_int_equal(r->line, line);
	assert_int_equal(r->in_port, in_port);
	assert_int_equal(r->proto, proto);
	assert_int_equal(r->src_ip, src);
	assert_int_equal(r->src_len, src_len);
	assert_int_equal(r->dst_ip, dst);
	assert_int_equal(r->dst_len, dst_len);
	assert_int_equal(r->sport_lo, slo);
	assert_int_equal(r->sport_hi, shi);
	assert_int_equal(r->dport_lo, dlo);
	assert_int_equal(r->dport_hi, dhi);
	assert_int_equal(r->target, target);
}

static void
assert_chain(const struct cfg_chain *ch, const char *name, unsigned int len, const uint16_t *roles)
{
	unsigned int i;

	assert_string_equal(ch->name, name);
	assert_int_equal(ch->len, len);
	for (i = 0; i < len; i++)
		assert_int_equal(ch->roles[i], roles[i]);
}

static void
test_full(void **state)
{
	static const uint16_t fw_router[] = { 2, 1 }, lng[] = { 0, 1, 2, 3, 4, 5, 6, 255 };
	static const uint16_t r1[] = { 1 }, r2[] = { 2 }, r7[] = { 7 };
	const char *t = full_conf;
	char err[256];
	struct cfg c;
	unsigned int i;

	(void)state;
	assert_int_equal(cfg_parse_string(t, "full.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c.socket_path, "/run/netvm/other.sock");
	assert_string_equal(c.hugepage_dir, "/mnt/huge1g");
	assert_int_equal(c.pool_buffers, 4096);
	assert_int_equal(c.buffer_size, 4096);
	assert_int_equal(c.ring_size, 256);
	assert_int_equal(c.alloc_ring_size, 32);
	assert_int_equal(c.queues, 4);
	assert_true(c.single_lcore);
	assert_int_equal(c.stats_interval, 5);
	assert_true(c.rx_parse_lazy);

	assert_string_equal(c.role_names[1], "router");
	assert_string_equal(c.role_names[2], "firewall");
	assert_string_equal(c.role_names[255], "last.role_9-x");
	for (i = 0; i < CFG_MAX_ROLES; i++)
		if (i != 1 && i != 2 && i != 255)
			assert_string_equal(c.role_names[i], "");

	/* Named chains in file order, then implicit ones in order of first use, each once. */
	assert_int_equal(c.nb_chains, 5);
	assert_chain(&c.chains[0], "fw-router", 2, fw_router);
	assert_chain(&c.chains[1], "long", 8, lng);
	assert_chain(&c.chains[2], "role:1", 1, r1);
	assert_chain(&c.chains[3], "role:2", 1, r2);
	assert_chain(&c.chains[4], "role:7", 1, r7);

	assert_int_equal(c.nb_rules, 7);
	assert_rule(&c.rules[0], line_of(t, "{ in_port = 0;"), 0, 17, 0x0a000000, 8, 0, 0, 1024,
		    65535, 53, 53, 0);
	assert_rule(&c.rules[1], line_of(t, "{ in_port = 1;"), 1, 0, 0, 0, 0, 0, 0, 65535, 0,
		    65535, 2);
	assert_rule(&c.rules[2], line_of(t, "{ dst = \"192"), 0xffff, 0, 0, 0, 0xc0a80000, 16, 0,
		    65535, 0, 65535, 0xffff);
	assert_rule(&c.rules[3], line_of(t, "{ proto = 132"), 0xffff, 132, 0x01020304, 32, 0, 0,
		    0, 0, 8080, 8080, 3);
	assert_rule(&c.rules[4], line_of(t, "{ proto = \"tcp\""), 31, 6, 0, 0, 0, 0, 0, 65535, 0,
		    65535, 2);
	assert_rule(&c.rules[5], line_of(t, "{ proto = \"icmp\""), 0xffff, 1, 0xffffffff, 32,
		    0xac100504, 32, 0, 65535, 0, 65535, 4);
	assert_rule(&c.rules[6], line_of(t, "{ chain = \"long\""), 0xffff, 0, 0, 0, 0, 0, 0, 65535,
		    65535, 65535, 1);
	assert_int_equal(c.default_target, 3);

	cfg_free(&c);
	assert_is_defaults(&c);
}

static void
test_trust_groups(void **state)
{
	static const char text[] =
		"trust_groups = (\n"
		"  { name = \"tenant-a\"; roles = [ 3, 4 ]; },\n"
		"  { name = \"tenant-b\"; roles = [ 7 ]; ports = [ 2, 0 ]; }\n"
		");\n";
	char err[256] = "";
	struct cfg c;
	unsigned int p;

	(void)state;
	assert_int_equal(cfg_parse_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_groups, 3);
	for (p = 0; p < CFG_MAX_PORTS; p++)
		assert_int_equal(c.port_group[p], p == 0 || p == 2 ? 2 : 0);
	assert_string_equal(c.group_names[0], "default");
	assert_string_equal(c.group_names[1], "tenant-a");
	assert_string_equal(c.group_names[2], "tenant-b");
	assert_int_equal(c.role_group[3], 1);
	assert_int_equal(c.role_group[4], 1);
	assert_int_equal(c.role_group[7], 2);
	assert_int_equal(c.role_group[1], 0);
	assert_int_equal(c.role_group[5], 0);
	cfg_free(&c);
}

/* The manager's sections may share the file; core.file_prefix is read. */
static void
test_manager_sections(void **state)
{
	static const char text[] =
		"core = { file_prefix = \"one\"; };\n"
		"manager = { state_dir = \"/run/netvm/vms\"; };\n"
		"vms = ( { name = \"a\"; role = 1; } );\n"
		"default = { role = 1; };\n";
	char err[256] = "";
	struct cfg c;

	(void)state;
	assert_int_equal(cfg_parse_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c.file_prefix, "one");
	cfg_free(&c);
	assert_int_equal(cfg_parse_string("colour = 1;\n", "t.conf", &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "t.conf:1: colour: unknown key"));
}

/* core.file_prefix takes what the manager takes; a relative core.socket is
 * from the file's directory when read from a file, as the manager reads it. */
static void
test_core_paths(void **state)
{
	char path[256], expect[512], err[512] = "";
	struct cfg c;
	int rc;

	(void)state;
	assert_int_equal(cfg_parse_string("core = {\n file_prefix = \"a/b\";\n};\n", "t.conf", &c,
					  err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:2: core.file_prefix: 'a/b': use only letters, digits, "
			    "'_', '-', '.'");
	assert_int_equal(cfg_parse_string("core = { file_prefix = \"a b\"; };\n", "t.conf", &c, err,
					  sizeof(err)), -EINVAL);
	assert_int_equal(cfg_parse_string("core = { file_prefix = \"nv_1-x.2\"; };\n", "t.conf",
					  &c, err, sizeof(err)), 0);
	assert_string_equal(c.file_prefix, "nv_1-x.2");
	cfg_free(&c);

	/* a string has no directory: the path stays as written */
	assert_int_equal(cfg_parse_string("core = { socket = \"rel.sock\"; };\n", "t.conf", &c,
					  err, sizeof(err)), 0);
	assert_string_equal(c.socket_path, "rel.sock");
	cfg_free(&c);

	write_temp(path, sizeof(path), "core = { socket = \"sub/rel.sock\"; };\n");
	rc = cfg_load(path, &c, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, 0);
	snprintf(expect, sizeof(expect), "%s/sub/rel.sock", P_tmpdir);
	assert_string_equal(c.socket_path, expect);
	cfg_free(&c);

	write_temp(path, sizeof(path), "core = { socket = \"/abs/core.sock\"; };\n");
	rc = cfg_load(path, &c, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, 0);
	assert_string_equal(c.socket_path, "/abs/core.sock");
	cfg_free(&c);

	/* 103 characters fit alone, not behind the directory */
	write_temp(path, sizeof(path), "core = {\n socket = \"ssssssssssssssssssssssssssssssssssssssss"
		   "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\";\n};\n");
	rc = cfg_load(path, &c, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:2: core.socket: ", path);
	unlink(path);
	assert_int_equal(rc, -EINVAL);
	assert_memory_equal(err, expect, strlen(expect));
	assert_non_null(strstr(err, "longer than 103 characters"));

	/* the command socket adds ".ctl": 103 characters and not one more, so
	 * that it stays within a unix socket address's 107 */
	snprintf(expect, sizeof(expect), "core = { socket = \"/%0102d\"; };\n", 0);
	assert_int_equal(cfg_parse_string(expect, "t.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.socket_path), 103);
	assert_int_equal(strlen(c.socket_path) + strlen(".ctl"), 107);
	cfg_free(&c);
	snprintf(expect, sizeof(expect), "core = { socket = \"/%0103d\"; };\n", 0);
	assert_int_equal(cfg_parse_string(expect, "t.conf", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1: core.socket: longer than 103 characters");
}

/* A file of CFG_FILE_MAX (256 MiB) bytes is read, one byte more is refused. */
static void
test_file_size_limit(void **state)
{
	char path[256], err[512] = "";
	struct cfg c;
	int fd, rc;

	(void)state;
	write_temp(path, sizeof(path), "core = { queues = 2; };\n");
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	/* the rest is NUL bytes, which end the text libconfig parses */
	assert_int_equal(ftruncate(fd, 256 << 20), 0);
	rc = cfg_load(path, &c, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(c.queues, 2);
	cfg_free(&c);
	assert_int_equal(ftruncate(fd, (256 << 20) + 1), 0);
	rc = cfg_load(path, &c, err, sizeof(err));
	close(fd);
	unlink(path);
	assert_int_equal(rc, -EFBIG);
	assert_non_null(strstr(err, ": cannot read: larger than 256 MiB"));
}

static void
test_default_targets(void **state)
{
	static const uint16_t r9[] = { 9 }, ab[] = { 3, 4 };
	char err[256];
	struct cfg c;

	(void)state;
	assert_int_equal(cfg_parse_string("default = { action = \"drop\"; };", "d.conf", &c, err,
					  sizeof(err)), 0);
	assert_int_equal(c.default_target, 0xffff);
	assert_int_equal(c.nb_chains, 0);
	cfg_free(&c);

	assert_int_equal(cfg_parse_string("default = { role = 9; };", "d.conf", &c, err,
					  sizeof(err)), 0);
	assert_int_equal(c.nb_chains, 1);
	assert_chain(&c.chains[0], "role:9", 1, r9);
	assert_int_equal(c.default_target, 0);
	cfg_free(&c);

	assert_int_equal(cfg_parse_string("default = { chain = \"b\"; };\n"
					  "chains = ( { name = \"a\"; roles = [ 1 ]; },\n"
					  "           { name = \"b\"; roles = [ 3, 4 ]; } );\n",
					  "d.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_chains, 2);
	assert_chain(&c.chains[1], "b", 2, ab);
	assert_int_equal(c.default_target, 1);
	cfg_free(&c);
}

/* The buffer budgets: three quarters of pool_buffers for a group, the
 * group's for one NF, unless given. */
static void
test_budgets(void **state)
{
	char err[256];
	struct cfg c;

	(void)state;
	if (cfg_parse_string("", "t.conf", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.group_buffers, 12288);
	assert_int_equal(c.nf_buffers, 12288);
	cfg_free(&c);
	if (cfg_parse_string("core = { pool_buffers = 4096; };\n", "t.conf", &c, err,
			     sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.group_buffers, 3072);
	assert_int_equal(c.nf_buffers, 3072);
	cfg_free(&c);
	if (cfg_parse_string("core = { nf_buffers = 100; pool_buffers = 4096;\n"
			     "  group_buffers = 3000; };\n", "t.conf", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.group_buffers, 3000);
	assert_int_equal(c.nf_buffers, 100);
	cfg_free(&c);
	if (cfg_parse_string("core = { group_buffers = 300; };\n", "t.conf", &c, err,
			     sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.group_buffers, 300);
	assert_int_equal(c.nf_buffers, 300);
	cfg_free(&c);
}

/* core.mtu: 0 by default (each device's own); 68 up to what one buffer
 * holds after the headroom, less the Ethernet header. */
static void
test_mtu(void **state)
{
	static const struct {
		const char *text;
		uint32_t mtu;
	} ok[] = {
		{ "core = { buffer_size = 2048; };\n", 0 },
		{ "core = { mtu = 0; };\n", 0 },
		{ "core = { mtu = 68; buffer_size = 1024; };\n", 68 },
		{ "core = { mtu = 1500; };\n", 1500 },
		{ "core = { mtu = 1906; };\n", 1906 },              /* 2048 - 128 - 14 */
		{ "core = { buffer_size = 16384; mtu = 9000; };\n", 9000 },
		{ "core = { buffer_size = 16384; mtu = 16242; };\n", 16242 },
		{ "core = { buffer_size = 32768; mtu = 32626; };\n", 32626 },
	};
	char err[256];
	struct cfg c;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (cfg_parse_string(ok[i].text, "t.conf", &c, err, sizeof(err)) != 0)
			fail_msg("%s: %s", ok[i].text, err);
		assert_int_equal(c.mtu, ok[i].mtu);
		cfg_free(&c);
	}
	/* one byte over a 16384-byte buffer's room */
	assert_int_equal(cfg_parse_string("core = { buffer_size = 16384; mtu = 16243; };\n",
					  "t.conf", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "set buffer_size = 32768"));
}

/* The ends of every range are accepted. */
static void
test_limits(void **state)
{
	static const char lo[] =
		"core = { pool_buffers = 1024; buffer_size = 1024; ring_size = 64;\n"
		"  alloc_ring_size = 16; queues = 1; stats_interval = 0; single_lcore = false; };\n"
		"roles = ( { id = 0; name = \"r\"; } );\n"
		"rules = ( { in_port = 0; proto = 1; sport = \"0-0\"; dport = 0;\n"
		"  src = \"0.0.0.0/0\"; role = 0; } );\n";
	static const char hi[] =
		"core = { pool_buffers = 4194304; buffer_size = 32768; ring_size = 65536;\n"
		"  alloc_ring_size = 4096; queues = 16; stats_interval = 86400; };\n"
		"roles = ( { id = 255; name = \"abcdefghijklmnopqrstuvwxyz01234\"; } );\n"
		"rules = ( { in_port = 31; proto = 255; sport = \"65535-65535\"; dport = \"0-65535\";\n"
		"  dst = \"255.255.255.255/32\"; role = 255; } );\n";
	char err[256];
	struct cfg c;

	(void)state;
	if (cfg_parse_string(lo, "lo.conf", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.pool_buffers, 1024);
	assert_int_equal(c.buffer_size, 1024);
	assert_int_equal(c.ring_size, 64);
	assert_int_equal(c.alloc_ring_size, 16);
	assert_int_equal(c.queues, 1);
	assert_rule(&c.rules[0], 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	cfg_free(&c);
	if (cfg_parse_string(hi, "hi.conf", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.pool_buffers, 4194304);
	assert_int_equal(c.buffer_size, 32768);
	assert_int_equal(c.ring_size, 65536);
	assert_int_equal(c.alloc_ring_size, 4096);
	assert_int_equal(c.queues, 16);
	assert_int_equal(c.stats_interval, 86400);
	assert_string_equal(c.role_names[255], "abcdefghijklmnopqrstuvwxyz01234");
	assert_rule(&c.rules[0], 4, 31, 255, 0, 0, 0xffffffff, 32, 65535, 65535, 0, 65535, 0);
	assert_string_equal(c.chains[0].name, "role:255");
	cfg_free(&c);
}

/* A text with one mistake and the exact start of the message it must give. */
struct bad_case {
	const char *text;
	const char *prefix;
};

static const struct bad_case bad_cases[] = {
	/* syntax errors (libconfig) */
	{ "core = {\n  queues = ;\n};\n", "t.conf:2: syntax: " },
	{ "core = {\n  queues = 1;\n  queues = 2;\n};\n", "t.conf:3: syntax: " },
	{ "rules = (\n  { role = 1; }\n  { role = 2; }\n);\n", "t.conf:3: syntax: " },
	/* unknown keys */
	{ "core = {};\n\nrulez = ();\n", "t.conf:3: rulez: unknown key" },
	{ "core = {\n  queues = 2;\n  qeues = 2;\n};\n", "t.conf:3: core.qeues: unknown key" },
	{ "core = {\n  pool_buffers = 2048;\n  group_buffers = 2049;\n};\n",
	  "t.conf:3: core.group_buffers: 2049 is more than pool_buffers (2048)" },
	{ "core = {\n  nf_buffers = 13000;\n};\n",
	  "t.conf:2: core.nf_buffers: 13000 is more than group_buffers (12288)" },
	{ "core = {\n  nf_buffers = 0;\n};\n", "t.conf:2: core.nf_buffers: 0 is out of range" },
	{ "roles = (\n  { id = 1; name = \"a\";\n    nmae = \"b\"; } );\n",
	  "t.conf:3: roles[0].nmae: unknown key" },
	{ "chains = ( { name = \"a\"; roles = [1]; },\n { name = \"b\"; role = [1]; } );\n",
	  "t.conf:2: chains[1].role: unknown key" },
	{ "rules = (\n  { role = 1; },\n  { dprt = 53;\n role = 1; }\n);\n",
	  "t.conf:3: rules[1].dprt: unknown key" },
	{ "default = {\n  dst = \"10.0.0.0/8\";\n  role = 1;\n};\n",
	  "t.conf:2: default.dst: unknown key" },
	/* wrong types */
	{ "core = 5;\n", "t.conf:1: core: expected a group" },
	{ "core = {\n  pool_buffers = \"8192\";\n};\n", "t.conf:2: core.pool_buffers: expected an integer" },
	{ "core = {\n\n  single_lcore = 1;\n};\n", "t.conf:3: core.single_lcore: expected true or false" },
	{ "core = {\n  rx_parse = \"never\";\n};\n",
	  "t.conf:2: core.rx_parse: 'never' is neither \"always\" nor \"when_needed\"" },
	{ "core = {\n  rx_parse = true;\n};\n", "t.conf:2: core.rx_parse: expected a string" },
	{ "core = {\n  ring_size = 64.0;\n};\n", "t.conf:2: core.ring_size: expected an integer" },
	/* a float's digits are no integer of their own, however many */
	{ "core = {\n  ring_size = 0.12345678901;\n};\n",
	  "t.conf:2: core.ring_size: expected an integer, got a float" },
	{ "core = {\n  ring_size = .99999999999;\n};\n",
	  "t.conf:2: core.ring_size: expected an integer, got a float" },
	{ "core = {\n  ring_size = 1e-12345678901;\n};\n",
	  "t.conf:2: core.ring_size: expected an integer, got a float" },
	{ "core = {\n  socket = 5;\n};\n", "t.conf:2: core.socket: expected a string" },
	{ "roles = { id = 1; };\n", "t.conf:1: roles: expected a list" },
	{ "rules = {\n};\n", "t.conf:1: rules: expected a list" },
	{ "chains = (\n  5\n);\n", "t.conf:2: chains[0]: expected a group" },
	{ "chains = (\n  { name = \"a\"; roles = 1; }\n);\n", "t.conf:2: chains[0].roles: expected an array" },
	{ "rules = (\n  { dst = 10; role = 1; }\n);\n", "t.conf:2: rules[0].dst: expected a string" },
	{ "rules = (\n  { role = \"1\"; }\n);\n", "t.conf:2: rules[0].role: expected an integer" },
	{ "rules = (\n  { in_port = true; role = 1; }\n);\n", "t.conf:2: rules[0].in_port: expected an integer" },
	{ "default = ( { role = 1; } );\n", "t.conf:1: default: expected a group" },
	/* out-of-range values */
	{ "core = {\n  pool_buffers = 1023;\n};\n", "t.conf:2: core.pool_buffers: 1023 is out of range" },
	{ "core = {\n  pool_buffers = 4194305;\n};\n", "t.conf:2: core.pool_buffers: 4194305 is out of range" },
	{ "core = {\n  buffer_size = 3072;\n};\n", "t.conf:2: core.buffer_size: 3072 is not a power of two" },
	{ "core = {\n  buffer_size = 131072;\n};\n", "t.conf:2: core.buffer_size: 131072 is out of range" },
	{ "core = {\n  mtu = 67;\n};\n", "t.conf:2: core.mtu: 67 is below IPv4's minimum of 68" },
	{ "core = {\n  mtu = 1907;\n};\n",
	  "t.conf:2: core.mtu: 1907 needs frames of 1921 bytes, more than a buffer holds (1920: "
	  "buffer_size 2048 minus 128 of headroom); set buffer_size = 4096" },
	{ "core = {\n  buffer_size = 8192;\n  mtu = 9000;\n};\n",
	  "t.conf:3: core.mtu: 9000 needs frames of 9014 bytes, more than a buffer holds (8064: "
	  "buffer_size 8192 minus 128 of headroom); set buffer_size = 16384" },
	{ "core = {\n  mtu = 32627;\n};\n", "t.conf:2: core.mtu: 32627 is out of range" },
	{ "core = {\n  mtu = -1;\n};\n", "t.conf:2: core.mtu: -1 is out of range" },
	{ "core = {\n  ring_size = 100;\n};\n", "t.conf:2: core.ring_size: 100 is not a power of two" },
	{ "core = {\n  ring_size = 32;\n};\n", "t.conf:2: core.ring_size: 32 is out of range" },
	{ "core = {\n  alloc_ring_size = 8192;\n};\n", "t.conf:2: core.alloc_ring_size: 8192 is out of range" },
	{ "core = {\n  queues = 0;\n};\n", "t.conf:2: core.queues: 0 is out of range" },
	{ "core = {\n  queues = 17;\n};\n", "t.conf:2: core.queues: 17 is out of range" },
	{ "core = {\n  stats_interval = -1;\n};\n", "t.conf:2: core.stats_interval: -1 is out of range" },
	{ "core = {\n  pool_buffers = 10000000000L;\n};\n", "t.conf:2: core.pool_buffers: 10000000000 is out of range" },
	/* libconfig keeps the low 32 bits of an integer without its L (lease_s
	 * 4294967326 would be 30): refused in a text as in a file (core reload) */
	{ "core = {\n  lease_s = 4294967326;\n};\n",
	  "t.conf:2: syntax: the integer 4294967326 does not fit in 32 bits (write 4294967326L" },
	{ "core = { queues = 2; };\nroles = (\n  { id = 0x100000001; name = \"a\"; }\n);\n",
	  "t.conf:3: syntax: the integer 0x100000001 does not fit in 32 bits" },
	{ "core = {\n  stats_interval = -4294967295;\n};\n",
	  "t.conf:2: syntax: the integer -4294967295 does not fit in 32 bits" },
	{ "core = {\n  socket = \"\";\n};\n", "t.conf:2: core.socket: must not be empty" },
	{ "core = {\n  socket = \"/run/netvm/a-socket-path-that-is-much-longer-than-a-unix-socket-"
	  "address-can-hold-which-is-107-bytes-and-not-one-more.sock\";\n};\n", "t.conf:2: core.socket: longer than 103" },
	{ "roles = (\n  { id = 1; name = \"a\"; },\n  { id = 256; name = \"b\"; }\n);\n",
	  "t.conf:3: roles[1].id: 256 is out of range" },
	{ "rules = (\n  { in_port = 32; role = 1; }\n);\n", "t.conf:2: rules[0].in_port: 32 is out of range" },
	{ "rules = (\n  { proto = 256; role = 1; }\n);\n", "t.conf:2: rules[0].proto: 256 is out of range" },
	{ "rules = (\n  { proto = -1; role = 1; }\n);\n", "t.conf:2: rules[0].proto: -1 is out of range" },
	{ "rules = (\n  { proto = \"sctp\"; role = 1; }\n);\n", "t.conf:2: rules[0].proto: unknown protocol" },
	{ "rules = (\n  { proto = \"6\"; role = 1; }\n);\n",
	  "t.conf:2: rules[0].proto: '6': a protocol number is written without quotes (proto = 6)" },
	{ "rules = (\n  { proto = \"TCP\"; role = 1; }\n);\n",
	  "t.conf:2: rules[0].proto: unknown protocol 'TCP' (tcp, udp, icmp, icmp6, or a number "
	  "0..255 without quotes)" },
	{ "rules = (\n  { role = 1; },\n  { src = \"2001:db8::/129\"; role = 1; }\n);\n",
	  "t.conf:3: rules[1].src: '2001:db8::/129': prefix length must be 0..128" },
	{ "rules = (\n  { dst = \"2001:db8::1/64\"; role = 1; }\n);\n",
	  "t.conf:2: rules[0].dst: '2001:db8::1/64' has bits set after the /64 prefix" },
	{ "rules = (\n  { src = \"2001:db8::g/64\"; role = 1; }\n);\n",
	  "t.conf:2: rules[0].src: '2001:db8::g/64' is neither an IPv4 prefix (a.b.c.d/len) nor an IPv6 prefix" },
	{ "rules = (\n  { src = \"10.0.0.0/8\";\n    dst = \"2001:db8::/32\"; role = 1; }\n);\n",
	  "t.conf:3: rules[0].dst: '2001:db8::/32' is an IPv6 prefix, the rule's other prefix IPv4" },
	{ "rules = (\n  { role = 256; }\n);\n", "t.conf:2: rules[0].role: 256 is out of range" },
	{ "rules = (\n  { dport = 65536; role = 1; }\n);\n", "t.conf:2: rules[0].dport: 65536 is out of range" },
	{ "chains = (\n  { name = \"a\";\n    roles = [ 1, 300 ]; }\n);\n",
	  "t.conf:3: chains[0].roles[1]: 300 is out of range" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ 1 ]; },\n  { name = \"u\"; roles = [ 2, 1 ]; }\n);\n",
	  "t.conf:3: trust_groups[1].roles[1]: role 1 is already in trust group 't'" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ 1 ]; },\n  { name = \"t\"; roles = [ 2 ]; }\n);\n",
	  "t.conf:3: trust_groups[1].name: duplicate trust group 't'" },
	{ "trust_groups = (\n  { name = \"default\"; roles = [ 1 ]; }\n);\n",
	  "t.conf:2: trust_groups[0].name: duplicate trust group 'default'" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ 256 ]; }\n);\n",
	  "t.conf:2: trust_groups[0].roles[0]: 256 is out of range" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ ]; }\n);\n",
	  "t.conf:2: trust_groups[0].roles: expected a non-empty array" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ 1 ]; colour = 1; }\n);\n",
	  "t.conf:2: trust_groups[0].colour: unknown key" },
	{ "trust_groups = (\n  { name = \"t\"; ports = [ 1 ]; }\n);\n",
	  "t.conf:2: trust_groups[0]: missing key 'roles'" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ 1 ]; ports = [ 32 ]; }\n);\n",
	  "t.conf:2: trust_groups[0].ports[0]: 32 is out of range" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ 1 ]; ports = [ ]; }\n);\n",
	  "t.conf:2: trust_groups[0].ports: expected a non-empty array" },
	{ "trust_groups = (\n  { name = \"t\"; roles = [ 1 ]; ports = [ 1 ]; },\n"
	  "  { name = \"u\"; roles = [ 2 ]; ports = [ 0, 1 ]; }\n);\n",
	  "t.conf:3: trust_groups[1].ports[1]: port 1 already receives into trust group 't'" },
	{ "trust_groups = ( { name = \"a\"; roles = [ 1 ]; }, { name = \"b\"; roles = [ 2 ]; },\n"
	  "  { name = \"c\"; roles = [ 3 ]; }, { name = \"d\"; roles = [ 4 ]; },\n"
	  "  { name = \"e\"; roles = [ 5 ]; }, { name = \"f\"; roles = [ 6 ]; },\n"
	  "  { name = \"g\"; roles = [ 7 ]; },\n  { name = \"h\"; roles = [ 8 ]; } );\n",
	  "t.conf:5: trust_groups[7]: at most 7 trust groups besides \"default\"" },
	{ "chains = (\n  { name = \"a\";\n    roles = [ 1, \"x\" ]; }\n);\n", "t.conf:3: syntax: " },
	/* prefixes and port ranges */
	{ "rules = (\n  { src = \"10.0.0.0/33\"; role = 1; }\n);\n", "t.conf:2: rules[0].src: '10.0.0.0/33'" },
	{ "rules = (\n  { src = \"10.0.0/8\"; role = 1; }\n);\n", "t.conf:2: rules[0].src: '10.0.0/8'" },
	{ "rules = (\n  { src = \"10.0.0.1/8\"; role = 1; }\n);\n", "t.conf:2: rules[0].src: '10.0.0.1/8' has bits set" },
	{ "rules = (\n  { dst = \"10.0.0.0/\"; role = 1; }\n);\n", "t.conf:2: rules[0].dst: '10.0.0.0/'" },
	{ "rules = (\n  { dst = \"10.0.0.0/+8\"; role = 1; }\n);\n", "t.conf:2: rules[0].dst: '10.0.0.0/+8'" },
	{ "rules = (\n  { dst = \"256.0.0.0/8\"; role = 1; }\n);\n", "t.conf:2: rules[0].dst: '256.0.0.0/8'" },
	{ "rules = (\n  { dst = \"any\"; role = 1; }\n);\n", "t.conf:2: rules[0].dst: 'any'" },
	{ "rules = (\n  { sport = \"100-50\"; role = 1; }\n);\n", "t.conf:2: rules[0].sport: '100-50': range is empty" },
	{ "rules = (\n  { sport = \"51-50\"; role = 1; }\n);\n", "t.conf:2: rules[0].sport: '51-50': range is empty" },
	{ "rules = (\n  { dport = \"70000\"; role = 1; }\n);\n", "t.conf:2: rules[0].dport: '70000': ports are 0..65535" },
	{ "rules = (\n  { dport = \"1-65536\"; role = 1; }\n);\n", "t.conf:2: rules[0].dport: '1-65536': ports are 0..65535" },
	{ "rules = (\n  { dport = \"1-\"; role = 1; }\n);\n", "t.conf:2: rules[0].dport: '1-' is not a port" },
	{ "rules = (\n  { dport = \"abc\"; role = 1; }\n);\n", "t.conf:2: rules[0].dport: 'abc' is not a port" },
	{ "rules = (\n  { dport = \"80 \"; role = 1; }\n);\n", "t.conf:2: rules[0].dport: '80 ' is not a port" },
	{ "rules = (\n  { dport = \"-5\"; role = 1; }\n);\n", "t.conf:2: rules[0].dport: '-5' is not a port" },
	/* duplicate names and ids */
	{ "roles = (\n  { id = 1; name = \"a\"; },\n  { id = 1; name = \"b\"; }\n);\n",
	  "t.conf:3: roles[1].id: duplicate role id 1" },
	{ "roles = (\n  { id = 1; name = \"a\"; },\n  { id = 2;\n    name = \"a\"; }\n);\n",
	  "t.conf:4: roles[1].name: duplicate role name 'a'" },
	{ "chains = (\n  { name = \"a\"; roles = [1]; },\n  { name = \"a\"; roles = [2]; }\n);\n",
	  "t.conf:3: chains[1].name: duplicate chain name 'a'" },
	/* names, lengths, missing keys */
	{ "roles = (\n  { id = 1; name = \"fire wall\"; }\n);\n", "t.conf:2: roles[0].name: 'fire wall'" },
	/* a role's name is what chain set and role name take beside an id */
	{ "roles = (\n  { id = 1; name = \"7\"; }\n);\n",
	  "t.conf:2: roles[0].name: '7': a role's name is not only digits (a role id)" },
	{ "roles = (\n  { id = 1; name = \"-\"; }\n);\n",
	  "t.conf:2: roles[0].name: '-' is no name (role list shows it for a role without one)" },
	{ "chains = (\n  { name = \"role:1\"; roles = [1]; }\n);\n", "t.conf:2: chains[0].name: 'role:1'" },
	/* an implicit chain's name is no name a file can use, made before or not */
	{ "rules = (\n  { role = 1; },\n  { chain = \"role:1\"; }\n);\n",
	  "t.conf:3: rules[1].chain: 'role:1': use only letters, digits" },
	{ "rules = (\n  { role = 2; }\n);\ndefault = { chain = \"role:2\"; };\n",
	  "t.conf:4: default.chain: 'role:2': use only letters, digits" },
	{ "chains = (\n  { name = \"abcdefghijklmnopqrstuvwxyz0123456\"; roles = [1]; }\n);\n",
	  "t.conf:2: chains[0].name: longer than 31" },
	{ "roles = (\n  { id = 1; }\n);\n", "t.conf:2: roles[0]: missing key 'name'" },
	{ "roles = (\n  { name = \"x\"; }\n);\n", "t.conf:2: roles[0]: missing key 'id'" },
	{ "chains = (\n  { roles = [1]; }\n);\n", "t.conf:2: chains[0]: missing key 'name'" },
	{ "chains = (\n  { name = \"a\"; }\n);\n", "t.conf:2: chains[0]: missing key 'roles'" },
	{ "chains = (\n  { name = \"a\";\n    roles = [ ]; }\n);\n", "t.conf:3: chains[0].roles: 0 roles" },
	{ "chains = (\n  { name = \"a\";\n    roles = [ 1, 2, 3, 4, 5, 6, 7, 8, 9 ]; }\n);\n",
	  "t.conf:3: chains[0].roles: 9 roles" },
	/* targets */
	{ "chains = ( { name = \"a\"; roles = [1]; } );\nrules = (\n  { role = 1; },\n"
	  "  { dst = \"10.0.0.0/8\";\n    chain = \"b\"; }\n);\n",
	  "t.conf:5: rules[1].chain: unknown chain 'b'" },
	{ "rules = (\n  { role = 1; },\n  { in_port = 1;\n    dport = 53; }\n);\n",
	  "t.conf:3: rules[1]: no target" },
	{ "rules = (\n  { role = 1;\n    action = \"drop\"; }\n);\n",
	  "t.conf:3: rules[0].action: second target" },
	{ "chains = ( { name = \"a\"; roles = [1]; } );\nrules = (\n  { chain = \"a\";\n    role = 2; }\n);\n",
	  "t.conf:4: rules[0].role: second target" },
	{ "rules = (\n  { action = \"accept\"; }\n);\n", "t.conf:2: rules[0].action: unknown action 'accept'" },
	{ "rules = (\n  5\n);\n", "t.conf:2: rules[0]: expected a group" },
	{ "default = {\n};\n", "t.conf:1: default: no target" },
	{ "default = {\n  chain = \"nope\";\n};\n", "t.conf:2: default.chain: unknown chain 'nope'" },
	{ "default = {\n  role = 1;\n  action = \"drop\";\n};\n", "t.conf:3: default.action: second target" },
};

/* A file of @n rules, rule i "{ dport = i % 65536; role = 1 + i % 3; }" on line i + 2
 * (malloc'd). */
static char *
many_rules(unsigned int n)
{
	size_t cap = 64 + (size_t)n * 48, len;
	char *text = malloc(cap);
	unsigned int i;

	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "rules = (\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "  { dport = %u; role = %u; }%s\n",
					i % 65536, 1 + i % 3, i + 1 < n ? "," : "");
	snprintf(text + len, cap - len, ");\n");
	return text;
}

/* The rule limit: 100 000 rules (the scale) and the limit itself
 * load; one rule more is refused with a message naming the limit. */
static void
test_rule_limit(void **state)
{
	char err[256];
	struct cfg c;
	char *text;

	(void)state;
	text = many_rules(100000);
	assert_int_equal(cfg_parse_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_rules, 100000);
	assert_int_equal(c.rules[99999].dport_lo, 99999 % 65536);
	assert_int_equal(c.rules[99999].line, 100001);
	assert_int_equal(c.nb_chains, 3); /* role:1, role:2, role:3 */
	assert_int_equal(c.rules[99999].target, 0); /* role 1 (99999 % 3 == 0): the first chain */
	cfg_free(&c);
	free(text);

	text = many_rules(131072);
	assert_int_equal(cfg_parse_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_rules, 131072);
	cfg_free(&c);
	free(text);

	text = many_rules(131073);
	assert_int_equal(cfg_parse_string(text, "t.conf", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1: rules: 131073 rules; at most 131072 (the classifier's "
			    "limit)");
	assert_int_equal(c.nb_rules, 0);
	assert_null(c.rules);
	free(text);
}

static void
test_errors(void **state)
{
	unsigned int i, failed = 0;
	char err[512];
	struct cfg c;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];

		err[0] = '\0';
		rc = cfg_parse_string(b->text, "t.conf", &c, err, sizeof(err));
		if (rc != -EINVAL || strncmp(err, b->prefix, strlen(b->prefix)) != 0) {
			print_error("case %u: rc %d, message \"%s\", expected -EINVAL and \"%s...\"\n",
				    i, rc, err, b->prefix);
			failed++;
		}
		/* A failed parse leaves the defaults and owns nothing. */
		if (c.chains != NULL || c.rules != NULL || c.nb_chains != 0 || c.nb_rules != 0 ||
		    c.pool_buffers != 16383) {
			print_error("case %u: configuration not reset after the error\n", i);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_error_no_buffer(void **state)
{
	struct cfg c;

	(void)state;
	assert_int_equal(cfg_parse_string("core = { queues = 99; };", "t.conf", &c, NULL, 0),
			 -EINVAL);
	assert_int_equal(cfg_parse_string("core = { queues = ; };", "t.conf", &c, NULL, 0),
			 -EINVAL);
}

static void
test_error_truncated_buffer(void **state)
{
	char err[12];
	struct cfg c;

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(cfg_parse_string("core = {\n queues = 99; };", "t.conf", &c, err,
					  sizeof(err)), -EINVAL);
	assert_int_equal(err[sizeof(err) - 1], '\0');
	assert_string_equal(err, "t.conf:2: c");
}

/* A path that cannot be read as a file: the errno, and a message naming it. */
static void
test_missing_file(void **state)
{
	char err[256] = "";
	struct cfg c;

	(void)state;
	assert_int_equal(cfg_load("no-such-dir/netvm.conf", &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-dir/netvm.conf"));
	assert_is_defaults(&c);
	assert_int_equal(cfg_load(P_tmpdir, &c, err, sizeof(err)), -EISDIR);
	assert_is_defaults(&c);
}

/* Write @text to file @path, replacing what it held. */
static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Write @text to a new temporary file; its name goes to @path. */
static void
write_temp(char *path, size_t size, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, size, "%s/netvm-test-cfg-XXXXXX", P_tmpdir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_file_errors_name_the_file(void **state)
{
	char path[256], expect[300], err[512];
	struct cfg c;
	int rc;

	(void)state;
	write_temp(path, sizeof(path), "# comment\n\ncore = {\n  ring_size = 63;\n};\n");
	rc = cfg_load(path, &c, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:4: core.ring_size: ", path);
	unlink(path);
	assert_int_equal(rc, -EINVAL);
	assert_memory_equal(err, expect, strlen(expect));

	write_temp(path, sizeof(path), "core = {\n\n  ring_size = 64\n  };;\n");
	rc = cfg_load(path, &c, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:4: syntax: ", path);
	unlink(path);
	assert_int_equal(rc, -EINVAL);
	assert_memory_equal(err, expect, strlen(expect));

	write_temp(path, sizeof(path), full_conf);
	rc = cfg_load(path, &c, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, 0);
	assert_int_equal(c.nb_rules, 7);
	assert_int_equal(c.rules[6].line, line_of(full_conf, "{ chain = \"long\""));
	cfg_free(&c);
}

/* A file whose reading fails midway is an error naming it, not the end of
 * the process (libconfig's own reader exits on it); a pipe is read to its
 * end, but has no directory to take a relative core.socket from. */
static void
test_read_errors(void **state)
{
	char err[256] = "", path[64], expect[256];
	int fds[2];
	struct cfg c;

	(void)state;
	assert_int_equal(cfg_load("/proc/self/mem", &c, err, sizeof(err)), -EIO);
	assert_string_equal(err, "/proc/self/mem: cannot read: Input/output error");
	assert_is_defaults(&c);

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "core = { queues = 3; };\n", 24), 24);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.queues, 3);
	cfg_free(&c);
	close(fds[0]);

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "core = {\n socket = \"x.sock\";\n};\n", 32), 32);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: core.socket: 'x.sock' is relative, but %s is no "
		 "regular file, whose directory it would be taken from: give an absolute path",
		 path, path);
	assert_string_equal(err, expect);
	assert_is_defaults(&c);
	close(fds[0]);
}

/* @include takes a relative path from the including file's directory,
 * whatever the working directory; mistakes in it name it. */
static void
test_include_relative(void **state)
{
	char dir[128], sub[160], path[192], inc[192], nested[192], err[512];
	struct cfg c;

	(void)state;
	/* a mkdtemp(3) template: the X are replaced by a unique name */
	snprintf(dir, sizeof(dir), "%s/netvm-test-inc-XXXXXX", P_tmpdir);
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	snprintf(inc, sizeof(inc), "%s/roles.conf", sub);
	write_file(path, "core = { queues = 2; };\n@include \"sub/roles.conf\"\n");
	write_file(inc, "roles = ( { id = 7; name = \"inc\"; } );\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.queues, 2);
	assert_string_equal(c.role_names[7], "inc");
	cfg_free(&c);

	write_file(inc, "roles = ( { id = 7; name = \"inc\"; bogus = 1; } );\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "sub/roles.conf:1: roles[0].bogus: unknown key");

	/* an integer that libconfig keeps only the low 32 bits of (4294967303
	 * would be role 7), in the included file as in the file itself */
	write_file(inc, "# role 7\nroles = ( { id = 4294967303; name = \"inc\"; } );\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "sub/roles.conf:2: syntax: the integer 4294967303 does not fit "
			    "in 32 bits (write 4294967303L for a 64-bit integer)");
	assert_is_defaults(&c);

	/* an @include in an included file is taken from the first file's
	 * directory too (libconfig 1.5 has one include directory) */
	snprintf(nested, sizeof(nested), "%s/nested.conf", dir);
	write_file(inc, "roles = ( { id = 7; name = \"inc\"; } );\n@include \"nested.conf\"\n");
	write_file(nested, "rules = (\n  { in_port = 4294967297; role = 7; }\n);\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nested.conf:2: syntax: the integer 4294967297 does not fit "
			    "in 32 bits (write 4294967297L for a 64-bit integer)");
	write_file(nested, "rules = (\n  { in_port = 1; role = 7; }\n);\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_rules, 1);
	assert_int_equal(c.rules[0].in_port, 1);
	cfg_free(&c);

	/* a pipe (-c <(...)) has no directory: PATH is taken as written, as
	 * in core reload's text, not from /proc/self/fd */
	{
		char pp[64], text[256];
		int fds[2], n;

		n = snprintf(text, sizeof(text), "@include \"%s\"\n", nested);
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], text, (size_t)n), n);
		close(fds[1]);
		snprintf(pp, sizeof(pp), "/proc/self/fd/%d", fds[0]);
		assert_int_equal(cfg_load(pp, &c, err, sizeof(err)), 0);
		assert_int_equal(c.nb_rules, 1);
		cfg_free(&c);
		close(fds[0]);
	}
	unlink(nested);
	unlink(inc);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

/* An @include of a directory, a pipe or a file that cannot be read is an
 * error naming the directive's file and line, in a file, an included file
 * and a text (core reload) alike: libconfig 1.5's scanner would end the
 * process on the directory or the read error and wait on the pipe. */
static void
test_include_not_regular(void **state)
{
	char dir[128], path[192], fifo[192], inc[192], text[512], expect[512], err[1024];
	struct cfg c;

	(void)state;
	/* a mkdtemp(3) template: the X are replaced by a unique name */
	snprintf(dir, sizeof(dir), "%s/netvm-test-inc-XXXXXX", P_tmpdir);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(inc, sizeof(inc), "%s/inc.conf", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	write_file(path, "core = { queues = 2; };\n\n@include \".\"\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:3: syntax: cannot include '.': Is a directory", path);
	assert_string_equal(err, expect);
	assert_is_defaults(&c);

	write_file(path, "@include \"fifo\"\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:1: syntax: cannot include 'fifo': not a regular file",
		 path);
	assert_string_equal(err, expect);

	/* in an included file: named as the directive wrote it */
	write_file(path, "@include \"inc.conf\"\n");
	write_file(inc, "roles = ( { id = 7; name = \"inc\"; } );\n@include \"fifo\"\n");
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "inc.conf:2: syntax: cannot include 'fifo': not a regular file");

	/* a text (core reload) has no include directory: the paths as given */
	snprintf(text, sizeof(text), "core = { queues = 2; };\n@include \"%s\"\n", dir);
	assert_int_equal(cfg_parse_string(text, "reload", &c, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "reload:2: syntax: cannot include '%s': Is a directory",
		 dir);
	assert_string_equal(err, expect);
	assert_int_equal(cfg_parse_string("\n@include \"/proc/self/mem\"\n", "reload", &c, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "reload:2: syntax: cannot include '/proc/self/mem': cannot read: "
			    "Input/output error");
	assert_is_defaults(&c);
	unlink(inc);
	unlink(fifo);
	unlink(path);
	rmdir(dir);
}

static void
load_example(const char *name, struct cfg *c)
{
	char path[512], err[512];
	int rc;

	snprintf(path, sizeof(path), "%s/configs/examples/%s", source_root, name);
	rc = cfg_load(path, c, err, sizeof(err));
	if (rc != 0)
		print_error("%s: %s\n", path, err);
	assert_int_equal(rc, 0);
}

static void
test_example_chain(void **state)
{
	static const uint16_t fw_router[] = { 2, 1 }, r1[] = { 1 };
	struct cfg c;

	(void)state;
	load_example("chain.conf", &c);
	assert_string_equal(c.socket_path, "/run/netvm/chain.sock");
	assert_int_equal(c.pool_buffers, 8192);
	assert_int_equal(c.ring_size, 512);
	assert_string_equal(c.role_names[1], "router");
	assert_string_equal(c.role_names[2], "firewall");
	assert_int_equal(c.nb_chains, 2);
	assert_chain(&c.chains[0], "fw-router", 2, fw_router);
	assert_chain(&c.chains[1], "role:1", 1, r1);
	assert_int_equal(c.nb_rules, 3);
	assert_rule(&c.rules[0], c.rules[0].line, 0xffff, 0, 0xc0a84200, 24, 0, 0, 0, 65535, 0,
		    65535, 0xffff);
	assert_rule(&c.rules[1], c.rules[1].line, 0, 6, 0, 0, 0x0a000200, 24, 0, 65535, 80, 80, 0);
	assert_rule(&c.rules[2], c.rules[2].line, 0, 17, 0, 0, 0, 0, 0, 65535, 5000, 5999, 0);
	assert_true(c.rules[0].line < c.rules[1].line && c.rules[1].line < c.rules[2].line);
	assert_int_equal(c.default_target, 1);
	cfg_free(&c);
}

static void
test_example_lb(void **state)
{
	static const uint16_t r1[] = { 1 };
	struct cfg c;

	(void)state;
	load_example("lb.conf", &c);
	assert_string_equal(c.socket_path, "/run/netvm/lb.sock");
	assert_string_equal(c.role_names[1], "bridge");
	assert_int_equal(c.nb_chains, 1);
	assert_chain(&c.chains[0], "role:1", 1, r1);
	assert_int_equal(c.nb_rules, 2);
	assert_rule(&c.rules[0], c.rules[0].line, 0, 0, 0, 0, 0, 0, 0, 65535, 0, 65535, 0);
	assert_rule(&c.rules[1], c.rules[1].line, 1, 0, 0, 0, 0, 0, 0, 65535, 0, 65535, 0);
	assert_int_equal(c.default_target, 0xffff);
	cfg_free(&c);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_default_targets),
		cmocka_unit_test(test_trust_groups),
		cmocka_unit_test(test_manager_sections),
		cmocka_unit_test(test_core_paths),
		cmocka_unit_test(test_budgets),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_rule_limit),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_no_buffer),
		cmocka_unit_test(test_error_truncated_buffer),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_include_relative),
		cmocka_unit_test(test_include_not_regular),
		cmocka_unit_test(test_file_errors_name_the_file),
		cmocka_unit_test(test_example_chain),
		cmocka_unit_test(test_example_lb),
	};

	if (argc > 1)
		source_root = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
