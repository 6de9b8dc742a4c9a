/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * StaticIPLookup, LinearIPLookup, RadixIPLookup(ADDR/MASK [GW] OUT, ...) —
 * longest-prefix match on the destination-IP annotation; a route with a
 * gateway sets the annotation to it; no route: dropped. One implementation
 * (a table kept sorted longest prefix first). Handlers: table (r: the routes
 * in the order they were added, as Click's LinearIPLookup lists them), and
 * for Linear/Radix add and remove (w, "ADDR/MASK [GW] OUT"). An AddressInfo
 * name for ADDR/MASK is its address (/32), NAME:ipnet its prefix, NAME:bcast
 * its prefix's broadcast address.
 */
#include <arpa/inet.h>

#include "ck_elem.h"

struct route {
	uint32_t addr, mask, gw; /* network order */
	int out;
	uint64_t seq;            /* order of addition */
};

struct lookup {
	struct route *rt;
	unsigned int n, cap;
	uint64_t drops, seq;
};

static int
by_seq(const void *a, const void *b)
{
	const struct route *x = *(const struct route *const *)a, *y = *(const struct route *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int
parse_route(struct ck_element *e, const char *arg, struct route *r)
{
	char **w;
	int n = ck_args_words(arg, &w), rc = -EINVAL;
	int64_t out;

	if (n < 0)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	if ((n == 2 || n == 3) && ck_parse_prefix(e->r, w[0], &r->addr, &r->mask, true) == 0 &&
	    (n == 2 || ck_parse_ip(e->r, w[1], &r->gw) == 0) &&
	    ck_parse_int(w[n - 1], &out) == 0 && out >= 0 && out < (int64_t)e->nout) {
		r->out = (int)out;
		r->addr &= r->mask;
		rc = 0;
	}
	ck_args_free(w, n);
	return rc;
}

static int
add_route(struct lookup *l, const struct route *r)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (l->rt[i].addr == r->addr && l->rt[i].mask == r->mask)
			return -EEXIST;
	if (l->n == l->cap) {
		unsigned int nc = l->cap ? l->cap * 2 : 16;
		struct route *nr = realloc(l->rt, nc * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		l->rt = nr;
		l->cap = nc;
	}
	/* keep longest prefix first */
	for (i = l->n; i > 0 && ntohl(l->rt[i - 1].mask) < ntohl(r->mask); i--)
		l->rt[i] = l->rt[i - 1];
	l->rt[i] = *r;
	l->rt[i].seq = l->seq++;
	l->n++;
	return 0;
}

static int
lookup_configure(struct ck_element *e)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	char **args;
	int n = ck_args_split(e->config, &args), rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		struct route r;

		if (parse_route(e, args[i], &r) < 0)
			rc = ck_error(e, "route %d: expected 'ADDR/MASK [GATEWAY] OUTPUT', got '%s'",
				      i + 1, args[i]);
		else if (add_route(l, &r) == -ENOMEM)
			rc = ck_error(e, "out of memory");
	}
	ck_args_free(args, n);
	return rc;
}

static void
lookup_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	uint32_t dst = p->a.dst_ip;

	(void)port;
	for (unsigned int i = 0; i < l->n; i++) {
		const struct route *r = &l->rt[i];

		if ((dst & r->mask) == r->addr) {
			if (r->gw)
				p->a.dst_ip = r->gw;
			ck_push_out(e, (unsigned int)r->out, p);
			return;
		}
	}
	l->drops++;
	ck_pkt_kill(e, p);
}

static int
lookup_table(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	const struct route **o = malloc((l->n ? l->n : 1) * sizeof(*o));

	(void)h;
	if (!o)
		return -ENOMEM;
	for (unsigned int i = 0; i < l->n; i++)
		o[i] = &l->rt[i];
	qsort(o, l->n, sizeof(*o), by_seq);
	for (unsigned int i = 0; i < l->n; i++) {
		char a[16], m[16], g[16];
		const struct route *r = o[i];
		uint32_t hm = ntohl(r->mask);

		/* a prefix mask as its length, as Click writes it; another in full */
		if ((hm & (~hm >> 1)) == 0)
			snprintf(m, sizeof(m), "%d", hm == 0 ? 0 : 32 - __builtin_ctz(hm));
		else
			ck_ip_str(r->mask, m);
		fprintf(f, "%s/%s\t%s\t%d\n", ck_ip_str(r->addr, a), m,
			r->gw ? ck_ip_str(r->gw, g) : "-", r->out);
	}
	free(o);
	return 0;
}

static int
lookup_add(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct route r;
	int rc;

	(void)h;
	if (parse_route(e, v, &r) < 0) {
		if (errf)
			fprintf(errf, "expected 'ADDR/MASK [GATEWAY] OUTPUT'\n");
		return -EINVAL;
	}
	rc = add_route(CK_PRIV(e, struct lookup), &r);
	if (rc < 0 && errf)
		fprintf(errf, "%s\n", rc == -EEXIST ? "route exists" : "out of memory");
	return rc;
}

static int
lookup_remove(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	char **w;
	int n = ck_args_words(v, &w);
	uint32_t a, m;

	(void)h;
	if (n < 1 || ck_parse_prefix(e->r, w[0], &a, &m, true) < 0) {
		if (n >= 0)
			ck_args_free(w, n);
		if (errf)
			fprintf(errf, "expected 'ADDR/MASK'\n");
		return -EINVAL;
	}
	ck_args_free(w, n);
	for (unsigned int i = 0; i < l->n; i++) {
		if (l->rt[i].addr == (a & m) && l->rt[i].mask == m) {
			memmove(&l->rt[i], &l->rt[i + 1], (l->n - i - 1) * sizeof(*l->rt));
			l->n--;
			return 0;
		}
	}
	if (errf)
		fprintf(errf, "no such route\n");
	return -ENOENT;
}

static void
lookup_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct lookup)->rt);
}

static const struct ck_handler static_handlers[] = {
	{ "table", CK_H_READ, lookup_table, NULL, 0 },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct lookup, drops) },
	{ NULL, 0, NULL, NULL, 0 },
};

static const struct ck_handler dynamic_handlers[] = {
	{ "table", CK_H_READ, lookup_table, NULL, 0 },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct lookup, drops) },
	{ "add", CK_H_WRITE, NULL, lookup_add, 0 },
	{ "remove", CK_H_WRITE, NULL, lookup_remove, 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct ck_element_class ck_class_StaticIPLookup = {
	.name = "StaticIPLookup", .ports = "1/-", .processing = "h/h",
	.priv_size = sizeof(struct lookup), .configure = lookup_configure,
	.push = lookup_push, .cleanup = lookup_cleanup, .handlers = static_handlers,
};

const struct ck_element_class ck_class_LinearIPLookup = {
	.name = "LinearIPLookup", .ports = "1/-", .processing = "h/h",
	.priv_size = sizeof(struct lookup), .configure = lookup_configure,
	.push = lookup_push, .cleanup = lookup_cleanup, .handlers = dynamic_handlers,
};

const struct ck_element_class ck_class_RadixIPLookup = {
	.name = "RadixIPLookup", .ports = "1/-", .processing = "h/h",
	.priv_size = sizeof(struct lookup), .configure = lookup_configure,
	.push = lookup_push, .cleanup = lookup_cleanup, .handlers = dynamic_handlers,
};
