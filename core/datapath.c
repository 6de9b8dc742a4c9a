/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath: the only per-packet code of the core engine.
 *
 *   RX side: port → classify → chain's first role → an instance's rx ring;
 *            fresh buffers onto the NFs' alloc rings.
 *   TX side: NF tx rings → validate → DROP / OUT(port) / TO_ROLE / NEXT;
 *            OUT longer than the port's MTU: IPv4 fragments (egress.c).
 *
 * One lcore may run both sides (single-lcore mode) or each side has its own
 * lcore; then only the RX side writes NF rx rings, and packets the TX side
 * forwards to another NF go through c->fwd. Nothing here logs or allocates:
 * every packet that is not passed on is counted under a drop reason.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memcpy.h>

#include "core.h"
#include "frags.h"

_Static_assert(CORE_BURST <= 64, "core_flows_place() takes at most 64 runs");
_Static_assert(CORE_BURST < 256, "dp.stage_of holds a stage index + 1 in a byte");

#define DP_ALLOC_REFILL_EVERY 16 /* loop iterations between alloc ring top-ups */
#define DP_EXPIRE_SWEEP 256       /* flow table entries looked at per refill */
#define DP_RING_MIN_US 50         /* one NF's doorbell rings at most this often */
#define DP_DOORBELL_SWEEP 16      /* loop iterations between fenced doorbell sweeps */
#define DP_TX_BURSTS 4           /* bursts drained per NF queue per iteration: the TX side
				  * must outpace RX, or NFs stall on full tx rings */

/* Descriptors bound for one queue of one NF, flushed once per burst. */
struct dp_stage {
	struct core_nf *nf;
	uint16_t q;
	uint16_t n;
	struct nvm_desc d[CORE_BURST];
	struct rte_mbuf *m[CORE_BURST];
};

struct dp {
	struct core *c;
	struct core_lcore_stats *st;
	const struct core_view *view;
	const struct core_rules *rules; /* the classification snapshot (rules.c) */
	unsigned int nb_stages;
	uint8_t stage_of[CORE_MAX_NFS][NVM_MAX_QUEUES]; /* stage index + 1, 0 = none */
	struct dp_stage stages[CORE_BURST];
	unsigned int nb_due; /* NFs whose doorbell ring was deferred (ring_due) */
	unsigned int nb_pub; /* NFs given descriptors since doorbells() */
	struct core_nf *pub[CORE_MAX_NFS];
	uint8_t pub_of[CORE_MAX_NFS]; /* 1: in pub[] */
	uint64_t nic_cycles; /* CORE_NIC cycles inside the current NF_CORE window */
	bool lazy;           /* core.rx_parse = "when_needed" */
	struct core_frags *frags; /* the RX side's: IPv4 fragments with their first */
	uint16_t nb_tx[RTE_MAX_ETHPORTS];
	struct rte_mbuf *tx[RTE_MAX_ETHPORTS][CORE_BURST];
};

static inline void
drop(struct dp *dp, struct rte_mbuf *m, enum core_drop why)
{
	dp->st->drops[why]++;
	rte_pktmbuf_free(m);
}

/* Write NF @nf's doorbell unless it was rung less than DP_RING_MIN_US ago;
 * then it stays due and the RX loop tries again (doorbells_due()). */
static void
doorbell_ring(struct dp *dp, struct core_nf *nf)
{
	uint64_t now = rte_rdtsc(), one = 1;

	if (now - nf->last_ring < rte_get_tsc_hz() / 1000000 * DP_RING_MIN_US) {
		if (!nf->ring_due) {
			nf->ring_due = true;
			dp->nb_due++;
		}
		return;
	}
	nf->ring_due = false;
	nf->last_ring = now;
	/* counted before the write: the NF (or whoever waits on it) may run,
	 * and read the count, before this thread goes on after the write */
	nf->st.doorbells++;
	if (write(nf->doorbell, &one, sizeof(one)) != sizeof(one))
		nf->st.doorbells--; /* not rung */
}

/* Note that NF @nf was given descriptors: doorbells() looks whether it
 * sleeps. */
static inline void
published(struct dp *dp, struct core_nf *nf)
{
	if (dp->pub_of[nf->id])
		return;
	dp->pub_of[nf->id] = 1;
	dp->pub[dp->nb_pub++] = nf;
}

/* Disarm NF @nf's doorbell and ring it, unless it woke up by itself
 * meanwhile (the exchange then finds 0). */
static inline void
wake(struct dp *dp, struct core_nf *nf)
{
	struct nvm_priv_hdr *h = (struct nvm_priv_hdr *)nf->priv;

	if (__atomic_exchange_n(&h->sleeping, 0, __ATOMIC_SEQ_CST) != 0)
		doorbell_ring(dp, nf);
}

/*
 * Wake each NF given descriptors since the last call that armed its
 * doorbell (`sleeping`, docs/abi.md §4), without a fence: this catches an
 * NF asleep since before its packets came. An NF that armed while the ring
 * writes were still on their way to its CPU may not see the packets, nor
 * this read its flag: doorbells_sweep() catches that one. The core
 * disarms the flag as it takes the wake-up on, so the NF is owed exactly one
 * ring, which is never dropped: a ring due within DP_RING_MIN_US of the
 * last one is deferred, not skipped. An NF that re-arms all the time costs
 * the core at most one system call per DP_RING_MIN_US.
 */
static void
doorbells(struct dp *dp)
{
	unsigned int i;

	for (i = 0; i < dp->nb_pub; i++) {
		struct core_nf *nf = dp->pub[i];
		struct nvm_priv_hdr *h = (struct nvm_priv_hdr *)nf->priv;

		dp->pub_of[nf->id] = 0;
		if (unlikely(__atomic_load_n(&h->sleeping, __ATOMIC_RELAXED) != 0))
			wake(dp, nf);
	}
	dp->nb_pub = 0;
}

/* Whether one of NF @nf's rx rings holds descriptors it has not taken. */
static inline bool
rx_pending(const struct core_nf *nf)
{
	unsigned int q;

	for (q = 0; q < nf->nb_queues; q++) {
		const struct nvm_ring_prod *rx = &nf->q[q].rx;

		if (__atomic_load_n(&rx->r->cons, __ATOMIC_RELAXED) != rx->head)
			return true;
	}
	return false;
}

/*
 * Every DP_DOORBELL_SWEEP turns of the RX side's loop: a full fence, then
 * every NF that armed its doorbell while its rx rings hold descriptors is
 * woken. The fence pairs with the NF's between arming and looking at its
 * ring again: after it, either the NF's look saw the packets or this read
 * sees the flag armed, so a wake-up that raced the arming comes at most
 * DP_DOORBELL_SWEEP turns late, never lost. One fence per sweep instead of
 * one per turn: a fence waits until the ring writes before it reach the
 * NFs' CPUs, a cross-CPU round trip the loop would otherwise pay each turn.
 */
static void
doorbells_sweep(struct dp *dp)
{
	const struct core_view *v = dp->view;
	unsigned int i;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < v->nb_nfs; i++) {
		struct core_nf *nf = v->nfs[i];
		struct nvm_priv_hdr *h = (struct nvm_priv_hdr *)nf->priv;

		if (__atomic_load_n(&h->sleeping, __ATOMIC_RELAXED) != 0 && rx_pending(nf))
			wake(dp, nf);
	}
}

