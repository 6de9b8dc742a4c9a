/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_conntrack — the connection tracker. Packets are raw bytes written
 * here field by field (Ethernet, IPv4/IPv6, TCP/UDP/ICMP), parsed with
 * nl_parse() as an NF would, then classified and tracked. Expected states,
 * directions and timeouts are written out in the tests (the timeouts are the
 * documented defaults, typed in again here), and the randomised test checks
 * the table against a reference model of its own kept in this file.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nl_conntrack.h"
#include "nl_flowtab.h"
#include "nl_hdr.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

/* The documented default timeouts, in ms. */
#define TO_SYN_SENT 120000u
#define TO_SYN_RECV 60000u
#define TO_ESTABLISHED 432000000u
#define TO_FIN_WAIT 120000u
#define TO_CLOSE_WAIT 60000u
#define TO_LAST_ACK 30000u
#define TO_TIME_WAIT 120000u
#define TO_CLOSE 10000u
#define TO_UDP 30000u
#define TO_UDP_REPLIED 120000u
#define TO_ICMP 30000u

struct host {
	int v6;
	uint8_t a[16];
};

static const struct host H4a = { 0, { 10, 0, 0, 1 } };
static const struct host H4b = { 0, { 10, 0, 0, 2 } };
static const struct host H4r = { 0, { 192, 168, 7, 1 } }; /* a router */
static const struct host H6a = { 1, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
static const struct host H6b = { 1, { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };
static const struct host H6r = { 1, { 0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 1 } };

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Ethernet + IP header around the @l4len bytes at @l4; returns the frame length. */
static size_t
frame(uint8_t *buf, const struct host *s, const struct host *d, uint8_t proto,
      const uint8_t *l4, size_t l4len)
{
	uint8_t *ip = buf + 14;

	memset(buf, 0, 14 + 40);
	buf[0] = 0x02;
	buf[6] = 0x02;
	buf[12] = s->v6 ? 0x86 : 0x08;
	buf[13] = s->v6 ? 0xdd : 0x00;
	if (!s->v6) {
		ip[0] = 0x45;
		put16(ip + 2, (uint32_t)(20 + l4len));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, s->a, 4);
		memcpy(ip + 16, d->a, 4);
		memcpy(ip + 20, l4, l4len);
		return 34 + l4len;
	}
	put32(ip, 0x60000000u);
	put16(ip + 4, (uint32_t)l4len);
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, s->a, 16);
	memcpy(ip + 24, d->a, 16);
	memcpy(ip + 40, l4, l4len);
	return 54 + l4len;
}

static size_t
tcp_frame(uint8_t *buf, const struct host *s, uint16_t sp, const struct host *d, uint16_t dp,
	  uint8_t flags, uint32_t seq, uint32_t ack, uint16_t plen)
{
	uint8_t l4[20 + 64] = { 0 };

	put16(l4, sp);
	put16(l4 + 2, dp);
	put32(l4 + 4, seq);
	put32(l4 + 8, ack);
	l4[12] = 0x50;
	l4[13] = flags;
	put16(l4 + 14, 8192);
	memset(l4 + 20, 'x', plen);
	return frame(buf, s, d, 6, l4, 20u + plen);
}

static size_t
udp_frame(uint8_t *buf, const struct host *s, uint16_t sp, const struct host *d, uint16_t dp)
{
	uint8_t l4[12] = { 0 };

	put16(l4, sp);
	put16(l4 + 2, dp);
	put16(l4 + 4, sizeof(l4));
	memcpy(l4 + 8, "ping", 4);
	return frame(buf, s, d, 17, l4, sizeof(l4));
}

/* ICMP(v6) message @type/@code with id/seq words, or a quote (@q of @qlen bytes). */
static size_t
icmp_frame(uint8_t *buf, const struct host *s, const struct host *d, uint8_t type,
	   uint8_t code, uint16_t id, const uint8_t *q, size_t qlen)
{
	uint8_t l4[8 + 128] = { 0 };

	l4[0] = type;
	l4[1] = code;
	if (q == NULL) {
		put16(l4 + 4, id);
		put16(l4 + 6, 1);
	} else {
		memcpy(l4 + 8, q, qlen);
	}
	return frame(buf, s, d, s->v6 ? 58 : 1, l4, 8 + qlen);
}

