/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_attach.c — attach to the core engine on a VM's behalf.
 *
 * The manager speaks the attach protocol (docs/abi.md, "Attach protocol")
 * like netlib's host transport, but with a lease (NVM_LEASE_MAGIC and a
 * random token) and mapping nothing: it keeps the file descriptors to hand
 * them to QEMU, and the connection open as long as the VM lives. Ending the
 * lease (NVM_MSG_DETACH, then closing) makes the core reclaim every buffer;
 * a manager that dies leaves the lease orphaned, and the next manager adopts
 * it with the instance id and the token (NVM_ADOPT_MAGIC).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgr.h"
#include "netvm_abi.h"
#include "nvm_msg.h"

#define MGR_ATTACH_TIMEOUT_MS 5000

/* Reset @a to "not attached"; cannot fail. */
void
mgr_attach_init(struct mgr_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->sock = a->priv_fd = a->pool_fd = a->doorbell_fd = -1;
}

/* Receive one message; the core's error message becomes its errno. */
static int
mgr_expect(struct mgr_attach *a, int64_t *v, int *fd, int need_fd, const char *what, char *err,
	   size_t errlen)
{
	int r = nvm_msg_recv(a->sock, v, fd, MGR_ATTACH_TIMEOUT_MS);

	if (r == 0 && *v == NVM_MSG_ERROR) {
		int64_t code = 0;
		int dummy;

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		if (nvm_msg_recv(a->sock, &code, &dummy, MGR_ATTACH_TIMEOUT_MS) == 0 && code < 0 &&
		    code > -4096) {
			snprintf(err, errlen, "the core engine refused the attach: %s",
				 strerror((int)-code));
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
mgr_fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0)
		return -EPROTO;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Send the @n values of @hello, read the regions the core answers with. */
static int
mgr_handshake(struct mgr_attach *a, const int64_t *hello, unsigned int n, char *err,
	      size_t errlen)
{
	unsigned int i;
	int64_t v;
	int fd, r;

	for (i = 0; i < n; i++) {
		r = nvm_msg_send(a->sock, hello[i], -1);
		if (r < 0) {
			snprintf(err, errlen, "attach: sending the hello: %s", strerror(-r));
			return r;
		}
	}
	if ((r = mgr_expect(a, &v, &fd, 0, "protocol version", err, errlen)) < 0)
		return r;
	if (v != 0) {
		snprintf(err, errlen, "attach: protocol version %lld, expected 0", (long long)v);
		return -EPROTO;
	}
	if ((r = mgr_expect(a, &v, &fd, 0, "instance id", err, errlen)) < 0)
		return r;
	if (v < 0 || v > 0xffff) {
		snprintf(err, errlen, "attach: bad instance id %lld", (long long)v);
		return -EPROTO;
	}
	a->nf_id = (uint32_t)v;
	if ((r = mgr_expect(a, &v, &a->priv_fd, 1, "private region", err, errlen)) < 0)
		return r;
	if (v != -1) {
		snprintf(err, errlen, "attach: private region message %lld, expected -1",
			 (long long)v);
		return -EPROTO;
	}
	if ((r = mgr_expect(a, &v, &a->pool_fd, 1, "pool region", err, errlen)) < 0)
		return r;
	if (v != NVM_MSG_POOL) {
		snprintf(err, errlen, "attach: pool region message %lld, expected %lld",
			 (long long)v, (long long)NVM_MSG_POOL);
		return -EPROTO;
	}
	if ((r = mgr_expect(a, &v, &a->doorbell_fd, 1, "doorbell", err, errlen)) < 0)
		return r;
	if ((r = mgr_fd_size(a->priv_fd, &a->priv_size)) < 0 ||
	    (r = mgr_fd_size(a->pool_fd, &a->pool_size)) < 0) {
		snprintf(err, errlen, "attach: cannot size the regions: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* Connect @a to the core's attach socket at @path. */
static int
mgr_attach_connect(struct mgr_attach *a, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	mgr_attach_init(a);
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
			 "running? core.socket in the manager's configuration)", path,
			 strerror(-r));
		mgr_attach_drop(a);
		return r;
	}
	return 0;
}

/*
 * Attach to the core at @path as an NF of @role with @queues ring sets,
 * under a lease with a fresh token, and keep the connection and the three
 * descriptors in @a. Returns 0, or a negative errno with a message in @err
 * (@a is then closed).
 */
int
mgr_attach_open(struct mgr_attach *a, const char *path, unsigned int role, unsigned int queues,
		char *err, size_t errlen)
{
	int64_t hello[5] = { NVM_LEASE_MAGIC, NVM_ABI_VERSION, role, queues, 0 };
	uint64_t token = 0;
	int r = mgr_attach_connect(a, path, err, errlen);

	if (r < 0)
		return r;
	while (token == 0)
		if (getrandom(&token, sizeof(token), 0) != (ssize_t)sizeof(token)) {
			r = -errno;
			snprintf(err, errlen, "getrandom: %s", strerror(-r));
			mgr_attach_drop(a);
			return r;
		}
	hello[4] = (int64_t)token;
	r = mgr_handshake(a, hello, 5, err, errlen);
	if (r < 0) {
		mgr_attach_drop(a);
		return r;
	}
	a->token = token;
	return 0;
}

/*
 * Take over the orphaned lease of instance @nf_id with @token, left by a
 * manager that died: @a gets the same regions back. Returns 0, or a negative
 * errno with a message in @err (-ENOENT: the core has no such lease, e.g. it
 * expired; -EBUSY: another manager holds it).
 */
int
mgr_attach_adopt(struct mgr_attach *a, const char *path, uint32_t nf_id, uint64_t token,
		 char *err, size_t errlen)
{
	const int64_t hello[4] = { NVM_ADOPT_MAGIC, NVM_ABI_VERSION, nf_id, (int64_t)token };
	int r = mgr_attach_connect(a, path, err, errlen);

	if (r < 0)
		return r;
	r = mgr_handshake(a, hello, 4, err, errlen);
	if (r == 0 && a->nf_id != nf_id) {
		snprintf(err, errlen, "attach: adopted instance %u, the core answered %u", nf_id,
			 a->nf_id);
		r = -EPROTO;
	}
	if (r < 0) {
		mgr_attach_drop(a);
		return r;
	}
	a->token = token;
	return 0;
}

/* Close the connection and the descriptors without ending the lease (the
 * core keeps the instance for core.lease_s); safe on a closed @a. */
void
mgr_attach_drop(struct mgr_attach *a)
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

/* End the lease (the core then reclaims the NF's buffers) and close
 * everything; safe on a closed @a; cannot fail. */
void
mgr_attach_close(struct mgr_attach *a)
{
	if (a->sock >= 0 && a->token != 0)
		nvm_msg_send(a->sock, NVM_MSG_DETACH, -1);
	mgr_attach_drop(a);
}
