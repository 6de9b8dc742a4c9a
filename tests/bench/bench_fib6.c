/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_fib6.c — bench-fib's IPv6 part: nl_lpm6 (netlib) against rte_lpm6
 * (DPDK) on the same random routes, the prefix lengths of a public IPv6 BGP
 * table (BGP6_SHARE below). Figures, side by side, no assertion on them:
 *
 *   build    create + add each route (median of the trials; rte_lpm6: one)
 *   lookup   bursts of 64, half the addresses inside a route, half anywhere
 *            in 2000::/3; both tables must agree on every address
 *   update   single adds then deletes on the full table, per change
 *
 * Memory: both tables keep 256-entry groups (1 KiB) for the bytes below
 * their first level; a random /48 needs about three or four of its own, so
 * the default route count is kept well below a full IPv6 table (-R).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lpm6.h>
#include <rte_memory.h>

#include "bench_fib6.h"
#include "bench_util.h"
#include "nl_lpm6.h"

#define BURST6 NL_LPM6_BURST_MAX
#define MAX_TRIALS6 32

/*
 * Per 1000 prefixes, by length: a public IPv6 BGP table of about 190 000
 * prefixes (2023): /48 about 47 %, /32 13 %, /44 9 %, /40 6 %, /29 and /36
 * 4 % each, the rest spread from /16 to /47.
 */
static const uint16_t BGP6_SHARE[49] = {
	[16] = 1, [19] = 1, [20] = 2, [22] = 1, [24] = 2, [28] = 8, [29] = 40, [30] = 6,
	[31] = 4, [32] = 130, [33] = 15, [34] = 14, [35] = 8, [36] = 40, [37] = 6, [38] = 8,
	[39] = 6, [40] = 60, [41] = 5, [42] = 10, [43] = 5, [44] = 90, [45] = 8, [46] = 30,
	[47] = 20, [48] = 481,
};

struct route6 {
	uint8_t prefix[16];
	uint8_t depth;
	uint16_t nh;
};

static volatile uint64_t sink6;

/* A random address in 2000::/3. */
static void
random_addr(uint8_t a[16], uint64_t *s)
{
	uint64_t hi = rnd(s), lo = rnd(s);

	memcpy(a, &hi, 8);
	memcpy(a + 8, &lo, 8);
	a[0] = (uint8_t)(0x20 | (a[0] & 0x1f));
}

/* @n random distinct routes with BGP6_SHARE lengths (duplicates drawn again). */
static int
random_routes6(struct route6 *r, uint32_t n, uint64_t *s)
{
	struct nl_lpm6 *seen = nl_lpm6_create(n * 4 + 64); /* the set of prefixes drawn */
	uint32_t total = 0, i = 0, p;
	unsigned int d;
	uint8_t a[16];

	if (seen == NULL)
		return -ENOMEM;
	for (d = 0; d <= 48; d++)
		total += BGP6_SHARE[d];
	while (i < n) {
		p = (uint32_t)(rnd(s) % total);
		for (d = 0; p >= BGP6_SHARE[d]; d++)
			p -= BGP6_SHARE[d];
		random_addr(a, s);
		nl_lpm6_mask(r[i].prefix, a, (uint8_t)d);
		r[i].depth = (uint8_t)d;
		r[i].nh = (uint16_t)(rnd(s) % 4);
		if (nl_lpm6_add(seen, r[i].prefix, r[i].depth, 0) == 0)
			i++;
	}
	nl_lpm6_free(seen);
	return 0;
}

static struct nl_lpm6 *
build_nl6(const struct route6 *r, uint32_t n, uint64_t *cyc)
{
	uint64_t t = rte_rdtsc();
	struct nl_lpm6 *lpm = nl_lpm6_create(n * 4 + 4096);
	uint32_t i;

	for (i = 0; lpm != NULL && i < n; i++)
		if (nl_lpm6_add(lpm, r[i].prefix, r[i].depth, r[i].nh) < 0) {
			fprintf(stderr, "bench-fib: nl_lpm6_add of route %u failed\n", i);
			nl_lpm6_free(lpm);
			return NULL;
		}
	*cyc = rte_rdtsc() - t;
	return lpm;
}

