/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter_compile.c — expression trees to the decision program.
 *
 * Each node is compiled with its continuations (where to go when it is
 * true, false, or when a primitive's bytes are missing), last rule first, so
 * every instruction's targets exist before it does. That gives a program
 * linear in the size of the patterns, with no duplication:
 *   a and b -> a ? (b ? T : F) : F      a or b -> a ? T : (b ? T : F)
 *   not a   -> a with T and F swapped    c ? x : y -> c ? x' : y'
 * Two rules make it smaller and faster:
 *   - an instruction equal to one already emitted (same test, same targets)
 *     is that one: common tails are shared;
 *   - a branch leaving test X with a known outcome skips every test whose
 *     outcome it decides: the same test again, the same field under a
 *     narrower mask after "=" held (proto 6 true => proto 17 false), and a
 *     test that needs no more bytes than X found (or at least as many as X
 *     missed).
 */
#include <stdlib.h>
#include <string.h>

#include "nl_filter_priv.h"

#define MAX_INSNS (1u << 28)
#define THREAD_STEPS 64

enum outcome { O_UNKNOWN, O_YES, O_NO, O_SHORT };

struct nlf_builder {
	struct nlf_insn *v;
	uint32_t n, cap;
	int32_t *ht;   /* open addressing, -1 empty */
	uint32_t hcap; /* a power of two, kept > 2 * n */
	int failed;
};

/* Create an empty program builder; returns NULL when out of memory. */
struct nlf_builder *
nlf_builder_new(void)
{
	return calloc(1, sizeof(struct nlf_builder));
}

/* Free @b (NULL allowed); it cannot fail. */
void
nlf_builder_free(struct nlf_builder *b)
{
	if (!b)
		return;
	free(b->v);
	free(b->ht);
	free(b);
}

static uint32_t
insn_hash(const struct nlf_insn *x)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	uint32_t w[7] = { (uint32_t)x->op << 24 | (uint32_t)x->base << 16 | x->off, x->need,
			  x->mask, x->val, (uint32_t)x->yes, (uint32_t)x->no, (uint32_t)x->shrt };
	int i;

	for (i = 0; i < 7; i++)
		h = (h ^ w[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ h >> 29);
}

static int
insn_eq(const struct nlf_insn *a, const struct nlf_insn *b)
{
	return a->op == b->op && a->base == b->base && a->off == b->off && a->need == b->need &&
	       a->mask == b->mask && a->val == b->val && a->yes == b->yes && a->no == b->no &&
	       a->shrt == b->shrt;
}

static int
rehash(struct nlf_builder *b)
{
	uint32_t cap = b->hcap ? b->hcap * 2 : 1024, i;
	int32_t *ht = malloc(cap * sizeof(*ht));

	if (!ht)
		return -1;
	memset(ht, 0xff, cap * sizeof(*ht));
	for (i = 0; i < b->n; i++) {
		uint32_t h = insn_hash(&b->v[i]) & (cap - 1);

		while (ht[h] >= 0)
			h = (h + 1) & (cap - 1);
		ht[h] = (int32_t)i;
	}
	free(b->ht);
	b->ht = ht;
	b->hcap = cap;
	return 0;
}

static int
cmp(int op, uint32_t w, uint32_t val)
{
	return op == NLF_EQ ? w == val : op == NLF_GT ? w > val : w < val;
}

/* What leaving @x with outcome @o says about instruction @z. */
static int
implied(const struct nlf_insn *x, int o, const struct nlf_insn *z)
{
	if (z->base != x->base)
		return O_UNKNOWN;
	if (o == O_SHORT)
		return z->need >= x->need ? O_SHORT : O_UNKNOWN;
	if (z->need > x->need)
		return O_UNKNOWN;
	if (z->off != x->off)
		return O_UNKNOWN;
	if (z->op == x->op && z->mask == x->mask && z->val == x->val)
		return o;
	if (x->op == NLF_EQ && o == O_YES && !(z->mask & ~x->mask))
		return cmp(z->op, x->val & z->mask, z->val) ? O_YES : O_NO;
	return O_UNKNOWN;
}

static int32_t
thread(const struct nlf_builder *b, const struct nlf_insn *x, int o, int32_t t)
{
	int steps;

	for (steps = 0; steps < THREAD_STEPS && t >= 0; steps++) {
		const struct nlf_insn *z = &b->v[t];

		switch (implied(x, o, z)) {
		case O_YES:
			t = z->yes;
			break;
		case O_NO:
			t = z->no;
			break;
		case O_SHORT:
			t = z->shrt;
			break;
		default:
			return t;
		}
	}
	return t;
}

static int32_t
emit(struct nlf_builder *b, const struct nlf_node *nd, int32_t yes, int32_t no, int32_t shrt)
{
	struct nlf_insn x = {
		.op = nd->op, .base = nd->base, .off = nd->off, .need = nd->need,
		.mask = nd->mask, .val = nd->val,
	};
	uint32_t h;

	x.yes = thread(b, &x, O_YES, yes);
	x.no = thread(b, &x, O_NO, no);
	x.shrt = thread(b, &x, O_SHORT, shrt);
	if (x.yes == x.no && x.no == x.shrt)
		return x.yes;
	if (b->hcap) {
		for (h = insn_hash(&x) & (b->hcap - 1); b->ht[h] >= 0; h = (h + 1) & (b->hcap - 1))
			if (insn_eq(&b->v[b->ht[h]], &x))
				return b->ht[h];
	}
	if (b->n >= MAX_INSNS) {
		b->failed = 1;
		return INT32_MIN;
	}
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 256;
		struct nlf_insn *v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			b->failed = 1;
			return INT32_MIN;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n] = x;
	b->n++;
	if (2 * b->n >= b->hcap) {
		if (rehash(b) < 0) {
			b->failed = 1;
			return INT32_MIN;
		}
	} else {
		for (h = insn_hash(&x) & (b->hcap - 1); b->ht[h] >= 0; h = (h + 1) & (b->hcap - 1))
			;
		b->ht[h] = (int32_t)(b->n - 1);
	}
	return (int32_t)(b->n - 1);
}