/* Parse and classify; the frame must parse. Returns nl_ct_pkt_init()'s result. */
static int
classify(const uint8_t *buf, size_t len, struct nl_ct_pkt *cp)
{
	struct nl_parsed pp;

	assert_int_equal(nl_parse(buf, (uint32_t)len, &pp), 0);
	return nl_ct_pkt_init(buf, (uint32_t)len, &pp, cp);
}

static struct nl_ct_pkt
tcp(const struct host *s, uint16_t sp, const struct host *d, uint16_t dp, uint8_t flags,
    uint32_t seq, uint32_t ack)
{
	uint8_t buf[256];
	struct nl_ct_pkt cp;

	assert_int_equal(classify(buf, tcp_frame(buf, s, sp, d, dp, flags, seq, ack, 0), &cp), 0);
	assert_int_equal(cp.kind, NL_CT_K_TCP);
	return cp;
}

static struct nl_ct_pkt
udp(const struct host *s, uint16_t sp, const struct host *d, uint16_t dp)
{
	uint8_t buf[256];
	struct nl_ct_pkt cp;

	assert_int_equal(classify(buf, udp_frame(buf, s, sp, d, dp), &cp), 0);
	assert_int_equal(cp.kind, NL_CT_K_UDP);
	return cp;
}

static struct nl_ct_pkt
echo(const struct host *s, const struct host *d, int request, uint16_t id)
{
	uint8_t buf[256];
	struct nl_ct_pkt cp;
	uint8_t type = s->v6 ? (request ? 128 : 129) : (request ? 8 : 0);

	assert_int_equal(classify(buf, icmp_frame(buf, s, d, type, 0, id, NULL, 0), &cp), 0);
	return cp;
}

/*
 * ICMP error @type/@code from router @r to @to, quoting the IP header and
 * first 8 L4 bytes of the frame @orig (as built by the functions above).
 */
static int
icmp_err(struct nl_ct_pkt *cp, const struct host *r, const struct host *to, uint8_t type,
	 uint8_t code, const uint8_t *orig, size_t qlen)
{
	uint8_t buf[256];

	return classify(buf, icmp_frame(buf, r, to, type, code, 0, orig + 14, qlen), cp);
}

static struct nl_ct *
table(uint32_t capacity)
{
	struct nl_ct_config cfg = { .capacity = capacity };
	struct nl_ct *ct = nl_ct_new(&cfg);

	assert_non_null(ct);
	return ct;
}

/* What the firewall does: track; when new, create. Returns the track status. */
static int
fw(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now, struct nl_ct_result *r)
{
	int st = nl_ct_track(ct, p, now, r);

	if (st == NL_CT_NEW)
		assert_int_equal(nl_ct_create(ct, p, now, r), 0);
	return st;
}

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
	expect_invalid(ct, S_(SYN, 1, 0), 2, NL_CT_TCP_CLOSE); /* only the opener reopens */
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
	expect_invalid(ct, S_(SYN, 1, 0), 4, NL_CT_TCP_TIME_WAIT);
	expect_ok(ct, C_(SYN, 5000, 0), 5, NL_CT_DIR_ORIG, NL_CT_TCP_SYN_SENT);
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
	expect_invalid(ct, C_(SYN, 100, 0), 7, NL_CT_TCP_ESTABLISHED);
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
	expect_invalid(ct, C_(SYN, 1, 0), t + 2 * TO_ESTABLISHED - 10, NL_CT_TCP_ESTABLISHED);
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
	expect_invalid(ct, echo(b, a, 1, 77), 2, NL_CT_ICMP_UNREPLIED); /* request, wrong way */
	expect_invalid(ct, echo(a, b, 0, 77), 2, NL_CT_ICMP_UNREPLIED); /* reply, wrong way */
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
	/* Sent to someone other than the quoted packet's sender. */
	assert_int_equal(icmp_err(&e, rt, s, unreach, 0, orig, ql), -EINVAL);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_INVALID);
	/* Quote cut short: IP header and 7 bytes; and only part of the IP header. */
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, orig, ql - 1), -EINVAL);
	assert_int_equal(e.kind, NL_CT_K_MALFORMED);
	assert_int_equal(nl_ct_track(ct, &e, 5, &r), NL_CT_INVALID);
	assert_int_equal(icmp_err(&e, rt, c, unreach, 0, orig, 10), -EINVAL);
	/* An error about an error is not followed. */
	n = icmp_frame(other, rt, c, unreach, 0, 0, orig + 14, ql);
	assert_int_equal(icmp_err(&e, rt, rt, exceeded, 0, other, ql), -EINVAL);
	(void)n;
	nl_ct_stats_get(ct, &st1);
	assert_int_equal(st1.invalid, st0.invalid + 3);

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

