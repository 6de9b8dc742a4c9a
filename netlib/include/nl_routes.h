/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_routes.h — route files (LPM) and flow files (exact 5-tuple) for
 * forwarding NFs, parsed into ready-to-use lookup tables.
 *
 * Formats (docs/l3fwd.md has the full description), one entry per line,
 * fields separated by blanks, '#' starts a comment, blank lines are skipped:
 *
 *   route file:  PREFIX/LEN PORT [NEXTHOP_MAC]        10.0.2.0/24 1 02:00:00:00:02:02
 *                                                     2001:db8:2::/48 1 02:00:00:00:02:02
 *   flow file:   SRC DST PROTO SPORT DPORT PORT [NEXTHOP_MAC]
 *                                                     10.0.1.2 10.0.2.2 udp 5000 53 1
 *
 * A missing NEXTHOP_MAC means 02:00:00:00:00:PP with PP the port number in
 * hex (a locally administered address, the same on every run). A route
 * file mixes IPv4 (A.B.C.D/0-32) and IPv6 (any inet_pton() form, /0-128)
 * prefixes; flow files are IPv4 only. Prefixes must have no host bits set; PROTO is tcp, udp, icmp or a number 0-255; PORT is
 * 0 to NVM_MAX_PORTS - 1; SPORT and DPORT are 0 for a PROTO other than TCP
 * and UDP. A prefix or 5-tuple listed twice is an error.
 *
 * Errors are written to a caller buffer as "FILE:LINE: what is wrong", e.g.
 * "routes.txt:7: bad prefix '10.0.0/33'".
 */
#ifndef NL_ROUTES_H
#define NL_ROUTES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nl_flowtab.h"
#include "nl_lpm.h"
#include "nl_lpm6.h"

#define NL_ROUTES_MAX_NH 65536u /* distinct next hops: the LPM stores 16 bits */
/*
 * tbl8 groups an LPM table gets beyond what its file needs, so that prefixes
 * longer than /24 can be added in that many more /24s at run time (1 KiB
 * each, touched only when used).
 */
#define NL_ROUTES_TBL8_SPARE 16384u
/*
 * The same for IPv6: nl_lpm6 groups beyond what the file needs (a /48 added
 * at run time in a new place needs up to four; 1 KiB each, touched only
 * when used).
 */
#define NL_ROUTES_GROUP6_SPARE 16384u

/* Where a matching packet goes. */
struct nl_nexthop {
	uint8_t mac[6]; /* destination MAC to write into the packet */
	uint16_t port;  /* output port */
};
_Static_assert(sizeof(struct nl_nexthop) == 8, "next hop is 8 bytes");

/* One line of a route file. */
struct nl_route {
	uint32_t prefix;     /* IPv4: host order, host bits zero */
	uint8_t prefix6[16]; /* IPv6: network order, host bits zero */
	uint8_t family;      /* 4 or 6 */
	uint8_t depth;       /* 0-32 or 0-128 */
	struct nl_nexthop nh;
};

/* One line of a flow file. */
struct nl_flow {
	struct nl_flow_key key;
	struct nl_nexthop nh;
};

/*
 * A loaded file: a route file sets lpm and lpm6 (both always, so that either
 * family can be added at run time), a flow file sets flows. The table's
 * value for an address or 5-tuple is an index into nh[], shared by both
 * families.
 */
struct nl_routes {
	struct nl_lpm *lpm;
	struct nl_lpm6 *lpm6;
	struct nl_flowtab *flows;
	struct nl_nexthop *nh;
	uint32_t nb_nh;      /* distinct next hops */
	uint32_t nb_entries; /* routes or flows loaded (the caller counts changes) */
	uint32_t nh_cap;     /* slots allocated in nh[] */
	uint32_t *nh_index;  /* dedup hash of nh[]: slot -> index + 1, 0 = empty */
};

/*
 * Parse one route-file line into @r. Returns 1 for a route, 0 for a blank or
 * comment line, or -EINVAL with the reason (no file or line) in @err.
 */
int nl_routes_parse_route(const char *line, struct nl_route *r, char *err, size_t errlen);

/*
 * Parse a prefix "A.B.C.D/LEN" (host bits zero) into @prefix and @depth.
 * Returns 0, or -EINVAL with the reason in @err.
 */
int nl_routes_parse_prefix(const char *s, uint32_t *prefix, uint8_t *depth, char *err,
			   size_t errlen);

/*
 * Parse a prefix of either family, "A.B.C.D/LEN" or "X:X::X/LEN" (host bits
 * zero), into @r's family, prefix (or prefix6) and depth; the next hop is
 * left alone. Returns 0, or -EINVAL with the reason in @err.
 */
int nl_routes_parse_net(const char *s, struct nl_route *r, char *err, size_t errlen);

/*
 * Write @r's prefix as "A.B.C.D/LEN" or "X:X::X/LEN" (inet_ntop()'s form)
 * into @buf of @len bytes (>= 64 always suffices); returns @buf.
 */
const char *nl_routes_net_str(const struct nl_route *r, char *buf, size_t len);

/*
 * Index of next hop @nh in rt->nh[], appended if it is new (a route added at
 * run time may bring one). Returns the index, -ENOSPC when the table already
 * has NL_ROUTES_MAX_NH next hops, or -ENOMEM; next hops are never removed.
 */
int64_t nl_routes_nexthop(struct nl_routes *rt, const struct nl_nexthop *nh);

/*
 * Parse one flow-file line into @f. Returns 1 for a flow, 0 for a blank or
 * comment line, or -EINVAL with the reason (no file or line) in @err.
 */
int nl_routes_parse_flow(const char *line, struct nl_flow *f, char *err, size_t errlen);

/*
 * Read a route file from @f, naming it @name in messages, into a new LPM
 * table sized for it. Returns NULL with errno set (EINVAL for a bad line or
 * a duplicate, ENOSPC for too many next hops or IPv6 prefixes that need
 * more than NL_LPM6_MAX_GROUPS groups, ENOMEM, or a read error) and
 * "NAME:LINE: reason" in @err.
 */
struct nl_routes *nl_routes_read_lpm(FILE *f, const char *name, char *err, size_t errlen);

/*
 * Same as nl_routes_read_lpm() for a flow file, into a new flow table.
 * Returns NULL with errno set and "NAME:LINE: reason" in @err on failure.
 */
struct nl_routes *nl_routes_read_flows(FILE *f, const char *name, char *err, size_t errlen);

/*
 * Open and read route file @path (nl_routes_read_lpm()). Returns NULL with
 * errno set and the reason in @err, "PATH: No such file..." included.
 */
struct nl_routes *nl_routes_load_lpm(const char *path, char *err, size_t errlen);

/* Open and read flow file @path; returns NULL with errno set and @err filled. */
struct nl_routes *nl_routes_load_flows(const char *path, char *err, size_t errlen);

/* Free @rt and its tables (NULL is allowed); it cannot fail. */
void nl_routes_free(struct nl_routes *rt);

#endif /* NL_ROUTES_H */
