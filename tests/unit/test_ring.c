/* SPDX-License-Identifier: BSD-3-Clause */
/* The shared descriptor ring (nvm_ring.h): order, wrap-around, full/empty,
 * an untrusted peer index, and two threads checking every sequence number. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nvm_ring.h"

struct ring_pair {
	struct nvm_ring *r;
	struct nvm_ring_prod p;
	struct nvm_ring_cons c;
};

static struct ring_pair *
pair_new(uint32_t size)
{
	struct ring_pair *rp = calloc(1, sizeof(*rp));

	assert_non_null(rp);
	assert_int_equal(posix_memalign((void **)&rp->r, 64, NVM_RING_BYTES(size)), 0);
	nvm_ring_init(rp->r, size);
	nvm_ring_prod_attach(&rp->p, rp->r, size);
	nvm_ring_cons_attach(&rp->c, rp->r, size);
	return rp;
}

static void
pair_free(struct ring_pair *rp)
{
	free(rp->r);
	free(rp);
}

static struct nvm_desc
mk(uint32_t seq)
{
	struct nvm_desc d = { .buf = seq, .len = (uint16_t)(seq * 7), .hash = ~seq };

	return d;
}

static void
test_empty_then_full(void **state)
{
	struct ring_pair *rp = pair_new(8);
	struct nvm_desc d[16], out[16];
	uint32_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		d[i] = mk(i);
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 4), 0);
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 16), 8); /* only 8 fit */
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 1), 0);  /* full */
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 16), 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(out[i].buf, i);
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 1), 0); /* empty again */
	assert_int_equal(rp->p.corrupt + rp->c.corrupt, 0);
	pair_free(rp);
}

static void
test_wrap_around(void **state)
{
	struct ring_pair *rp = pair_new(16);
	struct nvm_desc d[5], out[5];
	uint32_t seq = 0, expect = 0, round, i, n;

	(void)state;
	/* Bursts of 5 into 16 slots cross the end of the ring at every offset. */
	for (round = 0; round < 100; round++) {
		for (i = 0; i < 5; i++)
			d[i] = mk(seq++);
		assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 5), 5);
		n = nvm_ring_dequeue_burst(&rp->c, out, 5);
		assert_int_equal(n, 5);
		for (i = 0; i < n; i++) {
			assert_int_equal(out[i].buf, expect);
			assert_int_equal(out[i].len, (uint16_t)(expect * 7));
			assert_int_equal(out[i].hash, ~expect);
			expect++;
		}
	}
	/* Free-running 32-bit indexes: wrapping the counters themselves works. */
	rp->r->prod = rp->r->cons = 0xfffffffeu;
	nvm_ring_prod_attach(&rp->p, rp->r, 16);
	nvm_ring_cons_attach(&rp->c, rp->r, 16);
	rp->p.head = rp->p.cons_cache = rp->c.tail = rp->c.prod_cache = 0xfffffffeu;
	for (i = 0; i < 5; i++)
		d[i] = mk(i);
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 5), 5);
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 5), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(out[i].buf, i);
	pair_free(rp);
}

/* Slots written in place (nvm_ring_slot) and published reach the consumer
 * in order, across the end of the ring; nothing unpublished does. */
static void
test_in_place(void **state)
{
	struct ring_pair *rp = pair_new(16);
	struct nvm_desc out[7];
	uint32_t seq = 0, expect = 0, round, i, n;

	(void)state;
	for (round = 0; round < 50; round++) {
		assert_true(nvm_ring_free_count(&rp->p, 7) >= 7);
		for (i = 0; i < 7; i++)
			*nvm_ring_slot(&rp->p, i) = mk(seq++);
		/* written, not yet published: the consumer sees nothing */
		assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 7), 0);
		nvm_ring_publish(&rp->p, 7);
		n = nvm_ring_dequeue_burst(&rp->c, out, 7);
		assert_int_equal(n, 7);
		for (i = 0; i < n; i++) {
			assert_int_equal(out[i].buf, expect);
			assert_int_equal(out[i].hash, ~expect);
			expect++;
		}
	}
	/* a burst published in part: the rest is written again later */
	for (i = 0; i < 4; i++)
		*nvm_ring_slot(&rp->p, i) = mk(100 + i);
	nvm_ring_publish(&rp->p, 2);
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 7), 2);
	assert_int_equal(out[0].buf, 100);
	assert_int_equal(out[1].buf, 101);
	*nvm_ring_slot(&rp->p, 0) = mk(200);
	nvm_ring_publish(&rp->p, 1);
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 7), 1);
	assert_int_equal(out[0].buf, 200);
	assert_int_equal(rp->p.corrupt + rp->c.corrupt, 0);
	pair_free(rp);
}