/* Ring the doorbells deferred by the rate limit whose time has come. */
static void
doorbells_due(struct dp *dp)
{
	const struct core_view *v = dp->view;
	unsigned int i, due = 0;

	for (i = 0; i < v->nb_nfs; i++) {
		if (!v->nfs[i]->ring_due)
			continue;
		doorbell_ring(dp, v->nfs[i]);
		due += v->nfs[i]->ring_due;
	}
	dp->nb_due = due; /* an NF that left the view is forgotten */
}

/* How many more buffers NF @nf may be given: what is left of its own
 * budget and of its trust group's (its pool's). Both counts are taken now;
 * what the TX side takes back meanwhile only makes them larger. */
static inline uint32_t
budget_left(const struct core_nf *nf)
{
	uint64_t held = core_nf_held(nf), gheld = core_pool_nf_held(nf->pool);
	uint64_t a = held < nf->budget ? nf->budget - held : 0;
	uint64_t b = gheld < nf->pool->nf_budget ? nf->pool->nf_budget - gheld : 0;

	return (uint32_t)RTE_MIN(RTE_MIN(a, b), (uint64_t)UINT32_MAX);
}

/*
 * Put the staged descriptors on the NFs' rx rings. Room on the ring and in
 * the budgets is reserved first, and only the buffers that will be enqueued
 * are marked as the NF's: a buffer once marked is the NF's for good (only
 * the TX side or a reclaim takes it back), so an NF returning buffers it
 * was never given cannot race with a take-back here. Returns how many
 * packets were put on rings (the others were dropped).
 */
static unsigned int
stages_flush(struct dp *dp)
{
	unsigned int s, i, put = 0;

	for (s = 0; s < dp->nb_stages; s++) {
		struct dp_stage *st = &dp->stages[s];
		struct core_nf *nf = st->nf;
		struct core_pool *p = nf->pool;
		struct nvm_ring_prod *rx = &nf->q[st->q].rx;
		uint64_t corrupt = rx->corrupt;
		uint32_t fit = RTE_MIN((uint32_t)st->n, nvm_ring_free_count(rx, st->n));
		uint32_t k = RTE_MIN(fit, budget_left(nf));
		uint16_t *owner = p->owner;
		const uint16_t id = nf->id;

		/* counted as held before the NF can see them, so a count read
		 * elsewhere never goes below zero */
		core_ctr_add(&nf->st.rx, k);
		core_ctr_add(&p->nf_given, k);
		/* the NF sees them after the enqueue's release store of the
		 * producer index, which orders these stores before it */
		for (i = 0; i < k; i++)
			__atomic_store_n(&owner[st->d[i].buf], id, __ATOMIC_RELAXED);
		if (k > 0) {
			/* cannot enqueue fewer: the room was counted above and only
			 * this lcore produces on the ring */
			nvm_ring_enqueue_burst(rx, st->d, k);
			published(dp, nf);
			put += k;
		}
		for (i = k; i < fit; i++)
			drop(dp, st->m[i], CORE_DROP_nf_budget);
		for (i = fit; i < st->n; i++)
			drop(dp, st->m[i], CORE_DROP_nf_ring_full);
		dp->st->drops[CORE_DROP_ring_corrupt] += rx->corrupt - corrupt;
		dp->stage_of[nf->id][st->q] = 0;
	}
	dp->nb_stages = 0;
	return put;
}

/* Bring a packet of another pool into @nf's pool: the only copy NetVM
 * makes, between NUMA sockets or trust groups. The frame keeps its offset
 * in the buffer: every pool has the same stride, so a frame an NF placed
 * anywhere in its buffer fits one buffer of the other pool too (a copy at
 * the headroom would spill a long one into a second, chained buffer the
 * NF never sees). Returns the new mbuf or NULL. */
static struct rte_mbuf *
cross_pool(struct dp *dp, struct rte_mbuf *m, const struct core_nf *nf)
{
	struct rte_mbuf *n = rte_pktmbuf_alloc(nf->pool->mp);
	uint32_t buf;

	if (n == NULL) {
		drop(dp, m, CORE_DROP_no_buffer);
		return NULL;
	}
	/* m's dynamic fields (the core's metadata) hold, all but the buffer index */
	buf = core_meta(n)->buf;
	rte_mbuf_dynfield_copy(n, m);
	core_meta(n)->buf = buf;
	n->port = m->port;
	n->data_off = m->data_off;
	n->data_len = m->data_len;
	n->pkt_len = m->data_len;
	rte_memcpy(rte_pktmbuf_mtod(n, void *), rte_pktmbuf_mtod(m, const void *), m->data_len);
	rte_pktmbuf_free(m);
	dp->st->cross_pool_copies++;
	return n;
}

/* The instance each of the @n runs of packets (role[i], hash[i]: the
 * flow of run i, len[i] its packets) goes to (NULL: its role has none): by
 * the flow table when there is one, else by flow hash alone. */
static inline void
choose(struct dp *dp, const uint16_t *role, const uint32_t *hash, const uint8_t *len,
       unsigned int n, struct core_nf **to)
{
	const struct core_view *v = dp->view;
	unsigned int i;

	if (dp->c->flows != NULL) {
		core_flows_place(dp->c->flows, v, role, hash, len, n, rte_rdtsc(), to);
		return;
	}
	for (i = 0; i < n; i++) {
		uint16_t ni = v->nb_inst[role[i]];

		to[i] = ni == 0 ? NULL : v->inst[role[i]][cls_pick(hash[i], ni)];
	}
}

/* The stage of queue @q of NF @nf, opened if this burst has none yet. */
static inline struct dp_stage *
stage_for(struct dp *dp, struct core_nf *nf, uint16_t q)
{
	struct dp_stage *st;

	if (dp->stage_of[nf->id][q] != 0)
		return &dp->stages[dp->stage_of[nf->id][q] - 1];
	st = &dp->stages[dp->nb_stages++];
	st->nf = nf;
	st->q = q;
	st->n = 0;
	dp->stage_of[nf->id][q] = (uint8_t)dp->nb_stages;
	return st;
}

/* The second half of a descriptor for a frame received on @in_port, of
 * flow hash @hash (desc_put()). */
static inline uint64_t
desc_hi(uint8_t in_port, uint32_t hash)
{
	return (uint64_t)in_port << 8 | (uint64_t)hash << 32;
}

/* Write the descriptor of packet @m, in buffer @buf, at @d, its second
 * half @hi from desc_hi(), as two 8-byte halves (struct nvm_desc's layout
 * on a little-endian CPU; action and arg 0): the field-by-field form cost
 * twice the instructions. */
static inline void
desc_put(struct nvm_desc *d, uint32_t buf, const struct rte_mbuf *m, uint64_t hi)
{
	const uint64_t half[2] = {
		buf | (uint64_t)m->data_off << 32 | (uint64_t)m->data_len << 48, hi,
	};

	memcpy(d, half, sizeof(half));
}

/* Put packet @m, its flow hash in its metadata, in place @at of stage @st
 * (mo: core_meta_off); the caller counts the places in a local and sets st->n
 * once (in memory, the count would be read again after every descriptor's
 * store). */
