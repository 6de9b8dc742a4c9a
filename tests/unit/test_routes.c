/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_routes — route and flow file parsing: every kind of bad line gives
 * an error that names the file and the line, good files load into tables
 * that answer as the file says, next hops are shared, duplicates refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nl_routes.h"
#include "nl_text.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#define ROUTE_WANT "(want PREFIX/LEN PORT [NEXTHOP_MAC])"
#define FLOW_WANT "(want SRC DST PROTO SPORT DPORT PORT [NEXTHOP_MAC])"
#define MAC_WANT "(want xx:xx:xx:xx:xx:xx)"

static char msg[200]; /* the message of the last route() or flow() */

static int
route(const char *line, struct nl_route *r)
{
	msg[0] = '\0';
	return nl_routes_parse_route(line, r, msg, sizeof(msg));
}

static int
flow(const char *line, struct nl_flow *f)
{
	msg[0] = '\0';
	return nl_routes_parse_flow(line, f, msg, sizeof(msg));
}

/* Read @text as a route (or flow) file called @name. */
static struct nl_routes *
read_text(const char *text, const char *name, int flows, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct nl_routes *rt;

	assert_non_null(f);
	err[0] = '\0';
	rt = flows ? nl_routes_read_flows(f, name, err, errlen) :
		     nl_routes_read_lpm(f, name, err, errlen);
	fclose(f);
	return rt;
}

static void
test_parse_route_good(void **st)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x02, 0x02 };
	static const uint8_t def31[6] = { 0x02, 0, 0, 0, 0, 0x1f };
	struct nl_route r;

	(void)st;
	assert_int_equal(route("10.0.2.0/24 1 02:00:00:00:02:02\n", &r), 1);
	assert_int_equal(r.prefix, IP(10, 0, 2, 0));
	assert_int_equal(r.depth, 24);
	assert_int_equal(r.nh.port, 1);
	assert_memory_equal(r.nh.mac, mac, 6);
	/* Tabs, upper-case hex, a trailing comment and CRLF. */
	assert_int_equal(route("\t0.0.0.0/0\t7  0A:0b:FF:00:00:01 # default\r\n", &r), 1);
	assert_int_equal(r.prefix, 0);
	assert_int_equal(r.depth, 0);
	assert_int_equal(r.nh.port, 7);
	assert_int_equal(r.nh.mac[0], 0x0a);
	assert_int_equal(r.nh.mac[1], 0x0b);
	assert_int_equal(r.nh.mac[2], 0xff);
	/* No MAC: 02:00:00:00:00:<port>. */
	assert_int_equal(route("255.255.255.255/32 31", &r), 1);
	assert_int_equal(r.prefix, 0xffffffff);
	assert_int_equal(r.depth, 32);
	assert_memory_equal(r.nh.mac, def31, 6);
	/* Nothing on the line. */
	assert_int_equal(route("", &r), 0);
	assert_int_equal(route("   \t\r\n", &r), 0);
	assert_int_equal(route("# 10.0.0.0/8 1", &r), 0);
	assert_int_equal(route("  #", &r), 0);
}

