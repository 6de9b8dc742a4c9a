/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_util.h — what the lookup benchmarks share: a repeatable random
 * sequence, the median of a set of trials, cycle conversions, the printing
 * of per-change times, their options' values and how they start DPDK (no
 * hugepages, no devices, one lcore).
 */
#ifndef NETVM_BENCH_UTIL_H
#define NETVM_BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>

/* xorshift64*: a fixed sequence for a given seed (*@s, never 0). */
static inline uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static inline int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Median of the @n values @v (sorts them); @n > 0. */
static inline double
median(uint64_t *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* The value @arg of option -@c of @prog: a number 1..@max into *@v.
 * Returns 0, or -EINVAL after saying what is wrong. */
static inline int
bench_opt_value(const char *prog, int c, const char *arg, unsigned long long max,
		unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 0);
	if (errno != 0 || *end != '\0' || *v == 0 || *v > max) {
		fprintf(stderr, "%s: bad value '%s' for -%c\n", prog, arg, c);
		return -EINVAL;
	}
	return 0;
}

/* Start DPDK for @name (the program @argv0) with @mem_mb MiB of ordinary
 * memory, no hugepages, no devices, lcore 0. Returns 0, or -1 after saying why. */
static inline int
bench_eal_init(const char *name, char *argv0, const char *mem_mb)
{
	char *eal_argv[] = { argv0, "--no-huge", "--no-pci", "-m", (char *)mem_mb, "--no-shconf",
			     "-l", "0", "--log-level", "lib.*:error", NULL };

	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		fprintf(stderr, "%s: EAL init failed: %s\n", name, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* @c TSC cycles in milliseconds; it cannot fail. */
static inline double
cyc_ms(uint64_t c)
{
	return (double)c * 1e3 / (double)rte_get_tsc_hz();
}

/* @c TSC cycles in nanoseconds; it cannot fail. */
static inline double
cyc_ns(double c)
{
	return c * 1e9 / (double)rte_get_tsc_hz();
}

/* Print the mean, median and max of @n (ours) and @rn (DPDK's) per-change times in ns;
 * sorts both arrays. */
static inline void
print_changes(const char *what, uint64_t *c, uint32_t n, uint64_t *rc, uint32_t rn)
{
	uint64_t sum = 0, rsum = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		sum += c[i];
	for (i = 0; i < rn; i++)
		rsum += rc[i];
	qsort(c, n, sizeof(*c), cmp_u64);
	qsort(rc, rn, sizeof(*rc), cmp_u64);
	printf("%-24s %12.0f %12.0f   ns mean\n", what, cyc_ns((double)sum / n),
	       cyc_ns((double)rsum / rn));
	printf("%-24s %12.0f %12.0f   ns median\n", "", cyc_ns((double)c[n / 2]),
	       cyc_ns((double)rc[rn / 2]));
	printf("%-24s %12.0f %12.0f   ns max\n", "", cyc_ns((double)c[n - 1]),
	       cyc_ns((double)rc[rn - 1]));
}

#endif /* NETVM_BENCH_UTIL_H */
