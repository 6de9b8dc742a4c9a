/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw_rules.c — the firewall's rules file: read, check, compile.
 *
 * Line kinds (docs/firewall.md has the full grammar):
 *
 *   # comment                      from '#' to the end of the line
 *   define NAME ADDR[/LEN]         a name patterns may use
 *   allow = ACTION                 what "allow" does (default: pair)
 *   N = ACTION                     what output N does
 *   [in P[,P..]] [dir A>B] [stateless] (allow|deny|drop|N) PATTERN
 *
 * ACTION is pair, next, drop, out PORT or role ROLE. PATTERN is Click's
 * IPFilter language, compiled by nl_filter; each rule's program output is
 * its own index, so the packet path knows which rule matched and counts it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"
#include "nl_text.h"

#define FW_MAX_OUTPUT 255u

/* Parser state for one file. */
struct fw_parse {
	const char *path;
	char *err;
	size_t errlen;
	uint32_t line;
	struct fw_ruleset *rs;
	uint32_t cap_rules, cap_defs;
	struct fw_action outputs[FW_MAX_OUTPUT + 1];
	uint8_t output_set[FW_MAX_OUTPUT + 1];
	uint8_t allow_set;
	uint32_t *names;    /* the defined names, open addressing: index + 1 in rs->defs, 0 free */
	uint32_t names_cap; /* slots: a power of two, more than twice the names; 0 before any */
};

/* A word of the line: where it starts, how long, its column. */
struct fw_word {
	const char *s;
	size_t len;
	uint32_t col;
};

static void __attribute__((format(printf, 3, 4)))
perr(struct fw_parse *P, uint32_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (col > 0)
		n = snprintf(P->err, P->errlen, "%s:%u:%u: ", P->path, P->line, col);
	else
		n = snprintf(P->err, P->errlen, "%s:%u: ", P->path, P->line);
	if (n < 0 || (size_t)n >= P->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(P->err + n, P->errlen - n, fmt, ap);
	va_end(ap);
}

/* The next word after *@pos on @line (0 length at the end); moves *@pos past it. */
static struct fw_word
word(const char *line, const char **pos)
{
	const char *s = *pos;
	struct fw_word w;

	while (*s == ' ' || *s == '\t')
		s++;
	w.s = s;
	w.col = (uint32_t)(s - line) + 1;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	w.len = (size_t)(s - w.s);
	*pos = s;
	return w;
}

static int
is(const struct fw_word *w, const char *kw)
{
	return w->len == strlen(kw) && memcmp(w->s, kw, w->len) == 0;
}

/* Decimal number of @len bytes at @s, at most @max; -1 when it is not one. */
static long
number(const char *s, size_t len, unsigned long max)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= max ? (long)v : -1;
}

/* Non-zero when @w is digits with a leading 0 ("010"): an output number so
 * written is refused, as Click's IPFilter would read it in octal. */
static int
leading_zero(const struct fw_word *w)
{
	return w->len > 1 && w->s[0] == '0' && strspn(w->s, "0123456789") >= w->len;
}

/* A port of the core engine at @s (@len bytes); -1 after saying why. */
static long
port(struct fw_parse *P, const char *s, size_t len, uint32_t col)
{
	long v = number(s, len, LONG_MAX); /* any number: beyond the ports, said as such */

	if (v < 0) {
		perr(P, col, "'%.*s' is not a port number", (int)len, s);
		return -1;
	}
	if ((unsigned long)v >= P->rs->nb_ports) {
		perr(P, col, "port %ld: the core engine has %u port(s) (0..%u)", v,
		     P->rs->nb_ports, P->rs->nb_ports - 1);
		return -1;
	}
	return v;
}

/* @c may be in a word of a pattern (docs/filter.md "Words"): not white space,
 * an operator or punctuation. */
static int
word_char(int c)
{
	return isalnum(c) || (c != '\0' && strchr("-./@_:", c) != NULL);
}

