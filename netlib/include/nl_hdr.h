/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_hdr.h — packet headers, a bounds-checked parser and Internet checksums.
 *
 * Byte order: every multi-byte field of the header structs holds the value as
 * it is on the wire (network order). Read and write them through
 * nl_ntoh16()/nl_hton16() and friends; the parser's output (struct nl_parsed)
 * is in host order and says so field by field.
 *
 * Checksums are ones'-complement sums, which are byte-order independent
 * (RFC 1071 §2(B)): the functions below sum 16-bit words as they lie in memory
 * and return a checksum that is stored into the header field as is, with no
 * conversion.
 *
 * Error convention (netlib.h): 0 or a negative errno.
 */
#ifndef NL_HDR_H
#define NL_HDR_H

#include <stdint.h>

#define NL_ETHER_ADDR_LEN 6
#define NL_ETHER_HDR_LEN 14
#define NL_VLAN_HDR_LEN 4

#define NL_ETHERTYPE_IPV4 0x0800
#define NL_ETHERTYPE_ARP 0x0806
#define NL_ETHERTYPE_VLAN 0x8100
#define NL_ETHERTYPE_IPV6 0x86dd

#define NL_IPPROTO_ICMP 1
#define NL_IPPROTO_TCP 6
#define NL_IPPROTO_UDP 17
#define NL_IPPROTO_ICMPV6 58

#define NL_IPV4_HDR_MIN 20
#define NL_IPV6_HDR_LEN 40
#define NL_TCP_HDR_MIN 20
#define NL_UDP_HDR_LEN 8

#define NL_IPV4_DF 0x4000        /* frag_off: don't fragment */
#define NL_IPV4_MF 0x2000        /* frag_off: more fragments */
#define NL_IPV4_OFF_MASK 0x1fff  /* frag_off: offset in 8-byte units */

static inline uint16_t
nl_ntoh16(uint16_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(x);
#else
	return x;
#endif
}

static inline uint32_t
nl_ntoh32(uint32_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(x);
#else
	return x;
#endif
}

#define nl_hton16(x) nl_ntoh16(x)
#define nl_hton32(x) nl_ntoh32(x)

/* Ethernet II header. */
struct nl_ether_hdr {
	uint8_t dst[NL_ETHER_ADDR_LEN];
	uint8_t src[NL_ETHER_ADDR_LEN];
	uint16_t type; /* network order */
} __attribute__((packed));
_Static_assert(sizeof(struct nl_ether_hdr) == 14, "Ethernet header");

/* 802.1Q tag, following the Ethernet header when its type is 0x8100. */
struct nl_vlan_hdr {
	uint16_t tci;  /* network order: PCP(3) DEI(1) VID(12) */
	uint16_t type; /* network order: the encapsulated ethertype */
} __attribute__((packed));
_Static_assert(sizeof(struct nl_vlan_hdr) == 4, "802.1Q tag");

/* IPv4 header without options. */
struct nl_ipv4_hdr {
	uint8_t ver_ihl;    /* version (high nibble), header length in words */
	uint8_t tos;
	uint16_t total_len; /* network order */
	uint16_t id;        /* network order */
	uint16_t frag_off;  /* network order: flags(3) offset(13) */
	uint8_t ttl;
	uint8_t proto;
	uint16_t cksum;     /* as stored on the wire */
	uint32_t src;       /* network order */
	uint32_t dst;       /* network order */
} __attribute__((packed));
_Static_assert(sizeof(struct nl_ipv4_hdr) == 20, "IPv4 header");

/* IPv6 fixed header. */
struct nl_ipv6_hdr {
	uint32_t vtc_flow;    /* network order: version(4) class(8) flow(20) */
	uint16_t payload_len; /* network order */
	uint8_t next_hdr;
	uint8_t hop_limit;
	uint8_t src[16];
	uint8_t dst[16];
} __attribute__((packed));
_Static_assert(sizeof(struct nl_ipv6_hdr) == 40, "IPv6 header");

