/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter_parse.c — the words and the grammar of a filter pattern:
 *
 *   expr   ::= orexpr [ "?" expr ":" expr ]          (right-associative)
 *   orexpr ::= term { ("or" | "||") term }
 *   term   ::= factor { ["and" | "&&"] factor }      (juxtaposition is "and")
 *   factor ::= ("not" | "!") factor | "(" expr ")" | "true" | "false" | test
 *
 * A test (one primitive) is parsed by nl_filter_prim.c. Recursion is bounded
 * by NL_FILTER_MAX_DEPTH levels of "(", "not" and "?".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl_filter_priv.h"

/* Append a node of @kind to @t; returns its index, or -1 when out of memory. */
int32_t
nlf_node_new(struct nlf_tree *t, int kind)
{
	struct nlf_node *nd;

	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		struct nlf_node *v;

		if (cap > (1u << 26) || !(v = realloc(t->v, cap * sizeof(*v)))) {
			t->oom = 1;
			return -1;
		}
		t->v = v;
		t->cap = cap;
	}
	nd = &t->v[t->n];
	memset(nd, 0, sizeof(*nd));
	nd->kind = (uint8_t)kind;
	nd->kid[0] = nd->kid[1] = nd->kid[2] = -1;
	nd->next = -1;
	return (int32_t)t->n++;
}

/* Append @kid to the list of the AND / OR node @parent; it cannot fail. */
void
nlf_node_append(struct nlf_tree *t, int32_t parent, int32_t kid)
{
	int32_t *link = &t->v[parent].kid[0];

	while (*link >= 0)
		link = &t->v[*link].next;
	*link = kid;
}

/* Record the first error of @p at column @col (printf format). */
void
nlf_error(struct nlf_parser *p, uint32_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = 1;
	if (!p->err || !p->errlen)
		return;
	n = snprintf(p->err, p->errlen, "rule %u, column %u: ", p->rule, col);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Is @c a byte of a word (not white space, an operator or punctuation)? */
int
nlf_word_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '/' || c == '@' || c == '_' ||
	       c == ':';
}

/* Split @s into tokens; returns their number, or -1 when out of memory. */
static int32_t
tokenize(const char *s, size_t len, uint32_t col0, struct nlf_tok **out)
{
	struct nlf_tok *v = malloc((len + 1) * sizeof(*v));
	size_t i = 0;
	int32_t n = 0;

	if (!v)
		return -1;
	while (i < len) {
		size_t start = i;
		unsigned char c = (unsigned char)s[i];

		if (isspace(c)) {
			i++;
			continue;
		}
		if (i + 1 < len &&
		    (((c == '&' || c == '|') && s[i + 1] == (char)c) ||
		     ((c == '<' || c == '>' || c == '!' || c == '=') && s[i + 1] == '=')))
			i += 2;
		else if (nlf_word_char(c))
			while (i < len && nlf_word_char((unsigned char)s[i]))
				i++;
		else
			i++; /* any other byte is a token of its own */
		v[n].s = s + start;
		v[n].len = (uint32_t)(i - start);
		v[n].col = col0 + (uint32_t)start + 1;
		n++;
	}
	*out = v;
	return n;
}

static int
at(const struct nlf_parser *p, const char *w)
{
	const struct nlf_tok *t = nlf_cur(p);

	return t && nlf_tok_is(t, w);
}

/* Tokens that end a term: no factor starts with them. */
static int
at_stop(const struct nlf_parser *p)
{
	return !nlf_cur(p) || at(p, ")") || at(p, "or") || at(p, "||") || at(p, "?") ||
	       at(p, ":") || at(p, "and") || at(p, "&&");
}

static int32_t parse_expr(struct nlf_parser *p);

static int
enter(struct nlf_parser *p)
{
	if (++p->depth > NL_FILTER_MAX_DEPTH) {
		nlf_error(p, nlf_cur_col(p), "expression nested too deeply (more than %d levels)",
			  NL_FILTER_MAX_DEPTH);
		return -1;
	}
	return 0;
}

static int32_t
unary(struct nlf_parser *p, int kind, int32_t kid)
{
	int32_t n = nlf_node_new(p->tree, kind);

	if (n >= 0)
		p->tree->v[n].kid[0] = kid;
	return n;
}

/* factor; returns a node, -2 when no factor starts here, -1 on error. */
static int32_t
parse_factor(struct nlf_parser *p)
{
	const struct nlf_tok *t = nlf_cur(p);
	int32_t n;

	if (at_stop(p))
		return -2;
	if (nlf_tok_is(t, "true") || nlf_tok_is(t, "false")) {
		p->pos++;
		return nlf_node_new(p->tree, nlf_tok_is(t, "true") ? NLF_TRUE : NLF_FALSE);
	}
	if (nlf_tok_is(t, "not") || nlf_tok_is(t, "!")) {
		if (enter(p) < 0)
			return -1;
		p->pos++;
		n = parse_factor(p);
		if (n == -2)
			nlf_error(p, nlf_cur_col(p), "missing test after '%.*s'", (int)t->len, t->s);
		p->depth--;
		return n < 0 ? -1 : unary(p, NLF_NOT, n);
	}
	if (nlf_tok_is(t, "(")) {
		if (enter(p) < 0)
			return -1;
		p->pos++;
		n = parse_expr(p);
		if (n >= 0 && !at(p, ")")) {
			nlf_error(p, nlf_cur_col(p), "missing ')' for the '(' at column %u", t->col);
			n = -1;
		}
		p->pos++;
		p->depth--;
		return n;
	}
	return nlf_parse_prim(p);
}