/* Each bad route line, and the message it must produce. */
static const struct bad_line {
	const char *line;
	const char *msg;
} bad_routes[] = {
	{ "10.0.0/33 1", "bad prefix '10.0.0/33'" },
	{ "10.0.0.0/33 1", "bad prefix '10.0.0.0/33'" },
	{ "10.0.0.256/24 1", "bad prefix '10.0.0.256/24'" },
	{ "10.0.0.0/ 1", "bad prefix '10.0.0.0/'" },
	{ "10.0.0.0/-8 1", "bad prefix '10.0.0.0/-8'" },
	{ "10.0.0.0/8x 1", "bad prefix '10.0.0.0/8x'" },
	{ "ten.0.0.0/8 1", "bad prefix 'ten.0.0.0/8'" },
	{ "10.0.0.0 1", "bad prefix '10.0.0.0' (want A.B.C.D/LEN or X:X::X/LEN)" },
	{ "10.0.2.1/24 1", "bad prefix '10.0.2.1/24': host bits set (did you mean 10.0.2.0/24?)" },
	{ "10.0.2.0/24", "missing port " ROUTE_WANT },
	{ "10.0.2.0/24 32", "bad port '32' (0-31)" },
	{ "10.0.2.0/24 -1", "bad port '-1' (0-31)" },
	{ "10.0.2.0/24 one", "bad port 'one' (0-31)" },
	{ "10.0.2.0/24 1 02:00:00:00:02", "bad MAC '02:00:00:00:02' " MAC_WANT },
	{ "10.0.2.0/24 1 02:00:00:00:02:0g", "bad MAC '02:00:00:00:02:0g' " MAC_WANT },
	{ "10.0.2.0/24 1 02-00-00-00-02-02", "bad MAC '02-00-00-00-02-02' " MAC_WANT },
	{ "10.0.2.0/24 1 02:00:00:00:02:02 x", "unexpected 'x' " ROUTE_WANT },
};

static const struct bad_line bad_flows[] = {
	{ "10.0.1.2 10.0.2.2 udp 5000 53", "missing fields " FLOW_WANT },
	{ "10.0.1 10.0.2.2 udp 5000 53 1", "bad source address '10.0.1'" },
	{ "10.0.1.2 10.0.2.2/32 udp 5000 53 1", "bad destination address '10.0.2.2/32'" },
	{ "10.0.1.2 10.0.2.2 sctpx 5000 53 1", "bad protocol 'sctpx' (tcp, udp, icmp or 0-255)" },
	{ "10.0.1.2 10.0.2.2 256 5000 53 1", "bad protocol '256' (tcp, udp, icmp or 0-255)" },
	{ "10.0.1.2 10.0.2.2 udp 65536 53 1", "bad source port '65536' (0-65535)" },
	{ "10.0.1.2 10.0.2.2 udp 5000 dns 1", "bad destination port 'dns' (0-65535)" },
	{ "10.0.1.2 10.0.2.2 udp 5000 53 99", "bad port '99' (0-31)" },
	{ "10.0.1.2 10.0.2.2 icmp 8 0 1", "bad source port '8': protocol 1 has no ports "
	  "(its packets are looked up with 0 0)" },
	{ "10.0.1.2 10.0.2.2 132 5000 80 1", "bad source port '5000': protocol 132 has no "
	  "ports (its packets are looked up with 0 0)" },
	{ "10.0.1.2 10.0.2.2 47 0 1 1", "bad destination port '1': protocol 47 has no ports "
	  "(its packets are looked up with 0 0)" },
	{ "10.0.1.2 10.0.2.2 udp 5000 53 1 02:00:00:00:02", "bad MAC '02:00:00:00:02' " MAC_WANT },
	{ "10.0.1.2 10.0.2.2 udp 5000 53 1 02:00:00:00:02:02 more",
	  "unexpected 'more' " FLOW_WANT },
};

static void
test_parse_bad_lines(void **st)
{
	struct nl_route r;
	struct nl_flow f;
	char err[160];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad_routes) / sizeof(bad_routes[0]); i++) {
		assert_int_equal(route(bad_routes[i].line, &r), -EINVAL);
		assert_string_equal(msg, bad_routes[i].msg);
	}
	for (i = 0; i < sizeof(bad_flows) / sizeof(bad_flows[0]); i++) {
		assert_int_equal(flow(bad_flows[i].line, &f), -EINVAL);
		assert_string_equal(msg, bad_flows[i].msg);
	}
	/* A short buffer gets a truncated message, never an overflow. */
	assert_int_equal(nl_routes_parse_route("10.0.0/33 1", &r, err, 8), -EINVAL);
	assert_string_equal(err, "bad pre");
	assert_int_equal(nl_routes_parse_route("10.0.0/33 1", &r, NULL, 0), -EINVAL);
}

