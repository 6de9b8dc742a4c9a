/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the classifier (core/cls.c): key extraction from frames
 * written byte by byte here, rule order, port range and prefix boundaries,
 * in_port, the default target, rte_acl against a linear first-match
 * reference over random rules and keys, and the flow hash spread.
 *
 * Usage: test_cls [SOURCE_ROOT]   (the example files are read from
 * SOURCE_ROOT/configs/examples; the build's source root by default)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_memory.h>

#include "cfg.h"
#include "cls.h"
#include "nl_hdr.h"

#ifndef NETVM_SOURCE_ROOT
#define NETVM_SOURCE_ROOT "."
#endif

static const char *source_root = NETVM_SOURCE_ROOT;
static struct cls_key6 k6_scratch; /* the IPv6 key when a test expects none */

/* ---- deterministic random numbers (xorshift64*) ---- */

static uint64_t rng_state;

static void
rng_seed(uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Uniform in lo..hi (inclusive). */
static uint32_t
rng_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(((uint64_t)rng() * ((uint64_t)hi - lo + 1)) >> 32);
}

/* ---- frames, written byte by byte ---- */

struct pkt_spec {
	bool vlan;
	uint16_t ethertype; /* 0 means IPv4 */
	uint8_t version;    /* 0 means 4 */
	uint8_t ihl;        /* 0 means 5 */
	uint8_t proto;
	uint32_t src, dst;  /* host order */
	uint16_t sport, dport;
	uint16_t frag;      /* flags and fragment offset field */
	uint16_t payload;   /* bytes after the L4 header */
	int tot_adj;        /* added to the correct IPv4 total length */
	uint32_t pad_to;    /* Ethernet padding up to this frame length */
};

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static uint32_t
l4_hdr_len(uint8_t proto)
{
	return proto == 6 ? 20 : proto == 17 ? 8 : proto == 1 ? 8 : 0;
}

/* Write the frame @s describes to @buf (2048 bytes); return its length. */
static uint32_t
build_frame(uint8_t *buf, const struct pkt_spec *s)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x01 }, smac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint32_t off = 0, ihl = s->ihl ? s->ihl : 5, l4 = l4_hdr_len(s->proto), tot, i;
	uint8_t *ip;

	memset(buf, 0xee, 2048);
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	off = 12;
	if (s->vlan) {
		wr16(buf + off, 0x8100);
		wr16(buf + off + 2, 0x0064); /* VLAN 100 */
		off += 4;
	}
	wr16(buf + off, s->ethertype ? s->ethertype : 0x0800);
	off += 2;
	ip = buf + off;
	tot = ihl * 4 + l4 + s->payload;
	ip[0] = (uint8_t)((s->version ? s->version : 4) << 4 | (ihl & 0x0f));
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)((int)tot + s->tot_adj));
	wr16(ip + 4, 0x1234);
	wr16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto;
	wr16(ip + 10, 0);
	wr32(ip + 12, s->src);
	wr32(ip + 16, s->dst);
	for (i = 20; i < ihl * 4; i++)
		ip[i] = 1; /* NOP options */
	if (s->proto == 6 || s->proto == 17) {
		wr16(ip + ihl * 4, s->sport);
		wr16(ip + ihl * 4 + 2, s->dport);
	}
	if (s->proto == 6)
		ip[ihl * 4 + 12] = 5 << 4;
	if (s->proto == 17)
		wr16(ip + ihl * 4 + 4, (uint16_t)(8 + s->payload));
	if (s->proto == 1)
		ip[ihl * 4] = 8; /* echo request */
	off += tot;
	for (i = off - s->payload; i < off; i++)
		buf[i] = (uint8_t)i;
	return off < s->pad_to ? s->pad_to : off;
}

/* Extract from a copy of exactly @len bytes, so a read past @len touches no frame byte. */
static int
extract_exact(const uint8_t *frame, uint32_t len, uint16_t in_port, struct cls_key *key)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, frame, len);
	rc = cls_key_extract(copy, len, in_port, key, &k6_scratch);
	free(copy);
	return rc;
}

static void
assert_key(const struct cls_key *k, uint8_t in_port, uint8_t proto, uint32_t src, uint32_t dst,
	   uint16_t sport, uint16_t dport, uint8_t ipv4)
{
	assert_int_equal(k->in_port, in_port);
	assert_int_equal(k->proto, proto);
	assert_int_equal(k->src_ip, htonl(src));
	assert_int_equal(k->dst_ip, htonl(dst));
	assert_int_equal(k->sport, htons(sport));
	assert_int_equal(k->dport, htons(dport));
	assert_int_equal(k->ipv4, ipv4);
	assert_int_equal(k->pad0[0] | k->pad0[1] | k->pad0[2] | k->pad1, 0);
}

static const struct pkt_spec udp_spec = {
	.proto = 17, .src = 0x0a010203, .dst = 0xc0a80101, .sport = 1234, .dport = 53, .payload = 10,
};
static const struct pkt_spec tcp_spec = {
	.proto = 6, .src = 0xac100001, .dst = 0x08080808, .sport = 40000, .dport = 443, .payload = 0,
};

static void
test_extract_udp_tcp(void **state)
{
	struct pkt_spec s = udp_spec;
	uint8_t buf[2048];
	struct cls_key k;
	uint32_t len;

	(void)state;
	len = build_frame(buf, &s);
	assert_int_equal(len, 14 + 20 + 8 + 10);
	memset(&k, 0xff, sizeof(k));
	assert_int_equal(extract_exact(buf, len, 3, &k), 1);
	assert_key(&k, 3, 17, 0x0a010203, 0xc0a80101, 1234, 53, 1);

	s = tcp_spec;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 0, &k), 1);
	assert_key(&k, 0, 6, 0xac100001, 0x08080808, 40000, 443, 1);

	/* One 802.1Q tag. */
	s.vlan = true;
	len = build_frame(buf, &s);
	assert_int_equal(len, 18 + 20 + 20);
	assert_int_equal(extract_exact(buf, len, 31, &k), 1);
	assert_key(&k, 31, 6, 0xac100001, 0x08080808, 40000, 443, 1);

	/* IPv4 options: the ports follow them. */
	s = udp_spec;
	s.ihl = 7;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 1, &k), 1);
	assert_key(&k, 1, 17, 0x0a010203, 0xc0a80101, 1234, 53, 1);

	/* Ethernet padding after the IPv4 packet is allowed. */
	s = udp_spec;
	s.payload = 0;
	s.pad_to = 60;
	len = build_frame(buf, &s);
	assert_int_equal(len, 60);
	assert_int_equal(extract_exact(buf, len, 1, &k), 1);
	assert_key(&k, 1, 17, 0x0a010203, 0xc0a80101, 1234, 53, 1);

	/* ICMP and other protocols: no ports. */
	s = udp_spec;
	s.proto = 1;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 2, &k), 1);
	assert_key(&k, 2, 1, 0x0a010203, 0xc0a80101, 0, 0, 1);
	s.proto = 47;
	s.payload = 0;
	len = build_frame(buf, &s);
	assert_int_equal(len, 34);
	assert_int_equal(extract_exact(buf, len, 2, &k), 1);
	assert_key(&k, 2, 47, 0x0a010203, 0xc0a80101, 0, 0, 1);
}

static void
test_extract_not_ipv4(void **state)
{
	static const uint16_t types[] = { 0x0806, 0x88a8, 0x88cc }; /* IPv6: test_extract_ipv6 */
	struct pkt_spec s = udp_spec;
	uint8_t buf[2048];
	struct cls_key k;
	unsigned int i;
	uint32_t len;

	(void)state;
	for (i = 0; i < 2 * sizeof(types) / sizeof(types[0]); i++) {
		s.ethertype = types[i / 2];
		s.vlan = i % 2;
		len = build_frame(buf, &s);
		memset(&k, 0xff, sizeof(k));
		assert_int_equal(extract_exact(buf, len, 5, &k), 0);
		/* the input port as the source address: one flow per port */
		assert_key(&k, 5, 0, 5, 0, 0, 0, 0);
	}
	/* A bare Ethernet header, and a tag with nothing after its type. */
	s.ethertype = 0x0806;
	s.vlan = false;
	build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, 14, 4, &k), 0);
	assert_key(&k, 4, 0, 4, 0, 0, 0, 0);
	s.vlan = true;
	build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, 18, 4, &k), 0);
}

