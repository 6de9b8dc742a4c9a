/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_expand.c — from the parsed scopes to one flat graph: $variables in
 * configuration strings (rule 12), formals matched against a compound
 * element's arguments and the choice among overloads (rules 10, 11),
 * components renamed "compound/component" (rule 8), and the tunnels
 * (compound input/output, element groups) removed by joining what enters a
 * tunnel port with what leaves it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ck_priv.h"

struct ck_binding {
	char *name, *value;
};

struct ck_env {
	const struct ck_env *parent;
	const struct ck_scope *scope;
	struct ck_binding *b;
	uint32_t n, cap;
};

struct ck_sbuf {
	char *p;
	uint32_t n, cap;
	int over;
};

static void
sb_put(struct ck_front *fe, struct ck_sbuf *b, const char *s, size_t n)
{
	if (b->over || b->n + n >= CK_MAX_CONFIG) {
		b->over = 1;
		return;
	}
	while (b->n + n + 1 > b->cap)
		ck_grow(fe, (void **)&b->p, &b->cap, b->cap, 1);
	memcpy(b->p + b->n, s, n);
	b->n += (uint32_t)n;
	b->p[b->n] = '\0';
}

static const char *
env_get(const struct ck_env *env, const char *name, size_t n)
{
	for (; env; env = env->parent) {
		uint32_t i = env->n;

		while (i-- > 0)
			if (strlen(env->b[i].name) == n && memcmp(env->b[i].name, name, n) == 0)
				return env->b[i].value;
	}
	return NULL;
}

static void
env_set(struct ck_front *fe, struct ck_env *env, const char *name, const char *value)
{
	ck_grow(fe, (void **)&env->b, &env->cap, env->n, sizeof(*env->b));
	env->b[env->n].name = ck_strdup(fe, name);
	env->b[env->n++].value = ck_strdup(fe, value);
}

static void
put_value(struct ck_front *fe, struct ck_sbuf *b, const char *v, int dq)
{
	if (!dq) {
		sb_put(fe, b, v, strlen(v));
		return;
	}
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			sb_put(fe, b, "\\", 1);
		sb_put(fe, b, v, 1);
	}
}

/* Word @idx (from 0) of @v, separated by spaces, or "" */
static void
put_word(struct ck_front *fe, struct ck_sbuf *b, const char *v, long idx, int dq)
{
	long k = 0;

	for (;;) {
		const char *e;

		while (*v && isspace((unsigned char)*v))
			v++;
		if (!*v)
			return;
		e = v;
		while (*e && !isspace((unsigned char)*e))
			e++;
		if (k++ == idx) {
			char *w = ck_strndup(fe, v, (size_t)(e - v));

			put_value(fe, b, w, dq);
			return;
		}
		v = e;
	}
}

static int
var_char(int c)
{
	return isalnum(c) || c == '_';
}

static void expand_into(struct ck_front *fe, const struct ck_env *env, const char *s, size_t n,
			struct ck_sbuf *b, int depth);

/* "${...}" at @s (length @n, without "${" and "}"); Returns 0, or -1 when not a parameter. */
static int
expand_braced(struct ck_front *fe, const struct ck_env *env, const char *s, size_t n,
	      struct ck_sbuf *b, int dq, int depth)
{
	size_t k = 0;
	const char *v;

	while (k < n && var_char((unsigned char)s[k]))
		k++;
	if (k == 0)
		return -1;
	v = env_get(env, s, k);
	if (k == n) {
		if (!v)
			return -1;
		put_value(fe, b, v, dq);
		return 0;
	}
	if (s[k] == '-') {
		if (v) {
			put_value(fe, b, v, dq);
		} else {
			struct ck_sbuf d = { 0 };

			expand_into(fe, env, s + k + 1, n - k - 1, &d, depth + 1);
			put_value(fe, b, d.p ? d.p : "", dq);
		}
		return 0;
	}
	if (s[k] == '[' && s[n - 1] == ']') {
		struct ck_sbuf d = { 0 };
		char *end;
		long idx;

		if (!v)
			return -1;
		expand_into(fe, env, s + k + 1, n - k - 2, &d, depth + 1);
		idx = strtol(d.p ? d.p : "", &end, 10);
		if (!d.p || end == d.p || *end)
			return -1;
		put_word(fe, b, v, idx, dq);
		return 0;
	}
	return -1;
}

