/* SPDX-License-Identifier: BSD-3-Clause */
/* ipsumdump.h — the IP summary dump fields FromIPSummaryDump and
 * ToIPSummaryDump share (ipsumdump.c). */
#ifndef CK_IPSUMDUMP_H
#define CK_IPSUMDUMP_H

enum ipsd_field {
	IPSD_NONE = -1,
	IPSD_TIMESTAMP, IPSD_TS_SEC, IPSD_TS_USEC, IPSD_SRC, IPSD_DST, IPSD_SPORT, IPSD_DPORT,
	IPSD_PROTO, IPSD_LEN, IPSD_ID, IPSD_TTL, IPSD_TOS, IPSD_SEQ, IPSD_ACK, IPSD_FLAGS,
	IPSD_WIN, IPSD_PAYLOAD_LEN, IPSD_PAYLOAD, IPSD_PAINT, IPSD_COUNT, IPSD_ICMP_TYPE,
	IPSD_ICMP_CODE, IPSD_IP_HL, IPSD_TCP_OFF, IPSD_FRAGOFF, IPSD_DIRECTION,
	IPSD_ICMP_TYPE_NAME, IPSD_TCP_URP, IPSD_ECN, IPSD_DSCP, IPSD_LINK, IPSD_IP_FRAG,
	IPSD_IP_SUM, IPSD_UDP_LEN, IPSD_ICMP_FLOWID, IPSD_ICMP_SEQ, IPSD_ICMP_NEXTMTU,
	IPSD_IP_CAPTURE_LEN, IPSD_TS_USEC1, IPSD_IP_OPT, IPSD_TCP_OPT, IPSD_TCP_NTOPT,
	IPSD_TCP_SACK, IPSD_ICMP_CODE_NAME, IPSD_PAYLOAD_MD5, IPSD_PAYLOAD_MD5_HEX,
	IPSD_AGGREGATE, IPSD_FIRST_TIMESTAMP, IPSD_WIRE_LEN, IPSD_ETH_SRC, IPSD_ETH_DST,
	IPSD_NFIELDS
};

/* The field a name or synonym means ("src" → IPSD_SRC), or IPSD_NONE; as
 * Click's, spaces may stand for underscores ("ip src") and a name without
 * one may leave out "ip_" ("frag"). */
enum ipsd_field ipsd_field_find(const char *name);
/* The canonical name of @f ("ip_src"). */
const char *ipsd_field_name(enum ipsd_field f);
/* Parse an IP protocol as Click's dumps write one: T, U, I, icmp, igmp,
 * ipip, tcp, udp or a number 0..255. Returns 0, or -1 for anything else. */
int ipsd_parse_proto(const char *s, int *proto);

/* What an option text holds (Click's): TCP options' kinds, IP options all. */
#define IPSD_OPT_PADDING 1u   /* nop, eol */
#define IPSD_OPT_MSS 2u
#define IPSD_OPT_WSCALE 4u
#define IPSD_OPT_SACK 8u      /* sack, sackok */
#define IPSD_OPT_TIMESTAMP 16u
#define IPSD_OPT_UNKNOWN 32u  /* a number, "=b:b:..." its bytes */
#define IPSD_OPT_ALL 0xffffffffu
#define IPSD_OPT_ALL_NOPAD (IPSD_OPT_ALL & ~IPSD_OPT_PADDING)
#define IPSD_OPT_NTALL (IPSD_OPT_ALL_NOPAD & ~IPSD_OPT_TIMESTAMP)

/* Write IP options @opt (@len bytes) as Click's ip_opt text into @buf (at
 * most @cap bytes, NUL-terminated): "rr{a,b}+2", "ssrr{a,^b}", "ts.ip{a=1}",
 * "7=1:2" joined by ';', "." for none, "?" for malformed ones. With
 * IPSD_OPT_PADDING in @mask nop and eol are written too. */
void ipsd_ip_opt_str(const uint8_t *opt, size_t len, unsigned int mask, char *buf,
		     size_t cap);
/* Write TCP options as Click's tcp_opt text (mss1460, wscale7, sackok,
 * sack1-10, ts1:2, 30=1:2; ';' between), only the kinds in @mask; "." for
 * none, "?" for malformed ones. */
void ipsd_tcp_opt_str(const uint8_t *opt, size_t len, unsigned int mask, char *buf,
		      size_t cap);
/* Parse Click's ip_opt text into option bytes (at most 40, unpadded).
 * Returns 0 (stores the length; "." gives none) or -1 for a bad text. */
int ipsd_parse_ip_opt(const char *s, uint8_t out[40], size_t *len);
/* Parse Click's tcp_opt text, only the kinds in @mask; as
 * ipsd_parse_ip_opt. A timestamp first gets two nops before it. */
int ipsd_parse_tcp_opt(const char *s, unsigned int mask, uint8_t out[40], size_t *len);

/* Click's name of ICMP code @code of type @type ("needfrag"), or NULL. */
const char *ipsd_icmp_code_name(unsigned int type, unsigned int code);
/* The code a name means for ICMP type @type, or -1. */
int ipsd_icmp_code_by_name(unsigned int type, const char *name);

/* The MD5 digest (RFC 1321) of @len bytes at @data. */
void ipsd_md5(const void *data, size_t len, uint8_t digest[16]);
/* Click's 22-character text form of an MD5 digest (6 bits a character,
 * least significant first, from a-z A-Z 0-9 _ @), NUL-terminated. */
void ipsd_md5_text(const uint8_t digest[16], char out[23]);

#endif /* CK_IPSUMDUMP_H */
