/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's attack detector (dos.h). Per window of CORE_DOS_WINDOW_MS the
 * table counts each IPv4 source's packets; a slot belongs to one source per
 * window (a slot last written in an earlier window is free). A source's
 * count going over the limit (its packet src_pps / 10 + 1 in the window, the
 * fraction dropped) lists it, under a spinlock that only that event and the
 * control thread's list/clear take: once per heavy source and window, never
 * per packet.
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
#include "nl_hdr.h"

/* A source: an IPv4 address, or an IPv6 /64 (an attacker holds a whole
 * /64 as easily as one address), as on the wire. */
struct dos_src {
	uint64_t a;  /* IPv4: the address in the first 4 bytes, the rest 0; IPv6: the /64 */
	uint8_t v6;
};

struct dos_slot {
	struct dos_src src;
	uint32_t win;  /* window the count is for */
	uint32_t cnt;
};

struct dos_offender {
	struct dos_src src;
	uint64_t since_ms;  /* when it was listed, ms since the core started */
	uint64_t last_ms;   /* the last window it was over the limit in */
};

static inline bool
same_src(const struct dos_src *a, const struct dos_src *b)
{
	return a->a == b->a && a->v6 == b->v6;
}

/* A role's SYNs in one window (RX side), and whether it is listed. */
struct dos_role {
	uint32_t win;
	uint32_t cnt;
	uint8_t listed;     /* under lock */
	uint64_t since_ms;  /* under lock */
	uint64_t last_ms;   /* under lock */
};

struct core_dos {
	/* control thread writes, RX side reads */
	uint64_t src_pps;
	uint32_t limit;        /* the packet in a window that is over src_pps; 0: off */
	uint64_t syn_pps;
	uint32_t syn_limit;    /* the SYN in a window and role that is over syn_pps; 0: off */
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
	unsigned int nb_roles;
	struct dos_role role[CFG_MAX_ROLES]; /* win, cnt: RX side; the rest under lock */
};

/* Milliseconds since the core started at TSC @now. */
static inline uint64_t
dos_ms(const struct core_dos *d, uint64_t now)
{
	return (now - d->start_tsc) * CORE_DOS_WINDOW_MS / d->win_tsc;
}

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

/* List source @src (RX side), or note that a listed one is over again. */
static void
dos_list(struct core_dos *d, const struct dos_src *src, uint64_t now)
{
	uint64_t ms = dos_ms(d, now);
	unsigned int i;

	rte_spinlock_lock(&d->lock);
	for (i = 0; i < d->nb && !same_src(&d->off[i].src, src); i++)
		;
	if (i < d->nb) {
		d->off[i].last_ms = ms;
	} else if (d->nb == CORE_DOS_MAX_OFFENDERS) {
		d->list_full++;
	} else {
		d->off[d->nb].src = *src;
		d->off[d->nb].since_ms = d->off[d->nb].last_ms = ms;
		d->nb++;
		d->events++;
	}
	rte_spinlock_unlock(&d->lock);
}

/* One SYN into role @role (< CFG_MAX_ROLES) at @now, @limit the SYNs in a
 * window that are over syn_pps: the role listed when it gets there. */
static void
syn_count(struct core_dos *d, uint16_t role, uint64_t now, uint32_t limit)
{
	struct dos_role *r = &d->role[role];
	uint32_t win = (uint32_t)((now - d->start_tsc) / d->win_tsc);

	if (r->win != win) {
		r->win = win;
		r->cnt = 0;
	}
	if (++r->cnt != limit)
		return;
	rte_spinlock_lock(&d->lock);
	r->last_ms = dos_ms(d, now);
	if (!r->listed) {
		r->listed = 1;
		r->since_ms = r->last_ms;
		d->nb_roles++;
		d->events++;
	}
	rte_spinlock_unlock(&d->lock);
}

/* The offset of @frame's IP header: after the Ethernet header and one
 * 802.1Q tag, as cls_key_extract() skips. */
static inline uint32_t
l3_of(const uint8_t *frame)
{
	return frame[12] == 0x81 && frame[13] == 0x00 ? 18 : 14;
}

