/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_conntrack — the connection tracker, case by case: every TCP
 * transition (simultaneous open, FINs both ways, RST, reuse of a closed
 * tuple, a reopening SYN on an open one), invalid packets, every timeout,
 * UDP and ICMP echo, ICMP errors matched to the connection they quote (and
 * not to others), IPv6, eviction, fill level, a SYN flood, the two-step and
 * burst APIs. Frames are written
 * byte by byte (ct_frames.h); expected states, directions and timeouts are
 * written out here. test_conntrack_model has the randomised tests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct_frames.h"
#include "nl_flowtab.h"

/* The packet must find its connection, be valid, and leave it in @state. */
static void
expect_ok(struct nl_ct *ct, struct nl_ct_pkt p, uint64_t now, int dir, int state)
{
	struct nl_ct_result r;

	assert_int_equal(nl_ct_track(ct, &p, now, &r), NL_CT_FOUND);
	assert_int_equal(r.dir, dir);
	assert_true(r.valid);
	assert_int_equal(r.related, 0);
	if (r.state != state)
		fail_msg("state %s, expected %s", nl_ct_state_name(r.state),
			 nl_ct_state_name((unsigned int)state));
}

/* The packet must find its connection and be refused, the state staying @state. */
static void
expect_invalid(struct nl_ct *ct, struct nl_ct_pkt p, uint64_t now, int state)
{
	struct nl_ct_stats s0, s1;
	struct nl_ct_result r;

	nl_ct_stats_get(ct, &s0);
	assert_int_equal(nl_ct_track(ct, &p, now, &r), NL_CT_FOUND);
	assert_false(r.valid);
	if (r.state != state)
		fail_msg("state %s, expected %s", nl_ct_state_name(r.state),
			 nl_ct_state_name((unsigned int)state));
	nl_ct_stats_get(ct, &s1);
	assert_int_equal(s1.invalid, s0.invalid + 1);
}

static int
lookup(struct nl_ct *ct, struct nl_ct_pkt p, uint64_t now)
{
	struct nl_ct_result r;

	return nl_ct_lookup(ct, &p, now, &r);
}

/* Client c:1000 -> server s:80, ISNs 100 (client) and 500 (server). */
#define C_(flags, seq, ack) tcp(c, 1000, s, 80, (flags), (seq), (ack))
#define S_(flags, seq, ack) tcp(s, 80, c, 1000, (flags), (seq), (ack))

static void
handshake(struct nl_ct *ct, const struct host *c, const struct host *s, uint64_t now)
{
	struct nl_ct_pkt p = C_(SYN, 100, 0);
	struct nl_ct_result r;

	assert_int_equal(fw(ct, &p, now, &r), NL_CT_NEW);
	assert_int_equal(r.state, NL_CT_TCP_SYN_SENT);
	assert_int_equal(r.dir, NL_CT_DIR_ORIG);
	expect_ok(ct, S_(SYN | ACK, 500, 101), now, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(ACK, 101, 501), now, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
}

static void
tcp_close_client_first(const struct host *c, const struct host *s)
{
	struct nl_ct *ct = table(64);
	struct nl_ct_stats st;

	handshake(ct, c, s, 0);
	expect_ok(ct, C_(ACK | PSH, 101, 501), 1, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, S_(ACK, 501, 101), 2, NL_CT_DIR_REPLY, NL_CT_TCP_ESTABLISHED);
	/* Client FIN at seq 101: it ends at 102. */
	expect_ok(ct, C_(FIN | ACK, 101, 501), 3, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, S_(ACK, 501, 101), 4, NL_CT_DIR_REPLY, NL_CT_TCP_FIN_WAIT); /* not its ack */
	expect_ok(ct, S_(ACK, 501, 102), 5, NL_CT_DIR_REPLY, NL_CT_TCP_CLOSE_WAIT);
	expect_ok(ct, S_(ACK | PSH, 501, 102), 6, NL_CT_DIR_REPLY, NL_CT_TCP_CLOSE_WAIT);
	expect_ok(ct, S_(FIN | ACK, 501, 102), 7, NL_CT_DIR_REPLY, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, C_(ACK, 102, 501), 8, NL_CT_DIR_ORIG, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, C_(ACK, 102, 502), 9, NL_CT_DIR_ORIG, NL_CT_TCP_TIME_WAIT);
	expect_ok(ct, C_(ACK, 102, 502), 10, NL_CT_DIR_ORIG, NL_CT_TCP_TIME_WAIT);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.state[NL_CT_TCP_TIME_WAIT], 1);
	assert_int_equal(st.state[NL_CT_TCP_ESTABLISHED], 0);
	assert_int_equal(st.invalid, 0);
	nl_ct_free(ct);
}

static void
test_tcp_open_close(void **state)
{
	(void)state;
	tcp_close_client_first(&H4a, &H4b);
	tcp_close_client_first(&H4b, &H4a); /* the client's end sorts second in the key */
	tcp_close_client_first(&H6a, &H6b);
	tcp_close_client_first(&H6b, &H6a);
}

static void
test_tcp_close_server_first_and_simultaneous(void **state)
{
	const struct host *c = &H4a, *s = &H4b;
	struct nl_ct *ct = table(64);

	(void)state;
	handshake(ct, c, s, 0);
	/* Server closes first; payload of 10 bytes with the FIN: it ends at 511. */
	{
		uint8_t buf[256];
		struct nl_ct_pkt p;

		assert_int_equal(classify(buf, tcp_frame(buf, s, 80, c, 1000, FIN | ACK, 501, 101,
							 10), &p), 0);
		assert_int_equal(p.payload_len, 10);
		expect_ok(ct, p, 1, NL_CT_DIR_REPLY, NL_CT_TCP_FIN_WAIT);
	}
	expect_ok(ct, C_(ACK, 101, 511), 2, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, C_(ACK, 101, 512), 3, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE_WAIT);
	expect_ok(ct, C_(FIN | ACK, 101, 512), 4, NL_CT_DIR_ORIG, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, S_(ACK, 512, 102), 5, NL_CT_DIR_REPLY, NL_CT_TCP_TIME_WAIT);
	nl_ct_free(ct);

	/* Both FINs cross (neither acks the other yet), then the two ACKs. */
	ct = table(64);
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(FIN | ACK, 101, 501), 1, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, S_(FIN | ACK, 501, 101), 2, NL_CT_DIR_REPLY, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, C_(ACK, 102, 502), 3, NL_CT_DIR_ORIG, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, S_(ACK, 502, 102), 4, NL_CT_DIR_REPLY, NL_CT_TCP_TIME_WAIT);
	/* A FIN that also acks the other's FIN: counted in that order. */
	nl_ct_free(ct);
	ct = table(64);
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(FIN | ACK, 101, 501), 1, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, S_(FIN | ACK, 501, 102), 2, NL_CT_DIR_REPLY, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, C_(ACK, 102, 502), 3, NL_CT_DIR_ORIG, NL_CT_TCP_TIME_WAIT);
	nl_ct_free(ct);
}

