/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tee([N]) — pushes a copy of each packet to outputs 0..N-2, then the
 * packet itself to output N-1. PullTee([N]) — pull output 0 pulls from the
 * input and pushes copies to outputs 1..N-1. Copies are fresh buffers
 * (ck_pkt_clone); when none is free that copy is skipped and counted
 * (handler drops).
 */
#include "ck_elem.h"

static int
tee_configure(struct ck_element *e)
{
	int64_t n = -1;
	const struct ck_argdesc a[] = {
		{ "N", CK_A_INT, &n, CK_POS, NULL },
	};

	if (ck_args_parse(e, a, 1) < 0)
		return -EINVAL;
	if (n >= 0 && (uint64_t)n != e->nout)
		return ck_error(e, "%u outputs implies %u arms", e->nout, e->nout);
	return 0;
}

static void
tee_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	(void)port;
	if (e->nout == 0) {
		ck_pkt_kill(e, p);
		return;
	}
	for (unsigned int i = 0; i + 1 < e->nout; i++) {
		struct ck_pkt *q = ck_pkt_clone(e, p);

		if (q)
			ck_push_out(e, i, q);
	}
	ck_push_out(e, e->nout - 1, p);
}

static struct ck_pkt *
pulltee_pull(struct ck_element *e, unsigned int port)
{
	struct ck_pkt *p = ck_pull_in(e, 0);

	(void)port;
	if (!p)
		return NULL;
	for (unsigned int i = 1; i < e->nout; i++) {
		struct ck_pkt *q = ck_pkt_clone(e, p);

		if (q)
			ck_push_out(e, i, q);
	}
	return p;
}

static const struct ck_handler tee_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_drops, NULL, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Tee = {
	.name = "Tee",
	.ports = "1/1-",
	.processing = "h/h",
	.configure = tee_configure,
	.push = tee_push,
	.handlers = tee_handlers,
};

const struct ck_element_class ck_class_PullTee = {
	.name = "PullTee",
	.ports = "1/1-",
	.processing = "l/lh",
	.configure = tee_configure,
	.pull = pulltee_pull,
	.handlers = tee_handlers,
};
