/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_conntrack.c — the connection table (nl_conntrack.h, docs/conntrack.md).
 *
 * Layout: an array of buckets (one cache line each: a spinlock and the
 * signatures of its NL_CT_BUCKET_WAYS entries, 0 for a free way) beside an
 * array of entries (one cache line each), NL_CT_BUCKET_WAYS per bucket. A
 * key has two candidate buckets, both derived from its hash; a new entry
 * goes into the one with more free ways, and never moves afterwards. A
 * lookup reads the first bucket's line, then the entry whose signature
 * matches, and only on a miss the second bucket.
 *
 * Locks: a lookup or update holds one bucket lock at a time; a create holds
 * both of the key's buckets (lower index first), so two creates of one key
 * cannot both succeed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nl_ct_priv.h"

#define WAYS NL_CT_BUCKET_WAYS
#define SIG_USED 1u /* set in every stored signature: 0 marks a free way */

struct ct_bucket {
	uint32_t lock;
	uint32_t sig[WAYS]; /* hash | SIG_USED, or 0 */
	uint8_t pad[64 - 4 - 4 * WAYS];
};
_Static_assert(sizeof(struct ct_bucket) == 64, "a bucket is one cache line");

/* Event counters, then one per state. */
enum { C_CREATED, C_EXPIRED, C_EVICTED, C_FULL, C_INVALID, C_STATE0 };
#define C_MAX (C_STATE0 + NL_CT_STATE_MAX)

struct nl_ct {
	struct ct_bucket *buckets;
	struct ct_entry *entries;
	uint32_t mask; /* buckets - 1 */
	uint32_t flags;
	uint32_t timeout[NL_CT_STATE_MAX];
	uint32_t cursor __attribute__((aligned(64))); /* nl_ct_expire()'s next bucket */
	uint64_t cnt[C_MAX] __attribute__((aligned(64)));
};

static const uint32_t default_timeout[NL_CT_STATE_MAX] = {
#define NL_CT_X(name, to) to,
	NL_CT_STATES(NL_CT_X)
#undef NL_CT_X
};

static const char *const state_names[NL_CT_STATE_MAX] = {
#define NL_CT_X(name, to) #name,
	NL_CT_STATES(NL_CT_X)
#undef NL_CT_X
};

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static inline void
b_lock(const struct nl_ct *ct, uint32_t bi)
{
	uint32_t *l = &ct->buckets[bi].lock;

	if (ct->flags & NL_CT_F_NO_LOCK)
		return;
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void
b_unlock(const struct nl_ct *ct, uint32_t bi)
{
	if (!(ct->flags & NL_CT_F_NO_LOCK))
		__atomic_store_n(&ct->buckets[bi].lock, 0, __ATOMIC_RELEASE);
}

static inline void
cnt_add(struct nl_ct *ct, unsigned int c, int64_t v)
{
	if (ct->flags & NL_CT_F_NO_LOCK)
		ct->cnt[c] += (uint64_t)v;
	else
		__atomic_fetch_add(&ct->cnt[c], (uint64_t)v, __ATOMIC_RELAXED);
}

static inline struct ct_entry *
entry(const struct nl_ct *ct, uint32_t bi, unsigned int w)
{
	return &ct->entries[(size_t)bi * WAYS + w];
}

/* The two candidate buckets of @hash in b[]; returns 1 when they are the same. */
static inline unsigned int
buckets_of(const struct nl_ct *ct, uint32_t hash, uint32_t b[2])
{
	uint32_t alt = hash * 0x9e3779b1u; /* Fibonacci hashing: other bits than the mask's */

	b[0] = hash & ct->mask;
	b[1] = (alt ^ alt >> 16) & ct->mask;
	return b[1] == b[0] ? 1 : 2;
}

static inline bool
key_eq(const struct nl_ct_key *a, const struct nl_ct_key *b)
{
	uint64_t x[5], y[5];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		(x[4] ^ y[4])) == 0;
}
_Static_assert(sizeof(struct nl_ct_key) == 40, "key_eq() compares 5 words");

