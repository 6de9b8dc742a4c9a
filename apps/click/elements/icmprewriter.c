/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPRewriter(MAPS [, DST_ANNO]) — rewrites ICMP errors (destination
 * unreachable, source quench, redirect, time exceeded, parameter problem)
 * about packets that a rewriter changed, so that they reach the host that
 * sent the original. MAPS is a space-separated list of IPRewriter,
 * TCPRewriter or ICMPPingRewriter elements (iprewriter.h), searched in order.
 *
 * The error quotes the IP header and first 8 bytes of the packet it is
 * about (the "inner" packet: TCP/UDP ports, or an echo's identifier). When a
 * mapping of one of MAPS knows the inner packet's flow, ICMPRewriter puts
 * back what the mapping changed: the inner addresses and ports (or the echo
 * identifier) and, as Click's, the outer destination when it named the
 * inner packet's sender (the outer source stays); the outer and inner IP
 * checksums, the inner UDP/TCP checksum (when quoted) and the ICMP checksum
 * are updated incrementally, as Click's, then it leaves on output 0. Other
 * ICMP messages (not an error, quoting no known flow, truncated) go to
 * output 1 if there is one, else are dropped; a packet that is not ICMP is
 * dropped. DST_ANNO (true) sets the destination-IP annotation; REPLY_ANNO
 * PAINT gives an error going back to a flow's initiator the paint the flow's
 * first packet had (the rewriter's REPLY_ANNO).
 * Handlers: count (errors rewritten).
 */
#include "iprewriter.h"

#define ICR_MAX_MAPS 8

struct icr {
	char *names;
	struct ck_element *maps[ICR_MAX_MAPS];
	unsigned int nmaps;
	bool dst_anno, reply_paint;
	uint64_t count;
};

static int
icr_configure(struct ck_element *e)
{
	struct icr *x = CK_PRIV(e, struct icr);
	struct ck_bytes maps = { 0 }, anno = { 0 };
	const struct ck_argdesc a[] = {
		{ "MAPS", CK_A_WORD, &maps, CK_POS | CK_MAND, NULL },
		{ "DST_ANNO", CK_A_BOOL, &x->dst_anno, 0, NULL },
		{ "REPLY_ANNO", CK_A_WORD, &anno, 0, NULL },
	};
	int rc = 0;

	x->dst_anno = true;
	if (ck_args_parse(e, a, 3) < 0) {
		free(maps.p);
		free(anno.p);
		return -EINVAL;
	}
	if (anno.p && strcmp(anno.p, "PAINT") != 0)
		rc = ck_error(e, "REPLY_ANNO: the only annotation here is PAINT");
	x->reply_paint = anno.p != NULL;
	free(anno.p);
	x->names = maps.p;
	return rc;
}

/* The MAPS elements are found once every element exists. */
static int
icr_initialize(struct ck_element *e)
{
	struct icr *x = CK_PRIV(e, struct icr);
	char **w;
	int nw = ck_args_words(x->names, &w), rc = 0;

	if (nw < 0)
		return ck_error(e, "out of memory");
	if (nw == 0 || nw > ICR_MAX_MAPS)
		rc = ck_error(e, "MAPS: expected 1 to %d rewriter elements", ICR_MAX_MAPS);
	for (int i = 0; i < nw && rc == 0; i++) {
		struct ck_element *m = ck_router_find(e->r, w[i]);

		if (!m)
			rc = ck_error(e, "MAPS: no element named '%s'", w[i]);
		else if (!rw_of(m))
			rc = ck_error(e, "MAPS: '%s' is a %s, not a rewriter", w[i], m->cls->name);
		else
			x->maps[x->nmaps++] = m;
	}
	ck_args_free(w, nw);
	return rc;
}

static void
icr_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct icr)->names);
	CK_PRIV(e, struct icr)->names = NULL;
}

static bool
is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The flow the quoted packet @in belongs to (as a rewriter keys it). Returns
 * 0, or -1 when it is not TCP, UDP or an echo, or too short. */
static int
inner_key(const struct nl_ipv4_hdr *in, const uint8_t *l4, uint32_t avail, struct rw_key *k)
{
	memset(k, 0, sizeof(*k));
	k->saddr = in->src;
	k->daddr = in->dst;
	k->proto = in->proto;
	if (avail < 8 || nl_ipv4_frag_offset(in) != 0)
		return -1;
	if (in->proto == NL_IPPROTO_TCP || in->proto == NL_IPPROTO_UDP) {
		memcpy(&k->sport, l4, 2);
		memcpy(&k->dport, l4 + 2, 2);
		return 0;
	}
	if (in->proto == NL_IPPROTO_ICMP && (l4[0] == 8 || l4[0] == 0)) {
		memcpy(l4[0] == 8 ? &k->sport : &k->dport, l4 + 4, 2);
		return 0;
	}
	return -1;
}

