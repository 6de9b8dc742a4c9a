/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_filter — nl_filter against packets built byte by byte here: parse
 * errors with their rule and column, every primitive of the language, short
 * packets, fragments, IP options, qualifier inheritance, relations implying
 * the protocol, and the verbatim examples of Click's documentation with
 * outputs worked out by hand. test_filter_diff.c compares the compiled
 * program with an evaluator of its own over random expressions and packets.
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

#include "nl_filter.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* A packet: IP header on, and optionally an Ethernet header. */
struct pkt {
	uint8_t b[256];
	uint32_t len;
	uint8_t eth[14];
	int has_eth;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* IPv4 header with @optwords words of NOP options; the transport header follows. */
static struct pkt
ip4(uint8_t proto, uint32_t src, uint32_t dst, unsigned int optwords)
{
	struct pkt p;
	unsigned int hl = 20 + 4 * optwords;

	memset(&p, 0, sizeof(p));
	p.b[0] = (uint8_t)(0x40 | (hl / 4));
	put16(p.b + 4, 0x1234); /* id */
	p.b[8] = 64;            /* ttl */
	p.b[9] = proto;
	put32(p.b + 12, src);
	put32(p.b + 16, dst);
	memset(p.b + 20, 1, hl - 20); /* NOP options */
	p.len = hl;
	put16(p.b + 2, (uint16_t)p.len);
	return p;
}

static unsigned int
hlen(const struct pkt *p)
{
	return (p->b[0] & 0xfu) * 4;
}

static struct pkt
tcp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct pkt p = ip4(6, src, dst, 0);
	uint8_t *t = p.b + 20;

	put16(t, sport);
	put16(t + 2, dport);
	t[12] = 0x50;
	t[13] = flags;
	put16(t + 14, 8192);
	p.len += 20;
	put16(p.b + 2, (uint16_t)p.len);
	return p;
}

static struct pkt
udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct pkt p = ip4(17, src, dst, 0);

	put16(p.b + 20, sport);
	put16(p.b + 22, dport);
	put16(p.b + 24, 8);
	p.len += 8;
	put16(p.b + 2, (uint16_t)p.len);
	return p;
}

static struct pkt
icmp4(uint32_t src, uint32_t dst, uint8_t type, uint8_t code)
{
	struct pkt p = ip4(1, src, dst, 0);

	p.b[20] = type;
	p.b[21] = code;
	p.len += 8;
	put16(p.b + 2, (uint16_t)p.len);
	return p;
}

#define A1 IP(10, 0, 0, 1)
#define A2 IP(192, 168, 1, 2)

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

static void
set_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6])
{
	memcpy(p->eth, dst, 6);
	memcpy(p->eth + 6, src, 6);
	p->eth[12] = 0x08;
	p->eth[13] = 0x00;
	p->has_eth = 1;
}

static int
run(const struct nl_filter *f, const struct pkt *p)
{
	const uint8_t *l3 = p->b, *l2 = p->has_eth ? p->eth : NULL;
	uint32_t len = p->len;
	int out = -7, r = nl_filter_match(f, p->b, p->len, l2);

	/* the burst path must agree */
	assert_int_equal(nl_filter_match_burst(f, &l3, &len, p->has_eth ? &l2 : NULL, &out, 1), 1);
	assert_int_equal(out, r);
	return r;
}

static struct nl_filter *
classifier(const char *const *pats, unsigned int n)
{
	char err[256];
	struct nl_filter *f = nl_filter_compile_classifier(pats, n, NULL, err, sizeof(err));

	if (!f)
		fail_msg("compile failed: %s", err);
	return f;
}

/* Does the one pattern @pat match @p? */
static int
m(const char *pat, const struct pkt *p)
{
	struct nl_filter *f = classifier(&pat, 1);
	int r = run(f, p);

	nl_filter_free(f);
	assert_true(r == 0 || r == -1);
	return r == 0;
}

#define YES(pat, p) do { if (!m(pat, p)) fail_msg("'%s' should match (line %d)", pat, __LINE__); } while (0)
#define NO(pat, p) do { if (m(pat, p)) fail_msg("'%s' should not match (line %d)", pat, __LINE__); } while (0)

/* ---- errors ------------------------------------------------------------ */

static void
expect_error(const char *pat, const char *want)
{
	char err[256];
	struct nl_filter *f = nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err));

	if (f) {
		nl_filter_free(f);
		fail_msg("'%s' compiled, expected error '%s'", pat, want);
	}
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' does not contain '%s'", pat, err, want);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("tcpx", "rule 0, column 1: unknown name 'tcpx'");
	expect_error("ip proto tcpx", "rule 0, column 10: unknown protocol 'tcpx'");
	expect_error("tcp )", "rule 0, column 5: garbage after expression at ')'");
	expect_error("tcp ? udp", "rule 0, column 10: missing ':' in ternary expression");
	expect_error("tcp ? udp or icmp", "column 18: missing ':' in ternary expression");
	expect_error("src port 70000", "column 10: value 70000 out of range");
	expect_error("ip ttl > 256", "value 256 out of range");
	/* all, any and - are whole patterns: inside one, true says it */
	expect_error("all and tcp", "rule 0, column 1: 'all' matches every packet as the whole "
		     "pattern only; within one, write 'true'");
	expect_error("tcp or (any)", "rule 0, column 9: 'any' matches every packet as the "
		     "whole pattern only; within one, write 'true'");
	expect_error("not -", "rule 0, column 5: '-' matches every packet as the whole pattern "
		     "only; within one, write 'true'");
	expect_error("ip vers 16", "value 16 out of range");
	/* 256 stands for tcpudp inside the compiler: as a number it is no protocol */
	expect_error("ip proto 256", "column 10: value 256 out of range for 'proto' (0-255)");
	expect_error("proto != 256", "value 256 out of range for 'proto'");
	expect_error("ip proto 1000", "value 1000 out of range");
	expect_error("ip tos & 0 == 1", "column 10: zero mask");
	expect_error("ip tos & 256 == 1", "mask 0x100 out of range");
	expect_error("ip[3:2] 1", "column 3: field [3:2] straddles a 4-byte word");
	expect_error("ip[0:5] 1", "LEN in '[POS:LEN]' is 5");
	expect_error("ip[0:0] 1", "LEN in '[POS:LEN]' is 0");
	expect_error("ip[65521] 1", "column 3: POS in '[POS:LEN]' is 65521, at most 65520");
	expect_error("tcp opt = syn", "column 9: relation not allowed with 'tcp opt'");
	expect_error("ip[x] 1", "syntax error after '[', expected '[POS]', '[POS:LEN]' or "
		     "'[POS,END]'");
	expect_error("ip[9,8] 6", "column 3: END in '[POS,END]' is 8, before POS 9 (END is the "
		     "last byte's offset)");
	expect_error("src net 10.0.0.0 mask", "column 18: missing the mask after 'mask'");
	expect_error("src net 10.0.0.0 mask 255.x", "column 23: bad address mask '255.x'");
	expect_error("ip[4 1", "missing ']'");
	expect_error("(tcp", "column 5: missing ')'");
	expect_error("tcp and", "missing test after 'and'");
	expect_error("not", "column 4: missing test after 'not'");
	expect_error("src ttl 5", "column 1: 'src' or 'dst' is meaningless with 'ttl'");
	expect_error("ip ttl", "value missing in 'ttl' test");
	expect_error("echo", "'echo' is ambiguous");
	expect_error("80", "column 1: a bare number needs 'port'");
	expect_error("host > 1.2.3.4", "column 6: relation not allowed with 'host'");
	expect_error("tcp opt & 3 syn", "column 9: mask not allowed with 'tcp opt'");
	expect_error("udp opt syn", "does not apply to protocol 17");
	expect_error("udp win 5", "does not apply to protocol 17");
	expect_error("tcpudp opt syn", "column 1: 'tcp opt' does not apply to 'tcpudp'");
	expect_error("icmp or www", "column 9: 'port' does not apply to protocol 1");
	expect_error("tcp icmp", "transport protocol specified twice");
	expect_error("src dst host 1.2.3.4", "'src' or 'dst' specified twice");
	expect_error("host host 1.2.3.4", "type specified twice");
	expect_error("ip frag 1", "'frag' takes no value");
	expect_error("port 1.2.3.4", "'1.2.3.4' is not a valid value for 'port'");
	expect_error("net 10.0.0.0/33", "prefix length out of range");
	expect_error("ip ttl >", "missing value after the relation at column 8");
	expect_error("port foo", "unknown port 'foo'");
	expect_error("icmp type foo", "unknown ICMP type 'foo'");
	expect_error("tcp opt foo", "unknown TCP flag 'foo'");
	expect_error("tcp ; udp", "garbage after expression at ';'");
	expect_error("()", "expected a test at ')'");
	expect_error("ether host 1.2.3.4", "'1.2.3.4' is not a valid value for 'ether host'");
	expect_error("ip host 0:1:2:3:4:5", "no 'ip' value");
	expect_error("transp 5", "'transp' needs '[POS:LEN]'");
	expect_error("ip ttl 99999999999", "out of range");
	expect_error("host 2000::/129", "column 6: prefix length out of range");
	expect_error("src host & 1 == 2000::", "column 10: mask not allowed with an IPv6 address");
	expect_error("host > 2000::", "relation not allowed with 'host'");
	expect_error("port 2000::", "'2000::' is not a valid value for 'port'");
	expect_error("host 2000:::1", "unknown name '2000:::1'");
}