static void
expand_into(struct ck_front *fe, const struct ck_env *env, const char *s, size_t n,
	    struct ck_sbuf *b, int depth)
{
	size_t i = 0;
	int dq = 0;

	if (depth > 32) {
		sb_put(fe, b, s, n);
		return;
	}
	while (i < n) {
		char c = s[i];

		if (c == '\'' && !dq) {
			size_t j = i + 1;

			while (j < n && s[j] != '\'')
				j++;
			j = j < n ? j + 1 : n;
			sb_put(fe, b, s + i, j - i);
			i = j;
		} else if (c == '/' && !dq && i + 1 < n && (s[i + 1] == '/' || s[i + 1] == '*')) {
			/* a comment is copied as it is: no parameter in it, and
			 * its quotes ("don't") start no quoted text */
			size_t j = i + 2;

			if (s[i + 1] == '/') {
				while (j < n && s[j] != '\n')
					j++;
			} else {
				while (j < n && !(s[j] == '/' && s[j - 1] == '*' && j > i + 2))
					j++;
				j = j < n ? j + 1 : n;
			}
			sb_put(fe, b, s + i, j - i);
			i = j;
		} else if (c == '"') {
			dq = !dq;
			sb_put(fe, b, s + i++, 1);
		} else if (c == '\\' && dq && i + 1 < n) {
			sb_put(fe, b, s + i, 2);
			i += 2;
		} else if (c == '$' && i + 1 < n && s[i + 1] == '{') {
			size_t j = i + 2;
			int nest = 0;

			/* a parameter never spans a quote: "${y-"}" is text */
			while (j < n && (s[j] != '}' || nest) && s[j] != '"' && s[j] != '\'') {
				nest += s[j] == '{' ? 1 : s[j] == '}' ? -1 : 0;
				j++;
			}
			if (j >= n || s[j] != '}') {
				sb_put(fe, b, s + i++, 1);
				continue;
			}
			if (expand_braced(fe, env, s + i + 2, j - i - 2, b, dq, depth) < 0)
				sb_put(fe, b, s + i, j + 1 - i);
			i = j + 1;
		} else if (c == '$' && i + 1 < n && var_char((unsigned char)s[i + 1])) {
			size_t j = i + 1;
			const char *v;

			while (j < n && var_char((unsigned char)s[j]))
				j++;
			v = env_get(env, s + i + 1, j - i - 1);
			if (v)
				put_value(fe, b, v, dq);
			else
				sb_put(fe, b, s + i, j - i);
			i = j;
		} else {
			sb_put(fe, b, s + i++, 1);
		}
	}
}

/* @s with the parameters of @env expanded (rule 12); NULL (reported at @landmark) when too long. */
char *
ck_expand(struct ck_front *fe, const struct ck_env *env, const char *s, const char *landmark)
{
	struct ck_sbuf b = { 0 };

	expand_into(fe, env, s, strlen(s), &b, 0);
	if (b.over) {
		ck_fe_error(fe, landmark, "configuration string too long after expansion");
		return NULL;
	}
	/* compounds multiply what parameters make: a 100 KB text of nested
	 * classes could expand to hundreds of gigabytes */
	fe->nexpanded += b.n;
	if (fe->nexpanded > CK_MAX_CONFIG_TOTAL) {
		ck_fe_error(fe, landmark, "configuration too large (over %u MiB of configuration "
			    "strings after expansion)", CK_MAX_CONFIG_TOTAL >> 20);
		return NULL;
	}
	return b.p ? b.p : ck_strdup(fe, "");
}

/* The keyword an argument starts with, as Click's cp_keyword: a word of
 * letters, digits and "_.:?!" up to the first space, with a value after
 * it (a keyword alone is none, as Click's); its length, or 0. */
static size_t
arg_keyword(const char *a)
{
	size_t n = 0, v;

	for (; a[n] && !isspace((unsigned char)a[n]); n++)
		if (!isalnum((unsigned char)a[n]) && !strchr("_.:?!", a[n]))
			return 0;
	for (v = n; a[v] && isspace((unsigned char)a[v]); v++)
		;
	return a[v] ? n : 0;
}

/*
 * Bind the arguments @args to the formals of @body in @env, as Click's
 * cp_assign_arguments: the first arguments go to the positional formals in
 * order; only then is an argument "KEYWORD value" taken for a keyword
 * formal (a repeated keyword: the last value); every formal, keyword ones
 * too, must be given; the arguments left over go to __REST__, joined with
 * ", ", and are an error without it. Returns 0, or -1 when they do not fit.
 */
