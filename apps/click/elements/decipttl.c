/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DecIPTTL([MULTICAST, ACTIVE]) — a packet whose TTL is <= 1 goes to output 1
 * (or is dropped); others get TTL - 1 with the header checksum updated
 * incrementally (RFC 1624) and leave on output 0. MULTICAST false passes
 * multicast packets untouched; ACTIVE false (handler active, rw) passes
 * every packet untouched. Handler drops. Needs the IP header annotation.
 */
#include <arpa/inet.h>

#include "ck_elem.h"

struct decttl {
	bool multicast, active;
	uint64_t drops;
};

static int
decttl_configure(struct ck_element *e)
{
	struct decttl *d = CK_PRIV(e, struct decttl);
	const struct ck_argdesc a[] = {
		{ "MULTICAST", CK_A_BOOL, &d->multicast, 0, NULL },
		{ "ACTIVE", CK_A_BOOL, &d->active, 0, NULL },
	};

	d->multicast = true;
	d->active = true;
	return ck_args_parse(e, a, 2);
}

static struct ck_pkt *
decttl_action(struct ck_element *e, struct ck_pkt *p)
{
	struct decttl *d = CK_PRIV(e, struct decttl);
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);

	if (!d->active || !ip)
		return p;
	if (!d->multicast && (ntohl(ip->dst) >> 28) == 14)
		return p;
	if (ip->ttl <= 1) {
		d->drops++;
		ck_push_out(e, 1, p);
		return NULL;
	}
	nl_ipv4_dec_ttl(ip);
	return p;
}

static const struct ck_handler decttl_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct decttl, drops), NULL },
	{ "active", CK_H_READ | CK_H_WRITE, ck_h_read_bool, ck_h_write_bool,
	  offsetof(struct decttl, active), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_DecIPTTL = {
	.name = "DecIPTTL",
	.ports = "1/1-2",
	.processing = "a/ah",
	.priv_size = sizeof(struct decttl),
	.configure = decttl_configure,
	.action = decttl_action,
	.handlers = decttl_handlers,
};