static int32_t
parse_term(struct nlf_parser *p)
{
	int32_t list = -1, f = parse_factor(p);

	if (f == -2)
		nlf_error(p, nlf_cur_col(p), nlf_cur(p) ? "expected a test at '%.*s'" : "expected a test%.*s",
			  nlf_cur(p) ? (int)nlf_cur(p)->len : 0, nlf_cur(p) ? nlf_cur(p)->s : "");
	while (f >= 0 && !p->failed) {
		int explicit_and = at(p, "and") || at(p, "&&");
		int32_t g;

		if (explicit_and)
			p->pos++;
		g = parse_factor(p);
		if (g == -2) {
			if (explicit_and)
				nlf_error(p, nlf_cur_col(p), "missing test after 'and'");
			break;
		}
		if (g < 0)
			return -1;
		if (list < 0) {
			list = nlf_node_new(p->tree, NLF_AND);
			if (list < 0)
				return -1;
			nlf_node_append(p->tree, list, f);
		}
		nlf_node_append(p->tree, list, g);
	}
	if (p->failed || f < 0)
		return -1;
	return list >= 0 ? list : f;
}

static int32_t
parse_or(struct nlf_parser *p)
{
	int32_t list = -1, t = parse_term(p);

	while (t >= 0 && (at(p, "or") || at(p, "||"))) {
		int32_t u;

		p->pos++;
		u = parse_term(p);
		if (u < 0)
			return -1;
		if (list < 0) {
			list = nlf_node_new(p->tree, NLF_OR);
			if (list < 0)
				return -1;
			nlf_node_append(p->tree, list, t);
		}
		nlf_node_append(p->tree, list, u);
	}
	if (t < 0)
		return -1;
	return list >= 0 ? list : t;
}

static int32_t
parse_expr(struct nlf_parser *p)
{
	int32_t c = parse_or(p), x, y, n;
	uint32_t qcol;

	if (c < 0 || !at(p, "?"))
		return c;
	qcol = nlf_cur_col(p);
	if (enter(p) < 0)
		return -1;
	p->pos++;
	x = parse_expr(p);
	if (x < 0)
		return -1;
	if (!at(p, ":")) {
		nlf_error(p, nlf_cur_col(p), "missing ':' in ternary expression (the '?' at column %u)",
			  qcol);
		return -1;
	}
	p->pos++;
	y = parse_expr(p);
	p->depth--;
	if (y < 0 || (n = nlf_node_new(p->tree, NLF_COND)) < 0)
		return -1;
	p->tree->v[n].kid[0] = c;
	p->tree->v[n].kid[1] = x;
	p->tree->v[n].kid[2] = y;
	return n;
}

/*
 * Parse the pattern @text (@len bytes) of rule @rule, which starts at column
 * @col0 + 1 of the rule, into @tree; returns the root node, or -1 with the
 * message in @err.
 */
int32_t
nlf_parse_pattern(const char *text, size_t len, unsigned int rule, uint32_t col0,
		  const struct nl_filter_opts *opts, struct nlf_tree *tree,
		  char *err, size_t errlen)
{
	struct nlf_parser p;
	struct nlf_tok *tok = NULL;
	int32_t ntok, root;

	memset(&p, 0, sizeof(p));
	p.tree = tree;
	p.opts = opts;
	p.err = err;
	p.errlen = errlen;
	p.rule = rule;
	if (len > NL_FILTER_MAX_RULE_LEN) {
		nlf_error(&p, col0 + 1, "pattern too long (%zu bytes, at most %d)", len,
			  NL_FILTER_MAX_RULE_LEN);
		return -1;
	}
	ntok = tokenize(text, len, col0, &tok);
	if (ntok < 0) {
		nlf_error(&p, 1, "out of memory");
		return -1;
	}
	p.tok = tok;
	p.ntok = (uint32_t)ntok;
	p.end_col = col0 + (uint32_t)len + 1;
	if (ntok == 0 || (ntok == 1 && (nlf_tok_is(&tok[0], "-") ||
					nlf_tok_is(&tok[0], "any") || nlf_tok_is(&tok[0], "all"))))
		root = nlf_node_new(tree, NLF_TRUE);
	else {
		root = parse_expr(&p);
		if (root >= 0 && p.pos < p.ntok)
			nlf_error(&p, nlf_cur_col(&p), "garbage after expression at '%.*s'",
				  (int)nlf_cur(&p)->len, nlf_cur(&p)->s);
	}
	if (tree->oom && !p.failed)
		nlf_error(&p, 1, "out of memory");
	free(tok);
	return p.failed || root < 0 ? -1 : root;
}