static void
test_tcp_simultaneous_open(void **state)
{
	const struct host *c = &H4a, *s = &H4b;
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt p = C_(SYN, 100, 0);
	struct nl_ct_result r;

	(void)state;
	assert_int_equal(fw(ct, &p, 0, &r), NL_CT_NEW);
	expect_ok(ct, S_(SYN, 500, 0), 1, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_SENT2);
	expect_ok(ct, C_(SYN, 100, 0), 2, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT2);
	expect_ok(ct, C_(SYN | ACK, 100, 501), 3, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(SYN | ACK, 100, 501), 4, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, S_(SYN | ACK, 500, 101), 5, NL_CT_DIR_REPLY, NL_CT_TCP_ESTABLISHED);
	nl_ct_free(ct);

	/* The other way out of SYN_SENT2: SYN+ACK from the responder, ACK from the opener. */
	ct = table(64);
	assert_int_equal(fw(ct, &p, 0, &r), NL_CT_NEW);
	expect_ok(ct, S_(SYN, 500, 0), 1, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_SENT2);
	expect_ok(ct, S_(SYN | ACK, 500, 101), 2, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_invalid(ct, S_(ACK, 501, 101), 3, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(ACK, 101, 501), 4, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	nl_ct_free(ct);
}

static void
test_tcp_rst(void **state)
{
	const struct host *c = &H4a, *s = &H4b;
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt p = C_(SYN, 100, 0);
	struct nl_ct_result r;

	(void)state;
	/* Refused connection: RST+ACK from the server in SYN_SENT. */
	assert_int_equal(fw(ct, &p, 0, &r), NL_CT_NEW);
	expect_ok(ct, S_(RST | ACK, 0, 101), 1, NL_CT_DIR_REPLY, NL_CT_TCP_CLOSE);
	expect_invalid(ct, C_(ACK, 101, 1), 2, NL_CT_TCP_CLOSE);
	expect_ok(ct, C_(RST, 101, 0), 3, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE);
	/* The same client opens the same tuple again. */
	expect_ok(ct, C_(SYN, 9000, 0), 4, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT);
	expect_ok(ct, S_(SYN | ACK, 700, 9001), 5, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(ACK, 9001, 701), 6, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	/* RST from either side of an established connection. */
	expect_ok(ct, C_(RST | ACK, 9001, 701), 7, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE);
	nl_ct_free(ct);

	ct = table(64);
	handshake(ct, c, s, 0);
	expect_invalid(ct, S_(SYN | RST, 501, 0), 1, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, S_(RST, 501, 0), 1, NL_CT_DIR_REPLY, NL_CT_TCP_CLOSE);
	nl_ct_free(ct);

	/* TIME_WAIT: the opener may start over. */
	ct = table(64);
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(FIN | ACK, 101, 501), 1, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, S_(FIN | ACK, 501, 102), 2, NL_CT_DIR_REPLY, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, C_(ACK, 102, 502), 3, NL_CT_DIR_ORIG, NL_CT_TCP_TIME_WAIT);
	expect_ok(ct, C_(SYN, 5000, 0), 5, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT);
	nl_ct_free(ct);

	/* The other end may open the tuple too (RFC 1122 4.2.2.13; SIP between
	 * two port 5060s): the SYN's sender is the opener of the new connection. */
	ct = table(64);
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(FIN | ACK, 101, 501), 1, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, S_(FIN | ACK, 501, 102), 2, NL_CT_DIR_REPLY, NL_CT_TCP_LAST_ACK);
	expect_ok(ct, C_(ACK, 102, 502), 3, NL_CT_DIR_ORIG, NL_CT_TCP_TIME_WAIT);
	expect_ok(ct, S_(SYN, 8000, 0), 4, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT);
	expect_ok(ct, C_(SYN | ACK, 6000, 8001), 5, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, S_(ACK, 8001, 6001), 6, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, S_(RST, 8001, 0), 7, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE);
	expect_ok(ct, C_(SYN, 9000, 0), 8, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT);
	expect_ok(ct, S_(SYN | ACK, 700, 9001), 9, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	nl_ct_free(ct);
}

static void
test_tcp_invalid(void **state)
{
	const struct host *c = &H4a, *s = &H4b;
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt p;
	struct nl_ct_result r;
	struct nl_ct_stats st;

	(void)state;
	/* No connection: only a plain SYN may open one. */
	assert_int_equal(lookup(ct, C_(ACK, 1, 1), 0), NL_CT_INVALID);
	assert_int_equal(lookup(ct, S_(SYN | ACK, 1, 1), 0), NL_CT_INVALID);
	assert_int_equal(lookup(ct, C_(FIN | ACK, 1, 1), 0), NL_CT_INVALID);
	assert_int_equal(lookup(ct, C_(RST, 1, 1), 0), NL_CT_INVALID);
	assert_int_equal(lookup(ct, C_(SYN | FIN, 1, 1), 0), NL_CT_INVALID);
	assert_int_equal(lookup(ct, C_(0, 1, 1), 0), NL_CT_INVALID);
	assert_int_equal(lookup(ct, C_(SYN, 1, 0), 0), NL_CT_NEW);
	p = C_(ACK, 1, 1);
	assert_int_equal(nl_ct_create(ct, &p, 0, &r), -EINVAL);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.invalid, 6);
	assert_int_equal(st.entries, 0);

	p = C_(SYN, 100, 0);
	assert_int_equal(fw(ct, &p, 0, &r), NL_CT_NEW);
	assert_int_equal(nl_ct_create(ct, &p, 0, &r), -EEXIST);
	expect_invalid(ct, C_(ACK, 101, 501), 1, NL_CT_TCP_SYN_SENT);
	expect_invalid(ct, S_(ACK, 501, 101), 1, NL_CT_TCP_SYN_SENT);
	expect_invalid(ct, C_(SYN | ACK, 100, 1), 1, NL_CT_TCP_SYN_SENT);
	expect_invalid(ct, S_(FIN | ACK, 501, 101), 1, NL_CT_TCP_SYN_SENT);
	expect_invalid(ct, S_(SYN | FIN, 501, 101), 1, NL_CT_TCP_SYN_SENT);
	expect_ok(ct, C_(SYN, 100, 0), 2, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT); /* retransmit */
	expect_ok(ct, S_(SYN | ACK, 500, 101), 3, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, S_(SYN | ACK, 500, 101), 4, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(SYN, 100, 0), 4, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_RECV);
	expect_invalid(ct, C_(SYN | ACK, 100, 501), 5, NL_CT_TCP_SYN_RECV);
	expect_invalid(ct, S_(ACK, 501, 101), 5, NL_CT_TCP_SYN_RECV);
	expect_invalid(ct, C_(0, 101, 501), 5, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(ACK, 101, 501), 6, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_invalid(ct, S_(SYN, 500, 0), 7, NL_CT_TCP_ESTABLISHED); /* test_tcp_reopen */
	expect_invalid(ct, C_(FIN, 101, 0), 7, NL_CT_TCP_ESTABLISHED); /* FIN without ACK */
	expect_invalid(ct, C_(SYN | ACK, 100, 501), 7, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, S_(SYN | ACK, 500, 101), 8, NL_CT_DIR_REPLY, NL_CT_TCP_ESTABLISHED);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.created, 1);
	nl_ct_free(ct);
}

/* The connection must be found at @t - 1 and gone at @t. */
static void
expect_expiry(struct nl_ct *ct, struct nl_ct_pkt probe, uint64_t t, int gone_status)
{
	struct nl_ct_result r;

	assert_int_equal(nl_ct_lookup(ct, &probe, t - 1, &r), NL_CT_FOUND);
	assert_int_equal(r.expire, t);
	assert_int_equal(nl_ct_lookup(ct, &probe, t, &r), gone_status);
}

/*
 * A SYN from the opener of a connection the tracker still has open
 * (ESTABLISHED to LAST_ACK): the opener lost it (a reboot, a NAT before the
 * firewall that forgot it and gave the port to a new connection) and opens
 * the tuple again. The SYN passes and the connection waits for the answer,
 * as a SYN_SENT one does: a SYN+ACK starts it again, FINs forgotten; a
 * challenge ACK of the old connection (RFC 5961) passes, so that the
 * opener's RST can close it; any other segment says the old connection is
 * alive. The other end's SYN stays invalid.
 */
static void
test_tcp_reopen(void **state)
{
	const struct host *c = &H4a, *s = &H4b;
	struct nl_ct *ct = table(64);
	struct nl_ct_stats st;

	(void)state;
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(SYN, 9000, 0), 10, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_expiry(ct, C_(ACK, 9001, 0), 10 + TO_SYN_SENT, NL_CT_INVALID);
	expect_ok(ct, C_(SYN, 9000, 0), 11, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED); /* again */
	expect_ok(ct, S_(SYN | ACK, 700, 9001), 12, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_invalid(ct, S_(ACK, 701, 9001), 13, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(ACK, 9001, 701), 13, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_expiry(ct, C_(ACK, 9001, 701), 13 + TO_ESTABLISHED, NL_CT_INVALID);
	nl_ct_free(ct);

	/* The other end still has the old connection: its challenge ACK, the RST. */
	ct = table(64);
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(SYN, 9000, 0), 1, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, S_(ACK, 501, 101), 2, NL_CT_DIR_REPLY, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, C_(RST, 101, 0), 3, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE);
	expect_ok(ct, C_(SYN, 9000, 0), 4, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT);
	nl_ct_free(ct);

	/* A SYN while the old connection goes on: a late SYN+ACK changes nothing. */
	ct = table(64);
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(SYN, 100, 0), 1, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, C_(ACK | PSH, 101, 501), 2, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, S_(SYN | ACK, 500, 101), 3, NL_CT_DIR_REPLY, NL_CT_TCP_ESTABLISHED);
	expect_expiry(ct, C_(ACK, 101, 501), 3 + TO_ESTABLISHED, NL_CT_INVALID);
	nl_ct_free(ct);

	/* In the closing states too; the FINs of the old connection are forgotten. */
	ct = table(64);
	handshake(ct, c, s, 0);
	expect_ok(ct, C_(FIN | ACK, 101, 501), 1, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, S_(ACK, 501, 102), 2, NL_CT_DIR_REPLY, NL_CT_TCP_CLOSE_WAIT);
	expect_invalid(ct, S_(SYN, 1, 0), 3, NL_CT_TCP_CLOSE_WAIT);
	expect_ok(ct, C_(SYN, 9000, 0), 3, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE_WAIT);
	expect_ok(ct, S_(SYN | ACK, 700, 9001), 4, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_ok(ct, C_(ACK, 9001, 701), 5, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_ok(ct, S_(FIN | ACK, 701, 9001), 6, NL_CT_DIR_REPLY, NL_CT_TCP_FIN_WAIT);
	expect_ok(ct, C_(ACK, 9001, 702), 7, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE_WAIT);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.created, 1);
	assert_int_equal(st.invalid, 1);
	nl_ct_free(ct);
}

static void
test_tcp_timeouts(void **state)
{
	const struct host *c = &H4a, *s = &H4b;
	struct nl_ct_pkt syn = C_(SYN, 100, 0), ack = C_(ACK, 101, 501);
	struct nl_ct_result r;
	struct nl_ct *ct;
	uint64_t t = 1000;

	(void)state;
	/* Each state from a fresh connection: the timeout counts from its last packet. */
	ct = table(64);
	assert_int_equal(fw(ct, &syn, t, &r), NL_CT_NEW);
	expect_expiry(ct, syn, t + TO_SYN_SENT, NL_CT_NEW);
	nl_ct_free(ct);

	ct = table(64);
	assert_int_equal(fw(ct, &syn, t, &r), NL_CT_NEW);
	expect_ok(ct, S_(SYN | ACK, 500, 101), t + 5, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_RECV);
	expect_expiry(ct, ack, t + 5 + TO_SYN_RECV, NL_CT_INVALID);
	nl_ct_free(ct);

	ct = table(64);
	assert_int_equal(fw(ct, &syn, t, &r), NL_CT_NEW);
	expect_ok(ct, S_(SYN, 500, 0), t + 5, NL_CT_DIR_REPLY, NL_CT_TCP_SYN_SENT2);
	expect_expiry(ct, ack, t + 5 + 120000, NL_CT_INVALID);
	nl_ct_free(ct);

	ct = table(64);
	handshake(ct, c, s, t);
	expect_expiry(ct, ack, t + TO_ESTABLISHED, NL_CT_INVALID);
	/* Traffic renews it; an invalid packet does not. */
	expect_ok(ct, ack, t + TO_ESTABLISHED - 1, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED);
	expect_invalid(ct, S_(SYN, 1, 0), t + 2 * TO_ESTABLISHED - 10, NL_CT_TCP_ESTABLISHED);
	expect_expiry(ct, ack, t + 2 * TO_ESTABLISHED - 1, NL_CT_INVALID);
	nl_ct_free(ct);

	ct = table(64);
	handshake(ct, c, s, t);
	expect_ok(ct, C_(FIN | ACK, 101, 501), t + 7, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT);
	expect_expiry(ct, ack, t + 7 + TO_FIN_WAIT, NL_CT_INVALID);
	expect_ok(ct, S_(ACK, 501, 102), t + 8, NL_CT_DIR_REPLY, NL_CT_TCP_CLOSE_WAIT);
	expect_expiry(ct, ack, t + 8 + TO_CLOSE_WAIT, NL_CT_INVALID);
	expect_ok(ct, S_(FIN | ACK, 501, 102), t + 9, NL_CT_DIR_REPLY, NL_CT_TCP_LAST_ACK);
	expect_expiry(ct, ack, t + 9 + TO_LAST_ACK, NL_CT_INVALID);
	expect_ok(ct, C_(ACK, 102, 502), t + 10, NL_CT_DIR_ORIG, NL_CT_TCP_TIME_WAIT);
	expect_expiry(ct, ack, t + 10 + TO_TIME_WAIT, NL_CT_INVALID);
	/* After expiry the tuple is free: a SYN is new again. */
	assert_int_equal(lookup(ct, syn, t + 10 + TO_TIME_WAIT), NL_CT_NEW);
	nl_ct_free(ct);

	ct = table(64);
	handshake(ct, c, s, t);
	expect_ok(ct, C_(RST, 101, 0), t + 3, NL_CT_DIR_ORIG, NL_CT_TCP_CLOSE);
	expect_expiry(ct, C_(RST, 101, 0), t + 3 + TO_CLOSE, NL_CT_INVALID);
	nl_ct_free(ct);
}

static void
test_configured_timeouts(void **state)
{
	const struct host *c = &H6a, *s = &H6b;
	struct nl_ct_config cfg = { .capacity = 16 };
	struct nl_ct_pkt ack = C_(ACK, 101, 501), u = udp(c, 53, s, 53);
	struct nl_ct_result r;
	struct nl_ct *ct;

	(void)state;
	cfg.timeout_ms[NL_CT_TCP_ESTABLISHED] = 3600000;
	cfg.timeout_ms[NL_CT_UDP_UNREPLIED] = 7;
	ct = nl_ct_new(&cfg);
	assert_non_null(ct);
	handshake(ct, c, s, 50);
	expect_expiry(ct, ack, 50 + 3600000, NL_CT_INVALID);
	assert_int_equal(fw(ct, &u, 100, &r), NL_CT_NEW);
	expect_expiry(ct, u, 107, NL_CT_NEW);
	nl_ct_free(ct);

	/* Defaults and names as documented. */
	assert_int_equal(nl_ct_default_timeout(NL_CT_TCP_ESTABLISHED), TO_ESTABLISHED);
	assert_int_equal(nl_ct_default_timeout(NL_CT_UDP_REPLIED), TO_UDP_REPLIED);
	assert_int_equal(nl_ct_default_timeout(NL_CT_STATE_MAX), 0);
	assert_string_equal(nl_ct_state_name(NL_CT_TCP_TIME_WAIT), "TCP_TIME_WAIT");
	assert_string_equal(nl_ct_state_name(99), "?");
	errno = 0;
	cfg.capacity = NL_CT_MAX_CAPACITY + 1;
	assert_null(nl_ct_new(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg.capacity = 8;
	cfg.flags = 0x100;
	errno = 0;
	assert_null(nl_ct_new(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg.flags = 0;
	cfg.capacity = 100;
	ct = nl_ct_new(&cfg);
	assert_non_null(ct);
	assert_int_equal(nl_ct_capacity(ct), 128);
	nl_ct_free(ct);
	/* zeroed fields take their defaults: capacity 0 is 65536 entries, as NULL */
	memset(&cfg, 0, sizeof(cfg));
	ct = nl_ct_new(&cfg);
	assert_non_null(ct);
	assert_int_equal(nl_ct_capacity(ct), 65536);
	nl_ct_free(ct);
	ct = nl_ct_new(NULL);
	assert_non_null(ct);
	assert_int_equal(nl_ct_capacity(ct), 65536);
	nl_ct_free(ct);
	nl_ct_free(NULL);
}

static void
test_udp(void **state)
{
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt out = udp(&H4a, 5353, &H4b, 53), back = udp(&H4b, 53, &H4a, 5353), loop;
	struct nl_ct_result r;
	struct nl_ct_stats st;

	(void)state;
	assert_int_equal(lookup(ct, back, 0), NL_CT_NEW);
	assert_int_equal(fw(ct, &out, 0, &r), NL_CT_NEW);
	assert_int_equal(r.state, NL_CT_UDP_UNREPLIED);
	expect_ok(ct, out, 10, NL_CT_DIR_ORIG, NL_CT_UDP_UNREPLIED);
	expect_expiry(ct, out, 10 + TO_UDP, NL_CT_NEW);
	/* Again, now with a reply. */
	assert_int_equal(fw(ct, &out, 100000, &r), NL_CT_NEW);
	expect_ok(ct, back, 100001, NL_CT_DIR_REPLY, NL_CT_UDP_REPLIED);
	expect_ok(ct, out, 100002, NL_CT_DIR_ORIG, NL_CT_UDP_REPLIED);
	expect_expiry(ct, back, 100002 + TO_UDP_REPLIED, NL_CT_NEW);
	/* Other ports, other connection. */
	assert_int_equal(lookup(ct, udp(&H4a, 5354, &H4b, 53), 100003), NL_CT_NEW);
	assert_int_equal(lookup(ct, udp(&H4a, 5353, &H4b, 54), 100003), NL_CT_NEW);
	/* Both ends on one host: the ports tell the directions apart. */
	loop = udp(&H4a, 7000, &H4a, 6000);
	assert_int_equal(fw(ct, &loop, 100003, &r), NL_CT_NEW);
	expect_ok(ct, udp(&H4a, 6000, &H4a, 7000), 100003, NL_CT_DIR_REPLY, NL_CT_UDP_REPLIED);
	expect_ok(ct, udp(&H4a, 7000, &H4a, 6000), 100003, NL_CT_DIR_ORIG, NL_CT_UDP_REPLIED);
	/* TCP with the same ports is not the UDP connection. */
	assert_int_equal(lookup(ct, tcp(&H4a, 5353, &H4b, 53, SYN, 1, 0), 100003), NL_CT_NEW);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.created, 3);
	assert_int_equal(st.expired, 1); /* the first, reclaimed by the second */
	assert_int_equal(st.entries, 2); /* the second: expired, not reclaimed yet */
	assert_int_equal(st.state[NL_CT_UDP_REPLIED], 2);
	assert_int_equal(nl_ct_expire(ct, 100002 + TO_UDP_REPLIED - 1, 1000), 0);
	assert_int_equal(nl_ct_expire(ct, 100003 + TO_UDP_REPLIED, 1000), 2);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.expired, 3);
	assert_int_equal(st.state[NL_CT_UDP_REPLIED], 0);
	nl_ct_free(ct);
}

static void
icmp_echo(const struct host *a, const struct host *b)
{
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt req = echo(a, b, 1, 77), rep = echo(b, a, 0, 77);
	struct nl_ct_result r;

	assert_int_equal(req.kind, NL_CT_K_ECHO_REQUEST);
	assert_int_equal(rep.kind, NL_CT_K_ECHO_REPLY);
	assert_int_equal(lookup(ct, rep, 0), NL_CT_INVALID); /* a reply to nothing */
	assert_int_equal(nl_ct_create(ct, &rep, 0, &r), -EINVAL);
	assert_int_equal(fw(ct, &req, 0, &r), NL_CT_NEW);
	assert_int_equal(r.state, NL_CT_ICMP_UNREPLIED);
	expect_ok(ct, req, 1, NL_CT_DIR_ORIG, NL_CT_ICMP_UNREPLIED);
	assert_int_equal(lookup(ct, echo(b, a, 0, 78), 1), NL_CT_INVALID); /* other id */
	assert_int_equal(lookup(ct, echo(a, b, 1, 78), 1), NL_CT_NEW);
	/* The other end's request is its own ping (test_icmp_echo_both_ways); a
	 * reply from the opener answers no request of the other end's. */
	assert_int_equal(lookup(ct, echo(b, a, 1, 77), 2), NL_CT_NEW);
	assert_int_equal(lookup(ct, echo(a, b, 0, 77), 2), NL_CT_INVALID);
	expect_expiry(ct, req, 1 + TO_ICMP, NL_CT_NEW);
	expect_ok(ct, rep, 3, NL_CT_DIR_REPLY, NL_CT_ICMP_REPLIED);
	expect_expiry(ct, rep, 3 + TO_ICMP, NL_CT_INVALID);
	nl_ct_free(ct);
}

static void
test_icmp_echo(void **state)
{
	(void)state;
	icmp_echo(&H4a, &H4b);
	icmp_echo(&H6b, &H6a);
}

/*
 * Two hosts ping each other with the same identifier (Windows' ping always
 * uses 1): two connections, one per end that sends requests, each with its
 * replies and its ICMP errors. And a host pinging itself.
 */
static void
icmp_echo_both_ways(const struct host *a, const struct host *b, const struct host *rt,
		    uint8_t exceeded)
{
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt ra = echo(a, b, 1, 1), rb = echo(b, a, 1, 1), e;
	size_t ql = a->v6 ? 48 : 28;
	uint8_t orig[256];
	struct nl_ct_result r;
	struct nl_ct_stats st;

	assert_int_equal(fw(ct, &ra, 0, &r), NL_CT_NEW);
	assert_int_equal(lookup(ct, echo(a, b, 0, 1), 0), NL_CT_INVALID); /* b asked nothing */
	assert_int_equal(fw(ct, &rb, 1, &r), NL_CT_NEW); /* b's own ping */
	assert_int_equal(r.dir, NL_CT_DIR_ORIG);
	assert_int_equal(r.state, NL_CT_ICMP_UNREPLIED);
	expect_ok(ct, echo(b, a, 0, 1), 2, NL_CT_DIR_REPLY, NL_CT_ICMP_REPLIED); /* to a */
	expect_ok(ct, echo(a, b, 0, 1), 3, NL_CT_DIR_REPLY, NL_CT_ICMP_REPLIED); /* to b */
	expect_ok(ct, ra, 4, NL_CT_DIR_ORIG, NL_CT_ICMP_REPLIED);
	expect_ok(ct, rb, 5, NL_CT_DIR_ORIG, NL_CT_ICMP_REPLIED);
	/* An error about each end's request finds that end's connection. */
	icmp_frame(orig, a, b, a->v6 ? 128 : 8, 0, 1, NULL, 0);
	assert_int_equal(icmp_err(&e, rt, a, exceeded, 0, orig, ql), 0);
	assert_int_equal(nl_ct_lookup(ct, &e, 6, &r), NL_CT_FOUND);
	assert_int_equal(r.dir, NL_CT_DIR_REPLY);
	assert_int_equal(r.expire, 4 + TO_ICMP);
	icmp_frame(orig, b, a, b->v6 ? 128 : 8, 0, 1, NULL, 0);
	assert_int_equal(icmp_err(&e, rt, b, exceeded, 0, orig, ql), 0);
	assert_int_equal(nl_ct_lookup(ct, &e, 6, &r), NL_CT_FOUND);
	assert_int_equal(r.expire, 5 + TO_ICMP);
	/* About b's reply to a, back to b: a's connection, its original direction. */
	icmp_frame(orig, b, a, b->v6 ? 129 : 0, 0, 1, NULL, 0);
	assert_int_equal(icmp_err(&e, rt, b, exceeded, 0, orig, ql), 0);
	assert_int_equal(nl_ct_lookup(ct, &e, 6, &r), NL_CT_FOUND);
	assert_int_equal(r.dir, NL_CT_DIR_ORIG);
	assert_int_equal(r.expire, 4 + TO_ICMP);
	/* A host pinging itself: its replies come back. */
	e = echo(a, a, 1, 9);
	assert_int_equal(fw(ct, &e, 7, &r), NL_CT_NEW);
	expect_ok(ct, echo(a, a, 0, 9), 8, NL_CT_DIR_REPLY, NL_CT_ICMP_REPLIED);
	expect_ok(ct, echo(a, a, 1, 9), 9, NL_CT_DIR_ORIG, NL_CT_ICMP_REPLIED);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.created, 3);
	assert_int_equal(st.invalid, 1);
	nl_ct_free(ct);
}

static void
test_icmp_echo_both_ways(void **state)
{
	(void)state;
	icmp_echo_both_ways(&H4a, &H4b, &H4r, 11);
	icmp_echo_both_ways(&H4b, &H4a, &H4r, 11);
	icmp_echo_both_ways(&H6a, &H6b, &H6r, 3);
	icmp_echo_both_ways(&H6b, &H6a, &H6r, 3);
}

/* ICMP errors about a TCP connection, a UDP one and a ping, in one family. */
static void
icmp_errors(const struct host *c, const struct host *s, const struct host *rt, uint8_t unreach,
	    uint8_t exceeded, uint8_t echo_req)
{
	struct nl_ct *ct = table(64);
	size_t ql = c->v6 ? 48 : 28; /* IP header + 8 bytes */
	uint8_t orig[256], other[256], buf[256];
	struct nl_ct_pkt e, u = udp(c, 4000, s, 53);
	struct nl_ct_result r;
	struct nl_ct_stats st0, st1;
	size_t n;

	handshake(ct, c, s, 0);
	tcp_frame(orig, c, 1000, s, 80, ACK, 101, 501, 0);
	/* From a router on the way, back to the client: the reply direction. */
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, orig, ql), 0);
	assert_int_equal(e.kind, NL_CT_K_ICMP_ERROR);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_FOUND);
	assert_int_equal(r.related, 1);
	assert_int_equal(r.dir, NL_CT_DIR_REPLY);
	assert_int_equal(r.state, NL_CT_TCP_ESTABLISHED);
	assert_true(r.valid);
	assert_int_equal(r.expire, TO_ESTABLISHED); /* not renewed by the error */
	assert_int_equal(nl_ct_create(ct, &e, 5, &r), -EINVAL);
	/* About a packet of the server's: towards the server, the original direction. */
	tcp_frame(other, s, 80, c, 1000, ACK, 501, 101, 0);
	assert_int_equal(icmp_err(&e, rt, s, exceeded, 0, other, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_FOUND);
	assert_int_equal(r.dir, NL_CT_DIR_ORIG);
	assert_int_equal(r.related, 1);
	/* The whole quoted packet rather than 8 bytes of it: the same. */
	assert_int_equal(icmp_err(&e, rt, c, unreach, 3, orig, c->v6 ? 60 : 40), 0);
	assert_int_equal(nl_ct_lookup(ct, &e, 5, &r), NL_CT_FOUND);

	nl_ct_stats_get(ct, &st0);
	/* An unrelated connection (other client port): not matched. */
	tcp_frame(other, c, 1001, s, 80, ACK, 101, 501, 0);
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, other, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_INVALID);
	/* Well formed, but the quote gives no key: invalid, not malformed. Sent
	 * to someone other than the quoted packet's sender: */
	assert_int_equal(icmp_err(&e, rt, s, unreach, 0, orig, ql), 0);
	assert_int_equal(e.kind, NL_CT_K_ICMP_NOKEY);
	assert_int_equal(e.hash, 0);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_INVALID);
	assert_int_equal(nl_ct_lookup(ct, &e, 5, &r), NL_CT_INVALID);
	assert_int_equal(nl_ct_update(ct, &e, 5, &r), -ENOENT);
	assert_int_equal(nl_ct_create(ct, &e, 5, &r), -EINVAL);
	/* an error about an error; */
	n = icmp_frame(other, rt, c, unreach, 0, 0, orig + 14, ql);
	assert_int_equal(icmp_err(&e, rt, rt, exceeded, 0, other, ql), 0);
	assert_int_equal(e.kind, NL_CT_K_ICMP_NOKEY);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_INVALID);
	(void)n;
	/* about a GRE packet (protocol 47, 8 bytes of its header quoted). */
	memcpy(other, orig, 14 + ql);
	other[14 + (c->v6 ? 6 : 9)] = 47;
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, other, ql), 0);
	assert_int_equal(e.kind, NL_CT_K_ICMP_NOKEY);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_INVALID);
	/* IPv4: about a later fragment (offset 128 bytes: no ports in it). */
	if (!c->v6) {
		memcpy(other, orig, 14 + ql);
		other[14 + 6] = 0x00;
		other[14 + 7] = 0x10;
		assert_int_equal(icmp_err(&e, rt, c, unreach, 0, other, ql), 0);
		assert_int_equal(e.kind, NL_CT_K_ICMP_NOKEY);
	}
	/* Quote cut short: IP header and 7 bytes; and only part of the IP header. */
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, orig, ql - 1), -EINVAL);
	assert_int_equal(e.kind, NL_CT_K_MALFORMED);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_INVALID);
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, orig, 10), -EINVAL);
	assert_int_equal(e.kind, NL_CT_K_MALFORMED);
	/* A quote of the error's own family only. */
	memcpy(other, orig, 14 + ql);
	other[14] = c->v6 ? 0x45 : 0x65;
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, other, ql), -EINVAL);
	assert_int_equal(e.kind, NL_CT_K_MALFORMED);
	nl_ct_stats_get(ct, &st1);
	assert_int_equal(st1.invalid, st0.invalid + 6);

	/* UDP and ping. */
	assert_int_equal(fw(ct, &u, 10, &r), NL_CT_NEW);
	udp_frame(orig, c, 4000, s, 53);
	assert_int_equal(icmp_err(&e, rt, c, unreach, 3, orig, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 11, &r), NL_CT_FOUND);
	assert_int_equal(r.state, NL_CT_UDP_UNREPLIED); /* an error is not a reply */
	assert_int_equal(r.dir, NL_CT_DIR_REPLY);
	udp_frame(orig, c, 4001, s, 53);
	assert_int_equal(icmp_err(&e, rt, c, unreach, 3, orig, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 11, &r), NL_CT_INVALID);

	e = echo(c, s, 1, 9);
	assert_int_equal(fw(ct, &e, 12, &r), NL_CT_NEW);
	icmp_frame(orig, c, s, echo_req, 0, 9, NULL, 0);
	assert_int_equal(icmp_err(&e, rt, c, exceeded, 0, orig, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 13, &r), NL_CT_FOUND);
	assert_int_equal(r.state, NL_CT_ICMP_UNREPLIED);
	icmp_frame(orig, c, s, echo_req, 0, 10, NULL, 0);
	assert_int_equal(icmp_err(&e, rt, c, exceeded, 0, orig, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 13, &r), NL_CT_INVALID);

	/* Other ICMP messages are not tracked (v4 timestamp, v6 neighbour solicitation). */
	n = icmp_frame(buf, c, s, c->v6 ? 135 : 13, 0, 1, NULL, 0);
	assert_int_equal(classify(buf, n, &e), 0);
	assert_int_equal(e.kind, NL_CT_K_UNTRACKED);
	assert_int_equal(nl_ct_track(ct, &e, 14, &r), NL_CT_UNTRACKED);
	nl_ct_free(ct);
}

