/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lpm6 — nl_lpm6, the IPv6 longest-prefix match: hand-picked prefixes
 * at every level boundary (/0, /16, /17, /24, /25, /48, /64, /127, /128);
 * errors and group accounting; random adds and dels checked after every
 * change against a linear longest-prefix scan kept in this file; and
 * lookups from a second thread while the table changes, which must always
 * answer a route that covers the address (a group reused too early, or
 * linked before it was filled, would answer another one).
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
#include <arpa/inet.h>

#include <cmocka.h>

#include "nl_lpm6.h"

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

/* @s as 16 bytes; the test's own addresses are always valid. */
static void
addr(const char *s, uint8_t a[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* Whether the first @depth bits of @a and @b agree, bit by bit. */
static int
same_bits(const uint8_t *a, const uint8_t *b, unsigned int depth)
{
	unsigned int i;

	for (i = 0; i < depth; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

/* ---- hand-picked prefixes ---- */

static const struct {
	const char *prefix;
	uint8_t depth;
	uint16_t nh;
} fixed[] = {
	/* No host bits: 2001:db8:: is 20 01 0d b8 ... */
	{ "::", 0, 1 },
	{ "2001::", 16, 2 },
	{ "2001::", 17, 3 },        /* 2001:0000 - 2001:7fff */
	{ "2001:d00::", 24, 4 },    /* 20 01 0d */
	{ "2001:d80::", 25, 5 },    /* 20 01 0d 80-ff */
	{ "2001:db8:1::", 48, 6 },
	{ "2001:db8:1:2::", 64, 7 },
	{ "2001:db8:1:2::10", 127, 8 },
	{ "2001:db8:1:2::11", 128, 9 },
	{ "fe80::", 10, 10 },
};

static const struct {
	const char *ip;
	uint8_t depth;
	uint16_t nh;
} probes[] = {
	{ "2001:db8:1:2::11", 128, 9 },   { "2001:db8:1:2::10", 127, 8 },
	{ "2001:db8:1:2::12", 64, 7 },    { "2001:db8:1:3::1", 48, 6 },
	{ "2001:db8:2::1", 25, 5 },       { "2001:d00::1", 24, 4 },
	{ "2001:d7f:ffff::", 24, 4 },     { "2001:c00::1", 17, 3 },
	{ "2001:7fff::", 17, 3 },         { "2001:8000::1", 16, 2 },
	{ "2001:ffff::", 16, 2 },         { "2002::1", 0, 1 },
	{ "febf:ffff::1", 10, 10 },       { "fec0::1", 0, 1 },
	{ "::1", 0, 1 },
};

static void
test_fixed(void **st)
{
	struct nl_lpm6 *lpm = nl_lpm6_create(64);
	uint8_t a[16], depth;
	uint16_t nh;
	size_t i;

	(void)st;
	assert_non_null(lpm);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		addr(fixed[i].prefix, a);
		assert_int_equal(nl_lpm6_add(lpm, a, fixed[i].depth, fixed[i].nh), 0);
	}
	assert_int_equal(nl_lpm6_count(lpm), sizeof(fixed) / sizeof(fixed[0]));
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		addr(probes[i].ip, a);
		depth = 0;
		nh = 0;
		assert_int_equal(nl_lpm6_match(lpm, a, &depth, &nh), 0);
		if (depth != probes[i].depth || nh != probes[i].nh)
			fail_msg("%s: matched /%u nh %u, want /%u nh %u", probes[i].ip, depth, nh,
				 probes[i].depth, probes[i].nh);
	}
	/* Deleting the /0 leaves a hole, not a stale entry. */
	addr("::", a);
	assert_int_equal(nl_lpm6_del(lpm, a, 0), 0);
	addr("2002::1", a);
	nh = 77;
	assert_int_equal(nl_lpm6_lookup(lpm, a, &nh), -ENOENT);
	assert_int_equal(nh, 77);
	/* Deleting the /24 uncovers the /17 below it, not the /16. */
	addr("2001:d00::", a);
	assert_int_equal(nl_lpm6_del(lpm, a, 24), 0);
	addr("2001:d00::1", a);
	assert_int_equal(nl_lpm6_match(lpm, a, &depth, &nh), 0);
	assert_int_equal(depth, 17);
	assert_int_equal(nh, 3);
	nl_lpm6_free(lpm);
}

/* A next hop replaced in place, at every length /0-/128: each prefix's own
 * addresses change, those of the prefixes around it do not, no group moves. */
static void
test_replace(void **st)
{
	struct nl_lpm6 *lpm = nl_lpm6_create(64);
	uint8_t a[16], p[16], q[16], depth;
	unsigned int d;
	uint16_t nh;

	(void)st;
	assert_non_null(lpm);
	addr("2001:db8:1:2:3:4:5:ffff", a);
	assert_int_equal(nl_lpm6_replace(lpm, a, 0, 1), -ENOENT);
	assert_int_equal(nl_lpm6_replace(lpm, a, 129, 1), -EINVAL);
	for (d = 0; d <= 128; d++) {
		nl_lpm6_mask(p, a, (uint8_t)d);
		assert_int_equal(nl_lpm6_add(lpm, p, (uint8_t)d, (uint16_t)d), 0);
	}
	assert_int_equal(nl_lpm6_free_groups(lpm), 64 - 14);
	for (d = 0; d <= 128; d++) {
		assert_int_equal(nl_lpm6_replace(lpm, a, (uint8_t)d, (uint16_t)(1000 + d)), 0);
		/* an address of the /d that no /(d+1) covers: bit d flipped */
		memcpy(q, a, 16);
		if (d < 128)
			q[d / 8] ^= (uint8_t)(0x80u >> (d % 8));
		assert_int_equal(nl_lpm6_match(lpm, q, &depth, &nh), 0);
		assert_int_equal(depth, d);
		assert_int_equal(nh, 1000 + d);
		assert_int_equal(nl_lpm6_rule_get(lpm, a, (uint8_t)d, &nh), 0);
		assert_int_equal(nh, 1000 + d);
		if (d < 128) {
			assert_int_equal(nl_lpm6_lookup(lpm, a, &nh), 0);
			assert_int_equal(nh, 128);
		}
	}
	assert_int_equal(nl_lpm6_count(lpm), 129);
	assert_int_equal(nl_lpm6_free_groups(lpm), 64 - 14);
	/* Deleting the /128 uncovers the /127 with its new next hop. */
	assert_int_equal(nl_lpm6_del(lpm, a, 128), 0);
	assert_int_equal(nl_lpm6_lookup(lpm, a, &nh), 0);
	assert_int_equal(nh, 1127);
	nl_lpm6_free(lpm);
}

static void
test_errors_and_groups(void **st)
{
	struct nl_lpm6 *lpm = nl_lpm6_create(14);
	uint8_t a[16], b[16];
	uint16_t nh = 0;

	(void)st;
	assert_non_null(lpm);
	addr("2001:db8::1", a);
	assert_int_equal(nl_lpm6_add(lpm, a, 129, 1), -EINVAL);
	assert_int_equal(nl_lpm6_del(lpm, a, 129), -EINVAL);
	assert_int_equal(nl_lpm6_rule_get(lpm, a, 129, &nh), -EINVAL);
	assert_int_equal(nl_lpm6_del(lpm, a, 64), -ENOENT);
	/* A /128 needs the 14 groups of bytes 2..15; host bits are ignored on add. */
	assert_int_equal(nl_lpm6_add(lpm, a, 128, 1), 0);
	assert_int_equal(nl_lpm6_free_groups(lpm), 0);
	assert_int_equal(nl_lpm6_add(lpm, a, 128, 2), -EEXIST);
	assert_int_equal(nl_lpm6_rule_get(lpm, a, 128, &nh), 0);
	assert_int_equal(nh, 1);
	addr("2002::", b); /* its own groups for bytes 2 and 3 */
	assert_int_equal(nl_lpm6_add(lpm, b, 32, 3), -ENOSPC);
	assert_int_equal(nl_lpm6_count(lpm), 1); /* refused: unchanged */
	assert_int_equal(nl_lpm6_lookup(lpm, b, &nh), -ENOENT);
	/* A /48 on the /128's path needs no group of its own. */
	addr("2001:db8::", b);
	assert_int_equal(nl_lpm6_add(lpm, b, 48, 4), 0);
	assert_int_equal(nl_lpm6_del(lpm, a, 128), 0);
	/* The groups below byte 5 go; those the /48 lives in (bytes 2..5) stay. */
	assert_int_equal(nl_lpm6_pending(lpm), 10);
	assert_int_equal(nl_lpm6_lookup(lpm, a, &nh), 0);
	assert_int_equal(nh, 4);
	nl_lpm6_reclaim(lpm);
	assert_int_equal(nl_lpm6_free_groups(lpm), 10);
	assert_int_equal(nl_lpm6_del(lpm, b, 48), 0);
	nl_lpm6_reclaim(lpm);
	assert_int_equal(nl_lpm6_free_groups(lpm), 14);
	assert_int_equal(nl_lpm6_count(lpm), 0);
	nl_lpm6_free(lpm);
	errno = 0;
	assert_null(nl_lpm6_create(NL_LPM6_MAX_GROUPS + 1));
	assert_int_equal(errno, EINVAL);
}

/* ---- random changes against a linear scan ---- */

#define REF_MAX 4096

struct ref {
	uint8_t prefix[REF_MAX][16];
	uint8_t depth[REF_MAX];
	uint16_t nh[REF_MAX];
	unsigned int n;
};

/* Longest match of @ip in @r by looking at every route: its index, or -1. */
static int
ref_match(const struct ref *r, const uint8_t ip[16])
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (same_bits(ip, r->prefix[i], r->depth[i]) &&
		    (best < 0 || r->depth[i] > r->depth[best]))
			best = (int)i;
	return best;
}

static int
ref_find(const struct ref *r, const uint8_t prefix[16], uint8_t depth)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->depth[i] == depth && memcmp(r->prefix[i], prefix, 16) == 0)
			return (int)i;
	return -1;
}

