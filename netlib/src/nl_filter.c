/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter.c — compiling rule sets (IPFilter and IPClassifier forms) and
 * running the decision program on packets.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl_filter_priv.h"
#include "nl_hdr.h"

static void
set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The number of outputs rules may name: @opts->noutputs, or the most there can be. */
static unsigned int
max_outputs(const struct nl_filter_opts *opts)
{
	if (opts && opts->noutputs == NL_FILTER_NO_OUTPUTS)
		return 0;
	return opts && opts->noutputs && opts->noutputs < NL_FILTER_MAX_OUTPUTS ?
		       opts->noutputs : NL_FILTER_MAX_OUTPUTS;
}

typedef int (*rule_of_fn)(const void *ctx, unsigned int i, const char **pat, size_t *len,
			  uint32_t *col0, int *output, char *err, size_t errlen);

/*
 * Parse rule @i into @tree: its root in *@root, its output in *@out. Returns 0,
 * -EINVAL (message in @err) or -ENOMEM.
 */
static int
parse_rule(unsigned int i, const struct nl_filter_opts *opts, char *err, size_t errlen,
	   rule_of_fn rule_of, const void *ctx, struct nlf_tree *tree, int32_t *root, int *out)
{
	const char *pat;
	size_t len;
	uint32_t col0;

	if (rule_of(ctx, i, &pat, &len, &col0, out, err, errlen) < 0)
		return -EINVAL;
	if (*out < NL_FILTER_DROP || (*out >= 0 && (unsigned int)*out >= max_outputs(opts))) {
		/* the output comes before the pattern: column 1, as an
		 * IPFilter rule's action */
		set_err(err, errlen, "rule %u, column 1: output %d out of range (%u outputs)", i,
			*out, max_outputs(opts));
		return -EINVAL;
	}
	tree->n = 0;
	tree->oom = 0;
	*root = nlf_parse_pattern(pat, len, i, col0, opts, tree, err, errlen);
	if (*root < 0)
		return tree->oom ? -ENOMEM : -EINVAL;
	return 0;
}

/* Compile @n rules, each given (pattern, columns before it, output) by @rule_of. */
static struct nl_filter *
compile(unsigned int n, const struct nl_filter_opts *opts, char *err, size_t errlen,
	rule_of_fn rule_of, const void *ctx)
{
	struct nlf_builder *b = nlf_builder_new();
	struct nlf_tree tree = { 0 };
	struct nl_filter *f = NULL;
	int per_rule = n >= NLF_INDEX_MIN_RULES;
	struct nlf_ranges *ranges = per_rule ? nlf_ranges_new(n) : NULL;
	int32_t entry = -1, *entries = per_rule ? malloc(n * sizeof(*entries)) : NULL, root;
	unsigned int i;
	int out, rc;

	if (err && errlen)
		err[0] = 0;
	if (!b || (per_rule && (!ranges || !entries))) {
		i = 0;
		goto oom;
	}
	/* Every rule parsed in order first, so that the first bad one is reported;
	 * the program is then built from the last rule to the first. */
	for (i = 0; i < n; i++) {
		rc = parse_rule(i, opts, err, errlen, rule_of, ctx, &tree, &root, &out);
		if (rc == -ENOMEM)
			goto oom;
		if (rc < 0)
			goto inval;
	}
	i = n;
	while (i-- > 0) {
		rc = parse_rule(i, opts, err, errlen, rule_of, ctx, &tree, &root, &out);
		if (rc == -ENOMEM)
			goto oom;
		if (rc < 0)
			goto inval;
		/* all rules chained: a miss goes on with the next rule */
		entry = nlf_build(b, &tree, root, -(out + 2), entry);
		if (entry == INT32_MIN)
			goto oom;
		if (per_rule) {
			/* and one program per rule for the index: a miss says "next" */
			entries[i] = nlf_build(b, &tree, root, -(out + 2), NLF_CONTINUE_T);
			if (entries[i] == INT32_MIN)
				goto oom;
			nlf_ranges_note(ranges, i, &tree, root);
		}
	}
	f = nlf_builder_finish(b, entry, entries, per_rule ? n : 0);
	if (!f)
		goto oom;
	f->walk_ip6_ext = opts && opts->walk_ip6_ext;
	if (per_rule && (f->idx = nlf_index_build(ranges, entries))) {
		f->nrules = n;
		f->rule_entry = entries;
		entries = NULL;
	}
	free(entries);
	nlf_ranges_free(ranges);
	nlf_builder_free(b);
	free(tree.v);
	return f;
oom:
	set_err(err, errlen, "rule %u: out of memory", i);
	errno = ENOMEM;
	goto out;
inval:
	errno = EINVAL;
out:
	nlf_ranges_free(ranges);
	free(entries);
	nlf_builder_free(b);
	free(tree.v);
	return NULL;
}

