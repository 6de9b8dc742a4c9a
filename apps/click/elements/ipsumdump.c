/* SPDX-License-Identifier: BSD-3-Clause */
/* ipsumdump.c — IP summary dump field names and their synonyms, the IP and
 * TCP option texts, ICMP code names and the payload MD5. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipsumdump.h"

static const struct {
	const char *name;
	enum ipsd_field f;
} names[] = {
	{ "timestamp", IPSD_TIMESTAMP }, { "ts", IPSD_TIMESTAMP },
	{ "ts_sec", IPSD_TS_SEC }, { "sec", IPSD_TS_SEC },
	{ "ts_usec", IPSD_TS_USEC }, { "usec", IPSD_TS_USEC },
	{ "ip_src", IPSD_SRC }, { "src", IPSD_SRC }, { "saddr", IPSD_SRC },
	{ "ip_dst", IPSD_DST }, { "dst", IPSD_DST }, { "daddr", IPSD_DST },
	{ "sport", IPSD_SPORT }, { "tcp_sport", IPSD_SPORT }, { "udp_sport", IPSD_SPORT },
	{ "dport", IPSD_DPORT }, { "tcp_dport", IPSD_DPORT }, { "udp_dport", IPSD_DPORT },
	{ "ip_proto", IPSD_PROTO }, { "proto", IPSD_PROTO },
	{ "ip_len", IPSD_LEN }, { "len", IPSD_LEN }, { "length", IPSD_LEN },
	{ "ip_id", IPSD_ID }, { "id", IPSD_ID },
	{ "ip_ttl", IPSD_TTL }, { "ttl", IPSD_TTL },
	{ "ip_tos", IPSD_TOS }, { "tos", IPSD_TOS },
	{ "tcp_seq", IPSD_SEQ }, { "seq", IPSD_SEQ },
	{ "tcp_ack", IPSD_ACK }, { "ack", IPSD_ACK },
	{ "tcp_flags", IPSD_FLAGS }, { "flags", IPSD_FLAGS },
	{ "tcp_window", IPSD_WIN }, { "win", IPSD_WIN },
	{ "payload_len", IPSD_PAYLOAD_LEN }, { "payload_length", IPSD_PAYLOAD_LEN },
	{ "payload", IPSD_PAYLOAD },
	{ "paint", IPSD_PAINT }, { "link", IPSD_LINK }, { "direction", IPSD_DIRECTION },
	{ "count", IPSD_COUNT }, { "pkt_count", IPSD_COUNT },
	{ "icmp_type", IPSD_ICMP_TYPE }, { "icmp_code", IPSD_ICMP_CODE },
	{ "ip_hl", IPSD_IP_HL }, { "tcp_off", IPSD_TCP_OFF }, { "tcp_hl", IPSD_TCP_OFF },
	{ "ip_fragoff", IPSD_FRAGOFF }, { "fragoff", IPSD_FRAGOFF },
	{ "icmp_type_name", IPSD_ICMP_TYPE_NAME }, { "tcp_urp", IPSD_TCP_URP },
	{ "ip_ecn", IPSD_ECN }, { "ip_dscp", IPSD_DSCP },
	{ "ip_frag", IPSD_IP_FRAG }, { "ip_sum", IPSD_IP_SUM }, { "udp_len", IPSD_UDP_LEN },
	{ "icmp_flowid", IPSD_ICMP_FLOWID }, { "icmp_seq", IPSD_ICMP_SEQ },
	{ "icmp_nextmtu", IPSD_ICMP_NEXTMTU }, { "ip_capture_len", IPSD_IP_CAPTURE_LEN },
	{ "ts_usec1", IPSD_TS_USEC1 }, { "usec1", IPSD_TS_USEC1 },
	{ "ip_p", IPSD_PROTO }, { "packet_count", IPSD_COUNT }, { "tcp_win", IPSD_WIN },
	{ "tcp_seqno", IPSD_SEQ }, { "tcp_ackno", IPSD_ACK }, { "utimestamp", IPSD_TIMESTAMP },
	{ "ip_opt", IPSD_IP_OPT }, { "tcp_opt", IPSD_TCP_OPT }, { "tcp_ntopt", IPSD_TCP_NTOPT },
	{ "tcp_sack", IPSD_TCP_SACK }, { "icmp_code_name", IPSD_ICMP_CODE_NAME },
	{ "payload_md5", IPSD_PAYLOAD_MD5 }, { "payload_md5_hex", IPSD_PAYLOAD_MD5_HEX },
	{ "aggregate", IPSD_AGGREGATE }, { "agg", IPSD_AGGREGATE },
	{ "first_timestamp", IPSD_FIRST_TIMESTAMP }, { "first_utimestamp", IPSD_FIRST_TIMESTAMP },
	{ "first_ts", IPSD_FIRST_TIMESTAMP },
	{ "wire_len", IPSD_WIRE_LEN }, { "wire_length", IPSD_WIRE_LEN },
	{ "eth_src", IPSD_ETH_SRC }, { "ether_src", IPSD_ETH_SRC },
	{ "eth_dst", IPSD_ETH_DST }, { "ether_dst", IPSD_ETH_DST },
};

static const char *const canonical[] = {
	"timestamp", "ts_sec", "ts_usec", "ip_src", "ip_dst", "sport", "dport", "ip_proto",
	"ip_len", "ip_id", "ip_ttl", "ip_tos", "tcp_seq", "tcp_ack", "tcp_flags", "tcp_window",
	"payload_len", "payload", "paint", "count", "icmp_type", "icmp_code", "ip_hl", "tcp_off",
	"ip_fragoff", "direction", "icmp_type_name", "tcp_urp", "ip_ecn", "ip_dscp", "link",
	"ip_frag", "ip_sum", "udp_len", "icmp_flowid", "icmp_seq", "icmp_nextmtu",
	"ip_capture_len", "ts_usec1", "ip_opt", "tcp_opt", "tcp_ntopt", "tcp_sack",
	"icmp_code_name", "payload_md5", "payload_md5_hex", "aggregate", "first_timestamp",
	"wire_len", "eth_src", "eth_dst",
};

/* Find a field by name or synonym. Returns it, or IPSD_NONE. */
static enum ipsd_field
find_exact(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].f;
	return IPSD_NONE;
}

