/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_agent.c — the host side of netvm-agent, the command channel of an
 * idle VM (the guest's second serial port, a unix socket QEMU serves).
 *
 * Requests are lines "VERB SEQ [ARGS]"; answers are lines "VERB SEQ [VALUE]"
 * with the request's SEQ (docs/guest.md §5b). The guest is not trusted: an
 * answer is at most MGR_AGENT_LINE bytes, printable ASCII, one of the known
 * verbs, with decimal numbers that fit; anything else is -EPROTO, and a
 * line nobody asked for (bytes waiting before a request) too.
 *
 * Nothing here waits on a write: a request the socket does not take at
 * once (the guest does not read its port, and the socket's small send
 * buffer is full) stays in struct mgr_agent's out buffer and goes out as
 * the socket takes it, at every read; a caller that finds it still there
 * when the answer is due (out_len) says the guest did not read it.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgr_idle.h"

static const char *const agent_verbs[] = {
	[MGR_AGENT_PONG] = "pong",       [MGR_AGENT_STARTED] = "started",
	[MGR_AGENT_STOPPED] = "stopped", [MGR_AGENT_RUNNING] = "running",
	[MGR_AGENT_EXITED] = "exited",   [MGR_AGENT_NONE] = "none",
	[MGR_AGENT_ERROR] = "error",
};

/* Which answers each request gets besides "error" (guest.md §5b). */
static const struct {
	const char *request;
	unsigned int answers; /* bit (1 << enum mgr_agent_verb) */
} agent_answers[] = {
	{ "ping", 1u << MGR_AGENT_PONG },
	{ "clock", 1u << MGR_AGENT_PONG },
	{ "run", 1u << MGR_AGENT_STARTED },
	{ "stop", 1u << MGR_AGENT_STOPPED },
	{ "status", 1u << MGR_AGENT_RUNNING | 1u << MGR_AGENT_EXITED | 1u << MGR_AGENT_NONE },
};

/* Whether an answer of verb @v fits request @request (one not in the table
 * takes any); cannot fail. */
static bool
agent_fits(const char *request, enum mgr_agent_verb v)
{
	size_t i;

	for (i = 0; i < sizeof(agent_answers) / sizeof(agent_answers[0]); i++)
		if (strcmp(agent_answers[i].request, request) == 0)
			return (agent_answers[i].answers & 1u << v) != 0;
	return true;
}

/* A decimal number of at most 10 digits that fits in 32 bits, ending at
 * a space or the end of @s; 0 with *v and *end, or -EPROTO. */
static int
agent_u32(const char *s, uint32_t *v, const char **end)
{
	unsigned long long x = 0;
	unsigned int n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 11)
		x = x * 10 + (unsigned long long)(s[n++] - '0');
	if (n == 0 || n > 10 || x > UINT32_MAX || (s[n] != '\0' && s[n] != ' '))
		return -EPROTO;
	*v = (uint32_t)x;
	*end = s + n;
	return 0;
}

/*
 * Parse answer line @line (without its line end) into @a. Returns 0, or
 * -EPROTO when it is not exactly one of: pong|none SEQ, started|stopped|
 * running|exited SEQ NUMBER, error SEQ TEXT (printable ASCII).
 */
int
mgr_agent_parse(const char *line, struct mgr_agent_answer *a)
{
	const char *p = line, *sp;
	size_t vlen, i;

	memset(a, 0, sizeof(*a));
	if (strlen(line) > MGR_AGENT_LINE)
		return -EPROTO;
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return -EPROTO;
	sp = strchr(p, ' ');
	if (sp == NULL)
		return -EPROTO;
	vlen = (size_t)(sp - p);
	for (i = 0; i < sizeof(agent_verbs) / sizeof(agent_verbs[0]); i++)
		if (strlen(agent_verbs[i]) == vlen && memcmp(agent_verbs[i], p, vlen) == 0)
			break;
	if (i == sizeof(agent_verbs) / sizeof(agent_verbs[0]))
		return -EPROTO;
	a->verb = (enum mgr_agent_verb)i;
	if (agent_u32(sp + 1, &a->seq, &p) < 0)
		return -EPROTO;
	switch (a->verb) {
	case MGR_AGENT_PONG:
	case MGR_AGENT_NONE:
		return *p == '\0' ? 0 : -EPROTO;
	case MGR_AGENT_ERROR:
		if (*p != ' ' || p[1] == '\0')
			return -EPROTO;
		snprintf(a->text, sizeof(a->text), "%s", p + 1);
		return 0;
	default:
		if (*p != ' ' || agent_u32(p + 1, &a->value, &p) < 0 || *p != '\0')
			return -EPROTO;
		return 0;
	}
}

/* Reset @ag to "not connected"; cannot fail. */
void
mgr_agent_init(struct mgr_agent *ag)
{
	ag->fd = -1;
	ag->len = 0;
	ag->seq = 0;
	ag->out_len = 0;
	ag->asked[0] = '\0';
}

/* Close @ag's connection; safe when closed; cannot fail. */
void
mgr_agent_close(struct mgr_agent *ag)
{
	if (ag->fd >= 0)
		close(ag->fd);
	mgr_agent_init(ag);
}

