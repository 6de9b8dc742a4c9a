/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter_names.c — the names the filter language knows: IP protocols,
 * TCP/UDP ports, TCP flags and ICMP types (the lists of Click's
 * IPClassifier documentation; values from the IANA registries).
 */
#include <string.h>

#include "nl_filter_priv.h"

struct nlf_name {
	const char *name;
	uint32_t val;
};

static const struct nlf_name protos[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 }, { "tcp", 6 }, { "udp", 17 },
	{ NULL, 0 },
};

static const struct nlf_name ports[] = {
	{ "echo", 7 }, { "discard", 9 }, { "daytime", 13 }, { "chargen", 19 },
	{ "ftp-data", 20 }, { "ftp", 21 }, { "ssh", 22 }, { "telnet", 23 },
	{ "smtp", 25 }, { "domain", 53 }, { "dns", 53 }, { "bootps", 67 },
	{ "bootpc", 68 }, { "tftp", 69 }, { "finger", 79 }, { "www", 80 },
	{ "pop3", 110 }, { "sunrpc", 111 }, { "auth", 113 }, { "nntp", 119 },
	{ "ntp", 123 }, { "netbios-ns", 137 }, { "netbios-dgm", 138 },
	{ "netbios-ssn", 139 }, { "snmp", 161 }, { "snmp-trap", 162 },
	{ "irc", 194 }, { "imap3", 220 }, { "https", 443 }, { "rip", 520 },
	{ "route", 520 }, { "imaps", 993 }, { "pop3s", 995 },
	{ NULL, 0 },
};

static const struct nlf_name tcpopts[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 },
	{ "ack", 0x10 }, { "urg", 0x20 },
	{ NULL, 0 },
};

static const struct nlf_name icmptypes[] = {
	{ "echo-reply", 0 }, { "unreachable", 3 }, { "sourcequench", 4 },
	{ "redirect", 5 }, { "echo", 8 }, { "routeradvert", 9 },
	{ "routersolicit", 10 }, { "timeexceeded", 11 }, { "parameterproblem", 12 },
	{ "timestamp", 13 }, { "timestamp-reply", 14 }, { "inforeq", 15 },
	{ "inforeq-reply", 16 }, { "maskreq", 17 }, { "maskreq-reply", 18 },
	{ NULL, 0 },
};

static const struct nlf_name *const dbs[NLF_NDB] = {
	[NLF_DB_PROTO] = protos,
	[NLF_DB_PORT] = ports,
	[NLF_DB_TCPOPT] = tcpopts,
	[NLF_DB_ICMP] = icmptypes,
};

/* Does token @t spell the NUL-terminated word @w? */
int
nlf_tok_is(const struct nlf_tok *t, const char *w)
{
	size_t l = strlen(w);

	return t->len == l && memcmp(t->s, w, l) == 0;
}

/* Look @t up in table @db: stores its value and returns 0, or -1. */
int
nlf_name_lookup(int db, const struct nlf_tok *t, uint32_t *val)
{
	const struct nlf_name *e;

	if (db < 0 || db >= NLF_NDB)
		return -1;
	for (e = dbs[db]; e->name; e++)
		if (nlf_tok_is(t, e->name)) {
			*val = e->val;
			return 0;
		}
	return -1;
}

const char *
nl_icmp_type_name(unsigned int type)
{
	const struct nlf_name *e;

	for (e = icmptypes; e->name; e++)
		if (e->val == type)
			return e->name;
	return NULL;
}

int
nl_icmp_type_by_name(const char *name)
{
	const struct nlf_name *e;

	for (e = icmptypes; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return (int)e->val;
	return -1;
}

/* The TCP/UDP port called @name in the filter language's list, or -1. */
int
nl_port_by_name(const char *name)
{
	const struct nlf_name *e;

	for (e = ports; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return (int)e->val;
	return -1;
}
