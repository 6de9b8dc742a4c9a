/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_conntrack_model — the connection tracker against things it cannot
 * predict: random mutations and cuts of valid frames (no crash, no leak
 * under the sanitizers), a long random sequence of packets checked step by
 * step against a reference model written here, and two threads racing on
 * the same connections from both ends.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct_frames.h"

/* Truncated and bogus headers: classified as malformed, invalid, never a crash. */
static void
test_malformed(void **state)
{
	struct nl_ct *ct = table(64);
	uint8_t buf[256], junk[128];
	struct nl_parsed pp;
	struct nl_ct_pkt p;
	struct nl_ct_result r;
	uint64_t seed = 7;
	size_t n;
	int i, k;

	(void)state;
	/* TCP data offset below 5, and beyond the segment. */
	n = tcp_frame(buf, &H4a, 1, &H4b, 2, SYN, 1, 0, 0);
	buf[14 + 20 + 12] = 0x40;
	assert_int_equal(classify(buf, n, &p), -EINVAL);
	assert_int_equal(p.kind, NL_CT_K_MALFORMED);
	assert_int_equal(nl_ct_track(ct, &p, 0, &r), NL_CT_INVALID);
	assert_int_equal(nl_ct_create(ct, &p, 0, &r), -EINVAL);
	buf[14 + 20 + 12] = 0x60;
	assert_int_equal(classify(buf, n, &p), -EINVAL);
	/* ICMP header cut to 4 bytes. */
	n = icmp_frame(buf, &H4a, &H4b, 8, 0, 1, NULL, 0);
	buf[14 + 3] = 20 + 4; /* IPv4 total length */
	assert_int_equal(classify(buf, n - 4, &p), -EINVAL);
	/* A parsed record that does not fit the frame. */
	n = udp_frame(buf, &H4a, 1, &H4b, 2);
	assert_int_equal(nl_parse(buf, (uint32_t)n, &pp), 0);
	pp.l3_len = 200;
	assert_int_equal(nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p), -EINVAL);
	pp.l3_len = (uint16_t)(n - 14);
	pp.l4_off = 250;
	assert_int_equal(nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p), -EINVAL);
	/* Not IP, and a later fragment: untracked. */
	memset(buf, 0, 64);
	buf[12] = 0x08;
	buf[13] = 0x06;
	assert_int_equal(classify(buf, 60, &p), 0);
	assert_int_equal(nl_ct_track(ct, &p, 0, &r), NL_CT_UNTRACKED);
	n = udp_frame(buf, &H4a, 1, &H4b, 2);
	buf[14 + 6] = 0x00;
	buf[14 + 7] = 0x10; /* offset 128 bytes */
	assert_int_equal(classify(buf, n, &p), 0);
	assert_int_equal(p.kind, NL_CT_K_UNTRACKED);

	/* Random mutations and cuts of valid frames of every kind, tracked. */
	for (i = 0; i < 200000; i++) {
		switch (i % 5) {
		case 0: n = tcp_frame(buf, &H4a, 1, &H4b, 2, SYN, 1, 0, 4); break;
		case 1: n = udp_frame(buf, &H6a, 1, &H6b, 2); break;
		case 2: n = icmp_frame(buf, &H4a, &H4b, 8, 0, 1, NULL, 0); break;
		case 3:
			tcp_frame(junk, &H4a, 1, &H4b, 2, ACK, 1, 0, 0);
			n = icmp_frame(buf, &H4r, &H4a, 3, 0, 0, junk + 14, 28);
			break;
		default:
			tcp_frame(junk, &H6a, 1, &H6b, 2, ACK, 1, 0, 0);
			n = icmp_frame(buf, &H6r, &H6a, 1, 0, 0, junk + 14, 48);
			break;
		}
		for (k = (int)(xrand(&seed) % 4); k >= 0; k--)
			buf[xrand(&seed) % n] = (uint8_t)xrand(&seed);
		n -= xrand(&seed) % 3 == 0 ? xrand(&seed) % n : 0;
		/* Even what nl_parse() refused: its partial record must be safe too. */
		nl_parse(buf, (uint32_t)n, &pp);
		nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p);
		if (nl_ct_track(ct, &p, (uint64_t)i, &r) == NL_CT_NEW)
			nl_ct_create(ct, &p, (uint64_t)i, &r);
	}
	nl_ct_free(ct);
}

