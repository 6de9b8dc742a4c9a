/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's attack detector (dos.h). Per window of CORE_DOS_WINDOW_MS the
 * table counts each IPv4 source's packets; a slot belongs to one source per
 * window (a slot last written in an earlier window is free). A source's
 * count reaching the limit lists it, under a spinlock that only that event
 * and the control thread's list/clear take: once per heavy source and
 * window, never per packet.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>

#include "dos.h"

struct dos_slot {
	uint32_t ip;   /* network order */
	uint32_t win;  /* window the count is for */
	uint32_t cnt;
};

struct dos_offender {
	uint32_t ip;        /* network order */
	uint64_t since_ms;  /* when it was listed, ms since the core started */
};

struct core_dos {
	/* control thread writes, RX side reads */
	uint64_t src_pps;
	uint32_t limit;        /* packets per window; 0: off */
	/* RX side only */
	uint64_t win_tsc;
	uint64_t start_tsc;
	struct dos_slot slot[CORE_DOS_SLOTS];
	/* the list: under lock */
	rte_spinlock_t lock;
	unsigned int nb;
	struct dos_offender off[CORE_DOS_MAX_OFFENDERS];
	uint64_t events;
	uint64_t list_full;
};

struct core_dos *
core_dos_create(int socket)
{
	struct core_dos *d = rte_zmalloc_socket("netvm_dos", sizeof(*d), RTE_CACHE_LINE_SIZE,
						socket);

	if (d == NULL)
		return NULL;
	rte_spinlock_init(&d->lock);
	d->win_tsc = rte_get_tsc_hz() / 1000 * CORE_DOS_WINDOW_MS;
	d->start_tsc = rte_rdtsc();
	return d;
}

void
core_dos_free(struct core_dos *d)
{
	rte_free(d);
}

/* List source @ip (RX side), unless it is listed already. */
static void
dos_list(struct core_dos *d, uint32_t ip, uint64_t now)
{
	unsigned int i;

	rte_spinlock_lock(&d->lock);
	for (i = 0; i < d->nb && d->off[i].ip != ip; i++)
		;
	if (i == d->nb) {
		if (d->nb == CORE_DOS_MAX_OFFENDERS) {
			d->list_full++;
		} else {
			d->off[d->nb].ip = ip;
			d->off[d->nb].since_ms = (now - d->start_tsc) * CORE_DOS_WINDOW_MS /
						 d->win_tsc;
			d->nb++;
			d->events++;
		}
	}
	rte_spinlock_unlock(&d->lock);
}

void
core_dos_count(struct core_dos *d, const struct cls_key *const *kp, unsigned int n,
	       uint64_t now)
{
	uint32_t limit = __atomic_load_n(&d->limit, __ATOMIC_RELAXED), win;
	unsigned int i;

	if (limit == 0)
		return;
	win = (uint32_t)((now - d->start_tsc) / d->win_tsc);
	for (i = 0; i < n; i++) {
		const struct cls_key *k = kp[i];
		struct dos_slot *s;

		if (!k->ipv4)
			continue;
		s = &d->slot[(k->src_ip * 2654435761u) >> (32 - 12)];
		if (s->win != win || s->ip != k->src_ip) {
			if (s->win == win && s->cnt > limit / 2)
				continue; /* a heavy source holds the slot this window */
			s->ip = k->src_ip;
			s->win = win;
			s->cnt = 0;
		}
		if (++s->cnt == limit)
			dos_list(d, k->src_ip, now);
	}
}

_Static_assert(CORE_DOS_SLOTS == 1 << 12, "the slot hash takes 12 bits");

void
core_dos_stats_get(const struct core_dos *d, struct core_dos_stats *st)
{
	struct core_dos *w = (struct core_dos *)(uintptr_t)d; /* the lock only */

	st->src_pps = __atomic_load_n(&d->src_pps, __ATOMIC_RELAXED);
	rte_spinlock_lock(&w->lock);
	st->events = d->events;
	st->offenders = d->nb;
	st->list_full = d->list_full;
	rte_spinlock_unlock(&w->lock);
}

int
core_dos_cmd(struct core_dos *d, char *args, FILE *f, char *err, size_t errlen)
{
	char verb[16] = "", key[16] = "", val[24] = "", more[2], *end, ip[INET_ADDRSTRLEN];
	int words = sscanf(args, "%15s %15s %23s %1s", verb, key, val, more);
	unsigned long long pps;
	unsigned int i;

	if (strcmp(verb, "list") == 0 && words == 1) {
		fprintf(f, "src_pps %" PRIu64 "\n", __atomic_load_n(&d->src_pps, __ATOMIC_RELAXED));
		rte_spinlock_lock(&d->lock);
		for (i = 0; i < d->nb; i++)
			fprintf(f, "offender %s since_ms %" PRIu64 "\n",
				inet_ntop(AF_INET, &d->off[i].ip, ip, sizeof(ip)),
				d->off[i].since_ms);
		rte_spinlock_unlock(&d->lock);
		return 0;
	}
	if (strcmp(verb, "clear") == 0 && words == 1) {
		rte_spinlock_lock(&d->lock);
		d->nb = 0;
		rte_spinlock_unlock(&d->lock);
		fprintf(f, "offenders cleared\n");
		return 0;
	}
	if (strcmp(verb, "set") == 0) {
		pps = strtoull(val, &end, 10);
		if (words != 3 || strcmp(key, "src_pps") != 0 || val[0] < '0' || val[0] > '9' ||
		    *end != '\0' || pps > 100000000ull) {
			snprintf(err, errlen, "dos set src_pps N: N packets per second from one "
				 "source, 0..100000000 (0: off)");
			return -EINVAL;
		}
		__atomic_store_n(&d->src_pps, pps, __ATOMIC_RELAXED);
		/* a non-zero rate below one packet per window still counts */
		__atomic_store_n(&d->limit, pps == 0 ? 0 :
				 (uint32_t)RTE_MAX(pps * CORE_DOS_WINDOW_MS / 1000, 1ull),
				 __ATOMIC_RELAXED);
		fprintf(f, "src_pps %llu (over %u packets in %u ms)\n", pps,
			__atomic_load_n(&d->limit, __ATOMIC_RELAXED), CORE_DOS_WINDOW_MS);
		return 0;
	}
	snprintf(err, errlen, "dos list | dos set src_pps N | dos clear");
	return -EINVAL;
}
