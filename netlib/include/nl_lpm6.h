/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_lpm6.h — IPv6 longest-prefix match (prefix lengths /0 to /128).
 *
 * A multibit trie with a 16-bit first level and 8-bit levels below it, the
 * scheme of DPDK's rte_lpm6 without DPDK (rte_lpm6's first level is 24 bits
 * wide: 64 MiB; this one is 256 KiB, at the cost of one more memory access
 * for prefixes longer than /16):
 *
 *   ip = b0 b1 b2 ... b15
 *
 *   tbl16[b0 b1] --+-- next hop                    (no prefix longer than /16 there)
 *                  +-- group g2 --> g2[b2] --+-- next hop
 *                                            +-- group g3 --> g3[b3] --> ...
 *
 * The group reached through byte k (k = 2..15) holds 256 entries and
 * answers the prefixes of length 8k+1 to 8k+8 under its parent entry. As in
 * nl_lpm (IPv4), every entry remembers the length of the prefix that wrote
 * it, so prefixes may be added and deleted in any order; a group is freed
 * again when the last prefix longer than its level goes. A /48 costs one
 * tbl16 access and four group accesses, a /64 six, a /128 fifteen.
 *
 * Memory: 256 KiB for tbl16 + 1 KiB per group; a prefix of length L > 16
 * needs up to ceil(L / 8) - 2 groups of its own (fewer when it shares its
 * path with other prefixes: a /48 under a /32 that already has a group
 * needs two).
 *
 * Concurrency: exactly as nl_lpm. One thread changes the table (add, del,
 * reclaim, foreach, the rule functions), any number of threads look up at
 * the same time without a lock. Every entry is written with one atomic
 * store; a new chain of groups is filled completely before the one entry
 * that links it in is stored (release). A group given up by nl_lpm6_del()
 * is unlinked but left intact on a pending list until nl_lpm6_reclaim(),
 * which the writer calls after a grace period (netlib's nl_quiesce()).
 *
 * Addresses and prefixes are 16 bytes in network order (as on the wire and
 * as inet_pton() writes them).
 */
#ifndef NL_LPM6_H
#define NL_LPM6_H

#include <stdint.h>

#define NL_LPM6_MAX_GROUPS (1u << 22) /* groups a table may have */
#define NL_LPM6_BURST_MAX 64u         /* addresses per nl_lpm6_lookup_burst() */

struct nl_lpm6;

/*
 * Create an empty table with room for @max_groups groups of 256 entries.
 * Returns NULL with errno EINVAL if @max_groups exceeds NL_LPM6_MAX_GROUPS,
 * or ENOMEM.
 */
struct nl_lpm6 *nl_lpm6_create(uint32_t max_groups);

/* Free @lpm (NULL is allowed); it cannot fail. */
void nl_lpm6_free(struct nl_lpm6 *lpm);

/*
 * Add prefix @ip/@depth with next hop @nh; host bits of @ip are ignored.
 * Returns 0, -EINVAL if @depth > 128, -EEXIST if that prefix is already in
 * the table (delete it first), -ENOSPC when the free groups do not suffice
 * for it, or -ENOMEM; the table is unchanged on failure.
 */
int nl_lpm6_add(struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth, uint16_t nh);

/*
 * Delete prefix @ip/@depth. Returns 0, -EINVAL if @depth > 128, or -ENOENT
 * if that prefix is not in the table.
 */
int nl_lpm6_del(struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth);

/*
 * Give prefix @ip/@depth, already in the table, next hop @nh in place (as
 * nl_lpm_replace()). Returns 0, -EINVAL if @depth > 128, or -ENOENT if that
 * prefix is not in the table.
 */
int nl_lpm6_replace(struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth, uint16_t nh);

/* Groups unlinked by nl_lpm6_del() and not reusable yet; it cannot fail. */
uint32_t nl_lpm6_pending(const struct nl_lpm6 *lpm);

/*
 * Make the pending groups free again. Call it only when no lookup that began
 * before the dels that gave them up can still be running; it cannot fail.
 */
void nl_lpm6_reclaim(struct nl_lpm6 *lpm);

/* Return the number of groups free for new prefixes; it cannot fail. */
uint32_t nl_lpm6_free_groups(const struct nl_lpm6 *lpm);

/* Find the next hop of the prefix @ip/@depth itself: 0, or -ENOENT / -EINVAL. */
int nl_lpm6_rule_get(const struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth,
		     uint16_t *nh);

/* Longest-prefix match of @ip: stores the next hop in *@nh and returns 0, or -ENOENT. */
int nl_lpm6_lookup(const struct nl_lpm6 *lpm, const uint8_t ip[16], uint16_t *nh);

/*
 * Longest-prefix match of @ip with the length of the prefix that matched:
 * stores both and returns 0, or -ENOENT (nothing stored) on a miss.
 */
int nl_lpm6_match(const struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t *depth,
		  uint16_t *nh);

/*
 * Look up @n (<= NL_LPM6_BURST_MAX) addresses: nhs[i] is set and bit i of
 * *@hit_mask is 1 for each address that matched. Returns the number of
 * matches, or -EINVAL if @n is too large.
 */
int nl_lpm6_lookup_burst(const struct nl_lpm6 *lpm, const uint8_t (*ips)[16], uint16_t *nhs,
			 unsigned int n, uint64_t *hit_mask);

/* Called by nl_lpm6_foreach() for each prefix; non-zero stops the walk. */
typedef int (*nl_lpm6_walk_fn)(const uint8_t prefix[16], uint8_t depth, uint16_t nh,
			       void *arg);

/*
 * Call @fn for every prefix of @lpm, in no particular order (the table must
 * not change meanwhile). Returns 0, or the first non-zero value of @fn.
 */
int nl_lpm6_foreach(const struct nl_lpm6 *lpm, nl_lpm6_walk_fn fn, void *arg);

/* Return the number of prefixes in @lpm; it cannot fail. */
uint32_t nl_lpm6_count(const struct nl_lpm6 *lpm);

/* Clear the host bits of @ip beyond @depth (<= 128) into @out; it cannot fail. */
void nl_lpm6_mask(uint8_t out[16], const uint8_t ip[16], uint8_t depth);

#endif /* NL_LPM6_H */
