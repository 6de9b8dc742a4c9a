/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPPrint([LABEL], TIMESTAMP, ID, TTL, TOS, LENGTH, PAINT, AGGREGATE, CONTENTS,
 * PAYLOAD, MAXLENGTH (or NBYTES), SWAP, ACTIVE) — a tcpdump-like line per IPv4
 * packet (from the IP header annotation), in Click's words:
 *   "LABEL: " "SEC.USEC: " ["#AGG"] ["paint N" | ".N" after #AGG] [": "]
 *   ["id N "] ["ttl N "] ["tos N "] ["length N "]
 *   TCP:  SRC.SPORT > DST.DPORT: FLAGS SEQ:END(SEGLEN,PKTLEN,IPLEN)[ ack A] win W
 *         (FLAGS: S F R P, '.' when none of them; SYN and FIN count in SEGLEN)
 *   UDP:  SRC.SPORT > DST.DPORT: udp ULEN
 *   ICMP: SRC > DST: icmp echo (ID, SEQ) | icmp echo-reply (ID, SEQ)
 *         | icmp EDST unreachable CODE [PROTO[/DPORT] | (mtu M)]
 *         | icmp TYPE [CODE]  (Click's names; "type N", "code N")
 *   else: SRC > DST: ip-proto-P; later fragments: SRC > DST: tcp|udp|icmp
 *   a header cut short: truncated-ip, truncated-tcp, truncated-udp, truncated-icmp
 *   (truncated-ip also for a header outside the packet's data, as after
 *   StripIPHeader); no line at all without the IP header annotation, as Click's;
 *   fragments end with " (frag ID:LEN@OFFSET[+])"; CONTENTS hex|ascii
 *   appends MAXLENGTH (1500) bytes of the packet, PAYLOAD those after the
 *   transport header. ICMP identifiers print as Click on a little-endian host
 *   reads them (SWAP true: swapped). Handler active (rw).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>

#include "ck_elem.h"
#include "ipsumdump.h"
#include "nl_filter.h"

struct ipprint {
	struct ck_bytes label;
	bool timestamp, id, ttl, tos, length, paint, aggregate, active, swap, payload;
	int contents; /* 0 none, 1 hex, 2 ascii */
	int64_t maxlen;
};

/* CONTENTS's value as Click's: a boolean (0 or 1 for hex), else NONE, HEX
 * or ASCII in any case (0, 1, 2); -1 when bad. */
static int
contents_kind(const char *v)
{
	bool b;

	if (ck_parse_bool(v, &b) == 0)
		return b ? 1 : 0;
	return strcasecmp(v, "none") == 0 ? 0 : strcasecmp(v, "hex") == 0 ? 1 :
	       strcasecmp(v, "ascii") == 0 ? 2 : -1;
}

/* PAYLOAD's value as Click's: NO, FALSE, YES, TRUE, HEX or ASCII in any case. */
static int
payload_kind(const char *v)
{
	return strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ? 0 :
	       strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	       strcasecmp(v, "hex") == 0 ? 1 : strcasecmp(v, "ascii") == 0 ? 2 : -1;
}

/* Upper-case @s in place, for Click's messages; returns @s. */
static char *
upper(char *s)
{
	for (char *c = s; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return s;
}

static int
ipprint_configure(struct ck_element *e)
{
	struct ipprint *x = CK_PRIV(e, struct ipprint);
	struct ck_bytes contents = { 0 }, payload = { 0 };
	const struct ck_argdesc a[] = {
		{ "LABEL", CK_A_STRING, &x->label, CK_POS, NULL },
		{ "TIMESTAMP", CK_A_BOOL, &x->timestamp, 0, NULL },
		{ "ID", CK_A_BOOL, &x->id, 0, NULL },
		{ "TTL", CK_A_BOOL, &x->ttl, 0, NULL },
		{ "TOS", CK_A_BOOL, &x->tos, 0, NULL },
		{ "LENGTH", CK_A_BOOL, &x->length, 0, NULL },
		{ "PAINT", CK_A_BOOL, &x->paint, 0, NULL },
		{ "CONTENTS", CK_A_WORD, &contents, 0, NULL },
		{ "PAYLOAD", CK_A_WORD, &payload, 0, NULL },
		{ "ACTIVE", CK_A_BOOL, &x->active, 0, NULL },
		{ "MAXLENGTH", CK_A_INT, &x->maxlen, 0, NULL },
		{ "SWAP", CK_A_BOOL, &x->swap, 0, NULL },
		{ "AGGREGATE", CK_A_BOOL, &x->aggregate, 0, NULL },
		{ "NBYTES", CK_A_INT, &x->maxlen, 0, NULL }, /* Click's older MAXLENGTH */
	};
	int rc = 0;

	x->timestamp = true;
	x->active = true;
	x->maxlen = 1500;
	if (ck_args_parse(e, a, 14) < 0)
		return -EINVAL;
	/* Click's words */
	if (contents.p && (x->contents = contents_kind(contents.p)) < 0)
		rc = ck_error(e, "bad contents value '%s'; should be 'NONE', 'HEX', or 'ASCII'",
			      upper(contents.p));
	if (rc == 0 && payload.p && payload_kind(payload.p) < 0)
		rc = ck_error(e, "bad payload value '%s'; should be 'false', 'hex', or 'ascii'",
			      upper(payload.p));
	else if (rc == 0 && payload.p && payload_kind(payload.p) > 0 && x->contents > 0)
		rc = ck_error(e, "specify at most one of PAYLOAD and CONTENTS"); /* as Click */
	else if (rc == 0 && payload.p && payload_kind(payload.p) > 0) {
		x->contents = payload_kind(payload.p);
		x->payload = true;
	}
	free(contents.p);
	free(payload.p);
	return rc;
}

#define OUT(...) (*n += (size_t)snprintf(line + *n, *n < cap ? cap - *n : 0, __VA_ARGS__))

/* Click's name of IP protocol @p (its NameInfo's), or NULL. */
static const char *
proto_name(unsigned int p)
{
	switch (p) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 47: return "gre";
	case 132: return "sctp";
	default: return NULL;
	}
}

/* The ICMP part of the line; @tl: transport bytes the packet holds. */
static void
icmp_line(const struct ipprint *x, const uint8_t *th, uint32_t tl, char *line, size_t cap,
	  size_t *n)
{
	const char *cname;

	if (tl < 2) {
		OUT("truncated-icmp");
		return;
	}
	cname = ipsd_icmp_code_name(th[0], th[1]);
	if (th[0] == 0 || th[0] == 8) {
		OUT("icmp %s ", th[0] ? "echo" : "echo-reply");
		if (tl < 8)
			OUT("truncated-icmp");
		else if (x->swap)
			OUT("(%u, %u)", th[4] << 8 | th[5], th[6] << 8 | th[7]);
		else
			OUT("(%u, %u)", th[4] | th[5] << 8, th[6] | th[7] << 8);
	} else if (th[0] == 3) {
		const uint8_t *eip = th + 8;
		uint32_t ehl, elen = tl > 8 ? tl - 8 : 0;
		char a[16], code[16];
		uint32_t edst;

		if (!cname)
			snprintf(code, sizeof(code), "code %u", th[1]);
		if (elen < 20) {
			OUT("icmp unreachable %s truncated-icmp", cname ? cname : code);
			return;
		}
		ehl = (eip[0] & 0x0f) * 4u;
		memcpy(&edst, eip + 16, 4);
		OUT("icmp %s unreachable %s", ck_ip_str(edst, a), cname ? cname : code);
		if (th[1] == 2 || th[1] == 3) {
			const char *pn = proto_name(eip[9]);

			if (pn)
				OUT(" %s", pn);
			else
				OUT(th[1] == 3 ? " protocol %u" : " %u", eip[9]);
			if (th[1] == 3 && elen < ehl + 4)
				OUT("truncated-icmp");
			else if (th[1] == 3)
				OUT("/%u", eip[ehl + 2] << 8 | eip[ehl + 3]);
		} else if (th[1] == 4 && tl >= 8 && (th[6] | th[7])) {
			OUT(" (mtu %u)", th[6] << 8 | th[7]);
		}
	} else {
		const char *tname = nl_icmp_type_name(th[0]);

		if (tname)
			OUT("icmp %s", tname);
		else
			OUT("icmp type %u", th[0]);
		if (cname)
			OUT(" %s", cname);
		else if (th[1])
			OUT(" code %u", th[1]);
	}
}

/* CONTENTS: the bytes from @d (@len of them) as Click lays them out. */
static void
contents(const struct ipprint *x, const uint8_t *d, uint32_t len, char *line, size_t cap,
	 size_t *n)
{
	uint32_t i, lim = x->maxlen < 0 || (uint64_t)x->maxlen > len ? len : (uint32_t)x->maxlen;

	for (i = 0; i < lim; i++) {
		if (x->contents == 1) {
			OUT(i % 24 == 0 ? "\n  " : i % 4 == 0 ? " " : "");
			OUT("%02x", d[i]);
		} else {
			OUT(i % 48 == 0 ? "\n  " : i % 8 == 0 ? " " : "");
			OUT("%c", d[i] < 32 || d[i] > 126 ? '.' : d[i]);
		}
	}
}

static struct ck_pkt *
ipprint_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipprint *x = CK_PRIV(e, struct ipprint);
	const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	FILE *f = ck_chatter(e->r);
	/* room for the headers' words, then for the contents: a byte takes
	 * at most 2 hex digits, a blank and a share of "\n  " every 24 bytes */
	size_t shown = !x->contents ? 0 : x->maxlen < 0 || (uint64_t)x->maxlen > p->len ?
			p->len : (size_t)x->maxlen;
	size_t cap = 2048 + 4 * shown, nn = 0, *n = &nn;
	char *line = malloc(cap), src[16], dst[16];
	uint32_t iplen, hl, plen, tl;
	uint16_t off;
	const uint8_t *th;
	bool first;

	/* as Click's: no line for a packet without the IP header annotation */
	if (!x->active || !line || !p->a.ip) {
		free(line);
		return p;
	}
	if (x->label.p && x->label.len)
		OUT("%s: ", x->label.p);
	if (x->timestamp)
		OUT("%" PRId64 ".%06u: ", p->a.ts_sec, p->a.ts_usec);
	if (x->aggregate)
		OUT("#%" PRIu32, p->a.aggregate);
	if (x->paint)
		OUT(x->aggregate ? ".%u" : "paint %u", p->a.paint);
	if (x->aggregate || x->paint)
		OUT(": ");
	if (!ip) { /* fewer than 20 bytes of header in the packet */
		OUT("truncated-ip");
		goto done;
	}
	iplen = nl_ntoh16(ip->total_len);
	hl = (ip->ver_ihl & 0x0f) * 4u;
	plen = iplen > hl ? iplen - hl : 0;
	th = p->a.ip + hl;
	tl = ck_pkt_avail(p, th);
	if (tl > plen)
		tl = plen;
	if (x->id)
		OUT("id %u ", nl_ntoh16(ip->id));
	if (x->ttl)
		OUT("ttl %u ", ip->ttl);
	if (x->tos)
		OUT("tos %u ", ip->tos);
	if (x->length)
		OUT("length %u ", iplen);
	ck_ip_str(ip->src, src);
	ck_ip_str(ip->dst, dst);
	off = nl_ntoh16(ip->frag_off);
	first = (off & NL_IPV4_OFF_MASK) == 0;
	if (ip->proto == NL_IPPROTO_TCP && (!first || tl < 4)) {
		OUT("%s > %s: %s", src, dst, first ? "truncated-tcp" : "tcp");
	} else if (ip->proto == NL_IPPROTO_TCP) {
		const struct nl_tcp_hdr *t = (const void *)th;
		uint32_t seq, seglen;

		OUT("%s.%u > %s.%u: ", src, nl_ntoh16(t->sport), dst, nl_ntoh16(t->dport));
		if (tl < 14) {
			OUT("truncated-tcp");
			goto frag;
		}
		seq = ntohl(t->seq);
		seglen = plen - (t->data_off >> 4) * 4u;
		if (t->flags & 0x02)
			OUT("S"), seglen++;
		if (t->flags & 0x01)
			OUT("F"), seglen++;
		if (t->flags & 0x04)
			OUT("R");
		if (t->flags & 0x08)
			OUT("P");
		if (!(t->flags & 0x0f))
			OUT(".");
		OUT(" %u:%u(%u,%u,%u)", seq, seq + seglen, seglen, p->len, iplen);
		if (t->flags & 0x10)
			OUT(" ack %u", ntohl(t->ack));
		if (tl < 16)
			OUT("truncated-tcp");
		else
			OUT(" win %u", nl_ntoh16(t->window));
	} else if (ip->proto == NL_IPPROTO_UDP && (!first || tl < 4)) {
		OUT("%s > %s: %s", src, dst, first ? "truncated-udp" : "udp");
	} else if (ip->proto == NL_IPPROTO_UDP) {
		const struct nl_udp_hdr *u = (const void *)th;

		OUT("%s.%u > %s.%u: ", src, nl_ntoh16(u->sport), dst, nl_ntoh16(u->dport));
		if (tl < 8)
			OUT("truncated-udp");
		else
			OUT("udp %u", nl_ntoh16(u->len));
	} else if (ip->proto == NL_IPPROTO_ICMP) {
		OUT("%s > %s: ", src, dst);
		if (first)
			icmp_line(x, th, tl, line, cap, n);
		else
			OUT("icmp");
	} else {
		OUT("%s > %s: ip-proto-%u", src, dst, ip->proto);
	}
frag:
	if (off & (NL_IPV4_MF | NL_IPV4_OFF_MASK))
		OUT(" (frag %u:%u@%u%s)", nl_ntoh16(ip->id), plen, (off & NL_IPV4_OFF_MASK) << 3,
		    off & NL_IPV4_MF ? "+" : "");
	if (x->contents) {
		const uint8_t *d = p->data;

		if (x->payload && first && ip->proto == NL_IPPROTO_TCP && tl >= 20)
			d = th + (th[12] >> 4) * 4u;
		else if (x->payload && first && ip->proto == NL_IPPROTO_UDP && tl >= 8)
			d = th + 8;
		else if (x->payload)
			d = th;
		if (d < p->data + p->len)
			contents(x, d, (uint32_t)(p->data + p->len - d), line, cap, n);
	}
done:
	fprintf(f, "%s\n", line);
	free(line);
	return p;
}
#undef OUT

static void
ipprint_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct ipprint)->label.p);
}

static const struct ck_handler ipprint_handlers[] = {
	{ "active", CK_H_READ | CK_H_WRITE, ck_h_read_bool, ck_h_write_bool,
	  offsetof(struct ipprint, active), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_IPPrint = {
	.name = "IPPrint", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipprint), .configure = ipprint_configure,
	.action = ipprint_action, .cleanup = ipprint_cleanup,
	.handlers = ipprint_handlers,
};
