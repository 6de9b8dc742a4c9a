/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_msg.c — the attach protocol's framing and hello (nvm_msg.h) against
 * a peer that sends anything: bytes in pieces of any size, descriptors
 * attached anywhere, one, several, then closes or stays silent.
 *
 * Input: a flags byte (bit 0: the peer closes after sending), then pieces:
 * one byte (bits 0-3: length 0..15, bits 4-5: descriptors 0..3) and that
 * many bytes. The receiver reads messages as the core reads a hello, with
 * no time to wait: what it decodes must be the stream's 8-byte words in
 * order, it must never block, and no descriptor may stay open.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "nvm_msg.h"

#define FZ_MAX_STREAM 8192

/* Send @len bytes of @p with @nfds descriptors; 0, or -1 if the socket is full. */
static int
send_piece(int sock, const uint8_t *p, size_t len, unsigned int nfds, int devnull)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[3] = { devnull, devnull, devnull };

	if (len == 0)
		return 0; /* a stream carries descriptors only with bytes */
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The lowest free descriptor number: it moves when one leaks. */
static int
lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* The hello rules of docs/abi.md, restated: 1 when @v (n values) is acceptable. */
static int
spec_hello_ok(const int64_t *v, unsigned int n)
{
	const int64_t hello = 0x4e564d48454c4cll, lease = 0x4e564d4c454153ll,
		      adopt = 0x4e564d41444f50ll;

	/* the ABI version is 2 (docs/abi.md §7) */
	if (n < 4 || (v[0] != hello && v[0] != lease && v[0] != adopt) || v[1] != 2)
		return 0;
	if (v[0] == adopt)
		return 1;
	if (v[2] < 0 || v[2] > 255 || v[3] < 1 || v[3] > 8)
		return 0;
	return v[0] != lease || (n >= 5 && v[4] != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -1;
	uint8_t stream[FZ_MAX_STREAM];
	int64_t vals[NVM_HELLO_MAX];
	size_t i = 1, slen = 0;
	unsigned int nvals = 0, sent_fds = 0, words;
	int sv[2], low, r, peer_closed;
	struct nvm_hello h;

	if (size < 1)
		return 0;
	if (devnull < 0)
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	low = lowest_free_fd();
	if (devnull < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	peer_closed = data[0] & 1;
	while (i < size) {
		size_t len = data[i] & 0x0f;
		unsigned int nfds = (data[i] >> 4) & 3;

		i++;
		if (len > size - i)
			len = size - i;
		if (slen + len > sizeof(stream) ||
		    send_piece(sv[0], data + i, len, nfds, devnull) < 0)
			break;
		memcpy(stream + slen, data + i, len);
		slen += len;
		sent_fds += len ? nfds : 0;
		i += len;
	}
	if (peer_closed) {
		close(sv[0]);
		sv[0] = -1;
	}

	/* Read as the core does: until the first error, nothing waited for. */
	words = 0;
	for (;;) {
		int64_t v = 0;
		int fd = -1;
		uint64_t want;

		r = nvm_msg_recv(sv[1], &v, &fd, 0);
		if (r < 0) {
			FUZZ_CHECK(fd == -1, "descriptor %d handed out with error %d", fd, r);
			break;
		}
		FUZZ_CHECK((size_t)(words + 1) * 8 <= slen, "message %u past the %zu bytes sent",
			   words, slen);
		memcpy(&want, stream + words * 8, 8);
		FUZZ_CHECK(v == (int64_t)le64toh(want), "message %u: %#llx, stream says %#llx",
			   words, (unsigned long long)v, (unsigned long long)le64toh(want));
		if (fd >= 0) {
			FUZZ_CHECK(fcntl(fd, F_GETFD) >= 0, "descriptor %d not open", fd);
			close(fd);
		}
		if (nvals < NVM_HELLO_MAX)
			vals[nvals++] = v;
		words++;
	}
	/* It stops where the stream does, for the reason the stream gives. */
	if ((size_t)words * 8 < slen)
		FUZZ_CHECK(r == -EPROTO, "stopped at message %u of %zu bytes with %d", words, slen,
			   r);
	else
		FUZZ_CHECK(r == (peer_closed ? -ECONNRESET : -ETIMEDOUT),
			   "end of stream (peer %s): %d", peer_closed ? "closed" : "open", r);

	/* The hello those values make, as the core decodes it. */
	if (nvals >= 4) {
		unsigned int n = nvm_hello_len(vals[0]) <= nvals ? nvm_hello_len(vals[0]) : nvals;

		r = nvm_hello_decode(vals, n, &h);
		FUZZ_CHECK((r == 0) == spec_hello_ok(vals, n), "hello decoded %d", r);
		if (r == 0 && h.kind != NVM_HELLO_ADOPT)
			FUZZ_CHECK(h.role == vals[2] && h.queues == vals[3] &&
				   h.token == (h.kind == NVM_HELLO_LEASE ? (uint64_t)vals[4] : 0),
				   "hello fields");
	}

	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
	FUZZ_CHECK(lowest_free_fd() == low, "a descriptor leaked (%u sent)", sent_fds);
	return 0;
}
