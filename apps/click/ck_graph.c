/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_graph.c — the checks of CLICK-SCOPE §a.3 on the flat graph (port
 * counts, every port up to the highest used connected, push/pull with
 * agnostic ports resolved along flow codes, push outputs and pull inputs
 * connected once), the `click -qo-` printed form, and ck_graph_parse.
 */
#include <stdlib.h>
#include <string.h>

#include "ck_priv.h"

/*
 * The range of ports of side @side (0 inputs, 1 outputs) in a port_count()
 * string: "1", "1-2", "1-", "-", "=". Returns 0, 1 for "=" (as many outputs
 * as inputs), or -1 when @spec cannot be read.
 */
int
ck_ports_parse(const char *spec, int side, uint32_t *lo, uint32_t *hi)
{
	const char *s = spec, *slash = strchr(spec, '/');
	char *end;

	if (slash && side == 1)
		s = slash + 1;
	if (*s == '=') {
		*lo = *hi = 0;
		return side == 1 ? 1 : -1;
	}
	if (*s == '-') {
		*lo = 0;
		s++;
	} else {
		*lo = (uint32_t)strtoul(s, &end, 10);
		if (end == s)
			return -1;
		s = end;
		if (*s != '-') {
			*hi = *lo;
			return 0;
		}
		s++;
	}
	if (*s >= '0' && *s <= '9')
		*hi = (uint32_t)strtoul(s, &end, 10);
	else
		*hi = UINT32_MAX;
	return 0;
}

/* Processing letter of port @port of side @side ('a', 'h' or 'l'). */
static int
proc_letter(const char *proc, int side, uint32_t port)
{
	const char *s = proc, *slash = strchr(proc, '/');
	size_t n;

	if (!proc)
		return 'a';
	if (slash && side == 1)
		s = slash + 1;
	n = side == 0 && slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0)
		return 'a';
	return s[port < n ? port : n - 1];
}

#define CK_FLOW_HASH (1ull << 63)

/* The letters of port @port of side @side of a flow code ("x/x", "#/#", "[xy]/x"). */
static uint64_t
flow_set(const char *flow, int side, uint32_t port)
{
	const char *s = flow ? flow : "x/x", *slash = strchr(s, '/');
	const char *end;
	uint64_t set = 0, last = 0;
	uint32_t k = 0;

	if (slash && side == 1)
		s = slash + 1;
	end = side == 0 && slash ? slash : s + strlen(s);
	while (s < end) {
		set = 0;
		if (*s == '[') {
			for (s++; s < end && *s != ']'; s++)
				set |= *s == '#' ? CK_FLOW_HASH : 1ull << ((unsigned char)*s & 63);
			s++;
		} else {
			set = *s == '#' ? CK_FLOW_HASH : 1ull << ((unsigned char)*s & 63);
			s++;
		}
		last = set;
		if (k++ == port)
			return set;
	}
	return last;
}

static int
flows(const char *flow, uint32_t i, uint32_t j)
{
	uint64_t a = flow_set(flow, 0, i), b = flow_set(flow, 1, j);

	return (a & b & ~CK_FLOW_HASH) != 0 || ((a & b & CK_FLOW_HASH) && i == j);
}

static const char *
kind_str(int k)
{
	return k == CK_PULL ? "pull" : "push";
}

struct ck_chk {
	struct ck_front *fe;
	struct ck_graph *g;
	char **decl; /* "name :: Class" per element */
	const struct ck_class_info **ci;
	const char **conn_lm;
};

