/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_parse.c — statements of the Click language (CLICK-SCOPE §a.2):
 * declarations (also several names at once and inside connections),
 * anonymous elements named Class@N, connections with port lists, comma
 * lists and '=>', element groups "( ... )", and the implicit input/output
 * of a connection that starts or ends with an arrow inside a compound.
 * Compound classes, define and require are in ck_compound.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ck_priv.h"

/* One element of a comma list in a connection. */
struct ck_eref {
	int32_t tgt, src;    /* declarations used as destination / source, -1: none */
	char *pending;       /* an undeclared name waiting for "::" */
	char *landmark;
	uint32_t *inp, nin;  /* port list before the element */
	uint32_t *outp, nout;/* port list after it */
	int in_given, in_expand, out_given, out_expand;
	int32_t ref;         /* a bare name of an earlier declaration: its index, else -1 */
	int declared;        /* "name :: Class" */
	char *bare_class;    /* a class name alone (an anonymous element), or NULL */
};

struct ck_elist {
	struct ck_eref *v;
	uint32_t n, cap;
};

/* A new scope (arena) inside @parent; compounds get their input and output. */
struct ck_scope *
ck_scope_new(struct ck_front *fe, struct ck_scope *parent, int compound, const char *landmark)
{
	struct ck_scope *sc = ck_alloc(fe, sizeof(*sc));

	sc->parent = parent;
	sc->compound = compound;
	sc->landmark = ck_strdup(fe, landmark);
	if (compound) {
		ck_scope_add(fe, sc, "input", CK_D_TUNNEL, NULL, "", landmark);
		ck_scope_add(fe, sc, "output", CK_D_TUNNEL_OUT, NULL, "", landmark);
		sc->npseudo = 2;
	}
	return sc;
}

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Put declaration @i of @sc in its name index: not an empty name (a
 * group's tunnel), nor an anonymous element's provisional ";Class@N", which
 * no reference names (anon_name()). At most one entry per declaration, so
 * the index stays at most half full. */
static void
index_decl(struct ck_scope *sc, uint32_t i)
{
	uint32_t k;

	if (sc->el[i].name[0] == '\0' || sc->el[i].name[0] == ';')
		return;
	for (k = name_hash(sc->el[i].name) & (sc->nslots - 1); sc->by_name[k] != 0;
	     k = (k + 1) & (sc->nslots - 1))
		;
	sc->by_name[k] = i + 1;
}

/* Append a declaration to @sc; returns its index (cannot fail). The name
 * index keeps lookups constant-time, so a configuration of N elements
 * parses in time linear in N. */
uint32_t
ck_scope_add(struct ck_front *fe, struct ck_scope *sc, const char *name, int kind,
	     struct ck_class *cls, const char *config, const char *landmark)
{
	struct ck_decl *d;
	uint32_t i;

	ck_grow(fe, (void **)&sc->el, &sc->capel, sc->nel, sizeof(*sc->el));
	d = &sc->el[sc->nel];
	d->name = ck_strdup(fe, name);
	d->kind = kind;
	d->cls = cls;
	d->config = ck_strdup(fe, config ? config : "");
	d->landmark = ck_strdup(fe, landmark);
	if ((sc->nel + 1) * 2 > sc->nslots) {
		sc->nslots = sc->nslots ? sc->nslots * 2 : 16;
		sc->by_name = ck_alloc(fe, sc->nslots * sizeof(*sc->by_name)); /* zeroed */
		for (i = 0; i < sc->nel; i++)
			index_decl(sc, i);
	}
	index_decl(sc, sc->nel);
	return sc->nel++;
}

/* The first declaration of @name in @sc, or -1. */
static int32_t
find_decl(const struct ck_scope *sc, const char *name)
{
	uint32_t k, best = UINT32_MAX;

	if (sc->nslots == 0 || name[0] == '\0')
		return -1;
	for (k = name_hash(name) & (sc->nslots - 1); sc->by_name[k] != 0;
	     k = (k + 1) & (sc->nslots - 1))
		if (sc->by_name[k] - 1 < best && strcmp(sc->el[sc->by_name[k] - 1].name, name) == 0)
			best = sc->by_name[k] - 1;
	return best == UINT32_MAX ? -1 : (int32_t)best;
}

/* The class @name as seen from @sc (its scopes, then the primitives), or NULL. */
struct ck_class *
ck_class_lookup(struct ck_front *fe, struct ck_scope *sc, const char *name)
{
	const struct ck_class_info *ci;
	struct ck_class *c;

	for (; sc; sc = sc->parent) {
		uint32_t i = sc->ncls;

		while (i-- > 0)
			if (strcmp(sc->cls[i].name, name) == 0)
				return sc->cls[i].cls;
	}
	ci = ck_class_find(name);
	if (!ci)
		return NULL;
	c = ck_alloc(fe, sizeof(*c));
	c->name = ck_strdup(fe, name);
	c->alt = ck_alloc(fe, sizeof(*c->alt));
	c->alt[0].prim = ci;
	c->nalt = 1;
	return c;
}

/*
 * Rule 3: Class@N, N = the element's index in its scope + 1, where, as in
 * Click, a compound's input and output are not counted and an element group
 * counts three (the group, its input and its output). The name is
 * provisional, ";Class@N" (no identifier holds ';', so no reference finds
 * it), until the scope is read: then ck_scope_deanonymize() takes the next
 * free N if an element declared anywhere in the scope has the name, as
 * Click does.
 */
static char *
anon_name(struct ck_front *fe, struct ck_scope *sc, const char *cls)
{
	return ck_printf(fe, ";%s@%u", cls, sc->nel - sc->npseudo + sc->ngroups + 1);
}

/* The anonymous elements of @sc, now that every name it declares is known,
 * get their final names (anon_name()), in order, each then in the index. */
void
ck_scope_deanonymize(struct ck_front *fe, struct ck_scope *sc)
{
	uint32_t i;

	for (i = 0; i < sc->nel; i++) {
		char *name = sc->el[i].name, *at;
		unsigned long n;

		if (name[0] != ';')
			continue;
		at = strrchr(name, '@');
		n = strtoul(at + 1, NULL, 10);
		*at = '\0';
		for (;; n++) {
			char *cand = ck_printf(fe, "%s@%lu", name + 1, n);

			if (find_decl(sc, cand) < 0) {
				sc->el[i].name = cand;
				index_decl(sc, i);
				break;
			}
		}
	}
}

/* Whether a '/'-separated component of @name is digits alone ("123",
 * "a/1"): Click refuses such element names. */
static bool
all_digit_component(const char *name)
{
	while (*name != '\0') {
		size_t n = strcspn(name, "/");

		if (n > 0 && strspn(name, "0123456789") >= n)
			return true;
		name += n + (name[n] == '/');
	}
	return false;
}

/* Declare @name :: @cls(@config) in the current scope; the index, or -1. */
static int32_t
declare(struct ck_pctx *p, const char *name, struct ck_class *cls, const char *config,
	const char *landmark)
{
	int32_t old;

	if (ck_class_lookup(p->fe, p->sc, name)) {
		ck_fe_error(p->fe, landmark, "class '%s' used as element name", name);
		return -1;
	}
	if (all_digit_component(name)) {
		ck_fe_error(p->fe, landmark, "element name '%s' has all-digit component", name);
		return -1;
	}
	old = find_decl(p->sc, name);
	if (old >= 0) {
		ck_fe_error(p->fe, landmark, "redeclaration of element '%s'", name);
		/* a compound's input and output are declared by no one */
		if (p->sc->el[old].kind == CK_D_ELEM)
			ck_fe_error(p->fe, p->sc->el[old].landmark,
				    "element '%s' previously declared here", name);
		return -1;
	}
	return (int32_t)ck_scope_add(p->fe, p->sc, name, CK_D_ELEM, cls, config, landmark);
}

static int
expect(struct ck_pctx *p, int kind, const char *what)
{
	struct ck_tok t = ck_lex_next(p->lx);

	if (t.kind == kind)
		return 0;
	if (t.kind != CK_T_ERROR)
		ck_lerror(p->fe, t.file, t.line, "syntax error near '%s' (expected '%s')",
			  ck_tok_str(p->fe, &t), what);
	ck_lex_unget(p->lx, t);
	return -1;
}

/* "(" already peeked: read the configuration string; NULL after an error. */
static char *
read_config(struct ck_pctx *p)
{
	struct ck_tok t = ck_lex_next(p->lx);

	return ck_lex_config(p->lx, t.line);
}

/* Count @n more of what *@count counts against @limit: 0, or -1 (reported
 * once, at @lm) when the configuration is over it. The text of a port range
 * or of a comma list is short for what it makes: without this a few
 * kilobytes ("i [0-65535] => [0-65535] d;" repeated) held gigabytes before
 * the flattening's limits saw them. */
static int
charge(struct ck_front *fe, uint64_t *count, uint64_t n, uint64_t limit, const char *lm)
{
	*count += n;
	if (*count <= limit && !fe->too_large)
		return 0;
	if (!fe->too_large)
		ck_fe_error(fe, lm, "configuration too large (over %u connections)", CK_MAX_CONNS);
	fe->too_large = 1;
	return -1;
}

/* A port number as Click's IntArg reads it: decimal, 0x hex, 0b binary,
 * octal after a 0, '_' between digits; 0 (*@v, at most CK_MAX_PORT + 1),
 * or -1 when @s is none. */
static int
port_number(const char *s, unsigned long *v)
{
	unsigned int base = 10, d;
	int digits = 0, under = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B') && s[2]) {
		base = 2;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (*v = 0; *s; s++) {
		if (*s == '_' && digits && !under) {
			under = 1;
			continue;
		}
		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return -1;
		if (d >= base)
			return -1;
		*v = *v * base + d;
		if (*v > CK_MAX_PORT)
			*v = CK_MAX_PORT + 1;
		digits = 1;
		under = 0;
	}
	return digits && !under ? 0 : -1;
}

/* A port list after its '['; 0, or -1 after an error. */
static int
parse_ports(struct ck_pctx *p, uint32_t **ports, uint32_t *n, int *expand)
{
	uint32_t cap = 0;
	int range = 0;

	*ports = NULL;
	*n = 0;
	*expand = 0;
	if (ck_lex_peek(p->lx).kind == ']') {
		ck_lex_next(p->lx);
		*expand = 1;
		return 0;
	}
	for (;;) {
		struct ck_tok t = ck_lex_next(p->lx);
		unsigned long v;

		if (t.kind != CK_T_IDENT || port_number(t.text, &v) < 0) {
			if (t.kind != CK_T_ERROR)
				ck_lerror(p->fe, t.file, t.line, "syntax error near '%s' (expected port number)",
					  ck_tok_str(p->fe, &t));
			ck_lex_unget(p->lx, t);
			return -1;
		}
		if (v > CK_MAX_PORT) {
			ck_lerror(p->fe, t.file, t.line, "port number %s too large", t.text);
			return -1;
		}
		if (range) {
			uint32_t from = (*ports)[*n - 1] + 1, q;

			if (v + 1 < from) {
				ck_lerror(p->fe, t.file, t.line, "bad port range");
				return -1;
			}
			if (charge(p->fe, &p->fe->nlisted, v + 1 - from, 2ull * CK_MAX_CONNS,
				   ck_landmark(p->fe, &t)) < 0)
				return -1;
			for (q = from; q <= v; q++) {
				ck_grow(p->fe, (void **)ports, &cap, *n, sizeof(**ports));
				(*ports)[(*n)++] = q;
			}
		} else {
			if (charge(p->fe, &p->fe->nlisted, 1, 2ull * CK_MAX_CONNS,
				   ck_landmark(p->fe, &t)) < 0)
				return -1;
			ck_grow(p->fe, (void **)ports, &cap, *n, sizeof(**ports));
			(*ports)[(*n)++] = (uint32_t)v;
		}
		t = ck_lex_next(p->lx);
		if (t.kind == ']')
			return 0;
		if (t.kind == ',' && ck_lex_peek(p->lx).kind == ']') {
			/* "[1, ]": 1 and as many ports after it as needed */
			ck_lex_next(p->lx);
			*expand = 1;
			return 0;
		}
		if (t.kind != ',' && t.kind != '-') {
			if (t.kind != CK_T_ERROR)
				ck_lerror(p->fe, t.file, t.line, "syntax error near '%s' (expected ']')",
					  ck_tok_str(p->fe, &t));
			ck_lex_unget(p->lx, t);
			return -1;
		}
		range = t.kind == '-';
	}
}

static void
settle_pending(struct ck_pctx *p, struct ck_elist *l, struct ck_class *cls, const char *config)
{
	uint32_t i;

	for (i = 0; i < l->n; i++) {
		struct ck_eref *e = &l->v[i];

		if (!e->pending)
			continue;
		if (cls) {
			e->tgt = e->src = declare(p, e->pending, cls, config, e->landmark);
		} else if (e->pending[0] >= 'A' && e->pending[0] <= 'Z') {
			/* a class name Click has and this table lacks, used anonymously */
			ck_fe_error(p->fe, e->landmark, "unknown element class '%s'", e->pending);
			e->tgt = e->src = -1;
		} else {
			ck_fe_error(p->fe, e->landmark, "undeclared element '%s'", e->pending);
			e->tgt = e->src = -1;
		}
		e->pending = NULL;
	}
}

/* The element part after its optional port list: 1 parsed, 0 none there, -1 error. */
static int
parse_ref(struct ck_pctx *p, struct ck_elist *l, struct ck_eref *e)
{
	struct ck_tok t = ck_lex_next(p->lx);
	struct ck_class *cls;

	e->landmark = ck_landmark(p->fe, &t);
	e->tgt = e->src = -1;
	if (t.kind == '(') {
		struct ck_group g, *saved = p->grp;

		if (p->fe->depth >= CK_MAX_DEPTH) {
			ck_fe_error(p->fe, e->landmark, "element groups nested too deeply");
			return -1;
		}
		g.in = ck_scope_add(p->fe, p->sc, "", CK_D_TUNNEL, NULL, "", e->landmark);
		g.out = ck_scope_add(p->fe, p->sc, "", CK_D_TUNNEL_OUT, NULL, "", e->landmark);
		p->sc->ngroups++;
		p->grp = &g;
		p->fe->depth++;
		ck_parse_stmts(p, ')');
		p->fe->depth--;
		p->grp = saved;
		e->tgt = (int32_t)g.in;
		e->src = (int32_t)g.out;
		return expect(p, ')', ")") < 0 ? -1 : 1;
	}
	if (t.kind == '{') {
		char *config = NULL;

		cls = ck_parse_compound(p, "", e->landmark);
		if (!cls)
			return -1;
		/* "{ ... }(ARGS)": the anonymous compound's configuration */
		if (ck_lex_peek(p->lx).kind == '(' && !(config = read_config(p)))
			return -1;
		/* as Click's, an anonymous compound is "@N" */
		e->tgt = e->src = declare(p, anon_name(p->fe, p->sc, ""), cls,
					  config ? config : "", e->landmark);
		return e->tgt < 0 ? -1 : 1;
	}
	if (t.kind != CK_T_IDENT) {
		ck_lex_unget(p->lx, t);
		return 0;
	}
	if (ck_lex_peek(p->lx).kind == CK_T_COLONS) {
		struct ck_tok c;
		char *config = NULL;

		ck_lex_next(p->lx);
		c = ck_lex_next(p->lx);
		if (c.kind == '{') {
			cls = ck_parse_compound(p, t.text, ck_landmark(p->fe, &c));
		} else if (c.kind == CK_T_IDENT) {
			cls = ck_class_lookup(p->fe, p->sc, c.text);
			if (!cls)
				ck_lerror(p->fe, c.file, c.line, "unknown element class '%s'", c.text);
		} else {
			if (c.kind != CK_T_ERROR)
				ck_lerror(p->fe, c.file, c.line, "syntax error near '%s' (expected class)",
					  ck_tok_str(p->fe, &c));
			ck_lex_unget(p->lx, c);
			return -1;
		}
		if (ck_lex_peek(p->lx).kind == '(' && !(config = read_config(p)))
			return -1;
		if (!cls) {
			/* declared all the same, so later uses do not cascade */
			if (find_decl(p->sc, t.text) < 0)
				ck_scope_add(p->fe, p->sc, t.text, CK_D_ELEM, NULL, "", e->landmark);
			return -1;
		}
		settle_pending(p, l, cls, config);
		e->tgt = e->src = declare(p, t.text, cls, config, e->landmark);
		e->declared = 1;
		return e->tgt < 0 ? -1 : 1;
	}
	if (ck_lex_peek(p->lx).kind == '(') {
		char *config = read_config(p);

		if (!config)
			return -1;
		cls = ck_class_lookup(p->fe, p->sc, t.text);
		if (!cls && find_decl(p->sc, t.text) >= 0) {
			/* "a(3)" of an element a: as Click's message */
			ck_lerror(p->fe, t.file, t.line,
				  "configuration string ignored on element reference");
			return -1;
		}
		if (!cls) {
			ck_lerror(p->fe, t.file, t.line, "unknown element class '%s'", t.text);
			return -1;
		}
		e->tgt = e->src = declare(p, anon_name(p->fe, p->sc, t.text), cls, config,
					  e->landmark);
		return e->tgt < 0 ? -1 : 1;
	}
	if (p->grp && (strcmp(t.text, "input") == 0 || strcmp(t.text, "output") == 0)) {
		/* as a compound's: input is a source only, output a destination only */
		if (t.text[0] == 'i') {
			e->src = (int32_t)p->grp->in;
			e->tgt = -2;
		} else {
			e->tgt = (int32_t)p->grp->out;
			e->src = -3;
		}
		return 1;
	}
	e->tgt = e->src = e->ref = find_decl(p->sc, t.text);
	if (e->tgt >= 0) {
		if (p->sc->compound && e->tgt == 0)
			e->tgt = -2; /* input is a source only */
		else if (p->sc->compound && e->src == 1)
			e->src = -3; /* output is a destination only */
		return 1;
	}
	cls = ck_class_lookup(p->fe, p->sc, t.text);
	if (cls) {
		e->bare_class = t.text;
		e->tgt = e->src = declare(p, anon_name(p->fe, p->sc, t.text), cls, "",
					  e->landmark);
		return e->tgt < 0 ? -1 : 1;
	}
	e->pending = t.text;
	return 1;
}

/* A comma list of elements; -1 after an error (already reported). */
static int
parse_list(struct ck_pctx *p, struct ck_elist *l)
{
	memset(l, 0, sizeof(*l));
	for (;;) {
		struct ck_eref e;
		int rc, ports_before = 0;

		memset(&e, 0, sizeof(e));
		e.tgt = e.src = e.ref = -1;
		if (ck_lex_peek(p->lx).kind == '[') {
			struct ck_tok b = ck_lex_next(p->lx);

			e.landmark = ck_landmark(p->fe, &b);
			if (parse_ports(p, &e.inp, &e.nin, &e.in_expand) < 0)
				return -1;
			e.in_given = ports_before = 1;
		}
		rc = parse_ref(p, l, &e);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			/* nothing here: the end of a connection, or an implicit input/output */
			if (ports_before) {
				e.tgt = e.src = -4; /* bare ports: resolved by the caller */
				ck_grow(p->fe, (void **)&l->v, &l->cap, l->n, sizeof(*l->v));
				l->v[l->n++] = e;
			}
			break;
		}
		if (ck_lex_peek(p->lx).kind == '[') {
			ck_lex_next(p->lx);
			if (parse_ports(p, &e.outp, &e.nout, &e.out_expand) < 0)
				return -1;
			e.out_given = 1;
		}
		ck_grow(p->fe, (void **)&l->v, &l->cap, l->n, sizeof(*l->v));
		l->v[l->n++] = e;
		if (ck_lex_peek(p->lx).kind != ',')
			break;
		ck_lex_next(p->lx);
	}
	settle_pending(p, l, NULL, NULL);
	return 0;
}

