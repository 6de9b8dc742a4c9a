/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_ct_priv.h — the connection tracker's entry and its state machines,
 * shared by the table (nl_conntrack.c) and the protocols (nl_ct_proto.c).
 * Never installed.
 */
#ifndef NL_CT_PRIV_H
#define NL_CT_PRIV_H

#include <stdint.h>

#include "nl_conntrack.h"

/* Entry flags. */
#define CT_F_SIMOPEN 0x01 /* SYNs crossed: simultaneous open */
#define CT_F_FIN_SEEN(side) (0x02u << (side))
#define CT_F_FIN_ACKED(side) (0x08u << (side))
#define CT_F_REOPEN 0x20 /* the opener sent a SYN on the open connection: reopened? */

/* What the state machines read and change: copied, stepped, written back. */
struct ct_conn {
	uint32_t fin_end[2]; /* by side: sequence number just after its FIN */
	uint8_t state;       /* enum nl_ct_state */
	uint8_t orig_side;   /* the side that opened the connection */
	uint8_t synack_side; /* the side that sent the SYN+ACK */
	uint8_t flags;       /* CT_F_* */
};

/* One connection: one cache line. */
struct ct_entry {
	struct nl_ct_key key;
	uint64_t expire; /* ms */
	struct ct_conn c;
	uint8_t pad[4];
};
_Static_assert(sizeof(struct ct_entry) == 64, "an entry is one cache line");

/*
 * Run packet @p through the state machine of its protocol, from connection
 * state @c: *@out is the state after it. Returns 0 when @p is valid for
 * @c, or -EPROTO (then *@out is to be ignored).
 */
int nl_ct_step(const struct ct_conn *c, const struct nl_ct_pkt *p, struct ct_conn *out);

/* State a connection opened by @p starts in; -EINVAL if @p cannot open one. */
int nl_ct_first_state(const struct nl_ct_pkt *p);

#endif /* NL_CT_PRIV_H */
