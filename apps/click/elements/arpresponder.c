/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARPResponder(IP/MASK [IP/MASK...] ETH, ...) — an Ethernet ARP request for an
 * address in one of the prefixes is turned, in place, into the reply from
 * that entry's ETH (output 0), 42 bytes without the request's annotations
 * as Click's fresh reply; every other packet goes to output 1 or is
 * dropped. A bare address is a /32; an AddressInfo NAME that has both
 * addresses (`ARPResponder(extern)`) answers for NAME's address with NAME's
 * Ethernet address. As Click, the entries are kept most specific first
 * (a prefix before the prefixes that contain it, else in order; of two
 * entries for one prefix the later one, with a warning). Handlers: table,
 * lookup IP (the Ethernet address that answers for IP, or nothing), add
 * (an argument as in the configuration), remove IP/MASK, and config (rw:
 * a write replaces the table, as Click's live reconfiguration).
 */
#include <arpa/inet.h>
#include <stdarg.h>

#include "ck_elem.h"

#define ARP_LEN 42

struct arp_entry {
	uint32_t ip, mask;
	uint8_t eth[6];
};

struct arp_table {
	struct arp_entry *e;
	unsigned int n;
};

struct arpresp {
	struct arp_table t;
	char *config;        /* the configuration last written, or NULL */
	uint64_t replies;
};

/* A message to @errf, or (NULL: at configuration) to the router's errors. */
static void __attribute__((format(printf, 3, 4)))
say(struct ck_element *e, FILE *errf, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (errf)
		fprintf(errf, "%s\n", buf);
	else
		ck_error(e, "%s", buf);
}

static int
table_push(struct arp_table *t, uint32_t ip, uint32_t mask, const uint8_t *eth)
{
	struct arp_entry *ne = realloc(t->e, (t->n + 1) * sizeof(*ne));

	if (!ne)
		return -ENOMEM;
	t->e = ne;
	ne[t->n].ip = ip & mask;
	ne[t->n].mask = mask;
	if (eth)
		memcpy(ne[t->n].eth, eth, 6);
	t->n++;
	return 0;
}

/* Add the entries of one argument, "IP/MASK [IP/MASK...] ETH", to @t.
 * Returns 0, or -EINVAL after a message (@prefix first) and with @t as it was. */
static int
add_arg(struct ck_element *e, struct arp_table *t, const char *arg, const char *prefix,
	FILE *errf)
{
	char **w;
	int nw = ck_args_words(arg, &w);
	unsigned int first = t->n;
	uint8_t eth[6];
	bool have_eth = false;
	const char *why = NULL;

	if (nw < 0)
		return -ENOMEM;
	for (int i = 0; i < nw && !why; i++) {
		uint32_t ip, mask;

		if (ck_parse_prefix(e->r, w[i], &ip, &mask, true) == 0) {
			if (table_push(t, ip, mask, NULL) < 0)
				why = "out of memory";
		} else if (ck_parse_eth(e->r, w[i], eth) == 0) {
			if (have_eth)
				why = "more than one ETH";
			have_eth = true;
		} else {
			why = "expected IP/MASK ETH";
		}
	}
	/* a word that is both (an AddressInfo name with both addresses) */
	for (int i = 0; i < nw && !why && !have_eth; i++)
		have_eth = ck_parse_eth(e->r, w[i], eth) == 0;
	if (!why && t->n == first)
		why = "missing IP/MASK";
	else if (!why && !have_eth)
		why = "missing ETH";
	ck_args_free(w, nw);
	if (why) {
		t->n = first;
		say(e, errf, "%s%s", prefix, why);
		return -EINVAL;
	}
	for (unsigned int i = first; i < t->n; i++)
		memcpy(t->e[i].eth, eth, 6);
	return 0;
}

/* "A.B.C.D/LEN" (or /MASK when not a prefix mask) of an entry. */
static const char *
prefix_str(uint32_t ip, uint32_t mask, char *buf, size_t len)
{
	char a[16], m[16];
	uint32_t hm = ntohl(mask);

	if ((hm & (~hm >> 1)) == 0)
		snprintf(m, sizeof(m), "%d", hm == 0 ? 0 : 32 - __builtin_ctz(hm));
	else
		ck_ip_str(mask, m);
	snprintf(buf, len, "%s/%s", ck_ip_str(ip, a), m);
	return buf;
}

/* Order @t as Click: an entry before those whose prefix contains it, else in
 * order; of entries for one prefix only the last stays (a warning each
 * when @warn). */
static int
normalize(struct ck_element *e, struct arp_table *t, bool warn, FILE *errf)
{
	struct arp_entry *o = malloc((t->n ? t->n : 1) * sizeof(*o));
	unsigned int n = 0;

	if (!o)
		return -ENOMEM;
	for (unsigned int i = 0; i < t->n; i++) {
		const struct arp_entry *x = &t->e[i];
		unsigned int k;
		bool dup = false;

		for (k = 0; k < n; k++) {
			if (o[k].ip == x->ip && o[k].mask == x->mask) {
				dup = true;
				break;
			}
			if ((x->ip & o[k].mask) == o[k].ip)
				break;
		}
		if (dup) {
			char b[40];

			if (warn)
				say(e, errf, "warning: multiple entries for %s",
				    prefix_str(x->ip, x->mask, b, sizeof(b)));
			o[k] = *x;
			continue;
		}
		memmove(&o[k + 1], &o[k], (n - k) * sizeof(*o));
		o[k] = *x;
		n++;
	}
	free(t->e);
	t->e = o;
	t->n = n;
	return 0;
}

/* Parse a whole configuration into @t (empty on entry). Returns 0 or -EINVAL. */
static int
parse_config(struct ck_element *e, const char *conf, struct arp_table *t, FILE *errf)
{
	char **args;
	int n = ck_args_split(conf, &args), rc = 0;

	if (n < 0)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "argument %d: ", i);
		if (add_arg(e, t, args[i], prefix, errf) < 0)
			rc = -EINVAL;
	}
	ck_args_free(args, n);
	if (rc == 0)
		rc = normalize(e, t, true, errf);
	return rc;
}