static int
bind_formals(struct ck_front *fe, const struct ck_scope *body, char **args, uint32_t nargs,
	     struct ck_env *env)
{
	uint32_t npos = 0, nsupplied = 0, i, j;
	int rest = -1, any_kw = 0;
	char **bound = ck_alloc(fe, (body->nformal + 1) * sizeof(char *));
	int *used = ck_alloc(fe, (nargs + 1) * sizeof(int));

	for (i = 0; i < body->nformal; i++) {
		if (!body->formal_kw[i])
			npos++;
		else if (strcmp(body->formal_kw[i], "__REST__") == 0)
			rest = (int)i;
	}
	for (j = 0; j < nargs; j++) {
		if (nsupplied >= npos) {
			const char *a = args[j];
			size_t n = arg_keyword(a);

			for (i = npos; n && i < body->nformal; i++) {
				const char *kw = body->formal_kw[i];

				if ((int)i != rest && strlen(kw) == n && memcmp(kw, a, n) == 0)
					break;
			}
			if (n && i < body->nformal) {
				a += n;
				while (*a && isspace((unsigned char)*a))
					a++;
				bound[i] = (char *)a;
				used[j] = 1;
				any_kw = 1;
				continue;
			}
			if (any_kw) {
				if (rest < 0)
					return -1;
				continue; /* for __REST__ */
			}
		}
		/* positional; past the positional formals, for __REST__ */
		if (nsupplied < npos) {
			bound[nsupplied] = args[j];
			used[j] = 1;
		}
		nsupplied++;
	}
	if (nsupplied < npos || (nsupplied > npos && rest < 0))
		return -1;
	for (i = npos; i < body->nformal; i++)
		if ((int)i != rest && !bound[i])
			return -1; /* keyword formals are mandatory, as Click's */
	for (j = 0; j < nargs; j++)
		if (!used[j] && rest >= 0)
			bound[rest] = bound[rest] ? ck_printf(fe, "%s, %s", bound[rest], args[j])
						  : args[j];
	for (i = 0; i < body->nformal; i++)
		env_set(fe, env, body->formal[i], bound[i] ? bound[i] : "");
	return 0;
}

struct ck_fctx {
	struct ck_front *fe;
	struct ck_flat *fl;
	int failed;
};

static uint32_t
add_node(struct ck_fctx *fx, const char *name, const struct ck_class_info *prim,
	 const char *config, const char *landmark, const char *what, int out)
{
	struct ck_flat *fl = fx->fl;
	struct ck_flat_node *nd;

	if (fl->nnode >= CK_MAX_ELEMS) {
		if (!fx->failed)
			ck_fe_error(fx->fe, landmark, "configuration too large (over %u elements)",
				 CK_MAX_ELEMS);
		fx->failed = 1;
		return 0;
	}
	ck_grow(fx->fe, (void **)&fl->node, &fl->capnode, fl->nnode, sizeof(*fl->node));
	nd = &fl->node[fl->nnode];
	nd->name = (char *)name;
	nd->prim = prim;
	nd->config = (char *)config;
	nd->landmark = (char *)landmark;
	nd->what = (char *)what;
	nd->out = out;
	return fl->nnode++;
}

static void
add_flat_conn(struct ck_fctx *fx, uint32_t a, uint32_t ap, uint32_t b, uint32_t bp,
	      const char *lm)
{
	struct ck_flat *fl = fx->fl;
	struct ck_sconn *c;

	if (fl->nconn >= CK_MAX_CONNS) {
		if (!fx->failed)
			ck_fe_error(fx->fe, lm, "configuration too large (over %u connections)",
				 CK_MAX_CONNS);
		fx->failed = 1;
		return;
	}
	ck_grow(fx->fe, (void **)&fl->conn, &fl->capconn, fl->nconn, sizeof(*fl->conn));
	c = &fl->conn[fl->nconn++];
	c->from = a;
	c->fport = ap;
	c->to = b;
	c->tport = bp;
	c->landmark = (char *)lm;
}

/* The environment of @scope's definition among @env and its ancestors. */
static const struct ck_env *
env_for(const struct ck_env *env, const struct ck_scope *scope)
{
	const struct ck_env *e;

	for (e = env; e; e = e->parent)
		if (e->scope == scope)
			return e;
	while (env && env->parent)
		env = env->parent;
	return env;
}

