/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * firewall — a stateful firewall NF: Click's IPFilter rules (nl_filter) per
 * input port, and connection tracking (nl_conntrack) so that the packets of
 * a connection the rules let open pass both ways without a rule. Rules file
 * and behaviour: docs/firewall.md.
 *
 * For every packet, in this order:
 *   not IPv4/IPv6                         drop, counted not_ip
 *   truncated or malformed headers        drop, counted malformed
 *   of a known connection, fits its state allow action, counted established
 *     an ICMP error about one             allow action, counted related
 *     does not fit its state              drop, counted ct_invalid
 *   may open a connection (SYN, UDP, echo request), or is not tracked:
 *     the rules of its input port, first match wins:
 *       no rule matches                   drop, counted no_match
 *       deny, or an output mapped to drop drop, counted denied
 *       allows, may open a connection     the connection is created, the
 *                                         rule's action, counted allowed_new
 *         (table refuses it: only established connections in its bucket)
 *                                         drop, counted ct_full
 *       allows, stateless or not tracked  the rule's action, counted allowed_nostate
 *   of no connection and cannot open one (an ACK out of nowhere, an echo
 *   reply or ICMP error nobody asked for): only the "stateless" rules:
 *       one allows it                     the rule's action, counted allowed_nostate
 *       one denies it                     drop, counted denied
 *       none matches                      drop, counted stray
 *   the action sends out of a port the core engine lacks: drop, counted bad_port
 *   (before the connection is created: such a packet opens none)
 *
 * Fragments (IPv4, and IPv6 with a fragment header): the first one (offset
 * 0) is decided as above and its action noted under its datagram's identity
 * (addresses, IPv4's protocol, the identification) in its queue thread's
 * table (fw_frag_*); a later one (no ports, not tracked) whose first
 * fragment was noted in the last FW_FRAG_TTL_MS takes the same action,
 * counted frag_allowed, or is dropped with it, counted frag_dropped; one
 * with no noted first fragment goes through the rules as above. A TCP
 * fragment at offset 8 (RFC 1858: it could overwrite the first fragment's
 * ports or flags) is malformed.
 *
 * SIGHUP re-reads the rules file into a new rule set beside the one in use,
 * swapped with one pointer store; the connection table stays, so
 * established connections go on. A file with an error is refused, with its
 * line and column, and the old rules stay.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"
#include "netlib.h"
#include "nl_conntrack.h"
#include "nl_hdr.h"

#define FW_COUNTERS(X) \
	X(established) X(related) X(allowed_new) X(allowed_nostate) X(denied) X(no_match) \
	X(stray) X(ct_invalid) X(ct_full) X(not_ip) X(malformed) X(bad_port) \
	X(frag_allowed) X(frag_dropped)

enum fw_counter {
#define X(name) C_##name,
	FW_COUNTERS(X)
#undef X
	C_MAX
};

static const char *const counter_names[C_MAX] = {
#define X(name) #name,
	FW_COUNTERS(X)
#undef X
};

#define FW_DEFAULT_CONNS 65536u
#define FW_RULES_LISTED 64u /* above this many rules, only those that matched are printed */
#define FW_FRAGS 1024u          /* datagrams noted per queue thread; a power of 2 */
#define FW_FRAG_TTL_MS 5000u    /* a noted first fragment's life */

struct fw {
	const char *rules_file; /* read again on SIGHUP and after a re-attach */
	const char *prog;
	/* the ports: those of the core engine attached to now (a re-attach may
	 * bring another count; the queues are stopped while it changes) */
	const struct nl_ctx *ctx;
	struct fw_ruleset *rs;  /* read once per burst (acquire), swapped on reload */
	struct nl_ct *ct;       /* kept across reloads */
	uint64_t counters[C_MAX]; /* shared by the queue threads: atomic adds */
};

/* Action @a sends @p out of a port the core engine attached to now lacks
 * (whatever the rules were compiled for). */
static int
fw_bad_port(const struct fw *s, const struct fw_action *a, const struct nl_pkt *p)
{
	unsigned int port = a->kind == FW_ACT_PAIR ? p->in_port ^ 1u : a->arg;

	return (a->kind == FW_ACT_PAIR || a->kind == FW_ACT_OUT) && port >= nl_nb_ports(s->ctx);
}

/* Carry out action @a for @p; *@c becomes bad_port when the core engine
 * attached to now has no such port. */
static int
fw_act(const struct fw *s, const struct fw_action *a, struct nl_pkt *p, enum fw_counter *c)
{
	switch (a->kind) {
	case FW_ACT_PAIR:
	case FW_ACT_OUT:
		if (fw_bad_port(s, a, p)) {
			*c = C_bad_port;
			return NL_DROP;
		}
		return nl_out(p, a->kind == FW_ACT_PAIR ? p->in_port ^ 1u : a->arg);
	case FW_ACT_ROLE:
		return nl_to_role(p, a->arg);
	case FW_ACT_NEXT:
		return NL_NEXT;
	default:
		*c = C_denied;
		return NL_DROP;
	}
}

/*
 * What the first fragment of a datagram was given, by the queue thread that
 * saw it: the core engine hands every fragment of a datagram to the
 * instance and queue of its first fragment (docs/core.md). Direct-mapped:
 * a first fragment takes its entry from whatever datagram held it.
 */
struct fw_frag {
	uint8_t src[16], dst[16]; /* as on the wire; IPv4: the first 4 bytes */
	uint32_t id;       /* identification as on the wire (IPv4: 16 bits) */
	uint8_t proto;     /* IPv4's protocol; IPv6: 0 (fragments may differ in it) */
	uint8_t v6;
	uint8_t used;      /* 0: an empty entry; not part of the identity */
	uint8_t act;       /* NL_DROP, NL_NEXT, or the action of nl_out()/nl_to_role() */
	uint16_t arg;      /* its output port or role */
	uint64_t ms;       /* when the first fragment came */
};

static __thread struct fw_frag fw_frags[FW_FRAGS];

/* The identity of fragment @p (@pp) into @k, its offset in bytes into *@off
 * and its upper-layer protocol into *@l4; false for an IPv6 packet whose
 * fragment header cannot be found (it is not followed). */
static bool
fw_frag_id(const struct nl_pkt *p, const struct nl_parsed *pp, struct fw_frag *k, uint32_t *off,
	   uint8_t *l4)
{
	const uint8_t *l3 = p->data + pp->l3_off;
	uint32_t at;

	memset(k, 0, offsetof(struct fw_frag, used));
	if (pp->ip_version == 4) {
		const struct nl_ipv4_hdr *ip = (const struct nl_ipv4_hdr *)l3;

		memcpy(k->src, &ip->src, 4);
		memcpy(k->dst, &ip->dst, 4);
		memcpy(&k->id, &ip->id, 2);
		k->proto = ip->proto;
		*off = nl_ipv4_frag_offset(ip);
		*l4 = ip->proto;
		return true;
	}
	at = nl_ipv6_frag_hdr(l3, pp->l3_len);
	if (at == 0)
		return false;
	memcpy(k->src, pp->src.v6, 16);
	memcpy(k->dst, pp->dst.v6, 16);
	memcpy(&k->id, l3 + at + 4, 4);
	k->v6 = 1;
	*off = (uint32_t)(l3[at + 2] << 8 | l3[at + 3]) & 0xfff8u;
	*l4 = l3[at];
	return true;
}

/* The entry of the datagram of identity @k. */
static struct fw_frag *
fw_frag_at(const struct fw_frag *k)
{
	uint32_t w[9], h = 0x811c9dc5u, i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 9; i++)
		h = (h ^ w[i]) * 0x01000193u;
	h ^= h >> 15;
	return &fw_frags[h & (FW_FRAGS - 1)];
}