/* TCP header without options. */
struct nl_tcp_hdr {
	uint16_t sport;  /* network order */
	uint16_t dport;  /* network order */
	uint32_t seq;    /* network order */
	uint32_t ack;    /* network order */
	uint8_t data_off; /* header length in words (high nibble) */
	uint8_t flags;
	uint16_t window; /* network order */
	uint16_t cksum;  /* as stored on the wire */
	uint16_t urp;    /* network order */
} __attribute__((packed));
_Static_assert(sizeof(struct nl_tcp_hdr) == 20, "TCP header");

/* UDP header. */
struct nl_udp_hdr {
	uint16_t sport; /* network order */
	uint16_t dport; /* network order */
	uint16_t len;   /* network order: header + payload */
	uint16_t cksum; /* as stored on the wire; 0 over IPv4 = none */
} __attribute__((packed));
_Static_assert(sizeof(struct nl_udp_hdr) == 8, "UDP header");

static inline unsigned int
nl_ipv4_version(const struct nl_ipv4_hdr *ip)
{
	return ip->ver_ihl >> 4;
}

/* IPv4 header length in bytes (ihl * 4). */
static inline unsigned int
nl_ipv4_hdr_len(const struct nl_ipv4_hdr *ip)
{
	return (ip->ver_ihl & 0xfu) * 4u;
}

/* Fragment offset in bytes; non-zero means "not the first fragment". */
static inline unsigned int
nl_ipv4_frag_offset(const struct nl_ipv4_hdr *ip)
{
	return (nl_ntoh16(ip->frag_off) & NL_IPV4_OFF_MASK) * 8u;
}

/*
 * What nl_parse() found, all in host order. Offsets are from the first byte
 * of the frame; an offset is 0 when that layer is absent (l2_off is always 0).
 */
struct nl_parsed {
	uint16_t l2_off;
	uint16_t l3_off;     /* after the Ethernet header and the 802.1Q tag */
	uint16_t l4_off;     /* 0: no L4 header (non-first fragment, IPv6 ESP...) */
	uint16_t l3_len;     /* IPv4 total length, or 40 + IPv6 payload length */
	uint16_t ethertype;  /* of the payload, after the 802.1Q tag if any */
	uint16_t vlan_tci;   /* valid when has_vlan */
	uint8_t has_vlan;
	uint8_t ip_version;  /* 4, 6, or 0 when not IP */
	uint8_t is_fragment; /* IPv4 MF or offset, IPv6 fragment header */
	uint8_t has_ports;   /* sport/dport valid: TCP or UDP with its header */
	uint8_t proto;       /* L4 protocol (IPv6: after extension headers) */
	uint8_t pad;
	uint16_t sport;
	uint16_t dport;
	union {
		uint32_t v4;     /* host order */
		uint8_t v6[16];  /* as on the wire */
	} src, dst;
};

/*
 * Parse the Ethernet frame @data of @len (<= 65535) bytes: one optional 802.1Q tag, then
 * IPv4 or IPv6 (with its common extension headers) and the TCP/UDP ports.
 * Frames that are neither IPv4 nor IPv6 parse successfully with ip_version 0.
 * Returns 0, or -EINVAL for a truncated or malformed frame: shorter than its
 * headers; IPv4 with version != 4, ihl < 5, or a total length above the frame
 * or below ihl * 4; IPv6 with a payload length above the frame or a cut
 * extension header; a TCP (20 bytes) or UDP (8 bytes) header cut short. On
 * -EINVAL the fields parsed before the fault (e.g. ethertype) are filled in.
 */
int nl_parse(const uint8_t *data, uint32_t len, struct nl_parsed *out);

#define NL_IPV6_MAX_EXT 8 /* extension headers before the upper layer, at most */

/*
 * Walk the extension headers after the IPv6 fixed header at @ip6 as nl_parse()
 * does: hop-by-hop (0), routing (43), fragment (44), AH (51) and destination
 * options (60), at most NL_IPV6_MAX_EXT of them, within the first @end (>= 40)
 * bytes. Sets *@frag to 1 on passing a fragment header. Returns the offset from
 * @ip6 of the upper-layer header, its protocol in *@proto; 0 for a fragment at
 * a non-zero offset (its upper-layer header is elsewhere), the fragment
 * header's next header in *@proto; or -EINVAL, *@proto unchanged, when more
 * than NL_IPV6_MAX_EXT extension headers come first or @end cuts one short.
 */