static void
test_icmp_errors(void **state)
{
	(void)state;
	icmp_errors(&H4a, &H4b, &H4r, 3, 11, 8);
	icmp_errors(&H6a, &H6b, &H6r, 1, 3, 128);
}

/*
 * A UDP frame from @c:4000 to @s:53 in @buf with the extension headers @ext
 * (@elen bytes, the last one's next header 17) after its IPv6 header, whose
 * next header is @nh. Returns the length of a quote of it: the IPv6 header,
 * the extension headers and the UDP header.
 */
static size_t
quote6(uint8_t *buf, const struct host *c, const struct host *s, uint8_t nh, const uint8_t *ext,
       size_t elen)
{
	uint8_t *ip = buf + 14;

	udp_frame(buf, c, 4000, s, 53);
	memmove(ip + 40 + elen, ip + 40, 12);
	memcpy(ip + 40, ext, elen);
	ip[6] = nh;
	put16(ip + 4, (uint32_t)(elen + 12));
	return 40 + elen + 8;
}

/*
 * ICMPv6 errors quoting a packet with extension headers (a hop-by-hop
 * header, a first fragment): the tracker looks past them, as at the
 * packets themselves. A later fragment's quote gives no key; a quote cut
 * inside its extension headers is malformed.
 */
static void
test_icmp6_error_ext_headers(void **state)
{
	static const uint8_t hbh[8] = { 17, 0, 1, 4 }, frag0[8] = { 17, 0, 0, 1, 0, 0, 0, 9 },
			     frag1[8] = { 17, 0, 0, 0x10, 0, 0, 0, 9 },
			     two[16] = { 44, 0, 1, 4, [8] = 17, 0, 0, 1, 0, 0, 0, 9 };
	const struct host *c = &H6a, *s = &H6b;
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt u = udp(c, 4000, s, 53), e;
	struct nl_ct_result r;
	uint8_t q[256];
	size_t ql;

	(void)state;
	assert_int_equal(fw(ct, &u, 0, &r), NL_CT_NEW);
	ql = quote6(q, c, s, 0, hbh, sizeof(hbh));
	assert_int_equal(icmp_err(&e, &H6r, c, 2, 0, q, ql), 0); /* packet too big */
	assert_int_equal(e.kind, NL_CT_K_ICMP_ERROR);
	assert_int_equal(nl_ct_track(ct, &e, 1, &r), NL_CT_FOUND);
	assert_int_equal(r.related, 1);
	assert_int_equal(r.dir, NL_CT_DIR_REPLY);
	ql = quote6(q, c, s, 44, frag0, sizeof(frag0));
	assert_int_equal(icmp_err(&e, &H6r, c, 1, 4, q, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 1, &r), NL_CT_FOUND);
	ql = quote6(q, c, s, 0, two, sizeof(two));
	assert_int_equal(icmp_err(&e, &H6r, c, 3, 0, q, ql), 0);
	assert_int_equal(nl_ct_track(ct, &e, 1, &r), NL_CT_FOUND);
	/* A later fragment (offset 16): no ports in it. */
	ql = quote6(q, c, s, 44, frag1, sizeof(frag1));
	assert_int_equal(icmp_err(&e, &H6r, c, 3, 0, q, ql), 0);
	assert_int_equal(e.kind, NL_CT_K_ICMP_NOKEY);
	/* Cut inside the second extension header, and 7 bytes into the UDP header. */
	ql = quote6(q, c, s, 0, two, sizeof(two));
	assert_int_equal(icmp_err(&e, &H6r, c, 3, 0, q, 40 + 12), -EINVAL);
	assert_int_equal(e.kind, NL_CT_K_MALFORMED);
	assert_int_equal(icmp_err(&e, &H6r, c, 3, 0, q, ql - 1), -EINVAL);
	nl_ct_free(ct);
}

