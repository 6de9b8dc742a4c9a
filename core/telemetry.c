/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters: one walk over everything the core counts, shown through DPDK
 * telemetry (/netvm/stats, readable with dpdk-telemetry.py) and printed as
 * "stat NAME VALUE" lines (periodically with --stats, and at exit).
 */
#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "core.h"

typedef void (*stat_fn)(void *arg, const char *name, uint64_t value);

/* Descriptors on NF @nf's rx rings, read from the shared indexes (the
 * datapath's own copy of its index is not ours to read); a queue whose
 * indexes are impossible counts as full. */
static uint64_t
nf_ring_load(const struct core_nf *nf)
{
	uint64_t load = 0;
	unsigned int q;

	for (q = 0; q < nf->nb_queues; q++) {
		const struct nvm_ring *r = nf->q[q].rx.r;
		uint32_t used;

		if (r == NULL)
			continue;
		used = __atomic_load_n(&r->prod, __ATOMIC_RELAXED) -
		       __atomic_load_n(&r->cons, __ATOMIC_RELAXED);
		load += used > nf->q[q].rx.size ? nf->q[q].rx.size : used;
	}
	return load;
}

/* Call @fn for every counter of NF @nf (@fl: the flow table, or NULL). */
static void
nf_walk(const struct core_nf *nf, const struct core_flows *fl, stat_fn fn, void *arg)
{
	static const char *const names[] = {
		"role", "rx", "tx", "tx_bursts", "allocs", "held", "doorbells", "alloc_capped",
		"live", "orphaned", "placed", "flows", "load", "draining", "pid",
	};
	const uint64_t values[] = {
		nf->role, nf->st.rx, nf->st.tx, nf->st.tx_bursts, nf->st.allocs, core_nf_held(nf),
		nf->st.doorbells, nf->st.alloc_capped, nf->reachable, nf->orphaned,
		__atomic_load_n(&nf->st.placed, __ATOMIC_RELAXED),
		fl == NULL ? 0 : core_flows_of(fl, nf->id, nf->gen), nf_ring_load(nf),
		__atomic_load_n(&nf->draining, __ATOMIC_RELAXED), (uint64_t)nf->pid,
	};
	char name[64];
	unsigned int i;

	for (i = 0; i < RTE_DIM(names); i++) {
		snprintf(name, sizeof(name), "nf%u_%s", nf->id, names[i]);
		fn(arg, name, values[i]);
	}
}

/* Packets port @port lost before the core saw them: the device's imissed
 * (the last value read while the port ran, once it is closed) and, for
 * af_packet, the kernel's receive-ring drops. */
static uint64_t
port_rx_missed(struct core *c, uint16_t port)
{
	struct rte_eth_stats st;

	if (!c->quit && rte_eth_stats_get(port, &st) == 0)
		c->port_imissed[port] = st.imissed;
	return c->port_imissed[port] + core_afp_ring_drops(c, port);
}

