/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * guest_garbage — a misbehaving NF inside a VM, for tests/vm/l3fwd_vm.py.
 *
 * It finds its two regions as netlib's uio transport does (ivshmem devices
 * bound to netvm_uio, told apart by the magic at offset 0 of BAR2), then,
 * bypassing netlib, writes into queue 0's NF->core ring descriptors the core
 * must refuse (docs/abi.md, "What an NF may do wrong"), one kind per step,
 * waiting each time until the core has consumed them:
 *
 *   bad_buf     N buffer indexes >= buf_count
 *   not_owned   N buffers in the pool that this NF does not hold
 *   bad_action  N buffers of its alloc ring, action 200
 *   bad_offset  N buffers of its alloc ring, OUT to port 0, data_off + len past the buffer
 *   bad_port    N buffers of its alloc ring, OUT to port 200
 *   corrupt     a producer index 4 ring sizes ahead: an impossible index
 *
 * Output, one line per step (the test reads the console):
 *   garbage: nf_id 3 role 3 buffers 4095 x 4096 ring 1024 alloc 64 ports 2
 *   garbage: bad_buf sent 4 consumed yes
 *   ...
 *   garbage: corrupt prod +4096 consumed no
 * Exit status 0 when every step but the last was consumed by the core (the
 * last must not be). Usage: guest_garbage [N] (1..16, default 4). Linked
 * statically: the guest image has no shared libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "netvm_abi.h"
#include "nvm_ring.h"

#define GB_MAX_UIO 32
#define GB_MAX_N 16
#define GB_WAIT_MS 5000

struct gb {
	uint8_t *pool, *priv;
	struct nvm_pool_hdr ph;
	struct nvm_priv_hdr rh;
	struct nvm_ring_prod tx;
	struct nvm_ring_cons alloc;
	struct nvm_ring *rx;
};

static uint64_t
sysfs_u64(int num, const char *attr)
{
	char path[96], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/uio/uio%d/%s", num, attr);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return strtoull(buf, NULL, 0);
}

