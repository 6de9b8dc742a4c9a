/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frags.c — IPv4 fragments kept with the first fragment of their datagram
 * (frags.h). The RX side's slow path: only fragments come here.
 */
#include "frags.h"

#include <string.h>

#include <rte_hash_crc.h>

#include "cls.h"

void
core_frags_init(struct core_frags *t, uint64_t hz)
{
	memset(t->e, 0, sizeof(t->e));
	t->ttl = hz / 1000 * CORE_FRAG_TTL_MS;
}

void
core_frag_id_of(const uint8_t *frame, struct core_frag_id *f)
{
	const uint8_t *ip = frame + CLS_ETH_LEN;

	if (cls_rd16(frame + 12) == CLS_ETH_P_8021Q)
		ip += CLS_VLAN_LEN;
	memcpy(&f->src, ip + 12, 4);
	memcpy(&f->dst, ip + 16, 4);
	memcpy(&f->id, ip + 4, 2);
	f->proto = ip[9];
	f->first = (cls_rd16(ip + 6) & 0x1fff) == 0;
}

/* The entry of @f's datagram (not of its protocol: datagrams of one
 * identity but for the protocol are as rare as the same identification
 * sent twice). */
static inline uint32_t
index_of(const struct core_frag_id *f)
{
	uint32_t h = rte_hash_crc_4byte(f->src, CLS_HASH_SEED);

	h = rte_hash_crc_4byte(f->dst, h);
	h = rte_hash_crc_4byte(f->id, h);
	return h & (CORE_FRAGS - 1);
}

static inline bool
same(const struct core_frag_id *a, const struct core_frag_id *b)
{
	return a->src == b->src && a->dst == b->dst && a->id == b->id && a->proto == b->proto;
}

void
core_frags_note(struct core_frags *t, const struct core_frag_id *f,
		const struct core_frag_verdict *v, uint64_t now)
{
	struct core_frag_ent *e = &t->e[index_of(f)];

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
