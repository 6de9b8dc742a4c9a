/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter_priv.h — internals of nl_filter shared by its files: the names
 * (nl_filter_names.c), the parser (nl_filter_parse.c) that turns a pattern
 * into a tree of word tests (nl_filter_prim.c parses one primitive,
 * nl_filter_lower.c lowers it), the compiler of trees into the decision
 * program (nl_filter_compile.c), the field index (nl_filter_index.c) and the
 * API and matcher (nl_filter.c). Never installed.
 */
#ifndef NL_FILTER_PRIV_H
#define NL_FILTER_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "nl_filter.h"

/*
 * The headers a word test reads from. The matcher sets, per packet, where
 * each one starts and how many bytes of it the packet holds (0: absent).
 */
enum nlf_base {
	NLF_L3,     /* the network header as is (ip vers, ip[POS:LEN]) */
	NLF_IP4,    /* the network header when it is IPv4 (named fields, addresses) */
	NLF_META,   /* byte 0: the IP protocol (IPv4 protocol, IPv6 next header) */
	NLF_TRANSP, /* the transport header: IPv4 first fragments, IPv6 (fixed header,
		     * or with walk_ip6_ext the extension headers, walked) */
	NLF_L2,     /* the Ethernet header */
	NLF_IP6,    /* the network header when it is IPv6 (addresses) */
	NLF_NBASES
};

enum nlf_op { NLF_EQ, NLF_GT, NLF_LT };

/*
 * One instruction: yes when (load32be(base + off) & mask) OP val, no
 * otherwise, short when the packet has fewer than @need bytes of @base.
 * A target >= 0 is an instruction index; t < 0 is the result -t - 2 (so -1
 * is "drop").
 */
struct nlf_insn {
	uint8_t op;
	uint8_t base;
	uint16_t off;
	uint32_t need;
	uint32_t mask;
	uint32_t val;
	int32_t yes, no, shrt;
};

/* Target (and result) of a rule program that does not match: try the next rule. */
#define NLF_CONTINUE_T (-(NL_FILTER_MAX_OUTPUTS + 3))
#define NLF_CONTINUE_R (NL_FILTER_MAX_OUTPUTS + 1)

/* Rule sets at least this long also get one program per rule, for an index. */
#define NLF_INDEX_MIN_RULES 4

/*
 * An index over one header field (nl_filter_index.c): the field's values
 * split into intervals, each with the rules (their program entries, in rule
 * order) that may match a packet whose field lies in it. Rules whose
 * patterns do not require a range of the field are in every list.
 */
struct nlf_index {
	uint8_t base, shift;
	uint16_t off;
	uint32_t mask;
	uint32_t nint;      /* intervals */
	uint32_t *lo;       /* their lower bounds, ascending, lo[0] == 0 */
	uint32_t *start;    /* nint + 1 offsets into ent */
	int32_t *ent;
	uint32_t nabsent;   /* rules that may match when the header is absent */
	int32_t *absent;
};

/*
 * A compiled filter: one program trying the rules in order (entry), and when
 * an index pays off, one program per rule (rule_entry[], run in the order an
 * index list gives until one returns a result other than NLF_CONTINUE_R).
 */
struct nl_filter {
	int32_t entry;
	uint32_t n;
	uint32_t nrules;       /* 0 without an index */
	int32_t *rule_entry;
	struct nlf_index *idx; /* NULL: the single program */
	int walk_ip6_ext;      /* struct nl_filter_opts's */
	struct nlf_insn insn[];
};

/* Per-rule facts the index is built from (nl_filter_index.c). */
struct nlf_ranges;
struct nlf_tree;

/* Create room for the field ranges of @nrules rules; NULL when out of memory. */
struct nlf_ranges *nlf_ranges_new(uint32_t nrules);

/* Free @r (NULL allowed); it cannot fail. */
void nlf_ranges_free(struct nlf_ranges *r);

