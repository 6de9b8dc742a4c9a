/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_ct_pkt.c — what the connection tracker needs from a packet: its
 * direction-independent key, its kind, the TCP flags and sequence numbers,
 * and for an ICMP error the key of the packet it quotes (nl_conntrack.h).
 * Every read is bounded by the IP packet's own length.
 */
#include <errno.h>
#include <string.h>

#include "nl_conntrack.h"
#include "nl_flowtab.h"

/* ICMP (RFC 792) and ICMPv6 (RFC 4443) types the tracker knows. */
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ICMP6_DEST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROBLEM 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

#define ICMP_HDR_LEN 8   /* type, code, checksum, then id/seq or unused */
#define QUOTED_L4_LEN 8  /* what an ICMP error quotes at least (RFC 792) */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Big-endian 64-bit word at @p: comparing these orders addresses like memcmp(). */
static inline uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* <0, 0 or >0 as address @a (@alen bytes, 4 or 16) sorts before, with or after @b. */
static inline int
addr_cmp(const uint8_t *a, const uint8_t *b, unsigned int alen)
{
	uint64_t x, y;

	if (alen == 4) {
		x = rd32(a);
		y = rd32(b);
	} else {
		x = rd64(a);
		y = rd64(b);
		if (x == y) {
			x = rd64(a + 8);
			y = rd64(b + 8);
		}
	}
	return (x > y) - (x < y);
}

/*
 * Build the key of a packet from @src:@sport to @dst:@dport (addresses as on
 * the wire, @alen bytes); the lower (address, port) end goes first. Returns
 * the side the sender is on.
 */
static unsigned int
make_key(struct nl_ct_key *k, uint8_t family, uint8_t proto, const uint8_t *src,
	 const uint8_t *dst, unsigned int alen, uint16_t sport, uint16_t dport)
{
	int c = addr_cmp(src, dst, alen);
	unsigned int side = c > 0 || (c == 0 && sport > dport);

	memset(k, 0, sizeof(*k));
	memcpy(k->addr[side], src, alen);
	memcpy(k->addr[!side], dst, alen);
	k->port[side] = sport;
	k->port[!side] = dport;
	k->proto = proto;
	k->family = family;
	return side;
}

#if defined(__x86_64__)
/* CRC32-C of the 40-byte key in five 8-byte steps: the same value as nl_crc32c(). */
__attribute__((target("sse4.2"))) static uint32_t
key_hash_hw(const struct nl_ct_key *k)
{
	uint64_t w[5], c = 0xffffffffu;
	unsigned int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++)
		c = __builtin_ia32_crc32di(c, w[i]);
	return (uint32_t)c;
}

static uint32_t
key_hash(const struct nl_ct_key *k)
{
	if (__builtin_cpu_supports("sse4.2"))
		return key_hash_hw(k);
	return nl_crc32c_sw(k, sizeof(*k), 0xffffffffu);
}
#else
static uint32_t
key_hash(const struct nl_ct_key *k)
{
	return nl_crc32c_sw(k, sizeof(*k), 0xffffffffu);
}
#endif
_Static_assert(sizeof(struct nl_ct_key) == 40, "key_hash_hw() hashes 5 words");

static int
is_icmp_error(unsigned int family, uint8_t type)
{
	if (family == 4)
		return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
		       type == ICMP_REDIRECT || type == ICMP_TIME_EXCEEDED ||
		       type == ICMP_PARAM_PROBLEM;
	return type == ICMP6_DEST_UNREACH || type == ICMP6_PACKET_TOO_BIG ||
	       type == ICMP6_TIME_EXCEEDED || type == ICMP6_PARAM_PROBLEM;
}

/* Echo request (1), echo reply (2) or neither (0), for ICMP or ICMPv6. */
static int
echo_kind(unsigned int family, uint8_t type)
{
	if (type == (family == 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST))
		return 1;
	if (type == (family == 4 ? ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY))
		return 2;
	return 0;
}