/* Every length short of the headers must be refused, without reading past it. */
static void
test_extract_truncated(void **state)
{
	struct pkt_spec specs[6] = { udp_spec, tcp_spec, udp_spec, tcp_spec, udp_spec, tcp_spec };
	uint8_t buf[2048];
	struct cls_key k;
	uint32_t full, len, hdr, i;
	int rc;

	(void)state;
	specs[2].vlan = specs[3].vlan = true;
	specs[4].ihl = 6;
	specs[5].ihl = 15;
	specs[5].vlan = true;
	for (i = 0; i < 6; i++) {
		specs[i].payload = 0;
		full = build_frame(buf, &specs[i]);
		hdr = (specs[i].vlan ? 18 : 14) + (specs[i].ihl ? specs[i].ihl : 5) * 4 +
		      l4_hdr_len(specs[i].proto);
		assert_int_equal(full, hdr);
		for (len = 0; len < full; len++) {
			memset(&k, 0xff, sizeof(k));
			rc = extract_exact(buf, len, 7, &k);
			if (rc != -EINVAL)
				print_error("frame %u cut at %u of %u: rc %d\n", i, len, full, rc);
			assert_int_equal(rc, -EINVAL);
			assert_key(&k, 7, 0, 0, 0, 0, 0, 0);
		}
		assert_int_equal(extract_exact(buf, full, 7, &k), 1);
	}

	/* Honest IPv4 total length, but the L4 header is cut short. */
	for (i = 0; i < 2; i++) {
		struct pkt_spec s = specs[i];
		uint32_t l4 = l4_hdr_len(s.proto);

		for (len = 0; len < l4; len++) {
			s.tot_adj = -(int)(l4 - len);
			full = build_frame(buf, &s);
			assert_int_equal(extract_exact(buf, full, 0, &k), -EINVAL);
			/* The bytes are there, past the IPv4 packet: still refused. */
			assert_int_equal(extract_exact(buf, 14 + 20 + l4, 0, &k), -EINVAL);
		}
	}
}

static void
test_extract_malformed(void **state)
{
	struct pkt_spec s;
	uint8_t buf[2048];
	struct cls_key k;
	uint32_t len;

	(void)state;
	s = udp_spec;
	s.version = 6; /* IPv6 version in an IPv4 ethertype */
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 0, &k), -EINVAL);

	s = udp_spec;
	s.ihl = 4;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 0, &k), -EINVAL);

	s = udp_spec;
	s.tot_adj = 1; /* one byte more than the frame */
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 0, &k), -EINVAL);

	s = udp_spec;
	s.tot_adj = -(8 + 10) - 1; /* shorter than the IPv4 header */
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 0, &k), -EINVAL);

	s = udp_spec;
	s.ihl = 15; /* options longer than the packet */
	s.tot_adj = -40;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 0, &k), -EINVAL);
	assert_key(&k, 0, 0, 0, 0, 0, 0, 0);
}

static void
test_extract_fragments(void **state)
{
	struct pkt_spec s = udp_spec;
	uint8_t buf[2048];
	struct cls_key k;
	uint32_t len;

	(void)state;
	/* Non-first fragment: the bytes at the L4 offset are data, not ports. */
	s.frag = 185;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 1, &k), CLS_IPV4_FRAG);
	assert_key(&k, 1, 17, 0x0a010203, 0xc0a80101, 0, 0, 1);

	/* ... even a tiny one, with no room for a UDP header; with MF set too. */
	s.frag = 0x2000 | 3;
	s.proto = 6;
	s.tot_adj = -20 + 2;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 1, &k), CLS_IPV4_FRAG);
	assert_key(&k, 1, 6, 0x0a010203, 0xc0a80101, 0, 0, 1);

	/* The last fragment: an offset, MF clear. */
	s = udp_spec;
	s.frag = 0x4000 | 7;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 1, &k), CLS_IPV4_FRAG);
	assert_key(&k, 1, 17, 0x0a010203, 0xc0a80101, 0, 0, 1);

	/* First fragment (MF set, offset 0): the ports are there, and it is
	 * a fragment; DF alone (no MF, no offset) is a whole packet. */
	s = udp_spec;
	s.frag = 0x2000;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 1, &k), CLS_IPV4_FRAG);
	assert_key(&k, 1, 17, 0x0a010203, 0xc0a80101, 1234, 53, 1);
	s.frag = 0x4000;
	len = build_frame(buf, &s);
	assert_int_equal(extract_exact(buf, len, 1, &k), CLS_IPV4);
	assert_key(&k, 1, 17, 0x0a010203, 0xc0a80101, 1234, 53, 1);
}

/* ---- classification ---- */

static void
make_key(struct cls_key *k, uint8_t in_port, uint8_t proto, uint32_t src, uint32_t dst,
	 uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->in_port = in_port;
	k->proto = proto;
	k->src_ip = htonl(src);
	k->dst_ip = htonl(dst);
	k->sport = htons(sport);
	k->dport = htons(dport);
	k->ipv4 = 1;
}

static void
make_other_key(struct cls_key *k, uint8_t in_port)
{
	memset(k, 0, sizeof(*k));
	k->in_port = in_port;
	k->src_ip = htonl(in_port); /* as cls_key_extract() gives it */
}

struct fixture {
	struct cfg c;
	struct cls *cls;
};