static void
test_parse_flow_good(void **st)
{
	struct nl_flow f;

	(void)st;
	assert_int_equal(flow("10.0.1.2 10.0.2.2 udp 5000 53 1 02:00:00:00:02:02", &f), 1);
	assert_int_equal(f.key.src_ip, IP(10, 0, 1, 2));
	assert_int_equal(f.key.dst_ip, IP(10, 0, 2, 2));
	assert_int_equal(f.key.proto, 17);
	assert_int_equal(f.key.sport, 5000);
	assert_int_equal(f.key.dport, 53);
	assert_int_equal(f.nh.port, 1);
	assert_int_equal(f.nh.mac[5], 0x02);
	assert_int_equal(flow("1.1.1.1 2.2.2.2 TCP 0 65535 0", &f), 1);
	assert_int_equal(f.key.proto, 6);
	assert_int_equal(f.key.sport, 0);
	assert_int_equal(f.key.dport, 65535);
	assert_int_equal(f.nh.mac[0], 0x02);
	assert_int_equal(f.nh.mac[5], 0x00);
	assert_int_equal(flow("1.1.1.1 2.2.2.2 47 0 0 3 # gre", &f), 1);
	assert_int_equal(f.key.proto, 47);
	assert_int_equal(flow("1.1.1.1 2.2.2.2 icmp 0 0 3", &f), 1);
	assert_int_equal(f.key.proto, 1);
	assert_int_equal(flow(" # nothing", &f), 0);
}

/* The example of the documentation, word for word. */
static void
test_file_error_names_line(void **st)
{
	static const char text[] =
		"# routes of the test\n"
		"\n"
		"10.0.1.0/24 0 02:00:00:00:01:02\n"
		"10.0.2.0/24 1 02:00:00:00:02:02\n"
		"   # indented comment\n"
		"10.0.0.0/8 1\n"
		"10.0.0/33 1\n"
		"10.0.3.0/24 1\n";
	char err[160];

	(void)st;
	errno = 0;
	assert_null(read_text(text, "routes.txt", 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "routes.txt:7: bad prefix '10.0.0/33'");
}

/* A NUL byte is refused with its line, not taken for the end of the line. */
static void
test_file_nul_byte(void **st)
{
	static const char routes[] = "10.0.0.0/8 1\n10.1.0.0/16 2\0 02:00:00:00:00:09\n";
	static const char flows[] = "1.1.1.1 2.2.2.2 udp 1 2 0\n\0\n";
	struct nl_routes *rt;
	char err[160];
	FILE *f;

	(void)st;
	f = fmemopen((void *)routes, sizeof(routes) - 1, "r");
	assert_non_null(f);
	errno = 0;
	rt = nl_routes_read_lpm(f, "r.txt", err, sizeof(err));
	fclose(f);
	assert_null(rt);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "r.txt:2: NUL byte in the line (a route or flow file is text)");
	f = fmemopen((void *)flows, sizeof(flows) - 1, "r");
	assert_non_null(f);
	rt = nl_routes_read_flows(f, "f.txt", err, sizeof(err));
	fclose(f);
	assert_null(rt);
	assert_string_equal(err, "f.txt:2: NUL byte in the line (a route or flow file is text)");
}

/*
 * A line may be NL_LINE_MAX bytes long, not one more: a file with no line
 * end at all (/dev/zero) is refused at once, not read into memory whole.
 */
