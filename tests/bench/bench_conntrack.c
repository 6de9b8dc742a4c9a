/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-conntrack — the connection tracker's per-packet cost against DPDK's
 * rte_hash on the same keys. For 1 and for 65536 established TCP
 * connections (by default), ACK packets of random connections in random
 * directions (every one belongs to a connection) are looked up:
 *
 *   rte_hash          rte_hash_lookup_with_hash_data(), the key's CRC32-C
 *                     precomputed (as nl_ct_pkt_init() does for netlib)
 *   rte_hash+hash     rte_hash_lookup_data(): rte_hash hashes the key itself
 *   rte_hash bulk     rte_hash_lookup_bulk_data(), 64 keys at a time (hashing
 *                     included: the bulk call has no precomputed-hash form)
 *   ct lookup         nl_ct_lookup(): bucket lock, find, read the state
 *   ct track          nl_ct_track(): the same plus the state machine and
 *                     the timeout renewal, what a firewall does per packet
 *   ct track burst    nl_ct_track_burst(), 64 packets at a time
 *   ct track nolock   nl_ct_track() on a table made with NL_CT_F_NO_LOCK:
 *                     the difference is the cost of the bucket locks
 *   ct pkt_init       nl_ct_pkt_init() alone (key, hash; no lookup)
 *   ct track 2thr     two threads, one direction each, on the same table:
 *                     cycles per packet of each thread (they run at once)
 *
 * The keys rte_hash gets are the tracker's own direction-independent keys,
 * so both tables answer the same question. Each figure is the median of
 * several trials, in TSC cycles per packet and millions of packets per
 * second. Every lookup's answer is checked first; a miss is an error.
 *
 *   bench-conntrack [-c CONNS] [-n LOOKUPS] [-t TRIALS] [-s SEED]
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "bench_util.h"
#include "nl_conntrack.h"
#include "nl_hdr.h"

#define MAX_TRIALS 32
_Static_assert(NL_CT_BURST_MAX == RTE_HASH_LOOKUP_BULK_MAX, "one burst size");
#define NOW 1000 /* ms: nothing expires during the run */

struct bench_opts {
	uint32_t conns, lookups, trials;
	uint64_t seed;
};

/* One run's data: two packets per connection (one each way), a lookup order. */
struct ct_data {
	uint32_t conns, lookups;
	struct nl_ct_pkt *pkts;  /* [2 * conn + dir] */
	uint32_t *order;         /* indices into pkts */
	uint8_t (*frames)[64];   /* the raw packets of pkts, for pkt_init */
	uint16_t *frame_len;
	struct nl_ct *ct, *ct_nolock;
	struct rte_hash *rte;
};

static volatile uint64_t sink;

/* An Ethernet/IPv4/TCP frame from @src:@sp to @dst:@dp with @flags. */
static uint16_t
tcp_frame(uint8_t *f, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint8_t flags)
{
	memset(f, 0, 54);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 40;
	f[22] = 64;
	f[23] = NL_IPPROTO_TCP;
	src = nl_hton32(src);
	dst = nl_hton32(dst);
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	f[34] = (uint8_t)(sp >> 8);
	f[35] = (uint8_t)sp;
	f[36] = (uint8_t)(dp >> 8);
	f[37] = (uint8_t)dp;
	f[46] = 0x50;
	f[47] = flags;
	return 54;
}

static int
pkt_of(const uint8_t *f, uint16_t len, struct nl_ct_pkt *p)
{
	struct nl_parsed pp;

	if (nl_parse(f, len, &pp) < 0 || nl_ct_pkt_init(f, len, &pp, p) < 0)
		return -EINVAL;
	return 0;
}

/* Open @conns connections in @ct with a three-way handshake each. */
static int
establish(struct nl_ct *ct, const struct ct_data *d, const uint32_t *src, const uint16_t *sp)
{
	struct nl_ct_result r;
	struct nl_ct_pkt p;
	uint8_t f[64];
	uint32_t i;

	for (i = 0; i < d->conns; i++) {
		tcp_frame(f, src[i], sp[i], 0x0a000001, 443, 0x02);
		if (pkt_of(f, 54, &p) < 0 || nl_ct_track(ct, &p, NOW, &r) != NL_CT_NEW ||
		    nl_ct_create(ct, &p, NOW, &r) != 0)
			return -EEXIST;
		tcp_frame(f, 0x0a000001, 443, src[i], sp[i], 0x12);
		if (pkt_of(f, 54, &p) < 0 || nl_ct_track(ct, &p, NOW, &r) != NL_CT_FOUND)
			return -ENOENT;
		if (nl_ct_track(ct, &d->pkts[2 * i], NOW, &r) != NL_CT_FOUND || !r.valid ||
		    r.state != NL_CT_TCP_ESTABLISHED)
			return -EPROTO;
	}
	return 0;
}

