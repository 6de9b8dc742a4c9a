/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lpm — nl_lpm against hand-worked cases (overlaps added in both
 * orders, /0, /32, the /24 | /25 boundary where tbl24 hands over to tbl8,
 * group exhaustion and reuse) and against references written in this file:
 * a linear scan over the live prefixes, and for 100k prefixes a per-length
 * sorted array searched from /32 down to /0.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nl_lpm.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Next hop of @ip, or -1 on a miss (checked against the burst lookup too). */
static int
lk(const struct nl_lpm *lpm, uint32_t ip)
{
	uint16_t nh = 0, bnh = 0;
	uint64_t mask = 0;
	int rc = nl_lpm_lookup(lpm, ip, &nh);

	assert_true(rc == 0 || rc == -ENOENT);
	assert_int_equal(nl_lpm_lookup_burst(lpm, &ip, &bnh, 1, &mask), rc == 0);
	assert_int_equal(mask, rc == 0);
	if (rc == 0)
		assert_int_equal(bnh, nh);
	return rc == 0 ? nh : -1;
}

static uint32_t
mask_of(unsigned int depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

static uint32_t
rnd32(void)
{
	return (uint32_t)rand() << 16 ^ (uint32_t)rand();
}

static void
test_empty_and_errors(void **st)
{
	struct nl_lpm *lpm = nl_lpm_create(8);
	uint16_t nh;

	(void)st;
	assert_non_null(lpm);
	assert_int_equal(lk(lpm, IP(10, 0, 0, 1)), -1);
	assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 0, 0), 33, 1), -EINVAL);
	assert_int_equal(nl_lpm_del(lpm, IP(10, 0, 0, 0), 33), -EINVAL);
	assert_int_equal(nl_lpm_del(lpm, IP(10, 0, 0, 0), 8), -ENOENT);
	/* Host bits are ignored: 10.1.2.3/8 is 10.0.0.0/8. */
	assert_int_equal(nl_lpm_add(lpm, IP(10, 1, 2, 3), 8, 5), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 0, 0), 8, 6), -EEXIST);
	assert_int_equal(nl_lpm_rule_get(lpm, IP(10, 9, 9, 9), 8, &nh), 0);
	assert_int_equal(nh, 5);
	assert_int_equal(nl_lpm_rule_get(lpm, IP(10, 0, 0, 0), 9, &nh), -ENOENT);
	assert_int_equal(lk(lpm, IP(10, 255, 255, 255)), 5);
	assert_int_equal(lk(lpm, IP(11, 0, 0, 0)), -1);
	assert_int_equal(lk(lpm, IP(9, 255, 255, 255)), -1);
	assert_int_equal(nl_lpm_count(lpm), 1);
	assert_int_equal(nl_lpm_del(lpm, IP(10, 0, 0, 0), 8), 0);
	assert_int_equal(nl_lpm_count(lpm), 0);
	assert_int_equal(lk(lpm, IP(10, 1, 2, 3)), -1);
	nl_lpm_free(lpm);

	errno = 0;
	assert_null(nl_lpm_create(NL_LPM_MAX_TBL8 + 1));
	assert_int_equal(errno, EINVAL);
	nl_lpm_free(NULL);
}

