/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netlib's queue loop (nl_loop.c) and the NF's idle hook: called while the
 * rx ring is empty, packets it makes with nl_pkt_alloc() reach the tx ring,
 * a hook that keeps working keeps the queue awake, and a sleeping queue
 * wakes by the time the hook asks for. The loop runs in the test's thread
 * on regions in ordinary memory, with a transport whose wait only records.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nl_priv.h"

#define RING 64
#define NBUF 8
#define STRIDE 2048

struct loop_env {
	struct nl_ctx ctx;
	struct nl_nf nf;
	uint8_t *priv;
	struct nvm_ring_prod to_nf_rx, to_nf_alloc; /* the core's side */
	struct nvm_ring_cons from_nf_tx;
	/* what the hook does and saw */
	unsigned int idle_calls, stop_after, work_calls, bursts;
	uint64_t due_us;
	int emit_rc;
	int wait_ms[16];
	unsigned int waits;
};

static struct loop_env *cur;

static uint64_t
hook_idle(struct nl_queue *q, void *state)
{
	struct loop_env *env = state;

	(void)q;
	if (++env->idle_calls >= env->stop_after)
		env->ctx.stop = 1;
	if (env->idle_calls <= env->work_calls)
		return 0;
	return env->due_us;
}

/* The hook makes one packet on its first call and sends it out of port 1. */
static uint64_t
hook_emit(struct nl_queue *q, void *state)
{
	struct loop_env *env = state;

	if (env->idle_calls++ == 0) {
		struct nl_pkt *p = nl_pkt_alloc(q);

		assert_non_null(p);
		memset(p->data, 0xab, 60);
		p->len = 60;
		env->emit_rc = nl_pkt_emit(q, p, nl_out(p, 1));
	}
	if (env->idle_calls >= env->stop_after)
		env->ctx.stop = 1;
	return NL_IDLE_NEVER;
}

static void
hook_burst(struct nl_pkt **pkts, uint16_t n, uint8_t *actions, void *state)
{
	struct loop_env *env = state;

	for (uint16_t i = 0; i < n; i++)
		actions[i] = (uint8_t)nl_out(pkts[i], 0);
	env->bursts++;
	env->ctx.stop = 1;
}

static int
fake_wait(struct nl_ctx *ctx, int ms)
{
	(void)ctx;
	if (cur->waits < 16)
		cur->wait_ms[cur->waits] = ms;
	cur->waits++;
	if (cur->waits >= 3)
		cur->ctx.stop = 1;
	return 0;
}

static const struct nl_transport fake_tp = { .name = "fake", .wait = fake_wait };

static struct loop_env *
env_new(uint64_t (*idle)(struct nl_queue *, void *))
{
	struct loop_env *env = calloc(1, sizeof(*env));
	struct nvm_priv_hdr *h;
	uint64_t off = sizeof(struct nvm_priv_hdr);

	assert_non_null(env);
	env->nf = (struct nl_nf){ .name = "test", .burst = hook_burst, .idle = idle };
	env->ctx.nf = &env->nf;
	env->ctx.state = env;
	env->ctx.tp = &fake_tp;
	env->ctx.pool_hdr.buf_count = NBUF;
	env->ctx.pool_hdr.buf_stride = STRIDE;
	env->ctx.pool_hdr.headroom = 128;
	env->ctx.pool = calloc(NBUF, STRIDE);
	assert_non_null(env->ctx.pool);
	assert_int_equal(posix_memalign((void **)&env->priv, 64, off + 3 * NVM_RING_BYTES(RING)), 0);
	memset(env->priv, 0, off + 3 * NVM_RING_BYTES(RING));
	h = (struct nvm_priv_hdr *)env->priv;
	h->nb_queues = 1;
	h->ring_size = RING;
	h->alloc_size = RING;
	h->queues[0].rx_off = off;
	h->queues[0].tx_off = off + NVM_RING_BYTES(RING);
	h->queues[0].alloc_off = off + 2 * NVM_RING_BYTES(RING);
	env->ctx.priv = env->priv;
	env->ctx.priv_hdr = *h;
	for (int i = 0; i < 3; i++)
		nvm_ring_init((struct nvm_ring *)(env->priv + off + i * NVM_RING_BYTES(RING)), RING);
	nvm_ring_prod_attach(&env->to_nf_rx, (struct nvm_ring *)(env->priv + h->queues[0].rx_off),
			     RING);
	nvm_ring_prod_attach(&env->to_nf_alloc,
			     (struct nvm_ring *)(env->priv + h->queues[0].alloc_off), RING);
	nvm_ring_cons_attach(&env->from_nf_tx, (struct nvm_ring *)(env->priv + h->queues[0].tx_off),
			     RING);
	assert_int_equal(nl_queues_setup(&env->ctx), 0);
	env->due_us = NL_IDLE_NEVER;
	cur = env;
	return env;
}

