/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_nfcmd.c — a command for an NF through the core engine's command
 * socket (<core.socket>.ctl, docs/control.md "The core's command socket"):
 *
 *   client -> core:  nf ID LEN TIMEOUT_MS\n  then LEN bytes
 *   core -> client:  STATUS LEN\n            then LEN bytes; then it closes
 *
 * The core relays it over the NF's control channel, host process or guest.
 * Every read and write is bounded (the core's time-out plus a margin), so a
 * stuck core costs a time-out, never a hang.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgr_idle.h"
#include "netvm_abi.h"

#define NFCMD_MARGIN_MS 2000 /* beyond the NF's time-out: the core's own answer */

/* Wait for @events on @fd until @deadline (mgr_now_ms() time): 0 or -ETIMEDOUT. */
static int
nfcmd_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;

	for (;;) {
		now = mgr_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(deadline - now)) > 0)
			return 0;
	}
}

static int
nfcmd_send(int fd, const char *buf, size_t len, uint64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;

		if (nfcmd_wait(fd, POLLOUT, deadline) < 0)
			return -ETIMEDOUT;
		n = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/* Exactly @len bytes into @buf; -EPIPE at an early end. */
static int
nfcmd_recv(int fd, char *buf, size_t len, uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (nfcmd_wait(fd, POLLIN, deadline) < 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

/*
 * Send command @req (@len bytes: its first line, then any data) to NF
 * instance @id through the command socket of the core whose attach socket is
 * @core_sock; the NF may take @timeout_ms. Returns 0 with the NF's (or the
 * core's) status, 0 or a negative errno, in *@status and its answer in
 * *@answer (malloc'd, NUL-terminated; the caller frees it), or a negative
 * errno with a message in @err when the exchange itself failed.
 */
int
mgr_nf_cmd(const char *core_sock, uint32_t id, const char *req, size_t len,
	   unsigned int timeout_ms, int *status, char **answer, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = mgr_now_ms() + timeout_ms + NFCMD_MARGIN_MS;
	char head[64];
	size_t alen, i = 0;
	int fd, r, n;

	*answer = NULL;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.ctl", core_sock) >=
	    sizeof(sa.sun_path) || len == 0 || len > NVM_CTL_MAX_LEN) {
		snprintf(err, errlen, "nf %u: the command (%zu bytes) or the socket path %s.ctl "
			 "is too long", id, len, core_sock);
		return -EINVAL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot reach the core's command socket %s: %s", sa.sun_path,
			 strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	n = snprintf(head, sizeof(head), "nf %u %zu %u\n", id, len, timeout_ms);
	r = nfcmd_send(fd, head, (size_t)n, deadline);
	if (r == 0)
		r = nfcmd_send(fd, req, len, deadline);
	/* "STATUS LEN\n" */
	while (r == 0 && i < sizeof(head) - 1 && (r = nfcmd_recv(fd, head + i, 1, deadline)) == 0 &&
	       head[i] != '\n')
		i++;
	head[i] = '\0';
	if (r == 0 && (sscanf(head, "%d %zu", status, &alen) != 2 || alen > NVM_CTL_MAX_LEN))
		r = -EPROTO;
	if (r == 0 && (*answer = malloc(alen + 1)) == NULL)
		r = -ENOMEM;
	if (r == 0 && (r = nfcmd_recv(fd, *answer, alen, deadline)) == 0)
		(*answer)[alen] = '\0';
	close(fd);
	if (r < 0) {
		free(*answer);
		*answer = NULL;
		snprintf(err, errlen, "nf %u: the core's command socket: %s", id,
			 r == -EPROTO ? "a malformed answer" : strerror(-r));
	}
	return r;
}