static int
rule_plain(const void *ctx, unsigned int i, const char **pat, size_t *len, uint32_t *col0,
	   int *output, char *err, size_t errlen)
{
	const struct nl_filter_rule *r = (const struct nl_filter_rule *)ctx + i;

	(void)err;
	(void)errlen;
	*pat = r->pattern ? r->pattern : "";
	*len = strlen(*pat);
	*col0 = 0;
	*output = r->output;
	return 0;
}

/*
 * Compile @n rules (pattern + output; first match wins). Returns the filter,
 * or NULL with a message in @err (errno EINVAL or ENOMEM).
 */
struct nl_filter *
nl_filter_compile(const struct nl_filter_rule *rules, unsigned int n,
		  const struct nl_filter_opts *opts, char *err, size_t errlen)
{
	return compile(n, opts, err, errlen, rule_plain, rules);
}

struct ipf_ctx {
	const char *const *rules;
	const struct nl_filter_opts *opts;
};

/* Split "ACTION PATTERN": allow, deny, drop or an output number. */
static int
rule_ipfilter(const void *ctx, unsigned int i, const char **pat, size_t *len, uint32_t *col0,
	      int *output, char *err, size_t errlen)
{
	const struct ipf_ctx *c = ctx;
	const char *s = c->rules[i] ? c->rules[i] : "", *w, *e;
	unsigned int nout = max_outputs(c->opts);
	uint32_t v;
	size_t wl;
	int rc;

	/* the action is the first word as the pattern's tokenizer sees it (and
	 * Click's): white space or punctuation ends it ("allow(tcp)") */
	for (w = s; isspace((unsigned char)*w); w++)
		;
	for (e = w; nlf_word_char((unsigned char)*e); e++)
		;
	if (e == w && *e) /* no word: the one byte, for the message */
		e++;
	wl = (size_t)(e - w);
	if (wl == 5 && !memcmp(w, "allow", 5)) {
		if (nout == 0) { /* as Click */
			if (err && errlen)
				snprintf(err, errlen, "rule %u, column %u: 'allow' is meaningless "
					 "with no outputs", i, (unsigned int)(w - s) + 1);
			return -1;
		}
		*output = 0;
	} else if ((wl == 4 && !memcmp(w, "deny", 4)) || (wl == 4 && !memcmp(w, "drop", 4))) {
		*output = NL_FILTER_DROP;
	} else if (wl > 0 && (rc = nlf_parse_num(w, wl, &v)) != -1) {
		/* Click's IntArg syntax, as numbers in patterns */
		if (rc < 0 || v >= nout) {
			if (err && errlen)
				snprintf(err, errlen, "rule %u, column %u: slot '%.*s' out of range "
					 "(%u outputs)", i, (unsigned int)(w - s) + 1,
					 (int)(wl > 64 ? 64 : wl), w, nout);
			return -1;
		}
		*output = (int)v;
	} else {
		if (err && errlen)
			snprintf(err, errlen, "rule %u, column %u: %s '%.*s' (expected allow, deny, "
				 "drop or an output number)", i, (unsigned int)(w - s) + 1,
				 wl ? "unknown action" : "missing action", (int)(wl > 64 ? 64 : wl), w);
		return -1;
	}
	/* the pattern starts after the blanks that end the action */
	while (isspace((unsigned char)*e))
		e++;
	*pat = e;
	*len = strlen(e);
	*col0 = (uint32_t)(e - s);
	return 0;
}

/*
 * Compile IPFilter arguments ("ACTION PATTERN" each). Returns the filter, or
 * NULL with a message in @err.
 */
struct nl_filter *
nl_filter_compile_ipfilter(const char *const *rules, unsigned int n,
			   const struct nl_filter_opts *opts, char *err, size_t errlen)
{
	struct ipf_ctx c = { rules, opts };

	return compile(n, opts, err, errlen, rule_ipfilter, &c);
}

static int
rule_classifier(const void *ctx, unsigned int i, const char **pat, size_t *len,
		uint32_t *col0, int *output, char *err, size_t errlen)
{
	const char *const *p = ctx;

	(void)err;
	(void)errlen;
	*pat = p[i] ? p[i] : "";
	*len = strlen(*pat);
	*col0 = 0;
	*output = (int)i;
	return 0;
}

/*
 * Compile IPClassifier arguments: pattern i sends its packets to output i.
 * Returns the filter, or NULL with a message in @err.
 */