/* Assured connections are never evicted for a new one. */
static inline bool
assured(unsigned int st)
{
	return (st >= NL_CT_TCP_ESTABLISHED && st <= NL_CT_TCP_LAST_ACK) ||
	       st == NL_CT_UDP_REPLIED;
}

/* Free way @w of bucket @bi; the caller counts why. */
static inline void
way_free(struct nl_ct *ct, uint32_t bi, unsigned int w)
{
	ct->buckets[bi].sig[w] = 0;
	cnt_add(ct, C_STATE0 + entry(ct, bi, w)->c.state, -1);
}

/*
 * Way of bucket @bi holding @p's key (live only when @live), or -1. @hint
 * is a slot from an earlier lookup, tried first.
 */
static int
find(const struct nl_ct *ct, uint32_t bi, const struct nl_ct_pkt *p, uint64_t now, bool live,
     uint32_t hint)
{
	const struct ct_bucket *b = &ct->buckets[bi];
	const struct ct_entry *e = entry(ct, bi, 0);
	uint32_t sig = p->hash | SIG_USED;
	unsigned int w;

	if (hint / WAYS == bi) {
		w = hint % WAYS;
		if (b->sig[w] == sig && key_eq(&e[w].key, &p->key) && (!live || now < e[w].expire))
			return (int)w;
	}
	for (w = 0; w < WAYS; w++)
		if (b->sig[w] == sig && key_eq(&e[w].key, &p->key) && (!live || now < e[w].expire))
			return (int)w;
	return -1;
}

static void
fill_result(const struct ct_entry *e, const struct nl_ct_pkt *p, uint32_t slot,
	    struct nl_ct_result *res)
{
	res->dir = (uint8_t)(p->side ^ e->c.orig_side);
	res->state = e->c.state;
	res->related = p->kind == NL_CT_K_ICMP_ERROR;
	res->slot = slot;
	res->expire = e->expire;
}

/* Apply @p to the live entry @e (lock held): 0 or -EPROTO (counted). */
static int
advance(struct nl_ct *ct, struct ct_entry *e, const struct nl_ct_pkt *p, uint64_t now)
{
	struct ct_conn n;

	if (nl_ct_step(&e->c, p, &n) < 0) {
		cnt_add(ct, C_INVALID, 1);
		return -EPROTO;
	}
	if (p->kind == NL_CT_K_ICMP_ERROR)
		return 0; /* related: the connection is left as it is */
	if (n.state != e->c.state) {
		cnt_add(ct, C_STATE0 + e->c.state, -1);
		cnt_add(ct, C_STATE0 + n.state, 1);
	}
	/* After a reopening SYN, the connection waits for the answer as a
	 * SYN_SENT one does (nl_ct_proto.c). */
	e->expire = now + ct->timeout[(n.flags & CT_F_REOPEN) ? NL_CT_TCP_SYN_SENT : n.state];
	e->c = n;
	return 0;
}

struct nl_ct *
nl_ct_new(const struct nl_ct_config *cfg)
{
	struct nl_ct_config def = { .capacity = 65536 };
	uint32_t entries = WAYS, cap, i;
	struct nl_ct *ct;

	if (cfg == NULL)
		cfg = &def;
	if (cfg->capacity > NL_CT_MAX_CAPACITY || (cfg->flags & ~NL_CT_F_NO_LOCK) != 0) {
		errno = EINVAL;
		return NULL;
	}
	cap = cfg->capacity ? cfg->capacity : def.capacity; /* zeroed fields: defaults */
	while (entries < cap)
		entries <<= 1;
	ct = aligned_alloc(64, sizeof(*ct));
	if (ct == NULL)
		return NULL;
	memset(ct, 0, sizeof(*ct));
	ct->buckets = aligned_alloc(64, (size_t)entries / WAYS * sizeof(struct ct_bucket));
	ct->entries = aligned_alloc(64, (size_t)entries * sizeof(struct ct_entry));
	if (ct->buckets == NULL || ct->entries == NULL) {
		nl_ct_free(ct);
		errno = ENOMEM;
		return NULL;
	}
	memset(ct->buckets, 0, (size_t)entries / WAYS * sizeof(struct ct_bucket));
	memset(ct->entries, 0, (size_t)entries * sizeof(struct ct_entry));
	ct->mask = entries / WAYS - 1;
	ct->flags = cfg->flags;
	for (i = 0; i < NL_CT_STATE_MAX; i++)
		ct->timeout[i] = cfg->timeout_ms[i] ? cfg->timeout_ms[i] : default_timeout[i];
	return ct;
}

