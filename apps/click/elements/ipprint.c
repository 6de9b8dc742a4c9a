/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPPrint([LABEL], TIMESTAMP, ID, TTL, TOS, LENGTH, PAINT, CONTENTS, ACTIVE) —
 * a tcpdump-like line per IPv4 packet (from the IP header annotation):
 *   "LABEL: " "SEC.USEC: " ["id N "] ["paint N "] ["ttl N "] ["tos N "] ["length N "]
 *   TCP:  SRC.SPORT > DST.DPORT: FLAGS SEQ:END(SEGLEN,PKTLEN,IPLEN)[ ack A] win W
 *         (FLAGS: S F R P, '.' when none of them; SYN and FIN count in SEGLEN)
 *   UDP:  SRC.SPORT > DST.DPORT: udp ULEN
 *   ICMP: SRC > DST: icmp: echo request (ID, SEQ) | echo reply (ID, SEQ) | type T
 *   else: SRC > DST: ip-proto-P; later fragments: SRC > DST: tcp|udp|icmp|ip-proto-P
 *   fragments end with " (frag ID:LEN@OFFSET[+])".
 */
#include <arpa/inet.h>
#include <inttypes.h>

#include "ck_elem.h"

struct ipprint {
	struct ck_bytes label, contents;
	bool timestamp, id, ttl, tos, length, paint, active;
};

static int
ipprint_configure(struct ck_element *e)
{
	struct ipprint *x = CK_PRIV(e, struct ipprint);
	int64_t maxlen = 0;
	const struct ck_argdesc a[] = {
		{ "LABEL", CK_A_STRING, &x->label, CK_POS, NULL },
		{ "TIMESTAMP", CK_A_BOOL, &x->timestamp, 0, NULL },
		{ "ID", CK_A_BOOL, &x->id, 0, NULL },
		{ "TTL", CK_A_BOOL, &x->ttl, 0, NULL },
		{ "TOS", CK_A_BOOL, &x->tos, 0, NULL },
		{ "LENGTH", CK_A_BOOL, &x->length, 0, NULL },
		{ "PAINT", CK_A_BOOL, &x->paint, 0, NULL },
		{ "CONTENTS", CK_A_WORD, &x->contents, 0, NULL },
		{ "ACTIVE", CK_A_BOOL, &x->active, 0, NULL },
		{ "MAXLENGTH", CK_A_INT, &maxlen, 0, NULL },
	};

	x->timestamp = true;
	x->active = true;
	if (ck_args_parse(e, a, 10) < 0)
		return -EINVAL;
	if (x->contents.p && strcasecmp(x->contents.p, "false") != 0 &&
	    strcasecmp(x->contents.p, "no") != 0)
		return ck_error(e, "CONTENTS is not supported");
	return 0;
}

static struct ck_pkt *
ipprint_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipprint *x = CK_PRIV(e, struct ipprint);
	const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	FILE *f = ck_chatter(e->r);
	char line[512], src[16], dst[16];
	size_t n = 0;
	uint32_t iplen, hl, plen, avail;
	uint16_t off;
	const uint8_t *th;

	if (!x->active)
		return p;
#define OUT(...) n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, __VA_ARGS__)
	if (x->label.p && x->label.len)
		OUT("%s: ", x->label.p);
	if (!ip) {
		OUT("(Not an IP packet)");
		fprintf(f, "%s\n", line);
		return p;
	}
	if (x->timestamp)
		OUT("%" PRId64 ".%06u: ", p->a.ts_sec, p->a.ts_usec);
	iplen = nl_ntoh16(ip->total_len);
	hl = (ip->ver_ihl & 0x0f) * 4u;
	plen = iplen > hl ? iplen - hl : 0;
	if (x->id)
		OUT("id %u ", nl_ntoh16(ip->id));
	if (x->paint)
		OUT("paint %u ", p->a.paint);
	if (x->ttl)
		OUT("ttl %u ", ip->ttl);
	if (x->tos)
		OUT("tos %u ", ip->tos);
	if (x->length)
		OUT("length %u ", iplen);
	ck_ip_str(ip->src, src);
	ck_ip_str(ip->dst, dst);
	off = nl_ntoh16(ip->frag_off);
	th = p->a.ip + hl;
	avail = ck_pkt_avail(p, th);
	if ((off & NL_IPV4_OFF_MASK) == 0) {
		if (ip->proto == NL_IPPROTO_TCP && avail >= NL_TCP_HDR_MIN) {
			const struct nl_tcp_hdr *t = (const void *)th;
			uint32_t seq = ntohl(t->seq), seglen = plen - (t->data_off >> 4) * 4u;

			OUT("%s.%u > %s.%u: ", src, nl_ntoh16(t->sport), dst, nl_ntoh16(t->dport));
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
			OUT(" win %u", nl_ntoh16(t->window));
		} else if (ip->proto == NL_IPPROTO_UDP && avail >= NL_UDP_HDR_LEN) {
			const struct nl_udp_hdr *u = (const void *)th;

			OUT("%s.%u > %s.%u: udp %u", src, nl_ntoh16(u->sport), dst,
			    nl_ntoh16(u->dport), nl_ntoh16(u->len));
		} else if (ip->proto == NL_IPPROTO_ICMP && avail >= 8) {
			OUT("%s > %s: icmp", src, dst);
			if (th[0] == 0 || th[0] == 8)
				OUT(": echo %s (%u, %u)", th[0] ? "request" : "reply",
				    th[4] << 8 | th[5], th[6] << 8 | th[7]);
			else
				OUT(": type %u", th[0]);
		} else {
			OUT("%s > %s: ip-proto-%u", src, dst, ip->proto);
		}
	} else {
		OUT("%s > %s: ", src, dst);
		if (ip->proto == NL_IPPROTO_TCP)
			OUT("tcp");
		else if (ip->proto == NL_IPPROTO_UDP)
			OUT("udp");
		else if (ip->proto == NL_IPPROTO_ICMP)
			OUT("icmp");
		else
			OUT("ip-proto-%u", ip->proto);
	}
	if (off & (NL_IPV4_MF | NL_IPV4_OFF_MASK))
		OUT(" (frag %u:%u@%u%s)", nl_ntoh16(ip->id), plen, (off & NL_IPV4_OFF_MASK) << 3,
		    off & NL_IPV4_MF ? "+" : "");
#undef OUT
	fprintf(f, "%s\n", line);
	return p;
}

static void
ipprint_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct ipprint)->label.p);
	free(CK_PRIV(e, struct ipprint)->contents.p);
}

const struct ck_element_class ck_class_IPPrint = {
	.name = "IPPrint", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipprint), .configure = ipprint_configure,
	.action = ipprint_action, .cleanup = ipprint_cleanup,
};
