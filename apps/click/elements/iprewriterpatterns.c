/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPRewriterPatterns(NAME SADDR SPORT DADDR DPORT, ...) — names rewriter
 * patterns, so that IPRewriter, TCPRewriter, ICMPPingRewriter and
 * FTPPortMapper can say `pattern NAME FOUTPUT ROUTPUT` (iprewriter.h). The
 * fields are IPRewriter's ('-' unchanged, SPORT a port or a range L-H with
 * an optional '#' or '?'). No ports, no packets; configured after
 * AddressInfo and before the rewriters. Each rewriter input that names a
 * pattern takes its own copy: sequential port choice ('#') goes on per
 * input, where Click shares it among every user of the name.
 */
#include "iprewriter.h"

struct named_pattern {
	char *name;
	struct rw_pattern pat;
};

struct patterns {
	struct named_pattern *v;
	unsigned int n;
};

static int
patterns_configure(struct ck_element *e)
{
	struct patterns *x = CK_PRIV(e, struct patterns);
	char **args, **w;
	int n = ck_args_split(e->config ? e->config : "", &args), nw, rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	x->v = calloc((size_t)n + 1, sizeof(*x->v));
	if (!x->v) {
		ck_args_free(args, n);
		return ck_error(e, "out of memory");
	}
	for (int i = 0; i < n && rc == 0; i++) {
		nw = ck_args_words(args[i], &w);
		if (nw < 0) {
			rc = ck_error(e, "out of memory");
			break;
		}
		if (nw < 3 || nw > 5)
			rc = ck_error(e, "pattern %d: expected 'NAME SADDR SPORT DADDR DPORT'", i + 1);
		else if (rw_patterns_find(e->r, w[0]))
			rc = ck_error(e, "pattern %d: '%s' is already defined", i + 1, w[0]);
		else if (rw_parse_pattern(e, w + 1, nw - 1, &x->v[x->n].pat, (unsigned int)i) < 0)
			rc = -EINVAL;
		else if (!(x->v[x->n].name = strdup(w[0])))
			rc = ck_error(e, "out of memory");
		else
			x->n++;
		ck_args_free(w, nw);
	}
	ck_args_free(args, n);
	return rc;
}

static void
patterns_cleanup(struct ck_element *e)
{
	struct patterns *x = CK_PRIV(e, struct patterns);

	for (unsigned int i = 0; i < x->n; i++)
		free(x->v[i].name);
	free(x->v);
	x->v = NULL;
	x->n = 0;
}

const struct ck_element_class ck_class_IPRewriterPatterns = {
	.name = "IPRewriterPatterns", .ports = "0/0", .processing = "a/a",
	.priv_size = sizeof(struct patterns),
	.configure = patterns_configure,
	.cleanup = patterns_cleanup,
};

/* The pattern named @name by an IPRewriterPatterns element of @r, or NULL. */
const struct rw_pattern *
rw_patterns_find(struct ck_router *r, const char *name)
{
	for (uint32_t i = 0; i < ck_router_nb_elements(r); i++) {
		struct ck_element *e = ck_router_element(r, i);
		struct patterns *x = CK_PRIV(e, struct patterns);

		if (e->cls != &ck_class_IPRewriterPatterns)
			continue;
		for (unsigned int k = 0; k < x->n; k++)
			if (strcmp(x->v[k].name, name) == 0)
				return &x->v[k].pat;
	}
	return NULL;
}
