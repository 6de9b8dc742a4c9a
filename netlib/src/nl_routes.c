/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_routes.c — route and flow file parsers (formats in nl_routes.h and
 * docs/l3fwd.md). A file is read whole first, so the lookup table can be
 * sized for it exactly; next hops that repeat are stored once.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "netvm_abi.h"
#include "nl_routes.h"
#include "nl_text.h"

#define MAX_FIELDS 8  /* more than any line has, so the first extra one is kept */
#define FIELD_MAX 64  /* no valid field is longer (an IPv6 prefix: 43 + /128) */
#define WHY_MAX 256
#define NH_INDEX_SIZE (2 * NL_ROUTES_MAX_NH) /* next-hop dedup hash, half full at most */
#define ROUTE_FORMAT "PREFIX/LEN PORT [NEXTHOP_MAC]"
#define FLOW_FORMAT "SRC DST PROTO SPORT DPORT PORT [NEXTHOP_MAC]"

struct field {
	const char *s;
	int len;
};

/* One parsed line, kept until the table is built. */
struct entry {
	struct nl_route route;
	struct nl_flow flow;
	uint32_t nh;
	unsigned int line;
};

struct loader {
	const char *name;
	char *err;
	size_t errlen;
	struct nl_routes *rt;
	struct entry *ent;
	uint32_t nb_ent, ent_size;
};

static void
vreport(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
}

/* Write the message to @err (if given) and return @rc. */
static int __attribute__((format(printf, 4, 5)))
fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* fail() for a bad line: -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
invalid(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Split @line into blank-separated fields up to a '#'; returns how many there are. */
static int
split(const char *line, struct field *f)
{
	const char *p = line, *start;
	int n = 0;

	while (*p != '\0' && *p != '#') {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		for (start = p; *p != '\0' && *p != '#' && !isspace((unsigned char)*p); p++)
			;
		if (n < MAX_FIELDS)
			f[n] = (struct field){ start, (int)(p - start) };
		n++;
	}
	return n;
}

/* Copy field @f into @buf as a C string; false if it does not fit. */
static bool
field_str(const struct field *f, char *buf)
{
	if (f->len >= FIELD_MAX)
		return false;
	memcpy(buf, f->s, (size_t)f->len);
	buf[f->len] = '\0';
	return true;
}

/* Decimal digits only, value <= @max. */
static bool
parse_uint(const struct field *f, unsigned long max, unsigned long *v)
{
	int i;

	if (f->len < 1 || f->len > 10)
		return false;
	*v = 0;
	for (i = 0; i < f->len; i++) {
		if (!isdigit((unsigned char)f->s[i]))
			return false;
		*v = *v * 10 + (unsigned long)(f->s[i] - '0');
	}
	return *v <= max;
}

/* Dotted quad (exactly four decimal parts) to a host-order address. */
static bool
parse_ipv4(const struct field *f, uint32_t *ip)
{
	char buf[FIELD_MAX];
	struct in_addr a;

	if (!field_str(f, buf) || inet_pton(AF_INET, buf, &a) != 1)
		return false;
	*ip = ntohl(a.s_addr);
	return true;
}

static int
parse_prefix6(const struct field *f, const struct field *addr, unsigned long depth,
	      struct nl_route *r, char *err, size_t errlen)
{
	char buf[FIELD_MAX];
	struct nl_route masked;

	if (!field_str(addr, buf) || inet_pton(AF_INET6, buf, r->prefix6) != 1 || depth > 128)
		return invalid(err, errlen, "bad prefix '%.*s'", f->len, f->s);
	r->family = 6;
	r->depth = (uint8_t)depth;
	masked = *r;
	nl_lpm6_mask(masked.prefix6, r->prefix6, r->depth);
	if (memcmp(masked.prefix6, r->prefix6, 16) != 0)
		return invalid(err, errlen, "bad prefix '%.*s': host bits set (did you mean %s?)",
			       f->len, f->s, nl_routes_net_str(&masked, buf, sizeof(buf)));
	return 0;
}

static int
parse_prefix(const struct field *f, struct nl_route *r, char *err, size_t errlen)
{
	const char *slash = memchr(f->s, '/', (size_t)f->len);
	struct field addr, len;
	unsigned long depth;
	char net[INET_ADDRSTRLEN];
	struct in_addr a;
	uint32_t mask;

	if (slash == NULL)
		return invalid(err, errlen, "bad prefix '%.*s' (want A.B.C.D/LEN or X:X::X/LEN)",
			       f->len, f->s);
	addr = (struct field){ f->s, (int)(slash - f->s) };
	len = (struct field){ slash + 1, f->len - addr.len - 1 };
	if (!parse_uint(&len, 128, &depth))
		return invalid(err, errlen, "bad prefix '%.*s'", f->len, f->s);
	if (memchr(addr.s, ':', (size_t)addr.len) != NULL)
		return parse_prefix6(f, &addr, depth, r, err, errlen);
	if (!parse_ipv4(&addr, &r->prefix) || depth > 32)
		return invalid(err, errlen, "bad prefix '%.*s'", f->len, f->s);
	r->family = 4;
	r->depth = (uint8_t)depth;
	mask = depth == 0 ? 0 : ~0u << (32 - depth);
	if (r->prefix & ~mask) {
		a.s_addr = htonl(r->prefix & mask);
		inet_ntop(AF_INET, &a, net, sizeof(net));
		return invalid(err, errlen,
			       "bad prefix '%.*s': host bits set (did you mean %s/%lu?)",
			       f->len, f->s, net, depth);
	}
	return 0;
}

const char *
nl_routes_net_str(const struct nl_route *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	struct in_addr in = { .s_addr = htonl(r->prefix) };

	if (r->family == 6)
		inet_ntop(AF_INET6, r->prefix6, a, sizeof(a));
	else
		inet_ntop(AF_INET, &in, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, r->depth);
	return buf;
}

/* Exactly xx:xx:xx:xx:xx:xx, hex digits of either case. */
static bool
parse_mac(const struct field *f, uint8_t mac[6])
{
	int i;

	if (f->len != 17)
		return false;
	for (i = 0; i < 6; i++) {
		const char *h = f->s + 3 * i;
		char hex[3] = { h[0], h[1], '\0' };

		if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]) ||
		    (i < 5 && h[2] != ':'))
			return false;
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return true;
}