/* Call @fn for every counter. Takes nf_lock: control path only. */
static void
stats_walk(struct core *c, stat_fn fn, void *arg)
{
	char name[64];
	static const char *const stage_names[CORE_STAGE_MAX] = {
		"nic_core", "core_nf", "nf_core", "core_nic",
	};
	uint64_t drops[CORE_DROP_MAX] = { 0 }, cyc[CORE_STAGE_MAX] = { 0 };
	uint64_t pkts[CORE_STAGE_MAX] = { 0 }, copies = 0, unread = 0, fragd = 0, frags = 0;
	uint64_t followed = 0, alone = 0;
	struct core_flows_stats fst = { 0 };
	struct core_dos_stats dst;
	unsigned int i, r;
	uint16_t port;

	for (port = 0; port < c->nb_ports; port++) {
		snprintf(name, sizeof(name), "port%u_rx", port);
		fn(arg, name, c->port_st[port].rx);
		snprintf(name, sizeof(name), "port%u_rx_bursts", port);
		fn(arg, name, c->port_st[port].rx_bursts);
		snprintf(name, sizeof(name), "port%u_tx", port);
		fn(arg, name, c->port_st[port].tx);
		snprintf(name, sizeof(name), "port%u_tx_drop", port);
		fn(arg, name, c->port_st[port].tx_drop);
		snprintf(name, sizeof(name), "port%u_rx_missed", port);
		fn(arg, name, port_rx_missed(c, port));
	}
	for (i = 0; i < c->nb_pools; i++) {
		snprintf(name, sizeof(name), "pool%u_total", i);
		fn(arg, name, c->pools[i].count);
		snprintf(name, sizeof(name), "pool%u_free", i);
		fn(arg, name, core_pool_free_count(&c->pools[i]));
	}
	for (i = 0; i < 2; i++) {
		for (r = 0; r < CORE_DROP_MAX; r++)
			drops[r] += c->lst[i].drops[r];
		for (r = 0; r < CORE_STAGE_MAX; r++) {
			cyc[r] += c->lst[i].stage_cycles[r];
			pkts[r] += c->lst[i].stage_pkts[r];
		}
		copies += c->lst[i].cross_pool_copies;
		unread += c->lst[i].rx_unread;
		fragd += c->lst[i].frag_packets;
		frags += c->lst[i].frag_out;
		followed += c->lst[i].rx_frag_followed;
		alone += c->lst[i].rx_frag_alone;
	}
	for (r = 0; r < CORE_DROP_MAX; r++) {
		snprintf(name, sizeof(name), "drop_%s", core_drop_name(r));
		fn(arg, name, drops[r]);
	}
	/* per role, only those with drops: 256 roles would fill the dictionary */
	for (r = 0; r < CFG_MAX_ROLES; r++) {
		uint64_t n = c->lst[0].role_no_instance[r] + c->lst[1].role_no_instance[r];

		if (n == 0)
			continue;
		snprintf(name, sizeof(name), "role%u_no_instance", r);
		fn(arg, name, n);
	}
	fn(arg, "cross_pool_copies", copies);
	fn(arg, "rx_unread", unread);
	fn(arg, "frag_packets", fragd);
	fn(arg, "frag_out", frags);
	fn(arg, "rx_frag_followed", followed);
	fn(arg, "rx_frag_alone", alone);
	/* Cycles per packet, in hundredths for the integer API: of each stage,
	 * and of the RX side (NIC_CORE + CORE_NF per packet received) and the TX
	 * side (NF_CORE + CORE_NIC per descriptor returned). */
	fn(arg, "stage_cycles_on", NETVM_STAGE_CYCLES);
	for (r = 0; r < CORE_STAGE_MAX; r++) {
		snprintf(name, sizeof(name), "cycles_%s_x100", stage_names[r]);
		fn(arg, name, pkts[r] ? cyc[r] * 100 / pkts[r] : 0);
	}
	fn(arg, "cycles_rx_x100", pkts[CORE_STAGE_NIC_CORE] ?
		(cyc[CORE_STAGE_NIC_CORE] + cyc[CORE_STAGE_CORE_NF]) * 100 / pkts[CORE_STAGE_NIC_CORE] : 0);
	fn(arg, "cycles_tx_x100", pkts[CORE_STAGE_NF_CORE] ?
		(cyc[CORE_STAGE_NF_CORE] + cyc[CORE_STAGE_CORE_NIC]) * 100 / pkts[CORE_STAGE_NF_CORE] : 0);
	fn(arg, "stage_rx_pkts", pkts[CORE_STAGE_NIC_CORE]);
	fn(arg, "stage_tx_pkts", pkts[CORE_STAGE_NF_CORE]);
	fn(arg, "attach_refused", c->ctl_st.refused);
	fn(arg, "attach_timeouts", c->ctl_st.timeouts);
	fn(arg, "attach_overflow", c->ctl_st.overflow);
	fn(arg, "attach_broken", c->ctl_st.broken);
	fn(arg, "cmd_sent", c->cmd_st.sent);
	fn(arg, "cmd_answered", c->cmd_st.answered);
	fn(arg, "cmd_errors", c->cmd_st.errors);
	fn(arg, "cmd_timeouts", c->cmd_st.timeouts);
	fn(arg, "cmd_abandoned", c->cmd_st.abandoned);
	fn(arg, "cmd_stale", c->cmd_st.stale);
	fn(arg, "cmd_broken", c->cmd_st.broken);
	fn(arg, "cfg_changes", c->cfg_st.changes);
	fn(arg, "cfg_refused", c->cfg_st.refused);
	if (c->flows != NULL)
		core_flows_stats_get(c->flows, &fst);
	fn(arg, "placement_load", c->flows != NULL);
	fn(arg, "flows_active", fst.active);
	fn(arg, "flows_expired", fst.expired);
	fn(arg, "flows_replaced", fst.replaced);
	fn(arg, "flows_moved", fst.moved);
	fn(arg, "flow_table_full", fst.full);
	core_dos_stats_get(c->dos, &dst);
	fn(arg, "dos_src_pps", dst.src_pps);
	fn(arg, "dos_syn_pps", dst.syn_pps);
	fn(arg, "dos_syn_roles", dst.syn_roles);
	fn(arg, "dos_events", dst.events);
	fn(arg, "dos_offenders", dst.offenders);
	fn(arg, "dos_list_full", dst.list_full);
	/* Last: with many NFs, DPDK's telemetry dictionary (256 entries) may
	 * cut here; /netvm/nf,ID always gives one NF whole. */
	pthread_mutex_lock(&c->nf_lock);
	fn(arg, "nfs_attached", c->nb_attached);
	for (i = 0; i < CORE_MAX_NFS; i++) {
		const struct core_nf *nf = c->nfs[i];

		if (nf == NULL)
			continue;
		nf_walk(nf, c->flows, fn, arg);
	}
	pthread_mutex_unlock(&c->nf_lock);
}

