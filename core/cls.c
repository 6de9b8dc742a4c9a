/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cls.c — key extraction, flow hash and rule matching on rte_acl.
 *
 * Each configuration rule becomes one rte_acl rule: priority falls with the
 * file position (first rule highest), userdata is the rule index + 1
 * (rte_acl reserves 0 for "no match"), one category. A rule that constrains
 * any IPv4 field also requires key.ipv4 == 1, so that the zero key of a
 * non-IPv4 frame only matches rules about in_port.
 *
 * IPv6 keys go through a second context (fields: proto, the addresses as
 * four 32-bit MASK fields each, the ports, in_port) holding the rules that
 * are not IPv4-only, with the same priorities and userdata: a packet is of
 * one family, so first match in file order holds across the two.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "cls.h"
#include "nl_hdr.h"

#define CLS_BURST 64 /* keys per rte_acl_classify call */

/* rte_acl fields, in input order. */
enum {
	CLS_F_PROTO,
	CLS_F_SRC,
	CLS_F_DST,
	CLS_F_SPORT,
	CLS_F_DPORT,
	CLS_F_IN_PORT,
	CLS_F_IPV4,
	CLS_F_PAD,
	CLS_NB_FIELDS
};

RTE_ACL_RULE_DEF(cls_acl_rule, CLS_NB_FIELDS);

#define CLS_FIELD(t, f, idx, in) {                              \
	.type = RTE_ACL_FIELD_TYPE_##t,                         \
	.size = sizeof(((struct cls_key *)0)->f),               \
	.field_index = idx,                                     \
	.input_index = in,                                      \
	.offset = offsetof(struct cls_key, f),                  \
}

static const struct rte_acl_field_def cls_fields[CLS_NB_FIELDS] = {
	CLS_FIELD(BITMASK, proto, CLS_F_PROTO, 0),
	CLS_FIELD(MASK, src_ip, CLS_F_SRC, 1),
	CLS_FIELD(MASK, dst_ip, CLS_F_DST, 2),
	CLS_FIELD(RANGE, sport, CLS_F_SPORT, 3),
	CLS_FIELD(RANGE, dport, CLS_F_DPORT, 3),
	CLS_FIELD(BITMASK, in_port, CLS_F_IN_PORT, 4),
	CLS_FIELD(BITMASK, ipv4, CLS_F_IPV4, 4),
	CLS_FIELD(BITMASK, pad1, CLS_F_PAD, 4),
};

/* The IPv6 context's fields, in input order. */
enum {
	CLS6_F_PROTO,
	CLS6_F_SRC, /* 4 fields: the address's 32-bit words */
	CLS6_F_DST = CLS6_F_SRC + 4,
	CLS6_F_SPORT = CLS6_F_DST + 4,
	CLS6_F_DPORT,
	CLS6_F_IN_PORT,
	CLS6_F_PAD1,
	CLS6_F_PAD2,
	CLS6_NB_FIELDS
};

RTE_ACL_RULE_DEF(cls_acl_rule6, CLS6_NB_FIELDS);

#define CLS6_FIELD(t, size_, idx, in, off) {                    \
	.type = RTE_ACL_FIELD_TYPE_##t,                         \
	.size = size_,                                          \
	.field_index = idx,                                     \
	.input_index = in,                                      \
	.offset = off,                                          \
}
#define CLS6_ADDR_WORD(f, w, idx) \
	CLS6_FIELD(MASK, 4, idx + w, idx + w, offsetof(struct cls_key6, f) + 4 * w)

static const struct rte_acl_field_def cls6_fields[CLS6_NB_FIELDS] = {
	CLS6_FIELD(BITMASK, 1, CLS6_F_PROTO, 0, offsetof(struct cls_key6, proto)),
	CLS6_ADDR_WORD(src, 0, CLS6_F_SRC), CLS6_ADDR_WORD(src, 1, CLS6_F_SRC),
	CLS6_ADDR_WORD(src, 2, CLS6_F_SRC), CLS6_ADDR_WORD(src, 3, CLS6_F_SRC),
	CLS6_ADDR_WORD(dst, 0, CLS6_F_DST), CLS6_ADDR_WORD(dst, 1, CLS6_F_DST),
	CLS6_ADDR_WORD(dst, 2, CLS6_F_DST), CLS6_ADDR_WORD(dst, 3, CLS6_F_DST),
	CLS6_FIELD(RANGE, 2, CLS6_F_SPORT, 9, offsetof(struct cls_key6, sport)),
	CLS6_FIELD(RANGE, 2, CLS6_F_DPORT, 9, offsetof(struct cls_key6, dport)),
	CLS6_FIELD(BITMASK, 1, CLS6_F_IN_PORT, 10, offsetof(struct cls_key6, in_port)),
	CLS6_FIELD(BITMASK, 1, CLS6_F_PAD1, 10, offsetof(struct cls_key6, pad1)),
	CLS6_FIELD(BITMASK, 2, CLS6_F_PAD2, 10, offsetof(struct cls_key6, pad2)),
};