struct ck_hook {
	int32_t decl;
	uint32_t port;
	const char *landmark;
};

/* The hookups of one side of a connection; -1 after an error. */
static int
side_hooks(struct ck_pctx *p, struct ck_elist *l, int out, int other_n, struct ck_hook **h,
	   uint32_t *n, uint32_t *nexpand)
{
	uint32_t i, cap = 0, fixed = 0;

	*h = NULL;
	*n = 0;
	for (i = 0; i < l->n; i++) {
		struct ck_eref *e = &l->v[i];

		if (out ? e->out_expand : e->in_expand)
			(*nexpand)++;
		else if (out ? e->out_given : e->in_given)
			fixed += out ? e->nout : e->nin;
		else
			fixed++;
	}
	for (i = 0; i < l->n; i++) {
		struct ck_eref *e = &l->v[i];
		int32_t d = out ? e->src : e->tgt;
		uint32_t k, np;
		uint32_t *ports;

		if (d == -1)
			return 1; /* its error is reported: connect nothing, parse on */
		if (d < 0) {
			if (d == -2 || d == -3)
				ck_fe_error(p->fe, e->landmark, "'%s' has no %s", d == -2 ? "input" : "output",
					 d == -2 ? "inputs" : "outputs");
			return -1;
		}
		if (out ? e->out_expand : e->in_expand) {
			/* "[]" is port 0 and as many more as the other side
			 * needs; "[2, 5, ]" is 2, 5 and then 6, 7, ... */
			uint32_t m = out ? e->nout : e->nin;

			np = other_n > (int)fixed ? (uint32_t)other_n - fixed : 0;
			np = np > m ? np : m > 0 ? m : 1;
			ports = out ? e->outp : e->inp;
			if (m > 0 && ports[m - 1] + (uint64_t)(np - m) > CK_MAX_PORT) {
				ck_fe_error(p->fe, e->landmark, "port number %llu too large",
					    (unsigned long long)ports[m - 1] + (np - m));
				return -1;
			}
			for (k = 0; k < np; k++) {
				ck_grow(p->fe, (void **)h, &cap, *n, sizeof(**h));
				(*h)[*n].decl = d;
				(*h)[*n].port = k < m ? ports[k]
						: m ? ports[m - 1] + 1 + (k - m) : k;
				(*h)[*n].landmark = e->landmark;
				(*n)++;
			}
			continue;
		} else if (out ? e->out_given : e->in_given) {
			np = out ? e->nout : e->nin;
			ports = out ? e->outp : e->inp;
		} else {
			np = 1;
			ports = NULL;
		}
		for (k = 0; k < np; k++) {
			ck_grow(p->fe, (void **)h, &cap, *n, sizeof(**h));
			(*h)[*n].decl = d;
			(*h)[*n].port = ports ? ports[k] : k;
			(*h)[*n].landmark = e->landmark;
			(*n)++;
		}
	}
	return 0;
}

