/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_slow — a test NF for load-aware placement (tests/functional/placement.py).
 *
 * Sends every packet out of port 1 with its Ethernet source MAC set to
 * 02:00:00:00:00:MARK, so that the output capture tells which instance
 * forwarded each packet, after sleeping --delay-us microseconds per packet
 * (0: no sleep), so that one instance of a role can be made slower than
 * another. Options:
 *   --delay-us US   sleep per packet (0..1000000, default 0)
 *   --mark N        last byte of the source MAC (0..255, default 0)
 * Counters (printed at exit): slow_packets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlib.h"

#define SLOW_OUT_PORT 1

struct slow {
	unsigned long delay_us;
	uint8_t mark;
	uint64_t packets;
};

/* Parse @s as an integer in 0..@max into @out; 0, or -EINVAL with a message. */
static int
slow_num(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '-' || s[0] == '\0' || *out > max) {
		fprintf(stderr, "nf_slow: %s: '%s' is not 0..%lu\n", opt, s, max);
		return -EINVAL;
	}
	return 0;
}

static int
slow_init(struct nl_ctx *ctx, int argc, char **argv, void **state)
{
	struct slow *s = calloc(1, sizeof(*s));
	unsigned long v;
	int i;

	(void)ctx;
	if (s == NULL)
		return -ENOMEM;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--delay-us") == 0 && i + 1 < argc) {
			if (slow_num(argv[i], argv[i + 1], 1000000, &s->delay_us) < 0)
				goto bad;
			i++;
		} else if (strcmp(argv[i], "--mark") == 0 && i + 1 < argc) {
			if (slow_num(argv[i], argv[i + 1], 255, &v) < 0)
				goto bad;
			s->mark = (uint8_t)v;
			i++;
		} else {
			fprintf(stderr, "nf_slow: unknown option '%s'\n", argv[i]);
			goto bad;
		}
	}
	*state = s;
	return 0;
bad:
	free(s);
	return -EINVAL;
}

static int
slow_pkt(struct nl_pkt *p, void *state)
{
	struct slow *s = state;

	if (s->delay_us > 0) {
		struct timespec ts = { .tv_sec = (time_t)(s->delay_us / 1000000),
				       .tv_nsec = (long)(s->delay_us % 1000000) * 1000 };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	if (p->len >= 12) {
		static const uint8_t mac[5] = { 0x02, 0x00, 0x00, 0x00, 0x00 };

		memcpy(p->data + 6, mac, sizeof(mac));
		p->data[11] = s->mark;
	}
	__atomic_fetch_add(&s->packets, 1, __ATOMIC_RELAXED);
	return nl_out(p, SLOW_OUT_PORT);
}

static void
slow_stats(void *state, FILE *f)
{
	struct slow *s = state;

	fprintf(f, "slow_packets %llu\n",
		(unsigned long long)__atomic_load_n(&s->packets, __ATOMIC_RELAXED));
}

static const struct nl_nf slow_nf = {
	.name = "nf_slow",
	.usage = "  --delay-us US  sleep US microseconds per packet (default 0)\n"
		 "  --mark N       set the source MAC to 02:00:00:00:00:N (default 0)\n",
	.init = slow_init,
	.pkt = slow_pkt,
	.stats = slow_stats,
	.fini = free,
};

NL_NF_MAIN(slow_nf)
