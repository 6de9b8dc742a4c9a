/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the core's flow table (core/flows.c): the least-loaded
 * choice and its tie rule, flows staying on their instance, load given
 * within one burst, runs of one flow in a burst, instances that leave,
 * drain and handover, idle expiry (and that it frees the hash), a full
 * table, the lookup hints (two flows on one hint, a hint left by a flow
 * that expired). The
 * instances are fake NFs whose one rx ring holds as many descriptors as a
 * test says. Prints the cost of a burst of known flows, per packet.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "core.h"
#include "flows.h"

#define ROLE 1

struct fake {
	struct core_nf nf[3];
	struct nvm_ring ring[3];
	struct core_view v;
};

static void
fake_init(struct fake *f, unsigned int n)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++) {
		f->nf[i].id = (uint16_t)(10 + i);
		f->nf[i].gen = 100 + i;
		f->nf[i].role = ROLE;
		f->nf[i].nb_queues = 1;
		f->nf[i].q[0].rx.r = &f->ring[i];
		f->nf[i].q[0].rx.size = 1024;
		f->v.inst[ROLE][i] = &f->nf[i];
		f->v.by_id[f->nf[i].id] = &f->nf[i];
	}
	f->v.nb_inst[ROLE] = (uint16_t)n;
}

/* Make NF @i's ring hold @n descriptors. */
static void
fake_load(struct fake *f, unsigned int i, uint32_t n)
{
	f->nf[i].q[0].rx.head = 5000 + n;
	f->ring[i].cons = 5000;
}

/* Place flows with hashes @h (all of ROLE) in one call; out gets NF indexes. */
static void
place(struct core_flows *fl, struct fake *f, const uint32_t *h, unsigned int n, uint64_t now,
      int *out)
{
	uint16_t role[64];
	uint8_t len[64];
	struct core_nf *to[64];
	unsigned int i;

	for (i = 0; i < n; i++) {
		role[i] = ROLE;
		len[i] = 1;
	}
	core_flows_place(fl, &f->v, role, h, len, n, now, to);
	for (i = 0; i < n; i++)
		out[i] = to[i] == NULL ? -1 : (int)(to[i] - f->nf);
}

static struct core_flows *
table(uint32_t size, uint32_t idle_ms)
{
	char err[256];
	struct core_flows *fl = core_flows_create(size, idle_ms, SOCKET_ID_ANY, err, sizeof(err));

	if (fl == NULL)
		fail_msg("%s", err);
	return fl;
}

static void
test_least(void **state)
{
	const uint32_t l3[] = { 5, 3, 3 }, l2[] = { 0, 0 }, l4[] = { 2, 1, 1, 1 };

	(void)state;
	/* cls_pick(0, n) is 0, cls_pick(0xffffffff, n) is n - 1 */
	assert_int_equal(core_flows_least(l3, 3, 0), 1);
	assert_int_equal(core_flows_least(l3, 3, 0xffffffffu), 2);
	assert_int_equal(core_flows_least(l2, 2, 0), 0);
	assert_int_equal(core_flows_least(l2, 2, 0xffffffffu), 1);
	/* start at 2 (0x80000000 of 4), wrap: 2 is one of the least */
	assert_int_equal(core_flows_least(l4, 4, 0x80000000u), 2);
	assert_int_equal(core_flows_least(l4, 1, 0x80000000u), 0);
}

static void
test_sticky_and_burst(void **state)
{
	struct core_flows *fl = table(1024, 1000);
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[4] = { 1, 2, 3, 4 };
	int out[4];

	(void)state;
	fake_init(&f, 2);
	fake_load(&f, 0, 10);
	place(fl, &f, &h[0], 1, 1, out);
	assert_int_equal(out[0], 1); /* B is empty */
	fake_load(&f, 1, 20);
	place(fl, &f, &h[0], 1, 2, out);
	assert_int_equal(out[0], 1); /* still B, though now the fuller */
	place(fl, &f, &h[1], 1, 3, out);
	assert_int_equal(out[0], 0); /* a new flow: A (10 < 20) */
	assert_int_equal(core_flows_of(fl, 10, 100), 1);
	assert_int_equal(core_flows_of(fl, 11, 101), 1);
	assert_int_equal(core_flows_of(fl, 11, 999), 0);

	/* empty rings: a burst of new flows alternates, each packet counting */
	fake_load(&f, 0, 0);
	fake_load(&f, 1, 0);
	h[0] = 100, h[1] = 101, h[2] = 102, h[3] = 103; /* cls_pick(h, 2) == 0 */
	place(fl, &f, h, 4, 4, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 0);
	assert_int_equal(out[3], 1);
	/* the same new flow twice in a burst: one entry, one instance */
	h[0] = 200, h[1] = 200;
	place(fl, &f, h, 2, 5, out);
	assert_int_equal(out[0], out[1]);
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, 7);
	assert_int_equal(f.nf[0].st.placed + f.nf[1].st.placed, 7);
	core_flows_free(fl);
}