struct print_arg {
	FILE *f;
	const char *prefix;
	bool nonzero;
};

static void
print_one(void *arg, const char *name, uint64_t value)
{
	const struct print_arg *p = arg;

	if (value != 0 || !p->nonzero)
		fprintf(p->f, "%s %s %" PRIu64 "\n", p->prefix, name, value);
}

/* Print the counters as "PREFIX NAME VALUE" lines to @f: all of them, or
 * only those not zero. */
void
core_stats_print(struct core *c, FILE *f, const char *prefix, bool nonzero)
{
	struct print_arg p = { f, prefix, nonzero };

	stats_walk(c, print_one, &p);
	fflush(f);
}

/* Print each port's packet rates since @prev (updated) over @secs seconds. */
void
core_rates_print(struct core *c, FILE *f, struct core_port_stats *prev, double secs)
{
	uint16_t port;

	if (secs <= 0)
		return;
	for (port = 0; port < c->nb_ports && port < NVM_MAX_PORTS; port++) {
		struct core_port_stats now = c->port_st[port];

		fprintf(f, "rate port%u rx %.3f Mpps tx %.3f Mpps\n", port,
			(double)(now.rx - prev[port].rx) / secs / 1e6,
			(double)(now.tx - prev[port].tx) / secs / 1e6);
		prev[port] = now;
	}
}

static void
tel_one(void *arg, const char *name, uint64_t value)
{
	rte_tel_data_add_dict_u64(arg, name, value);
}

/* The one core engine of this process, NULL once it is going away. DPDK's
 * telemetry threads call the handlers at any time and cannot be told to
 * stop: each handler holds tel_lock while it reads the core, and
 * core_telemetry_unregister() takes it before the core is freed. */
static struct core *tel_core;
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int r = -ENODEV;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_core != NULL) {
		rte_tel_data_start_dict(d);
		stats_walk(tel_core, tel_one, d);
		r = 0;
	}
	pthread_mutex_unlock(&tel_lock);
	return r;
}

/* Answer a command whose parameter is an NF id: @fn fills @d for that NF,
 * under nf_lock. Returns 0, -EINVAL for a bad id (anything but decimal
 * digits: no sign, no blank) or no such NF attached, -ENODEV when the core
 * is going away. */
static int
tel_for_nf(const char *params, struct rte_tel_data *d,
	   void (*fn)(const struct core_nf *nf, struct rte_tel_data *d))
{
	unsigned long id;
	int r = -EINVAL;

	if (params == NULL || *params == '\0' || params[strspn(params, "0123456789")] != '\0')
		return -EINVAL;
	id = strtoul(params, NULL, 10); /* ULONG_MAX when larger: no NF */
	if (id >= CORE_MAX_NFS)
		return -EINVAL;
	pthread_mutex_lock(&tel_lock);
	if (tel_core == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -ENODEV;
	}
	pthread_mutex_lock(&tel_core->nf_lock);
	if (tel_core->nfs[id] != NULL) {
		rte_tel_data_start_dict(d);
		fn(tel_core->nfs[id], d);
		r = 0;
	}
	pthread_mutex_unlock(&tel_core->nf_lock);
	pthread_mutex_unlock(&tel_lock);
	return r;
}

static void
nf_walk_tel(const struct core_nf *nf, struct rte_tel_data *d)
{
	nf_walk(nf, tel_core->flows, tel_one, d);
}

static int
tel_nf(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return tel_for_nf(params, d, nf_walk_tel);
}

/* A name an NF published: 1..23 characters of [A-Za-z0-9_], NUL-ended (DPDK's
 * telemetry refuses a dictionary key with '.' or '-'). */
