/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Discard([ACTIVE, BURST]) — drops every packet. Pushed to, it kills at
 * once (ACTIVE false refused there, as Click's); with a pull input its task
 * pulls up to BURST (default 8, Click's 1; 0: until a pull gives nothing, as
 * Click's) packets per run and kills them, and sleeps while the Queue
 * upstream says it is empty (its notifier).
 * Handlers: count, reset_counts (w), and with a pull input active (rw).
 */
#include "ck_elem.h"

struct discard {
	uint64_t count;
	int64_t burst;
	bool active;
	struct ck_notifier *upstream; /* pull input: wakes the task when not empty */
};

static int
discard_configure(struct ck_element *e)
{
	struct discard *d = CK_PRIV(e, struct discard);
	const struct ck_argdesc a[] = {
		{ "ACTIVE", CK_A_BOOL, &d->active, 0, NULL },
		{ "BURST", CK_A_INT, &d->burst, 0, NULL },
	};

	d->active = true;
	d->burst = 8; /* Click's is 1: fewer task runs behind a busy Queue */
	if (ck_args_parse(e, a, 2) < 0)
		return -EINVAL;
	if (!d->active && e->in_kind[0] != CK_PULL)
		return ck_error(e, "ACTIVE is meaningless in push context");
	if (d->burst < 0 || d->burst > UINT32_MAX)
		return ck_error(e, "BURST must be 0..4294967295");
	if (d->burst == 0)
		d->burst = UINT32_MAX; /* as Click's: pull until nothing comes back */
	return 0;
}

static int
discard_initialize(struct ck_element *e)
{
	struct discard *d = CK_PRIV(e, struct discard);

	if (e->in_kind[0] != CK_PULL) {
		ck_task_unschedule(e);
		return 0;
	}
	d->upstream = ck_pull_listen(e, 0);
	if (!d->active)
		ck_task_unschedule(e);
	return 0;
}

static void
discard_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	(void)port;
	CK_PRIV(e, struct discard)->count++;
	ck_pkt_kill(e, p);
}

static void
discard_push_batch(struct ck_element *e, unsigned int port, struct ck_pkt *head)
{
	(void)port;
	for (struct ck_pkt *p = head; p; p = p->next)
		CK_PRIV(e, struct discard)->count++;
	ck_kill_batch(e, head);
}

static bool
discard_run(struct ck_element *e)
{
	struct discard *d = CK_PRIV(e, struct discard);
	bool worked = false;

	if (!d->active) { /* woken by the notifier while switched off */
		ck_task_unschedule(e);
		return false;
	}
	for (int64_t i = 0; i < d->burst; i++) {
		struct ck_pkt *p = ck_pull_in(e, 0);

		if (!p)
			break;
		d->count++;
		ck_pkt_kill(e, p);
		worked = true;
	}
	if (d->upstream && !d->upstream->nonempty)
		ck_task_unschedule(e); /* until the queue has packets again */
	return worked;
}

static int
discard_reset(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	(void)h, (void)v, (void)errf;
	CK_PRIV(e, struct discard)->count = 0;
	return 0;
}

static int
discard_read_active(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%s\n", CK_PRIV(e, struct discard)->active ? "true" : "false");
	return 0;
}

static int
discard_write_active(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct discard *d = CK_PRIV(e, struct discard);

	(void)h;
	if (ck_parse_bool(v, &d->active) < 0) {
		if (errf)
			fprintf(errf, "active: expected boolean\n");
		return -EINVAL;
	}
	if (d->active && e->in_kind[0] == CK_PULL)
		ck_task_reschedule(e);
	else
		ck_task_unschedule(e);
	return 0;
}

static const struct ck_handler discard_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct discard, count), NULL },
	{ "reset_counts", CK_H_WRITE, NULL, discard_reset, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler discard_active = {
	"active", CK_H_READ | CK_H_WRITE, discard_read_active, discard_write_active, 0, NULL
};

/* As Click's, only a pull Discard has an active handler. */
static const struct ck_handler *
discard_lookup(struct ck_element *e, const char *name)
{
	return e->in_kind[0] == CK_PULL && strcmp(name, "active") == 0 ? &discard_active : NULL;
}

static void
discard_list(struct ck_element *e, FILE *f)
{
	if (e->in_kind[0] == CK_PULL)
		fprintf(f, "active\trw\n");
}

const struct ck_element_class ck_class_Discard = {
	.name = "Discard",
	.ports = "1/0",
	.processing = "a/a",
	.priv_size = sizeof(struct discard),
	.configure = discard_configure,
	.initialize = discard_initialize,
	.push = discard_push,
	.push_batch = discard_push_batch,
	.run_task = discard_run,
	.handlers = discard_handlers,
	.lookup_handler = discard_lookup,
	.list_handlers = discard_list,
};