struct nl_filter *
nl_filter_compile_classifier(const char *const *patterns, unsigned int n,
			     const struct nl_filter_opts *opts, char *err, size_t errlen)
{
	if (n > NL_FILTER_MAX_OUTPUTS) {
		/* the first pattern past the limit, as a rule's output out of range */
		set_err(err, errlen, "rule %d, column 1: too many patterns (%d at most)",
			NL_FILTER_MAX_OUTPUTS, NL_FILTER_MAX_OUTPUTS);
		errno = EINVAL;
		return NULL;
	}
	return compile(n, opts, err, errlen, rule_classifier, patterns);
}

/* Free @f (NULL is allowed); it cannot fail. */
void
nl_filter_free(struct nl_filter *f)
{
	if (!f)
		return;
	nlf_index_free(f->idx);
	free(f->rule_entry);
	free(f);
}

/* Return the number of instructions of @f's decision program; it cannot fail. */
uint32_t
nl_filter_size(const struct nl_filter *f)
{
	return f->n;
}

static inline uint32_t
load_be32(const uint8_t *p, uint32_t off, uint32_t len)
{
	uint32_t w = 0, i;

	if (off + 4 <= len) {
		memcpy(&w, p + off, 4);
		return nl_ntoh32(w);
	}
	for (i = 0; i < 4; i++) /* the bytes past the end are outside the mask */
		w = w << 8 | (off + i < len ? p[off + i] : 0);
	return w;
}

/* The headers of one packet: where each base starts and how much of it there is. */
struct views {
	const uint8_t *bp[NLF_NBASES];
	uint32_t bl[NLF_NBASES];
	uint8_t meta[4];
};

/*
 * The protocol and transport header of the IPv6 packet @l3 (at least 40 of
 * @l3_len bytes) past its extension headers: none when the chain is too long
 * or cut short, no transport header for a later fragment.
 */
static void
views_ip6_ext(struct views *v, const uint8_t *l3, uint32_t l3_len)
{
	uint8_t proto = 0, frag = 0;
	int off = nl_ipv6_walk_ext(l3, l3_len, &proto, &frag);

	if (off < 0)
		return;
	v->meta[0] = proto;
	v->bl[NLF_META] = 4;
	if (off > 0) {
		v->bp[NLF_TRANSP] = l3 + off;
		v->bl[NLF_TRANSP] = l3_len - (uint32_t)off;
	}
}

static inline void
views_set(struct views *v, const uint8_t *l3, uint32_t l3_len, const uint8_t *l2,
	  int walk_ip6_ext)
{
	memset(v->bl, 0, sizeof(v->bl));
	memset(v->meta, 0, sizeof(v->meta));
	v->bp[NLF_L3] = v->bp[NLF_IP4] = v->bp[NLF_TRANSP] = l3;
	v->bp[NLF_META] = v->meta;
	v->bp[NLF_L2] = l2;
	v->bl[NLF_L3] = l3_len;
	v->bl[NLF_L2] = l2 ? 14 : 0;
	if (l3_len >= 1 && l3[0] >> 4 == 4) {
		uint32_t hl = (l3[0] & 0xfu) * 4;

		v->bl[NLF_IP4] = l3_len;
		if (l3_len >= 10) {
			v->meta[0] = l3[9];
			v->bl[NLF_META] = 4;
		}
		/* the transport header: first fragments with a sane header length */
		if (l3_len >= 20 && hl >= 20 && hl <= l3_len && !(l3[6] & 0x1f) && !l3[7]) {
			v->bp[NLF_TRANSP] = l3 + hl;
			v->bl[NLF_TRANSP] = l3_len - hl;
		}
	} else if (l3_len >= 1 && l3[0] >> 4 == 6) {
		v->bp[NLF_IP6] = l3;
		v->bl[NLF_IP6] = l3_len;
	}
	if (l3_len >= 40 && l3[0] >> 4 == 6) {
		if (walk_ip6_ext) {
			views_ip6_ext(v, l3, l3_len);
			return;
		}
		v->meta[0] = l3[6];
		v->bl[NLF_META] = 4;
		v->bp[NLF_TRANSP] = l3 + 40;
		v->bl[NLF_TRANSP] = l3_len - 40;
	}
}

/* Run the program from @pc to its result. */
static inline int
run(const struct nl_filter *f, int32_t pc, const struct views *v)
{
	while (pc >= 0) {
		const struct nlf_insn *in = &f->insn[pc];
		uint32_t len = v->bl[in->base], w;
		int r;

		if (in->need > len) {
			pc = in->shrt;
			continue;
		}
		w = load_be32(v->bp[in->base], in->off, len) & in->mask;
		r = in->op == NLF_EQ ? w == in->val : in->op == NLF_GT ? w > in->val : w < in->val;
		pc = r ? in->yes : in->no;
	}
	return -pc - 2;
}

