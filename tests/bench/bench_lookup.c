/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-lookup — netlib's lookup tables against DPDK's, on the same data in
 * the same run: nl_lpm vs rte_lpm (one random route table, one set of random
 * addresses) and nl_flowtab vs rte_hash (one set of random 5-tuples, the
 * same CRC32-C hash). For each, single lookups and bursts of 64, timed with
 * the TSC, every result read back as a forwarder would. The median of
 * several trials is printed as cycles per lookup and millions of lookups per
 * second, with the ratio netlib / DPDK (below 1: netlib is faster). Both
 * sides' answers are compared key by key first; any difference is an error
 * (exit 1).
 *
 *   bench-lookup [-r ROUTES] [-f FLOWS] [-n LOOKUPS] [-t TRIALS] [-s SEED]
 *
 * The EAL runs without hugepages or devices, so this works on any machine.
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
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lpm.h>

#include "bench_util.h"
#include "nl_flowtab.h"
#include "nl_lpm.h"

#define BURST 64u
#define MAX_TRIALS 32
#define LPM_TBL8 (1u << 15)
_Static_assert(BURST == NL_LPM_BURST_MAX && BURST == RTE_HASH_LOOKUP_BULK_MAX, "burst size");

struct bench_opts {
	uint32_t routes, flows, lookups, trials;
	uint64_t seed;
};

/* Everything one table comparison needs. */
struct lpm_data {
	struct nl_lpm *nl;
	struct rte_lpm *rte;
	uint32_t *ips;
	uint32_t distinct;
};

struct flow_data {
	struct nl_flowtab *nl;
	struct rte_hash *rte;
	struct nl_flow_key *keys; /* lookup keys, in lookup order */
	const void **ptrs;        /* the same keys as pointers, for rte_hash */
};

struct result {
	const char *table, *mode;
	double nl_cyc, rte_cyc;
};

static volatile uint64_t sink; /* keeps the lookups from being optimised away */

