/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvm-pktgen: a traffic generator and meter for the benchmarks.
 *
 *   netvm-pktgen [EAL options] -- [options]      (see usage())
 *
 * Start-up: EAL, mbuf pool, ports (one RX and one TX queue each), links up,
 * optionally SIGUSR1; then TX for --seconds at the paced rate while RX
 * counts, RX alone for --drain-ms, and one JSON line of results. With two
 * or more lcores RX runs on the first worker lcore, TX on the main one.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "pktgen.h"

#define NB_MBUFS 16383
#define NB_MBUFS_JUMBO 8191 /* frames over 1518 B: buffers of up to 9 KiB, half as many */
#define NB_DESC 1024
#define MAX_SECONDS 1e6 /* -T, --drain-ms, --link-timeout: 11.6 days, in cycles a uint64_t */

static struct pg_ctx pg;
static volatile sig_atomic_t go;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		pg.quit = true;
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- [options]\n"
		"  -t, --tx-port P       send on port P (default 0)\n"
		"  -r, --rx-port P       receive on port P (default 1 if there are two ports, else 0)\n"
		"  -R, --rate PPS        offered rate, packets/s, PPS > 0, k/M/G suffixes\n"
		"                        (default: as fast as the port takes them)\n"
		"  -p, --rate-pct PCT    offered rate as a percentage of --link-gbps for the frame size,\n"
		"                        0 < PCT <= 100 (not with --rate)\n"
		"      --link-gbps G     link speed for --rate-pct, and only with it (default 10)\n"
		"  -s, --size N|imix     frame size with FCS, 64..9000 (default 64),\n"
		"                        or IMIX: 7:4:1 of 64, 570 and 1518 B\n"
		"  -f, --flows N         flows: source address and source port + 0..N-1, N <= 1048576 (default 1)\n"
		"      --src-ip A --dst-ip A --sport P --dport P   first flow (10.0.1.1 10.0.2.1 1024 5001)\n"
		"      --dst-mac M       destination MAC (default 02:00:00:00:00:01)\n"
		"      --pcap FILE       replay FILE in a loop instead (no latency: frames are not stamped;\n"
		"                        not with -s, -f, --src-ip, --dst-ip, --sport, --dport, --dst-mac)\n"
		"  -T, --seconds S       TX time, 0 < S <= 1000000 (default 10)\n"
		"      --drain-ms MS     RX time after TX stops, MS <= 1e9 (default 100)\n"
		"      --retry           resend frames the port refused (backpressure) instead of losing them\n"
		"                        (always so without a rate)\n"
		"      --link-timeout S  wait at most S seconds for the links, S <= 1000000 (default 30)\n"
		"      --wait-signal     once links are up, wait for SIGUSR1 before sending\n"
		"  -o, --json FILE       write the result to FILE (atomically) instead of stdout\n"
		"      --hold            after the result, keep the ports open until SIGINT/SIGTERM\n"
		"      --yield           when a loop finds nothing to do, yield the CPU (for a shared CPU)\n"
		"Frames are Ethernet/IPv4/UDP stamped with a sequence number and the TX TSC.\n",
		prog);
}

/* Is -h or --help among the generator's own arguments (after "--"), or given
 * with no "--" at all? Then the usage is printed before DPDK starts: the EAL
 * would initialise (hugepages, devices) or print only its own usage. */
static bool
help_asked(int argc, char **argv)
{
	static const char *const takes_value[] = {
		"-t", "-r", "-R", "-p", "-s", "-f", "-T", "-o", "--tx-port", "--rx-port",
		"--rate", "--rate-pct", "--link-gbps", "--size", "--flows", "--src-ip",
		"--dst-ip", "--sport", "--dport", "--dst-mac", "--pcap", "--seconds",
		"--drain-ms", "--link-timeout", "--json",
	};
	int i, dashes = -1;
	unsigned int k;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashes = i;
			break;
		}
	for (i = dashes < 0 ? 1 : dashes + 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
		/* an option's value (a file name "-h") is never an option */
		for (k = 0; dashes >= 0 && k < RTE_DIM(takes_value); k++) {
			if (strcmp(argv[i], takes_value[k]) == 0) {
				i++;
				break;
			}
		}
	}
	return false;
}

