/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * l3fwd — the L3 forwarder NF. It routes IPv4 and IPv6 packets either by
 * longest-prefix match on the destination (--mode lpm --routes FILE; one
 * file, prefixes of both families) or by exact IPv4 5-tuple (--mode hash
 * --flows FILE), the two lookups of the NetVM paper's forwarder. File
 * formats: docs/l3fwd.md.
 *
 * For every packet, in this order:
 *   neither IPv4 nor IPv6          drop, counted not_ip
 *   truncated or malformed         drop, counted malformed
 *   wrong IPv4 header checksum     drop, counted bad_cksum (IPv6 has none)
 *   TTL (hop limit) <= 1           drop, counted ttl_expired
 *   no route (no flow; hash mode   drop, counted no_route
 *   has none for IPv6)
 *   route to a port the core lacks drop, counted bad_port
 *   otherwise: dst MAC := next hop's MAC, src MAC := out port's MAC,
 *              IPv4: TTL - 1 with an incremental checksum update (RFC 1624),
 *              IPv6: hop limit - 1,
 *              out of the route's port, counted forwarded
 *
 * SIGHUP re-reads the route (flow) file: the new table is built beside the
 * one in use and replaces it with one pointer store, so every packet sees
 * either the old table or the new one, none is lost; a file with an error
 * is refused and the old table stays.
 *
 * Commands (netvmctl nf cmd, docs/l3fwd.md): `routes load` replaces the table
 * the same way; `routes add|replace|del` change one route of the LPM table in use, in
 * place, while the queue threads go on looking up in it without a lock:
 * nl_lpm (nl_lpm6) writes each entry with one atomic store, so a packet is
 * routed by the table before or after the change, and keeps a group it
 * gives up intact until nl_lpm_reclaim() (nl_lpm6_reclaim()), which runs
 * after nl_quiesce() (no queue thread can still be in it). A new next hop is written into hops[] (room
 * for NL_ROUTES_MAX_NH from the start, never moved) before the route that
 * uses it. A change costs what the change touches, not the table.
 *
 * Why netlib's own nl_lpm / nl_flowtab and not DPDK's rte_lpm / rte_hash:
 * this program runs inside guest VMs, and a guest image carries netlib and
 * nothing else. DPDK's tables come with the EAL (hugepage and lcore setup, a
 * memory model that wants the whole process) and make a static NF binary
 * many megabytes large, for two data structures. nl_lpm is the same DIR-24-8
 * scheme as rte_lpm and nl_flowtab hashes with the same CRC32-C, in plain C;
 * tests/bench/bench_lookup.c measures them against DPDK's, side by side.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlib.h"
#include "nl_flowtab.h"
#include "nl_hdr.h"
#include "nl_lpm.h"
#include "nl_lpm6.h"
#include "nl_routes.h"

#define L3FWD_BURST NL_LPM_BURST_MAX
_Static_assert(NL_LPM_BURST_MAX == NL_FLOWTAB_BURST_MAX &&
	       NL_LPM_BURST_MAX == NL_LPM6_BURST_MAX, "one burst size for all lookups");

/* Verdicts, one counter each. */
#define L3FWD_COUNTERS(X) \
	X(forwarded) X(not_ip) X(malformed) X(bad_cksum) X(ttl_expired) X(no_route) X(bad_port)

enum l3fwd_counter {
#define X(name) C_##name,
	L3FWD_COUNTERS(X)
#undef X
	C_MAX
};

static const char *const counter_names[C_MAX] = {
#define X(name) #name,
	L3FWD_COUNTERS(X)
#undef X
};

/* A next hop ready to write: both MACs of the new Ethernet header, the port. */
struct l3fwd_hop {
	uint8_t macs[12]; /* destination (next hop), then source (out port) */
	uint16_t port;
	uint8_t port_ok;  /* the core engine has this port */
};

/* What one route (flow) file gives: replaced whole on reload. */
struct l3fwd_table {
	struct nl_routes *rt;    /* the table; its values index hops[] */
	struct l3fwd_hop *hops;  /* LPM mode: room for NL_ROUTES_MAX_NH, never moved */
	uint32_t nb_hops;        /* hops[] resolved (rt->nh[] may have more) */
};

struct l3fwd {
	int hash_mode;           /* 0: LPM on the destination, 1: exact 5-tuple */
	const char *file;        /* route or flow file, read again on SIGHUP */
	const char *prog;
	struct l3fwd_table *tab; /* read once per burst (acquire), swapped on reload */
	uint64_t counters[C_MAX]; /* shared by the queue threads: atomic adds */
};