/* @ip looked up three ways (single, burst, match) must agree with @r. */
static void
check_ip(const struct nl_lpm6 *lpm, const struct ref *r, const uint8_t ip[16])
{
	int want = ref_match(r, ip), rc;
	uint16_t nh = 0, bnh = 0;
	uint8_t depth = 0;
	uint64_t hit = 0;
	char s[INET6_ADDRSTRLEN];

	rc = nl_lpm6_match(lpm, ip, &depth, &nh);
	if ((rc == 0) != (want >= 0) || (want >= 0 && (nh != r->nh[want] ||
						       depth != r->depth[want])))
		fail_msg("%s: match rc %d /%u nh %u, linear scan %s /%u nh %u",
			 inet_ntop(AF_INET6, ip, s, sizeof(s)), rc, depth, nh,
			 want >= 0 ? "hit" : "miss", want >= 0 ? r->depth[want] : 0,
			 want >= 0 ? r->nh[want] : 0);
	rc = nl_lpm6_lookup(lpm, ip, &nh);
	assert_int_equal(rc, want >= 0 ? 0 : -ENOENT);
	assert_int_equal(nl_lpm6_lookup_burst(lpm, (const uint8_t(*)[16])ip, &bnh, 1, &hit),
			 want >= 0);
	assert_int_equal(hit, want >= 0);
	if (want >= 0)
		assert_int_equal(bnh, r->nh[want]);
}

