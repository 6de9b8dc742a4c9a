/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mgr_scale.c — the decisions of a scaling policy (mgr_scale.c) on
 * counters the test writes, with method "process" played by the test (its
 * table of functions): a policy with min 0 and no instance starts one when
 * role<R>_no_instance rose since the previous read, not when it did not
 * (the first read, the same count, another role's count, no count at all),
 * and not within cooldown_ms or manager.restart_backoff_ms of its last
 * start.
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
#include <json-c/json.h>

#include "mgr.h"
#include "mgr_corecmd.h"
#include "mgr_ops.h"

#define ROLE 5
#define NF_ID 7

static unsigned int starts, stops;
static int live = 1; /* the fake instance: 1 runs (NF_ID), 0 gone */

/* ---- method "process", played by the test ---- */

static int
fake_start(struct mgr *m, struct mgr_unit *u, uint16_t role, const char *cmd, char *err,
	   size_t errlen)
{
	(void)m;
	(void)role;
	(void)cmd;
	(void)err;
	(void)errlen;
	starts++;
	u->pid = 1000 + (pid_t)starts;
	u->nf_id = -1;
	return 0;
}

static int
fake_poll(struct mgr_unit *u, struct json_object *stats, char *err, size_t errlen)
{
	(void)stats;
	if (!live) {
		snprintf(err, errlen, "exited");
		return 0;
	}
	u->nf_id = NF_ID;
	return 1;
}

static void
fake_stop(struct mgr_unit *u)
{
	stops++;
	u->nf_id = -1;
	u->pid = 0;
}

const struct mgr_inst_method mgr_method_process = {
	.name = "process", .start = fake_start, .poll = fake_poll, .stop = fake_stop,
};
const struct mgr_inst_method mgr_method_idle = {
	.name = "idle", .start = fake_start, .poll = fake_poll, .stop = fake_stop,
};

/* ---- the rest of the manager mgr_scale.c calls: never reached here ---- */

int
mgr_core_ask(const char *core_sock, int id, const char *req, size_t len, unsigned int timeout_ms,
	     int *status, char **answer, char *err, size_t errlen)
{
	(void)core_sock;
	(void)id;
	(void)req;
	(void)len;
	(void)timeout_ms;
	(void)status;
	*answer = NULL;
	snprintf(err, errlen, "no core in this test");
	return -ENOTCONN;
}

int
mgr_tel_query(const char *path, const char *cmd, struct json_object **out, char *err,
	      size_t errlen)
{
	(void)path;
	(void)cmd;
	*out = NULL;
	snprintf(err, errlen, "no core in this test");
	return -ENOTCONN;
}

int
mgr_tel_stats(const char *path, struct json_object **out, char *err, size_t errlen)
{
	return mgr_tel_query(path, "/netvm/stats", out, err, errlen);
}

void
mgr_dos_tick(struct mgr *m, struct json_object *stats, uint64_t now)
{
	(void)m;
	(void)stats;
	(void)now;
}

const struct mgr_unit *
mgr_dos_unit(struct mgr *m)
{
	(void)m;
	return NULL;
}

struct mgr_vm *
mgr_find_vm(struct mgr *m, const char *name)
{
	(void)m;
	(void)name;
	return NULL;
}

int
mgr_vm_start(struct mgr_vm *vm, char *err, size_t errlen)
{
	(void)vm;
	snprintf(err, errlen, "no VM in this test");
	return -ENOENT;
}

int
mgr_vm_stop(struct mgr_vm *vm)
{
	(void)vm;
	return 0;
}

bool
mgr_vm_up(const struct mgr_vm *vm)
{
	(void)vm;
	return false;
}

const char *
mgr_vm_state_name(enum mgr_vm_state s)
{
	(void)s;
	return "?";
}

void
mgr_log(const char *fmt, ...)
{
	(void)fmt;
}

/* ---- the policy under test ---- */

static struct mgr mgr;
static struct mgr_scale_cfg pol_cfg;

/* A manager with one policy of method "process" for ROLE, min 0, max 1. */
static int
setup(void **state)
{
	char err[256];

	(void)state;
	memset(&mgr, 0, sizeof(mgr));
	memset(&pol_cfg, 0, sizeof(pol_cfg));
	pol_cfg.role = ROLE;
	pol_cfg.method = MGR_METHOD_PROCESS;
	snprintf(pol_cfg.command, sizeof(pol_cfg.command), "/bin/nf");
	pol_cfg.min = 0;
	pol_cfg.max = 1;
	pol_cfg.out_above = 32;
	pol_cfg.in_below = 2;
	pol_cfg.out_hold_ms = 1000;
	pol_cfg.in_hold_ms = 5000;
	pol_cfg.cooldown_ms = 2000;
	pol_cfg.drain_ms = 10000;
	mgr.cfg.scale = &pol_cfg;
	mgr.cfg.nb_scale = 1;
	mgr.cfg.backoff_ms = 500;
	mgr.cfg.boot_s = 60;
	starts = stops = 0;
	live = 1;
	return mgr_scale_init(&mgr, err, sizeof(err));
}

static int
teardown(void **state)
{
	(void)state;
	mgr_scale_stop(&mgr, false);
	return 0;
}

/* The core's counters: role @role's no_instance count @n (none when < 0),
 * and NF_ID's load 0 when @with_nf. */
static struct json_object *
stats(int role, int64_t n, bool with_nf)
{
	struct json_object *o = json_object_new_object();
	char key[48];

	json_object_object_add(o, "drop_no_instance", json_object_new_int64(n > 0 ? n : 0));
	if (n >= 0) {
		snprintf(key, sizeof(key), "role%d_no_instance", role);
		json_object_object_add(o, key, json_object_new_int64(n));
	}
	if (with_nf) {
		snprintf(key, sizeof(key), "nf%d_load", NF_ID);
		json_object_object_add(o, key, json_object_new_int64(0));
	}
	return o;
}

/* One tick at @now on counters @st (released). */
static void
tick(struct json_object *st, uint64_t now)
{
	mgr_scale_tick(&mgr, st, now);
	json_object_put(st);
}

/* The policy's last decision, as `scale list` shows it ("" when none). */
static void
last_decision(char *buf, size_t len)
{
	struct json_object *a = mgr_scale_json(&mgr), *p, *log;
	size_t n;

	buf[0] = '\0';
	p = json_object_array_get_idx(a, 0);
	if (json_object_object_get_ex(p, "decisions", &log) &&
	    (n = json_object_array_length(log)) > 0) {
		struct json_object *d = json_object_array_get_idx(log, n - 1);

		snprintf(buf, len, "%s", json_object_get_string(d));
	}
	json_object_put(a);
}

static int64_t
pol_field(const char *name)
{
	struct json_object *a = mgr_scale_json(&mgr), *v;
	int64_t r = -1;

	if (json_object_object_get_ex(json_object_array_get_idx(a, 0), name, &v))
		r = json_object_get_int64(v);
	json_object_put(a);
	return r;
}

/* Dropped packets for the role: one start, after the first read. */
static void
test_rise_starts(void **state)
{
	char d[512];

	(void)state;
	tick(stats(ROLE, 10, false), 1000); /* the first read: nothing to compare */
	assert_int_equal(starts, 0);
	tick(stats(ROLE, 10, false), 1200); /* the same count */
	assert_int_equal(starts, 0);
	tick(stats(ROLE, 13, false), 1400); /* 3 dropped since */
	assert_int_equal(starts, 1);
	last_decision(d, sizeof(d));
	assert_string_equal(d, "scale from zero: 3 packets for the role dropped "
			       "(role5_no_instance) since the last read, 0 -> 1 instances: "
			       "starting r5-1 (process)");
	assert_int_equal(pol_field("scale_outs"), 1);
	/* it is the role's instance now: more drops start no second one */
	tick(stats(ROLE, 20, false), 1600);
	tick(stats(ROLE, 30, true), 5000);
	assert_int_equal(starts, 1);
	assert_int_equal(pol_field("running"), 1);
}

/* No packet dropped for the role: nothing, whatever else is counted. */
static void
test_no_rise_nothing(void **state)
{
	uint64_t t;

	(void)state;
	/* no count for the role (no drop ever), another role's rising */
	for (t = 1000; t < 20000; t += 200)
		tick(stats(ROLE + 1, (int64_t)t, false), t);
	assert_int_equal(starts, 0);
	teardown(state);
	setup(state);
	for (t = 1000; t < 40000; t += 200)
		tick(stats(ROLE, 50, false), t); /* a count, never rising */
	assert_int_equal(starts, 0);
	/* a role served by an instance the policy did not start: no drops */
	for (; t < 80000; t += 200)
		tick(stats(ROLE, 50, true), t);
	assert_int_equal(starts, 0);
	assert_int_equal(pol_field("scale_outs"), 0);
}

/* The start waits for cooldown_ms and restart_backoff_ms after the last; a
 * rise within them is kept, and starts the instance once they are over. */
static void
test_cooldown_backoff(void **state)
{
	(void)state;
	tick(stats(ROLE, 0, false), 1000);
	tick(stats(ROLE, 1, false), 1200);
	assert_int_equal(starts, 1); /* at 1200 */
	tick(stats(ROLE, 1, true), 1400);
	assert_int_equal(pol_field("running"), 1);
	live = 0; /* the instance ends: the role has none again */
	tick(stats(ROLE, 1, false), 1600);
	assert_int_equal(stops, 1);
	live = 1;
	tick(stats(ROLE, 5, false), 1800);      /* within cooldown_ms 2000 of 1200 */
	tick(stats(ROLE, 9, false), 3000);
	assert_int_equal(starts, 1);
	tick(stats(ROLE, 9, false), 3200);      /* cooldown over: the rise kept */
	assert_int_equal(starts, 2);

	/* restart_backoff_ms longer than cooldown_ms: the longer one rules */
	teardown(state);
	setup(state);
	pol_cfg.cooldown_ms = 100;
	mgr.cfg.backoff_ms = 3000;
	tick(stats(ROLE, 0, false), 1000);
	tick(stats(ROLE, 1, false), 1200);
	assert_int_equal(starts, 1);
	live = 0;
	tick(stats(ROLE, 1, false), 1400);
	live = 1;
	tick(stats(ROLE, 2, false), 1600);      /* past cooldown_ms, within the backoff */
	tick(stats(ROLE, 3, false), 4000);
	assert_int_equal(starts, 1);
	tick(stats(ROLE, 4, false), 4200);      /* 3000 ms after the start at 1200 */
	assert_int_equal(starts, 2);
}

/* A core that started again counts from 0: a lower count that then rises. */
static void
test_core_restart(void **state)
{
	(void)state;
	tick(stats(ROLE, 100, false), 1000);
	tick(stats(ROLE, 100, false), 1200);
	tick(NULL, 1400); /* the core away: no decision */
	assert_int_equal(starts, 0);
	tick(stats(ROLE, 4, false), 1600); /* 4 since it started again */
	assert_int_equal(starts, 1);
}

/* min above 0: the min rule starts it, drops or not (unchanged). */
static void
test_min_one_unchanged(void **state)
{
	char d[512];

	(void)state;
	pol_cfg.min = 1;
	tick(stats(ROLE, -1, false), 1000);
	assert_int_equal(starts, 1);
	last_decision(d, sizeof(d));
	assert_string_equal(d, "below min: starting r5-1 (process)");
	assert_int_equal(pol_field("scale_outs"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rise_starts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_rise_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cooldown_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_one_unchanged, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