static void
test_families_apart(void **state)
{
	/* An IPv6 address whose first 4 bytes are an IPv4 address in use. */
	static const struct host h6x = { 1, { 10, 0, 0, 1 } }, h6y = { 1, { 10, 0, 0, 2 } };
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt a = udp(&H4a, 1, &H4b, 2), b = udp(&h6x, 1, &h6y, 2);
	struct nl_ct_result r;

	(void)state;
	assert_int_equal(fw(ct, &a, 0, &r), NL_CT_NEW);
	assert_int_equal(lookup(ct, b, 0), NL_CT_NEW);
	assert_int_equal(fw(ct, &b, 0, &r), NL_CT_NEW);
	assert_int_not_equal(memcmp(&a.key, &b.key, sizeof(a.key)), 0);
	/* The hash is the CRC32-C register over the key's 40 bytes (as rte_hash_crc gives). */
	assert_int_equal(a.hash, nl_crc32c_sw(&a.key, sizeof(a.key), 0xffffffffu));
	assert_int_equal(b.hash, nl_crc32c_sw(&b.key, sizeof(b.key), 0xffffffffu));
	nl_ct_free(ct);
}

/* A table of one bucket (8 entries): what a full bucket does. */
static void
test_eviction(void **state)
{
	struct nl_ct *ct = table(8);
	struct nl_ct_pkt p[10];
	struct nl_ct_result r;
	struct nl_ct_stats st;
	int i;

	(void)state;
	assert_int_equal(nl_ct_capacity(ct), 8);
	for (i = 0; i < 10; i++)
		p[i] = udp(&H4a, (uint16_t)(2000 + i), &H4b, 53);
	for (i = 0; i < 8; i++)
		assert_int_equal(fw(ct, &p[i], (uint64_t)i * 10, &r), NL_CT_NEW);
	/* Renew p[0]: p[1] is now closest to expiry and goes first. */
	expect_ok(ct, p[0], 100, NL_CT_DIR_ORIG, NL_CT_UDP_UNREPLIED);
	assert_int_equal(fw(ct, &p[8], 101, &r), NL_CT_NEW);
	assert_int_equal(lookup(ct, p[1], 102), NL_CT_NEW);
	assert_int_equal(fw(ct, &p[9], 103, &r), NL_CT_NEW);
	assert_int_equal(lookup(ct, p[2], 104), NL_CT_NEW);
	for (i = 0; i < 10; i++)
		if (i != 1 && i != 2)
			assert_int_equal(lookup(ct, p[i], 104), NL_CT_FOUND);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.entries, 8);
	assert_int_equal(st.created, 10);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.expired, 0);
	/* Everything expired: a new connection takes an expired way, counted as expired. */
	assert_int_equal(fw(ct, &p[1], 1000000, &r), NL_CT_NEW);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.entries, 8);
	nl_ct_free(ct);

	/* Assured (replied) connections are not evicted: the new one is refused. */
	ct = table(8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(fw(ct, &p[i], 0, &r), NL_CT_NEW);
		expect_ok(ct, udp(&H4b, 53, &H4a, (uint16_t)(2000 + i)), 1, NL_CT_DIR_REPLY,
			  NL_CT_UDP_REPLIED);
	}
	assert_int_equal(nl_ct_track(ct, &p[8], 2, &r), NL_CT_NEW);
	assert_int_equal(nl_ct_create(ct, &p[8], 2, &r), -ENOSPC);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.entries, 8);
	/* Once they expire, there is room again. */
	assert_int_equal(nl_ct_create(ct, &p[8], 1 + TO_UDP_REPLIED, &r), 0);
	nl_ct_free(ct);
}


