/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_conntrack.h — connection tracking for stateful NFs (the firewall).
 *
 * A fixed-size table of connections keyed by IPv4 and IPv6 5-tuples. The
 * key is direction-independent: a packet and its reply find the same entry,
 * and the lookup says which way the packet goes (NL_CT_DIR_ORIG: from the end
 * that opened the connection; NL_CT_DIR_REPLY: towards it).
 *
 * Per packet, an NF does:
 *
 *   nl_parse(data, len, &pp);                      (nl_hdr.h)
 *   nl_ct_pkt_init(data, len, &pp, &cp);
 *   switch (nl_ct_track(ct, &cp, now, &res)) {
 *   case NL_CT_FOUND:     res.valid says whether the packet fits the state
 *   case NL_CT_NEW:       check the rules; if allowed, nl_ct_create()
 *   case NL_CT_INVALID:   drop
 *   case NL_CT_UNTRACKED: stateless rules only
 *   }
 *
 * nl_ct_track() is nl_ct_lookup() followed by nl_ct_update() in one step;
 * the two separate calls are there for callers that look before they act.
 *
 * Memory: nl_ct_new() allocates everything; nothing after it allocates. The
 * table is split into buckets of NL_CT_BUCKET_WAYS entries; a key has two
 * candidate buckets and its connection lives in one of them. A new
 * connection whose two buckets are full first reuses an expired entry, else
 * evicts their unassured entry closest to expiry (counted "evicted"); when
 * both hold nothing but assured connections (TCP from ESTABLISHED until the
 * close is complete, UDP that has seen a reply) the new one is refused
 * (counted "full"), so floods of new connections cannot push established
 * ones out.
 *
 * Time: every call takes @now in milliseconds from any monotonic clock the
 * caller chooses (nl_ct_now_ms() reads CLOCK_MONOTONIC); timeouts are in
 * milliseconds too. Entries expire lazily: an expired entry is treated as
 * absent and its slot is reused; nl_ct_expire() reclaims them in the
 * background so that the counters stay current.
 *
 * Threads: the table is shared by every queue thread (both directions of a
 * connection may arrive on different queues). Each bucket has a spinlock,
 * held for one lookup or update (a create holds the key's two); tables
 * created with NL_CT_F_NO_LOCK skip them and must be used by one thread at
 * a time.
 *
 * Full description (states, timeouts, counters): docs/conntrack.md.
 *
 * Error convention (netlib.h): constructors return a pointer or NULL with
 * errno; other functions 0 or a negative errno, or a status as documented.
 */
#ifndef NL_CONNTRACK_H
#define NL_CONNTRACK_H

#include <stdint.h>

#include "nl_hdr.h"

#define NL_CT_BUCKET_WAYS 8u       /* entries per bucket */
#define NL_CT_BURST_MAX 64u        /* packets per nl_ct_track_burst() */
#define NL_CT_MAX_CAPACITY (1u << 26) /* largest table, in entries */

/*
 * Connection states, with their default timeouts in milliseconds. TCP uses
 * the first nine; UDP and ICMP echo have two each (no reply seen yet, reply
 * seen). X(name, default timeout).
 */
#define NL_CT_STATES(X)                                 \
	X(TCP_SYN_SENT, 120000u)   /* SYN seen */           \
	X(TCP_SYN_SENT2, 120000u)  /* SYNs both ways */     \
	X(TCP_SYN_RECV, 60000u)    /* SYN+ACK seen */       \
	X(TCP_ESTABLISHED, 432000000u) /* 5 days */         \
	X(TCP_FIN_WAIT, 120000u)   /* one FIN, unacked */   \
	X(TCP_CLOSE_WAIT, 60000u)  /* one FIN, acked */     \
	X(TCP_LAST_ACK, 30000u)    /* two FINs, one unacked */ \
	X(TCP_TIME_WAIT, 120000u)  /* two FINs, both acked */ \
	X(TCP_CLOSE, 10000u)       /* RST seen */           \
	X(UDP_UNREPLIED, 30000u)                            \
	X(UDP_REPLIED, 120000u)                             \
	X(ICMP_UNREPLIED, 30000u)  /* echo request */       \
	X(ICMP_REPLIED, 30000u)    /* echo reply seen */

enum nl_ct_state {
#define NL_CT_X(name, to) NL_CT_##name,
	NL_CT_STATES(NL_CT_X)
#undef NL_CT_X
	NL_CT_STATE_MAX
};

/* Direction of a packet relative to the connection it belongs to. */
enum nl_ct_dir {
	NL_CT_DIR_ORIG = 0,  /* from the end that opened the connection */
	NL_CT_DIR_REPLY = 1, /* towards it */
};

/* What the tracker knows about a packet (nl_ct_lookup(), nl_ct_track()). */
enum nl_ct_status {
	NL_CT_UNTRACKED = 0, /* not tracked: not IP, a fragment after the first,
			      * another protocol, ICMP other than echo or errors */
	NL_CT_NEW,     /* no connection; the packet may open one (TCP SYN, UDP,
			* ICMP echo request): check the rules, then nl_ct_create() */
	NL_CT_FOUND,   /* a live connection: dir, state, related in the result */
	NL_CT_INVALID, /* no connection and the packet cannot open one (a TCP
			* packet other than SYN, an echo reply, an ICMP error
			* quoting no known connection), or a malformed header */
};

/* Packet kinds, as nl_ct_pkt_init() classifies them. */
enum nl_ct_kind {
	NL_CT_K_UNTRACKED = 0,
	NL_CT_K_MALFORMED,
	NL_CT_K_TCP,
	NL_CT_K_UDP,
	NL_CT_K_ECHO_REQUEST,
	NL_CT_K_ECHO_REPLY,
	NL_CT_K_ICMP_ERROR, /* the key is that of the quoted packet */
	NL_CT_K_ICMP_NOKEY, /* an ICMP error whose well-formed quote gives no key: a
			     * later fragment, an error about an error, another
			     * protocol, or sent to someone other than the quoted
			     * sender (no key: NL_CT_INVALID) */
};

#define NL_CT_TCP_FIN 0x01
#define NL_CT_TCP_SYN 0x02
#define NL_CT_TCP_RST 0x04
#define NL_CT_TCP_ACK 0x10

/*
 * The direction-independent key: the two ends (address, port) in a fixed
 * order, so that a packet and its reply give the same bytes. IPv4 addresses
 * take the first 4 bytes (network order), the rest is 0. ICMP echo uses the
 * identifier as both ports and says which end sends the requests, so that
 * two hosts pinging each other with the same identifier are two connections.
 */
struct nl_ct_key {
	uint8_t addr[2][16];
	uint16_t port[2]; /* host order */
	uint8_t proto;    /* 6, 17, 1 or 58 */
	uint8_t family;   /* 4 or 6 */
	uint8_t echo_req; /* ICMP echo: 1 + the end (0, 1) that sends the requests; else 0 */
	uint8_t pad;      /* always 0 */
};
_Static_assert(sizeof(struct nl_ct_key) == 40, "conntrack key is 40 bytes");

/* One packet as the tracker sees it; filled by nl_ct_pkt_init(). */
struct nl_ct_pkt {
	struct nl_ct_key key;
	uint32_t hash;        /* CRC32-C register of key (0: untracked, malformed, no key) */
	uint8_t kind;         /* enum nl_ct_kind */
	uint8_t side;         /* which end of key sent it (for an ICMP error: the
			       * end the quoted packet was sent to) */
	uint8_t tcp_flags;    /* NL_CT_TCP_* */
	uint8_t pad;
	uint16_t payload_len; /* TCP: bytes after the TCP header */
	uint32_t seq, ack;    /* TCP, host order */
};

/* Result of a lookup. */
struct nl_ct_result {
	uint8_t dir;     /* enum nl_ct_dir */
	uint8_t state;   /* enum nl_ct_state, after nl_ct_update() or nl_ct_track() */
	uint8_t related; /* the packet is an ICMP error about this connection */
	uint8_t valid;   /* nl_ct_track(): the packet fits the connection's state */
	uint32_t slot;   /* where the entry was: a hint for nl_ct_update() */
	uint64_t expire; /* when the connection expires, ms */
};

#define NL_CT_F_NO_LOCK 0x1u /* one thread only: no bucket locks */

/* Table parameters; zeroed fields take their defaults. */
struct nl_ct_config {
	uint32_t capacity; /* entries: rounded up to a power of two, at least
			    * NL_CT_BUCKET_WAYS (0: 65536) */
	uint32_t flags;    /* NL_CT_F_* */
	uint32_t timeout_ms[NL_CT_STATE_MAX]; /* per state; 0: the default */
};

/* Counters; entries and the per-state counts include expired entries not reclaimed yet. */
struct nl_ct_stats {
	uint64_t entries;  /* connections in the table */
	uint64_t created;  /* by nl_ct_create() */
	uint64_t expired;  /* reclaimed after their timeout */
	uint64_t evicted;  /* pushed out by a new connection (bucket full) */
	uint64_t full;     /* new connections refused: bucket full of assured ones */
	uint64_t invalid;  /* packets reported invalid (lookup or update) */
	uint64_t state[NL_CT_STATE_MAX];
};

struct nl_ct;

/*
 * Create a table as @cfg says (NULL: defaults with 65536 entries). Returns
 * NULL with errno EINVAL (capacity above NL_CT_MAX_CAPACITY, unknown flags)
 * or ENOMEM.
 */
struct nl_ct *nl_ct_new(const struct nl_ct_config *cfg);

/* Free @ct (NULL is allowed); it cannot fail. */
void nl_ct_free(struct nl_ct *ct);

/* Number of entries @ct holds at most; it cannot fail. */
uint32_t nl_ct_capacity(const struct nl_ct *ct);

/* Default timeout of state @state in ms, or 0 for an unknown state. */
uint32_t nl_ct_default_timeout(unsigned int state);

/* Name of state @state ("TCP_ESTABLISHED"), or "?" for an unknown one. */
const char *nl_ct_state_name(unsigned int state);

/*
 * Classify the frame @data of @len bytes, which nl_parse() has parsed into
 * @pp, into @out: kind, key, side and the TCP fields; for an ICMP or ICMPv6
 * error, the key of the packet it quotes (NL_CT_K_ICMP_NOKEY when its quote
 * gives none). Returns 0, or -EINVAL for a malformed L4 or quoted header
 * (out->kind is then NL_CT_K_MALFORMED).
 */
int nl_ct_pkt_init(const uint8_t *data, uint32_t len, const struct nl_parsed *pp,
		   struct nl_ct_pkt *out);

/*
 * Find the connection of @p at time @now without changing it. Returns the
 * status (enum nl_ct_status); on NL_CT_FOUND, @res has dir, state, related,
 * slot and expire. It cannot fail.
 */
int nl_ct_lookup(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
		 struct nl_ct_result *res);

/*
 * Open a connection for @p (after the rules allowed it): state SYN_SENT,
 * UDP_UNREPLIED or ICMP_UNREPLIED, @p's sender as the originator. Fills @res.
 * Returns 0; -EEXIST if a live connection has this key (@res describes it:
 * call nl_ct_update()); -EINVAL if @p cannot open one (TCP other than SYN,
 * echo reply, ICMP error, untracked or malformed); -ENOSPC if its bucket
 * holds only assured connections (counted "full").
 */
int nl_ct_create(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
		 struct nl_ct_result *res);

/*
 * Advance the connection of @p (found by nl_ct_lookup() into @res, whose
 * slot is used as a hint) and renew its timeout. Returns 0 when @p is valid
 * for the state (res->state is the new state); -EPROTO when it is not (the
 * connection is left unchanged, counted "invalid"); -ENOENT when the
 * connection is gone (expired or evicted since the lookup).
 */
int nl_ct_update(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
		 struct nl_ct_result *res);

/*
 * nl_ct_lookup() and, when it finds the connection, nl_ct_update(), under
 * one lock. Returns the lookup's status; on NL_CT_FOUND res->valid says
 * whether nl_ct_update() accepted the packet. It cannot fail.
 */
int nl_ct_track(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now,
		struct nl_ct_result *res);

/*
 * nl_ct_track() for the @n (<= NL_CT_BURST_MAX) packets @p[0..n), their
 * table lines fetched from memory all at once first: status[i] and res[i]
 * are those of nl_ct_track() for p[i], in order. Returns @n, or -EINVAL if
 * @n is too large.
 */
int nl_ct_track_burst(struct nl_ct *ct, const struct nl_ct_pkt *p, unsigned int n,
		      uint64_t now, uint8_t *status, struct nl_ct_result *res);

/*
 * Reclaim the expired entries of the next @nb_buckets buckets (a cursor
 * goes round the table). Returns the number of entries reclaimed.
 */
uint32_t nl_ct_expire(struct nl_ct *ct, uint64_t now, uint32_t nb_buckets);

/* Copy the counters of @ct into @st; it cannot fail. */
void nl_ct_stats_get(const struct nl_ct *ct, struct nl_ct_stats *st);

/* Milliseconds of CLOCK_MONOTONIC, a clock for @now; it cannot fail. */
uint64_t nl_ct_now_ms(void);

#endif /* NL_CONNTRACK_H */
