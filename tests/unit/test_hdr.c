/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_hdr — nl_parse() on good, truncated and malformed frames, and the
 * checksum helpers against values computed elsewhere: frames built by scapy
 * 2.5 (the command is above each array; scapy filled in every checksum),
 * the examples of RFC 1071 and RFC 1624, and a plain 16-bit big-endian sum
 * written out in this file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nl_hdr.h"

/* E = Ether(dst='02:00:00:00:00:01', src='02:00:00:00:00:02') in every command below. */

/*
 * E/IP(src='10.0.1.2', dst='10.0.2.2', ttl=64, id=1)
 *  /TCP(sport=1234, dport=80, flags='S', seq=1000)/b'hello'
 * IP chksum 0x63c7, TCP chksum 0x2bfe
 */
static const uint8_t tcp4[59] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
	0x63, 0xc7, 0x0a, 0x00, 0x01, 0x02, 0x0a, 0x00, 0x02, 0x02, 0x04, 0xd2,
	0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02,
	0x20, 0x00, 0x2b, 0xfe, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* The same with ttl=63: IP chksum 0x64c7 */
static const uint8_t tcp4_ttl63[59] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2d, 0x00, 0x01, 0x00, 0x00, 0x3f, 0x06,
	0x64, 0xc7, 0x0a, 0x00, 0x01, 0x02, 0x0a, 0x00, 0x02, 0x02, 0x04, 0xd2,
	0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02,
	0x20, 0x00, 0x2b, 0xfe, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/*
 * E/Dot1Q(vlan=100)/IP(src='192.168.1.10', dst='8.8.8.8', ttl=17, id=0x4242)
 *  /UDP(sport=5000, dport=53)/b'abc'
 * IP chksum 0x95ca, UDP chksum 0x55f6 (odd UDP length 11)
 */
static const uint8_t udp4_vlan[49] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45, 0x00, 0x00, 0x1f, 0x42, 0x42,
	0x00, 0x00, 0x11, 0x11, 0x95, 0xca, 0xc0, 0xa8, 0x01, 0x0a, 0x08, 0x08,
	0x08, 0x08, 0x13, 0x88, 0x00, 0x35, 0x00, 0x0b, 0x55, 0xf6, 0x61, 0x62,
	0x63,
};

/*
 * E/IP(src='172.16.0.1', dst='172.16.9.9', ttl=5, id=9, options=IPOption(b'\x01\x01\x01\x00'))
 *  /UDP(sport=7, dport=9)/b'odd'
 * ihl 6, IP chksum 0x5196, UDP chksum 0xcb38
 */
static const uint8_t udp4_opts[49] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x46, 0x00, 0x00, 0x23, 0x00, 0x09, 0x00, 0x00, 0x05, 0x11,
	0x51, 0x96, 0xac, 0x10, 0x00, 0x01, 0xac, 0x10, 0x09, 0x09, 0x01, 0x01,
	0x01, 0x00, 0x00, 0x07, 0x00, 0x09, 0x00, 0x0b, 0xcb, 0x38, 0x6f, 0x64,
	0x64,
};

/* E/IP(src='10.0.1.2', dst='10.0.2.2', ttl=64, id=2)/ICMP(id=1, seq=1): IP chksum 0x63dc */
static const uint8_t icmp4[42] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x00, 0x02, 0x00, 0x00, 0x40, 0x01,
	0x63, 0xdc, 0x0a, 0x00, 0x01, 0x02, 0x0a, 0x00, 0x02, 0x02, 0x08, 0x00,
	0xf7, 0xfd, 0x00, 0x01, 0x00, 0x01,
};

/*
 * E/IPv6(src='2001:db8::1', dst='2001:db8::2')/UDP(sport=1000, dport=2000)/b'xyz12'
 * UDP chksum 0x73fc
 */
static const uint8_t udp6[67] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x11, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0d,
	0x73, 0xfc, 0x78, 0x79, 0x7a, 0x31, 0x32,
};

/*
 * E/IPv6(src='2001:db8::1', dst='2001:db8::2')/IPv6ExtHdrHopByHop()
 *  /IPv6ExtHdrFragment(offset=0, m=1, id=7)/TCP(sport=443, dport=50000, flags='A')
 * TCP at offset 70, chksum 0x6f54
 */