static uint32_t
count_side(const struct ck_elist *l, int out)
{
	uint32_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		const struct ck_eref *e = &l->v[i];

		if (out ? e->out_expand : e->in_expand)
			continue;
		n += (out ? e->out_given : e->in_given) ? (out ? e->nout : e->nin) : 1;
	}
	return n;
}

static void
add_conn(struct ck_pctx *p, const struct ck_hook *a, const struct ck_hook *b, const char *lm)
{
	struct ck_scope *sc = p->sc;
	struct ck_sconn *c;

	ck_grow(p->fe, (void **)&sc->conn, &sc->capconn, sc->nconn, sizeof(*sc->conn));
	c = &sc->conn[sc->nconn++];
	c->from = (uint32_t)a->decl;
	c->fport = a->port;
	c->to = (uint32_t)b->decl;
	c->tport = b->port;
	c->landmark = (char *)lm;
}

/* Give a lone element group of a '=>' connection the ports it uses inside (rule 7). */
static void
group_ports(struct ck_pctx *p, struct ck_eref *e, int out)
{
	const struct ck_scope *sc = p->sc;
	int32_t d = out ? e->src : e->tgt;
	uint32_t i, n = 0;

	if (d < 0 || (out ? e->out_given : e->in_given) || sc->el[d].name[0] ||
	    sc->el[d].kind == CK_D_ELEM)
		return;
	for (i = 0; i < sc->nconn; i++) {
		if (out && sc->conn[i].to == (uint32_t)d && sc->conn[i].tport + 1 > n)
			n = sc->conn[i].tport + 1;
		if (!out && sc->conn[i].from == (uint32_t)d && sc->conn[i].fport + 1 > n)
			n = sc->conn[i].fport + 1;
	}
	if (n <= 1)
		return;
	if (out) {
		e->outp = ck_alloc(p->fe, n * sizeof(uint32_t));
		e->nout = n;
		e->out_given = 1;
	} else {
		e->inp = ck_alloc(p->fe, n * sizeof(uint32_t));
		e->nin = n;
		e->in_given = 1;
	}
	for (i = 0; i < n; i++)
		(out ? e->outp : e->inp)[i] = i;
}