enum ipsd_field
ipsd_field_find(const char *name)
{
	char buf[64];
	size_t len = strlen(name);
	enum ipsd_field f = find_exact(name);

	if (f != IPSD_NONE || len + 4 > sizeof(buf))
		return f;
	/* quotes removed, spaces as underscores, then "ip_" in front */
	if (len >= 2 && (name[0] == '"' || name[0] == '\'') && name[len - 1] == name[0]) {
		memcpy(buf, name + 1, len - 2);
		buf[len - 2] = 0;
	} else {
		memcpy(buf, name, len + 1);
	}
	for (char *s = buf; *s; s++)
		if (*s == ' ')
			*s = '_';
	f = find_exact(buf);
	if (f == IPSD_NONE && !strchr(buf, '_')) {
		memmove(buf + 3, buf, strlen(buf) + 1);
		memcpy(buf, "ip_", 3);
		f = find_exact(buf);
	}
	return f;
}

/* Return the canonical name of a field ("?" for none). */
const char *
ipsd_field_name(enum ipsd_field f)
{
	return f >= 0 && (size_t)f < sizeof(canonical) / sizeof(canonical[0]) ? canonical[f] : "?";
}

/* Parse an IP protocol as Click's dumps write one: T, U, I, a name Click
 * knows (icmp, igmp, ipip, tcp, udp) or a number 0..255. */
int
ipsd_parse_proto(const char *s, int *proto)
{
	static const struct {
		const char *name;
		int n;
	} protos[] = {
		{ "T", 6 }, { "U", 17 }, { "I", 1 }, { "icmp", 1 }, { "igmp", 2 },
		{ "ipip", 4 }, { "tcp", 6 }, { "udp", 17 },
	};
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcmp(s, protos[i].name) == 0) {
			*proto = protos[i].n;
			return 0;
		}
	v = strtol(s, &end, 0);
	if (end == s || *end || v < 0 || v > 255)
		return -1;
	*proto = (int)v;
	return 0;
}