/*
 * Each key has two candidate buckets: a table takes 60% of its capacity in
 * random connections before it has to evict any (one bucket per key would
 * start evicting at about a quarter).
 */
static void
test_fill_level(void **state)
{
	enum { CAP = 16384 };
	struct nl_ct *ct = table(CAP);
	struct nl_ct_result r;
	struct nl_ct_stats st;
	uint64_t seed = 99;
	int i;

	(void)state;
	for (i = 0; i < CAP * 6 / 10; i++) {
		uint32_t a = (uint32_t)xrand(&seed);
		struct host h = { 0, { 0 } };
		struct nl_ct_pkt p;

		memcpy(h.a, &a, 4);
		p = udp(&h, (uint16_t)xrand(&seed), &H4b, 53);
		if (fw(ct, &p, 0, &r) != NL_CT_NEW)
			continue; /* drawn twice */
	}
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.entries, st.created);
	assert_true(st.created > CAP * 6 / 10 - 10);
	nl_ct_free(ct);
}

/*
 * A SYN flood from random sources into a 4096-entry table holding 300
 * established connections: the table never holds more than its capacity,
 * every refused or pushed-out connection is counted, and no established
 * connection is lost (they are assured, hence never evicted).
 * (The SYNs come within 1 s: nothing expires.)
 */
