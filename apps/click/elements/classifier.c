/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifier(PATTERN, ...) — byte patterns relative to the packet data.
 * A pattern is space-separated clauses, all of which must hold:
 * OFFSET/HEX[%MASK] ('?' in HEX is a wildcard nibble), "!" before a clause
 * negates it; "-" (or an empty pattern) matches everything. A clause whose
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

/* Parse "OFFSET/HEX[%MASK]" into @c. Returns 0 or -EINVAL. */
static int
parse_clause(const char *w, struct cl_clause *c)
{
	char *end;
	const char *hex, *pm;
	size_t hl, ml = 0, bytes;

	c->neg = false;
	while (*w == '!') {
		c->neg = !c->neg;
		w++;
	}
	if (!isdigit((unsigned char)*w))
		return -EINVAL;
	c->off = (uint32_t)strtoul(w, &end, 10);
	if (*end != '/')
		return -EINVAL;
	hex = end + 1;
	pm = strchr(hex, '%');
	hl = pm ? (size_t)(pm - hex) : strlen(hex);
	if (pm)
		ml = strlen(pm + 1);
	if (hl == 0 || (pm && ml == 0))
		return -EINVAL;
	bytes = (hl + 1) / 2;
	if (pm && (ml + 1) / 2 > bytes)
		bytes = (ml + 1) / 2;
	c->len = (uint32_t)bytes;
	c->val = calloc(bytes, 1);
	c->mask = calloc(bytes, 1);
	if (!c->val || !c->mask)
		return -ENOMEM;
	/* An odd number of digits: the last nibble is a wildcard. */
	for (size_t i = 0; i < bytes * 2; i++) {
		int v = 0, m = 0;

		if (i < hl && hex[i] != '?') {
			v = nib((unsigned char)hex[i]);
			if (v < 0)
				return -EINVAL;
			m = 0xf;
		}
		c->val[i / 2] |= (uint8_t)(v << (i % 2 ? 0 : 4));
		c->mask[i / 2] |= (uint8_t)(m << (i % 2 ? 0 : 4));
	}
	if (pm) {
		for (size_t i = 0; i < bytes * 2; i++) {
			int m = i < ml ? nib((unsigned char)pm[1 + i]) : 0;

			if (m < 0)
				return -EINVAL;
			if (i % 2 == 0)
				c->mask[i / 2] &= (uint8_t)(m << 4 | 0x0f);
			else
				c->mask[i / 2] &= (uint8_t)(m | 0xf0);
		}
	}
	for (size_t i = 0; i < bytes; i++)
		c->val[i] &= c->mask[i];
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
		rc = ck_error(e, "%d patterns but %u outputs", n, e->nout);
	cl->pat = calloc((size_t)n + 1, sizeof(*cl->pat));
	cl->n = cl->pat ? (unsigned int)n : 0;
	for (int i = 0; i < n && rc == 0 && cl->pat; i++) {
		char **w;
		int nwords = ck_args_words(args[i], &w), nw = nwords;

		if (nw < 0) {
			rc = ck_error(e, "out of memory");
			break;
		}
		if (nw == 1 && strcmp(w[0], "-") == 0)
			nw = 0;
		cl->pat[i].c = calloc((size_t)nw + 1, sizeof(struct cl_clause));
		cl->pat[i].n = (unsigned int)nw;
		for (int j = 0; j < nw && rc == 0; j++)
			if (parse_clause(w[j], &cl->pat[i].c[j]) < 0)
				rc = ck_error(e, "pattern %d: bad clause '%s'", i, w[j]);
		ck_args_free(w, nwords);
	}
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