/* Connect the outputs of @l to the inputs of @r (rules 4-6); -1 after an error. */
static int
connect_lists(struct ck_pctx *p, struct ck_elist *l, struct ck_elist *r, int many,
	      const char *lm)
{
	struct ck_hook *oh, *ih;
	uint32_t no, ni, nexp = 0, i, j;
	int lo = (int)count_side(l, 1), ri = (int)count_side(r, 0);

	if (many) {
		/* a group on its own has as many ports as it uses inside */
		group_ports(p, &l->v[0], 1);
		group_ports(p, &r->v[0], 0);
		lo = (int)count_side(l, 1);
		ri = (int)count_side(r, 0);
	}
	if (many && l->n == 1 && !l->v[0].out_given && ri > 1) {
		l->v[0].out_given = l->v[0].out_expand = 1;
		nexp--; /* an implicit expansion does not count against '[]' */
	}
	if (many && r->n == 1 && !r->v[0].in_given && lo > 1) {
		r->v[0].in_given = r->v[0].in_expand = 1;
		nexp--;
	}
	if (side_hooks(p, l, 1, ri, &oh, &no, &nexp) < 0 ||
	    side_hooks(p, r, 0, lo, &ih, &ni, &nexp) < 0)
		return -1;
	if ((int32_t)nexp > 1) {
		ck_fe_error(p->fe, lm, "at most one expandable port allowed per connection");
		return -1;
	}
	if (!many) {
		if (no > 1 && ni > 1) {
			ck_fe_error(p->fe, lm, "syntax error: many-to-many connections require '=>'");
			return -1;
		}
		if (charge(p->fe, &p->fe->nsconn, (uint64_t)no * ni, CK_MAX_CONNS, lm) < 0)
			return -1;
		for (i = 0; i < no; i++)
			for (j = 0; j < ni; j++)
				add_conn(p, &oh[i], &ih[j], lm);
		return 0;
	}
	if (!no || !ni)
		return 0; /* a side's error is reported: connect nothing */
	if (no != ni && no != 1 && ni != 1) {
		ck_fe_error(p->fe, lm, "connection mismatch: %u outputs connected to %u inputs", no, ni);
		return -1;
	}
	if (charge(p->fe, &p->fe->nsconn, no > ni ? no : ni, CK_MAX_CONNS, lm) < 0)
		return -1;
	/* one port on a side (no list to pair it with) meets every one of the other's */
	for (i = 0; i < (no > ni ? no : ni); i++)
		add_conn(p, &oh[no == 1 ? 0 : i], &ih[ni == 1 ? 0 : i], lm);
	return 0;
}

