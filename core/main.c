/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvm-core: the core engine.
 *
 *   netvm-core [EAL options] -- -c FILE [-s PATH] [--single-lcore]
 *                               [--stats SECONDS] [--wait-nfs N] [--syslog]
 *
 * Ports are every ethdev the EAL probes (a NIC bound to vfio-pci, or any
 * --vdev), in port-id order. Start-up: EAL, configuration, classifier, pool
 * regions, ports, attach socket, datapath lcores. SIGINT/SIGTERM: stop the
 * lcores, drain and close the ports, detach the NFs (taking back their
 * buffers), print the final counters and check no buffer was lost.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cfg_syslog.h"
#include "core.h"

#define RX_DESC 1024
#define TX_DESC 1024

static struct core *g_core; /* for the signal handler only */

static void
on_signal(int sig)
{
	(void)sig;
	if (g_core != NULL)
		g_core->quit = true;
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- -c FILE [options]\n"
		"  -c, --config FILE    configuration (docs/config.md)\n"
		"  -s, --socket PATH    NF attach socket (overrides core.socket)\n"
		"      --single-lcore   RX and TX on one lcore (overrides core.single_lcore)\n"
		"      --stats SECONDS  print counters every SECONDS (overrides core.stats_interval)\n"
		"      --wait-nfs N     receive nothing until N NFs are attached\n"
		"      --syslog         messages to syslog (daemon facility), not stdout/stderr\n"
		"  -h, --help           this text\n"
		"Ports are the DPDK devices the EAL options give (-a PCI, --vdev ...).\n"
		"DPDK's EAL options: %s -h -- (the EAL's own usage).\n",
		prog, prog);
}

/* Is -h or --help among the core's own arguments (after "--"), or given
 * with no "--" at all? Then the usage is printed before DPDK starts: the
 * EAL would initialise (hugepages, devices) or print only its own usage. */
static bool
help_asked(int argc, char **argv)
{
	int i, dashes = -1;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashes = i;
			break;
		}
	for (i = dashes < 0 ? 1 : dashes + 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
		/* the value of -c or -s is a path, never an option */
		if (dashes >= 0 && (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "-s") == 0 ||
				    strcmp(argv[i], "--config") == 0 ||
				    strcmp(argv[i], "--socket") == 0))
			i++;
	}
	return false;
}

/*
 * Whether every --vdev became a port: DPDK goes on when a virtual device
 * fails to probe (it prints why), and a core with fewer ports than it was
 * given would run with rules and routes meant for the missing one. Returns
 * 0, or -ENODEV with a message in @err naming the first device missing.
 */
static int
vdevs_probed(char *err, size_t errlen)
{
	const struct rte_devargs *da;
	uint16_t port;

	RTE_EAL_DEVARGS_FOREACH("vdev", da) {
		if (rte_eth_dev_get_port_by_name(da->name, &port) == 0)
			continue;
		snprintf(err, errlen, "--vdev %s did not come up as a port (DPDK says why above)%s",
			 da->name, strncmp(da->name, "net_af_packet", 13) != 0 ? "" :
			 "; \"could not set PACKET_FANOUT ... Invalid argument\" means the "
			 "af_packet driver's fanout group (its number is the process id XOR the "
			 "interface index) is taken by another process's socket on another "
			 "interface: start the core again, it gets another process id");
		return -ENODEV;
	}
	return 0;
}

