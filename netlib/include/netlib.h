/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netlib.h — what an NF developer links against.
 *
 * An NF is one C file: a struct nl_nf with a per-packet (or burst) callback,
 * and NL_NF_MAIN(). netlib attaches to the core engine, maps the pool and the
 * NF's private region, runs one polling loop per thread (one ring set each),
 * calls the callback for every packet and carries out the returned action.
 * Argument parsing, signals and statistics are done here, not in the apps.
 *
 * Error convention: functions returning int give 0 (or a count) on success
 * and a negative errno on failure; constructors give a pointer or NULL.
 */
#ifndef NETLIB_H
#define NETLIB_H

#include <stdint.h>
#include <stdio.h>

#include "netvm_abi.h"

struct nl_ctx;   /* one attached NF instance */
struct nl_queue; /* one thread's ring set */

/* A packet handed to a callback; valid until the callback returns. */
struct nl_pkt {
	uint8_t *data;   /* first packet byte, inside the shared pool region */
	uint16_t len;    /* packet length */
	uint8_t in_port; /* port the packet arrived on */
	uint8_t out_port;  /* set by nl_out() */
	uint16_t role;     /* set by nl_to_role() */
	uint32_t hash;     /* flow hash computed by the core engine; 0 when it did
			    * not read the frame (core.rx_parse, docs/config.md) */
	struct nl_queue *q;   /* queue this packet is processed on */
	struct nvm_desc desc; /* the descriptor (netlib internal) */
};

/* Callback results: return NL_DROP, NL_NEXT, nl_out(p, port) or nl_to_role(p, role).
 * Any other number (7, -1, 257) is sent as an action the core does not know,
 * not cut to its low bits: the core takes the buffer back (bad_action,
 * docs/abi.md §5). The same holds for nl_pkt_emit()'s @action. */
#define NL_DROP NVM_ACT_DROP
#define NL_NEXT NVM_ACT_NEXT

/* Send the packet out of port @port. A port above 255 is sent as 255, which
 * no core has: the core takes the buffer back (bad_port, docs/abi.md §5). */
static inline int
nl_out(struct nl_pkt *p, unsigned int port)
{
	p->out_port = port > UINT8_MAX ? UINT8_MAX : (uint8_t)port;
	return NVM_ACT_OUT;
}

/* Hand the packet to an instance of role @role (the core spreads by flow).
 * A role above 255 is refused by the core (bad_role), one above 65535 too:
 * it is sent as NVM_ROLE_NONE, not cut to its low bits. A packet goes to a
 * role this way at most NVM_TO_ROLE_MAX times; the core drops it at the next
 * (hop_limit). */
static inline int
nl_to_role(struct nl_pkt *p, unsigned int role)
{
	p->role = role > UINT16_MAX ? NVM_ROLE_NONE : (uint16_t)role;
	return NVM_ACT_TO_ROLE;
}

/*
 * A command from the control channel: the words of its first line, and what
 * follows that line (a file's contents, say), NUL-terminated. The answer is
 * text written to @out.
 */
struct nl_cmd {
	int argc;
	char **argv;
	const char *data;
	size_t len;
	FILE *out;
};

/*
 * An NF. Only name and one of pkt/burst are required.
 *
 * init:  parse the app's own arguments (those after "--"); store state in
 *        *state. Return 0 or a negative errno (netlib prints usage and exits).
 * pkt:   one packet; return the action.
 * burst: n packets; write each packet's action to actions[i]. Used instead
 *        of pkt when set. An action left unset is none: the core takes
 *        that packet's buffer back (bad_action, docs/abi.md §5).
 * stats: print the app's own counters, NAME VALUE per line. Called from
 *        netlib's main thread: at exit, with --stats, for the `stats`
 *        command, and every 200 ms while the NF runs, to publish them for
 *        the core's telemetry (docs/control.md), so keep it cheap.
 * reload: SIGHUP arrived: re-read configuration (rules, routes) into state.
 *        Called from netlib's main thread while the queue threads keep
 *        calling pkt/burst, so build the new tables beside the old ones,
 *        publish them with one atomic pointer store, then nl_quiesce() before
 *        freeing the old ones. Return 0, or a negative errno after printing
 *        why: the NF then runs on with what it had. Without a reload hook
 *        SIGHUP is logged and ignored (it never ends the NF).
 * command: a command from the control channel (`netvmctl nf cmd ID ...`,
 *        docs/control.md): called from the main thread, like reload. Write
 *        the answer to cmd->out; return 0, -ENOTSUP for a command the NF
 *        does not know, or another negative errno (say why in cmd->out).
 *        A positive number (a count) is a success, answered as 0; a
 *        negative one that is no errno (below -4095) is answered -EIO,
 *        saying so.
 *        netlib answers `help`, `stats`, `reload`, `park` and `resume`
 *        itself when they come without words after them; with words they
 *        come here, and -ENOTSUP for them is answered -EINVAL, "'help'
 *        takes no words after it" (docs/control.md).
 * commands: one line per command the NF knows, for `help`.
 * idle:  the queue's rx ring was empty: do the work that does not wait for
 *        packets (timers, packet sources; packets from nl_pkt_alloc()).
 *        Called from the queue's own thread, like pkt/burst, after every
 *        empty poll. Return 0 when it did work (netlib polls again at once
 *        and does not count the round as idle), else the microseconds until
 *        it next has something to do, NL_IDLE_NEVER when only packets can
 *        give it work: with --sleep-after-us a queue sleeps no longer than
 *        that. Optional.
 * fini:  free state.
 */