/* The implicit input (@out 0) or output of a connection; 0, or -1 outside a compound. */
static int
implicit_end(struct ck_pctx *p, struct ck_elist *l, int out, const char *lm)
{
	int32_t d;

	if (p->grp)
		d = (int32_t)(out ? p->grp->out : p->grp->in);
	else if (p->sc->compound)
		d = out ? 1 : 0;
	else
		return -1;
	if (l->n == 0) {
		ck_grow(p->fe, (void **)&l->v, &l->cap, l->n, sizeof(*l->v));
		memset(&l->v[0], 0, sizeof(l->v[0]));
		l->n = 1;
	}
	l->v[0].tgt = l->v[0].src = d;
	l->v[0].landmark = (char *)lm;
	if (out) {
		/* "-> [1]" at the end names output 1 of the implicit output */
		l->v[0].outp = NULL;
		l->v[0].out_given = 0;
	} else {
		/* "[1] ->" at the start names output 1 of the implicit input */
		l->v[0].outp = l->v[0].inp;
		l->v[0].nout = l->v[0].nin;
		l->v[0].out_given = l->v[0].in_given;
		l->v[0].out_expand = l->v[0].in_expand;
		l->v[0].in_given = 0;
	}
	return 0;
}

/* "a, b :: C" on its own declares every name of the list (rule 1): one
 * declared already is declared again, as in Click, not silently kept with
 * its first class. */