/* Record which range of each indexable field rule @rule (tree @t, @root) requires. */
void nlf_ranges_note(struct nlf_ranges *r, uint32_t rule, const struct nlf_tree *t,
		     int32_t root);

/*
 * Build the index over the field that narrows the rules most, for rules whose
 * program entries are @entries (final numbering). Returns it, or NULL when no
 * field is worth it or out of memory (the filter then tries every rule).
 */
struct nlf_index *nlf_index_build(const struct nlf_ranges *r, const int32_t *entries);

/* Free @x (NULL allowed); it cannot fail. */
void nlf_index_free(struct nlf_index *x);

/* Expression tree of one pattern. Children are indices into the node pool. */
enum nlf_kind {
	NLF_TRUE, NLF_FALSE,
	NLF_TEST, /* one word test; its short target is that of the enclosing PRIM */
	NLF_PRIM, /* one primitive: kid[0] is its body; short means "false" here */
	NLF_NOT, NLF_AND, NLF_OR, /* AND / OR: a list, first kid, then sibling links */
	NLF_COND  /* kid[0] ? kid[1] : kid[2] */
};

struct nlf_node {
	uint8_t kind;
	uint8_t op, base;
	uint16_t off;
	uint32_t need, mask, val;
	int32_t kid[3];
	int32_t next; /* next sibling in an AND / OR list, -1 at the end */
};

/* Growable node pool of one pattern. */
struct nlf_tree {
	struct nlf_node *v;
	uint32_t n, cap;
	int oom;
};

/* Append a node of @kind to @t; returns its index, or -1 when out of memory. */
int32_t nlf_node_new(struct nlf_tree *t, int kind);

/* Append @kid to the list of the AND / OR node @parent; it cannot fail. */
void nlf_node_append(struct nlf_tree *t, int32_t parent, int32_t kid);

/* Token of a pattern: a slice of the text and its column (from 1). */
struct nlf_tok {
	const char *s;
	uint32_t len;
	uint32_t col;
};

/* Parser state of one pattern (nl_filter_parse.c, nl_filter_prim.c). */
struct nlf_parser {
	const struct nlf_tok *tok;
	uint32_t ntok, pos;
	uint32_t end_col;          /* column just past the pattern */
	struct nlf_tree *tree;
	const struct nl_filter_opts *opts;
	char *err;
	size_t errlen;
	unsigned int rule;
	int failed;
	unsigned int depth;
	/* the previous primitive, for qualifier inheritance */
	struct nlf_prev {
		int valid;
		int type, srcdst, proto, header;
		uint16_t raw_pos, raw_len;
	} prev;
};

/* The token at the parser's position, or NULL past the last one. */
static inline const struct nlf_tok *
nlf_cur(const struct nlf_parser *p)
{
	return p->pos < p->ntok ? &p->tok[p->pos] : NULL;
}

/* The column of the token at the parser's position (past the end: the end). */
static inline uint32_t
nlf_cur_col(const struct nlf_parser *p)
{
	return p->pos < p->ntok ? p->tok[p->pos].col : p->end_col;
}

