/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_af_packet ports: start-up checks of the PACKET_MMAP ring the vdev's
 * arguments ask for, and the receive ring's losses.
 *
 * DPDK 22.11's af_packet PMD (drivers/net/af_packet) reads `blocksz`
 * (default: the page size, 4096), `framesz` (default 2048) and `framecnt`
 * (default 512). It walks the ring as if frames were contiguous, which
 * holds only when blocksz is a multiple of framesz: otherwise the kernel
 * leaves a gap at the end of each block and the port receives nothing. The
 * PMD refuses a buffer with less than framesz - 32 bytes of room (the
 * tpacket2 header); the kernel puts an Ethernet frame further in, 66 bytes
 * (the header and room for a 16-byte link header, aligned to 16, less the
 * 14 bytes of Ethernet header), so a frame holds framesz - 66 bytes of
 * packet and a longer one arrives cut short. The PMD never reads
 * PACKET_STATISTICS, so the kernel's ring-full drops are not in
 * rte_eth_stats.imissed: the core reads them from the PMD's sockets (found
 * by their interface index) and adds them to port<P>_rx_missed.
 */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>

#include "core.h"

#define AFP_DRIVER "net_af_packet"
#define AFP_DEF_FRAMESZ 2048u
#define AFP_DEF_FRAMECNT 512u
#define AFP_FRAME_HDR (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
/* where the kernel's tpacket_rcv() puts an Ethernet frame in a TPACKET_V2
 * ring frame: TPACKET_ALIGN(TPACKET2_HDRLEN + 16) - ETH_HLEN */
#define AFP_FRAME_OFF (TPACKET_ALIGN(TPACKET2_HDRLEN + 16) - 14)

static pthread_mutex_t afp_lock = PTHREAD_MUTEX_INITIALIZER;

/* The value of @key in @kv as an unsigned integer, @def when absent;
 * -1 when it is not a number. */
static long
kv_uint(const struct rte_kvargs *kv, const char *key, long def)
{
	const char *v = rte_kvargs_get(kv, key);
	char *end;
	long n;

	if (v == NULL)
		return def;
	n = strtol(v, &end, 10);
	return (*end != '\0' || n <= 0) ? -1 : n;
}

static long
lcm(long a, long b)
{
	long x = a, y = b, t;

	while (y != 0) {
		t = x % y;
		x = y;
		y = t;
	}
	return a / x * b;
}

static unsigned long
pow2_at_least(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Warn when @iface computes transmit checksums late (offload on). */
static void
csum_warn(uint16_t port, const char *iface, FILE *warn)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GTXCSUM };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ev.data != 0)
		fprintf(warn, "netvm-core: warning: port %u (af_packet on %s): transmit checksum "
			"offload is on: with a veth pair the kernel leaves TCP/UDP checksums to be "
			"filled in later, af_packet hands the packets over as they are and the "
			"receiver drops them (ping works, TCP does not). Turn it off on both ends: "
			"ethtool -K %s tx off (and on its peer)\n", port, iface, iface);
	close(fd);
}

/* Check af_packet port @port's ring arguments against a buffer of @room
 * bytes after the headroom and warn about checksum offload on its
 * interface. Returns 0 (also for any other driver), or -EINVAL with a
 * message in @err naming the values and what to change. */