static void
expand_scope(struct ck_fctx *fx, const struct ck_scope *sc, const char *prefix,
	     const struct ck_env *env, uint32_t in_node, uint32_t out_node);

/* Expand element @i of @sc: a primitive, or the chosen alternative of a compound. */
static void
expand_elem(struct ck_fctx *fx, const struct ck_scope *sc, uint32_t i, const char *prefix,
	    const struct ck_env *env, uint32_t nin, uint32_t nout, uint32_t *tgt, uint32_t *src)
{
	struct ck_front *fe = fx->fe;
	const struct ck_decl *d = &sc->el[i];
	const char *name = ck_printf(fe, "%s%s", prefix, d->name);
	char *cfg = ck_expand(fe, env, d->config, d->landmark);
	struct ck_env *benv = NULL;
	const struct ck_alt *pick = NULL;
	char **args = NULL;
	uint32_t nargs = 0, k, pass;

	if (!cfg) {
		fx->failed = 1;
		return;
	}
	if (!d->cls->alt[0].prim || d->cls->nalt > 1) /* a compound's arguments */
		args = ck_split_args(fe, cfg, &nargs);
	/* first an alternative with exactly these ports, then any whose arguments fit */
	for (pass = 0; pass < 2 && !pick; pass++) {
		for (k = 0; k < d->cls->nalt && !pick; k++) {
			const struct ck_alt *a = &d->cls->alt[k];

			if (a->prim) {
				pick = a;
				break;
			}
			if (pass == 0 && (a->body->ninputs != nin || a->body->noutputs != nout))
				continue;
			if (pass == 1 && d->cls->nalt > 1)
				break;
			benv = ck_alloc(fe, sizeof(*benv));
			benv->scope = a->body;
			benv->parent = env_for(env, a->body->parent);
			if (bind_formals(fe, a->body, args, nargs, benv) == 0)
				pick = a;
		}
	}
	if (!pick) {
		ck_fe_error(fe, d->landmark,
			 "no match for '%s :: %s' with %u inputs, %u outputs and %u arguments",
			 name, d->cls->name, nin, nout, nargs);
		fx->failed = 1;
		return;
	}
	if (pick->prim) {
		*tgt = *src = add_node(fx, name, pick->prim, cfg, d->landmark, NULL, 0);
		return;
	}
	if (fe->depth >= 4 * CK_MAX_DEPTH) {
		ck_fe_error(fe, d->landmark, "compound elements nested too deeply");
		fx->failed = 1;
		return;
	}
	{
		const char *what = ck_printf(fe, "'%s :: %s'", name, d->cls->name);

		*tgt = add_node(fx, ck_printf(fe, "%s/input", name), NULL, "", d->landmark, what, 0);
		*src = add_node(fx, ck_printf(fe, "%s/output", name), NULL, "", d->landmark, what, 1);
	}
	fe->depth++;
	expand_scope(fx, pick->body, ck_printf(fe, "%s/", name), benv, *tgt, *src);
	fe->depth--;
}

