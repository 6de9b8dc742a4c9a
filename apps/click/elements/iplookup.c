/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * StaticIPLookup, LinearIPLookup, RadixIPLookup(ADDR/MASK [GW] OUT, ...) —
 * longest-prefix match on the destination-IP annotation; a route with a
 * gateway sets the annotation to it; no route: dropped. One implementation:
 * routes in slots, listed by `table` in slot order as Click lists them (a
 * freed slot is reused: Linear's lowest one, Radix's last freed one).
 * Handlers: table (r), lookup ADDR (r: "PORT GW", "PORT" or "-1"), and for
 * Linear/Radix add, set, remove and ctrl (w), with Click's messages. An
 * AddressInfo name for ADDR/MASK is its address (/32), NAME:ipnet its
 * prefix, NAME:bcast its prefix's broadcast address.
 */
#include <arpa/inet.h>

#include "ck_elem.h"

struct route {
	uint32_t addr, mask, gw; /* network order */
	int out;                 /* -1 (remove): any gateway and output */
	bool used;
	int next_free;           /* Radix: the slot freed before this one, or -1 */
};

struct lookup {
	struct route *rt;        /* slots */
	unsigned int n, cap;
	int free_head;           /* Radix: the last slot freed, or -1 */
	bool lifo;               /* Radix: reuse the last freed slot */
	uint64_t drops;
};

enum { CMD_ADD, CMD_SET, CMD_REMOVE };

/* Click's route syntax: ADDR/MASK [GW | -] OUT; for remove OUT may be left
 * out (then any gateway and output match). Returns 0 or -EINVAL. */
static int
parse_route(struct ck_element *e, const char *arg, bool remove, struct route *r)
{
	char **w;
	int n = ck_args_words(arg, &w), i = 1, rc = -EINVAL;
	int64_t out;

	if (n < 0)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->out = -1;
	if (n < 1 || ck_parse_prefix(e->r, w[0], &r->addr, &r->mask, true) < 0)
		goto done;
	r->addr &= r->mask;
	if (i < n && (strcmp(w[i], "-") == 0 || ck_parse_ip(e->r, w[i], &r->gw) == 0))
		i++;
	if (i < n && ck_parse_int(w[i], &out) == 0 && out >= INT32_MIN && out <= INT32_MAX) {
		r->out = (int)out;
		i++;
	} else if (i < n || !remove) {
		goto done;
	}
	rc = i == n ? 0 : -EINVAL;
done:
	ck_args_free(w, n);
	return rc;
}

/* "ADDR/MASK GW OUT" (Click's IPRoute unparse; @tabs: as its table aligns). */
static void
route_str(const struct route *r, bool tabs, char *buf, size_t len)
{
	char a[16], m[16], g[16], pfx[40];
	uint32_t hm = ntohl(r->mask);
	const char *gw = r->gw ? ck_ip_str(r->gw, g) : "-";
	int pl;

	/* a prefix mask as its length, as Click writes it; another in full */
	if ((hm & (~hm >> 1)) == 0)
		snprintf(m, sizeof(m), "%d", hm == 0 ? 0 : 32 - __builtin_ctz(hm));
	else
		ck_ip_str(r->mask, m);
	pl = snprintf(pfx, sizeof(pfx), "%s/%s", ck_ip_str(r->addr, a), m);
	if (!tabs)
		snprintf(buf, len, "%s %s %d", pfx, gw, r->out);
	else
		snprintf(buf, len, "%s\t%s%s\t%s%d", pfx, pl + 1 < 17 ? "\t" : "", gw,
			 strlen(gw) + 1 < 9 ? "\t" : "", r->out);
}

static int
find_route(const struct lookup *l, uint32_t addr, uint32_t mask)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (l->rt[i].used && l->rt[i].addr == addr && l->rt[i].mask == mask)
			return (int)i;
	return -1;
}

static void
free_slot(struct lookup *l, int i)
{
	l->rt[i].used = false;
	l->rt[i].next_free = l->free_head;
	l->free_head = i;
}

/* A slot for a new route (Click's choice), or -1 with no memory. */
static int
new_slot(struct lookup *l)
{
	int i;

	if (l->lifo && l->free_head >= 0) {
		i = l->free_head;
		l->free_head = l->rt[i].next_free;
		return i;
	}
	if (!l->lifo)
		for (unsigned int k = 0; k < l->n; k++)
			if (!l->rt[k].used)
				return (int)k;
	if (l->n == l->cap) {
		unsigned int nc = l->cap ? l->cap * 2 : 16;
		struct route *nr = realloc(l->rt, nc * sizeof(*nr));

		if (!nr)
			return -1;
		l->rt = nr;
		l->cap = nc;
	}
	return (int)l->n++;
}