/* ---- randomised test against a reference model ---------------------------- */

/*
 * The model keeps its connections in a plain array searched linearly, keyed
 * by (protocol, unordered pair of endpoint numbers, ICMP id and the end
 * that sends the echo requests), and follows the documented rules written
 * out below in the form of a per-end record (which ends sent SYN, SYN+ACK,
 * FIN; whose FIN was acked).
 */
#define M_HOSTS 6 /* 0-3 IPv4, 4-5 IPv6 */
#define M_PORTS 2
#define M_CONNS 256

struct m_conn {
	int used;
	int proto;         /* 6, 17, 1 */
	int lo, hi;        /* endpoint numbers (host * M_PORTS + port), lo < hi */
	int id;            /* ICMP */
	int orig;          /* the endpoint that opened it */
	int state;
	int synack_by;     /* endpoint that sent the SYN+ACK, or -1 */
	int crossed;       /* both ends sent a SYN */
	int reopen;        /* the opener sent a SYN on the open connection */
	int fin_by[2];     /* [0]: lo, [1]: hi */
	uint32_t fin_next[2];
	int fin_acked[2];
	uint64_t expire;
};

static struct host m_hosts[M_HOSTS];
static const uint16_t m_port[M_PORTS] = { 1111, 80 };

/* ICMP echo: @req_by is the end that sends the requests, part of the key. */
static struct m_conn *
m_find(struct m_conn *m, int proto, int a, int b, int id, int req_by, uint64_t now)
{
	int lo = a < b ? a : b, hi = a < b ? b : a, i;

	for (i = 0; i < M_CONNS; i++)
		if (m[i].used && m[i].proto == proto && m[i].lo == lo && m[i].hi == hi &&
		    m[i].id == id && (proto != 1 || m[i].orig == req_by)) {
			if (now >= m[i].expire) {
				m[i].used = 0;
				return NULL;
			}
			return &m[i];
		}
	return NULL;
}

static int
m_timeout(int state)
{
	switch (state) {
	case NL_CT_TCP_SYN_SENT: return TO_SYN_SENT;
	case NL_CT_TCP_SYN_SENT2: return 120000;
	case NL_CT_TCP_SYN_RECV: return TO_SYN_RECV;
	case NL_CT_TCP_ESTABLISHED: return TO_ESTABLISHED;
	case NL_CT_TCP_FIN_WAIT: return TO_FIN_WAIT;
	case NL_CT_TCP_CLOSE_WAIT: return TO_CLOSE_WAIT;
	case NL_CT_TCP_LAST_ACK: return TO_LAST_ACK;
	case NL_CT_TCP_TIME_WAIT: return TO_TIME_WAIT;
	case NL_CT_TCP_CLOSE: return TO_CLOSE;
	case NL_CT_UDP_UNREPLIED: return TO_UDP;
	case NL_CT_UDP_REPLIED: return TO_UDP_REPLIED;
	default: return TO_ICMP;
	}
}