static void
test_errors_ipfilter(void **state)
{
	struct nl_filter_opts o = { .noutputs = 2 };
	const char *r1[] = { "allow tcp", "7 udp" };
	const char *r2[] = { "frobnicate tcp" };
	const char *r3[] = { "allow tcp", "1 udp", "deny  tcpx" };
	char err[256];

	(void)state;
	assert_null(nl_filter_compile_ipfilter(r1, 2, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 1, column 1: slot '7' out of range (2 outputs)");
	assert_null(nl_filter_compile_ipfilter(r2, 1, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "rule 0, column 1: unknown action 'frobnicate'"));
	/* a number too large for any output is a slot out of range, whatever its length */
	{
		const char *big[] = { " 70000 tcp" }, *huge[] = { "99999999999999999999 tcp" };

		assert_null(nl_filter_compile_ipfilter(big, 1, NULL, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 2: slot '70000' out of range "
					 "(65536 outputs)");
		assert_null(nl_filter_compile_ipfilter(huge, 1, &o, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 1: slot '99999999999999999999' out of "
					 "range (2 outputs)");
	}
	/* the action is a word as the pattern's words are: punctuation ends it, as in Click */
	{
		const char *r6[] = { "1(udp)", "allow!udp", "drop(icmp)", "allow(tcp and" };
		const char *r7[] = { "(tcp)" }, *r8[] = { "allow-tcp" };
		struct pkt t = tcp4(A1, A2, 1, 2, 0), u = udp4(A1, A2, 1, 2);
		struct pkt i = icmp4(A1, A2, 8, 0);
		struct nl_filter *f = nl_filter_compile_ipfilter(r6, 2, &o, err, sizeof(err));

		assert_non_null(f);
		assert_int_equal(run(f, &u), 1);
		assert_int_equal(run(f, &t), 0);
		assert_int_equal(run(f, &i), 0);
		nl_filter_free(f);
		f = nl_filter_compile_ipfilter(r6 + 2, 1, &o, err, sizeof(err));
		assert_non_null(f);
		assert_int_equal(run(f, &i), -1);
		assert_int_equal(run(f, &t), -1);
		nl_filter_free(f);
		assert_null(nl_filter_compile_ipfilter(r6 + 3, 1, &o, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 14: missing test after 'and'");
		assert_null(nl_filter_compile_ipfilter(r7, 1, &o, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 1: unknown action '(' (expected allow, "
					 "deny, drop or an output number)");
		assert_null(nl_filter_compile_ipfilter(r8, 1, &o, err, sizeof(err)));
		assert_non_null(strstr(err, "unknown action 'allow-tcp'"));
	}
	/* no outputs at all: only drop rules */
	{
		struct nl_filter_opts none = { .noutputs = NL_FILTER_NO_OUTPUTS };
		const char *ok[] = { "drop udp", "deny tcp" }, *a[] = { "drop udp", " allow tcp" };
		const char *z[] = { "0 tcp" }, *c[] = { "tcp" };
		const struct nl_filter_rule r[] = { { "udp", NL_FILTER_DROP }, { "tcp", 0 } };
		struct pkt t = tcp4(A1, A2, 1, 2, 0);
		struct nl_filter *f = nl_filter_compile_ipfilter(ok, 2, &none, err, sizeof(err));

		assert_non_null(f);
		assert_int_equal(run(f, &t), -1);
		nl_filter_free(f);
		assert_null(nl_filter_compile_ipfilter(a, 2, &none, err, sizeof(err)));
		assert_string_equal(err, "rule 1, column 2: 'allow' is meaningless with no outputs");
		assert_null(nl_filter_compile_ipfilter(z, 1, &none, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 1: slot '0' out of range (0 outputs)");
		assert_null(nl_filter_compile_classifier(c, 1, &none, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 1: output 0 out of range (0 outputs)");
		assert_null(nl_filter_compile(r, 2, &none, err, sizeof(err)));
		assert_string_equal(err, "rule 1, column 1: output 0 out of range (0 outputs)");
	}
	/* columns count from the start of the rule, action included */
	assert_null(nl_filter_compile_ipfilter(r3, 3, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 2, column 7: unknown name 'tcpx'");
	/* with several bad rules, the first one is reported */
	{
		const char *r4[] = { "allow tcp and", "allow ((tcp)", "9 udp" };
		const struct nl_filter_rule r5[] = { { "udp", 1 }, { "tcpx", 0 }, { "tcp", 70000 } };

		assert_null(nl_filter_compile_ipfilter(r4, 3, &o, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 14: missing test after 'and'");
		assert_null(nl_filter_compile(r5, 3, NULL, err, sizeof(err)));
		assert_string_equal(err, "rule 1, column 1: unknown name 'tcpx'");
	}
}

/* The plain API: explicit outputs, drop on match, output range checks. */
static void
test_rules_api(void **state)
{
	const struct nl_filter_rule rules[] = {
		{ "tcp and dst port 22", NL_FILTER_DROP }, { "tcp", 3 }, { "udp", 0 }, { "-", 1 },
	};
	const struct nl_filter_rule bad[] = { { "tcp", 70000 } }, bad2[] = { { "tcp", 2 } };
	const struct nl_filter_rule bad3[] = { { "tcp", NL_FILTER_DROP }, { "udp", -2 } };
	struct nl_filter_opts o = { .noutputs = 2 }, o3 = { .noutputs = 3 };
	struct pkt t22 = tcp4(A1, A2, 1, 22, 0), t80 = tcp4(A1, A2, 1, 80, 0);
	struct pkt u = udp4(A1, A2, 1, 22), g = ip4(47, A1, A2, 0);
	struct nl_filter *f;
	char err[256];

	(void)state;
	f = nl_filter_compile(rules, 4, NULL, err, sizeof(err));
	assert_non_null(f);
	assert_true(nl_filter_size(f) > 0);
	assert_int_equal(run(f, &t22), -1);
	assert_int_equal(run(f, &t80), 3);
	assert_int_equal(run(f, &u), 0);
	assert_int_equal(run(f, &g), 1);
	nl_filter_free(f);
	/* the output is no text: column 1, where the rule starts, as for every error */
	assert_null(nl_filter_compile(bad, 1, NULL, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 1: output 70000 out of range (65536 outputs)");
	assert_null(nl_filter_compile(bad2, 1, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 1: output 2 out of range (2 outputs)");
	assert_null(nl_filter_compile(bad3, 2, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 1, column 1: output -2 out of range (2 outputs)");
	f = nl_filter_compile(bad2, 1, &o3, err, sizeof(err)); /* output 2 of 3, and drop */
	assert_non_null(f);
	nl_filter_free(f);
	f = nl_filter_compile(NULL, 0, NULL, err, sizeof(err)); /* no rules: drop all */
	assert_non_null(f);
	assert_int_equal(run(f, &t80), -1);
	{
		/* a burst of more than NL_FILTER_BURST_MAX: -EINVAL, no output written */
		const uint8_t *l3[NL_FILTER_BURST_MAX + 1];
		uint32_t len[NL_FILTER_BURST_MAX + 1];
		int out[NL_FILTER_BURST_MAX + 1];
		unsigned int k;

		for (k = 0; k <= NL_FILTER_BURST_MAX; k++) {
			l3[k] = t80.b;
			len[k] = t80.len;
			out[k] = 7;
		}
		assert_int_equal(nl_filter_match_burst(f, l3, len, NULL, out,
						       NL_FILTER_BURST_MAX + 1), -EINVAL);
		for (k = 0; k <= NL_FILTER_BURST_MAX; k++)
			assert_int_equal(out[k], 7);
		assert_int_equal(nl_filter_match_burst(f, l3, len, NULL, out, NL_FILTER_BURST_MAX),
				 (int)NL_FILTER_BURST_MAX);
		assert_int_equal(out[NL_FILTER_BURST_MAX - 1], -1);
	}
	nl_filter_free(f);
	nl_filter_free(NULL);
}

/* Nesting is bounded, long and odd inputs are refused or compiled, never crash. */
static void
test_limits(void **state)
{
	char *s = malloc(200000), err[256];
	const char *pat = s;
	struct nl_filter *f;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 1000; i++)
		n += (size_t)sprintf(s + n, "(");
	n += (size_t)sprintf(s + n, "tcp");
	for (i = 0; i < 1000; i++)
		n += (size_t)sprintf(s + n, ")");
	assert_null(nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "nested too deeply"));
	for (n = 0, i = 0; i < 5000; i++)
		n += (size_t)sprintf(s + n, "not ");
	sprintf(s + n, "tcp");
	assert_null(nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "nested too deeply"));
	for (n = 0, i = 0; i < 5000; i++)
		n += (size_t)sprintf(s + n, "tcp ? udp : ");
	sprintf(s + n, "icmp");
	assert_null(nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "nested too deeply"));
	/* the column is that of the 65th opening token */
	for (n = 0, i = 0; i < 65; i++)
		n += (size_t)sprintf(s + n, "(");
	n += (size_t)sprintf(s + n, "tcp");
	for (i = 0; i < 65; i++)
		n += (size_t)sprintf(s + n, ")");
	assert_null(nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 65: expression nested too deeply (more than 64 "
			    "levels)");
	/* a 'not' among the qualifiers counts as one too: 64 pass, 65 or 200 do not */
	for (n = (size_t)sprintf(s, "src "), i = 0; i < 200; i++)
		n += (size_t)sprintf(s + n, "not ");
	sprintf(s + n, "1.2.3.4");
	assert_null(nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "nested too deeply"));
	for (n = (size_t)sprintf(s, "src "), i = 0; i < 65; i++)
		n += (size_t)sprintf(s + n, "not ");
	sprintf(s + n, "1.2.3.4");
	assert_null(nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 261: expression nested too deeply (more than 64 "
			    "levels)"); /* 4 + 64 * 4 + 1 */
	for (n = (size_t)sprintf(s, "src "), i = 0; i < 64; i++)
		n += (size_t)sprintf(s + n, "not ");
	sprintf(s + n, "1.2.3.4");
	f = nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err));
	if (!f)
		fail_msg("64 qualifier 'not's refused: %s", err);
	{
		struct pkt t = tcp4(IP(1, 2, 3, 4), 2, 3, 4, 0), u = tcp4(IP(1, 2, 3, 5), 2, 3, 4, 0);

		assert_int_equal(run(f, &t), 0); /* 64 negations: even */
		assert_int_equal(run(f, &u), -1);
	}
	nl_filter_free(f);
	/* 60 levels is fine: "not" x 30 around ( ) x 30 */
	for (n = 0, i = 0; i < 30; i++)
		n += (size_t)sprintf(s + n, "not (");
	n += (size_t)sprintf(s + n, "tcp");
	for (i = 0; i < 30; i++)
		n += (size_t)sprintf(s + n, ")");
	f = nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err));
	assert_non_null(f);
	{
		struct pkt t = tcp4(1, 2, 3, 4, 0), u = udp4(1, 2, 3, 4);

		assert_int_equal(run(f, &t), 0); /* 30 negations: even */
		assert_int_equal(run(f, &u), -1);
	}
	nl_filter_free(f);
	/* a long flat pattern: 3000 alternatives, no recursion per term */
	for (n = 0, i = 0; i < 3000; i++)
		n += (size_t)sprintf(s + n, "%sdst port %zu", i ? " or " : "", i + 1);
	f = nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err));
	assert_non_null(f);
	{
		struct pkt t = tcp4(1, 2, 3, 2999, 0), u = tcp4(1, 2, 3, 3001, 0);

		assert_int_equal(run(f, &t), 0);
		assert_int_equal(run(f, &u), -1);
	}
	nl_filter_free(f);
	/* too long */
	memset(s, 'a', 70000);
	s[70000] = 0;
	assert_null(nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
	/* a pattern of exactly NL_FILTER_MAX_RULE_LEN (64 KiB) bytes is taken, one more is
	 * not; in an IPFilter rule the action and the blanks after it do not count */
	{
		static const char *const lead[] = { "", "allow ", "deny \t ", "1  ", "\v1\f\v" };
		static const int want[] = { 0, 0, NL_FILTER_DROP, 1, 1 }; /* a TCP packet's */
		struct pkt t = tcp4(1, 2, 3, 4, 0), u = udp4(1, 2, 3, 4);
		unsigned int k, extra, col;
		size_t ll;

		for (k = 0; k < sizeof(lead) / sizeof(lead[0]); k++) {
			for (extra = 0; extra < 2; extra++) {
				ll = strlen(lead[k]);
				memcpy(s, lead[k], ll);
				memset(s + ll, ' ', NL_FILTER_MAX_RULE_LEN + extra);
				memcpy(s + ll, "tcp", 3); /* "tcp", then blanks */
				s[ll + NL_FILTER_MAX_RULE_LEN + extra] = 0;
				f = k == 0 ? nl_filter_compile_classifier(&pat, 1, NULL, err,
									  sizeof(err)) :
					     nl_filter_compile_ipfilter(&pat, 1, NULL, err,
									sizeof(err));
				if (extra == 0) {
					if (f == NULL)
						fail_msg("'%s' + 64 KiB refused: %s", lead[k], err);
					assert_int_equal(run(f, &t), want[k]);
					assert_int_equal(run(f, &u), -1);
					nl_filter_free(f);
					continue;
				}
				assert_null(f);
				col = (unsigned int)ll + 1;
				snprintf(s, 200, "rule 0, column %u: pattern too long (%d bytes, at "
					 "most %d)", col, NL_FILTER_MAX_RULE_LEN + 1,
					 NL_FILTER_MAX_RULE_LEN);
				assert_string_equal(err, s);
			}
		}
	}
	/* every byte value and short random token soup: no crash, no leak */
	{
		static const char *const words[] = {
			"tcp", "udp", "src", "dst", "and", "or", "not", "!", "(", ")", "?", ":",
			"port", "80", "host", "1.2.3.4", "10.0.0.0/8", "[", "]", "&", "==", "!=",
			">", "<=", "ip", "transp", "ether", "0:1:2:3:4:5", "syn", "opt", "type",
			"echo", "www", "mask", "255.0.0.0", "&&", "||", "-", "true", "false",
			"ttl", "3:1", "0x10", "frag", "unfrag", "icmp", "net", "win", "ect", "ce",
		};
		uint64_t rnd = 12345;
		int k, j;

		for (k = 0; k < 20000; k++) {
			n = 0;
			for (j = (int)(rnd % 12); j >= 0; j--) {
				rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
				if ((rnd >> 60) == 0)
					s[n++] = (char)(rnd >> 40); /* any byte */
				else
					n += (size_t)sprintf(s + n, "%s ",
							     words[(rnd >> 33) % (sizeof(words) / sizeof(words[0]))]);
			}
			s[n] = 0;
			f = nl_filter_compile_classifier(&pat, 1, NULL, err, sizeof(err));
			if (!f && (strncmp(err, "rule 0, column ", 15) || err[15] < '1' || err[15] > '9'))
				fail_msg("'%s': error without a column: '%s'", s, err);
			if (f) {
				struct pkt t = tcp4(IP(1, 2, 3, 4), 2, 80, 4, TCPF_SYN);

				(void)run(f, &t);
				nl_filter_free(f);
			}
		}
	}
	free(s);
}

/* ---- primitives --------------------------------------------------------- */


static void
test_addresses(void **state)
{
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN), same = tcp4(A1, A1, 1, 2, 0);

	(void)state;
	YES("host 10.0.0.1", &t);
	YES("host 192.168.1.2", &t);
	YES("src host 10.0.0.1", &t);
	NO("dst host 10.0.0.1", &t);
	NO("src and dst host 10.0.0.1", &t);
	YES("src and dst host 10.0.0.1", &same);
	YES("src && dst host 10.0.0.1", &same);
	YES("src or dst host 192.168.1.2", &t);
	YES("10.0.0.1", &t);
	YES("src 10.0.0.1", &t);
	NO("dst 10.0.0.1", &t);
	YES("net 10.0.0.0/8", &t);
	YES("host 10.0.0.0/8", &t);   /* Click refuses a prefix after 'host' */
	YES("src net 10.0.0.1", &t);  /* and an address after 'net' */
	NO("src net 10.0.0.2", &t);
	YES("src net 10.0.0.0 mask 255.0.0.0", &t);
	NO("dst net 10.0.0.0/8", &t);
	YES("192.168.0.0/16", &t);
	YES("10.0.0.0/255.255.255.0", &t);
	NO("10.0.1.0/24", &t);
	YES("net 0.0.0.0/0", &t);
	YES("src host != 10.0.0.2", &t);
	NO("src host != 10.0.0.1", &t);
	YES("host != 1.1.1.1", &t);
	NO("host != 10.0.0.1", &t); /* not (src or dst) */
	YES("src host & 255.0.0.0 == 10.0.0.0", &t);
	YES("src & 8.0.0.0 = 8.0.0.0", &t);  /* 10 = 8 + 2 */
	NO("src & 4.0.0.0 = 4.0.0.0", &t);
	/* the direction carries over to a bare address */
	YES("src 1.1.1.1 or 10.0.0.1", &t);
	NO("dst 1.1.1.1 or 10.0.0.1", &t);
	YES("dst 1.1.1.1 or 192.168.1.2", &t);
}

static void
test_ports(void **state)
{
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN), u = udp4(A1, A2, 53, 5353);
	struct pkt i = icmp4(A1, A2, 8, 0), t81 = tcp4(A1, A2, 81, 9, 0);

	(void)state;
	YES("port 80", &t);
	YES("tcp port 80", &t);
	NO("udp port 80", &t);
	YES("dst port 80", &t);
	NO("src port 80", &t);
	YES("src port 1000", &t);
	YES("src or dst port 1000", &t);
	NO("src and dst port 80", &t);
	YES("port www", &t);
	YES("www", &t);
	YES("tcp www", &t);
	NO("port 80", &i);
	YES("udp port domain", &u);
	YES("src port dns", &u);
	YES("dst port 5353", &u);
	NO("tcp port 53", &u);
	YES("dst port > 1023", &u);
	NO("dst port > 1023", &t);
	YES("dst port < 81", &t);
	NO("dst port < 80", &t);
	YES("dst port <= 80", &t);
	YES("dst port >= 80", &t);
	NO("dst port >= 81", &t);
	/* relations imply the protocol; "not" does not */
	YES("src tcp port != 5", &t);
	NO("src tcp port != 5", &u);
	NO("src tcp port != 5", &i);
	YES("!(src tcp port 5)", &t);
	YES("!(src tcp port 5)", &u);
	YES("!(src tcp port 5)", &i);
	YES("not src tcp port 5", &i);
	NO("src tcp port > 5", &u);
	NO("port != 80", &t);  /* neither port may be 80 */
	YES("port != 80", &u);
	NO("port != 80", &i);
	NO("icmp type != 3", &t);
	/* masks */
	YES("src tcp port & 10 == 8", &t); /* 1000 = 0x3e8 */
	YES("src port & 0xf == 8", &t);
	NO("src port & 0xf == 9", &t);
	NO("src port & 0xf > 8", &t);
	YES("src port & 0xf > 7", &t);
	/* '=' and '!=' compare under the mask, value bits outside it ignored (Click) */
	YES("src port & 0xf == 0x3f8", &t);
	NO("src port & 0xf != 0x3f8", &t);
	YES("dst port & 0xff00 0x50", &t); /* dst port 0-255 */
	NO("src port & 0xff00 0x50", &t);
	YES("src host & 255.0.0.0 10.1.2.3", &t);
	NO("src host & 255.0.0.0 != 10.1.2.3", &t);
	NO("dst host & 255.0.0.0 10.1.2.3", &t);
	YES("ip ttl & 0xf0 == 0x4f", &t);  /* TTL 64 */
	YES("ip[8] & 0xf0 == 0x4f", &t);
	NO("ip ttl & 0xf0 == 0x5f", &t);
	YES("ip ttl & 0xf0 > 0x3f", &t);   /* relations compare as written */
	NO("ip ttl & 0xf0 > 0x4f", &t);
	YES("ip ttl & 0xf0 < 0x41", &t);
	/* inheritance: type, direction and protocol */
	YES("src port 80 or 1000", &t);
	NO("src port 80 or 81", &t);
	YES("src port 80 or 81", &t81);
	NO("src port 1 or 80", &t); /* dport is 80, but the 80 is a source port */
	YES("dst tcp port 8000 or 80", &t);
	NO("dst tcp port 8000 or 53", &u);
	YES("dst udp port 1 or 5353", &u);
	NO("dst udp port 1 or 80", &t);
	NO("src port 1 or www", &t);
	YES("dst port 1 or www", &t);
	NO("dst udp port 53 or www", &t); /* www: a UDP port too */
	YES("dst tcp port 53 or www", &t);
}

static void
test_fields(void **state)
{
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN | TCPF_ACK);
	struct pkt i = icmp4(A1, A2, 8, 0), i11 = icmp4(A1, A2, 11, 0);
	struct pkt g = ip4(2, A1, A2, 0), ipip = ip4(4, A1, A2, 0);

	(void)state;
	YES("ip vers 4", &t);
	NO("ip vers 6", &t);
	YES("ip hl 5", &t);
	NO("ip hl 6", &t);
	YES("ip id 0x1234", &t);
	YES("ip id 4660", &t);
	YES("ip ttl 64", &t);
	YES("ip ttl > 63", &t);
	NO("ip ttl > 64", &t);
	YES("ip ttl < 65", &t);
	NO("ip ttl < 64", &t);
	YES("ip ttl >= 64", &t);
	YES("ip ttl <= 64", &t);
	NO("ip ttl <= 63", &t);
	YES("ip ttl != 63", &t);
	YES("ip ttl 5 or 64", &t); /* inherited field */
	YES("ip len 40", &t);
	NO("ip len 41", &t);
	t.b[1] = 0xb9; /* DSCP 46, ECN 01 */
	YES("ip tos 0xb9", &t);
	YES("ip tos 185", &t);
	YES("ip dscp 46", &t);
	NO("ip dscp 47", &t);
	YES("ip ect", &t);
	YES("ip ect 1", &t);
	NO("ip ce", &t);
	YES("ip tos & 0xfc == 0xb8", &t);
	/* a bare number after 'ip ect' is an ECN value (Click: a TOS value) */
	YES("ip ect 2 or 1", &t);
	expect_error("ip ect 2 or 0xb9", "value 185 out of range for 'ect' (0-3)");
	expect_error("ip ce or 3", "column 10: a bare number needs 'port' or a header field");
	t.b[1] = 0xbb;
	YES("ip ce", &t);
	YES("ip ect", &t);
	t.b[1] = 0xb8;
	NO("ip ect", &t);
	NO("ip ce", &t);
	YES("ip proto 6", &t);
	YES("proto tcp", &t);
	YES("ip proto tcp", &t);
	NO("ip proto 17", &t);
	YES("ip proto != 17", &t);
	YES("ip proto < 7", &t);
	YES("ip proto > 5 and ip proto < 7", &t);
	YES("tcpudp", &t);
	YES("proto tcpudp", &t);
	NO("proto tcpudp", &i);
	YES("proto != tcpudp", &i);
	YES("igmp", &g);
	YES("ipip", &ipip);
	NO("tcp", &g);
	/* TCP flags: all the named bits set */
	YES("syn", &t);
	YES("ack", &t);
	YES("tcp opt syn", &t);
	NO("fin", &t);
	NO("rst", &t);
	NO("psh", &t);
	NO("urg", &t);
	YES("syn ack", &t);
	YES("syn and ack", &t);
	NO("syn and not ack", &t);
	YES("tcp opt 18", &t);
	NO("tcp opt 19", &t);
	NO("syn", &i);
	/* a bare number after 'tcp opt' is a TCP flag value too, tcp implied */
	{
		struct pkt a = tcp4(A1, A2, 1000, 80, TCPF_ACK), u = udp4(A1, A2, 1000, 80);

		u.b[20 + 13] = TCPF_ACK; /* where a TCP header has its flags */
		u.len = 40;
		put16(u.b + 2, 40);
		put16(u.b + 24, 20);
		YES("tcp opt 2 or 16", &a);
		NO("tcp opt 2 or 4", &a);
		YES("tcp opt syn or 16", &a);
		YES("transp[13] 16", &u);
		NO("tcp opt 2 or 16", &u);
		NO("udp or tcp opt 2 or 16", &i);
	}
	YES("tcp win 8192", &t);
	YES("tcp win > 100", &t);
	NO("tcp win 8191", &t);
	/* ICMP */
	YES("icmp type echo", &i);
	YES("icmp type 8", &i);
	NO("icmp type echo-reply", &i);
	YES("icmp type != 0", &i);
	YES("icmp type > 3", &i);
	NO("icmp type != 8", &i);
	YES("not icmp type 0", &t);
	YES("timeexceeded", &i11);
	YES("icmp type timeexceeded or 8", &i11);
	expect_error("icmp type timeexceeded or echo", "column 27: 'echo' is ambiguous");
	YES("icmp type 3 or 8", &i);
	YES("icmp echo", &i);
	NO("port echo", &i);
	YES("icmp", &i);
	YES("proto icmp", &i);
}

static void
test_raw_and_short(void **state)
{
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN), i = icmp4(A1, A2, 8, 0);
	struct pkt p;

	(void)state;
	YES("ip[9] 6", &t);
	NO("ip[9] == 17", &t);
	YES("ip[12:4] == 0x0a000001", &t);
	YES("ip[12,15] == 0x0a000001", &t);
	YES("ip[0] & 0xf0 == 0x40", &t);
	YES("tcp ip[8] 64", &t);  /* the IP header's byte 8 (Click: the TCP header's) */
	YES("ip[2:2] > 20", &t);
	YES("ip[ 2 : 2 ] 40", &t);
	YES("transp[13] & 2 != 0", &t);
	YES("tcp[13] & 2 != 0", &t);
	NO("udp[13] & 2 != 0", &t);
	YES("tcp[2:2] 80", &t);
	YES("tcp[2:2] 1 or 80", &t);
	YES("icmp[0] 8", &i);
	NO("tcp[0] 0", &i);
	/* bytes beyond the packet make a primitive false, "not" true */
	p = ip4(6, A1, A2, 0);
	p.b[20] = 0x12;
	p.len = 21;
	NO("transp[1]&128==0", &p);
	YES("not (transp[1]&128==0)", &p);
	YES("transp[0] 0x12", &p);
	YES("tcp", &p);
	p.len = 19;
	NO("ip[19]&128==0", &p);
	YES("not ip[19]&128==0", &p);
	YES("ip[18] 1", &p); /* 192.168.1.2 */
	/* a TCP header cut after the source port */
	p = tcp4(A1, A2, 1000, 80, TCPF_SYN);
	p.len = 22;
	NO("tcp port 80", &p);
	YES("src port 1000", &p);
	NO("tcp port != 80", &p);
	YES("not tcp port 80", &p);
	NO("syn", &p);
	YES("tcp", &p);
	p.len = 33; /* flags are byte 13 */
	NO("syn", &p);
	p.len = 34;
	YES("syn", &p);
	/* addresses cut */
	p.len = 17;
	YES("src host 10.0.0.1", &p);
	NO("dst host 192.168.1.2", &p);
	NO("host 10.0.0.1", &p); /* names both addresses */
	p.len = 5;
	NO("tcp", &p);
	YES("ip vers 4", &p);
	NO("ip ttl 64", &p);
	YES("not ip ttl 64", &p);
	NO("ip proto != 6", &p);
	p.len = 0;
	NO("ip vers 4", &p);
	NO("tcp", &p);
	YES("true", &p);
	YES("-", &p);
	YES("not tcp", &p);
}

static void
test_fragments_options(void **state)
{
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN), i = icmp4(A1, A2, 8, 0);
	struct pkt o;

	(void)state;
	t.b[6] = 0x20; /* MF: first fragment */
	YES("ip frag", &t);
	NO("ip unfrag", &t);
	NO("unfrag", &t);
	YES("tcp port 80", &t);
	YES("syn", &t);
	t.b[6] = 0x20;
	t.b[7] = 0xb9; /* offset 185: not the first */
	YES("ip frag", &t);
	YES("tcp", &t);
	YES("ip[9] 6", &t);
	NO("tcp port 80", &t);
	NO("port 80", &t);
	NO("tcp port != 80", &t);
	YES("not tcp port 80", &t);
	NO("syn", &t);
	NO("tcp opt syn", &t);
	NO("tcp win 8192", &t);
	NO("transp[0:2] 1000", &t);
	NO("tcp[0:2] 1000", &t);
	t.b[6] = 0x00; /* last fragment, offset 185 */
	YES("ip frag", &t);
	NO("dst port 80", &t);
	i.b[7] = 1;
	NO("icmp type 8", &i);
	NO("icmp type != 0", &i);
	t.b[6] = 0x40; /* DF only */
	t.b[7] = 0;
	NO("ip frag", &t);
	YES("unfrag", &t);
	YES("dst port 80", &t);
	/* two words of options: the transport header is at 28 */
	o = ip4(6, A1, A2, 2);
	put16(o.b + 28, 1000);
	put16(o.b + 30, 80);
	o.b[28 + 12] = 0x50;
	o.b[28 + 13] = TCPF_SYN;
	o.len = 48;
	put16(o.b + 2, 48);
	YES("tcp dst port 80", &o);
	YES("src port 1000", &o);
	NO("src port 257", &o); /* the NOP bytes at 20 */
	YES("syn", &o);
	YES("ip hl 7", &o);
	YES("transp[0:2] 1000", &o);
	YES("ip[20] 1", &o);
	/* a header length below 5 words or beyond the packet: no transport header */
	o.b[0] = 0x44;
	NO("tcp port 80", &o);
	YES("tcp", &o);
	o.b[0] = 0x4f; /* 60 bytes > 48 */
	NO("tcp port 80", &o);
	NO("transp[0] 3", &o);
	(void)hlen;
}

static void
test_grammar(void **state)
{
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN), u = udp4(A1, A2, 53, 5353);
	struct pkt i = icmp4(A1, A2, 8, 0), i0 = icmp4(A1, A2, 0, 0);
	struct pkt t81 = tcp4(A1, A2, 1000, 81, TCPF_SYN | TCPF_ACK);

	(void)state;
	YES("tcp or udp and ip ttl 5", &t); /* and binds tighter than or */
	NO("tcp or udp and ip ttl 5", &u);
	YES("(tcp or udp) and ip ttl 64", &u);
	YES("not tcp and udp", &u);         /* not binds tightest */
	NO("not tcp and udp", &t);
	NO("not tcp or udp", &t);
	YES("! tcp || udp", &u);
	YES("tcp ? dst port 80 : udp", &t);
	NO("tcp ? dst port 80 : udp", &t81);
	YES("tcp ? dst port 80 : udp", &u);
	NO("tcp ? dst port 80 : udp", &i);
	YES("tcp ? syn : icmp ? icmp type echo : udp", &i); /* right-associative */
	NO("tcp ? syn : icmp ? icmp type echo : udp", &i0);
	YES("tcp ? syn : icmp ? icmp type echo : udp", &u);
	YES("udp or tcp ? syn : false", &t81); /* ?: binds loosest */
	NO("udp or tcp ? ack and not syn : true", &t81);
	YES("tcp && ( udp || syn )", &t);
	YES("tcp syn", &t);
	NO("tcp fin", &t);
	YES("true", &t);
	NO("false", &t);
	YES("not false", &t);
	YES("-", &t);
	YES("any", &t);
	YES("all", &t);
	YES("", &t);
	YES("   ", &t);
	NO("!(syn and !ack)", &t);
	YES("!(syn and !ack)", &t81);
	YES("dest port 80", &t);
	YES("tcp and not (dst port 81 or src port 81)", &t);
	YES("ip ttl==64&&tcp", &t);
}

/* Numbers are read as Click's IntArg reads them: a leading 0 is octal. */
static void
test_numbers(void **state)
{
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN);

	(void)state;
	t.b[1] = 8; /* TOS 8 */
	YES("ip tos 010", &t);
	NO("ip tos 10", &t);
	YES("ip tos 0b1000", &t);
	YES("ip tos 0x8", &t);
	YES("ip tos 00010", &t);
	NO("ip tos 0", &t);
	YES("ip[1] 010", &t);
	YES("ip[010] 64", &t);       /* byte 8: the TTL */
	YES("ip[010,011] 0x4006", &t); /* TTL 64, TCP */
	YES("ip[010:02] 0x4006", &t);
	YES("ip tos & 014 == 010", &t);
	YES("dst port 0120", &t);    /* 80 */
	NO("dst port 120", &t);
	YES("ip ttl 1_0 or 6_4", &t); /* '_' between digits */
	expect_error("ip tos 08", "column 8: '08' is no number (a leading 0 means octal)");
	expect_error("ip tos 1__0", "unknown name '1__0'");
	expect_error("ip tos 10_", "unknown name '10_'");
	expect_error("ip ttl -1", "column 8: number '-1' out of range");
	expect_error("ip ttl 0400", "value 256 out of range for 'ttl'");
	/* prefix lengths stay decimal */
	YES("src net 10.0.0.0/08", &t);
	/* so are IPFilter output numbers */
	{
		const char *r[] = { "010 tcp", "0x1 udp", "0b11 icmp", "01_7 ip ttl 0", "-1 tcp" };
		struct nl_filter_opts o = { .noutputs = 12 };
		struct pkt u = udp4(A1, A2, 1, 2), i = icmp4(A1, A2, 8, 0);
		struct nl_filter *f;
		char err[256];

		f = nl_filter_compile_ipfilter(r, 3, &o, err, sizeof(err));
		assert_non_null(f);
		assert_int_equal(run(f, &t), 8);
		assert_int_equal(run(f, &u), 1);
		assert_int_equal(run(f, &i), 3);
		nl_filter_free(f);
		assert_null(nl_filter_compile_ipfilter(r + 3, 1, &o, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 1: slot '01_7' out of range (12 outputs)");
		assert_null(nl_filter_compile_ipfilter(r + 4, 1, &o, err, sizeof(err)));
		assert_string_equal(err, "rule 0, column 1: slot '-1' out of range (12 outputs)");
	}
}

static void
test_ether(void **state)
{
	static const uint8_t d[6] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60 };
	static const uint8_t s[6] = { 0, 1, 2, 3, 4, 5 };
	struct pkt t = tcp4(A1, A2, 1000, 80, TCPF_SYN);

	(void)state;
	set_eth(&t, d, s);
	YES("ether host 10:20:30:40:50:60", &t);
	YES("dst ether host 10:20:30:40:50:60", &t);
	NO("src ether host 10:20:30:40:50:60", &t);
	YES("src 0:1:2:3:4:5", &t);
	YES("src ether host 00:01:02:03:04:05", &t);
	NO("dst 0:1:2:3:4:5", &t);
	NO("src ether host 05:04:03:02:01:00", &t);
	NO("src ether host 0:1:2:3:4:6", &t);
	NO("src ether host 1:1:2:3:4:5", &t);
	YES("ether host != 1:2:3:4:5:6", &t);
	NO("ether host != 0:1:2:3:4:5", &t);
	YES("src 0:1:2:3:4:5 or 9:9:9:9:9:9", &t);
	YES("src ether host 00-01-02-03-04-05", &t);
	expect_error("src ether host 00-01:02-03-04-05", "unknown name '00-01:02-03-04-05'");
	/* a MAC address mask, as Click's 'ether host & MASK ETH' */
	YES("dst ether host & ff:ff:ff:00:00:00 10:20:30:99:99:99", &t);
	NO("dst ether host & ff:ff:ff:00:00:00 10:20:31:40:50:60", &t);
	YES("src ether host & 0:0:0:0:0:ff 9:9:9:9:9:5", &t);
	NO("src ether host & 0:0:0:0:0:ff 9:9:9:9:9:6", &t);
	YES("src ether host & ff:0:0:0:0:0 != 1:1:2:3:4:5", &t);
	YES("ether host & 0:0:0:0:0:ff 0:0:0:0:0:60", &t); /* the destination */
	YES("src & ff:ff:0:0:0:0 0:1:9:9:9:9", &t);
	expect_error("ether host & 0:0:0:0:0:0 0:1:2:3:4:5", "column 14: zero mask");
	expect_error("ip ttl & ff:0:0:0:0:0 5", "column 8: a MAC address mask goes with "
		     "'ether host' only");
	expect_error("src host & ff:0:0:0:0:0 10.0.0.1", "column 10: a MAC address mask");
	expect_error("src ether host & 255.0.0.0 0:1:2:3:4:5",
		     "column 16: 'ether host' takes a MAC address mask");
	t.has_eth = 0;
	NO("ether host 10:20:30:40:50:60", &t);
	YES("not ether host 10:20:30:40:50:60", &t);
	NO("ether host != 1:2:3:4:5:6", &t);
}

static void
test_ipv6(void **state)
{
	struct pkt p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.b[0] = 0x60;
	put16(p.b + 4, 20);
	p.b[6] = 6;
	p.b[7] = 64;
	p.b[8] = 0x20;
	put32(p.b + 12, A1); /* where an IPv4 source would be */
	put32(p.b + 16, A2);
	p.b[24] = 0x20;
	put16(p.b + 40, 1000);
	put16(p.b + 42, 80);
	p.b[52] = 0x50;
	p.b[53] = TCPF_SYN;
	p.len = 60;
	YES("tcp", &p);
	YES("tcp port 80", &p);
	YES("dst port 80", &p);
	YES("syn", &p);
	YES("ip vers 6", &p);
	YES("ip proto 6", &p);
	YES("transp[0:2] 1000", &p);
	YES("ip[6] 6", &p);
	NO("ip ttl 64", &p);
	NO("src host 10.0.0.1", &p);
	NO("dst host 192.168.1.2", &p);
	YES("not host 10.0.0.1", &p);
	{
		struct pkt t = tcp4(A1, A2, 1, 2, 0);

		NO("net ::/0", &t);
		NO("host ::a00:1", &t);
		YES("not net ::/0", &t);
	}
	NO("ip frag", &p);
	YES("unfrag", &p);
	NO("icmp", &p);
	p.b[6] = 58;
	YES("ip proto 58", &p);
	NO("icmp type 0", &p);
	p.b[6] = 6;
	/* IPv6 addresses: source 2000:0:a00:1:c0a8:102::, destination 2000:: */
	YES("src host 2000:0:a00:1:c0a8:102::", &p);
	YES("host 2000::", &p);
	YES("dst 2000::", &p);
	NO("src host 2000::", &p);
	YES("src host != 2000::", &p);
	NO("host != 2000::", &p);
	YES("dst net 2000::/16", &p);
	YES("src net 2000::/16", &p);
	YES("src net 2000:0:a00::/48", &p);
	NO("src net 2000:0:a01::/48", &p);
	YES("src 2000:0:a00:1::/64", &p);
	NO("src 2000:0:a00:2::/64", &p);
	YES("src 2000:0:a00:1:ffff::/64", &p); /* host bits ignored */
	YES("src 2000:0:a00:1:c0a8:1ff::/88", &p);
	NO("src 2000:0:a00:1:c0a8:1ff::/89", &p);
	YES("src 2000:0:0::/36", &p); /* 0a00: the 37th bit onwards differ */
	NO("src 2000:0:1000::/36", &p);
	YES("src 2000:0:a00:1:c0a8:102::/127", &p);
	YES("net ::/0", &p);
	YES("tcp and dst port 80 and src net 2000::/8", &p);
	p.len = 30; /* cut in the source address */
	YES("src host 2000:0:a00:1:c0a8:102::", &p);
	NO("dst host 2000::", &p);
	YES("dst net 2000::/16", &p); /* its two bytes are there */
	YES("net 2000::/16", &p);     /* both addresses: their first two bytes */
	NO("net 2000::/64", &p);      /* both addresses: 8 bytes of the destination */
	p.len = 39;
	NO("tcp", &p);
	YES("ip vers 6", &p);
}

/* ---- IPv6 extension headers (opts.walk_ip6_ext) -------------------------- */

/* Does @pat match @p, compiled with walk_ip6_ext = @walk? */
static int
mw(const char *pat, const struct pkt *p, int walk)
{
	struct nl_filter_opts o = { .walk_ip6_ext = walk };
	char err[256];
	struct nl_filter *f = nl_filter_compile_classifier(&pat, 1, &o, err, sizeof(err));
	int r;

	if (!f)
		fail_msg("compile failed: %s", err);
	r = run(f, p);
	nl_filter_free(f);
	assert_true(r == 0 || r == -1);
	return r == 0;
}

#define WYES(pat, p) do { if (!mw(pat, p, 1)) \
	fail_msg("'%s' should match, walking (line %d)", pat, __LINE__); } while (0)
#define WNO(pat, p) do { if (mw(pat, p, 1)) \
	fail_msg("'%s' should not match, walking (line %d)", pat, __LINE__); } while (0)

#define EH_HOP 0
#define EH_ROUTING 43
#define EH_FRAG 44
#define EH_ESP 50
#define EH_AH 51
#define EH_DSTOPTS 60

/*
 * IPv6 2000::1 -> 2000::2 with the extension headers @ext[@n] (numbers, in
 * order), then 20 bytes of @upper: a TCP SYN from port 1000 to port 22 (for
 * UDP its ports, too). A fragment header carries @fo (offset in 8-byte units
 * << 3 | M); AH is 24 bytes (length field 4: (4 + 2) * 4), destination
 * options 16 (length field 1: (1 + 1) * 8), the others 8.
 */
static struct pkt
ip6x(const uint8_t *ext, unsigned int n, uint8_t upper, uint16_t fo)
{
	struct pkt p;
	uint32_t off = 40;
	uint8_t *nh = &p.b[6];
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.b[0] = 0x60;
	p.b[7] = 64;
	p.b[8] = 0x20;
	p.b[23] = 1;
	p.b[24] = 0x20;
	p.b[39] = 2;
	for (i = 0; i < n; i++) {
		uint8_t *h = p.b + off;

		*nh = ext[i];
		nh = h;
		if (ext[i] == EH_FRAG) {
			put16(h + 2, fo);
			put32(h + 4, 0xabcd);
			off += 8;
		} else if (ext[i] == EH_AH) {
			h[1] = 4;
			put32(h + 4, 0x1001); /* SPI */
			off += 24;
		} else if (ext[i] == EH_DSTOPTS) {
			h[1] = 1;
			h[2] = 1; /* PadN of 12 bytes */
			h[3] = 12;
			off += 16;
		} else {
			h[2] = 1; /* hop-by-hop: PadN of 4; routing: type 1, 4 segments */
			h[3] = 4;
			off += 8;
		}
	}
	*nh = upper;
	put16(p.b + off, 1000);
	put16(p.b + off + 2, 22);
	p.b[off + 12] = 0x50;
	p.b[off + 13] = TCPF_SYN;
	p.len = off + 20;
	put16(p.b + 4, (uint16_t)(p.len - 40));
	return p;
}

static void
test_ipv6_ext(void **state)
{
	static const uint8_t hop[] = { EH_HOP }, dst[] = { EH_DSTOPTS },
		rt[] = { EH_ROUTING }, frag[] = { EH_FRAG }, ah[] = { EH_AH },
		three[] = { EH_HOP, EH_ROUTING, EH_DSTOPTS },
		eight[] = { EH_HOP, 60, 60, 60, 43, 60, 60, 44 },
		nine[] = { EH_HOP, 60, 60, 60, 43, 60, 60, 60, 60 };
	struct pkt p;

	(void)state;
	/* no extension header: the same either way */
	p = ip6x(NULL, 0, 6, 0);
	YES("tcp and dst port 22 and syn", &p);
	WYES("tcp and dst port 22 and syn", &p);
	WYES("src port 1000 and ip proto 6 and transp[0:2] 1000", &p);

	/* hop-by-hop, then TCP */
	p = ip6x(hop, 1, 6, 0);
	NO("tcp", &p);          /* off: the fixed header's next header, 0 */
	YES("ip proto 0", &p);
	NO("dst port 22", &p);  /* off: the transport header is the hop-by-hop one */
	YES("transp[0] 6", &p); /* its first byte: the next header, TCP */
	WYES("tcp", &p);
	WYES("ip proto 6", &p);
	WNO("ip proto 0", &p);
	WYES("tcp and dst port 22", &p);
	WYES("syn and not ack", &p);
	WYES("src tcp port 1000", &p);
	WYES("transp[0:2] 1000", &p);
	WYES("tcp[13] & 2 != 0", &p);
	WNO("udp", &p);
	WYES("ip[6] 0", &p);    /* raw bytes of the network header are as they are */
	WYES("ip vers 6", &p);
	WYES("dst host 2000::2 and src host 2000::1", &p);
	WNO("ip frag", &p);     /* an IPv4 field */
	WYES("unfrag", &p);

	/* destination options (16 bytes), then UDP */
	p = ip6x(dst, 1, 17, 0);
	YES("ip proto 60", &p);
	NO("udp", &p);
	WYES("udp and dst port 22 and src port 1000", &p);
	WNO("ip proto 60", &p);

	/* routing, then TCP */
	p = ip6x(rt, 1, 6, 0);
	YES("ip proto 43", &p);
	NO("tcp port 22", &p);
	WYES("tcp and dst port 22", &p);

	/* three of them */
	p = ip6x(three, 3, 6, 0);
	NO("tcp", &p);
	WYES("tcp and dst port 22 and syn", &p);

	/* first fragment (offset 0, more fragments): the transport header is there */
	p = ip6x(frag, 1, 6, 0x0001);
	YES("ip proto 44", &p);
	NO("tcp", &p);
	WYES("tcp and dst port 22 and syn", &p);

	/* later fragment (offset 185 * 8): the protocol of its fragment header,
	 * no transport header, whatever its first bytes look like */
	p = ip6x(frag, 1, 6, 185 << 3);
	YES("ip proto 44", &p);
	WYES("tcp", &p);
	WYES("ip proto 6", &p);
	WNO("ip proto 44", &p);
	WNO("dst port 22", &p);
	WNO("port 22", &p);
	WNO("syn", &p);
	WNO("transp[0:2] 1000", &p);
	WNO("transp[0:2] != 1000", &p);
	WYES("not dst port 22", &p);
	WYES("tcp and not syn", &p);
	p = ip6x(frag, 1, EH_DSTOPTS, (1 << 3) | 1); /* offset 8, M: options inside */
	WYES("ip proto 60", &p);
	WNO("transp[0] 1", &p);

	/* AH counts in 4-byte words */
	p = ip6x(ah, 1, 6, 0);
	YES("ip proto 51", &p);
	NO("tcp", &p);
	WYES("tcp and dst port 22 and src port 1000", &p);
	WNO("ip proto 51", &p);

	/* ESP ends the chain: its header is the transport header */
	p = ip6x(hop, 1, EH_ESP, 0); /* its 20 bytes as ip6x() writes them */
	WYES("ip proto 50", &p);
	WNO("tcp", &p);
	WYES("transp[0:2] 1000", &p);

	/* 8 extension headers: walked; 9: no protocol, no transport header */
	p = ip6x(eight, 8, 6, 0);
	WYES("tcp and dst port 22 and syn", &p);
	YES("ip proto 0", &p);
	p = ip6x(nine, 9, 6, 0);
	YES("ip proto 0", &p);
	YES("transp[0] 60", &p);
	WNO("tcp", &p);
	WNO("ip proto 0", &p);
	WNO("ip proto 60", &p);
	WNO("ip proto 6", &p);
	WYES("not ip proto 6", &p);
	WNO("dst port 22", &p);
	WNO("transp[0] 60", &p);
	WYES("ip vers 6 and dst host 2000::2", &p);

	/* a chain cut short by the packet's end: no protocol, no transport header */
	p = ip6x(hop, 1, 6, 0);
	p.len = 44; /* 4 of the 8 bytes */
	YES("ip proto 0", &p);
	WNO("ip proto 0", &p);
	WNO("ip proto 6", &p);
	WYES("not tcp", &p);
	WYES("ip vers 6", &p);
	p = ip6x(dst, 1, 6, 0);
	p.len = 52; /* 12 of the 16 bytes its length field gives */
	YES("ip proto 60", &p);
	YES("transp[0] 6", &p);
	WNO("ip proto 60", &p);
	WNO("ip proto 6", &p);
	WNO("transp[0] 6", &p);
	p = ip6x(three, 3, 6, 0);
	p.len = 40 + 8 + 8 + 7; /* in the third */
	WNO("ip proto 60", &p);
	WNO("tcp", &p);
	p.len = 40 + 8 + 8 + 16; /* exactly the chain: TCP, but no byte of it */
	WYES("tcp", &p);
	WNO("dst port 22", &p);
	p.len = 39; /* no fixed header: as without walking */
	WNO("tcp", &p);
	WNO("ip proto 0", &p);
	WYES("ip vers 6", &p);

	/* IPv4 is not touched */
	{
		struct pkt t = tcp4(A1, A2, 1000, 22, TCPF_SYN);

		WYES("tcp and dst port 22 and syn", &t);
		t.b[6] = 0x00;
		t.b[7] = 0x10; /* a later fragment */
		WYES("tcp", &t);
		WNO("dst port 22", &t);
	}
}

/* A firewall's rule set, long enough for an index, walking and not. */
static void
test_ipv6_ext_rules(void **state)
{
	static const uint8_t hop[] = { EH_HOP }, frag[] = { EH_FRAG },
		nine[] = { EH_HOP, 60, 60, 60, 43, 60, 60, 60, 60 };
	static const struct nl_filter_rule rules[] = {
		{ "tcp and dst port 22", 0 },
		{ "udp and dst port 53", 1 },
		{ "tcp and dst port 80", 2 },
		{ "tcp and dst port 443", 3 },
		{ "ip proto 0", 4 },
		{ "all", 5 },
	};
	struct nl_filter_opts on = { .walk_ip6_ext = 1 };
	char err[256];
	struct nl_filter *fw = nl_filter_compile(rules, 6, &on, err, sizeof(err));
	struct nl_filter *fd = nl_filter_compile(rules, 6, NULL, err, sizeof(err));
	struct pkt p;

	(void)state;
	assert_non_null(fw);
	assert_non_null(fd);
	p = ip6x(hop, 1, 6, 0);
	assert_int_equal(run(fw, &p), 0);
	assert_int_equal(run(fd, &p), 4);
	p = ip6x(hop, 1, 17, 0);
	put16(p.b + 40 + 8 + 2, 53);
	assert_int_equal(run(fw, &p), 1);
	assert_int_equal(run(fd, &p), 4);
	p = ip6x(frag, 1, 6, 185 << 3);
	assert_int_equal(run(fw, &p), 5);
	assert_int_equal(run(fd, &p), 5);
	p = ip6x(nine, 9, 6, 0);
	assert_int_equal(run(fw, &p), 5);
	assert_int_equal(run(fd, &p), 4);
	p = ip6x(NULL, 0, 6, 0);
	assert_int_equal(run(fw, &p), 0);
	assert_int_equal(run(fd, &p), 0);
	nl_filter_free(fw);
	nl_filter_free(fd);
}

struct name_def {
	const char *name;
	uint32_t addr, mask;
};

static int
resolve(void *ctx, const char *name, uint32_t *addr, uint32_t *mask)
{
	const struct name_def *d;

	for (d = ctx; d->name; d++)
		if (!strcmp(d->name, name)) {
			*addr = d->addr;
			*mask = d->mask;
			return 0;
		}
	return -1;
}

/* A firewall of our own with named networks, as the firewall NF defines them. */
static void
test_names_hook(void **state)
{
	static const struct name_def defs[] = {
		{ "INSIDE", IP(192, 0, 2, 0), 0xffffff00 },
		{ "GATEWAY", IP(198, 51, 100, 10), 0xffffffff },
		{ "MAIL", IP(192, 0, 2, 25), 0xffffffff },
		{ NULL, 0, 0 },
	};
	struct nl_filter_opts o = { .resolve = resolve, .resolve_ctx = (void *)defs,
				    .noutputs = 2 };
	const char *rules[] = {
		"deny src INSIDE",
		"allow src GATEWAY && dst MAIL && tcp && dst port smtp",
		"allow dst INSIDE && tcp && src port > 1023 && dst port 22",
		"1 dst net INSIDE and icmp type echo",
		"drop all",
	};
	const char *bad[] = { "allow src NOWHERE" }, *badport[] = { "allow port INSIDE" };
	const char *masked[] = { "allow src net GATEWAY mask 255.255.255.0" };
	const char *netmask[] = { "allow src net INSIDE mask 255.255.0.0" };
	struct nl_filter *f;
	struct pkt p;
	char err[256];

	(void)state;
	f = nl_filter_compile_ipfilter(rules, 5, &o, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	p = tcp4(IP(192, 0, 2, 7), IP(192, 0, 2, 25), 2000, 25, TCPF_SYN);
	assert_int_equal(run(f, &p), -1); /* spoofed inside source */
	p = tcp4(IP(198, 51, 100, 10), IP(192, 0, 2, 25), 2000, 25, TCPF_SYN);
	assert_int_equal(run(f, &p), 0);
	p = tcp4(IP(198, 51, 100, 11), IP(192, 0, 2, 25), 2000, 25, TCPF_SYN);
	assert_int_equal(run(f, &p), -1);
	p = tcp4(IP(203, 0, 113, 1), IP(192, 0, 2, 9), 2000, 22, TCPF_SYN);
	assert_int_equal(run(f, &p), 0);
	p = tcp4(IP(203, 0, 113, 1), IP(192, 0, 2, 9), 1023, 22, TCPF_SYN);
	assert_int_equal(run(f, &p), -1);
	p = icmp4(IP(203, 0, 113, 1), IP(192, 0, 2, 200), 8, 0);
	assert_int_equal(run(f, &p), 1);
	p = icmp4(IP(203, 0, 113, 1), IP(192, 0, 3, 200), 8, 0);
	assert_int_equal(run(f, &p), -1);
	nl_filter_free(f);
	assert_null(nl_filter_compile_ipfilter(bad, 1, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 11: unknown name 'NOWHERE'");
	assert_null(nl_filter_compile_ipfilter(badport, 1, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 12: unknown port 'INSIDE'");
	/* NAME mask MASK, as ADDR mask MASK, when the name is an address */
	f = nl_filter_compile_ipfilter(masked, 1, &o, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	p = tcp4(IP(198, 51, 100, 99), IP(192, 0, 2, 25), 2000, 25, TCPF_SYN);
	assert_int_equal(run(f, &p), 0);
	p = tcp4(IP(198, 51, 101, 10), IP(192, 0, 2, 25), 2000, 25, TCPF_SYN);
	assert_int_equal(run(f, &p), -1);
	nl_filter_free(f);
	/* a name for a net has its mask already */
	assert_null(nl_filter_compile_ipfilter(netmask, 1, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 22: 'INSIDE' is a net (/24): 'mask' goes after "
			    "an address only");
}

/* A defined name that is also a port name: the address after host, the
 * port after port, refused alone; keywords and protocols cannot be names. */
static void
test_names_ambiguous(void **state)
{
	static const struct name_def defs[] = {
		{ "ssh", IP(192, 0, 2, 22), 0xffffffff },
		{ "timeexceeded", IP(192, 0, 2, 11), 0xffffffff },
		{ NULL, 0, 0 },
	};
	const char *icmp_alone[] = { "allow timeexceeded" };
	struct nl_filter_opts o = { .resolve = resolve, .resolve_ctx = (void *)defs };
	const char *host[] = { "allow dst host ssh" }, *port[] = { "allow dst port ssh" };
	const char *alone[] = { "allow dst ssh" };
	struct nl_filter *f;
	struct pkt p;
	char err[256];

	(void)state;
	f = nl_filter_compile_ipfilter(host, 1, &o, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	p = tcp4(IP(203, 0, 113, 1), IP(192, 0, 2, 22), 2000, 80, TCPF_SYN);
	assert_int_equal(run(f, &p), 0);
	p = tcp4(IP(203, 0, 113, 1), IP(192, 0, 2, 23), 2000, 22, TCPF_SYN);
	assert_int_equal(run(f, &p), -1);
	nl_filter_free(f);
	f = nl_filter_compile_ipfilter(port, 1, &o, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	assert_int_equal(run(f, &p), 0);
	nl_filter_free(f);
	assert_null(nl_filter_compile_ipfilter(alone, 1, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 11: 'ssh' is ambiguous: a port name and a defined "
			    "address; say 'host ssh' or 'port ssh'");
	assert_null(nl_filter_compile_ipfilter(icmp_alone, 1, &o, err, sizeof(err)));
	assert_string_equal(err, "rule 0, column 7: 'timeexceeded' is ambiguous: an icmp type name "
			    "and a defined address; say 'host timeexceeded' or 'icmp type "
			    "timeexceeded'");
	/* without the definition the port name alone is the port */
	o.resolve_ctx = (void *)&defs[2];
	f = nl_filter_compile_ipfilter(alone, 1, &o, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	assert_int_equal(run(f, &p), 0);
	nl_filter_free(f);
	assert_int_equal(nl_filter_word_reserved("tcp", 3), 1);
	assert_int_equal(nl_filter_word_reserved("src", 3), 1);
	assert_int_equal(nl_filter_word_reserved("host", 4), 1);
	assert_int_equal(nl_filter_word_reserved("tcpx", 3), 1); /* its first 3 bytes */
	assert_int_equal(nl_filter_word_reserved("ssh", 3), 0);
	assert_int_equal(nl_filter_word_reserved("inside", 6), 0);
	assert_int_equal(nl_filter_word_reserved("", 0), 0);
	/* patterns read these as MAC addresses, never as names */
	assert_int_equal(nl_filter_word_reserved("a-b-c-d-e-f", 11), 1);
	assert_int_equal(nl_filter_word_reserved("de-ad-be-ef-00-01", 17), 1);
	assert_int_equal(nl_filter_word_reserved("a-b-c-d-e", 9), 0);
	assert_int_equal(nl_filter_word_reserved("a-b-c-d-e-g", 11), 0);
	assert_int_equal(nl_filter_word_reserved("dns-1", 5), 0);
}

static const struct name_def net_defs[] = {
	{ "intern", IP(10, 0, 0, 0), 0xff000000 },
	{ NULL, 0, 0 },
};

/* resolve_net: the prefixes of net_defs (whatever @ctx says). */
static int
resolve_prefix(void *ctx, const char *name, uint32_t *addr, uint32_t *mask)
{
	(void)ctx;
	return resolve((void *)net_defs, name, addr, mask);
}

/* A name for an address and a prefix (Click's AddressInfo): the address
 * after `host`, the prefix after `net` through resolve_net. */
static void
test_names_net(void **state)
{
	static const struct name_def hosts[] = {
		{ "intern", IP(10, 0, 0, 1), 0xffffffff },
		{ NULL, 0, 0 },
	};
	struct nl_filter_opts o = { .resolve = resolve, .resolve_ctx = (void *)hosts,
				    .noutputs = 3 };
	const char *rules[] = { "0 dst host intern", "1 dst net intern", "2 -" };
	struct nl_filter *f;
	struct pkt p;
	char err[256];

	(void)state;
	/* without resolve_net, `net intern` is the address too */
	f = nl_filter_compile_ipfilter(rules, 3, &o, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	p = tcp4(IP(1, 2, 3, 4), IP(10, 0, 0, 5), 2000, 80, TCPF_SYN);
	assert_int_equal(run(f, &p), 2);
	nl_filter_free(f);
	/* with it, `net intern` is the prefix and `host intern` the address */
	o.resolve_net = resolve_prefix;
	f = nl_filter_compile_ipfilter(rules, 3, &o, err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	p = tcp4(IP(1, 2, 3, 4), IP(10, 0, 0, 5), 2000, 80, TCPF_SYN);
	assert_int_equal(run(f, &p), 1);
	p = tcp4(IP(1, 2, 3, 4), IP(10, 0, 0, 1), 2000, 80, TCPF_SYN);
	assert_int_equal(run(f, &p), 0);
	p = tcp4(IP(1, 2, 3, 4), IP(11, 0, 0, 1), 2000, 80, TCPF_SYN);
	assert_int_equal(run(f, &p), 2);
	nl_filter_free(f);
}

/* ---- Click's examples, verbatim, outputs worked out by hand ------------- */

static struct nl_filter *
ipfilter(const char *const *rules, unsigned int n, unsigned int noutputs)
{
	struct nl_filter_opts o = { .noutputs = noutputs };
	char err[256];
	struct nl_filter *f = nl_filter_compile_ipfilter(rules, n, &o, err, sizeof(err));

	if (!f)
		fail_msg("compile failed: %s", err);
	return f;
}

static void
test_click_examples(void **state)
{
	struct nl_filter *f;
	struct pkt p;
	(void)state;

	{ /* IPFilter(allow icmp && icmp type echo) */
		const char *r[] = { "allow icmp && icmp type echo" };

		f = ipfilter(r, 1, 1);
		p = icmp4(A1, A2, 8, 0);
		assert_int_equal(run(f, &p), 0);
		p = icmp4(A1, A2, 0, 0);
		assert_int_equal(run(f, &p), -1);
		p = tcp4(A1, A2, 8, 8, 0);
		assert_int_equal(run(f, &p), -1);
		nl_filter_free(f);
	}
	{ /* IPClassifier(icmp type echo, -) */
		const char *r[] = { "icmp type echo", "-" };

		f = classifier(r, 2);
		p = icmp4(A1, A2, 8, 0);
		assert_int_equal(run(f, &p), 0);
		p = icmp4(A1, A2, 0, 0);
		assert_int_equal(run(f, &p), 1);
		p = udp4(A1, A2, 8, 8);
		assert_int_equal(run(f, &p), 1);
		nl_filter_free(f);
	}
	{
		const char *r[] = { "10.0.0.0/24 and syn", "10.0.0.0/24 and fin ack",
				    "10.0.0.0/24 and tcp", "-" };

		f = classifier(r, 4);
		p = tcp4(IP(10, 0, 0, 5), A2, 1, 2, TCPF_SYN);
		assert_int_equal(run(f, &p), 0);
		p = tcp4(IP(10, 0, 0, 5), A2, 1, 2, TCPF_FIN | TCPF_ACK);
		assert_int_equal(run(f, &p), 1);
		p = tcp4(IP(10, 0, 0, 5), A2, 1, 2, TCPF_ACK);
		assert_int_equal(run(f, &p), 2);
		p = tcp4(IP(10, 0, 0, 5), A2, 1, 2, TCPF_FIN);
		assert_int_equal(run(f, &p), 2);
		p = udp4(IP(10, 0, 0, 5), A2, 1, 2);
		assert_int_equal(run(f, &p), 3);
		p = tcp4(IP(10, 0, 1, 5), IP(1, 1, 1, 1), 1, 2, TCPF_SYN);
		assert_int_equal(run(f, &p), 3);
		p = tcp4(IP(1, 1, 1, 1), IP(10, 0, 0, 9), 1, 2, TCPF_SYN); /* src or dst */
		assert_int_equal(run(f, &p), 0);
		nl_filter_free(f);
	}
	{
		const char *r[] = { "dst tcp port 8000 or 8080", "dst tcp port > 1023", "tcp" };

		f = classifier(r, 3);
		p = tcp4(A1, A2, 5, 8080, 0);
		assert_int_equal(run(f, &p), 0);
		p = tcp4(A1, A2, 5, 8000, 0);
		assert_int_equal(run(f, &p), 0);
		p = tcp4(A1, A2, 8080, 2000, 0);
		assert_int_equal(run(f, &p), 1);
		p = tcp4(A1, A2, 8080, 1024, 0);
		assert_int_equal(run(f, &p), 1);
		p = tcp4(A1, A2, 8080, 1023, 0);
		assert_int_equal(run(f, &p), 2);
		p = tcp4(A1, A2, 5, 80, 0);
		assert_int_equal(run(f, &p), 2);
		p = udp4(A1, A2, 5, 8080);
		assert_int_equal(run(f, &p), -1);
		nl_filter_free(f);
	}
	{
		const char *r[] = { "0 udp dst port netbios-ns", "1 udp dst port 5353",
				    "2 udp src port bootpc", "3 128.230.206.0/24", "4 -" };

		f = ipfilter(r, 5, 5);
		p = udp4(A1, A2, 137, 137);
		assert_int_equal(run(f, &p), 0);
		p = udp4(A1, A2, 5353, 5353);
		assert_int_equal(run(f, &p), 1);
		p = udp4(A1, A2, 68, 67);
		assert_int_equal(run(f, &p), 2);
		p = tcp4(IP(128, 230, 206, 7), A2, 68, 137, 0);
		assert_int_equal(run(f, &p), 3);
		p = tcp4(A1, A2, 68, 137, 0);
		assert_int_equal(run(f, &p), 4);
		p = udp4(A1, A2, 67, 138);
		assert_int_equal(run(f, &p), 4);
		nl_filter_free(f);
	}
	{
		const char *r[] = { "proto icmp", "dst port 53",
				    "(proto tcp and !(syn and !ack)) or (tcpudp port >= 1024)", "-" };

		f = classifier(r, 4);
		p = icmp4(A1, A2, 3, 0);
		assert_int_equal(run(f, &p), 0);
		p = udp4(A1, A2, 5000, 53);
		assert_int_equal(run(f, &p), 1);
		p = tcp4(A1, A2, 5000, 53, TCPF_SYN);
		assert_int_equal(run(f, &p), 1);
		p = tcp4(A1, A2, 1000, 80, TCPF_SYN);         /* a SYN, port 1000 < 1024 */
		assert_int_equal(run(f, &p), 3);
		p = tcp4(A1, A2, 2000, 3000, TCPF_SYN);       /* both ports >= 1024 */
		assert_int_equal(run(f, &p), 2);
		p = tcp4(A1, A2, 80, 1000, TCPF_SYN | TCPF_ACK);
		assert_int_equal(run(f, &p), 2);
		p = udp4(A1, A2, 5000, 6000);
		assert_int_equal(run(f, &p), 2);
		p = udp4(A1, A2, 5000, 80);                   /* ">=" is "not <": both */
		assert_int_equal(run(f, &p), 3);
		p = ip4(47, A1, A2, 0);
		assert_int_equal(run(f, &p), 3);
		nl_filter_free(f);
	}
	{
		const char *r[] = { "allow tcp && dst 10.0.0.0/32 && src 2.0.0.0/32", "allow all" };

		f = ipfilter(r, 2, 1);
		p = tcp4(IP(2, 0, 0, 0), IP(10, 0, 0, 0), 1, 2, 0);
		assert_int_equal(run(f, &p), 0);
		p = udp4(A1, A2, 1, 2);
		assert_int_equal(run(f, &p), 0);
		nl_filter_free(f);
	}
	{
		static const uint8_t m0[6] = { 0, 1, 2, 3, 4, 5 }, m1[6] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60 };
		static const uint8_t m2[6] = { 9, 0xa, 0xb, 0xc, 0xd, 0xe }, mx[6] = { 7, 7, 7, 7, 7, 7 };
		const char *r[] = { "allow src 0:1:2:3:4:5", "allow src 10.0.0.0 & 8.0.0.0 = 8.0.0.0",
				    "allow dst 10:20:30:40:50:60", "allow host 9:A:B:C:D:E", "deny all" };

		f = ipfilter(r, 5, 1);
		p = tcp4(A2, A2, 1, 2, 0);
		set_eth(&p, mx, m0);
		assert_int_equal(run(f, &p), 0);
		set_eth(&p, mx, mx);
		assert_int_equal(run(f, &p), -1);
		p.b[12] = 10; /* src 10.168.1.2: not 10.0.0.0 */
		assert_int_equal(run(f, &p), -1);
		put32(p.b + 12, IP(10, 0, 0, 0)); /* src host 10.0.0.0 and src & 8.0.0.0 */
		assert_int_equal(run(f, &p), 0);
		put32(p.b + 12, A2);
		set_eth(&p, m1, mx);
		assert_int_equal(run(f, &p), 0);
		set_eth(&p, mx, m1); /* 10:20:.. as the source: not rule 2 */
		assert_int_equal(run(f, &p), -1);
		set_eth(&p, mx, m2);
		assert_int_equal(run(f, &p), 0);
		set_eth(&p, m2, mx);
		assert_int_equal(run(f, &p), 0);
		p.has_eth = 0;
		assert_int_equal(run(f, &p), -1);
		nl_filter_free(f);
	}
	{
		const char *r0[] = { "0 ip[19]&128==0" }, *r1[] = { "0 transp[1]&128==0", "1 -" };
		const char *r2[] = { "0 transp[1]&128==0" }, *r3[] = { "0 not (transp[1]&128==0)" };
		const char *r4[] = { "0 not (transp[1]<16)" };
		struct nl_filter *f0 = ipfilter(r0, 1, 1), *f1 = ipfilter(r1, 2, 2);
		struct nl_filter *f2 = ipfilter(r2, 1, 1), *f3 = ipfilter(r3, 1, 1);
		struct nl_filter *f4 = ipfilter(r4, 1, 1);

		p = udp4(A1, IP(10, 0, 0, 1), 1, 2);
		assert_int_equal(run(f0, &p), 0);
		p = udp4(A1, IP(10, 0, 0, 200), 1, 2);
		assert_int_equal(run(f0, &p), -1);
		p = ip4(17, A1, A2, 0);
		p.b[20] = 0;
		p.len = 21; /* a 21-byte packet */
		assert_int_equal(run(f1, &p), 1);
		assert_int_equal(run(f2, &p), -1);
		assert_int_equal(run(f3, &p), 0);
		assert_int_equal(run(f4, &p), 0);
		p.len = 22;
		p.b[21] = 0x05;
		assert_int_equal(run(f1, &p), 0);
		assert_int_equal(run(f4, &p), -1); /* 5 < 16 */
		p.b[21] = 0x85;
		assert_int_equal(run(f1, &p), 1);
		assert_int_equal(run(f3, &p), 0);
		assert_int_equal(run(f4, &p), 0);
		p.b[21] = 16;
		assert_int_equal(run(f4, &p), 0);
		nl_filter_free(f0);
		nl_filter_free(f1);
		nl_filter_free(f2);
		nl_filter_free(f3);
		nl_filter_free(f4);
	}
}

/*
 * Rule sets long enough for the per-rule programs and the field index, with
 * boundaries right next to the packets' values; expected outputs by formula.
 */
static void
test_index(void **state)
{
	static char text[3][40][64];
	const char *pats[40];
	struct nl_filter *f;
	char *dump = malloc(1 << 16);
	struct pkt p;
	int i, d;

	(void)state;
	/* rule i < 39: 2000 - 10 i < dst port < 2010 - 10 i; rule 39: tcp */
	for (i = 0; i < 40; i++) {
		snprintf(text[0][i], sizeof(text[0][i]), i == 39 ? "tcp" :
			 "dst tcp port > %d and dst port < %d", 2000 - 10 * i, 2010 - 10 * i);
		pats[i] = text[0][i];
	}
	f = classifier(pats, 40);
	nl_filter_dump(f, dump, 1 << 16);
	assert_non_null(strstr(dump, "index on transp[0] & 0000ffff"));
	for (d = 1590; d <= 2010; d++) {
		int want = 39;

		for (i = 0; i < 39; i++)
			if (2000 - 10 * i < d && d < 2010 - 10 * i) {
				want = i;
				break;
			}
		p = tcp4(A1, A2, 7, (uint16_t)d, 0);
		assert_int_equal(run(f, &p), want);
		p = udp4(A1, A2, 7, (uint16_t)d);
		assert_int_equal(run(f, &p), -1);
	}
	p = tcp4(A1, A2, 7, 1995, 0);
	p.len = 22; /* a transport header too short for the index */
	assert_int_equal(run(f, &p), 39);
	nl_filter_free(f);
	/* nested ranges (no index pays off): dst port < 100 + 10 i, "udp" in the middle */
	for (i = 0; i < 40; i++) {
		snprintf(text[1][i], sizeof(text[1][i]), i == 20 ? "udp" : "dst port < %d",
			 100 + 10 * i);
		pats[i] = text[1][i];
	}
	f = classifier(pats, 40);
	for (d = 90; d <= 520; d++) {
		int want = -1;

		for (i = 0; i < 40 && want < 0; i++)
			if (i == 20 ? 0 : d < 100 + 10 * i)
				want = i;
		p = tcp4(A1, A2, 7, (uint16_t)d, 0);
		assert_int_equal(run(f, &p), want);
		p = udp4(A1, A2, 7, (uint16_t)d);
		assert_int_equal(run(f, &p), want >= 0 && want < 20 ? want : 20);
	}
	nl_filter_free(f);
	/* rule i: dst net 10.i.0.0/16 (i < 30), then 10.0.0.0/8, then src host 1.1.1.1 */
	for (i = 0; i < 32; i++) {
		if (i < 30)
			snprintf(text[2][i], sizeof(text[2][i]), "dst net 10.%d.0.0/16", i);
		else
			snprintf(text[2][i], sizeof(text[2][i]), i == 30 ? "dst 10.0.0.0/8" :
				 "src host 1.1.1.1");
		pats[i] = text[2][i];
	}
	f = classifier(pats, 32);
	nl_filter_dump(f, dump, 1 << 16);
	assert_non_null(strstr(dump, "index on ip4[16]"));
	for (d = 0; d < 40; d++) {
		p = tcp4(IP(1, 1, 1, 1), IP(10, d, 255, 255), 1, 2, 0);
		assert_int_equal(run(f, &p), d < 30 ? d : 30);
		p = tcp4(IP(1, 1, 1, 2), IP(10, d, 0, 0), 1, 2, 0);
		assert_int_equal(run(f, &p), d < 30 ? d : 30);
		p = tcp4(IP(1, 1, 1, 1), IP(11, d, 0, 0), 1, 2, 0);
		assert_int_equal(run(f, &p), 31);
		p = tcp4(IP(1, 1, 1, 2), IP(9, 255, d, 0), 1, 2, 0);
		assert_int_equal(run(f, &p), -1);
	}
	p = tcp4(IP(1, 1, 1, 1), IP(10, 3, 0, 0), 1, 2, 0);
	p.len = 18; /* cut in the destination: only the /8 and /16 bytes */
	assert_int_equal(run(f, &p), 3);
	p.len = 17;
	assert_int_equal(run(f, &p), 30);
	p.len = 16;
	assert_int_equal(run(f, &p), 31);
	p.b[0] = 0x60; /* not IPv4: none of them */
	p.len = 60;
	assert_int_equal(run(f, &p), -1);
	nl_filter_free(f);
	free(dump);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_names_ambiguous),
		cmocka_unit_test(test_errors_ipfilter),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_rules_api),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_raw_and_short),
		cmocka_unit_test(test_fragments_options),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_ether),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_ipv6_ext_rules),
		cmocka_unit_test(test_names_hook),
		cmocka_unit_test(test_names_net),
		cmocka_unit_test(test_click_examples),
		cmocka_unit_test(test_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