static inline void
stage_put(struct dp_stage *st, unsigned int at, struct rte_mbuf *m, int mo)
{
	const struct core_mbuf_meta *meta = core_meta_at(m, mo);

	desc_put(&st->d[at], meta->buf, m, desc_hi(meta->in_port, meta->hash));
	st->m[at] = m;
}
_Static_assert(offsetof(struct nvm_desc, data_off) == 4 && offsetof(struct nvm_desc, len) == 6 &&
	       offsetof(struct nvm_desc, port) == 9 && offsetof(struct nvm_desc, hash) == 12 &&
	       __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "desc_put() writes this layout");

/* Runs of packets of one flow: run r is len[r] packets of role role[r] and
 * flow hash hash[r]. */
struct dp_runs {
	unsigned int n;
	uint16_t role[CORE_BURST];
	uint32_t hash[CORE_BURST];
	uint8_t len[CORE_BURST];
};

/* Add a packet of role @role and flow hash @hash to the runs @ru. */
static inline void
run_add(struct dp_runs *ru, uint16_t role, uint32_t hash)
{
	if (ru->n > 0 && ru->hash[ru->n - 1] == hash && ru->role[ru->n - 1] == role) {
		ru->len[ru->n - 1]++;
		return;
	}
	ru->role[ru->n] = role;
	ru->hash[ru->n] = hash;
	ru->len[ru->n++] = 1;
}

/* Stage the packets m[i..end) for @nf in @st from place @sn on (@mp: the
 * pool of @nf's buffers; a packet of another pool is copied into it, or
 * dropped); returns the next place. */
static inline unsigned int
stage_some(struct dp *dp, struct dp_stage *st, unsigned int sn, struct rte_mbuf **m,
	   unsigned int i, unsigned int end, struct core_nf *nf, const struct rte_mempool *mp)
{
	const int mo = core_meta_off;

	for (; i < end; i++) {
		if (unlikely(m[i]->pool != mp)) {
			m[i] = cross_pool(dp, m[i], nf);
			if (m[i] == NULL)
				continue;
		}
		stage_put(st, sn++, m[i], mo);
	}
	return sn;
}

/*
 * Descriptors written straight onto the rx ring of queue 0 of an NF, with
 * no stage (one_ring(), rx_unread()): the room on the ring and in the
 * budgets is reserved for the whole burst first, as stages_flush() does
 * for a stage, and only the buffers that get a slot are marked as the
 * NF's. A local: the compiler keeps its fields in registers, where in
 * memory the descriptors' stores could alias them.
 */
struct ring_put {
	struct core_nf *nf;
	struct nvm_ring_prod *rx;
	struct nvm_ring_prod win; /* a copy: the head, mask and slots */
	const struct rte_mempool *mp;
	uint16_t *owner;
	uint64_t corrupt;
	uint32_t fit;  /* packets the ring has room for */
	uint32_t room; /* of those, packets the budgets allow */
	uint32_t np;   /* packets offered (a stage would hold them) */
	uint32_t k;    /* packets written */
	int mo;        /* core_meta_off */
	uint16_t id;
};

/* Open @w for at most @n packets to @nf. */
static inline void
ring_put_open(struct ring_put *w, struct core_nf *nf, unsigned int n)
{
	w->nf = nf;
	w->rx = &nf->q[0].rx;
	w->mp = nf->pool->mp;
	w->owner = nf->pool->owner;
	w->id = nf->id;
	w->mo = core_meta_off;
	w->corrupt = w->rx->corrupt;
	w->fit = RTE_MIN((uint32_t)n, nvm_ring_free_count(w->rx, n));
	w->room = RTE_MIN(w->fit, budget_left(nf));
	w->win = *w->rx;
	w->np = 0;
	w->k = 0;
}

/* Write packet @b, the second half of its descriptor @hi (desc_hi()), in
 * the next slot of @w; a packet of another pool is copied into the NF's
 * first (or dropped); one past the room is dropped, counted under the
 * budget or the full ring as stages_flush() counts it. */
static inline void
ring_put(struct dp *dp, struct ring_put *w, struct rte_mbuf *b, uint64_t hi)
{
	uint32_t buf;

	if (unlikely(b->pool != w->mp)) {
		b = cross_pool(dp, b, w->nf);
		if (b == NULL)
			return;
	}
	w->np++;
	if (unlikely(w->k == w->room)) {
		drop(dp, b, w->np <= w->fit ? CORE_DROP_nf_budget : CORE_DROP_nf_ring_full);
		return;
	}
	buf = core_meta_at(b, w->mo)->buf;
	desc_put(nvm_ring_slot(&w->win, w->k), buf, b, hi);
	/* the NF's once published: the release store of the producer index
	 * orders this before it */
	__atomic_store_n(&w->owner[buf], w->id, __ATOMIC_RELAXED);
	w->k++;
}

/* Count the packets written by @w as held, and publish them. */
static inline void
ring_put_close(struct dp *dp, const struct ring_put *w)
{
	/* counted as held before the NF can see them (stages_flush()) */
	core_ctr_add(&w->nf->st.rx, w->k);
	core_ctr_add(&w->nf->pool->nf_given, w->k);
	if (w->k > 0) {
		nvm_ring_publish(w->rx, w->k);
		published(dp, w->nf);
	}
	dp->st->drops[CORE_DROP_ring_corrupt] += w->rx->corrupt - w->corrupt;
}

/*
 * The common case of deliver_runs(): when every one of the @nr runs (of
 * @len packets each) of the packets @m goes to the same instance and that
 * instance has one queue (to[] from choose()), write them all straight
 * onto its rx ring (ring_put()), with no work per run and no stage
 * (nothing is staged when deliver_runs() starts: every delivery ends with
 * stages_flush(), so the packets keep their order); false otherwise
 * (nothing done).
 */
static inline bool
one_ring(struct dp *dp, struct rte_mbuf **m, struct core_nf *const *to, const uint8_t *len,
	 unsigned int nr)
{
	struct ring_put w;
	struct core_nf *nf;
	const int mo = core_meta_off;
	unsigned int r, n, i;

	if (nr == 0 || to[0] == NULL || to[0]->nb_queues != 1)
		return false;
	nf = to[0];
	n = len[0];
	for (r = 1; r < nr; r++) {
		if (to[r] != nf)
			return false;
		n += len[r];
	}
	RTE_ASSERT(dp->nb_stages == 0);
	ring_put_open(&w, nf, n);
	for (i = 0; i < n; i++) {
		/* a copy into another pool (ring_put()) keeps the metadata */
		const struct core_mbuf_meta *meta = core_meta_at(m[i], mo);

		ring_put(dp, &w, m[i], desc_hi(meta->in_port, meta->hash));
	}
	ring_put_close(dp, &w);
	return true;
}

/*
 * Stage the packets @m, cut into the runs @ru (in order), each for the
 * instance of its role its flow is on (choose()); the flow hash picks the
 * queue, so a flow always takes the same path. Each run is placed, and its
 * stage found, once.
 */