static void
redeclared_in_list(struct ck_pctx *p, const struct ck_elist *l)
{
	uint32_t i;

	for (i = 0; i + 1 < l->n; i++) {
		const struct ck_eref *e = &l->v[i];
		const struct ck_decl *d;

		if (e->in_given || e->out_given)
			continue;
		if (e->bare_class && e->tgt >= 0) {
			/* "a, Idle, b :: C": Idle would be declared a C */
			ck_fe_error(p->fe, e->landmark, "class '%s' used as element name",
				    e->bare_class);
			continue;
		}
		if (e->ref < 0)
			continue;
		d = &p->sc->el[e->ref];
		ck_fe_error(p->fe, e->landmark, "redeclaration of element '%s'", d->name);
		if (d->kind == CK_D_ELEM)
			ck_fe_error(p->fe, d->landmark, "element '%s' previously declared here", d->name);
	}
}

/* Ports before the first elements of a chain, or after its last ones,
 * connect nothing: an error, as Click's, not silently dropped. */
static void
stranded_ports(struct ck_pctx *p, const struct ck_elist *l, int out)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (out ? l->v[i].out_given : l->v[i].in_given) {
			ck_fe_error(p->fe, l->v[i].landmark, out ? "output ports ignored at end of chain"
								 : "input ports ignored at start of chain");
			return;
		}
}