static uint64_t
xrand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
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
		{ NL_CT_FOUND, NL_CT_DIR_ORIG, NL_CT_TCP_ESTABLISHED, 0 }, /* SYN */
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
	p[4] = tcp(&c1, 1000, &H4b, 80, SYN, 7, 0);
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

/* Truncated and bogus headers: classified as malformed, invalid, never a crash. */
static void
test_malformed(void **state)
{
	struct nl_ct *ct = table(64);
	uint8_t buf[256], junk[128];
	struct nl_parsed pp;
	struct nl_ct_pkt p;
	struct nl_ct_result r;
	uint64_t seed = 7;
	size_t n;
	int i, k;

	(void)state;
	/* TCP data offset below 5, and beyond the segment. */
	n = tcp_frame(buf, &H4a, 1, &H4b, 2, SYN, 1, 0, 0);
	buf[14 + 20 + 12] = 0x40;
	assert_int_equal(classify(buf, n, &p), -EINVAL);
	assert_int_equal(p.kind, NL_CT_K_MALFORMED);
	assert_int_equal(nl_ct_track(ct, &p, 0, &r), NL_CT_INVALID);
	assert_int_equal(nl_ct_create(ct, &p, 0, &r), -EINVAL);
	buf[14 + 20 + 12] = 0x60;
	assert_int_equal(classify(buf, n, &p), -EINVAL);
	/* ICMP header cut to 4 bytes. */
	n = icmp_frame(buf, &H4a, &H4b, 8, 0, 1, NULL, 0);
	buf[14 + 3] = 20 + 4; /* IPv4 total length */
	assert_int_equal(classify(buf, n - 4, &p), -EINVAL);
	/* A parsed record that does not fit the frame. */
	n = udp_frame(buf, &H4a, 1, &H4b, 2);
	assert_int_equal(nl_parse(buf, (uint32_t)n, &pp), 0);
	pp.l3_len = 200;
	assert_int_equal(nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p), -EINVAL);
	pp.l3_len = (uint16_t)(n - 14);
	pp.l4_off = 250;
	assert_int_equal(nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p), -EINVAL);
	/* Not IP, and a later fragment: untracked. */
	memset(buf, 0, 64);
	buf[12] = 0x08;
	buf[13] = 0x06;
	assert_int_equal(classify(buf, 60, &p), 0);
	assert_int_equal(nl_ct_track(ct, &p, 0, &r), NL_CT_UNTRACKED);
	n = udp_frame(buf, &H4a, 1, &H4b, 2);
	buf[14 + 6] = 0x00;
	buf[14 + 7] = 0x10; /* offset 128 bytes */
	assert_int_equal(classify(buf, n, &p), 0);
	assert_int_equal(p.kind, NL_CT_K_UNTRACKED);

	/* Random mutations and cuts of valid frames of every kind, tracked. */
	for (i = 0; i < 200000; i++) {
		switch (i % 5) {
		case 0: n = tcp_frame(buf, &H4a, 1, &H4b, 2, SYN, 1, 0, 4); break;
		case 1: n = udp_frame(buf, &H6a, 1, &H6b, 2); break;
		case 2: n = icmp_frame(buf, &H4a, &H4b, 8, 0, 1, NULL, 0); break;
		case 3:
			tcp_frame(junk, &H4a, 1, &H4b, 2, ACK, 1, 0, 0);
			n = icmp_frame(buf, &H4r, &H4a, 3, 0, 0, junk + 14, 28);
			break;
		default:
			tcp_frame(junk, &H6a, 1, &H6b, 2, ACK, 1, 0, 0);
			n = icmp_frame(buf, &H6r, &H6a, 1, 0, 0, junk + 14, 48);
			break;
		}
		for (k = (int)(xrand(&seed) % 4); k >= 0; k--)
			buf[xrand(&seed) % n] = (uint8_t)xrand(&seed);
		n -= xrand(&seed) % 3 == 0 ? xrand(&seed) % n : 0;
		/* Even what nl_parse() refused: its partial record must be safe too. */
		nl_parse(buf, (uint32_t)n, &pp);
		nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p);
		if (nl_ct_track(ct, &p, (uint64_t)i, &r) == NL_CT_NEW)
			nl_ct_create(ct, &p, (uint64_t)i, &r);
	}
	nl_ct_free(ct);
}