/* Record the first error of @p at column @col (printf format). */
void nlf_error(struct nlf_parser *p, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parse a number filling all of @s (@len bytes) as Click's IntArg does:
 * decimal, 0x hex, 0b binary, octal after a leading 0, '_' between digits.
 * Returns 0 (value in *@out), -1 when it is no number, -2 when it is one but
 * negative or wider than 32 bits.
 */
int nlf_parse_num(const char *s, size_t len, uint32_t *out);

/* Is @c a byte of a word (not white space, an operator or punctuation)? */
int nlf_word_char(int c);

/* Does token @t spell the NUL-terminated word @w? */
int nlf_tok_is(const struct nlf_tok *t, const char *w);

/*
 * Parse one primitive test at p->pos (qualifiers, [POS:LEN], & MASK, relation,
 * data) and return its PRIM node; returns -2 when no test starts here (the
 * position is unchanged), -1 on error (recorded in @p).
 */
int32_t nlf_parse_prim(struct nlf_parser *p);

/*
 * Parse the pattern @text (@len bytes) of rule @rule, which starts at column
 * @col0 + 1 of the rule, into @tree; returns the root node, or -1 with the
 * message in @err.
 */
int32_t nlf_parse_pattern(const char *text, size_t len, unsigned int rule, uint32_t col0,
			  const struct nl_filter_opts *opts, struct nlf_tree *tree,
			  char *err, size_t errlen);

/* One primitive as parsed (nl_filter_prim.c), before lowering (nl_filter_lower.c). */
enum nlf_ptype {
	T_NONE, T_HOST, T_NET, T_PORT, T_PROTO, T_OPT, T_ICMPTYPE, T_WIN,
	T_VERS, T_HL, T_ID, T_TOS, T_DSCP, T_TTL, T_LEN, T_FRAG, T_UNFRAG,
	T_ECT, T_CE, T_RAW, T_ETHER, T_NTYPES
};
enum { SD_NONE, SD_SRC, SD_DST, SD_OR, SD_AND };          /* src / dst qualifiers */
enum { H_NONE, H_IP, H_ETHER, H_TRANSP };                 /* header qualifiers */
enum { D_NONE, D_INT, D_ADDR, D_NET, D_ETHER, D_NAME, D_ADDR6 }; /* kinds of data */
enum { R_EQ, R_NE, R_LT, R_GT, R_LE, R_GE };              /* relations */

#define NLF_PROTO_NONE (-1)
#define NLF_PROTO_TCPUDP 256

struct nlf_prim {
	int type, srcdst, header, proto, negate, nqual;
	uint32_t col, type_col, sd_col, proto_col;
	uint16_t raw_pos, raw_len;
	int has_mask, mask_ether; /* mask_ether: the mask is emask, a MAC address */
	uint32_t mask, mask_col;
	uint8_t emask[6];
	int rel, has_rel;
	uint32_t rel_col;
	int data;
	uint32_t val, dmask, data_col, data_db;
	uint8_t mac[6];
	uint8_t a6[16];     /* D_ADDR6, with its prefix length */
	uint32_t a6_len;
	const struct nlf_tok *data_tok;
};

/* The keyword of primitive type @type, for messages; it cannot fail. */
const char *nlf_type_name(int type);

/*
 * Resolve @pr (inheritance from p->prev, implied protocol, value checks) and
 * lower it to a PRIM node of word tests; returns the node, or -1 on error.
 */
int32_t nlf_lower_prim(struct nlf_parser *p, struct nlf_prim *pr);

/* Name tables (nl_filter_names.c). */
enum nlf_db { NLF_DB_PROTO, NLF_DB_PORT, NLF_DB_TCPOPT, NLF_DB_ICMP, NLF_NDB };

/* Look @t up in table @db: stores its value and returns 0, or -1. */
int nlf_name_lookup(int db, const struct nlf_tok *t, uint32_t *val);

/* Program builder (nl_filter_compile.c). */
struct nlf_builder;

/* Create an empty program builder; returns NULL when out of memory. */
struct nlf_builder *nlf_builder_new(void);

/* Free @b (NULL allowed); it cannot fail. */
void nlf_builder_free(struct nlf_builder *b);

/*
 * Compile @root of @t so that a match jumps to @t_yes and a miss to @t_no
 * (targets as in struct nlf_insn); returns the entry target, or INT32_MIN
 * when out of memory or too large.
 */
int32_t nlf_build(struct nlf_builder *b, const struct nlf_tree *t, int32_t root,
		  int32_t t_yes, int32_t t_no);

/*
 * Turn the builder's instructions into a filter whose entry is @entry, in
 * execution order, renumbering the @n targets of @entries in place too;
 * returns NULL when out of memory. @b is left empty.
 */
struct nl_filter *nlf_builder_finish(struct nlf_builder *b, int32_t entry, int32_t *entries,
				     uint32_t n);

#endif /* NL_FILTER_PRIV_H */