static void
fixture_build(struct fixture *f, const char *text)
{
	char err[512];

	if (cfg_parse_string(text, "t.conf", &f->c, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	f->cls = cls_create(&f->c, SOCKET_ID_ANY, err, sizeof(err));
	if (f->cls == NULL)
		fail_msg("cls_create: %s", err);
}

static void
fixture_free(struct fixture *f)
{
	cls_free(f->cls);
	cfg_free(&f->c);
}

static uint32_t
match_one(const struct fixture *f, const struct cls_key *k)
{
	const struct cls_key *keys[1] = { k };
	uint32_t rule = 0x12345678;

	cls_match(f->cls, keys, 1, &rule);
	return rule;
}

static uint16_t
target_one(const struct fixture *f, const struct cls_key *k)
{
	const struct cls_key *keys[1] = { k };
	uint16_t t = 0x1234;

	cls_classify(f->cls, keys, 1, &t);
	return t;
}

static void
test_rule_order(void **state)
{
	struct fixture f;
	struct cls_key k;

	(void)state;
	/* role 1 -> chain 0, role 2 -> chain 1 */
	fixture_build(&f, "rules = (\n"
			  "  { dst = \"10.0.0.0/8\"; role = 1; },\n"
			  "  { dst = \"10.1.0.0/16\"; role = 2; },\n"
			  "  { src = \"192.168.0.0/16\"; action = \"drop\"; }\n"
			  ");\n");
	make_key(&k, 0, 17, 0x01010101, 0x0a010203, 1, 2);
	assert_int_equal(match_one(&f, &k), 0);
	assert_int_equal(target_one(&f, &k), 0);
	make_key(&k, 0, 17, 0xc0a80001, 0x0a010203, 1, 2);
	assert_int_equal(match_one(&f, &k), 0);
	make_key(&k, 0, 17, 0xc0a80001, 0x0b010203, 1, 2);
	assert_int_equal(match_one(&f, &k), 2);
	assert_int_equal(target_one(&f, &k), CFG_TARGET_DROP);
	fixture_free(&f);

	/* The same rules, the narrower first: now it wins. */
	fixture_build(&f, "rules = (\n"
			  "  { dst = \"10.1.0.0/16\"; role = 2; },\n"
			  "  { src = \"192.168.0.0/16\"; action = \"drop\"; },\n"
			  "  { dst = \"10.0.0.0/8\"; role = 1; }\n"
			  ");\n");
	make_key(&k, 0, 17, 0x01010101, 0x0a010203, 1, 2);
	assert_int_equal(match_one(&f, &k), 0);
	assert_int_equal(target_one(&f, &k), 0); /* role 2 is chain 0 here */
	make_key(&k, 0, 17, 0xc0a80001, 0x0a020203, 1, 2);
	assert_int_equal(match_one(&f, &k), 1);
	make_key(&k, 0, 17, 0x01010101, 0x0a020203, 1, 2);
	assert_int_equal(match_one(&f, &k), 2);
	assert_int_equal(target_one(&f, &k), 1);
	fixture_free(&f);
}

static void
test_port_ranges(void **state)
{
	static const struct { uint16_t sport, dport; uint32_t rule; } cases[] = {
		{ 7, 999, CLS_NO_RULE }, { 7, 1000, 0 }, { 7, 1500, 0 }, { 7, 2000, 0 },
		{ 7, 2001, CLS_NO_RULE }, { 4, 3, CLS_NO_RULE }, { 5, 3, 1 }, { 6, 3, CLS_NO_RULE },
		{ 65535, 0, 2 }, { 65534, 0, CLS_NO_RULE }, { 65535, 1, CLS_NO_RULE },
		{ 100, 65535, 3 }, { 100, 65534, CLS_NO_RULE }, { 0, 0, 4 }, { 0, 1, CLS_NO_RULE },
	};
	struct fixture f;
	struct cls_key k;
	unsigned int i;

	(void)state;
	fixture_build(&f, "rules = (\n"
			  "  { dport = \"1000-2000\"; role = 1; },\n"
			  "  { sport = \"5\"; role = 2; },\n"
			  "  { sport = \"65535\"; dport = 0; role = 3; },\n"
			  "  { proto = \"udp\"; dport = \"65535-65535\"; role = 4; },\n"
			  "  { sport = \"0-0\"; dport = \"0-0\"; role = 5; }\n"
			  ");\ndefault = { role = 9; };\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_key(&k, 0, 17, 0x0a000001, 0x0a000002, cases[i].sport, cases[i].dport);
		if (match_one(&f, &k) != cases[i].rule)
			print_error("sport %u dport %u: rule %u, expected %u\n", cases[i].sport,
				    cases[i].dport, match_one(&f, &k), cases[i].rule);
		assert_int_equal(match_one(&f, &k), cases[i].rule);
	}
	/* rule 3 is UDP only */
	make_key(&k, 0, 6, 0x0a000001, 0x0a000002, 100, 65535);
	assert_int_equal(match_one(&f, &k), CLS_NO_RULE);
	assert_int_equal(target_one(&f, &k), 5); /* role:9, created last */
	fixture_free(&f);
}

static void
test_prefixes(void **state)
{
	static const struct { uint32_t src, dst, rule; } cases[] = {
		{ 0x01020304, 0x0a010000, 0 }, { 0x01020304, 0x0a01ffff, 0 },
		{ 0x01020304, 0x0a00ffff, 2 }, { 0x01020304, 0x0a020000, 2 },
		{ 0x01020305, 0x0a020000, 4 }, { 0x01020303, 0x0b000000, 4 },
		{ 0x80000000, 0x0b000000, 3 }, { 0xffffffff, 0x0b000000, 3 },
		{ 0x7fffffff, 0x0b000000, 4 }, { 0x00000000, 0x0b000000, 4 },
		{ 0x05060708, 0x0a000000, 1 }, { 0x05060708, 0x0a000001, 4 },
	};
	struct fixture f;
	struct cls_key k;
	unsigned int i;

	(void)state;
	fixture_build(&f, "rules = (\n"
			  "  { dst = \"10.1.0.0/16\"; role = 1; },\n"
			  "  { dst = \"10.0.0.0/32\"; role = 2; },\n"
			  "  { src = \"1.2.3.4\"; role = 3; },\n"
			  "  { src = \"128.0.0.0/1\"; role = 4; },\n"
			  "  { src = \"0.0.0.0/0\"; dst = \"0.0.0.0/0\"; role = 5; }\n"
			  ");\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_key(&k, 1, 6, cases[i].src, cases[i].dst, 80, 80);
		if (match_one(&f, &k) != cases[i].rule)
			print_error("src %08x dst %08x: rule %u, expected %u\n", cases[i].src,
				    cases[i].dst, match_one(&f, &k), cases[i].rule);
		assert_int_equal(match_one(&f, &k), cases[i].rule);
	}
	fixture_free(&f);
}

static void
test_in_port_and_other_traffic(void **state)
{
	struct fixture f;
	struct cls_key k;

	(void)state;
	fixture_build(&f, "rules = (\n"
			  "  { sport = \"0-100\"; role = 1; },\n"
			  "  { dst = \"0.0.0.0/1\"; role = 2; },\n"
			  "  { in_port = 2; proto = \"tcp\"; role = 3; },\n"
			  "  { in_port = 3; role = 4; },\n"
			  "  { in_port = 2; proto = 0; src = \"0.0.0.0/0\"; sport = \"0-65535\"; role = 5; }\n"
			  ");\ndefault = { action = \"drop\"; };\n");
	/* Not IPv4: only rules about nothing but in_port. */
	make_other_key(&k, 0);
	assert_int_equal(match_one(&f, &k), CLS_NO_RULE);
	assert_int_equal(target_one(&f, &k), CFG_TARGET_DROP);
	make_other_key(&k, 3);
	assert_int_equal(match_one(&f, &k), 3);
	make_other_key(&k, 2);
	assert_int_equal(match_one(&f, &k), 4);
	/* IPv4 with zero addresses and ports does match the first two. */
	make_key(&k, 0, 17, 0, 0, 0, 0);
	assert_int_equal(match_one(&f, &k), 0);
	make_key(&k, 3, 17, 0, 0, 101, 0);
	assert_int_equal(match_one(&f, &k), 1);
	/* in_port */
	make_key(&k, 2, 6, 0x80000000, 0x80000000, 1000, 1000);
	assert_int_equal(match_one(&f, &k), 2);
	make_key(&k, 1, 6, 0x80000000, 0x80000000, 1000, 1000);
	assert_int_equal(match_one(&f, &k), CLS_NO_RULE);
	make_key(&k, 2, 17, 0x80000000, 0x80000000, 1000, 1000);
	assert_int_equal(match_one(&f, &k), 4);
	assert_int_equal(target_one(&f, &k), 4);
	make_key(&k, 3, 17, 0x80000000, 0x80000000, 1000, 1000);
	assert_int_equal(match_one(&f, &k), 3);
	fixture_free(&f);
}

static void
test_default_and_empty(void **state)
{
	struct fixture f;
	struct cls_key k;

	(void)state;
	fixture_build(&f, "default = { role = 5; };\n");
	make_key(&k, 0, 17, 1, 2, 3, 4);
	assert_int_equal(match_one(&f, &k), CLS_NO_RULE);
	assert_int_equal(target_one(&f, &k), 0);
	make_other_key(&k, 9);
	assert_int_equal(target_one(&f, &k), 0);
	assert_int_equal(cls_rule_target(f.cls, CLS_NO_RULE), 0);
	fixture_free(&f);

	fixture_build(&f, "");
	make_key(&k, 0, 17, 1, 2, 3, 4);
	assert_int_equal(target_one(&f, &k), CFG_TARGET_DROP);
	fixture_free(&f);

	/* A rule's drop and the default drop are told apart by cls_match. */
	fixture_build(&f, "rules = ( { proto = \"udp\"; action = \"drop\"; }, { role = 1; } );\n"
			  "default = { action = \"drop\"; };\n");
	make_key(&k, 0, 17, 1, 2, 3, 4);
	assert_int_equal(match_one(&f, &k), 0);
	assert_int_equal(target_one(&f, &k), CFG_TARGET_DROP);
	assert_int_equal(cls_rule_target(f.cls, 0), CFG_TARGET_DROP);
	assert_int_equal(cls_rule_target(f.cls, 1), 0);
	make_other_key(&k, 0);
	assert_int_equal(match_one(&f, &k), 1);
	assert_int_equal(target_one(&f, &k), 0);
	fixture_free(&f);
}

static void
test_create_bad_target(void **state)
{
	struct cfg_chain chain = { .name = "a", .len = 1, .roles = { 1 } };
	struct cfg_rule rule = {
		.line = 42, .in_port = CFG_ANY_PORT, .sport_hi = 65535, .dport_hi = 65535,
		.target = 1,
	};
	char err[256] = "";
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	c.nb_chains = 1;
	c.chains = &chain;
	c.nb_rules = 1;
	c.rules = &rule;
	assert_null(cls_create(&c, SOCKET_ID_ANY, err, sizeof(err)));
	assert_non_null(strstr(err, "line 42"));
	rule.target = 0;
	c.default_target = 3;
	assert_null(cls_create(&c, SOCKET_ID_ANY, err, sizeof(err)));
	assert_non_null(strstr(err, "default"));
}

/* ---- rte_acl against a linear first match ---- */

static bool
ref_rule_matches(const struct cfg_rule *r, const struct cls_key *k)
{
	bool l3 = r->proto || r->src_len || r->dst_len || r->sport_lo || r->sport_hi != 65535 ||
		  r->dport_lo || r->dport_hi != 65535;
	uint32_t src = ntohl(k->src_ip), dst = ntohl(k->dst_ip);
	uint16_t sport = ntohs(k->sport), dport = ntohs(k->dport);

	if (l3 && !k->ipv4)
		return false;
	if (r->in_port != CFG_ANY_PORT && r->in_port != k->in_port)
		return false;
	if (r->proto != 0 && r->proto != k->proto)
		return false;
	if (r->src_len != 0 && (src ^ r->src_ip) >> (32 - r->src_len) != 0)
		return false;
	if (r->dst_len != 0 && (dst ^ r->dst_ip) >> (32 - r->dst_len) != 0)
		return false;
	return sport >= r->sport_lo && sport <= r->sport_hi && dport >= r->dport_lo &&
	       dport <= r->dport_hi;
}

static uint32_t
ref_match(const struct cfg *c, const struct cls_key *k)
{
	uint32_t i;

	for (i = 0; i < c->nb_rules; i++)
		if (ref_rule_matches(&c->rules[i], k))
			return i;
	return CLS_NO_RULE;
}

static const uint32_t base_addrs[] = { 0x0a000000, 0x0a010000, 0x0a010200, 0xc0a80000,
				       0xc0a80101, 0x08080808, 0xffffffff, 0x00000000 };

static void
random_prefix(uint32_t *ip, uint8_t *len)
{
	*len = (uint8_t)(rng() % 3 == 0 ? rng_range(0, 32) : 8 * rng_range(1, 4));
	*ip = base_addrs[rng() % 8] ^ (rng() % 4 == 0 ? rng() : 0);
	*ip = *len == 0 ? 0 : *ip & (0xffffffffu << (32 - *len));
}

static void
random_ports(uint16_t *lo, uint16_t *hi)
{
	uint32_t a;

	switch (rng() % 4) {
	case 0: /* exact */
		*lo = *hi = (uint16_t)rng_range(0, 2000);
		break;
	case 1: /* narrow */
		a = rng_range(0, 2000);
		*lo = (uint16_t)a;
		*hi = (uint16_t)(a + rng_range(0, 300));
		break;
	case 2: /* wide, touching an end */
		*lo = rng() % 2 ? 0 : (uint16_t)rng_range(1, 1024);
		*hi = *lo ? 65535 : (uint16_t)rng_range(1024, 65534);
		break;
	default:
		*lo = (uint16_t)rng();
		*hi = (uint16_t)rng_range(*lo, 65535);
		break;
	}
}

static void
random_rule(struct cfg_rule *r, unsigned int nb_chains)
{
	static const uint8_t protos[] = { 6, 17, 1, 47 };

	memset(r, 0, sizeof(*r));
	r->in_port = rng() % 4 == 0 ? (uint16_t)rng_range(0, 3) : CFG_ANY_PORT;
	r->proto = rng() % 2 ? protos[rng() % 4] : 0;
	if (rng() % 2)
		random_prefix(&r->src_ip, &r->src_len);
	if (rng() % 2)
		random_prefix(&r->dst_ip, &r->dst_len);
	r->sport_hi = r->dport_hi = 65535;
	if (rng() % 3 == 0)
		random_ports(&r->sport_lo, &r->sport_hi);
	if (rng() % 2)
		random_ports(&r->dport_lo, &r->dport_hi);
	/* Rules matching (nearly) everything would shadow the rest: keep them rare. */
	if (r->proto == 0 && r->src_len < 8 && r->dst_len < 8 && r->sport_hi - r->sport_lo > 60000 &&
	    r->dport_hi - r->dport_lo > 60000 && rng() % 16 != 0)
		random_ports(&r->dport_lo, &r->dport_hi);
	r->target = rng() % 8 == 0 ? CFG_TARGET_DROP : (uint16_t)(rng() % nb_chains);
}

static uint32_t
random_in_prefix(uint32_t ip, uint8_t len)
{
	uint32_t host = len == 32 ? 0 : rng() & (0xffffffffu >> len);

	return len == 0 ? rng() : (ip | host);
}

/* A key that often matches, or narrowly misses, a random rule of @c. */
static void
random_key(const struct cfg *c, struct cls_key *k)
{
	const struct cfg_rule *r = &c->rules[rng() % c->nb_rules];
	uint32_t pick = rng() % 100;

	if (pick < 5) {
		make_other_key(k, (uint8_t)rng_range(0, 4));
		return;
	}
	if (pick < 25) {
		make_key(k, (uint8_t)rng_range(0, 4), (uint8_t)rng(), rng(), rng(),
			 (uint16_t)rng(), (uint16_t)rng());
		return;
	}
	make_key(k, r->in_port == CFG_ANY_PORT ? (uint8_t)rng_range(0, 4) : (uint8_t)r->in_port,
		 r->proto ? r->proto : (uint8_t)(rng() % 2 ? 6 : 17),
		 random_in_prefix(r->src_ip, r->src_len), random_in_prefix(r->dst_ip, r->dst_len),
		 (uint16_t)rng_range(r->sport_lo, r->sport_hi),
		 (uint16_t)rng_range(r->dport_lo, r->dport_hi));
	/* Push one field just past an edge of the rule. */
	switch (rng() % 8) {
	case 0:
		k->sport = htons((uint16_t)(r->sport_lo - 1));
		break;
	case 1:
		k->dport = htons((uint16_t)(r->dport_hi + 1));
		break;
	case 2:
		if (r->src_len)
			k->src_ip = htonl(r->src_ip ^ (1u << (32 - r->src_len)));
		break;
	case 3:
		if (r->dst_len)
			k->dst_ip = htonl((r->dst_ip | (r->dst_len < 32 ? 0xffffffffu >> r->dst_len : 0)) + 1);
		break;
	case 4:
		k->in_port ^= 1;
		break;
	default:
		break;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* @c: the defaults, @nb_chains chains "cN" of role N each, and @nb_rules
 * rules @make() draws, rule i on line i + 1. */
static void
random_cfg(struct cfg *c, unsigned int nb_chains, unsigned int nb_rules,
	   void (*make)(struct cfg_rule *r, unsigned int nb_chains))
{
	unsigned int i;

	cfg_defaults(c);
	c->nb_chains = nb_chains;
	c->chains = calloc(c->nb_chains, sizeof(*c->chains));
	c->nb_rules = nb_rules;
	c->rules = calloc(nb_rules, sizeof(*c->rules));
	assert_true(c->chains && c->rules);
	for (i = 0; i < c->nb_chains; i++) {
		snprintf(c->chains[i].name, sizeof(c->chains[i].name), "c%u", i);
		c->chains[i].len = 1;
		c->chains[i].roles[0] = (uint16_t)i;
	}
	for (i = 0; i < nb_rules; i++) {
		make(&c->rules[i], c->nb_chains);
		c->rules[i].line = i + 1;
	}
}

static void
check_random(uint64_t seed, unsigned int nb_rules, unsigned int nb_keys)
{
	const struct cls_key **ptrs = calloc(nb_keys, sizeof(*ptrs));
	struct cls_key *keys = calloc(nb_keys, sizeof(*keys));
	uint32_t *got = calloc(nb_keys, sizeof(*got));
	uint16_t *targets = calloc(nb_keys, sizeof(*targets));
	unsigned int i, done, n, mismatches = 0, matched = 0, distinct = 0;
	uint32_t want;
	char err[256];
	struct cls *cls;
	struct cfg c;

	assert_true(ptrs && keys && got && targets);
	rng_seed(seed);
	random_cfg(&c, 6, nb_rules, random_rule);
	c.default_target = rng() % 2 ? CFG_TARGET_DROP : 5;
	cls = cls_create(&c, SOCKET_ID_ANY, err, sizeof(err));
	if (cls == NULL)
		fail_msg("cls_create: %s", err);

	for (i = 0; i < nb_keys; i++) {
		random_key(&c, &keys[i]);
		ptrs[i] = &keys[i];
	}
	/* Bursts of varying size, some longer than the classifier's inner burst. */
	for (done = 0; done < nb_keys; done += n) {
		n = rng_range(1, 300);
		n = n < nb_keys - done ? n : nb_keys - done;
		cls_match(cls, ptrs + done, (uint16_t)n, got + done);
		cls_classify(cls, ptrs + done, (uint16_t)n, targets + done);
	}
	for (i = 0; i < nb_keys; i++) {
		want = ref_match(&c, &keys[i]);
		matched += want != CLS_NO_RULE;
		if (got[i] != want ||
		    targets[i] != (want == CLS_NO_RULE ? c.default_target : c.rules[want].target)) {
			if (mismatches++ < 5)
				print_error("seed %llu key %u: rule %u target %u, reference rule %u\n",
					    (unsigned long long)seed, i, got[i], targets[i], want);
		}
	}
	/* The keys must hit many rules for the comparison to mean anything. */
	qsort(got, nb_keys, sizeof(*got), cmp_u32);
	for (i = 0; i < nb_keys; i++)
		distinct += got[i] != CLS_NO_RULE && (i == 0 || got[i] != got[i - 1]);
	if (matched < nb_keys / 4 || distinct < (nb_rules < 100 ? nb_rules : 100) / 4 + 1)
		print_error("seed %llu: %u of %u keys matched, %u distinct rules\n",
			    (unsigned long long)seed, matched, nb_keys, distinct);
	assert_true(matched >= nb_keys / 4);
	assert_true(distinct >= (nb_rules < 100 ? nb_rules : 100) / 4 + 1);
	assert_int_equal(mismatches, 0);

	cls_free(cls);
	cfg_free(&c);
	free(ptrs);
	free(keys);
	free(got);
	free(targets);
}

static void
test_random_vs_reference(void **state)
{
	(void)state;
	check_random(1, 1, 4000);
	check_random(2, 10, 10000);
	check_random(3, 100, 20000);
	check_random(4, 1000, 20000);
	check_random(5, 3000, 10000);
}

#define ARR_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- both families against a linear first match ---- */

/* Whether the first @len bits of @a and @b (@n bytes each) are equal. */
static bool
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

/* What docs/config.md says a rule matches: a packet of the rule's family
 * (or of either, without prefixes), a frame of neither only when the rule
 * constrains nothing but in_port. @v6 NULL: an IPv4 or other key @k. */
static bool
ref_rule_matches_any(const struct cfg_rule *r, const struct cls_key *k,
		     const struct cls_key6 *v6)
{
	uint8_t a[16], b[16];
	uint16_t sport, dport;
	uint8_t proto, in_port;

	if (v6 == NULL && !k->ipv4)
		return r->family == 0 && ref_rule_matches(r, k);
	if (v6 == NULL)
		return r->family != 6 && ref_rule_matches(r, k);
	if (r->family == 4)
		return false;
	proto = v6->proto;
	in_port = v6->in_port;
	sport = ntohs(v6->sport);
	dport = ntohs(v6->dport);
	if (r->in_port != CFG_ANY_PORT && r->in_port != in_port)
		return false;
	if (r->proto != 0 && r->proto != proto)
		return false;
	if (r->family == 6) {
		memcpy(a, v6->src, 16);
		memcpy(b, v6->dst, 16);
		if (!prefix_eq(a, r->src_ip6, r->src_len) || !prefix_eq(b, r->dst_ip6, r->dst_len))
			return false;
	}
	return sport >= r->sport_lo && sport <= r->sport_hi && dport >= r->dport_lo &&
	       dport <= r->dport_hi;
}

static const uint8_t base6[][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	{ 0xfe, 0x80, [15] = 1 },
	{ [15] = 1 },
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff },
	{ 0 },
};

static void
random_prefix6(uint8_t *addr, uint8_t *len)
{
	unsigned int i;

	*len = (uint8_t)(rng() % 2 ? rng_range(0, 128) : 16 * rng_range(1, 8));
	memcpy(addr, base6[rng() % ARR_DIM(base6)], 16);
	if (rng() % 4 == 0)
		for (i = 0; i < 16; i++)
			addr[i] ^= (uint8_t)rng();
	for (i = 0; i < 16; i++) /* host bits zero */
		if (8 * i + 8 > *len)
			addr[i] &= 8 * i >= *len ? 0 : (uint8_t)(0xff << (8 - (*len - 8 * i)));
}

/* Ports that often sit on the ends of the range, 0 and 65535. */
static void
random_ports_edges(uint16_t *lo, uint16_t *hi)
{
	static const uint16_t edges[] = { 0, 1, 1023, 1024, 65534, 65535 };

	*lo = rng() % 2 ? edges[rng() % 6] : (uint16_t)rng();
	*hi = rng() % 2 ? edges[rng() % 6] : (uint16_t)rng();
	if (*lo > *hi) {
		uint16_t t = *lo;

		*lo = *hi;
		*hi = t;
	}
}

static void
random_rule_any(struct cfg_rule *r, unsigned int nb_chains)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 0, 44, 255 };
	unsigned int kind = rng() % 3; /* 0: no prefix, 4 or 6 */

	memset(r, 0, sizeof(*r));
	r->in_port = rng() % 4 == 0 ? (uint16_t)rng_range(0, 3) : CFG_ANY_PORT;
	r->proto = rng() % 2 ? protos[rng() % ARR_DIM(protos)] : 0;
	if (kind == 1) {
		if (rng() % 2)
			random_prefix(&r->src_ip, &r->src_len);
		if (rng() % 2)
			random_prefix(&r->dst_ip, &r->dst_len);
	} else if (kind == 2) {
		if (rng() % 2)
			random_prefix6(r->src_ip6, &r->src_len);
		if (rng() % 2)
			random_prefix6(r->dst_ip6, &r->dst_len);
	}
	if (r->src_len != 0 || r->dst_len != 0)
		r->family = (uint8_t)(kind == 1 ? 4 : 6);
	r->sport_hi = r->dport_hi = 65535;
	if (rng() % 3 == 0)
		random_ports_edges(&r->sport_lo, &r->sport_hi);
	if (rng() % 3 == 0)
		random_ports_edges(&r->dport_lo, &r->dport_hi);
	r->target = rng() % 8 == 0 ? CFG_TARGET_DROP : (uint16_t)(rng() % nb_chains);
}

/* An address in @len-bit prefix @p, or (@miss) just outside it. */
static void
random_in_prefix6(uint8_t *out, const uint8_t *p, uint8_t len, bool miss)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		uint8_t keep = 8 * i + 8 <= len ? 0xff : 8 * i >= len ? 0 :
			       (uint8_t)(0xff << (8 - (len - 8 * i)));

		out[i] = (uint8_t)((p[i] & keep) | (rng() & ~keep));
	}
	if (miss && len > 0)
		out[(len - 1) / 8] ^= (uint8_t)(0x80 >> ((len - 1) % 8));
}

