/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-thread loop: take a burst of descriptors from the rx ring, turn
 * them into packets, call the NF, put the results on the tx ring. No locks,
 * no allocation, no logging: only counters.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nl_priv.h"

/* The NF side of the per-stage cycle counts (meson option stage_cycles). */
#ifndef NETVM_STAGE_CYCLES
#define NETVM_STAGE_CYCLES 1
#endif
#if NETVM_STAGE_CYCLES && defined(__x86_64__)
#include <x86intrin.h>
#define NL_STAGE_NOW() __rdtsc()
#else
#define NL_STAGE_NOW() 0
#endif

static inline uint8_t *
buf_addr(const struct nl_ctx *ctx, uint32_t buf)
{
	return ctx->pool + nvm_buf_offset(&ctx->pool_hdr, buf);
}

/* Is the descriptor's packet inside the pool? The core is trusted to be
 * right, but a wrong pointer here would be a crash, so it costs two compares. */
static inline int
desc_ok(const struct nl_ctx *ctx, const struct nvm_desc *d)
{
	return d->buf < ctx->pool_hdr.buf_count &&
	       (uint32_t)d->data_off + d->len <= ctx->pool_hdr.buf_stride;
}

/* The descriptor's action for an NF's result @action: itself, or, when it
 * is none (257 cut to its low bits would be OUT), one no core knows. */
static inline uint8_t
desc_action(int action)
{
	return action >= 0 && action < NVM_ACT_MAX ? (uint8_t)action : NL_ACT_UNKNOWN;
}

/* Fill the descriptor of @p for the core from what the NF left in it. */
static inline int
pkt_to_desc(const struct nl_ctx *ctx, struct nl_pkt *p, int action)
{
	struct nvm_desc *d = &p->desc;
	uint64_t off = (uint64_t)(p->data - buf_addr(ctx, d->buf));

	if (off + p->len > ctx->pool_hdr.buf_stride)
		return -EINVAL;
	d->data_off = (uint16_t)off;
	d->len = p->len;
	d->action = desc_action(action);
	d->port = p->out_port;
	d->arg = p->role;
	return 0;
}

/*
 * Set up every queue's ring views from the checked private header.
 * Returns 0 or -ENOMEM. A re-attach sets the same queues up again in place
 * (their number cannot change), so the NF's pointers to them, and its state
 * kept per queue, stay valid; packets it had from nl_pkt_alloc() and not
 * emitted are stale: their buffers went back with the old core, and
 * nl_pkt_emit() takes them back without sending them.
 */
int
nl_queues_setup(struct nl_ctx *ctx)
{
	const struct nvm_priv_hdr *rh = &ctx->priv_hdr;
	unsigned int q, i;

	if (ctx->queues == NULL) {
		ctx->queues = calloc(rh->nb_queues, sizeof(*ctx->queues));
		if (ctx->queues == NULL)
			return -ENOMEM;
	}
	ctx->nb_queues = rh->nb_queues;
	for (q = 0; q < ctx->nb_queues; q++) {
		struct nl_queue *nq = &ctx->queues[q];
		struct nl_queue_stats st = nq->st;
		uint64_t out = nq->alloc_out;

		memset(nq, 0, offsetof(struct nl_queue, alloc_pkts));
		nq->st = st;
		nq->ctx = ctx;
		nq->id = q;
		nvm_ring_cons_attach(&nq->rx, (struct nvm_ring *)(ctx->priv + rh->queues[q].rx_off),
				     rh->ring_size);
		nvm_ring_prod_attach(&nq->tx, (struct nvm_ring *)(ctx->priv + rh->queues[q].tx_off),
				     rh->ring_size);
		nvm_ring_cons_attach(&nq->alloc,
				     (struct nvm_ring *)(ctx->priv + rh->queues[q].alloc_off),
				     rh->alloc_size);
		for (i = 0; i < NL_ALLOC_OUTSTANDING; i++)
			if (!(out >> i & 1))
				nq->free_pkts[nq->nb_free_pkts++] = &nq->alloc_pkts[i];
		nq->stale = out;
	}
	return 0;
}

/* Put @n descriptors on the tx ring, waiting for room: the core drains it.
 * Gives up only when asked to stop (the core reclaims what is left). */
static void
tx_all(struct nl_queue *q, struct nvm_desc *d, uint32_t n)
{
	while (n > 0) {
		uint32_t k = nvm_ring_enqueue_burst(&q->tx, d, n);

		q->st.tx += k;
		d += k;
		n -= k;
		if (n > 0 && q->ctx->stop)
			return;
	}
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Nothing to do since *idle_since (0: not idle yet). With --sleep-after-us,
 * once that long has passed, arm the doorbell (`sleeping` = 1 in the private
 * header) and block on it: the core, when it gives this NF work, disarms
 * the flag and rings (docs/abi.md §4). The flag is set, then the ring is
 * checked again (with a full fence, which the core mirrors in its periodic
 * look at armed flags after its enqueues), so no wake-up is lost. A sleep that
 * times out with packets waiting while the flag is still armed means the
 * core did not take a wake-up on: counted as missed_wakeups. Only queue 0
 * sleeps on the doorbell (there is one per NF); other queues nap for 50 us
 * instead. @due_us is when the NF's idle hook next has work (NL_IDLE_NEVER:
 * never): a sleep ends by then, and under 1 ms the queue keeps polling.
 */