/* ---- randomised test against a reference model ---------------------------- */

/*
 * The model keeps its connections in a plain array searched linearly, keyed
 * by (protocol, unordered pair of endpoint numbers, ICMP id), and follows
 * the documented rules written out below in the form of a per-end record
 * (which ends sent SYN, SYN+ACK, FIN; whose FIN was acked).
 */
#define M_HOSTS 6 /* 0-3 IPv4, 4-5 IPv6 */
#define M_PORTS 2
#define M_CONNS 256

struct m_conn {
	int used;
	int proto;         /* 6, 17, 1 */
	int lo, hi;        /* endpoint numbers (host * M_PORTS + port), lo < hi */
	int id;            /* ICMP */
	int orig;          /* the endpoint that opened it */
	int state;
	int synack_by;     /* endpoint that sent the SYN+ACK, or -1 */
	int crossed;       /* both ends sent a SYN */
	int fin_by[2];     /* [0]: lo, [1]: hi */
	uint32_t fin_next[2];
	int fin_acked[2];
	uint64_t expire;
};

static struct host m_hosts[M_HOSTS];
static const uint16_t m_port[M_PORTS] = { 1111, 80 };

static struct m_conn *
m_find(struct m_conn *m, int proto, int a, int b, int id, uint64_t now)
{
	int lo = a < b ? a : b, hi = a < b ? b : a, i;

	for (i = 0; i < M_CONNS; i++)
		if (m[i].used && m[i].proto == proto && m[i].lo == lo && m[i].hi == hi &&
		    m[i].id == id) {
			if (now >= m[i].expire) {
				m[i].used = 0;
				return NULL;
			}
			return &m[i];
		}
	return NULL;
}

static int
m_timeout(int state)
{
	switch (state) {
	case NL_CT_TCP_SYN_SENT: return TO_SYN_SENT;
	case NL_CT_TCP_SYN_SENT2: return 120000;
	case NL_CT_TCP_SYN_RECV: return TO_SYN_RECV;
	case NL_CT_TCP_ESTABLISHED: return TO_ESTABLISHED;
	case NL_CT_TCP_FIN_WAIT: return TO_FIN_WAIT;
	case NL_CT_TCP_CLOSE_WAIT: return TO_CLOSE_WAIT;
	case NL_CT_TCP_LAST_ACK: return TO_LAST_ACK;
	case NL_CT_TCP_TIME_WAIT: return TO_TIME_WAIT;
	case NL_CT_TCP_CLOSE: return TO_CLOSE;
	case NL_CT_UDP_UNREPLIED: return TO_UDP;
	case NL_CT_UDP_REPLIED: return TO_UDP_REPLIED;
	default: return TO_ICMP;
	}
}