static uint16_t
random_port_near(uint16_t lo, uint16_t hi)
{
	switch (rng() % 6) {
	case 0: return lo;
	case 1: return hi;
	case 2: return (uint16_t)(lo - 1);
	case 3: return (uint16_t)(hi + 1);
	case 4: return (uint16_t)rng();
	default: return (uint16_t)rng_range(lo, hi);
	}
}

static void
check_random_any(uint64_t seed, unsigned int nb_rules, unsigned int nb_keys)
{
	struct cls_key *keys = calloc(nb_keys, sizeof(*keys));
	struct cls_key6 *keys6 = calloc(nb_keys, sizeof(*keys6));
	const struct cls_key **kp = calloc(nb_keys, sizeof(*kp));
	const struct cls_key6 **kp6 = calloc(nb_keys, sizeof(*kp6));
	bool *is6 = calloc(nb_keys, sizeof(*is6));
	uint32_t *got = calloc(nb_keys, sizeof(*got)), *got6 = calloc(nb_keys, sizeof(*got6));
	unsigned int i, j, k = 0, k6 = 0, mismatches = 0, matched = 0;
	char err[256];
	struct cls *cls;
	struct cfg c;

	assert_true(keys && keys6 && kp && kp6 && is6 && got && got6);
	rng_seed(seed);
	random_cfg(&c, 4, nb_rules, random_rule_any);
	cls = cls_create(&c, SOCKET_ID_ANY, err, sizeof(err));
	if (cls == NULL)
		fail_msg("cls_create: %s", err);
	for (i = 0; i < nb_keys; i++) {
		const struct cfg_rule *r = &c.rules[rng() % nb_rules];
		uint8_t in_port = r->in_port == CFG_ANY_PORT || rng() % 8 == 0 ?
				  (uint8_t)rng_range(0, 4) : (uint8_t)r->in_port;
		uint8_t proto = r->proto != 0 && rng() % 8 != 0 ? r->proto : (uint8_t)rng();
		bool miss = rng() % 4 == 0;

		is6[i] = r->family == 6 || (r->family == 0 && rng() % 2);
		if (rng() % 16 == 0) {
			is6[i] = false;
			make_other_key(&keys[k], in_port);
		} else if (!is6[i]) {
			make_key(&keys[k], in_port, proto,
				 random_in_prefix(r->src_ip, r->src_len) ^ (miss && r->src_len ?
					 1u << (32 - r->src_len) : 0),
				 random_in_prefix(r->dst_ip, r->dst_len),
				 random_port_near(r->sport_lo, r->sport_hi),
				 random_port_near(r->dport_lo, r->dport_hi));
		}
		if (is6[i]) {
			memset(&keys6[k6], 0, sizeof(keys6[k6]));
			keys6[k6].in_port = in_port;
			keys6[k6].proto = proto;
			random_in_prefix6(keys6[k6].src, r->src_ip6, r->src_len, miss);
			random_in_prefix6(keys6[k6].dst, r->dst_ip6, r->dst_len, false);
			keys6[k6].sport = htons(random_port_near(r->sport_lo, r->sport_hi));
			keys6[k6].dport = htons(random_port_near(r->dport_lo, r->dport_hi));
			kp6[k6] = &keys6[k6];
			k6++;
		} else {
			kp[k] = &keys[k];
			k++;
		}
	}
	cls_match(cls, kp, (uint16_t)k, got);
	cls_match6(cls, kp6, (uint16_t)k6, got6);
	for (i = 0; i < k + k6; i++) {
		bool v6 = i >= k;
		uint32_t idx = v6 ? i - k : i, have = v6 ? got6[idx] : got[idx];
		uint32_t want = CLS_NO_RULE;

		for (j = 0; j < nb_rules && want == CLS_NO_RULE; j++)
			if (ref_rule_matches_any(&c.rules[j], &keys[v6 ? 0 : idx],
						 v6 ? &keys6[idx] : NULL))
				want = j;
		matched += want != CLS_NO_RULE;
		if (have != want && mismatches++ < 5)
			print_error("seed %llu %s key %u: rule %u, reference rule %u\n",
				    (unsigned long long)seed, v6 ? "IPv6" : "IPv4/other", idx, have,
				    want);
	}
	assert_true(matched >= (k + k6) / 4);
	assert_int_equal(mismatches, 0);
	cls_free(cls);
	cfg_free(&c);
	free(keys);
	free(keys6);
	free(kp);
	free(kp6);
	free(is6);
	free(got);
	free(got6);
}