/* "ACTION" after "allow =" or "N =": pair, next, drop, out P, role R. */
static int
parse_action(struct fw_parse *P, const char *line, const char **pos, struct fw_action *a)
{
	struct fw_word w = word(line, pos), v;
	long n;

	memset(a, 0, sizeof(*a));
	if (is(&w, "pair")) {
		a->kind = FW_ACT_PAIR;
	} else if (is(&w, "next")) {
		a->kind = FW_ACT_NEXT;
	} else if (is(&w, "drop") || is(&w, "deny")) {
		a->kind = FW_ACT_DROP;
	} else if (is(&w, "out") || is(&w, "role")) {
		v = word(line, pos);
		if (v.len == 0) {
			perr(P, v.col, "'%.*s' needs a number", (int)w.len, w.s);
			return -1;
		}
		if (is(&w, "out")) {
			n = port(P, v.s, v.len, v.col);
			a->kind = FW_ACT_OUT;
		} else {
			n = number(v.s, v.len, 255);
			if (n < 0)
				perr(P, v.col, "'%.*s' is not a role (0..255)", (int)v.len, v.s);
			a->kind = FW_ACT_ROLE;
		}
		if (n < 0)
			return -1;
		a->arg = (uint16_t)n;
	} else {
		perr(P, w.col, w.len ? "unknown action '%.*s' (pair, next, drop, out PORT, role ROLE)" :
		     "missing action%.*s (pair, next, drop, out PORT, role ROLE)", (int)w.len, w.s);
		return -1;
	}
	w = word(line, pos);
	if (w.len != 0) {
		perr(P, w.col, "unexpected '%.*s' after the action", (int)w.len, w.s);
		return -1;
	}
	return 0;
}

/* FNV-1a of the @len bytes at @s. */
static uint32_t
name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* The slot of P->names that holds the name @s (@len bytes), or the free one it would take. */
static uint32_t
name_slot(const struct fw_parse *P, const char *s, size_t len)
{
	uint32_t m = P->names_cap - 1, i;
	const char *n;

	for (i = name_hash(s, len) & m; P->names[i] != 0; i = (i + 1) & m) {
		n = P->rs->defs[P->names[i] - 1].name;
		if (strncmp(n, s, len) == 0 && n[len] == '\0')
			break;
	}
	return i;
}

/* Room in P->names for one name more; -1 when out of memory. */
static int
names_room(struct fw_parse *P)
{
	uint32_t *old = P->names, old_cap = P->names_cap, i;
	const char *n;

	if (2 * ((size_t)P->rs->nb_defs + 1) < P->names_cap)
		return 0;
	P->names_cap = old_cap ? 2 * old_cap : 64;
	P->names = calloc(P->names_cap, sizeof(*P->names));
	if (P->names == NULL) {
		P->names = old;
		P->names_cap = old_cap;
		return -1;
	}
	for (i = 0; i < old_cap; i++) {
		if (old[i] == 0)
			continue;
		n = P->rs->defs[old[i] - 1].name;
		P->names[name_slot(P, n, strlen(n))] = old[i];
	}
	free(old);
	return 0;
}

/* Define @name as @a/@mask; -1 when it is defined already (*@twice) or out of memory. */
static int
define_add(struct fw_parse *P, const struct fw_word *name, uint32_t a, uint32_t mask, int *twice)
{
	struct fw_ruleset *rs = P->rs;
	uint32_t slot;

	*twice = 0;
	if (names_room(P) < 0)
		return -1;
	slot = name_slot(P, name->s, name->len);
	if (P->names[slot] != 0) {
		*twice = 1;
		return -1;
	}
	if (rs->nb_defs == P->cap_defs) {
		uint32_t cap = P->cap_defs ? 2 * P->cap_defs : 16;
		struct fw_define *d = realloc(rs->defs, cap * sizeof(*d));

		if (d == NULL)
			return -1;
		rs->defs = d;
		P->cap_defs = cap;
	}
	rs->defs[rs->nb_defs].name = strndup(name->s, name->len);
	if (rs->defs[rs->nb_defs].name == NULL)
		return -1;
	rs->defs[rs->nb_defs].addr = a;
	rs->defs[rs->nb_defs].mask = mask;
	P->names[slot] = ++rs->nb_defs;
	return 0;
}

