/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_priv.h — internals of the Click language front end (never installed).
 *
 *   ck_lex.c       tokens, comments, line directives, configuration strings
 *   ck_parse.c     statements, declarations, connections, element groups
 *   ck_compound.c  compound classes, formals, overloads, define, require
 *   ck_expand.c    $variables, argument matching, flattening, tunnels
 *   ck_graph.c     port counts, push/pull, the printed form, the entry point
 *
 * Everything the parser builds lives in one arena (struct ck_front) freed at
 * once; running out of memory jumps back to ck_graph_parse. Only the final
 * struct ck_graph is allocated with malloc.
 */
#ifndef CK_PRIV_H
#define CK_PRIV_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ck_graph.h"

/* Bounds that keep hostile configurations cheap. */
#define CK_MAX_DEPTH 64          /* nested groups, compounds, libraries */
#define CK_MAX_PORT 65535        /* highest port number in a connection */
#define CK_MAX_ELEMS 200000      /* elements after flattening */
#define CK_MAX_CONNS 1000000     /* connections after flattening */
#define CK_MAX_CONFIG (1u << 20) /* bytes of one expanded configuration string */
#define CK_MAX_CONFIG_TOTAL (64u << 20) /* bytes of all of them together */

enum ck_tok_kind {
	CK_T_EOF = 0,
	CK_T_IDENT = 256,
	CK_T_VAR,       /* $name */
	CK_T_ARROW,     /* -> */
	CK_T_DARROW,    /* => */
	CK_T_COLONS,    /* :: */
	CK_T_BAR2,      /* || */
	CK_T_DOTS,      /* ... */
	CK_T_ELEMENTCLASS,
	CK_T_REQUIRE,
	CK_T_PROVIDE,
	CK_T_DEFINE,
	CK_T_ERROR,     /* the lexer reported an error */
};

struct ck_tok {
	int kind;          /* enum ck_tok_kind, or a punctuation character */
	char *text;        /* identifier or variable name (arena), else NULL */
	const char *file;  /* landmark */
	unsigned int line;
};

struct ck_front;

struct ck_lex {
	struct ck_front *fe;
	const char *s;
	size_t len, pos;
	const char *file;  /* current landmark file (arena) */
	const char *orig_file; /* the file's own name, before line directives */
	unsigned int line;
	struct ck_tok back[4]; /* pushed-back tokens, last is next */
	unsigned int nback;
};

/* Kinds of declarations in a scope. */
enum ck_decl_kind {
	CK_D_ELEM,    /* an element of a class (primitive or compound) */
	CK_D_TUNNEL,  /* a compound's input, or the entry of an element group */
	CK_D_TUNNEL_OUT, /* a compound's output, or the exit of an element group */
};

struct ck_class;

struct ck_decl {
	char *name;           /* "" for group tunnels */
	struct ck_class *cls; /* CK_D_ELEM; NULL after an unknown class */
	char *config;         /* raw, unexpanded; "" when none */
	char *landmark;       /* "FILE:LINE" */
	int kind;
};

struct ck_sconn {
	uint32_t from, fport, to, tport; /* declaration indices in the scope */
	char *landmark;
};

struct ck_classdef {
	char *name;
	struct ck_class *cls;
};

struct ck_define {
	char *name; /* without '$' */
	char *value;
	char *landmark;
};

/* A router body: the top level, or one alternative of a compound. */
struct ck_scope {
	struct ck_scope *parent; /* lexically enclosing scope */
	struct ck_decl *el;
	uint32_t nel, capel;
	uint32_t *by_name;      /* open-addressed index of el by name: i + 1, 0 empty */
	uint32_t nslots;        /* a power of two, at least twice nel (0: none yet) */
	struct ck_sconn *conn;
	uint32_t nconn, capconn;
	struct ck_classdef *cls;
	uint32_t ncls, capcls;
	struct ck_define *def;
	uint32_t ndef, capdef;
	/* compounds only: declarations 0 and 1 are "input" and "output" */
	int compound;
	uint32_t npseudo;       /* declarations not counted by Class@N */
	uint32_t ngroups;       /* element groups: 3 elements each for Class@N, as Click's */
	char **formal;          /* variable names without '$' */
	char **formal_kw;       /* keyword, "__REST__", or NULL for positional */
	uint32_t nformal;
	uint32_t ninputs, noutputs;
	char *landmark;
};

/* One alternative of an element class. */
struct ck_alt {
	struct ck_scope *body;             /* a compound body, or NULL */
	const struct ck_class_info *prim;  /* or a primitive class */
};

