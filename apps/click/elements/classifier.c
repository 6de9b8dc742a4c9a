/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifier(PATTERN, ...) — byte patterns relative to the packet data.
 * A pattern is space-separated clauses, all of which must hold:
 * OFFSET/HEX[%MASK] (an even number of hex digits, '?' a wildcard nibble,
 * MASK as long as HEX), "!" before a clause negates it; "-" (or an empty
 * pattern) matches everything. A clause whose
 * bytes lie beyond the packet is false. First match wins; no match: dropped.
 */
#include <ctype.h>

#include "ck_elem.h"

struct cl_clause {
	uint32_t off, len;
	uint8_t *val, *mask;
	bool neg;
};

struct cl_pattern {
	struct cl_clause *c;
	unsigned int n;
};

struct classifier {
	struct cl_pattern *pat;
	unsigned int n;
	uint64_t drops;
};

static int
nib(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Value and mask of hex digit or '?' @c into the nibble at @shift. */
static void
nibble(int c, int shift, uint8_t *v, uint8_t *m)
{
	int x = c == '?' ? 0 : nib(c);

	*v |= (uint8_t)(x << shift);
	*m |= (uint8_t)((c == '?' ? 0 : 0xf) << shift);
}

/* Parse pattern @slot, @s, into @pt as Click's Classifier does: clauses
 * "[!]OFFSET/VALUE[%MASK]" separated by spaces, VALUE and MASK an even
 * number (at least 2) of hex digits or '?', MASK as long as VALUE; "-" alone
 * matches everything. Returns 0 or a negative errno after an error. */
static int
parse_pattern(struct ck_element *e, int slot, const char *s, struct cl_pattern *pt)
{
	size_t len = strlen(s), i = 0, cap = 0;

	if (strcmp(s, "-") == 0)
		i = len;
	while (i < len) {
		struct cl_clause *c;
		size_t vp, ve, mp = 0, me = 0, bytes;
		bool neg = false, mask = false;
		uint32_t off = 0;

		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len)
			break;
		if (s[i] == '!') {
			neg = true;
			i++;
			while (i < len && isspace((unsigned char)s[i]))
				i++;
		}
		if (i >= len || !isdigit((unsigned char)s[i]))
			return ck_error(e, "pattern %d: expected a digit", slot);
		while (i < len && isdigit((unsigned char)s[i])) {
			if (off > 100000000)
				return ck_error(e, "pattern %d: offset too large", slot);
			off = off * 10 + (uint32_t)(s[i++] - '0');
		}
		if (i >= len || s[i] != '/')
			return ck_error(e, "pattern %d: expected '/'", slot);
		vp = ++i;
		while (i < len && (isxdigit((unsigned char)s[i]) || s[i] == '?'))
			i++;
		ve = i;
		if (i < len && s[i] == '%') {
			mask = true;
			mp = ++i;
			while (i < len && (isxdigit((unsigned char)s[i]) || s[i] == '?'))
				i++;
			me = i;
		}
		if (ve - vp < 2)
			return ck_error(e, "pattern %d: value has less than 2 hex digits", slot);
		if ((ve - vp) % 2 != 0)
			return ck_error(e, "pattern %d: value has odd number of hex digits", slot);
		if (mask && me - mp != ve - vp)
			return ck_error(e, "pattern %d: mask has too %s hex digits", slot,
					me - mp > ve - vp ? "many" : "few");
		if (pt->n == cap) {
			struct cl_clause *n;

			cap = cap ? cap * 2 : 4;
			n = realloc(pt->c, cap * sizeof(*n));
			if (!n)
				return ck_error(e, "out of memory");
			pt->c = n;
		}
		c = &pt->c[pt->n++];
		bytes = (ve - vp) / 2;
		c->off = off;
		c->len = (uint32_t)bytes;
		c->neg = neg;
		c->val = calloc(bytes, 1);
		c->mask = calloc(bytes, 1);
		if (!c->val || !c->mask)
			return ck_error(e, "out of memory");
		for (size_t k = 0; k < bytes; k++) {
			uint8_t v = 0, m = 0, mv = 0, mm = 0;

			nibble(s[vp + 2 * k], 4, &v, &m);
			nibble(s[vp + 2 * k + 1], 0, &v, &m);
			if (mask) {
				nibble(s[mp + 2 * k], 4, &mv, &mm);
				nibble(s[mp + 2 * k + 1], 0, &mv, &mm);
				m &= mv & mm;
			}
			c->mask[k] = m;
			c->val[k] = v & m;
		}
	}
	return 0;
}

static int
classifier_configure(struct ck_element *e)
{
	struct classifier *cl = CK_PRIV(e, struct classifier);
	char **args;
	int n = ck_args_split(e->config, &args), rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	if ((unsigned int)n != e->nout && e->nout != 0)
		rc = ck_error(e, "need %u arguments, one per output port", e->nout);
	cl->pat = calloc((size_t)n + 1, sizeof(*cl->pat));
	cl->n = cl->pat ? (unsigned int)n : 0;
	for (int i = 0; i < n && rc == 0 && cl->pat; i++)
		rc = parse_pattern(e, i, args[i], &cl->pat[i]);
	ck_args_free(args, n);
	return rc;
}

static bool
match(const struct cl_pattern *pt, const struct ck_pkt *p)
{
	for (unsigned int i = 0; i < pt->n; i++) {
		const struct cl_clause *c = &pt->c[i];
		bool ok = (uint64_t)c->off + c->len <= p->len;

		for (uint32_t k = 0; ok && k < c->len; k++)
			if ((p->data[c->off + k] & c->mask[k]) != c->val[k])
				ok = false;
		if (ok == c->neg)
			return false;
	}
	return true;
}

static void
classifier_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct classifier *cl = CK_PRIV(e, struct classifier);

	(void)port;
	for (unsigned int i = 0; i < cl->n; i++) {
		if (match(&cl->pat[i], p)) {
			ck_push_out(e, i, p);
			return;
		}
	}
	cl->drops++;
	ck_pkt_kill(e, p);
}

static void
classifier_cleanup(struct ck_element *e)
{
	struct classifier *cl = CK_PRIV(e, struct classifier);

	for (unsigned int i = 0; cl->pat && i < cl->n; i++) {
		for (unsigned int j = 0; cl->pat[i].c && j < cl->pat[i].n; j++) {
			free(cl->pat[i].c[j].val);
			free(cl->pat[i].c[j].mask);
		}
		free(cl->pat[i].c);
	}
	free(cl->pat);
}

static const struct ck_handler classifier_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct classifier, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Classifier = {
	.name = "Classifier",
	.ports = "1/-",
	.processing = "h/h",
	.priv_size = sizeof(struct classifier),
	.configure = classifier_configure,
	.push = classifier_push,
	.cleanup = classifier_cleanup,
	.handlers = classifier_handlers,
};
