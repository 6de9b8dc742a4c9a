/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pool regions. A pool region is one hugetlb memfd (a file with no name in
 * any directory: only those the core hands its fd to can map it), mapped
 * shared, laid out as netvm_abi.h says (header, then buf_count buffers of
 * buf_stride bytes). Its size is sealed, so no NF can truncate it under
 * the core; the core keeps its own copy of the header and writes it again
 * before each attach, so an NF that scribbles on it misleads no later NF. It is registered as DPDK external memory and the mbuf pool is
 * built with pinned external buffers in it: the mbuf headers stay in the
 * core's own memory (a guest cannot corrupt them), the packet bytes are
 * written by the port straight into the region every NF maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "core.h"

#define HUGETLBFS_MAGIC 0x958458f6
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26 /* linux/memfd.h */
#endif

_Static_assert(CFG_HEADROOM == RTE_PKTMBUF_HEADROOM, "core.mtu's check assumes DPDK's headroom");

static uint32_t
log2u(uint32_t v)
{
	return 31 - (uint32_t)__builtin_clz(v);
}

/* Make, size, seal and map the hugetlb memfd, reserving its pages up front
 * so a shortage is an error now rather than a SIGBUS later. */
static int
region_map(struct core *c, struct core_pool *p, char *err, size_t errlen)
{
	struct statfs sfs;
	uint64_t room;
	int r;

	if (statfs(c->cfg.hugepage_dir, &sfs) < 0 || (uint32_t)sfs.f_type != HUGETLBFS_MAGIC) {
		snprintf(err, errlen,
			 "hugepage_dir '%s' is not a hugetlbfs mount (run scripts/setup.sh, or "
			 "mount -t hugetlbfs nodev %s)",
			 c->cfg.hugepage_dir, c->cfg.hugepage_dir);
		return -ENOENT;
	}
	p->page_size = (size_t)sfs.f_bsize;
	/* A power of two: QEMU's ivshmem maps the region as a PCI BAR. */
	p->size = rte_align64pow2(RTE_ALIGN_CEIL(p->bufs_off + (uint64_t)p->count * p->stride,
						 p->page_size));
	printf("pool %u: %u buffers of %u bytes in a %zu MiB region (a power of two, as a VM's "
	       "ivshmem BAR must be)\n", p->id, p->count, p->stride, p->size >> 20);
	room = (p->size - p->bufs_off) / p->stride;
	if ((room - p->count) * 4 > room) {
		/* more than a quarter of the room unused; no more than
		 * core.pool_buffers may be (docs/config.md) */
		uint64_t fit = RTE_MIN(room, (uint64_t)CFG_MAX_POOL_BUFFERS);

		if (fit > p->count)
			printf("pool %u: rounding left %llu buffers' room unused: pool_buffers = "
			       "%llu would use %s\n", p->id, (unsigned long long)(room - p->count),
			       (unsigned long long)fit,
			       fit == room ? "the region fully" : "the most a pool may have");
	}
	snprintf(p->path, sizeof(p->path), "netvm-%s-pool%u", c->prefix, p->id);
	/* The hugepage size of hugepage_dir's mount, as MFD_HUGE_* encodes it. */
	p->fd = memfd_create(p->path, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB |
					      ((unsigned int)__builtin_ctzl(p->page_size)
					       << MFD_HUGE_SHIFT));
	if (p->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create pool region %s (a hugetlb memfd of %zu KiB "
			 "pages): %s", p->path, p->page_size >> 10, strerror(-r));
		return r;
	}
	r = fallocate(p->fd, 0, 0, (off_t)p->size);
	if (r < 0) {
		r = -errno;
		snprintf(err, errlen,
			 "not enough free hugepages for pool %u: need %zu MiB of %zu KiB pages in %s "
			 "(%s); reserve more in /proc/sys/vm/nr_hugepages or lower pool_buffers",
			 p->id, p->size >> 20, p->page_size >> 10, c->cfg.hugepage_dir,
			 strerror(-r));
		return r;
	}
	/* An NF holds this fd: truncating it would SIGBUS the core. */
	if (fcntl(p->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot seal pool region %s: %s", p->path, strerror(-r));
		return r;
	}
	p->base = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, p->fd, 0);
	if (p->base == MAP_FAILED) {
		r = -errno;
		p->base = NULL;
		snprintf(err, errlen, "cannot map pool region %s: %s", p->path, strerror(-r));
		return r;
	}
	return 0;
}

/* Register the region with DPDK (IOVA per page) and map it for DMA on
 * every device that needs it. */