/* ---- option texts ---- */

/* A bounded string being built; n counts what fits. */
struct sbuf {
	char *b;
	size_t cap, n;
};

static void __attribute__((format(printf, 2, 3)))
sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (s->n + 1 >= s->cap)
		return;
	va_start(ap, fmt);
	r = vsnprintf(s->b + s->n, s->cap - s->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		s->n = s->n + (size_t)r < s->cap ? s->n + (size_t)r : s->cap - 1;
}

/* Replace what was written by @text (a malformed option list). */
static void
sb_reset(struct sbuf *s, const char *text)
{
	s->n = 0;
	s->b[0] = 0;
	sb_add(s, "%s", text);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* rr, lsrr, ssrr: the addresses, '^' before the one the pointer names
 * (record route: "+N" free slots instead). */
static void
route_str(struct sbuf *s, const uint8_t *opt, const char *sep)
{
	const uint8_t *o = opt + 3, *ol = opt + opt[1], *op = opt + opt[2] - 1;
	const char *sp = "";
	bool rr = opt[0] == 7;

	sb_add(s, "%s%s{", sep, rr ? "rr" : opt[0] == 131 ? "lsrr" : "ssrr");
	for (; o + 4 <= ol; o += 4) {
		if (o == op) {
			if (rr)
				break;
			sp = "^";
		}
		sb_add(s, "%s%u.%u.%u.%u", sp, o[0], o[1], o[2], o[3]);
		sp = ",";
	}
	if (o == ol && o == op && !rr)
		sb_add(s, "^");
	sb_add(s, "}");
	if (o + 4 <= ol && o == op && rr)
		sb_add(s, "+%d", (int)(ol - o) / 4);
}

/* ts: flag 0 timestamps, 1 (".ip") address=timestamp, 3 (".preip")
 * prespecified addresses; '!' marks the nonstandard bit, "+N" free slots,
 * "++N" the overflow count. */
static void
ts_str(struct sbuf *s, const uint8_t *opt, const char *sep)
{
	const uint8_t *o = opt + 4, *ol = opt + opt[1], *op = opt + opt[2] - 1;
	int flag = opt[3] & 15, size = flag >= 1 && flag <= 3 ? 8 : 4;
	const char *sp = "";

	sb_add(s, "%sts", sep);
	if (flag == 1)
		sb_add(s, ".ip");
	else if (flag == 3)
		sb_add(s, ".preip");
	else if (flag)
		sb_add(s, ".%d", flag);
	sb_add(s, "{");
	for (; o + size <= ol; o += 4) {
		if (o == op) {
			if (flag != 3)
				break;
			sp = "^";
		}
		if (flag) {
			sb_add(s, "%s%u.%u.%u.%u=", sp, o[0], o[1], o[2], o[3]);
			o += 4;
		} else {
			sb_add(s, "%s", sp);
		}
		if (flag == 3 && o > op) {
			if (s->n)
				s->b[--s->n] = 0; /* a prespecified address not reached yet */
		} else {
			uint32_t v = be32(o);

			sb_add(s, "%s%u", v & 0x80000000u ? "!" : "", v & 0x7fffffffu);
		}
		sp = ",";
	}
	if (o == ol && o == op)
		sb_add(s, "^");
	sb_add(s, "}");
	if (o + size <= ol && o == op)
		sb_add(s, "+%d", (int)(ol - o) / size);
	if (opt[3] & 0xf0)
		sb_add(s, "++%d", opt[3] >> 4);
}

/* An option Click has no name for: its kind, then "=" and its bytes. */
static void
unknown_str(struct sbuf *s, const uint8_t *opt, const char *sep)
{
	sb_add(s, "%s%u", sep, opt[0]);
	for (unsigned int i = 2; i < opt[1]; i++)
		sb_add(s, "%c%u", i == 2 ? '=' : ':', opt[i]);
}

void
ipsd_ip_opt_str(const uint8_t *opt, size_t len, unsigned int mask, char *buf, size_t cap)
{
	struct sbuf s = { buf, cap, 0 };
	const uint8_t *end = opt + len;
	const char *sep = "";

	buf[0] = 0;
	while (opt < end) {
		if (opt[0] == 0) { /* end of list */
			if (mask & IPSD_OPT_PADDING)
				sb_add(&s, "%seol", sep);
			break;
		}
		if (opt[0] == 1) {
			if (mask & IPSD_OPT_PADDING) {
				sb_add(&s, "%snop", sep);
				sep = ";";
			}
			opt++;
			continue;
		}
		if (end - opt < 2 || opt[1] < 2 || opt[1] > end - opt)
			goto bad;
		if (opt[0] == 7 || opt[0] == 131 || opt[0] == 137) {
			if (opt[1] < 3 || opt[2] < 4)
				goto bad;
			route_str(&s, opt, sep);
		} else if (opt[0] == 68) {
			if (opt[1] < 4 || opt[2] < 5)
				goto bad;
			ts_str(&s, opt, sep);
		} else if (mask & IPSD_OPT_UNKNOWN) {
			unknown_str(&s, opt, sep);
		} else {
			opt += opt[1];
			continue;
		}
		sep = ";";
		opt += opt[1];
	}
	if (s.n == 0)
		sb_reset(&s, ".");
	return;
bad:
	sb_reset(&s, "?");
}

void
ipsd_tcp_opt_str(const uint8_t *opt, size_t len, unsigned int mask, char *buf, size_t cap)
{
	struct sbuf s = { buf, cap, 0 };
	const uint8_t *end = opt + len;
	const char *sep = "";

	buf[0] = 0;
	while (opt < end) {
		unsigned int want = 0, l;

		if (opt[0] == 0) {
			if (mask & IPSD_OPT_PADDING)
				sb_add(&s, "%seol", sep);
			break;
		}
		if (opt[0] == 1) {
			if (mask & IPSD_OPT_PADDING) {
				sb_add(&s, "%snop", sep);
				sep = ";";
			}
			opt++;
			continue;
		}
		if (end - opt < 2)
			goto bad;
		l = opt[1];
		switch (opt[0]) {
		case 2: want = 4; break;
		case 3: want = 3; break;
		case 4: want = 2; break;
		case 8: want = 10; break;
		}
		if (l > (size_t)(end - opt) || l < 2 || (want && l != want) ||
		    (opt[0] == 5 && l % 8 != 2))
			goto bad;
		if (opt[0] == 2 && (mask & IPSD_OPT_MSS)) {
			sb_add(&s, "%smss%u", sep, opt[2] << 8 | opt[3]);
		} else if (opt[0] == 3 && (mask & IPSD_OPT_WSCALE)) {
			sb_add(&s, "%swscale%u", sep, opt[2]);
		} else if (opt[0] == 4 && (mask & IPSD_OPT_SACK)) {
			sb_add(&s, "%ssackok", sep);
		} else if (opt[0] == 5 && (mask & IPSD_OPT_SACK)) {
			for (unsigned int i = 2; i < l; i += 8) {
				sb_add(&s, "%ssack%u-%u", sep, be32(opt + i), be32(opt + i + 4));
				sep = ";";
			}
		} else if (opt[0] == 8 && (mask & IPSD_OPT_TIMESTAMP)) {
			sb_add(&s, "%sts%u:%u", sep, be32(opt + 2), be32(opt + 6));
		} else if (opt[0] > 8 || opt[0] == 6 || opt[0] == 7) {
			if (!(mask & IPSD_OPT_UNKNOWN)) {
				opt += l;
				continue;
			}
			unknown_str(&s, opt, sep);
		} else {
			opt += l; /* a kind left out */
			continue;
		}
		sep = ";";
		opt += l;
	}
	if (s.n == 0)
		sb_reset(&s, ".");
	return;
bad:
	sb_reset(&s, "?");
}

/* A decimal number at *@s, at most @max; advances *@s. Returns 0 or -1. */
static int
num(const char **s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)**s))
		return -1;
	errno = 0;
	*v = strtoul(*s, &end, 10);
	if (errno || *v > max)
		return -1;
	*s = end;
	return 0;
}

