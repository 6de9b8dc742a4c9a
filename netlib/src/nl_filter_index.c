/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter_index.c — an index that lets a packet skip the rules that cannot
 * match it.
 *
 * For each indexable field (destination and source address, destination
 * and source port, protocol) every rule is asked which range of the field
 * its pattern requires: a word test on the field reached from the root
 * through "and", "or" (when all branches require one) and primitives only,
 * comparing with "=" under a prefix mask, or with "<" / ">". The field whose
 * ranges split the rules best becomes the index: its values are cut into
 * intervals at every range boundary and each interval lists, in rule order,
 * the rules that may match there (required range overlaps, or none
 * required). A packet whose header holds the field looks up its interval
 * (binary search) and runs only those rules' programs; a packet without
 * that header at all runs the rules that require nothing of the field
 * (their other tests would be short); a packet with a partial header runs
 * every rule. Results are therefore exactly those of trying every rule.
 */
#include <stdlib.h>
#include <string.h>

#include "nl_filter_priv.h"

/* An indexable field. */
struct dim {
	uint8_t base, shift;
	uint16_t off;
	uint32_t mask;
};

static const struct dim dims[] = {
	{ NLF_IP4, 0, 16, 0xffffffffu },   /* destination address */
	{ NLF_IP4, 0, 12, 0xffffffffu },   /* source address */
	{ NLF_TRANSP, 0, 0, 0x0000ffffu }, /* destination port */
	{ NLF_TRANSP, 16, 0, 0xffff0000u },/* source port */
	{ NLF_META, 24, 0, 0xff000000u },  /* protocol */
};
#define NDIMS (sizeof(dims) / sizeof(dims[0]))

#define MAX_WALK_DEPTH 256
#define MAX_ENTRIES_PER_RULE 64u /* memory cap: lists hold at most this * rules + 2^20 */

struct range {
	uint32_t lo, hi;
	int set;
};

struct nlf_ranges {
	uint32_t n;
	struct range *r[NDIMS];
};

/* Create room for the field ranges of @nrules rules; NULL when out of memory. */
struct nlf_ranges *
nlf_ranges_new(uint32_t nrules)
{
	struct nlf_ranges *r = calloc(1, sizeof(*r));
	size_t d;

	if (!r)
		return NULL;
	r->n = nrules;
	for (d = 0; d < NDIMS; d++)
		if (!(r->r[d] = calloc(nrules ? nrules : 1, sizeof(struct range)))) {
			nlf_ranges_free(r);
			return NULL;
		}
	return r;
}

/* Free @r (NULL allowed); it cannot fail. */
void
nlf_ranges_free(struct nlf_ranges *r)
{
	size_t d;

	if (!r)
		return;
	for (d = 0; d < NDIMS; d++)
		free(r->r[d]);
	free(r);
}

/* The range a true word test @nd requires of field @d, if it says one. */
static struct range
test_range(const struct nlf_node *nd, const struct dim *d)
{
	struct range no = { 0, 0, 0 }, r = { 0, 0, 1 };
	uint32_t max = d->mask >> d->shift, fm, v, free_bits;

	if (nd->base != d->base || nd->off != d->off || !nd->mask || (nd->mask & ~d->mask))
		return no;
	fm = nd->mask >> d->shift;
	v = nd->val >> d->shift;
	if (nd->val & ~nd->mask)
		return no; /* never true; leave it to the program */
	if (nd->op == NLF_EQ) {
		free_bits = ~fm & max;
		if (free_bits & (free_bits + 1))
			return no; /* not a prefix mask */
		r.lo = v;
		r.hi = v | free_bits;
		return r;
	}
	if (fm != max)
		return no;
	if (nd->op == NLF_GT && v < max) {
		r.lo = v + 1;
		r.hi = max;
		return r;
	}
	if (nd->op == NLF_LT && v > 0) {
		r.lo = 0;
		r.hi = v - 1;
		return r;
	}
	return no;
}

static struct range
node_range(const struct nlf_tree *t, int32_t n, const struct dim *d, int depth)
{
	const struct nlf_node *nd = &t->v[n];
	struct range no = { 0, 0, 0 }, acc = no, k;
	int32_t c;

	if (depth > MAX_WALK_DEPTH)
		return no;
	switch (nd->kind) {
	case NLF_TEST:
		return test_range(nd, d);
	case NLF_PRIM:
		return node_range(t, nd->kid[0], d, depth + 1);
	case NLF_AND: /* any required range holds; keep the narrowest overlap */
		for (c = nd->kid[0]; c >= 0; c = t->v[c].next) {
			k = node_range(t, c, d, depth + 1);
			if (!k.set)
				continue;
			if (!acc.set)
				acc = k;
			else if (k.lo <= acc.hi && acc.lo <= k.hi) {
				acc.lo = k.lo > acc.lo ? k.lo : acc.lo;
				acc.hi = k.hi < acc.hi ? k.hi : acc.hi;
			}
		}
		return acc;
	case NLF_OR: /* every branch must require one: their hull */
		for (c = nd->kid[0]; c >= 0; c = t->v[c].next) {
			k = node_range(t, c, d, depth + 1);
			if (!k.set)
				return no;
			if (!acc.set)
				acc = k;
			acc.lo = k.lo < acc.lo ? k.lo : acc.lo;
			acc.hi = k.hi > acc.hi ? k.hi : acc.hi;
		}
		return acc;
	}
	return no;
}