static void
idle(struct nl_queue *q, uint64_t *idle_since, uint64_t due_us)
{
	struct nl_ctx *ctx = q->ctx;
	struct nvm_priv_hdr *h = (struct nvm_priv_hdr *)ctx->priv;
	uint64_t now;
	int ms = 100;

	if (ctx->opts.sleep_after_us == 0) {
		__builtin_ia32_pause();
		return;
	}
	now = now_us();
	if (*idle_since == 0) {
		*idle_since = now;
		return;
	}
	if (now - *idle_since < ctx->opts.sleep_after_us)
		return;
	if (q->id != 0) {
		struct timespec ts = { 0, 50000 };

		nanosleep(&ts, NULL);
		return;
	}
	if (due_us < 1000)
		return;
	if (due_us / 1000 < (uint64_t)ms)
		ms = (int)(due_us / 1000);
	__atomic_store_n(&h->sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (nvm_ring_count(&q->rx, 1) == 0 && !ctx->stop && !ctx->parking) {
		q->st.sleeps++;
		if (ctx->tp->wait(ctx, ms) == 1)
			q->st.wakeups++;
		else if (__atomic_exchange_n(&h->sleeping, 0, __ATOMIC_SEQ_CST) != 0 &&
			 nvm_ring_count(&q->rx, 1) > 0)
			q->st.missed_wakeups++;
	}
	__atomic_store_n(&h->sleeping, 0, __ATOMIC_RELAXED);
	*idle_since = 0;
}

/* The body of one queue's thread. */
void *
nl_queue_run(void *arg)
{
	struct nl_queue *q = arg;
	struct nl_ctx *ctx = q->ctx;
	const struct nl_nf *nf = ctx->nf;
	struct nvm_desc in[NL_BURST], out[NL_BURST];
	struct nl_pkt *pp[NL_BURST];
	uint8_t actions[NL_BURST];
	unsigned int empty = 0;
	uint64_t idle_since = 0;

	while (!ctx->stop && !ctx->parking) {
		uint64_t t0, t1, t2;
		uint32_t n, i, k = 0, nout = 0;

		/*
		 * A new round: nothing read in the last one is held any more.
		 * The fence orders this store before every load of the round,
		 * so once nl_quiesce() sees it change, loads after it see what
		 * was published before nl_quiesce() was called.
		 */
		__atomic_store_n(&q->outside, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&q->seq, q->seq + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		t0 = NL_STAGE_NOW();
		n = nvm_ring_dequeue_burst(&q->rx, in, NL_BURST);

		if (n == 0) {
			uint64_t due_us = NL_IDLE_NEVER;

			if (nf->idle != NULL) {
				t1 = NL_STAGE_NOW();
				due_us = nf->idle(q, ctx->state);
				q->st.cycles_app += NL_STAGE_NOW() - t1;
				if (due_us == 0) {
					empty = 0;
					idle_since = 0;
					continue;
				}
			}
			if (++empty >= 256) {
				/* no NF code until the next round: nl_quiesce()
				 * need not wait for the sleep to end */
				__atomic_store_n(&q->outside, 1, __ATOMIC_RELEASE);
				idle(q, &idle_since, due_us);
				empty = 0;
			}
			continue;
		}
		empty = 0;
		idle_since = 0;
		q->st.rx += n;
		for (i = 0; i < n; i++) {
			struct nl_pkt *p = &q->pkts[k];

			if (!desc_ok(ctx, &in[i])) {
				q->st.bad_desc++;
				continue;
			}
			p->desc = in[i];
			p->data = buf_addr(ctx, in[i].buf) + in[i].data_off;
			p->len = in[i].len;
			p->in_port = in[i].port;
			p->out_port = 0;
			p->role = NVM_ROLE_NONE;
			p->hash = in[i].hash;
			p->q = q;
			pp[k++] = p;
		}
		t1 = NL_STAGE_NOW();
		if (nf->burst != NULL) {
			/* an action the hook leaves unset is none, not the last burst's */
			memset(actions, NL_ACT_UNKNOWN, k);
			nf->burst(pp, (uint16_t)k, actions, ctx->state);
		} else {
			for (i = 0; i < k; i++)
				actions[i] = desc_action(nf->pkt(pp[i], ctx->state));
		}
		t2 = NL_STAGE_NOW();
		for (i = 0; i < k; i++) {
			if (pkt_to_desc(ctx, pp[i], actions[i]) < 0) {
				q->st.bad_len++;
				pp[i]->desc.action = NVM_ACT_DROP;
				pp[i]->desc.len = 0;
				pp[i]->desc.data_off = 0;
			}
			out[nout++] = pp[i]->desc;
		}
		/* what the NF read is no longer held: nl_quiesce() need not wait
		 * for room on the ring (a core stopped or gone gives none) */
		__atomic_store_n(&q->outside, 1, __ATOMIC_RELEASE);
		tx_all(q, out, nout);
		q->st.cycles_app += t2 - t1;
		q->st.cycles_io += (t1 - t0) + (NL_STAGE_NOW() - t2);
	}
	return NULL;
}

/* Take a fresh buffer from this queue's alloc ring. Returns NULL if the
 * ring is empty or NL_ALLOC_OUTSTANDING packets are already out. */
struct nl_pkt *
nl_pkt_alloc(struct nl_queue *q)
{
	const struct nl_ctx *ctx = q->ctx;
	struct nvm_desc d;
	struct nl_pkt *p;

	if (q->nb_free_pkts == 0 || nvm_ring_dequeue_burst(&q->alloc, &d, 1) == 0) {
		q->st.alloc_fail++;
		return NULL;
	}
	if (d.buf >= ctx->pool_hdr.buf_count) {
		q->st.bad_desc++;
		q->st.alloc_fail++;
		return NULL;
	}
	p = q->free_pkts[--q->nb_free_pkts];
	q->alloc_out |= 1ull << (p - q->alloc_pkts);
	memset(&p->desc, 0, sizeof(p->desc));
	p->desc.buf = d.buf;
	p->data = buf_addr(ctx, d.buf) + ctx->pool_hdr.headroom;
	p->len = 0;
	p->in_port = 0;
	p->out_port = 0;
	p->role = NVM_ROLE_NONE;
	p->hash = 0;
	p->q = q;
	q->st.alloc_ok++;
	return p;
}

/* Bytes from p->data to the end of the packet's buffer. */
uint32_t
nl_pkt_room(const struct nl_pkt *p)
{
	const struct nl_ctx *ctx = p->q->ctx;

	return (uint32_t)(buf_addr(ctx, p->desc.buf) + ctx->pool_hdr.buf_stride - p->data);
}

/* Hand a packet from nl_pkt_alloc() to the core with @action. Returns 0,
 * -EINVAL if it is not one of @q's packets handed out and not yet emitted
 * (emitting twice would give the buffer twice and put the packet on the
 * free list twice) or, unless @action is NL_DROP, it left its buffer;
 * -ESTALE if it was handed out before a re-attach (not sent: its buffer
 * went back with the old core; the packet is free again); or -ENOBUFS if
 * the tx ring is full. */
int
nl_pkt_emit(struct nl_queue *q, struct nl_pkt *p, int action)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)q->alloc_pkts;
	uint64_t bit;

	if ((uintptr_t)p < (uintptr_t)q->alloc_pkts || off % sizeof(*p) != 0 ||
	    off / sizeof(*p) >= NL_ALLOC_OUTSTANDING)
		return -EINVAL;
	bit = 1ull << (off / sizeof(*p));
	if (q->stale & bit) {
		/* handed out before a re-attach: the old core took its buffer */
		q->stale &= ~bit;
		q->free_pkts[q->nb_free_pkts++] = p;
		return -ESTALE;
	}
	if (!(q->alloc_out & bit))
		return -EINVAL;
	if (pkt_to_desc(q->ctx, p, action) < 0) {
		if (action != NL_DROP)
			return -EINVAL;
		/* A drop gives the buffer back wherever its data went, as the loop does. */
		p->desc.action = NVM_ACT_DROP;
		p->desc.len = 0;
		p->desc.data_off = 0;
	}
	if (nvm_ring_enqueue_burst(&q->tx, &p->desc, 1) == 0)
		return -ENOBUFS;
	q->st.tx++;
	q->alloc_out &= ~bit;
	q->free_pkts[q->nb_free_pkts++] = p;
	return 0;
}

/* nl_pkt_emit(), waiting for room on a full ring as netlib's own returns do:
 * -ENOBUFS only once the NF is stopping or parking. */
int
nl_pkt_emit_wait(struct nl_queue *q, struct nl_pkt *p, int action)
{
	int rc;

	while ((rc = nl_pkt_emit(q, p, action)) == -ENOBUFS && !q->ctx->stop && !q->ctx->parking)
		__builtin_ia32_pause();
	return rc;
}

/* Move the start of the packet by @delta bytes. Returns 0, or -EINVAL if
 * the packet would leave its buffer. */
int
nl_pkt_adj(struct nl_pkt *p, int delta)
{
	const struct nl_ctx *ctx = p->q->ctx;
	uint8_t *start = buf_addr(ctx, p->desc.buf);
	uint8_t *data = p->data + delta;

	if (data < start || (delta > 0 && (uint32_t)delta > p->len) ||
	    data + p->len - delta > start + ctx->pool_hdr.buf_stride)
		return -EINVAL;
	p->data = data;
	p->len = (uint16_t)(p->len - delta);
	return 0;
}