/* The checksum @c updated for the address @old replaced by @new. */
static uint16_t
csum_addr(uint16_t c, uint32_t old, uint32_t new)
{
	c = nl_cksum_update16(c, (uint16_t)old, (uint16_t)new);
	return nl_cksum_update16(c, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
}

/* Put the flow @nk into the quoted packet (its checksums included). */
static void
set_inner(struct nl_ipv4_hdr *in, uint8_t *l4, uint32_t avail, const struct rw_key *nk)
{
	uint16_t *w = (uint16_t *)(void *)l4;

	if (in->proto == NL_IPPROTO_ICMP) {
		uint16_t id = l4[0] == 8 ? nk->sport : nk->dport;

		w[1] = nl_cksum_update16(w[1], w[2], id);
		w[2] = id;
	} else {
		uint16_t *sum = NULL;

		if (in->proto == NL_IPPROTO_UDP && w[3] != 0)
			sum = &w[3];
		else if (in->proto == NL_IPPROTO_TCP && avail >= 18)
			sum = &w[8];
		if (sum) {
			uint16_t c = *sum;

			c = nl_cksum_update16(c, (uint16_t)in->src, (uint16_t)nk->saddr);
			c = nl_cksum_update16(c, (uint16_t)(in->src >> 16), (uint16_t)(nk->saddr >> 16));
			c = nl_cksum_update16(c, (uint16_t)in->dst, (uint16_t)nk->daddr);
			c = nl_cksum_update16(c, (uint16_t)(in->dst >> 16), (uint16_t)(nk->daddr >> 16));
			c = nl_cksum_update16(c, w[0], nk->sport);
			c = nl_cksum_update16(c, w[1], nk->dport);
			*sum = c;
		}
		w[0] = nk->sport;
		w[1] = nk->dport;
	}
	/* as Click's, the quoted header's checksum is updated, not recomputed
	 * (a wrong one stays wrong) */
	in->cksum = nl_cksum_update16(in->cksum, (uint16_t)in->src, (uint16_t)nk->saddr);
	in->cksum = nl_cksum_update16(in->cksum, (uint16_t)(in->src >> 16),
				      (uint16_t)(nk->saddr >> 16));
	in->cksum = nl_cksum_update16(in->cksum, (uint16_t)in->dst, (uint16_t)nk->daddr);
	in->cksum = nl_cksum_update16(in->cksum, (uint16_t)(in->dst >> 16),
				      (uint16_t)(nk->daddr >> 16));
	in->src = nk->saddr;
	in->dst = nk->daddr;
}

static void
icr_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct icr *x = CK_PRIV(e, struct icr);
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p), *in;
	struct rw_key k, rk, nk;
	uint8_t *icmp, *il4;
	uint32_t avail, ilen, hl;
	uint16_t sum, qsum;
	int32_t id = -1;
	struct rw_flow *f = NULL;

	(void)port;
	if (!ip || ip->proto != NL_IPPROTO_ICMP) {
		ck_pkt_kill(e, p); /* as Click's */
		return;
	}
	if (nl_ipv4_frag_offset(ip) != 0)
		goto other;
	icmp = (uint8_t *)ip + nl_ipv4_hdr_len(ip);
	avail = ck_pkt_avail(p, icmp);
	hl = nl_ntoh16(ip->total_len) - nl_ipv4_hdr_len(ip);
	if (hl < avail)
		avail = hl;
	if (avail < 8 + 20 || !is_error(icmp[0]))
		goto other;
	in = (struct nl_ipv4_hdr *)(void *)(icmp + 8);
	ilen = nl_ipv4_hdr_len(in);
	if (nl_ipv4_version(in) != 4 || ilen < 20 || avail < 8 + ilen)
		goto other;
	il4 = icmp + 8 + ilen;
	if (inner_key(in, il4, avail - 8 - ilen, &k) < 0)
		goto other;
	/* the quoted packet went one way through the rewriter; the mapping knows
	 * the flow coming back, which is what the quote's reverse is */
	rk = rw_key_reverse(&k);
	for (unsigned int i = 0; i < x->nmaps && id < 0; i++) {
		struct rw *m = rw_of(x->maps[i]);

		if (m->flows) {
			id = rw_table_lookup(m, &rk, ck_now(e->r));
			f = id >= 0 ? &m->flows[id >> 1] : NULL;
		}
	}
	if (id < 0)
		goto other;
	rw_flow_map(f, (unsigned int)(id & 1), &nk);
	nk = rw_key_reverse(&nk);
	/* as Click's: only the outer destination, when it named the quoted
	 * packet's sender, changes (the outer source stays); the checksums are
	 * updated, not recomputed (a wrong one stays wrong) */
	if (ip->dst == in->src) {
		ip->cksum = csum_addr(ip->cksum, ip->dst, nk.saddr);
		ip->dst = nk.saddr;
		if (x->dst_anno)
			p->a.dst_ip = ip->dst;
	}
	memcpy(&sum, icmp + 2, 2);
	qsum = (uint16_t)~nl_cksum(icmp + 8, ilen + 8, 0);
	set_inner(in, il4, avail - 8 - ilen, &nk);
	sum = nl_cksum_update16(sum, qsum, (uint16_t)~nl_cksum(icmp + 8, ilen + 8, 0));
	memcpy(icmp + 2, &sum, 2);
	if (x->reply_paint && (id & 1))
		p->a.paint = f->reply_anno;
	x->count++;
	ck_push_out(e, 0, p);
	return;
other:
	if (e->nout > 1)
		ck_push_out(e, 1, p);
	else
		ck_pkt_kill(e, p);
}

static const struct ck_handler icr_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct icr, count), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_ICMPRewriter = {
	.name = "ICMPRewriter", .ports = "1/1-2", .processing = "h/h",
	.priv_size = sizeof(struct icr),
	.configure = icr_configure,
	.initialize = icr_initialize,
	.push = icr_push,
	.handlers = icr_handlers,
	.cleanup = icr_cleanup,
};