/*
 * The name of a define whose address is wrong: it is still a name, so that
 * rules above it that use it are not refused for an unknown name before
 * the define's own error is (the file is refused whatever the address).
 */
static void
define_bad(struct fw_parse *P, const struct fw_word *name)
{
	int twice, e = errno;

	define_add(P, name, 0, 0xffffffffu, &twice);
	errno = e;
}

/* "define NAME ADDR[/LEN]" (the word "define" is read). */
static int
parse_define(struct fw_parse *P, const char *line, const char **pos)
{
	struct fw_word name = word(line, pos), addr = word(line, pos), extra = word(line, pos);
	char buf[INET_ADDRSTRLEN + 4], *slash;
	struct in_addr in;
	long len = 32;
	uint32_t a, mask;
	size_t k;
	int twice;

	if (name.len == 0 || addr.len == 0) {
		perr(P, name.len ? addr.col : name.col, "define needs a name and an address: "
		     "'define NAME ADDR[/LEN]'");
		return -1;
	}
	if (!isalpha((unsigned char)name.s[0]) && name.s[0] != '_')
		goto bad_name;
	for (k = 0; k < name.len; k++)
		if (!isalnum((unsigned char)name.s[k]) && name.s[k] != '_' && name.s[k] != '-')
			goto bad_name;
	if (nl_filter_word_reserved(name.s, name.len)) {
		/* no keyword or protocol name has a '-': with one, it is a MAC address */
		perr(P, name.col, "'%.*s' is a word patterns read themselves (%s): choose another "
		     "name", (int)name.len, name.s, memchr(name.s, '-', name.len) ?
		     "a MAC address" : "a keyword or a protocol name");
		return -1;
	}
	if (extra.len != 0) {
		define_bad(P, &name);
		perr(P, extra.col, "unexpected '%.*s' after the address", (int)extra.len, extra.s);
		return -1;
	}
	if (addr.len >= sizeof(buf))
		goto bad_addr;
	memcpy(buf, addr.s, addr.len);
	buf[addr.len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		len = number(slash + 1, strlen(slash + 1), 32);
		if (len < 0)
			goto bad_addr;
	}
	if (inet_pton(AF_INET, buf, &in) != 1)
		goto bad_addr;
	a = ntohl(in.s_addr);
	mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	if ((a & ~mask) != 0) {
		define_bad(P, &name);
		perr(P, addr.col, "'%.*s': host bits set after the /%ld prefix", (int)addr.len,
		     addr.s, len);
		return -1;
	}
	if (define_add(P, &name, a, mask, &twice) == 0)
		return 0;
	if (twice) {
		perr(P, name.col, "'%.*s' is defined twice", (int)name.len, name.s);
		return -1;
	}
	errno = ENOMEM;
	perr(P, 0, "out of memory");
	return -1;
bad_name:
	perr(P, name.col, "'%.*s' is not a name (a letter or '_', then letters, digits, '_', '-')",
	     (int)name.len, name.s);
	return -1;
bad_addr:
	define_bad(P, &name);
	perr(P, addr.col, "'%.*s' is not an IPv4 address or ADDR/LEN prefix", (int)addr.len,
	     addr.s);
	return -1;
}

/* "in P[,P...]": the mask of the ports listed. */
static int
parse_in(struct fw_parse *P, const struct fw_word *w, uint32_t *mask)
{
	const char *s = w->s, *end = w->s + w->len, *comma;
	long p;

	if (w->len == 0) {
		perr(P, w->col, "'in' needs a port: 'in 0' or 'in 0,2'");
		return -1;
	}
	*mask = 0;
	while (s < end) {
		comma = memchr(s, ',', (size_t)(end - s));
		if (comma == NULL)
			comma = end;
		p = port(P, s, (size_t)(comma - s), w->col + (uint32_t)(s - w->s));
		if (p < 0)
			return -1;
		*mask |= 1u << p;
		if (comma + 1 == end) {
			perr(P, w->col + (uint32_t)w->len, "'in %.*s': a port is missing after ','",
			     (int)w->len, w->s);
			return -1;
		}
		s = comma + 1;
	}
	return 0;
}

