/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_dup — a test NF for buffer allocation (tests/functional/alloc.py).
 *
 * For every packet: take a fresh buffer with nl_pkt_alloc(), copy the packet
 * into it, mark the copy by setting its Ethernet source MAC to
 * 02:00:00:00:00:99, emit the copy out of port 1 with nl_pkt_emit(), then
 * return the original, unchanged, out of port 1.
 *
 * Order on the wire: a copy reaches the core the moment it is emitted, an
 * original when netlib returns the whole burst after the callbacks. So each
 * burst comes out as the copies of its packets, in order, followed by the
 * originals of the same packets, in order.
 *
 * An empty alloc ring or a full ring to the core is waited out for at most
 * --wait-us microseconds (the core refills and drains them; default 5 s:
 * the tests check what comes out, not how fast, and a loaded machine can
 * keep the core's lcore off the CPU for a good part of a second); then the
 * copy is given up and counted. Counters (printed at exit):
 *   dup_copies      copies emitted
 *   dup_alloc_fail  packets not copied: no fresh buffer in time
 *   dup_too_big     packets not copied: longer than a fresh buffer's room
 *   dup_emit_fail   copies not emitted: the ring to the core stayed full
 *                   (their buffers stay with the NF until it detaches)
 *
 * --to-role R sends the copies to role R (nl_to_role()) instead of port 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlib.h"

#define DUP_DEFAULT_WAIT_US 5000000
#define DUP_OUT_PORT 1

static const uint8_t dup_mark_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };

/* Counters shared by the queue threads: atomic adds. */
struct dup {
	uint64_t wait_ns;
	long to_role; /* -1: copies go out of port 1 */
	uint64_t copies;
	uint64_t alloc_fail;
	uint64_t too_big;
	uint64_t emit_fail;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static int
dup_init(struct nl_ctx *ctx, int argc, char **argv, void **state)
{
	struct dup *d = calloc(1, sizeof(*d));
	unsigned long us = DUP_DEFAULT_WAIT_US;
	long role = -1;
	char *end;
	int i;

	(void)ctx;
	if (d == NULL)
		return -ENOMEM;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--wait-us") == 0 && i + 1 < argc) {
			errno = 0;
			us = strtoul(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || argv[i][0] == '-' || us > 10000000) {
				fprintf(stderr, "nf_dup: --wait-us: '%s' is not 0..10000000\n",
					argv[i]);
				free(d);
				return -EINVAL;
			}
		} else if (strcmp(argv[i], "--to-role") == 0 && i + 1 < argc) {
			errno = 0;
			role = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || end == argv[i] || role < 0 ||
			    role > 65535) {
				fprintf(stderr, "nf_dup: --to-role: '%s' is not 0..65535\n",
					argv[i]);
				free(d);
				return -EINVAL;
			}
		} else {
			fprintf(stderr, "nf_dup: unknown option '%s'\n", argv[i]);
			free(d);
			return -EINVAL;
		}
	}
	d->wait_ns = (uint64_t)us * 1000u;
	d->to_role = role;
	*state = d;
	return 0;
}

/* A fresh buffer, waiting up to d->wait_ns for the core to refill the ring. */
static struct nl_pkt *
alloc_wait(const struct dup *d, struct nl_queue *q)
{
	struct nl_pkt *c = nl_pkt_alloc(q);
	uint64_t deadline;

	if (c != NULL || d->wait_ns == 0)
		return c;
	deadline = now_ns() + d->wait_ns;
	do {
		__builtin_ia32_pause();
		c = nl_pkt_alloc(q);
	} while (c == NULL && now_ns() < deadline);
	return c;
}

/* Emit @c with @action, waiting up to d->wait_ns for room on the ring. */
static int
emit_wait(const struct dup *d, struct nl_queue *q, struct nl_pkt *c, int action)
{
	int r = nl_pkt_emit(q, c, action);
	uint64_t deadline;

	if (r != -ENOBUFS || d->wait_ns == 0)
		return r;
	deadline = now_ns() + d->wait_ns;
	do {
		__builtin_ia32_pause();
		r = nl_pkt_emit(q, c, action);
	} while (r == -ENOBUFS && now_ns() < deadline);
	return r;
}

static int
dup_pkt(struct nl_pkt *p, void *state)
{
	struct dup *d = state;
	struct nl_pkt *c = alloc_wait(d, p->q);
	int action;

	if (c == NULL) {
		count(&d->alloc_fail);
		return nl_out(p, DUP_OUT_PORT);
	}
	if (p->len > nl_pkt_room(c)) {
		count(&d->too_big);
		c->len = 0;
		action = NL_DROP;
	} else {
		memcpy(c->data, p->data, p->len);
		c->len = p->len;
		if (c->len >= 12)
			memcpy(c->data + 6, dup_mark_mac, sizeof(dup_mark_mac));
		action = d->to_role >= 0 ? nl_to_role(c, (unsigned int)d->to_role) :
					   nl_out(c, DUP_OUT_PORT);
	}
	if (emit_wait(d, p->q, c, action) < 0)
		count(&d->emit_fail);
	else if (action != NL_DROP)
		count(&d->copies);
	return nl_out(p, DUP_OUT_PORT);
}

static void
dup_stats(void *state, FILE *f)
{
	struct dup *d = state;

	fprintf(f, "dup_copies %llu\ndup_alloc_fail %llu\ndup_too_big %llu\ndup_emit_fail %llu\n",
		(unsigned long long)__atomic_load_n(&d->copies, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&d->alloc_fail, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&d->too_big, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&d->emit_fail, __ATOMIC_RELAXED));
}

static const struct nl_nf dup_nf = {
	.name = "nf_dup",
	.usage = "  --wait-us US   wait at most US microseconds for a fresh buffer or for\n"
		 "                 room on the ring to the core (default 5000000)\n"
		 "  --to-role R    send the copies to role R instead of port 1\n",
	.init = dup_init,
	.pkt = dup_pkt,
	.stats = dup_stats,
	.fini = free,
};

NL_NF_MAIN(dup_nf)
