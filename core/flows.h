/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flows.h — the core's flow table: which instance of a role each flow is on.
 *
 * With core.placement = "load", the first packet of a flow (key: its
 * symmetric flow hash and the role it goes to) places the flow on the
 * instance of the role whose rx rings hold the fewest descriptors; every
 * later packet of the flow goes where the first one went, until the flow
 * has been idle for core.flow_idle_ms or its instance has left. Adding an
 * instance therefore moves no flow, and removing one moves only its flows,
 * once each.
 *
 * One datapath lcore owns the table: the one that puts packets on NF rx
 * rings (the RX side; in single-lcore mode the only one). Lookups, inserts
 * and expiry all run there, so the rte_hash needs no locks; the counters
 * are written there with relaxed stores and read by telemetry.
 *
 * An instance being handed over (CORE_DRAIN_HANDOVER) keeps its flows until
 * the first moment it has no packet in flight: its rx rings are empty,
 * every packet given to it has come back (st.returned >= st.rx) and none
 * was given to it in the current burst. From then on each of its flows is
 * placed anew on its next packet, so a flow's packets before and after the
 * move cannot overtake each other and none is lost. (For an NF that also
 * sends buffers of its own, returned counts those too: the check may then
 * pass a little early.)
 *
 * An entry names its instance by NF id and generation (struct core_nf.gen,
 * never reused), checked against the current view on every hit: an entry
 * never leads to a freed NF, and one whose instance left is placed anew.
 *
 * core_flows_create/core_flows_free are control path; the rest is fast
 * path: no allocation, no logging.
 */
#ifndef CORE_FLOWS_H
#define CORE_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "cls.h"

struct core_flows;
struct core_view;
struct core_nf;

/* The table's counters, as telemetry shows them (docs/core.md). */
struct core_flows_stats {
	uint64_t active;   /* flows in the table */
	uint64_t full;     /* new flows placed by hash: the table was full */
	uint64_t expired;  /* entries removed after core.flow_idle_ms idle */
	uint64_t replaced; /* flows placed again: their instance had left */
	uint64_t moved;    /* flows handed over from an instance to another */
};

/*
 * The instance among @n (n >= 1) with the smallest @load; of equal loads,
 * the first in hash order (starting at cls_pick(h, n) and wrapping), so
 * that with equal loads placement is the hash choice. Cannot fail.
 */
static inline uint16_t
core_flows_least(const uint32_t *load, uint16_t n, uint32_t h)
{
	uint16_t start = cls_pick(h, n), best = start, i, k;

	for (i = 1; i < n; i++) {
		k = (uint16_t)(start + i < n ? start + i : start + i - n);
		if (load[k] < load[best])
			best = k;
	}
	return best;
}

/*
 * Create a flow table of @size entries, flows idle for @idle_ms expiring,
 * memory on NUMA socket @socket. Needs the EAL. Returns the table, or NULL
 * with a message in @err when rte_hash or the memory cannot be had.
 */
struct core_flows *core_flows_create(uint32_t size, uint32_t idle_ms, int socket, char *err,
				     size_t errlen);

/* Release a table (NULL is ignored); cannot fail. */
void core_flows_free(struct core_flows *fl);

/*
 * Choose the instance for each of @n runs of packets (n <= 64): run i is
 * len[i] packets of role role[i] and flow hash hash[i] (one flow). out[i]
 * is NULL when view @v has no instance of role[i]. Known flows keep their
 * instance; new ones (and those whose instance left) get the least-loaded
 * one, where what this call gave an instance before counts as its load;
 * when the table is full a new flow gets the hash choice and is counted.
 * @now is the TSC. Cannot fail.
 */
void core_flows_place(struct core_flows *fl, const struct core_view *v, const uint16_t *role,
		      const uint32_t *hash, const uint8_t *len, unsigned int n, uint64_t now,
		      struct core_nf **out);

/*
 * Look at up to @max entries from where the last call stopped, removing
 * those idle for longer than the timeout at TSC @now. Returns how many
 * were removed; cannot fail.
 */
unsigned int core_flows_expire(struct core_flows *fl, uint64_t now, unsigned int max);

/* Fill @st with the table's counters; any thread. Cannot fail. */
void core_flows_stats_get(const struct core_flows *fl, struct core_flows_stats *st);

/* Flows placed on NF @id of generation @gen now (0 for another generation);
 * any thread. Cannot fail. */
uint64_t core_flows_of(const struct core_flows *fl, uint16_t id, uint32_t gen);

/* Rx ring descriptors NF @nf has not taken yet, over its queues; a queue
 * whose consumer index is impossible counts as full. Cannot fail. */
uint32_t core_flows_nf_load(const struct core_nf *nf);

#endif /* CORE_FLOWS_H */