int nl_ipv6_walk_ext(const uint8_t *ip6, uint32_t end, uint8_t *proto, uint8_t *frag);

/*
 * The offset from @ip6 of the fragment header nl_ipv6_walk_ext() passes in
 * the first @end bytes (its 8 bytes within them: offset and M flag at +2,
 * identification at +4), or 0 when it passes none or fails.
 */
uint32_t nl_ipv6_frag_hdr(const uint8_t *ip6, uint32_t end);

/*
 * Add @len bytes at @data to the 32-bit ones'-complement accumulator @sum
 * (start with 0) and return the new, unfolded accumulator; it cannot fail.
 * When data is summed in pieces, every piece but the last has an even length.
 */
uint32_t nl_cksum_add(const void *data, uint32_t len, uint32_t sum);

/* Fold accumulator @sum to 16 bits and return its complement, the checksum; it cannot fail. */
uint16_t nl_cksum_finish(uint32_t sum);

/*
 * Return the Internet checksum of @len bytes at @data, starting from the
 * accumulator @init (0, or a pseudo-header sum); it cannot fail.
 */
uint16_t nl_cksum(const void *data, uint32_t len, uint32_t init);

/*
 * Return the checksum the IPv4 header @ip should carry, computed over its
 * ihl * 4 bytes as if its cksum field were 0; it cannot fail (the caller has
 * checked ihl, as nl_parse() does).
 */
uint16_t nl_ipv4_hdr_cksum(const struct nl_ipv4_hdr *ip);

/* Check the IPv4 header checksum: returns 0, or -EBADMSG when it is wrong. */
int nl_ipv4_hdr_cksum_verify(const struct nl_ipv4_hdr *ip);

/*
 * Return the TCP or UDP checksum (by ip->proto) of the @l4_len-byte segment at
 * @l4 under IPv4 header @ip; the segment's cksum field must be 0 while this
 * runs. A UDP result of 0 is returned as 0xffff (RFC 768). It cannot fail.
 */
uint16_t nl_ipv4_l4_cksum(const struct nl_ipv4_hdr *ip, const void *l4, uint32_t l4_len);

/*
 * Check the TCP or UDP checksum of a segment under IPv4: returns 0, or
 * -EBADMSG when it is wrong (a UDP checksum of 0 means "none" and passes).
 */
int nl_ipv4_l4_cksum_verify(const struct nl_ipv4_hdr *ip, const void *l4, uint32_t l4_len);

/*
 * Return the checksum of the @l4_len-byte TCP/UDP/ICMPv6 segment at @l4 with
 * protocol @proto under IPv6 header @ip6 (the segment's cksum field must be 0
 * while this runs); UDP's 0 becomes 0xffff. It cannot fail.
 */
uint16_t nl_ipv6_l4_cksum(const struct nl_ipv6_hdr *ip6, uint8_t proto,
			  const void *l4, uint32_t l4_len);

/* Check an L4 checksum under IPv6: returns 0, or -EBADMSG when it is wrong. */
int nl_ipv6_l4_cksum_verify(const struct nl_ipv6_hdr *ip6, uint8_t proto,
			    const void *l4, uint32_t l4_len);

/*
 * RFC 1624 (eqn. 3) incremental update: return the checksum that replaces
 * @old_cksum when one 16-bit word of the covered data changes from @old_word
 * to @new_word. All three are taken as stored in memory. It cannot fail.
 */
uint16_t nl_cksum_update16(uint16_t old_cksum, uint16_t old_word, uint16_t new_word);

/*
 * Decrement the TTL of @ip and update its header checksum incrementally.
 * Returns the new TTL; the caller drops packets whose TTL is <= 1 before
 * calling (a TTL of 0 is left unchanged and 0 is returned).
 */
uint8_t nl_ipv4_dec_ttl(struct nl_ipv4_hdr *ip);

#endif /* NL_HDR_H */