/* A shorter prefix never overwrites a longer one, whatever the order. */
static void
test_overlap_any_order(void **st)
{
	int order;

	(void)st;
	for (order = 0; order < 2; order++) {
		struct nl_lpm *lpm = nl_lpm_create(8);

		assert_non_null(lpm);
		if (order == 0) {
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 2, 0), 24, 2), 0);
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 2, 7), 32, 3), 0);
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 0, 0), 16, 4), 0);
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 0, 0), 8, 1), 0);
		} else {
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 0, 0), 8, 1), 0);
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 0, 0), 16, 4), 0);
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 2, 7), 32, 3), 0);
			assert_int_equal(nl_lpm_add(lpm, IP(10, 0, 2, 0), 24, 2), 0);
		}
		assert_int_equal(lk(lpm, IP(10, 0, 2, 7)), 3);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 6)), 2);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 8)), 2);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 255)), 2);
		assert_int_equal(lk(lpm, IP(10, 0, 3, 0)), 4);
		assert_int_equal(lk(lpm, IP(10, 0, 1, 255)), 4);
		assert_int_equal(lk(lpm, IP(10, 1, 0, 0)), 1);
		assert_int_equal(lk(lpm, IP(11, 0, 2, 7)), -1);

		/* Deleting uncovers the next longest prefix underneath. */
		assert_int_equal(nl_lpm_del(lpm, IP(10, 0, 2, 0), 24), 0);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 7)), 3);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 6)), 4);
		assert_int_equal(nl_lpm_del(lpm, IP(10, 0, 0, 0), 16), 0);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 6)), 1);
		assert_int_equal(nl_lpm_del(lpm, IP(10, 0, 2, 7), 32), 0);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 7)), 1);
		assert_int_equal(nl_lpm_del(lpm, IP(10, 0, 0, 0), 8), 0);
		assert_int_equal(lk(lpm, IP(10, 0, 2, 7)), -1);
		nl_lpm_free(lpm);
	}
}

static void
test_default_route(void **st)
{
	struct nl_lpm *lpm = nl_lpm_create(4);

	(void)st;
	assert_non_null(lpm);
	assert_int_equal(nl_lpm_add(lpm, IP(255, 255, 255, 255), 32, 7), 0);
	assert_int_equal(nl_lpm_add(lpm, 0, 0, 9), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(1, 2, 3, 4), 0, 9), -EEXIST);
	assert_int_equal(lk(lpm, 0), 9);
	assert_int_equal(lk(lpm, IP(127, 0, 0, 1)), 9);
	assert_int_equal(lk(lpm, IP(255, 255, 255, 254)), 9);
	assert_int_equal(lk(lpm, IP(255, 255, 255, 255)), 7);
	assert_int_equal(nl_lpm_add(lpm, IP(128, 0, 0, 0), 1, 5), 0);
	assert_int_equal(lk(lpm, IP(127, 255, 255, 255)), 9);
	assert_int_equal(lk(lpm, IP(128, 0, 0, 0)), 5);
	assert_int_equal(lk(lpm, IP(255, 255, 255, 254)), 5);
	assert_int_equal(nl_lpm_del(lpm, 0, 0), 0);
	assert_int_equal(lk(lpm, IP(127, 255, 255, 255)), -1);
	assert_int_equal(lk(lpm, IP(200, 0, 0, 0)), 5);
	assert_int_equal(lk(lpm, IP(255, 255, 255, 255)), 7);
	nl_lpm_free(lpm);
}

/* A next hop replaced in place, at every length: each prefix's own addresses
 * change, those of the longer and shorter prefixes around it do not. */
static void
test_replace(void **st)
{
	struct nl_lpm *lpm = nl_lpm_create(4);
	unsigned int d;

	(void)st;
	assert_non_null(lpm);
	assert_int_equal(nl_lpm_replace(lpm, 0, 0, 1), -ENOENT);
	assert_int_equal(nl_lpm_replace(lpm, 0, 33, 1), -EINVAL);
	for (d = 0; d <= 32; d++)
		assert_int_equal(nl_lpm_add(lpm, IP(10, 1, 2, 255) & mask_of(d), (uint8_t)d,
					    (uint16_t)d), 0);
	for (d = 0; d <= 32; d++) {
		/* host bits are ignored, as by nl_lpm_add() */
		assert_int_equal(nl_lpm_replace(lpm, IP(10, 1, 2, 255), (uint8_t)d,
						(uint16_t)(100 + d)), 0);
		/* an address of the /d that no /(d+1) covers: bit d flipped */
		if (d < 32)
			assert_int_equal(lk(lpm, IP(10, 1, 2, 255) ^ (1u << (31 - d))),
					 (int)(100 + d));
		else
			assert_int_equal(lk(lpm, IP(10, 1, 2, 255)), 132);
		if (d < 32)
			assert_int_equal(lk(lpm, IP(10, 1, 2, 255)), 32);
	}
	assert_int_equal(nl_lpm_count(lpm), 33);
	assert_int_equal(nl_lpm_free_groups(lpm), 3);
	/* Deleting the /32 uncovers the /31 with its new next hop. */
	assert_int_equal(nl_lpm_del(lpm, IP(10, 1, 2, 255), 32), 0);
	assert_int_equal(lk(lpm, IP(10, 1, 2, 255)), 131);
	nl_lpm_free(lpm);
}

