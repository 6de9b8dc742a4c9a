/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPError(SRC, TYPE [, CODE], BADADDRS, MTU, PMTU, USE_FIX_ANNO) — replaces
 * an IP packet (IP header annotation) by an ICMP error from SRC to its
 * source, quoting as much of it as fits in MTU (576). TYPE is an error type
 * (3, 4, 5, 11, 12), CODE a number; both may be names, Click's (unreachable,
 * timeexceeded, parameterproblem, redirect, sourcequench; the codes net, host,
 * protocol, port, needfrag, ..., hostprohibited, ..., transit, reassembly,
 * erroratptr, missingopt, length, tosnet, toshost). The error gets TTL
 * 200, the destination-IP annotation and, unless USE_FIX_ANNO is false, the
 * fix-ip-src one; the gateway of a redirect comes from the destination-IP
 * annotation, a parameter problem's pointer (code 0) from the param-off
 * annotation. As Click's, nothing is sent for ICMP errors (types 3, 4, 5,
 * 11, 12), later fragments, link broadcasts, destinations that are not
 * unicast (255.255.255.255, 224/4, BADADDRS) and invalid sources (those and
 * nets 0, 127 and 240/4): those packets are dropped. A packet with a loose
 * or strict source route (its first, with a valid pointer) gets no redirect
 * (dropped), and other errors carry the route reversed (RFC 1812 4.3.2.6):
 * the hops it has passed, last first, pointer 4, an end of list after them;
 * not when a parameter problem's pointer (code 0) is inside that route.
 * Handlers src, mtu, pmtu (rw).
 */
#include <arpa/inet.h>

#include "ck_elem.h"
#include "ipsumdump.h"

struct icmperr {
	uint32_t src;
	int64_t type, code, mtu, pmtu;
	uint32_t *bad; /* BADADDRS, every one given */
	unsigned int nbad;
	uint16_t id;
	uint64_t sent, suppressed;
	bool use_fix;
};

/* The error types Click's ICMPError answers with and never answers. */
static bool
is_error_type(int64_t t)
{
	return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

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
	struct icmperr *x = CK_PRIV(e, struct icmperr);
	struct ck_bytes type = { 0 }, code = { 0 }, bad = { 0 };
	const struct ck_argdesc a[] = {
		{ "SRC", CK_A_IP, &x->src, CK_POS | CK_MAND, NULL },
		{ "TYPE", CK_A_WORD, &type, CK_POS | CK_MAND, NULL },
		{ "CODE", CK_A_WORD, &code, CK_POS, NULL },
		{ "BADADDRS", CK_A_WORD, &bad, CK_POS, NULL },
		{ "MTU", CK_A_INT, &x->mtu, 0, NULL },
		{ "PMTU", CK_A_INT, &x->pmtu, 0, NULL },
		{ "USE_FIX_ANNO", CK_A_BOOL, &x->use_fix, 0, NULL },
		{ "SET_FIX_ANNO", CK_A_BOOL, &x->use_fix, 0, NULL },
	};
	int rc;

	x->mtu = 576;
	x->use_fix = true;
	rc = ck_args_parse(e, a, 8);
	if (rc == 0 && name_or_number(type.p, types, &x->type) < 0)
		rc = ck_error(e, "unknown ICMP type '%s'", type.p);
	if (rc == 0 && (x->type < 0 || x->type > 255))
		rc = ck_error(e, "ICMP type must be between 0 and 255");
	else if (rc == 0 && !is_error_type(x->type))
		rc = ck_error(e, "ICMP type %d is not an error type", (int)x->type);
	if (rc == 0 && code.p) {
		/* Click's code names of the type (ipsumdump.c's table) */
		int c = ipsd_icmp_code_by_name((unsigned int)x->type, code.p);

		if (c >= 0)
			x->code = c;
		else if (ck_parse_int(code.p, &x->code) < 0)
			rc = ck_error(e, "unknown ICMP code '%s'", code.p);
	}
	if (rc == 0 && bad.p) {
		char **w;
		int n = ck_args_words(bad.p, &w);

		if (n < 0 || (n > 0 && !(x->bad = calloc((size_t)n, sizeof(*x->bad)))))
			rc = ck_error(e, "out of memory");
		for (int i = 0; i < n && rc == 0; i++)
			if (ck_parse_ip(e->r, w[i], &x->bad[x->nbad++]) < 0)
				rc = ck_error(e, "BADADDRS: bad address '%s'", w[i]);
		if (n >= 0)
			ck_args_free(w, n);
	}
	if (rc == 0 && (x->mtu < 68 || x->mtu > 65535))
		rc = ck_error(e, "MTU must be 68..65535");
	if (rc == 0 && (x->pmtu < 0 || x->pmtu > UINT32_MAX))
		rc = ck_error(e, "PMTU must be an unsigned number");
	free(type.p);
	free(code.p);
	free(bad.p);
	return rc;
}

