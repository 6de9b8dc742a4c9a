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
#include <time.h>
#include <unistd.h>

#include "netvm_abi.h"

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

/* Milliseconds left of @timeout_ms counted from @t0 (-1: no limit, 0: none left). */
static inline int
nvm_msg_left(int timeout_ms, const struct timespec *t0)
{
	struct timespec now;
	int64_t spent;

	if (timeout_ms <= 0)
		return timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &now);
	spent = (int64_t)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
	return spent >= timeout_ms ? 0 : (int)(timeout_ms - spent);
}

/*
 * Take the descriptors that came with one recvmsg() of @msg: the first one
 * of the message goes to *fd, any other is closed. Returns 0, or -EPROTO
 * when the message now carries more than one.
 */
static inline int
nvm_msg_take_fds(struct msghdr *msg, int *fd)
{
	struct cmsghdr *c;
	int r = 0;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0) {
				*fd = got;
			} else {
				close(got);
				r = -EPROTO;
			}
		}
	}
	return r;
}

/*
 * Receive one message into *v and, if one came with it, a descriptor into
 * *fd (else -1). The whole message must arrive within @timeout_ms (-1: no
 * limit; 0: only what is there already), so a peer that sends part of one
 * and stops cannot hold the caller. Returns 0, -ETIMEDOUT when nothing came,
 * -ECONNRESET when the peer closed, -EPROTO for a message cut short or
 * carrying more than one descriptor (then no descriptor is kept), or -errno.
 */
static inline int
nvm_msg_recv(int sock, int64_t *v, int *fd, int timeout_ms)
{
	uint64_t le = 0;
	size_t got = 0;
	struct timespec t0 = { 0, 0 };
	int r = 0;

	*fd = -1;
	if (timeout_ms > 0)
		clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < sizeof(le)) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct iovec iov = { .iov_base = (char *)&le + got, .iov_len = sizeof(le) - got };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		ssize_t n;

		r = poll(&pfd, 1, nvm_msg_left(timeout_ms, &t0));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			break;
		}
		if (r == 0) {
			r = got ? -EPROTO : -ETIMEDOUT;
			break;
		}
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		r = nvm_msg_take_fds(&msg, fd);
		if (r == 0 && (msg.msg_flags & MSG_CTRUNC))
			r = -EPROTO;
		if (r == 0 && n == 0)
			r = got ? -EPROTO : -ECONNRESET;
		if (r < 0)
			break;
		got += (size_t)n;
	}
	if (r < 0) {
		if (*fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		return r;
	}
	*v = (int64_t)le64toh(le);
	return 0;
}

#define NVM_HELLO_MAX 5     /* values in the longest hello (a lease) */
#define NVM_MAX_ROLES 256u  /* roles a hello may name: 0..255 */

/* What a hello asks for (docs/abi.md). */
enum nvm_hello_kind {
	NVM_HELLO_NF,    /* a host NF attaches itself */
	NVM_HELLO_LEASE, /* a manager attaches on a VM's behalf */
	NVM_HELLO_ADOPT, /* a manager takes over an orphaned lease */
};

/* A hello, decoded and range-checked. */
struct nvm_hello {
	enum nvm_hello_kind kind;
	uint16_t role;   /* NF, LEASE: 0..NVM_MAX_ROLES-1 */
	uint16_t queues; /* NF, LEASE: 1..NVM_MAX_QUEUES */
	int64_t nf_id;   /* ADOPT: as sent; the core looks it up */
	uint64_t token;  /* LEASE: non-zero; ADOPT: as sent */
};

/* How many values a hello that starts with @magic has: 5 for a lease, else 4
 * (an unknown magic too: it is read whole, then refused); cannot fail. */
static inline unsigned int
nvm_hello_len(int64_t magic)
{
	return magic == NVM_LEASE_MAGIC ? 5 : 4;
}

/*
 * Decode the @n values @v of a hello into *h. Returns 0; -EPROTO for an
 * unknown magic or ABI version, or fewer values than nvm_hello_len() asks
 * for; -EINVAL for a role or queue count out of range or a lease token of 0.
 */
static inline int
nvm_hello_decode(const int64_t *v, unsigned int n, struct nvm_hello *h)
{
	memset(h, 0, sizeof(*h));
	if (n < 2 || (v[0] != NVM_HELLO_MAGIC && v[0] != NVM_LEASE_MAGIC &&
		      v[0] != NVM_ADOPT_MAGIC) || v[1] != NVM_ABI_VERSION ||
	    n < nvm_hello_len(v[0]))
		return -EPROTO;
	if (v[0] == NVM_ADOPT_MAGIC) {
		h->kind = NVM_HELLO_ADOPT;
		h->nf_id = v[2];
		h->token = (uint64_t)v[3];
		return 0;
	}
	if (v[2] < 0 || v[2] >= NVM_MAX_ROLES || v[3] < 1 || v[3] > NVM_MAX_QUEUES ||
	    (v[0] == NVM_LEASE_MAGIC && v[4] == 0))
		return -EINVAL;
	h->kind = v[0] == NVM_LEASE_MAGIC ? NVM_HELLO_LEASE : NVM_HELLO_NF;
	h->role = (uint16_t)v[2];
	h->queues = (uint16_t)v[3];
	h->token = h->kind == NVM_HELLO_LEASE ? (uint64_t)v[4] : 0;
	return 0;
}

#endif /* NVM_MSG_H */