/* The model's TCP rules: the new state of @c for a segment from @from, or -1 if invalid. */
static int
m_tcp(struct m_conn *c, int from, int flags, uint32_t seq, uint32_t ack)
{
	int me = from == c->hi, peer = !me, st = c->state, opener = from == c->orig;
	int syn = flags & SYN, ackf = flags & ACK, fin = flags & FIN, rst = flags & RST;
	int fins, acks;

	if (rst)
		return syn ? -1 : NL_CT_TCP_CLOSE;
	if (syn && fin)
		return -1;
	if (syn && !ackf) {
		if (st == NL_CT_TCP_SYN_SENT && opener)
			return st;
		if (st == NL_CT_TCP_SYN_SENT) {
			c->crossed = 1;
			return NL_CT_TCP_SYN_SENT2;
		}
		if (st == NL_CT_TCP_SYN_SENT2)
			return st;
		if (st == NL_CT_TCP_SYN_RECV && (opener || c->crossed))
			return st;
		if ((st == NL_CT_TCP_TIME_WAIT || st == NL_CT_TCP_CLOSE) && opener) {
			c->crossed = 0;
			c->synack_by = -1;
			c->fin_by[0] = c->fin_by[1] = 0;
			c->fin_acked[0] = c->fin_acked[1] = 0;
			return NL_CT_TCP_SYN_SENT;
		}
		return -1;
	}
	if (syn) { /* SYN+ACK */
		if ((st == NL_CT_TCP_SYN_SENT && !opener) || st == NL_CT_TCP_SYN_SENT2) {
			c->synack_by = from;
			return NL_CT_TCP_SYN_RECV;
		}
		if (st == NL_CT_TCP_SYN_RECV && from == c->synack_by)
			return st;
		if (st == NL_CT_TCP_SYN_RECV && c->crossed)
			return NL_CT_TCP_ESTABLISHED;
		if (st == NL_CT_TCP_ESTABLISHED && from == c->synack_by)
			return st;
		return -1;
	}
	if (!ackf)
		return -1;
	if (st == NL_CT_TCP_SYN_SENT || st == NL_CT_TCP_SYN_SENT2 || st == NL_CT_TCP_CLOSE)
		return -1;
	if (st == NL_CT_TCP_SYN_RECV && from == c->synack_by)
		return -1;
	if (c->fin_by[peer] && !c->fin_acked[peer] && (int32_t)(ack - c->fin_next[peer]) >= 0)
		c->fin_acked[peer] = 1;
	if (fin && !c->fin_by[me]) {
		c->fin_by[me] = 1;
		c->fin_next[me] = seq + 1;
	}
	fins = c->fin_by[0] + c->fin_by[1];
	acks = c->fin_acked[0] + c->fin_acked[1];
	if (fins == 0)
		return NL_CT_TCP_ESTABLISHED;
	if (fins == 1)
		return acks ? NL_CT_TCP_CLOSE_WAIT : NL_CT_TCP_FIN_WAIT;
	return acks == 2 ? NL_CT_TCP_TIME_WAIT : NL_CT_TCP_LAST_ACK;
}

