/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mgr_agent.c — netvm-manager's side of the guest agent (mgr_agent.c):
 * the answer parser against well-formed and hostile lines, and a request
 * over a socket pair playing the guest (answers out of turn, too long,
 * unasked, silent, closed, a guest that does not read its port).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgr_idle.h"

/* mgr_main.c's clock, which mgr_agent.c uses for its deadlines. */
uint64_t
mgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
test_parse_good(void **state)
{
	struct mgr_agent_answer a;

	(void)state;
	assert_int_equal(mgr_agent_parse("pong 7", &a), 0);
	assert_int_equal(a.verb, MGR_AGENT_PONG);
	assert_int_equal(a.seq, 7);
	assert_int_equal(mgr_agent_parse("started 12 345", &a), 0);
	assert_int_equal(a.verb, MGR_AGENT_STARTED);
	assert_int_equal(a.seq, 12);
	assert_int_equal(a.value, 345);
	assert_int_equal(mgr_agent_parse("stopped 4294967295 143", &a), 0);
	assert_int_equal(a.seq, 4294967295u);
	assert_int_equal(a.value, 143);
	assert_int_equal(mgr_agent_parse("exited 3 0", &a), 0);
	assert_int_equal(a.verb, MGR_AGENT_EXITED);
	assert_int_equal(mgr_agent_parse("none 3", &a), 0);
	assert_int_equal(a.verb, MGR_AGENT_NONE);
	assert_int_equal(mgr_agent_parse("error 5 only 1 of 2 ivshmem devices", &a), 0);
	assert_int_equal(a.verb, MGR_AGENT_ERROR);
	assert_string_equal(a.text, "only 1 of 2 ivshmem devices");
}

static void
test_parse_hostile(void **state)
{
	static const char *const bad[] = {
		"", "pong", "pong ", "pong x", "pong 7 8", "pong -1", "pong 07a",
		"PONG 7", "started 1", "started 1 ", "started 1 2 3", "started 1 -2",
		"started 1 4294967296", "started 99999999999 1", "stopped 1 1x",
		"error 1", "error 1 ", "hello 1", " pong 1", "pong  1", "pong 1\t",
		"started 1 2\x01", "error 1 caf\xc3\xa9", "run 1 2 /bin/sh",
	};
	char longline[MGR_AGENT_LINE + 8];
	struct mgr_agent_answer a;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mgr_agent_parse(bad[i], &a) != -EPROTO)
			fail_msg("accepted hostile answer \"%s\"", bad[i]);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "error 1 ", 8);
	assert_int_equal(mgr_agent_parse(longline, &a), -EPROTO);
}

/* A guest at the other end of a socket pair; @ag talks to it. */
static int
guest_pair(struct mgr_agent *ag)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	mgr_agent_init(ag);
	ag->fd = sv[0];
	return sv[1];
}