static void
test_syn_flood(void **state)
{
	enum { CAP = 4096, EST = 300, FLOOD = 100000 };
	struct nl_ct_config cfg = { .capacity = CAP };
	struct nl_ct *ct;
	struct nl_ct_result r;
	struct nl_ct_stats st;
	uint64_t seed = 42, refused = 0, ok = 0;
	struct host c = { 0, { 172, 16, 0, 0 } };
	int i, rc;

	(void)state;
	/*
	 * Established connections expire before the flood's SYN_SENT ones here:
	 * only their protection keeps them from being the first to go.
	 */
	cfg.timeout_ms[NL_CT_TCP_ESTABLISHED] = 60000;
	ct = nl_ct_new(&cfg);
	assert_non_null(ct);
	for (i = 0; i < EST; i++) {
		c.a[2] = (uint8_t)(i >> 8);
		c.a[3] = (uint8_t)i;
		handshake(ct, &c, &H4b, 0);
	}
	for (i = 0; i < FLOOD; i++) {
		struct host f = { 0, { 0 } };
		uint32_t src = (uint32_t)xrand(&seed);
		struct nl_ct_pkt p;

		memcpy(f.a, &src, 4);
		p = tcp(&f, (uint16_t)(xrand(&seed) | 1024), &H4b, 80, SYN, (uint32_t)i, 0);
		if (nl_ct_track(ct, &p, 1 + (uint64_t)i / 100, &r) != NL_CT_NEW)
			continue; /* the same random source twice */
		rc = nl_ct_create(ct, &p, 1 + (uint64_t)i / 100, &r);
		if (rc == -ENOSPC)
			refused++;
		else if (rc == 0)
			ok++;
		else
			fail_msg("create: %d", rc);
		if (i % 1000 == 0) {
			nl_ct_stats_get(ct, &st);
			assert_true(st.entries <= CAP);
		}
	}
	nl_ct_stats_get(ct, &st);
	assert_true(st.entries <= CAP);
	assert_int_equal(st.created, EST + ok);
	assert_int_equal(st.full, refused);
	assert_true(st.evicted > 0);
	assert_int_equal(st.entries, st.created - st.evicted - st.expired);
	assert_int_equal(st.state[NL_CT_TCP_ESTABLISHED], EST);
	for (i = 0; i < EST; i++) {
		const struct host *s = &H4b;

		c.a[2] = (uint8_t)(i >> 8);
		c.a[3] = (uint8_t)i;
		expect_ok(ct, tcp(&c, 1000, s, 80, ACK, 101, 501), 2000, NL_CT_DIR_ORIG,
			  NL_CT_TCP_ESTABLISHED);
	}
	nl_ct_free(ct);
}