static void
test_file_long_line(void **st)
{
	char *text = malloc(NL_LINE_MAX + 64), err[160], want[160];
	struct nl_routes *rt;

	(void)st;
	assert_non_null(text);
	strcpy(text, "10.0.0.0/8 1\n#");
	memset(text + 14, 'x', NL_LINE_MAX - 1);
	strcpy(text + 13 + NL_LINE_MAX, "\n10.1.0.0/16 2\n");
	rt = read_text(text, "r.txt", 0, err, sizeof(err));
	assert_non_null(rt);
	assert_int_equal(rt->nb_entries, 2);
	nl_routes_free(rt);
	/* one byte more on line 2 */
	memmove(text + 14, text + 13, NL_LINE_MAX + 16);
	errno = 0;
	assert_null(read_text(text, "r.txt", 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	snprintf(want, sizeof(want), "r.txt:2: line longer than %u bytes (a route or flow file "
		 "is text)", NL_LINE_MAX);
	assert_string_equal(err, want);
	assert_null(read_text(text, "f.txt", 1, err, sizeof(err)));
	assert_string_equal(err, "f.txt:1: missing fields " FLOW_WANT);
	free(text);
	assert_null(nl_routes_load_lpm("/dev/zero", err, sizeof(err)));
	snprintf(want, sizeof(want), "/dev/zero:1: line longer than %u bytes (a route or flow "
		 "file is text)", NL_LINE_MAX);
	assert_string_equal(err, want);
	assert_null(nl_routes_load_flows("/dev/zero", err, sizeof(err)));
	assert_string_equal(err, want);
}

/* Every bad line, put at line 2, 5 and 9 of a file, is reported at that line. */
static void
test_file_each_bad_line(void **st)
{
	static const unsigned int at[] = { 2, 5, 9 };
	char text[1024], err[200], want[200];
	const char *good, *name;
	size_t i, k, n;
	unsigned int line;
	int flows;

	(void)st;
	for (flows = 0; flows < 2; flows++) {
		const struct bad_line *bad = flows ? bad_flows : bad_routes;

		n = flows ? sizeof(bad_flows) / sizeof(bad_flows[0]) :
			    sizeof(bad_routes) / sizeof(bad_routes[0]);
		good = flows ? "1.1.1.1 2.2.2.2 udp 1 2 0\n" : "192.168.0.0/16 2\n";
		name = flows ? "flows.txt" : "r.conf";
		for (i = 0; i < n; i++) {
			for (k = 0; k < 3; k++) {
				text[0] = '\0';
				for (line = 1; line < at[k]; line++)
					strcat(text, line % 2 ? good : "# c\n");
				strcat(text, bad[i].line);
				strcat(text, "\n");
				strcat(text, good);
				assert_null(read_text(text, name, flows, err, sizeof(err)));
				snprintf(want, sizeof(want), "%s:%u: %s", name, at[k], bad[i].msg);
				assert_string_equal(err, want);
			}
		}
	}
}

static void
test_load_lpm(void **st)
{
	static const char text[] =
		"10.0.1.0/24   0   02:00:00:00:01:02\n"
		"10.0.2.0/24   1   02:00:00:00:02:02\n"
		"10.0.0.0/8    1   02:00:00:00:02:fe\n"
		"10.0.2.128/25 1   02:00:00:00:02:02   # same next hop as the /24\n"
		"10.0.2.7/32   0\n"
		"0.0.0.0/0     3\n";
	struct nl_routes *rt;
	uint16_t nh;
	char err[128];

	(void)st;
	rt = read_text(text, "routes.txt", 0, err, sizeof(err));
	assert_non_null(rt);
	assert_null(rt->flows);
	assert_non_null(rt->lpm);
	assert_int_equal(rt->nb_entries, 6);
	assert_int_equal(rt->nb_nh, 5); /* the /24 and the /25 share one */

	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(10, 0, 2, 200), &nh), 0);
	assert_int_equal(rt->nh[nh].port, 1);
	assert_int_equal(rt->nh[nh].mac[5], 0x02);
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(10, 0, 2, 7), &nh), 0);
	assert_int_equal(rt->nh[nh].port, 0);
	assert_int_equal(rt->nh[nh].mac[0], 0x02);
	assert_int_equal(rt->nh[nh].mac[5], 0x00);
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(10, 0, 1, 1), &nh), 0);
	assert_int_equal(rt->nh[nh].port, 0);
	assert_int_equal(rt->nh[nh].mac[4], 0x01);
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(10, 9, 9, 9), &nh), 0);
	assert_int_equal(rt->nh[nh].mac[5], 0xfe);
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(11, 0, 0, 1), &nh), 0);
	assert_int_equal(rt->nh[nh].port, 3);
	assert_int_equal(rt->nh[nh].mac[5], 0x03);
	nl_routes_free(rt);
	nl_routes_free(NULL);

	/* An empty file is a table without routes. */
	rt = read_text("# nothing yet\n", "routes.txt", 0, err, sizeof(err));
	assert_non_null(rt);
	assert_int_equal(rt->nb_entries, 0);
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(10, 0, 0, 1), &nh), -ENOENT);
	nl_routes_free(rt);

	/* The same prefix twice, written differently. */
	assert_null(read_text("10.0.2.0/24 1\n10.0.3.0/24 1\n10.0.2.0/24 2 02:00:00:00:00:09\n",
			      "routes.txt", 0, err, sizeof(err)));
	assert_string_equal(err, "routes.txt:3: duplicate route 10.0.2.0/24");
}

