/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_hdr.c — bounds-checked header parser and Internet checksums (RFC 1071,
 * RFC 1624). Nothing here allocates or logs: it runs on the fast path.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "nl_hdr.h"

/* IPv6 extension headers the parser walks through (RFC 8200 §4). */
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_ESP 50
#define IP6_AH 51
#define IP6_NONE 59
#define IP6_DSTOPTS 60

/*
 * TCP or UDP ports of the @len-byte L4 segment at @l4; other protocols have
 * none. Only the fixed part of the header must be there (TCP 20, UDP 8
 * bytes), the rule the core engine's classifier applies too: a router does
 * not judge TCP options or UDP lengths.
 */
static int
parse_l4(const uint8_t *l4, uint32_t len, struct nl_parsed *out)
{
	const struct nl_udp_hdr *ports = (const struct nl_udp_hdr *)l4; /* same first 4 bytes */

	if (out->proto == NL_IPPROTO_TCP) {
		if (len < NL_TCP_HDR_MIN)
			return -EINVAL;
	} else if (out->proto == NL_IPPROTO_UDP) {
		if (len < NL_UDP_HDR_LEN)
			return -EINVAL;
	} else {
		return 0;
	}
	out->sport = nl_ntoh16(ports->sport);
	out->dport = nl_ntoh16(ports->dport);
	out->has_ports = 1;
	return 0;
}

static int
parse_ipv4(const uint8_t *l3, uint32_t len, struct nl_parsed *out)
{
	const struct nl_ipv4_hdr *ip = (const struct nl_ipv4_hdr *)l3;
	uint32_t hl, total;
	uint16_t frag;

	if (len < NL_IPV4_HDR_MIN || nl_ipv4_version(ip) != 4)
		return -EINVAL;
	hl = nl_ipv4_hdr_len(ip);
	total = nl_ntoh16(ip->total_len);
	if (hl < NL_IPV4_HDR_MIN || total < hl || total > len)
		return -EINVAL;

	out->ip_version = 4;
	out->l3_len = (uint16_t)total;
	out->proto = ip->proto;
	out->src.v4 = nl_ntoh32(ip->src);
	out->dst.v4 = nl_ntoh32(ip->dst);
	frag = nl_ntoh16(ip->frag_off);
	out->is_fragment = (frag & (NL_IPV4_MF | NL_IPV4_OFF_MASK)) != 0;
	if (frag & NL_IPV4_OFF_MASK)
		return 0; /* not the first fragment: no L4 header here */
	out->l4_off = (uint16_t)(out->l3_off + hl);
	return parse_l4(l3 + hl, total - hl, out);
}

/* nl_ipv6_walk_ext(), the offset from @ip6 of the fragment header passed
 * in *@frag_at (left as it is when none is). */
static int
walk_ext(const uint8_t *ip6, uint32_t end, uint8_t *proto, uint32_t *frag_at)
{
	uint32_t off = NL_IPV6_HDR_LEN, ext_len;
	unsigned int n;
	uint8_t nh = ((const struct nl_ipv6_hdr *)ip6)->next_hdr;

	for (n = 0;; n++) {
		const uint8_t *ext = ip6 + off;

		if (nh != IP6_HOPOPTS && nh != IP6_ROUTING && nh != IP6_DSTOPTS &&
		    nh != IP6_AH && nh != IP6_FRAGMENT)
			break;
		if (n == NL_IPV6_MAX_EXT || end - off < 8)
			return -EINVAL;
		if (nh == IP6_FRAGMENT) {
			uint16_t fo = (uint16_t)(ext[2] << 8 | ext[3]);

			ext_len = 8;
			*frag_at = off;
			if (fo & 0xfff8) { /* offset != 0: no upper-layer header here */
				*proto = ext[0];
				return 0;
			}
		} else if (nh == IP6_AH) {
			ext_len = (ext[1] + 2u) * 4u;
		} else {
			ext_len = (ext[1] + 1u) * 8u;
		}
		if (ext_len > end - off)
			return -EINVAL;
		nh = ext[0];
		off += ext_len;
	}
	*proto = nh;
	return (int)off;
}