static void
test_random_families_vs_reference(void **state)
{
	unsigned int s;

	(void)state;
	for (s = 1; s <= 40; s++)
		check_random_any(100 + s, s < 20 ? s : 20 * s, 3000);
}

/* ---- flow hash and instance choice ---- */

/* ---- IPv6 ---- */

/* An IPv6 frame: next header @nh, @l4 bytes after the fixed header (a TCP or
 * UDP header with @sport/@dport at their start), payload length field
 * 40-less frame plus @plen_adj. Returns the frame length. */
static uint32_t
build_frame6(uint8_t *buf, bool vlan, uint8_t nh, const char *src, const char *dst,
	     uint16_t sport, uint16_t dport, uint32_t l4, int plen_adj)
{
	uint32_t off = 12;
	uint8_t *ip;

	memset(buf, 0, 2048);
	buf[0] = 0x02;
	buf[6] = 0x02;
	if (vlan) {
		wr16(buf + off, 0x8100);
		wr16(buf + off + 2, 0x0064);
		off += 4;
	}
	wr16(buf + off, 0x86dd);
	ip = buf + off + 2;
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)((int)l4 + plen_adj));
	ip[6] = nh;
	ip[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, src, ip + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, ip + 24), 1);
	if (l4 >= 4) {
		wr16(ip + 40, sport);
		wr16(ip + 42, dport);
	}
	return off + 2 + 40 + l4;
}