static void
test_ipv6_routes(void **st)
{
	static const char text[] =
		"10.0.2.0/24          1   02:00:00:00:02:02\n"
		"2001:db8:2::/48      1   02:00:00:00:02:02   # same next hop as 10.0.2.0/24\n"
		"2001:db8:2:1::7/128  0\n"
		"2001:0db8:0001::/48  0   02:00:00:00:01:02\n"
		"::/0                 3\n";
	struct nl_routes *rt;
	struct nl_route r;
	uint8_t a[16];
	uint16_t nh;
	char err[128], net[64];

	(void)st;
	assert_int_equal(route("2001:db8::/32 2 02:00:00:00:00:aa", &r), 1);
	assert_int_equal(r.family, 6);
	assert_int_equal(r.depth, 32);
	assert_int_equal(r.prefix6[1], 0x01);
	assert_int_equal(r.prefix6[3], 0xb8);
	assert_int_equal(r.nh.port, 2);
	assert_string_equal(nl_routes_net_str(&r, net, sizeof(net)), "2001:db8::/32");
	assert_int_equal(route("::ffff:10.0.0.0/104 1", &r), 1); /* a v4-mapped prefix is IPv6 */
	assert_int_equal(r.family, 6);
	assert_int_equal(route("10.0.0.0/8 1", &r), 1);
	assert_int_equal(r.family, 4);
	assert_int_equal(route("2001:db8::1/64 1", &r), -EINVAL);
	assert_string_equal(msg, "bad prefix '2001:db8::1/64': host bits set "
			    "(did you mean 2001:db8::/64?)");
	assert_int_equal(route("2001:db8::/129 1", &r), -EINVAL);
	assert_string_equal(msg, "bad prefix '2001:db8::/129'");
	assert_int_equal(route("2001:db8:::/48 1", &r), -EINVAL);
	assert_string_equal(msg, "bad prefix '2001:db8:::/48'");
	assert_int_equal(route("10.0.0.0/33 1", &r), -EINVAL);
	assert_int_equal(nl_routes_parse_net("fe80::/10", &r, err, sizeof(err)), 0);
	assert_int_equal(r.family, 6);
	assert_int_equal(r.depth, 10);

	rt = read_text(text, "routes.txt", 0, err, sizeof(err));
	assert_non_null(rt);
	assert_non_null(rt->lpm6);
	assert_int_equal(rt->nb_entries, 5);
	assert_int_equal(rt->nb_nh, 4); /* one next hop for both families */
	assert_int_equal(nl_lpm_count(rt->lpm), 1);
	assert_int_equal(nl_lpm6_count(rt->lpm6), 4);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:2:1::7", a), 1);
	assert_int_equal(nl_lpm6_lookup(rt->lpm6, a, &nh), 0);
	assert_int_equal(rt->nh[nh].port, 0);
	assert_int_equal(rt->nh[nh].mac[5], 0x00);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:2:1::8", a), 1);
	assert_int_equal(nl_lpm6_lookup(rt->lpm6, a, &nh), 0);
	assert_int_equal(rt->nh[nh].port, 1);
	assert_int_equal(rt->nh[nh].mac[4], 0x02);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:ffff::1", a), 1);
	assert_int_equal(nl_lpm6_lookup(rt->lpm6, a, &nh), 0);
	assert_int_equal(rt->nh[nh].mac[4], 0x01);
	assert_int_equal(inet_pton(AF_INET6, "fe80::1", a), 1);
	assert_int_equal(nl_lpm6_lookup(rt->lpm6, a, &nh), 0);
	assert_int_equal(rt->nh[nh].port, 3);
	/* 10.0.2.1 is not an IPv6 address: the IPv4 table alone answers it. */
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(10, 0, 2, 1), &nh), 0);
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(11, 0, 0, 1), &nh), -ENOENT);
	nl_routes_free(rt);

	/* The same prefix twice, written differently. */
	assert_null(read_text("2001:db8:2::/48 1\n2001:0db8:0002:0000::/48 2\n",
			      "routes.txt", 0, err, sizeof(err)));
	assert_string_equal(err, "routes.txt:2: duplicate route 2001:db8:2::/48");
}

