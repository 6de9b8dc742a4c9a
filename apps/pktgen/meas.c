/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RX side: count frames, check the stamp the TX side put in, keep a
 * latency histogram; and the JSON result line.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>

#include "pktgen.h"

static unsigned int
hist_bin(uint64_t ns)
{
	if (ns < ((uint64_t)PG_HIST_FINE << PG_HIST_FINE_SHIFT))
		return (unsigned int)(ns >> PG_HIST_FINE_SHIFT);
	ns >>= PG_HIST_COARSE_SHIFT;
	return ns < PG_HIST_FINE ? PG_HIST_FINE + (unsigned int)ns : PG_HIST_BINS - 1;
}

/* Lower edge and width of a histogram bin, in ns. */
static void
bin_range(unsigned int b, double *lo, double *width)
{
	if (b < PG_HIST_FINE) {
		*width = 1 << PG_HIST_FINE_SHIFT;
		*lo = (double)b * *width;
	} else {
		*width = 1 << PG_HIST_COARSE_SHIFT;
		*lo = (double)(b - PG_HIST_FINE) * *width;
	}
}

/* The stamp of a frame we sent, or false if it does not carry one. */
static bool
read_stamp(const struct rte_mbuf *m, uint64_t *seq, uint64_t *tsc)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const uint8_t *p;
	unsigned int off;
	uint16_t mark;

	if (m->data_len < PG_TPL_LEN || eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->next_proto_id != IPPROTO_UDP)
		return false;
	off = sizeof(*eth) + rte_ipv4_hdr_len(ip) + sizeof(struct rte_udp_hdr);
	if (m->data_len < off + PG_STAMP_LEN)
		return false;
	p = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	memcpy(&mark, p, sizeof(mark));
	if (mark != rte_cpu_to_be_16(PG_MARK))
		return false;
	memcpy(seq, p + 2, sizeof(*seq));
	memcpy(tsc, p + 10, sizeof(*tsc));
	return true;
}

/* Receive one burst and account for it; returns the number of frames
 * received (0 when the port had none). */
