/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_fib6.h — bench-fib's IPv6 part (bench_fib6.c): nl_lpm6 against
 * DPDK's rte_lpm6 on the same routes.
 */
#ifndef NETVM_BENCH_FIB6_H
#define NETVM_BENCH_FIB6_H

#include <stdint.h>

/*
 * Build both tables from @routes random IPv6 prefixes, time @lookups
 * lookups (median of @trials) and @updates single adds and deletes, and
 * print the figures side by side. Returns 0, -ENOMEM, or -EPROTO when the
 * two tables disagree on an address (after saying so on stderr).
 */
int bench_fib6(uint32_t routes, uint32_t updates, uint32_t lookups, uint32_t trials,
	       uint64_t seed);

#endif /* NETVM_BENCH_FIB6_H */