/* Many prefixes longer than /24, each in its own /24: the table is sized for them. */
static void
test_load_many_long_prefixes(void **st)
{
	enum { N = 3000 };
	char *text = malloc(N * 40), *p = text, err[128];
	struct nl_routes *rt;
	uint16_t nh;
	unsigned int i;

	(void)st;
	assert_non_null(text);
	/* Route i: 10.(i >> 8).(i & 255).(64 * (i % 4))/26 to port i % 32. */
	for (i = 0; i < N; i++)
		p += sprintf(p, "10.%u.%u.%u/26 %u\n", i >> 8, i & 0xff, (i % 4) * 64, i % 32);
	rt = read_text(text, "big.txt", 0, err, sizeof(err));
	assert_non_null(rt);
	assert_int_equal(rt->nb_entries, N);
	assert_int_equal(rt->nb_nh, 32);
	for (i = 0; i < N; i++) {
		uint32_t first = IP(10, i >> 8, i & 0xff, (i % 4) * 64);
		uint32_t after = IP(10, i >> 8, i & 0xff, ((i % 4) * 64 + 64) & 0xff);

		assert_int_equal(nl_lpm_lookup(rt->lpm, first, &nh), 0);
		assert_int_equal(rt->nh[nh].port, i % 32);
		assert_int_equal(nl_lpm_lookup(rt->lpm, first + 63, &nh), 0);
		assert_int_equal(rt->nh[nh].port, i % 32);
		assert_int_equal(nl_lpm_lookup(rt->lpm, after, &nh), -ENOENT);
	}
	nl_routes_free(rt);
	free(text);
}

/*
 * IPv6 routes are sized by the groups they share, not by the most each could
 * need: 300 000 host routes in one /64 need a few thousand groups, where
 * 14 per /128 would be more than nl_lpm6 may have.
 */
