/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of the attach protocol (docs/abi.md, 3 and 3.1): connect
 * to the core's attach socket, send a hello (an NF's, a lease's or an
 * adoption's), receive the instance id and the three descriptors. Shared by
 * netlib's host transport and netvm-manager.
 *
 * A lease whose handshake fails after the core may have granted it (any
 * failure but the core's refusal) is ended with NVM_MSG_DETACH before the
 * connection closes: a lease nobody can use is not left orphaned for
 * core.lease_s.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "netvm_abi.h"
#include "nvm_attach.h"
#include "nvm_msg.h"

/* Reset @a to "not attached"; cannot fail. */
void
nvm_attach_init(struct nvm_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->sock = a->priv_fd = a->pool_fd = a->doorbell_fd = -1;
}

/* Write into @out what the core's refusal @code means (docs/abi.md §3):
 * " (...)", or nothing for an errno that says it all. */
static void
refusal_meaning(int64_t code, char *out, size_t len)
{
	out[0] = '\0';
	if (code == -EPROTO)
		snprintf(out, len, " (a hello of another magic or ABI version: this side "
			 "speaks version %u)", NVM_ABI_VERSION);
	else if (code == -EINVAL)
		snprintf(out, len, " (a role or queue count out of range: roles 0..255, "
			 "queues 1..%u)", NVM_MAX_QUEUES);
	else if (code == -ENOSPC)
		snprintf(out, len, " (64 NFs, or 16 NFs of this role, are attached: the most "
			 "the core serves)");
	else if (code == -ENOENT)
		snprintf(out, len, " (no lease of that instance with that token: it expired, "
			 "or never was)");
	else if (code == -EBUSY)
		snprintf(out, len, " (the lease's manager is still connected)");
}

/* Receive one message, with a descriptor if @need_fd, without one
 * otherwise. The core's refusal becomes its errno, and *refused is set. */
static int
expect(int sock, int64_t *v, int *fd, int need_fd, const char *what, int timeout_ms,
       bool *refused, char *err, size_t errlen)
{
	int r = nvm_msg_recv(sock, v, fd, timeout_ms);

	if (r == 0 && *v == NVM_MSG_ERROR) {
		int64_t code = 0;
		int cfd = -1;

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		*refused = true;
		r = nvm_msg_recv(sock, &code, &cfd, timeout_ms);
		if (cfd >= 0)
			close(cfd);
		if (r == 0 && code < 0 && code > -4096) {
			char meaning[128];

			refusal_meaning(code, meaning, sizeof(meaning));
			snprintf(err, errlen, "the core engine refused the attach: %s%s",
				 strerror((int)-code), meaning);
			return (int)code;
		}
		snprintf(err, errlen, "the core engine refused the attach");
		return -EPROTO;
	}
	if (r < 0) {
		snprintf(err, errlen, "attach: reading the %s: %s", what, strerror(-r));
		return r;
	}
	if (need_fd != (*fd >= 0)) {
		snprintf(err, errlen, "attach: the %s came %s a file descriptor", what,
			 need_fd ? "without" : "with");
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return 0;
}

static int
fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0)
		return -EPROTO;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Read the core's answer to a hello: messages 5–9 of the protocol. */
static int
answer_read(struct nvm_attach *a, int timeout_ms, bool *refused, char *err, size_t errlen)
{
	int64_t v;
	int fd, r;

	if ((r = expect(a->sock, &v, &fd, 0, "protocol version", timeout_ms, refused, err,
			errlen)) < 0)
		return r;
	if (v != 0) {
		snprintf(err, errlen, "attach: protocol version %lld, expected 0", (long long)v);
		return -EPROTO;
	}
	if ((r = expect(a->sock, &v, &fd, 0, "instance id", timeout_ms, refused, err,
			errlen)) < 0)
		return r;
	if (v < 0 || v > 0xffff) {
		snprintf(err, errlen, "attach: bad instance id %lld", (long long)v);
		return -EPROTO;
	}
	a->nf_id = (uint32_t)v;
	if ((r = expect(a->sock, &v, &a->priv_fd, 1, "private region", timeout_ms, refused, err,
			errlen)) < 0)
		return r;
	if (v != -1) {
		snprintf(err, errlen, "attach: private region message %lld, expected -1",
			 (long long)v);
		return -EPROTO;
	}
	if ((r = expect(a->sock, &v, &a->pool_fd, 1, "pool region", timeout_ms, refused, err,
			errlen)) < 0)
		return r;
	if (v != NVM_MSG_POOL) {
		snprintf(err, errlen, "attach: pool region message %lld, expected %lld",
			 (long long)v, (long long)NVM_MSG_POOL);
		return -EPROTO;
	}
	if ((r = expect(a->sock, &v, &a->doorbell_fd, 1, "doorbell", timeout_ms, refused, err,
			errlen)) < 0)
		return r;
	if (v != a->nf_id) {
		snprintf(err, errlen, "attach: doorbell message %lld, expected the instance id %u",
			 (long long)v, a->nf_id);
		return -EPROTO;
	}
	if ((r = fd_size(a->priv_fd, &a->priv_size)) < 0 ||
	    (r = fd_size(a->pool_fd, &a->pool_size)) < 0) {
		snprintf(err, errlen, "attach: cannot size the regions: %s", strerror(-r));
		return r;
	}
	return 0;
}

/*
 * Connect to @path, send the @n values of @hello and read the answer. A
 * lease (@token != 0) that fails after the hello went out, other than by the
 * core's refusal, is ended with NVM_MSG_DETACH. Returns 0 or a negative errno
 * with a message in @err; @a is closed on failure.
 */
static int
attach(struct nvm_attach *a, const char *path, const int64_t *hello, unsigned int n,
       uint64_t token, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool refused = false;
	unsigned int i;
	int r;

	nvm_attach_init(a);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "core socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	a->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->sock < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-r));
		return r;
	}
	if (connect(a->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot reach the core engine at %s: %s (is netvm-core "
			 "running?)", path, strerror(-r));
		nvm_attach_drop(a);
		return r;
	}
	for (i = 0; i < n; i++) {
		r = nvm_msg_send(a->sock, hello[i], -1);
		if (r < 0) {
			snprintf(err, errlen, "attach: sending the hello: %s", strerror(-r));
			nvm_attach_drop(a);
			return r;
		}
	}
	a->token = token;
	r = answer_read(a, timeout_ms, &refused, err, errlen);
	if (r < 0) {
		if (refused)
			a->token = 0; /* nothing was granted */
		nvm_attach_close(a);
	}
	return r;
}

/*
 * Attach to the core at @path as an NF of @role with @queues ring sets,
 * waiting at most @timeout_ms for each answer. Returns 0 with the connection
 * and the descriptors in @a, or a negative errno with a message in @err (the
 * core's refusal: its errno) and @a closed.
 */
int
nvm_attach_nf(struct nvm_attach *a, const char *path, unsigned int role, unsigned int queues,
	      int timeout_ms, char *err, size_t errlen)
{
	const int64_t hello[4] = { NVM_HELLO_MAGIC, NVM_ABI_VERSION, role, queues };

	return attach(a, path, hello, 4, 0, timeout_ms, err, errlen);
}

/*
 * Attach as nvm_attach_nf() does, under a lease with a fresh random token
 * (in a->token): the instance outlives the connection for core.lease_s
 * unless nvm_attach_close() ends it. Returns 0, or a negative errno with a
 * message in @err and nothing left attached.
 */
int
nvm_attach_lease(struct nvm_attach *a, const char *path, unsigned int role, unsigned int queues,
		 int timeout_ms, char *err, size_t errlen)
{
	int64_t hello[5] = { NVM_LEASE_MAGIC, NVM_ABI_VERSION, role, queues, 0 };
	uint64_t token = 0;

	nvm_attach_init(a);
	while (token == 0)
		if (getrandom(&token, sizeof(token), 0) != (ssize_t)sizeof(token)) {
			int r = -errno;

			snprintf(err, errlen, "getrandom: %s", strerror(-r));
			return r;
		}
	hello[4] = (int64_t)token;
	return attach(a, path, hello, 5, token, timeout_ms, err, errlen);
}

/*
 * Take over the orphaned lease of instance @nf_id with @token: @a gets the
 * same regions back. Returns 0, or a negative errno with a message in @err
 * (-ENOENT: the core has no such lease, e.g. it expired; -EBUSY: another
 * manager holds it). A handshake that fails after the core handed the lease
 * over ends it.
 */
int
nvm_attach_adopt(struct nvm_attach *a, const char *path, uint32_t nf_id, uint64_t token,
		 int timeout_ms, char *err, size_t errlen)
{
	const int64_t hello[4] = { NVM_ADOPT_MAGIC, NVM_ABI_VERSION, nf_id, (int64_t)token };
	int r = attach(a, path, hello, 4, token, timeout_ms, err, errlen);

	if (r == 0 && a->nf_id != nf_id) {
		snprintf(err, errlen, "attach: adopted instance %u, the core answered %u", nf_id,
			 a->nf_id);
		nvm_attach_close(a);
		return -EPROTO;
	}
	return r;
}

/* Close the connection and the descriptors without ending a lease (the core
 * keeps the instance for core.lease_s); safe on a closed @a; cannot fail. */
void
nvm_attach_drop(struct nvm_attach *a)
{
	int *fds[] = { &a->sock, &a->priv_fd, &a->pool_fd, &a->doorbell_fd };
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	a->token = 0;
}

/* End the lease, if any (the core then reclaims the NF's buffers), and
 * close everything; safe on a closed @a; cannot fail. */
void
nvm_attach_close(struct nvm_attach *a)
{
	if (a->sock >= 0 && a->token != 0)
		nvm_msg_send(a->sock, NVM_MSG_DETACH, -1);
	nvm_attach_drop(a);
}
