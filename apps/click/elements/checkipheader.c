/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CheckIPHeader([OFFSET], CHECKSUM, VERBOSE, BADSRC, GOODDST, INTERFACES,
 * DETAILS) — checks the IPv4 header at OFFSET: version 4, header length,
 * total length within the packet, checksum (CHECKSUM true), source not
 * 0.0.0.0, 255.255.255.255, multicast or in BADSRC. A good packet is cut to
 * its IP length and gets the IP-header and destination-IP annotations, then
 * leaves on output 0; a bad one goes to output 1 or is dropped, with a
 * message the first time (every time with VERBOSE).
 */
#include <arpa/inet.h>

#include "ck_elem.h"

struct checkip {
	int64_t offset;
	bool checksum, verbose, details;
	uint32_t badsrc[16];
	unsigned int nbadsrc;
	uint64_t drops;
	bool warned;
};

static int
checkip_configure(struct ck_element *e)
{
	struct checkip *c = CK_PRIV(e, struct checkip);
	struct ck_bytes bad = { 0 }, good = { 0 }, ifs = { 0 };
	const struct ck_argdesc a[] = {
		{ "OFFSET", CK_A_INT, &c->offset, CK_POS, NULL },
		{ "CHECKSUM", CK_A_BOOL, &c->checksum, 0, NULL },
		{ "VERBOSE", CK_A_BOOL, &c->verbose, 0, NULL },
		{ "DETAILS", CK_A_BOOL, &c->details, 0, NULL },
		{ "BADSRC", CK_A_WORD, &bad, 0, NULL },
		{ "GOODDST", CK_A_WORD, &good, 0, NULL },
		{ "INTERFACES", CK_A_WORD, &ifs, 0, NULL },
	};
	int rc;

	c->checksum = true;
	rc = ck_args_parse(e, a, 7);
	if (rc == 0 && bad.p) {
		char **w;
		int n = ck_args_words(bad.p, &w);

		for (int i = 0; i < n && rc == 0; i++) {
			if (c->nbadsrc == 16)
				rc = ck_error(e, "BADSRC: at most 16 addresses");
			else if (ck_parse_ip(e->r, w[i], &c->badsrc[c->nbadsrc++]) < 0)
				rc = ck_error(e, "BADSRC: bad address '%s'", w[i]);
		}
		if (n >= 0)
			ck_args_free(w, n);
	}
	if (rc == 0 && c->offset < 0)
		rc = ck_error(e, "OFFSET must be >= 0");
	free(bad.p);
	free(good.p);
	free(ifs.p);
	return rc;
}

static const char *
check(const struct checkip *c, struct ck_pkt *p)
{
	struct nl_ipv4_hdr *ip;
	uint32_t avail, hl, len, src;

	if ((uint64_t)c->offset + NL_IPV4_HDR_MIN > p->len)
		return "too small for IP header";
	ip = (struct nl_ipv4_hdr *)(p->data + c->offset);
	avail = p->len - (uint32_t)c->offset;
	if (nl_ipv4_version(ip) != 4)
		return "bad IP version";
	hl = (ip->ver_ihl & 0x0f) * 4u;
	if (hl < NL_IPV4_HDR_MIN || hl > avail)
		return "bad IP header length";
	len = nl_ntoh16(ip->total_len);
	if (len < hl || len > avail)
		return "bad IP length";
	if (c->checksum && nl_ipv4_hdr_cksum_verify(ip) < 0)
		return "bad IP checksum";
	src = ntohl(ip->src);
	if (src == 0 || src == 0xffffffffu || (src >> 28) == 14)
		return "bad source address";
	for (unsigned int i = 0; i < c->nbadsrc; i++)
		if (ip->src == c->badsrc[i])
			return "bad source address";
	ck_pkt_take(p, avail - len);
	p->a.ip = (uint8_t *)ip;
	p->a.dst_ip = ip->dst;
	return NULL;
}

static struct ck_pkt *
checkip_action(struct ck_element *e, struct ck_pkt *p)
{
	struct checkip *c = CK_PRIV(e, struct checkip);
	const char *why = check(c, p);

	if (!why)
		return p;
	c->drops++;
	if (!c->warned || c->verbose)
		fprintf(ck_errf(e->r), "%s: IP header check failed: %s\n", e->name, why);
	c->warned = true;
	ck_push_out(e, 1, p);
	return NULL;
}

static const struct ck_handler checkip_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct checkip, drops) },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct ck_element_class ck_class_CheckIPHeader = {
	.name = "CheckIPHeader",
	.ports = "1/1-2",
	.processing = "a/ah",
	.priv_size = sizeof(struct checkip),
	.configure = checkip_configure,
	.action = checkip_action,
	.handlers = checkip_handlers,
};
