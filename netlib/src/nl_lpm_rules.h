/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_lpm_rules.h — what nl_lpm (IPv4) and nl_lpm6 (IPv6) share besides
 * their lookup tables (netlib internals).
 *
 * The rules: the set of prefixes a table holds, with their next hops. Adding
 * needs it to refuse duplicates, deleting to find the prefix that takes over
 * the deleted one's addresses. Open addressing with linear probing, at most
 * half full; a removal shifts the later members of its cluster back, so no
 * tombstones build up under live churn. A prefix is @klen bytes (4 or 16),
 * masked to its length by the caller; slots are LPM_RULE_HDR + @klen bytes,
 * so an IPv4 set does not pay for IPv6 keys. Only the writer touches it.
 *
 * Also the lookup tables' memory: anonymous mappings, on transparent huge
 * pages where the kernel has them (32 page faults instead of 16384 for a
 * full 64 MiB table, and far fewer TLB misses on lookups).
 */
#ifndef NL_LPM_RULES_H
#define NL_LPM_RULES_H

#include <stddef.h>
#include <stdint.h>

#define LPM_RULE_NONE UINT32_MAX
#define LPM_RULES_MIN 64u

struct lpm_rule {
	uint8_t used;
	uint8_t depth;
	uint16_t nh;
	uint8_t prefix[]; /* klen bytes */
};

#define LPM_RULE_HDR sizeof(struct lpm_rule)

struct lpm_rules {
	uint8_t *slots; /* mask + 1 slots of stride bytes */
	uint32_t mask;
	uint32_t count;
	uint16_t stride;
	uint8_t klen;
};

static inline struct lpm_rule *
lpm_rules_at(const struct lpm_rules *s, uint32_t i)
{
	return (struct lpm_rule *)(void *)(s->slots + (size_t)i * s->stride);
}

/* An empty set of @klen-byte prefixes: 0, or -ENOMEM. */
int lpm_rules_init(struct lpm_rules *s, uint8_t klen);
void lpm_rules_fini(struct lpm_rules *s);

/* Slot of @prefix/@depth, or LPM_RULE_NONE. */
uint32_t lpm_rules_find(const struct lpm_rules *s, const void *prefix, uint8_t depth);

/* Add @prefix/@depth, known to be absent, with next hop @nh: 0, or -ENOMEM. */
int lpm_rules_add(struct lpm_rules *s, const void *prefix, uint8_t depth, uint16_t nh);

/* Remove the rule in slot @i (from lpm_rules_find()). */
void lpm_rules_remove(struct lpm_rules *s, uint32_t i);

/* Zeroed memory for a lookup table, NULL on failure; freed by lpm_table_free(). */
void *lpm_table_alloc(size_t size);
void lpm_table_free(void *p, size_t size);

/* The only way a writer changes an entry readers may be loading: one store. */
static inline void
lpm_entry_set(uint32_t *e, uint32_t val)
{
	__atomic_store_n(e, val, __ATOMIC_RELAXED);
}

static inline uint32_t
lpm_entry_get(const uint32_t *e)
{
	return __atomic_load_n(e, __ATOMIC_RELAXED);
}

#endif /* NL_LPM_RULES_H */
