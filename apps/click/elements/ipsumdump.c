/* SPDX-License-Identifier: BSD-3-Clause */
/* ipsumdump.c — IP summary dump field names and their synonyms. */
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
};

static const char *const canonical[] = {
	"timestamp", "ts_sec", "ts_usec", "ip_src", "ip_dst", "sport", "dport", "ip_proto",
	"ip_len", "ip_id", "ip_ttl", "ip_tos", "tcp_seq", "tcp_ack", "tcp_flags", "tcp_window",
	"payload_len", "payload", "paint", "count", "icmp_type", "icmp_code", "ip_hl", "tcp_off",
	"ip_fragoff", "direction", "icmp_type_name", "tcp_urp", "ip_ecn", "ip_dscp", "link",
	"ip_frag", "ip_sum", "udp_len", "icmp_flowid", "icmp_seq", "icmp_nextmtu",
	"ip_capture_len", "ts_usec1",
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
