/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Script's expansions: $VAR and ${VAR} (a variable, empty when unset), and
 * $(...), whose text is expanded first and then is either
 *   an operator and its words:  add sub mul div idiv mod neg abs min max
 *     (integers when every operand is one, else reals), eq ne lt gt le ge
 *     (numbers, else strings; "true"/"false"), not and or, if C A B,
 *     cat FILE (the file's bytes, as Click's), length (of the rest);
 *   or a read handler, ELEMENT.HANDLER or a router handler (its last newline
 *     cut); an unknown one writes an error and expands to nothing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>

#include "script.h"

/* The value of variable @name, or NULL. */
const char *
sc_var_get(const struct script *s, const char *name)
{
	for (unsigned int i = 0; i < s->nvars; i++)
		if (strcmp(s->vars[i].name, name) == 0)
			return s->vars[i].val;
	return NULL;
}

/* Set variable @name to @val (copied). Returns 0 or -ENOMEM. */
int
sc_var_set(struct script *s, const char *name, const char *val)
{
	char *v = strdup(val);
	struct sc_var *nv;
	unsigned int i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->nvars; i++)
		if (strcmp(s->vars[i].name, name) == 0)
			break;
	if (i == s->nvars) {
		nv = realloc(s->vars, (s->nvars + 1) * sizeof(*nv));
		if (!nv || !(nv[i].name = strdup(name))) {
			if (nv)
				s->vars = nv;
			free(v);
			return -ENOMEM;
		}
		s->vars = nv;
		nv[i].val = NULL;
		nv[i].exported = false;
		s->nvars++;
	}
	free(s->vars[i].val);
	s->vars[i].val = v;
	return 0;
}

/* Whether @t reads as true: Click's true words (true, yes, t, y, 1), whole,
 * or a non-zero number; blanks around it ignored. */
bool
sc_truth(const char *t)
{
	static const char *const yes[] = { "true", "yes", "t", "y" };
	size_t n;
	char *end;
	double d;

	while (isspace((unsigned char)*t))
		t++;
	n = strlen(t);
	while (n && isspace((unsigned char)t[n - 1]))
		n--;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strlen(yes[i]) == n && strncmp(t, yes[i], n) == 0)
			return true;
	d = strtod(t, &end);
	return end != t && (size_t)(end - t) == n && d != 0;
}

/* A number: integer (*isint) or real. Returns 0, or -EINVAL. */
static int
number(const char *w, int64_t *i, double *d, bool *isint)
{
	char *end;

	errno = 0;
	*i = strtoll(w, &end, 0);
	if (*w && !*end && errno == 0) {
		*isint = true;
		*d = (double)*i;
		return 0;
	}
	*d = strtod(w, &end);
	*isint = false;
	return *w && !*end ? 0 : -EINVAL;
}

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_IDIV, OP_MOD, OP_NEG, OP_ABS, OP_MIN, OP_MAX,
       OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_NOT, OP_AND, OP_OR, OP_IF, OP_CAT,
       OP_LENGTH, OP_REM, OP_HTONL, OP_NTOHL, OP_HTONS, OP_NTOHS };

static const char *const op_names[] = {
	"add", "sub", "mul", "div", "idiv", "mod", "neg", "abs", "min", "max",
	"eq", "ne", "lt", "gt", "le", "ge", "not", "and", "or", "if", "cat", "length",
	"rem", "htonl", "ntohl", "htons", "ntohs",
};

/* htonl, ntohl (32 bits), htons, ntohs (16 bits) of one integer, as the
 * host's byte order makes them (Click's handlers of the same names). */
static int
byteorder(int op, char **w, int n, FILE *f)
{
	int64_t iv;
	double dv;
	bool isint;

	if (n != 1 || number(w[0], &iv, &dv, &isint) < 0 || !isint)
		return -EINVAL;
	if (op == OP_HTONL || op == OP_NTOHL)
		fprintf(f, "%u", op == OP_HTONL ? htonl((uint32_t)iv) : ntohl((uint32_t)iv));
	else
		fprintf(f, "%u", op == OP_HTONS ? htons((uint16_t)iv) : ntohs((uint16_t)iv));
	return 0;
}

static void
put_num(FILE *f, double d, bool isint)
{
	if (isint)
		fprintf(f, "%" PRId64, (int64_t)d);
	else
		fprintf(f, "%.10g", d);
}

