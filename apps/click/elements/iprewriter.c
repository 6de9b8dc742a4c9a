/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPRewriter(INPUTSPEC1, ..., INPUTSPECn [, KEYWORDS]) — stateful NAPT for
 * TCP and UDP (needs the IP header annotation).
 *
 * A flow is (source address, source port, destination address, destination
 * port, protocol). Each mapping ties a flow as it arrives to the flow it is
 * rewritten into, and installs the reverse pair for replies:
 *
 *   forward  (SA, SP, DA, DP) => (SA', SP', DA', DP')   leaves on FOUT
 *   reply    (DA', DP', SA', SP') => (DA, DP, SA, SP)   leaves on ROUT
 *
 * A packet that matches either entry (on any input) is rewritten and leaves
 * on that entry's output. Otherwise the INPUTSPEC of its input decides:
 *
 *   drop | discard        the packet is dropped
 *   pass [OUT] | passthrough [OUT] | nochange [OUT]
 *                         sent to OUT (0) unchanged, no mapping
 *   keep FOUT ROUT        a mapping that changes nothing
 *   pattern SADDR SPORT DADDR DPORT FOUT ROUT
 *                         '-' leaves a field unchanged; SPORT may be a range
 *                         L-H: the packet's own source port when it is in
 *                         the range and free, else a random free port; 'L-H#'
 *                         takes free ports in sequence, 'L-H?' always random.
 *                         No free port: a mapping failure, the packet dropped.
 *   pattern NAME FOUT ROUT  a pattern an IPRewriterPatterns element names
 *   MAPPER                the name of a RoundRobinIPMapper: each new flow
 *                         takes its next pattern (and its outputs) in turn
 *
 * The same engine (iprewriter.h) runs TCPRewriter (tcprewriter.c),
 * UDPRewriter (TCP and UDP alike, no TCP state: UDP's timeouts, named
 * TIMEOUT, STREAMING_TIMEOUT, UDP_GUARANTEE; tcprewriter.c) and
 * ICMPPingRewriter (icmppingrewriter.c); their modes are marked below.
 *
 * Packets that are not TCP or UDP, non-first fragments and truncated
 * transport headers are dropped unless their input is a 'pass' input, which
 * sends them to its output (ICMP errors are left to other elements).
 *
 * Checksums are updated incrementally (RFC 1624): the IP header over the
 * addresses, TCP/UDP over the pseudo-header addresses and the ports; a UDP
 * checksum of 0 (none) stays 0.
 *
 * Timeouts (seconds): TCP_TIMEOUT (86400, payload seen both ways),
 * TCP_NODATA_TIMEOUT (300), TCP_DONE_TIMEOUT (240, after RST or FIN both
 * ways), UDP_TIMEOUT (300), UDP_STREAMING_TIMEOUT (UDP_TIMEOUT; 3 packets and
 * both directions seen), TCP_GUARANTEE / UDP_GUARANTEE (5: a mapping younger
 * than this since its last packet is never evicted). A mapping past its
 * expiry is gone for lookups; a timer armed only while mappings exist frees
 * them every REAP_INTERVAL (900).
 *
 * The table holds MAPPING_CAPACITY mappings (65536), allocated when the
 * router starts; MAPPING_CAPACITY NAME (another rewriter, which names no
 * other itself) shares that one's capacity: each keeps its own table, and
 * the mappings of all of them count against it. A new flow when it is full first frees expired mappings,
 * then evicts the unguaranteed one that expires first; when every mapping is
 * guaranteed, or the new flow is unguaranteed (GUARANTEE 0) and would expire
 * before that one, the packet is dropped and counted in mapping_failures.
 *
 * DST_ANNO (true) sets the destination-IP annotation to the new destination;
 * REPLY_ANNO PAINT gives reply packets the PAINT annotation the flow's first
 * packet had. GUARANTEE is TCP_GUARANTEE (UDPRewriter: UDP_GUARANTEE).
 * Handlers: table (one mapping per line), tcp_table and udp_table (both
 * directions, as Click prints them), nmappings (the sum of the inputs'
 * counts of the mappings they hold, as Click's), table_size (mappings
 * held), size (as Click's, those held against the capacity, a shared one's
 * counting every sharer's), capacity (written: the
 * mappings beyond it freed, a larger one grows the table), clear, mapping_failures,
 * patterns and patternN (Click's lines: the pattern or <drop>, <nochange>,
 * <keep>, <mapper>, then " [N]" mappings the input holds; patternN written replaces
 * input N's INPUTSPEC), IPRewriter's tcp_lookup (TCPRewriter's lookup) and
 * IPRewriter's tcp_mappings and udp_mappings.
 */
#include <ctype.h>
#include <stdarg.h>

#include "iprewriter.h"

/* ---- configuration ---- */

static int
parse_port(const char *s, int64_t *v)
{
	return ck_parse_int(s, v) == 0 && *v > 0 && *v < 65536 ? 0 : -EINVAL;
}

/* SPORT: "-", a port, or "L-H" with an optional '#' or '?'. */
static int
parse_sport(const char *w, struct rw_pattern *pt)
{
	char buf[32], *dash;
	size_t n = strlen(w);
	int64_t lo, hi;

	pt->same_first = true;
	if (strcmp(w, "-") == 0)
		return 0;
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, w, n + 1);
	if (buf[n - 1] == '#' || buf[n - 1] == '?') {
		pt->sequential = buf[n - 1] == '#';
		pt->same_first = false;
		buf[--n] = 0;
	}
	dash = strchr(buf, '-');
	if (!dash) {
		if (parse_port(buf, &lo) < 0)
			return -EINVAL;
		pt->sport = (uint16_t)lo;
		return 0;
	}
	*dash = 0;
	if (ck_parse_int(buf, &lo) < 0 || ck_parse_int(dash + 1, &hi) < 0 || lo < 0 ||
	    hi < lo || hi > 65535)
		return -EINVAL;
	pt->sport = (uint16_t)lo;
	pt->variation = (uint32_t)(hi - lo);
	return 0;
}

/* An INPUTSPEC error: during a patternN write to that write's error stream
 * (x->errf, may be NULL), else a configuration error. Returns -EINVAL. */
static int __attribute__((format(printf, 2, 3)))
rw_err(struct ck_element *e, const char *fmt, ...)
{
	struct rw *x = rw_of(e);
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!x || !x->writing)
		return ck_error(e, "%s", buf);
	if (x->errf)
		fprintf(x->errf, "%s\n", buf);
	return -EINVAL;
}

