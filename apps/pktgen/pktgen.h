/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvm-pktgen: a small DPDK traffic generator for the benchmarks.
 *
 * TX on one port at a paced rate (TSC), RX on the same or another port.
 * Every generated frame is Ethernet/IPv4/UDP and carries, right after the
 * UDP header, a 2-byte marker, a 64-bit sequence number and the 64-bit TSC
 * of its transmission (18 bytes: a 64-byte frame has exactly that room).
 * RX counts frames, sequence gaps, reordering, and a latency histogram.
 *
 * Files: main.c (arguments, EAL, ports, lcores, run), gen.c (frame
 * templates, IMIX, pcap replay, TX step), meas.c (RX step, histogram,
 * JSON result).
 */
#ifndef PKTGEN_H
#define PKTGEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#define PG_BURST 32
#define PG_MARK 0x4e56			/* "NV", network order in the frame */
#define PG_HDR_LEN 42			/* Ethernet 14 + IPv4 20 + UDP 8 */
#define PG_STAMP_LEN 18			/* marker 2 + sequence 8 + TSC 8 */
#define PG_TPL_LEN (PG_HDR_LEN + PG_STAMP_LEN)
#define PG_FCS 4			/* sizes are frame sizes, FCS included */
#define PG_MIN_SIZE 64			/* the least a wire carries: shorter frames are padded */
#define PG_MAX_SIZE 9000		/* jumbo frames: the core's buffer_size = 16384 holds them */
#define PG_WIRE_EXTRA 20		/* preamble 8 + inter-frame gap 12 */
#define PG_MAX_FLOWS 1048576	/* 2^20: the scale suite goes up to 1 000 000 */
#define PG_IMIX_LEN 12
/* Latency histogram: 16 ns bins below 65.5 us, 4.096 us bins above. */
#define PG_HIST_FINE_SHIFT 4
#define PG_HIST_FINE 4096
#define PG_HIST_COARSE_SHIFT 12
#define PG_HIST_BINS (2 * PG_HIST_FINE + 1)

/* The size on the wire (FCS included) of a frame of @len bytes in an mbuf. */
static inline unsigned int
pg_wire_size(uint32_t len)
{
	return len + PG_FCS < PG_MIN_SIZE ? PG_MIN_SIZE : len + PG_FCS;
}

/* What to send and how fast: filled by main.c from the arguments. */
struct pg_conf {
	uint16_t tx_port;
	uint16_t rx_port;
	unsigned int size;		/* frame size, 0 for IMIX */
	unsigned int flows;		/* flows: source address and port vary */
	uint32_t src_ip, dst_ip;	/* host order */
	uint16_t sport, dport;
	uint8_t dst_mac[6];
	double rate_pps;		/* 0: as fast as the port takes them */
	double seconds;			/* TX time */
	double drain_ms;		/* RX time after TX stops */
	const char *pcap;		/* replay this file instead of templates */
	bool retry;			/* keep refused frames for the next burst */
	bool yield;			/* sched_yield() when idle: the CPU is shared */
};

/* One frame to send: a template (generated) or a pcap record. */
struct pg_frame {
	uint8_t *data;
	uint16_t len;			/* bytes in the mbuf (frame size - FCS) */
	bool stamped;			/* has room for the stamp (templates) */
};

struct pg_tx_state {
	struct pg_frame *frames;
	unsigned int nb_frames;
	unsigned int next_frame;
	unsigned int imix_pos;		/* rounds over the flows, modulo the IMIX pattern */
	struct rte_mbuf *pending[PG_BURST]; /* refused by the port, resent first */
	unsigned int nb_pending;
	uint64_t start_tsc;
	uint64_t stop_tsc;		/* end of TX: the pacer's clock stops there */
	uint64_t seq;			/* next sequence number */
	uint64_t offered;		/* frames the pacer asked for */
	uint64_t sent;			/* frames the port took */
	uint64_t refused;		/* frames the port refused (port full) */
	uint64_t bytes;			/* frame bytes sent, FCS included */
	uint64_t nomem;			/* bursts cut short: mbuf pool empty */
	uint64_t end_tsc;
};

struct pg_rx_state {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t marked;		/* frames carrying our stamp */
	uint64_t max_seq;		/* highest sequence seen + 1 */
	uint64_t ooo;			/* marked frames with a lower sequence than one seen */
	uint64_t lat_min, lat_max, lat_sum; /* cycles */
	uint64_t hist[PG_HIST_BINS];	/* latency in ns, see pg_hist_bin */
	uint64_t ns_mult;		/* ns = cycles * ns_mult >> 20 */
};

struct pg_ctx {
	struct pg_conf conf;
	struct rte_mempool *mp;
	uint64_t hz;
	volatile bool quit;		/* signal: stop now */
	volatile bool tx_done;		/* TX finished: RX drains, then stops */
	struct pg_tx_state tx;
	struct pg_rx_state rx;
};

/* Build the frames to send (templates or the pcap records, up to PG_MAX_SIZE
 * with FCS), before the mbuf pool exists; returns 0, or a negative errno with
 * a message on stderr. */
int pg_gen_init(struct pg_ctx *ctx);

/* Bytes of the longest frame to send (FCS excluded): what an mbuf must hold. */
unsigned int pg_gen_max_len(const struct pg_ctx *ctx);

/* Free what pg_gen_init allocated and the frames still pending; never fails. */
void pg_gen_free(struct pg_ctx *ctx);

/* Send what the pacer allows at TSC @now (frames due by stop_tsc at most);
 * returns the number of frames the port took (0 when nothing was due or the
 * port refused everything). */
unsigned int pg_tx_step(struct pg_ctx *ctx, uint64_t now);

/* Receive one burst and account for it; returns the number of frames
 * received (0 when the port had none). */
unsigned int pg_rx_step(struct pg_ctx *ctx);

/* Average frame size of the traffic on the wire (FCS included, at least
 * PG_MIN_SIZE); never fails. */
double pg_gen_avg_size(const struct pg_ctx *ctx);

/* Write the results as one JSON object on one line to @f; never fails. */
void pg_meas_print(const struct pg_ctx *ctx, FILE *f);

#endif /* PKTGEN_H */
