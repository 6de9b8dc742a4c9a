/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter([COUNT_CALL N HANDLER [VALUE]], [BYTE_COUNT_CALL N HANDLER [VALUE]])
 * — passes packets on, counting packets and bytes. COUNT_CALL writes VALUE
 * to write handler HANDLER when the count reaches N (BYTE_COUNT_CALL: when
 * the byte count does), once until a reset, before the packet goes on, as
 * Click's. Handlers: count, byte_count, rate, byte_rate and bit_rate (per
 * second over the time since the first packet), reset and reset_counts (w),
 * count_call (rw: N, or nothing without a call) and byte_count_call (w)
 * taking "N HANDLER [VALUE]"
 * and arming the call again.
 */
#include "ck_elem.h"

/* A COUNT_CALL or BYTE_COUNT_CALL. */
struct counter_call {
	int64_t at;           /* -1: none */
	struct ck_call call;
	bool done;
};

struct counter {
	uint64_t count, byte_count;
	uint64_t first_ns, last_ns;
	struct counter_call call[2]; /* COUNT_CALL, BYTE_COUNT_CALL */
};

/* As Click's: the packet count must equal N, the byte count reach it (a
 * count_call written past N waits for a reset). */
static void
call_check(struct ck_element *e, struct counter_call *k, uint64_t v, bool exact)
{
	if (k->at < 0 || k->done || v < (uint64_t)k->at || (exact && v != (uint64_t)k->at))
		return;
	k->done = true;
	ck_call_write(e, &k->call);
}

static struct ck_pkt *
counter_action(struct ck_element *e, struct ck_pkt *p)
{
	struct counter *c = CK_PRIV(e, struct counter);

	if (c->count == 0)
		c->first_ns = ck_now(e->r);
	c->count++;
	c->byte_count += p->len;
	call_check(e, &c->call[0], c->count, true);
	call_check(e, &c->call[1], c->byte_count, false);
	return p;
}

/* "N HANDLER [VALUE]" of keyword @kw into @k. Returns 0 or -EINVAL. */
static int
call_parse(struct ck_element *e, const char *kw, const char *text, struct counter_call *k)
{
	char *end;

	while (*text == ' ' || *text == '\t')
		text++;
	k->at = strtoll(text, &end, 10);
	if (end == text || (*end != ' ' && *end != '\t') || k->at < 0) {
		k->at = -1;
		return ck_error(e, "%s: expected 'N HANDLER [VALUE]'", kw);
	}
	return ck_call_parse(e, kw, end, &k->call);
}

static int
counter_configure(struct ck_element *e)
{
	struct counter *c = CK_PRIV(e, struct counter);
	struct ck_bytes cc = { 0 }, bc = { 0 };
	const struct ck_argdesc a[] = {
		{ "COUNT_CALL", CK_A_WORD, &cc, 0, NULL },
		{ "BYTE_COUNT_CALL", CK_A_WORD, &bc, 0, NULL },
	};
	int rc = ck_args_parse(e, a, 2);

	c->call[0].at = c->call[1].at = -1;
	if (rc == 0 && cc.p)
		rc = call_parse(e, "COUNT_CALL", cc.p, &c->call[0]);
	if (rc == 0 && bc.p)
		rc = call_parse(e, "BYTE_COUNT_CALL", bc.p, &c->call[1]);
	free(cc.p);
	free(bc.p);
	return rc;
}

/* The handlers COUNT_CALL and BYTE_COUNT_CALL name must exist. */
static int
counter_initialize(struct ck_element *e)
{
	struct counter *c = CK_PRIV(e, struct counter);

	if (ck_call_check(e, "COUNT_CALL", &c->call[0].call) < 0)
		return -EINVAL;
	return ck_call_check(e, "BYTE_COUNT_CALL", &c->call[1].call);
}

