/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frags.c — IP fragments kept with the first fragment of their datagram
 * (frags.h). The RX side's slow path: only fragments come here.
 */
#include "frags.h"

#include <stddef.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "nl_hdr.h"

void
core_frags_init(struct core_frags *t, uint64_t hz)
{
	memset(t->e, 0, sizeof(t->e));
	t->ttl = hz / 1000 * CORE_FRAG_TTL_MS;
}

/* The IP header in @frame: after the Ethernet header and an 802.1Q tag. */
static const uint8_t *
ip_of(const uint8_t *frame, uint16_t *type)
{
	*type = cls_rd16(frame + 12);
	if (*type != CLS_ETH_P_8021Q)
		return frame + CLS_ETH_LEN;
	*type = cls_rd16(frame + 16);
	return frame + CLS_ETH_LEN + CLS_VLAN_LEN;
}

void
core_frag_id_of(const uint8_t *frame, struct core_frag_id *f)
{
	uint16_t type;
	const uint8_t *ip = ip_of(frame, &type), *fh;

	memset(f, 0, sizeof(*f));
	if (type == CLS_ETH_P_IPV6) {
		/* where the walk cls_key6_extract() made found it */
		fh = ip + nl_ipv6_frag_hdr(ip, CLS_IPV6_LEN + cls_rd16(ip + 4));
		memcpy(f->src, ip + 8, 16);
		memcpy(f->dst, ip + 24, 16);
		memcpy(&f->id, fh + 4, 4);
		f->v6 = 1;
		f->first = (cls_rd16(fh + 2) & 0xfff8) == 0;
		return;
	}
	memcpy(f->src, ip + 12, 4);
	memcpy(f->dst, ip + 16, 4);
	memcpy(&f->id, ip + 4, 2);
	f->proto = ip[9];
	f->first = (cls_rd16(ip + 6) & 0x1fff) == 0;
}

/* The entry of @f's datagram (not of its protocol: datagrams of one
 * identity but for the protocol are as rare as the same identification
 * sent twice) as handed on by @f->from. */
static inline uint32_t
index_of(const struct core_frag_id *f)
{
	uint64_t w[4];
	uint32_t h;

	memcpy(w, f->src, 16);
	memcpy(w + 2, f->dst, 16);
	h = rte_hash_crc_8byte(w[0] ^ w[2], CLS_HASH_SEED);
	h = rte_hash_crc_8byte(w[1] ^ w[3], h);
	h = rte_hash_crc_4byte(f->id ^ (uint32_t)f->from << 16, h);
	return h & (CORE_FRAGS - 1);
}

static inline bool
same(const struct core_frag_id *a, const struct core_frag_id *b)
{
	return memcmp(a, b, offsetof(struct core_frag_id, first)) == 0;
}

void
core_frags_note(struct core_frags *t, const struct core_frag_id *f,
		const struct core_frag_verdict *v, uint64_t now)
{
	struct core_frag_ent *e = &t->e[index_of(f)];

	if (f->from != CORE_FRAG_WIRE && e->id.first && e->id.from == CORE_FRAG_WIRE &&
	    now - e->tsc <= t->ttl)
		return;
	e->id = *f; /* first is 1: an entry in use (an empty one is all 0) */
	e->v = *v;
	e->tsc = now;
}

bool
core_frags_find(const struct core_frags *t, const struct core_frag_id *f, uint64_t now,
		struct core_frag_verdict *v)
{
	const struct core_frag_ent *e = &t->e[index_of(f)];

	if (!e->id.first || now - e->tsc > t->ttl || !same(&e->id, f))
		return false;
	*v = e->v;
	return true;
}
