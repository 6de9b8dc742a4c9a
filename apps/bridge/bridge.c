/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bridge — the simplest NF, the one to read first: what comes in on port 0
 * goes out of port 1 and the other way round. With --next it passes every
 * packet to the next role of its service chain instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlib.h"

struct bridge {
	int next; /* return NEXT instead of sending out */
};

static int
bridge_init(struct nl_ctx *ctx, int argc, char **argv, void **state)
{
	struct bridge *b = calloc(1, sizeof(*b));
	int i;

	(void)ctx;
	if (b == NULL)
		return -ENOMEM;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--next") == 0) {
			b->next = 1;
		} else {
			fprintf(stderr, "bridge: unknown option '%s'\n", argv[i]);
			free(b);
			return -EINVAL;
		}
	}
	*state = b;
	return 0;
}

static int
bridge_pkt(struct nl_pkt *pkt, void *state)
{
	const struct bridge *b = state;

	if (b->next)
		return NL_NEXT;
	return nl_out(pkt, pkt->in_port ^ 1);
}

static const struct nl_nf bridge = {
	.name = "bridge",
	.usage = "  --next   pass packets to the next role of the chain\n",
	.init = bridge_init,
	.pkt = bridge_pkt,
	.fini = free,
};

NL_NF_MAIN(bridge)