/* The model's TCP rules: the new state of @c for a segment from @from, or -1 if invalid. */
static int
m_tcp(struct m_conn *c, int from, int flags, uint32_t seq, uint32_t ack)
{
	int me = from == c->hi, peer = !me, st = c->state, opener = from == c->orig;
	int syn = flags & SYN, ackf = flags & ACK, fin = flags & FIN, rst = flags & RST;
	int fins, acks;

	if (!syn)
		c->reopen = 0;
	if (rst)
		return syn ? -1 : NL_CT_TCP_CLOSE;
	if (syn && fin)
		return -1;
	if (syn && !ackf) {
		if (st == NL_CT_TCP_SYN_SENT && opener)
			return st;
		if (st == NL_CT_TCP_SYN_SENT) {
			c->crossed = 1;
			return NL_CT_TCP_SYN_SENT2;
		}
		if (st == NL_CT_TCP_SYN_SENT2)
			return st;
		if (st == NL_CT_TCP_SYN_RECV && (opener || c->crossed))
			return st;
		if (st == NL_CT_TCP_TIME_WAIT || st == NL_CT_TCP_CLOSE) {
			c->orig = from; /* either end: the new opener */
			c->crossed = 0;
			c->synack_by = -1;
			c->fin_by[0] = c->fin_by[1] = 0;
			c->fin_acked[0] = c->fin_acked[1] = 0;
			return NL_CT_TCP_SYN_SENT;
		}
		if (st >= NL_CT_TCP_ESTABLISHED && st <= NL_CT_TCP_LAST_ACK && opener) {
			c->reopen = 1;
			return st;
		}
		return -1;
	}
	if (syn && c->reopen && !opener) { /* SYN+ACK answering a reopening SYN */
		c->crossed = c->reopen = 0;
		c->fin_by[0] = c->fin_by[1] = 0;
		c->fin_acked[0] = c->fin_acked[1] = 0;
		c->synack_by = from;
		return NL_CT_TCP_SYN_RECV;
	}
	if (syn) { /* SYN+ACK */
		if ((st == NL_CT_TCP_SYN_SENT && !opener) || st == NL_CT_TCP_SYN_SENT2) {
			c->synack_by = from;
			return NL_CT_TCP_SYN_RECV;
		}
		if (st == NL_CT_TCP_SYN_RECV && from == c->synack_by)
			return st;
		if (st == NL_CT_TCP_SYN_RECV && c->crossed)
			return NL_CT_TCP_ESTABLISHED;
		if (st == NL_CT_TCP_ESTABLISHED && from == c->synack_by)
			return st;
		return -1;
	}
	if (!ackf)
		return -1;
	if (st == NL_CT_TCP_SYN_SENT || st == NL_CT_TCP_SYN_SENT2 || st == NL_CT_TCP_CLOSE)
		return -1;
	if (st == NL_CT_TCP_SYN_RECV && from == c->synack_by)
		return -1;
	if (c->fin_by[peer] && !c->fin_acked[peer] && (int32_t)(ack - c->fin_next[peer]) >= 0)
		c->fin_acked[peer] = 1;
	if (fin && !c->fin_by[me]) {
		c->fin_by[me] = 1;
		c->fin_next[me] = seq + 1;
	}
	fins = c->fin_by[0] + c->fin_by[1];
	acks = c->fin_acked[0] + c->fin_acked[1];
	if (fins == 0)
		return NL_CT_TCP_ESTABLISHED;
	if (fins == 1)
		return acks ? NL_CT_TCP_CLOSE_WAIT : NL_CT_TCP_FIN_WAIT;
	return acks == 2 ? NL_CT_TCP_TIME_WAIT : NL_CT_TCP_LAST_ACK;
}