unsigned int
pg_rx_step(struct pg_ctx *ctx)
{
	struct pg_rx_state *rx = &ctx->rx;
	struct rte_mbuf *pkts[PG_BURST];
	uint64_t now, seq, tsc, lat, seq_end;
	unsigned int n, i;

	n = rte_eth_rx_burst(ctx->conf.rx_port, 0, pkts, PG_BURST);
	if (n == 0)
		return 0;
	now = rte_rdtsc();
	/* Stamps this run can have sent: below the sequence numbers taken so far
	 * plus the burst being sent (the TX lcore counts it after the send). */
	seq_end = __atomic_load_n(&ctx->tx.seq, __ATOMIC_RELAXED) + PG_BURST;
	for (i = 0; i < n; i++) {
		rx->pkts++;
		rx->bytes += pg_wire_size(pkts[i]->pkt_len);
		/* A replayed capture is unstamped, whatever its frames carry; a
		 * stamp beyond what this run sent, or with a TSC from before its
		 * TX or from the future (1 ms of slack for the TSCs of two
		 * lcores), is not ours (an earlier run's frame, a stray one):
		 * counted in rx only. */
		if (ctx->conf.pcap != NULL || !read_stamp(pkts[i], &seq, &tsc) ||
		    seq >= seq_end || tsc < ctx->tx.start_tsc || tsc > now + ctx->hz / 1000)
			continue;
		rx->marked++;
		if (seq + 1 > rx->max_seq)
			rx->max_seq = seq + 1;
		else
			rx->ooo++;
		lat = now > tsc ? now - tsc : 0;
		if (lat < rx->lat_min || rx->marked == 1)
			rx->lat_min = lat;
		if (lat > rx->lat_max)
			rx->lat_max = lat;
		rx->lat_sum += lat;
		rx->hist[hist_bin(lat * rx->ns_mult >> 20)]++;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

/* The latency (ns) below which a share @q of the samples fall. */
static double
percentile(const struct pg_rx_state *rx, double q)
{
	uint64_t want = (uint64_t)(q * (double)rx->marked + 0.999999), cum = 0;
	double lo, width;
	unsigned int b;

	if (rx->marked == 0)
		return 0;
	if (want == 0)
		want = 1;
	for (b = 0; b < PG_HIST_BINS; b++) {
		cum += rx->hist[b];
		if (cum >= want)
			break;
	}
	if (b == PG_HIST_BINS - 1)
		return (double)(rx->lat_max * rx->ns_mult >> 20);
	bin_range(b, &lo, &width);
	return lo + width / 2;
}

/* Write the results as one JSON object on one line to @f; never fails. */
void
pg_meas_print(const struct pg_ctx *ctx, FILE *f)
{
	const struct pg_tx_state *tx = &ctx->tx;
	const struct pg_rx_state *rx = &ctx->rx;
	const struct pg_conf *c = &ctx->conf;
	double secs = (double)(tx->end_tsc - tx->start_tsc) / (double)ctx->hz;
	double ns_per_cycle = 1e9 / (double)ctx->hz;
	uint64_t gaps = rx->max_seq > rx->marked ? rx->max_seq - rx->marked : 0;
	char size[16];

	if (secs <= 0)
		secs = 1e-9;
	if (c->pcap != NULL)
		snprintf(size, sizeof(size), "\"pcap\"");
	else if (c->size == 0)
		snprintf(size, sizeof(size), "\"imix\"");
	else
		snprintf(size, sizeof(size), "%u", c->size);
	fprintf(f, "{\"tool\": \"netvm-pktgen\", \"tx_port\": %u, \"rx_port\": %u, "
		"\"size\": %s, \"avg_size\": %.1f, \"flows\": %u, \"seconds\": %.6f, "
		"\"tsc_hz\": %" PRIu64 ", \"target_pps\": %.0f, ",
		c->tx_port, c->rx_port, size, pg_gen_avg_size(ctx),
		c->pcap != NULL ? ctx->tx.nb_frames : c->flows, secs, ctx->hz, c->rate_pps);
	fprintf(f, "\"offered\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"refused\": %" PRIu64
		", \"nomem\": %" PRIu64 ", \"offered_pps\": %.0f, \"tx_pps\": %.0f, "
		"\"tx_gbps\": %.4f, ",
		tx->offered, tx->sent, tx->refused, tx->nomem, (double)tx->offered / secs,
		(double)tx->sent / secs, (double)tx->bytes * 8 / secs / 1e9);
	fprintf(f, "\"rx\": %" PRIu64 ", \"rx_pps\": %.0f, \"rx_gbps\": %.4f, "
		"\"marked\": %" PRIu64 ", \"lost\": %" PRId64 ", \"loss_ratio\": %.6f, "
		"\"seq_gaps\": %" PRIu64 ", \"out_of_order\": %" PRIu64 ", ",
		rx->pkts, (double)rx->pkts / secs, (double)rx->bytes * 8 / secs / 1e9,
		rx->marked, (int64_t)(tx->offered - rx->pkts),
		tx->offered ? (double)(int64_t)(tx->offered - rx->pkts) / (double)tx->offered : 0.0,
		gaps, rx->ooo);
	fprintf(f, "\"latency_ns\": {\"samples\": %" PRIu64 ", \"min\": %.0f, \"mean\": %.0f, "
		"\"p50\": %.0f, \"p99\": %.0f, \"p999\": %.0f, \"max\": %.0f}}\n",
		rx->marked, (double)rx->lat_min * ns_per_cycle,
		rx->marked ? (double)rx->lat_sum / (double)rx->marked * ns_per_cycle : 0.0,
		percentile(rx, 0.50), percentile(rx, 0.99), percentile(rx, 0.999),
		(double)rx->lat_max * ns_per_cycle);
	fflush(f);
}
