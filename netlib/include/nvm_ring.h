/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_ring.h — single-producer/single-consumer descriptor rings in shared
 * memory (struct nvm_ring, netvm_abi.h), used unchanged by the core engine
 * and by netlib.
 *
 * Each side keeps its own index and its own copy of size and mask in private
 * memory, and only reads the other side's index from the ring. That index is
 * not trusted: if it is impossible (the other side claims more entries than
 * the ring holds), the operation moves nothing and bumps @corrupt, which the
 * owner counts. Copies of descriptors are taken out of the ring before anyone
 * looks at them, so a peer rewriting a slot afterwards changes nothing.
 */
#ifndef NVM_RING_H
#define NVM_RING_H

#include <stdint.h>
#include <string.h>

#include "netvm_abi.h"

/* The producer's private view of a ring. */
struct nvm_ring_prod {
	struct nvm_ring *r;
	uint32_t size;
	uint32_t mask;
	uint32_t head;       /* next slot to write (private, authoritative) */
	uint32_t cons_cache; /* last consumer index read */
	uint64_t corrupt;    /* impossible consumer indexes seen */
};

/* The consumer's private view of a ring. */
struct nvm_ring_cons {
	struct nvm_ring *r;
	uint32_t size;
	uint32_t mask;
	uint32_t tail;       /* next slot to read (private, authoritative) */
	uint32_t prod_cache; /* last producer index read */
	uint64_t corrupt;    /* impossible producer indexes seen */
};

/* Lay out an empty ring of @size slots (a power of two) at @r. */
static inline void
nvm_ring_init(struct nvm_ring *r, uint32_t size)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->mask = size - 1;
}

/* Take the producer side of the fresh ring @r of @size slots (size comes
 * from the creator's own records, never from the shared header). */
static inline void
nvm_ring_prod_attach(struct nvm_ring_prod *p, struct nvm_ring *r, uint32_t size)
{
	p->r = r;
	p->size = size;
	p->mask = size - 1;
	p->head = 0;
	p->cons_cache = 0;
	p->corrupt = 0;
}

/* Take the consumer side of the fresh ring @r of @size slots. */
static inline void
nvm_ring_cons_attach(struct nvm_ring_cons *c, struct nvm_ring *r, uint32_t size)
{
	c->r = r;
	c->size = size;
	c->mask = size - 1;
	c->tail = 0;
	c->prod_cache = 0;
	c->corrupt = 0;
}

/* Free slots, refreshing the consumer index when the cached one says fewer
 * than @want. Returns 0 (and counts) if the consumer index is impossible. */
static inline uint32_t
nvm_ring_free_count(struct nvm_ring_prod *p, uint32_t want)
{
	uint32_t used = p->head - p->cons_cache;

	if (p->size - used < want) {
		uint32_t cons = __atomic_load_n(&p->r->cons, __ATOMIC_ACQUIRE);

		used = p->head - cons;
		if (used > p->size) {
			p->corrupt++;
			return 0;
		}
		p->cons_cache = cons;
	}
	return p->size - used;
}

/*
 * Enqueue in place: the slot @k places past the producer's head, where the
 * producer writes a descriptor itself; nvm_ring_publish() then hands the
 * written slots over. @k must be below what nvm_ring_free_count() said. The
 * peer can write the slot too: write it, never read it back.
 */
static inline struct nvm_desc *
nvm_ring_slot(const struct nvm_ring_prod *p, uint32_t k)
{
	return &p->r->slots[(p->head + k) & p->mask];
}

/* Hand the @n slots past the head (written) to the consumer. */
static inline void
nvm_ring_publish(struct nvm_ring_prod *p, uint32_t n)
{
	p->head += n;
	__atomic_store_n(&p->r->prod, p->head, __ATOMIC_RELEASE);
}

/* Enqueue up to @n descriptors; returns how many were enqueued. */
static inline uint32_t
nvm_ring_enqueue_burst(struct nvm_ring_prod *p, const struct nvm_desc *d, uint32_t n)
{
	uint32_t room = nvm_ring_free_count(p, n);
	uint32_t idx, first;

	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	idx = p->head & p->mask;
	first = p->size - idx;
	if (first >= n) {
		memcpy(&p->r->slots[idx], d, n * sizeof(*d));
	} else {
		memcpy(&p->r->slots[idx], d, first * sizeof(*d));
		memcpy(&p->r->slots[0], d + first, (n - first) * sizeof(*d));
	}
	nvm_ring_publish(p, n);
	return n;
}

/* Entries ready, refreshing the producer index when the cached one says
 * fewer than @want. Returns 0 (and counts) if the producer index is impossible. */
static inline uint32_t
nvm_ring_count(struct nvm_ring_cons *c, uint32_t want)
{
	uint32_t avail = c->prod_cache - c->tail;

	if (avail < want) {
		uint32_t prod = __atomic_load_n(&c->r->prod, __ATOMIC_ACQUIRE);

		avail = prod - c->tail;
		if (avail > c->size) {
			c->corrupt++;
			return 0;
		}
		c->prod_cache = prod;
	}
	return avail;
}

/*
 * Whether the producer has published anything the consumer has not read:
 * a look at the producer index, no more, for a poller that would rather
 * not start its work on an empty ring. True for an impossible index too,
 * which the dequeue then counts; the dequeue reads the index again, in
 * order, before it reads a slot.
 */
static inline int
nvm_ring_ready(const struct nvm_ring_cons *c)
{
	return c->prod_cache != c->tail ||
	       __atomic_load_n(&c->r->prod, __ATOMIC_RELAXED) != c->tail;
}

/* Dequeue up to @n descriptors into @d; returns how many were dequeued. */
static inline uint32_t
nvm_ring_dequeue_burst(struct nvm_ring_cons *c, struct nvm_desc *d, uint32_t n)
{
	uint32_t avail = nvm_ring_count(c, n);
	uint32_t idx, first;

	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	idx = c->tail & c->mask;
	first = c->size - idx;
	if (first >= n) {
		memcpy(d, &c->r->slots[idx], n * sizeof(*d));
	} else {
		memcpy(d, &c->r->slots[idx], first * sizeof(*d));
		memcpy(d + first, &c->r->slots[0], (n - first) * sizeof(*d));
	}
	c->tail += n;
	__atomic_store_n(&c->r->cons, c->tail, __ATOMIC_RELEASE);
	return n;
}

#endif /* NVM_RING_H */
