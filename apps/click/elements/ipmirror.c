/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPMirror([DST_ANNO]) — swaps the IP source and destination addresses (IP
 * header annotation) and, for TCP and UDP in a first or only fragment, the
 * ports (TCP: also the sequence and acknowledgment numbers, when the 12
 * bytes are there); the checksums stay valid (the sums are unchanged). With
 * DST_ANNO (default true) the destination-IP annotation becomes the new
 * destination.
 * Packets without an IP header pass unchanged.
 */
#include "ck_elem.h"

struct ipmirror {
	bool dst_anno;
};

static int
ipmirror_configure(struct ck_element *e)
{
	struct ipmirror *x = CK_PRIV(e, struct ipmirror);
	const struct ck_argdesc a[] = {
		{ "DST_ANNO", CK_A_BOOL, &x->dst_anno, CK_POS, NULL },
	};

	x->dst_anno = true;
	return ck_args_parse(e, a, 1) < 0 ? -EINVAL : 0;
}

static struct ck_pkt *
ipmirror_action(struct ck_element *e, struct ck_pkt *p)
{
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	uint32_t t, hl;
	uint8_t *l4, b[2], sq[4];

	if (!ip)
		return p;
	t = ip->src;
	ip->src = ip->dst;
	ip->dst = t;
	if (CK_PRIV(e, struct ipmirror)->dst_anno)
		p->a.dst_ip = ip->dst;
	hl = (uint32_t)(ip->ver_ihl & 0xf) * 4;
	l4 = (uint8_t *)ip + hl;
	if ((ip->proto == NL_IPPROTO_TCP || ip->proto == NL_IPPROTO_UDP) &&
	    (nl_ntoh16(ip->frag_off) & 0x1fff) == 0 && ck_pkt_avail(p, l4) >= 4 && hl >= 20) {
		memcpy(b, l4, 2);
		memcpy(l4, l4 + 2, 2);
		memcpy(l4 + 2, b, 2);
		/* as Click's: TCP's sequence and acknowledgment numbers too */
		if (ip->proto == NL_IPPROTO_TCP && ck_pkt_avail(p, l4) >= 12) {
			memcpy(sq, l4 + 4, 4);
			memcpy(l4 + 4, l4 + 8, 4);
			memcpy(l4 + 8, sq, 4);
		}
	}
	return p;
}

const struct ck_element_class ck_class_IPMirror = {
	.name = "IPMirror", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipmirror),
	.configure = ipmirror_configure,
	.action = ipmirror_action,
};
