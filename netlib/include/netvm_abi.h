/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvm_abi.h — the shared-memory ABI between the NetVM core engine and NFs.
 *
 * This header is the contract; docs/abi.md explains it in prose. It is shared,
 * unchanged, by the core engine (DPDK), netlib (no DPDK) and guest tools, so it
 * includes nothing but fixed-width types. Nothing in shared memory is a
 * pointer: every party maps a region at a different address, so everything is
 * an offset from the start of its region.
 *
 *   pool region (one hugetlbfs file per NUMA socket in use; core writes the
 *   header once, NIC/core/NFs read and write packet bytes)
 *
 *   0                 bufs_off                                   region_size
 *   +-----------------+------------+------------+-----+------------+
 *   | nvm_pool_hdr    | buffer 0   | buffer 1   | ... | buffer n-1 |
 *   | + port table    | buf_stride | buf_stride |     |            |
 *   +-----------------+------------+------------+-----+------------+
 *
 *   address of buffer i = base + bufs_off + i * buf_stride   (O(1), no search)
 *   first packet byte   = address of buffer d.buf + d.data_off
 *
 *   private region (one per NF instance; its rings, status and control)
 *
 *   0                      ring_off[0]          ring_off[1] ...  ctl_off        stats_off
 *   +----------------------+--------------------+-------------+--+--------------+-----------+
 *   | nvm_priv_hdr         | queue 0: rx ring   | queue 0: tx | ...| req, answer | counters  |
 *   +----------------------+--------------------+-------------+--+--------------+-----------+
 *
 * Rings are single-producer/single-consumer. Producer and consumer indexes
 * are free-running 32-bit counters on separate cache lines; slot = idx & mask.
 * The producer writes slots then publishes prod with a release store; the
 * consumer reads prod with an acquire load, reads slots, then publishes cons
 * with a release store. Neither side trusts the index the other side wrote:
 * see docs/abi.md, "What an NF may do wrong".
 */
#ifndef NETVM_ABI_H
#define NETVM_ABI_H

#include <stdint.h>

#define NVM_ABI_VERSION 2u

#define NVM_POOL_MAGIC 0x4e564d50u /* "NVMP" */
#define NVM_PRIV_MAGIC 0x4e564d52u /* "NVMR" */

#define NVM_CACHE_LINE 64u
#define NVM_MAX_PORTS 32u     /* entries in the pool header's port table */
#define NVM_MAX_QUEUES 8u     /* ring pairs (threads) per NF instance */
#define NVM_ROLE_NONE 0xffffu /* "no role" in a descriptor's arg */
#define NVM_TO_ROLE_MAX 32u   /* TO_ROLE hand-overs one packet may take */

/* What an NF asks the core engine to do with a packet (nvm_desc.action). */
enum nvm_action {
	NVM_ACT_DROP = 0,    /* give the buffer back to the pool */
	NVM_ACT_OUT = 1,     /* transmit on port nvm_desc.port */
	NVM_ACT_TO_ROLE = 2, /* hand to an instance of role nvm_desc.arg */
	NVM_ACT_NEXT = 3,    /* next role of the packet's service chain */
	NVM_ACT_MAX = 4,
};

/*
 * A descriptor: 16 bytes, the only thing that moves between core and NF.
 * On a core→NF ring: buf, data_off, len, port (input port), hash (flow hash).
 * On the NF→core ring: buf, data_off, len, action, port (OUT), arg (TO_ROLE).
 * On the alloc ring: buf only; the NF owns the buffer from then on.
 */
struct nvm_desc {
	uint32_t buf;      /* buffer index in the pool region */
	uint16_t data_off; /* offset of the first packet byte inside the buffer */
	uint16_t len;      /* packet length in bytes */
	uint8_t action;    /* enum nvm_action (NF→core only) */
	uint8_t port;      /* input port (core→NF) or output port (OUT) */
	uint16_t arg;      /* role for NVM_ACT_TO_ROLE */
	uint32_t hash;     /* flow hash computed by the core (core→NF); 0: frame unread */
};
_Static_assert(sizeof(struct nvm_desc) == 16, "descriptor is 16 bytes");

