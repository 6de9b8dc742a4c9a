/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_lpm6.c — IPv6 longest-prefix match (see nl_lpm6.h for the layout).
 *
 * A table entry is 32 bits:
 *
 *   31     30    29..22   21..0
 *   VALID  EXT   depth    next hop, or group index when EXT
 *
 * The prefixes themselves are kept in a hash table (the "rules",
 * nl_lpm_rules.c, shared with nl_lpm.c): adding needs it to refuse duplicates, deleting needs it to find
 * the prefix that takes over the deleted one's addresses.
 *
 * Changes while lookups run (one writer, any number of readers, no lock)
 * follow nl_lpm.c: every entry is written once with one atomic store and its
 * final value; the groups an add creates are filled completely (a copy of
 * the entry they replace, the next group's link, the new prefix) while no
 * reader can reach them, then the one entry of the live trie that links the
 * first of them is stored with release order; a group given up is unlinked
 * (its parent entry gets the value all its entries share) and waits on the
 * pending list, intact, until nl_lpm6_reclaim().
 *
 * Invariant: a group exists only while some prefix longer than its level's
 * base (8 * k for the group reached through byte k) lies under it. So when
 * a group holds no link and no entry longer than its base, all its entries
 * come from one shorter prefix (or none) and are equal.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nl_lpm6.h"
#include "nl_lpm_rules.h"

#define E_VALID (1u << 31)
#define E_EXT (1u << 30)
#define E_DEPTH_SHIFT 22
#define E_DEPTH(e) (((e) >> E_DEPTH_SHIFT) & 0xffu)
#define E_VAL(e) ((e) & 0x3fffffu)

#define TBL16_ENTRIES (1u << 16)
#define GROUP_ENTRIES 256u
#define FIRST_BYTES 2u   /* bytes that index tbl16 */
#define FIRST_DEPTH 16u  /* longest prefix tbl16 answers alone */

struct nl_lpm6 {
	uint32_t *tbl16;       /* TBL16_ENTRIES entries */
	uint32_t *groups;      /* max_groups groups of GROUP_ENTRIES */
	uint32_t *free_groups; /* stack of unused group indexes */
	uint32_t nb_free;
	uint32_t *pending;     /* groups unlinked since the last nl_lpm6_reclaim() */
	uint32_t nb_pending;
	uint32_t max_groups;
	struct lpm_rules rules; /* 16-byte prefixes */
};

static inline uint32_t *
group_of(const struct nl_lpm6 *lpm, uint32_t g)
{
	return lpm->groups + (size_t)g * GROUP_ENTRIES;
}

static inline uint32_t
tbl16_index(const uint8_t ip[16])
{
	return (uint32_t)ip[0] << 8 | ip[1];
}

static size_t
groups_size(uint32_t max_groups)
{
	return (size_t)max_groups * GROUP_ENTRIES * sizeof(uint32_t);
}

void
nl_lpm6_mask(uint8_t out[16], const uint8_t ip[16], uint8_t depth)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (depth >= 8 * (i + 1))
			out[i] = ip[i];
		else if (depth > 8 * i)
			out[i] = ip[i] & (uint8_t)(0xff00u >> (depth - 8 * i));
		else
			out[i] = 0;
	}
}

/* Slot of rule @prefix/@depth, or LPM_RULE_NONE. */
static uint32_t
rule_find(const struct nl_lpm6 *lpm, const uint8_t prefix[16], uint8_t depth)
{
	return lpm_rules_find(&lpm->rules, prefix, depth);
}

static uint16_t
rule_nh(const struct nl_lpm6 *lpm, uint32_t slot)
{
	return lpm_rules_at(&lpm->rules, slot)->nh;
}

/*
 * Whether entry @e gets overwritten: when adding a prefix of length @depth,
 * entries that are empty or come from a shorter prefix; when deleting it,
 * the entries this very prefix wrote.
 */
static inline bool
entry_selected(uint32_t e, uint8_t depth, bool del)
{
	if (del)
		return (e & E_VALID) && E_DEPTH(e) == depth;
	return !(e & E_VALID) || E_DEPTH(e) < depth;
}

