/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPError(SRC, TYPE [, CODE], BADADDRS, MTU, PMTU) — replaces an IP packet
 * (IP header annotation) by an ICMP error from SRC to its source, quoting as
 * much of it as fits in MTU (576). TYPE/CODE are numbers or names
 * (unreachable/net/host/protocol/port/needfrag, timeexceeded/transit/
 * reassembly, parameterproblem, redirect, sourcequench). The error gets TTL
 * 255, the destination-IP and fix-ip-src annotations; the gateway of a
 * redirect comes from the destination-IP annotation, a parameter problem's
 * pointer from the param-off annotation. Nothing is sent for ICMP errors,
 * later fragments, link broadcasts, and bad (zero, broadcast, multicast,
 * BADADDRS) sources: those packets are dropped.
 */
#include <arpa/inet.h>

#include "ck_elem.h"

struct icmperr {
	uint32_t src;
	int64_t type, code, mtu, pmtu;
	uint32_t bad[16];
	unsigned int nbad;
	uint16_t id;
	uint64_t sent, suppressed;
};

static int
name_or_number(const char *s, const char *const *names, int64_t *v)
{
	for (int i = 0; names[i]; i++) {
		if (names[i][0] && strcmp(s, names[i]) == 0) {
			*v = i;
			return 0;
		}
	}
	return ck_parse_int(s, v);
}

static int
icmperr_configure(struct ck_element *e)
{
	static const char *const types[] = { "echo-reply", "", "", "unreachable", "sourcequench",
		"redirect", "", "", "echo", "", "", "timeexceeded", "parameterproblem", NULL };
	static const char *const unreach[] = { "net", "host", "protocol", "port", "needfrag",
		"srcroutefail", NULL };
	static const char *const exceeded[] = { "transit", "reassembly", NULL };
	static const char *const redirect[] = { "net", "host", "tos-net", "tos-host", NULL };
	struct icmperr *x = CK_PRIV(e, struct icmperr);
	struct ck_bytes type = { 0 }, code = { 0 }, bad = { 0 };
	bool fix = true;
	const struct ck_argdesc a[] = {
		{ "SRC", CK_A_IP, &x->src, CK_POS | CK_MAND, NULL },
		{ "TYPE", CK_A_WORD, &type, CK_POS | CK_MAND, NULL },
		{ "CODE", CK_A_WORD, &code, CK_POS, NULL },
		{ "BADADDRS", CK_A_WORD, &bad, CK_POS, NULL },
		{ "MTU", CK_A_INT, &x->mtu, 0, NULL },
		{ "PMTU", CK_A_INT, &x->pmtu, 0, NULL },
		{ "USE_FIX_ANNO", CK_A_BOOL, &fix, 0, NULL },
	};
	int rc;

	x->mtu = 576;
	rc = ck_args_parse(e, a, 7);
	if (rc == 0 && name_or_number(type.p, types, &x->type) < 0)
		rc = ck_error(e, "unknown ICMP type '%s'", type.p);
	if (rc == 0 && code.p) {
		const char *const *names = x->type == 3 ? unreach : x->type == 11 ? exceeded :
					   x->type == 5 ? redirect : NULL;
		static const char *const none[] = { NULL };

		if (name_or_number(code.p, names ? names : none, &x->code) < 0)
			rc = ck_error(e, "unknown ICMP code '%s'", code.p);
	}
	if (rc == 0 && bad.p) {
		char **w;
		int n = ck_args_words(bad.p, &w);

		for (int i = 0; i < n && rc == 0 && x->nbad < 16; i++)
			if (ck_parse_ip(e->r, w[i], &x->bad[x->nbad++]) < 0)
				rc = ck_error(e, "BADADDRS: bad address '%s'", w[i]);
		if (n >= 0)
			ck_args_free(w, n);
	}
	if (rc == 0 && (x->mtu < 68 || x->mtu > 65535))
		rc = ck_error(e, "MTU must be 68..65535");
	free(type.p);
	free(code.p);
	free(bad.p);
	return rc;
}

