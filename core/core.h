/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core.h — the core engine's private structures (never installed).
 *
 *   pool.c       pool regions: hugetlbfs file, DPDK external memory, mbufs
 *   attach.c     the attach socket (control thread): NFs come and go
 *   nf.c         an NF instance: private region, rings, reclaiming buffers
 *   rules.c      the classifier and chains the datapath sees, changed live
 *   cmd_core.c   the core's own commands (rule, chain, role, reload)
 *   datapath.c   RX and TX loops (the only per-packet code)
 *   flows.c      the flow table: which instance each flow is on
 *   validate.c   checks on every descriptor an NF returns
 *   egress.c     frames longer than a port's MTU: IPv4 fragmentation
 *   telemetry.c  counters through DPDK telemetry and at exit
 *   main.c       options, ports, lcores, shutdown
 */
#ifndef CORE_H
#define CORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "cfg.h"
#include "cls.h"
#include "dos.h"
#include "flows.h"
#include "netvm_abi.h"
#include "nvm_ctl.h"
#include "nvm_ring.h"
#include "validate.h"

#define CORE_MAX_NFS 64       /* attached NF instances at once */
#define CORE_MAX_INSTANCES 16 /* instances of one role */
#define CORE_MAX_POOLS 8      /* pools: trust groups x NUMA sockets */
#define CORE_CTL_PIPE 65536u  /* data bytes of each control pipe of an NF */
#define CORE_NF_STATS 256u    /* counters an NF may publish */
#define CORE_CMD_CLIENTS 16   /* command socket clients at once */
#define CORE_CMD_TAG 0x20000u /* epoll tag of command client i: CORE_CMD_TAG + i */
#define CORE_CMD_LISTEN 0xfffffffeu /* epoll tag of the command socket */
#define CORE_BURST 64
#define CORE_CHAIN_NONE 0xffff /* packet created by an NF: no chain */
#define CORE_FRAG_MAX 64       /* fragments one packet may become */
#define CORE_CHAIN_SLOTS 16384 /* distinct role sequences since start (rules.c) */

/* What the core keeps per mbuf, in a dynamic field of the mbuf (host
 * memory the guests never see): its second cache line, which freeing and
 * allocating touch anyway, so a packet costs no line of its own for it. */
/* core_mbuf_meta.unread: a frame received unread (core.rx_parse), or a
 * packet an NF made in a buffer of its alloc ring */
#define CORE_UNREAD_RX 1
#define CORE_UNREAD_MADE 2

struct core_mbuf_meta {
	uint16_t chain; /* slot in core.chain_tab (rules.c), or CORE_CHAIN_NONE */
	uint8_t step;   /* position in the chain */
	uint8_t in_port;
	uint16_t role;  /* role to deliver to next */
	uint8_t unread; /* hash not computed: 0, or CORE_UNREAD_RX or CORE_UNREAD_MADE */
	uint8_t hops;   /* TO_ROLE hand-overs so far (at most NVM_TO_ROLE_MAX) */
	uint32_t hash;  /* flow hash; while unread, 0, then, handed on by an NF,
			 * the NF's role (read_late() in datapath.c) */
	uint32_t buf;   /* buffer index in its pool region: set when the pool is
			 * made (core_pool_create()), never changed */
};

/* Offset of struct core_mbuf_meta in every mbuf (core_meta_register()). */
extern int core_meta_off;

/* Register the mbuf field core_meta() reads, once, before any pool is
 * created; 0 or -rte_errno. */
int core_meta_register(void);

static inline struct core_mbuf_meta *
core_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, core_meta_off, struct core_mbuf_meta *);
}

/* core_meta() with the offset in a local: per-packet loops load
 * core_meta_off once, where the compiler would reload the global after
 * every store that might alias it. */
static inline struct core_mbuf_meta *
core_meta_at(struct rte_mbuf *m, int off)
{
	return RTE_MBUF_DYNFIELD(m, off, struct core_mbuf_meta *);
}

