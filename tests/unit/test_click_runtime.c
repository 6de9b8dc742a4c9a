/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_click_runtime.c — netvm-click's runtime, offline: argument values,
 * scheduling order, stop counting, DriverManager, handlers, pull paths and
 * the NetVM actions. Expectations are worked out by hand from Click's
 * documented behaviour (CLICK-SCOPE §e).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ck_graph.h"

#include "ck_args.h"
#include "ck_rt.h"
#include "click_test.h"

static void
test_args(void **state)
{
	uint32_t ip, mask;
	uint8_t mac[6];
	double t;
	char *s, **v;
	size_t l;
	int n;
	bool b;
	int64_t i;

	(void)state;
	assert_int_equal(ck_parse_prefix(NULL, "18.26.4/24", &ip, &mask, false), 0);
	assert_memory_equal(&ip, "\x12\x1a\x04\x00", 4);
	assert_memory_equal(&mask, "\xff\xff\xff\x00", 4);
	assert_int_equal(ck_parse_prefix(NULL, "10.0.0.0/255.0.0.0", &ip, &mask, false), 0);
	assert_memory_equal(&mask, "\xff\x00\x00\x00", 4);
	assert_int_equal(ck_parse_prefix(NULL, "10.0.0.1", &ip, &mask, false), -EINVAL);
	assert_int_equal(ck_parse_eth(NULL, "0-1-2-a-b-FF", mac), 0);
	assert_memory_equal(mac, "\x00\x01\x02\x0a\x0b\xff", 6);
	assert_int_equal(ck_parse_time("10ms", &t), 0);
	assert_true(t > 0.0099 && t < 0.0101);
	assert_int_equal(ck_parse_time("2min", &t), 0);
	assert_true(t == 120);
	/* as Click's: blanks before the unit, days; no hex, inf, nan, and no more
	 * than 2^32 - 1 seconds (a `wait 1e300` fired at once) */
	assert_int_equal(ck_parse_time("1 s", &t), 0);
	assert_true(t == 1);
	assert_int_equal(ck_parse_time("2day", &t), 0);
	assert_true(t == 172800);
	assert_int_equal(ck_parse_time("1d", &t), 0);
	assert_true(t == 86400);
	assert_int_equal(ck_parse_time(".5", &t), 0);
	assert_true(t == 0.5);
	assert_int_equal(ck_parse_time("inf", &t), -EINVAL);
	assert_int_equal(ck_parse_time("nan", &t), -EINVAL);
	assert_int_equal(ck_parse_time("0x10", &t), -EINVAL);
	assert_int_equal(ck_parse_time("1e300", &t), -EINVAL);
	assert_int_equal(ck_parse_time("5e9", &t), -EINVAL);
	assert_int_equal(ck_parse_time("-1", &t), -EINVAL);
	assert_int_equal(ck_parse_time("4294967295", &t), 0);
	assert_int_equal(ck_parse_bool("yes", &b), 0);
	assert_true(b);
	/* bandwidths as Click's BandwidthArg: units baud, bps, b/s (bits), Bps,
	 * B/s (bytes), k/K/M/G just before them, blanks before; no prefix
	 * without a unit */
	assert_int_equal(ck_parse_bandwidth("1 Mbps", &t), 0);
	assert_true(t == 125000);
	assert_int_equal(ck_parse_bandwidth("8kb/s", &t), 0);
	assert_true(t == 1000);
	assert_int_equal(ck_parse_bandwidth("2KB/s", &t), 0);
	assert_true(t == 2000);
	assert_int_equal(ck_parse_bandwidth("1Gbaud", &t), 0);
	assert_true(t == 125000000);
	assert_int_equal(ck_parse_bandwidth("1.5kBps", &t), 0);
	assert_true(t == 1500);
	assert_int_equal(ck_parse_bandwidth("5", &t), 0);
	assert_true(t == 5);
	assert_int_equal(ck_parse_bandwidth("10M", &t), -EINVAL);
	assert_int_equal(ck_parse_bandwidth("10k", &t), -EINVAL);
	assert_int_equal(ck_parse_bandwidth("10 k bps", &t), -EINVAL);
	assert_int_equal(ck_parse_bandwidth("Mbps", &t), -EINVAL);
	assert_int_equal(ck_parse_bandwidth("-1Bps", &t), -EINVAL);
	/* booleans as Click's BoolArg: lower case only */
	assert_int_equal(ck_parse_bool("f", &b), 0);
	assert_false(b);
	assert_int_equal(ck_parse_bool("TRUE", &b), -EINVAL);
	assert_int_equal(ck_parse_bool("Yes", &b), -EINVAL);
	assert_int_equal(ck_parse_bool("N", &b), -EINVAL);
	/* integers as Click's IntArg: 0x hex, 0b binary, octal after a 0, '_'
	 * between digits, a sign; nothing else around them */
	assert_int_equal(ck_parse_int("0b101", &i), 0);
	assert_int_equal(i, 5);
	assert_int_equal(ck_parse_int("1_000_000", &i), 0);
	assert_int_equal(i, 1000000);
	assert_int_equal(ck_parse_int("0x1_F", &i), 0);
	assert_int_equal(i, 31);
	assert_int_equal(ck_parse_int("-010", &i), 0);
	assert_int_equal(i, -8);
	assert_int_equal(ck_parse_int("+0X10", &i), 0);
	assert_int_equal(i, 16);
	assert_int_equal(ck_parse_int("-9223372036854775808", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(ck_parse_int("9223372036854775808", &i), -EINVAL);
	assert_int_equal(ck_parse_int("1__0", &i), -EINVAL);
	assert_int_equal(ck_parse_int("1_", &i), -EINVAL);
	assert_int_equal(ck_parse_int("_1", &i), -EINVAL);
	assert_int_equal(ck_parse_int("0x", &i), -EINVAL);
	assert_int_equal(ck_parse_int("0b2", &i), -EINVAL);
	assert_int_equal(ck_parse_int("08", &i), -EINVAL);
	assert_int_equal(ck_parse_int(" 1", &i), -EINVAL);
	assert_int_equal(ck_parse_int("--1", &i), -EINVAL);
	assert_int_equal(ck_parse_string("\"a\\tb\"\\<41 42>'c d'", &s, &l), 0);
	assert_int_equal(l, 8);
	assert_memory_equal(s, "a\tbABc d", 8);
	free(s);
	n = ck_args_split("a, \"b, c\" , (d, e), // comment\n f,", &v);
	assert_int_equal(n, 4);
	assert_string_equal(v[1], "\"b, c\"");
	assert_string_equal(v[2], "(d, e)");
	assert_string_equal(v[3], "f");
	ck_args_free(v, n);
}

static void
test_unknown_keyword(void **state)
{
	struct tg t;
	struct run x;

	(void)state;
	tg_init(&t);
	tg_add(&t, "q", "Queue", "10, FOO 3", "h", "l");
	assert_int_equal(start(&x, &t), -1);
	assert_non_null(strstr(x.err, "test: While configuring 'q :: Queue': "));
	assert_non_null(strstr(x.err, "Router could not be initialized!"));
	fclose(x.chatf);
	fclose(x.errf);
	free(x.chat);
	free(x.err);
}

/* ---- Print, sources, scheduling ---- */

/* Per-element cycles: every packet pushed through an element is counted
 * once, one at a time and in a batch; the handler reads cycles x100 per
 * packet (0 when the build counts no cycles). */
static void
test_element_cycles(void **state)
{
	struct tg t;
	struct run x;
	struct ck_pkt *head = NULL, **tail = &head;
	struct ck_element *src, *strip, *cnt, *dis;
	uint32_t s, st, c, d;
	const uint64_t want = ck_cycles_enabled() ? 14 : 0;
	char *list;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "InfiniteSource", "LENGTH 60, LIMIT 10, STOP true", "", "h");
	st = tg_add(&t, "st", "Strip", "14", "h", "h");
	c = tg_add(&t, "c", "Counter", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, st, 0);
	tg_conn(&t, st, 0, c, 0);
	tg_conn(&t, c, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	src = ck_router_find(x.r, "s");
	strip = ck_router_find(x.r, "st");
	cnt = ck_router_find(x.r, "c");
	dis = ck_router_find(x.r, "d");
	/* 4 more as one batch: one timed call per element for all of them */
	for (int i = 0; i < 4; i++) {
		struct ck_pkt *p = ck_pkt_new(src, 60);

		assert_non_null(p);
		memset(p->data, 0, 60);
		*tail = p;
		tail = &p->next;
	}
	ck_push_out_batch(src, 0, head);
	assert_int_equal(hread(&x, "c.count"), 14);
	assert_int_equal(strip->cycle_pkts, want);
	assert_int_equal(cnt->cycle_pkts, want);
	assert_int_equal(dis->cycle_pkts, want);
	assert_int_equal(src->cycle_pkts, 0); /* a task: not timed */
	assert_int_equal(hread(&x, "s.cycles"), 0);
	if (want) {
		assert_true(hread(&x, "st.cycles") > 0);
		assert_int_equal(hread(&x, "st.cycles"), (long)(strip->cycles * 100 / 14));
	} else {
		assert_int_equal(hread(&x, "st.cycles"), 0);
	}
	list = ck_handler_read_str(x.r, "st.handlers");
	assert_non_null(list);
	assert_non_null(strstr(list, "cycles\tr\n"));
	free(list);
	finish(&x);
}

static void
test_two_sources_alternate(void **state)
{
	struct tg t;
	struct run x;
	uint32_t a, b, p, d;

	(void)state;
	tg_init(&t);
	a = tg_add(&t, "a", "InfiniteSource", "\\<aa>, 3, STOP true", "", "h");
	b = tg_add(&t, "b", "InfiniteSource", "\\<bb>, 3, STOP true", "", "h");
	p = tg_add(&t, "p", "Print", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, a, 0, p, 0);
	tg_conn(&t, b, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_string_equal(chat(&x), "   1 | aa\n   1 | bb\n   1 | aa\n   1 | bb\n"
				      "   1 | aa\n   1 | bb\n");
	finish(&x);
}

static void
test_first_stop_ends_run(void **state)
{
	struct tg t;
	struct run x;
	uint32_t a, b, d;

	(void)state;
	tg_init(&t);
	a = tg_add(&t, "a", "InfiniteSource", "\\<aa>, 2, STOP true", "", "h");
	b = tg_add(&t, "b", "InfiniteSource", "\\<bb>, 4, STOP true", "", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, a, 0, d, 0);
	tg_conn(&t, b, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_int_equal(hread(&x, "b.count"), 2);
	finish(&x);

	/* with a DriverManager waiting for two stop events, b runs to its limit */
	tg_add(&t, "dm", "DriverManager", "wait_stop 2, stop", "", "");
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_int_equal(hread(&x, "b.count"), 4);
	assert_int_equal(hread(&x, "d.count"), 6);
	finish(&x);
}

/* ---- queues and pull ---- */

static void
test_queue_capacity(void **state)
{
	struct tg t;
	struct run x;
	uint32_t q, c;
	uint8_t b = 1;

	(void)state;
	tg_init(&t);
	q = tg_add(&t, "q", "Queue", "2", "h", "lh");
	c = tg_add(&t, "over", "Counter", "", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_add(&t, "sink", "Idle", "", "l", "");
	tg_conn(&t, q, 1, c, 0);
	tg_conn(&t, c, 0, 2, 0);
	tg_conn(&t, q, 0, 3, 0);
	assert_int_equal(start(&x, &t), 0);
	for (int i = 0; i < 5; i++)
		inject(&x, "q", &b, 1);
	assert_int_equal(hread(&x, "q.length"), 2);
	assert_int_equal(hread(&x, "q.drops"), 3);
	assert_int_equal(hread(&x, "over.count"), 3);
	assert_int_equal(hread(&x, "q.highwater_length"), 2);
	assert_int_equal(ck_handler_write(x.r, "q.capacity", "3", NULL), 0);
	inject(&x, "q", &b, 1);
	assert_int_equal(hread(&x, "q.length"), 3);
	finish(&x);
}

static void
test_pull_counter_discard(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, q, c, d;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "InfiniteSource", "\\<01>, 5", "", "h");
	q = tg_add(&t, "q", "Queue", "200", "h", "l");
	c = tg_add(&t, "c", "Counter", "", "l", "l");
	d = tg_add(&t, "d", "Discard", "", "l", "");
	tg_conn(&t, s, 0, q, 0);
	tg_conn(&t, q, 0, c, 0);
	tg_conn(&t, c, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_int_equal(hread(&x, "c.count"), 5);
	assert_int_equal(hread(&x, "c.byte_count"), 5);
	assert_int_equal(hread(&x, "q.length"), 0);
	finish(&x);
}

static void
sched_run(const char *sched, const char *conf, const char *expect)
{
	struct tg t;
	struct run x;
	uint32_t a, b, q1, q2, rr, u, p, d;

	tg_init(&t);
	a = tg_add(&t, "a", "InfiniteSource", "\\<01>, 2", "", "h");
	b = tg_add(&t, "b", "InfiniteSource", "\\<02>, 2", "", "h");
	q1 = tg_add(&t, "q1", "Queue", "", "h", "l");
	q2 = tg_add(&t, "q2", "Queue", "", "h", "l");
	rr = tg_add(&t, "rr", sched, conf, "ll", "l");
	u = tg_add(&t, "u", "Unqueue", "", "l", "h");
	p = tg_add(&t, "p", "Print", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, a, 0, q1, 0);
	tg_conn(&t, b, 0, q2, 0);
	tg_conn(&t, q1, 0, rr, 0);
	tg_conn(&t, q2, 0, rr, 1);
	tg_conn(&t, rr, 0, u, 0);
	tg_conn(&t, u, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_string_equal(chat(&x), expect);
	finish(&x);
}

static void
test_rrsched_priosched(void **state)
{
	(void)state;
	sched_run("RoundRobinSched", "", "   1 | 01\n   1 | 02\n   1 | 01\n   1 | 02\n");
	sched_run("PrioSched", "", "   1 | 01\n   1 | 01\n   1 | 02\n   1 | 02\n");
	/* as Click's, RoundRobinSched's MAX: only inputs 0 to MAX - 1 are pulled */
	sched_run("RoundRobinSched", "2", "   1 | 01\n   1 | 02\n   1 | 01\n   1 | 02\n");
	sched_run("RoundRobinSched", "MAX 1", "   1 | 01\n   1 | 01\n");
}

/* ---- push elements ---- */

static void
test_handlers_print(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, c, d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "InfiniteSource", "\\<00 11>, 3, STOP true", "", "h");
	c = tg_add(&t, "c", "Counter", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, c, 0);
	tg_conn(&t, c, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	f = open_memstream(&out, &len);
	assert_int_equal(ck_router_print_handler(x.r, "c.count", false, false, f, NULL), 0);
	assert_int_equal(ck_router_print_handler(x.r, "*.count", true, false, f, NULL), 0);
	assert_int_equal(ck_router_print_handler(x.r, "c.nosuch", false, false, f, NULL), -ENOENT);
	fclose(f);
	assert_string_equal(out, "3\ns.count:\n3\n\nc.count:\n3\n\nd.count:\n3\n\n");
	free(out);
	assert_int_equal(ck_handler_write(x.r, "c.reset", "", NULL), 0);
	assert_int_equal(hread(&x, "c.count"), 0);
	finish(&x);
}

/* While the router runs on (live), a read that runs a script is left out:
 * Script's run and a PROXY script's handlers alike. */
static void
test_handlers_print_live(void **state)
{
	struct tg t;
	struct run x;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	tg_init(&t);
	tg_add(&t, "p", "Script", "TYPE PROXY, export n 0, set n $(add $n 1), return $n", "", "");
	assert_int_equal(start(&x, &t), 0);
	f = open_memstream(&out, &len);
	assert_int_equal(ck_router_print_handler(x.r, "p.foo", false, true, f, NULL), 0);
	assert_int_equal(ck_router_print_handler(x.r, "p.run", false, true, f, NULL), 0);
	assert_int_equal(ck_router_print_handler(x.r, "p.n", false, true, f, NULL), 0);
	assert_int_equal(ck_router_print_handler(x.r, "p.foo", false, false, f, NULL), 0);
	fclose(f);
	assert_string_equal(out, "0\n1\n"); /* the script ran once, for the last read */
	free(out);
	finish(&x);
}

static void
test_drivermanager_wait(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, c, d;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "RatedSource", "\\<01>, 10", "", "h");
	c = tg_add(&t, "c", "Counter", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, c, 0);
	tg_conn(&t, c, 0, d, 0);
	tg_add(&t, "dm", "DriverManager", "wait 1s, write c.reset, wait 0.5s, stop", "", "");
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	/* 10 packets/s; the count is reset after 1 s, then 0.5 s more: 5 or 6 */
	assert_in_range(hread(&x, "c.count"), 5, 6);
	assert_in_range(hread(&x, "s.count"), 15, 16);
	finish(&x);
}

static char *
hstr(struct run *x, const char *spec)
{
	char *v = ck_handler_read_str(x->r, spec);

	assert_non_null(v);
	return v;
}

static void
assert_scheduled(struct run *x, const char *spec, bool want)
{
	char *v = hstr(x, spec);

	assert_string_equal(v, want ? "true\n" : "false\n");
	free(v);
}

/*
 * Notifiers: Unqueue and ToDevice (through a pulled Counter) do not run
 * while their Queue is empty, though another task keeps the scheduler
 * busy for 500 rounds; packets in the Queue wake them, and they sleep again
 * once it is drained.
 */
static void
test_notifiers(void **state)
{
	struct tg t;
	struct run x;
	uint32_t i, d, id, q, u, c, d2, id2, q2, c2, td, id3, q3, pd;
	char *list;

	(void)state;
	tg_init(&t);
	i = tg_add(&t, "i", "InfiniteSource", "\\<00>, 500", "", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	id = tg_add(&t, "id", "Idle", "", "", "h");
	q = tg_add(&t, "q", "Queue", "", "h", "l");
	u = tg_add(&t, "u", "Unqueue", "", "l", "h");
	c = tg_add(&t, "c", "Counter", "", "h", "h");
	d2 = tg_add(&t, "d2", "Discard", "", "h", "");
	id2 = tg_add(&t, "id2", "Idle", "", "", "h");
	q2 = tg_add(&t, "q2", "Queue", "", "h", "l");
	c2 = tg_add(&t, "c2", "Counter", "", "l", "l");
	td = tg_add(&t, "td", "ToDevice", "0", "l", "");
	tg_conn(&t, i, 0, d, 0);
	tg_conn(&t, id, 0, q, 0);
	tg_conn(&t, q, 0, u, 0);
	tg_conn(&t, u, 0, c, 0);
	tg_conn(&t, c, 0, d2, 0);
	tg_conn(&t, id2, 0, q2, 0);
	tg_conn(&t, q2, 0, c2, 0);
	tg_conn(&t, c2, 0, td, 0);
	/* a Discard pulling from a Queue sleeps on it the same way */
	id3 = tg_add(&t, "id3", "Idle", "", "", "h");
	q3 = tg_add(&t, "q3", "Queue", "", "h", "l");
	pd = tg_add(&t, "pd", "Discard", "", "l", "");
	tg_conn(&t, id3, 0, q3, 0);
	tg_conn(&t, q3, 0, pd, 0);
	assert_int_equal(start(&x, &t), 0);
	for (int k = 0; k < 600; k++)
		ck_router_run_once(x.r);
	assert_int_equal(hread(&x, "i.count"), 500);
	/* each ran once, found its queue empty and went to sleep */
	assert_int_equal(hread(&x, "u.task_runs"), 1);
	assert_int_equal(hread(&x, "td.task_runs"), 1);
	assert_true(hread(&x, "i.task_runs") >= 500); /* the scheduler went round 500 times */
	assert_scheduled(&x, "u.scheduled", false);
	assert_scheduled(&x, "td.scheduled", false);
	assert_int_equal(hread(&x, "pd.task_runs"), 1);
	assert_scheduled(&x, "pd.scheduled", false);

	/* busy: three packets wake Unqueue, two wake ToDevice, 20 the Discard
	 * (BURST 8: three runs) */
	for (int k = 0; k < 20; k++)
		inject(&x, "q3", udp40, sizeof(udp40));
	assert_scheduled(&x, "pd.scheduled", true);
	for (int k = 0; k < 3; k++)
		inject(&x, "q", udp40, sizeof(udp40));
	for (int k = 0; k < 2; k++)
		inject(&x, "q2", udp40, sizeof(udp40));
	assert_scheduled(&x, "u.scheduled", true);
	assert_scheduled(&x, "td.scheduled", true);
	for (int k = 0; k < 10; k++)
		ck_router_run_once(x.r);
	assert_int_equal(hread(&x, "c.count"), 3);
	assert_int_equal(hread(&x, "u.count"), 3);
	assert_int_equal(hread(&x, "c2.count"), 2);
	assert_int_equal(hread(&x, "td.count"), 2);
	/* one run per packet (BURST 1), the last one draining the queue */
	assert_int_equal(hread(&x, "u.task_runs"), 1 + 3);
	assert_int_equal(hread(&x, "td.task_runs"), 1 + 2);
	assert_scheduled(&x, "u.scheduled", false);
	assert_scheduled(&x, "td.scheduled", false);
	assert_int_equal(hread(&x, "pd.count"), 20);
	assert_int_equal(hread(&x, "pd.task_runs"), 1 + 3);
	assert_scheduled(&x, "pd.scheduled", false);
	/* switched off, a packet does not make it pull; switched on, it does */
	assert_int_equal(ck_handler_write(x.r, "pd.active", "false", NULL), 0);
	inject(&x, "q3", udp40, sizeof(udp40));
	for (int k = 0; k < 10; k++)
		ck_router_run_once(x.r);
	assert_int_equal(hread(&x, "pd.count"), 20);
	assert_int_equal(ck_handler_write(x.r, "pd.active", "true", NULL), 0);
	for (int k = 0; k < 10; k++)
		ck_router_run_once(x.r);
	assert_int_equal(hread(&x, "pd.count"), 21);
	assert_scheduled(&x, "pd.scheduled", false);
	/* only elements with a task have the task handlers */
	assert_null(ck_handler_read_str(x.r, "q.task_runs"));
	list = hstr(&x, "u.handlers");
	assert_non_null(strstr(list, "task_runs\tr\n"));
	free(list);
	list = hstr(&x, "q.handlers");
	assert_null(strstr(list, "task_runs"));
	free(list);
	finish(&x);
}

struct rec {
	int n;
	int action[16];
	unsigned int arg[16];
};

static struct ck_pkt *
rec_alloc(void *ctx, uint32_t len)
{
	(void)ctx;
	return ck_offline_platform()->alloc(NULL, len);
}

static void
rec_finish(void *ctx, struct ck_pkt *p, enum ck_action a, unsigned int arg)
{
	struct rec *r = ctx;

	if (r->n < 16) {
		r->action[r->n] = (int)a;
		r->arg[r->n++] = arg;
	}
	ck_offline_platform()->finish(NULL, p, a, arg);
}

static int
rec_port(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "eth0") == 0 ? 0 : strcmp(name, "eth1") == 0 ? 1 : -1;
}

static uint64_t
rec_now(void *ctx)
{
	(void)ctx;
	return 0;
}

static void
test_platform_actions(void **state)
{
	struct rec rec = { 0 };
	const struct ck_platform plat = { "test", &rec, rec_alloc, rec_finish, rec_port, rec_now, false };
	struct tg t;
	struct ck_router *r;
	uint32_t fd, c, q, td, role, chain;
	struct ck_pkt *head = NULL, **tail = &head;
	FILE *errf = fopen("/dev/null", "w");

	(void)state;
	tg_init(&t);
	fd = tg_add(&t, "in", "FromDevice", "eth0", "", "h");
	c = tg_add(&t, "c", "Classifier", "0/01, 0/02, 0/03, -", "h", "hhhh");
	q = tg_add(&t, "q", "Queue", "", "h", "l");
	td = tg_add(&t, "out", "ToDevice", "eth1", "l", "");
	role = tg_add(&t, "r", "ToRole", "7", "h", "");
	chain = tg_add(&t, "n", "ToChain", "", "h", "");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, fd, 0, c, 0);
	tg_conn(&t, c, 0, q, 0);
	tg_conn(&t, q, 0, td, 0);
	tg_conn(&t, c, 1, role, 0);
	tg_conn(&t, c, 2, chain, 0);
	tg_conn(&t, c, 3, chain + 1, 0);
	r = ck_router_new(&t.g, &plat, errf);
	assert_non_null(r);
	for (uint8_t b = 1; b <= 4; b++) {
		struct ck_pkt *p = rec_alloc(NULL, 1);

		p->data[0] = b;
		*tail = p;
		tail = &p->next;
	}
	assert_int_equal(ck_router_input(r, 0, head), 4);
	assert_int_equal(rec.n, 3); /* role, chain, drop; the first waits in the Queue */
	assert_int_equal(rec.action[0], CK_ACT_TO_ROLE);
	assert_int_equal(rec.arg[0], 7);
	assert_int_equal(rec.action[1], CK_ACT_NEXT);
	assert_int_equal(rec.action[2], CK_ACT_DROP);
	assert_true(ck_router_run_once(r));
	assert_int_equal(rec.n, 4);
	assert_int_equal(rec.action[3], CK_ACT_OUT);
	assert_int_equal(rec.arg[3], 1);
	/* a port nobody reads: dropped */
	assert_int_equal(ck_router_input(r, 5, rec_alloc(NULL, 1)), 0);
	assert_int_equal(rec.action[4], CK_ACT_DROP);
	ck_router_free(r);

	/* a device with no port is a configuration error */
	t.e[td].config = (char *)"eth9";
	assert_null(ck_router_new(&t.g, &plat, errf));
	fclose(errf);
}

static void
test_registry(void **state)
{
	const struct ck_element_class *const *c = ck_element_classes();
	int n = 0;

	(void)state;
	for (; *c; c++, n++) {
		assert_non_null((*c)->ports);
		assert_non_null((*c)->processing);
		assert_ptr_equal(ck_element_class_find((*c)->name), *c);
		assert_true((*c)->push || (*c)->pull || (*c)->action || (*c)->run_task ||
			    (*c)->configure);
	}
	assert_true(n >= 60);
	assert_null(ck_element_class_find("NoSuchElement"));

	/* The front end checks graphs with its own table (ck_classes.c): both
	 * must name the same classes, with the same port counts and processing,
	 * so that what the front end accepts the runtime can build. */
	for (c = ck_element_classes(); *c; c++) {
		const struct ck_class_info *fi = ck_class_find((*c)->name);

		if (fi == NULL)
			fail_msg("runtime class %s unknown to the front end", (*c)->name);
		assert_string_equal(fi->ports, (*c)->ports);
		assert_string_equal(fi->processing, (*c)->processing);
	}
	for (const struct ck_class_info *const *fi = ck_classes; *fi; fi++)
		if (ck_element_class_find((*fi)->name) == NULL)
			fail_msg("front-end class %s has no runtime implementation", (*fi)->name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_unknown_keyword),
		cmocka_unit_test(test_two_sources_alternate),
		cmocka_unit_test(test_first_stop_ends_run),
		cmocka_unit_test(test_queue_capacity),
		cmocka_unit_test(test_pull_counter_discard),
		cmocka_unit_test(test_rrsched_priosched),
		cmocka_unit_test(test_handlers_print),
		cmocka_unit_test(test_handlers_print_live),
		cmocka_unit_test(test_drivermanager_wait),
		cmocka_unit_test(test_platform_actions),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_element_cycles),
		cmocka_unit_test(test_notifiers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
