/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPPingResponder — turns an ICMP echo request (IP header annotation) into
 * its echo reply in place, as Click's: addresses swapped, fragment field 0,
 * TTL 255, type and code 0, both checksums updated incrementally (a wrong
 * one stays wrong), destination-IP annotation the new destination, the
 * timestamp annotation now, paint 0.
 * Everything else goes to output 1 when it exists, else is dropped; so is
 * an echo request that is a fragment or too short.
 */
#include "ck_elem.h"

struct pingresp {
	uint64_t count, other;
};

static struct ck_pkt *
pingresp_action(struct ck_element *e, struct ck_pkt *p)
{
	struct pingresp *x = CK_PRIV(e, struct pingresp);
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	uint8_t *ic;
	uint32_t hl, len, t;
	uint16_t c, ow, nw;
	uint64_t now;

	if (!ip || ip->proto != NL_IPPROTO_ICMP || (nl_ntoh16(ip->frag_off) & 0x3fff))
		goto other;
	hl = (uint32_t)(ip->ver_ihl & 0xf) * 4;
	len = nl_ntoh16(ip->total_len);
	ic = (uint8_t *)ip + hl;
	if (len < hl + 8 || ck_pkt_avail(p, (uint8_t *)ip) < len || ic[0] != 8)
		goto other;
	t = ip->src;
	ip->src = ip->dst;
	ip->dst = t;
	/* as Click's: the fragment field cleared, TTL 255 and the type/code
	 * word, each checksum updated from the request's (RFC 1624) */
	ip->cksum = nl_cksum_update16(ip->cksum, ip->frag_off, 0);
	ip->frag_off = 0;
	memcpy(&ow, (uint8_t *)ip + 8, 2); /* TTL, protocol */
	ip->ttl = 255;
	memcpy(&nw, (uint8_t *)ip + 8, 2);
	ip->cksum = nl_cksum_update16(ip->cksum, ow, nw);
	memcpy(&ow, ic, 2);
	ic[0] = 0;
	ic[1] = 0;
	memcpy(&nw, ic, 2);
	memcpy(&c, ic + 2, 2);
	c = nl_cksum_update16(c, ow, nw);
	memcpy(ic + 2, &c, 2);
	now = ck_now(e->r);
	p->a.ts_sec = (int64_t)(now / 1000000000u);
	p->a.ts_usec = (uint32_t)(now % 1000000000u / 1000u);
	p->a.paint = 0;
	p->a.dst_ip = ip->dst;
	x->count++;
	return p;
other:
	x->other++;
	if (e->nout > 1)
		ck_push_out(e, 1, p);
	else
		ck_pkt_kill(e, p);
	return NULL;
}

static const struct ck_handler pingresp_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct pingresp, count), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_ICMPPingResponder = {
	.name = "ICMPPingResponder", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct pingresp),
	.handlers = pingresp_handlers,
	.action = pingresp_action,
};