/* "dir A>B": packets arriving on A of the pair A, B. */
static int
parse_dir(struct fw_parse *P, const struct fw_word *w, uint32_t *mask)
{
	const char *gt = w->len ? memchr(w->s, '>', w->len) : NULL;
	long a, b;

	if (gt == NULL) {
		perr(P, w->col, "'dir' needs two ports: 'dir 0>1'");
		return -1;
	}
	a = port(P, w->s, (size_t)(gt - w->s), w->col);
	if (a < 0)
		return -1;
	b = port(P, gt + 1, w->len - (size_t)(gt - w->s) - 1, w->col + (uint32_t)(gt - w->s) + 1);
	if (b < 0)
		return -1;
	if ((a ^ 1) != b) {
		perr(P, w->col, "dir %ld>%ld: ports %ld and %ld are not a pair (pairs: 0>1, 1>0, "
		     "2>3, ...)", a, b, a, b);
		return -1;
	}
	*mask = 1u << a;
	return 0;
}

/*
 * The rule @s as `rules show` writes it, in a column of tab-separated ones:
 * each tab as the two characters "\t" (a file holds no other control
 * character, parse_line() refuses them). NULL when out of memory.
 */
static char *
show_text(const char *s)
{
	size_t n = strlen(s), tabs = 0, i, j;
	char *t;

	for (i = 0; i < n; i++)
		tabs += s[i] == '\t';
	t = malloc(n + tabs + 1);
	if (t == NULL)
		return NULL;
	for (i = j = 0; i < n; i++) {
		if (s[i] == '\t') {
			t[j++] = '\\';
			t[j++] = 't';
		} else {
			t[j++] = s[i];
		}
	}
	t[j] = '\0';
	return t;
}