/*
 * A random prefix under 2001:db8::/32 (so that many overlap), with bits that
 * vary only here and there (so that deep ones share paths), of any length
 * from 0 to 128, weighted towards the usual ones.
 */
static void
random_prefix(uint8_t p[16], uint8_t *depth)
{
	static const uint8_t lengths[] = { 0, 8, 16, 17, 20, 24, 28, 32, 33, 36, 40, 44, 47, 48,
					   48, 48, 52, 56, 60, 64, 64, 64, 72, 80, 96, 112, 120,
					   126, 127, 128, 128 };
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	unsigned int i;

	for (i = 4; i < 16; i++)
		a[i] = (uint8_t)(rnd32() % 4 == 0 ? rnd32() & 0x0f : 0);
	if (rnd32() % 16 == 0)
		a[2] = (uint8_t)rnd32(); /* sometimes off the /32 */
	*depth = lengths[rnd32() % sizeof(lengths)];
	nl_lpm6_mask(p, a, *depth);
}

/* Addresses a change of @p/@depth can affect: its first, its last, some inside, a neighbour. */
static void
check_around(const struct nl_lpm6 *lpm, const struct ref *r, const uint8_t p[16],
	     uint8_t depth)
{
	uint8_t a[16];
	unsigned int i, k;

	check_ip(lpm, r, p);
	for (k = 0; k < 8; k++) {
		memcpy(a, p, 16);
		for (i = depth; i < 128; i++) /* random host bits, or all ones when k == 0 */
			if (k == 0 || (rnd32() & 1))
				a[i / 8] |= (uint8_t)(0x80u >> (i % 8));
		check_ip(lpm, r, a);
	}
	if (depth > 0) { /* the same address with the prefix's last bit flipped */
		memcpy(a, p, 16);
		a[(depth - 1) / 8] ^= (uint8_t)(0x80u >> ((depth - 1) % 8));
		check_ip(lpm, r, a);
	}
}