static void
env_free(struct loop_env *env)
{
	free(env->ctx.queues);
	free(env->ctx.pool);
	free(env->priv);
	free(env);
	cur = NULL;
}

/* An empty rx ring: the hook is called (over and over), burst never. */
static void
test_idle_called_without_packets(void **state)
{
	struct loop_env *env = env_new(hook_idle);

	(void)state;
	env->stop_after = 1000;
	nl_queue_run(&env->ctx.queues[0]);
	assert_int_equal(env->idle_calls, 1000);
	assert_int_equal(env->bursts, 0);
	assert_int_equal(env->waits, 0); /* no --sleep-after-us: never sleeps */
	env_free(env);
}

/* A packet made in the hook reaches the tx ring with its action and port. */
static void
test_idle_packet_leaves(void **state)
{
	struct loop_env *env = env_new(hook_emit);
	struct nvm_desc d = { .buf = 3 }, out;

	(void)state;
	env->stop_after = 10;
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, &d, 1), 1);
	nl_queue_run(&env->ctx.queues[0]);
	assert_int_equal(env->emit_rc, 0);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, &out, 1), 1);
	assert_int_equal(out.buf, 3);
	assert_int_equal(out.len, 60);
	assert_int_equal(out.action, NVM_ACT_OUT);
	assert_int_equal(out.port, 1);
	assert_int_equal(out.data_off, 128);
	assert_int_equal(env->ctx.queues[0].st.tx, 1);
	env_free(env);
}

/*
 * A packet emitted once is the core's: emitting it again is refused and
 * sends nothing, and the packets allocated after it are distinct.
 */
static void
test_emit_twice_refused(void **state)
{
	struct loop_env *env = env_new(hook_idle);
	struct nl_queue *q = &env->ctx.queues[0];
	struct nvm_desc d[3] = { { .buf = 1 }, { .buf = 2 }, { .buf = 3 } }, out[4];
	struct nl_pkt *p, *a, *b;

	(void)state;
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, d, 3), 3);
	p = nl_pkt_alloc(q);
	assert_non_null(p);
	p->len = 60;
	assert_int_equal(nl_pkt_emit(q, p, NL_DROP), 0);
	assert_int_equal(nl_pkt_emit(q, p, NL_DROP), -EINVAL);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, out, 4), 1);
	assert_int_equal(q->st.tx, 1);
	a = nl_pkt_alloc(q);
	b = nl_pkt_alloc(q);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(a->desc.buf, 2);
	assert_int_equal(b->desc.buf, 3);
	/* Not one of the queue's packets, or not at the start of one: refused. */
	assert_int_equal(nl_pkt_emit(q, (struct nl_pkt *)((char *)a + 1), NL_DROP), -EINVAL);
	assert_int_equal(nl_pkt_emit(q, &q->pkts[0], NL_DROP), -EINVAL);
	assert_int_equal(nl_pkt_emit(q, a, NL_DROP), 0);
	assert_int_equal(nl_pkt_emit(q, b, NL_DROP), 0);
	assert_int_equal(q->nb_free_pkts, NL_ALLOC_OUTSTANDING);
	env_free(env);
}