/* A rule line whose first word is @w. */
static int
parse_rule(struct fw_parse *P, const char *line, const char **pos, struct fw_word w)
{
	struct fw_ruleset *rs = P->rs;
	struct fw_rule r = { .line = P->line, .in_ports = FW_ALL_PORTS };
	const char *pat, *first = w.s;
	uint32_t mask;
	size_t plen, k;
	long out;

	for (;;) {
		if (is(&w, "in") || is(&w, "dir")) {
			struct fw_word arg = word(line, pos);

			if ((is(&w, "in") ? parse_in(P, &arg, &mask) : parse_dir(P, &arg, &mask)) < 0)
				return -1;
			r.in_ports &= mask;
		} else if (is(&w, "stateless")) {
			r.stateless = 1;
		} else {
			break;
		}
		w = word(line, pos);
	}
	/* the action is a word as the pattern's words are: punctuation ends it,
	 * as in Click's IPFilter ("allow(tcp)", "1!udp") */
	for (k = 0; k < w.len && word_char((unsigned char)w.s[k]); k++)
		;
	if (k > 0 && k < w.len) {
		w.len = k;
		*pos = w.s + k;
	}
	if (is(&w, "allow")) {
		r.verdict = FW_V_ALLOW;
	} else if (is(&w, "deny") || is(&w, "drop")) {
		r.verdict = FW_V_DENY;
	} else if (leading_zero(&w)) {
		perr(P, w.col, "output %.*s: an output number is decimal without a leading 0 "
		     "(Click's IPFilter reads it in octal)", (int)w.len, w.s);
		return -1;
	} else if ((out = number(w.s, w.len, FW_MAX_OUTPUT)) >= 0) {
		if (out == 0) {
			r.verdict = FW_V_ALLOW;
		} else if (!P->output_set[out]) {
			perr(P, w.col, "output %ld has no action: define one first ('%ld = out 1')",
			     out, out);
			return -1;
		} else {
			r.verdict = FW_V_OUTPUT;
			r.output = (uint16_t)out;
			r.act = P->outputs[out];
		}
	} else if (w.len > 0 && strspn(w.s, "0123456789") >= w.len) {
		perr(P, w.col, "output %.*s: out of range (0..%u)", (int)w.len, w.s, FW_MAX_OUTPUT);
		return -1;
	} else {
		perr(P, w.col, w.len ? "'%.*s': a rule starts with allow, deny, drop or an output "
		     "number (after in, dir, stateless)" : "missing action%.*s after the conditions",
		     (int)w.len, w.s);
		return -1;
	}
	if (r.in_ports == 0) {
		perr(P, 1, "the port conditions exclude every port");
		return -1;
	}
	pat = *pos;
	while (*pat == ' ' || *pat == '\t')
		pat++;
	plen = strlen(pat);
	if (plen == 0) {
		perr(P, (uint32_t)(pat - line) + 1, "missing pattern after '%.*s' "
		     "(write 'all' to match every packet)", (int)w.len, w.s);
		return -1;
	}
	if (rs->nb_rules == FW_MAX_RULES) {
		perr(P, 0, "more than %u rules", FW_MAX_RULES);
		return -1;
	}
	if (rs->nb_rules == P->cap_rules) {
		uint32_t cap = P->cap_rules ? 2 * P->cap_rules : 64;
		struct fw_rule *n = realloc(rs->rules, cap * sizeof(*n));

		if (n == NULL)
			goto nomem;
		rs->rules = n;
		P->cap_rules = cap;
	}
	r.pat_col = (uint32_t)(pat - line) + 1;
	r.pattern = strdup(pat);
	r.text = show_text(first);
	if (r.pattern == NULL || r.text == NULL) {
		free(r.pattern);
		free(r.text);
		goto nomem;
	}
	rs->rules[rs->nb_rules++] = r;
	rs->nb_stateless += r.stateless;
	return 0;
nomem:
	errno = ENOMEM;
	perr(P, 0, "out of memory");
	return -1;
}

/* One line, without its newline. */
static int
parse_line(struct fw_parse *P, char *line, size_t len)
{
	const char *pos = line, *save, *glued;
	struct fw_word w, eq;
	size_t i;
	long out;
	int def = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0') {
			perr(P, (uint32_t)i + 1, "NUL byte (is this a text file?)");
			return -1;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			perr(P, (uint32_t)i + 1, "control character 0x%02x (is this a text file?)", c);
			return -1;
		}
	}
	line[strcspn(line, "#")] = '\0';
	for (i = strlen(line); i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t'); i--)
		line[i - 1] = '\0';

	w = word(line, &pos);
	if (w.len == 0)
		return 0;
	if (is(&w, "define"))
		return parse_define(P, line, &pos);
	save = pos;
	eq = word(line, &save);
	glued = memchr(w.s, '=', w.len);
	if (glued != NULL && glued > w.s) {
		/* "allow=next", "1=drop": the action starts after the '=' */
		w.len = (size_t)(glued - w.s);
		save = glued + 1;
		def = 1;
	} else if (glued == NULL && eq.len > 0 && eq.s[0] == '=') {
		/* "allow = next", "allow =next" */
		save = eq.s + 1;
		def = 1;
	}
	if (def) {
		if (is(&w, "allow")) {
			out = 0;
		} else if (leading_zero(&w)) {
			perr(P, w.col, "output %.*s: an output number is decimal without a leading "
			     "0 (Click's IPFilter reads it in octal)", (int)w.len, w.s);
			return -1;
		} else if ((out = number(w.s, w.len, FW_MAX_OUTPUT)) < 0) {
			if (strspn(w.s, "0123456789") >= w.len)
				perr(P, w.col, "output %.*s: out of range (0..%u)", (int)w.len, w.s,
				     FW_MAX_OUTPUT);
			else
				perr(P, w.col, "'%.*s =': allow or an output number 0..%u before "
				     "'='", (int)w.len, w.s, FW_MAX_OUTPUT);
			return -1;
		}
		if (P->output_set[out] || (out == 0 && P->allow_set)) {
			perr(P, w.col, "output %ld has an action already", out);
			return -1;
		}
		if (parse_action(P, line, &save, &P->outputs[out]) < 0)
			return -1;
		P->output_set[out] = 1;
		if (out == 0) {
			P->allow_set = 1;
			P->rs->allow = P->outputs[0];
		}
		return 0;
	}
	return parse_rule(P, line, &pos, w);
}