struct ck_class {
	char *name;
	struct ck_alt *alt; /* tried in order */
	uint32_t nalt;
};

struct ck_arena_blk {
	struct ck_arena_blk *next;
	size_t used, size;
	max_align_t data[];
};

struct ck_front {
	FILE *errf;
	unsigned int nerrors;
	jmp_buf oom;
	struct ck_arena_blk *arena;
	struct ck_scope *top;
	const char *const *defs;
	unsigned int nb_defs;
	char **libs;          /* library files already included */
	uint32_t nlibs, caplibs;
	char *requires;       /* packages, space-separated */
	unsigned int depth;   /* nesting of groups, compounds and libraries */
	uint64_t nlisted;     /* ports written in port lists, ranges counted out */
	uint64_t nsconn;      /* connections of every scope, before flattening */
	int too_large;        /* one of them went over its limit (reported) */
	uint64_t nexpanded;   /* bytes of configuration strings after expansion */
};

/* ck_lex.c / arena */
void *ck_alloc(struct ck_front *fe, size_t n);
char *ck_strndup(struct ck_front *fe, const char *s, size_t n);
char *ck_strdup(struct ck_front *fe, const char *s);
char *ck_printf(struct ck_front *fe, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ck_grow(struct ck_front *fe, void **v, uint32_t *cap, uint32_t n, size_t sz);
void ck_arena_free(struct ck_front *fe);
void ck_fe_error(struct ck_front *fe, const char *landmark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ck_lerror(struct ck_front *fe, const char *file, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void ck_lex_init(struct ck_lex *lx, struct ck_front *fe, const char *text, size_t len,
		 const char *file);
struct ck_tok ck_lex_next(struct ck_lex *lx);
struct ck_tok ck_lex_peek(struct ck_lex *lx);
void ck_lex_unget(struct ck_lex *lx, struct ck_tok t);
char *ck_lex_config(struct ck_lex *lx, unsigned int open_line);
const char *ck_tok_str(struct ck_front *fe, const struct ck_tok *t);
char *ck_landmark(struct ck_front *fe, const struct ck_tok *t);

/* ck_parse.c */
struct ck_pctx;
int ck_parse_text(struct ck_front *fe, struct ck_scope *sc, const char *text, size_t len,
		  const char *file);
void ck_parse_stmts(struct ck_pctx *p, int end);
struct ck_class *ck_class_lookup(struct ck_front *fe, struct ck_scope *sc, const char *name);
uint32_t ck_scope_add(struct ck_front *fe, struct ck_scope *sc, const char *name, int kind,
		      struct ck_class *cls, const char *config, const char *landmark);
void ck_scope_deanonymize(struct ck_front *fe, struct ck_scope *sc);
struct ck_scope *ck_scope_new(struct ck_front *fe, struct ck_scope *parent, int compound,
			      const char *landmark);

/* ck_compound.c */
struct ck_class *ck_parse_compound(struct ck_pctx *p, const char *name, const char *landmark);
void ck_parse_elementclass(struct ck_pctx *p);
void ck_do_define(struct ck_front *fe, struct ck_scope *sc, const char *config,
		  const char *landmark);
void ck_do_require(struct ck_pctx *p, const char *config, const char *landmark);
char **ck_split_args(struct ck_front *fe, const char *s, uint32_t *nargs);

/* ck_expand.c */
struct ck_env;
char *ck_expand(struct ck_front *fe, const struct ck_env *env, const char *s,
		const char *landmark);

struct ck_flat_node {
	char *name;
	const struct ck_class_info *prim; /* NULL for a tunnel */
	char *config;
	char *landmark;
	char *what;  /* tunnels: the compound element or group they belong to */
	int out;     /* tunnels: 1 when its outputs face the enclosing scope */
};

struct ck_flat {
	struct ck_flat_node *node;
	uint32_t nnode, capnode;
	struct ck_sconn *conn; /* from/to are node indices */
	uint32_t nconn, capconn;
};

int ck_flatten(struct ck_front *fe, struct ck_flat *fl);
int ck_remove_tunnels(struct ck_front *fe, struct ck_flat *fl, struct ck_flat *out);

/* ck_graph.c */
int ck_ports_parse(const char *spec, int side, uint32_t *lo, uint32_t *hi);

/* ck_pctx is the parser's state (ck_parse.c and ck_compound.c). */
struct ck_group {
	uint32_t in, out; /* tunnel declarations of the group */
};

struct ck_pctx {
	struct ck_front *fe;
	struct ck_lex *lx;
	struct ck_scope *sc;
	struct ck_group *grp; /* innermost element group, or NULL */
};

#endif /* CK_PRIV_H */