static bool
suppress(const struct icmperr *x, const struct ck_pkt *p, const struct nl_ipv4_hdr *ip)
{
	uint32_t s = ntohl(ip->src);
	const uint8_t *th = ck_pkt_transport(p);

	if (p->a.ptype == CK_PT_BROADCAST || p->a.ptype == CK_PT_MULTICAST)
		return true;
	if (s == 0 || s == 0xffffffffu || (s >> 28) == 14 || (ntohl(ip->dst) >> 28) == 14)
		return true;
	for (unsigned int i = 0; i < x->nbad; i++)
		if (ip->src == x->bad[i])
			return true;
	if (nl_ipv4_frag_offset(ip) != 0)
		return true;
	if (ip->proto == NL_IPPROTO_ICMP && ck_pkt_avail(p, th) >= 1 &&
	    th[0] != 0 && th[0] != 8 && th[0] != 13 && th[0] != 14 && th[0] != 15 &&
	    th[0] != 16 && th[0] != 17 && th[0] != 18)
		return true;
	return false;
}

static struct ck_pkt *
icmperr_action(struct ck_element *e, struct ck_pkt *p)
{
	struct icmperr *x = CK_PRIV(e, struct icmperr);
	const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	uint32_t qlen, avail;
	struct ck_pkt *q;
	struct nl_ipv4_hdr *nip;
	uint8_t *ic;

	if (!ip || suppress(x, p, ip)) {
		x->suppressed++;
		ck_pkt_kill(e, p);
		return NULL;
	}
	avail = ck_pkt_avail(p, p->a.ip);
	qlen = nl_ntoh16(ip->total_len);
	if (qlen > avail)
		qlen = avail;
	if (qlen > (uint32_t)x->mtu - 28)
		qlen = (uint32_t)x->mtu - 28;
	q = ck_pkt_new(e, 28 + qlen);
	if (!q) {
		ck_pkt_kill(e, p);
		return NULL;
	}
	nip = (struct nl_ipv4_hdr *)q->data;
	memset(q->data, 0, 28);
	nip->ver_ihl = 0x45;
	nip->total_len = nl_hton16((uint16_t)(28 + qlen));
	nip->id = nl_hton16(++x->id);
	nip->ttl = 255;
	nip->proto = NL_IPPROTO_ICMP;
	nip->src = x->src;
	nip->dst = ip->src;
	nip->cksum = nl_ipv4_hdr_cksum(nip);
	ic = q->data + 20;
	ic[0] = (uint8_t)x->type;
	ic[1] = (uint8_t)x->code;
	if (x->type == 5)
		memcpy(ic + 4, &p->a.dst_ip, 4);
	else if (x->type == 12)
		ic[4] = p->a.param_off;
	else if (x->type == 3 && x->code == 4 && x->pmtu > 0)
		ic[6] = (uint8_t)(x->pmtu >> 8), ic[7] = (uint8_t)x->pmtu;
	memcpy(ic + 8, p->a.ip, qlen);
	{
		uint16_t c = nl_cksum(ic, 8 + qlen, 0);

		memcpy(ic + 2, &c, 2);
	}
	q->a.ip = q->data;
	q->a.dst_ip = ip->src;
	q->a.fix_ip_src = 1;
	q->a.ts_sec = p->a.ts_sec;
	q->a.ts_usec = p->a.ts_usec;
	x->sent++;
	ck_pkt_kill(e, p);
	return q;
}

static const struct ck_handler icmperr_handlers[] = {
	{ "sent", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct icmperr, sent) },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct ck_element_class ck_class_ICMPError = {
	.name = "ICMPError", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct icmperr), .configure = icmperr_configure,
	.action = icmperr_action, .handlers = icmperr_handlers,
};