/* Option bytes being built (more than 40 may be, before the check). */
struct obuf {
	uint8_t b[600];
	size_t n;
};

static int
put(struct obuf *o, unsigned long v)
{
	if (o->n >= sizeof(o->b))
		return -1;
	o->b[o->n++] = (uint8_t)v;
	return 0;
}

static int
put32(struct obuf *o, uint32_t v)
{
	return put(o, v >> 24) | put(o, (v >> 16) & 255) | put(o, (v >> 8) & 255) |
	       put(o, v & 255);
}

static int
put_zeros(struct obuf *o, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (put(o, 0) < 0)
			return -1;
	return 0;
}

/* "a.b.c.d" as four bytes. */
static int
put_addr(struct obuf *o, const char **s)
{
	unsigned long v;

	for (int i = 0; i < 4; i++) {
		if (num(s, 255, &v) < 0 || put(o, v) < 0 || (i < 3 && **s != '.'))
			return -1;
		if (i < 3)
			(*s)++;
	}
	return 0;
}

/* A kind number and, after '=', its bytes separated by ':'. */
static int
put_unknown(struct obuf *o, const char **s)
{
	unsigned long v;
	size_t at;

	if (num(s, 255, &v) < 0 || put(o, v) < 0)
		return -1;
	if (**s != '=' || !isdigit((unsigned char)(*s)[1]))
		return 0;
	at = o->n;
	if (put(o, 0) < 0)
		return -1;
	do {
		(*s)++;
		if (num(s, 255, &v) < 0 || put(o, v) < 0)
			return -1;
	} while (**s == ':' && isdigit((unsigned char)(*s)[1]));
	if (o->n - at + 1 > 255)
		return -1;
	o->b[at] = (uint8_t)(o->n - at + 1);
	return 0;
}