/* A pool region: one per NUMA socket in use. */
struct core_pool {
	unsigned int id;
	unsigned int group; /* trust group (cfg.group_names) */
	int socket;
	int fd;               /* the sealed hugetlb memfd */
	char path[512];       /* its name (/proc/PID/fd shows /memfd:NAME) */
	struct nvm_pool_hdr hdr; /* the header as the core wrote it */
	uint8_t *base;
	size_t size;
	size_t page_size;
	uint64_t bufs_off;
	uint32_t stride;
	uint32_t stride_shift;
	uint32_t count;
	struct rte_mempool *mp;
	struct rte_mbuf **by_idx; /* buffer index → mbuf */
	uint16_t *owner;          /* buffer index → NF id, or CORE_OWNER_CORE */
	rte_iova_t *iovas;        /* IO address of each page */
	unsigned int n_pages;
	bool registered;          /* extmem registered */
	/* Buffers this pool's NFs (one trust group) hold: given - taken -
	 * reclaimed, each counter with one writer. */
	uint64_t nf_budget;                     /* most they may hold together */
	uint64_t nf_given __rte_cache_aligned;  /* RX side: delivered and allocated */
	uint64_t nf_taken __rte_cache_aligned;  /* TX side: accepted back */
	uint64_t nf_reclaimed;                  /* control thread: taken from gone NFs */
};

/* Add @n to counter @ctr, which only the calling thread writes and others
 * may read (core_nf_held(), core_pool_nf_held()). */
static inline void
core_ctr_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Buffers the NFs of pool @p hold now. */
static inline uint64_t
core_pool_nf_held(const struct core_pool *p)
{
	return __atomic_load_n(&p->nf_given, __ATOMIC_RELAXED) -
	       __atomic_load_n(&p->nf_taken, __ATOMIC_RELAXED) -
	       __atomic_load_n(&p->nf_reclaimed, __ATOMIC_RELAXED);
}

/* Buffer index of an mbuf of pool @p (its data buffer is in the region). */
static inline uint32_t
core_pool_idx(const struct core_pool *p, const struct rte_mbuf *m)
{
	return (uint32_t)(((uintptr_t)m->buf_addr - (uintptr_t)p->base - p->bufs_off) >>
			  p->stride_shift);
}

/* The core's side of one NF queue's rings. */
struct core_nf_queue {
	struct nvm_ring_prod rx;
	struct nvm_ring_cons tx;
	struct nvm_ring_prod alloc;
};

/* Counters of one NF, each written by one lcore only. */
struct core_nf_stats {
	uint64_t rx;       /* packets given (RX side) */
	uint64_t allocs;   /* fresh buffers given (RX side) */
	uint64_t tx;       /* descriptors returned (TX side) */
	uint64_t tx_bursts; /* tx ring reads that took at least one (TX side) */
	uint64_t returned; /* buffers accepted back (TX side) */
	uint64_t reclaimed;
	uint64_t doorbells; /* times the RX side woke the NF */
	uint64_t alloc_capped; /* alloc refills refused or cut short by the budget */
	uint64_t placed;   /* flows placed on it by the flow table (RX side) */
};

/* An NF's control channel, as the control thread drives it (cmd.c). */
struct core_nf_cmd {
	struct nvm_pipe_end req, ans;
	struct nvm_ctl_msg out; /* the request being written */
	struct nvm_ctl_msg in;  /* the answer being read */
	char *body;             /* the request's text until it is in the pipe */
	uint32_t seq;           /* of the last request */
	int client;             /* index of the client waiting for the answer, or -1 */
	const char *broken;     /* why the channel is closed for good, or NULL */
	struct nvm_stats *stats; /* the counters the NF publishes (telemetry reads) */
};

/* What "instance drain|handover|undrain" asked of an instance (flows.h). */
enum core_drain {
	CORE_DRAIN_OFF,      /* takes new flows */
	CORE_DRAIN_KEEP,     /* no new flow; its flows stay on it */
	CORE_DRAIN_HANDOVER, /* no new flow; its flows move to the role's other
			      * instances once it has no packet in flight */
};

