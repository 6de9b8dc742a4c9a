/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lpm_live — nl_lpm changed one prefix at a time, as a running
 * forwarder changes it: after every add and del, lookups (and the matched
 * prefix length) against a brute-force longest-prefix match over the live
 * routes kept in this file; the walk over all prefixes; and lookups from a
 * second thread while the table changes, which must always answer either the
 * old or the new route of an address, never one from another part of the
 * table (a tbl8 group reused too early would give exactly that).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nl_lpm.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static uint32_t
mask_of(unsigned int depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* xorshift64*: the same sequence on every run. */
static uint32_t
rnd32(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* ---- the reference: every live route, searched linearly ---- */

struct ref {
	uint32_t prefix[4096];
	uint8_t depth[4096];
	uint16_t nh[4096];
	unsigned int n;
};

/* Longest match of @ip in @r: its index, or -1. */
static int
ref_match(const struct ref *r, uint32_t ip)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if ((ip & mask_of(r->depth[i])) == r->prefix[i] &&
		    (best < 0 || r->depth[i] > r->depth[best]))
			best = (int)i;
	return best;
}

static int
ref_find(const struct ref *r, uint32_t prefix, uint8_t depth)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->prefix[i] == prefix && r->depth[i] == depth)
			return (int)i;
	return -1;
}

/* @ip looked up three ways (single, burst, match) must agree with @r. */
static void
check_ip(const struct nl_lpm *lpm, const struct ref *r, uint32_t ip)
{
	int want = ref_match(r, ip), rc;
	uint16_t nh = 0, bnh = 0;
	uint8_t depth = 0;
	uint64_t hit = 0;

	rc = nl_lpm_lookup(lpm, ip, &nh);
	if ((rc == 0) != (want >= 0) || (want >= 0 && nh != r->nh[want]))
		fail_msg("%08x: lookup rc %d nh %u, reference %s %u", ip, rc, nh,
			 want >= 0 ? "hit" : "miss", want >= 0 ? r->nh[want] : 0);
	assert_int_equal(nl_lpm_lookup_burst(lpm, &ip, &bnh, 1, &hit), want >= 0);
	assert_int_equal(hit, want >= 0);
	if (want >= 0)
		assert_int_equal(bnh, r->nh[want]);
	rc = nl_lpm_match(lpm, ip, &depth, &nh);
	assert_int_equal(rc, want >= 0 ? 0 : -ENOENT);
	if (want >= 0) {
		assert_int_equal(depth, r->depth[want]);
		assert_int_equal(nh, r->nh[want]);
	}
}

/* A random prefix in 10.0.0.0/13 so that many overlap, of a length 8..32. */
static void
random_prefix(uint32_t *prefix, uint8_t *depth)
{
	static const uint8_t lengths[] = { 8, 12, 13, 14, 16, 16, 18, 20, 21, 22, 22, 23, 23,
					   24, 24, 24, 24, 24, 24, 25, 26, 27, 28, 30, 32 };

	*depth = lengths[rnd32() % sizeof(lengths)];
	*prefix = (IP(10, 0, 0, 0) | (rnd32() & 0x7ffff)) & mask_of(*depth);
}

/* The addresses a change of @prefix/@depth can affect: its edges and inside. */
static void
check_around(const struct nl_lpm *lpm, const struct ref *r, uint32_t prefix, uint8_t depth)
{
	uint32_t hi = prefix | ~mask_of(depth);
	unsigned int k;

	check_ip(lpm, r, prefix);
	check_ip(lpm, r, hi);
	check_ip(lpm, r, prefix - 1);
	check_ip(lpm, r, hi + 1);
	for (k = 0; k < 16; k++)
		check_ip(lpm, r, prefix | (rnd32() & ~mask_of(depth)));
}