/* PORT and optional NEXTHOP_MAC, the last one or two fields of both formats. */
static int
parse_nexthop(const struct field *port, const struct field *mac, struct nl_nexthop *nh,
	      char *err, size_t errlen)
{
	unsigned long v;

	if (!parse_uint(port, NVM_MAX_PORTS - 1, &v))
		return invalid(err, errlen, "bad port '%.*s' (0-%u)", port->len, port->s,
			       NVM_MAX_PORTS - 1);
	nh->port = (uint16_t)v;
	if (mac == NULL) { /* the documented default: 02:00:00:00:00:<port> */
		static const uint8_t def[6] = { 0x02, 0, 0, 0, 0, 0 };

		memcpy(nh->mac, def, 6);
		nh->mac[5] = (uint8_t)v;
		return 0;
	}
	if (!parse_mac(mac, nh->mac))
		return invalid(err, errlen, "bad MAC '%.*s' (want xx:xx:xx:xx:xx:xx)",
			       mac->len, mac->s);
	return 0;
}

int
nl_routes_parse_route(const char *line, struct nl_route *r, char *err, size_t errlen)
{
	struct field f[MAX_FIELDS];
	int n = split(line, f), rc;

	if (n == 0)
		return 0;
	if (n < 2)
		return invalid(err, errlen, "missing port (want %s)", ROUTE_FORMAT);
	if (n > 3)
		return invalid(err, errlen, "unexpected '%.*s' (want %s)", f[3].len, f[3].s,
			       ROUTE_FORMAT);
	memset(r, 0, sizeof(*r));
	rc = parse_prefix(&f[0], r, err, errlen);
	if (rc == 0)
		rc = parse_nexthop(&f[1], n == 3 ? &f[2] : NULL, &r->nh, err, errlen);
	return rc < 0 ? rc : 1;
}

