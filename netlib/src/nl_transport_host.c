/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host-process transport: attach to the core engine's unix socket
 * (docs/abi.md, "Attach protocol") with nvm_attach.h, map the regions.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nl_priv.h"
#include "nvm_attach.h"
#include "nvm_msg.h"

#define NL_ATTACH_TIMEOUT_MS 5000

static int
map_fd(int fd, uint8_t **base, size_t *size)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0)
		return -EPROTO;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*base = p;
	*size = (size_t)st.st_size;
	return 0;
}

static int
host_attach(struct nl_ctx *ctx, char *err, size_t errlen)
{
	struct nvm_attach a;
	int r;

	r = nvm_attach_nf(&a, ctx->opts.socket_path, ctx->opts.role, ctx->opts.nb_queues,
			  NL_ATTACH_TIMEOUT_MS, err, errlen);
	if (r < 0)
		return r;
	ctx->sock = a.sock;
	ctx->doorbell_fd = a.doorbell_fd;
	ctx->nf_id = a.nf_id;
	r = map_fd(a.priv_fd, &ctx->priv, &ctx->priv_size);
	if (r < 0)
		snprintf(err, errlen, "attach: mapping the private region: %s", strerror(-r));
	if (r == 0 && (r = map_fd(a.pool_fd, &ctx->pool, &ctx->pool_size)) < 0)
		snprintf(err, errlen, "attach: mapping the pool region: %s", strerror(-r));
	close(a.priv_fd);
	close(a.pool_fd);
	if (r < 0)
		return r;
	return nl_regions_check(ctx, err, errlen);
}

static int
host_wait(struct nl_ctx *ctx, int ms)
{
	return nl_doorbell_wait(ctx->doorbell_fd, ms, sizeof(uint64_t)); /* an eventfd */
}

static int
host_core_gone(struct nl_ctx *ctx, int ms)
{
	int64_t v;
	int fd;
	int r = nvm_msg_recv(ctx->sock, &v, &fd, ms);

	if (fd >= 0)
		close(fd);
	/* The core sends nothing after attach: any answer but a time-out is a close. */
	return r != -ETIMEDOUT && r != -EINTR;
}

static void
host_detach(struct nl_ctx *ctx)
{
	if (ctx->pool != NULL)
		munmap(ctx->pool, ctx->pool_size);
	if (ctx->priv != NULL)
		munmap(ctx->priv, ctx->priv_size);
	if (ctx->doorbell_fd >= 0)
		close(ctx->doorbell_fd);
	if (ctx->sock >= 0)
		close(ctx->sock);
	ctx->pool = ctx->priv = NULL;
	ctx->doorbell_fd = ctx->sock = -1;
}

const struct nl_transport nl_transport_host = {
	.name = "host",
	.attach = host_attach,
	.wait = host_wait,
	.core_gone = host_core_gone,
	.detach = host_detach,
};
