/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPEncap(PROTO, SRC, DST [, TTL, TOS, DF]) — prepends a 20-byte IPv4 header
 * (protocol PROTO: a number 0..255 or a name, as Click's: dccp, gre, icmp,
 * igmp, ipip, sctp, tcp, udp, then the system's protocols; TTL default 250, TOS
 * 0, DF false; IDs 0, 1, 2, ... per element) in the packet's headroom, sets
 * the IP header and destination-IP annotations. DST may be DST_ANNO: the
 * packet's destination-IP annotation. A packet without 20 bytes of headroom
 * or longer than 65515 bytes is dropped and counted (drops).
 * UDPIPEncap(SRC, SPORT, DST, DPORT [, CHECKSUM]) — prepends IPv4 (TTL 250)
 * and UDP headers, with the UDP checksum unless CHECKSUM false (a sum of 0
 * written FFFF). DST may be DST_ANNO, as IPEncap's. Ports are numbers or
 * names ("domain", "http"), as Click's.
 */

#include <netdb.h>

#include "ck_elem.h"

struct ipencap {
	uint32_t src, dst;
	int64_t proto, ttl, tos, sport, dport;
	bool df, dst_anno, cksum;
	uint16_t id;
	uint64_t count, drops;
};

static int
proto_value(const struct ck_bytes *w, int64_t *v)
{
	static const struct {
		const char *name;
		int n;
	} names[] = { { "dccp", 33 }, { "gre", 47 }, { "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 },
		      { "sctp", 132 }, { "tcp", 6 }, { "udp", 17 } };
	const struct protoent *pe;
	char buf[64];

	if (w->len == 0 || w->len >= sizeof(buf))
		return -1;
	memcpy(buf, w->p, w->len);
	buf[w->len] = '\0';
	if (ck_parse_int(buf, v) == 0)
		return *v < 0 || *v > 255 ? -1 : 0;
	/* as Click's userlevel: its names, then the system's protocols database */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(buf, names[i].name) == 0) {
			*v = names[i].n;
			return 0;
		}
	pe = getprotobyname(buf);
	if (!pe || pe->p_proto < 0 || pe->p_proto > 255)
		return -1;
	*v = pe->p_proto;
	return 0;
}

/* DST: DST_ANNO, an address or an AddressInfo name. */
static int
dst_value(struct ck_element *e, struct ipencap *x, const struct ck_bytes *w)
{
	char buf[256];

	if (w->len >= sizeof(buf))
		return -1;
	memcpy(buf, w->p, w->len);
	buf[w->len] = '\0';
	if (strcmp(buf, "DST_ANNO") == 0) {
		x->dst_anno = true;
		return 0;
	}
	return ck_parse_ip(e->r, buf, &x->dst) < 0 ? -1 : 0;
}

static int
ipencap_configure(struct ck_element *e)
{
	struct ipencap *x = CK_PRIV(e, struct ipencap);
	struct ck_bytes proto = { 0 }, dst = { 0 };
	const struct ck_argdesc a[] = {
		{ "PROTO", CK_A_WORD, &proto, CK_POS | CK_MAND, NULL },
		{ "SRC", CK_A_IP, &x->src, CK_POS | CK_MAND, NULL },
		{ "DST", CK_A_WORD, &dst, CK_POS | CK_MAND, NULL },
		{ "TTL", CK_A_INT, &x->ttl, 0, NULL },
		{ "TOS", CK_A_INT, &x->tos, 0, NULL },
		{ "DF", CK_A_BOOL, &x->df, 0, NULL },
	};
	int rc = 0;

	x->ttl = 250;
	if (ck_args_parse(e, a, 6) < 0)
		rc = -EINVAL;
	else if (proto_value(&proto, &x->proto) < 0)
		rc = ck_error(e, "PROTO: expected IP protocol");
	else if (dst_value(e, x, &dst) < 0)
		rc = ck_error(e, "DST: expected IP address or DST_ANNO");
	else if (x->ttl < 0 || x->ttl > 255 || x->tos < 0 || x->tos > 255)
		rc = ck_error(e, "TTL and TOS must be 0..255");
	free(proto.p);
	free(dst.p);
	return rc;
}