static void
test_updates_vs_linear_scan(void **st)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct nl_lpm6 *lpm = nl_lpm6_create(8192);
	unsigned int step, i, dels = 0, adds = 0;
	uint8_t p[16], depth, a[16];
	uint16_t nh;
	int at;

	(void)st;
	assert_non_null(r);
	assert_non_null(lpm);
	for (step = 0; step < 6000; step++) {
		if (r->n > 0 && rnd32() % 100 < (r->n < 1000 ? 25u : 55u)) {
			i = rnd32() % r->n;
			memcpy(p, r->prefix[i], 16);
			depth = r->depth[i];
			assert_int_equal(nl_lpm6_del(lpm, p, depth), 0);
			assert_int_equal(nl_lpm6_del(lpm, p, depth), -ENOENT);
			r->n--;
			memcpy(r->prefix[i], r->prefix[r->n], 16);
			r->depth[i] = r->depth[r->n];
			r->nh[i] = r->nh[r->n];
			nl_lpm6_reclaim(lpm);
			dels++;
		} else {
			random_prefix(p, &depth);
			nh = (uint16_t)rnd32();
			at = ref_find(r, p, depth);
			if (at >= 0) {
				assert_int_equal(nl_lpm6_add(lpm, p, depth, nh), -EEXIST);
				assert_int_equal(nl_lpm6_rule_get(lpm, p, depth, &nh), 0);
				assert_int_equal(nh, r->nh[at]);
			} else {
				assert_int_equal(nl_lpm6_add(lpm, p, depth, nh), 0);
				memcpy(r->prefix[r->n], p, 16);
				r->depth[r->n] = depth;
				r->nh[r->n++] = nh;
				adds++;
			}
		}
		assert_int_equal(nl_lpm6_count(lpm), r->n);
		check_around(lpm, r, p, depth);
		if (step % 500 == 0)
			for (i = 0; i < 1000; i++) {
				random_prefix(a, &depth);
				check_ip(lpm, r, a);
			}
	}
	print_message("%u adds, %u dels\n", adds, dels);
	assert_true(adds > 1500 && dels > 1000);
	/* Everything deleted: every group is free again. */
	while (r->n > 0) {
		r->n--;
		assert_int_equal(nl_lpm6_del(lpm, r->prefix[r->n], r->depth[r->n]), 0);
	}
	nl_lpm6_reclaim(lpm);
	assert_int_equal(nl_lpm6_free_groups(lpm), 8192);
	nl_lpm6_free(lpm);
	free(r);
}

/* ---- the walk ---- */

static int
walk_one(const uint8_t prefix[16], uint8_t depth, uint16_t nh, void *arg)
{
	unsigned int *seen = arg;
	uint8_t a[16];
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		addr(fixed[i].prefix, a);
		if (fixed[i].depth == depth && fixed[i].nh == nh && memcmp(a, prefix, 16) == 0)
			*seen |= 1u << i;
	}
	return 0;
}

static void
test_foreach(void **st)
{
	struct nl_lpm6 *lpm = nl_lpm6_create(64);
	unsigned int seen = 0;
	uint8_t a[16];
	size_t i;

	(void)st;
	assert_non_null(lpm);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		addr(fixed[i].prefix, a);
		assert_int_equal(nl_lpm6_add(lpm, a, fixed[i].depth, fixed[i].nh), 0);
	}
	assert_int_equal(nl_lpm6_foreach(lpm, walk_one, &seen), 0);
	assert_int_equal(seen, (1u << (sizeof(fixed) / sizeof(fixed[0]))) - 1);
	nl_lpm6_free(lpm);
}

/* ---- lookups from another thread during changes ---- */

#define BLOCKS 16u /* /48s 2001:db8:0:B::/64, B < BLOCKS, each with its own next hops */

struct live {
	struct nl_lpm6 *lpm;
	uint64_t seq;
	int stop;
	uint64_t lookups, wrong;
};