/* Port counts (router.cc's hookup checks); 0, or -1 after reporting errors. */
static int
check_ports(struct ck_chk *k)
{
	struct ck_graph *g = k->g;
	uint32_t *used_in = ck_alloc(k->fe, (g->nb_elems + 1) * sizeof(uint32_t));
	uint32_t *used_out = ck_alloc(k->fe, (g->nb_elems + 1) * sizeof(uint32_t));
	uint8_t **in_seen = ck_alloc(k->fe, (g->nb_elems + 1) * sizeof(uint8_t *));
	uint8_t **out_seen = ck_alloc(k->fe, (g->nb_elems + 1) * sizeof(uint8_t *));
	unsigned int before = k->fe->nerrors;
	uint32_t e, c, p;

	for (c = 0; c < g->nb_conns; c++) {
		const struct ck_conn *cn = &g->conns[c];

		if (cn->to_port + 1 > used_in[cn->to])
			used_in[cn->to] = cn->to_port + 1;
		if (cn->from_port + 1 > used_out[cn->from])
			used_out[cn->from] = cn->from_port + 1;
	}
	for (e = 0; e < g->nb_elems; e++) {
		struct ck_elem *el = &g->elems[e];
		uint32_t ilo, ihi, olo, ohi;
		int eq;

		if (ck_ports_parse(k->ci[e]->ports, 0, &ilo, &ihi) < 0 ||
		    (eq = ck_ports_parse(k->ci[e]->ports, 1, &olo, &ohi)) < 0) {
			ck_fe_error(k->fe, el->landmark, "class '%s' has a bad port count '%s'",
				 k->ci[e]->name, k->ci[e]->ports);
			continue;
		}
		el->nin = used_in[e] > ilo ? used_in[e] : ilo;
		if (el->nin > ihi)
			el->nin = ihi;
		if (eq)
			olo = ohi = el->nin;
		el->nout = used_out[e] > olo ? used_out[e] : olo;
		if (el->nout > ohi)
			el->nout = ohi;
		in_seen[e] = ck_alloc(k->fe, (size_t)(used_in[e] > el->nin ? used_in[e] : el->nin) + 1);
		out_seen[e] = ck_alloc(k->fe,
				       (size_t)(used_out[e] > el->nout ? used_out[e] : el->nout) + 1);
	}
	if (k->fe->nerrors > before)
		return -1;
	for (c = 0; c < g->nb_conns; c++) {
		const struct ck_conn *cn = &g->conns[c];

		if (cn->to_port >= g->elems[cn->to].nin && !in_seen[cn->to][cn->to_port])
			ck_fe_error(k->fe, k->conn_lm[c], "'%s' has no input %u", k->decl[cn->to],
				 cn->to_port);
		in_seen[cn->to][cn->to_port] = 1;
		if (cn->from_port >= g->elems[cn->from].nout && !out_seen[cn->from][cn->from_port])
			ck_fe_error(k->fe, k->conn_lm[c], "'%s' has no output %u", k->decl[cn->from],
				 cn->from_port);
		out_seen[cn->from][cn->from_port] = 1;
	}
	for (e = 0; e < g->nb_elems; e++) {
		const struct ck_elem *el = &g->elems[e];

		for (p = 0; p < el->nin; p++)
			if (!in_seen[e][p])
				ck_fe_error(k->fe, el->landmark, "'%s' input %u unused", k->decl[e], p);
		for (p = 0; p < el->nout; p++)
			if (!out_seen[e][p])
				ck_fe_error(k->fe, el->landmark, "'%s' output %u unused", k->decl[e], p);
	}
	return k->fe->nerrors > before ? -1 : 0;
}

struct ck_fpair {
	uint32_t e, i, j;
};

/* Set a port of unknown kind from its neighbour; 1 when something changed. */
static int
adopt(uint8_t *a, uint8_t *b)
{
	if (*a && !*b) {
		*b = *a;
		return 1;
	}
	if (*b && !*a) {
		*a = *b;
		return 1;
	}
	return 0;
}

