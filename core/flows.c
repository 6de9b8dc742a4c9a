/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's flow table (flows.h): rte_hash for the keys, and beside it an
 * array of entries indexed by the key's position in the hash, as DPDK's
 * l3fwd does, so a burst costs one rte_hash_lookup_with_hash_bulk() and a
 * hit costs no second lookup. The hash is created without DPDK's
 * multi-thread flags: only the owning lcore ever touches it.
 *
 * The key is 8 bytes (flow hash, role). Its signature is computed from the
 * flow hash the classifier already has (flow_sig(), no CRC per packet), and
 * keys compare as one 64-bit word (flow_key_cmp(), not memcmp). Packets of
 * a burst that follow a packet of the same flow share its lookup.
 *
 * In front of rte_hash, a direct-mapped array of hints (hint[], indexed by
 * the signature) remembers where each flow's entry was last found. A hint
 * is trusted only when the entry at that position is in use and holds the
 * very key: an entry in use is always at its key's position in rte_hash,
 * so a hint that passes is what rte_hash would answer. Expiry and a flow
 * that lands on another's hint leave stale hints behind, which fail the
 * test and send the key to rte_hash, as every key went before: a known
 * flow costs one array read and one compare instead of a bulk lookup's
 * bucket search (about 120 instructions per key).
 *
 * A call resolves its runs in order. Up to the first key whose hint fails,
 * each run is resolved as it is read (resolve_hinted()); the keys from
 * there on wait for one bulk lookup. With many flows (FLOWS_PREFETCH_MIN),
 * the burst's hints and then their entries are prefetched first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "core.h"
#include "flows.h"

#define FLOWS_BULK 64 /* RTE_HASH_LOOKUP_BULK_MAX */
#define FLOWS_NONE UINT8_MAX /* key_of[]: no instance to look up */
#define FLOWS_HINTS_MAX (1u << 20) /* hint[] entries at most (4 MiB) */
/* active flows from which core_flows_place() prefetches: about two cache
 * lines each (hint, entry), 2 MiB at this count (measured: a loss at 8192
 * flows, whose lines stay in a 1.25 MiB second-level cache, a gain from
 * 32 768 on; docs/benchmarks.md) */
#define FLOWS_PREFETCH_MIN 16384

struct flow_key {
	uint32_t hash;
	uint16_t role;
	uint16_t pad;
};
_Static_assert(sizeof(struct flow_key) == sizeof(uint64_t), "flow_key is one word");

struct flow_ent {
	struct flow_key key;
	uint64_t seen; /* TSC of the last packet */
	uint32_t gen;  /* of the NF the flow is on */
	uint16_t nf;   /* its id */
	uint8_t used;
};

struct core_flows {
	struct rte_hash *h;
	struct flow_ent *ents; /* by key position */
	uint32_t nb_pos;
	uint32_t *hint;        /* by signature & hint_mask: a position + 1, 0 for none */
	uint32_t hint_mask;
	uint32_t sweep;        /* the next position core_flows_expire() looks at */
	uint64_t idle_tsc;
	uint32_t call;         /* core_flows_place() calls, tags base[] */
	uint32_t stamp[CORE_MAX_NFS]; /* base[i] was read during call stamp[i] */
	uint32_t base[CORE_MAX_NFS];  /* NF i's load: ring, plus packets given this call */
	uint32_t given[CORE_MAX_NFS]; /* the last call that gave NF i a packet */
	uint32_t empty_gen[CORE_MAX_NFS]; /* NF i (this generation) was seen empty while
					   * handed over: its flows move */
	/* written by the owning lcore, read by telemetry */
	struct core_flows_stats st;
	uint32_t nf_gen[CORE_MAX_NFS];  /* generation nf_flows[i] counts for */
	uint64_t nf_flows[CORE_MAX_NFS];
};

static inline void
ctr_set(uint64_t *ctr, uint64_t v)
{
	__atomic_store_n(ctr, v, __ATOMIC_RELAXED);
}