static void
test_instance_leaves(void **state)
{
	struct core_flows *fl = table(1024, 1000);
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[2] = { 7, 8 };
	int out[2];

	(void)state;
	fake_init(&f, 2);
	fake_load(&f, 0, 5);
	place(fl, &f, h, 2, 1, out); /* both on B */
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 1);
	/* B leaves the view; its id comes back as another NF (new generation) */
	f.v.nb_inst[ROLE] = 1;
	f.v.by_id[11] = NULL;
	place(fl, &f, h, 1, 2, out);
	assert_int_equal(out[0], 0);
	f.nf[1].gen = 555;
	f.v.inst[ROLE][1] = &f.nf[1];
	f.v.by_id[11] = &f.nf[1];
	f.v.nb_inst[ROLE] = 2;
	place(fl, &f, &h[1], 1, 3, out); /* the id's new NF is not the old one */
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.replaced, 2);
	assert_int_equal(st.active, 2);
	place(fl, &f, h, 1, 4, out);
	assert_int_equal(out[0], 0); /* placed again once, stays */
	assert_int_equal(core_flows_of(fl, 11, 101), 0);
	core_flows_free(fl);
}

/* A drained instance takes no new flow and keeps its own; handed over, its
 * flows move only once it has nothing in flight (ring empty, every packet
 * given back). */
static void
test_drain_handover(void **state)
{
	struct core_flows *fl = table(1024, 1000);
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[2] = { 7, 8 };
	int out[2];

	(void)state;
	fake_init(&f, 2);
	fake_load(&f, 0, 5);
	place(fl, &f, h, 2, 1, out); /* both on B (empty) */
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 1);
	f.nf[1].draining = CORE_DRAIN_KEEP;
	place(fl, &f, (uint32_t[]){ 9 }, 1, 2, out);
	assert_int_equal(out[0], 0); /* new flow: not on the drained B, though A is fuller */
	place(fl, &f, h, 2, 3, out);
	assert_int_equal(out[0], 1); /* B's flows stay on B */
	assert_int_equal(out[1], 1);

	f.nf[1].draining = CORE_DRAIN_HANDOVER;
	fake_load(&f, 1, 3);         /* B's ring holds packets: no move */
	place(fl, &f, h, 1, 4, out);
	assert_int_equal(out[0], 1);
	fake_load(&f, 1, 0);
	f.nf[1].st.rx = 10;          /* B holds 2 of the packets it was given */
	f.nf[1].st.returned = 8;
	place(fl, &f, h, 1, 5, out);
	assert_int_equal(out[0], 1);
	place(fl, &f, h, 2, 6, out); /* a burst of both: both stay */
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 1);
	f.nf[1].st.rx = 12;          /* that burst was given to B ... */
	f.nf[1].st.returned = 12;    /* ... and every packet came back: both move to A */
	place(fl, &f, h, 2, 7, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.moved, 2);
	assert_int_equal(core_flows_of(fl, 11, 101), 0);
	assert_int_equal(core_flows_of(fl, 10, 100), 3);

	/* the only instance of its role keeps its flows, handed over or not */
	f.nf[0].draining = CORE_DRAIN_HANDOVER;
	f.v.nb_inst[ROLE] = 1;
	place(fl, &f, h, 2, 8, out);
	assert_int_equal(out[0], 0);
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.moved, 2);
	core_flows_free(fl);
}