static bool
parse_proto(const struct field *f, uint8_t *proto)
{
	static const struct { const char *name; uint8_t num; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 },
	};
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((size_t)f->len == strlen(names[i].name) &&
		    strncasecmp(f->s, names[i].name, (size_t)f->len) == 0) {
			*proto = names[i].num;
			return true;
		}
	}
	if (!parse_uint(f, 255, &v))
		return false;
	*proto = (uint8_t)v;
	return true;
}

int
nl_routes_parse_flow(const char *line, struct nl_flow *fl, char *err, size_t errlen)
{
	struct field f[MAX_FIELDS];
	struct nl_flow_key *k = &fl->key;
	unsigned long sport, dport;
	int n = split(line, f), rc;

	if (n == 0)
		return 0;
	if (n < 6)
		return invalid(err, errlen, "missing fields (want %s)", FLOW_FORMAT);
	if (n > 7)
		return invalid(err, errlen, "unexpected '%.*s' (want %s)", f[7].len, f[7].s,
			       FLOW_FORMAT);
	memset(fl, 0, sizeof(*fl));
	if (!parse_ipv4(&f[0], &k->src_ip))
		return invalid(err, errlen, "bad source address '%.*s'", f[0].len, f[0].s);
	if (!parse_ipv4(&f[1], &k->dst_ip))
		return invalid(err, errlen, "bad destination address '%.*s'", f[1].len, f[1].s);
	if (!parse_proto(&f[2], &k->proto))
		return invalid(err, errlen, "bad protocol '%.*s' (tcp, udp, icmp or 0-255)",
			       f[2].len, f[2].s);
	if (!parse_uint(&f[3], 65535, &sport))
		return invalid(err, errlen, "bad source port '%.*s' (0-65535)", f[3].len, f[3].s);
	if (!parse_uint(&f[4], 65535, &dport))
		return invalid(err, errlen, "bad destination port '%.*s' (0-65535)",
			       f[4].len, f[4].s);
	/* nl_parse() reads ports of TCP and UDP only: any other flow with ports never matches */
	if (k->proto != 6 && k->proto != 17 && (sport != 0 || dport != 0))
		return invalid(err, errlen, "bad %s port '%.*s': protocol %u has no ports (its "
			       "packets are looked up with 0 0)", sport != 0 ? "source" :
			       "destination", f[sport != 0 ? 3 : 4].len, f[sport != 0 ? 3 : 4].s,
			       k->proto);
	k->sport = (uint16_t)sport;
	k->dport = (uint16_t)dport;
	rc = parse_nexthop(&f[5], n == 7 ? &f[6] : NULL, &fl->nh, err, errlen);
	return rc < 0 ? rc : 1;
}

int
nl_routes_parse_net(const char *s, struct nl_route *r, char *err, size_t errlen)
{
	struct field f = { s, (int)strlen(s) };

	memset(r, 0, sizeof(*r));
	return parse_prefix(&f, r, err, errlen);
}

int
nl_routes_parse_prefix(const char *s, uint32_t *prefix, uint8_t *depth, char *err,
		       size_t errlen)
{
	struct nl_route r;
	int rc = nl_routes_parse_net(s, &r, err, errlen);

	if (rc == 0 && r.family != 4)
		rc = invalid(err, errlen, "bad prefix '%s' (want A.B.C.D/LEN)", s);
	if (rc == 0) {
		*prefix = r.prefix;
		*depth = r.depth;
	}
	return rc;
}