/* Write @val into the @n entries at @tbl selected for @depth, down through links. */
static void
fill(struct nl_lpm6 *lpm, uint32_t *tbl, uint32_t n, uint8_t depth, uint32_t val, bool del)
{
	uint32_t i, e;

	for (i = 0; i < n; i++) {
		e = tbl[i];
		if (e & E_EXT)
			fill(lpm, group_of(lpm, E_VAL(e)), GROUP_ENTRIES, depth, val, del);
		else if (entry_selected(e, depth, del))
			lpm_entry_set(&tbl[i], val);
	}
}

/* Entry of the longest prefix shorter than @depth covering @ip, or 0 (empty). */
static uint32_t
covering_entry(const struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth)
{
	uint8_t p[16];
	uint32_t slot;
	int d;

	for (d = (int)depth - 1; d >= 0; d--) {
		nl_lpm6_mask(p, ip, (uint8_t)d);
		slot = rule_find(lpm, p, (uint8_t)d);
		if (slot != LPM_RULE_NONE)
			return E_VALID | (uint32_t)d << E_DEPTH_SHIFT | rule_nh(lpm, slot);
	}
	return 0;
}

/* Index of the byte whose group holds the entries of a prefix of @depth > 16. */
static inline unsigned int
last_byte(uint8_t depth)
{
	return (depth - 1u) / 8u;
}

/* Groups an add of @p/@depth would create: one per missing link on its path. */
static uint32_t
groups_needed(const struct nl_lpm6 *lpm, const uint8_t p[16], uint8_t depth)
{
	unsigned int k, last;
	uint32_t e;

	if (depth <= FIRST_DEPTH)
		return 0;
	last = last_byte(depth);
	e = lpm->tbl16[tbl16_index(p)];
	for (k = FIRST_BYTES; k <= last; k++) {
		if (!(e & E_EXT))
			return last - k + 1;
		e = group_of(lpm, E_VAL(e))[p[k]];
	}
	return 0;
}

struct nl_lpm6 *
nl_lpm6_create(uint32_t max_groups)
{
	struct nl_lpm6 *lpm;
	uint32_t g;
	int rc;

	if (max_groups > NL_LPM6_MAX_GROUPS) {
		errno = EINVAL;
		return NULL;
	}
	lpm = calloc(1, sizeof(*lpm));
	if (lpm == NULL)
		return NULL;
	lpm->max_groups = max_groups;
	lpm->tbl16 = lpm_table_alloc(TBL16_ENTRIES * sizeof(uint32_t));
	rc = lpm_rules_init(&lpm->rules, 16);
	if (max_groups > 0) {
		lpm->groups = lpm_table_alloc(groups_size(max_groups));
		lpm->free_groups = calloc(max_groups, sizeof(uint32_t));
		lpm->pending = calloc(max_groups, sizeof(uint32_t));
	}
	if (lpm->tbl16 == NULL || rc < 0 ||
	    (max_groups > 0 && (lpm->groups == NULL || lpm->free_groups == NULL ||
				lpm->pending == NULL))) {
		nl_lpm6_free(lpm);
		errno = ENOMEM;
		return NULL;
	}
	for (g = 0; g < max_groups; g++)
		lpm->free_groups[g] = max_groups - 1 - g;
	lpm->nb_free = max_groups;
	return lpm;
}

void
nl_lpm6_free(struct nl_lpm6 *lpm)
{
	if (lpm == NULL)
		return;
	lpm_table_free(lpm->tbl16, TBL16_ENTRIES * sizeof(uint32_t));
	lpm_table_free(lpm->groups, groups_size(lpm->max_groups));
	free(lpm->free_groups);
	free(lpm->pending);
	lpm_rules_fini(&lpm->rules);
	free(lpm);
}