void
nl_ct_free(struct nl_ct *ct)
{
	if (ct == NULL)
		return;
	free(ct->buckets);
	free(ct->entries);
	free(ct);
}

uint32_t
nl_ct_capacity(const struct nl_ct *ct)
{
	return (ct->mask + 1) * WAYS;
}

uint32_t
nl_ct_default_timeout(unsigned int state)
{
	return state < NL_CT_STATE_MAX ? default_timeout[state] : 0;
}

const char *
nl_ct_state_name(unsigned int state)
{
	return state < NL_CT_STATE_MAX ? state_names[state] : "?";
}

/* @p has a key to look up: not untracked, malformed or an error quoting nothing usable. */
static inline bool
keyed(const struct nl_ct_pkt *p)
{
	return p->kind != NL_CT_K_UNTRACKED && p->kind != NL_CT_K_MALFORMED &&
	       p->kind != NL_CT_K_ICMP_NOKEY;
}

/* Status of a packet for which there is no connection (counted when invalid). */
static int
status_without_entry(struct nl_ct *ct, const struct nl_ct_pkt *p)
{
	if (p->kind == NL_CT_K_UNTRACKED)
		return NL_CT_UNTRACKED;
	if (nl_ct_first_state(p) >= 0)
		return NL_CT_NEW;
	cnt_add(ct, C_INVALID, 1);
	return NL_CT_INVALID;
}

/*
 * Find @p's live connection, one bucket locked at a time, and when @update
 * apply @p to it. Returns the status; res->valid is the update's verdict.
 */
static int
lookup_common(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	      struct nl_ct_result *res, bool update)
{
	uint32_t b[2], hint = res->slot;
	unsigned int nb, k;
	int w;

	memset(res, 0, sizeof(*res));
	res->slot = UINT32_MAX;
	if (!keyed(p))
		return status_without_entry(ct, p);
	nb = buckets_of(ct, p->hash, b);
	if (nb == 2) /* half the entries live in their second bucket */
		__builtin_prefetch(&ct->buckets[b[1]]);
	for (k = 0; k < nb; k++) {
		b_lock(ct, b[k]);
		w = find(ct, b[k], p, now, true, hint);
		if (w >= 0) {
			struct ct_entry *e = entry(ct, b[k], (unsigned int)w);

			if (update)
				res->valid = advance(ct, e, p, now) == 0;
			fill_result(e, p, b[k] * WAYS + (uint32_t)w, res);
			b_unlock(ct, b[k]);
			return NL_CT_FOUND;
		}
		b_unlock(ct, b[k]);
	}
	return status_without_entry(ct, p);
}

int
nl_ct_lookup(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	     struct nl_ct_result *res)
{
	res->slot = UINT32_MAX;
	return lookup_common(ct, p, now, res, false);
}

int
nl_ct_track(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	    struct nl_ct_result *res)
{
	res->slot = UINT32_MAX;
	return lookup_common(ct, p, now, res, true);
}

/* Prefetch the entry of bucket @bi whose signature is @sig, if any; false if none. */
static bool
prefetch_entry(const struct nl_ct *ct, uint32_t bi, uint32_t sig)
{
	const struct ct_bucket *b = &ct->buckets[bi];
	unsigned int w;

	for (w = 0; w < WAYS; w++) {
		/* Read without the lock: only a guess of where to prefetch. */
		if (__atomic_load_n(&b->sig[w], __ATOMIC_RELAXED) == sig) {
			__builtin_prefetch(entry(ct, bi, w));
			return true;
		}
	}
	return false;
}