static int
arpresp_configure(struct ck_element *e)
{
	return parse_config(e, e->config, &CK_PRIV(e, struct arpresp)->t, NULL) < 0 ? -EINVAL : 0;
}

/* The entry answering for @ip, or NULL. */
static const struct arp_entry *
arp_lookup(const struct arp_table *t, uint32_t ip)
{
	for (unsigned int i = 0; i < t->n; i++)
		if ((ip & t->e[i].mask) == t->e[i].ip)
			return &t->e[i];
	return NULL;
}

static struct ck_pkt *
arpresp_action(struct ck_element *e, struct ck_pkt *p)
{
	struct arpresp *x = CK_PRIV(e, struct arpresp);
	uint8_t *d = p->data;
	uint32_t tpa;

	if (p->len >= ARP_LEN && d[12] == 0x08 && d[13] == 0x06 && d[14] == 0 && d[15] == 1 &&
	    d[16] == 0x08 && d[17] == 0 && d[18] == 6 && d[19] == 4 && d[20] == 0 && d[21] == 1) {
		const struct arp_entry *a;

		memcpy(&tpa, d + 38, 4);
		a = arp_lookup(&x->t, tpa);
		if (a) {
			memcpy(d, d + 22, 6);              /* to the asker */
			memcpy(d + 6, a->eth, 6);
			d[21] = 2;                          /* reply */
			memcpy(d + 32, d + 22, 10);         /* tha, tpa := sha, spa */
			memcpy(d + 22, a->eth, 6);          /* sha */
			memcpy(d + 28, &tpa, 4);            /* spa */
			/* as Click's fresh reply: 42 bytes (no padding of the
			 * request) and no annotation but the MAC header */
			ck_pkt_take(p, p->len - ARP_LEN);
			memset(&p->a, 0, sizeof(p->a));
			p->a.mac = d;
			x->replies++;
			return p;
		}
	}
	ck_push_out(e, 1, p);
	return NULL;
}