static int
setup(const struct bench_opts *o, uint32_t conns, struct ct_data *d)
{
	struct nl_ct_config cfg = { .capacity = conns * 2 };
	struct rte_hash_parameters hp = {
		.name = "ct", .entries = conns * 2 > 8 ? conns * 2 : 8,
		.key_len = sizeof(struct nl_ct_key), .hash_func = rte_hash_crc,
		.hash_func_init_val = 0xffffffff, .socket_id = SOCKET_ID_ANY,
	};
	uint32_t *src = calloc(conns, sizeof(*src)), i;
	uint16_t *sp = calloc(conns, sizeof(*sp));
	uint64_t s = o->seed;
	int rc;

	memset(d, 0, sizeof(*d));
	d->conns = conns;
	d->lookups = o->lookups;
	d->pkts = calloc(2 * (size_t)conns, sizeof(*d->pkts));
	d->frames = calloc(2 * (size_t)conns, sizeof(*d->frames));
	d->frame_len = calloc(2 * (size_t)conns, sizeof(*d->frame_len));
	d->order = calloc(o->lookups, sizeof(*d->order));
	d->ct = nl_ct_new(&cfg);
	cfg.flags = NL_CT_F_NO_LOCK;
	d->ct_nolock = nl_ct_new(&cfg);
	d->rte = rte_hash_create(&hp);
	if (src == NULL || sp == NULL || d->pkts == NULL || d->frames == NULL ||
	    d->frame_len == NULL || d->order == NULL || d->ct == NULL || d->ct_nolock == NULL ||
	    d->rte == NULL) {
		fprintf(stderr, "bench-conntrack: setup: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (i = 0; i < conns; i++) {
		/* Distinct sources: 172.16/12 plus a counter, random ports. */
		src[i] = 0xac100000u + i;
		sp[i] = (uint16_t)(1024 + rnd(&s) % 60000);
		d->frame_len[2 * i] = tcp_frame(d->frames[2 * i], src[i], sp[i], 0x0a000001, 443,
						0x10);
		d->frame_len[2 * i + 1] = tcp_frame(d->frames[2 * i + 1], 0x0a000001, 443, src[i],
						    sp[i], 0x10);
		if (pkt_of(d->frames[2 * i], 54, &d->pkts[2 * i]) < 0 ||
		    pkt_of(d->frames[2 * i + 1], 54, &d->pkts[2 * i + 1]) < 0)
			return -EINVAL;
		if (rte_hash_add_key_with_hash_data(d->rte, &d->pkts[2 * i].key,
						    d->pkts[2 * i].hash, (void *)(uintptr_t)i) < 0) {
			fprintf(stderr, "bench-conntrack: rte_hash: adding %u failed\n", i);
			return -ENOSPC;
		}
	}
	rc = establish(d->ct, d, src, sp);
	if (rc == 0)
		rc = establish(d->ct_nolock, d, src, sp);
	if (rc < 0) {
		fprintf(stderr, "bench-conntrack: opening the connections failed (%d)\n", rc);
		return rc;
	}
	for (i = 0; i < o->lookups; i++)
		d->order[i] = (uint32_t)(rnd(&s) % (2 * (uint64_t)conns));
	free(src);
	free(sp);
	return 0;
}

static void
teardown(struct ct_data *d)
{
	nl_ct_free(d->ct);
	nl_ct_free(d->ct_nolock);
	rte_hash_free(d->rte);
	free(d->pkts);
	free(d->frames);
	free(d->frame_len);
	free(d->order);
}

/* Every packet must find its connection in every table, the same one in all. */
static int
check(const struct ct_data *d)
{
	struct nl_ct_result r;
	uint32_t i, bad = 0;
	void *v;

	for (i = 0; i < 2 * d->conns; i++) {
		const struct nl_ct_pkt *p = &d->pkts[i];

		if (nl_ct_lookup(d->ct, p, NOW, &r) != NL_CT_FOUND || r.dir != (i & 1) ||
		    nl_ct_lookup(d->ct_nolock, p, NOW, &r) != NL_CT_FOUND ||
		    rte_hash_lookup_data(d->rte, &p->key, &v) < 0 || (uintptr_t)v != i / 2 ||
		    rte_hash_lookup_with_hash_data(d->rte, &p->key, p->hash, &v) < 0)
			bad++;
	}
	if (bad)
		fprintf(stderr, "bench-conntrack: %u packets not found as expected\n", bad);
	return bad ? -EPROTO : 0;
}

#define TIMED_LOOP(d, body)                                         \
	do {                                                        \
		uint64_t t_ = rte_rdtsc(), acc_ = 0;                \
		uint32_t i_;                                        \
		for (i_ = 0; i_ < (d)->lookups; i_++) {             \
			const struct nl_ct_pkt *p = &(d)->pkts[(d)->order[i_]]; \
			body;                                       \
		}                                                   \
		sink += acc_;                                       \
		return rte_rdtsc() - t_;                            \
	} while (0)

static uint64_t
run_rte(const struct ct_data *d)
{
	void *v;

	TIMED_LOOP(d, if (rte_hash_lookup_with_hash_data(d->rte, &p->key, p->hash, &v) >= 0)
			      acc_ += (uintptr_t)v);
}

static uint64_t
run_rte_hash(const struct ct_data *d)
{
	void *v;

	TIMED_LOOP(d, if (rte_hash_lookup_data(d->rte, &p->key, &v) >= 0) acc_ += (uintptr_t)v);
}

static uint64_t
run_rte_bulk(const struct ct_data *d)
{
	const void *keys[RTE_HASH_LOOKUP_BULK_MAX];
	void *v[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t t = rte_rdtsc(), acc = 0, hit;
	uint32_t i, k;

	for (i = 0; i + RTE_HASH_LOOKUP_BULK_MAX <= d->lookups; i += RTE_HASH_LOOKUP_BULK_MAX) {
		for (k = 0; k < RTE_HASH_LOOKUP_BULK_MAX; k++)
			keys[k] = &d->pkts[d->order[i + k]].key;
		rte_hash_lookup_bulk_data(d->rte, keys, RTE_HASH_LOOKUP_BULK_MAX, &hit, v);
		for (k = 0; k < RTE_HASH_LOOKUP_BULK_MAX; k++)
			if (hit >> k & 1)
				acc += (uintptr_t)v[k];
	}
	sink += acc;
	return rte_rdtsc() - t;
}

static uint64_t
run_lookup(const struct ct_data *d)
{
	struct nl_ct_result r;

	TIMED_LOOP(d, acc_ += (uint64_t)nl_ct_lookup(d->ct, p, NOW, &r) + r.state);
}

static uint64_t
run_track(const struct ct_data *d)
{
	struct nl_ct_result r;

	TIMED_LOOP(d, acc_ += (uint64_t)nl_ct_track(d->ct, p, NOW, &r) + r.valid);
}

static uint64_t
run_track_burst(const struct ct_data *d)
{
	struct nl_ct_pkt batch[NL_CT_BURST_MAX];
	struct nl_ct_result r[NL_CT_BURST_MAX];
	uint8_t st[NL_CT_BURST_MAX];
	uint64_t t = rte_rdtsc(), acc = 0;
	uint32_t i, k;

	for (i = 0; i + NL_CT_BURST_MAX <= d->lookups; i += NL_CT_BURST_MAX) {
		/* An NF classifies its burst into such an array anyway. */
		for (k = 0; k < NL_CT_BURST_MAX; k++)
			batch[k] = d->pkts[d->order[i + k]];
		nl_ct_track_burst(d->ct, batch, NL_CT_BURST_MAX, NOW, st, r);
		for (k = 0; k < NL_CT_BURST_MAX; k++)
			acc += st[k] + r[k].valid;
	}
	sink += acc;
	return rte_rdtsc() - t;
}

static uint64_t
run_track_nolock(const struct ct_data *d)
{
	struct nl_ct_result r;

	TIMED_LOOP(d, acc_ += (uint64_t)nl_ct_track(d->ct_nolock, p, NOW, &r) + r.valid);
}

static uint64_t
run_pkt_init(const struct ct_data *d)
{
	struct nl_parsed pp;
	struct nl_ct_pkt out;
	uint32_t k;

	/* The same parsed record each time: only the tracker's part is timed. */
	nl_parse(d->frames[0], d->frame_len[0], &pp);
	TIMED_LOOP(d, (void)p; k = d->order[i_];
		   nl_ct_pkt_init(d->frames[k], d->frame_len[k], &pp, &out);
		   acc_ += out.hash);
}

/* Two threads: each tracks the packets of one direction only. */
struct thr {
	const struct ct_data *d;
	unsigned int dir;
	uint64_t cycles, n;
};

static void *
thr_run(void *arg)
{
	struct thr *t = arg;
	const struct ct_data *d = t->d;
	struct nl_ct_result r;
	uint64_t start = rte_rdtsc(), acc = 0;
	uint32_t i;

	for (i = 0; i < d->lookups; i++) {
		const struct nl_ct_pkt *p = &d->pkts[(d->order[i] & ~1u) | t->dir];

		acc += (uint64_t)nl_ct_track(d->ct, p, NOW, &r) + r.valid;
	}
	t->cycles = rte_rdtsc() - start;
	t->n = d->lookups;
	sink += acc;
	return NULL;
}

static uint64_t
run_two_threads(const struct ct_data *d)
{
	struct thr t[2] = { { d, 0, 0, 0 }, { d, 1, 0, 0 } };
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, thr_run, &t[i]) != 0)
			return 0;
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return (t[0].cycles + t[1].cycles) / 2; /* per thread, over d->lookups each */
}