static void
test_random_vs_model(void **state)
{
	static struct m_conn m[M_CONNS];
	static const uint8_t tcp_flags[] = { SYN, SYN | ACK, ACK, ACK, FIN | ACK, RST,
					     RST | ACK, 0, FIN, SYN | FIN };
	struct nl_ct *ct = table(4096);
	struct nl_ct_stats st;
	uint64_t seed = 12345, now = 0;
	int i, h, step, nconn = 0, seen[NL_CT_STATE_MAX] = { 0 };

	(void)state;
	memset(m, 0, sizeof(m));
	for (h = 0; h < M_HOSTS; h++) {
		m_hosts[h] = (struct host){ .v6 = h >= 4 };
		m_hosts[h].a[0] = h >= 4 ? 0xfd : 10;
		m_hosts[h].a[h >= 4 ? 15 : 3] = (uint8_t)(h + 1);
	}
	for (step = 0; step < 300000; step++) {
		int a = (int)(xrand(&seed) % (M_HOSTS * M_PORTS)), b, ha, hb, proto, id = 0;
		uint64_t r = xrand(&seed);
		struct nl_ct_pkt p;
		struct nl_ct_result res;
		struct m_conn *c;
		int want, got, kind, flags = 0, req = 0;
		uint32_t seq = 0, ack = 0;
		char why[160];

		/* Time goes slowly enough for TCP connections to go through every
		 * state (a pair of ends meets again every hundred steps or so),
		 * with jumps that expire some of them. */
		now += r % 8 == 0 ? xrand(&seed) % 2000 : xrand(&seed) % 20;
		if (r % 50000 == 0)
			now += TO_ESTABLISHED;
		ha = a / M_PORTS;
		do {
			b = (int)(xrand(&seed) % (M_HOSTS * M_PORTS));
			hb = b / M_PORTS;
		} while (hb == ha || (ha >= 4) != (hb >= 4));
		proto = (int[]){ 6, 6, 6, 17, 1 }[xrand(&seed) % 5];
		if (proto == 1) {
			id = (int)(xrand(&seed) % 2) + 1;
			a = ha * M_PORTS; /* ICMP: the endpoint is the host */
			b = hb * M_PORTS;
		}
		if (proto == 1)
			req = (int)(xrand(&seed) % 3) != 0;
		c = m_find(m, proto, a, b, id, req ? a : b, now);
		if (proto == 6) {
			flags = tcp_flags[xrand(&seed) % sizeof(tcp_flags)];
			seq = (uint32_t)xrand(&seed) % 4;
			ack = (uint32_t)xrand(&seed) % 4;
			p = tcp(&m_hosts[ha], m_port[a % M_PORTS], &m_hosts[hb], m_port[b % M_PORTS],
				(uint8_t)flags, seq, ack);
		} else if (proto == 17) {
			p = udp(&m_hosts[ha], m_port[a % M_PORTS], &m_hosts[hb], m_port[b % M_PORTS]);
		} else {
			p = echo(&m_hosts[ha], &m_hosts[hb], req, (uint16_t)id);
		}

		/* The model's answer. */
		kind = p.kind;
		if (c == NULL) {
			int opens = proto == 17 || (proto == 1 && req) || (proto == 6 && flags == SYN);

			want = opens ? NL_CT_NEW : NL_CT_INVALID;
		} else {
			want = NL_CT_FOUND;
		}
		got = nl_ct_track(ct, &p, now, &res);
		snprintf(why, sizeof(why), "step %d proto %d %d->%d flags %#x kind %d now %llu",
			 step, proto, a, b, flags, kind, (unsigned long long)now);
		if (got != want)
			fail_msg("%s: status %d, model %d", why, got, want);
		if (got == NL_CT_NEW) {
			assert_int_equal(nl_ct_create(ct, &p, now, &res), 0);
			for (i = 0; i < M_CONNS && m[i].used; i++)
				;
			assert_true(i < M_CONNS);
			c = &m[i];
			*c = (struct m_conn){ .used = 1, .proto = proto, .lo = a < b ? a : b,
					      .hi = a < b ? b : a, .id = id, .orig = a,
					      .synack_by = -1 };
			c->state = proto == 6 ? NL_CT_TCP_SYN_SENT :
				   proto == 17 ? NL_CT_UDP_UNREPLIED : NL_CT_ICMP_UNREPLIED;
			c->expire = now + (uint64_t)m_timeout(c->state);
			nconn++;
		} else if (got == NL_CT_FOUND) {
			struct m_conn save = *c;
			int next, reply = a != c->orig;

			seen[c->state]++;
			if (proto == 6)
				next = m_tcp(c, a, flags, seq, ack);
			else if (proto == 17)
				next = reply ? NL_CT_UDP_REPLIED : c->state;
			else
				next = req == !reply ? (req ? c->state : NL_CT_ICMP_REPLIED) : -1;
			if (next >= 0)
				reply = a != c->orig; /* a SYN may have made a new opener */
			if (res.dir != (reply ? NL_CT_DIR_REPLY : NL_CT_DIR_ORIG))
				fail_msg("%s: dir %d", why, res.dir);
			if (next < 0) {
				*c = save;
				if (res.valid || res.state != c->state)
					fail_msg("%s: valid %d state %s, model: invalid in %s", why,
						 res.valid, nl_ct_state_name(res.state),
						 nl_ct_state_name((unsigned int)c->state));
			} else {
				c->state = next;
				c->expire = now + (uint64_t)m_timeout(c->reopen ? NL_CT_TCP_SYN_SENT :
										  next);
				if (!res.valid || res.state != next)
					fail_msg("%s: valid %d state %s, model: %s", why, res.valid,
						 nl_ct_state_name(res.state),
						 nl_ct_state_name((unsigned int)next));
			}
			if (res.expire != c->expire)
				fail_msg("%s: expires %llu, model %llu", why,
					 (unsigned long long)res.expire,
					 (unsigned long long)c->expire);
		}
	}
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.evicted, 0); /* the premise: the model never evicts */
	assert_int_equal(st.full, 0);
	assert_int_equal(st.created, nconn);
	assert_true(nconn > 1000);
	for (i = 0; i <= NL_CT_TCP_CLOSE; i++) /* every TCP state had packets */
		if (seen[i] == 0)
			fail_msg("no packet in state %s", nl_ct_state_name((unsigned int)i));
	nl_ct_free(ct);
}