static int
parse_outputs(struct ck_element *e, char **w, struct rw_input *in, unsigned int i)
{
	int64_t f, r;

	if (ck_parse_int(w[0], &f) < 0 || f < 0 || f >= e->nout)
		return rw_err(e, "INPUTSPEC %u: bad forward output '%s' (%u outputs)", i, w[0],
				e->nout);
	if (ck_parse_int(w[1], &r) < 0 || r < 0 || r >= e->nout)
		return rw_err(e, "INPUTSPEC %u: bad reply output '%s' (%u outputs)", i, w[1],
				e->nout);
	in->fout = (uint16_t)f;
	in->rout = (uint16_t)r;
	return 0;
}

/* A pattern of @nw words, as Click's: "SADDR SPORT DADDR DPORT", "SADDR
 * DADDR SPORT" or "SADDR DADDR" ('-' = unchanged; ports unchanged where not
 * given). Returns 0 or -EINVAL after a message. */
int
rw_parse_pattern(struct ck_element *e, char **w, int nw, struct rw_pattern *pt, unsigned int i)
{
	const char *sa = w[0], *sp = nw == 4 ? w[1] : nw == 3 ? w[2] : "-";
	const char *da = nw == 4 ? w[2] : w[1], *dp = nw == 4 ? w[3] : "-";
	int64_t v;

	memset(pt, 0, sizeof(*pt));
	pt->napt = nw >= 3;
	if (nw < 2 || nw > 4)
		return rw_err(e, "INPUTSPEC %u: a pattern is 'SADDR SPORT DADDR DPORT', "
				"'SADDR DADDR SPORT' or 'SADDR DADDR'", i);
	if (strcmp(sa, "-") != 0 && ck_parse_ip(e->r, sa, &pt->saddr) < 0)
		return rw_err(e, "INPUTSPEC %u: bad source address '%s'", i, sa);
	if (parse_sport(sp, pt) < 0)
		return rw_err(e, "INPUTSPEC %u: bad source port '%s'", i, sp);
	if (strcmp(da, "-") != 0 && ck_parse_ip(e->r, da, &pt->daddr) < 0)
		return rw_err(e, "INPUTSPEC %u: bad destination address '%s'", i, da);
	if (strcmp(dp, "-") != 0) {
		if (parse_port(dp, &v) < 0)
			return rw_err(e, "INPUTSPEC %u: bad destination port '%s'", i, dp);
		pt->dport = (uint16_t)v;
	}
	return 0;
}

static int
parse_inputspec(struct ck_element *e, char **w, int nw, struct rw_input *in, unsigned int i)
{
	int64_t v;

	if (strcmp(w[0], "drop") == 0 || strcmp(w[0], "discard") == 0) {
		if (nw != 1)
			return rw_err(e, "INPUTSPEC %u: '%s' takes no arguments", i, w[0]);
		in->kind = RW_DROP;
		return 0;
	}
	if (strcmp(w[0], "pass") == 0 || strcmp(w[0], "passthrough") == 0 ||
	    strcmp(w[0], "nochange") == 0) {
		/* as Click's: the output is optional, 0 by default */
		v = 0;
		if (nw > 2 || (nw == 2 && (ck_parse_int(w[1], &v) < 0 || v < 0 ||
					   v >= e->nout)))
			return rw_err(e, "INPUTSPEC %u: expected '%s [OUTPUT]' (%u outputs)", i,
					w[0], e->nout);
		in->kind = RW_PASS;
		in->fout = (uint16_t)v;
		return 0;
	}
	if (strcmp(w[0], "keep") == 0) {
		if (nw != 3)
			return rw_err(e, "INPUTSPEC %u: expected 'keep FOUTPUT ROUTPUT'", i);
		in->kind = RW_KEEP;
		return parse_outputs(e, w + 1, in, i);
	}
	if (strcmp(w[0], "pattern") == 0) {
		in->kind = RW_PATTERN;
		if (nw == 4) {
			const struct rw_pattern *named = rw_patterns_find(e->r, w[1]);

			if (!named)
				return rw_err(e, "INPUTSPEC %u: no pattern named '%s' (declare it "
						"in an IPRewriterPatterns)", i, w[1]);
			in->pat = *named;
			return parse_outputs(e, w + 2, in, i);
		}
		if (nw < 5 || nw > 7)
			return rw_err(e, "INPUTSPEC %u: expected 'pattern SADDR SPORT DADDR "
					"DPORT FOUTPUT ROUTPUT' (or 'SADDR DADDR [SPORT]' for the "
					"addresses) or 'pattern NAME FOUTPUT ROUTPUT'", i);
		if (rw_parse_pattern(e, w + 1, nw - 3, &in->pat, i) < 0)
			return -EINVAL;
		return parse_outputs(e, w + nw - 2, in, i);
	}
	if (ck_router_find(e->r, w[0])) {
		struct ck_element *m = ck_router_find(e->r, w[0]);
		int top = rw_mapper_max_output(m);

		if (top < 0)
			return rw_err(e, "INPUTSPEC %u: element '%s' is no mapper (RoundRobinIPMapper)",
					i, w[0]);
		if (nw != 1)
			return rw_err(e, "INPUTSPEC %u: a mapper takes no arguments", i);
		if ((unsigned int)top >= e->nout)
			return rw_err(e, "INPUTSPEC %u: mapper '%s' names output %d (%u outputs)",
					i, w[0], top, e->nout);
		in->kind = RW_MAPPER;
		in->mapper = m;
		return 0;
	}
	return rw_err(e, "INPUTSPEC %u: unknown '%s' (expected drop, pass, keep or pattern)",
			i, w[0]);
}

/* ICMPPingRewriter's older form (SRC, DST): requests from input 0 leave with
 * source SRC and destination DST ('-' = unchanged) and a free identifier
 * (their own when free) on output 0; their replies on output 1 (or 0). */
static int
parse_ping_pair(struct ck_element *e, char **args, int n, struct rw *x)
{
	struct rw_input *in = &x->in[0];

	if (n != 2 || strchr(args[0], ' ') || strchr(args[1], ' '))
		return 0;
	if ((strcmp(args[0], "-") != 0 && ck_parse_ip(e->r, args[0], &in->pat.saddr) < 0) ||
	    (strcmp(args[1], "-") != 0 && ck_parse_ip(e->r, args[1], &in->pat.daddr) < 0))
		return 0;
	in->kind = RW_PATTERN;
	in->pat.variation = 65535;
	in->pat.same_first = true;
	in->fout = 0;
	in->rout = e->nout > 1 ? 1 : 0;
	x->nin = 1;
	return 1;
}