int
nl_lpm6_add(struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth, uint16_t nh)
{
	uint32_t val, e, g, *slot, *grp, *link = NULL, link_val = 0, j;
	unsigned int k, last;
	uint8_t p[16];
	int rc;

	if (depth > 128)
		return -EINVAL;
	nl_lpm6_mask(p, ip, depth);
	if (rule_find(lpm, p, depth) != LPM_RULE_NONE)
		return -EEXIST;
	if (groups_needed(lpm, p, depth) > lpm->nb_free)
		return -ENOSPC;
	rc = lpm_rules_add(&lpm->rules, p, depth, nh);
	if (rc < 0)
		return rc;

	val = E_VALID | (uint32_t)depth << E_DEPTH_SHIFT | nh;
	slot = &lpm->tbl16[tbl16_index(p)];
	if (depth <= FIRST_DEPTH) {
		fill(lpm, slot, 1u << (FIRST_DEPTH - depth), depth, val, false);
		return 0;
	}
	last = last_byte(depth);
	for (k = FIRST_BYTES; k <= last; k++) {
		e = *slot;
		if (e & E_EXT) {
			grp = group_of(lpm, E_VAL(e));
		} else {
			/* A new group starts as a copy of the entry it replaces. */
			g = lpm->free_groups[--lpm->nb_free];
			grp = group_of(lpm, g);
			for (j = 0; j < GROUP_ENTRIES; j++)
				lpm_entry_set(&grp[j], e);
			if (link == NULL) { /* the first new group: linked in last */
				link = slot;
				link_val = E_VALID | E_EXT | g;
			} else { /* inside a new group no reader reaches yet */
				lpm_entry_set(slot, E_VALID | E_EXT | g);
			}
		}
		slot = &grp[p[k]];
	}
	fill(lpm, slot, 1u << (8 * (last + 1) - depth), depth, val, false);
	if (link != NULL)
		__atomic_store_n(link, link_val, __ATOMIC_RELEASE);
	return 0;
}

/* Whether the group reached through byte @k can go: no link, nothing longer than 8k. */
static bool
group_unused(const uint32_t *grp, unsigned int k)
{
	uint32_t j;

	for (j = 0; j < GROUP_ENTRIES; j++)
		if ((grp[j] & E_EXT) || ((grp[j] & E_VALID) && E_DEPTH(grp[j]) > 8 * k))
			return false;
	return true;
}

int
nl_lpm6_del(struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth)
{
	uint32_t *parent[16], *slot, *grp, slot_id, val;
	unsigned int k, last;
	uint8_t p[16];

	if (depth > 128)
		return -EINVAL;
	nl_lpm6_mask(p, ip, depth);
	slot_id = rule_find(lpm, p, depth);
	if (slot_id == LPM_RULE_NONE)
		return -ENOENT;
	lpm_rules_remove(&lpm->rules, slot_id);

	val = covering_entry(lpm, p, depth);
	slot = &lpm->tbl16[tbl16_index(p)];
	if (depth <= FIRST_DEPTH) {
		fill(lpm, slot, 1u << (FIRST_DEPTH - depth), depth, val, true);
		return 0;
	}
	/* The prefix's groups all exist: parent[k] is the entry linking byte k's group. */
	last = last_byte(depth);
	for (k = FIRST_BYTES; k <= last; k++) {
		parent[k] = slot;
		slot = &group_of(lpm, E_VAL(*slot))[p[k]];
	}
	fill(lpm, slot, 1u << (8 * (last + 1) - depth), depth, val, true);
	/* Give up the groups left without a longer prefix, deepest first. */
	for (k = last; k >= FIRST_BYTES; k--) {
		grp = group_of(lpm, E_VAL(*parent[k]));
		if (!group_unused(grp, k))
			break;
		lpm->pending[lpm->nb_pending++] = E_VAL(*parent[k]);
		__atomic_store_n(parent[k], grp[0], __ATOMIC_RELEASE);
	}
	return 0;
}

int
nl_lpm6_replace(struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth, uint16_t nh)
{
	uint32_t *slot, slot_id, val;
	unsigned int k, last;
	uint8_t p[16];

	if (depth > 128)
		return -EINVAL;
	nl_lpm6_mask(p, ip, depth);
	slot_id = rule_find(lpm, p, depth);
	if (slot_id == LPM_RULE_NONE)
		return -ENOENT;
	lpm_rules_at(&lpm->rules, slot_id)->nh = nh;
	/* The entries of this very prefix: those of its length in its range. */
	val = E_VALID | (uint32_t)depth << E_DEPTH_SHIFT | nh;
	slot = &lpm->tbl16[tbl16_index(p)];
	if (depth <= FIRST_DEPTH) {
		fill(lpm, slot, 1u << (FIRST_DEPTH - depth), depth, val, true);
		return 0;
	}
	last = last_byte(depth); /* the prefix's groups all exist */
	for (k = FIRST_BYTES; k <= last; k++)
		slot = &group_of(lpm, E_VAL(*slot))[p[k]];
	fill(lpm, slot, 1u << (8 * (last + 1) - depth), depth, val, true);
	return 0;
}

