/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FromIPSummaryDump(FILENAME, STOP, ACTIVE, ZERO, CHECKSUM, PROTO, DATA, FIELDS)
 * — makes an IPv4 packet from each line of an IP summary dump: a "!data F1 F2
 * ..." line names the fields (synonyms allowed, ipsumdump.c), "!proto P" sets
 * the default protocol, other "!" and empty lines are skipped. Defaults:
 * protocol TCP, TTL 100, bytes zero; TCP gets a 20-byte header, UDP and ICMP
 * 8; ip_len or payload_len set the length; checksums (IP and transport)
 * only with CHECKSUM true, as Click; TCP flags none unless given. "link"/"paint" set the
 * PAINT annotation, timestamps the timestamp annotation; the IP header
 * annotation is set; ip_opt and tcp_opt/tcp_ntopt/tcp_sack add options (as
 * ToIPSummaryDump writes them), eth_src/eth_dst an Ethernet header,
 * aggregate and first_timestamp their annotations. One packet per task run
 * (or per pull); TIMING true spaces them as their timestamps are on the
 * router's clock (the first goes at once). At the end, STOP true stops the driver.
 */
#include <arpa/inet.h>
#include <ctype.h>

#include "ck_elem.h"
#include "ipsumdump.h"
#include "nl_filter.h"


struct fips {
	struct ck_bytes file, data, fields;
	char *text;
	size_t pos, len;
	bool stop, active, checksum, zero, done, timing, have_off;
	int64_t proto;
	int64_t off_ns;            /* TIMING: router clock minus the first timestamp */
	struct ck_pkt *pending;    /* TIMING: the next packet, not due yet */
	struct ck_timer timer;
	enum ipsd_field *f;        /* the !data fields, every one */
	unsigned int nf;
	uint64_t count;
};