static void
test_expire(void **state)
{
	struct core_flows *fl = table(1024, 10);
	uint64_t ms = rte_get_tsc_hz() / 1000, t = 1000 * ms;
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[3] = { 1, 2, 3 };
	int out[3];

	(void)state;
	fake_init(&f, 2);
	place(fl, &f, h, 3, t, out);
	place(fl, &f, h, 1, t + 8 * ms, out); /* flow 1 seen again */
	assert_int_equal(core_flows_expire(fl, t + 5 * ms, 100000), 0);
	assert_int_equal(core_flows_expire(fl, t + 15 * ms, 100000), 2);
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.expired, 2);
	assert_int_equal(core_flows_expire(fl, t + 30 * ms, 100000), 1);
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(core_flows_of(fl, 10, 100) + core_flows_of(fl, 11, 101), 0);
	core_flows_free(fl);
}

static void
test_full(void **state)
{
	struct core_flows *fl = table(1024, 1000);
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[32];
	int out[32];
	unsigned int i, j;

	(void)state;
	fake_init(&f, 3);
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 32; j++)
			h[j] = (i * 32 + j) * 2654435761u;
		place(fl, &f, h, 32, 1, out);
		for (j = 0; j < 32; j++)
			assert_true(out[j] >= 0);
	}
	core_flows_stats_get(fl, &st);
	assert_true(st.full > 0);
	assert_true(st.active <= 1024);
	assert_int_equal(st.active + st.full, 2048);
	core_flows_free(fl);
}

/* A run of packets of one flow is one lookup, but each of its packets
 * counts as load for the new flows after it; the same hash in another role
 * is another flow. */
static void
test_runs(void **state)
{
	struct core_flows *fl = table(1024, 1000);
	/* runs: 3 packets of flow 300, 1 of 301, 1 of 300, 1 of 300 in ROLE + 1 */
	const uint16_t role[4] = { ROLE, ROLE, ROLE, ROLE + 1 };
	const uint32_t h[4] = { 300, 301, 300, 300 };
	const uint8_t len[4] = { 3, 1, 1, 1 };
	struct core_flows_stats st;
	struct core_nf *to[4];
	struct fake f;

	(void)state;
	fake_init(&f, 2);
	f.nf[2].id = 12;
	f.nf[2].gen = 102;
	f.nf[2].role = ROLE + 1;
	f.nf[2].nb_queues = 1;
	f.nf[2].q[0].rx.r = &f.ring[2];
	f.nf[2].q[0].rx.size = 1024;
	f.v.inst[ROLE + 1][0] = &f.nf[2];
	f.v.by_id[12] = &f.nf[2];
	f.v.nb_inst[ROLE + 1] = 1;
	fake_load(&f, 1, 2);
	core_flows_place(fl, &f.v, role, h, len, 4, 1, to);
	assert_ptr_equal(to[0], &f.nf[0]); /* A: 0 < 2 */
	assert_ptr_equal(to[1], &f.nf[1]); /* A now holds the 3 of this call: B (2) */
	assert_ptr_equal(to[2], &f.nf[0]); /* the flow again, after another */
	assert_ptr_equal(to[3], &f.nf[2]); /* same hash, other role: another flow */
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, 3);
	assert_int_equal(core_flows_of(fl, 10, 100), 1);
	assert_int_equal(core_flows_of(fl, 12, 102), 1);
	core_flows_free(fl);
}

/* Expired entries leave the hash too: a table filled, emptied by expiry
 * and filled again with other flows never reports itself full. */
static void
test_expire_frees(void **state)
{
	struct core_flows *fl = table(1024, 10);
	uint64_t ms = rte_get_tsc_hz() / 1000, t = 1000 * ms;
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[32];
	int out[32];
	unsigned int r, i, j;

	(void)state;
	fake_init(&f, 2);
	for (r = 0; r < 4; r++) {
		for (i = 0; i < 16; i++) {
			for (j = 0; j < 32; j++)
				h[j] = ((r * 16 + i) * 32 + j) * 2654435761u;
			place(fl, &f, h, 32, t, out);
		}
		t += 20 * ms;
		assert_int_equal(core_flows_expire(fl, t, 1u << 20), 16 * 32);
	}
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.expired, 4 * 16 * 32);
	core_flows_free(fl);
}

