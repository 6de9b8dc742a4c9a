/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-cls — what the core's classifier (core/cls.c, rte_acl) costs as the
 * rule count grows: for each count N, N - 1 random 5-tuple drop rules of the
 * shape `scripts/bench.sh scale` uses (proto tcp or udp, a source prefix
 * /8../32 outside 10/8, a destination prefix /8../32, a destination port or
 * range, half of them a source port or range) and then the rule the traffic
 * takes (dst 10.0.2.0/24). Printed per count: the time cls_create() takes,
 * wall clock and this thread's CPU time (what a rules file at start and
 * every `netvmctl rule add` pay: the whole context is built again), the
 * DPDK heap it keeps (the context), the process's peak
 * resident size so far, and the cycles per key of cls_classify() on bursts
 * of 64 keys of the traffic (UDP from 10/8 to 10.0.2.0/24), the median
 * burst. Every key's target is checked against the last rule's; a wrong one
 * is an error (exit 1).
 *
 *   bench-cls [-r N[,N...]] [-n LOOKUPS] [-s SEED]
 *
 * The EAL runs without hugepages or devices (2 GiB of ordinary memory).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <arpa/inet.h>
#include <rte_malloc.h>

#include "bench_util.h"
#include "cls.h"

#define BURST 64u
#define MAX_COUNTS 16
#define TRAFFIC_DST 0x0a000200u /* 10.0.2.0/24 */

/* A random prefix of @len bits whose first octet is not 10 when @not10. */
static uint32_t
rand_prefix(uint64_t *s, uint8_t len, int not10)
{
	uint32_t a, oct;

	do
		oct = 1 + (uint32_t)(rnd(s) % 223);
	while (not10 && oct == 10);
	a = oct << 24 | (uint32_t)(rnd(s) & 0xffffff);
	return a & (uint32_t)(0xffffffffull << (32 - len));
}

/* A random port range: one port or lo..hi, half each. */
static void
rand_ports(uint64_t *s, uint16_t *lo, uint16_t *hi)
{
	*lo = (uint16_t)rnd(s);
	*hi = rnd(s) & 1 ? *lo : (uint16_t)(*lo + rnd(s) % (65536u - *lo));
}

/* Fill @c with @n rules as the header says, one chain (role 1). 0 or -ENOMEM. */
static int
make_rules(struct cfg *c, uint32_t n, uint64_t seed)
{
	static struct cfg_chain chain = { .name = "role:1", .len = 1, .roles = { 1 } };
	uint64_t s = seed;
	uint32_t i;

	cfg_defaults(c);
	c->rules = calloc(n, sizeof(*c->rules));
	if (c->rules == NULL)
		return -ENOMEM;
	c->chains = &chain;
	c->nb_chains = 1;
	c->nb_rules = n;
	for (i = 0; i + 1 < n; i++) {
		struct cfg_rule *r = &c->rules[i];

		r->line = i + 1;
		r->in_port = CFG_ANY_PORT;
		r->family = 4;
		r->proto = rnd(&s) & 1 ? 6 : 17;
		r->src_len = (uint8_t)(8 + rnd(&s) % 25);
		r->src_ip = rand_prefix(&s, r->src_len, 1);
		r->dst_len = (uint8_t)(8 + rnd(&s) % 25);
		r->dst_ip = rand_prefix(&s, r->dst_len, 0);
		r->sport_hi = 65535;
		if (rnd(&s) & 1)
			rand_ports(&s, &r->sport_lo, &r->sport_hi);
		rand_ports(&s, &r->dport_lo, &r->dport_hi);
		r->target = CFG_TARGET_DROP;
	}
	c->rules[n - 1] = (struct cfg_rule){
		.line = n, .in_port = CFG_ANY_PORT, .family = 4, .dst_ip = TRAFFIC_DST,
		.dst_len = 24, .sport_hi = 65535, .dport_hi = 65535, .target = 0,
	};
	c->default_target = CFG_TARGET_DROP;
	return 0;
}

/* This thread's CPU time in ms: the build's cost whatever else runs. */
static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t
heap_bytes(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) < 0)
		return 0;
	return st.heap_allocsz_bytes;
}

/* Classify @nb keys of the traffic in bursts; the median burst's cycles per
 * key (a burst the host interrupted does not count), or -1 on a wrong target
 * or no memory. */