static void
test_load_many_ipv6_host_routes(void **st)
{
	enum { N = 300000, M = 400000 };
	static const char few[] =
		"2001:db8:1::/48 1\n"      /* groups through bytes 2, 3, 4 and 5 */
		"2001:db8:1:2::/64 1\n"    /* 6 and 7 below those */
		"2001:db8:1:2::7/128 2\n"  /* 8 to 15 below those */
		"2001:db8:2::/47 1\n"      /* 2 to 5: the /48's */
		"2001:db8::/32 1\n"        /* 2 and 3: the /48's */
		"2001::/17 1\n";           /* 2: the /48's */
	char *text = malloc((size_t)N * 40), *p = text, err[160];
	struct nl_routes *rt;
	uint8_t a[16];
	uint16_t nh;
	unsigned int i;

	(void)st;
	rt = read_text(few, "few.txt", 0, err, sizeof(err));
	assert_non_null(rt);
	/* exactly the file's groups, plus the spare ones for later adds */
	assert_int_equal(nl_lpm6_free_groups(rt->lpm6), NL_ROUTES_GROUP6_SPARE);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::7", a), 1);
	assert_int_equal(nl_lpm6_lookup(rt->lpm6, a, &nh), 0);
	assert_int_equal(rt->nh[nh].port, 2);
	nl_routes_free(rt);

	assert_non_null(text);
	for (i = 0; i < N; i++)
		p += sprintf(p, "2001:db8::%x:%x/128 %u\n", i >> 16, i & 0xffff, i % 2);
	rt = read_text(text, "hosts6.txt", 0, err, sizeof(err));
	assert_non_null(rt);
	assert_int_equal(rt->nb_entries, N);
	assert_int_equal(nl_lpm6_free_groups(rt->lpm6), NL_ROUTES_GROUP6_SPARE);
	for (i = 0; i < N; i += 997) {
		sprintf(err, "2001:db8::%x:%x", i >> 16, i & 0xffff);
		assert_int_equal(inet_pton(AF_INET6, err, a), 1);
		assert_int_equal(nl_lpm6_lookup(rt->lpm6, a, &nh), 0);
		assert_int_equal(rt->nh[nh].port, i % 2);
	}
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::5:0", a), 1);
	assert_int_equal(nl_lpm6_lookup(rt->lpm6, a, &nh), -ENOENT);
	nl_routes_free(rt);
	free(text);

	/*
	 * 400 000 /128s that share nothing below their first 5 bytes: 1 + 7 +
	 * 1563 groups through bytes 2, 3 and 4, then 11 each: too many.
	 */
	text = malloc((size_t)M * 40);
	assert_non_null(text);
	for (i = 0, p = text; i < M; i++)
		p += sprintf(p, "2001:%x:%x::1/128 1\n", i >> 8, (i & 0xff) << 8);
	errno = 0;
	assert_null(read_text(text, "spread6.txt", 0, err, sizeof(err)));
	assert_int_equal(errno, ENOSPC);
	assert_string_equal(err, "spread6.txt: the IPv6 routes need 4401571 groups of 256 "
				 "entries (at most 4194304)");
	free(text);
}

static void
test_too_many_next_hops(void **st)
{
	enum { N = NL_ROUTES_MAX_NH + 1 };
	char *text = malloc((size_t)N * 48), *p = text, err[160];
	unsigned int i;

	(void)st;
	assert_non_null(text);
	/* Line i + 1 has its own MAC 02:00:00:xx:xx:xx (i in hex). */
	for (i = 0; i < N; i++)
		p += sprintf(p, "%u.%u.%u.0/24 %u 02:00:00:%02x:%02x:%02x\n", 1 + (i >> 16),
			     i >> 8 & 0xff, i & 0xff, i % 2, i >> 16, i >> 8 & 0xff, i & 0xff);
	errno = 0;
	assert_null(read_text(text, "huge.txt", 0, err, sizeof(err)));
	assert_int_equal(errno, ENOSPC);
	assert_string_equal(err, "huge.txt:65537: too many next hops "
				 "(at most 65536 distinct PORT/MAC pairs)");
	free(text);
}