/* Note action @act, just given to @p (the first fragment of identity @k),
 * at @now. */
static void
fw_frag_note(const struct fw_frag *k, const struct nl_pkt *p, int act, uint64_t now)
{
	struct fw_frag *e = fw_frag_at(k);

	memcpy(e, k, offsetof(struct fw_frag, used));
	e->act = (uint8_t)act;
	e->arg = act == NVM_ACT_OUT ? p->out_port : act == NVM_ACT_TO_ROLE ? p->role : 0;
	e->used = 1;
	e->ms = now;
}

/* A later fragment of identity @k: the action its first fragment was
 * given, for @p, counted in *@c; -1 when none was noted. */
static int
fw_frag_follow(const struct fw_frag *k, struct nl_pkt *p, uint64_t now, enum fw_counter *c)
{
	const struct fw_frag *e = fw_frag_at(k);

	if (!e->used || now - e->ms > FW_FRAG_TTL_MS ||
	    memcmp(e, k, offsetof(struct fw_frag, used)) != 0)
		return -1;
	*c = e->act == NL_DROP ? C_frag_dropped : C_frag_allowed;
	if (e->act == NVM_ACT_OUT)
		return nl_out(p, e->arg);
	if (e->act == NVM_ACT_TO_ROLE)
		return nl_to_role(p, e->arg);
	return e->act;
}

