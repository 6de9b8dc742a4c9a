/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RoundRobinIPMapper(PATTERN, ...) — a mapper for the rewriters
 * (iprewriter.h): an IPRewriter, TCPRewriter or ICMPPingRewriter INPUTSPEC
 * that is this element's name gives each new flow the next PATTERN in turn.
 * A PATTERN is `SADDR SPORT DADDR DPORT FOUTPUT ROUTPUT` (IPRewriter's
 * fields, '-' unchanged; `pattern` before it is allowed) or `NAME FOUTPUT
 * ROUTPUT` naming a pattern of an IPRewriterPatterns declared before it.
 * No ports, no packets;
 * configured after IPRewriterPatterns and before the rewriters, which check
 * the outputs against their own. Each pattern keeps its own sequential port
 * choice ('#').
 */
#include "iprewriter.h"

struct rrmapper {
	struct rw_input *v;
	unsigned int n, next;
};

static int
parse_one(struct ck_element *e, char **w, int nw, struct rw_input *in, unsigned int i)
{
	int64_t f, r;

	if (nw > 0 && strcmp(w[0], "pattern") == 0)
		w++, nw--;
	if (nw == 3) {
		const struct rw_pattern *named = rw_patterns_find(e->r, w[0]);

		if (!named)
			return ck_error(e, "pattern %u: no pattern named '%s'", i, w[0]);
		in->pat = *named;
	} else if (nw >= 4 && nw <= 6) {
		if (rw_parse_pattern(e, w, nw - 2, &in->pat, i) < 0)
			return -EINVAL;
	} else {
		return ck_error(e, "pattern %u: expected 'SADDR SPORT DADDR DPORT FOUTPUT "
				"ROUTPUT' or 'NAME FOUTPUT ROUTPUT'", i);
	}
	if (ck_parse_int(w[nw - 2], &f) < 0 || f < 0 || f > 255 ||
	    ck_parse_int(w[nw - 1], &r) < 0 || r < 0 || r > 255)
		return ck_error(e, "pattern %u: bad outputs '%s %s'", i, w[nw - 2], w[nw - 1]);
	in->kind = RW_PATTERN;
	in->fout = (uint16_t)f;
	in->rout = (uint16_t)r;
	return 0;
}

static int
rrmapper_configure(struct ck_element *e)
{
	struct rrmapper *x = CK_PRIV(e, struct rrmapper);
	char **args, **w;
	int n = ck_args_split(e->config ? e->config : "", &args), nw, rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	if (n == 0)
		rc = ck_error(e, "expected at least one pattern");
	x->v = calloc((size_t)n + 1, sizeof(*x->v));
	if (!x->v)
		rc = ck_error(e, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		nw = ck_args_words(args[i], &w);
		if (nw < 0) {
			rc = ck_error(e, "out of memory");
			break;
		}
		rc = parse_one(e, w, nw, &x->v[x->n], (unsigned int)i + 1);
		if (rc == 0)
			x->n++;
		ck_args_free(w, nw);
	}
	ck_args_free(args, n);
	return rc;
}

static void
rrmapper_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct rrmapper)->v);
}

const struct ck_element_class ck_class_RoundRobinIPMapper = {
	.name = "RoundRobinIPMapper", .ports = "0/0", .processing = "a/a",
	.priv_size = sizeof(struct rrmapper),
	.configure_phase = 0, /* after IPRewriterPatterns (-1), before the rewriters (1) */
	.configure = rrmapper_configure,
	.cleanup = rrmapper_cleanup,
};

/* The next pattern of @m in turn, or NULL when @m is no RoundRobinIPMapper. */
struct rw_input *
rw_mapper_next(struct ck_element *m)
{
	struct rrmapper *x;
	struct rw_input *in;

	if (!m || m->cls != &ck_class_RoundRobinIPMapper)
		return NULL;
	x = CK_PRIV(m, struct rrmapper);
	if (x->n == 0)
		return NULL;
	in = &x->v[x->next];
	x->next = (x->next + 1) % x->n;
	return in;
}

/* The largest output @m's patterns name, or -1 when @m is no mapper. */
int
rw_mapper_max_output(struct ck_element *m)
{
	const struct rrmapper *x;
	int top = -1;

	if (!m || m->cls != &ck_class_RoundRobinIPMapper)
		return -1;
	x = CK_PRIV(m, const struct rrmapper);
	for (unsigned int i = 0; i < x->n; i++) {
		top = x->v[i].fout > top ? x->v[i].fout : top;
		top = x->v[i].rout > top ? x->v[i].rout : top;
	}
	return top;
}