struct nl_nf {
	const char *name;
	const char *usage; /* help text for the app's own options */
	int (*init)(struct nl_ctx *ctx, int argc, char **argv, void **state);
	int (*pkt)(struct nl_pkt *pkt, void *state);
	void (*burst)(struct nl_pkt **pkts, uint16_t n, uint8_t *actions, void *state);
	void (*stats)(void *state, FILE *f);
	int (*reload)(struct nl_ctx *ctx, void *state);
	int (*command)(struct nl_ctx *ctx, void *state, struct nl_cmd *cmd);
	const char *commands;
	uint64_t (*idle)(struct nl_queue *q, void *state);
	void (*fini)(void *state);
};

/* nl_nf.idle's answer when nothing is due until packets arrive. */
#define NL_IDLE_NEVER UINT64_MAX

/*
 * Run NF @nf: parse netlib's options (see nl_usage()), attach, run until
 * SIGINT/SIGTERM or until the core engine goes away, detach. Returns the
 * process exit status.
 */
int nl_main(int argc, char **argv, const struct nl_nf *nf);

#define NL_NF_MAIN(nf) \
	int main(int argc, char **argv) { return nl_main(argc, argv, &(nf)); }

/* Number of ports the core engine has (from the pool header). */
unsigned int nl_nb_ports(const struct nl_ctx *ctx);

/* Copy the MAC address of port @port to @mac; -EINVAL if no such port. */
int nl_port_mac(const struct nl_ctx *ctx, unsigned int port, uint8_t mac[6]);

/* Role this instance serves. */
unsigned int nl_role(const struct nl_ctx *ctx);

/* Number of queue threads this instance runs (--queues). */
unsigned int nl_nb_queues(const struct nl_ctx *ctx);

/*
 * Ask netlib to end the NF's run, as SIGINT does: within a round of the main
 * thread (20 ms) the queue threads stop, the counters are printed, the fini
 * hook runs and nl_main() returns 0. Safe from any thread (pkt, burst, idle).
 */
void nl_stop(struct nl_ctx *ctx);

/*
 * What the queue threads are doing, for a hook of the main thread (stats,
 * reload, command) that would read state a queue thread owns:
 * NL_RUN_LIVE, they run (ask them, do not touch it); NL_RUN_PAUSED, they are
 * stopped for now (`park`, a re-attach); NL_RUN_OVER, stopped for good (the
 * last stats print at exit, fini).
 */
enum nl_run_state { NL_RUN_LIVE, NL_RUN_PAUSED, NL_RUN_OVER };
enum nl_run_state nl_run_state(const struct nl_ctx *ctx);

/*
 * Wait until every queue thread has finished the burst it was in when this
 * was called (or is stopping), so that nothing it read before still holds a
 * pointer the caller replaced: after it, old tables can be freed. A queue
 * whose hooks have returned has finished, even while it waits for room on
 * its ring to the core (a core stopped or gone) or sleeps. Call it from the
 * main thread (a reload hook), never from pkt/burst/idle. Returns 0.
 */
int nl_quiesce(struct nl_ctx *ctx);

/*
 * Take a fresh buffer for a packet the NF creates (a reply, a copy).
 * Returns NULL when none is available right now (count it and go on): the
 * core's alloc ring of @q is empty, or 64 packets of @q are allocated and
 * not emitted yet (a queue holds at most that many at a time).
 * The packet starts empty (len 0) with the pool's headroom; fill p->data and
 * set p->len (at most nl_pkt_room(p)), then nl_pkt_emit() it.
 * Call it, nl_pkt_emit() and nl_pkt_emit_wait() from @q's own thread only
 * (its pkt, burst or idle hook): a queue's rings and packets are that
 * thread's, with no lock; from the main thread (command, reload) or another
 * queue's they would race with it.
 */
struct nl_pkt *nl_pkt_alloc(struct nl_queue *q);

/* Bytes available from p->data to the end of its buffer. */
uint32_t nl_pkt_room(const struct nl_pkt *p);

/*
 * Give a packet from nl_pkt_alloc() to the core with @action (NL_DROP gives
 * the buffer back). Returns 0; -EINVAL if @p did not come from nl_pkt_alloc()
 * on @q or was emitted already (it is then the core's), or if its data left
 * the buffer and @action is not NL_DROP (a drop takes the buffer back
 * wherever its data is); -ESTALE if @p was allocated before a re-attach
 * (not sent: its buffer went back with the core the NF left; @p is free
 * again); -ENOBUFS if the ring to the core is full (the buffer is then
 * still the NF's: emit it again later). Sent to a role (nl_to_role()), it
 * goes to the instance its headers' flow hash picks (the core reads them
 * then; a packet that is not IP, or is cut short, is one flow whatever it
 * holds); NL_NEXT drops it (it is in no chain).
 */
int nl_pkt_emit(struct nl_queue *q, struct nl_pkt *p, int action);

/*
 * nl_pkt_emit(), but a full ring is waited on (the core drains it), as
 * netlib waits with the packets an NF returns: -ENOBUFS only when the NF is
 * stopping or parking meanwhile. Other results as nl_pkt_emit().
 */
int nl_pkt_emit_wait(struct nl_queue *q, struct nl_pkt *p, int action);

/* Move the start of packet data by @delta bytes (negative: prepend room).
 * Returns 0, or -EINVAL if the packet would leave its buffer or @delta is
 * more than its length. */
int nl_pkt_adj(struct nl_pkt *p, int delta);

#endif /* NETLIB_H */