/* Two flows whose signatures share a hint (they differ above the hint
 * array's bits) each keep their own instance, in separate calls and within
 * one call: a hint is trusted only for the key it was written for. */
static void
test_hint_collision(void **state)
{
	struct core_flows *fl = table(1024, 1000);
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[4] = { 0x11, 0x11 ^ (1u << 24), 0x11, 0x11 ^ (1u << 24) };
	int out[4], a, b;
	unsigned int i;

	(void)state;
	fake_init(&f, 2);
	fake_load(&f, 1, 5);
	place(fl, &f, &h[0], 1, 1, out);
	a = out[0];
	assert_int_equal(a, 0); /* the emptier */
	fake_load(&f, 0, 9);
	place(fl, &f, &h[1], 1, 2, out);
	b = out[0];
	assert_int_equal(b, 1);
	for (i = 0; i < 3; i++) {
		place(fl, &f, &h[i % 2], 1, 3 + i, out);
		assert_int_equal(out[0], i % 2 == 0 ? a : b);
	}
	fake_load(&f, 0, 0);
	fake_load(&f, 1, 0);
	place(fl, &f, h, 4, 9, out);
	assert_int_equal(out[0], a);
	assert_int_equal(out[1], b);
	assert_int_equal(out[2], a);
	assert_int_equal(out[3], b);
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, 2);
	assert_int_equal(f.nf[0].st.placed + f.nf[1].st.placed, 2);
	core_flows_free(fl);
}

/* A known flow between two new ones in a call: its run counts for the
 * second new flow's placement (the runs are resolved in order, though the
 * known flow's hint is good and the new flows go to rte_hash). */
static void
test_known_between_new(void **state)
{
	struct core_flows *fl = table(1024, 1000);
	const uint16_t role[3] = { ROLE, ROLE, ROLE };
	uint32_t h[3] = { 500, 100, 101 }; /* cls_pick(h, 2) == 0: ties go to A */
	const uint8_t len[3] = { 1, 3, 1 };
	struct core_nf *to[3];
	struct fake f;
	int out[1];

	(void)state;
	fake_init(&f, 2);
	fake_load(&f, 0, 5);
	place(fl, &f, &h[0], 1, 1, out);
	assert_int_equal(out[0], 1); /* the known flow K on B */
	fake_load(&f, 0, 0);
	h[0] = 100, h[1] = 500, h[2] = 101; /* new N1, K, new N2 */
	core_flows_place(fl, &f.v, role, h, len, 3, 2, to);
	assert_ptr_equal(to[0], &f.nf[0]); /* N1: a tie, A */
	assert_ptr_equal(to[1], &f.nf[1]); /* K stays on B */
	assert_ptr_equal(to[2], &f.nf[0]); /* N2: A holds 1, B the 3 of K */
	core_flows_free(fl);
}

/* Flow hash number @i: its bits mixed (murmur3's finalizer), so that the
 * low bits of different flows' hashes collide as real ones do. */
static uint32_t
mixed(uint32_t i)
{
	i ^= i >> 16;
	i *= 0x85ebca6bu;
	i ^= i >> 13;
	i *= 0xc2b2ae35u;
	return i ^ (i >> 16);
}

/* More flows than the table prefetches from: every known flow, asked in
 * bursts of flows far apart, stays on the instance it was placed on. */
static void
test_many_flows(void **state)
{
	enum { FLOWS = 20000, BURST = 32 };
	struct core_flows *fl = table(65536, 1000);
	struct core_flows_stats st;
	static int8_t on[FLOWS];
	uint32_t h[BURST];
	int out[BURST];
	struct fake f;
	unsigned int i, j, placed[2] = { 0, 0 };

	(void)state;
	fake_init(&f, 2);
	for (i = 0; i < FLOWS / BURST; i++) {
		for (j = 0; j < BURST; j++)
			h[j] = mixed(i * BURST + j);
		place(fl, &f, h, BURST, 1, out);
		for (j = 0; j < BURST; j++) {
			assert_true(out[j] == 0 || out[j] == 1);
			on[i * BURST + j] = (int8_t)out[j];
			placed[out[j]]++;
		}
	}
	assert_true(placed[0] > 0 && placed[1] > 0);
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, FLOWS / BURST * BURST);
	for (i = 0; i < FLOWS / BURST; i++) {
		unsigned int of[BURST];

		for (j = 0; j < BURST; j++) {
			of[j] = (i * BURST + j) * 7919u % (FLOWS / BURST * BURST);
			h[j] = mixed(of[j]);
		}
		place(fl, &f, h, BURST, 2, out);
		for (j = 0; j < BURST; j++)
			assert_int_equal(out[j], on[of[j]]);
	}
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, FLOWS / BURST * BURST);
	assert_int_equal(st.full, 0);
	core_flows_free(fl);
}