/* The rule of @f matching @p, or NULL; counted to that rule. */
static struct fw_rule *
fw_match(const struct fw_ruleset *rs, const struct nl_filter *f, const struct nl_pkt *p,
	 const struct nl_parsed *pp)
{
	struct fw_rule *r;
	int i;

	if (f == NULL)
		return NULL;
	i = nl_filter_match(f, p->data + pp->l3_off, pp->l3_len, p->data);
	if (i < 0 || (uint32_t)i >= rs->nb_rules)
		return NULL;
	r = &rs->rules[i];
	__atomic_fetch_add(&r->packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->bytes, p->len, __ATOMIC_RELAXED);
	return r;
}

/* A packet the rules decide: @status says whether it may open a connection. */
static int
fw_rules(struct fw *s, const struct fw_ruleset *rs, struct nl_pkt *p, const struct nl_parsed *pp,
	 const struct nl_ct_pkt *cp, int status, uint64_t now, enum fw_counter *c)
{
	const struct nl_filter *f = status == NL_CT_INVALID ? rs->stray[p->in_port] :
							      rs->filt[p->in_port];
	const struct fw_rule *r = fw_match(rs, f, p, pp);
	struct nl_ct_result res;
	int rc;

	if (r == NULL) {
		*c = status == NL_CT_INVALID ? C_stray : C_no_match;
		return NL_DROP;
	}
	if (r->verdict == FW_V_DENY || r->act.kind == FW_ACT_DROP) {
		*c = C_denied;
		return NL_DROP;
	}
	if (fw_bad_port(s, &r->act, p)) {
		*c = C_bad_port; /* dropped: it opens no connection */
		return NL_DROP;
	}
	*c = C_allowed_nostate;
	if (status == NL_CT_NEW && !r->stateless) {
		rc = nl_ct_create(s->ct, cp, now, &res);
		if (rc == -EEXIST) /* another queue created it meanwhile */
			rc = nl_ct_update(s->ct, cp, now, &res);
		if (rc == -ENOSPC) {
			*c = C_ct_full;
			return NL_DROP;
		}
		if (rc == 0)
			*c = C_allowed_new;
	}
	return fw_act(s, &r->act, p, c);
}

/* A well-formed IP packet @p (@pp, @cp) of a port the rules know: its
 * action, and the counter that says why in *@c. */
static int
fw_decide(struct fw *s, const struct fw_ruleset *rs, struct nl_pkt *p, const struct nl_parsed *pp,
	  const struct nl_ct_pkt *cp, uint64_t now, enum fw_counter *c)
{
	struct nl_ct_result res;
	int status;

	/* A SYN that opens the tuple of a connection past its handshake again,
	 * from either end of a closed one (TIME_WAIT, CLOSE), or from the
	 * opener of an open one (ESTABLISHED to LAST_ACK: it lost it). The
	 * rules decide, as for a SYN with no connection (nl_ct_create() then
	 * finds the entry, -EEXIST, and nl_ct_update() moves it on to
	 * SYN_SENT, or marks it reopened). */
	if (cp->kind == NL_CT_K_TCP &&
	    (cp->tcp_flags & (NL_CT_TCP_SYN | NL_CT_TCP_ACK | NL_CT_TCP_FIN | NL_CT_TCP_RST)) ==
		    NL_CT_TCP_SYN &&
	    nl_ct_lookup(s->ct, cp, now, &res) == NL_CT_FOUND &&
	    (res.state == NL_CT_TCP_TIME_WAIT || res.state == NL_CT_TCP_CLOSE ||
	     (res.dir == NL_CT_DIR_ORIG && res.state >= NL_CT_TCP_ESTABLISHED &&
	      res.state <= NL_CT_TCP_LAST_ACK)))
		return fw_rules(s, rs, p, pp, cp, NL_CT_NEW, now, c);
	status = nl_ct_track(s->ct, cp, now, &res);
	if (status == NL_CT_FOUND) {
		if (!res.valid) {
			*c = C_ct_invalid;
			return NL_DROP;
		}
		*c = res.related ? C_related : C_established;
		return fw_act(s, &rs->allow, p, c);
	}
	return fw_rules(s, rs, p, pp, cp, status, now, c);
}

