/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_lex.c — the words of the Click language (CLICK-SCOPE §a.1): comments,
 * line directives, identifiers that may hold '/' and '@', $variables, the
 * multi-character tokens, and configuration strings read raw up to their
 * matching ')'. Also the front end's arena and error reporting.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ck_priv.h"

#define CK_ARENA_BLOCK 16384

/* Zeroed memory from the arena of @fe; never returns NULL (jumps on OOM). */
void *
ck_alloc(struct ck_front *fe, size_t n)
{
	struct ck_arena_blk *b = fe->arena;
	size_t al = sizeof(max_align_t);
	void *p;

	n = (n + al - 1) / al * al;
	if (!b || b->size - b->used < n) {
		size_t size = n > CK_ARENA_BLOCK ? n : CK_ARENA_BLOCK;

		b = malloc(sizeof(*b) + size);
		if (!b)
			longjmp(fe->oom, 1);
		b->size = size;
		b->used = 0;
		b->next = fe->arena;
		fe->arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

/* A copy of @n bytes of @s in the arena, NUL-terminated; never NULL. */
char *
ck_strndup(struct ck_front *fe, const char *s, size_t n)
{
	char *d = ck_alloc(fe, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* A copy of @s in the arena; never NULL. */
char *
ck_strdup(struct ck_front *fe, const char *s)
{
	return ck_strndup(fe, s, strlen(s));
}

/* A formatted string in the arena; never NULL. */
char *
ck_printf(struct ck_front *fe, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *d;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	d = ck_alloc(fe, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return d;
}

/* Make room for element @n of the arena array *@v of @sz-byte items; cannot fail. */
void
ck_grow(struct ck_front *fe, void **v, uint32_t *cap, uint32_t n, size_t sz)
{
	uint32_t ncap;
	void *nv;

	if (n < *cap)
		return;
	ncap = *cap ? *cap * 2 : 8;
	nv = ck_alloc(fe, (size_t)ncap * sz);
	if (*v)
		memcpy(nv, *v, (size_t)*cap * sz);
	*v = nv;
	*cap = ncap;
}

/* Free every block of the arena of @fe; it cannot fail. */
void
ck_arena_free(struct ck_front *fe)
{
	while (fe->arena) {
		struct ck_arena_blk *b = fe->arena;

		fe->arena = b->next;
		free(b);
	}
}

#define CK_MSG_MAX 300 /* bytes of a message shown; the rest is cut with "..." */

/* Write one message line: what it quotes of the configuration (a config
 * string, a define) may hold newlines and bytes that are not text, so those
 * are shown escaped and a long message is cut: one error, one line. */
static void
verror(struct ck_front *fe, const char *landmark, const char *fmt, va_list ap)
{
	char msg[CK_MSG_MAX + 1];
	int n;

	fe->nerrors++;
	if (!fe->errf)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(fe->errf, "%s: ", landmark);
	for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
		if (*c == '\n')
			fputs("\\n", fe->errf);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(fe->errf, "\\x%02x", *c);
		else
			fputc(*c, fe->errf);
	}
	if (n > CK_MSG_MAX)
		fputs("...", fe->errf);
	fputc('\n', fe->errf);
}

/* Report "LANDMARK: message" and count it; it cannot fail. */
void
ck_fe_error(struct ck_front *fe, const char *landmark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fe, landmark, fmt, ap);
	va_end(ap);
}

/* Report "FILE:LINE: message" and count it; it cannot fail. */
void
ck_lerror(struct ck_front *fe, const char *file, unsigned int line, const char *fmt, ...)
{
	char lm[512];
	va_list ap;

	/* a file name of any length (a line directive names it) leaves room
	 * for the line */
	snprintf(lm, sizeof(lm), "%.400s:%u", file, line);
	va_start(ap, fmt);
	verror(fe, lm, fmt, ap);
	va_end(ap);
}

/* Start reading @len bytes of @text named @file; it cannot fail. */
void
ck_lex_init(struct ck_lex *lx, struct ck_front *fe, const char *text, size_t len,
	    const char *file)
{
	memset(lx, 0, sizeof(*lx));
	lx->fe = fe;
	lx->s = text;
	lx->len = len;
	lx->file = lx->orig_file = ck_strdup(fe, file);
	lx->line = 1;
}

static int
at(const struct ck_lex *lx, size_t off)
{
	return lx->pos + off < lx->len ? (unsigned char)lx->s[lx->pos + off] : -1;
}

static int
word_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '@');
}

/* "# N "file"" or "#line N "file"" at the start of a line; else an error. */
static void
line_directive(struct ck_lex *lx)
{
	size_t p = lx->pos + 1, end = p;
	unsigned long n = 0;
	int digits = 0;

	while (end < lx->len && lx->s[end] != '\n')
		end++;
	/* as Click's: blanks after '#', "line" only as a word of its own */
	while (p < end && (lx->s[p] == ' ' || lx->s[p] == '\t'))
		p++;
	if (end - p > 4 && memcmp(lx->s + p, "line", 4) == 0 &&
	    (lx->s[p + 4] == ' ' || lx->s[p + 4] == '\t'))
		p += 4;
	while (p < end && (lx->s[p] == ' ' || lx->s[p] == '\t'))
		p++;
	while (p < end && isdigit((unsigned char)lx->s[p]) && n < 100000000) {
		n = n * 10 + (unsigned long)(lx->s[p++] - '0');
		digits = 1;
	}
	if (!digits) {
		ck_lerror(lx->fe, lx->file, lx->line, "unknown preprocessor directive");
	} else {
		while (p < end && (lx->s[p] == ' ' || lx->s[p] == '\t'))
			p++;
		if (p < end && lx->s[p] == '"') {
			char *name = ck_alloc(lx->fe, end - p);
			size_t k = 0;

			/* cpp writes '\' and '"' of a name escaped */
			for (p++; p < end && lx->s[p] != '"'; p++) {
				if (lx->s[p] == '\\' && p + 1 < end)
					p++;
				name[k++] = lx->s[p];
			}
			/* an empty name goes back to the file's own */
			lx->file = k ? name : lx->orig_file;
		}
		/* the directive names the line that follows it */
		lx->line = (unsigned int)n - 1;
	}
	lx->pos = end;
}

/* Skip whitespace, comments and line directives; 0, or -1 after an error. */
static int
skip_space(struct ck_lex *lx)
{
	int bol = lx->pos == 0 || lx->s[lx->pos - 1] == '\n';

	for (;;) {
		int c = at(lx, 0);

		if (c == '\n') {
			lx->line++;
			lx->pos++;
			bol = 1;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->pos++;
		} else if (c == '#' && bol) {
			line_directive(lx);
		} else if (c == '/' && at(lx, 1) == '/') {
			while (at(lx, 0) >= 0 && at(lx, 0) != '\n')
				lx->pos++;
		} else if (c == '/' && at(lx, 1) == '*') {
			unsigned int line = lx->line;

			lx->pos += 2;
			while (!(at(lx, 0) == '*' && at(lx, 1) == '/')) {
				if (at(lx, 0) < 0) {
					ck_lerror(lx->fe, lx->file, line, "unterminated comment");
					return -1;
				}
				if (at(lx, 0) == '\n')
					lx->line++;
				lx->pos++;
			}
			lx->pos += 2;
			bol = 0;
		} else {
			return 0;
		}
	}
}

static struct ck_tok
lex_token(struct ck_lex *lx)
{
	struct ck_tok t = { CK_T_EOF, NULL, NULL, 0 };
	size_t start;
	int c;

	if (skip_space(lx) < 0) {
		t.kind = CK_T_ERROR;
		lx->pos = lx->len;
	}
	t.file = lx->file;
	t.line = lx->line;
	if (t.kind == CK_T_ERROR)
		return t;
	c = at(lx, 0);
	if (c < 0)
		return t;
	start = lx->pos;
	if (word_char(c)) {
		while (word_char(at(lx, 0)) || (at(lx, 0) == '/' && word_char(at(lx, 1))))
			lx->pos++;
		t.kind = CK_T_IDENT;
		t.text = ck_strndup(lx->fe, lx->s + start, lx->pos - start);
		if (strcmp(t.text, "elementclass") == 0)
			t.kind = CK_T_ELEMENTCLASS;
		else if (strcmp(t.text, "require") == 0)
			t.kind = CK_T_REQUIRE;
		else if (strcmp(t.text, "provide") == 0)
			t.kind = CK_T_PROVIDE;
		else if (strcmp(t.text, "define") == 0)
			t.kind = CK_T_DEFINE;
		return t;
	}
	if (c == '$' && (isalnum(at(lx, 1)) || at(lx, 1) == '_')) {
		lx->pos++;
		while (at(lx, 0) >= 0 && (isalnum(at(lx, 0)) || at(lx, 0) == '_'))
			lx->pos++;
		t.kind = CK_T_VAR;
		t.text = ck_strndup(lx->fe, lx->s + start + 1, lx->pos - start - 1);
		return t;
	}
	lx->pos++;
	if (c == '-' && at(lx, 0) == '>') {
		lx->pos++;
		t.kind = CK_T_ARROW;
	} else if (c == '=' && at(lx, 0) == '>') {
		lx->pos++;
		t.kind = CK_T_DARROW;
	} else if (c == ':' && at(lx, 0) == ':') {
		lx->pos++;
		t.kind = CK_T_COLONS;
	} else if (c == '|' && at(lx, 0) == '|') {
		lx->pos++;
		t.kind = CK_T_BAR2;
	} else if (c == '.' && at(lx, 0) == '.' && at(lx, 1) == '.') {
		lx->pos += 2;
		t.kind = CK_T_DOTS;
	} else {
		t.kind = c;
	}
	return t;
}

/* The next token of @lx (CK_T_EOF at the end, CK_T_ERROR after an error). */
struct ck_tok
ck_lex_next(struct ck_lex *lx)
{
	if (lx->nback)
		return lx->back[--lx->nback];
	return lex_token(lx);
}

/* The next token of @lx without consuming it. */
struct ck_tok
ck_lex_peek(struct ck_lex *lx)
{
	struct ck_tok t = ck_lex_next(lx);

	ck_lex_unget(lx, t);
	return t;
}

/* Push @t back so the next ck_lex_next returns it; at most 4 deep. */
void
ck_lex_unget(struct ck_lex *lx, struct ck_tok t)
{
	if (lx->nback < sizeof(lx->back) / sizeof(lx->back[0]))
		lx->back[lx->nback++] = t;
}

/*
 * Read a configuration string after its '(' up to the matching ')', which is
 * consumed: parentheses nest, and quotes, comments and \<...> are skipped
 * while counting. Returns the raw text (arena), or NULL after reporting an
 * unterminated string at @open_line. Tokens must not be pushed back.
 */
char *
ck_lex_config(struct ck_lex *lx, unsigned int open_line)
{
	size_t start = lx->pos, *cut = NULL, len, k, from;
	uint32_t ncut = 0, capcut = 0, i;
	int depth = 0;
	char *r;

	for (;;) {
		int c = at(lx, 0);

		if (c < 0)
			goto unterminated;
		if (c == '\n') {
			lx->line++;
		} else if (c == '#' && lx->pos > start && lx->s[lx->pos - 1] == '\n') {
			/* a line directive (cpp writes them inside long strings
			 * too): it moves the landmarks and leaves the text */
			ck_grow(lx->fe, (void **)&cut, &capcut, ncut + 1, sizeof(*cut));
			cut[ncut++] = lx->pos;
			line_directive(lx);
			cut[ncut++] = lx->pos;
			continue;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (depth-- == 0)
				break;
		} else if (c == '\'' || c == '"') {
			lx->pos++;
			while (at(lx, 0) != c) {
				if (at(lx, 0) < 0)
					goto unterminated;
				if (at(lx, 0) == '\n')
					lx->line++;
				if (c == '"' && at(lx, 0) == '\\' && at(lx, 1) >= 0) {
					lx->pos++;
					if (at(lx, 0) == '\n')
						lx->line++;
				}
				lx->pos++;
			}
		} else if (c == '/' && at(lx, 1) == '/') {
			while (at(lx, 0) >= 0 && at(lx, 0) != '\n')
				lx->pos++;
			continue;
		} else if (c == '/' && at(lx, 1) == '*') {
			lx->pos += 2;
			while (!(at(lx, 0) == '*' && at(lx, 1) == '/')) {
				if (at(lx, 0) < 0)
					goto unterminated;
				if (at(lx, 0) == '\n')
					lx->line++;
				lx->pos++;
			}
			lx->pos++;
		} else if (c == '\\' && at(lx, 1) == '<') {
			while (at(lx, 0) != '>') {
				if (at(lx, 0) < 0)
					goto unterminated;
				if (at(lx, 0) == '\n')
					lx->line++;
				lx->pos++;
			}
		}
		lx->pos++;
	}
	lx->pos++;
	len = lx->pos - 1 - start;
	r = ck_alloc(lx->fe, len + 1); /* zeroed */
	for (i = 0, k = 0, from = start; i <= ncut; i += 2) {
		size_t to = i < ncut ? cut[i] : start + len;

		memcpy(r + k, lx->s + from, to - from);
		k += to - from;
		if (i + 1 < ncut)
			from = cut[i + 1];
	}
	return r;

unterminated:
	ck_lerror(lx->fe, lx->file, open_line, "unterminated configuration string");
	lx->pos = lx->len;
	return NULL;
}

/* How @t reads in an error message (arena). */
const char *
ck_tok_str(struct ck_front *fe, const struct ck_tok *t)
{
	switch (t->kind) {
	case CK_T_EOF:
		return "end of file";
	case CK_T_IDENT:
		return t->text;
	case CK_T_VAR:
		return ck_printf(fe, "$%s", t->text);
	case CK_T_ARROW:
		return "->";
	case CK_T_DARROW:
		return "=>";
	case CK_T_COLONS:
		return "::";
	case CK_T_BAR2:
		return "||";
	case CK_T_DOTS:
		return "...";
	case CK_T_ELEMENTCLASS:
		return "elementclass";
	case CK_T_REQUIRE:
		return "require";
	case CK_T_PROVIDE:
		return "provide";
	case CK_T_DEFINE:
		return "define";
	case CK_T_ERROR:
		return "error";
	default:
		if (t->kind >= 32 && t->kind < 127)
			return ck_printf(fe, "%c", t->kind);
		return ck_printf(fe, "\\%03o", t->kind & 0xff);
	}
}

/* "FILE:LINE" of @t (arena). */
char *
ck_landmark(struct ck_front *fe, const struct ck_tok *t)
{
	return ck_printf(fe, "%s:%u", t->file, t->line);
}