static double
lookups(const struct cls *cls, uint32_t nb, uint64_t seed)
{
	struct cls_key keys[BURST];
	const struct cls_key *kp[BURST];
	uint16_t targets[BURST];
	uint32_t nb_bursts = (nb + BURST - 1) / BURST, b, i;
	uint64_t s = seed, t, *cyc = malloc(nb_bursts * sizeof(*cyc));
	double med;

	if (cyc == NULL)
		return -1;
	for (b = 0; b < nb_bursts; b++) {
		for (i = 0; i < BURST; i++) {
			memset(&keys[i], 0, sizeof(keys[i]));
			keys[i].proto = 17;
			keys[i].src_ip = htonl(0x0a000000u | (uint32_t)(rnd(&s) & 0xffffff));
			keys[i].dst_ip = htonl(TRAFFIC_DST | (uint32_t)(rnd(&s) & 0xff));
			keys[i].sport = (uint16_t)rnd(&s);
			keys[i].dport = (uint16_t)rnd(&s);
			keys[i].ipv4 = 1;
			kp[i] = &keys[i];
		}
		t = rte_rdtsc_precise();
		cls_classify(cls, kp, BURST, targets);
		cyc[b] = rte_rdtsc_precise() - t;
		for (i = 0; i < BURST; i++) {
			if (targets[i] != 0) {
				free(cyc);
				return -1;
			}
		}
	}
	med = median(cyc, nb_bursts) / BURST;
	free(cyc);
	return med;
}

/* Parse "N[,N...]" into @v (at most MAX_COUNTS, each 1..@max). Count, or -1. */
static int
parse_counts(const char *arg, uint32_t *v)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned long long x;
	int n = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_COUNTS || bench_opt_value("bench-cls", 'r', tok, 10000000, &x) < 0) {
			n = -1;
			break;
		}
		v[n++] = (uint32_t)x;
	}
	free(copy);
	return n;
}

int
main(int argc, char **argv)
{
	uint32_t counts[MAX_COUNTS] = { 1, 1000, 10000, 50000, 100000 };
	unsigned long long x, lookups_nb = 1 << 20, seed = 13;
	int nb_counts = 5, opt, i;

	while ((opt = getopt(argc, argv, "r:n:s:h")) != -1) {
		switch (opt) {
		case 'r':
			nb_counts = parse_counts(optarg, counts);
			if (nb_counts < 0)
				return 2;
			break;
		case 'n':
		case 's':
			if (bench_opt_value("bench-cls", opt, optarg, 1ull << 40, &x) < 0)
				return 2;
			*(opt == 'n' ? &lookups_nb : &seed) = x;
			break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: bench-cls [-r N[,N...]] [-n LOOKUPS] [-s SEED]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (bench_eal_init("bench-cls", argv[0], "2048") < 0)
		return 1;
	printf("%10s %10s %10s %10s %14s %12s\n", "rules", "build ms", "CPU ms", "heap MiB",
	       "peak RSS MiB", "cycles/key");
	for (i = 0; i < nb_counts; i++) {
		char err[256] = "";
		struct rusage ru;
		struct cfg c;
		struct cls *cls;
		uint64_t h0, t;
		double ms, cpu, heap, cyc;

		if (make_rules(&c, counts[i], seed) < 0) {
			fprintf(stderr, "bench-cls: out of memory for %u rules\n", counts[i]);
			return 1;
		}
		h0 = heap_bytes();
		cpu = cpu_ms();
		t = rte_rdtsc();
		cls = cls_create(&c, (int)rte_socket_id(), err, sizeof(err));
		ms = cyc_ms(rte_rdtsc() - t);
		cpu = cpu_ms() - cpu;
		if (cls == NULL) {
			fprintf(stderr, "bench-cls: %u rules: %s\n", counts[i], err);
			return 1;
		}
		heap = (double)(heap_bytes() - h0) / (1 << 20);
		getrusage(RUSAGE_SELF, &ru);
		cyc = lookups(cls, (uint32_t)lookups_nb, seed);
		if (cyc < 0) {
			fprintf(stderr, "bench-cls: %u rules: a key missed the last rule\n",
				counts[i]);
			return 1;
		}
		printf("%10u %10.0f %10.0f %10.1f %14.1f %12.1f\n", counts[i], ms, cpu, heap,
		       ru.ru_maxrss / 1024.0, cyc);
		fflush(stdout);
		cls_free(cls);
		free(c.rules);
	}
	rte_eal_cleanup();
	return 0;
}