static void
parse_connection(struct ck_pctx *p)
{
	struct ck_elist l, r;
	struct ck_tok t;
	char *lm;

	t = ck_lex_peek(p->lx);
	lm = ck_landmark(p->fe, &t);
	if (parse_list(p, &l) < 0)
		goto skip;
	t = ck_lex_peek(p->lx);
	if (t.kind != CK_T_ARROW && t.kind != CK_T_DARROW && l.n > 1 && l.v[l.n - 1].declared)
		redeclared_in_list(p, &l);
	if (!(l.n == 1 && l.v[0].tgt == -4))
		stranded_ports(p, &l, 0);
	if (l.n == 0 || (l.n == 1 && l.v[0].tgt == -4)) {
		if ((t.kind != CK_T_ARROW && t.kind != CK_T_DARROW) ||
		    implicit_end(p, &l, 0, lm) < 0) {
			ck_lex_next(p->lx);
			if (t.kind != CK_T_ERROR)
				ck_lerror(p->fe, t.file, t.line, "syntax error near '%s'",
					  ck_tok_str(p->fe, &t));
			goto skip;
		}
	}
	while (t.kind == CK_T_ARROW || t.kind == CK_T_DARROW) {
		char *clm = ck_landmark(p->fe, &t);

		ck_lex_next(p->lx);
		if (parse_list(p, &r) < 0)
			goto skip;
		if (r.n == 0 || (r.n == 1 && r.v[0].tgt == -4)) {
			if (implicit_end(p, &r, 1, clm) < 0) {
				struct ck_tok u = ck_lex_peek(p->lx);

				if (u.kind != CK_T_ERROR)
					ck_lerror(p->fe, u.file, u.line, "syntax error near '%s'",
						  ck_tok_str(p->fe, &u));
				goto skip;
			}
			if (connect_lists(p, &l, &r, t.kind == CK_T_DARROW, clm) < 0)
				goto skip;
			/* the implicit output ends the chain: "a -> -> b" and
			 * "a -> [1] -> b" are no two connections */
			t = ck_lex_peek(p->lx);
			if (t.kind == CK_T_ARROW || t.kind == CK_T_DARROW) {
				ck_lerror(p->fe, t.file, t.line, "syntax error near '%s'",
					  ck_tok_str(p->fe, &t));
				goto skip;
			}
			return;
		}
		if (connect_lists(p, &l, &r, t.kind == CK_T_DARROW, clm) < 0)
			goto skip;
		l = r;
		t = ck_lex_peek(p->lx);
	}
	stranded_ports(p, &l, 1);
	return;

skip:
	/* recover at the next ';' so later errors are reported too */
	for (;;) {
		t = ck_lex_peek(p->lx);
		if (t.kind == CK_T_EOF || t.kind == '}' || t.kind == ')')
			return;
		ck_lex_next(p->lx);
		if (t.kind == '(' && !ck_lex_config(p->lx, t.line))
			return;
		if (t.kind == ';' || t.kind == CK_T_ERROR)
			return;
	}
}