#define RW_NAPT ((1u << RW_MODE_IP) | (1u << RW_MODE_TCP))
#define RW_PING (1u << RW_MODE_PING)
#define RW_UDP (1u << RW_MODE_UDP)

static const struct {
	const char *kw;
	size_t off;
	unsigned int modes;      /* the rewriters that take it: 1 << enum rw_mode */
} rw_times[] = {
	{ "TCP_TIMEOUT", offsetof(struct rw, tcp_to), RW_NAPT },
	{ "TCP_DONE_TIMEOUT", offsetof(struct rw, tcp_done_to), RW_NAPT },
	{ "TCP_NODATA_TIMEOUT", offsetof(struct rw, tcp_nodata_to), RW_NAPT },
	{ "TCP_GUARANTEE", offsetof(struct rw, tcp_guar), RW_NAPT },
	{ "UDP_TIMEOUT", offsetof(struct rw, udp_to), RW_NAPT | RW_UDP },
	{ "UDP_STREAMING_TIMEOUT", offsetof(struct rw, udp_stream_to), RW_NAPT | RW_UDP },
	{ "UDP_GUARANTEE", offsetof(struct rw, udp_guar), RW_NAPT | RW_UDP },
	{ "REAP_INTERVAL", offsetof(struct rw, reap_iv), RW_NAPT | RW_PING | RW_UDP },
	/* ICMPPingRewriter's and UDPRewriter's names for their one timeout,
	 * streaming timeout and guarantee */
	{ "TIMEOUT", offsetof(struct rw, udp_to), RW_PING | RW_UDP },
	{ "STREAMING_TIMEOUT", offsetof(struct rw, udp_stream_to), RW_UDP },
	{ "GUARANTEE", offsetof(struct rw, udp_guar), RW_PING | RW_UDP },
	/* IPRewriter's and TCPRewriter's (Click's base class): TCP's guarantee */
	{ "GUARANTEE", offsetof(struct rw, tcp_guar), RW_NAPT },
};

/* A keyword argument: 1 when @w[0] is one, 0 when it is not, -EINVAL after an error. */
static int
parse_keyword(struct ck_element *e, struct rw *x, char **w, int nw, bool *stream_given)
{
	for (size_t k = 0; k < sizeof(rw_times) / sizeof(rw_times[0]); k++) {
		double *d = (double *)((char *)x + rw_times[k].off);

		if (strcmp(w[0], rw_times[k].kw) != 0 || !(rw_times[k].modes & (1u << x->mode)))
			continue;
		if (nw != 2 || ck_parse_time(w[1], d) < 0 || *d < 0 || *d > 1e7)
			return ck_error(e, "%s: expected a time in seconds", w[0]);
		if (rw_times[k].off == offsetof(struct rw, udp_stream_to))
			*stream_given = true;
		return 1;
	}
	if (strcmp(w[0], "MAPPING_CAPACITY") == 0) {
		if (nw == 2 && ck_parse_int(w[1], &x->capacity) < 0 &&
		    (isalpha((unsigned char)w[1][0]) || w[1][0] == '_')) {
			free(x->cap_name);
			x->cap_name = strdup(w[1]); /* a rewriter's name: resolved at initialize */
			return x->cap_name ? 1 : ck_error(e, "out of memory");
		}
		if (nw != 2 || ck_parse_int(w[1], &x->capacity) < 0 || x->capacity < 1 ||
		    x->capacity > (1 << 24))
			return ck_error(e, "MAPPING_CAPACITY: expected a number 1..16777216 "
					"or a rewriter's name");
		return 1;
	}
	if (strcmp(w[0], "REPLY_ANNO") == 0 && x->mode != RW_MODE_PING) {
		if (nw != 2 || strcmp(w[1], "PAINT") != 0)
			return ck_error(e, "REPLY_ANNO: the only annotation here is PAINT");
		x->reply_paint = true;
		return 1;
	}
	if (strcmp(w[0], "DST_ANNO") == 0) {
		if (nw != 2 || ck_parse_bool(w[1], &x->dst_anno) < 0)
			return ck_error(e, "DST_ANNO: expected a boolean");
		return 1;
	}
	return 0;
}

static uint64_t
to_ns(double s)
{
	return (uint64_t)(s * (double)CK_NS_PER_SEC + 0.5);
}

extern const struct ck_element_class ck_class_IPRewriter, ck_class_TCPRewriter,
	ck_class_ICMPPingRewriter, ck_class_UDPRewriter;

/* The rewriter state of @e, or NULL when @e is no rewriter. */
struct rw *
rw_of(struct ck_element *e)
{
	if (e && (e->cls == &ck_class_IPRewriter || e->cls == &ck_class_TCPRewriter ||
		  e->cls == &ck_class_ICMPPingRewriter || e->cls == &ck_class_UDPRewriter))
		return CK_PRIV(e, struct rw);
	return NULL;
}