struct mode {
	const char *name;
	uint64_t (*fn)(const struct ct_data *d);
};

static const struct mode modes[] = {
	{ "rte_hash", run_rte },
	{ "rte_hash+hash", run_rte_hash },
	{ "rte_hash bulk", run_rte_bulk },
	{ "ct lookup", run_lookup },
	{ "ct track", run_track },
	{ "ct track burst", run_track_burst },
	{ "ct track nolock", run_track_nolock },
	{ "ct pkt_init", run_pkt_init },
	{ "ct track 2thr", run_two_threads },
};
#define NB_MODES (sizeof(modes) / sizeof(modes[0]))

static int
bench(const struct bench_opts *o, uint32_t conns, double hz)
{
	uint64_t cyc[NB_MODES][MAX_TRIALS];
	struct ct_data d;
	unsigned int m;
	uint32_t t;
	int rc;

	rc = setup(o, conns, &d);
	if (rc == 0)
		rc = check(&d);
	if (rc == 0) {
		/* Trials interleaved, so that a busy moment hits every mode alike. */
		for (t = 0; t < o->trials; t++)
			for (m = 0; m < NB_MODES; m++)
				cyc[m][t] = modes[m].fn(&d);
		printf("\n%u established connections, %u packets per trial, both directions\n",
		       conns, o->lookups);
		printf("%-16s %10s %10s %12s\n", "", "cyc/pkt", "Mpkt/s", "vs rte_hash");
		for (m = 0; m < NB_MODES; m++) {
			double c = median(cyc[m], o->trials) / o->lookups;
			double base = median(cyc[0], o->trials) / o->lookups;

			printf("%-16s %10.1f %10.2f %12.2f\n", modes[m].name, c, hz / c / 1e6,
			       c / base);
		}
	}
	teardown(&d);
	return rc;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "c:n:t:s:h")) != -1) {
		unsigned long long v;

		if (c == 'h' || c == '?') {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: %s [-c CONNS] [-n LOOKUPS] [-t TRIALS] [-s SEED]\n", argv[0]);
			return c == 'h' ? 1 : -EINVAL;
		}
		if (bench_opt_value(argv[0], c, optarg,
				    c == 's' ? ULLONG_MAX : c == 't' ? MAX_TRIALS : (1u << 24), &v) < 0)
			return -EINVAL;
		if (c == 'c')
			o->conns = (uint32_t)v;
		else if (c == 'n')
			o->lookups = (uint32_t)(v + NL_CT_BURST_MAX - 1) / NL_CT_BURST_MAX *
				     NL_CT_BURST_MAX;
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
	struct bench_opts o = { .conns = 65536, .lookups = 1u << 22, .trials = 5, .seed = 7 };
	double hz;
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (bench_eal_init("bench-conntrack", argv[0], "512") < 0)
		return 1;
	hz = (double)rte_get_tsc_hz();
	printf("bench-conntrack: TSC %.2f GHz, %u trials (median), seed %" PRIu64 "\n",
	       hz / 1e9, o.trials, o.seed);
	rc = bench(&o, 1, hz);
	if (rc == 0 && o.conns > 1)
		rc = bench(&o, o.conns, hz);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