int64_t
nl_routes_nexthop(struct nl_routes *rt, const struct nl_nexthop *nh)
{
	uint32_t i = nl_crc32c(nh, sizeof(*nh), 0xffffffffu) & (NH_INDEX_SIZE - 1);

	for (; rt->nh_index[i] != 0; i = (i + 1) & (NH_INDEX_SIZE - 1))
		if (memcmp(&rt->nh[rt->nh_index[i] - 1], nh, sizeof(*nh)) == 0)
			return rt->nh_index[i] - 1;
	if (rt->nb_nh == NL_ROUTES_MAX_NH)
		return -ENOSPC;
	if (rt->nb_nh == rt->nh_cap) {
		uint32_t size = rt->nh_cap ? rt->nh_cap * 2 : 16;
		struct nl_nexthop *bigger = realloc(rt->nh, size * sizeof(*bigger));

		if (bigger == NULL)
			return -ENOMEM;
		rt->nh = bigger;
		rt->nh_cap = size;
	}
	rt->nh[rt->nb_nh] = *nh;
	rt->nh_index[i] = ++rt->nb_nh;
	return rt->nb_nh - 1;
}

static int
entry_append(struct loader *ld, const struct entry *e)
{
	if (ld->nb_ent == ld->ent_size) {
		uint32_t size = ld->ent_size ? ld->ent_size * 2 : 64;
		struct entry *bigger = realloc(ld->ent, size * sizeof(*bigger));

		if (bigger == NULL)
			return -ENOMEM;
		ld->ent = bigger;
		ld->ent_size = size;
	}
	ld->ent[ld->nb_ent++] = *e;
	return 0;
}