/* One packet: its action, and the counter that says why in *@c. */
static int
fw_packet(struct fw *s, const struct fw_ruleset *rs, struct nl_pkt *p, uint64_t now,
	  enum fw_counter *c)
{
	struct fw_frag k;
	struct nl_parsed pp;
	struct nl_ct_pkt cp;
	int rc = nl_parse(p->data, p->len, &pp), act;
	uint32_t off;
	uint8_t l4;

	if (pp.ethertype != NL_ETHERTYPE_IPV4 && pp.ethertype != NL_ETHERTYPE_IPV6) {
		*c = C_not_ip;
		return NL_DROP;
	}
	if (rc < 0 || nl_ct_pkt_init(p->data, p->len, &pp, &cp) < 0) {
		*c = C_malformed;
		return NL_DROP;
	}
	if (p->in_port >= rs->nb_ports) {
		*c = C_bad_port;
		return NL_DROP;
	}
	if (!pp.is_fragment || !fw_frag_id(p, &pp, &k, &off, &l4))
		return fw_decide(s, rs, p, &pp, &cp, now, c);
	if (off == 8 && l4 == NL_IPPROTO_TCP) {
		*c = C_malformed;
		return NL_DROP;
	}
	if (off != 0) {
		act = fw_frag_follow(&k, p, now, c);
		return act >= 0 ? act : fw_decide(s, rs, p, &pp, &cp, now, c);
	}
	act = fw_decide(s, rs, p, &pp, &cp, now, c);
	fw_frag_note(&k, p, act, now);
	return act;
}

static void
fw_burst(struct nl_pkt **pkts, uint16_t n, uint8_t *actions, void *state)
{
	struct fw *s = state;
	const struct fw_ruleset *rs = __atomic_load_n(&s->rs, __ATOMIC_ACQUIRE);
	uint64_t now = nl_ct_now_ms(), cnt[C_MAX] = { 0 };
	enum fw_counter c;
	unsigned int i;

	for (i = 0; i < n; i++) {
		actions[i] = (uint8_t)fw_packet(s, rs, pkts[i], now, &c);
		cnt[c]++;
	}
	for (i = 0; i < C_MAX; i++)
		if (cnt[i] != 0)
			__atomic_fetch_add(&s->counters[i], cnt[i], __ATOMIC_RELAXED);
	nl_ct_expire(s->ct, now, 1); /* reclaim one bucket per burst: counters stay current */
}

/* Read the rules file for the ports of the core engine attached to now; NULL
 * with a negative errno in *@rc after saying why. */
static struct fw_ruleset *
fw_load(const struct fw *s, int *rc)
{
	struct fw_ruleset *rs;
	char err[1024];

	rs = fw_rules_load(s->rules_file, nl_nb_ports(s->ctx), err, sizeof(err));
	if (rs == NULL) {
		*rc = -errno;
		fprintf(stderr, "%s: %s\n", s->prog, err);
		return NULL;
	}
	*rc = 0;
	return rs;
}

/* Say what @rs is and where it came from to @f (each line after @prefix). */
static void
fw_loaded(const struct fw_ruleset *rs, const char *prefix, FILE *f)
{
	char act[32];

	fprintf(f, "%s%u rule(s) (%u stateless), %u name(s), allow = %s, from %s\n", prefix,
		rs->nb_rules, rs->nb_stateless, rs->nb_defs,
		fw_action_str(&rs->allow, act, sizeof(act)), rs->name);
}

/* The counters of the rules of @rs that matched something, when it is replaced. */
static void
fw_counts_print(const struct fw_ruleset *rs, const char *prefix, FILE *f)
{
	uint32_t i;

	for (i = 0; i < rs->nb_rules; i++)
		if (rs->rules[i].packets != 0)
			fprintf(f, "%sreplaced rule %u (line %u): %" PRIu64 " packets, %" PRIu64
				" bytes\n", prefix, i + 1, rs->rules[i].line, rs->rules[i].packets,
				rs->rules[i].bytes);
}