static int
parse_args(struct core *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "single-lcore", no_argument, NULL, 'L' },
		{ "stats", required_argument, NULL, 'S' },
		{ "wait-nfs", required_argument, NULL, 'W' },
		{ "syslog", no_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket = NULL;
	long stats = -1, wait = 0;
	bool single = false;
	unsigned int ports;
	char err[512];
	char *end;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c->cfg_path = optarg;
			break;
		case 's':
			socket = optarg;
			break;
		case 'L':
			single = true;
			break;
		case 'S':
			/* decimal digits only: strtol() would take a blank or a sign */
			stats = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || stats > 86400) {
				fprintf(stderr, "--stats: '%s' is not 0..86400\n", optarg);
				return -EINVAL;
			}
			break;
		case 'W':
			wait = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || wait > CORE_MAX_NFS) {
				fprintf(stderr, "--wait-nfs: '%s' is not 0..%u\n", optarg, CORE_MAX_NFS);
				return -EINVAL;
			}
			break;
		case 'Y':
			r = cfg_syslog_redirect("netvm-core");
			if (r < 0) {
				fprintf(stderr, "--syslog: %s\n", strerror(-r));
				return r;
			}
			/* DPDK's messages once, through the new stdout (its default
			 * stream writes to stderr and to syslog) */
			rte_openlog_stream(stdout);
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netvm-core: unexpected argument '%s' (the core's options are "
			"after --, each value after its option: %s --help)\n", argv[optind],
			argv[0]);
		return -EINVAL;
	}
	if (c->cfg_path == NULL) {
		fprintf(stderr, "a configuration is required: -- -c FILE (see configs/)\n");
		return -EINVAL;
	}
	if (c->cfg_path[0] == '\0') {
		fprintf(stderr, "--config: the path is empty\n");
		return -EINVAL;
	}
	/* checked before the configuration is loaded: nothing to free then */
	if (socket != NULL && socket[0] == '\0') {
		fprintf(stderr, "--socket: the path is empty\n");
		return -EINVAL;
	}
	if (socket != NULL && strlen(socket) >= sizeof(c->cfg.socket_path)) {
		fprintf(stderr, "--socket: path too long: %s\n", socket);
		return -ENAMETOOLONG;
	}
	/* the ports the EAL brought up (probed by now): a rule's in_port must
	 * name one; when a device failed or there are none or too many, main()
	 * says so, and in_port is checked against 0..31 only meanwhile */
	ports = vdevs_probed(err, sizeof(err)) == 0 ? rte_eth_dev_count_avail() : 0;
	r = cfg_load_ports(c->cfg_path, ports <= NVM_MAX_PORTS ? ports : 0, &c->cfg, err,
			   sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return r;
	}
	if (socket != NULL)
		strcpy(c->cfg.socket_path, socket);
	if (single)
		c->cfg.single_lcore = true;
	if (stats >= 0)
		c->cfg.stats_interval = (uint32_t)stats;
	c->wait_nfs = (unsigned int)wait;
	return 0;
}

static int
pool_add(struct core *c, unsigned int group, int socket)
{
	char err[512];
	int r;

	if (c->pool_of[group][socket] >= 0)
		return 0;
	if (c->nb_pools == CORE_MAX_POOLS) {
		fprintf(stderr, "netvm-core: more than %u pools (trust groups x NUMA sockets)\n",
			CORE_MAX_POOLS);
		return -ENOSPC;
	}
	r = core_pool_create(c, &c->pools[c->nb_pools], c->nb_pools, socket, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "pool of trust group '%s' on socket %d: %s\n",
			c->cfg.group_names[group], socket, err);
		core_pool_destroy(&c->pools[c->nb_pools]);
		return r;
	}
	c->pools[c->nb_pools].group = group;
	c->pool_of[group][socket] = (int)c->nb_pools++;
	return 0;
}

/* The pools: each port's receive group's (the default trust group's unless
 * the port is in a group's `ports`) on the port's NUMA socket, the default
 * group's on the main lcore's; every other trust group's on the main
 * lcore's socket, where NFs attach. */