/* The two-step API: look, then update; the connection may be gone between them. */
static void
test_lookup_then_update(void **state)
{
	const struct host *c = &H4a, *s = &H4b;
	struct nl_ct *ct = table(8); /* one bucket */
	struct nl_ct_pkt syn = C_(SYN, 100, 0), synack = S_(SYN | ACK, 500, 101), u;
	struct nl_ct_result r, r2;
	struct nl_ct_stats st;
	int i;

	(void)state;
	assert_int_equal(nl_ct_lookup(ct, &syn, 0, &r), NL_CT_NEW);
	assert_int_equal(nl_ct_update(ct, &syn, 0, &r), -ENOENT);
	assert_int_equal(nl_ct_create(ct, &syn, 0, &r), 0);
	assert_int_equal(nl_ct_lookup(ct, &synack, 1, &r), NL_CT_FOUND);
	assert_int_equal(r.state, NL_CT_TCP_SYN_SENT); /* a lookup changes nothing */
	assert_int_equal(r.dir, NL_CT_DIR_REPLY);
	assert_int_equal(nl_ct_lookup(ct, &synack, 1, &r2), NL_CT_FOUND);
	assert_int_equal(r2.state, NL_CT_TCP_SYN_SENT);
	assert_int_equal(nl_ct_update(ct, &synack, 1, &r), 0);
	assert_int_equal(r.state, NL_CT_TCP_SYN_RECV);
	assert_true(r.valid);
	assert_int_equal(r.expire, 1 + TO_SYN_RECV);
	assert_int_equal(nl_ct_update(ct, &syn, 2, &r), 0); /* SYN again: retransmission */
	r.slot = 12345; /* a wrong hint is only a hint */
	assert_int_equal(nl_ct_update(ct, &synack, 2, &r), 0);
	assert_int_equal(nl_ct_update(ct, &(struct nl_ct_pkt){ 0 }, 2, &r), -ENOENT);
	r.slot = UINT32_MAX;
	assert_int_equal(nl_ct_update(ct, &syn, 3, &r), 0);
	{
		struct nl_ct_pkt bad = S_(ACK, 501, 101);

		assert_int_equal(nl_ct_lookup(ct, &bad, 3, &r), NL_CT_FOUND);
		assert_int_equal(nl_ct_update(ct, &bad, 3, &r), -EPROTO);
		assert_false(r.valid);
		assert_int_equal(r.state, NL_CT_TCP_SYN_RECV);
	}
	/*
	 * Found, then pushed out by eight newer connections before the update
	 * (at 40 s, when it expires at 60 s and they at 70 s: it goes first).
	 */
	assert_int_equal(nl_ct_lookup(ct, &synack, 40000, &r), NL_CT_FOUND);
	for (i = 0; i < 8; i++) {
		u = udp(&H4r, (uint16_t)(100 + i), &H4b, 53);
		assert_int_equal(nl_ct_create(ct, &u, 40000, &r2), 0);
	}
	assert_int_equal(nl_ct_update(ct, &synack, 40001, &r), -ENOENT);
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.state[NL_CT_TCP_SYN_RECV], 0);
	assert_int_equal(st.state[NL_CT_UDP_UNREPLIED], 8);
	nl_ct_free(ct);
}