static int
region_register(struct core_pool *p, rte_iova_t *iovas, unsigned int n_pages, char *err,
		size_t errlen)
{
	uint16_t port;
	int r;

	r = rte_extmem_register(p->base, p->size, iovas, n_pages, p->page_size);
	if (r < 0) {
		snprintf(err, errlen, "rte_extmem_register: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	p->registered = true;
	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_dev_info info;
		unsigned int i;

		if (rte_eth_dev_info_get(port, &info) < 0 || info.device == NULL)
			continue;
		for (i = 0; i < n_pages; i++) {
			r = rte_dev_dma_map(info.device, p->base + i * p->page_size, iovas[i],
					    p->page_size);
			/* Virtual devices have nothing to map. */
			if (r < 0 && rte_errno != ENOTSUP && rte_errno != EEXIST) {
				snprintf(err, errlen, "DMA-mapping pool %u for port %u: %s", p->id,
					 port, rte_strerror(rte_errno));
				return -rte_errno;
			}
			if (r < 0)
				break;
		}
	}
	return 0;
}

int core_meta_off = -1;

int
core_meta_register(void)
{
	static const struct rte_mbuf_dynfield field = {
		.name = "netvm_core_meta",
		.size = sizeof(struct core_mbuf_meta),
		.align = __alignof__(struct core_mbuf_meta),
	};
	int off = rte_mbuf_dynfield_register(&field);

	if (off < 0)
		return -rte_errno;
	core_meta_off = off;
	return 0;
}

/* Check that buffer i of the region is exactly mbuf by_idx[i] and fill the
 * tables; the layout is the ABI, so this is verified, not assumed.
 *
 * The mbuf is then flagged direct although its buffer is in the region:
 * the buffer is pinned to it for the pool's life, and DPDK's free path
 * (every packet a device sends) handles an mbuf flagged external with a
 * detach call and a read of its shared info, a cache line of its own.
 * Flagged direct it goes straight back to the pool. Only a second mbuf
 * referring to the buffer needs the flag: core_frag_ipv4() sets it, and
 * tx_nf() clears it when the buffer next comes back from an NF. */
static void
index_mbuf(struct rte_mempool *mp, void *arg, void *obj, unsigned int i)
{
	struct core_pool *p = arg;
	struct rte_mbuf *m = obj;
	uint32_t idx;

	(void)mp;
	(void)i;
	if ((uint8_t *)m->buf_addr < p->base + p->bufs_off ||
	    ((uintptr_t)m->buf_addr - (uintptr_t)p->base - p->bufs_off) % p->stride != 0)
		return;
	idx = core_pool_idx(p, m);
	if (idx < p->count && p->by_idx[idx] == NULL) {
		p->by_idx[idx] = m;
		core_meta(m)->buf = idx;
	}
	m->ol_flags = 0; /* see above */
}

/*
 * Create pool region @id on NUMA socket @socket from the configuration:
 * file, mapping, header, DPDK registration and mbuf pool. Returns 0 or a
 * negative errno with a message in err for the operator.
 */
int
core_pool_create(struct core *c, struct core_pool *p, unsigned int id, int socket, char *err,
		 size_t errlen)
{
	struct rte_pktmbuf_extmem *ext = NULL;
	rte_iova_t *iovas;
	struct nvm_pool_hdr *h;
	unsigned int n_pages, i, n_ext = 0;
	char name[RTE_MEMPOOL_NAMESIZE];
	int r;

	memset(p, 0, sizeof(*p));
	p->id = id;
	p->socket = socket;
	p->fd = -1;
	p->stride = c->cfg.buffer_size;
	p->stride_shift = log2u(p->stride);
	p->count = c->cfg.pool_buffers;
	p->bufs_off = p->stride; /* buffer slot 0 holds the header */
	if (p->stride > 32768 || p->stride < 1024) {
		snprintf(err, errlen, "buffer_size %u: the core supports 1024..32768", p->stride);
		return -EINVAL;
	}
	r = region_map(c, p, err, errlen);
	if (r < 0)
		return r;

	h = &p->hdr;
	h->magic = NVM_POOL_MAGIC;
	h->version = NVM_ABI_VERSION;
	h->region_size = p->size;
	h->bufs_off = p->bufs_off;
	h->buf_stride = p->stride;
	h->buf_count = p->count;
	h->headroom = RTE_PKTMBUF_HEADROOM;
	h->socket_id = (uint32_t)socket;
	h->pool_id = id;
	core_pool_hdr_restore(p);

	n_pages = (unsigned int)(p->size / p->page_size);
	iovas = p->iovas = calloc(n_pages, sizeof(*iovas));
	p->n_pages = n_pages;
	ext = calloc(n_pages, sizeof(*ext));
	p->by_idx = rte_zmalloc_socket("netvm_by_idx", sizeof(*p->by_idx) * p->count, 0, socket);
	p->owner = rte_malloc_socket("netvm_owner", sizeof(*p->owner) * p->count, 0, socket);
	if (iovas == NULL || ext == NULL || p->by_idx == NULL || p->owner == NULL) {
		snprintf(err, errlen, "out of memory for pool %u tables", id);
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < p->count; i++)
		p->owner[i] = CORE_OWNER_CORE;
	for (i = 0; i < n_pages; i++) {
		uint8_t *va = p->base + (size_t)i * p->page_size;
		size_t skip = i == 0 ? p->bufs_off : 0;

		iovas[i] = rte_eal_iova_mode() == RTE_IOVA_VA ? (rte_iova_t)(uintptr_t)va
							      : rte_mem_virt2iova(va);
		if (iovas[i] == RTE_BAD_IOVA) {
			snprintf(err, errlen, "no IO address for pool %u page %u (run as root)", id, i);
			r = -EPERM;
			goto out;
		}
		if (skip >= p->page_size)
			continue;
		ext[n_ext].buf_ptr = va + skip;
		ext[n_ext].buf_iova = iovas[i] + skip;
		ext[n_ext].buf_len = p->page_size - skip;
		ext[n_ext].elt_size = (uint16_t)p->stride;
		n_ext++;
	}
	r = region_register(p, iovas, n_pages, err, errlen);
	if (r < 0)
		goto out;

	r = core_meta_register();
	if (r < 0) {
		snprintf(err, errlen, "registering the mbuf field of the core's metadata: %s",
			 rte_strerror(-r));
		goto out;
	}
	snprintf(name, sizeof(name), "netvm_pool%u", id);
	p->mp = rte_pktmbuf_pool_create_extbuf(name, p->count, 256, 0, (uint16_t)p->stride,
					       socket, ext, n_ext);
	if (p->mp == NULL) {
		snprintf(err, errlen, "creating mbuf pool %u: %s", id, rte_strerror(rte_errno));
		r = -rte_errno;
		goto out;
	}
	rte_mempool_obj_iter(p->mp, index_mbuf, p);
	for (i = 0; i < p->count; i++) {
		if (p->by_idx[i] == NULL) {
			snprintf(err, errlen, "pool %u: buffer %u is not where the ABI puts it", id, i);
			r = -EPROTO;
			goto out;
		}
	}
	r = 0;
out:
	free(ext);
	return r;
}

/* Write the port table into every pool header (the core's copy and the
 * region's), for the NFs. */
void
core_pool_fill_ports(struct core *c)
{
	unsigned int k;
	uint16_t port;

	for (k = 0; k < c->nb_pools; k++) {
		struct nvm_pool_hdr *h = &c->pools[k].hdr;

		h->nb_ports = c->nb_ports;
		for (port = 0; port < c->nb_ports && port < NVM_MAX_PORTS; port++) {
			struct rte_ether_addr mac;
			struct rte_eth_link link;

			if (rte_eth_macaddr_get(port, &mac) == 0)
				memcpy(h->ports[port].mac, mac.addr_bytes, 6);
			if (rte_eth_link_get_nowait(port, &link) == 0)
				h->ports[port].up = link.link_status;
		}
		core_pool_hdr_restore(&c->pools[k]);
	}
}

/* Write the core's own copy of pool @p's header over the region's: an NF
 * may have scribbled on it, and the next NF to attach reads it. */
void
core_pool_hdr_restore(struct core_pool *p)
{
	memcpy(p->base, &p->hdr, sizeof(p->hdr));
}

/* Buffers of pool @p that are free (in the mempool, caches included). */
unsigned int
core_pool_free_count(const struct core_pool *p)
{
	return p->mp != NULL ? rte_mempool_avail_count(p->mp) : 0;
}

/* Free everything core_pool_create() made, even half-made. */
void
core_pool_destroy(struct core_pool *p)
{
	uint16_t port;

	if (p->mp != NULL)
		rte_mempool_free(p->mp);
	if (p->registered) {
		RTE_ETH_FOREACH_DEV(port) {
			struct rte_eth_dev_info info;

			unsigned int i;

			if (rte_eth_dev_info_get(port, &info) < 0 || info.device == NULL)
				continue;
			for (i = 0; i < p->n_pages; i++)
				if (rte_dev_dma_unmap(info.device, p->base + i * p->page_size,
						      p->iovas[i], p->page_size) < 0)
					break;
		}
		rte_extmem_unregister(p->base, p->size);
	}
	if (p->base != NULL)
		munmap(p->base, p->size);
	if (p->fd >= 0)
		close(p->fd);
	rte_free(p->by_idx);
	rte_free(p->owner);
	free(p->iovas);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}
