/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFragmenter(MTU, HONOR_DF, VERBOSE) — a packet whose IP length is at most
 * MTU leaves on output 0; one with DF set (HONOR_DF true), or whose header
 * leaves fewer than 8 data bytes, goes to output 1 or is dropped, with
 * Click's "IPFragmenter(MTU) DF SRC DST len=LEN" line for the first five
 * (every one with VERBOSE); others are cut into fragments of
 * (MTU - header) & ~7 data bytes, emitted in order on output 0, DF cleared
 * (HONOR_DF false). The first fragment is the packet
 * itself, cut in place; later ones are fresh buffers carrying the options
 * whose "copied" bit is set and every annotation. Headers and checksums
 * are recomputed. Bytes before the IP header (if any) are copied too (Click's
 * later fragments start at the IP header). The IP length, not the packet's,
 * decides whether a packet is cut (Click's counts trailing bytes too).
 */
#include "ck_elem.h"

struct ipfrag {
	int64_t mtu;
	bool honor_df, verbose;
	uint64_t fragments, drops;
};

static int
ipfrag_configure(struct ck_element *e)
{
	struct ipfrag *x = CK_PRIV(e, struct ipfrag);
	int64_t headroom = 0;
	const struct ck_argdesc a[] = {
		{ "MTU", CK_A_INT, &x->mtu, CK_POS | CK_MAND, NULL },
		{ "HONOR_DF", CK_A_BOOL, &x->honor_df, CK_POS, NULL },
		{ "VERBOSE", CK_A_BOOL, &x->verbose, CK_POS, NULL },
		{ "HEADROOM", CK_A_INT, &headroom, 0, NULL },
	};

	x->honor_df = true;
	if (ck_args_parse(e, a, 4) < 0)
		return -EINVAL;
	if (x->mtu < 8)
		return ck_error(e, "MTU must be at least 8");
	if (x->mtu > 65535)
		return ck_error(e, "MTU must be at most 65535");
	return 0;
}

/* Options of @ip (header length @hl) that are copied into later fragments. */
static uint32_t
copied_options(const uint8_t *ip, uint32_t hl, uint8_t *out)
{
	uint32_t n = 0;

	for (uint32_t i = 20; i < hl;) {
		uint8_t t = ip[i], l;

		if (t == 0)
			break;
		if (t == 1) {
			i++;
			continue;
		}
		l = i + 1 < hl ? ip[i + 1] : 0;
		if (l < 2 || i + l > hl)
			break;
		if (t & 0x80) {
			memcpy(out + n, ip + i, l);
			n += l;
		}
		i += l;
	}
	while (n % 4)
		out[n++] = 0;
	return n;
}

static void
ipfrag_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct ipfrag *x = CK_PRIV(e, struct ipfrag);
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	uint32_t hl, len, pre, chunk, ohl, off0;
	uint8_t opts[40];
	struct ck_pkt *head = NULL, **tail = &head;
	uint16_t fo;

	(void)port;
	if (!ip || nl_ntoh16(ip->total_len) <= (uint64_t)x->mtu) {
		ck_push_out(e, 0, p);
		return;
	}
	fo = nl_ntoh16(ip->frag_off);
	hl = (ip->ver_ihl & 0x0f) * 4u;
	if (((fo & NL_IPV4_DF) && x->honor_df) || (uint64_t)hl + 8 > (uint64_t)x->mtu) {
		char s[16], d[16];

		if (x->verbose || x->drops < 5)
			/* LEN: the packet's length, bytes before the IP header too */
			fprintf(ck_errf(e->r), "IPFragmenter(%u) DF %s %s len=%u\n",
				(unsigned int)x->mtu, ck_ip_str(ip->src, s), ck_ip_str(ip->dst, d),
				p->len);
		x->drops++;
		ck_push_out(e, 1, p);
		return;
	}
	/* HONOR_DF false: the fragments go without DF, as Click's */
	fo &= (uint16_t)~NL_IPV4_DF;
	len = nl_ntoh16(ip->total_len);
	if (hl < 20 || len > ck_pkt_avail(p, p->a.ip)) {
		x->drops++;
		ck_pkt_kill(e, p);
		return;
	}
	pre = (uint32_t)(p->a.ip - p->data);
	ohl = 20 + copied_options(p->a.ip, hl, opts);
	chunk = ((uint32_t)x->mtu - hl) & ~7u;
	off0 = (fo & NL_IPV4_OFF_MASK) * 8u;
	for (uint32_t at = chunk; at < len - hl;) {
		uint32_t c = ((uint32_t)x->mtu - ohl) & ~7u, n;
		struct ck_pkt *q;
		struct nl_ipv4_hdr *qi;

		n = len - hl - at < c ? len - hl - at : c;
		q = ck_pkt_new(e, pre + ohl + n);
		if (!q) {
			x->drops++;
			break;
		}
		memcpy(q->data, p->data, pre + 20);
		memcpy(q->data + pre + 20, opts, ohl - 20);
		memcpy(q->data + pre + ohl, p->a.ip + hl + at, n);
		q->a = p->a;
		q->a.mac = p->a.mac ? q->data + (p->a.mac - p->data) : NULL;
		q->a.ip = q->data + pre;
		qi = (struct nl_ipv4_hdr *)q->a.ip;
		qi->ver_ihl = (uint8_t)(0x40 | ohl / 4);
		qi->total_len = nl_hton16((uint16_t)(ohl + n));
		qi->frag_off = nl_hton16((uint16_t)((fo & ~NL_IPV4_OFF_MASK & ~NL_IPV4_MF) |
						    ((off0 + at) / 8) |
						    (at + n < len - hl || (fo & NL_IPV4_MF) ?
						     NL_IPV4_MF : 0)));
		qi->cksum = 0;
		qi->cksum = nl_ipv4_hdr_cksum(qi);
		*tail = q;
		tail = &q->next;
		at += n;
	}
	/* the packet itself becomes the first fragment */
	ck_pkt_take(p, p->len - (pre + hl + chunk));
	ip->total_len = nl_hton16((uint16_t)(hl + chunk));
	ip->frag_off = nl_hton16((uint16_t)(fo | NL_IPV4_MF));
	ip->cksum = 0;
	ip->cksum = nl_ipv4_hdr_cksum(ip);
	x->fragments++;
	ck_push_out(e, 0, p);
	while (head) {
		struct ck_pkt *n = head->next;

		head->next = NULL;
		x->fragments++;
		ck_push_out(e, 0, head);
		head = n;
	}
}

static const struct ck_handler ipfrag_handlers[] = {
	{ "fragments", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipfrag, fragments), NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipfrag, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_IPFragmenter = {
	.name = "IPFragmenter", .ports = "1/1-2", .processing = "h/h",
	.priv_size = sizeof(struct ipfrag), .configure = ipfrag_configure,
	.push = ipfrag_push, .handlers = ipfrag_handlers,
};
