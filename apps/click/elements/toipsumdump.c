/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ToIPSummaryDump(FILENAME, FIELDS, HEADER, BANNER) — writes "!IPSummaryDump
 * 1.3" and "!data FIELDS" (canonical names) then one line per packet to
 * FILENAME ("-": stdout), fields separated by a space, "-" where a field does
 * not apply (ports of non-TCP/UDP packets, TCP fields of others); BANNER as
 * "!creator" and the text quoted. Default FIELDS: ip_src ip_dst. tcp_flags
 * are letters FSRPAUEW ("." for none);
 * ip_proto is T, U, I or a number; ip_opt and tcp_opt as Click's texts
 * (ipsumdump.c), payload_md5(_hex), eth_src/eth_dst. With output 0 connected the packets go on.
 */
#include <arpa/inet.h>
#include <inttypes.h>

#include "ck_elem.h"
#include "ipsumdump.h"
#include "nl_filter.h"

struct tips {
	struct ck_bytes file, fields, banner;
	bool header, extra;
	FILE *f;
	enum ipsd_field *fl; /* FIELDS, every one */
	unsigned int nf;
	uint64_t count;
};

static int
tips_configure(struct ck_element *e)
{
	struct tips *x = CK_PRIV(e, struct tips);
	bool verbose = false, mp = false, bad = false, careful = false;
	const struct ck_argdesc a[] = {
		{ "FILENAME", CK_A_STRING, &x->file, CK_POS | CK_MAND, NULL },
		{ "FIELDS", CK_A_WORD, &x->fields, 0, NULL },
		{ "CONTENTS", CK_A_WORD, &x->fields, 0, NULL },
		{ "DATA", CK_A_WORD, &x->fields, 0, NULL },
		{ "HEADER", CK_A_BOOL, &x->header, 0, NULL },
		{ "BANNER", CK_A_STRING, &x->banner, 0, NULL },
		{ "VERBOSE", CK_A_BOOL, &verbose, 0, NULL },
		{ "MULTIPACKET", CK_A_BOOL, &mp, 0, NULL },
		{ "BAD_PACKETS", CK_A_BOOL, &bad, 0, NULL },
		{ "CAREFUL_TRUNC", CK_A_BOOL, &careful, 0, NULL },
		{ "EXTRA_LENGTH", CK_A_BOOL, &x->extra, 0, NULL },
	};
	char **w;
	int n;

	x->header = true;
	x->extra = true;
	if (ck_args_parse(e, a, 11) < 0)
		return -EINVAL;
	n = ck_args_words(x->fields.p ? x->fields.p : "ip_src ip_dst", &w);
	if (n < 0 || !(x->fl = calloc(n > 0 ? (size_t)n : 1, sizeof(*x->fl)))) {
		if (n >= 0)
			ck_args_free(w, n);
		return ck_error(e, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		x->fl[x->nf] = ipsd_field_find(w[i]);
		if (x->fl[x->nf] == IPSD_NONE) {
			ck_error(e, "unknown content type '%s'", w[i]);
			ck_args_free(w, n);
			return -EINVAL;
		}
		x->nf++;
	}
	ck_args_free(w, n);
	return 0;
}

/* @len bytes at @d as Click's cp_quote writes them: in double quotes, a
 * backslash before a double quote, a backslash and $, newline, CR and tab as
 * \n \r \t, other bytes outside 32..126 as three octal digits. */
static void
quote(FILE *f, const uint8_t *d, size_t len)
{
	fputc('"', f);
	for (const uint8_t *end = d + len; d < end; d++) {
		if (*d == '"' || *d == '\\' || *d == '$')
			fprintf(f, "\\%c", *d);
		else if (*d == '\n' || *d == '\r' || *d == '\t')
			fprintf(f, "\\%c", *d == '\n' ? 'n' : *d == '\r' ? 'r' : 't');
		else if (*d < 32 || *d >= 127)
			fprintf(f, "\\%03o", *d);
		else
			fputc(*d, f);
	}
	fputc('"', f);
}

static int
tips_initialize(struct ck_element *e)
{
	struct tips *x = CK_PRIV(e, struct tips);

	x->f = strcmp(x->file.p, "-") == 0 ? stdout : fopen(x->file.p, "w");
	if (!x->f)
		return ck_error(e, "%s: %s", x->file.p, strerror(errno));
	if (x->header) {
		fprintf(x->f, "!IPSummaryDump 1.3\n");
		if (x->banner.p && x->banner.len) { /* quoted, as Click's */
			fprintf(x->f, "!creator ");
			quote(x->f, (const uint8_t *)x->banner.p, x->banner.len);
			fputc('\n', x->f);
		}
		fprintf(x->f, "!data");
		for (unsigned int i = 0; i < x->nf; i++)
			fprintf(x->f, " %s", ipsd_field_name(x->fl[i]));
		fprintf(x->f, "\n");
	}
	if (e->in_kind[0] != CK_PULL)
		ck_task_unschedule(e);
	return 0;
}

/*
 * What ip_len and payload_len add to the IP header's length: nothing when
 * the packet with its extra length (what Truncate or FromIPSummaryDump left
 * out) is within 8 bytes of it (link padding), else the difference, so a
 * header claiming less than the packet carried does not hide it.
 */
static uint32_t
beyond_ip_len(const struct ck_pkt *p, const struct nl_ipv4_hdr *ip)
{
	uint64_t full = (uint64_t)ck_pkt_avail(p, p->a.ip) + p->a.extra_len;
	uint32_t len = nl_ntoh16(ip->total_len);

	return len + 8u >= full ? 0 : (uint32_t)(full - len);
}

/* The payload Click's payload fields cover: after the IP header and, in a
 * first fragment, a TCP header (when its offset byte is there and within
 * the IP length) or a UDP one; up to the IP length, within the packet.
 * Stores its start (from the IP header) and length. */
static void
payload_range(const struct ck_pkt *p, const struct nl_ipv4_hdr *ip, uint32_t *off,
	      uint32_t *len)
{
	uint32_t hl = (ip->ver_ihl & 0x0f) * 4u, iplen = nl_ntoh16(ip->total_len);
	uint32_t have = ck_pkt_avail(p, p->a.ip), o = hl;
	bool first = (nl_ntoh16(ip->frag_off) & NL_IPV4_OFF_MASK) == 0;

	if (first && ip->proto == 6 && have >= hl + 13) {
		uint32_t thl = (p->a.ip[hl + 12] >> 4) * 4u;

		if (hl + thl <= iplen || iplen == 0)
			o += thl;
	} else if (first && (ip->proto == 17 || ip->proto == 136) && (hl + 8 <= iplen || iplen == 0)) {
		o += 8;
	}
	*off = o;
	*len = iplen > o ? iplen - o : 0;
	if (o + *len > have)
		*len = have > o ? have - o : 0;
}

/* The Ethernet header just before the IP header (the MAC annotation's, or
 * the packet's first bytes), or NULL. */
static const uint8_t *
ether_hdr(const struct ck_pkt *p)
{
	const uint8_t *net = p->a.ip ? p->a.ip : p->data + p->len;
	const uint8_t *mac = p->a.mac ? p->a.mac :
			     p->a.ip && p->data < p->a.ip ? p->data : NULL;

	return mac && mac + 14 == net ? mac : NULL;
}

/* TCP option text for tcp_opt, tcp_ntopt, tcp_sack; "-" when the header
 * or its options are not in the packet. The last two leave out a lone
 * timestamp option (nop, nop, timestamp), as Click. */
static void
tcp_opt_field(FILE *f, enum ipsd_field fl, const uint8_t *th, uint32_t tav)
{
	unsigned int mask = fl == IPSD_TCP_OPT ? IPSD_OPT_ALL_NOPAD :
			    fl == IPSD_TCP_NTOPT ? IPSD_OPT_NTALL : IPSD_OPT_SACK;
	uint32_t off = (th[12] >> 4) * 4u;
	char b[1024];

	if (off <= 20 || (fl != IPSD_TCP_OPT && off == 32 && tav >= 24 &&
			  memcmp(th + 20, "\x01\x01\x08\x0a", 4) == 0)) {
		fputc('.', f);
		return;
	}
	if (tav < off) {
		fputc('-', f);
		return;
	}
	ipsd_tcp_opt_str(th + 20, off - 20, mask, b, sizeof(b));
	fputs(b, f);
}

static void
field(FILE *f, enum ipsd_field fl, const struct ck_pkt *p, bool extra)
{
	const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	uint32_t hl = ip ? (ip->ver_ihl & 0x0f) * 4u : 0;
	const uint8_t *th = ip ? p->a.ip + hl : NULL;
	uint32_t tav = th && ck_pkt_avail(p, p->a.ip) > hl ? ck_pkt_avail(p, th) : 0;
	bool first = ip && (nl_ntoh16(ip->frag_off) & NL_IPV4_OFF_MASK) == 0;
	bool ports = first && (ip->proto == 6 || ip->proto == 17) && tav >= 2;
	bool istcp = first && ip->proto == 6 && tav > 0;
	bool tcp = istcp && tav >= 20;
	const uint8_t *mac;
	char b[1024];

	switch (fl) {
	case IPSD_TIMESTAMP:
		fprintf(f, "%" PRId64 ".%06u", p->a.ts_sec, p->a.ts_usec);
		return;
	case IPSD_FIRST_TIMESTAMP:
		fprintf(f, "%" PRId64 ".%06u", p->a.first_ts_sec, p->a.first_ts_usec);
		return;
	case IPSD_AGGREGATE:
		fprintf(f, "%u", p->a.aggregate);
		return;
	case IPSD_WIRE_LEN:
		/* as Click: the packet's own length, its extra length left out */
		fprintf(f, "%" PRIu64, (uint64_t)p->len);
		return;
	case IPSD_ETH_SRC:
	case IPSD_ETH_DST:
		mac = ether_hdr(p);
		if (!mac) {
			fputc('-', f);
			return;
		}
		mac += fl == IPSD_ETH_SRC ? 6 : 0;
		fprintf(f, "%02X-%02X-%02X-%02X-%02X-%02X", mac[0], mac[1], mac[2], mac[3], mac[4],
			mac[5]);
		return;
	case IPSD_TS_SEC:
		fprintf(f, "%" PRId64, p->a.ts_sec);
		return;
	case IPSD_TS_USEC:
		fprintf(f, "%u", p->a.ts_usec);
		return;
	case IPSD_PAINT:
	case IPSD_LINK:
		fprintf(f, "%u", p->a.paint);
		return;
	case IPSD_TS_USEC1:
		fprintf(f, "%" PRIu64, (uint64_t)p->a.ts_sec * 1000000u + p->a.ts_usec);
		return;
	case IPSD_DIRECTION:
		if (p->a.paint < 2)
			fputc(p->a.paint ? '<' : '>', f);
		else
			fprintf(f, "%u", p->a.paint);
		return;
	case IPSD_COUNT:
		fprintf(f, "1");
		return;
	default:
		break;
	}
	if (!ip) {
		fputc('-', f);
		return;
	}
	switch (fl) {
	case IPSD_SRC: fputs(ck_ip_str(ip->src, b), f); break;
	case IPSD_DST: fputs(ck_ip_str(ip->dst, b), f); break;
	case IPSD_PROTO:
		if (ip->proto == 6 || ip->proto == 17 || ip->proto == 1)
			fputc(ip->proto == 6 ? 'T' : ip->proto == 17 ? 'U' : 'I', f);
		else
			fprintf(f, "%u", ip->proto);
		break;
	case IPSD_LEN:
		fprintf(f, "%u", nl_ntoh16(ip->total_len) + (extra ? beyond_ip_len(p, ip) : 0));
		break;
	case IPSD_IP_HL: fprintf(f, "%u", hl); break;
	case IPSD_FRAGOFF: {
		uint16_t fo = nl_ntoh16(ip->frag_off);

		fprintf(f, "%u%s%s", (fo & NL_IPV4_OFF_MASK) * 8u, fo & NL_IPV4_MF ? "+" : "",
			fo & NL_IPV4_DF ? "!" : "");
		break;
	}
	case IPSD_TCP_OFF:
		istcp && tav >= 13 ? fprintf(f, "%u", (((const struct nl_tcp_hdr *)th)->data_off >> 4) * 4u) :
		      fputc('-', f);
		break;
	case IPSD_ID: fprintf(f, "%u", nl_ntoh16(ip->id)); break;
	case IPSD_TTL: fprintf(f, "%u", ip->ttl); break;
	case IPSD_TOS: fprintf(f, "%u", ip->tos); break;
	case IPSD_DSCP: fprintf(f, "%u", ip->tos >> 2); break;
	case IPSD_ECN: fputs((const char *const[]){ "no", "ect1", "ect2", "ce" }[ip->tos & 3], f); break;
	case IPSD_SPORT:
		ports ? fprintf(f, "%u", th[0] << 8 | th[1]) : fputc('-', f);
		break;
	case IPSD_DPORT:
		ports && tav >= 4 ? fprintf(f, "%u", th[2] << 8 | th[3]) : fputc('-', f);
		break;
	case IPSD_SEQ:
		istcp && tav >= 8 ? fprintf(f, "%u", ntohl(((const struct nl_tcp_hdr *)th)->seq)) : fputc('-', f);
		break;
	case IPSD_ACK:
		istcp && tav >= 12 ? fprintf(f, "%u", ntohl(((const struct nl_tcp_hdr *)th)->ack)) : fputc('-', f);
		break;
	case IPSD_WIN:
		istcp && tav >= 16 ? fprintf(f, "%u", nl_ntoh16(((const struct nl_tcp_hdr *)th)->window)) :
		      fputc('-', f);
		break;
	case IPSD_FLAGS:
		if (!istcp || tav < 14) {
			fputc('-', f);
		} else {
			/* Click's letters; NS is the low bit of the offset byte */
			unsigned int fl9 = ((const struct nl_tcp_hdr *)th)->flags |
					   (((const struct nl_tcp_hdr *)th)->data_off & 1u) << 8;

			for (int i = 0; i < 9; i++)
				if (fl9 & (1u << i))
					fputc("FSRPAUECN"[i], f);
			if (!fl9)
				fputc('.', f);
		}
		break;
	case IPSD_PAYLOAD_LEN: {
		uint32_t len = nl_ntoh16(ip->total_len) + (extra ? beyond_ip_len(p, ip) : 0), h = hl;

		/* as Click: only TCP's and UDP's headers are not payload */
		if (tcp)
			h += (((const struct nl_tcp_hdr *)th)->data_off >> 4) * 4u;
		else if (first && ip->proto == 17)
			h += 8;
		fprintf(f, "%u", len > h ? len - h : 0);
		break;
	}
	case IPSD_PAYLOAD: {
		/* the bytes after the transport header that the packet holds, as
		 * a double-quoted string FromIPSummaryDump reads back */
		uint32_t h, plen;

		payload_range(p, ip, &h, &plen);
		quote(f, p->a.ip + h, plen);
		break;
	}
	case IPSD_PAYLOAD_MD5:
	case IPSD_PAYLOAD_MD5_HEX: {
		uint32_t h, plen;
		uint8_t dg[16];

		payload_range(p, ip, &h, &plen);
		ipsd_md5(p->a.ip + h, plen, dg);
		if (fl == IPSD_PAYLOAD_MD5) {
			ipsd_md5_text(dg, b);
			fputs(b, f);
		} else {
			for (int i = 0; i < 16; i++)
				fprintf(f, "%02x", dg[i]);
		}
		break;
	}
	case IPSD_IP_OPT:
		if (hl <= 20) {
			fputc('.', f);
		} else if (ck_pkt_avail(p, p->a.ip) < hl) {
			fputc('-', f);
		} else {
			ipsd_ip_opt_str(p->a.ip + 20, hl - 20, IPSD_OPT_ALL_NOPAD, b, sizeof(b));
			fputs(b, f);
		}
		break;
	case IPSD_TCP_OPT:
	case IPSD_TCP_NTOPT:
	case IPSD_TCP_SACK:
		if (istcp && tav >= 13)
			tcp_opt_field(f, fl, th, tav);
		else
			fputc('-', f);
		break;
	case IPSD_ICMP_CODE_NAME:
		if (first && ip->proto == 1 && tav >= 2 && ipsd_icmp_code_name(th[0], th[1]))
			fputs(ipsd_icmp_code_name(th[0], th[1]), f);
		else if (first && ip->proto == 1 && tav >= 2)
			fprintf(f, "%u", th[1]);
		else
			fputc('-', f);
		break;
	case IPSD_ICMP_TYPE:
	case IPSD_ICMP_CODE:
		if (first && ip->proto == 1 && tav >= (fl == IPSD_ICMP_TYPE ? 1u : 2u))
			fprintf(f, "%u", th[fl == IPSD_ICMP_TYPE ? 0 : 1]);
		else
			fputc('-', f);
		break;
	case IPSD_ICMP_TYPE_NAME:
		if (first && ip->proto == 1 && tav >= 1 && nl_icmp_type_name(th[0]))
			fputs(nl_icmp_type_name(th[0]), f);
		else if (first && ip->proto == 1 && tav >= 1)
			fprintf(f, "%u", th[0]);
		else
			fputc('-', f);
		break;
	case IPSD_IP_FRAG: {
		uint16_t fo = nl_ntoh16(ip->frag_off);

		if (fo & (NL_IPV4_MF | NL_IPV4_OFF_MASK))
			fputc(fo & NL_IPV4_OFF_MASK ? 'f' : 'F', f);
		else
			fputc(fo & NL_IPV4_DF ? '!' : '.', f);
		break;
	}
	case IPSD_IP_SUM:
		fprintf(f, "%u", nl_ntoh16(ip->cksum));
		break;
	case IPSD_IP_CAPTURE_LEN: {
		uint32_t len = nl_ntoh16(ip->total_len), have = ck_pkt_avail(p, p->a.ip);

		fprintf(f, "%u", len < have ? len : have);
		break;
	}
	case IPSD_UDP_LEN:
		if (first && ip->proto == 17 && tav >= 6)
			fprintf(f, "%u", th[4] << 8 | th[5]);
		else
			fputc('-', f);
		break;
	case IPSD_ICMP_FLOWID:
	case IPSD_ICMP_SEQ: {
		/* echo (reply), information request (reply), timestamp (reply) */
		bool flow = first && ip->proto == 1 && tav >= 1 && th[0] < 32 &&
			    ((1u << th[0]) & (1u << 0 | 1u << 8 | 1u << 13 | 1u << 14 |
					      1u << 15 | 1u << 16));
		unsigned int at = fl == IPSD_ICMP_FLOWID ? 4 : 6;

		if (flow && tav >= at + 2)
			fprintf(f, "%u", th[at] << 8 | th[at + 1]);
		else
			fputc('-', f);
		break;
	}
	case IPSD_ICMP_NEXTMTU:
		if (first && ip->proto == 1 && tav >= 8 && th[0] == 3 && th[1] == 4)
			fprintf(f, "%u", th[6] << 8 | th[7]);
		else
			fputc('-', f);
		break;
	case IPSD_TCP_URP:
		tcp ? fprintf(f, "%u", nl_ntoh16(((const struct nl_tcp_hdr *)th)->urp)) :
		      fputc('-', f);
		break;
	default:
		fputc('-', f);
	}
}

static void
write_line(struct tips *x, const struct ck_pkt *p)
{
	for (unsigned int i = 0; i < x->nf; i++) {
		if (i)
			fputc(' ', x->f);
		field(x->f, x->fl[i], p, x->extra);
	}
	fputc('\n', x->f);
	x->count++;
}

static struct ck_pkt *
tips_action(struct ck_element *e, struct ck_pkt *p)
{
	write_line(CK_PRIV(e, struct tips), p);
	if (e->nout == 0) {
		ck_pkt_kill(e, p);
		return NULL;
	}
	return p;
}

static bool
tips_run(struct ck_element *e)
{
	struct ck_pkt *p = ck_pull_in(e, 0);

	if (!p)
		return false;
	p = tips_action(e, p);
	if (p)
		ck_push_out(e, 0, p);
	return true;
}

static void
tips_cleanup(struct ck_element *e)
{
	struct tips *x = CK_PRIV(e, struct tips);

	if (x->f && x->f != stdout)
		fclose(x->f);
	else if (x->f)
		fflush(x->f);
	free(x->file.p);
	free(x->fl);
	free(x->fields.p);
	free(x->banner.p);
}

static const struct ck_handler tips_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct tips, count), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_ToIPSummaryDump = {
	.name = "ToIPSummaryDump", .ports = "1/0-1", .processing = "a/h",
	.priv_size = sizeof(struct tips), .configure = tips_configure,
	.initialize = tips_initialize, .action = tips_action, .run_task = tips_run,
	.cleanup = tips_cleanup, .handlers = tips_handlers,
};
