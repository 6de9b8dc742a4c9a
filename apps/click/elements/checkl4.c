/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CheckTCPHeader, CheckUDPHeader, CheckICMPHeader([VERBOSE, DETAILS]) —
 * check the transport header under the IP header annotation (protocol,
 * lengths, checksum; a UDP checksum of 0 means none). Good packets leave
 * on output 0, bad ones on output 1 or are dropped.
 * DropBroadcasts — packets whose packet-type annotation is BROADCAST or
 * MULTICAST go to output 1 or are dropped.
 */
#include "ck_elem.h"

struct checkl4 {
	bool verbose, details, warned;
	uint64_t drops;
};

static int
checkl4_configure(struct ck_element *e)
{
	struct checkl4 *c = CK_PRIV(e, struct checkl4);
	const struct ck_argdesc a[] = {
		{ "VERBOSE", CK_A_BOOL, &c->verbose, 0, NULL },
		{ "DETAILS", CK_A_BOOL, &c->details, 0, NULL },
	};

	return ck_args_parse(e, a, 2);
}

static const char *
check_l4(const char *cls, const struct ck_pkt *p)
{
	const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	const uint8_t *th;
	uint32_t hl, len, tlen;

	if (!ip)
		return "no IP header";
	hl = (ip->ver_ihl & 0x0f) * 4u;
	len = nl_ntoh16(ip->total_len);
	th = p->a.ip + hl;
	if (len < hl || ck_pkt_avail(p, p->a.ip) < len)
		return "bad IP length";
	tlen = len - hl;
	if (cls[5] == 'T') {
		const struct nl_tcp_hdr *t = (const void *)th;

		if (ip->proto != NL_IPPROTO_TCP)
			return "not TCP";
		if (nl_ipv4_frag_offset(ip) != 0)
			return "fragment";
		if (tlen < NL_TCP_HDR_MIN || (t->data_off >> 4) * 4u < NL_TCP_HDR_MIN ||
		    (t->data_off >> 4) * 4u > tlen)
			return "bad TCP header length";
		if (nl_ipv4_l4_cksum_verify(ip, th, tlen) < 0)
			return "bad TCP checksum";
	} else if (cls[5] == 'U') {
		const struct nl_udp_hdr *u = (const void *)th;

		if (ip->proto != NL_IPPROTO_UDP)
			return "not UDP";
		if (tlen < NL_UDP_HDR_LEN || nl_ntoh16(u->len) < NL_UDP_HDR_LEN ||
		    nl_ntoh16(u->len) > tlen)
			return "bad UDP length";
		if (nl_ipv4_l4_cksum_verify(ip, th, nl_ntoh16(u->len)) < 0)
			return "bad UDP checksum";
	} else {
		if (ip->proto != NL_IPPROTO_ICMP)
			return "not ICMP";
		if (tlen < 8)
			return "bad ICMP length";
		if (nl_cksum(th, tlen, 0) != 0)
			return "bad ICMP checksum";
	}
	return NULL;
}

static struct ck_pkt *
checkl4_action(struct ck_element *e, struct ck_pkt *p)
{
	struct checkl4 *c = CK_PRIV(e, struct checkl4);
	const char *why = check_l4(e->cls->name, p);

	if (!why)
		return p;
	c->drops++;
	if (!c->warned || c->verbose)
		fprintf(ck_errf(e->r), "%s: %s header check failed: %s\n", e->name,
			e->cls->name[5] == 'T' ? "TCP" : e->cls->name[5] == 'U' ? "UDP" : "ICMP",
			why);
	c->warned = true;
	ck_push_out(e, 1, p);
	return NULL;
}

static const struct ck_handler checkl4_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct checkl4, drops) },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct ck_element_class ck_class_CheckTCPHeader = {
	.name = "CheckTCPHeader", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct checkl4), .configure = checkl4_configure,
	.action = checkl4_action, .handlers = checkl4_handlers,
};

const struct ck_element_class ck_class_CheckUDPHeader = {
	.name = "CheckUDPHeader", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct checkl4), .configure = checkl4_configure,
	.action = checkl4_action, .handlers = checkl4_handlers,
};

const struct ck_element_class ck_class_CheckICMPHeader = {
	.name = "CheckICMPHeader", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct checkl4), .configure = checkl4_configure,
	.action = checkl4_action, .handlers = checkl4_handlers,
};

static struct ck_pkt *
dropbcast_action(struct ck_element *e, struct ck_pkt *p)
{
	if (p->a.ptype == CK_PT_BROADCAST || p->a.ptype == CK_PT_MULTICAST) {
		CK_PRIV(e, struct checkl4)->drops++;
		ck_push_out(e, 1, p);
		return NULL;
	}
	return p;
}

const struct ck_element_class ck_class_DropBroadcasts = {
	.name = "DropBroadcasts", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct checkl4), .action = dropbcast_action,
	.handlers = checkl4_handlers,
};