/* nl_filter's resolver: the names of the file being read (@ctx is its parser). */
static int
resolve(void *ctx, const char *name, uint32_t *addr, uint32_t *mask)
{
	const struct fw_parse *P = ctx;
	const struct fw_define *d;
	uint32_t i;

	if (P->names_cap == 0)
		return -1;
	i = P->names[name_slot(P, name, strlen(name))];
	if (i == 0)
		return -1;
	d = &P->rs->defs[i - 1];
	*addr = d->addr;
	*mask = d->mask;
	return 0;
}

/* nl_filter's "rule K, column C: why" as "FILE:LINE:COL: rule R: why". */
static void
compile_error(struct fw_parse *P, const uint32_t *idx, unsigned int n, const char *msg)
{
	unsigned int k, c;
	int off = 0;

	if (sscanf(msg, "rule %u, column %u: %n", &k, &c, &off) == 2 && off > 0 && k < n) {
		const struct fw_rule *r = &P->rs->rules[idx[k]];

		P->line = r->line;
		perr(P, r->pat_col + (c ? c - 1 : 0), "rule %u: %s", idx[k] + 1, msg + off);
	} else {
		snprintf(P->err, P->errlen, "%s: %s", P->path, msg);
	}
}

/* Compile the rules that apply to port @p (only stateless ones if @stray). */
static struct nl_filter *
compile_port(struct fw_parse *P, unsigned int p, int stray, struct nl_filter_rule *fr,
	     uint32_t *idx)
{
	/* the rules see what the tracker sees: IPv6 past its extension headers */
	const struct nl_filter_opts opts = { .resolve = resolve, .resolve_ctx = P,
					     .walk_ip6_ext = 1 };
	struct fw_ruleset *rs = P->rs;
	struct nl_filter *f;
	char msg[512];
	uint32_t i, n = 0;

	for (i = 0; i < rs->nb_rules; i++) {
		if (!(rs->rules[i].in_ports >> p & 1) || (stray && !rs->rules[i].stateless))
			continue;
		fr[n] = (struct nl_filter_rule){ .pattern = rs->rules[i].pattern, .output = (int)i };
		idx[n++] = i;
	}
	f = nl_filter_compile(fr, n, &opts, msg, sizeof(msg));
	if (f == NULL) {
		int e = errno ? errno : EINVAL;

		compile_error(P, idx, n, msg);
		errno = e;
		return NULL;
	}
	rs->progs[rs->nb_progs++] = f;
	return f;
}

/* Port @p uses the same rules as port @q. */
static int
same_rules(const struct fw_ruleset *rs, unsigned int p, unsigned int q)
{
	uint32_t i;

	for (i = 0; i < rs->nb_rules; i++)
		if ((rs->rules[i].in_ports >> p & 1) != (rs->rules[i].in_ports >> q & 1))
			return 0;
	return 1;
}

/*
 * The first of the rules before line @before (all: UINT32_MAX) whose pattern
 * does not compile on its own: its message in P->err, errno set. Returns 1
 * when there is one, 0 when there is none.
 */
static int
first_bad_pattern(struct fw_parse *P, uint32_t before)
{
	const struct nl_filter_opts opts = { .resolve = resolve, .resolve_ctx = P };
	struct fw_ruleset *rs = P->rs;
	struct nl_filter_rule fr;
	struct nl_filter *f;
	char msg[512];
	uint32_t i;
	int e;

	for (i = 0; i < rs->nb_rules && rs->rules[i].line < before; i++) {
		fr = (struct nl_filter_rule){ .pattern = rs->rules[i].pattern, .output = 0 };
		f = nl_filter_compile(&fr, 1, &opts, msg, sizeof(msg));
		if (f == NULL) {
			e = errno ? errno : EINVAL;
			compile_error(P, &i, 1, msg);
			errno = e;
			return 1;
		}
		nl_filter_free(f);
	}
	return 0;
}

