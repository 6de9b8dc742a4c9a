/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Annotation elements of the IP path:
 *   MarkIPHeader([OFFSET])      IP-header annotation at data + OFFSET (14 after Ethernet)
 *   GetIPAddress(OFFSET)        destination-IP annotation from the 4 bytes at data + OFFSET;
 *                               GetIPAddress(IP src|dst) from the IP header annotation
 *   SetIPAddress(IPADDR)        destination-IP annotation := IPADDR (handler addr, rw)
 *   FixIPSrc(IPADDR)            if the fix-ip-src annotation is set: source := IPADDR,
 *                               header checksum redone, annotation cleared
 *   StripIPHeader, UnstripIPHeader   data to the transport header / back to the IP header
 *   SetTimestamp([TIMESTAMP, FIRST])  timestamp annotation := now (or the given
 *                               SEC.USEC); FIRST true: the first-timestamp annotation
 */
#include <arpa/inet.h>
#include <inttypes.h>

#include "ck_elem.h"

struct ipanno {
	int64_t offset;
	uint32_t addr;
	int field; /* GetIPAddress: 0 offset, 1 src, 2 dst */
	int64_t sec;
	uint32_t usec;
	bool fixed, first;
};

static int
markip_configure(struct ck_element *e)
{
	const struct ck_argdesc a[] = {
		{ "OFFSET", CK_A_INT, &CK_PRIV(e, struct ipanno)->offset, CK_POS, NULL },
	};

	return ck_args_parse(e, a, 1);
}

static struct ck_pkt *
markip_action(struct ck_element *e, struct ck_pkt *p)
{
	int64_t off = CK_PRIV(e, struct ipanno)->offset;

	p->a.ip = off <= (int64_t)p->len ? p->data + off : NULL;
	return p;
}

static int
getip_configure(struct ck_element *e)
{
	struct ipanno *g = CK_PRIV(e, struct ipanno);
	struct ck_bytes ipkw = { 0 }, anno = { 0 };
	bool have_off = false;
	const struct ck_argdesc a[] = {
		{ "OFFSET", CK_A_INT, &g->offset, CK_POS, &have_off },
		{ "ANNO", CK_A_WORD, &anno, CK_POS, NULL },
		{ "IP", CK_A_WORD, &ipkw, 0, NULL },
	};
	int rc = ck_args_parse(e, a, 3);

	if (rc == 0 && ipkw.p) {
		if (strcmp(ipkw.p, "src") == 0)
			g->field = 1;
		else if (strcmp(ipkw.p, "dst") == 0)
			g->field = 2;
		else
			rc = ck_error(e, "IP: expected 'src' or 'dst'");
	} else if (rc == 0 && !have_off) {
		rc = ck_error(e, "missing mandatory OFFSET argument");
	}
	if (rc == 0 && anno.p && strcmp(anno.p, "DST_IP") != 0)
		rc = ck_error(e, "only the destination-IP annotation is supported");
	free(ipkw.p);
	free(anno.p);
	return rc;
}

static struct ck_pkt *
getip_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipanno *g = CK_PRIV(e, struct ipanno);
	const uint8_t *src;

	if (g->field) {
		const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);

		if (ip)
			p->a.dst_ip = g->field == 1 ? ip->src : ip->dst;
		return p;
	}
	src = p->data + g->offset;
	if ((uint64_t)g->offset + 4 <= p->len)
		memcpy(&p->a.dst_ip, src, 4);
	return p;
}

/* SetIPAddress(IPADDR, ANNO) and FixIPSrc(IPADDR), as Click's: ANNO (a
 * keyword, SetIPAddress's alone) may only name the destination-IP annotation
 * (DST_IP, or its offset 0). */
static int
setip_configure(struct ck_element *e)
{
	struct ck_bytes anno = { 0 };
	const struct ck_argdesc a[] = {
		{ "IPADDR", CK_A_IP, &CK_PRIV(e, struct ipanno)->addr, CK_POS | CK_MAND, NULL },
		{ "ANNO", CK_A_WORD, &anno, 0, NULL },
	};
	int rc = ck_args_parse(e, a, strcmp(e->cls->name, "SetIPAddress") == 0 ? 2 : 1);

	if (rc == 0 && anno.p && strcmp(anno.p, "DST_IP") != 0 && strcmp(anno.p, "0") != 0)
		rc = ck_error(e, "only the destination-IP annotation is supported");
	free(anno.p);
	return rc;
}

/* SetIPAddress's addr handler (rw), as Click's. */
static int
setip_read_addr(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	char b[16];

	(void)h;
	fprintf(f, "%s\n", ck_ip_str(CK_PRIV(e, struct ipanno)->addr, b));
	return 0;
}