int
nl_ct_track_burst(struct nl_ct *ct, const struct nl_ct_pkt *p, unsigned int n, uint64_t now,
		  uint8_t *status, struct nl_ct_result *res)
{
	uint32_t b[NL_CT_BURST_MAX][2];
	uint8_t nb[NL_CT_BURST_MAX];
	unsigned int i;

	if (n > NL_CT_BURST_MAX)
		return -EINVAL;
	/* Bucket lines first, then the entry lines they point to, then the work. */
	for (i = 0; i < n; i++) {
		nb[i] = (uint8_t)buckets_of(ct, p[i].hash, b[i]);
		__builtin_prefetch(&ct->buckets[b[i][0]]);
		if (nb[i] == 2)
			__builtin_prefetch(&ct->buckets[b[i][1]]);
	}
	for (i = 0; i < n; i++)
		if (keyed(&p[i]) && !prefetch_entry(ct, b[i][0], p[i].hash | SIG_USED) &&
		    nb[i] == 2)
			prefetch_entry(ct, b[i][1], p[i].hash | SIG_USED);
	for (i = 0; i < n; i++) {
		res[i].slot = UINT32_MAX;
		status[i] = (uint8_t)lookup_common(ct, &p[i], now, &res[i], true);
	}
	return (int)n;
}

int
nl_ct_update(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	     struct nl_ct_result *res)
{
	uint32_t b[2], hint = res->slot;
	unsigned int nb, k;
	int w, rc;

	if (!keyed(p))
		return -ENOENT;
	nb = buckets_of(ct, p->hash, b);
	if (nb == 2 && hint / WAYS == b[1]) { /* where the lookup found it */
		b[1] = b[0];
		b[0] = hint / WAYS;
	}
	for (k = 0; k < nb; k++) {
		b_lock(ct, b[k]);
		w = find(ct, b[k], p, now, true, hint);
		if (w >= 0) {
			struct ct_entry *e = entry(ct, b[k], (unsigned int)w);

			rc = advance(ct, e, p, now);
			fill_result(e, p, b[k] * WAYS + (uint32_t)w, res);
			res->valid = rc == 0;
			b_unlock(ct, b[k]);
			return rc;
		}
		b_unlock(ct, b[k]);
	}
	return -ENOENT;
}

/*
 * A way for a new entry among buckets @b[0..@nb) (locks held): a free way
 * of the bucket with more of them, else an expired entry (reclaimed), else
 * the unassured entry closest to expiry (evicted). Stores the bucket in
 * *@bi and returns the way, or -1 when every way holds a live assured
 * connection.
 */
static int
pick_way(struct nl_ct *ct, const uint32_t *b, unsigned int nb, uint64_t now, uint32_t *bi)
{
	unsigned int k, w, nfree[2] = { 0, 0 }, best = 0;
	int vw = -1;
	uint32_t vb = 0;

	for (k = 0; k < nb; k++)
		for (w = 0; w < WAYS; w++)
			nfree[k] += ct->buckets[b[k]].sig[w] == 0;
	if (nfree[0] + nfree[1] > 0) {
		best = nfree[1] > nfree[0];
		*bi = b[best];
		for (w = 0; ct->buckets[*bi].sig[w] != 0; w++)
			;
		return (int)w;
	}
	for (k = 0; k < nb; k++) {
		for (w = 0; w < WAYS; w++) {
			const struct ct_entry *e = entry(ct, b[k], w);

			if (now >= e->expire) {
				way_free(ct, b[k], w);
				cnt_add(ct, C_EXPIRED, 1);
				*bi = b[k];
				return (int)w;
			}
			if (!assured(e->c.state) &&
			    (vw < 0 || e->expire < entry(ct, vb, (unsigned int)vw)->expire)) {
				vw = (int)w;
				vb = b[k];
			}
		}
	}
	if (vw >= 0) {
		way_free(ct, vb, (unsigned int)vw);
		cnt_add(ct, C_EVICTED, 1);
		*bi = vb;
	}
	return vw;
}