/* Arithmetic over @w[0..n): fold with @op. Returns 0 or -EINVAL. */
static int
arith(int op, char **w, int n, FILE *f)
{
	int64_t acc = 0, iv;
	double dacc = 0, dv;
	bool allint = true, isint;

	/* as Click: add, sub, mul, div, idiv, min and max fold any number of
	 * operands left to right; mod takes two */
	if (n < 1 || (op == OP_NEG || op == OP_ABS ? n != 1 : 0) || (op == OP_MOD && n != 2))
		return -EINVAL;
	for (int k = 0; k < n; k++) {
		if (number(w[k], &iv, &dv, &isint) < 0)
			return -EINVAL;
		allint = allint && isint;
		if (k == 0) {
			acc = iv;
			dacc = dv;
			continue;
		}
		switch (op) {
		/* integers wrap around in 64 bits, as two's complement does */
		case OP_ADD: acc = (int64_t)((uint64_t)acc + (uint64_t)iv); dacc += dv; break;
		case OP_SUB: acc = (int64_t)((uint64_t)acc - (uint64_t)iv); dacc -= dv; break;
		case OP_MUL: acc = (int64_t)((uint64_t)acc * (uint64_t)iv); dacc *= dv; break;
		case OP_MIN: if (dv < dacc) { acc = iv; dacc = dv; } break;
		case OP_MAX: if (dv > dacc) { acc = iv; dacc = dv; } break;
		case OP_DIV:
			if (dv == 0)
				return -EINVAL;
			dacc /= dv;
			allint = false;
			break;
		case OP_IDIV:
		case OP_MOD:
			if (!allint || iv == 0)
				return -EINVAL;
			if (iv == -1) /* INT64_MIN / -1 traps in the CPU */
				acc = op == OP_IDIV ? (int64_t)(0 - (uint64_t)acc) : 0;
			else
				acc = op == OP_IDIV ? acc / iv : acc % iv;
			dacc = (double)acc;
			break;
		}
	}
	if (op == OP_NEG) {
		acc = (int64_t)(0 - (uint64_t)acc);
		dacc = -dacc;
	} else if (op == OP_ABS) {
		acc = acc < 0 ? (int64_t)(0 - (uint64_t)acc) : acc;
		dacc = fabs(dacc);
	}
	put_num(f, allint ? (double)acc : dacc, allint);
	return 0;
}

static int
compare(int op, char **w, int n, FILE *f)
{
	int64_t ia, ib;
	double a, b;
	bool ai, bi;
	int c;

	if (n != 2)
		return -EINVAL;
	if (number(w[0], &ia, &a, &ai) == 0 && number(w[1], &ib, &b, &bi) == 0)
		c = ai && bi ? (ia > ib) - (ia < ib) : (a > b) - (a < b);
	else
		c = strcmp(w[0], w[1]);
	switch (op) {
	case OP_EQ: c = c == 0; break;
	case OP_NE: c = c != 0; break;
	case OP_LT: c = c < 0; break;
	case OP_GT: c = c > 0; break;
	case OP_LE: c = c <= 0; break;
	default: c = c >= 0; break;
	}
	fputs(c ? "true" : "false", f);
	return 0;
}

/* cat FILE: the bytes of FILE (its name unquoted) into @f, as Click's `cat`;
 * a file that cannot be read is reported and gives nothing. Returns 0. */
static int
cat_file(struct ck_element *e, const char *word, FILE *f)
{
	char *name = NULL, buf[4096];
	size_t len, got;
	FILE *in;

	if ((word[0] == '"' || word[0] == '\'') && ck_parse_string(word, &name, &len) == 0)
		word = name;
	in = fopen(word, "rb");
	if (!in) {
		fprintf(ck_errf(e->r), "%s: %s: %s: %s\n", e->landmark, e->name, word,
			strerror(errno));
		free(name);
		return 0;
	}
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, got, f);
	fclose(in);
	free(name);
	return 0;
}