/* Read every line of @f into ld->ent; errno-style result, message in ld->err. */
static int
read_lines(struct loader *ld, FILE *f, bool flows)
{
	char why[WHY_MAX], *buf = NULL;
	size_t cap = 0;
	struct entry e;
	unsigned int lineno = 0;
	ssize_t got;
	int64_t nh;
	int rc = 0;

	while ((got = nl_read_line(f, &buf, &cap, NL_LINE_MAX)) > 0) {
		lineno++;
		if (memchr(buf, '\0', (size_t)got) != NULL) {
			/* the parser would stop there and take the start of the line alone */
			rc = invalid(ld->err, ld->errlen, "%s:%u: NUL byte in the line (a route or "
				     "flow file is text)", ld->name, lineno);
			break;
		}
		memset(&e, 0, sizeof(e));
		e.line = lineno;
		rc = flows ? nl_routes_parse_flow(buf, &e.flow, why, sizeof(why)) :
			     nl_routes_parse_route(buf, &e.route, why, sizeof(why));
		if (rc < 0) {
			fail(rc, ld->err, ld->errlen, "%s:%u: %s", ld->name, lineno, why);
			break;
		}
		if (rc == 0)
			continue;
		nh = nl_routes_nexthop(ld->rt, flows ? &e.flow.nh : &e.route.nh);
		if (nh == -ENOSPC) {
			rc = fail(-ENOSPC, ld->err, ld->errlen,
				  "%s:%u: too many next hops (at most %u distinct PORT/MAC pairs)",
				  ld->name, lineno, NL_ROUTES_MAX_NH);
			break;
		}
		e.nh = (uint32_t)nh;
		rc = nh < 0 ? (int)nh : entry_append(ld, &e);
		if (rc < 0) {
			fail(rc, ld->err, ld->errlen, "%s:%u: %s", ld->name, lineno, strerror(-rc));
			break;
		}
	}
	if (rc >= 0 && got == -EMSGSIZE) {
		rc = invalid(ld->err, ld->errlen, "%s:%u: line longer than %u bytes (a route or "
			     "flow file is text)", ld->name, lineno + 1, NL_LINE_MAX);
	} else if (rc >= 0 && got < 0) {
		rc = fail((int)got, ld->err, ld->errlen, "%s: %s", ld->name, strerror((int)-got));
	} else if (rc >= 0 && ferror(f)) { /* the read said why: EISDIR for a directory, EIO... */
		rc = errno > 0 ? -errno : -EIO;
		fail(rc, ld->err, ld->errlen, "%s: %s", ld->name, strerror(-rc));
	}
	free(buf);
	return rc < 0 ? rc : 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* tbl8 groups the IPv4 routes need: one per /24 holding a prefix longer than /24. */
static int64_t
count_tbl8(const struct loader *ld)
{
	uint32_t *blocks = malloc((ld->nb_ent ? ld->nb_ent : 1) * sizeof(uint32_t));
	uint32_t i, n = 0, groups = 0;

	if (blocks == NULL)
		return -ENOMEM;
	for (i = 0; i < ld->nb_ent; i++)
		if (ld->ent[i].route.family == 4 && ld->ent[i].route.depth > 24)
			blocks[n++] = ld->ent[i].route.prefix >> 8;
	qsort(blocks, n, sizeof(uint32_t), cmp_u32);
	for (i = 0; i < n; i++)
		if (i == 0 || blocks[i] != blocks[i - 1])
			groups++;
	free(blocks);
	return groups;
}

static int
cmp_prefix6(const void *a, const void *b)
{
	return memcmp((*(const struct nl_route *const *)a)->prefix6,
		      (*(const struct nl_route *const *)b)->prefix6, 16);
}

/*
 * nl_lpm6 groups the IPv6 routes need: the group reached through byte k
 * (2-15) is one per distinct first k bytes among the routes longer than 8k.
 * In address order the routes sharing their first k bytes are neighbours.
 */
static int64_t
count_groups6(const struct loader *ld)
{
	const struct nl_route **v = malloc((ld->nb_ent ? ld->nb_ent : 1) * sizeof(*v));
	const struct nl_route *last[16] = { NULL }; /* the last one with a group at byte k */
	uint32_t i, n = 0;
	unsigned int k;
	int64_t groups = 0;

	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < ld->nb_ent; i++)
		if (ld->ent[i].route.family == 6 && ld->ent[i].route.depth > 16)
			v[n++] = &ld->ent[i].route;
	qsort(v, n, sizeof(*v), cmp_prefix6);
	for (i = 0; i < n; i++) {
		for (k = 2; k <= (v[i]->depth - 1u) / 8u; k++) {
			if (last[k] == NULL || memcmp(last[k]->prefix6, v[i]->prefix6, k) != 0)
				groups++;
			last[k] = v[i];
		}
	}
	free(v);
	return groups;
}

static int
build_lpm(struct loader *ld)
{
	int64_t groups = count_tbl8(ld), groups6 = count_groups6(ld);
	uint32_t i;
	char net[64];
	int rc;

	if (groups6 > NL_LPM6_MAX_GROUPS)
		return fail(-ENOSPC, ld->err, ld->errlen, "%s: the IPv6 routes need %" PRId64
			    " groups of 256 entries (at most %u)", ld->name, groups6,
			    NL_LPM6_MAX_GROUPS);
	if (groups >= 0)
		ld->rt->lpm = nl_lpm_create((uint32_t)groups + NL_ROUTES_TBL8_SPARE);
	if (groups6 >= 0) /* the spare groups, as many as fit */
		ld->rt->lpm6 = nl_lpm6_create(
			(uint32_t)(groups6 + NL_ROUTES_GROUP6_SPARE > NL_LPM6_MAX_GROUPS ?
				   NL_LPM6_MAX_GROUPS : groups6 + NL_ROUTES_GROUP6_SPARE));
	if (ld->rt->lpm == NULL || ld->rt->lpm6 == NULL)
		return fail(-ENOMEM, ld->err, ld->errlen, "%s: %s", ld->name, strerror(ENOMEM));
	for (i = 0; i < ld->nb_ent; i++) {
		const struct entry *e = &ld->ent[i];
		const struct nl_route *r = &e->route;

		rc = r->family == 6 ? nl_lpm6_add(ld->rt->lpm6, r->prefix6, r->depth, (uint16_t)e->nh) :
				      nl_lpm_add(ld->rt->lpm, r->prefix, r->depth, (uint16_t)e->nh);
		if (rc == -EEXIST)
			return invalid(ld->err, ld->errlen, "%s:%u: duplicate route %s",
				       ld->name, e->line, nl_routes_net_str(r, net, sizeof(net)));
		if (rc < 0)
			return fail(rc, ld->err, ld->errlen, "%s:%u: %s", ld->name, e->line,
				    strerror(-rc));
	}
	return 0;
}

