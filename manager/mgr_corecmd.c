/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_corecmd.c — the core engine's command socket, client side
 * (<core.socket>.ctl, docs/control.md "The core's command socket"):
 *
 *   client -> core:  nf ID LEN TIMEOUT_MS\n  (or core LEN\n)  then LEN bytes
 *   core -> client:  STATUS LEN\n                            then LEN bytes; then it closes
 *
 * For "nf" the core relays the request over the NF's control channel, host
 * process or guest. Every read and write is bounded by one deadline (the
 * NF's time-out plus a margin for the core's own answer), so a stuck core
 * costs a time-out, never a hang. netvmctl and netvm-manager both use it.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgr_corecmd.h"
#include "netvm_abi.h"

#define CORECMD_MARGIN_MS 2000 /* beyond the NF's time-out: the core's own answer */

static uint64_t
corecmd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for @events on @fd until @deadline (corecmd_now_ms() time): 0 or -ETIMEDOUT. */
static int
corecmd_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;

	for (;;) {
		now = corecmd_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(deadline - now)) > 0)
			return 0;
	}
}

/* All @len bytes of @buf to @fd by @deadline: 0 or a negative errno. */
static int
corecmd_send(int fd, const char *buf, size_t len, uint64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;

		if (corecmd_wait(fd, POLLOUT, deadline) < 0)
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

/* Exactly @len bytes into @buf by @deadline; -EPIPE at an early end. */
static int
corecmd_recv(int fd, char *buf, size_t len, uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (corecmd_wait(fd, POLLIN, deadline) < 0)
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

int
mgr_core_ask(const char *core_sock, int id, const char *req, size_t len,
	     unsigned int timeout_ms, int *status, char **answer, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = corecmd_now_ms() + timeout_ms + CORECMD_MARGIN_MS;
	struct timeval tv = {
		.tv_sec = (timeout_ms + CORECMD_MARGIN_MS) / 1000,
		.tv_usec = (timeout_ms + CORECMD_MARGIN_MS) % 1000 * 1000,
	};
	char head[64], who[24];
	size_t alen, i = 0;
	int fd, r, n;

	*answer = NULL;
	if (id == MGR_CORE_SELF)
		snprintf(who, sizeof(who), "the core");
	else
		snprintf(who, sizeof(who), "nf %d", id);
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.ctl", core_sock) >=
	    sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: the core engine's command socket path %.200s.ctl is "
			 "longer than %zu bytes", who, core_sock, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (len == 0 || len > NVM_CTL_MAX_LEN) {
		snprintf(err, errlen, "%s: the command is %zu bytes, not 1..%u", who, len,
			 (unsigned int)NVM_CTL_MAX_LEN);
		return -EINVAL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* the send time-out bounds connect() too: a core whose control thread
	 * is busy (a long rule change) or stuck leaves its backlog full */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (r == -EAGAIN)
			snprintf(err, errlen, "%s: the core engine's command socket %s took no "
				 "connection within %u ms (is netvm-core stopped or busy? -t gives "
				 "it longer)", who, sa.sun_path, timeout_ms + CORECMD_MARGIN_MS);
		else if (r == -EACCES || r == -EPERM)
			/* the socket is there: it is another user's (mode 0600) */
			snprintf(err, errlen, "cannot reach the core engine's command socket %s: "
				 "%s (it is mode 0600, the user's of netvm-core: run as root)",
				 sa.sun_path, strerror(-r));
		else
			snprintf(err, errlen, "cannot reach the core engine's command socket %s: "
				 "%s (is netvm-core running? -c gives its attach socket)",
				 sa.sun_path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (id == MGR_CORE_SELF)
		n = snprintf(head, sizeof(head), "core %zu\n", len);
	else
		n = snprintf(head, sizeof(head), "nf %d %zu %u\n", id, len, timeout_ms);
	r = corecmd_send(fd, head, (size_t)n, deadline);
	if (r == 0)
		r = corecmd_send(fd, req, len, deadline);
	/* a core that refuses early (too many clients, a bad request line)
	 * answers and closes before it has read everything: its answer says why */
	if (r == -EPIPE || r == -ECONNRESET)
		r = 0;
	/* "STATUS LEN\n" */
	while (r == 0 && i < sizeof(head) - 1 &&
	       (r = corecmd_recv(fd, head + i, 1, deadline)) == 0 && head[i] != '\n')
		i++;
	head[i] = '\0';
	if (r == 0 && (sscanf(head, "%d %zu", status, &alen) != 2 || alen > NVM_CTL_MAX_LEN))
		r = -EPROTO;
	if (r == 0 && (*answer = malloc(alen + 1)) == NULL)
		r = -ENOMEM;
	if (r == 0 && (r = corecmd_recv(fd, *answer, alen, deadline)) == 0)
		(*answer)[alen] = '\0';
	close(fd);
	if (r == -ETIMEDOUT) {
		free(*answer);
		*answer = NULL;
		/* the core took the connection, then said nothing in time */
		snprintf(err, errlen, "%s: the core engine's command socket %s did not answer "
			 "within %u ms (is netvm-core stopped or busy? -t gives it longer)", who,
			 sa.sun_path, timeout_ms + CORECMD_MARGIN_MS);
	} else if (r < 0) {
		free(*answer);
		*answer = NULL;
		snprintf(err, errlen, "%s: the core engine's command socket %s: %s%s%.80s", who,
			 sa.sun_path, r == -EPROTO ? "a malformed answer" :
			 r == -EPIPE ? "it closed the connection" : strerror(-r),
			 r == -EPROTO && head[0] ? ": " : "", r == -EPROTO ? head : "");
	}
	return r;
}

int
mgr_nf_ask(const char *core_sock, int id, const char *cmd, const char *data, size_t dlen,
	   unsigned int timeout_ms, char **answer, char *err, size_t errlen)
{
	size_t clen = strlen(cmd);
	char *req = malloc(clen + 1 + dlen), *ans = NULL;
	int status = 0, r;

	if (answer != NULL)
		*answer = NULL;
	if (req == NULL) {
		snprintf(err, errlen, "nf %d: out of memory", id);
		return -ENOMEM;
	}
	memcpy(req, cmd, clen);
	req[clen] = '\n';
	if (dlen > 0)
		memcpy(req + clen + 1, data, dlen);
	r = mgr_core_ask(core_sock, id, req, clen + 1 + dlen, timeout_ms, &status, &ans, err,
			 errlen);
	free(req);
	if (r == 0 && status != 0) {
		snprintf(err, errlen, "nf %d refused '%s': %s: %.300s", id, cmd, strerror(-status),
			 ans != NULL ? ans : "");
		err[strcspn(err, "\n")] = '\0';
		r = status < 0 ? status : -EIO;
	}
	if (r == 0 && answer != NULL)
		*answer = ans;
	else
		free(ans);
	return r;
}
