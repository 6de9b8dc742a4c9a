/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Elements that set one field of the IP header (the IP header annotation's;
 * the header checksum updated incrementally):
 *   SetIPDSCP(DSCP) — the DSCP bits (0..63) of the TOS byte; handler dscp (rw).
 *   MarkIPCE([FORCE]) — ECN "congestion experienced" on ECN-capable packets;
 *     others are dropped (counted in `drops`), as Click's, unless FORCE true
 *     marks them too; handler count (packets marked).
 *   StoreIPAddress([ADDR,] OFFSET) — ADDR (default: the destination-IP
 *     annotation) at OFFSET bytes into the packet, or at the IP header's
 *     `src` or `dst` (then the IP checksum follows, and a first fragment's
 *     TCP or UDP checksum, a UDP one of 0 left 0). A packet too short for
 *     OFFSET, or without an address to store there (no ADDR, no
 *     annotation), goes to output 1 or is dropped, as Click's.
 * Packets without an IP header annotation are dropped, counted in `drops`.
 */
#include <inttypes.h>

#include "ck_elem.h"

struct ipfield {
	int64_t dscp;
	bool force, have_addr;
	uint32_t addr;      /* network order */
	int64_t offset;     /* StoreIPAddress: bytes, or -12 (src) / -16 (dst) */
	uint64_t count, drops;
};

static struct nl_ipv4_hdr *
ip_of(struct ck_element *e, struct ck_pkt *p)
{
	if (!p->a.ip || ck_pkt_avail(p, p->a.ip) < 20) {
		CK_PRIV(e, struct ipfield)->drops++;
		ck_pkt_kill(e, p);
		return NULL;
	}
	return (struct nl_ipv4_hdr *)p->a.ip;
}

/* Set the TOS byte to @tos, the checksum following. */
static void
set_tos(struct nl_ipv4_hdr *ip, uint8_t tos)
{
	uint16_t w0, w1;

	memcpy(&w0, ip, 2);
	ip->tos = tos;
	memcpy(&w1, ip, 2);
	ip->cksum = nl_cksum_update16(ip->cksum, w0, w1);
}

static int
dscp_configure(struct ck_element *e)
{
	struct ipfield *x = CK_PRIV(e, struct ipfield);
	const struct ck_argdesc a[] = {
		{ "DSCP", CK_A_INT, &x->dscp, CK_POS | CK_MAND, NULL },
	};

	if (ck_args_parse(e, a, 1) < 0)
		return -EINVAL;
	if (x->dscp < 0 || x->dscp > 63)
		return ck_error(e, "DSCP must be 0..63");
	return 0;
}

static struct ck_pkt *
dscp_action(struct ck_element *e, struct ck_pkt *p)
{
	struct nl_ipv4_hdr *ip = ip_of(e, p);

	if (ip)
		set_tos(ip, (uint8_t)((ip->tos & 3) | CK_PRIV(e, struct ipfield)->dscp << 2));
	return ip ? p : NULL;
}

static int
dscp_read(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%" PRId64 "\n", CK_PRIV(e, struct ipfield)->dscp);
	return 0;
}

static int
dscp_write(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	int64_t d;

	(void)h;
	if (ck_parse_int(v, &d) < 0 || d < 0 || d > 63) {
		if (errf)
			fprintf(errf, "dscp: expected 0..63\n");
		return -EINVAL;
	}
	CK_PRIV(e, struct ipfield)->dscp = d;
	return 0;
}

static int
ce_configure(struct ck_element *e)
{
	struct ipfield *x = CK_PRIV(e, struct ipfield);
	const struct ck_argdesc a[] = {
		{ "FORCE", CK_A_BOOL, &x->force, CK_POS, NULL },
	};

	return ck_args_parse(e, a, 1);
}

static struct ck_pkt *
ce_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipfield *x = CK_PRIV(e, struct ipfield);
	struct nl_ipv4_hdr *ip = ip_of(e, p);

	if (!ip)
		return NULL;
	if ((ip->tos & 3) == 0 && !x->force) {
		x->drops++;
		ck_pkt_kill(e, p);
		return NULL;
	}
	if ((ip->tos & 3) != 3) {
		set_tos(ip, (uint8_t)(ip->tos | 3));
		x->count++;
	}
	return p;
}