/* Run the rule programs of @list (in rule order) to the first result. */
/* Run the rule programs of @list (in rule order) to the first result. */
static inline int
run_rules(const struct nl_filter *f, const int32_t *list, uint32_t n, const struct views *v)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		int r = run(f, list[i], v);

		if (r != NLF_CONTINUE_R)
			return r;
	}
	return NL_FILTER_DROP;
}

static inline int
match_views(const struct nl_filter *f, const struct views *v)
{
	const struct nlf_index *x = f->idx;
	const uint32_t *lo;
	uint32_t len, w, a, n, half;

	if (!x)
		return run(f, f->entry, v);
	len = v->bl[x->base];
	if (len == 0) /* no such header: only rules that do not need the field */
		return run_rules(f, x->absent, x->nabsent, v);
	if (len < (uint32_t)x->off + 4) /* part of the field: every rule, chained */
		return run(f, f->entry, v);
	w = (load_be32(v->bp[x->base], x->off, len) & x->mask) >> x->shift;
	lo = x->lo; /* the last bound <= w (lo[0] is 0), without branches */
	for (n = x->nint; n > 1; n -= half) {
		half = n / 2;
		lo = lo[half] <= w ? lo + half : lo;
	}
	a = (uint32_t)(lo - x->lo);
	return run_rules(f, x->ent + x->start[a], x->start[a + 1] - x->start[a], v);
}

/*
 * Classify one packet (@l3: IP header, @l3_len bytes; @l2: Ethernet header
 * or NULL). Returns the output of the first matching rule, or -1 (drop).
 */
int
nl_filter_match(const struct nl_filter *f, const uint8_t *l3, uint32_t l3_len,
		const uint8_t *l2)
{
	struct views v;

	views_set(&v, l3, l3_len, l2, f->walk_ip6_ext);
	return match_views(f, &v);
}

/* Classify @n (<= NL_FILTER_BURST_MAX) packets into @out; returns @n or -EINVAL. */
int
nl_filter_match_burst(const struct nl_filter *f, const uint8_t *const *l3,
		      const uint32_t *l3_len, const uint8_t *const *l2, int *out,
		      unsigned int n)
{
	unsigned int i;

	if (n > NL_FILTER_BURST_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		out[i] = nl_filter_match(f, l3[i], l3_len[i], l2 ? l2[i] : NULL);
	return (int)n;
}

/*
 * Write a readable listing of @f's program to @buf (at most @len bytes,
 * NUL-terminated). Returns the length the full listing needs, like snprintf.
 */
size_t
nl_filter_dump(const struct nl_filter *f, char *buf, size_t len)
{
	static const char *const bases[NLF_NBASES] = { "l3", "ip4", "proto", "transp", "l2",
							"ip6" };
	static const char *const ops[] = { "==", ">", "<" };
	size_t used = 0;
	uint32_t i;
	char t[3][16];

	char none[1];
	char *out = buf ? buf : none;
	size_t cap = buf ? len : 0;

#define ADD(...) do { \
		int k_ = snprintf(out + (used < cap ? used : cap), used < cap ? cap - used : 0, \
				  __VA_ARGS__); \
		if (k_ > 0) used += (size_t)k_; \
	} while (0)
#define TGT(s, x) ((x) >= 0 ? (snprintf(s, sizeof(s), "%d", (x)), s) : \
		   (x) == -1 ? "drop" : (x) == NLF_CONTINUE_T ? "next rule" : \
		   (snprintf(s, sizeof(s), "out %d", -(x) - 2), s))
	if (cap)
		out[0] = 0;
	ADD("entry %s\n", TGT(t[0], f->entry));
	if (f->idx)
		ADD("%u rules, one program each, index on %s[%u] & %08x: %u intervals, "
		    "%u entries, %u rules without the header\n", f->nrules, bases[f->idx->base],
		    f->idx->off, f->idx->mask, f->idx->nint, f->idx->start[f->idx->nint],
		    f->idx->nabsent);
	for (i = 0; i < f->nrules; i++)
		ADD("rule %u: entry %s\n", i, TGT(t[0], f->rule_entry[i]));
	for (i = 0; i < f->n; i++) {
		const struct nlf_insn *x = &f->insn[i];

		ADD("%4u  %s[%u] & %08x %s %08x  yes %s  no %s  (need %u, else %s)\n", i,
		    bases[x->base], x->off, x->mask, ops[x->op], x->val, TGT(t[0], x->yes),
		    TGT(t[1], x->no), x->need, TGT(t[2], x->shrt));
	}
#undef ADD
#undef TGT
	return used;
}
