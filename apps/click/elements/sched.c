/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unqueue([ACTIVE, LIMIT, BURST]) — a task pulls up to BURST (default 1;
 * negative: until a pull gives nothing) packets per run from its input and
 * pushes them; LIMIT caps the total. Handlers count, active, limit, burst
 * (rw), reset (w).
 * RoundRobinSched([MAX]) — each pull tries the inputs (only 0 to MAX - 1 when
 * MAX is given, as Click's) round-robin, starting after the one that last
 * gave a packet. PrioSched — each pull tries input 0
 * first, then 1, ...
 */
#include "ck_elem.h"

struct sched {
	bool active;
	int64_t limit, burst;
	uint64_t count;
	unsigned int next;
	struct ck_notifier *upstream; /* Unqueue: sleeps while it is empty */
};

static int
unqueue_configure(struct ck_element *e)
{
	struct sched *s = CK_PRIV(e, struct sched);
	const struct ck_argdesc a[] = {
		{ "ACTIVE", CK_A_BOOL, &s->active, 0, NULL },
		{ "LIMIT", CK_A_INT, &s->limit, 0, NULL },
		{ "BURST", CK_A_INT, &s->burst, CK_POS, NULL },
	};

	s->active = true;
	s->limit = -1;
	s->burst = 1;
	if (ck_args_parse(e, a, 3) < 0)
		return -EINVAL;
	if (s->burst == 0)
		return ck_error(e, "BURST 0 would pull no packets: give a positive BURST, or a "
			     "negative one to pull until nothing comes back");
	if (s->burst < 0)
		s->burst = 0x7fffffff; /* as Click's: until a pull gives nothing */
	return 0;
}

static int
unqueue_initialize(struct ck_element *e)
{
	struct sched *s = CK_PRIV(e, struct sched);

	s->upstream = ck_pull_listen(e, 0);
	if (!s->active)
		ck_task_unschedule(e);
	return 0;
}

static bool
unqueue_run(struct ck_element *e)
{
	struct sched *s = CK_PRIV(e, struct sched);
	bool worked = false;

	if (!s->active) {
		ck_task_unschedule(e);
		return false;
	}
	for (int64_t i = 0; i < s->burst; i++) {
		struct ck_pkt *p;

		if (s->limit >= 0 && s->count >= (uint64_t)s->limit)
			break;
		p = ck_pull_in(e, 0);
		if (!p)
			break;
		s->count++;
		ck_push_out(e, 0, p);
		worked = true;
	}
	if (s->upstream && !s->upstream->nonempty)
		ck_task_unschedule(e); /* until the queue has packets again */
	return worked;
}

static int
unqueue_read(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct sched *s = CK_PRIV(e, struct sched);

	if (h->arg == 0)
		fprintf(f, "%s\n", s->active ? "true" : "false");
	else
		fprintf(f, "%lld\n", (long long)(h->arg == 1 ? s->limit : s->burst));
	return 0;
}

/* active (a boolean), limit (-1: none), burst (negative: until nothing comes
 * back), reset (count to 0); active true or a new limit wakes the task. */
static int
unqueue_write(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct sched *s = CK_PRIV(e, struct sched);
	int64_t n = 0;
	bool b = false;

	if (h->arg == 3) {
		s->count = 0;
		ck_task_reschedule(e);
		return 0;
	}
	if (h->arg == 0 ? ck_parse_bool(v, &b) < 0 : ck_parse_int(v, &n) < 0) {
		if (errf)
			fprintf(errf, "%s: expected %s\n", h->name,
				h->arg == 0 ? "boolean" : "integer");
		return -EINVAL;
	}
	if (h->arg == 2 && n == 0) {
		if (errf)
			fprintf(errf, "burst: 0 would pull no packets\n");
		return -EINVAL;
	}
	if (h->arg == 0)
		s->active = b;
	else if (h->arg == 1)
		s->limit = n < 0 ? -1 : n;
	else
		s->burst = n < 0 ? 0x7fffffff : n;
	if (s->active)
		ck_task_reschedule(e);
	return 0;
}

static const struct ck_handler unqueue_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct sched, count), NULL },
	{ "active", CK_H_READ | CK_H_WRITE, unqueue_read, unqueue_write, 0, NULL },
	{ "limit", CK_H_READ | CK_H_WRITE, unqueue_read, unqueue_write, 1, NULL },
	{ "burst", CK_H_READ | CK_H_WRITE, unqueue_read, unqueue_write, 2, NULL },
	{ "reset", CK_H_WRITE, NULL, unqueue_write, 3, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Unqueue = {
	.name = "Unqueue", .ports = "1/1", .processing = "l/h",
	.priv_size = sizeof(struct sched), .configure = unqueue_configure,
	.initialize = unqueue_initialize, .run_task = unqueue_run,
	.handlers = unqueue_handlers,
};

static struct ck_pkt *
rrsched_pull(struct ck_element *e, unsigned int port)
{
	struct sched *s = CK_PRIV(e, struct sched);

	(void)port;
	for (unsigned int k = 0; k < (unsigned int)s->limit; k++) {
		unsigned int i = (s->next + k) % (unsigned int)s->limit;
		struct ck_pkt *p = ck_pull_in(e, i);

		if (p) {
			s->next = (i + 1) % (unsigned int)s->limit;
			return p;
		}
	}
	return NULL;
}

/* RoundRobinSched([MAX]): as Click's, only inputs 0 to MAX - 1 (default all)
 * are pulled; kept in the limit field. */
static int
rrsched_configure(struct ck_element *e)
{
	struct sched *s = CK_PRIV(e, struct sched);
	const struct ck_argdesc a[] = {
		{ "MAX", CK_A_INT, &s->limit, CK_POS, NULL },
	};

	s->limit = e->nin;
	if (ck_args_parse(e, a, 1) < 0)
		return -EINVAL;
	if (s->limit < 1 || s->limit > e->nin)
		return ck_error(e, "MAX must be between 1 and the number of inputs (%u)", e->nin);
	return 0;
}

static struct ck_pkt *
priosched_pull(struct ck_element *e, unsigned int port)
{
	(void)port;
	for (unsigned int i = 0; i < e->nin; i++) {
		struct ck_pkt *p = ck_pull_in(e, i);

		if (p)
			return p;
	}
	return NULL;
}

const struct ck_element_class ck_class_RoundRobinSched = {
	.name = "RoundRobinSched", .ports = "-/1", .processing = "l/l",
	.priv_size = sizeof(struct sched), .configure = rrsched_configure, .pull = rrsched_pull,
};

const struct ck_element_class ck_class_PrioSched = {
	.name = "PrioSched", .ports = "-/1", .processing = "l/l",
	.pull = priosched_pull,
};