struct core_nf {
	uint16_t id;
	uint32_t gen;        /* never the same for two NFs of one core's life */
	uint16_t role;
	uint16_t nb_queues;
	int sock;
	int doorbell;
	int priv_fd;
	uint8_t *priv;
	size_t priv_size;
	struct core_pool *pool;
	struct core_nf_queue q[NVM_MAX_QUEUES];
	struct core_nf_stats st;
	uint64_t last_ring;  /* TSC of the last doorbell (RX side) */
	bool ring_due;       /* RX side: the NF armed its doorbell, the ring waits for
			      * the rate limit */
	uint64_t budget;     /* most buffers it may hold (docs/abi.md §5) */
	uint64_t ring_corrupt_seen;
	/* written by the control thread; telemetry reads those marked nf_lock */
	bool live;            /* in the datapath's view: its NF said it runs */
	bool reachable;       /* nf_lock: live, and that view is published */
	bool leased;          /* attached by a manager (NVM_LEASE_MAGIC) */
	uint8_t draining;     /* atomic, enum core_drain: the flow table places no
			       * new flow on it (and, HANDOVER, moves its flows) */
	int32_t pid;          /* of the attaching process (SO_PEERCRED), 0 if unknown */
	bool orphaned;        /* nf_lock: leased, its manager's connection gone */
	uint64_t token;       /* the lease's secret */
	uint64_t attached_ms; /* when its handshake ended (CLOCK_MONOTONIC) */
	uint64_t orphan_until_ms; /* detached then unless adopted */
	struct core_nf_cmd cmd;   /* control thread only */
};

/* What the datapath sees of the NFs: replaced whole, freed after a QSBR
 * grace period, so the lcores never take a lock. */
struct core_view {
	unsigned int nb_nfs;
	struct core_nf *nfs[CORE_MAX_NFS];
	uint8_t role_known[CFG_MAX_ROLES]; /* named by the config or served */
	uint16_t nb_inst[CFG_MAX_ROLES];
	struct core_nf *inst[CFG_MAX_ROLES][CORE_MAX_INSTANCES];
	struct core_nf *by_id[CORE_MAX_NFS]; /* the NFs of inst[][], by id, else NULL */
};

/*
 * Datapath stages whose TSC cycles are counted (the NetVM paper's Table I;
 * netlib counts the NF's own): meson option stage_cycles=false compiles the
 * counting out.
 *   NIC_CORE  port RX burst and classification
 *   CORE_NF   putting descriptors on NF rx rings (and doorbells)
 *   NF_CORE   NF tx rings: copy-out, validation, actions, passing on to NFs
 *   CORE_NIC  port TX bursts
 */
enum core_stage { CORE_STAGE_NIC_CORE, CORE_STAGE_CORE_NF, CORE_STAGE_NF_CORE,
		  CORE_STAGE_CORE_NIC, CORE_STAGE_MAX };

#ifndef NETVM_STAGE_CYCLES
#define NETVM_STAGE_CYCLES 1
#endif
#if NETVM_STAGE_CYCLES
#define CORE_STAGE_NOW() rte_rdtsc()
#else
#define CORE_STAGE_NOW() 0
#endif

/* Per-lcore datapath counters. */
struct core_lcore_stats {
	uint64_t drops[CORE_DROP_MAX];
	uint64_t cross_pool_copies;
	uint64_t rx_unread;      /* frames handed on unread (core.rx_parse) */
	uint64_t frag_packets;   /* IPv4 packets sent as fragments */
	uint64_t frag_out;       /* fragments made of them */
	uint64_t rx_frag_followed; /* later IPv4 fragments given their first fragment's verdict */
	uint64_t rx_frag_alone;  /* later IPv4 fragments with no first fragment known */
	uint64_t stage_cycles[CORE_STAGE_MAX];
	uint64_t stage_pkts[CORE_STAGE_MAX];
	uint64_t role_no_instance[CFG_MAX_ROLES]; /* drops[no_instance] by role */
} __rte_cache_aligned;

/* The attach socket's refusals, written by the control thread. */
struct core_ctl_stats {
	uint64_t refused;  /* hellos answered NVM_MSG_ERROR */
	uint64_t timeouts; /* connections closed: no whole hello within 2 s */
	uint64_t overflow; /* connections closed: the oldest of a full pending table */
	uint64_t broken;   /* connections closed: closed or malformed mid-hello */
};