/* Create with the key's buckets @b[0..@nb) locked; see nl_ct_create(). */
static int
create_locked(struct nl_ct *ct, const struct nl_ct_pkt *p, int st, uint64_t now,
	      const uint32_t *b, unsigned int nb, struct nl_ct_result *res)
{
	struct ct_entry *e;
	unsigned int k;
	uint32_t bi = 0;
	int w = -1;

	for (k = 0; k < nb && w < 0; k++) {
		w = find(ct, b[k], p, now, false, UINT32_MAX);
		bi = b[k];
	}
	if (w >= 0 && now < entry(ct, bi, (unsigned int)w)->expire) {
		fill_result(entry(ct, bi, (unsigned int)w), p, bi * WAYS + (uint32_t)w, res);
		return -EEXIST;
	}
	if (w >= 0) { /* the key's own expired entry: reclaim it */
		way_free(ct, bi, (unsigned int)w);
		cnt_add(ct, C_EXPIRED, 1);
	} else {
		w = pick_way(ct, b, nb, now, &bi);
		if (w < 0) {
			cnt_add(ct, C_FULL, 1);
			return -ENOSPC;
		}
	}
	e = entry(ct, bi, (unsigned int)w);
	memset(e, 0, sizeof(*e));
	e->key = p->key;
	e->c.orig_side = p->side;
	e->c.state = (uint8_t)st;
	e->expire = now + ct->timeout[st];
	ct->buckets[bi].sig[w] = p->hash | SIG_USED;
	cnt_add(ct, C_STATE0 + (unsigned int)st, 1);
	cnt_add(ct, C_CREATED, 1);
	fill_result(e, p, bi * WAYS + (uint32_t)w, res);
	res->valid = 1;
	return 0;
}

int
nl_ct_create(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	     struct nl_ct_result *res)
{
	uint32_t b[2];
	unsigned int nb;
	int st, rc;

	memset(res, 0, sizeof(*res));
	res->slot = UINT32_MAX;
	st = nl_ct_first_state(p);
	if (st < 0)
		return -EINVAL;
	nb = buckets_of(ct, p->hash, b);
	if (nb == 2 && b[1] < b[0]) { /* lock order: lower index first */
		uint32_t t = b[0];

		b[0] = b[1];
		b[1] = t;
	}
	b_lock(ct, b[0]);
	if (nb == 2)
		b_lock(ct, b[1]);
	rc = create_locked(ct, p, st, now, b, nb, res);
	if (nb == 2)
		b_unlock(ct, b[1]);
	b_unlock(ct, b[0]);
	return rc;
}

uint32_t
nl_ct_expire(struct nl_ct *ct, uint64_t now, uint32_t nb_buckets)
{
	uint32_t n, bi, freed = 0;
	unsigned int w;

	if (nb_buckets > ct->mask + 1)
		nb_buckets = ct->mask + 1;
	bi = __atomic_fetch_add(&ct->cursor, nb_buckets, __ATOMIC_RELAXED);
	for (n = 0; n < nb_buckets; n++, bi++) {
		uint32_t b = bi & ct->mask;

		b_lock(ct, b);
		for (w = 0; w < WAYS; w++) {
			if (ct->buckets[b].sig[w] != 0 && now >= entry(ct, b, w)->expire) {
				way_free(ct, b, w);
				freed++;
			}
		}
		b_unlock(ct, b);
	}
	if (freed)
		cnt_add(ct, C_EXPIRED, freed);
	return freed;
}

void
nl_ct_stats_get(const struct nl_ct *ct, struct nl_ct_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->created = __atomic_load_n(&ct->cnt[C_CREATED], __ATOMIC_RELAXED);
	st->expired = __atomic_load_n(&ct->cnt[C_EXPIRED], __ATOMIC_RELAXED);
	st->evicted = __atomic_load_n(&ct->cnt[C_EVICTED], __ATOMIC_RELAXED);
	st->full = __atomic_load_n(&ct->cnt[C_FULL], __ATOMIC_RELAXED);
	st->invalid = __atomic_load_n(&ct->cnt[C_INVALID], __ATOMIC_RELAXED);
	for (i = 0; i < NL_CT_STATE_MAX; i++) {
		st->state[i] = __atomic_load_n(&ct->cnt[C_STATE0 + i], __ATOMIC_RELAXED);
		st->entries += st->state[i];
	}
}

uint64_t
nl_ct_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