/* "{a,b^c}" after rr, lsrr, ssrr (kind already put at @pos), "+N" free. */
static int
put_route(struct obuf *o, size_t pos, const char **s)
{
	long pointer = -1;
	unsigned long v;

	if (put(o, 0) < 0 || put(o, 0) < 0)
		return -1;
	for (;;) {
		if (**s == '^' && pointer < 0) {
			pointer = (long)(o->n - pos) + 1;
			(*s)++;
		}
		if (!isdigit((unsigned char)**s))
			break;
		if (put_addr(o, s) < 0)
			return -1;
		if (**s == ',')
			(*s)++;
	}
	if (**s != '}')
		return -1;
	o->b[pos + 2] = (uint8_t)(pointer >= 0 ? pointer : (long)(o->n - pos) + 1);
	(*s)++;
	if (**s == '+' && isdigit((unsigned char)(*s)[1])) {
		(*s)++;
		if (num(s, ~0ul, &v) < 0)
			return -1;
		if (v < 64 && put_zeros(o, v * 4) < 0)
			return -1;
	}
	if (o->n - pos > 255)
		return -1;
	o->b[pos + 1] = (uint8_t)(o->n - pos);
	return 0;
}

/* "ts{...}", "ts.ip{...}", "ts.preip{...}", "ts.N{...}" (at "ts"). */
static int
put_ts(struct obuf *o, const char **s)
{
	size_t pos = o->n;
	long pointer = -1;
	int flag = -1, overflow = 0;
	unsigned long v;

	if (put(o, 68) < 0 || put_zeros(o, 3) < 0)
		return -1;
	*s += 2;
	if (**s == '.') {
		(*s)++;
		if (strncmp(*s, "ip{", 3) == 0) {
			flag = 1;
			*s += 3;
		} else if (strncmp(*s, "preip{", 6) == 0) {
			flag = 3;
			*s += 6;
		} else if (num(s, 15, &v) == 0 && **s == '{') {
			flag = (int)v;
			(*s)++;
		} else {
			return -1;
		}
	} else if (**s == '{') {
		(*s)++;
	} else {
		return -1;
	}
	for (;;) {
		const char *entry;
		uint32_t top;

		if (**s == '^' && pointer < 0) {
			pointer = (long)(o->n - pos) + 1;
			(*s)++;
		}
		if (!isdigit((unsigned char)**s) && **s != '!')
			break;
		entry = *s;
retry:
		if (flag == 1 || flag == 3 || flag == -2) {
			if (put_addr(o, s) < 0)
				return -1;
			if (pointer >= 0 && flag == -2)
				flag = 3; /* prespecified addresses */
			if (**s == '=' && (isdigit((unsigned char)(*s)[1]) || (*s)[1] == '!')) {
				(*s)++;
			} else if (**s == '=' && (*s)[1] == '?' && pointer >= 0) {
				*s += 2;
				if (put32(o, 0) < 0)
					return -1;
				goto next;
			} else if (**s != '=' && pointer >= 0) {
				if (put32(o, 0) < 0)
					return -1;
				goto next;
			} else {
				return -1;
			}
		}
		top = 0;
		if (**s == '!') {
			top = 0x80000000u;
			(*s)++;
		}
		if (num(s, 0xffffffffu, &v) < 0)
			return -1;
		if (**s == '.' && flag == -1) {
			flag = -2; /* it was an address */
			*s = entry;
			goto retry;
		}
		if (flag == -1)
			flag = 0;
		if (put32(o, (uint32_t)v | top) < 0)
			return -1;
next:
		if (**s == ',')
			(*s)++;
	}
	if (**s && *(*s)++ != '}')
		return -1;
	if (flag == -2)
		flag = 1;
	if (flag < 0)
		flag = 0;
	o->b[pos + 2] = (uint8_t)(pointer >= 0 ? pointer : (long)(o->n - pos) + 1);
	if (**s == '+' && isdigit((unsigned char)(*s)[1])) {
		(*s)++;
		if (num(s, ~0ul, &v) < 0)
			return -1;
		if (v < 64 && put_zeros(o, v * (flag == 1 || flag == 3 ? 8 : 4)) < 0)
			return -1;
	}
	if ((*s)[0] == '+' && (*s)[1] == '+' && isdigit((unsigned char)(*s)[2])) {
		*s += 2;
		if (num(s, ~0ul, &v) < 0)
			return -1;
		if (v < 16)
			overflow = (int)v;
	}
	o->b[pos + 3] = (uint8_t)(overflow << 4 | flag);
	if (o->n - pos > 255)
		return -1;
	o->b[pos + 1] = (uint8_t)(o->n - pos);
	return 0;
}

