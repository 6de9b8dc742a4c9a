/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_msg.h — framing of the attach protocol: QEMU's ivshmem server framing.
 * Every message is one little-endian int64, optionally carrying one file
 * descriptor by SCM_RIGHTS. Shared by the core engine and netlib.
 */
#ifndef NVM_MSG_H
#define NVM_MSG_H

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Send @v, with @fd attached when fd >= 0. Returns 0 or -errno. */
static inline int
nvm_msg_send(int sock, int64_t v, int fd)
{
	uint64_t le = htole64((uint64_t)v);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(le) ? 0 : -EIO;
}

/*
 * Receive one message into *v and, if one came with it, a descriptor into
 * *fd (else -1), waiting at most @timeout_ms (-1: forever). Returns 0,
 * -ETIMEDOUT, -ECONNRESET when the peer closed, -EPROTO for a short message,
 * or -errno.
 */
static inline int
nvm_msg_recv(int sock, int64_t *v, int *fd, int timeout_ms)
{
	uint64_t le;
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int r;

	*fd = -1;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			if (*fd >= 0)
				close(*fd);
			memcpy(fd, CMSG_DATA(c), sizeof(int));
		}
	}
	if (n == 0)
		return -ECONNRESET;
	if (n != (ssize_t)sizeof(le) || (msg.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		return -EPROTO;
	}
	*v = (int64_t)le64toh(le);
	return 0;
}

#endif /* NVM_MSG_H */
