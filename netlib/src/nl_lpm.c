/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_lpm.c — DIR-24-8 longest-prefix match (see nl_lpm.h for the layout).
 *
 * A table entry is 32 bits:
 *
 *   31     30    29..24   23..0
 *   VALID  EXT   depth    next hop, or tbl8 group index when EXT
 *
 * EXT is only ever set in tbl24. Besides the two tables, the prefixes
 * themselves are kept in a small hash table (the "rules", nl_lpm_rules.c):
 * adding needs it to refuse duplicates, deleting needs it to find the prefix
 * that takes over.
 *
 * Changes while lookups run (one writer, any number of readers, no lock):
 *
 *  - every entry is written with one 32-bit atomic store, once, with its
 *    final value: a reader sees for each address either the entry before the
 *    change or the one after it, never a torn or intermediate one;
 *  - a new group is filled completely (a copy of the tbl24 entry it
 *    replaces, then the new prefix) before the tbl24 entry pointing to it is
 *    stored with release order; a reader that follows the pointer reads the
 *    group's entries through that dependency;
 *  - a group given up (its last prefix longer than /24 deleted) is first
 *    unlinked from tbl24 and left as it was: a reader that loaded the old
 *    tbl24 entry just before still reads valid entries from it. It goes on a
 *    pending list, not the free list, until nl_lpm_reclaim(), which the
 *    writer calls once no reader can still hold the old tbl24 entry (after a
 *    grace period: netlib's nl_quiesce()).
 *
 * The rules hash, the free and pending lists belong to the writer alone.
 * tbl24 and tbl8 are mapped with MADV_HUGEPAGE where the kernel offers
 * transparent huge pages: 32 page faults instead of 16384 for a full tbl24,
 * and far fewer TLB misses on lookups.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nl_lpm.h"
#include "nl_lpm_rules.h"

#define E_VALID (1u << 31)
#define E_EXT (1u << 30)
#define E_DEPTH_SHIFT 24
#define E_DEPTH(e) (((e) >> E_DEPTH_SHIFT) & 0x3fu)
#define E_VAL(e) ((e) & 0xffffffu)

#define TBL24_ENTRIES (1u << 24)
#define TBL8_ENTRIES 256u

struct nl_lpm {
	uint32_t *tbl24;       /* TBL24_ENTRIES entries */
	uint32_t *tbl8;        /* max_tbl8 groups of TBL8_ENTRIES */
	uint32_t *free_groups; /* stack of unused group indexes */
	uint32_t nb_free;
	uint32_t *pending;     /* groups unlinked since the last nl_lpm_reclaim() */
	uint32_t nb_pending;
	uint32_t max_tbl8;
	struct lpm_rules rules; /* 4-byte prefixes in host order */
};

static inline uint32_t
lpm_mask(uint8_t depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

static inline uint32_t *
lpm_group(const struct nl_lpm *lpm, uint32_t g)
{
	return lpm->tbl8 + (size_t)g * TBL8_ENTRIES;
}

static size_t
tbl8_size(uint32_t max_tbl8)
{
	return (size_t)max_tbl8 * TBL8_ENTRIES * sizeof(uint32_t);
}

/* Slot of rule @prefix/@depth, or LPM_RULE_NONE. */
static uint32_t
rule_find(const struct nl_lpm *lpm, uint32_t prefix, uint8_t depth)
{
	return lpm_rules_find(&lpm->rules, &prefix, depth);
}

static uint16_t
rule_nh(const struct nl_lpm *lpm, uint32_t slot)
{
	return lpm_rules_at(&lpm->rules, slot)->nh;
}

/*
 * Whether entry @e gets overwritten: when adding a prefix of length @depth,
 * entries that are empty or come from a shorter prefix; when deleting it,
 * entries that this very prefix wrote (no other prefix of the same length
 * covers the same addresses).
 */
static inline bool
entry_selected(uint32_t e, uint8_t depth, bool del)
{
	if (del)
		return (e & E_VALID) && E_DEPTH(e) == depth;
	return !(e & E_VALID) || E_DEPTH(e) < depth;
}

static void
fill_tbl8(uint32_t *tbl, uint32_t n, uint8_t depth, uint32_t val, bool del)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (entry_selected(tbl[i], depth, del))
			lpm_entry_set(&tbl[i], val);
}

static void
fill_tbl24(struct nl_lpm *lpm, uint32_t first, uint32_t n, uint8_t depth, uint32_t val, bool del)
{
	uint32_t i, e;

	for (i = first; i < first + n; i++) {
		e = lpm->tbl24[i];
		if (e & E_EXT)
			fill_tbl8(lpm_group(lpm, E_VAL(e)), TBL8_ENTRIES, depth, val, del);
		else if (entry_selected(e, depth, del))
			lpm_entry_set(&lpm->tbl24[i], val);
	}
}

/* Entry of the longest prefix shorter than @depth covering @ip, or 0 (empty). */
static uint32_t
covering_entry(const struct nl_lpm *lpm, uint32_t ip, uint8_t depth)
{
	uint32_t slot;
	int d;

	for (d = (int)depth - 1; d >= 0; d--) {
		slot = rule_find(lpm, ip & lpm_mask((uint8_t)d), (uint8_t)d);
		if (slot != LPM_RULE_NONE)
			return E_VALID | (uint32_t)d << E_DEPTH_SHIFT | rule_nh(lpm, slot);
	}
	return 0;
}

/*
 * Unlink tbl24 entry @i24's group once no prefix longer than /24 uses it; the
 * group stays intact for readers and waits on the pending list.
 */
static void
group_recycle(struct nl_lpm *lpm, uint32_t i24)
{
	uint32_t g = E_VAL(lpm->tbl24[i24]);
	uint32_t *grp = lpm_group(lpm, g);
	uint32_t j;

	for (j = 0; j < TBL8_ENTRIES; j++)
		if ((grp[j] & E_VALID) && E_DEPTH(grp[j]) > 24)
			return;
	/* What is left all comes from the same prefix <= /24 (or none). */
	__atomic_store_n(&lpm->tbl24[i24], grp[0], __ATOMIC_RELEASE);
	lpm->pending[lpm->nb_pending++] = g;
}

struct nl_lpm *
nl_lpm_create(uint32_t max_tbl8)
{
	struct nl_lpm *lpm;
	uint32_t g;
	int rc;

	if (max_tbl8 > NL_LPM_MAX_TBL8) {
		errno = EINVAL;
		return NULL;
	}
	lpm = calloc(1, sizeof(*lpm));
	if (lpm == NULL)
		return NULL;
	lpm->max_tbl8 = max_tbl8;
	lpm->tbl24 = lpm_table_alloc(TBL24_ENTRIES * sizeof(uint32_t));
	rc = lpm_rules_init(&lpm->rules, sizeof(uint32_t));
	if (max_tbl8 > 0) {
		lpm->tbl8 = lpm_table_alloc(tbl8_size(max_tbl8));
		lpm->free_groups = calloc(max_tbl8, sizeof(uint32_t));
		lpm->pending = calloc(max_tbl8, sizeof(uint32_t));
	}
	if (lpm->tbl24 == NULL || rc < 0 ||
	    (max_tbl8 > 0 && (lpm->tbl8 == NULL || lpm->free_groups == NULL ||
			      lpm->pending == NULL))) {
		nl_lpm_free(lpm);
		errno = ENOMEM;
		return NULL;
	}
	for (g = 0; g < max_tbl8; g++)
		lpm->free_groups[g] = max_tbl8 - 1 - g;
	lpm->nb_free = max_tbl8;
	return lpm;
}

void
nl_lpm_free(struct nl_lpm *lpm)
{
	if (lpm == NULL)
		return;
	lpm_table_free(lpm->tbl24, TBL24_ENTRIES * sizeof(uint32_t));
	lpm_table_free(lpm->tbl8, tbl8_size(lpm->max_tbl8));
	free(lpm->free_groups);
	free(lpm->pending);
	lpm_rules_fini(&lpm->rules);
	free(lpm);
}

int
nl_lpm_add(struct nl_lpm *lpm, uint32_t ip, uint8_t depth, uint16_t nh)
{
	uint32_t val, i24, e, g, *grp, j;
	int rc;

	if (depth > 32)
		return -EINVAL;
	ip &= lpm_mask(depth);
	if (rule_find(lpm, ip, depth) != LPM_RULE_NONE)
		return -EEXIST;
	i24 = ip >> 8;
	if (depth > 24 && !(lpm->tbl24[i24] & E_EXT) && lpm->nb_free == 0)
		return -ENOSPC;
	rc = lpm_rules_add(&lpm->rules, &ip, depth, nh);
	if (rc < 0)
		return rc;

	val = E_VALID | (uint32_t)depth << E_DEPTH_SHIFT | nh;
	if (depth <= 24) {
		fill_tbl24(lpm, i24, 1u << (24 - depth), depth, val, false);
		return 0;
	}
	e = lpm->tbl24[i24];
	if (e & E_EXT) {
		fill_tbl8(lpm_group(lpm, E_VAL(e)) + (ip & 0xff), 1u << (32 - depth), depth, val,
			  false);
		return 0;
	}
	/* First long prefix in this /24: a group starts as a copy of the tbl24 entry. */
	g = lpm->free_groups[--lpm->nb_free];
	grp = lpm_group(lpm, g);
	for (j = 0; j < TBL8_ENTRIES; j++)
		lpm_entry_set(&grp[j], e);
	fill_tbl8(grp + (ip & 0xff), 1u << (32 - depth), depth, val, false);
	__atomic_store_n(&lpm->tbl24[i24], E_VALID | E_EXT | g, __ATOMIC_RELEASE);
	return 0;
}

int
nl_lpm_del(struct nl_lpm *lpm, uint32_t ip, uint8_t depth)
{
	uint32_t slot, val, i24;

	if (depth > 32)
		return -EINVAL;
	ip &= lpm_mask(depth);
	slot = rule_find(lpm, ip, depth);
	if (slot == LPM_RULE_NONE)
		return -ENOENT;
	lpm_rules_remove(&lpm->rules, slot);

	val = covering_entry(lpm, ip, depth);
	i24 = ip >> 8;
	if (depth <= 24) {
		fill_tbl24(lpm, i24, 1u << (24 - depth), depth, val, true);
		return 0;
	}
	fill_tbl8(lpm_group(lpm, E_VAL(lpm->tbl24[i24])) + (ip & 0xff), 1u << (32 - depth),
		  depth, val, true);
	group_recycle(lpm, i24);
	return 0;
}

int
nl_lpm_replace(struct nl_lpm *lpm, uint32_t ip, uint8_t depth, uint16_t nh)
{
	uint32_t slot, val, i24, e;

	if (depth > 32)
		return -EINVAL;
	ip &= lpm_mask(depth);
	slot = rule_find(lpm, ip, depth);
	if (slot == LPM_RULE_NONE)
		return -ENOENT;
	lpm_rules_at(&lpm->rules, slot)->nh = nh;
	/* The entries of this very prefix: those of its length in its range. */
	val = E_VALID | (uint32_t)depth << E_DEPTH_SHIFT | nh;
	i24 = ip >> 8;
	if (depth <= 24) {
		fill_tbl24(lpm, i24, 1u << (24 - depth), depth, val, true);
		return 0;
	}
	e = lpm->tbl24[i24];
	fill_tbl8(lpm_group(lpm, E_VAL(e)) + (ip & 0xff), 1u << (32 - depth), depth, val, true);
	return 0;
}

int
nl_lpm_rule_get(const struct nl_lpm *lpm, uint32_t ip, uint8_t depth, uint16_t *nh)
{
	uint32_t slot;

	if (depth > 32)
		return -EINVAL;
	slot = rule_find(lpm, ip & lpm_mask(depth), depth);
	if (slot == LPM_RULE_NONE)
		return -ENOENT;
	*nh = rule_nh(lpm, slot);
	return 0;
}

/* The entry that answers @ip: tbl24's, or the one in its group. */
static inline uint32_t
entry_of(const struct nl_lpm *lpm, uint32_t ip)
{
	uint32_t e = lpm_entry_get(&lpm->tbl24[ip >> 8]);

	if (e & E_EXT)
		e = lpm_entry_get(&lpm_group(lpm, E_VAL(e))[ip & 0xff]);
	return e;
}

int
nl_lpm_lookup(const struct nl_lpm *lpm, uint32_t ip, uint16_t *nh)
{
	uint32_t e = entry_of(lpm, ip);

	if (!(e & E_VALID))
		return -ENOENT;
	*nh = (uint16_t)e;
	return 0;
}

int
nl_lpm_match(const struct nl_lpm *lpm, uint32_t ip, uint8_t *depth, uint16_t *nh)
{
	uint32_t e = entry_of(lpm, ip);

	if (!(e & E_VALID))
		return -ENOENT;
	*depth = (uint8_t)E_DEPTH(e);
	*nh = (uint16_t)e;
	return 0;
}

int
nl_lpm_lookup_burst(const struct nl_lpm *lpm, const uint32_t *ips, uint16_t *nhs,
		    unsigned int n, uint64_t *hit_mask)
{
	uint32_t idx[NL_LPM_BURST_MAX], e[NL_LPM_BURST_MAX];
	uint64_t mask = 0;
	unsigned int i;

	if (n > NL_LPM_BURST_MAX)
		return -EINVAL;
	/*
	 * Three short loops without dependencies between iterations, so the
	 * CPU keeps many tbl24 misses in flight; the tbl8 branch is rare.
	 */
	for (i = 0; i < n; i++)
		idx[i] = ips[i] >> 8;
	for (i = 0; i < n; i++) {
		e[i] = lpm_entry_get(&lpm->tbl24[idx[i]]);
		if (__builtin_expect((e[i] & E_EXT) != 0, 0))
			e[i] = lpm_entry_get(&lpm_group(lpm, E_VAL(e[i]))[ips[i] & 0xff]);
	}
	for (i = 0; i < n; i++) {
		nhs[i] = (uint16_t)e[i];
		mask |= (uint64_t)(e[i] >> 31) << i; /* E_VALID */
	}
	*hit_mask = mask;
	return __builtin_popcountll(mask);
}

uint32_t
nl_lpm_count(const struct nl_lpm *lpm)
{
	return lpm->rules.count;
}

uint32_t
nl_lpm_pending(const struct nl_lpm *lpm)
{
	return lpm->nb_pending;
}

void
nl_lpm_reclaim(struct nl_lpm *lpm)
{
	while (lpm->nb_pending > 0)
		lpm->free_groups[lpm->nb_free++] = lpm->pending[--lpm->nb_pending];
}

uint32_t
nl_lpm_free_groups(const struct nl_lpm *lpm)
{
	return lpm->nb_free;
}

int
nl_lpm_foreach(const struct nl_lpm *lpm, nl_lpm_walk_fn fn, void *arg)
{
	uint32_t i, prefix;
	int rc;

	for (i = 0; i <= lpm->rules.mask; i++) {
		const struct lpm_rule *r = lpm_rules_at(&lpm->rules, i);

		if (!r->used)
			continue;
		memcpy(&prefix, r->prefix, sizeof(prefix));
		if ((rc = fn(prefix, r->depth, r->nh, arg)) != 0)
			return rc;
	}
	return 0;
}
