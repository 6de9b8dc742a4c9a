/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_corecmd.c — the core's command socket, client side (mgr_corecmd.h).
 * Request: "nf ID LEN TIMEOUT_MS\n" or "core LEN\n", then LEN bytes; answer:
 * "STATUS LEN\n", then LEN bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgr_corecmd.h"
#include "netvm_abi.h"

/* Read exactly @len bytes. 0, or a negative errno (-EPIPE at an early end). */
static int
read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
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
	/* the core answers an NF's command by the NF's time-out at the latest */
	struct timeval tv = { .tv_sec = timeout_ms / 1000 + 5 };
	char head[64], c;
	size_t alen, i = 0;
	int fd, n, r;

	*answer = NULL;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.ctl", core_sock) >=
	    sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s.ctl", core_sock);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot reach the core engine's command socket %s: %s (is "
			 "netvm-core running? -c gives its attach socket)", sa.sun_path,
			 strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (id == MGR_CORE_SELF)
		n = snprintf(head, sizeof(head), "core %zu\n", len);
	else
		n = snprintf(head, sizeof(head), "nf %d %zu %u\n", id, len, timeout_ms);
	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) < 0 || send(fd, req, len, MSG_NOSIGNAL) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", sa.sun_path, strerror(-r));
		close(fd);
		return r;
	}
	while (i < sizeof(head) - 1 && read_all(fd, &c, 1) == 0 && c != '\n')
		head[i++] = c;
	head[i] = '\0';
	if (sscanf(head, "%d %zu", status, &alen) != 2 || alen > NVM_CTL_MAX_LEN) {
		snprintf(err, errlen, "no answer from the core engine%s%s",
			 head[0] ? ": " : " (it closed the connection)", head);
		close(fd);
		return -EPROTO;
	}
	*answer = malloc(alen + 1);
	if (*answer == NULL || read_all(fd, *answer, alen) < 0) {
		snprintf(err, errlen, "the core engine's answer was cut short");
		free(*answer);
		*answer = NULL;
		close(fd);
		return -EPROTO;
	}
	(*answer)[alen] = '\0';
	close(fd);
	return 0;
}