/*
 * Key of an echo request (@ek 1) or reply (@ek 2) from @src to @dst (@alen
 * bytes each) with identifier @id: the identifier as both ports, and the
 * end that sends the requests, so that a request from each end opens a
 * connection of its own. Returns the side the sender is on; between a host
 * and itself, the requests come from side 0 and the replies from side 1.
 */
static unsigned int
echo_key(struct nl_ct_key *k, unsigned int family, const uint8_t *src, const uint8_t *dst,
	 unsigned int alen, uint16_t id, int ek)
{
	uint8_t proto = family == 4 ? NL_IPPROTO_ICMP : NL_IPPROTO_ICMPV6;
	unsigned int side = make_key(k, (uint8_t)family, proto, src, dst, alen, id, id);

	if (memcmp(src, dst, alen) == 0)
		side = ek == 2;
	k->echo_req = (uint8_t)(1 + (ek == 1 ? side : !side));
	return side;
}

/*
 * Key of the packet quoted by an ICMP error: @q holds @qlen bytes (IP header,
 * IPv6 extension headers and at least 8 bytes of its L4 header). The error must be addressed to the
 * quoted packet's sender (@outer_dst). Returns 0 with out->key and out->side
 * set; -EINVAL for a malformed quote (cut short, not an IP header of the
 * error's family); -ENOENT for a well-formed quote that gives no key (a later
 * fragment, an error about an error, an untracked protocol, an error sent to
 * someone other than the quoted sender).
 */
static int
quoted_key(const uint8_t *q, uint32_t qlen, unsigned int family, const uint8_t *outer_dst,
	   struct nl_ct_pkt *out)
{
	const uint8_t *src, *dst, *l4;
	unsigned int alen = family == 4 ? 4 : 16, hl, side;
	uint8_t proto, icmp = family == 4 ? NL_IPPROTO_ICMP : NL_IPPROTO_ICMPV6;
	uint16_t sport, dport;
	int ek;

	if (family == 4) {
		if (qlen < NL_IPV4_HDR_MIN || q[0] >> 4 != 4)
			return -EINVAL;
		hl = (q[0] & 0xfu) * 4u;
		if (hl < NL_IPV4_HDR_MIN)
			return -EINVAL;
		proto = q[9];
		src = q + 12;
		dst = q + 16;
	} else {
		uint8_t frag = 0;
		int off;

		if (qlen < NL_IPV6_HDR_LEN || q[0] >> 4 != 6)
			return -EINVAL;
		/* past the extension headers, as nl_parse() does for a packet */
		off = nl_ipv6_walk_ext(q, qlen, &proto, &frag);
		if (off < 0)
			return -EINVAL; /* one cut short, or too many */
		if (off == 0)
			return -ENOENT; /* a later fragment: no ports */
		hl = (unsigned int)off;
		src = q + 8;
		dst = q + 24;
	}
	if (qlen < hl + QUOTED_L4_LEN)
		return -EINVAL;
	if (family == 4 && (rd16(q + 6) & NL_IPV4_OFF_MASK) != 0)
		return -ENOENT; /* a later fragment: no ports */
	if (memcmp(src, outer_dst, alen) != 0)
		return -ENOENT;
	l4 = q + hl;
	if (proto == NL_IPPROTO_TCP || proto == NL_IPPROTO_UDP) {
		sport = rd16(l4);
		dport = rd16(l4 + 2);
	} else if (proto == icmp && (ek = echo_kind(family, l4[0])) != 0) {
		side = echo_key(&out->key, family, src, dst, alen, rd16(l4 + 4), ek);
		out->side = (uint8_t)!side;
		return 0;
	} else {
		return -ENOENT; /* an error about an error, or an untracked protocol */
	}
	side = make_key(&out->key, (uint8_t)family, proto, src, dst, alen, sport, dport);
	out->side = (uint8_t)!side; /* the error travels back to the quoted sender */
	return 0;
}

