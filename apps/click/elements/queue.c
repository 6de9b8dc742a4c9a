/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue([CAPACITY]) and SimpleQueue([CAPACITY]) — FIFO (default capacity
 * 1000): push input, pull output 0; a packet arriving at a full queue goes
 * to push output 1 when connected, else it is dropped and counted; the first
 * drop (again after reset_counts) prints "NAME :: CLASS: overflow" on the
 * chatter stream, as Click's. Handlers:
 * length, highwater_length, capacity (rw), drops, reset_counts (w), reset (w:
 * every queued packet leaves by output 1, as Click's). Queue's output 0 has
 * an empty notifier: the tasks pulling from it (Unqueue, ToDevice) sleep
 * while the queue is empty; its input 0 a nonfull notifier: a source pushing
 * into it (InfiniteSource) sleeps while it is full (Click's FullNoteQueue).
 * SimpleQueue has neither, as Click's. A smaller capacity written drops
 * the newest packets beyond it (counted) and the configuration then reads
 * "CAPACITY N".
 */
#include <inttypes.h>

#include "ck_elem.h"

struct queue {
	struct ck_pkt *head, **tail;
	int64_t capacity;
	uint64_t length, highwater_length, drops;
	struct ck_notifier empty; /* nonempty while packets wait */
	struct ck_notifier nonfull; /* "nonempty" (active) while there is room */
	char config[32];          /* after a capacity write */
};

/* The nonfull signal follows the length. */
static void
room(struct queue *q)
{
	ck_notifier_set(&q->nonfull, q->length < (uint64_t)q->capacity);
}

static int
queue_configure(struct ck_element *e)
{
	struct queue *q = CK_PRIV(e, struct queue);
	const struct ck_argdesc a[] = {
		{ "CAPACITY", CK_A_INT, &q->capacity, CK_POS, NULL },
	};

	q->capacity = 1000;
	q->tail = &q->head;
	if (ck_args_parse(e, a, 1) < 0)
		return -EINVAL;
	if (q->capacity < 0)
		return ck_error(e, "CAPACITY must be >= 0");
	q->nonfull.nonempty = q->capacity > 0;
	return 0;
}

static void
queue_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct queue *q = CK_PRIV(e, struct queue);

	(void)port;
	if (q->length >= (uint64_t)q->capacity) {
		if (q->drops == 0 && q->capacity > 0) /* once, as Click's */
			fprintf(ck_chatter(e->r), "%s :: %s: overflow\n", e->name, e->cls->name);
		q->drops++;
		ck_push_out(e, 1, p);
		return;
	}
	p->next = NULL;
	*q->tail = p;
	q->tail = &p->next;
	if (++q->length > q->highwater_length)
		q->highwater_length = q->length;
	ck_notifier_set(&q->empty, true);
	if (q->length >= (uint64_t)q->capacity)
		room(q);
}

static void
queue_push_batch(struct ck_element *e, unsigned int port, struct ck_pkt *head)
{
	while (head) {
		struct ck_pkt *n = head->next;

		queue_push(e, port, head);
		head = n;
	}
}

static struct ck_pkt *
queue_pull(struct ck_element *e, unsigned int port)
{
	struct queue *q = CK_PRIV(e, struct queue);
	struct ck_pkt *p = q->head;

	(void)port;
	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = &q->head;
	p->next = NULL;
	if (--q->length == 0)
		ck_notifier_set(&q->empty, false);
	if (!q->nonfull.nonempty)
		room(q);
	return p;
}

/* Output 0's empty notifier (pullers sleep while the queue is empty). */
static struct ck_notifier *
queue_notifier(struct ck_element *e, unsigned int port)
{
	return port == 0 ? &CK_PRIV(e, struct queue)->empty : NULL;
}

/* Input 0's nonfull notifier (pushing sources sleep while it is full). */
static struct ck_notifier *
queue_full_notifier(struct ck_element *e, unsigned int port)
{
	return port == 0 ? &CK_PRIV(e, struct queue)->nonfull : NULL;
}

static int
queue_reset_counts(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct queue *q = CK_PRIV(e, struct queue);

	(void)h, (void)v, (void)errf;
	q->drops = 0;
	q->highwater_length = q->length;
	return 0;
}

/* Take every queued packet off the queue; returns them as a list. */
static struct ck_pkt *
queue_take_all(struct ck_element *e)
{
	struct queue *q = CK_PRIV(e, struct queue);
	struct ck_pkt *head = q->head;

	q->head = NULL;
	q->tail = &q->head;
	q->length = 0;
	ck_notifier_set(&q->empty, false);
	room(q);
	return head;
}

/* reset: as Click's, the queued packets leave by output 1 (killed when it is
 * not connected), in order; those taken are not counted as drops. The queue
 * is emptied first, so an output 1 that leads back into it cannot loop. */
static int
queue_reset(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct ck_pkt *p = queue_take_all(e), *n;

	(void)h, (void)v, (void)errf;
	for (; p; p = n) {
		n = p->next;
		p->next = NULL;
		ck_push_out(e, 1, p);
	}
	return 0;
}

static int
queue_write_capacity(struct ck_element *e, const struct ck_handler *h, const char *v,
		     FILE *errf)
{
	struct queue *q = CK_PRIV(e, struct queue);
	struct ck_pkt **pp = &q->head, *p;
	int64_t c;

	(void)h;
	if (ck_parse_int(v, &c) < 0 || c < 0 || c > (1ll << 40)) {
		if (errf)
			fprintf(errf, "capacity: expected a count\n");
		return -EINVAL;
	}
	q->capacity = c;
	if (q->length > (uint64_t)c) {
		/* the newest packets beyond the new capacity go, counted */
		for (int64_t i = 0; i < c; i++)
			pp = &(*pp)->next;
		while ((p = *pp) != NULL) {
			*pp = p->next;
			q->length--;
			q->drops++;
			ck_pkt_kill(e, p);
		}
		q->tail = pp;
		if (q->length == 0)
			ck_notifier_set(&q->empty, false);
	}
	room(q);
	snprintf(q->config, sizeof(q->config), "CAPACITY %" PRId64, c);
	e->config = q->config;
	return 0;
}

static void
queue_cleanup(struct ck_element *e)
{
	struct queue *q = CK_PRIV(e, struct queue);
	struct ck_pkt *p, *n;

	if (!q->tail)
		return;
	for (p = q->head; p; p = n) {
		n = p->next;
		ck_pkt_kill(e, p);
	}
	q->head = NULL;
	q->tail = &q->head;
	q->length = 0;
}

static const struct ck_handler queue_handlers[] = {
	{ "length", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct queue, length), NULL },
	{ "highwater_length", CK_H_READ, ck_h_read_u64, NULL,
	  offsetof(struct queue, highwater_length), NULL },
	{ "capacity", CK_H_READ | CK_H_WRITE, ck_h_read_u64, queue_write_capacity,
	  offsetof(struct queue, capacity), NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct queue, drops), NULL },
	{ "reset_counts", CK_H_WRITE, NULL, queue_reset_counts, 0, NULL },
	{ "reset", CK_H_WRITE, NULL, queue_reset, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Queue = {
	.name = "Queue", .ports = "1/1-2", .processing = "h/lh",
	.priv_size = sizeof(struct queue), .configure = queue_configure,
	.push = queue_push, .push_batch = queue_push_batch, .pull = queue_pull,
	.notifier = queue_notifier, .full_notifier = queue_full_notifier,
	.handlers = queue_handlers, .cleanup = queue_cleanup,
};

/* As Click's, SimpleQueue is Queue without the notifiers: its pullers poll,
 * and a source pushing into it full keeps running (the packets dropped). */
const struct ck_element_class ck_class_SimpleQueue = {
	.name = "SimpleQueue", .ports = "1/1-2", .processing = "h/lh",
	.priv_size = sizeof(struct queue), .configure = queue_configure,
	.push = queue_push, .push_batch = queue_push_batch, .pull = queue_pull,
	.handlers = queue_handlers, .cleanup = queue_cleanup,
};
