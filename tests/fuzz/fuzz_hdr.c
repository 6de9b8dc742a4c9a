/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_hdr.c — netlib's header parser and checksums (nl_hdr.c) on any frame.
 *
 * What nl_parse() reports must lie inside the frame and match its bytes;
 * the checksums must equal RFC 1071's definition computed here byte by
 * byte; a header or segment given the checksum netlib computes must verify,
 * and still verify after nl_ipv4_dec_ttl()'s incremental update (RFC 1624).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "nl_hdr.h"

/* RFC 1071 over @len bytes at @p, big-endian words, plus @sum: not folded. */
static uint64_t
ref_sum(const uint8_t *p, uint32_t len, uint64_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* The checksum of a sum, in host order. */
static uint16_t
ref_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The IPv4 pseudo-header's sum (RFC 768, RFC 793). */
static uint64_t
ref_ipv4_phdr(const uint8_t *ip, uint32_t l4_len)
{
	return ref_sum(ip + 12, 8, 0) + ip[9] + l4_len;
}

/* The IPv6 pseudo-header's sum (RFC 8200 §8.1). */
static uint64_t
ref_ipv6_phdr(const uint8_t *ip6, uint8_t proto, uint32_t l4_len)
{
	return ref_sum(ip6 + 8, 32, 0) + (l4_len >> 16) + (l4_len & 0xffff) + proto;
}

static void
check_ipv4(uint8_t *f, const struct nl_parsed *p)
{
	uint8_t *ip = f + p->l3_off;
	struct nl_ipv4_hdr *h = (struct nl_ipv4_hdr *)ip;
	uint32_t hl = (ip[0] & 0xfu) * 4u;
	uint16_t c;

	FUZZ_CHECK(p->src.v4 == ((uint32_t)rd16(ip + 12) << 16 | rd16(ip + 14)) &&
		   p->dst.v4 == ((uint32_t)rd16(ip + 16) << 16 | rd16(ip + 18)),
		   "addresses differ from the header");
	FUZZ_CHECK(p->proto == ip[9], "proto %u, header says %u", p->proto, ip[9]);
	FUZZ_CHECK(p->l3_len == rd16(ip + 2) && hl >= 20 && hl <= p->l3_len,
		   "l3_len %u, header %u/%u", p->l3_len, rd16(ip + 2), hl);

	/* Header checksum: netlib's equals RFC 1071's and then verifies. */
	memset(ip + 10, 0, 2);
	c = ref_fold(ref_sum(ip, hl, 0));
	ip[10] = 0x5a; /* nl_ipv4_hdr_cksum() must ignore what is stored */
	FUZZ_CHECK(nl_ipv4_hdr_cksum(h) == htons(c), "header checksum %#x, RFC 1071 %#x",
		   ntohs(nl_ipv4_hdr_cksum(h)), c);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	FUZZ_CHECK(nl_ipv4_hdr_cksum_verify(h) == 0, "a correct header checksum fails");
	ip[11] ^= 1;
	FUZZ_CHECK(nl_ipv4_hdr_cksum_verify(h) == -EBADMSG, "a wrong header checksum passes");
	ip[11] ^= 1;
	if (h->ttl > 0) {
		uint8_t ttl = h->ttl;

		FUZZ_CHECK(nl_ipv4_dec_ttl(h) == ttl - 1 && h->ttl == ttl - 1, "TTL %u", h->ttl);
		FUZZ_CHECK(nl_ipv4_hdr_cksum_verify(h) == 0,
			   "header checksum wrong after the TTL went %u -> %u", ttl, h->ttl);
	}

	if (p->has_ports) {
		uint8_t *l4 = f + p->l4_off;
		uint32_t l4_len = p->l3_len - hl;
		unsigned int at = p->proto == NL_IPPROTO_TCP ? 16 : 6;

		memset(l4 + at, 0, 2);
		c = ref_fold(ref_sum(l4, l4_len, ref_ipv4_phdr(ip, l4_len)));
		if (c == 0 && p->proto == NL_IPPROTO_UDP)
			c = 0xffff; /* RFC 768: 0 means "no checksum" */
		FUZZ_CHECK(nl_ipv4_l4_cksum(h, l4, l4_len) == htons(c),
			   "L4 checksum %#x, RFC %#x", ntohs(nl_ipv4_l4_cksum(h, l4, l4_len)), c);
		l4[at] = (uint8_t)(c >> 8);
		l4[at + 1] = (uint8_t)c;
		FUZZ_CHECK(nl_ipv4_l4_cksum_verify(h, l4, l4_len) == 0,
			   "a correct L4 checksum fails");
	}
}

static void
check_ipv6(uint8_t *f, const struct nl_parsed *p)
{
	uint8_t *ip6 = f + p->l3_off;
	uint16_t c;

	FUZZ_CHECK(memcmp(p->src.v6, ip6 + 8, 16) == 0 && memcmp(p->dst.v6, ip6 + 24, 16) == 0,
		   "IPv6 addresses differ from the header");
	FUZZ_CHECK(p->l3_len == 40u + rd16(ip6 + 4), "l3_len %u, payload %u", p->l3_len,
		   rd16(ip6 + 4));
	if (p->has_ports) {
		uint8_t *l4 = f + p->l4_off;
		uint32_t l4_len = (uint32_t)p->l3_off + p->l3_len - p->l4_off;
		unsigned int at = p->proto == NL_IPPROTO_TCP ? 16 : 6;
		const struct nl_ipv6_hdr *h = (const struct nl_ipv6_hdr *)ip6;

		memset(l4 + at, 0, 2);
		c = ref_fold(ref_sum(l4, l4_len, ref_ipv6_phdr(ip6, p->proto, l4_len)));
		if (c == 0 && p->proto == NL_IPPROTO_UDP)
			c = 0xffff;
		FUZZ_CHECK(nl_ipv6_l4_cksum(h, p->proto, l4, l4_len) == htons(c),
			   "IPv6 L4 checksum %#x, RFC %#x",
			   ntohs(nl_ipv6_l4_cksum(h, p->proto, l4, l4_len)), c);
		l4[at] = (uint8_t)(c >> 8);
		l4[at + 1] = (uint8_t)c;
		FUZZ_CHECK(nl_ipv6_l4_cksum_verify(h, p->proto, l4, l4_len) == 0,
			   "a correct IPv6 L4 checksum fails");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_parsed p;
	uint8_t *f;
	uint32_t len = (uint32_t)size;
	int r;

	if (size > UINT16_MAX)
		return 0;
	/* Any bytes: netlib's sum equals RFC 1071's. */
	FUZZ_CHECK(nl_cksum(data, len, 0) == htons(ref_fold(ref_sum(data, len, 0))),
		   "checksum of %u bytes", len);

	r = nl_parse(data, len, &p);
	FUZZ_CHECK(r == 0 || r == -EINVAL, "nl_parse returned %d", r);
	if (r < 0)
		return 0;
	FUZZ_CHECK(len >= NL_ETHER_HDR_LEN, "accepted %u bytes", len);
	FUZZ_CHECK(p.l3_off == (p.has_vlan ? 18 : 14) && p.l3_off <= len, "l3_off %u", p.l3_off);
	FUZZ_CHECK(p.ethertype == rd16(data + p.l3_off - 2), "ethertype %#x", p.ethertype);
	if (p.ip_version == 0) {
		FUZZ_CHECK(p.l4_off == 0 && !p.has_ports, "ports without IP");
		return 0;
	}
	FUZZ_CHECK((uint32_t)p.l3_off + p.l3_len <= len, "l3 %u+%u past %u bytes", p.l3_off,
		   p.l3_len, len);
	if (p.has_ports) {
		unsigned int need = p.proto == NL_IPPROTO_TCP ? 20 : 8;

		FUZZ_CHECK(p.proto == NL_IPPROTO_TCP || p.proto == NL_IPPROTO_UDP,
			   "ports for proto %u", p.proto);
		FUZZ_CHECK(p.l4_off > p.l3_off && p.l4_off + need <= (uint32_t)p.l3_off + p.l3_len,
			   "L4 header at %u+%u outside the packet", p.l4_off, need);
		FUZZ_CHECK(p.sport == rd16(data + p.l4_off) && p.dport == rd16(data + p.l4_off + 2),
			   "ports differ from the header");
	}

	/* Checksums are written into a copy. */
	f = malloc(len);
	if (f == NULL)
		return 0;
	memcpy(f, data, len);
	if (p.ip_version == 4)
		check_ipv4(f, &p);
	else
		check_ipv6(f, &p);
	free(f);
	return 0;
}