static int
tcp_fields(const uint8_t *l4, uint32_t l4len, struct nl_ct_pkt *out)
{
	uint32_t doff;

	if (l4len < NL_TCP_HDR_MIN)
		return -EINVAL;
	doff = (l4[12] >> 4) * 4u;
	if (doff < NL_TCP_HDR_MIN || doff > l4len)
		return -EINVAL;
	out->seq = rd32(l4 + 4);
	out->ack = rd32(l4 + 8);
	out->tcp_flags = l4[13] & (NL_CT_TCP_FIN | NL_CT_TCP_SYN | NL_CT_TCP_RST | NL_CT_TCP_ACK);
	out->payload_len = (uint16_t)(l4len - doff);
	return 0;
}

/* Everything but the hash; returns 0 or -EINVAL (kind set either way). */
static int
classify(const uint8_t *data, uint32_t len, const struct nl_parsed *pp, struct nl_ct_pkt *out)
{
	unsigned int family = pp->ip_version, alen = family == 4 ? 4 : 16;
	uint8_t src4[4], dst4[4], icmp = family == 4 ? NL_IPPROTO_ICMP : NL_IPPROTO_ICMPV6;
	const uint8_t *src = pp->src.v6, *dst = pp->dst.v6, *l4;
	uint32_t end = (uint32_t)pp->l3_off + pp->l3_len, l4len;
	int ek;

	out->kind = NL_CT_K_UNTRACKED;
	if ((family != 4 && family != 6) || pp->l4_off == 0)
		return 0; /* not IP, or no L4 header here (later fragment, ESP) */
	if (end > len || pp->l4_off > end || pp->l4_off < pp->l3_off)
		goto bad; /* not what nl_parse() gives for this frame */
	if (family == 4) {
		uint32_t s = nl_hton32(pp->src.v4), d = nl_hton32(pp->dst.v4);

		memcpy(src4, &s, 4);
		memcpy(dst4, &d, 4);
		src = src4;
		dst = dst4;
	}
	l4 = data + pp->l4_off;
	l4len = end - pp->l4_off;

	if (pp->proto == NL_IPPROTO_TCP || pp->proto == NL_IPPROTO_UDP) {
		if (pp->proto == NL_IPPROTO_TCP && tcp_fields(l4, l4len, out) < 0)
			goto bad;
		if (l4len < NL_UDP_HDR_LEN)
			goto bad;
		out->kind = pp->proto == NL_IPPROTO_TCP ? NL_CT_K_TCP : NL_CT_K_UDP;
		out->side = (uint8_t)make_key(&out->key, (uint8_t)family, pp->proto, src, dst,
					      alen, rd16(l4), rd16(l4 + 2));
		return 0;
	}
	if (pp->proto != icmp)
		return 0;
	if (l4len < ICMP_HDR_LEN)
		goto bad;
	ek = echo_kind(family, l4[0]);
	if (ek != 0) {
		out->kind = ek == 1 ? NL_CT_K_ECHO_REQUEST : NL_CT_K_ECHO_REPLY;
		out->side = (uint8_t)echo_key(&out->key, family, src, dst, alen, rd16(l4 + 4), ek);
		return 0;
	}
	if (!is_icmp_error(family, l4[0]))
		return 0; /* other ICMP messages: neighbour discovery, router ads... */
	switch (quoted_key(l4 + ICMP_HDR_LEN, l4len - ICMP_HDR_LEN, family, dst, out)) {
	case 0:
		out->kind = NL_CT_K_ICMP_ERROR;
		return 0;
	case -ENOENT:
		out->kind = NL_CT_K_ICMP_NOKEY;
		return 0;
	default:
		goto bad;
	}
bad:
	out->kind = NL_CT_K_MALFORMED;
	return -EINVAL;
}

int
nl_ct_pkt_init(const uint8_t *data, uint32_t len, const struct nl_parsed *pp,
	       struct nl_ct_pkt *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = classify(data, len, pp, out);
	if (out->kind == NL_CT_K_UNTRACKED || out->kind == NL_CT_K_MALFORMED ||
	    out->kind == NL_CT_K_ICMP_NOKEY)
		memset(&out->key, 0, sizeof(out->key)); /* hash 0: never looked up */
	else
		out->hash = key_hash(&out->key);
	return rc;
}
