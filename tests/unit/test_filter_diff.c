/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_filter_diff — nl_filter against a reference written here: random
 * expressions over the primitives of the language are built as trees,
 * printed as patterns for nl_filter, and evaluated by walking the tree over
 * the bytes of random packets (IPv4 with options and fragments, IPv6, cut
 * short at random lengths), one to four patterns per classifier, first match
 * wins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nl_filter.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct pkt {
	uint8_t b[128];
	uint32_t len;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static int
run(const struct nl_filter *f, const struct pkt *p)
{
	const uint8_t *l3 = p->b;
	uint32_t len = p->len;
	int out = -7, r = nl_filter_match(f, p->b, p->len, NULL);

	assert_int_equal(nl_filter_match_burst(f, &l3, &len, NULL, &out, 1), 1);
	assert_int_equal(out, r);
	return r;
}

/*
 * The reference: expressions as a tree of primitives built here, printed as
 * text for nl_filter and evaluated by walking the tree over the packet
 * bytes. Every primitive names its type keyword, so no qualifier is
 * inherited (inheritance has its own tests above).
 */
enum { K_TRUE, K_FALSE, K_PROTO, K_HOST, K_NET, K_PORT, K_ICMPTYPE, K_FLAG, K_TTL, K_TOSM,
       K_RAWT, K_RAWIP, K_FRAG, K_UNFRAG, K_WIN, K_NKINDS };
enum { X_PRIM, X_AND, X_OR, X_NOT, X_COND };
enum { RL_EQ, RL_NE, RL_LT, RL_GT, RL_LE, RL_GE };
enum { S_SRC, S_DST, S_OR, S_AND, S_DEFAULT };

struct rprim {
	int kind, sd, proto, rel;
	uint32_t v, mask, plen;
	unsigned int pos, len;
};

struct rexpr {
	int kind;
	int a, b, c;
	struct rprim p;
};

struct rgen {
	uint64_t s;
	struct rexpr e[64];
	int n;
};

static uint32_t
rnd(struct rgen *g, uint32_t n)
{
	g->s = g->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((g->s >> 33) % n);
}

static const uint32_t addr_pool[] = { IP(10, 0, 0, 1), IP(10, 0, 0, 2), IP(10, 1, 0, 1),
				      IP(192, 168, 1, 2), IP(8, 8, 8, 8) };
static const uint32_t port_pool[] = { 0, 53, 80, 1023, 1024, 5353, 65535, 52, 54, 79, 81, 1025 };
static const uint8_t proto_pool[] = { 1, 6, 17, 47 };
static const uint32_t flag_vals[] = { 1, 2, 4, 8, 16, 32 };
static const char *const flag_names[] = { "fin", "syn", "rst", "psh", "ack", "urg" };

#define PICK(g, a) ((a)[rnd(g, sizeof(a) / sizeof((a)[0]))])

static uint32_t
rval(struct rgen *g, uint32_t max, const uint32_t *pool, unsigned int npool)
{
	if (pool && rnd(g, 4))
		return pool[rnd(g, npool)] & max;
	return max == 0xffffffffu ? (uint32_t)g->s : rnd(g, max + 1);
}

static void
rand_prim(struct rgen *g, struct rprim *p)
{
	static const uint32_t small[] = { 0, 1, 3, 8, 11, 63, 64, 255 };

	memset(p, 0, sizeof(*p));
	p->kind = (int)rnd(g, K_NKINDS);
	p->rel = (int)rnd(g, 6);
	p->sd = (int)rnd(g, 5);
	p->proto = -1;
	switch (p->kind) {
	case K_PROTO:
		p->v = rnd(g, 5) ? PICK(g, proto_pool) : rnd(g, 256);
		break;
	case K_HOST:
		p->v = PICK(g, addr_pool);
		break;
	case K_NET: {
		static const uint32_t lens[] = { 0, 8, 16, 24, 32, 12 };

		p->plen = PICK(g, lens);
		p->mask = p->plen ? 0xffffffffu << (32 - p->plen) : 0;
		p->v = PICK(g, addr_pool) & p->mask;
		break;
	}
	case K_PORT:
		p->proto = (int)rnd(g, 3) == 0 ? 6 : rnd(g, 2) ? -1 : 17;
		p->v = rval(g, 0xffff, port_pool, sizeof(port_pool) / sizeof(port_pool[0]));
		break;
	case K_ICMPTYPE:
	case K_TTL:
		p->v = rval(g, 0xff, small, 8);
		break;
	case K_FLAG:
		p->v = rnd(g, 6);
		break;
	case K_TOSM:
		p->mask = 1 + rnd(g, 255);
		p->v = rnd(g, 256) & (rnd(g, 4) ? p->mask : 0xff);
		break;
	case K_RAWT:
	case K_RAWIP:
		p->len = 1 + rnd(g, 4);
		p->pos = 4 * rnd(g, p->kind == K_RAWT ? 6 : 11) + rnd(g, 5 - p->len);
		p->mask = p->len == 4 ? 0xffffffffu : (1u << (8 * p->len)) - 1;
		if (p->kind == K_RAWT)
			p->proto = rnd(g, 2) ? -1 : PICK(g, proto_pool);
		else if (p->len == 1 && rnd(g, 2))
			p->mask = 1 + rnd(g, 255);
		p->v = rnd(g, 3) ? rval(g, p->len == 4 ? 0xffffffffu : (1u << (8 * p->len)) - 1,
					NULL, 0) : 0;
		if (p->len == 2 && rnd(g, 2))
			p->v = PICK(g, port_pool);
		break;
	case K_WIN:
		p->v = rnd(g, 2) ? 8192 : rnd(g, 65536);
		break;
	}
}

static int
rand_expr(struct rgen *g, int depth)
{
	int i = g->n++, k = depth >= 4 || g->n > 56 ? X_PRIM : (int)rnd(g, 6);

	memset(&g->e[i], 0, sizeof(g->e[i]));
	if (k >= 5)
		k = X_PRIM;
	g->e[i].kind = k;
	if (k == X_PRIM) {
		rand_prim(g, &g->e[i].p);
		return i;
	}
	g->e[i].a = rand_expr(g, depth + 1);
	if (k != X_NOT)
		g->e[i].b = rand_expr(g, depth + 1);
	if (k == X_COND)
		g->e[i].c = rand_expr(g, depth + 1);
	return i;
}

/* A rule that requires a range of one field (what an index keys on) and more. */
static int
anchored_expr(struct rgen *g, int kind, int sd)
{
	int i = g->n++, a = g->n++;

	memset(&g->e[i], 0, sizeof(g->e[i]));
	memset(&g->e[a], 0, sizeof(g->e[a]));
	g->e[i].kind = X_AND;
	g->e[i].a = a;
	g->e[a].kind = X_PRIM;
	do
		rand_prim(g, &g->e[a].p);
	while (g->e[a].p.kind != kind);
	if (rnd(g, 8))
		g->e[a].p.sd = sd;
	g->e[i].b = rnd(g, 3) ? rand_expr(g, 2) : -1;
	if (g->e[i].b < 0) { /* just the anchor */
		g->e[i] = g->e[a];
	}
	return i;
}

static const char *const rel_words[] = { "==", "!=", "<", ">", "<=", ">=" };

static size_t
print_rel(struct rgen *g, char *s, int rel)
{
	if (rel == RL_EQ) {
		int k = (int)rnd(g, 3);

		return (size_t)sprintf(s, "%s", k == 0 ? "" : k == 1 ? "= " : "== ");
	}
	return (size_t)sprintf(s, "%s ", rel_words[rel]);
}

static size_t
print_prim(struct rgen *g, char *s, const struct rprim *p)
{
	static const char *const sds[] = { "src ", "dst ", "src or dst ", "src and dst ", "" };
	size_t n = 0;
	uint32_t a = p->v;

	switch (p->kind) {
	case K_TRUE:
		return (size_t)sprintf(s, "true");
	case K_FALSE:
		return (size_t)sprintf(s, "false");
	case K_PROTO:
		if (p->v == 6 && rnd(g, 2))
			return (size_t)sprintf(s, rnd(g, 2) ? "tcp" : "proto tcp");
		if (p->v == 17 && rnd(g, 2))
			return (size_t)sprintf(s, "udp");
		if (p->v == 1 && rnd(g, 2))
			return (size_t)sprintf(s, "icmp");
		return (size_t)sprintf(s, "ip proto %u", p->v);
	case K_HOST:
		return (size_t)sprintf(s, "%shost %u.%u.%u.%u", sds[p->sd], a >> 24, a >> 16 & 255,
				       a >> 8 & 255, a & 255);
	case K_NET:
		return (size_t)sprintf(s, "%snet %u.%u.%u.%u/%u", sds[p->sd], a >> 24, a >> 16 & 255,
				       a >> 8 & 255, a & 255, p->plen);
	case K_PORT:
		n = (size_t)sprintf(s, "%s%sport ", sds[p->sd],
				    p->proto == 6 ? "tcp " : p->proto == 17 ? "udp " : "");
		n += print_rel(g, s + n, p->rel);
		return n + (size_t)sprintf(s + n, "%u", p->v);
	case K_ICMPTYPE:
		n = (size_t)sprintf(s, "icmp type ");
		n += print_rel(g, s + n, p->rel);
		return n + (size_t)sprintf(s + n, "%u", p->v);
	case K_FLAG:
		return (size_t)sprintf(s, "tcp opt %s", flag_names[p->v]);
	case K_TTL:
		n = (size_t)sprintf(s, "ip ttl ");
		n += print_rel(g, s + n, p->rel);
		return n + (size_t)sprintf(s + n, "%u", p->v);
	case K_TOSM:
		n = (size_t)sprintf(s, "ip tos & %u ", p->mask);
		n += print_rel(g, s + n, p->rel);
		return n + (size_t)sprintf(s + n, "%u", p->v);
	case K_WIN:
		n = (size_t)sprintf(s, "tcp win ");
		n += print_rel(g, s + n, p->rel);
		return n + (size_t)sprintf(s + n, "%u", p->v);
	case K_RAWT:
	case K_RAWIP:
		n = (size_t)sprintf(s, "%s[%u:%u] ", p->kind == K_RAWIP ? "ip" :
				    p->proto < 0 ? "transp" : p->proto == 6 ? "tcp" :
				    p->proto == 17 ? "udp" : p->proto == 1 ? "icmp" : "ip proto 47",
				    p->pos, p->len);
		if (p->kind == K_RAWT && p->proto == 47) /* no brackets after a number */
			n = (size_t)sprintf(s, "transp[%u:%u] ", p->pos, p->len);
		if (p->kind == K_RAWIP && p->mask != 0xffffffffu >> (32 - 8 * p->len))
			n += (size_t)sprintf(s + n, "& 0x%x ", p->mask);
		n += print_rel(g, s + n, p->rel);
		return n + (size_t)sprintf(s + n, "0x%x", p->v);
	case K_FRAG:
		return (size_t)sprintf(s, "ip frag");
	case K_UNFRAG:
		return (size_t)sprintf(s, rnd(g, 2) ? "ip unfrag" : "unfrag");
	}
	return 0;
}

static size_t
print_expr(struct rgen *g, char *s, int i)
{
	static const char *const ands[] = { " and ", " && ", " " };
	static const char *const ors[] = { " or ", " || " };
	const struct rexpr *e = &g->e[i];
	size_t n = 0;

	switch (e->kind) {
	case X_PRIM:
		return print_prim(g, s, &e->p);
	case X_NOT:
		n = (size_t)sprintf(s, rnd(g, 2) ? "not (" : "!(");
		n += print_expr(g, s + n, e->a);
		return n + (size_t)sprintf(s + n, ")");
	case X_COND:
		n = (size_t)sprintf(s, "(");
		n += print_expr(g, s + n, e->a);
		n += (size_t)sprintf(s + n, ") ? (");
		n += print_expr(g, s + n, e->b);
		n += (size_t)sprintf(s + n, ") : (");
		n += print_expr(g, s + n, e->c);
		return n + (size_t)sprintf(s + n, ")");
	default:
		n = (size_t)sprintf(s, "(");
		n += print_expr(g, s + n, e->a);
		n += (size_t)sprintf(s + n, ")%s(", e->kind == X_AND ? ands[rnd(g, 3)] : ors[rnd(g, 2)]);
		n += print_expr(g, s + n, e->b);
		return n + (size_t)sprintf(s + n, ")");
	}
}

/* What the reference knows of a packet, computed from its bytes. */
struct view {
	const uint8_t *b, *t, *eth;
	uint32_t len, tlen;
	int v4, proto, has_t;
};

static struct view
view_of(const struct pkt *p)
{
	struct view v = { .b = p->b, .len = p->len, .proto = -1 };
	unsigned int ihl;

	if (p->len >= 1 && p->b[0] >> 4 == 4) {
		v.v4 = 1;
		ihl = (p->b[0] & 15u) * 4;
		if (p->len >= 10)
			v.proto = p->b[9];
		if (p->len >= 20 && ihl >= 20 && ihl <= p->len &&
		    ((p->b[6] & 0x1f) << 8 | p->b[7]) == 0) {
			v.has_t = 1;
			v.t = p->b + ihl;
			v.tlen = p->len - ihl;
		}
	} else if (p->len >= 40 && p->b[0] >> 4 == 6) {
		v.proto = p->b[6];
		v.has_t = 1;
		v.t = p->b + 40;
		v.tlen = p->len - 40;
	}
	return v;
}

static uint32_t
be(const uint8_t *b, unsigned int n)
{
	uint32_t x = 0;

	while (n--)
		x = x << 8 | *b++;
	return x;
}

static int
relate(uint32_t x, int rel, uint32_t v)
{
	switch (rel) {
	case RL_EQ: return x == v;
	case RL_NE: return x != v;
	case RL_LT: return x < v;
	case RL_GT: return x > v;
	case RL_LE: return x <= v;
	default: return x >= v;
	}
}

/* FIELD & MASK REL V: '=' and '!=' ignore V's bits outside MASK (as Click) */
static int
relate_masked(uint32_t x, uint32_t mask, int rel, uint32_t v)
{
	if (rel == RL_EQ || rel == RL_NE)
		v &= mask;
	return relate(x & mask, rel, v);
}

static int
combine(int sd, int s, int d)
{
	return sd == S_SRC ? s : sd == S_DST ? d : sd == S_AND ? s && d : s || d;
}

static int
ref_prim(const struct rprim *p, const struct view *v)
{
	uint32_t need;
	int s, d, pos_rel, neg;

	switch (p->kind) {
	case K_TRUE:
		return 1;
	case K_FALSE:
		return 0;
	case K_PROTO:
		return v->proto >= 0 && (uint32_t)v->proto == p->v;
	case K_HOST:
	case K_NET:
		need = p->kind == K_HOST ? 4 : p->plen ? (p->plen + 7) / 8 : 4;
		need += p->sd == S_SRC ? 12 : 16;
		if (!v->v4 || v->len < need)
			return 0;
		s = (be(v->b + 12, 4) & (p->kind == K_HOST ? 0xffffffffu : p->mask)) == p->v;
		d = (be(v->b + 16, 4) & (p->kind == K_HOST ? 0xffffffffu : p->mask)) == p->v;
		return combine(p->sd, s, d);
	case K_PORT:
		if (p->proto >= 0 ? v->proto != p->proto : (v->proto != 6 && v->proto != 17))
			return 0;
		if (!v->has_t || v->tlen < (p->sd == S_SRC ? 2u : 4u))
			return 0;
		/* a negated relation negates the whole src / dst combination */
		neg = p->rel == RL_NE || p->rel == RL_LE || p->rel == RL_GE;
		pos_rel = p->rel == RL_NE ? RL_EQ : p->rel == RL_LE ? RL_GT :
			  p->rel == RL_GE ? RL_LT : p->rel;
		s = relate(be(v->t, 2), pos_rel, p->v);
		d = p->sd == S_SRC ? 0 : relate(be(v->t + 2, 2), pos_rel, p->v);
		return combine(p->sd, s, d) != neg;
	case K_ICMPTYPE:
		return v->proto == 1 && v->has_t && v->tlen >= 1 && relate(v->t[0], p->rel, p->v);
	case K_FLAG:
		return v->proto == 6 && v->has_t && v->tlen >= 14 &&
		       (v->t[13] & flag_vals[p->v]) == flag_vals[p->v];
	case K_WIN:
		return v->proto == 6 && v->has_t && v->tlen >= 16 &&
		       relate(be(v->t + 14, 2), p->rel, p->v);
	case K_TTL:
		return v->v4 && v->len >= 9 && relate(v->b[8], p->rel, p->v);
	case K_TOSM:
		return v->v4 && v->len >= 2 && relate_masked(v->b[1], p->mask, p->rel, p->v);
	case K_RAWT:
		if (p->proto >= 0 && p->proto != 47 && v->proto != p->proto)
			return 0;
		return v->has_t && v->tlen >= p->pos + p->len &&
		       relate(be(v->t + p->pos, p->len), p->rel, p->v);
	case K_RAWIP:
		return v->len >= p->pos + p->len &&
		       relate_masked(be(v->b + p->pos, p->len), p->mask, p->rel, p->v);
	case K_FRAG:
	case K_UNFRAG:
		s = v->v4 && v->len >= 8 && ((v->b[6] & 0x3f) << 8 | v->b[7]) != 0;
		return p->kind == K_FRAG ? s : !s;
	}
	return 0;
}

static int
ref_eval(const struct rgen *g, int i, const struct view *v)
{
	const struct rexpr *e = &g->e[i];

	switch (e->kind) {
	case X_PRIM:
		return ref_prim(&e->p, v);
	case X_AND:
		return ref_eval(g, e->a, v) && ref_eval(g, e->b, v);
	case X_OR:
		return ref_eval(g, e->a, v) || ref_eval(g, e->b, v);
	case X_NOT:
		return !ref_eval(g, e->a, v);
	default:
		return ref_eval(g, e->a, v) ? ref_eval(g, e->b, v) : ref_eval(g, e->c, v);
	}
}

static void
rand_pkt(struct rgen *g, struct pkt *p)
{
	static const uint8_t ttls[] = { 0, 1, 63, 64, 255, 8 };
	static const uint8_t types[] = { 0, 3, 8, 11 };
	unsigned int hl, i, full;
	uint8_t *t;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 100; i++)
		p->b[i] = (uint8_t)rnd(g, 256);
	if (rnd(g, 10) == 0) { /* IPv6 */
		p->b[0] = (uint8_t)(0x60 | rnd(g, 16));
		p->b[6] = rnd(g, 5) ? PICK(g, proto_pool) : (uint8_t)rnd(g, 256);
		hl = 40;
	} else {
		hl = 20 + 4 * (rnd(g, 4) ? 0 : rnd(g, 3));
		p->b[0] = (uint8_t)(0x40 | hl / 4);
		if (rnd(g, 20) == 0)
			p->b[0] = (uint8_t)rnd(g, 256); /* any version, any length */
		p->b[1] = (uint8_t)rnd(g, 256);
		p->b[6] = 0;
		p->b[7] = 0;
		if (rnd(g, 5) == 0) {
			p->b[6] = (uint8_t)(rnd(g, 2) ? 0x20 : 0x40 | rnd(g, 32));
			p->b[7] = (uint8_t)rnd(g, 256);
		}
		p->b[8] = PICK(g, ttls);
		p->b[9] = rnd(g, 6) ? PICK(g, proto_pool) : (uint8_t)rnd(g, 256);
		put32(p->b + 12, PICK(g, addr_pool));
		put32(p->b + 16, rnd(g, 6) ? PICK(g, addr_pool) : (uint32_t)g->s);
	}
	t = p->b + hl;
	put16(t, (uint16_t)PICK(g, port_pool));
	put16(t + 2, (uint16_t)PICK(g, port_pool));
	if (rnd(g, 2))
		t[0] = PICK(g, types);
	if (rnd(g, 2))
		put16(t + 14, 8192);
	full = hl + 20 + rnd(g, 8);
	p->len = rnd(g, 4) ? full : rnd(g, full + 1);
	if (rnd(g, 8) == 0)
		p->len = rnd(g, 24);
}