static void
put_eth(FILE *f, const uint8_t *m)
{
	fprintf(f, "%02X-%02X-%02X-%02X-%02X-%02X\n", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int
arpresp_table(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	const struct arp_table *t = &CK_PRIV(e, struct arpresp)->t;
	char b[40];

	(void)h;
	for (unsigned int i = 0; i < t->n; i++) {
		fprintf(f, "%s ", prefix_str(t->e[i].ip, t->e[i].mask, b, sizeof(b)));
		put_eth(f, t->e[i].eth);
	}
	return 0;
}

static int
arpresp_lookup(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	       FILE *errf)
{
	const struct arp_entry *a;
	uint32_t ip;

	(void)h;
	if (ck_param_ip(e, param, &ip, errf) < 0)
		return -EINVAL;
	a = arp_lookup(&CK_PRIV(e, struct arpresp)->t, ip);
	if (a)
		put_eth(f, a->eth);
	return 0;
}

static int
arpresp_add(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct arp_table *t = &CK_PRIV(e, struct arpresp)->t;
	int rc;

	(void)h;
	rc = add_arg(e, t, v, "", errf);
	return rc < 0 ? rc : normalize(e, t, false, errf);
}

static int
arpresp_remove(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct arp_table *t = &CK_PRIV(e, struct arpresp)->t;
	char **w, b[40];
	int n = ck_args_words(v, &w);
	uint32_t ip, mask;

	(void)h;
	if (n != 1 || ck_parse_prefix(e->r, w[0], &ip, &mask, true) < 0) {
		if (n >= 0)
			ck_args_free(w, n);
		if (errf)
			fprintf(errf, "expected IP/MASK\n");
		return -EINVAL;
	}
	ck_args_free(w, n);
	ip &= mask;
	for (unsigned int i = 0; i < t->n; i++) {
		if (t->e[i].ip == ip && t->e[i].mask == mask) {
			memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof(*t->e));
			t->n--;
			return 0;
		}
	}
	if (errf)
		fprintf(errf, "%s not found\n", prefix_str(ip, mask, b, sizeof(b)));
	return -ENOENT;
}

static int
arpresp_config_read(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	const char *c = CK_PRIV(e, struct arpresp)->config;

	(void)h;
	fprintf(f, "%s\n", c ? c : e->config);
	return 0;
}

/* config (w): the new configuration replaces the table; on an error the old
 * one stays. */
static int
arpresp_config_write(struct ck_element *e, const struct ck_handler *h, const char *v,
		     FILE *errf)
{
	struct arpresp *x = CK_PRIV(e, struct arpresp);
	struct arp_table t = { NULL, 0 };
	char *c = strdup(v);
	int rc = c ? parse_config(e, v, &t, errf) : -ENOMEM;

	(void)h;
	if (rc < 0) {
		free(t.e);
		free(c);
		return rc;
	}
	free(x->t.e);
	x->t = t;
	free(x->config);
	x->config = c;
	return 0;
}

static void
arpresp_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct arpresp)->t.e);
	free(CK_PRIV(e, struct arpresp)->config);
}

static const struct ck_handler arpresp_handlers[] = {
	{ "replies", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct arpresp, replies), NULL },
	{ "table", CK_H_READ | CK_H_LINES, arpresp_table, NULL, 0, NULL },
	{ "lookup", CK_H_READ | CK_H_READ_PARAM, NULL, NULL, 0, arpresp_lookup },
	{ "add", CK_H_WRITE, NULL, arpresp_add, 0, NULL },
	{ "remove", CK_H_WRITE, NULL, arpresp_remove, 0, NULL },
	{ "config", CK_H_READ | CK_H_WRITE, arpresp_config_read, arpresp_config_write, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_ARPResponder = {
	.name = "ARPResponder", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct arpresp), .configure = arpresp_configure,
	.action = arpresp_action, .cleanup = arpresp_cleanup, .handlers = arpresp_handlers,
};
