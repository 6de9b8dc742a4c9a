/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter — passes packets on, counting packets and bytes. Handlers: count,
 * byte_count, rate (packets/s over the time since the first packet), reset
 * and reset_counts (w).
 */
#include "ck_elem.h"

struct counter {
	uint64_t count, byte_count;
	uint64_t first_ns, last_ns;
};

static struct ck_pkt *
counter_action(struct ck_element *e, struct ck_pkt *p)
{
	struct counter *c = CK_PRIV(e, struct counter);

	if (c->count == 0)
		c->first_ns = ck_now(e->r);
	c->count++;
	c->byte_count += p->len;
	return p;
}

static int
counter_configure(struct ck_element *e)
{
	struct ck_bytes cc = { 0 }, bc = { 0 };
	const struct ck_argdesc a[] = {
		{ "COUNT_CALL", CK_A_WORD, &cc, 0, NULL },
		{ "BYTE_COUNT_CALL", CK_A_WORD, &bc, 0, NULL },
	};
	int rc = ck_args_parse(e, a, 2);

	if (rc == 0 && (cc.p || bc.p))
		rc = ck_error(e, "COUNT_CALL and BYTE_COUNT_CALL are not supported");
	free(cc.p);
	free(bc.p);
	return rc;
}

static int
counter_rate(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct counter *c = CK_PRIV(e, struct counter);
	uint64_t now = ck_now(e->r);
	double dt = c->count ? (double)(now - c->first_ns) / 1e9 : 0;

	(void)h;
	fprintf(f, "%.6g\n", dt > 0 ? (double)c->count / dt : 0.0);
	return 0;
}

static int
counter_reset(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	(void)h, (void)v, (void)errf;
	memset(e->priv, 0, sizeof(struct counter));
	return 0;
}

static const struct ck_handler counter_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct counter, count) },
	{ "byte_count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct counter, byte_count) },
	{ "rate", CK_H_READ, counter_rate, NULL, 0 },
	{ "reset", CK_H_WRITE, NULL, counter_reset, 0 },
	{ "reset_counts", CK_H_WRITE, NULL, counter_reset, 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct ck_element_class ck_class_Counter = {
	.name = "Counter",
	.ports = "1/1",
	.processing = "a/a",
	.priv_size = sizeof(struct counter),
	.configure = counter_configure,
	.action = counter_action,
	.handlers = counter_handlers,
};