void
core_dos_syn(struct core_dos *d, const struct cls_key *k, const uint8_t *frame, uint32_t len,
	     uint16_t role, uint64_t now)
{
	uint32_t limit = __atomic_load_n(&d->syn_limit, __ATOMIC_RELAXED), l3, l4;

	if (limit == 0 || !k->ipv4 || k->proto != 6 || role >= CFG_MAX_ROLES)
		return;
	l3 = l3_of(frame);
	l4 = l3 + (uint32_t)(frame[l3] & 0x0f) * 4;
	/* a later fragment has no TCP header; the flags byte must be there */
	if ((((frame[l3 + 6] & 0x1f) << 8) | frame[l3 + 7]) != 0 || l4 + 14 > len ||
	    (frame[l4 + 13] & 0x12) != 0x02)
		return;
	syn_count(d, role, now, limit);
}

void
core_dos_syn6(struct core_dos *d, const struct cls_key6 *k6, const uint8_t *frame,
	      uint16_t role, uint64_t now)
{
	uint32_t limit = __atomic_load_n(&d->syn_limit, __ATOMIC_RELAXED), end;
	const uint8_t *ip;
	uint8_t proto = 6, frag = 0;
	int off = CLS_IPV6_LEN;

	if (limit == 0 || k6->proto != 6 || role >= CFG_MAX_ROLES)
		return;
	ip = frame + l3_of(frame);
	end = CLS_IPV6_LEN + cls_rd16(ip + 4);
	/* the TCP header past the extension headers, as cls_key6_extract()
	 * found it (whole: 20 bytes); none in a later fragment (0) */
	if (ip[6] != 6)
		off = nl_ipv6_walk_ext(ip, end, &proto, &frag);
	if (off <= 0 || proto != 6 || (uint32_t)off + 14 > end || (ip[off + 13] & 0x12) != 0x02)
		return;
	syn_count(d, role, now, limit);
}

bool
core_dos_on(const struct core_dos *d)
{
	return __atomic_load_n(&d->limit, __ATOMIC_RELAXED) != 0 ||
	       __atomic_load_n(&d->syn_limit, __ATOMIC_RELAXED) != 0;
}

/* Count one packet of source @src in window @win; listed at the @limit-th. */
static inline void
src_count(struct core_dos *d, const struct dos_src *src, uint32_t win, uint32_t limit,
	  uint64_t now)
{
	struct dos_slot *s = &d->slot[((src->a ^ src->v6) * 0x9e3779b97f4a7c15ull) >> (64 - 12)];

	if (s->win != win || !same_src(&s->src, src)) {
		if (s->win == win && s->cnt > (limit - 1) / 2)
			return; /* a heavy source holds the slot this window */
		s->src = *src;
		s->win = win;
		s->cnt = 0;
	}
	if (++s->cnt == limit)
		dos_list(d, src, now);
}

void
core_dos_count(struct core_dos *d, const struct cls_key *const *kp, unsigned int n,
	       uint64_t now)
{
	uint32_t limit = __atomic_load_n(&d->limit, __ATOMIC_RELAXED), win;
	struct dos_src src = { 0, 0 };
	unsigned int i;

	if (limit == 0)
		return;
	win = (uint32_t)((now - d->start_tsc) / d->win_tsc);
	for (i = 0; i < n; i++) {
		if (!kp[i]->ipv4)
			continue;
		src.a = 0;
		memcpy(&src.a, &kp[i]->src_ip, 4);
		src_count(d, &src, win, limit, now);
	}
}

void
core_dos_count6(struct core_dos *d, const struct cls_key6 *const *kp6, unsigned int n,
		uint64_t now)
{
	uint32_t limit = __atomic_load_n(&d->limit, __ATOMIC_RELAXED), win;
	struct dos_src src = { 0, 1 };
	unsigned int i;

	if (limit == 0)
		return;
	win = (uint32_t)((now - d->start_tsc) / d->win_tsc);
	for (i = 0; i < n; i++) {
		memcpy(&src.a, kp6[i]->src, 8);
		src_count(d, &src, win, limit, now);
	}
}

_Static_assert(CORE_DOS_SLOTS == 1 << 12, "the slot hash takes 12 bits");

void
core_dos_stats_get(const struct core_dos *d, struct core_dos_stats *st)
{
	struct core_dos *w = (struct core_dos *)(uintptr_t)d; /* the lock only */

	st->src_pps = __atomic_load_n(&d->src_pps, __ATOMIC_RELAXED);
	st->syn_pps = __atomic_load_n(&d->syn_pps, __ATOMIC_RELAXED);
	rte_spinlock_lock(&w->lock);
	st->syn_roles = d->nb_roles;
	st->events = d->events;
	st->offenders = d->nb;
	st->list_full = d->list_full;
	rte_spinlock_unlock(&w->lock);
}