static void
assert_key6(const struct cls_key6 *k, uint8_t in_port, uint8_t proto, const char *src,
	    const char *dst, uint16_t sport, uint16_t dport)
{
	uint8_t a[16], b[16];

	assert_int_equal(inet_pton(AF_INET6, src, a), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, b), 1);
	assert_int_equal(k->in_port, in_port);
	assert_int_equal(k->proto, proto);
	assert_memory_equal(k->src, a, 16);
	assert_memory_equal(k->dst, b, 16);
	assert_int_equal(k->sport, htons(sport));
	assert_int_equal(k->dport, htons(dport));
	assert_true(k->pad0[0] == 0 && k->pad0[1] == 0 && k->pad0[2] == 0 && k->pad1 == 0 &&
		    k->pad2 == 0);
}

/* Extract from an exact copy: IPv6 goes to key6, the IPv4 key holds only in_port. */
static int
extract6(const uint8_t *frame, uint32_t len, uint16_t in_port, struct cls_key6 *k6)
{
	uint8_t *copy = malloc(len);
	struct cls_key k;
	int rc;

	assert_non_null(copy);
	memcpy(copy, frame, len);
	memset(k6, 0xff, sizeof(*k6));
	rc = cls_key_extract(copy, len, in_port, &k, k6);
	free(copy);
	assert_key(&k, (uint8_t)in_port, 0, 0, 0, 0, 0, 0);
	return rc;
}

static void
test_extract_ipv6(void **state)
{
	uint8_t buf[2048];
	struct cls_key6 k6;
	uint32_t len;

	(void)state;
	len = build_frame6(buf, false, 6, "2001:db8:1::2", "2001:db8:2::2", 40000, 80, 20, 0);
	assert_int_equal(extract6(buf, len, 3, &k6), CLS_IPV6);
	assert_key6(&k6, 3, 6, "2001:db8:1::2", "2001:db8:2::2", 40000, 80);
	/* UDP behind a VLAN tag, with Ethernet padding after the packet */
	len = build_frame6(buf, true, 17, "fe80::1", "ff02::fb", 5353, 5353, 8, 0);
	assert_int_equal(extract6(buf, len + 10, 1, &k6), CLS_IPV6);
	assert_key6(&k6, 1, 17, "fe80::1", "ff02::fb", 5353, 5353);
	/* ICMPv6: no ports */
	len = build_frame6(buf, false, 58, "::1", "::2", 0x8000, 0x1234, 8, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), CLS_IPV6);
	assert_key6(&k6, 0, 58, "::1", "::2", 0, 0);
	/* a first fragment of TCP (a fragment header, 44, whose next header
	 * is 6; more fragments): TCP with no ports, its header cut short; a
	 * fragment header cut short: malformed (test_extract_ipv6_ext walks
	 * longer chains) */
	len = build_frame6(buf, false, 44, "2001:db8::1", "2001:db8::2", 0x0600, 1, 8, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), -EINVAL);
	len = build_frame6(buf, false, 44, "2001:db8::1", "2001:db8::2", 0x0600, 0x00b9, 8, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), CLS_IPV6_FRAG); /* offset 23: later */
	assert_key6(&k6, 0, 6, "2001:db8::1", "2001:db8::2", 0, 0);
	len = build_frame6(buf, false, 44, "2001:db8::1", "2001:db8::2", 0x0600, 0, 7, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), -EINVAL);
	/* truncated and malformed: a cut fixed header, payload past the frame,
	 * a cut TCP or UDP header, version 4 in an IPv6 ethertype */
	len = build_frame6(buf, false, 6, "2001:db8::1", "2001:db8::2", 1, 2, 20, 0);
	assert_int_equal(extract6(buf, 14 + 39, 0, &k6), -EINVAL);
	assert_int_equal(extract6(buf, len - 1, 0, &k6), -EINVAL);
	len = build_frame6(buf, false, 6, "2001:db8::1", "2001:db8::2", 1, 2, 19, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), -EINVAL);
	len = build_frame6(buf, false, 17, "2001:db8::1", "2001:db8::2", 1, 2, 7, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), -EINVAL);
	len = build_frame6(buf, false, 17, "2001:db8::1", "2001:db8::2", 1, 2, 8, 1);
	assert_int_equal(extract6(buf, len, 0, &k6), -EINVAL);
	len = build_frame6(buf, false, 17, "2001:db8::1", "2001:db8::2", 1, 2, 8, 0);
	buf[14] = 0x40;
	assert_int_equal(extract6(buf, len, 0, &k6), -EINVAL);
}

/* The extension headers test_extract_ipv6_ext() chains: type, bytes. */
struct ext6 {
	uint8_t type;
	uint8_t len;
};

/*
 * An IPv6 frame of @n extension headers @ext (fragment 44: of offset
 * @frag_off, 8-byte units) before upper protocol @upper, whose @l4 bytes
 * start with ports 1000 and 53; the payload length says @cut bytes fewer
 * than the frame holds. Returns the frame length.
 */
static uint32_t
chain6(uint8_t *buf, const struct ext6 *ext, unsigned int n, uint8_t upper, uint16_t frag_off,
       uint32_t l4, uint32_t cut)
{
	uint8_t *ip = buf + 14, *p = ip + 40, *nh = ip + 6;
	unsigned int i;

	memset(buf, 0, 2048);
	wr16(buf + 12, 0x86dd);
	ip[0] = 0x60;
	ip[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", ip + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", ip + 24), 1);
	for (i = 0; i < n; i++) {
		*nh = ext[i].type;
		nh = p;
		if (ext[i].type == 51)
			p[1] = (uint8_t)(ext[i].len / 4 - 2);
		else if (ext[i].type == 44)
			wr16(p + 2, (uint16_t)(frag_off << 3 | 1));
		else
			p[1] = (uint8_t)(ext[i].len / 8 - 1);
		p += ext[i].len;
	}
	*nh = upper;
	if (l4 >= 4) {
		wr16(p, 1000);
		wr16(p + 2, 53);
	}
	p += l4;
	wr16(ip + 4, (uint16_t)(p - ip - 40 - (long)cut));
	return (uint32_t)(p - buf);
}

/* As netlib's nl_parse() sees it: the same verdict, protocol and ports. */
static void
agrees(const uint8_t *buf, uint32_t len, int rc, const struct cls_key6 *k6)
{
	struct nl_parsed p;
	int rp = nl_parse(buf, len, &p);

	assert_int_equal(rc >= 0, rp == 0);
	if (rc < 0)
		return;
	assert_int_equal(k6->proto, p.proto);
	assert_int_equal(rc == CLS_IPV6_FRAG, p.is_fragment);
	assert_int_equal(ntohs(k6->sport), p.has_ports ? p.sport : 0);
	assert_int_equal(ntohs(k6->dport), p.has_ports ? p.dport : 0);
}

/* Extension headers are walked: the key holds the upper-layer protocol and,
 * for TCP and UDP, its ports, as netlib sees them; a fragment header
 * anywhere makes a fragment; a chain cut short or of more than 8 headers is
 * malformed. */
static void
test_extract_ipv6_ext(void **state)
{
	static const struct ext6 hbh = { 0, 8 }, rt = { 43, 16 }, dst = { 60, 24 },
				 ah = { 51, 12 }, frag = { 44, 8 };
	static const struct {
		struct ext6 ext[9];
		unsigned int n;
		uint8_t upper;
		uint16_t frag_off;
		uint32_t l4, cut;
		int rc;
		uint8_t proto;
		uint16_t sport, dport;
	} cases[] = {
		{ { hbh }, 1, 17, 0, 8, 0, CLS_IPV6, 17, 1000, 53 },
		{ { hbh, rt, dst }, 3, 6, 0, 20, 0, CLS_IPV6, 6, 1000, 53 },
		{ { ah }, 1, 6, 0, 20, 0, CLS_IPV6, 6, 1000, 53 },
		{ { dst }, 1, 58, 0, 8, 0, CLS_IPV6, 58, 0, 0 },
		{ { hbh, frag }, 2, 17, 0, 8, 0, CLS_IPV6_FRAG, 17, 1000, 53 },
		{ { hbh, frag }, 2, 17, 185, 8, 0, CLS_IPV6_FRAG, 17, 0, 0 },
		{ { frag, dst }, 2, 6, 0, 20, 0, CLS_IPV6_FRAG, 6, 1000, 53 },
		{ { dst }, 1, 50, 0, 16, 0, CLS_IPV6, 50, 0, 0 },  /* ESP: the walk ends */
		{ { hbh }, 1, 59, 0, 0, 0, CLS_IPV6, 59, 0, 0 },   /* no next header */
		{ { hbh, dst, dst, dst, dst, dst, dst, dst }, 8, 17, 0, 8, 0, CLS_IPV6, 17, 1000,
		  53 },
		{ { hbh, dst, dst, dst, dst, dst, dst, dst, dst }, 9, 17, 0, 8, 0, -EINVAL, 0, 0, 0 },
		{ { hbh }, 1, 17, 0, 0, 4, -EINVAL, 0, 0, 0 },              /* the header cut short */
		{ { hbh, rt }, 2, 17, 0, 0, 8, -EINVAL, 0, 0, 0 },          /* the second cut short */
		{ { hbh }, 1, 6, 0, 19, 0, -EINVAL, 0, 0, 0 },              /* TCP cut short */
		{ { hbh }, 1, 17, 0, 8, 1, -EINVAL, 0, 0, 0 },              /* UDP cut by the length */
		{ { hbh, frag }, 2, 17, 0, 4, 0, -EINVAL, 0, 0, 0 },        /* in a first fragment */
		{ { hbh, frag }, 2, 17, 1, 4, 0, CLS_IPV6_FRAG, 17, 0, 0 }, /* a later one */
	};
	uint8_t buf[2048];
	struct cls_key6 k6;
	unsigned int i;
	uint32_t len, h;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = chain6(buf, cases[i].ext, cases[i].n, cases[i].upper, cases[i].frag_off,
			     cases[i].l4, cases[i].cut);
		rc = extract6(buf, len, 2, &k6);
		if (rc != cases[i].rc)
			fail_msg("case %u: %d, not %d", i, rc, cases[i].rc);
		agrees(buf, len, rc, &k6);
		if (rc < 0)
			continue;
		assert_key6(&k6, 2, cases[i].proto, "2001:db8::1", "2001:db8::2", cases[i].sport,
			    cases[i].dport);
	}
	/* a hop-by-hop header's length field past the frame */
	len = chain6(buf, &hbh, 1, 17, 0, 8, 0);
	buf[14 + 40 + 1] = 2; /* 24 bytes */
	assert_int_equal(extract6(buf, len, 0, &k6), -EINVAL);
	/* a UDP flow is one flow with a hop-by-hop header or without */
	len = chain6(buf, &hbh, 1, 17, 0, 8, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), CLS_IPV6);
	h = cls_flow_hash6(&k6);
	len = chain6(buf, NULL, 0, 17, 0, 8, 0);
	assert_int_equal(extract6(buf, len, 0, &k6), CLS_IPV6);
	assert_int_equal(cls_flow_hash6(&k6), h);
}

