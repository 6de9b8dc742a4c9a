/* SPDX-License-Identifier: BSD-3-Clause */
/* netlib internals: never installed, never included by NFs. */
#ifndef NL_PRIV_H
#define NL_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "netlib.h"
#include "nvm_ctl.h"
#include "nvm_ring.h"

#define NL_BURST 32
#define NL_ALLOC_OUTSTANDING 64 /* packets from nl_pkt_alloc() not yet emitted, per queue */
_Static_assert(NL_ALLOC_OUTSTANDING <= 64, "nl_queue.alloc_out has a bit per packet");
/* What a result that is no action is sent as: an action no core knows, so
 * the core takes the buffer back (bad_action, docs/abi.md §5). */
#define NL_ACT_UNKNOWN UINT8_MAX
_Static_assert(NL_ACT_UNKNOWN >= NVM_ACT_MAX, "NL_ACT_UNKNOWN is no action");

/* netlib's own command-line options (those before "--"). */
struct nl_opts {
	const char *socket_path;
	int role;
	unsigned int nb_queues;
	unsigned int stats_interval; /* seconds, 0 = only at exit */
	unsigned int sleep_after_us; /* idle time before sleeping on the doorbell; 0 = poll */
	const char *transport;       /* "host" or "uio" */
	int app_argc;
	char **app_argv;
};

/* Per-queue counters, printed by nl_stats_print(). */
struct nl_queue_stats {
	uint64_t rx;        /* packets received from the core */
	uint64_t tx;        /* descriptors returned to the core */
	uint64_t bad_desc;  /* descriptors from the core outside the pool */
	uint64_t bad_len;   /* packets the NF left outside their buffer (dropped) */
	uint64_t alloc_ok;  /* nl_pkt_alloc() successes */
	uint64_t alloc_fail;
	uint64_t cycles_app; /* TSC cycles in the NF's callbacks */
	uint64_t cycles_io;  /* TSC cycles moving descriptors (and waiting for room) */
	uint64_t sleeps;    /* times the queue blocked on the doorbell */
	uint64_t wakeups;   /* of which ended by the doorbell */
	uint64_t missed_wakeups; /* of the others: packets waited, the core had not
				  * taken the wake-up on (a lost wake-up) */
};

struct nl_queue {
	struct nl_ctx *ctx;
	unsigned int id;
	struct nvm_ring_cons rx;
	struct nvm_ring_prod tx;
	struct nvm_ring_cons alloc;
	struct nl_queue_stats st;
	uint64_t seq;       /* loop rounds begun; read by nl_quiesce() */
	int outside;        /* 1: the round ran the NF's code and left it (it
			     * waits for room or sleeps); read by nl_quiesce() */
	pthread_t thread;
	struct nl_pkt *free_pkts[NL_ALLOC_OUTSTANDING];
	unsigned int nb_free_pkts;
	uint64_t alloc_out; /* bit i: alloc_pkts[i] is handed out, not emitted yet */
	uint64_t stale;     /* bit i: alloc_pkts[i] was handed out before a re-attach */
	/* kept by a re-attach (nl_queues_setup()): the NF may hold these */
	struct nl_pkt alloc_pkts[NL_ALLOC_OUTSTANDING];
	struct nl_pkt pkts[NL_BURST];
};

/*
 * A transport finds and maps the regions. Host processes use the core's
 * attach socket (nl_transport_host.c); guests map the ivshmem devices
 * through UIO (nl_transport_uio.c).
 */
struct nl_transport {
	const char *name;
	/* Attach and map the pool and private regions into ctx. 0 or -errno,
	 * with a message in err. */
	int (*attach)(struct nl_ctx *ctx, char *err, size_t errlen);
	/* Block until the doorbell rings or @ms pass. Returns 1 if it rang,
	 * 0 on time-out, or a negative errno. */
	int (*wait)(struct nl_ctx *ctx, int ms);
	/* Returns 1 if the core is gone, 0 if not, after waiting up to @ms. */
	int (*core_gone)(struct nl_ctx *ctx, int ms);
	/* Unmap and close everything attach() set up. */
	void (*detach)(struct nl_ctx *ctx);
};

extern const struct nl_transport nl_transport_host; /* nl_transport_host.c */
extern const struct nl_transport nl_transport_uio;  /* nl_transport_uio.c */

/* The NF's side of the control channel (nl_ctl.c), main thread only. */
struct nl_ctl {
	int ready;                /* the pipes are set up and intact */
	int broken;
	struct nvm_pipe_end req, ans;
	struct nvm_ctl_msg in;    /* the request being read */
	struct nvm_ctl_msg out;   /* the answer being written */
	char *answer;             /* its text */
	struct nvm_stats *stats;  /* published counters */
	uint32_t slots;
	uint64_t published_ms;
	FILE *pub;                /* the counters' text, kept open: no allocation */
	char *pub_text;           /* per publication once its buffer is grown */
	size_t pub_len;
	uint64_t commands;        /* commands served */
	uint64_t failed;          /* of which answered with an error */
};

struct nl_ctx {
	const struct nl_nf *nf;
	void *state;
	struct nl_opts opts;
	const struct nl_transport *tp;

	/* filled by the transport */
	int sock;
	int doorbell_fd;
	uint32_t nf_id;
	uint8_t *pool;
	size_t pool_size;
	uint8_t *priv;
	size_t priv_size;

	/* validated private copies of the shared headers */
	struct nvm_pool_hdr pool_hdr;
	struct nvm_priv_hdr priv_hdr;

	unsigned int nb_queues;
	struct nl_queue *queues;
	volatile int stop;
	int stop_asked;          /* nl_stop(): the NF ends its run (atomic) */
	int exiting;             /* the queue threads are joined for good */
	volatile int parking;    /* the queue threads end at their round's end */
	int queues_up;           /* the queue threads run */
	int parked;              /* `park` stopped them (nl_park()) */
	uint64_t reloads;        /* SIGHUPs the reload hook took */
	uint64_t reload_failed;  /* SIGHUPs it refused (or no hook) */
	struct nl_ctl ctl;
};

/* nl_args.c */
int nl_args_parse(int argc, char **argv, const struct nl_nf *nf, struct nl_opts *o);
void nl_usage(FILE *f, const char *prog, const struct nl_nf *nf);

/* nl_attach.c: what the transports share */
int nl_regions_check(struct nl_ctx *ctx, char *err, size_t errlen);
int nl_doorbell_wait(int fd, int ms, size_t size);

/* nl_main.c */
void nl_stats_print(const struct nl_ctx *ctx, FILE *f);
int nl_reload(struct nl_ctx *ctx, const char *why);
int nl_park(struct nl_ctx *ctx, FILE *out);
int nl_resume(struct nl_ctx *ctx, FILE *out);

/* nl_ctl.c */
void nl_ctl_init(struct nl_ctx *ctx);
void nl_ctl_poll(struct nl_ctx *ctx, const char *prog);
int nl_ctl_busy(const struct nl_ctx *ctx);
void nl_ctl_fini(struct nl_ctx *ctx);

/* nl_loop.c */
int nl_queues_setup(struct nl_ctx *ctx);
void *nl_queue_run(void *arg);

#endif /* NL_PRIV_H */
