/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EtherEncap(ETHERTYPE, SRC, DST) — prepends DST SRC ETHERTYPE in the
 * packet's headroom (a packet without 14 bytes of headroom is dropped and
 * counted); handlers ethertype, src, dst (rw), as Click's. EtherMirror —
 * swaps the Ethernet addresses.
 * HostEtherFilter(ETHER [, DROP_OWN, DROP_OTHER, OFFSET]) — sets the
 * packet-type annotation from the destination; frames for other hosts
 * (DROP_OTHER, default true) and from ETHER (DROP_OWN) go to output 1 or
 * are dropped.
 */
#include "ck_elem.h"

struct ether {
	int64_t type;
	uint8_t src[6], dst[6];
	bool drop_own, drop_other;
	int64_t offset;
	uint64_t drops;
};

static int
etherencap_configure(struct ck_element *e)
{
	struct ether *x = CK_PRIV(e, struct ether);
	const struct ck_argdesc a[] = {
		{ "ETHERTYPE", CK_A_INT, &x->type, CK_POS | CK_MAND, NULL },
		{ "SRC", CK_A_ETH, x->src, CK_POS | CK_MAND, NULL },
		{ "DST", CK_A_ETH, x->dst, CK_POS | CK_MAND, NULL },
	};

	if (ck_args_parse(e, a, 3) < 0)
		return -EINVAL;
	if (x->type < 0 || x->type > 0xffff)
		return ck_error(e, "ETHERTYPE must be 0..0xffff");
	return 0;
}

static struct ck_pkt *
etherencap_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ether *x = CK_PRIV(e, struct ether);
	uint8_t *h = ck_pkt_push(p, 14);

	if (!h) {
		x->drops++;
		ck_pkt_kill(e, p);
		return NULL;
	}
	memcpy(h, x->dst, 6);
	memcpy(h + 6, x->src, 6);
	h[12] = (uint8_t)(x->type >> 8);
	h[13] = (uint8_t)x->type;
	p->a.mac = h;
	return p;
}

static struct ck_pkt *
ethermirror_action(struct ck_element *e, struct ck_pkt *p)
{
	uint8_t t[6];

	(void)e;
	if (p->len >= 14) {
		memcpy(t, p->data, 6);
		memcpy(p->data, p->data + 6, 6);
		memcpy(p->data + 6, t, 6);
	}
	return p;
}

static int
hostether_configure(struct ck_element *e)
{
	struct ether *x = CK_PRIV(e, struct ether);
	const struct ck_argdesc a[] = {
		{ "ETHER", CK_A_ETH, x->src, CK_POS | CK_MAND, NULL },
		{ "DROP_OWN", CK_A_BOOL, &x->drop_own, CK_POS, NULL },
		{ "DROP_OTHER", CK_A_BOOL, &x->drop_other, CK_POS, NULL },
		{ "OFFSET", CK_A_INT, &x->offset, 0, NULL },
	};

	x->drop_other = true;
	return ck_args_parse(e, a, 4);
}

static struct ck_pkt *
hostether_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ether *x = CK_PRIV(e, struct ether);
	const uint8_t *h = p->data + x->offset;
	bool drop = false;

	if ((uint64_t)x->offset + 14 > p->len) {
		drop = true;
	} else if (memcmp(h + 6, x->src, 6) == 0 && x->drop_own) {
		drop = true;
	} else if (memcmp(h, x->src, 6) == 0) {
		p->a.ptype = CK_PT_HOST;
	} else if (h[0] & 1) {
		static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

		p->a.ptype = memcmp(h, bc, 6) == 0 ? CK_PT_BROADCAST : CK_PT_MULTICAST;
	} else {
		p->a.ptype = CK_PT_OTHERHOST;
		drop = x->drop_other;
	}
	if (drop) {
		x->drops++;
		ck_push_out(e, 1, p);
		return NULL;
	}
	return p;
}

static int
encap_read(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct ether *x = CK_PRIV(e, struct ether);
	const uint8_t *m = h->arg == 1 ? x->src : x->dst;

	if (h->arg == 0)
		fprintf(f, "%d\n", (int)x->type);
	else
		fprintf(f, "%02X-%02X-%02X-%02X-%02X-%02X\n", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

static int
encap_write(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct ether *x = CK_PRIV(e, struct ether);
	int64_t t;

	if (h->arg == 0) {
		if (ck_parse_int(v, &t) < 0 || t < 0 || t > 0xffff) {
			if (errf)
				fprintf(errf, "ethertype: expected 0..0xffff\n");
			return -EINVAL;
		}
		x->type = t;
		return 0;
	}
	if (ck_parse_eth(e->r, v, h->arg == 1 ? x->src : x->dst) < 0) {
		if (errf)
			fprintf(errf, "%s: expected an Ethernet address\n", h->name);
		return -EINVAL;
	}
	return 0;
}

static const struct ck_handler ether_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ether, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler encap_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ether, drops), NULL },
	{ "ethertype", CK_H_READ | CK_H_WRITE, encap_read, encap_write, 0, NULL },
	{ "src", CK_H_READ | CK_H_WRITE, encap_read, encap_write, 1, NULL },
	{ "dst", CK_H_READ | CK_H_WRITE, encap_read, encap_write, 2, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_EtherEncap = {
	.name = "EtherEncap", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ether), .configure = etherencap_configure,
	.action = etherencap_action, .handlers = encap_handlers,
};

const struct ck_element_class ck_class_EtherMirror = {
	.name = "EtherMirror", .ports = "1/1", .processing = "a/a",
	.action = ethermirror_action,
};

const struct ck_element_class ck_class_HostEtherFilter = {
	.name = "HostEtherFilter", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct ether), .configure = hostether_configure,
	.action = hostether_action, .handlers = ether_handlers,
};