/* A burst gives what the packets one by one would, in order. */
static void
test_track_burst(void **state)
{
	static const struct host c1 = { 0, { 10, 1, 0, 1 } }, c2 = { 0, { 10, 1, 0, 2 } },
				 c3 = { 1, { 0xfd, [15] = 3 } }, s3 = { 1, { 0xfd, [15] = 4 } };
	struct nl_ct *ct = table(64);
	struct nl_ct_pkt p[NL_CT_BURST_MAX + 1];
	struct nl_ct_result r[NL_CT_BURST_MAX + 1];
	uint8_t st[NL_CT_BURST_MAX + 1], arp[60] = { [12] = 0x08, [13] = 0x06 };
	static const struct {
		uint8_t status, dir, state, valid;
	} want[] = {
		{ NL_CT_FOUND, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED, 1 },
		{ NL_CT_FOUND, NL_CT_DIR_REPLY, NL_CT_TCP_ESTABLISHED, 1 },
		{ NL_CT_FOUND, NL_CT_DIR_ORIG, NL_CT_TCP_FIN_WAIT, 1 },
		{ NL_CT_FOUND, NL_CT_DIR_REPLY, NL_CT_TCP_CLOSE_WAIT, 1 },
		{ NL_CT_FOUND, NL_CT_DIR_REPLY, NL_CT_TCP_ESTABLISHED, 0 }, /* the server's SYN */
		{ NL_CT_NEW, 0, 0, 0 },
		{ NL_CT_INVALID, 0, 0, 0 },
		{ NL_CT_UNTRACKED, 0, 0, 0 },
	};
	unsigned int i;

	(void)state;
	handshake(ct, &c1, &H4b, 0);
	handshake(ct, &c2, &H4b, 0);
	handshake(ct, &c3, &s3, 0);
	p[0] = tcp(&c1, 1000, &H4b, 80, ACK, 101, 501);
	p[1] = tcp(&H4b, 80, &c2, 1000, ACK, 501, 101);
	p[2] = tcp(&c3, 1000, &s3, 80, FIN | ACK, 101, 501);
	p[3] = tcp(&s3, 80, &c3, 1000, ACK, 501, 102);
	p[4] = tcp(&H4b, 80, &c1, 1000, SYN, 7, 0);
	p[5] = tcp(&c1, 1001, &H4b, 80, SYN, 7, 0);
	p[6] = tcp(&c1, 1001, &H4b, 80, ACK, 7, 0);
	assert_int_equal(classify(arp, sizeof(arp), &p[7]), 0);
	assert_int_equal(nl_ct_track_burst(ct, p, 8, 1, st, r), 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(st[i], want[i].status);
		if (st[i] != NL_CT_FOUND)
			continue;
		assert_int_equal(r[i].dir, want[i].dir);
		assert_int_equal(r[i].state, want[i].state);
		assert_int_equal(r[i].valid, want[i].valid);
	}
	assert_int_equal(nl_ct_track_burst(ct, p, 0, 1, st, r), 0);
	assert_int_equal(nl_ct_track_burst(ct, p, NL_CT_BURST_MAX + 1, 1, st, r), -EINVAL);
	nl_ct_free(ct);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_open_close),
		cmocka_unit_test(test_tcp_close_server_first_and_simultaneous),
		cmocka_unit_test(test_tcp_simultaneous_open),
		cmocka_unit_test(test_tcp_rst),
		cmocka_unit_test(test_tcp_invalid),
		cmocka_unit_test(test_tcp_reopen),
		cmocka_unit_test(test_tcp_timeouts),
		cmocka_unit_test(test_configured_timeouts),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_echo_both_ways),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_icmp6_error_ext_headers),
		cmocka_unit_test(test_families_apart),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_fill_level),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_lookup_then_update),
		cmocka_unit_test(test_track_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