/* Prepend an IPv4 header of protocol @proto over the packet; NULL when no room. */
static struct nl_ipv4_hdr *
encap_ip(struct ipencap *x, struct ck_pkt *p, uint8_t proto)
{
	uint32_t len = p->len + 20;
	struct nl_ipv4_hdr *ip;

	if (len > 65535)
		return NULL;
	ip = (struct nl_ipv4_hdr *)ck_pkt_push(p, 20);
	if (!ip)
		return NULL;
	ip->ver_ihl = 0x45;
	ip->tos = (uint8_t)x->tos;
	ip->total_len = nl_hton16((uint16_t)len);
	ip->id = nl_hton16(x->id++);
	ip->frag_off = x->df ? nl_hton16(0x4000) : 0;
	ip->ttl = (uint8_t)x->ttl;
	ip->proto = proto;
	ip->src = x->src;
	ip->dst = x->dst_anno ? p->a.dst_ip : x->dst;
	ip->cksum = 0;
	ip->cksum = nl_ipv4_hdr_cksum(ip);
	p->a.ip = (uint8_t *)ip;
	p->a.dst_ip = ip->dst;
	return ip;
}

static struct ck_pkt *
ipencap_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipencap *x = CK_PRIV(e, struct ipencap);

	if (!encap_ip(x, p, (uint8_t)x->proto)) {
		x->drops++;
		ck_pkt_kill(e, p);
		return NULL;
	}
	x->count++;
	return p;
}

static int
udpipencap_configure(struct ck_element *e)
{
	struct ipencap *x = CK_PRIV(e, struct ipencap);
	struct ck_bytes dst = { 0 };
	const struct ck_argdesc a[] = {
		{ "SRC", CK_A_IP, &x->src, CK_POS | CK_MAND, NULL },
		{ "SPORT", CK_A_UDPPORT, &x->sport, CK_POS | CK_MAND, NULL },
		{ "DST", CK_A_WORD, &dst, CK_POS | CK_MAND, NULL },
		{ "DPORT", CK_A_UDPPORT, &x->dport, CK_POS | CK_MAND, NULL },
		{ "CHECKSUM", CK_A_BOOL, &x->cksum, CK_POS, NULL },
	};
	int rc = 0;

	x->ttl = 250;
	x->cksum = true;
	if (ck_args_parse(e, a, 5) < 0)
		rc = -EINVAL;
	else if (dst_value(e, x, &dst) < 0)
		rc = ck_error(e, "DST: expected IP address or DST_ANNO");
	free(dst.p);
	return rc;
}

static struct ck_pkt *
udpipencap_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipencap *x = CK_PRIV(e, struct ipencap);
	uint32_t ulen = p->len + 8;
	struct nl_udp_hdr *u;
	struct nl_ipv4_hdr *ip;

	if (ulen > 65535 - 20 || !(u = (struct nl_udp_hdr *)ck_pkt_push(p, 8)))
		goto drop;
	u->sport = nl_hton16((uint16_t)x->sport);
	u->dport = nl_hton16((uint16_t)x->dport);
	u->len = nl_hton16((uint16_t)ulen);
	u->cksum = 0;
	ip = encap_ip(x, p, NL_IPPROTO_UDP);
	if (!ip) {
		ck_pkt_pull(p, 8);
		goto drop;
	}
	if (x->cksum)
		u->cksum = nl_ipv4_l4_cksum(ip, u, ulen);
	x->count++;
	return p;
drop:
	x->drops++;
	ck_pkt_kill(e, p);
	return NULL;
}

static const struct ck_handler ipencap_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipencap, count), NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipencap, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_IPEncap = {
	.name = "IPEncap", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipencap),
	.configure = ipencap_configure,
	.action = ipencap_action,
	.handlers = ipencap_handlers,
};

const struct ck_element_class ck_class_UDPIPEncap = {
	.name = "UDPIPEncap", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipencap),
	.configure = udpipencap_configure,
	.action = udpipencap_action,
	.handlers = ipencap_handlers,
};