/* A queue holds at most 64 allocated packets not emitted yet. */
static void
test_alloc_limit(void **state)
{
	struct loop_env *env = env_new(hook_idle);
	struct nl_queue *q = &env->ctx.queues[0];
	struct nvm_desc d[RING];
	struct nl_pkt *p[NL_ALLOC_OUTSTANDING];
	unsigned int i;

	(void)state;
	for (i = 0; i < RING; i++)
		d[i] = (struct nvm_desc){ .buf = 1 + i % (NBUF - 1) };
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, d, RING), RING);
	for (i = 0; i < 64; i++)
		assert_non_null(p[i] = nl_pkt_alloc(q));
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, d, 1), 1);
	assert_null(nl_pkt_alloc(q)); /* the ring has one, the queue holds 64 */
	assert_int_equal(nl_pkt_emit(q, p[5], NL_DROP), 0);
	assert_ptr_equal(nl_pkt_alloc(q), p[5]);
	env_free(env);
}

/*
 * A packet whose data left its buffer cannot go out, but NL_DROP still gives
 * the buffer back (data_off and len 0), so the packet is free again.
 */
static void
test_emit_drop_outside_buffer(void **state)
{
	struct loop_env *env = env_new(hook_idle);
	struct nl_queue *q = &env->ctx.queues[0];
	struct nvm_desc d = { .buf = 4 }, out;
	struct nl_pkt *p;

	(void)state;
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, &d, 1), 1);
	p = nl_pkt_alloc(q);
	assert_non_null(p);
	p->len = (uint16_t)(nl_pkt_room(p) + 1);
	assert_int_equal(nl_pkt_emit(q, p, nl_out(p, 1)), -EINVAL);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, &out, 1), 0);
	assert_int_equal(nl_pkt_emit(q, p, NL_DROP), 0);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, &out, 1), 1);
	assert_int_equal(out.buf, 4);
	assert_int_equal(out.action, NVM_ACT_DROP);
	assert_int_equal(out.len, 0);
	assert_int_equal(out.data_off, 0);
	assert_int_equal(q->nb_free_pkts, NL_ALLOC_OUTSTANDING);
	env_free(env);
}

/*
 * A re-attach sets the same queues up again: the NF's pointers to them and
 * their counters stay, and a packet allocated before it is stale: emitting
 * it sends nothing (its buffer went back with the old core) and frees it.
 */
static void
test_reattach_keeps_queues(void **state)
{
	struct loop_env *env = env_new(hook_idle);
	struct nl_queue *q = &env->ctx.queues[0];
	struct nvm_desc d[3] = { { .buf = 1 }, { .buf = 2 }, { .buf = 3 } }, out[4];
	struct nl_pkt *a, *b, *c;

	(void)state;
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, d, 3), 3);
	a = nl_pkt_alloc(q);
	b = nl_pkt_alloc(q);
	assert_non_null(a);
	assert_non_null(b);
	a->len = 60;
	assert_int_equal(nl_pkt_emit(q, a, NL_DROP), 0);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, out, 4), 1);
	assert_int_equal(q->st.tx, 1);
	assert_int_equal(nl_queues_setup(&env->ctx), 0); /* as reattach() does */
	assert_ptr_equal(&env->ctx.queues[0], q);
	assert_ptr_equal(q->ctx, &env->ctx);
	assert_int_equal(q->st.tx, 1);
	assert_int_equal(q->nb_free_pkts, NL_ALLOC_OUTSTANDING - 1); /* b is still out */
	b->len = 60;
	assert_int_equal(nl_pkt_emit(q, b, nl_out(b, 0)), -ESTALE);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, out, 4), 0);
	assert_int_equal(q->nb_free_pkts, NL_ALLOC_OUTSTANDING);
	assert_int_equal(nl_pkt_emit(q, b, NL_DROP), -EINVAL);
	c = nl_pkt_alloc(q); /* from the ring as set up again */
	assert_non_null(c);
	assert_int_equal(nl_pkt_emit(q, c, NL_DROP), 0);
	assert_int_equal(q->nb_free_pkts, NL_ALLOC_OUTSTANDING);
	env_free(env);
}