static void
test_updates_vs_brute_force(void **st)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct nl_lpm *lpm = nl_lpm_create(512);
	unsigned int step, i, dels = 0, adds = 0;
	uint32_t prefix;
	uint8_t depth;
	uint16_t nh;
	int at;

	(void)st;
	assert_non_null(r);
	assert_non_null(lpm);
	for (step = 0; step < 6000; step++) {
		/* Grow to about 1500 routes, then add and delete about equally. */
		if (r->n > 0 && rnd32() % 100 < (r->n < 1500 ? 25u : 55u)) {
			i = rnd32() % r->n;
			prefix = r->prefix[i];
			depth = r->depth[i];
			assert_int_equal(nl_lpm_del(lpm, prefix, depth), 0);
			assert_int_equal(nl_lpm_del(lpm, prefix, depth), -ENOENT);
			r->n--;
			r->prefix[i] = r->prefix[r->n];
			r->depth[i] = r->depth[r->n];
			r->nh[i] = r->nh[r->n];
			nl_lpm_reclaim(lpm);
			dels++;
		} else {
			random_prefix(&prefix, &depth);
			nh = (uint16_t)rnd32();
			at = ref_find(r, prefix, depth);
			if (at >= 0) {
				assert_int_equal(nl_lpm_add(lpm, prefix, depth, nh), -EEXIST);
				assert_int_equal(nl_lpm_rule_get(lpm, prefix, depth, &nh), 0);
				assert_int_equal(nh, r->nh[at]); /* the refused add changed nothing */
			} else {
				assert_int_equal(nl_lpm_add(lpm, prefix, depth, nh), 0);
				r->prefix[r->n] = prefix;
				r->depth[r->n] = depth;
				r->nh[r->n++] = nh;
				adds++;
			}
		}
		assert_int_equal(nl_lpm_count(lpm), r->n);
		check_around(lpm, r, prefix, depth);
		if (step % 500 == 0)
			for (i = 0; i < 2000; i++)
				check_ip(lpm, r, IP(10, 0, 0, 0) | (rnd32() & 0xfffff));
	}
	assert_true(adds > 2000 && dels > 1000);
	nl_lpm_free(lpm);
	free(r);
}

/* ---- the walk over all prefixes ---- */

struct walk {
	const struct ref *r;
	unsigned int seen;
	int bad;
};

static int
walk_one(uint32_t prefix, uint8_t depth, uint16_t nh, void *arg)
{
	struct walk *w = arg;
	int at = ref_find(w->r, prefix, depth);

	if (at < 0 || w->r->nh[at] != nh)
		w->bad++;
	w->seen++;
	return 0;
}

static int
walk_stop(uint32_t prefix, uint8_t depth, uint16_t nh, void *arg)
{
	(void)prefix;
	(void)depth;
	(void)nh;
	return ++*(int *)arg == 3 ? 42 : 0;
}

static void
test_match_and_foreach(void **st)
{
	static struct ref r = {
		.prefix = { 0, IP(10, 0, 0, 0), IP(10, 1, 0, 0), IP(10, 1, 2, 0), IP(10, 1, 2, 128),
			    IP(10, 1, 2, 200) },
		.depth = { 0, 8, 16, 24, 25, 32 },
		.nh = { 9, 1, 2, 3, 4, 5 },
		.n = 6,
	};
	struct nl_lpm *lpm = nl_lpm_create(4);
	struct walk w = { .r = &r };
	uint16_t nh = 0;
	uint8_t depth = 0;
	unsigned int i;
	int calls = 0;

	(void)st;
	assert_non_null(lpm);
	for (i = 0; i < r.n; i++)
		assert_int_equal(nl_lpm_add(lpm, r.prefix[i], r.depth[i], r.nh[i]), 0);
	assert_int_equal(nl_lpm_match(lpm, IP(10, 1, 2, 200), &depth, &nh), 0);
	assert_int_equal(depth, 32);
	assert_int_equal(nh, 5);
	assert_int_equal(nl_lpm_match(lpm, IP(10, 1, 2, 201), &depth, &nh), 0);
	assert_int_equal(depth, 25);
	assert_int_equal(nh, 4);
	assert_int_equal(nl_lpm_match(lpm, IP(10, 1, 2, 1), &depth, &nh), 0);
	assert_int_equal(depth, 24);
	assert_int_equal(nl_lpm_match(lpm, IP(10, 1, 3, 1), &depth, &nh), 0);
	assert_int_equal(depth, 16);
	assert_int_equal(nl_lpm_match(lpm, IP(10, 2, 3, 1), &depth, &nh), 0);
	assert_int_equal(depth, 8);
	assert_int_equal(nl_lpm_match(lpm, IP(11, 0, 0, 0), &depth, &nh), 0);
	assert_int_equal(depth, 0);
	assert_int_equal(nh, 9);
	assert_int_equal(nl_lpm_foreach(lpm, walk_one, &w), 0);
	assert_int_equal(w.seen, 6);
	assert_int_equal(w.bad, 0);
	assert_int_equal(nl_lpm_foreach(lpm, walk_stop, &calls), 42);
	assert_int_equal(calls, 3);
	assert_int_equal(nl_lpm_del(lpm, 0, 0), 0);
	depth = 77;
	assert_int_equal(nl_lpm_match(lpm, IP(11, 0, 0, 0), &depth, &nh), -ENOENT);
	assert_int_equal(depth, 77); /* nothing stored on a miss */
	nl_lpm_free(lpm);
}