static int
build_flows(struct loader *ld)
{
	uint32_t i;
	int rc;

	ld->rt->flows = nl_flowtab_create(ld->nb_ent ? ld->nb_ent : 1);
	if (ld->rt->flows == NULL)
		return fail(-errno, ld->err, ld->errlen, "%s: %s", ld->name, strerror(errno));
	for (i = 0; i < ld->nb_ent; i++) {
		rc = nl_flowtab_add(ld->rt->flows, &ld->ent[i].flow.key, ld->ent[i].nh);
		if (rc == -EEXIST)
			return invalid(ld->err, ld->errlen, "%s:%u: duplicate flow",
				       ld->name, ld->ent[i].line);
		if (rc < 0)
			return fail(rc, ld->err, ld->errlen, "%s:%u: %s", ld->name,
				    ld->ent[i].line, strerror(-rc));
	}
	return 0;
}

static struct nl_routes *
routes_read(FILE *f, const char *name, bool flows, char *err, size_t errlen)
{
	struct loader ld = { .name = name, .err = err, .errlen = errlen };
	int rc = -ENOMEM;

	ld.rt = calloc(1, sizeof(*ld.rt));
	if (ld.rt != NULL)
		ld.rt->nh_index = calloc(NH_INDEX_SIZE, sizeof(uint32_t));
	if (ld.rt == NULL || ld.rt->nh_index == NULL)
		fail(rc, err, errlen, "%s: %s", name, strerror(ENOMEM));
	else if ((rc = read_lines(&ld, f, flows)) == 0)
		rc = flows ? build_flows(&ld) : build_lpm(&ld);
	if (rc == 0)
		ld.rt->nb_entries = ld.nb_ent;
	free(ld.ent);
	if (rc < 0) {
		nl_routes_free(ld.rt);
		errno = -rc;
		return NULL;
	}
	return ld.rt;
}

struct nl_routes *
nl_routes_read_lpm(FILE *f, const char *name, char *err, size_t errlen)
{
	return routes_read(f, name, false, err, errlen);
}

struct nl_routes *
nl_routes_read_flows(FILE *f, const char *name, char *err, size_t errlen)
{
	return routes_read(f, name, true, err, errlen);
}

static struct nl_routes *
routes_load(const char *path, bool flows, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct nl_routes *rt;
	int saved;

	if (f == NULL) {
		saved = errno;
		fail(-saved, err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	rt = routes_read(f, path, flows, err, errlen);
	saved = errno;
	fclose(f);
	errno = saved;
	return rt;
}

struct nl_routes *
nl_routes_load_lpm(const char *path, char *err, size_t errlen)
{
	return routes_load(path, false, err, errlen);
}

struct nl_routes *
nl_routes_load_flows(const char *path, char *err, size_t errlen)
{
	return routes_load(path, true, err, errlen);
}

void
nl_routes_free(struct nl_routes *rt)
{
	if (rt == NULL)
		return;
	nl_lpm_free(rt->lpm);
	nl_lpm6_free(rt->lpm6);
	nl_flowtab_free(rt->flows);
	free(rt->nh);
	free(rt->nh_index);
	free(rt);
}
