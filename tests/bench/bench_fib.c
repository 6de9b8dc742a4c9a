/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-fib — a real-size forwarding table: how long l3fwd takes to put a
 * 200 000-route file in force, what one route added or deleted on the full
 * table costs, and the lookup rate before and after those changes; DPDK's
 * rte_lpm, given the same routes in the same run, is the baseline.
 *
 *   bench-fib [-r ROUTES] [-R IPV6_ROUTES] [-u UPDATES] [-n LOOKUPS] [-t TRIALS] [-s SEED]
 *
 * The table has the prefix lengths of a public IPv4 BGP table (BGP_SHARE
 * below), random prefixes, four next hops. Figures:
 *
 *   load     the route file text, as `routes load` receives it, through
 *            nl_routes_read_lpm() (parse + build); the build alone from
 *            parsed routes (nl_lpm_create + nl_lpm_add each); rte_lpm_create
 *            + rte_lpm_add each of the same routes
 *   update   -u new prefixes (same lengths) added one by one to the full
 *            table, then deleted one by one: mean and median per change
 *   lookup   bursts of 64, half the addresses inside a route, before the
 *            updates and after them; the two tables must agree on every
 *            address (exit 1 otherwise)
 *
 * Then the same for IPv6: -R routes (50 000) in nl_lpm6 and rte_lpm6
 * (bench_fib6.c).
 *
 * Median of several trials for load and lookup (rte_lpm's build: one). Times only, no assertion on
 * them; the EAL runs without hugepages or devices (as bench-lookup).
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lpm.h>

#include "bench_fib6.h"
#include "bench_util.h"
#include "nl_lpm.h"
#include "nl_routes.h"

#define BURST 64u
#define MAX_TRIALS 32
#define RTE_TBL8 (1u << 16)

/*
 * Per 100 000 prefixes, by length: a public IPv4 BGP table of about
 * 950 000 prefixes (2023; the CIDR Report and routeviews give these shares
 * to within a point): /24 about 60 %, /22-/23 about 23 %, /16-/21 about
 * 16 %, /8-/15 under 0.5 %, longer than /24 about 1 % (most operators filter
 * them; kept here to exercise tbl8 groups).
 */
static const uint32_t BGP_SHARE[33] = {
	[8] = 2, [9] = 2, [10] = 4, [11] = 10, [12] = 30, [13] = 60, [14] = 110, [15] = 190,
	[16] = 1400, [17] = 850, [18] = 1450, [19] = 2650, [20] = 4300, [21] = 5100,
	[22] = 12500, [23] = 10300, [24] = 60000, [25] = 130, [26] = 130, [27] = 130,
	[28] = 130, [29] = 130, [30] = 130, [31] = 130, [32] = 130,
};

struct bench_opts {
	uint32_t routes, updates, lookups, trials;
	uint32_t routes6; /* -R: the IPv6 part's table (bench_fib6.c) */
	uint64_t seed;
};

struct route {
	uint32_t prefix;
	uint8_t depth;
	uint16_t nh;
};

/* Distinct prefixes: an open-addressing set of prefix << 8 | depth, + 1. */
struct prefix_set {
	uint64_t *slot;
	uint32_t mask;
};

static volatile uint64_t sink;

static uint32_t
mask_of(unsigned int depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

static int
set_add(struct prefix_set *s, uint32_t prefix, uint8_t depth)
{
	uint64_t k = ((uint64_t)prefix << 8 | depth) + 1;
	uint32_t i = (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 40) & s->mask;

	for (; s->slot[i] != 0; i = (i + 1) & s->mask)
		if (s->slot[i] == k)
			return 0;
	s->slot[i] = k;
	return 1;
}

/* @n random distinct routes with BGP_SHARE lengths, none already in @set. */
static void
random_routes(struct prefix_set *set, struct route *r, uint32_t n, uint64_t *s)
{
	uint32_t total = 0, i = 0, p;
	unsigned int d;

	for (d = 0; d <= 32; d++)
		total += BGP_SHARE[d];
	while (i < n) {
		p = (uint32_t)(rnd(s) % total);
		for (d = 0; p >= BGP_SHARE[d]; d++)
			p -= BGP_SHARE[d];
		r[i].depth = (uint8_t)d;
		r[i].prefix = (uint32_t)rnd(s) & mask_of(d);
		r[i].nh = (uint16_t)(rnd(s) % 4);
		i += set_add(set, r[i].prefix, r[i].depth);
	}
}

/* The routes as a route file: "A.B.C.D/LEN PORT". */
static char *
route_file(const struct route *r, uint32_t n, size_t *len)
{
	char *text = malloc((size_t)n * 32 + 1), *p = text;
	uint32_t i;

	if (text == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		p += sprintf(p, "%u.%u.%u.%u/%u %u\n", r[i].prefix >> 24, r[i].prefix >> 16 & 255,
			     r[i].prefix >> 8 & 255, r[i].prefix & 255, r[i].depth, r[i].nh);
	*len = (size_t)(p - text);
	return text;
}

/* nl_routes_read_lpm() of @text: the table (the caller frees it) and *@cyc. */
static struct nl_routes *
load_file(char *text, size_t len, uint64_t *cyc)
{
	char err[256];
	FILE *f = fmemopen(text, len, "r");
	struct nl_routes *rt;
	uint64_t t = rte_rdtsc();

	if (f == NULL)
		return NULL;
	rt = nl_routes_read_lpm(f, "bench", err, sizeof(err));
	*cyc = rte_rdtsc() - t;
	fclose(f);
	if (rt == NULL)
		fprintf(stderr, "bench-fib: %s\n", err);
	return rt;
}

static uint64_t
build_nl(const struct route *r, uint32_t n)
{
	uint64_t t = rte_rdtsc();
	struct nl_lpm *lpm = nl_lpm_create(n / 64 + NL_ROUTES_TBL8_SPARE);
	uint32_t i;

	for (i = 0; lpm != NULL && i < n; i++)
		nl_lpm_add(lpm, r[i].prefix, r[i].depth, r[i].nh);
	t = rte_rdtsc() - t;
	nl_lpm_free(lpm);
	return t;
}

static struct rte_lpm *
build_rte(const struct route *r, uint32_t n, uint32_t max_rules, uint64_t *cyc)
{
	struct rte_lpm_config cfg = { .max_rules = max_rules, .number_tbl8s = RTE_TBL8 };
	uint64_t t = rte_rdtsc();
	struct rte_lpm *lpm = rte_lpm_create("bench-fib", SOCKET_ID_ANY, &cfg);
	uint32_t i;

	for (i = 0; lpm != NULL && i < n; i++)
		if (rte_lpm_add(lpm, r[i].prefix, r[i].depth, r[i].nh) < 0)
			break;
	*cyc = rte_rdtsc() - t;
	if (lpm != NULL && i < n) {
		fprintf(stderr, "bench-fib: rte_lpm_add of route %u failed\n", i);
		rte_lpm_free(lpm);
		return NULL;
	}
	return lpm;
}

/* Half the addresses inside a route of @r, half anywhere. */
static void
make_ips(uint32_t *ips, uint32_t n, const struct route *r, uint32_t nr, uint64_t *s)
{
	uint32_t i, k;

	for (i = 0; i < n; i++) {
		k = (uint32_t)(rnd(s) % nr);
		ips[i] = (i & 1) ? (uint32_t)rnd(s) :
				   r[k].prefix | ((uint32_t)rnd(s) & ~mask_of(r[k].depth));
	}
}

/* nl_lpm's values index rt->nh[] (next hops in order of appearance), rte_lpm's are ports. */
static int
compare(const struct nl_routes *rt, const struct rte_lpm *rte, const uint32_t *ips, uint32_t n)
{
	uint32_t i, bad = 0, rnh;
	uint16_t nh;

	for (i = 0; i < n; i++) {
		int a = nl_lpm_lookup(rt->lpm, ips[i], &nh), b = rte_lpm_lookup(rte, ips[i], &rnh);

		if ((a == 0) != (b == 0) || (a == 0 && rt->nh[nh].port != rnh))
			bad++;
	}
	if (bad > 0)
		fprintf(stderr, "bench-fib: nl_lpm and rte_lpm disagree on %u of %u addresses\n",
			bad, n);
	return bad ? -EPROTO : 0;
}

static uint64_t
lookup_nl(const struct nl_lpm *lpm, const uint32_t *ips, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0, hit;
	uint16_t nh[BURST];
	uint32_t i, k;

	for (i = 0; i + BURST <= n; i += BURST) {
		nl_lpm_lookup_burst(lpm, ips + i, nh, BURST, &hit);
		for (k = 0; k < BURST; k++)
			if (hit >> k & 1)
				acc += nh[k];
	}
	sink += acc;
	return rte_rdtsc() - t;
}

static uint64_t
lookup_rte(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0;
	uint32_t nh[BURST], i, k;

	for (i = 0; i + BURST <= n; i += BURST) {
		rte_lpm_lookup_bulk(lpm, ips + i, nh, BURST);
		for (k = 0; k < BURST; k++)
			if (nh[k] & RTE_LPM_LOOKUP_SUCCESS)
				acc += nh[k] & 0xffffff;
	}
	sink += acc;
	return rte_rdtsc() - t;
}

/* Median Mlookups/s of both tables, trials interleaved. */
static void
lookups(const struct bench_opts *o, const struct nl_lpm *nl, const struct rte_lpm *rte,
	const uint32_t *ips, const char *when)
{
	uint64_t a[MAX_TRIALS], b[MAX_TRIALS];
	double hz = (double)rte_get_tsc_hz();
	uint32_t t;

	for (t = 0; t < o->trials; t++) {
		a[t] = lookup_nl(nl, ips, o->lookups);
		b[t] = lookup_rte(rte, ips, o->lookups);
	}
	printf("%-24s %12.1f %12.1f   Mlookups/s (bursts of 64)\n", when,
	       hz * o->lookups / median(a, o->trials) / 1e6,
	       hz * o->lookups / median(b, o->trials) / 1e6);
}

/* Add @n routes @u to both full tables one at a time, then delete them. */
static int
updates(struct nl_lpm *nl, struct rte_lpm *rte, const struct route *u, uint32_t n)
{
	uint64_t *c = calloc(n, sizeof(*c)), *rc = calloc(n, sizeof(*rc)), t;
	uint32_t i;
	int bad = 0;

	if (c == NULL || rc == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		t = rte_rdtsc();
		bad |= nl_lpm_add(nl, u[i].prefix, u[i].depth, u[i].nh);
		c[i] = rte_rdtsc() - t;
		t = rte_rdtsc();
		bad |= rte_lpm_add(rte, u[i].prefix, u[i].depth, u[i].nh);
		rc[i] = rte_rdtsc() - t;
	}
	print_changes("add one route", c, n, rc, n);
	for (i = 0; i < n; i++) {
		t = rte_rdtsc();
		bad |= nl_lpm_del(nl, u[i].prefix, u[i].depth);
		nl_lpm_reclaim(nl); /* l3fwd does it after nl_quiesce(), not timed here */
		c[i] = rte_rdtsc() - t;
		t = rte_rdtsc();
		bad |= rte_lpm_delete(rte, u[i].prefix, u[i].depth);
		rc[i] = rte_rdtsc() - t;
	}
	print_changes("delete one route", c, n, rc, n);
	free(c);
	free(rc);
	if (bad)
		fprintf(stderr, "bench-fib: an add or delete failed\n");
	return bad ? -EIO : 0;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	unsigned long long v;
	int c;

	while ((c = getopt(argc, argv, "r:R:u:n:t:s:h")) != -1) {
		if (c == 'h' || c == '?') {
			fprintf(c == 'h' ? stdout : stderr, "usage: %s [-r ROUTES] [-R IPV6_ROUTES] "
				"[-u UPDATES] [-n LOOKUPS] [-t TRIALS] [-s SEED]\n", argv[0]);
			return c == 'h' ? 1 : -EINVAL;
		}
		if (bench_opt_value(argv[0], c, optarg,
				    c == 's' ? ULLONG_MAX : c == 't' ? MAX_TRIALS : (1u << 26), &v) < 0)
			return -EINVAL;
		if (c == 'r')
			o->routes = (uint32_t)v;
		else if (c == 'R')
			o->routes6 = (uint32_t)v;
		else if (c == 'u')
			o->updates = (uint32_t)v;
		else if (c == 'n')
			o->lookups = (uint32_t)(v + BURST - 1) / BURST * BURST;
		else if (c == 't')
			o->trials = (uint32_t)v;
		else
			o->seed = v;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts o = { .routes = 200000, .updates = 10000, .lookups = 1u << 22,
				.trials = 5, .seed = 1996, .routes6 = 50000 };
	uint64_t file_c[MAX_TRIALS], build_c[MAX_TRIALS], rte_c[MAX_TRIALS] = { 0 }, s;
	struct prefix_set set = { 0 };
	struct route *r = NULL, *u = NULL;
	struct nl_routes *rt = NULL;
	struct rte_lpm *rte = NULL;
	uint32_t *ips = NULL, t, d, by_len[33] = { 0 };
	char *text = NULL;
	size_t len = 0;
	int rc = -ENOMEM;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (bench_eal_init("bench-fib", argv[0], "1024") < 0)
		return 1;
	s = o.seed;
	set.mask = 1;
	while (set.mask < 2 * (o.routes + o.updates))
		set.mask <<= 1;
	set.slot = calloc(set.mask, sizeof(uint64_t));
	set.mask--;
	r = calloc(o.routes, sizeof(*r));
	u = calloc(o.updates, sizeof(*u));
	ips = calloc(o.lookups, sizeof(*ips));
	rc = -ENOMEM;
	if (set.slot == NULL || r == NULL || u == NULL || ips == NULL)
		goto out;
	random_routes(&set, r, o.routes, &s);
	random_routes(&set, u, o.updates, &s);
	text = route_file(r, o.routes, &len);
	if (text == NULL)
		goto out;
	for (t = 0; t < o.routes; t++)
		by_len[r[t].depth]++;
	printf("bench-fib: TSC %.2f GHz, %u routes (%.1f MB of route file), %u updates, "
	       "%u trials (median), seed %" PRIu64 "\n", (double)rte_get_tsc_hz() / 1e9,
	       o.routes, len / 1e6, o.updates, o.trials, o.seed);
	printf("prefix lengths:");
	for (d = 8; d <= 32; d++)
		printf(" /%u %.1f%%", d, 100.0 * by_len[d] / o.routes);
	printf("\n\n%-24s %12s %12s\n", "", "netlib", "rte_lpm");

	for (t = 0; t < o.trials; t++) {
		nl_routes_free(rt);
		rt = load_file(text, len, &file_c[t]);
		build_c[t] = build_nl(r, o.routes);
		if (t == 0) /* rte_lpm_add keeps its rules sorted: seconds, so one trial */
			rte = build_rte(r, o.routes, o.routes + o.updates, &rte_c[t]);
		rc = -EIO;
		if (rt == NULL || rte == NULL)
			goto out;
	}
	printf("%-24s %12.1f %12s   ms (nl_routes_read_lpm of the text)\n", "load: parse + build",
	       cyc_ms((uint64_t)median(file_c, o.trials)), "-");
	printf("%-24s %12.1f %12.1f   ms (create + add each route; rte_lpm: one trial)\n",
	       "load: build only", cyc_ms((uint64_t)median(build_c, o.trials)), cyc_ms(rte_c[0]));

	make_ips(ips, o.lookups, r, o.routes, &s);
	rc = compare(rt, rte, ips, o.lookups);
	if (rc < 0)
		goto out;
	lookups(&o, rt->lpm, rte, ips, "lookup, full table");
	rc = updates(rt->lpm, rte, u, o.updates);
	if (rc == 0)
		rc = compare(rt, rte, ips, o.lookups);
	if (rc == 0)
		lookups(&o, rt->lpm, rte, ips, "lookup, after updates");
	if (rc == 0)
		rc = bench_fib6(o.routes6, o.updates, o.lookups, o.trials, o.seed);
out:
	if (rc == -ENOMEM)
		fprintf(stderr, "bench-fib: out of memory\n");
	nl_routes_free(rt);
	rte_lpm_free(rte);
	free(text);
	free(set.slot);
	free(r);
	free(u);
	free(ips);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
