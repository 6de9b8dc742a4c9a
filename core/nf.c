/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NF instances: the private region (header + one rx/tx/alloc ring set per
 * queue, netvm_abi.h), its doorbell, and taking back every buffer an NF
 * held when it goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "core.h"

/* Smallest power of two >= v, at least a page (ivshmem BARs must be one). */
static size_t
region_size(size_t v)
{
	size_t s = 4096;

	while (s < v)
		s <<= 1;
	return s;
}

/*
 * Make NF instance @id of role @role with @nb_queues ring sets, its region
 * and doorbell, on the pool of the core's main socket. Returns the NF or
 * NULL with a message in err.
 */
struct core_nf *
core_nf_create(struct core *c, uint16_t id, uint16_t role, uint16_t nb_queues, char *err,
	       size_t errlen)
{
	uint64_t ring_bytes = NVM_RING_BYTES(c->cfg.ring_size);
	uint64_t alloc_bytes = NVM_RING_BYTES(c->cfg.alloc_ring_size);
	uint64_t off = RTE_ALIGN_CEIL(sizeof(struct nvm_priv_hdr), NVM_CACHE_LINE);
	struct nvm_priv_hdr *h;
	struct core_nf *nf;
	char name[32];
	unsigned int q;
	int pidx;

	nf = calloc(1, sizeof(*nf));
	if (nf == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	nf->id = id;
	nf->gen = ++c->nf_gen;
	nf->role = role;
	nf->nb_queues = nb_queues;
	nf->sock = nf->doorbell = nf->priv_fd = -1;
	/* The pool of the role's trust group on the main lcore's socket: a
	 * packet from elsewhere is copied into it on delivery. */
	pidx = c->pool_of[c->cfg.role_group[role]]
			 [rte_socket_id() < RTE_MAX_NUMA_NODES ? rte_socket_id() : 0];
	nf->pool = &c->pools[pidx >= 0 ? pidx : 0];
	/* This NF reads the pool header once it has the regions; another
	 * NF may have written over it since the core did. */
	core_pool_hdr_restore(nf->pool);
	/* Its budget: all an honest NF can hold (full rx, tx and alloc rings per
	 * queue, and a burst plus the packets it allocated in hand), at most
	 * core.nf_buffers. Past it, it gets no fresh buffers and no packets;
	 * its trust group's pool has a budget of its own (core.group_buffers),
	 * so neither one instance nor many can empty the pool. */
	nf->budget = RTE_MIN((uint64_t)nb_queues * (2 * c->cfg.ring_size +
						    c->cfg.alloc_ring_size + 2 * NVM_CACHE_LINE),
			     (uint64_t)c->cfg.nf_buffers);
	nf->pool->nf_budget = c->cfg.group_buffers;

	nf->priv_size = region_size(off + nb_queues * (2 * ring_bytes + alloc_bytes) +
				    core_cmd_bytes());
	snprintf(name, sizeof(name), "netvm-nf%u", id);
	nf->priv_fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	/* The NF holds this fd: sealed, it cannot truncate the region under
	 * the core (a SIGBUS in the datapath). */
	if (nf->priv_fd < 0 || ftruncate(nf->priv_fd, (off_t)nf->priv_size) < 0 ||
	    fcntl(nf->priv_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		snprintf(err, errlen, "private region for NF %u: %s", id, strerror(errno));
		goto fail;
	}
	nf->priv = mmap(NULL, nf->priv_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			nf->priv_fd, 0);
	if (nf->priv == MAP_FAILED) {
		nf->priv = NULL;
		snprintf(err, errlen, "mapping the private region of NF %u: %s", id, strerror(errno));
		goto fail;
	}
	nf->doorbell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (nf->doorbell < 0) {
		snprintf(err, errlen, "doorbell of NF %u: %s", id, strerror(errno));
		goto fail;
	}

	h = (struct nvm_priv_hdr *)nf->priv;
	h->magic = NVM_PRIV_MAGIC;
	h->version = NVM_ABI_VERSION;
	h->region_size = nf->priv_size;
	h->nf_id = id;
	h->role = role;
	h->nb_queues = nb_queues;
	h->ring_size = c->cfg.ring_size;
	h->alloc_size = c->cfg.alloc_ring_size;
	h->pool_id = nf->pool->id;
	for (q = 0; q < nb_queues; q++) {
		struct nvm_ring *rx = (struct nvm_ring *)(nf->priv + off);
		struct nvm_ring *tx = (struct nvm_ring *)(nf->priv + off + ring_bytes);
		struct nvm_ring *al = (struct nvm_ring *)(nf->priv + off + 2 * ring_bytes);

		h->queues[q].rx_off = off;
		h->queues[q].tx_off = off + ring_bytes;
		h->queues[q].alloc_off = off + 2 * ring_bytes;
		nvm_ring_init(rx, c->cfg.ring_size);
		nvm_ring_init(tx, c->cfg.ring_size);
		nvm_ring_init(al, c->cfg.alloc_ring_size);
		nvm_ring_prod_attach(&nf->q[q].rx, rx, c->cfg.ring_size);
		nvm_ring_cons_attach(&nf->q[q].tx, tx, c->cfg.ring_size);
		nvm_ring_prod_attach(&nf->q[q].alloc, al, c->cfg.alloc_ring_size);
		off += 2 * ring_bytes + alloc_bytes;
	}
	core_cmd_nf_init(nf, off);
	return nf;
fail:
	core_nf_destroy(nf);
	return NULL;
}

/* Buffers NF @nf holds now (given minus taken back). What was taken back
 * is read first: a buffer is given before it can come back, so the counts
 * read after it cover it, and a reader on another thread never sees more
 * returned than given (the difference wrapped to about 1.8e19). */
uint64_t
core_nf_held(const struct core_nf *nf)
{
	uint64_t back = __atomic_load_n(&nf->st.returned, __ATOMIC_ACQUIRE) +
			__atomic_load_n(&nf->st.reclaimed, __ATOMIC_ACQUIRE);
	uint64_t given = __atomic_load_n(&nf->st.rx, __ATOMIC_ACQUIRE) +
			 __atomic_load_n(&nf->st.allocs, __ATOMIC_ACQUIRE);

	return given >= back ? given - back : 0;
}

/*
 * Take back every buffer NF @nf holds. Call only after the NF has left the
 * datapath's view and a grace period has passed: then no lcore touches its
 * rings or its buffers' owner entries any more.
 */
void
core_nf_reclaim(struct core *c, struct core_nf *nf)
{
	struct core_pool *p = nf->pool;
	uint64_t n = 0;
	uint32_t i;

	(void)c;
	for (i = 0; i < p->count; i++) {
		if (__atomic_load_n(&p->owner[i], __ATOMIC_ACQUIRE) != nf->id)
			continue;
		__atomic_store_n(&p->owner[i], CORE_OWNER_CORE, __ATOMIC_RELAXED);
		rte_pktmbuf_free(p->by_idx[i]);
		n++;
	}
	core_ctr_add(&nf->st.reclaimed, n);
	core_ctr_add(&p->nf_reclaimed, n);
}

/* Close and unmap what core_nf_create() made, and free @nf. */
void
core_nf_destroy(struct core_nf *nf)
{
	if (nf == NULL)
		return;
	if (nf->priv != NULL)
		munmap(nf->priv, nf->priv_size);
	if (nf->priv_fd >= 0)
		close(nf->priv_fd);
	if (nf->doorbell >= 0)
		close(nf->doorbell);
	if (nf->sock >= 0)
		close(nf->sock);
	free(nf);
}
