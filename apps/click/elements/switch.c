/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Switch([OUTPUT]) — every packet to output OUTPUT (negative: dropped; an
 * OUTPUT past the last output is refused, as Click's); handler switch (rw: a
 * value past the last output is -1), and config reads the current output, as
 * Click's. RoundRobinSwitch — successive packets to outputs
 * 0, 1, ... in turn.
 */
#include <limits.h>

#include "ck_elem.h"

struct sw {
	int output;
	unsigned int next;
	char config[16]; /* config: the current output */
};

/* As Click's, config reads the output the switch sends to. */
static void
switch_set(struct ck_element *e, int output)
{
	struct sw *s = CK_PRIV(e, struct sw);

	s->output = output;
	snprintf(s->config, sizeof(s->config), "%d", output);
	e->config = s->config;
}

static int
switch_configure(struct ck_element *e)
{
	int64_t out = 0;
	const struct ck_argdesc a[] = {
		{ "OUTPUT", CK_A_INT, &out, CK_POS, NULL },
	};

	if (ck_args_parse(e, a, 1) < 0)
		return -EINVAL;
	if (out >= (int64_t)e->nout)
		return ck_error(e, "output must be < %u", e->nout);
	if (out < INT_MIN)
		out = -1;
	switch_set(e, (int)out);
	return 0;
}

static void
switch_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	int o = CK_PRIV(e, struct sw)->output;

	(void)port;
	if (o < 0)
		ck_pkt_kill(e, p);
	else
		ck_push_out(e, (unsigned int)o, p);
}

static void
switch_push_batch(struct ck_element *e, unsigned int port, struct ck_pkt *head)
{
	int o = CK_PRIV(e, struct sw)->output;

	(void)port;
	if (o < 0)
		ck_kill_batch(e, head);
	else
		ck_push_out_batch(e, (unsigned int)o, head);
}

static int
switch_write(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	int64_t o;

	(void)h;
	if (ck_parse_int(v, &o) < 0 || o < INT_MIN || o > INT_MAX) {
		if (errf)
			fprintf(errf, "Switch output must be integer\n");
		return -EINVAL;
	}
	switch_set(e, o >= (int64_t)e->nout ? -1 : (int)o);
	return 0;
}

static const struct ck_handler switch_handlers[] = {
	{ "switch", CK_H_READ | CK_H_WRITE, ck_h_read_int, switch_write,
	  offsetof(struct sw, output), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Switch = {
	.name = "Switch",
	.ports = "1/-",
	.processing = "h/h",
	.priv_size = sizeof(struct sw),
	.configure = switch_configure,
	.push = switch_push,
	.push_batch = switch_push_batch,
	.handlers = switch_handlers,
};

static void
rrswitch_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct sw *s = CK_PRIV(e, struct sw);
	unsigned int o = s->next;

	(void)port;
	if (e->nout == 0) {
		ck_pkt_kill(e, p);
		return;
	}
	s->next = (o + 1) % e->nout;
	ck_push_out(e, o, p);
}

const struct ck_element_class ck_class_RoundRobinSwitch = {
	.name = "RoundRobinSwitch",
	.ports = "1/1-",
	.processing = "h/h",
	.priv_size = sizeof(struct sw),
	.push = rrswitch_push,
};
