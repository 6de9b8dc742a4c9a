/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFilter(ACTION PATTERN, ...) and IPClassifier(PATTERN, ...) — netlib's
 * filter language (nl_filter, docs/filter.md), matched from the IP header
 * annotation (and the MAC header annotation for "ether" tests). No match:
 * dropped. A batch is classified with one nl_filter_match_burst() call.
 * Errors are prefixed "pattern N: " (from 0) as Click's.
 */
#include "ck_elem.h"
#include "nl_filter.h"

struct ipfilter {
	struct nl_filter *f;
	uint64_t drops;
};

static int
resolve(void *ctx, const char *name, uint32_t *addr, uint32_t *mask)
{
	uint32_t a, m;

	if (ck_parse_prefix(ctx, name, &a, &m, true) < 0)
		return -1;
	*addr = nl_ntoh32(a);
	*mask = nl_ntoh32(m);
	return 0;
}

/* After `net`: a name's prefix when AddressInfo gave it one. */
static int
resolve_net(void *ctx, const char *name, uint32_t *addr, uint32_t *mask)
{
	uint32_t a, m;

	if (ck_parse_prefix(ctx, name, &a, &m, false) < 0)
		return -1;
	*addr = nl_ntoh32(a);
	*mask = nl_ntoh32(m);
	return 0;
}

/* netlib's "rule N[, column C]: why" in Click's words: "pattern N: why";
 * a bad slot as Click's "slot 'K' out of range" / "unknown slot ID 'W'". */
static void
click_wording(char *err, size_t len)
{
	char buf[256], *why, *cut;
	unsigned int n;

	if (sscanf(err, "rule %u", &n) != 1 || !(why = strstr(err, ": ")))
		return;
	why += 2;
	if (strncmp(why, "slot '", 6) == 0 && (cut = strstr(why, "' out of range (")))
		cut[strlen("' out of range")] = '\0';
	if (strncmp(why, "unknown action '", 16) == 0 && (cut = strstr(why + 16, "' (expected"))) {
		cut[1] = '\0';
		snprintf(buf, sizeof(buf), "pattern %u: unknown slot ID %s", n, why + 15);
	} else {
		snprintf(buf, sizeof(buf), "pattern %u: %s", n, why);
	}
	snprintf(err, len, "%s", buf);
}

static int
ipfilter_configure(struct ck_element *e)
{
	struct ipfilter *x = CK_PRIV(e, struct ipfilter);
	/* Click's semantics: IPv6 extension headers are not walked */
	struct nl_filter_opts o = { .resolve = resolve, .resolve_ctx = e->r,
				    .noutputs = e->nout, .resolve_net = resolve_net };
	char **args, err[256];
	int n = ck_args_split(e->config, &args);

	if (n < 0)
		return ck_error(e, "out of memory");
	if (e->cls->name[2] != 'F' && (unsigned int)n != e->nout) {
		ck_args_free(args, n);
		return ck_error(e, "need %u arguments, one per output port", e->nout);
	}
	if (e->cls->name[2] == 'F') {
		if (e->nout == 0) /* only drop rules, as Click */
			o.noutputs = NL_FILTER_NO_OUTPUTS;
		x->f = nl_filter_compile_ipfilter((const char *const *)args, (unsigned int)n, &o,
						  err, sizeof(err));
	} else
		x->f = nl_filter_compile_classifier((const char *const *)args, (unsigned int)n,
						    &o, err, sizeof(err));
	ck_args_free(args, n);
	if (!x->f) {
		click_wording(err, sizeof(err));
		return ck_error(e, "%s", err);
	}
	return 0;
}

static int
classify(const struct ipfilter *x, const struct ck_pkt *p)
{
	uint32_t l3len = ck_pkt_avail(p, p->a.ip);
	const uint8_t *l2 = p->a.mac && ck_pkt_avail(p, p->a.mac) >= 14 ? p->a.mac : NULL;

	if (!p->a.ip || l3len == 0)
		return -1;
	return nl_filter_match(x->f, p->a.ip, l3len, l2);
}

static void
ipfilter_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct ipfilter *x = CK_PRIV(e, struct ipfilter);
	int o = classify(x, p);

	(void)port;
	if (o < 0) {
		x->drops++;
		ck_pkt_kill(e, p);
	} else {
		ck_push_out(e, (unsigned int)o, p);
	}
}

static void
ipfilter_push_batch(struct ck_element *e, unsigned int port, struct ck_pkt *head)
{
	struct ipfilter *x = CK_PRIV(e, struct ipfilter);

	(void)port;
	while (head) {
		const uint8_t *l3[NL_FILTER_BURST_MAX], *l2[NL_FILTER_BURST_MAX];
		uint32_t len[NL_FILTER_BURST_MAX];
		struct ck_pkt *pk[NL_FILTER_BURST_MAX];
		int out[NL_FILTER_BURST_MAX];
		unsigned int n = 0;

		while (head && n < NL_FILTER_BURST_MAX) {
			struct ck_pkt *p = head;

			head = p->next;
			p->next = NULL;
			if (!p->a.ip || ck_pkt_avail(p, p->a.ip) == 0) {
				x->drops++;
				ck_pkt_kill(e, p);
				continue;
			}
			pk[n] = p;
			l3[n] = p->a.ip;
			len[n] = ck_pkt_avail(p, p->a.ip);
			l2[n] = p->a.mac && ck_pkt_avail(p, p->a.mac) >= 14 ? p->a.mac : NULL;
			n++;
		}
		nl_filter_match_burst(x->f, l3, len, l2, out, n);
		for (unsigned int i = 0; i < n; i++) {
			if (out[i] < 0) {
				x->drops++;
				ck_pkt_kill(e, pk[i]);
			} else {
				ck_push_out(e, (unsigned int)out[i], pk[i]);
			}
		}
	}
}

static void
ipfilter_cleanup(struct ck_element *e)
{
	nl_filter_free(CK_PRIV(e, struct ipfilter)->f);
}

static const struct ck_handler ipfilter_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipfilter, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_IPFilter = {
	.name = "IPFilter", .ports = "1/-", .processing = "h/h",
	.priv_size = sizeof(struct ipfilter), .configure = ipfilter_configure,
	.push = ipfilter_push, .push_batch = ipfilter_push_batch,
	.cleanup = ipfilter_cleanup, .handlers = ipfilter_handlers,
};

const struct ck_element_class ck_class_IPClassifier = {
	.name = "IPClassifier", .ports = "1/-", .processing = "h/h",
	.priv_size = sizeof(struct ipfilter), .configure = ipfilter_configure,
	.push = ipfilter_push, .push_batch = ipfilter_push_batch,
	.cleanup = ipfilter_cleanup, .handlers = ipfilter_handlers,
};