/* Producer and consumer indexes on separate cache lines; slots follow. */
struct nvm_ring {
	volatile uint32_t prod;
	uint8_t pad0[NVM_CACHE_LINE - 4];
	volatile uint32_t cons;
	uint8_t pad1[NVM_CACHE_LINE - 4];
	uint32_t size; /* slots, a power of two; informative, never trusted */
	uint32_t mask;
	uint8_t pad2[NVM_CACHE_LINE - 8];
	struct nvm_desc slots[];
};
_Static_assert(sizeof(struct nvm_ring) == 3 * NVM_CACHE_LINE, "ring header");

/* One entry of the pool header's port table, so NFs know the ports. */
struct nvm_port_info {
	uint8_t mac[6];
	uint8_t up;
	uint8_t pad;
};
_Static_assert(sizeof(struct nvm_port_info) == 8, "port info is 8 bytes");

/* At offset 0 of a pool region. Written by the core once; read-only to NFs. */
struct nvm_pool_hdr {
	uint32_t magic;      /* NVM_POOL_MAGIC */
	uint32_t version;    /* NVM_ABI_VERSION */
	uint64_t region_size;
	uint64_t bufs_off;   /* offset of buffer 0 */
	uint32_t buf_stride; /* bytes per buffer, a power of two */
	uint32_t buf_count;
	uint32_t headroom;   /* default data_off of a received packet */
	uint32_t socket_id;  /* NUMA socket the region lives on */
	uint32_t pool_id;    /* index of this pool (trust group × socket) */
	uint32_t nb_ports;
	struct nvm_port_info ports[NVM_MAX_PORTS];
	uint8_t pad[16];
};
_Static_assert(sizeof(struct nvm_pool_hdr) == 5 * NVM_CACHE_LINE, "pool header");

/* NF states, written by the NF into nvm_priv_hdr.nf_state. */
enum nvm_nf_state {
	NVM_NF_ATTACHING = 0,
	NVM_NF_RUNNING = 1,
	NVM_NF_STOPPING = 2,
	NVM_NF_PARKED = 3, /* queues stopped for a move (docs/control.md `park`) */
};

/* Ring set of one queue (thread) of an NF: offsets from the region start. */
struct nvm_queue_desc {
	uint64_t rx_off;    /* core → NF packets */
	uint64_t tx_off;    /* NF → core packets and returned buffers */
	uint64_t alloc_off; /* core → NF fresh buffers */
	uint64_t pad;
};
_Static_assert(sizeof(struct nvm_queue_desc) == 32, "queue descriptor");

/*
 * At offset 0 of a private region. The core writes everything above the
 * "NF writes" line before the NF learns of the region; the NF writes below.
 */
struct nvm_priv_hdr {
	uint32_t magic;   /* NVM_PRIV_MAGIC */
	uint32_t version; /* NVM_ABI_VERSION */
	uint64_t region_size;
	uint32_t nf_id;      /* instance id given by the core */
	uint16_t role;       /* role this instance serves */
	uint16_t nb_queues;  /* ring sets that follow */
	uint32_t ring_size;  /* slots per rx/tx ring */
	uint32_t alloc_size; /* slots per alloc ring */
	uint32_t pool_id;    /* which pool region the descriptors refer to */
	uint32_t ctl_size;   /* data bytes of each control pipe, a power of two */
	uint64_t ctl_off;    /* request pipe; the answer pipe follows it (docs/abi.md §6) */
	uint64_t stats_off;  /* the NF's published counters (struct nvm_stats) */
	uint32_t stats_slots; /* entries of nvm_stats.slots */
	uint32_t pad0;
	struct nvm_queue_desc queues[NVM_MAX_QUEUES];
	/* ---- NF writes ---- */
	volatile uint32_t nf_state; /* enum nvm_nf_state */
	volatile uint32_t sleeping; /* 1: NF blocks on its doorbell, ring it */
	uint8_t pad2[NVM_CACHE_LINE - 8];
};
_Static_assert(sizeof(struct nvm_priv_hdr) == 2 * NVM_CACHE_LINE + 32 * NVM_MAX_QUEUES,
	       "private header");

/*
 * Control channel (docs/abi.md §6): two byte pipes in the private region,
 * requests core → NF and answers NF → core, each a stream of messages: an
 * nvm_ctl_hdr and `len` bytes of text. The same single-producer/single-
 * consumer discipline as the descriptor rings, with bytes for slots.
 */
