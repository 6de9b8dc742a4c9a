/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_mig_peer.c — the source manager's requests to a destination manager
 * (`vm receive`, `vm list`, `vm stop` of mgr_migrate_to.c), over one of:
 *
 *   unix:PATH       its control socket (both managers on one machine): the
 *                   request line, then its JSON answer (mgr_ctl.c)
 *   tcp:HOST:PORT   its migration port (manager.migrate_listen): the HMAC
 *                   challenge-response of mgr_mig_auth.h around the same
 *                   request and answer, under manager.migrate_key
 *
 * Every step is bounded: connecting and the destination's first line by
 * MIG_PEER_HELLO_MS, the whole request by the caller's time-out.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_mig_auth.h"
#include "mgr_migrate.h"

#define MIG_PEER_REPLY 16384
#define MIG_PEER_HELLO_MS 10000 /* connected and greeted, at most */

int
mgr_mig_peer_parse(struct mgr_mig_peer *p, const char *uri, const struct mgr_cfg *c, char *err,
		   size_t errlen)
{
	char msg[MGR_ERR_LEN];

	memset(p, 0, sizeof(*p));
	snprintf(p->uri, sizeof(p->uri), "%s", uri);
	if (strncmp(uri, "unix:", 5) == 0) {
		if (uri[5] != '/' || strlen(uri + 5) >= sizeof(p->path)) {
			snprintf(err, errlen, "destination '%s': PATH of unix:PATH must be the "
				 "absolute path of the destination netvm-manager's control socket "
				 "(manager.socket)", uri);
			return -EINVAL;
		}
		snprintf(p->path, sizeof(p->path), "%s", uri + 5);
		if (strcmp(p->path, c->socket_path) == 0) {
			snprintf(err, errlen, "%s is this manager: without --to, vm migrate moves "
				 "the VM to a new QEMU on this host", uri);
			return -EINVAL;
		}
		return 0;
	}
	if (strncmp(uri, "tcp:", 4) == 0) {
		if (mgr_auth_hostport(uri + 4, p->host, sizeof(p->host), &p->port, msg,
				      sizeof(msg)) < 0) {
			snprintf(err, errlen, "destination '%s': %s", uri, msg);
			return -EINVAL;
		}
		if (c->migrate_key[0] == '\0') {
			snprintf(err, errlen, "--to %s needs manager.migrate_key here: the key file "
				 "this manager shares with the destination manager (docs/manager.md "
				 "section 12)", uri);
			return -EINVAL;
		}
		p->tcp = true;
		p->key_path = c->migrate_key;
		return 0;
	}
	snprintf(err, errlen, "destination '%s': give tcp:HOST:PORT (the destination "
		 "netvm-manager's manager.migrate_listen) or unix:PATH (its control socket, on "
		 "this machine)", uri);
	return -EINVAL;
}

/* Milliseconds left until @deadline (at least 1 while it is ahead), 0 when past. */
static int
peer_left(uint64_t deadline)
{
	uint64_t now = mgr_now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Connect to @p within @deadline: a non-blocking socket, or -errno with @err. */
static int
peer_connect(const struct mgr_mig_peer *p, uint64_t deadline, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *a;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char port[8];
	int fd, r, soerr;
	socklen_t sl = sizeof(soerr);

	if (!p->tcp) {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			r = -errno;
			snprintf(err, errlen, "the destination manager's socket %s: %s", p->path,
				 strerror(-r));
			if (fd >= 0)
				close(fd);
			return r;
		}
		return fd;
	}
	snprintf(port, sizeof(port), "%u", (unsigned int)p->port);
	r = getaddrinfo(p->host, port, &hints, &ai);
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", p->uri, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	r = -ECONNREFUSED;
	for (a = ai; a != NULL; a = a->ai_next) {
		struct pollfd pf;

		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pf = (struct pollfd){ .fd = fd, .events = POLLOUT };
			if (poll(&pf, 1, peer_left(deadline)) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				break;
			r = pf.revents == 0 ? -ETIMEDOUT : soerr != 0 ? -soerr : -ECONNREFUSED;
		} else {
			r = -errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (a == NULL) {
		snprintf(err, errlen, "cannot connect to the destination manager at %s: %s", p->uri,
			 strerror(-r));
		return r;
	}
	return fd;
}

/*
 * Receive into @buf (@cap bytes with the NUL) until EOF, or until a newline
 * when @line, within @deadline. Returns the length, or -errno with @err.
 */
static int
peer_recv(const struct mgr_mig_peer *p, int fd, char *buf, size_t cap, bool line,
	  uint64_t deadline, char *err, size_t errlen)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int left = peer_left(deadline);

		if (left == 0) {
			snprintf(err, errlen, "the destination manager (%s) did not answer in time",
				 p->uri);
			return -ETIMEDOUT;
		}
		if (poll(&pf, 1, left) < 0 && errno != EINTR) {
			snprintf(err, errlen, "%s: poll: %s", p->uri, strerror(errno));
			return -errno;
		}
		if (pf.revents == 0)
			continue;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", p->uri, strerror(errno));
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (line && memchr(buf, '\n', len) != NULL)
			break;
		if (len == cap - 1) {
			snprintf(err, errlen, "%s: an answer longer than %zu bytes", p->uri, cap - 1);
			return -EPROTO;
		}
	}
	buf[len] = '\0';
	return (int)len;
}