static void
test_differential(void **state)
{
	struct rgen g = { .s = 0x5eed };
	char *text[6], err[256];
	int roots[6], k, j, q, checked = 0, matched = 0;

	(void)state;
	for (k = 0; k < 6; k++)
		text[k] = malloc(1 << 16);
	for (k = 0; k < 8000; k++) {
		unsigned int nrules = 1 + rnd(&g, 4);
		struct nl_filter *f;

		g.n = 0;
		for (j = 0; j < (int)nrules; j++) {
			roots[j] = rand_expr(&g, rnd(&g, 3));
			print_expr(&g, text[j], roots[j]);
		}
		f = nl_filter_compile_classifier((const char *const *)text, nrules, NULL, err,
						 sizeof(err));
		if (!f)
			fail_msg("'%s' ...: %s", text[0], err);
		for (q = 0; q < 100; q++) {
			struct pkt p;
			struct view v;
			int want = -1, got;

			rand_pkt(&g, &p);
			v = view_of(&p);
			for (j = 0; j < (int)nrules && want < 0; j++)
				if (ref_eval(&g, roots[j], &v))
					want = j;
			got = run(f, &p);
			if (got != want) {
				char dump[8192];
				unsigned int b;

				nl_filter_dump(f, dump, sizeof(dump));
				fprintf(stderr, "packet (%u bytes):", p.len);
				for (b = 0; b < p.len; b++)
					fprintf(stderr, " %02x", p.b[b]);
				fprintf(stderr, "\nprogram:\n%s", dump);
				for (j = 0; j < (int)nrules; j++)
					fprintf(stderr, "rule %d: %s\n", j, text[j]);
				fail_msg("case %d packet %d: got %d, reference %d", k, q, got, want);
			}
			checked++;
			matched += want >= 0;
		}
		nl_filter_free(f);
	}
	/* the random cases must not be all misses (or all hits) */
	assert_true(matched > checked / 10 && matched < checked * 9 / 10);
	for (k = 0; k < 6; k++)
		free(text[k]);
}