static void
test_untrusted_indexes(void **state)
{
	struct ring_pair *rp = pair_new(8);
	struct nvm_desc d[4] = { mk(1), mk(2), mk(3), mk(4) }, out[8];

	(void)state;
	/* A producer claiming more entries than the ring holds. */
	rp->r->prod = 1000;
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 8), 0);
	assert_int_equal(rp->c.corrupt, 1);
	/* A consumer index ahead of the producer must not create room. */
	rp->r->prod = 0;
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 4), 4);
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 4), 4); /* full: 8 of 8 */
	rp->r->cons = 100;
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 4), 0);
	assert_int_equal(rp->p.corrupt, 1);
	/* The size and mask in shared memory are never used. */
	rp->r->size = 1u << 30;
	rp->r->mask = 0xffffffffu;
	rp->r->cons = 8; /* the consumer took all 8 */
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 4), 4);
	assert_int_equal(nvm_ring_free_count(&rp->p, 8), 4);
	pair_free(rp);
}

/* nvm_ring_ready(): true exactly while published entries are unread, and
 * for an impossible producer index, which the dequeue then counts. */
static void
test_ready(void **state)
{
	struct ring_pair *rp = pair_new(8);
	struct nvm_desc d[3] = { mk(1), mk(2), mk(3) }, out[8];

	(void)state;
	assert_false(nvm_ring_ready(&rp->c));
	*nvm_ring_slot(&rp->p, 0) = mk(9);
	assert_false(nvm_ring_ready(&rp->c)); /* written, not published */
	nvm_ring_publish(&rp->p, 1);
	assert_true(nvm_ring_ready(&rp->c));
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 8), 1);
	assert_false(nvm_ring_ready(&rp->c));
	/* three published, one read: the two left are seen */
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 3), 3);
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 1), 1);
	assert_true(nvm_ring_ready(&rp->c));
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 8), 2);
	assert_int_equal(out[1].buf, 3);
	assert_false(nvm_ring_ready(&rp->c));
	/* a producer that takes back what it published: ready from the
	 * cached index, the dequeue follows the shared one and finds none */
	assert_int_equal(nvm_ring_enqueue_burst(&rp->p, d, 3), 3);
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 1), 1);
	rp->r->prod = rp->c.tail;
	assert_true(nvm_ring_ready(&rp->c));
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 8), 0);
	assert_false(nvm_ring_ready(&rp->c));
	/* an impossible producer index: ready, and the dequeue refuses it */
	rp->r->prod = rp->c.tail + 1000;
	assert_true(nvm_ring_ready(&rp->c));
	assert_int_equal(nvm_ring_dequeue_burst(&rp->c, out, 8), 0);
	assert_int_equal(rp->c.corrupt, 1);
	pair_free(rp);
}

#define STRESS_N 2000000u

static void *
producer(void *arg)
{
	struct ring_pair *rp = arg;
	struct nvm_desc d[32];
	uint32_t seq = 0;

	while (seq < STRESS_N) {
		uint32_t n = 1 + seq % 32, i, k;

		if (n > STRESS_N - seq)
			n = STRESS_N - seq;
		for (i = 0; i < n; i++)
			d[i] = mk(seq + i);
		k = nvm_ring_enqueue_burst(&rp->p, d, n);
		seq += k;
	}
	return NULL;
}

static void
test_two_thread_stress(void **state)
{
	struct ring_pair *rp = pair_new(64);
	struct nvm_desc out[32];
	uint32_t expect = 0, i, n, bad = 0;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, producer, rp), 0);
	while (expect < STRESS_N) {
		/* polled as the core polls: a ring said empty is not read
		 * (one said empty while entries wait would hang the test) */
		if (!nvm_ring_ready(&rp->c))
			continue;
		n = nvm_ring_dequeue_burst(&rp->c, out, 1 + expect % 29);
		for (i = 0; i < n; i++) {
			if (out[i].buf != expect || out[i].hash != ~expect ||
			    out[i].len != (uint16_t)(expect * 7))
				bad++;
			expect++;
		}
	}
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
	assert_int_equal(expect, STRESS_N);
	assert_int_equal(rp->p.corrupt + rp->c.corrupt, 0);
	pair_free(rp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_then_full),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_untrusted_indexes),
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_two_thread_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