/*
 * Put @rs in force in place of the rule set in use, which is freed once no
 * queue thread reads it: every packet sees the old rules or the new ones,
 * the connection table stays. What was replaced goes to stderr and, for a
 * command, to @answer too.
 */
static void
fw_swap(struct nl_ctx *ctx, struct fw *s, struct fw_ruleset *rs, FILE *answer)
{
	struct fw_ruleset *old;
	char prefix[64];

	old = __atomic_exchange_n(&s->rs, rs, __ATOMIC_ACQ_REL);
	nl_quiesce(ctx); /* no queue thread still reads the old rule set */
	snprintf(prefix, sizeof(prefix), "%s: ", s->prog);
	fw_counts_print(old, prefix, stderr);
	fw_loaded(rs, prefix, stderr);
	if (answer != NULL) {
		fw_counts_print(old, "", answer);
		fw_loaded(rs, "", answer);
	}
	fw_rules_free(old);
}

/* SIGHUP, the reload command or a re-attach (perhaps to a core engine with
 * another number of ports): the rules file again, replacing the rules in
 * force whole, even those a command loaded. */
static int
fw_reload(struct nl_ctx *ctx, void *state)
{
	struct fw *s = state;
	struct fw_ruleset *rs;
	int rc;

	rs = fw_load(s, &rc);
	if (rs == NULL)
		return rc;
	fw_swap(ctx, s, rs, NULL);
	return 0;
}

/* `rules show`: the rules in force, with their counters. */
static void
fw_show(const struct fw *s, FILE *f)
{
	const struct fw_ruleset *rs = __atomic_load_n(&s->rs, __ATOMIC_ACQUIRE);
	uint32_t i;

	fw_loaded(rs, "", f);
	for (i = 0; i < rs->nb_rules; i++)
		fprintf(f, "%u\tline %u\t%" PRIu64 " packets\t%" PRIu64 " bytes\t%s\n", i + 1,
			rs->rules[i].line, __atomic_load_n(&rs->rules[i].packets, __ATOMIC_RELAXED),
			__atomic_load_n(&rs->rules[i].bytes, __ATOMIC_RELAXED), rs->rules[i].text);
}

/*
 * Commands (docs/firewall.md "Commands"):
 *   rules load [NAME]   the command's data is a rules file: put it in force
 *   rules check [NAME]  compile it only, say whether it would load
 *   rules show          the rules in force and their counters
 */
static int
fw_command(struct nl_ctx *ctx, void *state, struct nl_cmd *cmd)
{
	struct fw *s = state;
	struct fw_ruleset *rs;
	const char *name;
	char err[1024];

	if (strcmp(cmd->argv[0], "rules") != 0)
		return -ENOTSUP;
	if (cmd->argc == 2 && strcmp(cmd->argv[1], "show") == 0) {
		fw_show(s, cmd->out);
		return 0;
	}
	if (cmd->argc < 2 || cmd->argc > 3 ||
	    (strcmp(cmd->argv[1], "load") != 0 && strcmp(cmd->argv[1], "check") != 0)) {
		fprintf(cmd->out, "usage: rules load [NAME] | rules check [NAME] (the rules file "
			"as the command's data) | rules show\n");
		return -EINVAL;
	}
	name = cmd->argc == 3 ? cmd->argv[2] : "rules";
	if (cmd->len == 0) {
		/* most likely netvmctl without -f: not a rule set that drops all */
		fprintf(cmd->out, "rules %s: no rules file was sent (netvmctl -f FILE); "
			"a file of comments alone loads no rules\n", cmd->argv[1]);
		return -EINVAL;
	}
	rs = fw_rules_parse(cmd->data, cmd->len, name, nl_nb_ports(ctx), err, sizeof(err));
	if (rs == NULL) {
		int rc = -errno;

		fprintf(cmd->out, "%s\n", err);
		fprintf(stderr, "%s: rules %s refused: %s\n", s->prog, cmd->argv[1], err);
		return rc;
	}
	if (strcmp(cmd->argv[1], "check") == 0) {
		fw_loaded(rs, "would load: ", cmd->out);
		fw_rules_free(rs);
		return 0;
	}
	fw_swap(ctx, s, rs, cmd->out);
	return 0;
}