struct nvm_pipe {
	volatile uint32_t prod; /* bytes written, free-running */
	uint8_t pad0[NVM_CACHE_LINE - 4];
	volatile uint32_t cons; /* bytes read, free-running */
	uint8_t pad1[NVM_CACHE_LINE - 4];
	uint32_t size;          /* informative, never trusted */
	uint8_t pad2[NVM_CACHE_LINE - 4];
	uint8_t data[];
};
_Static_assert(sizeof(struct nvm_pipe) == 3 * NVM_CACHE_LINE, "pipe header");

#define NVM_PIPE_BYTES(n) (sizeof(struct nvm_pipe) + (uint64_t)(n))

#define NVM_CTL_MAGIC 0x434d564eu  /* "NVMC" */
#define NVM_CTL_MAX_LEN (16u << 20) /* longest request or answer text */

struct nvm_ctl_hdr {
	uint32_t magic;  /* NVM_CTL_MAGIC */
	uint32_t seq;    /* the request's number; its answer repeats it */
	int32_t status;  /* answer: 0 or a negative errno; request: 0 */
	uint32_t len;    /* bytes of text that follow */
};
_Static_assert(sizeof(struct nvm_ctl_hdr) == 16, "control message header");

/*
 * Counters an NF publishes for the core's telemetry: a table it rewrites
 * under a sequence count (odd while it writes), read by the core, which
 * checks every name. Names are NUL-terminated in their 24 bytes.
 */
#define NVM_STAT_NAME 24u
struct nvm_stat {
	char name[NVM_STAT_NAME];
	uint64_t value;
};
_Static_assert(sizeof(struct nvm_stat) == 32, "published counter");

struct nvm_stats {
	volatile uint32_t seq; /* odd while the NF rewrites the table */
	uint32_t count;        /* slots in use */
	uint8_t pad[NVM_CACHE_LINE - 8];
	struct nvm_stat slots[];
};
_Static_assert(sizeof(struct nvm_stats) == NVM_CACHE_LINE, "published counters header");

/* Offset of buffer @buf from the start of the pool region: O(1), no search.
 * The caller checks buf < h->buf_count (against its own copy of the header). */
static inline uint64_t
nvm_buf_offset(const struct nvm_pool_hdr *h, uint32_t buf)
{
	return h->bufs_off + (uint64_t)buf * h->buf_stride;
}

/* Bytes a ring of n slots occupies, rounded to a cache line. */
#define NVM_RING_BYTES(n) \
	((sizeof(struct nvm_ring) + (uint64_t)(n) * sizeof(struct nvm_desc) + NVM_CACHE_LINE - 1) & \
	 ~(uint64_t)(NVM_CACHE_LINE - 1))

/*
 * Attach protocol (docs/abi.md): the framing of QEMU's ivshmem server
 * protocol — every message is one little-endian int64, optionally carrying
 * one file descriptor by SCM_RIGHTS.
 *
 * Host-process NF on the core's attach socket:
 *   NF   → core: NVM_HELLO_MAGIC, NVM_ABI_VERSION, role, nb_queues
 *   core → NF:   0 (protocol version), nf_id, -1 + private region fd,
 *                NVM_MSG_POOL + pool region fd, nf_id + doorbell eventfd
 *   or     core → NF: NVM_MSG_ERROR, -errno   (then closes)
 * A closed socket means the NF is gone: the core reclaims its buffers.
 *
 * A manager attaching on a VM's behalf takes a lease instead:
 *   manager → core: NVM_LEASE_MAGIC, NVM_ABI_VERSION, role, nb_queues, token
 * (token: a non-zero secret of the manager's), answered as above. The manager
 * ends the attachment with NVM_MSG_DETACH before closing. When its socket
 * closes without it (the manager died), the instance stays attached and keeps
 * forwarding for core.lease_s seconds, during which a new manager takes it over:
 *   manager → core: NVM_ADOPT_MAGIC, NVM_ABI_VERSION, nf_id, token
 * answered as above (the same regions); past the lease it is detached.
 *
 * Whatever the hello, the core delivers to an instance only once it has read
 * nf_state == NVM_NF_RUNNING in its private header.
 */
#define NVM_HELLO_MAGIC 0x4e564d48454c4cll /* "NVMHELL" */
#define NVM_LEASE_MAGIC 0x4e564d4c454153ll /* "NVMLEAS" */
#define NVM_ADOPT_MAGIC 0x4e564d41444f50ll /* "NVMADOP" */
#define NVM_MSG_POOL (-2ll)
#define NVM_MSG_ERROR (-3ll)
#define NVM_MSG_DETACH (-4ll)

#endif /* NETVM_ABI_H */
