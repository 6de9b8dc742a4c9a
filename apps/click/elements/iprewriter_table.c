/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iprewriter_table.c — IPRewriter's mapping table (iprewriter.h): lookups
 * that forget expired mappings, allocation with eviction when full, and the
 * choice of a free source port for a pattern's port range. Nothing here
 * allocates memory.
 */
#include "iprewriter.h"

static inline uint32_t
key_hash(const struct rw_key *k)
{
	uint64_t h = ((uint64_t)k->saddr << 32 | k->daddr) * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)k->sport << 24 | (uint64_t)k->dport << 8 | k->proto) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* Entry (2 * flow + direction) holding @k, or -1. */
static int32_t
table_find(const struct rw *x, const struct rw_key *k)
{
	int32_t id = x->bucket[key_hash(k) & x->mask];

	while (id >= 0) {
		const struct rw_flow *f = &x->flows[id >> 1];

		if (memcmp(&f->k[id & 1], k, sizeof(*k)) == 0)
			return id;
		id = f->hnext[id & 1];
	}
	return -1;
}

static void
unlink_entry(struct rw *x, int32_t id)
{
	struct rw_flow *f = &x->flows[id >> 1];
	int32_t *pp = &x->bucket[key_hash(&f->k[id & 1]) & x->mask];

	while (*pp >= 0 && *pp != id)
		pp = &x->flows[*pp >> 1].hnext[*pp & 1];
	if (*pp == id)
		*pp = f->hnext[id & 1];
}

/* Unlink @f from the table and put it on the free list; it cannot fail. */
void
rw_flow_free(struct rw *x, struct rw_flow *f)
{
	int32_t i = (int32_t)(f - x->flows);

	unlink_entry(x, 2 * i);
	unlink_entry(x, 2 * i + 1);
	f->used = false;
	f->hnext[0] = x->free;
	x->free = i;
	x->nmappings--;
	x->group->used--;
	/* as Click's: the input that made it holds one mapping fewer */
	x->in[f->input].count--;
	x->created--;
}

/* The entry (2 * flow + direction) holding @k. Returns it, or -1 when there
 * is none or it has expired (an expired mapping is freed on the way). */
int32_t
rw_table_lookup(struct rw *x, const struct rw_key *k, uint64_t now)
{
	int32_t id = table_find(x, k);

	if (id >= 0 && x->flows[id >> 1].expiry <= now) {
		rw_flow_free(x, &x->flows[id >> 1]);
		id = -1;
	}
	return id;
}

/* A free flow: when the table (or the capacity shared with other
 * rewriters) is full, this table's expired flows are freed first, then its
 * unguaranteed flow that expires first is evicted, unless the new flow is
 * unguaranteed and would expire before it (as Click's heap, where the new
 * flow itself is then the one dropped). Returns the flow (zeroed, marked
 * used), or NULL when that leaves no room. */
struct rw_flow *
rw_flow_alloc(struct rw *x, uint64_t now, uint64_t expiry, bool guar)
{
	struct rw_flow *f, *victim = NULL;
	uint64_t cap = (uint64_t)x->group->capacity;

	if (x->free < 0 || x->group->used >= cap) {
		for (uint32_t i = 0; i < x->nalloc; i++) {
			f = &x->flows[i];
			if (f->used && f->expiry <= now)
				rw_flow_free(x, f);
			else if (f->used && f->guarantee <= now &&
				 (!victim || f->expiry < victim->expiry))
				victim = f;
		}
		if ((x->free < 0 || x->group->used >= cap) && victim &&
		    (guar || victim->expiry <= expiry))
			rw_flow_free(x, victim);
		if (x->free < 0 || x->group->used >= cap)
			return NULL;
	}
	f = &x->flows[x->free];
	x->free = f->hnext[0];
	memset(f, 0, sizeof(*f));
	f->used = true;
	x->nmappings++;
	x->group->used++;
	return f;
}

void
rw_flow_shrink(struct rw *x, uint64_t now, uint64_t limit)
{
	for (uint32_t i = 0; i < x->nalloc; i++)
		if (x->flows[i].used && x->flows[i].expiry <= now)
			rw_flow_free(x, &x->flows[i]);
	while (x->nmappings && x->group->used > limit) {
		struct rw_flow *victim = NULL;
		bool vguar = true;

		for (uint32_t i = 0; i < x->nalloc; i++) {
			struct rw_flow *f = &x->flows[i];
			bool guar = f->guarantee > now;

			if (f->used && (!victim || (vguar && !guar) ||
					(vguar == guar && f->expiry < victim->expiry))) {
				victim = f;
				vguar = guar;
			}
		}
		rw_flow_free(x, victim);
	}
}

/* Put both entries of @f into the table; it cannot fail. */
void
rw_flow_link(struct rw *x, struct rw_flow *f)
{
	int32_t i = (int32_t)(f - x->flows);

	for (int d = 0; d < 2; d++) {
		int32_t *b = &x->bucket[key_hash(&f->k[d]) & x->mask];

		f->hnext[d] = *b;
		*b = 2 * i + d;
	}
}

static uint64_t
rng_next(struct rw *x)
{
	x->rng ^= x->rng << 13;
	x->rng ^= x->rng >> 7;
	x->rng ^= x->rng << 17;
	return x->rng;
}

/* Rewrite @k by the pattern into @out. Returns 0, or -1 when no port of the
 * range is free. */
int
rw_pattern_apply(struct rw *x, struct rw_pattern *pt, const struct rw_key *k, struct rw_key *out,
	      uint64_t now)
{
	struct rw_key rev;
	uint32_t val, sp = nl_ntoh16(k->sport);

	*out = *k;
	if (pt->saddr)
		out->saddr = pt->saddr;
	if (pt->sport)
		out->sport = nl_hton16(pt->sport);
	if (pt->daddr)
		out->daddr = pt->daddr;
	if (pt->dport)
		out->dport = nl_hton16(pt->dport);
	if (pt->variation == 0)
		return 0;
	/* a port is free when no reply entry already answers to it */
	rev = rw_key_reverse(out);
	if (pt->same_first && sp >= pt->sport && sp - pt->sport <= pt->variation) {
		rev.dport = k->sport;
		if (rw_table_lookup(x, &rev, now) < 0) {
			val = sp - pt->sport;
			goto found;
		}
	}
	if (pt->sequential)
		val = pt->next > pt->variation ? 0 : pt->next;
	else
		val = (uint32_t)(rng_next(x) % ((uint64_t)pt->variation + 1));
	for (uint32_t n = 0; n <= pt->variation; n++) {
		rev.dport = nl_hton16((uint16_t)(pt->sport + val));
		if (rw_table_lookup(x, &rev, now) < 0)
			goto found;
		val = val == pt->variation ? 0 : val + 1;
	}
	return -1;
found:
	out->sport = rev.dport;
	pt->next = val + 1;
	return 0;
}