static struct rte_lpm6 *
build_rte6(const struct route6 *r, uint32_t n, uint32_t max_rules, uint64_t *cyc)
{
	struct rte_lpm6_config cfg = { .max_rules = max_rules, .number_tbl8s = n * 4 + 4096 };
	uint64_t t = rte_rdtsc();
	struct rte_lpm6 *lpm = rte_lpm6_create("bench-fib6", SOCKET_ID_ANY, &cfg);
	uint32_t i;

	for (i = 0; lpm != NULL && i < n; i++)
		if (rte_lpm6_add(lpm, r[i].prefix, r[i].depth, r[i].nh) < 0) {
			fprintf(stderr, "bench-fib: rte_lpm6_add of route %u failed\n", i);
			rte_lpm6_free(lpm);
			return NULL;
		}
	*cyc = rte_rdtsc() - t;
	return lpm;
}

/* Half the addresses inside a route of @r, half anywhere in 2000::/3. */
static void
make_ips6(uint8_t (*ips)[16], uint32_t n, const struct route6 *r, uint32_t nr, uint64_t *s)
{
	uint8_t a[16];
	uint32_t i, k, b;

	for (i = 0; i < n; i++) {
		random_addr(ips[i], s);
		if (i & 1)
			continue;
		k = (uint32_t)(rnd(s) % nr);
		memcpy(a, ips[i], 16);
		for (b = 0; b < r[k].depth; b++) { /* the route's bits, random host bits */
			uint8_t bit = (uint8_t)(0x80u >> (b % 8));

			a[b / 8] = (uint8_t)((a[b / 8] & ~bit) | (r[k].prefix[b / 8] & bit));
		}
		memcpy(ips[i], a, 16);
	}
}

static int
compare6(const struct nl_lpm6 *nl, const struct rte_lpm6 *rte, const uint8_t (*ips)[16],
	 uint32_t n)
{
	uint32_t i, bad = 0, rnh;
	uint16_t nh;

	for (i = 0; i < n; i++) {
		int a = nl_lpm6_lookup(nl, ips[i], &nh), b = rte_lpm6_lookup(rte, ips[i], &rnh);

		if ((a == 0) != (b == 0) || (a == 0 && nh != rnh))
			bad++;
	}
	if (bad > 0)
		fprintf(stderr, "bench-fib: nl_lpm6 and rte_lpm6 disagree on %u of %u addresses\n",
			bad, n);
	return bad ? -EPROTO : 0;
}

static uint64_t
lookup_nl6(const struct nl_lpm6 *lpm, const uint8_t (*ips)[16], uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0, hit;
	uint16_t nh[BURST6];
	uint32_t i, k;

	for (i = 0; i + BURST6 <= n; i += BURST6) {
		nl_lpm6_lookup_burst(lpm, ips + i, nh, BURST6, &hit);
		for (k = 0; k < BURST6; k++)
			if (hit >> k & 1)
				acc += nh[k];
	}
	sink6 += acc;
	return rte_rdtsc() - t;
}

static uint64_t
lookup_rte6(const struct rte_lpm6 *lpm, uint8_t (*ips)[16], uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0;
	int32_t nh[BURST6];
	uint32_t i, k;

	for (i = 0; i + BURST6 <= n; i += BURST6) {
		rte_lpm6_lookup_bulk_func(lpm, ips + i, nh, BURST6);
		for (k = 0; k < BURST6; k++)
			if (nh[k] >= 0)
				acc += (uint32_t)nh[k];
	}
	sink6 += acc;
	return rte_rdtsc() - t;
}

