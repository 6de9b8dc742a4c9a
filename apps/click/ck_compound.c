/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_compound.c — compound element classes (CLICK-SCOPE §a.2 rules 8-11):
 * "{ [formals |] statements || ... }", "elementclass A { ... }", synonyms
 * "elementclass A B", extension with "||  ...", and the two statements that
 * take a configuration string: define (rule 13) and require (rule 14).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ck_priv.h"

static const char *
skip_ws(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static char *
trim(struct ck_front *fe, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return ck_strndup(fe, s, n);
}

/*
 * Split a configuration string at its top-level commas (outside quotes,
 * brackets and comments, which are dropped); arguments are trimmed and a
 * trailing empty one is ignored. Returns the array (arena); cannot fail.
 */
char **
ck_split_args(struct ck_front *fe, const char *s, uint32_t *nargs)
{
	char **v = NULL;
	uint32_t cap = 0;
	char *buf = ck_alloc(fe, strlen(s) + 1);
	size_t n = 0;
	int depth = 0;

	*nargs = 0;
	for (;; s++) {
		if (*s == '\0' || (*s == ',' && depth == 0)) {
			ck_grow(fe, (void **)&v, &cap, *nargs, sizeof(*v));
			v[(*nargs)++] = trim(fe, buf, n);
			n = 0;
			if (*s == '\0')
				break;
			continue;
		}
		if (*s == '/' && s[1] == '/') {
			while (s[1] && s[1] != '\n')
				s++;
			continue;
		}
		if (*s == '/' && s[1] == '*') {
			s += 2;
			while (*s && !(*s == '*' && s[1] == '/'))
				s++;
			if (!*s)
				s--;
			else
				s++;
			buf[n++] = ' ';
			continue;
		}
		if (*s == '\'' || *s == '"') {
			char q = *s;

			buf[n++] = *s++;
			while (*s && *s != q) {
				if (q == '"' && *s == '\\' && s[1])
					buf[n++] = *s++;
				buf[n++] = *s++;
			}
			if (!*s)
				s--;
			else
				buf[n++] = *s;
			continue;
		}
		if (*s == '\\' && s[1] == '<') {
			while (*s && *s != '>')
				buf[n++] = *s++;
			if (!*s)
				s--;
			else
				buf[n++] = *s;
			continue;
		}
		if (*s == '(' || *s == '[' || *s == '{')
			depth++;
		else if ((*s == ')' || *s == ']' || *s == '}') && depth > 0)
			depth--;
		buf[n++] = *s;
	}
	if (*nargs > 0 && v[*nargs - 1][0] == '\0')
		(*nargs)--;
	return v;
}

/* Formals "$a, $b, KEY $c, __REST__ $r |"; 0, or -1 after an error. */
static int
parse_formals(struct ck_pctx *p, struct ck_scope *body)
{
	uint32_t cap = 0, capkw = 0;
	int seen_kw = 0, seen_rest = 0;

	for (;;) {
		struct ck_tok t = ck_lex_next(p->lx), v;
		char *kw = NULL;
		uint32_t i;

		if (t.kind == CK_T_IDENT) {
			kw = t.text;
			v = ck_lex_next(p->lx);
		} else {
			v = t;
		}
		if (v.kind != CK_T_VAR) {
			if (v.kind != CK_T_ERROR)
				ck_lerror(p->fe, v.file, v.line, "syntax error near '%s' (expected parameter)",
					  ck_tok_str(p->fe, &v));
			return -1;
		}
		if (seen_rest) {
			ck_lerror(p->fe, v.file, v.line, "'__REST__' must be the last parameter");
			return -1;
		}
		if (kw && strcmp(kw, "__REST__") == 0)
			seen_rest = 1;
		else if (kw)
			seen_kw = 1;
		else if (seen_kw) {
			ck_lerror(p->fe, v.file, v.line,
				  "positional parameter '$%s' after keyword parameters", v.text);
			return -1;
		}
		for (i = 0; i < body->nformal; i++) {
			if (strcmp(body->formal[i], v.text) == 0) {
				ck_lerror(p->fe, v.file, v.line, "redeclaration of parameter '$%s'", v.text);
				return -1;
			}
			/* a second one would never be bound */
			if (kw && body->formal_kw[i] && strcmp(body->formal_kw[i], kw) == 0) {
				ck_lerror(p->fe, t.file, t.line, "repeated keyword parameter '%s'", kw);
				return -1;
			}
		}
		ck_grow(p->fe, (void **)&body->formal, &cap, body->nformal, sizeof(char *));
		ck_grow(p->fe, (void **)&body->formal_kw, &capkw, body->nformal, sizeof(char *));
		body->formal[body->nformal] = v.text;
		body->formal_kw[body->nformal++] = kw;
		t = ck_lex_next(p->lx);
		if (t.kind == ',' && ck_lex_peek(p->lx).kind == '|')
			t = ck_lex_next(p->lx); /* "$a, |": as Click's, a trailing comma */
		if (t.kind == '|')
			return 0;
		if (t.kind != ',') {
			if (t.kind != CK_T_ERROR)
				ck_lerror(p->fe, t.file, t.line, "syntax error near '%s' (expected '|')",
					  ck_tok_str(p->fe, &t));
			return -1;
		}
	}
}

/* Does the body begin with formals? (a $variable, or a word and a $variable) */
static int
formals_ahead(struct ck_lex *lx)
{
	struct ck_tok a = ck_lex_next(lx), b;
	int yes;

	if (a.kind == CK_T_VAR) {
		ck_lex_unget(lx, a);
		return 1;
	}
	if (a.kind != CK_T_IDENT) {
		ck_lex_unget(lx, a);
		return 0;
	}
	b = ck_lex_peek(lx);
	yes = b.kind == CK_T_VAR;
	ck_lex_unget(lx, a);
	return yes;
}

/* After an error inside a compound: skip to its closing '}' (consumed). */
static void
skip_block(struct ck_lex *lx)
{
	int depth = 0;

	for (;;) {
		struct ck_tok t = ck_lex_next(lx);

		if (t.kind == CK_T_EOF || t.kind == CK_T_ERROR)
			return;
		if (t.kind == '(' && !ck_lex_config(lx, t.line))
			return;
		if (t.kind == '{')
			depth++;
		if (t.kind == '}' && depth-- == 0)
			return;
	}
}

static void
add_alt(struct ck_front *fe, struct ck_class *c, uint32_t *cap, struct ck_alt a)
{
	ck_grow(fe, (void **)&c->alt, cap, c->nalt, sizeof(*c->alt));
	c->alt[c->nalt++] = a;
}

/* Rule 8: every port of input and output below the highest used is used
 * inside (as Click, at the definition: "{ input [1] -> output }" has no
 * input 0 to give a packet to); errors are reported. */
static void
check_gaps(struct ck_front *fe, const struct ck_scope *body, const char *name,
	   const char *landmark)
{
	uint8_t *in = ck_alloc(fe, body->ninputs + 1), *out = ck_alloc(fe, body->noutputs + 1);
	uint32_t i;

	for (i = 0; i < body->nconn; i++) {
		if (body->conn[i].from == 0)
			in[body->conn[i].fport] = 1;
		if (body->conn[i].to == 1)
			out[body->conn[i].tport] = 1;
	}
	for (i = 0; i < body->ninputs; i++)
		if (!in[i])
			ck_fe_error(fe, landmark, "'%s' input %u missing", name, i);
	for (i = 0; i < body->noutputs; i++)
		if (!out[i])
			ck_fe_error(fe, landmark, "'%s' output %u missing", name, i);
}

/*
 * A compound class after its '{' (rules 8, 10, 11), named @name ("" when
 * anonymous). Returns the class, or NULL after reporting an error.
 */
struct ck_class *
ck_parse_compound(struct ck_pctx *p, const char *name, const char *landmark)
{
	struct ck_class *c = ck_alloc(p->fe, sizeof(*c));
	uint32_t cap = 0;

	c->name = ck_strdup(p->fe, name[0] ? name : "<anonymous>");
	if (p->fe->depth >= CK_MAX_DEPTH) {
		ck_fe_error(p->fe, landmark, "compound elements nested too deeply");
		return NULL;
	}
	for (;;) {
		struct ck_scope *body = ck_scope_new(p->fe, p->sc, 1, landmark);
		struct ck_pctx sub = { p->fe, p->lx, body, NULL };
		struct ck_alt a = { body, NULL };
		struct ck_tok t;
		uint32_t i;
		unsigned int before = p->fe->nerrors;

		if (ck_lex_peek(p->lx).kind == '|')
			ck_lex_next(p->lx); /* "{ | ... }": no formals */
		else if (formals_ahead(p->lx) && parse_formals(p, body) < 0) {
			skip_block(p->lx);
			return NULL;
		}
		p->fe->depth++;
		ck_parse_stmts(&sub, '}');
		p->fe->depth--;
		ck_scope_deanonymize(p->fe, body);
		for (i = 0; i < body->nconn; i++) {
			const struct ck_sconn *k = &body->conn[i];

			if (k->from == 0 && k->fport + 1 > body->ninputs)
				body->ninputs = k->fport + 1;
			if (k->to == 1 && k->tport + 1 > body->noutputs)
				body->noutputs = k->tport + 1;
		}
		if (p->fe->nerrors == before) /* not after a connection was refused */
			check_gaps(p->fe, body, c->name, landmark);
		add_alt(p->fe, c, &cap, a);
		t = ck_lex_next(p->lx);
		if (t.kind == '}')
			return c;
		if (t.kind != CK_T_BAR2) {
			if (t.kind != CK_T_ERROR)
				ck_lerror(p->fe, t.file, t.line, "syntax error near '%s' (expected '}')",
					  ck_tok_str(p->fe, &t));
			return NULL;
		}
		if (ck_lex_peek(p->lx).kind == CK_T_DOTS) {
			struct ck_class *old;

			t = ck_lex_next(p->lx);
			old = name[0] ? ck_class_lookup(p->fe, p->sc, name) : NULL;
			if (!old) {
				ck_lerror(p->fe, t.file, t.line, "'...' extends no earlier class '%s'", name);
				return NULL;
			}
			for (i = 0; i < old->nalt; i++)
				add_alt(p->fe, c, &cap, old->alt[i]);
			t = ck_lex_next(p->lx);
			if (t.kind != '}') {
				if (t.kind != CK_T_ERROR)
					ck_lerror(p->fe, t.file, t.line,
						  "syntax error near '%s' (expected '}')",
						  ck_tok_str(p->fe, &t));
				return NULL;
			}
			return c;
		}
	}
}

/* "elementclass NAME { ... }" or "elementclass NAME OTHER" after the keyword. */
void
ck_parse_elementclass(struct ck_pctx *p)
{
	struct ck_tok n = ck_lex_next(p->lx), t;
	struct ck_class *c = NULL;
	struct ck_scope *sc = p->sc;

	if (n.kind != CK_T_IDENT) {
		if (n.kind != CK_T_ERROR)
			ck_lerror(p->fe, n.file, n.line, "syntax error near '%s' (expected class name)",
				  ck_tok_str(p->fe, &n));
		return;
	}
	t = ck_lex_next(p->lx);
	if (t.kind == '{') {
		c = ck_parse_compound(p, n.text, ck_landmark(p->fe, &n));
	} else if (t.kind == CK_T_IDENT) {
		c = ck_class_lookup(p->fe, sc, t.text);
		if (!c)
			ck_lerror(p->fe, t.file, t.line, "unknown element class '%s'", t.text);
	} else {
		if (t.kind != CK_T_ERROR)
			ck_lerror(p->fe, t.file, t.line, "syntax error near '%s' (expected class)",
				  ck_tok_str(p->fe, &t));
		ck_lex_unget(p->lx, t);
	}
	if (!c)
		return;
	ck_grow(p->fe, (void **)&sc->cls, &sc->capcls, sc->ncls, sizeof(*sc->cls));
	sc->cls[sc->ncls].name = n.text;
	sc->cls[sc->ncls++].cls = c;
}

/* Rule 13: "define($NAME value, ...)" in @sc; errors are reported. */
void
ck_do_define(struct ck_front *fe, struct ck_scope *sc, const char *config, const char *landmark)
{
	uint32_t nargs, i, j;
	char **args = ck_split_args(fe, config, &nargs);

	for (i = 0; i < nargs; i++) {
		const char *a = args[i], *e = a + 1;
		char *name;

		while (*e && (isalnum((unsigned char)*e) || *e == '_'))
			e++;
		if (a[0] != '$' || e == a + 1 || (*e && !isspace((unsigned char)*e))) {
			ck_fe_error(fe, landmark, "bad define '%s' (expected '$NAME value')", a);
			continue;
		}
		name = ck_strndup(fe, a + 1, (size_t)(e - a - 1));
		/* a compound's formal is defined in its scope too (Click:
		 * "multiply defined"), not silently replaced */
		for (j = 0; j < sc->nformal; j++)
			if (strcmp(sc->formal[j], name) == 0)
				break;
		if (j < sc->nformal) {
			ck_fe_error(fe, landmark, "redefinition of parameter '$%s'", name);
			ck_fe_error(fe, sc->landmark, "'$%s' previously defined here", name);
			continue;
		}
		for (j = 0; j < sc->ndef; j++)
			if (strcmp(sc->def[j].name, name) == 0)
				break;
		if (j < sc->ndef) {
			ck_fe_error(fe, landmark, "redefinition of parameter '$%s'", name);
			ck_fe_error(fe, sc->def[j].landmark, "'$%s' previously defined here", name);
			continue;
		}
		ck_grow(fe, (void **)&sc->def, &sc->capdef, sc->ndef, sizeof(*sc->def));
		sc->def[sc->ndef].name = name;
		sc->def[sc->ndef].value = ck_strdup(fe, skip_ws(e));
		sc->def[sc->ndef++].landmark = ck_strdup(fe, landmark);
	}
}

/* A word of a require argument without its double quotes. */
static char *
unquote(struct ck_front *fe, const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
		return ck_strndup(fe, s + 1, n - 2);
	return ck_strdup(fe, s);
}

/* Is @s one word: a quoted string, or text without white space? */
static int
one_word(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
		return memchr(s + 1, s[0], n - 2) == NULL;
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return 0;
	return 1;
}

static void
include_library(struct ck_pctx *p, const char *file, const char *landmark)
{
	struct ck_front *fe = p->fe;
	const char *from = p->lx->file, *slash = strrchr(from, '/');
	char *path, *key, *real, *text = NULL;
	size_t len = 0, cap = 0, n;
	uint32_t i;
	FILE *f;

	if (file[0] == '/' || !slash)
		path = ck_strdup(fe, file);
	else
		path = ck_printf(fe, "%.*s/%s", (int)(slash - from), from, file);
	/* once per file, however its path is written ("a/../lib.click") */
	real = realpath(path, NULL);
	key = real ? ck_strdup(fe, real) : path;
	free(real);
	for (i = 0; i < fe->nlibs; i++)
		if (strcmp(fe->libs[i], key) == 0)
			return; /* once */
	if (fe->depth >= CK_MAX_DEPTH) {
		ck_fe_error(fe, landmark, "libraries nested too deeply");
		return;
	}
	f = fopen(path, "r");
	if (!f) {
		ck_fe_error(fe, landmark, "%s: %s", path, strerror(errno));
		return;
	}
	ck_grow(fe, (void **)&fe->libs, &fe->caplibs, fe->nlibs, sizeof(char *));
	fe->libs[fe->nlibs++] = key;
	do {
		if (len == cap) {
			char *nt;

			cap = cap ? cap * 2 : 4096;
			nt = ck_alloc(fe, cap);
			if (text)
				memcpy(nt, text, len);
			text = nt;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
	} while (n > 0 && len < (64u << 20));
	/* a directory opens but does not read; a file cut short is no library */
	if (ferror(f) || (n > 0 && fgetc(f) != EOF)) {
		int err = ferror(f) ? errno : EFBIG;

		ck_fe_error(fe, landmark, "%s: %s", path, strerror(err));
		fclose(f);
		return;
	}
	fclose(f);
	fe->depth++;
	ck_parse_text(fe, fe->top, text ? text : "", len, path);
	fe->depth--;
}

/* Rule 14: "require(package X, library F, compact_config, X)"; errors are reported. */
void
ck_do_require(struct ck_pctx *p, const char *config, const char *landmark)
{
	struct ck_front *fe = p->fe;
	uint32_t nargs, i;
	char **args = ck_split_args(fe, config, &nargs);

	for (i = 0; i < nargs; i++) {
		const char *a = args[i], *sp = a;
		char *word, *rest;

		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		word = ck_strndup(fe, a, (size_t)(sp - a));
		if (!a[0])
			continue;
		rest = unquote(fe, skip_ws(sp));
		/* a bare word names a package; "package" and "library" take
		 * exactly one word more, nothing else takes any */
		if (strcmp(word, "package") == 0 || strcmp(word, "library") == 0) {
			if (!rest[0] || !one_word(skip_ws(sp))) {
				ck_fe_error(fe, landmark, "bad requirement '%s'", a);
				continue;
			}
		} else if (*skip_ws(sp)) {
			ck_fe_error(fe, landmark, "bad requirement '%s'", a);
			continue;
		}
		if (strcmp(word, "compact_config") == 0)
			continue;
		if (strcmp(word, "library") == 0) {
			if (p->sc != fe->top)
				ck_fe_error(fe, landmark, "'require(library)' is only allowed at file scope");
			else
				include_library(p, rest, landmark);
			continue;
		}
		word = strcmp(word, "package") == 0 ? rest : unquote(fe, word);
		fe->requires = fe->requires ? ck_printf(fe, "%s %s", fe->requires, word) : word;
	}
}