static void
counter_cleanup(struct ck_element *e)
{
	struct counter *c = CK_PRIV(e, struct counter);

	ck_call_free(&c->call[0].call);
	ck_call_free(&c->call[1].call);
}

static int
counter_rate(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct counter *c = CK_PRIV(e, struct counter);
	uint64_t now = ck_now(e->r);
	double dt = c->count ? (double)(now - c->first_ns) / 1e9 : 0;

	double n = h->arg == 0 ? (double)c->count : (double)c->byte_count * (h->arg == 2 ? 8 : 1);

	fprintf(f, "%.6g\n", dt > 0 ? n / dt : 0.0);
	return 0;
}

static int
counter_reset(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct counter *c = CK_PRIV(e, struct counter);

	(void)h, (void)v, (void)errf;
	c->count = c->byte_count = c->first_ns = c->last_ns = 0;
	c->call[0].done = c->call[1].done = false; /* the calls are armed again */
	return 0;
}

/* count_call / byte_count_call: "N HANDLER [VALUE]" replaces the call (the
 * handler must be writable) and arms it again. */
static int
counter_write_call(struct ck_element *e, const struct ck_handler *h, const char *v,
		   FILE *errf)
{
	struct counter_call *k = &CK_PRIV(e, struct counter)->call[h->arg];
	struct ck_call call = { 0 };
	char *end;
	long long at;
	size_t l;

	while (*v == ' ' || *v == '\t' || *v == '\n')
		v++;
	at = strtoll(v, &end, 10);
	if (end == v || at < 0 || (*end && *end != ' ' && *end != '\t' && *end != '\n')) {
		if (errf)
			fprintf(errf, "'%s' first word should be unsigned (count)\n", h->name);
		return -EINVAL;
	}
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	l = strcspn(end, " \t\n");
	if (l == 0) {
		if (errf)
			fprintf(errf, "%s: expected 'N HANDLER [VALUE]'\n", h->name);
		return -EINVAL;
	}
	call.handler = strndup(end, l);
	end += l;
	while (*end == ' ' || *end == '\t')
		end++;
	call.value = strdup(end);
	if (!call.handler || !call.value) {
		ck_call_free(&call);
		return -ENOMEM;
	}
	l = strlen(call.value);
	while (l && (call.value[l - 1] == '\n' || call.value[l - 1] == ' '))
		call.value[--l] = '\0';
	if (ck_handler_writable(e->r, call.handler, errf) < 0) {
		ck_call_free(&call);
		return -EINVAL;
	}
	ck_call_free(&k->call);
	k->call = call;
	k->at = at;
	k->done = false;
	return 0;
}

static int
counter_read_call(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	const struct counter_call *k = &CK_PRIV(e, struct counter)->call[h->arg];

	if (k->at >= 0)
		fprintf(f, "%lld\n", (long long)k->at);
	return 0;
}

static const struct ck_handler counter_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct counter, count), NULL },
	{ "byte_count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct counter, byte_count),
	  NULL },
	{ "rate", CK_H_READ, counter_rate, NULL, 0, NULL },
	{ "byte_rate", CK_H_READ, counter_rate, NULL, 1, NULL },
	{ "bit_rate", CK_H_READ, counter_rate, NULL, 2, NULL },
	{ "reset", CK_H_WRITE, NULL, counter_reset, 0, NULL },
	{ "reset_counts", CK_H_WRITE, NULL, counter_reset, 0, NULL },
	{ "count_call", CK_H_READ | CK_H_WRITE, counter_read_call, counter_write_call, 0, NULL },
	{ "byte_count_call", CK_H_WRITE, NULL, counter_write_call, 1, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Counter = {
	.name = "Counter",
	.ports = "1/1",
	.processing = "a/a",
	.priv_size = sizeof(struct counter),
	.configure = counter_configure,
	.initialize = counter_initialize,
	.action = counter_action,
	.handlers = counter_handlers,
	.cleanup = counter_cleanup,
};
