/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dos.h — the core's attack detector: packets per source (an IPv4 address,
 * or an IPv6 /64) over short windows, on the RX side, before classification
 * drops or delivers them.
 *
 * A source that sends more than the limit within one window (src_pps / 10
 * packets in 100 ms) is listed as an offender, once, and dos_events counts
 * it. Likewise, after classification, TCP SYNs without ACK are counted per
 * role the packets enter (the first role of their chain): a role that gets
 * more than syn_pps / 10 in a window is listed as SYN-flooded (a spoofed-
 * source flood spreads over many sources, each under src_pps). The lists
 * (at most CORE_DOS_MAX_OFFENDERS sources, and the roles) are what
 * netvm-manager reads (`dos list`) to build a filter, with, per entry, how
 * long ago it was last over its limit (quiet_ms: the attack has stopped
 * when every entry is quiet); they are emptied only by `dos clear`.
 * src_pps = 0 and syn_pps = 0 (the defaults) turn counting off.
 *
 * Counting uses a direct-mapped table of CORE_DOS_SLOTS sources per
 * window: two sources on one slot share it, the one already over half the
 * limit keeps it (so a flood is not hidden by a light source on its slot).
 * One datapath lcore (the RX side) owns the table and the list; the control
 * thread only sets the limit and asks for a clear, through atomics. The
 * fast path never logs nor allocates.
 */
#ifndef CORE_DOS_H
#define CORE_DOS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "cls.h"

#define CORE_DOS_SLOTS 4096
#define CORE_DOS_MAX_OFFENDERS 64
#define CORE_DOS_WINDOW_MS 100

struct core_dos;

/* The detector's counters, as telemetry shows them (docs/core.md). */
struct core_dos_stats {
	uint64_t src_pps;   /* the limit in force; 0: off */
	uint64_t syn_pps;   /* the per-role SYN limit in force; 0: off */
	uint64_t syn_roles; /* roles listed now as SYN-flooded */
	uint64_t events;    /* sources listed since start */
	uint64_t offenders; /* sources listed now */
	uint64_t list_full; /* sources over the limit not listed: the list was full */
};

/* Create a detector, off, memory on NUMA socket @socket. Needs the EAL.
 * Returns it, or NULL when out of memory. */
struct core_dos *core_dos_create(int socket);

/* Release a detector (NULL is ignored); cannot fail. */
void core_dos_free(struct core_dos *d);

/* True when either limit is set: the RX side must read every frame's
 * source (and TCP flags) for the detector. Cannot fail. */
bool core_dos_on(const struct core_dos *d);

/* Count @n classified keys at TSC @now (RX side only): each IPv4 one's
 * source. Cannot fail. */
void core_dos_count(struct core_dos *d, const struct cls_key *const *kp, unsigned int n,
		    uint64_t now);

/* As core_dos_count(), for @n IPv6 keys: each source's /64. Cannot fail. */
void core_dos_count6(struct core_dos *d, const struct cls_key6 *const *kp6, unsigned int n,
		     uint64_t now);

/* Count TCP packet @frame (@len bytes, its key @k already extracted and
 * checked by cls_key_extract) entering role @role at TSC @now when it is a
 * SYN without ACK (RX side only). Cannot fail. */
void core_dos_syn(struct core_dos *d, const struct cls_key *k, const uint8_t *frame,
		  uint32_t len, uint16_t role, uint64_t now);

/* As core_dos_syn(), for an IPv6 frame whose key @k6 cls_key_extract() made
 * (CLS_IPV6 or CLS_IPV6_FRAG): its TCP header may follow extension headers;
 * a later fragment has none. Cannot fail. */
void core_dos_syn6(struct core_dos *d, const struct cls_key6 *k6, const uint8_t *frame,
		   uint16_t role, uint64_t now);

/*
 * Run detector command @args (after the word "dos"): "list", "set src_pps
 * N", "set syn_pps N", "clear"; the answer to @f. Control thread. Returns 0, or -EINVAL with
 * the reason in @err.
 */
int core_dos_cmd(struct core_dos *d, char *args, FILE *f, char *err, size_t errlen);

/* Fill @st; any thread. Cannot fail. */
void core_dos_stats_get(const struct core_dos *d, struct core_dos_stats *st);

#endif /* CORE_DOS_H */