static int32_t gen(struct nlf_builder *b, const struct nlf_tree *t, int32_t node,
		   int32_t yes, int32_t no, int32_t shrt);

/* An AND / OR list, compiled from its last element back. */
static int32_t
gen_list(struct nlf_builder *b, const struct nlf_tree *t, const struct nlf_node *nd,
	 int32_t yes, int32_t no, int32_t shrt)
{
	uint32_t k = 0, i;
	int32_t c, e, *kids;

	for (c = nd->kid[0]; c >= 0; c = t->v[c].next)
		k++;
	kids = malloc((k ? k : 1) * sizeof(*kids));
	if (!kids) {
		b->failed = 1;
		return INT32_MIN;
	}
	for (i = 0, c = nd->kid[0]; c >= 0; c = t->v[c].next)
		kids[i++] = c;
	e = nd->kind == NLF_AND ? yes : no;
	for (i = k; i-- > 0 && !b->failed;)
		e = nd->kind == NLF_AND ? gen(b, t, kids[i], e, no, shrt) :
					  gen(b, t, kids[i], yes, e, shrt);
	free(kids);
	return b->failed ? INT32_MIN : e;
}

static int32_t
gen(struct nlf_builder *b, const struct nlf_tree *t, int32_t node, int32_t yes, int32_t no,
    int32_t shrt)
{
	const struct nlf_node *nd = &t->v[node];
	int32_t x, y;

	if (b->failed)
		return INT32_MIN;
	switch (nd->kind) {
	case NLF_TRUE:
		return yes;
	case NLF_FALSE:
		return no;
	case NLF_TEST:
		return emit(b, nd, yes, no, shrt);
	case NLF_PRIM:
		return gen(b, t, nd->kid[0], yes, no, no);
	case NLF_NOT:
		return gen(b, t, nd->kid[0], no, yes, shrt);
	case NLF_AND:
	case NLF_OR:
		return gen_list(b, t, nd, yes, no, shrt);
	case NLF_COND:
		x = gen(b, t, nd->kid[1], yes, no, shrt);
		y = gen(b, t, nd->kid[2], yes, no, shrt);
		return gen(b, t, nd->kid[0], x, y, shrt);
	}
	return no;
}

/*
 * Compile @root of @t so that a match jumps to @t_yes and a miss to @t_no
 * (targets as in struct nlf_insn); returns the entry target, or INT32_MIN
 * when out of memory or too large.
 */
int32_t
nlf_build(struct nlf_builder *b, const struct nlf_tree *t, int32_t root, int32_t t_yes,
	  int32_t t_no)
{
	int32_t e = gen(b, t, root, t_yes, t_no, t_no);

	return b->failed ? INT32_MIN : e;
}

/*
 * Turn the builder's instructions into a filter whose entry is @entry, in
 * execution order, renumbering the @n targets of @entries in place too;
 * returns NULL when out of memory. @b is left empty.
 */
struct nl_filter *
nlf_builder_finish(struct nlf_builder *b, int32_t entry, int32_t *entries, uint32_t n_entries)
{
	struct nl_filter *f = malloc(sizeof(*f) + (size_t)b->n * sizeof(struct nlf_insn));
	uint32_t i, n = b->n;

#define REMAP(t) ((t) >= 0 ? (int32_t)(n - 1 - (uint32_t)(t)) : (t))
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->n = n;
	f->entry = REMAP(entry);
	for (i = 0; i < n_entries; i++)
		entries[i] = REMAP(entries[i]);
	for (i = 0; i < n; i++) {
		struct nlf_insn x = b->v[i];

		x.yes = REMAP(x.yes);
		x.no = REMAP(x.no);
		x.shrt = REMAP(x.shrt);
		f->insn[n - 1 - i] = x;
	}
#undef REMAP
	free(b->v);
	free(b->ht);
	memset(b, 0, sizeof(*b));
	return f;
}