/* "dos set KEY N": the limit @key (src_pps or syn_pps) to @val. */
static int
dos_set(struct core_dos *d, const char *key, const char *val, FILE *f, char *err, size_t errlen)
{
	bool syn = strcmp(key, "syn_pps") == 0;
	unsigned long long pps;
	uint64_t x;
	uint32_t limit;
	char *end, over[32];
	size_t n;

	pps = strtoull(val, &end, 10);
	if ((!syn && strcmp(key, "src_pps") != 0) || val[0] < '0' || val[0] > '9' ||
	    *end != '\0' || pps > 100000000ull) {
		snprintf(err, errlen, "dos set src_pps|syn_pps N: N packets per second from one "
			 "source, or TCP SYNs into one role, 0..100000000 (0: off)");
		return -EINVAL;
	}
	/* over pps packets per second is over x / 1000 packets per window: the
	 * packet whose count is the whole part + 1 (so a rate below one packet
	 * per window lists a source's first packet) */
	x = pps * CORE_DOS_WINDOW_MS;
	limit = pps == 0 ? 0 : (uint32_t)(x / 1000 + 1);
	__atomic_store_n(syn ? &d->syn_pps : &d->src_pps, pps, __ATOMIC_RELAXED);
	__atomic_store_n(syn ? &d->syn_limit : &d->limit, limit, __ATOMIC_RELAXED);
	if (pps == 0) {
		fprintf(f, "%s 0 (off)\n", key); /* not "over 0 packets": nothing is listed */
		return 0;
	}
	if (x % 1000 == 0) {
		snprintf(over, sizeof(over), "%llu", (unsigned long long)(x / 1000));
	} else {
		n = (size_t)snprintf(over, sizeof(over), "%llu.%03u", (unsigned long long)(x / 1000),
				     (unsigned int)(x % 1000));
		while (over[n - 1] == '0')
			over[--n] = '\0'; /* 0.3, not 0.300 */
	}
	fprintf(f, "%s %llu (over %s %s in %u ms)\n", key, pps, over,
		syn ? "SYNs into a role" : "packets from a source", CORE_DOS_WINDOW_MS);
	return 0;
}

int
core_dos_cmd(struct core_dos *d, char *args, FILE *f, char *err, size_t errlen)
{
	char verb[16] = "", key[16] = "", val[24] = "", more[2], ip[INET6_ADDRSTRLEN];
	int words = sscanf(args, "%15s %15s %23s %1s", verb, key, val, more);
	uint64_t ms = dos_ms(d, rte_rdtsc());
	unsigned int i;

	if (strcmp(verb, "list") == 0 && words == 1) {
		fprintf(f, "src_pps %" PRIu64 "\nsyn_pps %" PRIu64 "\n",
			__atomic_load_n(&d->src_pps, __ATOMIC_RELAXED),
			__atomic_load_n(&d->syn_pps, __ATOMIC_RELAXED));
		rte_spinlock_lock(&d->lock);
		for (i = 0; i < d->nb; i++) {
			uint8_t a[16] = { 0 };

			memcpy(a, &d->off[i].src.a, 8);
			fprintf(f, "offender %s%s since_ms %" PRIu64 " quiet_ms %" PRIu64 "\n",
				inet_ntop(d->off[i].src.v6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip)),
				d->off[i].src.v6 ? "/64" : "", d->off[i].since_ms,
				ms - d->off[i].last_ms);
		}
		for (i = 0; i < CFG_MAX_ROLES; i++)
			if (d->role[i].listed)
				fprintf(f, "syn_role %u since_ms %" PRIu64 " quiet_ms %" PRIu64 "\n",
					i, d->role[i].since_ms, ms - d->role[i].last_ms);
		rte_spinlock_unlock(&d->lock);
		return 0;
	}
	if (strcmp(verb, "clear") == 0 && words == 1) {
		rte_spinlock_lock(&d->lock);
		d->nb = 0;
		d->nb_roles = 0;
		for (i = 0; i < CFG_MAX_ROLES; i++)
			d->role[i].listed = 0;
		rte_spinlock_unlock(&d->lock);
		fprintf(f, "offenders cleared\n");
		return 0;
	}
	if (strcmp(verb, "set") == 0 && words == 3)
		return dos_set(d, key, val, f, err, errlen);
	snprintf(err, errlen, "dos list | dos set src_pps|syn_pps N | dos clear");
	return -EINVAL;
}