/* Map BAR2 of uio@num if it is an ivshmem device; NULL otherwise. */
static uint8_t *
map_bar2(int num)
{
	uint64_t size = sysfs_u64(num, "maps/map1/size");
	char node[32];
	void *p;
	int fd;

	if (sysfs_u64(num, "device/vendor") != 0x1af4 || sysfs_u64(num, "device/device") != 0x1110 ||
	    size < sizeof(struct nvm_pool_hdr))
		return NULL;
	snprintf(node, sizeof(node), "/dev/uio%d", num);
	fd = open(node, O_RDWR);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, sysconf(_SC_PAGESIZE));
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Find and check both regions, set up the ring views. 0 or -1 with a message. */
static int
gb_attach(struct gb *g)
{
	uint8_t *pools[GB_MAX_UIO];
	unsigned int nb_pools = 0, i;
	uint32_t magic;
	int num;

	for (num = 0; num < GB_MAX_UIO; num++) {
		uint8_t *m = map_bar2(num);

		if (m == NULL)
			continue;
		memcpy(&magic, m, sizeof(magic));
		if (magic == NVM_PRIV_MAGIC && g->priv == NULL)
			g->priv = m;
		else if (magic == NVM_POOL_MAGIC)
			pools[nb_pools++] = m;
	}
	if (g->priv == NULL) {
		fprintf(stderr, "guest_garbage: no NetVM private region (is netvm_uio loaded?)\n");
		return -1;
	}
	memcpy(&g->rh, g->priv, sizeof(g->rh));
	for (i = 0; i < nb_pools; i++) {
		memcpy(&g->ph, pools[i], sizeof(g->ph));
		if (g->ph.pool_id == g->rh.pool_id) {
			g->pool = pools[i];
			break;
		}
	}
	if (g->pool == NULL || g->rh.nb_queues == 0 || g->rh.version != NVM_ABI_VERSION ||
	    g->ph.version != NVM_ABI_VERSION) {
		fprintf(stderr, "guest_garbage: no pool region %u, or headers of another ABI\n",
			g->rh.pool_id);
		return -1;
	}
	nvm_ring_prod_attach(&g->tx, (struct nvm_ring *)(g->priv + g->rh.queues[0].tx_off),
			     g->rh.ring_size);
	nvm_ring_cons_attach(&g->alloc, (struct nvm_ring *)(g->priv + g->rh.queues[0].alloc_off),
			     g->rh.alloc_size);
	g->rx = (struct nvm_ring *)(g->priv + g->rh.queues[0].rx_off);
	((struct nvm_priv_hdr *)g->priv)->nf_state = NVM_NF_RUNNING;
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wait until the core has consumed everything we produced; 1 if it did. */
static int
consumed(struct gb *g)
{
	long waited;

	for (waited = 0; waited < GB_WAIT_MS; waited += 10) {
		if (__atomic_load_n(&g->tx.r->cons, __ATOMIC_ACQUIRE) == g->tx.head)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static int
step(struct gb *g, const char *what, const struct nvm_desc *d, unsigned int n)
{
	int ok = nvm_ring_enqueue_burst(&g->tx, d, n) == n && consumed(g);

	printf("garbage: %s sent %u consumed %s\n", what, n, ok ? "yes" : "no");
	fflush(stdout);
	return ok;
}

/* Is buffer @buf in ring @r between @from and the producer index? */
static int
in_ring(const struct nvm_ring *r, uint32_t mask, uint32_t from, uint32_t buf)
{
	uint32_t prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE), i;

	for (i = from; i != prod && prod - i <= mask + 1; i++)
		if (r->slots[i & mask].buf == buf)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct nvm_desc d[GB_MAX_N], owned[3 * GB_MAX_N];
	struct gb g = { 0 };
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 4, i, k, fails = 0;
	uint32_t buf, stride;
	long waited;

	if (n < 1 || n > GB_MAX_N) {
		fprintf(stderr, "usage: guest_garbage [N]   (1..%d descriptors per step)\n", GB_MAX_N);
		return 2;
	}
	if (gb_attach(&g) < 0)
		return 1;
	stride = g.ph.buf_stride;
	printf("garbage: nf_id %u role %u buffers %u x %u ring %u alloc %u ports %u\n", g.rh.nf_id,
	       g.rh.role, g.ph.buf_count, stride, g.rh.ring_size, g.rh.alloc_size, g.ph.nb_ports);

	/* The core fills the alloc ring; once full it stays so while we take nothing. */
	for (waited = 0; waited < GB_WAIT_MS; waited += 10) {
		if (nvm_ring_count(&g.alloc, g.rh.alloc_size) >= g.rh.alloc_size)
			break;
		sleep_ms(10);
	}
	if (nvm_ring_count(&g.alloc, 3 * n) < 3 * n) {
		fprintf(stderr, "guest_garbage: the core gave no %u fresh buffers\n", 3 * n);
		return 1;
	}

	memset(d, 0, sizeof(d));
	for (i = 0; i < n; i++)
		d[i].buf = i + 1 < n ? g.ph.buf_count + i : 0xffffffffu;
	fails += !step(&g, "bad_buf", d, n);

	/* Buffers we hold are in the alloc ring or the rx ring: pick others. */
	for (i = 0, buf = g.ph.buf_count; i < n && buf-- > 0;) {
		if (in_ring(g.alloc.r, g.alloc.mask, g.alloc.tail, buf) ||
		    in_ring(g.rx, g.rh.ring_size - 1, 0, buf))
			continue;
		d[i++].buf = buf;
	}
	fails += !step(&g, "not_owned", d, n);

	k = nvm_ring_dequeue_burst(&g.alloc, owned, 3 * n);
	for (i = 0; i < n; i++) {
		d[i] = (struct nvm_desc){ .buf = owned[i].buf, .data_off = (uint16_t)g.ph.headroom,
					  .len = 64, .action = 200 };
	}
	fails += !step(&g, "bad_action", d, n);
	for (i = 0; i < n; i++) {
		d[i] = (struct nvm_desc){ .buf = owned[n + i].buf, .data_off = (uint16_t)(stride - 8),
					  .len = 64, .action = NVM_ACT_OUT, .port = 0 };
	}
	fails += !step(&g, "bad_offset", d, n);
	for (i = 0; i < n; i++) {
		d[i] = (struct nvm_desc){ .buf = owned[2 * n + i].buf,
					  .data_off = (uint16_t)g.ph.headroom, .len = 64,
					  .action = NVM_ACT_OUT, .port = 200 };
	}
	fails += !step(&g, "bad_port", d, n);
	if (k != 3 * n)
		fails++;

	/* An impossible producer index: the core must move nothing. */
	__atomic_store_n(&g.tx.r->prod, g.tx.head + 4 * g.rh.ring_size, __ATOMIC_RELEASE);
	sleep_ms(300);
	i = __atomic_load_n(&g.tx.r->cons, __ATOMIC_ACQUIRE) != g.tx.head;
	printf("garbage: corrupt prod +%u consumed %s\n", 4 * g.rh.ring_size, i ? "yes" : "no");
	fails += i;
	printf("garbage: %u step(s) failed\n", fails);
	fflush(stdout);
	return fails ? 1 : 0;
}