/* Flatten @sc into fx->fl with names prefixed by @prefix (rule 8). */
static void
expand_scope(struct ck_fctx *fx, const struct ck_scope *sc, const char *prefix,
	     const struct ck_env *env, uint32_t in_node, uint32_t out_node)
{
	struct ck_front *fe = fx->fe;
	uint32_t *tgt = ck_alloc(fe, (sc->nel + 1) * sizeof(uint32_t));
	uint32_t *src = ck_alloc(fe, (sc->nel + 1) * sizeof(uint32_t));
	uint32_t *nin = ck_alloc(fe, (sc->nel + 1) * sizeof(uint32_t));
	uint32_t *nout = ck_alloc(fe, (sc->nel + 1) * sizeof(uint32_t));
	struct ck_env *denv = ck_alloc(fe, sizeof(*denv));
	uint32_t i;

	/* the scope's defines take effect together, before anything of the
	 * scope; a compound's values are expanded first, as Click's, with its
	 * formals and the defines before them */
	denv->parent = env;
	denv->scope = sc;
	for (i = 0; i < sc->ndef; i++) {
		const char *v = sc->def[i].value;

		if (sc->compound && !(v = ck_expand(fe, denv, v, sc->def[i].landmark))) {
			fx->failed = 1;
			return;
		}
		env_set(fe, denv, sc->def[i].name, v);
	}
	if (sc == fe->top) {
		unsigned int k;

		for (k = 0; k < fe->nb_defs; k++) {
			const char *eq = strchr(fe->defs[k], '=');

			if (eq)
				env_set(fe, denv, ck_strndup(fe, fe->defs[k], (size_t)(eq - fe->defs[k])),
					eq + 1);
		}
	}
	env = denv;
	for (i = 0; i < sc->nconn; i++) {
		const struct ck_sconn *c = &sc->conn[i];

		if (c->tport + 1 > nin[c->to])
			nin[c->to] = c->tport + 1;
		if (c->fport + 1 > nout[c->from])
			nout[c->from] = c->fport + 1;
	}
	for (i = 0; i < sc->nel && !fx->failed; i++) {
		const struct ck_decl *d = &sc->el[i];

		if (sc->compound && i < 2) {
			tgt[i] = src[i] = i == 0 ? in_node : out_node;
		} else if (d->kind != CK_D_ELEM) {
			const char *lm = d->landmark;

			tgt[i] = src[i] = add_node(fx, ck_printf(fe, "%sgroup", prefix), NULL, "", lm,
						   ck_printf(fe, "element group at %s", lm),
						   d->kind == CK_D_TUNNEL_OUT);
		} else if (d->cls) {
			expand_elem(fx, sc, i, prefix, env, nin[i], nout[i], &tgt[i], &src[i]);
		} else {
			fx->failed = 1;
		}
	}
	for (i = 0; i < sc->nconn && !fx->failed; i++) {
		const struct ck_sconn *c = &sc->conn[i];

		add_flat_conn(fx, src[c->from], c->fport, tgt[c->to], c->tport, c->landmark);
	}
}

/* A compound's component renamed "c/a" may meet an element declared with
 * that name ("c/a :: Idle" beside "c :: C" holding "a"): as Click, an
 * error, so no two elements of the flat graph share a name. */
static void
check_names(struct ck_front *fe, const struct ck_flat *fl)
{
	uint32_t nslots = 16, i, k, *slot;

	while (nslots < 2 * fl->nnode)
		nslots *= 2;
	slot = ck_alloc(fe, nslots * sizeof(*slot)); /* node + 1, 0: free */
	for (i = 0; i < fl->nnode; i++) {
		const struct ck_flat_node *nd = &fl->node[i];
		uint32_t h = 2166136261u; /* FNV-1a */

		if (!nd->prim)
			continue;
		for (const char *c = nd->name; *c; c++)
			h = (h ^ (unsigned char)*c) * 16777619u;
		for (k = h & (nslots - 1); slot[k]; k = (k + 1) & (nslots - 1))
			if (strcmp(fl->node[slot[k] - 1].name, nd->name) == 0)
				break;
		if (!slot[k]) {
			slot[k] = i + 1;
			continue;
		}
		ck_fe_error(fe, nd->landmark, "redeclaration of element '%s'", nd->name);
		ck_fe_error(fe, fl->node[slot[k] - 1].landmark, "element '%s' previously declared here",
			    nd->name);
	}
}

/* Flatten the top scope of @fe into @fl; 0, or -1 after reporting errors. */
int
ck_flatten(struct ck_front *fe, struct ck_flat *fl)
{
	struct ck_fctx fx = { fe, fl, 0 };

	memset(fl, 0, sizeof(*fl));
	expand_scope(&fx, fe->top, "", NULL, 0, 0);
	if (!fx.failed && !fe->nerrors)
		check_names(fe, fl);
	return fx.failed || fe->nerrors ? -1 : 0;
}

static int
cmp_from(const void *a, const void *b)
{
	const struct ck_sconn *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->fport != y->fport)
		return x->fport < y->fport ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return x->tport < y->tport ? -1 : x->tport > y->tport;
}

static int
cmp_to(const void *a, const void *b)
{
	const struct ck_sconn *x = a, *y = b;

	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return x->tport < y->tport ? -1 : x->tport > y->tport;
}

/* Index of the first connection of @v (sorted by source) leaving @node port @port, or @n. */
static uint32_t
first_from(const struct ck_sconn *v, uint32_t n, uint32_t node, uint32_t port)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid].from < node || (v[mid].from == node && v[mid].fport < port))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].from == node && v[lo].fport == port ? lo : n;
}

static int
has_into(const struct ck_sconn *v, uint32_t n, uint32_t node, uint32_t port)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid].to < node || (v[mid].to == node && v[mid].tport < port))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].to == node && v[lo].tport == port;
}