/* Statements up to @end (not consumed), or to "||" inside a compound. */
void
ck_parse_stmts(struct ck_pctx *p, int end)
{
	for (;;) {
		struct ck_tok t = ck_lex_peek(p->lx);
		char *lm, *config;

		if (t.kind == end || t.kind == CK_T_EOF)
			return;
		if (t.kind == CK_T_BAR2 && end == '}')
			return;
		if (t.kind == CK_T_ERROR) {
			ck_lex_next(p->lx);
			return;
		}
		switch (t.kind) {
		case ';':
			ck_lex_next(p->lx);
			break;
		case CK_T_ELEMENTCLASS:
			ck_lex_next(p->lx);
			ck_parse_elementclass(p);
			break;
		case CK_T_REQUIRE:
		case CK_T_PROVIDE:
		case CK_T_DEFINE:
			ck_lex_next(p->lx);
			lm = ck_landmark(p->fe, &t);
			if (ck_lex_peek(p->lx).kind != '(') {
				expect(p, '(', "(");
				ck_lex_next(p->lx);
				break;
			}
			config = read_config(p);
			if (!config)
				break;
			if (t.kind == CK_T_DEFINE)
				ck_do_define(p->fe, p->sc, config, lm);
			else if (t.kind == CK_T_REQUIRE)
				ck_do_require(p, config, lm);
			break;
		case ')':
		case '}':
			ck_lex_next(p->lx);
			ck_lerror(p->fe, t.file, t.line, "syntax error near '%s'", ck_tok_str(p->fe, &t));
			break;
		default:
			parse_connection(p);
			break;
		}
	}
}

/* Parse @len bytes of @text named @file into @sc; 0, or -1 when it reported errors. */
int
ck_parse_text(struct ck_front *fe, struct ck_scope *sc, const char *text, size_t len,
	      const char *file)
{
	struct ck_lex lx;
	struct ck_pctx p = { fe, &lx, sc, NULL };
	unsigned int before = fe->nerrors;
	const char *nul = memchr(text, '\0', len);

	if (nul) {
		/* the lexer would take it for the end: the rest would be lost */
		unsigned int line = 1;

		for (const char *c = text; c < nul; c++)
			line += *c == '\n';
		ck_lerror(fe, file, line, "NUL byte in the configuration");
		return -1;
	}
	ck_lex_init(&lx, fe, text, len, file);
	for (;;) {
		struct ck_tok t;

		ck_parse_stmts(&p, CK_T_EOF);
		t = ck_lex_next(&lx);
		if (t.kind == CK_T_EOF)
			break;
		if (t.kind != CK_T_ERROR)
			ck_lerror(fe, t.file, t.line, "syntax error near '%s'", ck_tok_str(fe, &t));
	}
	/* a library is read in the middle of its includer: the names the
	 * includer declares after it count too */
	if (fe->depth == 0)
		ck_scope_deanonymize(fe, sc);
	return fe->nerrors > before ? -1 : 0;
}