int
nl_lpm6_rule_get(const struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t depth,
		 uint16_t *nh)
{
	uint8_t p[16];
	uint32_t slot;

	if (depth > 128)
		return -EINVAL;
	nl_lpm6_mask(p, ip, depth);
	slot = rule_find(lpm, p, depth);
	if (slot == LPM_RULE_NONE)
		return -ENOENT;
	*nh = rule_nh(lpm, slot);
	return 0;
}

/* The entry that answers @ip: tbl16's, or one in the groups below it. */
static inline uint32_t
entry_of(const struct nl_lpm6 *lpm, const uint8_t ip[16])
{
	uint32_t e = lpm_entry_get(&lpm->tbl16[tbl16_index(ip)]);
	unsigned int k = FIRST_BYTES;

	while ((e & E_EXT) && k < 16)
		e = lpm_entry_get(&group_of(lpm, E_VAL(e))[ip[k++]]);
	return e;
}

int
nl_lpm6_lookup(const struct nl_lpm6 *lpm, const uint8_t ip[16], uint16_t *nh)
{
	uint32_t e = entry_of(lpm, ip);

	if (!(e & E_VALID))
		return -ENOENT;
	*nh = (uint16_t)e;
	return 0;
}

int
nl_lpm6_match(const struct nl_lpm6 *lpm, const uint8_t ip[16], uint8_t *depth, uint16_t *nh)
{
	uint32_t e = entry_of(lpm, ip);

	if (!(e & E_VALID))
		return -ENOENT;
	*depth = (uint8_t)E_DEPTH(e);
	*nh = (uint16_t)e;
	return 0;
}

int
nl_lpm6_lookup_burst(const struct nl_lpm6 *lpm, const uint8_t (*ips)[16], uint16_t *nhs,
		     unsigned int n, uint64_t *hit_mask)
{
	uint32_t e[NL_LPM6_BURST_MAX];
	uint64_t mask = 0;
	unsigned int i, k;

	if (n > NL_LPM6_BURST_MAX)
		return -EINVAL;
	/* First levels of all addresses, independent loads the CPU overlaps; then the rest. */
	for (i = 0; i < n; i++)
		e[i] = lpm_entry_get(&lpm->tbl16[tbl16_index(ips[i])]);
	for (i = 0; i < n; i++) {
		for (k = FIRST_BYTES; (e[i] & E_EXT) && k < 16; k++)
			e[i] = lpm_entry_get(&group_of(lpm, E_VAL(e[i]))[ips[i][k]]);
		nhs[i] = (uint16_t)e[i];
		mask |= (uint64_t)(e[i] >> 31) << i; /* E_VALID */
	}
	*hit_mask = mask;
	return __builtin_popcountll(mask);
}

uint32_t
nl_lpm6_count(const struct nl_lpm6 *lpm)
{
	return lpm->rules.count;
}

uint32_t
nl_lpm6_pending(const struct nl_lpm6 *lpm)
{
	return lpm->nb_pending;
}

void
nl_lpm6_reclaim(struct nl_lpm6 *lpm)
{
	while (lpm->nb_pending > 0)
		lpm->free_groups[lpm->nb_free++] = lpm->pending[--lpm->nb_pending];
}

uint32_t
nl_lpm6_free_groups(const struct nl_lpm6 *lpm)
{
	return lpm->nb_free;
}

int
nl_lpm6_foreach(const struct nl_lpm6 *lpm, nl_lpm6_walk_fn fn, void *arg)
{
	uint32_t i;
	int rc;

	for (i = 0; i <= lpm->rules.mask; i++) {
		const struct lpm_rule *r = lpm_rules_at(&lpm->rules, i);

		if (r->used && (rc = fn(r->prefix, r->depth, r->nh, arg)) != 0)
			return rc;
	}
	return 0;
}