static int
setip_write_addr(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	char **w;
	int n = ck_args_words(v, &w), rc = 0;
	uint32_t a;

	(void)h;
	if (n != 1 || ck_parse_ip(e->r, w[0], &a) < 0) {
		if (errf)
			fprintf(errf, "addr: expected IP address\n");
		rc = -EINVAL;
	} else {
		CK_PRIV(e, struct ipanno)->addr = a;
	}
	if (n >= 0)
		ck_args_free(w, n);
	return rc;
}

static const struct ck_handler setip_handlers[] = {
	{ "addr", CK_H_READ | CK_H_WRITE, setip_read_addr, setip_write_addr, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static struct ck_pkt *
setip_action(struct ck_element *e, struct ck_pkt *p)
{
	p->a.dst_ip = CK_PRIV(e, struct ipanno)->addr;
	return p;
}

static struct ck_pkt *
fixipsrc_action(struct ck_element *e, struct ck_pkt *p)
{
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);

	if (ip && p->a.fix_ip_src) {
		p->a.fix_ip_src = 0;
		ip->src = CK_PRIV(e, struct ipanno)->addr;
		ip->cksum = 0;
		ip->cksum = nl_ipv4_hdr_cksum(ip);
	}
	return p;
}

static struct ck_pkt *
stripip_action(struct ck_element *e, struct ck_pkt *p)
{
	uint8_t *th = ck_pkt_transport(p);

	(void)e;
	if (th && th >= p->data && th <= p->data + p->len)
		ck_pkt_pull(p, (uint32_t)(th - p->data));
	return p;
}

static struct ck_pkt *
unstripip_action(struct ck_element *e, struct ck_pkt *p)
{
	(void)e;
	if (p->a.ip && p->a.ip >= p->head && p->a.ip < p->data)
		ck_pkt_push(p, (uint32_t)(p->data - p->a.ip));
	return p;
}

static int
settimestamp_configure(struct ck_element *e)
{
	struct ipanno *s = CK_PRIV(e, struct ipanno);
	struct ck_bytes ts = { 0 };
	bool first = false;
	const struct ck_argdesc a[] = {
		{ "TIMESTAMP", CK_A_WORD, &ts, CK_POS, NULL },
		{ "FIRST", CK_A_BOOL, &first, 0, NULL },
	};
	int rc = ck_args_parse(e, a, 2);

	s->first = first;

	if (rc == 0 && ts.p) {
		double t;

		if (ck_parse_real(ts.p, &t) < 0 || t < 0) {
			rc = ck_error(e, "TIMESTAMP: expected SEC.USEC");
		} else {
			s->fixed = true;
			s->sec = (int64_t)t;
			s->usec = (uint32_t)((t - (double)s->sec) * 1e6 + 0.5);
		}
	}
	free(ts.p);
	return rc;
}

static struct ck_pkt *
settimestamp_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipanno *s = CK_PRIV(e, struct ipanno);
	int64_t sec = s->sec;
	uint32_t usec = s->usec;

	if (!s->fixed) {
		uint64_t t = ck_now(e->r);

		sec = (int64_t)(t / 1000000000u);
		usec = (uint32_t)(t % 1000000000u / 1000u);
	}
	if (s->first) {
		p->a.first_ts_sec = sec;
		p->a.first_ts_usec = usec;
	} else {
		p->a.ts_sec = sec;
		p->a.ts_usec = usec;
	}
	return p;
}

const struct ck_element_class ck_class_MarkIPHeader = {
	.name = "MarkIPHeader", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipanno), .configure = markip_configure,
	.action = markip_action,
};

const struct ck_element_class ck_class_GetIPAddress = {
	.name = "GetIPAddress", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipanno), .configure = getip_configure,
	.action = getip_action,
};

const struct ck_element_class ck_class_SetIPAddress = {
	.name = "SetIPAddress", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipanno), .configure = setip_configure,
	.action = setip_action, .handlers = setip_handlers,
};

const struct ck_element_class ck_class_FixIPSrc = {
	.name = "FixIPSrc", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipanno), .configure = setip_configure,
	.action = fixipsrc_action,
};

const struct ck_element_class ck_class_StripIPHeader = {
	.name = "StripIPHeader", .ports = "1/1", .processing = "a/a",
	.action = stripip_action,
};

const struct ck_element_class ck_class_UnstripIPHeader = {
	.name = "UnstripIPHeader", .ports = "1/1", .processing = "a/a",
	.action = unstripip_action,
};

const struct ck_element_class ck_class_SetTimestamp = {
	.name = "SetTimestamp", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipanno), .configure = settimestamp_configure,
	.action = settimestamp_action,
};
