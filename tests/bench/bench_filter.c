/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-filter — nl_filter's decision program against DPDK's rte_acl on the
 * same rule sets and packets. For 10, 1000 and 10000 random 5-tuple rules
 * (source and destination prefixes, TCP / UDP / any protocol, destination
 * port ranges and exact source ports), first match wins on both sides
 * (rte_acl: priority falls with the rule index). Both sides classify every
 * packet once and must agree (else exit 1); then each side classifies the
 * packet set in bursts of 64, timed with the TSC, median of the trials,
 * printed as cycles per packet and millions of packets per second. Sets of
 * many rules use fewer packets (at most 2^28 / RULES) so a run stays short.
 *
 *   bench-filter [-n PACKETS] [-t TRIALS] [-s SEED] [-r RULES,...]
 *
 * Not a test: it prints figures, no thresholds. The EAL runs without
 * hugepages or devices.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "bench_util.h"
#include "nl_filter.h"

#define BURST 64u
#define MAX_TRIALS 32
#define PKT_LEN 40 /* IPv4 without options + 20 bytes of transport header */

enum { F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT, NFIELDS };

RTE_ACL_RULE_DEF(acl5_rule, NFIELDS);

/* The ACL reads the IPv4 header as is: protocol, addresses, ports (IHL 5). */
static const struct rte_acl_field_def acl_fields[NFIELDS] = {
	{ .type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = F_PROTO,
	  .input_index = 0, .offset = 9 },
	{ .type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = F_SRC,
	  .input_index = 1, .offset = 12 },
	{ .type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = F_DST,
	  .input_index = 2, .offset = 16 },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F_SPORT,
	  .input_index = 3, .offset = 20 },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F_DPORT,
	  .input_index = 3, .offset = 22 },
};

/* One rule, as both sides get it. */
struct rule {
	uint8_t proto;         /* 0: any */
	uint32_t src, dst;     /* host order */
	uint8_t slen, dlen;
	uint16_t sport;        /* 0: any */
	uint16_t dlo, dhi;     /* 0-65535: any */
	char text[160];
};

struct bench_opts {
	uint32_t packets, trials;
	uint64_t seed;
	uint32_t nsets, sets[8];
};

static volatile uint64_t sink;

static uint32_t
mask_of(unsigned int len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

static void
addr_text(char *s, size_t n, const char *dir, uint32_t a, unsigned int len)
{
	snprintf(s, n, "%s net %u.%u.%u.%u/%u", dir, a >> 24, a >> 16 & 255, a >> 8 & 255,
		 a & 255, len);
}

static void
random_rule(uint64_t *s, struct rule *r)
{
	static const uint8_t lens[] = { 8, 16, 24, 24, 32, 0 };
	char a[48], b[48], ports[80] = "";
	unsigned int k = (unsigned int)(rnd(s) % 10);

	memset(r, 0, sizeof(*r));
	r->proto = k < 5 ? 6 : k < 9 ? 17 : 0;
	r->slen = lens[rnd(s) % 6];
	r->dlen = lens[rnd(s) % 5];
	r->src = (uint32_t)rnd(s) & mask_of(r->slen);
	r->dst = (uint32_t)rnd(s) & mask_of(r->dlen);
	r->dlo = 0;
	r->dhi = 65535;
	if (r->proto) {
		if (rnd(s) % 2) {
			r->dlo = r->dhi = (uint16_t)(rnd(s) % 2048);
			snprintf(ports, sizeof(ports), " && dst port %u", r->dlo);
		} else {
			r->dlo = (uint16_t)(rnd(s) % 60000);
			r->dhi = (uint16_t)(r->dlo + rnd(s) % 5000);
			snprintf(ports, sizeof(ports), " && dst port >= %u && dst port <= %u",
				 r->dlo, r->dhi);
		}
		if (rnd(s) % 8 == 0) {
			r->sport = (uint16_t)(1 + rnd(s) % 1024);
			snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports),
				 " && src port %u", r->sport);
		}
	}
	addr_text(a, sizeof(a), "src", r->src, r->slen);
	addr_text(b, sizeof(b), "dst", r->dst, r->dlen);
	snprintf(r->text, sizeof(r->text), "%s%s && %s%s", r->proto == 6 ? "tcp && " :
		 r->proto == 17 ? "udp && " : "", a, b, ports);
}

