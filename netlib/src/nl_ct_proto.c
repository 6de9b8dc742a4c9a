/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_ct_proto.c — the connection tracker's state machines: TCP (handshake
 * including simultaneous open, FINs both ways, RST), UDP and ICMP echo
 * (docs/conntrack.md has the tables). Sequence numbers are followed only as
 * far as telling whether a FIN has been acknowledged; windows are not.
 */
#include <errno.h>
#include <stdbool.h>

#include "nl_ct_priv.h"

/* TCP state once established: from the FINs seen and acknowledged. */
static unsigned int
closing_state(unsigned int fl)
{
	unsigned int seen = !!(fl & CT_F_FIN_SEEN(0)) + !!(fl & CT_F_FIN_SEEN(1));
	unsigned int acked = !!(fl & CT_F_FIN_ACKED(0)) + !!(fl & CT_F_FIN_ACKED(1));

	if (seen == 0)
		return NL_CT_TCP_ESTABLISHED;
	if (seen == 1)
		return acked ? NL_CT_TCP_CLOSE_WAIT : NL_CT_TCP_FIN_WAIT;
	return acked == 2 ? NL_CT_TCP_TIME_WAIT : NL_CT_TCP_LAST_ACK;
}

/* A SYN or SYN+ACK on @e: the new state, or -EPROTO. */
static int
tcp_syn(struct ct_conn *e, unsigned int side, bool orig, bool ack)
{
	unsigned int st = e->state;

	if (!ack) {
		if (st == NL_CT_TCP_SYN_SENT) {
			if (!orig)
				e->flags |= CT_F_SIMOPEN;
			return orig ? (int)st : NL_CT_TCP_SYN_SENT2;
		}
		if (st == NL_CT_TCP_SYN_SENT2 ||
		    (st == NL_CT_TCP_SYN_RECV && (orig || (e->flags & CT_F_SIMOPEN))))
			return (int)st; /* retransmitted */
		if (st == NL_CT_TCP_TIME_WAIT || st == NL_CT_TCP_CLOSE) {
			/* either end opens the tuple again (RFC 1122 4.2.2.13):
			 * the SYN's sender is the new connection's opener */
			e->flags = 0;
			e->orig_side = (uint8_t)side;
			return NL_CT_TCP_SYN_SENT;
		}
		if (st >= NL_CT_TCP_ESTABLISHED && st <= NL_CT_TCP_LAST_ACK && orig) {
			/* The opener lost the connection and opens the tuple again,
			 * or it is a stray SYN: the answer tells (tcp_step()). */
			e->flags |= CT_F_REOPEN;
			return (int)st;
		}
		return -EPROTO;
	}
	if ((e->flags & CT_F_REOPEN) && !orig) {
		e->flags = 0; /* the answer to a reopening SYN: the FINs are forgotten */
		e->synack_side = (uint8_t)side;
		return NL_CT_TCP_SYN_RECV;
	}
	switch (st) {
	case NL_CT_TCP_SYN_SENT:
		if (orig)
			return -EPROTO;
		e->synack_side = (uint8_t)side;
		return NL_CT_TCP_SYN_RECV;
	case NL_CT_TCP_SYN_SENT2:
		e->synack_side = (uint8_t)side;
		return NL_CT_TCP_SYN_RECV;
	case NL_CT_TCP_SYN_RECV:
		if (side == e->synack_side)
			return (int)st;
		return (e->flags & CT_F_SIMOPEN) ? NL_CT_TCP_ESTABLISHED : -EPROTO;
	case NL_CT_TCP_ESTABLISHED:
		return side == e->synack_side ? (int)st : -EPROTO; /* final ACK was lost */
	default:
		return -EPROTO;
	}
}

/* Run the TCP machine on a copy of @e: the new entry in *@out, or -EPROTO. */
static int
tcp_step(const struct ct_conn *e, const struct nl_ct_pkt *p, struct ct_conn *out)
{
	unsigned int f = p->tcp_flags, side = p->side, other = !side;
	bool orig = side == e->orig_side;
	int st;

	*out = *e;
	if (!(f & NL_CT_TCP_SYN))
		out->flags &= ~CT_F_REOPEN; /* the old connection goes on, or is reset */
	if (f & NL_CT_TCP_RST) {
		if (f & NL_CT_TCP_SYN)
			return -EPROTO;
		out->state = NL_CT_TCP_CLOSE;
		return 0;
	}
	if (f & NL_CT_TCP_SYN) {
		if (f & NL_CT_TCP_FIN)
			return -EPROTO;
		st = tcp_syn(out, side, orig, f & NL_CT_TCP_ACK);
		if (st < 0)
			return st;
		out->state = (uint8_t)st;
		return 0;
	}
	if (!(f & NL_CT_TCP_ACK))
		return -EPROTO; /* after the SYNs, every segment carries ACK */
	if (e->state == NL_CT_TCP_SYN_RECV) {
		if (side == e->synack_side)
			return -EPROTO;
	} else if (e->state < NL_CT_TCP_ESTABLISHED || e->state > NL_CT_TCP_TIME_WAIT) {
		return -EPROTO; /* SYN_SENT, SYN_SENT2: ACK of nothing; CLOSE */
	}
	if ((out->flags & CT_F_FIN_SEEN(other)) && !(out->flags & CT_F_FIN_ACKED(other)) &&
	    (int32_t)(p->ack - out->fin_end[other]) >= 0)
		out->flags |= CT_F_FIN_ACKED(other);
	if ((f & NL_CT_TCP_FIN) && !(out->flags & CT_F_FIN_SEEN(side))) {
		out->flags |= CT_F_FIN_SEEN(side);
		out->fin_end[side] = p->seq + p->payload_len + 1;
	}
	out->state = (uint8_t)closing_state(out->flags);
	return 0;
}

int
nl_ct_step(const struct ct_conn *e, const struct nl_ct_pkt *p, struct ct_conn *out)
{
	bool reply = (p->side ^ e->orig_side) != 0;

	*out = *e;
	switch (p->kind) {
	case NL_CT_K_ICMP_ERROR:
		return 0; /* related: valid, changes nothing */
	case NL_CT_K_TCP:
		return tcp_step(e, p, out);
	case NL_CT_K_UDP:
		if (reply)
			out->state = NL_CT_UDP_REPLIED;
		return 0;
	case NL_CT_K_ECHO_REQUEST:
		return reply ? -EPROTO : 0;
	case NL_CT_K_ECHO_REPLY:
		if (!reply)
			return -EPROTO;
		out->state = NL_CT_ICMP_REPLIED;
		return 0;
	default:
		return -EPROTO;
	}
}

int
nl_ct_first_state(const struct nl_ct_pkt *p)
{
	switch (p->kind) {
	case NL_CT_K_TCP:
		return (p->tcp_flags & (NL_CT_TCP_SYN | NL_CT_TCP_ACK | NL_CT_TCP_RST |
					NL_CT_TCP_FIN)) == NL_CT_TCP_SYN ? NL_CT_TCP_SYN_SENT : -EINVAL;
	case NL_CT_K_UDP:
		return NL_CT_UDP_UNREPLIED;
	case NL_CT_K_ECHO_REQUEST:
		return NL_CT_ICMP_UNREPLIED;
	default:
		return -EINVAL;
	}
}