static void
deliver_runs(struct dp *dp, struct rte_mbuf **m, const struct dp_runs *ru)
{
	struct core_nf *to[CORE_BURST];
	const uint16_t *run_role = ru->role;
	const uint32_t *run_hash = ru->hash;
	const uint8_t *run_len = ru->len;
	/* the stage of the run before, with its count in a local: runs
	 * placed one after another on the same instance and queue share it */
	struct dp_stage *st = NULL;
	const struct rte_mempool *mp = NULL;
	unsigned int i, r, nr = ru->n, end, sn = 0;

	choose(dp, run_role, run_hash, run_len, nr, to);
	if (one_ring(dp, m, to, run_len, nr))
		return;
	for (r = 0, i = 0; r < nr; r++, i = end) {
		struct core_nf *nf = to[r];
		uint16_t q;

		end = i + run_len[r];
		if (nf == NULL) {
			if (run_role[r] < CFG_MAX_ROLES)
				dp->st->role_no_instance[run_role[r]] += run_len[r];
			for (; i < end; i++)
				drop(dp, m[i], CORE_DROP_no_instance);
			continue;
		}
		q = nf->nb_queues == 1 ? 0 : cls_pick(__builtin_bswap32(run_hash[r]), nf->nb_queues);
		if (st == NULL || st->nf != nf || st->q != q) {
			if (st != NULL)
				st->n = (uint16_t)sn;
			st = stage_for(dp, nf, q);
			sn = st->n;
			mp = nf->pool->mp;
		}
		sn = stage_some(dp, st, sn, m, i, end, nf, mp);
	}
	if (st != NULL)
		st->n = (uint16_t)sn;
	stages_flush(dp);
}

/* deliver_runs() the @n packets @m, of roles @role and flow hashes @hash:
 * most packets of a burst follow the one before (one flow), so the burst
 * is cut into runs of one flow. */
static void
deliver(struct dp *dp, struct rte_mbuf **m, const uint16_t *role, const uint32_t *hash,
	unsigned int n)
{
	struct dp_runs ru;
	unsigned int i;

	ru.n = 0;
	for (i = 0; i < n; i++)
		run_add(&ru, role[i], hash[i]);
	deliver_runs(dp, m, &ru);
}

/* Where packets of one rule go: chain_tab slot and first role. */
struct rx_dest {
	uint16_t slot;
	uint16_t role;
};

/* The identity (*@f, handed on by @from) and own flow hash of fragment @m,
 * of kind @rc (CLS_IPV4_FRAG with key @key, CLS_IPV6_FRAG with key @key6). */
static uint32_t
frag_read(const struct rte_mbuf *m, int rc, const struct cls_key *key,
	  const struct cls_key6 *key6, uint16_t from, struct core_frag_id *f)
{
	core_frag_id_of(rte_pktmbuf_mtod(m, const uint8_t *), f);
	f->from = from;
	return rc == CLS_IPV4_FRAG ? cls_flow_hash(key) : cls_flow_hash6(key6);
}

/*
 * The flow hash of fragment @m, of kind @rc and key @key or @key6, handed on
 * by @from (frags.h): a first fragment's own, noted with destination @to
 * (NULL: the hash alone); a later fragment's first fragment's when the table
 * has it, else its own (counted either way).
 */
static uint32_t
frag_hash(struct dp *dp, const struct rte_mbuf *m, int rc, const struct cls_key *key,
	  const struct cls_key6 *key6, uint16_t from, const struct rx_dest *to)
{
	struct core_frag_verdict v = { .drop = CORE_DROP_MAX };
	struct core_frag_id f;
	uint64_t now = rte_rdtsc();

	v.hash = frag_read(m, rc, key, key6, from, &f);
	if (dp->frags == NULL)
		return v.hash;
	if (f.first) {
		if (to != NULL) {
			v.slot = to->slot;
			v.role = to->role;
			v.has_dest = 1;
		}
		core_frags_note(dp->frags, &f, &v, now);
	} else if (core_frags_find(dp->frags, &f, now, &v)) {
		dp->st->rx_frag_followed++;
	} else {
		dp->st->rx_frag_alone++;
	}
	return v.hash;
}

/* The flow hash of a frame received unread (rx_unread()) or made by an NF
 * (alloc_refill()), read now that another role is to get it from the NF of
 * role meta->hash (tx_nf()); false when a received frame is malformed. A
 * made packet the core cannot read keeps hash 0: the NF built it, and the
 * core delivers what an NF makes as it is. A fragment's note is the handing
 * role's (frags.h): the NF may have written the frame. */
static bool
read_late(struct dp *dp, struct rte_mbuf *m, struct core_mbuf_meta *meta)
{
	struct cls_key key;
	struct cls_key6 key6;
	int rc = cls_key_extract(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
				 meta->in_port, &key, &key6);

	if (rc < 0 && meta->unread == CORE_UNREAD_RX)
		return false;
	meta->hash = rc < 0 ? 0 : rc == CLS_IPV6 ? cls_flow_hash6(&key6) :
		     rc & CLS_FRAG ? frag_hash(dp, m, rc, &key, &key6, (uint16_t)(1 + meta->hash),
					       NULL) :
				     cls_flow_hash(&key);
	meta->unread = 0;
	return true;
}

/* deliver() packets whose role and flow hash are in their metadata. */
static void
deliver_meta(struct dp *dp, struct rte_mbuf **m, unsigned int n)
{
	const int mo = core_meta_off;
	uint16_t role[CORE_BURST];
	uint32_t hash[CORE_BURST];
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		struct core_mbuf_meta *meta = core_meta_at(m[i], mo);

		if (unlikely(meta->unread) && !read_late(dp, m[i], meta)) {
			drop(dp, m[i], CORE_DROP_malformed);
			continue;
		}
		role[k] = meta->role;
		hash[k] = meta->hash;
		m[k++] = m[i];
	}
	deliver(dp, m, role, hash, k);
}

#define RX_DROPPED UINT16_MAX

/* The destination of packets that matched rule @rule of snapshot @r
 * (CLS_NO_RULE: the default): false when they are dropped. The slot, not
 * the configuration's chain index: a packet keeps its role sequence
 * whatever changes meanwhile. */
static inline bool
rx_dest(const struct dp *dp, const struct core_rules *r, uint32_t rule, struct rx_dest *to)
{
	uint16_t target = cls_rule_target(r->cls, rule);

	if (target == CFG_TARGET_DROP)
		return false;
	to->slot = r->slot[target];
	to->role = dp->c->chain_tab[to->slot].roles[0];
	return true;
}

/*
 * The destination (*@dest) and flow hash (*@hash) of fragment @m, of kind
 * @rc and key @key or @key6, which matched rule @rule of @r (@dflt: the default's
 * destination, NULL when the default drops). A later fragment takes what
 * the first fragment of its datagram was given (frags.h): its flow hash,
 * and its destination or its drop. A first fragment, or a later one the
 * table has nothing for, is decided as any packet; a first fragment is
 * noted. False when @m is dropped (counted).
 */