/* Half the packets fall into some rule's box, half are random. */
static void
random_packets(uint64_t *s, const struct rule *rules, uint32_t nrules, uint8_t *pkts,
	       uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint8_t *p = pkts + (size_t)i * PKT_LEN;
		const struct rule *r = &rules[rnd(s) % nrules];
		uint32_t src = (uint32_t)rnd(s), dst = (uint32_t)rnd(s);
		uint16_t sport = (uint16_t)rnd(s), dport = (uint16_t)rnd(s);
		uint8_t proto = rnd(s) % 2 ? 6 : 17;

		if (i & 1) {
			src = r->src | (src & ~mask_of(r->slen));
			dst = r->dst | (dst & ~mask_of(r->dlen));
			dport = (uint16_t)(r->dlo + rnd(s) % ((uint32_t)r->dhi - r->dlo + 1));
			if (r->sport)
				sport = r->sport;
			if (r->proto)
				proto = r->proto;
		}
		memset(p, 0, PKT_LEN);
		p[0] = 0x45;
		p[3] = PKT_LEN;
		p[8] = 64;
		p[9] = proto;
		p[12] = (uint8_t)(src >> 24); p[13] = (uint8_t)(src >> 16);
		p[14] = (uint8_t)(src >> 8);  p[15] = (uint8_t)src;
		p[16] = (uint8_t)(dst >> 24); p[17] = (uint8_t)(dst >> 16);
		p[18] = (uint8_t)(dst >> 8);  p[19] = (uint8_t)dst;
		p[20] = (uint8_t)(sport >> 8); p[21] = (uint8_t)sport;
		p[22] = (uint8_t)(dport >> 8); p[23] = (uint8_t)dport;
		p[32] = 0x50;
	}
}

static struct rte_acl_ctx *
acl_build(const struct rule *rules, uint32_t n)
{
	struct rte_acl_param prm = {
		.name = "bench-filter", .socket_id = SOCKET_ID_ANY,
		.rule_size = RTE_ACL_RULE_SZ(NFIELDS), .max_rule_num = n,
	};
	struct rte_acl_config cfg = { .num_categories = 1, .num_fields = NFIELDS };
	struct rte_acl_ctx *ctx = rte_acl_create(&prm);
	uint32_t i;

	if (!ctx)
		return NULL;
	memcpy(cfg.defs, acl_fields, sizeof(acl_fields));
	for (i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		struct acl5_rule a;

		memset(&a, 0, sizeof(a));
		a.data.category_mask = 1;
		a.data.priority = (int32_t)(n - i); /* the first rule wins */
		a.data.userdata = i + 1;            /* 0 means "no match" */
		a.field[F_PROTO].value.u8 = r->proto;
		a.field[F_PROTO].mask_range.u8 = r->proto ? 0xff : 0;
		a.field[F_SRC].value.u32 = r->src;
		a.field[F_SRC].mask_range.u32 = r->slen;
		a.field[F_DST].value.u32 = r->dst;
		a.field[F_DST].mask_range.u32 = r->dlen;
		a.field[F_SPORT].value.u16 = r->sport ? r->sport : 0;
		a.field[F_SPORT].mask_range.u16 = r->sport ? r->sport : 65535;
		a.field[F_DPORT].value.u16 = r->dlo;
		a.field[F_DPORT].mask_range.u16 = r->dhi;
		if (rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&a, 1) < 0)
			goto fail;
	}
	if (rte_acl_build(ctx, &cfg) < 0)
		goto fail;
	return ctx;
fail:
	rte_acl_free(ctx);
	return NULL;
}