/* ---- two threads, both directions of the same connections ------------------ */

#define T_FLOWS 8
#define T_ROUNDS 50000

struct t_arg {
	struct nl_ct *ct;
	unsigned int *arrived; /* spinning barrier: threads that reached round r */
	int reply;
	int creates;
};

/* Wait until both threads have reached round @round (spinning, now and then yielding). */
static void
t_barrier(unsigned int *arrived, int round)
{
	unsigned int spins = 0;

	__atomic_fetch_add(arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(arrived, __ATOMIC_ACQUIRE) < 2u * ((unsigned int)round + 1))
		if (++spins % 4096 == 0)
			sched_yield(); /* the other thread may not be running */
}

/*
 * Round r happens at time r * 1000 s, when everything from round r - 1 has
 * expired: each round, both threads leave the barrier together and race to
 * create the same few connections again, one from each end.
 */
static void *
t_run(void *arg)
{
	struct t_arg *t = arg;
	struct nl_ct_pkt p[T_FLOWS];
	int round, i;

	for (i = 0; i < T_FLOWS; i++) {
		struct host h = { 0, { 10, 9, 0, (uint8_t)i } };
		uint8_t buf[128];
		struct nl_parsed pp;
		size_t n = t->reply ? udp_frame(buf, &H4b, 53, &h, 3000) :
				      udp_frame(buf, &h, 3000, &H4b, 53);

		if (nl_parse(buf, (uint32_t)n, &pp) != 0 ||
		    nl_ct_pkt_init(buf, (uint32_t)n, &pp, &p[i]) != 0)
			return NULL;
	}
	for (round = 0; round < T_ROUNDS; round++) {
		uint64_t now = (uint64_t)round * 1000000;

		t_barrier(t->arrived, round);
		for (i = 0; i < T_FLOWS; i++) {
			struct nl_ct_result r;
			int rc;

			if (nl_ct_track(t->ct, &p[i], now, &r) != NL_CT_NEW)
				continue;
			rc = nl_ct_create(t->ct, &p[i], now, &r);
			if (rc == 0)
				t->creates++;
			else if (rc == -EEXIST) /* the other thread was first */
				nl_ct_update(t->ct, &p[i], now, &r);
		}
	}
	return NULL;
}

