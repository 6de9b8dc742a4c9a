/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_attach.c — attach to the core engine on a VM's behalf.
 *
 * The manager speaks the host NF attach protocol (docs/abi.md, "Attach
 * protocol") exactly like netlib's host transport, but maps nothing: it keeps
 * the file descriptors to hand them to QEMU, and keeps the connection open as
 * long as the VM lives. Closing it makes the core reclaim every buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

static int
mgr_handshake(struct mgr_attach *a, unsigned int role, unsigned int queues, char *err,
	      size_t errlen)
{
	const int64_t hello[4] = { NVM_HELLO_MAGIC, NVM_ABI_VERSION, role, queues };
	int64_t v;
	int fd, r, i;

	for (i = 0; i < 4; i++) {
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

/*
 * Attach to the core at @path as an NF of @role with @queues ring sets and
 * keep the connection and the three descriptors in @a. Returns 0, or a
 * negative errno with a message in @err (@a is then closed).
 */
int
mgr_attach_open(struct mgr_attach *a, const char *path, unsigned int role, unsigned int queues,
		char *err, size_t errlen)
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
		mgr_attach_close(a);
		return r;
	}
	r = mgr_handshake(a, role, queues, err, errlen);
	if (r < 0)
		mgr_attach_close(a);
	return r;
}

/* Close the connection (the core then reclaims the NF's buffers) and the
 * descriptors; safe on a closed @a; cannot fail. */
void
mgr_attach_close(struct mgr_attach *a)
{
	int *fds[] = { &a->sock, &a->priv_fd, &a->pool_fd, &a->doorbell_fd };
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