static void
guest_says(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static void
test_request(void **state)
{
	struct mgr_agent_answer a;
	struct mgr_agent ag;
	char err[MGR_ERR_LEN], req[64];
	int g = guest_pair(&ag);
	ssize_t n;

	(void)state;
	/* the answer is already waiting when the request is read: a request
	 * with the next sequence number (1) */
	ag.seq = 0;
	assert_int_equal(mgr_agent_send(&ag, "ping", NULL, err, sizeof(err)), 0);
	n = read(g, req, sizeof(req) - 1);
	assert_true(n > 0);
	req[n] = '\0';
	assert_string_equal(req, "ping 1\n");
	guest_says(g, "pong 1\r\n");
	assert_int_equal(mgr_agent_poll(&ag, 1000, &a, err, sizeof(err)), 1);
	assert_int_equal(a.verb, MGR_AGENT_PONG);

	/* an answer to another request */
	assert_int_equal(mgr_agent_send(&ag, "status", NULL, err, sizeof(err)), 0);
	guest_says(g, "none 99\n");
	assert_int_equal(mgr_agent_poll(&ag, 1000, &a, err, sizeof(err)), 1);
	assert_int_not_equal(a.seq, ag.seq);

	/* output nobody asked for is refused before the request goes out */
	guest_says(g, "started 3 1\n");
	usleep(10000);
	assert_int_equal(mgr_agent_request(&ag, "status", NULL, 200, &a, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "nobody asked for"));
	mgr_agent_close(&ag);
	close(g);

	/* silence: a time-out, not a hang */
	g = guest_pair(&ag);
	assert_int_equal(mgr_agent_request(&ag, "ping", NULL, 100, &a, err, sizeof(err)),
			 -ETIMEDOUT);
	/* an error answer carries the guest's text */
	while (read(g, req, sizeof(req)) > 0)
		;
	assert_int_equal(ag.seq, 1);
	assert_int_equal(mgr_agent_send(&ag, "run", "2 /bin/nf", err, sizeof(err)), 0);
	guest_says(g, "error 2 only 1 of 2 ivshmem devices\n");
	assert_int_equal(mgr_agent_poll(&ag, 1000, &a, err, sizeof(err)), 1);
	assert_int_equal(a.verb, MGR_AGENT_ERROR);
	assert_int_equal(a.seq, ag.seq);
	assert_string_equal(a.text, "only 1 of 2 ivshmem devices");
	mgr_agent_close(&ag);
	close(g);

	/* a line that never ends */
	g = guest_pair(&ag);
	memset(req, 'x', sizeof(req));
	for (n = 0; n < 4; n++)
		assert_int_equal(write(g, req, sizeof(req)), (ssize_t)sizeof(req));
	assert_int_equal(mgr_agent_poll(&ag, 100, &a, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "longer than"));
	mgr_agent_close(&ag);
	close(g);

	/* a good answer with a NUL and garbage after it: the part after the
	 * NUL must not escape the checks */
	g = guest_pair(&ag);
	assert_int_equal(write(g, "pong 1\0\xff\xfe\n", 10), 10);
	assert_int_equal(mgr_agent_poll(&ag, 100, &a, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "NUL"));
	mgr_agent_close(&ag);
	close(g);

	/* binary garbage, then the guest closes */
	g = guest_pair(&ag);
	guest_says(g, "\xff\xfe\x01garbage\n");
	assert_int_equal(mgr_agent_poll(&ag, 100, &a, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "\\xff"));
	ag.len = 0;
	close(g);
	assert_int_equal(mgr_agent_poll(&ag, 100, &a, err, sizeof(err)), -ECONNRESET);
	mgr_agent_close(&ag);
}

static void
test_request_error_answer(void **state)
{
	struct mgr_agent_answer a;
	struct mgr_agent ag;
	char err[MGR_ERR_LEN];
	int g = guest_pair(&ag);

	(void)state;
	/* the guest answers the request it will get (seq 1) before it is sent:
	 * only possible here, as the pair is a socket, not a serial line; it
	 * must then count as output nobody asked for */
	ag.seq = 0;
	guest_says(g, "error 1 no such device\n");
	usleep(10000);
	assert_int_equal(mgr_agent_request(&ag, "run", "2 /bin/nf", 100, &a, err, sizeof(err)),
			 -EPROTO);
	mgr_agent_close(&ag);
	close(g);
}

/* A well-formed answer with the request's number but of a verb that request
 * never gets ("started" to "status", "running" to "ping") is refused; an
 * "error" answers any request. */
static void
test_answer_of_another_verb(void **state)
{
	static const struct {
		const char *verb, *args, *answer, *err;
	} cases[] = {
		{ "status", NULL, "started %u 42\n", "agent: answered status with started" },
		{ "status", NULL, "stopped %u 0\n", "agent: answered status with stopped" },
		{ "ping", NULL, "running %u 5\n", "agent: answered ping with running" },
		{ "stop", NULL, "exited %u 0\n", "agent: answered stop with exited" },
		{ "run", "2 /bin/nf", "pong %u\n", "agent: answered run with pong" },
		{ "clock", "1700000000", "none %u\n", "agent: answered clock with none" },
	};
	static const struct {
		const char *verb, *answer;
		enum mgr_agent_verb got;
	} good[] = {
		{ "ping", "pong %u\n", MGR_AGENT_PONG },
		{ "clock", "pong %u\n", MGR_AGENT_PONG },
		{ "run", "started %u 7\n", MGR_AGENT_STARTED },
		{ "stop", "stopped %u 0\n", MGR_AGENT_STOPPED },
		{ "status", "running %u 7\n", MGR_AGENT_RUNNING },
		{ "status", "exited %u 1\n", MGR_AGENT_EXITED },
		{ "status", "none %u\n", MGR_AGENT_NONE },
	};
	struct mgr_agent_answer a;
	struct mgr_agent ag;
	char err[MGR_ERR_LEN], line[64], req[256];
	unsigned int i;
	int g;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		g = guest_pair(&ag);
		assert_int_equal(mgr_agent_ask(&ag, cases[i].verb, cases[i].args, err,
					       sizeof(err)), 0);
		assert_true(read(g, req, sizeof(req)) > 0);
		snprintf(line, sizeof(line), cases[i].answer, ag.seq);
		guest_says(g, line);
		assert_int_equal(mgr_agent_reply(&ag, 1000, &a, err, sizeof(err)), -EPROTO);
		assert_string_equal(err, cases[i].err);
		mgr_agent_close(&ag);
		close(g);
	}
	g = guest_pair(&ag);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(mgr_agent_ask(&ag, good[i].verb, NULL, err, sizeof(err)), 0);
		assert_true(read(g, req, sizeof(req)) > 0);
		snprintf(line, sizeof(line), good[i].answer, ag.seq);
		guest_says(g, line);
		assert_int_equal(mgr_agent_reply(&ag, 1000, &a, err, sizeof(err)), 1);
		assert_int_equal(a.verb, good[i].got);
	}
	assert_int_equal(mgr_agent_ask(&ag, "status", NULL, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "error %u unknown request\n", ag.seq);
	guest_says(g, line);
	assert_int_equal(mgr_agent_reply(&ag, 1000, &a, err, sizeof(err)), -EREMOTEIO);
	assert_string_equal(err, "agent: unknown request");
	mgr_agent_close(&ag);
	close(g);
}