static void
fw_fini(void *state)
{
	struct fw *s = state;

	if (s == NULL)
		return;
	fw_rules_free(s->rs);
	nl_ct_free(s->ct);
	free(s);
}

static int
fw_init(struct nl_ctx *ctx, int argc, char **argv, void **state)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "conns", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct nl_ct_config cfg = { .capacity = FW_DEFAULT_CONNS };
	const char *prog = argv[0], *rules = NULL;
	unsigned long conns;
	struct fw *s;
	char *end, prefix[64];
	int c, rc;

	optind = 0; /* netlib ran getopt on its own options before */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r') {
			rules = optarg;
		} else if (c == 'c') {
			errno = 0;
			conns = strtoul(optarg, &end, 10);
			if (errno || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' ||
			    conns < NL_CT_BUCKET_WAYS || conns > NL_CT_MAX_CAPACITY) {
				fprintf(stderr, "%s: --conns '%s': a number of connections %u..%u\n",
					prog, optarg, NL_CT_BUCKET_WAYS, NL_CT_MAX_CAPACITY);
				return -EINVAL;
			}
			cfg.capacity = (uint32_t)conns;
		} else {
			return -EINVAL; /* getopt has said what is wrong */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return -EINVAL;
	}
	if (rules == NULL) {
		fprintf(stderr, "%s: --rules FILE is required\n", prog);
		return -EINVAL;
	}

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->rules_file = rules;
	s->prog = prog;
	s->ctx = ctx;
	s->ct = nl_ct_new(&cfg);
	if (s->ct == NULL) {
		rc = -errno;
		fprintf(stderr, "%s: connection table of %u entries: %s\n", prog, cfg.capacity,
			strerror(errno));
		free(s);
		return rc;
	}
	s->rs = fw_load(s, &rc);
	if (s->rs == NULL) {
		nl_ct_free(s->ct);
		free(s);
		return rc;
	}
	snprintf(prefix, sizeof(prefix), "%s: ", prog);
	fw_loaded(s->rs, prefix, stderr);
	fprintf(stderr, "%s: connection table of %u entries\n", prog, nl_ct_capacity(s->ct));
	*state = s;
	return 0;
}

static void
fw_stats(void *state, FILE *f)
{
	struct fw *s = state;
	const struct fw_ruleset *rs = __atomic_load_n(&s->rs, __ATOMIC_ACQUIRE);
	struct nl_ct_stats st;
	uint64_t pk, by;
	uint32_t i;
	int c;

	for (c = 0; c < C_MAX; c++)
		fprintf(f, "%s %" PRIu64 "\n", counter_names[c],
			__atomic_load_n(&s->counters[c], __ATOMIC_RELAXED));
	nl_ct_stats_get(s->ct, &st);
	fprintf(f, "ct_entries %" PRIu64 "\nct_created %" PRIu64 "\nct_expired %" PRIu64
		"\nct_evicted %" PRIu64 "\nct_refused %" PRIu64 "\nct_invalid_pkts %" PRIu64 "\n",
		st.entries, st.created, st.expired, st.evicted, st.full, st.invalid);
	for (i = 0; i < rs->nb_rules; i++) {
		pk = __atomic_load_n(&rs->rules[i].packets, __ATOMIC_RELAXED);
		by = __atomic_load_n(&rs->rules[i].bytes, __ATOMIC_RELAXED);
		if (pk == 0 && rs->nb_rules > FW_RULES_LISTED)
			continue;
		fprintf(f, "rule%u_packets %" PRIu64 "\nrule%u_bytes %" PRIu64 "\n", i + 1, pk,
			i + 1, by);
	}
}

static const struct nl_nf firewall = {
	.name = "firewall",
	.usage = "  --rules FILE   the rules (docs/firewall.md); SIGHUP reads it again\n"
		 "  --conns N      connection table size (default 65536)\n",
	.init = fw_init,
	.burst = fw_burst,
	.stats = fw_stats,
	.reload = fw_reload,
	.command = fw_command,
	.commands = "rules load [NAME]   put the rules file sent as data in force (netvmctl -f FILE)\n"
		    "rules check [NAME]  compile it only: would it load?\n"
		    "rules show          the rules in force, with their packet and byte counters\n",
	.fini = fw_fini,
};

NL_NF_MAIN(firewall)
