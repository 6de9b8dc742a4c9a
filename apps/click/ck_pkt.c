/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_pkt.c — packet operations shared by every platform, and the offline
 * platform (malloc'ed packets with headroom, the real clock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ck_router.h"

#define CK_OFFLINE_HEADROOM 128u
#define CK_OFFLINE_TAILROOM 64u

/* Kill @p on behalf of @e; it cannot fail. */
void
ck_pkt_kill(struct ck_element *e, struct ck_pkt *p)
{
	const struct ck_platform *pl = e->r->plat;

	e->drops++;
	pl->finish(pl->ctx, p, CK_ACT_DROP, 0);
}

/* Give @p its final action; it cannot fail. */
void
ck_pkt_finish(struct ck_element *e, struct ck_pkt *p, enum ck_action a, unsigned int arg)
{
	const struct ck_platform *pl = e->r->plat;

	pl->finish(pl->ctx, p, a, arg);
}

/* A fresh packet. Returns it or NULL (counted on @e) when no buffer is free. */
struct ck_pkt *
ck_pkt_new(struct ck_element *e, uint32_t len)
{
	const struct ck_platform *pl = e->r->plat;
	struct ck_pkt *p = pl->alloc(pl->ctx, len);

	if (!p) {
		e->drops++;
		return NULL;
	}
	memset(&p->a, 0, sizeof(p->a));
	p->next = NULL;
	return p;
}

static uint8_t *
translate(const struct ck_pkt *from, const struct ck_pkt *to, uint8_t *ptr)
{
	if (!ptr || ptr < from->head || ptr > from->end)
		return NULL;
	return to->data + (ptr - from->data);
}

/* A copy of @p in a fresh buffer. Returns it or NULL when none is free. */
struct ck_pkt *
ck_pkt_clone(struct ck_element *e, const struct ck_pkt *p)
{
	struct ck_pkt *c = ck_pkt_new(e, p->len);
	uint32_t front;

	if (!c)
		return NULL;
	/* Keep the bytes before data that a header annotation points to. */
	front = (uint32_t)(p->data - p->head);
	if (front > (uint32_t)(c->data - c->head))
		front = (uint32_t)(c->data - c->head);
	memcpy(c->data - front, p->data - front, p->len + front);
	c->a = p->a;
	c->a.mac = translate(p, c, p->a.mac);
	c->a.ip = translate(p, c, p->a.ip);
	if ((p->a.mac && !c->a.mac) || (c->a.mac && c->a.mac < c->head))
		c->a.mac = NULL;
	if (c->a.ip && c->a.ip < c->head)
		c->a.ip = NULL;
	c->in_port = p->in_port;
	return c;
}

/* Prepend @n bytes. Returns the new data pointer or NULL when there is no headroom. */
uint8_t *
ck_pkt_push(struct ck_pkt *p, uint32_t n)
{
	if ((uint32_t)(p->data - p->head) < n)
		return NULL;
	p->data -= n;
	p->len += n;
	return p->data;
}

/* Remove @n bytes from the front; it cannot fail. */
void
ck_pkt_pull(struct ck_pkt *p, uint32_t n)
{
	if (n > p->len)
		n = p->len;
	p->data += n;
	p->len -= n;
}

/* Append @n bytes. Returns a pointer to them or NULL when there is no tailroom. */
uint8_t *
ck_pkt_put(struct ck_pkt *p, uint32_t n)
{
	uint8_t *t = p->data + p->len;

	if ((uint32_t)(p->end - t) < n)
		return NULL;
	p->len += n;
	return t;
}

/* Remove @n bytes from the end; it cannot fail. */
void
ck_pkt_take(struct ck_pkt *p, uint32_t n)
{
	p->len -= n > p->len ? p->len : n;
}

/* ---- the offline platform ---- */

static struct ck_pkt *
off_alloc(void *ctx, uint32_t len)
{
	size_t size = CK_OFFLINE_HEADROOM + len + CK_OFFLINE_TAILROOM;
	struct ck_pkt *p = malloc(sizeof(*p) + size);

	(void)ctx;
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->head = (uint8_t *)(p + 1);
	p->end = p->head + size;
	p->data = p->head + CK_OFFLINE_HEADROOM;
	p->len = len;
	p->kind = CK_PK_HEAP;
	return p;
}

static void
off_finish(void *ctx, struct ck_pkt *p, enum ck_action a, unsigned int arg)
{
	(void)ctx;
	(void)a;
	(void)arg;
	free(p);
}

static uint64_t
off_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
off_port(void *ctx, const char *name)
{
	char *end;
	long v = strtol(name, &end, 10);

	(void)ctx;
	return *name && !*end && v >= 0 && v < CK_MAX_PORTS ? (int)v : -1;
}

static const struct ck_platform offline = {
	.name = "offline",
	.ctx = NULL,
	.alloc = off_alloc,
	.finish = off_finish,
	.port = off_port,
	.now = off_now,
};

/* Return the offline platform; it cannot fail. */
const struct ck_platform *
ck_offline_platform(void)
{
	return &offline;
}