static const uint8_t tcp6_ext[90] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x2c, 0x00, 0x01, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x01, 0xbb,
	0xc3, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x10,
	0x20, 0x00, 0x6f, 0x54, 0x00, 0x00,
};

/* A heap copy of exactly @len bytes, so a sanitizer catches any read past it. */
static uint8_t *
copy(const uint8_t *b, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, b, len);
	return p;
}

/* Parse @len bytes of @frame from an exact-size heap copy. */
static int
parse_copy(const uint8_t *frame, size_t len, struct nl_parsed *pp)
{
	uint8_t *p = copy(frame, len);
	int rc = nl_parse(p, (uint32_t)len, pp);

	free(p);
	return rc;
}

/* Folded ones'-complement sum of big-endian 16-bit words (RFC 1071), host order. */
static uint16_t
ref_sum(const uint8_t *b, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The two bytes a checksum returned by netlib puts on the wire. */
static uint16_t
wire16(uint16_t stored)
{
	const uint8_t *b = (const uint8_t *)&stored;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static void
test_parse_tcp4(void **st)
{
	struct nl_parsed pp;

	(void)st;
	assert_int_equal(parse_copy(tcp4, sizeof(tcp4), &pp), 0);
	assert_int_equal(pp.l2_off, 0);
	assert_int_equal(pp.l3_off, 14);
	assert_int_equal(pp.l4_off, 34);
	assert_int_equal(pp.l3_len, 45);
	assert_int_equal(pp.ethertype, 0x0800);
	assert_int_equal(pp.has_vlan, 0);
	assert_int_equal(pp.ip_version, 4);
	assert_int_equal(pp.proto, 6);
	assert_int_equal(pp.is_fragment, 0);
	assert_int_equal(pp.has_ports, 1);
	assert_int_equal(pp.sport, 1234);
	assert_int_equal(pp.dport, 80);
	assert_int_equal(pp.src.v4, 0x0a000102);
	assert_int_equal(pp.dst.v4, 0x0a000202);
}

static void
test_parse_udp4_vlan(void **st)
{
	struct nl_parsed pp;

	(void)st;
	assert_int_equal(parse_copy(udp4_vlan, sizeof(udp4_vlan), &pp), 0);
	assert_int_equal(pp.has_vlan, 1);
	assert_int_equal(pp.vlan_tci, 100);
	assert_int_equal(pp.ethertype, 0x0800);
	assert_int_equal(pp.l3_off, 18);
	assert_int_equal(pp.l4_off, 38);
	assert_int_equal(pp.l3_len, 31);
	assert_int_equal(pp.proto, 17);
	assert_int_equal(pp.sport, 5000);
	assert_int_equal(pp.dport, 53);
	assert_int_equal(pp.src.v4, 0xc0a8010a);
	assert_int_equal(pp.dst.v4, 0x08080808);
}

static void
test_parse_ipv4_options(void **st)
{
	struct nl_parsed pp;

	(void)st;
	assert_int_equal(parse_copy(udp4_opts, sizeof(udp4_opts), &pp), 0);
	assert_int_equal(pp.l4_off, 14 + 24);
	assert_int_equal(pp.sport, 7);
	assert_int_equal(pp.dport, 9);
	assert_int_equal(pp.l3_len, 35);
}

static void
test_parse_icmp_and_arp(void **st)
{
	static const uint8_t arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	};
	struct nl_parsed pp;

	(void)st;
	assert_int_equal(parse_copy(icmp4, sizeof(icmp4), &pp), 0);
	assert_int_equal(pp.ip_version, 4);
	assert_int_equal(pp.proto, 1);
	assert_int_equal(pp.l4_off, 34);
	assert_int_equal(pp.has_ports, 0);
	assert_int_equal(pp.sport, 0);
	assert_int_equal(pp.dport, 0);

	assert_int_equal(parse_copy(arp, sizeof(arp), &pp), 0);
	assert_int_equal(pp.ethertype, 0x0806);
	assert_int_equal(pp.ip_version, 0);
	assert_int_equal(pp.l3_off, 14);
	assert_int_equal(pp.l4_off, 0);
}

static void
test_parse_ipv6(void **st)
{
	static const uint8_t a1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t a2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct nl_parsed pp;
	uint8_t *f;

	(void)st;
	assert_int_equal(parse_copy(udp6, sizeof(udp6), &pp), 0);
	assert_int_equal(pp.ethertype, 0x86dd);
	assert_int_equal(pp.ip_version, 6);
	assert_int_equal(pp.l3_len, 40 + 13);
	assert_int_equal(pp.l4_off, 54);
	assert_int_equal(pp.proto, 17);
	assert_int_equal(pp.sport, 1000);
	assert_int_equal(pp.dport, 2000);
	assert_memory_equal(pp.src.v6, a1, 16);
	assert_memory_equal(pp.dst.v6, a2, 16);

	/* Hop-by-hop (8 bytes), then a first fragment (8 bytes), then TCP. */
	assert_int_equal(parse_copy(tcp6_ext, sizeof(tcp6_ext), &pp), 0);
	assert_int_equal(pp.l4_off, 70);
	assert_int_equal(pp.proto, 6);
	assert_int_equal(pp.is_fragment, 1);
	assert_int_equal(pp.has_ports, 1);
	assert_int_equal(pp.sport, 443);
	assert_int_equal(pp.dport, 50000);

	/* A later fragment (offset 8 bytes) has no TCP header. */
	f = copy(tcp6_ext, sizeof(tcp6_ext));
	f[64] = 0x00;
	f[65] = 0x08;
	assert_int_equal(nl_parse(f, sizeof(tcp6_ext), &pp), 0);
	assert_int_equal(pp.is_fragment, 1);
	assert_int_equal(pp.has_ports, 0);
	assert_int_equal(pp.l4_off, 0);
	assert_int_equal(pp.proto, 6);
	free(f);
}

static void
test_parse_ipv6_malformed(void **st)
{
	struct nl_parsed pp;
	uint8_t *f;

	(void)st;
	/* Payload length 14 with only 13 bytes there. */
	f = copy(udp6, sizeof(udp6));
	f[19] = 14;
	assert_int_equal(nl_parse(f, sizeof(udp6), &pp), -EINVAL);
	/* Version nibble 4 under the IPv6 ethertype. */
	f[19] = 13;
	f[14] = 0x40;
	assert_int_equal(nl_parse(f, sizeof(udp6), &pp), -EINVAL);
	free(f);
	/* Hop-by-hop header claiming 4 * 8 bytes: runs past the payload. */
	f = copy(tcp6_ext, sizeof(tcp6_ext));
	f[55] = 3;
	assert_int_equal(nl_parse(f, sizeof(tcp6_ext), &pp), -EINVAL);
	free(f);
}

/*
 * An IPv6 frame with @n destination-options headers (8 bytes each, next
 * header 60 but the last, which says TCP) before a 20-byte TCP header from
 * port 1000 to 2000; its length in *@len.
 */
static uint8_t *
ipv6_ext_chain(unsigned int n, size_t *len)
{
	size_t payload = 8 * n + 20, i;
	uint8_t *f;

	*len = 14 + 40 + payload;
	f = calloc(1, *len);
	assert_non_null(f);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[18] = (uint8_t)(payload >> 8);
	f[19] = (uint8_t)payload;
	f[20] = n > 0 ? 60 : 6;
	f[21] = 64;
	for (i = 0; i < n; i++) {
		f[54 + 8 * i] = i + 1 < n ? 60 : 6;
		f[54 + 8 * i + 2] = 1; /* PadN over the other 6 bytes */
		f[54 + 8 * i + 3] = 4;
	}
	i = 54 + 8 * (size_t)n;
	f[i] = 1000 >> 8;
	f[i + 1] = 1000 & 0xff;
	f[i + 2] = 2000 >> 8;
	f[i + 3] = 2000 & 0xff;
	f[i + 12] = 0x50;
	return f;
}

/*
 * Up to 8 extension headers before the upper layer parse; a 9th is malformed.
 * nl_ipv6_walk_ext() alone says the same, and -EINVAL for a cut chain.
 */
static void
test_parse_ipv6_ext_limit(void **st)
{
	struct nl_parsed pp;
	unsigned int n;
	size_t len;
	uint8_t *f, *ip6, proto, frag;
	uint32_t l3len;

	(void)st;
	for (n = 0; n <= 9; n++) {
		f = ipv6_ext_chain(n, &len);
		ip6 = f + 14;
		l3len = (uint32_t)len - 14;
		proto = 99;
		frag = 0;
		if (n <= 8) {
			if (nl_parse(f, (uint32_t)len, &pp) != 0)
				fail_msg("%u extension headers: malformed", n);
			assert_int_equal(pp.proto, 6);
			assert_int_equal(pp.l4_off, 54 + 8 * n);
			assert_int_equal(pp.sport, 1000);
			assert_int_equal(pp.dport, 2000);
			assert_int_equal(nl_ipv6_walk_ext(ip6, l3len, &proto, &frag), 40 + 8 * n);
			assert_int_equal(proto, 6);
			if (n > 0) /* cut in the last extension header */
				assert_int_equal(nl_ipv6_walk_ext(ip6, 40 + 8 * n - 1, &proto, &frag),
						 -EINVAL);
		} else {
			assert_int_equal(nl_parse(f, (uint32_t)len, &pp), -EINVAL);
			assert_int_equal(nl_ipv6_walk_ext(ip6, l3len, &proto, &frag), -EINVAL);
			assert_int_equal(proto, 99);
		}
		assert_int_equal(frag, 0);
		assert_int_equal(nl_ipv6_frag_hdr(ip6, l3len), 0);
		free(f);
	}
	/* hop-by-hop, then a later fragment (offset 8) of TCP: 0, protocol 6 */
	f = copy(tcp6_ext, sizeof(tcp6_ext));
	f[65] = 0x08;
	assert_int_equal(nl_ipv6_walk_ext(f + 14, sizeof(tcp6_ext) - 14, &proto, &frag), 0);
	assert_int_equal(proto, 6);
	assert_int_equal(frag, 1);
	/* where that fragment header is: after the 8 bytes of hop-by-hop;
	 * none when the walk fails before or within it */
	assert_int_equal(nl_ipv6_frag_hdr(f + 14, sizeof(tcp6_ext) - 14), 48);
	assert_int_equal(nl_ipv6_frag_hdr(f + 14, 48 + 7), 0);
	assert_int_equal(nl_ipv6_frag_hdr(f + 14, 48 + 8), 48);
	f[14 + 40] = 6; /* hop-by-hop says TCP follows: no fragment header */
	assert_int_equal(nl_ipv6_frag_hdr(f + 14, sizeof(tcp6_ext) - 14), 0);
	free(f);
}

/* Every prefix of a valid frame is truncated: -EINVAL, never a read past it. */
static void
test_parse_every_truncation(void **st)
{
	static const struct { const uint8_t *f; size_t len; } frames[] = {
		{ tcp4, sizeof(tcp4) }, { udp4_vlan, sizeof(udp4_vlan) },
		{ udp4_opts, sizeof(udp4_opts) }, { icmp4, sizeof(icmp4) },
		{ udp6, sizeof(udp6) }, { tcp6_ext, sizeof(tcp6_ext) },
	};
	struct nl_parsed pp;
	size_t i, cut;

	(void)st;
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		assert_int_equal(parse_copy(frames[i].f, frames[i].len, &pp), 0);
		for (cut = 0; cut < frames[i].len; cut++) {
			if (parse_copy(frames[i].f, cut, &pp) != -EINVAL)
				fail_msg("frame %zu cut to %zu bytes parsed", i, cut);
		}
	}
}