/* The checks before the lookup: the drop reason, or C_forwarded to go on. */
static enum l3fwd_counter
l3fwd_check(const struct nl_pkt *p, struct nl_parsed *pp)
{
	int rc = nl_parse(p->data, p->len, pp);
	const struct nl_ipv4_hdr *ip;

	if (pp->ethertype != NL_ETHERTYPE_IPV4 && pp->ethertype != NL_ETHERTYPE_IPV6)
		return C_not_ip;
	if (rc < 0)
		return C_malformed;
	if (pp->ip_version == 6)
		return ((const struct nl_ipv6_hdr *)(p->data + pp->l3_off))->hop_limit <= 1 ?
			       C_ttl_expired : C_forwarded;
	ip = (const struct nl_ipv4_hdr *)(p->data + pp->l3_off);
	if (nl_ipv4_hdr_cksum_verify(ip) < 0)
		return C_bad_cksum;
	if (ip->ttl <= 1)
		return C_ttl_expired;
	return C_forwarded;
}

/* The hash-mode key; packets without ports (ICMP, later fragments) use 0, 0. */
static void
l3fwd_key(const struct nl_parsed *pp, struct nl_flow_key *k)
{
	*k = (struct nl_flow_key){
		.src_ip = pp->src.v4, .dst_ip = pp->dst.v4,
		.sport = pp->sport, .dport = pp->dport, .proto = pp->proto,
	};
}

/* Rewrite @p for next hop @nh and return its action; *@verdict says why. */
static int
l3fwd_forward(const struct l3fwd_table *t, struct nl_pkt *p, const struct nl_parsed *pp,
	      uint32_t nh, enum l3fwd_counter *verdict)
{
	const struct l3fwd_hop *hop = &t->hops[nh];

	if (!hop->port_ok) {
		*verdict = C_bad_port;
		return NL_DROP;
	}
	memcpy(p->data, hop->macs, sizeof(hop->macs));
	if (pp->ip_version == 6)
		((struct nl_ipv6_hdr *)(p->data + pp->l3_off))->hop_limit--;
	else
		nl_ipv4_dec_ttl((struct nl_ipv4_hdr *)(p->data + pp->l3_off));
	*verdict = C_forwarded;
	return nl_out(p, hop->port);
}

static void
l3fwd_count(struct l3fwd *s, const uint64_t *cnt)
{
	int c;

	for (c = 0; c < C_MAX; c++)
		if (cnt[c] != 0)
			__atomic_fetch_add(&s->counters[c], cnt[c], __ATOMIC_RELAXED);
}

/* One packet at a time: the whole algorithm in one place. */
static int
l3fwd_pkt(struct nl_pkt *p, void *state)
{
	struct l3fwd *s = state;
	const struct l3fwd_table *t = __atomic_load_n(&s->tab, __ATOMIC_ACQUIRE);
	enum l3fwd_counter verdict;
	struct nl_parsed pp;
	struct nl_flow_key key;
	uint32_t nh = 0;
	uint16_t nh16;
	int action = NL_DROP, rc;

	verdict = l3fwd_check(p, &pp);
	if (verdict == C_forwarded) {
		if (s->hash_mode && pp.ip_version == 6) {
			rc = -ENOENT; /* flow files are IPv4 only */
		} else if (s->hash_mode) {
			l3fwd_key(&pp, &key);
			rc = nl_flowtab_lookup(t->rt->flows, &key, &nh);
		} else if (pp.ip_version == 6) {
			rc = nl_lpm6_lookup(t->rt->lpm6, pp.dst.v6, &nh16);
			nh = nh16;
		} else {
			rc = nl_lpm_lookup(t->rt->lpm, pp.dst.v4, &nh16);
			nh = nh16;
		}
		if (rc < 0)
			verdict = C_no_route;
		else
			action = l3fwd_forward(t, p, &pp, nh, &verdict);
	}
	__atomic_fetch_add(&s->counters[verdict], 1, __ATOMIC_RELAXED);
	return action;
}

/* Forward (or count) the @m packets idx[] of a chunk whose lookups gave @nh and @hit. */
static void
l3fwd_chunk_out(const struct l3fwd_table *t, struct nl_pkt **pkts,
		const struct nl_parsed *pp, const uint8_t *idx, unsigned int m,
		const uint32_t *nh, uint64_t hit, uint8_t *actions, uint64_t *cnt)
{
	enum l3fwd_counter verdict;
	unsigned int i, j;

	for (j = 0; j < m; j++) {
		i = idx[j];
		verdict = C_no_route;
		if (hit >> j & 1)
			actions[i] = (uint8_t)l3fwd_forward(t, pkts[i], &pp[i], nh[j], &verdict);
		cnt[verdict]++;
	}
}

/*
 * Up to L3FWD_BURST packets: check all, look up the survivors of each family
 * at once, forward.
 */