/* The rte_hash signature of the flow (@hash, @role): the flow hash (CRC32-C
 * of the 5-tuple, so its bits are already mixed) with the role folded in. */
static inline hash_sig_t
flow_sig(uint32_t hash, uint16_t role)
{
	return hash ^ ((uint32_t)role * 0x9e3779b1u);
}

/* rte_hash's hash function for a key: flow_sig() of its fields, so that
 * calls without a precomputed signature agree with those with one. */
static uint32_t
flow_key_sig(const void *key, uint32_t len, uint32_t init)
{
	const struct flow_key *k = key;

	RTE_SET_USED(len);
	RTE_SET_USED(init);
	return flow_sig(k->hash, k->role);
}

/* The key as one word, for compares. */
static inline uint64_t
flow_key_word(const struct flow_key *k)
{
	uint64_t w;

	memcpy(&w, k, sizeof(w));
	return w;
}

/* flow_key_word() of the key (@hash, @role), built in a register. */
static inline uint64_t
flow_word(uint32_t hash, uint16_t role)
{
	return (uint64_t)hash | (uint64_t)role << 32;
}
_Static_assert(offsetof(struct flow_key, hash) == 0 && offsetof(struct flow_key, role) == 4 &&
	       __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "flow_word() makes this layout");

/* rte_hash's key compare: 0 when equal, as memcmp. */
static int
flow_key_cmp(const void *a, const void *b, size_t len)
{
	RTE_SET_USED(len);
	return flow_key_word(a) != flow_key_word(b);
}

uint32_t
core_flows_nf_load(const struct core_nf *nf)
{
	uint32_t q, load = 0;

	for (q = 0; q < nf->nb_queues; q++) {
		const struct nvm_ring_prod *p = &nf->q[q].rx;
		uint32_t used = p->head - __atomic_load_n(&p->r->cons, __ATOMIC_RELAXED);

		load += used > p->size ? p->size : used;
	}
	return load;
}

