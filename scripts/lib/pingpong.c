/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pingpong.c — cache-line round trip between two CPUs.
 *
 * Two threads, pinned to CPU A and CPU B, pass a counter back and forth
 * through one cache line: A writes an odd value and waits for B to write the
 * next even one. One round trip moves the line A -> B -> A, which is what a
 * descriptor ring pays per exchange between a core engine and an NF.
 *
 * Usage: pingpong [CPU_A CPU_B [ROUNDS [BATCHES]]]
 * Prints "pingpong_ns MEDIAN MIN MAX" (nanoseconds per round trip over
 * BATCHES batches of ROUNDS round trips). CPU_A and CPU_B must differ.
 * Exit status 1 on error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PP_MAX_BATCHES 64

struct pp_line {
	_Alignas(64) uint64_t val;
	char pad[64 - sizeof(uint64_t)];
};

struct pp_ctx {
	struct pp_line line;
	int cpu_b;
	int state; /* 0 starting, 1 B is pinned and polling, -1 B failed */
	uint64_t rounds;
	unsigned int batches;
};

static int
pp_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static uint64_t
pp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The B side: answer every odd value v with v + 1. */
static void *
pp_pong(void *arg)
{
	struct pp_ctx *ctx = arg;
	uint64_t total = ctx->rounds * ctx->batches;
	uint64_t i, v;

	if (pp_pin(ctx->cpu_b) < 0) {
		__atomic_store_n(&ctx->state, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	__atomic_store_n(&ctx->state, 1, __ATOMIC_RELEASE);
	for (i = 0; i < total; i++) {
		v = 2 * i + 1;
		while (__atomic_load_n(&ctx->line.val, __ATOMIC_ACQUIRE) != v)
			;
		__atomic_store_n(&ctx->line.val, v + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int
pp_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
pp_arg(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || *out < min || *out > max) {
		fprintf(stderr, "pingpong: bad number '%s' (%lu..%lu)\n", s, min, max);
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct pp_ctx ctx;
	double ns[PP_MAX_BATCHES];
	unsigned long cpu_a = 0, cpu_b = 1, rounds = 200000, batches = 9;
	uint64_t i, v, t0;
	unsigned int b;
	pthread_t th;
	int rc;

	if ((argc > 1 && pp_arg(argv[1], 0, CPU_SETSIZE - 1, &cpu_a) < 0) ||
	    (argc > 2 && pp_arg(argv[2], 0, CPU_SETSIZE - 1, &cpu_b) < 0) ||
	    (argc > 3 && pp_arg(argv[3], 1, 100000000, &rounds) < 0) ||
	    (argc > 4 && pp_arg(argv[4], 1, PP_MAX_BATCHES, &batches) < 0) ||
	    argc > 5 || argc == 2 || cpu_a == cpu_b) {
		fprintf(stderr, "usage: pingpong [CPU_A CPU_B [ROUNDS [BATCHES]]]\n");
		return 1;
	}
	ctx.cpu_b = (int)cpu_b;
	ctx.rounds = rounds;
	ctx.batches = (unsigned int)batches;

	rc = pthread_create(&th, NULL, pp_pong, &ctx);
	if (rc != 0) {
		fprintf(stderr, "pingpong: pthread_create: %s\n", strerror(rc));
		return 1;
	}
	rc = pp_pin((int)cpu_a);
	while (__atomic_load_n(&ctx.state, __ATOMIC_ACQUIRE) == 0)
		;
	if (rc < 0 || ctx.state < 0) {
		fprintf(stderr, "pingpong: cannot pin to CPU %lu\n", rc < 0 ? cpu_a : cpu_b);
		return 1;
	}

	for (b = 0; b < batches; b++) {
		t0 = pp_now_ns();
		for (i = b * rounds; i < (b + 1) * rounds; i++) {
			v = 2 * i;
			while (__atomic_load_n(&ctx.line.val, __ATOMIC_ACQUIRE) != v)
				;
			__atomic_store_n(&ctx.line.val, v + 1, __ATOMIC_RELEASE);
		}
		/* Wait for the last answer so the batch holds whole round trips. */
		while (__atomic_load_n(&ctx.line.val, __ATOMIC_ACQUIRE) != 2 * i)
			;
		ns[b] = (double)(pp_now_ns() - t0) / (double)rounds;
	}
	pthread_join(th, NULL);

	qsort(ns, batches, sizeof(ns[0]), pp_cmp);
	printf("pingpong_ns %.1f %.1f %.1f\n", ns[batches / 2], ns[0], ns[batches - 1]);
	return 0;
}