static void
l3fwd_chunk(const struct l3fwd *s, const struct l3fwd_table *t, struct nl_pkt **pkts,
	    unsigned int n, uint8_t *actions, uint64_t *cnt)
{
	struct nl_parsed pp[L3FWD_BURST];
	struct nl_flow_key keys[L3FWD_BURST];
	uint32_t dst[L3FWD_BURST], nh[L3FWD_BURST];
	uint8_t dst6[L3FWD_BURST][16];
	uint16_t nh16[L3FWD_BURST];
	uint8_t idx[L3FWD_BURST], idx6[L3FWD_BURST];
	enum l3fwd_counter verdict;
	unsigned int i, j, m = 0, m6 = 0;
	uint64_t hit = 0;

	for (i = 0; i < n; i++) {
		actions[i] = NL_DROP;
		verdict = l3fwd_check(pkts[i], &pp[i]);
		if (verdict == C_forwarded && pp[i].ip_version == 6) {
			if (!s->hash_mode) { /* flow files are IPv4 only: no_route */
				memcpy(dst6[m6], pp[i].dst.v6, 16);
				idx6[m6++] = (uint8_t)i;
				continue;
			}
			verdict = C_no_route;
		}
		if (verdict != C_forwarded) {
			cnt[verdict]++;
			continue;
		}
		if (s->hash_mode)
			l3fwd_key(&pp[i], &keys[m]);
		else
			dst[m] = pp[i].dst.v4;
		idx[m++] = (uint8_t)i;
	}

	if (s->hash_mode) {
		nl_flowtab_lookup_burst(t->rt->flows, keys, nh, m, &hit);
	} else {
		nl_lpm_lookup_burst(t->rt->lpm, dst, nh16, m, &hit);
		for (j = 0; j < m; j++)
			nh[j] = (hit >> j & 1) ? nh16[j] : 0;
	}
	l3fwd_chunk_out(t, pkts, pp, idx, m, nh, hit, actions, cnt);
	if (m6 == 0)
		return;
	nl_lpm6_lookup_burst(t->rt->lpm6, (const uint8_t(*)[16])dst6, nh16, m6, &hit);
	for (j = 0; j < m6; j++)
		nh[j] = (hit >> j & 1) ? nh16[j] : 0;
	l3fwd_chunk_out(t, pkts, pp, idx6, m6, nh, hit, actions, cnt);
}

static void
l3fwd_burst(struct nl_pkt **pkts, uint16_t n, uint8_t *actions, void *state)
{
	struct l3fwd *s = state;
	const struct l3fwd_table *t = __atomic_load_n(&s->tab, __ATOMIC_ACQUIRE);
	uint64_t cnt[C_MAX] = { 0 };
	unsigned int i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < L3FWD_BURST ? n - i : L3FWD_BURST;
		l3fwd_chunk(s, t, pkts + i, k, actions + i, cnt);
	}
	l3fwd_count(s, cnt);
}

/* Fill hops[@i] from rt->nh[@i]; returns whether its port exists. */
static int
l3fwd_hop_set(struct l3fwd_table *t, struct nl_ctx *ctx, uint32_t i)
{
	const struct nl_nexthop *nh = &t->rt->nh[i];
	struct l3fwd_hop *hop = &t->hops[i];

	memcpy(hop->macs, nh->mac, 6);
	hop->port = nh->port;
	hop->port_ok = nh->port < nl_nb_ports(ctx) &&
		       nl_port_mac(ctx, nh->port, hop->macs + 6) == 0;
	return hop->port_ok;
}

/* Resolve every next hop of @t once: its MACs, and whether its port exists. */
static int
l3fwd_hops(struct l3fwd_table *t, struct nl_ctx *ctx, const char *prog, const char *file)
{
	unsigned int nb_ports = nl_nb_ports(ctx), missing = 0;
	uint32_t i;

	/* LPM tables take routes at run time, so their next hops too. */
	t->hops = calloc(t->rt->lpm != NULL ? NL_ROUTES_MAX_NH :
			 t->rt->nb_nh ? t->rt->nb_nh : 1, sizeof(*t->hops));
	if (t->hops == NULL)
		return -ENOMEM;
	for (i = 0; i < t->rt->nb_nh; i++)
		missing += !l3fwd_hop_set(t, ctx, i);
	t->nb_hops = t->rt->nb_nh;
	if (missing > 0)
		fprintf(stderr, "%s: %s: %u next hop(s) use a port the core engine does not have "
			"(it has %u); their packets are dropped as bad_port\n",
			prog, file, missing, nb_ports);
	return 0;
}

static void
l3fwd_table_free(struct l3fwd_table *t)
{
	if (t == NULL)
		return;
	nl_routes_free(t->rt);
	free(t->hops);
	free(t);
}

/* Read the routes (flows) of @f, named @name, into a new table; NULL with a
 * negative errno in *@rc after saying why (to stderr, and to @answer if
 * not NULL). @f NULL: the file s->file. */
