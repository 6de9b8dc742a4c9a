/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_util.h — what the lookup benchmarks share: a repeatable random
 * sequence and the median of a set of trials.
 */
#ifndef NETVM_BENCH_UTIL_H
#define NETVM_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>

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

#endif /* NETVM_BENCH_UTIL_H */