int
core_afp_check(uint16_t port, const struct rte_eth_dev_info *info, uint32_t room, FILE *warn,
	       char *err, size_t errlen)
{
	const struct rte_devargs *da;
	struct rte_kvargs *kv;
	long framesz, blocksz, framecnt;
	const char *iface;
	int r = 0;

	if (info->driver_name == NULL || strcmp(info->driver_name, AFP_DRIVER) != 0)
		return 0;
	da = info->device != NULL ? rte_dev_devargs(info->device) : NULL;
	kv = da != NULL && da->args != NULL ? rte_kvargs_parse(da->args, NULL) : NULL;
	if (kv == NULL)
		return 0; /* the PMD parsed them: nothing to say */
	framesz = kv_uint(kv, "framesz", AFP_DEF_FRAMESZ);
	blocksz = kv_uint(kv, "blocksz", getpagesize());
	framecnt = kv_uint(kv, "framecnt", AFP_DEF_FRAMECNT);
	iface = rte_kvargs_get(kv, "iface");
	if (framesz < 0 || blocksz < 0 || framecnt < 0) {
		snprintf(err, errlen, "port %u (%s): framesz, blocksz and framecnt must be "
			 "positive integers", port, da->name);
		r = -EINVAL;
	} else if (blocksz % framesz != 0) {
		snprintf(err, errlen, "port %u (%s): blocksz %ld is not a multiple of framesz %ld: "
			 "the af_packet PMD would receive nothing; use a framesz that divides "
			 "blocksz (framesz=2048 with blocksz=4096), or blocksz=%ld (a multiple of "
			 "framesz and of the page size)", port, da->name, blocksz, framesz,
			 lcm(framesz, getpagesize()));
		r = -EINVAL;
	} else if ((unsigned long)framesz - AFP_FRAME_HDR > room) {
		snprintf(err, errlen, "port %u (%s): framesz %ld carries frames of up to %lu bytes, "
			 "and DPDK's af_packet PMD wants buffers of %lu bytes for it; a buffer "
			 "holds only %u (core.buffer_size minus %u of headroom): set "
			 "core.buffer_size = %lu (docs/quickstart.md), or framesz to at most %lu",
			 port, da->name, framesz,
			 framesz > (long)AFP_FRAME_OFF ? (unsigned long)framesz - AFP_FRAME_OFF : 0ul,
			 (unsigned long)framesz - AFP_FRAME_HDR, room,
			 (unsigned int)RTE_PKTMBUF_HEADROOM,
			 pow2_at_least((unsigned long)framesz - AFP_FRAME_HDR + RTE_PKTMBUF_HEADROOM),
			 ((unsigned long)room + AFP_FRAME_HDR) & ~15ul);
		r = -EINVAL;
	}
	if (r == 0 && iface != NULL)
		csum_warn(port, iface, warn);
	rte_kvargs_free(kv);
	return r;
}

/* Find the AF_PACKET sockets of port @port (bound to interface index
 * @ifindex) among this process's descriptors, to read their drops later.
 * Nothing is found for other drivers; never fails. */
void
core_afp_ring_open(struct core *c, uint16_t port, unsigned int ifindex)
{
	struct core_afp_ring *ring = &c->afp[port];
	struct dirent *de;
	DIR *d;

	ring->nb_fds = 0;
	if (ifindex == 0 || (d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL && ring->nb_fds < CORE_AFP_MAX_FDS) {
		struct sockaddr_ll sll;
		socklen_t len = sizeof(sll);
		int fd = atoi(de->d_name), type;
		socklen_t tlen = sizeof(type);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_RAW)
			continue;
		if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0 ||
		    sll.sll_family != AF_PACKET || (unsigned int)sll.sll_ifindex != ifindex)
			continue;
		ring->fds[ring->nb_fds++] = fd;
	}
	closedir(d);
}

/* Add what the kernel dropped since the last read (reading resets it). */
static void
ring_collect(struct core_afp_ring *ring)
{
	unsigned int i;

	for (i = 0; i < ring->nb_fds; i++) {
		struct tpacket_stats st;
		socklen_t len = sizeof(st);

		if (getsockopt(ring->fds[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			ring->drops += st.tp_drops;
	}
}

/* Packets the kernel dropped because port @port's receive ring was full,
 * since start-up; 0 for a port that is not af_packet. */
uint64_t
core_afp_ring_drops(struct core *c, uint16_t port)
{
	uint64_t drops;

	pthread_mutex_lock(&afp_lock);
	ring_collect(&c->afp[port]);
	drops = c->afp[port].drops;
	pthread_mutex_unlock(&afp_lock);
	return drops;
}

/* Collect port @port's last drops and forget its sockets: call before the
 * port is stopped, which closes them. */
void
core_afp_ring_close(struct core *c, uint16_t port)
{
	pthread_mutex_lock(&afp_lock);
	ring_collect(&c->afp[port]);
	c->afp[port].nb_fds = 0;
	pthread_mutex_unlock(&afp_lock);
}