static bool
rx_frag(struct dp *dp, const struct core_rules *r, struct rte_mbuf *m, int rc,
	const struct cls_key *key, const struct cls_key6 *key6, uint32_t rule,
	const struct rx_dest *dflt, struct rx_dest *dest, uint32_t *hash)
{
	struct core_frag_verdict v = { .drop = CORE_DROP_MAX };
	struct core_frag_id f;
	uint64_t now = rte_rdtsc();
	bool found = false;

	v.hash = frag_read(m, rc, key, key6, CORE_FRAG_WIRE, &f);
	if (!f.first) {
		found = core_frags_find(dp->frags, &f, now, &v);
		if (found)
			dp->st->rx_frag_followed++;
		else
			dp->st->rx_frag_alone++;
	}
	*hash = v.hash;
	if (found && v.has_dest) {
		dest->slot = v.slot;
		dest->role = v.role;
	} else if (!found || v.drop == CORE_DROP_MAX) {
		/* decided by itself, as rx_port() decides any packet */
		v.drop = CORE_DROP_MAX;
		if (rule != CLS_NO_RULE) {
			if (!rx_dest(dp, r, rule, dest))
				v.drop = CORE_DROP_rule_drop;
		} else if (dflt != NULL) {
			*dest = *dflt;
		} else {
			v.drop = CORE_DROP_no_rule;
		}
		if (f.first) {
			v.slot = dest->slot;
			v.role = dest->role;
			v.has_dest = v.drop == CORE_DROP_MAX;
			core_frags_note(dp->frags, &f, &v, now);
		}
	}
	if (v.drop != CORE_DROP_MAX) {
		drop(dp, m, (enum core_drop)v.drop);
		return false;
	}
	return true;
}

/* The first 8 bytes of the metadata of a frame received on @port for the
 * first role of @to (step and hops 0), as one word: the same for a whole
 * burst, written with one store per frame (rx_meta()). */
