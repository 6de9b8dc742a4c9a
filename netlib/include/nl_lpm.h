/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_lpm.h — IPv4 longest-prefix match for large route tables (DIR-24-8).
 *
 * The layout of DPDK's rte_lpm, without DPDK: a 2^24-entry table indexed by
 * the top 24 bits of the address answers every prefix of length <= 24 in one
 * memory access; a /24 that holds longer prefixes points to a 256-entry
 * "tbl8" group indexed by the last byte (two accesses).
 *
 *   ip = a.b.c.d    tbl24[a.b.c] --+-- next hop             (no longer prefix)
 *                                  +-- group g --> tbl8[g][d] --> next hop
 *
 * Every entry remembers the length of the prefix that wrote it, so prefixes
 * may be added and deleted in any order: a shorter prefix never overwrites a
 * longer one, and deleting a prefix uncovers the longest prefix under it.
 * A group is freed again when the last prefix longer than /24 in it goes.
 *
 * Memory: 64 MiB for tbl24 (touched lazily) + 1 KiB per tbl8 group, on
 * transparent huge pages where the kernel offers them.
 *
 * Concurrency: one thread changes the table (add, del, reclaim, foreach, the
 * rule functions), any number of threads look up at the same time, without
 * a lock. Every entry is written with one atomic store, so a lookup during
 * a change answers what the table said either before or after it. A group
 * given up by nl_lpm_del() is not reused until nl_lpm_reclaim(), which the
 * writer calls once every reader has finished the lookups it began before
 * the del (a grace period, e.g. netlib's nl_quiesce()). A single-threaded
 * user may call nl_lpm_reclaim() right after any del.
 *
 * Addresses are in host order. Prefix lengths 0 (default route) to 32.
 */
#ifndef NL_LPM_H
#define NL_LPM_H

#include <stdint.h>

#define NL_LPM_MAX_TBL8 (1u << 24) /* tbl8 groups a table may have */
#define NL_LPM_BURST_MAX 64u       /* addresses per nl_lpm_lookup_burst() */

struct nl_lpm;

/*
 * Create an empty table with room for @max_tbl8 groups (one per /24 that
 * holds a prefix longer than /24). Returns NULL with errno EINVAL if
 * @max_tbl8 exceeds NL_LPM_MAX_TBL8, or ENOMEM.
 */
struct nl_lpm *nl_lpm_create(uint32_t max_tbl8);

/* Free @lpm (NULL is allowed); it cannot fail. */
void nl_lpm_free(struct nl_lpm *lpm);

/*
 * Add prefix @ip/@depth with next hop @nh; host bits of @ip are ignored.
 * Returns 0, -EINVAL if @depth > 32, -EEXIST if that prefix is already in the
 * table (delete it first to change its next hop), -ENOSPC when no tbl8 group
 * is left, or -ENOMEM; the table is unchanged on failure.
 */
int nl_lpm_add(struct nl_lpm *lpm, uint32_t ip, uint8_t depth, uint16_t nh);

/*
 * Delete prefix @ip/@depth. Returns 0, -EINVAL if @depth > 32, or -ENOENT if
 * that prefix is not in the table.
 */
int nl_lpm_del(struct nl_lpm *lpm, uint32_t ip, uint8_t depth);

/*
 * Give prefix @ip/@depth, already in the table, next hop @nh in place: each
 * entry it wrote is stored once with the new next hop, so a lookup meanwhile
 * answers the old next hop or the new one, never another prefix's or none.
 * Returns 0, -EINVAL if @depth > 32, or -ENOENT if that prefix is not in the
 * table. No group is taken or given up.
 */
int nl_lpm_replace(struct nl_lpm *lpm, uint32_t ip, uint8_t depth, uint16_t nh);

/*
 * Groups unlinked by nl_lpm_del() and not reusable yet; returns their
 * number (0: nothing to reclaim). It cannot fail.
 */
uint32_t nl_lpm_pending(const struct nl_lpm *lpm);

/*
 * Make the pending groups free again. Call it only when no lookup that began
 * before the dels that gave them up can still be running; it cannot fail.
 */
void nl_lpm_reclaim(struct nl_lpm *lpm);

/* Return the number of tbl8 groups free for new long prefixes; it cannot fail. */
uint32_t nl_lpm_free_groups(const struct nl_lpm *lpm);

/* Find the next hop of the prefix @ip/@depth itself: 0, or -ENOENT / -EINVAL. */
int nl_lpm_rule_get(const struct nl_lpm *lpm, uint32_t ip, uint8_t depth, uint16_t *nh);

/* Longest-prefix match of @ip: stores the next hop in *@nh and returns 0, or -ENOENT. */
int nl_lpm_lookup(const struct nl_lpm *lpm, uint32_t ip, uint16_t *nh);

/*
 * Longest-prefix match of @ip with the length of the prefix that matched:
 * stores both and returns 0, or -ENOENT (nothing stored) on a miss.
 */
int nl_lpm_match(const struct nl_lpm *lpm, uint32_t ip, uint8_t *depth, uint16_t *nh);

/*
 * Look up @n (<= NL_LPM_BURST_MAX) addresses: nhs[i] is set and bit i of
 * *@hit_mask is 1 for each address that matched. Returns the number of
 * matches, or -EINVAL if @n is too large.
 */
int nl_lpm_lookup_burst(const struct nl_lpm *lpm, const uint32_t *ips, uint16_t *nhs,
			unsigned int n, uint64_t *hit_mask);

/* Called by nl_lpm_foreach() for each prefix; non-zero stops the walk. */
typedef int (*nl_lpm_walk_fn)(uint32_t prefix, uint8_t depth, uint16_t nh, void *arg);

/*
 * Call @fn for every prefix of @lpm, in no particular order (the table must
 * not change meanwhile). Returns 0, or the first non-zero value of @fn.
 */
int nl_lpm_foreach(const struct nl_lpm *lpm, nl_lpm_walk_fn fn, void *arg);

/* Return the number of prefixes in @lpm; it cannot fail. */
uint32_t nl_lpm_count(const struct nl_lpm *lpm);

#endif /* NL_LPM_H */
