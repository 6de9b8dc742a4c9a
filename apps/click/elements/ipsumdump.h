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
	IPSD_IP_CAPTURE_LEN, IPSD_TS_USEC1,
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

#endif /* CK_IPSUMDUMP_H */
