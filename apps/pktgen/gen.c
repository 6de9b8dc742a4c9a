/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames to send and the paced TX step. Generated frames are prebuilt
 * headers (one per flow and size, IPv4 checksum included); a TX burst copies
 * one into each mbuf, zeroes the payload after it, then stamps sequence and
 * TSC. A pcap is loaded whole into memory and replayed in a loop, unstamped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_memcpy.h>
#include <rte_udp.h>

#include "pktgen.h"

/* Simple IMIX: 7 x 64 B, 4 x 570 B, 1 x 1518 B, interleaved. */
static const uint16_t imix_sizes[3] = { 64, 570, 1518 };
static const uint8_t imix_pattern[PG_IMIX_LEN] = { 0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 1, 0 };

static void
build_template(const struct pg_ctx *ctx, uint8_t *t, unsigned int flow, unsigned int size)
{
	const struct pg_conf *c = &ctx->conf;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t mark = rte_cpu_to_be_16(PG_MARK);
	unsigned int l3len = size - PG_FCS - sizeof(*eth);

	memset(t, 0, PG_TPL_LEN);
	memcpy(eth->dst_addr.addr_bytes, c->dst_mac, 6);
	rte_eth_macaddr_get(c->tx_port, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(l3len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(c->src_ip + flow);
	ip->dst_addr = rte_cpu_to_be_32(c->dst_ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(c->sport + flow));
	udp->dst_port = rte_cpu_to_be_16(c->dport);
	udp->dgram_len = rte_cpu_to_be_16(l3len - sizeof(*ip));
	memcpy(t + PG_HDR_LEN, &mark, sizeof(mark));
}

static int
load_pcap(struct pg_ctx *ctx, unsigned int room)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int cap = 0, skipped = 0, cut = 0;
	const char *name;
	pcap_t *p;
	int r, link, snap;

	p = pcap_open_offline(ctx->conf.pcap, err);
	if (p == NULL) {
		fprintf(stderr, "pktgen: %s: %s\n", ctx->conf.pcap, err);
		return -EINVAL;
	}
	link = pcap_datalink(p);
	if (link != DLT_EN10MB) { /* the records are sent as Ethernet frames */
		name = pcap_datalink_val_to_name(link);
		fprintf(stderr, "pktgen: %s: link type %s (%d), not Ethernet\n", ctx->conf.pcap,
			name != NULL ? name : "unknown", link);
		pcap_close(p);
		return -EINVAL;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		struct pg_frame *f;

		if (h->caplen < RTE_ETHER_HDR_LEN || h->caplen > room) {
			skipped++;
			continue;
		}
		if (ctx->tx.nb_frames == cap) {
			cap = cap ? 2 * cap : 256;
			f = realloc(ctx->tx.frames, cap * sizeof(*f));
			if (f == NULL)
				break;
			ctx->tx.frames = f;
		}
		f = &ctx->tx.frames[ctx->tx.nb_frames];
		f->data = malloc(h->caplen);
		if (f->data == NULL)
			break;
		memcpy(f->data, data, h->caplen);
		f->len = (uint16_t)h->caplen;
		f->stamped = false;
		ctx->tx.nb_frames++;
		cut += h->caplen < h->len;
	}
	snap = pcap_snapshot(p);
	pcap_close(p);
	if (cut > 0) /* the headers still say the whole length: a receiver may drop them */
		fprintf(stderr, "pktgen: %s: %u record(s) cut short by the capture's snap length "
			"(%d): sent as captured, shorter than the frames were\n", ctx->conf.pcap,
			cut, snap);
	if (skipped > 0)
		fprintf(stderr, "pktgen: %s: %u record(s) skipped: shorter than %u bytes or "
			"longer than %u (%u B frames with FCS)\n", ctx->conf.pcap, skipped,
			RTE_ETHER_HDR_LEN, room, PG_MAX_SIZE);
	if (r != -2 || ctx->tx.nb_frames == 0) {
		fprintf(stderr, "pktgen: %s: %s\n", ctx->conf.pcap,
			r != -2 ? "read error or out of memory" :
			"no frame that fits an mbuf");
		return -EINVAL;
	}
	return 0;
}

/* Build the frames to send (templates or the pcap records); returns 0, or a
 * negative errno with a message on stderr. */
int
pg_gen_init(struct pg_ctx *ctx)
{
	const struct pg_conf *c = &ctx->conf;
	unsigned int nsizes = c->size ? 1 : 3, flow, s;
	uint8_t *blob;

	if (c->pcap != NULL)
		return load_pcap(ctx, PG_MAX_SIZE - PG_FCS);
	ctx->tx.nb_frames = c->flows * nsizes;
	ctx->tx.frames = calloc(ctx->tx.nb_frames, sizeof(*ctx->tx.frames));
	blob = calloc(ctx->tx.nb_frames, PG_TPL_LEN);
	if (ctx->tx.frames == NULL || blob == NULL) {
		free(blob);
		fprintf(stderr, "pktgen: out of memory for %u flows\n", c->flows);
		return -ENOMEM;
	}
	for (flow = 0; flow < c->flows; flow++) {
		for (s = 0; s < nsizes; s++) {
			struct pg_frame *f = &ctx->tx.frames[flow * nsizes + s];
			unsigned int size = c->size ? c->size : imix_sizes[s];

			f->data = blob + (flow * nsizes + s) * PG_TPL_LEN;
			f->len = (uint16_t)(size - PG_FCS);
			f->stamped = true;
			build_template(ctx, f->data, flow, size);
		}
	}
	return 0;
}

/* Free what pg_gen_init allocated and the frames still pending; never fails. */
void
pg_gen_free(struct pg_ctx *ctx)
{
	unsigned int i;

	rte_pktmbuf_free_bulk(ctx->tx.pending, ctx->tx.nb_pending);
	ctx->tx.nb_pending = 0;
	if (ctx->tx.frames == NULL)
		return;
	if (ctx->conf.pcap != NULL) {
		for (i = 0; i < ctx->tx.nb_frames; i++)
			free(ctx->tx.frames[i].data);
	} else {
		free(ctx->tx.frames[0].data);
	}
	free(ctx->tx.frames);
	ctx->tx.frames = NULL;
}

/* Bytes of the longest frame to send (FCS excluded): what an mbuf must hold. */
unsigned int
pg_gen_max_len(const struct pg_ctx *ctx)
{
	unsigned int i, max = 0;

	for (i = 0; i < ctx->tx.nb_frames; i++) {
		if (ctx->tx.frames[i].len > max)
			max = ctx->tx.frames[i].len;
	}
	return max;
}

/* Average frame size of the traffic on the wire (FCS included, at least
 * PG_MIN_SIZE); never fails. */
double
pg_gen_avg_size(const struct pg_ctx *ctx)
{
	double sum = 0;
	unsigned int i;

	if (ctx->conf.pcap == NULL && ctx->conf.size != 0)
		return ctx->conf.size;
	if (ctx->conf.pcap == NULL) {
		for (i = 0; i < PG_IMIX_LEN; i++)
			sum += imix_sizes[imix_pattern[i]];
		return sum / PG_IMIX_LEN;
	}
	for (i = 0; i < ctx->tx.nb_frames; i++)
		sum += pg_wire_size(ctx->tx.frames[i].len);
	return ctx->tx.nb_frames ? sum / ctx->tx.nb_frames : 0;
}

/*
 * The next frame to send, in flow order, and in IMIX order within a flow:
 * in round r over the flows, flow f takes IMIX position (f + r) % 12, so
 * every flow goes through the whole pattern (one position a round would
 * give a flow a single size when 12 and the number of flows share a
 * factor) and frames in a row still take positions in a row.
 */
static const struct pg_frame *
next_frame(struct pg_tx_state *tx, const struct pg_conf *c)
{
	unsigned int i;

	if (c->pcap != NULL || c->size != 0)
		i = tx->next_frame;
	else
		i = tx->next_frame * 3 +
		    imix_pattern[(tx->next_frame % PG_IMIX_LEN + tx->imix_pos) % PG_IMIX_LEN];
	if (++tx->next_frame == (c->pcap != NULL ? tx->nb_frames : c->flows)) {
		tx->next_frame = 0;
		tx->imix_pos = (tx->imix_pos + 1) % PG_IMIX_LEN; /* the round */
	}
	return &tx->frames[i];
}

static void
stamp(struct rte_mbuf *m, uint64_t seq, uint64_t tsc)
{
	uint8_t *p = rte_pktmbuf_mtod_offset(m, uint8_t *, PG_HDR_LEN + 2);

	memcpy(p, &seq, sizeof(seq));
	memcpy(p + sizeof(seq), &tsc, sizeof(tsc));
}

/* Send what the pacer allows at TSC @now (frames due by stop_tsc at most);
 * returns the number of frames the port took (0 when nothing was due or the
 * port refused everything). */
unsigned int
pg_tx_step(struct pg_ctx *ctx, uint64_t now)
{
	struct pg_tx_state *tx = &ctx->tx;
	const struct pg_conf *c = &ctx->conf;
	struct rte_mbuf **pkts = tx->pending;
	unsigned int want = PG_BURST, n, i, sent;

	if (c->rate_pps > 0) {
		uint64_t pace = now < tx->stop_tsc ? now : tx->stop_tsc;
		double due = (double)(pace - tx->start_tsc) * c->rate_pps / (double)ctx->hz;

		if (due <= (double)tx->offered)
			return 0;
		if (due - (double)tx->offered < PG_BURST)
			want = (unsigned int)(due - (double)tx->offered);
		if (want == 0)
			return 0;
	}
	n = tx->nb_pending;
	if (n < want) {
		if (rte_pktmbuf_alloc_bulk(ctx->mp, pkts + n, want - n) != 0) {
			tx->nomem++;
			if (n == 0)
				return 0;
		} else {
			for (i = n; i < want; i++) {
				const struct pg_frame *f = next_frame(tx, c);
				unsigned int len = f->stamped ? PG_TPL_LEN : f->len;
				uint8_t *d = rte_pktmbuf_mtod(pkts[i], uint8_t *);

				rte_memcpy(d, f->data, len);
				/* the buffer may hold a frame received before */
				if (f->len > len)
					memset(d + len, 0, f->len - len);
				pkts[i]->data_len = f->len;
				pkts[i]->pkt_len = f->len;
			}
			n = want;
		}
	}
	if (c->pcap == NULL) {
		for (i = 0; i < n; i++)
			stamp(pkts[i], tx->seq + i, now);
	}
	sent = rte_eth_tx_burst(c->tx_port, 0, pkts, (uint16_t)n);
	__atomic_store_n(&tx->seq, tx->seq + sent, __ATOMIC_RELAXED); /* read by RX */
	tx->sent += sent;
	for (i = 0; i < sent; i++)
		tx->bytes += pg_wire_size(pkts[i]->pkt_len);
	/* Frames beyond the pending ones are new offers. Refused frames wait
	 * for the next burst (--retry) or are lost, as on a wire. */
	if (n > tx->nb_pending)
		tx->offered += n - tx->nb_pending;
	if (c->retry) {
		memmove(pkts, pkts + sent, (n - sent) * sizeof(*pkts));
		tx->nb_pending = n - sent;
	} else {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		tx->refused += n - sent;
		tx->nb_pending = 0;
	}
	return sent;
}