/* Rule sets long enough for one program per rule and an index. */
static void
test_differential_many(void **state)
{
	struct rgen g = { .s = 0xd1ff };
	static char texts[80][2048];
	const char *text[80];
	int roots[80], k, j, q, indexed = 0, matched = 0, checked = 0;
	char err[256], *dump = malloc(1 << 20);

	(void)state;
	for (k = 0; k < 80; k++)
		text[k] = texts[k];
	for (k = 0; k < 400; k++) {
		unsigned int nrules = 16 + rnd(&g, 64);
		struct nl_filter *f;

		/* one generator per rule keeps every rule's tree */
		{
			static const int kinds[] = { K_HOST, K_NET, K_PORT, K_PROTO, K_NET, K_PORT };
			static struct rgen rg[80];
			int kind = PICK(&g, kinds), sd = (int)rnd(&g, 2);

			for (j = 0; j < (int)nrules; j++) {
				rg[j].s = g.s + (uint64_t)j * 0x9e3779b97f4a7c15ull;
				rg[j].n = 0;
				roots[j] = rnd(&g, 10) < 9 ? anchored_expr(&rg[j], kind, sd) :
							      rand_expr(&rg[j], (int)rnd(&g, 3));
				print_expr(&rg[j], texts[j], roots[j]);
			}
			g.s += 0x632be59bd9b4e019ull;
			f = nl_filter_compile_classifier(text, nrules, NULL, err, sizeof(err));
			if (!f)
				fail_msg("case %d: %s", k, err);
			nl_filter_dump(f, dump, 1 << 20);
			indexed += strstr(dump, "index on") != NULL;
			for (q = 0; q < 300; q++) {
				struct pkt p;
				struct view v;
				int want = -1, got;

				rand_pkt(&g, &p);
				v = view_of(&p);
				for (j = 0; j < (int)nrules && want < 0; j++)
					if (ref_eval(&rg[j], roots[j], &v))
						want = j;
				got = run(f, &p);
				if (got != want) {
					fprintf(stderr, "%s", dump);
					for (j = 0; j < (int)nrules; j++)
						fprintf(stderr, "rule %d: %s\n", j, text[j]);
					fail_msg("case %d packet %d (%u bytes): got %d, reference %d", k, q,
						 p.len, got, want);
				}
				checked++;
				matched += want >= 0;
			}
		}
		nl_filter_free(f);
	}
	/* the index must have been used, and not every packet missed */
	assert_true(indexed > 20);
	assert_true(matched > checked / 10);
	free(dump);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_differential_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