/* A flow that expired is new when it comes back, though its hint is still
 * there: placed again by load, and in the hash again, so that the table
 * still holds no more flows than its size. */
static void
test_hint_stale(void **state)
{
	struct core_flows *fl = table(1024, 10);
	uint64_t ms = rte_get_tsc_hz() / 1000, t = 1000 * ms;
	struct core_flows_stats st;
	struct fake f;
	uint32_t h[32] = { 77 };
	int out[32];
	unsigned int i, j;

	(void)state;
	fake_init(&f, 2);
	fake_load(&f, 1, 5);
	place(fl, &f, h, 1, t, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(core_flows_expire(fl, t + 20 * ms, 1u << 20), 1);
	fake_load(&f, 0, 9);
	place(fl, &f, h, 1, t + 21 * ms, out);
	assert_int_equal(out[0], 1); /* placed anew, on the emptier */
	core_flows_stats_get(fl, &st);
	assert_int_equal(st.active, 1);
	assert_int_equal(f.nf[0].st.placed + f.nf[1].st.placed, 2);
	/* fill the table: the flow that came back takes a place in it */
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 32; j++)
			h[j] = (i * 32 + j + 1) * 2654435761u;
		place(fl, &f, h, 32, t + 22 * ms, out);
	}
	core_flows_stats_get(fl, &st);
	assert_true(st.full > 0);
	assert_true(st.active <= 1024);
	assert_int_equal(st.active + st.full, 1 + 64 * 32);
	core_flows_free(fl);
}

static void
test_cost(void **state)
{
	struct core_flows *fl = table(65536, 1000);
	struct fake f;
	uint32_t h[32];
	int out[32];
	unsigned int i, j, rounds = 20000;
	uint64_t t0;

	(void)state;
	fake_init(&f, 2);
	for (j = 0; j < 32; j++)
		h[j] = j * 2654435761u;
	place(fl, &f, h, 32, 1, out);
	t0 = rte_rdtsc();
	for (i = 0; i < rounds; i++)
		place(fl, &f, h, 32, 2, out);
	printf("flow table: %.1f cycles per packet (bursts of 32 known flows)\n",
	       (double)(rte_rdtsc() - t0) / (rounds * 32.0));
	core_flows_free(fl);

	/* many flows: every burst 32 others, out of 100 000 known ones in a
	 * table of 262 144 (their entries and hints past the second-level
	 * cache: the table prefetches them) */
	fl = table(262144, 1000);
	for (i = 0; i < 100000 / 32; i++) {
		for (j = 0; j < 32; j++)
			h[j] = mixed(i * 32 + j);
		place(fl, &f, h, 32, 3, out);
	}
	t0 = rte_rdtsc();
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < 32; j++)
			h[j] = mixed((i * 32 + j) * 7919u % (100000 / 32 * 32));
		place(fl, &f, h, 32, 4, out);
	}
	printf("flow table: %.1f cycles per packet (bursts of 32 of 100 000 known flows, "
	       "hashes included)\n", (double)(rte_rdtsc() - t0) / (rounds * 32.0));
	core_flows_free(fl);
}

static int
eal_setup(void **state)
{
	char a0[] = "test_flows", a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "-m", a4[] = "256",
	     a5[] = "--no-shconf", a6[] = "--no-telemetry", a7[] = "--log-level=3";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, NULL };

	(void)state;
	if (rte_eal_init(8, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	return 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_least),
		cmocka_unit_test(test_sticky_and_burst),
		cmocka_unit_test(test_instance_leaves),
		cmocka_unit_test(test_drain_handover),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_expire_frees),
		cmocka_unit_test(test_hint_collision),
		cmocka_unit_test(test_hint_stale),
		cmocka_unit_test(test_known_between_new),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
