/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iprewriter.h — the rewriter family's shared state and engine. One engine,
 * one table: IPRewriter (TCP and UDP), TCPRewriter (TCP, with sequence-number
 * deltas) and ICMPPingRewriter (echo identifiers) are the same code in three
 * modes (iprewriter.c: configuration, packet path, handlers;
 * iprewriter_table.c: the mapping table and the pattern's port choice).
 * IPRewriterPatterns, ICMPRewriter and FTPPortMapper use the functions below
 * on the rewriters they name. Not installed.
 *
 * The table is allocated once, when the router starts: MAPPING_CAPACITY
 * flows, each with two entries (forward, reply) chained in a hash table of
 * int32_t indices (entry = 2 * flow + direction, -1 ends a chain). A
 * rewriter whose MAPPING_CAPACITY names another keeps its own table but
 * counts its mappings against the other's capacity (group->used).
 */
#ifndef CK_IPREWRITER_H
#define CK_IPREWRITER_H

#include "ck_elem.h"

#define RW_MAX_INPUTS 64

enum rw_kind { RW_DROP, RW_PASS, RW_KEEP, RW_PATTERN, RW_MAPPER };

/* TCP state bits; the DONE/DATA bit of direction d is bit << d. */
#define RW_DONE 0x01 /* and 0x02 */
#define RW_DATA 0x04 /* and 0x08: payload seen */
#define RW_SEEN 0x10 /* and 0x20: UDP packet seen */

/* What a rewriter element maps. */
enum rw_mode {
	RW_MODE_IP,       /* IPRewriter: TCP and UDP */
	RW_MODE_TCP,      /* TCPRewriter: TCP, sequence-number deltas */
	RW_MODE_PING,     /* ICMPPingRewriter: echo request/reply identifiers */
	RW_MODE_UDP,      /* UDPRewriter: TCP and UDP alike, UDP's timeouts */
};

/* A flow key. TCP/UDP: the ports. ICMP echo: a request is (src, dst, ident,
 * 0), a reply (src, dst, 0, ident), so a request's reverse is its reply. */
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
	/* TCPRewriter: direction d's sequence numbers from trigger[d] on (the
	 * first byte after the edited packet's original payload) move by
	 * ndelta[d], those before it by odelta[d]; the other way's acks back
	 * (from trigger[d] + ndelta[d] on) */
	uint32_t trigger[2];
	int32_t odelta[2], ndelta[2];
	uint16_t out[2];
	uint8_t input, state;
	uint8_t reply_anno;    /* REPLY_ANNO PAINT: the first packet's paint */
	bool used;
};

struct rw_pattern {
	uint32_t saddr, daddr;   /* network order; 0 = unchanged */
	uint16_t sport, dport;   /* host order; 0 = unchanged */
	uint32_t variation;      /* ports sport..sport+variation */
	uint32_t next;           /* the next variation tried in sequence */
	bool sequential, same_first;
	bool napt;               /* ports given (3 or 4 words), as Click's "NAPT" */
};

struct rw_input {
	uint8_t kind;            /* enum rw_kind */
	uint16_t fout, rout;
	struct rw_pattern pat;
	struct ck_element *mapper; /* RW_MAPPER: RoundRobinIPMapper, picks pattern and outputs */
	uint64_t count;          /* mappings this input holds (Click's count) */
	uint64_t failures;       /* mappings this input failed to make */
};