/* Whether @a (network order) is unicast: not 255.255.255.255, not 224/4, not
 * in BADADDRS. */
static bool
unicast(const struct icmperr *x, uint32_t a)
{
	uint32_t h = ntohl(a);

	if (h == 0xffffffffu || (h >> 28) == 14)
		return false;
	for (unsigned int i = 0; i < x->nbad; i++)
		if (a == x->bad[i])
			return false;
	return true;
}

/* Whether @a (network order) may be answered (RFC 1812 5.3.7): unicast, not
 * net 0, not net 127, not 240/4. */
static bool
valid_source(const struct icmperr *x, uint32_t a)
{
	uint32_t net = ntohl(a) >> 24;

	return unicast(x, a) && net != 0 && net != 127 && (net & 0xf0) != 0xf0;
}

static bool
suppress(const struct icmperr *x, const struct ck_pkt *p, const struct nl_ipv4_hdr *ip)
{
	const uint8_t *th = (const uint8_t *)ip + nl_ipv4_hdr_len(ip);

	if (ip->proto == NL_IPPROTO_ICMP &&
	    (ck_pkt_avail(p, p->a.ip) < nl_ipv4_hdr_len(ip) + 4u || is_error_type(th[0])))
		return true;
	if (!unicast(x, ip->dst))
		return true;
	if (p->a.ptype == CK_PT_BROADCAST || p->a.ptype == CK_PT_MULTICAST)
		return true;
	if (!valid_source(x, ip->src))
		return true;
	return nl_ipv4_frag_offset(ip) != 0;
}

/* The offset in @ip's header (@avail bytes present) of its first loose or
 * strict source route option whose pointer is valid (at least 4, a multiple
 * of 4, at most the option's length + 1), or 0 when none comes before an end
 * of list or a malformed option. */
static uint32_t
source_route(const struct nl_ipv4_hdr *ip, uint32_t avail)
{
	const uint8_t *o = (const uint8_t *)ip;
	uint32_t hl = nl_ipv4_hdr_len(ip), i = 20;

	if (hl > avail)
		hl = avail;
	while (i < hl && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 2 >= hl || o[i + 1] < 2 || i + o[i + 1] > hl)
			return 0;
		if ((o[i] == 131 || o[i] == 137) && o[i + 2] >= 4 && o[i + 2] % 4 == 0 &&
		    o[i + 2] <= o[i + 1] + 1)
			return i;
		i += o[i + 1];
	}
	return 0;
}

