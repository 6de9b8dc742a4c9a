/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_mig_listen.c — the migration port: the TCP address other
 * netvm-managers send `vm migrate --to tcp:HOST:PORT` requests to
 * (manager.migrate_listen; off unless configured).
 *
 * A connection is served inside the manager's loop without ever blocking
 * it before it is authenticated: the socket is non-blocking, the greeting
 * (a fresh nonce) is sent on accept, the request line is gathered as it
 * arrives, and a connection still without a whole line MIGL_HANDSHAKE_MS
 * after it was accepted is closed (the 200 ms tick). At most MIGL_CONNS are
 * pending; more are closed at once. A request whose HMAC does not verify
 * under manager.migrate_key (read again for every connection: a key can be
 * replaced without a restart) is refused with a clear answer and logged
 * with the peer's address. An authenticated one is carried out as on the
 * control socket (mgr_ctl_peer(): vm receive, vm list, vm stop) and its
 * answer sent with its MAC. Protocol: mgr_mig_auth.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_mig_auth.h"

#define MIGL_CONNS 8               /* connections waiting for their request */
#define MIGL_HANDSHAKE_MS 5000     /* accepted until the request line is whole */
#define MIGL_SEND_MS 1000          /* the answer: a peer that does not read it is dropped */
#define MIGL_LINE (MGR_AUTH_REQ_MAX + 2 * MGR_AUTH_HEX + 2)

struct migl_conn {
	struct mgr_tag tag;        /* first: the loop's pointer is the connection's */
	int fd;                    /* -1: a free slot */
	uint64_t deadline;
	uint8_t ns[MGR_AUTH_NONCE];
	char peer[INET6_ADDRSTRLEN + 8];
	size_t len;
	char line[MIGL_LINE + 1];
};

struct mgr_migl {
	int fd;
	struct mgr_tag tag;
	struct migl_conn conns[MIGL_CONNS];
};

int
mgr_migl_open(struct mgr *m, char *err, size_t errlen)
{
	const struct mgr_cfg *c = &m->cfg;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct mgr_migl *l;
	char port[8];
	unsigned int i;
	int one = 1, r;

	if (c->migrate_listen[0] == '\0')
		return 0;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->fd = -1;
	l->tag = (struct mgr_tag){ MGR_TAG_MIGL, NULL };
	for (i = 0; i < MIGL_CONNS; i++) {
		l->conns[i].fd = -1;
		l->conns[i].tag = (struct mgr_tag){ MGR_TAG_MIGC, NULL };
	}
	m->migl = l;
	snprintf(port, sizeof(port), "%u", (unsigned int)c->migrate_port);
	r = getaddrinfo(c->migrate_addr, port, &hints, &ai);
	if (r != 0) {
		snprintf(err, errlen, "manager.migrate_listen %s: %s", c->migrate_listen,
			 gai_strerror(r));
		return -EINVAL;
	}
	l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l->fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(l->fd, MIGL_CONNS) < 0 ||
	    (r = mgr_watch(m, l->fd, &l->tag)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s (manager.migrate_listen): %s",
			 c->migrate_listen, strerror(-r));
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	mgr_log("migration port %s (requests authenticated with %s; QEMU streams on ports "
		"%u..%u)", c->migrate_listen, c->migrate_key, c->migrate_ports[0],
		c->migrate_ports[1]);
	return 0;
}

/* Close connection @k of the loop; cannot fail. */
static void
migl_drop(struct mgr *m, struct migl_conn *k)
{
	mgr_unwatch(m, k->fd);
	close(k->fd);
	k->fd = -1;
}

/* "ADDR:PORT" of the peer of @fd into @buf. */
static void
migl_peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN], port[8];

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	mgr_auth_hostport_fmt(host, (uint16_t)atoi(port), buf, len);
}