/* One program per distinct rule list, and one of stateless rules when there are some. */
static int
compile(struct fw_parse *P)
{
	struct fw_ruleset *rs = P->rs;
	struct nl_filter_rule *fr = calloc(rs->nb_rules + 1, sizeof(*fr));
	uint32_t *idx = calloc(rs->nb_rules + 1, sizeof(*idx));
	unsigned int p, q;
	int rc = -1;

	if (fr == NULL || idx == NULL) {
		errno = ENOMEM;
		snprintf(P->err, P->errlen, "%s: out of memory", P->path);
		goto out;
	}
	for (p = 0; p < rs->nb_ports; p++) {
		for (q = 0; q < p && !same_rules(rs, p, q); q++)
			;
		if (q < p) {
			rs->filt[p] = rs->filt[q];
			rs->stray[p] = rs->stray[q];
			continue;
		}
		rs->filt[p] = compile_port(P, p, 0, fr, idx);
		if (rs->filt[p] == NULL)
			goto out;
		if (rs->nb_stateless > 0) {
			rs->stray[p] = compile_port(P, p, 1, fr, idx);
			if (rs->stray[p] == NULL)
				goto out;
		}
	}
	rc = 0;
out:
	free(fr);
	free(idx);
	return rc;
}

/* Read and compile the rules of @f (NULL: no rules at all), naming them
 * @name in messages; NULL with errno and a message in @err. */