static int
store_configure(struct ck_element *e)
{
	struct ipfield *x = CK_PRIV(e, struct ipfield);
	char **args;
	int n = ck_args_split(e->config ? e->config : "", &args), rc = 0;
	const char *off;

	if (n < 0)
		return ck_error(e, "out of memory");
	if (n < 1 || n > 2) {
		rc = ck_error(e, "expected [ADDR,] OFFSET");
	} else {
		if (n == 2) {
			x->have_addr = true;
			if (ck_parse_ip(e->r, args[0], &x->addr) < 0)
				rc = ck_error(e, "ADDR: '%s' is no IP address", args[0]);
		}
		off = args[n - 1];
		if (strcmp(off, "src") == 0 || strcmp(off, "dst") == 0)
			x->offset = off[0] == 's' ? -12 : -16;
		else if (rc == 0 && (ck_parse_int(off, &x->offset) < 0 || x->offset < 0 ||
				     x->offset > 65531))
			rc = ck_error(e, "OFFSET: expected a byte offset, 'src' or 'dst'");
	}
	ck_args_free(args, n);
	return rc;
}

static struct ck_pkt *
store_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipfield *x = CK_PRIV(e, struct ipfield);
	uint32_t a = x->have_addr ? x->addr : p->a.dst_ip;

	if (x->offset < 0) {
		struct nl_ipv4_hdr *ip = ip_of(e, p);
		uint8_t *at;
		uint16_t w[2], nw[2];

		if (!ip)
			return NULL;
		at = (uint8_t *)ip + (-x->offset);
		memcpy(w, at, 4);
		memcpy(nw, &a, 4);
		memcpy(at, &a, 4);
		ip->cksum = nl_cksum_update16(ip->cksum, w[0], nw[0]);
		ip->cksum = nl_cksum_update16(ip->cksum, w[1], nw[1]);
		/* as Click's: the address is in the TCP and UDP pseudo-header, so
		 * a first fragment's TCP checksum, and its UDP checksum unless 0
		 * (none), follow too */
		if (nl_ipv4_frag_offset(ip) == 0 && nl_ipv4_hdr_len(ip) >= 20) {
			uint8_t *l4 = (uint8_t *)ip + nl_ipv4_hdr_len(ip);
			uint32_t avail = ck_pkt_avail(p, l4);
			uint16_t *sum = NULL;

			if (ip->proto == NL_IPPROTO_TCP && avail >= 20)
				sum = (uint16_t *)(void *)(l4 + 16);
			else if (ip->proto == NL_IPPROTO_UDP && avail >= 8)
				sum = (uint16_t *)(void *)(l4 + 6);
			if (sum && (ip->proto == NL_IPPROTO_TCP || *sum != 0)) {
				*sum = nl_cksum_update16(*sum, w[0], nw[0]);
				*sum = nl_cksum_update16(*sum, w[1], nw[1]);
			}
		}
		return p;
	}
	/* as Click's: no address (no ADDR, no destination-IP annotation) or a
	 * packet too short for it: to output 1, else dropped */
	if ((!x->have_addr && a == 0) || (uint64_t)x->offset + 4 > p->len) {
		x->drops++;
		ck_push_out(e, 1, p);
		return NULL;
	}
	memcpy(p->data + x->offset, &a, 4);
	return p;
}

static const struct ck_handler dscp_handlers[] = {
	{ "dscp", CK_H_READ | CK_H_WRITE, dscp_read, dscp_write, 0, NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipfield, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler ce_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipfield, count), NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipfield, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler store_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipfield, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_SetIPDSCP = {
	.name = "SetIPDSCP", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipfield), .configure = dscp_configure,
	.action = dscp_action, .handlers = dscp_handlers,
};

const struct ck_element_class ck_class_MarkIPCE = {
	.name = "MarkIPCE", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ipfield), .configure = ce_configure,
	.action = ce_action, .handlers = ce_handlers,
};

const struct ck_element_class ck_class_StoreIPAddress = {
	.name = "StoreIPAddress", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct ipfield), .configure = store_configure,
	.action = store_action, .handlers = store_handlers,
};
