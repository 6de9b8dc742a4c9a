/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter_lower.c — resolve one parsed primitive (qualifier inheritance,
 * the protocol a port / flag / ICMP type implies, value ranges) and lower it
 * to word tests.
 *
 * Layout of the words (loaded big-endian, so a field's bits are where the
 * RFC draws them):
 *   IPv4 +0 ver|ihl tos length   +4 id frag   +8 ttl proto cksum
 *        +12 src  +16 dst
 *   transport +0 sport dport (ICMP: type code)  +12 off|flags window (TCP)
 *   meta +0 protocol (IPv4 protocol or IPv6 next header), Ethernet +0 dst src
 */
#include <string.h>

#include "nl_filter_priv.h"

/* A header field: where it is and its width (an unshifted mask). */
struct field {
	uint8_t base;
	uint16_t off;
	uint8_t shift;
	uint32_t max;
};

static const struct field fields[T_NTYPES] = {
	[T_VERS] = { NLF_L3, 0, 28, 0xf },
	[T_HL] = { NLF_IP4, 0, 24, 0xf },
	[T_TOS] = { NLF_IP4, 0, 16, 0xff },
	[T_DSCP] = { NLF_IP4, 0, 18, 0x3f },
	[T_ECT] = { NLF_IP4, 0, 16, 0x3 },
	[T_LEN] = { NLF_IP4, 0, 0, 0xffff },
	[T_ID] = { NLF_IP4, 4, 16, 0xffff },
	[T_TTL] = { NLF_IP4, 8, 24, 0xff },
	[T_PROTO] = { NLF_META, 0, 24, 0xff },
	[T_ICMPTYPE] = { NLF_TRANSP, 0, 24, 0xff },
	[T_WIN] = { NLF_TRANSP, 12, 0, 0xffff },
	[T_PORT] = { NLF_TRANSP, 0, 16, 0xffff },  /* source; destination: shift 0 */
	[T_HOST] = { NLF_IP4, 12, 0, 0xffffffff }, /* source; destination: +16 */
};

#define MAX_TESTS 16

/* The primitive being lowered: its tests get one "need" per base at the end. */
struct lower {
	struct nlf_parser *p;
	int32_t tests[MAX_TESTS];
	int ntests;
};

static int32_t
test(struct lower *lw, int base, uint16_t off, uint32_t mask, uint32_t val, int op)
{
	struct nlf_tree *t = lw->p->tree;
	int32_t n = nlf_node_new(t, NLF_TEST);
	uint32_t need = (uint32_t)off + 4, m = mask;
	struct nlf_node *nd;

	if (n < 0)
		return -1;
	while (need > (uint32_t)off + 1 && !(m & 0xff)) { /* last byte the mask touches */
		m >>= 8;
		need--;
	}
	nd = &t->v[n];
	nd->op = (uint8_t)op;
	nd->base = (uint8_t)base;
	nd->off = off;
	nd->mask = mask;
	/* "=" compares under the mask: the value's bits outside it do not count,
	 * as in Click ("ip tos & 0xf0 == 0x48" is "... == 0x40"); "<" and ">"
	 * compare as written */
	nd->val = op == NLF_EQ ? val & mask : val;
	nd->need = mask ? need : off + 4u;
	if (lw->ntests < MAX_TESTS)
		lw->tests[lw->ntests++] = n;
	return n;
}

/* Test of a field (unshifted mask @m and value @v). */
static int32_t
ftest(struct lower *lw, const struct field *f, uint8_t shift, uint32_t m, uint32_t v, int op)
{
	return test(lw, f->base, f->off, m << shift, v << shift, op);
}

static int32_t
node2(struct lower *lw, int kind, int32_t a, int32_t b)
{
	int32_t n;

	if (a < 0 || b < 0 || (n = nlf_node_new(lw->p->tree, kind)) < 0)
		return -1;
	nlf_node_append(lw->p->tree, n, a);
	nlf_node_append(lw->p->tree, n, b);
	return n;
}