/* Push/pull resolution and reuse (router.cc); 0, or -1 after reporting errors. */
static int
check_processing(struct ck_chk *k)
{
	struct ck_graph *g = k->g;
	struct ck_front *fe = k->fe;
	struct ck_fpair *fp = NULL;
	uint32_t nfp = 0, capfp = 0, e, c, i, j;
	uint8_t *bad = ck_alloc(fe, g->nb_conns + 1);
	unsigned int before = fe->nerrors;
	int changed;

	for (e = 0; e < g->nb_elems; e++) {
		struct ck_elem *el = &g->elems[e];
		const char *proc = k->ci[e]->processing;

		for (i = 0; i < el->nin; i++) {
			int l = proc_letter(proc, 0, i);

			el->in_kind[i] = l == 'h' ? CK_PUSH : l == 'l' ? CK_PULL : 0;
		}
		for (j = 0; j < el->nout; j++) {
			int l = proc_letter(proc, 1, j);

			el->out_kind[j] = l == 'h' ? CK_PUSH : l == 'l' ? CK_PULL : 0;
		}
		/* agnostic input i and agnostic output j are one port where flow allows */
		for (i = 0; i < el->nin; i++) {
			uint32_t j0 = 0, j1 = el->nout;

			if (el->in_kind[i])
				continue;
			if (flow_set(k->ci[e]->flow, 0, i) == CK_FLOW_HASH) {
				j0 = i;
				j1 = i < el->nout ? i + 1 : i;
			}
			for (j = j0; j < j1; j++) {
				if (el->out_kind[j] || !flows(k->ci[e]->flow, i, j))
					continue;
				ck_grow(fe, (void **)&fp, &capfp, nfp, sizeof(*fp));
				fp[nfp].e = e;
				fp[nfp].i = i;
				fp[nfp++].j = j;
			}
		}
	}
	do {
		changed = 0;
		for (c = 0; c < g->nb_conns; c++) {
			const struct ck_conn *cn = &g->conns[c];
			uint8_t *o = &g->elems[cn->from].out_kind[cn->from_port];
			uint8_t *in = &g->elems[cn->to].in_kind[cn->to_port];

			if (*o && *in && *o != *in) {
				if (!bad[c])
					ck_fe_error(fe, k->conn_lm[c], "'%s' %s output %u connected to '%s' %s input %u",
						 k->decl[cn->from], kind_str(*o), cn->from_port,
						 k->decl[cn->to], kind_str(*in), cn->to_port);
				bad[c] = 1;
			} else {
				changed |= adopt(o, in);
			}
		}
		for (c = 0; c < nfp; c++) {
			struct ck_elem *el = &g->elems[fp[c].e];

			changed |= adopt(&el->in_kind[fp[c].i], &el->out_kind[fp[c].j]);
		}
	} while (changed && fe->nerrors == before);
	for (c = 0; c < nfp && fe->nerrors == before; c++) {
		struct ck_elem *el = &g->elems[fp[c].e];
		uint8_t a = el->in_kind[fp[c].i], b = el->out_kind[fp[c].j];

		if (a && b && a != b)
			ck_fe_error(fe, el->landmark, "agnostic '%s' in mixed context: %s input %u, %s output %u",
				 k->decl[fp[c].e], kind_str(a), fp[c].i, kind_str(b), fp[c].j);
	}
	if (fe->nerrors > before)
		return -1;
	for (e = 0; e < g->nb_elems; e++) {
		struct ck_elem *el = &g->elems[e];

		for (i = 0; i < el->nin; i++)
			el->in_kind[i] = el->in_kind[i] ? el->in_kind[i] : CK_PUSH;
		for (j = 0; j < el->nout; j++)
			el->out_kind[j] = el->out_kind[j] ? el->out_kind[j] : CK_PUSH;
	}
	/* connections are sorted by source: a reused push output is adjacent.
	 * As Click's driver, the reuse is reported at the element's declaration */
	for (c = 1; c < g->nb_conns; c++) {
		const struct ck_conn *a = &g->conns[c - 1], *b = &g->conns[c];

		if (a->from == b->from && a->from_port == b->from_port &&
		    g->elems[b->from].out_kind[b->from_port] == CK_PUSH &&
		    !(c >= 2 && g->conns[c - 2].from == b->from && g->conns[c - 2].from_port == b->from_port))
			ck_fe_error(fe, g->elems[b->from].landmark, "illegal reuse of '%s' push output %u",
				 k->decl[b->from], b->from_port);
	}
	{
		uint8_t **n = ck_alloc(fe, (g->nb_elems + 1) * sizeof(uint8_t *));

		for (e = 0; e < g->nb_elems; e++)
			n[e] = ck_alloc(fe, g->elems[e].nin + 1);
		for (c = 0; c < g->nb_conns; c++) {
			const struct ck_conn *cn = &g->conns[c];

			if (g->elems[cn->to].in_kind[cn->to_port] != CK_PULL)
				continue;
			if (n[cn->to][cn->to_port]++ == 1)
				ck_fe_error(fe, g->elems[cn->to].landmark, "illegal reuse of '%s' pull input %u",
					 k->decl[cn->to], cn->to_port);
		}
	}
	return fe->nerrors > before ? -1 : 0;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Free @g and everything it holds; NULL is fine. */
void
ck_graph_free(struct ck_graph *g)
{
	uint32_t i;

	if (!g)
		return;
	for (i = 0; i < g->nb_elems && g->elems; i++) {
		free(g->elems[i].name);
		free(g->elems[i].class_name);
		free(g->elems[i].config);
		free(g->elems[i].landmark);
		free(g->elems[i].in_kind);
		free(g->elems[i].out_kind);
	}
	free(g->elems);
	free(g->conns);
	free(g->requires);
	free(g->text);
	free(g);
}

/* The malloc'd graph of the primitives of @fl; NULL when out of memory. */
static struct ck_graph *
build_graph(const struct ck_flat *fl, uint32_t *map)
{
	struct ck_graph *g = calloc(1, sizeof(*g));
	uint32_t i, n = 0;

	if (!g)
		return NULL;
	for (i = 0; i < fl->nnode; i++)
		if (fl->node[i].prim)
			map[i] = n++;
	g->elems = calloc(n + 1, sizeof(*g->elems));
	g->conns = calloc(fl->nconn + 1, sizeof(*g->conns));
	if (!g->elems || !g->conns) {
		ck_graph_free(g);
		return NULL;
	}
	for (i = 0; i < fl->nnode; i++) {
		const struct ck_flat_node *nd = &fl->node[i];
		struct ck_elem *el = &g->elems[g->nb_elems];

		if (!nd->prim)
			continue;
		g->nb_elems++;
		el->name = xstrdup(nd->name);
		el->class_name = xstrdup(nd->prim->name);
		el->config = xstrdup(nd->config);
		el->landmark = xstrdup(nd->landmark);
		if (!el->name || !el->class_name || !el->config || !el->landmark) {
			ck_graph_free(g);
			return NULL;
		}
	}
	for (i = 0; i < fl->nconn; i++) {
		g->conns[i].from = map[fl->conn[i].from];
		g->conns[i].from_port = fl->conn[i].fport;
		g->conns[i].to = map[fl->conn[i].to];
		g->conns[i].to_port = fl->conn[i].tport;
	}
	g->nb_conns = fl->nconn;
	return g;
}

static int
alloc_kinds(struct ck_graph *g)
{
	uint32_t e;

	for (e = 0; e < g->nb_elems; e++) {
		g->elems[e].in_kind = calloc(g->elems[e].nin + 1, 1);
		g->elems[e].out_kind = calloc(g->elems[e].nout + 1, 1);
		if (!g->elems[e].in_kind || !g->elems[e].out_kind)
			return -1;
	}
	return 0;
}

/* Parse, flatten and check; see ck_graph.h. Returns NULL after reporting errors. */
struct ck_graph *
ck_graph_parse(const char *text, const char *file, const char *const *defs,
	       unsigned int nb_defs, FILE *errf)
{
	return ck_graph_parse_len(text, strlen(text), file, defs, nb_defs, errf);
}

/* As ck_graph_parse, @len bytes of @text: a NUL byte among them is an error. */
struct ck_graph *
ck_graph_parse_len(const char *text, size_t len, const char *file, const char *const *defs,
		   unsigned int nb_defs, FILE *errf)
{
	struct ck_front fe;
	struct ck_flat fl, joined;
	struct ck_graph *volatile g = NULL;
	struct ck_chk k;
	uint32_t *map, i;

	memset(&fe, 0, sizeof(fe));
	fe.errf = errf;
	fe.defs = defs;
	fe.nb_defs = nb_defs;
	if (setjmp(fe.oom)) {
		ck_graph_free(g);
		ck_arena_free(&fe);
		if (errf)
			fprintf(errf, "%s: out of memory\n", file);
		return NULL;
	}
	fe.top = ck_scope_new(&fe, NULL, 0, ck_printf(&fe, "%s:1", file));
	if (ck_parse_text(&fe, fe.top, text, len, file) < 0 || fe.nerrors)
		goto fail;
	if (ck_flatten(&fe, &fl) < 0 || ck_remove_tunnels(&fe, &fl, &joined) < 0)
		goto fail;
	map = ck_alloc(&fe, (joined.nnode + 1) * sizeof(uint32_t));
	g = build_graph(&joined, map);
	if (!g)
		longjmp(fe.oom, 1);
	k.fe = &fe;
	k.g = g;
	k.decl = ck_alloc(&fe, (g->nb_elems + 1) * sizeof(char *));
	k.ci = ck_alloc(&fe, (g->nb_elems + 1) * sizeof(*k.ci));
	k.conn_lm = ck_alloc(&fe, (g->nb_conns + 1) * sizeof(char *));
	for (i = 0; i < joined.nnode; i++)
		if (joined.node[i].prim) {
			k.ci[map[i]] = joined.node[i].prim;
			k.decl[map[i]] = ck_printf(&fe, "%s :: %s", joined.node[i].name,
						   joined.node[i].prim->name);
		}
	for (i = 0; i < joined.nconn; i++)
		k.conn_lm[i] = joined.conn[i].landmark;
	if (check_ports(&k) < 0)
		goto fail;
	if (alloc_kinds(g) < 0)
		longjmp(fe.oom, 1);
	if (check_processing(&k) < 0)
		goto fail;
	if (fe.requires && !(g->requires = xstrdup(fe.requires)))
		longjmp(fe.oom, 1);
	if (!(g->text = xstrdup(text))) /* no NUL byte: it is all of it */
		longjmp(fe.oom, 1);
	ck_arena_free(&fe);
	return g;

fail:
	ck_graph_free(g);
	ck_arena_free(&fe);
	return NULL;
}

/* Print @g as declarations then connections, the form of `click -qo-`. */
void
ck_graph_print(const struct ck_graph *g, FILE *f)
{
	uint32_t i;

	for (i = 0; i < g->nb_elems; i++) {
		const struct ck_elem *el = &g->elems[i];

		if (el->config[0])
			fprintf(f, "%s :: %s(%s);\n", el->name, el->class_name, el->config);
		else
			fprintf(f, "%s :: %s;\n", el->name, el->class_name);
	}
	if (g->nb_conns)
		fputc('\n', f);
	for (i = 0; i < g->nb_conns; i++) {
		const struct ck_conn *c = &g->conns[i];

		fputs(g->elems[c->from].name, f);
		if (c->from_port)
			fprintf(f, " [%u]", c->from_port);
		fputs(" -> ", f);
		if (c->to_port)
			fprintf(f, "[%u] ", c->to_port);
		fprintf(f, "%s;\n", g->elems[c->to].name);
	}
}
