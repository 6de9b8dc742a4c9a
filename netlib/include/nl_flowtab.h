/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_flowtab.h — exact-match IPv4 5-tuple table (the NetVM flow table).
 *
 * Open addressing with linear probing over a power-of-two slot array at
 * most half full: a table created for N flows holds exactly N, and the
 * (N+1)th add fails with -ENOSPC; nothing is ever evicted or overwritten.
 * Each slot keeps the key's 32-bit hash next to the key and the value, so a
 * lookup usually touches one cache line; a miss ends at the first empty
 * slot. Deleting shifts the rest of the probe run back (no tombstones), so
 * the table never degrades with churn.
 *
 * Hash: CRC32-C of the key's 13 meaningful bytes, with the SSE4.2 crc32
 * instruction when the CPU has it (checked at run time) and a table-driven
 * software CRC otherwise; both give the same value.
 *
 * Lookups may not run while the table is changed (one thread loads it, then
 * any number of threads look up).
 */
#ifndef NL_FLOWTAB_H
#define NL_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#define NL_FLOWTAB_MAX (1u << 28) /* largest capacity */
#define NL_FLOWTAB_BURST_MAX 64u  /* keys per nl_flowtab_lookup_burst() */

/* An IPv4 5-tuple, host order. pad is ignored (neither hashed nor compared). */
struct nl_flow_key {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad[3];
};
_Static_assert(sizeof(struct nl_flow_key) == 16, "flow key is 16 bytes");

struct nl_flowtab;

/*
 * Create a table holding up to @capacity flows. Returns NULL with errno
 * EINVAL if @capacity is 0 or above NL_FLOWTAB_MAX, or ENOMEM.
 */
struct nl_flowtab *nl_flowtab_create(uint32_t capacity);

/* Free @ft (NULL is allowed); it cannot fail. */
void nl_flowtab_free(struct nl_flowtab *ft);

/*
 * Add @key with @value. Returns 0, -EEXIST if the key is already present
 * (its value is left alone), or -ENOSPC if the table holds its capacity.
 */
int nl_flowtab_add(struct nl_flowtab *ft, const struct nl_flow_key *key, uint32_t value);

/* Find @key: stores its value in *@value and returns 0, or -ENOENT. */
int nl_flowtab_lookup(const struct nl_flowtab *ft, const struct nl_flow_key *key,
		      uint32_t *value);

/* Delete @key: returns 0, or -ENOENT if it is not present. */
int nl_flowtab_del(struct nl_flowtab *ft, const struct nl_flow_key *key);

/*
 * Look up @n (<= NL_FLOWTAB_BURST_MAX) keys: values[i] is set and bit i of
 * *@hit_mask is 1 for each key found. Returns the number found, or -EINVAL
 * if @n is too large.
 */
int nl_flowtab_lookup_burst(const struct nl_flowtab *ft, const struct nl_flow_key *keys,
			    uint32_t *values, unsigned int n, uint64_t *hit_mask);

/* Return the number of flows in @ft; it cannot fail. */
uint32_t nl_flowtab_count(const struct nl_flowtab *ft);

/*
 * Hash of @key as the table computes it: the CRC32-C register after the
 * key's first 13 bytes (all but pad), starting from 0xffffffff. It cannot fail.
 */
uint32_t nl_flow_hash(const struct nl_flow_key *key);

/*
 * CRC32-C (Castagnoli) register update over @len bytes at @data, starting
 * from @crc; pass 0xffffffff and complement the result for the standard
 * CRC32-C. Uses SSE4.2 when the CPU has it. It cannot fail.
 */
uint32_t nl_crc32c(const void *data, size_t len, uint32_t crc);

/* The same CRC computed in software only, whatever the CPU; it cannot fail. */
uint32_t nl_crc32c_sw(const void *data, size_t len, uint32_t crc);

#endif /* NL_FLOWTAB_H */
