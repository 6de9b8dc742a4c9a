/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ct_frames.h — what the conntrack tests share: frames written byte by byte
 * (Ethernet, IPv4/IPv6, TCP/UDP/ICMP), parsed with nl_parse() and
 * classified as an NF would, the documented default timeouts typed in
 * again, and a firewall's call sequence. Include after <cmocka.h>.
 */
#ifndef CT_FRAMES_H
#define CT_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nl_conntrack.h"
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

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Ethernet + IP header around the @l4len bytes at @l4; returns the frame length. */
static inline size_t
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

static inline size_t
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

static inline size_t
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
static inline size_t
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
static inline int
classify(const uint8_t *buf, size_t len, struct nl_ct_pkt *cp)
{
	struct nl_parsed pp;

	assert_int_equal(nl_parse(buf, (uint32_t)len, &pp), 0);
	return nl_ct_pkt_init(buf, (uint32_t)len, &pp, cp);
}

static inline struct nl_ct_pkt
tcp(const struct host *s, uint16_t sp, const struct host *d, uint16_t dp, uint8_t flags,
    uint32_t seq, uint32_t ack)
{
	uint8_t buf[256];
	struct nl_ct_pkt cp;

	assert_int_equal(classify(buf, tcp_frame(buf, s, sp, d, dp, flags, seq, ack, 0), &cp), 0);
	assert_int_equal(cp.kind, NL_CT_K_TCP);
	return cp;
}

static inline struct nl_ct_pkt
udp(const struct host *s, uint16_t sp, const struct host *d, uint16_t dp)
{
	uint8_t buf[256];
	struct nl_ct_pkt cp;

	assert_int_equal(classify(buf, udp_frame(buf, s, sp, d, dp), &cp), 0);
	assert_int_equal(cp.kind, NL_CT_K_UDP);
	return cp;
}

static inline struct nl_ct_pkt
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
static inline int
icmp_err(struct nl_ct_pkt *cp, const struct host *r, const struct host *to, uint8_t type,
	 uint8_t code, const uint8_t *orig, size_t qlen)
{
	uint8_t buf[256];

	return classify(buf, icmp_frame(buf, r, to, type, code, 0, orig + 14, qlen), cp);
}

static inline struct nl_ct *
table(uint32_t capacity)
{
	struct nl_ct_config cfg = { .capacity = capacity };
	struct nl_ct *ct = nl_ct_new(&cfg);

	assert_non_null(ct);
	return ct;
}

/* What the firewall does: track; when new, create. Returns the track status. */
static inline int
fw(struct nl_ct *ct, const struct nl_ct_pkt *p, uint64_t now, struct nl_ct_result *r)
{
	int st = nl_ct_track(ct, p, now, r);

	if (st == NL_CT_NEW)
		assert_int_equal(nl_ct_create(ct, p, now, r), 0);
	return st;
}

/* xorshift64: a fixed sequence for a given seed. */
static inline uint64_t
xrand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif /* CT_FRAMES_H */