static void
test_host_routes(void **st)
{
	struct nl_lpm *lpm = nl_lpm_create(4);

	(void)st;
	assert_non_null(lpm);
	assert_int_equal(nl_lpm_add(lpm, IP(1, 2, 3, 4), 32, 1), 0);
	assert_int_equal(nl_lpm_add(lpm, 0, 32, 2), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(1, 2, 3, 5), 32, 3), 0);
	assert_int_equal(lk(lpm, IP(1, 2, 3, 3)), -1);
	assert_int_equal(lk(lpm, IP(1, 2, 3, 4)), 1);
	assert_int_equal(lk(lpm, IP(1, 2, 3, 5)), 3);
	assert_int_equal(lk(lpm, IP(1, 2, 3, 6)), -1);
	assert_int_equal(lk(lpm, 0), 2);
	assert_int_equal(lk(lpm, 1), -1);
	/* The next hop value is stored whole: 0 and 65535 both work. */
	assert_int_equal(nl_lpm_add(lpm, IP(1, 2, 3, 6), 32, 0), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(1, 2, 3, 7), 32, 65535), 0);
	assert_int_equal(lk(lpm, IP(1, 2, 3, 6)), 0);
	assert_int_equal(lk(lpm, IP(1, 2, 3, 7)), 65535);
	nl_lpm_free(lpm);
}

/* /24 lives in tbl24, /25 in a tbl8 group: check both sides of every edge. */
static void
test_boundary_24_25(void **st)
{
	struct nl_lpm *lpm = nl_lpm_create(1);

	(void)st;
	assert_non_null(lpm);
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 1, 0), 24, 1), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 1, 128), 25, 2), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 2, 0), 23, 3), 0);
	assert_int_equal(lk(lpm, IP(192, 168, 0, 255)), -1);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 0)), 1);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 127)), 1);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 128)), 2);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 255)), 2);
	assert_int_equal(lk(lpm, IP(192, 168, 2, 0)), 3);
	assert_int_equal(lk(lpm, IP(192, 168, 3, 255)), 3);
	assert_int_equal(lk(lpm, IP(192, 168, 4, 0)), -1);

	/* The only group is taken: a long prefix in another /24 does not fit... */
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 2, 0), 25, 4), -ENOSPC);
	assert_int_equal(lk(lpm, IP(192, 168, 2, 0)), 3); /* ...and changed nothing */
	assert_int_equal(nl_lpm_count(lpm), 3);
	/* ...but one in the same /24 shares the group. */
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 1, 64), 26, 5), 0);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 63)), 1);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 64)), 5);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 127)), 5);
	/* A short prefix added over a group updates the entries inside it. */
	assert_int_equal(nl_lpm_del(lpm, IP(192, 168, 1, 0), 24), 0);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 0)), -1);
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 0, 0), 16, 6), 0);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 0)), 6);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 64)), 5);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 128)), 2);

	/*
	 * Once the /24's last long prefix goes, its group is unlinked, but only
	 * free again after nl_lpm_reclaim() (readers may still be in it).
	 */
	assert_int_equal(nl_lpm_del(lpm, IP(192, 168, 1, 128), 25), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 2, 0), 25, 4), -ENOSPC);
	assert_int_equal(nl_lpm_pending(lpm), 0);
	assert_int_equal(nl_lpm_del(lpm, IP(192, 168, 1, 64), 26), 0);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 200)), 6);
	assert_int_equal(nl_lpm_pending(lpm), 1);
	assert_int_equal(nl_lpm_free_groups(lpm), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 2, 0), 25, 4), -ENOSPC);
	nl_lpm_reclaim(lpm);
	assert_int_equal(nl_lpm_pending(lpm), 0);
	assert_int_equal(nl_lpm_free_groups(lpm), 1);
	assert_int_equal(nl_lpm_add(lpm, IP(192, 168, 2, 0), 25, 4), 0);
	assert_int_equal(lk(lpm, IP(192, 168, 2, 127)), 4);
	assert_int_equal(lk(lpm, IP(192, 168, 2, 128)), 3);
	assert_int_equal(lk(lpm, IP(192, 168, 1, 200)), 6);
	nl_lpm_free(lpm);
}