static void
test_random_vs_model(void **state)
{
	static struct m_conn m[M_CONNS];
	static const uint8_t tcp_flags[] = { SYN, SYN | ACK, ACK, ACK, FIN | ACK, RST,
					     RST | ACK, 0, FIN, SYN | FIN };
	struct nl_ct *ct = table(4096);
	struct nl_ct_stats st;
	uint64_t seed = 12345, now = 0;
	int i, h, step, nconn = 0;

	(void)state;
	memset(m, 0, sizeof(m));
	for (h = 0; h < M_HOSTS; h++) {
		m_hosts[h] = (struct host){ .v6 = h >= 4 };
		m_hosts[h].a[0] = h >= 4 ? 0xfd : 10;
		m_hosts[h].a[h >= 4 ? 15 : 3] = (uint8_t)(h + 1);
	}
	for (step = 0; step < 300000; step++) {
		int a = (int)(xrand(&seed) % (M_HOSTS * M_PORTS)), b, ha, hb, proto, id = 0;
		uint64_t r = xrand(&seed);
		struct nl_ct_pkt p;
		struct nl_ct_result res;
		struct m_conn *c;
		int want, got, kind, flags = 0, req = 0;
		uint32_t seq = 0, ack = 0;
		char why[160];

		now += r % 8 == 0 ? xrand(&seed) % 200000 : xrand(&seed) % 2000;
		if (r % 50000 == 0)
			now += TO_ESTABLISHED;
		ha = a / M_PORTS;
		do {
			b = (int)(xrand(&seed) % (M_HOSTS * M_PORTS));
			hb = b / M_PORTS;
		} while (hb == ha || (ha >= 4) != (hb >= 4));
		proto = (int[]){ 6, 6, 6, 17, 1 }[xrand(&seed) % 5];
		if (proto == 1) {
			id = (int)(xrand(&seed) % 2) + 1;
			a = ha * M_PORTS; /* ICMP: the endpoint is the host */
			b = hb * M_PORTS;
		}
		c = m_find(m, proto, a, b, id, now);
		if (proto == 6) {
			flags = tcp_flags[xrand(&seed) % sizeof(tcp_flags)];
			seq = (uint32_t)xrand(&seed) % 4;
			ack = (uint32_t)xrand(&seed) % 4;
			p = tcp(&m_hosts[ha], m_port[a % M_PORTS], &m_hosts[hb], m_port[b % M_PORTS],
				(uint8_t)flags, seq, ack);
		} else if (proto == 17) {
			p = udp(&m_hosts[ha], m_port[a % M_PORTS], &m_hosts[hb], m_port[b % M_PORTS]);
		} else {
			req = (int)(xrand(&seed) % 3) != 0;
			p = echo(&m_hosts[ha], &m_hosts[hb], req, (uint16_t)id);
		}

		/* The model's answer. */
		kind = p.kind;
		if (c == NULL) {
			int opens = proto == 17 || (proto == 1 && req) || (proto == 6 && flags == SYN);

			want = opens ? NL_CT_NEW : NL_CT_INVALID;
		} else {
			want = NL_CT_FOUND;
		}
		got = nl_ct_track(ct, &p, now, &res);
		snprintf(why, sizeof(why), "step %d proto %d %d->%d flags %#x kind %d now %llu",
			 step, proto, a, b, flags, kind, (unsigned long long)now);
		if (got != want)
			fail_msg("%s: status %d, model %d", why, got, want);
		if (got == NL_CT_NEW) {
			assert_int_equal(nl_ct_create(ct, &p, now, &res), 0);
			for (i = 0; i < M_CONNS && m[i].used; i++)
				;
			assert_true(i < M_CONNS);
			c = &m[i];
			*c = (struct m_conn){ .used = 1, .proto = proto, .lo = a < b ? a : b,
					      .hi = a < b ? b : a, .id = id, .orig = a,
					      .synack_by = -1 };
			c->state = proto == 6 ? NL_CT_TCP_SYN_SENT :
				   proto == 17 ? NL_CT_UDP_UNREPLIED : NL_CT_ICMP_UNREPLIED;
			c->expire = now + (uint64_t)m_timeout(c->state);
			nconn++;
		} else if (got == NL_CT_FOUND) {
			struct m_conn save = *c;
			int next, reply = a != c->orig;

			if (proto == 6)
				next = m_tcp(c, a, flags, seq, ack);
			else if (proto == 17)
				next = reply ? NL_CT_UDP_REPLIED : c->state;
			else
				next = req == !reply ? (req ? c->state : NL_CT_ICMP_REPLIED) : -1;
			if (res.dir != (reply ? NL_CT_DIR_REPLY : NL_CT_DIR_ORIG))
				fail_msg("%s: dir %d", why, res.dir);
			if (next < 0) {
				*c = save;
				if (res.valid || res.state != c->state)
					fail_msg("%s: valid %d state %s, model: invalid in %s", why,
						 res.valid, nl_ct_state_name(res.state),
						 nl_ct_state_name((unsigned int)c->state));
			} else {
				c->state = next;
				c->expire = now + (uint64_t)m_timeout(next);
				if (!res.valid || res.state != next)
					fail_msg("%s: valid %d state %s, model: %s", why, res.valid,
						 nl_ct_state_name(res.state),
						 nl_ct_state_name((unsigned int)next));
			}
			if (res.expire != c->expire)
				fail_msg("%s: expires %llu, model %llu", why,
					 (unsigned long long)res.expire,
					 (unsigned long long)c->expire);
		}
	}
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.evicted, 0); /* the premise: the model never evicts */
	assert_int_equal(st.full, 0);
	assert_int_equal(st.created, nconn);
	assert_true(nconn > 1000);
	nl_ct_free(ct);
}