static void
make_key6(struct cls_key6 *k, uint8_t in_port, uint8_t proto, const char *src, const char *dst,
	  uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->in_port = in_port;
	k->proto = proto;
	assert_int_equal(inet_pton(AF_INET6, src, k->src), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, k->dst), 1);
	k->sport = htons(sport);
	k->dport = htons(dport);
}

static uint32_t
match6_one(const struct cls *cls, const struct cls_key6 *k)
{
	const struct cls_key6 *keys[1] = { k };
	uint32_t rule = 0x12345678;

	cls_match6(cls, keys, 1, &rule);
	return rule;
}

static void
test_match_ipv6(void **state)
{
	static const char text[] =
		"rules = (\n"
		"  { src = \"2001:db8:1::/48\"; dport = 80; role = 1; },\n"  /* 0 */
		"  { dst = \"2001:db8:8000::/33\"; role = 2; },\n"         /* 1 */
		"  { src = \"10.0.0.0/8\"; role = 3; },\n"                 /* 2 */
		"  { dst = \"2001:db8::1:0:0/100\"; role = 7; },\n"        /* 3 */
		"  { proto = \"tcp\"; role = 4; },\n"                      /* 4 */
		"  { in_port = 2; role = 5; },\n"                          /* 5 */
		"  { src = \"::/0\"; dst = \"::1\"; proto = \"icmp6\"; role = 6; }\n" /* 6 */
		");\n";
	struct cls *cls;
	struct cfg c;
	char err[256];
	struct cls_key6 k6;
	struct cls_key k;

	(void)state;
	if (cfg_parse_string(text, "t.conf", &c, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	assert_int_equal(c.rules[0].family, 6);
	assert_int_equal(c.rules[2].family, 4);
	assert_int_equal(c.rules[4].family, 0);
	assert_int_equal(c.rules[6].family, 6);
	cls = cls_create(&c, SOCKET_ID_ANY, err, sizeof(err));
	if (cls == NULL)
		fail_msg("cls_create: %s", err);
	make_key6(&k6, 0, 6, "2001:db8:1:ffff::5", "2001:db8:2::2", 40000, 80);
	assert_int_equal(match6_one(cls, &k6), 0);
	make_key6(&k6, 0, 6, "2001:db8:1:ffff::5", "2001:db8:2::2", 40000, 81);
	assert_int_equal(match6_one(cls, &k6), 4);
	make_key6(&k6, 0, 6, "2001:db8:2::5", "2001:db8:1::2", 80, 80);
	assert_int_equal(match6_one(cls, &k6), 4); /* the /48 is the source's */
	/* a /33: the first bit of the second 32-bit word */
	make_key6(&k6, 0, 17, "::9", "2001:db8:8000::1", 1, 2);
	assert_int_equal(match6_one(cls, &k6), 1);
	make_key6(&k6, 0, 17, "::9", "2001:db8:7fff:ffff::1", 1, 2);
	assert_int_equal(match6_one(cls, &k6), CLS_NO_RULE);
	/* a /100: inside the fourth word */
	make_key6(&k6, 0, 17, "::9", "2001:db8::1:fff:ffff", 1, 2);
	assert_int_equal(match6_one(cls, &k6), 3);
	make_key6(&k6, 0, 17, "::9", "2001:db8::1:1000:0", 1, 2);
	assert_int_equal(match6_one(cls, &k6), CLS_NO_RULE);
	make_key6(&k6, 2, 17, "::9", "2001:db8::1:1000:0", 1, 2);
	assert_int_equal(match6_one(cls, &k6), 5);
	make_key6(&k6, 0, 58, "fe80::1", "::1", 0, 0);
	assert_int_equal(match6_one(cls, &k6), 6);
	make_key6(&k6, 0, 1, "fe80::1", "::1", 0, 0); /* "icmp" is not ICMPv6 */
	assert_int_equal(match6_one(cls, &k6), CLS_NO_RULE);
	/* IPv4 keys never match IPv6-only rules, and rules without prefixes
	 * match both families */
	make_key(&k, 0, 17, 0x0a010203, 0x20010db8, 1, 80);
	{
		const struct cls_key *keys[1] = { &k };
		uint32_t rule;

		cls_match(cls, keys, 1, &rule);
		assert_int_equal(rule, 2);
		make_key(&k, 0, 6, 0x0b010203, 0x20010db8, 1, 80);
		cls_match(cls, keys, 1, &rule);
		assert_int_equal(rule, 4);
		make_key(&k, 0, 58, 0x0b010203, 0x00000001, 0, 0);
		cls_match(cls, keys, 1, &rule);
		assert_int_equal(rule, CLS_NO_RULE);
	}
	cls_free(cls);
	cfg_free(&c);
}

static void
test_flow_hash6(void **state)
{
	struct cls_key6 a, b;
	uint32_t h;

	(void)state;
	make_key6(&a, 0, 6, "2001:db8:1::2", "2001:db8:2::2", 40000, 80);
	make_key6(&b, 1, 6, "2001:db8:2::2", "2001:db8:1::2", 80, 40000);
	h = cls_flow_hash6(&a);
	assert_int_equal(cls_flow_hash6(&b), h); /* both directions, any port */
	make_key6(&b, 0, 6, "2001:db8:1::2", "2001:db8:2::2", 40001, 80);
	assert_int_not_equal(cls_flow_hash6(&b), h);
	make_key6(&b, 0, 6, "2001:db8:1::3", "2001:db8:2::2", 40000, 80);
	assert_int_not_equal(cls_flow_hash6(&b), h);
	make_key6(&b, 0, 6, "2001:db8:1::2", "2001:db8:2::2:0", 40000, 80);
	assert_int_not_equal(cls_flow_hash6(&b), h);
	make_key6(&b, 0, 17, "2001:db8:1::2", "2001:db8:2::2", 40000, 80);
	assert_int_not_equal(cls_flow_hash6(&b), h);
	/* same address both ends: the ports decide the order */
	make_key6(&a, 0, 17, "::1", "::1", 5000, 6000);
	make_key6(&b, 0, 17, "::1", "::1", 6000, 5000);
	assert_int_equal(cls_flow_hash6(&a), cls_flow_hash6(&b));
}

/* CRC-32C (Castagnoli, reflected, no final inversion: what the CRC32
 * instruction computes) of the @n bytes at @p after @crc, bit by bit. */
static uint32_t
crc32c_ref(uint32_t crc, const uint8_t *p, size_t n)
{
	int k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return crc;
}

/* The flow hash's values: the CRC of the lower end's address, the higher
 * end's, the ports (lower end's first) and the protocol (a key that is not
 * IPv4's has its input port as its source address), each word as it lies
 * in memory, from the seed; the same whichever CRC code computes it
 * (the datapath's own instructions or DPDK's), so a flow keeps its
 * instance across builds. */
static void
test_flow_hash_values(void **state)
{
	uint32_t seed = 0x4e564d48u, i;

	(void)state;
	srand(7);
	for (i = 0; i < 100000; i++) {
		struct cls_key k = { .proto = (uint8_t)rand(), .src_ip = (uint32_t)rand(),
				     .dst_ip = (uint32_t)rand(), .sport = (uint16_t)rand(),
				     .dport = (uint16_t)rand(), .in_port = (uint8_t)rand(),
				     .ipv4 = i % 8 != 0 };
		uint32_t lo = k.src_ip, hi = k.dst_ip, ports, h;
		uint16_t lp = k.sport, hp = k.dport;

		if (i % 4 == 0)
			k.dst_ip = k.src_ip; /* equal addresses: the ports decide */
		hi = k.dst_ip;
		if (lo > hi || (lo == hi && lp > hp)) {
			lo = k.dst_ip;
			hi = k.src_ip;
			lp = k.dport;
			hp = k.sport;
		}
		ports = (uint32_t)lp << 16 | hp;
		h = crc32c_ref(seed, (const uint8_t *)&lo, 4);
		h = crc32c_ref(h, (const uint8_t *)&hi, 4);
		h = crc32c_ref(h, (const uint8_t *)&ports, 4);
		h = crc32c_ref(h, &k.proto, 1);
		assert_int_equal(cls_flow_hash(&k), h);
	}
}

static void
test_flow_hash(void **state)
{
	struct pkt_spec s = tcp_spec;
	uint8_t buf[2048];
	struct cls_key a, b;
	uint32_t len, h;

	(void)state;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &a, &k6_scratch), 1);
	/* Same 5-tuple, other port, a VLAN tag, a payload: same hash. */
	s.vlan = true;
	s.payload = 100;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 3, &b, &k6_scratch), 1);
	h = cls_flow_hash(&a);
	assert_int_equal(cls_flow_hash(&b), h);
	assert_int_equal(cls_flow_hash(&a), h);

	/* Each field of the 5-tuple changes it. */
	b = a;
	b.sport ^= htons(1);
	assert_int_not_equal(cls_flow_hash(&b), h);
	b = a;
	b.dport ^= htons(0x100);
	assert_int_not_equal(cls_flow_hash(&b), h);
	b = a;
	b.src_ip ^= htonl(1);
	assert_int_not_equal(cls_flow_hash(&b), h);
	b = a;
	b.dst_ip ^= htonl(0x80000000);
	assert_int_not_equal(cls_flow_hash(&b), h);
	b = a;
	b.proto = 17;
	assert_int_not_equal(cls_flow_hash(&b), h);

	/* Symmetric: the reply direction hashes alike (one stateful instance
	 * sees both), also with equal addresses and only the ports swapped. */
	b = a;
	b.src_ip = a.dst_ip;
	b.dst_ip = a.src_ip;
	b.sport = a.dport;
	b.dport = a.sport;
	assert_int_equal(cls_flow_hash(&b), h);
	b.src_ip = b.dst_ip;
	a = b;
	b.sport = a.dport;
	b.dport = a.sport;
	assert_int_equal(cls_flow_hash(&b), cls_flow_hash(&a));
	/* swapping only the addresses, or only the ports, is another flow */
	b = a;
	b.src_ip ^= htonl(7);
	h = cls_flow_hash(&b);
	b.sport = a.dport;
	b.dport = a.sport;
	assert_int_not_equal(cls_flow_hash(&b), h);

	/* Traffic that is neither IPv4 nor IPv6 is one flow per input port
	 * (docs/config.md): ARP of one port is one flow, another port's another. */
	s = tcp_spec;
	s.ethertype = 0x0806;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &a, &k6_scratch), CLS_OTHER);
	s.vlan = true;
	s.src ^= 0x01010101;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &b, &k6_scratch), CLS_OTHER);
	assert_int_equal(cls_flow_hash(&b), cls_flow_hash(&a));
	assert_int_equal(cls_key_extract(buf, len, 1, &b, &k6_scratch), CLS_OTHER);
	assert_int_not_equal(cls_flow_hash(&b), cls_flow_hash(&a));
	for (len = 0; len < 32; len++) {
		make_other_key(&a, (uint8_t)len);
		make_other_key(&b, (uint8_t)(len + 1));
		assert_int_not_equal(cls_flow_hash(&a), cls_flow_hash(&b));
	}
	/* an IPv4 flow's hash does not depend on its input port (above): a
	 * connection's two directions arrive on different ports */
}