static void
test_load_flows(void **st)
{
	static const char text[] =
		"# src dst proto sport dport port next-hop-mac\n"
		"10.0.1.2 10.0.2.2 udp 5000 53 1 02:00:00:00:02:02\n"
		"10.0.2.2 10.0.1.2 udp 53 5000 0 02:00:00:00:01:02\n"
		"10.0.1.2 10.0.2.2 tcp 5000 53 1 02:00:00:00:02:02\n";
	struct nl_flow_key k = { .src_ip = IP(10, 0, 2, 2), .dst_ip = IP(10, 0, 1, 2),
				 .proto = 17, .sport = 53, .dport = 5000 };
	struct nl_routes *rt;
	uint32_t v;
	char err[128];

	(void)st;
	rt = read_text(text, "flows.txt", 1, err, sizeof(err));
	assert_non_null(rt);
	assert_null(rt->lpm);
	assert_int_equal(rt->nb_entries, 3);
	assert_int_equal(rt->nb_nh, 2);
	assert_int_equal(nl_flowtab_lookup(rt->flows, &k, &v), 0);
	assert_int_equal(rt->nh[v].port, 0);
	assert_int_equal(rt->nh[v].mac[4], 0x01);
	k.proto = 6;
	assert_int_equal(nl_flowtab_lookup(rt->flows, &k, &v), -ENOENT);
	k = (struct nl_flow_key){ .src_ip = IP(10, 0, 1, 2), .dst_ip = IP(10, 0, 2, 2),
				  .proto = 6, .sport = 5000, .dport = 53 };
	assert_int_equal(nl_flowtab_lookup(rt->flows, &k, &v), 0);
	assert_int_equal(rt->nh[v].port, 1);
	nl_routes_free(rt);

	/* "udp" and "17" are the same protocol. */
	assert_null(read_text("1.1.1.1 2.2.2.2 udp 1 2 0\n"
			      "1.1.1.1 2.2.2.2 17 1 2 1\n", "flows.txt", 1, err, sizeof(err)));
	assert_string_equal(err, "flows.txt:2: duplicate flow");
}

static void
test_load_from_path(void **st)
{
	char path[] = "test_routes_XXXXXX", err[200], want[200]; /* in the test's directory */
	struct nl_routes *rt;
	uint16_t nh;
	FILE *f;
	int fd;

	(void)st;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("172.16.0.0/12 2 02:00:00:00:00:aa\n", f);
	fclose(f);
	rt = nl_routes_load_lpm(path, err, sizeof(err));
	assert_non_null(rt);
	assert_int_equal(nl_lpm_lookup(rt->lpm, IP(172, 31, 255, 255), &nh), 0);
	assert_int_equal(rt->nh[nh].port, 2);
	nl_routes_free(rt);
	/* The same file is not a flow file: the error names it and line 1. */
	assert_null(nl_routes_load_flows(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:1: missing fields " FLOW_WANT,
		 path);
	assert_string_equal(err, want);
	unlink(path);

	errno = 0;
	assert_null(nl_routes_load_lpm(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);

	/* A directory opens, but reading it fails: the message says why. */
	errno = 0;
	assert_null(nl_routes_load_lpm(".", err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
	assert_string_equal(err, ".: Is a directory");
	assert_null(nl_routes_load_flows(".", err, sizeof(err)));
	assert_string_equal(err, ".: Is a directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_route_good),
		cmocka_unit_test(test_parse_bad_lines),
		cmocka_unit_test(test_parse_flow_good),
		cmocka_unit_test(test_file_error_names_line),
		cmocka_unit_test(test_file_each_bad_line),
		cmocka_unit_test(test_file_nul_byte),
		cmocka_unit_test(test_file_long_line),
		cmocka_unit_test(test_load_lpm),
		cmocka_unit_test(test_ipv6_routes),
		cmocka_unit_test(test_load_many_long_prefixes),
		cmocka_unit_test(test_load_many_ipv6_host_routes),
		cmocka_unit_test(test_too_many_next_hops),
		cmocka_unit_test(test_load_flows),
		cmocka_unit_test(test_load_from_path),
	};

	return cmocka_run_group_tests_name("routes", tests, NULL, NULL);
}