/* An rte_acl rule of either context (both begin with struct rte_acl_rule_data). */
union cls_any_rule {
	struct cls_acl_rule v4;
	struct cls_acl_rule6 v6;
};

struct cls {
	struct rte_acl_ctx *acl;  /* IPv4 and other keys; NULL when no rule applies */
	struct rte_acl_ctx *acl6; /* IPv6 keys; NULL when no rule applies */
	uint32_t nb_rules;
	uint16_t default_target;
	uint16_t rule_target[];  /* per rule: chain index or CFG_TARGET_DROP */
};

int
cls_key6_extract(const uint8_t *ip, uint32_t avail, uint16_t in_port, struct cls_key6 *key6)
{
	uint32_t plen, l4min;
	uint8_t proto, frag = 0;
	int off = CLS_IPV6_LEN;

	if (avail < CLS_IPV6_LEN || (ip[0] >> 4) != 6)
		return -EINVAL;
	plen = cls_rd16(ip + 4);
	proto = ip[6];
	if (plen > avail - CLS_IPV6_LEN)
		return -EINVAL;
	/* extension headers first: past them as netlib's nl_parse() goes, so
	 * that rules, flows and NFs see one protocol and one transport header;
	 * 0: a later fragment, whose protocol is its fragment header's */
	if (proto != CLS_PROTO_TCP && proto != CLS_PROTO_UDP) {
		off = nl_ipv6_walk_ext(ip, CLS_IPV6_LEN + plen, &proto, &frag);
		if (off < 0)
			return -EINVAL;
	}
	l4min = off == 0 ? 0 : proto == CLS_PROTO_TCP ? CLS_TCP_MIN_LEN :
		proto == CLS_PROTO_UDP ? CLS_UDP_LEN : 0;
	if (CLS_IPV6_LEN + plen - (uint32_t)off < l4min)
		return -EINVAL;
	memset(key6, 0, sizeof(*key6));
	key6->proto = proto;
	key6->in_port = (uint8_t)in_port;
	memcpy(key6->src, ip + 8, 16);
	memcpy(key6->dst, ip + 24, 16);
	if (l4min != 0) {
		memcpy(&key6->sport, ip + off, 2);
		memcpy(&key6->dport, ip + off + 2, 2);
	}
	return frag ? CLS_IPV6_FRAG : CLS_IPV6;
}

/* The CRC of the 16 bytes at @p: the key's addresses are only 4-byte
 * aligned, so they are loaded with memcpy, not as uint64_t. */
static inline uint32_t
cls_crc16(const uint8_t *p, uint32_t h)
{
	uint64_t w[2];

	memcpy(w, p, sizeof(w));
	h = rte_hash_crc_8byte(w[0], h);
	return rte_hash_crc_8byte(w[1], h);
}

/* As cls_flow_hash(): the lower (address, port) end first. */
uint32_t
cls_flow_hash6(const struct cls_key6 *key)
{
	const uint8_t *lo_ip = key->src, *hi_ip = key->dst;
	uint16_t lo_port = key->sport, hi_port = key->dport;
	int cmp = memcmp(lo_ip, hi_ip, sizeof(key->src));
	uint32_t h;

	if (cmp > 0 || (cmp == 0 && lo_port > hi_port)) {
		lo_ip = key->dst;
		hi_ip = key->src;
		lo_port = key->dport;
		hi_port = key->sport;
	}
	h = cls_crc16(lo_ip, CLS_HASH_SEED);
	h = cls_crc16(hi_ip, h);
	h = rte_hash_crc_4byte((uint32_t)lo_port << 16 | hi_port, h);
	return rte_hash_crc_1byte(key->proto, h);
}

/* Translate configuration rule @r into the fields of an rte_acl rule of
 * the IPv4 context; false when the rule is IPv6-only. */