/* ---- random prefixes against a linear scan ---- */

struct ref_route {
	uint32_t prefix;
	uint8_t depth;
	uint16_t nh;
	uint8_t live;
};

static int
ref_lookup(const struct ref_route *r, unsigned int n, uint32_t ip)
{
	int best = -1, best_depth = -1;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (r[i].live && (ip & mask_of(r[i].depth)) == r[i].prefix &&
		    r[i].depth > best_depth) {
			best = r[i].nh;
			best_depth = r[i].depth;
		}
	}
	return best;
}

/* A random prefix inside 10.0.0.0/14 (so prefixes overlap a lot), any length. */
static void
random_route(struct ref_route *r)
{
	static const uint8_t depths[] = { 0, 4, 8, 12, 14, 15, 16, 18, 20, 22, 23, 24, 24, 24,
					  25, 26, 27, 28, 29, 30, 31, 32, 32 };
	uint8_t d = depths[rand() % sizeof(depths)];

	if (d > 14 && rand() % 2)
		d = (uint8_t)(14 + rand() % 19); /* and anything in between */
	r->depth = d;
	r->prefix = (IP(10, 0, 0, 0) | (rnd32() & 0x3ffff)) & mask_of(d);
	r->nh = (uint16_t)rnd32();
	r->live = 1;
}

/* Addresses worth asking: random ones nearby, and both edges of every prefix. */
static void
check_all(const struct nl_lpm *lpm, const struct ref_route *r, unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i < 20000; i++) {
		uint32_t ip = IP(10, 0, 0, 0) | (rnd32() & 0x7ffff);

		if (lk(lpm, ip) != ref_lookup(r, n, ip))
			fail_msg("random address %08x", ip);
	}
	for (i = 0; i < n; i++) {
		uint32_t lo = r[i].prefix, hi = r[i].prefix | ~mask_of(r[i].depth);
		uint32_t probe[4] = { lo, hi, lo - 1, hi + 1 };

		for (k = 0; k < 4; k++)
			if (lk(lpm, probe[k]) != ref_lookup(r, n, probe[k]))
				fail_msg("edge address %08x of %08x/%u", probe[k], r[i].prefix,
					 r[i].depth);
	}
}