static int
pools_create(struct core *c)
{
	unsigned int g;
	uint16_t port;
	int s, r;

	for (g = 0; g < CFG_MAX_GROUPS; g++)
		for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
			c->pool_of[g][s] = -1;
	for (port = c->nb_ports; port < CFG_MAX_PORTS; port++)
		if (c->cfg.port_group[port] != 0) {
			fprintf(stderr, "netvm-core: trust group '%s' lists port %u, but there are "
				"only %u port(s) (ports 0..%u, from the EAL options)\n",
				c->cfg.group_names[c->cfg.port_group[port]], port, c->nb_ports,
				c->nb_ports ? c->nb_ports - 1u : 0u);
			return -EINVAL;
		}
	for (port = 0; port <= c->nb_ports; port++) {
		s = port < c->nb_ports ? rte_eth_dev_socket_id(port) : (int)rte_socket_id();
		if (s < 0 || s >= RTE_MAX_NUMA_NODES)
			s = 0;
		r = pool_add(c, port < c->nb_ports ? c->cfg.port_group[port] : 0, s);
		if (r < 0)
			return r;
	}
	s = (int)rte_socket_id() < RTE_MAX_NUMA_NODES ? (int)rte_socket_id() : 0;
	for (g = 1; g < c->cfg.nb_groups; g++) {
		r = pool_add(c, g, s);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Whether MTU @mtu is above what device @info reports, on a device that
 * carries longer frames anyway: DPDK 22.11's net_memif reports 1518-byte
 * frames to ethdev, which then refuses a larger MTU, but its receive copies
 * a frame into as many of the core's buffers as it needs (one, when the
 * buffer holds it) and its transmit splits one over as many slots as it
 * needs (its bsize, 2048 by default; chains garble when its ring fills, so
 * docs/config.md says to give bsize >= the frame). On such a device the MTU
 * is the core's alone (egress checks and fragments).
 */
static bool
mtu_chained(const struct rte_eth_dev_info *info, uint32_t mtu)
{
	return strcmp(info->driver_name, "net_memif") == 0 &&
	       mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN > info->max_rx_pktlen;
}

static int
port_init(struct core *c, uint16_t port)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	uint16_t q, nq = (uint16_t)c->cfg.queues;
	int s = rte_eth_dev_socket_id(port), r;
	struct core_pool *pool;
	char err[512];
	bool chained;

	if (s < 0 || s >= RTE_MAX_NUMA_NODES)
		s = 0;
	pool = &c->pools[c->pool_of[c->cfg.port_group[port]][s]];
	r = rte_eth_dev_info_get(port, &info);
	if (r < 0)
		return r;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		fprintf(stderr, "port %u (%s): %u queues asked, the device has %u rx / %u tx\n",
			port, info.driver_name, nq, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	r = core_afp_check(port, &info, rte_pktmbuf_data_room_size(pool->mp) -
			   RTE_PKTMBUF_HEADROOM, stderr, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "netvm-core: %s\n", err);
		return r;
	}
	if (nq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	}
	/* IPv4 fragments are chains: a header mbuf, then the payload in place */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* core.mtu, checked against the buffers by the configuration; 0: ethdev's 1500 */
	chained = c->cfg.mtu != 0 && mtu_chained(&info, c->cfg.mtu);
	conf.rxmode.mtu = chained ? 0 : c->cfg.mtu;
	r = rte_eth_dev_configure(port, nq, nq, &conf);
	if (r < 0 && c->cfg.mtu != 0) {
		fprintf(stderr, "port %u (%s): MTU %u refused (%s): the device takes an MTU of "
			"%u..%u and frames of at most %u bytes; lower core.mtu\n", port,
			info.driver_name, c->cfg.mtu, rte_strerror(-r), info.min_mtu, info.max_mtu,
			info.max_rx_pktlen);
		return r;
	}
	if (r == 0 && (rte_eth_dev_get_mtu(port, &c->port_mtu[port]) < 0 ||
		       c->port_mtu[port] < RTE_ETHER_MIN_MTU)) {
		fprintf(stderr, "port %u (%s): MTU %u: below the %u bytes IPv4 needs\n", port,
			info.driver_name, c->port_mtu[port], RTE_ETHER_MIN_MTU);
		return -EINVAL;
	}
	for (q = 0; r == 0 && q < nq; q++)
		r = rte_eth_rx_queue_setup(port, q, RX_DESC, (unsigned int)s, NULL, pool->mp);
	if (r < 0) {
		fprintf(stderr, "port %u (%s): receive queue: %s (a buffer holds %u bytes after the "
			"headroom: if the device needs more, raise core.buffer_size)\n", port,
			info.driver_name, rte_strerror(-r), pool->stride - RTE_PKTMBUF_HEADROOM);
		return r;
	}
	for (q = 0; r == 0 && q < nq; q++)
		r = rte_eth_tx_queue_setup(port, q, TX_DESC, (unsigned int)s, NULL);
	if (r == 0)
		r = rte_eth_dev_start(port);
	if (r < 0) {
		fprintf(stderr, "port %u (%s): %s\n", port, info.driver_name, rte_strerror(-r));
		return r;
	}
	rte_eth_promiscuous_enable(port); /* not every device can: not an error */
	if (strcmp(info.driver_name, "net_af_packet") == 0)
		core_afp_ring_open(c, port, info.if_index);
	rte_eth_macaddr_get(port, &mac);
	if (chained) {
		printf("port %u: %s reports frames of at most %u bytes to ethdev but carries "
		       "longer ones (give it bsize >= the frame): MTU %u is the core's own\n", port,
		       info.driver_name, info.max_rx_pktlen, c->cfg.mtu);
		c->port_mtu[port] = (uint16_t)c->cfg.mtu;
	}
	c->port_frame_max[port] = c->port_mtu[port] + RTE_ETHER_HDR_LEN;
	c->port_out_lim[port] = c->port_frame_max[port] - CORE_FRAME_MIN + 1;
	printf("port %u: %s MAC " RTE_ETHER_ADDR_PRT_FMT "\n", port, info.driver_name,
	       RTE_ETHER_ADDR_BYTES(&mac));
	printf("port %u: MTU %u: longer IPv4 packets leave as fragments\n", port,
	       c->port_mtu[port]);
	return 0;
}