/* Send all of @s on @fd (blocking or not) within @deadline; -errno with @err. */
static int
peer_send(const struct mgr_mig_peer *p, int fd, const char *s, uint64_t deadline, char *err,
	  size_t errlen)
{
	size_t off = 0, len = strlen(s);

	while (off < len) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			if (peer_left(deadline) == 0 || poll(&pf, 1, peer_left(deadline)) == 0) {
				snprintf(err, errlen, "%s: the request could not be sent in time",
					 p->uri);
				return -ETIMEDOUT;
			}
			continue;
		}
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", p->uri, strerror(errno));
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/* The TCP greeting: read the destination's nonce, send the signed request. */
static int
peer_greet(const struct mgr_mig_peer *p, int fd, const char *req, uint8_t ns[MGR_AUTH_NONCE],
	   uint8_t nc[MGR_AUTH_NONCE], uint64_t deadline, char *err, size_t errlen)
{
	uint64_t hello_by = mgr_now_ms() + MIG_PEER_HELLO_MS;
	char line[MGR_AUTH_REQ_MAX + 3 * MGR_AUTH_HEX], msg[MGR_ERR_LEN];
	struct mgr_auth_key *key;
	int r;

	r = peer_recv(p, fd, line, sizeof(MGR_AUTH_HELLO) + MGR_AUTH_HEX + 1, true,
		      hello_by < deadline ? hello_by : deadline, err, errlen);
	if (r >= 0 && mgr_auth_hello_parse(line, ns) < 0) {
		snprintf(err, errlen, "%s does not greet as a netvm-manager's migration port "
			 "(manager.migrate_listen)", p->uri);
		r = -EPROTO;
	}
	if (r < 0)
		return r;
	key = malloc(sizeof(*key));
	if (key == NULL)
		return -ENOMEM;
	r = mgr_auth_key_load(p->key_path, key, msg, sizeof(msg));
	if (r < 0)
		snprintf(err, errlen, "%s (manager.migrate_key)", msg);
	if (r == 0 && (mgr_auth_nonce(nc) < 0 ||
		       mgr_auth_request(key, ns, nc, req, line, sizeof(line)) < 0)) {
		snprintf(err, errlen, "cannot sign the request to %s (libcrypto)", p->uri);
		r = -EIO;
	}
	memset(key, 0, sizeof(*key));
	free(key);
	return r < 0 ? r : peer_send(p, fd, line, deadline, err, errlen);
}

/* The TCP answer @text checked against the key: the JSON text in *@json. */
static int
peer_verify(const struct mgr_mig_peer *p, char *text, const uint8_t *ns, const uint8_t *nc,
	    const char **json, char *err, size_t errlen)
{
	char msg[MGR_ERR_LEN];
	struct mgr_auth_key *key = malloc(sizeof(*key));
	struct json_object *o;
	int r;

	if (key == NULL)
		return -ENOMEM;
	text[strcspn(text, "\n")] = '\0';
	r = mgr_auth_key_load(p->key_path, key, msg, sizeof(msg));
	if (r == 0)
		r = mgr_auth_answer_check(key, ns, nc, text, json, msg, sizeof(msg));
	memset(key, 0, sizeof(*key));
	free(key);
	if (r == 1) {
		o = json_tokener_parse(*json);
		snprintf(err, errlen, "the destination manager at %s refused the request: %s",
			 p->uri, mgr_json_str(o, "error", "no reason given"));
		json_object_put(o);
		return -EACCES;
	}
	if (r < 0)
		snprintf(err, errlen, "%s: %s", p->uri, msg);
	return r;
}

int
mgr_mig_peer_ask(const struct mgr_mig_peer *p, const char *req, int timeout_ms,
		 struct json_object **reply, char *err, size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + (uint64_t)timeout_ms;
	uint64_t connect_by = mgr_now_ms() + MIG_PEER_HELLO_MS;
	uint8_t ns[MGR_AUTH_NONCE], nc[MGR_AUTH_NONCE];
	char *buf = malloc(MIG_PEER_REPLY), line[MGR_AUTH_REQ_MAX + 2];
	const char *json;
	int fd = -1, r;

	*reply = NULL;
	if (buf == NULL)
		return -ENOMEM;
	fd = peer_connect(p, connect_by < deadline ? connect_by : deadline, err, errlen);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if (p->tcp) {
		r = peer_greet(p, fd, req, ns, nc, deadline, err, errlen);
	} else {
		snprintf(line, sizeof(line), "%s\n", req);
		r = peer_send(p, fd, line, deadline, err, errlen);
	}
	if (r < 0)
		goto out;
	shutdown(fd, SHUT_WR);
	r = peer_recv(p, fd, buf, MIG_PEER_REPLY, false, deadline, err, errlen);
	if (r < 0)
		goto out;
	json = buf;
	if (p->tcp && (r = peer_verify(p, buf, ns, nc, &json, err, errlen)) < 0)
		goto out;
	*reply = json_tokener_parse(json);
	r = 0;
	if (*reply == NULL || !json_object_is_type(*reply, json_type_object)) {
		json_object_put(*reply);
		*reply = NULL;
		r = -EPROTO;
		snprintf(err, errlen, "%s: an answer that is not a JSON object", p->uri);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}