/* The command socket's work, written by the control thread. */
struct core_cmd_stats {
	uint64_t sent;      /* commands handed to an NF */
	uint64_t answered;  /* answers relayed */
	uint64_t errors;    /* requests refused (bad line, no such NF, busy, ...) */
	uint64_t timeouts;  /* no answer, or no whole request, in time */
	uint64_t abandoned; /* clients gone before their answer */
	uint64_t stale;     /* answers nobody waited for any more, skipped */
	uint64_t broken;    /* NF channels closed for an impossible index or frame */
};

/*
 * A chain as the datapath follows it: a role sequence. core.chain_tab holds
 * them append-only and deduplicated, an entry never changes once written,
 * so a packet's meta.chain stays valid however the configuration changes
 * while it sits in an NF's ring (rules.c).
 */
struct core_chain {
	uint8_t len;
	uint16_t roles[CFG_MAX_CHAIN_LEN];
};

/* What the datapath classifies with: replaced whole by a change, freed
 * after a QSBR grace period (rules.c). */
struct core_rules {
	struct cls *cls;
	uint32_t nb_rules;  /* 0: the default decides every packet (no cls_match) */
	uint32_t nb_chains;
	/* true when no rule constrains anything but in_port (or there is no
	 * rule): the input port alone decides, port_rule[P] is the rule port
	 * P's frames match (CLS_NO_RULE: the default) */
	bool by_port;
	uint32_t port_rule[CFG_MAX_PORTS];
	uint16_t slot[]; /* chain index in the cfg -> core.chain_tab slot */
};

/* Configuration changes by command, written by the control thread. */
struct core_cfg_stats {
	uint64_t changes; /* changes in force */
	uint64_t refused; /* changes refused (nothing changed) */
};

struct core_port_stats {
	uint64_t rx;
	uint64_t rx_bursts; /* RX bursts that brought at least one packet */
	uint64_t tx;
	uint64_t tx_drop;
} __rte_cache_aligned;

/* An af_packet port's sockets, whose ring-full drops the core reads
 * (afpacket.c). */
#define CORE_AFP_MAX_FDS 16
struct core_afp_ring {
	int fds[CORE_AFP_MAX_FDS];
	unsigned int nb_fds;
	uint64_t drops; /* since start-up */
};

enum core_dp_role { CORE_DP_RX = 1, CORE_DP_TX = 2, CORE_DP_BOTH = 3 };

struct core {
	struct cfg cfg;
	const char *cfg_path;
	char prefix[64];
	/* Classification state: c->cfg's rules and chains are the control
	 * thread's; the datapath reads only *rules and chain_tab (rules.c). */
	struct core_rules *rules;
	struct core_chain *chain_tab; /* CORE_CHAIN_SLOTS, append-only */
	unsigned int nb_slots;        /* entries of chain_tab in use */
	struct core_cfg_stats cfg_st;
	unsigned int wait_nfs;

	struct core_pool pools[CORE_MAX_POOLS];
	unsigned int nb_pools;
	/* index in pools of trust group g's pool on NUMA socket s, or -1 */
	int pool_of[CFG_MAX_GROUPS][RTE_MAX_NUMA_NODES];

	uint16_t nb_ports;
	struct core_port_stats port_st[RTE_MAX_ETHPORTS];
	uint16_t port_mtu[RTE_MAX_ETHPORTS];       /* the device's MTU */
	uint32_t port_frame_max[RTE_MAX_ETHPORTS]; /* MTU + Ethernet header */
	/* a returned descriptor's port byte → how many frame lengths from
	 * CORE_FRAME_MIN up the port sends whole: port_frame_max -
	 * CORE_FRAME_MIN + 1 for a port that exists, 0 for every other value
	 * (core_validate_out()) */
	uint32_t port_out_lim[256];
	uint64_t port_imissed[RTE_MAX_ETHPORTS];   /* last rte_eth_stats.imissed read */
	struct core_afp_ring afp[RTE_MAX_ETHPORTS];
	/* IPv4 fragments: headers (direct) and references into the packet
	 * (indirect), both in the core's private memory, never in a pool
	 * region an NF maps. */
	struct rte_mempool *frag_direct;
	struct rte_mempool *frag_indirect;
	uint8_t role_used[CFG_MAX_ROLES]; /* role named by the config */

