/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host-process transport: attach to the core engine's unix socket
 * (docs/abi.md, "Attach protocol"), receive the region fds, map them.
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

/* Receive one attach message into *v, with an fd if @need_fd, without one
 * otherwise; an error message from the core becomes its errno. */
static int
expect(int sock, int64_t *v, int *fd, int need_fd, const char *what, char *err, size_t errlen)
{
	int r = nvm_msg_recv(sock, v, fd, NL_ATTACH_TIMEOUT_MS);

	if (r == 0 && *v == NVM_MSG_ERROR) {
		int64_t code = 0;
		int dummy;

		if (*fd >= 0)
			close(*fd);
		if (nvm_msg_recv(sock, &code, &dummy, NL_ATTACH_TIMEOUT_MS) == 0 && code < 0) {
			snprintf(err, errlen, "core engine refused the attach: %s", strerror((int)-code));
			return (int)code;
		}
		snprintf(err, errlen, "core engine refused the attach");
		return -EPROTO;
	}
	if (r < 0) {
		snprintf(err, errlen, "attach: reading %s: %s", what, strerror(-r));
		return r;
	}
	if (need_fd != (*fd >= 0)) {
		snprintf(err, errlen, "attach: %s %s a file descriptor", what,
			 need_fd ? "came without" : "came with");
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return 0;
}

static int
host_attach(struct nl_ctx *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t hello[4] = { NVM_HELLO_MAGIC, NVM_ABI_VERSION, ctx->opts.role, ctx->opts.nb_queues };
	int64_t v;
	int fd, r, i;

	if (strlen(ctx->opts.socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", ctx->opts.socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, ctx->opts.socket_path);
	ctx->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctx->sock < 0)
		return -errno;
	if (connect(ctx->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot reach the core engine at %s: %s (is netvm-core running?)",
			 sa.sun_path, strerror(-r));
		return r;
	}
	for (i = 0; i < 4; i++) {
		r = nvm_msg_send(ctx->sock, hello[i], -1);
		if (r < 0) {
			snprintf(err, errlen, "attach: sending hello: %s", strerror(-r));
			return r;
		}
	}
	/* ivshmem framing: version, our id, -1 + private region. */
	if ((r = expect(ctx->sock, &v, &fd, 0, "protocol version", err, errlen)) < 0)
		return r;
	if (v != 0) {
		snprintf(err, errlen, "attach: protocol version %lld, expected 0", (long long)v);
		return -EPROTO;
	}
	if ((r = expect(ctx->sock, &v, &fd, 0, "instance id", err, errlen)) < 0)
		return r;
	if (v < 0 || v > 0xffff) {
		snprintf(err, errlen, "attach: bad instance id %lld", (long long)v);
		return -EPROTO;
	}
	ctx->nf_id = (uint32_t)v;
	if ((r = expect(ctx->sock, &v, &fd, 1, "private region", err, errlen)) < 0)
		return r;
	r = v == -1 ? map_fd(fd, &ctx->priv, &ctx->priv_size) : -EPROTO;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "attach: mapping the private region: %s", strerror(-r));
		return r;
	}
	if ((r = expect(ctx->sock, &v, &fd, 1, "pool region", err, errlen)) < 0)
		return r;
	r = v == NVM_MSG_POOL ? map_fd(fd, &ctx->pool, &ctx->pool_size) : -EPROTO;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "attach: mapping the pool region: %s", strerror(-r));
		return r;
	}
	if ((r = expect(ctx->sock, &v, &fd, 1, "doorbell", err, errlen)) < 0)
		return r;
	ctx->doorbell_fd = fd;
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