static uint64_t
time_nl(const struct nl_filter *f, const uint8_t *const *ptrs, uint32_t n)
{
	static const uint32_t lens[BURST] = { [0 ... BURST - 1] = PKT_LEN };
	int out[BURST];
	uint64_t t = rte_rdtsc(), acc = 0;
	uint32_t i, j;

	for (i = 0; i < n; i += BURST) {
		nl_filter_match_burst(f, ptrs + i, lens, NULL, out, BURST);
		for (j = 0; j < BURST; j++)
			acc += (uint32_t)out[j];
	}
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static uint64_t
time_acl(const struct rte_acl_ctx *ctx, const uint8_t **ptrs, uint32_t n)
{
	uint32_t res[BURST], i, j;
	uint64_t t = rte_rdtsc(), acc = 0;

	for (i = 0; i < n; i += BURST) {
		rte_acl_classify(ctx, ptrs + i, res, BURST, 1);
		for (j = 0; j < BURST; j++)
			acc += res[j];
	}
	t = rte_rdtsc() - t;
	sink += acc;
	return t;
}

static int
run_set(const struct bench_opts *o, uint32_t nrules, double hz)
{
	struct rule *rules = calloc(nrules, sizeof(*rules));
	struct nl_rule_arr { struct nl_filter_rule *v; } nr = { calloc(nrules, sizeof(*nr.v)) };
	uint32_t npkts = o->packets < (1u << 28) / nrules ? o->packets :
			 ((1u << 28) / nrules + BURST - 1) / BURST * BURST;
	uint8_t *pkts = malloc((size_t)npkts * PKT_LEN);
	const uint8_t **ptrs = malloc(npkts * sizeof(*ptrs));
	uint64_t s = o->seed + nrules, a[MAX_TRIALS], b[MAX_TRIALS], t0;
	struct nl_filter *f = NULL;
	struct rte_acl_ctx *ctx = NULL;
	uint32_t i, bad = 0, hits = 0, res;
	double nl_cyc, acl_cyc, nl_build, acl_build_t;
	char err[256];
	int rc = -1;

	if (!rules || !nr.v || !pkts || !ptrs)
		goto out;
	for (i = 0; i < nrules; i++) {
		random_rule(&s, &rules[i]);
		nr.v[i].pattern = rules[i].text;
		nr.v[i].output = (int)i;
	}
	t0 = rte_rdtsc();
	f = nl_filter_compile(nr.v, nrules, NULL, err, sizeof(err));
	nl_build = (double)(rte_rdtsc() - t0) / hz;
	if (!f) {
		fprintf(stderr, "bench-filter: nl_filter: %s\n", err);
		goto out;
	}
	t0 = rte_rdtsc();
	ctx = acl_build(rules, nrules);
	acl_build_t = (double)(rte_rdtsc() - t0) / hz;
	if (!ctx) {
		fprintf(stderr, "bench-filter: rte_acl build failed: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	random_packets(&s, rules, nrules, pkts, npkts);
	for (i = 0; i < npkts; i++)
		ptrs[i] = pkts + (size_t)i * PKT_LEN;
	for (i = 0; i < npkts; i++) {
		int m = nl_filter_match(f, ptrs[i], PKT_LEN, NULL);

		rte_acl_classify(ctx, ptrs + i, &res, 1, 1);
		hits += m >= 0;
		if ((uint32_t)(m + 1) != res)
			bad++;
	}
	printf("%5u rules: %u instructions (built in %.3f s; rte_acl %.3f s), %u packets, "
	       "%.1f%% matched, %u disagreements\n", nrules, nl_filter_size(f), nl_build,
	       acl_build_t, npkts, 100.0 * hits / npkts, bad);
	{
		char line[512], *ix, *nl;

		nl_filter_dump(f, line, sizeof(line));
		ix = strstr(line, "index on");
		if (ix && (nl = strchr(ix, '\n')))
			*nl = 0;
		printf("      %s\n", ix ? ix : "no index: one program, rules in order");
	}
	if (bad)
		goto out;
	for (i = 0; i < o->trials; i++) {
		a[i] = time_nl(f, ptrs, npkts);
		b[i] = time_acl(ctx, ptrs, npkts);
	}
	nl_cyc = median(a, o->trials) / npkts;
	acl_cyc = median(b, o->trials) / npkts;
	printf("      %-10s %10.1f cyc/pkt %10.2f Mpps\n", "nl_filter", nl_cyc, hz / nl_cyc / 1e6);
	printf("      %-10s %10.1f cyc/pkt %10.2f Mpps   (nl_filter/rte_acl %.2f)\n", "rte_acl",
	       acl_cyc, hz / acl_cyc / 1e6, nl_cyc / acl_cyc);
	rc = 0;
out:
	nl_filter_free(f);
	rte_acl_free(ctx);
	free(rules);
	free(nr.v);
	free(pkts);
	free(ptrs);
	return rc;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	char *end, *tok;
	int c;

	while ((c = getopt(argc, argv, "n:t:s:r:h")) != -1) {
		unsigned long long v;

		if (c == 'h' || c == '?') {
			fprintf(c == 'h' ? stdout : stderr, "usage: %s [-n PACKETS] [-t TRIALS] "
				"[-s SEED] [-r RULES,...]\n", argv[0]);
			return c == 'h' ? 1 : -EINVAL;
		}
		if (c == 'r') {
			o->nsets = 0;
			for (tok = strtok(optarg, ","); tok && o->nsets < 8; tok = strtok(NULL, ",")) {
				v = strtoull(tok, &end, 10);
				if (*end || v == 0 || v > 100000) {
					fprintf(stderr, "%s: bad rule count '%s'\n", argv[0], tok);
					return -EINVAL;
				}
				o->sets[o->nsets++] = (uint32_t)v;
			}
			continue;
		}
		if (bench_opt_value(argv[0], c, optarg,
				    c == 't' ? MAX_TRIALS : c == 'n' ? 1u << 26 : ULLONG_MAX, &v) < 0)
			return -EINVAL;
		if (c == 'n')
			o->packets = (uint32_t)(v + BURST - 1) / BURST * BURST;
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
	struct bench_opts o = { .packets = 1u << 16, .trials = 3, .seed = 20151,
				.nsets = 3, .sets = { 10, 1000, 10000 } };
	double hz;
	uint32_t i;
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (bench_eal_init("bench-filter", argv[0], "512") < 0)
		return 1;
	hz = (double)rte_get_tsc_hz();
	printf("bench-filter: TSC %.2f GHz, %u trials (median), bursts of %u, seed %" PRIu64 "\n",
	       hz / 1e9, o.trials, BURST, o.seed);
	for (i = 0; i < o.nsets && rc == 0; i++)
		rc = run_set(&o, o.sets[i], hz);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