static bool
cls_acl_fields4(const struct cfg_rule *r, union cls_any_rule *any)
{
	struct cls_acl_rule *a = &any->v4;
	bool l3 = r->proto != 0 || r->src_len != 0 || r->dst_len != 0 || r->sport_lo != 0 ||
		  r->sport_hi != 65535 || r->dport_lo != 0 || r->dport_hi != 65535;

	if (r->family == 6)
		return false;
	a->field[CLS_F_PROTO].value.u8 = r->proto;
	a->field[CLS_F_PROTO].mask_range.u8 = r->proto != 0 ? 0xff : 0;
	a->field[CLS_F_SRC].value.u32 = r->src_len != 0 ? r->src_ip : 0;
	a->field[CLS_F_SRC].mask_range.u32 = r->src_len;
	a->field[CLS_F_DST].value.u32 = r->dst_len != 0 ? r->dst_ip : 0;
	a->field[CLS_F_DST].mask_range.u32 = r->dst_len;
	a->field[CLS_F_SPORT].value.u16 = r->sport_lo;
	a->field[CLS_F_SPORT].mask_range.u16 = r->sport_hi;
	a->field[CLS_F_DPORT].value.u16 = r->dport_lo;
	a->field[CLS_F_DPORT].mask_range.u16 = r->dport_hi;
	if (r->in_port != CFG_ANY_PORT) {
		a->field[CLS_F_IN_PORT].value.u8 = (uint8_t)r->in_port;
		a->field[CLS_F_IN_PORT].mask_range.u8 = 0xff;
	}
	if (l3) {
		a->field[CLS_F_IPV4].value.u8 = 1;
		a->field[CLS_F_IPV4].mask_range.u8 = 0xff;
	}
	return true;
}

/* Words of @len-bit IPv6 prefix @addr as MASK fields (host order values). */
static void
cls_acl_addr6(const uint8_t *addr, uint8_t len, struct rte_acl_field *w)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		int bits = RTE_MIN(RTE_MAX((int)len - 32 * (int)i, 0), 32);

		w[i].value.u32 = bits != 0 ? rte_be_to_cpu_32(*(const rte_be32_t *)(addr + 4 * i))
					   : 0;
		w[i].mask_range.u32 = (uint32_t)bits;
	}
}

/* As cls_acl_fields4(), for the IPv6 context; false when the rule is IPv4-only. */
static bool
cls_acl_fields6(const struct cfg_rule *r, union cls_any_rule *any)
{
	struct cls_acl_rule6 *a = &any->v6;

	if (r->family == 4)
		return false;
	a->field[CLS6_F_PROTO].value.u8 = r->proto;
	a->field[CLS6_F_PROTO].mask_range.u8 = r->proto != 0 ? 0xff : 0;
	if (r->family == 6) {
		cls_acl_addr6(r->src_ip6, r->src_len, &a->field[CLS6_F_SRC]);
		cls_acl_addr6(r->dst_ip6, r->dst_len, &a->field[CLS6_F_DST]);
	}
	a->field[CLS6_F_SPORT].value.u16 = r->sport_lo;
	a->field[CLS6_F_SPORT].mask_range.u16 = r->sport_hi;
	a->field[CLS6_F_DPORT].value.u16 = r->dport_lo;
	a->field[CLS6_F_DPORT].mask_range.u16 = r->dport_hi;
	if (r->in_port != CFG_ANY_PORT) {
		a->field[CLS6_F_IN_PORT].value.u8 = (uint8_t)r->in_port;
		a->field[CLS6_F_IN_PORT].mask_range.u8 = 0xff;
	}
	return true;
}

/* One rte_acl context: its field definitions and which rules it holds. */
struct cls_acl_kind {
	const char *family;
	const struct rte_acl_field_def *defs;
	uint32_t nb_fields;
	/* fill the fields of configuration rule r; false: not in this context */
	bool (*fields)(const struct cfg_rule *r, union cls_any_rule *a);
};

static const struct cls_acl_kind cls_acl4 = {
	"IPv4", cls_fields, CLS_NB_FIELDS, cls_acl_fields4,
};
static const struct cls_acl_kind cls_acl6 = {
	"IPv6", cls6_fields, CLS6_NB_FIELDS, cls_acl_fields6,
};

/* Build in @ctx the context of @kind for the rules of @c that belong in it
 * (@ctx stays NULL when none does). 0, or a negative errno with @err. */
static int
cls_build_acl(struct rte_acl_ctx **ctx, const struct cls_acl_kind *kind, const struct cfg *c,
	      int socket_id, char *err, size_t errlen)
{
	static uint32_t seq; /* rte_acl names are global: make each one unique */
	struct rte_acl_config bld = { .num_categories = 1, .num_fields = kind->nb_fields };
	struct rte_acl_param prm;
	union cls_any_rule a;
	char name[RTE_ACL_NAMESIZE];
	uint32_t i, nb = 0;
	int rc;

	snprintf(name, sizeof(name), "netvm_cls_%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	prm = (struct rte_acl_param){
		.name = name,
		.socket_id = socket_id,
		.rule_size = RTE_ACL_RULE_SZ(kind->nb_fields),
		.max_rule_num = c->nb_rules,
	};
	for (i = 0; i < c->nb_rules; i++) {
		memset(&a, 0, sizeof(a));
		if (!kind->fields(&c->rules[i], &a))
			continue;
		if (*ctx == NULL) {
			*ctx = rte_acl_create(&prm);
			if (*ctx == NULL) {
				snprintf(err, errlen, "classifier: %s rte_acl_create: %s",
					 kind->family, rte_strerror(rte_errno));
				return -rte_errno;
			}
		}
		a.v4.data.category_mask = 1;
		a.v4.data.priority = (int32_t)(c->nb_rules - i); /* rule 0 highest; all >= 1 */
		a.v4.data.userdata = i + 1;
		rc = rte_acl_add_rules(*ctx, (const struct rte_acl_rule *)&a, 1);
		if (rc < 0) {
			snprintf(err, errlen, "classifier: rule at line %u: %s rte_acl_add_rules: %s",
				 c->rules[i].line, kind->family, strerror(-rc));
			return rc;
		}
		nb++;
	}
	if (nb == 0)
		return 0;
	memcpy(bld.defs, kind->defs, kind->nb_fields * sizeof(kind->defs[0]));
	rc = rte_acl_build(*ctx, &bld);
	if (rc < 0) {
		snprintf(err, errlen, "classifier: %s rte_acl_build (%u rules): %s", kind->family,
			 nb, strerror(-rc));
		return rc;
	}
	return 0;
}