/* ---- lookups from another thread during changes ---- */

#define BLOCKS 32u /* /24s 10.0.B.0, B < BLOCKS, each with its own next hops */

struct live {
	struct nl_lpm *lpm;
	uint64_t seq;   /* reader: lookup rounds finished */
	int stop;
	uint64_t lookups, wrong;
	uint32_t first_wrong;
};

/* Block B answers only 1000 + B (its /24) or 2000 + B (a longer prefix in it). */
static void *
reader(void *arg)
{
	struct live *l = arg;
	uint32_t ips[NL_LPM_BURST_MAX], s = 12345;
	uint16_t nhs[NL_LPM_BURST_MAX];
	uint64_t hit;
	unsigned int k, b;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		for (k = 0; k < NL_LPM_BURST_MAX; k++) {
			s = s * 1103515245u + 12345u;
			ips[k] = IP(10, 0, 0, 0) | ((s >> 8) % (BLOCKS * 256));
		}
		nl_lpm_lookup_burst(l->lpm, ips, nhs, NL_LPM_BURST_MAX, &hit);
		for (k = 0; k < NL_LPM_BURST_MAX; k++) {
			b = (ips[k] >> 8) & 0xff;
			if (!(hit >> k & 1) || (nhs[k] != 1000 + b && nhs[k] != 2000 + b)) {
				if (l->wrong++ == 0)
					l->first_wrong = ips[k];
			}
		}
		__atomic_fetch_add(&l->lookups, NL_LPM_BURST_MAX, __ATOMIC_RELAXED);
		__atomic_store_n(&l->seq, l->seq + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Wait until the reader has begun a new round: what it loads now is current. */
static void
grace_period(struct live *l)
{
	uint64_t seen = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&l->seq, __ATOMIC_ACQUIRE) < seen + 2)
		sched_yield();
}

static void
test_concurrent_readers(void **st)
{
	struct live l = { .lpm = nl_lpm_create(4) }; /* few groups: reused all the time */
	struct timespec t0, t1;
	long ns;
	pthread_t th;
	unsigned int b, k, changes = 0;
	uint32_t base;
	uint8_t depth;

	(void)st;
	assert_non_null(l.lpm);
	for (b = 0; b < BLOCKS; b++)
		assert_int_equal(nl_lpm_add(l.lpm, IP(10, 0, b, 0), 24, (uint16_t)(1000 + b)), 0);
	assert_int_equal(pthread_create(&th, NULL, reader, &l), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		/* A few long prefixes in one block, then gone again: its group is freed. */
		b = rnd32() % BLOCKS;
		base = IP(10, 0, b, 0);
		for (k = 0; k < 4; k++) {
			depth = (uint8_t)(25 + rnd32() % 8);
			(void)nl_lpm_add(l.lpm, (base | (rnd32() & 0xff)) & mask_of(depth), depth,
					 (uint16_t)(2000 + b));
			changes++;
		}
		/* A short prefix over everything must not show through either. */
		assert_int_equal(nl_lpm_add(l.lpm, IP(10, 0, 0, 0), 16, 7), 0);
		assert_int_equal(nl_lpm_del(l.lpm, IP(10, 0, 0, 0), 16), 0);
		for (depth = 25; depth <= 32; depth++)
			for (k = 0; k < 256; k += 1u << (32 - depth))
				if (nl_lpm_del(l.lpm, base | k, depth) == 0)
					changes++;
		assert_int_equal(nl_lpm_pending(l.lpm), 1);
		grace_period(&l);
		nl_lpm_reclaim(l.lpm);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
		/* 1.5 s at least, and until both sides did enough work: a loaded
		 * machine may give either thread little CPU (60 s at most) */
	} while (ns < 60000000000L &&
		 (ns < 1500000000L || changes <= 1000 ||
		  __atomic_load_n(&l.lookups, __ATOMIC_RELAXED) <= 100000));
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	print_message("%u changes, %llu concurrent lookups, %llu wrong\n", changes,
		      (unsigned long long)l.lookups, (unsigned long long)l.wrong);
	if (l.wrong != 0)
		fail_msg("%llu of %llu lookups during changes answered a route that does not "
			 "cover the address (first: %08x)", (unsigned long long)l.wrong,
			 (unsigned long long)l.lookups, l.first_wrong);
	assert_true(changes > 1000 && l.lookups > 100000);
	nl_lpm_free(l.lpm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_and_foreach),
		cmocka_unit_test(test_updates_vs_brute_force),
		cmocka_unit_test(test_concurrent_readers),
	};

	return cmocka_run_group_tests_name("lpm_live", tests, NULL, NULL);
}