/*
 * Connect to the agent's serial port, QEMU's chardev socket @path. Returns
 * 0, or a negative errno with a message in @err (-ENOENT, -ECONNREFUSED:
 * QEMU is not listening yet).
 */
int
mgr_agent_connect(struct mgr_agent *ag, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	mgr_agent_close(ag);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ag->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ag->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "agent: socket: %s", strerror(-r));
		return r;
	}
	setsockopt(ag->fd, SOL_SOCKET, SO_SNDBUF, &(int){ MGR_AGENT_SNDBUF }, sizeof(int));
	if (connect(ag->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "agent: cannot connect to %s: %s", path, strerror(-r));
		mgr_agent_close(ag);
		return r;
	}
	return 0;
}

/* Write what the socket takes of the requests not sent yet, without
 * waiting. Returns 0 (some may be left: out_len), or -ECONNRESET with a
 * message in @err when the port is closed. */
static int
agent_flush(struct mgr_agent *ag, char *err, size_t errlen)
{
	while (ag->out_len > 0) {
		ssize_t w = send(ag->fd, ag->out, ag->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0) {
			snprintf(err, errlen, "agent: the serial port closed (QEMU gone?)");
			return -ECONNRESET;
		}
		ag->out_len -= (size_t)w;
		memmove(ag->out, ag->out + w, ag->out_len);
	}
	return 0;
}

/*
 * Send request "VERB SEQ ARGS" with the next sequence number, without
 * waiting: what the socket does not take at once is kept and sent as it
 * does (ag->out_len > 0 meanwhile). Returns 0, or a negative errno with a
 * message in @err: -ENOBUFS when requests the guest has not read already
 * fill the out buffer, -ECONNRESET.
 */
int
mgr_agent_send(struct mgr_agent *ag, const char *verb, const char *args, char *err,
	       size_t errlen)
{
	char line[MGR_CFG_NF_LEN + 64];
	size_t len;
	int n;

	ag->seq++;
	n = snprintf(line, sizeof(line), "%s %u%s%s\n", verb, ag->seq, args ? " " : "",
		     args ? args : "");
	if (n < 0 || (size_t)n >= sizeof(line)) {
		snprintf(err, errlen, "agent: request too long");
		return -E2BIG;
	}
	len = (size_t)n;
	snprintf(ag->asked, sizeof(ag->asked), "%s", verb);
	n = agent_flush(ag, err, errlen);
	if (n < 0)
		return n;
	if (len > sizeof(ag->out) - ag->out_len) {
		snprintf(err, errlen, "agent: the guest does not read its port (%zu bytes of "
			 "requests not taken)", ag->out_len);
		return -ENOBUFS;
	}
	memcpy(ag->out + ag->out_len, line, len);
	ag->out_len += len;
	return agent_flush(ag, err, errlen);
}

/* Printable copy of the start of @s for messages. */
static const char *
agent_show(const char *s, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, (unsigned char)s[i] >= 0x20 &&
				      (unsigned char)s[i] < 0x7f ? "%c" : "\\x%02x",
				      (unsigned char)s[i]);
	buf[o] = '\0';
	return buf;
}

/*
 * The next answer line, waiting at most @timeout_ms (0: only what is there),
 * and meanwhile the requests not sent yet as the socket takes them. Returns
 * 1 with @a, 0 when no whole line came in time, or a negative errno with a
 * message: -EPROTO (garbage), -ECONNRESET (QEMU closed the port).
 */
int
mgr_agent_poll(struct mgr_agent *ag, int timeout_ms, struct mgr_agent_answer *a, char *err,
	       size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	char show[96];

	for (;;) {
		char *nl = memchr(ag->buf, '\n', ag->len);
		struct pollfd p = { .fd = ag->fd, .events = POLLIN };
		uint64_t now;
		ssize_t n;
		int r;

		if (nl != NULL) {
			size_t used = (size_t)(nl + 1 - ag->buf);

			/* a NUL inside the line would hide its rest from the checks */
			if (memchr(ag->buf, '\0', (size_t)(nl - ag->buf)) != NULL) {
				snprintf(err, errlen, "agent: garbage answer (a NUL byte in the line)");
				return -EPROTO;
			}
			*nl = '\0';
			if (nl > ag->buf && nl[-1] == '\r')
				nl[-1] = '\0';
			if (mgr_agent_parse(ag->buf, a) < 0) {
				snprintf(err, errlen, "agent: garbage answer \"%s\"",
					 agent_show(ag->buf, strlen(ag->buf), show, sizeof(show)));
				return -EPROTO;
			}
			ag->len -= used;
			memmove(ag->buf, ag->buf + used, ag->len);
			return 1;
		}
		if (ag->len >= MGR_AGENT_LINE + 1) {
			snprintf(err, errlen, "agent: an answer longer than %d bytes: \"%s...\"",
				 MGR_AGENT_LINE, agent_show(ag->buf, 24, show, sizeof(show)));
			return -EPROTO;
		}
		r = agent_flush(ag, err, errlen);
		if (r < 0)
			return r;
		n = recv(ag->fd, ag->buf + ag->len, sizeof(ag->buf) - ag->len, MSG_DONTWAIT);
		if (n > 0) {
			ag->len += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			snprintf(err, errlen, "agent: the serial port closed (QEMU gone?)");
			return -ECONNRESET;
		}
		now = mgr_now_ms();
		if (now >= deadline)
			return 0;
		if (ag->out_len > 0)
			p.events |= POLLOUT;
		poll(&p, 1, (int)(deadline - now));
	}
}