static inline uint64_t
rx_meta_word(const struct rx_dest *to, uint16_t port, uint8_t unread)
{
	return to->slot | (uint64_t)(uint8_t)port << 24 | (uint64_t)to->role << 32 |
	       (uint64_t)unread << 48;
}
_Static_assert(offsetof(struct core_mbuf_meta, chain) == 0 &&
	       offsetof(struct core_mbuf_meta, step) == 2 &&
	       offsetof(struct core_mbuf_meta, in_port) == 3 &&
	       offsetof(struct core_mbuf_meta, role) == 4 &&
	       offsetof(struct core_mbuf_meta, unread) == 6 &&
	       offsetof(struct core_mbuf_meta, hops) == 7 &&
	       offsetof(struct core_mbuf_meta, hash) == 8 &&
	       __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rx_meta_word() makes this layout");

/* Write the metadata of received frame @m (mo: core_meta_off): @word from
 * rx_meta_word(), flow hash @hash. */
static inline void
rx_meta(struct rte_mbuf *m, int mo, uint64_t word, uint32_t hash)
{
	struct core_mbuf_meta *meta = core_meta_at(m, mo);

	memcpy(meta, &word, sizeof(word));
	meta->hash = hash;
}

/* Count a burst of @n frames received from t0 to t1, @np of them handed
 * on from t1 to now, in the stage clocks. */
static inline void
rx_clocks(struct dp *dp, uint64_t t0, uint64_t t1, unsigned int n, unsigned int np)
{
	dp->st->stage_cycles[CORE_STAGE_NIC_CORE] += t1 - t0;
	dp->st->stage_pkts[CORE_STAGE_NIC_CORE] += n;
	dp->st->stage_cycles[CORE_STAGE_CORE_NF] += CORE_STAGE_NOW() - t1;
	dp->st->stage_pkts[CORE_STAGE_CORE_NF] += np;
}

/*
 * With core.rx_parse = "when_needed", the instance a burst received on
 * @port goes to when nothing needs its frames read: no rule constrains more
 * than the input port, the DoS detector is off, and the first role of the
 * target the port's frames get is served by one instance with one queue (no
 * flow hash to choose by). NULL when something needs them.
 */
static inline struct core_nf *
rx_unread_to(const struct dp *dp, const struct core_rules *r, uint16_t port,
	     struct rx_dest *to)
{
	const struct core_view *v = dp->view;
	struct core_nf *nf;

	if (!dp->lazy || !r->by_port || core_dos_on(dp->c->dos) ||
	    !rx_dest(dp, r, r->port_rule[port], to) || v->nb_inst[to->role] != 1)
		return NULL;
	nf = v->inst[to->role][0];
	return nf->nb_queues == 1 ? nf : NULL;
}

/*
 * Hand @n frames received on @port to @nf, the only instance of the first
 * role of @to, without reading them: the lines of a frame stay in
 * the cache of the CPU that wrote them last (the NF's, when it rewrote
 * the frame). Flow hash 0, flagged unread: read_late() reads the frame if
 * a later role needs its hash.
 */
static void
rx_unread(struct dp *dp, struct rte_mbuf **m, unsigned int n, uint16_t port,
	  const struct rx_dest *to, struct core_nf *nf, uint64_t t0)
{
	const uint64_t word = rx_meta_word(to, port, CORE_UNREAD_RX);
	const uint64_t hi = desc_hi((uint8_t)port, 0);
	const int mo = core_meta_off;
	struct ring_put w;
	uint64_t t1;
	unsigned int i;

	/* straight into the ring: one instance with one queue takes the
	 * whole burst, so there is nothing to sort into stages */
	ring_put_open(&w, nf, n);
	for (i = 0; i < n; i++) {
		if (unlikely(m[i]->nb_segs != 1)) {
			drop(dp, m[i], CORE_DROP_frame_room);
			continue;
		}
		rx_meta(m[i], mo, word, 0);
		ring_put(dp, &w, m[i], hi);
	}
	t1 = CORE_STAGE_NOW();
	ring_put_close(dp, &w);
	/* what reached the NF's ring: not what a full ring or the budget
	 * dropped (counted under those reasons) */
	dp->st->rx_unread += w.k;
	rx_clocks(dp, t0, t1, n, w.np);
}

/*
 * A burst of @n frames received on @port when the default decides every
 * frame (no rules, the default has a destination, @to) and the DoS
 * detector is off: what rx_port() does for such a burst (frame-room and
 * malformed-frame drops, key, flow hash, metadata), in one pass with no
 * classification; the runs of one flow deliver_runs() takes are cut on
 * the way.
 */
static void
rx_default(struct dp *dp, struct rte_mbuf **m, unsigned int n, uint16_t port,
	   const struct rx_dest *to, uint64_t t0)
{
	struct rte_mbuf *pass[CORE_BURST];
	struct dp_runs ru;
	struct cls_key key;
	struct cls_key6 key6;
	const uint64_t word = rx_meta_word(to, port, 0);
	const int mo = core_meta_off;
	unsigned int i, np = 0;
	uint32_t hash, last = 0;
	uint64_t t1;
	int rc;

	ru.n = 0;
	for (i = 0; i < n; i++) {
		rc = unlikely(m[i]->nb_segs != 1) ? -EMSGSIZE :
		     cls_key_extract(rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len, port,
				     &key, &key6);
		if (unlikely(rc < 0)) {
			drop(dp, m[i], rc == -EMSGSIZE ? CORE_DROP_frame_room : CORE_DROP_malformed);
			continue;
		}
		hash = likely(rc < CLS_IPV6) ? cls_flow_hash(&key) :
		       rc == CLS_IPV6 ? cls_flow_hash6(&key6) :
				      frag_hash(dp, m[i], rc, &key, &key6, CORE_FRAG_WIRE, to);
		rx_meta(m[i], mo, word, hash);
		/* one role for the burst: a run ends where the flow hash
		 * changes (run_add() with the role's test left out) */
		if (likely(np > 0 && hash == last)) {
			ru.len[ru.n - 1]++;
		} else {
			ru.role[ru.n] = to->role;
			ru.hash[ru.n] = hash;
			ru.len[ru.n++] = 1;
			last = hash;
		}
		pass[np++] = m[i];
	}
	t1 = CORE_STAGE_NOW();
	deliver_runs(dp, pass, &ru);
	rx_clocks(dp, t0, t1, n, np);
}

/*
 * Receive a burst from one port queue, classify it, hand it to the NFs.
 * IPv4 (and other) frames and IPv6 frames are classified in two groups,
 * then handed on in the order they arrived. When nothing needs the
 * frames read the burst goes on unread (rx_unread()); without rules, with
 * a default destination and the DoS detector off, by rx_default(); without
 * rules but with the DoS detector on, the keys are extracted as here, for
 * the DoS counters, but not matched.
 */
static unsigned int
rx_port(struct dp *dp, uint16_t port, uint16_t queue)
{
	const struct core_rules *r = dp->rules;
	struct rte_mbuf *m[CORE_BURST], *pass[CORE_BURST];
	uint16_t pass_role[CORE_BURST];
	uint32_t pass_hash[CORE_BURST];
	struct cls_key keys[CORE_BURST];
	struct cls_key6 keys6[CORE_BURST];
	const struct cls_key *kp[CORE_BURST];
	const struct cls_key6 *kp6[CORE_BURST];
	uint32_t rules[CORE_BURST], rules6[CORE_BURST];
	/* per received frame: its index in its group, or RX_DROPPED */
	uint16_t at[CORE_BURST];
	uint8_t kind[CORE_BURST]; /* per frame not dropped: cls_key_extract()'s CLS_* */
	uint16_t n, i, k = 0, k6 = 0, np = 0;
	struct rx_dest dflt, dest;
	bool dflt_ok;
	uint32_t rule, hash;
	uint64_t t0 = CORE_STAGE_NOW(), t1, now;
	const int mo = core_meta_off;
	struct core_nf *only;
	int rc;

	n = rte_eth_rx_burst(port, queue, m, CORE_BURST);
	if (n == 0)
		return 0;
	dp->c->port_st[port].rx += n;
	dp->c->port_st[port].rx_bursts++;
	only = rx_unread_to(dp, r, port, &dest);
	if (only != NULL) {
		rx_unread(dp, m, n, port, &dest, only, t0);
		return n;
	}
	if (r->nb_rules == 0 && !core_dos_on(dp->c->dos) && rx_dest(dp, r, CLS_NO_RULE, &dest)) {
		rx_default(dp, m, n, port, &dest, t0);
		return n;
	}
	for (i = 0; i < n; i++) {
		/* A device chains buffers for a frame longer than one buffer's room */
		rc = unlikely(m[i]->nb_segs != 1) ? -EMSGSIZE :
		     cls_key_extract(rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len, port,
				     &keys[k], &keys6[k6]);
		kind[i] = (uint8_t)rc;
		if (unlikely(rc == -EMSGSIZE)) {
			drop(dp, m[i], CORE_DROP_frame_room);
			at[i] = RX_DROPPED;
		} else if (rc < 0) {
			drop(dp, m[i], CORE_DROP_malformed);
			at[i] = RX_DROPPED;
		} else if (unlikely(rc & CLS_IPV6)) {
			kp6[k6] = &keys6[k6];
			at[i] = k6++;
		} else {
			kp[k] = &keys[k];
			at[i] = k++;
		}
	}
	now = rte_rdtsc();
	core_dos_count(dp->c->dos, kp, k, now);
	if (unlikely(k6 != 0))
		core_dos_count6(dp->c->dos, kp6, k6, now);
	if (r->nb_rules != 0) {
		cls_match(r->cls, kp, k, rules);
		if (unlikely(k6 != 0))
			cls_match6(r->cls, kp6, k6, rules6);
	}
	/* the default's destination is looked up once per burst */
	dflt_ok = rx_dest(dp, r, CLS_NO_RULE, &dflt);
	for (i = 0; i < n; i++) {
		if (at[i] == RX_DROPPED)
			continue;
		rule = r->nb_rules == 0 ? CLS_NO_RULE :
		       kind[i] & CLS_IPV6 ? rules6[at[i]] : rules[at[i]];
		if (unlikely(kind[i] & CLS_FRAG)) {
			/* with the first fragment of its datagram */
			if (!rx_frag(dp, r, m[i], kind[i], kind[i] & CLS_IPV6 ? NULL : kp[at[i]],
				     kind[i] & CLS_IPV6 ? kp6[at[i]] : NULL, rule,
				     dflt_ok ? &dflt : NULL, &dest, &hash))
				continue;
		} else if (rule != CLS_NO_RULE) {
			if (!rx_dest(dp, r, rule, &dest)) {
				drop(dp, m[i], CORE_DROP_rule_drop);
				continue;
			}
		} else if (likely(dflt_ok)) {
			dest = dflt;
		} else {
			drop(dp, m[i], CORE_DROP_no_rule);
			continue;
		}
		if (likely(!(kind[i] & CLS_FRAG))) /* else rx_frag() gave it */
			hash = kind[i] == CLS_IPV6 ? cls_flow_hash6(kp6[at[i]]) :
						     cls_flow_hash(kp[at[i]]);
		if (!(kind[i] & CLS_IPV6)) {
			if (kp[at[i]]->proto == 6) /* TCP */
				core_dos_syn(dp->c->dos, kp[at[i]],
					     rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len,
					     dest.role, now);
		} else if (kp6[at[i]]->proto == 6) {
			core_dos_syn6(dp->c->dos, kp6[at[i]], rte_pktmbuf_mtod(m[i], const uint8_t *),
				      dest.role, now);
		}
		rx_meta(m[i], mo, rx_meta_word(&dest, port, 0), hash);
		pass_role[np] = dest.role;
		pass_hash[np] = hash;
		pass[np++] = m[i];
	}
	t1 = CORE_STAGE_NOW();
	deliver(dp, pass, pass_role, pass_hash, np);
	rx_clocks(dp, t0, t1, n, np);
	return n;
}

/* Keep every NF's alloc rings stocked with fresh buffers it then owns, as
 * far as its budget goes. Like stages_flush(), marks only what is enqueued. */
static void
alloc_refill(struct dp *dp)
{
	const struct core_view *v = dp->view;
	unsigned int i, q, j;

	for (i = 0; i < v->nb_nfs; i++) {
		struct core_nf *nf = v->nfs[i];
		struct core_pool *p = nf->pool;

		for (q = 0; q < nf->nb_queues; q++) {
			struct nvm_ring_prod *al = &nf->q[q].alloc;
			uint64_t corrupt = al->corrupt;
			uint32_t room = nvm_ring_free_count(al, al->size), left;
			struct rte_mbuf *m[CORE_BURST];
			struct nvm_desc d[CORE_BURST];

			dp->st->drops[CORE_DROP_ring_corrupt] += al->corrupt - corrupt;
			/* top up by at least half a burst, or half a smaller ring */
			if (room < RTE_MIN(al->size, (uint32_t)CORE_BURST) / 2)
				continue;
			if (room > CORE_BURST)
				room = CORE_BURST;
			left = budget_left(nf);
			if (left < room) {
				nf->st.alloc_capped++;
				room = left;
				if (room == 0)
					continue;
			}
			if (rte_pktmbuf_alloc_bulk(p->mp, m, room) < 0)
				continue;
			core_ctr_add(&nf->st.allocs, room);
			core_ctr_add(&p->nf_given, room);
			for (j = 0; j < room; j++) {
				struct core_mbuf_meta *meta = core_meta(m[j]);

				/* what the NF writes in it is read if it goes to a
				 * role (read_late()): its flow hash picks the instance */
				meta->chain = CORE_CHAIN_NONE;
				meta->step = 0;
				meta->in_port = 0;
				meta->unread = CORE_UNREAD_MADE;
				meta->hops = 0;
				meta->hash = 0;
				memset(&d[j], 0, sizeof(d[j]));
				d[j].buf = meta->buf;
				d[j].data_off = m[j]->data_off;
				__atomic_store_n(&p->owner[d[j].buf], nf->id, __ATOMIC_RELEASE);
			}
			/* all fit: room was counted above, only this lcore produces */
			nvm_ring_enqueue_burst(al, d, room);
		}
	}
}

/* Send what is staged for @port; what the device does not take is dropped. */
static void
port_tx(struct dp *dp, uint16_t port)
{
	uint16_t n = dp->nb_tx[port], k, i;
	uint64_t t0 = CORE_STAGE_NOW(), dt;

	k = rte_eth_tx_burst(port, 0, dp->tx[port], n);
	dp->c->port_st[port].tx += k;
	for (i = k; i < n; i++) {
		dp->c->port_st[port].tx_drop++;
		drop(dp, dp->tx[port][i], CORE_DROP_tx_full);
	}
	dp->nb_tx[port] = 0;
	dt = CORE_STAGE_NOW() - t0;
	dp->st->stage_cycles[CORE_STAGE_CORE_NIC] += dt;
	dp->st->stage_pkts[CORE_STAGE_CORE_NIC] += n;
	dp->nic_cycles += dt;
}

static inline void
tx_stage(struct dp *dp, uint16_t port, struct rte_mbuf *m)
{
	dp->tx[port][dp->nb_tx[port]++] = m;
	if (dp->nb_tx[port] == CORE_BURST)
		port_tx(dp, port);
}

static void
tx_flush(struct dp *dp)
{
	uint16_t port;

	for (port = 0; port < dp->c->nb_ports; port++)
		if (dp->nb_tx[port] > 0)
			port_tx(dp, port);
}

/*
 * The return path's staging for the ports: where the next packet for the
 * port of the last one goes, in a local. In memory its count would be read
 * again after every packet, since the stores into the mbuf before it may
 * alias it. tx_cur_sync() writes the count back before anything else
 * stages (tx_out()), tx_cur_load() reads it again after.
 */
struct tx_cur {
	uint16_t port;
	struct rte_mbuf **at;  /* &dp->tx[port][dp->nb_tx[port]] */
	struct rte_mbuf **end; /* &dp->tx[port][CORE_BURST] */
};

static inline void
tx_cur_load(struct dp *dp, struct tx_cur *c, uint16_t port)
{
	c->port = port;
	c->at = &dp->tx[port][dp->nb_tx[port]];
	c->end = &dp->tx[port][CORE_BURST];
}

static inline void
tx_cur_sync(struct dp *dp, const struct tx_cur *c)
{
	dp->nb_tx[c->port] = (uint16_t)(c->at - dp->tx[c->port]);
}

/* tx_stage() @m for @port through @c. */
static inline void
tx_cur_put(struct dp *dp, struct tx_cur *c, uint16_t port, struct rte_mbuf *m)
{
	if (unlikely(port != c->port)) {
		tx_cur_sync(dp, c);
		tx_cur_load(dp, c, port);
	}
	*c->at++ = m;
	if (unlikely(c->at == c->end)) {
		dp->nb_tx[port] = CORE_BURST;
		port_tx(dp, port);
		c->at = dp->tx[port];
	}
}

/* A frame longer than port @port's MTU allows: an IPv4 packet without DF
 * leaves as fragments; anything else is dropped under its reason. */
static void
tx_oversize(struct dp *dp, uint16_t port, struct rte_mbuf *m)
{
	struct rte_mbuf *frag[CORE_FRAG_MAX];
	enum core_drop why;
	int n, i;

	n = core_frag_ipv4(dp->c, m, dp->c->port_mtu[port], frag, CORE_FRAG_MAX, &why);
	if (n < 0) {
		drop(dp, m, why);
		return;
	}
	dp->st->frag_packets++;
	dp->st->frag_out += (uint64_t)n;
	for (i = 0; i < n; i++)
		tx_stage(dp, port, frag[i]);
}

/* Stage a packet for @port, checking its length against the port's MTU. */
static inline void
tx_out(struct dp *dp, uint16_t port, struct rte_mbuf *m)
{
	if (unlikely(m->data_len > dp->c->port_frame_max[port]))
		tx_oversize(dp, port, m);
	else
		tx_stage(dp, port, m);
}

/* Pass packets going to another role on: directly when this lcore also
 * runs the RX side, else through the forward ring. */
static void
forward(struct dp *dp, struct rte_mbuf **m, unsigned int n, bool direct)
{
	unsigned int k, i;

	if (n == 0)
		return;
	if (direct) {
		deliver_meta(dp, m, n);
		return;
	}
	k = rte_ring_sp_enqueue_burst(dp->c->fwd, (void **)m, n, NULL);
	for (i = k; i < n; i++)
		drop(dp, m[i], CORE_DROP_nf_ring_full);
}

/* The mbuf of the buffer of returned descriptor @d, the NF's until now:
 * the core's again, holding the frame @d places in it. */
static inline struct rte_mbuf *
take_back(struct rte_mbuf *const *by_idx, uint16_t *owner, const struct nvm_desc *d)
{
	struct rte_mbuf *m = by_idx[d->buf];

	__atomic_store_n(&owner[d->buf], CORE_OWNER_CORE, __ATOMIC_RELAXED);
	m->data_off = d->data_off;
	m->data_len = d->len;
	m->pkt_len = d->len;
	/* no other mbuf refers to the buffer now: flagged direct, it is
	 * freed the cheap way (index_mbuf() in core/pool.c) */
	m->ol_flags = 0;
	return m;
}

/* Drain one NF queue's tx ring: validate each descriptor, then act. */
static __rte_noinline unsigned int
tx_nf(struct dp *dp, struct core_nf *nf, unsigned int qi, bool direct)
{
	const struct core_chain *tab = dp->c->chain_tab;
	struct core_nf_queue *q = &nf->q[qi];
	struct core_pool *p = nf->pool;
	struct nvm_desc d[CORE_BURST];
	struct rte_mbuf *fwd[CORE_BURST];
	struct core_vctx v = {
		.buf_count = p->count, .buf_stride = p->stride,
		.nb_ports = dp->c->nb_ports, .nf_id = nf->id,
		.owner = p->owner, .role_known = dp->view->role_known,
		.out_lim = dp->c->port_out_lim,
	};
	/* in locals: the stores into the mbufs below could otherwise alias them */
	struct rte_mbuf *const *by_idx = p->by_idx;
	uint16_t *owner = p->owner;
	uint64_t corrupt = q->tx.corrupt, t0 = CORE_STAGE_NOW();
	const int mo = core_meta_off;
	uint32_t n, i, nf_fwd = 0, taken = 0;
	struct tx_cur out;

	n = nvm_ring_dequeue_burst(&q->tx, d, CORE_BURST);
	if (unlikely(q->tx.corrupt != corrupt))
		dp->st->drops[CORE_DROP_ring_corrupt] += q->tx.corrupt - corrupt;
	if (n == 0)
		return 0;
	dp->nic_cycles = 0;
	nf->st.tx += n;
	nf->st.tx_bursts++;
	tx_cur_load(dp, &out, 0);
	for (i = 0; i < n; i++) {
		struct core_verdict vr;
		struct rte_mbuf *m;

		/* the common case first: OUT, sent whole */
		if (likely(core_validate_out(&v, &d[i]))) {
			m = take_back(by_idx, owner, &d[i]);
			taken++;
			tx_cur_put(dp, &out, d[i].port, m);
			continue;
		}
		vr = core_validate(&v, &d[i]);
		if (!vr.owned) {
			dp->st->drops[vr.reason]++;
			continue;
		}
		m = take_back(by_idx, owner, &d[i]);
		taken++;
		if (vr.reason != CORE_DROP_MAX) {
			drop(dp, m, (enum core_drop)vr.reason);
			continue;
		}
		if (unlikely(d[i].action != NVM_ACT_OUT)) {
			struct core_mbuf_meta *meta = core_meta_at(m, mo);

			if (d[i].action == NVM_ACT_DROP) {
				drop(dp, m, CORE_DROP_nf_drop);
				continue;
			}
			if (meta->unread) /* for read_late(): who hands it on */
				meta->hash = nf->role;
			if (d[i].action == NVM_ACT_TO_ROLE) {
				/* two NFs could hand a packet to each other for ever */
				if (unlikely(meta->hops >= NVM_TO_ROLE_MAX)) {
					drop(dp, m, CORE_DROP_hop_limit);
					continue;
				}
				meta->hops++;
				meta->role = d[i].arg;
			} else { /* NVM_ACT_NEXT */
				if (meta->chain == CORE_CHAIN_NONE ||
				    meta->step + 1u >= tab[meta->chain].len) {
					drop(dp, m, CORE_DROP_chain_end);
					continue;
				}
				meta->step++;
				meta->role = tab[meta->chain].roles[meta->step];
			}
		}
		if (d[i].action == NVM_ACT_OUT) {
			tx_cur_sync(dp, &out);
			tx_out(dp, d[i].port, m);
			tx_cur_load(dp, &out, out.port);
		} else {
			fwd[nf_fwd++] = m;
		}
	}
	tx_cur_sync(dp, &out);
	core_ctr_add(&nf->st.returned, taken);
	core_ctr_add(&p->nf_taken, taken);
	forward(dp, fwd, nf_fwd, direct);
	dp->st->stage_cycles[CORE_STAGE_NF_CORE] += CORE_STAGE_NOW() - t0 - dp->nic_cycles;
	dp->st->stage_pkts[CORE_STAGE_NF_CORE] += n;
	return n;
}

/*
 * The loop of one datapath lcore (arg: struct core_dp_args): RX side, TX
 * side or both, until c->quit. Always returns 0.
 */
int
core_dp_loop(void *arg)
{
	const struct core_dp_args *a = arg;
	struct core *c = a->c;
	struct dp *dp = rte_zmalloc("netvm_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	bool rx = a->role & CORE_DP_RX, tx = a->role & CORE_DP_TX;
	bool direct = a->role == CORE_DP_BOTH;
	unsigned int iter = 0;

	if (dp == NULL) {
		fprintf(stderr, "lcore %u: out of memory\n", rte_lcore_id());
		c->quit = true;
		return -ENOMEM;
	}
	dp->c = c;
	dp->st = &c->lst[a->tid];
	dp->lazy = c->cfg.rx_parse_lazy;
	if (rx) {
		dp->frags = rte_malloc("netvm_frags", sizeof(*dp->frags), RTE_CACHE_LINE_SIZE);
		if (dp->frags == NULL) {
			fprintf(stderr, "lcore %u: out of memory\n", rte_lcore_id());
			rte_free(dp);
			c->quit = true;
			return -ENOMEM;
		}
		core_frags_init(dp->frags, rte_get_tsc_hz());
	}
	rte_rcu_qsbr_thread_online(c->qsbr, a->tid);
	while (!c->quit) {
		dp->view = __atomic_load_n(&c->view, __ATOMIC_ACQUIRE);
		dp->rules = __atomic_load_n(&c->rules, __ATOMIC_ACQUIRE);
		if (rx) {
			uint16_t port, q;
			struct rte_mbuf *m[CORE_BURST];
			unsigned int n;

			/* Judge by the view packets will be delivered with. */
			if (dp->view->nb_nfs >= c->wait_nfs) {
				c->wait_nfs = 0;
				for (port = 0; port < c->nb_ports; port++)
					for (q = 0; q < c->cfg.queues; q++)
						rx_port(dp, port, q);
			}
			if (!direct) {
				n = rte_ring_sc_dequeue_burst(c->fwd, (void **)m, CORE_BURST, NULL);
				if (n > 0)
					deliver_meta(dp, m, n);
			}
			doorbells(dp);
			if (++iter % DP_DOORBELL_SWEEP == 0)
				doorbells_sweep(dp);
			if (iter % DP_ALLOC_REFILL_EVERY == 0) {
				alloc_refill(dp);
				if (c->flows != NULL)
					core_flows_expire(c->flows, rte_rdtsc(), DP_EXPIRE_SWEEP);
			}
			if (dp->nb_due > 0)
				doorbells_due(dp);
		}
		if (tx) {
			const struct core_view *v = dp->view;
			unsigned int i, q, b;

			for (i = 0; i < v->nb_nfs; i++)
				for (q = 0; q < v->nfs[i]->nb_queues; q++)
					/* an empty ring costs one read, not tx_nf()'s
					 * set-up and stage clock: with many instances
					 * most rings are empty at most turns, and a
					 * full burst is often the ring's last */
					for (b = 0; b < DP_TX_BURSTS &&
						    nvm_ring_ready(&v->nfs[i]->q[q].tx); b++)
						if (tx_nf(dp, v->nfs[i], q, direct) < CORE_BURST)
							break;
			tx_flush(dp);
			doorbells(dp); /* those forward() delivered */
		}
		rte_rcu_qsbr_quiescent(c->qsbr, a->tid);
	}
	rte_rcu_qsbr_thread_offline(c->qsbr, a->tid);
	rte_free(dp->frags);
	rte_free(dp);
	return 0;
}