/* Stop the ports, freeing what they hold, so pcap files are complete and
 * every buffer is back in its pool. */
static void
ports_close(struct core *c)
{
	uint16_t port;

	for (port = 0; port < c->nb_ports; port++) {
		struct rte_eth_stats st;

		core_afp_ring_close(c, port);
		if (rte_eth_stats_get(port, &st) == 0)
			c->port_imissed[port] = st.imissed;
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
}

/* Is every buffer back where it belongs? Prints and returns 0, or -1. */
static int
pools_check(struct core *c)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < c->nb_pools; i++) {
		unsigned int free_count = core_pool_free_count(&c->pools[i]);

		if (free_count != c->pools[i].count) {
			fprintf(stderr, "pool %u: %u of %u buffers free at exit: %u lost\n", i,
				free_count, c->pools[i].count, c->pools[i].count - free_count);
			r = -1;
		}
	}
	return r;
}

static int
start_lcores(struct core *c, struct core_dp_args *args)
{
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);

	args[0] = (struct core_dp_args){ c, CORE_DP_BOTH, 0 };
	if (c->cfg.single_lcore)
		return 0;
	if (worker >= RTE_MAX_LCORE) {
		fprintf(stderr, "RX and TX on separate lcores need two (-l 0,1); "
			"or use --single-lcore\n");
		return -EINVAL;
	}
	args[0].role = CORE_DP_RX;
	args[1] = (struct core_dp_args){ c, CORE_DP_TX, 1 };
	return rte_eal_remote_launch(core_dp_loop, &args[1], worker);
}