/* Record which range of each indexable field rule @rule (tree @t, @root) requires. */
void
nlf_ranges_note(struct nlf_ranges *r, uint32_t rule, const struct nlf_tree *t, int32_t root)
{
	size_t d;

	for (d = 0; d < NDIMS; d++)
		r->r[d][rule] = node_range(t, root, &dims[d], 0);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Index of the interval holding @v: the last bound <= v. */
static uint32_t
find(const uint32_t *lo, uint32_t n, uint32_t v)
{
	uint32_t a = 0, b = n; /* lo[a] <= v < lo[b] */

	while (b - a > 1) {
		uint32_t m = a + (b - a) / 2;

		if (lo[m] <= v)
			a = m;
		else
			b = m;
	}
	return a;
}

/* Interval bounds of field @d: 0 and every lo and hi + 1, sorted, unique. */
static uint32_t *
bounds(const struct nlf_ranges *r, size_t d, uint32_t *nout)
{
	uint32_t *lo = malloc((2 * (size_t)r->n + 1) * sizeof(*lo)), n = 0, i, k = 0;
	uint32_t max = dims[d].mask >> dims[d].shift;

	if (!lo)
		return NULL;
	lo[n++] = 0;
	for (i = 0; i < r->n; i++) {
		const struct range *g = &r->r[d][i];

		if (!g->set)
			continue;
		lo[n++] = g->lo;
		if (g->hi < max)
			lo[n++] = g->hi + 1;
	}
	qsort(lo, n, sizeof(*lo), cmp_u32);
	for (i = 0; i < n; i++)
		if (!k || lo[i] != lo[k - 1])
			lo[k++] = lo[i];
	*nout = k;
	return lo;
}

/* Total list length if field @d were the index. */
static uint64_t
cost(const struct nlf_ranges *r, size_t d, const uint32_t *lo, uint32_t nint)
{
	uint64_t total = 0;
	uint32_t i;

	for (i = 0; i < r->n; i++) {
		const struct range *g = &r->r[d][i];

		total += g->set ? find(lo, nint, g->hi) - find(lo, nint, g->lo) + 1 : nint;
	}
	return total;
}

/* Free @x (NULL allowed); it cannot fail. */
void
nlf_index_free(struct nlf_index *x)
{
	if (!x)
		return;
	free(x->lo);
	free(x->start);
	free(x->ent);
	free(x->absent);
	free(x);
}

/* The index over field @d; it owns @lo (freed on failure). */
static struct nlf_index *
build(const struct nlf_ranges *r, size_t d, uint32_t *lo, uint32_t nint, uint64_t total,
      const int32_t *entries)
{
	struct nlf_index *x = calloc(1, sizeof(*x));
	uint32_t i, j, *fill;

	if (!x) {
		free(lo);
		return NULL;
	}
	x->base = dims[d].base;
	x->shift = dims[d].shift;
	x->off = dims[d].off;
	x->mask = dims[d].mask;
	x->lo = lo;
	x->nint = nint;
	x->start = calloc((size_t)nint + 1, sizeof(*x->start));
	x->ent = malloc((size_t)(total ? total : 1) * sizeof(*x->ent));
	x->absent = malloc((size_t)(r->n ? r->n : 1) * sizeof(*x->absent));
	fill = calloc(nint ? nint : 1, sizeof(*fill));
	if (!x->start || !x->ent || !x->absent || !fill) {
		free(fill);
		nlf_index_free(x);
		return NULL;
	}
	for (i = 0; i < r->n; i++) { /* count, then place, in rule order */
		const struct range *g = &r->r[d][i];
		uint32_t a = g->set ? find(lo, nint, g->lo) : 0;
		uint32_t b = g->set ? find(lo, nint, g->hi) : nint - 1;

		for (j = a; j <= b; j++)
			x->start[j + 1]++;
		if (!g->set)
			x->absent[x->nabsent++] = entries[i];
	}
	for (j = 0; j < nint; j++)
		x->start[j + 1] += x->start[j];
	for (i = 0; i < r->n; i++) {
		const struct range *g = &r->r[d][i];
		uint32_t a = g->set ? find(lo, nint, g->lo) : 0;
		uint32_t b = g->set ? find(lo, nint, g->hi) : nint - 1;

		for (j = a; j <= b; j++)
			x->ent[x->start[j] + fill[j]++] = entries[i];
	}
	free(fill);
	return x;
}

/*
 * Build the index over the field that narrows the rules most, for rules whose
 * program entries are @entries (final numbering). Returns it, or NULL when no
 * field is worth it or out of memory (the filter then tries every rule).
 */
struct nlf_index *
nlf_index_build(const struct nlf_ranges *r, const int32_t *entries)
{
	uint64_t best_total = 0, total;
	uint32_t *best_lo = NULL, best_n = 0, *lo, nint;
	size_t d, best = NDIMS;

	for (d = 0; d < NDIMS; d++) {
		lo = bounds(r, d, &nint);
		if (!lo)
			continue;
		total = cost(r, d, lo, nint);
		/* worth it: lists average at most half the rules; memory bounded */
		if (2 * total <= (uint64_t)nint * r->n &&
		    total <= (uint64_t)MAX_ENTRIES_PER_RULE * r->n + (1u << 20) &&
		    (best == NDIMS || total * best_n < best_total * nint)) {
			free(best_lo);
			best = d;
			best_lo = lo;
			best_n = nint;
			best_total = total;
		} else {
			free(lo);
		}
	}
	if (best == NDIMS)
		return NULL;
	return build(r, best, best_lo, best_n, best_total, entries); /* owns best_lo */
}