/* Evaluate the expanded text of a $(...) into @f. Returns 0 or -EINVAL. */
static int
evaluate(struct ck_element *e, const char *text, FILE *f)
{
	char **w;
	int n = ck_args_words(text, &w), rc = 0, op = -1;

	if (n < 0)
		return -ENOMEM;
	for (unsigned int k = 0; n > 0 && k < sizeof(op_names) / sizeof(*op_names); k++)
		if (strcmp(w[0], op_names[k]) == 0)
			op = k == OP_REM ? OP_MOD : (int)k;
	if (n == 0) {
		rc = 0;
	} else if (op < 0) {
		char *v = sc_call_read(e, text, false, NULL);
		size_t l = v ? strlen(v) : 0;

		if (v) {
			if (l && v[l - 1] == '\n')
				v[l - 1] = 0;
			fputs(v, f);
		}
		free(v);
	} else if (op <= OP_MAX) {
		rc = arith(op, w + 1, n - 1, f);
	} else if (op >= OP_HTONL) {
		rc = byteorder(op, w + 1, n - 1, f);
	} else if (op <= OP_GE) {
		rc = compare(op, w + 1, n - 1, f);
	} else if (op == OP_NOT) {
		rc = n == 2 ? 0 : -EINVAL;
		fputs(n == 2 && !sc_truth(w[1]) ? "true" : "false", f);
	} else if (op == OP_AND || op == OP_OR) {
		bool v = op == OP_AND;

		for (int k = 1; k < n; k++)
			v = op == OP_AND ? v && sc_truth(w[k]) : v || sc_truth(w[k]);
		fputs(v ? "true" : "false", f);
	} else if (op == OP_IF) {
		rc = n == 3 || n == 4 ? 0 : -EINVAL;
		if (rc == 0)
			fputs(sc_truth(w[1]) ? w[2] : n == 4 ? w[3] : "", f);
	} else if (op == OP_CAT) {
		rc = n == 2 ? cat_file(e, w[1], f) : -EINVAL;
	} else {
		const char *rest = text + strspn(text, " \t");

		rest += strcspn(rest, " \t");
		rest += strspn(rest, " \t");
		fprintf(f, "%zu", strlen(rest));
	}
	if (rc < 0)
		fprintf(ck_errf(e->r), "%s: %s: bad expression '$(%s)'\n", e->landmark, e->name, text);
	ck_args_free(w, n);
	return rc;
}

/* Operator handler @h->name with @param: as $(NAME PARAM); `length` counts
 * the parameter's bytes. */
int
sc_op_read(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	   FILE *errf)
{
	char *text;
	int rc;

	(void)errf;
	if (strcmp(h->name, "length") == 0) {
		fprintf(f, "%zu\n", strlen(param));
		return 0;
	}
	if (asprintf(&text, "%s %s", h->name, param) < 0)
		return -ENOMEM;
	rc = evaluate(e, text, f);
	free(text);
	if (rc == 0)
		fputc('\n', f);
	return rc;
}

/* Whether @name is a handler of the script itself (not a PROXY's any name). */
static bool
local_handler(struct ck_element *e, const char *name)
{
	const struct script *s = CK_PRIV(e, struct script);

	for (const struct ck_handler *h = e->cls->handlers; h && h->name; h++)
		if (strcmp(h->name, name) == 0)
			return true;
	for (unsigned int i = 0; i < s->nvars; i++)
		if (s->vars[i].exported && strcmp(s->vars[i].name, name) == 0)
			return true;
	return false;
}

/* @name as a handler call from the script names it (malloc'ed, NULL on no
 * memory): a name without a dot is the script's own handler when it has one,
 * as Click's handler calls resolve names in their element's context. */
char *
sc_handler_name(struct ck_element *e, const char *name)
{
	char *full;

	if (!strchr(name, '.') && local_handler(e, name))
		return asprintf(&full, "%s.%s", e->name, name) < 0 ? NULL : full;
	return strdup(name);
}

/* Write "While calling 'CALL':" and each line of @msg indented by two spaces. */
void
sc_report(struct ck_element *e, const char *call, const char *msg)
{
	FILE *f = ck_errf(e->r);

	if (!msg || !*msg)
		return;
	fprintf(f, "While calling '%s':\n", call);
	while (*msg) {
		size_t l = strcspn(msg, "\n");

		fprintf(f, "  %.*s\n", (int)l, msg);
		msg += l + (msg[l] == '\n');
	}
	fflush(f);
}