static void *
drain_later(void *arg)
{
	struct loop_env *env = arg;
	struct nvm_desc out[RING];

	usleep(50000);
	return (void *)(uintptr_t)nvm_ring_dequeue_burst(&env->from_nf_tx, out, RING);
}

/* nl_pkt_emit_wait() waits for room on a full ring, unless the NF stops. */
static void
test_emit_wait(void **state)
{
	struct loop_env *env = env_new(hook_idle);
	struct nl_queue *q = &env->ctx.queues[0];
	struct nvm_desc fill[RING] = { { 0 } }, d[2] = { { .buf = 5 }, { .buf = 6 } }, out;
	struct nl_pkt *p;
	unsigned int n = 0, k;
	pthread_t t;
	void *drained;

	(void)state;
	while ((k = nvm_ring_enqueue_burst(&q->tx, fill, RING)) > 0)
		n += k;
	assert_true(n > 0);
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, d, 2), 2);
	p = nl_pkt_alloc(q);
	assert_non_null(p);
	p->len = 60;
	assert_int_equal(nl_pkt_emit(q, p, NL_DROP), -ENOBUFS);
	env->ctx.stop = 1;
	assert_int_equal(nl_pkt_emit_wait(q, p, NL_DROP), -ENOBUFS);
	env->ctx.stop = 0;
	assert_int_equal(pthread_create(&t, NULL, drain_later, env), 0);
	assert_int_equal(nl_pkt_emit_wait(q, p, NL_DROP), 0);
	assert_int_equal(pthread_join(t, &drained), 0);
	assert_int_equal((uintptr_t)drained, n);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, &out, 1), 1);
	assert_int_equal(out.buf, 5);
	assert_int_equal(q->nb_free_pkts, NL_ALLOC_OUTSTANDING);
	env_free(env);
}

/*
 * A port or role beyond what a descriptor holds is not cut to its low bits
 * (257 would be port 1): it becomes one no core has, which the core refuses.
 */
static void
test_out_of_range_port_and_role(void **state)
{
	struct nl_pkt p = { 0 };

	(void)state;
	assert_int_equal(nl_out(&p, 31), NVM_ACT_OUT);
	assert_int_equal(p.out_port, 31);
	assert_int_equal(nl_out(&p, 257), NVM_ACT_OUT);
	assert_int_equal(p.out_port, 255);
	assert_int_equal(nl_to_role(&p, 7), NVM_ACT_TO_ROLE);
	assert_int_equal(p.role, 7);
	assert_int_equal(nl_to_role(&p, 65536 + 7), NVM_ACT_TO_ROLE);
	assert_int_equal(p.role, NVM_ROLE_NONE);
}

/* A pkt hook's result for each of the packets of test_bad_actions(). */
static const int pkt_results[] = { 257, 7, -1, 256 + NVM_ACT_TO_ROLE, NVM_ACT_OUT };

static int
hook_pkt_results(struct nl_pkt *p, void *state)
{
	struct loop_env *env = state;

	(void)p;
	env->ctx.stop = 1;
	return pkt_results[env->bursts++];
}

/*
 * A result that is no action (257, 7, -1) is not cut to its low bits (257
 * would be OUT, 258 TO_ROLE): it reaches the core as an action it does not
 * know, which takes the buffer back (bad_action). nl_pkt_emit() likewise.
 */