/* Configure IPRewriter, TCPRewriter, UDPRewriter or ICMPPingRewriter. Returns 0 or -EINVAL. */
int
rw_configure(struct ck_element *e)
{
	struct rw *x = CK_PRIV(e, struct rw);
	char **args = NULL, **w;
	int n, nw, rc = 0;
	bool stream_given = false;

	x->mode = e->cls == &ck_class_TCPRewriter ? RW_MODE_TCP
		  : e->cls == &ck_class_ICMPPingRewriter ? RW_MODE_PING
		  : e->cls == &ck_class_UDPRewriter ? RW_MODE_UDP : RW_MODE_IP;
	x->tcp_to = 86400;
	x->tcp_done_to = 240;
	x->tcp_nodata_to = 300;
	x->tcp_guar = 5;
	x->udp_to = 300;
	x->udp_guar = 5;
	x->reap_iv = 900;
	x->capacity = 65536;
	x->dst_anno = true;
	n = ck_args_split(e->config ? e->config : "", &args);
	if (n < 0)
		return ck_error(e, "out of memory");
	/* ICMPPingRewriter(SRC, DST) takes both arguments at once */
	for (int i = x->mode == RW_MODE_PING && parse_ping_pair(e, args, n, x) ? n : 0;
	     i < n && rc == 0; i++) {
		nw = ck_args_words(args[i], &w);
		if (nw < 0) {
			rc = ck_error(e, "out of memory");
			break;
		}
		if (nw == 0)
			rc = ck_error(e, "argument %d is empty", i + 1);
		else if ((rc = parse_keyword(e, x, w, nw, &stream_given)) == 1)
			rc = 0;
		else if (rc == 0 && x->nin >= RW_MAX_INPUTS)
			rc = ck_error(e, "too many INPUTSPECs (at most %d)", RW_MAX_INPUTS);
		else if (rc == 0 && (rc = parse_inputspec(e, w, nw, &x->in[x->nin], x->nin)) == 0)
			x->nin++;
		ck_args_free(w, nw);
	}
	ck_args_free(args, n);
	if (rc < 0)
		return -EINVAL;
	if (x->nin != e->nin && !(x->mode == RW_MODE_PING && x->nin == 1 &&
				  x->in[0].kind == RW_PATTERN && e->nin <= 2))
		return ck_error(e, "%u INPUTSPECs for %u inputs: need one per input", x->nin,
				e->nin);
	if (x->nin < e->nin)  /* the older ICMPPingRewriter(SRC, DST): input 1 as input 0 */
		x->in[x->nin++] = x->in[0];
	if (!stream_given)
		x->udp_stream_to = x->udp_to;
	if (x->reap_iv < 0.001)
		return ck_error(e, "REAP_INTERVAL must be at least 1ms");
	x->ns_tcp = to_ns(x->tcp_to);
	x->ns_tcp_done = to_ns(x->tcp_done_to);
	x->ns_tcp_nodata = to_ns(x->tcp_nodata_to);
	x->ns_tcp_guar = to_ns(x->tcp_guar);
	x->ns_udp = to_ns(x->udp_to);
	x->ns_udp_stream = to_ns(x->udp_stream_to);
	x->ns_udp_guar = to_ns(x->udp_guar);
	x->ns_reap = to_ns(x->reap_iv);
	return 0;
}

static void rw_reap(struct ck_element *e, struct ck_timer *t);

/* Allocate the table. Returns 0 or -ENOMEM after a message. */
int
rw_initialize(struct ck_element *e)
{
	struct rw *x = CK_PRIV(e, struct rw);
	uint32_t cap, nb = 1;

	x->group = x;
	if (x->cap_name) {
		struct rw *y = rw_of(ck_router_find(e->r, x->cap_name));

		if (!y || y == x)
			return ck_error(e, "MAPPING_CAPACITY: '%s' is no other IPRewriter, "
					"TCPRewriter, UDPRewriter or ICMPPingRewriter", x->cap_name);
		if (y->cap_name)
			return ck_error(e, "MAPPING_CAPACITY: '%s' shares another rewriter's "
					"capacity itself; name that one", x->cap_name);
		x->capacity = y->capacity;
		x->group = y;
	}
	cap = (uint32_t)x->capacity;
	while (nb < 2 * cap)
		nb <<= 1;
	x->flows = calloc(cap, sizeof(*x->flows));
	x->bucket = malloc(nb * sizeof(*x->bucket));
	if (!x->flows || !x->bucket)
		return ck_error(e, "out of memory for %u mappings", cap);
	x->mask = nb - 1;
	x->nalloc = cap;
	for (uint32_t i = 0; i < nb; i++)
		x->bucket[i] = -1;
	x->free = -1;
	for (uint32_t i = cap; i-- > 0;) {
		x->flows[i].hnext[0] = x->free;
		x->free = (int32_t)i;
	}
	x->rng = ck_now(e->r) ^ ((uint64_t)e->idx << 32) ^ 0x9e3779b97f4a7c15ull;
	ck_timer_init(e, &x->reap, rw_reap);
	return 0;
}

/* Free the table; it cannot fail. */
void
rw_cleanup(struct ck_element *e)
{
	struct rw *x = CK_PRIV(e, struct rw);

	free(x->flows);
	free(x->bucket);
	free(x->cap_name);
	x->flows = NULL;
	x->bucket = NULL;
	x->cap_name = NULL;
}

/* ---- the packet path ---- */

static void
refresh(struct rw *x, struct rw_flow *f, unsigned int d, const struct nl_ipv4_hdr *ip,
	const uint8_t *l4, uint64_t now)
{
	uint64_t to, guar;

	f->npkts++;
	if (f->k[0].proto == NL_IPPROTO_TCP && x->mode != RW_MODE_UDP) {
		uint8_t fl = l4[13];
		uint32_t hl = nl_ipv4_hdr_len(ip), thl = (uint32_t)(l4[12] >> 4) * 4;

		if (fl & 0x04) /* RST */
			f->state |= RW_DONE | (RW_DONE << 1);
		else if (fl & 0x01) /* FIN */
			f->state |= (uint8_t)(RW_DONE << d);
		else if (fl & 0x02) /* SYN */
			f->state &= (uint8_t)~(RW_DONE << d);
		if (nl_ntoh16(ip->total_len) > hl + thl)
			f->state |= (uint8_t)(RW_DATA << d);
		if ((f->state & (RW_DONE | RW_DONE << 1)) == (RW_DONE | RW_DONE << 1))
			to = x->ns_tcp_done;
		else if ((f->state & (RW_DATA | RW_DATA << 1)) == (RW_DATA | RW_DATA << 1))
			to = x->ns_tcp;
		else
			to = x->ns_tcp_nodata;
		guar = x->ns_tcp_guar;
	} else {
		f->state |= (uint8_t)(RW_SEEN << d);
		if (f->npkts >= 3 && (f->state & (RW_SEEN | RW_SEEN << 1)) == (RW_SEEN | RW_SEEN << 1))
			to = x->ns_udp_stream;
		else
			to = x->ns_udp;
		guar = x->ns_udp_guar;
	}
	f->expiry = now + to;
	f->guarantee = now + guar;
}