	/* NF table, owned by the control thread; nf_lock guards it against
	 * the telemetry thread. The datapath only reads *view. */
	pthread_mutex_t nf_lock;
	struct core_nf *nfs[CORE_MAX_NFS];
	struct core_view *view;
	unsigned int nb_attached;
	struct rte_rcu_qsbr *qsbr;

	struct rte_ring *fwd; /* TX lcore → RX lcore, split mode only */
	/* core.placement = "load": the RX side's flow table (flows.h), else NULL */
	struct core_flows *flows;
	struct core_dos *dos; /* the attack detector (dos.h), RX side */
	uint32_t nf_gen;      /* control thread: the last generation given to an NF */
	struct core_lcore_stats lst[2];

	int listen_fd;
	struct core_ctl_stats ctl_st;
	int cmd_fd;                      /* the command socket (cmd.c) */
	struct cmd_client *cmd_clients;  /* CORE_CMD_CLIENTS of them */
	struct core_cmd_stats cmd_st;
	pthread_t ctl_thread;
	volatile bool quit;     /* datapath lcores stop */
	volatile bool ctl_quit; /* control thread stops */
};

/* cmd.c: the command socket, NFs' control channels */
int core_cmd_path(const struct core *c, char *buf, size_t len);
int core_sock_replaceable(const char *path, char *err, size_t errlen);
int core_cmd_open(struct core *c, char *err, size_t errlen);
void core_cmd_close(struct core *c);
uint64_t core_cmd_bytes(void);
void core_cmd_nf_init(struct core_nf *nf, uint64_t off);
void core_cmd_nf_gone(struct core *c, struct core_nf *nf);
void core_cmd_event(struct core *c, int epfd, uint32_t tag);
int core_cmd_round(struct core *c, int wait_ms);
void core_cmd_stop(struct core *c);

/* cmd_core.c */
int core_cmd_core(struct core *c, const char *text, size_t len, char **out, size_t *out_len);

/* rules.c */
int core_rules_init(struct core *c, char *err, size_t errlen);
int core_rules_apply(struct core *c, struct cfg *next, char *err, size_t errlen);
void core_rules_free(struct core *c);

/* pool.c */
int core_pool_create(struct core *c, struct core_pool *p, unsigned int id, int socket,
		     char *err, size_t errlen);
void core_pool_fill_ports(struct core *c);
void core_pool_hdr_restore(struct core_pool *p);
void core_pool_destroy(struct core_pool *p);
unsigned int core_pool_free_count(const struct core_pool *p);

/* nf.c */
struct core_nf *core_nf_create(struct core *c, uint16_t id, uint16_t role, uint16_t nb_queues,
			       char *err, size_t errlen);
void core_nf_reclaim(struct core *c, struct core_nf *nf);
void core_nf_destroy(struct core_nf *nf);
uint64_t core_nf_held(const struct core_nf *nf);

/* attach.c */
int core_view_publish(struct core *c);
int core_attach_open(struct core *c, char *err, size_t errlen);
int core_attach_start(struct core *c);
void core_attach_stop(struct core *c);
void core_detach_all(struct core *c);

/* datapath.c */
int core_dp_loop(void *arg); /* arg: struct core_dp_args */
struct core_dp_args {
	struct core *c;
	enum core_dp_role role;
	unsigned int tid; /* QSBR thread id, 0 or 1 */
};

/* egress.c */
int core_frag_pools_create(struct core *c, unsigned int tx_desc, char *err, size_t errlen);
void core_frag_pools_free(struct core *c);
int core_frag_ipv4(struct core *c, struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **out,
		   unsigned int max, enum core_drop *why);

/* telemetry.c */
struct rte_eth_dev_info;
int core_afp_check(uint16_t port, const struct rte_eth_dev_info *info, uint32_t room, FILE *warn,
		   char *err, size_t errlen);
void core_afp_ring_open(struct core *c, uint16_t port, unsigned int ifindex);
uint64_t core_afp_ring_drops(struct core *c, uint16_t port);
void core_afp_ring_close(struct core *c, uint16_t port);

int core_telemetry_register(struct core *c);
void core_telemetry_unregister(struct core *c);
void core_stats_print(struct core *c, FILE *f, const char *prefix, bool nonzero);
void core_rates_print(struct core *c, FILE *f, struct core_port_stats *prev, double secs);

#endif /* CORE_H */