/* A guest flooding its port while it boots: each call reads a bounded number
 * of lines, so the pong after the flood takes many calls, and a closed port
 * ends it. */
/* A guest that does not read its port: requests wait in the out buffer,
 * never the caller; they go out in order once the guest reads. */
static void
test_guest_never_reads(void **state)
{
	static char got[65536], want[65536];
	struct mgr_agent_answer a;
	struct mgr_agent ag;
	char err[MGR_ERR_LEN], args[901];
	int g = guest_pair(&ag), sndbuf = 4096, r = 0;
	unsigned int i, statuses, runs, loops;
	size_t off = 0, wl = 0;
	ssize_t n;

	(void)state;
	assert_int_equal(setsockopt(ag.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	/* requests until the socket takes no more: each call returns at once */
	for (i = 0; ag.out_len == 0; i++) {
		assert_true(i < 10000);
		assert_int_equal(mgr_agent_send(&ag, "status", NULL, err, sizeof(err)), 0);
	}
	statuses = ag.seq;
	assert_int_equal(mgr_agent_reply(&ag, 0, &a, err, sizeof(err)), 0);
	assert_true(ag.out_len > 0);
	mgr_agent_timeout(&ag, "status", 10000, err, sizeof(err));
	assert_string_equal(err, "agent: the guest did not read the 'status' request within "
			    "10000 ms (it does not read its port)");
	/* until the out buffer is full: then refused, not waited for */
	memset(args, 'a', sizeof(args) - 1);
	args[sizeof(args) - 1] = '\0';
	for (runs = 0; runs < 100; runs++) {
		r = mgr_agent_send(&ag, "run", args, err, sizeof(err));
		if (r < 0)
			break;
	}
	assert_int_equal(r, -ENOBUFS);
	assert_true(runs > 0);
	assert_non_null(strstr(err, "agent: the guest does not read its port ("));
	/* the guest reads: everything accepted goes out, in order, once */
	for (loops = 0; loops < 100000; loops++) {
		n = read(g, got + off, sizeof(got) - 1 - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (ag.out_len == 0)
			break;
		assert_int_equal(mgr_agent_poll(&ag, 0, &a, err, sizeof(err)), 0);
	}
	got[off] = '\0';
	for (i = 1; i <= statuses; i++)
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "status %u\n", i);
	for (i = statuses + 1; i <= statuses + runs; i++)
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "run %u %s\n", i, args);
	assert_string_equal(got, want);
	mgr_agent_timeout(&ag, "run", 10000, err, sizeof(err));
	assert_string_equal(err, "agent: no answer to 'run' within 10000 ms");
	mgr_agent_close(&ag);
	close(g);
}

static void
test_pong_flood(void **state)
{
	static char flood[2000 * 11 + 8];
	struct mgr_agent ag;
	char err[MGR_ERR_LEN], c;
	unsigned int i, calls = 0;
	size_t n = 0;
	int g = guest_pair(&ag), r;

	(void)state;
	ag.seq = 1; /* "ping 1" went out */
	for (i = 0; i < 2000; i++)
		n += (size_t)sprintf(flood + n, "%s", i < 1000 && i % 3 == 0 ? "\xff junk!\n" :
				      "pong 0\n");
	n += (size_t)sprintf(flood + n, "pong 1\n");
	assert_int_equal(write(g, flood, n), (ssize_t)n);
	assert_int_equal(mgr_agent_pong(&ag, 64, err, sizeof(err)), 0);
	/* most of the flood is still unread */
	assert_true(recv(ag.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1);
	do {
		r = mgr_agent_pong(&ag, 64, err, sizeof(err));
		calls++;
	} while (r == 0 && calls < 1000);
	assert_int_equal(r, 1);
	/* 1000 clean lines at 64 a call at least */
	assert_true(calls >= 1000 / 64);
	/* nothing more: not yet; the guest gone: -ECONNRESET */
	assert_int_equal(mgr_agent_pong(&ag, 64, err, sizeof(err)), 0);
	close(g);
	assert_int_equal(mgr_agent_pong(&ag, 64, err, sizeof(err)), -ECONNRESET);
	mgr_agent_close(&ag);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_error_answer),
		cmocka_unit_test(test_answer_of_another_verb),
		cmocka_unit_test(test_pong_flood),
		cmocka_unit_test(test_guest_never_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
