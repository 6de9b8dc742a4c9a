/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iprewriter.h — IPRewriter's private state (iprewriter.c: configuration,
 * packet path, handlers; iprewriter_table.c: the mapping table and the
 * pattern's port choice). Not installed.
 *
 * The table is allocated once, when the router starts: MAPPING_CAPACITY
 * flows, each with two entries (forward, reply) chained in a hash table of
 * int32_t indices (entry = 2 * flow + direction, -1 ends a chain).
 */
#ifndef CK_IPREWRITER_H
#define CK_IPREWRITER_H

#include "ck_elem.h"

#define RW_MAX_INPUTS 64

enum rw_kind { RW_DROP, RW_PASS, RW_KEEP, RW_PATTERN };

/* TCP state bits; the DONE/DATA bit of direction d is bit << d. */
#define RW_DONE 0x01 /* and 0x02 */
#define RW_DATA 0x04 /* and 0x08: payload seen */
#define RW_SEEN 0x10 /* and 0x20: UDP packet seen */

struct rw_key {
	uint32_t saddr, daddr; /* network order */
	uint16_t sport, dport; /* network order */
	uint8_t proto;
	uint8_t pad[3];        /* zero: keys compare with memcmp */
};

/* One mapping: k[0] the forward flow, k[1] the reply flow, both as they
 * arrive; a packet of k[d] becomes the reverse of k[!d]. */
struct rw_flow {
	struct rw_key k[2];
	int32_t hnext[2];      /* hash chains (entry 2 * flow + d); hnext[0] links the free list */
	uint64_t expiry, guarantee; /* ns, router clock */
	uint32_t npkts;
	uint16_t out[2];
	uint8_t input, state;
	bool used;
};

struct rw_pattern {
	uint32_t saddr, daddr;   /* network order; 0 = unchanged */
	uint16_t sport, dport;   /* host order; 0 = unchanged */
	uint32_t variation;      /* ports sport..sport+variation */
	uint32_t next;           /* the next variation tried in sequence */
	bool sequential, same_first;
};

struct rw_input {
	uint8_t kind;            /* enum rw_kind */
	uint16_t fout, rout;
	struct rw_pattern pat;
};

struct rw {
	struct rw_input in[RW_MAX_INPUTS];
	uint32_t nin;
	double tcp_to, tcp_done_to, tcp_nodata_to, tcp_guar;
	double udp_to, udp_stream_to, udp_guar, reap_iv;
	uint64_t ns_tcp, ns_tcp_done, ns_tcp_nodata, ns_tcp_guar;
	uint64_t ns_udp, ns_udp_stream, ns_udp_guar, ns_reap;
	int64_t capacity;
	bool dst_anno;
	struct rw_flow *flows;
	int32_t *bucket;
	uint32_t mask;           /* buckets - 1 */
	int32_t free;
	uint64_t nmappings, failures;
	uint64_t rng;
	struct ck_timer reap;
};

/* The flow @k seen from the other end. */
static inline struct rw_key
rw_key_reverse(const struct rw_key *k)
{
	struct rw_key r = { k->daddr, k->saddr, k->dport, k->sport, k->proto, { 0 } };

	return r;
}

/* The entry (2 * flow + direction) holding @k. Returns it, or -1 when there
 * is none or it has expired (an expired mapping is freed on the way). */
int32_t rw_table_lookup(struct rw *x, const struct rw_key *k, uint64_t now);
/* A free flow, zeroed and marked used. Returns NULL when the table is full of
 * guaranteed mappings. */
struct rw_flow *rw_flow_alloc(struct rw *x, uint64_t now);
/* Put both entries of @f into the table; it cannot fail. */
void rw_flow_link(struct rw *x, struct rw_flow *f);
/* Unlink @f and free it; it cannot fail. */
void rw_flow_free(struct rw *x, struct rw_flow *f);
/* Rewrite @k by @pt into @out. Returns 0, or -1 when no port of the range is free. */
int rw_pattern_apply(struct rw *x, struct rw_pattern *pt, const struct rw_key *k,
		     struct rw_key *out, uint64_t now);

#endif /* CK_IPREWRITER_H */