/* Add @r; @set replaces a route of the same prefix (into *@old).
 * Returns 0, -EEXIST (*@old: the route in the way) or -ENOMEM. */
static int
add_route(struct lookup *l, const struct route *r, bool set, struct route *old)
{
	int i = find_route(l, r->addr, r->mask), k;

	if (i >= 0) {
		*old = l->rt[i];
		if (!set)
			return -EEXIST;
		if (!l->lifo) { /* Linear: in place */
			l->rt[i].gw = r->gw;
			l->rt[i].out = r->out;
			return 0;
		}
	}
	k = new_slot(l);
	if (k < 0)
		return -ENOMEM;
	l->rt[k] = *r;
	l->rt[k].used = true;
	if (i >= 0)
		free_slot(l, i);
	return 0;
}

/* Remove the route of @r's prefix (when @r has an output, its gateway and
 * output must match too) into *@old. Returns 0 or -ENOENT. */
static int
remove_route(struct lookup *l, const struct route *r, struct route *old)
{
	int i = find_route(l, r->addr, r->mask);

	if (i < 0 || (r->out >= 0 && (l->rt[i].gw != r->gw || l->rt[i].out != r->out)))
		return -ENOENT;
	*old = l->rt[i];
	free_slot(l, i);
	return 0;
}

/* The route for @dst (longest mask), or NULL. */
static const struct route *
lookup_route(const struct lookup *l, uint32_t dst)
{
	const struct route *best = NULL;

	for (unsigned int i = 0; i < l->n; i++) {
		const struct route *r = &l->rt[i];

		if (r->used && (dst & r->mask) == r->addr &&
		    (!best || ntohl(r->mask) > ntohl(best->mask)))
			best = r;
	}
	return best;
}

static int
lookup_configure(struct ck_element *e)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	char **args;
	int n = ck_args_split(e->config, &args), rc = 0;

	l->free_head = -1;
	l->lifo = strcmp(e->cls->name, "RadixIPLookup") == 0;
	if (n < 0)
		return ck_error(e, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		struct route r, old;

		if (parse_route(e, args[i], false, &r) < 0)
			rc = ck_error(e, "argument %d should be 'ADDR/MASK [GATEWAY] OUTPUT'",
				      i + 1);
		else if (r.out < 0 || r.out >= (int)e->nout)
			rc = ck_error(e, "argument %d bad OUTPUT", i + 1);
		else if (add_route(l, &r, false, &old) == -ENOMEM)
			rc = ck_error(e, "out of memory");
	}
	ck_args_free(args, n);
	return rc;
}

static void
lookup_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	const struct route *r = lookup_route(l, p->a.dst_ip);

	(void)port;
	if (!r) {
		l->drops++;
		ck_pkt_kill(e, p);
		return;
	}
	if (r->gw)
		p->a.dst_ip = r->gw;
	ck_push_out(e, (unsigned int)r->out, p);
}

