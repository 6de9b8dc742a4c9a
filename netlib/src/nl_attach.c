/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checking the regions a transport mapped. netlib trusts the core engine to
 * be correct but not to be the right version or a well-formed file: every
 * header field is checked before any offset is used.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nl_priv.h"

static int
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Is [off, off + len) inside a region of @size bytes? */
static int
in_region(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/*
 * Wait up to @ms for doorbell @fd (an eventfd, or a UIO device whose reads
 * are @size bytes) and consume what it says. Returns 1 if it rang, 0 on
 * time-out, or a negative errno.
 */
int
nl_doorbell_wait(int fd, int ms, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t v;
	int r = poll(&pfd, 1, ms);

	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	if (read(fd, &v, size) < 0 && errno != EAGAIN)
		return -errno;
	return 1;
}

/*
 * Check the pool and private headers mapped at ctx->pool and ctx->priv, keep
 * private copies of them in ctx and set up the queues' ring views. Returns 0,
 * or -EPROTO with a message naming the bad field.
 */
int
nl_regions_check(struct nl_ctx *ctx, char *err, size_t errlen)
{
	struct nvm_pool_hdr *ph = &ctx->pool_hdr;
	struct nvm_priv_hdr *rh = &ctx->priv_hdr;
	unsigned int q;

	if (ctx->pool_size < sizeof(*ph) || ctx->priv_size < sizeof(*rh)) {
		snprintf(err, errlen, "regions too small (pool %zu, private %zu bytes)",
			 ctx->pool_size, ctx->priv_size);
		return -EPROTO;
	}
	memcpy(ph, ctx->pool, sizeof(*ph));
	memcpy(rh, ctx->priv, sizeof(*rh));

	if (ph->magic != NVM_POOL_MAGIC || rh->magic != NVM_PRIV_MAGIC) {
		snprintf(err, errlen, "bad region magic (pool %#x, private %#x)", ph->magic, rh->magic);
		return -EPROTO;
	}
	if (ph->version != NVM_ABI_VERSION || rh->version != NVM_ABI_VERSION) {
		snprintf(err, errlen, "ABI version %u/%u, this netlib speaks %u",
			 ph->version, rh->version, NVM_ABI_VERSION);
		return -EPROTO;
	}
	if (ph->region_size > ctx->pool_size || !is_pow2(ph->buf_stride) ||
	    ph->headroom >= ph->buf_stride || ph->nb_ports > NVM_MAX_PORTS ||
	    !in_region(ph->bufs_off, (uint64_t)ph->buf_count * ph->buf_stride, ph->region_size)) {
		snprintf(err, errlen, "inconsistent pool header (size %llu, %u buffers of %u at %llu)",
			 (unsigned long long)ph->region_size, ph->buf_count, ph->buf_stride,
			 (unsigned long long)ph->bufs_off);
		return -EPROTO;
	}
	if (rh->region_size > ctx->priv_size || rh->nb_queues == 0 ||
	    rh->nb_queues > NVM_MAX_QUEUES || !is_pow2(rh->ring_size) ||
	    !is_pow2(rh->alloc_size)) {
		snprintf(err, errlen, "inconsistent private header (%u queues, rings %u/%u)",
			 rh->nb_queues, rh->ring_size, rh->alloc_size);
		return -EPROTO;
	}
	for (q = 0; q < rh->nb_queues; q++) {
		const struct nvm_queue_desc *qd = &rh->queues[q];
		uint64_t rb = NVM_RING_BYTES(rh->ring_size), ab = NVM_RING_BYTES(rh->alloc_size);

		if (!in_region(qd->rx_off, rb, rh->region_size) ||
		    !in_region(qd->tx_off, rb, rh->region_size) ||
		    !in_region(qd->alloc_off, ab, rh->region_size) ||
		    (qd->rx_off | qd->tx_off | qd->alloc_off) % NVM_CACHE_LINE != 0) {
			snprintf(err, errlen, "queue %u rings outside the private region", q);
			return -EPROTO;
		}
	}
	if (!is_pow2(rh->ctl_size) || rh->ctl_size < 64 ||
	    !in_region(rh->ctl_off, 2 * NVM_PIPE_BYTES(rh->ctl_size), rh->region_size) ||
	    rh->ctl_off % NVM_CACHE_LINE != 0 || rh->stats_off % NVM_CACHE_LINE != 0 ||
	    !in_region(rh->stats_off,
		       sizeof(struct nvm_stats) + (uint64_t)rh->stats_slots * sizeof(struct nvm_stat),
		       rh->region_size)) {
		snprintf(err, errlen, "control pipes or counter table outside the private region");
		return -EPROTO;
	}
	return 0;
}
