/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_cls.c — the classifier's key extraction (cls_key_extract, core/cls.c)
 * on any frame, cross-checked with netlib's parser (nl_parse, nl_hdr.c):
 * both implement the same rules (docs/config.md, docs/l3fwd.md), written
 * twice, so each is the other's reference; IPv6's extension headers are
 * walked by the same netlib function in both, what is around the walk (the
 * lengths, the transport header) is written twice.
 *
 * Input: one byte of input port, then the frame.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "cls.h"
#include "frags.h"
#include "fuzz.h"
#include "nl_hdr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *frame = data + 1;
	struct nl_parsed p;
	struct cls_key key, zero;
	struct cls_key6 key6;
	uint32_t len;
	uint16_t in_port;
	int rk, rp;

	if (size < 1 || size - 1 > UINT16_MAX)
		return 0;
	in_port = data[0];
	len = (uint32_t)(size - 1);
	rk = cls_key_extract(frame, len, in_port, &key, &key6);
	rp = nl_parse(frame, len, &p);

	FUZZ_CHECK(rk == CLS_IPV4 || rk == CLS_IPV4_FRAG || rk == CLS_IPV6 || rk == CLS_IPV6_FRAG ||
		   rk == CLS_OTHER || rk == -EINVAL,
		   "returned %d", rk);
	FUZZ_CHECK(key.in_port == in_port, "in_port %u, frame came on %u", key.in_port, in_port);
	FUZZ_CHECK(key.pad0[0] == 0 && key.pad0[1] == 0 && key.pad0[2] == 0 && key.pad1 == 0,
		   "padding not zero");
	if (rk != CLS_IPV4 && rk != CLS_IPV4_FRAG) {
		/* a frame that is neither IP: the input port as source 0.0.0.P too */
		memset(&zero, 0, sizeof(zero));
		zero.in_port = (uint8_t)in_port;
		if (rk == CLS_OTHER)
			zero.src_ip = htonl(in_port);
		FUZZ_CHECK(memcmp(&key, &zero, sizeof(key)) == 0,
			   "key of a non-IPv4 or bad frame (%d) holds more than in_port", rk);
	}
	if (len < NL_ETHER_HDR_LEN) {
		FUZZ_CHECK(rk == -EINVAL && rp == -EINVAL, "short frame: cls %d nl %d", rk, rp);
		return 0;
	}
	if (p.ethertype == NL_ETHERTYPE_IPV6) {
		/* IPv6: both accept or both refuse the same frames (both walk
		 * the extension headers), and agree on the protocol, the
		 * addresses, the ports and what is a fragment */
		FUZZ_CHECK((rk == CLS_IPV6 || rk == CLS_IPV6_FRAG) == (rp == 0),
			   "IPv6 frame of %u bytes: cls %d, nl_parse %d", len, rk, rp);
		if (rk < 0)
			return 0;
		FUZZ_CHECK((rk == CLS_IPV6_FRAG) == (p.is_fragment != 0),
			   "IPv6 fragment: cls %d, nl_parse %u", rk, p.is_fragment);
		FUZZ_CHECK(key6.in_port == in_port && key6.pad1 == 0 && key6.pad2 == 0,
			   "IPv6 key: in_port or padding");
		FUZZ_CHECK(key6.proto == p.proto, "IPv6 proto %u vs %u", key6.proto, p.proto);
		FUZZ_CHECK(memcmp(key6.src, p.src.v6, 16) == 0 && memcmp(key6.dst, p.dst.v6, 16) == 0,
			   "IPv6 addresses differ");
		if (p.has_ports)
			FUZZ_CHECK(key6.sport == htons(p.sport) && key6.dport == htons(p.dport),
				   "IPv6 ports differ");
		else
			FUZZ_CHECK(key6.sport == 0 && key6.dport == 0, "IPv6 ports set for proto %u",
				   p.proto);
		FUZZ_CHECK(cls_flow_hash6(&key6) == cls_flow_hash6(&key6), "hash not stable");
		/* a fragment's identity reads only what the extraction checked
		 * (the sanitizer sees any read past); first: offset 0, where
		 * nl_parse() found the upper-layer header (unless ESP or none) */
		if (rk == CLS_IPV6_FRAG) {
			struct core_frag_id f;

			core_frag_id_of(frame, &f);
			FUZZ_CHECK(f.v6 == 1 && f.proto == 0, "IPv6 fragment: v6 %u proto %u", f.v6,
				   f.proto);
			if (p.l4_off != 0)
				FUZZ_CHECK(f.first == 1, "IPv6 first fragment not first");
			if (p.proto == NL_IPPROTO_TCP || p.proto == NL_IPPROTO_UDP)
				FUZZ_CHECK(f.first == (p.l4_off != 0),
					   "IPv6 fragment: first %u, nl_parse l4_off %u", f.first,
					   p.l4_off);
		}
		return 0;
	}
	if (p.ethertype != NL_ETHERTYPE_IPV4) {
		/* Not IPv4: only its port counts; a cut 802.1Q tag is malformed. */
		int cut_tag = len < NL_ETHER_HDR_LEN + NL_VLAN_HDR_LEN &&
			      frame[12] == 0x81 && frame[13] == 0x00;

		FUZZ_CHECK(rk == (cut_tag ? -EINVAL : 0), "ethertype %#x: cls %d nl %d",
			   p.ethertype, rk, rp);
		if (cut_tag)
			FUZZ_CHECK(rp == -EINVAL, "cut 802.1Q tag: nl_parse %d", rp);
		return 0;
	}
	/* IPv4: both accept or both refuse the same frames, and agree on the tuple. */
	FUZZ_CHECK((rk == CLS_IPV4 || rk == CLS_IPV4_FRAG) == (rp == 0),
		   "IPv4 frame of %u bytes: cls %d, nl_parse %d", len, rk, rp);
	if (rk < 0)
		return 0;
	FUZZ_CHECK((rk == CLS_IPV4_FRAG) == (p.is_fragment != 0), "fragment: cls %d, nl_parse %u",
		   rk, p.is_fragment);
	FUZZ_CHECK(key.ipv4 == 1, "ipv4 flag %u", key.ipv4);
	FUZZ_CHECK(key.proto == p.proto, "proto %u vs %u", key.proto, p.proto);
	FUZZ_CHECK(key.src_ip == htonl(p.src.v4) && key.dst_ip == htonl(p.dst.v4),
		   "addresses differ");
	if (p.has_ports)
		FUZZ_CHECK(key.sport == htons(p.sport) && key.dport == htons(p.dport),
			   "ports %u/%u vs %u/%u", ntohs(key.sport), ntohs(key.dport),
			   p.sport, p.dport);
	else
		FUZZ_CHECK(key.sport == 0 && key.dport == 0, "ports set for proto %u frag %u",
			   p.proto, p.is_fragment);
	/* Same flow, same hash: the hash reads only the key. */
	FUZZ_CHECK(cls_flow_hash(&key) == cls_flow_hash(&key), "hash not stable");
	if (rk == CLS_IPV4_FRAG) {
		struct core_frag_id f;

		core_frag_id_of(frame, &f);
		FUZZ_CHECK(f.v6 == 0 && f.proto == key.proto && f.first == (p.l4_off != 0),
			   "IPv4 fragment identity: first %u, nl_parse l4_off %u", f.first, p.l4_off);
	}
	return 0;
}