static int
set_fields(struct fips *x, const char *s)
{
	char **w;
	int n = ck_args_words(s, &w);
	enum ipsd_field *f;

	if (n < 0)
		return -ENOMEM;
	f = calloc(n > 0 ? (size_t)n : 1, sizeof(*f));
	if (!f) {
		ck_args_free(w, n);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		f[i] = ipsd_field_find(w[i]);
	ck_args_free(w, n);
	free(x->f);
	x->f = f;
	x->nf = (unsigned int)n;
	return 0;
}

static int
fips_configure(struct ck_element *e)
{
	struct fips *x = CK_PRIV(e, struct fips);
	struct ck_bytes proto = { 0 }, sample = { 0 };
	bool mp = false, allow = false;
	const struct ck_argdesc a[] = {
		{ "FILENAME", CK_A_STRING, &x->file, CK_POS, NULL },
		{ "STOP", CK_A_BOOL, &x->stop, 0, NULL },
		{ "ACTIVE", CK_A_BOOL, &x->active, 0, NULL },
		{ "ZERO", CK_A_BOOL, &x->zero, 0, NULL },
		{ "CHECKSUM", CK_A_BOOL, &x->checksum, 0, NULL },
		{ "PROTO", CK_A_WORD, &proto, 0, NULL },
		{ "DATA", CK_A_STRING, &x->data, 0, NULL },
		{ "FIELDS", CK_A_STRING, &x->fields, 0, NULL },
		{ "TIMING", CK_A_BOOL, &x->timing, 0, NULL },
		{ "SAMPLE", CK_A_WORD, &sample, 0, NULL },
		{ "MULTIPACKET", CK_A_BOOL, &mp, 0, NULL },
		{ "ALLOW_NONEXISTENT", CK_A_BOOL, &allow, 0, NULL },
	};
	int rc;

	x->active = true;
	x->zero = true;
	x->proto = NL_IPPROTO_TCP;
	rc = ck_args_parse(e, a, 12);
	if (rc == 0 && proto.p) {
		int pr;

		if (ipsd_parse_proto(proto.p, &pr) == 0)
			x->proto = pr;
		else
			x->proto = proto.p[0] == 'U' ? NL_IPPROTO_UDP :
				   proto.p[0] == 'I' ? NL_IPPROTO_ICMP : NL_IPPROTO_TCP;
	}
	if (rc == 0 && !x->file.p && !x->data.p)
		rc = ck_error(e, "missing mandatory FILENAME or DATA argument");
	if (rc == 0 && x->fields.p && set_fields(x, x->fields.p) < 0)
		rc = ck_error(e, "out of memory");
	free(proto.p);
	free(sample.p);
	return rc;
}

static void
fips_due(struct ck_element *e, struct ck_timer *t)
{
	(void)t;
	if (e->out_kind[0] == CK_PUSH && CK_PRIV(e, struct fips)->active)
		ck_task_reschedule(e);
}

static int
fips_initialize(struct ck_element *e)
{
	struct fips *x = CK_PRIV(e, struct fips);

	ck_timer_init(e, &x->timer, fips_due);
	if (x->data.p) {
		x->text = strdup(x->data.p);
		x->len = x->data.len;
	} else {
		x->text = ck_read_file(x->file.p, &x->len);
		if (!x->text)
			return ck_error(e, "%s: %s", x->file.p, strerror(errno));
	}
	if (!x->text)
		return ck_error(e, "out of memory");
	if (e->out_kind[0] != CK_PUSH || !x->active)
		ck_task_unschedule(e);
	return 0;
}

static int
tcp_flags(const char *s)
{
	static const char letters[] = "FSRPAUECN";
	int f = 0;

	if (isdigit((unsigned char)*s))
		return (int)strtol(s, NULL, 0);
	for (; *s; s++) {
		const char *l = strchr(letters, *s == 'W' ? 'C' : *s);

		if (*s != '.' && l)
			f |= 1 << (l - letters);
	}
	return f;
}

/* A header length field: bytes rounded up to a multiple of 4, within
 * [@lo, @hi]. */
static uint32_t
clamp4(int64_t v, uint32_t lo, uint32_t hi)
{
	uint64_t r = v < 0 ? lo : ((uint64_t)v + 3) & ~(uint64_t)3;

	return r < lo ? lo : r > hi ? hi : (uint32_t)r;
}

/* The ip_fragoff field: an offset in bytes with '+' (more fragments) and
 * '!' (don't fragment) after it, or '.', '!', 'F' (a first fragment), 'f'
 * (a later one). Returns the header's fragment field. */
static int64_t
frag_field(const char *s)
{
	int64_t v = 0;
	char *end;

	if (s[0] && !s[1] && strchr(".!Ff", s[0]))
		return s[0] == '!' ? NL_IPV4_DF : s[0] == 'F' ? NL_IPV4_MF : s[0] == 'f' ? 100 : 0;
	v = (strtoll(s, &end, 10) >> 3) & NL_IPV4_OFF_MASK;
	for (; *end == '+' || *end == '!'; end++)
		v |= *end == '+' ? NL_IPV4_MF : NL_IPV4_DF;
	return v;
}

/* A timestamp "SEC[.FRAC]": seconds and microseconds. */
static void
parse_ts(const char *s, int64_t *sec, int64_t *usec)
{
	char *dot;

	*sec = strtoll(s, &dot, 10);
	*usec = 0;
	if (*dot == '.') {
		char frac[7] = "000000";

		for (int k = 0; k < 6 && isdigit((unsigned char)dot[1 + k]); k++)
			frac[k] = dot[1 + k];
		*usec = strtoll(frac, NULL, 10);
	}
}

/* Build a packet from one line. Returns it or NULL (no buffer / bad line). */
static struct ck_pkt *
make(struct ck_element *e, struct fips *x, char *line)
{
	char **w;
	int n = ck_args_words(line, &w);
	uint32_t src = 0, dst = 0, seq = 0, ack = 0;
	int64_t v[IPSD_NFIELDS] = { 0 };
	bool have[IPSD_NFIELDS] = { false };
	struct ck_bytes payload = { 0 };
	int64_t sec = 0, usec = 0, fsec = 0, fusec = 0;
	uint32_t hl, thl, plen, iplen, want, pktlen, ethlen;
	uint8_t ipopt[40], tcpopt[40], eth[12] = { 0 };
	size_t ipoptlen = 0, tcpoptlen = 0;
	int tcpopt_from = -1;            /* the option field read: tcp_opt wins */
	const char *code = NULL;         /* icmp_code(_name), read once the type is known */
	int proto = (int)x->proto;
	struct ck_pkt *p = NULL;
	struct nl_ipv4_hdr *ip;
	uint8_t *th;

	if (n < 0)
		return NULL;
	for (int i = 0; i < n && (unsigned int)i < x->nf; i++) {
		enum ipsd_field f = x->f[i];
		const char *s = w[i];

		if (f == IPSD_NONE || strcmp(s, "-") == 0)
			continue;
		have[f] = true;
		switch (f) {
		case IPSD_TIMESTAMP:
			parse_ts(s, &sec, &usec);
			break;
		case IPSD_FIRST_TIMESTAMP:
			parse_ts(s, &fsec, &fusec);
			break;
		case IPSD_IP_OPT: /* a bad text leaves the field out, as Click */
			if (ipsd_parse_ip_opt(s, ipopt, &ipoptlen) < 0)
				have[f] = false;
			break;
		case IPSD_TCP_OPT: case IPSD_TCP_NTOPT: case IPSD_TCP_SACK: {
			unsigned int mask = f == IPSD_TCP_OPT ? IPSD_OPT_ALL :
					    f == IPSD_TCP_NTOPT ? IPSD_OPT_NTALL : IPSD_OPT_SACK;
			uint8_t o[40];
			size_t ol;

			have[f] = false;
			if ((tcpopt_from >= 0 && (int)f > tcpopt_from) ||
			    ipsd_parse_tcp_opt(s, mask, o, &ol) < 0)
				break;
			memcpy(tcpopt, o, ol);
			tcpoptlen = ol;
			tcpopt_from = (int)f;
			break;
		}
		case IPSD_ICMP_CODE: case IPSD_ICMP_CODE_NAME:
			f = IPSD_ICMP_CODE;
			have[f] = false;
			code = s;
			break;
		case IPSD_ETH_SRC: case IPSD_ETH_DST:
			if (ck_parse_eth(e->r, s, eth + (f == IPSD_ETH_SRC ? 6 : 0)) < 0)
				have[f] = false;
			break;
		case IPSD_PAYLOAD_MD5: case IPSD_PAYLOAD_MD5_HEX:
			have[f] = false; /* written only, as Click */
			break;
		case IPSD_SRC:
			ck_parse_ip(e->r, s, &src);
			break;
		case IPSD_DST:
			ck_parse_ip(e->r, s, &dst);
			break;
		case IPSD_PROTO:
			ipsd_parse_proto(s, &proto); /* as Click: a bad one leaves the default */
			break;
		case IPSD_FLAGS:
			v[f] = tcp_flags(s);
			break;
		case IPSD_SEQ:
			seq = (uint32_t)strtoul(s, NULL, 10);
			break;
		case IPSD_ACK:
			ack = (uint32_t)strtoul(s, NULL, 10);
			break;
		case IPSD_PAYLOAD:
			ck_parse_string(s, &payload.p, &payload.len);
			break;
		case IPSD_PAINT: case IPSD_DIRECTION: case IPSD_LINK:
			f = IPSD_PAINT; /* both set the PAINT annotation */
			have[f] = true;
			v[f] = s[0] == '>' ? 0 : s[0] == '<' ? 1 : strtoll(s, NULL, 0);
			break;
		case IPSD_ICMP_TYPE: case IPSD_ICMP_TYPE_NAME:
			f = IPSD_ICMP_TYPE; /* a number or a name ("echo") */
			have[f] = true;
			v[f] = isdigit((unsigned char)s[0]) ? strtoll(s, NULL, 0) :
			       nl_icmp_type_by_name(s);
			if (v[f] < 0)
				have[f] = false;
			break;
		case IPSD_FRAGOFF: case IPSD_IP_FRAG:
			f = IPSD_FRAGOFF; /* '.', '!', 'F', 'f' or an offset */
			have[f] = true;
			v[f] = frag_field(s);
			break;
		case IPSD_ECN: /* no, ect1, ect2, ce (or 0-3) */
			v[f] = isdigit((unsigned char)s[0]) ? (s[0] - '0') & 3 :
			       !strcmp(s, "ect1") || !strcmp(s, "ECT(1)") ? 1 :
			       !strcmp(s, "ect2") || !strcmp(s, "ECT(0)") ? 2 :
			       !strcmp(s, "ce") || !strcmp(s, "CE") ? 3 : 0;
			break;
		default:
			v[f] = strtoll(s, NULL, 0);
		}
	}
	if (code && isdigit((unsigned char)code[0])) {
		v[IPSD_ICMP_CODE] = strtoll(code, NULL, 0);
		have[IPSD_ICMP_CODE] = v[IPSD_ICMP_CODE] >= 0 && v[IPSD_ICMP_CODE] < 256;
	} else if (code && have[IPSD_ICMP_TYPE]) {
		/* a name needs the type: "needfrag" is unreachable's */
		v[IPSD_ICMP_CODE] = ipsd_icmp_code_by_name((unsigned int)v[IPSD_ICMP_TYPE], code);
		have[IPSD_ICMP_CODE] = v[IPSD_ICMP_CODE] >= 0;
	}
	if (have[IPSD_TS_SEC])
		sec = v[IPSD_TS_SEC];
	if (have[IPSD_TS_USEC])
		usec = v[IPSD_TS_USEC];
	/* The packet holds the headers (ip_hl and tcp_off bytes, options
	 * padded with end-of-list) and the payload's bytes; the rest of the
	 * length ip_len or payload_len give is the extra-length annotation,
	 * unless CHECKSUM needs the whole packet (zero-filled). */
	hl = have[IPSD_IP_HL] ? clamp4(v[IPSD_IP_HL], 20, 60) : 20;
	if (ipoptlen && 20 + ((ipoptlen + 3) & ~(size_t)3) > hl)
		hl = 20 + (uint32_t)((ipoptlen + 3) & ~(size_t)3);
	thl = proto == 6 ? 20 : proto == 17 || proto == 1 ? 8 : 0;
	if (proto == 6 && have[IPSD_TCP_OFF])
		thl = clamp4(v[IPSD_TCP_OFF], 20, 60);
	if (proto == 6 && tcpoptlen && 20 + ((tcpoptlen + 3) & ~(size_t)3) > thl)
		thl = 20 + (uint32_t)((tcpoptlen + 3) & ~(size_t)3);
	ethlen = have[IPSD_ETH_SRC] || have[IPSD_ETH_DST] ? 14 : 0;
	if (have[IPSD_FRAGOFF] && (v[IPSD_FRAGOFF] & NL_IPV4_OFF_MASK) != 0)
		thl = 0; /* a later fragment carries no transport header */
	plen = payload.p ? (uint32_t)(payload.len < 65535u - hl - thl ? payload.len : 65535u - hl - thl) : 0;
	want = hl + thl + plen;
	if (have[IPSD_LEN] && v[IPSD_LEN] >= 0)
		want = (uint32_t)(v[IPSD_LEN] > 65535 ? 65535 : v[IPSD_LEN]);
	else if (have[IPSD_PAYLOAD_LEN] && v[IPSD_PAYLOAD_LEN] >= 0)
		want = hl + thl + (uint32_t)(v[IPSD_PAYLOAD_LEN] > 65535 ? 65535 :
					     v[IPSD_PAYLOAD_LEN]);
	else if (have[IPSD_WIRE_LEN] && v[IPSD_WIRE_LEN] > ethlen)
		want = (uint32_t)(v[IPSD_WIRE_LEN] - ethlen > 65535 ? 65535 :
				  v[IPSD_WIRE_LEN] - ethlen);
	if (want == 0)
		want = hl + thl + plen;
	iplen = want > 65535 ? 65535 : want;
	pktlen = hl + thl + plen;
	if (x->checksum && iplen > pktlen)
		pktlen = iplen;
	p = ck_pkt_new(e, pktlen + ethlen);
	if (!p)
		goto out;
	memset(p->data, 0, p->len);
	if (ethlen) { /* an Ethernet header, type IP, as Click */
		memcpy(p->data, eth, 12);
		p->data[12] = 0x08;
		p->a.mac = p->data;
	}
	ip = (struct nl_ipv4_hdr *)(p->data + ethlen);
	ip->ver_ihl = (uint8_t)(0x40 | hl / 4);
	ip->tos = have[IPSD_TOS] ? (uint8_t)v[IPSD_TOS] : 0;
	if (have[IPSD_DSCP])
		ip->tos = (uint8_t)((ip->tos & 3) | (v[IPSD_DSCP] & 63) << 2);
	if (have[IPSD_ECN])
		ip->tos = (uint8_t)((ip->tos & ~3) | (v[IPSD_ECN] & 3));
	ip->total_len = nl_hton16((uint16_t)iplen);
	ip->id = nl_hton16(have[IPSD_ID] ? (uint16_t)v[IPSD_ID] : 0);
	ip->frag_off = nl_hton16(have[IPSD_FRAGOFF] ? (uint16_t)v[IPSD_FRAGOFF] : 0);
	ip->ttl = have[IPSD_TTL] ? (uint8_t)v[IPSD_TTL] : 100;
	ip->proto = (uint8_t)proto;
	ip->src = src;
	ip->dst = dst;
	memcpy((uint8_t *)ip + 20, ipopt, ipoptlen);
	th = (uint8_t *)ip + hl;
	if (thl >= 8 && proto != 1) {
		th[0] = (uint8_t)(v[IPSD_SPORT] >> 8) * have[IPSD_SPORT];
		th[1] = (uint8_t)v[IPSD_SPORT] * have[IPSD_SPORT];
		th[2] = (uint8_t)(v[IPSD_DPORT] >> 8) * have[IPSD_DPORT];
		th[3] = (uint8_t)v[IPSD_DPORT] * have[IPSD_DPORT];
	}
	if (proto == 6 && thl) {
		struct nl_tcp_hdr *t = (struct nl_tcp_hdr *)th;

		t->seq = htonl(seq);
		t->ack = htonl(ack);
		t->data_off = (uint8_t)(thl / 4 << 4);
		t->flags = have[IPSD_FLAGS] ? (uint8_t)v[IPSD_FLAGS] : 0;
		if (have[IPSD_FLAGS] && (v[IPSD_FLAGS] & 0x100))
			t->data_off |= 1; /* NS */
		t->urp = nl_hton16(have[IPSD_TCP_URP] ? (uint16_t)v[IPSD_TCP_URP] : 0);
		t->window = nl_hton16(have[IPSD_WIN] ? (uint16_t)v[IPSD_WIN] : 0);
		memcpy(th + 20, tcpopt, tcpoptlen);
	} else if (proto == 17 && thl) {
		((struct nl_udp_hdr *)th)->len = nl_hton16((uint16_t)(iplen > hl ? iplen - hl : 0));
	} else if (proto == 1 && thl) {
		th[0] = have[IPSD_ICMP_TYPE] ? (uint8_t)v[IPSD_ICMP_TYPE] : 0;
		th[1] = have[IPSD_ICMP_CODE] ? (uint8_t)v[IPSD_ICMP_CODE] : 0;
		/* identifier and sequence number, network order, in the types that
		 * have them (or with no type given), as ToIPSummaryDump reads them */
		if (!have[IPSD_ICMP_TYPE] || (th[0] < 32 && ((1u << th[0]) &
		    (1u << 0 | 1u << 8 | 1u << 13 | 1u << 14 | 1u << 15 | 1u << 16)))) {
			if (have[IPSD_ICMP_FLOWID])
				memcpy(th + 4, &(uint16_t){ nl_hton16((uint16_t)v[IPSD_ICMP_FLOWID]) }, 2);
			if (have[IPSD_ICMP_SEQ])
				memcpy(th + 6, &(uint16_t){ nl_hton16((uint16_t)v[IPSD_ICMP_SEQ]) }, 2);
		}
	}
	if (plen)
		memcpy(th + thl, payload.p, plen);
	if (x->checksum)
		ip->cksum = nl_ipv4_hdr_cksum(ip);
	if (x->checksum && p->len - ethlen >= iplen && iplen >= hl + thl && thl) {
		if (proto == 6)
			((struct nl_tcp_hdr *)th)->cksum = nl_ipv4_l4_cksum(ip, th, iplen - hl);
		else if (proto == 17)
			((struct nl_udp_hdr *)th)->cksum = nl_ipv4_l4_cksum(ip, th, iplen - hl);
		else if (proto == 1)
			memcpy(th + 2, &(uint16_t){ nl_cksum(th, iplen - hl, 0) }, 2);
	}
	p->a.extra_len = want + ethlen > p->len ? want + ethlen - p->len : 0;
	p->a.dst_ip = dst;
	p->a.ip = (uint8_t *)ip;
	p->a.first_ts_sec = fsec;
	p->a.first_ts_usec = (uint32_t)fusec;
	if (have[IPSD_AGGREGATE])
		p->a.aggregate = (uint32_t)v[IPSD_AGGREGATE];
	p->a.ts_sec = sec;
	p->a.ts_usec = (uint32_t)usec;
	if (have[IPSD_PAINT])
		p->a.paint = (uint8_t)v[IPSD_PAINT];
out:
	free(payload.p);
	ck_args_free(w, n);
	return p;
}

/* The next packet of the dump, or NULL at its end. */
static struct ck_pkt *
next_packet(struct ck_element *e, struct fips *x)
{
	while (x->pos < x->len) {
		char *line = x->text + x->pos, *nl = strchr(line, '\n');
		struct ck_pkt *p;

		if (nl)
			*nl = 0;
		x->pos = nl ? (size_t)(nl - x->text) + 1 : x->len;
		while (isspace((unsigned char)*line))
			line++;
		if (strncmp(line, "!data", 5) == 0) {
			set_fields(x, line + 5);
			continue;
		}
		if (strncmp(line, "!proto", 6) == 0) {
			char word[16];
			int pr;

			/* T, U, I, a protocol name or number; anything else ignored */
			if (sscanf(line + 6, " %15s", word) == 1 && ipsd_parse_proto(word, &pr) == 0)
				x->proto = pr;
			continue;
		}
		if (*line == 0 || *line == '!' || *line == '#')
			continue;
		p = make(e, x, line);
		if (p) {
			x->count++;
			return p;
		}
	}
	if (!x->done) {
		x->done = true;
		ck_task_unschedule(e);
		if (x->stop)
			ck_please_stop(e->r);
	}
	return NULL;
}

/* The next packet when it is due: TIMING true keeps the packets' spacing,
 * the first one going at once; one not due yet waits in x->pending, and a
 * timer brings the task back (push) when it is. */
static struct ck_pkt *
next_due(struct ck_element *e, struct fips *x)
{
	struct ck_pkt *p = x->pending ? x->pending : next_packet(e, x);
	int64_t ts, now;

	x->pending = NULL;
	if (!p || !x->timing)
		return p;
	ts = p->a.ts_sec * 1000000000 + (int64_t)p->a.ts_usec * 1000;
	now = (int64_t)ck_now(e->r);
	if (!x->have_off) {
		x->off_ns = now - ts;
		x->have_off = true;
	}
	if (ts + x->off_ns > now) {
		x->pending = p;
		ck_timer_schedule_after(&x->timer, (uint64_t)(ts + x->off_ns - now));
		if (e->out_kind[0] == CK_PUSH)
			ck_task_unschedule(e);
		return NULL;
	}
	return p;
}

static bool
fips_run(struct ck_element *e)
{
	struct fips *x = CK_PRIV(e, struct fips);
	struct ck_pkt *p = x->active ? next_due(e, x) : NULL;

	if (!p)
		return false;
	ck_push_out(e, 0, p);
	return true;
}

static struct ck_pkt *
fips_pull(struct ck_element *e, unsigned int port)
{
	struct fips *x = CK_PRIV(e, struct fips);

	(void)port;
	return x->active ? next_due(e, x) : NULL;
}

static void
fips_cleanup(struct ck_element *e)
{
	struct fips *x = CK_PRIV(e, struct fips);

	free(x->file.p);
	free(x->data.p);
	free(x->fields.p);
	free(x->f);
	free(x->text);
	if (x->pending)
		ck_pkt_kill(e, x->pending);
}

static int
fips_write_active(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct fips *x = CK_PRIV(e, struct fips);

	(void)h;
	if (ck_parse_bool(v, &x->active) < 0) {
		if (errf)
			fprintf(errf, "active: expected boolean\n");
		return -EINVAL;
	}
	if (x->active && !x->done && e->out_kind[0] == CK_PUSH)
		ck_task_reschedule(e);
	return 0;
}

static int
fips_read_active(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%s\n", CK_PRIV(e, struct fips)->active ? "true" : "false");
	return 0;
}

/* "stop": no more packets, and the driver is asked to stop (as at the end
 * with STOP true). */
static int
fips_write_stop(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	(void)h, (void)v, (void)errf;
	CK_PRIV(e, struct fips)->active = false;
	ck_please_stop(e->r);
	return 0;
}

static int
fips_read_encap(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)e, (void)h;
	fprintf(f, "IP\n");
	return 0;
}

static const struct ck_handler fips_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct fips, count), NULL },
	{ "active", CK_H_READ | CK_H_WRITE, fips_read_active, fips_write_active, 0, NULL },
	{ "stop", CK_H_WRITE, NULL, fips_write_stop, 0, NULL },
	{ "encap", CK_H_READ, fips_read_encap, NULL, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_FromIPSummaryDump = {
	.name = "FromIPSummaryDump", .ports = "0/1", .processing = "a/a",
	.priv_size = sizeof(struct fips), .configure = fips_configure,
	.initialize = fips_initialize, .run_task = fips_run, .pull = fips_pull,
	.cleanup = fips_cleanup, .handlers = fips_handlers,
};