static bool
stat_name_ok(const char *name)
{
	unsigned int i;

	for (i = 0; i < NVM_STAT_NAME && name[i] != '\0'; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return false;
	return i > 0 && i < NVM_STAT_NAME;
}

/*
 * Copy the counters NF @nf publishes into @d. The table is the NF's: it is
 * copied out under its sequence count (a few tries), then every name is
 * checked; an NF rewriting it all the time, or writing nonsense, shows
 * "nf_counters_unreadable" or skips those entries.
 */
static void
nf_counters(const struct core_nf *nf, struct rte_tel_data *d)
{
	const struct nvm_stats *t = nf->cmd.stats; /* where the core put it */
	static struct nvm_stat copy[CORE_NF_STATS]; /* under tel_lock */
	unsigned int i, n = 0, tries;
	uint32_t s0, s1;

	for (tries = 0; tries < 8; tries++) {
		s0 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		if (s0 & 1)
			continue;
		n = RTE_MIN(__atomic_load_n(&t->count, __ATOMIC_RELAXED), CORE_NF_STATS);
		memcpy(copy, (const void *)t->slots, n * sizeof(copy[0]));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s1 = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);
		if (s0 == s1)
			break;
	}
	if (tries == 8) {
		rte_tel_data_add_dict_u64(d, "nf_counters_unreadable", 1);
		return;
	}
	for (i = 0; i < n; i++) {
		if (stat_name_ok(copy[i].name))
			rte_tel_data_add_dict_u64(d, copy[i].name, copy[i].value);
	}
}

static int
tel_nf_counters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return tel_for_nf(params, d, nf_counters);
}

static int
tel_pools(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char name[64];
	unsigned int i;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_core == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -ENODEV;
	}
	rte_tel_data_start_dict(d);
	for (i = 0; i < tel_core->nb_pools; i++) {
		const struct core_pool *p = &tel_core->pools[i];

		snprintf(name, sizeof(name), "pool%u_name", i);
		rte_tel_data_add_dict_string(d, name, p->path);
		snprintf(name, sizeof(name), "pool%u_size", i);
		rte_tel_data_add_dict_u64(d, name, p->size);
		snprintf(name, sizeof(name), "pool%u_buffers", i);
		rte_tel_data_add_dict_u64(d, name, p->count);
		snprintf(name, sizeof(name), "pool%u_stride", i);
		rte_tel_data_add_dict_u64(d, name, p->stride);
		snprintf(name, sizeof(name), "pool%u_socket", i);
		rte_tel_data_add_dict_int(d, name, p->socket);
		snprintf(name, sizeof(name), "pool%u_group", i);
		rte_tel_data_add_dict_string(d, name, tel_core->cfg.group_names[p->group]);
	}
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

/* The ids of the NF instances attached now, in order: what /netvm/stats
 * may cut (its dictionary holds 256 entries), for /netvm/nf,ID. */
static int
tel_nfs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int i;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_core == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -ENODEV;
	}
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&tel_core->nf_lock);
	for (i = 0; i < CORE_MAX_NFS; i++)
		if (tel_core->nfs[i] != NULL)
			rte_tel_data_add_array_int(d, (int)i);
	pthread_mutex_unlock(&tel_core->nf_lock);
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

/* Register the /netvm/ telemetry commands. Returns 0 or a negative errno. */
int
core_telemetry_register(struct core *c)
{
	int r;

	pthread_mutex_lock(&tel_lock);
	tel_core = c;
	pthread_mutex_unlock(&tel_lock);
	r = rte_telemetry_register_cmd("/netvm/stats", tel_stats,
				       "NetVM core engine counters: ports, NFs, pools, drop "
				       "reasons, cycles per packet. No parameters");
	if (r == 0)
		r = rte_telemetry_register_cmd("/netvm/nf", tel_nf,
					       "Counters of one NF instance. Parameter: its id");
	if (r == 0)
		r = rte_telemetry_register_cmd("/netvm/nfs", tel_nfs,
					       "Ids of the NF instances attached (for /netvm/nf, "
					       "whose entries /netvm/stats may cut). No parameters");
	if (r == 0)
		r = rte_telemetry_register_cmd("/netvm/nf_counters", tel_nf_counters,
					       "Counters an NF instance publishes (netlib's and its "
					       "own). Parameter: its id");
	if (r == 0)
		r = rte_telemetry_register_cmd("/netvm/pools", tel_pools,
					       "NetVM pool regions: memfd name, size (a power of two), "
					       "buffers, stride, NUMA socket, trust group. No parameters");
	return r;
}

/* Make the /netvm/ commands answer nothing from now on, waiting for those
 * reading @c: called before @c's pools and NFs are freed; cannot fail. */
void
core_telemetry_unregister(struct core *c)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_core == c)
		tel_core = NULL;
	pthread_mutex_unlock(&tel_lock);
}