static void
test_bad_actions(void **state)
{
	struct loop_env *env = env_new(hook_idle);
	struct nl_queue *q = &env->ctx.queues[0];
	struct nvm_desc d[5], out[5], a = { .buf = 6 };
	struct nl_pkt *p;
	unsigned int i;

	(void)state;
	env->nf.burst = NULL;
	env->nf.pkt = hook_pkt_results;
	for (i = 0; i < 5; i++)
		d[i] = (struct nvm_desc){ .buf = 1 + i, .data_off = 128, .len = 64 };
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_rx, d, 5), 5);
	nl_queue_run(q);
	assert_int_equal(env->bursts, 5);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, out, 5), 5);
	for (i = 0; i < 4; i++)
		assert_true(out[i].action >= NVM_ACT_MAX);
	assert_int_equal(out[4].action, NVM_ACT_OUT);

	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_alloc, &a, 1), 1);
	p = nl_pkt_alloc(q);
	assert_non_null(p);
	p->len = 60;
	assert_int_equal(nl_pkt_emit(q, p, 256 + NVM_ACT_OUT), 0);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, out, 5), 1);
	assert_int_equal(out[0].buf, 6);
	assert_true(out[0].action >= NVM_ACT_MAX);
	env_free(env);
}

/* Sets the actions of its first burst only (OUT), then puts the next packet
 * on the rx ring; leaves the second burst's unset. */
static void
hook_burst_lazy(struct nl_pkt **pkts, uint16_t n, uint8_t *actions, void *state)
{
	struct loop_env *env = state;
	struct nvm_desc d = { .buf = 2, .data_off = 128, .len = 64 };

	if (env->bursts++ == 0) {
		for (uint16_t i = 0; i < n; i++)
			actions[i] = (uint8_t)nl_out(pkts[i], 1);
		assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_rx, &d, 1), 1);
	} else {
		env->ctx.stop = 1;
	}
}

/*
 * An action a burst hook leaves unset is not what the same slot held in an
 * earlier burst (the second burst's packet went out as the first's): the
 * core gets an action it does not know and takes the buffer back.
 */
static void
test_burst_unset_actions(void **state)
{
	struct loop_env *env = env_new(NULL);
	struct nvm_desc d = { .buf = 1, .data_off = 128, .len = 64 }, out[2];

	(void)state;
	env->nf.burst = hook_burst_lazy;
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_rx, &d, 1), 1);
	nl_queue_run(&env->ctx.queues[0]);
	assert_int_equal(env->bursts, 2);
	assert_int_equal(nvm_ring_dequeue_burst(&env->from_nf_tx, out, 2), 2);
	assert_int_equal(out[0].buf, 1);
	assert_int_equal(out[0].action, NVM_ACT_OUT);
	assert_int_equal(out[1].buf, 2);
	assert_true(out[1].action >= NVM_ACT_MAX);
	env_free(env);
}

/* Drops its packets and counts its bursts; never stops the loop. */
static void
hook_burst_count(struct nl_pkt **pkts, uint16_t n, uint8_t *actions, void *state)
{
	struct loop_env *env = state;

	(void)pkts;
	for (uint16_t i = 0; i < n; i++)
		actions[i] = NL_DROP;
	__atomic_add_fetch(&env->bursts, 1, __ATOMIC_RELEASE);
}

static void *
run_queue(void *arg)
{
	nl_queue_run(arg);
	return NULL;
}

static void *
quiesce(void *arg)
{
	struct loop_env *env = arg;

	nl_quiesce(&env->ctx);
	__atomic_store_n(&env->waits, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A queue thread whose NF code has returned holds nothing the caller of
 * nl_quiesce() replaced, even while it waits for room on a full ring to the
 * core (a core stopped or gone): nl_quiesce() returns. It waited for that
 * queue's next round, so a reload hung for as long as the core did, and
 * SIGINT, which the main thread then never saw, did not end the NF.
 */
static void
test_quiesce_beside_full_ring(void **state)
{
	struct loop_env *env = env_new(NULL);
	struct nl_queue *q = &env->ctx.queues[0];
	struct nvm_desc fill[RING] = { { 0 } }, d = { .buf = 2, .data_off = 128, .len = 64 };
	pthread_t loop, qu;
	unsigned int i;

	(void)state;
	env->nf.burst = hook_burst_count;
	while (nvm_ring_enqueue_burst(&q->tx, fill, RING) > 0)
		;
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_rx, &d, 1), 1);
	env->ctx.queues_up = 1;
	assert_int_equal(pthread_create(&loop, NULL, run_queue, q), 0);
	/* bounds of 30 s: a hang, not a time, is what they catch */
	for (i = 0; i < 30000 && __atomic_load_n(&env->bursts, __ATOMIC_ACQUIRE) == 0; i++)
		usleep(1000);
	assert_int_equal(env->bursts, 1); /* the queue now waits for room */
	assert_int_equal(pthread_create(&qu, NULL, quiesce, env), 0);
	for (i = 0; i < 30000 && __atomic_load_n(&env->waits, __ATOMIC_ACQUIRE) == 0; i++)
		usleep(1000);
	i = __atomic_load_n(&env->waits, __ATOMIC_ACQUIRE);
	env->ctx.stop = 1; /* ends the loop, and nl_quiesce() if it still waits */
	pthread_join(qu, NULL);
	pthread_join(loop, NULL);
	assert_int_equal(i, 1);
	env_free(env);
}

