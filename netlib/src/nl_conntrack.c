/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_conntrack.c — the connection table and the per-protocol state machines
 * (nl_conntrack.h, docs/conntrack.md).
 *
 * Layout: an array of buckets (one cache line each: a spinlock and the
 * signatures of its NL_CT_BUCKET_WAYS entries, 0 for a free way) beside an
 * array of entries (one cache line each), NL_CT_BUCKET_WAYS per bucket. A
 * lookup reads the bucket line, then the entry whose signature matches.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nl_conntrack.h"

#define WAYS NL_CT_BUCKET_WAYS
#define SIG_USED 1u /* set in every stored signature: 0 marks a free way */

/* Entry flags. */
#define F_SIMOPEN 0x01          /* SYNs crossed: simultaneous open */
#define F_FIN_SEEN(side) (0x02u << (side))
#define F_FIN_ACKED(side) (0x08u << (side))

struct ct_entry {
	struct nl_ct_key key;
	uint64_t expire;     /* ms */
	uint32_t fin_end[2]; /* by side: sequence number just after its FIN */
	uint8_t state;
	uint8_t orig_side;   /* the side that opened the connection */
	uint8_t synack_side; /* the side that sent the SYN+ACK */
	uint8_t flags;       /* F_* */
	uint8_t pad[4];
};
_Static_assert(sizeof(struct ct_entry) == 64, "an entry is one cache line");

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
b_lock(const struct nl_ct *ct, struct ct_bucket *b)
{
	if (ct->flags & NL_CT_F_NO_LOCK)
		return;
	while (__atomic_exchange_n(&b->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&b->lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void
b_unlock(const struct nl_ct *ct, struct ct_bucket *b)
{
	if (!(ct->flags & NL_CT_F_NO_LOCK))
		__atomic_store_n(&b->lock, 0, __ATOMIC_RELEASE);
}

static inline void
cnt_add(struct nl_ct *ct, unsigned int c, int64_t v)
{
	if (ct->flags & NL_CT_F_NO_LOCK)
		ct->cnt[c] += (uint64_t)v;
	else
		__atomic_fetch_add(&ct->cnt[c], (uint64_t)v, __ATOMIC_RELAXED);
}

static inline void
set_state(struct nl_ct *ct, struct ct_entry *e, unsigned int st)
{
	if (e->state != st) {
		cnt_add(ct, C_STATE0 + e->state, -1);
		cnt_add(ct, C_STATE0 + st, 1);
		e->state = (uint8_t)st;
	}
}

static inline bool
key_eq(const struct nl_ct_key *a, const struct nl_ct_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Assured connections are never evicted for a new one. */
static inline bool
assured(unsigned int st)
{
	return (st >= NL_CT_TCP_ESTABLISHED && st <= NL_CT_TCP_LAST_ACK) ||
	       st == NL_CT_UDP_REPLIED;
}

/* Free way @w of bucket @b (entry @e); the caller counts why. */
static inline void
way_free(struct nl_ct *ct, struct ct_bucket *b, unsigned int w, const struct ct_entry *e)
{
	b->sig[w] = 0;
	cnt_add(ct, C_STATE0 + e->state, -1);
}

/*
 * Way of bucket @bi holding the live entry of @p's key, or -1. @hint is a
 * slot from an earlier lookup, tried first.
 */
static int
find(const struct nl_ct *ct, uint32_t bi, const struct nl_ct_pkt *p, uint64_t now,
     uint32_t hint)
{
	const struct ct_bucket *b = &ct->buckets[bi];
	const struct ct_entry *e = &ct->entries[(size_t)bi * WAYS];
	uint32_t sig = p->hash | SIG_USED;
	unsigned int w;

	if (hint / WAYS == bi) {
		w = hint % WAYS;
		if (b->sig[w] == sig && key_eq(&e[w].key, &p->key) && now < e[w].expire)
			return (int)w;
	}
	for (w = 0; w < WAYS; w++)
		if (b->sig[w] == sig && key_eq(&e[w].key, &p->key) && now < e[w].expire)
			return (int)w;
	return -1;
}

/* Way of bucket @bi holding @p's key, live or expired, or -1. */
static int
find_any(const struct nl_ct *ct, uint32_t bi, const struct nl_ct_pkt *p)
{
	const struct ct_bucket *b = &ct->buckets[bi];
	const struct ct_entry *e = &ct->entries[(size_t)bi * WAYS];
	uint32_t sig = p->hash | SIG_USED;
	unsigned int w;

	for (w = 0; w < WAYS; w++)
		if (b->sig[w] == sig && key_eq(&e[w].key, &p->key))
			return (int)w;
	return -1;
}

/* Status of a packet for which there is no connection. */
static int
status_without_entry(const struct nl_ct_pkt *p)
{
	switch (p->kind) {
	case NL_CT_K_UNTRACKED:
		return NL_CT_UNTRACKED;
	case NL_CT_K_UDP:
	case NL_CT_K_ECHO_REQUEST:
		return NL_CT_NEW;
	case NL_CT_K_TCP:
		return (p->tcp_flags & (NL_CT_TCP_SYN | NL_CT_TCP_ACK | NL_CT_TCP_RST |
					NL_CT_TCP_FIN)) == NL_CT_TCP_SYN ? NL_CT_NEW : NL_CT_INVALID;
	default:
		return NL_CT_INVALID;
	}
}

static void
fill_result(const struct ct_entry *e, const struct nl_ct_pkt *p, uint32_t slot,
	    struct nl_ct_result *res)
{
	res->dir = (uint8_t)(p->side ^ e->orig_side);
	res->state = e->state;
	res->related = p->kind == NL_CT_K_ICMP_ERROR;
	res->slot = slot;
	res->expire = e->expire;
}

/* TCP state once established: from the FINs seen and acknowledged. */
static unsigned int
closing_state(unsigned int fl)
{
	unsigned int seen = !!(fl & F_FIN_SEEN(0)) + !!(fl & F_FIN_SEEN(1));
	unsigned int acked = !!(fl & F_FIN_ACKED(0)) + !!(fl & F_FIN_ACKED(1));

	if (seen == 0)
		return NL_CT_TCP_ESTABLISHED;
	if (seen == 1)
		return acked ? NL_CT_TCP_CLOSE_WAIT : NL_CT_TCP_FIN_WAIT;
	return acked == 2 ? NL_CT_TCP_TIME_WAIT : NL_CT_TCP_LAST_ACK;
}

/* A SYN or SYN+ACK on @e: the new state, or -EPROTO. */
static int
tcp_syn(struct ct_entry *e, unsigned int side, bool orig, bool ack)
{
	unsigned int st = e->state;

	if (!ack) {
		if (st == NL_CT_TCP_SYN_SENT) {
			if (!orig)
				e->flags |= F_SIMOPEN;
			return orig ? (int)st : NL_CT_TCP_SYN_SENT2;
		}
		if (st == NL_CT_TCP_SYN_SENT2 ||
		    (st == NL_CT_TCP_SYN_RECV && (orig || (e->flags & F_SIMOPEN))))
			return (int)st; /* retransmitted */
		if ((st == NL_CT_TCP_TIME_WAIT || st == NL_CT_TCP_CLOSE) && orig) {
			e->flags = 0; /* the same end opens the tuple again */
			return NL_CT_TCP_SYN_SENT;
		}
		return -EPROTO;
	}
	switch (st) {
	case NL_CT_TCP_SYN_SENT:
		if (orig)
			return -EPROTO;
		e->synack_side = (uint8_t)side;
		return NL_CT_TCP_SYN_RECV;
	case NL_CT_TCP_SYN_SENT2:
		e->synack_side = (uint8_t)side;
		return NL_CT_TCP_SYN_RECV;
	case NL_CT_TCP_SYN_RECV:
		if (side == e->synack_side)
			return (int)st;
		return (e->flags & F_SIMOPEN) ? NL_CT_TCP_ESTABLISHED : -EPROTO;
	case NL_CT_TCP_ESTABLISHED:
		return side == e->synack_side ? (int)st : -EPROTO; /* final ACK was lost */
	default:
		return -EPROTO;
	}
}

/* Run the TCP machine on a copy of @e: the new entry in *@out, or -EPROTO. */
static int
tcp_step(const struct ct_entry *e, const struct nl_ct_pkt *p, struct ct_entry *out)
{
	unsigned int f = p->tcp_flags, side = p->side, other = !side;
	bool orig = side == e->orig_side;
	int st;

	*out = *e;
	if (f & NL_CT_TCP_RST) {
		if (f & NL_CT_TCP_SYN)
			return -EPROTO;
		out->state = NL_CT_TCP_CLOSE;
		return 0;
	}
	if (f & NL_CT_TCP_SYN) {
		if (f & NL_CT_TCP_FIN)
			return -EPROTO;
		st = tcp_syn(out, side, orig, f & NL_CT_TCP_ACK);
		if (st < 0)
			return st;
		out->state = (uint8_t)st;
		return 0;
	}
	if (!(f & NL_CT_TCP_ACK))
		return -EPROTO; /* after the SYNs, every segment carries ACK */
	if (e->state == NL_CT_TCP_SYN_RECV) {
		if (side == e->synack_side)
			return -EPROTO;
	} else if (e->state < NL_CT_TCP_ESTABLISHED || e->state > NL_CT_TCP_TIME_WAIT) {
		return -EPROTO; /* SYN_SENT, SYN_SENT2: ACK of nothing; CLOSE */
	}
	if ((out->flags & F_FIN_SEEN(other)) && !(out->flags & F_FIN_ACKED(other)) &&
	    (int32_t)(p->ack - out->fin_end[other]) >= 0)
		out->flags |= F_FIN_ACKED(other);
	if ((f & NL_CT_TCP_FIN) && !(out->flags & F_FIN_SEEN(side))) {
		out->flags |= F_FIN_SEEN(side);
		out->fin_end[side] = p->seq + p->payload_len + 1;
	}
	out->state = (uint8_t)closing_state(out->flags);
	return 0;
}

/* Apply @p to the live entry @e (lock held): 0 or -EPROTO (counted). */
static int
advance(struct nl_ct *ct, struct ct_entry *e, const struct nl_ct_pkt *p, uint64_t now)
{
	bool reply = (p->side ^ e->orig_side) != 0;
	struct ct_entry n;
	unsigned int st = e->state;

	switch (p->kind) {
	case NL_CT_K_ICMP_ERROR:
		return 0; /* related: valid, changes nothing */
	case NL_CT_K_TCP:
		if (tcp_step(e, p, &n) < 0)
			goto invalid;
		st = n.state;
		n.state = e->state; /* set_state() moves the counts */
		*e = n;
		break;
	case NL_CT_K_UDP:
		if (reply)
			st = NL_CT_UDP_REPLIED;
		break;
	case NL_CT_K_ECHO_REQUEST:
		if (reply)
			goto invalid;
		break;
	case NL_CT_K_ECHO_REPLY:
		if (!reply)
			goto invalid;
		st = NL_CT_ICMP_REPLIED;
		break;
	default:
		goto invalid;
	}
	set_state(ct, e, st);
	e->expire = now + ct->timeout[st];
	return 0;
invalid:
	cnt_add(ct, C_INVALID, 1);
	return -EPROTO;
}

struct nl_ct *
nl_ct_new(const struct nl_ct_config *cfg)
{
	struct nl_ct_config def = { .capacity = 65536 };
	uint32_t entries = WAYS, i;
	struct nl_ct *ct;

	if (cfg == NULL)
		cfg = &def;
	if (cfg->capacity > NL_CT_MAX_CAPACITY || (cfg->flags & ~NL_CT_F_NO_LOCK) != 0) {
		errno = EINVAL;
		return NULL;
	}
	while (entries < cfg->capacity)
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

/* Lookup and, when @update, update, with bucket @bi locked. */
static int
lookup_locked(struct nl_ct *ct, uint32_t bi, const struct nl_ct_pkt *p, uint64_t now,
	      struct nl_ct_result *res, bool update)
{
	struct ct_entry *e;
	int w, st;

	w = find(ct, bi, p, now, res->slot);
	if (w < 0) {
		st = status_without_entry(p);
		if (st == NL_CT_INVALID)
			cnt_add(ct, C_INVALID, 1);
		return st;
	}
	e = &ct->entries[(size_t)bi * WAYS + (unsigned int)w];
	if (update)
		res->valid = advance(ct, e, p, now) == 0;
	fill_result(e, p, bi * WAYS + (uint32_t)w, res);
	return NL_CT_FOUND;
}

/* Untracked and malformed packets never reach the table: their status. */
static int
not_in_table(struct nl_ct *ct, const struct nl_ct_pkt *p)
{
	if (p->kind == NL_CT_K_UNTRACKED)
		return NL_CT_UNTRACKED;
	cnt_add(ct, C_INVALID, 1);
	return NL_CT_INVALID;
}

static int
lookup_common(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	      struct nl_ct_result *res, bool update)
{
	uint32_t bi = p->hash & ct->mask;
	int st;

	memset(res, 0, sizeof(*res));
	res->slot = UINT32_MAX;
	if (p->kind == NL_CT_K_UNTRACKED || p->kind == NL_CT_K_MALFORMED)
		return not_in_table(ct, p);
	b_lock(ct, &ct->buckets[bi]);
	st = lookup_locked(ct, bi, p, now, res, update);
	b_unlock(ct, &ct->buckets[bi]);
	return st;
}

int
nl_ct_lookup(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	     struct nl_ct_result *res)
{
	return lookup_common(ct, p, now, res, false);
}

int
nl_ct_track(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	    struct nl_ct_result *res)
{
	return lookup_common(ct, p, now, res, true);
}

int
nl_ct_update(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	     struct nl_ct_result *res)
{
	uint32_t bi = p->hash & ct->mask;
	struct ct_entry *e;
	int w, rc = -ENOENT;

	if (p->kind == NL_CT_K_UNTRACKED || p->kind == NL_CT_K_MALFORMED)
		return -ENOENT;
	b_lock(ct, &ct->buckets[bi]);
	w = find(ct, bi, p, now, res->slot);
	if (w >= 0) {
		e = &ct->entries[(size_t)bi * WAYS + (unsigned int)w];
		rc = advance(ct, e, p, now);
		fill_result(e, p, bi * WAYS + (uint32_t)w, res);
		res->valid = rc == 0;
	}
	b_unlock(ct, &ct->buckets[bi]);
	return rc;
}

/*
 * Way for a new entry in bucket @bi (lock held): a free one, an expired one
 * (reclaimed), or the unassured one closest to expiry (evicted); -1 if every
 * way holds a live assured connection.
 */
static int
pick_way(struct nl_ct *ct, uint32_t bi, uint64_t now)
{
	struct ct_bucket *b = &ct->buckets[bi];
	struct ct_entry *e = &ct->entries[(size_t)bi * WAYS];
	int w, victim = -1;

	for (w = 0; w < (int)WAYS; w++)
		if (b->sig[w] == 0)
			return w;
	for (w = 0; w < (int)WAYS; w++) {
		if (now >= e[w].expire) {
			way_free(ct, b, (unsigned int)w, &e[w]);
			cnt_add(ct, C_EXPIRED, 1);
			return w;
		}
		if (!assured(e[w].state) && (victim < 0 || e[w].expire < e[victim].expire))
			victim = w;
	}
	if (victim >= 0) {
		way_free(ct, b, (unsigned int)victim, &e[victim]);
		cnt_add(ct, C_EVICTED, 1);
	}
	return victim;
}

int
nl_ct_create(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
	     struct nl_ct_result *res)
{
	uint32_t bi = p->hash & ct->mask;
	struct ct_bucket *b = &ct->buckets[bi];
	struct ct_entry *e;
	unsigned int st;
	int w, rc = 0;

	memset(res, 0, sizeof(*res));
	res->slot = UINT32_MAX;
	if (status_without_entry(p) != NL_CT_NEW)
		return -EINVAL;
	st = p->kind == NL_CT_K_TCP ? NL_CT_TCP_SYN_SENT :
	     p->kind == NL_CT_K_UDP ? NL_CT_UDP_UNREPLIED : NL_CT_ICMP_UNREPLIED;
	b_lock(ct, b);
	w = find_any(ct, bi, p);
	if (w >= 0 && now < ct->entries[(size_t)bi * WAYS + (unsigned int)w].expire) {
		rc = -EEXIST;
	} else if (w >= 0) { /* the key's own expired entry: reclaim it */
		way_free(ct, b, (unsigned int)w, &ct->entries[(size_t)bi * WAYS + (unsigned int)w]);
		cnt_add(ct, C_EXPIRED, 1);
	} else {
		w = pick_way(ct, bi, now);
		if (w < 0) {
			cnt_add(ct, C_FULL, 1);
			rc = -ENOSPC;
		}
	}
	if (rc == 0) {
		e = &ct->entries[(size_t)bi * WAYS + (unsigned int)w];
		memset(e, 0, sizeof(*e));
		e->key = p->key;
		e->orig_side = p->side;
		e->state = (uint8_t)st;
		e->expire = now + ct->timeout[st];
		b->sig[w] = p->hash | SIG_USED;
		cnt_add(ct, C_STATE0 + st, 1);
		cnt_add(ct, C_CREATED, 1);
	}
	if (w >= 0) {
		e = &ct->entries[(size_t)bi * WAYS + (unsigned int)w];
		fill_result(e, p, bi * WAYS + (uint32_t)w, res);
		res->valid = 1;
	}
	b_unlock(ct, b);
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
		struct ct_bucket *b = &ct->buckets[bi & ct->mask];
		struct ct_entry *e = &ct->entries[(size_t)(bi & ct->mask) * WAYS];

		b_lock(ct, b);
		for (w = 0; w < WAYS; w++) {
			if (b->sig[w] != 0 && now >= e[w].expire) {
				way_free(ct, b, w, &e[w]);
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