static inline uint16_t
csum32(uint16_t c, uint32_t old, uint32_t new)
{
	c = nl_cksum_update16(c, (uint16_t)old, (uint16_t)new);
	return nl_cksum_update16(c, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
}

/* Sequence-number arithmetic modulo 2^32 (RFC 793). */
static inline bool
seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* TCPRewriter: acknowledgement (or SACK edge) @v of the bytes of direction @o
 * moved back by the deltas that direction's edits left. */
static inline uint32_t
new_ack(const struct rw_flow *f, unsigned int o, uint32_t v)
{
	return v - (uint32_t)(seq_ge(v - (uint32_t)f->ndelta[o], f->trigger[o]) ? f->ndelta[o]
										 : f->odelta[o]);
}

/* TCPRewriter: the SACK edge at byte @at of the TCP header @l4 translated as
 * an acknowledgement of direction @o; returns the checksum @c updated over the
 * 16-bit words (aligned on @l4) the edge touches. */
static uint16_t
sack_edge(const struct rw_flow *f, unsigned int o, uint8_t *l4, uint32_t at, uint16_t c)
{
	uint32_t a = at & ~1u, n = (at + 6 - a) & ~1u, v;
	uint8_t old[6];
	uint16_t ow, nw;

	memcpy(old, l4 + a, n);
	memcpy(&v, l4 + at, 4);
	v = nl_hton32(new_ack(f, o, nl_ntoh32(v)));
	memcpy(l4 + at, &v, 4);
	for (uint32_t k = 0; k < n; k += 2) {
		memcpy(&ow, old + k, 2);
		memcpy(&nw, l4 + a + k, 2);
		c = nl_cksum_update16(c, ow, nw);
	}
	return c;
}

/* TCPRewriter: the SACK blocks among the @hl bytes of TCP header @l4 moved as
 * acknowledgements of direction @o, as Click's: the options are walked until
 * an end of list, a malformed option or a SACK whose length is not 2 + 8n.
 * Returns the checksum @c updated. */
static uint16_t
apply_sack(const struct rw_flow *f, unsigned int o, uint8_t *l4, uint32_t hl, uint16_t c)
{
	uint32_t i = 20;

	while (i < hl && l4[i] != 0) {
		if (l4[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl || l4[i + 1] < 2 || i + l4[i + 1] > hl)
			break;
		if (l4[i] == 5) {
			if (l4[i + 1] % 8 != 2)
				break;
			for (uint32_t at = i + 2; at < i + l4[i + 1]; at += 4)
				c = sack_edge(f, o, l4, at, c);
		}
		i += l4[i + 1];
	}
	return c;
}

/* TCPRewriter: move the sequence number of a packet of direction @d by the
 * deltas that FTPPortMapper's edits of that direction left, and its
 * acknowledgement and SACK blocks (of the other direction's bytes) back by
 * the other direction's, whatever its flags, as Click's. @avail bytes of the
 * segment are present; nothing moves when its header is cut short. Returns
 * the checksum @c updated. */
static uint16_t
apply_deltas(const struct rw_flow *f, unsigned int d, uint8_t *l4, uint32_t avail, uint16_t c)
{
	unsigned int o = !d;
	uint32_t seq, ack, v, hl = (uint32_t)(l4[12] >> 4) * 4;

	if (avail < hl || hl < 20)
		return c;
	memcpy(&seq, l4 + 4, 4);
	memcpy(&ack, l4 + 8, 4);
	if (f->odelta[d] || f->ndelta[d]) {
		v = nl_ntoh32(seq);
		v += (uint32_t)(seq_ge(v, f->trigger[d]) ? f->ndelta[d] : f->odelta[d]);
		c = csum32(c, seq, nl_hton32(v));
		v = nl_hton32(v);
		memcpy(l4 + 4, &v, 4);
	}
	if (f->odelta[o] || f->ndelta[o]) {
		v = nl_hton32(new_ack(f, o, nl_ntoh32(ack)));
		c = csum32(c, ack, v);
		memcpy(l4 + 8, &v, 4);
		/* as Click: not when the only option is a timestamp (NOP NOP TS) */
		if (hl > 32 || (hl == 32 && memcmp(l4 + 20, "\x01\x01\x08\x0a", 4) != 0))
			c = apply_sack(f, o, l4, hl, c);
	}
	return c;
}

/* Rewrite the packet of entry @d of @f into the reverse of the other entry. */
static void
rewrite(struct rw *x, struct ck_pkt *p, struct nl_ipv4_hdr *ip, uint8_t *l4,
	const struct rw_flow *f, unsigned int d)
{
	const struct rw_key *o = &f->k[!d];
	uint16_t *ports = (uint16_t *)(void *)l4, *sum;
	uint32_t src = ip->src, dst = ip->dst;
	uint8_t proto = f->k[0].proto;

	ip->cksum = csum32(csum32(ip->cksum, src, o->daddr), dst, o->saddr);
	ip->src = o->daddr;
	ip->dst = o->saddr;
	if (x->dst_anno)
		p->a.dst_ip = o->saddr;
	if (proto == NL_IPPROTO_ICMP) {
		/* echo: the identifier (bytes 4-5); ICMP sums no pseudo-header */
		uint16_t id = d == 0 ? o->dport : o->sport;

		sum = &ports[1];
		*sum = nl_cksum_update16(*sum, ports[2], id);
		ports[2] = id;
		if (*sum == 0) {
			/* as Click: an update can leave 0 where only FFFF sums right
			 * (a message of zeros); check the message and fix it */
			uint32_t hl = (uint32_t)(ip->ver_ihl & 0x0f) * 4;
			uint32_t len = nl_ntoh16(ip->total_len);
			uint32_t have = (uint32_t)(p->data + p->len - l4);

			len = len > hl ? len - hl : 0;
			if (len > have)
				len = have;
			if (nl_cksum(l4, len, 0) != 0)
				*sum = 0xffff;
		}
		return;
	}
	sum = (uint16_t *)(void *)(l4 + (proto == NL_IPPROTO_TCP ? 16 : 6));
	if (proto == NL_IPPROTO_TCP || *sum != 0) {
		uint16_t c = csum32(csum32(*sum, src, o->daddr), dst, o->saddr);

		c = nl_cksum_update16(c, ports[0], o->dport);
		c = nl_cksum_update16(c, ports[1], o->sport);
		if (proto == NL_IPPROTO_TCP && x->mode == RW_MODE_TCP)
			c = apply_deltas(f, d, l4, ck_pkt_avail(p, l4), c);
		if (c == 0 && proto == NL_IPPROTO_UDP)
			c = 0xffff;
		*sum = c;
	}
	ports[0] = o->dport;
	ports[1] = o->sport;
}

/* The flow of @ip for rewriter @x into @k. Returns 1 for a flow, 2 for an
 * echo reply (which never makes a mapping), 0 for a packet the rewriter
 * does not map. */
static int
packet_key(const struct rw *x, const struct ck_pkt *p, const struct nl_ipv4_hdr *ip,
	   const uint8_t *l4, struct rw_key *k)
{
	uint32_t avail = ck_pkt_avail(p, l4);

	if (nl_ipv4_frag_offset(ip) != 0 || nl_ipv4_hdr_len(ip) < 20)
		return 0;
	k->saddr = ip->src;
	k->daddr = ip->dst;
	k->proto = ip->proto;
	if (x->mode == RW_MODE_PING) {
		if (ip->proto != NL_IPPROTO_ICMP || avail < 8 || (l4[0] != 8 && l4[0] != 0))
			return 0;
		memcpy(l4[0] == 8 ? &k->sport : &k->dport, l4 + 4, 2);
		return l4[0] == 8 ? 1 : 2;
	}
	if (ip->proto != NL_IPPROTO_TCP && (ip->proto != NL_IPPROTO_UDP || x->mode == RW_MODE_TCP))
		return 0;
	if (avail < (ip->proto == NL_IPPROTO_TCP ? 18u : 8u))
		return 0;
	memcpy(&k->sport, l4, 2);
	memcpy(&k->dport, l4 + 2, 2);
	return 1;
}

/* A new mapping of @k by INPUTSPEC @port. Returns it, or NULL (a mapping
 * failure, counted) when no port is free or the table is full. */
static struct rw_flow *
new_flow(struct rw *x, unsigned int port, const struct rw_key *k, uint64_t now)
{
	struct rw_input *in = &x->in[port];
	struct rw_key nk = *k;
	struct rw_flow *f;
	uint64_t guar;
	bool tcp;

	if (in->kind == RW_MAPPER)
		in = rw_mapper_next(in->mapper); /* its next pattern and outputs */
	if (!in)
		goto fail;
	if (in->kind == RW_PATTERN && rw_pattern_apply(x, &in->pat, k, &nk, now) < 0)
		goto fail;
	/* the new flow's first expiry, as rw_install's */
	tcp = k->proto == NL_IPPROTO_TCP && x->mode != RW_MODE_UDP;
	guar = tcp ? x->ns_tcp_guar : x->ns_udp_guar;
	f = rw_flow_alloc(x, now, now + (guar ? guar : tcp ? x->ns_tcp_nodata : x->ns_udp),
			  guar != 0);
	if (!f)
		goto fail;
	f->k[0] = *k;
	f->k[1] = rw_key_reverse(&nk);
	f->out[0] = in->fout;
	f->out[1] = in->rout;
	f->input = (uint8_t)port;
	/* as Click's: the input counts the mappings it holds (rw_flow_free
	 * takes one off again); a mapping the capacity refuses is no count */
	x->in[port].count++;
	x->created++;
	rw_flow_link(x, f);
	if (!x->reap.scheduled)
		ck_timer_schedule_after(&x->reap, x->ns_reap);
	return f;
fail:
	x->in[port].failures++;
	x->failures++;
	return NULL;
}

/* Install a mapping for @k as if it had arrived on @input of @e. Returns the
 * flow (an existing one as it is), or NULL. */
struct rw_flow *
rw_install(struct ck_element *e, unsigned int input, const struct rw_key *k)
{
	struct rw *x = rw_of(e);
	uint64_t now = ck_now(e->r);
	struct rw_flow *f;
	int32_t id;

	if (!x || input >= x->nin)
		return NULL;
	id = rw_table_lookup(x, k, now);
	if (id >= 0)
		return &x->flows[id >> 1];
	if (x->in[input].kind != RW_PATTERN && x->in[input].kind != RW_KEEP &&
	    x->in[input].kind != RW_MAPPER)
		return NULL;
	f = new_flow(x, input, k, now);
	if (f) {
		bool tcp = k->proto == NL_IPPROTO_TCP && x->mode != RW_MODE_UDP;

		f->expiry = now + (tcp ? x->ns_tcp_nodata : x->ns_udp);
		f->guarantee = now + (tcp ? x->ns_tcp_guar : x->ns_udp_guar);
	}
	return f;
}

/* The flow @f's mapping turns direction @d's flow into. */
void
rw_flow_map(const struct rw_flow *f, unsigned int d, struct rw_key *out)
{
	*out = rw_key_reverse(&f->k[!d]);
}

/* Push path of the three rewriters. */
void
rw_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct rw *x = CK_PRIV(e, struct rw);
	struct rw_input *in = &x->in[port < x->nin ? port : 0];
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	struct rw_key k = { 0 };
	struct rw_flow *f;
	uint64_t now;
	uint8_t *l4;
	int32_t id;
	int kind;
	unsigned int d;

	if (!ip)
		goto other;
	l4 = (uint8_t *)ip + nl_ipv4_hdr_len(ip);
	kind = packet_key(x, p, ip, l4, &k);
	if (kind == 0)
		goto other;
	now = ck_now(e->r);
	id = rw_table_lookup(x, &k, now);
	if (id >= 0) {
		f = &x->flows[id >> 1];
		d = (unsigned int)(id & 1);
	} else if (in->kind == RW_PASS) {
		ck_push_out(e, in->fout, p);
		return;
	} else if (in->kind == RW_DROP || kind == 2) {
		ck_pkt_kill(e, p);
		return;
	} else {
		f = new_flow(x, port, &k, now);
		if (!f) {
			ck_pkt_kill(e, p);
			return;
		}
		d = 0;
		f->reply_anno = p->a.paint;
	}
	if (d == 1 && x->reply_paint)
		p->a.paint = f->reply_anno; /* REPLY_ANNO PAINT */
	refresh(x, f, d, ip, l4, now);
	rewrite(x, p, ip, l4, f, d);
	ck_push_out(e, f->out[d], p);
	return;
other:
	if (in->kind == RW_PASS)
		ck_push_out(e, in->fout, p);
	else
		ck_pkt_kill(e, p);
}

/* Timer: frees expired mappings; armed again while any is left. */
static void
rw_reap(struct ck_element *e, struct ck_timer *t)
{
	struct rw *x = CK_PRIV(e, struct rw);
	uint64_t now = ck_now(e->r);

	for (uint32_t i = 0; i < x->nalloc; i++)
		if (x->flows[i].used && x->flows[i].expiry <= now)
			rw_flow_free(x, &x->flows[i]);
	if (x->nmappings)
		ck_timer_schedule_after(t, x->ns_reap);
}

/* ---- handlers ---- */

static void
print_flow_id(FILE *f, const struct rw_key *k, const char *proto)
{
	char a[16], b[16];

	fprintf(f, "(%s, %u, %s, %u%s%s)", ck_ip_str(k->saddr, a), nl_ntoh16(k->sport),
		ck_ip_str(k->daddr, b), nl_ntoh16(k->dport), proto ? ", " : "", proto ? proto : "");
}

/* Entry @d of @fl: "FLOW => REWRITTEN [*F R] iN expS" (Click's form). */
static void
print_entry(struct ck_element *e, FILE *f, const struct rw_flow *fl, unsigned int d,
	    const char *proto, uint64_t now)
{
	struct rw_key to = rw_key_reverse(&fl->k[!d]);

	print_flow_id(f, &fl->k[d], proto);
	fputs(" => ", f);
	print_flow_id(f, &to, NULL);
	fprintf(f, " [%s%u %s%u] i%u exp%llu\n", d ? "" : "*", fl->out[0], d ? "*" : "",
		fl->out[1], fl->input,
		(unsigned long long)((fl->expiry - now + CK_NS_PER_SEC / 2) / CK_NS_PER_SEC));
	(void)e;
}

static int
rw_table(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct rw *x = CK_PRIV(e, struct rw);
	uint64_t now = ck_now(e->r);

	for (uint32_t i = 0; x->flows && i < x->nalloc; i++) {
		const struct rw_flow *fl = &x->flows[i];
		bool tcp = fl->k[0].proto == NL_IPPROTO_TCP;
		const char *proto = tcp ? "tcp" : fl->k[0].proto == NL_IPPROTO_UDP ? "udp" : "icmp";

		if (!fl->used || fl->expiry <= now)
			continue;
		if (h->arg == 0) {
			print_entry(e, f, fl, 0, proto, now);
		} else if ((h->arg == NL_IPPROTO_TCP) == tcp) {
			print_entry(e, f, fl, 0, NULL, now);
			print_entry(e, f, fl, 1, NULL, now);
		}
	}
	return 0;
}

/* size: as Click's, the mappings held against the capacity (a shared one's
 * counting those of every rewriter sharing it). */
static int
rw_read_size(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%llu\n", (unsigned long long)CK_PRIV(e, struct rw)->group->used);
	return 0;
}

static int
rw_read_capacity(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%lld\n", (long long)CK_PRIV(e, struct rw)->group->capacity);
	return 0;
}

/* capacity write: as Click, the (shared) capacity becomes N and the mappings
 * beyond it are freed, expired ones first; a larger N grows this table. */
static int
rw_write_capacity(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct rw *x = CK_PRIV(e, struct rw);
	int64_t n;

	(void)h;
	if (ck_parse_int(v, &n) < 0 || n < 0 || n > (1 << 24)) {
		if (errf)
			fprintf(errf, "CAPACITY: expected integer 0..%d\n", 1 << 24);
		return -EINVAL;
	}
	if ((uint64_t)n > x->nalloc) {
		struct rw_flow *fl = realloc(x->flows, (size_t)n * sizeof(*fl));

		if (!fl) {
			if (errf)
				fprintf(errf, "out of memory for %lld mappings\n", (long long)n);
			return -ENOMEM;
		}
		memset(fl + x->nalloc, 0, ((size_t)n - x->nalloc) * sizeof(*fl));
		x->flows = fl;
		for (uint32_t i = (uint32_t)n; i-- > x->nalloc;) {
			fl[i].hnext[0] = x->free;
			x->free = (int32_t)i;
		}
		x->nalloc = (uint32_t)n;
	}
	x->group->capacity = n;
	x->capacity = n;
	rw_flow_shrink(x, ck_now(e->r), (uint64_t)n);
	return 0;
}

/* clear write: as Click, every mapping of this rewriter is freed. */
static int
rw_write_clear(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct rw *x = CK_PRIV(e, struct rw);

	(void)h, (void)v, (void)errf;
	for (uint32_t i = 0; i < x->nalloc; i++)
		if (x->flows[i].used)
			rw_flow_free(x, &x->flows[i]);
	return 0;
}

/* One input's line of Click's patterns handler: the pattern (its unparse:
 * "SADDR SPORT DADDR DPORT", "-" for unchanged, L-H for a range; "SADDR
 * DADDR" without ports), <drop>, <nochange>, <keep> or <mapper>, then
 * " [N]" when the input holds N > 0 mappings. */
static void
print_pattern_line(FILE *f, const struct rw_input *in)
{
	char a[16];

	switch (in->kind) {
	case RW_DROP: fputs("<drop>", f); break;
	case RW_PASS: fputs("<nochange>", f); break;
	case RW_KEEP: fputs("<keep>", f); break;
	case RW_MAPPER: fputs("<mapper>", f); break;
	default:
		fputs(in->pat.saddr ? ck_ip_str(in->pat.saddr, a) : "-", f);
		if (in->pat.napt && !in->pat.sport)
			fputs(" -", f);
		else if (in->pat.napt && in->pat.variation)
			fprintf(f, " %u-%u", in->pat.sport, in->pat.sport + in->pat.variation);
		else if (in->pat.napt)
			fprintf(f, " %u", in->pat.sport);
		fprintf(f, " %s", in->pat.daddr ? ck_ip_str(in->pat.daddr, a) : "-");
		if (in->pat.napt && in->pat.dport)
			fprintf(f, " %u", in->pat.dport);
		else if (in->pat.napt)
			fputs(" -", f);
	}
	if (in->count)
		fprintf(f, " [%llu]", (unsigned long long)in->count);
	fputc('\n', f);
}

static int
rw_patterns(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct rw *x = CK_PRIV(e, struct rw);

	for (uint32_t i = 0; i < x->nin; i++)
		if (h->arg < 0 || (uint32_t)h->arg == i)
			print_pattern_line(f, &x->in[i]);
	return 0;
}

/* patternN write: as Click, input N takes the INPUTSPEC written (its counts
 * of mappings and failures start again) and every mapping it made is freed;
 * a bad one changes nothing. */
static int
rw_write_pattern(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct rw *x = CK_PRIV(e, struct rw);
	unsigned int i = (unsigned int)h->arg;
	struct rw_input in = { 0 };
	char **w;
	int nw = ck_args_words(v, &w), rc;

	if (nw < 0) {
		if (errf)
			fprintf(errf, "out of memory\n");
		return -ENOMEM;
	}
	x->writing = true;
	x->errf = errf;
	rc = nw == 0 ? rw_err(e, "INPUTSPEC %u: expected drop, pass, keep or pattern", i)
		     : parse_inputspec(e, w, nw, &in, i);
	x->writing = false;
	x->errf = NULL;
	ck_args_free(w, nw);
	if (rc < 0)
		return -EINVAL;
	for (uint32_t j = 0; x->flows && j < x->nalloc; j++)
		if (x->flows[j].used && x->flows[j].input == i)
			rw_flow_free(x, &x->flows[j]);
	/* nmappings and mapping_failures are the inputs' sums, as Click's (the
	 * frees above took this input's mappings off nmappings) */
	x->failures -= x->in[i].failures;
	x->in[i] = in;
	return 0;
}

/* tcp_lookup (IPRewriter) or lookup (TCPRewriter) SADDR SPORT DADDR DPORT:
 * as Click, the TCP flow as its mapping rewrites it ("SADDR SPORT DADDR
 * DPORT"), or nothing when no mapping holds the flow. */
static int
rw_tcp_lookup(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	      FILE *errf)
{
	struct rw *x = CK_PRIV(e, struct rw);
	struct rw_key k = { 0 }, out;
	int64_t sp, dp;
	char **w, a[16], b[16];
	int nw = ck_args_words(param, &w), ok;
	int32_t id;

	(void)h;
	if (nw < 0) {
		if (errf)
			fprintf(errf, "out of memory\n");
		return -ENOMEM;
	}
	ok = nw == 4 && ck_parse_ip(e->r, w[0], &k.saddr) == 0 &&
	     ck_parse_int(w[1], &sp) == 0 && sp >= 0 && sp <= 65535 &&
	     ck_parse_ip(e->r, w[2], &k.daddr) == 0 &&
	     ck_parse_int(w[3], &dp) == 0 && dp >= 0 && dp <= 65535;
	ck_args_free(w, nw);
	if (!ok) {
		if (errf)
			fprintf(errf, "expected 'SADDR SPORT DADDR DPORT'\n");
		return -EINVAL;
	}
	k.sport = nl_hton16((uint16_t)sp);
	k.dport = nl_hton16((uint16_t)dp);
	k.proto = NL_IPPROTO_TCP;
	id = x->flows ? rw_table_lookup(x, &k, ck_now(e->r)) : -1;
	if (id < 0)
		return 0;
	rw_flow_map(&x->flows[id >> 1], (unsigned int)(id & 1), &out);
	fprintf(f, "%s %u %s %u\n", ck_ip_str(out.saddr, a), nl_ntoh16(out.sport),
		ck_ip_str(out.daddr, b), nl_ntoh16(out.dport));
	return 0;
}

static const struct ck_handler rw_ip_handlers[] = {
	{ "tcp_lookup", CK_H_READ | CK_H_READ_PARAM, NULL, NULL, 0, rw_tcp_lookup },
	/* Click's older names of tcp_table and udp_table */
	{ "tcp_mappings", CK_H_READ | CK_H_LINES, rw_table, NULL, NL_IPPROTO_TCP, NULL },
	{ "udp_mappings", CK_H_READ | CK_H_LINES, rw_table, NULL, NL_IPPROTO_UDP, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler rw_tcp_handlers[] = {
	{ "lookup", CK_H_READ | CK_H_READ_PARAM, NULL, NULL, 0, rw_tcp_lookup },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

/* patternN (input N's line of the patterns handler; written, its new
 * INPUTSPEC), and the handlers only IPRewriter or TCPRewriter has. */
const struct ck_handler *
rw_lookup_handler(struct ck_element *e, const char *name)
{
	struct rw *x = CK_PRIV(e, struct rw);
	const struct ck_handler *own = x->mode == RW_MODE_IP ? rw_ip_handlers
				       : x->mode == RW_MODE_TCP ? rw_tcp_handlers : NULL;
	char *end;
	unsigned long i;

	for (; own && own->name; own++)
		if (strcmp(own->name, name) == 0)
			return own;
	if (strncmp(name, "pattern", 7) != 0 || !isdigit((unsigned char)name[7]))
		return NULL;
	i = strtoul(name + 7, &end, 10);
	if (*end || i >= x->nin || (name[7] == '0' && name[8]))
		return NULL;
	snprintf(x->pattern_name, sizeof(x->pattern_name), "pattern%lu", i);
	x->pattern_h = (struct ck_handler){ x->pattern_name, CK_H_READ | CK_H_WRITE, rw_patterns,
					    rw_write_pattern, (intptr_t)i, NULL };
	return &x->pattern_h;
}

/* The class's own handlers, then pattern0, pattern1, ... one per input. */
void
rw_list_handlers(struct ck_element *e, FILE *f)
{
	struct rw *x = CK_PRIV(e, struct rw);
	const struct ck_handler *own = x->mode == RW_MODE_IP ? rw_ip_handlers
				       : x->mode == RW_MODE_TCP ? rw_tcp_handlers : NULL;

	for (; own && own->name; own++)
		fprintf(f, "%s\tr\n", own->name);
	for (unsigned int i = 0; i < x->nin; i++)
		fprintf(f, "pattern%u\trw\n", i);
}

const struct ck_handler rw_handlers[] = {
	{ "patterns", CK_H_READ | CK_H_LINES, rw_patterns, NULL, -1, NULL },
	{ "table", CK_H_READ | CK_H_LINES, rw_table, NULL, 0, NULL },
	{ "tcp_table", CK_H_READ | CK_H_LINES, rw_table, NULL, NL_IPPROTO_TCP, NULL },
	{ "udp_table", CK_H_READ | CK_H_LINES, rw_table, NULL, NL_IPPROTO_UDP, NULL },
	{ "nmappings", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct rw, created), NULL },
	{ "table_size", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct rw, nmappings), NULL },
	{ "size", CK_H_READ, rw_read_size, NULL, 0, NULL },
	{ "capacity", CK_H_READ | CK_H_WRITE, rw_read_capacity, rw_write_capacity, 0, NULL },
	{ "clear", CK_H_WRITE, NULL, rw_write_clear, 0, NULL },
	{ "mapping_failures", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct rw, failures), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

RW_CLASS(IPRewriter);