/* Send @mac, a space, @text and a newline on @k (blocking, bounded), then close it. */
static void
migl_answer(struct mgr *m, struct migl_conn *k, const char *mac, const char *text)
{
	struct timeval tv = { .tv_sec = MIGL_SEND_MS / 1000, .tv_usec = MIGL_SEND_MS % 1000 * 1000 };
	const char *parts[4] = { mac, " ", text, "\n" };
	unsigned int i;

	mgr_unwatch(m, k->fd);
	/* blocking from here, each send bounded: a peer that does not read is dropped */
	if (fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) & ~O_NONBLOCK) == 0)
		setsockopt(k->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 4; i++) {
		size_t off = 0, len = strlen(parts[i]);

		while (off < len) {
			ssize_t n = send(k->fd, parts[i] + off, len - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	close(k->fd);
	k->fd = -1;
}

/* A whole request line on @k: authenticate it, carry it out, answer. */
static void
migl_request(struct mgr *m, struct migl_conn *k)
{
	char why[MGR_ERR_LEN], msg[MGR_ERR_LEN + 64], mac[MGR_AUTH_HEX], req[MGR_AUTH_REQ_MAX + 1];
	uint8_t nc[MGR_AUTH_NONCE];
	struct mgr_auth_key *key = malloc(sizeof(*key));
	struct json_object *reply;
	const char *r, *text;
	int rc;

	k->line[strcspn(k->line, "\r\n")] = '\0';
	rc = key == NULL ? -ENOMEM : mgr_auth_key_load(m->cfg.migrate_key, key, why, sizeof(why));
	if (rc < 0) {
		/* the peer learns no more than that: the path and the reason stay here */
		mgr_log("migration port: request from %s refused: %s", k->peer, why);
		snprintf(why, sizeof(why), "the destination manager cannot read its key "
			 "(manager.migrate_key; its log says why)");
	} else {
		rc = mgr_auth_request_check(key, k->ns, k->line, nc, &r, why, sizeof(why));
		if (rc < 0)
			mgr_log("migration port: request from %s refused: %s", k->peer, why);
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "authentication failed: %s", why);
		reply = json_object_new_object();
		json_object_object_add(reply, "ok", json_object_new_boolean(0));
		json_object_object_add(reply, "error", json_object_new_string(msg));
		migl_answer(m, k, "-", json_object_to_json_string_ext(reply,
								       JSON_C_TO_STRING_PLAIN));
		json_object_put(reply);
		goto out;
	}
	snprintf(req, sizeof(req), "%s", r);
	mgr_log("migration port: %s from %s (authenticated)", req, k->peer);
	reply = mgr_ctl_peer(m, req);
	text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	if (mgr_auth_answer_mac(key, k->ns, nc, text, mac) < 0)
		snprintf(mac, sizeof(mac), "-");
	migl_answer(m, k, mac, text);
	json_object_put(reply);
out:
	if (key != NULL) {
		memset(key, 0, sizeof(*key));
		free(key);
	}
}

/* A new connection: greet it with a fresh nonce, or close it when full. */
static void
migl_accept(struct mgr *m)
{
	struct mgr_migl *l = m->migl;
	char hello[sizeof(MGR_AUTH_HELLO) + MGR_AUTH_HEX + 1], peer[sizeof(l->conns[0].peer)];
	struct migl_conn *k = NULL;
	unsigned int i;
	int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	migl_peer_name(fd, peer, sizeof(peer));
	for (i = 0; i < MIGL_CONNS && k == NULL; i++)
		if (l->conns[i].fd < 0)
			k = &l->conns[i];
	if (k == NULL) {
		mgr_log("migration port: %s refused: %d connections are waiting for their "
			"request already", peer, MIGL_CONNS);
		close(fd);
		return;
	}
	k->fd = fd;
	k->len = 0;
	k->deadline = mgr_now_ms() + MIGL_HANDSHAKE_MS;
	snprintf(k->peer, sizeof(k->peer), "%s", peer);
	if (mgr_auth_nonce(k->ns) < 0 || mgr_watch(m, fd, &k->tag) < 0) {
		mgr_log("migration port: %s dropped: no nonce or no room in the loop", peer);
		close(fd);
		k->fd = -1;
		return;
	}
	mgr_auth_hello(k->ns, hello, sizeof(hello));
	/* 81 bytes into an empty socket buffer: it fits */
	if (send(fd, hello, strlen(hello), MSG_NOSIGNAL) != (ssize_t)strlen(hello)) {
		mgr_log("migration port: %s dropped: cannot send the greeting", peer);
		migl_drop(m, k);
	}
}

/* What arrived on connection @k: the request, once its line is whole. */
static void
migl_read(struct mgr *m, struct migl_conn *k)
{
	ssize_t n;

	if (k->fd < 0)
		return;
	n = recv(k->fd, k->line + k->len, MIGL_LINE - k->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		mgr_log("migration port: %s closed the connection before its request", k->peer);
		migl_drop(m, k);
		return;
	}
	k->len += (size_t)n;
	k->line[k->len] = '\0';
	if (memchr(k->line, '\n', k->len) != NULL) {
		migl_request(m, k);
		return;
	}
	if (k->len == MIGL_LINE) {
		mgr_log("migration port: %s refused: a request line longer than %d bytes",
			k->peer, MIGL_LINE);
		migl_drop(m, k);
	}
}

void
mgr_migl_event(struct mgr *m, struct mgr_tag *t)
{
	if (m->migl == NULL)
		return;
	if (t->kind == MGR_TAG_MIGL)
		migl_accept(m);
	else
		migl_read(m, (struct migl_conn *)(void *)((char *)t -
							  offsetof(struct migl_conn, tag)));
}

void
mgr_migl_tick(struct mgr *m, uint64_t now_ms)
{
	unsigned int i;

	if (m->migl == NULL)
		return;
	for (i = 0; i < MIGL_CONNS; i++) {
		struct migl_conn *k = &m->migl->conns[i];

		if (k->fd >= 0 && now_ms >= k->deadline) {
			mgr_log("migration port: %s closed: no whole request within %d ms",
				k->peer, MIGL_HANDSHAKE_MS);
			migl_drop(m, k);
		}
	}
}

void
mgr_migl_close(struct mgr *m)
{
	unsigned int i;

	if (m->migl == NULL)
		return;
	for (i = 0; i < MIGL_CONNS; i++)
		if (m->migl->conns[i].fd >= 0)
			migl_drop(m, &m->migl->conns[i]);
	if (m->migl->fd >= 0) {
		mgr_unwatch(m, m->migl->fd);
		close(m->migl->fd);
	}
	free(m->migl);
	m->migl = NULL;
}