/*
 * Whether the pong to the last request (a ping) is among the lines already
 * there, reading at most @max_lines lines (no waiting): 1 when it came, 0
 * when not yet, -ECONNRESET when QEMU closed the port (message in @err).
 * Anything else is skipped (a garbage line with all it came with): while a
 * guest boots, its serial port may carry anything. The bound keeps a guest
 * that floods the port from holding up the caller.
 */
int
mgr_agent_pong(struct mgr_agent *ag, unsigned int max_lines, char *err, size_t errlen)
{
	struct mgr_agent_answer a;
	unsigned int i;
	int r;

	for (i = 0; i < max_lines; i++) {
		r = mgr_agent_poll(ag, 0, &a, err, errlen);
		if (r == 0 || r == -ECONNRESET)
			return r;
		if (r < 0)
			ag->len = 0;
		else if (a.verb == MGR_AGENT_PONG && a.seq == ag->seq && ag->seq > 0)
			return 1;
	}
	return 0;
}

/*
 * Send a request without waiting for its answer (mgr_agent_reply() reads
 * it). Bytes waiting before the request (the agent never speaks unasked)
 * are -EPROTO; else as mgr_agent_send(). Messages go to @err.
 */
int
mgr_agent_ask(struct mgr_agent *ag, const char *verb, const char *args, char *err,
	      size_t errlen)
{
	char show[96];
	ssize_t n;

	n = recv(ag->fd, ag->buf + ag->len, sizeof(ag->buf) - ag->len, MSG_DONTWAIT);
	if (n > 0)
		ag->len += (size_t)n;
	if (ag->len > 0) {
		snprintf(err, errlen, "agent: output nobody asked for: \"%s\"",
			 agent_show(ag->buf, ag->len < 32 ? ag->len : 32, show, sizeof(show)));
		return -EPROTO;
	}
	return mgr_agent_send(ag, verb, args, err, errlen);
}

/*
 * The answer to the last request (mgr_agent_ask()), waiting at most
 * @timeout_ms (0: only what is there). Returns 1 with @a, 0 when no whole
 * line came in time, or a negative errno with a message in @err: -EPROTO
 * (garbage, an answer with another sequence number, or of a verb the
 * request never gets), -ECONNRESET, -EREMOTEIO (an "error" answer, its text).
 */
int
mgr_agent_reply(struct mgr_agent *ag, int timeout_ms, struct mgr_agent_answer *a, char *err,
		size_t errlen)
{
	int r = mgr_agent_poll(ag, timeout_ms, a, err, errlen);

	if (r <= 0)
		return r;
	if (a->seq != ag->seq) {
		snprintf(err, errlen, "agent: answer %u to request %u", a->seq, ag->seq);
		return -EPROTO;
	}
	if (a->verb == MGR_AGENT_ERROR) {
		snprintf(err, errlen, "agent: %s", a->text);
		return -EREMOTEIO;
	}
	if (!agent_fits(ag->asked, a->verb)) {
		snprintf(err, errlen, "agent: answered %s with %s", ag->asked,
			 agent_verbs[a->verb]);
		return -EPROTO;
	}
	return 1;
}

/* Why the answer to request @verb did not come within @timeout_ms, into
 * @err: the guest did not read the request (part of it is still to be
 * sent), or did not answer; cannot fail. */
void
mgr_agent_timeout(const struct mgr_agent *ag, const char *verb, unsigned int timeout_ms,
		  char *err, size_t errlen)
{
	if (ag->out_len > 0)
		snprintf(err, errlen, "agent: the guest did not read the '%s' request within %u "
			 "ms (it does not read its port)", verb, timeout_ms);
	else
		snprintf(err, errlen, "agent: no answer to '%s' within %u ms", verb, timeout_ms);
}

/*
 * Send a request and wait at most @timeout_ms for its answer into @a:
 * mgr_agent_ask() then mgr_agent_reply(). Returns 0, or a negative errno
 * with a message in @err: theirs, or -ETIMEDOUT when no answer came in time.
 */
int
mgr_agent_request(struct mgr_agent *ag, const char *verb, const char *args, int timeout_ms,
		  struct mgr_agent_answer *a, char *err, size_t errlen)
{
	int r = mgr_agent_ask(ag, verb, args, err, errlen);

	if (r < 0)
		return r;
	r = mgr_agent_reply(ag, timeout_ms, a, err, errlen);
	if (r == 0) {
		mgr_agent_timeout(ag, verb, (unsigned int)timeout_ms, err, errlen);
		return -ETIMEDOUT;
	}
	return r < 0 ? r : 0;
}