static struct ck_pkt *
icmperr_action(struct ck_element *e, struct ck_pkt *p)
{
	struct icmperr *x = CK_PRIV(e, struct icmperr);
	const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	uint32_t qlen, avail, sr = 0, olen = 0, hl = 20;
	struct ck_pkt *q;
	struct nl_ipv4_hdr *nip;
	uint8_t *ic;

	if (ip)
		sr = source_route(ip, ck_pkt_avail(p, p->a.ip));
	/* RFC 1812 5.2.7.2: no redirect for a source-routed packet */
	if (!ip || suppress(x, p, ip) || (sr && x->type == 5)) {
		x->suppressed++;
		ck_pkt_kill(e, p);
		return NULL;
	}
	/* RFC 1812 4.3.2.6: no route back when the problem is in the route */
	if (sr && x->type == 12 && x->code == 0 && p->a.param_off >= sr &&
	    p->a.param_off < sr + ((const uint8_t *)ip)[sr + 1])
		sr = 0;
	if (sr) {
		olen = ((const uint8_t *)ip)[sr + 2] - 1u; /* type, length, pointer, hops */
		hl = 20 + olen + 1;                        /* and an end of list */
	}
	avail = ck_pkt_avail(p, p->a.ip);
	qlen = nl_ntoh16(ip->total_len);
	if (qlen > avail)
		qlen = avail;
	if (qlen > (uint32_t)x->mtu - hl - 8)
		qlen = (uint32_t)x->mtu - hl - 8;
	q = ck_pkt_new(e, hl + 8 + qlen);
	if (!q) {
		ck_pkt_kill(e, p);
		return NULL;
	}
	nip = (struct nl_ipv4_hdr *)q->data;
	memset(q->data, 0, hl + 8);
	nip->ver_ihl = (uint8_t)(0x40 | hl / 4);
	nip->total_len = nl_hton16((uint16_t)(hl + 8 + qlen));
	nip->id = nl_hton16(++x->id);
	nip->ttl = 200;
	nip->proto = NL_IPPROTO_ICMP;
	nip->src = x->src;
	nip->dst = ip->src;
	if (sr) {
		const uint8_t *r = (const uint8_t *)ip + sr;
		uint8_t *o = q->data + 20;

		o[0] = r[0];
		o[1] = (uint8_t)olen;
		o[2] = 4;
		/* the hops passed, from the last one (just before the pointer) back */
		for (int from = r[2] - 5, to = 3; from >= 3; from -= 4, to += 4)
			memcpy(o + to, r + from, 4);
	}
	nip->cksum = nl_ipv4_hdr_cksum(nip);
	ic = q->data + hl;
	ic[0] = (uint8_t)x->type;
	ic[1] = (uint8_t)x->code;
	if (x->type == 5)
		memcpy(ic + 4, &p->a.dst_ip, 4);
	else if (x->type == 12 && x->code == 0)
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
	q->a.fix_ip_src = x->use_fix;
	q->a.ts_sec = p->a.ts_sec;
	q->a.ts_usec = p->a.ts_usec;
	x->sent++;
	ck_pkt_kill(e, p);
	return q;
}

static int
icmperr_read_src(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	char b[16];

	(void)h;
	fprintf(f, "%s\n", ck_ip_str(CK_PRIV(e, struct icmperr)->src, b));
	return 0;
}

static int
icmperr_write_src(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	uint32_t ip;

	(void)h;
	if (ck_parse_ip(e->r, v, &ip) < 0) {
		if (errf)
			fprintf(errf, "src: expected an IP address\n");
		return -EINVAL;
	}
	CK_PRIV(e, struct icmperr)->src = ip;
	return 0;
}

/* mtu (68..65535, as configure takes it) and pmtu (unsigned). */
static int
icmperr_write_mtu(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	int64_t *dst = (int64_t *)((char *)e->priv + h->arg);
	bool mtu = h->arg == offsetof(struct icmperr, mtu);
	int64_t n;

	if (ck_parse_int(v, &n) < 0 || n < (mtu ? 68 : 0) || n > (mtu ? 65535 : UINT32_MAX)) {
		if (errf)
			fprintf(errf, "%s: expected %s\n", h->name,
				mtu ? "a number 68..65535" : "an unsigned number");
		return -EINVAL;
	}
	*dst = n;
	return 0;
}

static const struct ck_handler icmperr_handlers[] = {
	{ "src", CK_H_READ | CK_H_WRITE, icmperr_read_src, icmperr_write_src, 0, NULL },
	{ "mtu", CK_H_READ | CK_H_WRITE, ck_h_read_u64, icmperr_write_mtu,
	  offsetof(struct icmperr, mtu), NULL },
	{ "pmtu", CK_H_READ | CK_H_WRITE, ck_h_read_u64, icmperr_write_mtu,
	  offsetof(struct icmperr, pmtu), NULL },
	{ "sent", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct icmperr, sent), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static void
icmperr_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct icmperr)->bad);
}

const struct ck_element_class ck_class_ICMPError = {
	.name = "ICMPError", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct icmperr), .configure = icmperr_configure,
	.action = icmperr_action, .cleanup = icmperr_cleanup, .handlers = icmperr_handlers,
};