struct core_flows *
core_flows_create(uint32_t size, uint32_t idle_ms, int socket, char *err, size_t errlen)
{
	static uint32_t seq; /* names must differ while two tables exist */
	struct rte_hash_parameters hp = {
		.entries = size,
		.key_len = sizeof(struct flow_key),
		.hash_func = flow_key_sig,
		.socket_id = socket,
	};
	struct core_flows *fl;
	char name[RTE_HASH_NAMESIZE];
	int32_t max;

	fl = rte_zmalloc_socket("netvm_flows", sizeof(*fl), RTE_CACHE_LINE_SIZE, socket);
	if (fl == NULL) {
		snprintf(err, errlen, "flow table: out of memory");
		return NULL;
	}
	snprintf(name, sizeof(name), "netvm_flows%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	hp.name = name;
	fl->h = rte_hash_create(&hp);
	if (fl->h == NULL) {
		snprintf(err, errlen, "flow table: rte_hash_create(%u entries): %s", size,
			 rte_strerror(rte_errno));
		rte_free(fl);
		return NULL;
	}
	rte_hash_set_cmp_func(fl->h, flow_key_cmp);
	max = rte_hash_max_key_id(fl->h);
	fl->nb_pos = max < 0 ? size : (uint32_t)max + 1;
	fl->ents = rte_zmalloc_socket("netvm_flow_ents", sizeof(*fl->ents) * fl->nb_pos,
				      RTE_CACHE_LINE_SIZE, socket);
	if (fl->ents == NULL) {
		snprintf(err, errlen, "flow table: out of memory for %u entries", fl->nb_pos);
		rte_hash_free(fl->h);
		rte_free(fl);
		return NULL;
	}
	fl->hint_mask = rte_align32pow2(RTE_MIN(fl->nb_pos, FLOWS_HINTS_MAX)) - 1;
	fl->hint = rte_zmalloc_socket("netvm_flow_hints", sizeof(*fl->hint) * (fl->hint_mask + 1),
				      RTE_CACHE_LINE_SIZE, socket);
	if (fl->hint == NULL) {
		snprintf(err, errlen, "flow table: out of memory for %u hints", fl->hint_mask + 1);
		rte_hash_free(fl->h);
		rte_free(fl->ents);
		rte_free(fl);
		return NULL;
	}
	fl->idle_tsc = rte_get_tsc_hz() / 1000 * idle_ms;
	return fl;
}

void
core_flows_free(struct core_flows *fl)
{
	if (fl == NULL)
		return;
	rte_hash_free(fl->h);
	rte_free(fl->ents);
	rte_free(fl->hint);
	rte_free(fl);
}

/* The entry @e stops counting for its NF. */
static inline void
unplace(struct core_flows *fl, const struct flow_ent *e)
{
	if (fl->nf_gen[e->nf] == e->gen)
		ctr_set(&fl->nf_flows[e->nf], fl->nf_flows[e->nf] - 1);
}

/* Put entry @e's flow on the least-loaded instance of its role in @v. */
static struct core_nf *
place(struct core_flows *fl, const struct core_view *v, struct flow_ent *e)
{
	uint16_t ni = v->nb_inst[e->key.role], i;
	struct core_nf *const *inst = v->inst[e->key.role];
	uint32_t load[CORE_MAX_INSTANCES];
	struct core_nf *nf;

	for (i = 0; i < ni; i++) {
		uint16_t id = inst[i]->id;

		if (fl->stamp[id] != fl->call) {
			fl->stamp[id] = fl->call;
			fl->base[id] = core_flows_nf_load(inst[i]);
		}
		/* a draining instance takes no new flow while another can */
		load[i] = __atomic_load_n(&inst[i]->draining, __ATOMIC_RELAXED) != CORE_DRAIN_OFF ?
			  UINT32_MAX :
			  fl->base[id];
	}
	nf = inst[ni == 1 ? 0 : core_flows_least(load, ni, e->key.hash)];
	e->nf = nf->id;
	e->gen = nf->gen;
	if (fl->nf_gen[nf->id] != nf->gen) {
		ctr_set(&fl->nf_flows[nf->id], 0);
		__atomic_store_n(&fl->nf_gen[nf->id], nf->gen, __ATOMIC_RELAXED);
	}
	ctr_set(&fl->nf_flows[nf->id], fl->nf_flows[nf->id] + 1);
	core_ctr_add(&nf->st.placed, 1);
	return nf;
}

/* Whether handed-over instance @nf has no packet in flight, so that its
 * flows may move (flows.h); once true, true for its generation. */
static bool
emptied(struct core_flows *fl, const struct core_nf *nf)
{
	uint32_t q;

	if (fl->empty_gen[nf->id] == nf->gen)
		return true;
	if (fl->given[nf->id] == fl->call ||
	    __atomic_load_n(&nf->st.returned, __ATOMIC_RELAXED) <
	    __atomic_load_n(&nf->st.rx, __ATOMIC_RELAXED))
		return false;
	for (q = 0; q < nf->nb_queues; q++)
		if (nf->q[q].rx.head != __atomic_load_n(&nf->q[q].rx.r->cons, __ATOMIC_ACQUIRE))
			return false;
	fl->empty_gen[nf->id] = nf->gen;
	return true;
}

/* The instance of known flow @e, placed again if it left @v, or moved if
 * its instance is handed over and empty. */
static inline struct core_nf *
known(struct core_flows *fl, const struct core_view *v, struct flow_ent *e)
{
	struct core_nf *nf = v->by_id[e->nf];

	if (likely(nf != NULL && nf->gen == e->gen)) {
		if (likely(__atomic_load_n(&nf->draining, __ATOMIC_RELAXED) !=
			   CORE_DRAIN_HANDOVER) || v->nb_inst[e->key.role] < 2 || !emptied(fl, nf))
			return nf;
		unplace(fl, e);
		core_ctr_add(&fl->st.moved, 1);
		return place(fl, v, e);
	}
	unplace(fl, e);
	core_ctr_add(&fl->st.replaced, 1);
	return place(fl, v, e);
}

/* What this call gave NF @nf (a run of @n packets of one flow) counts as
 * its load for the next new flow. */
static inline void
run_given(struct core_flows *fl, struct core_nf *nf, unsigned int n)
{
	if (n == 0)
		return;
	if (fl->stamp[nf->id] == fl->call)
		fl->base[nf->id] += n;
	fl->given[nf->id] = fl->call;
}

/* The instance for flow key @key at table position @p (a lookup's result:
 * negative when the key was not found), adding the key when it is new. */
static struct core_nf *
resolve(struct core_flows *fl, const struct core_view *v, const struct flow_key *key,
	hash_sig_t sig, int32_t p, uint64_t now)
{
	struct flow_ent *e;
	struct core_nf *nf;

	if (p < 0) {
		p = rte_hash_add_key_with_hash(fl->h, key, sig);
		if (unlikely(p < 0 || (uint32_t)p >= fl->nb_pos)) {
			if (p >= 0)
				rte_hash_del_key_with_hash(fl->h, key, sig);
			core_ctr_add(&fl->st.full, 1);
			return v->inst[key->role][cls_pick(key->hash, v->nb_inst[key->role])];
		}
	}
	e = &fl->ents[p];
	if (e->used) {
		nf = known(fl, v, e);
	} else {
		e->key = *key;
		e->used = 1;
		core_ctr_add(&fl->st.active, 1);
		nf = place(fl, v, e);
	}
	e->seen = now;
	fl->hint[sig & fl->hint_mask] = (uint32_t)p + 1;
	return nf;
}

/* The position of the flow of key word @kw (flow_word(); signature @sig)
 * by its hint, or -1 when the hint is stale or there is none: rte_hash then
 * decides. */
static inline int32_t
hinted(const struct core_flows *fl, uint64_t kw, hash_sig_t sig)
{
	uint32_t p = fl->hint[sig & fl->hint_mask] - 1;

	if (p < fl->nb_pos && fl->ents[p].used && flow_key_word(&fl->ents[p].key) == kw)
		return (int32_t)p;
	return -1;
}

/* resolve() for a flow its hint found at @p (hinted()): known, and its
 * hint already right. */
static inline struct core_nf *
resolve_hinted(struct core_flows *fl, const struct core_view *v, int32_t p, uint64_t now)
{
	struct flow_ent *e = &fl->ents[p];
	struct core_nf *nf = known(fl, v, e);

	e->seen = now;
	return nf;
}

void
core_flows_place(struct core_flows *fl, const struct core_view *v, const uint16_t *role,
		 const uint32_t *hash, const uint8_t *len, unsigned int n, uint64_t now,
		 struct core_nf **out)
{
	struct flow_key keys[FLOWS_BULK];
	hash_sig_t sig[FLOWS_BULK];
	int32_t pos[FLOWS_BULK];
	/* the keys without a good hint, for rte_hash */
	const void *kp[FLOWS_BULK];
	hash_sig_t msig[FLOWS_BULK];
	int32_t mpos[FLOWS_BULK];
	uint8_t miss_of[FLOWS_BULK];
	/* per run left for the second pass: its key, or FLOWS_NONE (its role
	 * has no instance, or the first pass resolved it) */
	uint8_t key_of[FLOWS_BULK];
	unsigned int i, k = 0, nm = 0, first = n;

	fl->call++;
	/* With many flows, their hints and entries are past the second-level
	 * cache: ask for all the burst's hints, then for the entries they
	 * name, so that their misses overlap rather than come one by one. */
	if (fl->st.active >= FLOWS_PREFETCH_MIN) {
		for (i = 0; i < n; i++)
			rte_prefetch0(&fl->hint[flow_sig(hash[i], role[i]) & fl->hint_mask]);
		for (i = 0; i < n; i++) {
			uint32_t p = fl->hint[flow_sig(hash[i], role[i]) & fl->hint_mask] - 1;

			if (p < fl->nb_pos)
				rte_prefetch0(&fl->ents[p]);
		}
	}
	/* Runs are resolved in order, so that a new flow sees what this call
	 * gave before it (base[]). Up to the first key without a good hint,
	 * each run is resolved at once; from there on (first), keys are
	 * gathered for one bulk lookup and resolved after it. */
	for (i = 0; i < n; i++) {
		const hash_sig_t s = flow_sig(hash[i], role[i]);
		int32_t p;

		if (v->nb_inst[role[i]] == 0) {
			out[i] = NULL;
			key_of[i] = FLOWS_NONE;
			continue;
		}
		p = hinted(fl, flow_word(hash[i], role[i]), s);
		if (p >= 0 && nm == 0) {
			out[i] = resolve_hinted(fl, v, p, now);
			run_given(fl, out[i], len[i]);
			continue;
		}
		if (first == n)
			first = i;
		keys[k] = (struct flow_key){ .hash = hash[i], .role = role[i] };
		sig[k] = s;
		pos[k] = p;
		if (p < 0) {
			kp[nm] = &keys[k];
			msig[nm] = s;
			miss_of[nm++] = (uint8_t)k;
		}
		key_of[i] = (uint8_t)k++;
	}
	if (nm == 0)
		return;
	rte_hash_lookup_with_hash_bulk(fl->h, kp, msig, nm, mpos);
	for (i = 0; i < nm; i++)
		pos[miss_of[i]] = mpos[i];
	for (i = first; i < n; i++) {
		if (key_of[i] == FLOWS_NONE)
			continue;
		out[i] = resolve(fl, v, &keys[key_of[i]], sig[key_of[i]], pos[key_of[i]], now);
		run_given(fl, out[i], len[i]);
	}
}

unsigned int
core_flows_expire(struct core_flows *fl, uint64_t now, unsigned int max)
{
	unsigned int i, gone = 0;
	uint32_t p = fl->sweep;

	if (fl->st.active == 0)
		return 0; /* nothing to sweep (an idle core) */
	for (i = 0; i < max && i < fl->nb_pos; i++) {
		struct flow_ent *e = &fl->ents[p];

		if (e->used && (int64_t)(now - e->seen) > (int64_t)fl->idle_tsc) {
			rte_hash_del_key_with_hash(fl->h, &e->key,
						   flow_sig(e->key.hash, e->key.role));
			unplace(fl, e);
			e->used = 0;
			gone++;
		}
		if (++p == fl->nb_pos)
			p = 0;
	}
	fl->sweep = p;
	if (gone > 0) {
		ctr_set(&fl->st.active, fl->st.active - gone);
		core_ctr_add(&fl->st.expired, gone);
	}
	return gone;
}

void
core_flows_stats_get(const struct core_flows *fl, struct core_flows_stats *st)
{
	st->active = __atomic_load_n(&fl->st.active, __ATOMIC_RELAXED);
	st->full = __atomic_load_n(&fl->st.full, __ATOMIC_RELAXED);
	st->expired = __atomic_load_n(&fl->st.expired, __ATOMIC_RELAXED);
	st->replaced = __atomic_load_n(&fl->st.replaced, __ATOMIC_RELAXED);
	st->moved = __atomic_load_n(&fl->st.moved, __ATOMIC_RELAXED);
}

uint64_t
core_flows_of(const struct core_flows *fl, uint16_t id, uint32_t gen)
{
	if (id >= CORE_MAX_NFS || __atomic_load_n(&fl->nf_gen[id], __ATOMIC_RELAXED) != gen)
		return 0;
	return __atomic_load_n(&fl->nf_flows[id], __ATOMIC_RELAXED);
}
