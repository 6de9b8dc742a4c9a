/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frags.h — IP fragments kept with the first fragment of their datagram.
 *
 * Only the first fragment of a datagram carries the TCP or UDP header: a
 * later one has ports 0 in its key, so by itself it would match other rules
 * and have another flow hash than its first fragment, reaching another
 * role, instance or queue, where an NF that keeps state per connection (a
 * firewall, a NAT) does not know it. The RX side notes what each first
 * fragment was given (its flow hash, and its destination or the reason it
 * was dropped) under the datagram's identity (IPv4: addresses, protocol, IP
 * identification; IPv6: addresses and the fragment header's
 * identification); a later fragment of the same identity takes the same.
 * An IPv6 fragment is one with a fragment header among its extension
 * headers (CLS_IPV6_FRAG); as an IPv4 one, its key holds the upper-layer
 * protocol, and the first fragment's the ports too: its flow hash is the
 * one its datagram would have whole, so that it reaches the instance of its
 * connection.
 *
 * The table is direct-mapped, CORE_FRAGS entries, owned by the RX lcore (no
 * lock): a first fragment takes its entry from whatever was there; an
 * entry is good for CORE_FRAG_TTL_MS after its first fragment. A later
 * fragment with no good entry (its first fragment came after it, was lost,
 * or was pushed out by another datagram's) is classified by itself.
 *
 * Guests are not trusted: a frame an NF hands to another role unread (read
 * then, read_late()) is one the NF may have written or made, so its
 * identity carries the handing NF's role (core_frag_id.from). What it notes
 * is found only by fragments that NF's role hands on, never by fragments
 * from the wire nor by another role's; and its note never pushes out a
 * live note of a fragment from the wire.
 */
#ifndef CORE_FRAGS_H
#define CORE_FRAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cls.h"

#define CORE_FRAGS 4096u       /* entries; a power of 2 */
#define CORE_FRAG_TTL_MS 5000u /* an entry's life after its first fragment */

/* Which datagram a fragment belongs to, and who handed it to the core. */
struct core_frag_id {
	uint8_t src[16], dst[16]; /* as on the wire; IPv4: the first 4 bytes, the rest 0 */
	uint32_t id;       /* identification as on the wire (IPv4: 16 bits, the rest 0) */
	uint16_t from;     /* CORE_FRAG_WIRE, or 1 + the role of the NF that handed it on */
	uint8_t proto;     /* IPv4's protocol; IPv6: 0 (RFC 8200: fragments may differ in it) */
	uint8_t v6;
	uint8_t first;     /* 1: the first fragment (offset 0) */
	uint8_t pad[3];    /* 0 */
};

#define CORE_FRAG_WIRE 0 /* received from a port, read on the RX side */

/* What the first fragment of a datagram was given. */
struct core_frag_verdict {
	uint32_t hash;  /* its flow hash */
	uint16_t slot;  /* its destination: chain_tab slot and first role */
	uint16_t role;
	uint8_t drop;   /* CORE_DROP_MAX, or the reason it was dropped */
	uint8_t has_dest; /* slot and role hold its destination (else: the hash alone) */
};

struct core_frag_ent {
	struct core_frag_id id;
	struct core_frag_verdict v;
	uint64_t tsc; /* when its first fragment came (id.first 0: empty) */
};

_Static_assert(sizeof(struct core_frag_ent) == 64, "one cache line per entry (docs/core.md)");

struct core_frags {
	uint64_t ttl; /* CORE_FRAG_TTL_MS in TSC cycles */
	struct core_frag_ent e[CORE_FRAGS];
};

/* Set up @t, empty, for a TSC of @hz cycles a second. */
void core_frags_init(struct core_frags *t, uint64_t hz);

/*
 * The identity of the fragment in @frame, for which cls_key_extract()
 * returned CLS_IPV4_FRAG or CLS_IPV6_FRAG (the headers read are whole,
 * after the Ethernet header and at most one 802.1Q tag), from the wire.
 */
void core_frag_id_of(const uint8_t *frame, struct core_frag_id *f);

/* Note @v, given at TSC @now to first fragment @f; not when @f is handed on
 * by an NF and its entry holds a note of the wire younger than
 * CORE_FRAG_TTL_MS. */
void core_frags_note(struct core_frags *t, const struct core_frag_id *f,
		     const struct core_frag_verdict *v, uint64_t now);

/* What the first fragment of @f's datagram was given, into *@v; false when
 * the table has no entry for it younger than CORE_FRAG_TTL_MS at @now. */
bool core_frags_find(const struct core_frags *t, const struct core_frag_id *f, uint64_t now,
		     struct core_frag_verdict *v);

#endif /* CORE_FRAGS_H */