/* Add the @n routes @u to both full tables one at a time, then delete them. */
static int
updates6(struct nl_lpm6 *nl, struct rte_lpm6 *rte, const struct route6 *u, uint32_t n)
{
	uint64_t *c = calloc(n, sizeof(*c)), *rc = calloc(n, sizeof(*rc)), t;
	uint32_t i;
	int bad = 0;

	if (c == NULL || rc == NULL) {
		free(c);
		free(rc);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		t = rte_rdtsc();
		bad |= nl_lpm6_add(nl, u[i].prefix, u[i].depth, u[i].nh);
		c[i] = rte_rdtsc() - t;
		t = rte_rdtsc();
		bad |= rte_lpm6_add(rte, u[i].prefix, u[i].depth, u[i].nh);
		rc[i] = rte_rdtsc() - t;
	}
	print_changes("add one route", c, n, rc, n);
	for (i = 0; i < n; i++) {
		t = rte_rdtsc();
		bad |= nl_lpm6_del(nl, u[i].prefix, u[i].depth);
		nl_lpm6_reclaim(nl);
		c[i] = rte_rdtsc() - t;
		t = rte_rdtsc();
		bad |= rte_lpm6_delete(rte, u[i].prefix, u[i].depth);
		rc[i] = rte_rdtsc() - t;
	}
	print_changes("delete one route", c, n, rc, n);
	free(c);
	free(rc);
	if (bad)
		fprintf(stderr, "bench-fib: an IPv6 add or delete failed\n");
	return bad ? -EIO : 0;
}

static void
lookups6(const struct nl_lpm6 *nl, const struct rte_lpm6 *rte, uint8_t (*ips)[16],
	 uint32_t n, uint32_t trials, const char *when)
{
	uint64_t a[MAX_TRIALS6], b[MAX_TRIALS6];
	double hz = (double)rte_get_tsc_hz();
	uint32_t t;

	for (t = 0; t < trials; t++) {
		a[t] = lookup_nl6(nl, (const uint8_t(*)[16])ips, n);
		b[t] = lookup_rte6(rte, ips, n);
	}
	printf("%-24s %12.1f %12.1f   Mlookups/s (bursts of 64)\n", when,
	       hz * n / median(a, trials) / 1e6, hz * n / median(b, trials) / 1e6);
}

int
bench_fib6(uint32_t routes, uint32_t updates, uint32_t lookups, uint32_t trials, uint64_t seed)
{
	struct route6 *r = calloc((size_t)routes + updates, sizeof(*r));
	uint8_t (*ips)[16] = calloc(lookups, 16);
	uint64_t build[MAX_TRIALS6], rte_c = 0, s = seed ? seed : 1;
	struct nl_lpm6 *nl = NULL;
	struct rte_lpm6 *rte = NULL;
	uint32_t t;
	int rc = -ENOMEM;

	if (trials > MAX_TRIALS6)
		trials = MAX_TRIALS6;
	if (r == NULL || ips == NULL || random_routes6(r, routes + updates, &s) < 0)
		goto out;
	printf("\nIPv6: %u routes (BGP-like lengths /16-/48), %u updates\n\n%-24s %12s %12s\n",
	       routes, updates, "", "nl_lpm6", "rte_lpm6");
	for (t = 0; t < trials; t++) {
		nl_lpm6_free(nl);
		nl = build_nl6(r, routes, &build[t]);
		if (t == 0)
			rte = build_rte6(r, routes, routes + updates, &rte_c);
		rc = -EIO;
		if (nl == NULL || rte == NULL)
			goto out;
	}
	printf("%-24s %12.1f %12.1f   ms (create + add each route; rte_lpm6: one trial)\n",
	       "load: build only", cyc_ms((uint64_t)median(build, trials)), cyc_ms(rte_c));
	make_ips6(ips, lookups, r, routes, &s);
	rc = compare6(nl, rte, (const uint8_t(*)[16])ips, lookups);
	if (rc < 0)
		goto out;
	lookups6(nl, rte, ips, lookups, trials, "lookup, full table");
	rc = updates6(nl, rte, r + routes, updates);
	if (rc == 0)
		rc = compare6(nl, rte, (const uint8_t(*)[16])ips, lookups);
	if (rc == 0)
		lookups6(nl, rte, ips, lookups, trials, "lookup, after updates");
out:
	if (rc == -ENOMEM)
		fprintf(stderr, "bench-fib: out of memory (IPv6)\n");
	nl_lpm6_free(nl);
	rte_lpm6_free(rte);
	free(r);
	free(ips);
	return rc;
}