/* Packets still go to burst while a hook exists. */
static void
test_packets_still_reach_burst(void **state)
{
	struct loop_env *env = env_new(hook_idle);
	struct nvm_desc d = { .buf = 2, .data_off = 128, .len = 64 };

	(void)state;
	env->stop_after = 1u << 30;
	assert_int_equal(nvm_ring_enqueue_burst(&env->to_nf_rx, &d, 1), 1);
	nl_queue_run(&env->ctx.queues[0]);
	assert_int_equal(env->bursts, 1);
	env_free(env);
}

/* With --sleep-after-us, the sleep ends by the hook's next due time. */
static void
test_sleep_bounded_by_due(void **state)
{
	struct loop_env *env = env_new(hook_idle);

	(void)state;
	env->ctx.opts.sleep_after_us = 1;
	env->stop_after = 1u << 30;
	env->due_us = 5000; /* 5 ms */
	nl_queue_run(&env->ctx.queues[0]);
	assert_int_equal(env->waits, 3);
	assert_int_equal(env->wait_ms[0], 5);
	assert_int_equal(env->wait_ms[2], 5);
	env_free(env);

	env = env_new(hook_idle);
	env->ctx.opts.sleep_after_us = 1;
	env->stop_after = 1u << 30;
	nl_queue_run(&env->ctx.queues[0]); /* NL_IDLE_NEVER: the usual 100 ms */
	assert_int_equal(env->wait_ms[0], 100);
	env_free(env);
}

/* A hook that keeps working, or is due in under 1 ms, keeps the queue awake. */
static void
test_no_sleep_while_busy(void **state)
{
	struct loop_env *env = env_new(hook_idle);

	(void)state;
	env->ctx.opts.sleep_after_us = 1;
	env->work_calls = 100000;
	env->stop_after = 100000;
	nl_queue_run(&env->ctx.queues[0]);
	assert_int_equal(env->waits, 0);
	env_free(env);

	env = env_new(hook_idle);
	env->ctx.opts.sleep_after_us = 1;
	env->due_us = 500;
	env->stop_after = 100000;
	nl_queue_run(&env->ctx.queues[0]);
	assert_int_equal(env->waits, 0);
	env_free(env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_called_without_packets),
		cmocka_unit_test(test_idle_packet_leaves),
		cmocka_unit_test(test_emit_twice_refused),
		cmocka_unit_test(test_alloc_limit),
		cmocka_unit_test(test_emit_drop_outside_buffer),
		cmocka_unit_test(test_reattach_keeps_queues),
		cmocka_unit_test(test_emit_wait),
		cmocka_unit_test(test_out_of_range_port_and_role),
		cmocka_unit_test(test_bad_actions),
		cmocka_unit_test(test_burst_unset_actions),
		cmocka_unit_test(test_quiesce_beside_full_ring),
		cmocka_unit_test(test_packets_still_reach_burst),
		cmocka_unit_test(test_sleep_bounded_by_due),
		cmocka_unit_test(test_no_sleep_while_busy),
	};

	alarm(60); /* a loop that never calls the hook never stops: fail, not hang */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