static struct fw_ruleset *
rules_read(FILE *f, const char *name, unsigned int nb_ports, char *err, size_t errlen)
{
	struct fw_parse *P = calloc(1, sizeof(*P));
	struct fw_ruleset *rs = calloc(1, sizeof(*rs));
	char *line = NULL;
	size_t cap = 0;
	char *saved, scratch[64];
	ssize_t n = 0;
	uint32_t i, bad_line = 0;
	int e = EINVAL;

	if (P == NULL || rs == NULL) {
		e = ENOMEM;
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	*P = (struct fw_parse){ .path = name, .err = err, .errlen = errlen, .rs = rs };
	rs->name = strdup(name);
	if (rs->name == NULL) {
		e = ENOMEM;
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	rs->nb_ports = nb_ports ? (nb_ports < FW_MAX_PORTS ? nb_ports : FW_MAX_PORTS) : 1;
	rs->allow.kind = FW_ACT_PAIR;
	errno = 0;
	while (f != NULL && (n = nl_read_line(f, &line, &cap, NL_LINE_MAX)) > 0) {
		P->line++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (P->line == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			/* a UTF-8 byte order mark some editors write: columns count after it */
			n -= 3;
			memmove(line, line + 3, (size_t)n + 1);
		}
		errno = 0;
		if (parse_line(P, line, (size_t)n) < 0 && bad_line == 0) {
			e = errno ? errno : EINVAL;
			bad_line = P->line;
			if (e == ENOMEM)
				break;
			/* the lines after it are still read for their names, which
			 * rules above may use; their own errors are not reported */
			P->err = scratch;
			P->errlen = sizeof(scratch);
		}
	}
	P->err = err;
	P->errlen = errlen;
	if (bad_line == 0 && n < 0) {
		/* the read stops there: what came before it is checked below */
		e = (int)-n;
		bad_line = P->line + 1;
		if (e == EMSGSIZE)
			snprintf(err, errlen, "%s:%u: line longer than %u bytes (is this a text file?)",
				 name, bad_line, NL_LINE_MAX);
		else
			snprintf(err, errlen, "%s: %s", name, strerror(e));
	}
	if (bad_line == 0 && f != NULL && ferror(f)) {
		e = errno ? errno : EIO; /* the read's: EISDIR for a directory */
		snprintf(err, errlen, "%s: %s", name, strerror(e));
		goto fail;
	}
	if (bad_line != 0) {
		/* a pattern on an earlier line may be wrong too: the first error wins */
		if (e != ENOMEM && (saved = strdup(err)) != NULL) {
			errno = 0;
			if (first_bad_pattern(P, bad_line))
				e = errno ? errno : EINVAL;
			else
				snprintf(err, errlen, "%s", saved);
			free(saved);
		}
		goto fail;
	}
	for (i = 0; i < rs->nb_rules; i++)
		if (rs->rules[i].verdict == FW_V_ALLOW)
			rs->rules[i].act = rs->allow;
	errno = 0;
	if (compile(P) < 0) {
		e = errno ? errno : EINVAL;
		/* the port programs fail at the first bad rule of their own: name the
		 * first bad rule of the file */
		if (e != ENOMEM) {
			errno = 0;
			if (first_bad_pattern(P, UINT32_MAX))
				e = errno ? errno : EINVAL;
		}
		goto fail;
	}
	free(line);
	free(P->names);
	free(P);
	return rs;
fail:
	free(line);
	if (P != NULL)
		free(P->names);
	free(P);
	fw_rules_free(rs);
	errno = e;
	return NULL;
}

/* Read and compile the file @path; NULL with errno and a message in @err. */
struct fw_ruleset *
fw_rules_load(const char *path, unsigned int nb_ports, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct fw_ruleset *rs;
	int e;

	if (f == NULL) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	/* An empty file is more often one being written (an editor's save,
	 * a copy) than rules meant to drop every new connection: those say
	 * so in a comment, as `rules load` asks of its data. */
	e = getc(f);
	if (e == EOF && !ferror(f)) {
		snprintf(err, errlen, "%s: the file is empty (a file of comments alone loads no "
			 "rules)", path);
		fclose(f);
		errno = ENODATA;
		return NULL;
	}
	if (e != EOF)
		ungetc(e, f);
	rs = rules_read(f, path, nb_ports, err, errlen);
	e = errno;
	fclose(f);
	errno = e;
	return rs;
}

/* Compile the @len bytes of rules at @text, named @name in messages. */
struct fw_ruleset *
fw_rules_parse(const char *text, size_t len, const char *name, unsigned int nb_ports, char *err,
	       size_t errlen)
{
	FILE *f = len > 0 ? fmemopen((void *)(uintptr_t)text, len, "r") : NULL;
	struct fw_ruleset *rs;
	int e;

	if (len > 0 && f == NULL) {
		e = errno;
		snprintf(err, errlen, "%s: %s", name, strerror(e));
		errno = e;
		return NULL;
	}
	rs = rules_read(f, name, nb_ports, err, errlen);
	e = errno;
	if (f != NULL)
		fclose(f);
	errno = e;
	return rs;
}

void
fw_rules_free(struct fw_ruleset *rs)
{
	uint32_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nb_progs; i++)
		nl_filter_free(rs->progs[i]);
	for (i = 0; i < rs->nb_rules; i++) {
		free(rs->rules[i].pattern);
		free(rs->rules[i].text);
	}
	for (i = 0; i < rs->nb_defs; i++)
		free(rs->defs[i].name);
	free(rs->rules);
	free(rs->defs);
	free(rs->name);
	free(rs);
}

/* @a as the rules file spells it. */
const char *
fw_action_str(const struct fw_action *a, char *buf, size_t len)
{
	switch (a->kind) {
	case FW_ACT_PAIR:
		snprintf(buf, len, "pair");
		break;
	case FW_ACT_OUT:
		snprintf(buf, len, "out %u", a->arg);
		break;
	case FW_ACT_ROLE:
		snprintf(buf, len, "role %u", a->arg);
		break;
	case FW_ACT_NEXT:
		snprintf(buf, len, "next");
		break;
	default:
		snprintf(buf, len, "drop");
		break;
	}
	return buf;
}