static void
test_random_vs_linear_scan(void **st)
{
	enum { N = 1500 };
	struct ref_route *r = calloc(N, sizeof(*r));
	struct nl_lpm *lpm = nl_lpm_create(2048);
	unsigned int i, j, live = 0;
	uint16_t nh;
	int rc;

	(void)st;
	assert_non_null(r);
	assert_non_null(lpm);
	srand(1234);
	for (i = 0; i < N; i++) {
		random_route(&r[i]);
		for (j = 0; j < i; j++)
			if (r[j].live && r[j].prefix == r[i].prefix && r[j].depth == r[i].depth)
				break;
		rc = nl_lpm_add(lpm, r[i].prefix, r[i].depth, r[i].nh);
		if (j < i) {
			assert_int_equal(rc, -EEXIST);
			r[i].live = 0;
		} else {
			assert_int_equal(rc, 0);
			live++;
		}
	}
	assert_int_equal(nl_lpm_count(lpm), live);
	check_all(lpm, r, N);

	/* Delete a random half and put some back with new next hops, in random order. */
	for (i = 0; i < N; i++) {
		j = (unsigned int)rand() % N;
		if (!r[j].live)
			continue;
		assert_int_equal(nl_lpm_del(lpm, r[j].prefix, r[j].depth), 0);
		assert_int_equal(nl_lpm_del(lpm, r[j].prefix, r[j].depth), -ENOENT);
		nl_lpm_reclaim(lpm);
		r[j].live = 0;
		if (rand() % 4 == 0) {
			r[j].nh = (uint16_t)rnd32();
			assert_int_equal(nl_lpm_add(lpm, r[j].prefix, r[j].depth, r[j].nh), 0);
			r[j].live = 1;
		}
	}
	for (i = 0, live = 0; i < N; i++) {
		live += r[i].live;
		if (r[i].live) {
			assert_int_equal(nl_lpm_rule_get(lpm, r[i].prefix, r[i].depth, &nh), 0);
			assert_int_equal(nh, r[i].nh);
		}
	}
	assert_int_equal(nl_lpm_count(lpm), live);
	check_all(lpm, r, N);

	/* Delete everything: all misses, and every group is back (2048 fit again). */
	for (i = 0; i < N; i++)
		if (r[i].live)
			assert_int_equal(nl_lpm_del(lpm, r[i].prefix, r[i].depth), 0);
	nl_lpm_reclaim(lpm);
	memset(r, 0, N * sizeof(*r));
	check_all(lpm, r, N);
	for (i = 0; i < 2048; i++)
		assert_int_equal(nl_lpm_add(lpm, IP(20, 0, 0, 1) + (i << 8), 32, (uint16_t)i), 0);
	assert_int_equal(nl_lpm_add(lpm, IP(21, 0, 0, 1), 32, 1), -ENOSPC);
	for (i = 0; i < 2048; i++)
		assert_int_equal(lk(lpm, IP(20, 0, 0, 1) + (i << 8)), (int)i);
	nl_lpm_free(lpm);
	free(r);
}

/* ---- 100k prefixes against per-length sorted arrays ---- */

struct bylen {
	uint32_t *prefix[33];
	uint16_t *nh[33];
	unsigned int n[33];
};