int
main(int argc, char **argv)
{
	struct core_dp_args args[2];
	struct core *c;
	char err[512];
	uint16_t port;
	size_t qsz;
	int r, status = 1;

	if (help_asked(argc, argv)) {
		usage(stdout, "netvm-core");
		return 0;
	}
	r = rte_eal_init(argc, argv);
	if (r < 0) {
		fprintf(stderr, "netvm-core: DPDK EAL: %s (check the EAL options and --vdev "
			"devices above; hugepages must be reserved and mounted: scripts/setup.sh)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= r;
	argv += r;
	argv[0] = (char *)"netvm-core";

	c = rte_zmalloc("netvm_core", sizeof(*c), RTE_CACHE_LINE_SIZE);
	if (c == NULL) {
		fprintf(stderr, "netvm-core: out of memory\n");
		goto out_eal;
	}
	c->listen_fd = -1;
	c->cmd_fd = -1;
	pthread_mutex_init(&c->nf_lock, NULL);
	snprintf(c->prefix, sizeof(c->prefix), "%s", basename((char *)rte_eal_get_runtime_dir()));
	if (parse_args(c, argc, argv) < 0)
		goto out_core;
	if (c->cfg.file_prefix[0] != '\0' && strcmp(c->cfg.file_prefix, c->prefix) != 0) {
		fprintf(stderr, "netvm-core: %s: core.file_prefix is '%s' but DPDK runs with '%s': "
			"start with --file-prefix %s\n", c->cfg_path, c->cfg.file_prefix, c->prefix,
			c->cfg.file_prefix);
		goto out_cfg;
	}

	if (vdevs_probed(err, sizeof(err)) < 0) {
		fprintf(stderr, "netvm-core: %s\n", err);
		goto out_cfg;
	}
	c->nb_ports = rte_eth_dev_count_avail();
	if (c->nb_ports == 0) {
		fprintf(stderr, "netvm-core: no ports: give DPDK devices in the EAL options "
			"(-a PCI-ADDRESS, or --vdev net_pcap0,iface=eth0 ...)\n");
		goto out_cfg;
	}
	if (c->nb_ports > NVM_MAX_PORTS) {
		fprintf(stderr, "netvm-core: %u ports, at most %u\n", c->nb_ports, NVM_MAX_PORTS);
		goto out_cfg;
	}
	if (core_rules_init(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "netvm-core: classifier: %s\n", err);
		goto out_cls;
	}
	qsz = rte_rcu_qsbr_get_memsize(2);
	c->qsbr = rte_zmalloc("netvm_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (c->qsbr == NULL || rte_rcu_qsbr_init(c->qsbr, 2) < 0)
		goto out_cls;
	rte_rcu_qsbr_thread_register(c->qsbr, 0);
	rte_rcu_qsbr_thread_register(c->qsbr, 1);
	c->fwd = rte_ring_create("netvm_fwd", 4096, (int)rte_socket_id(),
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (c->fwd == NULL)
		goto out_cls;
	c->dos = core_dos_create((int)rte_socket_id());
	if (c->dos == NULL) {
		fprintf(stderr, "netvm-core: the attack detector: out of memory\n");
		goto out_cls;
	}
	if (c->cfg.placement_load) {
		c->flows = core_flows_create(c->cfg.flow_table_size, c->cfg.flow_idle_ms,
					     (int)rte_socket_id(), err, sizeof(err));
		if (c->flows == NULL) {
			fprintf(stderr, "netvm-core: %s (lower core.flow_table_size, or "
				"core.placement = \"hash\")\n", err);
			goto out_cls;
		}
	}

	if (pools_create(c) < 0)
		goto out_pools;
	if (core_frag_pools_create(c, TX_DESC, err, sizeof(err)) < 0) {
		fprintf(stderr, "netvm-core: %s\n", err);
		goto out_pools;
	}
	for (port = 0; port < c->nb_ports; port++)
		if (port_init(c, port) < 0)
			goto out_ports;
	core_pool_fill_ports(c);
	if (core_attach_open(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "netvm-core: %s\n", err);
		goto out_ports;
	}
	if (core_cmd_open(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "netvm-core: %s\n", err);
		goto out_socket;
	}
	if (core_telemetry_register(c) < 0)
		fprintf(stderr, "netvm-core: telemetry off (registering /netvm/stats failed)\n");

	g_core = c;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (core_attach_start(c) < 0) {
		fprintf(stderr, "netvm-core: cannot start the control thread\n");
		goto out_socket;
	}
	if (start_lcores(c, args) < 0) {
		c->quit = true;
		goto out_ctl;
	}
	printf("netvm-core: %u port(s), %u pool(s) of %u buffers, %s mode, placement %s, "
	       "NFs attach at %s\n", c->nb_ports, c->nb_pools, c->cfg.pool_buffers,
	       c->cfg.single_lcore ? "single-lcore" : "RX/TX lcore", c->cfg.placement_name,
	       c->cfg.socket_path);
	fflush(stdout);
	core_dp_loop(&args[0]);
	rte_eal_mp_wait_lcore();
	status = 0;
out_ctl:
	core_attach_stop(c);
out_socket:
	core_cmd_close(c);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->cfg.socket_path);
	}
out_ports:
	ports_close(c);
	core_detach_all(c);
	if (c->fwd != NULL) {
		void *m = NULL;

		while (rte_ring_dequeue(c->fwd, &m) == 0)
			rte_pktmbuf_free(m);
	}
	if (status == 0) {
		core_stats_print(c, stdout, "stat", false);
		if (pools_check(c) < 0)
			status = 1;
	}
out_pools:
	core_telemetry_unregister(c); /* its readers are done before anything is freed */
	core_frag_pools_free(c);
	for (unsigned int i = 0; i < c->nb_pools; i++)
		core_pool_destroy(&c->pools[i]);
	rte_ring_free(c->fwd);
out_cls:
	core_flows_free(c->flows); /* the lcores are done with it */
	core_dos_free(c->dos);
	free(c->view); /* the last one published; no lcore reads it any more */
	rte_free(c->qsbr);
	core_rules_free(c);
out_cfg:
	cfg_free(&c->cfg);
out_core:
	rte_free(c);
out_eal:
	rte_eal_cleanup();
	return status;
}
