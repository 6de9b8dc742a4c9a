/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small elements of Click's standard and IP sets:
 *   PushNull, PullNull — Null, push-only or pull-only;
 *   AlignmentInfo(ELEMENT MODULUS OFFSET ..., ...) — alignment facts for
 *     Align and click-align; accepted and ignored (buffers here are aligned);
 *   StripToNetworkHeader — pulls the packet's head up to its IP header
 *     annotation (a packet without one passes unchanged);
 *   SetIPChecksum — sets the IP header checksum (needs the IP header
 *     annotation; a bad header length: dropped, counted in `drops`);
 *   SetTCPChecksum, SetUDPChecksum — set the transport checksum over the
 *     IP length (UDP: over the UDP length, which must lie inside the IP
 *     length; a header or packet too short for it: dropped, counted).
 */
#include "ck_elem.h"

static struct ck_pkt *
null_action(struct ck_element *e, struct ck_pkt *p)
{
	(void)e;
	return p;
}

static int
alignmentinfo_configure(struct ck_element *e)
{
	(void)e;
	return 0;
}

static struct ck_pkt *
strip_nh_action(struct ck_element *e, struct ck_pkt *p)
{
	(void)e;
	if (p->a.ip && p->a.ip >= p->data && p->a.ip <= p->data + p->len)
		ck_pkt_pull(p, (uint32_t)(p->a.ip - p->data));
	return p;
}

struct setsum {
	uint64_t drops;
};

/* The packet's IPv4 header when it holds @need bytes past it and a valid
 * header length; else NULL. */
static struct nl_ipv4_hdr *
ip_with(struct ck_pkt *p, uint32_t *hl)
{
	struct nl_ipv4_hdr *ip = (struct nl_ipv4_hdr *)p->a.ip;
	uint32_t avail = ip ? ck_pkt_avail(p, p->a.ip) : 0;

	if (!ip || avail < 20)
		return NULL;
	*hl = nl_ipv4_hdr_len(ip);
	return *hl >= 20 && *hl <= avail ? ip : NULL;
}

static struct ck_pkt *
drop(struct ck_element *e, struct ck_pkt *p)
{
	CK_PRIV(e, struct setsum)->drops++;
	ck_pkt_kill(e, p);
	return NULL;
}

static struct ck_pkt *
setip_action(struct ck_element *e, struct ck_pkt *p)
{
	struct nl_ipv4_hdr *ip;
	uint32_t hl;

	if (!(ip = ip_with(p, &hl)))
		return drop(e, p);
	ip->cksum = 0;
	ip->cksum = nl_ipv4_hdr_cksum(ip);
	return p;
}

static struct ck_pkt *
setl4_action(struct ck_element *e, struct ck_pkt *p)
{
	bool tcp = e->cls->name[3] == 'T';
	struct nl_ipv4_hdr *ip;
	uint32_t hl, len, off, l4len;
	uint8_t *l4;
	uint16_t c;

	if (!(ip = ip_with(p, &hl)) || nl_ipv4_frag_offset(ip) != 0)
		return drop(e, p);
	len = nl_ntoh16(ip->total_len);
	l4 = (uint8_t *)ip + hl;
	off = tcp ? 16 : 6;
	if (len < hl + (tcp ? 20u : 8u) || ck_pkt_avail(p, (uint8_t *)ip) < len)
		return drop(e, p);
	l4len = len - hl;
	if (!tcp) {
		/* as Click's: the UDP length's bytes, not what the IP length adds */
		l4len = (uint32_t)l4[4] << 8 | l4[5];
		if (l4len < 8 || l4len > len - hl)
			return drop(e, p);
	}
	memset(l4 + off, 0, 2);
	c = nl_ipv4_l4_cksum(ip, l4, l4len);
	if (!tcp && c == 0)
		c = 0xffff; /* 0 means no checksum in UDP */
	memcpy(l4 + off, &c, 2);
	return p;
}

static const struct ck_handler setsum_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct setsum, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_PushNull = {
	.name = "PushNull", .ports = "1/1", .processing = "h/h", .action = null_action,
};

const struct ck_element_class ck_class_PullNull = {
	.name = "PullNull", .ports = "1/1", .processing = "l/l", .action = null_action,
};

const struct ck_element_class ck_class_AlignmentInfo = {
	.name = "AlignmentInfo", .ports = "0/0", .processing = "a/a",
	.configure = alignmentinfo_configure,
};

const struct ck_element_class ck_class_StripToNetworkHeader = {
	.name = "StripToNetworkHeader", .ports = "1/1", .processing = "a/a",
	.action = strip_nh_action,
};

const struct ck_element_class ck_class_SetIPChecksum = {
	.name = "SetIPChecksum", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct setsum), .action = setip_action, .handlers = setsum_handlers,
};

const struct ck_element_class ck_class_SetTCPChecksum = {
	.name = "SetTCPChecksum", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct setsum), .action = setl4_action, .handlers = setsum_handlers,
};

const struct ck_element_class ck_class_SetUDPChecksum = {
	.name = "SetUDPChecksum", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct setsum), .action = setl4_action, .handlers = setsum_handlers,
};
