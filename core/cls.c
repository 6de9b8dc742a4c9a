/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cls.c — key extraction, flow hash and rule matching on rte_acl.
 *
 * Each configuration rule becomes one rte_acl rule: priority falls with the
 * file position (first rule highest), userdata is the rule index + 1
 * (rte_acl reserves 0 for "no match"), one category. A rule that constrains
 * any IPv4 field also requires key.ipv4 == 1, so that the zero key of a
 * non-IPv4 frame only matches rules about in_port.
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

#define CLS_ETH_LEN 14
#define CLS_VLAN_LEN 4
#define CLS_ETH_P_IPV4 0x0800
#define CLS_ETH_P_8021Q 0x8100
#define CLS_IPV4_MIN_LEN 20
#define CLS_PROTO_TCP 6
#define CLS_PROTO_UDP 17
#define CLS_TCP_MIN_LEN 20
#define CLS_UDP_LEN 8
#define CLS_HASH_SEED 0x4e564d48u
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

struct cls {
	struct rte_acl_ctx *acl; /* NULL when there are no rules */
	uint32_t nb_rules;
	uint16_t default_target;
	uint16_t rule_target[];  /* per rule: chain index or CFG_TARGET_DROP */
};

static inline uint16_t
cls_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
cls_key_extract(const uint8_t *frame, uint32_t len, uint16_t in_port, struct cls_key *key)
{
	uint32_t off = CLS_ETH_LEN, ihl, tot, l4min;
	const uint8_t *ip;
	uint16_t type;

	memset(key, 0, sizeof(*key));
	key->in_port = (uint8_t)in_port;
	if (len < CLS_ETH_LEN)
		return -EINVAL;
	type = cls_rd16(frame + 12);
	if (type == CLS_ETH_P_8021Q) {
		if (len < CLS_ETH_LEN + CLS_VLAN_LEN)
			return -EINVAL;
		type = cls_rd16(frame + 16);
		off += CLS_VLAN_LEN;
	}
	if (type != CLS_ETH_P_IPV4)
		return 0;
	if (len - off < CLS_IPV4_MIN_LEN)
		return -EINVAL;
	ip = frame + off;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	tot = cls_rd16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < CLS_IPV4_MIN_LEN || tot < ihl || tot > len - off)
		return -EINVAL;
	/* Only the first fragment (offset 0) carries the L4 header. */
	if ((cls_rd16(ip + 6) & 0x1fff) == 0) {
		l4min = ip[9] == CLS_PROTO_TCP ? CLS_TCP_MIN_LEN :
			ip[9] == CLS_PROTO_UDP ? CLS_UDP_LEN : 0;
		if (tot - ihl < l4min)
			return -EINVAL;
		if (l4min != 0) {
			memcpy(&key->sport, ip + ihl, 2);
			memcpy(&key->dport, ip + ihl + 2, 2);
		}
	}
	key->proto = ip[9];
	memcpy(&key->src_ip, ip + 12, 4);
	memcpy(&key->dst_ip, ip + 16, 4);
	key->ipv4 = 1;
	return 1;
}

/* Symmetric: the two ends (address, port) are hashed in a fixed order, the
 * lower first, so both directions of a connection hash alike and reach the
 * same instance (a stateful NF sees the whole connection). */
uint32_t
cls_flow_hash(const struct cls_key *key)
{
	uint32_t h, lo_ip = key->src_ip, hi_ip = key->dst_ip;
	uint16_t lo_port = key->sport, hi_port = key->dport;

	if (lo_ip > hi_ip || (lo_ip == hi_ip && lo_port > hi_port)) {
		lo_ip = key->dst_ip;
		hi_ip = key->src_ip;
		lo_port = key->dport;
		hi_port = key->sport;
	}
	h = rte_hash_crc_4byte(lo_ip, CLS_HASH_SEED);
	h = rte_hash_crc_4byte(hi_ip, h);
	h = rte_hash_crc_4byte((uint32_t)lo_port << 16 | hi_port, h);
	return rte_hash_crc_1byte(key->proto, h);
}

/* Translate configuration rule @r (number @i of @n) into an rte_acl rule. */
static void
cls_acl_rule_from_cfg(const struct cfg_rule *r, uint32_t i, uint32_t n, struct cls_acl_rule *a)
{
	bool l3 = r->proto != 0 || r->src_len != 0 || r->dst_len != 0 || r->sport_lo != 0 ||
		  r->sport_hi != 65535 || r->dport_lo != 0 || r->dport_hi != 65535;

	memset(a, 0, sizeof(*a));
	a->data.category_mask = 1;
	a->data.priority = (int32_t)(n - i); /* rule 0 highest; all >= 1 */
	a->data.userdata = i + 1;
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
}

static int
cls_build_acl(struct cls *cls, const struct cfg *c, int socket_id, char *err, size_t errlen)
{
	static uint32_t seq; /* rte_acl names are global: make each one unique */
	struct rte_acl_config bld = { .num_categories = 1, .num_fields = CLS_NB_FIELDS };
	struct rte_acl_param prm;
	struct cls_acl_rule a;
	char name[RTE_ACL_NAMESIZE];
	uint32_t i;
	int rc;

	snprintf(name, sizeof(name), "netvm_cls_%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	prm = (struct rte_acl_param){
		.name = name,
		.socket_id = socket_id,
		.rule_size = RTE_ACL_RULE_SZ(CLS_NB_FIELDS),
		.max_rule_num = c->nb_rules,
	};
	cls->acl = rte_acl_create(&prm);
	if (cls->acl == NULL) {
		snprintf(err, errlen, "classifier: rte_acl_create: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (i = 0; i < c->nb_rules; i++) {
		cls_acl_rule_from_cfg(&c->rules[i], i, c->nb_rules, &a);
		rc = rte_acl_add_rules(cls->acl, (const struct rte_acl_rule *)&a, 1);
		if (rc < 0) {
			snprintf(err, errlen, "classifier: rule at line %u: rte_acl_add_rules: %s",
				 c->rules[i].line, strerror(-rc));
			return rc;
		}
	}
	memcpy(bld.defs, cls_fields, sizeof(cls_fields));
	rc = rte_acl_build(cls->acl, &bld);
	if (rc < 0) {
		snprintf(err, errlen, "classifier: rte_acl_build (%u rules): %s", c->nb_rules,
			 strerror(-rc));
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
	if (c->nb_rules > 0 && cls_build_acl(cls, c, socket_id, err, errlen) < 0) {
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
	rte_free(cls);
}

void
cls_match(const struct cls *cls, const struct cls_key *const keys[], uint16_t n, uint32_t *rules)
{
	uint16_t i, done, k;

	if (cls->acl == NULL) {
		for (i = 0; i < n; i++)
			rules[i] = CLS_NO_RULE;
		return;
	}
	for (done = 0; done < n; done += k) {
		k = (uint16_t)RTE_MIN(n - done, CLS_BURST);
		/* rte_acl writes userdata (rule index + 1), or 0 for no match. */
		rte_acl_classify(cls->acl, (const uint8_t **)(uintptr_t)(keys + done),
				 rules + done, k, 1);
		for (i = done; i < done + k; i++)
			rules[i] -= 1;
	}
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