/* The handler call @call: its value, or NULL after reporting the error. */
char *
sc_call_read(struct ck_element *e, const char *call, bool unquote_param, char **name)
{
	const char *p = call + strspn(call, " \t\r\n"), *rest;
	size_t l = strcspn(p, " \t\r\n");
	char *spec = strndup(p, l), *param = NULL, *full = NULL, *v = NULL, *msg = NULL;
	size_t ml = 0;
	FILE *errf = open_memstream(&msg, &ml);
	int rc;

	rest = p + l;
	rest += strspn(rest, " \t\r\n");
	param = strdup(rest);
	if (!spec || !param || !errf)
		goto out;
	if (unquote_param && (*param == '"' || *param == '\'')) {
		char *u;
		size_t ul;

		if (ck_parse_string(param, &u, &ul) == 0) {
			free(param);
			param = u;
		}
	}
	full = sc_handler_name(e, spec);
	if (!full)
		goto out;
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		rc = f ? ck_handler_read_param(e->r, full, param, f, errf) : -ENOMEM;
		if (f)
			fclose(f);
		if (rc == 0)
			v = buf;
		else
			free(buf);
	}
	fclose(errf);
	errf = NULL;
	if (rc == -ENOENT || rc == -EPERM)
		fprintf(ck_errf(e->r), "%s: %s: no read handler '%s'\n", e->landmark, e->name,
			spec);
	else if (rc < 0)
		sc_report(e, call + strspn(call, " \t\r\n"), msg);
out:
	if (errf)
		fclose(errf);
	if (v && name) {
		*name = full;
		full = NULL;
	}
	free(spec);
	free(param);
	free(full);
	free(msg);
	return v;
}

static int expand_into(struct ck_element *e, const char *s, size_t len, FILE *f, int depth);

/* $N (the Nth word of the run's arguments, N >= 1), $# (their count) and $?
 * (the status of the last `write`, as Click's: 0 or a negative errno) into
 * @f; false when @name is none of them. */
static bool
run_arg(const struct script *sc, const char *name, FILE *f)
{
	const char *args = sc_var_get(sc, "args");
	char **w;
	int n, k = 0;

	if (strcmp(name, "?") == 0) {
		fprintf(f, "%d", sc->write_status);
		return true;
	}
	if (strcmp(name, "#") != 0) {
		for (const char *c = name; *c; c++)
			if (!isdigit((unsigned char)*c))
				return false;
		k = atoi(name);
		if (k < 1)
			return false;
	}
	n = ck_args_words(args ? args : "", &w);
	if (n < 0)
		return true;
	if (k == 0)
		fprintf(f, "%d", n);
	else if (k <= n)
		fputs(w[k - 1], f);
	ck_args_free(w, n);
	return true;
}

/* The end of the $( ... ) that starts at @s (s[0] == '('), or NULL. */
static const char *
close_paren(const char *s, const char *end)
{
	int level = 0;

	for (; s < end; s++) {
		if (*s == '(')
			level++;
		else if (*s == ')' && --level == 0)
			return s;
	}
	return NULL;
}

static int
expand_into(struct ck_element *e, const char *s, size_t len, FILE *f, int depth)
{
	const struct script *sc = CK_PRIV(e, struct script);
	const char *end = s + len;

	if (depth > 32)
		return -ELOOP;
	while (s < end) {
		const char *c;

		if (*s != '$' || s + 1 >= end) {
			fputc(*s++, f);
		} else if (s[1] == '(' && (c = close_paren(s + 1, end)) != NULL) {
			char *inner = NULL;
			size_t il = 0;
			FILE *g = open_memstream(&inner, &il);

			if (!g)
				return -ENOMEM;
			expand_into(e, s + 2, (size_t)(c - s - 2), g, depth + 1);
			fclose(g);
			evaluate(e, inner, f);
			free(inner);
			s = c + 1;
		} else if (s[1] == '{' && (c = memchr(s, '}', (size_t)(end - s))) != NULL) {
			char *name = strndup(s + 2, (size_t)(c - s - 2));
			const char *v = name ? sc_var_get(sc, name) : NULL;

			if (v || !name || !run_arg(sc, name, f))
				fputs(v ? v : "", f);
			free(name);
			s = c + 1;
		} else if (isalnum((unsigned char)s[1]) || s[1] == '_') {
			const char *b = s + 1;
			char *name;
			const char *v;

			while (b < end && (isalnum((unsigned char)*b) || *b == '_'))
				b++;
			name = strndup(s + 1, (size_t)(b - s - 1));
			v = name ? sc_var_get(sc, name) : NULL;
			if (v || !name || !run_arg(sc, name, f))
				fputs(v ? v : "", f);
			free(name);
			s = b;
		} else if (s[1] == '#' || s[1] == '?') {
			run_arg(sc, s[1] == '#' ? "#" : "?", f);
			s += 2;
		} else {
			fputc(*s++, f);
		}
	}
	return 0;
}

/* @text with its variables and $(...) expanded; NULL on no memory. */
char *
sc_expand(struct ck_element *e, const char *text)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	expand_into(e, text, strlen(text), f, 0);
	fclose(f);
	return out;
}
