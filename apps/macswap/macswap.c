/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * macswap — the bridge plus one write per packet: what comes in on port 0
 * goes out of port 1 and the other way round, with its source and
 * destination MAC addresses swapped. The benchmarks use it to compare an NF
 * that touches packet data with DPDK's "set fwd macswap".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netlib.h"

#define MACSWAP_ADDR_LEN 6

/* macswap has no options of its own: any is a mistake, not ignored. */
static int
macswap_init(struct nl_ctx *ctx, int argc, char **argv, void **state)
{
	(void)ctx;
	(void)state;
	if (argc > 1) {
		fprintf(stderr, "macswap: unknown option '%s' (macswap has none)\n", argv[1]);
		return -EINVAL;
	}
	return 0;
}

static int
macswap_pkt(struct nl_pkt *pkt, void *state)
{
	uint8_t tmp[MACSWAP_ADDR_LEN];

	(void)state;
	if (pkt->len < 2 * MACSWAP_ADDR_LEN)
		return NL_DROP;
	memcpy(tmp, pkt->data, MACSWAP_ADDR_LEN);
	memcpy(pkt->data, pkt->data + MACSWAP_ADDR_LEN, MACSWAP_ADDR_LEN);
	memcpy(pkt->data + MACSWAP_ADDR_LEN, tmp, MACSWAP_ADDR_LEN);
	return nl_out(pkt, pkt->in_port ^ 1);
}

static const struct nl_nf macswap = {
	.name = "macswap",
	.init = macswap_init,
	.pkt = macswap_pkt,
};

NL_NF_MAIN(macswap)