/* The end of an option list: leading nops dropped while it is too long;
 * at most 40 bytes. */
static int
finish(struct obuf *o, uint8_t out[40], size_t *len)
{
	size_t skip = 0;

	while (o->n - skip > 40 && o->b[skip] == 1)
		skip++;
	if (o->n - skip > 40)
		return -1;
	memcpy(out, o->b + skip, o->n - skip);
	*len = o->n - skip;
	return 0;
}

int
ipsd_parse_ip_opt(const char *s, uint8_t out[40], size_t *len)
{
	struct obuf o = { .n = 0 };

	*len = 0;
	if (!*s || strcmp(s, ".") == 0)
		return 0;
	for (;;) {
		if (strncmp(s, "rr{", 3) == 0 || strncmp(s, "lsrr{", 5) == 0 ||
		    strncmp(s, "ssrr{", 5) == 0) {
			size_t pos = o.n;

			if (put(&o, s[0] == 'r' ? 7 : s[0] == 'l' ? 131 : 137) < 0)
				return -1;
			s = strchr(s, '{') + 1;
			if (put_route(&o, pos, &s) < 0)
				return -1;
		} else if (strncmp(s, "ts{", 3) == 0 || strncmp(s, "ts.", 3) == 0) {
			if (put_ts(&o, &s) < 0)
				return -1;
		} else if (isdigit((unsigned char)*s)) {
			if (put_unknown(&o, &s) < 0)
				return -1;
		} else if (strncmp(s, "nop", 3) == 0) {
			if (put(&o, 1) < 0)
				return -1;
			s += 3;
		} else if (strncmp(s, "eol", 3) == 0 && s[3] != ',') {
			if (put(&o, 0) < 0)
				return -1;
			s += 3;
		} else {
			return -1;
		}
		if (!*s)
			return finish(&o, out, len);
		if (*s != ',' && *s != ';')
			return -1;
		s++;
	}
}