/* Block B answers only 1000 + B (its /64) or 2000 + B (a longer prefix in it). */
static void *
reader(void *arg)
{
	struct live *l = arg;
	uint8_t ips[NL_LPM6_BURST_MAX][16];
	uint16_t nhs[NL_LPM6_BURST_MAX];
	uint32_t s = 12345;
	uint64_t hit;
	unsigned int k, b;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		for (k = 0; k < NL_LPM6_BURST_MAX; k++) {
			s = s * 1103515245u + 12345u;
			memset(ips[k], 0, 16);
			ips[k][0] = 0x20;
			ips[k][1] = 0x01;
			ips[k][2] = 0x0d;
			ips[k][3] = 0xb8;
			ips[k][7] = (uint8_t)((s >> 8) % BLOCKS);
			ips[k][14] = (uint8_t)(s >> 16);
			ips[k][15] = (uint8_t)(s >> 24);
		}
		nl_lpm6_lookup_burst(l->lpm, (const uint8_t(*)[16])ips, nhs, NL_LPM6_BURST_MAX,
				     &hit);
		for (k = 0; k < NL_LPM6_BURST_MAX; k++) {
			b = ips[k][7];
			if (!(hit >> k & 1) || (nhs[k] != 1000 + b && nhs[k] != 2000 + b))
				l->wrong++;
		}
		__atomic_fetch_add(&l->lookups, NL_LPM6_BURST_MAX, __ATOMIC_RELAXED);
		__atomic_store_n(&l->seq, l->seq + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

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
	/* Room for one block's long prefixes at a time: groups reused all the time. */
	struct live l = { .lpm = nl_lpm6_create(16 * 4 + 16) };
	uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8 }, p[16], wide[16] = { 0x20, 0x01 };
	struct timespec t0, t1;
	long ns;
	pthread_t th;
	unsigned int b, k, changes = 0;
	uint8_t depths[4];
	uint8_t prefixes[4][16];

	(void)st;
	assert_non_null(l.lpm);
	for (b = 0; b < BLOCKS; b++) {
		base[7] = (uint8_t)b;
		assert_int_equal(nl_lpm6_add(l.lpm, base, 64, (uint16_t)(1000 + b)), 0);
	}
	assert_int_equal(pthread_create(&th, NULL, reader, &l), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		b = rnd32() % BLOCKS;
		base[7] = (uint8_t)b;
		for (k = 0; k < 4; k++) {
			memcpy(p, base, 16);
			p[14] = (uint8_t)rnd32();
			p[15] = (uint8_t)rnd32();
			depths[k] = (uint8_t)(65 + rnd32() % 64);
			nl_lpm6_mask(prefixes[k], p, depths[k]);
			if (nl_lpm6_add(l.lpm, prefixes[k], depths[k], (uint16_t)(2000 + b)) == 0)
				changes++;
			else
				depths[k] = 0;
		}
		/* A short prefix over everything must not show through. */
		assert_int_equal(nl_lpm6_add(l.lpm, wide, 16, 7), 0);
		assert_int_equal(nl_lpm6_del(l.lpm, wide, 16), 0);
		for (k = 0; k < 4; k++)
			if (depths[k] != 0 && nl_lpm6_del(l.lpm, prefixes[k], depths[k]) == 0)
				changes++;
		assert_true(nl_lpm6_pending(l.lpm) > 0);
		grace_period(&l);
		nl_lpm6_reclaim(l.lpm);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
		/* 1.5 s at least, and until both sides did enough work: a loaded
		 * machine may give either thread little CPU (60 s at most) */
	} while (ns < 60000000000L &&
		 (ns < 1500000000L || changes <= 1000 ||
		  __atomic_load_n(&l.lookups, __ATOMIC_RELAXED) <= 10000));
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	print_message("%u changes, %llu concurrent lookups, %llu wrong\n", changes,
		      (unsigned long long)l.lookups, (unsigned long long)l.wrong);
	if (l.wrong != 0)
		fail_msg("%llu of %llu lookups during changes answered a route that does not "
			 "cover the address", (unsigned long long)l.wrong,
			 (unsigned long long)l.lookups);
	assert_true(changes > 1000 && l.lookups > 10000);
	nl_lpm6_free(l.lpm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_errors_and_groups),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_updates_vs_linear_scan),
		cmocka_unit_test(test_concurrent_readers),
	};

	return cmocka_run_group_tests_name("lpm6", tests, NULL, NULL);
}