static int32_t
negate(struct lower *lw, int32_t a, int yes)
{
	int32_t n;

	if (a < 0 || !yes)
		return a;
	if ((n = nlf_node_new(lw->p->tree, NLF_NOT)) < 0)
		return -1;
	lw->p->tree->v[n].kid[0] = a;
	return n;
}

/* src, dst, "src or dst" (the default) or "src and dst" of two tests. */
static int32_t
srcdst(struct lower *lw, int sd, int32_t (*one)(struct lower *, const struct nlf_prim *, int),
       const struct nlf_prim *pr)
{
	switch (sd) {
	case SD_SRC:
		return one(lw, pr, 0);
	case SD_DST:
		return one(lw, pr, 1);
	case SD_AND:
		return node2(lw, NLF_AND, one(lw, pr, 0), one(lw, pr, 1));
	default:
		return node2(lw, NLF_OR, one(lw, pr, 0), one(lw, pr, 1));
	}
}

static int
rel_op(int rel, int *neg)
{
	static const int ops[] = { [R_EQ] = NLF_EQ, [R_NE] = NLF_EQ, [R_LT] = NLF_LT,
				   [R_GT] = NLF_GT, [R_LE] = NLF_GT, [R_GE] = NLF_LT };

	*neg = rel == R_NE || rel == R_LE || rel == R_GE;
	return ops[rel];
}

static int32_t
host_one(struct lower *lw, const struct nlf_prim *pr, int dst)
{
	uint32_t m = pr->has_mask ? pr->mask : pr->dmask;

	return test(lw, NLF_IP4, dst ? 16 : 12, m, pr->val, NLF_EQ);
}

/* An IPv6 address or prefix: one test per word the prefix reaches. */
static int32_t
host6_one(struct lower *lw, const struct nlf_prim *pr, int dst)
{
	const uint8_t *a = pr->a6;
	uint16_t off = dst ? 24 : 8;
	int32_t acc = -1;
	int w;

	for (w = 3; w >= 0; w--) {
		uint32_t bits = pr->a6_len > 32u * (uint32_t)w ? pr->a6_len - 32u * (uint32_t)w : 0;
		uint32_t m = bits >= 32 ? 0xffffffffu : bits ? ~0u << (32 - bits) : 0;
		uint32_t v = (uint32_t)a[4 * w] << 24 | (uint32_t)a[4 * w + 1] << 16 |
			     (uint32_t)a[4 * w + 2] << 8 | a[4 * w + 3];
		int32_t tst;

		if (!m && (w > 0 || acc >= 0))
			continue; /* beyond the prefix (a /0 keeps one test: "is IPv6") */
		tst = test(lw, NLF_IP6, (uint16_t)(off + 4 * w), m, v, NLF_EQ);
		acc = acc < 0 ? tst : node2(lw, NLF_AND, tst, acc);
		if (acc < 0)
			return -1;
	}
	return acc;
}

/* The Ethernet words at @o1 and @o2 under their masks; one when a mask is 0. */
static int32_t
ether_words(struct lower *lw, uint16_t o1, uint32_t m1, uint32_t v1, uint16_t o2, uint32_t m2,
	    uint32_t v2)
{
	if (!m1)
		return test(lw, NLF_L2, o2, m2, v2, NLF_EQ);
	if (!m2)
		return test(lw, NLF_L2, o1, m1, v1, NLF_EQ);
	return node2(lw, NLF_AND, test(lw, NLF_L2, o1, m1, v1, NLF_EQ),
		     test(lw, NLF_L2, o2, m2, v2, NLF_EQ));
}