/* Spread of @nb flows from @gen over 2..4 instances; each must get > 10%. */
static void
check_spread(const char *what, void (*gen)(struct cls_key *, unsigned int), unsigned int nb)
{
	uint32_t *hashes = calloc(nb, sizeof(*hashes));
	unsigned int count[4], i, n, dups = 0;
	struct cls_key k;

	assert_non_null(hashes);
	for (i = 0; i < nb; i++) {
		gen(&k, i);
		hashes[i] = cls_flow_hash(&k);
	}
	for (n = 2; n <= 4; n++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < nb; i++) {
			uint16_t pick = cls_pick(hashes[i], (uint16_t)n);

			assert_true(pick < n);
			count[pick]++;
		}
		for (i = 0; i < n; i++) {
			if (count[i] * 10 <= nb)
				print_error("%s: instance %u of %u got %u of %u flows\n", what, i, n,
					    count[i], nb);
			assert_true(count[i] * 10 > nb);
		}
	}
	/* Distinct flows, (nearly) distinct hashes. */
	qsort(hashes, nb, sizeof(*hashes), cmp_u32);
	for (i = 1; i < nb; i++)
		dups += hashes[i] == hashes[i - 1];
	if (dups > 2)
		print_error("%s: %u equal hashes among %u flows\n", what, dups, nb);
	assert_true(dups <= 2);
	free(hashes);
}

static void
gen_random_flow(struct cls_key *k, unsigned int i)
{
	(void)i;
	make_key(k, 0, rng() % 2 ? 6 : 17, rng(), rng(), (uint16_t)rng(), (uint16_t)rng());
}

/* One client talking to one server from consecutive source ports. */
static void
gen_port_sweep(struct cls_key *k, unsigned int i)
{
	make_key(k, 0, 6, 0x0a000001, 0x0a000002, (uint16_t)(20000 + i), 80);
}

/* Consecutive client addresses to one service. */
static void
gen_addr_sweep(struct cls_key *k, unsigned int i)
{
	make_key(k, 0, 17, 0x0a000000 + i, 0xc0a80001, 5000, 53);
}

static void
test_pick_spread(void **state)
{
	(void)state;
	rng_seed(42);
	check_spread("random flows", gen_random_flow, 10000);
	check_spread("port sweep", gen_port_sweep, 10000);
	check_spread("address sweep", gen_addr_sweep, 10000);

	/* The ends of the hash range, and stability. */
	assert_int_equal(cls_pick(0, 1), 0);
	assert_int_equal(cls_pick(0xffffffff, 1), 0);
	assert_int_equal(cls_pick(0xffffffff, 4), 3);
	assert_int_equal(cls_pick(0x7fffffff, 2), 0);
	assert_int_equal(cls_pick(0x80000000, 2), 1);
	assert_int_equal(cls_pick(0xffffffff, 65535), 65534);
}

/* ---- the example configuration ---- */

static void
test_example_chain(void **state)
{
	struct pkt_spec s = tcp_spec;
	char path[512], err[512];
	uint8_t buf[2048];
	struct cls_key k;
	struct fixture f;
	uint32_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/configs/examples/chain.conf", source_root);
	if (cfg_load(path, &f.c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	f.cls = cls_create(&f.c, SOCKET_ID_ANY, err, sizeof(err));
	assert_non_null(f.cls);
	/* chain 0 = fw-router, chain 1 = role:1 (the default) */
	s.dst = 0x0a000207;
	s.dport = 80;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &k, &k6_scratch), 1);
	assert_int_equal(target_one(&f, &k), 0);
	assert_int_equal(cls_key_extract(buf, len, 1, &k, &k6_scratch), 1);
	assert_int_equal(target_one(&f, &k), 1);
	s.src = 0xc0a84205;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &k, &k6_scratch), 1);
	assert_int_equal(target_one(&f, &k), CFG_TARGET_DROP);
	s = udp_spec;
	s.dport = 5999;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &k, &k6_scratch), 1);
	assert_int_equal(target_one(&f, &k), 0);
	s.dport = 6000;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &k, &k6_scratch), 1);
	assert_int_equal(target_one(&f, &k), 1);
	s.ethertype = 0x0806;
	len = build_frame(buf, &s);
	assert_int_equal(cls_key_extract(buf, len, 0, &k, &k6_scratch), 0);
	assert_int_equal(target_one(&f, &k), 1);
	fixture_free(&f);
}

static int
eal_setup(void **state)
{
	/* No hugepages, no shared files (--in-memory is refused with --no-huge). */
	char a0[] = "test_cls", a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "-m", a4[] = "256",
	     a5[] = "--no-shconf", a6[] = "--no-telemetry", a7[] = "--log-level=3";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, NULL };

	(void)state;
	if (rte_eal_init(8, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	return 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup();
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_udp_tcp),
		cmocka_unit_test(test_extract_not_ipv4),
		cmocka_unit_test(test_extract_truncated),
		cmocka_unit_test(test_extract_malformed),
		cmocka_unit_test(test_extract_fragments),
		cmocka_unit_test(test_extract_ipv6),
		cmocka_unit_test(test_extract_ipv6_ext),
		cmocka_unit_test(test_match_ipv6),
		cmocka_unit_test(test_flow_hash6),
		cmocka_unit_test(test_rule_order),
		cmocka_unit_test(test_port_ranges),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_in_port_and_other_traffic),
		cmocka_unit_test(test_default_and_empty),
		cmocka_unit_test(test_create_bad_target),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_random_families_vs_reference),
		cmocka_unit_test(test_flow_hash),
		cmocka_unit_test(test_flow_hash_values),
		cmocka_unit_test(test_pick_spread),
		cmocka_unit_test(test_example_chain),
	};

	if (argc > 1)
		source_root = argv[1];
	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