int
nl_ipv6_walk_ext(const uint8_t *ip6, uint32_t end, uint8_t *proto, uint8_t *frag)
{
	uint32_t at = 0;
	int rc = walk_ext(ip6, end, proto, &at);

	if (at != 0)
		*frag = 1;
	return rc;
}

uint32_t
nl_ipv6_frag_hdr(const uint8_t *ip6, uint32_t end)
{
	uint32_t at = 0;
	uint8_t proto;

	return walk_ext(ip6, end, &proto, &at) < 0 ? 0 : at;
}

static int
parse_ipv6(const uint8_t *l3, uint32_t len, struct nl_parsed *out)
{
	const struct nl_ipv6_hdr *ip6 = (const struct nl_ipv6_hdr *)l3;
	uint32_t end;
	int off;

	if (len < NL_IPV6_HDR_LEN || (nl_ntoh32(ip6->vtc_flow) >> 28) != 6)
		return -EINVAL;
	end = NL_IPV6_HDR_LEN + nl_ntoh16(ip6->payload_len);
	if (end > len)
		return -EINVAL;

	out->ip_version = 6;
	out->l3_len = (uint16_t)end;
	memcpy(out->src.v6, ip6->src, 16);
	memcpy(out->dst.v6, ip6->dst, 16);

	off = nl_ipv6_walk_ext(l3, end, &out->proto, &out->is_fragment);
	if (off <= 0) /* malformed, or not the first fragment: no L4 header here */
		return off;
	if (out->proto == IP6_NONE || out->proto == IP6_ESP)
		return 0;
	out->l4_off = (uint16_t)(out->l3_off + (uint32_t)off);
	return parse_l4(l3 + off, end - (uint32_t)off, out);
}

int
nl_parse(const uint8_t *data, uint32_t len, struct nl_parsed *out)
{
	const struct nl_ether_hdr *eth = (const struct nl_ether_hdr *)data;
	uint32_t off = NL_ETHER_HDR_LEN;
	uint16_t type;

	memset(out, 0, sizeof(*out));
	if (len < NL_ETHER_HDR_LEN || len > UINT16_MAX)
		return -EINVAL;
	type = nl_ntoh16(eth->type);
	if (type == NL_ETHERTYPE_VLAN) {
		const struct nl_vlan_hdr *vlan = (const struct nl_vlan_hdr *)(data + off);

		out->ethertype = type;
		if (len < off + NL_VLAN_HDR_LEN)
			return -EINVAL;
		out->has_vlan = 1;
		out->vlan_tci = nl_ntoh16(vlan->tci);
		type = nl_ntoh16(vlan->type);
		off += NL_VLAN_HDR_LEN;
	}
	out->ethertype = type;
	out->l3_off = (uint16_t)off;

	if (type == NL_ETHERTYPE_IPV4)
		return parse_ipv4(data + off, len - off, out);
	if (type == NL_ETHERTYPE_IPV6)
		return parse_ipv6(data + off, len - off, out);
	return 0;
}

static inline uint32_t
fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t
nl_cksum_add(const void *data, uint32_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	uint32_t w32;
	uint16_t w16;

	/* 32-bit words fold to the same ones'-complement sum (2^16 = 1 mod 0xffff). */
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w32, p, 4);
		acc += w32;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc += w16;
		p += 2;
		len -= 2;
	}
	if (len) { /* odd byte: the first byte of a zero-padded word */
		w16 = 0;
		memcpy(&w16, p, 1);
		acc += w16;
	}
	return fold64(acc);
}