static int
cmp_pair(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

static int
bylen_lookup(const struct bylen *t, uint32_t ip)
{
	int d;

	for (d = 32; d >= 0; d--) {
		uint32_t key = ip & mask_of((unsigned int)d);
		unsigned int lo = 0, hi = t->n[d];

		while (lo < hi) {
			unsigned int mid = (lo + hi) / 2;

			if (t->prefix[d][mid] < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < t->n[d] && t->prefix[d][lo] == key)
			return t->nh[d][lo];
	}
	return -1;
}

static void
test_100k_routes(void **st)
{
	enum { N = 100000, Q = 300000 };
	uint32_t(*pairs)[2] = calloc(N, sizeof(*pairs)); /* prefix, nh */
	uint8_t *depth = calloc(N, 1);
	struct bylen t = { 0 };
	struct nl_lpm *lpm = nl_lpm_create(16384);
	uint32_t ips[NL_LPM_BURST_MAX];
	uint16_t nhs[NL_LPM_BURST_MAX];
	unsigned int i, d, k, added = 0;
	uint64_t hit;
	int rc;

	(void)st;
	assert_non_null(pairs);
	assert_non_null(depth);
	assert_non_null(lpm);
	srand(99);
	for (d = 0; d <= 32; d++) {
		t.prefix[d] = calloc(N, sizeof(uint32_t));
		t.nh[d] = calloc(N, sizeof(uint16_t));
		assert_non_null(t.prefix[d]);
		assert_non_null(t.nh[d]);
	}
	/* Internet-like lengths: mostly /24, /16-/23, some /8-/15 and /25-/32. */
	for (i = 0; i < N; i++) {
		unsigned int p = (unsigned int)rand() % 100;

		d = p < 55 ? 24 : p < 85 ? 16 + (unsigned int)rand() % 8 :
		    p < 90 ? 8 + (unsigned int)rand() % 8 : 25 + (unsigned int)rand() % 8;
		depth[i] = (uint8_t)d;
		pairs[i][0] = rnd32() & mask_of(d);
		pairs[i][1] = (uint16_t)rnd32();
		rc = nl_lpm_add(lpm, pairs[i][0], (uint8_t)d, (uint16_t)pairs[i][1]);
		assert_true(rc == 0 || rc == -EEXIST);
		if (rc == 0) {
			t.prefix[d][t.n[d]] = pairs[i][0];
			t.nh[d][t.n[d]++] = (uint16_t)pairs[i][1];
			added++;
		}
	}
	assert_int_equal(nl_lpm_count(lpm), added);
	for (d = 0; d <= 32; d++) {
		uint32_t(*tmp)[2] = calloc(t.n[d] + 1, sizeof(*tmp));

		assert_non_null(tmp);
		for (i = 0; i < t.n[d]; i++) {
			tmp[i][0] = t.prefix[d][i];
			tmp[i][1] = t.nh[d][i];
		}
		qsort(tmp, t.n[d], sizeof(*tmp), cmp_pair);
		for (i = 0; i < t.n[d]; i++) {
			t.prefix[d][i] = tmp[i][0];
			t.nh[d][i] = (uint16_t)tmp[i][1];
		}
		free(tmp);
	}
	/* Half the queries inside a known prefix, half anywhere; in bursts of 64. */
	for (i = 0; i < Q; i += NL_LPM_BURST_MAX) {
		for (k = 0; k < NL_LPM_BURST_MAX; k++) {
			unsigned int j = (unsigned int)rand() % N;

			if (rand() % 2)
				ips[k] = pairs[j][0] | (rnd32() & ~mask_of(depth[j]));
			else
				ips[k] = rnd32();
		}
		rc = nl_lpm_lookup_burst(lpm, ips, nhs, NL_LPM_BURST_MAX, &hit);
		assert_true(rc >= 0);
		assert_int_equal(rc, __builtin_popcountll(hit));
		for (k = 0; k < NL_LPM_BURST_MAX; k++) {
			int want = bylen_lookup(&t, ips[k]);

			if ((hit >> k & 1) != (want >= 0) || (want >= 0 && nhs[k] != want))
				fail_msg("%08x: lpm %s %u, reference %d", ips[k],
					 (hit >> k & 1) ? "hit" : "miss", nhs[k], want);
		}
	}
	assert_int_equal(nl_lpm_lookup_burst(lpm, ips, nhs, NL_LPM_BURST_MAX + 1, &hit), -EINVAL);
	assert_int_equal(nl_lpm_lookup_burst(lpm, ips, nhs, 0, &hit), 0);
	assert_int_equal(hit, 0);
	for (d = 0; d <= 32; d++) {
		free(t.prefix[d]);
		free(t.nh[d]);
	}
	nl_lpm_free(lpm);
	free(pairs);
	free(depth);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_errors),
		cmocka_unit_test(test_overlap_any_order),
		cmocka_unit_test(test_default_route),
		cmocka_unit_test(test_host_routes),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_boundary_24_25),
		cmocka_unit_test(test_random_vs_linear_scan),
		cmocka_unit_test(test_100k_routes),
	};

	return cmocka_run_group_tests_name("lpm", tests, NULL, NULL);
}