struct rw {
	uint8_t mode;            /* enum rw_mode */
	struct rw_input in[RW_MAX_INPUTS];
	uint32_t nin;
	double tcp_to, tcp_done_to, tcp_nodata_to, tcp_guar;
	double udp_to, udp_stream_to, udp_guar, reap_iv;
	uint64_t ns_tcp, ns_tcp_done, ns_tcp_nodata, ns_tcp_guar;
	uint64_t ns_udp, ns_udp_stream, ns_udp_guar, ns_reap;
	int64_t capacity;
	char *cap_name;          /* MAPPING_CAPACITY NAME: the rewriter whose capacity we share */
	struct rw *group;        /* whose `used` counts against capacity: itself, or that one */
	uint64_t used;           /* mappings of every rewriter sharing this one's capacity */
	bool dst_anno;
	bool reply_paint;      /* REPLY_ANNO PAINT */
	struct rw_flow *flows;
	uint32_t nalloc;         /* flows allocated (grows when a larger capacity is written) */
	int32_t *bucket;
	uint32_t mask;           /* buckets - 1 */
	int32_t free;
	uint64_t nmappings, failures; /* nmappings: the mappings held now */
	uint64_t created;        /* the inputs' counts summed (Click's nmappings) */
	struct ck_handler pattern_h; /* what lookup_handler hands out for patternN */
	bool writing;            /* a patternN write is parsing: errors go to errf */
	FILE *errf;
	char pattern_name[24];
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
/* A free flow, zeroed and marked used, for a new flow that expires at
 * @expiry and is guaranteed or not (@guar). Returns NULL when the table is
 * full and the new flow is the one to refuse: every mapping is guaranteed, or
 * the new flow is unguaranteed and expires before any unguaranteed one. */
struct rw_flow *rw_flow_alloc(struct rw *x, uint64_t now, uint64_t expiry, bool guar);
/* Free @x's expired flows, then evict its flows (unguaranteed ones first, each
 * time the one expiring first) while its group holds more than @limit
 * mappings, as Click's shrink_heap; it cannot fail. */
void rw_flow_shrink(struct rw *x, uint64_t now, uint64_t limit);
/* Put both entries of @f into the table; it cannot fail. */
void rw_flow_link(struct rw *x, struct rw_flow *f);
/* Unlink @f and free it; it cannot fail. */
void rw_flow_free(struct rw *x, struct rw_flow *f);
/* Rewrite @k by @pt into @out. Returns 0, or -1 when no port of the range is free. */
int rw_pattern_apply(struct rw *x, struct rw_pattern *pt, const struct rw_key *k,
		     struct rw_key *out, uint64_t now);

/* ---- the engine, for the family's elements (iprewriter.c) ---- */

/* The rewriter state of @e when @e is an IPRewriter, TCPRewriter or
 * ICMPPingRewriter; NULL otherwise. */
struct rw *rw_of(struct ck_element *e);
/* Install a mapping for the flow @k as if its first packet had arrived on
 * input @input of rewriter @e (that input's INPUTSPEC decides). Returns the
 * flow, or NULL when the input is no pattern/keep input, no port is free or
 * the table is full (counted in mapping_failures). An existing mapping of @k
 * is returned as it is. */
struct rw_flow *rw_install(struct ck_element *e, unsigned int input, const struct rw_key *k);
/* The flow @k that the mapping of @f turns it into (its direction @d). */
void rw_flow_map(const struct rw_flow *f, unsigned int d, struct rw_key *out);

/* A pattern's @nw words at @w into @pt: "SADDR SPORT DADDR DPORT", "SADDR
 * DADDR SPORT" or "SADDR DADDR", as Click's. Returns 0, or -EINVAL after a
 * message naming INPUTSPEC @i. */
int rw_parse_pattern(struct ck_element *e, char **w, int nw, struct rw_pattern *pt,
		     unsigned int i);
/* The pattern named @name by an IPRewriterPatterns element of @r, or NULL. */
const struct rw_pattern *rw_patterns_find(struct ck_router *r, const char *name);

/* The next pattern (with its outputs) of mapper element @m in turn, or NULL
 * when @m is no RoundRobinIPMapper (roundrobinipmapper.c). */
struct rw_input *rw_mapper_next(struct ck_element *m);
/* The largest output a pattern of mapper @m names, or -1 when @m is no mapper. */
int rw_mapper_max_output(struct ck_element *m);

/* Configuration, initialisation, cleanup and handlers of the three rewriters. */
int rw_configure(struct ck_element *e);
int rw_initialize(struct ck_element *e);
void rw_cleanup(struct ck_element *e);
void rw_push(struct ck_element *e, unsigned int port, struct ck_pkt *p);
extern const struct ck_handler rw_handlers[];
/* The handlers named per input or per class: patternN (one per input),
 * IPRewriter's tcp_lookup, tcp_mappings and udp_mappings, TCPRewriter's lookup. */
const struct ck_handler *rw_lookup_handler(struct ck_element *e, const char *name);
/* The handlers handler's lines for what rw_lookup_handler finds. */
void rw_list_handlers(struct ck_element *e, FILE *f);

/* The class of a rewriter on this engine (the mode comes from the class). */
#define RW_CLASS(n)                                                            \
	const struct ck_element_class ck_class_##n = {                         \
		.name = #n, .ports = "1-/1-", .processing = "h/h",            \
		.priv_size = sizeof(struct rw),                                \
		.configure_phase = 1, /* after IPRewriterPatterns */           \
		.configure = rw_configure, .initialize = rw_initialize,        \
		.push = rw_push, .handlers = rw_handlers, .cleanup = rw_cleanup, \
		.lookup_handler = rw_lookup_handler,                           \
		.list_handlers = rw_list_handlers,                             \
	}

#endif /* CK_IPREWRITER_H */