static int32_t
ether_one(struct lower *lw, const struct nlf_prim *pr, int dst)
{
	static const uint8_t all[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t *e = pr->mac, *k = pr->mask_ether ? pr->emask : all;
	uint32_t m[2];

	/* the words hold the address at bytes 0-5 (destination) or 6-11 (source);
	 * a word the mask leaves out entirely is not tested */
	m[0] = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
	m[1] = (uint32_t)k[4] << 8 | k[5];
	if (dst)
		return ether_words(lw, 0, m[0], (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 |
				   (uint32_t)e[2] << 8 | e[3],
				   4, m[1] << 16, (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16);
	m[0] = (uint32_t)k[0] << 8 | k[1];
	m[1] = (uint32_t)k[2] << 24 | (uint32_t)k[3] << 16 | (uint32_t)k[4] << 8 | k[5];
	return ether_words(lw, 4, m[0], (uint32_t)e[0] << 8 | e[1],
			   8, m[1], (uint32_t)e[2] << 24 | (uint32_t)e[3] << 16 |
			   (uint32_t)e[4] << 8 | e[5]);
}

static int32_t
port_one(struct lower *lw, const struct nlf_prim *pr, int dst)
{
	int neg, op = rel_op(pr->rel, &neg);

	return ftest(lw, &fields[T_PORT], dst ? 0 : 16, pr->has_mask ? pr->mask : 0xffff,
		     pr->val, op);
}

static int32_t
proto_test(struct lower *lw, int proto)
{
	const struct field *f = &fields[T_PROTO];

	if (proto == NLF_PROTO_TCPUDP)
		return node2(lw, NLF_OR, ftest(lw, f, f->shift, 0xff, 6, NLF_EQ),
			     ftest(lw, f, f->shift, 0xff, 17, NLF_EQ));
	return ftest(lw, f, f->shift, 0xff, (uint32_t)proto, NLF_EQ);
}

/* Is type @t one a bare number may continue (src port 80 or 81)? */
static int
int_type(int t)
{
	return t == T_PORT || t == T_PROTO || t == T_ICMPTYPE || t == T_OPT || t == T_WIN ||
	       t == T_VERS || t == T_HL || t == T_ID || t == T_TOS || t == T_DSCP ||
	       t == T_TTL || t == T_LEN || t == T_RAW || t == T_ECT;
}

static int
bad_value(struct nlf_parser *p, const struct nlf_prim *pr)
{
	if (pr->data == D_NONE)
		nlf_error(p, pr->type_col ? pr->type_col : pr->col, "value missing in '%s' test",
			  nlf_type_name(pr->type));
	else
		nlf_error(p, pr->data_col, "'%.*s' is not a valid value for '%s'",
			  (int)pr->data_tok->len, pr->data_tok->s, nlf_type_name(pr->type));
	return -1;
}

/* Inherit the type (and for ports direction and protocol) of the previous primitive. */
static int
resolve_type(struct nlf_parser *p, struct nlf_prim *pr)
{
	static const int db_type[NLF_NDB] = {
		[NLF_DB_PROTO] = T_PROTO, [NLF_DB_PORT] = T_PORT,
		[NLF_DB_TCPOPT] = T_OPT, [NLF_DB_ICMP] = T_ICMPTYPE,
	};
	const struct nlf_prev *pv = pr->nqual == 0 && p->prev.valid ? &p->prev : NULL;

	if (pr->header == H_TRANSP && pr->type != T_RAW) {
		nlf_error(p, pr->col, "'transp' needs '[POS:LEN]'");
		return -1;
	}
	if (pr->type == T_HOST && (pr->data == D_ETHER || pr->header == H_ETHER))
		pr->type = T_ETHER;
	if (pr->type == T_NONE) {
		switch (pr->data) {
		case D_ADDR:
			pr->type = T_HOST;
			break;
		case D_NET:
			pr->type = T_NET;
			break;
		case D_ADDR6:
			pr->type = pr->a6_len == 128 ? T_HOST : T_NET;
			break;
		case D_ETHER:
			pr->type = T_ETHER;
			break;
		case D_NAME:
			pr->type = db_type[pr->data_db];
			break;
		case D_INT:
			if (!pv || !int_type(pv->type)) {
				nlf_error(p, pr->data_col,
					  "a bare number needs 'port' or a header field before it");
				return -1;
			}
			pr->type = pv->type;
			pr->header = pv->header;
			pr->raw_pos = pv->raw_pos;
			pr->raw_len = pv->raw_len;
			if (pr->proto == NLF_PROTO_NONE && (pv->type == T_PORT || pv->type == T_RAW)) {
				pr->proto = pv->proto;
				pr->proto_col = pr->col;
			}
			break;
		default:
			if (pr->proto == NLF_PROTO_NONE) {
				nlf_error(p, pr->col, "incomplete test");
				return -1;
			}
			pr->type = T_PROTO;
		}
		if (pv && pr->srcdst == SD_NONE &&
		    (pr->type == T_HOST || pr->type == T_NET || pr->type == T_PORT ||
		     pr->type == T_ETHER))
			pr->srcdst = pv->srcdst;
		if (pv && pr->type == T_PORT && pr->proto == NLF_PROTO_NONE) {
			pr->proto = pv->proto;
			pr->proto_col = pr->col;
		}
	}
	if (pr->srcdst != SD_NONE && pr->type != T_HOST && pr->type != T_NET &&
	    pr->type != T_PORT && pr->type != T_ETHER) {
		nlf_error(p, pr->sd_col, "'src' or 'dst' is meaningless with '%s'",
			  nlf_type_name(pr->type));
		return -1;
	}
	if ((pr->header == H_ETHER && pr->type != T_ETHER) ||
	    (pr->header == H_IP && pr->type == T_ETHER)) {
		nlf_error(p, pr->col, pr->header == H_IP ? "a MAC address is no 'ip' value" :
			  "'ether' goes with 'host' and a MAC address only");
		return -1;
	}
	return 0;
}

/* The protocol a type implies, or -1 when the given one does not fit it. */
static int
implied_proto(struct nlf_parser *p, struct nlf_prim *pr)
{
	int want = pr->type == T_PORT ? NLF_PROTO_TCPUDP :
		   pr->type == T_OPT || pr->type == T_WIN ? 6 :
		   pr->type == T_ICMPTYPE ? 1 : NLF_PROTO_NONE;

	if (want == NLF_PROTO_NONE || pr->proto == NLF_PROTO_NONE) {
		if (pr->proto == NLF_PROTO_NONE)
			pr->proto = want;
		return 0;
	}
	if (pr->proto == want || (want == NLF_PROTO_TCPUDP && (pr->proto == 6 || pr->proto == 17)))
		return 0;
	if (pr->proto == NLF_PROTO_TCPUDP)
		nlf_error(p, pr->proto_col, "'%s' does not apply to 'tcpudp'",
			  nlf_type_name(pr->type));
	else
		nlf_error(p, pr->proto_col, "'%s' does not apply to protocol %d",
			  nlf_type_name(pr->type), pr->proto);
	return -1;
}

/* Check value and mask of a field test against the field's width. */
static int
check_range(struct nlf_parser *p, const struct nlf_prim *pr, uint32_t max)
{
	if (pr->has_mask && (pr->mask & ~max)) {
		nlf_error(p, pr->mask_col, "mask 0x%x out of range for '%s' (0-0x%x)", pr->mask,
			  nlf_type_name(pr->type), max);
		return -1;
	}
	if (pr->val > max) {
		nlf_error(p, pr->data_col, "value %u out of range for '%s' (0-%u)", pr->val,
			  nlf_type_name(pr->type), max);
		return -1;
	}
	return 0;
}

static int
no_rel_mask(struct nlf_parser *p, const struct nlf_prim *pr, int rel_eq_ne_ok)
{
	if (pr->has_rel && !(rel_eq_ne_ok && (pr->rel == R_EQ || pr->rel == R_NE))) {
		nlf_error(p, pr->rel_col, "relation not allowed with '%s'", nlf_type_name(pr->type));
		return -1;
	}
	if (pr->has_mask && pr->type != T_HOST && pr->type != T_NET && pr->type != T_ETHER) {
		nlf_error(p, pr->mask_col, "mask not allowed with '%s'", nlf_type_name(pr->type));
		return -1;
	}
	return 0;
}

/* The comparison itself: the part of the primitive inside its protocol check. */
static int32_t
lower_body(struct lower *lw, struct nlf_prim *pr)
{
	struct nlf_parser *p = lw->p;
	int neg, op = rel_op(pr->rel, &neg);
	struct field raw;
	const struct field *f = &fields[pr->type];

	if (pr->mask_ether != (pr->has_mask && pr->type == T_ETHER)) {
		nlf_error(p, pr->mask_col, pr->mask_ether ?
			  "a MAC address mask goes with 'ether host' only" :
			  "'ether host' takes a MAC address mask");
		return -1;
	}

	switch (pr->type) {
	case T_HOST:
	case T_NET:
		if (pr->data == D_ADDR6) {
			if (pr->has_mask) {
				nlf_error(p, pr->mask_col, "mask not allowed with an IPv6 address");
				return -1;
			}
			if (no_rel_mask(p, pr, 1) < 0)
				return -1;
			return negate(lw, srcdst(lw, pr->srcdst, host6_one, pr), neg);
		}
		if (pr->data != D_ADDR && pr->data != D_NET)
			return bad_value(p, pr);
		if (no_rel_mask(p, pr, 1) < 0)
			return -1;
		return negate(lw, srcdst(lw, pr->srcdst, host_one, pr), neg);
	case T_ETHER:
		if (pr->data != D_ETHER)
			return bad_value(p, pr);
		if (no_rel_mask(p, pr, 1) < 0)
			return -1;
		return negate(lw, srcdst(lw, pr->srcdst, ether_one, pr), neg);
	case T_PORT:
		if (pr->data != D_INT && !(pr->data == D_NAME && pr->data_db == NLF_DB_PORT))
			return bad_value(p, pr);
		if (check_range(p, pr, 0xffff) < 0)
			return -1;
		return negate(lw, srcdst(lw, pr->srcdst, port_one, pr), neg);
	case T_OPT:
		if (pr->data != D_INT && !(pr->data == D_NAME && pr->data_db == NLF_DB_TCPOPT))
			return bad_value(p, pr);
		if (no_rel_mask(p, pr, 0) < 0)
			return -1;
		if (pr->val < 1 || pr->val > 0xff) {
			nlf_error(p, pr->data_col, "TCP flags %u out of range (1-255)", pr->val);
			return -1;
		}
		return test(lw, NLF_TRANSP, 12, pr->val << 16, pr->val << 16, NLF_EQ);
	case T_PROTO:
		/* a number names one protocol; NLF_PROTO_TCPUDP is only "tcpudp" */
		if (pr->data == D_INT && check_range(p, pr, 0xff) < 0)
			return -1;
		if (pr->data == D_NAME && pr->data_db == NLF_DB_PROTO)
			pr->data = D_INT;
		if (pr->data == D_NONE) {
			pr->val = (uint32_t)pr->proto;
			pr->data = D_INT;
		} else if (pr->data != D_INT) {
			return bad_value(p, pr);
		} else if (pr->proto != NLF_PROTO_NONE && (uint32_t)pr->proto != pr->val) {
			nlf_error(p, pr->data_col, "transport protocol specified twice");
			return -1;
		}
		pr->proto = NLF_PROTO_NONE; /* the body is the protocol test */
		if (pr->val == NLF_PROTO_TCPUDP) {
			if (no_rel_mask(p, pr, 1) < 0)
				return -1;
			return negate(lw, proto_test(lw, NLF_PROTO_TCPUDP), neg);
		}
		break;
	case T_FRAG:
	case T_UNFRAG:
	case T_CE:
		if (pr->data != D_NONE) {
			nlf_error(p, pr->data_col, "'%s' takes no value", nlf_type_name(pr->type));
			return -1;
		}
		if (no_rel_mask(p, pr, 0) < 0)
			return -1;
		if (pr->type == T_CE)
			return test(lw, NLF_IP4, 0, 0x30000, 0x30000, NLF_EQ);
		if (pr->type == T_UNFRAG)
			pr->negate ^= 1; /* "not ip frag" */
		return negate(lw, test(lw, NLF_IP4, 4, 0x3fff, 0, NLF_EQ), 1);
	case T_ECT:
		if (pr->data == D_NONE) {
			if (no_rel_mask(p, pr, 0) < 0)
				return -1;
			return negate(lw, test(lw, NLF_IP4, 0, 0x30000, 0, NLF_EQ), 1);
		}
		break;
	case T_RAW:
		raw.base = pr->header == H_IP || (pr->header == H_NONE &&
						 pr->proto == NLF_PROTO_NONE) ? NLF_L3 : NLF_TRANSP;
		raw.off = pr->raw_pos & ~3u;
		raw.shift = (uint8_t)(8 * (4 - (pr->raw_pos & 3) - pr->raw_len));
		raw.max = pr->raw_len == 4 ? 0xffffffffu : (1u << (8 * pr->raw_len)) - 1;
		f = &raw;
		break;
	}
	if (pr->data == D_NAME && pr->type == T_ICMPTYPE && pr->data_db == NLF_DB_ICMP)
		pr->data = D_INT;
	if (pr->data != D_INT)
		return bad_value(p, pr);
	if (check_range(p, pr, f->max) < 0)
		return -1;
	return negate(lw, ftest(lw, f, f->shift, pr->has_mask ? pr->mask : f->max, pr->val, op),
		      neg);
}

/*
 * Resolve @pr (inheritance from p->prev, implied protocol, value checks) and
 * lower it to a PRIM node of word tests; returns the node, or -1 on error.
 */
int32_t
nlf_lower_prim(struct nlf_parser *p, struct nlf_prim *pr)
{
	struct lower lw = { .p = p };
	uint32_t need[NLF_NBASES] = { 0 };
	int32_t body, prim;
	int i, proto_eq;

	if (resolve_type(p, pr) < 0 || implied_proto(p, pr) < 0)
		return -1;
	body = lower_body(&lw, pr);
	if (body < 0)
		return -1;
	proto_eq = pr->type == T_PROTO && pr->rel == R_EQ && !pr->has_mask && pr->val < 256;
	if (pr->proto != NLF_PROTO_NONE)
		body = node2(&lw, NLF_AND, proto_test(&lw, pr->proto), body);
	if (body < 0 || (prim = nlf_node_new(p->tree, NLF_PRIM)) < 0)
		return -1;
	p->tree->v[prim].kid[0] = body;
	/* one "need" per header: a primitive is false unless all its fields are there */
	for (i = 0; i < lw.ntests; i++) {
		const struct nlf_node *nd = &p->tree->v[lw.tests[i]];

		if (nd->need > need[nd->base])
			need[nd->base] = nd->need;
	}
	for (i = 0; i < lw.ntests; i++) {
		struct nlf_node *nd = &p->tree->v[lw.tests[i]];

		nd->need = need[nd->base];
	}
	p->prev.valid = 1;
	p->prev.type = pr->type;
	p->prev.srcdst = pr->srcdst;
	p->prev.proto = proto_eq ? (int)pr->val : pr->proto;
	p->prev.header = pr->header;
	p->prev.raw_pos = pr->raw_pos;
	p->prev.raw_len = pr->raw_len;
	return negate(&lw, prim, pr->negate);
}