/* Two queue threads, one direction each, on the same connections. */
static void
test_two_threads(void **state)
{
	unsigned int arrived = 0;
	struct t_arg t[2];
	pthread_t th[2];
	struct nl_ct_stats st;
	int i;

	(void)state;
	t[0] = (struct t_arg){ .ct = table(4096), .arrived = &arrived, .reply = 0 };
	t[1] = (struct t_arg){ .ct = t[0].ct, .arrived = &arrived, .reply = 1 };
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, t_run, &t[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	nl_ct_stats_get(t[0].ct, &st);
	/* Each connection was created exactly once a round, whichever direction came first. */
	assert_int_equal(t[0].creates + t[1].creates, T_FLOWS * T_ROUNDS);
	assert_int_equal(st.created, T_FLOWS * T_ROUNDS);
	assert_int_equal(st.expired, T_FLOWS * (T_ROUNDS - 1));
	assert_int_equal(st.entries, T_FLOWS);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.state[NL_CT_UDP_REPLIED] + st.state[NL_CT_UDP_UNREPLIED], T_FLOWS);
	nl_ct_free(t[0].ct);
}

/*
 * Two threads opening different connections into a table of 64 entries
 * (eight buckets, so their buckets overlap all the time), everything expired
 * again each round: when it is over, the connections the counters say are in
 * the table are exactly those a lookup finds. A create that took a way
 * another create was filling would leave the counters one too high.
 */
#define F_KEYS 96
#define F_ROUNDS 4000

struct f_arg {
	struct nl_ct *ct;
	unsigned int *arrived;
	struct nl_ct_pkt p[F_KEYS];
};

static void *
f_run(void *arg)
{
	struct f_arg *t = arg;
	int round, i;

	for (round = 0; round < F_ROUNDS; round++) {
		uint64_t now = (uint64_t)round * 1000000;
		struct nl_ct_result r;

		t_barrier(t->arrived, round);
		for (i = 0; i < F_KEYS; i++)
			if (nl_ct_create(t->ct, &t->p[i], now, &r) != 0)
				return NULL;
	}
	return NULL;
}

static void
test_two_threads_creating(void **state)
{
	static struct f_arg t[2];
	unsigned int arrived = 0, live = 0;
	uint64_t last = (uint64_t)(F_ROUNDS - 1) * 1000000;
	pthread_t th[2];
	struct nl_ct_stats st;
	struct nl_ct *ct = table(64);
	int i, k;

	(void)state;
	for (k = 0; k < 2; k++) {
		t[k].ct = ct;
		t[k].arrived = &arrived;
		for (i = 0; i < F_KEYS; i++) {
			struct host h = { 0, { 10, 7, (uint8_t)k, (uint8_t)i } };

			t[k].p[i] = udp(&h, 4000, &H4b, 53);
		}
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&th[k], NULL, f_run, &t[k]), 0);
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_join(th[k], NULL), 0);
	nl_ct_expire(ct, last, 1000); /* what earlier rounds left */
	for (k = 0; k < 2; k++)
		for (i = 0; i < F_KEYS; i++) {
			struct nl_ct_result r;

			live += nl_ct_lookup(ct, &t[k].p[i], last, &r) == NL_CT_FOUND;
		}
	nl_ct_stats_get(ct, &st);
	assert_int_equal(st.created, 2 * F_KEYS * F_ROUNDS);
	assert_int_equal(st.entries, live);
	assert_int_equal(live, 64); /* 192 keys a round into 64 entries: full */
	assert_int_equal(st.entries, st.created - st.expired - st.evicted);
	nl_ct_free(ct);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_two_threads_creating),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