/* A finite decimal number, with a k/M/G suffix: no sign, no space, no hex. */
static int
parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	/* strtod() would skip blanks and take a sign, 0x10 and nan */
	if ((!isdigit((unsigned char)s[0]) && s[0] != '.') || strpbrk(s, "xX") != NULL)
		return -EINVAL;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1e6, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1e9, end++;
	if (*end != '\0' || !isfinite(v)) /* nan, inf: no rate, no time */
		return -EINVAL;
	*out = v;
	return 0;
}

/* A whole decimal number up to @max: "010" is ten, no sign, no space, no hex. */
static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

/* The value of hex digit @c, or -1. */
static int
hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A MAC address: six groups of one or two hex digits parted by ':'. */
static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;
	int hi, lo;

	for (i = 0; i < 6; i++) {
		hi = hex_digit(*s++);
		if (hi < 0)
			return -EINVAL;
		lo = hex_digit(*s);
		if (lo >= 0)
			s++;
		mac[i] = (uint8_t)(lo >= 0 ? hi << 4 | lo : hi);
		if (*s++ != (i == 5 ? '\0' : ':'))
			return -EINVAL;
	}
	return 0;
}

struct pg_opts {
	double pct, link_gbps, link_timeout;
	bool rate_set, link_set;	/* -R, --link-gbps given */
	int tpl_opt;			/* an option of the templates given (-s ...), or 0 */
	bool wait_signal, hold;
	const char *json;
	long rx_port;
};

static const char *
opt_name(const struct option *opts, int val)
{
	for (; opts->name != NULL; opts++) {
		if (opts->val == val)
			return opts->name;
	}
	return "?";
}