static uint32_t
mask_of(unsigned int depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

/* Internet-like prefix lengths: mostly /24, then /16-/23, /25-/32, /8-/15. */
static unsigned int
random_depth(uint64_t *s)
{
	unsigned int p = (unsigned int)(rnd(s) % 100);

	if (p < 55)
		return 24;
	if (p < 85)
		return 16 + (unsigned int)(rnd(s) % 8);
	if (p < 95)
		return 25 + (unsigned int)(rnd(s) % 8);
	return 8 + (unsigned int)(rnd(s) % 8);
}

static int
lpm_setup(const struct bench_opts *o, struct lpm_data *d)
{
	struct rte_lpm_config cfg = {
		.max_rules = o->routes, .number_tbl8s = LPM_TBL8, .flags = 0,
	};
	uint32_t *prefix = calloc(o->routes, sizeof(uint32_t));
	uint8_t *depth = calloc(o->routes, 1);
	uint64_t s = o->seed;
	uint32_t i;
	uint16_t nh;
	int rc;

	d->nl = nl_lpm_create(LPM_TBL8);
	d->rte = rte_lpm_create("bench", SOCKET_ID_ANY, &cfg);
	d->ips = calloc(o->lookups, sizeof(uint32_t));
	if (prefix == NULL || depth == NULL || d->nl == NULL || d->rte == NULL || d->ips == NULL) {
		fprintf(stderr, "bench-lookup: LPM setup: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (i = 0; i < o->routes; i++) {
		depth[i] = (uint8_t)random_depth(&s);
		prefix[i] = (uint32_t)rnd(&s) & mask_of(depth[i]);
		nh = (uint16_t)rnd(&s);
		rc = nl_lpm_add(d->nl, prefix[i], depth[i], nh);
		if (rc == -EEXIST)
			continue; /* same prefix drawn twice: keep the first in both */
		if (rc < 0 || rte_lpm_add(d->rte, prefix[i], depth[i], nh) < 0) {
			fprintf(stderr, "bench-lookup: adding route %u failed (%d)\n", i, rc);
			return -ENOSPC;
		}
		d->distinct++;
	}
	/* Half the addresses inside some route, half anywhere. */
	for (i = 0; i < o->lookups; i++) {
		uint32_t r = (uint32_t)(rnd(&s) % o->routes);

		d->ips[i] = (i & 1) ? (uint32_t)rnd(&s) :
				      (prefix[r] | ((uint32_t)rnd(&s) & ~mask_of(depth[r])));
	}
	free(prefix);
	free(depth);
	return 0;
}

/* Both tables must give the same answer for every lookup address. */
static int
lpm_compare(const struct bench_opts *o, const struct lpm_data *d)
{
	uint32_t i, bad = 0, hits = 0, rte_nh;
	uint16_t nh;

	for (i = 0; i < o->lookups; i++) {
		int a = nl_lpm_lookup(d->nl, d->ips[i], &nh);
		int b = rte_lpm_lookup(d->rte, d->ips[i], &rte_nh);

		hits += a == 0;
		if ((a == 0) != (b == 0) || (a == 0 && nh != rte_nh))
			bad++;
	}
	printf("lpm: %u routes (%u distinct), %u lookups, %.1f%% hit, %u disagreements\n",
	       o->routes, d->distinct, o->lookups, 100.0 * hits / o->lookups, bad);
	return bad ? -EPROTO : 0;
}

static uint64_t
lpm_nl_single(const struct lpm_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0;
	uint32_t i;
	uint16_t nh;

	for (i = 0; i < n; i++)
		if (nl_lpm_lookup(d->nl, d->ips[i], &nh) == 0)
			acc += nh;
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t
lpm_rte_single(const struct lpm_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0;
	uint32_t i, nh;

	for (i = 0; i < n; i++)
		if (rte_lpm_lookup(d->rte, d->ips[i], &nh) == 0)
			acc += nh;
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t
lpm_nl_burst(const struct lpm_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0, hit;
	uint16_t nh[BURST];
	uint32_t i, k;

	for (i = 0; i + BURST <= n; i += BURST) {
		nl_lpm_lookup_burst(d->nl, d->ips + i, nh, BURST, &hit);
		for (k = 0; k < BURST; k++)
			if (hit >> k & 1)
				acc += nh[k];
	}
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t
lpm_rte_burst(const struct lpm_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0;
	uint32_t nh[BURST], i, k;

	for (i = 0; i + BURST <= n; i += BURST) {
		rte_lpm_lookup_bulk(d->rte, d->ips + i, nh, BURST);
		for (k = 0; k < BURST; k++)
			if (nh[k] & RTE_LPM_LOOKUP_SUCCESS)
				acc += nh[k] & 0xffffff;
	}
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static int
flow_setup(const struct bench_opts *o, struct flow_data *d)
{
	struct rte_hash_parameters hp = {
		.name = "bench", .entries = 2 * o->flows, .key_len = sizeof(struct nl_flow_key),
		.hash_func = rte_hash_crc, .hash_func_init_val = 0xffffffff,
		.socket_id = SOCKET_ID_ANY,
	};
	struct nl_flow_key *flows = calloc(o->flows, sizeof(*flows));
	uint64_t s = o->seed ^ 0x5a5a5a5a;
	uint32_t i;

	d->nl = nl_flowtab_create(o->flows);
	d->rte = rte_hash_create(&hp);
	d->keys = calloc(o->lookups, sizeof(*d->keys));
	d->ptrs = calloc(o->lookups, sizeof(*d->ptrs));
	if (flows == NULL || d->nl == NULL || d->rte == NULL || d->keys == NULL ||
	    d->ptrs == NULL) {
		fprintf(stderr, "bench-lookup: flow table setup: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (i = 0; i < o->flows; i++) {
		flows[i] = (struct nl_flow_key){
			.src_ip = (uint32_t)rnd(&s), .dst_ip = (uint32_t)rnd(&s),
			.sport = (uint16_t)rnd(&s), .dport = (uint16_t)rnd(&s),
			.proto = rnd(&s) & 1 ? 6 : 17,
		};
		if (nl_flowtab_add(d->nl, &flows[i], i) < 0 ||
		    rte_hash_add_key_data(d->rte, &flows[i], (void *)(uintptr_t)i) < 0) {
			fprintf(stderr, "bench-lookup: adding flow %u failed\n", i);
			return -ENOSPC;
		}
	}
	/* 90% of lookups hit a random flow, 10% are new 5-tuples. */
	for (i = 0; i < o->lookups; i++) {
		if (rnd(&s) % 10 == 0)
			d->keys[i] = (struct nl_flow_key){
				.src_ip = (uint32_t)rnd(&s),
				.dst_ip = (uint32_t)rnd(&s),
				.proto = 6,
			};
		else
			d->keys[i] = flows[rnd(&s) % o->flows];
		d->ptrs[i] = &d->keys[i];
	}
	free(flows);
	return 0;
}

static int
flow_compare(const struct bench_opts *o, const struct flow_data *d)
{
	uint32_t i, bad = 0, hits = 0, v;
	void *data;

	for (i = 0; i < o->lookups; i++) {
		int a = nl_flowtab_lookup(d->nl, &d->keys[i], &v);
		int b = rte_hash_lookup_data(d->rte, &d->keys[i], &data);

		hits += a == 0;
		if ((a == 0) != (b >= 0) || (a == 0 && v != (uint32_t)(uintptr_t)data))
			bad++;
	}
	printf("flow table: %u flows, %u lookups, %.1f%% hit, %u disagreements\n",
	       o->flows, o->lookups, 100.0 * hits / o->lookups, bad);
	return bad ? -EPROTO : 0;
}

static uint64_t
flow_nl_single(const struct flow_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0;
	uint32_t i, v;

	for (i = 0; i < n; i++)
		if (nl_flowtab_lookup(d->nl, &d->keys[i], &v) == 0)
			acc += v;
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t
flow_rte_single(const struct flow_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0;
	void *data;
	uint32_t i;

	for (i = 0; i < n; i++)
		if (rte_hash_lookup_data(d->rte, &d->keys[i], &data) >= 0)
			acc += (uintptr_t)data;
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t
flow_nl_burst(const struct flow_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0, hit;
	uint32_t v[BURST], i, k;

	for (i = 0; i + BURST <= n; i += BURST) {
		nl_flowtab_lookup_burst(d->nl, d->keys + i, v, BURST, &hit);
		for (k = 0; k < BURST; k++)
			if (hit >> k & 1)
				acc += v[k];
	}
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t
flow_rte_burst(const struct flow_data *d, uint32_t n)
{
	uint64_t t = rte_rdtsc(), acc = 0, hit;
	void *data[BURST];
	uint32_t i, k;

	for (i = 0; i + BURST <= n; i += BURST) {
		rte_hash_lookup_bulk_data(d->rte, d->ptrs + i, BURST, &hit, data);
		for (k = 0; k < BURST; k++)
			if (hit >> k & 1)
				acc += (uintptr_t)data[k];
	}
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

/* Median cycles per lookup of @nl_fn and @rte_fn, trials interleaved. */
#define MEASURE(res, o, d, nl_fn, rte_fn)                                              \
	do {                                                                           \
		uint64_t a_[MAX_TRIALS], b_[MAX_TRIALS];                               \
		uint32_t t_;                                                           \
		for (t_ = 0; t_ < (o)->trials; t_++) {                                 \
			a_[t_] = nl_fn(d, (o)->lookups);                               \
			b_[t_] = rte_fn(d, (o)->lookups);                              \
		}                                                                      \
		(res)->nl_cyc = median(a_, (o)->trials) / (o)->lookups;                \
		(res)->rte_cyc = median(b_, (o)->trials) / (o)->lookups;               \
	} while (0)

static void
print_results(const struct result *r, unsigned int n, double hz)
{
	unsigned int i;

	printf("\n%-8s %-8s %12s %12s %12s %12s %14s\n", "table", "lookup", "netlib cyc",
	       "DPDK cyc", "netlib Mlk/s", "DPDK Mlk/s", "netlib/DPDK");
	for (i = 0; i < n; i++)
		printf("%-8s %-8s %12.1f %12.1f %12.1f %12.1f %14.2f\n", r[i].table, r[i].mode,
		       r[i].nl_cyc, r[i].rte_cyc, hz / r[i].nl_cyc / 1e6, hz / r[i].rte_cyc / 1e6,
		       r[i].nl_cyc / r[i].rte_cyc);
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "r:f:n:t:s:h")) != -1) {
		unsigned long long v;

		if (c == 'h' || c == '?') {
			fprintf(c == 'h' ? stdout : stderr, "usage: %s [-r ROUTES] [-f FLOWS] "
				"[-n LOOKUPS] [-t TRIALS] [-s SEED]\n", argv[0]);
			return c == 'h' ? 1 : -EINVAL;
		}
		if (bench_opt_value(argv[0], c, optarg,
				    c == 's' ? ULLONG_MAX : c == 't' ? MAX_TRIALS : UINT32_MAX, &v) < 0)
			return -EINVAL;
		if (c == 'r')
			o->routes = (uint32_t)v;
		else if (c == 'f')
			o->flows = (uint32_t)v;
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
	struct bench_opts o = { .routes = 100000, .flows = 65536, .lookups = 1u << 22,
				.trials = 5, .seed = 20151 };
	struct result res[4] = {
		{ "lpm", "single", 0, 0 }, { "lpm", "burst64", 0, 0 },
		{ "flowtab", "single", 0, 0 }, { "flowtab", "burst64", 0, 0 },
	};
	struct lpm_data ld = { 0 };
	struct flow_data fd = { 0 };
	double hz;
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (bench_eal_init("bench-lookup", argv[0], "512") < 0)
		return 1;
	hz = (double)rte_get_tsc_hz();
	printf("bench-lookup: TSC %.2f GHz, %u trials (median), seed %" PRIu64 "\n", hz / 1e9,
	       o.trials, o.seed);

	rc = lpm_setup(&o, &ld);
	if (rc == 0)
		rc = lpm_compare(&o, &ld);
	if (rc == 0)
		rc = flow_setup(&o, &fd);
	if (rc == 0)
		rc = flow_compare(&o, &fd);
	if (rc == 0) {
		MEASURE(&res[0], &o, &ld, lpm_nl_single, lpm_rte_single);
		MEASURE(&res[1], &o, &ld, lpm_nl_burst, lpm_rte_burst);
		MEASURE(&res[2], &o, &fd, flow_nl_single, flow_rte_single);
		MEASURE(&res[3], &o, &fd, flow_nl_burst, flow_rte_burst);
		print_results(res, 4, hz);
	}

	nl_lpm_free(ld.nl);
	rte_lpm_free(ld.rte);
	free(ld.ips);
	nl_flowtab_free(fd.nl);
	rte_hash_free(fd.rte);
	free(fd.keys);
	free(fd.ptrs);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