/* Report the ports of tunnels entered and never left, or left and never entered. */
static void
check_tunnels(struct ck_front *fe, const struct ck_flat *fl, const struct ck_sconn *byfrom,
	      const struct ck_sconn *byto)
{
	uint32_t i, n = fl->nconn;

	for (i = 0; i < n; i++) {
		const struct ck_sconn *c = &byto[i];
		const struct ck_flat_node *t = &fl->node[c->to];

		if (t->prim || (i > 0 && byto[i - 1].to == c->to && byto[i - 1].tport == c->tport))
			continue;
		if (first_from(byfrom, n, c->to, c->tport) == n)
			ck_fe_error(fe, t->landmark, t->out ? "%s output %u unused" : "%s has no input %u",
				 t->what, c->tport);
	}
	for (i = 0; i < n; i++) {
		const struct ck_sconn *c = &byfrom[i];
		const struct ck_flat_node *t = &fl->node[c->from];

		if (t->prim || (i > 0 && byfrom[i - 1].from == c->from &&
				byfrom[i - 1].fport == c->fport))
			continue;
		if (!has_into(byto, n, c->from, c->fport))
			ck_fe_error(fe, t->landmark, t->out ? "%s has no output %u" : "%s input %u unused",
				 t->what, c->fport);
	}
}

/*
 * Replace every path through tunnels by direct connections between
 * primitive elements: @out gets @fl's nodes and the joined connections,
 * sorted and without repeats. Returns 0, or -1 after reporting unused or
 * missing tunnel ports.
 */
int
ck_remove_tunnels(struct ck_front *fe, struct ck_flat *fl, struct ck_flat *out)
{
	uint32_t n = fl->nconn, i, k, stamp = 0;
	struct ck_sconn *byfrom = ck_alloc(fe, (n + 1) * sizeof(*byfrom));
	struct ck_sconn *byto = ck_alloc(fe, (n + 1) * sizeof(*byto));
	uint32_t *seen = ck_alloc(fe, (n + 1) * sizeof(uint32_t));
	uint32_t *stack = ck_alloc(fe, (n + 1) * sizeof(uint32_t));
	unsigned int before = fe->nerrors;

	memset(out, 0, sizeof(*out));
	out->node = fl->node;
	out->nnode = fl->nnode;
	if (n) {
		memcpy(byfrom, fl->conn, n * sizeof(*byfrom));
		memcpy(byto, fl->conn, n * sizeof(*byto));
		qsort(byfrom, n, sizeof(*byfrom), cmp_from);
		qsort(byto, n, sizeof(*byto), cmp_to);
	}
	check_tunnels(fe, fl, byfrom, byto);
	if (fe->nerrors > before)
		return -1;
	for (i = 0; i < n; i++) {
		const struct ck_sconn *c = &byfrom[i];
		uint32_t sp = 0;

		if (!fl->node[c->from].prim)
			continue;
		stamp++;
		stack[sp++] = i;
		seen[i] = stamp;
		while (sp) {
			const struct ck_sconn *e = &byfrom[stack[--sp]];

			if (fl->node[e->to].prim) {
				struct ck_sconn *d;

				if (out->nconn >= CK_MAX_CONNS) {
					ck_fe_error(fe, c->landmark, "configuration too large (over %u connections)",
						 CK_MAX_CONNS);
					return -1;
				}
				ck_grow(fe, (void **)&out->conn, &out->capconn, out->nconn,
					sizeof(*out->conn));
				d = &out->conn[out->nconn++];
				d->from = c->from;
				d->fport = c->fport;
				d->to = e->to;
				d->tport = e->tport;
				d->landmark = c->landmark;
				continue;
			}
			for (k = first_from(byfrom, n, e->to, e->tport);
			     k < n && byfrom[k].from == e->to && byfrom[k].fport == e->tport; k++) {
				if (seen[k] == stamp)
					continue;
				seen[k] = stamp;
				stack[sp++] = k;
			}
		}
	}
	if (out->nconn) {
		qsort(out->conn, out->nconn, sizeof(*out->conn), cmp_from);
		for (i = 1, k = 1; i < out->nconn; i++)
			if (cmp_from(&out->conn[i], &out->conn[k - 1]) != 0)
				out->conn[k++] = out->conn[i];
		out->nconn = k;
	}
	return 0;
}