static void
test_parse_ipv4_malformed(void **st)
{
	struct nl_parsed pp;
	uint8_t *f = copy(tcp4, sizeof(tcp4));

	(void)st;
	f[14] = 0x44; /* ihl 4 */
	assert_int_equal(nl_parse(f, sizeof(tcp4), &pp), -EINVAL);
	assert_int_equal(pp.ethertype, 0x0800); /* known before the fault */
	f[14] = 0x4f; /* ihl 15: 60 bytes > total length 45 */
	assert_int_equal(nl_parse(f, sizeof(tcp4), &pp), -EINVAL);
	f[14] = 0x65; /* version 6 */
	assert_int_equal(nl_parse(f, sizeof(tcp4), &pp), -EINVAL);
	f[14] = 0x45;
	f[17] = 46; /* total length one byte more than the frame holds */
	assert_int_equal(nl_parse(f, sizeof(tcp4), &pp), -EINVAL);
	f[17] = 19; /* total length below the header length */
	assert_int_equal(nl_parse(f, sizeof(tcp4), &pp), -EINVAL);
	f[17] = 20 + 19; /* TCP header cut to 19 bytes (the rest is padding) */
	assert_int_equal(nl_parse(f, sizeof(tcp4), &pp), -EINVAL);
	f[17] = 20 + 20; /* exactly the TCP header */
	assert_int_equal(nl_parse(f, sizeof(tcp4), &pp), 0);
	assert_int_equal(pp.l3_len, 40);
	assert_int_equal(pp.has_ports, 1);
	free(f);

	f = copy(udp4_vlan, sizeof(udp4_vlan));
	f[21] = 20 + 7; /* UDP header cut to 7 bytes */
	assert_int_equal(nl_parse(f, sizeof(udp4_vlan), &pp), -EINVAL);
	free(f);

	/* VLAN tag cut short, and a frame shorter than an Ethernet header. */
	assert_int_equal(parse_copy(udp4_vlan, 16, &pp), -EINVAL);
	assert_int_equal(pp.ethertype, 0x8100);
	assert_int_equal(parse_copy(tcp4, 13, &pp), -EINVAL);
	assert_int_equal(pp.ethertype, 0);
}

