/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CheckTCPHeader, CheckUDPHeader, CheckICMPHeader([VERBOSE, DETAILS]) —
 * check the transport header under the IP header annotation as Click's:
 * the protocol ("not TCP"), the lengths ("bad packet length": TCP's header
 * length and the IP length; UDP's length within the packet; ICMP's 8
 * bytes, 8 + 28 for errors, exactly 20 for timestamps, 8 for information
 * requests) and the checksum (a UDP checksum of 0 means none). Good packets
 * leave on output 0, bad ones on output 1 or are dropped, with Click's
 * message the first time (every time with VERBOSE); DETAILS adds the
 * drop_details handler.
 * DropBroadcasts — packets whose packet-type annotation is BROADCAST or
 * MULTICAST go to output 1 or are dropped.
 */
#include "ck_elem.h"

enum { R_PROTO, R_LENGTH, R_CKSUM, R_N };
_Static_assert(R_N <= CK_DROP_REASONS, "Check*Header's reasons fit drop_details");

struct checkl4 {
	bool verbose;
	uint64_t drops;
	struct ck_drop_details details;
};

/* 'T', 'U' or 'I': which check @e makes. */
static char
l4_kind(const struct ck_element *e)
{
	return e->cls->name[5] == 'T' ? 'T' : e->cls->name[5] == 'U' ? 'U' : 'I';
}

static void
reason_texts(char kind, const char *t[R_N])
{
	t[R_PROTO] = kind == 'T' ? "not TCP" : kind == 'U' ? "not UDP" : "not ICMP";
	t[R_LENGTH] = "bad packet length";
	t[R_CKSUM] = kind == 'T' ? "bad TCP checksum" : kind == 'U' ? "bad UDP checksum" :
				   "bad ICMP checksum";
}

static int
checkl4_configure(struct ck_element *e)
{
	struct checkl4 *c = CK_PRIV(e, struct checkl4);
	const struct ck_argdesc a[] = {
		{ "VERBOSE", CK_A_BOOL, &c->verbose, 0, NULL },
		{ "DETAILS", CK_A_BOOL, &c->details.on, 0, NULL },
	};

	reason_texts(l4_kind(e), c->details.texts);
	c->details.n = R_N;
	return ck_args_parse(e, a, 2);
}

/* The ICMP length Click wants for @type: 0 = at least @len (8 already
 * checked), or the minimum / exact length. */
static bool
icmp_len_ok(uint8_t type, uint32_t len)
{
	switch (type) {
	case 3: case 4: case 5: case 11: case 12: /* errors quote 28 bytes */
		return len >= 8 + 28;
	case 13: case 14: /* timestamp (reply): exactly 20 */
		return len == 20;
	case 15: case 16: /* information request (reply): exactly 8 */
		return len == 8;
	default:
		return true;
	}
}

static int
check_l4(char kind, const struct ck_pkt *p)
{
	const struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	const uint8_t *th;
	uint32_t hl, avail;

	if (!ip || ip->proto != (kind == 'T' ? NL_IPPROTO_TCP :
				 kind == 'U' ? NL_IPPROTO_UDP : NL_IPPROTO_ICMP))
		return R_PROTO;
	hl = (ip->ver_ihl & 0x0f) * 4u;
	th = p->a.ip + hl;
	avail = ck_pkt_avail(p, p->a.ip);
	if (kind == 'T') {
		uint32_t len = nl_ntoh16(ip->total_len) - hl, thl;

		if (avail < hl + 13 || nl_ntoh16(ip->total_len) < hl)
			return R_LENGTH;
		thl = (((const struct nl_tcp_hdr *)th)->data_off >> 4) * 4u;
		if (thl < NL_TCP_HDR_MIN || len < thl || avail < len + hl)
			return R_LENGTH;
		if (nl_ipv4_l4_cksum_verify(ip, th, len) < 0)
			return R_CKSUM;
	} else if (kind == 'U') {
		const struct nl_udp_hdr *u = (const void *)th;
		uint32_t len;

		if (avail < hl + 6)
			return R_LENGTH;
		len = nl_ntoh16(u->len);
		if (len < NL_UDP_HDR_LEN || avail < len + hl)
			return R_LENGTH;
		if (u->cksum != 0 && nl_ipv4_l4_cksum_verify(ip, th, len) < 0)
			return R_CKSUM;
	} else {
		uint32_t len = avail > hl ? avail - hl : 0;

		if (len < 8 || !icmp_len_ok(th[0], len))
			return R_LENGTH;
		if (nl_cksum(th, len, 0) != 0)
			return R_CKSUM;
	}
	return -1;
}

static struct ck_pkt *
checkl4_action(struct ck_element *e, struct ck_pkt *p)
{
	struct checkl4 *c = CK_PRIV(e, struct checkl4);
	char kind = l4_kind(e);
	int why = check_l4(kind, p);
	const char *t[R_N];

	if (why < 0)
		return p;
	reason_texts(kind, t);
	/* Click names the element ("NAME :: CLASS: ") for TCP and ICMP only */
	if (c->drops == 0 || c->verbose) {
		if (kind == 'U')
			fprintf(ck_errf(e->r), "UDP header check failed: %s\n", t[why]);
		else
			fprintf(ck_errf(e->r), "%s :: %s: %s header check failed: %s\n", e->name,
				e->cls->name, kind == 'T' ? "TCP" : "ICMP", t[why]);
	}
	c->drops++;
	c->details.counts[why]++;
	ck_push_out(e, 1, p);
	return NULL;
}

static const struct ck_handler *
checkl4_lookup(struct ck_element *e, const char *name)
{
	return ck_drop_details_lookup(e, name, offsetof(struct checkl4, details));
}

static void
checkl4_list(struct ck_element *e, FILE *f)
{
	ck_drop_details_list(e, offsetof(struct checkl4, details), f);
}

static const struct ck_handler checkl4_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct checkl4, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_CheckTCPHeader = {
	.name = "CheckTCPHeader", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct checkl4), .configure = checkl4_configure,
	.action = checkl4_action, .handlers = checkl4_handlers, .lookup_handler = checkl4_lookup,
	.list_handlers = checkl4_list,
};

const struct ck_element_class ck_class_CheckUDPHeader = {
	.name = "CheckUDPHeader", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct checkl4), .configure = checkl4_configure,
	.action = checkl4_action, .handlers = checkl4_handlers, .lookup_handler = checkl4_lookup,
	.list_handlers = checkl4_list,
};

const struct ck_element_class ck_class_CheckICMPHeader = {
	.name = "CheckICMPHeader", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct checkl4), .configure = checkl4_configure,
	.action = checkl4_action, .handlers = checkl4_handlers, .lookup_handler = checkl4_lookup,
	.list_handlers = checkl4_list,
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