int
ipsd_parse_tcp_opt(const char *s, unsigned int mask, uint8_t out[40], size_t *len)
{
	struct obuf o = { .n = 0 };
	unsigned long a, b;

	*len = 0;
	if (!*s || strcmp(s, ".") == 0)
		return 0;
	for (;;) {
		if (strncmp(s, "mss", 3) == 0 && (mask & IPSD_OPT_MSS)) {
			s += 3;
			if (num(&s, 0xffff, &a) < 0 || put(&o, 2) < 0 || put(&o, 4) < 0 ||
			    put(&o, a >> 8) < 0 || put(&o, a & 255) < 0)
				return -1;
		} else if (strncmp(s, "wscale", 6) == 0 && (mask & IPSD_OPT_WSCALE)) {
			s += 6;
			if (num(&s, 255, &a) < 0 || put(&o, 3) < 0 || put(&o, 3) < 0 ||
			    put(&o, a) < 0)
				return -1;
		} else if (strncmp(s, "sackok", 6) == 0 && (mask & IPSD_OPT_SACK)) {
			s += 6;
			if (put(&o, 4) < 0 || put(&o, 2) < 0)
				return -1;
		} else if (strncmp(s, "sack", 4) == 0 && (mask & IPSD_OPT_SACK)) {
			size_t pos = o.n;

			/* blocks joined by ",sack" make one option */
			if (put(&o, 5) < 0 || put(&o, 0) < 0)
				return -1;
			s += 4;
			for (;;) {
				if (num(&s, 0xffffffffu, &a) < 0 || (*s != ':' && *s != '-'))
					return -1;
				s++;
				if (num(&s, 0xffffffffu, &b) < 0 || put32(&o, (uint32_t)a) < 0 ||
				    put32(&o, (uint32_t)b) < 0)
					return -1;
				if (strncmp(s, ",sack", 5) != 0 || !isdigit((unsigned char)s[5]))
					break;
				s += 5;
			}
			if (o.n - pos > 255)
				return -1;
			o.b[pos + 1] = (uint8_t)(o.n - pos);
		} else if (strncmp(s, "ts", 2) == 0 && (mask & IPSD_OPT_TIMESTAMP)) {
			s += 2;
			if (num(&s, 0xffffffffu, &a) < 0 || *s != ':')
				return -1;
			s++;
			if (num(&s, 0xffffffffu, &b) < 0)
				return -1;
			if (o.n == 0 && (put(&o, 1) < 0 || put(&o, 1) < 0))
				return -1;
			if (put(&o, 8) < 0 || put(&o, 10) < 0 || put32(&o, (uint32_t)a) < 0 ||
			    put32(&o, (uint32_t)b) < 0)
				return -1;
		} else if (isdigit((unsigned char)*s) && (mask & IPSD_OPT_UNKNOWN)) {
			if (put_unknown(&o, &s) < 0)
				return -1;
		} else if (strncmp(s, "nop", 3) == 0 && (mask & IPSD_OPT_PADDING)) {
			if (put(&o, 1) < 0)
				return -1;
			s += 3;
		} else if (strncmp(s, "eol", 3) == 0 && (mask & IPSD_OPT_PADDING) && s[3] != ',') {
			if (put(&o, 0) < 0)
				return -1;
			s += 3;
		} else {
			return -1;
		}
		if (!*s || isspace((unsigned char)*s))
			return finish(&o, out, len);
		if (*s != ',' && *s != ';')
			return -1;
		s++;
	}
}

