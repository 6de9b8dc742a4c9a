/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cls.h — the core engine's packet classifier: frame -> service chain.
 *
 * A received frame is reduced to a struct cls_key (cls_key_extract), the
 * key is matched against the configuration's rules, first match in file
 * order wins (cls_classify, on DPDK's rte_acl), and the flow hash names
 * the packet's flow (cls_flow_hash): the flow table (flows.h) keeps a flow
 * on one instance of a role, or with core.placement = "hash" cls_pick
 * chooses it, so that one flow always reaches the same instance.
 *
 * IPv4 and IPv6 have a key each (struct cls_key, struct cls_key6) and an
 * rte_acl context each: a rule with IPv4 prefixes is in the first only, one
 * with IPv6 prefixes in the second only, one without prefixes in both, so
 * an IPv4 packet costs what it did before IPv6 was classified. The key of a
 * frame that is neither (ARP, ...) is an IPv4 key carrying only its input
 * port: it matches only rules that constrain nothing but in_port.
 *
 * cls_create/cls_free are control path (they allocate); the rest is fast
 * path: no allocation, no logging, no failure.
 */
#ifndef NETVM_CLS_H
#define NETVM_CLS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "cfg.h"

/*
 * The classification key, laid out for rte_acl: the first field is one
 * byte, the others are read in groups of four consecutive bytes (offsets
 * 4, 8, 12, 16). Addresses and ports are in network byte order, as on the
 * wire. Padding is always zero.
 */
struct cls_key {
	uint8_t proto;   /* IPv4 protocol; 0 when not IPv4 */
	uint8_t pad0[3];
	uint32_t src_ip; /* network order */
	uint32_t dst_ip; /* network order */
	uint16_t sport;  /* network order; 0 unless TCP/UDP and not a later fragment */
	uint16_t dport;  /* network order; as sport */
	uint8_t in_port; /* input port */
	uint8_t ipv4;    /* 1 for an IPv4 frame, 0 for other traffic */
	uint16_t pad1;
};
_Static_assert(sizeof(struct cls_key) == 20, "cls_key layout");

/*
 * The IPv6 key, laid out for rte_acl like struct cls_key (each address is
 * four 4-byte fields). proto is the upper-layer protocol, past the
 * extension headers as nl_parse() walks them (a later fragment: its fragment
 * header's next header); the ports are read only when that is TCP or UDP and
 * its header is in the packet (not in a later fragment).
 */
struct cls_key6 {
	uint8_t proto;    /* upper-layer protocol (past extension headers) */
	uint8_t pad0[3];
	uint8_t src[16];  /* as on the wire */
	uint8_t dst[16];
	uint16_t sport;   /* network order; 0 unless TCP/UDP whose header is here */
	uint16_t dport;
	uint8_t in_port;
	uint8_t pad1;
	uint16_t pad2;
};
_Static_assert(sizeof(struct cls_key6) == 44, "cls_key6 layout");

/* cls_key_extract() results. */
#define CLS_OTHER 0 /* neither IPv4 nor IPv6: key holds in_port */
#define CLS_IPV4 1  /* key filled */
#define CLS_IPV6 2  /* key6 filled */
#define CLS_FRAG 4  /* or'ed in: a fragment (CLS_IPV4_FRAG, CLS_IPV6_FRAG) */
#define CLS_IPV4_FRAG (CLS_IPV4 | CLS_FRAG) /* key filled; an IPv4 fragment (MF or an offset) */
#define CLS_IPV6_FRAG (CLS_IPV6 | CLS_FRAG) /* key6 filled; a fragment header among the
					     * extension headers, whole in the packet */

#define CLS_NO_RULE 0xffffffffu /* cls_match(): no rule matched */

struct cls;

#define CLS_ETH_LEN 14
#define CLS_VLAN_LEN 4
#define CLS_ETH_P_IPV4 0x0800
#define CLS_ETH_P_8021Q 0x8100
#define CLS_ETH_P_IPV6 0x86dd
#define CLS_IPV4_MIN_LEN 20
#define CLS_IPV6_LEN 40
#define CLS_PROTO_TCP 6
#define CLS_PROTO_UDP 17
#define CLS_TCP_MIN_LEN 20
#define CLS_UDP_LEN 8
#define CLS_HASH_SEED 0x4e564d48u

/* The big-endian 16-bit value at @p. */
static inline uint16_t
cls_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The IPv6 part of cls_key_extract(): the @avail bytes at @ip after the
 * Ethernet header; CLS_IPV6, CLS_IPV6_FRAG or -EINVAL. Out of line: it walks
 * the extension headers (netlib's nl_ipv6_walk_ext()). */
int cls_key6_extract(const uint8_t *ip, uint32_t avail, uint16_t in_port, struct cls_key6 *key6);

/* The ports of the IPv4 packet at @ip (header @ihl bytes, @tot in all) into
 * @key when it is TCP or UDP; -EINVAL (@key untouched) when their header is
 * cut short. */
static inline int
cls_key_l4(struct cls_key *key, const uint8_t *ip, uint32_t ihl, uint32_t tot)
{
	uint32_t l4min = ip[9] == CLS_PROTO_TCP ? CLS_TCP_MIN_LEN :
			 ip[9] == CLS_PROTO_UDP ? CLS_UDP_LEN : 0;

	if (tot - ihl < l4min)
		return -EINVAL;
	if (l4min != 0) {
		memcpy(&key->sport, ip + ihl, 2);
		memcpy(&key->dport, ip + ihl + 2, 2);
	}
	return 0;
}

/* The protocol and addresses of the IPv4 packet at @ip into @key. */
static inline void
cls_key_ipv4(struct cls_key *key, const uint8_t *ip)
{
	key->proto = ip[9];
	memcpy(&key->src_ip, ip + 12, 4);
	memcpy(&key->dst_ip, ip + 16, 4);
	key->ipv4 = 1;
}

/*
 * Extract the key of the frame of @len bytes at @frame that arrived on port
 * @in_port (< 256), reading no byte at or past @len. One 802.1Q tag is
 * skipped; a non-first IPv4 fragment gets ports 0. Returns CLS_IPV4 (@key
 * filled; CLS_IPV4_FRAG instead for a fragment, first or later), CLS_IPV6
 * (@key6 filled; @key holds only in_port; CLS_IPV6_FRAG instead when a
 * fragment header is among its extension headers), CLS_OTHER
 * (@key holds only in_port, also as src_ip 0.0.0.P: cls_flow_hash() makes
 * each port one flow), or -EINVAL for a frame shorter than an Ethernet header,
 * a truncated or malformed IPv4 packet (bad version, header length, total
 * length, or L4 header cut short) or IPv6 packet (bad version, fixed header
 * or payload length past the frame, an extension header cut short or more
 * than 8 of them, TCP/UDP header cut short), with @key
 * zeroed but for in_port. Inline: the datapath calls it for every frame.
 */
static inline int
cls_key_extract(const uint8_t *frame, uint32_t len, uint16_t in_port, struct cls_key *key,
		struct cls_key6 *key6)
{
	uint32_t off = CLS_ETH_LEN, ihl, tot;
	const uint8_t *ip;
	uint16_t type, frag;

	memset(key, 0, sizeof(*key));
	key->in_port = (uint8_t)in_port;
	if (len < CLS_ETH_LEN)
		return -EINVAL;
	type = cls_rd16(frame + 12);
	if (type == CLS_ETH_P_8021Q) {
		if (len < CLS_ETH_LEN + CLS_VLAN_LEN)
			return -EINVAL;
		type = cls_rd16(frame + 16);
		off += CLS_VLAN_LEN;
	}
	if (type == CLS_ETH_P_IPV6)
		return cls_key6_extract(frame + off, len - off, in_port, key6);
	if (type != CLS_ETH_P_IPV4) {
		/* no 5-tuple: the source address is the input port (0.0.0.P),
		 * so that the flow hash makes each port one flow; no rule reads
		 * the address of a key that is not IPv4 (cls.c) */
		key->src_ip = rte_cpu_to_be_32(in_port);
		return CLS_OTHER;
	}
	if (len - off < CLS_IPV4_MIN_LEN)
		return -EINVAL;
	ip = frame + off;
	/* version 4 with no options, the common case, in one compare */
	if (likely(ip[0] == 0x45)) {
		ihl = CLS_IPV4_MIN_LEN;
	} else {
		ihl = (uint32_t)(ip[0] & 0x0f) * 4;
		if ((ip[0] >> 4) != 4 || ihl < CLS_IPV4_MIN_LEN)
			return -EINVAL;
	}
	tot = cls_rd16(ip + 2);
	if (tot < ihl || tot > len - off)
		return -EINVAL;
	/* MF or an offset: a fragment. The field is tested as it is on the
	 * wire (no byte swap); each case returns its constant, so that the
	 * caller's test of the result folds away where this is inlined. */
	memcpy(&frag, ip + 6, 2);
	if (likely((frag & rte_cpu_to_be_16(0x3fff)) == 0)) {
		if (cls_key_l4(key, ip, ihl, tot) < 0)
			return -EINVAL;
		cls_key_ipv4(key, ip);
		return CLS_IPV4;
	}
	/* Only the first fragment (offset 0) carries the L4 header. */
	if ((frag & rte_cpu_to_be_16(0x1fff)) == 0 && cls_key_l4(key, ip, ihl, tot) < 0)
		return -EINVAL;
	cls_key_ipv4(key, ip);
	return CLS_IPV4_FRAG;
}

/*
 * Return the CRC32-C hash of the key's 5-tuple (same flow, same hash; for
 * a frame that is neither IPv4 nor IPv6, of its input port, which
 * cls_key_extract() put in src_ip), symmetric:
 * the two ends (address, port) are hashed in a fixed order, the lower
 * first, so both directions of a connection hash alike and reach the same
 * instance (a stateful NF sees the whole connection). Cannot fail.
 * The CRC instructions are taken directly (the build's -march has SSE4.2;
 * rte_hash_crc_*() look up the algorithm at every call): the same values.
 */
static inline uint32_t
cls_flow_hash(const struct cls_key *key)
{
	/* each end as one number, address then port: the lower end is
	 * the lower number, found without a branch */
	const uint64_t src = (uint64_t)key->src_ip << 16 | key->sport;
	const uint64_t dst = (uint64_t)key->dst_ip << 16 | key->dport;
	const uint64_t lo = src < dst ? src : dst, hi = src < dst ? dst : src;
	uint32_t h, lo_ip = (uint32_t)(lo >> 16), hi_ip = (uint32_t)(hi >> 16);
	uint16_t lo_port = (uint16_t)lo, hi_port = (uint16_t)hi;

#if defined(__SSE4_2__)
	h = _mm_crc32_u32(CLS_HASH_SEED, lo_ip);
	h = _mm_crc32_u32(h, hi_ip);
	h = _mm_crc32_u32(h, (uint32_t)lo_port << 16 | hi_port);
	return _mm_crc32_u8(h, key->proto);
#else
	h = rte_hash_crc_4byte(lo_ip, CLS_HASH_SEED);
	h = rte_hash_crc_4byte(hi_ip, h);
	h = rte_hash_crc_4byte((uint32_t)lo_port << 16 | hi_port, h);
	return rte_hash_crc_1byte(key->proto, h);
#endif
}

/* As cls_flow_hash(), for an IPv6 key. Cannot fail. */
uint32_t cls_flow_hash6(const struct cls_key6 *key);

/*
 * Build a classifier for the rules of @c, memory on NUMA socket @socket_id
 * (or SOCKET_ID_ANY). Needs the EAL. Returns the classifier, or NULL with a
 * message in @err when a rule's target is not a chain of @c or rte_acl
 * fails (no memory).
 */
struct cls *cls_create(const struct cfg *c, int socket_id, char *err, size_t errlen);

/* Release a classifier (NULL is ignored); cannot fail. */
void cls_free(struct cls *cls);

/*
 * For each of the @n keys, set targets[i] to the target (chain index or
 * CFG_TARGET_DROP) of the first rule it matches, else to the configuration's
 * default target; cannot fail.
 */
void cls_classify(const struct cls *cls, const struct cls_key *const keys[], uint16_t n,
		  uint16_t *targets);

/*
 * For each of the @n keys, set rules[i] to the index in cfg.rules of the
 * first rule it matches, or CLS_NO_RULE (tells a default drop from a rule's
 * drop); cannot fail.
 */
void cls_match(const struct cls *cls, const struct cls_key *const keys[], uint16_t n,
	       uint32_t *rules);

/* As cls_match(), for @n IPv6 keys; cannot fail. */
void cls_match6(const struct cls *cls, const struct cls_key6 *const keys[], uint16_t n,
		uint32_t *rules);

/*
 * Return the target (chain index or CFG_TARGET_DROP) of rule @rule, or the
 * default target when @rule is CLS_NO_RULE (or any index past the rules).
 */
uint16_t cls_rule_target(const struct cls *cls, uint32_t rule);

/* The instance among @n (n >= 1) that gets flow hash @h; stable for a given n. */
static inline uint16_t
cls_pick(uint32_t h, uint16_t n)
{
	return (uint16_t)(((uint64_t)h * n) >> 32);
}

#endif /* NETVM_CLS_H */