struct cls *
cls_create(const struct cfg *c, int socket_id, char *err, size_t errlen)
{
	char dummy[1];
	struct cls *cls;
	uint32_t i;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (c->default_target != CFG_TARGET_DROP && c->default_target >= c->nb_chains) {
		snprintf(err, errlen, "classifier: default target %u is not a chain",
			 c->default_target);
		return NULL;
	}
	for (i = 0; i < c->nb_rules; i++) {
		if (c->rules[i].target != CFG_TARGET_DROP && c->rules[i].target >= c->nb_chains) {
			snprintf(err, errlen, "classifier: rule at line %u: target %u is not a chain",
				 c->rules[i].line, c->rules[i].target);
			return NULL;
		}
	}
	cls = rte_zmalloc_socket("netvm_cls", sizeof(*cls) + c->nb_rules * sizeof(uint16_t),
				 RTE_CACHE_LINE_SIZE, socket_id);
	if (cls == NULL) {
		snprintf(err, errlen, "classifier: out of memory for %u rules", c->nb_rules);
		return NULL;
	}
	cls->nb_rules = c->nb_rules;
	cls->default_target = c->default_target;
	for (i = 0; i < c->nb_rules; i++)
		cls->rule_target[i] = c->rules[i].target;
	if (c->nb_rules > 0 &&
	    (cls_build_acl(&cls->acl, &cls_acl4, c, socket_id, err, errlen) < 0 ||
	     cls_build_acl(&cls->acl6, &cls_acl6, c, socket_id, err, errlen) < 0)) {
		cls_free(cls);
		return NULL;
	}
	if (err != dummy)
		err[0] = '\0';
	return cls;
}

void
cls_free(struct cls *cls)
{
	if (cls == NULL)
		return;
	rte_acl_free(cls->acl);
	rte_acl_free(cls->acl6);
	rte_free(cls);
}

/* Match @n keys (pointers to their first byte) in context @acl. */
static void
cls_acl_match(const struct rte_acl_ctx *acl, const uint8_t **keys, uint16_t n, uint32_t *rules)
{
	uint16_t i, done, k;

	if (acl == NULL) {
		for (i = 0; i < n; i++)
			rules[i] = CLS_NO_RULE;
		return;
	}
	for (done = 0; done < n; done += k) {
		k = (uint16_t)RTE_MIN(n - done, CLS_BURST);
		/* rte_acl writes userdata (rule index + 1), or 0 for no match. */
		rte_acl_classify(acl, keys + done, rules + done, k, 1);
		for (i = done; i < done + k; i++)
			rules[i] -= 1;
	}
}

void
cls_match(const struct cls *cls, const struct cls_key *const keys[], uint16_t n, uint32_t *rules)
{
	cls_acl_match(cls->acl, (const uint8_t **)(uintptr_t)keys, n, rules);
}

void
cls_match6(const struct cls *cls, const struct cls_key6 *const keys[], uint16_t n,
	   uint32_t *rules)
{
	cls_acl_match(cls->acl6, (const uint8_t **)(uintptr_t)keys, n, rules);
}

void
cls_classify(const struct cls *cls, const struct cls_key *const keys[], uint16_t n,
	     uint16_t *targets)
{
	uint32_t rules[CLS_BURST];
	uint16_t i, done, k;

	for (done = 0; done < n; done += k) {
		k = (uint16_t)RTE_MIN(n - done, CLS_BURST);
		cls_match(cls, keys + done, k, rules);
		for (i = 0; i < k; i++)
			targets[done + i] = rules[i] == CLS_NO_RULE ? cls->default_target :
					    cls->rule_target[rules[i]];
	}
}

uint16_t
cls_rule_target(const struct cls *cls, uint32_t rule)
{
	return rule < cls->nb_rules ? cls->rule_target[rule] : cls->default_target;
}