/* ---- two threads, both directions of the same connections ------------------ */

#define T_FLOWS 8
#define T_ROUNDS 50000

struct t_arg {
	struct nl_ct *ct;
	unsigned int *arrived; /* spinning barrier: threads that reached round r */
	int reply;
	int creates;
};

/* Wait until both threads have reached round @round (spinning, now and then yielding). */
static void
t_barrier(unsigned int *arrived, int round)
{
	unsigned int spins = 0;

	__atomic_fetch_add(arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(arrived, __ATOMIC_ACQUIRE) < 2u * ((unsigned int)round + 1))
		if (++spins % 4096 == 0)
			sched_yield(); /* the other thread may not be running */
}

/*
 * Round r happens at time r * 1000 s, when everything from round r - 1 has
 * expired: each round, both threads leave the barrier together and race to
 * create the same few connections again, one from each end.
 */
static void *
t_run(void *arg)
{
	struct t_arg *t = arg;
	struct nl_ct_pkt p[T_FLOWS];
	int round, i;

	for (i = 0; i < T_FLOWS; i++) {
		struct host h = { 0, { 10, 9, 0, (uint8_t)i } };
		uint8_t buf[128];
		struct nl_parsed pp;
		size_t n = t->reply ? udp_frame(buf, &H4b, 53, &h, 3000) :
				      udp_frame(buf, &h, 3000, &H4b, 53);

		if (nl_parse(buf, (uint32_t)n, &pp) != 0 ||
		    nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p[i]) != 0)
			return NULL;
	}
	for (round = 0; round < T_ROUNDS; round++) {
		uint64_t now = (uint64_t)round * 1000000;

		t_barrier(t->arrived, round);
		for (i = 0; i < T_FLOWS; i++) {
			struct nl_ct_result r;
			int rc;

			if (nl_ct_track(t->ct, &p[i], now, &r) != NL_CT_NEW)
				continue;
			rc = nl_ct_create(t->ct, &p[i], now, &r);
			if (rc == 0)
				t->creates++;
			else if (rc == -EEXIST) /* the other thread was first */
				nl_ct_update(t->ct, &p[i], now, &r);
		}
	}
	return NULL;
}

/* Two queue threads, one direction each, on the same connections. */
static void
test_two_threads(void **state)
{
	unsigned int arrived = 0;
	struct t_arg t[2];
	pthread_t th[2];
	struct nl_ct_stats st;
	int i;

	(void)state;
	t[0] = (struct t_arg){ .ct = table(4096), .arrived = &arrived, .reply = 0 };
	t[1] = (struct t_arg){ .ct = t[0].ct, .arrived = &arrived, .reply = 1 };
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, t_run, &t[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	nl_ct_stats_get(t[0].ct, &st);
	/* Each connection was created exactly once a round, whichever direction came first. */
	assert_int_equal(t[0].creates + t[1].creates, T_FLOWS * T_ROUNDS);
	assert_int_equal(st.created, T_FLOWS * T_ROUNDS);
	assert_int_equal(st.expired, T_FLOWS * (T_ROUNDS - 1));
	assert_int_equal(st.entries, T_FLOWS);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.state[NL_CT_UDP_REPLIED] + st.state[NL_CT_UDP_UNREPLIED], T_FLOWS);
	nl_ct_free(t[0].ct);
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
		cmocka_unit_test(test_tcp_timeouts),
		cmocka_unit_test(test_configured_timeouts),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_families_apart),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_fill_level),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_lookup_then_update),
		cmocka_unit_test(test_track_burst),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
