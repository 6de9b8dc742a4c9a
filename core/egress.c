/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames longer than their port's MTU allows. An Ethernet/IPv4 packet
 * without DF leaves as IPv4 fragments (DPDK's rte_ipv4_fragment_packet):
 * each fragment is a direct mbuf of the core's own holding the Ethernet and
 * IPv4 headers, chained to indirect mbufs that refer to the payload where
 * it already is, in the pool buffer the NF returned. That buffer goes back
 * to its pool when the last fragment has been sent. The fragmenter reads
 * the IPv4 header (and its options) from a checked private copy, never from
 * the region an NF maps and may write while the core works, and nothing of
 * a fragment's headers lives there either.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "core.h"

#define FRAG_CACHE 32
#define FRAG_IP_HDR_MAX 60   /* an IPv4 header with options */
#define FRAG_HEAD_PAYLOAD 8  /* payload bytes copied with the header */
#define FRAG_HDR_ROOM 128    /* data room of a header mbuf: >= the two above */

/*
 * Create the fragment pools, sized for every port's TX ring (@tx_desc
 * descriptors, each may hold a fragment until the device sends it) plus
 * what one lcore stages. Returns 0, or a negative errno with a message in
 * err.
 */
int
core_frag_pools_create(struct core *c, unsigned int tx_desc, char *err, size_t errlen)
{
	/* two datapath lcores may each keep a cache's worth */
	unsigned int n = c->nb_ports * (tx_desc + CORE_BURST) + 2 * CORE_FRAG_MAX +
			 4 * FRAG_CACHE;
	int socket = (int)rte_socket_id();

	c->frag_direct = rte_pktmbuf_pool_create("netvm_frag_hdr", n, FRAG_CACHE, 0,
						 RTE_PKTMBUF_HEADROOM + FRAG_HDR_ROOM, socket);
	if (c->frag_direct != NULL)
		c->frag_indirect = rte_pktmbuf_pool_create("netvm_frag_ref", n, FRAG_CACHE, 0,
							   0, socket);
	if (c->frag_direct == NULL || c->frag_indirect == NULL) {
		snprintf(err, errlen, "creating the IPv4 fragment pools (2 x %u mbufs): %s", n,
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

/* Free the fragment pools (every fragment must have been freed). */
void
core_frag_pools_free(struct core *c)
{
	rte_mempool_free(c->frag_direct);
	rte_mempool_free(c->frag_indirect);
	c->frag_direct = c->frag_indirect = NULL;
}

/*
 * The IPv4 packet of frame @m (header checked in @eth_ip, the core's copy)
 * as a chain the fragmenter reads only private memory of: a header mbuf
 * holding the IPv4 header and the first 8 bytes of payload (so that no
 * fragment gets an empty segment), then a reference to the rest of the
 * payload in @m's buffer. Returns the chain, or NULL when out of mbufs.
 */
static struct rte_mbuf *
private_head(struct core *c, struct rte_mbuf *m, const uint8_t *eth_ip, uint16_t ihl,
	     uint16_t tot)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(c->frag_direct);
	struct rte_mbuf *rest = rte_pktmbuf_alloc(c->frag_indirect);
	uint8_t *p;

	if (head == NULL || rest == NULL) {
		rte_pktmbuf_free(head);
		rte_pktmbuf_free(rest);
		return NULL;
	}
	p = (uint8_t *)rte_pktmbuf_append(head, (uint16_t)(ihl + FRAG_HEAD_PAYLOAD));
	memcpy(p, eth_ip + RTE_ETHER_HDR_LEN, ihl);
	memcpy(p + ihl, rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN + ihl),
	       FRAG_HEAD_PAYLOAD);
	/* A pool's mbufs are flagged direct (core/pool.c, index_mbuf()):
	 * flagged external again, @m's buffer is counted in its shared info,
	 * and returns to its pool when the last fragment is freed. */
	if (rte_pktmbuf_priv_flags(m->pool) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF)
		m->ol_flags |= RTE_MBUF_F_EXTERNAL;
	rte_pktmbuf_attach(rest, m);
	rte_pktmbuf_adj(rest, (uint16_t)(RTE_ETHER_HDR_LEN + ihl + FRAG_HEAD_PAYLOAD));
	head->next = rest;
	head->nb_segs = 2;
	head->pkt_len = tot;
	return head;
}

/*
 * Split Ethernet/IPv4 frame @m into fragments whose IPv4 packets fit @mtu,
 * at most @max of them, in @out. On success @m is consumed (its buffer
 * returns to its pool once the fragments are freed) and the count is
 * returned. Otherwise @m is untouched, *why says which drop it is and a
 * negative errno is returned: frag_needed when DF is set, frame_mtu when
 * the frame is not one IPv4 packet that the header describes exactly (or
 * would need more than @max fragments), no_buffer when the fragment pools
 * are empty.
 */
int
core_frag_ipv4(struct core *c, struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **out,
	       unsigned int max, enum core_drop *why)
{
	/* The frame is in shared memory, where an NF may still write: the
	 * headers are copied once, checked, and only the copy is used. */
	uint8_t hdr[RTE_ETHER_HDR_LEN + FRAG_IP_HDR_MAX];
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)hdr;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(hdr + RTE_ETHER_HDR_LEN);
	struct rte_mbuf *head;
	uint16_t ihl, tot;
	int n, i;

	*why = CORE_DROP_frame_mtu;
	if (m->nb_segs != 1 || m->data_len < sizeof(hdr))
		return -EINVAL;
	memcpy(hdr, rte_pktmbuf_mtod(m, const void *), sizeof(hdr));
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return -EINVAL;
	ihl = (uint16_t)((ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER);
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
	    tot != m->data_len - RTE_ETHER_HDR_LEN || ihl + FRAG_HEAD_PAYLOAD > tot ||
	    ihl + 8u > mtu)
		return -EINVAL;
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
		*why = CORE_DROP_frag_needed;
		return -EMSGSIZE;
	}
	head = private_head(c, m, hdr, ihl, tot);
	if (head == NULL) {
		*why = CORE_DROP_no_buffer;
		return -ENOMEM;
	}
	n = rte_ipv4_fragment_packet(head, out, (uint16_t)max, mtu, c->frag_direct,
				     c->frag_indirect);
	/* the fragments hold their own references to both */
	rte_pktmbuf_free(head);
	if (n < 0) {
		*why = n == -ENOMEM ? CORE_DROP_no_buffer : CORE_DROP_frame_mtu;
		return n;
	}
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *h =
			(struct rte_ether_hdr *)rte_pktmbuf_prepend(out[i], sizeof(*h));
		struct rte_ipv4_hdr *fh = (struct rte_ipv4_hdr *)(h + 1);

		*h = *eth;
		fh->hdr_checksum = 0;
		fh->hdr_checksum = rte_ipv4_cksum(fh);
	}
	rte_pktmbuf_free(m);
	return n;
}