static struct l3fwd_table *
l3fwd_table_load(const struct l3fwd *s, struct nl_ctx *ctx, FILE *f, const char *name,
		 FILE *answer, int *rc)
{
	struct l3fwd_table *t = calloc(1, sizeof(*t));
	char err[256];

	if (t == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	if (f == NULL)
		t->rt = s->hash_mode ? nl_routes_load_flows(s->file, err, sizeof(err)) :
				       nl_routes_load_lpm(s->file, err, sizeof(err));
	else
		t->rt = s->hash_mode ? nl_routes_read_flows(f, name, err, sizeof(err)) :
				       nl_routes_read_lpm(f, name, err, sizeof(err));
	if (t->rt == NULL) {
		*rc = -errno;
		fprintf(stderr, "%s: %s\n", s->prog, err);
		if (answer != NULL)
			fprintf(answer, "%s\n", err);
		l3fwd_table_free(t);
		return NULL;
	}
	*rc = l3fwd_hops(t, ctx, s->prog, name);
	if (*rc < 0) {
		l3fwd_table_free(t);
		return NULL;
	}
	return t;
}

static void
l3fwd_fini(void *state)
{
	struct l3fwd *s = state;

	if (s == NULL)
		return;
	l3fwd_table_free(s->tab);
	free(s);
}

/* Put @t in force in place of the table in use, freed once no queue thread
 * reads it; say so to stderr and @answer (if not NULL). */
static void
l3fwd_swap(struct nl_ctx *ctx, struct l3fwd *s, struct l3fwd_table *t, const char *from,
	   FILE *answer)
{
	struct l3fwd_table *old = __atomic_exchange_n(&s->tab, t, __ATOMIC_ACQ_REL);

	nl_quiesce(ctx); /* no queue thread still reads the old table */
	l3fwd_table_free(old);
	fprintf(stderr, "%s: %u %s, %u next hop(s) from %s\n", s->prog, t->rt->nb_entries,
		s->hash_mode ? "flows" : "routes", t->rt->nb_nh, from);
	if (answer != NULL)
		fprintf(answer, "%u %s, %u next hop(s) from %s\n", t->rt->nb_entries,
			s->hash_mode ? "flows" : "routes", t->rt->nb_nh, from);
}

/* The table in use with its next hops resolved again (out ports' MACs, which
 * ports exist) against the core engine attached to now: new hops[] beside the
 * old ones, the same routes. */
static int
l3fwd_rehop(struct nl_ctx *ctx, struct l3fwd *s)
{
	struct l3fwd_table *old = s->tab, *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->rt = old->rt;
	if (l3fwd_hops(t, ctx, s->prog, s->file) < 0) {
		free(t);
		return -ENOMEM;
	}
	__atomic_store_n(&s->tab, t, __ATOMIC_RELEASE);
	nl_quiesce(ctx); /* no queue thread still reads the old hops[] */
	old->rt = NULL;  /* the new table's now */
	l3fwd_table_free(old);
	return 0;
}

/* SIGHUP (or the reload command, or a re-attach): the file again, into a new
 * table that replaces the one in use whole. If the file does not load, the
 * routes in use stay, with their next hops resolved again: after a re-attach
 * the core may be another one, with other port MACs or fewer ports. */
static int
l3fwd_reload(struct nl_ctx *ctx, void *state)
{
	struct l3fwd *s = state;
	struct l3fwd_table *t;
	int rc;

	t = l3fwd_table_load(s, ctx, NULL, s->file, NULL, &rc);
	if (t == NULL) {
		l3fwd_rehop(ctx, s);
		return rc;
	}
	l3fwd_swap(ctx, s, t, s->file, NULL);
	return 0;
}

/* ---- single routes: `routes add|replace|del|list|show` (LPM mode, either family) ---- */

/* One route in the route-file format: "PREFIX/LEN PORT MAC". */
static void
l3fwd_route_print(FILE *out, const struct nl_route *r, const struct nl_nexthop *nh)
{
	char net[64];

	fprintf(out, "%s %u %02x:%02x:%02x:%02x:%02x:%02x",
		nl_routes_net_str(r, net, sizeof(net)), nh->port, nh->mac[0], nh->mac[1],
		nh->mac[2], nh->mac[3], nh->mac[4], nh->mac[5]);
}

/* The next hop of prefix @r itself, from the table of its family: 0 or -ENOENT. */
static int
l3fwd_rule_get(const struct nl_routes *rt, const struct nl_route *r, uint16_t *nh)
{
	return r->family == 6 ? nl_lpm6_rule_get(rt->lpm6, r->prefix6, r->depth, nh) :
				nl_lpm_rule_get(rt->lpm, r->prefix, r->depth, nh);
}

/* The words of `routes add|replace PREFIX PORT [MAC]`, one line of a route
 * file, into @r: 0, or -EINVAL after saying why. */
static int
l3fwd_route_words(struct nl_ctx *ctx, struct nl_cmd *cmd, const char *what, struct nl_route *r)
{
	char line[160], why[256];
	uint8_t mac[6];
	int rc, i, n = 0;

	if (cmd->argc < 4 || cmd->argc > 5) {
		fprintf(cmd->out, "usage: routes %s PREFIX/LEN PORT [NEXTHOP_MAC]\n", what);
		return -EINVAL;
	}
	for (i = 2; i < cmd->argc; i++) {
		/* a route file's comment would drop the rest of the words unsaid */
		if (strchr(cmd->argv[i], '#') != NULL) {
			fprintf(cmd->out, "routes %s: unexpected '%s' (a command has no "
				"comment; want PREFIX/LEN PORT [NEXTHOP_MAC])\n", what, cmd->argv[i]);
			return -EINVAL;
		}
		if (n < (int)sizeof(line))
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s ", cmd->argv[i]);
	}
	rc = n >= (int)sizeof(line) ? -E2BIG : nl_routes_parse_route(line, r, why, sizeof(why));
	if (rc != 1) { /* 0: words of white space alone (\v, \f) */
		if (rc == 0)
			snprintf(why, sizeof(why), "usage: routes %s PREFIX/LEN PORT [NEXTHOP_MAC]",
				 what);
		fprintf(cmd->out, "routes %s: %s\n", what, rc == -E2BIG ? "too long" : why);
		return -EINVAL;
	}
	if (r->nh.port >= nl_nb_ports(ctx) || nl_port_mac(ctx, r->nh.port, mac) != 0) {
		fprintf(cmd->out, "routes %s: port %u: the core engine has %u port(s)\n", what,
			r->nh.port, nl_nb_ports(ctx));
		return -EINVAL;
	}
	return 0;
}

/* The index of @r's next hop in hops[], resolved before any route uses it;
 * a negative errno after saying why. */
static int64_t
l3fwd_route_hop(struct nl_ctx *ctx, struct l3fwd_table *t, struct nl_cmd *cmd,
		const char *what, const struct nl_route *r)
{
	int64_t idx = nl_routes_nexthop(t->rt, &r->nh);

	if (idx < 0) {
		fprintf(cmd->out, "routes %s: %s\n", what, idx == -ENOSPC ?
			"too many next hops (at most 65536 distinct PORT/MAC pairs)" :
			strerror((int)-idx));
		return idx;
	}
	if ((uint32_t)idx == t->nb_hops) { /* a new next hop, before any route uses it */
		l3fwd_hop_set(t, ctx, (uint32_t)idx);
		t->nb_hops++;
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
	return idx;
}

/* `routes add PREFIX PORT [MAC]`: the words are one line of a route file. */
static int
l3fwd_route_add(struct nl_ctx *ctx, struct l3fwd_table *t, struct nl_cmd *cmd)
{
	struct nl_route r;
	int64_t idx;
	uint16_t old;
	int rc;

	rc = l3fwd_route_words(ctx, cmd, "add", &r);
	if (rc < 0)
		return rc;
	if (l3fwd_rule_get(t->rt, &r, &old) == 0) {
		fprintf(cmd->out, "routes add: ");
		l3fwd_route_print(cmd->out, &r, &t->rt->nh[old]);
		fprintf(cmd->out, " is in the table already (routes replace it, or routes del it "
			"first)\n");
		return -EEXIST;
	}
	idx = l3fwd_route_hop(ctx, t, cmd, "add", &r);
	if (idx < 0)
		return (int)idx;
	rc = r.family == 6 ? nl_lpm6_add(t->rt->lpm6, r.prefix6, r.depth, (uint16_t)idx) :
			     nl_lpm_add(t->rt->lpm, r.prefix, r.depth, (uint16_t)idx);
	if (rc < 0) {
		fprintf(cmd->out, "routes add: %s\n", rc != -ENOSPC ? strerror(-rc) :
			r.family == 6 ? "no group left for this IPv6 prefix (routes load the whole "
					"table to make room)" :
			"no tbl8 group left for a prefix longer than /24 in a new /24 "
			"(routes load the whole table to make room)");
		return rc;
	}
	t->rt->nb_entries++;
	fprintf(cmd->out, "added ");
	l3fwd_route_print(cmd->out, &r, &r.nh);
	fprintf(cmd->out, "\n");
	return 0;
}

/* `routes replace PREFIX PORT [MAC]`: a route in the table gets another next
 * hop in place; its addresses go by the old next hop or the new one, never
 * by a shorter prefix meanwhile (as between a del and an add). */
static int
l3fwd_route_replace(struct nl_ctx *ctx, struct l3fwd_table *t, struct nl_cmd *cmd)
{
	struct nl_route r;
	int64_t idx;
	uint16_t old;
	int rc;

	rc = l3fwd_route_words(ctx, cmd, "replace", &r);
	if (rc < 0)
		return rc;
	if (l3fwd_rule_get(t->rt, &r, &old) < 0) {
		fprintf(cmd->out, "routes replace: no route %s in the table (routes add it)\n",
			cmd->argv[2]);
		return -ENOENT;
	}
	idx = l3fwd_route_hop(ctx, t, cmd, "replace", &r);
	if (idx < 0)
		return (int)idx;
	rc = r.family == 6 ? nl_lpm6_replace(t->rt->lpm6, r.prefix6, r.depth, (uint16_t)idx) :
			     nl_lpm_replace(t->rt->lpm, r.prefix, r.depth, (uint16_t)idx);
	if (rc < 0) {
		fprintf(cmd->out, "routes replace: %s\n", strerror(-rc));
		return rc;
	}
	fprintf(cmd->out, "replaced ");
	l3fwd_route_print(cmd->out, &r, &t->rt->nh[old]);
	fprintf(cmd->out, " by ");
	l3fwd_route_print(cmd->out, &r, &r.nh);
	fprintf(cmd->out, "\n");
	return 0;
}

/* `routes del PREFIX`: its addresses fall back to the next shorter prefix. */
static int
l3fwd_route_del(struct nl_ctx *ctx, struct l3fwd_table *t, struct nl_cmd *cmd)
{
	struct nl_route r;
	char why[256];
	uint16_t nh;

	if (cmd->argc != 3) {
		fprintf(cmd->out, "usage: routes del PREFIX/LEN\n");
		return -EINVAL;
	}
	if (nl_routes_parse_net(cmd->argv[2], &r, why, sizeof(why)) < 0) {
		fprintf(cmd->out, "routes del: %s\n", why);
		return -EINVAL;
	}
	if (l3fwd_rule_get(t->rt, &r, &nh) < 0 ||
	    (r.family == 6 ? nl_lpm6_del(t->rt->lpm6, r.prefix6, r.depth) :
			     nl_lpm_del(t->rt->lpm, r.prefix, r.depth)) < 0) {
		fprintf(cmd->out, "routes del: no route %s in the table\n", cmd->argv[2]);
		return -ENOENT;
	}
	t->rt->nb_entries--;
	if (nl_lpm_pending(t->rt->lpm) > 0 || nl_lpm6_pending(t->rt->lpm6) > 0) {
		nl_quiesce(ctx); /* no queue thread is still in a group given up */
		nl_lpm_reclaim(t->rt->lpm);
		nl_lpm6_reclaim(t->rt->lpm6);
	}
	fprintf(cmd->out, "deleted ");
	l3fwd_route_print(cmd->out, &r, &t->rt->nh[nh]);
	fprintf(cmd->out, "\n");
	return 0;
}

/* A route of `routes list`: IPv4 ones sort before IPv6 ones, then by address and length. */
struct l3fwd_listed {
	struct nl_route r;
	uint16_t nh;
};

struct l3fwd_list {
	struct l3fwd_listed *v;
	uint32_t n;
};

static int
l3fwd_list_one(uint32_t prefix, uint8_t depth, uint16_t nh, void *arg)
{
	struct l3fwd_list *l = arg;

	l->v[l->n++] = (struct l3fwd_listed){ .r = { .prefix = prefix, .family = 4,
						     .depth = depth }, .nh = nh };
	return 0;
}

static int
l3fwd_list_one6(const uint8_t prefix[16], uint8_t depth, uint16_t nh, void *arg)
{
	struct l3fwd_list *l = arg;
	struct l3fwd_listed *e = &l->v[l->n++];

	*e = (struct l3fwd_listed){ .r = { .family = 6, .depth = depth }, .nh = nh };
	memcpy(e->r.prefix6, prefix, 16);
	return 0;
}

static int
l3fwd_listed_cmp(const void *a, const void *b)
{
	const struct nl_route *x = &((const struct l3fwd_listed *)a)->r;
	const struct nl_route *y = &((const struct l3fwd_listed *)b)->r;
	int c = (x->family > y->family) - (x->family < y->family);

	if (c == 0)
		c = x->family == 6 ? memcmp(x->prefix6, y->prefix6, 16) :
				     (x->prefix > y->prefix) - (x->prefix < y->prefix);
	return c != 0 ? c : (x->depth > y->depth) - (x->depth < y->depth);
}

/* `routes list`: every route, sorted, in the route-file format. */
static int
l3fwd_route_list(const struct l3fwd_table *t, struct nl_cmd *cmd)
{
	uint32_t total = nl_lpm_count(t->rt->lpm) + nl_lpm6_count(t->rt->lpm6), i;
	struct l3fwd_list l = { calloc(total + 1, sizeof(*l.v)), 0 };

	if (l.v == NULL) {
		fprintf(cmd->out, "routes list: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	nl_lpm_foreach(t->rt->lpm, l3fwd_list_one, &l);
	nl_lpm6_foreach(t->rt->lpm6, l3fwd_list_one6, &l);
	qsort(l.v, l.n, sizeof(*l.v), l3fwd_listed_cmp);
	for (i = 0; i < l.n; i++) {
		l3fwd_route_print(cmd->out, &l.v[i].r, &t->rt->nh[l.v[i].nh]);
		fprintf(cmd->out, "\n");
	}
	free(l.v);
	return 0;
}

/* The route address @arg takes into @r and *@nh: 0, -EINVAL (not an address) or -ENOENT. */
static int
l3fwd_route_of(const struct l3fwd_table *t, const char *arg, struct nl_route *r, uint16_t *nh)
{
	uint8_t a[16];
	struct in_addr in;

	memset(r, 0, sizeof(*r));
	if (inet_pton(AF_INET, arg, &in) == 1) {
		r->family = 4;
		if (nl_lpm_match(t->rt->lpm, ntohl(in.s_addr), &r->depth, nh) < 0)
			return -ENOENT;
		r->prefix = ntohl(in.s_addr) & (r->depth == 0 ? 0 : ~0u << (32 - r->depth));
		return 0;
	}
	if (inet_pton(AF_INET6, arg, a) != 1)
		return -EINVAL;
	r->family = 6;
	if (nl_lpm6_match(t->rt->lpm6, a, &r->depth, nh) < 0)
		return -ENOENT;
	nl_lpm6_mask(r->prefix6, a, r->depth);
	return 0;
}

/* `routes show ADDRESS`: the route it takes; `routes show PREFIX/LEN`: that route. */
static int
l3fwd_route_show(const struct l3fwd_table *t, struct nl_cmd *cmd)
{
	const char *arg = cmd->argv[2];
	struct nl_route r;
	char why[256];
	uint16_t nh;
	int rc;

	if (strchr(arg, '/') != NULL) {
		if (nl_routes_parse_net(arg, &r, why, sizeof(why)) < 0) {
			fprintf(cmd->out, "routes show: %s\n", why);
			return -EINVAL;
		}
		if (l3fwd_rule_get(t->rt, &r, &nh) < 0) {
			fprintf(cmd->out, "routes show: no route %s in the table\n", arg);
			return -ENOENT;
		}
	} else {
		rc = l3fwd_route_of(t, arg, &r, &nh);
		if (rc == -EINVAL) {
			fprintf(cmd->out, "routes show: bad address '%s' (want an IPv4 or IPv6 "
				"address, or a PREFIX/LEN)\n", arg);
			return rc;
		}
		if (rc < 0) {
			fprintf(cmd->out, "routes show: %s: no route (dropped as no_route)\n", arg);
			return rc;
		}
		fprintf(cmd->out, "%s via ", arg);
	}
	l3fwd_route_print(cmd->out, &r, &t->rt->nh[nh]);
	fprintf(cmd->out, "%s\n", t->hops[nh].port_ok ? "" : " (no such port: bad_port)");
	return 0;
}

/* `routes add|replace|del|list|show`, on the LPM table in use. */
static int
l3fwd_route_cmd(struct nl_ctx *ctx, struct l3fwd *s, struct nl_cmd *cmd)
{
	struct l3fwd_table *t = s->tab; /* only this thread changes s->tab */
	const char *what = cmd->argv[1];

	if (s->hash_mode) {
		fprintf(cmd->out, "routes %s: LPM mode only (in hash mode, change the flows "
			"with routes load and a whole flow file)\n", what);
		return -EINVAL;
	}
	if (strcmp(what, "add") == 0)
		return l3fwd_route_add(ctx, t, cmd);
	if (strcmp(what, "replace") == 0)
		return l3fwd_route_replace(ctx, t, cmd);
	if (strcmp(what, "del") == 0)
		return l3fwd_route_del(ctx, t, cmd);
	if (strcmp(what, "list") == 0 && cmd->argc == 2)
		return l3fwd_route_list(t, cmd);
	if (strcmp(what, "show") == 0 && cmd->argc == 3)
		return l3fwd_route_show(t, cmd);
	fprintf(cmd->out, "usage: routes load [NAME] | add PREFIX PORT [MAC] | replace PREFIX PORT "
		"[MAC] | del PREFIX | list | show ADDRESS|PREFIX\n");
	return -EINVAL;
}

/* `routes load [NAME]`: the command's data is a route (flow) file, in the
 * format of --routes: it replaces the table in use whole. The other
 * `routes` commands change or show single routes (above). */
static int
l3fwd_command(struct nl_ctx *ctx, void *state, struct nl_cmd *cmd)
{
	struct l3fwd *s = state;
	struct l3fwd_table *t;
	struct timespec t0, t1;
	const char *name;
	FILE *f;
	int rc;

	if (cmd->argc < 1 || strcmp(cmd->argv[0], "routes") != 0)
		return -ENOTSUP;
	if (cmd->argc >= 2 && strcmp(cmd->argv[1], "load") != 0)
		return l3fwd_route_cmd(ctx, s, cmd);
	if (cmd->argc < 2 || cmd->argc > 3) {
		fprintf(cmd->out, "usage: routes load [NAME] | add PREFIX PORT [MAC] | "
			"replace PREFIX PORT [MAC] | del PREFIX | list | show ADDRESS|PREFIX\n");
		return -EINVAL;
	}
	name = cmd->argc == 3 ? cmd->argv[2] : "routes";
	if (cmd->len == 0) {
		/* most likely netvmctl without -f: not a table to empty */
		fprintf(cmd->out, "routes load: no route file was sent (netvmctl -f FILE); "
			"a file of comments alone loads no routes\n");
		return -EINVAL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	f = fmemopen((void *)(uintptr_t)cmd->data, cmd->len, "r");
	if (f == NULL) {
		fprintf(cmd->out, "%s\n", strerror(errno));
		return -errno;
	}
	t = l3fwd_table_load(s, ctx, f, name, cmd->out, &rc);
	fclose(f);
	if (t == NULL)
		return rc;
	l3fwd_swap(ctx, s, t, name, cmd->out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(cmd->out, "in force after %.1f ms\n",
		(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}

static int
l3fwd_init(struct nl_ctx *ctx, int argc, char **argv, void **state)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "routes", required_argument, NULL, 'r' },
		{ "flows", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0], *mode = NULL, *routes = NULL, *flows = NULL;
	struct l3fwd *s;
	int c, rc;

	optind = 0; /* netlib ran getopt on its own options before */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm')
			mode = optarg;
		else if (c == 'r')
			routes = optarg;
		else if (c == 'f')
			flows = optarg;
		else
			return -EINVAL; /* getopt has said what is wrong */
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return -EINVAL;
	}
	if (mode == NULL || (strcmp(mode, "lpm") != 0 && strcmp(mode, "hash") != 0)) {
		fprintf(stderr, "%s: --mode lpm or --mode hash is required\n", prog);
		return -EINVAL;
	}
	if (strcmp(mode, "lpm") == 0 ? (routes == NULL || flows != NULL) :
				       (flows == NULL || routes != NULL)) {
		fprintf(stderr, "%s: --mode lpm takes --routes FILE, "
			"--mode hash takes --flows FILE\n", prog);
		return -EINVAL;
	}

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->hash_mode = flows != NULL;
	s->file = s->hash_mode ? flows : routes;
	s->prog = prog;
	s->tab = l3fwd_table_load(s, ctx, NULL, s->file, NULL, &rc);
	if (s->tab == NULL) {
		free(s);
		return rc;
	}
	fprintf(stderr, "%s: %s mode, %u %s, %u next hop(s) from %s\n", prog, mode,
		s->tab->rt->nb_entries, s->hash_mode ? "flows" : "routes", s->tab->rt->nb_nh,
		s->file);
	*state = s;
	return 0;
}

static void
l3fwd_stats(void *state, FILE *f)
{
	struct l3fwd *s = state;
	int c;

	for (c = 0; c < C_MAX; c++)
		fprintf(f, "%s %" PRIu64 "\n", counter_names[c],
			__atomic_load_n(&s->counters[c], __ATOMIC_RELAXED));
}

static const struct nl_nf l3fwd = {
	.name = "l3fwd",
	.usage = "  --mode lpm --routes FILE   longest-prefix match on the destination address\n"
		 "                             (IPv4 and IPv6 prefixes in one file)\n"
		 "  --mode hash --flows FILE   exact match on the IPv4 5-tuple (IPv6: no_route)\n"
		 "  (file formats: docs/l3fwd.md)\n",
	.init = l3fwd_init,
	.pkt = l3fwd_pkt,
	.burst = l3fwd_burst,
	.stats = l3fwd_stats,
	.reload = l3fwd_reload,
	.command = l3fwd_command,
	.commands = "routes load [NAME]          put the route (flow) file sent as data in force "
		    "(netvmctl -f FILE)\n"
		    "routes add PREFIX PORT [MAC] add one route to the table in use (LPM mode)\n"
		    "routes replace PREFIX PORT [MAC] give a route of the table in use another "
		    "next hop (LPM mode)\n"
		    "routes del PREFIX            delete one route from the table in use (LPM mode)\n"
		    "routes list                  every route, in the route-file format (LPM mode)\n"
		    "routes show ADDRESS|PREFIX   the route an address takes, or a prefix's "
		    "(LPM mode)\n",
	.fini = l3fwd_fini,
};

NL_NF_MAIN(l3fwd)