static int
parse_args(struct pg_conf *c, struct pg_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tx-port", required_argument, NULL, 't' },
		{ "rx-port", required_argument, NULL, 'r' },
		{ "rate", required_argument, NULL, 'R' },
		{ "rate-pct", required_argument, NULL, 'p' },
		{ "link-gbps", required_argument, NULL, 'L' },
		{ "size", required_argument, NULL, 's' },
		{ "flows", required_argument, NULL, 'f' },
		{ "src-ip", required_argument, NULL, 'S' },
		{ "dst-ip", required_argument, NULL, 'D' },
		{ "sport", required_argument, NULL, 'a' },
		{ "dport", required_argument, NULL, 'b' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "pcap", required_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "drain-ms", required_argument, NULL, 'd' },
		{ "retry", no_argument, NULL, 'y' },
		{ "link-timeout", required_argument, NULL, 'l' },
		{ "wait-signal", no_argument, NULL, 'w' },
		{ "json", required_argument, NULL, 'o' },
		{ "hold", no_argument, NULL, 'H' },
		{ "yield", no_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int opt, r = 0;

	while ((opt = getopt_long(argc, argv, "t:r:R:p:s:f:T:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			r = parse_uint(optarg, RTE_MAX_ETHPORTS - 1, &v);
			c->tx_port = (uint16_t)v;
			break;
		case 'r':
			r = parse_uint(optarg, RTE_MAX_ETHPORTS - 1, &v);
			o->rx_port = (long)v;
			break;
		case 'R':
			r = parse_rate(optarg, &c->rate_pps);
			if (r == 0 && c->rate_pps <= 0) /* 0 would be no rate: unpaced */
				r = -EINVAL;
			o->rate_set = true;
			break;
		case 'p':
			r = parse_rate(optarg, &o->pct);
			if (r == 0 && (o->pct <= 0 || o->pct > 100))
				r = -EINVAL;
			break;
		case 'L':
			r = parse_rate(optarg, &o->link_gbps);
			if (r == 0 && o->link_gbps <= 0)
				r = -EINVAL;
			o->link_set = true;
			break;
		case 's':
			if (strcmp(optarg, "imix") == 0) {
				c->size = 0;
				break;
			}
			r = parse_uint(optarg, PG_MAX_SIZE, &v);
			if (r == 0 && v < 64)
				r = -EINVAL;
			c->size = (unsigned int)v;
			break;
		case 'f':
			r = parse_uint(optarg, PG_MAX_FLOWS, &v);
			if (r == 0 && v == 0)
				r = -EINVAL;
			c->flows = (unsigned int)v;
			break;
		case 'S':
			r = parse_ip(optarg, &c->src_ip);
			break;
		case 'D':
			r = parse_ip(optarg, &c->dst_ip);
			break;
		case 'a':
			r = parse_uint(optarg, 65535, &v);
			c->sport = (uint16_t)v;
			break;
		case 'b':
			r = parse_uint(optarg, 65535, &v);
			c->dport = (uint16_t)v;
			break;
		case 'M':
			r = parse_mac(optarg, c->dst_mac);
			break;
		case 'P':
			c->pcap = optarg;
			break;
		case 'T':
			r = parse_rate(optarg, &c->seconds);
			if (r == 0 && (c->seconds <= 0 || c->seconds > MAX_SECONDS))
				r = -EINVAL;
			break;
		case 'd':
			r = parse_rate(optarg, &c->drain_ms);
			if (r == 0 && c->drain_ms > MAX_SECONDS * 1e3)
				r = -EINVAL;
			break;
		case 'y':
			c->retry = true;
			break;
		case 'l':
			r = parse_rate(optarg, &o->link_timeout);
			if (r == 0 && o->link_timeout > MAX_SECONDS)
				r = -EINVAL;
			break;
		case 'w':
			o->wait_signal = true;
			break;
		case 'o':
			o->json = optarg;
			break;
		case 'H':
			o->hold = true;
			break;
		case 'Y':
			c->yield = true;
			break;
		case 'h':
			usage(stdout, "netvm-pktgen");
			exit(0);
		default:
			usage(stderr, "netvm-pktgen");
			return -EINVAL;
		}
		if (r != 0) {
			fprintf(stderr, "pktgen: bad value '%s' for --%s (see --help)\n", optarg,
				opt_name(longopts, opt));
			return r;
		}
		if (strchr("sfSDabM", opt) != NULL)
			o->tpl_opt = opt;
	}
	if (optind != argc) {
		fprintf(stderr, "pktgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->rate_set && o->pct > 0) {
		fprintf(stderr, "pktgen: -R/--rate and -p/--rate-pct do not go together\n");
		return -EINVAL;
	}
	if (c->pcap != NULL && o->tpl_opt != 0) {
		fprintf(stderr, "pktgen: --%s does not go with --pcap (its frames are sent as "
			"they are)\n", opt_name(longopts, o->tpl_opt));
		return -EINVAL;
	}
	if (o->link_set && o->pct == 0) {
		fprintf(stderr, "pktgen: --link-gbps goes with -p/--rate-pct\n");
		return -EINVAL;
	}
	if ((uint64_t)c->src_ip + c->flows - 1 > UINT32_MAX) {
		fprintf(stderr, "pktgen: --flows %u overflows the source address\n", c->flows);
		return -EINVAL;
	}
	return 0;
}

static int
port_setup(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	int r;

	r = rte_eth_dev_configure(port, 1, 1, &conf);
	if (r == 0)
		r = rte_eth_rx_queue_setup(port, 0, NB_DESC, rte_eth_dev_socket_id(port),
					   NULL, mp);
	if (r == 0)
		r = rte_eth_tx_queue_setup(port, 0, NB_DESC, rte_eth_dev_socket_id(port), NULL);
	if (r == 0)
		r = rte_eth_dev_start(port);
	if (r != 0) {
		fprintf(stderr, "pktgen: port %u: set-up failed: %s\n", port, rte_strerror(-r));
		return r;
	}
	rte_eth_promiscuous_enable(port); /* not every PMD has it: ignored */
	return 0;
}

/* Wait until the link of @port is up; 0, or -ETIMEDOUT (or -EINTR). */
static int
wait_link(uint16_t port, double timeout)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(timeout * (double)pg.hz);
	struct rte_eth_link link;

	while (!pg.quit) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return 0;
		if (rte_rdtsc() > end) {
			fprintf(stderr, "pktgen: port %u: link down after %.0f s\n", port, timeout);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	return -EINTR;
}

static int
rx_loop(void *arg)
{
	struct pg_ctx *ctx = arg;
	uint64_t end;

	while (!ctx->quit && !ctx->tx_done) {
		if (pg_rx_step(ctx) == 0 && ctx->conf.yield)
			sched_yield();
	}
	end = rte_rdtsc() + (uint64_t)(ctx->conf.drain_ms * 1e-3 * (double)ctx->hz);
	while (!ctx->quit && rte_rdtsc() < end) {
		/* the NF sharing the CPU has the last frames to forward */
		if (pg_rx_step(ctx) == 0 && ctx->conf.yield)
			sched_yield();
	}
	return 0;
}

static void
run(struct pg_ctx *ctx)
{
	bool single = rte_lcore_count() < 2;
	unsigned int rx_lcore = rte_get_next_lcore(-1, 1, 0);
	uint64_t now, end;

	ctx->tx.start_tsc = rte_rdtsc();
	end = ctx->tx.start_tsc + (uint64_t)(ctx->conf.seconds * (double)ctx->hz);
	ctx->tx.stop_tsc = end;
	if (!single)
		rte_eal_remote_launch(rx_loop, ctx, rx_lcore);
	for (now = ctx->tx.start_tsc; !ctx->quit; now = rte_rdtsc()) {
		uint64_t offered = ctx->tx.offered;
		unsigned int n;

		if (now >= end && ctx->conf.rate_pps == 0)
			break;
		n = pg_tx_step(ctx, now);
		if (single)
			n += pg_rx_step(ctx);
		/* Past the end, what was due by then and is not offered yet
		 * (the CPU was taken away just before it) is offered first. */
		if (now >= end && ctx->tx.offered == offered)
			break;
		/* Idle: let a process that shares this CPU (an NF) run. */
		if (n == 0 && ctx->conf.yield)
			sched_yield();
	}
	ctx->tx.end_tsc = now < end ? now : end; /* the rates are over -T, what was offered */
	ctx->tx_done = true;
	if (single)
		rx_loop(ctx);
	else
		rte_eal_wait_lcore(rx_lcore);
}

/* Where the result goes: stdout, or -o FILE through FILE.tmp and a rename. */
struct pg_result {
	const char *path;		/* NULL: stdout */
	char tmp[PATH_MAX];
	FILE *f;			/* FILE.tmp, open from the start to the result */
};

/* Open FILE.tmp before any traffic, so that a result that cannot be written
 * is said at once, not after the run; 0 or a negative errno, said. */
static int
result_open(struct pg_result *res, const char *path)
{
	int e;

	res->path = path;
	res->f = NULL;
	if (path == NULL)
		return 0;
	if (snprintf(res->tmp, sizeof(res->tmp), "%s.tmp", path) >= (int)sizeof(res->tmp)) {
		fprintf(stderr, "pktgen: -o %s: file name too long\n", path);
		return -ENAMETOOLONG;
	}
	res->f = fopen(res->tmp, "w");
	if (res->f == NULL) {
		e = errno;
		fprintf(stderr, "pktgen: -o %s: %s: %s\n", path, res->tmp, strerror(e));
		return -e;
	}
	return 0;
}

/* Drop FILE.tmp when no result is written (an error before the end). */
static void
result_abandon(struct pg_result *res)
{
	if (res->f == NULL)
		return;
	fclose(res->f);
	res->f = NULL;
	unlink(res->tmp);
}

static int
write_result(const struct pg_ctx *ctx, struct pg_result *res)
{
	int e;

	if (res->path == NULL) {
		pg_meas_print(ctx, stdout);
		return 0;
	}
	pg_meas_print(ctx, res->f);
	e = fclose(res->f) != 0 ? errno : 0;
	res->f = NULL;
	if (e == 0 && rename(res->tmp, res->path) != 0)
		e = errno;
	if (e != 0) {
		fprintf(stderr, "pktgen: -o %s: %s\n", res->path, strerror(e));
		unlink(res->tmp);
		return -e;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct pg_opts o = { .link_gbps = 10, .link_timeout = 30, .rx_port = -1 };
	struct pg_result res = { .path = NULL };
	struct pg_conf *c = &pg.conf;
	uint16_t port, room;
	int n, r;

	/* Before the EAL: a port probe may let a peer in, who may signal. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	if (help_asked(argc, argv)) {
		usage(stdout, "netvm-pktgen");
		return 0;
	}
	rte_openlog_stream(stderr); /* stdout is for the result */
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "pktgen: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	*c = (struct pg_conf){ .size = 64, .flows = 1, .src_ip = 0x0a000101, .dst_ip = 0x0a000201,
			       .sport = 1024, .dport = 5001, .seconds = 10, .drain_ms = 100,
			       .dst_mac = { 0x02, 0, 0, 0, 0, 0x01 } };
	r = parse_args(c, &o, argc, argv);
	if (r == 0)
		r = result_open(&res, o.json);
	if (r != 0)
		goto out;
	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "pktgen: no port (give one with --vdev or -a)\n");
		r = -ENODEV;
		goto out;
	}
	c->rx_port = o.rx_port >= 0 ? (uint16_t)o.rx_port :
		     rte_eth_dev_count_avail() > 1 ? 1 : 0;
	if (!rte_eth_dev_is_valid_port(c->tx_port) || !rte_eth_dev_is_valid_port(c->rx_port)) {
		fprintf(stderr, "pktgen: no port %u\n",
			rte_eth_dev_is_valid_port(c->tx_port) ? c->rx_port : c->tx_port);
		r = -ENODEV;
		goto out;
	}
	pg.hz = rte_get_tsc_hz();
	pg.rx.ns_mult = (uint64_t)(1e9 * (double)(1 << 20) / (double)pg.hz);
	r = pg_gen_init(&pg);
	if (r != 0)
		goto out;
	/* One buffer per frame: the room of the largest frame (template or record) */
	room = RTE_MBUF_DEFAULT_BUF_SIZE;
	if (pg_gen_max_len(&pg) > RTE_ETHER_MAX_LEN - PG_FCS)
		room = (uint16_t)RTE_ALIGN_CEIL(RTE_PKTMBUF_HEADROOM + pg_gen_max_len(&pg), 64);
	pg.mp = rte_pktmbuf_pool_create("pktgen", room > RTE_MBUF_DEFAULT_BUF_SIZE ?
					NB_MBUFS_JUMBO : NB_MBUFS, 256, 0, room, rte_socket_id());
	if (pg.mp == NULL) {
		fprintf(stderr, "pktgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		pg_gen_free(&pg);
		r = -ENOMEM;
		goto out;
	}
	if (c->rate_pps == 0 && o.pct == 0)
		c->retry = true; /* unpaced: as fast as the port takes them */
	if (o.pct > 0)
		c->rate_pps = o.link_gbps * 1e9 * o.pct / 100 /
			      ((pg_gen_avg_size(&pg) + PG_WIRE_EXTRA) * 8);
	r = port_setup(c->tx_port, pg.mp);
	if (r == 0 && c->rx_port != c->tx_port)
		r = port_setup(c->rx_port, pg.mp);
	if (r == 0)
		r = wait_link(c->tx_port, o.link_timeout);
	if (r == 0)
		r = wait_link(c->rx_port, o.link_timeout);
	while (r == 0 && o.wait_signal && !go && !pg.quit)
		usleep(1000);
	if (r == 0 && pg.quit)
		r = -EINTR;
	if (r == -EINTR)
		fprintf(stderr, "pktgen: stopped by a signal before sending: no result\n");
	if (r == 0)
		run(&pg);
	if (r == 0)
		r = write_result(&pg, &res);
	while (r == 0 && o.hold && !pg.quit)
		usleep(10000);
	pg_gen_free(&pg);
	RTE_ETH_FOREACH_DEV(port) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
out:
	result_abandon(&res);
	rte_eal_cleanup();
	return r == 0 ? 0 : 1;
}