/* ---- ICMP code names (Click's) ---- */

static const char *const unreach_codes[] = {
	"net", "host", "protocol", "port", "needfrag", "srcroutefail", "netunknown",
	"hostunknown", "isolated", "netprohibited", "hostprohibited", "tosnet", "toshost",
	"filterprohibited", "hostprecedence", "precedencecutoff", NULL,
};
static const char *const redirect_codes[] = { "net", "host", "tosnet", "toshost", NULL };
static const char *const timxceed_codes[] = { "transit", "reassembly", NULL };
static const char *const paramprob_codes[] = { "erroratptr", "missingopt", "length", NULL };

static const char *const *
code_names(unsigned int type)
{
	return type == 3 ? unreach_codes : type == 5 ? redirect_codes :
	       type == 11 ? timxceed_codes : type == 12 ? paramprob_codes : NULL;
}

const char *
ipsd_icmp_code_name(unsigned int type, unsigned int code)
{
	const char *const *names = code_names(type);

	for (unsigned int i = 0; names && names[i]; i++)
		if (i == code)
			return names[i];
	return NULL;
}

int
ipsd_icmp_code_by_name(unsigned int type, const char *name)
{
	const char *const *names = code_names(type);

	for (int i = 0; names && names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* ---- MD5 (RFC 1321) ---- */

struct md5 {
	uint32_t h[4];
	uint64_t bytes;
	uint8_t buf[64];
};

static uint32_t
rol(uint32_t x, unsigned int c)
{
	return x << c | x >> (32 - c);
}

/* One 64-byte block. */
static void
md5_block(struct md5 *m, const uint8_t *p)
{
	static const uint32_t k[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
		0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
		0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
		0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
		0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
		0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
		0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
		0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
		0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
		0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
		0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
	};
	static const uint8_t r[16] = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 };
	uint32_t w[16], a = m->h[0], b = m->h[1], c = m->h[2], d = m->h[3];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, t;
		int g;

		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) & 15;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) & 15;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) & 15;
		}
		t = d;
		d = c;
		c = b;
		b = b + rol(a + f + k[i] + w[g], r[(i / 16) * 4 + (i & 3)]);
		a = t;
	}
	m->h[0] += a;
	m->h[1] += b;
	m->h[2] += c;
	m->h[3] += d;
}

static void
md5_add(struct md5 *m, const uint8_t *p, size_t len)
{
	size_t have = m->bytes & 63;

	m->bytes += len;
	while (len) {
		size_t take = 64 - have < len ? 64 - have : len;

		memcpy(m->buf + have, p, take);
		have += take;
		p += take;
		len -= take;
		if (have == 64) {
			md5_block(m, m->buf);
			have = 0;
		}
	}
}

void
ipsd_md5(const void *data, size_t len, uint8_t digest[16])
{
	struct md5 m = { { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 }, 0, { 0 } };
	uint8_t pad[72] = { 0x80 };
	uint64_t bits;
	size_t npad;

	md5_add(&m, data, len);
	bits = m.bytes * 8;
	npad = (m.bytes & 63) < 56 ? 56 - (m.bytes & 63) : 120 - (m.bytes & 63);
	for (int i = 0; i < 8; i++)
		pad[npad + i] = (uint8_t)(bits >> (8 * i));
	md5_add(&m, pad, npad + 8);
	for (int i = 0; i < 16; i++)
		digest[i] = (uint8_t)(m.h[i / 4] >> (8 * (i & 3)));
}

void
ipsd_md5_text(const uint8_t digest[16], char out[23])
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@";
	int n = 0;

	for (int bit = 0; bit < 128; bit += 6) {
		unsigned int v = digest[bit / 8] >> (bit % 8);

		if (bit % 8 > 2 && bit / 8 < 15)
			v |= (unsigned int)digest[bit / 8 + 1] << (8 - bit % 8);
		out[n++] = chars[v & 63];
	}
	out[n] = 0;
}