static void
test_parse_padding_and_fragments(void **st)
{
	uint8_t f[64] = { 0 };
	struct nl_parsed pp;

	(void)st;
	/* Ethernet padding after the IP packet is not part of it. */
	memcpy(f, tcp4, sizeof(tcp4));
	assert_int_equal(nl_parse(f, sizeof(f), &pp), 0);
	assert_int_equal(pp.l3_len, 45);

	/* First fragment (MF, offset 0): ports are there. */
	f[20] = 0x20;
	assert_int_equal(nl_parse(f, sizeof(f), &pp), 0);
	assert_int_equal(pp.is_fragment, 1);
	assert_int_equal(pp.has_ports, 1);
	assert_int_equal(pp.dport, 80);

	/* Later fragment with 4 payload bytes: no L4 header, no ports, no error. */
	f[20] = 0x00;
	f[21] = 0x03; /* offset 24 bytes */
	f[17] = 24;
	assert_int_equal(nl_parse(f, sizeof(f), &pp), 0);
	assert_int_equal(pp.is_fragment, 1);
	assert_int_equal(pp.has_ports, 0);
	assert_int_equal(pp.l4_off, 0);
	assert_int_equal(pp.sport, 0);
	assert_int_equal(pp.proto, 6);
}

/* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2, checksum 0x220d. */
static void
test_cksum_rfc1071(void **st)
{
	static const uint8_t d[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c = nl_cksum(d, sizeof(d), 0);

	(void)st;
	assert_int_equal(wire16(c), 0x220d);
	assert_int_equal(wire16((uint16_t)~nl_cksum_finish(nl_cksum_add(d, 8, 0))), 0xddf2);
	/* In pieces (even lengths but the last), from any alignment. */
	assert_int_equal(nl_cksum(d + 6, 2, nl_cksum_add(d + 2, 4, nl_cksum_add(d, 2, 0))), c);
}

static void
test_cksum_random_vs_reference(void **st)
{
	uint8_t buf[1501];
	size_t len, off, i;

	(void)st;
	srand(7);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (len = 0; len <= 1500; len += 1 + (len > 64) * 37) {
		for (off = 0; off < 2; off++) {
			uint16_t want = (uint16_t)~ref_sum(buf + off, len, 0);

			if (len == 0)
				want = 0xffff;
			if (wire16(nl_cksum(buf + off, (uint32_t)len, 0)) != want)
				fail_msg("len %zu offset %zu", len, off);
		}
	}
}

static void
test_ipv4_hdr_cksum(void **st)
{
	const struct nl_ipv4_hdr *ip = (const struct nl_ipv4_hdr *)(tcp4 + 14);
	struct nl_ipv4_hdr *bad;
	uint8_t *f;

	(void)st;
	assert_int_equal(wire16(nl_ipv4_hdr_cksum(ip)), 0x63c7);
	assert_int_equal(nl_ipv4_hdr_cksum_verify(ip), 0);
	ip = (const struct nl_ipv4_hdr *)(udp4_vlan + 18);
	assert_int_equal(wire16(nl_ipv4_hdr_cksum(ip)), 0x95ca);
	assert_int_equal(nl_ipv4_hdr_cksum_verify(ip), 0);
	ip = (const struct nl_ipv4_hdr *)(udp4_opts + 14); /* 24-byte header */
	assert_int_equal(wire16(nl_ipv4_hdr_cksum(ip)), 0x5196);
	assert_int_equal(nl_ipv4_hdr_cksum_verify(ip), 0);

	f = copy(udp4_opts, sizeof(udp4_opts));
	bad = (struct nl_ipv4_hdr *)(f + 14);
	f[14 + 21] ^= 0x01; /* an option byte is covered too */
	assert_int_equal(nl_ipv4_hdr_cksum_verify(bad), -EBADMSG);
	f[14 + 21] ^= 0x01;
	bad->cksum = 0;
	assert_int_equal(nl_ipv4_hdr_cksum_verify(bad), -EBADMSG);
	assert_int_equal(wire16(nl_ipv4_hdr_cksum(bad)), 0x5196);
	free(f);
}

static void
test_l4_cksum_ipv4(void **st)
{
	uint8_t *f;
	struct nl_ipv4_hdr *ip;

	(void)st;
	f = copy(tcp4, sizeof(tcp4));
	ip = (struct nl_ipv4_hdr *)(f + 14);
	assert_int_equal(nl_ipv4_l4_cksum_verify(ip, f + 34, 25), 0);
	f[58] ^= 0x20; /* payload byte */
	assert_int_equal(nl_ipv4_l4_cksum_verify(ip, f + 34, 25), -EBADMSG);
	f[58] ^= 0x20;
	f[50] = f[51] = 0;
	assert_int_equal(wire16(nl_ipv4_l4_cksum(ip, f + 34, 25)), 0x2bfe);
	free(f);

	f = copy(udp4_vlan, sizeof(udp4_vlan));
	ip = (struct nl_ipv4_hdr *)(f + 18);
	assert_int_equal(nl_ipv4_l4_cksum_verify(ip, f + 38, 11), 0);
	f[44] = f[45] = 0;
	assert_int_equal(wire16(nl_ipv4_l4_cksum(ip, f + 38, 11)), 0x55f6);
	/* Over IPv4 a zero UDP checksum means "not computed" and passes. */
	assert_int_equal(nl_ipv4_l4_cksum_verify(ip, f + 38, 11), 0);
	free(f);

	f = copy(udp4_opts, sizeof(udp4_opts));
	ip = (struct nl_ipv4_hdr *)(f + 14);
	assert_int_equal(nl_ipv4_l4_cksum_verify(ip, f + 38, 11), 0);
	f[44] = f[45] = 0;
	assert_int_equal(wire16(nl_ipv4_l4_cksum(ip, f + 38, 11)), 0xcb38);
	free(f);
}

/* A UDP datagram whose checksum computes to 0 must carry 0xffff (RFC 768). */
static void
test_udp_zero_becomes_ffff(void **st)
{
	uint8_t f[sizeof(udp4_vlan) + 1];
	struct nl_ipv4_hdr *ip = (struct nl_ipv4_hdr *)(f + 18);
	uint8_t *udp = f + 38;
	uint8_t ph[12];
	uint16_t s;

	(void)st;
	/* Same datagram with a 4-byte payload chosen so that the sum is 0xffff. */
	memcpy(f, udp4_vlan, sizeof(udp4_vlan));
	f[21] = 20 + 12;
	udp[5] = 12;
	udp[6] = udp[7] = 0;
	memset(udp + 8, 0, 4);
	memcpy(ph, f + 18 + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = 0;
	ph[11] = 12;
	s = ref_sum(udp, 12, ref_sum(ph, 12, 0));
	udp[8] = (uint8_t)((0xffff - s) >> 8);
	udp[9] = (uint8_t)(0xffff - s);
	assert_int_equal(ref_sum(udp, 12, ref_sum(ph, 12, 0)), 0xffff);
	assert_int_equal(nl_ipv4_l4_cksum(ip, udp, 12), 0xffff);
	udp[6] = udp[7] = 0xff;
	assert_int_equal(nl_ipv4_l4_cksum_verify(ip, udp, 12), 0);
}

static void
test_l4_cksum_ipv6(void **st)
{
	uint8_t *f;
	struct nl_ipv6_hdr *ip6;

	(void)st;
	f = copy(udp6, sizeof(udp6));
	ip6 = (struct nl_ipv6_hdr *)(f + 14);
	assert_int_equal(nl_ipv6_l4_cksum_verify(ip6, 17, f + 54, 13), 0);
	f[64] ^= 0x01; /* payload byte */
	assert_int_equal(nl_ipv6_l4_cksum_verify(ip6, 17, f + 54, 13), -EBADMSG);
	f[64] ^= 0x01;
	f[60] = f[61] = 0; /* no "no checksum" over IPv6 */
	assert_int_equal(nl_ipv6_l4_cksum_verify(ip6, 17, f + 54, 13), -EBADMSG);
	assert_int_equal(wire16(nl_ipv6_l4_cksum(ip6, 17, f + 54, 13)), 0x73fc);
	free(f);

	f = copy(tcp6_ext, sizeof(tcp6_ext));
	ip6 = (struct nl_ipv6_hdr *)(f + 14);
	assert_int_equal(nl_ipv6_l4_cksum_verify(ip6, 6, f + 70, 20), 0);
	f[38 + 15] ^= 1; /* destination address is in the pseudo-header */
	assert_int_equal(nl_ipv6_l4_cksum_verify(ip6, 6, f + 70, 20), -EBADMSG);
	f[38 + 15] ^= 1;
	f[86] = f[87] = 0;
	assert_int_equal(wire16(nl_ipv6_l4_cksum(ip6, 6, f + 70, 20)), 0x6f54);
	free(f);
}

/* RFC 1624 §4: m 0x5555 -> 0x3285 under HC 0xdd2f gives 0x0000 (not 0xffff). */
static void
test_cksum_update16_rfc1624(void **st)
{
	(void)st;
	assert_int_equal(nl_cksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	/* Byte order does not matter as long as all three agree. */
	assert_int_equal(nl_cksum_update16(0x2fdd, 0x5555, 0x8532), 0x0000);
	/* A no-op change keeps the checksum. */
	assert_int_equal(nl_cksum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
}

static void
test_dec_ttl_scapy(void **st)
{
	uint8_t *f = copy(tcp4, sizeof(tcp4));
	struct nl_ipv4_hdr *ip = (struct nl_ipv4_hdr *)(f + 14);

	(void)st;
	assert_int_equal(nl_ipv4_dec_ttl(ip), 63);
	assert_memory_equal(f, tcp4_ttl63, sizeof(tcp4_ttl63));
	free(f);
}

static void
test_dec_ttl_random(void **st)
{
	uint8_t h[20];
	struct nl_ipv4_hdr *ip = (struct nl_ipv4_hdr *)h;
	uint16_t c, want;
	unsigned int i, j, ttl;

	(void)st;
	srand(42);
	for (i = 0; i < 200000; i++) {
		for (j = 0; j < 20; j++)
			h[j] = (uint8_t)rand();
		h[0] = 0x45;
		if (i < 256)
			h[8] = (uint8_t)i; /* every TTL once */
		ttl = h[8];
		h[10] = h[11] = 0;
		c = (uint16_t)~ref_sum(h, 20, 0);
		h[10] = (uint8_t)(c >> 8);
		h[11] = (uint8_t)c;
		if (ttl == 0) {
			assert_int_equal(nl_ipv4_dec_ttl(ip), 0);
			assert_int_equal(h[8], 0);
			continue;
		}
		assert_int_equal(nl_ipv4_dec_ttl(ip), ttl - 1);
		assert_int_equal(h[8], ttl - 1);
		/* Same bytes as recomputing the checksum from scratch. */
		c = (uint16_t)(h[10] << 8 | h[11]);
		h[10] = h[11] = 0;
		want = (uint16_t)~ref_sum(h, 20, 0);
		if (c != want)
			fail_msg("header %u: incremental 0x%04x, full 0x%04x", i, c, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tcp4),
		cmocka_unit_test(test_parse_udp4_vlan),
		cmocka_unit_test(test_parse_ipv4_options),
		cmocka_unit_test(test_parse_icmp_and_arp),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_ipv6_malformed),
		cmocka_unit_test(test_parse_ipv6_ext_limit),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_parse_ipv4_malformed),
		cmocka_unit_test(test_parse_padding_and_fragments),
		cmocka_unit_test(test_cksum_rfc1071),
		cmocka_unit_test(test_cksum_random_vs_reference),
		cmocka_unit_test(test_ipv4_hdr_cksum),
		cmocka_unit_test(test_l4_cksum_ipv4),
		cmocka_unit_test(test_udp_zero_becomes_ffff),
		cmocka_unit_test(test_l4_cksum_ipv6),
		cmocka_unit_test(test_cksum_update16_rfc1624),
		cmocka_unit_test(test_dec_ttl_scapy),
		cmocka_unit_test(test_dec_ttl_random),
	};

	return cmocka_run_group_tests_name("hdr", tests, NULL, NULL);
}
