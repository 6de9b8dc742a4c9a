/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_msg.h — framing of the attach protocol: QEMU's ivshmem server framing.
 * Every message is one little-endian int64, optionally carrying one file
 * descriptor by SCM_RIGHTS. Shared by the core engine and netlib.
 *
 * Receiving never blocks past its deadline, whatever the peer sends: a part
 * of a message is kept until the rest comes (nvm_msg_read, for event loops)
 * or the time is up (nvm_msg_recv). Every descriptor that arrives is either
 * handed to the caller or closed, including those of a message that carries
 * more than one.
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

/* Descriptors one receive takes in at most (and closes all but one of); the
 * kernel closes those of a message that carries more. */
#define NVM_MSG_MAX_FDS 16

/* A message being received: the bytes so far and the descriptor that came
 * with them (-1: none). */
struct nvm_msg_rx {
	uint8_t buf[8];
	unsigned int got;
	int fd;
};

/* Start receiving a new message into @rx; cannot fail. */
static inline void
nvm_msg_rx_init(struct nvm_msg_rx *rx)
{
	rx->got = 0;
	rx->fd = -1;
}

/* Forget the part of a message in @rx, closing its descriptor; cannot fail. */
static inline void
nvm_msg_rx_reset(struct nvm_msg_rx *rx)
{
	if (rx->fd >= 0)
		close(rx->fd);
	nvm_msg_rx_init(rx);
}

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
 * Read, without waiting, what has arrived of the message @rx is receiving.
 * Returns 1 when it is whole: its value in *v, its descriptor (or -1) in
 * *fd, which the caller then owns, and @rx ready for the next message. 0
 * when more must come (@rx keeps the part); -ECONNRESET when the peer closed
 * before the message began, -EPROTO when it closed within one or sent more
 * than one descriptor with it (every one is closed), or -errno. After an
 * error the caller drops the connection and calls nvm_msg_rx_reset().
 */
static inline int
nvm_msg_read(int sock, struct nvm_msg_rx *rx, int64_t *v, int *fd)
{
	struct iovec iov = { .iov_base = rx->buf + rx->got, .iov_len = sizeof(rx->buf) - rx->got };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(NVM_MSG_MAX_FDS * sizeof(int))];
	} ctl;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	unsigned int extra = 0;
	uint64_t le;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		size_t i, nfds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (rx->fd < 0) {
				rx->fd = got;
			} else {
				close(got);
				extra++;
			}
		}
	}
	if (extra > 0 || (msg.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	if (n == 0)
		return rx->got == 0 && rx->fd < 0 ? -ECONNRESET : -EPROTO;
	rx->got += (unsigned int)n;
	if (rx->got < sizeof(rx->buf))
		return 0;
	memcpy(&le, rx->buf, sizeof(le));
	*v = (int64_t)le64toh(le);
	*fd = rx->fd;
	nvm_msg_rx_init(rx);
	return 1;
}

/*
 * Receive one message into *v and, if one came with it, a descriptor into
 * *fd (else -1), waiting at most @timeout_ms (-1: forever) for all of it.
 * Returns 0; -ETIMEDOUT when nothing came; -ECONNRESET when the peer closed;
 * -EPROTO for a message cut short (by a close, or by the time running out
 * with part of it read: the stream is out of step, drop the connection) or
 * carrying several descriptors (none is kept); or -errno.
 */
static inline int
nvm_msg_recv(int sock, int64_t *v, int *fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct nvm_msg_rx rx;
	struct timespec t;
	int64_t end = 0;
	int r;

	*fd = -1;
	nvm_msg_rx_init(&rx);
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		end = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + timeout_ms;
	}
	for (;;) {
		int wait = -1;

		r = nvm_msg_read(sock, &rx, v, fd);
		if (r != 0)
			break;
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			wait = (int)(end - ((int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000));
			if (wait < 0)
				wait = 0;
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			break;
		}
		if (r == 0) {
			r = rx.got > 0 || rx.fd >= 0 ? -EPROTO : -ETIMEDOUT;
			break;
		}
	}
	if (r == 1)
		return 0;
	nvm_msg_rx_reset(&rx);
	return r;
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