uint16_t
nl_cksum_finish(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
nl_cksum(const void *data, uint32_t len, uint32_t init)
{
	return nl_cksum_finish(nl_cksum_add(data, len, init));
}

uint16_t
nl_ipv4_hdr_cksum(const struct nl_ipv4_hdr *ip)
{
	uint64_t acc = nl_cksum_add(ip, nl_ipv4_hdr_len(ip), 0);

	/* Take the stored checksum out again: adding ~x subtracts x. */
	acc += (uint16_t)~ip->cksum;
	return nl_cksum_finish(fold64(acc));
}

int
nl_ipv4_hdr_cksum_verify(const struct nl_ipv4_hdr *ip)
{
	return nl_cksum(ip, nl_ipv4_hdr_len(ip), 0) == 0 ? 0 : -EBADMSG;
}

/* Sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768). */
static uint32_t
ipv4_phdr_sum(const struct nl_ipv4_hdr *ip, uint32_t l4_len)
{
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} __attribute__((packed)) ph = {
		.src = ip->src, .dst = ip->dst, .zero = 0, .proto = ip->proto,
		.len = nl_hton16((uint16_t)l4_len),
	};

	return nl_cksum_add(&ph, sizeof(ph), 0);
}

/* Sum of the IPv6 pseudo-header (RFC 8200 §8.1). */
static uint32_t
ipv6_phdr_sum(const struct nl_ipv6_hdr *ip6, uint8_t proto, uint32_t l4_len)
{
	struct {
		uint8_t src[16], dst[16];
		uint32_t len;
		uint8_t zero[3], nh;
	} __attribute__((packed)) ph = {
		.len = nl_hton32(l4_len), .zero = {0, 0, 0}, .nh = proto,
	};

	memcpy(ph.src, ip6->src, 16);
	memcpy(ph.dst, ip6->dst, 16);
	return nl_cksum_add(&ph, sizeof(ph), 0);
}

uint16_t
nl_ipv4_l4_cksum(const struct nl_ipv4_hdr *ip, const void *l4, uint32_t l4_len)
{
	uint16_t c = nl_cksum(l4, l4_len, ipv4_phdr_sum(ip, l4_len));

	return (c == 0 && ip->proto == NL_IPPROTO_UDP) ? 0xffff : c;
}

int
nl_ipv4_l4_cksum_verify(const struct nl_ipv4_hdr *ip, const void *l4, uint32_t l4_len)
{
	if (ip->proto == NL_IPPROTO_UDP && l4_len >= NL_UDP_HDR_LEN &&
	    ((const struct nl_udp_hdr *)l4)->cksum == 0)
		return 0;
	return nl_cksum(l4, l4_len, ipv4_phdr_sum(ip, l4_len)) == 0 ? 0 : -EBADMSG;
}

uint16_t
nl_ipv6_l4_cksum(const struct nl_ipv6_hdr *ip6, uint8_t proto, const void *l4, uint32_t l4_len)
{
	uint16_t c = nl_cksum(l4, l4_len, ipv6_phdr_sum(ip6, proto, l4_len));

	return (c == 0 && proto == NL_IPPROTO_UDP) ? 0xffff : c;
}

int
nl_ipv6_l4_cksum_verify(const struct nl_ipv6_hdr *ip6, uint8_t proto, const void *l4,
			uint32_t l4_len)
{
	/* Over IPv6 a UDP checksum is mandatory: 0 is never valid. */
	if (proto == NL_IPPROTO_UDP && l4_len >= NL_UDP_HDR_LEN &&
	    ((const struct nl_udp_hdr *)l4)->cksum == 0)
		return -EBADMSG;
	return nl_cksum(l4, l4_len, ipv6_phdr_sum(ip6, proto, l4_len)) == 0 ? 0 : -EBADMSG;
}

uint16_t
nl_cksum_update16(uint16_t old_cksum, uint16_t old_word, uint16_t new_word)
{
	/* HC' = ~(~HC + ~m + m') */
	uint32_t sum = (uint16_t)~old_cksum + (uint32_t)(uint16_t)~old_word + new_word;

	return nl_cksum_finish(sum);
}

uint8_t
nl_ipv4_dec_ttl(struct nl_ipv4_hdr *ip)
{
	uint8_t *word = (uint8_t *)ip + offsetof(struct nl_ipv4_hdr, ttl); /* TTL, protocol */
	uint16_t old_word, new_word;

	if (ip->ttl == 0)
		return 0;
	memcpy(&old_word, word, 2);
	ip->ttl--;
	memcpy(&new_word, word, 2);
	ip->cksum = nl_cksum_update16(ip->cksum, old_word, new_word);
	return ip->ttl;
}