static int
lookup_table(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	char buf[96];

	(void)h;
	for (unsigned int i = 0; i < l->n; i++) {
		if (!l->rt[i].used)
			continue;
		route_str(&l->rt[i], true, buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	return 0;
}

/* lookup ADDR: "PORT GW", "PORT" without a gateway, "-1" without a route. */
static int
lookup_lookup(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	      FILE *errf)
{
	const struct route *r;
	char g[16];
	uint32_t a;

	(void)h;
	if (ck_param_ip(e, param, &a, errf) < 0)
		return -EINVAL;
	r = lookup_route(CK_PRIV(e, struct lookup), a);
	if (!r)
		fprintf(f, "-1\n");
	else if (r->gw)
		fprintf(f, "%d %s\n", r->out, ck_ip_str(r->gw, g));
	else
		fprintf(f, "%d\n", r->out);
	return 0;
}

/* One add, set or remove command; a success is logged in *@undo (the route
 * and how to take it back) when @undo is not NULL. */
static int
run_command(struct ck_element *e, int cmd, const char *arg, struct route *undo, int *undo_cmd,
	    FILE *errf)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	struct route r, old;
	char buf[96];
	int rc;

	rc = parse_route(e, arg, cmd == CMD_REMOVE, &r);
	if (rc < 0) {
		if (errf)
			fprintf(errf, "expected 'ADDR/MASK [GATEWAY%s'\n",
				cmd == CMD_REMOVE ? " OUTPUT]" : "] OUTPUT");
		return rc;
	}
	if (r.out < (cmd == CMD_REMOVE ? -1 : 0) || r.out >= (int)e->nout) {
		if (errf)
			fprintf(errf, "bad OUTPUT\n");
		return -EINVAL;
	}
	memset(&old, 0, sizeof(old));
	old.out = -1;
	if (cmd == CMD_REMOVE)
		rc = remove_route(l, &r, &old);
	else
		rc = add_route(l, &r, cmd == CMD_SET, &old);
	if (rc == 0 && undo) {
		bool replaced = cmd != CMD_REMOVE && old.out >= 0;

		/* an added route is removed, a removed one added, a replaced one set back */
		*undo = replaced || cmd == CMD_REMOVE ? old : r;
		*undo_cmd = cmd == CMD_REMOVE ? CMD_ADD : replaced ? CMD_SET : CMD_REMOVE;
	}
	if (rc == -EEXIST) {
		route_str(&old, false, buf, sizeof(buf));
		if (errf)
			fprintf(errf, "conflict with existing route '%s'\n", buf);
	} else if (rc == -ENOENT) {
		route_str(&r, false, buf, sizeof(buf));
		if (errf)
			fprintf(errf, "route '%s' not found\n", buf);
	} else if (rc == -ENOMEM) {
		route_str(&r, false, buf, sizeof(buf));
		if (errf)
			fprintf(errf, "no memory to store route '%s'\n", buf);
	}
	return rc;
}

static int
lookup_write(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	return run_command(e, (int)h->arg, v, NULL, NULL, errf);
}

/* ctrl: "add|set|remove ROUTE" lines, all or none applied. */
static int
lookup_ctrl(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct lookup *l = CK_PRIV(e, struct lookup);
	char *text = strdup(v), *line, *save = NULL;
	struct route *undo = NULL;
	int *undo_cmd = NULL, rc = 0;
	size_t nu = 0, lines = 1;

	(void)h;
	for (const char *c = v; *c; c++)
		lines += *c == '\n';
	undo = calloc(lines, sizeof(*undo));
	undo_cmd = calloc(lines, sizeof(*undo_cmd));
	if (!text || !undo || !undo_cmd) {
		rc = -ENOMEM;
		if (errf)
			fprintf(errf, "out of memory\n");
		goto out;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line + strspn(line, " \t\r");
		size_t wl = strcspn(p, " \t\r");
		int cmd;

		if (wl == 0)
			continue;
		if (wl == 3 && strncmp(p, "add", 3) == 0)
			cmd = CMD_ADD;
		else if (wl == 3 && strncmp(p, "set", 3) == 0)
			cmd = CMD_SET;
		else if (wl == 6 && strncmp(p, "remove", 6) == 0)
			cmd = CMD_REMOVE;
		else {
			if (errf)
				fprintf(errf, "bad command '%.*s'\n", (int)wl, p);
			rc = -EINVAL;
			break;
		}
		rc = run_command(e, cmd, p + wl, &undo[nu], &undo_cmd[nu], errf);
		if (rc < 0)
			break;
		nu++;
	}
	/* on an error, take the applied commands back, last first */
	while (rc < 0 && nu > 0) {
		struct route old;

		nu--;
		if (undo_cmd[nu] == CMD_REMOVE)
			remove_route(l, &undo[nu], &old);
		else
			add_route(l, &undo[nu], undo_cmd[nu] == CMD_SET, &old);
	}
out:
	free(text);
	free(undo);
	free(undo_cmd);
	return rc;
}

static void
lookup_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct lookup)->rt);
}

static const struct ck_handler static_handlers[] = {
	{ "table", CK_H_READ | CK_H_LINES, lookup_table, NULL, 0, NULL },
	{ "lookup", CK_H_READ | CK_H_READ_PARAM, NULL, NULL, 0, lookup_lookup },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct lookup, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler dynamic_handlers[] = {
	{ "table", CK_H_READ | CK_H_LINES, lookup_table, NULL, 0, NULL },
	{ "lookup", CK_H_READ | CK_H_READ_PARAM, NULL, NULL, 0, lookup_lookup },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct lookup, drops), NULL },
	{ "add", CK_H_WRITE, NULL, lookup_write, CMD_ADD, NULL },
	{ "set", CK_H_WRITE, NULL, lookup_write, CMD_SET, NULL },
	{ "remove", CK_H_WRITE, NULL, lookup_write, CMD_REMOVE, NULL },
	{ "ctrl", CK_H_WRITE, NULL, lookup_ctrl, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
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
